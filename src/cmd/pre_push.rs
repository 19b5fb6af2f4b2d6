//! `tightlip pre-push`: scan the commits a push adds.
//!
//! As a git pre-push hook it gets the remote name and URL as arguments and
//! one line per pushed ref on stdin. Under the pre-commit framework it gets
//! no arguments: pre-commit 4.x reads git's lines itself and passes the
//! first pushed ref that adds commits as environment variables
//! (`PRE_COMMIT_FROM_REF`, `PRE_COMMIT_TO_REF`, `PRE_COMMIT_LOCAL_BRANCH`,
//! `PRE_COMMIT_REMOTE_NAME`).

use std::io::{self, Read};
use std::path::Path;

use anyhow::{Context, bail};
use bstr::BString;
use gix::ObjectId;

use crate::cli::{GlobalArgs, ScanLimits};
use crate::cmd::staged::{Job, finish};
use crate::detect::{Detector, DetectorOptions};
use crate::source::push::{RefUpdate, parse_updates, scan_push};

/// Runs the pre-push scan. `remote` is git's first hook argument. When it
/// is absent, the pre-commit framework's environment variables are used.
pub fn run(global: &GlobalArgs, remote: Option<&str>, limits: &ScanLimits) -> anyhow::Result<u8> {
    let repo = match gix::discover(Path::new(".")) {
        Ok(repo) => repo,
        Err(error) => {
            crate::source::history::reject_sha256(Path::new("."))?;
            return Err(error).context("the current directory is not inside a git repository");
        }
    };

    let (remote, updates) = match remote {
        Some(remote) => {
            let mut input = Vec::new();
            io::stdin()
                .read_to_end(&mut input)
                .context("failed to read the pushed refs from stdin")?;
            (
                remote.to_owned(),
                parse_updates(&input, repo.object_hash())?,
            )
        }
        None => updates_from_pre_commit_env(&repo)?,
    };

    let detector = Detector::new(DetectorOptions {
        max_size: limits.max_size,
    })?;
    let mut report = scan_push(&repo, &remote, &updates, &detector)?;
    report.root = repo.workdir().map(Path::to_path_buf);
    report.stats.ignored += detector.suppressed();
    finish(report, global, Job::Push)
}

/// Builds the one ref update that the pre-commit framework describes in
/// its environment. NOTE: the framework describes only the first pushed ref
/// that adds commits, so other refs of the same push go unscanned there.
/// The plain git hook (`tightlip hook install`) sees every ref. It sets `PRE_COMMIT_FROM_REF` and `PRE_COMMIT_TO_REF`
/// when part of the branch is already on the remote, and only
/// `PRE_COMMIT_LOCAL_BRANCH` when the push includes a root commit.
fn updates_from_pre_commit_env(repo: &gix::Repository) -> anyhow::Result<(String, Vec<RefUpdate>)> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let remote = var("PRE_COMMIT_REMOTE_NAME").unwrap_or_default();
    let local_branch = var("PRE_COMMIT_LOCAL_BRANCH");
    let null = ObjectId::null(repo.object_hash());

    let resolve = |name: &str, spec: &str| -> anyhow::Result<ObjectId> {
        let id = repo
            .rev_parse_single(spec)
            .with_context(|| format!("{name}={spec} does not name an object in this repository"))?;
        Ok(id.detach())
    };

    let update = if let Some(to_ref) = var("PRE_COMMIT_TO_REF") {
        let from = match var("PRE_COMMIT_FROM_REF") {
            Some(from_ref) => resolve("PRE_COMMIT_FROM_REF", &from_ref)?,
            None => null,
        };
        RefUpdate {
            local_ref: BString::from(local_branch.unwrap_or_else(|| to_ref.clone())),
            local_oid: resolve("PRE_COMMIT_TO_REF", &to_ref)?,
            remote_ref: BString::from(var("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_default()),
            remote_oid: from,
        }
    } else if let Some(local_branch) = local_branch {
        RefUpdate {
            local_oid: resolve("PRE_COMMIT_LOCAL_BRANCH", &local_branch)?,
            local_ref: BString::from(local_branch),
            remote_ref: BString::from(var("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_default()),
            remote_oid: null,
        }
    } else {
        bail!(
            "pre-push needs the remote name and URL as arguments and git's pushed refs on stdin, \
             as git runs a pre-push hook, or the PRE_COMMIT_TO_REF or PRE_COMMIT_LOCAL_BRANCH \
             variables that the pre-commit framework sets"
        );
    };
    Ok((remote, vec![update]))
}
