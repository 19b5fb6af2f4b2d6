//! `tightlip config` and the repository view of effective configuration,
//! on real git repositories.

mod common;

use std::path::Path;

use common::{TempRepo, json_of};
use tightlip::resolver::{effective_config_files_at, is_effective_config_path};

/// Runs `tightlip config` in the repository with no inherited environment
/// and a system secrets directory that does not exist.
fn config(repo: &TempRepo, extra: &[&str]) -> std::process::Output {
    let missing = repo.path().join("no-system-secrets");
    let mut args = vec![
        "config",
        "--no-env",
        "--system-secrets-dir",
        missing.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    repo.tightlip(&args)
}

fn project() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".secrets/\n");
    repo.write(
        "datajoint.json",
        r#"{"database": {"host": "db.lab.example", "password": "file-password-123"}, "stores": {"main": {"protocol": "s3"}}}"#,
    );
    repo.commit_all("init");
    repo.write(".secrets/database.user", "secret-user\n");
    repo.write(".secrets/stores.main.secret_key", "SECRETKEY123\n");
    repo
}

fn canonical(repo: &TempRepo, rel: &str) -> String {
    std::fs::canonicalize(repo.path())
        .unwrap()
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn config_json_names_sources() {
    let repo = project();
    let output = config(&repo, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("file-password-123"),
        "password printed: {stdout}"
    );
    assert!(!stdout.contains("SECRETKEY123"), "key printed: {stdout}");
    let report = json_of(&output);
    assert_eq!(report["config_file"], canonical(&repo, "datajoint.json"));
    assert_eq!(report["secrets_dir"], canonical(&repo, ".secrets"));
    assert_eq!(report["error"], serde_json::Value::Null);
    let read: Vec<&str> = report["files_read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(read[0], canonical(&repo, "datajoint.json"));
    assert_eq!(read[1], canonical(&repo, ".secrets/database.user"));
    let values = &report["values"];
    assert_eq!(values["database.password"]["source"]["kind"], "file");
    assert_eq!(
        values["database.password"]["source"]["key"],
        "database.password"
    );
    assert_eq!(values["database.user"]["source"]["kind"], "secrets_file");
    assert_eq!(
        values["stores.main.secret_key"]["source"]["kind"],
        "secrets_file"
    );
    assert_eq!(values["database.port"]["source"]["kind"], "backend_default");
    assert!(values["database.password"].get("value").is_none());
    let files = report["files"].as_array().unwrap();
    assert_eq!(files[0]["git"], "tracked");
    assert_eq!(files[1]["git"], "ignored");
    assert_eq!(files[1]["used"], true);

    // With DJ_USER set, the secrets file is still read but not used.
    let env_file = repo.write("user.env", "DJ_USER=env-user\n");
    let output = config(
        &repo,
        &["--format", "json", "--env-file", env_file.to_str().unwrap()],
    );
    let report = json_of(&output);
    assert_eq!(
        report["files"][1]["path"],
        canonical(&repo, ".secrets/database.user")
    );
    assert_eq!(report["files"][1]["used"], false);
}

#[test]
fn config_show_secrets_prints_values() {
    let repo = project();
    let output = config(&repo, &["--format", "json", "--show-secrets"]);
    let report = json_of(&output);
    assert_eq!(
        report["values"]["database.password"]["value"],
        "file-password-123"
    );
    assert_eq!(
        report["values"]["stores.main.secret_key"]["value"],
        "SECRETKEY123"
    );
}

#[test]
fn config_env_file_guard_and_error() {
    let repo = project();
    let env_file = repo.write(
        "outside.env",
        "export DJ_PASS='from-env'\n# comment\nDJ_HOST=\n",
    );
    let output = config(
        &repo,
        &["--format", "json", "--env-file", env_file.to_str().unwrap()],
    );
    let report = json_of(&output);
    assert_eq!(
        report["values"]["database.password"]["source"]["variable"],
        "DJ_PASS"
    );
    // An empty DJ_HOST does not guard the key, so the file's host wins.
    assert_eq!(report["values"]["database.host"]["source"]["kind"], "file");

    let bad = repo.write("bad.env", "DJ_STORES={not-json\n");
    let output = config(
        &repo,
        &["--format", "json", "--env-file", bad.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(report["error"]["type"], "ValueError");
    assert_eq!(
        report["error"]["message"],
        "DJ_STORES contains invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    );
}

#[test]
fn config_flags_tracked_secret() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/stores.uc.token", "tok-123\n");
    repo.commit_all("tracked secret");
    let output = config(&repo, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("stores.uc.token  [git: tracked]  <- TRACKED BY GIT"),
        "{stdout}"
    );
    assert!(!stdout.contains("tok-123"), "{stdout}");
}

#[test]
fn config_lists_files_not_read() {
    let repo = project();
    repo.write(".secrets/datajoint.json", "{}\n");
    repo.write(".secrets/database.host", "h\n");
    repo.write("config/dj_local_conf.json", "{}\n");
    repo.write("analysis/.secrets/database.password", "pw\n");
    repo.git(&["add", "-f", "config", "analysis"]);
    let output = config(&repo, &["--format", "json"]);
    let report = json_of(&output);
    let not_read: Vec<(String, String)> = report["not_read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().to_string(),
                n["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason_of = |rel: &str| {
        let path = canonical(&repo, rel);
        not_read
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{rel} not listed in {not_read:?}"))
    };
    assert!(reason_of(".secrets/datajoint.json").contains("reads only database.user"));
    assert!(reason_of(".secrets/database.host").contains("reads only database.user"));
    assert!(reason_of("config/dj_local_conf.json").contains("0.14"));
    assert!(reason_of("analysis/.secrets").contains("no datajoint.json sits beside"));
}

#[test]
fn config_reports_import_error_in_human_output() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", r#"{"stores": {"default": "main"}}"#);
    repo.write(".secrets/stores.default.zz", "x\n");
    let output = config(&repo, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("`import datajoint` would fail with TypeError"),
        "{stdout}"
    );
    assert!(
        stdout.contains("'str' object does not support item assignment"),
        "{stdout}"
    );
}

#[test]
fn config_bad_env_file_fails() {
    let repo = project();
    let env_file = repo.write("broken.env", "DJ_PASS=ok\nnot a pair\n");
    let output = config(&repo, &["--env-file", env_file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.env:2: expected KEY=VALUE"),
        "{stderr}"
    );
    let output = config(&repo, &["--env-file", "/nonexistent/x.env"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn effective_config_from_git_listing() {
    let repo = TempRepo::new();
    repo.write("datajoint.json", "{}\n");
    repo.write(".secrets/database.password", "pw\n");
    repo.write(".secrets/notes.txt", "n\n");
    repo.write("lab/datajoint.json", "{}\n");
    repo.write("lab/.secrets/stores.main.token", "t\n");
    repo.write("docs/.secrets/database.password", "pw\n");
    repo.commit_all("configs");
    let nested = repo.path().join("vendor/tool");
    std::fs::create_dir_all(&nested).unwrap();
    common::git_in(&nested, &["init", "-q"]);
    repo.write("vendor/tool/datajoint.json.example", "{}\n");

    let listing = repo.git(&["ls-files"]);
    let paths: Vec<&str> = listing.lines().collect();
    let configs = effective_config_files_at(Path::new(repo.path()), &paths);
    assert_eq!(configs.len(), 2);
    assert_eq!(configs[0].config_file, "datajoint.json");
    assert!(configs[0].serves(b"docs"));
    assert!(!configs[0].serves(b"lab/sub"));
    assert!(configs[1].serves(b"lab/sub"));
    assert!(
        !configs[0].serves(b"vendor/tool"),
        "a nested repository is a boundary"
    );
    assert!(configs[0].serves(b"vendor"));
    assert!(is_effective_config_path(
        &paths,
        b".secrets/database.password"
    ));
    assert!(is_effective_config_path(
        &paths,
        b"lab/.secrets/stores.main.token"
    ));
    assert!(!is_effective_config_path(&paths, b".secrets/notes.txt"));
    assert!(!is_effective_config_path(
        &paths,
        b"docs/.secrets/database.password"
    ));
}

fn all_output(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn config_env_file_error_hides_line() {
    let repo = project();
    let bare = repo.write("odd.env", "DJ_USER=alice\nBareSecretValue8817\n");
    let output = config(&repo, &["--env-file", bare.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = all_output(&output);
    assert!(text.contains("odd.env:2: expected KEY=VALUE"), "{text}");
    assert!(!text.contains("BareSecretValue8817"), "{text}");

    let unclosed = repo.write(
        "open.env",
        "DJ_USER=alice\nDJ_PASS=\"FirstHalf4411\nSecondHalf4412\n",
    );
    let output = config(&repo, &["--env-file", unclosed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = all_output(&output);
    assert!(
        text.contains("open.env:2: the value opened with \""),
        "{text}"
    );
    assert!(!text.contains("FirstHalf4411"), "{text}");
    assert!(!text.contains("SecondHalf4412"), "{text}");
}

#[test]
fn config_env_file_multiline_value() {
    let repo = project();
    let env_file = repo.write("multi.env", "DJ_PASS=\"FirstHalf4411\nSecondHalf4412\"\n");
    let path = env_file.to_str().unwrap();

    let output = config(&repo, &["--env-file", path]);
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert!(!all_output(&output).contains("SecondHalf4412"));

    let output = config(
        &repo,
        &["--format", "json", "--show-secrets", "--env-file", path],
    );
    let report = json_of(&output);
    assert_eq!(
        report["values"]["database.password"]["value"],
        "FirstHalf4411\nSecondHalf4412"
    );
}

#[test]
fn config_env_file_dotenv_syntax() {
    let repo = project();
    let env_file = repo.write(
        "dotenv.env",
        "DJ_PASS='single # kept' # note\n\
         DJ_USER=\"say \\\"hi\\\"\"  # note\n\
         export DJ_HOST=db.example # note\n\
         DJ_PORT=33#06\n",
    );
    let output = config(
        &repo,
        &[
            "--format",
            "json",
            "--show-secrets",
            "--env-file",
            env_file.to_str().unwrap(),
        ],
    );
    let report = json_of(&output);
    let value = |key: &str| report["values"][key]["value"].clone();
    assert_eq!(value("database.password"), "single # kept");
    assert_eq!(value("database.user"), "say \"hi\"");
    assert_eq!(value("database.host"), "db.example");
    assert_eq!(report["error"]["type"], "ValidationError", "{report}");
}

#[test]
fn config_hides_numeric_password() {
    let repo = TempRepo::new();
    repo.write(
        "datajoint.json",
        "{\"database.user\": \"alice\", \"database.password\": 987654321012}\n",
    );
    for format in ["json", "jsonl", "human"] {
        let output = config(&repo, &["--format", format]);
        let text = all_output(&output);
        assert!(!text.contains("987654321012"), "--format {format}: {text}");
    }
    let output = config(&repo, &["--format", "json"]);
    let report = json_of(&output);
    let warning = report["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("input_value=<redacted>, input_type=int]"),
        "{warning}"
    );

    let output = config(&repo, &["--format", "json", "--show-secrets"]);
    assert!(all_output(&output).contains("input_value=987654321012"));
}

#[test]
fn config_rejects_sarif() {
    let repo = project();
    let output = config(&repo, &["--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not support --format sarif"),
        "{stderr}"
    );
}

#[test]
fn config_deep_json_falls_back() {
    let repo = TempRepo::new();
    let depth = 100_000;
    let nested = format!(
        "{{\"database.host\": \"db\", \"x\": {}{}}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    repo.write("datajoint.json", nested);

    let output = config(&repo, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let report = json_of(&output);
    assert_eq!(report["config_loaded"], false);
    let warning = report["warnings"][0].as_str().unwrap();
    assert!(
        warning.ends_with(
            "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
        ),
        "{warning}"
    );
    assert_eq!(
        report["values"]["database.host"]["redacted"],
        json_of(&config(&TempRepo::new(), &["--format", "json"]))["values"]["database.host"]["redacted"]
    );
}

#[test]
fn config_full_stdout_fails() {
    let repo = project();
    let dev_full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tightlip"))
        .args(["config", "--no-env", "."])
        .current_dir(repo.path())
        .env("RUST_BACKTRACE", "0")
        .stdout(dev_full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn config_describes_fifo() {
    let repo = TempRepo::new();
    let fifo = repo.path().join("datajoint.json");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());

    let output = config(&repo, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("a named pipe (FIFO), not a regular file"),
        "{stdout}"
    );
}

#[test]
fn config_escapes_control_characters() {
    let repo = TempRepo::new();
    let dir = "t\x1b[2Jz";
    repo.write(&format!("{dir}/datajoint.json"), "{}\n");

    let output = config(&repo, &[dir]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(stdout.contains(r"t\u{1b}[2Jz"), "{stdout}");
}

#[test]
fn config_env_file_expands_variables() {
    let repo = project();
    let env_file = repo.write(
        "expand.env",
        "BASE=db\n\
         DJ_HOST=${BASE}.example\n\
         DJ_USER=${UNSET:-guest}\n\
         DJ_PASS='${BASE}x$BASE'\n",
    );
    let output = config(
        &repo,
        &[
            "--format",
            "json",
            "--show-secrets",
            "--env-file",
            env_file.to_str().unwrap(),
        ],
    );
    let report = json_of(&output);
    let value = |key: &str| report["values"][key]["value"].clone();
    assert_eq!(value("database.host"), "db.example");
    assert_eq!(value("database.user"), "guest");
    assert_eq!(value("database.password"), "dbx$BASE");
}

#[test]
fn config_env_file_names_like_dotenv() {
    let repo = project();
    let env_file = repo.write(
        "names.env",
        "my-var.x=1\n'DJ_USER'=quoted-key\nDJ_PASS=pw\n",
    );
    let output = config(
        &repo,
        &[
            "--format",
            "json",
            "--show-secrets",
            "--env-file",
            env_file.to_str().unwrap(),
        ],
    );
    let report = json_of(&output);
    assert_eq!(report["values"]["database.user"]["value"], "quoted-key");
    assert_eq!(report["values"]["database.password"]["value"], "pw");

    let no_name = repo.write("no-name.env", "DJ_USER=a\n=secret-value-9921\n");
    let output = config(&repo, &["--env-file", no_name.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-name.env:2: expected KEY=VALUE"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-value-9921"), "{stderr}");
}

#[test]
fn config_closed_stdout_no_panic() {
    let repo = project();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tightlip"))
        .args(["config", "--no-env", "."])
        .current_dir(repo.path())
        .env("RUST_BACKTRACE", "0")
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}
