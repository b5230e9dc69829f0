//! Reading reports: each input (a file, or standard input) holds one or more
//! JSON documents, one after another; each document is one report whose
//! format is detected from its shape (FORMATS.md §1) unless `--from` says.
//!
//! Documents are first split as raw JSON (validating the syntax, without
//! building values), then each is deserialised straight into the parser's
//! own typed structs; every error names the input, the line and column, and
//! the path of the field (`Results[0].Vulnerabilities[3]`).

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
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
}

impl<'a> Doc<'a> {
    /// Deserialises the whole document into `T`. A value of the wrong type,
    /// or a missing required field, is an error naming the input, the line
    /// and column, and the path of the field.
    pub fn typed<T: Deserialize<'a>>(&self) -> Result<T, Error> {
        // The fast path first; tracking the path of every field costs a
        // third of the time, so it is paid only to explain an error.
        // serde_json's recursion limit (128 levels) stays on: nothing that
        // deep is a report, and it keeps the stack safe.
        if let Ok(value) = serde_json::from_str(self.text) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_str(self.text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let at = self.locate(inner.line(), inner.column());
            let message = vz::input::json_message(&inner);
            if path == "." || path.is_empty() {
                Error::Parse { at, message }
            } else {
                Error::Invalid { at, path, message, suggestion: None }
            }
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = Vec::new();
    let mut lines = LineCounter::default();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    loop {
        match stream.next() {
            None => break,
            Some(Ok(raw)) => {
                let slice = raw.get();
                let start = slice.as_ptr() as usize - text.as_ptr() as usize;
                let (line, column) = lines.line_col(text, start);
                docs.push(Doc { input, text: slice, line, column, index: docs.len() + 1 });
            }
            Some(Err(e)) => {
                return Err(Error::Parse {
                    at: Location::at(input, e.line(), e.column()),
                    message: format!("not valid JSON: {}", vz::input::json_message(&e)),
                });
            }
        }
    }
    if docs.is_empty() {
        return Err(Error::Parse {
            at: Location::input(input),
            message: "empty input: expected a scanner report (JSON)".to_string(),
        });
    }
    Ok(docs)
}

/// Lines and columns of increasing offsets, counting each byte once (a
/// stream of thousands of documents must not be rescanned from the start
/// for each).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    fn line_col(&mut self, text: &str, offset: usize) -> (usize, usize) {
        let bytes = &text.as_bytes()[self.offset..offset];
        // Counting with `filter().count()` vectorises; the last line start is
        // found from the end, where it usually is.
        self.line += bytes.iter().filter(|b| **b == b'\n').count();
        if let Some(i) = bytes.iter().rposition(|b| *b == b'\n') {
            self.line_start = self.offset + i + 1;
        }
        self.offset = offset;
        let column = text[self.line_start..offset].chars().count() + 1;
        (self.line + 1, column)
    }
}

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

/// The top-level keys that tell the formats apart (FORMATS.md §1); every
/// other key is skipped without being built.
#[derive(Deserialize, Default)]
#[allow(non_snake_case)]
struct Probe<'a> {
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
    descriptor: Option<Descriptor<'a>>,
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

#[derive(Deserialize, Default)]
struct Descriptor<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
}

/// Detects a document's format from its shape. A shape no format has is
/// an error saying what was seen; so is a scanner's own error report
/// (Snyk's `{"ok": false, "error": …}`, npm's `{"error": …}`).
pub fn detect(doc: &Doc<'_>) -> Result<Detected, Error> {
    let first = doc.text.trim_start().as_bytes().first().copied();
    match first {
        Some(b'n') => return Ok(Detected::Nothing),
        Some(b'[') => {
            let items: Vec<Probe<'_>> = doc.typed().map_err(|e| match e {
                // Too deep to be a report: say so, at the place.
                Error::Parse { .. } => e,
                Error::Invalid { message, .. } if message.contains("recursion limit") => {
                    doc.error(message)
                }
                _ => doc.error(unknown_shape("an array")),
            })?;
            return match items.first() {
                // An empty array: nothing to tell it by, and nothing in it.
                None => Ok(Detected::Nothing),
                Some(p) if p.Target => Ok(Detected::Report(Format::Trivy)),
                Some(p) if p.packageManager || p.vulnerabilities || p.ok.is_some() => {
                    Ok(Detected::Report(Format::Snyk))
                }
                Some(_) => Err(doc.error(unknown_shape("an array of objects"))),
            };
        }
        Some(b'{') => {}
        _ => return Err(doc.error(unknown_shape("a JSON scalar"))),
    }
    let p: Probe<'_> = doc.typed()?;
    let format = if p.runs && p.version.is_some_and(|v| v.get() == "\"2.1.0\"") {
        Format::Sarif
    } else if p.runs && p.version.is_some() {
        let v = p.version.map_or("", |v| v.get());
        return Err(doc.error(format!("SARIF version {v} is not supported; expected \"2.1.0\"")));
    } else if p.SchemaVersion || (p.ArtifactName && p.Results) || p.ClusterName {
        Format::Trivy
    } else if p.matches && p.descriptor.as_ref().is_none_or(|d| d.name.as_deref() == Some("grype"))
    {
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
