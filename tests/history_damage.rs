//! `tightlip history` on damaged repositories: missing and corrupt objects,
//! broken refs, SHA-256 object ids, and submodule entries. A scan that could
//! not read part of history must exit 2 or list what it skipped, never call
//! the repository clean.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use common::{TempRepo, json_of};
use serde_json::Value;

// Synthetic credentials in the shapes the rules look for.
const TOKEN: &str = "ghp_4VOhssDiTEzeLKLaVsHkJGEUgHceoJ3T5EPa";
const KEY: &str = "AKIAQ7N4WJ3ZHPX2M5RT";

fn loose_object_path(repo: &TempRepo, id: &str) -> PathBuf {
    repo.path()
        .join(".git/objects")
        .join(&id[..2])
        .join(&id[2..])
}

/// Makes a loose object file writable (git writes them read-only).
fn make_writable(path: &PathBuf) {
    let mut permissions = std::fs::metadata(path).expect("stat").permissions();
    permissions.set_mode(0o644);
    std::fs::set_permissions(path, permissions).expect("chmod");
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn skipped_with_reason<'a>(report: &'a Value, reason: &str) -> Vec<&'a Value> {
    report["skipped"]
        .as_array()
        .expect("skipped array")
        .iter()
        .filter(|entry| entry["reason"] == reason)
        .collect()
}

#[test]
fn missing_blob_fails() {
    let repo = TempRepo::new();
    repo.write("a.py", format!("token = \"{TOKEN}\"\n"));
    repo.commit_all("one");
    let blob = repo.git(&["rev-parse", "HEAD:a.py"]);
    std::fs::remove_file(loose_object_path(&repo, &blob)).expect("remove blob");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains(&blob), "blob id not named: {stderr}");
    assert!(stderr.contains("git fsck"), "no advice: {stderr}");
}

#[test]
fn missing_root_tree_names_tree_and_commit() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    let commit = repo.commit_all("one");
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    std::fs::remove_file(loose_object_path(&repo, &tree)).expect("remove tree");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains(&tree), "tree id not named: {stderr}");
    assert!(stderr.contains(&commit), "commit not named: {stderr}");
    assert!(!stderr.contains("slot"), "internal wording: {stderr}");
}

#[test]
fn missing_subtree_fails() {
    let repo = TempRepo::new();
    repo.write("dir/a.txt", "x\n");
    repo.commit_all("one");
    let tree = repo.git(&["rev-parse", "HEAD:dir"]);
    std::fs::remove_file(loose_object_path(&repo, &tree)).expect("remove tree");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains(&tree));
}

#[test]
fn ref_to_missing_object_fails() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    repo.commit_all("one");
    let absent = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(
        repo.path().join(".git/refs/heads/broken"),
        format!("{absent}\n"),
    )
    .expect("write ref");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("refs/heads/broken"), "{stderr}");
    assert!(stderr.contains(absent), "{stderr}");
}

#[test]
fn symbolic_ref_cycle_fails() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    repo.commit_all("one");
    let heads = repo.path().join(".git/refs/heads");
    std::fs::write(heads.join("loop-a"), "ref: refs/heads/loop-b\n").expect("write ref");
    std::fs::write(heads.join("loop-b"), "ref: refs/heads/loop-a\n").expect("write ref");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("loop-"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn missing_parent_fails() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    let first = repo.commit_all("one");
    repo.write("b.txt", "y\n");
    repo.commit_all("two");
    std::fs::remove_file(loose_object_path(&repo, &first)).expect("remove commit");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains(&first));
}

#[test]
fn substituted_loose_blob_is_corrupt() {
    let repo = TempRepo::new();
    repo.write("a.py", format!("token = \"{TOKEN}\"\n"));
    repo.commit_all("one");
    let secret_blob = repo.git(&["rev-parse", "HEAD:a.py"]);
    repo.write("harmless.txt", "nothing here\n");
    let harmless_blob = repo.git(&["hash-object", "-w", "harmless.txt"]);
    std::fs::remove_file(repo.path().join("harmless.txt")).expect("remove file");
    let target = loose_object_path(&repo, &secret_blob);
    make_writable(&target);
    std::fs::copy(loose_object_path(&repo, &harmless_blob), &target).expect("copy object");

    let output = repo.tightlip(&["--format", "json", "history", "."]);
    let report = json_of(&output);

    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let corrupt = skipped_with_reason(&report, "corrupt_object");
    assert_eq!(corrupt.len(), 1, "{report:#}");
    assert_eq!(corrupt[0]["path"], "a.py");
    assert_eq!(corrupt[0]["blob"], secret_blob.as_str());
    let warnings = report["warnings"].as_array().expect("warnings");
    let about_blob = warnings
        .iter()
        .filter(|w| w.as_str().unwrap_or("").contains(&secret_blob))
        .count();
    assert_eq!(about_blob, 1, "{warnings:?}");
}

#[test]
fn truncated_loose_blob_is_corrupt() {
    let repo = TempRepo::new();
    repo.write(
        "a.py",
        format!("key = \"{KEY}\"\n{}", "filler line\n".repeat(50)),
    );
    repo.commit_all("one");
    let blob = repo.git(&["rev-parse", "HEAD:a.py"]);
    let path = loose_object_path(&repo, &blob);
    make_writable(&path);
    let bytes = std::fs::read(&path).expect("read object");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate object");

    let output = repo.tightlip(&["--format", "json", "history", "."]);
    let report = json_of(&output);

    let corrupt = skipped_with_reason(&report, "corrupt_object");
    assert_eq!(corrupt.len(), 1, "{report:#}");
    assert_eq!(corrupt[0]["path"], "a.py");
    assert!(skipped_with_reason(&report, "missing_object").is_empty());
    let warnings = report["warnings"].as_array().expect("warnings");
    let about_blob = warnings
        .iter()
        .filter(|w| w.as_str().unwrap_or("").contains(&blob))
        .count();
    assert_eq!(about_blob, 1, "{warnings:?}");
    let stderr = stderr_of(&output);
    assert_eq!(stderr.matches(&blob).count(), 0, "logged again: {stderr}");
}

/// Computes the Adler-32 checksum that ends a zlib stream.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[test]
fn corrupt_pack_entry_not_scanned() {
    let repo = TempRepo::new();
    let mut content = format!("key = \"{KEY}\"\n{}", "filler line\n".repeat(400)).into_bytes();
    repo.write("a.py", &content);
    repo.commit_all("one");
    let blob = repo.git(&["rev-parse", "HEAD:a.py"]);
    // Without compression, zlib stores the file's bytes as they are. The
    // test changes some of them and fixes the stream's Adler-32, so the
    // entry inflates cleanly to other content with the key intact. Only the
    // CRC32 check of the pack index can tell.
    repo.git(&["-c", "pack.compression=0", "repack", "-q", "-a", "-d", "-F"]);
    repo.git(&["prune"]);
    let pack = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .expect("pack dir")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.extension().is_some_and(|ext| ext == "pack"))
        .expect("a pack");
    make_writable(&pack);
    let mut bytes = std::fs::read(&pack).expect("read pack");
    let start = bytes
        .windows(content.len())
        .position(|window| window == content.as_slice())
        .expect("stored content in the pack");
    let middle = content.len() / 2;
    for position in middle..middle + 8 {
        content[position] ^= 0x01;
        bytes[start + position] ^= 0x01;
    }
    // A single stored block: the Adler-32 follows the data directly.
    let trailer = start + content.len();
    bytes[trailer..trailer + 4].copy_from_slice(&adler32(&content).to_be_bytes());
    std::fs::write(&pack, bytes).expect("write pack");

    let output = repo.tightlip(&["--format", "json", "history", "."]);
    let report = json_of(&output);

    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let corrupt = skipped_with_reason(&report, "corrupt_object");
    assert_eq!(corrupt.len(), 1, "{report:#}");
    assert_eq!(corrupt[0]["blob"], blob.as_str());
    assert!(
        report["findings"].as_array().expect("findings").is_empty(),
        "corrupt bytes were scanned: {report:#}"
    );
}

#[test]
fn sha256_repository_unsupported() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::git_in(dir.path(), &["init", "-q", "--object-format=sha256", "r"]);
    let repo = dir.path().join("r");

    let output = common::tightlip_in(&repo, &["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("SHA-256 repositories are not supported"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn submodule_listed_as_skipped() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    repo.commit_all("one");
    let first = "1111111111111111111111111111111111111111";
    let second = "2222222222222222222222222222222222222222";
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{first},vendor/lib"),
    ]);
    repo.git(&["commit", "-qm", "add submodule"]);
    repo.write("b.txt", "y\n");
    repo.git(&["add", "b.txt"]);
    repo.git(&["commit", "-qm", "unrelated change"]);
    repo.git(&[
        "update-index",
        "--cacheinfo",
        &format!("160000,{second},vendor/lib"),
    ]);
    repo.git(&["commit", "-qm", "bump submodule"]);

    let output = repo.tightlip(&["--format", "json", "history", "."]);
    let report = json_of(&output);

    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let submodules = skipped_with_reason(&report, "submodule");
    let mut ids: Vec<&str> = submodules
        .iter()
        .map(|entry| entry["blob"].as_str().expect("gitlink id"))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [first, second], "{report:#}");
    assert!(submodules.iter().all(|entry| entry["path"] == "vendor/lib"));
}

/// Writes a tree from `git ls-tree` style lines and returns its id.
fn make_tree(repo: &TempRepo, listing: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .arg("mktree")
        .current_dir(repo.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run git mktree");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(listing.as_bytes())
        .expect("write listing");
    let output = child.wait_with_output().expect("git mktree");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn refs_to_tree_and_blob_scanned() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    repo.commit_all("one");
    repo.write("key.txt", format!("key = \"{KEY}\"\n"));
    let blob = repo.git(&["hash-object", "-w", "key.txt"]);
    std::fs::remove_file(repo.path().join("key.txt")).expect("remove file");
    repo.git(&["tag", "key-blob", &blob]);
    let inner = make_tree(&repo, &format!("100644 blob {blob}\tkey.txt\n"));
    let outer = make_tree(&repo, &format!("040000 tree {inner}\tconfig\n"));
    repo.git(&["tag", "-a", "-m", "a tree", "key-tree", &outer]);

    let output = repo.tightlip(&["--format", "json", "history", "."]);
    let report = json_of(&output);

    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    let locations = findings[0]["locations"].as_array().expect("locations");
    let places: Vec<(&str, &str)> = locations
        .iter()
        .map(|l| (l["path"].as_str().unwrap(), l["refs"][0].as_str().unwrap()))
        .collect();
    assert!(
        places.contains(&("refs/tags/key-blob", "refs/tags/key-blob")),
        "{places:?}"
    );
    assert!(
        places.contains(&("config/key.txt", "refs/tags/key-tree")),
        "{places:?}"
    );
}

#[test]
fn sha256_staged_and_pre_push_unsupported() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::git_in(dir.path(), &["init", "-q", "--object-format=sha256", "r"]);
    let repo = dir.path().join("r");

    for args in [
        &["staged", "."][..],
        &["pre-push", "origin", "file:///x"][..],
    ] {
        let output = common::tightlip_with_input(&repo, args, b"", &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr_of(&output).contains("SHA-256 repositories are not supported"),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
}

#[test]
fn dangling_symbolic_ref_warns() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    repo.commit_all("one");
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/gone",
    ]);

    let output = repo.tightlip(&["--format", "json", "history", "."]);
    let report = json_of(&output);

    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let warnings = report["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap_or("")
            .contains("refs/remotes/origin/HEAD")),
        "{warnings:?}"
    );
}

#[test]
fn missing_tip_commit_named() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    let commit = repo.commit_all("one");
    std::fs::remove_file(loose_object_path(&repo, &commit)).expect("remove commit");

    let output = repo.tightlip(&["history", "."]);

    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("points to {commit}, which is missing")),
        "{stderr}"
    );
    assert!(stderr.contains("git fsck"), "{stderr}");
}
