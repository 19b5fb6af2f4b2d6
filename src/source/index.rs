//! The staged source: what `git commit` would record, read from the index
//! and the object database, never from the working tree.
//!
//! Each staged change (added, modified or renamed file) is compared with
//! its version in `HEAD`, or with nothing before the first commit. Content
//! matches count only on lines the commit adds; path matches count
//! whenever the file is staged. During a merge the comparison is still with
//! `HEAD`, so lines that the other side or a conflict resolution brings in
//! count as added.

use std::time::Instant;

use anyhow::Context;
use bstr::{BString, ByteSlice};
use gix::ObjectId;
use gix::diff::index::{Action, ChangeRef};
use gix::status::tree_index::TrackRenames;
use rayon::prelude::*;

use crate::detect::Detector;
use crate::finding::{Location, Match, Report, SkipReason, Skipped, group_matches};
use crate::source::added::{BlobOutcome, scan_added};
use crate::source::cache_tree::staged_changes_by_cache_tree;

/// Staged files above this count are read and scanned in parallel. Below
/// it, the thread pool costs more than it saves.
const PARALLEL_THRESHOLD: usize = 64;

/// One staged file version and the version it replaces.
#[derive(Clone, Debug)]
pub struct StagedChange {
    pub path: BString,
    pub id: ObjectId,
    /// The blob in `HEAD` this version replaces: the same path for a
    /// modification, the source path for a rename, `None` for a new file.
    pub previous: Option<ObjectId>,
}

/// Lists the staged changes that a commit would record: additions,
/// modifications and renames of blobs and symbolic links. Deletions and
/// submodule entries (gitlinks) are left out, and submodules are returned
/// as skipped. Unmerged paths produce a warning because git refuses to
/// commit them.
pub fn staged_changes(
    repo: &gix::Repository,
) -> anyhow::Result<(Vec<StagedChange>, Vec<Skipped>, Vec<String>)> {
    let index = read_index(repo)?;

    let mut warnings = Vec::new();
    let mut last_unmerged: Option<&bstr::BStr> = None;
    for entry in index.entries() {
        if entry.stage() != gix::index::entry::Stage::Unconflicted {
            let path = entry.path(&index);
            if last_unmerged != Some(path) {
                warnings.push(format!(
                    "{} has unresolved merge conflicts and was not scanned. Resolve them and `git add` it.",
                    path.to_str_lossy()
                ));
                last_unmerged = Some(path);
            }
        }
    }

    let head = repo.head().context("failed to read HEAD")?;
    let head_tree: Option<ObjectId> = if head.is_unborn() {
        None
    } else {
        Some(
            repo.head_tree_id()
                .context("failed to read the tree of the HEAD commit")?
                .detach(),
        )
    };

    if warnings.is_empty()
        && let Some((changes, skipped)) = staged_changes_by_cache_tree(repo, &index, head_tree)?
    {
        return Ok((changes, skipped, warnings));
    }
    log::debug!("comparing the whole index with HEAD");
    let (changes, skipped) = staged_changes_full(repo, &index, head_tree)?;
    Ok((changes, skipped, warnings))
}

/// Compares the whole index with `head_tree` (`None` before the first
/// commit), detecting renames by content similarity as `git status` does.
pub fn staged_changes_full(
    repo: &gix::Repository,
    index: &gix::index::State,
    head_tree: Option<ObjectId>,
) -> anyhow::Result<(Vec<StagedChange>, Vec<Skipped>)> {
    let tree_id = head_tree.unwrap_or_else(|| ObjectId::empty_tree(repo.object_hash()));

    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    // Copies are not tracked: a copied file is a new place that contains its
    // content, so all of it counts as added.
    let renames = TrackRenames::Given(gix::diff::Rewrites::default());
    repo.tree_index_status(&tree_id, index, None, renames, |change, _, staged| {
        let (path, position, mode, id, previous) = match change {
            ChangeRef::Deletion { .. } => return Ok(Action::Continue(())),
            ChangeRef::Addition {
                location,
                index,
                entry_mode,
                id,
            } => (location, index, entry_mode, id, None),
            ChangeRef::Modification {
                location,
                index,
                entry_mode,
                id,
                previous_id,
                previous_entry_mode,
                ..
            } => {
                let previous = (previous_entry_mode != gix::index::entry::Mode::COMMIT)
                    .then(|| previous_id.into_owned());
                (location, index, entry_mode, id, previous)
            }
            ChangeRef::Rewrite {
                location,
                index,
                entry_mode,
                id,
                source_id,
                ..
            } => (
                location,
                index,
                entry_mode,
                id,
                Some(source_id.into_owned()),
            ),
        };
        // `git add -N` records a path without content; the commit records
        // nothing for it.
        if staged.entries()[position]
            .flags
            .contains(gix::index::entry::Flags::INTENT_TO_ADD)
        {
            return Ok(Action::Continue(()));
        }
        if mode == gix::index::entry::Mode::COMMIT {
            skipped.push(Skipped {
                path: path.into_owned(),
                blob: Some(id.as_ref().to_string()),
                commit: None,
                reason: SkipReason::Submodule,
            });
            return Ok(Action::Continue(()));
        }
        changes.push(StagedChange {
            path: path.into_owned(),
            id: id.into_owned(),
            previous,
        });
        Ok(Action::Continue(()))
    })
    .with_context(|| {
        if index.is_sparse() {
            "failed to compare the sparse index with HEAD. \
             `git sparse-checkout disable` expands it so the comparison can run"
        } else {
            "failed to compare the index with HEAD"
        }
    })?;

    Ok((changes, skipped))
}

/// Reads the index of `repo`, or an empty one when there is no index file
/// yet. The trailing checksum is not verified, which is what git itself
/// does outside `git fsck`, and saves hashing the whole file on every
/// commit.
pub fn read_index(repo: &gix::Repository) -> anyhow::Result<gix::index::State> {
    let path = repo.index_path();
    if !path.exists() {
        return Ok(gix::index::State::new(repo.object_hash()));
    }
    let file = gix::index::File::at(
        &path,
        repo.object_hash(),
        true,
        gix::index::decode::Options::default(),
    )
    .with_context(|| format!("failed to read the index {}", path.display()))?;
    Ok(file.into())
}

/// Scans what is staged in `repo` and returns the report of the `staged`
/// command.
pub fn scan_staged(repo: &gix::Repository, detector: &Detector) -> anyhow::Result<Report> {
    let started = Instant::now();
    let (changes, mut skipped, warnings) = staged_changes(repo)?;
    log::debug!("{} staged changes to scan", changes.len());

    let results: Vec<ChangeResult> = if changes.len() < PARALLEL_THRESHOLD {
        changes
            .iter()
            .map(|change| scan_change(repo, detector, change))
            .collect()
    } else {
        let shared = repo.clone().into_sync();
        changes
            .par_iter()
            .map_init(
                || shared.to_thread_local(),
                |repo, change| scan_change(repo, detector, change),
            )
            .collect()
    };

    let mut report = Report {
        command: "staged".into(),
        warnings,
        ..Report::default()
    };
    let mut located = Vec::new();
    for result in results {
        match result {
            ChangeResult::Scanned {
                matches,
                change,
                bytes,
            } => {
                report.stats.blobs_scanned += 1;
                report.stats.bytes_scanned += bytes;
                for m in matches {
                    let location = location_of(&m, change);
                    located.push((m, location));
                }
            }
            ChangeResult::Skipped(skip) => skipped.push(skip),
        }
    }
    report.findings = group_matches(located);
    report.stats.skipped = skipped.len() as u64;
    report.skipped = skipped;
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

enum ChangeResult<'a> {
    Scanned {
        matches: Vec<Match>,
        change: &'a StagedChange,
        bytes: u64,
    },
    Skipped(Skipped),
}

fn scan_change<'a>(
    repo: &gix::Repository,
    detector: &Detector,
    change: &'a StagedChange,
) -> ChangeResult<'a> {
    let skip = |reason: SkipReason| {
        ChangeResult::Skipped(Skipped {
            path: change.path.clone(),
            blob: Some(change.id.to_string()),
            commit: None,
            reason,
        })
    };

    let data = match read_blob(repo, change.id) {
        Ok(data) => data,
        Err(reason) => return skip(reason),
    };
    // A previous version that cannot be read leaves the whole file to be
    // scanned, which can only report more.
    let previous = change.previous.and_then(|id| read_blob(repo, id).ok());

    let bytes = data.len() as u64;
    match scan_added(
        detector,
        change.path.as_bstr(),
        &data,
        &[previous.as_deref()],
    ) {
        BlobOutcome::Matches(matches) => ChangeResult::Scanned {
            matches,
            change,
            bytes,
        },
        BlobOutcome::Skipped(reason) => skip(reason),
    }
}

/// Reads a blob's bytes from the object database.
pub(crate) fn read_blob(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, SkipReason> {
    match repo.try_find_object(id) {
        Ok(Some(object)) => Ok(object.detach().data),
        Ok(None) => {
            log::warn!("blob {id} is missing from the object database");
            Err(SkipReason::MissingObject)
        }
        Err(err) => {
            log::warn!("failed to read blob {id}: {err}");
            Err(SkipReason::Unreadable {
                error: err.to_string(),
            })
        }
    }
}

fn location_of(m: &Match, change: &StagedChange) -> Location {
    Location {
        path: change.path.clone(),
        line: m.line,
        column: m.column,
        commit: None,
        blob: Some(change.id.to_string()),
        refs: Vec::new(),
        in_head: None,
    }
}
