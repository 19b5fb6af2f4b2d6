//! `tightlip hook install|uninstall`, the scripts in hooks/, and real git
//! commits and pushes that run the installed hooks.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{TempRepo, git_in, git_output_with_path, path_with_tightlip, tightlip_in};

const PAT: &str = "ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa";

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Returns stdout and stderr together. git sends a hook's stdout to its own
/// stderr, so the blocking message of a real commit or push appears there.
fn all_output(output: &std::process::Output) -> String {
    format!("{}{}", stdout_of(output), stderr_of(output))
}

/// Returns the hooks directory git itself would use in `dir`.
fn git_hooks_dir(dir: &Path) -> PathBuf {
    let path = PathBuf::from(git_in(dir, &["rev-parse", "--git-path", "hooks"]));
    if path.is_absolute() {
        path
    } else {
        dir.join(path)
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A directory to use as PATH that contains git and the tools the hook
/// scripts use, but not tightlip.
fn dir_without_tightlip() -> tempfile::TempDir {
    let git = PathBuf::from(
        String::from_utf8(
            std::process::Command::new("sh")
                .args(["-c", "command -v git"])
                .output()
                .expect("run sh")
                .stdout,
        )
        .unwrap()
        .trim(),
    );
    let temp = tempfile::tempdir().expect("create temp dir");
    let dir = temp.path();
    std::os::unix::fs::symlink(&git, dir.join("git")).unwrap();
    for tool in ["sh", "cat", "dirname", "printf"] {
        for bin in ["/bin", "/usr/bin"] {
            let source = Path::new(bin).join(tool);
            if source.exists() && !dir.join(tool).exists() {
                std::os::unix::fs::symlink(&source, dir.join(tool)).unwrap();
            }
        }
    }
    temp
}

#[test]
fn hook_install_both_and_idempotent() {
    let repo = TempRepo::new();
    let output = repo.tightlip(&["hook", "install"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let hooks = git_hooks_dir(repo.path());
    assert!(is_executable(&hooks.join("pre-commit")));
    assert!(is_executable(&hooks.join("pre-push")));
    let first = fs::read(hooks.join("pre-commit")).unwrap();

    let output = repo.tightlip(&["hook", "install"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = stdout_of(&output);
    assert!(
        stdout.contains("pre-commit hook already installed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pre-push hook already installed"),
        "{stdout}"
    );
    assert_eq!(fs::read(hooks.join("pre-commit")).unwrap(), first);
    assert!(!hooks.join("pre-commit.tightlip-orig").exists());
}

#[test]
fn hook_install_only_pre_push() {
    let repo = TempRepo::new();
    let output = repo.tightlip(&["hook", "install", "--pre-push"]);
    assert_eq!(output.status.code(), Some(0));
    let hooks = git_hooks_dir(repo.path());
    assert!(hooks.join("pre-push").exists());
    assert!(!hooks.join("pre-commit").exists());
}

#[test]
fn hook_install_beside_existing_and_uninstall() {
    let repo = TempRepo::new();
    let hooks = git_hooks_dir(repo.path());
    fs::create_dir_all(&hooks).unwrap();
    let existing = "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/existing-ran\"\n";
    fs::write(hooks.join("pre-commit"), existing).unwrap();
    std::process::Command::new("chmod")
        .args(["+x", hooks.join("pre-commit").to_str().unwrap()])
        .status()
        .unwrap();

    let output = repo.tightlip(&["hook", "install", "--pre-commit"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stdout_of(&output).contains("moved to"),
        "{}",
        stdout_of(&output)
    );
    assert_eq!(
        fs::read_to_string(hooks.join("pre-commit.tightlip-orig")).unwrap(),
        existing
    );

    // A clean commit runs both the previous hook and tightlip.
    let path = path_with_tightlip();
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let commit = git_output_with_path(repo.path(), &["commit", "-q", "-m", "clean"], &path);
    assert!(commit.status.success(), "{}", stderr_of(&commit));
    assert!(repo.path().join(".git/existing-ran").exists());

    let output = repo.tightlip(&["hook", "uninstall"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        existing
    );
    assert!(!hooks.join("pre-commit.tightlip-orig").exists());
}

#[test]
fn hook_existing_hook_failure_still_blocks() {
    let repo = TempRepo::new();
    let hooks = git_hooks_dir(repo.path());
    fs::create_dir_all(&hooks).unwrap();
    fs::write(
        hooks.join("pre-commit"),
        "#!/bin/sh\necho 'lint failed' >&2\nexit 3\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", hooks.join("pre-commit").to_str().unwrap()])
        .status()
        .unwrap();
    repo.tightlip(&["hook", "install", "--pre-commit"]);

    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let commit = git_output_with_path(
        repo.path(),
        &["commit", "-q", "-m", "x"],
        &path_with_tightlip(),
    );
    assert!(!commit.status.success());
    assert!(stderr_of(&commit).contains("lint failed"));
}

#[test]
fn hook_install_refuses_two_foreign_hooks() {
    let repo = TempRepo::new();
    let hooks = git_hooks_dir(repo.path());
    fs::create_dir_all(&hooks).unwrap();
    fs::write(hooks.join("pre-push"), "#!/bin/sh\nexit 0\n").unwrap();
    fs::write(hooks.join("pre-push.tightlip-orig"), "#!/bin/sh\nexit 0\n").unwrap();

    let output = repo.tightlip(&["hook", "install"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("neither was written by tightlip"));
    assert_eq!(
        fs::read_to_string(hooks.join("pre-push")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    // The pre-commit hook, which on its own could be installed, was not.
    assert!(!hooks.join("pre-commit").exists());
}

#[test]
fn hook_uninstall_leaves_foreign_hook() {
    let repo = TempRepo::new();
    let hooks = git_hooks_dir(repo.path());
    fs::create_dir_all(&hooks).unwrap();
    fs::write(hooks.join("pre-push"), "#!/bin/sh\nexit 0\n").unwrap();

    let output = repo.tightlip(&["hook", "uninstall"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout_of(&output).contains("left unchanged"));
    assert!(hooks.join("pre-push").exists());
}

#[test]
fn hook_core_hooks_path_relative() {
    let repo = TempRepo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    fs::create_dir_all(repo.path().join("sub")).unwrap();

    let output = tightlip_in(&repo.path().join("sub"), &["hook", "install"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(repo.path().join(".githooks/pre-commit").exists());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());

    // git runs it from there.
    repo.write("leak.py", format!("token = \"{PAT}\"\n"));
    repo.git(&["add", "leak.py"]);
    let commit = git_output_with_path(
        repo.path(),
        &["commit", "-q", "-m", "x"],
        &path_with_tightlip(),
    );
    assert!(!commit.status.success(), "the commit was not blocked");
}

#[test]
fn hook_core_hooks_path_absolute() {
    let repo = TempRepo::new();
    let shared = tempfile::tempdir().expect("create temp dir");
    let hooks = shared.path().join("team-hooks");
    repo.git(&["config", "core.hooksPath", hooks.to_str().unwrap()]);

    let output = repo.tightlip(&["hook", "install"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(hooks.join("pre-commit").exists());
    assert_eq!(git_hooks_dir(repo.path()), hooks);
}

#[test]
fn hook_linked_worktree_uses_common_dir() {
    let repo = TempRepo::new();
    repo.write("a.txt", "a\n");
    repo.commit_all("init");
    let linked = tempfile::tempdir().expect("create temp dir");
    let linked_path = linked.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "side",
        linked_path.to_str().unwrap(),
    ]);

    let output = tightlip_in(&linked_path, &["hook", "install"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(repo.path().join(".git/hooks/pre-commit").exists());
    assert_eq!(
        fs::canonicalize(git_hooks_dir(&linked_path)).unwrap(),
        fs::canonicalize(repo.path().join(".git/hooks")).unwrap()
    );

    // A commit in the linked worktree runs the hook on that worktree's index.
    fs::write(linked_path.join("leak.py"), format!("token = \"{PAT}\"\n")).unwrap();
    git_in(&linked_path, &["add", "leak.py"]);
    let commit = git_output_with_path(
        &linked_path,
        &["commit", "-q", "-m", "x"],
        &path_with_tightlip(),
    );
    assert!(!commit.status.success(), "the commit was not blocked");
    assert!(
        all_output(&commit).contains("leak.py:1"),
        "{}",
        all_output(&commit)
    );
}

#[test]
fn hook_blocks_real_commit() {
    let repo = TempRepo::new();
    repo.tightlip(&["hook", "install"]);
    let path = path_with_tightlip();

    repo.write("settings.py", format!("x = 1\ntoken = \"{PAT}\"\n"));
    repo.git(&["add", "settings.py"]);
    let commit = git_output_with_path(repo.path(), &["commit", "-q", "-m", "leak"], &path);
    assert!(!commit.status.success(), "the commit was not blocked");
    let stdout = all_output(&commit);
    assert!(stdout.contains("settings.py:2"), "{stdout}");
    assert!(!stdout.contains(PAT));
    let head = git_output_with_path(repo.path(), &["rev-parse", "--verify", "-q", "HEAD"], &path);
    assert!(!head.status.success(), "a commit was created");

    // Before the first commit there is no HEAD to restore from.
    assert!(
        stdout.contains("git rm --cached -q -- settings.py"),
        "{stdout}"
    );
    repo.git(&["rm", "--cached", "-q", "--", "settings.py"]);
    repo.write("clean.py", "x = 1\n");
    repo.git(&["add", "clean.py"]);
    let commit = git_output_with_path(repo.path(), &["commit", "-q", "-m", "clean"], &path);
    assert!(commit.status.success(), "{}", stderr_of(&commit));
}

#[test]
fn hook_blocks_real_push() {
    let repo = TempRepo::new();
    let remote = tempfile::tempdir().expect("create temp dir");
    git_in(
        remote.path(),
        &["init", "-q", "--bare", "-b", "main", "r.git"],
    );
    let url = remote.path().join("r.git");
    repo.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    repo.write("a.txt", "a\n");
    repo.commit_all("init");
    repo.tightlip(&["hook", "install", "--pre-push"]);
    let path = path_with_tightlip();

    let push = git_output_with_path(repo.path(), &["push", "-q", "origin", "main"], &path);
    assert!(push.status.success(), "{}", stderr_of(&push));

    repo.write("deploy.cfg", format!("token = \"{PAT}\"\n"));
    repo.commit_all("leak");
    let push = git_output_with_path(repo.path(), &["push", "-q", "origin", "main"], &path);
    assert!(!push.status.success(), "the push was not blocked");
    assert!(
        all_output(&push).contains("deploy.cfg:1"),
        "{}",
        all_output(&push)
    );
    let remote_head = git_in(&url, &["rev-parse", "main"]);
    assert_ne!(remote_head, repo.git(&["rev-parse", "HEAD"]));
}

#[test]
fn hook_missing_binary_explains() {
    let repo = TempRepo::new();
    repo.tightlip(&["hook", "install"]);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);

    let bin = dir_without_tightlip();
    let commit = git_output_with_path(
        repo.path(),
        &["commit", "-q", "-m", "x"],
        bin.path().as_os_str(),
    );
    assert!(!commit.status.success(), "the commit ran without tightlip");
    let stderr = stderr_of(&commit);
    assert!(stderr.contains("command not found"), "{stderr}");
    assert!(stderr.contains("cargo install"), "{stderr}");
}

#[test]
fn hook_scripts_missing_binary_explain() {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks");
    let bin = dir_without_tightlip();
    for name in ["pre-commit", "pre-push"] {
        let output = std::process::Command::new("/bin/sh")
            .arg(scripts.join(name))
            .env("PATH", bin.path())
            .output()
            .expect("run hook script");
        assert_eq!(output.status.code(), Some(1), "{name}");
        let stderr = stderr_of(&output);
        assert!(stderr.contains("cargo install"), "{name}: {stderr}");
    }
}

#[test]
fn hook_scripts_run_binary() {
    let repo = TempRepo::new();
    repo.write("leak.py", format!("token = \"{PAT}\"\n"));
    repo.git(&["add", "leak.py"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-commit");
    let output = std::process::Command::new("/bin/sh")
        .arg(script)
        .current_dir(repo.path())
        .env("PATH", path_with_tightlip())
        .output()
        .expect("run hook script");
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout_of(&output).contains("leak.py:1"));
}

#[test]
fn hook_blocks_commit_all_and_paths() {
    let repo = TempRepo::new();
    repo.write("a.py", "x = 1\n");
    repo.write("b.py", "y = 1\n");
    repo.commit_all("init");
    repo.tightlip(&["hook", "install", "--pre-commit"]);
    let path = path_with_tightlip();

    // `git commit -a` and `git commit PATH` build a temporary index and
    // pass it to the hook in GIT_INDEX_FILE; the key is not in .git/index.
    repo.write("a.py", format!("x = 1\ntoken = \"{PAT}\"\n"));
    let commit = git_output_with_path(repo.path(), &["commit", "-q", "-a", "-m", "all"], &path);
    assert!(!commit.status.success(), "git commit -a was not blocked");
    assert!(
        all_output(&commit).contains("a.py:2"),
        "{}",
        all_output(&commit)
    );

    let commit = git_output_with_path(repo.path(), &["commit", "-q", "-m", "path", "a.py"], &path);
    assert!(!commit.status.success(), "git commit PATH was not blocked");
    assert!(
        all_output(&commit).contains("a.py:2"),
        "{}",
        all_output(&commit)
    );

    // Committing only the clean file passes although a.py has the key.
    repo.write("b.py", "y = 2\n");
    let commit = git_output_with_path(repo.path(), &["commit", "-q", "-m", "clean", "b.py"], &path);
    assert!(commit.status.success(), "{}", all_output(&commit));
}

#[test]
fn hook_pre_push_chain_gets_stdin() {
    let repo = TempRepo::new();
    let remote = tempfile::tempdir().expect("create temp dir");
    git_in(
        remote.path(),
        &["init", "-q", "--bare", "-b", "main", "r.git"],
    );
    let url = remote.path().join("r.git");
    repo.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    repo.write("a.txt", "a\n");
    let head = repo.commit_all("init");

    let hooks = git_hooks_dir(repo.path());
    fs::create_dir_all(&hooks).unwrap();
    let existing = "#!/bin/sh\ncat > \"$(git rev-parse --git-dir)/existing-stdin\"\n";
    fs::write(hooks.join("pre-push"), existing).unwrap();
    std::process::Command::new("chmod")
        .args(["+x", hooks.join("pre-push").to_str().unwrap()])
        .status()
        .unwrap();
    let output = repo.tightlip(&["hook", "install", "--pre-push"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));

    let path = path_with_tightlip();
    let push = git_output_with_path(repo.path(), &["push", "-q", "origin", "main"], &path);
    assert!(push.status.success(), "{}", all_output(&push));
    let seen = fs::read_to_string(repo.path().join(".git/existing-stdin")).unwrap();
    assert!(
        seen.starts_with(&format!("refs/heads/main {head} refs/heads/main ")),
        "{seen}"
    );

    repo.write("deploy.cfg", format!("token = \"{PAT}\"\n"));
    repo.commit_all("leak");
    let push = git_output_with_path(repo.path(), &["push", "-q", "origin", "main"], &path);
    assert!(!push.status.success(), "the push was not blocked");
    assert!(
        all_output(&push).contains("deploy.cfg:1"),
        "{}",
        all_output(&push)
    );
}

#[test]
fn hook_install_bare_repository() {
    let dir = tempfile::tempdir().expect("create temp dir");
    git_in(dir.path(), &["init", "-q", "--bare", "r.git"]);
    let bare = dir.path().join("r.git");

    let output = tightlip_in(&bare, &["hook", "install", "--pre-push"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(bare.join("hooks/pre-push").exists());
    assert_eq!(
        fs::canonicalize(git_hooks_dir(&bare)).unwrap(),
        fs::canonicalize(bare.join("hooks")).unwrap()
    );
}

#[test]
fn hook_shipped_pre_push_blocks_push() {
    let repo = TempRepo::new();
    let remote = tempfile::tempdir().expect("create temp dir");
    git_in(
        remote.path(),
        &["init", "-q", "--bare", "-b", "main", "r.git"],
    );
    let url = remote.path().join("r.git");
    repo.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    repo.write("deploy.cfg", format!("token = \"{PAT}\"\n"));
    repo.commit_all("leak");

    let hooks = git_hooks_dir(repo.path());
    fs::create_dir_all(&hooks).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-push");
    fs::copy(&shipped, hooks.join("pre-push")).unwrap();
    assert!(is_executable(&hooks.join("pre-push")));

    let push = git_output_with_path(
        repo.path(),
        &["push", "-q", "origin", "main"],
        &path_with_tightlip(),
    );
    assert!(!push.status.success(), "the push was not blocked");
    assert!(
        all_output(&push).contains("deploy.cfg:1"),
        "{}",
        all_output(&push)
    );
}
