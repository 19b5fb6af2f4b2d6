//! Refs that point straight at a tree or a blob instead of a commit, such
//! as a tag of a single file. No commit introduces their content, so it is
//! read through the repository and scanned here, with the ref as the only
//! place it is reachable from.

use bstr::{BString, ByteSlice};
use gix::ObjectId;
use rustc_hash::FxHashSet;

use crate::detect::{BlobScan, Detector};
use crate::finding::{Location, Match, SkipReason, Skipped};

/// Matches, skipped entries and counters from scanning ref targets.
#[derive(Default)]
pub struct TargetScan {
    pub matches: Vec<(Match, Location)>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
    pub blobs: u64,
    pub bytes: u64,
}

/// Scans each `(ref name, object id)` in `targets`: a blob at the ref name
/// as its path, a tree as every file under it. Objects in `corrupt` failed
/// their check while the repository was read and are listed as skipped.
pub fn scan_ref_targets(
    repo: &gix::Repository,
    targets: &[(String, ObjectId)],
    detector: &Detector,
    corrupt: &FxHashSet<ObjectId>,
) -> TargetScan {
    let mut scan = Scanner {
        detector,
        corrupt,
        out: TargetScan::default(),
    };
    let head_tree = repo.head_tree().ok();
    for (name, id) in targets {
        let object = match repo.find_object(*id) {
            Ok(object) => object,
            Err(e) => {
                scan.out.warnings.push(format!(
                    "ref {name} points to {id}, which could not be read ({e}); it was not scanned"
                ));
                continue;
            }
        };
        match object.kind {
            gix::objs::Kind::Blob => {
                let path = BString::from(name.as_bytes());
                scan.blob(name, path, *id, &object.data, false);
            }
            gix::objs::Kind::Tree => {
                let tree = object.into_tree();
                let mut recorder = gix::traverse::tree::Recorder::default();
                if let Err(e) = tree.traverse().breadthfirst(&mut recorder) {
                    scan.out.warnings.push(format!(
                        "the tree {id} that ref {name} points to could not be read ({e}); it was not scanned"
                    ));
                    continue;
                }
                for entry in recorder.records {
                    if entry.mode.is_tree() {
                        continue;
                    }
                    if entry.mode.is_commit() {
                        scan.skip(name, entry.filepath, entry.oid, SkipReason::Submodule);
                        continue;
                    }
                    let Ok(blob) = repo.find_object(entry.oid) else {
                        scan.skip(name, entry.filepath, entry.oid, SkipReason::MissingObject);
                        continue;
                    };
                    let in_head = head_tree.as_ref().is_some_and(|head| {
                        head.lookup_entry_by_path(entry.filepath.to_path_lossy())
                            .ok()
                            .flatten()
                            .is_some_and(|found| found.object_id() == entry.oid)
                    });
                    scan.blob(name, entry.filepath, entry.oid, &blob.data, in_head);
                }
            }
            // A commit here did not parse when history was read, and
            // `peel_to_id` never stops at a tag.
            gix::objs::Kind::Commit | gix::objs::Kind::Tag => scan.out.warnings.push(format!(
                "ref {name} points to {} {id}, which could not be parsed; it was not scanned",
                object.kind
            )),
        }
    }
    scan.out
}

/// Scans blobs one by one into a [`TargetScan`].
struct Scanner<'a> {
    detector: &'a Detector,
    corrupt: &'a FxHashSet<ObjectId>,
    out: TargetScan,
}

impl Scanner<'_> {
    fn skip(&mut self, name: &str, path: BString, id: ObjectId, reason: SkipReason) {
        log::debug!("ref {name}: object {id} skipped ({reason})");
        self.out.skipped.push(Skipped {
            path,
            blob: Some(id.to_string()),
            commit: None,
            reason,
        });
    }

    fn blob(&mut self, name: &str, path: BString, id: ObjectId, data: &[u8], in_head: bool) {
        if self.corrupt.contains(&id) {
            self.out.warnings.push(format!(
                "blob {id} that ref {name} reaches is corrupt; it was not scanned (listed as skipped)"
            ));
            self.skip(name, path, id, SkipReason::CorruptObject);
            return;
        }
        self.out.blobs += 1;
        self.out.bytes += data.len() as u64;
        match self.detector.scan(path.as_bstr(), data) {
            BlobScan::Scanned(found) => {
                for m in found {
                    let location = Location {
                        path: path.clone(),
                        line: m.line,
                        column: m.column,
                        commit: None,
                        blob: Some(id.to_string()),
                        refs: vec![name.to_string()],
                        in_head: Some(in_head),
                    };
                    self.out.matches.push((m, location));
                }
            }
            BlobScan::Skipped(reason) => self.skip(name, path, id, reason),
        }
    }
}
