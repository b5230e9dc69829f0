//! A fast path for writing YAML: the same bytes as [`crate::yaml::to_string`]
//! gives through the YAML library, or `None` for anything outside the
//! subset (the caller then uses the library).
//!
//! The library decides every scalar's style with general rules (YAML 1.1
//! booleans, numbers in every spelling, timestamps, folding long text) and
//! writes through `fmt`: about seven times slower than this writer on
//! rendered manifests, and the largest part of a small render. The subset
//! is what manifests are made of:
//! - mappings and sequences in block style, two spaces per level,
//!   sequences under a key at the key's column, `{}` and `[]` when empty;
//! - `null`, booleans, integers, floats from 1e-4 to 1e15 with up to 15
//!   significant digits, and zero;
//! - text whose style is beyond doubt: plain when it starts with a letter
//!   or `/` and nothing in it needs quoting, or starts with a digit and
//!   holds a character no number or timestamp has (`100Gi`, `25%`), or is
//!   a command-line flag (`-v`, `--port=80`); double-quoted when it
//!   is empty, reads as a number (`8080`, `1.0`), a boolean or null of YAML
//!   1.1 (`yes`, `n`, `True`), or holds `: `, ` #` or a trailing `:` or
//!   space; at most 80 bytes (longer text may be folded), printable ASCII;
//! - text over several lines as a literal block scalar (`|`, `|-`, `|+`,
//!   `|2`), when the library would.
//!
//! Anything else returns `None`: floats, other text (other leading
//! characters, control characters, non-ASCII on one line, keys with
//! anything but letters, digits and `-._/`), nesting deeper than
//! 64 levels. In debug builds, [`crate::yaml::to_string`] checks every
//! fast write against the library, so the whole test suite proves them
//! equal.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// The deepest nesting written here.
const MAX_DEPTH: usize = 64;

/// Single-line text longer than this may be folded by the library.
const MAX_LINE_TEXT: usize = 80;

/// Spaces per nesting level.
const STEP: usize = 2;

/// `doc` as YAML (one document, without `---`), if it is in the subset.
pub fn to_string(doc: &Value) -> Option<String> {
    let mut w = Writer { out: String::with_capacity(1024) };
    match doc {
        Value::Object(m) if !m.is_empty() => w.map(m, 0, false, 0)?,
        Value::Array(a) if !a.is_empty() => w.seq(a, 0, false, 0)?,
        _ => return None,
    }
    Some(w.out)
}

struct Writer {
    out: String,
}

impl Writer {
    fn indent(&mut self, column: usize) {
        const SPACES: &str = "                                                                ";
        let mut left = column;
        while left > 0 {
            let n = left.min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            left -= n;
        }
    }

    /// A mapping whose keys stand at `column`; `inline` when the first key
    /// goes on the current line (after `- `).
    fn map(
        &mut self,
        m: &Map<String, Value>,
        column: usize,
        inline: bool,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        for (i, (key, value)) in m.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(column);
            }
            self.text(key, key_style(key)?)?;
            self.out.push(':');
            match value {
                Value::Object(m) if !m.is_empty() => {
                    self.out.push('\n');
                    self.map(m, column + STEP, false, depth + 1)?;
                }
                Value::Array(a) if !a.is_empty() => {
                    self.out.push('\n');
                    self.seq(a, column, false, depth + 1)?;
                }
                scalar => {
                    self.out.push(' ');
                    self.scalar(scalar, column)?;
                }
            }
        }
        Some(())
    }

    /// A sequence whose dashes stand at `column`.
    fn seq(&mut self, a: &[Value], column: usize, inline: bool, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        for (i, item) in a.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(column);
            }
            self.out.push_str("- ");
            match item {
                Value::Object(m) if !m.is_empty() => self.map(m, column + STEP, true, depth + 1)?,
                Value::Array(a) if !a.is_empty() => self.seq(a, column + STEP, true, depth + 1)?,
                scalar => self.scalar(scalar, column)?,
            }
        }
        Some(())
    }

    /// A scalar or empty collection and its line end; a block scalar's
    /// lines are indented one step past `parent` (the column of the key or
    /// dash it belongs to).
    fn scalar(&mut self, v: &Value, parent: usize) -> Option<()> {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                let _ = write!(self.out, "{n}");
            }
            Value::Number(n) => self.float(n.as_f64()?)?,
            Value::String(s) if s.contains('\n') => return self.block(s, parent + STEP),
            Value::String(s) => self.text(s, value_style(s)?)?,
            Value::Object(_) => self.out.push_str("{}"),
            Value::Array(_) => self.out.push_str("[]"),
        }
        self.out.push('\n');
        Some(())
    }

    /// A float as the library writes it, when it is zero or has a
    /// decimal exponent of -4 to 14 and at most 15 significant digits: the
    /// shortest digits that read back to it, without an exponent, with `.0`
    /// for a whole number (the library writes others with an exponent, from
    /// about 1e-5 and 1e16).
    fn float(&mut self, f: f64) -> Option<()> {
        let magnitude = f.abs();
        if !(magnitude == 0.0 && f.is_sign_positive() || (1e-4..1e15).contains(&magnitude)) {
            return None;
        }
        let start = self.out.len();
        let _ = write!(self.out, "{f}");
        let written = &self.out[start..];
        let digits = written.bytes().filter(u8::is_ascii_digit).count();
        let leading = written.bytes().take_while(|c| matches!(c, b'-' | b'0' | b'.')).count();
        let leading_zeros = written[..leading].bytes().filter(|c| *c == b'0').count();
        // Up to 15 digits, the shortest digits are one string; from 16 on,
        // two writers may round a tie differently.
        if digits - leading_zeros > 15 {
            return None;
        }
        if !written.contains('.') {
            self.out.push_str(".0");
        }
        Some(())
    }

    fn text(&mut self, s: &str, style: Style) -> Option<()> {
        match style {
            Style::Plain => self.out.push_str(s),
            Style::Quoted => {
                self.out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => self.out.push_str("\\\""),
                        '\\' => self.out.push_str("\\\\"),
                        ' '..='~' => self.out.push(c),
                        _ => return None,
                    }
                }
                self.out.push('"');
            }
        }
        Some(())
    }

    /// Text over several lines as a literal block scalar whose lines stand
    /// at `body`, with the library's header: an indentation indicator when
    /// the first line with content starts with a space, the chomping
    /// indicator from the number of line breaks at the end.
    fn block(&mut self, s: &str, body: usize) -> Option<()> {
        if !s.chars().all(block_safe) {
            return None;
        }
        let content = s.trim_end_matches('\n');
        let breaks = s.len() - content.len();
        self.out.push('|');
        let first = content.split('\n').find(|l| !l.is_empty()).unwrap_or("");
        if first.starts_with(' ') {
            self.out.push(char::from(b'0' + STEP as u8));
        }
        match breaks {
            0 => self.out.push('-'),
            1 if !content.is_empty() => {}
            _ => self.out.push('+'),
        }
        self.out.push('\n');
        if content.is_empty() {
            self.out.extend(std::iter::repeat_n('\n', breaks));
            return Some(());
        }
        for line in content.split('\n') {
            if !line.is_empty() {
                self.indent(body);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
        self.out.extend(std::iter::repeat_n('\n', breaks.saturating_sub(1)));
        Some(())
    }
}

/// How a piece of text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
    Quoted,
}

/// What a block scalar may hold as it is: line breaks, tabs and printable
/// characters, but not a carriage return, NEL, the line and paragraph
/// separators or a byte-order mark.
fn block_safe(c: char) -> bool {
    matches!(c, '\n' | '\t' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Words a YAML 1.1 reader takes for a boolean, null or float, in any case.
const WORDS: [&str; 11] =
    ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf"];

fn is_word(s: &str) -> bool {
    s.len() <= 5 && WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
}

/// Whether text that starts with a digit holds a character that no number
/// (`1_000`, `0x1F`, `1.5e-3`, `1:30`) or timestamp (`2001-12-14t21:59:43.10Z`)
/// of YAML 1.1 has, which makes it text for every reader: `100Gi`, `25%`,
/// a checksum. (Underscores are dropped before a number is read, so
/// `0_x1F` is hexadecimal: text with one is left to the library.)
fn spelled_out(b: &[u8]) -> bool {
    let radix = matches!(b, [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..]);
    !radix
        && !b.contains(&b'_')
        && b.iter().any(|c| {
            !(c.is_ascii_digit()
                || matches!(c, b'.' | b'+' | b'-' | b':' | b',' | b' ' | b'e' | b'E')
                || matches!(c, b't' | b'T' | b'z' | b'Z'))
        })
}

/// Text that reads as a number: digits and dots (`8080`, `1.0`, `1.2.3`).
fn is_number(b: &[u8]) -> bool {
    b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
}

/// The style of text in a value's place, if beyond doubt.
fn value_style(s: &str) -> Option<Style> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Some(Style::Quoted);
    }
    // One pass: printable ASCII throughout, and a `: ` or ` #` in it.
    let mut breaks = false;
    for pair in b.windows(2) {
        if !(b' '..=b'~').contains(&pair[0]) {
            return None;
        }
        breaks |= matches!(pair, [b':', b' '] | [b' ', b'#']);
    }
    if b.len() > MAX_LINE_TEXT || !(b' '..=b'~').contains(&b[b.len() - 1]) {
        return None;
    }
    let ambiguous = match b {
        [b'0'..=b'9', ..] if is_number(b) => true,
        [b'0'..=b'9', ..] if spelled_out(b) => false,
        [b'a'..=b'z' | b'A'..=b'Z' | b'/', ..] => is_word(s),
        // `-x` and `--x` (command-line flags) are text, but `-inf` is a float.
        [b'-', c, ..] | [b'-', b'-', c, ..] if c.is_ascii_alphabetic() => {
            s.eq_ignore_ascii_case("-inf")
        }
        _ => return None,
    };
    let quoted = ambiguous || breaks || s.ends_with(':') || s.ends_with(' ');
    Some(if quoted { Style::Quoted } else { Style::Plain })
}

/// The style of a mapping key, if beyond doubt: keys of letters, digits
/// and `-._/` only.
fn key_style(s: &str) -> Option<Style> {
    let b = s.as_bytes();
    if !b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'/')) {
        return None;
    }
    match b {
        [] => Some(Style::Quoted),
        [b'0'..=b'9', ..] if is_number(b) => Some(Style::Quoted),
        [b'0'..=b'9', ..] if spelled_out(b) => Some(Style::Plain),
        [b'a'..=b'z' | b'A'..=b'Z' | b'/', ..] if is_word(s) => Some(Style::Quoted),
        [b'a'..=b'z' | b'A'..=b'Z' | b'/', ..] => Some(Style::Plain),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn library(v: &Value) -> String {
        crate::yaml::library_to_string(v).expect("the library writes every value")
    }

    #[test]
    fn manifests_are_written_as_the_library_writes_them() {
        let doc = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app", "labels": {"app.kubernetes.io/name": "app", "n": "yes"}},
            "data": {"app.json": "{\n  \"a\": 1\n}\n", "port": "8080", "version": "1.0", "empty": ""},
            "spec": {
                "replicas": 3,
                "limit": -5,
                "selector": {},
                "list": [],
                "containers": [{"name": "x", "args": ["--a", "b"], "resources": {"memory": "100Gi", "cpu": "500m"}}],
                "nested": [[1, [2, 3]], [], [{}], {"k": "v"}],
                "blocks": ["a\nb", "a\n\n", "\n", "  lead\nx", {"k": "x\ny\n"}],
                "flags": [true, false, null],
                "floats": [99.0, 0.5, -1.25, 0.0, 0.0001, 123456789.125, 1e14],
                "quoted": ["a: b", "a #b", "end:", "trail ", "say \"hi\" \\ now", "http://x:9090/p#f"],
            },
        });
        let fast = to_string(&doc).expect("in the subset");
        assert_eq!(fast, library(&doc));
    }

    #[test]
    fn outside_the_subset_is_none() {
        for v in [
            json!({"f": 1e15}),
            json!({"f": 0.00001}),
            json!({"f": -0.0}),
            json!({"f": -730087690414094.3}),
            json!({"s": "-1"}),
            json!({"s": "---"}),
            json!({"s": "x".repeat(81)}),
            json!({"s": "tab\there"}),
            json!({"s": "é"}),
            json!({"s": "a\rb\nc"}),
            json!({"a key": 1}),
            json!({"s": "1e5"}),
            json!({"s": "0x1F"}),
            json!({"s": "0b1"}),
            json!({"s": "1_0"}),
            json!({"s": "2001-12-14t21:59:43.10Z"}),
            json!("top-level text"),
            json!({}),
        ] {
            assert_eq!(to_string(&v), None, "{v}");
        }
    }

    /// Each rule's edge, one string at a time: in the subset, and written
    /// as the library writes it.
    #[test]
    fn every_rule_s_edge_is_the_library_s() {
        let cases = [
            "a", "-y", "-No", "-inf", "-Inf", "--x", "-x-", "-e", "y", "Y", "n", "NO", "On", "oFF",
            "Null", "TRUE", "nan", "Inf", "yes!", "/", "/a: b", "a:", "a:b", "a :", "a#b", "a #b",
            "a ", "a  b", "a\"b", "a\\b", "a'b", "a,b", "a[b]", "a{b}", "a*b", "a&b", "a!b", "a|b",
            "a>b", "a%b", "a@b", "a`b", "a?b", "0", "00", "1.0", "1.2.3", "1.", "100Gi", "1.5Gi",
            "500m", "25%", "1:30m", "2Gi.", "8c60bc9f", "1f", "12ab", "a\nb", "a\nb\n", "a\n\n",
            "\n", "\n\n", "  a\nb", "a\n  b", "\n  a", "a\n\tb", "\ta\nb", "a \nb ",
        ];
        for s in cases {
            let v = json!({"k": s, "l": [s, {"k": s}]});
            let fast = to_string(&v).unwrap_or_else(|| panic!("{s:?} is in the subset"));
            assert_eq!(fast, library(&v), "{s:?}");
        }
        for key in ["a", "y", "ON", "a.b/c-d_e", "0", "8080", "1.0", "100Gi", "", "/x"] {
            let v = json!({key: 1});
            let fast = to_string(&v).unwrap_or_else(|| panic!("key {key:?} is in the subset"));
            assert_eq!(fast, library(&v), "key {key:?}");
        }
    }

    /// Text built from pieces that exercise every rule above.
    fn text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "Z",
            "0",
            "9",
            "1.0",
            "e",
            "E",
            "x",
            "0x",
            "Gi",
            "m",
            "yes",
            "No",
            "ON",
            "null",
            "~",
            "-",
            ".",
            "_",
            "/",
            ":",
            ": ",
            " ",
            " #",
            "#",
            "\"",
            "\\",
            "'",
            ",",
            "[",
            "]",
            "{",
            "}",
            "*",
            "&",
            "!",
            "|",
            ">",
            "%",
            "@",
            "`",
            "?",
            "\n",
            "\t",
            "é",
            "\r",
            "---",
            "...",
            "<<",
            "=",
            "2024-01-01",
        ]);
        prop::collection::vec(pieces, 0..4).prop_map(|p| p.concat())
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(text(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn floats_are_the_library_s(f in prop_oneof![any::<f64>(), -1e16..1e16f64, -1.0..1.0f64, (0..100i64).prop_map(|n| n as f64 / 10.0)]) {
            let v = json!({"f": f, "l": [f]});
            if let Some(fast) = to_string(&v) {
                prop_assert_eq!(fast, library(&v));
            }
        }

        /// Whenever the fast path writes a value, it writes the library's bytes.
        #[test]
        fn the_fast_path_writes_what_the_library_writes(v in value()) {
            if let Some(fast) = to_string(&v) {
                prop_assert_eq!(fast, library(&v));
            }
        }

        #[test]
        fn plain_and_quoted_text_is_the_library_s(s in text()) {
            let v = json!({"k": s.clone(), s.clone(): [s]});
            if let Some(fast) = to_string(&v) {
                prop_assert_eq!(fast, library(&v));
            }
        }
    }
}
