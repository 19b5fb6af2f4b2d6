//! `tightlip staged` on real repositories: what the next commit records,
//! read from the index.

mod common;

use std::time::Instant;

use common::{TempRepo, git_in, json_finding_paths, json_of, tightlip_in};

const AWS_KEY: &str = "AKIAMOR4LFENVS98QPN8";
const PAT: &str = "ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa";

fn aws_line() -> String {
    format!("aws_access_key_id = \"{AWS_KEY}\"\n")
}

fn pat_line() -> String {
    format!("token = \"{PAT}\"\n")
}

/// Runs `tightlip staged --format json` and returns exit code and report.
fn staged_json(repo: &TempRepo) -> (Option<i32>, serde_json::Value) {
    let output = repo.tightlip(&["staged", "--format", "json"]);
    let code = output.status.code();
    (code, json_of(&output))
}

/// Returns `(path, line)` of every location of every content finding.
fn content_lines(report: &serde_json::Value) -> Vec<(String, u64)> {
    let mut lines: Vec<(String, u64)> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["kind"] == "content")
        .flat_map(|f| f["locations"].as_array().expect("locations").clone())
        .map(|l| {
            (
                l["path"].as_str().expect("path").to_string(),
                l["line"].as_u64().expect("line"),
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn staged_first_commit_blocked() {
    let repo = TempRepo::new();
    repo.write("config.py", format!("name = 'x'\n{}", aws_line()));
    repo.git(&["add", "config.py"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("config.py".to_string(), 2)]);
}

#[test]
fn staged_empty_index_clean() {
    let repo = TempRepo::new();
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0));
    assert_eq!(report["stats"]["blobs_scanned"], 0);
}

#[test]
fn staged_reads_index_not_worktree() {
    let repo = TempRepo::new();
    repo.write("readme.md", "hello\n");
    repo.commit_all("init");
    repo.write("readme.md", format!("hello\n{}", aws_line()));
    repo.git(&["add", "readme.md"]);
    // The working tree no longer has the key; the index still does.
    repo.write("readme.md", "hello\n");

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("readme.md".to_string(), 2)]);
}

#[test]
fn staged_unstaged_secret_passes() {
    let repo = TempRepo::new();
    repo.write("readme.md", "hello\n");
    repo.commit_all("init");
    repo.write("readme.md", format!("hello\n{}", aws_line()));
    repo.git(&["add", "readme.md"]);
    repo.git(&["restore", "--staged", "readme.md"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    assert!(content_lines(&report).is_empty());
}

#[test]
fn staged_partial_hunk_respected() {
    let repo = TempRepo::new();
    let body: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    repo.write("app.py", &body);
    repo.commit_all("init");

    // Stage only a clean change at the top, as `git add -p` would, while the
    // working tree also has a key at the bottom.
    let clean = body.replacen("line 1\n", "line one\n", 1);
    repo.write("app.py", &clean);
    repo.git(&["add", "app.py"]);
    repo.write("app.py", format!("{clean}{}", pat_line()));

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");

    // Now stage the key too: blocked, on line 31.
    repo.git(&["add", "app.py"]);
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("app.py".to_string(), 31)]);
}

#[test]
fn staged_committed_secret_not_reported() {
    let repo = TempRepo::new();
    repo.write("settings.py", format!("{}debug = False\n", aws_line()));
    repo.commit_all("already has a key");
    repo.write("settings.py", format!("{}debug = True\n", aws_line()));
    repo.git(&["add", "settings.py"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["blobs_scanned"], 1);
}

#[test]
fn staged_rename_with_new_secret() {
    let repo = TempRepo::new();
    let body: String = (1..=20).map(|i| format!("setting_{i} = {i}\n")).collect();
    repo.write("old name.py", &body);
    repo.commit_all("init");
    repo.git(&["mv", "old name.py", "new name.py"]);
    repo.write("new name.py", format!("{body}{}", pat_line()));
    repo.git(&["add", "new name.py"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("new name.py".to_string(), 21)]);
}

#[test]
fn staged_pure_rename_passes() {
    let repo = TempRepo::new();
    repo.write("a.py", format!("x = 1\n{}", aws_line()));
    repo.commit_all("committed before the hook");
    repo.git(&["mv", "a.py", "b.py"]);

    // A rename adds no lines: the key is already in HEAD and is a job for
    // `tightlip history`.
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["blobs_scanned"], 1);
}

#[test]
fn staged_copy_scans_whole_file() {
    let repo = TempRepo::new();
    repo.write("a.py", format!("x = 1\n{}", aws_line()));
    repo.commit_all("committed before the hook");
    std::fs::copy(repo.path().join("a.py"), repo.path().join("copy.py")).unwrap();
    repo.git(&["add", "copy.py"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("copy.py".to_string(), 2)]);
}

#[test]
fn staged_deletion_skipped() {
    let repo = TempRepo::new();
    repo.write("leak.py", aws_line());
    repo.write("keep.py", "x = 1\n");
    repo.commit_all("init");
    repo.git(&["rm", "-q", "leak.py"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["blobs_scanned"], 0);
}

#[test]
fn staged_gitlink_reported_skipped() {
    let repo = TempRepo::new();
    repo.write("a.txt", "a\n");
    let commit = repo.commit_all("init");
    let cacheinfo = format!("160000,{commit},vendor/lib");
    repo.git(&["update-index", "--add", "--cacheinfo", &cacheinfo]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    let skipped = report["skipped"].as_array().expect("skipped array");
    assert_eq!(skipped.len(), 1, "{report}");
    assert_eq!(skipped[0]["path"], "vendor/lib");
    assert_eq!(skipped[0]["reason"], "submodule");
}

#[test]
fn staged_space_and_unicode_paths() {
    let repo = TempRepo::new();
    repo.write("secret file.env", aws_line());
    repo.write("ünïcode näme.txt", pat_line());
    repo.git(&["add", "-A"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(
        content_lines(&report),
        [
            ("secret file.env".to_string(), 1),
            ("ünïcode näme.txt".to_string(), 1)
        ]
    );
}

#[test]
fn staged_newline_in_path() {
    let repo = TempRepo::new();
    repo.write("line\nbreak.txt", pat_line());
    repo.git(&["add", "-A"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("line\nbreak.txt".to_string(), 1)]);
}

#[test]
fn staged_secrets_dir_path_finding() {
    let repo = TempRepo::new();
    repo.write(".secrets/db.txt", "hunter2-but-long-enough\n");
    repo.git(&["add", "-f", ".secrets/db.txt"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1), "{report}");
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"path"), "{report}");
    assert_eq!(json_finding_paths(&report), [".secrets/db.txt"]);
}

#[test]
fn staged_merge_resolution_secret() {
    let repo = TempRepo::new();
    repo.write("conf.py", "password = None\n");
    repo.commit_all("init");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("conf.py", "password = 'from other'\n");
    repo.commit_all("other");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("conf.py", "password = 'from main'\n");
    repo.commit_all("main");

    let output = std::process::Command::new("git")
        .args(["merge", "-q", "other"])
        .current_dir(repo.path())
        .output()
        .expect("run git merge");
    assert!(!output.status.success(), "the merge should conflict");
    assert!(repo.path().join(".git/MERGE_HEAD").exists());

    // An unresolved conflict is not scanned and is named in a warning.
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("conf.py"), "{report}");

    // The resolution brings in a key that neither side had.
    repo.write("conf.py", format!("password = 'from main'\n{}", aws_line()));
    repo.git(&["add", "conf.py"]);
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("conf.py".to_string(), 2)]);
}

#[test]
fn staged_merge_brings_other_branch_secret() {
    let repo = TempRepo::new();
    repo.write("a.txt", "a\n");
    repo.commit_all("init");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("b.py", pat_line());
    repo.commit_all("other adds a key");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("c.txt", "c\n");
    repo.commit_all("main");
    repo.git(&["merge", "-q", "--no-commit", "--no-ff", "other"]);

    // Compared with HEAD, the merge commit adds b.py and its key.
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("b.py".to_string(), 1)]);
}

#[test]
fn staged_linked_worktree() {
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
    std::fs::write(linked_path.join("leak.py"), pat_line()).unwrap();
    git_in(&linked_path, &["add", "leak.py"]);

    let output = tightlip_in(&linked_path, &["staged", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        content_lines(&json_of(&output)),
        [("leak.py".to_string(), 1)]
    );

    // The main worktree has its own, clean index.
    let (code, _) = staged_json(&repo);
    assert_eq!(code, Some(0));
}

#[test]
fn staged_from_subdirectory() {
    let repo = TempRepo::new();
    repo.write("src/deep/mod.py", pat_line());
    repo.git(&["add", "-A"]);
    let output = tightlip_in(
        &repo.path().join("src/deep"),
        &["staged", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        content_lines(&json_of(&output)),
        [("src/deep/mod.py".to_string(), 1)]
    );
}

#[test]
fn staged_outside_repository_fails() {
    let dir = tempfile::tempdir().expect("create temp dir");
    let output = tightlip_in(dir.path(), &["staged"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
}

#[test]
fn staged_message_for_people() {
    let repo = TempRepo::new();
    repo.write("readme.md", "hello\n");
    repo.commit_all("init");
    repo.write("deploy/settings.py", format!("x = 1\n{}", aws_line()));
    repo.git(&["add", "-A"]);

    let output = repo.tightlip(&["staged"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("blocked this commit"), "{stdout}");
    assert!(stdout.contains("deploy/settings.py:2"), "{stdout}");
    assert!(stdout.contains(".secrets/"), "{stdout}");
    assert!(stdout.contains("environment variable"), "{stdout}");
    assert!(
        stdout.contains("git restore --staged -- deploy/settings.py"),
        "{stdout}"
    );
    assert!(stdout.contains("rotate"), "{stdout}");
    assert!(stdout.contains("tightlip:allow"), "{stdout}");
    assert!(
        !stdout.contains(AWS_KEY),
        "the key is printed in clear: {stdout}"
    );
}

#[test]
fn staged_message_quotes_paths() {
    let repo = TempRepo::new();
    repo.write("readme.md", "hello\n");
    repo.commit_all("init");
    repo.write("my secrets.py", aws_line());
    repo.git(&["add", "-A"]);

    let output = repo.tightlip(&["staged"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("git restore --staged -- 'my secrets.py'"),
        "{stdout}"
    );
}

#[test]
fn staged_message_first_commit() {
    let repo = TempRepo::new();
    repo.write("settings.py", aws_line());
    repo.git(&["add", "-A"]);

    let output = repo.tightlip(&["staged"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("git rm --cached -q -- settings.py"),
        "{stdout}"
    );
}

/// Runs git in `dir` with `input` on stdin and returns its stdout; panics
/// when git fails.
fn git_with_input(dir: &std::path::Path, args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run git");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("write git stdin");
    let output = child.wait_with_output().expect("wait for git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn staged_many_files() {
    // Staging 40,000 files through the file system takes tens of seconds on
    // a busy machine, so the blobs go into one pack with `git fast-import`
    // and the index is built with `git update-index --index-info`. The
    // scan reads the same index and objects either way.
    let repo = TempRepo::new();
    let mut paths = Vec::new();
    let mut stream = Vec::new();
    for dir in 0..200 {
        for file in 0..200 {
            paths.push(format!("gen/d{dir:03}/f{file:03}.txt"));
            let content = format!("{dir} {file}\n");
            stream.extend_from_slice(
                format!(
                    "blob\nmark :{}\ndata {}\n{content}\n",
                    paths.len(),
                    content.len()
                )
                .as_bytes(),
            );
        }
    }
    paths.push("gen/zz.txt".to_string());
    let content = pat_line();
    stream.extend_from_slice(
        format!(
            "blob\nmark :{}\ndata {}\n{content}\n",
            paths.len(),
            content.len()
        )
        .as_bytes(),
    );
    let marks = repo.path().join(".git/marks");
    let export = format!("--export-marks={}", marks.display());
    git_with_input(repo.path(), &["fast-import", "--quiet", &export], &stream);

    let mut index_info = String::new();
    for line in std::fs::read_to_string(&marks).unwrap().lines() {
        let (mark, id) = line.split_once(' ').expect("mark line");
        let number: usize = mark.trim_start_matches(':').parse().expect("mark number");
        index_info.push_str(&format!("100644 {id}\t{}\n", paths[number - 1]));
    }
    git_with_input(
        repo.path(),
        &["update-index", "--index-info"],
        index_info.as_bytes(),
    );
    let staged = repo.git(&["ls-files"]).lines().count();
    assert_eq!(staged, 40_001);

    let started = Instant::now();
    let (code, report) = staged_json(&repo);
    let elapsed = started.elapsed();
    eprintln!("staged scan of 40,001 files took {elapsed:?}");
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["blobs_scanned"], 40_001);
    assert_eq!(content_lines(&report), [("gen/zz.txt".to_string(), 1)]);
}

/// `(path, blob, previous blob)` of each staged change, sorted by path.
type ChangeRows = Vec<(String, String, Option<String>)>;

fn rows(changes: &[tightlip::source::index::StagedChange]) -> ChangeRows {
    let mut rows: ChangeRows = changes
        .iter()
        .map(|change| {
            (
                change.path.to_string(),
                change.id.to_string(),
                change.previous.map(|id| id.to_string()),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Compares the index of `repo` with HEAD both by the cache tree and in
/// full. Returns whether the cache tree decided, and the changes.
fn compare_both_ways(repo: &TempRepo) -> (bool, ChangeRows) {
    use tightlip::source::cache_tree::staged_changes_by_cache_tree;
    use tightlip::source::index::{read_index, staged_changes_full};

    let git = gix::open(repo.path()).expect("open repository");
    let index = read_index(&git).expect("read index");
    let head = git.head().expect("read HEAD");
    let head_tree = if head.is_unborn() {
        None
    } else {
        Some(git.head_tree_id().expect("HEAD tree").detach())
    };
    let (full, full_skipped) = staged_changes_full(&git, &index, head_tree).expect("full");
    match staged_changes_by_cache_tree(&git, &index, head_tree).expect("cache tree") {
        Some((fast, fast_skipped)) => {
            assert_eq!(
                rows(&fast),
                rows(&full),
                "cache tree and full comparison differ"
            );
            assert_eq!(fast_skipped.len(), full_skipped.len());
            (true, rows(&full))
        }
        None => (false, rows(&full)),
    }
}

/// Creates a committed repository with nested directories, so the cache tree has
/// several levels.
fn committed_tree() -> TempRepo {
    let repo = TempRepo::new();
    for dir in ["a", "a/b", "c", "c/d/e"] {
        for file in 0..3 {
            repo.write(&format!("{dir}/f{file}.txt"), format!("{dir} {file}\n"));
        }
    }
    repo.write("top.txt", "top\n");
    repo.commit_all("init");
    repo
}

#[test]
fn cache_tree_nothing_staged() {
    let repo = committed_tree();
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert!(changes.is_empty());
}

#[test]
fn cache_tree_modified_nested_file() {
    let repo = committed_tree();
    repo.write("c/d/e/f1.txt", "changed\n");
    repo.git(&["add", "-A"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, "c/d/e/f1.txt");
    assert!(changes[0].2.is_some());
}

#[test]
fn cache_tree_added_new_directory() {
    let repo = committed_tree();
    repo.write("a/new/deeper/n.txt", "new\n");
    repo.write("zz.txt", "new\n");
    repo.git(&["add", "-A"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert_eq!(changes.len(), 2);
}

#[test]
fn cache_tree_deletion_only() {
    let repo = committed_tree();
    repo.git(&["rm", "-q", "a/b/f0.txt"]);
    repo.git(&["rm", "-q", "-r", "c/d"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert!(changes.is_empty());
}

#[test]
fn cache_tree_exact_rename() {
    let repo = committed_tree();
    repo.git(&["mv", "a/b/f2.txt", "c/moved.txt"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].2.as_deref(), Some(changes[0].1.as_str()));
}

#[test]
fn cache_tree_similar_rename_falls_back() {
    let repo = committed_tree();
    let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    repo.write("long.txt", &body);
    repo.commit_all("long file");
    repo.git(&["mv", "long.txt", "a/renamed.txt"]);
    repo.write("a/renamed.txt", format!("{body}one more\n"));
    repo.git(&["add", "-A"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(!decided, "a similarity rename needs the full comparison");
    assert_eq!(changes.len(), 1);
    assert!(changes[0].2.is_some(), "the rename keeps its source");
}

#[test]
fn cache_tree_mode_change() {
    let repo = committed_tree();
    repo.git(&["update-index", "--chmod=+x", "a/f0.txt"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert_eq!(changes.len(), 1);
}

#[test]
fn cache_tree_intent_to_add() {
    let repo = committed_tree();
    repo.write("later.txt", "not yet\n");
    repo.git(&["add", "-N", "later.txt"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert!(changes.is_empty());
}

#[test]
fn cache_tree_file_becomes_directory() {
    let repo = committed_tree();
    repo.git(&["rm", "-q", "top.txt"]);
    repo.write("top.txt/inner.txt", "now a directory\n");
    repo.git(&["add", "-A"]);
    let (_, changes) = compare_both_ways(&repo);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, "top.txt/inner.txt");
}

#[test]
fn cache_tree_unborn_head() {
    let repo = TempRepo::new();
    repo.write("a/b.txt", "b\n");
    repo.write("c.txt", "c\n");
    repo.git(&["add", "-A"]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert_eq!(changes.len(), 2);
}

#[test]
fn cache_tree_gitlink_skipped() {
    let repo = committed_tree();
    let commit = repo.git(&["rev-parse", "HEAD"]);
    let cacheinfo = format!("160000,{commit},a/vendor");
    repo.git(&["update-index", "--add", "--cacheinfo", &cacheinfo]);
    let (decided, changes) = compare_both_ways(&repo);
    assert!(decided);
    assert!(changes.is_empty());
}

#[test]
fn staged_allow_comment_passes() {
    let repo = TempRepo::new();
    repo.write(
        "fixture.py",
        format!("key = \"{AWS_KEY}\"  # tightlip:allow\n"),
    );
    repo.git(&["add", "-A"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn staged_sparse_index() {
    let repo = TempRepo::new();
    repo.write("app/main.py", "x = 1\n");
    repo.write("docs/deep/guide.md", "guide\n");
    repo.write("top.txt", "top\n");
    repo.commit_all("init");
    repo.git(&["sparse-checkout", "set", "--cone", "--sparse-index", "app"]);
    let sparse = repo.git(&["ls-files", "--sparse"]);
    assert!(sparse.contains("docs/"), "not a sparse index: {sparse}");

    repo.write("app/new.py", pat_line());
    repo.git(&["add", "app/new.py"]);
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(content_lines(&report), [("app/new.py".to_string(), 1)]);
}

#[test]
fn staged_non_utf8_path() {
    use std::os::unix::ffi::OsStrExt;

    let repo = TempRepo::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(repo.path().join(name), pat_line()).unwrap();
    repo.git(&["add", "-A"]);

    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1), "{report}");
    let location = &report["findings"][0]["locations"][0];
    assert_eq!(location["line"], 1);
    // JSON carries the exact bytes in base64 beside the lossy text.
    assert_eq!(location["path_bytes"], "Y2Fm6S50eHQ=");

    let output = repo.tightlip(&["staged"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(r#""caf\xe9.txt":1"#), "{stdout}");

    // The suggested command works as printed.
    let command = stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("git rm --cached"))
        .unwrap_or_else(|| panic!("no git rm command in: {stdout}"));
    let status = std::process::Command::new("sh")
        .args(["-c", command])
        .current_dir(repo.path())
        .status()
        .expect("run sh");
    assert!(status.success(), "{command}");
    let (code, _) = staged_json(&repo);
    assert_eq!(code, Some(0), "still staged after: {command}");
}

/// A small deterministic generator (xorshift64), so a failing sequence of
/// operations can be replayed from its seed.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Returns the paths git lists as added, modified, renamed or type-changed
/// in the index relative to HEAD, with renames shown as additions.
fn git_staged_paths(repo: &TempRepo) -> Vec<String> {
    let output = repo.git(&[
        "-c",
        "core.quotePath=false",
        "diff",
        "--cached",
        "--name-only",
        "--no-renames",
        "--diff-filter=AMT",
    ]);
    let mut paths: Vec<String> = output.lines().map(str::to_string).collect();
    paths.sort();
    paths
}

#[test]
fn staged_changes_match_git() {
    let repo = TempRepo::new();
    let dirs = ["", "a/", "a/b/", "c/", "c/d/e/"];
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut counter = 0;
    let mut decided_steps = 0;

    for step in 0..60 {
        for _ in 0..1 + rng.below(4) {
            let dir = dirs[rng.below(dirs.len() as u64) as usize];
            let path = format!("{dir}f{}.txt", rng.below(6));
            let full = repo.path().join(&path);
            counter += 1;
            match rng.below(6) {
                0 if full.exists() => {
                    repo.git(&["rm", "-q", "-f", "--cached", "--", &path]);
                    std::fs::remove_file(&full).unwrap();
                }
                1 if full.exists() => {
                    let target_dir = dirs[rng.below(dirs.len() as u64) as usize];
                    std::fs::create_dir_all(repo.path().join(target_dir)).unwrap();
                    let target = format!("{target_dir}r{counter}.txt");
                    repo.git(&["mv", "--", &path, &target]);
                }
                2 if full.exists() => {
                    repo.git(&["update-index", "--chmod=+x", "--", &path]);
                }
                _ => {
                    let body: String = (0..5).map(|i| format!("{path} {i}\n")).collect();
                    repo.write(&path, format!("{body}change {counter}\n"));
                    repo.git(&["add", "--", &path]);
                }
            }
        }
        if rng.below(3) == 0 {
            repo.git(&[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("step {step}"),
            ]);
        }

        let (decided, changes) = compare_both_ways(&repo);
        decided_steps += usize::from(decided);
        let mut ours: Vec<String> = changes.into_iter().map(|row| row.0).collect();
        ours.sort();
        assert_eq!(ours, git_staged_paths(&repo), "step {step}");
    }
    eprintln!("the cache tree decided {decided_steps} of 60 steps");
    assert!(
        decided_steps >= 20,
        "the cache tree decided only {decided_steps} steps"
    );
}

#[test]
fn staged_honors_tightlipignore() {
    let repo = TempRepo::new();
    repo.write("svc-a/README.md", pat_line());
    repo.git(&["add", "-A"]);
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    let fingerprint = report["findings"][0]["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();

    // Keyed by fingerprint and full path, in both the human and JSON runs.
    repo.write(
        ".tightlipignore",
        format!("{fingerprint} svc-a/README.md\n"),
    );
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(0), "{report}");
    let output = repo.tightlip(&["staged"]);
    assert_eq!(output.status.code(), Some(0));

    // The same secret at another path is still reported.
    repo.write("svc-b/README.md", pat_line());
    repo.git(&["add", "-A"]);
    let (code, report) = staged_json(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(content_lines(&report), [("svc-b/README.md".to_string(), 1)]);
}

#[test]
fn staged_bare_repository_exits_2() {
    let source = TempRepo::new();
    source.write("a.txt", "x\n");
    source.commit_all("one");
    let parent = tempfile::tempdir().unwrap();
    let from = source.path().to_str().unwrap();
    common::git_in(parent.path(), &["clone", "-q", "--bare", from, "bare.git"]);

    let output = common::tightlip_in(&parent.path().join("bare.git"), &["staged"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bare repository"), "{stderr}");
}

#[test]
fn staged_severity_matches_scan() {
    let repo = TempRepo::new();
    repo.write(
        "datajoint.json",
        "{\"database\": {\"host\": \"db.lab.example\", \"password\": \"Qm3vX9rT2pLw\"}}\n",
    );
    repo.git(&["add", "datajoint.json"]);

    let staged = common::json_of(&repo.tightlip(&["staged", "--format", "json"]));
    let scan = common::json_of(&repo.tightlip(&["scan", "--format", "json"]));
    let severity = |report: &serde_json::Value| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "datajoint.json")
            .map(|f| (f["severity"].clone(), f["effective_config"].clone()))
    };
    assert_eq!(severity(&staged), severity(&scan));
    assert_eq!(staged["findings"][0]["effective_config"], true);
}
