//! JSON and JSON Lines output.

use std::io::{self, Write};

use base64::Engine;
use bstr::ByteSlice;
use serde_json::{Map, Value, json};

use super::WriteOptions;
use crate::finding::{Finding, Location, Report, Skipped};

/// Version of the JSON wire format. It changes only when a field is removed
/// or changes meaning; new fields may appear without a change.
pub const SCHEMA_VERSION: u32 = 1;

/// Builds the whole report as one JSON value.
pub fn report_json(report: &Report, show_secrets: bool) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| finding_json(f, show_secrets))
        .collect();
    let skipped: Vec<Value> = report.skipped.iter().map(skipped_json).collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "tightlip", "version": env!("CARGO_PKG_VERSION")},
        "command": report.command,
        "findings": findings,
        "skipped": skipped,
        "warnings": report.warnings,
        "stats": report.stats,
    })
}

pub(super) fn write(
    report: &Report,
    options: &WriteOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let value = report_json(report, options.show_secrets);
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// Writes one object per line: each finding (`"type": "finding"`), each
/// skipped entry (`"type": "skipped"`), then one `"type": "summary"` line
/// with the warnings and stats.
pub(super) fn write_lines(
    report: &Report,
    options: &WriteOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for finding in &report.findings {
        let mut value = finding_json(finding, options.show_secrets);
        tag(&mut value, "finding");
        serde_json::to_writer(&mut *out, &value)?;
        writeln!(out)?;
    }
    for skipped in &report.skipped {
        let mut value = skipped_json(skipped);
        tag(&mut value, "skipped");
        serde_json::to_writer(&mut *out, &value)?;
        writeln!(out)?;
    }
    let summary = json!({
        "type": "summary",
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "findings": report.findings.len(),
        "warnings": report.warnings,
        "stats": report.stats,
    });
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out)
}

fn tag(value: &mut Value, kind: &str) {
    if let Value::Object(map) = value {
        map.insert("type".into(), Value::String(kind.into()));
    }
}

fn finding_json(finding: &Finding, show_secrets: bool) -> Value {
    let first = &finding.locations[0];
    let mut map = Map::new();
    map.insert("rule_id".into(), json!(&*finding.rule_id));
    map.insert("description".into(), json!(&*finding.description));
    map.insert("severity".into(), json!(finding.severity));
    map.insert("kind".into(), json!(finding.kind));
    location_fields(first, &mut map);
    map.insert("redacted".into(), json!(finding.preview()));
    map.insert("fingerprint".into(), json!(finding.fingerprint));
    map.insert("effective_config".into(), json!(finding.effective_config));
    if show_secrets {
        let value = finding.secret.reveal();
        map.insert("secret".into(), json!(value.to_str_lossy()));
        if value.to_str().is_err() {
            map.insert(
                "secret_bytes".into(),
                json!(base64::engine::general_purpose::STANDARD.encode(value)),
            );
        }
    }
    let locations: Vec<Value> = finding
        .locations
        .iter()
        .map(|location| {
            let mut map = Map::new();
            location_fields(location, &mut map);
            Value::Object(map)
        })
        .collect();
    map.insert("locations".into(), Value::Array(locations));
    Value::Object(map)
}

fn location_fields(location: &Location, map: &mut Map<String, Value>) {
    path_fields(&location.path, map);
    map.insert("line".into(), json!(location.line));
    map.insert("column".into(), json!(location.column));
    match &location.commit {
        Some(commit) => {
            map.insert("commit".into(), json!(commit.id));
            map.insert("author".into(), json!(commit.author));
            map.insert("email".into(), json!(commit.email));
            map.insert("date".into(), json!(commit.date));
        }
        None => {
            map.insert("commit".into(), Value::Null);
        }
    }
    map.insert("blob".into(), json!(location.blob));
    // History locations list their refs, including content that a ref
    // reaches without a commit (a tag of a tree or blob).
    if location.commit.is_some() || !location.refs.is_empty() {
        map.insert("refs".into(), json!(location.refs));
    }
    if let Some(in_head) = location.in_head {
        map.insert("in_head".into(), json!(in_head));
    }
}

fn path_fields(path: &[u8], map: &mut Map<String, Value>) {
    map.insert("path".into(), json!(path.to_str_lossy()));
    if path.to_str().is_err() {
        map.insert(
            "path_bytes".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(path)),
        );
    }
}

fn skipped_json(skipped: &Skipped) -> Value {
    let mut map = Map::new();
    path_fields(&skipped.path, &mut map);
    map.insert("blob".into(), json!(skipped.blob));
    map.insert("commit".into(), json!(skipped.commit));
    if let Value::Object(reason) = json!(skipped.reason) {
        map.extend(reason);
    }
    Value::Object(map)
}
