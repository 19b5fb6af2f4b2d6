//! `tightlip staged`: scan what the next commit would record, and explain
//! to the person committing what to do when it contains a secret.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use bstr::{BStr, ByteSlice};

use crate::cli::{Format, GlobalArgs, ScanLimits};
use crate::cmd::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::detect::{Detector, DetectorOptions};
use crate::finding::{Finding, MatchKind, Report};
use crate::ignore_file::IgnoreList;

/// Runs the scan of staged changes in the repository containing `path`.
pub fn run(global: &GlobalArgs, path: &Path, limits: &ScanLimits) -> anyhow::Result<u8> {
    let repo = match gix::discover(path) {
        Ok(repo) => repo,
        Err(error) => {
            crate::source::history::reject_sha256(path)?;
            return Err(error)
                .with_context(|| format!("{} is not inside a git repository", path.display()));
        }
    };
    if repo.workdir().is_none() {
        anyhow::bail!(
            "{} is a bare repository: it has no index to commit from; use `tightlip history` \
             to scan its commits",
            path.display()
        );
    }
    let detector = Detector::new(DetectorOptions {
        max_size: limits.max_size,
    })?;
    let mut report = crate::source::index::scan_staged(&repo, &detector)?;
    report.root = repo.workdir().map(Path::to_path_buf);
    // Severity must agree with scan and history, which raise findings in
    // files DataJoint reads as configuration.
    if !report.findings.is_empty() {
        let index = repo.index_or_empty().context("failed to read the index")?;
        let listing = crate::source::listing::index_listing(&index);
        crate::effective::mark_with_listing(&mut report, &listing);
    }

    let unborn_head = repo.head().is_ok_and(|head| head.is_unborn());
    report.stats.ignored += detector.suppressed();
    finish(report, global, Job::Commit { unborn_head })
}

/// The operation a report blocks, which decides the advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// A commit; `unborn_head` is set before the first commit, when
    /// `git restore --staged` cannot work because there is no HEAD.
    Commit {
        unborn_head: bool,
    },
    Push,
}

/// Removes findings that `.tightlipignore` lists, writes the report and
/// returns the exit code. Machine formats go through the shared report
/// writer. The human format is the blocking message below, written for the
/// person whose commit or push was stopped.
pub fn finish(mut report: Report, global: &GlobalArgs, job: Job) -> anyhow::Result<u8> {
    if global.format != Format::Human {
        return crate::cmd::emit(&report, global);
    }
    if let Some(root) = &report.root {
        let ignore = IgnoreList::load(root)?;
        report.stats.ignored += ignore.apply(&mut report).removed as u64;
    }
    let code = if report.findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = write_human(&mut out, &report, job, global.show_secrets, global.quiet);
    crate::cmd::exit_code_after_write(written, code)
}

/// Writes the human blocking message: each finding with `path:line` and a
/// redacted preview, then what to do about it. Skipped files and warnings
/// go to stderr unless `quiet` is set.
pub fn write_human(
    out: &mut dyn Write,
    report: &Report,
    job: Job,
    show_secrets: bool,
    quiet: bool,
) -> io::Result<()> {
    if !quiet {
        let mut err = io::stderr().lock();
        for warning in &report.warnings {
            writeln!(err, "tightlip: warning: {warning}")?;
        }
        for skipped in &report.skipped {
            writeln!(
                err,
                "tightlip: not scanned: {} ({})",
                display_path(skipped.path.as_bstr()),
                skipped.reason
            )?;
        }
    }
    if report.findings.is_empty() {
        return Ok(());
    }

    let operation = match job {
        Job::Commit { .. } => "this commit",
        Job::Push => "this push",
    };
    let count = report.findings.len();
    let noun = if count == 1 { "secret" } else { "secrets" };
    writeln!(
        out,
        "tightlip: blocked {operation}: it adds {count} {noun}."
    )?;
    writeln!(out)?;
    for finding in &report.findings {
        write_finding(out, finding, show_secrets)?;
    }
    writeln!(out)?;
    write_advice(out, report, job)
}

fn write_finding(out: &mut dyn Write, finding: &Finding, show_secrets: bool) -> io::Result<()> {
    let value = if show_secrets {
        finding.secret.reveal().to_str_lossy().into_owned()
    } else {
        finding.preview()
    };
    writeln!(
        out,
        "  {} [{}] {}",
        finding.severity, finding.rule_id, finding.description
    )?;
    for location in &finding.locations {
        let place = match finding.kind {
            MatchKind::Path => format!(
                "{} (the file name itself)",
                display_path(location.path.as_bstr())
            ),
            MatchKind::Content => format!(
                "{}:{}",
                display_path(location.path.as_bstr()),
                location.line
            ),
        };
        match &location.commit {
            Some(commit) => {
                let short = &commit.id[..commit.id.len().min(12)];
                writeln!(out, "    {place} in commit {short}")?;
            }
            None => writeln!(out, "    {place}")?,
        }
    }
    if finding.kind == MatchKind::Content {
        writeln!(out, "    value: {value}")?;
    }
    Ok(())
}

fn write_advice(out: &mut dyn Write, report: &Report, job: Job) -> io::Result<()> {
    let mut paths: Vec<&BStr> = report
        .findings
        .iter()
        .flat_map(|finding| &finding.locations)
        .map(|location| location.path.as_bstr())
        .collect();
    paths.sort();
    paths.dedup();
    let quoted: Vec<String> = paths.iter().map(|path| shell_quote(path)).collect();
    let quoted = quoted.join(" ");
    let has_kind = |kind: MatchKind| report.findings.iter().any(|f| f.kind == kind);

    let mut steps: Vec<String> = Vec::new();
    if has_kind(MatchKind::Content) {
        steps.push(
            "Take the value out of the file. Keep it in a file under .secrets/ \
             (listed in .gitignore) or in an environment variable, and read it from there."
                .into(),
        );
    }
    if has_kind(MatchKind::Path) {
        steps.push(
            "A file flagged by its name (such as .env or a file under .secrets/) \
             contains secrets by convention: keep it out of git by adding it to .gitignore."
                .into(),
        );
    }
    match job {
        Job::Commit { unborn_head } => {
            let command = if unborn_head {
                format!("git rm --cached -q -- {quoted}")
            } else {
                format!("git restore --staged -- {quoted}")
            };
            steps.push(format!(
                "Unstage the file, fix it, and stage it again:\n       {command}"
            ));
        }
        Job::Push => steps.push(
            "Remove the value from the commits listed above before pushing: \
             amend the last commit, or use `git rebase -i` for older ones."
                .into(),
        ),
    }
    steps.push(
        "If this value was ever pushed or shared, rotate it: revoke it where it \
         was issued and create a new one. Deleting it from git does not make it safe."
            .into(),
    );
    if has_kind(MatchKind::Content) {
        steps.push(
            "If it is not a secret, mark the line with a comment containing \
             `tightlip:allow` and stage it again, or add the finding's fingerprint \
             (shown by --format json) to .tightlipignore."
                .into(),
        );
    } else {
        steps.push(
            "If the file holds no secret, add the finding's fingerprint (shown by \
             --format json) and its path to .tightlipignore."
                .into(),
        );
    }

    writeln!(out, "What to do:")?;
    for (number, step) in steps.iter().enumerate() {
        writeln!(out, "  {}. {step}", number + 1)?;
    }
    Ok(())
}

/// Returns `path` as text for a terminal, escaped the same way as in
/// `scan` and `history` output, so two different names never print alike.
pub fn display_path(path: &BStr) -> String {
    crate::report::display_path(path.as_bytes())
}

/// Quotes `path` for a POSIX shell command line. A path that is not
/// printable UTF-8 becomes `"$(printf '...')"` with octal escapes, which
/// any POSIX shell turns back into the exact bytes.
fn shell_quote(path: &BStr) -> String {
    let printable = path
        .to_str()
        .is_ok_and(|text| !text.chars().any(char::is_control));
    if !printable {
        return printf_quote(path);
    }
    let text = path.to_str_lossy();
    let safe = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if safe && !text.is_empty() {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn printf_quote(path: &BStr) -> String {
    let mut escaped = String::new();
    for &byte in path.iter() {
        match byte {
            b'%' => escaped.push_str("%%"),
            b'\\' => escaped.push_str("\\\\"),
            b'\'' => escaped.push_str("\\047"),
            b' '..=b'~' => escaped.push(byte as char),
            _ => escaped.push_str(&format!("\\{byte:03o}")),
        }
    }
    format!("\"$(printf '{escaped}')\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_plain_path() {
        assert_eq!(shell_quote(BStr::new("src/main.rs")), "src/main.rs");
    }

    #[test]
    fn shell_quote_space_and_quote() {
        assert_eq!(shell_quote(BStr::new("it's a file")), r"'it'\''s a file'");
    }

    #[test]
    fn shell_quote_invalid_utf8() {
        let quoted = shell_quote(BStr::new(b"caf\xe9 it's 100%.txt"));
        assert_eq!(quoted, r#""$(printf 'caf\351 it\047s 100%%.txt')""#);
    }

    #[test]
    fn shell_quote_round_trips_in_sh() {
        let path: &[u8] = b"a\nb\\c\xff'd%e";
        let quoted = shell_quote(BStr::new(path));
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {quoted}"))
            .output()
            .expect("run sh");
        assert_eq!(output.stdout, path);
    }

    #[test]
    fn display_path_escapes_newline() {
        let displayed = display_path(BStr::new("a\nb"));
        assert!(!displayed.contains('\n'), "{displayed}");
    }

    #[test]
    fn display_path_keeps_unicode() {
        assert_eq!(display_path(BStr::new("ünïcode.txt")), "ünïcode.txt");
    }

    #[test]
    fn display_path_tab_differs_from_backslash_t() {
        let real_tab = display_path(BStr::new("tab\there.env"));
        let backslash_t = display_path(BStr::new("tab\\there.env"));
        assert_ne!(real_tab, backslash_t);
    }
}
