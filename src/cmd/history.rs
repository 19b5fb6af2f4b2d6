//! `tightlip history`: scan every commit reachable from any ref.

use std::path::Path;

use crate::cli::{GlobalArgs, ScanLimits};
use crate::detect::{Detector, DetectorOptions};
use crate::source::history::{HistoryOptions, scan_history};

/// Runs a history scan and prints the report.
pub fn run(
    global: &GlobalArgs,
    path: &Path,
    options: HistoryOptions,
    limits: &ScanLimits,
) -> anyhow::Result<u8> {
    let detector = Detector::new(DetectorOptions {
        max_size: limits.max_size,
    })?;
    let mut report = scan_history(path, &detector, &options)?;
    if let Ok(repo) = gix::discover(path) {
        crate::effective::mark_history(&mut report, &repo);
        if report.root.is_none() {
            report.root = repo.workdir().map(Path::to_path_buf);
        }
    }
    report.stats.ignored += detector.suppressed();
    let whole_history =
        options.range.is_none() && options.since_commit.is_none() && options.git_ref.is_none();
    super::emit_with(&report, global, whole_history)
}
