//! Git's ignore decision for paths of a working tree, split by where the
//! deciding pattern lives: a tracked `.gitignore` protects every clone,
//! while an untracked `.gitignore`, `.git/info/exclude` or the global
//! excludes file protects only this one.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use bstr::{BString, ByteSlice};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Whether git ignores a path, and how widely that holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IgnoreState {
    /// No pattern ignores it.
    NotIgnored,
    /// Only patterns that are not part of the repository ignore it.
    IgnoredLocally,
    /// A tracked `.gitignore` ignores it.
    IgnoredByRepository,
}

/// A working tree with its tracked paths and ignore files.
pub struct Worktree {
    pub root: PathBuf,
    pub git_dir: Option<PathBuf>,
    /// Paths in the index, relative to `root`, `/` separated.
    pub tracked: BTreeSet<BString>,
    committed: Vec<(PathBuf, Gitignore)>,
    local: Vec<(PathBuf, Gitignore)>,
    excludes: Vec<Gitignore>,
}

impl Worktree {
    /// Opens the repository whose working tree contains `path`. A directory
    /// outside any repository is treated as a tree with nothing tracked and
    /// only its own `.gitignore` files.
    pub fn open(path: &Path) -> anyhow::Result<Worktree> {
        let path = std::fs::canonicalize(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let start = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or(path.clone())
        };
        let (root, git_dir, tracked) = match gix::discover(&start) {
            Ok(repo) => match repo.workdir() {
                Some(workdir) => {
                    let root = std::fs::canonicalize(workdir)?;
                    let index = repo.index_or_empty().with_context(|| {
                        format!("cannot read the git index of {}", root.display())
                    })?;
                    let tracked = index
                        .entries()
                        .iter()
                        .map(|e| BString::from(e.path(&index).as_bytes()))
                        .collect();
                    (root, Some(repo.git_dir().to_path_buf()), tracked)
                }
                None => (start, None, BTreeSet::new()),
            },
            Err(_) => (start, None, BTreeSet::new()),
        };
        let mut tree = Worktree {
            root,
            git_dir,
            tracked,
            committed: Vec::new(),
            local: Vec::new(),
            excludes: Vec::new(),
        };
        tree.load_ignore_files()?;
        Ok(tree)
    }

    fn load_ignore_files(&mut self) -> anyhow::Result<()> {
        let mut files = Vec::new();
        collect_gitignores(&self.root, &mut files);
        for file in files {
            let dir = file
                .parent()
                .expect("a .gitignore has a parent")
                .to_path_buf();
            let (matcher, error) = Gitignore::new(&file);
            if let Some(error) = error {
                log::warn!("{}: {error}", file.display());
            }
            let rel = self.relative(&file);
            if self.tracked.contains(&rel) {
                self.committed.push((dir, matcher));
            } else {
                self.local.push((dir, matcher));
            }
        }
        // Deepest first: a nearer .gitignore takes precedence.
        let depth = |(dir, _): &(PathBuf, Gitignore)| std::cmp::Reverse(dir.components().count());
        self.committed.sort_by_key(depth);
        self.local.sort_by_key(depth);
        let mut exclude_files = Vec::new();
        if let Some(git_dir) = &self.git_dir {
            exclude_files.push(git_dir.join("info/exclude"));
        }
        if let Some(global) = ignore::gitignore::gitconfig_excludes_path() {
            exclude_files.push(global);
        }
        for file in exclude_files.into_iter().filter(|f| f.is_file()) {
            let mut builder = GitignoreBuilder::new(&self.root);
            if let Some(error) = builder.add(&file) {
                log::warn!("{}: {error}", file.display());
            }
            self.excludes.push(builder.build()?);
        }
        Ok(())
    }

    /// Returns `path` relative to the root, `/` separated.
    pub fn relative(&self, path: &Path) -> BString {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        BString::from(parts.join("/"))
    }

    pub fn is_tracked(&self, rel: &[u8]) -> bool {
        self.tracked.contains(rel.as_bstr())
    }

    /// Returns git's decision for `rel` (relative to the root): a path is
    /// ignored when a pattern matches it or any directory above it, and
    /// the nearest `.gitignore` with a matching pattern decides.
    pub fn ignore_state(&self, rel: &Path, is_dir: bool) -> IgnoreState {
        if self.ignored_by(rel, is_dir, false) {
            IgnoreState::IgnoredByRepository
        } else if self.ignored_by(rel, is_dir, true) {
            IgnoreState::IgnoredLocally
        } else {
            IgnoreState::NotIgnored
        }
    }

    fn ignored_by(&self, rel: &Path, is_dir: bool, with_local: bool) -> bool {
        let components: Vec<_> = rel.components().collect();
        let mut prefix = PathBuf::new();
        for (i, component) in components.iter().enumerate() {
            prefix.push(component);
            let last = i + 1 == components.len();
            if self.decide(&prefix, if last { is_dir } else { true }, with_local) {
                return true;
            }
        }
        false
    }

    fn decide(&self, rel: &Path, is_dir: bool, with_local: bool) -> bool {
        let absolute = self.root.join(rel);
        let mut per_dir: Vec<&(PathBuf, Gitignore)> = self.committed.iter().collect();
        if with_local {
            per_dir.extend(self.local.iter());
            per_dir.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.components().count()));
        }
        for (dir, matcher) in per_dir {
            if !absolute.starts_with(dir) || absolute == *dir {
                continue;
            }
            match matcher.matched(&absolute, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        if with_local {
            for matcher in &self.excludes {
                match matcher.matched(&absolute, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        false
    }
}

fn collect_gitignores(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        log::debug!("cannot list {}", dir.display());
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                collect_gitignores(&path, out);
            }
        } else if kind.is_file() && entry.file_name() == ".gitignore" {
            out.push(path);
        }
    }
}
