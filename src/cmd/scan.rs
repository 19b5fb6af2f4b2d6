//! `tightlip scan`: the working tree or a plain directory.

use std::path::Path;

use crate::cli::{GlobalArgs, ScanLimits};
use crate::detect::{Detector, DetectorOptions};
use crate::source::worktree::scan_worktree;

/// Scans the working tree under `path`. Inside a repository the hygiene
/// checks of `tightlip check` run too, and their problems are reported as
/// findings with rule ids `hygiene.*`.
pub fn run(path: &Path, limits: &ScanLimits, global: &GlobalArgs) -> anyhow::Result<u8> {
    let detector = Detector::new(DetectorOptions {
        max_size: limits.max_size,
    })?;
    let mut report = scan_worktree(path, &detector)?;
    let in_repo = gix::discover(path)
        .ok()
        .is_some_and(|repo| repo.workdir().is_some());
    if in_repo && path.is_dir() {
        let problems = crate::hygiene::check(path);
        report
            .findings
            .extend(problems.iter().map(|problem| problem.to_finding()));
    }
    super::emit(&report, global)
}
