use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tightlip::cli::Cli::parse();
    let _ = cli;
    ExitCode::from(0)
}
