//! Installation and removal of tightlip's git hooks.
//!
//! Hooks go into the directory git runs them from: `core.hooksPath` when
//! set (a relative value is relative to the worktree root, as git resolves
//! it), otherwise `hooks/` in the common git directory, which every linked
//! worktree shares. An existing hook that tightlip did not write is moved
//! to `<hook>.tightlip-orig`, and the installed hook runs it first, so it
//! keeps working. Uninstalling moves it back.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Text in every hook tightlip writes, used to recognize its own hooks.
const MARKER: &str = "tightlip-managed hook";

/// Suffix of an existing hook that was moved aside on install.
pub const ORIG_SUFFIX: &str = ".tightlip-orig";

/// The git hooks tightlip can install.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookKind {
    PreCommit,
    PrePush,
}

impl HookKind {
    pub const ALL: [HookKind; 2] = [HookKind::PreCommit, HookKind::PrePush];

    /// Returns the file name git looks for in the hooks directory.
    pub fn file_name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }

    /// Returns the script installed for this hook.
    fn script(self) -> String {
        let name = self.file_name();
        let (read_input, run_orig, run_tightlip) = match self {
            HookKind::PreCommit => (
                "",
                "    \"$orig\" \"$@\" || exit $?",
                "exec tightlip staged",
            ),
            // git writes the pushed refs to stdin once, so the hook keeps a
            // copy to give both the replaced hook and tightlip.
            HookKind::PrePush => (
                "input=$(cat)\n",
                "    printf '%s\\n' \"$input\" | \"$orig\" \"$@\" || exit $?",
                "printf '%s\\n' \"$input\" | tightlip pre-push \"$@\"",
            ),
        };
        format!(
            r#"#!/bin/sh
# {MARKER}: `tightlip hook uninstall` removes it and restores any
# {name} hook it replaced ({name}{ORIG_SUFFIX}).
{read_input}orig="$(dirname "$0")/{name}{ORIG_SUFFIX}"
if [ -x "$orig" ]; then
{run_orig}
fi
if ! command -v tightlip >/dev/null 2>&1; then
    echo "tightlip: command not found on PATH, so this {name} check cannot run." >&2
    echo "Install it from a checkout of tightlip with 'cargo install --locked --path <checkout>'." >&2
    exit 1
fi
{run_tightlip}
"#
        )
    }
}

/// Returns the directory git runs hooks from for `repo`.
pub fn hooks_dir(repo: &gix::Repository) -> anyhow::Result<PathBuf> {
    let configured = repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .context("invalid core.hooksPath in the git configuration")?;
    let Some(path) = configured else {
        return Ok(repo.common_dir().join("hooks"));
    };
    if path.is_absolute() {
        return Ok(path);
    }
    // git runs hooks from the worktree root, or from the git directory in a
    // bare repository, and resolves a relative hooks path from there.
    let base = repo.workdir().unwrap_or_else(|| repo.git_dir());
    Ok(base.join(path))
}

fn is_managed(path: &Path) -> io::Result<bool> {
    match fs::read(path) {
        Ok(content) => Ok(content
            .windows(MARKER.len())
            .any(|window| window == MARKER.as_bytes())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

fn orig_path(hook: &Path) -> PathBuf {
    let mut name = hook
        .file_name()
        .expect("hook path has a file name")
        .to_owned();
    name.push(ORIG_SUFFIX);
    hook.with_file_name(name)
}

/// Installs the hooks in `kinds` into `dir` and returns one message per
/// hook, for the user.
pub fn install(dir: &Path, kinds: &[HookKind]) -> anyhow::Result<Vec<String>> {
    // Check every hook before changing any, so a rejected install leaves
    // the hooks directory as it was.
    for kind in kinds {
        check_installable(dir, *kind)?;
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("failed to create the hooks directory {}", dir.display()))?;
    let mut messages = Vec::new();
    for kind in kinds {
        messages.push(install_one(dir, *kind)?);
    }
    Ok(messages)
}

/// Rejects an install that would have to move a foreign hook aside onto
/// another foreign hook.
fn check_installable(dir: &Path, kind: HookKind) -> anyhow::Result<()> {
    let hook = dir.join(kind.file_name());
    let orig = orig_path(&hook);
    let managed =
        is_managed(&hook).with_context(|| format!("failed to read {}", hook.display()))?;
    if !managed && fs::symlink_metadata(&hook).is_ok() && fs::symlink_metadata(&orig).is_ok() {
        bail!(
            "both {} and {} exist and neither was written by tightlip. \
             Merge them by hand or remove one, then run `tightlip hook install` again",
            hook.display(),
            orig.display()
        );
    }
    Ok(())
}

fn install_one(dir: &Path, kind: HookKind) -> anyhow::Result<String> {
    let hook = dir.join(kind.file_name());
    let orig = orig_path(&hook);
    let managed =
        is_managed(&hook).with_context(|| format!("failed to read {}", hook.display()))?;
    if managed {
        return Ok(format!(
            "{} hook already installed at {}",
            kind.file_name(),
            hook.display()
        ));
    }

    let mut message = format!("installed {} hook at {}", kind.file_name(), hook.display());
    if fs::symlink_metadata(&hook).is_ok() {
        fs::rename(&hook, &orig).with_context(|| {
            format!("failed to move the existing hook {} aside", hook.display())
        })?;
        message.push_str(&format!(
            " (the existing hook was moved to {} and still runs first)",
            orig.display()
        ));
    }

    write_executable(&hook, kind.script().as_bytes())
        .with_context(|| format!("failed to write {}", hook.display()))?;
    Ok(message)
}

fn write_executable(path: &Path, content: &[u8]) -> io::Result<()> {
    fs::write(path, content)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// Removes the hooks tightlip installed in `dir` and restores any hook
/// they replaced. Hooks that tightlip did not write are left alone.
pub fn uninstall(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut messages = Vec::new();
    for kind in HookKind::ALL {
        let hook = dir.join(kind.file_name());
        let orig = orig_path(&hook);
        let managed =
            is_managed(&hook).with_context(|| format!("failed to read {}", hook.display()))?;
        if !managed {
            if fs::symlink_metadata(&hook).is_ok() {
                messages.push(format!(
                    "{} was not installed by tightlip and was left unchanged",
                    hook.display()
                ));
            }
            continue;
        }
        fs::remove_file(&hook).with_context(|| format!("failed to remove {}", hook.display()))?;
        if fs::symlink_metadata(&orig).is_ok() {
            fs::rename(&orig, &hook).with_context(|| {
                format!("failed to restore {} to {}", orig.display(), hook.display())
            })?;
            messages.push(format!(
                "removed the tightlip {} hook and restored the previous one",
                kind.file_name()
            ));
        } else {
            messages.push(format!("removed the tightlip {} hook", kind.file_name()));
        }
    }
    if messages.is_empty() {
        messages.push(format!(
            "no tightlip hooks are installed in {}",
            dir.display()
        ));
    }
    Ok(messages)
}
