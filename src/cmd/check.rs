//! `tightlip check [PATH] [--fix]`: credential hygiene of a working tree.

use std::path::PathBuf;

use serde_json::json;

use crate::cli::{Format, GlobalArgs};
use crate::hygiene::{self, Problem};

/// Arguments of `tightlip check`.
pub struct CheckArgs {
    pub path: PathBuf,
    pub fix: bool,
}

/// Runs the checks (and, with `--fix`, the repairs); returns 1 when
/// problems remain, 0 when the tree is clean, and an error when the path
/// cannot be checked.
pub fn run(global: &GlobalArgs, args: &CheckArgs) -> anyhow::Result<u8> {
    if !args.path.exists() {
        anyhow::bail!(
            "{} does not exist; pass a directory inside a working tree",
            args.path.display()
        );
    }
    let mut problems = hygiene::try_check(&args.path)?;
    let mut changes = Vec::new();
    if args.fix && !problems.is_empty() {
        changes = hygiene::fix(&args.path, &problems)?;
        problems = hygiene::try_check(&args.path)?;
    }
    match global.format {
        // NOTE: SARIF has no place for this output, so `--format sarif` prints JSON.
        Format::Json | Format::Jsonl | Format::Sarif => {
            let value = json!({
                "problems": problems,
                "changes": changes,
                "clean": problems.is_empty(),
            });
            let text = if global.format == Format::Json {
                serde_json::to_string_pretty(&value)?
            } else {
                serde_json::to_string(&value)?
            };
            println!("{text}");
        }
        Format::Human => {
            for change in &changes {
                println!("fixed: {}: {}", change.path, change.action);
            }
            if changes.iter().any(|c| c.path == ".gitignore") {
                println!("       commit .gitignore so that every clone ignores .secrets/");
            }
            print_problems(&problems, global.quiet);
        }
    }
    Ok(u8::from(!problems.is_empty()))
}

fn print_problems(problems: &[Problem], quiet: bool) {
    if problems.is_empty() {
        if !quiet {
            println!("clean: no hygiene problems found");
        }
        return;
    }
    for problem in problems {
        println!("{:8} {}  {}", problem.severity, problem.kind, problem.path);
        println!("         {}", problem.detail);
        if let Some(remedy) = &problem.remedy {
            println!("         fix: {remedy}");
        }
    }
    println!("{} problem(s)", problems.len());
}
