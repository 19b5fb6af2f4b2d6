//! Directory trees and environments for the resolver tests: hand-written
//! fixtures for each documented DataJoint behaviour, and seeded random
//! trees for differential testing against the real package.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// One resolution to check: DataJoint started in `cwd` with `env`.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub system_secrets_dir: PathBuf,
}

fn write(path: &Path, content: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn mkdir(path: &Path) {
    fs::create_dir_all(path).unwrap();
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Builds the fixture trees under `root` and returns the named cases.
/// `root/none` replaces the system secrets directory with a missing one.
pub fn fixture_cases(root: &Path) -> Vec<Case> {
    let no_sys = root.join("none");
    let mut cases = Vec::new();
    let mut add = |name: &str, cwd: PathBuf, pairs: &[(&str, &str)], sys: Option<PathBuf>| {
        mkdir(&cwd);
        cases.push(Case {
            name: name.to_string(),
            cwd,
            env: env(pairs),
            system_secrets_dir: sys.unwrap_or_else(|| no_sys.clone()),
        });
    };

    // Nested start directory, many kinds of names in .secrets.
    let d = root.join("f1/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database": {"host": "db.example.test", "user": "fileuser"},
 "stores": {"default": "main", "main": {"protocol": "s3", "endpoint": "s3.test", "bucket": "b", "location": "l"}}}"#,
    );
    let s = d.join(".secrets");
    write(&s.join("database.password"), "  s3cr3t-pw \n\n");
    write(&s.join("stores.main.access_key"), "AKIAFIXTURE\n");
    write(&s.join("stores.main.secret_key"), "SKFIXTURE\n");
    write(&s.join("stores.extra.token"), "tok\n");
    write(&s.join("database.host"), "ignored-host\n");
    write(
        &s.join("datajoint.json"),
        r#"{"database":{"password":"in-secrets-json"}}"#,
    );
    write(&s.join("nested/stores.main.session_token"), "NESTED\n");
    write(&s.join(".stores.main.hidden"), "HIDDEN\n");
    write(&s.join("stores.a.b.c"), "FOUR\n");
    write(&s.join("Stores.main.x"), "CASE\n");
    write(&s.join(".gitignore"), "NOTGREP\n");
    add("walk_to_git_root", d.join("src/deep"), &[], None);

    // A datajoint.json above the git root is not found; a .secrets in the
    // start directory is not read.
    let d = root.join("f2/outer");
    mkdir(&d.join("repo/.git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"outer-host","password":"outer-pw"}}"#,
    );
    write(
        &d.join("repo/sub/.secrets/database.password"),
        "cwd-secret\n",
    );
    add("stop_at_git", d.join("repo/sub"), &[], None);

    // Two files without a VCS marker: the nearest wins.
    let d = root.join("f3/outer");
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"outer-host"},"stores":{"o":{"protocol":"file","location":"/o"}}}"#,
    );
    write(
        &d.join("inner/datajoint.json"),
        r#"{"database.host":"inner-host","database.user":"inner-user","stores.main.protocol":"file","stores.main.location":"/data"}"#,
    );
    write(&d.join(".secrets/database.password"), "outer-secret\n");
    write(
        &d.join("inner/.secrets/database.password"),
        "inner-secret\n",
    );
    add("nearest_file_wins", d.join("inner/x/y"), &[], None);

    // DJ_STORES replaces the file's stores; .secrets fills missing attributes.
    let d = root.join("f4/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"stores":{"default":"main","main":{"protocol":"file","location":"/file-main"},"other":{"protocol":"file","location":"/other"}}}"#,
    );
    write(&d.join(".secrets/stores.main.access_key"), "AK4\n");
    write(&d.join(".secrets/stores.main.secret_key"), "SK4\n");
    write(&d.join(".secrets/stores.other.secret_key"), "OTHERSK\n");
    write(&d.join(".secrets/stores.main.bucket"), "ENVWINS?\n");
    let f4 = d.clone();
    add(
        "dj_stores_replaces",
        f4.clone(),
        &[(
            "DJ_STORES",
            r#"{"main":{"protocol":"s3","endpoint":"e","bucket":"envbucket","location":"l"}}"#,
        )],
        None,
    );
    add(
        "dj_stores_empty_object",
        f4.clone(),
        &[("DJ_STORES", "{}")],
        None,
    );
    add("stores_from_file", f4.clone(), &[], None);
    add(
        "dj_stores_invalid_json",
        f4.clone(),
        &[("DJ_STORES", "{not-json")],
        None,
    );
    add(
        "dj_stores_list",
        f4.clone(),
        &[("DJ_STORES", "[1,2]")],
        None,
    );
    add(
        "dj_stores_string",
        f4.clone(),
        &[("DJ_STORES", "\"main\"")],
        None,
    );

    // DJ_IGNORE_CONFIG_FILE skips the file and .secrets, not DJ_STORES.
    let d = root.join("f5/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"file-host","password":"file-pw"}}"#,
    );
    write(&d.join(".secrets/database.password"), "secret-pw\n");
    write(&d.join(".secrets/stores.s.secret_key"), "SK5\n");
    add(
        "ignore_flag_true",
        d.clone(),
        &[
            ("DJ_IGNORE_CONFIG_FILE", "true"),
            ("DJ_USER", "envuser"),
            ("DJ_PASS", "envpw"),
            ("DJ_STORES", r#"{"s":{"protocol":"file","location":"/s"}}"#),
        ],
        None,
    );
    add(
        "ignore_flag_on",
        d.clone(),
        &[("DJ_IGNORE_CONFIG_FILE", "On")],
        None,
    );
    add(
        "ignore_flag_zero",
        d.clone(),
        &[("DJ_IGNORE_CONFIG_FILE", "0")],
        None,
    );
    add(
        "ignore_flag_empty",
        d.clone(),
        &[("DJ_IGNORE_CONFIG_FILE", "")],
        None,
    );
    add(
        "ignore_flag_invalid",
        d.clone(),
        &[("DJ_IGNORE_CONFIG_FILE", "enabled")],
        None,
    );
    add(
        "ignore_flag_lowercase",
        d.clone(),
        &[("dj_ignore_config_file", "1")],
        None,
    );

    // Precedence of environment, file and secrets for database.*.
    let d = root.join("f7/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"file-host","user":"file-user","use_tls":false,"reconnect":false}}"#,
    );
    write(&d.join(".secrets/database.user"), "secret-user\n");
    write(&d.join(".secrets/database.password"), "secret-pw\n");
    add(
        "env_guard_host_only",
        d.clone(),
        &[
            ("DJ_HOST", "env-host"),
            ("DJ_USE_TLS", "true"),
            ("DJ_RECONNECT", "true"),
        ],
        None,
    );
    add(
        "env_guard_user_pass",
        d.clone(),
        &[("DJ_PASS", "env-pw"), ("DJ_USER", "env-user")],
        None,
    );
    add(
        "env_empty_values",
        d.clone(),
        &[("DJ_PASS", ""), ("DJ_USER", "")],
        None,
    );
    add(
        "env_lowercase_names",
        d.clone(),
        &[("dj_host", "lower-env-host"), ("dj_pass", "lower-pw")],
        None,
    );
    add("env_port_invalid", d.clone(), &[("DJ_PORT", "abc")], None);
    add(
        "json_group_variable",
        d.clone(),
        &[
            (
                "DJ_DATABASE",
                r#"{"DJ_HOST":"json-host","DJ_PASS":"json-pw"}"#,
            ),
            ("DJ_HOST", "plain-host"),
            ("DJ_USER", "plain-user"),
        ],
        None,
    );
    add(
        "json_group_field_name",
        d.clone(),
        &[("DJ_DATABASE", r#"{"host":"x"}"#)],
        None,
    );

    // A broken file still selects the .secrets beside it.
    let d = root.join("f8/repo");
    mkdir(&d.join(".git"));
    write(&d.join("datajoint.json"), r#"{"database": {"host": "h",}"#);
    write(&d.join(".secrets/database.password"), "pw8\n");
    add("broken_json_secrets_read", d, &[], None);

    // An invalid value stops the load; earlier keys stay applied.
    let d = root.join("f9/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"h9","port":"not-an-int","user":"u9"}}"#,
    );
    add("partial_load", d, &[], None);

    // The system secrets directory is a fallback, not an addition.
    let d = root.join("f10");
    let sys = d.join("sys");
    write(&sys.join("database.password"), "sys-pw\n");
    write(&sys.join("database.user"), "sys-user\n");
    write(&sys.join("stores.main.secret_key"), "SYSSK\n");
    mkdir(&d.join("noconf/.git"));
    mkdir(&d.join("conf-nosecrets/.git"));
    mkdir(&d.join("conf-secrets/.git"));
    write(
        &d.join("conf-nosecrets/datajoint.json"),
        r#"{"database":{"host":"c"}}"#,
    );
    write(
        &d.join("conf-secrets/datajoint.json"),
        r#"{"database":{"host":"c"}}"#,
    );
    write(
        &d.join("conf-secrets/.secrets/database.password"),
        "proj-pw\n",
    );
    write(&d.join("noconf/.secrets/database.password"), "cwd-pw\n");
    add(
        "system_dir_without_config",
        d.join("noconf"),
        &[],
        Some(sys.clone()),
    );
    add(
        "system_dir_without_project_secrets",
        d.join("conf-nosecrets"),
        &[],
        Some(sys.clone()),
    );
    add(
        "project_secrets_beat_system_dir",
        d.join("conf-secrets"),
        &[],
        Some(sys.clone()),
    );
    add(
        "ignore_flag_skips_system_dir",
        d.join("noconf"),
        &[("DJ_IGNORE_CONFIG_FILE", "1")],
        Some(sys),
    );

    // Legacy files are not read; flat keys are.
    let d = root.join("f11/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("dj_local_conf.json"),
        r#"{"database.host":"legacy-host","database.password":"legacy-pw"}"#,
    );
    write(
        &d.join("datajoint.json"),
        r#"{"database.password":"flat-pw","stores.main.secret_key":"flat-sk","unknown.key":1,"database.nonsense":2}"#,
    );
    add("flat_keys_legacy_ignored", d, &[], None);

    // A .git file and .hg stop the walk; a directory named datajoint.json
    // is skipped.
    let d = root.join("f12");
    write(
        &d.join("a/datajoint.json"),
        r#"{"database":{"host":"above-worktree"}}"#,
    );
    write(&d.join("a/wt/.git"), "gitdir: /nowhere\n");
    write(
        &d.join("b/datajoint.json"),
        r#"{"database":{"host":"above-hg"}}"#,
    );
    mkdir(&d.join("b/hgrepo/.hg"));
    write(
        &d.join("c/datajoint.json"),
        r#"{"database":{"host":"c-host"}}"#,
    );
    mkdir(&d.join("c/proj/datajoint.json"));
    add("git_file_stops_walk", d.join("a/wt/sub"), &[], None);
    add("hg_stops_walk", d.join("b/hgrepo/sub"), &[], None);
    add("config_dir_skipped", d.join("c/proj/sub"), &[], None);

    // Odd secret contents.
    let d = root.join("f13/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"stores":{"default":"main"}}"#,
    );
    write(
        &d.join(".secrets/database.password"),
        "\t pw with  spaces \r\n",
    );
    write(&d.join(".secrets/database.user"), "");
    write(
        &d.join(".secrets/stores.main.access_key"),
        b"\xef\xbb\xbfBOMKEY\n",
    );
    write(&d.join(".secrets/stores.default.ma"), "x\n");
    add("secret_contents_odd", d, &[], None);

    // A secret for a store whose entry is a string: a crash.
    let d = root.join("f14/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"stores":{"default":"main"}}"#,
    );
    write(&d.join(".secrets/stores.default.zz"), "x\n");
    add("secret_into_string_store", d, &[], None);

    // Invalid UTF-8 in a secrets file: a crash.
    let d = root.join("f15/repo");
    mkdir(&d.join(".git"));
    write(&d.join("datajoint.json"), "{}\n");
    write(&d.join(".secrets/database.password"), b"\xff\xfepw\n");
    add("secret_invalid_utf8", d, &[], None);

    // A byte-order mark in datajoint.json: a warning.
    let d = root.join("f16/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        b"\xef\xbb\xbf{\"database\":{\"host\":\"bom\"}}",
    );
    add("config_with_bom", d, &[], None);

    // "ignore_config_file" inside the file switches off the secrets step.
    let d = root.join("f17/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"f17"},"ignore_config_file":true}"#,
    );
    write(&d.join(".secrets/database.password"), "pw17\n");
    add("ignore_flag_in_file", d, &[], None);

    // Flat two-part stores keys are ignored; later keys win.
    let d = root.join("f18/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"database":{"host":"first"},"database.host":"second","stores.default":"main","stores.main.protocol":"file","stores":{"x":{"protocol":"file"}},"stores.x.location":"/x"}"#,
    );
    add("flat_store_keys", d, &[], None);

    // Python's whitespace set is stripped; an empty store name is allowed.
    let d = root.join("f19/repo");
    mkdir(&d.join(".git"));
    write(&d.join("datajoint.json"), "{}\n");
    write(
        &d.join(".secrets/database.password"),
        b"\x1c\xc2\xa0pw19\xe2\x80\x83\x1f\n",
    );
    write(&d.join(".secrets/stores..emptyname"), "V\n");
    add("secret_python_whitespace", d, &[], None);

    // A store attribute in datajoint.json beats the secrets file.
    let d = root.join("f20/repo");
    mkdir(&d.join(".git"));
    write(
        &d.join("datajoint.json"),
        r#"{"stores":{"main":{"protocol":"s3","secret_key":"file-sk"}}}"#,
    );
    write(&d.join(".secrets/stores.main.secret_key"), "secret-sk\n");
    write(&d.join(".secrets/stores.main.access_key"), "secret-ak\n");
    add("file_store_attr_beats_secret", d, &[], None);

    cases
}

/// A small deterministic generator (SplitMix64), so that generated cases
/// are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SCALARS: &[&str] = &[
    r#""h""#,
    r#""""#,
    "5",
    "3.5",
    "2.0",
    "true",
    "false",
    "null",
    r#""3306""#,
    r#"" 12 ""#,
    "[1]",
    r#"{"a":1}"#,
    "-1",
    "300",
    "1e400",
    "NaN",
    r#""postgresql""#,
    r#""mysql""#,
    r#""yes""#,
    r#""pw""#,
];
const DB_KEYS: &[&str] = &[
    "host",
    "user",
    "password",
    "port",
    "backend",
    "use_tls",
    "reconnect",
    "name",
    "nonsense",
];
const STORE_NAMES: &[&str] = &["main", "other", "default", "x"];
const STORE_ATTRS: &[&str] = &[
    "secret_key",
    "access_key",
    "protocol",
    "location",
    "ma",
    "token",
];
const SECRET_NAMES: &[&str] = &[
    "database.user",
    "database.password",
    "database.host",
    "stores.main.secret_key",
    "stores.main.access_key",
    "stores.other.token",
    "stores.default.ma",
    "stores.default.zz",
    "stores.x.location",
    ".stores.main.hidden",
    "stores.a.b.c",
    "Stores.main.x",
    "README",
    "datajoint.json",
];
const SECRET_VALUES: &[&[u8]] = &[
    b"pw\n",
    b"  padded  \n\n",
    b"",
    b"\xef\xbb\xbfbom\n",
    b"\x1cside\x1f",
    b"in\rner\r\n",
    b"\xc2\xa0nbsp\xe2\x80\x83",
    b"tab\tinside",
];

fn gen_value(rng: &mut Rng) -> String {
    rng.pick(SCALARS).to_string()
}

fn gen_store_entry(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => r#""main""#.to_string(),
        1 => "[]".to_string(),
        _ => {
            let n = rng.below(3);
            let attrs: Vec<String> = (0..n)
                .map(|_| format!(r#""{}": {}"#, rng.pick(STORE_ATTRS), gen_value(rng)))
                .collect();
            format!("{{{}}}", attrs.join(", "))
        }
    }
}

/// Writes a random datajoint.json text: nested and flat keys, stores in
/// both forms, duplicates, and sometimes a syntax error or a BOM.
fn gen_config(rng: &mut Rng) -> Vec<u8> {
    let mut items = Vec::new();
    for _ in 0..rng.below(6) {
        let item = match rng.below(11) {
            0 | 1 => {
                let n = 1 + rng.below(3);
                let inner: Vec<String> = (0..n)
                    .map(|_| format!(r#""{}": {}"#, rng.pick(DB_KEYS), gen_value(rng)))
                    .collect();
                format!(r#""database": {{{}}}"#, inner.join(", "))
            }
            2 => format!(r#""database.{}": {}"#, rng.pick(DB_KEYS), gen_value(rng)),
            3 => {
                let n = rng.below(3);
                let inner: Vec<String> = (0..n)
                    .map(|_| format!(r#""{}": {}"#, rng.pick(STORE_NAMES), gen_store_entry(rng)))
                    .collect();
                format!(r#""stores": {{{}}}"#, inner.join(", "))
            }
            4 => format!(
                r#""stores.{}.{}": {}"#,
                rng.pick(STORE_NAMES),
                rng.pick(STORE_ATTRS),
                gen_value(rng)
            ),
            5 => format!(r#""stores.default": {}"#, gen_value(rng)),
            6 => format!(
                r#""ignore_config_file": {}"#,
                rng.pick(&["true", "false", "\"yes\"", "3"])
            ),
            7 => format!(
                r#""{}": {}"#,
                rng.pick(&["loglevel", "safemode", "unknown.key", "a.b.c.d"]),
                rng.pick(&["\"DEBUG\"", "\"debug\"", "false", "1"])
            ),
            8 => format!(
                r#""{}": {}"#,
                rng.pick(&[
                    "display",
                    "jobs",
                    "connection",
                    "provenance",
                    "database",
                    "stores",
                    "query_cache",
                    "download_path",
                    "stores.keys",
                    "display.limit",
                    "jobs.default_priority",
                    "connection.charset",
                    "load",
                    "copy",
                    "model_fields",
                    "model_extra",
                    "database.copy",
                    "database.model_fields_set",
                    "model_fields.keys",
                    "_config_path",
                ]),
                match rng.below(3) {
                    0 => format!(
                        r#"{{"{}": {}}}"#,
                        rng.pick(&[
                            "limit",
                            "default_priority",
                            "charset",
                            "source",
                            "capture",
                            "stale_timeout"
                        ]),
                        gen_value(rng)
                    ),
                    _ => gen_value(rng),
                }
            ),
            9 => format!(r#""database.{}": {}"#, rng.pick(DB_KEYS), gen_value(rng)),
            _ => format!(r#""database.password": "flat-{}""#, rng.below(100)),
        };
        items.push(item);
    }
    let mut text = format!("{{{}}}", items.join(", "));
    match rng.below(20) {
        0 => {
            let cut = rng.below(text.len().max(1));
            text.truncate(cut);
        }
        1 => text = format!("\u{feff}{text}"),
        2 => text = "[1, 2]".to_string(),
        3 => text = format!("{text}\n{{}}"),
        _ => {}
    }
    text.into_bytes()
}

fn gen_secrets(rng: &mut Rng, dir: &Path) {
    mkdir(dir);
    for _ in 0..rng.below(5) {
        let name = rng.pick(SECRET_NAMES);
        let value = if rng.chance(2) {
            b"\xff\xfebad".as_slice()
        } else {
            rng.pick(SECRET_VALUES)
        };
        write(&dir.join(name), value);
    }
    if rng.chance(10) {
        write(&dir.join("nested/stores.main.secret_key"), "nested\n");
    }
}

fn gen_env(rng: &mut Rng) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let options: &[(&str, &[&str])] = &[
        ("DJ_HOST", &["env-host", ""]),
        ("DJ_USER", &["env-user", ""]),
        ("DJ_PASS", &["env-pw", ""]),
        ("dj_pass", &["lower-pw"]),
        ("dj_host", &["lower-host"]),
        ("DJ_PORT", &["3307", "abc", " 12 ", ""]),
        ("DJ_BACKEND", &["postgresql", "mysql", "oracle"]),
        (
            "DJ_IGNORE_CONFIG_FILE",
            &["1", "0", "true", "No", "", "maybe"],
        ),
        (
            "DJ_STORES",
            &[
                r#"{"main":{"protocol":"s3","bucket":"env"}}"#,
                "{}",
                "{bad",
                "[1]",
                "\"s\"",
                "",
                "null",
                "3.5",
            ],
        ),
        ("DJ_USE_TLS", &["true", "0", "x"]),
        ("DJ_RECONNECT", &["false", "y"]),
        ("DJ_LOG_LEVEL", &["DEBUG", "debug"]),
        ("DJ_SAFEMODE", &["false"]),
        ("LIMIT", &["20", "many"]),
        ("DJ_JOBS_DEFAULT_PRIORITY", &["7", "300"]),
        (
            "DJ_DATABASE",
            &[
                r#"{"DJ_HOST":"json-host","DJ_PASS":"json-pw"}"#,
                r#"{"host":"x"}"#,
                "{bad",
                "[1]",
                "null",
                r#"{"dj_port":"12","DJ_USE_TLS":"yes"}"#,
                r#"{"DJ_PORT":"x","DJ_HOST":5}"#,
                "",
                r#"{"reconnect": false, "DJ_USER": null}"#,
            ],
        ),
        ("dj_database", &[r#"{"dj_pass":"lower-json-pw"}"#]),
        ("DJ_DISPLAY", &[r#"{"limit": 5}"#, r#"{"LIMIT": "x"}"#]),
        ("DJ_JOBS", &[r#"{"default_priority": 300}"#, "{bad"]),
        ("DJ_PROVENANCE_SOURCE", &[r#"{"a":1}"#, "{bad", "[1]"]),
        (
            "_DJ_STORES_PYDANTIC_DISABLED",
            &[
                r#"{"main":{"protocol":"file","secret_key":"seed"}}"#,
                "[1]",
                "{bad",
            ],
        ),
    ];
    for (name, values) in options {
        if rng.chance(9) {
            env.insert(name.to_string(), rng.pick(values).to_string());
        }
    }
    env
}

/// Builds `count` random trees under `root`, each with a start directory
/// and an environment, from `seed`.
pub fn generated_cases(root: &Path, seed: u64, count: usize) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    for i in 0..count {
        let base = root.join(format!("g{i:03}"));
        let depth = 1 + rng.below(4);
        let mut dirs = vec![base.clone()];
        for level in 0..depth {
            let next = dirs.last().unwrap().join(format!("d{level}"));
            dirs.push(next);
        }
        // The base always contains .git, so that no walk leaves the case.
        mkdir(&base.join(".git"));
        for dir in &dirs {
            mkdir(dir);
            if dir != &base {
                match rng.below(20) {
                    0 | 1 => mkdir(&dir.join(".git")),
                    2 => write(&dir.join(".git"), "gitdir: /nowhere\n"),
                    3 => mkdir(&dir.join(".hg")),
                    _ => {}
                }
            }
            match rng.below(20) {
                0..=7 => write(&dir.join("datajoint.json"), gen_config(&mut rng)),
                8 => mkdir(&dir.join("datajoint.json")),
                9 => symlink(base.join("missing.json"), dir.join("datajoint.json")).unwrap(),
                10 => {
                    write(&base.join("linked.json"), gen_config(&mut rng));
                    symlink(base.join("linked.json"), dir.join("datajoint.json")).unwrap();
                }
                _ => {}
            }
            match rng.below(20) {
                0..=7 => gen_secrets(&mut rng, &dir.join(".secrets")),
                8 => write(&dir.join(".secrets"), "not a directory\n"),
                9 => {
                    gen_secrets(&mut rng, &base.join("shared-secrets"));
                    symlink(base.join("shared-secrets"), dir.join(".secrets")).unwrap();
                }
                _ => {}
            }
        }
        let sys = base.join("sys");
        if rng.chance(30) {
            gen_secrets(&mut rng, &sys);
        }
        let mut cwd = dirs[rng.below(dirs.len())].clone();
        if rng.chance(10) {
            // DataJoint resolves a symlinked start directory first.
            let link = root.join(format!("link{i:03}"));
            symlink(&cwd, &link).unwrap();
            cwd = link;
        }
        let env = if rng.chance(40) {
            BTreeMap::new()
        } else {
            gen_env(&mut rng)
        };
        cases.push(Case {
            name: format!("generated_{i:03}"),
            cwd,
            env,
            system_secrets_dir: sys,
        });
    }
    cases
}
