//! Reading every object of a repository once: packs through their delta
//! trees, loose objects one by one.
//!
//! A pack delta has no type of its own: it takes the type of its base, so
//! every delta chain in a pack is all blobs, all trees, all commits or all
//! tags. [`Pack::split_by_kind`] reads the pack entry headers once to learn
//! each chain's type. [`Pack::traverse`] then decodes only the trees and
//! commits in a first pass and only the blobs in a second one. Each pass
//! decodes every base once and in parallel.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use gix::ObjectId;
use gix::odb::pack;

use super::HistoryError;

/// Index of an object in [`ObjectTable`].
pub type ObjectIndex = u32;

/// Marks a tree entry whose object is not in the repository (a submodule
/// commit, or an object missing from a partial or damaged clone).
pub const NO_OBJECT: ObjectIndex = u32::MAX;

/// Every object id in the repository's packs and loose object directories,
/// sorted, so that an object is named by a dense `u32` index.
pub struct ObjectTable {
    ids: Vec<ObjectId>,
    /// The first 8 bytes of each id, big-endian, so that most comparisons
    /// during lookup are one integer comparison.
    prefixes: Vec<u64>,
    /// `fanout[p]` is the number of ids whose first two bytes are below `p`.
    fanout: Vec<u32>,
}

fn id_prefix(id: &gix::oid) -> u64 {
    let bytes = id.as_bytes();
    u64::from_be_bytes(
        bytes[..8]
            .try_into()
            .expect("object ids have at least 8 bytes"),
    )
}

impl ObjectTable {
    fn new(mut ids: Vec<ObjectId>) -> ObjectTable {
        ids.sort_unstable();
        ids.dedup();
        let prefixes: Vec<u64> = ids.iter().map(|id| id_prefix(id)).collect();
        let mut fanout = vec![0u32; (1 << 16) + 1];
        for prefix in &prefixes {
            fanout[(prefix >> 48) as usize + 1] += 1;
        }
        for i in 1..fanout.len() {
            fanout[i] += fanout[i - 1];
        }
        ObjectTable {
            ids,
            prefixes,
            fanout,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn id(&self, index: ObjectIndex) -> &gix::oid {
        &self.ids[index as usize]
    }

    /// Returns the indices of `ids`, which must be sorted and all in the
    /// table, in one merge pass instead of one lookup each.
    pub fn indices_of_sorted<'a>(
        &self,
        ids: impl Iterator<Item = &'a gix::oid>,
    ) -> Vec<ObjectIndex> {
        let mut next = 0usize;
        ids.map(|id| {
            while self.ids[next].as_ref() < id {
                next += 1;
            }
            debug_assert_eq!(self.ids[next].as_ref(), id);
            next as ObjectIndex
        })
        .collect()
    }

    /// Returns the index of `id`, or `None` when the repository lacks it.
    pub fn index(&self, id: &gix::oid) -> Option<ObjectIndex> {
        let prefix = id_prefix(id);
        let bucket = (prefix >> 48) as usize;
        let start = self.fanout[bucket] as usize;
        let end = self.fanout[bucket + 1] as usize;
        for position in start..end {
            if self.prefixes[position] == prefix && self.ids[position].as_ref() == id {
                return Some(position as ObjectIndex);
            }
            if self.prefixes[position] > prefix {
                break;
            }
        }
        None
    }
}

/// One pack file with its index.
pub struct Pack {
    pub index: pack::index::File,
    pub data: pack::data::File,
}

/// A pack entry handed to the delta-tree traversal.
#[derive(Clone, Copy, Debug)]
pub struct PackItem {
    offset: u64,
    object: ObjectIndex,
    /// Set when the entry's bytes fail the CRC32 check of the pack index,
    /// or when it is a delta against such an entry. The traversal still
    /// decodes it (its children need a base) but never hands it to a
    /// visitor.
    corrupt: bool,
}

/// What is known of the type of a corrupt object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorruptKind {
    Blob,
    /// A tree, commit or tag.
    Metadata,
    /// The object could not be read far enough to learn its type.
    Unknown,
}

/// An object whose stored bytes fail a check: a pack entry whose CRC32
/// differs from its index entry, or a loose object that does not
/// decompress or hashes to a different id.
#[derive(Clone, Debug)]
pub struct Corrupt {
    pub object: ObjectIndex,
    pub kind: CorruptKind,
    pub reason: String,
}

/// Pack entries split by the object type of their delta chain.
pub struct SplitEntries {
    /// Trees, commits and tags, sorted by pack offset.
    pub metadata: Vec<PackItem>,
    /// Blobs, sorted by pack offset.
    pub blobs: Vec<PackItem>,
    /// Entries that fail the CRC32 check, and the deltas based on them.
    pub corrupt: Vec<Corrupt>,
}

impl Pack {
    fn open(index_path: &Path, hash: gix::hash::Kind) -> Result<Pack, HistoryError> {
        let pack_path = index_path.with_extension("pack");
        let index = pack::index::File::at(index_path, hash).map_err(|e| HistoryError::Read {
            what: index_path.display().to_string(),
            message: e.to_string(),
        })?;
        let data = pack::data::File::at(&pack_path, hash).map_err(|e| HistoryError::Read {
            what: pack_path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(Pack { index, data })
    }

    fn read_error(&self, message: impl ToString) -> HistoryError {
        HistoryError::Read {
            what: self.data.path().display().to_string(),
            message: message.to_string(),
        }
    }

    /// Reads every entry header and sorts the entries into metadata and blob
    /// chains. A delta takes the type of its base. An offset delta's base
    /// always lies earlier in the pack, and a ref delta whose base comes
    /// later is resolved in further passes.
    ///
    /// Each entry's compressed bytes are checked against the CRC32 that a
    /// version 2 pack index stores for it. Entries are contiguous, so an
    /// entry ends where the next one starts. Version 1 indexes have no
    /// CRC32, so their entries are not checked.
    pub fn split_by_kind(&self, objects: &ObjectTable) -> Result<SplitEntries, HistoryError> {
        let mut entries: Vec<(u64, u32)> = (0..self.index.num_objects())
            .map(|i| (self.index.pack_offset_at_index(i), i))
            .collect();
        entries.sort_unstable_by_key(|&(offset, _)| offset);

        let position_of = |offset: u64| entries.binary_search_by_key(&offset, |&(o, _)| o).ok();
        // 0 = not known yet, 1 = blob chain, 2 = metadata chain.
        let mut class = vec![0u8; entries.len()];
        let mut base_of = vec![usize::MAX; entries.len()];
        let mut corrupt = vec![false; entries.len()];
        let pack_end = self.data.pack_end() as u64;
        for (position, &(offset, index_position)) in entries.iter().enumerate() {
            let end = entries
                .get(position + 1)
                .map_or(pack_end, |&(next, _)| next);
            if let Some(expected) = self.index.crc32_at_index(index_position) {
                let bytes = self.data.entry_slice(offset..end).ok_or_else(|| {
                    self.read_error(format!("entry at offset {offset} lies outside the pack"))
                })?;
                corrupt[position] = crc32fast::hash(bytes) != expected;
            }
            let entry = self.data.entry(offset).map_err(|e| self.read_error(e))?;
            use pack::data::entry::Header;
            match entry.header {
                Header::Blob => class[position] = 1,
                Header::Tree | Header::Commit | Header::Tag => class[position] = 2,
                Header::OfsDelta { base_distance } => {
                    let base = Header::verified_base_pack_offset(offset, base_distance)
                        .and_then(position_of)
                        .ok_or_else(|| {
                            self.read_error(format!("delta at offset {offset} has no base"))
                        })?;
                    base_of[position] = base;
                    class[position] = class[base];
                    corrupt[position] |= corrupt[base];
                }
                Header::RefDelta { base_id } => {
                    let base = self
                        .index
                        .lookup(base_id)
                        .map(|i| self.index.pack_offset_at_index(i))
                        .and_then(position_of)
                        .ok_or_else(|| {
                            self.read_error(format!("delta base {base_id} is not in this pack"))
                        })?;
                    base_of[position] = base;
                    class[position] = class[base];
                    corrupt[position] |= corrupt[base];
                }
            }
        }
        // Forward ref deltas: propagate until every entry has a class.
        let mut unresolved = class.iter().filter(|&&c| c == 0).count();
        while unresolved > 0 {
            let before = unresolved;
            for position in 0..class.len() {
                if class[position] == 0 && class[base_of[position]] != 0 {
                    class[position] = class[base_of[position]];
                    unresolved -= 1;
                }
            }
            if unresolved == before {
                return Err(self.read_error("delta chain without a base object"));
            }
        }
        // A delta against a corrupt base decodes to wrong bytes too. Forward
        // ref deltas can chain, so this repeats until nothing changes.
        loop {
            let mut changed = false;
            for position in 0..corrupt.len() {
                let base = base_of[position];
                if base != usize::MAX && corrupt[base] && !corrupt[position] {
                    corrupt[position] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }

        let global = objects
            .indices_of_sorted((0..self.index.num_objects()).map(|i| self.index.oid_at_index(i)));
        let mut split = SplitEntries {
            metadata: Vec::new(),
            blobs: Vec::new(),
            corrupt: Vec::new(),
        };
        for (position, &(offset, index_position)) in entries.iter().enumerate() {
            let object = global[index_position as usize];
            let item = PackItem {
                offset,
                object,
                corrupt: corrupt[position],
            };
            if item.corrupt {
                let reason = if base_of[position] != usize::MAX && corrupt[base_of[position]] {
                    "its delta base fails the CRC32 check"
                } else {
                    "its bytes fail the CRC32 check of the pack index"
                };
                split.corrupt.push(Corrupt {
                    object,
                    kind: if class[position] == 1 {
                        CorruptKind::Blob
                    } else {
                        CorruptKind::Metadata
                    },
                    reason: format!(
                        "{reason} (offset {offset} in {})",
                        self.data.path().display()
                    ),
                });
            }
            if class[position] == 1 {
                split.blobs.push(item);
            } else {
                split.metadata.push(item);
            }
        }
        // `Tree::from_offsets_in_pack` (gix-pack 0.78) reads the header of
        // its first item right after the pack header without seeking, so
        // each list starts with the pack's first entry, a base object. The
        // visitors ignore objects of the other class, so that one object
        // is decoded twice and used once.
        if let Some(&(offset, index_position)) = entries.first()
            && base_of[0] == usize::MAX
        {
            let first = PackItem {
                offset,
                object: global[index_position as usize],
                corrupt: corrupt[0],
            };
            for list in [&mut split.metadata, &mut split.blobs] {
                if list.first().is_some_and(|item| item.offset != offset) {
                    list.insert(0, first);
                }
            }
        }
        Ok(split)
    }

    /// Builds the delta tree of the given entries (one class from
    /// [`Pack::split_by_kind`]), reading each entry header once.
    pub fn delta_tree(
        &self,
        items: Vec<PackItem>,
        interrupt: &AtomicBool,
    ) -> Result<DeltaTree, HistoryError> {
        if items.is_empty() {
            return Ok(None);
        }
        let tree = pack::cache::delta::Tree::from_offsets_in_pack(
            self.data.path(),
            items.into_iter(),
            &|item: &PackItem| item.offset,
            &|id| {
                Ok(self
                    .index
                    .lookup(id)
                    .map(|i| self.index.pack_offset_at_index(i)))
            },
            &mut gix::progress::Discard,
            interrupt,
            self.index.object_hash(),
            None,
        )
        .map_err(|e| self.read_error(e))?;
        Ok(Some(tree))
    }

    /// Decodes every object of `tree` on `threads` threads and calls
    /// `visitor` with each. Each thread gets its own clone of `visitor`.
    pub fn traverse<V>(
        &self,
        tree: DeltaTree,
        threads: Option<usize>,
        interrupt: &AtomicBool,
        visitor: V,
    ) -> Result<(), HistoryError>
    where
        V: Visitor,
    {
        let Some(tree) = tree else {
            return Ok(());
        };
        let mut visitor = visitor;
        tree.traverse(
            |slice, data: &pack::data::File| data.entry_slice(slice),
            &self.data,
            self.data.pack_end() as u64,
            move |item: &mut PackItem, _progress, context| {
                if item.corrupt {
                    return Ok(());
                }
                if let Some(kind) = context.entry.header.as_kind() {
                    visitor.visit(item.object, kind, context.decompressed);
                }
                Ok(())
            },
            pack::cache::delta::traverse::Options {
                object_progress: Box::new(gix::progress::Discard),
                size_progress: &mut gix::progress::Discard,
                thread_limit: threads,
                should_interrupt: interrupt,
                object_hash: self.index.object_hash(),
                alloc_limit_bytes: None,
            },
        )
        .map_err(|e| self.read_error(e))?;
        Ok(())
    }
}

/// The delta tree of some entries of one pack; `None` when there are none.
pub type DeltaTree = Option<pack::cache::delta::Tree<PackItem>>;

/// Receives decoded objects. Clones run on separate threads.
pub trait Visitor: Clone + Send {
    fn visit(&mut self, object: ObjectIndex, kind: gix::objs::Kind, data: &[u8]);
}

/// Per-thread state of a [`Visitor`] that lands in a shared list when the
/// thread's clone is dropped.
pub struct Collector<S: Default + Send> {
    pub local: S,
    shared: Arc<Mutex<Vec<S>>>,
}

impl<S: Default + Send> Collector<S> {
    pub fn new(shared: Arc<Mutex<Vec<S>>>) -> Collector<S> {
        Collector {
            local: S::default(),
            shared,
        }
    }
}

impl<S: Default + Send> Clone for Collector<S> {
    fn clone(&self) -> Self {
        Collector::new(self.shared.clone())
    }
}

impl<S: Default + Send> Drop for Collector<S> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        if let Ok(mut shared) = self.shared.lock() {
            shared.push(local);
        }
    }
}

/// The object databases of a repository: its packs and loose objects,
/// including those of alternates.
pub struct ObjectStore {
    pub hash: gix::hash::Kind,
    pub packs: Vec<Pack>,
    pub loose: Vec<gix::odb::loose::Store>,
    /// Loose object ids, each with the index of its store in `loose`.
    pub loose_ids: Vec<(ObjectId, usize)>,
    pub objects: ObjectTable,
}

impl ObjectStore {
    /// Opens every pack and lists every loose object under `objects_dir`
    /// and the directories its `info/alternates` names.
    pub fn open(objects_dir: &Path, hash: gix::hash::Kind) -> Result<ObjectStore, HistoryError> {
        let mut dirs = vec![objects_dir.to_path_buf()];
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match gix::odb::alternate::resolve(objects_dir.to_path_buf(), &cwd) {
            Ok(alternates) => dirs.extend(alternates),
            Err(e) => {
                return Err(HistoryError::Read {
                    what: objects_dir.join("info/alternates").display().to_string(),
                    message: e.to_string(),
                });
            }
        }

        let mut packs = Vec::new();
        let mut loose = Vec::new();
        let mut loose_ids = Vec::new();
        let mut ids = Vec::new();
        for dir in &dirs {
            let pack_dir = dir.join("pack");
            let mut index_paths: Vec<PathBuf> = match std::fs::read_dir(&pack_dir) {
                Ok(listing) => listing
                    .filter_map(|entry| entry.ok().map(|e| e.path()))
                    .filter(|path| path.extension().is_some_and(|ext| ext == "idx"))
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => {
                    return Err(HistoryError::Read {
                        what: pack_dir.display().to_string(),
                        message: e.to_string(),
                    });
                }
            };
            index_paths.sort();
            for index_path in index_paths {
                if !index_path.with_extension("pack").is_file() {
                    log::warn!("{}: pack file missing, index skipped", index_path.display());
                    continue;
                }
                let pack = Pack::open(&index_path, hash)?;
                ids.extend(pack.index.iter().map(|entry| entry.oid));
                packs.push(pack);
            }

            let store = gix::odb::loose::Store::at(dir.clone(), hash);
            for id in store.iter() {
                match id {
                    Ok(id) => {
                        ids.push(id);
                        loose_ids.push((id, loose.len()));
                    }
                    Err(e) => log::warn!("{}: unreadable loose object entry: {e}", dir.display()),
                }
            }
            loose.push(store);
        }
        Ok(ObjectStore {
            hash,
            packs,
            loose,
            loose_ids,
            objects: ObjectTable::new(ids),
        })
    }

    /// Total size of all pack files in bytes.
    pub fn pack_bytes(&self) -> u64 {
        self.packs.iter().map(|p| p.data.data_len() as u64).sum()
    }

    /// Reads loose objects of the wanted kinds in parallel and hands each
    /// to a clone of `visitor`. Each object read is hashed, because a loose
    /// object file replaced by another object's file still decompresses.
    /// Returns the corrupt objects of this pass: those of the wanted kinds
    /// that hash to another id, and with `want_blobs` unset, those that do
    /// not decompress at all, so that each is returned once over the two
    /// passes.
    pub fn visit_loose<V: Visitor + Sync>(&self, want_blobs: bool, visitor: V) -> Vec<Corrupt> {
        use rayon::prelude::*;
        let corrupt = Mutex::new(Vec::new());
        self.loose_ids.par_iter().for_each_init(
            || (visitor.clone(), Vec::new()),
            |(visitor, buf), (id, store)| {
                let object = self
                    .objects
                    .index(id)
                    .expect("every loose id is in the table");
                let problem = match self.loose[*store].try_find(id, buf) {
                    Ok(Some(data)) if (data.kind == gix::objs::Kind::Blob) == want_blobs => {
                        match gix::objs::compute_hash(self.hash, data.kind, data.data) {
                            Ok(actual) if actual == *id => {
                                visitor.visit(object, data.kind, data.data);
                                None
                            }
                            Ok(actual) => Some((
                                if want_blobs {
                                    CorruptKind::Blob
                                } else {
                                    CorruptKind::Metadata
                                },
                                format!("the loose object file holds object {actual} instead"),
                            )),
                            Err(e) => Some((CorruptKind::Unknown, format!("hashing failed: {e}"))),
                        }
                    }
                    Ok(Some(_)) => None,
                    Ok(None) => {
                        log::warn!("loose object {id} vanished while reading");
                        None
                    }
                    Err(e) if !want_blobs => Some((
                        CorruptKind::Unknown,
                        format!("the loose object file is unreadable: {e}"),
                    )),
                    Err(_) => None,
                };
                if let Some((kind, reason)) = problem {
                    log::debug!("loose object {id} is corrupt: {reason}");
                    if let Ok(mut list) = corrupt.lock() {
                        list.push(Corrupt {
                            object,
                            kind,
                            reason,
                        });
                    }
                }
            },
        );
        corrupt.into_inner().unwrap_or_default()
    }
}
