use std::process::ExitCode;

use clap::Parser;
use tightlip::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Staged { path, limits } => tightlip::cmd::staged::run(&cli.global, path, limits),
        Command::PrePush { remote, limits, .. } => {
            tightlip::cmd::pre_push::run(&cli.global, remote.as_deref(), limits)
        }
        Command::Hook { command, repo } => tightlip::cmd::hook::run(command, repo),
        _ => Ok(0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("tightlip: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
