//! History scanning: every blob reachable from any ref, decoded and scanned
//! once, then attributed to the commit that introduced it.
//!
//! # Design
//!
//! Reading blobs one by one through the object store resolves each delta
//! chain from scratch. Instead, each pack's delta tree is walked the way
//! `gix verify` walks it, so every base is decoded once and the work
//! spreads over all cores. A delta has the type of its base, so the pack
//! entries split cleanly into chains of trees and commits and chains of
//! blobs ([`odb`]), and the scan runs in phases:
//!
//! 1. Decode every tree and commit of every pack (and the loose ones) into
//!    a compact [`graph::Graph`]: 8 bytes per tree entry, a few words per
//!    commit. For rust-lang/cargo (129k trees, 34k commits) that is about
//!    2.6 million entries.
//! 2. Resolve the refs (branches, remote-tracking branches, tags peeled
//!    through annotated tags, `refs/stash` and its reflog, notes, a
//!    detached HEAD) and the revision options to a set of commits, and
//!    order all reachable commits parents-first, oldest first ([`select`]).
//! 3. Diff each selected commit's tree against its parents' trees in
//!    memory, skipping unchanged subtrees by id, to find the first commit
//!    that introduced each blob at each path ([`intro`]). Blobs that no
//!    selected commit introduces, such as unreachable objects left in a
//!    pack, get no path and are never scanned or reported.
//! 4. Decode the blob chains of every pack through their delta trees and
//!    scan each blob as it comes out, once per distinct path it was
//!    introduced at, because rules can depend on the path (rust-lang/cargo:
//!    76k scans for 70k blobs).
//! 5. Attach locations to the matches: the introducing commit (author and
//!    date are read again only for these commits), the refs that reach
//!    it (at most [`MAX_REFS_PER_LOCATION`] listed), and whether HEAD still
//!    has that blob at that path.
//!
//! A shallow clone's boundary commits count as root commits that add all
//! their files, and the report warns that history is truncated. A tree or
//! blob that history names but a partial clone lacks is reported as
//! skipped, never silently ignored. Outside a partial clone, a missing
//! tree, blob, commit or ref target fails the scan ([`HistoryError::Damaged`]).
//!
//! Every object read is checked: pack entries against the CRC32 of their
//! pack index entry (in [`odb`], one sequential pass over each pack) and
//! loose objects by hashing them. A corrupt blob is listed as skipped, and
//! a corrupt tree or commit that history needs fails the scan.
//! NOTE: decoded pack objects are not hashed, so a pack written with wrong
//! content under matching CRC32s goes unnoticed here; `git fsck` hashes
//! every object.
//!
//! Refs that point straight at a tree or blob are scanned through the
//! repository ([`targets`]), and submodule entries are listed as skipped.

mod graph;
mod intro;
mod odb;
mod select;
mod targets;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bstr::{BString, ByteSlice};

use crate::detect::{BlobScan, Detector};
use crate::finding::{
    CommitInfo, Location, Match, Report, SkipReason, Skipped, Stats, group_matches,
};
use graph::Graph;
use intro::Introductions;
use odb::{Collector, CorruptKind, ObjectIndex, ObjectStore, Visitor};

/// The commit selection of a history scan. With no option set, every
/// commit reachable from any ref is scanned.
#[derive(Clone, Debug, Default)]
pub struct HistoryOptions {
    /// `A..B`: commits reachable from B but not from A.
    pub range: Option<String>,
    /// Commits reachable from the refs (or `git_ref`) but not from this one.
    pub since_commit: Option<String>,
    /// Only commits reachable from this ref or revision.
    pub git_ref: Option<String>,
    /// Worker threads for decoding. `None` uses every core.
    pub threads: Option<usize>,
    /// When set, every blob is decoded and attributed but no rules run,
    /// which measures the cost of reading history apart from the detector's.
    pub decode_only: bool,
}

/// The reason a history scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{path}: not a git repository: {message}")]
    Open { path: String, message: String },
    #[error(
        "{path}: SHA-256 repositories are not supported yet (extensions.objectFormat = sha256); \
         tightlip reads repositories with SHA-1 object ids only"
    )]
    Sha256 { path: String },
    #[error("revision `{spec}` could not be resolved: {message}")]
    Revision { spec: String, message: String },
    #[error("failed to read {what}: {message}")]
    Read { what: String, message: String },
    #[error(
        "the repository lacks objects that history needs, or has corrupt ones:\n{problems}\n\
         Run `git fsck --full` to list the damage, then restore the objects from another clone \
         or fetch them again (`git fetch --refetch`)."
    )]
    Damaged { problems: String },
}

/// The maximum number of problems a [`HistoryError::Damaged`] lists one by one.
const MAX_LISTED_PROBLEMS: usize = 10;

impl HistoryError {
    fn damaged(problems: &[String]) -> HistoryError {
        let mut list: Vec<String> = problems
            .iter()
            .take(MAX_LISTED_PROBLEMS)
            .map(|problem| format!("  {problem}"))
            .collect();
        if problems.len() > MAX_LISTED_PROBLEMS {
            list.push(format!(
                "  and {} more",
                problems.len() - MAX_LISTED_PROBLEMS
            ));
        }
        HistoryError::Damaged {
            problems: list.join("\n"),
        }
    }
}

/// Scans the history of the repository at `repo` (or containing it).
pub fn scan_history(
    repo: &Path,
    detector: &Detector,
    options: &HistoryOptions,
) -> Result<Report, HistoryError> {
    let started = Instant::now();
    let repository = open_repository(repo)?;
    let partial = is_partial_clone(&repository);
    let objects_dir = repository.common_dir().join("objects");
    let store = ObjectStore::open(&objects_dir, repository.object_hash())?;
    log::debug!(
        "{} objects in {} packs ({} bytes) and {} loose objects",
        store.objects.len(),
        store.packs.len(),
        store.pack_bytes(),
        store.loose_ids.len()
    );

    let mut metadata = Vec::with_capacity(store.packs.len());
    let mut blobs = Vec::with_capacity(store.packs.len());
    let mut corrupt = Vec::new();
    for pack in &store.packs {
        let split = pack.split_by_kind(&store.objects)?;
        metadata.push(split.metadata);
        blobs.push(split.blobs);
        corrupt.extend(split.corrupt);
    }
    let mut graph = Graph::build(&store, metadata, options.threads, &mut corrupt)?;
    let corrupt_by_object: rustc_hash::FxHashMap<ObjectIndex, String> = corrupt
        .iter()
        .map(|c| (c.object, c.reason.clone()))
        .collect();
    let context = select::Context {
        objects: &store.objects,
        corrupt: &corrupt_by_object,
        partial,
    };
    log::debug!(
        "decoded {} commits and {} tree entries in {:?}",
        graph.commits.len(),
        graph.entry_count(),
        started.elapsed()
    );
    // The blob delta trees are built on a second thread while this one
    // resolves refs and diffs history, because both steps are sequential.
    let interrupt = AtomicBool::new(false);
    let (blob_trees, attributed) = std::thread::scope(|scope| {
        let blob_trees = scope.spawn(|| {
            store
                .packs
                .iter()
                .zip(blobs)
                .map(|(pack, items)| pack.delta_tree(items, &interrupt))
                .collect::<Result<Vec<_>, _>>()
        });
        let attributed = attribute(&repository, &graph, &context, options);
        (blob_trees.join(), attributed)
    });
    let (selection, introductions, head_pairs) = attributed?;
    let blob_trees = blob_trees.map_err(|_| HistoryError::Read {
        what: "pack delta trees".into(),
        message: "the thread building them panicked".into(),
    })??;
    graph.drop_trees();

    let mut store = store;
    let mut scanned = scan_blobs(
        &store,
        blob_trees,
        &graph,
        &introductions,
        detector,
        options,
    )?;
    scanned.corrupt.extend(corrupt);
    let whole_history =
        options.range.is_none() && options.since_commit.is_none() && options.git_ref.is_none();
    let ref_targets = if whole_history && !options.decode_only {
        let corrupt_ids: rustc_hash::FxHashSet<gix::ObjectId> = scanned
            .corrupt
            .iter()
            .map(|entry| store.objects.id(entry.object).to_owned())
            .collect();
        targets::scan_ref_targets(&repository, &selection.targets, detector, &corrupt_ids)
    } else {
        targets::TargetScan::default()
    };
    // Unmapping the packs returns their pages before the report is built.
    // The few commits it reads go through the repository's own store.
    store.packs.clear();
    log::debug!(
        "scanned {} blobs, after {:?}",
        scanned.blobs,
        started.elapsed()
    );

    let sources = Sources {
        repo: &repository,
        store: &store,
        graph: &graph,
        selection: &selection,
        introductions: &introductions,
        head_pairs: &head_pairs,
        partial,
    };
    let mut report = assemble(sources, scanned, ref_targets)?;
    for id in &graph.unparsable {
        report.warnings.push(format!(
            "object {} could not be parsed and was not scanned",
            store.objects.id(*id)
        ));
    }
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Opens the repository at `path` (or containing it). A repository that
/// uses SHA-256 object ids gets its own error, because this build of gix
/// reads SHA-1 repositories only and would otherwise fail with a message
/// about its configuration.
pub fn open_repository(path: &Path) -> Result<gix::Repository, HistoryError> {
    gix::discover(path).map_err(|error| {
        if let Err(unsupported) = reject_sha256(path) {
            return unsupported;
        }
        HistoryError::Open {
            path: path.display().to_string(),
            message: error.to_string(),
        }
    })
}

/// Fails when the repository containing `path` sets
/// `extensions.objectFormat` to `sha256` in its own config.
pub fn reject_sha256(path: &Path) -> Result<(), HistoryError> {
    let Ok((location, _trust)) = gix::discover::upwards(path) else {
        return Ok(());
    };
    let (git_dir, _) = location.into_repository_and_work_tree_directories();
    let Ok(config) = gix::config::File::from_path_no_includes(
        git_dir.join("config"),
        gix::config::Source::Local,
    ) else {
        return Ok(());
    };
    let sha256 = config
        .string("extensions.objectFormat")
        .is_some_and(|format| format.eq_ignore_ascii_case(b"sha256"));
    if sha256 {
        return Err(HistoryError::Sha256 {
            path: git_dir.display().to_string(),
        });
    }
    Ok(())
}

/// Returns true for a partial clone (`git clone --filter=...`), where the
/// remote promises objects that were not fetched, so missing trees and
/// blobs are expected. Git marks one with `extensions.partialClone` or a
/// `remote.<name>.promisor = true`.
fn is_partial_clone(repository: &gix::Repository) -> bool {
    let config = repository.config_snapshot();
    if config.string("extensions.partialClone").is_some() {
        return true;
    }
    repository.remote_names().iter().any(|name| {
        config
            .boolean(format!("remote.{name}.promisor").as_str())
            .unwrap_or(false)
    })
}

/// The commits a scan covers, the commit that introduced each blob at
/// each path, and the (blob, path) pairs HEAD still has.
type Attribution = (
    select::Selection,
    Introductions,
    rustc_hash::FxHashSet<(ObjectIndex, u32)>,
);

/// Selects the commits to scan, finds which commit introduced each blob at
/// each path, and collects the (blob, path) pairs HEAD still has.
fn attribute(
    repository: &gix::Repository,
    graph: &Graph,
    context: &select::Context,
    options: &HistoryOptions,
) -> Result<Attribution, HistoryError> {
    let selection = select::select(repository, graph, context, options)?;
    let introductions = Introductions::compute(graph, &selection, context.objects);
    log::debug!(
        "{} (blob, path) pairs introduced by {} commits",
        introductions.first.len(),
        selection.selected_count(),
    );
    let head_pairs = repository
        .head_tree_id()
        .ok()
        .and_then(|id| context.objects.index(&id))
        .map(|tree| introductions.pairs_in_tree(graph, tree))
        .unwrap_or_default();
    Ok((selection, introductions, head_pairs))
}

/// The maximum number of ref names one location lists. A commit deep in the history of
/// a repository with thousands of refs (such as `refs/pull/*`) is reached
/// by nearly all of them, and listing every one per location makes the
/// report grow with (locations x refs).
const MAX_REFS_PER_LOCATION: usize = 16;

/// One blob scanned at one path.
struct BlobResult {
    blob: ObjectIndex,
    path: u32,
    outcome: Result<Vec<Match>, SkipReason>,
}

#[derive(Default)]
struct ScanChunk {
    results: Vec<BlobResult>,
    blobs: u64,
    bytes: u64,
}

struct Scanned {
    results: Vec<BlobResult>,
    blobs: u64,
    bytes: u64,
    seen: Vec<AtomicBool>,
    /// Every corrupt object found while reading the repository.
    corrupt: Vec<odb::Corrupt>,
}

#[derive(Clone)]
struct BlobVisitor<'a> {
    graph: &'a Graph,
    introductions: &'a Introductions,
    detector: &'a Detector,
    decode_only: bool,
    seen: &'a [AtomicBool],
    out: Collector<ScanChunk>,
}

impl Visitor for BlobVisitor<'_> {
    fn visit(&mut self, object: ObjectIndex, kind: gix::objs::Kind, data: &[u8]) {
        if kind != gix::objs::Kind::Blob {
            return;
        }
        let paths = self.introductions.paths_of(object);
        // A blob with no path is unreachable from the selection, and a blob
        // already seen is in more than one pack.
        if paths.is_empty() || self.seen[object as usize].swap(true, Ordering::Relaxed) {
            return;
        }
        let chunk = &mut self.out.local;
        chunk.blobs += 1;
        chunk.bytes += data.len() as u64;
        if self.decode_only {
            return;
        }
        for &path in paths {
            let path_bytes = self.introductions.paths.path(self.graph, path);
            let outcome = match self.detector.scan(path_bytes.as_bstr(), data) {
                BlobScan::Scanned(matches) if matches.is_empty() => continue,
                BlobScan::Scanned(matches) => Ok(matches),
                BlobScan::Skipped(reason) => Err(reason),
            };
            chunk.results.push(BlobResult {
                blob: object,
                path,
                outcome,
            });
        }
    }
}

/// Decodes every blob chain of every pack, then the loose blobs, scanning
/// each blob that the selection introduced.
fn scan_blobs(
    store: &ObjectStore,
    blob_trees: Vec<odb::DeltaTree>,
    graph: &Graph,
    introductions: &Introductions,
    detector: &Detector,
    options: &HistoryOptions,
) -> Result<Scanned, HistoryError> {
    let decode_only = options.decode_only;
    let threads = options.threads;
    let seen: Vec<AtomicBool> = (0..store.objects.len())
        .map(|_| AtomicBool::new(false))
        .collect();
    let interrupt = AtomicBool::new(false);
    let shared = Arc::new(Mutex::new(Vec::new()));
    let corrupt;
    {
        let visitor = BlobVisitor {
            graph,
            introductions,
            detector,
            decode_only,
            seen: &seen,
            out: Collector::new(shared.clone()),
        };
        for (pack, tree) in store.packs.iter().zip(blob_trees) {
            pack.traverse(tree, threads, &interrupt, visitor.clone())?;
        }
        corrupt = store.visit_loose(true, visitor.clone());
    }
    let chunks = std::mem::take(&mut *shared.lock().expect("no visitor panicked"));
    let mut scanned = Scanned {
        results: Vec::new(),
        blobs: 0,
        bytes: 0,
        seen,
        corrupt,
    };
    for chunk in chunks {
        scanned.results.extend(chunk.results);
        scanned.blobs += chunk.blobs;
        scanned.bytes += chunk.bytes;
    }
    Ok(scanned)
}

/// Reads the author of `commit` for a report.
fn commit_info(repo: &gix::Repository, id: &gix::oid) -> CommitInfo {
    let mut info = CommitInfo {
        id: id.to_string(),
        author: String::new(),
        email: String::new(),
        date: String::new(),
        time: 0,
    };
    if let Ok(object) = repo.find_object(id)
        && let Ok(author) =
            gix::objs::CommitRefIter::from_bytes(&object.data, repo.object_hash()).author()
    {
        info.author = author.name.to_str_lossy().trim().to_string();
        info.email = author.email.to_str_lossy().trim().to_string();
        info.time = author.seconds();
        info.date = rfc3339_utc(info.time);
    }
    info
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// What [`assemble`] reads besides the scan results.
#[derive(Clone, Copy)]
struct Sources<'a> {
    repo: &'a gix::Repository,
    store: &'a ObjectStore,
    graph: &'a Graph,
    selection: &'a select::Selection,
    introductions: &'a Introductions,
    head_pairs: &'a rustc_hash::FxHashSet<(ObjectIndex, u32)>,
    /// True in a partial clone, where missing trees and blobs are expected.
    partial: bool,
}

/// Turns scan results into a report with full locations.
fn assemble(
    sources: Sources,
    mut scanned: Scanned,
    ref_targets: targets::TargetScan,
) -> Result<Report, HistoryError> {
    let Sources {
        repo,
        store,
        graph,
        selection,
        introductions,
        head_pairs,
        partial,
    } = sources;
    let mut report = Report {
        command: "history".into(),
        ..Report::default()
    };
    report.warnings.extend(selection.warnings.iter().cloned());

    // Commits that introduced matches, and the refs that reach each.
    let mut with_matches: Vec<u32> = scanned
        .results
        .iter()
        .filter(|result| result.outcome.is_ok())
        .map(|result| introductions.first[&(result.blob, result.path)])
        .collect();
    with_matches.sort_unstable();
    with_matches.dedup();
    let reaching = select::refs_reaching(
        selection,
        graph.commits.len(),
        &with_matches,
        MAX_REFS_PER_LOCATION,
    );
    let capped = reaching.iter().filter(|r| r.total > r.names.len()).count();
    if capped > 0 {
        report.warnings.push(format!(
            "{capped} commits that introduced findings are reached by more than {MAX_REFS_PER_LOCATION} refs; \
             their locations list the first {MAX_REFS_PER_LOCATION} (branches, then tags, remote-tracking branches, \
             the stash, notes, other refs)"
        ));
    }
    let refs_of = |commit: u32| -> Vec<String> {
        let position = with_matches
            .binary_search(&commit)
            .expect("commit with matches");
        reaching[position].names.clone()
    };

    // Every commit the report names, with its author.
    let mut named: Vec<u32> = scanned
        .results
        .iter()
        .map(|result| introductions.first[&(result.blob, result.path)])
        .collect();
    for absent in &introductions.absent {
        named.push(absent.commit);
    }
    named.extend(
        introductions
            .submodules
            .iter()
            .map(|gitlink| gitlink.commit),
    );
    let mut missing_pairs: Vec<(ObjectIndex, u32)> = introductions
        .pairs()
        .filter(|&(blob, _)| !scanned.seen[blob as usize].load(Ordering::Relaxed))
        .collect();
    missing_pairs.sort_unstable();
    named.extend(missing_pairs.iter().map(|pair| introductions.first[pair]));
    named.sort_unstable();
    named.dedup();
    let infos: rustc_hash::FxHashMap<u32, CommitInfo> = named
        .iter()
        .map(|&slot| {
            (
                slot,
                commit_info(repo, store.objects.id(graph.commits[slot as usize].object)),
            )
        })
        .collect();

    let path_bytes = |path: u32| -> BString { introductions.paths.path(graph, path) };

    // Results arrive in decoding order. Sorting them parents-first (then
    // by path) before `group_matches`, whose sort is stable, keeps that
    // order among locations with the same author time.
    let mut rank = vec![u32::MAX; graph.commits.len()];
    for (position, &slot) in selection.order.iter().enumerate() {
        rank[slot as usize] = position as u32;
    }
    let mut results = std::mem::take(&mut scanned.results);
    results.sort_by_cached_key(|result| {
        let commit = introductions.first[&(result.blob, result.path)];
        (rank[commit as usize], path_bytes(result.path))
    });

    let mut matches: Vec<(Match, Location)> = Vec::new();
    for result in results {
        let commit = introductions.first[&(result.blob, result.path)];
        let blob_id = store.objects.id(result.blob).to_string();
        let path = path_bytes(result.path);
        match result.outcome {
            Ok(found) => {
                let in_head = head_pairs.contains(&(result.blob, result.path));
                let refs = refs_of(commit);
                for m in found {
                    let location = Location {
                        path: path.clone(),
                        line: m.line,
                        column: m.column,
                        commit: Some(infos[&commit].clone()),
                        blob: Some(blob_id.clone()),
                        refs: refs.clone(),
                        in_head: Some(in_head),
                    };
                    matches.push((m, location));
                }
            }
            Err(reason) => report.skipped.push(Skipped {
                path,
                blob: Some(blob_id),
                commit: Some(infos[&commit].id.clone()),
                reason,
            }),
        }
    }
    let unscanned = Unscanned {
        repo,
        store,
        graph,
        introductions,
        infos: &infos,
        partial,
    };
    let mut damage = selection.damage.clone();
    damage.extend(unscanned.report(&mut report, &missing_pairs, &scanned));
    if !damage.is_empty() {
        return Err(HistoryError::damaged(&damage));
    }
    matches.extend(ref_targets.matches);
    report.skipped.extend(ref_targets.skipped);
    report.warnings.extend(ref_targets.warnings);
    scanned.blobs += ref_targets.blobs;
    scanned.bytes += ref_targets.bytes;
    report
        .skipped
        .sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.blob.cmp(&b.blob)));

    report.findings = group_matches(matches);
    report.stats = Stats {
        blobs_scanned: scanned.blobs,
        bytes_scanned: scanned.bytes,
        commits: selection.selected_count() as u64,
        refs: selection.refs.len() as u64,
        skipped: report.skipped.len() as u64,
        ignored: 0,
        elapsed_ms: 0,
        history_truncated: selection.truncated,
    };
    Ok(report)
}

/// The maximum number of warnings about single missing or corrupt objects;
/// beyond it, one warning gives the count.
const MAX_OBJECT_WARNINGS: usize = 10;

/// What [`Unscanned::report`] needs to list the objects history names but
/// could not scan.
struct Unscanned<'a> {
    repo: &'a gix::Repository,
    store: &'a ObjectStore,
    graph: &'a Graph,
    introductions: &'a Introductions,
    infos: &'a rustc_hash::FxHashMap<u32, CommitInfo>,
    partial: bool,
}

impl Unscanned<'_> {
    /// Lists submodule commits, corrupt blobs and (in a partial clone)
    /// missing trees and blobs as skipped, with warnings. Returns the
    /// problems that make the scan fail: a missing object outside a partial
    /// clone, and a tree that is corrupt or does not parse.
    fn report(
        &self,
        report: &mut Report,
        missing_pairs: &[(ObjectIndex, u32)],
        scanned: &Scanned,
    ) -> Vec<String> {
        let mut damage = Vec::new();
        let mut corrupt: rustc_hash::FxHashMap<ObjectIndex, &odb::Corrupt> =
            rustc_hash::FxHashMap::default();
        for entry in &scanned.corrupt {
            corrupt.entry(entry.object).or_insert(entry);
        }
        let path_bytes = |path: u32| -> BString { self.introductions.paths.path(self.graph, path) };
        let commit_id = |slot: u32| -> String { self.infos[&slot].id.clone() };

        for gitlink in &self.introductions.submodules {
            report.skipped.push(Skipped {
                path: path_bytes(gitlink.path),
                blob: Some(gitlink.id.to_string()),
                commit: Some(commit_id(gitlink.commit)),
                reason: SkipReason::Submodule,
            });
        }

        let mut missing_blobs = 0usize;
        let mut corrupt_blobs = Vec::new();
        for &(blob, path) in missing_pairs {
            let commit = commit_id(self.introductions.first[&(blob, path)]);
            let id = self.store.objects.id(blob).to_owned();
            let reason = if let Some(entry) = corrupt.get(&blob) {
                if !corrupt_blobs.contains(&blob) {
                    corrupt_blobs.push(blob);
                    if corrupt_blobs.len() <= MAX_OBJECT_WARNINGS {
                        report.warnings.push(format!(
                            "blob {id} is corrupt ({}); it was not scanned (listed as skipped)",
                            entry.reason
                        ));
                    }
                }
                SkipReason::CorruptObject
            } else if self.partial {
                missing_blobs += 1;
                SkipReason::MissingObject
            } else {
                damage.push(format!(
                    "blob {id} at {:?} in commit {commit} is missing from the object database",
                    path_bytes(path).as_bstr()
                ));
                continue;
            };
            report.skipped.push(Skipped {
                path: path_bytes(path),
                blob: Some(id.to_string()),
                commit: Some(commit),
                reason,
            });
        }
        if corrupt_blobs.len() > MAX_OBJECT_WARNINGS {
            report.warnings.push(format!(
                "{} blobs are corrupt; they were not scanned (listed as skipped)",
                corrupt_blobs.len()
            ));
        }
        if missing_blobs > 0 {
            report.warnings.push(format!(
                "{missing_blobs} blobs that history names are missing from this partial clone; \
                 they are listed as skipped and were not scanned"
            ));
        }

        let mut missing_trees = 0usize;
        for absent in &self.introductions.absent {
            let commit = commit_id(absent.commit);
            let path = path_bytes(absent.path);
            let id = absent.id.or_else(|| self.root_tree_id(absent.commit));
            let kind = if absent.is_tree { "tree" } else { "blob" };
            let what = match (id, absent.path == graph::ROOT_PATH) {
                (Some(id), true) => format!("root tree {id} of commit {commit}"),
                (None, _) => format!("the root tree of commit {commit}"),
                (Some(id), false) => {
                    format!("{kind} {id} at {:?} in commit {commit}", path.as_bstr())
                }
            };
            let index = id.and_then(|id| self.store.objects.index(&id));
            if let Some(index) = index {
                // The object is there but did not decode as a tree.
                let problem = match corrupt.get(&index) {
                    Some(entry) => format!("{what} is corrupt ({})", entry.reason),
                    None => format!("{what} is not a valid tree"),
                };
                damage.push(problem);
                continue;
            }
            if !self.partial {
                damage.push(format!("{what} is missing from the object database"));
                continue;
            }
            if absent.is_tree {
                missing_trees += 1;
                if missing_trees <= MAX_OBJECT_WARNINGS {
                    report.warnings.push(format!(
                        "{what} is missing from this partial clone; the files under it were not scanned"
                    ));
                }
            }
            report.skipped.push(Skipped {
                path,
                blob: if absent.is_tree {
                    None
                } else {
                    id.map(|id| id.to_string())
                },
                commit: Some(commit),
                reason: SkipReason::MissingObject,
            });
        }
        if missing_trees > MAX_OBJECT_WARNINGS {
            report.warnings.push(format!(
                "{missing_trees} trees that history names are missing from this partial clone; \
                 the files under them were not scanned (they are listed as skipped)"
            ));
        }

        // Corrupt objects that history does not need.
        let unused = corrupt
            .values()
            .filter(|entry| {
                let used = match entry.kind {
                    CorruptKind::Blob => !self.introductions.paths_of(entry.object).is_empty(),
                    CorruptKind::Metadata | CorruptKind::Unknown => false,
                };
                !used
                    && !scanned.seen[entry.object as usize].load(Ordering::Relaxed)
                    && self.graph.commit_slot(entry.object).is_none()
                    && !self.introductions.absent.iter().any(|absent| {
                        absent.id.as_deref() == Some(self.store.objects.id(entry.object))
                    })
            })
            .count();
        if unused > 0 {
            report.warnings.push(format!(
                "{unused} corrupt objects that the scanned history does not use were found; \
                 run `git fsck --full` to list them"
            ));
        }
        damage
    }

    /// Reads the root tree id of commit `slot` from its object.
    fn root_tree_id(&self, slot: u32) -> Option<gix::ObjectId> {
        let id = self
            .store
            .objects
            .id(self.graph.commits[slot as usize].object);
        let object = self.repo.find_object(id).ok()?;
        gix::objs::CommitRefIter::from_bytes(&object.data, self.repo.object_hash())
            .tree_id()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339_utc;

    #[test]
    fn rfc3339_epoch_and_leap_day() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(rfc3339_utc(1_704_067_200), "2024-01-01T00:00:00Z");
    }
}
