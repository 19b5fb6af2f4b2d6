//! Helpers shared by the integration tests: temporary repositories built
//! with the real git CLI, and a runner for the tightlip binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory holding a git repository made by `git init`.
pub struct TempRepo {
    pub dir: tempfile::TempDir,
}

impl TempRepo {
    /// Creates an empty repository on branch `main` with a fixed identity.
    pub fn new() -> TempRepo {
        let dir = tempfile::tempdir().expect("create temp dir");
        let repo = TempRepo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test Author"]);
        repo.git(&["config", "user.email", "author@example.org"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository and returns its trimmed stdout; panics
    /// with git's stderr when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Writes `content` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&path, content).expect("write file");
        path
    }

    /// Stages everything and commits; returns the new commit id.
    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs the tightlip binary with `args` in the repository directory.
    pub fn tightlip(&self, args: &[&str]) -> Output {
        tightlip_in(self.path(), args)
    }
}

/// Runs git in `dir` with a fixed environment; panics when git fails.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs the tightlip binary with `args` in `dir`, without the caller's
/// DataJoint environment variables.
pub fn tightlip_in(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tightlip"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("DJ_") {
            command.env_remove(key);
        }
    }
    command.output().expect("run tightlip")
}

/// Parses stdout of a `--format json` run.
pub fn json_of(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stdout: {} stderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Runs the tightlip binary in `dir` with `stdin` as its input and extra
/// environment variables.
pub fn tightlip_with_input(
    dir: &Path,
    args: &[&str],
    stdin: &[u8],
    envs: &[(&str, &str)],
) -> Output {
    use std::io::Write;
    use std::process::Stdio;

    let mut command = Command::new(env!("CARGO_BIN_EXE_tightlip"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run tightlip");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("write tightlip stdin");
    child.wait_with_output().expect("wait for tightlip")
}

/// A PATH value with the built tightlip binary's directory first, for git
/// processes that run installed hooks.
pub fn path_with_tightlip() -> std::ffi::OsString {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_tightlip"))
        .parent()
        .expect("binary has a parent directory")
        .to_path_buf();
    let mut dirs = vec![bin_dir];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("join PATH")
}

/// Runs git in `dir` with `path` as PATH and returns its output without
/// checking the exit status, for commands whose hooks may fail.
pub fn git_output_with_path(dir: &Path, args: &[&str], path: &std::ffi::OsStr) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .output()
        .expect("run git")
}

/// Returns the paths of every location of every finding in a JSON report,
/// sorted.
pub fn json_finding_paths(report: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .flat_map(|f| f["locations"].as_array().expect("locations").clone())
        .map(|l| l["path"].as_str().expect("path").to_string())
        .collect();
    paths.sort();
    paths
}
