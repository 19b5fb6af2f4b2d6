//! Built-in detection rules: their data model, loading from the TOML files
//! under `rules/`, and the checker that validates a rule set.
//!
//! Each file in `rules/` contains one provider family as an array of
//! `[[rule]]` tables. The files are embedded at build time, so the binary
//! needs nothing on disk.

mod check;

use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::Severity;

pub use check::{Problem, check};

/// One detection rule, as written in a rule file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable identifier such as `aws.access-key-id`; baselines refer to it.
    pub id: String,
    pub description: String,
    pub severity: Severity,
    #[serde(default)]
    pub kind: RuleKind,
    /// Literals that must occur (ASCII case-insensitively) near a match,
    /// because the prefilter runs a rule's pattern only around these. For
    /// a path rule, the path must contain one.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regular expression over bytes. The secret is the first participating
    /// group whose name starts with `secret`, or group 1 when no group is
    /// named so. Verbose `(?x)` patterns are allowed.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Minimum Shannon entropy of the secret, in bits per byte.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Minimum length of the secret, in bytes.
    #[serde(default)]
    pub min_length: Option<usize>,
    /// Number of leading secret bytes that are a public type marker (such
    /// as `ghp_`) and may appear in redacted output.
    #[serde(default)]
    pub public_prefix: usize,
    /// Rank among rules matching the same value: where several match, only
    /// the highest specificity is kept.
    #[serde(default = "default_specificity")]
    pub specificity: u8,
    /// Lets a match span lines (private key blocks). Other rules see one
    /// line at a time, so a value never crosses a newline.
    #[serde(default)]
    pub multiline: bool,
    /// Text that must follow a keyword hit for the pattern to run there.
    #[serde(default)]
    pub keyword_context: Option<KeywordContext>,
    /// Path conditions on the repository-relative path.
    #[serde(default)]
    pub paths: PathCondition,
    /// When not empty, a match counts only on a line that contains one of
    /// these literals (ASCII case-insensitively).
    #[serde(default)]
    pub line_contains: Vec<String>,
    /// Checks on the matched value that reject references and decoys.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// Context that may lower the rule's severity for one match.
    #[serde(default)]
    pub severity_adjust: Option<SeverityAdjust>,
    /// Normalization of the matched bytes into the reported secret.
    #[serde(default)]
    pub normalize: Option<Normalize>,
    /// Path rules: trimmed file contents that do not fire the rule.
    #[serde(default)]
    pub content_unless: Vec<String>,
    /// Path rules: fire only when the content contains private key material
    /// or any secret that a content rule finds.
    #[serde(default)]
    pub requires_key_material: bool,
    /// Path rules: the content scanned with each example path.
    #[serde(default)]
    pub example_content: Option<String>,
    /// Path under which content examples are checked; path conditions
    /// apply to it.
    #[serde(default)]
    pub example_path: Option<String>,
    /// Inputs that must produce a match: file contents for content rules,
    /// paths for path rules.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Inputs that must not produce a match.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

fn default_specificity() -> u8 {
    50
}

/// The input a rule looks at: content, or only the path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    #[default]
    Content,
    /// Fires on the path whatever the content, subject to
    /// `content_unless` and `requires_key_material`.
    Path,
}

/// Include and exclude conditions on the repository-relative path. A path
/// passes when it matches any include (or there is none) and no exclude.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathCondition {
    /// Regular expressions.
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Glob patterns in gitignore-like syntax, matched on the whole path.
    #[serde(default)]
    pub include_globs: Vec<String>,
    #[serde(default)]
    pub exclude_globs: Vec<String>,
}

impl PathCondition {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty()
            && self.exclude.is_empty()
            && self.include_globs.is_empty()
            && self.exclude_globs.is_empty()
    }
}

/// What a rule needs right after a keyword hit; hits without it skip the
/// pattern, which saves work where the keyword is common.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeywordContext {
    /// The keyword is part of an assigned name: the identifier holding it
    /// is followed by `=`, `:`, `<-` or `->`.
    Assignment,
    /// The keyword is `://`: a `user:password@` part follows before any
    /// `/`, blank or quote.
    UrlUserinfo,
}

/// A check that rejects matched values which are not literal secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// Variable and template references: `$VAR`, `${VAR}`, `$(cmd)`,
    /// `${{ secrets.X }}`, `{{ var }}`, `%(var)s`, `{DB_PASS}`, calls to
    /// environment lookups.
    References,
    /// Empty and null values, `<your-password>`-style placeholders, masks.
    Placeholders,
    /// Values that vendors publish in their documentation as examples.
    VendorExamples,
    /// The name group must end in a password-, secret-, token- or
    /// key-like word, and the value must look random (length, entropy,
    /// character classes). Unquoted values in source code are expressions,
    /// not literals, and are rejected.
    GenericAssignment,
    /// Like `generic-assignment` for a call such as `secret("…")`: the
    /// `name` group is the function, which must not be a lookup such as
    /// `getenv` or `get_secret`.
    GenericArgument,
}

/// Context that lowers the severity of one match by one level per reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityAdjust {
    /// The `host` group names a loopback host, or the password equals the
    /// `user` group.
    UrlHost,
    /// The DataJoint config file sets a loopback `database.host`, or the
    /// password equals `database.user`.
    DatajointConfig,
}

/// Normalization that turns matched bytes into the reported secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalize {
    /// Keep only the base64 body of a PEM-style block, so the same key has
    /// one fingerprint whether stored plain or inside an escaped string.
    PemBody,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<Rule>,
}

/// The rule files compiled into the binary, by file name.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("aws.toml", include_str!("../../rules/aws.toml")),
    ("cloud.toml", include_str!("../../rules/cloud.toml")),
    ("datajoint.toml", include_str!("../../rules/datajoint.toml")),
    ("files.toml", include_str!("../../rules/files.toml")),
    ("generic.toml", include_str!("../../rules/generic.toml")),
    ("github.toml", include_str!("../../rules/github.toml")),
    (
        "private-keys.toml",
        include_str!("../../rules/private-keys.toml"),
    ),
    ("saas.toml", include_str!("../../rules/saas.toml")),
];

/// Error from parsing one rule file.
#[derive(Debug, thiserror::Error)]
#[error("invalid rule file {file}: {source}")]
pub struct LoadError {
    pub file: String,
    #[source]
    pub source: toml::de::Error,
}

/// Parses one rule file.
pub fn parse(file: &str, text: &str) -> Result<Vec<Rule>, LoadError> {
    toml::from_str::<RuleFile>(text)
        .map(|parsed| parsed.rule)
        .map_err(|source| LoadError {
            file: file.to_string(),
            source,
        })
}

/// Returns the built-in rules, parsed once per process.
///
/// # Panics
/// Panics when a built-in rule file does not parse; the rule tests make
/// that a build-time failure in practice.
pub fn builtin() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = Vec::new();
        for (file, text) in BUILTIN_FILES {
            match parse(file, text) {
                Ok(parsed) => rules.extend(parsed),
                Err(error) => panic!("built-in rules are invalid: {error}"),
            }
        }
        rules
    })
}
