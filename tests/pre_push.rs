//! `tightlip pre-push` on real repositories with a real bare remote.

mod common;

use std::path::PathBuf;

use common::{TempRepo, git_in, json_of, tightlip_with_input};

const AWS_KEY: &str = "AKIAMOR4LFENVS98QPN8";
const PAT: &str = "ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa";
const ZERO: &str = "0000000000000000000000000000000000000000";

/// A working repository with `origin` pointing at a bare repository.
struct Pushed {
    repo: TempRepo,
    _remote_dir: tempfile::TempDir,
    remote_path: PathBuf,
}

impl Pushed {
    fn new() -> Pushed {
        let remote_dir = tempfile::tempdir().expect("create temp dir");
        let remote_path = remote_dir.path().join("remote.git");
        git_in(
            remote_dir.path(),
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        let repo = TempRepo::new();
        repo.git(&["remote", "add", "origin", remote_path.to_str().unwrap()]);
        Pushed {
            repo,
            _remote_dir: remote_dir,
            remote_path,
        }
    }

    fn url(&self) -> &str {
        self.remote_path.to_str().unwrap()
    }

    fn rev(&self, spec: &str) -> String {
        self.repo.git(&["rev-parse", spec])
    }

    /// Pushes without hooks, so the remote and its tracking refs move.
    fn publish(&self, refspec: &str) {
        self.repo
            .git(&["push", "-q", "--no-verify", "origin", refspec]);
    }

    /// Runs `tightlip pre-push origin URL --format json` with `lines` on
    /// stdin.
    fn pre_push(&self, lines: &[String]) -> (Option<i32>, serde_json::Value) {
        let output = self.pre_push_output(lines, &["--format", "json"]);
        (output.status.code(), json_of(&output))
    }

    fn pre_push_output(&self, lines: &[String], extra: &[&str]) -> std::process::Output {
        let mut args = vec!["pre-push", "origin", self.url()];
        args.extend_from_slice(extra);
        let input: String = lines.iter().map(|line| format!("{line}\n")).collect();
        tightlip_with_input(self.repo.path(), &args, input.as_bytes(), &[])
    }
}

fn line(local_ref: &str, local: &str, remote_ref: &str, remote: &str) -> String {
    format!("{local_ref} {local} {remote_ref} {remote}")
}

/// Returns `(path, commit)` of every content finding location.
fn found(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["kind"] == "content")
        .flat_map(|f| f["locations"].as_array().expect("locations").clone())
        .map(|l| {
            (
                l["path"].as_str().expect("path").to_string(),
                l["commit"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn pre_push_new_branch_scans_new_commits() {
    let p = Pushed::new();
    p.repo.write("f", "base\n");
    p.repo.commit_all("base");
    p.repo.write("old.txt", format!("old = \"{AWS_KEY}\"\n"));
    p.repo.commit_all("old");
    p.publish("HEAD:main");

    p.repo.git(&["checkout", "-q", "-b", "feature"]);
    p.repo.write("new.txt", format!("token = \"{PAT}\"\n"));
    let new1 = p.repo.commit_all("new1");
    p.repo.write("f", "base\nmore\n");
    let new2 = p.repo.commit_all("new2");

    let (code, report) = p.pre_push(&[line(
        "refs/heads/feature",
        &new2,
        "refs/heads/feature",
        ZERO,
    )]);
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["commits"], 2);
    assert_eq!(found(&report), [("new.txt".to_string(), new1)]);
    let location = &report["findings"][0]["locations"][0];
    assert_eq!(location["date"], "2024-01-01T00:00:00Z");
    assert_eq!(location["author"], "Test Author");
    assert_eq!(location["refs"][0], "refs/heads/feature");
}

#[test]
fn pre_push_deletion_scans_nothing() {
    let p = Pushed::new();
    p.repo.write("leak.txt", format!("token = \"{PAT}\"\n"));
    let head = p.repo.commit_all("leak");

    let (code, report) = p.pre_push(&[line("(delete)", ZERO, "refs/heads/feature", &head)]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["commits"], 0);
    assert_eq!(report["stats"]["blobs_scanned"], 0);
}

#[test]
fn pre_push_update_scans_only_range() {
    let p = Pushed::new();
    p.repo.write("a.txt", format!("old = \"{AWS_KEY}\"\n"));
    let published = p.repo.commit_all("published");
    p.publish("main");
    p.repo.write("b.txt", format!("token = \"{PAT}\"\n"));
    let head = p.repo.commit_all("new");

    let (code, report) = p.pre_push(&[line(
        "refs/heads/main",
        &head,
        "refs/heads/main",
        &published,
    )]);
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["commits"], 1);
    assert_eq!(found(&report), [("b.txt".to_string(), head)]);
}

#[test]
fn pre_push_force_push() {
    let p = Pushed::new();
    p.repo.write("base.txt", "base\n");
    p.repo.commit_all("base");
    p.repo.write("a.txt", format!("old = \"{AWS_KEY}\"\n"));
    let old_tip = p.repo.commit_all("published with a key");
    p.publish("main");

    p.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    p.repo.write("b.txt", format!("token = \"{PAT}\"\n"));
    let new_tip = p.repo.commit_all("rewritten");
    // The remote-tracking ref still points at the old tip, as before a
    // real force push.
    assert_eq!(p.rev("refs/remotes/origin/main"), old_tip);

    let (code, report) = p.pre_push(&[line(
        "refs/heads/main",
        &new_tip,
        "refs/heads/main",
        &old_tip,
    )]);
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["commits"], 1);
    assert_eq!(found(&report), [("b.txt".to_string(), new_tip)]);
}

#[test]
fn pre_push_annotated_tag() {
    let p = Pushed::new();
    p.repo.write("base.txt", "base\n");
    p.repo.commit_all("base");
    p.publish("main");
    p.repo.write("release.cfg", format!("token = \"{PAT}\"\n"));
    let tagged = p.repo.commit_all("release");
    p.repo.git(&["tag", "-a", "-m", "v1", "v1"]);
    let tag = p.rev("refs/tags/v1");
    assert_ne!(tag, tagged, "an annotated tag is its own object");

    let (code, report) = p.pre_push(&[line("refs/tags/v1", &tag, "refs/tags/v1", ZERO)]);
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["commits"], 1);
    assert_eq!(found(&report), [("release.cfg".to_string(), tagged)]);
}

#[test]
fn pre_push_two_refs() {
    let p = Pushed::new();
    p.repo.write("base.txt", "base\n");
    p.repo.commit_all("base");
    p.publish("main");

    p.repo.git(&["checkout", "-q", "-b", "one"]);
    p.repo.write("one.txt", format!("token = \"{PAT}\"\n"));
    let one = p.repo.commit_all("one");
    p.repo.git(&["checkout", "-q", "main"]);
    p.repo.git(&["checkout", "-q", "-b", "two"]);
    p.repo.write("two.txt", format!("key = \"{AWS_KEY}\"\n"));
    let two = p.repo.commit_all("two");

    let (code, report) = p.pre_push(&[
        line("refs/heads/one", &one, "refs/heads/one", ZERO),
        line("refs/heads/two", &two, "refs/heads/two", ZERO),
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["commits"], 2);
    assert_eq!(report["stats"]["refs"], 2);
    assert_eq!(
        found(&report),
        [("one.txt".to_string(), one), ("two.txt".to_string(), two)]
    );
}

#[test]
fn pre_push_shared_blob_scanned_once() {
    let p = Pushed::new();
    p.repo.write("base.txt", "base\n");
    p.repo.commit_all("base");
    p.publish("main");

    p.repo.git(&["checkout", "-q", "-b", "one"]);
    p.repo.write("same.txt", "identical content\n");
    let one = p.repo.commit_all("one");
    p.repo.git(&["checkout", "-q", "main"]);
    p.repo.git(&["checkout", "-q", "-b", "two"]);
    p.repo.write("same.txt", "identical content\n");
    let two = p.repo.commit_all("two");
    assert_ne!(one, two);

    let (code, report) = p.pre_push(&[
        line("refs/heads/one", &one, "refs/heads/one", ZERO),
        line("refs/heads/two", &two, "refs/heads/two", ZERO),
    ]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["commits"], 2);
    assert_eq!(report["stats"]["blobs_scanned"], 1);
}

#[test]
fn pre_push_merge_resolution_secret() {
    let p = Pushed::new();
    p.repo.write("conf.py", "password = None\n");
    p.repo.commit_all("init");
    p.publish("main");
    p.repo.git(&["checkout", "-q", "-b", "other"]);
    p.repo.write("conf.py", "password = 'other'\n");
    p.repo.commit_all("other");
    p.repo.git(&["checkout", "-q", "main"]);
    p.repo.write("conf.py", "password = 'main'\n");
    p.repo.commit_all("main");
    let merge = std::process::Command::new("git")
        .args(["merge", "-q", "other"])
        .current_dir(p.repo.path())
        .output()
        .expect("run git merge");
    assert!(!merge.status.success(), "the merge should conflict");
    p.repo.write(
        "conf.py",
        format!("password = 'main'\nkey = \"{AWS_KEY}\"\n"),
    );
    p.repo.git(&["add", "conf.py"]);
    p.repo.git(&["commit", "-q", "--no-edit"]);
    let merge_commit = p.rev("HEAD");
    let published = p.rev("refs/remotes/origin/main");

    let (code, report) = p.pre_push(&[line(
        "refs/heads/main",
        &merge_commit,
        "refs/heads/main",
        &published,
    )]);
    assert_eq!(code, Some(1));
    assert_eq!(report["stats"]["commits"], 3);
    assert_eq!(found(&report), [("conf.py".to_string(), merge_commit)]);
}

#[test]
fn pre_push_clean_merge_adds_nothing() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    p.repo.commit_all("init");
    p.repo.git(&["checkout", "-q", "-b", "other"]);
    p.repo.write("b.py", format!("token = \"{PAT}\"\n"));
    p.repo.commit_all("other adds a key");
    p.publish("other");
    p.repo.git(&["checkout", "-q", "main"]);
    p.repo.write("c.txt", "c\n");
    p.repo.commit_all("main");
    p.publish("main");
    p.repo.git(&["merge", "-q", "--no-edit", "other"]);
    let merge_commit = p.rev("HEAD");
    let published = p.rev("refs/remotes/origin/main");

    // The key came from a published branch; the merge adds nothing new.
    let (code, report) = p.pre_push(&[line(
        "refs/heads/main",
        &merge_commit,
        "refs/heads/main",
        &published,
    )]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["commits"], 1);
}

#[test]
fn pre_push_unknown_object_fails_closed() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    p.repo.commit_all("init");
    let missing = "1234567890123456789012345678901234567890";

    let output = p.pre_push_output(
        &[line("refs/heads/main", missing, "refs/heads/main", ZERO)],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(missing), "{stderr}");
    assert!(stderr.contains("not in this repository"), "{stderr}");
}

#[test]
fn pre_push_corrupt_line_fails_closed() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    p.repo.commit_all("init");

    let output = p.pre_push_output(&["refs/heads/main only-two-fields".to_string()], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid pre-push input on line 1"),
        "{stderr}"
    );
}

#[test]
fn pre_push_unknown_remote_oid_warns() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    p.repo.commit_all("init");
    p.publish("main");
    p.repo.write("b.txt", "b\n");
    let head = p.repo.commit_all("second");
    let unknown = "1234567890123456789012345678901234567890";

    let (code, report) = p.pre_push(&[line("refs/heads/main", &head, "refs/heads/main", unknown)]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["commits"], 1);
    assert!(report["warnings"].to_string().contains(unknown), "{report}");
}

#[test]
fn pre_push_pre_commit_env() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    let base = p.repo.commit_all("init");
    p.repo.write("b.txt", format!("token = \"{PAT}\"\n"));
    let head = p.repo.commit_all("key");

    let envs = [
        ("PRE_COMMIT_FROM_REF", base.as_str()),
        ("PRE_COMMIT_TO_REF", head.as_str()),
        ("PRE_COMMIT_REMOTE_NAME", "origin"),
        ("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main"),
    ];
    let output = tightlip_with_input(p.repo.path(), &["pre-push", "--format", "json"], b"", &envs);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(report["stats"]["commits"], 1);
    assert_eq!(found(&report), [("b.txt".to_string(), head)]);
}

#[test]
fn pre_push_pre_commit_env_root() {
    let p = Pushed::new();
    p.repo.write("b.txt", format!("token = \"{PAT}\"\n"));
    let head = p.repo.commit_all("root with a key");

    // For a push that includes a root commit, pre-commit sets only the
    // branch names.
    let envs = [
        ("PRE_COMMIT_REMOTE_NAME", "origin"),
        ("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main"),
        ("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/main"),
    ];
    let output = tightlip_with_input(p.repo.path(), &["pre-push", "--format", "json"], b"", &envs);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(found(&json_of(&output)), [("b.txt".to_string(), head)]);
}

#[test]
fn pre_push_without_input_fails() {
    let p = Pushed::new();
    let output = tightlip_with_input(p.repo.path(), &["pre-push"], b"", &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PRE_COMMIT_TO_REF"), "{stderr}");
}

#[test]
fn pre_push_message_names_commit() {
    let p = Pushed::new();
    p.repo.write("b.txt", format!("token = \"{PAT}\"\n"));
    let head = p.repo.commit_all("key");

    let output = p.pre_push_output(
        &[line("refs/heads/main", &head, "refs/heads/main", ZERO)],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("blocked this push"), "{stdout}");
    assert!(
        stdout.contains(&format!("b.txt:1 in commit {}", &head[..12])),
        "{stdout}"
    );
    assert!(
        !stdout.contains(PAT),
        "the token is printed in clear: {stdout}"
    );
}

#[test]
fn pre_push_tag_of_published_commit() {
    let p = Pushed::new();
    p.repo.write("a.txt", format!("token = \"{PAT}\"\n"));
    let published = p.repo.commit_all("published before the hook");
    p.publish("main");
    p.repo.git(&["tag", "v0"]);

    // A lightweight tag on a commit the remote already has adds nothing.
    let (code, report) = p.pre_push(&[line("refs/tags/v0", &published, "refs/tags/v0", ZERO)]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["commits"], 0);
}

#[test]
fn pre_push_remote_as_url() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    let base = p.repo.commit_all("init");
    p.publish("main");
    p.repo.write("b.txt", format!("token = \"{PAT}\"\n"));
    let head = p.repo.commit_all("key");

    // `git push URL` passes the URL as the remote name, so there are no
    // remote-tracking refs and only the remote oid bounds the range.
    let input = format!(
        "{}\n",
        line("refs/heads/main", &head, "refs/heads/main", &base)
    );
    let output = tightlip_with_input(
        p.repo.path(),
        &["pre-push", p.url(), p.url(), "--format", "json"],
        input.as_bytes(),
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(report["stats"]["commits"], 1);
    assert_eq!(found(&report), [("b.txt".to_string(), head)]);
}

#[test]
fn pre_push_tag_of_blob_and_tree() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    p.repo.commit_all("init");
    p.publish("main");
    p.repo
        .write("keys/deploy.cfg", format!("token = \"{PAT}\"\n"));
    p.repo.git(&["add", "keys/deploy.cfg"]);
    let blob = p.repo.git(&["rev-parse", ":keys/deploy.cfg"]);
    let tree = p.repo.git(&["write-tree"]);
    p.repo
        .git(&["tag", "-a", "-m", "a blob", "blob-tag", &blob]);
    p.repo.git(&["tag", "tree-tag", &tree]);
    let blob_tag = p.rev("refs/tags/blob-tag");

    let (code, report) = p.pre_push(&[
        line("refs/tags/blob-tag", &blob_tag, "refs/tags/blob-tag", ZERO),
        line("refs/tags/tree-tag", &tree, "refs/tags/tree-tag", ZERO),
    ]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["stats"]["commits"], 0);
    let locations = report["findings"][0]["locations"].as_array().unwrap();
    let mut paths: Vec<&str> = locations
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    paths.sort();
    // A bare blob has no path, so the ref name stands in for it.
    assert_eq!(paths, ["keys/deploy.cfg", "refs/tags/blob-tag"]);
    assert!(locations.iter().all(|l| l["commit"].is_null()));
}

#[test]
fn pre_push_remote_blob_tag_ignored() {
    let p = Pushed::new();
    p.repo.write("a.txt", "a\n");
    p.repo.commit_all("init");
    p.publish("main");
    p.repo.git(&["add", "a.txt"]);
    let blob = p.repo.git(&["rev-parse", ":a.txt"]);
    p.repo.write("b.txt", "b\n");
    let head = p.repo.commit_all("second");

    // A remote oid that names a blob bounds nothing and is no error.
    let (code, report) = p.pre_push(&[line("refs/heads/main", &head, "refs/heads/main", &blob)]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["commits"], 1);
}
