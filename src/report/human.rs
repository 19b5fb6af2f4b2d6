//! Human-readable output: one block per finding, then what was skipped and
//! a summary line.

use std::io::{self, Write};

use bstr::ByteSlice;

use super::WriteOptions;
use crate::finding::{Finding, Location, MatchKind, Report, Severity, SkipReason};

/// Maximum number of extra locations printed under one finding.
const MAX_LOCATIONS_SHOWN: usize = 10;

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub struct HumanStyle {
    pub color: bool,
}

impl HumanStyle {
    fn severity(self, severity: Severity) -> String {
        if !self.color {
            return format!("{severity:<8}");
        }
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        format!("\x1b[{code}m{severity:<8}\x1b[0m")
    }

    fn bold(self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub(super) fn write(
    report: &Report,
    options: &WriteOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = HumanStyle {
        color: options.color,
    };
    for finding in &report.findings {
        write_finding(finding, options, style, out)?;
    }
    for warning in &report.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    if !options.quiet {
        if !report.findings.is_empty() {
            writeln!(
                out,
                "To accept a reviewed finding, add its fingerprint (optionally followed by one \
                 space and the path) to .tightlipignore, or put tightlip:allow in a comment on \
                 its line."
            )?;
        }
        write_skipped(report, out)?;
        write_summary(report, out)?;
    } else if !report.skipped.is_empty() {
        // Quiet output still reports that the scan was incomplete.
        writeln!(
            out,
            "skipped {} files or blobs (run without -q to list them)",
            report.skipped.len()
        )?;
    }
    Ok(())
}

fn write_finding(
    finding: &Finding,
    options: &WriteOptions,
    style: HumanStyle,
    out: &mut dyn Write,
) -> io::Result<()> {
    let first = &finding.locations[0];
    writeln!(
        out,
        "{} {}  {}",
        style.severity(finding.severity),
        style.bold(&finding.rule_id),
        finding.description
    )?;
    writeln!(out, "  at {}", describe_location(first))?;
    if finding.secret.is_empty() || finding.kind == MatchKind::Path {
        // Path findings are about the whole file; hygiene problems carry
        // no value at all.
    } else if options.show_secrets {
        writeln!(out, "  secret: {}", finding.secret.reveal().to_str_lossy())?;
    } else {
        writeln!(out, "  secret: {}", finding.secret.redacted())?;
    }
    if finding.effective_config {
        writeln!(out, "  DataJoint reads this file as configuration")?;
    }
    let extra = &finding.locations[1..];
    for location in extra.iter().take(MAX_LOCATIONS_SHOWN) {
        writeln!(out, "  also {}", describe_location(location))?;
    }
    if extra.len() > MAX_LOCATIONS_SHOWN {
        writeln!(
            out,
            "  and {} more locations (--format json lists all)",
            extra.len() - MAX_LOCATIONS_SHOWN
        )?;
    }
    writeln!(out, "  fingerprint: {}", finding.fingerprint)?;
    writeln!(out)
}

/// Formats `path:line:column`, then the commit, date, author and refs.
fn describe_location(location: &Location) -> String {
    // Line 0 marks a finding about a whole file or directory.
    let mut text = if location.line == 0 {
        display_path(&location.path)
    } else {
        format!(
            "{}:{}:{}",
            display_path(&location.path),
            location.line,
            location.column
        )
    };
    if let Some(commit) = &location.commit {
        let short = &commit.id[..commit.id.len().min(12)];
        let day = &commit.date[..commit.date.len().min(10)];
        text.push_str(&format!("  commit {short} ({day}, {})", commit.author));
    }
    if location.in_head == Some(true) {
        text.push_str("  still in HEAD");
    }
    // A ref that points straight at a tree or blob gives a location with
    // refs but no commit.
    if !location.refs.is_empty() {
        text.push_str(&format!("  refs: {}", location.refs.join(", ")));
    }
    text
}

/// Returns the path as is when it is printable UTF-8 without spaces or
/// quotes; otherwise quoted, with control characters and invalid bytes
/// escaped the way Rust escapes strings (`\n`, `\t`, `\xNN`).
pub fn display_path(path: &[u8]) -> String {
    let plain = match path.to_str() {
        Ok(text) => !text
            .chars()
            .any(|c| c.is_control() || c == ' ' || c == '"' || c == '\\'),
        Err(_) => false,
    };
    if plain {
        return path.to_str_lossy().into_owned();
    }
    let mut quoted = String::from("\"");
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                c if c.is_control() => quoted.extend(c.escape_default()),
                c => quoted.push(c),
            }
        }
        for byte in chunk.invalid() {
            quoted.push_str(&format!("\\x{byte:02x}"));
        }
    }
    quoted.push('"');
    quoted
}

fn write_skipped(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.skipped.is_empty() {
        return Ok(());
    }
    writeln!(out, "skipped {} files or blobs:", report.skipped.len())?;
    for skipped in &report.skipped {
        let mut line = format!("  {}", display_path(&skipped.path));
        if let Some(commit) = &skipped.commit {
            line.push_str(&format!(" (commit {})", &commit[..commit.len().min(12)]));
        } else if let Some(blob) = &skipped.blob {
            line.push_str(&format!(" (blob {})", &blob[..blob.len().min(12)]));
        }
        let reason = match &skipped.reason {
            SkipReason::Binary => "binary".to_string(),
            other => other.to_string(),
        };
        writeln!(out, "{line}: {reason}")?;
    }
    Ok(())
}

fn write_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let stats = &report.stats;
    let mut counts = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count();
        if n > 0 {
            counts.push(format!("{n} {severity}"));
        }
    }
    let found = match report.findings.len() {
        0 => "no secrets found".to_string(),
        1 => format!("1 finding ({})", counts.join(", ")),
        n => format!("{n} findings ({})", counts.join(", ")),
    };
    let unit = if report.command == "history" {
        "unique blobs"
    } else {
        "files"
    };
    let mut line = format!(
        "{found}; scanned {} {unit} ({} bytes)",
        stats.blobs_scanned, stats.bytes_scanned
    );
    if stats.commits > 0 {
        line.push_str(&format!(" in {} commits", stats.commits));
    }
    if stats.skipped > 0 {
        line.push_str(&format!(", skipped {}", stats.skipped));
    }
    if stats.ignored > 0 {
        line.push_str(&format!(", {} ignored by .tightlipignore", stats.ignored));
    }
    line.push_str(&format!(", {} ms", stats.elapsed_ms));
    writeln!(out, "{line}")
}

#[cfg(test)]
mod tests {
    use super::display_path;

    #[test]
    fn plain_path_unquoted() {
        assert_eq!(display_path(b"src/main.rs"), "src/main.rs");
    }

    #[test]
    fn path_with_space_quoted() {
        assert_eq!(display_path(b"secret file.env"), "\"secret file.env\"");
    }

    #[test]
    fn path_with_newline_escaped() {
        assert_eq!(display_path(b"a\nb"), "\"a\\nb\"");
    }

    #[test]
    fn invalid_utf8_escaped() {
        assert_eq!(display_path(b"caf\xe9.txt"), "\"caf\\xe9.txt\"");
    }

    #[test]
    fn unicode_path_unquoted() {
        assert_eq!(display_path("ünïcode.txt".as_bytes()), "ünïcode.txt");
    }
}
