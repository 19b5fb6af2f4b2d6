//! Detector behaviour on less common but valid spellings of known
//! credentials: JSON laid out over several lines, other shell syntaxes,
//! other quoting styles and other encodings of line breaks.

use std::sync::OnceLock;

use bstr::BStr;
use tightlip::detect::{BlobScan, Detector, DetectorOptions};
use tightlip::finding::MatchKind;

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR
        .get_or_init(|| Detector::new(DetectorOptions::default()).expect("built-in rules build"))
}

/// Returns (rule id, line) of every content match, in line order.
fn content(path: &str, data: &str) -> Vec<(String, u32)> {
    let mut matches = match detector().scan(BStr::new(path), data.as_bytes()) {
        BlobScan::Scanned(matches) => matches,
        BlobScan::Skipped(reason) => panic!("{path} skipped: {reason}"),
    };
    matches.retain(|m| m.kind == MatchKind::Content);
    matches.sort_by_key(|m| (m.line, m.column));
    matches
        .into_iter()
        .map(|m| (m.rule_id.to_string(), m.line))
        .collect()
}

fn one(rule: &str, line: u32) -> Vec<(String, u32)> {
    vec![(rule.to_string(), line)]
}

#[test]
fn dj_config_newline_before_colon() {
    let data = "{\n    \"database.host\": \"db.example.net\",\n    \"database.password\"\n        : \"abc123\"\n}\n";
    let found = content("dj_local_conf.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "datajoint.config-password");
}

#[test]
fn dj_config_newline_after_colon() {
    let data = "{\n    \"database.host\": \"db.example.net\",\n    \"database.password\":\n        \"abc124\"\n}\n";
    let found = content("dj_local_conf.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "datajoint.config-password");
}

#[test]
fn dj_config_nested_value_next_line() {
    let data = "{\n  \"loglevel\": \"INFO\",\n  \"database\": {\n    \"password\":\n      \"Nested-Split-77\",\n    \"host\": \"db.example.org\"\n  }\n}\n";
    let found = content("datajoint.json", data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "datajoint.config-password");
}

#[test]
fn dj_config_nested_key_newline_before_colon() {
    let data = "{\n  \"database\"\n  : {\n    \"password\"\n    : \"Nested-Split-78\"\n  }\n}\n";
    let found = content("datajoint.json", data);
    assert_eq!(found, one("datajoint.config-password", 5));
}
