//! Checks that tell literal secrets from references, placeholders and other
//! decoys, and the value gate of the generic assignment rules.

use bstr::ByteSlice;

/// Returns whether `haystack` contains `needle`. The values checked here
/// are short, where a plain window scan beats building a memmem searcher.
fn contains(haystack: &[u8], needle: impl AsRef<[u8]>) -> bool {
    let needle = needle.as_ref();
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Shannon entropy of `bytes`, in bits per byte.
pub(crate) fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &byte in bytes {
        counts[byte as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / len;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a name (or a braced reference) as naming a credential.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
    "secret",
    "token",
    "key",
    "apikey",
    "credential",
    "credentials",
    "auth",
];

/// Returns whether `value` refers to a value kept elsewhere instead of being one:
/// shell and CI variables, templates, format placeholders and environment
/// lookups.
pub(crate) fn is_reference(value: &[u8]) -> bool {
    let value = value.trim();
    if value.starts_with(b"$") || contains(value, b"${") {
        return true;
    }
    if contains(value, b"{{") || value.starts_with(b"#{") || contains(value, b"<<") {
        return true;
    }
    // `{credentials[`: the start of an f-string expression whose inner
    // quote ended the captured string early.
    let unclosed_expression = value.starts_with(b"{")
        && !value.contains(&b'}')
        && value.iter().any(|&b| matches!(b, b'[' | b'('));
    if unclosed_expression {
        return true;
    }
    if value.find(b"%(").is_some() && value.find(b")s").is_some() {
        return true;
    }
    if contains(value, b"%s") || contains(value, b"%d") || contains(value, b"{}") {
        return true;
    }
    if value.len() > 2 && value.starts_with(b"%") && value.ends_with(b"%") {
        return true;
    }
    if let Some(inner) = value
        .strip_prefix(b"{")
        .and_then(|rest| rest.strip_suffix(b"}"))
        && (is_braced_reference(inner) || is_template_expression(inner))
    {
        return true;
    }
    const LOOKUPS: &[&[u8]] = &[
        b"os.environ",
        b"getenv",
        b"process.env",
        b"ENV[",
        b"ENV.fetch",
        b"env(",
        b"Env(",
        b"environ[",
        b"secrets.",
        b"!Ref",
        b"!Sub",
        b"vault:",
    ];
    LOOKUPS.iter().any(|lookup| contains(value, lookup))
}

/// `{credentials["password"]}`, `{cfg.get('pw')}`: an f-string or
/// template expression, which indexes, calls or quotes.
fn is_template_expression(inner: &[u8]) -> bool {
    inner
        .iter()
        .any(|&b| matches!(b, b'[' | b'(' | b'"' | b'\''))
}

/// `{DB_PASS}`, `{0}`, `{}` and `{password}` are placeholders; `{word9learn}`
/// is a value that happens to sit in braces.
fn is_braced_reference(inner: &[u8]) -> bool {
    let identifier = inner
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if !identifier {
        return false;
    }
    let upper_case = !inner.iter().any(u8::is_ascii_lowercase);
    if upper_case {
        return true;
    }
    let lower = inner.to_ascii_lowercase();
    const NAME_WORDS: &[&str] = &["user", "host", "name", "env", "db", "database", "url"];
    SECRET_WORDS
        .iter()
        .chain(NAME_WORDS)
        .any(|word| contains(&lower, word.as_bytes()))
}

/// Values that stand for "no value" in config files and code.
const NULL_WORDS: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "true",
    "false",
    "empty",
    "''",
    "\"\"",
];

/// Words that make a value written only in letters and separators a
/// fill-in placeholder when they occur anywhere in it: `changeme`,
/// `example_password`, `dummytoken`.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "mypassword",
    "changeme",
    "changeit",
    "replaceme",
    "placeholder",
    "redacted",
    "example",
    "dummy",
];

/// Words that mark a placeholder when they are one whole word of a value
/// written in letters and separators: `password_here`, `fake-token`.
const PLACEHOLDER_WORDS: &[&str] = &[
    "here", "fake", "sample", "change", "replace", "insert", "enter", "todo", "fixme", "your", "my",
];

/// Returns whether `value` is empty, null-like, a mask or a fill-in
/// placeholder such as `<your-password>`, `your_api_key` or `changeme`.
///
/// Placeholders are recognized as whole values or by their shape, never by
/// a substring: `Fakefur#2024x` and `dummyQm7vX2kLw9` are real values.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let value = value.trim();
    if value.is_empty() {
        return true;
    }

    let lower = value.to_ascii_lowercase();
    let is_word = |words: &[&str]| words.iter().any(|word| lower == word.as_bytes());
    if is_word(NULL_WORDS) || is_word(SECRET_WORDS) {
        return true;
    }

    let wrapped =
        |open: u8, close: u8| value.first() == Some(&open) && value.last() == Some(&close);
    if value.len() > 2 && (wrapped(b'<', b'>') || wrapped(b'[', b']')) {
        return true;
    }
    // `&lt;your-password&gt;`: an angle-bracket placeholder in HTML.
    if lower.starts_with(b"&lt;") && lower.ends_with(b"&gt;") {
        return true;
    }
    if lower.starts_with(b"your_") || lower.starts_with(b"your-") || lower.starts_with(b"<your") {
        return true;
    }
    if is_mask(value) || is_upper_case_secret_name(value) || is_placeholder_phrase(&lower) {
        return true;
    }
    contains(&lower, "...") || contains(&lower, "\u{2026}")
}

/// `xxxxxxxx`, `****`, `XXXX-XXXX-XXXX`, `########`: a mask that stands
/// for a hidden value.
fn is_mask(value: &[u8]) -> bool {
    let first = value[0];
    if value.iter().all(|&b| b == first) {
        return true;
    }
    let mask_bytes = value
        .iter()
        .filter(|&&b| matches!(b, b'x' | b'X' | b'*' | b'#' | b'.'))
        .count();
    let separators = value
        .iter()
        .filter(|&&b| matches!(b, b'-' | b'_' | b' ' | b':'))
        .count();
    if mask_bytes >= 4 && mask_bytes + separators == value.len() {
        return true;
    }
    // A run of eight `x` or `*` masks the rest of a documented value, as
    // in `T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`.
    value
        .windows(8)
        .any(|run| run.iter().all(|&b| matches!(b, b'x' | b'X')) || run.iter().all(|&b| b == b'*'))
}

/// `changeme`, `example_password`, `password_here`, `your api key`,
/// `haha not my real password`: letters and separators only, with a word
/// that marks a fill-in value.
fn is_placeholder_phrase(lower: &[u8]) -> bool {
    let letters_only = lower
        .iter()
        .all(|&b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-' | b'.' | b' '));
    if !letters_only {
        return false;
    }
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|marker| contains(lower, marker.as_bytes()))
    {
        return true;
    }
    let is_marker_word = |word: &[u8]| {
        word.starts_with(b"your")
            || PLACEHOLDER_WORDS
                .iter()
                .any(|marker| word == marker.as_bytes())
    };
    if lower
        .split(|&b| matches!(b, b'_' | b'-' | b'.' | b' '))
        .any(is_marker_word)
    {
        return true;
    }
    // A description in place of a value: `new_password`,
    // `alices-secret-password`, `haha not my real password`.
    contains(lower, b"password")
}

/// `MYTOKEN`, `API_KEY_HERE`, `DB_PASSWORD`: an upper-case name that
/// mentions a secret word stands for a value, it is not one.
fn is_upper_case_secret_name(value: &[u8]) -> bool {
    let shaped = value[0].is_ascii_uppercase()
        && value
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !shaped {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key", "credential"]
        .iter()
        .any(|word| contains(&lower, word.as_bytes()))
}

/// Returns whether `value` is one of the example credentials that vendors
/// publish in their documentation, such as AWS's `AKIAIOSFODNN7EXAMPLE`.
pub(crate) fn is_vendor_example(value: &[u8]) -> bool {
    // Stripe's documented test keys and the signature of the sample token
    // on jwt.io.
    const DOCUMENTED: &[&[u8]] = &[
        b"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        b"pk_test_TYooMQauvdEDq54NiTphI7jx",
    ];
    const JWT_IO_SIGNATURE: &[u8] = b".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    value.ends_with(b"EXAMPLE")
        || contains(value, b"EXAMPLEKEY")
        || DOCUMENTED.contains(&value)
        || value.ends_with(JWT_IO_SIGNATURE)
}

/// Qualifiers after a secret word that keep the name a secret's name:
/// `DB_PASSWORD_PROD`, `api_key_v2`, `SECRET_KEY_BASE`.
const TRAILING_QUALIFIERS: &[&str] = &[
    "prod",
    "production",
    "dev",
    "development",
    "staging",
    "stage",
    "test",
    "live",
    "value",
    "string",
    "str",
    "base",
    "b64",
    "base64",
    "hex",
    "raw",
    "env",
    "old",
    "new",
    "main",
];

/// Words before `key` that name a non-secret key.
const NON_SECRET_KEY_QUALIFIERS: &[&str] = &[
    "public",
    "primary",
    "foreign",
    "sort",
    "partition",
    "row",
    "cache",
    "group",
    "index",
    "dict",
    "map",
    "lookup",
    "unique",
    "hash",
    "hotkey",
    "shortcut",
    "keyboard",
    "translation",
    "i18n",
    "message",
    "label",
    "object",
    "idempotency",
    "routing",
    "composite",
    "natural",
    "surrogate",
    "pub",
    "next",
    "prev",
    "last",
    "first",
    "sorting",
    "join",
    "config",
    "recv",
    "send",
    "import",
    "export",
    "gen",
    "edit",
    "sign",
    "trusted",
    "list",
];

/// Splits an identifier into lower-case words at `_`, `-`, `.`, `/` and
/// camel-case boundaries, dropping trailing digits of each word.
fn name_words(name: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for &byte in name {
        let ch = byte as char;
        if !ch.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        current.push(ch.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    for word in &mut words {
        let trimmed = word.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        word.truncate(trimmed);
    }
    words.retain(|word| !word.is_empty());
    words
}

fn is_secret_word(word: &str) -> bool {
    let singular = word.strip_suffix('s').unwrap_or(word);
    SECRET_WORDS.contains(&word) || SECRET_WORDS.contains(&singular) || is_joined_secret_word(word)
}

/// Endings that make a word name a credential even when a prefix is glued
/// on without a separator, as in `PGPASSWORD`, `dbpassword`, `apitoken` or
/// `stripeapikey`. A bare `key` or `pass` ending does not count, because
/// `monkey` and `bypass` are ordinary words.
const JOINED_SECRET_ENDINGS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "secretkey",
    "accesskey",
    "privatekey",
];

fn is_joined_secret_word(word: &str) -> bool {
    JOINED_SECRET_ENDINGS
        .iter()
        .any(|ending| word.len() > ending.len() && word.ends_with(ending))
}

/// Returns whether an assigned name ends in a password-, secret-, token- or
/// key-like word, such as `APP_DB_PASSWORD`, `clientSecretKey` or
/// `other_key`, but not `private_key_id`, `token_type` or `primary_key`.
pub(crate) fn is_secret_name(name: &[u8]) -> bool {
    let words = name_words(name);
    let Some(mut last) = words.len().checked_sub(1) else {
        return false;
    };
    if !is_secret_word(&words[last]) {
        if last == 0 || !TRAILING_QUALIFIERS.contains(&words[last].as_str()) {
            return false;
        }
        last -= 1;
        if !is_secret_word(&words[last]) {
            return false;
        }
    }
    if words[last].starts_with("key") && last > 0 {
        return !NON_SECRET_KEY_QUALIFIERS.contains(&words[last - 1].as_str());
    }
    true
}

/// Returns whether a called function's name marks its string argument as a secret
/// (`secret("…")`, `setPassword("…")`) rather than a lookup by name
/// (`getenv("…")`, `get_secret("…")`).
pub(crate) fn is_secret_setter(name: &[u8]) -> bool {
    let words = name_words(name);
    const LOOKUP_VERBS: &[&str] = &[
        "get", "read", "load", "fetch", "find", "lookup", "has", "is", "check", "validate",
        "require", "env", "getenv", "delete", "remove", "verify", "list", "describe", "create",
        "generate", "new", "rotate", "resolve", "print", "log", "format", "parse", "decode",
        "encode", "hash", "compare", "match", "assert", "expect",
    ];
    match words.first() {
        Some(first) if LOOKUP_VERBS.contains(&first.as_str()) => false,
        _ => is_secret_name(name),
    }
}

/// File extensions of programming languages, where an unquoted right-hand
/// side is an expression, not a literal.
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "pyx", "js", "jsx", "mjs", "cjs", "ts", "tsx", "go", "rs", "java", "kt", "kts",
    "scala", "rb", "php", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "m", "mm", "r", "jl", "lua",
    "pl", "pm", "dart", "ex", "exs", "erl", "clj", "groovy", "ipynb", "vue", "svelte",
];

pub(crate) fn is_source_path(path: &[u8]) -> bool {
    let name = path.rsplit_str("/").next().unwrap_or(path);
    match name.rfind_byte(b'.') {
        Some(dot) => {
            let extension = name[dot + 1..].to_ascii_lowercase();
            SOURCE_EXTENSIONS
                .iter()
                .any(|known| known.as_bytes() == extension.as_slice())
        }
        None => false,
    }
}

/// Value gate of the generic assignment rules: the value must look like a
/// random credential, not a word, an identifier, a path or a hash-like
/// identifier such as a UUID.
pub(crate) fn is_generic_value(value: &[u8], quoted: bool, path: &[u8]) -> bool {
    if value.len() < 8 || value.len() > 256 || value.iter().any(u8::is_ascii_whitespace) {
        return false;
    }
    if !quoted && (is_source_path(path) || looks_like_expression(value)) {
        return false;
    }
    let has_digit = value.iter().any(u8::is_ascii_digit);
    let not_a_credential = looks_like_path_or_url(value)
        || is_constant_name(value)
        || is_uuid(value)
        || is_lower_identifier(value)
        || is_dotted_identifier(value)
        || !has_digit && is_joined_words(value)
        || is_braced_literal(value)
        || is_public_key_der(value);
    if not_a_credential {
        return false;
    }

    let has_lower = value.iter().any(u8::is_ascii_lowercase);
    let has_upper = value.iter().any(u8::is_ascii_uppercase);
    let has_symbol = value.iter().any(|b| !b.is_ascii_alphanumeric());
    let entropy = shannon_entropy(value);
    if !(has_lower || has_upper) || entropy < 3.0 {
        return false;
    }

    let classes = [has_lower, has_upper, has_digit, has_symbol]
        .iter()
        .filter(|&&present| present)
        .count();
    // Underscores, dashes and dots join identifier words; other symbols
    // make a digit-free value look like a password.
    let has_password_symbol = value
        .iter()
        .any(|&b| !b.is_ascii_alphanumeric() && !matches!(b, b'_' | b'-' | b'.'));
    let long_random =
        value.len() >= 20 && entropy >= 4.0 && has_lower && has_upper && !value.contains(&b'_');
    has_digit && classes >= 2 || classes >= 3 && has_password_symbol || long_random
}

/// `{string|Buffer}`, `{a: 1}`: an object literal or a type list in braces,
/// not a value that merely sits in braces like `{word9learn}`.
fn is_braced_literal(value: &[u8]) -> bool {
    value.starts_with(b"{")
        && value
            .iter()
            .any(|&b| matches!(b, b'|' | b':' | b',' | b' ' | b'"' | b'\''))
}

/// Base64 of DER-encoded public keys (SubjectPublicKeyInfo for EC P-256,
/// P-384, RSA and Ed25519): published keys, not secrets.
fn is_public_key_der(value: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"MFkwEwYHKoZIzj0CAQ",
        b"MHYwEAYHKoZIzj0CAQ",
        b"MIIBIjANBgkqhkiG9w0BAQEFAAOC",
        b"MIICIjANBgkqhkiG9w0BAQEFAAOC",
        b"MCowBQYDK2VwAyEA",
    ];
    PREFIXES.iter().any(|prefix| value.starts_with(prefix))
}

/// `BobGneu_human-format`, `Correct-Horse`: letters-only words joined by
/// `_`, `-` or `.`, as in identifiers and slugs.
fn is_joined_words(value: &[u8]) -> bool {
    let mut words = value.split(|&b| matches!(b, b'_' | b'-' | b'.'));
    let all_alphabetic = words
        .clone()
        .all(|word| !word.is_empty() && word.iter().all(u8::is_ascii_alphabetic));
    all_alphabetic && words.nth(1).is_some()
}

/// Unquoted values like `self.password2`, `config[key]`, `load()` or
/// `module::Type`.
fn looks_like_expression(value: &[u8]) -> bool {
    value
        .iter()
        .any(|&b| matches!(b, b'(' | b')' | b'[' | b']'))
        || contains(value, b"::")
        || dotted_parts_all(value, |b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `core.logAllRefUpdates`, `http.extraHeader`: letters-only identifiers
/// joined by dots, such as configuration key names.
fn is_dotted_identifier(value: &[u8]) -> bool {
    dotted_parts_all(value, |b| b.is_ascii_alphabetic() || b == b'_')
}

fn dotted_parts_all(value: &[u8], allowed: impl Fn(u8) -> bool) -> bool {
    value.contains(&b'.')
        && value.split(|&b| b == b'.').all(|part| {
            !part.is_empty() && !part[0].is_ascii_digit() && part.iter().all(|&b| allowed(b))
        })
}

/// `HD5_USE_FILE_LOCKING`, `MAX_RETRIES_2`: an upper-case constant or
/// environment variable name of two or more words.
fn is_constant_name(value: &[u8]) -> bool {
    let shaped = value
        .iter()
        .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let mut words = value.split(|&b| b == b'_').filter(|word| !word.is_empty());
    let named = words
        .clone()
        .all(|word| word.iter().filter(|b| b.is_ascii_uppercase()).count() >= 2);
    shaped && named && words.nth(1).is_some()
}

/// `src/app/metric_curation.py:916`, `docs/index.md`: a relative path
/// whose last part has a file extension, with an optional line number.
fn is_relative_file_path(value: &[u8]) -> bool {
    let value = match value.iter().rposition(|&b| b == b':') {
        Some(colon) if value[colon + 1..].iter().all(u8::is_ascii_digit) => &value[..colon],
        _ => value,
    };
    let Some(slash) = value.iter().rposition(|&b| b == b'/') else {
        return false;
    };
    let path_bytes = value
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'));
    let name = &value[slash + 1..];
    let extension = name
        .iter()
        .rposition(|&b| b == b'.')
        .map(|dot| &name[dot + 1..]);
    path_bytes
        && extension.is_some_and(|ext| {
            (1..=5).contains(&ext.len()) && ext.iter().all(u8::is_ascii_alphanumeric)
        })
}

fn looks_like_path_or_url(value: &[u8]) -> bool {
    if is_relative_file_path(value) {
        return true;
    }
    const PREFIXES: &[&[u8]] = &[b"/", b"./", b"../", b"~/", b"file:"];
    if PREFIXES.iter().any(|prefix| value.starts_with(prefix)) {
        return true;
    }
    if contains(value, b"://") {
        return true;
    }
    if value.len() > 2 && value[1] == b':' && matches!(value[2], b'\\' | b'/') {
        return true;
    }
    const FILE_EXTENSIONS: &[&str] = &[
        ".pem",
        ".key",
        ".json",
        ".txt",
        ".yaml",
        ".yml",
        ".p12",
        ".pfx",
        ".crt",
        ".cer",
        ".der",
        ".jks",
        ".ppk",
        ".pub",
        ".env",
        ".ini",
        ".cfg",
        ".conf",
        ".toml",
        ".xml",
        ".gpg",
        ".asc",
        ".keystore",
    ];
    let lower = value.to_ascii_lowercase();
    FILE_EXTENSIONS
        .iter()
        .any(|extension| lower.ends_with(extension.as_bytes()))
}

fn is_uuid(value: &[u8]) -> bool {
    let groups: Vec<&[u8]> = value.split(|&b| b == b'-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.iter().all(u8::is_ascii_hexdigit))
}

/// `some_config_value`, `my-secret-name`: lower-case words joined by
/// separators, without digits.
fn is_lower_identifier(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-' | b'.'))
}

/// Returns whether `host` is a loopback address or name.
pub(crate) fn is_loopback_host(host: &[u8]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let host = host
        .strip_prefix(b"[")
        .and_then(|rest| rest.strip_suffix(b"]"))
        .unwrap_or(&host);
    host == b"localhost"
        || host.ends_with(b".localhost")
        || host.starts_with(b"127.")
        || host == b"::1"
        || host == b"0.0.0.0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "APP_DB_PASSWORD",
            "clientSecretKey",
            "other_key",
            "api_key",
            "DJ_PASS",
            "database.password",
            "key",
            "auth_token",
            "DB_PASSWORD_PROD",
            "password2",
            "PGPASSWORD",
            "dbpassword",
            "MYSQL_PWD",
            "apitoken",
            "clientsecret",
            "STRIPEAPIKEY",
            "awssecretkey",
        ] {
            assert!(is_secret_name(name.as_bytes()), "{name}");
        }
        for name in [
            "private_key_id",
            "token_type",
            "primary_key",
            "monkey",
            "bypass",
            "author",
            "compass",
            "passwordless",
            "tokenizer",
        ] {
            assert!(!is_secret_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn references() {
        for value in [
            "$DB_PASS",
            "${DB_PASS}",
            "$(cat pw)",
            "${{ secrets.X }}",
            "{{ var }}",
            "%(password)s",
            "{DB_PASS}",
            "os.environ['X']",
        ] {
            assert!(is_reference(value.as_bytes()), "{value}");
        }
        assert!(!is_reference(b"{word9learn}"));
        assert!(!is_reference(b"zRj9MCCpPPD8a9VKQqjW"));
    }

    #[test]
    fn placeholders() {
        for value in [
            "",
            "null",
            "<your-password>",
            "your_password",
            "FAKEKEY",
            "xxxxxxxx",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value:?}");
        }
        assert!(!is_placeholder(b"pass123"));
        assert!(!is_placeholder(b"word456"));
    }

    #[test]
    fn generic_values() {
        assert!(is_generic_value(b"zRj9MCCpPPD8a9VKQqjW", true, b"a.go"));
        assert!(is_generic_value(
            b"GTUb2rxjf04vlaQSm0VmEzEyfwgKaL8YPywjU/mu",
            false,
            b"c.yaml"
        ));
        assert!(!is_generic_value(b"zRj9MCCpPPD8a9VKQqjW", false, b"a.py"));
        assert!(!is_generic_value(b"changeit", true, b"a.yaml"));
        assert!(!is_generic_value(b"some_config_value", true, b"a.yaml"));
        assert!(!is_generic_value(
            b"123e4567-e89b-12d3-a456-426614174000",
            true,
            b"a.yaml"
        ));
    }

    #[test]
    fn entropy_of_uniform_bytes() {
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
    }
}
