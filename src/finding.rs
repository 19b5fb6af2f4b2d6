//! The finding model shared by every source and every output format.
//!
//! A detector produces [`Match`]es for one blob. The pipeline attaches
//! locations to them and groups matches of the same secret into one
//! [`Finding`]. Matched bytes live in [`Secret`], whose `Display` and `Debug`
//! print only a redacted preview.

use std::fmt;
use std::sync::Arc;

use bstr::{BString, ByteSlice};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Urgency of a finding, lowest first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Returns the next level up, saturating at `Critical`.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Matched secret bytes.
///
/// `Display` and `Debug` print only [`Secret::redacted`]: at most the public
/// prefix that the rule declares (such as `ghp_` or `AKIA`) and the length.
/// [`Secret::reveal`] is the only way to the bytes, and callers use it only
/// when the user passed `--show-secrets`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret {
    bytes: Box<[u8]>,
    public_prefix_len: usize,
}

impl Secret {
    /// Wraps `bytes`; the first `public_prefix_len` bytes may be shown.
    pub fn new(bytes: &[u8], public_prefix_len: usize) -> Secret {
        Secret {
            public_prefix_len: public_prefix_len.min(bytes.len() / 2),
            bytes: bytes.into(),
        }
    }

    /// Returns the secret bytes in clear. Only for `--show-secrets`.
    pub fn reveal(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Returns a preview such as `ghp_… (40 bytes)` that never contains
    /// more than the declared public prefix, or `(no value)` for an empty
    /// secret (a path finding has no value).
    pub fn redacted(&self) -> String {
        if self.bytes.is_empty() {
            return "(no value)".to_string();
        }
        let prefix = self.bytes[..self.public_prefix_len].to_str_lossy();
        format!("{prefix}… ({} bytes)", self.bytes.len())
    }

    /// Returns a stable hex fingerprint of the secret bytes: the first 16
    /// bytes of SHA-256 over a domain tag and the value. Baselines and
    /// ignore files store this, never the value.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&[b"tightlip-secret-v1\0", &self.bytes])
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// Hex of the first 16 bytes of SHA-256 over the concatenated parts.
pub fn fingerprint_of(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// Whether a rule matched the content of a blob or only its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    Content,
    Path,
}

/// One rule match inside one blob.
#[derive(Clone, Debug)]
pub struct Match {
    pub rule_id: Arc<str>,
    pub description: Arc<str>,
    pub severity: Severity,
    pub kind: MatchKind,
    /// 1-based line of the match start in the blob as stored.
    pub line: u32,
    /// 1-based column, counted in bytes of that line.
    pub column: u32,
    /// Byte offset of the match start in the blob as stored.
    pub offset: usize,
    pub secret: Secret,
    /// Groups matches of the same secret into one finding. For content
    /// matches it is [`Secret::fingerprint`]; for path matches it covers
    /// the rule and the path, so every version of one file is one finding.
    pub fingerprint: String,
}

/// The commit that introduced a blob at a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author time as RFC 3339 in UTC.
    pub date: String,
    /// Author time in seconds since the Unix epoch, for sorting.
    #[serde(skip)]
    pub time: i64,
}

/// A place where a secret was seen.
#[derive(Clone, Debug)]
pub struct Location {
    /// Repository-relative path as raw bytes (git paths need not be UTF-8).
    pub path: BString,
    pub line: u32,
    pub column: u32,
    pub commit: Option<CommitInfo>,
    /// Blob id, when the content came from the object database or index.
    pub blob: Option<String>,
    /// Refs that reach `commit`, for history findings.
    pub refs: Vec<String>,
    /// Whether the file at this path in the checked-out tree still contains
    /// the secret (history findings only; `None` when not computed).
    pub in_head: Option<bool>,
}

impl Finding {
    /// Returns the preview reports show: the secret's redacted form for
    /// content findings, and `(whole file)` for path findings, whose
    /// "secret" is the file itself.
    pub fn preview(&self) -> String {
        match self.kind {
            MatchKind::Path => "(whole file)".to_string(),
            MatchKind::Content => self.secret.redacted(),
        }
    }
}

/// One distinct secret and every place it was seen, first place first.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule_id: Arc<str>,
    pub description: Arc<str>,
    pub severity: Severity,
    pub kind: MatchKind,
    pub secret: Secret,
    pub fingerprint: String,
    pub locations: Vec<Location>,
    /// Set when one of the locations is a file DataJoint would read as
    /// configuration; severity is then raised by one level.
    pub effective_config: bool,
}

/// Reason a file or blob was not scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Larger than the size limit.
    TooLarge { size: u64, limit: u64 },
    /// Content looks binary (NUL bytes or undecodable).
    Binary,
    /// Reading the file or object failed.
    Unreadable { error: String },
    /// An object that history or the index names is not in the object
    /// database.
    MissingObject,
    /// An object whose stored bytes fail their check (a hash or CRC32
    /// mismatch, or data that does not decompress).
    CorruptObject,
    /// A submodule entry (a commit of another repository).
    Submodule,
    /// A symbolic link; git stores only its target path, not the content.
    Symlink,
    /// A FIFO, socket or device node in the working tree.
    SpecialFile,
    /// A directory holding its own `.git`: a nested repository whose files
    /// the outer repository does not commit.
    NestedRepository,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLarge { size, limit } => {
                write!(f, "too large ({size} bytes, limit {limit})")
            }
            SkipReason::Binary => f.write_str("binary"),
            SkipReason::Unreadable { error } => write!(f, "unreadable: {error}"),
            SkipReason::MissingObject => f.write_str("object missing from the repository"),
            SkipReason::CorruptObject => f.write_str("corrupt object"),
            SkipReason::Submodule => f.write_str("submodule"),
            SkipReason::Symlink => f.write_str("symbolic link"),
            SkipReason::SpecialFile => f.write_str("not a regular file"),
            SkipReason::NestedRepository => f.write_str("nested repository"),
        }
    }
}

/// A file or blob that was not scanned, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub path: BString,
    pub blob: Option<String>,
    pub commit: Option<String>,
    pub reason: SkipReason,
}

/// Counters for the `stats` object of a report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Files (working tree, index) or unique blobs (history) scanned.
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub commits: u64,
    pub refs: u64,
    pub skipped: u64,
    /// Locations removed because `.tightlipignore` lists their fingerprint.
    pub ignored: u64,
    pub elapsed_ms: u64,
    /// True when the repository is a shallow clone, so history is cut off.
    pub history_truncated: bool,
}

/// The result of one scan, ready for any output format.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Name of the job that produced it: `scan`, `history`, `staged`,
    /// `pre-push`.
    pub command: String,
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Conditions the user must know about (truncated history, unreadable
    /// refs) that did not stop the scan.
    pub warnings: Vec<String>,
    pub stats: Stats,
    /// Top of the repository or scanned directory, where `.tightlipignore`
    /// is looked up; `None` when there is no such place.
    pub root: Option<std::path::PathBuf>,
}

/// Groups matches of the same secret into findings.
///
/// Matches with the same fingerprint become one finding whose first
/// location is the earliest: the oldest commit time first, then path,
/// line and column. The highest severity among the matches wins.
/// Findings are ordered by their first location.
pub fn group_matches(matches: Vec<(Match, Location)>) -> Vec<Finding> {
    use std::collections::HashMap;

    let mut by_fingerprint: HashMap<String, Finding> = HashMap::new();
    for (m, location) in matches {
        let entry = by_fingerprint
            .entry(m.fingerprint.clone())
            .or_insert_with(|| Finding {
                rule_id: m.rule_id.clone(),
                description: m.description.clone(),
                severity: m.severity,
                kind: m.kind,
                secret: m.secret.clone(),
                fingerprint: m.fingerprint.clone(),
                locations: Vec::new(),
                effective_config: false,
            });
        if m.severity > entry.severity {
            entry.severity = m.severity;
            entry.rule_id = m.rule_id.clone();
            entry.description = m.description.clone();
        }
        entry.locations.push(location);
    }

    let mut findings: Vec<Finding> = by_fingerprint.into_values().collect();
    for finding in &mut findings {
        finding.locations.sort_by(location_order);
        finding.locations.dedup_by(|a, b| {
            a.path == b.path && a.line == b.line && a.column == b.column && a.commit == b.commit
        });
    }
    findings.sort_by(|a, b| location_order(&a.locations[0], &b.locations[0]));
    findings
}

fn location_order(a: &Location, b: &Location) -> std::cmp::Ordering {
    let time = |l: &Location| l.commit.as_ref().map(|c| c.time).unwrap_or(i64::MIN);
    time(a)
        .cmp(&time(b))
        .then_with(|| a.path.cmp(&b.path))
        .then_with(|| a.line.cmp(&b.line))
        .then_with(|| a.column.cmp(&b.column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_display_is_redacted() {
        let secret = Secret::new(b"ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa", 4);
        assert_eq!(secret.to_string(), "ghp_… (40 bytes)");
        assert!(!format!("{secret:?}").contains("4VOh"));
    }

    #[test]
    fn secret_prefix_capped_at_half() {
        let secret = Secret::new(b"abcd", 4);
        assert_eq!(secret.redacted(), "ab… (4 bytes)");
    }

    #[test]
    fn fingerprint_stable() {
        let a = Secret::new(b"value", 0).fingerprint();
        let b = Secret::new(b"value", 3).fingerprint();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }
}
