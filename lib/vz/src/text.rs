//! Text from the input made safe for an output: on one line, cut to a
//! width, escaped for XML or for GitHub-flavoured Markdown, or a path as
//! a URI reference for SARIF. Every report format of every tool escapes
//! through here, so a fix to one escape reaches them all.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` on one line: runs of white space (line breaks included) become one
/// space, and the ends are trimmed.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `max` characters of `s`: a longer text keeps its first `max - 1`
/// characters and ends with `…`.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) if max == 0 => Cow::Borrowed(""),
        Some(_) => {
            let mut out: String = s.chars().take(max - 1).collect();
            out.push('…');
            Cow::Owned(out)
        }
    }
}

/// Text for an XML attribute value: markup and quotes escaped, line breaks
/// and tabs as character references (a parser would turn them into
/// spaces), characters XML 1.0 cannot hold dropped.
pub fn xml_attr(s: &str) -> String {
    xml(s, true)
}

/// Text for XML element content: markup escaped, line breaks and tabs
/// kept, carriage returns as references (a parser would drop them),
/// characters XML 1.0 cannot hold dropped.
pub fn xml_text(s: &str) -> String {
    xml(s, false)
}

fn xml(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` on one line with everything that means something in a Markdown
/// table cell or to GitHub's HTML escaped: `\`, `|`, backticks, `*`, `[`,
/// `]`, and `&`, `<`, `>` as entities.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '\\' | '|' | '`' | '*' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell: `s` on one line, cut to `max` characters, then
/// [`md_escape`]d.
pub fn md_cell(s: &str, max: usize) -> String {
    md_escape(&cut(&one_line(s), max))
}

/// A Markdown code span of `s` on one line, cut to `max` characters, that
/// is safe in a table cell (GitHub reads `\|` inside a code span in a table
/// as `|`); empty for an empty text. Its fence is one backtick longer than
/// the longest run of backticks in the text, which therefore cannot close
/// it early.
pub fn md_code(s: &str, max: usize) -> String {
    let one = one_line(s);
    if one.is_empty() {
        return String::new();
    }
    let body = cut(&one, max).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space keeps a backtick at either end from joining the fence (one
    // space is stripped from each end of a code span).
    if body.starts_with('`') || body.ends_with('`') {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A path as a URI reference, as SARIF's `artifactLocation.uri` wants it.
/// A relative path stays relative (GitHub matches it against the
/// repository): `/` separators, no leading `./`, a `:` percent-encoded so
/// the first segment cannot read as a scheme. An absolute path (`/x`, or a
/// Windows drive `C:\x`) becomes a `file://` URI (RFC 8089). Everything but
/// unreserved characters, sub-delimiters, `@` and `/` is percent-encoded.
/// An empty path is `.`.
pub fn path_uri(path: &str) -> String {
    let p = path.trim().replace('\\', "/");
    let bytes = p.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    let (mut out, rest) = if p.starts_with('/') {
        ("file://".to_string(), p.as_str())
    } else if drive {
        ("file:///".to_string(), p.as_str())
    } else {
        let mut s = p.as_str();
        while let Some(rest) = s.strip_prefix("./") {
            s = rest;
        }
        (String::new(), s)
    };
    let absolute = !out.is_empty();
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) || (absolute && b == b':')
        {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if out.is_empty() { ".".to_string() } else { out }
}

/// GitHub's limit on a comment, in bytes.
pub const MD_COMMENT_LIMIT: usize = 65_536;

/// `text` when it is under `limit` bytes; otherwise its lines up to about
/// 200 bytes below the limit, then `… (NOTE)`. The last resort of a renderer
/// that first shortens its own lists.
pub fn md_fit(text: String, limit: usize, note: &str) -> String {
    if text.len() < limit {
        return text;
    }
    let mut end = limit.saturating_sub(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind('\n').map_or(end, |i| i + 1);
    format!("{}\n… ({note})\n", &text[..end])
}

/// Where `part`, a slice of `whole` (a document split from a stream, a
/// scalar in its text), starts in it.
pub fn offset_in(whole: &str, part: &str) -> usize {
    part.as_ptr().addr() - whole.as_ptr().addr()
}

/// The 1-based line and column (in characters) of byte `offset` of `text`
/// (an offset inside a character counts as that character's start).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineCounter::default().line_col(text, offset)
}

/// Lines and columns of increasing offsets of one text, each byte counted
/// once: a stream of thousands of documents is not rescanned from its start
/// for each.
#[derive(Debug, Default)]
pub struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    /// As [`line_col`], for an offset at or after the last one asked for.
    pub fn line_col(&mut self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len()).max(self.offset);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let bytes = &text.as_bytes()[self.offset..offset];
        // memchr counts four times as fast as `filter().count()`; the last
        // line start is found from the end, where it usually is.
        self.line += memchr::memchr_iter(b'\n', bytes).count();
        if let Some(i) = memchr::memrchr(b'\n', bytes) {
            self.line_start = self.offset + i + 1;
        }
        self.offset = offset;
        (self.line + 1, text[self.line_start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_counted_once_equal_those_counted_each_time() {
        let text = "ab\nçé\n\nx{\"k\": 1}\n  ü";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2)); // after `ç` (two bytes)
        assert_eq!(line_col(text, 6), (2, 2)); // inside `é`: its start
        assert_eq!(line_col(text, 9), (4, 1));
        assert_eq!(line_col(text, text.len()), (5, 4));
        let mut counter = LineCounter::default();
        for offset in 0..=text.len() + 2 {
            assert_eq!(counter.line_col(text, offset), line_col(text, offset), "at {offset}");
        }
    }

    #[test]
    fn fitting_cuts_at_a_line_end_and_says_so() {
        assert_eq!(md_fit("short\n".into(), 300, "cut"), "short\n");
        let long = "é line\n".repeat(100);
        let fitted = md_fit(long, 300, "cut to fit");
        assert!(fitted.len() < 300, "{}", fitted.len());
        assert!(fitted.ends_with("é line\n\n… (cut to fit)\n"), "{fitted}");
    }

    #[test]
    fn one_line_folds_white_space() {
        assert_eq!(one_line("  a\r\n b\tc  "), "a b c");
        assert_eq!(one_line(" \n "), "");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("ééééé", 4), "ééé…");
        assert_eq!(cut("", 0), "");
        assert_eq!(cut("abc", 0), "");
        assert!(matches!(cut("abc", 5), Cow::Borrowed("abc")));
    }

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(xml_attr("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml_attr("a\nb\tc\rd\u{1}\u{FFFF}e"), "a&#10;b&#9;c&#13;de");
        assert_eq!(xml_text("a<b>&\"c'"), "a&lt;b&gt;&amp;\"c'");
        assert_eq!(xml_text("a\nb\tc\rd\u{1}\u{FFFE}e ]]>"), "a\nb\tc&#13;de ]]&gt;");
    }

    #[test]
    fn markdown_cells_cannot_break_tables_or_inject_html() {
        assert_eq!(
            md_escape("a|b `c` <script>&\r\nd\\e *f* [g](h)"),
            "a\\|b \\`c\\` &lt;script&gt;&amp; d\\\\e \\*f\\* \\[g\\](h)"
        );
        assert_eq!(md_cell("a|b <script>\r\nc\n  d", 80), "a\\|b &lt;script&gt; c d");
        assert_eq!(md_cell(&"é".repeat(100), 80), format!("{}…", "é".repeat(79)));
    }

    #[test]
    fn code_spans_have_a_fence_no_run_inside_can_close() {
        assert_eq!(md_code("@acme/a|b", 80), "`@acme/a\\|b`");
        assert_eq!(md_code("a`b", 80), "``a`b``");
        assert_eq!(md_code("a``b", 80), "```a``b```");
        assert_eq!(md_code("```x`", 80), "```` ```x` ````");
        assert_eq!(md_code("`", 80), "`` ` ``");
        assert_eq!(md_code(" \n", 80), "");
        assert_eq!(md_code("abcdef\nghi", 4), "`abc…`");
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(path_uri("manifests.yaml"), "manifests.yaml");
        assert_eq!(path_uri("././k8s/a b%.yaml"), "k8s/a%20b%25.yaml");
        assert_eq!(path_uri("./a b/C:x.json"), "a%20b/C%3Ax.json");
        assert_eq!(path_uri("a:b.yaml"), "a%3Ab.yaml");
        assert_eq!(path_uri("../up/ü.yaml"), "../up/%C3%BC.yaml");
        assert_eq!(path_uri("/tmp/x y.yaml"), "file:///tmp/x%20y.yaml");
        assert_eq!(path_uri("/srv/a:b"), "file:///srv/a:b");
        assert_eq!(path_uri("\\src\\app\\package-lock.json"), "file:///src/app/package-lock.json");
        assert_eq!(path_uri("C:\\k8s\\x.yaml"), "file:///C:/k8s/x.yaml");
        assert_eq!(path_uri("./"), ".");
        assert_eq!(path_uri(" "), ".");
    }

    proptest::proptest! {
        #[test]
        fn cut_never_exceeds_its_width(s in "\\PC{0,40}", max in 0usize..30) {
            let c = cut(&s, max);
            proptest::prop_assert!(c.chars().count() <= max);
            if s.chars().count() <= max {
                proptest::prop_assert_eq!(c.as_ref(), s.as_str());
            }
        }

        #[test]
        fn a_code_span_is_closed_only_by_its_own_fence(s in "[a`| \n]{0,20}") {
            let code = md_code(&s, 80);
            if let Some(open) = code.find(|c| c != '`') {
                let fence = &code[..open];
                let close = code.len() - fence.len();
                proptest::prop_assert_eq!(&code[close..], fence);
                let inner = &code[open..close];
                proptest::prop_assert!(!inner.split(|c| c != '`').any(|run| run.len() == fence.len()));
            } else {
                proptest::prop_assert_eq!(code, "");
            }
        }

        #[test]
        fn xml_text_holds_no_markup(s in "\\PC{0,40}") {
            for escaped in [xml_text(&s), xml_attr(&s)] {
                proptest::prop_assert!(!escaped.contains(['<', '>']));
                proptest::prop_assert!(!escaped.contains('\r'));
            }
            proptest::prop_assert!(!xml_attr(&s).contains(['"', '\n', '\t']));
        }
    }
}
