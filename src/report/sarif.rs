//! SARIF 2.1.0 output for code-scanning services.
//!
//! Each finding becomes one result per location, so a service that shows
//! results inline marks every place the secret appears. Skipped files and
//! warnings become tool execution notifications, so a skipped file is
//! visible in SARIF too.

use std::collections::BTreeMap;
use std::io::{self, Write};

use bstr::ByteSlice;
use serde_json::{Value, json};

use super::WriteOptions;
use crate::finding::{Finding, Report, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Percent-encodes a repository-relative path for a SARIF `uri`: bytes
/// outside the RFC 3986 unreserved set and `/` are written as `%XX`, so
/// non-UTF-8 paths survive.
fn uri_of(path: &[u8]) -> String {
    let mut uri = String::with_capacity(path.len());
    for &byte in path {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn results_of(finding: &Finding, rule_index: usize) -> Vec<Value> {
    finding
        .locations
        .iter()
        .map(|location| {
            // Hygiene problems carry no value, so their message is the description.
            let mut message = if finding.secret.is_empty() {
                finding.description.to_string()
            } else {
                format!("{} ({})", finding.description, finding.preview())
            };
            if let Some(commit) = &location.commit {
                message.push_str(&format!(" introduced in commit {}", commit.id));
            }
            let mut physical = json!({"artifactLocation": {"uri": uri_of(&location.path)}});
            // SARIF regions start at line 1; line 0 marks a whole-file finding.
            if location.line > 0 {
                physical["region"] =
                    json!({"startLine": location.line, "startColumn": location.column.max(1)});
            }
            let mut result = json!({
                "ruleId": &*finding.rule_id,
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": {"text": message},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"tightlipFingerprint/v1": finding.fingerprint},
                "properties": {"severity": finding.severity, "kind": finding.kind}
            });
            if let Some(commit) = &location.commit {
                result["properties"]["commit"] = json!(commit.id);
                result["properties"]["refs"] = json!(location.refs);
            }
            result
        })
        .collect()
}

pub(super) fn write(
    report: &Report,
    _options: &WriteOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut rule_order: BTreeMap<&str, (usize, &Finding)> = BTreeMap::new();
    for finding in &report.findings {
        let next = rule_order.len();
        rule_order
            .entry(&finding.rule_id)
            .or_insert((next, finding));
    }
    let mut rules: Vec<(usize, Value)> = rule_order
        .values()
        .map(|(index, finding)| {
            (
                *index,
                json!({
                    "id": &*finding.rule_id,
                    "shortDescription": {"text": &*finding.description},
                    "defaultConfiguration": {"level": level(finding.severity)}
                }),
            )
        })
        .collect();
    rules.sort_by_key(|(index, _)| *index);

    let results: Vec<Value> = report
        .findings
        .iter()
        .flat_map(|f| results_of(f, rule_order[&*f.rule_id].0))
        .collect();

    let mut notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|skipped| {
            json!({
                "level": "warning",
                "message": {"text": format!("skipped {}: {}", skipped.path.to_str_lossy(), skipped.reason)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri_of(&skipped.path)}}}]
            })
        })
        .collect();
    notifications.extend(
        report
            .warnings
            .iter()
            .map(|w| json!({"level": "warning", "message": {"text": w}})),
    );

    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tightlip",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_iter().map(|(_, rule)| rule).collect::<Vec<_>>()
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications
            }],
            "results": results
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::uri_of;

    #[test]
    fn uri_keeps_plain_paths() {
        assert_eq!(uri_of(b"src/main.rs"), "src/main.rs");
    }

    #[test]
    fn uri_escapes_space_and_bytes() {
        assert_eq!(uri_of(b"a b/caf\xe9"), "a%20b/caf%E9");
    }
}
