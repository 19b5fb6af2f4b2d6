//! The built-in rule set passes the rule checker, and the checker catches
//! each kind of defect.

use tightlip::rules::{self, Rule};

fn problems_of(text: &str) -> Vec<String> {
    let rules = rules::parse("test.toml", text).expect("test rules parse");
    rules::check(&rules)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn builtin_rules_pass_check() {
    let problems = rules::check(rules::builtin());
    assert!(
        problems.is_empty(),
        "problems:\n{}",
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn builtin_rules_listed_with_metadata() {
    let builtin: &[Rule] = rules::builtin();
    assert!(builtin.len() >= 10);
    for rule in builtin {
        assert!(!rule.description.is_empty(), "{}", rule.id);
    }
    for id in [
        "aws.access-key-id",
        "github.pat",
        "private-key.block",
        "datajoint.secrets-dir-file",
        "datajoint.env-password",
    ] {
        assert!(builtin.iter().any(|rule| rule.id == id), "missing {id}");
    }
}

const VALID: &str = r#"
[[rule]]
id = "test.token"
description = "Test token"
severity = "high"
keywords = ["tok_"]
pattern = '(?P<secret>tok_[a-z0-9]{8})'
examples = ["tok_abcd1234"]
negative_examples = ["tok_abc"]
"#;

#[test]
fn check_accepts_valid_rule() {
    assert_eq!(problems_of(VALID), Vec::<String>::new());
}

#[test]
fn check_rejects_duplicate_id() {
    let problems = problems_of(&format!("{VALID}{VALID}"));
    assert!(
        problems.iter().any(|p| p.contains("duplicate id")),
        "{problems:?}"
    );
}

#[test]
fn check_rejects_pattern_without_capture() {
    let problems = problems_of(&VALID.replace("(?P<secret>tok_[a-z0-9]{8})", "tok_[a-z0-9]{8}"));
    assert!(
        problems.iter().any(|p| p.contains("no capture group")),
        "{problems:?}"
    );
}

#[test]
fn check_rejects_invalid_pattern() {
    let problems = problems_of(&VALID.replace("{8})", "{8}"));
    assert!(
        problems.iter().any(|p| p.contains("invalid pattern")),
        "{problems:?}"
    );
}

#[test]
fn check_rejects_example_not_matching() {
    let problems = problems_of(&VALID.replace(
        r#"examples = ["tok_abcd1234"]"#,
        r#"examples = ["tok_ABCD1234"]"#,
    ));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("example 1 does not match")),
        "{problems:?}"
    );
}

#[test]
fn check_rejects_negative_example_matching() {
    let problems = problems_of(&VALID.replace(
        r#"negative_examples = ["tok_abc"]"#,
        r#"negative_examples = ["tok_abc12345"]"#,
    ));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("negative example 1 matches")),
        "{problems:?}"
    );
}

#[test]
fn check_rejects_example_without_keyword() {
    // The prefilter never runs the pattern on text without a keyword.
    let problems = problems_of(&VALID.replace(r#"keywords = ["tok_"]"#, r#"keywords = ["zzz"]"#));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("example 1 does not match")),
        "{problems:?}"
    );
}

#[test]
fn check_rejects_bad_path_condition() {
    let problems = problems_of(&format!("{VALID}paths = {{ include = ['(unclosed'] }}\n"));
    assert!(!problems.is_empty(), "{problems:?}");
}

#[test]
fn every_rule_file_is_builtin() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(&dir).expect("rules directory is readable") {
        let name = entry.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".toml") {
            assert!(
                rules::BUILTIN_FILES.iter().any(|(file, _)| *file == name),
                "rules/{name} is not in BUILTIN_FILES"
            );
        }
    }
}
