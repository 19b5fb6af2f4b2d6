//! The matching loop: one keyword prefilter pass over a text, then each
//! rule's regex on a bounded window around its keyword hits.

use std::cell::OnceCell;
use std::sync::OnceLock;

use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use super::compiled::{CompiledRule, Pattern};
use super::filters;
use super::keywords::{Hit, KeywordSearch};
use super::text::{line_end, line_start};
use crate::finding::Severity;
use crate::rules::{Filter, KeywordContext, Normalize, RuleKind, SeverityAdjust};

/// How far a single-line rule's window reaches back from a keyword hit and
/// ahead of it, in bytes; lines shorter than that are taken whole.
const LINE_BACK: usize = 512;
const LINE_AHEAD: usize = 2048;
/// How far a multi-line rule's window reaches ahead of a keyword hit. A
/// PEM or PGP private key block is well under this.
const MULTILINE_AHEAD: usize = 64 * 1024;
thread_local! {
    /// The lower-cased copy of the text being scanned, kept between scans
    /// on one thread to save an allocation per blob.
    static LOWER_CASE_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Lower-case buffers up to this capacity are kept for the next scan.
const MAX_KEPT_BUFFER: usize = 1 << 20;

/// Generic rules ignore minified code: lines longer than this, in bytes,
/// with JavaScript syntax, as in bundles inside notebook outputs and HTML.
const MAX_GENERIC_LINE: usize = 1000;
/// A rejected value longer than this is skipped whole instead of searched
/// again from its start, which keeps long runs of `name=name=…` linear.
const MAX_RETRY_VALUE: usize = 256;
/// Escaped lines up to this length are unescaped whole. Longer ones, as in
/// minified files, are unescaped only in windows around keyword hits.
const MAX_UNESCAPE_LINE: usize = 1 << 20;

/// The keyword search and, per keyword, the rules it triggers.
///
/// The search drops a hit that lies inside another, so a hit triggers the
/// rules of every keyword contained in the one found: a hit on
/// `access_key` also runs the rules keyed on `key`.
pub(crate) struct Prefilter {
    search: KeywordSearch,
    rules_by_keyword: Vec<Vec<usize>>,
}

impl Prefilter {
    /// Builds the keyword search over the keywords of all content rules.
    pub(crate) fn build(rules: &[CompiledRule]) -> anyhow::Result<Prefilter> {
        let mut keywords: Vec<String> = Vec::new();
        let mut own_rules: Vec<Vec<usize>> = Vec::new();
        let content_rules = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.rule.kind == RuleKind::Content);
        for (index, rule) in content_rules {
            for keyword in &rule.rule.keywords {
                let keyword = keyword.to_ascii_lowercase();
                match keywords.iter().position(|known| *known == keyword) {
                    Some(existing) => own_rules[existing].push(index),
                    None => {
                        keywords.push(keyword);
                        own_rules.push(vec![index]);
                    }
                }
            }
        }
        let rules_by_keyword = keywords
            .iter()
            .map(|keyword| {
                let mut triggered: Vec<usize> = keywords
                    .iter()
                    .zip(&own_rules)
                    .filter(|(inner, _)| keyword.contains(inner.as_str()))
                    .flat_map(|(_, rules)| rules.iter().copied())
                    .collect();
                triggered.sort_unstable();
                triggered.dedup();
                triggered
            })
            .collect();
        // The search runs over a lower-cased copy of the text, so every
        // keyword matches ASCII case-insensitively.
        let search = KeywordSearch::new(&keywords)?;
        Ok(Prefilter {
            search,
            rules_by_keyword,
        })
    }
}

/// A match in the coordinates of the base text, before deduplication.
pub(crate) struct Candidate {
    pub(crate) rule: usize,
    /// Secret byte range in the base text.
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) severity: Severity,
    pub(crate) secret: Vec<u8>,
}

/// Per-rule progress through one view.
#[derive(Clone, Copy, Default)]
struct RuleProgress {
    /// Keyword hits before this offset are already covered.
    scanned_end: usize,
}

/// DataJoint connection settings of the file being scanned, for severity.
struct DatajointContext {
    host: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
}

/// Scans one blob's text and the views derived from it.
pub(crate) struct TextScan<'a> {
    pub(crate) rules: &'a [CompiledRule],
    pub(crate) prefilter: &'a Prefilter,
    pub(crate) path: &'a [u8],
    /// The text every candidate offset refers to.
    pub(crate) base: &'a [u8],
    path_allowed: Vec<Option<bool>>,
    /// Reusable capture buffers, one per rule.
    locations: Vec<Option<CaptureLocations>>,
    datajoint: OnceCell<DatajointContext>,
    pub(crate) candidates: Vec<Candidate>,
    /// Regions of the base text with a keyword hit and JSON string escapes,
    /// as (start, end) byte ranges: whole lines, or windows of long lines.
    pub(crate) escaped_lines: Vec<(usize, usize)>,
    /// Keyword hits of the view being scanned, kept to reuse the buffer.
    hits: Vec<Hit>,
}

impl<'a> TextScan<'a> {
    pub(crate) fn new(
        rules: &'a [CompiledRule],
        prefilter: &'a Prefilter,
        path: &'a [u8],
        base: &'a [u8],
    ) -> TextScan<'a> {
        TextScan {
            rules,
            prefilter,
            path,
            base,
            path_allowed: vec![None; rules.len()],
            locations: (0..rules.len()).map(|_| None).collect(),
            datajoint: OnceCell::new(),
            candidates: Vec::new(),
            escaped_lines: Vec::new(),
            hits: Vec::new(),
        }
    }

    /// Runs every rule over `view`; `map` turns a view offset into a base
    /// text offset (the identity for the base text itself).
    pub(crate) fn scan_view(&mut self, view: &[u8], map: &dyn Fn(usize) -> usize) {
        let mut lower = LOWER_CASE_BUFFER.with_borrow_mut(std::mem::take);
        lower.clear();
        lower.extend_from_slice(view);
        lower.make_ascii_lowercase();
        self.scan_lowered_view(view, &lower, map);
        if lower.capacity() <= MAX_KEPT_BUFFER {
            LOWER_CASE_BUFFER.with_borrow_mut(|kept| *kept = lower);
        }
    }

    /// Runs every rule over `view`, whose ASCII lower-case copy is `lower`.
    fn scan_lowered_view(&mut self, view: &[u8], lower: &[u8], map: &dyn Fn(usize) -> usize) {
        let mut progress = vec![RuleProgress::default(); self.rules.len()];
        let prefilter = self.prefilter;
        let is_base = std::ptr::eq(view, self.base);
        let mut line = (0, 0);
        let mut line_has_escape = false;
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        prefilter.search.find(lower, &mut hits);
        for hit in &hits {
            let mut line_window = None;
            if is_base {
                if hit.start >= line.1 {
                    line = (
                        line_start(view, hit.start, usize::MAX),
                        line_end(view, hit.start, usize::MAX),
                    );
                    line_has_escape = has_json_escape(&view[line.0..line.1]);
                }
                if line_has_escape {
                    self.note_escaped_region(line, hit.start, hit.end);
                }
            }
            for &index in &prefilter.rules_by_keyword[hit.keyword] {
                if hit.start < progress[index].scanned_end {
                    continue;
                }
                progress[index].scanned_end =
                    self.run_rule(index, view, lower, hit, &mut line_window, map);
            }
        }
        self.hits = hits;
    }

    /// Records the part of an escaped line to unescape for a keyword hit:
    /// the whole line, or on a line longer than `MAX_UNESCAPE_LINE` a
    /// window around the hit. Overlapping regions are merged.
    fn note_escaped_region(&mut self, line: (usize, usize), hit_start: usize, hit_end: usize) {
        let (start, end) = if line.1 - line.0 <= MAX_UNESCAPE_LINE {
            line
        } else {
            (
                hit_start.saturating_sub(LINE_BACK).max(line.0),
                hit_end.saturating_add(MULTILINE_AHEAD).min(line.1),
            )
        };
        match self.escaped_lines.last_mut() {
            Some(last) if last.0 <= start && start <= last.1 => last.1 = last.1.max(end),
            _ => self.escaped_lines.push((start, end)),
        }
    }

    fn allows_path(&mut self, index: usize) -> bool {
        let rules = self.rules;
        let path = self.path;
        *self.path_allowed[index].get_or_insert_with(|| rules[index].allows_path(path))
    }

    /// Runs one rule on the window around a keyword hit; returns the offset
    /// up to which later hits need no new run.
    fn run_rule(
        &mut self,
        index: usize,
        view: &[u8],
        lower: &[u8],
        hit: &Hit,
        line_window: &mut Option<(usize, usize, bool)>,
        map: &dyn Fn(usize) -> usize,
    ) -> usize {
        let (hit_start, hit_end) = (hit.start, hit.end);
        let rule = &self.rules[index];
        let context_found = match rule.rule.keyword_context {
            None => true,
            Some(KeywordContext::Assignment) => has_operator_after(view, hit_start),
            Some(KeywordContext::UrlUserinfo) => has_userinfo_after(view, hit_end),
        };
        if !context_found {
            return hit_end;
        }
        // Single-line rules share the window of one hit.
        let (window_start, window_end, cut) = if rule.rule.multiline {
            window_around(view, hit_start, hit_end, true)
        } else {
            *line_window.get_or_insert_with(|| window_around(view, hit_start, hit_end, false))
        };
        let window = &view[window_start..window_end];
        // Checked before the path and the regex, whose matchers compile on
        // first use, so a rule whose literal never shows up costs nothing.
        let line_ok = rule.line_contains.is_empty()
            || rule
                .line_contains
                .iter()
                .any(|finder| finder.find(&lower[window_start..window_end]).is_some());
        if !line_ok {
            return window_end;
        }
        if !self.allows_path(index) {
            return usize::MAX;
        }
        let Ok(pattern) = rule.pattern() else {
            return usize::MAX;
        };

        let mut locations = self.locations[index]
            .take()
            .unwrap_or_else(|| pattern.regex.capture_locations());
        let mut last_end = hit_end;
        let mut at = 0;
        while at <= window.len() {
            let Some(whole) = pattern.regex.captures_read_at(&mut locations, window, at) else {
                break;
            };
            let groups = Groups {
                window,
                locations: &locations,
            };
            let Some((group, (secret_start, secret_end))) = pattern
                .secret_groups
                .iter()
                .find_map(|&group| groups.span(group).map(|span| (group, span)))
            else {
                at = whole.end().max(whole.start() + 1);
                continue;
            };
            // A rejected match may have consumed the start of a real one,
            // as `$this->password = "…"` first reads as `this -> password`,
            // so the search resumes inside it.
            let retry_at = secret_start.max(whole.start() + 1);
            if cut && secret_end == window.len() {
                // The value may go on past the window; a later window
                // starting nearer to it sees it whole. Any match starting
                // inside it would in practice run to the window's end too, so the
                // search stops here rather than retry at every byte.
                break;
            }
            let mut bare = pattern.bare_groups.contains(&group);
            let mut value = &window[secret_start..secret_end];
            let mut value_start = window_start + secret_start;
            if bare && value.ends_with(b"}") && !value.contains(&b'{') {
                value = &value[..value.len() - 1];
            }
            let mut next_line = false;
            if bare && let Some(found) = value_on_next_line(view, window_start + secret_end, value)
            {
                (value_start, value, bare) = (found.start, found.value, !found.quoted);
                next_line = true;
            }
            // An unquoted value that starts with YAML or shell syntax, such
            // as `>-` with no value after it or the `-default` of
            // `${VAR:-default}`, is not a literal.
            let syntax = bare
                && !next_line
                && matches!(value.first(), Some(b'|' | b'>' | b'?' | b'-' | b'('));
            let context_ok = !syntax
                && (next_line
                    || self.context_allows(
                        index,
                        window,
                        secret_start,
                        map(window_start + secret_start),
                    ));
            if !context_ok || !self.accepts(index, pattern, &groups, value, bare) {
                // Retrying inside a long rejected value would rescan it
                // once per byte, so the search resumes after it.
                at = if value.len() > MAX_RETRY_VALUE {
                    secret_end
                } else {
                    retry_at
                };
                continue;
            }
            // Resume at the end of the secret, not of the match: a trailing
            // boundary character may be the leading one of the next match.
            at = secret_end.max(whole.start() + 1);
            last_end = last_end.max(window_start + secret_end);
            let severity = self.severity(index, pattern, &groups, value);
            let in_double_quotes = value_start > 0 && view[value_start - 1] == b'"';
            self.push_candidate(index, severity, value, value_start, in_double_quotes, map);
        }
        self.locations[index] = Some(locations);
        if !rule.rule.multiline {
            window_end
        } else if !cut {
            view.len()
        } else {
            // A match starting in the first half of the window would have
            // ended inside it, so hits there need no new run. This keeps a
            // blob full of keywords linear.
            last_end.max(window_end - MULTILINE_AHEAD / 2)
        }
    }

    fn push_candidate(
        &mut self,
        index: usize,
        severity: Severity,
        value: &[u8],
        start: usize,
        in_double_quotes: bool,
        map: &dyn Fn(usize) -> usize,
    ) {
        let secret = match self.rules[index].rule.normalize {
            Some(Normalize::PemBody) => pem_body(value),
            // A double-quoted value with escapes is fingerprinted as the
            // string it denotes, so `Qm7v\u0058` groups with `Qm7vX`.
            None if in_double_quotes && value.contains(&b'\\') => {
                super::text::unescape_json(value, 0).text
            }
            None => value.to_vec(),
        };
        let end = start + value.len();
        self.candidates.push(Candidate {
            rule: index,
            start: map(start),
            end: map(end - 1) + 1,
            severity,
            secret,
        });
    }

    /// Checks the text around a generic rule's value, which sits at
    /// `secret_start` in `window`: the value must not be one element of a
    /// tuple, a code identifier in Markdown backticks, a string that only
    /// looks opened by a quote that closes another, or part of a minified
    /// line.
    fn context_allows(
        &self,
        index: usize,
        window: &[u8],
        secret_start: usize,
        base_offset: usize,
    ) -> bool {
        let rule = &self.rules[index].rule;
        let generic = rule
            .filters
            .iter()
            .any(|filter| matches!(filter, Filter::GenericAssignment | Filter::GenericArgument));
        let before = &window[..secret_start];
        let quote = before.last().copied();
        let after = &window[secret_start..];
        let tuple = !rule.multiline
            && matches!(quote, Some(b'"' | b'\''))
            && is_tuple_element(after, quote.unwrap_or(b'"'));
        if tuple {
            return false;
        }
        if !generic {
            return true;
        }
        if quote == Some(b'`') && is_code_identifier(after) {
            return false;
        }
        if rule.filters.contains(&Filter::GenericArgument)
            && let Some(quote) = quote
            && unescaped_count(&before[..before.len() - 1], quote) % 2 == 1
        {
            return false;
        }
        // A notebook cell or JSON string is scanned once more unescaped,
        // where a minified line may be split, so the line is measured in
        // the base text.
        !is_minified_code_line(self.base, base_offset)
    }

    /// Applies length, entropy and decoy filters to one matched value.
    fn accepts(
        &self,
        index: usize,
        pattern: &Pattern,
        groups: &Groups<'_>,
        value: &[u8],
        bare: bool,
    ) -> bool {
        let rule = &self.rules[index].rule;
        if value.is_empty() {
            return false;
        }
        if rule.min_length.is_some_and(|min| value.len() < min) {
            return false;
        }
        if rule
            .min_entropy
            .is_some_and(|min| filters::shannon_entropy(value) < min)
        {
            return false;
        }
        let unprefixed = &value[rule.public_prefix.min(value.len())..];
        let name = pattern.name_group.and_then(|group| groups.bytes(group));
        rule.filters.iter().all(|filter| match filter {
            Filter::References => !filters::is_reference(value),
            Filter::Placeholders => !filters::is_placeholder(unprefixed),
            Filter::VendorExamples => !filters::is_vendor_example(value),
            Filter::GenericAssignment => {
                name.is_some_and(filters::is_secret_name)
                    && filters::is_generic_value(value, !bare, self.path)
            }
            Filter::GenericArgument => {
                name.is_some_and(filters::is_secret_setter)
                    && filters::is_generic_value(value, true, self.path)
            }
        })
    }

    /// Returns the rule's severity, lowered one level per reason that the
    /// value is less dangerous (loopback host, password equal to the user).
    fn severity(
        &self,
        index: usize,
        pattern: &Pattern,
        groups: &Groups<'_>,
        value: &[u8],
    ) -> Severity {
        let rule = &self.rules[index].rule;
        let (host, user) = match rule.severity_adjust {
            None => return rule.severity,
            Some(SeverityAdjust::UrlHost) => {
                let group = |g: Option<usize>| g.and_then(|g| groups.bytes(g)).map(<[u8]>::to_vec);
                (group(pattern.host_group), group(pattern.user_group))
            }
            Some(SeverityAdjust::DatajointConfig) => {
                let context = self.datajoint.get_or_init(|| datajoint_context(self.base));
                (context.host.clone(), context.user.clone())
            }
        };
        let mut severity = rule.severity;
        if host.is_some_and(|host| filters::is_loopback_host(&host)) {
            severity = lowered(severity);
        }
        if user.is_some_and(|user| user == value) {
            severity = lowered(severity);
        }
        severity
    }
}

/// Returns whether a URL's authority starting at `start` contains an `@`,
/// so it may carry `user:password@`.
fn has_userinfo_after(view: &[u8], start: usize) -> bool {
    let authority = &view[start..(start + LINE_AHEAD).min(view.len())];
    let end = authority
        .iter()
        .position(|&b| b.is_ascii_whitespace() || matches!(b, b'/' | b'"' | b'\'' | b'<' | b'>'))
        .unwrap_or(authority.len());
    memchr::memchr(b'@', &authority[..end]).is_some()
}

/// Returns whether the identifier starting at `start` is followed, after
/// an optional closing quote or bracket and blanks, by an assignment
/// operator: `=`, `:`, `<-` or `->`.
fn has_operator_after(view: &[u8], start: usize) -> bool {
    let rest = &view[start..];
    let name_len = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        .unwrap_or(rest.len());
    let mut rest = &rest[name_len..];
    if let Some((&first, tail)) = rest.split_first()
        && matches!(first, b'"' | b'\'' | b'`')
    {
        rest = tail;
    }
    if let Some(tail) = rest.strip_prefix(b"]") {
        rest = tail;
    }
    let blanks = rest
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(rest.len());
    match rest.get(blanks) {
        Some(b'=' | b':') => true,
        Some(b'<' | b'-') => matches!(rest.get(blanks + 1), Some(b'-' | b'>')),
        _ => false,
    }
}

/// Returns whether `offset` lies on a line longer than `MAX_GENERIC_LINE`
/// with JavaScript syntax near it: minified code, where names like `token`
/// and `key` are assigned code, not credentials. A long line of data, such
/// as a one-line JSON document, is not skipped.
fn is_minified_code_line(text: &[u8], offset: usize) -> bool {
    const CODE_MARKERS: [&[u8]; 4] = [b"function(", b"function ", b"=>", b"){"];
    let offset = offset.min(text.len());
    let start = line_start(text, offset, MAX_GENERIC_LINE + 1);
    let end = line_end(text, offset, MAX_GENERIC_LINE + 1);
    if end - start <= MAX_GENERIC_LINE {
        return false;
    }
    let near =
        &text[offset.saturating_sub(MAX_GENERIC_LINE)..(offset + MAX_GENERIC_LINE).min(text.len())];
    CODE_MARKERS
        .iter()
        .any(|marker| memchr::memmem::find(near, marker).is_some())
}

/// Returns whether the quoted value at the start of `after` is followed by
/// `, "…"` to the end of the line: one element of a tuple assignment such
/// as `user, password = 'alice', 'pw'`, whose position is unknown.
fn is_tuple_element(after: &[u8], quote: u8) -> bool {
    let line = &after[..memchr::memchr(b'\n', after).unwrap_or(after.len())];
    let Some(close) = memchr::memchr(quote, line) else {
        return false;
    };
    let Some(rest) = line[close + 1..].trim_ascii().strip_prefix(b",") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    matches!(rest.first(), Some(b'"' | b'\'')) && !rest.contains(&b':')
}

/// `HD5_USE_FILE_LOCKING`, `src/app/util.py:916`, `Config::load`: a code
/// identifier or path at the start of `after`, up to its closing backtick.
fn is_code_identifier(after: &[u8]) -> bool {
    let end = memchr::memchr(b'`', after).unwrap_or(after.len());
    let code = &after[..end];
    let identifier_bytes = code
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b':' | b'-'));
    identifier_bytes && code.iter().any(|&b| matches!(b, b'_' | b'.' | b'/' | b':'))
}

/// Counts occurrences of `quote` in `text` that no backslash escapes.
fn unescaped_count(text: &[u8], quote: u8) -> usize {
    memchr::memchr_iter(quote, text)
        .filter(|&at| at == 0 || text[at - 1] != b'\\')
        .count()
}

/// A value written on the line after its key.
struct NextLineValue<'v> {
    start: usize,
    value: &'v [u8],
    quoted: bool,
}

/// Finds the value that `indicator`, a bare value ending at `after` in
/// `view`, announces on the next line: a YAML block scalar (`|`, `>-`)
/// or an opening parenthesis with a string literal on the next line, as
/// in `password = (` then `"…"` then `)`. The rest of the indicator's line
/// must be empty or a comment.
fn value_on_next_line<'v>(
    view: &'v [u8],
    after: usize,
    indicator: &[u8],
) -> Option<NextLineValue<'v>> {
    let block_scalar = matches!(indicator.first(), Some(b'|' | b'>'))
        && indicator[1..]
            .iter()
            .all(|&b| matches!(b, b'-' | b'+' | b'1'..=b'9'))
        && indicator.len() <= 3;
    let parenthesis = indicator == b"(";
    if !block_scalar && !parenthesis {
        return None;
    }
    let newline = after + memchr::memchr(b'\n', &view[after..])?;
    let rest = view[after..newline].trim_ascii();
    if !(rest.is_empty() || rest.starts_with(b"#")) {
        return None;
    }
    let next_start = newline + 1;
    let next_end = line_end(view, next_start, LINE_AHEAD);
    let line = &view[next_start..next_end];
    let indent = line.len() - line.trim_ascii_start().len();
    let content = line.trim_ascii();
    if content.is_empty() || (block_scalar && indent == 0) {
        return None;
    }
    let content_start = next_start + indent;
    let quote = content[0];
    if matches!(quote, b'"' | b'\'') {
        let close = 1 + memchr::memchr(quote, &content[1..])?;
        let tail = content[close + 1..].trim_ascii();
        if !(tail.is_empty() || tail == b")" || tail == b",") {
            return None;
        }
        return Some(NextLineValue {
            start: content_start + 1,
            value: &content[1..close],
            quoted: true,
        });
    }
    if parenthesis {
        return None;
    }
    Some(NextLineValue {
        start: content_start,
        value: content,
        quoted: false,
    })
}

/// Returns the window a rule's regex runs on for a keyword hit, as (start,
/// end, cut). Single-line rules see the hit's line, bounded on very long
/// lines; `cut` is true when the window ends before the line does.
fn window_around(
    view: &[u8],
    hit_start: usize,
    hit_end: usize,
    multiline: bool,
) -> (usize, usize, bool) {
    let start = line_start(view, hit_start, LINE_BACK);
    if multiline {
        let end = hit_end.saturating_add(MULTILINE_AHEAD).min(view.len());
        (start, end, end < view.len())
    } else {
        let end = line_end(view, hit_end, LINE_AHEAD);
        (start, end, end < view.len() && view[end] != b'\n')
    }
}

/// Returns whether `line` contains an escaped quote or backslash, as a JSON string
/// inside a JSON document or a notebook cell does. Serializers such as
/// System.Text.Json escape quotes as `\u0022` and `\u0027` instead of `\"`.
fn has_json_escape(line: &[u8]) -> bool {
    static QUOTE: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    static BACKSLASH: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    static UNICODE_QUOTE: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    static UNICODE_APOSTROPHE: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let quote = QUOTE.get_or_init(|| memchr::memmem::Finder::new(br#"\""#));
    let backslash = BACKSLASH.get_or_init(|| memchr::memmem::Finder::new(br"\\"));
    let unicode_quote = UNICODE_QUOTE.get_or_init(|| memchr::memmem::Finder::new(br"\u0022"));
    let unicode_apostrophe =
        UNICODE_APOSTROPHE.get_or_init(|| memchr::memmem::Finder::new(br"\u0027"));
    memchr::memchr(b'\\', line).is_some()
        && (quote.find(line).is_some()
            || backslash.find(line).is_some()
            || unicode_quote.find(line).is_some()
            || unicode_apostrophe.find(line).is_some())
}

/// Capture group spans of one match, relative to its window.
struct Groups<'w> {
    window: &'w [u8],
    locations: &'w CaptureLocations,
}

impl Groups<'_> {
    fn span(&self, group: usize) -> Option<(usize, usize)> {
        self.locations.get(group)
    }

    fn bytes(&self, group: usize) -> Option<&[u8]> {
        self.span(group)
            .map(|(start, end)| &self.window[start..end])
    }
}

fn lowered(severity: Severity) -> Severity {
    match severity {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// Finds `database.host` and `database.user` in a DataJoint JSON config,
/// flat or nested.
fn datajoint_context(text: &[u8]) -> DatajointContext {
    fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
        cell.get_or_init(|| {
            RegexBuilder::new(pattern)
                .unicode(false)
                .build()
                .expect("DataJoint context pattern is valid")
        })
    }
    static HOST: OnceLock<Regex> = OnceLock::new();
    static USER: OnceLock<Regex> = OnceLock::new();
    let host = regex(
        &HOST,
        r#"(?i)"(?:database\.)?host"[ \t\r\n]*:[ \t\r\n]*"([^"\r\n]*)""#,
    );
    let user = regex(
        &USER,
        r#"(?i)"(?:database\.)?user"[ \t\r\n]*:[ \t\r\n]*"([^"\r\n]*)""#,
    );
    let value = |regex: &Regex| {
        regex
            .captures(text)
            .and_then(|captures| captures.get(1))
            .map(|m| m.as_bytes().to_vec())
    };
    DatajointContext {
        host: value(host),
        user: value(user),
    }
}

/// Keeps the base64 body of a PEM-style block: the lines between the
/// BEGIN and END markers, without escapes, XML character references,
/// quotes, line breaks or line comment markers.
fn pem_body(block: &[u8]) -> Vec<u8> {
    let body_start = block
        .windows(5)
        .enumerate()
        .filter(|(_, five)| *five == b"-----")
        .nth(1)
        .map_or(0, |(i, _)| i + 5);
    let body_end = memchr::memmem::rfind(block, b"-----END").unwrap_or(block.len());
    let body = &block[body_start.min(body_end)..body_end];
    let mut out = Vec::with_capacity(body.len());
    let mut line_start = true;
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        if byte == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if line_start && matches!(byte, b' ' | b'\t') {
            i += 1;
            continue;
        }
        // `// ` opens a commented-out line. Base64 has no spaces, so a
        // line that starts with `//` and a space is not body text.
        let comment = body[i..].starts_with(b"// ") || body[i..].starts_with(b"//\t");
        line_start = false;
        if comment {
            i += 2;
            continue;
        }
        if byte == b'&' && body.get(i + 1) == Some(&b'#') {
            // Skip an XML character reference such as `&#10;`.
            match body[i..].iter().position(|&b| b == b';') {
                Some(end) => i += end + 1,
                None => i += 1,
            }
            continue;
        }
        if byte == b'\\' {
            // Skip an escaped line break such as `\n` or `\\r`.
            i += 1;
            while i < body.len() && body[i] == b'\\' {
                i += 1;
            }
            if i < body.len() && matches!(body[i], b'n' | b'r') {
                i += 1;
            }
            continue;
        }
        if byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=') {
            out.push(byte);
        }
        i += 1;
    }
    out
}

/// Keeps one match per value: among candidates whose secret ranges
/// overlap, the most specific rule wins, then the longer secret.
pub(crate) fn dedup(mut candidates: Vec<Candidate>, rules: &[CompiledRule]) -> Vec<Candidate> {
    candidates.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
    let mut survivors: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut cluster: Vec<Candidate> = Vec::new();
    let mut cluster_end = 0;
    for candidate in candidates {
        if !cluster.is_empty() && candidate.start >= cluster_end {
            resolve_cluster(&mut cluster, rules, &mut survivors);
        }
        cluster_end = if cluster.is_empty() {
            candidate.end
        } else {
            cluster_end.max(candidate.end)
        };
        cluster.push(candidate);
    }
    resolve_cluster(&mut cluster, rules, &mut survivors);
    survivors.sort_by_key(|c| c.start);
    survivors
}

fn resolve_cluster(
    cluster: &mut Vec<Candidate>,
    rules: &[CompiledRule],
    survivors: &mut Vec<Candidate>,
) {
    cluster.sort_by_key(|c| {
        (
            std::cmp::Reverse(rules[c.rule].rule.specificity),
            std::cmp::Reverse(c.end - c.start),
            c.start,
        )
    });
    let first_survivor = survivors.len();
    for candidate in cluster.drain(..) {
        let overlaps = survivors[first_survivor..]
            .iter()
            .any(|other| candidate.start < other.end && other.start < candidate.end);
        if !overlaps {
            survivors.push(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_body_ignores_comments_and_references() {
        let plain = pem_body(b"-----BEGIN PRIVATE KEY-----\nAbCd+/==\n-----END PRIVATE KEY-----");
        let commented =
            pem_body(b"// -----BEGIN PRIVATE KEY-----\n// AbCd+/==\n// -----END PRIVATE KEY-----");
        let xml =
            pem_body(b"-----BEGIN PRIVATE KEY-----&#10;AbCd+/==&#xA;-----END PRIVATE KEY-----");
        assert_eq!(plain, b"AbCd+/==");
        assert_eq!(commented, plain);
        assert_eq!(xml, plain);
    }

    #[test]
    fn pem_body_ignores_escapes() {
        let plain = pem_body(b"-----BEGIN PRIVATE KEY-----\nAbCd+/==\n-----END PRIVATE KEY-----");
        let escaped =
            pem_body(br"-----BEGIN PRIVATE KEY-----\nAbCd+/==\n-----END PRIVATE KEY-----");
        assert_eq!(plain, b"AbCd+/==");
        assert_eq!(escaped, plain);
    }
}
