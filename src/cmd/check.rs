//! `tightlip check [PATH] [--fix]`: credential hygiene of a working tree.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use crate::cli::{Format, GlobalArgs};
use crate::finding::Report;
use crate::hygiene::{self, Problem};
use crate::report::{self, WriteOptions, display_path};

/// Arguments of `tightlip check`.
pub struct CheckArgs {
    pub path: PathBuf,
    pub fix: bool,
}

/// Runs the checks (and, with `--fix`, the repairs). Returns 1 when
/// problems remain and 0 when the tree is clean. Returns an error when the
/// path cannot be checked or the output cannot be written.
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
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match global.format {
        Format::Json | Format::Jsonl => {
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
            writeln!(out, "{text}")?;
        }
        Format::Sarif => write_sarif(&problems, global, &mut out)?,
        Format::Human => {
            for change in &changes {
                writeln!(
                    out,
                    "fixed: {}: {}",
                    display_path(change.path.as_bytes()),
                    change.action
                )?;
            }
            if changes.iter().any(|c| c.path == ".gitignore") {
                writeln!(
                    out,
                    "       commit .gitignore so that every clone ignores .secrets/"
                )?;
            }
            write_problems(&problems, global.quiet, &mut out)?;
        }
    }
    out.flush()?;
    Ok(u8::from(!problems.is_empty()))
}

/// Writes the problems as SARIF results, one per problem, through the same
/// writer as `scan`. Changes made by `--fix` are not part of SARIF output.
fn write_sarif(
    problems: &[Problem],
    global: &GlobalArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let report = Report {
        command: "check".into(),
        findings: problems.iter().map(Problem::to_finding).collect(),
        ..Report::default()
    };
    let options = WriteOptions {
        format: Format::Sarif,
        show_secrets: global.show_secrets,
        color: false,
        quiet: global.quiet,
    };
    report::write(&report, &options, out)?;
    Ok(())
}

fn write_problems(problems: &[Problem], quiet: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if problems.is_empty() {
        if !quiet {
            writeln!(out, "clean: no hygiene problems found")?;
        }
        return Ok(());
    }
    for problem in problems {
        writeln!(
            out,
            "{:8} {}  {}",
            problem.severity,
            problem.kind,
            display_path(problem.path.as_bytes())
        )?;
        writeln!(out, "         {}", escape_controls(&problem.detail))?;
        if let Some(remedy) = &problem.remedy {
            writeln!(out, "         fix: {}", escape_controls(remedy))?;
        }
    }
    if !quiet {
        writeln!(out, "{} problem(s)", problems.len())?;
    }
    Ok(())
}

/// Escapes control characters (such as a terminal escape sequence taken
/// from a file name) in a message, so that printing it cannot change the
/// terminal.
pub(crate) fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}
