//! Subcommand implementations. Each `run` returns the exit code: 0 clean,
//! 1 findings, 2 could not run.

pub mod hook;
pub mod pre_push;
pub mod staged;
