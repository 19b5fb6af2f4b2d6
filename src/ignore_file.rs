//! The `.tightlipignore` file: findings a team has reviewed and accepted.
//!
//! Each non-empty line that does not start with `#` is one of:
//!
//! - a fingerprint (32 hex digits), which ignores that secret wherever it
//!   appears;
//! - a fingerprint, whitespace and a repository-relative path, which
//!   ignores it only at that path, so two files with the same name stay
//!   apart. The path may be a glob, and a leading `./` or `/` is dropped;
//! - `path:` followed by a glob, which ignores every finding in matching
//!   files, for test fixtures and rule examples.
//!
//! In globs `*` stays within one directory and `**` crosses directories.
//! The file contains fingerprints and paths only, never a secret value, so
//! committing it is safe. Every command reads the same file the same way.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use bstr::{BString, ByteSlice};

use crate::finding::Report;

/// File name looked up at the repository root.
pub const FILE_NAME: &str = ".tightlipignore";

/// An unreadable or invalid ignore file.
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

/// The paths an entry applies to.
#[derive(Debug)]
enum Scope {
    Everywhere,
    Path(BString),
    Glob(globset::GlobMatcher),
}

impl Scope {
    fn covers(&self, path: &[u8]) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Path(exact) => exact.as_bytes() == path,
            Scope::Glob(glob) => glob.is_match(path.to_path_lossy()),
        }
    }
}

/// One parsed line.
#[derive(Debug)]
struct Entry {
    line: usize,
    scope: Scope,
}

/// Parsed ignore entries.
#[derive(Debug, Default)]
pub struct IgnoreList {
    file: PathBuf,
    by_fingerprint: HashMap<String, Vec<Entry>>,
    by_path: Vec<Entry>,
}

/// The outcome of applying an ignore list to a report.
#[derive(Debug, Default)]
pub struct Applied {
    /// Locations removed.
    pub removed: usize,
    /// Line numbers of entries that matched no location.
    pub unused_lines: Vec<usize>,
}

fn glob(pattern: &[u8], file: &Path, line: usize) -> Result<globset::GlobMatcher, IgnoreFileError> {
    globset::GlobBuilder::new(&pattern.to_str_lossy())
        .literal_separator(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|source| IgnoreFileError::InvalidGlob {
            path: file.to_path_buf(),
            line,
            source,
        })
}

/// Drops a leading `./` or `/`, which repository-relative paths never have.
fn normalize_path(path: &[u8]) -> &[u8] {
    let path = path.strip_prefix(b"./").unwrap_or(path);
    path.strip_prefix(b"/").unwrap_or(path)
}

impl IgnoreList {
    /// Loads `root/.tightlipignore`; a missing file is an empty list.
    pub fn load(root: &Path) -> Result<IgnoreList, IgnoreFileError> {
        let path = root.join(FILE_NAME);
        match std::fs::metadata(&path) {
            Ok(metadata) if !metadata.is_file() => Err(IgnoreFileError::Read {
                source: std::io::Error::other("not a regular file"),
                path,
            }),
            Ok(_) => match std::fs::read(&path) {
                Ok(bytes) => IgnoreList::parse(&bytes, &path),
                Err(source) => Err(IgnoreFileError::Read { path, source }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IgnoreList::default()),
            Err(source) => Err(IgnoreFileError::Read { path, source }),
        }
    }

    /// Parses ignore-file bytes; `file` names the file in messages.
    pub fn parse(bytes: &[u8], file: &Path) -> Result<IgnoreList, IgnoreFileError> {
        let mut list = IgnoreList {
            file: file.to_path_buf(),
            ..IgnoreList::default()
        };
        for (index, raw) in bytes.lines().enumerate() {
            let number = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            if let Some(pattern) = line.strip_prefix(b"path:") {
                let pattern = normalize_path(pattern.trim());
                list.by_path.push(Entry {
                    line: number,
                    scope: Scope::Glob(glob(pattern, file, number)?),
                });
                continue;
            }
            let (fingerprint, rest) = match line.find_byteset(b" \t") {
                Some(split) => (&line[..split], line[split..].trim()),
                None => (line, &b""[..]),
            };
            let valid = fingerprint.len() == 32 && fingerprint.iter().all(u8::is_ascii_hexdigit);
            if !valid {
                return Err(IgnoreFileError::InvalidLine {
                    path: file.to_path_buf(),
                    line: number,
                });
            }
            let scope = if rest.is_empty() {
                Scope::Everywhere
            } else {
                let path = normalize_path(rest);
                if path.find_byteset(b"*?[").is_some() {
                    Scope::Glob(glob(path, file, number)?)
                } else {
                    Scope::Path(BString::from(path))
                }
            };
            list.by_fingerprint
                .entry(fingerprint.to_str_lossy().to_ascii_lowercase())
                .or_default()
                .push(Entry {
                    line: number,
                    scope,
                });
        }
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty() && self.by_path.is_empty()
    }

    /// Returns the file the entries came from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Removes ignored locations from `report`, drops findings left with
    /// none, and returns what it removed and which entries matched nothing.
    pub fn apply(&self, report: &mut Report) -> Applied {
        let mut applied = Applied::default();
        if self.is_empty() {
            return applied;
        }
        let mut used: BTreeSet<usize> = BTreeSet::new();
        for finding in &mut report.findings {
            let entries = self.by_fingerprint.get(&finding.fingerprint);
            let before = finding.locations.len();
            finding.locations.retain(|location| {
                let matching = entries
                    .into_iter()
                    .flatten()
                    .chain(&self.by_path)
                    .find(|entry| entry.scope.covers(&location.path));
                match matching {
                    Some(entry) => {
                        used.insert(entry.line);
                        false
                    }
                    None => true,
                }
            });
            applied.removed += before - finding.locations.len();
        }
        report.findings.retain(|f| !f.locations.is_empty());
        applied.unused_lines = self
            .by_fingerprint
            .values()
            .flatten()
            .chain(&self.by_path)
            .map(|entry| entry.line)
            .filter(|line| !used.contains(line))
            .collect();
        applied.unused_lines.sort_unstable();
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0123456789abcdef0123456789abcdef";

    fn covers(list: &IgnoreList, fingerprint: &str, path: &str) -> bool {
        list.by_fingerprint
            .get(fingerprint)
            .into_iter()
            .flatten()
            .chain(&list.by_path)
            .any(|entry| entry.scope.covers(path.as_bytes()))
    }

    #[test]
    fn parse_fingerprint_and_path() {
        let text = format!("# reviewed\n{FP} svc a/README.md\n\n");
        let list = IgnoreList::parse(text.as_bytes(), Path::new("x")).unwrap();
        assert!(covers(&list, FP, "svc a/README.md"));
        assert!(!covers(&list, FP, "svc b/README.md"));
    }

    #[test]
    fn parse_normalizes_spacing_and_prefix() {
        let text = format!("{FP}  ./sub/a.py\n{FP}\t/sub/b.py \n");
        let list = IgnoreList::parse(text.as_bytes(), Path::new("x")).unwrap();
        assert!(covers(&list, FP, "sub/a.py"));
        assert!(covers(&list, FP, "sub/b.py"));
    }

    #[test]
    fn fingerprint_path_glob() {
        let text = format!("{FP} sub/*.py\n");
        let list = IgnoreList::parse(text.as_bytes(), Path::new("x")).unwrap();
        assert!(covers(&list, FP, "sub/a.py"));
        assert!(!covers(&list, FP, "sub/deeper/a.py"));
    }

    #[test]
    fn glob_matches_within_and_across_dirs() {
        let list =
            IgnoreList::parse(b"path:tests/**\npath:rules/*.toml\n", Path::new("x")).unwrap();
        assert!(covers(&list, FP, "tests/a/b.rs"));
        assert!(covers(&list, FP, "rules/aws.toml"));
        assert!(!covers(&list, FP, "rules/sub/aws.toml"));
        assert!(!covers(&list, FP, "src/tests.rs"));
    }

    #[test]
    fn parse_rejects_bad_line() {
        let error = IgnoreList::parse(b"ok\n", Path::new(".tightlipignore")).unwrap_err();
        assert!(error.to_string().starts_with(".tightlipignore:1:"));
    }
}
