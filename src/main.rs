use std::process::ExitCode;

use clap::Parser;
use tightlip::cli::Command;

fn main() -> ExitCode {
    let cli = tightlip::cli::Cli::parse();
    let result = match &cli.command {
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
            tightlip::cmd::history::run(&cli.global, path, options, limits.max_size)
        }
        _ => Ok(0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
