//! `tightlip config --repo`: every directory of a repository in which
//! DataJoint could start with a different configuration, and the files that
//! would feed it there.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use bstr::{BString, ByteSlice};
use serde_json::json;

use crate::cli::{Format, GlobalArgs};
use crate::report::display_path;
use crate::resolver::repo::{EffectiveConfig, effective_config_files, effective_config_files_at};
use crate::source::listing::{index_listing, tree_listing};

/// Lists configuration roots of the working tree containing `dir`, or of
/// the tree of `commit` when given. Exits 1 when a secrets file that feeds
/// configuration is committed, 0 otherwise.
pub fn run(dir: &Path, commit: Option<&str>, global: &GlobalArgs) -> anyhow::Result<u8> {
    if global.format == Format::Sarif {
        anyhow::bail!("--format sarif is not available for config; use human, json or jsonl");
    }
    let repo = gix::discover(dir)
        .with_context(|| format!("{} is not inside a git repository", dir.display()))?;
    let (source, configs, tracked) = match commit {
        Some(rev) => {
            let paths = commit_paths(&repo, rev)?;
            let tracked: HashSet<BString> = paths.iter().cloned().collect();
            (
                format!("commit {rev}"),
                effective_config_files(&paths),
                tracked,
            )
        }
        None => {
            let root = repo
                .workdir()
                .context("the repository is bare; pass --commit REV to inspect a commit")?
                .to_path_buf();
            let tracked = index_paths(&repo)?;
            let mut listing: Vec<BString> = disk_paths(&root);
            listing.extend(tracked.iter().cloned());
            listing.sort();
            listing.dedup();
            (
                "working tree".to_string(),
                effective_config_files_at(&root, &listing),
                tracked,
            )
        }
    };
    let committed_secret = configs
        .iter()
        .flat_map(|c| &c.secrets_files)
        .any(|path| tracked.contains(path));

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match global.format {
        Format::Human => write_human(&mut out, &source, &configs, &tracked),
        _ => write_json(&mut out, &source, &configs, &tracked, global.format),
    };
    super::exit_code_after_write(written, u8::from(committed_secret))
}

fn write_human(
    out: &mut dyn Write,
    source: &str,
    configs: &[EffectiveConfig],
    tracked: &HashSet<BString>,
) -> std::io::Result<()> {
    if configs.is_empty() {
        return writeln!(out, "no datajoint.json in the {source}");
    }
    writeln!(out, "DataJoint configuration in the {source}:")?;
    for config in configs {
        let dir = if config.dir.is_empty() {
            ".".to_string()
        } else {
            display_path(&config.dir)
        };
        writeln!(out)?;
        writeln!(out, "started in {dir}/ or below:")?;
        for shielded in &config.shielded {
            writeln!(
                out,
                "  except {}/ (its own datajoint.json or repository)",
                display_path(shielded)
            )?;
        }
        let state = |path: &BString| {
            if tracked.contains(path) {
                "tracked"
            } else {
                "not tracked"
            }
        };
        writeln!(
            out,
            "  reads {}  ({})",
            display_path(&config.config_file),
            state(&config.config_file)
        )?;
        for secret in &config.secrets_files {
            let warning = if tracked.contains(secret) {
                "  committed: rotate this value and untrack the file"
            } else {
                ""
            };
            writeln!(
                out,
                "  reads {}  ({}){warning}",
                display_path(secret),
                state(secret)
            )?;
        }
    }
    Ok(())
}

fn write_json(
    out: &mut dyn Write,
    source: &str,
    configs: &[EffectiveConfig],
    tracked: &HashSet<BString>,
    format: Format,
) -> std::io::Result<()> {
    let file =
        |path: &BString| json!({"path": path.to_str_lossy(), "tracked": tracked.contains(path)});
    let roots: Vec<_> = configs
        .iter()
        .map(|c| {
            json!({
                "dir": c.dir.to_str_lossy(),
                "config_file": file(&c.config_file),
                "secrets_files": c.secrets_files.iter().map(file).collect::<Vec<_>>(),
                "shielded": c.shielded.iter().map(|s| s.to_str_lossy()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = json!({"source": source, "roots": roots});
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &value)?;
    } else {
        serde_json::to_writer(&mut *out, &value)?;
    }
    writeln!(out)
}

fn index_paths(repo: &gix::Repository) -> anyhow::Result<HashSet<BString>> {
    let index = repo.index_or_empty().context("failed to read the index")?;
    Ok(index_listing(&index).into_iter().collect())
}

/// Lists every file on disk below `root`, ignored or not, because DataJoint reads
/// `.secrets/` files that git ignores.
fn disk_paths(root: &Path) -> Vec<BString> {
    let mut paths = Vec::new();
    let walk = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    for entry in walk.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(relative) = entry.path().strip_prefix(root) {
            let text = relative
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/");
            paths.push(BString::from(text));
        }
    }
    paths
}

fn commit_paths(repo: &gix::Repository, rev: &str) -> anyhow::Result<Vec<BString>> {
    let id = repo
        .rev_parse_single(rev)
        .with_context(|| format!("revision `{rev}` could not be resolved"))?;
    let tree = id
        .object()
        .with_context(|| format!("object {id} is missing"))?
        .peel_to_tree()
        .with_context(|| format!("`{rev}` does not name a commit or tree"))?;
    tree_listing(&tree).with_context(|| format!("failed to read the tree of `{rev}`"))
}
