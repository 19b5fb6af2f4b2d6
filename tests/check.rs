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

/// Asks git in one call which of `paths` it ignores, as `git_ignores` does.
fn git_ignored_set(root: &Path, paths: &[&str]) -> std::collections::HashSet<String> {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(["check-ignore", "--no-index", "--stdin"])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = paths.join("\n") + "\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "git check-ignore --stdin failed: {:?}",
        output.status
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
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
        found.contains(&expect("secrets-dir-not-ignored", ".gitignore")),
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
    let report = json_of(&output);
    let ignore = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "secrets-dir-not-ignored")
        .unwrap();
    assert_eq!(ignore["dir"], ".secrets");
    let mode = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "secrets-dir-mode")
        .unwrap();
    assert_eq!(mode["mode"], "0755");
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
        stdout.contains("git rm --cached -- .secrets/stores.main.token "),
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
            ".gitignore".to_string()
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
fn check_reports_secrets_link_outside() {
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
    assert_eq!(found, vec![expect("symlink-outside-tree", ".secrets")]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn check_follows_secrets_link_inside() {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".secrets\nvault/\n");
    repo.write("datajoint.json", "{}\n");
    repo.commit_all("init");
    let secret = repo.write("vault/database.password", "pw\n");
    set_mode(&repo.path().join("vault"), 0o700);
    set_mode(&secret, 0o644);
    std::os::unix::fs::symlink("vault", repo.path().join(".secrets")).unwrap();

    let output = repo.tightlip(&["check", "--format", "json"]);
    let found = kinds(&output);
    let expect = |kind: &str, path: &str| (kind.to_string(), path.to_string());
    assert_eq!(
        found,
        vec![expect("secrets-file-mode", ".secrets/database.password")]
    );
}

#[test]
fn check_fix_skips_link_inside() {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".secrets\nvault/\n");
    repo.write("datajoint.json", "{}\n");
    repo.commit_all("init");
    let secret = repo.write("vault/database.password", "pw\n");
    set_mode(&repo.path().join("vault"), 0o700);
    set_mode(&secret, 0o644);
    std::os::unix::fs::symlink("vault", repo.path().join(".secrets")).unwrap();

    let output = repo.tightlip(&["check", "--fix", "--format", "json"]);

    assert_eq!(mode_of(&secret), 0o644, "mode changed through a link");
    let report = json_of(&output);
    assert_eq!(report["changes"], serde_json::json!([]), "{report}");
    let remedy = report["problems"][0]["remedy"].as_str().unwrap();
    let target = std::fs::canonicalize(&secret).unwrap();
    assert_eq!(
        remedy,
        format!(
            "chmod 600 {}   (a symbolic link leads there, so --fix leaves it alone)",
            target.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn check_secrets_link_cycle_ends() {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".secrets\n");
    repo.write("datajoint.json", "{}\n");
    repo.commit_all("init");
    std::os::unix::fs::symlink(".", repo.path().join(".secrets")).unwrap();

    let output = repo.tightlip(&["check", "--format", "json"]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
}

#[test]
fn check_fix_stays_inside_repository() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir().unwrap();
    let outside_file = outside.path().join("settings.conf");
    std::fs::write(&outside_file, "keep\n").unwrap();
    set_mode(outside.path(), 0o755);
    set_mode(&outside_file, 0o644);
    repo.write("datajoint.json", "{}\n");
    std::os::unix::fs::symlink(outside.path(), repo.path().join(".secrets")).unwrap();

    let output = repo.tightlip(&["check", "--fix", "--format", "json"]);

    assert_eq!(mode_of(outside.path()), 0o755, "directory mode changed");
    assert_eq!(mode_of(&outside_file), 0o644, "file mode changed");
    let found = kinds(&output);
    assert!(
        found.contains(&("symlink-outside-tree".to_string(), ".secrets".to_string())),
        "{found:?}"
    );
}

#[test]
fn check_fix_skips_file_link_outside() {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".secrets/\n");
    repo.write("datajoint.json", "{}\n");
    repo.commit_all("init");
    let outside = tempfile::tempdir().unwrap();
    let outside_file = outside.path().join("shadow");
    std::fs::write(&outside_file, "keep\n").unwrap();
    set_mode(&outside_file, 0o644);
    std::fs::create_dir(repo.path().join(".secrets")).unwrap();
    set_mode(&repo.path().join(".secrets"), 0o700);
    std::os::unix::fs::symlink(
        &outside_file,
        repo.path().join(".secrets/database.password"),
    )
    .unwrap();

    let output = repo.tightlip(&["check", "--fix", "--format", "json"]);

    assert_eq!(mode_of(&outside_file), 0o644, "file mode changed");
    let found = kinds(&output);
    let expected = (
        "symlink-outside-tree".to_string(),
        ".secrets/database.password".to_string(),
    );
    assert_eq!(found, vec![expected]);
}

#[test]
fn check_fix_gitignore_symlink_untouched() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir().unwrap();
    let outside_file = outside.path().join("profile");
    std::fs::write(&outside_file, "keep\n").unwrap();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/database.password", "pw");
    std::os::unix::fs::symlink(&outside_file, repo.path().join(".gitignore")).unwrap();

    let output = repo.tightlip(&["check", "--fix", "--format", "json"]);

    assert_eq!(std::fs::read_to_string(&outside_file).unwrap(), "keep\n");
    let report = json_of(&output);
    let changed: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(!changed.contains(&".gitignore"), "{report}");
    let found = kinds(&output);
    assert!(
        found.contains(&("gitignore-symlink".to_string(), ".gitignore".to_string())),
        "{found:?}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn check_remedy_quotes_for_shell() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/x'; touch PWNED; echo '", "pw");
    repo.commit_all("commit a secret");

    let output = repo.tightlip(&["check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("fix: git rm --cached"))
        .unwrap_or_else(|| panic!("no git rm line: {stdout}"));
    let command = line.trim_start().trim_start_matches("fix: ");
    let command = command.split("   (").next().unwrap();
    assert_eq!(
        command,
        r"git rm --cached -- '.secrets/x'\''; touch PWNED; echo '\'''"
    );
    // The shell reads the quoted word back as the file name.
    let echoed = Command::new("sh")
        .arg("-c")
        .arg(command.replace("git rm --cached --", "printf %s"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&echoed.stdout),
        ".secrets/x'; touch PWNED; echo '"
    );
}

#[test]
fn check_escapes_control_characters() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/t\x1b[2Jz", "pw");
    repo.commit_all("commit a secret");

    let output = repo.tightlip(&["check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(stdout.contains(r"t\u{1b}[2Jz"), "{stdout}");
}

#[test]
fn check_flags_named_env_files() {
    let repo = TempRepo::new();
    for name in [
        "prod.env",
        "x.env",
        ".env.production",
        ".env.example",
        "example.env",
    ] {
        repo.write(name, "DJ_PASS=x\n");
    }
    repo.commit_all("init");

    let output = repo.tightlip(&["check", "--format", "json"]);
    let found = kinds(&output);
    let tracked = |path: &str| ("sensitive-file-tracked".to_string(), path.to_string());
    assert_eq!(
        found,
        vec![
            tracked(".env.production"),
            tracked("prod.env"),
            tracked("x.env")
        ]
    );
}

#[test]
fn check_sarif_lists_problems() {
    let repo = leaky_repo();

    let output = repo.tightlip(&["--format", "sarif", "check"]);
    let sarif = json_of(&output);
    assert_eq!(sarif["version"], "2.1.0", "{sarif}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{sarif}");
    let rules: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"hygiene.secrets-dir-mode"), "{rules:?}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn check_quiet_prints_problems_only() {
    let repo = leaky_repo();

    let output = repo.tightlip(&["-q", "check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("problem(s)"), "{stdout}");
    assert!(stdout.contains("secrets-dir-mode"), "{stdout}");

    let clean = TempRepo::new();
    let output = clean.tightlip(&["-q", "check"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
}

#[test]
fn check_full_stdout_fails() {
    let repo = leaky_repo();
    let dev_full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_tightlip"))
        .args(["check", "."])
        .current_dir(repo.path())
        .env("RUST_BACKTRACE", "0")
        .stdout(dev_full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

/// SplitMix64, so that generated ignore rules are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn check_ignore_generated_rules_match_git() {
    const DIRS: &[&str] = &[
        "",
        "a",
        "b",
        "a/b",
        "a/b/c",
        "b/a",
        "secrets",
        "a/secrets",
        "build",
    ];
    const PATTERNS: &[&str] = &[
        "*.log",
        "!*.log",
        "a/",
        "/a",
        "b",
        "!b",
        "**/c",
        "a/**/x.txt",
        "secrets/",
        "!secrets/keep",
        "build",
        "/build/",
        "*.txt",
        "!important.txt",
        "x.*",
        "c/",
        "!a/b",
        "*",
        "!*/",
        "[ab].md",
        "?.md",
        "\\#hash",
        "#comment",
        "",
        "secrets/*",
        "!keep",
        "/*.cfg",
        "b/**",
        "**/b/x.txt",
    ];
    const NAMES: &[&str] = &[
        "x.txt",
        "y.log",
        "important.txt",
        "keep",
        "a.md",
        "ab.md",
        "#hash",
        "x.cfg",
    ];
    let mut rng = Rng(0x6967_6e6f_7265);
    let mut compared = 0;
    for _ in 0..60 {
        let repo = TempRepo::new();
        for _ in 0..1 + rng.next() % 4 {
            let dir = rng.pick(DIRS);
            let lines: Vec<&str> = (0..1 + rng.next() % 5)
                .map(|_| rng.pick(PATTERNS))
                .collect();
            let path = if dir.is_empty() {
                ".gitignore".to_string()
            } else {
                format!("{dir}/.gitignore")
            };
            repo.write(&path, lines.join("\n") + "\n");
        }
        let mut probes: Vec<(String, bool)> = Vec::new();
        for dir in DIRS.iter().filter(|d| !d.is_empty()) {
            std::fs::create_dir_all(repo.path().join(dir)).unwrap();
            probes.push((dir.to_string(), true));
        }
        for _ in 0..25 {
            let dir = rng.pick(DIRS);
            let name = rng.pick(NAMES);
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            repo.write(&path, "x\n");
            probes.push((path, false));
        }
        repo.git(&["add", "-f", "--", ":(glob)**/.gitignore"]);
        repo.git(&["commit", "-q", "--allow-empty", "-m", "rules"]);
        let tree = Worktree::open(repo.path()).unwrap();
        let paths: Vec<&str> = probes.iter().map(|(p, _)| p.as_str()).collect();
        let ignored_by_git = git_ignored_set(repo.path(), &paths);
        let rules = repo.git(&["ls-files", "*.gitignore"]);
        for (path, is_dir) in &probes {
            let ours =
                tree.ignore_state(Path::new(path), *is_dir) == IgnoreState::IgnoredByRepository;
            assert_eq!(
                ours,
                ignored_by_git.contains(path),
                "ignore decision for {path} with rules in {rules:?}"
            );
            compared += 1;
        }
    }
    println!("ignore decisions agree with git check-ignore on {compared} paths");
}

#[test]
fn hygiene_problems_become_findings() {
    let repo = leaky_repo();
    let problems = tightlip::hygiene::check(repo.path());
    assert_eq!(problems.len(), 3, "{problems:?}");
    let findings: Vec<_> = problems.iter().map(|p| p.to_finding()).collect();
    let ids: Vec<&str> = findings.iter().map(|f| &*f.rule_id).collect();
    assert!(ids.contains(&"hygiene.secrets-dir-mode"), "{ids:?}");
    let mode = findings
        .iter()
        .find(|f| &*f.rule_id == "hygiene.secrets-dir-mode")
        .unwrap();
    assert_eq!(mode.locations[0].path, ".secrets");
    assert!(mode.secret.is_empty());
    assert_eq!(mode.locations[0].line, 0);
    assert_eq!(mode.secret.redacted(), "(no value)");
    assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
}

#[test]
fn check_closed_stdout_no_panic() {
    let repo = leaky_repo();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_tightlip"))
        .args(["check", "."])
        .current_dir(repo.path())
        .env("RUST_BACKTRACE", "0")
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

#[test]
fn check_notes_password_in_datajoint_json() {
    let repo = TempRepo::new();
    repo.write(
        "datajoint.json",
        r#"{"database": {"host": "localhost", "user": "demo_user", "password": "demo_user"}}"#,
    );
    repo.write(
        "sub/datajoint.json",
        r#"{"database.host": "db.example.org", "database.password": ""}"#,
    );
    repo.commit_all("configs");

    let output = repo.tightlip(&["check", "--format", "json"]);
    let report = common::json_of(&output);
    let problems: Vec<(String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().into(),
                p["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        problems.contains(&("password-in-config-file".into(), "datajoint.json".into())),
        "{problems:?}"
    );
    assert!(
        !problems
            .iter()
            .any(|(_, path)| path == "sub/datajoint.json"),
        "an empty password is not a problem: {problems:?}"
    );

    let scan = common::json_of(&repo.tightlip(&["scan", "--format", "json"]));
    let ids: Vec<&str> = scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"hygiene.password-in-config-file"), "{ids:?}");
    assert!(ids.contains(&"datajoint.config-password"), "{ids:?}");
}
