//! Subcommand implementations; each `run` returns the process exit code.

pub mod history;
