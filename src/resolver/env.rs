//! `Config()`: the settings pydantic-settings builds from the environment
//! before DataJoint touches any file.
//!
//! Plain variables (`DJ_HOST`, `DJ_PORT`, `LIMIT`) fill single fields.
//! JSON-valued variables fill a whole group (`DJ_DATABASE`,
//! `DJ_DISPLAY`, ...), the provenance source (`DJ_PROVENANCE_SOURCE`) or a
//! seed for `stores` (`_DJ_STORES_PYDANTIC_DISABLED`). The behaviour below
//! was compared with datajoint 2.3.5 on pydantic 2.14.4 and
//! pydantic-settings 2.16.3.

use super::apply::State;
use super::pyvalue::{PyDict, PyValue, parse_json};
use super::schema::{self, Field, Invalid, Kind, LineError, Model, ValidationError};
use super::{DjError, Source};

/// A value given to a group's constructor: from a JSON group variable
/// (typed) or from a plain variable (a string).
struct Input {
    value: PyValue,
    variable: String,
}

fn settings_error(field: &str) -> DjError {
    DjError::new(
        "SettingsError",
        format!("error parsing value for field \"{field}\" from source \"EnvSettingsSource\""),
    )
}

fn validation_error(title: &'static str, errors: Vec<LineError>) -> DjError {
    DjError::new(
        "ValidationError",
        ValidationError { title, errors }.to_string(),
    )
}

/// Builds every setting from the environment in pydantic's order: JSON
/// variables of `Config` are decoded first (the first invalid one raises
/// `SettingsError`), then fields are validated in declaration order. A
/// group built by its default factory raises its own `ValidationError` at
/// once. Errors of a group given as JSON and of `Config`'s own fields are
/// collected into one `ValidationError` for `Config`.
pub(super) fn build_from_env(state: &mut State) -> Result<(), DjError> {
    let mut json_fields: Vec<(&'static str, Input)> = Vec::new();
    for field in Model::Config.fields() {
        let is_json = matches!(field.kind, Kind::Group(_) | Kind::Dict);
        if !is_json {
            continue;
        }
        let Some((variable, raw)) = state.env_ci(&field.env_name()) else {
            continue;
        };
        let value = parse_json(raw).map_err(|_| settings_error(field.name))?;
        if value != PyValue::None {
            let variable = variable.clone();
            json_fields.push((field.name, Input { value, variable }));
        }
    }
    let json_for = |name: &str| json_fields.iter().find(|(n, _)| *n == name).map(|(_, i)| i);

    let mut config_errors = Vec::new();
    for field in Model::Config.fields() {
        match field.kind {
            Kind::Group(model) => match json_for(field.name) {
                None => {
                    let errors = build_group(state, model, None)?;
                    if !errors.is_empty() {
                        return Err(validation_error(model.class_name(), errors));
                    }
                }
                Some(Input {
                    value: PyValue::Dict(dict),
                    variable,
                }) => {
                    let errors = build_group(state, model, Some((variable, dict)))?;
                    config_errors.extend(errors.into_iter().map(|mut e| {
                        e.loc = format!("{}.{}", field.name, e.loc);
                        e
                    }));
                }
                Some(Input { value, .. }) => {
                    config_errors.push(line_error(field, Kind::Group(model), value.clone()));
                }
            },
            Kind::Dict => {
                // `stores`, seeded from `_DJ_STORES_PYDANTIC_DISABLED`.
                let stores = match json_for(field.name) {
                    None => continue,
                    Some(input) => input,
                };
                match &stores.value {
                    PyValue::Dict(dict) => {
                        state.stores = dict.clone();
                        let source = Source::Env {
                            variable: stores.variable.clone(),
                        };
                        state.set_store_source("stores".into(), source);
                    }
                    other => config_errors.push(line_error(field, Kind::Dict, other.clone())),
                }
            }
            _ => {
                if let Some(error) = set_from_env(state, Model::Config, field)? {
                    config_errors.push(error);
                }
            }
        }
    }
    if !config_errors.is_empty() {
        return Err(validation_error(Model::Config.class_name(), config_errors));
    }
    Ok(())
}

fn loc_of(field: &Field) -> String {
    field.alias.unwrap_or(field.name).to_string()
}

fn line_error(field: &Field, kind: Kind, input: PyValue) -> LineError {
    let (error_kind, message) = match schema::validate(kind, &input) {
        Err(Invalid::Line(error_kind, message)) => (error_kind, message),
        _ => unreachable!("line_error is called only for values that fail validation"),
    };
    LineError {
        loc: loc_of(field),
        kind: error_kind,
        message,
        input,
    }
}

/// Reads one plain variable into `field`; returns its validation error.
fn set_from_env(
    state: &mut State,
    model: Model,
    field: &'static Field,
) -> Result<Option<LineError>, DjError> {
    let input = state
        .env_ci(&field.env_name())
        .map(|(variable, raw)| Input {
            value: PyValue::Str(raw.clone()),
            variable: variable.clone(),
        });
    assign_input(state, model, field, input)
}

fn assign_input(
    state: &mut State,
    model: Model,
    field: &'static Field,
    input: Option<Input>,
) -> Result<Option<LineError>, DjError> {
    let Some(input) = input else {
        state
            .fields
            .push((model, field.name, field.default_value(), Source::Default));
        return Ok(None);
    };
    match schema::validate(field.kind, &input.value) {
        Ok(value) => {
            let source = Source::Env {
                variable: input.variable,
            };
            state.fields.push((model, field.name, value, source));
            Ok(None)
        }
        Err(Invalid::Line(kind, message)) => Ok(Some(LineError {
            loc: loc_of(field),
            kind,
            message,
            input: input.value,
        })),
        Err(Invalid::Raw { kind, message }) => Err(DjError::new(kind, message)),
    }
}

/// Runs a group's constructor: each field takes the matching key of the
/// JSON object (names matched without regard to case), else its own
/// variable, else its default. Keys that match no field are extra inputs,
/// which the groups forbid.
fn build_group(
    state: &mut State,
    model: Model,
    json: Option<(&String, &PyDict)>,
) -> Result<Vec<LineError>, DjError> {
    let mut errors = Vec::new();
    let mut used = vec![false; json.map_or(0, |(_, d)| d.0.len())];
    for field in model.fields() {
        let name = loc_of(field);
        let from_json = json.and_then(|(variable, dict)| {
            let index = dict
                .0
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(&name))?;
            used[index] = true;
            Some(Input {
                value: dict.0[index].1.clone(),
                variable: variable.clone(),
            })
        });
        let input = match from_json {
            Some(input) => Some(input),
            None if field.kind == Kind::Dict => match state.env_ci(&field.env_name()) {
                // A dict field (`provenance.source`) is decoded as JSON.
                Some((variable, raw)) => {
                    let value = parse_json(raw).map_err(|_| settings_error(field.name))?;
                    (value != PyValue::None).then(|| Input {
                        value,
                        variable: variable.clone(),
                    })
                }
                None => None,
            },
            None => state
                .env_ci(&field.env_name())
                .map(|(variable, raw)| Input {
                    value: PyValue::Str(raw.clone()),
                    variable: variable.clone(),
                }),
        };
        if let Some(error) = assign_input(state, model, field, input)? {
            errors.push(error);
        }
    }
    if let Some((_, dict)) = json {
        for ((key, value), used) in dict.0.iter().zip(&used) {
            if !used {
                errors.push(LineError {
                    loc: key.clone(),
                    kind: "extra_forbidden",
                    message: "Extra inputs are not permitted".into(),
                    input: value.clone(),
                });
            }
        }
    }
    if errors.is_empty() && model == Model::Database {
        state.apply_port_default();
    }
    Ok(errors)
}
