//! Line-level attribution shared by the staged and pre-push sources: which
//! lines of a new blob a change adds, and which matches fall on them.

use bstr::BStr;

use gix::diff::blob::{Algorithm, Diff, InternedInput, sources::byte_lines};

use crate::detect::{BlobScan, Detector};
use crate::finding::{Match, MatchKind, SkipReason};

/// For each line of a new blob, whether a change adds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedLines {
    /// Indexed by 0-based line number.
    added: Vec<bool>,
}

impl AddedLines {
    /// Marks every line of `new` as added, as for a file with no previous
    /// version.
    pub fn all(new: &[u8]) -> AddedLines {
        AddedLines {
            added: vec![true; line_count(new)],
        }
    }

    /// Diffs `old` against `new` line by line (histogram algorithm, as
    /// `git diff --histogram`) and marks the lines of `new` that the diff
    /// inserts.
    pub fn between(old: &[u8], new: &[u8]) -> AddedLines {
        let input = InternedInput::new(byte_lines(old), byte_lines(new));
        let diff = Diff::compute(Algorithm::Histogram, &input);
        let added = (0..input.after.len() as u32)
            .map(|line| diff.is_added(line))
            .collect();
        AddedLines { added }
    }

    /// Keeps only lines that both sets mark as added. A merge adds a line
    /// only when the line is new relative to every parent.
    pub fn intersect(&mut self, other: &AddedLines) {
        for (mine, theirs) in self.added.iter_mut().zip(&other.added) {
            *mine &= *theirs;
        }
    }

    pub fn any(&self) -> bool {
        self.added.iter().any(|added| *added)
    }

    /// Returns whether any line in `first..=last` (1-based) is added.
    pub fn any_in(&self, first: u32, last: u32) -> bool {
        let start = (first.max(1) - 1) as usize;
        let end = (last as usize).min(self.added.len());
        start < end && self.added[start..end].iter().any(|added| *added)
    }
}

fn line_count(data: &[u8]) -> usize {
    let newlines = memchr::memchr_iter(b'\n', data).count();
    if data.last().is_some_and(|last| *last != b'\n') {
        newlines + 1
    } else {
        newlines
    }
}

/// Returns whether `m` should be reported for a change that adds `added`.
/// Path matches are kept whenever the file is part of the change. A
/// content match is kept when any line it spans is added.
pub fn is_on_added_line(m: &Match, added: &AddedLines) -> bool {
    match m.kind {
        MatchKind::Path => true,
        MatchKind::Content => {
            let extra_lines = memchr::memchr_iter(b'\n', m.secret.reveal()).count() as u32;
            added.any_in(m.line, m.line.saturating_add(extra_lines))
        }
    }
}

/// The result of scanning one new blob version.
pub enum BlobOutcome {
    Matches(Vec<Match>),
    Skipped(SkipReason),
}

/// Scans `data` at `path` and returns the matches on lines that are new
/// relative to every blob in `previous` (all lines when `previous` is
/// empty or contains `None`, which stands for "no previous version").
pub fn scan_added(
    detector: &Detector,
    path: &BStr,
    data: &[u8],
    previous: &[Option<&[u8]>],
) -> BlobOutcome {
    match detector.scan(path, data) {
        BlobScan::Skipped(reason) => BlobOutcome::Skipped(reason),
        BlobScan::Scanned(matches) => BlobOutcome::Matches(filter_added(matches, data, previous)),
    }
}

/// Keeps the matches of one blob that lie on lines new relative to every
/// blob in `previous`.
pub fn filter_added(matches: Vec<Match>, data: &[u8], previous: &[Option<&[u8]>]) -> Vec<Match> {
    let has_content_match = matches.iter().any(|m| m.kind == MatchKind::Content);
    if !has_content_match {
        return matches;
    }
    let added = added_relative_to_all(data, previous);
    matches
        .into_iter()
        .filter(|m| is_on_added_line(m, &added))
        .collect()
}

fn added_relative_to_all(data: &[u8], previous: &[Option<&[u8]>]) -> AddedLines {
    let mut added = AddedLines::all(data);
    for old in previous.iter().flatten() {
        added.intersect(&AddedLines::between(old, data));
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_insertion() {
        let added = AddedLines::between(b"a\nb\n", b"a\nsecret\nb\n");
        assert!(!added.any_in(1, 1));
        assert!(added.any_in(2, 2));
        assert!(!added.any_in(3, 3));
    }

    #[test]
    fn added_lines_modified_last_line() {
        let added = AddedLines::between(b"a\nb", b"a\nb2");
        assert!(!added.any_in(1, 1));
        assert!(added.any_in(2, 2));
    }

    #[test]
    fn added_lines_all_without_newline() {
        let added = AddedLines::all(b"one\ntwo");
        assert!(added.any_in(2, 2));
        assert!(!added.any_in(3, 3));
    }

    #[test]
    fn added_lines_intersect_merge() {
        let mut added = AddedLines::between(b"base\nours\n", b"base\nours\ntheirs\n");
        added.intersect(&AddedLines::between(
            b"base\ntheirs\n",
            b"base\nours\ntheirs\n",
        ));
        assert!(!added.any());
    }

    #[test]
    fn added_lines_span_covers_multiline() {
        let added = AddedLines::between(b"a\nb\nc\n", b"a\nb\nc\nd\n");
        assert!(added.any_in(2, 4));
        assert!(!added.any_in(1, 3));
    }
}
