//! `tightlip history`: scan every commit reachable from any ref.

use std::io::Write;
use std::path::Path;

use bstr::ByteSlice;
use serde_json::{Value, json};

use crate::cli::{Format, GlobalArgs};
use crate::detect::{Detector, DetectorOptions};
use crate::finding::{Finding, Location, Report};
use crate::source::history::{HistoryOptions, scan_history};

/// Runs a history scan and prints the report. Returns 0 when nothing was
/// found, 1 with findings, 2 when the scan could not run.
pub fn run(
    global: &GlobalArgs,
    path: &Path,
    options: HistoryOptions,
    max_size: u64,
) -> anyhow::Result<u8> {
    let detector = Detector::new(DetectorOptions { max_size })?;
    let report = match scan_history(path, &detector, &options) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    // NOTE: a stand-in printer until the shared report writers cover
    // history reports; it prints JSON for `--format json`/`jsonl` and
    // one line per location otherwise.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match global.format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer_pretty(&mut out, &to_json(&report, global.show_secrets))?;
            writeln!(out)?;
        }
        Format::Human => write_human(&mut out, &report, global.show_secrets)?,
    }
    out.flush()?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}

fn location_json(location: &Location) -> Value {
    json!({
        "path": location.path.to_str_lossy(),
        "line": location.line,
        "column": location.column,
        "commit": location.commit.as_ref().map(|c| json!({
            "id": c.id, "author": c.author, "email": c.email, "date": c.date,
        })),
        "blob": location.blob,
        "refs": location.refs,
        "in_head": location.in_head,
    })
}

fn finding_json(finding: &Finding, show_secrets: bool) -> Value {
    let secret = if show_secrets {
        finding.secret.reveal().to_str_lossy().into_owned()
    } else {
        finding.secret.redacted()
    };
    json!({
        "rule_id": &*finding.rule_id,
        "description": &*finding.description,
        "severity": finding.severity,
        "kind": finding.kind,
        "secret": secret,
        "fingerprint": finding.fingerprint,
        "locations": finding.locations.iter().map(location_json).collect::<Vec<_>>(),
    })
}

fn to_json(report: &Report, show_secrets: bool) -> Value {
    json!({
        "command": report.command,
        "findings": report.findings.iter().map(|f| finding_json(f, show_secrets)).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|s| json!({
            "path": s.path.to_str_lossy(),
            "blob": s.blob,
            "commit": s.commit,
            "reason": s.reason,
        })).collect::<Vec<_>>(),
        "warnings": report.warnings,
        "stats": report.stats,
    })
}

fn write_human(out: &mut impl Write, report: &Report, show_secrets: bool) -> std::io::Result<()> {
    for finding in &report.findings {
        let secret = if show_secrets {
            finding.secret.reveal().to_str_lossy().into_owned()
        } else {
            finding.secret.redacted()
        };
        writeln!(out, "{} [{}] {}", finding.rule_id, finding.severity, secret)?;
        for location in &finding.locations {
            let commit = location
                .commit
                .as_ref()
                .map(|c| c.id.as_str())
                .unwrap_or("-");
            writeln!(
                out,
                "  {}:{}:{} in {commit}",
                location.path, location.line, location.column
            )?;
        }
    }
    for skipped in &report.skipped {
        writeln!(out, "skipped {}: {}", skipped.path, skipped.reason)?;
    }
    writeln!(
        out,
        "{} findings; {} blobs ({} bytes) in {} commits scanned",
        report.findings.len(),
        report.stats.blobs_scanned,
        report.stats.bytes_scanned,
        report.stats.commits
    )
}
