//! `tightlip config [DIR]`: the configuration DataJoint 2.3.5 would
//! resolve when started in DIR, with the source of every value, the files
//! it reads, look-alike files it ignores, and whether git tracks each file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use crate::cli::{Format, GlobalArgs};
use crate::finding::Secret;
use crate::hygiene::{IgnoreState, Worktree};
use crate::resolver::{
    self, CONFIG_FILENAME, PyValue, Resolution, ResolveOptions, SECRETS_DIRNAME, Source, is_dir,
    is_file, repo::is_secrets_file_name,
};

/// Arguments of `tightlip config`.
pub struct ConfigArgs {
    pub dir: PathBuf,
    pub env_file: Option<PathBuf>,
    pub no_env: bool,
    pub system_secrets_dir: Option<PathBuf>,
}

/// A file that looks like DataJoint configuration but is not read.
struct NotRead {
    path: PathBuf,
    reason: String,
}

/// Git's view of a file DataJoint reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GitState {
    Tracked,
    Ignored,
    Untracked,
    NotInRepository,
}

impl GitState {
    fn as_str(self) -> &'static str {
        match self {
            GitState::Tracked => "tracked",
            GitState::Ignored => "ignored",
            GitState::Untracked => "untracked",
            GitState::NotInRepository => "not-in-repository",
        }
    }
}

/// Runs the command; returns 1 when DataJoint would fail at import or a
/// secrets file it reads is tracked by git, else 0.
pub fn run(global: &GlobalArgs, args: &ConfigArgs) -> anyhow::Result<u8> {
    let env = build_env(args)?;
    let mut options = ResolveOptions::new(&args.dir, env);
    if let Some(dir) = &args.system_secrets_dir {
        options.system_secrets_dir = dir.clone();
    }
    let resolution = resolver::resolve(&options).with_context(|| {
        format!(
            "cannot use {} as the start directory; pass an existing directory",
            args.dir.display()
        )
    })?;
    let worktree = Worktree::open(&resolution.start_dir).ok();
    let git_states: Vec<(PathBuf, GitState)> = resolution
        .files_read
        .iter()
        .map(|p| (p.clone(), git_state(worktree.as_ref(), p)))
        .collect();
    let not_read = find_not_read(&resolution, &options, worktree.as_ref());
    let tracked_secret = git_states
        .iter()
        .any(|(p, s)| *s == GitState::Tracked && Some(p) != resolution.config_file.as_ref());

    match global.format {
        // NOTE: SARIF has no place for this output, so `--format sarif` prints JSON.
        Format::Json | Format::Jsonl | Format::Sarif => {
            let value = to_json(&resolution, &git_states, &not_read, global.show_secrets);
            let text = if global.format == Format::Json {
                serde_json::to_string_pretty(&value)?
            } else {
                serde_json::to_string(&value)?
            };
            println!("{text}");
        }
        Format::Human => print_human(&resolution, &git_states, &not_read, global),
    }
    Ok(u8::from(resolution.error.is_some() || tracked_secret))
}

fn build_env(args: &ConfigArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut env: BTreeMap<String, String> = if args.no_env {
        BTreeMap::new()
    } else {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    };
    if let Some(file) = &args.env_file {
        env.extend(read_env_file(file)?);
    }
    Ok(env)
}

/// Reads `KEY=VALUE` lines, skipping blank lines and `#` comments. An
/// `export ` prefix is allowed, and one pair of matching quotes around the
/// value is removed.
fn read_env_file(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the environment file {}", path.display()))?;
    let mut pairs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            anyhow::bail!(
                "{}:{}: expected KEY=VALUE, found {:?}",
                path.display(),
                number + 1,
                line.split_once(' ').map_or(line, |(first, _)| first)
            );
        };
        let key = key.trim();
        let valid = !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !key.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            anyhow::bail!(
                "{}:{}: {key:?} is not a valid variable name (letters, digits and _)",
                path.display(),
                number + 1
            );
        }
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        pairs.push((key.to_string(), unquoted.to_string()));
    }
    Ok(pairs)
}

fn git_state(worktree: Option<&Worktree>, path: &Path) -> GitState {
    let Some(tree) = worktree.filter(|t| t.git_dir.is_some()) else {
        return GitState::NotInRepository;
    };
    if !path.starts_with(&tree.root) {
        return GitState::NotInRepository;
    }
    let rel = tree.relative(path);
    if tree.is_tracked(&rel) {
        return GitState::Tracked;
    }
    match tree.ignore_state(Path::new(&rel.to_string()), false) {
        IgnoreState::NotIgnored => GitState::Untracked,
        _ => GitState::Ignored,
    }
}

/// Lists look-alike configuration that DataJoint started in the start
/// directory does not read, each with the reason.
fn find_not_read(
    resolution: &Resolution,
    options: &ResolveOptions,
    worktree: Option<&Worktree>,
) -> Vec<NotRead> {
    let mut out: Vec<NotRead> = Vec::new();
    let mut add = |path: PathBuf, reason: String| {
        if !out.iter().any(|n| n.path == path) {
            out.push(NotRead { path, reason });
        }
    };
    let ignore = resolution.ignore_config_file;

    // The directories the upward search visits, and where it stopped.
    let mut walk = Vec::new();
    let mut current = resolution.start_dir.clone();
    let mut boundary = None;
    loop {
        walk.push(current.clone());
        if is_file(&current.join(CONFIG_FILENAME)) {
            break;
        }
        if resolver::exists(&current.join(".git")) || resolver::exists(&current.join(".hg")) {
            boundary = Some(current.clone());
            break;
        }
        if !current.pop() {
            break;
        }
    }
    for dir in &walk {
        for name in ["dj_local_conf.json", ".datajoint_config.json"] {
            let path = dir.join(name);
            if is_file(&path) {
                add(
                    path,
                    format!(
                        "DataJoint 2.x reads only {CONFIG_FILENAME}; {name} is a DataJoint 0.14 file name"
                    ),
                );
            }
        }
        for name in [
            ".datajoint.json",
            "datajoint.yaml",
            "datajoint.yml",
            "datajoint.toml",
        ] {
            let path = dir.join(name);
            if is_file(&path) {
                add(
                    path,
                    format!("DataJoint reads only a file named exactly {CONFIG_FILENAME}"),
                );
            }
        }
        let config = dir.join(CONFIG_FILENAME);
        if !is_file(&config) && std::fs::symlink_metadata(&config).is_ok() {
            add(config, "not a regular file (a directory or a broken symlink), so the search passes over it".into());
        }
        let secrets = dir.join(SECRETS_DIRNAME);
        if is_dir(&secrets) && resolution.secrets_dir.as_ref() != Some(&secrets) {
            let reason = if ignore {
                "ignore_config_file is set, so DataJoint reads no secrets directory".to_string()
            } else {
                format!(
                    "DataJoint reads a {SECRETS_DIRNAME} directory only beside the {CONFIG_FILENAME} it finds"
                )
            };
            add(secrets, reason);
        }
    }
    if ignore
        && let Some(config) = resolution.config_file.clone().or_else(|| {
            walk.iter()
                .map(|d| d.join(CONFIG_FILENAME))
                .find(|p| is_file(p))
        })
    {
        add(
            config,
            "ignore_config_file is set, so DataJoint does not read the file".into(),
        );
    }
    if let Some(stop) = &boundary {
        let mut above = stop.clone();
        while above.pop() {
            let config = above.join(CONFIG_FILENAME);
            if is_file(&config) {
                add(
                    config,
                    format!(
                        "the search for {CONFIG_FILENAME} stops at {}, which holds .git or .hg",
                        stop.display()
                    ),
                );
                break;
            }
        }
    }
    if let (Some(used), Some(config)) = (&resolution.secrets_dir, &resolution.config_file) {
        let project = config.parent().map(|p| p.join(SECRETS_DIRNAME));
        if project.as_ref() == Some(used) && is_dir(&options.system_secrets_dir) {
            add(
                options.system_secrets_dir.clone(),
                format!(
                    "the {SECRETS_DIRNAME} beside {CONFIG_FILENAME} is used in its place; DataJoint reads one secrets directory"
                ),
            );
        }
    }

    // Entries of the secrets directory in use (or the one beside the
    // config file) that DataJoint passes over.
    let secrets_dirs: Vec<PathBuf> = resolution
        .secrets_dir
        .iter()
        .cloned()
        .chain(
            resolution
                .config_file
                .as_ref()
                .and_then(|c| c.parent())
                .map(|p| p.join(SECRETS_DIRNAME))
                .filter(|p| is_dir(p)),
        )
        .collect();
    for dir in secrets_dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let text = name.to_string_lossy();
            if text == ".gitignore" {
                continue;
            }
            let reason = if is_dir(&path) {
                "a subdirectory of a secrets directory is not read".to_string()
            } else if text.starts_with('.') {
                "DataJoint skips secrets files whose names start with '.'".to_string()
            } else if !is_secrets_file_name(text.as_bytes()) {
                "DataJoint reads only database.user, database.password and stores.<name>.<attr> from a secrets directory".to_string()
            } else {
                continue;
            };
            add(path, reason);
        }
    }

    // Tracked look-alikes elsewhere in the repository.
    if let Some(tree) = worktree.filter(|t| t.git_dir.is_some()) {
        for rel in &tree.tracked {
            let text = rel.to_string();
            let path = tree.root.join(&text);
            let name = text.rsplit('/').next().unwrap_or(&text);
            if name == "dj_local_conf.json" {
                add(
                    path,
                    format!(
                        "DataJoint 2.x reads only {CONFIG_FILENAME}; {name} is a DataJoint 0.14 file name"
                    ),
                );
                continue;
            }
            let parts: Vec<&str> = text.split('/').collect();
            if let Some(i) = parts.iter().position(|p| *p == SECRETS_DIRNAME) {
                let dir = tree.root.join(parts[..=i].join("/"));
                let beside = dir.parent().map(|p| p.join(CONFIG_FILENAME));
                if !beside.as_deref().is_some_and(is_file) {
                    add(
                        dir,
                        format!(
                            "no {CONFIG_FILENAME} sits beside this {SECRETS_DIRNAME} directory, so DataJoint never reads it"
                        ),
                    );
                }
            }
        }
    }
    out
}

/// Returns true for keys whose values are settings, not credentials or
/// identities, so they are shown without --show-secrets.
fn is_plain_key(key: &str) -> bool {
    matches!(
        key,
        "database.backend"
            | "database.port"
            | "database.reconnect"
            | "database.use_tls"
            | "database.create_tables"
            | "stores.default"
    ) || (key.starts_with("stores.") && key.ends_with(".protocol"))
}

fn value_text(key: &str, value: &PyValue, show: bool) -> String {
    let show = show || is_plain_key(key);
    match value {
        PyValue::Str(s) if show => format!("{s:?}"),
        PyValue::Str(s) => Secret::new(s.as_bytes(), 0).redacted(),
        PyValue::Dict(_) | PyValue::List(_) if !show => {
            let repr = value.repr();
            Secret::new(repr.as_bytes(), 0).redacted()
        }
        other => other.repr(),
    }
}

fn print_human(
    r: &Resolution,
    git_states: &[(PathBuf, GitState)],
    not_read: &[NotRead],
    global: &GlobalArgs,
) {
    println!("DataJoint 2.3.5 started in {}", r.start_dir.display());
    match (&r.config_file, r.config_loaded) {
        (Some(path), true) => println!("config file:  {}", path.display()),
        (Some(path), false) => println!(
            "config file:  {} (found, but loading failed)",
            path.display()
        ),
        (None, _) if r.ignore_config_file => {
            println!("config file:  none (ignore_config_file is set)")
        }
        (None, _) => println!("config file:  none found"),
    }
    match &r.secrets_dir {
        Some(dir) => println!("secrets dir:  {}", dir.display()),
        None => println!("secrets dir:  none"),
    }
    if let Some(error) = &r.error {
        println!();
        println!("ERROR: `import datajoint` would fail with {}:", error.kind);
        for line in error.message.lines() {
            println!("  {line}");
        }
    }
    for warning in &r.warnings {
        println!(
            "warning: DataJoint warns: {}",
            warning.lines().next().unwrap_or("")
        );
    }

    println!();
    println!("files read, in DataJoint's order:");
    if git_states.is_empty() {
        println!("  (none)");
    }
    for (path, state) in git_states {
        let note = if *state == GitState::Tracked && Some(path) != r.config_file.as_ref() {
            "  <- TRACKED BY GIT: the secret is in the repository"
        } else {
            ""
        };
        let unused = if is_used(r, path) {
            ""
        } else {
            "  (read, but its value is not used)"
        };
        println!(
            "  {}  [git: {}]{unused}{note}",
            path.display(),
            state.as_str()
        );
    }

    println!();
    println!("values:");
    let width = r.values.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, resolved) in &r.values {
        println!(
            "  {key:width$}  {}  <- {}",
            value_text(key, &resolved.value, global.show_secrets),
            resolved.source
        );
    }
    for key in &r.guarded_keys {
        println!("  ({key} in {CONFIG_FILENAME} was skipped: its environment variable is set)");
    }

    if !not_read.is_empty() {
        println!();
        println!("not read by DataJoint:");
        for item in not_read {
            println!("  {}: {}", item.path.display(), item.reason);
        }
    }
}

/// Returns true when a file DataJoint read supplies at least one resolved
/// value (or is the loaded `datajoint.json`).
fn is_used(r: &Resolution, path: &Path) -> bool {
    if r.config_file.as_deref() == Some(path) {
        return true;
    }
    r.values.iter().any(|(_, v)| match &v.source {
        Source::SecretsFile { path: source } => source == path,
        _ => false,
    })
}

fn source_json(source: &Source) -> Value {
    let mut value = serde_json::to_value(source).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("text".into(), Value::String(source.to_string()));
    }
    value
}

fn to_json(
    r: &Resolution,
    git_states: &[(PathBuf, GitState)],
    not_read: &[NotRead],
    show_secrets: bool,
) -> Value {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let mut values = serde_json::Map::new();
    for (key, resolved) in &r.values {
        let mut entry = serde_json::Map::new();
        entry.insert("source".into(), source_json(&resolved.source));
        if show_secrets {
            entry.insert("value".into(), resolved.value.to_json());
        } else {
            entry.insert(
                "redacted".into(),
                Value::String(value_text(key, &resolved.value, false)),
            );
        }
        values.insert(key.clone(), Value::Object(entry));
    }
    json!({
        "start_dir": r.start_dir.display().to_string(),
        "config_file": path(&r.config_file),
        "config_loaded": r.config_loaded,
        "secrets_dir": path(&r.secrets_dir),
        "files_read": r.files_read.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "files": git_states.iter().map(|(p, s)| json!({
            "path": p.display().to_string(),
            "git": s.as_str(),
            "used": is_used(r, p),
        })).collect::<Vec<_>>(),
        "error": r.error,
        "warnings": r.warnings,
        "values": values,
        "guarded_keys": r.guarded_keys,
        "not_read": not_read.iter().map(|n| json!({
            "path": n.path.display().to_string(),
            "reason": n.reason,
        })).collect::<Vec<_>>(),
    })
}
