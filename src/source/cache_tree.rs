//! A fast comparison of the index with the `HEAD` tree that uses the
//! index's cache-tree extension, as `git diff --cached` does.
//!
//! git records in the index, per directory, the tree id the staged entries
//! of that directory would produce, and invalidates a directory when an
//! entry below it is staged. A valid directory whose id equals the
//! matching `HEAD` tree is unchanged, so its entries are skipped without
//! reading any object. Only the directories along staged paths are read,
//! which keeps a commit of one file fast in a repository of any size.
//!
//! The walk gives up whenever its result could differ from the full
//! comparison, which detects renames by similarity, and the caller then
//! runs that instead. This happens for unmerged entries, for sparse-index
//! directories that differ from HEAD, for a
//! cache tree whose counts do not match the entries, and for additions
//! next to deletions that are not exact renames.

use std::collections::HashMap;

use bstr::{BStr, BString, ByteSlice};
use gix::ObjectId;
use gix::index::entry::{Flags, Mode, Stage};
use gix::index::extension::Tree as CacheTree;

use crate::finding::{SkipReason, Skipped};
use crate::source::index::StagedChange;

/// Staged changes and submodule entries, as [`super::index::staged_changes`]
/// returns them.
pub type Changes = (Vec<StagedChange>, Vec<Skipped>);

/// Compares `index` with `head_tree` (`None` before the first commit) by
/// way of the cache tree. Returns `None` when the caller must use the full
/// comparison instead.
pub fn staged_changes_by_cache_tree(
    repo: &gix::Repository,
    index: &gix::index::State,
    head_tree: Option<ObjectId>,
) -> anyhow::Result<Option<Changes>> {
    let mut walk = Walk {
        repo,
        index,
        position: 0,
        added: Vec::new(),
        modified: Vec::new(),
        deleted_blobs: HashMap::new(),
        deleted_tree: false,
        skipped: Vec::new(),
    };
    let mut prefix = BString::default();
    if !walk.directory(index.tree(), &mut prefix, head_tree)? {
        return Ok(None);
    }
    if walk.position != index.entries().len() {
        return Ok(None);
    }
    Ok(walk.finish())
}

struct Walk<'a> {
    repo: &'a gix::Repository,
    index: &'a gix::index::State,
    /// Index of the next entry to visit. Entries are sorted by path, so
    /// each directory covers one contiguous run of them.
    position: usize,
    added: Vec<StagedChange>,
    modified: Vec<StagedChange>,
    /// Blob ids of files in `HEAD` that the index no longer has, for exact
    /// rename detection.
    deleted_blobs: HashMap<ObjectId, usize>,
    /// Set when a whole directory of `HEAD` is gone from the index.
    deleted_tree: bool,
    skipped: Vec<Skipped>,
}

/// One entry of a `HEAD` tree.
struct HeadEntry {
    mode: gix::object::tree::EntryMode,
    id: ObjectId,
    seen: bool,
}

impl Walk<'_> {
    fn path_at(&self, position: usize) -> &BStr {
        self.index.entries()[position].path(self.index)
    }

    /// Visits the index entries under `prefix` (empty or ending in `/`),
    /// whose `HEAD` tree is `head` and whose cache-tree node is `node`.
    /// Returns `false` when the fast path cannot decide.
    fn directory(
        &mut self,
        node: Option<&CacheTree>,
        prefix: &mut BString,
        head: Option<ObjectId>,
    ) -> anyhow::Result<bool> {
        if let (Some(node), Some(head)) = (node, head)
            && let Some(count) = node.num_entries
            && node.id == head
        {
            return Ok(self.skip_unchanged(prefix.as_bstr(), count as usize));
        }

        let mut head_entries = match head {
            Some(id) => HeadEntries::read(self.repo, id)?,
            None => HeadEntries::default(),
        };
        let children: HashMap<&[u8], &CacheTree> = node
            .map(|node| {
                node.children
                    .iter()
                    .map(|child| (child.name.as_slice(), child))
                    .collect()
            })
            .unwrap_or_default();
        let index = self.index;
        let entries = index.entries();
        while self.position < entries.len() {
            let entry = &entries[self.position];
            let path = entry.path(index);
            if !path.starts_with(prefix.as_slice()) {
                break;
            }
            let rest = &path[prefix.len()..];
            let sparse_name = rest.strip_suffix(b"/").unwrap_or(rest);
            if entry.mode.is_sparse() && !sparse_name.contains(&b'/') {
                // In a sparse index, one entry stands for a directory that
                // is not checked out. It is unchanged when it names the
                // same tree as HEAD.
                let head_id = head_entries.take(sparse_name, true).map(|e| e.id);
                if head_id != Some(entry.id) {
                    return Ok(false);
                }
                self.position += 1;
                continue;
            }
            if entry.stage() != Stage::Unconflicted {
                return Ok(false);
            }
            if let Some(slash) = rest.find_byte(b'/') {
                let name = &rest[..slash];
                let child = children.get(name.as_bytes()).copied();
                let child_head = head_entries.take(name, true).map(|e| e.id);
                let length = prefix.len();
                prefix.extend_from_slice(name);
                prefix.push(b'/');
                let decided = self.directory(child, prefix, child_head)?;
                prefix.truncate(length);
                if !decided {
                    return Ok(false);
                }
            } else {
                let head_entry = head_entries
                    .take(rest, false)
                    .map(|head_entry| (head_entry.mode, head_entry.id));
                self.file(entry, path, head_entry);
                self.position += 1;
            }
        }

        for head_entry in head_entries.entries.iter().filter(|e| !e.seen) {
            if head_entry.mode.is_tree() {
                self.deleted_tree = true;
            } else if head_entry.mode.is_blob_or_symlink() {
                *self.deleted_blobs.entry(head_entry.id).or_default() += 1;
            }
        }
        Ok(true)
    }

    /// Skips the `count` entries of an unchanged directory after checking
    /// that they are exactly the entries under `prefix`. The check is needed
    /// because gix documents the count as possibly stale.
    fn skip_unchanged(&mut self, prefix: &BStr, count: usize) -> bool {
        let end = self.position + count;
        let len = self.index.entries().len();
        if count == 0 || end > len {
            return false;
        }
        let first_inside = self.path_at(self.position).starts_with(prefix);
        let last_inside = self.path_at(end - 1).starts_with(prefix);
        let next_outside = end == len || !self.path_at(end).starts_with(prefix);
        if first_inside && last_inside && next_outside {
            self.position = end;
            true
        } else {
            false
        }
    }

    fn file(
        &mut self,
        entry: &gix::index::Entry,
        path: &BStr,
        head: Option<(gix::object::tree::EntryMode, ObjectId)>,
    ) {
        // `git add -N` records a path without content; the commit records
        // nothing for it.
        if entry.flags.contains(Flags::INTENT_TO_ADD) {
            return;
        }
        let unchanged = head.is_some_and(|(mode, id)| {
            id == entry.id && entry.mode.to_tree_entry_mode() == Some(mode)
        });
        if unchanged {
            return;
        }
        if entry.mode == Mode::COMMIT {
            self.skipped.push(Skipped {
                path: path.to_owned(),
                blob: Some(entry.id.to_string()),
                commit: None,
                reason: SkipReason::Submodule,
            });
            return;
        }
        match head {
            None => self.added.push(StagedChange {
                path: path.to_owned(),
                id: entry.id,
                previous: None,
            }),
            Some((mode, id)) => {
                if !mode.is_blob_or_symlink() {
                    // A submodule or directory replaced by a file.
                    self.added.push(StagedChange {
                        path: path.to_owned(),
                        id: entry.id,
                        previous: None,
                    });
                    if mode.is_tree() {
                        self.deleted_tree = true;
                    }
                } else {
                    self.modified.push(StagedChange {
                        path: path.to_owned(),
                        id: entry.id,
                        previous: Some(id),
                    })
                }
            }
        }
    }

    /// Pairs additions with deleted files of the same content (exact
    /// renames). Returns `None` when additions remain next to deletions,
    /// because only similarity-based rename detection can pair those.
    fn finish(mut self) -> Option<Changes> {
        for change in &mut self.added {
            if let Some(count) = self.deleted_blobs.get_mut(&change.id)
                && *count > 0
            {
                *count -= 1;
                change.previous = Some(change.id);
            }
        }
        let unpaired_addition = self.added.iter().any(|change| change.previous.is_none());
        let unpaired_deletion = self.deleted_tree || self.deleted_blobs.values().any(|n| *n > 0);
        if unpaired_addition && unpaired_deletion {
            return None;
        }
        let mut changes = self.modified;
        changes.append(&mut self.added);
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Some((changes, self.skipped))
    }
}

/// The entries of one `HEAD` tree, found by name and kind.
#[derive(Default)]
struct HeadEntries {
    entries: Vec<HeadEntry>,
    /// Position in `entries` of each subtree, by name.
    trees: HashMap<BString, usize>,
    /// Position in `entries` of each other entry, by name.
    others: HashMap<BString, usize>,
}

impl HeadEntries {
    fn read(repo: &gix::Repository, id: ObjectId) -> anyhow::Result<HeadEntries> {
        use anyhow::Context;

        let tree = repo
            .find_tree(id)
            .with_context(|| format!("failed to read tree {id} of HEAD"))?;
        let decoded = tree
            .decode()
            .with_context(|| format!("failed to decode tree {id} of HEAD"))?;
        let mut head = HeadEntries::default();
        for (position, entry) in decoded.entries.iter().enumerate() {
            let name: BString = entry.filename.to_owned();
            if entry.mode.is_tree() {
                head.trees.insert(name, position);
            } else {
                head.others.insert(name, position);
            }
            head.entries.push(HeadEntry {
                mode: entry.mode,
                id: entry.oid.to_owned(),
                seen: false,
            });
        }
        Ok(head)
    }

    /// Marks and returns the entry called `name` that is a tree when
    /// `want_tree` is set, or anything else when it is not.
    fn take(&mut self, name: &[u8], want_tree: bool) -> Option<&HeadEntry> {
        let by_name = if want_tree { &self.trees } else { &self.others };
        let position = *by_name.get(name.as_bstr())?;
        let entry = &mut self.entries[position];
        entry.seen = true;
        Some(entry)
    }
}
