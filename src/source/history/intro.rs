//! The commit that first introduced each blob at each path.
//!
//! Each selected commit's tree is compared with the trees of its parents:
//! subtrees with an unchanged id are skipped, and a blob is introduced at a
//! path when no parent has that same blob at that path. A merge therefore
//! introduces only content that none of its parents had. Commits are visited
//! parents-first and oldest first, so the first commit recorded for a
//! (blob, path) pair is the oldest one that introduced it.

use gix::ObjectId;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use super::graph::{EntryKind, Graph, Paths, ROOT_PATH, git_order};
use super::odb::{NO_OBJECT, ObjectIndex, ObjectTable};
use super::select::Selection;

/// A tree or blob that history names but the repository lacks, or a tree
/// that is there but could not be decoded (corrupt or unparsable).
pub struct Absent {
    /// The object id; `None` for a missing root tree, whose id the graph
    /// does not keep.
    pub id: Option<ObjectId>,
    pub path: u32,
    pub commit: u32,
    pub is_tree: bool,
}

/// The (blob, path) pairs of the selected commits and who introduced them.
pub struct Introductions {
    pub paths: Paths,
    /// First commit slot that introduced a blob at a path.
    pub first: FxHashMap<(ObjectIndex, u32), u32>,
    /// For each blob object, the range of its paths in `blob_paths`.
    blob_ranges: Vec<(u32, u32)>,
    blob_paths: Vec<u32>,
    pub absent: Vec<Absent>,
    /// Submodule commits (gitlinks): each (path, submodule commit id) once,
    /// with the first selected commit that has it.
    pub submodules: Vec<Gitlink>,
}

/// A submodule entry: a commit of another repository, which history
/// scanning does not read.
pub struct Gitlink {
    pub path: u32,
    pub id: ObjectId,
    pub commit: u32,
}

impl Introductions {
    pub fn compute(graph: &Graph, selection: &Selection, objects: &ObjectTable) -> Introductions {
        let object_count = objects.len();
        let mut walker = Walker {
            graph,
            objects,
            paths: Paths::new(),
            first: FxHashMap::default(),
            absent: Vec::new(),
            absent_seen: FxHashSet::default(),
            submodules: Vec::new(),
            submodules_seen: FxHashSet::default(),
        };
        for &slot in &selection.order {
            if !selection.selected[slot as usize] {
                continue;
            }
            let commit = &graph.commits[slot as usize];
            let bases: SmallVec<[ObjectIndex; 2]> = selection
                .parents(slot)
                .iter()
                .map(|&parent| graph.commits[parent as usize].tree)
                .filter(|&tree| tree != NO_OBJECT)
                .collect();
            if commit.tree == NO_OBJECT {
                walker.note_absent(None, ROOT_PATH, slot, true);
                continue;
            }
            if graph.tree(commit.tree).is_none() {
                walker.note_absent(
                    Some(objects.id(commit.tree).to_owned()),
                    ROOT_PATH,
                    slot,
                    true,
                );
                continue;
            }
            walker.diff(commit.tree, &bases, ROOT_PATH, slot);
        }

        let mut pairs: Vec<(ObjectIndex, u32)> = walker.first.keys().copied().collect();
        pairs.sort_unstable();
        let mut blob_ranges = vec![(0u32, 0u32); object_count];
        let mut blob_paths = Vec::with_capacity(pairs.len());
        for (blob, path) in pairs {
            if blob == NO_OBJECT {
                continue;
            }
            let range = &mut blob_ranges[blob as usize];
            if range.1 == 0 {
                range.0 = blob_paths.len() as u32;
            }
            range.1 += 1;
            blob_paths.push(path);
        }
        Introductions {
            paths: walker.paths,
            first: walker.first,
            blob_ranges,
            blob_paths,
            absent: walker.absent,
            submodules: walker.submodules,
        }
    }

    /// Returns the introduced (blob, path) pairs that tree `root` (HEAD's
    /// tree) still has.
    pub fn pairs_in_tree(&self, graph: &Graph, root: ObjectIndex) -> FxHashSet<(ObjectIndex, u32)> {
        let mut found = FxHashSet::default();
        let mut stack = vec![(root, ROOT_PATH)];
        while let Some((tree, dir)) = stack.pop() {
            let Some(entries) = graph.tree(tree) else {
                continue;
            };
            for entry in entries {
                let Some(path) = self.paths.get(dir, entry.name()) else {
                    continue;
                };
                match entry.kind() {
                    EntryKind::Tree => stack.push((entry.object, path)),
                    EntryKind::Blob if self.first.contains_key(&(entry.object, path)) => {
                        found.insert((entry.object, path));
                    }
                    _ => {}
                }
            }
        }
        found
    }

    /// Returns every path at which the selected commits introduced `blob`.
    pub fn paths_of(&self, blob: ObjectIndex) -> &[u32] {
        let (start, len) = self.blob_ranges[blob as usize];
        &self.blob_paths[start as usize..(start + len) as usize]
    }

    /// Returns every (blob, path) pair, blob first.
    pub fn pairs(&self) -> impl Iterator<Item = (ObjectIndex, u32)> + '_ {
        self.blob_ranges
            .iter()
            .enumerate()
            .filter(|(_, range)| range.1 > 0)
            .flat_map(|(blob, &(start, len))| {
                self.blob_paths[start as usize..(start + len) as usize]
                    .iter()
                    .map(move |&path| (blob as ObjectIndex, path))
            })
    }
}

struct Walker<'a> {
    graph: &'a Graph,
    objects: &'a ObjectTable,
    paths: Paths,
    first: FxHashMap<(ObjectIndex, u32), u32>,
    absent: Vec<Absent>,
    absent_seen: FxHashSet<(Option<ObjectId>, u32, Option<u32>)>,
    submodules: Vec<Gitlink>,
    submodules_seen: FxHashSet<(u32, ObjectId)>,
}

impl Walker<'_> {
    fn note_absent(&mut self, id: Option<ObjectId>, path: u32, commit: u32, is_tree: bool) {
        // An object with a known id is reported once per path, and a missing
        // root tree once per commit.
        let key = (id, path, id.is_none().then_some(commit));
        if self.absent_seen.insert(key) {
            self.absent.push(Absent {
                id,
                path,
                commit,
                is_tree,
            });
        }
    }

    /// Records the blobs of `tree` (at path node `dir`) that none of the
    /// `bases` (the parents' trees at the same path) has.
    fn diff(&mut self, tree: ObjectIndex, bases: &[ObjectIndex], dir: u32, commit: u32) {
        if bases.contains(&tree) {
            return;
        }
        let graph = self.graph;
        let Some(entries) = graph.tree(tree) else {
            // The caller checks that `tree` decoded.
            return;
        };
        let base_entries: SmallVec<[&[super::graph::Entry]; 2]> =
            bases.iter().filter_map(|&base| graph.tree(base)).collect();
        let mut cursors: SmallVec<[usize; 2]> = SmallVec::from_elem(0, base_entries.len());

        for (position, entry) in entries.iter().enumerate() {
            let name = graph.name(entry.name());
            let is_tree = entry.kind() == EntryKind::Tree;
            let mut unchanged = false;
            let mut sub_bases: SmallVec<[ObjectIndex; 2]> = SmallVec::new();
            for (base, cursor) in base_entries.iter().zip(cursors.iter_mut()) {
                while *cursor < base.len() {
                    let candidate = &base[*cursor];
                    let order =
                        if candidate.name() == entry.name() && candidate.kind() == entry.kind() {
                            std::cmp::Ordering::Equal
                        } else {
                            git_order(
                                graph.name(candidate.name()),
                                candidate.kind() == EntryKind::Tree,
                                name,
                                is_tree,
                            )
                        };
                    if order == std::cmp::Ordering::Less {
                        *cursor += 1;
                        continue;
                    }
                    if order == std::cmp::Ordering::Equal && candidate.kind() == entry.kind() {
                        if candidate.object == entry.object && entry.object != NO_OBJECT {
                            unchanged = true;
                        } else if is_tree && candidate.object != NO_OBJECT {
                            sub_bases.push(candidate.object);
                        }
                    }
                    break;
                }
            }
            if unchanged {
                continue;
            }
            match entry.kind() {
                // A submodule commit (gitlink) belongs to another repository,
                // so it is listed as skipped, not scanned.
                EntryKind::Submodule => {
                    let path = self.paths.child(dir, entry.name());
                    if let Some(id) = graph.absent_id(tree, position)
                        && self.submodules_seen.insert((path, id))
                    {
                        self.submodules.push(Gitlink { path, id, commit });
                    }
                }
                EntryKind::Tree => {
                    let path = self.paths.child(dir, entry.name());
                    if entry.object == NO_OBJECT {
                        let id = graph.absent_id(tree, position);
                        self.note_absent(id, path, commit, true);
                    } else if graph.tree(entry.object).is_none() {
                        // Present but not decodable: corrupt, unparsable, or
                        // not a tree at all.
                        let id = self.objects.id(entry.object).to_owned();
                        self.note_absent(Some(id), path, commit, true);
                    } else {
                        self.diff(entry.object, &sub_bases, path, commit);
                    }
                }
                EntryKind::Blob => {
                    let path = self.paths.child(dir, entry.name());
                    if entry.object == NO_OBJECT {
                        let id = graph.absent_id(tree, position);
                        self.note_absent(id, path, commit, false);
                    } else {
                        self.first.entry((entry.object, path)).or_insert(commit);
                    }
                }
            }
        }
    }
}
