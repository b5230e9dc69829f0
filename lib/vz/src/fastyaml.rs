//! A fast path for reading the YAML that manifests and rendered templates
//! are made of, with the same values and the same locations as
//! [`crate::yaml`] gives, or `None` for anything outside the subset (the
//! caller then uses the full parser).
//!
//! The full parser reads about 10 MB/s; a `kubectl get -o yaml` dump, a
//! `helm template` stream or a rendered template is nearly always block
//! YAML with short scalars, which this reader reads five to seven times
//! faster (about 50 MB/s, locations included). The subset:
//! - block mappings and sequences (indented or not under a key, `- key: v`
//!   items), comments on their own lines and after values, blank lines,
//!   `---` and `...` markers (with a comment after them), CRLF line ends, a
//!   leading byte-order mark;
//! - plain scalars whose type is beyond doubt (booleans and nulls of the
//!   YAML 1.2 core schema, decimal integers, `1.5`-style decimals, text no
//!   number parser reads), single- and double-quoted scalars (the common
//!   escapes), plain and quoted mapping keys that are text;
//! - plain and quoted scalars over several lines (controller-gen's
//!   descriptions, long commands), folded as YAML 1.2 folds them, whose
//!   lines after the first are more indented than the collection holding
//!   them: a plain one ends at a comment and is refused when a line of it
//!   holds `: ` or ends with `:`; a double-quoted one may escape its line
//!   breaks (`\` at the end of a line);
//! - literal and folded block scalars (`|`, `|-`, `|+`, `>`, `>-`, `>+`)
//!   with detected indentation (folded ones without more-indented lines);
//! - flow collections (`[a, "b"]`, `{"k": 1}`, JSON, a trailing `,`), on
//!   several lines too when they break only between entries and brackets,
//!   on lines indented at least as much as the collection holding them
//!   (comments and blank lines between), also as whole documents; and a
//!   scalar or flow collection on the line after its key or `-`.
//!
//! Anything else returns `None`: anchors, aliases, tags, directives, tabs,
//! scalars and flow collections going on over less indented lines (which
//! the full parser reads leniently), plain or quoted scalars over several
//! lines inside flow collections, a flow mapping's key, `:` and value on
//! different lines, complex keys, numbers in other spellings (`1e3`,
//! `0x1F`, `+1`, `.5`), duplicate keys, nesting deeper than 48, characters
//! YAML does not allow. The reader refuses rather than guesses, so an input
//! the full parser rejects gets its error, with its location, from the full
//! parser.
//!
//! In debug builds, [`crate::input`] checks every fast read against the full
//! parser, values and locations, so the whole test suite proves them equal.

pub mod write;

use crate::sourcemap::PathHash;
use crate::text::offset_in;
use crate::yaml::SourceMap;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The deepest nesting read here (and by [`crate::jsonloc`]); deeper
/// documents go to the full parser, which enforces [`crate::yaml::MAX_DEPTH`].
pub(crate) const MAX_DEPTH: usize = 48;

/// The most documents read here in one text (the full parser's budget).
const MAX_DOCUMENTS: usize = 100_000;

/// One document read by the fast path.
#[derive(Clone, Debug)]
pub struct Doc {
    /// The document.
    pub value: Value,
    /// The line (1-based) where the document's content starts: its first
    /// key or `-`, after any comments and blank lines.
    pub line: usize,
    /// The column (1-based) of that first key or `-`.
    pub column: usize,
    /// The line and column of every key and value, exactly as
    /// [`crate::yaml::parse_stream_located`] records them; empty unless
    /// asked for.
    pub map: SourceMap,
}

/// The documents of `text`, if it is in the subset; empty documents are
/// dropped, as the full parser does.
pub fn parse(text: &str) -> Option<Vec<Value>> {
    Some(read(text, false)?.into_iter().map(|d| d.value).collect())
}

/// The documents of `text` with where each starts, and with the location
/// of every key and value when `locate` is true; `None` outside the subset.
pub fn read(text: &str, locate: bool) -> Option<Vec<Doc>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        text,
        // At most one line per line break (and the last): made once at its
        // size rather than grown by doubling, which leaves each smaller
        // copy behind (1.8 MB of them for a 1 MB file).
        lines: Vec::with_capacity(memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1),
        i: 0,
        locate,
        depth: 0,
        path: PathHash::ROOT,
        flow_min: 0,
        places: Default::default(),
        blocks: Vec::new(),
        next_block: 0,
        pieces: Vec::new(),
    };
    let mut docs = Vec::new();
    let b = text.as_bytes();
    let (mut pos, mut no) = (0, 0);
    while pos < b.len() {
        // The line: its indentation, its end, and whether it holds anything
        // but printable ASCII.
        let indent = spaces(&b[pos..]);
        let (i, printable) = line_end(b, pos + indent);
        let odd = !printable;
        let next = (i + 1).min(b.len());
        let raw = &text[pos..i];
        // CRLF ends a line; a lone CR is a line break too, refused below.
        let raw = if i < b.len() { raw.strip_suffix('\r').unwrap_or(raw) } else { raw };
        no += 1;
        pos = next;
        let ascii = if odd { check_chars(raw)? } else { true };
        let content = &raw[indent.min(raw.len())..];
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            let rest = &content[3..];
            if !(rest.is_empty() || rest.starts_with(' ')) || !is_end(rest) {
                return None;
            }
            reader.document(&mut docs)?;
            continue;
        }
        if indent == 0 && content.starts_with('%') {
            return None;
        }
        let end = if ascii { raw.len() } else { raw.chars().count() } + 1;
        let text = content.trim_spaces_end();
        reader.lines.push(Line { no, indent, text, end, next, ascii });
        // A block scalar is read here, in the one pass over its lines (a
        // dashboard in a ConfigMap is thousands of them), and taken by the
        // reader when it meets its header.
        if let Some((off, parent)) = block_start(text, indent) {
            let (chomp, _) = chomp(&text[off..]);
            let block = scan_block(
                reader.text,
                next,
                no,
                text[off..].starts_with('>'),
                chomp,
                parent,
                &mut reader.pieces,
            )?;
            let header = offset_in(reader.text, &text[off..]);
            reader.blocks.push(PreBlock { header, parent, value: block.value, at: block.at });
            (pos, no) = (block.end, block.last);
        }
    }
    reader.document(&mut docs)?;
    Some(docs)
}

/// Trimming spaces (only spaces: tabs are refused before) byte by byte;
/// `trim_start_matches(' ')` decodes every character it looks at.
trait TrimSpaces {
    fn trim_spaces_start(&self) -> &str;
    fn trim_spaces_end(&self) -> &str;
}

impl TrimSpaces for str {
    fn trim_spaces_start(&self) -> &str {
        &self[spaces(self.as_bytes())..]
    }

    fn trim_spaces_end(&self) -> &str {
        let n = self.bytes().rev().take_while(|&b| b == b' ').count();
        &self[..self.len() - n]
    }
}

/// How many spaces `b` starts with, compared eight at a time: indentation
/// is most of a manifest's bytes (a dashboard in a ConfigMap is indented 20
/// spaces and more), and a byte at a time was a tenth of reading one.
pub(crate) fn spaces(b: &[u8]) -> usize {
    let mut n = 0;
    while let Some(word) = b.get(n..).and_then(<[u8]>::first_chunk::<8>) {
        let other = u64::from_le_bytes(*word) ^ u64::from_le_bytes([b' '; 8]);
        if other != 0 {
            // The first byte that is not a space is the lowest one set.
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + b[n..].iter().take_while(|&&c| c == b' ').count()
}

/// Where the line break ending the line that goes on at `from` is (the
/// text's length when it has none), and whether everything before it is
/// printable ASCII. Most lines are short and printable: eight bytes at a
/// time to the first byte that is not (then to the line break from there
/// with `memchr`), which costs a short line a fraction of a `memchr` call's
/// set-up, and tells whether the line needs a closer look at once.
fn line_end(b: &[u8], from: usize) -> (usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(word) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*word);
        // Bytes below 0x20, from 0x80 and 0x7f: exact at the lowest one
        // (a borrow only marks bytes above the one that caused it).
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let del = w ^ (ONES * 0x7f);
        let unprintable = control | (w & HIGH) | (del.wrapping_sub(ONES) & !del & HIGH);
        if unprintable != 0 {
            i += (unprintable.trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    // The first byte that is not printable, in the last few if not yet.
    i += b.get(i..).unwrap_or_default().iter().take_while(|&&c| (0x20..0x7f).contains(&c)).count();
    match b.get(i) {
        None => (b.len(), true),
        Some(b'\n') => (i, true),
        Some(_) => (memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k), false),
    }
}

/// Whether `raw` (one line, without its line break) is ASCII; `None` when
/// it holds a character this reader leaves to the full parser (tabs,
/// control characters, C1 controls, NEL, line separators, byte-order marks).
fn check_chars(raw: &str) -> Option<bool> {
    if raw.bytes().fold(false, |bad, b| bad | (b < 0x20) | (b == 0x7f)) {
        return None;
    }
    if raw.is_ascii() {
        return Some(true);
    }
    let odd = |c: char| {
        matches!(
            c,
            '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    };
    (!raw.chars().any(odd)).then_some(false)
}

/// A line with content (not blank, not only a comment).
#[derive(Clone, Copy)]
struct Line<'a> {
    /// Line number, 1-based.
    no: usize,
    /// Spaces before `text`.
    indent: usize,
    /// The content, trailing spaces trimmed.
    text: &'a str,
    /// The column just past the line's last character (trailing spaces
    /// and comments included).
    end: usize,
    /// Where the next line starts in the stream.
    next: usize,
    /// Whether the line is ASCII (columns are byte offsets).
    ascii: bool,
}

impl Line<'_> {
    /// The column (1-based, in characters) of byte `off` of `text`.
    fn col(&self, off: usize) -> usize {
        let before = if self.ascii { off } else { self.text[..off].chars().count() };
        self.indent + before + 1
    }
}

type At = (usize, usize);

struct Reader<'a> {
    text: &'a str,
    /// The content lines of the current document.
    lines: Vec<Line<'a>>,
    /// The next line to read.
    i: usize,
    locate: bool,
    depth: usize,
    /// The path of the node being read (when locating).
    path: PathHash,
    /// The least indentation of the lines a flow collection goes on over.
    flow_min: usize,
    /// The places of the values and keys of the current document (when
    /// locating).
    places: crate::sourcemap::Builder,
    /// The block scalars of the current document, read with its lines, in
    /// order: each is taken by [`Reader::block_scalar`] at its header, or
    /// the document is refused.
    blocks: Vec<PreBlock>,
    /// The next of `blocks` to be taken.
    next_block: usize,
    /// Room for the pieces of a block scalar's text while it is read.
    pieces: Vec<(Sep, &'a str)>,
}

/// A block scalar read ahead, with its lines (which the reader then never
/// sees).
struct PreBlock {
    /// The byte of the text where its header (`|` or `>`) is.
    header: usize,
    /// The indentation of the collection holding it, as the first pass
    /// tells it from the header's line (the reader finds the same, and
    /// refuses the document if not).
    parent: usize,
    value: String,
    /// Where the parser stands for its value.
    at: At,
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// `rest` (what follows a value or an indicator) is nothing or a comment.
fn is_end(rest: &str) -> bool {
    let trimmed = rest.trim_spaces_start();
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

impl<'a> Reader<'a> {
    /// Reads the document whose lines are gathered, if any.
    fn document(&mut self, docs: &mut Vec<Doc>) -> Option<()> {
        let Some(&first) = self.lines.first() else {
            return Some(());
        };
        if docs.len() == MAX_DOCUMENTS {
            return None;
        }
        self.i = 0;
        self.depth = 0;
        self.path = PathHash::ROOT;
        let value = if is_item(first.text) {
            self.sequence_node(first)?
        } else if first.text.starts_with(['[', '{']) {
            // A flow collection, on as many lines as it takes.
            self.i = 1;
            self.flow_min = 0;
            let mut last = first;
            let (value, end) = self.flow(&mut last, 0)?;
            if !is_end(&last.text[end..]) {
                return None;
            }
            value
        } else {
            self.mapping_node(first, None)?
        };
        // Every line read, and every block scalar read ahead taken where
        // the reader met its header.
        if self.i != self.lines.len() || self.next_block != self.blocks.len() {
            return None;
        }
        self.lines.clear();
        self.blocks.clear();
        self.next_block = 0;
        let map = self.places.finish();
        docs.push(Doc { value, line: first.no, column: first.indent + 1, map });
        Some(())
    }

    /// Goes down to `key` of the mapping (when locating); returns the path
    /// to go back to.
    fn enter_key(&mut self, key: &str) -> PathHash {
        let parent = self.path;
        if self.locate {
            self.path = parent.key(key);
        }
        parent
    }

    /// Goes down to item `i` of the list (when locating).
    fn enter_index(&mut self, i: usize) -> PathHash {
        let parent = self.path;
        if self.locate {
            self.path = parent.index(i);
        }
        parent
    }

    fn leave(&mut self, parent: PathHash) {
        self.path = parent;
    }

    fn value_at(&mut self, at: At) {
        if self.locate {
            self.places.value(self.path, at);
        }
    }

    fn key_at(&mut self, at: At) {
        if self.locate {
            self.places.key(self.path, at);
        }
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping whose first key is on `line` (the current line);
    /// `first` is that line split at its key, when the caller has split it.
    fn mapping_node(&mut self, line: Line<'a>, first: Option<Key<'a>>) -> Option<Value> {
        self.deeper()?;
        self.value_at((line.no, line.col(0)));
        let value = self.mapping(line.indent, first)?;
        self.depth -= 1;
        Some(value)
    }

    /// A block sequence whose first `-` is on `line` (the current line).
    fn sequence_node(&mut self, line: Line<'a>) -> Option<Value> {
        self.deeper()?;
        self.value_at((line.no, line.col(0)));
        let value = self.sequence(line.indent, false)?;
        self.depth -= 1;
        Some(value)
    }

    /// The node on the current line, more indented than its parent's key
    /// or `-` (the collection holding it is at indentation `parent`): a
    /// block collection, or a scalar or flow collection alone on its line.
    fn nested(&mut self, parent: usize) -> Option<Value> {
        let line = self.lines[self.i];
        if is_item(line.text) {
            self.sequence_node(line)
        } else if let Some(first) = split_key(line.text) {
            self.mapping_node(line, Some(first))
        } else if line.text.starts_with(['|', '>']) {
            None
        } else {
            self.i += 1;
            self.scalar_or_flow(line, 0, parent)
        }
    }

    fn mapping(&mut self, indent: usize, mut first: Option<Key<'a>>) -> Option<Value> {
        let mut map = Map::new();
        while let Some(&line) = self.lines.get(self.i) {
            if line.indent < indent || (line.indent == indent && is_item(line.text)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let (key, colon) = match first.take() {
                Some(split) => split,
                None => split_key(line.text)?,
            };
            self.i += 1;
            let parent = self.enter_key(&key);
            self.key_at((line.no, line.col(0)));
            let rest = &line.text[colon + 1..];
            let value = if is_end(rest) {
                match self.lines.get(self.i) {
                    Some(next) if next.indent > indent => self.nested(indent)?,
                    Some(next) if next.indent == indent && is_item(next.text) => {
                        // `-` lined up with the keys: the sequence stands
                        // where its first item does.
                        self.deeper()?;
                        let value = self.sequence(indent, true)?;
                        self.depth -= 1;
                        value
                    }
                    _ => {
                        self.value_at((line.no, line.col(colon)));
                        Value::Null
                    }
                }
            } else {
                let off = line.text.len() - rest.trim_spaces_start().len();
                self.scalar_or_flow(line, off, indent)?
            };
            self.leave(parent);
            if map.insert(key.into_owned(), value).is_some() {
                return None;
            }
        }
        Some(Value::Object(map))
    }

    /// The items of a block sequence at `indent`; an `indentless` one (a
    /// mapping value whose `-` line up with the keys) records its own
    /// location, its first item's.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(&line) = self.lines.get(self.i) {
            if line.indent != indent || !is_item(line.text) {
                if line.indent > indent {
                    return None;
                }
                break;
            }
            let rest = line.text[1..].trim_spaces_start();
            let off = line.text.len() - rest.len();
            let empty = rest.is_empty() || rest.starts_with('#');
            // Where the parser stands after `-`, the spaces and any comment.
            let mark = if empty { (line.no, line.end) } else { (line.no, line.col(off)) };
            if indentless && items.is_empty() {
                self.value_at(mark);
            }
            let parent = self.enter_index(items.len());
            let item = if empty {
                self.i += 1;
                match self.lines.get(self.i) {
                    Some(next) if next.indent > indent => self.nested(indent)?,
                    _ => {
                        self.value_at(mark);
                        Value::Null
                    }
                }
            } else if is_item(rest) {
                return None;
            } else if let Some(first) = split_key(rest) {
                // `- key: value` opens a mapping whose keys line up with `key`.
                let inner = Line { indent: indent + off, text: rest, ..line };
                self.lines[self.i] = inner;
                self.mapping_node(inner, Some(first))?
            } else {
                self.i += 1;
                let inner = Line { indent: indent + off, text: rest, ..line };
                self.scalar_or_flow(inner, 0, indent)?
            };
            self.leave(parent);
            items.push(item);
        }
        Some(Value::Array(items))
    }

    /// The value at byte `off` of `line` (already consumed): a block scalar,
    /// a flow collection or a scalar, plain or quoted ones perhaps continued
    /// on the lines after it. `parent` is the indentation of the collection
    /// holding it.
    fn scalar_or_flow(&mut self, line: Line<'a>, off: usize, parent: usize) -> Option<Value> {
        let s = &line.text[off..];
        match s.as_bytes()[0] {
            b'|' | b'>' => self.block_scalar(line, off, parent),
            b'[' | b'{' => {
                self.flow_min = parent;
                let mut last = line;
                let (value, end) = self.flow(&mut last, off)?;
                is_end(&last.text[end..]).then_some(value)
            }
            b'"' | b'\'' => match self.flow(&mut { line }, off) {
                Some((value, end)) => is_end(&line.text[end..]).then_some(value),
                // Not closed on its line (or not in the subset, which the
                // multi-line reader refuses too).
                None => self.quoted_lines(line, off, parent),
            },
            _ => {
                let (text, comment) = match comment_start(s) {
                    Some(p) => (s[..p].trim_spaces_end(), true),
                    None => (s, false),
                };
                if !plain_start(text) || has_mapping_colon(text) {
                    return None;
                }
                // A more indented line after it continues it (or is an
                // error); a comment ends it.
                let more = !comment && self.lines.get(self.i).is_some_and(|l| l.indent > parent);
                let value = match more.then(|| self.plain_lines(line, text, parent)) {
                    Some(Some((folded, last))) if last > line.no => {
                        self.skip_through(last);
                        match classify(&folded)? {
                            Plain::Text => Value::String(folded),
                            Plain::Typed(_) => return None,
                        }
                    }
                    Some(None) => return None,
                    _ => plain(text)?,
                };
                self.value_at((line.no, line.col(off)));
                Some(value)
            }
        }
    }

    /// Consumes the content lines up to line number `last`.
    fn skip_through(&mut self, last: usize) {
        while self.lines.get(self.i).is_some_and(|l| l.no <= last) {
            self.i += 1;
        }
    }

    /// A plain scalar whose first line (`first`, with no comment after it)
    /// is `line`, folded with the lines after it that continue it: those
    /// more indented than `parent`, up to a comment. The text and the number
    /// of its last line; `None` for a continuation line the reader leaves to
    /// the full parser (one holding `: ` or ending with `:`: a key, or an
    /// error).
    fn plain_lines(&self, line: Line<'a>, first: &str, parent: usize) -> Option<(String, usize)> {
        let text = self.text;
        let mut out = String::from(first);
        let (mut pos, mut no, mut last, mut empty) = (line.next, line.no, line.no, 0);
        while pos < text.len() {
            let (raw, next) = raw_line(text, pos);
            pos = next;
            no += 1;
            let content = raw.trim_spaces_start();
            if content.is_empty() {
                empty += 1;
                continue;
            }
            // Less indented (a document marker too), or a comment: the
            // scalar has ended.
            if raw.len() - content.len() <= parent || content.starts_with('#') {
                break;
            }
            let (part, comment) = match comment_start(content) {
                Some(p) => (&content[..p], true),
                None => (content, false),
            };
            let part = part.trim_spaces_end();
            if has_mapping_colon(part) {
                return None;
            }
            fold(&mut out, empty);
            empty = 0;
            out.push_str(part);
            last = no;
            if comment {
                break;
            }
        }
        Some((out, last))
    }

    /// A single- or double-quoted scalar opening at byte `off` of `line` and
    /// closing on a later line; its lines after the first are more indented
    /// than `parent`, and nothing but a comment follows it.
    fn quoted_lines(&mut self, line: Line<'a>, off: usize, parent: usize) -> Option<Value> {
        let text = self.text;
        let double = line.text.as_bytes()[off] == b'"';
        // Where the scalar's content starts in the stream.
        let mut pos = line.text.as_ptr() as usize - text.as_ptr() as usize + off + 1;
        let mut no = line.no;
        let mut out = String::new();
        loop {
            let (raw, next) = raw_line(text, pos);
            let (end, escaped) = match quoted_part(raw, double, &mut out)? {
                Part::Closed(end) => {
                    if !is_end(&raw[end..]) {
                        return None;
                    }
                    break;
                }
                Part::Open { escaped } => (next, escaped),
            };
            // The empty lines after it and the next one with content.
            pos = end;
            let mut empty = 0;
            loop {
                if pos >= text.len() {
                    return None;
                }
                let (raw, next) = raw_line(text, pos);
                no += 1;
                let content = raw.trim_spaces_start();
                if !content.is_empty() {
                    let spaces = raw.len() - content.len();
                    if spaces <= parent {
                        return None;
                    }
                    pos += spaces;
                    break;
                }
                empty += 1;
                pos = next;
            }
            if escaped {
                // An escaped line break adds nothing; empty lines are kept.
                newlines(&mut out, empty);
            } else {
                fold(&mut out, empty);
            }
        }
        self.skip_through(no);
        self.value_at((line.no, line.col(off)));
        Some(Value::String(out))
    }

    /// A flow node at byte `off` of `line`: the value and the offset after
    /// it. A flow collection may go on over the lines after `line` (which
    /// then becomes the line it ends on), breaking lines only between its
    /// entries and its brackets, on lines indented at least `flow_min`.
    fn flow(&mut self, line: &mut Line<'a>, off: usize) -> Option<(Value, usize)> {
        let at = (line.no, line.col(off));
        let (value, end) = match *line.text.as_bytes().get(off)? {
            b'"' => {
                let (s, end) = double_quoted(line.text, off)?;
                (Value::String(s.into_owned()), end)
            }
            b'\'' => {
                let (s, end) = single_quoted(line.text, off)?;
                (Value::String(s.into_owned()), end)
            }
            b'[' => {
                self.deeper()?;
                let mut items = Vec::new();
                let mut i = self.flow_skip(line, off + 1)?;
                loop {
                    // `]` may follow `[` or the `,` after an item.
                    if line.text.as_bytes()[i] == b']' {
                        break i += 1;
                    }
                    let parent = self.enter_index(items.len());
                    let (v, end) = self.flow(line, i)?;
                    self.leave(parent);
                    items.push(v);
                    i = self.flow_skip(line, end)?;
                    match line.text.as_bytes()[i] {
                        b',' => i = self.flow_skip(line, i + 1)?,
                        b']' => break i += 1,
                        _ => return None,
                    }
                }
                self.depth -= 1;
                (Value::Array(items), i)
            }
            b'{' => {
                self.deeper()?;
                let mut map = Map::new();
                let mut i = self.flow_skip(line, off + 1)?;
                loop {
                    // `}` may follow `{` or the `,` after an entry.
                    if line.text.as_bytes()[i] == b'}' {
                        break i += 1;
                    }
                    // The key, its `:` and the value's start stand on one line.
                    let (t, b) = (line.text, line.text.as_bytes());
                    let key_at = (line.no, line.col(i));
                    let (key, end, quoted) = match b[i] {
                        b'"' => double_quoted(t, i).map(|(k, e)| (k, e, true))?,
                        b'\'' => single_quoted(t, i).map(|(k, e)| (k, e, true))?,
                        _ => {
                            let (k, e) = flow_plain(t, i, true)?;
                            match classify(k)? {
                                Plain::Text => (Cow::Borrowed(k), e, false),
                                Plain::Typed(_) => return None,
                            }
                        }
                    };
                    i = skip_spaces(b, end);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i += 1;
                    if !quoted && b.get(i) != Some(&b' ') {
                        return None;
                    }
                    i = skip_spaces(b, i);
                    if matches!(b.get(i), None | Some(b',' | b'}' | b'#')) {
                        return None;
                    }
                    let parent = self.enter_key(&key);
                    self.key_at(key_at);
                    let (v, end) = self.flow(line, i)?;
                    self.leave(parent);
                    if map.insert(key.into_owned(), v).is_some() {
                        return None;
                    }
                    i = self.flow_skip(line, end)?;
                    match line.text.as_bytes()[i] {
                        b',' => i = self.flow_skip(line, i + 1)?,
                        b'}' => break i += 1,
                        _ => return None,
                    }
                }
                self.depth -= 1;
                (Value::Object(map), i)
            }
            _ => {
                let (s, end) = flow_plain(line.text, off, false)?;
                (plain(s)?, end)
            }
        };
        self.value_at(at);
        Some((value, end))
    }

    /// Inside a flow collection: the offset of the next token from byte `i`
    /// of `line`, past spaces and, where a line ends (or a comment starts),
    /// past the line break to the next content line, which `line` becomes.
    /// `None` at the end of the document or at a line indented less than
    /// `flow_min`.
    fn flow_skip(&mut self, line: &mut Line<'a>, mut i: usize) -> Option<usize> {
        loop {
            let b = line.text.as_bytes();
            i = skip_spaces(b, i);
            match b.get(i) {
                Some(b'#') if i == 0 || b[i - 1] == b' ' => {}
                Some(_) => return Some(i),
                None => {}
            }
            let next = *self.lines.get(self.i)?;
            if next.indent < self.flow_min {
                return None;
            }
            self.i += 1;
            *line = next;
            i = 0;
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar whose header is at byte
    /// `off` of `line`, its content on the lines after it, more indented
    /// than `parent`.
    fn block_scalar(&mut self, line: Line<'a>, off: usize, parent: usize) -> Option<Value> {
        let header = &line.text[off..];
        let (chomp, rest) = chomp(header);
        if !is_end(rest) {
            return None;
        }
        let at = offset_in(self.text, header);
        if let Some(block) = self.blocks.get_mut(self.next_block)
            && block.header <= at
        {
            // Read with its lines: the same header, in the same collection
            // (one passed over is refused).
            if block.header != at || block.parent != parent {
                return None;
            }
            self.next_block += 1;
            let (value, at) = (std::mem::take(&mut block.value), block.at);
            self.value_at(at);
            return Some(Value::String(value));
        }
        // One the first pass did not recognise (a comment after its header):
        // its lines were gathered as content lines, and are passed over,
        // with the scalars read ahead from headers in its text.
        let folded = header.starts_with('>');
        let block =
            scan_block(self.text, line.next, line.no, folded, chomp, parent, &mut self.pieces)?;
        self.skip_through(block.last);
        while self.blocks.get(self.next_block).is_some_and(|b| b.header < block.end) {
            self.next_block += 1;
        }
        self.value_at(block.at);
        Some(Value::String(block.value))
    }
}

/// The chomping a block scalar's header asks for, and what follows it.
fn chomp(header: &str) -> (Chomp, &str) {
    match header.as_bytes().get(1) {
        Some(b'-') => (Chomp::Strip, &header[2..]),
        Some(b'+') => (Chomp::Keep, &header[2..]),
        _ => (Chomp::Clip, &header[1..]),
    }
}

/// Where a block scalar's header is in `text` (a content line indented
/// `indent`, trailing spaces trimmed) and the indentation of the collection
/// holding it, when the line is `key: |` or `- |` (or `- key: |`) with
/// nothing after the header; `None` for any other line. A guess the reader
/// checks: it takes the scalar only at this header and in a collection so
/// indented, else refuses the document.
fn block_start(text: &str, indent: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let off = match b {
        [.., b'|' | b'>'] => b.len() - 1,
        [.., b'|' | b'>', b'-' | b'+'] => b.len() - 2,
        _ => return None,
    };
    let before = text[..off].trim_spaces_end();
    if before.len() == off {
        // `key:|`, `a|`, or the header alone on its line.
        return None;
    }
    // One `- ` item at most: the reader refuses `- - |`.
    let (column, rest) = match before.strip_prefix('-') {
        Some("") => return Some((off, indent)),
        Some(rest) if rest.starts_with(' ') => {
            let rest = rest.trim_spaces_start();
            (indent + before.len() - rest.len(), rest)
        }
        _ => (indent, before),
    };
    (rest.len() > 1 && rest.ends_with(':') && !rest.starts_with("- ")).then_some((off, column))
}

/// What goes before a piece of a block scalar's text.
#[derive(Clone, Copy)]
enum Sep {
    /// This many line feeds.
    Lines(usize),
    /// A space (a folded line break).
    Space,
}

/// A block scalar read from its lines.
struct Block {
    value: String,
    /// Where the parser stands for its value.
    at: At,
    /// The byte where the line after it starts.
    end: usize,
    /// The number of its last line (or its header's).
    last: usize,
}

/// Reads the block scalar whose header ends line `no` (`folded` for `>`),
/// from byte `pos` where the next line starts: its lines are those more
/// indented than `parent` (and blank ones). Each line is checked as the
/// first pass checks the lines it keeps; `None` for one the reader leaves
/// to the full parser, and for the forms of indentation it does not read
/// (more indented leading blank lines, more indented lines in a folded
/// scalar, an empty scalar at the end of the text). `pieces` is room for
/// the scalar's pieces, so that its text is made once at its size.
fn scan_block<'a>(
    text: &'a str,
    mut pos: usize,
    mut no: usize,
    folded: bool,
    chomp: Chomp,
    parent: usize,
    pieces: &mut Vec<(Sep, &'a str)>,
) -> Option<Block> {
    let b = text.as_bytes();
    pieces.clear();
    // The content's indentation, from its first non-blank line.
    let mut indent: Option<usize> = None;
    let (mut leading, mut leading_max, mut blanks) = (0, 0, 0);
    let mut at = None;
    let mut end = b.len();
    while pos < b.len() {
        let start = pos;
        let spaces = spaces(&b[pos..]);
        let (i, printable) = line_end(b, pos + spaces);
        let broken = i < b.len();
        let raw = &text[pos..i];
        // CRLF ends a line; a lone CR is refused, as the first pass does.
        let raw = if broken { raw.strip_suffix('\r').unwrap_or(raw) } else { raw };
        if !printable {
            check_chars(raw)?;
        }
        no += 1;
        pos = (i + 1).min(b.len());
        let spaces = spaces.min(raw.len());
        if raw.len() == spaces {
            match indent {
                // Spaces beyond the indentation are content.
                Some(n) if spaces > n => return None,
                // A last line of spaces with no line break adds nothing.
                _ if !broken => break,
                None => {
                    leading += 1;
                    leading_max = leading_max.max(spaces);
                }
                Some(_) => blanks += 1,
            }
            continue;
        }
        let (sep, n) = match indent {
            None if spaces <= parent => {
                // No content: the scalar ends where this line starts.
                at = Some((no, spaces + 1));
                blanks = leading;
                (end, no) = (start, no - 1);
                break;
            }
            None => {
                if leading_max > spaces {
                    return None;
                }
                indent = Some(spaces);
                at = Some((no, spaces + 1));
                (Sep::Lines(leading), spaces)
            }
            Some(n) if spaces < n => {
                (end, no) = (start, no - 1);
                break;
            }
            Some(n) => {
                if folded && spaces > n {
                    return None;
                }
                let sep = if folded && blanks == 0 {
                    Sep::Space
                } else {
                    Sep::Lines(if folded { blanks } else { blanks + 1 })
                };
                blanks = 0;
                (sep, n)
            }
        };
        pieces.push((sep, &raw[n..]));
    }
    // An empty scalar at the end of the text stands somewhere else.
    let at = at?;
    let breaks = match (indent, chomp) {
        (_, Chomp::Strip) | (None, Chomp::Clip) => 0,
        (Some(_), Chomp::Clip) => 1,
        (Some(_), Chomp::Keep) => blanks + 1,
        (None, Chomp::Keep) => blanks,
    };
    let size = |sep: &Sep| match *sep {
        Sep::Lines(n) => n,
        Sep::Space => 1,
    };
    let len = pieces.iter().map(|(sep, piece)| size(sep) + piece.len()).sum::<usize>() + breaks;
    let mut value = String::with_capacity(block_room(len));
    for &(sep, piece) in pieces.iter() {
        match sep {
            Sep::Lines(n) => newlines(&mut value, n),
            Sep::Space => value.push(' '),
        }
        value.push_str(piece);
    }
    newlines(&mut value, breaks);
    Some(Block { value, at, end, last: no })
}

/// The room made for a block scalar of `len` bytes: a long one (a dashboard
/// in a ConfigMap) gets the next power of two. The allocator keeps blocks
/// of each size class on pages of their own, and a list of dashboards comes
/// in dozens of sizes: each took a page of its own, most of it left empty
/// (yet zeroed as part of a 2 MB huge page). In four classes they share a
/// few: on vz-comply's corpus 1.7 MiB less memory and 0.4 ms less time.
fn block_room(len: usize) -> usize {
    const LONG: usize = 8 << 10;
    if len > LONG { len.next_power_of_two() } else { len }
}

/// Appends `n` line feeds (`extend` with `repeat_n` goes through `char`s).
fn newlines(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push('\n');
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// The line starting at byte `pos` of `text` (without its line break) and
/// where the next one starts.
fn raw_line(text: &str, pos: usize) -> (&str, usize) {
    let (raw, next) = match memchr::memchr(b'\n', &text.as_bytes()[pos..]) {
        Some(e) => (&text[pos..pos + e], pos + e + 1),
        None => (&text[pos..], text.len()),
    };
    (raw.strip_suffix('\r').unwrap_or(raw), next)
}

/// Folds a line break between two lines of a flow scalar with `empty`
/// empty lines between them: a space, or a line feed for each empty line.
fn fold(out: &mut String, empty: usize) {
    if empty == 0 {
        out.push(' ');
    } else {
        newlines(out, empty);
    }
}

/// How one line of a quoted scalar ends.
enum Part {
    /// At the closing quote; the offset after it.
    Closed(usize),
    /// At the line's end, the line break escaped (`\` at the end of a
    /// double-quoted line) or not.
    Open { escaped: bool },
}

/// Appends one line (`raw`, from the scalar's start or from the first
/// character after a continuation line's indentation) of a quoted scalar to
/// `out`: its text up to the closing quote, or to the line's end without
/// the spaces before an unescaped line break. `None` for an escape outside
/// the subset.
fn quoted_part(raw: &str, double: bool, out: &mut String) -> Option<Part> {
    let b = raw.as_bytes();
    let quote = if double { b'"' } else { b'\'' };
    // Where trailing literal spaces start in `out`, if it ends with some.
    let mut spaces: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == quote {
            if double || b.get(i + 1) != Some(&b'\'') {
                return Some(Part::Closed(i + 1));
            }
            out.push('\'');
            spaces = None;
            i += 2;
        } else if c == b'\\' && double {
            if i + 1 == b.len() {
                return Some(Part::Open { escaped: true });
            }
            let (ch, next) = escape(raw, i)?;
            out.push(ch);
            spaces = None;
            i = next;
        } else if c == b' ' {
            spaces.get_or_insert(out.len());
            out.push(' ');
            i += 1;
        } else {
            // Up to the next quote, escape or space.
            let special = |c: char| c == quote as char || c == ' ' || (double && c == '\\');
            let stop = raw[i..].find(special).map_or(b.len(), |p| i + p);
            out.push_str(&raw[i..stop]);
            spaces = None;
            i = stop;
        }
    }
    if let Some(p) = spaces {
        out.truncate(p);
    }
    Some(Part::Open { escaped: false })
}

/// The escape at byte `i` of `t` (a `\` with more after it) in a
/// double-quoted scalar: its character and the offset after it; `None`
/// for the escapes left to the full parser.
fn escape(t: &str, i: usize) -> Option<(char, usize)> {
    let e = *t.as_bytes().get(i + 1)?;
    let c = match e {
        b'0' => '\0',
        b'a' => '\u{7}',
        b'v' => '\u{b}',
        b'e' => '\u{1b}',
        b'x' | b'u' => {
            let len = if e == b'x' { 2 } else { 4 };
            let hex = t.get(i + 2..i + 2 + len)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            return Some((c, i + 2 + len));
        }
        _ => crate::jsonloc::short_escape(e)?,
    };
    Some((c, i + 2))
}

fn skip_spaces(b: &[u8], i: usize) -> usize {
    i + spaces(b.get(i..).unwrap_or_default())
}

/// Where a comment starts in a plain scalar's line (the space before `#`).
fn comment_start(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (1..b.len()).find(|&i| b[i] == b'#' && b[i - 1] == b' ').map(|i| i - 1)
}

/// Whether a plain scalar holds `: ` or ends with `:` (a mapping, or an
/// error, in block context).
fn has_mapping_colon(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| b[i] == b':' && b.get(i + 1).is_none_or(|&c| c == b' '))
}

/// Whether a plain scalar may start this way.
fn plain_start(s: &str) -> bool {
    // `matches!`, not `contains`: the bytes compared at once, where a
    // search of a short list is a call (a tenth of the key splitting).
    match s.as_bytes() {
        [] => false,
        [b'-', rest @ ..] => {
            rest.first().is_some_and(|c| !matches!(c, b' ' | b',' | b'[' | b']' | b'{' | b'}'))
        }
        [first, ..] => !matches!(
            first,
            b'?' | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
                | b' '
        ),
    }
}

/// A plain scalar inside a flow collection, from byte `off`: the text and
/// the offset after it (a key ends at `: `, anything at ` #`, a comment).
/// Refused when it holds any other `:`, or `#` or quotes.
fn flow_plain(t: &str, off: usize, key: bool) -> Option<(&str, usize)> {
    let b = t.as_bytes();
    let mut end = off;
    while let Some(&c) = b.get(end) {
        match c {
            b',' | b'[' | b']' | b'{' | b'}' => break,
            b':' if key && b.get(end + 1) == Some(&b' ') => break,
            b'#' if end > off && b[end - 1] == b' ' => break,
            b':' | b'#' | b'"' | b'\'' => return None,
            _ => end += 1,
        }
    }
    let s = t[off..end].trim_spaces_end();
    plain_start(s).then_some((s, end))
}

/// `key: rest`, `key:` or `key: # comment`, with a plain or quoted key
/// that is text (spaces may come before the `:`): the key and the byte
/// offset of its `:`.
/// A mapping line's key and the byte of the `:` after it.
type Key<'a> = (Cow<'a, str>, usize);

fn split_key(content: &str) -> Option<Key<'_>> {
    let b = content.as_bytes();
    let (key, end) = match b[0] {
        b'"' => double_quoted(content, 0)?,
        b'\'' => single_quoted(content, 0)?,
        _ => {
            // A plain key holding a `:` is left to the full parser, and so
            // is one holding a comment, flow or quote character: one pass
            // finds the first `:` and sees none of those before it.
            let colon = b.iter().position(|&c| {
                matches!(c, b':' | b'#' | b'{' | b'}' | b'[' | b']' | b',' | b'"' | b'\'')
            })?;
            if b[colon] != b':' {
                return None;
            }
            let key = content[..colon].trim_spaces_end();
            let plain_key =
                plain_start(key) && !key.starts_with('-') && matches!(classify(key)?, Plain::Text);
            if !plain_key {
                return None;
            }
            (Cow::Borrowed(key), key.len())
        }
    };
    let colon = skip_spaces(b, end);
    if b.get(colon) != Some(&b':') || b.get(colon + 1).is_some_and(|&c| c != b' ') {
        return None;
    }
    Some((key, colon))
}

/// A double-quoted scalar starting at byte `off` of `t`: its text and the
/// offset after the closing quote. Only one-line scalars and the common
/// escapes.
fn double_quoted(t: &str, off: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = t.as_bytes();
    let start = off + 1;
    let mut i = start;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some((Cow::Borrowed(&t[start..i]), i + 1)),
            b'\\' => break,
            _ => i += 1,
        }
    }
    let mut out = String::from(&t[start..i]);
    loop {
        match *b.get(i)? {
            b'"' => return Some((Cow::Owned(out), i + 1)),
            b'\\' => {
                let (c, next) = escape(t, i)?;
                out.push(c);
                i = next;
            }
            _ => {
                let next = t[i..].find(['"', '\\']).map_or(t.len(), |p| i + p);
                out.push_str(&t[i..next]);
                i = next;
            }
        }
    }
}

/// A single-quoted scalar starting at byte `off` of `t` (`''` is a quote):
/// its text and the offset after the closing quote.
fn single_quoted(t: &str, off: usize) -> Option<(Cow<'_, str>, usize)> {
    let start = off + 1;
    let close = start + t[start..].find('\'')?;
    if t.as_bytes().get(close + 1) != Some(&b'\'') {
        return Some((Cow::Borrowed(&t[start..close]), close + 1));
    }
    let mut out = String::new();
    let mut i = start;
    loop {
        let q = i + t[i..].find('\'')?;
        out.push_str(&t[i..q]);
        if t.as_bytes().get(q + 1) == Some(&b'\'') {
            out.push('\'');
            i = q + 2;
        } else {
            return Some((Cow::Owned(out), q + 1));
        }
    }
}

/// What a plain scalar is, typed as the full parser types it.
enum Plain {
    /// Text: the scalar as written.
    Text,
    /// A boolean, a null or a number.
    Typed(Value),
}

/// The value of a plain scalar, or `None` when its type is a spelling this
/// reader leaves to the full parser.
fn plain(s: &str) -> Option<Value> {
    Some(match classify(s)? {
        Plain::Text => Value::String(s.to_string()),
        Plain::Typed(v) => v,
    })
}

/// YAML 1.2 core booleans and nulls, decimal integers and fractions,
/// leading-zero numbers kept as text (the full parser's options); `None`
/// for any other spelling a number parser might read (`1e3`, `0x1F`, `+1`,
/// `.5`, `1_000`, `.inf`, `nan`).
fn classify(s: &str) -> Option<Plain> {
    // Most plain scalars and keys are words: one starting with a letter no
    // boolean, null, infinity or not-a-number starts with is text.
    let first = *s.as_bytes().first()?;
    if first.is_ascii_alphabetic()
        && !matches!(first.to_ascii_lowercase(), b't' | b'f' | b'n' | b'i')
    {
        return Some(Plain::Text);
    }
    match s {
        "true" | "True" | "TRUE" => return Some(Plain::Typed(Value::Bool(true))),
        "false" | "False" | "FALSE" => return Some(Plain::Typed(Value::Bool(false))),
        "~" | "null" | "Null" | "NULL" => return Some(Plain::Typed(Value::Null)),
        _ => {}
    }
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        // Rust's float parser, which the full parser uses, reads these too.
        let special =
            s.len() <= 8 && ["inf", "infinity", "nan"].iter().any(|w| s.eq_ignore_ascii_case(w));
        return (!special).then_some(Plain::Text);
    }
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    if digits(unsigned) {
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return Some(Plain::Text);
        }
        let n = if unsigned.len() < s.len() {
            Value::from(s.parse::<i64>().ok()?)
        } else {
            Value::from(s.parse::<u64>().ok()?)
        };
        return Some(Plain::Typed(n));
    }
    if let Some((int, frac)) = unsigned.split_once('.')
        && digits(int)
        && digits(frac)
        && !(int.len() > 1 && int.starts_with('0'))
    {
        let f = s.parse::<f64>().ok().filter(|f| f.is_finite())?;
        return serde_json::Number::from_f64(f).map(|n| Plain::Typed(Value::Number(n)));
    }
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let radix = ["0x", "0X", "0o", "0O", "0b", "0B"].iter().any(|p| t.starts_with(p));
    let underscored = t.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    let special = [".inf", ".nan"].iter().any(|w| t.eq_ignore_ascii_case(w));
    if radix || underscored || special || s.parse::<f64>().is_ok() {
        return None;
    }
    Some(Plain::Text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    /// A line's end found eight bytes at a time is the first line break,
    /// whatever stands before it and wherever it is.
    #[test]
    fn line_ends_are_the_first_line_break() {
        for len in 0..40 {
            for at in 0..=len {
                for other in [b'x', b'\t', b'\r', 0, 0x1f, 0x7f, 0x80, 0xc3, 0xff, b' '] {
                    for before in [None, Some(at / 2)] {
                        let mut b = vec![b'a'; len];
                        if at < len {
                            b[at] = b'\n';
                        }
                        if let Some(k) = before.filter(|&k| k < at) {
                            b[k] = other;
                        }
                        for from in 0..=len {
                            let end = b[from..]
                                .iter()
                                .position(|&c| c == b'\n')
                                .map_or(len, |k| from + k);
                            let printable = b[from..end].iter().all(|c| (0x20..0x7f).contains(c));
                            assert_eq!(line_end(&b, from), (end, printable), "{b:?} from {from}");
                        }
                    }
                }
            }
        }
    }

    /// Counting spaces eight at a time counts what one at a time does, at
    /// every length and wherever the first other byte is.
    #[test]
    fn spaces_are_counted_as_one_at_a_time() {
        for len in 0..40 {
            for first in 0..=len {
                for other in [b'x', b'\t', b'\n', 0, 0xc3, 0x80 | b' '] {
                    let mut b = vec![b' '; len];
                    if first < len {
                        b[first] = other;
                    }
                    for start in 0..=len {
                        let b = &b[start..];
                        let expect = b.iter().take_while(|&&c| c == b' ').count();
                        assert_eq!(spaces(b), expect, "{b:?}");
                    }
                }
            }
        }
    }

    /// The fast read of `text` equals the full parser's: values, document
    /// starts and every location.
    fn same(text: &str) {
        same_as(text, &format!("{text:?}"));
    }

    /// [`same`], naming the text `what` in failures.
    fn same_as(text: &str, what: &str) {
        let full = yaml::parse_stream_located(text, "t").expect("the full parser reads it");
        let fast = read(text, true).unwrap_or_else(|| panic!("not read fast: {what}"));
        assert_eq!(fast.len(), full.len(), "{what}");
        for (a, b) in fast.iter().zip(&full) {
            assert_eq!(a.value, b.value, "{what}");
            assert_eq!(a.map, b.map, "places in {what}");
            assert_eq!(Some((a.line, a.column)), b.map.value(""), "start of {what}");
        }
        let values = parse(text).expect("read fast");
        assert_eq!(values, full.into_iter().map(|d| d.value).collect::<Vec<_>>(), "{what}");
    }

    fn refused(text: &str) {
        assert!(read(text, true).is_none(), "read fast: {text:?}");
    }

    #[test]
    fn reads_the_subset_exactly_as_the_full_parser() {
        same("a: 1\nb: x\nc:\n  d: true\n  e: [1, \"two\", {\"k\": null}]\n");
        same(
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: \"api\"\n  labels: {\"a\": \"b\"}\nspec:\n  ports:\n  - name: http\n    port: 80\n  - name: grpc\n    port: 9090\n",
        );
        same("data:\n  \"app.json\": \"{\\n}\"\n  \"x-y\":\n    a: 1\n");
        same("f: 99.0\ng: 0.5\nh: 1.25\ni: -0.5\nj: -3\nk: 18446744073709551615\n");
        same("list:\n- a\n- b\n-\n  c: 1\nempty:\nafter: 25%\nq: 500m\nmem: 512Mi\nz: 0755\n");
        same("t: True\nf: FALSE\nn: Null\no: ~\nd: 2024-01-31\nv: 1.27.3\nip: 10.0.0.1\nneg: -x\n");
    }

    #[test]
    fn comments_on_their_own_lines_and_after_values() {
        same(
            "# head\n\na: 1 # one\n  # indented comment\nb:   # nothing\nc: \"x # y\" # z\nd: [1, 2] # list\n# tail\n",
        );
        same("l:\n# between\n- a # first\n  # inside\n- # empty\n- b\n");
        same("k: 'it''s' # quoted\nurl: http://x/#frag\nh: a#b\n");
    }

    #[test]
    fn nested_lists_of_maps() {
        same(
            "spec:\n  containers:\n  - name: app\n    env:\n    - name: A\n      value: \"1\"\n    - name: B\n      valueFrom:\n        secretKeyRef: {name: s, key: k}\n    ports:\n      - containerPort: 80\n        protocol: TCP\n  -   name: side\n      args: [--port, \"80\", -v]\n",
        );
        same("-\n  - x\n  -\n    - y\n");
        same("- a: 1\n  b:\n  - c\n- \n-\n- x: [ ]\n  y: { }\n");
    }

    #[test]
    fn empty_values_sit_where_the_full_parser_puts_them() {
        same("a:\nb:   \nc: # c\nd:\n  e:\n");
        same("l:\n- \n-\n- # c\n-    \n");
        same("l:\n  -\n  - # c\n  -   x\n");
        same("- \n- x\n-\n");
    }

    #[test]
    fn multi_document_streams() {
        same(
            "# leading comment\n\n---\na: 1\n--- # second\n# comment\nb: 2\n---\n---\n# empty\n---\n  c: 3\n",
        );
        same("a: 1\r\nb:\r\n  - x\r\n  - \"y\"\r\n---\r\nc: |\r\n  line\r\n\r\n");
        same("\u{feff}a: 1\nb: ü\n");
        same("k: \"ünï ✓\"\nл: [é, \"ü\", x]\nm: {ключ: значение}\n");
    }

    #[test]
    fn block_scalars() {
        same("a: |\n  x\n   y\n\n  z\n\n\nb: 1\n");
        same("a: |-\n  x\n  y\n\nb: 1\n");
        same("a: |+\n  x\n  y\n\n\nb: 1\n");
        same("a: >\n  x\n  y\n\n  z\n  # not a comment\n\nb: 1\n");
        same("a: >-\n  x\n  y\n");
        same("a: |\n  x");
        same("a: |+\n  x\n\n");
        same("a: |\n\n  x\n");
        same("a: | # c\n  x\n");
        same("a:\n- |\n  x\n- |-\n   y\n    z\n");
        same("a:\n  - |\n    x\n  - b\n");
        same("a: |\n    x\n   \n    y\n# after\nb: >+\n  folded\n\n# c\n");
        same("- name: x\n  script: |\n    echo '---'\n    --- not a marker\n  q: \"--- x\"\n");
    }

    /// A long block scalar is made with room to the next power of two (see
    /// `block_room`), a short one with none to spare; either reads the same.
    #[test]
    fn long_block_scalars_get_room_in_few_sizes() {
        for lines in [3, 1_000, 1_500] {
            let body: String = (0..lines).map(|i| format!("  line {i}\n")).collect();
            let text = format!("k: |\n{body}");
            same(&text);
            let docs = read(&text, false).unwrap_or_default();
            let Some(Value::String(s)) = docs.first().and_then(|d| d.value.get("k")) else {
                panic!("no block scalar read from {lines} lines");
            };
            let room = if s.len() > 8 << 10 { s.len().next_power_of_two() } else { s.len() };
            assert_eq!((s.len() > 8 << 10, s.capacity()), (lines > 3, room), "{lines} lines");
        }
    }

    /// Block scalars are read in the first pass over the lines, and taken by
    /// the reader at their header; one it does not take is refused.
    #[test]
    fn block_scalars_read_ahead() {
        // In every place a header stands, next to ones the first pass does
        // not read ahead (a comment after the header).
        same("- a: |\n    x\n  b: >-\n    y\n    z\n-   c: |+\n      w\n\n- |\n  v\n");
        same("a:\n- |\n  x\n- >\n  y\nb:\n  - |-\n    z\n  - k: | # c\n      w\n");
        same("\"q k\": |\n  x\nk : >\n  y\n");
        // Content that looks like headers, keys, items and markers.
        same("a: |\n  b: |\n    c\n  - >\n  --- x\nd: |\n  e: >-\n");
        same("a: | # c\n  b: |\n    c\n  d: 1\ne: 2\n");
        // Blank lines, CRLF, the end of the text, empty scalars, documents.
        same("a: |\r\n  x\r\n\r\n  y\r\nb: >\r\n  z\r\n");
        same("a: |+\n  x\n\n  \n");
        same("a: >-\n\n\nb: |\n---\nc: |\n  d\n...\n---\ne: |\n  f");
        same("x:\n  a: |\n    l1\n\n    l2\n  b: |\n  c: x\n");
        // Lines the first pass refuses are refused inside a scalar too.
        for text in [
            "a: |\n  x\ty\n",
            "a: |\n  x\ry\n",
            "a: |\n  x\u{85}\n",
            "a: |\n  x\r",
            "a: |\n    x\n   y\n",
            "a: >\n  x\n    more\n",
            "a: |\n\n     \n  x\n",
        ] {
            refused(text);
        }
        // A header inside a scalar the reader reads otherwise is never taken:
        // the document is refused (its lines were not all seen).
        for text in [
            "a: \"x\n  k: |\n    y\"\n",
            "a: 'x\n  k: |\n    y'\n",
            "a: x\n  - |\n    y\n",
            "a: x\n  k: |\n    y\n",
            "a: [x,\n  k: |\n  ]\n",
            "- - |\n    x\n",
            "a:\n  |\n    x\n",
        ] {
            refused(text);
        }
        for text in ["a: \"x\n  k: |\n    y\"\n", "a: x\n  - |\n    y\n"] {
            yaml::parse_stream(text, "t").expect("the full parser reads it");
        }
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !tag x\n",
            "\"unclosed: 1\n",
            "a: 1e3\n",
            "a: 0x1F\n",
            "a: +1\n",
            "a: .5\n",
            "a: 1_000\n",
            "a: .nan\n",
            "a:\tb\n",
            "a: 1\na: 2\n",
            "a: {b: 1, b: 2}\n",
            "nested:\n  - - x\n",
            "a:\n    b: 1\n  c: 2\n",
            "? complex\n: key\n",
            "a:b: 1\n",
            "1: one\n",
            "true: yes\n",
            "a: b: c\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...x\n",
            "a: 1\n---x: 1\n",
            "--- {a: 1}\n",
            "--- !tag\na: 1\n",
            "just a scalar\n",
            "a: |2\n  x\n",
            "a: |\n  x\n    \n",
            "a: >\n  x\n    more\n  y\n",
            "a: |\n",
            "a:\n  |\n   x\n",
            "a: \"\\N\"\n",
            "a: {b}\n",
        ] {
            refused(text);
        }
    }

    #[test]
    fn multi_line_plain_scalars() {
        same("a: x\n  y\n");
        same("a: x\n  y");
        same("a: 1\n  2\nb: 1.5\n  x\nc: tr\n  ue\nd: 1\n\n  2\n");
        same("a:\n    x\n  y\nb: 1\n");
        same("a:\n- x\n y\n- z\n");
        same("- x\n y\n-\n  p\n  q\n- z\n");
        same("- k: x\n   y\n  j: 2\n");
        same("a:\n  b: x\n    y\n     z\n  c: 1\n");
        same("a: x\n\n  y\n\n\n  z\nb: 1\n");
        same("a: x\n   \n  y\n  \nb: 1\n");
        same("a: x   \n   y   \nb: 2\n");
        same("a: x\n  y # c\nb: 1\n");
        same("a: x\n  y\n# c\nb: 1\n  # d\nc: 2\n");
        same("a: x\r\n  y\r\n\r\n  z\r\nb: 1\r\n");
        same("a: ü\n  é ✓\nb: ü\n");
        same("a: x\n  y\n---\nb: p\n  q\n...\n");
        same("a: http://x\n  /y#z a:b\n");
        // Any character but `#` may start a continuation line.
        same(
            "a: x\n  - y\n  -\n  [z\n  {w\n  ]v\n  }u\n  'q\n  \"r\n  &s\n  *t\n  !u\n  |v\n  >w\n  %x\n  @y\n  `z\n  ? a\n  :b\n  ,c\n  ---\n  ...\n",
        );
        // controller-gen's descriptions.
        same(
            "spec:\n  versions:\n  - schema:\n      openAPIV3Schema:\n        description: ClusterFederatedTrustDomain is the Schema for the clusterfederatedtrustdomains\n          API\n        properties:\n          kind:\n            description: 'Kind is a string value representing the REST resource this\n              object represents. Servers may infer this from the endpoint the client\n              submits requests to.'\n            type: string\n",
        );
    }

    #[test]
    fn multi_line_quoted_scalars() {
        same("a: 'x\n  y'\n");
        same("a: 'x  \n    y  '\nb: 'x\n\n  y'\nc: 'x\n  '\nd: '\n  x'\n");
        same("a: 'it''s\n  ''q''' # c\nb: 'x''\n  '''\n");
        same("a: 'x\n  # not a comment\n  y' # c\nb: 1\n");
        same("a: 'x\n  ---\n  ...\n  b: c\n  - d'\n");
        same("- 'x\n y'\n- \"p\n q\"\n");
        same("a:\n- 'x\n y'\nb:\n  'x\n y'\nc:\n  \"x\n    y\"\n");
        same("- a: 'x\n    y'\n  b: \"p\\\n    q\"\n  c: 1\n");
        same("a: 1\nb:\n  - \"x\n    y\"\n  - z\n");
        same("a: \"x \\\n   y\"\nb: \"x\\\n   y\"\nc: \"x\\\\\n   y\"\n");
        same("a: \"x\\\n\n   y\"\nb: \"x\\t\n   y\"\nc: \"a\\n\n   b\"\nd: \"x\n\n   \"\n");
        same("a: \"\n  x\"\nb: \"\\x20 \n  y\"\nc: \"x\\u00e9\n  y\\\"\" # c\n");
        same("a: 'é\n  ü' # c\nb: ü\n");
        same("a: 'x\r\n  y'\r\nb: \"p\\\r\n  q\"\r\n");
        same("a: \"x\n  y\"\n---\n- 'p\n\n\n  q'\n");
        // As kubernetes' examples write long commands.
        same(
            "command:\n- sh\n- \"start \\\n  --servers=3 \\\n  --data_dir=/var/lib/zookeeper/data \\\n  --log_level=INFO\"\nnext: 1\n",
        );
    }

    #[test]
    fn refuses_multi_line_scalars_it_cannot_prove() {
        for text in [
            // Continuation lines that are keys, or comments in between.
            "a: x\n  y: z\n",
            "a: x\n  y:\n",
            "a: x\n  y\n    z: 1\n",
            "a: x # c\n  y\n",
            "a: x\n  # c\n  y\n",
            "a: x\n  y # c\n  z\n",
            "- k: x\n  y\n",
            "a: x\n\ty\n",
            "a: x\n  \ty\n",
            // Quoted scalars not indented past their parent, not closed,
            // with something after them, or with escapes outside the subset.
            "a: 'x\ny'\n",
            "- k: 'x\n  y'\n",
            "a:\n  b: \"x\n  y\"\n",
            "a: 'x\n",
            "a: \"x\\\n",
            "a: 'x\n---\n  y'\n",
            "a: 'x\n...\n",
            "a: 'x\n  y' z\n",
            "a: 'x\n  y': 1\n",
            "a: 'x\n  y'\n   z\n",
            "a: \"x\n  y\"#c\n",
            "a: \"x\\ \n  y\"\n",
            "a: \"x\n  \\N\"\n",
            "a: \"x\n\t y\"\n",
            "'x\n  y': 1\n",
        ] {
            refused(text);
        }
        for text in ["a: x\n  y: z\n", "a: x\n  y # c\n  z\n", "a: 'x\n  y' z\n", "- k: x\n  y\n"] {
            yaml::parse_stream(text, "t").expect_err("the full parser rejects it");
        }
    }

    #[test]
    fn flow_collections_over_several_lines() {
        same("a: [\n  x,\n  \"y\",\n]\nb: 1\n");
        same("a: [1, 2,]\nb: {c: 1, }\nc: [ ]\nd: [\n]\ne: {\n\n}\n");
        // Lines as indented as the parent's keys (not less) go on with it.
        same("a: [\nb, c]\nd: {\ne: f}\n");
        same("- k: [\n  x]\n- [a,\n  b]\n- c\n");
        same("a: [a\n , b]\n");
        same("a: [x, # c\n  # d\n\n  y # e\n  ]\n");
        same("a:\n  [\n  x,\n y\n  ]\nb: 2\n");
        same("a: [x, {b: c,\n  d: e}, [f,\n  g]]\n");
        same("a: [ü,\n  é, \"ö\"]\nb: ü\n");
        same("a: [\r\n  x,\r\n]\r\n");
        same(
            "      - name: the-container\n        command: [\"/hello\",\n                  \"--port=8080\",\n                  \"--enableRiskyFeature=$(ENABLE_RISKY)\"]\n        ports:\n        - containerPort: 8080\n",
        );
        same(
            "containers:\n  - name: x\n    args: [\n        \"-csi-address\", \"/spiffe-csi/csi.sock\",\n        \"-kubelet-registration-path\", \"/var/lib/kubelet/plugins/csi.spiffe.io/csi.sock\",\n    ]\n    volumeMounts: []\n",
        );
    }

    #[test]
    fn documents_that_are_flow_collections() {
        same("{a: 1}\n");
        same("[a]\n");
        same("  [a, b]\n# c\n");
        same("{\"a\":1,\"b\":[true,null,{\"c\":\"d\"}]}");
        same(
            "---\n{\n  apiVersion: \"networking.k8s.io/v1\",\n  kind: \"NetworkPolicy\",\n  metadata: {\n    name: \"default-deny-all\",\n  },\n  spec: {\n    podSelector: {},\n    policyTypes: [\n      \"Ingress\",\n      \"Egress\",\n    ],\n  },\n}\n",
        );
        same("---\n{\n  a: 1,\n}\n---\n[\nb,\n]\n...\n---\nc: 1\n");
    }

    #[test]
    fn refuses_flow_collections_it_cannot_prove() {
        for text in [
            // A plain scalar going on, a key's value or `:` on another line,
            // a quoted scalar over lines, a single-pair mapping.
            "a: [a\n  b]\n",
            "a: {a:\n  1}\n",
            "a: {a\n  : 1}\n",
            "a: [\"x\n  y\"]\n",
            "a: [x,\n  k: v]\n",
            // Less indented than the parent's keys (the full parser's lenient
            // reading), or a document marker.
            "- k: [\n x]\n",
            "a:\n  b: [\n x]\n",
            "a: [x,\n---\n  y]\n",
            "a: [x,\n",
            // Entries missing, and what follows the collection.
            "a: [,]\n",
            "a: [a,,]\n",
            "a: {,}\n",
            "a: [x,\n  y]: z\n",
            "a: [x,\n  y]# c\n",
            "a: [x,\n  y]\n   z\n",
            "[a]\nb: 1\n",
            "{a: 1}\n  b\n",
            "[a] x\n",
        ] {
            refused(text);
        }
        for text in ["a: [,]\n", "a: [x,\n  y]: z\n", "a: [x,\n---\n  y]\n", "{a: 1}\n  b\n"] {
            yaml::parse_stream(text, "t").expect_err("the full parser rejects it");
        }
    }

    /// The shared fixtures (`../shared` beside the repository) that need
    /// multi-line scalars and flow collections: each is read fast, as the
    /// full parser reads it.
    #[test]
    fn reads_the_shared_fixtures_fast() {
        for name in [
            // controller-gen's multi-line descriptions; `args: [` over lines.
            "istio/security__spire__spire-quickstart.yaml",
            // A double-quoted command with escaped line breaks.
            "k8s-website/application__zookeeper__zookeeper.yaml",
            // Documents that are flow mappings over many lines.
            "k8s-website/pods__security__security-context-4.yaml",
            "k8s-website/service__networking__network-policy-default-deny-all.yaml",
            "k8s-website/service__networking__tls-example-ingress.yaml",
            // `command: [` over three lines.
            "kustomize/helloWorld__deployment.yaml",
        ] {
            let path =
                format!("{}/../../../shared/fixtures/manifests/{name}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("the shared fixture {path} is missing ({e}): ../shared must stand beside the repository")
            });
            same_as(&text, &path);
        }
    }

    #[test]
    fn values_on_the_next_line_markers_and_spaced_keys() {
        same("a:\n    {}\nb:\n  [1, 2]\nc:\n  \"x\"\nd:\n   plain # c\ne:\n-\n  7\n");
        same("a:\n  - x\n...\n---\nb: 1\n... # end\n");
        same("a : 1\n\"b\"  : 2\nc   :\n- d : [x]\n");
        same("- jsonPath: .spec.trustDomain\n- .x\n- infinite\n");
    }

    /// A block scalar reserves room for itself, not for the documents after
    /// it (a stream of ConfigMaps whose data comes last).
    #[test]
    fn a_block_scalar_reserves_no_more_than_its_document() {
        let later = "---\nb: 1\n".repeat(10_000);
        for (text, at, expected) in [
            (format!("a: |\n  x\n  y\n{later}"), "/a", "x\ny\n"),
            (format!("a:\n  k: |\n    x\n  j: 1\n{later}"), "/a/k", "x\n"),
        ] {
            let docs = read(&text, false).expect("in the subset");
            let Some(Value::String(s)) = docs[0].value.pointer(at) else {
                panic!("no string at {at} in {:?}", docs[0].value)
            };
            assert_eq!(s, expected);
            assert!(s.capacity() < 64, "{} bytes reserved for {s:?}", s.capacity());
        }
    }

    #[test]
    fn empty_block_scalars() {
        same("a: >\n\n\nb: 1\n");
        same("x:\n  a: |+\n\n   \n  b: 1\n");
        same("x:\n  - >\n  - |-\n  - 1\n");
        same("- env:\n  - name: A\n    value: >\n\n\n  - name: B\n");
    }

    #[test]
    fn paths_are_hashed_as_the_path_module_writes_them() {
        let mut r = Reader {
            text: "",
            lines: Vec::new(),
            i: 0,
            locate: true,
            depth: 0,
            path: PathHash::ROOT,
            flow_min: 0,
            places: Default::default(),
            blocks: Vec::new(),
            next_block: 0,
            pieces: Vec::new(),
        };
        let of = |path: &str| PathHash::of(path).expect("a path");
        for parent in ["", "a", "a[0]", "b[\"x.y\"]", "[\"\\\"\"]"] {
            for key in ["k", "", "a.b", "x[0]", "q\"", "\\", "ü", "with space", "a]", "\n\u{1}"] {
                r.path = of(parent);
                let back = r.enter_key(key);
                assert_eq!(r.path, of(&crate::path::key(parent, key)), "{parent} {key}");
                assert_eq!(back, of(parent));
            }
            r.path = of(parent);
            r.enter_index(12);
            assert_eq!(r.path, of(&crate::path::index(parent, 12)));
        }
    }

    /// Words are classified as the full parser reads them, those starting
    /// with any letter (the letters no boolean, null, infinity or
    /// not-a-number starts with are taken as text at once) and the rest.
    #[test]
    fn words_are_typed_as_the_full_parser_types_them() {
        let mut words: Vec<String> = ["true", "True", "TRUE", "tRUE", "false", "FALSE", "fAlse"]
            .into_iter()
            .chain(["null", "Null", "NULL", "nULL", "~", "inf", "Inf", "INF", "infinity"])
            .chain(["Infinity", "iNfInItY", "nan", "NaN", "NAN", "name", "yes", "No", "on"])
            .chain(["off", "y", "n", "t", "f", "i", "x", "Zebra", "0", "-1", "1.5", ".inf"])
            .map(String::from)
            .collect();
        for c in (b'a'..=b'z').chain(b'A'..=b'Z') {
            for rest in ["", "rue", "alse", "ull", "nf", "an", "ame", "x1"] {
                words.push(format!("{}{rest}", c as char));
            }
        }
        for w in &words {
            // What the full parser refuses, the fast reader leaves to it.
            let Ok(full) = yaml::parse_stream(&format!("k: {w}\n"), "t.yaml") else {
                assert!(classify(w).is_none(), "{w}");
                continue;
            };
            let read = &full[0]["k"];
            match classify(w) {
                Some(Plain::Text) => assert_eq!(read, &Value::String(w.clone()), "{w}"),
                Some(Plain::Typed(v)) => assert_eq!(read, &v, "{w}"),
                None => {}
            }
        }
    }

    #[test]
    fn quoted_keys_are_text() {
        same("\"a.b\": 1\n'c d': 2\n\"e\":\n  f: 3\n'': 4\n");
        same("- \"k\": v\n  'j': w\n");
    }

    #[test]
    fn refused_input_still_parses_through_the_full_parser() {
        // What the reader refuses is the full parser's to read or reject.
        for text in ["a: &x 1\nb: *x\n", "? a\n: b\n", "a: !!str 1\n", "a: 1e3\n"] {
            assert!(read(text, false).is_none());
            yaml::parse_stream(text, "t").expect("the full parser reads it");
        }
        for text in ["a: 1\na: 2\n", "a: b: c\n", "a: [1,\n"] {
            assert!(read(text, false).is_none());
            yaml::parse_stream(text, "t").expect_err("the full parser rejects it");
        }
    }

    /// Random documents near the subset: every one read fast must read
    /// exactly as the full parser reads it. `VZ_FASTYAML_CASES=1000000` and
    /// `VZ_FASTYAML_SEED=n` run a longer search.
    #[test]
    fn random_documents_read_as_the_full_parser_reads_them() {
        let cases: usize =
            std::env::var("VZ_FASTYAML_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(5000);
        let seed: u64 = std::env::var("VZ_FASTYAML_SEED")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        let mut rng = Rng(seed);
        let mut fast = 0;
        for _ in 0..cases {
            let text = random_document(&mut rng);
            let Some(docs) = read(&text, true) else { continue };
            fast += 1;
            let full = yaml::parse_stream_located(&text, "t")
                .unwrap_or_else(|e| panic!("read fast but the full parser says {e}: {text:?}"));
            assert_eq!(docs.len(), full.len(), "{text:?}");
            for (a, b) in docs.iter().zip(&full) {
                assert_eq!(a.value, b.value, "{text:?}");
                assert_eq!(a.map, b.map, "{text:?}");
            }
        }
        assert!(fast > cases / 5, "only {fast} of {cases} read fast");
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.next(from.len())]
        }
    }

    const SCALARS: &[&str] = &[
        "x",
        "hello world",
        "1",
        "0",
        "-7",
        "007",
        "1.5",
        "-0.25",
        "true",
        "False",
        "null",
        "~",
        "yes",
        "on",
        "10Gi",
        "1.2.3",
        "2024-01-01",
        "a#b",
        "a # c",
        "http://h:80/p",
        "-x",
        "'q'",
        "'it''s'",
        "\"d\"",
        "\"e\\n\\u00e9\\x41\\t\"",
        "\"a # b\"",
        "[]",
        "{}",
        "[1, b, \"c\"]",
        "{a: 1, \"b\": [x]}",
        "{\"k\":\"v\"}",
        "ünï",
        "\"ключ\"",
        "1e3",
        "+1",
        ".5",
        "0x10",
        "  spaced",
        "x   ",
        "é # c",
        "[a, [b, {c: d}]]",
        "[ 1 , 2 ]",
        "'a # b' # c",
        ".x",
        "nan",
        "NaN",
        "infinite",
        "-1.5",
        "0.0",
        "-0",
        "a:b",
        "\"\\/\\\"\\\\\"",
        "\"\"",
        "''",
        "[a b, c]",
        "{ }",
        "[ ]",
        "{a: {b: [c, 'd']}}",
        "[\"x\",'y']",
        "true # c",
        "😀",
        "Null",
        "NULL",
        "TRUE",
    ];

    /// Scalars outside the subset, or not YAML at all.
    const ODD: &[&str] = &[
        "1.",
        "00.5",
        "a: b",
        "x:",
        "- y",
        "-",
        "18446744073709551616",
        "-9223372036854775809",
        "1_0",
        "0o7",
        "@x",
        "`x",
        "%x",
        "!x",
        "&a x",
        "*a",
        "? x",
        "[1, 2,]",
        "{a}",
        "{a: }",
        "[a: 1]",
        "\"\\N\"",
        "'x''",
        "\"\\ud83d\"",
        "a  #b",
        "\"x\" y",
        "[1] x",
        "[x]#c",
    ];

    fn scalar(rng: &mut Rng) -> &'static str {
        if rng.next(40) == 0 { rng.pick(ODD) } else { rng.pick(SCALARS) }
    }

    const KEYS: &[&str] = &[
        "a",
        "b",
        "key",
        "app.kubernetes.io/name",
        "\"q\"",
        "'s'",
        "with space",
        "ü",
        "\"1\"",
        "'x y'",
        "a b ",
        "\"\"",
        "k[0]",
        "\"a\\\"b\"",
        "é.ü",
        "a",
        "b",
        "key",
        "c",
        "d",
    ];

    const ODD_KEYS: &[&str] = &["1", "true", "null", "-k", "a:b", "&a k", "? k", "[k]"];

    fn key(rng: &mut Rng) -> &'static str {
        if rng.next(60) == 0 { rng.pick(ODD_KEYS) } else { rng.pick(KEYS) }
    }

    fn random_document(rng: &mut Rng) -> String {
        let mut out = String::new();
        if rng.next(4) == 0 {
            out.push_str(rng.pick(&["# top\n", "\n", "---\n", "--- # c\n", "  \n", "...\n"]));
        }
        let docs = 1 + rng.next(2);
        for d in 0..docs {
            if d > 0 {
                out.push_str(rng.pick(&[
                    "---\n",
                    "--- # next\n",
                    "---\n# c\n",
                    "...\n---\n",
                    "...\n",
                ]));
            }
            let indent = if rng.next(6) == 0 { 2 } else { 0 };
            if rng.next(20) == 0 {
                out.push_str(&" ".repeat(indent));
                multi_line_flow(rng, 0, &mut out);
            } else if rng.next(5) == 0 {
                random_seq(rng, indent, 0, &mut out);
            } else {
                random_map(rng, indent, 0, &mut out);
            }
        }
        if rng.next(10) == 0 {
            out.push_str(rng.pick(&["...\n", "--- \n", "# end"]));
        }
        if rng.next(5) == 0 {
            out = out.replace('\n', "\r\n");
        }
        if rng.next(8) == 0 {
            out.pop();
        }
        out
    }

    fn random_map(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        let mut used = Vec::new();
        for _ in 0..1 + rng.next(4) {
            let key = key(rng);
            if used.contains(&key) && rng.next(10) > 0 {
                continue;
            }
            used.push(key);
            if rng.next(12) == 0 {
                out.push_str(rng.pick(&["# between\n", "\n", "   \n", "  # indented\n"]));
            }
            out.push_str(&pad);
            out.push_str(key);
            out.push_str(rng.pick(&[":", ":", ":", " :"]));
            random_value(rng, indent, depth, true, out);
        }
    }

    fn random_seq(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        for _ in 0..1 + rng.next(3) {
            out.push_str(&pad);
            out.push('-');
            if depth < 3 && rng.next(3) == 0 {
                // `- key: value` item
                let gap = rng.pick(&[" ", " ", "   "]);
                out.push_str(gap);
                let mut inner = String::new();
                random_map(rng, indent + 1 + gap.len(), depth + 1, &mut inner);
                out.push_str(&inner[indent + 1 + gap.len()..]);
            } else {
                random_value(rng, indent, depth, false, out);
            }
        }
    }

    /// Plain scalars' first lines, continuation lines, and what may stop
    /// them or make them an error.
    const PLAIN_LINES: &[&str] = &[
        "x",
        "two words",
        "1",
        "true",
        "-x",
        "- item",
        "[a",
        "'q",
        "\"d",
        "é ü",
        "a'b",
        "http://h/#x",
        "---",
        "x # c",
        "# c",
        "k: v",
        "k:",
        "k: |",
        "- >",
    ];

    /// Quoted scalars' lines: after the opening quote, in between, and
    /// before the closing quote (some of them close or break it).
    const SINGLE_LINES: &[&str] = &[
        "x",
        "two words",
        "",
        "  ",
        "it''s",
        "''",
        "# not a comment",
        "k: v",
        "\"",
        "\\",
        "ü",
        "a'b",
        "k: |",
    ];

    const DOUBLE_LINES: &[&str] = &[
        "x",
        "two words",
        "",
        "  ",
        "esc \\",
        "esc\\",
        "\\\\",
        "a\\n",
        "\\x41 ",
        "\\t\\\"",
        "x\\ ",
        "\\N",
        "'",
        "# not a comment",
        "k: v",
        "ü",
        "a\"b",
        "- |",
    ];

    /// Flow collections over several lines: each `|` is a line break.
    const FLOW_LINES: &[&str] = &[
        "[|a,|b|]",
        "[|a,|\"b\",|]",
        "{|k: 1,|\"q\": [x,|y],|}",
        "{\"a\":1,|\"b\":[2,|3]}",
        "[a|, b]",
        "[a| b]",
        "[x, # c|y]",
        "[x,| # c|y]",
        "[|]",
        "{|}",
        "{a: 1,|}",
        "[a, {b: c,|d: e}, [f,|g]]",
        "[a,|,]",
        "{a:|1}",
        "{a|: 1}",
        "[\"x|y\"]",
        "[x]|: y",
        "[x,|- y]",
        "[x,|k: v]",
        "{k: v,|k: w}",
        "[x,|#c]",
        "[x|]# c",
        "[1.5,|true,|null,|'s',|-x]",
        "[x,|k: |,|y]",
    ];

    /// A flow collection over several lines after `key:` or `-` at `indent`.
    fn multi_line_flow(rng: &mut Rng, indent: usize, out: &mut String) {
        for part in rng.pick(FLOW_LINES).split('|').enumerate() {
            if part.0 > 0 {
                out.push_str(rng.pick(&["\n", "\n", "\n", "\n\n", "\n  # c\n", " # c\n"]));
                let pad =
                    if rng.next(6) == 0 { rng.next(indent + 1) } else { indent + rng.next(4) };
                out.push_str(&" ".repeat(pad));
            }
            out.push_str(part.1);
        }
        out.push('\n');
    }

    /// What may follow a closing quote.
    const AFTER_QUOTE: &[&str] = &["", "", "", " # c", "  ", " x", ": v", "#c"];

    /// A scalar on several lines after `key:` or `-` at `indent`: mostly
    /// more indented continuation lines, sometimes not, sometimes with
    /// blank lines between them.
    fn multi_line(rng: &mut Rng, indent: usize, out: &mut String) {
        let quote = rng.pick(&["", "", "'", "\""]);
        let lines = match quote {
            "" => PLAIN_LINES,
            "'" => SINGLE_LINES,
            _ => DOUBLE_LINES,
        };
        out.push_str(quote);
        out.push_str(if quote.is_empty() { rng.pick(&PLAIN_LINES[..12]) } else { rng.pick(lines) });
        for _ in 0..1 + rng.next(3) {
            out.push_str(rng.pick(&["\n", "\n", "\n", "\n\n", "\n  \n"]));
            let pad =
                if rng.next(10) == 0 { rng.next(indent + 1) } else { indent + 1 + rng.next(3) };
            out.push_str(&" ".repeat(pad));
            out.push_str(rng.pick(lines));
        }
        if !quote.is_empty() && rng.next(10) > 0 {
            out.push_str(quote);
            out.push_str(rng.pick(AFTER_QUOTE));
        }
        out.push('\n');
    }

    /// After `key:` or `-`: a value, a nested block, or nothing.
    fn random_value(rng: &mut Rng, indent: usize, depth: usize, in_map: bool, out: &mut String) {
        let choice = if depth >= 3 { rng.next(5) } else { rng.next(9) };
        match choice {
            0..=1 => {
                out.push_str(rng.pick(&[" ", " ", "  "]));
                if rng.next(6) == 0 {
                    multi_line(rng, indent, out);
                } else if rng.next(10) == 0 {
                    multi_line_flow(rng, indent, out);
                } else {
                    out.push_str(scalar(rng));
                    out.push_str(rng.pick(&["\n", "\n", " # c\n", "  \n", "\n\n", "\n# x\n"]));
                }
            }
            2 => out.push_str(rng.pick(&["\n", " \n", " # c\n", "   \n"])),
            3 => {
                out.push(' ');
                out.push_str(rng.pick(&["|", "|-", "|+", ">", ">-", ">+", "| # h"]));
                out.push('\n');
                let n = indent + 1 + rng.next(3);
                for _ in 0..rng.next(4) {
                    let line = rng.pick(&[
                        "text",
                        "two words",
                        "# not a comment",
                        "",
                        "  more",
                        "x  ",
                        "ü é",
                        "k: |",
                        "- >-",
                        "a\tb",
                    ]);
                    if !line.is_empty() {
                        out.push_str(&" ".repeat(n));
                    } else if rng.next(2) == 0 {
                        out.push_str(&" ".repeat(rng.next(n + 2)));
                    }
                    out.push_str(line);
                    out.push('\n');
                }
                out.push_str(rng.pick(&["", "\n", "\n\n", "# after\n", "  \n"]));
            }
            4 => {
                // A scalar on the next line.
                out.push('\n');
                out.push_str(&" ".repeat(indent + 1 + rng.next(3)));
                out.push_str(scalar(rng));
                out.push('\n');
            }
            5..=6 => {
                out.push_str(rng.pick(&["\n", " # c\n"]));
                let step = rng.pick(&[2, 2, 4, 1].map(|n| &"    "[..n]));
                random_map(rng, indent + step.len(), depth + 1, out);
            }
            _ => {
                out.push('\n');
                let extra = if in_map && rng.next(2) == 0 { 0 } else { 2 };
                random_seq(rng, indent + extra, depth + 1, out);
            }
        }
    }
}
