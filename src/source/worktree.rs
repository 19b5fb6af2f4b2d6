//! The working-tree source: every file git would commit under a path.
//!
//! Inside a repository that means tracked files (from the index, even when
//! a `.gitignore` now matches them) plus untracked files that are not
//! ignored. Outside a repository every regular file under the path is
//! scanned. Symbolic links are not followed, and nested repositories and
//! submodules are not entered, because git does not commit their files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use bstr::{BString, ByteSlice, ByteVec};
use rayon::prelude::*;

use super::listing::{index_listing, is_under};
use crate::detect::{BlobScan, Detector};
use crate::finding::{Location, Match, Report, SkipReason, Skipped, group_matches};

/// Errors that stop a working-tree scan before it starts.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("path not found: {path}")]
    NotFound { path: PathBuf },
    #[error("{path} is not a regular file or directory; pass a file or a directory to scan")]
    NotFileOrDirectory { path: PathBuf },
    #[error(
        "{path} is a bare repository with no working tree; use `tightlip history` to scan its \
         commits"
    )]
    BareRepository { path: PathBuf },
    #[error("cannot read the index of the repository at {path}: {source}")]
    Index {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Files selected for scanning, as absolute paths paired with the path
/// shown in reports.
struct FileList {
    files: Vec<(PathBuf, BString)>,
    skipped: Vec<Skipped>,
    /// Every path of the tree, beyond the scanned subdirectory too, for
    /// finding DataJoint configuration files; submodules as `<path>/.git`.
    listing: Vec<BString>,
}

/// Scans the working tree under `path` (a file or a directory).
pub fn scan_worktree(path: &Path, detector: &Detector) -> Result<Report, WorktreeError> {
    let started = Instant::now();
    let path = std::fs::canonicalize(path).map_err(|_| WorktreeError::NotFound {
        path: path.to_path_buf(),
    })?;
    if !path.is_file() && !path.is_dir() {
        return Err(WorktreeError::NotFileOrDirectory { path });
    }
    if path.is_dir() && is_bare_repository(&path) {
        return Err(WorktreeError::BareRepository { path });
    }
    let repo_root = find_repo_root(if path.is_file() {
        path.parent().unwrap_or(&path)
    } else {
        &path
    });
    let list = if path.is_file() {
        single_file(&path)
    } else {
        match &repo_root {
            Some(root) => repo_files(root, &path)?,
            None => plain_files(&path),
        }
    };
    let root = repo_root.unwrap_or_else(|| {
        if path.is_file() {
            path.parent().unwrap_or(&path).to_path_buf()
        } else {
            path.clone()
        }
    });

    let matches = Mutex::new(Vec::new());
    let skipped = Mutex::new(list.skipped);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    let scanned = std::sync::atomic::AtomicU64::new(0);
    list.files.par_iter().for_each(|(absolute, shown)| {
        let outcome = read_and_scan(absolute, shown, detector);
        match outcome {
            Ok((size, found)) => {
                bytes.fetch_add(size, std::sync::atomic::Ordering::Relaxed);
                scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if !found.is_empty() {
                    let mut matches = matches.lock().expect("no thread panicked holding the lock");
                    for m in found {
                        let location = location_of(&m, shown);
                        matches.push((m, location));
                    }
                }
            }
            Err(reason) => {
                log::debug!("skipped {}: {reason}", absolute.display());
                skipped
                    .lock()
                    .expect("no thread panicked holding the lock")
                    .push(Skipped {
                        path: shown.clone(),
                        blob: None,
                        commit: None,
                        reason,
                    });
            }
        }
    });

    let mut skipped = skipped
        .into_inner()
        .expect("no thread panicked holding the lock");
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let mut report = Report {
        command: "scan".into(),
        findings: group_matches(
            matches
                .into_inner()
                .expect("no thread panicked holding the lock"),
        ),
        root: Some(root),
        ..Report::default()
    };
    report.stats.blobs_scanned = scanned.into_inner();
    report.stats.bytes_scanned = bytes.into_inner();
    report.stats.skipped = skipped.len() as u64;
    report.skipped = skipped;
    crate::effective::mark_with_listing(&mut report, &list.listing);
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn location_of(m: &Match, shown: &BString) -> Location {
    Location {
        path: shown.clone(),
        line: m.line,
        column: m.column,
        commit: None,
        blob: None,
        refs: Vec::new(),
        in_head: None,
    }
}

/// Reads one file and scans it; returns its size and matches, or why it
/// was skipped.
fn read_and_scan(
    absolute: &Path,
    shown: &BString,
    detector: &Detector,
) -> Result<(u64, Vec<Match>), SkipReason> {
    let metadata = std::fs::symlink_metadata(absolute).map_err(|e| SkipReason::Unreadable {
        error: e.to_string(),
    })?;
    let limit = detector.options().max_size;
    if metadata.len() > limit {
        return Err(SkipReason::TooLarge {
            size: metadata.len(),
            limit,
        });
    }
    let data = std::fs::read(absolute).map_err(|e| SkipReason::Unreadable {
        error: e.to_string(),
    })?;
    match detector.scan(shown.as_bstr(), &data) {
        BlobScan::Scanned(found) => Ok((data.len() as u64, found)),
        BlobScan::Skipped(reason) => Err(reason),
    }
}

fn single_file(path: &Path) -> FileList {
    let shown = match find_repo_root(path.parent().unwrap_or(path)) {
        Some(root) => relative_bytes(path, &root),
        None => path
            .file_name()
            .map(|name| BString::from(Vec::from_os_str_lossy(name).into_owned()))
            .unwrap_or_default(),
    };
    FileList {
        listing: vec![shown.clone()],
        files: vec![(path.to_path_buf(), shown)],
        skipped: Vec::new(),
    }
}

/// Returns true when `dir` is, or lies inside, a repository without a
/// working tree.
fn is_bare_repository(dir: &Path) -> bool {
    gix::discover(dir).is_ok_and(|repo| repo.workdir().is_none())
}

/// Returns the top of the working tree that contains `dir`, if any.
fn find_repo_root(dir: &Path) -> Option<PathBuf> {
    let repo = gix::discover(dir).ok()?;
    let root = repo.workdir()?;
    std::fs::canonicalize(root).ok()
}

/// Repository-relative path bytes of `path` under `root`.
fn relative_bytes(path: &Path, root: &Path) -> BString {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut bytes = Vec::from_path_lossy(relative).into_owned();
    if std::path::MAIN_SEPARATOR != '/' {
        for byte in &mut bytes {
            if *byte == std::path::MAIN_SEPARATOR as u8 {
                *byte = b'/';
            }
        }
    }
    BString::from(bytes)
}

/// Tracked files under `dir` plus untracked files that are not ignored.
fn repo_files(root: &Path, dir: &Path) -> Result<FileList, WorktreeError> {
    let index_error = |source: Box<dyn std::error::Error + Send + Sync>| WorktreeError::Index {
        path: root.to_path_buf(),
        source,
    };
    let repo = gix::open(root).map_err(|e| index_error(Box::new(e)))?;
    let prefix = relative_bytes(dir, root);
    let mut skipped = Vec::new();
    let mut chosen: BTreeSet<BString> = BTreeSet::new();

    let index = repo
        .index_or_empty()
        .map_err(|e| index_error(Box::new(e)))?;
    let mut listing = index_listing(&index);
    for entry in index.entries() {
        let path = entry.path(&index);
        if !is_under(path, &prefix) {
            continue;
        }
        if entry.stage_raw() > 1 {
            // Conflict stages 2 and 3 name the same path as stage 1.
            continue;
        }
        match entry.mode {
            gix::index::entry::Mode::COMMIT => skipped.push(Skipped {
                path: path.to_owned(),
                blob: Some(entry.id.to_string()),
                commit: None,
                reason: SkipReason::Submodule,
            }),
            gix::index::entry::Mode::SYMLINK => skipped.push(Skipped {
                path: path.to_owned(),
                blob: Some(entry.id.to_string()),
                commit: None,
                reason: SkipReason::Symlink,
            }),
            _ => {
                chosen.insert(path.to_owned());
            }
        }
    }

    let walked = walk(dir, true);
    for path in walked.files {
        let shown = relative_bytes(&path, root);
        listing.push(shown.clone());
        chosen.insert(shown);
    }
    skipped.extend(
        walked
            .errors
            .iter()
            .map(|(path, error)| unreadable(path, root, error)),
    );
    skipped.extend(walked.skipped.iter().map(|(path, reason)| Skipped {
        path: relative_bytes(path, root),
        blob: None,
        commit: None,
        reason: reason.clone(),
    }));

    let files = chosen
        .into_iter()
        .filter_map(|shown| {
            let absolute = root.join(shown.to_path_lossy());
            // A tracked file deleted from the working tree has nothing to scan.
            absolute
                .symlink_metadata()
                .ok()
                .filter(|m| m.is_file())
                .map(|_| (absolute, shown))
        })
        .collect();
    Ok(FileList {
        files,
        skipped,
        listing,
    })
}

fn plain_files(dir: &Path) -> FileList {
    let walked = walk(dir, false);
    let files: Vec<(PathBuf, BString)> = walked
        .files
        .into_iter()
        .map(|path| {
            let shown = relative_bytes(&path, dir);
            (path, shown)
        })
        .collect();
    let mut skipped: Vec<Skipped> = walked
        .errors
        .iter()
        .map(|(path, error)| unreadable(path, dir, error))
        .collect();
    skipped.extend(walked.skipped.iter().map(|(path, reason)| Skipped {
        path: relative_bytes(path, dir),
        blob: None,
        commit: None,
        reason: reason.clone(),
    }));
    let listing = files.iter().map(|(_, shown)| shown.clone()).collect();
    FileList {
        files,
        skipped,
        listing,
    }
}

fn unreadable(path: &Path, root: &Path, error: &str) -> Skipped {
    Skipped {
        path: relative_bytes(path, root),
        blob: None,
        commit: None,
        reason: SkipReason::Unreadable {
            error: error.to_string(),
        },
    }
}

/// Regular files found by a walk, the paths it could not read, and the
/// entries it passed over on purpose.
struct Walked {
    files: Vec<PathBuf>,
    errors: Vec<(PathBuf, String)>,
    skipped: Vec<(PathBuf, SkipReason)>,
}

/// Walks `dir` in parallel and returns regular files. In a repository the
/// walk honours `.gitignore`, `.git/info/exclude` and the global excludes
/// file. Hidden files are always included, because a scan must see `.env`
/// and `.secrets/`.
fn walk(dir: &Path, in_repo: bool) -> Walked {
    let files = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    let skipped = std::sync::Arc::new(Mutex::new(Vec::new()));
    let nested = skipped.clone();
    let root = dir.to_path_buf();
    let root_for_errors = dir.to_path_buf();
    ignore::WalkBuilder::new(dir)
        .hidden(false)
        .parents(in_repo)
        .ignore(false)
        .git_ignore(in_repo)
        .git_global(in_repo)
        .git_exclude(in_repo)
        .require_git(true)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !is_dir {
                return true;
            }
            if entry.file_name() == ".git" {
                return false;
            }
            // A nested repository or submodule keeps its own history.
            let keep = entry.path() == root || !entry.path().join(".git").exists();
            if !keep {
                nested
                    .lock()
                    .expect("no thread panicked holding the lock")
                    .push((entry.path().to_path_buf(), SkipReason::NestedRepository));
            }
            keep
        })
        .build_parallel()
        .run(|| {
            let files = &files;
            let errors = &errors;
            let skipped = &skipped;
            let root_for_errors = &root_for_errors;
            Box::new(move |entry| {
                match entry {
                    Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                        files
                            .lock()
                            .expect("no thread panicked holding the lock")
                            .push(entry.into_path());
                    }
                    Ok(entry) => {
                        let reason = match entry.file_type() {
                            Some(t) if t.is_symlink() => Some(SkipReason::Symlink),
                            Some(t) if !t.is_dir() => Some(SkipReason::SpecialFile),
                            _ => None,
                        };
                        if let Some(reason) = reason {
                            skipped
                                .lock()
                                .expect("no thread panicked holding the lock")
                                .push((entry.into_path(), reason));
                        }
                    }
                    Err(error) => {
                        let path =
                            walk_error_path(&error).unwrap_or_else(|| root_for_errors.clone());
                        errors
                            .lock()
                            .expect("no thread panicked holding the lock")
                            .push((path, error.to_string()));
                    }
                }
                ignore::WalkState::Continue
            })
        });
    let skipped =
        std::mem::take(&mut *skipped.lock().expect("no thread panicked holding the lock"));
    Walked {
        files: files
            .into_inner()
            .expect("no thread panicked holding the lock"),
        errors: errors
            .into_inner()
            .expect("no thread panicked holding the lock"),
        skipped,
    }
}

/// Returns the path an `ignore` walk error names, if any.
fn walk_error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}
