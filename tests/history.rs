//! `tightlip history` on repositories built with the git CLI: branches, a
//! merge that adds a secret, a tag on a deleted branch, the stash, notes, a
//! rename, a repeated secret, unreachable objects, a shallow clone, ranges.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TempRepo, json_of, tightlip_in};
use serde_json::Value;

// Synthetic credentials in the shapes the rules look for.
const KEY_RENAMED: &str = "AKIAQ7N4WJ3ZHPX2M5RT";
const TOKEN_TWICE: &str = "ghp_R8kP2mV6xQ9sT4wZ7bN3cF5hJ1lD0gY2aE8u";
const KEY_MERGE: &str = "AKIAZ3MX6Q2W7P4KN5RJ";
const KEY_TAGGED: &str = "AKIAW5R2Q7NZ3MX4P6KJ";
const KEY_DELETED_BRANCH: &str = "AKIAP4K7Z2QW6NM3X5RJ";
const KEY_UNREACHABLE: &str = "AKIAN6Q3W7ZP2KX5M4RJ";
const TOKEN_STASH: &str = "ghp_T3nB7vC9xZ2mQ5wR8kL4pH6jF1dS0aG7yE2u";
const TOKEN_NOTE: &str = "ghp_M2bV6cX8zL4kJ9hG3fD7sA1qW5eR0tY8uI2o";

/// Runs git in `dir` with author and committer time `time` (seconds since
/// the epoch), so that commits have distinct, increasing dates.
fn git_at(dir: &Path, time: i64, args: &[&str]) -> String {
    let date = format!("@{time} +0000");
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A repository whose history hides secrets in known places.
struct Fixture {
    repo: TempRepo,
    clock: i64,
    /// Commit ids by role.
    init: String,
    added: String,
    renamed: String,
    repeated: String,
    merge: String,
    tagged: String,
    stash: String,
}

impl Fixture {
    fn tick(&mut self) -> i64 {
        self.clock += 3600;
        self.clock
    }

    fn git(&mut self, args: &[&str]) -> String {
        let time = self.tick();
        git_at(self.repo.path(), time, args)
    }

    fn commit(&mut self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn build() -> Fixture {
        let mut f = Fixture {
            repo: TempRepo::new(),
            clock: 1_700_000_000,
            init: String::new(),
            added: String::new(),
            renamed: String::new(),
            repeated: String::new(),
            merge: String::new(),
            tagged: String::new(),
            stash: String::new(),
        };
        f.repo.write("README.md", "# Demo\n");
        f.repo.write("src/app.py", "print('hello')\n");
        f.init = f.commit("init");

        f.repo.write(
            "config/settings.py",
            format!("# settings\nREGION = 'eu-west-1'\nAWS_ACCESS_KEY_ID = '{KEY_RENAMED}'\n"),
        );
        f.added = f.commit("add settings");

        f.git(&["mv", "config/settings.py", "config/prod.py"]);
        f.renamed = f.commit("rename settings");

        f.repo
            .write("deploy/one.txt", format!("token: {TOKEN_TWICE}\n"));
        f.repo.write(
            "deploy/two.txt",
            format!("first line\nsecond line\nGITHUB_TOKEN={TOKEN_TWICE}\n"),
        );
        f.repeated = f.commit("add deploy files");

        // A feature branch merged back; the secret exists only in the merge.
        f.git(&["checkout", "-q", "-b", "feature"]);
        f.repo.write("lib/util.py", "def util():\n    return 1\n");
        f.commit("add util");
        f.git(&["checkout", "-q", "main"]);
        f.repo.write("README.md", "# Demo\n\nMore text.\n");
        f.commit("extend readme");
        f.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
        f.repo
            .write("merge/added.txt", format!("one\naws_key = {KEY_MERGE}\n"));
        f.merge = f.commit("merge feature");

        // An annotated tag keeps a deleted branch's commit reachable.
        f.git(&["checkout", "-q", "-b", "side"]);
        f.repo.write("side/key.txt", format!("{KEY_TAGGED}\n"));
        f.tagged = f.commit("side key");
        f.git(&["tag", "-a", "v-side", "-m", "side release"]);
        f.git(&["checkout", "-q", "main"]);
        f.git(&["branch", "-q", "-D", "side"]);

        // A deleted branch with nothing else pointing at it is unreachable.
        f.git(&["checkout", "-q", "-b", "gone"]);
        f.repo
            .write("gone/key.txt", format!("{KEY_DELETED_BRANCH}\n"));
        f.commit("gone key");
        f.git(&["checkout", "-q", "main"]);
        f.git(&["branch", "-q", "-D", "gone"]);

        // A blob written to the object database but never committed.
        f.repo.write("loose.txt", format!("{KEY_UNREACHABLE}\n"));
        f.git(&["hash-object", "-w", "loose.txt"]);
        std::fs::remove_file(f.repo.path().join("loose.txt")).expect("remove loose.txt");

        // Notes on the first commit.
        let note = format!("deploy with {TOKEN_NOTE}");
        let init = f.init.clone();
        f.git(&["notes", "add", "-m", &note, &init]);

        // Work in progress kept only in the stash.
        f.repo.write(
            "src/app.py",
            format!("print('hello')\nTOKEN = '{TOKEN_STASH}'\n"),
        );
        f.git(&["stash", "-q"]);
        f.stash = f.git(&["rev-parse", "refs/stash"]);
        f
    }

    fn history(&self, args: &[&str]) -> (std::process::Output, Value) {
        let mut all = vec!["history", "--format", "json"];
        all.extend_from_slice(args);
        let output = tightlip_in(self.repo.path(), &all);
        let json = json_of(&output);
        (output, json)
    }
}

/// Returns every (path, line, commit id) location of every finding.
fn locations(report: &Value) -> Vec<(String, u64, String)> {
    let mut all = Vec::new();
    for finding in report["findings"].as_array().expect("findings array") {
        for location in finding["locations"].as_array().expect("locations array") {
            all.push((
                location["path"].as_str().unwrap_or_default().to_string(),
                location["line"].as_u64().unwrap_or_default(),
                location["commit"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    all
}

/// Returns the finding that has a location at `path`.
fn finding_at<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| {
            f["locations"]
                .as_array()
                .is_some_and(|ls| ls.iter().any(|l| l["path"] == path))
        })
        .unwrap_or_else(|| panic!("no finding at {path}; report: {report:#}"))
}

fn location_at<'a>(report: &'a Value, path: &str) -> &'a Value {
    finding_at(report, path)["locations"]
        .as_array()
        .expect("locations array")
        .iter()
        .find(|l| l["path"] == path)
        .expect("location at path")
}

fn has_path(report: &Value, path: &str) -> bool {
    locations(report).iter().any(|(p, _, _)| p == path)
}

fn check_full_history(f: &Fixture, report: &Value) {
    let all = locations(report);

    // The rename: one finding, first at the old path, then the new one.
    let renamed = finding_at(report, "config/settings.py");
    let renamed_locations = renamed["locations"].as_array().unwrap();
    assert_eq!(renamed_locations.len(), 2, "{renamed:#}");
    assert_eq!(renamed_locations[0]["path"], "config/settings.py");
    assert_eq!(renamed_locations[0]["line"], 3);
    assert_eq!(renamed_locations[0]["commit"], f.added.as_str());
    assert_eq!(renamed_locations[0]["in_head"], false);
    assert_eq!(renamed_locations[1]["path"], "config/prod.py");
    assert_eq!(renamed_locations[1]["commit"], f.renamed.as_str());
    assert_eq!(renamed_locations[1]["in_head"], true);
    assert_eq!(renamed_locations[0]["author"], "Test Author");
    assert_eq!(renamed_locations[0]["email"], "author@example.org");
    let date = git_at(f.repo.path(), 0, &["show", "-s", "--format=%aI", &f.added]);
    assert_eq!(renamed_locations[0]["date"], date.replace("+00:00", "Z"));
    let refs = renamed_locations[0]["refs"].as_array().unwrap();
    assert!(refs.iter().any(|r| r == "refs/heads/main"), "{refs:?}");

    // The same token in two files is one finding with both locations.
    let twice = finding_at(report, "deploy/one.txt");
    let twice_paths: Vec<&str> = twice["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(twice_paths, ["deploy/one.txt", "deploy/two.txt"]);
    assert!(all.contains(&("deploy/one.txt".into(), 1, f.repeated.clone())));
    assert!(all.contains(&("deploy/two.txt".into(), 3, f.repeated.clone())));

    // Content that first appears in a merge commit belongs to the merge.
    let merged = location_at(report, "merge/added.txt");
    assert_eq!(merged["commit"], f.merge.as_str());
    assert_eq!(merged["line"], 2);
    assert_eq!(merged["in_head"], true);

    // An annotated tag on a deleted branch.
    let tagged = location_at(report, "side/key.txt");
    assert_eq!(tagged["commit"], f.tagged.as_str());
    assert_eq!(tagged["line"], 1);
    assert_eq!(tagged["in_head"], false);
    let tag_refs = tagged["refs"].as_array().unwrap();
    assert_eq!(tag_refs, &[Value::from("refs/tags/v-side")]);

    // The stash.
    let stashed = location_at(report, "src/app.py");
    assert_eq!(stashed["commit"], f.stash.as_str());
    assert_eq!(stashed["line"], 2);
    let stash_refs = stashed["refs"].as_array().unwrap();
    assert!(
        stash_refs.iter().any(|r| r == "refs/stash"),
        "{stash_refs:?}"
    );

    // Notes are blobs named after the annotated commit.
    let note = location_at(report, &f.init);
    let note_refs = note["refs"].as_array().unwrap();
    assert!(
        note_refs.iter().any(|r| r == "refs/notes/commits"),
        "{note_refs:?}"
    );

    // Unreachable content is never reported.
    assert!(!has_path(report, "gone/key.txt"), "{all:?}");
    assert!(!has_path(report, "loose.txt"), "{all:?}");
    let text = report.to_string();
    assert!(!text.contains(KEY_DELETED_BRANCH));
    assert!(!text.contains(KEY_UNREACHABLE));

    // Files without secrets stay silent: these are all the locations.
    let mut paths: Vec<&str> = all.iter().map(|(path, _, _)| path.as_str()).collect();
    paths.sort();
    let mut expected = vec![
        "config/prod.py",
        "config/settings.py",
        "deploy/one.txt",
        "deploy/two.txt",
        "merge/added.txt",
        "side/key.txt",
        "src/app.py",
        f.init.as_str(),
    ];
    expected.sort();
    assert_eq!(paths, expected);
    assert_eq!(report["findings"].as_array().unwrap().len(), 6);
    assert_eq!(report["stats"]["history_truncated"], false);
}

#[test]
fn history_loose_objects() {
    let f = Fixture::build();
    let (output, report) = f.history(&[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    check_full_history(&f, &report);
}

/// Moves every loose object of the repository at `dir` into a new pack.
fn pack_loose_objects(dir: &Path) {
    use std::io::Write;
    let objects = dir.join(".git/objects");
    let mut ids = String::new();
    for fanout in std::fs::read_dir(&objects).unwrap() {
        let fanout = fanout.unwrap();
        let prefix = fanout.file_name().to_string_lossy().to_string();
        if prefix.len() != 2 {
            continue;
        }
        for object in std::fs::read_dir(fanout.path()).unwrap() {
            let rest = object.unwrap().file_name().to_string_lossy().to_string();
            ids.push_str(&format!("{prefix}{rest}\n"));
        }
    }
    let mut child = Command::new("git")
        .args(["pack-objects", "-q", ".git/objects/pack/pack"])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run git pack-objects");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ids.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    common::git_in(dir, &["prune-packed"]);
}

#[test]
fn history_packed_objects() {
    let mut f = Fixture::build();
    // Pack everything reachable, then pack the unreachable loose objects
    // too, so that the scan reads packs only.
    f.git(&["repack", "-a", "-d", "-q"]);
    pack_loose_objects(f.repo.path());
    let loose = f.git(&["count-objects", "-v"]);
    assert!(loose.contains("count: 0"), "{loose}");
    let (output, report) = f.history(&[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    check_full_history(&f, &report);
}

#[test]
fn history_secret_value_redacted() {
    let f = Fixture::build();
    let (_, report) = f.history(&[]);
    let text = report.to_string();
    assert!(!text.contains(KEY_RENAMED));
    assert!(!text.contains(TOKEN_TWICE));
}

#[test]
fn history_range_excludes_older() {
    let f = Fixture::build();
    let range = format!("{}..main", f.added);
    let (output, report) = f.history(&["--range", &range]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    // The rename commit is in range and introduces the key at its new path.
    assert!(!has_path(&report, "config/settings.py"));
    assert_eq!(
        location_at(&report, "config/prod.py")["commit"],
        f.renamed.as_str()
    );
    assert!(has_path(&report, "merge/added.txt"));
    // Not reachable from main.
    assert!(!has_path(&report, "side/key.txt"));
    assert!(!has_path(&report, "src/app.py"));
}

#[test]
fn history_since_commit_excludes_ancestors() {
    let f = Fixture::build();
    let (output, report) = f.history(&["--since-commit", &f.repeated]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert!(!has_path(&report, "config/settings.py"));
    assert!(!has_path(&report, "config/prod.py"));
    assert!(!has_path(&report, "deploy/one.txt"));
    assert!(has_path(&report, "merge/added.txt"));
    assert!(has_path(&report, "side/key.txt"));
    assert!(has_path(&report, "src/app.py"));
}

#[test]
fn history_ref_limits_to_branch() {
    let f = Fixture::build();
    let (output, report) = f.history(&["--ref", "v-side"]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert!(has_path(&report, "side/key.txt"));
    assert!(has_path(&report, "merge/added.txt"));
    assert!(!has_path(&report, "src/app.py"));
    assert!(!has_path(&report, &f.init));
}

#[test]
fn history_unknown_revision_fails() {
    let f = Fixture::build();
    for args in [
        ["--range", "no-such-ref..main"],
        ["--since-commit", "0123456789abcdef0123456789abcdef01234567"],
        ["--ref", "refs/heads/missing"],
    ] {
        let output = tightlip_in(
            f.repo.path(),
            &["history", "--format", "json", args[0], args[1]],
        );
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(args[1].split("..").next().unwrap()),
            "{stderr}"
        );
    }
}

#[test]
fn history_not_a_repository_fails() {
    let dir = tempfile::tempdir().unwrap();
    let output = tightlip_in(dir.path(), &["history", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a git repository"));
}

#[test]
fn history_clean_repository_exits_zero() {
    let repo = TempRepo::new();
    repo.write("a.txt", "nothing to see\n");
    repo.commit_all("init");
    let output = repo.tightlip(&["history", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let report = json_of(&output);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["stats"]["blobs_scanned"], 1);
    assert_eq!(report["stats"]["commits"], 1);
}

#[test]
fn history_empty_repository_is_clean() {
    let repo = TempRepo::new();
    let output = repo.tightlip(&["history", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Builds a source repository with a secret in its first commit and three
/// more commits, and clones it with `--depth=1`.
fn shallow_clone() -> (TempRepo, tempfile::TempDir, String) {
    let source = TempRepo::new();
    source.write("t.txt", format!("token = \"{TOKEN_TWICE}\"\n"));
    let first = source.commit_all("a");
    for i in 1..=3 {
        source.write("n.txt", "n\n".repeat(i));
        source.commit_all(&format!("n{i}"));
    }
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", source.path().display());
    common::git_in(
        parent.path(),
        &["clone", "-q", "--depth=1", &url, "shallow"],
    );
    (source, parent, first)
}

#[test]
fn history_shallow_reports_boundary_files() {
    let (_source, parent, _) = shallow_clone();
    let clone = parent.path().join("shallow");
    let head = common::git_in(&clone, &["rev-parse", "HEAD"]);
    let output = tightlip_in(&clone, &["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let location = location_at(&report, "t.txt");
    assert_eq!(location["commit"], head.as_str());
    assert_eq!(location["line"], 1);
    assert_eq!(report["stats"]["history_truncated"], true);
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("shallow")),
        "{warnings:?}"
    );
}

#[test]
fn history_shallow_range_outside_fails() {
    let (_source, parent, first) = shallow_clone();
    let clone = parent.path().join("shallow");
    let range = format!("{first}..HEAD");
    let output = tightlip_in(&clone, &["history", "--format", "json", "--range", &range]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&first));
}

#[test]
fn history_partial_clone_reports_missing() {
    let source = TempRepo::new();
    source.git(&["config", "uploadpack.allowFilter", "true"]);
    source.write("old.txt", format!("{KEY_RENAMED}\n"));
    source.commit_all("old");
    source.git(&["rm", "-q", "old.txt"]);
    source.write("new.txt", "clean\n");
    source.commit_all("new");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", source.path().display());
    common::git_in(
        parent.path(),
        &["clone", "-q", "--filter=blob:none", &url, "partial"],
    );
    let clone = parent.path().join("partial");

    let output = tightlip_in(&clone, &["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let skipped = report["skipped"].as_array().unwrap();
    let old = skipped
        .iter()
        .find(|s| s["path"] == "old.txt")
        .unwrap_or_else(|| panic!("old.txt not listed as skipped: {report:#}"));
    assert_eq!(old["reason"], "missing_object");
    assert!(
        !skipped.iter().any(|s| s["path"] == "new.txt"),
        "{skipped:?}"
    );
    assert_eq!(report["stats"]["blobs_scanned"], 1);
}

#[test]
fn history_refs_capped_per_location() {
    let repo = TempRepo::new();
    repo.write("key.txt", format!("{KEY_TAGGED}\n"));
    repo.commit_all("key");
    for i in 0..20 {
        repo.git(&["branch", &format!("b{i:02}")]);
    }
    repo.git(&["tag", "v1"]);
    let output = repo.tightlip(&["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let refs = location_at(&report, "key.txt")["refs"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(refs.len(), 16);
    // Branches come first, in name order.
    assert_eq!(refs[0], "refs/heads/b00");
    assert!(
        refs.iter()
            .all(|r| r.as_str().unwrap().starts_with("refs/heads/"))
    );
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("more than 16 refs")),
        "{warnings:?}"
    );
}

#[test]
fn history_older_stash_entry_found() {
    let repo = TempRepo::new();
    repo.write("app.py", "print('hello')\n");
    repo.commit_all("init");
    repo.write(
        "app.py",
        format!("print('hello')\nTOKEN = '{TOKEN_STASH}'\n"),
    );
    repo.git(&["stash", "-q"]);
    let older = repo.git(&["rev-parse", "refs/stash"]);
    repo.write("app.py", "print('bye')\n");
    repo.git(&["stash", "-q"]);

    let output = repo.tightlip(&["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let location = location_at(&report, "app.py");
    assert_eq!(location["commit"], older.as_str());
    assert_eq!(location["line"], 2);
    assert_eq!(location["refs"], serde_json::json!(["refs/stash@{1}"]));
}

#[test]
fn history_detached_head_found() {
    let repo = TempRepo::new();
    repo.write("a.txt", "a\n");
    repo.commit_all("init");
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("b.txt", format!("{KEY_MERGE}\n"));
    let detached = repo.commit_all("detached work");

    let output = repo.tightlip(&["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let location = location_at(&report, "b.txt");
    assert_eq!(location["commit"], detached.as_str());
    assert_eq!(location["refs"], serde_json::json!(["HEAD"]));
    assert_eq!(location["in_head"], true);
}

#[test]
fn history_treeless_clone_warns() {
    let source = TempRepo::new();
    source.git(&["config", "uploadpack.allowFilter", "true"]);
    source.write("dir/old.txt", format!("{KEY_RENAMED}\n"));
    source.commit_all("old");
    source.git(&["rm", "-q", "-r", "dir"]);
    source.write("new.txt", "clean\n");
    source.commit_all("new");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", source.path().display());
    common::git_in(
        parent.path(),
        &["clone", "-q", "--filter=tree:0", &url, "treeless"],
    );
    let clone = parent.path().join("treeless");

    let output = tightlip_in(&clone, &["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("root tree")
                && w.as_str()
                    .unwrap()
                    .contains("missing from this partial clone")),
        "{warnings:?}"
    );
    let skipped = report["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["reason"] == "missing_object"),
        "{skipped:?}"
    );
}

#[test]
fn history_ref_delta_pack() {
    let repo = TempRepo::new();
    let lines: Vec<String> = (0..200)
        .map(|i| format!("line {i} of a long file\n"))
        .collect();
    let mut introduced = String::new();
    for version in 0..10 {
        let mut content = lines.clone();
        content[0] = format!("version {version}\n");
        if version >= 5 {
            content[99] = format!("aws_key = {KEY_MERGE}\n");
        }
        repo.write("big.txt", content.concat());
        let commit = repo.commit_all(&format!("v{version}"));
        if version == 5 {
            introduced = commit;
        }
    }
    // Deltas that name their base by id instead of by offset.
    repo.git(&[
        "-c",
        "repack.useDeltaBaseOffset=false",
        "repack",
        "-a",
        "-d",
        "-f",
        "-q",
    ]);
    let stats = repo.git(&["count-objects", "-v"]);
    assert!(stats.contains("count: 0"), "{stats}");

    let output = repo.tightlip(&["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let locations = findings[0]["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 5, "one location per version: {report:#}");
    assert_eq!(locations[0]["commit"], introduced.as_str());
    assert_eq!(locations[0]["line"], 100);
    assert_eq!(report["stats"]["blobs_scanned"], 10);
}

#[test]
fn history_reads_alternates() {
    let source = TempRepo::new();
    source.write("key.txt", format!("{KEY_TAGGED}\n"));
    let commit = source.commit_all("key");
    let parent = tempfile::tempdir().unwrap();
    let from = source.path().display().to_string();
    common::git_in(
        parent.path(),
        &["clone", "-q", "--shared", &from, "borrower"],
    );
    let clone = parent.path().join("borrower");
    assert!(clone.join(".git/objects/info/alternates").is_file());

    let output = tightlip_in(&clone, &["history", "--format", "json"]);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let location = location_at(&report, "key.txt");
    assert_eq!(location["commit"], commit.as_str());
    let refs = location["refs"].as_array().unwrap();
    assert!(
        refs.iter().any(|r| r == "refs/remotes/origin/main"),
        "{refs:?}"
    );
}

#[test]
fn history_warns_unused_ignore_entry() {
    let repo = TempRepo::new();
    repo.write("a.txt", "hello\n");
    repo.write(".tightlipignore", "0123456789abcdef0123456789abcdef\n");
    repo.commit_all("one");

    let report = json_of(&repo.tightlip(&["history", "--format", "json"]));
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains(".tightlipignore:1")),
        "{warnings:?}"
    );
}
