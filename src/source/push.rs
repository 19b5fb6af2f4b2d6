//! The pre-push source: the commits a push adds to a remote.
//!
//! git runs the pre-push hook with one line per ref update on stdin:
//! `<local ref> <local oid> <remote ref> <remote oid>`. The commits a push
//! adds are those reachable from the local oids and from nothing the
//! remote already has: its remote-tracking refs (`refs/remotes/REMOTE/*`)
//! and each remote oid that exists locally. Each of those commits is
//! compared with its parents, and only lines new relative to every parent
//! count. Any failure to compute the range is an error, never "clean".

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use anyhow::{Context, bail};
use bstr::{BString, ByteSlice};
use gix::ObjectId;
use gix::object::tree::diff::ChangeDetached;

use crate::detect::{BlobScan, Detector};
use crate::finding::{
    CommitInfo, Location, Match, MatchKind, Report, SkipReason, Skipped, group_matches,
};
use crate::source::added::filter_added;
use crate::source::index::read_blob;

/// One line of git's pre-push input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    pub local_ref: BString,
    /// All zeros when the push deletes `remote_ref`.
    pub local_oid: ObjectId,
    pub remote_ref: BString,
    /// All zeros when `remote_ref` does not exist on the remote yet.
    pub remote_oid: ObjectId,
}

impl RefUpdate {
    pub fn is_deletion(&self) -> bool {
        self.local_oid.is_null()
    }
}

/// Parses git's pre-push input. Blank lines are ignored. Any other line
/// that is not four space-separated fields with valid object ids of
/// `hash_kind` is an error naming the line.
pub fn parse_updates(input: &[u8], hash_kind: gix::hash::Kind) -> anyhow::Result<Vec<RefUpdate>> {
    let mut updates = Vec::new();
    for (number, line) in input.lines().enumerate() {
        let number = number + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&[u8]> = line.split_str(" ").collect();
        let [local_ref, local_oid, remote_ref, remote_oid] = fields[..] else {
            bail!(
                "invalid pre-push input on line {number}: expected `<local ref> <local oid> <remote ref> <remote oid>`, got {:?}",
                line.as_bstr()
            );
        };
        let parse_oid = |field: &[u8]| -> anyhow::Result<ObjectId> {
            let id = ObjectId::from_hex(field).with_context(|| {
                format!(
                    "invalid object id {:?} on line {number} of the pre-push input",
                    field.as_bstr()
                )
            })?;
            if id.kind() != hash_kind {
                bail!(
                    "object id {:?} on line {number} of the pre-push input is not a {hash_kind} id, which this repository uses",
                    field.as_bstr()
                );
            }
            Ok(id)
        };
        updates.push(RefUpdate {
            local_ref: local_ref.into(),
            local_oid: parse_oid(local_oid)?,
            remote_ref: remote_ref.into(),
            remote_oid: parse_oid(remote_oid)?,
        });
    }
    Ok(updates)
}

/// Commits that a push adds, each with the local ref that first reached it.
pub struct PushRange {
    pub commits: Vec<(ObjectId, BString)>,
    /// Trees and blobs pushed directly, as tags of them, with their ref.
    /// The remote may already have them, but that cannot be told, so all of
    /// their content is scanned.
    pub non_commits: Vec<(Peeled, BString)>,
    pub warnings: Vec<String>,
}

/// The object a pushed or remote oid names, after peeling tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peeled {
    Commit(ObjectId),
    Tree(ObjectId),
    Blob(ObjectId),
}

/// Computes the commits that `updates` add to `remote`: reachable from a
/// local oid, and not from any remote-tracking ref of `remote` or any
/// remote oid present in this repository. Deletions add nothing.
pub fn push_range(
    repo: &gix::Repository,
    remote: &str,
    updates: &[RefUpdate],
) -> anyhow::Result<PushRange> {
    let mut warnings = Vec::new();
    let mut hidden = remote_tracking_tips(repo, remote)?;

    for update in updates {
        if update.remote_oid.is_null() {
            continue;
        }
        match peel_if_present(repo, update.remote_oid)? {
            Some(Peeled::Commit(id)) => hidden.push(id),
            // The remote has this tree or blob, but it bounds no commits.
            Some(Peeled::Tree(_) | Peeled::Blob(_)) => {}
            None => warnings.push(format!(
                "{} on the remote is at {}, which this repository does not have, \
                 so commits already on the remote may be scanned again (`git fetch` avoids that)",
                update.remote_ref, update.remote_oid
            )),
        }
    }

    let mut seen = HashSet::new();
    let mut commits = Vec::new();
    let mut non_commits = Vec::new();
    for update in updates.iter().filter(|update| !update.is_deletion()) {
        let peeled = peel_if_present(repo, update.local_oid)
            .with_context(|| format!("cannot scan the push of {}", update.local_ref))?
            .with_context(|| {
                format!(
                    "{} ({}) is not in this repository, so the commits it adds cannot be computed",
                    update.local_ref, update.local_oid
                )
            })?;
        let tip = match peeled {
            Peeled::Commit(id) => id,
            other => {
                non_commits.push((other, update.local_ref.clone()));
                continue;
            }
        };
        let walk = repo
            .rev_walk([tip])
            .with_hidden(hidden.iter().copied())
            .all()
            .with_context(|| format!("failed to walk the commits of {}", update.local_ref))?;
        for info in walk {
            let info = info.with_context(|| {
                format!("failed to walk the commits of {} ({tip})", update.local_ref)
            })?;
            if seen.insert(info.id) {
                commits.push((info.id, update.local_ref.clone()));
            }
        }
    }
    Ok(PushRange {
        commits,
        non_commits,
        warnings,
    })
}

/// Returns the commits that the remote-tracking refs of `remote` point to.
/// A remote given as a URL has no remote-tracking refs.
fn remote_tracking_tips(repo: &gix::Repository, remote: &str) -> anyhow::Result<Vec<ObjectId>> {
    let prefix = format!("refs/remotes/{remote}/");
    let platform = repo.references().context("failed to read the references")?;
    let Ok(refs) = platform.prefixed(prefix.as_str()) else {
        log::debug!("{remote:?} is not a remote name, so no remote-tracking refs apply");
        return Ok(Vec::new());
    };
    let mut tips = Vec::new();
    for reference in refs {
        let mut reference = reference
            .map_err(|err| anyhow::anyhow!("failed to read a ref under {prefix}: {err}"))?;
        let name = reference.name().as_bstr().to_owned();
        match reference.peel_to_commit() {
            Ok(commit) => tips.push(commit.id),
            // A remote-tracking ref that does not resolve to a commit hides
            // nothing; scanning more is the safe side.
            Err(err) => {
                log::debug!("remote-tracking ref {name} does not resolve to a commit: {err}")
            }
        }
    }
    Ok(tips)
}

/// Peels the tags off `id`. Returns `None` when the object is not in the
/// repository.
fn peel_if_present(repo: &gix::Repository, id: ObjectId) -> anyhow::Result<Option<Peeled>> {
    let Some(object) = repo
        .try_find_object(id)
        .with_context(|| format!("failed to read object {id}"))?
    else {
        return Ok(None);
    };
    let object = object
        .peel_tags_to_end()
        .with_context(|| format!("failed to peel tag {id}"))?;
    let peeled = match object.kind {
        gix::object::Kind::Commit => Peeled::Commit(object.id),
        gix::object::Kind::Tree => Peeled::Tree(object.id),
        gix::object::Kind::Blob => Peeled::Blob(object.id),
        gix::object::Kind::Tag => bail!("tag {id} does not end in a commit, tree or blob"),
    };
    Ok(Some(peeled))
}

/// One blob version that a commit adds at a path, with the versions it
/// replaces in each parent (`None` where the parent has no such file).
struct Added {
    /// Position in the push range's commits, or `None` for a tree or blob
    /// pushed without a commit.
    commit: Option<usize>,
    /// The pushed ref that reaches it.
    local_ref: BString,
    path: BString,
    id: ObjectId,
    previous: Vec<Option<ObjectId>>,
}

/// Scans the commits that `updates` add and returns the report of the
/// `pre-push` command.
pub fn scan_push(
    repo: &gix::Repository,
    remote: &str,
    updates: &[RefUpdate],
    detector: &Detector,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let range = push_range(repo, remote, updates)?;
    log::debug!("push to {remote} adds {} commits", range.commits.len());

    let mut report = Report {
        command: "pre-push".into(),
        warnings: range.warnings,
        ..Report::default()
    };
    report.stats.refs = updates.len() as u64;
    report.stats.commits = range.commits.len() as u64;

    // NOTE: commits are diffed and blobs scanned on one thread. That is
    // fast for ordinary pushes but slow for a first push of a long history.
    let mut infos = Vec::with_capacity(range.commits.len());
    let mut added = Vec::new();
    for (index, (id, local_ref)) in range.commits.iter().enumerate() {
        let commit = repo
            .find_commit(*id)
            .with_context(|| format!("failed to read commit {id}"))?;
        infos.push(commit_info(&commit)?);
        added_by_commit(repo, &commit, index, local_ref, &mut added, &mut report)?;
    }
    for (peeled, local_ref) in &range.non_commits {
        added_without_commit(repo, *peeled, local_ref, &mut added, &mut report)?;
    }

    // Each blob is scanned once per path it appears at; the path takes part
    // because path rules depend on it.
    let mut scanned: HashMap<(ObjectId, BString), Result<Vec<Match>, SkipReason>> = HashMap::new();
    let mut located = Vec::new();
    for item in &added {
        let key = (item.id, item.path.clone());
        if !scanned.contains_key(&key) {
            let outcome = scan_blob(repo, detector, item, &mut report);
            scanned.insert(key.clone(), outcome);
        }
        let matches = match &scanned[&key] {
            Ok(matches) => matches,
            Err(reason) => {
                report.skipped.push(Skipped {
                    path: item.path.clone(),
                    blob: Some(item.id.to_string()),
                    commit: item.commit.map(|index| range.commits[index].0.to_string()),
                    reason: reason.clone(),
                });
                continue;
            }
        };
        if matches.is_empty() {
            continue;
        }
        let on_added_lines = keep_added(repo, item, matches.clone())?;
        for m in on_added_lines {
            let location = Location {
                path: item.path.clone(),
                line: m.line,
                column: m.column,
                commit: item.commit.map(|index| infos[index].clone()),
                blob: Some(item.id.to_string()),
                refs: vec![item.local_ref.to_string()],
                in_head: None,
            };
            located.push((m, location));
        }
    }

    report.findings = group_matches(located);
    report.stats.skipped = report.skipped.len() as u64;
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn scan_blob(
    repo: &gix::Repository,
    detector: &Detector,
    item: &Added,
    report: &mut Report,
) -> Result<Vec<Match>, SkipReason> {
    let data = read_blob(repo, item.id)?;
    match detector.scan(item.path.as_bstr(), &data) {
        BlobScan::Scanned(matches) => {
            report.stats.blobs_scanned += 1;
            report.stats.bytes_scanned += data.len() as u64;
            Ok(matches)
        }
        BlobScan::Skipped(reason) => Err(reason),
    }
}

/// Keeps the matches of `item` that lie on lines new relative to every
/// parent version.
fn keep_added(
    repo: &gix::Repository,
    item: &Added,
    matches: Vec<Match>,
) -> anyhow::Result<Vec<Match>> {
    if matches.iter().all(|m| m.kind == MatchKind::Path) {
        return Ok(matches);
    }
    let data = read_blob(repo, item.id)
        .map_err(|reason| anyhow::anyhow!("failed to read blob {}: {reason}", item.id))?;
    let mut previous = Vec::with_capacity(item.previous.len());
    for id in &item.previous {
        // A parent version that cannot be read is treated as absent, which
        // can only report more.
        previous.push(id.and_then(|id| read_blob(repo, id).ok()));
    }
    let previous: Vec<Option<&[u8]>> = previous.iter().map(|data| data.as_deref()).collect();
    Ok(filter_added(matches, &data, &previous))
}

/// Appends the blob versions `commit` adds relative to its parents. A file
/// counts only when it differs from every parent, so a merge contributes
/// only what none of its parents had.
fn added_by_commit(
    repo: &gix::Repository,
    commit: &gix::Commit<'_>,
    index: usize,
    local_ref: &BString,
    out: &mut Vec<Added>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let id = commit.id;
    let tree = commit
        .tree()
        .with_context(|| format!("failed to read the tree of commit {id}"))?;
    let parent_ids: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();

    let mut per_parent: Vec<HashMap<BString, (ObjectId, Option<ObjectId>)>> = Vec::new();
    if parent_ids.is_empty() {
        per_parent.push(changed_blobs(repo, None, &tree, Some(id), report)?);
    }
    for parent_id in &parent_ids {
        let parent_tree = match repo.try_find_object(*parent_id)? {
            Some(parent) => parent
                .peel_to_commit()
                .and_then(|parent| parent.tree())
                .with_context(|| format!("failed to read parent {parent_id} of commit {id}"))?,
            None if repo.is_shallow().unwrap_or(false) => {
                report.warnings.push(format!(
                    "commit {id} is at the shallow boundary (parent {parent_id} is missing), so all of its files were scanned"
                ));
                report.stats.history_truncated = true;
                repo.empty_tree()
            }
            None => bail!("parent {parent_id} of commit {id} is missing from the repository"),
        };
        per_parent.push(changed_blobs(
            repo,
            Some(&parent_tree),
            &tree,
            Some(id),
            report,
        )?);
    }

    let start = out.len();
    let (first, rest) = per_parent.split_first().expect("at least one comparison");
    for (path, (blob, previous)) in first {
        let mut all_previous = vec![*previous];
        let mut changed_in_all = true;
        for other in rest {
            match other.get(path) {
                Some((_, previous)) => all_previous.push(*previous),
                None => {
                    changed_in_all = false;
                    break;
                }
            }
        }
        if changed_in_all {
            out.push(Added {
                commit: Some(index),
                local_ref: local_ref.clone(),
                path: path.clone(),
                id: *blob,
                previous: all_previous,
            });
        }
    }
    out[start..].sort_by(|a, b| a.path.cmp(&b.path));
    Ok(())
}

/// Appends every blob of a tree or the blob that a ref pushes without a
/// commit.
fn added_without_commit(
    repo: &gix::Repository,
    peeled: Peeled,
    local_ref: &BString,
    out: &mut Vec<Added>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut add = |path: BString, id: ObjectId| {
        out.push(Added {
            commit: None,
            local_ref: local_ref.clone(),
            path,
            id,
            previous: vec![None],
        })
    };
    match peeled {
        Peeled::Commit(_) => {}
        // The ref name stands in for a path, which a bare blob does not have.
        Peeled::Blob(id) => add(local_ref.clone(), id),
        Peeled::Tree(id) => {
            let tree = repo
                .find_tree(id)
                .with_context(|| format!("failed to read tree {id} of {local_ref}"))?;
            let mut blobs: Vec<_> = changed_blobs(repo, None, &tree, None, report)?
                .into_iter()
                .collect();
            blobs.sort();
            for (path, (blob, _)) in blobs {
                add(path, blob);
            }
        }
    }
    Ok(())
}

/// Maps each path whose blob differs between `old` and `new` to its new
/// blob id and, for a modification or rename, the blob it replaces.
/// Submodule entries are recorded as skipped.
fn changed_blobs(
    repo: &gix::Repository,
    old: Option<&gix::Tree<'_>>,
    new: &gix::Tree<'_>,
    commit: Option<ObjectId>,
    report: &mut Report,
) -> anyhow::Result<HashMap<BString, (ObjectId, Option<ObjectId>)>> {
    let options = gix::diff::Options::default().with_rewrites(Some(gix::diff::Rewrites::default()));
    let changes = repo
        .diff_tree_to_tree(old, Some(new), options)
        .with_context(|| match commit {
            Some(commit) => format!("failed to compare commit {commit} with its parent"),
            None => format!("failed to list the files of tree {}", new.id),
        })?;

    let mut out = HashMap::new();
    for change in changes {
        let (path, mode, id, previous) = match change {
            ChangeDetached::Deletion { .. } => continue,
            ChangeDetached::Addition {
                location,
                entry_mode,
                id,
                ..
            } => (location, entry_mode, id, None),
            ChangeDetached::Modification {
                location,
                entry_mode,
                id,
                previous_id,
                previous_entry_mode,
            } => {
                let previous = previous_entry_mode
                    .is_blob_or_symlink()
                    .then_some(previous_id);
                (location, entry_mode, id, previous)
            }
            ChangeDetached::Rewrite {
                location,
                entry_mode,
                id,
                source_id,
                source_entry_mode,
                ..
            } => {
                let previous = source_entry_mode.is_blob_or_symlink().then_some(source_id);
                (location, entry_mode, id, previous)
            }
        };
        if mode.is_commit() {
            report.skipped.push(Skipped {
                path,
                blob: Some(id.to_string()),
                commit: commit.map(|commit| commit.to_string()),
                reason: SkipReason::Submodule,
            });
            continue;
        }
        if !mode.is_blob_or_symlink() {
            continue;
        }
        out.insert(path, (id, previous));
    }
    Ok(out)
}

fn commit_info(commit: &gix::Commit<'_>) -> anyhow::Result<CommitInfo> {
    let id = commit.id;
    let author = commit
        .author()
        .with_context(|| format!("failed to read the author of commit {id}"))?;
    let time = author.seconds();
    // RFC 3339 in UTC with a `Z` suffix, as the history scan writes it.
    let date = gix::date::Time::new(time, 0)
        .format_or_unix(gix::date::time::format::ISO8601_STRICT)
        .replace("+00:00", "Z");
    Ok(CommitInfo {
        id: id.to_string(),
        author: author.name.to_str_lossy().trim().to_string(),
        email: author.email.to_str_lossy().trim().to_string(),
        date,
        time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZERO: &str = "0000000000000000000000000000000000000000";
    const ONE: &str = "1111111111111111111111111111111111111111";

    #[test]
    fn parse_updates_new_branch() {
        let input = format!("refs/heads/feature {ONE} refs/heads/feature {ZERO}\n");
        let updates = parse_updates(input.as_bytes(), gix::hash::Kind::Sha1).unwrap();
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].local_ref, "refs/heads/feature");
        assert!(updates[0].remote_oid.is_null());
        assert!(!updates[0].is_deletion());
    }

    #[test]
    fn parse_updates_deletion() {
        let input = format!("(delete) {ZERO} refs/heads/feature {ONE}\n");
        let updates = parse_updates(input.as_bytes(), gix::hash::Kind::Sha1).unwrap();
        assert!(updates[0].is_deletion());
    }

    #[test]
    fn parse_updates_skips_blank_lines() {
        let input = format!("\nrefs/heads/a {ONE} refs/heads/a {ZERO}\n\n");
        let updates = parse_updates(input.as_bytes(), gix::hash::Kind::Sha1).unwrap();
        assert_eq!(updates.len(), 1);
    }

    #[test]
    fn parse_updates_rejects_three_fields() {
        let err =
            parse_updates(b"refs/heads/a 1111 refs/heads/a\n", gix::hash::Kind::Sha1).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn parse_updates_rejects_bad_oid() {
        let input = format!("refs/heads/a nothex refs/heads/a {ZERO}\n");
        let err = parse_updates(input.as_bytes(), gix::hash::Kind::Sha1).unwrap_err();
        assert!(err.to_string().contains("nothex"), "{err}");
    }
}
