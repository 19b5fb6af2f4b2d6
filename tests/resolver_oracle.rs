//! Differential test of the resolver against the real datajoint 2.3.5.
//!
//! Set `TIGHTLIP_DJ_PYTHON` to a Python that has `datajoint==2.3.5`
//! (`.ci/setup-datajoint.sh` creates one). Without it the test prints why
//! it skipped and passes; with it set but unusable, the test fails.

mod resolver_fixtures;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use resolver_fixtures::{Case, fixture_cases, generated_cases};
use serde_json::{Value, json};
use tightlip::resolver::{
    self, PyValue, ResolveOptions, pyvalue::parse_json, schema::redact_input_values,
};

const GENERATED_SEED: u64 = 0x7469_6768_746c_6970;
const GENERATED_COUNT: usize = 600;

fn oracle_python() -> Option<PathBuf> {
    match std::env::var_os("TIGHTLIP_DJ_PYTHON") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => None,
    }
}

fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/dj_resolve.py")
}

/// Runs the oracle once over all cases and returns one parsed result per
/// case.
fn ask_oracle(python: &Path, cases: &[Case]) -> Vec<PyValue> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({
                "cwd": c.cwd,
                "env": c.env,
                "system_secrets_dir": c.system_secrets_dir,
            })
        })
        .collect();
    let mut child = Command::new(python)
        .arg(oracle_script())
        .env_clear()
        .env("LANG", "C.UTF-8")
        .env("PYTHONUTF8", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("TIGHTLIP_DJ_PYTHON={} cannot run: {e}", python.display()));
    let payload = serde_json::to_vec(&input).unwrap();
    child.stdin.take().unwrap().write_all(&payload).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "oracle failed with {}; is datajoint==2.3.5 installed for {}? stderr:\n{}",
        output.status,
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("oracle output is UTF-8");
    let answers: Vec<PyValue> = text
        .lines()
        .map(|line| parse_json(line).expect("oracle prints one JSON object per line"))
        .collect();
    assert_eq!(
        answers.len(),
        cases.len(),
        "oracle answered a different number of cases"
    );
    answers
}

fn path_text(path: Option<&Path>) -> Value {
    path.map_or(Value::Null, |p| Value::String(p.display().to_string()))
}

/// Renders the resolver's result in the oracle's shape.
fn ours(case: &Case) -> Value {
    let options = ResolveOptions {
        start_dir: case.cwd.clone(),
        env: case.env.clone(),
        system_secrets_dir: case.system_secrets_dir.clone(),
    };
    let r = resolver::resolve(&options).expect("start directory exists");
    let values = if r.error.is_none() {
        let pairs: Vec<Value> = r
            .values
            .iter()
            .map(|(k, v)| json!([k, v.value.to_json()]))
            .collect();
        Value::Array(pairs)
    } else {
        Value::Null
    };
    json!({
        "config_file": path_text(r.config_file.as_deref()),
        "secrets_dir": path_text(r.secrets_dir.as_deref()),
        "files_read": r.files_read.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "error": r.error.as_ref().map(|e| json!({"type": e.kind, "message": e.message})),
        "values": values,
        "warnings": r.warnings,
    })
}

/// Renders an oracle result in the same shape, keeping dict order.
fn theirs(answer: &PyValue) -> Value {
    let dict = answer.as_dict().expect("oracle answer is an object");
    let field = |name: &str| dict.get(name).expect("oracle answer field").to_json();
    let values = match dict.get("values") {
        Some(PyValue::Dict(values)) => Value::Array(
            values
                .iter()
                .map(|(k, v)| json!([k, v.to_json()]))
                .collect(),
        ),
        _ => Value::Null,
    };
    json!({
        "config_file": field("config_file"),
        "secrets_dir": field("secrets_dir"),
        "files_read": field("files_read"),
        "error": field("error"),
        "values": values,
        "warnings": field("warnings"),
    })
}

#[test]
fn resolver_agrees_with_datajoint() {
    let Some(python) = oracle_python() else {
        println!(
            "skipped: TIGHTLIP_DJ_PYTHON is not set (run .ci/setup-datajoint.sh to create a Python with datajoint==2.3.5)"
        );
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let root_path = std::fs::canonicalize(root.path()).unwrap();
    let mut cases = fixture_cases(&root_path.join("fixtures"));
    let fixtures = cases.len();
    cases.extend(generated_cases(
        &root_path.join("generated"),
        GENERATED_SEED,
        GENERATED_COUNT,
    ));

    let answers = ask_oracle(&python, &cases);
    let mut agreed = 0;
    let mut failures = Vec::new();
    let mut oracle_errors = 0;
    let mut with_config = 0;
    let mut with_secrets = 0;
    let mut load_failures = 0;
    for (case, answer) in cases.iter().zip(&answers) {
        let expected = theirs(answer);
        let actual = ours(case);
        if !expected["error"].is_null() {
            oracle_errors += 1;
        }
        if !expected["config_file"].is_null() {
            with_config += 1;
        }
        if !expected["secrets_dir"].is_null() {
            with_secrets += 1;
        }
        if expected["warnings"]
            .to_string()
            .contains("Failed to load config")
        {
            load_failures += 1;
        }
        if expected == actual {
            agreed += 1;
        } else {
            failures.push(format!(
                "{} (cwd {}, env {:?}):\n  datajoint: {}\n  tightlip:  {}",
                case.name,
                case.cwd.display(),
                case.env,
                expected,
                actual
            ));
        }
    }
    println!(
        "resolver agrees with datajoint 2.3.5 on {agreed} of {} cases ({fixtures} fixtures, {GENERATED_COUNT} generated; {with_config} found a datajoint.json, {with_secrets} read a secrets directory, {load_failures} warned that datajoint.json failed to load, {oracle_errors} failed the import)",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn resolver_deep_json_agrees() {
    let Some(python) = oracle_python() else {
        println!("skipped: TIGHTLIP_DJ_PYTHON is not set");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let root_path = std::fs::canonicalize(root.path()).unwrap();
    let no_system_secrets = root_path.join("none");
    let depth = 100_000;
    let configs = [
        (
            "arrays_100000",
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        ),
        (
            "objects_100000",
            format!("{}1{}", "{\"a\": ".repeat(depth), "}".repeat(depth)),
        ),
        (
            "arrays_500",
            format!("{}{}", "[".repeat(500), "]".repeat(500)),
        ),
        ("numeric_password", "987654321012".to_string()),
    ];
    let cases: Vec<Case> = configs
        .iter()
        .map(|(name, inner)| {
            let dir = root_path.join(name);
            std::fs::create_dir_all(dir.join(".git")).unwrap();
            let text = format!("{{\"database.host\": \"db\", \"database.password\": {inner}}}");
            std::fs::write(dir.join("datajoint.json"), text).unwrap();
            Case {
                name: name.to_string(),
                cwd: dir,
                env: Default::default(),
                system_secrets_dir: no_system_secrets.clone(),
            }
        })
        .collect();

    let answers = ask_oracle(&python, &cases);
    for (case, answer) in cases.iter().zip(&answers) {
        let expected = theirs(answer);
        let actual = ours(case);
        assert_eq!(expected, actual, "{}", case.name);
        // Redaction keeps everything but the quoted input value.
        let redacted = |value: &Value| -> Vec<String> {
            value["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| redact_input_values(w.as_str().unwrap()))
                .collect()
        };
        assert_eq!(redacted(&expected), redacted(&actual), "{}", case.name);
    }
    let warnings = theirs(&answers[0])["warnings"].to_string();
    assert!(
        warnings.contains("maximum recursion depth exceeded"),
        "{warnings}"
    );
}
