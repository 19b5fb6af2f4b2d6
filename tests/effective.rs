//! Findings in files DataJoint reads are marked as effective configuration,
//! and `scan` reports the hygiene problems `check` finds.

mod common;

use common::{TempRepo, json_of};
use serde_json::Value;

const CONFIG: &str = r#"{
  "database": {"host": "db.lab.example", "user": "lab", "password": "Qm3vX9rT2pLw"}
}
"#;

fn finding_at<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path && f["kind"] == "content")
        .unwrap_or_else(|| panic!("no content finding at {path}: {report:#}"))
}

#[test]
fn scan_marks_datajoint_json() {
    let repo = TempRepo::new();
    repo.write("pipeline/datajoint.json", CONFIG);
    repo.write("old/dj_local_conf.json", CONFIG.replace("Qm3v", "Zk8w"));
    repo.commit_all("configs");

    let report = json_of(&repo.tightlip(&["scan", "--format", "json"]));
    let live = finding_at(&report, "pipeline/datajoint.json");
    assert_eq!(live["effective_config"], true);
    assert_eq!(live["severity"], "critical");
    let legacy = finding_at(&report, "old/dj_local_conf.json");
    assert_eq!(legacy["effective_config"], false);
    assert_eq!(legacy["severity"], "high");
}

#[test]
fn history_marks_secrets_file() {
    let repo = TempRepo::new();
    repo.write(
        "datajoint.json",
        "{\"database\": {\"host\": \"db.lab.example\"}}\n",
    );
    repo.write(".secrets/database.password", "Qm3vX9rT2pLw\n");
    repo.write("notes/.secrets/database.password", "Zk8wX9rT2pLw\n");
    repo.commit_all("secrets");

    let report = json_of(&repo.tightlip(&["history", "--format", "json"]));
    let findings = report["findings"].as_array().unwrap();
    let marked: Vec<&str> = findings
        .iter()
        .filter(|f| f["effective_config"] == true)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(marked.contains(&".secrets/database.password"), "{report:#}");
    assert!(
        !marked.contains(&"notes/.secrets/database.password"),
        "{report:#}"
    );
}

#[test]
fn scan_reports_unignored_secrets_dir() {
    let repo = TempRepo::new();
    repo.write(
        "datajoint.json",
        "{\"database\": {\"host\": \"db.lab.example\"}}\n",
    );
    repo.commit_all("config");
    repo.write(".secrets/database.password", "Qm3vX9rT2pLw\n");

    let output = repo.tightlip(&["scan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"hygiene.secrets-dir-not-ignored"), "{ids:?}");
}
