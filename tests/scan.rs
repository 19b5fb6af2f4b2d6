//! `tightlip scan` on real repositories and plain directories.

mod common;

use common::{TempRepo, json_of, tightlip_in};

const PAT: &str = "ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa";

fn token_line() -> String {
    format!("token = \"{PAT}\"\n")
}

fn finding_paths(report: &serde_json::Value) -> Vec<String> {
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

#[test]
fn scan_untracked_and_tracked() {
    let repo = TempRepo::new();
    repo.write("tracked.py", token_line());
    repo.commit_all("add tracked");
    repo.write("untracked.py", token_line());

    let output = repo.tightlip(&["scan", ".", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(finding_paths(&report), ["tracked.py", "untracked.py"]);
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        1,
        "same secret is one finding"
    );
}

#[test]
fn scan_skips_ignored_untracked() {
    let repo = TempRepo::new();
    repo.write(".gitignore", "build/\n");
    repo.write("build/out.py", token_line());
    repo.commit_all("ignore build");

    let output = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(finding_paths(&json_of(&output)).is_empty());
}

#[test]
fn scan_includes_tracked_but_ignored() {
    let repo = TempRepo::new();
    repo.write("conf/local.py", token_line());
    repo.commit_all("add local conf");
    repo.write(".gitignore", "conf/\n");
    repo.commit_all("ignore conf");

    let output = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_paths(&json_of(&output)), ["conf/local.py"]);
}

#[test]
fn scan_subdirectory_reports_repo_paths() {
    let repo = TempRepo::new();
    repo.write("a/b/x.py", token_line());
    repo.write("c/y.py", "print('hi')\n");
    repo.commit_all("init");

    let output = repo.tightlip(&["scan", "a", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(finding_paths(&report), ["a/b/x.py"]);
    assert_eq!(report["stats"]["blobs_scanned"], 1);
}

#[test]
fn scan_plain_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/.hidden.py"), token_line()).unwrap();

    let output = tightlip_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_paths(&json_of(&output)), ["sub/.hidden.py"]);
}

#[test]
fn scan_single_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.txt"), token_line()).unwrap();

    let output = tightlip_in(dir.path(), &["scan", "one.txt", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(finding_paths(&report), ["one.txt"]);
    assert_eq!(report["findings"][0]["line"], 1);
}

#[test]
fn scan_missing_path_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = tightlip_in(dir.path(), &["scan", "no-such-dir"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-dir"), "stderr: {stderr}");
}

#[test]
fn scan_lists_too_large_in_every_format() {
    let repo = TempRepo::new();
    repo.write("big.txt", "x".repeat(2000));
    repo.commit_all("big file");

    let json = repo.tightlip(&["scan", "--max-size", "1000", "--format", "json"]);
    let report = json_of(&json);
    assert_eq!(report["skipped"][0]["path"], "big.txt");
    assert_eq!(report["skipped"][0]["reason"], "too_large");
    assert_eq!(report["skipped"][0]["limit"], 1000);

    let lines = repo.tightlip(&["scan", "--max-size", "1000", "--format", "jsonl"]);
    let text = String::from_utf8(lines.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("\"type\":\"skipped\"") && l.contains("big.txt"))
    );

    let human = repo.tightlip(&["scan", "--max-size", "1000"]);
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("big.txt: too large (2000 bytes, limit 1000)"),
        "{text}"
    );
}

#[test]
fn scan_never_prints_secret() {
    let repo = TempRepo::new();
    repo.write("x.py", token_line());
    for format in ["human", "json", "jsonl"] {
        let output = repo.tightlip(&["scan", "--format", format]);
        assert_eq!(output.status.code(), Some(1));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !stdout.contains(&PAT[4..]),
            "{format} output leaks the secret"
        );
        assert!(!String::from_utf8_lossy(&output.stderr).contains(&PAT[4..]));
    }
    let shown = repo.tightlip(&["scan", "--format", "json", "--show-secrets"]);
    assert_eq!(json_of(&shown)["findings"][0]["secret"], PAT);
}

#[cfg(unix)]
#[test]
fn scan_non_utf8_path_lossless() {
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(dir.path().join(name), token_line()).unwrap();

    let output = tightlip_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = json_of(&output);
    let finding = &report["findings"][0];
    assert_eq!(finding["path"], "caf\u{fffd}.txt");
    assert_eq!(finding["path_bytes"], "Y2Fm6S50eHQ=");
}

#[cfg(unix)]
#[test]
fn scan_reports_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;

    if is_root() {
        // Root reads files whatever their mode, so nothing is unreadable.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.txt");
    std::fs::write(&path, "x").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let output = tightlip_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(report["skipped"][0]["reason"], "unreadable");
}

#[cfg(unix)]
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

#[test]
fn ignore_file_keyed_by_full_path() {
    let repo = TempRepo::new();
    repo.write("svc-a/README.md", format!("export API_TOKEN={PAT}\n"));
    repo.write("svc-b/README.md", format!("export API_TOKEN={PAT}\n"));
    let first = json_of(&repo.tightlip(&["scan", "--format", "json"]));
    let fingerprint = first["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    repo.write(
        ".tightlipignore",
        format!("{fingerprint} svc-a/README.md\n"),
    );
    let second = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(finding_paths(&json_of(&second)), ["svc-b/README.md"]);

    repo.write(
        ".tightlipignore",
        format!("# reviewed\n{fingerprint} svc-a/README.md\n{fingerprint} svc-b/README.md\n"),
    );
    let third = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(third.status.code(), Some(0));
    assert_eq!(json_of(&third)["stats"]["ignored"], 2);
}

#[test]
fn ignore_file_invalid_line_exits_2() {
    let repo = TempRepo::new();
    repo.write(".tightlipignore", "not-a-fingerprint\n");
    let output = repo.tightlip(&["scan"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(".tightlipignore:1"), "{stderr}");
}

#[test]
fn ignore_file_path_glob() {
    let repo = TempRepo::new();
    repo.write("fixtures/a/token.txt", token_line());
    repo.write("src/token.txt", token_line());
    repo.write(".tightlipignore", "path:fixtures/**\n");

    let output = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_paths(&json_of(&output)), ["src/token.txt"]);
}

#[test]
fn closed_stdout_keeps_exit_status() {
    // `git commit 2>&1 | head -1` closes a hook's output early; the exit
    // status must still report that secrets were found.
    let repo = TempRepo::new();
    repo.write("a.py", token_line().repeat(2000));
    repo.git(&["add", "a.py"]);

    for args in [
        &["staged", "."][..],
        &["scan", "."][..],
        &["history", "."][..],
    ] {
        if args[0] == "history" {
            repo.git(&["commit", "-qm", "leak"]);
        }
        let (reader, writer) = std::io::pipe().expect("create pipe");
        drop(reader);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tightlip"))
            .args(args)
            .current_dir(repo.path())
            .env("NO_COLOR", "1")
            .stdout(writer)
            .output()
            .expect("run tightlip");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?} with a closed stdout"
        );
    }
}

#[test]
fn scan_bare_repository_exits_2() {
    let repo = TempRepo::new();
    repo.write("a.py", "x = 1\n");
    repo.commit_all("one");
    let parent = tempfile::tempdir().unwrap();
    let source = repo.path().to_str().unwrap();
    common::git_in(
        parent.path(),
        &["clone", "-q", "--bare", source, "bare.git"],
    );

    let output = tightlip_in(parent.path(), &["scan", "bare.git"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bare repository"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn scan_lists_symlinks_and_nested_repos() {
    let repo = TempRepo::new();
    repo.write("real.txt", "x\n");
    std::os::unix::fs::symlink("real.txt", repo.path().join("link.txt")).unwrap();
    std::os::unix::fs::symlink("missing", repo.path().join("dangling")).unwrap();
    let nested = repo.path().join("vendor/other");
    std::fs::create_dir_all(&nested).unwrap();
    common::git_in(&nested, &["init", "-q"]);
    std::fs::write(nested.join("t.py"), token_line()).unwrap();

    let output = repo.tightlip(&["scan", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let skipped: Vec<(String, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().into(),
                s["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        skipped.contains(&("link.txt".into(), "symlink".into())),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&("dangling".into(), "symlink".into())),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&("vendor/other".into(), "nested_repository".into())),
        "{skipped:?}"
    );
}

#[test]
fn quiet_output_counts_skipped() {
    let repo = TempRepo::new();
    repo.write("big.txt", "x".repeat(2000));
    let output = repo.tightlip(&["scan", "-q", "--max-size", "1000"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("skipped 1 files or blobs"), "{text}");
}

#[test]
fn hygiene_limited_to_scanned_dir() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/database.password", "Qm3vX9rT2pLw\n");
    repo.write("sub/readme.md", "hello\n");
    repo.git(&["add", "datajoint.json", "sub/readme.md"]);

    let output = repo.tightlip(&["scan", "sub", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_output_shape() {
    let repo = TempRepo::new();
    repo.write("a b/x.py", token_line());
    repo.write("big.txt", "x".repeat(2000));
    let output = repo.tightlip(&["scan", "--format", "sarif", "--max-size", "1000"]);
    assert_eq!(output.status.code(), Some(1));
    let sarif = json_of(&output);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "tightlip");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], run["tool"]["driver"]["rules"][0]["id"]);
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "a%20b/x.py");
    assert_eq!(location["region"]["startLine"], 1);
    assert!(
        !sarif.to_string().contains(&PAT[4..]),
        "SARIF leaks the secret"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["message"]["text"].as_str().unwrap().contains("big.txt")),
        "{notes:?}"
    );
}

#[test]
fn inline_allow_counted_as_ignored() {
    let repo = TempRepo::new();
    repo.write("a.py", format!("token = \"{PAT}\"  # tightlip:allow\n"));
    let output = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json_of(&output)["stats"]["ignored"], 1);
}
