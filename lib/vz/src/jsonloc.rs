//! A fast reader for JSON inputs read with locations: the same values and
//! the same [`crate::sourcemap`] (every key and value, by path, with its
//! line and column) as [`crate::yaml::parse_stream_located`] gives for the same text
//! (JSON is YAML 1.2), or `None` for anything it cannot prove equal (the
//! caller then takes the full path, which also gives the error, with its
//! location, for a text that is not good JSON).
//!
//! The full parser reads JSON at 10 to 20 MB/s; this reader, a byte-level
//! recursive descent counting lines and columns as it goes, is five to ten
//! times faster, locations included (a 23 KB pod: 1.1 M instructions
//! against 7.6 M; a 2 MB `List`: 6 times fewer). What it reads:
//! - one JSON object or array (the full parser refuses a stream of several
//!   JSON values: they are not one YAML document), with JSON whitespace
//!   around and inside it (spaces, tabs, LF, CRLF, and a lone CR, which
//!   YAML counts as a line break);
//! - strings with every JSON escape (`\uXXXX` included, surrogate pairs
//!   joined), and any character YAML calls printable;
//! - numbers: integers that fit `i64` or `u64`, and decimals or exponents
//!   read as `f64` (as YAML's core schema reads them), and integers beyond
//!   that range, which both read as `f64`.
//!
//! What it refuses: duplicate keys (the full parser rejects them), `-0`
//! (YAML reads the integer `0`, JSON `-0.0`), non-finite numbers, characters
//! YAML does not allow in a stream (DEL, C1 controls, U+2028, U+2029,
//! U+FEFF, U+FFFE, U+FFFF) and control characters, lone surrogates, a key
//! whose `:` is on a later line or more than 1,000 bytes after the key's
//! start (YAML limits implicit keys to 1,024 characters), nesting deeper
//! than 48 (the full parser enforces [`crate::yaml::MAX_DEPTH`]), a leading
//! byte-order mark, anything after the value but whitespace, and whatever
//! is not JSON.
//!
//! In debug builds, [`crate::input`] checks every read here against the
//! full parser, values and locations, so the whole test suite proves them
//! equal.

use crate::fastyaml::{Doc, MAX_DEPTH};
use crate::sourcemap::PathHash;
use serde_json::{Map, Number, Value};

/// The bytes a string holds as they are: printable ASCII but `"` and `\`.
const PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0x20;
    while b < 0x7F {
        plain[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    plain
};

/// The most bytes from a key's opening quote to its `:`; longer keys go to
/// the full parser (YAML limits implicit keys to 1,024 characters).
const MAX_KEY_BYTES: usize = 1000;

/// The document of a JSON text (one object or array), with where it starts
/// and the location of every key and value exactly as
/// [`crate::yaml::parse_stream_located`] records them; `None` for anything
/// this reader cannot prove the full parser reads the same way.
pub fn read(text: &str) -> Option<Vec<Doc>> {
    let mut r = Reader::new(text);
    r.skip_ws();
    if !matches!(r.peek(), Some(b'{' | b'[')) {
        return None;
    }
    let (line, column) = r.at();
    let value = r.value()?;
    r.skip_ws();
    if r.i != r.bytes.len() {
        return None;
    }
    Some(vec![Doc { value, line, column, map: r.places.finish() }])
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    i: usize,
    /// The current line (1-based).
    line: usize,
    /// The byte offset where the current line starts.
    line_start: usize,
    /// UTF-8 continuation bytes met on the current line: columns count
    /// characters.
    wide: usize,
    depth: usize,
    /// The path of the node being read.
    path: PathHash,
    /// The place of every value and key read.
    places: crate::sourcemap::Builder,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            text,
            bytes: text.as_bytes(),
            i: 0,
            line: 1,
            line_start: 0,
            wide: 0,
            depth: 0,
            path: PathHash::ROOT,
            places: Default::default(),
        }
    }
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    /// The line and column (1-based, in characters) of the next byte.
    fn at(&self) -> (usize, usize) {
        (self.line, self.i - self.line_start - self.wide + 1)
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.i;
        self.wide = 0;
    }

    /// Skips JSON whitespace, counting line breaks as YAML does (CRLF once,
    /// a lone CR too).
    fn skip_ws(&mut self) {
        loop {
            // Indentation first: runs of spaces are most of it.
            self.i += crate::fastyaml::spaces(self.bytes.get(self.i..).unwrap_or_default());
            match self.peek() {
                Some(b'\t') => self.i += 1,
                Some(b'\n') => {
                    self.i += 1;
                    self.newline();
                }
                Some(b'\r') => {
                    self.i += 1;
                    if self.peek() == Some(b'\n') {
                        self.i += 1;
                    }
                    self.newline();
                }
                _ => return,
            }
        }
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// Reads the value at the next byte, recording its location.
    fn value(&mut self) -> Option<Value> {
        let at = self.at();
        self.places.value(self.path, at);
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        let end = self.i + word.len();
        (self.bytes.get(self.i..end)? == word.as_bytes()).then(|| {
            self.i = end;
            value
        })
    }

    fn object(&mut self) -> Option<Value> {
        let mut out = Map::new();
        if self.opened(b'}')? {
            return Some(Value::Object(out));
        }
        loop {
            if self.peek() != Some(b'"') {
                return None;
            }
            let key_at = self.at();
            let start = self.i;
            let key = self.string()?;
            // The `:` on the key's line: YAML keys are on one line.
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.i += 1;
            }
            if self.peek() != Some(b':') || self.i - start > MAX_KEY_BYTES {
                return None;
            }
            self.i += 1;
            self.skip_ws();
            let parent = self.enter_key(&key);
            self.places.key(self.path, key_at);
            let value = self.value()?;
            self.path = parent;
            if out.insert(key, value).is_some() {
                return None; // a duplicate key: the full parser says so
            }
            if self.closed(b'}')? {
                break;
            }
        }
        self.depth -= 1;
        Some(Value::Object(out))
    }

    fn array(&mut self) -> Option<Value> {
        let mut out = Vec::new();
        if self.opened(b']')? {
            return Some(Value::Array(out));
        }
        loop {
            let parent = self.enter_index(out.len());
            let value = self.value()?;
            self.path = parent;
            out.push(value);
            if self.closed(b']')? {
                break;
            }
        }
        self.depth -= 1;
        Some(Value::Array(out))
    }

    /// At a `{` or `[`: one level deeper, past it and the white space after
    /// it; `Some(true)` when the collection is empty (its `close` consumed,
    /// the level left again), `None` when too deep.
    fn opened(&mut self, close: u8) -> Option<bool> {
        self.deeper()?;
        self.i += 1;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.i += 1;
            self.depth -= 1;
            return Some(true);
        }
        Some(false)
    }

    /// After an entry of a mapping or list: `Some(true)` at its closing
    /// bracket (consumed), `Some(false)` after a comma (and the white space
    /// after it), `None` at anything else.
    fn closed(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        let c = self.peek()?;
        if c != b',' && c != close {
            return None;
        }
        self.i += 1;
        if c == b',' {
            self.skip_ws();
        }
        Some(c == close)
    }

    /// Goes down to `key` of the mapping; returns the path to go back to.
    fn enter_key(&mut self, key: &str) -> PathHash {
        let parent = self.path;
        self.path = parent.key(key);
        parent
    }

    /// Goes down to item `i` of the list; returns the path to go back to.
    fn enter_index(&mut self, i: usize) -> PathHash {
        let parent = self.path;
        self.path = parent.index(i);
        parent
    }

    /// Reads a string from its opening quote.
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let start = self.i;
        self.run()?;
        if self.peek()? == b'"' {
            let s = self.text[start..self.i].to_string();
            self.i += 1;
            return Some(s);
        }
        let mut s = String::with_capacity(self.i - start + 16);
        s.push_str(&self.text[start..self.i]);
        loop {
            // At a backslash.
            self.i += 1;
            let c = match self.peek()? {
                b'u' => {
                    let high = self.hex4()?;
                    let code = match high {
                        0xD800..=0xDBFF => {
                            if self.bytes.get(self.i + 1..self.i + 3)? != b"\\u" {
                                return None;
                            }
                            self.i += 2;
                            let low = self.hex4()?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return None;
                            }
                            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        }
                        code => code,
                    };
                    char::from_u32(code)?
                }
                e => short_escape(e)?,
            };
            s.push(c);
            self.i += 1;
            let from = self.i;
            self.run()?;
            s.push_str(&self.text[from..self.i]);
            if self.peek()? == b'"' {
                self.i += 1;
                return Some(s);
            }
        }
    }

    /// Reads the four hex digits after `\u` (at `u`), leaving `i` at the
    /// last one.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.i + 1..self.i + 5)?;
        let mut code = 0;
        for &d in digits {
            code = code * 16 + char::from(d).to_digit(16)?;
        }
        self.i += 4;
        Some(code)
    }

    /// Skips string content up to the next `"` or `\`; `None` at a character
    /// JSON or YAML does not allow there, or at the end of the text.
    fn run(&mut self) -> Option<()> {
        loop {
            let rest = self.bytes.get(self.i..).unwrap_or_default();
            // `None` at the end of the text: the string is not closed.
            self.i += rest.iter().position(|&b| !PLAIN[usize::from(b)])?;
            match *self.bytes.get(self.i)? {
                b'"' | b'\\' => return Some(()),
                0x00..=0x1F | 0x7F => return None,
                lead => {
                    let b1 = self.bytes.get(self.i + 1).copied();
                    let b2 = self.bytes.get(self.i + 2).copied();
                    let refused = match (lead, b1, b2) {
                        // C1 controls (NEL included).
                        (0xC2, Some(0x80..=0x9F), _) => true,
                        // U+2028, U+2029.
                        (0xE2, Some(0x80), Some(0xA8 | 0xA9)) => true,
                        // U+FEFF, U+FFFE, U+FFFF.
                        (0xEF, Some(0xBB), Some(0xBF)) | (0xEF, Some(0xBF), Some(0xBE | 0xBF)) => {
                            true
                        }
                        _ => false,
                    };
                    if refused {
                        return None;
                    }
                    let len = match lead {
                        0xF0.. => 4,
                        0xE0.. => 3,
                        _ => 2,
                    };
                    self.i += len;
                    self.wide += len - 1;
                }
            }
        }
    }

    /// Reads a number as YAML's core schema types it.
    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
            float = true;
        }
        let s = &self.text[start..self.i];
        if !float {
            if s == "-0" {
                return None; // YAML reads the integer 0, JSON -0.0
            }
            let int = if negative {
                s.parse::<i64>().ok().map(Value::from)
            } else {
                s.parse::<u64>().ok().map(Value::from)
            };
            if int.is_some() {
                return int;
            }
        }
        Number::from_f64(s.parse::<f64>().ok()?).map(Value::Number)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

/// The character of a one-letter escape that JSON and YAML's double-quoted
/// scalars share (`\n`, `\"`, …); YAML's own go on in [`crate::fastyaml`].
pub(crate) fn short_escape(e: u8) -> Option<char> {
    Some(match e {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;
    use proptest::prelude::*;
    use serde_json::json;

    /// The read of `text` equals the full parser's: values, document starts
    /// and every location.
    fn same(text: &str) {
        let full = yaml::parse_stream_located(text, "t")
            .unwrap_or_else(|e| panic!("the full parser reads {text:?}: {e}"));
        let fast = read(text).unwrap_or_else(|| panic!("not read: {text:?}"));
        assert_same(&fast, &full, text);
    }

    fn assert_same(fast: &[Doc], full: &[yaml::LocatedDoc], text: &str) {
        assert_eq!(fast.len(), full.len(), "{text:?}");
        for (a, b) in fast.iter().zip(full) {
            assert_eq!(a.value, b.value, "{text:?}");
            assert_eq!(a.map, b.map, "places in {text:?}");
            assert_eq!(Some((a.line, a.column)), b.map.value(""), "start of {text:?}");
        }
    }

    fn refused(text: &str) {
        assert!(read(text).is_none(), "read: {text:?}");
    }

    /// Read equal to the full parser, or refused.
    fn same_or_refused(text: &str) -> bool {
        let Some(fast) = read(text) else {
            return false;
        };
        let full = yaml::parse_stream_located(text, "t")
            .unwrap_or_else(|e| panic!("read, but the full parser says {e}: {text:?}"));
        assert_same(&fast, &full, text);
        true
    }

    #[test]
    fn reads_json_exactly_as_the_full_parser() {
        same("{\"a\": 1, \"b\": [1, \"x\", {\"c\": null}], \"d\": {}}");
        same("{}");
        same("[]");
        same("[1]");
        same("{ }");
        same("[ ]");
        same("{\"a\":{},\"b\":[],\"c\":[{}],\"d\":[[]],\"e\":{\"f\":{\"g\":[[1,[2]],{}]}}}");
        same("[true, false, null, 0, -1, 1.5, \"s\", [], {}, [[[]]]]");
        same("[true,false,null,0,-1,1.5,\"s\"]");
        same("  \n {\n  \"a\" : true,\n  \"é\": \"ü\",\n  \"x.y\": [ ]\n}");
        same("{\"a\":\n  1,\n\"b\":\n\n\n  [\n  2\n  ,3 ]\n}\n\n");
        same("\n\n  [\n-1,\n-2.5e-3\n]");
        same(
            "{\"\": 1, \"1\": 2, \"true\": 3, \"null\": 4, \"a b\": 5, \"a\\\"b\": 6, \"a[0]\": 7}",
        );
        same("{\"a]\": 1, \"[\": 2, \"x.y\": {\"p.q\": [{\"\": {\"z\": 0}}]}}");
        same("{\"a\": \"#x\", \"b\": \"x #y\", \"c\": \"- x\", \"d\": \"a: b\", \"e\": \"'q'\"}");
        same("{\"k\": \"---\", \"l\": \"...\", \"m\": \"%YAML\", \"n\": \"&a *a !t | >\"}");
        same("{\"a\": \"\", \"b\": \" \", \"c\": \"  x  \"}");
    }

    #[test]
    fn whitespace_variants() {
        same("{\r\n  \"a\": [\r\n    1\r\n  ]\r\n}\r\n");
        same("{\"a\": 1,\r\"b\": 2}");
        same("{\r\r\n\n\"a\":\r\n\r1}");
        same("{\t\"a\":\t1,\n\t\"b\" :\t2,\n\t\t\"c\"\t:[\t3\t]}\t\n");
        same("\t{\"a\": 1}");
        same("\n\n\n    {\"a\": 1}    \n\n");
        same("{\"a\"      : 1}");
    }

    #[test]
    fn unicode_counts_columns_in_characters() {
        same("{\"é\": \"ü\", \"b\": 1}");
        same("{\"😀\": \"😀\", \"b\": 1, \"日本語\": [\"中文\", \"x\"], \"z\": \"ﬀ\"}");
        same(
            "{\"a\": \"ÿ\u{a0}\u{7ff}\u{800}\u{d7ff}\u{e000}\u{fffd}\u{10000}\u{10ffff}\", \"b\": 1}",
        );
        same("{\"ü\": {\"ö\": [\"ä\", \"ß\"]},\n \"x\": \"é\", \"y\": 2}\n");
        same("[\"é😀\", 1, \"\u{2027}\u{202a}x\"]");
    }

    #[test]
    fn escapes_read_as_the_full_parser_reads_them() {
        same(r#"{"a": "\u00e9\n\t\"\\\/\b\f\r", "b": "x\"y"}"#);
        same(r#"{"a": "\ud83d\ude00x", "b": "\uD83D\uDE00", "c": "\uDBFF\uDFFF"}"#);
        same(r#"{"a\nb": 1, "c\u0041": 2, "\"": 3, "\\": 4, "x\/y": 5, "a.b\n": 6}"#);
        same(r#"{"a": "\u0000\u0001\u001f\u007f\u0085\u00a0\u2028\u2029\ufeff\uffff\ufffe"}"#);
        same(r#"["\u0009", "\u000a", "\u000d", "\u0020", "\u00e9é", "é\u00e9", "\\n"]"#);
        for c in 0..0x80u32 {
            same(&format!("{{\"k\": \"x\\u{c:04x}y\", \"e\\u{c:04X}\": 1}}"));
        }
    }

    #[test]
    fn numbers_read_as_the_full_parser_reads_them() {
        same(
            "{\"a\": 0.1, \"b\": 0.30000000000000004441, \"c\": 123456789012345678901234567890, \"d\": -9223372036854775809, \"e\": 5e-324, \"f\": 1e-400, \"g\": 1E+3, \"h\": 1.0e0, \"i\": -9223372036854775808, \"j\": 18446744073709551615, \"k\": 2.2250738585072011e-308}",
        );
        same(
            "[0, 1, -1, 10, 1.0, -0.0, 0.0, 0.5, -0.5, 1e3, 1E3, 1e+3, 1e-3, 0e0, 0E5, -0e0, 0.0e-0]",
        );
        same(
            "[9223372036854775807, 9223372036854775808, 18446744073709551616, -9223372036854775808]",
        );
        same(
            "[1.7976931348623157e308, 4.9e-324, 2.2250738585072014e-308, 1e22, 1e23, 9007199254740993]",
        );
        same(
            "[100000000000000000000000000000000000000000000000000000000000000000000000000000000000]",
        );
        same("[3.141592653589793238462643383279, 0.1e1, 123.456e-7, -1E-2]");
    }

    #[test]
    fn refuses_what_it_cannot_prove_equal() {
        // Several values: the full parser refuses them, it gives the error.
        refused("{\"a\":1}\n{\"b\":2}");
        refused("{\"a\":1} {\"b\":2}");
        refused("[1]\n[2]");
        // Duplicate keys, also spelled differently.
        refused("{\"a\": 1, \"a\": 2}");
        refused("{\"a\": 1, \"\\u0061\": 2}");
        refused("{\"x\": {\"a\": [], \"b\": 0, \"a\": {}}}");
        // Numbers YAML and JSON read differently, or not at all.
        refused("[-0]");
        refused("{\"a\": -0}");
        refused("[1e400]");
        refused("[-1e400]");
        // Characters YAML does not allow in a stream, control characters.
        for c in ['\u{7f}', '\u{80}', '\u{85}', '\u{9f}', '\u{2028}', '\u{2029}', '\u{feff}'] {
            refused(&format!("{{\"a\": \"x{c}y\"}}"));
            refused(&format!("{{\"x{c}y\": 1}}"));
        }
        for c in ['\u{fffe}', '\u{ffff}', '\0', '\u{1}', '\t', '\n', '\r', '\u{1f}'] {
            refused(&format!("{{\"a\": \"x{c}y\"}}"));
        }
        refused("\u{feff}{\"a\": 1}");
        refused("{\"a\": 1}\u{feff}");
        refused("\u{a0}{\"a\": 1}");
        refused("{\"a\":\u{a0}1}");
        refused("\u{b}{\"a\": 1}");
        refused("\u{c}[1]");
        // Lone surrogates, bad escapes.
        refused(r#"["\ud83d"]"#);
        refused(r#"["\ud83dx"]"#);
        refused(r#"["\ud83d\u0041"]"#);
        refused(r#"["\ude00"]"#);
        refused(r#"["\x41"]"#);
        refused(r#"["\'"]"#);
        refused(r#"["\u12"]"#);
        refused(r#"["\u12G4"]"#);
        refused(r#"["\"#);
        // Keys: the `:` on a later line, or too far away.
        refused("{\"a\"\n: 1}");
        refused("{\"a\"\r\n: 1}");
        refused(&format!("{{\"{}\": 1}}", "k".repeat(1030)));
        refused(&format!("{{\"{}\"{}: 1}}", "k".repeat(900), " ".repeat(200)));
        // Too deep.
        refused(&("[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1)));
        refused(&("{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1)));
        // Not JSON.
        for text in [
            "",
            " ",
            "\n",
            "1",
            "\"s\"",
            "true",
            "null",
            "a: 1",
            "{",
            "[",
            "{\"a\": 1",
            "[1,",
            "{\"a\": 1,}",
            "[1,]",
            "[,]",
            "{,}",
            "{\"a\"}",
            "{\"a\":}",
            "{a: 1}",
            "{'a': 1}",
            "['a']",
            "[01]",
            "[1.]",
            "[.5]",
            "[+1]",
            "[1e]",
            "[1e+]",
            "[-]",
            "[0x1F]",
            "[1_000]",
            "[NaN]",
            "[Infinity]",
            "[tru]",
            "[truex]",
            "[nul]",
            "[True]",
            "[1 2]",
            "[1}",
            "{\"a\": 1]",
            "[1] x",
            "[1] # c",
            "{\"a\": 1} ---",
            "[\"a\"\"b\"]",
            "[\"a\" : 1]",
            "{\"a\" 1}",
            "{\"a\" :: 1}",
            "[1:2]",
            "[1,,2]",
            "[\"unclosed]",
            "[1]\u{0}",
            "{\"a\": [1, 2}",
            "[{]}",
            "--- [1]",
            "[1]\n---\n[2]",
            "[1]\n...\n",
        ] {
            refused(text);
        }
    }

    #[test]
    fn reads_up_to_its_depth_limit() {
        same(&("[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH)));
        same(&("{\"a\":".repeat(MAX_DEPTH) + "1" + &"}".repeat(MAX_DEPTH)));
        same(&("{\"a\":[".repeat(MAX_DEPTH / 2) + &"]}".repeat(MAX_DEPTH / 2)));
        const { assert!(MAX_DEPTH < yaml::MAX_DEPTH) };
    }

    #[test]
    fn long_keys_up_to_the_limit() {
        same(&format!("{{\"{}\": 1, \"b\": 2}}", "k".repeat(MAX_KEY_BYTES - 2)));
        same(&format!("{{\"{}\": 1}}", "é".repeat((MAX_KEY_BYTES - 2) / 2)));
        refused(&format!("{{\"{}\": 1}}", "k".repeat(MAX_KEY_BYTES - 1)));
    }

    #[test]
    fn paths_are_hashed_as_the_path_module_writes_them() {
        let mut r = Reader::new("");
        let of = |path: &str| PathHash::of(path).expect("a path");
        for parent in ["", "a", "a[0]", "b[\"x.y\"]", "a.b"] {
            for key in ["k", "", "a.b", "x[0]", "q\"", "ü", "with space", "a]", "\\", "\n\t"] {
                r.path = of(parent);
                assert_eq!(r.enter_key(key), of(parent));
                assert_eq!(r.path, of(&crate::path::key(parent, key)), "{parent} {key}");
            }
            for i in [0, 1, 9, 10, 99, 100, 12345, usize::MAX] {
                r.path = of(parent);
                assert_eq!(r.enter_index(i), of(parent));
                assert_eq!(r.path, of(&crate::path::index(parent, i)));
            }
        }
    }

    #[test]
    fn document_starts_where_the_value_starts() {
        let docs = read("\n\n   {\"a\": 1}").expect("read");
        assert_eq!((docs[0].line, docs[0].column), (3, 4));
        assert_eq!(docs[0].map.value("a"), Some((3, 10)));
        assert_eq!(docs[0].map.key("a"), Some((3, 5)));
        assert_eq!(docs[0].value, json!({"a": 1}));
    }

    #[test]
    fn invalid_json_keeps_todays_errors() {
        use crate::input::{Locate, parse_documents};
        for locate in [Locate::Documents, Locate::Everything] {
            let e = parse_documents("{\"a\": [1,\n", "x.json", locate).unwrap_err();
            assert_eq!(e.to_string(), "x.json:2: EOF while parsing a value");
            let e = parse_documents("{\"a\": \"x\\q\"}", "x.json", locate).unwrap_err();
            assert!(e.to_string().starts_with("x.json:1:"), "{e}");
        }
        let e = parse_documents("{\"a\": 1,\n \"a\": 2}", "x.json", Locate::Everything)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.json:2:2: ") && e.contains("duplicate"), "{e}");
        // A stream of values (which the fast reader leaves alone) is read
        // as one, located or not.
        for locate in [Locate::Documents, Locate::Everything] {
            let docs = parse_documents("{\"a\":1}\n{\"b\":2}", "x.json", locate).unwrap();
            assert_eq!(docs.iter().map(|d| d.at.line).collect::<Vec<_>>(), [1, 2]);
        }
    }

    #[test]
    fn parse_documents_reads_json_with_locations() {
        use crate::input::{Locate, parse_documents};
        let text = "{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [\n  {\"kind\": \"Pod\",\n   \"metadata\": {\"name\": \"p\"}}\n]}\n";
        assert!(read(text).is_some());
        let docs = parse_documents(text, "l.json", Locate::Everything).expect("parses");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].at.to_string(), "l.json:2:3");
        assert_eq!(docs[0].locate("metadata.name", false).to_string(), "l.json:3:25");
        assert_eq!(docs[0].locate("metadata.name", true).to_string(), "l.json:3:17");
    }

    fn corpus() -> Vec<std::path::PathBuf> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/manifests");
        assert!(
            std::path::Path::new(dir).is_dir(),
            "the manifest corpus is missing: {dir} (the shared fixtures are expected beside the checkout)"
        );
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = dirs.pop() {
            let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            for entry in entries {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn the_corpus_json_files_read_equal_or_are_refused() {
        let files = corpus();
        assert!(!files.is_empty(), "no JSON files in the corpus");
        let mut read_ok = Vec::new();
        for path in &files {
            let text = std::fs::read_to_string(path).expect("UTF-8 text");
            if same_or_refused(&text) {
                read_ok.push(path.display().to_string());
            }
        }
        for name in [
            "k8s-audit-logs-enabled-native__test-failed__apiserverpod.json",
            "kubesec/bug-dump-2.json",
        ] {
            assert!(read_ok.iter().any(|p| p.ends_with(name)), "{name} not read: {read_ok:?}");
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            "[a-z]{1,8}",
            "[a-zA-Z0-9./\\[\\]\" _-]{0,6}",
            any::<String>().prop_map(|s| s.chars().take(6).collect::<String>()),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            "[a-z ]{0,10}".prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn random_documents_read_equal_or_are_refused(v in arb_json(), pretty in any::<bool>()) {
            let v = match v {
                Value::Array(_) | Value::Object(_) => v,
                other => Value::Array(vec![other]),
            };
            let text = if pretty {
                serde_json::to_string_pretty(&v).expect("serialises")
            } else {
                serde_json::to_string(&v).expect("serialises")
            };
            let plain = !text.contains(['\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'])
                && !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{fffe}' || c == '\u{ffff}');
            let was_read = same_or_refused(&text);
            prop_assert!(was_read || !plain, "refused: {text:?}");
        }

        #[test]
        fn random_numbers_read_as_the_full_parser_reads_them(
            int in "-?(0|[1-9][0-9]{0,40})",
            frac in prop::option::of("[0-9]{1,20}"),
            exp in prop::option::of("[eE][+-]?[0-9]{1,3}"),
        ) {
            let mut n = int;
            if let Some(f) = frac {
                n = format!("{n}.{f}");
            }
            if let Some(e) = exp {
                n.push_str(&e);
            }
            let text = format!("[{n}, {{\"n\": {n}}}]");
            let refusable = n == "-0" || n.parse::<f64>().is_ok_and(|f| f.is_infinite());
            let was_read = same_or_refused(&text);
            prop_assert!(was_read || refusable, "refused: {text:?}");
        }
    }
}
