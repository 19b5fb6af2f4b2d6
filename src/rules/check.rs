//! Validation of a rule set: what `tightlip rules check` and the rule tests
//! run over the built-in rules.

use std::collections::HashSet;
use std::fmt;

use bstr::BStr;

use super::{Rule, RuleKind};
use crate::detect::{BlobScan, Detector, DetectorOptions, compile_pattern};

/// One defect in a rule set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub rule_id: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule_id, self.message)
    }
}

/// Path under which content examples are scanned when a rule names none.
const DEFAULT_EXAMPLE_PATH: &str = "example.txt";

/// Checks `rules` and returns every problem found: duplicate or malformed
/// ids, missing keywords, patterns that do not compile or have no secret
/// group, examples that do not match, negative examples that do, and a set
/// that does not compile together.
pub fn check(rules: &[Rule]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for rule in rules {
        let mut problem = |message: String| {
            problems.push(Problem {
                rule_id: rule.id.clone(),
                message,
            })
        };
        if !seen.insert(rule.id.as_str()) {
            problem("duplicate id".to_string());
        }
        if !is_valid_id(&rule.id) {
            problem("id must be lower-case dotted words such as `aws.access-key-id`".to_string());
        }
        match rule.kind {
            RuleKind::Content => {
                if rule.keywords.is_empty() || rule.keywords.iter().any(String::is_empty) {
                    problem("content rule needs non-empty keywords".to_string());
                }
                match &rule.pattern {
                    None => problem("content rule has no pattern".to_string()),
                    Some(pattern) => {
                        if let Err(error) = compile_pattern(pattern) {
                            problem(format!("invalid pattern: {error}"));
                        }
                    }
                }
            }
            RuleKind::Path => {
                if rule.paths.include.is_empty() && rule.paths.include_globs.is_empty() {
                    problem("path rule needs an include condition".to_string());
                }
                if rule.pattern.is_some() {
                    problem("path rule must not have a pattern".to_string());
                }
            }
        }
        if rule.examples.is_empty() {
            problem("rule has no examples".to_string());
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    for rule in rules {
        problems.extend(check_examples(rule));
    }
    problems.extend(check_together(rules));
    problems
}

fn is_valid_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|part| {
            part.starts_with(|c: char| c.is_ascii_lowercase())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Runs a detector holding only `rule` over each example and negative
/// example.
fn check_examples(rule: &Rule) -> Vec<Problem> {
    let mut problems = Vec::new();
    let detector = match Detector::with_rules(vec![rule.clone()], DetectorOptions::default()) {
        Ok(detector) => detector,
        Err(error) => {
            return vec![Problem {
                rule_id: rule.id.clone(),
                message: format!("cannot build a detector: {error}"),
            }];
        }
    };
    let fires = |example: &str| -> bool {
        let (path, content) = match rule.kind {
            RuleKind::Content => (
                rule.example_path.as_deref().unwrap_or(DEFAULT_EXAMPLE_PATH),
                example.as_bytes(),
            ),
            RuleKind::Path => (
                example,
                rule.example_content.as_deref().unwrap_or("x\n").as_bytes(),
            ),
        };
        match detector.scan(BStr::new(path), content) {
            BlobScan::Scanned(matches) => matches.iter().any(|m| *m.rule_id == *rule.id),
            BlobScan::Skipped(_) => false,
        }
    };
    for (number, example) in rule.examples.iter().enumerate() {
        if !fires(example) {
            problems.push(Problem {
                rule_id: rule.id.clone(),
                message: format!("example {} does not match", number + 1),
            });
        }
    }
    for (number, example) in rule.negative_examples.iter().enumerate() {
        if fires(example) {
            problems.push(Problem {
                rule_id: rule.id.clone(),
                message: format!("negative example {} matches", number + 1),
            });
        }
    }
    problems
}

/// Builds one detector over all rules and compiles every matcher in it.
fn check_together(rules: &[Rule]) -> Vec<Problem> {
    match Detector::with_rules(rules.to_vec(), DetectorOptions::default()) {
        Ok(detector) => detector
            .compile_all()
            .into_iter()
            .map(|(rule_id, error)| Problem {
                rule_id,
                message: format!("does not compile in the full set: {error}"),
            })
            .collect(),
        Err(error) => vec![Problem {
            rule_id: "*".to_string(),
            message: format!("the rule set does not build: {error}"),
        }],
    }
}
