//! The committed files that feed DataJoint's configuration, for a
//! repository given as a list of paths (a working tree or any commit's tree).
//!
//! DataJoint started in directory `D` uses the nearest `datajoint.json` at
//! or above `D`, but does not look past a directory holding `.git` or
//! `.hg`. So each `datajoint.json` serves its own directory and every
//! directory below it, except subtrees that hold a nearer `datajoint.json`
//! or a `.git`/`.hg` of their own (a submodule or nested repository).
//! Beside each such file, the `.secrets` directory contributes
//! `database.user`, `database.password` and `stores.<name>.<attr>`.

use std::collections::{BTreeMap, BTreeSet};

use bstr::{BStr, BString, ByteSlice};

use super::{CONFIG_FILENAME, SECRETS_DIRNAME};

/// One `datajoint.json` and what DataJoint reads because of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveConfig {
    /// The directory holding `datajoint.json`, relative to the repository
    /// root (empty for the root).
    pub dir: BString,
    /// The path of `datajoint.json`.
    pub config_file: BString,
    /// Secrets files beside it that DataJoint reads, in path order.
    pub secrets_files: Vec<BString>,
    /// Directories below `dir` that DataJoint started there would not
    /// resolve to this file: a nearer `datajoint.json` or a `.git`/`.hg`
    /// shields them.
    pub shielded: Vec<BString>,
}

impl EffectiveConfig {
    /// Returns true when DataJoint started in `dir` (relative, `/`
    /// separated) would use this file.
    pub fn serves(&self, dir: &[u8]) -> bool {
        under(dir, &self.dir) && !self.shielded.iter().any(|s| under(dir, s))
    }
}

use crate::source::listing::is_under as under;

fn parent(path: &[u8]) -> &[u8] {
    match path.rfind_byte(b'/') {
        Some(i) => &path[..i],
        None => b"",
    }
}

fn file_name(path: &[u8]) -> &[u8] {
    match path.rfind_byte(b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

fn join(dir: &[u8], name: &str) -> BString {
    let mut out = BString::from(dir);
    if !out.is_empty() {
        out.push(b'/');
    }
    out.extend_from_slice(name.as_bytes());
    out
}

/// Returns true when `name` is a secrets file DataJoint reads: exactly
/// `database.user`, `database.password`, or a name that does not start with
/// `.` and splits on `.` into three parts, the first being `stores`.
pub fn is_secrets_file_name(name: &[u8]) -> bool {
    if name == b"database.user" || name == b"database.password" {
        return true;
    }
    if name.starts_with(b".") {
        return false;
    }
    let parts: Vec<&[u8]> = name.split_str(".").collect();
    parts.len() == 3 && parts[0] == b"stores"
}

/// Lists every `datajoint.json` in `paths` with the directories it serves
/// and the committed files that feed it.
///
/// `paths` are file paths relative to the repository root with `/`
/// separators, as `git ls-files` or a tree walk gives them. A directory
/// counts as a repository boundary when `paths` contains an entry named
/// `.git` or `.hg` in it, or anything below such a name; pass submodule
/// paths as `<path>/.git` for them to count.
// NOTE: a `datajoint.json` inside a `.secrets` directory is left out:
// DataJoint would use it only when started inside that directory.
pub fn effective_config_files<P: AsRef<[u8]>>(paths: &[P]) -> Vec<EffectiveConfig> {
    let mut config_dirs: BTreeSet<BString> = BTreeSet::new();
    let mut boundaries: BTreeSet<BString> = BTreeSet::new();
    let mut by_dir: BTreeMap<BString, Vec<BString>> = BTreeMap::new();
    for path in paths {
        let path = path.as_ref();
        let dir = parent(path);
        if file_name(path) == CONFIG_FILENAME.as_bytes()
            && file_name(dir) != SECRETS_DIRNAME.as_bytes()
        {
            config_dirs.insert(BString::from(dir));
        }
        by_dir
            .entry(BString::from(dir))
            .or_default()
            .push(BString::from(path));
        for (i, component) in path.split_str("/").enumerate() {
            if component == b".git" || component == b".hg" {
                let prefix: Vec<&[u8]> = path.split_str("/").take(i).collect();
                boundaries.insert(BString::from(prefix.join(&b'/')));
                break;
            }
        }
    }

    let mut out = Vec::new();
    for dir in &config_dirs {
        let mut shielded: Vec<BString> = config_dirs
            .iter()
            .chain(boundaries.iter())
            .filter(|other| *other != dir && under(other, dir))
            .cloned()
            .collect();
        shielded.sort();
        shielded.dedup();
        let secrets_dir = join(dir, SECRETS_DIRNAME);
        let mut secrets_files: Vec<BString> = by_dir
            .get(&secrets_dir)
            .map(|files| {
                files
                    .iter()
                    .filter(|p| is_secrets_file_name(file_name(p)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        secrets_files.sort();
        out.push(EffectiveConfig {
            dir: dir.clone(),
            config_file: join(dir, CONFIG_FILENAME),
            secrets_files,
            shielded,
        });
    }
    out
}

/// Lists effective configuration like [`effective_config_files`], for a
/// working tree at `repo_root`: every directory below the root that contains
/// `.git` or `.hg` on disk (a nested repository or a checked-out
/// submodule, listed or not) also counts as a boundary.
pub fn effective_config_files_at<P: AsRef<[u8]>>(
    repo_root: &std::path::Path,
    paths: &[P],
) -> Vec<EffectiveConfig> {
    let mut listing: Vec<BString> = paths.iter().map(|p| BString::from(p.as_ref())).collect();
    let mut boundaries = Vec::new();
    find_nested_repositories(repo_root, b"", &mut boundaries);
    for dir in boundaries {
        listing.push(join(&dir, ".git"));
    }
    effective_config_files(&listing)
}

fn find_nested_repositories(dir: &std::path::Path, rel: &[u8], out: &mut Vec<BString>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        log::debug!("cannot list {}", dir.display());
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if !kind.is_dir() || name == ".git" || name == ".hg" {
            continue;
        }
        let child = join(rel, &name.to_string_lossy());
        let path = entry.path();
        if super::exists(&path.join(".git")) || super::exists(&path.join(".hg")) {
            out.push(child);
        } else {
            find_nested_repositories(&path, &child, out);
        }
    }
}

/// Returns true when `path` is a file that DataJoint reads as configuration
/// in the repository whose files are `paths`: a `datajoint.json` or a
/// secrets file beside one.
pub fn is_effective_config_path<P: AsRef<[u8]>>(paths: &[P], path: &[u8]) -> bool {
    EffectivePaths::new(paths).contains(path)
}

/// The set of effective configuration paths of one listing, for repeated
/// look-ups.
#[derive(Clone, Debug, Default)]
pub struct EffectivePaths {
    paths: BTreeSet<BString>,
}

impl EffectivePaths {
    pub fn new<P: AsRef<[u8]>>(paths: &[P]) -> EffectivePaths {
        let mut set = BTreeSet::new();
        for config in effective_config_files(paths) {
            set.insert(config.config_file);
            set.extend(config.secrets_files);
        }
        EffectivePaths { paths: set }
    }

    pub fn contains(&self, path: &[u8]) -> bool {
        self.paths.contains(BStr::new(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_nested_configs_shield_subtrees() {
        let paths = [
            "datajoint.json",
            ".secrets/database.password",
            ".secrets/README",
            ".secrets/stores.main.secret_key",
            ".secrets/.stores.main.hidden",
            ".secrets/datajoint.json",
            "lab/datajoint.json",
            "lab/.secrets/database.user",
            "vendored/.hg/store",
            "vendored/datajoint.json.txt",
            "sub/.git",
            "docs/.secrets/database.password",
        ];
        let configs = effective_config_files(&paths);
        assert_eq!(configs.len(), 2);
        let root = &configs[0];
        assert_eq!(root.config_file, "datajoint.json");
        assert_eq!(
            root.secrets_files,
            vec![
                BString::from(".secrets/database.password"),
                BString::from(".secrets/stores.main.secret_key")
            ]
        );
        assert!(root.serves(b"docs"));
        assert!(!root.serves(b"lab/x"));
        assert!(!root.serves(b"vendored"));
        assert!(!root.serves(b"sub/deep"));
        assert!(is_effective_config_path(
            &paths,
            b"lab/.secrets/database.user"
        ));
        assert!(!is_effective_config_path(
            &paths,
            b"docs/.secrets/database.password"
        ));
        assert!(!is_effective_config_path(&paths, b".secrets/README"));
        assert!(!is_effective_config_path(
            &paths,
            b".secrets/datajoint.json"
        ));
    }
}
