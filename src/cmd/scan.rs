//! `tightlip scan`: the working tree or a plain directory.

use std::path::Path;

use crate::cli::{GlobalArgs, ScanLimits};
use crate::detect::{Detector, DetectorOptions};
use crate::source::worktree::scan_worktree;

pub fn run(path: &Path, limits: &ScanLimits, global: &GlobalArgs) -> anyhow::Result<u8> {
    let detector = Detector::new(DetectorOptions {
        max_size: limits.max_size,
    })?;
    let report = scan_worktree(path, &detector)?;
    super::emit(&report, global)
}
