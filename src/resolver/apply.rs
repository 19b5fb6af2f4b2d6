//! The resolution steps of `_create_config()`, applied to a settings state
//! that records where each value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::pyvalue::{PyDict, PyValue, parse_json};
use super::schema::{self, Invalid, Kind, LineError, Model, ValidationError};
use super::{
    CONFIG_FILENAME, DjError, Resolution, ResolveOptions, Resolved, Source, decode_text,
    find_config_file, find_secrets_dir, is_dir, is_file, os_error, python_strip,
};

/// Attributes that pydantic 2.11 and later deprecates on an instance; even
/// `hasattr` on them issues a warning.
const DEPRECATED_ON_INSTANCE: &[&str] = &["model_fields", "model_computed_fields"];

/// Attributes of a Python `dict` that `setattr` rejects as read-only; a
/// flat key `stores.<attr>` naming one makes the file load fail.
const DICT_ATTRIBUTES: &[&str] = &[
    "clear",
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];

pub(super) struct State<'a> {
    pub(super) env: &'a BTreeMap<String, String>,
    /// Values of every non-group field, keyed by model and field name.
    pub(super) fields: Vec<(Model, &'static str, PyValue, Source)>,
    pub(super) stores: PyDict,
    /// Sources of parts of `stores`, keyed by dotted prefix.
    pub(super) store_sources: Vec<(String, Source)>,
    pub(super) result: Resolution,
}

/// Why the file load stopped: DataJoint turns this into a warning.
struct LoadFailure(String);

impl<'a> State<'a> {
    fn get(&self, model: Model, name: &str) -> &PyValue {
        self.fields
            .iter()
            .find(|(m, n, _, _)| *m == model && *n == name)
            .map(|(_, _, v, _)| v)
            .expect("every settings field has a value")
    }

    fn set(&mut self, model: Model, name: &str, value: PyValue, source: Source) {
        let slot = self
            .fields
            .iter_mut()
            .find(|(m, n, _, _)| *m == model && *n == name)
            .expect("every settings field has a value");
        slot.2 = value;
        slot.3 = source;
        if model == Model::Database {
            self.apply_port_default();
        }
    }

    /// Applies the `set_default_port_from_backend` model validator, which
    /// pydantic also runs after every assignment.
    pub(super) fn apply_port_default(&mut self) {
        if *self.get(Model::Database, "port") == PyValue::None {
            let postgres =
                *self.get(Model::Database, "backend") == PyValue::Str("postgresql".into());
            let port = if postgres { 5432 } else { 3306 };
            let slot = self
                .fields
                .iter_mut()
                .find(|(m, n, _, _)| *m == Model::Database && *n == "port")
                .expect("port is a database field");
            slot.2 = PyValue::Int(port);
            slot.3 = Source::BackendDefault;
        }
    }

    /// Looks up a pydantic-settings variable, matching names without regard
    /// to case.
    // NOTE: when several spellings of one name are set, pydantic-settings
    // keeps the last in the process environment's order. A map has no such
    // order, so this takes the last in byte order.
    pub(super) fn env_ci(&self, name: &str) -> Option<(&'a String, &'a String)> {
        self.env.iter().rfind(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// Returns true when the file loader skips `dotted_key`: it is in
    /// `ENV_VAR_MAPPING` and its exact upper-case variable is non-empty.
    fn guarded(&self, dotted_key: &str) -> bool {
        schema::guard_variable(dotted_key)
            .and_then(|var| self.env.get(var))
            .is_some_and(|value| !value.is_empty())
    }

    pub(super) fn set_store_source(&mut self, prefix: String, source: Source) {
        let nested = format!("{prefix}.");
        self.store_sources
            .retain(|(p, _)| *p != prefix && !p.starts_with(&nested));
        self.store_sources.push((prefix, source));
    }

    fn store_source(&self, leaf: &str) -> Source {
        self.store_sources
            .iter()
            .filter(|(p, _)| leaf == p || leaf.starts_with(&format!("{p}.")))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, s)| s.clone())
            .unwrap_or(Source::Default)
    }
}

pub(super) fn run(start_dir: &Path, options: &ResolveOptions) -> Resolution {
    let mut state = State {
        env: &options.env,
        fields: Vec::new(),
        stores: PyDict::default(),
        store_sources: Vec::new(),
        result: Resolution {
            start_dir: start_dir.to_path_buf(),
            ..Resolution::default()
        },
    };
    if let Err(error) = steps(&mut state, start_dir, options) {
        state.result.error = Some(error);
    }
    collect_values(&mut state);
    state.result
}

fn steps(state: &mut State, start_dir: &Path, options: &ResolveOptions) -> Result<(), DjError> {
    super::env::build_from_env(state)?;

    let mut config_file = None;
    if !ignore_config_file(state) {
        config_file = find_config_file(start_dir);
        match &config_file {
            Some(path) => {
                state.result.config_file = Some(path.clone());
                match load_file(state, path) {
                    Ok(()) => state.result.config_loaded = true,
                    Err(LoadFailure(reason)) => state.result.warnings.push(format!(
                        "Failed to load config from {}: {reason}",
                        path.display()
                    )),
                }
            }
            None => state.result.warnings.push(format!(
                "No {CONFIG_FILENAME} found. Using defaults and environment variables. \
                 Run `dj.config.save_template()` to create a template configuration."
            )),
        }
    }

    apply_dj_stores(state)?;

    state.result.ignore_config_file = ignore_config_file(state);
    if !state.result.ignore_config_file
        && let Some(dir) = find_secrets_dir(config_file.as_deref(), &options.system_secrets_dir)
    {
        load_secrets(state, &dir)?;
    }
    Ok(())
}

fn ignore_config_file(state: &State) -> bool {
    *state.get(Model::Config, "ignore_config_file") == PyValue::Bool(true)
}

/// Loads `datajoint.json` as `Config.load` and `_update_from_flat_dict`
/// do. An error stops the load and the keys before it stay applied.
fn load_file(state: &mut State, path: &Path) -> Result<(), LoadFailure> {
    state.result.files_read.push(path.to_path_buf());
    let bytes = std::fs::read(path).map_err(|e| LoadFailure(os_error(&e, path).message))?;
    let text = decode_text(&bytes).map_err(|e| LoadFailure(e.message))?;
    let data = parse_json(&text).map_err(|e| LoadFailure(e.message))?;
    let PyValue::Dict(data) = data else {
        return Err(LoadFailure(format!(
            "'{}' object has no attribute 'items'",
            data.type_name()
        )));
    };
    for (key, value) in data.iter() {
        apply_key(state, path, key, value)?;
    }
    Ok(())
}

fn apply_key(
    state: &mut State,
    path: &Path,
    key: &str,
    value: &PyValue,
) -> Result<(), LoadFailure> {
    let source = |dotted: String| Source::File {
        path: path.to_path_buf(),
        key: dotted,
    };
    if key == "stores"
        && let PyValue::Dict(entries) = value
    {
        for (name, entry) in entries.iter() {
            state.stores.insert(name, entry.clone());
            state.set_store_source(format!("stores.{name}"), source(format!("stores.{name}")));
        }
        return Ok(());
    }
    if let PyValue::Dict(nested) = value
        && has_attribute(state, Model::Config, key)
    {
        // `getattr(self, key)` after `hasattr` touches the name again.
        has_attribute(state, Model::Config, key);
        return apply_nested(state, path, key, nested);
    }
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        [single] => {
            if single.starts_with('_') || !has_attribute(state, Model::Config, single) {
                return Ok(());
            }
            if state.guarded(key) {
                state.result.guarded_keys.push(key.to_string());
                return Ok(());
            }
            set_attribute(state, Model::Config, single, value, source(key.to_string()))
        }
        [group, attr] => {
            if !has_attribute(state, Model::Config, group) {
                return Ok(());
            }
            has_attribute(state, Model::Config, group);
            let Some(model) = Model::from_group(group) else {
                // `stores` and the instance's `model_fields` are dicts.
                let is_dict = *group == "stores" || DEPRECATED_ON_INSTANCE.contains(group);
                if is_dict && DICT_ATTRIBUTES.contains(attr) {
                    return Err(LoadFailure(format!(
                        "'dict' object attribute '{attr}' is read-only"
                    )));
                }
                // NOTE: attributes of other non-group values (a bool, a str,
                // a bound method) are not modelled and are skipped.
                return Ok(());
            };
            if !has_attribute(state, model, attr) {
                return Ok(());
            }
            if state.guarded(key) {
                state.result.guarded_keys.push(key.to_string());
                return Ok(());
            }
            set_attribute(state, model, attr, value, source(key.to_string()))
        }
        ["stores", name, attr] => {
            if !state.stores.contains(name) {
                state.stores.insert(name, PyValue::Dict(PyDict::default()));
            }
            let entry = state
                .stores
                .get_mut(name)
                .expect("store entry was just ensured");
            match entry {
                PyValue::Dict(attrs) => attrs.insert(attr, value.clone()),
                PyValue::List(_) => {
                    return Err(LoadFailure(
                        "list indices must be integers or slices, not str".into(),
                    ));
                }
                other => {
                    return Err(LoadFailure(format!(
                        "'{}' object does not support item assignment",
                        other.type_name()
                    )));
                }
            }
            state.set_store_source(key.to_string(), source(key.to_string()));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Applies a dict value whose key names an attribute of `Config`: each
/// inner key that names an attribute of that group is assigned.
fn apply_nested(
    state: &mut State,
    path: &Path,
    key: &str,
    nested: &PyDict,
) -> Result<(), LoadFailure> {
    let Some(model) = Model::from_group(key) else {
        if DEPRECATED_ON_INSTANCE.contains(&key)
            && let Some(attr) = nested
                .iter()
                .map(|(k, _)| k)
                .find(|k| DICT_ATTRIBUTES.contains(&k.as_str()))
        {
            return Err(LoadFailure(format!(
                "'dict' object attribute '{attr}' is read-only"
            )));
        }
        // NOTE: a dict under a scalar setting (`"safemode": {...}`) or a
        // method name is skipped. DataJoint fails the load instead when an
        // inner key names an attribute of that bool, str or method object.
        return Ok(());
    };
    for (attr, inner) in nested.iter() {
        if !has_attribute(state, model, attr) {
            continue;
        }
        let dotted = format!("{key}.{attr}");
        if state.guarded(&dotted) {
            state.result.guarded_keys.push(dotted);
            continue;
        }
        let source = Source::File {
            path: path.to_path_buf(),
            key: dotted,
        };
        set_attribute(state, model, attr, inner, source)?;
    }
    Ok(())
}

/// Evaluates Python's `hasattr` on a settings model instance. Touching
/// `model_fields` or `model_computed_fields` on an instance issues
/// pydantic's deprecation warning, which reaches DataJoint's caller.
fn has_attribute(state: &mut State, model: Model, name: &str) -> bool {
    if DEPRECATED_ON_INSTANCE.contains(&name) {
        state.result.warnings.push(format!(
            "Accessing the '{name}' attribute on the instance is deprecated. Instead, you should access this attribute from the model class. Deprecated in Pydantic V2.11 to be removed in V3.0."
        ));
    }
    model.field(name).is_some() || schema::is_model_attribute(model, name)
}

/// Evaluates `setattr` on a settings model for a name that
/// `has_attribute` accepted.
fn set_attribute(
    state: &mut State,
    model: Model,
    name: &str,
    value: &PyValue,
    source: Source,
) -> Result<(), LoadFailure> {
    if let Some(field) = model.field(name) {
        return assign(state, model, field, value, source);
    }
    if schema::MODEL_PROPERTIES.contains(&name) {
        return Err(LoadFailure(format!(
            "property '{name}' of '{}' object has no setter",
            model.class_name()
        )));
    }
    let error = ValidationError {
        title: model.class_name(),
        errors: vec![LineError {
            loc: name.to_string(),
            kind: "no_such_attribute",
            message: format!("Object has no attribute '{name}'"),
            input: value.clone(),
        }],
    };
    Err(LoadFailure(error.to_string()))
}

/// Assigns a field with `validate_assignment=True`, as `setattr` does.
fn assign(
    state: &mut State,
    model: Model,
    field: &schema::Field,
    value: &PyValue,
    source: Source,
) -> Result<(), LoadFailure> {
    if field.name == "stores" && model == Model::Config {
        // Only a non-dict value reaches here: a dict is merged above.
        return Err(LoadFailure(line_error(
            model,
            field.name,
            Kind::Dict,
            value,
        )));
    }
    match schema::validate(field.kind, value) {
        Ok(valid) => {
            state.set(model, field.name, valid, source);
            Ok(())
        }
        Err(Invalid::Raw { message, .. }) => Err(LoadFailure(message)),
        Err(Invalid::Line(..)) => Err(LoadFailure(line_error(
            model, field.name, field.kind, value,
        ))),
    }
}

fn line_error(model: Model, name: &str, kind: Kind, value: &PyValue) -> String {
    let Err(Invalid::Line(error_kind, message)) = schema::validate(kind, value) else {
        unreachable!("line_error is called only for values that fail validation");
    };
    ValidationError {
        title: model.class_name(),
        errors: vec![LineError {
            loc: name.to_string(),
            kind: error_kind,
            message,
            input: value.clone(),
        }],
    }
    .to_string()
}

/// Applies `DJ_STORES` as `_apply_stores_env` does: a non-empty value (exact
/// name) replaces the whole `stores` dict, and its errors abort the import.
fn apply_dj_stores(state: &mut State) -> Result<(), DjError> {
    let Some(raw) = state.env.get("DJ_STORES").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let data = parse_json(raw).map_err(|e| {
        DjError::new(
            "ValueError",
            format!("DJ_STORES contains invalid JSON: {e}"),
        )
    })?;
    let PyValue::Dict(stores) = data else {
        return Err(DjError::new(
            "ValueError",
            format!("DJ_STORES must be a JSON object, got {}", data.type_name()),
        ));
    };
    state.stores = stores;
    state.store_sources.clear();
    state.set_store_source("stores".into(), Source::DjStores);
    Ok(())
}

/// Reads a secret as `Path.read_text().strip()` does and records the open.
fn read_secret(state: &mut State, path: &Path) -> Result<String, DjError> {
    state.result.files_read.push(path.to_path_buf());
    let bytes = std::fs::read(path).map_err(|e| os_error(&e, path))?;
    let text = decode_text(&bytes)?;
    Ok(python_strip(&text).to_string())
}

/// `Config._load_secrets`.
fn load_secrets(state: &mut State, dir: &Path) -> Result<(), DjError> {
    state.result.secrets_dir = Some(dir.to_path_buf());
    for name in ["user", "password"] {
        let path = dir.join(format!("database.{name}"));
        if !is_file(&path) {
            continue;
        }
        let value = read_secret(state, &path)?;
        if *state.get(Model::Database, name) == PyValue::None {
            state.set(
                Model::Database,
                name,
                PyValue::Str(value),
                Source::SecretsFile { path },
            );
        }
    }
    if !is_dir(dir) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| os_error(&e, dir))?;
    for entry in entries {
        let entry = entry.map_err(|e| os_error(&e, dir))?;
        let path: PathBuf = entry.path();
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        if !is_file(&path) || name.starts_with('.') {
            continue;
        }
        let parts: Vec<&str> = name.split('.').collect();
        let [prefix, store, attr] = parts.as_slice() else {
            continue;
        };
        if *prefix != "stores" {
            continue;
        }
        let value = read_secret(state, &path)?;
        if !state.stores.contains(store) {
            state.stores.insert(store, PyValue::Dict(PyDict::default()));
            state.set_store_source(
                format!("stores.{store}"),
                Source::SecretsFile { path: path.clone() },
            );
        }
        let entry = state
            .stores
            .get_mut(store)
            .expect("store entry was just ensured");
        let present = match entry {
            PyValue::Dict(attrs) => attrs.contains(attr),
            PyValue::Str(s) => s.contains(attr),
            PyValue::List(items) => items.contains(&PyValue::Str(attr.to_string())),
            other => {
                return Err(DjError::new(
                    "TypeError",
                    format!("argument of type '{}' is not iterable", other.type_name()),
                ));
            }
        };
        if present {
            continue;
        }
        match entry {
            PyValue::Dict(attrs) => attrs.insert(attr, PyValue::Str(value)),
            PyValue::List(_) => {
                return Err(DjError::new(
                    "TypeError",
                    "list indices must be integers or slices, not str",
                ));
            }
            other => {
                return Err(DjError::new(
                    "TypeError",
                    format!(
                        "'{}' object does not support item assignment",
                        other.type_name()
                    ),
                ));
            }
        }
        state.set_store_source(
            format!("stores.{store}.{attr}"),
            Source::SecretsFile { path },
        );
    }
    Ok(())
}

/// Fills `Resolution::values` with the database fields, then the leaves of
/// `stores` (an empty dict is a leaf), as the oracle flattens them.
fn collect_values(state: &mut State) {
    let mut values = Vec::new();
    for (model, name, value, source) in &state.fields {
        if *model == Model::Database {
            values.push((
                format!("database.{name}"),
                Resolved {
                    value: value.clone(),
                    source: source.clone(),
                },
            ));
        }
    }
    let mut leaves = Vec::new();
    for (name, value) in state.stores.iter() {
        flatten(format!("stores.{name}"), value, &mut leaves);
    }
    for (key, value) in leaves {
        let source = state.store_source(&key);
        values.push((key, Resolved { value, source }));
    }
    state.result.values = values;
}

fn flatten(prefix: String, value: &PyValue, out: &mut Vec<(String, PyValue)>) {
    match value {
        PyValue::Dict(dict) if !dict.is_empty() => {
            for (key, inner) in dict.iter() {
                flatten(format!("{prefix}.{key}"), inner, out);
            }
        }
        _ => out.push((prefix, value.clone())),
    }
}
