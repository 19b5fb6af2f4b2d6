//! Marks findings in files that DataJoint would read as configuration.
//!
//! A secret in `datajoint.json` or in a `.secrets/` file beside it is live
//! configuration for anyone who starts DataJoint below that directory, so
//! such findings get `effective_config` and one level more severity.

use std::collections::HashMap;

use bstr::BString;

use crate::finding::{Finding, Report};
use crate::resolver::repo::EffectivePaths;

/// Maximum number of commits whose trees are listed to mark history
/// findings; findings introduced in further commits stay unmarked.
const MAX_COMMITS_LISTED: usize = 500;

/// Marks findings located in effective configuration files of the tree
/// described by `paths` (repository-relative, `/` separated; submodules
/// given as `<path>/.git`).
pub fn mark_with_listing<P: AsRef<[u8]>>(report: &mut Report, paths: &[P]) {
    let effective = EffectivePaths::new(paths);
    for finding in &mut report.findings {
        if finding
            .locations
            .iter()
            .any(|l| effective.contains(&l.path))
        {
            raise(finding);
        }
    }
}

/// Marks history findings: each location is checked against the tree of
/// the commit that introduced it.
pub fn mark_history(report: &mut Report, repo: &gix::Repository) {
    let mut listings: HashMap<String, Option<EffectivePaths>> = HashMap::new();
    for finding in &mut report.findings {
        let mut effective = false;
        for location in &finding.locations {
            let Some(commit) = &location.commit else {
                continue;
            };
            if !listings.contains_key(&commit.id) && listings.len() >= MAX_COMMITS_LISTED {
                continue;
            }
            let paths = listings
                .entry(commit.id.clone())
                .or_insert_with(|| tree_paths(repo, &commit.id).map(|p| EffectivePaths::new(&p)));
            if paths.as_ref().is_some_and(|p| p.contains(&location.path)) {
                effective = true;
                break;
            }
        }
        if effective {
            raise(finding);
        }
    }
}

fn raise(finding: &mut Finding) {
    if !finding.effective_config {
        finding.effective_config = true;
        finding.severity = finding.severity.raised();
    }
}

/// Lists every file path in a commit's tree, submodules as `<path>/.git`.
fn tree_paths(repo: &gix::Repository, commit: &str) -> Option<Vec<BString>> {
    let id = gix::ObjectId::from_hex(commit.as_bytes()).ok()?;
    let tree = repo.find_commit(id).ok()?.tree().ok()?;
    match crate::source::listing::tree_listing(&tree) {
        Ok(paths) => Some(paths),
        Err(error) => {
            log::debug!("cannot list the tree of commit {commit}: {error}");
            None
        }
    }
}
