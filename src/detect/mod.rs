//! The detector: runs the rules over one blob's bytes and returns matches.
//!
//! Building a [`Detector`] parses the rule list and builds one keyword
//! automaton. Each rule's regex and path matcher compile the first time a
//! blob needs them. A scan runs the automaton over the text once, then
//! each triggered rule's regex only on a window around its keyword hits.

mod compiled;
mod engine;
mod filters;
mod keywords;
mod paths;
mod text;

use std::sync::Arc;

use bstr::BStr;
use memchr::memmem;

use crate::finding::{Match, MatchKind, Secret, SkipReason};
use crate::rules::{Rule, RuleKind};

use compiled::CompiledRule;
use engine::{Candidate, Prefilter, TextScan};
use text::{Decoded, LineCounter};

pub(crate) use compiled::compile_pattern;

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

/// Counts from one scan that a report adds to its statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Matches dropped because an allow comment marks their line.
    pub suppressed: u64,
}

/// Compiled rules, shared read-only across threads.
pub struct Detector {
    options: DetectorOptions,
    rules: Vec<CompiledRule>,
    path_rules: Vec<usize>,
    prefilter: Prefilter,
    /// Matches suppressed by inline allow comments over every scan so far.
    suppressed: std::sync::atomic::AtomicU64,
}

/// Inline comments that suppress the match starting on their line.
const ALLOW_MARKERS: [&[u8]; 2] = [b"tightlip:allow", b"gitleaks:allow"];

/// Openers of a line comment or an inline block comment in common
/// languages and config formats.
const COMMENT_OPENERS: [&[u8]; 6] = [b"#", b"//", b"/*", b"-- ", b";", b"<!--"];

impl Detector {
    /// Builds a detector from the built-in rules.
    pub fn new(options: DetectorOptions) -> anyhow::Result<Detector> {
        Detector::with_rules(crate::rules::builtin().to_vec(), options)
    }

    /// Builds a detector from `rules`.
    pub fn with_rules(rules: Vec<Rule>, options: DetectorOptions) -> anyhow::Result<Detector> {
        let rules: Vec<CompiledRule> = rules.into_iter().map(CompiledRule::new).collect();
        let path_rules = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.rule.kind == RuleKind::Path)
            .map(|(index, _)| index)
            .collect();
        let prefilter = Prefilter::build(&rules)?;
        Ok(Detector {
            options,
            rules,
            path_rules,
            prefilter,
            suppressed: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Returns the options the detector was built with.
    pub fn options(&self) -> &DetectorOptions {
        &self.options
    }

    /// Compiles every pattern and path condition now; returns the rule id
    /// and error of each one that fails.
    pub fn compile_all(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        for rule in &self.rules {
            if rule.rule.kind == RuleKind::Content
                && let Err(error) = rule.pattern()
            {
                errors.push((rule.rule.id.clone(), error.to_string()));
            }
            if let Err(error) = rule.path_filter() {
                errors.push((rule.rule.id.clone(), error.to_string()));
            }
        }
        errors
    }

    /// Scans one blob. `path` is repository-relative and may be any bytes.
    ///
    /// Path rules fire even when the content is too large or binary (a
    /// committed `.p12` is binary), and the blob then counts as scanned.
    /// Matches suppressed by an inline allow comment are dropped and
    /// counted in [`Detector::suppressed`].
    pub fn scan(&self, path: &BStr, data: &[u8]) -> BlobScan {
        self.scan_with_stats(path, data).0
    }

    /// Returns how many matches inline allow comments suppressed over every
    /// scan this detector has run, so reports can count them as ignored.
    pub fn suppressed(&self) -> u64 {
        self.suppressed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Scans one blob like [`Detector::scan`] and also returns counts that
    /// belong in a report's statistics, such as the matches an inline
    /// `tightlip:allow` comment suppressed.
    pub fn scan_with_stats(&self, path: &BStr, data: &[u8]) -> (BlobScan, ScanStats) {
        let mut stats = ScanStats::default();
        let scan = self.scan_counting(path, data, &mut stats);
        if stats.suppressed > 0 {
            self.suppressed
                .fetch_add(stats.suppressed, std::sync::atomic::Ordering::Relaxed);
        }
        (scan, stats)
    }

    fn scan_counting(&self, path: &BStr, data: &[u8], stats: &mut ScanStats) -> BlobScan {
        if data.len() as u64 > self.options.max_size {
            let path_matches = self.match_paths(path, data, false);
            // NOTE: a path match hides the size skip for that blob.
            if !path_matches.is_empty() {
                return BlobScan::Scanned(path_matches);
            }
            return BlobScan::Skipped(SkipReason::TooLarge {
                size: data.len() as u64,
                limit: self.options.max_size,
            });
        }
        let mut matches = match text::decode(data) {
            Decoded::Binary => {
                let path_matches = self.match_paths(path, data, false);
                if path_matches.is_empty() {
                    return BlobScan::Skipped(SkipReason::Binary);
                }
                return BlobScan::Scanned(path_matches);
            }
            Decoded::Bytes(text) => self.content_matches(path, text, stats, |offset, _| offset),
            Decoded::Utf16 { text, prefix_len } => {
                self.content_matches(path, &text, stats, |offset, decoded| {
                    prefix_len + 2 * text::utf16_units(&decoded[..offset])
                })
            }
        };
        let path_matches = self.match_paths(path, data, !matches.is_empty());
        matches.extend(path_matches);
        BlobScan::Scanned(matches)
    }

    /// Finds content matches in `text`. `stored_offset` maps an offset in
    /// `text` to the blob as stored.
    fn content_matches(
        &self,
        path: &BStr,
        text: &[u8],
        stats: &mut ScanStats,
        stored_offset: impl Fn(usize, &[u8]) -> usize,
    ) -> Vec<Match> {
        let mut scan = TextScan::new(&self.rules, &self.prefilter, path, text);
        scan.scan_view(text, &|offset| offset);
        scan_escaped_lines(&mut scan);
        let candidates = engine::dedup(std::mem::take(&mut scan.candidates), &self.rules);

        let mut lines = LineCounter::new(text);
        let mut matches = Vec::with_capacity(candidates.len());
        let mut allow_line: Option<(usize, usize, bool)> = None;
        for candidate in candidates {
            let allowed = match allow_line {
                Some((start, end, allowed)) if (start..=end).contains(&candidate.start) => allowed,
                _ => {
                    let line = line_with_allow_marker(text, candidate.start);
                    allow_line = Some(line);
                    line.2
                }
            };
            if allowed {
                stats.suppressed += 1;
                continue;
            }
            let (line, column) = lines.position(candidate.start);
            let offset = stored_offset(candidate.start, text);
            matches.push(self.content_match(candidate, line, column, offset));
        }
        matches
    }

    fn content_match(&self, candidate: Candidate, line: u32, column: u32, offset: usize) -> Match {
        let rule = &self.rules[candidate.rule];
        let secret = Secret::new(&candidate.secret, rule.rule.public_prefix);
        Match {
            rule_id: Arc::clone(&rule.id),
            description: Arc::clone(&rule.description),
            severity: candidate.severity,
            kind: MatchKind::Content,
            line,
            column,
            offset,
            fingerprint: secret.fingerprint(),
            secret,
        }
    }
}

/// Scans each region with a keyword hit and JSON string escapes once more
/// with one level of escapes resolved: a notebook cell or a JSON document
/// stored inside a JSON string. Matches keep the line of the original text.
fn scan_escaped_lines(scan: &mut TextScan<'_>) {
    for (start, end) in std::mem::take(&mut scan.escaped_lines) {
        let unescaped = text::unescape_json(&scan.base[start..end], start);
        scan.scan_view(&unescaped.text, &|offset| unescaped.map(offset));
    }
}

/// Returns the bounds of the line holding `offset` and whether that line
/// carries an inline allow comment.
fn line_with_allow_marker(text: &[u8], offset: usize) -> (usize, usize, bool) {
    let start = text::line_start(text, offset, usize::MAX);
    let end = text::line_end(text, offset, usize::MAX);
    let line = &text[start..end];
    let allowed = ALLOW_MARKERS
        .iter()
        .any(|marker| memmem::find_iter(line, marker).any(|at| is_in_comment(&line[..at])));
    (start, end, allowed)
}

/// Returns whether text following `before` on its line sits in a comment:
/// a comment opener occurs in `before` with no quote after it. A marker
/// inside a string value, as in `{"note": "tightlip:allow"}`, is not a
/// comment.
/// NOTE: an opener inside an earlier string (`"a#b" tightlip:allow`)
/// still counts as one.
fn is_in_comment(before: &[u8]) -> bool {
    COMMENT_OPENERS.iter().any(|opener| {
        memmem::rfind(before, opener).is_some_and(|at| {
            let after_opener = &before[at + opener.len()..];
            !after_opener.iter().any(|&b| matches!(b, b'"' | b'\''))
        })
    })
}
