use std::process::ExitCode;

use clap::Parser;

use tightlip::cli::{Cli, Command, RulesCommand};
use tightlip::cmd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tightlip::logger::init(cli.global.verbose);
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            if is_broken_pipe(&error) {
                // The reader (such as `head`) went away before the output
                // was complete. Commands that report findings map this to
                // their findings exit code themselves; anywhere else a
                // truncated output is a failure, never a pass.
                eprintln!("error: the output was closed before it was complete");
                return ExitCode::from(cmd::EXIT_ERROR);
            }
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(cmd::EXIT_ERROR)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    let global = &cli.global;
    match &cli.command {
        Command::Scan { path, limits } => cmd::scan::run(path, limits, global),
        Command::History {
            path,
            range,
            since_commit,
            git_ref,
            limits,
        } => {
            let options = tightlip::source::history::HistoryOptions {
                range: range.clone(),
                since_commit: since_commit.clone(),
                git_ref: git_ref.clone(),
                threads: None,
                decode_only: false,
            };
            cmd::history::run(global, path, options, limits)
        }
        Command::Config {
            dir, repo, commit, ..
        } if *repo => cmd::config_repo::run(dir, commit.as_deref(), global),
        Command::Config {
            dir,
            env_file,
            no_env,
            system_secrets_dir,
            ..
        } => cmd::config::run(
            global,
            &cmd::config::ConfigArgs {
                dir: dir.clone(),
                env_file: env_file.clone(),
                no_env: *no_env,
                system_secrets_dir: system_secrets_dir.clone(),
            },
        ),
        Command::Check { path, fix } => cmd::check::run(
            global,
            &cmd::check::CheckArgs {
                path: path.clone(),
                fix: *fix,
            },
        ),
        Command::Staged { path, limits } => cmd::staged::run(global, path, limits),
        Command::PrePush { remote, limits, .. } => {
            cmd::pre_push::run(global, remote.as_deref(), limits)
        }
        Command::Hook { command, repo } => cmd::hook::run(command, repo),
        Command::Rules { command } => match command {
            RulesCommand::List => cmd::rules::list(global),
            RulesCommand::Check => cmd::rules::check(),
        },
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
