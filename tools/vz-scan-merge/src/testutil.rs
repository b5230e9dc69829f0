//! Helpers for unit tests.

use crate::input::{self, Detected, Doc};
use crate::model::Report;

/// Parses every document of `text` (named `name`) with format detection,
/// panicking with the error's message on failure.
pub fn parse_all(text: &str, name: &str) -> Vec<Report> {
    try_parse_all(text, name).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`parse_all`], returning the error's message.
pub fn try_parse_all(text: &str, name: &str) -> Result<Vec<Report>, String> {
    let docs: Vec<Doc<'_>> = input::split(text, name).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for doc in &docs {
        match input::detect(doc).map_err(|e| e.to_string())? {
            Detected::Nothing => {}
            Detected::Report(f) => {
                out.extend(crate::parse::parse(doc, f).map_err(|e| e.to_string())?)
            }
        }
    }
    Ok(out)
}

/// The text of a file of the shared conformance corpus
/// (`../shared/fixtures/scans/<rel>`), or `None` after saying loudly on
/// stderr that the corpus is missing (CI always has it).
pub fn shared(rel: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/scans")
        .join(rel);
    match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "SKIPPED: {} not readable ({e}); the shared corpus is missing",
                    path.display()
                );
            }
            None
        }
    }
}

/// The text of every file of the shared conformance corpus (the malformed
/// one included: it is read as text).
pub fn corpus() -> Vec<String> {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/scans");
    let Some(dirs) = std::fs::read_dir(&root).ok() else {
        return shared("FORMATS.md").map(|_| Vec::new()).unwrap_or_default();
    };
    let mut texts = Vec::new();
    for dir in dirs.flatten().filter(|d| d.path().is_dir()) {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            if let Ok(text) = std::fs::read_to_string(file.path()) {
                texts.push(text);
            }
        }
    }
    texts
}
