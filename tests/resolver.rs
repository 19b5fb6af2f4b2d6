//! The resolver on the fixture trees, checked against the results
//! datajoint 2.3.5 gave for them, so these checks run without Python.

mod resolver_fixtures;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use resolver_fixtures::{Case, fixture_cases};
use tightlip::resolver::{self, PyValue, Resolution, ResolveOptions, Source};

struct Fixtures {
    _root: tempfile::TempDir,
    root: PathBuf,
    cases: HashMap<String, Case>,
}

fn fixtures() -> Fixtures {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let cases = fixture_cases(&root)
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    Fixtures {
        _root: dir,
        root,
        cases,
    }
}

impl Fixtures {
    fn resolve(&self, name: &str) -> Resolution {
        let case = &self.cases[name];
        resolver::resolve(&ResolveOptions {
            start_dir: case.cwd.clone(),
            env: case.env.clone(),
            system_secrets_dir: case.system_secrets_dir.clone(),
        })
        .unwrap()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap().display().to_string()
    }
}

fn value(r: &Resolution, key: &str) -> PyValue {
    r.get(key)
        .unwrap_or_else(|| panic!("{key} not resolved"))
        .value
        .clone()
}

fn s(v: &str) -> PyValue {
    PyValue::Str(v.to_string())
}

#[test]
fn resolve_walks_to_git_root() {
    let f = fixtures();
    let r = f.resolve("walk_to_git_root");
    assert_eq!(r.config_file, Some(f.path("f1/repo/datajoint.json")));
    assert_eq!(r.secrets_dir, Some(f.path("f1/repo/.secrets")));
    assert_eq!(value(&r, "database.password"), s("s3cr3t-pw"));
    assert_eq!(value(&r, "database.user"), s("fileuser"));
    assert_eq!(value(&r, "stores.extra.token"), s("tok"));
    assert_eq!(value(&r, "stores.main.access_key"), s("AKIAFIXTURE"));
    assert!(
        r.get("database.host")
            .is_some_and(|v| v.value == s("db.example.test"))
    );
    let read: Vec<String> = r.files_read.iter().map(|p| f.rel(p)).collect();
    assert_eq!(read[0], "f1/repo/datajoint.json");
    assert_eq!(read[1], "f1/repo/.secrets/database.password");
    assert_eq!(read.len(), 5, "decoy names are not read: {read:?}");
    assert_eq!(
        r.get("database.password").unwrap().source,
        Source::SecretsFile {
            path: f.path("f1/repo/.secrets/database.password")
        }
    );
    assert!(r.error.is_none());
}

#[test]
fn resolve_stops_at_git() {
    let f = fixtures();
    let r = f.resolve("stop_at_git");
    assert_eq!(r.config_file, None);
    assert_eq!(r.secrets_dir, None);
    assert!(r.files_read.is_empty());
    assert_eq!(value(&r, "database.password"), PyValue::None);
    assert!(r.warnings[0].starts_with("No datajoint.json found."));
}

#[test]
fn resolve_nearest_file_wins() {
    let f = fixtures();
    let r = f.resolve("nearest_file_wins");
    assert_eq!(r.config_file, Some(f.path("f3/outer/inner/datajoint.json")));
    assert_eq!(value(&r, "database.host"), s("inner-host"));
    assert_eq!(value(&r, "database.password"), s("inner-secret"));
    assert!(r.get("stores.o.location").is_none());
}

#[test]
fn resolve_dj_stores_replaces() {
    let f = fixtures();
    let r = f.resolve("dj_stores_replaces");
    assert_eq!(value(&r, "stores.main.bucket"), s("envbucket"));
    assert_eq!(value(&r, "stores.main.secret_key"), s("SK4"));
    assert_eq!(value(&r, "stores.other.secret_key"), s("OTHERSK"));
    assert!(r.get("stores.default").is_none());
    assert_eq!(
        r.get("stores.main.bucket").unwrap().source,
        Source::DjStores
    );
    let r = f.resolve("dj_stores_empty_object");
    assert_eq!(value(&r, "stores.main.bucket"), s("ENVWINS?"));
    assert!(r.get("stores.main.protocol").is_none());
}

#[test]
fn resolve_dj_stores_errors() {
    let f = fixtures();
    let cases = [
        (
            "dj_stores_invalid_json",
            "DJ_STORES contains invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (
            "dj_stores_list",
            "DJ_STORES must be a JSON object, got list",
        ),
        (
            "dj_stores_string",
            "DJ_STORES must be a JSON object, got str",
        ),
    ];
    for (name, message) in cases {
        let r = f.resolve(name);
        let error = r
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no error"));
        assert_eq!(error.kind, "ValueError", "{name}");
        assert_eq!(error.message, message, "{name}");
        assert_eq!(
            r.files_read.len(),
            1,
            "{name}: only datajoint.json was read"
        );
    }
}

#[test]
fn resolve_ignore_flag_values() {
    let f = fixtures();
    let r = f.resolve("ignore_flag_true");
    assert_eq!(r.config_file, None);
    assert_eq!(value(&r, "database.password"), s("envpw"));
    assert_eq!(value(&r, "stores.s.location"), s("/s"));
    assert!(r.files_read.is_empty());
    for name in ["ignore_flag_on", "ignore_flag_lowercase"] {
        assert!(f.resolve(name).files_read.is_empty(), "{name}");
    }
    let r = f.resolve("ignore_flag_zero");
    assert_eq!(value(&r, "database.password"), s("file-pw"));
    assert_eq!(value(&r, "stores.s.secret_key"), s("SK5"));
    for name in ["ignore_flag_empty", "ignore_flag_invalid"] {
        let error = f.resolve(name).error.unwrap();
        assert_eq!(error.kind, "ValidationError");
        assert!(
            error.message.starts_with(
                "1 validation error for Config\nDJ_IGNORE_CONFIG_FILE\n  Input should be a valid boolean, unable to interpret input"
            ),
            "{name}: {}",
            error.message
        );
    }
}

#[test]
fn resolve_env_guards() {
    let f = fixtures();
    let r = f.resolve("env_guard_host_only");
    assert_eq!(value(&r, "database.host"), s("env-host"));
    assert_eq!(value(&r, "database.use_tls"), PyValue::Bool(false));
    assert_eq!(value(&r, "database.reconnect"), PyValue::Bool(false));
    assert_eq!(value(&r, "database.user"), s("file-user"));
    assert_eq!(value(&r, "database.password"), s("secret-pw"));

    let r = f.resolve("env_guard_user_pass");
    assert_eq!(value(&r, "database.password"), s("env-pw"));
    assert_eq!(
        r.get("database.user").unwrap().source,
        Source::Env {
            variable: "DJ_USER".into()
        }
    );
    assert_eq!(r.files_read.len(), 3, "both secret files are still read");

    let r = f.resolve("env_empty_values");
    assert_eq!(value(&r, "database.password"), s(""));
    assert_eq!(value(&r, "database.user"), s("file-user"));

    let r = f.resolve("env_lowercase_names");
    assert_eq!(value(&r, "database.host"), s("file-host"));
    assert_eq!(value(&r, "database.password"), s("lower-pw"));

    let error = f.resolve("env_port_invalid").error.unwrap();
    assert!(
        error
            .message
            .starts_with("1 validation error for DatabaseSettings\nDJ_PORT\n")
    );
}

#[test]
fn resolve_load_failures_warn() {
    let f = fixtures();
    let r = f.resolve("broken_json_secrets_read");
    assert!(!r.config_loaded);
    assert_eq!(value(&r, "database.password"), s("pw8"));
    assert!(r.warnings[0].ends_with(
        "Expecting property name enclosed in double quotes: line 1 column 27 (char 26)"
    ));

    let r = f.resolve("partial_load");
    assert_eq!(value(&r, "database.host"), s("h9"));
    assert_eq!(value(&r, "database.user"), PyValue::None);
    assert!(r.warnings[0].contains("port\n  Input should be a valid integer"));

    let r = f.resolve("config_with_bom");
    assert_eq!(value(&r, "database.host"), s("localhost"));
    assert!(
        r.warnings[0]
            .ends_with("Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)")
    );
}

#[test]
fn resolve_system_secrets_either_or() {
    let f = fixtures();
    let r = f.resolve("system_dir_without_config");
    assert_eq!(r.secrets_dir, Some(f.path("f10/sys")));
    assert_eq!(value(&r, "database.password"), s("sys-pw"));
    let r = f.resolve("system_dir_without_project_secrets");
    assert_eq!(value(&r, "database.user"), s("sys-user"));
    let r = f.resolve("project_secrets_beat_system_dir");
    assert_eq!(r.secrets_dir, Some(f.path("f10/conf-secrets/.secrets")));
    assert_eq!(value(&r, "database.user"), PyValue::None);
    let r = f.resolve("ignore_flag_skips_system_dir");
    assert_eq!(r.secrets_dir, None);
}

#[test]
fn resolve_walk_markers() {
    let f = fixtures();
    assert_eq!(f.resolve("git_file_stops_walk").config_file, None);
    assert_eq!(f.resolve("hg_stops_walk").config_file, None);
    let r = f.resolve("config_dir_skipped");
    assert_eq!(r.config_file, Some(f.path("f12/c/datajoint.json")));
    let r = f.resolve("flat_keys_legacy_ignored");
    assert_eq!(value(&r, "database.password"), s("flat-pw"));
    assert_eq!(value(&r, "stores.main.secret_key"), s("flat-sk"));
}

#[test]
fn resolve_secret_contents() {
    let f = fixtures();
    let r = f.resolve("secret_contents_odd");
    assert_eq!(value(&r, "database.password"), s("pw with  spaces"));
    assert_eq!(value(&r, "database.user"), s(""));
    assert_eq!(value(&r, "stores.main.access_key"), s("\u{feff}BOMKEY"));
    assert_eq!(value(&r, "stores.default"), s("main"));

    let r = f.resolve("secret_python_whitespace");
    assert_eq!(value(&r, "database.password"), s("pw19"));
    assert_eq!(value(&r, "stores..emptyname"), s("V"));

    let error = f.resolve("secret_into_string_store").error.unwrap();
    assert_eq!(error.kind, "TypeError");
    assert_eq!(
        error.message,
        "'str' object does not support item assignment"
    );

    let error = f.resolve("secret_invalid_utf8").error.unwrap();
    assert_eq!(error.kind, "UnicodeDecodeError");
    assert_eq!(
        error.message,
        "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    );
}

#[test]
fn resolve_file_precedence() {
    let f = fixtures();
    let r = f.resolve("ignore_flag_in_file");
    assert_eq!(r.secrets_dir, None);
    assert_eq!(value(&r, "database.password"), PyValue::None);

    let r = f.resolve("flat_store_keys");
    assert_eq!(value(&r, "database.host"), s("second"));
    assert!(r.get("stores.default").is_none());
    assert_eq!(value(&r, "stores.x.location"), s("/x"));

    let r = f.resolve("file_store_attr_beats_secret");
    assert_eq!(value(&r, "stores.main.secret_key"), s("file-sk"));
    assert_eq!(value(&r, "stores.main.access_key"), s("secret-ak"));
    assert_eq!(
        r.get("stores.main.secret_key").unwrap().source,
        Source::File {
            path: f.path("f20/repo/datajoint.json"),
            key: "stores.main".into()
        }
    );
}

#[test]
fn resolve_json_group_variable() {
    let f = fixtures();
    let r = f.resolve("json_group_variable");
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(value(&r, "database.host"), s("json-host"));
    assert_eq!(value(&r, "database.password"), s("json-pw"));
    assert_eq!(value(&r, "database.user"), s("plain-user"));
    assert_eq!(
        r.get("database.password").unwrap().source,
        Source::Env {
            variable: "DJ_DATABASE".into()
        }
    );

    let error = f.resolve("json_group_field_name").error.unwrap();
    assert_eq!(error.kind, "ValidationError");
    assert!(
        error.message.starts_with(
            "1 validation error for Config\ndatabase.host\n  Extra inputs are not permitted"
        ),
        "{}",
        error.message
    );
}
