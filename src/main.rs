use std::process::ExitCode;

use clap::Parser;
use tightlip::cli::{Cli, Command};
use tightlip::cmd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Config {
            dir,
            env_file,
            no_env,
            system_secrets_dir,
        } => cmd::config::run(
            &cli.global,
            &cmd::config::ConfigArgs {
                dir: dir.clone(),
                env_file: env_file.clone(),
                no_env: *no_env,
                system_secrets_dir: system_secrets_dir.clone(),
            },
        ),
        Command::Check { path, fix } => cmd::check::run(
            &cli.global,
            &cmd::check::CheckArgs {
                path: path.clone(),
                fix: *fix,
            },
        ),
        _ => Ok(0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("tightlip: {error:#}");
            ExitCode::from(2)
        }
    }
}
