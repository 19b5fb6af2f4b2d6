//! The detector: runs the rules over one blob's bytes and returns matches.

use bstr::BStr;

use crate::finding::{Match, SkipReason};

/// Default size limit for one file or blob, in bytes.
pub const DEFAULT_MAX_SIZE: u64 = 5 * 1024 * 1024;

/// Settings that apply to every blob a detector scans.
#[derive(Clone, Debug)]
pub struct DetectorOptions {
    /// Blobs larger than this are skipped and reported as skipped.
    pub max_size: u64,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        DetectorOptions {
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

/// The outcome of scanning one blob.
#[derive(Debug)]
pub enum BlobScan {
    /// The blob was scanned; the list may be empty.
    Scanned(Vec<Match>),
    Skipped(SkipReason),
}

/// Compiled rules, shared read-only across threads.
pub struct Detector {
    options: DetectorOptions,
}

impl Detector {
    /// Builds a detector from the built-in rules.
    pub fn new(options: DetectorOptions) -> anyhow::Result<Detector> {
        Ok(Detector { options })
    }

    pub fn options(&self) -> &DetectorOptions {
        &self.options
    }

    /// Scans one blob. `path` is repository-relative and may be any bytes.
    pub fn scan(&self, path: &BStr, data: &[u8]) -> BlobScan {
        let _ = path;
        if data.len() as u64 > self.options.max_size {
            return BlobScan::Skipped(SkipReason::TooLarge {
                size: data.len() as u64,
                limit: self.options.max_size,
            });
        }
        BlobScan::Scanned(Vec::new())
    }
}
