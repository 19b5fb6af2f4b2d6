//! `tightlip hook install` and `tightlip hook uninstall`.

use std::path::Path;

use anyhow::Context;

use crate::cli::HookCommand;
use crate::hook::{self, HookKind};

/// Installs or removes the hooks in the repository containing `path`.
pub fn run(command: &HookCommand, path: &Path) -> anyhow::Result<u8> {
    let repo = gix::discover(path)
        .with_context(|| format!("{} is not inside a git repository", path.display()))?;
    let dir = hook::hooks_dir(&repo)?;
    let messages = match command {
        HookCommand::Install {
            pre_commit,
            pre_push,
        } => {
            let kinds: Vec<HookKind> = match (pre_commit, pre_push) {
                (true, false) => vec![HookKind::PreCommit],
                (false, true) => vec![HookKind::PrePush],
                _ => HookKind::ALL.to_vec(),
            };
            hook::install(&dir, &kinds)?
        }
        HookCommand::Uninstall => hook::uninstall(&dir)?,
    };
    for message in messages {
        println!("{message}");
    }
    Ok(0)
}
