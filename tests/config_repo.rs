//! `tightlip config --repo`: configuration roots of a working tree or commit.

mod common;

use common::{TempRepo, json_of};

fn roots(report: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    report["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|root| {
            let secrets = root["secrets_files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect();
            (root["dir"].as_str().unwrap().to_string(), secrets)
        })
        .collect()
}

#[test]
fn repo_view_lists_nested_roots() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write("analysis/datajoint.json", "{}\n");
    repo.write("analysis/.secrets/database.password", "x\n");
    repo.write("analysis/.secrets/notes.txt", "not read by DataJoint\n");
    repo.write(".gitignore", ".secrets/\n");
    repo.commit_all("configs");

    let output = repo.tightlip(&["config", "--repo", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "no committed secrets file");
    let report = json_of(&output);
    assert_eq!(
        roots(&report),
        [
            (String::new(), vec![]),
            (
                "analysis".to_string(),
                vec!["analysis/.secrets/database.password".to_string()]
            ),
        ]
    );
    assert_eq!(report["roots"][0]["shielded"][0], "analysis");
    assert_eq!(report["roots"][1]["secrets_files"][0]["tracked"], false);
}

#[test]
fn repo_view_of_commit_flags_committed_secret() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/database.password", "x\n");
    repo.commit_all("leak");
    repo.git(&["rm", "-q", "--cached", ".secrets/database.password"]);
    repo.write(".gitignore", ".secrets/\n");
    repo.commit_all("untrack");

    let now = repo.tightlip(&["config", "--repo", "--commit", "HEAD", "--format", "json"]);
    assert_eq!(now.status.code(), Some(0));
    assert_eq!(roots(&json_of(&now)), [(String::new(), vec![])]);

    let before = repo.tightlip(&["config", "--repo", "--commit", "HEAD~1", "--format", "json"]);
    assert_eq!(before.status.code(), Some(1));
    assert_eq!(
        roots(&json_of(&before)),
        [(
            String::new(),
            vec![".secrets/database.password".to_string()]
        )]
    );
}

#[test]
fn repo_view_bad_revision_exits_2() {
    let repo = TempRepo::new();
    repo.write("a.txt", "x\n");
    repo.commit_all("one");
    let output = repo.tightlip(&["config", "--repo", "--commit", "no-such-rev"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-rev"), "{stderr}");
}
