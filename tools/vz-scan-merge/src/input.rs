//! Reading reports: each input (a file, or standard input) holds one or more
//! JSON documents, one after another; each document is one report whose
//! format is detected from its shape (FORMATS.md §1) unless `--from` says.
//!
//! Documents are first split (validating the syntax, building nothing but
//! the top-level keys that tell the formats apart), then each is
//! deserialised straight into the parser's own typed structs; every error
//! names the input, the line and column, and the path of the field
//! (`Results[0].Vulnerabilities[3]`).

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::marker::PhantomData;
use vz::Error;
use vz::error::Location;

/// The report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Format {
    /// Trivy JSON: schema v2, the old list form, `trivy k8s`
    Trivy,
    /// Grype JSON (0.7 onwards)
    Grype,
    /// Snyk CLI JSON: `snyk test`, `snyk container test`, `--all-projects`
    Snyk,
    /// SARIF 2.1.0 from any producer
    Sarif,
    /// OSV-Scanner JSON
    Osv,
    /// `npm audit --json`, npm 6 and npm 7+
    Npm,
}

impl Format {
    /// The value of `--from` that names it.
    pub fn flag(self) -> &'static str {
        match self {
            Format::Trivy => "trivy",
            Format::Grype => "grype",
            Format::Snyk => "snyk",
            Format::Sarif => "sarif",
            Format::Osv => "osv",
            Format::Npm => "npm",
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Trivy => "Trivy JSON",
            Format::Grype => "Grype JSON",
            Format::Snyk => "Snyk JSON",
            Format::Sarif => "SARIF",
            Format::Osv => "OSV-Scanner JSON",
            Format::Npm => "npm audit JSON",
        }
    }
}

/// One JSON document of an input.
#[derive(Clone, Copy, Debug)]
pub struct Doc<'a> {
    /// The input's name (`<stdin>`, a path).
    pub input: &'a str,
    /// The document's text.
    pub text: &'a str,
    /// 1-based line where the document starts in the input.
    pub line: usize,
    /// 1-based column where the document starts in the input.
    pub column: usize,
    /// 1-based position of the document in its input.
    pub index: usize,
    /// Its top level, as the split saw it (`None`: not seen yet).
    pub shape: Option<Shape<'a>>,
}

impl<'a> Doc<'a> {
    /// A whole text as the first document of `input`, its shape not yet
    /// seen (for parser tests).
    #[cfg(test)]
    pub(crate) fn whole(input: &'a str, text: &'a str) -> Doc<'a> {
        Doc { input, text, line: 1, column: 1, index: 1, shape: None }
    }

    /// Deserialises the whole document into `T`. A value of the wrong type,
    /// or a missing required field, is an error naming the input, the line
    /// and column, and the path of the field.
    pub fn typed<T: Deserialize<'a>>(&self) -> Result<T, Error> {
        self.typed_seed(PhantomData::<T>)
    }

    /// [`Doc::typed`] through a seed (state the reading starts from).
    pub fn typed_seed<S: DeserializeSeed<'a> + Clone>(&self, seed: S) -> Result<S::Value, Error> {
        // The fast path first; tracking the path of every field costs a
        // third of the time, so it is paid only to explain an error.
        // serde_json's recursion limit (128 levels) stays on: nothing that
        // deep is a report, and it keeps the stack safe.
        let mut de = serde_json::Deserializer::from_str(self.text);
        if let Ok(value) = seed.clone().deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_str(self.text);
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
        let inner = match seed.deserialize(tracked).and_then(|v| de.end().map(|()| v)) {
            Ok(value) => return Ok(value),
            Err(inner) => inner,
        };
        let path = track.path().to_string();
        let at = self.locate(inner.line(), inner.column());
        let message = vz::input::json_message(&inner);
        Err(if path == "." || path.is_empty() {
            Error::Parse { at, message }
        } else {
            Error::Invalid { at, path, message, suggestion: None }
        })
    }

    /// The location in the input of a line and column of this document.
    pub fn locate(&self, line: usize, column: usize) -> Location {
        if line == 0 {
            return Location::at(self.input, self.line, self.column);
        }
        let col = if line == 1 { self.column + column.saturating_sub(1) } else { column };
        Location::at(self.input, self.line + line - 1, col)
    }

    /// An error about the document as a whole (located at its start).
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Parse {
            at: Location::at(self.input, self.line, self.column),
            message: message.into(),
        }
    }
}

/// Splits an input's text into its JSON documents. Whitespace between
/// documents is allowed; anything else (broken or truncated JSON, text that
/// is not JSON) is an error at its line and column. An input with no
/// document at all is an error too.
pub fn split<'a>(text: &'a str, input: &'a str) -> Result<Vec<Doc<'a>>, Error> {
    split_with(text, input, PARALLEL_SPLIT_BYTES)
}

/// Streams at least this large are split on every core, and one document
/// this large is parsed while it is split.
pub const PARALLEL_SPLIT_BYTES: usize = 4 << 20;

fn split_with<'a>(text: &'a str, input: &'a str, parallel: usize) -> Result<Vec<Doc<'a>>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = match split_parallel(text, input, parallel) {
        Some(docs) => docs,
        None => split_part(text, input, 0).map_err(|(line, column, message)| Error::Parse {
            at: Location::at(input, line, column),
            message,
        })?,
    };
    if docs.is_empty() {
        return Err(Error::Parse {
            at: Location::input(input),
            message: "empty input: expected a scanner report (JSON)".to_string(),
        });
    }
    Ok(docs.into_iter().zip(1..).map(|(d, index)| Doc { index, ..d }).collect())
}

/// The documents of `part` (a whole text, or a piece of one starting at a
/// line start after `lines_before` lines), or where and why it is not a
/// run of whole JSON documents. Documents are numbered later.
fn split_part<'a>(
    part: &'a str,
    input: &'a str,
    lines_before: usize,
) -> Result<Vec<Doc<'a>>, (usize, usize, String)> {
    let mut docs = Vec::new();
    let mut lines = vz::text::LineCounter::default();
    let mut stream = serde_json::Deserializer::from_str(part).into_iter::<Shape<'a>>();
    loop {
        let after_last = stream.byte_offset();
        match stream.next() {
            None => return Ok(docs),
            Some(Ok(shape)) => {
                let between = &part[after_last..stream.byte_offset()];
                let text = between.trim_start_matches(JSON_SPACE);
                let start = stream.byte_offset() - text.len();
                let (line, column) = lines.line_col(part, start);
                let line = lines_before + line;
                docs.push(Doc { input, text, line, column, index: 0, shape: Some(shape) });
            }
            Some(Err(e)) => {
                // A key that tells the formats apart given twice is valid
                // JSON, but no report.
                let message = match e.classify() {
                    serde_json::error::Category::Data => vz::input::json_message(&e),
                    _ => format!("not valid JSON: {}", vz::input::json_message(&e)),
                };
                return Err((lines_before + e.line(), e.column(), message));
            }
        }
    }
}

/// A large stream cut into one piece per core at line starts that open an
/// object or a list (`\n{`, `\n[`), each piece split on its own core. A
/// piece that is not a run of whole documents means a cut fell inside one
/// (a proper prefix of an object or list never balances, and JSON strings
/// hold no raw line breaks, so a cut between whole pieces is always between
/// documents): then `None`, and the caller splits the whole text, which also
/// finds any real error exactly where a sequential read does.
fn split_parallel<'a>(text: &'a str, input: &'a str, parallel: usize) -> Option<Vec<Doc<'a>>> {
    let cores = vz::cores();
    if text.len() < parallel || cores < 2 {
        return None;
    }
    let mut cuts = vec![0];
    for k in 1..cores {
        let mut from = (text.len() * k / cores).max(*cuts.last()?);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let next = ["\n{", "\n["].iter().filter_map(|m| text[from..].find(m)).min();
        match next {
            Some(at) => cuts.push(from + at + 1),
            None => break,
        }
    }
    cuts.dedup();
    cuts.push(text.len());
    let pieces: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let split = vz::par::map(&pieces, 2, |&(start, end)| {
        let lines_before = memchr::memchr_iter(b'\n', &text.as_bytes()[..start]).count();
        split_part(&text[start..end], input, lines_before).ok()
    });
    let mut docs = Vec::new();
    for piece in split {
        docs.extend(piece?);
    }
    Some(docs)
}

/// An input of at least `min_bytes` (on more than one core) that looks like
/// one document: that document as the split will find it, and the format
/// its first key suggests. It can then be parsed on one core while the
/// split checks it on another (a single large report has nothing else to
/// run beside its split). Only a guess, so only a head start: the caller
/// keeps the parse only when the split finds exactly this document and
/// detection says the same format.
///
/// One document: no line but the first opens an object or list at its
/// start, which every scanner's pretty-printed or one-line output meets and
/// a stream of several documents does not.
pub fn single_guess<'a>(
    text: &'a str,
    input: &'a str,
    min_bytes: usize,
) -> Option<(Doc<'a>, Format)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() < min_bytes || vz::cores() < 2 {
        return None;
    }
    let body = text.trim_start_matches(JSON_SPACE);
    let start = text.len() - body.len();
    let body = body.trim_end_matches(JSON_SPACE);
    let rest = body.get(1..)?.as_bytes();
    if memchr::memmem::find(rest, b"\n{").is_some() || memchr::memmem::find(rest, b"\n[").is_some()
    {
        return None;
    }
    let format = match body.as_bytes().first()? {
        b'{' => match first_key(&body[1..])? {
            "SchemaVersion" | "ArtifactName" | "ClusterName" => Format::Trivy,
            "matches" => Format::Grype,
            "$schema" | "version" | "runs" => Format::Sarif,
            "vulnerabilities" | "ok" | "packageManager" => Format::Snyk,
            "results" => Format::Osv,
            "auditReportVersion" => Format::Npm,
            _ => return None,
        },
        b'[' => match first_key(body[1..].trim_start_matches(JSON_SPACE).strip_prefix('{')?)? {
            "Target" => Format::Trivy,
            "vulnerabilities" | "ok" | "packageManager" => Format::Snyk,
            _ => return None,
        },
        _ => return None,
    };
    let (line, column) = vz::text::line_col(text, start);
    Some((Doc { input, text: body, line, column, index: 1, shape: None }, format))
}

/// The first key of an object's members (`text` just after its `{`), when
/// it is written without escapes.
fn first_key(text: &str) -> Option<&str> {
    let key = text.trim_start_matches(JSON_SPACE).strip_prefix('"')?;
    let end = key.find(['"', '\\'])?;
    (key.as_bytes()[end] == b'"').then(|| &key[..end])
}

/// What JSON counts as white space.
const JSON_SPACE: [char; 4] = [' ', '\n', '\r', '\t'];

/// True for a key that is there, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// What a document's shape says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    /// A report of this format.
    Report(Format),
    /// The literal `null` (what old Trivy prints when it found nothing to
    /// scan): a report with no findings.
    Nothing,
}

/// A document's top level: enough to tell its format (FORMATS.md §1)
/// without reading it again. Any JSON value has one.
#[derive(Clone, Copy, Debug)]
pub enum Shape<'a> {
    /// `null` (what old Trivy prints when it found nothing to scan).
    Null,
    /// A string, number or boolean.
    Scalar,
    /// An object, by its keys.
    Object(Probe<'a>),
    /// An array: the keys of its first item when every item is an object
    /// (`None` when it is empty); `Err` when one is not an object.
    Array(Result<Option<Probe<'a>>, ()>),
}

impl<'de> Deserialize<'de> for Shape<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor { array: true })
    }
}

/// Reads a top-level value (`array`) or an array's item, of which only an
/// object matters: an array there is skipped (no stack for a deep one) and
/// seen as no object.
struct ShapeVisitor {
    array: bool,
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Shape::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Shape::Scalar)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Shape::Scalar)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Shape::Scalar)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Shape::Scalar)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Shape::Scalar)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Probe::deserialize(MapAccessDeserializer::new(map)).map(Shape::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if !self.array {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Shape::Scalar);
        }
        let mut first: Result<Option<Probe<'de>>, ()> = Ok(None);
        while let Some(item) = seq.next_element::<Item<'de>>()? {
            first = match (first, item.0) {
                (Ok(None), Shape::Object(p)) => Ok(Some(p)),
                (Ok(Some(p)), Shape::Object(_)) => Ok(Some(p)),
                _ => Err(()),
            };
        }
        Ok(Shape::Array(first))
    }
}

/// An array's item.
struct Item<'a>(Shape<'a>);

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor { array: false }).map(Item)
    }
}

/// The top-level keys that tell the formats apart (FORMATS.md §1); every
/// other key is skipped without being built.
#[derive(Clone, Copy, Debug, Deserialize, Default)]
#[allow(non_snake_case)]
pub struct Probe<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    runs: bool,
    #[serde(default, deserialize_with = "present")]
    SchemaVersion: bool,
    #[serde(default, deserialize_with = "present")]
    ArtifactName: bool,
    #[serde(default, deserialize_with = "present")]
    Results: bool,
    #[serde(default, deserialize_with = "present")]
    ClusterName: bool,
    #[serde(default, deserialize_with = "present")]
    Target: bool,
    #[serde(default, deserialize_with = "present")]
    matches: bool,
    /// Read only for a report with `matches` (see [`Descriptor`]).
    descriptor: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    vulnerabilities: bool,
    #[serde(default, deserialize_with = "present")]
    packageManager: bool,
    ok: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    results: bool,
    #[serde(default, deserialize_with = "present")]
    auditReportVersion: bool,
    #[serde(default, deserialize_with = "present")]
    advisories: bool,
    #[serde(default, deserialize_with = "present")]
    actions: bool,
}

/// Grype's `descriptor`, which names the scanner.
#[derive(Deserialize, Default)]
struct Descriptor<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
}

/// A document's `descriptor`, typed: an error names its place.
#[derive(Deserialize)]
struct Described<'a> {
    #[serde(borrow)]
    descriptor: Option<Descriptor<'a>>,
}

/// Detects a document's format from its shape. A shape no format has is
/// an error saying what was seen; so is a scanner's own error report
/// (Snyk's `{"ok": false, "error": …}`, npm's `{"error": …}`).
pub fn detect(doc: &Doc<'_>) -> Result<Detected, Error> {
    let shape = match doc.shape {
        Some(shape) => shape,
        None => doc.typed()?,
    };
    let p = match shape {
        Shape::Null => return Ok(Detected::Nothing),
        Shape::Scalar => return Err(doc.error(unknown_shape("a JSON scalar"))),
        // An empty array: nothing to tell it by, and nothing in it.
        Shape::Array(Ok(None)) => return Ok(Detected::Nothing),
        Shape::Array(Err(())) => return Err(doc.error(unknown_shape("an array"))),
        Shape::Array(Ok(Some(p))) => {
            return if p.Target {
                Ok(Detected::Report(Format::Trivy))
            } else if p.packageManager || p.vulnerabilities || p.ok.is_some() {
                Ok(Detected::Report(Format::Snyk))
            } else {
                Err(doc.error(unknown_shape("an array of objects")))
            };
        }
        Shape::Object(p) => p,
    };
    let format = if p.runs && p.version.is_some_and(|v| v.get() == "\"2.1.0\"") {
        Format::Sarif
    } else if p.runs && p.version.is_some() {
        let v = p.version.map_or("", |v| v.get());
        return Err(doc.error(format!("SARIF version {v} is not supported; expected \"2.1.0\"")));
    } else if p.SchemaVersion || (p.ArtifactName && p.Results) || p.ClusterName {
        Format::Trivy
    } else if p.matches && grype_or_unnamed(doc, p.descriptor)? {
        // Grype names itself in `descriptor`; hand-trimmed reports drop it.
        Format::Grype
    } else if p.auditReportVersion || (p.advisories && p.actions) {
        Format::Npm
    } else if p.ok.is_some() && p.error.is_some() {
        let message = p.error.map_or(String::new(), raw_text);
        return Err(doc.error(format!("this is Snyk's error report, not findings: {message}")));
    } else if p.vulnerabilities && (p.packageManager || p.ok.is_some()) {
        Format::Snyk
    } else if p.results {
        Format::Osv
    } else if let Some(e) = p.error {
        return Err(doc.error(format!("this is an error report, not findings: {}", raw_text(e))));
    } else {
        return Err(doc.error(unknown_shape("an object")));
    };
    Ok(Detected::Report(format))
}

/// Whether a report's `descriptor` names Grype, or there is none.
fn grype_or_unnamed(doc: &Doc<'_>, descriptor: Option<&RawValue>) -> Result<bool, Error> {
    let Some(raw) = descriptor else { return Ok(true) };
    let name = match serde_json::from_str::<Descriptor<'_>>(raw.get()) {
        Ok(d) => d.name,
        // Not a descriptor: read the document again to say where and why.
        Err(_) => doc.typed::<Described<'_>>()?.descriptor.and_then(|d| d.name),
    };
    Ok(name.as_deref() == Some("grype"))
}

fn raw_text(v: &RawValue) -> String {
    let value: serde_json::Value = serde_json::from_str(v.get()).unwrap_or(serde_json::Value::Null);
    let text = match &value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => o
            .get("summary")
            .or_else(|| o.get("message"))
            .or_else(|| o.get("detail"))
            .and_then(|m| m.as_str())
            .map_or_else(|| value.to_string(), str::to_string),
        other => other.to_string(),
    };
    let line = text.lines().next().unwrap_or("").trim();
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

fn unknown_shape(what: &str) -> String {
    format!(
        "not a report vz-scan-merge knows: {what} without the keys of Trivy, Grype, Snyk, SARIF 2.1.0, \
         OSV-Scanner or npm audit JSON (name the format with --from if it is one of them)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str, parallel: usize) -> Result<Vec<(usize, usize, usize, usize)>, String> {
        let docs = split_with(text, "s.json", parallel).map_err(|e| e.to_string())?;
        Ok(docs
            .iter()
            .map(|d| (vz::text::offset_in(text, d.text), d.line, d.column, d.index))
            .collect())
    }

    /// A stream whose documents hold `\n{` and `\n[` lines of their own
    /// (objects in lists at column 0), so that cuts fall inside documents
    /// too, and non-ASCII text, so that a cut can fall inside a character.
    fn stream(n: usize) -> String {
        let mut s = String::from("\u{feff}");
        for i in 0..n {
            match i % 4 {
                0 => s.push_str(&format!("{{\"a\": [\n{{\"b\": {i}}},\n[\"ü{i}\"]\n]}}\n")),
                1 => s.push_str(&format!("[{{\"x\": \"é\\u00e9 {i}\"}}]  {{\"y\": {i}}}\n")),
                2 => s.push_str("null\n\n"),
                _ => s.push_str(&format!("  {{\n  \"k\": \"{}\"\n}}\n", "ñ".repeat(i % 7))),
            }
        }
        s
    }

    #[test]
    fn a_stream_split_on_every_core_is_split_as_one_core_splits_it() {
        for n in [1, 2, 3, 7, 40, 401] {
            let text = stream(n);
            let one = docs(&text, usize::MAX).unwrap();
            for parallel in [0, 1, 64] {
                assert_eq!(docs(&text, parallel).unwrap(), one, "{n} documents");
            }
        }
    }

    #[test]
    fn cuts_between_documents_are_kept_and_cuts_inside_one_are_refused() {
        if vz::cores() < 2 {
            return; // one core never cuts
        }
        let flat: String = (0..100).map(|i| format!("{{\"a\": {i}}}\n")).collect();
        let pieces = split_parallel(&flat, "s.json", 0).expect("cut between documents");
        assert_eq!(pieces.len(), 100);
        // The only `\n{` after the middle is inside the one document.
        let one = format!("{{\"a\": [{}\n{{\"b\": 1}}\n]}}", "1, ".repeat(50));
        assert!(split_parallel(&one, "s.json", 0).is_none());
        assert_eq!(docs(&one, 0).unwrap().len(), 1);
    }

    #[test]
    fn the_split_sees_each_document_as_a_second_reading_does() {
        let odd = [
            "null",
            "1",
            "\"s\"",
            "true",
            "[]",
            "[1]",
            "[[[[1]]]]",
            "[{}]",
            "{}",
            "[{\"Target\": 1}]",
            "[{\"Target\": 1}, 2]",
            "[{\"packageManager\": \"npm\"}, {}]",
            "{\"runs\": [], \"version\": \"2.1.0\"}",
            "{\"runs\": [], \"version\": \"2.0.0\"}",
            "{\"matches\": [], \"descriptor\": {\"name\": \"grype\"}}",
            "{\"matches\": [], \"descriptor\": {\"name\": \"syft\"}}",
            "{\"matches\": [], \"descriptor\": 5}",
            "{\"matches\": [], \"descriptor\": null}",
            "{\"ok\": false, \"error\": \"boom\"}",
            "{\"error\": {\"summary\": \"x\"}}",
            "{\"results\": []}",
            "{\"auditReportVersion\": 2}",
        ];
        let mut texts = vec![odd.join("\n")];
        texts.extend(crate::testutil::corpus());
        let mut seen = 0;
        for text in &texts {
            let Ok(docs) = split(text, "t.json") else { continue };
            for doc in docs {
                let again = Doc { shape: None, ..doc };
                let detected = |d: &Doc<'_>| detect(d).map_err(|e| e.to_string());
                assert_eq!(
                    detected(&doc),
                    detected(&again),
                    "{}",
                    &doc.text[..doc.text.len().min(60)]
                );
                seen += 1;
            }
        }
        assert!(seen >= odd.len(), "{seen} documents");
        // A key that tells the formats apart, twice: an error at the second.
        let twice = split("{\"runs\": [],\n \"runs\": []}", "s.json").unwrap_err();
        assert_eq!(twice.to_string(), "s.json:2:7: duplicate field `runs`");
        // A descriptor that is not one is an error at its place.
        let bad = split("{\"matches\": [],\n \"descriptor\": 5}", "g.json").unwrap();
        assert_eq!(
            detect(&bad[0]).unwrap_err().to_string(),
            "g.json:2:16: descriptor: invalid type: integer `5`, expected struct Descriptor"
        );
    }

    #[test]
    fn a_broken_stream_gets_the_same_error_either_way() {
        let good = stream(40);
        for broken in [
            format!("{good}{{\"a\": [1, 2"),
            format!("{{\"a\": 1}}\n{{oops}}\n{good}"),
            format!("{good}\n]\n{good}"),
            format!("{}\n{{\"z\": tru}}\n{}", &good[..good.len() / 2], &good[good.len() / 2..]),
        ] {
            let one = docs(&broken, usize::MAX).unwrap_err();
            assert!(one.contains("not valid JSON"), "{one}");
            assert_eq!(docs(&broken, 0).unwrap_err(), one);
        }
        assert_eq!(
            docs(" \n ", 0).unwrap_err(),
            "s.json: empty input: expected a scanner report (JSON)"
        );
    }
}
