//! Byte-level text handling: UTF-16 and binary detection, line and column
//! arithmetic, and one level of JSON string unescaping with an offset map.

use memchr::{memchr, memchr_iter, memrchr};

/// The text a blob is scanned as.
pub(crate) enum Decoded<'a> {
    /// Scanned as stored: UTF-8, Latin-1 or any other ASCII-compatible
    /// bytes. Invalid UTF-8 is fine.
    Bytes(&'a [u8]),
    /// UTF-16 decoded to UTF-8. `prefix_len` is the BOM length in the
    /// stored blob (0 or 2).
    Utf16 { text: Vec<u8>, prefix_len: usize },
    /// NUL bytes that are not UTF-16.
    Binary,
}

/// Bytes that git inspects for NUL to call a file binary.
const BINARY_SNIFF_LEN: usize = 8000;

/// Decides how to read `data`: UTF-16 by BOM or by alternating NULs,
/// binary by a NUL in the first 8000 bytes, otherwise as bytes.
pub(crate) fn decode(data: &[u8]) -> Decoded<'_> {
    if let Some(rest) = data.strip_prefix(b"\xff\xfe") {
        return Decoded::Utf16 {
            text: decode_utf16(rest, false),
            prefix_len: 2,
        };
    }
    if let Some(rest) = data.strip_prefix(b"\xfe\xff") {
        return Decoded::Utf16 {
            text: decode_utf16(rest, true),
            prefix_len: 2,
        };
    }
    let head = &data[..data.len().min(BINARY_SNIFF_LEN)];
    if memchr(0, head).is_none() {
        return Decoded::Bytes(data);
    }
    match utf16_without_bom(head) {
        Some(big_endian) => Decoded::Utf16 {
            text: decode_utf16(data, big_endian),
            prefix_len: 0,
        },
        None => Decoded::Binary,
    }
}

/// Detects BOM-less UTF-16 by its NUL pattern: in mostly-ASCII text every
/// other byte is NUL. Returns whether it is big-endian.
fn utf16_without_bom(head: &[u8]) -> Option<bool> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even_nul, mut odd_nul) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even_nul += usize::from(pair[0] == 0);
        odd_nul += usize::from(pair[1] == 0);
    }
    // Text has NUL high bytes in most code units and almost never a NUL
    // low byte (that would be U+0000 or a code unit like U+0100).
    let mostly = |count: usize| count * 10 >= pairs * 7;
    let rarely = |count: usize| count * 20 <= pairs;
    if mostly(odd_nul) && rarely(even_nul) {
        Some(false)
    } else if mostly(even_nul) && rarely(odd_nul) {
        Some(true)
    } else {
        None
    }
}

fn decode_utf16(data: &[u8], big_endian: bool) -> Vec<u8> {
    let units = data.chunks_exact(2).map(|pair| {
        if big_endian {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_le_bytes([pair[0], pair[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    text.into_bytes()
}

/// Returns the number of UTF-16 code units that encode `utf8`, to map an
/// offset in decoded text back to the stored blob.
pub(crate) fn utf16_units(utf8: &[u8]) -> usize {
    String::from_utf8_lossy(utf8)
        .chars()
        .map(char::len_utf16)
        .sum()
}

/// Returns the start of the line holding `offset`, looking back at most
/// `max_back` bytes.
pub(crate) fn line_start(text: &[u8], offset: usize, max_back: usize) -> usize {
    let floor = offset.saturating_sub(max_back);
    match memrchr(b'\n', &text[floor..offset]) {
        Some(i) => floor + i + 1,
        None => floor,
    }
}

/// Returns the end (exclusive, before `\n`) of the line holding `offset`,
/// looking ahead at most `max_ahead` bytes.
pub(crate) fn line_end(text: &[u8], offset: usize, max_ahead: usize) -> usize {
    let ceiling = offset.saturating_add(max_ahead).min(text.len());
    match memchr(b'\n', &text[offset..ceiling]) {
        Some(i) => offset + i,
        None => ceiling,
    }
}

/// Converts ascending byte offsets to 1-based (line, column) pairs by
/// counting newlines forward from the previous offset.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    pub(crate) fn position(&mut self, offset: usize) -> (u32, u32) {
        if offset < self.pos {
            *self = LineCounter::new(self.text);
        }
        for newline in memchr_iter(b'\n', &self.text[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + newline + 1;
        }
        self.pos = offset;
        let column = offset - self.line_start + 1;
        (self.line, u32::try_from(column).unwrap_or(u32::MAX))
    }
}

/// Text with one level of JSON string escapes resolved, and for every
/// output byte the offset of the input byte it came from.
pub(crate) struct Unescaped {
    pub(crate) text: Vec<u8>,
    pub(crate) origin: Vec<u32>,
}

impl Unescaped {
    /// Maps an offset in the unescaped text back to the input; `end` may
    /// equal the text length.
    pub(crate) fn map(&self, offset: usize) -> usize {
        match self.origin.get(offset) {
            Some(&origin) => origin as usize,
            None => self.origin.last().map_or(0, |&last| last as usize + 1),
        }
    }
}

/// Resolves `\"`, `\\`, `\/`, `\n`, `\r`, `\t`, `\b`, `\f` and `\uXXXX`
/// (with surrogate pairs) in `input`, which starts at `base` in the text
/// being scanned. Other bytes, and malformed escapes, are copied.
pub(crate) fn unescape_json(input: &[u8], base: usize) -> Unescaped {
    let mut text = Vec::with_capacity(input.len());
    let mut origin = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let at = (base + i) as u32;
        if input[i] != b'\\' || i + 1 >= input.len() {
            text.push(input[i]);
            origin.push(at);
            i += 1;
            continue;
        }
        let simple = match input[i + 1] {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            _ => None,
        };
        if let Some(byte) = simple {
            text.push(byte);
            origin.push(at);
            i += 2;
            continue;
        }
        if input[i + 1] == b'u'
            && let Some((ch, consumed)) = unicode_escape(&input[i..])
        {
            let mut buf = [0u8; 4];
            for &byte in ch.encode_utf8(&mut buf).as_bytes() {
                text.push(byte);
                origin.push(at);
            }
            i += consumed;
            continue;
        }
        text.push(b'\\');
        origin.push(at);
        i += 1;
    }
    Unescaped { text, origin }
}

/// Decodes `\uXXXX` or a `\uD8xx\uDCxx` surrogate pair at the start of
/// `input`; returns the character and the bytes consumed.
fn unicode_escape(input: &[u8]) -> Option<(char, usize)> {
    let hex4 = |bytes: &[u8]| -> Option<u32> {
        let digits = std::str::from_utf8(bytes.get(..4)?).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    let first = hex4(input.get(2..)?)?;
    if (0xD800..0xDC00).contains(&first) {
        if input.get(6..8) == Some(b"\\u") {
            let second = hex4(input.get(8..)?)?;
            if (0xDC00..0xE000).contains(&second) {
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return char::from_u32(code).map(|ch| (ch, 12));
            }
        }
        return None;
    }
    char::from_u32(first).map(|ch| (ch, 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_le_without_bom_detected() {
        let data: Vec<u8> = "key = 1\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        match decode(&data) {
            Decoded::Utf16 { text, prefix_len } => {
                assert_eq!(text, b"key = 1\n");
                assert_eq!(prefix_len, 0);
            }
            _ => panic!("not decoded as UTF-16"),
        }
    }

    #[test]
    fn nul_bytes_are_binary() {
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Decoded::Binary
        ));
    }

    #[test]
    fn latin1_scanned_as_bytes() {
        assert!(matches!(decode(b"caf\xe9 = 1"), Decoded::Bytes(_)));
    }

    #[test]
    fn unescape_maps_offsets() {
        let out = unescape_json(br#"a\"b\\nc\u00e9"#, 10);
        assert_eq!(out.text, "a\"b\\nc\u{e9}".as_bytes());
        assert_eq!(out.map(0), 10);
        assert_eq!(out.map(1), 11);
        assert_eq!(out.map(2), 13);
        assert_eq!(out.map(3), 14);
    }

    #[test]
    fn line_counter_columns() {
        let mut counter = LineCounter::new(b"ab\ncd\nef");
        assert_eq!(counter.position(0), (1, 1));
        assert_eq!(counter.position(4), (2, 2));
        assert_eq!(counter.position(6), (3, 1));
        assert_eq!(counter.position(1), (1, 2));
    }
}
