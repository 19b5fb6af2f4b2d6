//! Compact in-memory copies of every tree and commit, and the paths built
//! from tree entry names.
//!
//! A tree entry takes 8 bytes: an interned name with the entry kind in its
//! top bits, and the child's [`ObjectIndex`]. All trees of rust-lang/cargo
//! (2.6 million entries) take about 21 MB, so history is diffed in memory
//! without decoding a tree twice.
//!
//! NOTE: memory grows with the total number of entries over all distinct
//! trees. A history with hundreds of millions of them (an estimate for the
//! Linux kernel) would need gigabytes here.

use std::sync::{Arc, Mutex};

use bstr::BString;
use gix::ObjectId;
use rustc_hash::FxHashMap;

use super::HistoryError;
use super::odb::{
    Collector, Corrupt, NO_OBJECT, ObjectIndex, ObjectStore, ObjectTable, PackItem, Visitor,
};

/// The kind of object a tree entry points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Tree,
    /// A regular or executable file, or a symbolic link.
    Blob,
    /// A submodule commit.
    Submodule,
}

/// One tree entry.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Name id in [`Graph::names`] in the low 30 bits, kind in the top two.
    packed_name: u32,
    pub object: ObjectIndex,
}

const NAME_BITS: u32 = 30;
const NAME_MASK: u32 = (1 << NAME_BITS) - 1;

impl Entry {
    fn new(name: u32, kind: EntryKind, object: ObjectIndex) -> Entry {
        let kind_bits = match kind {
            EntryKind::Tree => 0,
            EntryKind::Blob => 1,
            EntryKind::Submodule => 2,
        };
        Entry {
            packed_name: name | (kind_bits << NAME_BITS),
            object,
        }
    }

    pub fn name(&self) -> u32 {
        self.packed_name & NAME_MASK
    }

    pub fn kind(&self) -> EntryKind {
        match self.packed_name >> NAME_BITS {
            0 => EntryKind::Tree,
            1 => EntryKind::Blob,
            _ => EntryKind::Submodule,
        }
    }
}

/// A commit as history scanning needs it: the rest (author, message) is
/// read again from the object database for the few commits a report names.
pub struct Commit {
    pub object: ObjectIndex,
    /// Root tree, or [`NO_OBJECT`] when it is missing.
    pub tree: ObjectIndex,
    pub committer_time: i64,
    /// Range in [`Graph::parent_ids`].
    parents: (u32, u32),
}

/// Every tree and commit of the repository.
pub struct Graph {
    /// Interned entry names.
    pub names: Vec<Box<[u8]>>,
    entries: Vec<Entry>,
    /// For each object, the range of its entries, or `u32::MAX` as start
    /// when the object is not a tree.
    tree_ranges: Vec<(u32, u32)>,
    /// For each object, its slot in `commits`, or `u32::MAX`.
    commit_slots: Vec<u32>,
    pub commits: Vec<Commit>,
    /// Parent commit ids (an id, because a parent may be absent).
    parent_ids: Vec<ObjectId>,
    /// Ids of entries whose object is not in the repository (gitlinks and
    /// missing objects), by entry position.
    absent_ids: FxHashMap<u32, ObjectId>,
    /// Trees and commits that could not be parsed.
    pub unparsable: Vec<ObjectIndex>,
}

#[derive(Default)]
struct MetadataChunk {
    name_ids: FxHashMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
    trees: Vec<(ObjectIndex, u32, u32)>,
    entries: Vec<Entry>,
    absent_ids: Vec<(u32, ObjectId)>,
    commits: Vec<Commit>,
    parent_ids: Vec<ObjectId>,
    unparsable: Vec<ObjectIndex>,
}

impl MetadataChunk {
    fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    fn add_tree(
        &mut self,
        objects: &ObjectTable,
        hash: gix::hash::Kind,
        object: ObjectIndex,
        data: &[u8],
    ) {
        let start = self.entries.len();
        for entry in gix::objs::TreeRefIter::from_bytes(data, hash) {
            let Ok(entry) = entry else {
                self.entries.truncate(start);
                self.absent_ids
                    .retain(|&(position, _)| (position as usize) < start);
                self.unparsable.push(object);
                return;
            };
            let kind = if entry.mode.is_tree() {
                EntryKind::Tree
            } else if entry.mode.is_commit() {
                EntryKind::Submodule
            } else {
                EntryKind::Blob
            };
            let child = match kind {
                EntryKind::Submodule => NO_OBJECT,
                _ => objects.index(entry.oid).unwrap_or(NO_OBJECT),
            };
            if child == NO_OBJECT {
                self.absent_ids
                    .push((self.entries.len() as u32, entry.oid.to_owned()));
            }
            let name = self.intern(entry.filename);
            self.entries.push(Entry::new(name, kind, child));
        }
        let len = self.entries.len() - start;
        self.trees.push((object, start as u32, len as u32));
    }

    fn add_commit(
        &mut self,
        objects: &ObjectTable,
        hash: gix::hash::Kind,
        object: ObjectIndex,
        data: &[u8],
    ) {
        let mut iter = gix::objs::CommitRefIter::from_bytes(data, hash);
        let Ok(tree_id) = iter.tree_id() else {
            self.unparsable.push(object);
            return;
        };
        let start = self.parent_ids.len() as u32;
        self.parent_ids.extend(iter.parent_ids());
        let end = self.parent_ids.len() as u32;
        let committer_time = gix::objs::CommitRefIter::from_bytes(data, hash)
            .committer()
            .map(|signature| signature.seconds())
            .unwrap_or(0);
        self.commits.push(Commit {
            object,
            tree: objects.index(&tree_id).unwrap_or(NO_OBJECT),
            committer_time,
            parents: (start, end - start),
        });
    }
}

#[derive(Clone)]
struct MetadataVisitor<'a> {
    objects: &'a ObjectTable,
    hash: gix::hash::Kind,
    out: Collector<MetadataChunk>,
}

impl Visitor for MetadataVisitor<'_> {
    fn visit(&mut self, object: ObjectIndex, kind: gix::objs::Kind, data: &[u8]) {
        match kind {
            gix::objs::Kind::Tree => self
                .out
                .local
                .add_tree(self.objects, self.hash, object, data),
            gix::objs::Kind::Commit => {
                self.out
                    .local
                    .add_commit(self.objects, self.hash, object, data)
            }
            gix::objs::Kind::Tag | gix::objs::Kind::Blob => {}
        }
    }
}

impl Graph {
    /// Decodes every tree and commit of `store` (packs in parallel, then
    /// loose objects) into a [`Graph`].
    /// `metadata` contains each pack's tree and commit chains, in the order
    /// of `store.packs`.
    /// Loose trees and commits that fail their hash check are added to
    /// `corrupt`.
    pub fn build(
        store: &ObjectStore,
        metadata: Vec<Vec<PackItem>>,
        threads: Option<usize>,
        corrupt: &mut Vec<Corrupt>,
    ) -> Result<Graph, HistoryError> {
        let interrupt = std::sync::atomic::AtomicBool::new(false);
        let shared = Arc::new(Mutex::new(Vec::new()));
        let visitor = MetadataVisitor {
            objects: &store.objects,
            hash: store.hash,
            out: Collector::new(shared.clone()),
        };
        for (pack, items) in store.packs.iter().zip(metadata) {
            let tree = pack.delta_tree(items, &interrupt)?;
            pack.traverse(tree, threads, &interrupt, visitor.clone())?;
        }
        corrupt.extend(store.visit_loose(false, visitor.clone()));
        drop(visitor);
        let chunks = std::mem::take(&mut *shared.lock().expect("no visitor panicked"));
        Ok(Graph::merge(store.objects.len(), chunks))
    }

    fn merge(object_count: usize, chunks: Vec<MetadataChunk>) -> Graph {
        let mut graph = Graph {
            names: Vec::new(),
            entries: Vec::with_capacity(chunks.iter().map(|c| c.entries.len()).sum()),
            tree_ranges: vec![(u32::MAX, 0); object_count],
            commit_slots: vec![u32::MAX; object_count],
            commits: Vec::new(),
            parent_ids: Vec::new(),
            absent_ids: FxHashMap::default(),
            unparsable: Vec::new(),
        };
        let mut name_ids: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
        for chunk in chunks {
            let remap: Vec<u32> = chunk
                .names
                .into_iter()
                .map(|name| {
                    let next = graph.names.len() as u32;
                    *name_ids.entry(name).or_insert_with_key(|name| {
                        graph.names.push(name.clone());
                        next
                    })
                })
                .collect();
            let base = graph.entries.len() as u32;
            graph.entries.extend(
                chunk
                    .entries
                    .iter()
                    .map(|e| Entry::new(remap[e.name() as usize], e.kind(), e.object)),
            );
            for (position, id) in chunk.absent_ids {
                graph.absent_ids.insert(base + position, id);
            }
            for (object, start, len) in chunk.trees {
                graph.tree_ranges[object as usize] = (base + start, len);
            }
            let parent_base = graph.parent_ids.len() as u32;
            graph.parent_ids.extend(chunk.parent_ids);
            for mut commit in chunk.commits {
                commit.parents.0 += parent_base;
                if graph.commit_slots[commit.object as usize] == u32::MAX {
                    graph.commit_slots[commit.object as usize] = graph.commits.len() as u32;
                    graph.commits.push(commit);
                }
            }
            graph.unparsable.extend(chunk.unparsable);
        }
        graph
    }

    /// Returns the entries of tree `object`, or `None` when that object is
    /// not a tree in this repository.
    pub fn tree(&self, object: ObjectIndex) -> Option<&[Entry]> {
        let &(start, len) = self.tree_ranges.get(object as usize)?;
        if start == u32::MAX {
            return None;
        }
        Some(&self.entries[start as usize..(start + len) as usize])
    }

    /// Returns the id of an entry whose object is absent, or of a gitlink.
    pub fn absent_id(&self, tree: ObjectIndex, position: usize) -> Option<ObjectId> {
        let (start, _) = self.tree_ranges[tree as usize];
        self.absent_ids.get(&(start + position as u32)).copied()
    }

    pub fn commit_slot(&self, object: ObjectIndex) -> Option<u32> {
        match self.commit_slots.get(object as usize) {
            Some(&slot) if slot != u32::MAX => Some(slot),
            _ => None,
        }
    }

    pub fn parent_ids(&self, commit: &Commit) -> &[ObjectId] {
        let (start, len) = commit.parents;
        &self.parent_ids[start as usize..(start + len) as usize]
    }

    pub fn name(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }

    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Frees the tree entries once nothing walks trees any more. Names and
    /// commits stay.
    pub fn drop_trees(&mut self) {
        self.entries = Vec::new();
        self.tree_ranges = Vec::new();
        self.absent_ids = FxHashMap::default();
    }
}

/// Orders two tree entries the way git sorts a tree: by name, where a
/// tree's name compares as if it ended in `/`.
pub fn git_order(a: &[u8], a_is_tree: bool, b: &[u8], b_is_tree: bool) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let next = |name: &[u8], is_tree: bool| -> Option<u8> {
        match name.get(common) {
            Some(&byte) => Some(byte),
            None if is_tree => Some(b'/'),
            None => None,
        }
    };
    next(a, a_is_tree).cmp(&next(b, b_is_tree))
}

/// Repository paths as a trie of (parent, name) nodes. Node 0 is the root.
#[derive(Default)]
pub struct Paths {
    nodes: Vec<(u32, u32)>,
    lookup: FxHashMap<(u32, u32), u32>,
}

pub const ROOT_PATH: u32 = 0;

impl Paths {
    pub fn new() -> Paths {
        Paths {
            nodes: vec![(u32::MAX, u32::MAX)],
            lookup: FxHashMap::default(),
        }
    }

    /// Returns the node for `name` inside directory `parent`.
    pub fn child(&mut self, parent: u32, name: u32) -> u32 {
        let next = self.nodes.len() as u32;
        let node = *self.lookup.entry((parent, name)).or_insert(next);
        if node == next {
            self.nodes.push((parent, name));
        }
        node
    }

    /// Returns the node for `name` inside `parent` if one was created.
    pub fn get(&self, parent: u32, name: u32) -> Option<u32> {
        self.lookup.get(&(parent, name)).copied()
    }

    /// Returns the name ids from the root down to `node`.
    pub fn components(&self, mut node: u32) -> Vec<u32> {
        let mut names = Vec::new();
        while node != ROOT_PATH {
            let (parent, name) = self.nodes[node as usize];
            names.push(name);
            node = parent;
        }
        names.reverse();
        names
    }

    /// Returns the repository-relative path of `node`.
    pub fn path(&self, graph: &Graph, node: u32) -> BString {
        let mut path = BString::default();
        for (i, name) in self.components(node).into_iter().enumerate() {
            if i > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(graph.name(name));
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn git_order_tree_sorts_with_slash() {
        assert_eq!(git_order(b"a", true, b"a.txt", false), Ordering::Greater);
        assert_eq!(git_order(b"a", false, b"a.txt", false), Ordering::Less);
        assert_eq!(git_order(b"a", true, b"a0", false), Ordering::Less);
        assert_eq!(git_order(b"b", false, b"b", false), Ordering::Equal);
    }

    #[test]
    fn entry_packs_name_and_kind() {
        let entry = Entry::new(12345, EntryKind::Submodule, 7);
        assert_eq!(entry.name(), 12345);
        assert_eq!(entry.kind(), EntryKind::Submodule);
        assert_eq!(entry.object, 7);
    }
}
