//! Environment files for `tightlip config --env-file`, read with
//! python-dotenv's syntax and variable expansion.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

/// Expands `${NAME}` and `${NAME:-default}` in each value as python-dotenv
/// 1.x does when it loads a file over the environment (`override=True`). A
/// name set earlier in the file wins over `env`, and an unset name without
/// a default expands to nothing. `$NAME` without braces stays as written.
pub(super) fn expand_variables(
    pairs: Vec<(String, String)>,
    env: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    static VARIABLE: once_cell::sync::Lazy<regex::Regex> = once_cell::sync::Lazy::new(|| {
        regex::Regex::new(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}").expect("valid regex")
    });
    let mut expanded: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in pairs {
        let value = VARIABLE
            .replace_all(&value, |captures: &regex::Captures| {
                let name = &captures["name"];
                let default = captures.name("default").map_or("", |m| m.as_str());
                expanded
                    .get(name)
                    .or_else(|| env.get(name))
                    .map_or(default, String::as_str)
                    .to_string()
            })
            .into_owned();
        expanded.insert(key, value);
    }
    expanded
}

/// Reads an environment file with python-dotenv's syntax: `KEY=VALUE`
/// statements, blank lines and `#` comments, an optional `export ` prefix,
/// and values in single quotes, double quotes (with more backslash
/// escapes) or bare. A quoted value may span lines. A `#` starts a comment
/// after a quoted value, and after whitespace in a bare value. Errors name
/// the file and line but never the line's content, which may be a secret.
pub(super) fn read_env_file(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the environment file {}", path.display()))?;
    parse_dotenv(&text)
        .map_err(|(line, problem)| anyhow::anyhow!("{}:{line}: {problem}", path.display()))
}

/// Parses dotenv text; an error carries the 1-based line number and a
/// description without any of the file's content.
fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut parser = DotenvParser {
        chars: &chars,
        at: 0,
        line: 1,
    };
    let mut pairs = Vec::new();
    loop {
        parser.skip(|c| c.is_whitespace());
        match parser.peek() {
            None => break,
            Some('#') => {
                parser.skip(|c| c != '\n' && c != '\r');
                continue;
            }
            Some(_) => {}
        }
        let start_line = parser.line;
        if parser.rest_starts_with("export") && parser.peek_at(6).is_some_and(is_blank) {
            parser.at += 6;
            parser.skip(is_blank);
        }
        // Keys follow python-dotenv: any run of characters other than `=`,
        // `#` and whitespace, or any text in single quotes.
        let key = if parser.peek() == Some('\'') {
            parser.at += 1;
            let key = parser.take_while(|c| c != '\'');
            if parser.advance() != Some('\'') {
                return Err((start_line, "the name opened with ' has no closing '".into()));
            }
            key
        } else {
            parser.take_while(|c| c != '=' && c != '#' && !c.is_whitespace())
        };
        parser.skip(is_blank);
        if key.is_empty() {
            return Err((
                start_line,
                "expected KEY=VALUE, but the line has no variable name".into(),
            ));
        }
        if parser.peek() != Some('=') {
            return Err((
                start_line,
                "expected KEY=VALUE, but the line has no '=' after a name (the line is not shown because it may hold a secret)".into(),
            ));
        }
        parser.at += 1;
        parser.skip(is_blank);
        let value = match parser.peek() {
            Some(quote @ ('\'' | '"')) => {
                parser.at += 1;
                let value = parser.quoted(quote).ok_or_else(|| {
                    (
                        start_line,
                        format!("the value opened with {quote} has no closing {quote}"),
                    )
                })?;
                parser.skip(is_blank);
                if parser.peek() == Some('#') {
                    parser.skip(|c| c != '\n' && c != '\r');
                }
                if parser.peek().is_some_and(|c| c != '\n' && c != '\r') {
                    return Err((
                        parser.line,
                        "unexpected text after the closing quote of a value".into(),
                    ));
                }
                value
            }
            _ => {
                let raw = parser.take_while(|c| c != '\n' && c != '\r');
                strip_inline_comment(&raw).trim_end().to_string()
            }
        };
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

/// Cuts a bare value at the first `#` that follows whitespace.
fn strip_inline_comment(raw: &str) -> &str {
    let mut previous_blank = false;
    for (i, c) in raw.char_indices() {
        if c == '#' && previous_blank {
            return &raw[..i];
        }
        previous_blank = c.is_whitespace();
    }
    raw
}

struct DotenvParser<'a> {
    chars: &'a [char],
    at: usize,
    /// The 1-based line of `at`.
    line: usize,
}

impl DotenvParser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn rest_starts_with(&self, word: &str) -> bool {
        word.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn advance(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        // A CR LF pair counts once, at its LF.
        if c == '\n' || (c == '\r' && self.peek() != Some('\n')) {
            self.line += 1;
        }
        Some(c)
    }

    fn skip(&mut self, keep_going: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&keep_going) {
            self.advance();
        }
    }

    fn take_while(&mut self, keep_going: impl Fn(char) -> bool) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|c| keep_going(*c)) {
            text.push(c);
            self.advance();
        }
        text
    }

    /// Reads a quoted value after its opening quote, through the closing
    /// one, and decodes escapes as python-dotenv does. Single quotes decode
    /// only `\\` and `\'`. Double quotes also decode `\"` and
    /// `\a \b \f \n \r \t \v`. Returns None when the quote is not closed.
    fn quoted(&mut self, quote: char) -> Option<String> {
        let mut value = String::new();
        loop {
            let c = self.advance()?;
            if c == quote {
                return Some(value);
            }
            if c != '\\' {
                value.push(c);
                continue;
            }
            let Some(next) = self.peek() else {
                value.push(c);
                continue;
            };
            let decoded = match (quote, next) {
                (_, '\\') => Some('\\'),
                (_, '\'') => Some('\''),
                ('"', '"') => Some('"'),
                ('"', 'n') => Some('\n'),
                ('"', 't') => Some('\t'),
                ('"', 'r') => Some('\r'),
                ('"', 'a') => Some('\u{7}'),
                ('"', 'b') => Some('\u{8}'),
                ('"', 'f') => Some('\u{c}'),
                ('"', 'v') => Some('\u{b}'),
                _ => None,
            };
            match decoded {
                Some(d) => {
                    value.push(d);
                    self.advance();
                }
                None => value.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse_dotenv(text).unwrap()
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_string(), value.to_string())
    }

    #[test]
    fn parse_dotenv_comments_and_quotes() {
        let text = "# top\r\nA=1 # c\r\nB='x'#c\r\n\r\nC=\"a\\nb\"\r\nD=a#b\r\nE=\r\n";
        assert_eq!(
            pairs(text),
            vec![
                pair("A", "1"),
                pair("B", "x"),
                pair("C", "a\nb"),
                pair("D", "a#b"),
                pair("E", ""),
            ]
        );
    }

    #[test]
    fn parse_dotenv_single_quote_escapes() {
        assert_eq!(pairs(r"A='it\'s \\ \n'"), vec![pair("A", r"it's \ \n")]);
    }

    #[test]
    fn parse_dotenv_error_lines() {
        assert_eq!(parse_dotenv("A=1\n\nB=\"open\nmore\n").unwrap_err().0, 3);
        assert_eq!(parse_dotenv("A='x' y\n").unwrap_err().0, 1);
        assert_eq!(parse_dotenv("A=\"x\ny\"\nbare\n").unwrap_err().0, 3);
    }

    #[test]
    fn expand_variables_prefers_file() {
        let env: BTreeMap<String, String> = [("A".to_string(), "env".to_string())].into();
        let expanded = expand_variables(vec![pair("A", "file"), pair("B", "${A}-${C:-d}")], &env);
        assert_eq!(expanded["B"], "file-d");
    }
}
