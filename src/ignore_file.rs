//! The `.tightlipignore` file: findings a team has reviewed and accepted.
//!
//! Each non-empty line that does not start with `#` is one of:
//!
//! - a fingerprint (32 hex digits), which ignores that secret wherever it
//!   appears;
//! - a fingerprint, one space and a repository-relative path, which ignores
//!   it only at that path, so two files with the same name stay apart;
//! - `path:` followed by a glob (`*` stays within one directory, `**`
//!   crosses directories), which ignores every finding in matching files,
//!   for test fixtures and rule examples.
//!
//! The file holds fingerprints and paths only, never a secret value, so
//! committing it is safe. Every command reads the same file the same way.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use bstr::{BString, ByteSlice};

use crate::finding::Report;

/// File name looked up at the repository root.
pub const FILE_NAME: &str = ".tightlipignore";

/// An invalid line in an ignore file.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: expected a 32-digit hex fingerprint, optionally followed by a space \
         and a path, or `path:` and a glob; fix or delete the line"
    )]
    InvalidLine { path: PathBuf, line: usize },
    #[error("{path}:{line}: invalid glob: {source}")]
    InvalidGlob {
        path: PathBuf,
        line: usize,
        #[source]
        source: globset::Error,
    },
}

/// Parsed ignore entries.
#[derive(Debug, Default)]
pub struct IgnoreList {
    everywhere: HashSet<String>,
    at_path: HashMap<String, HashSet<BString>>,
    globs: Option<globset::GlobSet>,
}

impl IgnoreList {
    /// Loads `root/.tightlipignore`; a missing file is an empty list.
    pub fn load(root: &Path) -> Result<IgnoreList, IgnoreFileError> {
        let path = root.join(FILE_NAME);
        match std::fs::metadata(&path) {
            Ok(metadata) if !metadata.is_file() => {
                return Err(IgnoreFileError::Read {
                    source: std::io::Error::other("not a regular file"),
                    path,
                });
            }
            _ => {}
        }
        match std::fs::read(&path) {
            Ok(bytes) => IgnoreList::parse(&bytes, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IgnoreList::default()),
            Err(source) => Err(IgnoreFileError::Read { path, source }),
        }
    }

    /// Parses ignore-file bytes; `path` is used in error messages only.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<IgnoreList, IgnoreFileError> {
        let mut list = IgnoreList::default();
        let mut globs = globset::GlobSetBuilder::new();
        let mut glob_count = 0;
        for (index, raw) in bytes.lines().enumerate() {
            let line = raw.trim_end_with(|c| c == '\r');
            if line.trim().is_empty() || line.trim_start().starts_with(b"#") {
                continue;
            }
            if let Some(pattern) = line.strip_prefix(b"path:") {
                let glob = globset::GlobBuilder::new(&pattern.to_str_lossy())
                    .literal_separator(true)
                    .build()
                    .map_err(|source| IgnoreFileError::InvalidGlob {
                        path: path.to_path_buf(),
                        line: index + 1,
                        source,
                    })?;
                globs.add(glob);
                glob_count += 1;
                continue;
            }
            let (fingerprint, rest) = match line.find_byte(b' ') {
                Some(space) => (&line[..space], Some(&line[space + 1..])),
                None => (line, None),
            };
            let valid = fingerprint.len() == 32 && fingerprint.iter().all(u8::is_ascii_hexdigit);
            if !valid {
                return Err(IgnoreFileError::InvalidLine {
                    path: path.to_path_buf(),
                    line: index + 1,
                });
            }
            let fingerprint = fingerprint.to_str_lossy().to_ascii_lowercase();
            match rest {
                Some(p) if !p.is_empty() => {
                    list.at_path
                        .entry(fingerprint)
                        .or_default()
                        .insert(BString::from(p));
                }
                _ => {
                    list.everywhere.insert(fingerprint);
                }
            }
        }
        if glob_count > 0 {
            let set = globs
                .build()
                .map_err(|source| IgnoreFileError::InvalidGlob {
                    path: path.to_path_buf(),
                    line: 0,
                    source,
                })?;
            list.globs = Some(set);
        }
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.everywhere.is_empty() && self.at_path.is_empty() && self.globs.is_none()
    }

    fn path_ignored(&self, path: &[u8]) -> bool {
        self.globs
            .as_ref()
            .is_some_and(|set| set.is_match(path.to_path_lossy()))
    }

    /// Removes ignored locations from `report`, drops findings left with
    /// none, and returns how many locations were removed.
    pub fn apply(&self, report: &mut Report) -> usize {
        if self.is_empty() {
            return 0;
        }
        let mut removed = 0;
        for finding in &mut report.findings {
            if self.everywhere.contains(&finding.fingerprint) {
                removed += finding.locations.len();
                finding.locations.clear();
                continue;
            }
            let paths = self.at_path.get(&finding.fingerprint);
            let before = finding.locations.len();
            finding.locations.retain(|l| {
                !(paths.is_some_and(|p| p.contains(&l.path)) || self.path_ignored(&l.path))
            });
            removed += before - finding.locations.len();
        }
        report.findings.retain(|f| !f.locations.is_empty());
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn parse_fingerprint_and_path() {
        let text = format!("# reviewed\n{FP} svc a/README.md\n\n");
        let list = IgnoreList::parse(text.as_bytes(), Path::new("x")).unwrap();
        assert!(list.everywhere.is_empty());
        assert!(list.at_path[FP].contains(&BString::from("svc a/README.md")));
    }

    #[test]
    fn glob_matches_within_and_across_dirs() {
        let list =
            IgnoreList::parse(b"path:tests/**\npath:rules/*.toml\n", Path::new("x")).unwrap();
        assert!(list.path_ignored(b"tests/a/b.rs"));
        assert!(list.path_ignored(b"rules/aws.toml"));
        assert!(!list.path_ignored(b"rules/sub/aws.toml"));
        assert!(!list.path_ignored(b"src/tests.rs"));
    }

    #[test]
    fn parse_rejects_bad_line() {
        let error = IgnoreList::parse(b"ok\n", Path::new(".tightlipignore")).unwrap_err();
        assert!(error.to_string().starts_with(".tightlipignore:1:"));
    }
}
