//! `tightlip config [DIR]`: the configuration DataJoint 2.3.5 would
//! resolve when started in DIR, with the source of every value, the files
//! it reads, look-alike files it ignores, and whether git tracks each file.

mod dotenv;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use crate::cli::{Format, GlobalArgs};
use crate::cmd::check::escape_controls;
use crate::finding::Secret;
use crate::hygiene::{IgnoreState, Worktree};
use crate::report::display_path;
use crate::resolver::schema::redact_input_values;
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
    if global.format == Format::Sarif {
        anyhow::bail!(
            "config does not support --format sarif: SARIF carries findings, and config reports a configuration; use --format json or jsonl"
        );
    }
    let env = build_env(args)?;
    let mut options = ResolveOptions::new(&args.dir, env);
    if let Some(dir) = &args.system_secrets_dir {
        options.system_secrets_dir = dir.clone();
    }
    let mut resolution = resolver::resolve(&options).with_context(|| {
        format!(
            "cannot use {} as the start directory; pass an existing directory",
            args.dir.display()
        )
    })?;
    if !global.show_secrets {
        redact_messages(&mut resolution);
    }
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

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match global.format {
        Format::Json | Format::Jsonl | Format::Sarif => {
            let value = to_json(&resolution, &git_states, &not_read, global.show_secrets);
            let text = if global.format == Format::Json {
                serde_json::to_string_pretty(&value)?
            } else {
                serde_json::to_string(&value)?
            };
            writeln!(out, "{text}")?;
        }
        Format::Human => write_human(&resolution, &git_states, &not_read, global, &mut out)?,
    }
    out.flush()?;
    Ok(u8::from(resolution.error.is_some() || tracked_secret))
}

/// Redacts the input values that DataJoint's validation errors quote, in
/// the warnings and in the import error.
fn redact_messages(resolution: &mut Resolution) {
    for warning in &mut resolution.warnings {
        *warning = redact_input_values(warning);
    }
    if let Some(error) = &mut resolution.error {
        error.message = redact_input_values(&error.message);
    }
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
        let pairs = dotenv::read_env_file(file)?;
        let expanded = dotenv::expand_variables(pairs, &env);
        env.extend(expanded);
    }
    Ok(env)
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
            let reason = format!(
                "{}, not a regular file, so the search passes over it",
                file_kind(&config)
            );
            add(config, reason);
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

fn write_human(
    r: &Resolution,
    git_states: &[(PathBuf, GitState)],
    not_read: &[NotRead],
    global: &GlobalArgs,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "DataJoint 2.3.5 started in {}", shown(&r.start_dir))?;
    match (&r.config_file, r.config_loaded) {
        (Some(path), true) => writeln!(out, "config file:  {}", shown(path))?,
        (Some(path), false) => writeln!(
            out,
            "config file:  {} (found, but loading failed)",
            shown(path)
        )?,
        (None, _) if r.ignore_config_file => {
            writeln!(out, "config file:  none (ignore_config_file is set)")?
        }
        (None, _) => writeln!(out, "config file:  none found")?,
    }
    match &r.secrets_dir {
        Some(dir) => writeln!(out, "secrets dir:  {}", shown(dir))?,
        None => writeln!(out, "secrets dir:  none")?,
    }
    if let Some(error) = &r.error {
        writeln!(out)?;
        writeln!(
            out,
            "ERROR: `import datajoint` would fail with {}:",
            error.kind
        )?;
        for line in error.message.lines() {
            writeln!(out, "  {}", escape_controls(line))?;
        }
    }
    for warning in &r.warnings {
        writeln!(
            out,
            "warning: DataJoint warns: {}",
            escape_controls(warning.lines().next().unwrap_or(""))
        )?;
    }

    writeln!(out)?;
    writeln!(out, "files read, in DataJoint's order:")?;
    if git_states.is_empty() {
        writeln!(out, "  (none)")?;
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
        writeln!(
            out,
            "  {}  [git: {}]{unused}{note}",
            shown(path),
            state.as_str()
        )?;
    }

    writeln!(out)?;
    writeln!(out, "values:")?;
    let width = r.values.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, resolved) in &r.values {
        writeln!(
            out,
            "  {key:width$}  {}  <- {}",
            value_text(key, &resolved.value, global.show_secrets),
            escape_controls(&resolved.source.to_string())
        )?;
    }
    for key in &r.guarded_keys {
        writeln!(
            out,
            "  ({key} in {CONFIG_FILENAME} was skipped: its environment variable is set)"
        )?;
    }

    if !not_read.is_empty() {
        writeln!(out)?;
        writeln!(out, "not read by DataJoint:")?;
        for item in not_read {
            writeln!(
                out,
                "  {}: {}",
                shown(&item.path),
                escape_controls(&item.reason)
            )?;
        }
    }
    Ok(())
}

/// Names what kind of file system entry `path` is, following symbolic
/// links, for a `datajoint.json` that is not a regular file.
fn file_kind(path: &Path) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return "a broken symbolic link";
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device file"
    } else {
        "a special file"
    }
}

/// Returns a path for human output, with control characters escaped.
fn shown(path: &Path) -> String {
    display_path(path.as_os_str().as_encoded_bytes())
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
