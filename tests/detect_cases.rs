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

#[test]
fn service_account_in_escaped_json() {
    let fixture = r#"{
  "gcp_credentials": "{\"type\": \"service_account\", \"project_id\": \"example-project\", \"private_key_id\": \"f16ea19fe44a245216109480740ac29c7f7e0647\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nUctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQX\\nwEXcljxonj4Pb5UHAF63L1UMT41DLW8hsASbeYUNkeDcFutylBfNpGWFlBph/J+i\\n-----END PRIVATE KEY-----\\n\", \"client_email\": \"svc@example-project.iam.gserviceaccount.com\"}"
}
"#;
    let matches = matches_of("deploy/settings.json", fixture);
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(&*matches[0].rule_id, "google.service-account-key");
    assert_eq!(matches[0].line, 2);
    assert!(!matches[0].secret.to_string().contains("UctO"));
    // The same key stored plainly has the same fingerprint.
    let plain = format!(
        "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
        "UctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQX\nwEXcljxonj4Pb5UHAF63L1UMT41DLW8hsASbeYUNkeDcFutylBfNpGWFlBph/J+i\n"
    );
    assert_eq!(
        matches_of("k.txt", plain)[0].fingerprint,
        matches[0].fingerprint
    );
}

#[test]
fn notebook_source_key_found() {
    let fixture = r#"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "c1",
   "metadata": {},
   "outputs": [],
   "source": [
    "from openai import OpenAI\n",
    "client = OpenAI(api_key=\"sk-proj-WwtOZg93DwqPwVJbTUNVqnBcNEpUHEQNOGGNVd6ZobTVhCfx\")\n"
   ]
  }
 ],
 "metadata": {},
 "nbformat": 4,
 "nbformat_minor": 5
}
"#;
    assert_eq!(
        found("analysis.ipynb", fixture),
        expect(&[("openai.api-key", 11)])
    );
    let generic = fixture.replace(
        "sk-proj-WwtOZg93DwqPwVJbTUNVqnBcNEpUHEQNOGGNVd6ZobTVhCfx",
        "zRj9MCCpPPD8a9VKQqjW",
    );
    assert_eq!(
        found("analysis.ipynb", generic),
        expect(&[("generic.secret-assignment", 11)])
    );
}

fn notebook_with_png(text_output: &str) -> String {
    let png: String = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg"
        .chars()
        .cycle()
        .take(4096)
        .collect();
    format!(
        r#"{{
 "cells": [{{
   "cell_type": "code", "execution_count": 2, "id": "c2", "metadata": {{}},
   "outputs": [{{
     "output_type": "display_data", "metadata": {{}},
     "data": {{"image/png": "{png}"}}
   }}, {{"name": "stdout", "output_type": "stream", "text": ["{text_output}\n"]}}],
   "source": ["plt.plot(x)\n"]
 }}],
 "metadata": {{"interpreter": {{"hash": "f16ea19fe44a245216109480740ac29c7f7e064716ab144a4b258a053bd76f00"}}}},
 "nbformat": 4, "nbformat_minor": 5
}}
"#
    )
}

#[test]
fn notebook_outputs_not_secrets() {
    assert_eq!(found("plots.ipynb", notebook_with_png("done")), expect(&[]));
    assert_eq!(
        found(
            "plots.ipynb",
            notebook_with_png("token=ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa")
        ),
        expect(&[("github.pat", 7)])
    );
}

#[test]
fn yaml_block_scalar_scanned() {
    let fixture = r#"---
config: |
  api_keys:
    - key: "f16ea19fe44a245216109480740ac29c7f7e064716ab144a4b258a053bd76f00"
    - key: GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8YPywjU/mu
other_key: "U5aNBO2C09wGgJDX2CCZaTHL"
"#;
    assert_eq!(
        found("config.yaml", fixture),
        expect(&[
            ("generic.secret-assignment", 4),
            ("generic.secret-assignment", 5),
            ("generic.secret-assignment", 6),
        ])
    );
}

#[test]
fn empty_env_value_stays_on_its_line() {
    let fixture = "APP_DB_PASSWORD=\nAPP_DB_ENABLED=1\nAPP_DB_HOST=localhost\n";
    assert_eq!(found(".env.sample", fixture), expect(&[]));
    assert_eq!(
        found(".env.sample", fixture.replace('\n', "\r\n")),
        expect(&[])
    );
    assert_eq!(
        found(".env", "APP_DB_PASSWORD=zRj9MCCpPPD8a9VKQqjW\n"),
        expect(&[("generic.secret-assignment", 1), ("files.dotenv", 1)])
    );
}

#[test]
fn shell_variable_references_ignored() {
    let fixture = "curl -sSf -u \"${ART_USER}:${ART_PASSWORD}\" \\\n  -X POST ' -d @q.json\ncurl -sSf -u deploy:\"$DEPLOY_TOKEN\" \n";
    assert_eq!(found("scripts/query.sh", fixture), expect(&[]));
    assert_eq!(
        found(
            "scripts/query.sh",
            "curl -u deploy:zRj9MCCpPPD8a9VKQqjW https://example.org\n"
        ),
        expect(&[("generic.curl-user-password", 1)])
    );
}

#[test]
fn url_passwords_found() {
    let fixture = "DATABASE_URL=postgres://app_user:U5aNBO2C09wGgJDX2CCZaTHL@db.internal.example.org:5432/prod
BROKER_DSN=amqp://svc:zRj9MCCpPPD8a9VKQqjW@mq.internal.example.org:5672/
MONGO_URI=mongodb+srv://reader:GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8Y@cluster0.example.net/app
LOCAL_URL=postgresql://dev:Kx93ndPq21Lm@127.0.0.1:5432/dev
";
    let matches = matches_of(".env.production", fixture);
    let content: Vec<&Match> = matches
        .iter()
        .filter(|m| m.kind == MatchKind::Content)
        .collect();
    assert_eq!(content.len(), 4, "{matches:?}");
    for (m, line) in content.iter().zip(1..) {
        assert_eq!(&*m.rule_id, "generic.url-password");
        assert_eq!(m.line, line);
    }
    assert_eq!(content[0].secret.reveal(), b"U5aNBO2C09wGgJDX2CCZaTHL");
    assert_eq!(content[0].column, 34);
    assert_eq!(content[0].severity, Severity::High);
    assert!(
        content[3].severity < Severity::High,
        "loopback lowers severity"
    );
    assert!(matches.iter().any(|m| &*m.rule_id == "files.dotenv"));
}

#[test]
fn go_short_declaration_found() {
    let fixture = "package main\n\nfunc main() {\n\tclientSecretKey := \"zRj9MCCpPPD8a9VKQqjWU5aNBO2C09wG\"\n\tprintln(clientSecretKey)\n}\n";
    assert_eq!(
        found("main.go", fixture),
        expect(&[("generic.secret-assignment", 4)])
    );
}

#[test]
fn assignment_operators_all_found() {
    let fixture = r#"a_password = "Kx93ndPq21Lm"
b_secret: "Kx93ndPq21Lm"
c_token := "Kx93ndPq21Lm"
'd_key' => 'Kx93ndPq21Lm',
e_password <- "Kx93ndPq21Lm"
"f_secret" -> "Kx93ndPq21Lm"
{"g_token": "Kx93ndPq21Lm"}
h_key = 'Kx93ndPq21Lm'
secret("Kx93ndPq21Lm")
connect(api_key="Kx93ndPq21Lm")
"#;
    let lines: Vec<u32> = found("app.txt", fixture)
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    assert_eq!(lines, (1..=10).collect::<Vec<u32>>());
}

#[test]
fn braced_values_and_references() {
    assert_eq!(
        found("app.yaml", "password: {word9learn}\n"),
        expect(&[("generic.secret-assignment", 1)])
    );
    assert_eq!(
        found("app.yaml", "password: {DB_PASS}\npassword: ${DB_PASS}\n"),
        expect(&[])
    );
}

#[test]
fn decoys_not_reported() {
    let fixture = r#"password = $DB_PASS
password = ${DB_PASS}
password = $(cat /run/secrets/db)
token: ${{ secrets.DEPLOY_TOKEN }}
password: "{{ db_password }}"
dsn = "postgres://%(user)s:%(password)s@%(host)s/db"
password = os.environ["DB_PASSWORD"]
api_key = os.environ.get("API_KEY", "FAKEKEY")
secret = os.getenv("SECRET")
password = ""
password: null
password = "<your-password>"
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
request_id = "123e4567-e89b-12d3-a456-426614174000"
commit = "f16ea19fe44a245216109480740ac29c7f7e0647"
password: changeme
"#;
    assert_eq!(found("settings.py", fixture), expect(&[]));
    assert_eq!(found("settings.txt", fixture), expect(&[]));
}

#[test]
fn lock_file_hashes_ignored() {
    let lock = r#"[[package]]
name = "serde"
checksum = "f16ea19fe44a245216109480740ac29c7f7e064716ab144a4b258a053bd76f00"
"integrity": "sha512-zRj9MCCpPPD8a9VKQqjWU5aNBO2C09wGgJDX2CCZaTHL=="
key: f16ea19fe44a245216109480740ac29c7f7e064716ab144a4b258a053bd76f00
"#;
    assert_eq!(found("Cargo.lock", lock), expect(&[]));
    assert_eq!(found("web/package-lock.json", lock), expect(&[]));
}

#[test]
fn lfs_pointer_ignored() {
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:f16ea19fe44a245216109480740ac29c7f7e064716ab144a4b258a053bd76f00\nsize 12345\n";
    assert_eq!(found("data/big.bin", pointer), expect(&[]));
}

#[test]
fn dj_flat_config_with_file_stores() {
    let fixture = r#"{
    "database.host": "localhost",
    "database.password": "demo-pass",
    "database.user": "root",
    "database.port": 3306,
    "stores": {
        "raw": {"protocol": "file", "location": "/data/nwb/raw", "stage": "/data/nwb/raw"},
        "analysis": {"protocol": "file", "location": "/data/nwb/analysis", "stage": "/data/nwb/analysis"}
    },
    "custom": {"spyglass_dirs": {"base": "/data/nwb"}, "kachery_zone": "lab.collaborators"}
}
"#;
    let matches = matches_of("dj_local_conf.json", fixture);
    assert_eq!(
        found("dj_local_conf.json", fixture),
        expect(&[("datajoint.config-password", 3)])
    );
    assert_eq!(
        matches[0].severity,
        Severity::Medium,
        "loopback host lowers severity"
    );
    assert_eq!(matches[0].secret.reveal(), b"demo-pass");
}

#[test]
fn dj_minimal_config_without_spaces() {
    let fixture = "{\n    \"database.host\": \"database.lab-b.example.org\",\n    \"database.user\": \"lab_b\",\n    \"database.password\": \"word456\",\n    \"database.port\":3306\n}\n";
    let compact = fixture.replace("\": \"", "\":\"");
    for text in [fixture.to_string(), compact] {
        let matches = matches_of("datajoint.json", &text);
        assert_eq!(
            found("datajoint.json", &text),
            expect(&[("datajoint.config-password", 4)])
        );
        assert_eq!(matches[0].severity, Severity::High);
    }
}

#[test]
fn dj_empty_and_null_values_ignored() {
    let fixture = r#"{
    "database.host": "127.0.0.1",
    "database.password": "",
    "database.user": "user_c",
    "database.port": 3306,
    "external.aws_access_key_id": null,
    "external.aws_secret_access_key": null,
    "external.location": null,
    "history": ["No config file found, using default settings."]
}
"#;
    assert_eq!(found("dj_local_conf.json", fixture), expect(&[]));
    let variant = fixture
        .replace("\"\",", "\"word-word\",")
        .replace("127.0.0.1", "db.lab-c.example.org");
    let matches = matches_of("dj_local_conf.json", &variant);
    assert_eq!(
        found("dj_local_conf.json", &variant),
        expect(&[("datajoint.config-password", 3)])
    );
    assert_eq!(matches[0].severity, Severity::High);
}

#[test]
fn dj_tab_indented_config() {
    let fixture = "{\n\t\"database.host\": \"project-x.datajoint.example.io\",\n  \t\"database.user\": \"user_d\",\n  \t\"database.password\": \"user_d_datajoint\"\t,\n\t\"database.port\": 3306,\n\t\"custom\": {\"behavior_bpod\": {\"meta_dir\": \"D:/Data/Metadata\"}},\n\t\"stores\": {\n        \"report_store\": {\"protocol\": \"file\", \"location\": \"D:/Sync/report\", \"stage\": \"D:/Sync/report\"}\n\t}\n}\n";
    assert_eq!(
        found("dj_local_conf.json", fixture),
        expect(&[("datajoint.config-password", 4)])
    );
}

#[test]
fn dj_password_with_metacharacters() {
    let fixture = r#"{
    "database.host": "labdj.university.example.edu",
    "database.password": "mouseXY&Ab3+",
    "database.user": "labuser",
    "database.port": 3306,
    "stores": {
        "extstorage": {"protocol": "file", "location": "R:\\_Dj_external", "subfolding": [2, 2]}
    }
}
"#;
    let matches = matches_of("dj_local_conf.json", fixture);
    assert_eq!(
        found("dj_local_conf.json", fixture),
        expect(&[("datajoint.config-password", 3)])
    );
    assert_eq!(matches[0].secret.reveal(), b"mouseXY&Ab3+");
    assert_eq!(matches[0].secret.to_string(), "\u{2026} (12 bytes)");
}

#[test]
fn dj_nested_config_password() {
    let fixture = r#"{
    "database": {
        "host": "localhost",
        "port": 5432,
        "backend": "postgresql",
        "user": "demo_user",
        "password": "demo_user"
    }
}
"#;
    let matches = matches_of("datajoint.json", fixture);
    assert_eq!(
        found("datajoint.json", fixture),
        expect(&[("datajoint.config-password", 7)])
    );
    assert_eq!(
        matches[0].severity,
        Severity::Low,
        "loopback and password equal to user"
    );
    let upper = fixture
        .replace("\"password\"", "\"PASSWORD\"")
        .replace("\"database\"", "\"Database\"");
    assert_eq!(
        found("datajoint.json", upper),
        expect(&[("datajoint.config-password", 7)])
    );
}

#[test]
fn dj_config_without_credentials() {
    let fixture = "{\n  \"database\": {\"host\": \"127.0.0.1\", \"port\": 3306},\n  \"safemode\": false,\n  \"loglevel\": \"WARNING\"\n}\n";
    assert_eq!(found("datajoint.json", fixture), expect(&[]));
    for name in [
        ".secrets/database.password",
        ".secrets/stores.main.access_key",
        ".secrets/stores.main.secret_key",
        ".secrets/stores.gcs.token",
    ] {
        assert_eq!(
            found(name, "Kx93ndPq21Lm"),
            expect(&[("datajoint.secrets-dir-file", 1)]),
            "{name}"
        );
    }
}

#[test]
fn dj_stores_from_environment_ignored() {
    let fixture = r#"import os, datajoint as dj
dj.config["database.password"] = os.environ["DJ_PASS"]
dj.config["stores"] = {"minio": {"protocol": "s3", "endpoint": os.environ["MINIO_ENDPOINT"],
    "bucket": "lab-bucket", "access_key": os.environ.get("MINIO_ACCESS_KEY", "FAKEKEY"),
    "secret_key": os.environ.get("MINIO_SECRET_KEY", "FAKEKEY")}}
"#;
    assert_eq!(found("pipeline/config.py", fixture), expect(&[]));
    let literal = r#"dj.config["stores"]["archive"] = {"protocol": "s3", "endpoint": "s3.amazonaws.com",
    "bucket": "lab-archive", "location": "dj",
    "access_key": "AKIAMOR4LFENVS98QPN8",
    "secret_key": "GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8YPywjU/mu"}
"#;
    assert_eq!(
        found("pipeline/config.py", literal),
        expect(&[("aws.access-key-id", 3), ("aws.secret-access-key", 4)])
    );
}

#[test]
fn dj_env_files_and_stores_json() {
    let env = r#"DJ_HOST=db.lab-a.example.org
DJ_USER=user_a
DJ_PASS=word456
DJ_STORES={"main": {"protocol": "s3", "access_key": "AKIAMOR4LFENVS98QPN8", "secret_key": "GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8YPywjU/mu"}}
"#;
    assert_eq!(
        found(".env", env),
        expect(&[
            ("datajoint.env-password", 3),
            ("aws.access-key-id", 4),
            ("aws.secret-access-key", 4),
            ("files.dotenv", 1),
        ])
    );
    let stores = r#"DJ_STORES='{"main": {"protocol": "s3", "access_key": "minio-lab", "secret_key": "word456word"}}'"#;
    assert_eq!(
        found("deploy/env.sh", stores),
        expect(&[
            ("datajoint.env-stores-credential", 1),
            ("datajoint.env-stores-credential", 1)
        ])
    );
}

#[test]
fn dj_pass_in_compose_docker_and_ci() {
    let compose =
        "services:\n  worker:\n    environment:\n      - DJ_PASS=word456\n      - DJ_HOST=db\n";
    assert_eq!(
        found("docker-compose.yml", compose),
        expect(&[("datajoint.env-password", 4)])
    );
    let mapping =
        "    environment:\n      dj_pass: \"pass123\"\n      DJ_PASS: ${{ secrets.DJ_PASS }}\n";
    assert_eq!(
        found(".github/workflows/ci.yml", mapping),
        expect(&[("datajoint.env-password", 2)])
    );
    let dockerfile = "FROM python:3.12\nENV DJ_PASS=word456\nENV DJ_PASS word456\n";
    assert_eq!(
        found("Dockerfile", dockerfile),
        expect(&[("datajoint.env-password", 2), ("datajoint.env-password", 3)])
    );
}

#[test]
fn latin1_and_invalid_utf8_scanned() {
    let mut data = b"caf\xe9 \xff\xfe\n".to_vec();
    data.extend_from_slice(b"token = ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\n");
    assert_eq!(found("notes.txt", &data), expect(&[("github.pat", 2)]));
}

#[test]
fn crlf_lines_counted() {
    let data = "a\r\nb\r\nAKIAMOR4LFENVS98QPN8\r\n";
    let matches = matches_of("x.txt", data);
    assert_eq!(matches[0].line, 3);
    assert_eq!(matches[0].column, 1);
    assert_eq!(matches[0].offset, 6);
}

#[test]
fn allow_comment_on_other_line_ignored() {
    let data = "# tightlip:allow\ntoken = ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\n";
    assert_eq!(found("x.txt", data), expect(&[("github.pat", 2)]));
}

#[test]
fn one_match_per_value() {
    let data = "aws_secret_access_key = \"GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8YPywjU/mu\"\ngit_token = \"ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\"\n";
    assert_eq!(
        found("x.cfg", data),
        expect(&[("aws.secret-access-key", 1), ("github.pat", 2)])
    );
}

#[test]
fn credential_files_by_path() {
    for (path, rule) in [
        ("id_rsa", "files.ssh-private-key"),
        ("home/.ssh/id_ed25519", "files.ssh-private-key"),
        ("infra/terraform.tfstate", "files.terraform-state"),
        (".netrc", "files.netrc"),
        (".pgpass", "files.pgpass"),
        (".git-credentials", "files.git-credentials"),
    ] {
        assert!(
            found(path, "x\n").contains(&(rule.to_string(), 1)),
            "{path}"
        );
    }
    for path in [".env.example", ".env.sample", ".env.template", "id_rsa.pub"] {
        assert_eq!(found(path, "x\n"), expect(&[]), "{path}");
    }
    let der = [&[0x30u8, 0x82, 0x0a, 0x00][..], &[0u8; 100]].concat();
    assert_eq!(
        found("certs/client.p12", &der),
        expect(&[("files.private-key-file", 1)])
    );
    assert_eq!(
        found(
            "certs/ca.pem",
            "-----BEGIN CERTIFICATE-----\nUctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc\n-----END CERTIFICATE-----\n"
        ),
        expect(&[])
    );
}

#[test]
fn detector_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
}

#[test]
fn xml_element_secret_found() {
    let settings = "<settings>\n  <servers>\n    <server>\n      <password>Kx93ndPq21Lm</password>\n      <password>${env.REPO_PASSWORD}</password>\n    </server>\n  </servers>\n</settings>\n";
    assert_eq!(
        found("settings.xml", settings),
        expect(&[("generic.secret-xml-element", 4)])
    );
}

#[test]
fn long_minified_line_scanned_whole() {
    let filler: String = (0..20_000).map(|i| format!("\"k{i}\":{i},")).collect();
    let line = format!(
        "{{{filler}\"api_token\":\"zRj9MCCpPPD8a9VKQqjW\",{filler}\"gh\":\"ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\"}}\n"
    );
    let matches = matches_of("bundle.min.json", &line);
    let rules: Vec<&str> = matches.iter().map(|m| &*m.rule_id).collect();
    assert_eq!(rules, ["generic.secret-assignment", "github.pat"]);
    assert_eq!(matches[0].secret.reveal(), b"zRj9MCCpPPD8a9VKQqjW");
    assert_eq!(matches[0].column as usize, filler.len() + 15);
}

#[test]
fn several_secrets_on_one_line() {
    let line = "creds AKIAMOR4LFENVS98QPN8 ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa AKIAMOR4LFENVS98QPN9\n";
    let columns: Vec<u32> = matches_of("notes.md", line)
        .iter()
        .map(|m| m.column)
        .collect();
    assert_eq!(columns, [7, 28, 69]);
}

#[test]
fn generic_secret_in_escaped_json() {
    let fixture =
        "{\n  \"config\": \"{\\\"db\\\": {\\\"password\\\": \\\"Kx93ndPq21Lm\\\"}}\"\n}\n";
    let matches = matches_of("deploy/values.json", fixture);
    assert_eq!(
        found("deploy/values.json", fixture),
        expect(&[("generic.secret-assignment", 2)])
    );
    assert_eq!(matches[0].secret.reveal(), b"Kx93ndPq21Lm");
    assert_eq!(matches[0].column, 40, "column in the stored line");
}

#[test]
fn authorization_header_literal_found() {
    let script = "curl -H \"Authorization: Bearer $API_TOKEN\" https://api.example.org\ncurl -H \"Authorization: Bearer zRj9MCCpPPD8a9VKQqjWU5aNBO2C09wG\" https://api.example.org\n";
    assert_eq!(
        found("scripts/call.sh", script),
        expect(&[("generic.authorization-header", 2)])
    );
}

#[test]
fn keyword_flood_still_finds_key() {
    let mut data = "PRIVATE KEY ".repeat(100_000);
    data.push_str(&format!(
        "\n-----BEGIN PRIVATE KEY-----\n{KEY_BODY}-----END PRIVATE KEY-----\n"
    ));
    assert_eq!(
        found("flood.txt", &data),
        expect(&[("private-key.block", 2)])
    );
}

#[test]
fn many_matches_on_one_line() {
    let line = "AKIAMOR4LFENVS98QPN8 ".repeat(20_000);
    let matches = matches_of("ids.txt", &line);
    assert_eq!(matches.len(), 20_000, "one match per occurrence");
    assert!(
        matches
            .iter()
            .all(|m| m.fingerprint == matches[0].fingerprint)
    );
    let distinct: String = (0..2_000)
        .map(|i| format!("AKIAMOR4LFENV{i:07} "))
        .collect();
    assert_eq!(matches_of("ids.txt", &distinct).len(), 2_000);
}

#[test]
fn key_file_with_token_flagged_by_path() {
    let token = "slack = \"xoxb-05171325530-1905669893883-RIQ6MGy1foAJ9wx3INnQnEhA\"\n";
    assert_eq!(
        found("b.key", token),
        expect(&[("slack.bot-token", 1), ("files.private-key-file", 1)])
    );
    assert_eq!(found("a.crt", "harmless\n"), expect(&[]));
    assert_eq!(found("a.key", "harmless\n"), expect(&[]));
}

#[test]
fn setter_and_option_forms_found() {
    let script = "os.Setenv(\"API_TOKEN\", \"Kx93ndPq21Lm\")\nos.environ.get(\"API_KEY\", \"FAKEKEY\")\nmysql --user root --password Kx93ndPq21Lm\n";
    assert_eq!(
        found("setup.txt", script),
        expect(&[("generic.secret-setter-pair", 1), ("generic.cli-option", 3)])
    );
}

#[test]
fn notebook_key_split_across_strings() {
    let fixture = r#"{
 "cells": [
  {
   "cell_type": "code",
   "source": [
    "key = \"\"\"-----BEGIN RSA PRIVATE KEY-----\n",
    "UctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQX\n",
    "wEXcljxonj4Pb5UHAF63L1UMT41DLW8hsASbeYUNkeDcFutylBfNpGWFlBph/J+i\n",
    "-----END RSA PRIVATE KEY-----\"\"\"\n"
   ]
  }
 ]
}
"#;
    assert_eq!(
        found("keys.ipynb", fixture),
        expect(&[("private-key.block", 6)])
    );
}

#[test]
fn utf16_be_without_bom_scanned() {
    let text = "token = \"ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\"\r\n";
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(
        found("utf16be-nobom.txt", &be),
        expect(&[("github.pat", 1)])
    );
}

#[test]
fn random_input_never_panics() {
    // Fragments that steer the detector into its edge paths: keywords,
    // quotes, escapes, key block markers, NUL and invalid UTF-8.
    const FRAGMENTS: &[&[u8]] = &[
        b"password",
        b"=",
        b":",
        b"\"",
        b"'",
        b"\\\"",
        b"\\\\",
        b"\\n",
        b"\n",
        b"\r\n",
        b" ",
        b"-----BEGIN RSA PRIVATE KEY-----",
        b"-----END RSA PRIVATE KEY-----",
        b"UctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc",
        b"ghp_",
        b"AKIA",
        b"://",
        b"u:p@h",
        b"DJ_PASS",
        b"\"database\"",
        b"{",
        b"}",
        b"$",
        b"\\u00",
        b"\\ud83d",
        b"\xff\xfe",
        b"\0",
        b"\xe9",
        b"tightlip:allow",
        b"Kx93ndPq21Lm",
        b"service_account",
        b"-u",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3_000 {
        let pieces = (next() % 40) as usize;
        let mut data = Vec::new();
        for _ in 0..pieces {
            data.extend_from_slice(FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]);
        }
        let path = ["x.json", "datajoint.json", ".env", "a.pem", "n.ipynb"][(next() % 5) as usize];
        if let BlobScan::Scanned(matches) = detector().scan(BStr::new(path), &data) {
            for m in matches {
                assert!(m.offset <= data.len(), "offset past the end in {data:?}");
                assert!(m.line >= 1);
                assert!(m.column >= 1);
            }
        }
    }
}

#[test]
fn common_config_shapes_quiet() {
    let cases = [
        (
            ".github/workflows/ci.yml",
            "steps:\n  - uses: actions/checkout@v4\n  - uses: actions/cache@v4\n    with:\n      key: ${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}\n  - run: make\n    env:\n      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n",
        ),
        (
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: postgres\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n",
        ),
        (
            "k8s/deployment.yaml",
            "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db-secret\n        key: password\n",
        ),
        (
            "src/main/resources/application.properties",
            "spring.datasource.password=${DB_PASSWORD}\nspring.datasource.username=app\n",
        ),
        (
            "app.js",
            "const apiKey = process.env.API_KEY;\nconst token = req.headers.authorization;\nthis.secretKey = secretKey;\n",
        ),
        (
            "app.py",
            "password = getpass.getpass()\ntoken = response.json()[\"access_token\"]\nSECRET_KEY = os.environ.get(\"SECRET_KEY\", \"\")\n",
        ),
        (
            "Auth.java",
            "private static final String TOKEN_HEADER = \"Authorization\";\nString password = \"\";\n",
        ),
        (
            ".pre-commit-config.yaml",
            "repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.5.0\n",
        ),
    ];
    for (path, content) in cases {
        assert_eq!(found(path, content), expect(&[]), "{path}");
    }
}

#[test]
fn common_secret_shapes_found() {
    let cases = [
        (
            "settings.py",
            "SECRET_KEY = 'django-insecure-x9#k2$mq8v!w3z@p5r7t'\n",
            "generic.secret-assignment",
        ),
        (
            "k8s/secret.yaml",
            "kind: Secret\nstringData:\n  password: Kx93ndPq21Lm\n",
            "generic.secret-assignment",
        ),
        (
            "main.tf",
            "resource \"x\" \"y\" {\n  password = \"Kx93ndPq21Lm\"\n}\n",
            "generic.secret-assignment",
        ),
        (
            "Api.java",
            "String apiKey = \"zRj9MCCpPPD8a9VKQqjW\";\n",
            "generic.secret-assignment",
        ),
        (
            "appsettings.json",
            "{\"ConnectionStrings\": {\"Default\": \"Server=db;Database=app;User Id=sa;Password=Kx93ndPq21Lm;\"}}\n",
            "generic.secret-assignment",
        ),
        (
            ".pypirc",
            "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJGYxNmVhMTlmZTQ0YTI0NTIxNjEwOTQ4MDc0MGFjMjljN2Y3ZTA2NDcAAi\n",
            "pypi.upload-token",
        ),
        (
            ".npmrc",
            "//registry.npmjs.org/:_authToken=npm_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa\n",
            "npm.access-token",
        ),
    ];
    for (path, content, rule) in cases {
        let rules: Vec<String> = found(path, content)
            .into_iter()
            .map(|(rule, _)| rule)
            .collect();
        assert_eq!(rules, [rule], "{path}");
    }
}

#[test]
fn escaped_secret_in_huge_line_found() {
    let filler: String = (0..120_000)
        .map(|i| format!("\\\"k{i}\\\": {i}, "))
        .collect();
    let line = format!("{{\"blob\": \"{{{filler}\\\"db_password\\\": \\\"Kx93ndPq21Lm\\\"}}\"}}\n");
    assert!(line.len() > 2 << 20);
    let matches = matches_of("dump.json", &line);
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(matches[0].secret.reveal(), b"Kx93ndPq21Lm");
}

#[test]
fn yaml_block_scalar_value_on_next_line() {
    let compose = "services:\n  db:\n    environment:\n      DJ_PASS: >-\n        Qm7vX2kLw9Rt\n      MYSQL_PASSWORD: |\n        Hx5kR9pLm3Vw\n";
    let matches = matches_of("docker-compose.yml", compose);
    let found: Vec<(&str, u32, &[u8])> = matches
        .iter()
        .map(|m| (&*m.rule_id, m.line, m.secret.reveal()))
        .collect();
    assert_eq!(
        found,
        [
            ("datajoint.env-password", 5, &b"Qm7vX2kLw9Rt"[..]),
            ("generic.secret-assignment", 7, &b"Hx5kR9pLm3Vw"[..]),
        ]
    );
}

#[test]
fn shell_syntax_never_captured() {
    for line in [
        "      DJ_PASS: ${DJ_PASS:?set DJ_PASS in .env}\n",
        "  - MYSQL_ROOT_PASSWORD=${DJ_PASS:-simple}\n",
        "  - MYSQL_ROOT_PASSWORD=${DJ_PASS:-password}\n",
        "DJ_PASS: >-\n",
        "DJ_PASS: |\n\nother: 1\n",
    ] {
        assert_eq!(found("docker-compose.yml", line), expect(&[]), "{line}");
    }
    assert_eq!(
        found(
            "docker-compose.yml",
            "    environment:\n      - DJ_PASS=simple\n"
        ),
        expect(&[("datajoint.env-password", 2)])
    );
}

#[test]
fn tuple_assignment_skips_user() {
    let code = "dj.config['database.user'], dj.config['database.password'] = 'alice', 'pw'\nuser, password = \"alice\", \"Kx93ndPq21Lm\"\n";
    assert_eq!(found("setup.py", code), expect(&[]));
}

#[test]
fn command_line_and_sql_passwords_found() {
    let cases = [
        (
            "backup.sh",
            "mysqldump -h db.lab.example -u root -pQm7vX2kLw9Rt lab > lab.sql\n",
            "generic.mysql-password-option",
        ),
        (
            "README.md",
            "Run `mysql -u root -pQm7vX2kLw9Rt lab`.\n",
            "generic.mysql-password-option",
        ),
        (
            "users.sql",
            "CREATE USER 'alice'@'%' IDENTIFIED BY 'Qm7vX2kLw9Rt';\n",
            "generic.sql-identified-by",
        ),
        (
            "db.py",
            "DSN = \"host=db user=alice password=Rn8vC4kXw2Mz\"\n",
            "generic.conninfo-password",
        ),
        (
            "pipeline.py",
            "import datajoint as dj\nconn = dj.conn(\"db.lab.example\", \"alice\", \"Qm7vX2kLw9Rt\")\n",
            "datajoint.conn-password",
        ),
        (
            "settings.py",
            "import os\nos.environ.setdefault(\"DJ_PASS\", \"Qm7vX2kLw9Rt\")\n",
            "datajoint.env-password",
        ),
        (
            "settings.py",
            "os.environ[\"DJ_PASS\"] = \"Qm7vX2kLw9Rt\"\n",
            "datajoint.env-password",
        ),
        (
            "datajoint.json",
            "{\"database.host\": \"db.lab.example\", \"database.password\": 83927461505}\n",
            "datajoint.config-password",
        ),
        (
            "wrap.py",
            "password = (\n    \"Hx5kR9pLm3Vw\"\n)\n",
            "generic.secret-assignment",
        ),
    ];
    for (path, content, rule) in cases {
        let rules: Vec<String> = found(path, content)
            .into_iter()
            .map(|(rule, _)| rule)
            .collect();
        assert_eq!(rules, [rule], "{path}: {content}");
    }
    assert_eq!(found("backup.sh", "mysql -u root -p lab\n"), expect(&[]));
}

#[test]
fn placeholders_matched_whole() {
    for value in ["Fakefur#2024x", "dummyQm7vX2kLw9", "Qm7vXexample9"] {
        assert_eq!(
            found(".env", format!("DJ_PASS={value}\n")),
            expect(&[("datajoint.env-password", 1), ("files.dotenv", 1)]),
            "{value}"
        );
    }
    for value in [
        "example",
        "changeme",
        "<your-password>",
        "xxxxxxxx",
        "****",
        "password_here",
        "your_password",
        "<password>",
    ] {
        assert_eq!(
            found(
                "setup.py",
                format!("dj.config['database.password'] = \"{value}\"\n")
            ),
            expect(&[]),
            "{value}"
        );
    }
}

#[test]
fn documentation_decoys_not_reported() {
    let cases = [
        (
            "api/index.html",
            "<span class=\"sd\">        key : Dict</span>\n",
        ),
        ("contribute/index.html", "<li>Non-primary key: None</li>\n"),
        (
            "CHANGELOG.md",
            "- Fix typo in `env_defaults` key: `HD5_USE_FILE_LOCKING` ->\n",
        ),
        (
            "review.md",
            "- sorting-only key: `src/spyglass/spikesorting/v2/metric_curation.py:916`\n",
        ),
        (
            "datajoint/heading.py",
            "f_keys = ddl[ddl.find('FOREIGN KEY (')+13:ddl.find(') REFERENCES')]\n",
        ),
        (
            "tests/test_cli.py",
            "\"-p PASSWORD, --password PASSWORD\\n\\\n",
        ),
        (
            "site/search/search_index.json",
            "{\"config\": {\"lang\": [\"en\"], \"separator\": \"[\\\\s\\\\-]+\"}, \"docs\": [{\"text\": \"primary_key = Electrode.primary_key\\napi_key = Kx93ndPq21Lm\"}]}\n",
        ),
    ];
    for (path, content) in cases {
        assert_eq!(found(path, content), expect(&[]), "{path}: {content}");
    }
    assert_eq!(
        found(
            ".coveralls.yml",
            "repo_token: fd0BoXG46TPReEem0uMy7BJO5j0w1MQiY\n"
        ),
        expect(&[("generic.secret-assignment", 1)])
    );
}

#[test]
fn minified_javascript_not_reported() {
    let filler = "function _(e,s,n,t,o){var r=e(1);return r.x=n}".repeat(120);
    let line = format!(
        "{filler}n.DEFAULT_SERVER_WEBSOCKET_URL=\"ws://localhost:5006/ws\",n.DEFAULT_TOKEN=\"eyJzZXNzaW9uX2lkIjogImRlZmF1bHQifQ\";{filler}\n"
    );
    assert_eq!(found("static/bokeh.min.js", &line), expect(&[]));
}

#[test]
fn allow_marker_only_in_comments() {
    let json = "{\"_note\": \"tightlip:allow\", \"database.password\": \"Qm7vX2kLw9Rt\"}\n";
    assert_eq!(
        found("datajoint.json", json),
        expect(&[("datajoint.config-password", 1)])
    );
    let commented = "DJ_PASS=Qm7vX2kLw9Rt  # tightlip:allow\nAPI_TOKEN=zRj9MCCpPPD8a9VKQqjW // tightlip:allow\n";
    let (scan, stats) = detector().scan_with_stats(BStr::new("deploy.sh"), commented.as_bytes());
    let BlobScan::Scanned(matches) = scan else {
        panic!("deploy.sh skipped");
    };
    assert!(matches.is_empty(), "{matches:?}");
    assert_eq!(stats.suppressed, 2);
}

#[test]
fn json_escaped_secret_same_fingerprint() {
    let plain = matches_of("a.json", "{\"api_token\": \"Qm7vXb2kLw9Rt4Zp\"}\n");
    let escaped = matches_of("b.json", r#"{"api_token": "Qm7v\u0058b2kLw9Rt4Zp"}"#);
    assert_eq!(plain.len(), 1);
    assert_eq!(escaped.len(), 1);
    assert_eq!(plain[0].fingerprint, escaped[0].fingerprint);
}

#[test]
fn repeated_keywords_scan_linearly() {
    let started = std::time::Instant::now();
    let assignments = "password=".repeat(500_000);
    matches_of("a.txt", &assignments);
    let headers = "-----BEGIN PRIVATE KEY-----\nUctOiCalYTMveTtJI1wvm58GOxkCegdN0UrWaSc+xxNBtOs2WkK0XEEGcRRNPMQ\n".repeat(50_000);
    matches_of("b.txt", &headers);
    // Quadratic rescans took over a minute here in a debug build; a linear
    // scan takes a few seconds even on a busy machine.
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}
