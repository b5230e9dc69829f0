//! Reading inputs: standard input or paths (`-` is standard input, at most
//! once, named `<stdin>`), JSON or YAML detected from the content,
//! multi-document YAML and kubectl `List` objects flattened into one stream of
//! documents, each tagged with its source and line.

use crate::error::{Error, Location};
use crate::yaml::{self, SourceMap};
use serde_json::Value;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

/// Where an input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input, named `<stdin>` in messages.
    Stdin,
    /// A file.
    Path(PathBuf),
}

impl Input {
    /// `-` is standard input; anything else is a path.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" { Input::Stdin } else { Input::Path(PathBuf::from(arg)) }
    }

    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::Path(p) => p.display().to_string(),
        }
    }

    /// Reads the whole input as UTF-8 text (a leading byte-order mark is
    /// dropped). Standard input that is a terminal is refused rather than
    /// waited on.
    pub fn read_text(&self) -> Result<String, Error> {
        let mut bytes = Vec::new();
        match self {
            Input::Stdin => {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    return Err(Error::usage(
                        "standard input is a terminal: name a file or pipe JSON/YAML into me",
                    ));
                }
                stdin.lock().read_to_end(&mut bytes).map_err(|e| Error::io(self.name(), e))?;
            }
            Input::Path(p) => {
                bytes = read_file(p).map_err(|e| Error::io_path(p, e))?;
            }
        }
        // The name only for a message: making it is most of a small file's
        // reading, for names that are paths.
        text_from_bytes(bytes, || self.name())
    }
}

/// Files at least this large are read on every core, a part each: the cost
/// of a large read is the kernel zeroing and filling fresh pages, and that
/// work runs on the thread that touches them.
const PARALLEL_READ_BYTES: u64 = 8 << 20;

/// `std::fs::read`, on every core for a large regular file.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let large = meta.is_file() && meta.len() >= PARALLEL_READ_BYTES;
    // Asking for the cores reads cgroup files: only for a large file.
    let threads = if large { crate::cores() } else { 1 };
    let len = match usize::try_from(meta.len()) {
        Ok(len) if large && threads > 1 => len,
        // As `std::fs::read` does, from the file already open, but through
        // `take`: `File`'s own `read_to_end` asks for the size and position
        // again (two system calls per file, known here already).
        size => {
            let mut bytes = Vec::with_capacity(size.unwrap_or(0));
            (&file).take(u64::MAX).read_to_end(&mut bytes)?;
            return Ok(bytes);
        }
    };
    match read_parts(&file, len, threads)? {
        Some(bytes) => Ok(bytes),
        // The file changed size while it was read: read it again, whole.
        None => std::fs::read(path),
    }
}

/// The `len` bytes of `file`, a part on each of `threads` threads; `None`
/// when the file does not hold exactly `len` bytes (any more).
fn read_parts(
    file: &std::fs::File,
    len: usize,
    threads: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::os::unix::fs::FileExt;
    // Zeroed memory fresh from the system is not written to until read into.
    let mut bytes = vec![0u8; len];
    let part = len.div_ceil(threads.max(1)).max(1);
    let read = std::thread::scope(|scope| {
        let mut parts = bytes.chunks_mut(part).zip((0u64..).step_by(part));
        let first = parts.next();
        let others: Vec<_> =
            parts.map(|(chunk, at)| scope.spawn(move || file.read_exact_at(chunk, at))).collect();
        let mut read = first.map_or(Ok(()), |(chunk, at)| file.read_exact_at(chunk, at));
        for other in others {
            let r = other.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            read = read.and(r);
        }
        read
    });
    match read {
        Ok(()) if file.read_at(&mut [0u8], len as u64)? == 0 => Ok(Some(bytes)),
        Ok(()) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

fn text_from_bytes(bytes: Vec<u8>, name: impl FnOnce() -> String) -> Result<String, Error> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        // Everything before the bad byte is text: where it stands.
        let before = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
        let (line, column) = crate::text::line_col(before, at);
        Error::Parse {
            at: Location::at(name(), line, column),
            message: format!("not UTF-8 text (invalid byte at offset {at})"),
        }
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// serde_json's message without the ` at line L column C` it appends: every
/// tool reports the location itself, as `FILE:LINE:COLUMN:`.
pub fn json_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

/// The syntax of a text, from its first meaningful character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// Starts with `{` or `[`.
    Json,
    /// Anything else.
    Yaml,
}

/// Decides JSON or YAML from the content: JSON starts with `{` or `[`.
pub fn detect(text: &str) -> Syntax {
    match text.trim_start().as_bytes().first() {
        Some(b'{' | b'[') => Syntax::Json,
        _ => Syntax::Yaml,
    }
}

/// One document of an input stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document.
    pub value: Value,
    /// The input's name and the line and column where the document starts.
    pub at: Location,
    /// Where each key and value of the document stands (empty when the
    /// stream was read without locations).
    pub map: SourceMap,
}

impl Document {
    /// The location of the value at `path` inside this document (the key's
    /// location when `key` is true), falling back to the document's start.
    pub fn locate(&self, path: &str, key: bool) -> Location {
        let found = if key { self.map.key(path) } else { self.map.value(path) };
        match found {
            Some((line, column)) => Location { input: self.at.input.clone(), line, column },
            None => self.at.clone(),
        }
    }
}

impl Document {
    /// The document (or the value at `path` inside it) as a typed value.
    /// A mismatch is an [`Error::Invalid`] at the offending value's line and
    /// column with its path (`waivers[2].expires`); an unknown field (with
    /// `#[serde(deny_unknown_fields)]`) names the near miss.
    pub fn typed<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let value =
            if path.is_empty() { Some(&self.value) } else { crate::path::get(&self.value, path) };
        // Read in place first; the copy, and tracking the path of every
        // field, are paid only to explain an error.
        let value = value.unwrap_or(&Value::Null);
        if let Ok(typed) = T::deserialize(value) {
            return Ok(typed);
        }
        serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let mut at_path = path.to_string();
            for segment in e.path().iter() {
                at_path = match segment {
                    serde_path_to_error::Segment::Seq { index } => {
                        crate::path::index(&at_path, *index)
                    }
                    serde_path_to_error::Segment::Map { key } => crate::path::key(&at_path, key),
                    serde_path_to_error::Segment::Enum { variant } => {
                        crate::path::key(&at_path, variant)
                    }
                    serde_path_to_error::Segment::Unknown => at_path,
                };
            }
            let inner = e.into_inner().to_string();
            let (message, suggestion, key) = unknown_field(&inner);
            // serde_path_to_error's path may already end at the unknown key.
            let ends_at_key = |k: &str| {
                crate::path::parent(&at_path).map(|p| crate::path::key(p, k)).as_deref()
                    == Some(at_path.as_str())
            };
            let at_path = match &key {
                Some(k) if !ends_at_key(k) => crate::path::key(&at_path, k),
                _ => at_path,
            };
            Error::Invalid {
                at: self.locate(&at_path, key.is_some()),
                path: at_path,
                message,
                suggestion,
            }
        })
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" as a message, the
/// near miss and the field's name.
fn unknown_field(message: &str) -> (String, Option<String>, Option<String>) {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return (message.to_string(), None, None);
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return (message.to_string(), None, None);
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let suggestion = crate::error::suggest(field, candidates.iter().copied());
    let message = if candidates.is_empty() {
        "unknown field".to_string()
    } else {
        format!("unknown field (expected one of {})", candidates.join(", "))
    };
    (message, suggestion, Some(field.to_string()))
}

/// Whether to record the location of every key and value (for messages that
/// point into a user's file) or only of each document (faster).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locate {
    /// Only each document's start.
    Documents,
    /// Every key and value.
    Everything,
}

/// Parses a text into documents: JSON (one value or a stream of values) or
/// multi-document YAML; empty YAML documents are dropped and kubectl `List`
/// objects (`kind: List`, `PodList`, …) are replaced by their items.
pub fn parse_documents(text: &str, name: &str, locate: Locate) -> Result<Vec<Document>, Error> {
    let mut docs = Vec::new();
    let json = detect(text) == Syntax::Json;
    if json
        && locate == Locate::Everything
        && let Some(fast) = crate::jsonloc::read(text)
    {
        // Values and locations in one pass; what the fast reader refuses
        // (and every error) takes the path below.
        docs.extend(fast.into_iter().map(|d| fast_doc(d, name, locate)));
        if cfg!(debug_assertions) {
            if let Err(e) = parse_json_stream(text, name) {
                panic!("{name}: read fast, but serde_json says {e}");
            }
            let full = yaml::parse_stream_located(text, name)
                .map(|full| full.into_iter().map(|d| located_doc(d, name)).collect());
            assert_same_documents(&docs, full, name);
        }
    } else if json {
        let values = parse_json_stream(text, name)?;
        if locate == Locate::Everything {
            // JSON is YAML 1.2: reparse for locations now that syntax is known
            // good. A stream of values (concatenated JSON is not one YAML
            // stream, and the fast reader leaves streams alone) is read value
            // by value, each in its place.
            if let [_] = values.as_slice() {
                let located = yaml::parse_stream_located(text, name)?;
                docs.extend(located.into_iter().map(|d| located_doc(d, name)));
            } else {
                for (_, line, column, range) in values {
                    let value = at_column(&text[range], column);
                    let full = || {
                        yaml::parse_stream_located(&value, name)
                            .map(|full| full.into_iter().map(|d| located_doc(d, name)).collect())
                    };
                    let located: Vec<Document> = match crate::jsonloc::read(&value) {
                        Some(fast) => {
                            let fast: Vec<Document> =
                                fast.into_iter().map(|d| fast_doc(d, name, locate)).collect();
                            if cfg!(debug_assertions) {
                                assert_same_documents(&fast, full(), name);
                            }
                            fast
                        }
                        None => full().map_err(|e| shift_error(e, line - 1))?,
                    };
                    docs.extend(shift(located, line - 1));
                }
            }
        } else {
            docs.extend(values.into_iter().map(|(value, line, column, _)| Document {
                value,
                at: Location::at(name, line, column),
                map: SourceMap::default(),
            }));
        }
    } else {
        let parts = yaml_parts(text);
        let parsed = crate::par::map(&parts, 2, |&(start, end, lines)| {
            parse_yaml_part(&text[start..end], name, locate).map(|docs| shift(docs, lines))
        });
        for (part, result) in parts.iter().zip(parsed) {
            // The first error in the text is the one a sequential parse meets.
            docs.extend(result.map_err(|e| shift_error(e, part.2))?);
        }
    }
    Ok(flatten_lists(docs))
}

fn parse_yaml_part(text: &str, name: &str, locate: Locate) -> Result<Vec<Document>, Error> {
    let Some(fast) = crate::fastyaml::read(text, locate == Locate::Everything) else {
        return parse_yaml_part_fully(text, name, locate);
    };
    let docs: Vec<Document> = fast.into_iter().map(|d| fast_doc(d, name, locate)).collect();
    if cfg!(debug_assertions) {
        assert_same_documents(&docs, parse_yaml_part_fully(text, name, locate), name);
    }
    Ok(docs)
}

/// A document read by [`crate::fastyaml`] or [`crate::jsonloc`]: located
/// as the full parser locates it (without a column or a map when only
/// documents are located).
fn fast_doc(d: crate::fastyaml::Doc, name: &str, locate: Locate) -> Document {
    match locate {
        Locate::Everything => {
            Document { value: d.value, at: Location::at(name, d.line, d.column), map: d.map }
        }
        Locate::Documents => Document {
            value: d.value,
            at: Location::at(name, d.line, 0),
            map: SourceMap::default(),
        },
    }
}

/// The fast reader must agree with the full parser on everything: values,
/// document starts and every location. Debug builds check each fast read.
fn assert_same_documents(fast: &[Document], full: Result<Vec<Document>, Error>, name: &str) {
    let full = full.unwrap_or_else(|e| panic!("{name}: read fast, but the YAML parser says {e}"));
    assert_eq!(fast.len(), full.len(), "{name}: the fast reader found another number of documents");
    for (a, b) in fast.iter().zip(&full) {
        assert_eq!(a.value, b.value, "{name}: the fast reader disagrees on a value");
        assert_eq!(a.at, b.at, "{name}: the fast reader disagrees on where a document starts");
        assert_eq!(a.map, b.map, "{name}: the fast reader disagrees on locations");
    }
}

fn parse_yaml_part_fully(text: &str, name: &str, locate: Locate) -> Result<Vec<Document>, Error> {
    if locate == Locate::Everything {
        return Ok(yaml::parse_stream_located(text, name)?
            .into_iter()
            .map(|d| located_doc(d, name))
            .collect());
    }
    let starts = document_lines(text);
    Ok(yaml::parse_stream(text, name)?
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let line = starts.get(i).copied().unwrap_or(0);
            Document { value, at: Location::at(name, line, 0), map: SourceMap::default() }
        })
        .collect())
}

/// YAML streams smaller than this are parsed on one thread: 64 KiB take
/// about a millisecond, twenty times what starting a thread costs.
const PARALLEL_BYTES: usize = 64 * 1024;

/// A large YAML stream cut at document markers into one part per core:
/// (start byte, end byte, lines before the part). A `---` at the start of a
/// line always starts a document (YAML forbids it inside scalars), so the
/// parts parse exactly as the whole; streams with directives (`%YAML`) are
/// not cut.
fn yaml_parts(text: &str) -> Vec<(usize, usize, usize)> {
    let whole = vec![(0, text.len(), 0)];
    if text.len() < PARALLEL_BYTES {
        return whole;
    }
    let cores = crate::cores();
    if cores < 2 {
        return whole;
    }
    let Some(markers) = document_markers(text) else {
        return whole;
    };
    let target = text.len() / cores + 1;
    let mut parts = Vec::new();
    let (mut start, mut start_line) = (0, 0);
    for (at, at_line) in markers {
        if at - start >= target {
            parts.push((start, at, start_line));
            (start, start_line) = (at, at_line);
        }
    }
    parts.push((start, text.len(), start_line));
    parts
}

/// Where each `---` document marker line starts: (byte, line from 0);
/// `None` for a stream with a directive (`%YAML`, `%TAG`).
fn document_markers(text: &str) -> Option<Vec<(usize, usize)>> {
    let mut markers = Vec::new();
    let starts =
        std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    for (line, offset) in starts.enumerate() {
        let l = &text[offset..];
        if l.starts_with('%') {
            return None;
        }
        if let Some(rest) = l.strip_prefix("---") {
            let rest = &rest[..memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len())];
            let rest = rest.trim_end_matches('\r');
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                markers.push((offset, line));
            }
        }
    }
    Some(markers)
}

fn shift(mut docs: Vec<Document>, lines: usize) -> Vec<Document> {
    if lines == 0 {
        return docs;
    }
    for d in &mut docs {
        if d.at.line > 0 {
            d.at.line += lines;
        }
        d.map.shift_lines(lines);
    }
    docs
}

fn shift_error(mut e: Error, lines: usize) -> Error {
    if let Error::Parse { at, .. } | Error::Invalid { at, .. } = &mut e
        && at.line > 0
    {
        at.line += lines;
    }
    e
}

fn located_doc(d: yaml::LocatedDoc, name: &str) -> Document {
    let (line, column) = d.map.value("").unwrap_or((0, 0));
    Document { value: d.value, at: Location::at(name, line, column), map: d.map }
}

/// Reads and parses every input, in order, into one stream of documents.
/// Standard input may be named at most once.
pub fn read_documents(inputs: &[Input], locate: Locate) -> Result<Vec<Document>, Error> {
    read_documents_map(inputs, locate, |doc| doc)
}

/// [`read_documents`], each document turned into a `T` by `f` on the thread
/// that parsed it (a tool's own view of its documents is then built on every
/// core, not after the reading on one), still in input order.
pub fn read_documents_map<T, F>(inputs: &[Input], locate: Locate, f: F) -> Result<Vec<T>, Error>
where
    T: Send,
    F: Fn(Document) -> T + Sync,
{
    let spread = |size: &Size, read: &ReadOne<'_, T>| {
        ((), crate::par::map_heaviest_first(inputs, 2, size, read))
    };
    read_spread(inputs, locate, f, spread).1
}

/// [`read_documents_map`] while the calling thread does `first` (vz-comply
/// builds its catalogue): the reading starts at once on the other cores,
/// and the calling thread joins it once `first` is done.
pub fn read_documents_map_after<T, F, S>(
    inputs: &[Input],
    locate: Locate,
    f: F,
    first: impl FnOnce() -> S,
) -> (S, Result<Vec<T>, Error>)
where
    T: Send,
    F: Fn(Document) -> T + Sync,
{
    let spread = |size: &Size, read: &ReadOne<'_, T>| {
        crate::par::map_heaviest_first_after(inputs, size, read, first)
    };
    read_spread(inputs, locate, f, spread)
}

/// An input's size, to read the largest first.
type Size = dyn Fn(&Input) -> u64 + Sync;
/// An input read, parsed and each of its documents mapped.
type ReadOne<'a, T> = dyn Fn(&Input) -> Result<Vec<T>, Error> + Sync + 'a;

/// [`read_documents_map`] with `spread` running the reading of each input
/// over the cores (and anything else alongside).
fn read_spread<T, F, S>(
    inputs: &[Input],
    locate: Locate,
    f: F,
    spread: impl FnOnce(&Size, &ReadOne<'_, T>) -> (S, Vec<Result<Vec<T>, Error>>),
) -> (S, Result<Vec<T>, Error>)
where
    T: Send,
    F: Fn(Document) -> T + Sync,
{
    // Each input is read and parsed on one of the cores, the largest first
    // (standard input counts as large); a large YAML stream is also cut into
    // parts parsed side by side.
    let size = |input: &Input| match input {
        Input::Stdin => u64::MAX,
        Input::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
    };
    let read = |input: &Input| {
        let docs = parse_documents(&input.read_text()?, &input.name(), locate)?;
        Ok(docs.into_iter().map(&f).collect::<Vec<T>>())
    };
    let stdin = inputs.iter().filter(|i| **i == Input::Stdin).count();
    let (done, parsed) = if stdin > 1 {
        let none = |_: &Input| Err(Error::usage("standard input (`-`) can be read only once"));
        spread(&size, &none)
    } else {
        spread(&size, &read)
    };
    // The first problem in input order, as reading them one by one would meet it.
    let parsed: Result<Vec<Vec<T>>, Error> = parsed.into_iter().collect();
    let all = parsed.map(|parsed| {
        let mut all = Vec::with_capacity(parsed.iter().map(Vec::len).sum());
        for docs in parsed {
            all.extend(docs);
        }
        all
    });
    (done, all)
}

/// The values of a JSON stream, with the line, column and bytes of each.
type JsonValues = Vec<(Value, usize, usize, std::ops::Range<usize>)>;

fn parse_json_stream(text: &str, name: &str) -> Result<JsonValues, Error> {
    let mut out = Vec::new();
    let mut lines = crate::text::LineCounter::default();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let start = offset + (text[offset..].len() - text[offset..].trim_start().len());
                let (line, column) = lines.line_col(text, start);
                out.push((v, line, column, start..stream.byte_offset()));
            }
            Some(Err(e)) => {
                let message = json_message(&e);
                return Err(Error::Parse { at: Location::at(name, e.line(), e.column()), message });
            }
        }
    }
    Ok(out)
}

/// `value` as if it began at `column` of its first line (spaces before it),
/// so that the columns of its first line are the ones in the whole text.
fn at_column(value: &str, column: usize) -> String {
    let mut padded = " ".repeat(column.saturating_sub(1));
    padded.push_str(value);
    padded
}

/// The first line of each non-empty YAML document (1-based), by scanning for
/// `---` separators. Used only to point messages at a document.
fn document_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut current: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") && line[3..].trim().is_empty() || line.starts_with("--- ") {
            current = None;
            continue;
        }
        if line.starts_with("...") {
            current = None;
            continue;
        }
        let t = line.trim_start();
        if current.is_none() && !t.is_empty() && !t.starts_with('#') && !t.starts_with('%') {
            current = Some(i + 1);
            starts.push(i + 1);
        }
    }
    starts
}

/// Whether a document is a kubectl list (`kind: List` or `kind: PodList`, …,
/// with an `items` array).
pub fn is_list(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"))
        && v.get("items").is_some_and(Value::is_array)
}

fn flatten_lists(docs: Vec<Document>) -> Vec<Document> {
    if !docs.iter().any(|d| is_list(&d.value)) {
        return docs;
    }
    let mut out = Vec::with_capacity(docs.len());
    for mut doc in docs {
        if !is_list(&doc.value) {
            out.push(doc);
            continue;
        }
        let items = match doc.value.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        for (i, item) in items.into_iter().enumerate() {
            let prefix = crate::path::index("items", i);
            let map = doc.map.at_path(&prefix, nodes(&item));
            let at = match map.value("") {
                Some((line, column)) => Location { input: doc.at.input.clone(), line, column },
                None => doc.at.clone(),
            };
            out.push(Document { value: item, at, map });
        }
    }
    out
}

/// How many values `v` holds, itself included: the size of a document cut
/// from a list, as its map counts them.
fn nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(nodes).sum(),
        Value::Object(map) => map.values().map(nodes).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    /// A stream large enough to be cut, with block scalars, comments,
    /// `---` inside quoted text and a List.
    fn big() -> String {
        let mut text = String::from("# header\n");
        for i in 0..4000 {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}  # comment\ndata:\n  script: |\n    echo '---'\n    --- not a marker\n  q: \"--- x\"\n"
            ));
        }
        text.push_str("--- {kind: List, apiVersion: v1, items: [{kind: Pod, apiVersion: v1, metadata: {name: last}}]}\n");
        text
    }

    #[test]
    fn a_large_stream_parses_the_same_in_parts() {
        let text = big();
        assert!(text.len() > PARALLEL_BYTES);
        if yaml_parts(&text).len() < 2 {
            return; // one core: nothing to compare
        }
        for locate in [Locate::Documents, Locate::Everything] {
            let parts = parse_documents(&text, "big.yaml", locate).expect("parses");
            let whole: Vec<Document> = parse_yaml_part(&text, "big.yaml", locate).expect("parses");
            let whole = flatten_lists(whole);
            assert_eq!(parts.len(), 4001);
            for (a, b) in parts.iter().zip(&whole) {
                assert_eq!((&a.value, &a.at), (&b.value, &b.at));
                assert_eq!(a.map, b.map);
            }
        }
    }

    #[test]
    fn document_markers_are_the_lines_that_start_a_document() {
        let text = "a: 1\n---\nb: ---\n---\r\n----\n --- \n--- c\n---x\n---\t# c\n'---'\n---";
        let lines: Vec<&str> = text.split('\n').collect();
        let at = |line: usize| lines[..line].iter().map(|l| l.len() + 1).sum::<usize>();
        let expected: Vec<(usize, usize)> = [1, 3, 6, 8, 10].iter().map(|&l| (at(l), l)).collect();
        assert_eq!(document_markers(text), Some(expected));
        assert_eq!(document_markers("a: 1\n%YAML 1.2\n---\n"), None);
        assert_eq!(document_markers(""), Some(Vec::new()));
    }

    #[test]
    fn an_error_in_a_later_part_has_its_real_line() {
        let mut text = big();
        let lines = text.lines().count();
        text.push_str("---\nkey: [unclosed\n");
        let e = parse_documents(&text, "big.yaml", Locate::Documents).expect_err("broken");
        let whole = parse_yaml_part(&text, "big.yaml", Locate::Documents).expect_err("broken");
        assert_eq!(e.to_string(), whole.to_string());
        assert!(
            e.to_string().starts_with(&format!("big.yaml:{}", lines + 2))
                || e.to_string().starts_with(&format!("big.yaml:{}", lines + 3)),
            "{e}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Standard input named twice is refused before anything is read, and
    /// work done alongside still gives its answer.
    #[test]
    fn standard_input_is_read_once_at_most() {
        let twice = [Input::Stdin, Input::Path("a.yaml".into()), Input::Stdin];
        let message = "standard input (`-`) can be read only once";
        let e = read_documents(&twice, Locate::Documents).map(|d| d.len());
        assert_eq!(e.map_err(|e| e.to_string()), Err(message.to_string()));
        let (first, e) = read_documents_map_after(&twice, Locate::Documents, |d| d, || 7);
        assert_eq!(
            (first, e.map(|d| d.len()).map_err(|e| e.to_string())),
            (7, Err(message.into()))
        );
    }

    #[test]
    fn a_large_file_is_read_whole_on_every_core() {
        let path = std::env::temp_dir().join(format!("vz-input-large-{}.json", std::process::id()));
        // Numbered lines: parts read into the wrong place would show.
        let text: String = (0..PARALLEL_READ_BYTES / 16)
            .map(|i| format!("{{\"k\": {i}, \"t\": \"é ü\"}}\n"))
            .collect();
        assert!(text.len() as u64 > PARALLEL_READ_BYTES);
        std::fs::write(&path, &text).unwrap();
        let read = Input::Path(path.clone()).read_text();
        let _ = std::fs::remove_file(&path);
        assert!(read.unwrap() == text, "the text read differs from the file");
    }

    #[test]
    fn a_file_that_changes_size_while_it_is_read_is_not_taken_in_parts() {
        let path = std::env::temp_dir().join(format!("vz-input-parts-{}.txt", std::process::id()));
        let text: Vec<u8> = (0..10_000u32).flat_map(|i| i.to_le_bytes()).collect();
        std::fs::write(&path, &text).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let whole = read_parts(&file, text.len(), 3).unwrap();
        // As if it had grown or shrunk since its size was read.
        let grown = read_parts(&file, text.len() - 7, 3).unwrap();
        let shrunk = read_parts(&file, text.len() + 7, 3).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(whole.as_deref() == Some(&text[..]), "read in parts differs from the file");
        assert!(grown.is_none() && shrunk.is_none());
    }

    #[test]
    fn a_pipe_named_as_a_file_is_read_to_its_end() {
        // `vz-comply <(kubectl get deploy -o yaml)`: no size to go by.
        let path = std::env::temp_dir().join(format!("vz-input-fifo-{}", std::process::id()));
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo (coreutils) is needed");
        let text = "kind: Pod\nmetadata: {name: a}\n".repeat(5_000);
        let writer = {
            let (path, text) = (path.clone(), text.clone());
            std::thread::spawn(move || std::fs::write(path, text))
        };
        let read = Input::Path(path.clone()).read_text();
        let wrote = writer.join().unwrap();
        let _ = std::fs::remove_file(&path);
        wrote.unwrap();
        assert!(read.unwrap() == text, "the text read differs from what was written");
    }

    /// Each document is mapped where it was parsed, and the answers come in
    /// input order whatever the sizes (the largest file is read first).
    #[test]
    fn documents_are_mapped_in_input_order() {
        let dir = std::env::temp_dir().join(format!("vz-input-map-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inputs: Vec<Input> = [("a.yaml", 1), ("b.yaml", 300), ("c.yaml", 2), ("d.json", 0)]
            .iter()
            .map(|&(name, padding)| {
                let path = dir.join(name);
                let text = if name.ends_with(".json") {
                    "{\"kind\": \"J\"}".to_string()
                } else {
                    format!("{}kind: {name}\n---\nkind: second\n", "# pad\n".repeat(padding))
                };
                std::fs::write(&path, text).unwrap();
                Input::Path(path)
            })
            .collect();
        let mapped = read_documents_map(&inputs, Locate::Documents, |d| {
            format!("{} {}", d.at, d.value["kind"].as_str().unwrap_or_default())
        });
        let plain = read_documents(&inputs, Locate::Documents);
        let _ = std::fs::remove_dir_all(&dir);
        let at = |name: &str| dir.join(name).display().to_string();
        assert_eq!(
            mapped.unwrap(),
            [
                format!("{}:2 a.yaml", at("a.yaml")),
                format!("{}:4 second", at("a.yaml")),
                format!("{}:301 b.yaml", at("b.yaml")),
                format!("{}:303 second", at("b.yaml")),
                format!("{}:3 c.yaml", at("c.yaml")),
                format!("{}:5 second", at("c.yaml")),
                format!("{}:1:1 J", at("d.json")),
            ]
        );
        assert_eq!(plain.unwrap().len(), 7);
    }

    #[test]
    fn each_value_of_a_json_stream_is_located_in_its_place() {
        let text = "{\"a\": 1}\n{\n  \"kind\": \"B\",\n  \"x\": [1,\n 2]\n} {\"c\": {\"d\": 3}}\n";
        let docs = parse_documents(text, "s.json", Locate::Everything).expect("parses");
        let at: Vec<String> = docs.iter().map(|d| d.at.to_string()).collect();
        assert_eq!(at, ["s.json:1:1", "s.json:2:1", "s.json:6:3"]);
        assert_eq!(docs[1].locate("x", true).to_string(), "s.json:4:3");
        assert_eq!(docs[1].locate("x[1]", false).to_string(), "s.json:5:2");
        assert_eq!(docs[2].locate("c.d", false).to_string(), "s.json:6:15");
        assert_eq!(docs[2].value, json!({"c": {"d": 3}}));
        // A value the fast reader refuses is read by the YAML parser, whose
        // errors stand where the value does.
        let e = parse_documents("{\"a\": 1}\n{\"b\": 1,\n \"b\": 2}", "d.json", Locate::Everything)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("d.json:3:2: ") && e.contains("duplicate"), "{e}");
    }

    #[test]
    fn detects_json_and_yaml() {
        assert_eq!(detect("  {\"a\":1}"), Syntax::Json);
        assert_eq!(detect("\n[1]"), Syntax::Json);
        assert_eq!(detect("a: 1"), Syntax::Yaml);
        assert_eq!(detect(""), Syntax::Yaml);
    }

    #[test]
    fn flattens_lists_and_keeps_item_locations() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: A\n  metadata: {name: a}\n- kind: B\n---\nkind: C\n";
        let docs = parse_documents(text, "s.yaml", Locate::Everything).unwrap();
        let kinds: Vec<_> = docs.iter().map(|d| d.value["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["A", "B", "C"]);
        assert_eq!(docs[0].locate("metadata.name", false).to_string(), "s.yaml:5:20");
        assert_eq!(docs[1].at.to_string(), "s.yaml:6:3");
    }

    #[test]
    fn json_streams_and_their_errors() {
        let docs = parse_documents("{\"a\":1}\n {\"b\":2}", "x", Locate::Documents).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].at.to_string(), "x:2:2");
        let e = parse_documents("{\"a\": [1,\n", "x.json", Locate::Documents).unwrap_err();
        assert_eq!(e.to_string(), "x.json:2: EOF while parsing a value");
    }

    #[test]
    fn yaml_document_lines() {
        let docs = parse_documents("# c\na: 1\n---\n\nb: 2\n", "y", Locate::Documents).unwrap();
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].at.to_string(), "y:5");
    }

    #[test]
    fn the_fast_yaml_reader_and_the_full_parser_give_the_same_documents() {
        let texts = [
            "# leading\n\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p # c\nspec:\n  containers:\n  - name: app\n    args: [\"--x\", y]\n    env:\n    - name: A\n      value: |\n        line\n---\n# only a comment\n--- # next\n  kind: List\n  items:\n  - kind: A\n  - kind: B\n",
            "a: 1\r\nb:\r\n  - x\r\n",
            "\u{feff}a: ü\n",
        ];
        for text in texts {
            assert!(crate::fastyaml::read(text, true).is_some(), "{text:?}");
            for locate in [Locate::Documents, Locate::Everything] {
                let fast = parse_yaml_part(text, "f.yaml", locate).expect("parses");
                assert_same_documents(&fast, parse_yaml_part_fully(text, "f.yaml", locate), "f");
            }
        }
        let docs = parse_documents(texts[0], "f.yaml", Locate::Everything).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].at.to_string(), "f.yaml:4:1");
        assert_eq!(docs[0].locate("spec.containers[0].args[1]", false).to_string(), "f.yaml:11:19");
        assert_eq!(docs[2].at.to_string(), "f.yaml:22:5");
        let docs = parse_documents(texts[0], "f.yaml", Locate::Documents).unwrap();
        assert_eq!(docs[0].at.to_string(), "f.yaml:4");
    }

    #[test]
    fn bom_and_invalid_utf8() {
        assert_eq!(text_from_bytes(b"\xef\xbb\xbfa: 1".to_vec(), || "b".into()).unwrap(), "a: 1");
        let e = text_from_bytes(b"a: 1\nb: \xff".to_vec(), || "b".into()).unwrap_err();
        assert_eq!(e.to_string(), "b:2:4: not UTF-8 text (invalid byte at offset 8)");
        let e = text_from_bytes("ü\n  é\u{2}".bytes().chain([0xc3]).collect(), || "c".into())
            .unwrap_err();
        assert_eq!(e.to_string(), "c:2:5: not UTF-8 text (invalid byte at offset 8)");
    }
}
