//! Rules ready to run: identifiers shared with every match, and the regular
//! expressions and path matchers, each compiled on first use.

use std::sync::{Arc, OnceLock};

use bstr::ByteSlice;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::rules::Rule;

/// Upper bound on the compiled size of one rule's regex, in bytes.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// A rule's regex and the roles of its capture groups.
pub(crate) struct Pattern {
    pub(crate) regex: Regex,
    /// Groups that may hold the secret, in order of preference.
    pub(crate) secret_groups: Vec<usize>,
    /// Secret groups whose value was written without quotes.
    pub(crate) bare_groups: Vec<usize>,
    pub(crate) name_group: Option<usize>,
    pub(crate) host_group: Option<usize>,
    pub(crate) user_group: Option<usize>,
}

/// Compiles a rule pattern and finds its secret group: every group whose
/// name starts with `secret`, else group 1.
pub(crate) fn compile_pattern(pattern: &str) -> Result<Pattern, String> {
    let regex = RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| error.to_string())?;
    let mut secret_groups = Vec::new();
    let mut bare_groups = Vec::new();
    let (mut name_group, mut host_group, mut user_group) = (None, None, None);
    for (index, name) in regex.capture_names().enumerate() {
        match name {
            Some(name) if name.starts_with("secret") => {
                secret_groups.push(index);
                if name.ends_with("bare") {
                    bare_groups.push(index);
                }
            }
            Some("name") => name_group = Some(index),
            Some("host") => host_group = Some(index),
            Some("user") => user_group = Some(index),
            _ => {}
        }
    }
    if secret_groups.is_empty() {
        if regex.captures_len() < 2 {
            return Err("pattern has no capture group around the secret".to_string());
        }
        secret_groups.push(1);
    }
    Ok(Pattern {
        regex,
        secret_groups,
        bare_groups,
        name_group,
        host_group,
        user_group,
    })
}

/// Compiled include and exclude conditions on a path.
pub(crate) struct PathFilter {
    include: Option<RegexSet>,
    exclude: Option<RegexSet>,
    include_globs: Option<GlobSet>,
    exclude_globs: Option<GlobSet>,
}

impl PathFilter {
    pub(crate) fn compile(rule: &Rule) -> Result<PathFilter, String> {
        let regex_set = |patterns: &[String]| -> Result<Option<RegexSet>, String> {
            if patterns.is_empty() {
                return Ok(None);
            }
            RegexSetBuilder::new(patterns)
                .unicode(false)
                .build()
                .map(Some)
                .map_err(|error| error.to_string())
        };
        let glob_set = |patterns: &[String]| -> Result<Option<GlobSet>, String> {
            if patterns.is_empty() {
                return Ok(None);
            }
            let mut builder = GlobSetBuilder::new();
            for pattern in patterns {
                builder.add(Glob::new(pattern).map_err(|error| error.to_string())?);
            }
            builder.build().map(Some).map_err(|error| error.to_string())
        };
        Ok(PathFilter {
            include: regex_set(&rule.paths.include)?,
            exclude: regex_set(&rule.paths.exclude)?,
            include_globs: glob_set(&rule.paths.include_globs)?,
            exclude_globs: glob_set(&rule.paths.exclude_globs)?,
        })
    }

    /// Returns whether `path` passes: it matches an include (or there is none) and
    /// no exclude.
    pub(crate) fn allows(&self, path: &[u8]) -> bool {
        let lossy = path.to_path_lossy();
        let included = match (&self.include, &self.include_globs) {
            (None, None) => true,
            (regexes, globs) => {
                regexes.as_ref().is_some_and(|set| set.is_match(path))
                    || globs.as_ref().is_some_and(|set| set.is_match(&lossy))
            }
        };
        let excluded = self.exclude.as_ref().is_some_and(|set| set.is_match(path))
            || self
                .exclude_globs
                .as_ref()
                .is_some_and(|set| set.is_match(&lossy));
        included && !excluded
    }
}

/// A rule plus its lazily compiled matchers.
pub(crate) struct CompiledRule {
    pub(crate) rule: Rule,
    pub(crate) id: Arc<str>,
    pub(crate) description: Arc<str>,
    /// Searchers for `line_contains` in lower case, built once because a
    /// rule checks them on every keyword hit.
    pub(crate) line_contains: Vec<memchr::memmem::Finder<'static>>,
    /// Keywords in lower case; a path rule with keywords only looks at
    /// paths that contain one.
    pub(crate) keywords: Vec<Vec<u8>>,
    pattern: OnceLock<Result<Pattern, String>>,
    path_filter: OnceLock<Result<PathFilter, String>>,
}

impl CompiledRule {
    pub(crate) fn new(rule: Rule) -> CompiledRule {
        CompiledRule {
            id: Arc::from(rule.id.as_str()),
            description: Arc::from(rule.description.as_str()),
            line_contains: rule
                .line_contains
                .iter()
                .map(|literal| {
                    memchr::memmem::Finder::new(&literal.to_ascii_lowercase()).into_owned()
                })
                .collect(),
            keywords: rule
                .keywords
                .iter()
                .map(|keyword| keyword.as_bytes().to_ascii_lowercase())
                .collect(),
            rule,
            pattern: OnceLock::new(),
            path_filter: OnceLock::new(),
        }
    }

    /// Returns the compiled pattern, compiling it on first use.
    pub(crate) fn pattern(&self) -> Result<&Pattern, &str> {
        let compiled = self.pattern.get_or_init(|| {
            let compiled = match &self.rule.pattern {
                Some(pattern) => compile_pattern(pattern),
                None => Err("rule has no pattern".to_string()),
            };
            if let Err(error) = &compiled {
                log::error!("rule {} is disabled: {error}", self.id);
            }
            compiled
        });
        compiled.as_ref().map_err(String::as_str)
    }

    /// Returns the compiled path conditions, compiling them on first use.
    pub(crate) fn path_filter(&self) -> Result<&PathFilter, &str> {
        let compiled = self.path_filter.get_or_init(|| {
            let compiled = PathFilter::compile(&self.rule);
            if let Err(error) = &compiled {
                log::error!("path conditions of rule {} are invalid: {error}", self.id);
            }
            compiled
        });
        compiled.as_ref().map_err(String::as_str)
    }

    /// Returns whether the rule applies to `path`; rules without path conditions
    /// apply everywhere.
    pub(crate) fn allows_path(&self, path: &[u8]) -> bool {
        if self.rule.paths.is_empty() {
            return true;
        }
        self.path_filter().is_ok_and(|filter| filter.allows(path))
    }
}
