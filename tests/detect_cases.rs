//! Detector behaviour on whole files: each test scans fixture content under
//! a repository path and asserts the exact (rule, line) of every match.

use std::sync::OnceLock;

use bstr::BStr;
use tightlip::detect::{BlobScan, Detector, DetectorOptions};
use tightlip::finding::{Match, MatchKind, Severity, SkipReason};

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR
        .get_or_init(|| Detector::new(DetectorOptions::default()).expect("built-in rules build"))
}

fn matches_of(path: &str, content: impl AsRef<[u8]>) -> Vec<Match> {
    match detector().scan(BStr::new(path), content.as_ref()) {
        BlobScan::Scanned(matches) => matches,
        BlobScan::Skipped(reason) => panic!("{path} skipped: {reason}"),
    }
}

/// Returns (rule id, line) of every match, content matches first in line
/// order, then path matches.
fn found(path: &str, content: impl AsRef<[u8]>) -> Vec<(String, u32)> {
    let mut matches = matches_of(path, content);
    matches.sort_by_key(|m| (m.kind == MatchKind::Path, m.line, m.column));
    matches
        .into_iter()
        .map(|m| (m.rule_id.to_string(), m.line))
        .collect()
}

fn expect(pairs: &[(&str, u32)]) -> Vec<(String, u32)> {
    pairs
        .iter()
        .map(|(rule, line)| (rule.to_string(), *line))
        .collect()
}

const KEY_BODY: &str = "UctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQX
wEXcljxonj4Pb5UHAF63L1UMT41DLW8hsASbeYUNkeDcFutylBfNpGWFlBph/J+i
vgTUJXtjTUqpducwGjdgOgUzDX/EKQ2T8q/bKrIdC4ZVyZ8jfITLCyeeeC4gVPfA
YLplugipJUN2sdPILdEGpPca9Z8/kbiLc4dxxgUdL+tEG/TDWAxQ7tcKEwmzDdkf
";

#[test]
fn pem_key_every_label() {
    for label in ["RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", ""] {
        let pem = format!(
            "-----BEGIN {label}PRIVATE KEY-----\n{KEY_BODY}-----END {label}PRIVATE KEY-----\n"
        );
        assert_eq!(
            found("keys/secret.pem", &pem),
            expect(&[("private-key.block", 1), ("files.private-key-file", 1)]),
            "label {label:?}"
        );
    }
    let pgp = format!(
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{KEY_BODY}=Xq9k\n-----END PGP PRIVATE KEY BLOCK-----\n"
    );
    assert_eq!(found("key.asc", pgp), expect(&[("private-key.block", 1)]));
}

#[test]
fn pem_key_without_body_ignored() {
    assert_eq!(
        found(
            "keys/empty.pem",
            "-----BEGIN PRIVATE KEY----------END PRIVATE KEY-----"
        ),
        expect(&[])
    );
}

#[test]
fn allow_comment_covers_only_its_key() {
    let fixture = r#"TEST_KEY = """-----BEGIN OPENSSH PRIVATE KEY-----  # gitleaks:allow
UctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQX
wEXcljxonj4Pb5UHAF63L1UMT41DLW8hsASbeYUNkeDcFutylBfNpGWFlBph/J+i
-----END OPENSSH PRIVATE KEY-----"""

PROD_KEY = """-----BEGIN OPENSSH PRIVATE KEY-----
vgTUJXtjTUqpducwGjdgOgUzDX/EKQ2T8q/bKrIdC4ZVyZ8jfITLCyeeeC4gVPfA
YLplugipJUN2sdPILdEGpPca9Z8/kbiLc4dxxgUdL+tEG/TDWAxQ7tcKEwmzDdkf
-----END OPENSSH PRIVATE KEY-----"""
"#;
    assert_eq!(
        found("fixtures.py", fixture),
        expect(&[("private-key.block", 6)])
    );
    let unmarked = fixture.replace("  # gitleaks:allow", "");
    assert_eq!(
        found("fixtures.py", unmarked),
        expect(&[("private-key.block", 1), ("private-key.block", 6)])
    );
    let tightlip_marker = fixture.replace("gitleaks:allow", "tightlip:allow");
    assert_eq!(
        found("fixtures.py", tightlip_marker),
        expect(&[("private-key.block", 6)])
    );
}

#[test]
fn utf16_files_scanned() {
    let text = "token = \"ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\"\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let cases = [
        ("u8.txt", text.as_bytes().to_vec()),
        ("utf16le-bom.txt", [b"\xff\xfe".as_slice(), &le].concat()),
        ("utf16be-bom.txt", [b"\xfe\xff".as_slice(), &be].concat()),
        ("utf16le-nobom.txt", le.clone()),
    ];
    for (path, data) in cases {
        assert_eq!(found(path, &data), expect(&[("github.pat", 1)]), "{path}");
    }
    let with_bom = [b"\xff\xfe".as_slice(), &le].concat();
    let m = &matches_of("utf16le-bom.txt", &with_bom)[0];
    assert_eq!(m.offset, 2 + 2 * 9, "offset counts stored UTF-16 bytes");
    assert_eq!(m.column, 10);
}

#[test]
fn binary_and_large_skipped() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa";
    assert!(matches!(
        detector().scan(BStr::new("a.png"), png),
        BlobScan::Skipped(SkipReason::Binary)
    ));
    let small = Detector::new(DetectorOptions { max_size: 10 }).expect("detector");
    assert!(matches!(
        small.scan(BStr::new("big.txt"), b"0123456789ab"),
        BlobScan::Skipped(SkipReason::TooLarge {
            size: 12,
            limit: 10
        })
    ));
}

#[test]
fn secrets_dir_files_by_path() {
    assert_eq!(
        found(".secrets/database.password", "word456\n"),
        expect(&[("datajoint.secrets-dir-file", 1)])
    );
    assert_eq!(
        found("lab/pipeline/.secrets/stores.main.access_key", ""),
        expect(&[("datajoint.secrets-dir-file", 1)])
    );
    assert_eq!(found(".secrets/.gitignore", "*\n"), expect(&[]));
    assert_eq!(
        found(".secrets/database.user", "your_username\n"),
        expect(&[])
    );
    assert_eq!(
        found(".secrets/database.password", "your_password"),
        expect(&[])
    );
}

#[test]
fn dj_pass_literals_in_env_forms() {
    let script = "# committed scripts/setup_env.sh\nexport DJ_HOST=db.lab-a.example.org\nexport DJ_USER=user_a\nexport DJ_PASS='word456'\n";
    assert_eq!(
        found("scripts/setup_env.sh", script),
        expect(&[("datajoint.env-password", 4)])
    );
    let references = "DJ_PASS=$DJ_PASS_FROM_VAULT\nDJ_PASS=${DJ_PASS}\n";
    assert_eq!(found("scripts/ci.sh", references), expect(&[]));
}

#[test]
fn aws_key_id_found() {
    assert_eq!(
        found(
            "readme.md",
            "hello\naws_access_key_id = \"AKIAMOR4LFENVS98QPN8\"\n"
        ),
        expect(&[("aws.access-key-id", 2)])
    );
    assert_eq!(
        found("readme.md", "id: AKIAIOSFODNN7EXAMPLE\n"),
        expect(&[])
    );
}

#[test]
fn path_match_fields() {
    let m = &matches_of(".secrets/database.password", "word456")[0];
    assert_eq!(m.kind, MatchKind::Path);
    assert_eq!(m.severity, Severity::High);
    assert_eq!(
        m.fingerprint,
        tightlip::finding::fingerprint_of(&[
            b"datajoint.secrets-dir-file",
            b".secrets/database.password"
        ])
    );
}
