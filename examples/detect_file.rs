//! Scans files with the built-in rules and prints each match, redacted.
//!
//! Usage: `cargo run --release --example detect_file -- FILE...`

use bstr::BStr;
use tightlip::detect::{BlobScan, Detector, DetectorOptions};

fn main() -> anyhow::Result<()> {
    let detector = Detector::new(DetectorOptions::default())?;
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path)?;
        match detector.scan(BStr::new(&path), &data) {
            BlobScan::Scanned(matches) => {
                for m in matches {
                    println!(
                        "{path}:{}:{} {} {} {}",
                        m.line, m.column, m.rule_id, m.severity, m.secret
                    );
                }
            }
            BlobScan::Skipped(reason) => println!("{path}: skipped: {reason}"),
        }
    }
    Ok(())
}
