//! Ref tips, the commits a scan covers, their order, and which refs reach a
//! commit.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bstr::ByteSlice;
use gix::ObjectId;
use rustc_hash::FxHashSet;

use super::graph::Graph;
use super::{HistoryError, HistoryOptions};

/// A ref and the commit it finally points to (annotated tags peeled).
pub struct RefTip {
    pub name: String,
    pub commit: u32,
}

/// Commit slots with their parents restricted to commits that exist, in
/// parents-before-children order.
pub struct Selection {
    /// Parent slots of each commit slot, as ranges into `parent_slots`.
    parent_ranges: Vec<(u32, u32)>,
    parent_slots: Vec<u32>,
    /// Every commit reachable from a ref tip or an included revision,
    /// parents first, ties broken by committer time.
    pub order: Vec<u32>,
    /// Whether each commit slot is in the scanned set.
    pub selected: Vec<bool>,
    pub refs: Vec<RefTip>,
    /// Refs that point to a tree or blob instead of a commit.
    pub targets: Vec<(String, ObjectId)>,
    pub warnings: Vec<String>,
    /// Refs and parents that name missing or corrupt objects. Any entry
    /// makes the scan fail, because the history behind it was not read.
    pub damage: Vec<String>,
    pub truncated: bool,
}

/// What selection needs to know about the repository's state.
pub struct Context<'a> {
    pub objects: &'a super::odb::ObjectTable,
    /// Objects whose stored bytes fail their check, with the reason.
    pub corrupt: &'a rustc_hash::FxHashMap<super::odb::ObjectIndex, String>,
    /// True in a partial clone, where objects may be missing by design.
    pub partial: bool,
}

impl Selection {
    pub fn parents(&self, slot: u32) -> &[u32] {
        let (start, len) = self.parent_ranges[slot as usize];
        &self.parent_slots[start as usize..(start + len) as usize]
    }

    pub fn selected_count(&self) -> usize {
        self.order
            .iter()
            .filter(|&&slot| self.selected[slot as usize])
            .count()
    }
}

/// Resolves `spec` to a commit slot, or fails with the reason.
fn resolve_commit(
    repo: &gix::Repository,
    graph: &Graph,
    objects: &super::odb::ObjectTable,
    spec: &str,
) -> Result<u32, HistoryError> {
    let revision_error = |message: String| HistoryError::Revision {
        spec: spec.to_string(),
        message,
    };
    let id = repo
        .rev_parse_single(spec.as_bytes().as_bstr())
        .map_err(|e| revision_error(e.to_string()))?;
    let commit = id
        .object()
        .map_err(|e| revision_error(e.to_string()))?
        .peel_to_commit()
        .map_err(|e| revision_error(e.to_string()))?;
    objects
        .index(&commit.id)
        .and_then(|object| graph.commit_slot(object))
        .ok_or_else(|| {
            revision_error(format!(
                "commit {} is not in the object database",
                commit.id
            ))
        })
}

/// Refs with the commit each points to, and the messages about refs that
/// point to no readable commit.
#[derive(Default)]
struct RefListing {
    tips: Vec<RefTip>,
    /// Refs to a tree or blob (or anything else that is not a commit).
    targets: Vec<(String, ObjectId)>,
    warnings: Vec<String>,
    damage: Vec<String>,
}

impl RefListing {
    /// Adds ref `name` pointing to `id`. A ref to a missing or corrupt
    /// object is damage, except a reflog entry (`is_reflog`), which git
    /// itself lets expire, and a missing object in a partial clone.
    fn add(
        &mut self,
        graph: &Graph,
        context: &Context,
        name: String,
        id: ObjectId,
        is_reflog: bool,
    ) {
        let object = context.objects.index(&id);
        if let Some(commit) = object.and_then(|object| graph.commit_slot(object)) {
            self.tips.push(RefTip { name, commit });
            return;
        }
        match object {
            None if is_reflog || context.partial => self.warnings.push(format!(
                "ref {name} points to {id}, which is missing from the object database; it was not scanned"
            )),
            None => self.damage.push(format!(
                "ref {name} points to {id}, which is missing from the object database"
            )),
            Some(object) => match context.corrupt.get(&object) {
                Some(reason) if is_reflog => self.warnings.push(format!(
                    "ref {name} points to {id}, which is corrupt ({reason}); it was not scanned"
                )),
                Some(reason) => self.damage.push(format!(
                    "ref {name} points to {id}, which is corrupt ({reason})"
                )),
                None => self.targets.push((name, id)),
            },
        }
    }
}

/// Lists every ref (and the entries of the `refs/stash` reflog) with the
/// commit it points to. Refs that point to no commit are left out with a
/// warning, or recorded as damage when their object is missing or corrupt.
fn list_refs(
    repo: &gix::Repository,
    graph: &Graph,
    context: &Context,
) -> Result<RefListing, HistoryError> {
    let read_error = |message: String| HistoryError::Read {
        what: "refs".into(),
        message,
    };
    let mut listing = RefListing::default();
    let platform = repo.references().map_err(|e| read_error(e.to_string()))?;
    for reference in platform.all().map_err(|e| read_error(e.to_string()))? {
        let mut reference = match reference {
            Ok(reference) => reference,
            Err(e) => {
                listing.damage.push(format!("a ref is unreadable: {e}"));
                continue;
            }
        };
        let name = reference.name().as_bstr().to_string();
        // A symbolic ref whose target ref does not exist (such as
        // refs/remotes/origin/HEAD after the remote's default branch was
        // pruned) names no object, so git ignores it and so does this scan.
        if let gix::refs::TargetRef::Symbolic(target) = reference.target()
            && let Ok(None) = repo.try_find_reference(target)
        {
            listing.warnings.push(format!(
                "symbolic ref {name} points to {}, which does not exist; it was skipped",
                target.as_bstr()
            ));
            continue;
        }
        // A ref straight to a missing object gets the plain message from
        // `add` rather than the peeling error.
        if let gix::refs::TargetRef::Object(id) = reference.target()
            && context.objects.index(id).is_none()
        {
            listing.add(graph, context, name, id.to_owned(), false);
            continue;
        }
        match reference.peel_to_id() {
            Ok(id) => listing.add(graph, context, name, id.detach(), false),
            Err(e) => listing
                .damage
                .push(format!("ref {name} could not be resolved: {e}")),
        }
    }

    // A detached HEAD is a ref of its own, and a symbolic HEAD that cannot
    // be followed (a cycle) is damage. An unborn branch is not.
    match repo.head() {
        Ok(head) if head.is_detached() => {
            if let Some(id) = head.id() {
                listing.add(graph, context, "HEAD".into(), id.detach(), false);
            }
        }
        Ok(_) => {}
        Err(e) => listing
            .damage
            .push(format!("HEAD could not be resolved: {e}")),
    }

    // Older stash entries live only in the reflog of refs/stash.
    if let Ok(Some(stash)) = repo.try_find_reference("refs/stash") {
        let mut log = stash.log_iter();
        if let Ok(Some(lines)) = log.all() {
            let lines: Vec<_> = lines.filter_map(Result::ok).collect();
            for (n, line) in lines.iter().rev().enumerate().skip(1) {
                let name = format!("refs/stash@{{{n}}}");
                listing.add(graph, context, name, line.new_oid(), true);
            }
        }
    }
    Ok(listing)
}

/// Marks every commit reachable from `starts` (following present parents).
fn mark_ancestors(parents: impl Fn(u32) -> Vec<u32>, starts: &[u32], marks: &mut [bool]) {
    let mut stack: Vec<u32> = starts.to_vec();
    while let Some(slot) = stack.pop() {
        if std::mem::replace(&mut marks[slot as usize], true) {
            continue;
        }
        stack.extend(parents(slot));
    }
}

/// Works out which commits `options` selects and orders all reachable
/// commits parents-first.
pub fn select(
    repo: &gix::Repository,
    graph: &Graph,
    context: &Context,
    options: &HistoryOptions,
) -> Result<Selection, HistoryError> {
    let objects = context.objects;
    let mut warnings = Vec::new();
    let mut damage = Vec::new();
    let shallow: FxHashSet<ObjectId> = match repo.shallow_commits() {
        Ok(Some(commits)) => commits.iter().copied().collect(),
        Ok(None) => FxHashSet::default(),
        Err(e) => {
            return Err(HistoryError::Read {
                what: "shallow file".into(),
                message: e.to_string(),
            });
        }
    };
    let truncated = !shallow.is_empty();
    if truncated {
        warnings.push(
            "this is a shallow clone, so history is truncated: commits before the shallow boundary were not scanned, \
             and each boundary commit counts as adding all its files (run `git fetch --unshallow` to scan everything)"
                .into(),
        );
    }

    // Parents restricted to present commits; a shallow commit has none.
    let mut parent_ranges = Vec::with_capacity(graph.commits.len());
    let mut parent_slots = Vec::new();
    let mut absent_parents = Vec::new();
    for (slot, commit) in graph.commits.iter().enumerate() {
        let start = parent_slots.len() as u32;
        if !shallow.contains(objects.id(commit.object)) {
            for parent in graph.parent_ids(commit) {
                match objects
                    .index(parent)
                    .and_then(|object| graph.commit_slot(object))
                {
                    Some(parent) => parent_slots.push(parent),
                    None => absent_parents.push((slot as u32, *parent)),
                }
            }
        }
        parent_ranges.push((start, parent_slots.len() as u32 - start));
    }
    let parents_of = |slot: u32| -> Vec<u32> {
        let (start, len) = parent_ranges[slot as usize];
        parent_slots[start as usize..(start + len) as usize].to_vec()
    };

    let listing = list_refs(repo, graph, context)?;
    let refs = listing.tips;
    let targets = listing.targets;
    warnings.extend(listing.warnings);
    damage.extend(listing.damage);
    let mut include: Vec<u32> = Vec::new();
    let mut exclude: Vec<u32> = Vec::new();
    if let Some(range) = &options.range {
        let (from, to) = range
            .split_once("..")
            .ok_or_else(|| HistoryError::Revision {
                spec: range.clone(),
                message: "a range must have the form A..B".into(),
            })?;
        if to.starts_with('.') {
            return Err(HistoryError::Revision {
                spec: range.clone(),
                message: "symmetric ranges (A...B) are not supported; use A..B".into(),
            });
        }
        let from = if from.is_empty() { "HEAD" } else { from };
        let to = if to.is_empty() { "HEAD" } else { to };
        exclude.push(resolve_commit(repo, graph, objects, from)?);
        include.push(resolve_commit(repo, graph, objects, to)?);
    } else if let Some(reference) = &options.git_ref {
        include.push(resolve_commit(repo, graph, objects, reference)?);
    } else {
        include.extend(refs.iter().map(|tip| tip.commit));
    }
    if let Some(since) = &options.since_commit {
        exclude.push(resolve_commit(repo, graph, objects, since)?);
    }

    let count = graph.commits.len();
    let mut reachable = vec![false; count];
    let mut starts: Vec<u32> = refs.iter().map(|tip| tip.commit).collect();
    starts.extend(&include);
    mark_ancestors(parents_of, &starts, &mut reachable);

    let mut selected = vec![false; count];
    mark_ancestors(parents_of, &include, &mut selected);
    let mut excluded = vec![false; count];
    mark_ancestors(parents_of, &exclude, &mut excluded);
    for (slot, excluded) in excluded.iter().enumerate() {
        if *excluded {
            selected[slot] = false;
        }
    }

    // Only a parent of a reachable commit matters: an unreachable commit
    // with a missing parent is garbage that `git gc` would remove.
    for (child, parent) in absent_parents {
        if !reachable[child as usize] {
            continue;
        }
        let state = match objects.index(&parent).and_then(|o| context.corrupt.get(&o)) {
            Some(reason) => format!("corrupt ({reason})"),
            None => "missing from the object database".to_string(),
        };
        damage.push(format!(
            "commit {} has parent {parent}, which is {state}",
            objects.id(graph.commits[child as usize].object)
        ));
    }

    let order = topological_order(graph, &parent_ranges, &parent_slots, &reachable);
    Ok(Selection {
        parent_ranges,
        parent_slots,
        order,
        selected,
        refs,
        targets,
        warnings,
        damage,
        truncated,
    })
}

/// Orders the `reachable` commits parents-first; among commits whose
/// parents are all placed, the oldest committer time goes first.
fn topological_order(
    graph: &Graph,
    parent_ranges: &[(u32, u32)],
    parent_slots: &[u32],
    reachable: &[bool],
) -> Vec<u32> {
    let count = graph.commits.len();
    let mut pending = vec![0u32; count];
    let mut child_counts = vec![0u32; count + 1];
    for slot in 0..count {
        if !reachable[slot] {
            continue;
        }
        let (start, len) = parent_ranges[slot];
        for &parent in &parent_slots[start as usize..(start + len) as usize] {
            pending[slot] += 1;
            child_counts[parent as usize + 1] += 1;
        }
    }
    for i in 1..child_counts.len() {
        child_counts[i] += child_counts[i - 1];
    }
    let mut children = vec![0u32; child_counts[count] as usize];
    let mut fill = child_counts.clone();
    for slot in 0..count {
        if !reachable[slot] {
            continue;
        }
        let (start, len) = parent_ranges[slot];
        for &parent in &parent_slots[start as usize..(start + len) as usize] {
            children[fill[parent as usize] as usize] = slot as u32;
            fill[parent as usize] += 1;
        }
    }

    let mut ready: BinaryHeap<Reverse<(i64, u32)>> = (0..count)
        .filter(|&slot| reachable[slot] && pending[slot] == 0)
        .map(|slot| Reverse((graph.commits[slot].committer_time, slot as u32)))
        .collect();
    let mut order = Vec::with_capacity(count);
    while let Some(Reverse((_, slot))) = ready.pop() {
        order.push(slot);
        let range = child_counts[slot as usize] as usize..child_counts[slot as usize + 1] as usize;
        for &child in &children[range] {
            pending[child as usize] -= 1;
            if pending[child as usize] == 0 {
                ready.push(Reverse((
                    graph.commits[child as usize].committer_time,
                    child,
                )));
            }
        }
    }
    order
}

/// Orders ref names for display: local branches and a detached HEAD,
/// then tags, remote-tracking branches, the stash, notes, and other refs.
fn ref_rank(name: &str) -> (u8, &str) {
    let rank = if name == "HEAD" || name.starts_with("refs/heads/") {
        0
    } else if name.starts_with("refs/tags/") {
        1
    } else if name.starts_with("refs/remotes/") {
        2
    } else if name.starts_with("refs/stash") {
        3
    } else if name.starts_with("refs/notes/") {
        4
    } else {
        5
    };
    (rank, name)
}

/// The refs that reach one commit: at most the requested number of names
/// (see [`ref_rank`] for which come first) and how many refs reach it.
pub struct Reaching {
    pub names: Vec<String>,
    pub total: usize,
}

/// Returns, for each of `targets`, the refs whose commit has that target as
/// an ancestor (or is the target), keeping at most `limit` names each.
pub fn refs_reaching(
    selection: &Selection,
    commit_count: usize,
    targets: &[u32],
    limit: usize,
) -> Vec<Reaching> {
    let mut ranked: Vec<&RefTip> = selection.refs.iter().collect();
    ranked.sort_by(|a, b| ref_rank(&a.name).cmp(&ref_rank(&b.name)));
    ranked.dedup_by(|a, b| a.name == b.name);

    let mut result: Vec<Reaching> = targets
        .iter()
        .map(|_| Reaching {
            names: Vec::new(),
            total: 0,
        })
        .collect();
    // Bit sets of up to 64 * WORDS targets per pass, propagated in
    // parents-first order so that each commit's set contains its ancestors' targets.
    const WORDS: usize = 16;
    for (chunk_index, chunk) in targets.chunks(64 * WORDS).enumerate() {
        let words = chunk.len().div_ceil(64);
        let mut bits = vec![0u64; commit_count * words];
        for (bit, &target) in chunk.iter().enumerate() {
            bits[target as usize * words + bit / 64] |= 1 << (bit % 64);
        }
        for &slot in &selection.order {
            for &parent in selection.parents(slot) {
                for word in 0..words {
                    let inherited = bits[parent as usize * words + word];
                    bits[slot as usize * words + word] |= inherited;
                }
            }
        }
        for tip in &ranked {
            for word in 0..words {
                let mut set = bits[tip.commit as usize * words + word];
                while set != 0 {
                    let bit = set.trailing_zeros() as usize;
                    set &= set - 1;
                    let reaching = &mut result[chunk_index * 64 * WORDS + word * 64 + bit];
                    reaching.total += 1;
                    if reaching.names.len() < limit {
                        reaching.names.push(tip.name.clone());
                    }
                }
            }
        }
    }
    result
}
