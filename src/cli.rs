//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find credentials in git repositories before they leak.
///
/// Exit status: 0 when nothing was found, 1 when findings were reported,
/// 2 when the scan could not run.
#[derive(Debug, Parser)]
#[command(name = "tightlip", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to color human output. With `auto`, a non-empty NO_COLOR or
    /// TERM=dumb turns color off, and so does output that is not a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print secret values in clear. Without it, output shows only a
    /// redacted preview.
    #[arg(long, global = true)]
    pub show_secrets: bool,
    /// Print only findings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log decisions (skipped paths, loaded rules, timings) to stderr;
    /// repeat for more detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanLimits {
    /// Skip files and blobs larger than this many bytes (they are listed
    /// as skipped).
    #[arg(long, value_name = "BYTES", default_value_t = crate::detect::DEFAULT_MAX_SIZE)]
    pub max_size: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan the working tree for secrets.
    ///
    /// Scans every file git would commit, plus tracked files that a
    /// .gitignore now matches. Works on plain directories too.
    Scan {
        /// File or directory to scan.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        limits: ScanLimits,
    },
    /// Scan every commit reachable from any ref for secrets.
    ///
    /// Each blob is read once and scanned once per path it was
    /// introduced at; each finding names the commit that introduced it.
    History {
        /// Repository to scan.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Scan only commits in this revision range, such as `A..B`.
        #[arg(long, value_name = "RANGE", conflicts_with_all = ["since_commit", "git_ref"])]
        range: Option<String>,
        /// Scan only commits after this one (exclusive), from every ref.
        #[arg(long, value_name = "COMMIT")]
        since_commit: Option<String>,
        /// Scan only commits reachable from this ref.
        #[arg(long = "ref", value_name = "REF")]
        git_ref: Option<String>,
        #[command(flatten)]
        limits: ScanLimits,
    },
    /// Show where DataJoint would read its configuration from.
    ///
    /// Shows the configuration DataJoint 2.3.5 would resolve when started
    /// in DIR: each database.* and stores.* value with its source, the
    /// files it reads and whether git tracks them, look-alike files it
    /// ignores, and the error an import would raise. Exit status 1 when
    /// the import would fail or a secrets file it reads is tracked.
    Config {
        /// Directory DataJoint would be started in.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Read environment variables from FILE (KEY=VALUE lines) on top of
        /// the current environment.
        #[arg(long, value_name = "FILE")]
        env_file: Option<PathBuf>,
        /// Resolve without the current environment (an --env-file still
        /// applies).
        #[arg(long)]
        no_env: bool,
        /// Use DIR in place of /run/secrets/datajoint, DataJoint's fallback
        /// secrets directory.
        #[arg(long, value_name = "DIR")]
        system_secrets_dir: Option<PathBuf>,
        /// List every directory of the repository in which DataJoint would
        /// resolve a different datajoint.json, with the files it would read
        /// there and whether git tracks them.
        #[arg(long, conflicts_with_all = ["env_file", "no_env", "system_secrets_dir"])]
        repo: bool,
        /// With --repo: inspect the tree of this commit instead of the
        /// working tree.
        #[arg(long, value_name = "REV", requires = "repo")]
        commit: Option<String>,
    },
    /// Check that .secrets/ directories are git-ignored and private.
    ///
    /// Checks credential hygiene: every .secrets/ directory is ignored by a
    /// tracked .gitignore, contains no tracked file and is private (0700, files
    /// 0600, owned by you); .env, Terraform state and key files are ignored.
    /// Exit status 1 when problems remain.
    Check {
        /// Directory inside the working tree to check.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Tighten modes and append `.secrets/` to the top-level .gitignore,
        /// printing each change. Never deletes or untracks a file.
        #[arg(long)]
        fix: bool,
    },
    /// Scan what is staged for the next commit (pre-commit hook).
    ///
    /// Scans the lines the next commit adds to each
    /// added, modified or renamed file, read from the index. Used by the
    /// pre-commit hook.
    Staged {
        /// Any directory inside the repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        limits: ScanLimits,
    },
    /// Scan the commits a push adds (pre-push hook).
    ///
    /// Git passes the remote name and URL as arguments and the pushed refs
    /// on stdin.
    /// Without arguments, reads the PRE_COMMIT_* variables that the
    /// pre-commit framework sets.
    PrePush {
        /// Name of the remote being pushed to (or its URL when it has no
        /// name).
        remote: Option<String>,
        /// URL of the remote; accepted as git passes it, not used.
        url: Option<String>,
        #[command(flatten)]
        limits: ScanLimits,
    },
    /// Install or remove tightlip's git hooks.
    Hook {
        #[command(subcommand)]
        command: HookCommand,
        /// Any directory inside the repository.
        #[arg(long, global = true, default_value = ".")]
        repo: PathBuf,
    },
    /// Manage the built-in rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print every rule with its id, severity and description.
    List,
    /// Check the built-in rules: unique ids, a secret capture group,
    /// examples that match and negative examples that do not.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the pre-commit and pre-push hooks (both unless one is
    /// chosen). An existing hook is kept and runs first.
    Install {
        /// Install only the pre-commit hook (and the pre-push hook if
        /// --pre-push is given too).
        #[arg(long)]
        pre_commit: bool,
        /// Install only the pre-push hook (and the pre-commit hook if
        /// --pre-commit is given too).
        #[arg(long)]
        pre_push: bool,
    },
    /// Remove tightlip's hooks and restore the hooks they replaced.
    Uninstall,
}
