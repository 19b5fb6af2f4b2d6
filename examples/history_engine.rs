//! Times `scan_history` with `decode_only`, which isolates the cost of
//! reading history (decoding, diffing, attribution) from the detector's.
//!
//! Usage: cargo run --release --example history_engine -- REPO

use std::time::Instant;

use tightlip::detect::{Detector, DetectorOptions};
use tightlip::source::history::{HistoryOptions, scan_history};

fn main() -> anyhow::Result<()> {
    let repo = std::env::args_os()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: history_engine REPO"))?;
    let detector = Detector::new(DetectorOptions::default())?;
    let options = HistoryOptions {
        decode_only: true,
        ..HistoryOptions::default()
    };
    let started = Instant::now();
    let report = scan_history(repo.as_ref(), &detector, &options)?;
    let stats = &report.stats;
    println!(
        "{} blobs ({} bytes) in {} commits from {} refs in {:.3} s",
        stats.blobs_scanned,
        stats.bytes_scanned,
        stats.commits,
        stats.refs,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
