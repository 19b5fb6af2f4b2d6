//! `tightlip check` on real git repositories, with ignore decisions
//! compared against `git check-ignore`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{TempRepo, json_of};
use tightlip::hygiene::{IgnoreState, Worktree};

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Asks git whether it ignores `rel`, by patterns alone and without global
/// or system configuration.
fn git_ignores(root: &Path, rel: &str) -> bool {
    let status = Command::new("git")
        .args(["check-ignore", "--no-index", "-q", rel])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    match status.code() {
        Some(0) => true,
        Some(1) => false,
        other => panic!("git check-ignore {rel} failed: {other:?}"),
    }
}

fn kinds(output: &std::process::Output) -> Vec<(String, String)> {
    let report = json_of(output);
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Creates a repository with a DataJoint config and a `.secrets` that the
/// committed .gitignore misses because of a typo.
fn leaky_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", "*.pyc\n.secret/\n");
    repo.write("datajoint.json", "{\"database\": {\"host\": \"db\"}}\n");
    repo.commit_all("init");
    repo.write(".secrets/database.password", "pw\n");
    set_mode(&repo.path().join(".secrets"), 0o755);
    set_mode(&repo.path().join(".secrets/database.password"), 0o644);
    repo
}

#[test]
fn check_ignore_matches_git() {
    let repo = TempRepo::new();
    repo.write(
        ".gitignore",
        "/build\n*.log\n!keep.log\nsecrets/\ndocs/**/*.tmp\n.env\nout/\n!out/file\n\\!bang\n**/cache/\na/**/b.txt\n*.txt\n!/important.txt\ntrailing.txt   \n",
    );
    repo.write("sub/.gitignore", "!.env\nlocal/\n/anchored.txt\n");
    repo.write("deep/x/.gitignore", "*.key\n!pub.key\n");
    repo.commit_all("ignore rules");
    let files = [
        "build/a.txt",
        "sub/build/a.txt",
        "a.log",
        "keep.log",
        "sub/keep.log",
        "secrets/x",
        "sub/secrets/x",
        "docs/a/b/c.tmp",
        "docs/c.tmp",
        "other/docs/c.tmp",
        ".env",
        "sub/.env",
        "sub/deeper/.env",
        "out/file",
        "out/other",
        "sub/local/x",
        "local/x",
        "sub/anchored.txt",
        "sub/inner/anchored.txt",
        "anchored.txt",
        "deep/x/a.key",
        "deep/x/pub.key",
        "deep/x/y/a.key",
        "deep/a.key",
        "plain.txt",
        "!bang",
        "sub/cache/x",
        "cache/y",
        "a/b.txt",
        "a/x/y/b.txt",
        "important.txt",
        "sub/important.txt",
        "trailing.txt",
        "plain.md",
    ];
    for file in files {
        repo.write(file, "x\n");
    }
    let tree = Worktree::open(repo.path()).unwrap();
    let dirs = [
        "build",
        "secrets",
        "sub/secrets",
        "out",
        "sub/local",
        "local",
        "docs",
    ];
    let mut compared = 0;
    for (path, is_dir) in files
        .iter()
        .map(|f| (*f, false))
        .chain(dirs.iter().map(|d| (*d, true)))
    {
        let ours = tree.ignore_state(Path::new(path), is_dir) == IgnoreState::IgnoredByRepository;
        assert_eq!(
            ours,
            git_ignores(repo.path(), path),
            "ignore decision for {path}"
        );
        compared += 1;
    }
    assert_eq!(compared, files.len() + dirs.len());
}

#[test]
fn check_reports_leaky_secrets() {
    let repo = leaky_repo();
    let output = repo.tightlip(&["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let found = kinds(&output);
    let expect = |kind: &str, path: &str| (kind.to_string(), path.to_string());
    assert!(
        found.contains(&expect("secrets-dir-not-ignored", ".secrets")),
        "{found:?}"
    );
    assert!(
        found.contains(&expect("secrets-dir-mode", ".secrets")),
        "{found:?}"
    );
    assert!(
        found.contains(&expect("secrets-file-mode", ".secrets/database.password")),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn check_fix_repairs_and_rechecks() {
    let repo = leaky_repo();
    let output = repo.tightlip(&["check", "--fix"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("appended `.secrets/`"), "{stdout}");
    assert!(stdout.contains("mode 0755 -> 0700"), "{stdout}");
    assert_eq!(mode_of(&repo.path().join(".secrets")), 0o700);
    assert_eq!(
        mode_of(&repo.path().join(".secrets/database.password")),
        0o600
    );
    let gitignore = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(
        gitignore.ends_with(".secret/\n.secrets/\n"),
        "{gitignore:?}"
    );
    assert!(git_ignores(repo.path(), ".secrets/database.password"));
    assert!(repo.path().join(".secrets/database.password").exists());

    let again = repo.tightlip(&["check"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("clean"));
}

#[test]
fn check_fix_never_untracks() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/stores.main.token", "tok\n");
    repo.commit_all("commit a secret");
    set_mode(&repo.path().join(".secrets"), 0o700);
    set_mode(&repo.path().join(".secrets/stores.main.token"), 0o600);

    let output = repo.tightlip(&["check", "--fix"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("git rm --cached -- '.secrets/stores.main.token'"),
        "{stdout}"
    );
    assert_eq!(
        repo.git(&["ls-files", ".secrets"]),
        ".secrets/stores.main.token"
    );
    assert!(repo.path().join(".secrets/stores.main.token").exists());
}

#[test]
fn check_local_exclude_is_weaker() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.commit_all("init");
    repo.write(".secrets/database.password", "pw\n");
    set_mode(&repo.path().join(".secrets"), 0o700);
    set_mode(&repo.path().join(".secrets/database.password"), 0o600);
    let exclude = repo.path().join(".git/info/exclude");
    std::fs::create_dir_all(exclude.parent().unwrap()).unwrap();
    std::fs::write(&exclude, ".secrets/\n").unwrap();

    let output = repo.tightlip(&["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        kinds(&output),
        vec![(
            "secrets-dir-ignored-locally".to_string(),
            ".secrets".to_string()
        )]
    );
}

#[test]
fn check_accepts_datajoint_template_gitignore() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/.gitignore", "*\n!.gitignore\n");
    repo.write(".secrets/database.password", "pw\n");
    repo.commit_all("template");
    assert_eq!(repo.git(&["ls-files", ".secrets"]), ".secrets/.gitignore");
    set_mode(&repo.path().join(".secrets"), 0o700);
    set_mode(&repo.path().join(".secrets/database.password"), 0o600);

    let output = repo.tightlip(&["check", "--format", "json"]);
    assert_eq!(kinds(&output), Vec::<(String, String)>::new());
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn check_sensitive_files() {
    let repo = TempRepo::new();
    repo.write(".gitignore", "*.pem\n");
    repo.write(".env.example", "DJ_PASS=\n");
    repo.write("deploy/.env", "DJ_PASS=x\n");
    repo.commit_all("init");
    repo.write("infra/prod.tfstate", "{}\n");
    repo.write("keys/id_ed25519", "key\n");
    repo.write("keys/server.pem", "pem\n");

    let output = repo.tightlip(&["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let found = kinds(&output);
    let expected: Vec<(String, String)> = [
        ("sensitive-file-tracked", "deploy/.env"),
        ("sensitive-file-not-ignored", "infra/prod.tfstate"),
        ("sensitive-file-not-ignored", "keys/id_ed25519"),
    ]
    .iter()
    .map(|(k, p)| (k.to_string(), p.to_string()))
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn check_missing_path_fails() {
    let repo = TempRepo::new();
    let output = repo.tightlip(&["check", "no-such-dir"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-dir does not exist"), "{stderr}");
}

#[test]
fn check_follows_symlinked_secrets() {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".secrets\n");
    repo.write("datajoint.json", "{}\n");
    repo.commit_all("init");
    let target = tempfile::tempdir().unwrap();
    let secret = target.path().join("database.password");
    std::fs::write(&secret, "pw\n").unwrap();
    set_mode(target.path(), 0o755);
    set_mode(&secret, 0o644);
    std::os::unix::fs::symlink(target.path(), repo.path().join(".secrets")).unwrap();

    let output = repo.tightlip(&["check", "--format", "json"]);
    let found = kinds(&output);
    let expect = |kind: &str, path: &str| (kind.to_string(), path.to_string());
    assert!(
        found.contains(&expect("secrets-dir-mode", ".secrets")),
        "{found:?}"
    );
    assert!(
        found.contains(&expect("secrets-file-mode", ".secrets/database.password")),
        "{found:?}"
    );
    assert_eq!(output.status.code(), Some(1));
}
