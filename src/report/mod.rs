//! Output formats for a [`Report`]: human text, JSON, JSON Lines and SARIF.
//!
//! The JSON formats are a versioned wire format described in the README.
//! Paths are repository-relative. A path that is not valid UTF-8 is written
//! as `path` with each invalid byte replaced by U+FFFD, plus `path_bytes`
//! holding the exact bytes in standard base64; `path_bytes` is absent for
//! UTF-8 paths.

mod human;
mod json;
mod sarif;

use std::io::{self, Write};

use crate::cli::Format;
use crate::finding::Report;

pub use human::{HumanStyle, display_path};
pub use json::{SCHEMA_VERSION, report_json};

/// Settings for writing a report.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions {
    pub format: Format,
    /// Include secret values in clear (`--show-secrets`).
    pub show_secrets: bool,
    pub color: bool,
    /// Omit the summary and the skipped list from human output.
    pub quiet: bool,
}

/// Writes `report` to `out` in the requested format.
pub fn write(report: &Report, options: &WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    match options.format {
        Format::Human => human::write(report, options, out),
        Format::Json => json::write(report, options, out),
        Format::Jsonl => json::write_lines(report, options, out),
        Format::Sarif => sarif::write(report, options, out),
    }
}
