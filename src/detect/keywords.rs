//! Keyword search over lower-cased text.
//!
//! Keywords split in two groups, because no single searcher is fast on
//! both. Keywords that contain a common word such as `key`, `pass` or
//! `token` are found by a `memmem` search for that word, which runs at
//! many GB/s, and then checked in place. The remaining keywords, mostly
//! distinctive token prefixes such as `ghp_` or `xoxb-`, go to one
//! Aho-Corasick searcher, which uses its SIMD (Teddy) prefilter on x86-64.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use memchr::memmem::Finder;

/// Words common in source code and text. A keyword containing one is found
/// through the word; a single automaton that also holds these words sees
/// too many candidate positions to use its SIMD prefilter well.
const COMMON_WORDS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "credential",
    "auth",
    "database",
    "://",
    "curl",
    "azure",
];

/// One keyword occurrence as a byte range of the searched text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) keyword: usize,
}

/// A common word and the keywords found through it, each with the offset
/// of the word inside the keyword.
struct WordGroup {
    finder: Finder<'static>,
    keywords: Vec<(usize, usize)>,
}

/// Finds lower-case keywords in lower-case text.
pub(crate) struct KeywordSearch {
    keywords: Vec<Vec<u8>>,
    groups: Vec<WordGroup>,
    /// The keywords that contain no common word.
    distinctive: Option<AhoCorasick>,
    distinctive_ids: Vec<usize>,
}

impl KeywordSearch {
    /// Builds the searchers for `keywords`, which must be lower case.
    pub(crate) fn new(keywords: &[String]) -> anyhow::Result<KeywordSearch> {
        let mut groups: Vec<WordGroup> = Vec::new();
        let mut distinctive = Vec::new();
        let mut distinctive_ids = Vec::new();
        for (index, keyword) in keywords.iter().enumerate() {
            let word = COMMON_WORDS
                .iter()
                .find_map(|word| keyword.find(word).map(|offset| (*word, offset)));
            let Some((word, offset)) = word else {
                distinctive.push(keyword.as_bytes());
                distinctive_ids.push(index);
                continue;
            };
            let finder = Finder::new(word.as_bytes()).into_owned();
            match groups
                .iter_mut()
                .find(|group| group.finder.needle() == word.as_bytes())
            {
                Some(group) => group.keywords.push((index, offset)),
                None => groups.push(WordGroup {
                    finder,
                    keywords: vec![(index, offset)],
                }),
            }
        }
        let distinctive = if distinctive.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&distinctive)?,
            )
        };
        Ok(KeywordSearch {
            keywords: keywords.iter().map(|k| k.as_bytes().to_vec()).collect(),
            groups,
            distinctive,
            distinctive_ids,
        })
    }

    /// Appends every keyword occurrence in `lower` to `hits`, sorted by
    /// start, dropping an occurrence that lies inside an earlier one (its
    /// keyword is then a part of the earlier keyword).
    pub(crate) fn find(&self, lower: &[u8], hits: &mut Vec<Hit>) {
        let first = hits.len();
        if let Some(automaton) = &self.distinctive {
            for found in automaton.find_iter(lower) {
                hits.push(Hit {
                    start: found.start(),
                    end: found.end(),
                    keyword: self.distinctive_ids[found.pattern().as_usize()],
                });
            }
        }
        for group in &self.groups {
            for word_start in group.finder.find_iter(lower) {
                for &(keyword, offset) in &group.keywords {
                    let Some(start) = word_start.checked_sub(offset) else {
                        continue;
                    };
                    let end = start + self.keywords[keyword].len();
                    if lower.get(start..end) == Some(&self.keywords[keyword][..]) {
                        hits.push(Hit {
                            start,
                            end,
                            keyword,
                        });
                    }
                }
            }
        }
        let found = &mut hits[first..];
        found.sort_unstable_by_key(|hit| (hit.start, std::cmp::Reverse(hit.end)));
        let mut kept = first;
        let mut covered_end = 0;
        for index in first..hits.len() {
            let hit = hits[index];
            if hit.end <= covered_end {
                continue;
            }
            covered_end = hit.end;
            hits[kept] = hit;
            kept += 1;
        }
        hits.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_search_finds_both_groups() {
        let keywords: Vec<String> = ["ghp_", "key", "access_key", "pass", "xoxb-"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        let search = KeywordSearch::new(&keywords).unwrap();
        let mut hits = Vec::new();
        search.find(b"a ghp_x access_key=1 pass xoxb- key", &mut hits);
        let found: Vec<(usize, &str)> = hits
            .iter()
            .map(|hit| (hit.start, keywords[hit.keyword].as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "ghp_"),
                (8, "access_key"),
                (21, "pass"),
                (26, "xoxb-"),
                (32, "key")
            ]
        );
    }
}
