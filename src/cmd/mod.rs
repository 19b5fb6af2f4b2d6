//! Subcommand implementations; each `run` returns the exit code.

pub mod check;
pub mod config;
