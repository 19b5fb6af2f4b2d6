//! DataJoint 2.3.5's settings models (`datajoint/settings.py`) and the
//! pydantic 2.14 validation rules they apply, with pydantic's error text.
//!
//! Only the rules that values from `datajoint.json`, the secrets directory
//! and plain environment variables can reach are modelled: lax-mode string,
//! boolean, integer, literal and dict validation.

use std::fmt;

use super::pyvalue::PyValue;

/// The pydantic models that make up DataJoint's `Config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    Config,
    Database,
    Connection,
    Display,
    Jobs,
    Provenance,
}

impl Model {
    pub fn class_name(self) -> &'static str {
        match self {
            Model::Config => "Config",
            Model::Database => "DatabaseSettings",
            Model::Connection => "ConnectionSettings",
            Model::Display => "DisplaySettings",
            Model::Jobs => "JobsSettings",
            Model::Provenance => "ProvenanceSettings",
        }
    }

    /// Returns the model's `env_prefix`. A field without an alias is read
    /// from `prefix + name`, matched without regard to case.
    fn env_prefix(self) -> &'static str {
        match self {
            Model::Config | Model::Database => "DJ_",
            Model::Connection | Model::Display => "",
            Model::Jobs => "DJ_JOBS_",
            Model::Provenance => "DJ_PROVENANCE_",
        }
    }

    /// Returns the group attribute of `Config` that contains this model.
    pub fn group_name(self) -> Option<&'static str> {
        match self {
            Model::Config => None,
            Model::Database => Some("database"),
            Model::Connection => Some("connection"),
            Model::Display => Some("display"),
            Model::Jobs => Some("jobs"),
            Model::Provenance => Some("provenance"),
        }
    }

    pub fn from_group(name: &str) -> Option<Model> {
        GROUPS
            .iter()
            .copied()
            .find(|m| m.group_name() == Some(name))
    }

    pub fn fields(self) -> impl Iterator<Item = &'static Field> {
        FIELDS.iter().filter(move |f| f.model == self)
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().find(|f| f.name == name)
    }
}

/// The groups of `Config`, in field order.
pub const GROUPS: [Model; 5] = [
    Model::Database,
    Model::Connection,
    Model::Display,
    Model::Jobs,
    Model::Provenance,
];

/// The type of a settings field, as far as validation is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    /// `str | None`; `SecretStr | None` validates the same way.
    OptStr,
    Bool,
    OptBool,
    Int {
        min: Option<i128>,
        max: Option<i128>,
    },
    OptInt,
    Literal(&'static [&'static str]),
    OptLiteral(&'static [&'static str]),
    /// `Path | None` behind a `mode="before"` validator that calls `Path(v)`.
    OptPath,
    /// `dict[str, Any]`.
    Dict,
    /// A nested settings model.
    Group(Model),
}

/// One field of a settings model.
#[derive(Debug)]
pub struct Field {
    pub model: Model,
    pub name: &'static str,
    /// The `validation_alias`, which is also the environment variable name.
    pub alias: Option<&'static str>,
    pub kind: Kind,
}

impl Field {
    /// Returns the environment variable pydantic-settings reads for this
    /// field (matched without regard to case).
    pub fn env_name(&self) -> String {
        match self.alias {
            Some(alias) => alias.to_string(),
            None => format!("{}{}", self.model.env_prefix(), self.name).to_uppercase(),
        }
    }

    /// Returns the default value, before the database port validator runs.
    pub fn default_value(&self) -> PyValue {
        let s = |v: &str| PyValue::Str(v.to_string());
        match (self.model, self.name) {
            (Model::Database, "host") => s("localhost"),
            (Model::Database, "backend") => s("mysql"),
            (Model::Database, "reconnect") => PyValue::Bool(true),
            (Model::Database, "database_prefix") => s(""),
            (Model::Database, "create_tables") => PyValue::Bool(true),
            (Model::Connection, "charset") => s(""),
            (Model::Display, "limit") => PyValue::Int(12),
            (Model::Display, "width") => PyValue::Int(14),
            (Model::Display, "show_tuple_count") => PyValue::Bool(true),
            (Model::Display, "diagram_direction") => s("LR"),
            (Model::Display, "diagram_theme") => s("auto"),
            (Model::Jobs, "auto_refresh") => PyValue::Bool(true),
            (Model::Jobs, "keep_completed") => PyValue::Bool(false),
            (Model::Jobs, "stale_timeout") => PyValue::Int(3600),
            (Model::Jobs, "default_priority") => PyValue::Int(5),
            (Model::Jobs, "allow_new_pk_fields_in_computed_tables") => PyValue::Bool(false),
            (Model::Jobs, "add_job_metadata") => PyValue::Bool(false),
            (Model::Provenance, "capture") => PyValue::Bool(false),
            (Model::Provenance, "source") => PyValue::Dict(Default::default()),
            (Model::Config, "stores") => PyValue::Dict(Default::default()),
            (Model::Config, "loglevel") => s("INFO"),
            (Model::Config, "safemode") => PyValue::Bool(true),
            (Model::Config, "ignore_config_file") => PyValue::Bool(false),
            (Model::Config, "download_path") => s("."),
            _ => PyValue::None,
        }
    }
}

const BACKENDS: &[&str] = &["mysql", "postgresql"];
const LOG_LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

macro_rules! field {
    ($model:ident, $name:literal, $alias:expr, $kind:expr) => {
        Field {
            model: Model::$model,
            name: $name,
            alias: $alias,
            kind: $kind,
        }
    };
}

/// Every field of DataJoint 2.3.5's settings, in declaration order.
pub static FIELDS: &[Field] = &[
    field!(Database, "host", Some("DJ_HOST"), Kind::Str),
    field!(Database, "user", Some("DJ_USER"), Kind::OptStr),
    field!(Database, "password", Some("DJ_PASS"), Kind::OptStr),
    field!(
        Database,
        "backend",
        Some("DJ_BACKEND"),
        Kind::Literal(BACKENDS)
    ),
    field!(Database, "port", Some("DJ_PORT"), Kind::OptInt),
    field!(Database, "name", Some("DJ_DATABASE_NAME"), Kind::OptStr),
    field!(Database, "reconnect", None, Kind::Bool),
    field!(Database, "use_tls", Some("DJ_USE_TLS"), Kind::OptBool),
    field!(
        Database,
        "database_prefix",
        Some("DJ_DATABASE_PREFIX"),
        Kind::Str
    ),
    field!(
        Database,
        "create_tables",
        Some("DJ_CREATE_TABLES"),
        Kind::Bool
    ),
    field!(Connection, "charset", None, Kind::Str),
    field!(
        Display,
        "limit",
        None,
        Kind::Int {
            min: None,
            max: None
        }
    ),
    field!(
        Display,
        "width",
        None,
        Kind::Int {
            min: None,
            max: None
        }
    ),
    field!(Display, "show_tuple_count", None, Kind::Bool),
    field!(
        Display,
        "diagram_direction",
        Some("DJ_DIAGRAM_DIRECTION"),
        Kind::Literal(&["TB", "LR"])
    ),
    field!(
        Display,
        "diagram_theme",
        Some("DJ_DIAGRAM_THEME"),
        Kind::Literal(&["light", "dark", "auto"])
    ),
    field!(Jobs, "auto_refresh", None, Kind::Bool),
    field!(Jobs, "keep_completed", None, Kind::Bool),
    field!(
        Jobs,
        "stale_timeout",
        None,
        Kind::Int {
            min: Some(0),
            max: None
        }
    ),
    field!(
        Jobs,
        "default_priority",
        None,
        Kind::Int {
            min: Some(0),
            max: Some(255)
        }
    ),
    field!(
        Jobs,
        "version_method",
        None,
        Kind::OptLiteral(&["git", "none"])
    ),
    field!(
        Jobs,
        "allow_new_pk_fields_in_computed_tables",
        None,
        Kind::Bool
    ),
    field!(Jobs, "add_job_metadata", None, Kind::Bool),
    field!(Provenance, "capture", None, Kind::Bool),
    field!(Provenance, "source", None, Kind::Dict),
    field!(Config, "database", None, Kind::Group(Model::Database)),
    field!(Config, "connection", None, Kind::Group(Model::Connection)),
    field!(Config, "display", None, Kind::Group(Model::Display)),
    field!(Config, "jobs", None, Kind::Group(Model::Jobs)),
    field!(Config, "provenance", None, Kind::Group(Model::Provenance)),
    field!(
        Config,
        "stores",
        Some("_DJ_STORES_PYDANTIC_DISABLED"),
        Kind::Dict
    ),
    field!(
        Config,
        "loglevel",
        Some("DJ_LOG_LEVEL"),
        Kind::Literal(LOG_LEVELS)
    ),
    field!(Config, "safemode", None, Kind::Bool),
    field!(
        Config,
        "ignore_config_file",
        Some("DJ_IGNORE_CONFIG_FILE"),
        Kind::Bool
    ),
    field!(Config, "query_cache", None, Kind::OptPath),
    field!(Config, "download_path", None, Kind::Str),
];

/// Public methods and class attributes that every settings model instance
/// has (pydantic 2.14 `BaseModel` and pydantic-settings 2.16 `BaseSettings`).
/// Assigning one of them fails with pydantic's `no_such_attribute` error.
pub const MODEL_METHODS: &[&str] = &[
    "construct",
    "copy",
    "dict",
    "from_orm",
    "json",
    "model_computed_fields",
    "model_config",
    "model_construct",
    "model_copy",
    "model_dump",
    "model_dump_json",
    "model_fields",
    "model_json_schema",
    "model_parametrized_name",
    "model_post_init",
    "model_rebuild",
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "settings_cached",
    "settings_clear_cache",
    "settings_customise_sources",
    "update_forward_refs",
    "validate",
];

/// Read-only properties of every settings model instance.
pub const MODEL_PROPERTIES: &[&str] = &["model_extra", "model_fields_set"];

/// Returns true when `name` is a public non-field attribute of `model`:
/// a pydantic method or property, or a method DataJoint defines.
pub fn is_model_attribute(model: Model, name: &str) -> bool {
    let own: &[&str] = match model {
        Model::Config => &[
            "convert_path",
            "get",
            "get_store_spec",
            "load",
            "override",
            "save_template",
            "set_logger_level",
        ],
        Model::Database => &["set_default_port_from_backend"],
        _ => &[],
    };
    MODEL_METHODS.contains(&name) || MODEL_PROPERTIES.contains(&name) || own.contains(&name)
}

/// Returns the keys that a non-empty environment variable protects from
/// `datajoint.json` (`ENV_VAR_MAPPING` in settings.py), with that variable.
pub fn guard_variable(dotted_key: &str) -> Option<&'static str> {
    Some(match dotted_key {
        "database.host" => "DJ_HOST",
        "database.user" => "DJ_USER",
        "database.password" => "DJ_PASS",
        "database.backend" => "DJ_BACKEND",
        "database.port" => "DJ_PORT",
        "database.name" => "DJ_DATABASE_NAME",
        "database.database_prefix" => "DJ_DATABASE_PREFIX",
        "database.create_tables" => "DJ_CREATE_TABLES",
        "loglevel" => "DJ_LOG_LEVEL",
        "display.diagram_direction" => "DJ_DIAGRAM_DIRECTION",
        "display.diagram_theme" => "DJ_DIAGRAM_THEME",
        _ => return None,
    })
}

/// One entry of a pydantic `ValidationError`.
#[derive(Clone, Debug, PartialEq)]
pub struct LineError {
    pub loc: String,
    pub kind: &'static str,
    pub message: String,
    pub input: PyValue,
}

/// A pydantic `ValidationError`, formatted as `str(error)` prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationError {
    pub title: &'static str,
    pub errors: Vec<LineError>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{count} validation error{plural} for {}", self.title)?;
        for e in &self.errors {
            write!(
                f,
                "\n{}\n  {} [type={}, input_value={}, input_type={}]\n    For further information visit https://errors.pydantic.dev/2.14/v/{}",
                e.loc,
                e.message,
                e.kind,
                input_repr(&e.input),
                e.input.type_name(),
                e.kind
            )?;
        }
        Ok(())
    }
}

/// Replaces the `input_value=...` part of every pydantic line error in
/// `text` with `input_value=<redacted>`, keeping the error type, message and
/// `input_type`. A value in `datajoint.json` or the environment may be a
/// password, so output shows it only with `--show-secrets`.
pub fn redact_input_values(text: &str) -> String {
    // Greedy up to the last `, input_type=` on the line, because the repr
    // itself may contain that text.
    static INPUT_VALUE: once_cell::sync::Lazy<regex::Regex> = once_cell::sync::Lazy::new(|| {
        regex::Regex::new(r"(?m)input_value=.*, input_type=(\w+)\]$").expect("valid regex")
    });
    INPUT_VALUE
        .replace_all(text, "input_value=<redacted>, input_type=${1}]")
        .into_owned()
}

/// Returns the `input_value` text: pydantic shortens a repr of more than
/// 50 characters to its first and last 25 joined by `...`.
// NOTE: the cut-off follows pydantic-core's `truncate_input_value`; it was
// not compared against the installed package for long values.
fn input_repr(value: &PyValue) -> String {
    let repr = value.repr();
    let chars: Vec<char> = repr.chars().collect();
    if chars.len() > 50 {
        let head: String = chars[..25].iter().collect();
        let tail: String = chars[chars.len() - 24..].iter().collect();
        format!("{head}...{tail}")
    } else {
        repr
    }
}

/// A failed validation of one value.
#[derive(Clone, Debug, PartialEq)]
pub enum Invalid {
    /// A pydantic line error: its type and message.
    Line(&'static str, String),
    /// A Python exception raised by a validator and not converted by
    /// pydantic, such as `TypeError` from `Path(5)`.
    Raw { kind: &'static str, message: String },
}

fn line(kind: &'static str, message: &str) -> Invalid {
    Invalid::Line(kind, message.to_string())
}

const BOOL_PARSING: &str = "Input should be a valid boolean, unable to interpret input";
const INT_PARSING: &str = "Input should be a valid integer, unable to parse string as an integer";

/// Validates `value` for a field of `kind` the way pydantic's lax mode does
/// on assignment and on construction from the environment.
pub fn validate(kind: Kind, value: &PyValue) -> Result<PyValue, Invalid> {
    match kind {
        Kind::Str => match value {
            PyValue::Str(_) => Ok(value.clone()),
            _ => Err(line("string_type", "Input should be a valid string")),
        },
        Kind::OptStr | Kind::OptBool | Kind::OptInt | Kind::OptLiteral(_) | Kind::OptPath
            if *value == PyValue::None =>
        {
            Ok(PyValue::None)
        }
        Kind::OptStr => validate(Kind::Str, value),
        Kind::Bool | Kind::OptBool => validate_bool(value).map(PyValue::Bool),
        Kind::Int { min, max } => {
            let n = validate_int(value)?;
            if let Some(min) = min.filter(|&m| n < m) {
                return Err(Invalid::Line(
                    "greater_than_equal",
                    format!("Input should be greater than or equal to {min}"),
                ));
            }
            if let Some(max) = max.filter(|&m| n > m) {
                return Err(Invalid::Line(
                    "less_than_equal",
                    format!("Input should be less than or equal to {max}"),
                ));
            }
            Ok(PyValue::Int(n))
        }
        Kind::OptInt => validate_int(value).map(PyValue::Int),
        Kind::Literal(choices) | Kind::OptLiteral(choices) => match value {
            PyValue::Str(s) if choices.contains(&s.as_str()) => Ok(value.clone()),
            _ => Err(Invalid::Line("literal_error", literal_message(choices))),
        },
        Kind::OptPath => match value {
            PyValue::Str(_) => Ok(value.clone()),
            other => Err(Invalid::Raw {
                kind: "TypeError",
                message: format!(
                    "expected str, bytes or os.PathLike object, not {}",
                    other.type_name()
                ),
            }),
        },
        Kind::Dict => match value {
            PyValue::Dict(_) => Ok(value.clone()),
            _ => Err(line("dict_type", "Input should be a valid dictionary")),
        },
        Kind::Group(model) => Err(Invalid::Line(
            "model_type",
            format!(
                "Input should be a valid dictionary or instance of {}",
                model.class_name()
            ),
        )),
    }
}

fn literal_message(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("Input should be {} or {last}", rest.join(", "))
        }
        _ => format!("Input should be {}", quoted.join("")),
    }
}

fn validate_bool(value: &PyValue) -> Result<bool, Invalid> {
    match value {
        PyValue::Bool(b) => Ok(*b),
        PyValue::Int(0) => Ok(false),
        PyValue::Int(1) => Ok(true),
        PyValue::Int(_) => Err(line("bool_parsing", BOOL_PARSING)),
        PyValue::Float(f) if *f == 0.0 => Ok(false),
        PyValue::Float(f) if *f == 1.0 => Ok(true),
        PyValue::Float(f) if f.is_finite() && f.fract() == 0.0 => {
            Err(line("bool_parsing", BOOL_PARSING))
        }
        PyValue::Str(s) => parse_bool_str(s).ok_or_else(|| line("bool_parsing", BOOL_PARSING)),
        _ => Err(line("bool_type", "Input should be a valid boolean")),
    }
}

/// Parses the strings pydantic accepts as booleans, in any letter case
/// and without surrounding spaces.
pub fn parse_bool_str(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "t" | "y" => Some(true),
        "0" | "false" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

fn validate_int(value: &PyValue) -> Result<i128, Invalid> {
    match value {
        PyValue::Int(n) => Ok(*n),
        PyValue::Bool(b) => Ok(i128::from(*b)),
        PyValue::Float(f) if !f.is_finite() => {
            Err(line("finite_number", "Input should be a finite number"))
        }
        PyValue::Float(f) if f.fract() != 0.0 => Err(line(
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        )),
        PyValue::Float(f) if f.abs() >= 9.223_372_036_854_776e18 => Err(line(
            "int_parsing_size",
            "Unable to parse input string as an integer, exceeded maximum size",
        )),
        PyValue::Float(f) => Ok(*f as i128),
        PyValue::Str(s) => parse_int_str(s).ok_or_else(|| line("int_parsing", INT_PARSING)),
        _ => Err(line("int_type", "Input should be a valid integer")),
    }
}

/// Parses an integer string as pydantic does: surrounding whitespace is
/// ignored, `_` may separate digits, and a fraction of only zeros is
/// accepted (`"3.00"` is 3).
fn parse_int_str(s: &str) -> Option<i128> {
    let s = s.trim();
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if let Some(f) = fraction
        && (f.is_empty() || !f.bytes().all(|b| b == b'0'))
    {
        return None;
    }
    let bytes = whole.as_bytes();
    if bytes.is_empty() || bytes[0] == b'_' || bytes[bytes.len() - 1] == b'_' {
        return None;
    }
    if whole.contains("__") || !bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_') {
        return None;
    }
    let digits: String = whole.chars().filter(|c| *c != '_').collect();
    let n: i128 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> PyValue {
        PyValue::Str(v.to_string())
    }

    #[test]
    fn int_strings_follow_pydantic() {
        assert_eq!(parse_int_str(" 12 "), Some(12));
        assert_eq!(parse_int_str("1_000"), Some(1000));
        assert_eq!(parse_int_str("3.00"), Some(3));
        assert_eq!(parse_int_str("-0"), Some(0));
        assert_eq!(parse_int_str("\u{a0}7"), Some(7));
        for bad in [
            "3.5", "1__0", "_1", "1_", "1e3", " ", "3.", ".5", "+-1", "\u{1c}7",
        ] {
            assert_eq!(parse_int_str(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bool_follows_pydantic() {
        assert_eq!(validate(Kind::Bool, &s("On")), Ok(PyValue::Bool(true)));
        assert!(validate(Kind::Bool, &s(" yes")).is_err());
        assert_eq!(
            validate(Kind::Bool, &PyValue::Float(2.0)),
            Err(line("bool_parsing", BOOL_PARSING))
        );
        assert_eq!(
            validate(Kind::Bool, &PyValue::Float(1.5)),
            Err(line("bool_type", "Input should be a valid boolean"))
        );
    }

    #[test]
    fn validation_error_text() {
        let error = ValidationError {
            title: "DatabaseSettings",
            errors: vec![LineError {
                loc: "DJ_PORT".into(),
                kind: "int_parsing",
                message: INT_PARSING.into(),
                input: s("x"),
            }],
        };
        assert_eq!(
            error.to_string(),
            "1 validation error for DatabaseSettings\nDJ_PORT\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='x', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.14/v/int_parsing"
        );
        assert_eq!(
            literal_message(LOG_LEVELS),
            "Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"
        );
    }

    #[test]
    fn redact_input_values_keeps_shape() {
        let text = "2 validation errors for DatabaseSettings\npassword\n  Input should be a valid string [type=string_type, input_value=\"a, input_type=int] b\", input_type=str]\n    For further information visit https://errors.pydantic.dev/2.14/v/string_type\nport\n  Input should be a valid integer [type=int_type, input_value=[1], input_type=list]";
        let redacted = redact_input_values(text);
        assert_eq!(
            redacted,
            "2 validation errors for DatabaseSettings\npassword\n  Input should be a valid string [type=string_type, input_value=<redacted>, input_type=str]\n    For further information visit https://errors.pydantic.dev/2.14/v/string_type\nport\n  Input should be a valid integer [type=int_type, input_value=<redacted>, input_type=list]"
        );
    }
}
