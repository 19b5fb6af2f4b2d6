//! Path rules: committed files that are credentials by their name.

use std::sync::{Arc, OnceLock};

use bstr::{BStr, ByteSlice};
use regex::bytes::{Regex, RegexBuilder};

use super::Detector;
use crate::finding::{Match, MatchKind, Secret, fingerprint_of};

/// Bytes of a file searched for a private key header and body.
const KEY_MATERIAL_SNIFF_LEN: usize = 64 * 1024;

impl Detector {
    /// Returns a path match for every path rule that `path` fires.
    /// `has_secret` is true when a content rule matched in `data`, which
    /// counts as key material for rules that require it.
    pub(super) fn match_paths(&self, path: &BStr, data: &[u8], has_secret: bool) -> Vec<Match> {
        let mut matches = Vec::new();
        let lower_path = path.to_ascii_lowercase();
        for &index in &self.path_rules {
            let rule = &self.rules[index];
            // Keywords spare compiling and running the path matchers for
            // paths that cannot match.
            let keyword_found = rule.keywords.is_empty()
                || rule
                    .keywords
                    .iter()
                    .any(|keyword| memchr::memmem::find(&lower_path, keyword).is_some());
            if !keyword_found || rule.rule.paths.is_empty() || !rule.allows_path(path) {
                continue;
            }
            if !rule.rule.content_unless.is_empty() {
                let content = data.trim();
                let exempt = rule
                    .rule
                    .content_unless
                    .iter()
                    .any(|allowed| content == allowed.as_bytes());
                if exempt {
                    continue;
                }
            }
            if rule.rule.requires_key_material && !has_secret && !has_key_material(data) {
                continue;
            }
            matches.push(Match {
                rule_id: Arc::clone(&rule.id),
                description: Arc::clone(&rule.description),
                severity: rule.rule.severity,
                kind: MatchKind::Path,
                line: 1,
                column: 1,
                offset: 0,
                // A path match has no matched value, so previews show the
                // path in its place.
                secret: Secret::new(path, path.len()),
                fingerprint: fingerprint_of(&[rule.rule.id.as_bytes(), path]),
            });
        }
        matches
    }
}

/// Returns whether `data` contains private key material: a PEM-style private key
/// header followed by a base64 body, or DER (an ASN.1 SEQUENCE, as in
/// PKCS#8, PKCS#12 and PKCS#1 files).
fn has_key_material(data: &[u8]) -> bool {
    static HEADER_WITH_BODY: OnceLock<Regex> = OnceLock::new();
    let regex = HEADER_WITH_BODY.get_or_init(|| {
        RegexBuilder::new(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[^-]{0,400}?[A-Za-z0-9+/]{20}",
        )
        .unicode(false)
        .build()
        .expect("key material pattern is valid")
    });
    let is_der = data.len() >= 64 && data[0] == 0x30 && matches!(data[1], 0x80..=0x84);
    is_der || regex.is_match(&data[..data.len().min(KEY_MATERIAL_SNIFF_LEN)])
}
