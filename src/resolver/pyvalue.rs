//! Python values as DataJoint stores them, and a JSON parser that behaves
//! like CPython 3.11's `json.loads`.
//!
//! DataJoint parses `datajoint.json` and `DJ_STORES` with Python's `json`
//! module, so the resolver has to accept what it accepts (`NaN`,
//! `Infinity`), keep the first position and last value of a duplicate key,
//! and produce the same error text, because that text ends up in
//! DataJoint's warnings and exceptions.

use std::fmt::Write as _;

/// An ordered dict with Python's insertion semantics: assigning an existing
/// key replaces the value in place.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PyDict(pub Vec<(String, PyValue)>);

impl PyDict {
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut PyValue> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: &str, value: PyValue) {
        match self.get_mut(key) {
            Some(slot) => *slot = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &(String, PyValue)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A value produced by Python's `json` module, or set by DataJoint.
#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    // NOTE: Python integers are unbounded; literals beyond i128 are rejected
    // by `parse_json` with a message of its own.
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<PyValue>),
    Dict(PyDict),
}

impl PyValue {
    /// Returns the Python type name, as `type(value).__name__` prints it.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::None => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::List(_) => "list",
            PyValue::Dict(_) => "dict",
        }
    }

    pub fn as_dict(&self) -> Option<&PyDict> {
        match self {
            PyValue::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// Formats the value as Python's `repr()` does.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out);
        out
    }

    fn write_repr(&self, out: &mut String) {
        match self {
            PyValue::None => out.push_str("None"),
            PyValue::Bool(true) => out.push_str("True"),
            PyValue::Bool(false) => out.push_str("False"),
            PyValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            PyValue::Float(f) => out.push_str(&float_repr(*f)),
            PyValue::Str(s) => out.push_str(&str_repr(s)),
            PyValue::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out);
                }
                out.push(']');
            }
            PyValue::Dict(dict) => {
                out.push('{');
                for (i, (key, value)) in dict.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&str_repr(key));
                    out.push_str(": ");
                    value.write_repr(out);
                }
                out.push('}');
            }
        }
    }

    /// Converts to a `serde_json` value; NaN and infinities become strings
    /// because JSON has no literal for them.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            PyValue::None => Value::Null,
            PyValue::Bool(b) => Value::Bool(*b),
            PyValue::Int(i) => match i64::try_from(*i) {
                Ok(small) => Value::from(small),
                Err(_) => Value::String(i.to_string()),
            },
            PyValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(float_repr(*f))),
            PyValue::Str(s) => Value::String(s.clone()),
            PyValue::List(items) => Value::Array(items.iter().map(PyValue::to_json).collect()),
            PyValue::Dict(dict) => {
                Value::Object(dict.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// Formats a float as Python's `repr(float)`: the shortest digits that
/// round-trip, in positional form for exponents from -4 to 15.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` output has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` exponent is an integer");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    }
}

/// Formats a string as Python's `repr(str)`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
    out
}

/// Approximates Python's `str.isprintable` for one character: control,
/// separator (other than ASCII space) and format characters are not
/// printable.
// NOTE: Python uses the full Unicode category table. This covers only the
// categories seen in configuration values: Cc, Zs, Zl, Zp and the common Cf
// characters such as the byte-order mark.
fn is_printable(c: char) -> bool {
    let code = c as u32;
    if c == ' ' {
        return true;
    }
    if code < 0x20 || (0x7f..0xa1).contains(&code) || code == 0xad {
        return false;
    }
    if c.is_whitespace() {
        return false;
    }
    !matches!(
        code,
        0x180e | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0xfeff | 0xfff9..=0xfffb
    ) && !(0xd800..=0xdfff).contains(&code)
        && !(0xe000..=0xf8ff).contains(&code)
}

/// A JSON syntax error in the form of Python's `json.JSONDecodeError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `text` as Python's `json.loads(text)` does, with the same error
/// messages and positions (counted in characters).
pub fn parse_json(text: &str) -> Result<PyValue, JsonError> {
    // The parser recurses once per nested container. Text that may nest
    // deeply is parsed on a thread whose stack fits `MAX_JSON_DEPTH`
    // levels in any build and on any calling thread.
    let openers = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if openers <= SHALLOW_OPENERS {
        return parse_json_here(text);
    }
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("json-parse".into())
            .stack_size(DEEP_PARSE_STACK)
            .spawn_scoped(scope, || parse_json_here(text));
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(error) => {
                log::debug!("cannot start a thread to parse JSON ({error}); parsing in place");
                parse_json_here(text)
            }
        }
    })
}

/// Texts with at most this many `[` and `{` are parsed on the caller's
/// stack.
const SHALLOW_OPENERS: usize = 64;

/// The stack of the thread that parses deeply nested text: `MAX_JSON_DEPTH`
/// levels of a debug build use a few megabytes.
const DEEP_PARSE_STACK: usize = 64 * 1024 * 1024;

fn parse_json_here(text: &str) -> Result<PyValue, JsonError> {
    let chars: Vec<char> = text.chars().collect();
    let parser = Parser {
        s: &chars,
        depth: std::cell::Cell::new(0),
    };
    if chars.first() == Some(&'\u{feff}') {
        return Err(parser.error("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0));
    }
    let start = parser.skip_ws(0);
    let (value, end) = match parser.scan_once(start) {
        Ok(done) => done,
        Err(Failure::Stop(at)) => return Err(parser.error("Expecting value", at)),
        Err(Failure::Error(e)) => return Err(e),
    };
    let end = parser.skip_ws(end);
    if end != chars.len() {
        return Err(parser.error("Extra data", end));
    }
    Ok(value)
}

enum Failure {
    /// Python's `StopIteration(idx)`: no value starts at `idx`.
    Stop(usize),
    Error(JsonError),
}

impl From<JsonError> for Failure {
    fn from(e: JsonError) -> Failure {
        Failure::Error(e)
    }
}

struct Parser<'a> {
    s: &'a [char],
    /// Arrays and objects open at the current position.
    depth: std::cell::Cell<usize>,
}

/// The deepest nesting of arrays and objects that is parsed. Python's C
/// JSON decoder counts each nested container against the interpreter's
/// recursion limit (1000) and raises `RecursionError`, which DataJoint
/// catches when loading `datajoint.json`. With datajoint 2.3.5 on Python
/// 3.11, `import datajoint` at a script's top level loads 971 nested
/// containers and fails at 972.
// NOTE: Python's limit counts the frames already on the stack, so an import
// from deeper inside a program fails at a somewhat smaller depth.
pub const MAX_JSON_DEPTH: usize = 971;

fn is_json_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_json_ws) {
            i += 1;
        }
        i
    }

    fn error(&self, message: &str, pos: usize) -> JsonError {
        let before = &self.s[..pos.min(self.s.len())];
        let line = before.iter().filter(|&&c| c == '\n').count() + 1;
        let column = match before.iter().rposition(|&c| c == '\n') {
            Some(nl) => pos - nl,
            None => pos + 1,
        };
        JsonError {
            message: format!("{message}: line {line} column {column} (char {pos})"),
        }
    }

    fn starts_with(&self, i: usize, word: &str) -> bool {
        let word: Vec<char> = word.chars().collect();
        self.s.get(i..).is_some_and(|rest| rest.starts_with(&word))
    }

    /// Runs `scan` one container deeper, or fails with Python's
    /// `RecursionError` message past `MAX_JSON_DEPTH`.
    fn nested(
        &self,
        container: &str,
        scan: impl FnOnce() -> Result<(PyValue, usize), Failure>,
    ) -> Result<(PyValue, usize), Failure> {
        let depth = self.depth.get() + 1;
        if depth > MAX_JSON_DEPTH {
            return Err(Failure::Error(JsonError {
                message: format!(
                    "maximum recursion depth exceeded while decoding a JSON {container} from a unicode string"
                ),
            }));
        }
        self.depth.set(depth);
        let result = scan();
        self.depth.set(depth - 1);
        result
    }

    fn scan_once(&self, i: usize) -> Result<(PyValue, usize), Failure> {
        let Some(c) = self.at(i) else {
            return Err(Failure::Stop(i));
        };
        match c {
            '"' => {
                let (s, end) = self.scan_string(i + 1)?;
                Ok((PyValue::Str(s), end))
            }
            '{' => self.nested("object", || self.scan_object(i + 1)),
            '[' => self.nested("array", || self.scan_array(i + 1)),
            'n' if self.starts_with(i, "null") => Ok((PyValue::None, i + 4)),
            't' if self.starts_with(i, "true") => Ok((PyValue::Bool(true), i + 4)),
            'f' if self.starts_with(i, "false") => Ok((PyValue::Bool(false), i + 5)),
            'N' if self.starts_with(i, "NaN") => Ok((PyValue::Float(f64::NAN), i + 3)),
            'I' if self.starts_with(i, "Infinity") => Ok((PyValue::Float(f64::INFINITY), i + 8)),
            '-' if self.starts_with(i, "-Infinity") => {
                Ok((PyValue::Float(f64::NEG_INFINITY), i + 9))
            }
            _ => self.scan_number(i),
        }
    }

    fn scan_number(&self, start: usize) -> Result<(PyValue, usize), Failure> {
        let digit = |j: usize| self.at(j).is_some_and(|c| c.is_ascii_digit());
        let mut i = start;
        if self.at(i) == Some('-') {
            i += 1;
        }
        match self.at(i) {
            Some('0') => i += 1,
            Some('1'..='9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(Failure::Stop(start)),
        }
        let mut is_float = false;
        if self.at(i) == Some('.') && digit(i + 1) {
            is_float = true;
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            if digit(j) {
                while digit(j) {
                    j += 1;
                }
                is_float = true;
                i = j;
            }
        }
        let literal: String = self.s[start..i].iter().collect();
        let value = if is_float {
            PyValue::Float(literal.parse().unwrap_or(f64::NAN))
        } else {
            match literal.parse::<i128>() {
                Ok(n) => PyValue::Int(n),
                Err(_) => {
                    return Err(Failure::Error(JsonError {
                        message: format!("integer literal {literal} is too large for this parser"),
                    }));
                }
            }
        };
        Ok((value, i))
    }

    /// Scans a string whose opening quote is at `begin - 1`; returns the
    /// string and the index after the closing quote.
    fn scan_string(&self, begin: usize) -> Result<(String, usize), JsonError> {
        let mut out = String::new();
        let mut i = begin;
        loop {
            let Some(c) = self.at(i) else {
                return Err(self.error("Unterminated string starting at", begin - 1));
            };
            match c {
                '"' => return Ok((out, i + 1)),
                '\\' => {
                    let Some(esc) = self.at(i + 1) else {
                        return Err(self.error("Unterminated string starting at", begin - 1));
                    };
                    let simple = match esc {
                        '"' => Some('"'),
                        '\\' => Some('\\'),
                        '/' => Some('/'),
                        'b' => Some('\u{8}'),
                        'f' => Some('\u{c}'),
                        'n' => Some('\n'),
                        'r' => Some('\r'),
                        't' => Some('\t'),
                        _ => None,
                    };
                    if let Some(ch) = simple {
                        out.push(ch);
                        i += 2;
                        continue;
                    }
                    if esc != 'u' {
                        return Err(self.error("Invalid \\escape", i));
                    }
                    let high = self
                        .hex4(i + 2)
                        .ok_or_else(|| self.error("Invalid \\uXXXX escape", i + 1))?;
                    i += 6;
                    let mut code = high;
                    if (0xd800..0xdc00).contains(&high)
                        && self.at(i) == Some('\\')
                        && self.at(i + 1) == Some('u')
                        && let Some(low) = self.hex4(i + 2)
                        && (0xdc00..0xe000).contains(&low)
                    {
                        code = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                        i += 6;
                    }
                    // NOTE: Python keeps a lone surrogate in the string; Rust
                    // strings cannot hold one, so it becomes U+FFFD here.
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.error("Invalid control character at", i));
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let mut code = 0;
        for j in i..i + 4 {
            code = code * 16 + self.at(j)?.to_digit(16)?;
        }
        Some(code)
    }

    fn scan_object(&self, mut end: usize) -> Result<(PyValue, usize), Failure> {
        let mut dict = PyDict::default();
        let mut next = self.at(end);
        if next != Some('"') {
            if next.is_some_and(is_json_ws) {
                end = self.skip_ws(end);
                next = self.at(end);
            }
            if next == Some('}') {
                return Ok((PyValue::Dict(dict), end + 1));
            }
            if next != Some('"') {
                return Err(self
                    .error("Expecting property name enclosed in double quotes", end)
                    .into());
            }
        }
        end += 1;
        loop {
            let (key, after_key) = self.scan_string(end)?;
            end = after_key;
            if self.at(end) != Some(':') {
                end = self.skip_ws(end);
                if self.at(end) != Some(':') {
                    return Err(self.error("Expecting ':' delimiter", end).into());
                }
            }
            end = self.skip_ws(end + 1);
            let (value, after_value) = match self.scan_once(end) {
                Ok(done) => done,
                Err(Failure::Stop(at)) => return Err(self.error("Expecting value", at).into()),
                Err(e) => return Err(e),
            };
            dict.insert(&key, value);
            end = self.skip_ws(after_value);
            let next = self.at(end);
            end += 1;
            match next {
                Some('}') => break,
                Some(',') => {}
                _ => return Err(self.error("Expecting ',' delimiter", end - 1).into()),
            }
            end = self.skip_ws(end);
            let next = self.at(end);
            end += 1;
            if next != Some('"') {
                return Err(self
                    .error("Expecting property name enclosed in double quotes", end - 1)
                    .into());
            }
        }
        Ok((PyValue::Dict(dict), end))
    }

    fn scan_array(&self, mut end: usize) -> Result<(PyValue, usize), Failure> {
        let mut items = Vec::new();
        end = self.skip_ws(end);
        if self.at(end) == Some(']') {
            return Ok((PyValue::List(items), end + 1));
        }
        loop {
            let (value, after_value) = match self.scan_once(end) {
                Ok(done) => done,
                Err(Failure::Stop(at)) => return Err(self.error("Expecting value", at).into()),
                Err(e) => return Err(e),
            };
            items.push(value);
            end = self.skip_ws(after_value);
            let next = self.at(end);
            end += 1;
            match next {
                Some(']') => break,
                Some(',') => {}
                _ => return Err(self.error("Expecting ',' delimiter", end - 1).into()),
            }
            end = self.skip_ws(end);
        }
        Ok((PyValue::List(items), end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_json(text).unwrap_err().message
    }

    #[test]
    fn json_error_messages_match_python() {
        let cases = [
            (
                "{",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            ("[", "Expecting value: line 1 column 2 (char 1)"),
            (
                "{\"a\"",
                "Expecting ':' delimiter: line 1 column 5 (char 4)",
            ),
            ("{\"a\":", "Expecting value: line 1 column 6 (char 5)"),
            ("[1", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
            ("[1,", "Expecting value: line 1 column 4 (char 3)"),
            (
                "{\"a\":1,",
                "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
            ),
            (
                "\"abc",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            ("", "Expecting value: line 1 column 1 (char 0)"),
            ("  ", "Expecting value: line 1 column 3 (char 2)"),
            ("1.", "Extra data: line 1 column 2 (char 1)"),
            ("[01]", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
            (
                "{\"a\" 1}",
                "Expecting ':' delimiter: line 1 column 6 (char 5)",
            ),
            (
                "\u{feff}{}",
                "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
            ),
            (
                "{\"a\":\"x\ny\"}",
                "Invalid control character at: line 1 column 8 (char 7)",
            ),
            ("\"ab\\q\"", "Invalid \\escape: line 1 column 4 (char 3)"),
            (
                "\"\\u12\"",
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
            ("{}\n x", "Extra data: line 2 column 2 (char 4)"),
        ];
        for (text, expected) in cases {
            assert_eq!(err(text), expected, "input {text:?}");
        }
    }

    #[test]
    fn json_duplicate_key_keeps_first_position() {
        let value = parse_json(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        let dict = value.as_dict().unwrap();
        assert_eq!(dict.0[0], ("a".to_string(), PyValue::Int(3)));
        assert_eq!(dict.0.len(), 2);
    }

    #[test]
    fn json_accepts_python_constants() {
        let value = parse_json("[NaN, Infinity, -Infinity, 1e2, -0]").unwrap();
        let PyValue::List(items) = value else {
            panic!("not a list")
        };
        assert!(matches!(items[0], PyValue::Float(f) if f.is_nan()));
        assert_eq!(items[3], PyValue::Float(100.0));
        assert_eq!(items[4], PyValue::Int(0));
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(float_repr(3.5), "3.5");
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(100.0), "100.0");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a\u{1c}b"), "'a\\x1cb'");
        let dict = parse_json(r#"{"a": [1, null, true]}"#).unwrap();
        assert_eq!(dict.repr(), "{'a': [1, None, True]}");
    }

    #[test]
    fn parse_json_depth_limit() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse_json(&nested(MAX_JSON_DEPTH)).is_ok());
        assert_eq!(
            err(&nested(MAX_JSON_DEPTH + 1)),
            "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
        );
        let objects = format!(
            "{}{}",
            "{\"a\": ".repeat(MAX_JSON_DEPTH + 1),
            "}".repeat(MAX_JSON_DEPTH + 1)
        );
        assert_eq!(
            err(&objects),
            "maximum recursion depth exceeded while decoding a JSON object from a unicode string"
        );
    }
}
