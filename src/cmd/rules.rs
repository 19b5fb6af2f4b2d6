//! `tightlip rules list` and `tightlip rules check`.

use std::io::Write;

use serde_json::json;

use crate::cli::{Format, GlobalArgs};
use crate::rules::{self, RuleKind};

/// Prints every built-in rule: a table for people, an array for `--format
/// json` (one object per line for `jsonl`).
pub fn list(global: &GlobalArgs) -> anyhow::Result<u8> {
    let rules = rules::builtin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let objects = rules.iter().map(|rule| {
        json!({
            "id": rule.id,
            "severity": rule.severity,
            "kind": match rule.kind { RuleKind::Content => "content", RuleKind::Path => "path" },
            "description": rule.description,
            "keywords": rule.keywords,
        })
    });
    match global.format {
        Format::Human => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for rule in rules {
                let kind = match rule.kind {
                    RuleKind::Content => "content",
                    RuleKind::Path => "path",
                };
                writeln!(
                    out,
                    "{:<width$}  {:<8}  {:<7}  {}",
                    rule.id, rule.severity, kind, rule.description
                )?;
            }
            if !global.quiet {
                writeln!(out, "{} rules", rules.len())?;
            }
        }
        Format::Json | Format::Sarif => {
            serde_json::to_writer_pretty(&mut out, &objects.collect::<Vec<_>>())?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for object in objects {
                serde_json::to_writer(&mut out, &object)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    Ok(super::EXIT_CLEAN)
}

/// Runs the rule checker over the built-in rules: every example must
/// match, no negative example may, ids must be unique and the set must
/// compile. Exits 1 when it reports a problem.
pub fn check() -> anyhow::Result<u8> {
    let problems = rules::check(rules::builtin());
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!("{} rules checked, no problems", rules::builtin().len());
        Ok(super::EXIT_CLEAN)
    } else {
        Ok(super::EXIT_FINDINGS)
    }
}
