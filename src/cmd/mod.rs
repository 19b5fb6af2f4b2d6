//! One module per subcommand. Each `run` returns the process exit code:
//! 0 nothing found, 1 findings, 2 the command could not run.

pub mod check;
pub mod config;
pub mod config_repo;
pub mod history;
pub mod hook;
pub mod pre_push;
pub mod rules;
pub mod scan;
pub mod staged;

use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, GlobalArgs};
use crate::finding::Report;
use crate::report::{self, WriteOptions};

/// Exit code when nothing was found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code when findings were reported.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code when the command could not run.
pub const EXIT_ERROR: u8 = 2;

/// Decides whether human output gets ANSI colors: `--color always|never` wins,
/// then `NO_COLOR` (any non-empty value) or `TERM=dumb` turn colors off,
/// then colors go on only when stdout is a terminal.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|v| v == "dumb");
            !no_color && !dumb && std::io::stdout().is_terminal()
        }
    }
}

/// Removes findings listed in the root's `.tightlipignore`, writes the
/// rest to stdout in the global format, and returns the exit code.
pub fn emit(report: &Report, global: &GlobalArgs) -> anyhow::Result<u8> {
    emit_with(report, global, false)
}

/// Like [`emit`]; with `warn_unused_ignores`, entries of `.tightlipignore`
/// that matched nothing become warnings. Only a scan of all of history can
/// tell that an entry is stale, so only that scan sets it.
pub fn emit_with(
    report: &Report,
    global: &GlobalArgs,
    warn_unused_ignores: bool,
) -> anyhow::Result<u8> {
    let options = WriteOptions {
        format: global.format,
        show_secrets: global.show_secrets,
        color: use_color(global.color),
        quiet: global.quiet,
    };
    let mut report = report.clone();
    if let Some(root) = &report.root {
        let ignore = crate::ignore_file::IgnoreList::load(root)?;
        let applied = ignore.apply(&mut report);
        report.stats.ignored += applied.removed as u64;
        if warn_unused_ignores {
            for line in applied.unused_lines {
                report.warnings.push(format!(
                    "{}:{line}: matches no finding in any commit; delete the entry if the \
                     secret is gone",
                    ignore.file().display()
                ));
            }
        }
    }
    let report = &report;
    let code = if report.findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = report::write(report, &options, &mut out).and_then(|()| out.flush());
    exit_code_after_write(written, code)
}

/// Returns `code` when the report was written, and also when the reader
/// closed the pipe early (as `git commit 2>&1 | head -1` does to a hook):
/// a closed pipe must never turn findings into a passing exit status.
/// Other write errors are returned.
pub fn exit_code_after_write(written: std::io::Result<()>, code: u8) -> anyhow::Result<u8> {
    match written {
        Ok(()) => Ok(code),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(error) => Err(anyhow::Error::new(error).context("failed to write the report")),
    }
}
