//! DataJoint 2.3.5's configuration resolution, reproduced with provenance.
//!
//! [`resolve`] answers: if DataJoint were imported in a given directory
//! with a given environment, which `datajoint.json` would it find, which
//! secrets directory would it read, which files would it open (in order),
//! what would each `database.*` and `stores.*` setting be and where would
//! that value come from, and would the import fail (with DataJoint's
//! exception type and message). The environment is passed in as a map;
//! nothing here reads the process environment.
//!
//! The steps follow `_create_config()` in `datajoint/settings.py` 2.3.5:
//! build `Config()` from the environment, find and load `datajoint.json`,
//! apply `DJ_STORES`, then read the secrets directory.

mod apply;
mod env;
pub mod pyvalue;
pub mod repo;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use pyvalue::{PyDict, PyValue};
pub use repo::{
    EffectiveConfig, EffectivePaths, effective_config_files, effective_config_files_at,
    is_effective_config_path,
};

/// The file name DataJoint searches for.
pub const CONFIG_FILENAME: &str = "datajoint.json";
/// The secrets directory DataJoint reads beside `datajoint.json`.
pub const SECRETS_DIRNAME: &str = ".secrets";
/// DataJoint's fallback secrets directory (a fixed path in settings.py).
pub const SYSTEM_SECRETS_DIR: &str = "/run/secrets/datajoint";

/// What to resolve: where DataJoint starts and what it sees.
#[derive(Clone, Debug)]
pub struct ResolveOptions {
    /// The working directory DataJoint is started in.
    pub start_dir: PathBuf,
    /// The complete process environment.
    pub env: BTreeMap<String, String>,
    /// Stands in for `/run/secrets/datajoint`, so that tests do not depend
    /// on the machine.
    pub system_secrets_dir: PathBuf,
}

impl ResolveOptions {
    /// Returns options for `start_dir` with `env` and the real system
    /// secrets directory.
    pub fn new(start_dir: impl Into<PathBuf>, env: BTreeMap<String, String>) -> ResolveOptions {
        ResolveOptions {
            start_dir: start_dir.into(),
            env,
            system_secrets_dir: PathBuf::from(SYSTEM_SECRETS_DIR),
        }
    }
}

/// Where a resolved value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The settings default.
    Default,
    /// The port default that DataJoint derives from the backend.
    BackendDefault,
    /// An environment variable, read by pydantic-settings.
    Env { variable: String },
    /// `DJ_STORES`, which replaced the whole `stores` dict.
    DjStores,
    /// A key of `datajoint.json`, in dotted form (`database.password`,
    /// `stores.main`).
    File { path: PathBuf, key: String },
    /// A file in the secrets directory.
    SecretsFile { path: PathBuf },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::BackendDefault => f.write_str("default for the backend"),
            Source::Env { variable } => write!(f, "environment variable {variable}"),
            Source::DjStores => f.write_str("environment variable DJ_STORES"),
            Source::File { path, key } => write!(f, "{} key {key}", path.display()),
            Source::SecretsFile { path } => write!(f, "secrets file {}", path.display()),
        }
    }
}

/// One resolved setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub value: PyValue,
    pub source: Source,
}

/// The exception that would make `import datajoint` fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DjError {
    /// The Python exception class name, such as `ValidationError`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exception)`.
    pub message: String,
}

impl DjError {
    fn new(kind: &str, message: impl Into<String>) -> DjError {
        DjError {
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

/// The outcome of resolving DataJoint's configuration.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// The start directory with symlinks resolved, as DataJoint sees it.
    pub start_dir: PathBuf,
    /// The `datajoint.json` the upward search found, loaded or not.
    pub config_file: Option<PathBuf>,
    /// True when the found file loaded without error.
    pub config_loaded: bool,
    /// The secrets directory DataJoint started reading.
    pub secrets_dir: Option<PathBuf>,
    /// Files DataJoint opens, in its order, including secret files whose
    /// values it then discards.
    pub files_read: Vec<PathBuf>,
    /// The `UserWarning`s DataJoint issues.
    pub warnings: Vec<String>,
    /// The exception that aborts the import, if any.
    pub error: Option<DjError>,
    /// The `database.*` and `stores.*` leaves in DataJoint's order. After an
    /// error they hold what was resolved before it.
    pub values: Vec<(String, Resolved)>,
    /// True when `ignore_config_file` ended up set, which skips the
    /// secrets directory.
    pub ignore_config_file: bool,
    /// Keys of `datajoint.json` that a non-empty guarding environment
    /// variable kept from applying.
    pub guarded_keys: Vec<String>,
}

impl Resolution {
    /// Returns the resolved value of a dotted key.
    pub fn get(&self, key: &str) -> Option<&Resolved> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Resolves the configuration DataJoint 2.3.5 would build when imported
/// in `options.start_dir` with `options.env`.
///
/// File system errors that DataJoint would raise are reported in
/// [`Resolution::error`], as DataJoint's exception; only a start directory
/// that cannot be resolved is an `Err`.
pub fn resolve(options: &ResolveOptions) -> std::io::Result<Resolution> {
    let start_dir = std::fs::canonicalize(&options.start_dir)?;
    Ok(apply::run(&start_dir, options))
}

/// Finds `datajoint.json` as DataJoint does: from `start` upward, taking the
/// first regular file of that name, and stopping at a directory that holds
/// `.git` or `.hg` (after checking that directory itself) or at the root.
pub fn find_config_file(start: &Path) -> Option<PathBuf> {
    let mut current = start.to_path_buf();
    loop {
        let candidate = current.join(CONFIG_FILENAME);
        if is_file(&candidate) {
            return Some(candidate);
        }
        if exists(&current.join(".git")) || exists(&current.join(".hg")) {
            return None;
        }
        if !current.pop() {
            return None;
        }
    }
}

/// Chooses the secrets directory as DataJoint does: the `.secrets` beside a
/// found `datajoint.json`, else the system directory, else none.
pub fn find_secrets_dir(config_file: Option<&Path>, system_dir: &Path) -> Option<PathBuf> {
    if let Some(parent) = config_file.and_then(Path::parent) {
        let project = parent.join(SECRETS_DIRNAME);
        if is_dir(&project) {
            return Some(project);
        }
    }
    is_dir(system_dir).then(|| system_dir.to_path_buf())
}

/// `Path.is_file()`: follows symlinks and treats any error as false.
pub(crate) fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

pub(crate) fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

pub(crate) fn exists(path: &Path) -> bool {
    std::fs::metadata(path).is_ok()
}

/// Returns true for the characters Python's `str.isspace()` accepts, which
/// include U+001C to U+001F that Rust's `char::is_whitespace` lacks.
pub fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Strips leading and trailing characters as Python's `str.strip()` does.
pub fn python_strip(s: &str) -> &str {
    s.trim_matches(is_python_space)
}

/// Decodes file bytes as Python's text mode does with UTF-8: invalid bytes
/// give `UnicodeDecodeError` and line endings `\r\n` and `\r` become `\n`.
pub fn decode_text(bytes: &[u8]) -> Result<String, DjError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return Err(unicode_decode_error(bytes, &e)),
    };
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

fn unicode_decode_error(bytes: &[u8], e: &std::str::Utf8Error) -> DjError {
    let start = e.valid_up_to();
    let (len, reason) = match e.error_len() {
        Some(len) => {
            let first = bytes[start];
            let invalid_start = (0x80..0xc2).contains(&first) || first >= 0xf5;
            let reason = if invalid_start {
                "invalid start byte"
            } else {
                "invalid continuation byte"
            };
            (len, reason)
        }
        None => (bytes.len() - start, "unexpected end of data"),
    };
    let message = if len == 1 {
        format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {start}: {reason}",
            bytes[start]
        )
    } else {
        format!(
            "'utf-8' codec can't decode bytes in position {start}-{}: {reason}",
            start + len - 1
        )
    };
    DjError::new("UnicodeDecodeError", message)
}

/// Converts an I/O error on `path` to the Python exception `open()` raises.
pub(crate) fn os_error(e: &std::io::Error, path: &Path) -> DjError {
    use std::io::ErrorKind;
    let quoted = pyvalue::str_repr(&path.to_string_lossy());
    let (kind, errno, text) = match e.kind() {
        ErrorKind::NotFound => ("FileNotFoundError", 2, "No such file or directory"),
        ErrorKind::PermissionDenied => ("PermissionError", 13, "Permission denied"),
        ErrorKind::IsADirectory => ("IsADirectoryError", 21, "Is a directory"),
        _ => {
            return DjError::new("OSError", format!("{e}: {quoted}"));
        }
    };
    DjError::new(kind, format!("[Errno {errno}] {text}: {quoted}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_removes_python_whitespace() {
        assert_eq!(python_strip("\u{1c}\u{a0}pw19\u{2003}\u{1f}\n"), "pw19");
        assert_eq!(python_strip("\u{feff}key\n"), "\u{feff}key");
        assert_eq!(python_strip("\t pw with  spaces \r\n"), "pw with  spaces");
    }

    #[test]
    fn decode_reports_python_positions() {
        let e = decode_text(b"\xff\xfepw").unwrap_err();
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
        );
        let e = decode_text(b"ab\xe2\x82").unwrap_err();
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode bytes in position 2-3: unexpected end of data"
        );
        let e = decode_text(b"\xe2\x41").unwrap_err();
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"
        );
        assert_eq!(decode_text(b"a\r\nb\rc").unwrap(), "a\nb\nc");
    }
}
