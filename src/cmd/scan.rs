//! `tightlip scan`: the working tree or a plain directory.

use std::path::Path;

use bstr::ByteSlice;

use crate::cli::{GlobalArgs, ScanLimits};
use crate::detect::{Detector, DetectorOptions};
use crate::finding::{Finding, MatchKind};
use crate::source::listing::is_under;
use crate::source::worktree::scan_worktree;

/// Scans the working tree under `path`. Inside a repository the hygiene
/// checks of `tightlip check` run too, and their problems under `path` are
/// reported as findings with rule ids `hygiene.*`.
pub fn run(path: &Path, limits: &ScanLimits, global: &GlobalArgs) -> anyhow::Result<u8> {
    let detector = Detector::new(DetectorOptions {
        max_size: limits.max_size,
    })?;
    let mut report = scan_worktree(path, &detector)?;
    let workdir = gix::discover(path)
        .ok()
        .and_then(|repo| repo.workdir().and_then(|w| std::fs::canonicalize(w).ok()));
    if let (Some(workdir), true) = (workdir, path.is_dir()) {
        let scanned = std::fs::canonicalize(path)?;
        let prefix = scanned
            .strip_prefix(&workdir)
            .map(|p| p.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"))
            .unwrap_or_default();
        let problems = crate::hygiene::check(path);
        let hygiene: Vec<Finding> = problems
            .iter()
            .filter(|problem| {
                let about = problem.dir.as_deref().unwrap_or(&problem.path);
                is_under(about.as_bytes(), prefix.as_bytes())
            })
            .map(|problem| problem.to_finding())
            .filter(|finding| !repeats_path_finding(finding, &report.findings))
            .collect();
        report.findings.extend(hygiene);
    }
    report.stats.ignored += detector.suppressed();
    super::emit(&report, global)
}

/// Returns true when a "git tracks this file" hygiene finding only repeats
/// a path rule's finding for the same file (a committed `.env`, a file
/// under `.secrets/`).
fn repeats_path_finding(hygiene: &Finding, findings: &[Finding]) -> bool {
    let path = &hygiene.locations[0].path;
    hygiene.rule_id.ends_with("-tracked")
        && findings.iter().any(|f| {
            f.kind == MatchKind::Path
                && f.locations
                    .iter()
                    .any(|l| l.path.as_bytes() == path.as_bytes())
        })
}
