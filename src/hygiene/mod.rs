//! Working-tree hygiene for credentials: every `.secrets/` directory is
//! ignored by a tracked `.gitignore` and contains no tracked file, its
//! permissions keep other users out, and Terraform state, `.env` files and
//! private key files are ignored too.

pub mod ignore_rules;

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use bstr::{BString, ByteSlice};
use serde::Serialize;

use crate::finding::{Finding, Location, MatchKind, Secret, Severity, fingerprint_of};
use crate::resolver::{CONFIG_FILENAME, SECRETS_DIRNAME};
pub use ignore_rules::{IgnoreState, Worktree};

/// The kind of hygiene fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// No tracked `.gitignore` ignores a `.secrets/` directory.
    SecretsDirNotIgnored,
    /// Only this clone's excludes or an untracked `.gitignore` ignore it.
    SecretsDirIgnoredLocally,
    /// Git tracks a file under `.secrets/`.
    SecretsFileTracked,
    /// The directory grants access to group or others (wanted: 0700).
    SecretsDirMode,
    /// A file grants more than owner read and write (wanted: 0600).
    SecretsFileMode,
    /// The directory or a file belongs to another user.
    SecretsOwner,
    /// Terraform state, an `.env` file or a key file that no tracked
    /// `.gitignore` ignores.
    SensitiveFileNotIgnored,
    /// The same, ignored only by this clone's excludes.
    SensitiveFileIgnoredLocally,
    /// Git tracks such a file.
    SensitiveFileTracked,
    /// A `.secrets` directory, or an entry in it, is a symbolic link that
    /// leads out of the working tree, so its modes are neither checked nor
    /// fixed.
    SymlinkOutsideTree,
    /// The top-level `.gitignore` is a symbolic link. Git (since 2.32) does
    /// not read a symlinked `.gitignore`, and `--fix` does not write
    /// through it.
    GitignoreSymlink,
    /// A `datajoint.json` sets `database.password`. DataJoint 2.x reads
    /// the password from `.secrets/database.password` or `DJ_PASS`, which
    /// stay out of git; a password in the config file travels with it.
    PasswordInConfigFile,
    /// The check itself could not run on a path.
    CheckFailed,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::SecretsDirNotIgnored => "secrets-dir-not-ignored",
            ProblemKind::SecretsDirIgnoredLocally => "secrets-dir-ignored-locally",
            ProblemKind::SecretsFileTracked => "secrets-file-tracked",
            ProblemKind::SecretsDirMode => "secrets-dir-mode",
            ProblemKind::SecretsFileMode => "secrets-file-mode",
            ProblemKind::SecretsOwner => "secrets-owner",
            ProblemKind::SensitiveFileNotIgnored => "sensitive-file-not-ignored",
            ProblemKind::SensitiveFileIgnoredLocally => "sensitive-file-ignored-locally",
            ProblemKind::SensitiveFileTracked => "sensitive-file-tracked",
            ProblemKind::SymlinkOutsideTree => "symlink-outside-tree",
            ProblemKind::GitignoreSymlink => "gitignore-symlink",
            ProblemKind::PasswordInConfigFile => "password-in-config-file",
            ProblemKind::CheckFailed => "check-failed",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One hygiene fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    /// The path, relative to the working tree root (`/` separated).
    pub path: String,
    /// A one-sentence description of the fault.
    pub detail: String,
    /// A command or step that fixes it, when `--fix` does not.
    pub remedy: Option<String>,
    /// The octal permission bits, for mode problems.
    pub mode: Option<String>,
    /// The `.secrets` directory concerned, for ignore problems: their
    /// `path` is the top-level `.gitignore`, the file that needs the rule.
    pub dir: Option<String>,
}

impl Problem {
    /// Converts the problem into a path finding with rule id
    /// `hygiene.<kind>`, so that every report format can carry it. The
    /// finding's secret is empty and its fingerprint covers the kind and
    /// the path.
    pub fn to_finding(&self) -> Finding {
        let rule_id = format!("hygiene.{}", self.kind);
        let fingerprint = fingerprint_of(&[rule_id.as_bytes(), self.path.as_bytes()]);
        Finding {
            rule_id: rule_id.into(),
            description: self.detail.as_str().into(),
            severity: self.severity,
            kind: MatchKind::Path,
            secret: Secret::new(b"", 0),
            fingerprint,
            locations: vec![Location {
                path: BString::from(self.path.as_str()),
                line: 0,
                column: 0,
                commit: None,
                blob: None,
                refs: Vec::new(),
                in_head: None,
            }],
            effective_config: false,
        }
    }
}

/// A change `fix` made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    pub action: String,
}

/// Runs every check on the working tree that contains `path`. A tree that
/// cannot be read gives one `check-failed` problem.
pub fn check(path: &Path) -> Vec<Problem> {
    match try_check(path) {
        Ok(problems) => problems,
        Err(error) => vec![Problem {
            kind: ProblemKind::CheckFailed,
            severity: Severity::Medium,
            path: path.display().to_string(),
            detail: format!("{error:#}"),
            remedy: None,
            mode: None,
            dir: None,
        }],
    }
}

/// Runs every check on the working tree that contains `path`.
pub fn try_check(path: &Path) -> anyhow::Result<Vec<Problem>> {
    let tree = Worktree::open(path)?;
    let scan = scan_tree(&tree);
    let mut problems = Vec::new();
    let uid = current_uid();
    for dir in &scan.secrets_dirs {
        check_secrets_dir(&tree, dir, &scan, uid, &mut problems);
    }
    for file in &scan.sensitive_files {
        check_sensitive_file(&tree, file, &mut problems);
    }
    check_gitignore_symlink(&tree, &mut problems);
    for dir in &scan.config_dirs {
        check_config_password(&tree, dir, &mut problems);
    }
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.kind.cmp(&b.kind)));
    problems.dedup();
    Ok(problems)
}

/// The paths of the working tree that the checks examine.
#[derive(Default)]
struct TreeScan {
    /// `.secrets` directories, relative, from disk and from the index.
    secrets_dirs: BTreeSet<BString>,
    /// Directories holding a `datajoint.json`, relative.
    config_dirs: BTreeSet<BString>,
    /// Files on disk under each `.secrets` directory, relative.
    files: BTreeSet<BString>,
    sensitive_files: BTreeSet<BString>,
    /// Canonical targets of symlinked `.secrets` directories already walked.
    followed: BTreeSet<PathBuf>,
}

fn scan_tree(tree: &Worktree) -> TreeScan {
    let mut scan = TreeScan::default();
    scan.followed.insert(tree.root.clone());
    walk(tree, &tree.root, &mut scan);
    for path in &tree.tracked {
        let parts: Vec<&[u8]> = path.split_str("/").collect();
        if let Some(i) = parts.iter().position(|p| *p == SECRETS_DIRNAME.as_bytes())
            && i + 1 < parts.len()
        {
            scan.secrets_dirs
                .insert(BString::from(parts[..=i].join(&b'/')));
        }
        if let Some(name) = parts.last()
            && is_sensitive_name(name)
        {
            scan.sensitive_files.insert(path.clone());
        }
    }
    scan
}

fn walk(tree: &Worktree, dir: &Path, scan: &mut TreeScan) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        log::debug!("cannot list {}", dir.display());
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let rel = tree.relative(&path);
        if kind.is_symlink() && name == SECRETS_DIRNAME && path.is_dir() {
            // DataJoint follows a symlinked .secrets, so its target's files
            // and modes count. Git stores the link itself, never the files
            // behind it. A target outside the working tree is not walked:
            // `check_secrets_dir` reports the link instead.
            // Each target is walked once, so a link to an ancestor ends.
            scan.secrets_dirs.insert(rel.clone());
            if let Some(target) = inside_tree(tree, &path)
                && scan.followed.insert(target)
            {
                walk(tree, &path, scan);
            }
        } else if kind.is_dir() {
            if name == ".git" {
                continue;
            }
            if name == SECRETS_DIRNAME {
                scan.secrets_dirs.insert(rel.clone());
            }
            walk(tree, &path, scan);
        } else {
            if name == CONFIG_FILENAME {
                scan.config_dirs.insert(tree.relative(dir));
            }
            if rel.split_str("/").any(|p| p == SECRETS_DIRNAME.as_bytes()) {
                scan.files.insert(rel.clone());
            }
            if is_sensitive_name(name.as_encoded_bytes()) {
                scan.sensitive_files.insert(rel);
            }
        }
    }
}

/// Returns true for names of Terraform state, dotenv and private key files.
pub fn is_sensitive_name(name: &[u8]) -> bool {
    let name = name.to_str_lossy().to_lowercase();
    if name == ".env" {
        return true;
    }
    // The same names as the `files.dotenv` rule: `.env`, `.env.<stage>` and
    // `<name>.env`, but not templates such as `.env.example`.
    if let Some(suffix) = name.strip_prefix(".env.") {
        return !is_template_word(suffix);
    }
    if let Some(stem) = name.strip_suffix(".env")
        && !stem.is_empty()
    {
        return !matches!(stem, "example" | "sample" | "template");
    }
    if name.ends_with(".tfstate") || name.ends_with(".tfstate.backup") {
        return true;
    }
    if matches!(
        name.as_str(),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519"
    ) {
        return true;
    }
    [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Returns true for the suffixes that mark a committed template of a
/// dotenv file (`.env.example`), which contains no real values.
fn is_template_word(suffix: &str) -> bool {
    matches!(
        suffix,
        "example"
            | "sample"
            | "template"
            | "tmpl"
            | "tpl"
            | "dist"
            | "default"
            | "defaults"
            | "schema"
    )
}

fn rel_path(rel: &[u8]) -> PathBuf {
    PathBuf::from(rel.to_str_lossy().into_owned())
}

/// Returns how well git ignores a secrets directory. The directory counts
/// as ignored when a pattern matches it, or else when every file in it
/// (other than its own `.gitignore`) and a new `database.password` would
/// be ignored. The weakest of those decisions is returned.
fn secrets_dir_state(tree: &Worktree, dir: &[u8], scan: &TreeScan) -> IgnoreState {
    let dir_state = tree.ignore_state(&rel_path(dir), true);
    if dir_state == IgnoreState::IgnoredByRepository {
        return dir_state;
    }
    let prefix = format!("{}/", dir.to_str_lossy());
    let own_gitignore = format!("{prefix}.gitignore");
    let probe = format!("{prefix}database.password");
    let contents = scan
        .files
        .iter()
        .map(|f| f.to_str_lossy().into_owned())
        .filter(|f| f.starts_with(&prefix) && *f != own_gitignore)
        .chain([probe]);
    let content_state = contents
        .map(|f| tree.ignore_state(Path::new(&f), false))
        .min()
        .unwrap_or(IgnoreState::NotIgnored);
    dir_state.max(content_state)
}

const GITIGNORE_REMEDY: &str = "add `.secrets/` to the top-level .gitignore and commit it (`tightlip check --fix` adds the line)";

fn check_secrets_dir(
    tree: &Worktree,
    dir: &BString,
    scan: &TreeScan,
    uid: Option<u32>,
    problems: &mut Vec<Problem>,
) {
    let dir_text = dir.to_str_lossy().into_owned();
    let parent = match dir.rfind_byte(b'/') {
        Some(i) => BString::from(&dir[..i]),
        None => BString::default(),
    };
    let read_by_datajoint = scan.config_dirs.contains(&parent);
    let role = if read_by_datajoint {
        "is read by DataJoint (it sits beside datajoint.json)"
    } else {
        "holds secrets"
    };
    let problem = |kind, severity, detail: String, remedy: Option<String>| Problem {
        kind,
        severity,
        path: dir_text.clone(),
        detail,
        remedy,
        mode: None,
        dir: None,
    };
    let ignore_problem = |kind, severity, detail: String| Problem {
        path: ".gitignore".into(),
        dir: Some(dir_text.clone()),
        ..problem(kind, severity, detail, Some(GITIGNORE_REMEDY.into()))
    };
    match secrets_dir_state(tree, dir, scan) {
        IgnoreState::NotIgnored => problems.push(ignore_problem(
            ProblemKind::SecretsDirNotIgnored,
            if read_by_datajoint { Severity::High } else { Severity::Medium },
            format!("{dir_text}/ {role} but no tracked .gitignore ignores it, so `git add` would commit its files"),
        )),
        IgnoreState::IgnoredLocally => problems.push(ignore_problem(
            ProblemKind::SecretsDirIgnoredLocally,
            Severity::Low,
            format!("{dir_text}/ {role} and is ignored only by an untracked .gitignore, .git/info/exclude or global excludes, which protect this clone only"),
        )),
        IgnoreState::IgnoredByRepository => {}
    }

    let prefix = format!("{dir_text}/");
    for tracked in tree
        .tracked
        .iter()
        .filter(|p| p.starts_with(prefix.as_bytes()))
    {
        let text = tracked.to_str_lossy().into_owned();
        if text == format!("{prefix}.gitignore") {
            continue;
        }
        problems.push(Problem {
            kind: ProblemKind::SecretsFileTracked,
            severity: Severity::High,
            path: text.clone(),
            detail: format!("git tracks {text}, so every clone and every commit that holds it carries the secret"),
            remedy: Some(format!(
                "git rm --cached -- {}   (then rotate the secret: history still holds it)",
                shell_quote(&text)
            )),
            mode: None,
            dir: None,
        });
    }

    let absolute = tree.root.join(rel_path(dir));
    let Ok(meta) = std::fs::metadata(&absolute) else {
        return;
    };
    let Some(canonical) = inside_tree(tree, &absolute) else {
        problems.push(outside_link_problem(&dir_text, &absolute));
        return;
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        problems.push(Problem {
            mode: Some(format!("{mode:04o}")),
            ..problem(
                ProblemKind::SecretsDirMode,
                Severity::Medium,
                format!("{dir_text}/ has mode {mode:04o}; other users can list it (wanted: 0700)"),
                linked_mode_remedy(&absolute, &canonical, "700"),
            )
        });
    }
    check_owner(&dir_text, &meta, uid, problems);
    for file in scan
        .files
        .iter()
        .filter(|f| f.starts_with(prefix.as_bytes()))
    {
        let text = file.to_str_lossy().into_owned();
        if text == format!("{prefix}.gitignore") {
            continue;
        }
        let absolute = tree.root.join(&text);
        let Ok(meta) = std::fs::metadata(&absolute) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let Some(canonical) = inside_tree(tree, &absolute) else {
            problems.push(outside_link_problem(&text, &absolute));
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & !0o600 != 0 {
            problems.push(Problem {
                kind: ProblemKind::SecretsFileMode,
                severity: Severity::Medium,
                path: text.clone(),
                detail: format!("{text} has mode {mode:04o} (wanted: 0600 or stricter)"),
                remedy: linked_mode_remedy(&absolute, &canonical, "600"),
                mode: Some(format!("{mode:04o}")),
                dir: None,
            });
        }
        check_owner(&text, &meta, uid, problems);
    }
}

fn check_owner(
    path: &str,
    meta: &std::fs::Metadata,
    uid: Option<u32>,
    problems: &mut Vec<Problem>,
) {
    let Some(uid) = uid else { return };
    if meta.uid() != uid {
        problems.push(Problem {
            kind: ProblemKind::SecretsOwner,
            severity: Severity::Medium,
            path: path.to_string(),
            detail: format!(
                "{path} belongs to uid {}, not to the current user (uid {uid})",
                meta.uid()
            ),
            remedy: Some(format!(
                "chown the file to the user who runs DataJoint: chown {uid} {}",
                shell_quote(path)
            )),
            mode: None,
            dir: None,
        });
    }
}

fn check_sensitive_file(tree: &Worktree, file: &BString, problems: &mut Vec<Problem>) {
    let text = file.to_str_lossy().into_owned();
    if tree.is_tracked(file) {
        problems.push(Problem {
            kind: ProblemKind::SensitiveFileTracked,
            severity: Severity::High,
            path: text.clone(),
            detail: format!("git tracks {text}, a file that usually holds credentials"),
            remedy: Some(format!(
                "git rm --cached -- {} and add it to .gitignore (then rotate what it held)",
                shell_quote(&text)
            )),
            mode: None,
            dir: None,
        });
        return;
    }
    let (kind, severity, detail) = match tree.ignore_state(&rel_path(file), false) {
        IgnoreState::IgnoredByRepository => return,
        IgnoreState::NotIgnored => (
            ProblemKind::SensitiveFileNotIgnored,
            Severity::Medium,
            format!("{text} usually holds credentials and no tracked .gitignore ignores it"),
        ),
        IgnoreState::IgnoredLocally => (
            ProblemKind::SensitiveFileIgnoredLocally,
            Severity::Low,
            format!("{text} is ignored only by this clone's excludes or an untracked .gitignore"),
        ),
    };
    problems.push(Problem {
        kind,
        severity,
        path: text,
        detail,
        remedy: Some("add a pattern for it to a tracked .gitignore".into()),
        mode: None,
        dir: None,
    });
}

/// Returns the canonical path of `path` when it resolves to a place inside
/// the working tree, following every symbolic link on the way.
fn inside_tree(tree: &Worktree, path: &Path) -> Option<PathBuf> {
    let canonical = std::fs::canonicalize(path).ok()?;
    canonical.starts_with(&tree.root).then_some(canonical)
}

/// Returns the `chmod` to run by hand when a symbolic link inside the tree
/// leads to `canonical`, because `fix` changes no mode through a link.
/// Returns None when `absolute` is the file itself, which `fix` repairs.
fn linked_mode_remedy(absolute: &Path, canonical: &Path, mode: &str) -> Option<String> {
    if absolute == canonical {
        return None;
    }
    let target = shell_quote(&canonical.display().to_string());
    Some(format!(
        "chmod {mode} {target}   (a symbolic link leads there, so --fix leaves it alone)"
    ))
}

/// Describes a `.secrets` directory or a file in it that resolves outside
/// the working tree.
fn outside_link_problem(rel: &str, absolute: &Path) -> Problem {
    let target = std::fs::canonicalize(absolute)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "an unreadable path".into());
    Problem {
        kind: ProblemKind::SymlinkOutsideTree,
        severity: Severity::Low,
        path: rel.to_string(),
        detail: format!(
            "{rel} leads through a symbolic link to {target}, outside the working tree, so tightlip neither checks nor changes its mode"
        ),
        remedy: Some(format!(
            "check by hand that the directory has mode 0700, its files 0600, and that they belong to you: ls -la {}",
            shell_quote(&target)
        )),
        mode: None,
        dir: None,
    }
}

/// Reports a top-level `.gitignore` that is a symbolic link. Git 2.32 and
/// later do not read such a file, so its patterns protect nothing, and
/// `fix` does not append to it.
fn check_gitignore_symlink(tree: &Worktree, problems: &mut Vec<Problem>) {
    let path = tree.root.join(".gitignore");
    let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return;
    }
    problems.push(Problem {
        kind: ProblemKind::GitignoreSymlink,
        severity: Severity::Medium,
        path: ".gitignore".into(),
        detail: ".gitignore is a symbolic link; git does not read a symlinked .gitignore, so none of its patterns apply".into(),
        remedy: Some("replace the link with a regular file that holds the patterns and commit it: cp --remove-destination \"$(readlink -f .gitignore)\" .gitignore".into()),
        mode: None,
        dir: None,
    });
}

/// Largest `datajoint.json` read for the password check, in bytes.
const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// Reports a `datajoint.json` under `dir` that sets a non-empty
/// `database.password`, in the flat dotted form or nested under
/// `database`. Symbolic links and files that are not valid JSON are left
/// to the scan and to `tightlip config`.
fn check_config_password(tree: &Worktree, dir: &BString, problems: &mut Vec<Problem>) {
    let relative = if dir.is_empty() {
        CONFIG_FILENAME.to_string()
    } else {
        format!("{}/{CONFIG_FILENAME}", dir.to_str_lossy())
    };
    let path = tree.root.join(&relative);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return;
    };
    if !meta.is_file() || meta.len() > MAX_CONFIG_SIZE {
        return;
    }
    let Ok(text) = std::fs::read(&path) else {
        return;
    };
    let Ok(serde_json::Value::Object(config)) = serde_json::from_slice::<serde_json::Value>(&text)
    else {
        return;
    };
    let flat = config.get("database.password");
    let nested = config.get("database").and_then(|d| d.get("password"));
    let is_set = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::String(text)) => !text.trim().is_empty(),
        Some(serde_json::Value::Number(_)) => true,
        _ => false,
    };
    if !(is_set(flat) || is_set(nested)) {
        return;
    }
    problems.push(Problem {
        kind: ProblemKind::PasswordInConfigFile,
        severity: Severity::Low,
        path: relative,
        detail: "datajoint.json sets database.password; DataJoint 2.x expects the password in \
                 .secrets/database.password or the DJ_PASS environment variable, which stay out of git"
            .into(),
        remedy: Some(
            "move the value to .secrets/database.password (git-ignored, mode 0600) or DJ_PASS, \
             delete it from datajoint.json, and rotate it if the file was ever committed"
                .into(),
        ),
        mode: None,
        dir: None,
    });
}

/// Quotes `text` for a POSIX shell: plain paths stay as they are, others
/// are put in single quotes with each `'` written as `'\''`. Control
/// characters are escaped first, so such a path must be typed by hand.
pub fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if safe {
        return text.to_string();
    }
    let printable: String = text
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    format!("'{}'", printable.replace('\'', r"'\''"))
}

/// Returns the effective user id: the owner of `/proc/self`, which Linux
/// gives to the process's effective uid. None where that is unavailable.
fn current_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Repairs what can be repaired without deleting or untracking anything:
/// tightens the modes of `.secrets` directories (0700) and their files
/// (0600), and appends `.secrets/` to the top-level `.gitignore`. Nothing
/// is changed through a symbolic link.
pub fn fix(path: &Path, problems: &[Problem]) -> anyhow::Result<Vec<Change>> {
    let tree = Worktree::open(path)?;
    let mut changes = Vec::new();
    let needs_ignore = problems.iter().any(|p| {
        matches!(
            p.kind,
            ProblemKind::SecretsDirNotIgnored | ProblemKind::SecretsDirIgnoredLocally
        )
    });
    let gitignore = tree.root.join(".gitignore");
    let gitignore_is_link =
        std::fs::symlink_metadata(&gitignore).is_ok_and(|m| m.file_type().is_symlink());
    // A symlinked .gitignore is reported by `check_gitignore_symlink` and
    // left alone, because writing through it would change a file elsewhere.
    // NOTE: a link created between this check and the append is followed.
    if needs_ignore && !gitignore_is_link {
        append_gitignore_line(&tree.root, ".secrets/")?;
        changes.push(Change {
            path: ".gitignore".into(),
            action: "appended `.secrets/`".into(),
        });
    }
    for problem in problems {
        let wanted = match problem.kind {
            ProblemKind::SecretsDirMode => 0o700,
            ProblemKind::SecretsFileMode => 0o600,
            _ => continue,
        };
        // Change only a path with no symbolic link below the root (which is
        // canonical), so no link can lead the change elsewhere. The problem
        // then stays, with the command to run by hand.
        // NOTE: a link swapped in between this check and the chmod is
        // still followed.
        let target = tree.root.join(&problem.path);
        if std::fs::canonicalize(&target).ok().as_ref() != Some(&target) {
            continue;
        }
        let meta = std::fs::metadata(&target)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", target.display()))?;
        let old = meta.permissions().mode() & 0o7777;
        // Keep only the owner's bits that are also wanted, so a stricter
        // mode (such as 0400) stays as strict.
        let new = old & wanted;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(new))
            .map_err(|e| anyhow::anyhow!("cannot change the mode of {}: {e}", target.display()))?;
        changes.push(Change {
            path: problem.path.clone(),
            action: format!("mode {old:04o} -> {new:04o}"),
        });
    }
    Ok(changes)
}

fn append_gitignore_line(root: &Path, line: &str) -> anyhow::Result<()> {
    let path = root.join(".gitignore");
    let existing = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {} for appending: {e}", path.display()))?;
    let mut text = String::new();
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    file.write_all(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
