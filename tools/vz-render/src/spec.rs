//! Loading the deploy spec: one YAML or JSON document, its skeleton checked
//! (the values themselves are checked after merging), environments and their
//! aliases resolved.

use crate::model::{Environment, Spec};
use serde::Deserialize as _;
use std::path::{Path, PathBuf};
use vz::input::{Document, Input, Locate};
use vz::{Error, Location};

/// A loaded spec and the document it came from (for locations).
#[derive(Debug)]
pub struct Loaded {
    /// The spec.
    pub spec: Spec,
    /// The parsed document, with the location of every key and value when
    /// loaded with [`Locate::Everything`].
    pub doc: Document,
    /// The directory relative paths in the spec are resolved against.
    pub dir: PathBuf,
}

/// The spec's text, read once (standard input cannot be read twice).
#[derive(Debug)]
pub struct Source {
    /// The input's name in messages.
    pub name: String,
    /// The text.
    pub text: String,
    /// The directory relative paths in the spec are resolved against.
    pub dir: PathBuf,
}

/// Reads the spec named by `input`.
pub fn read(input: &Input) -> Result<Source, Error> {
    let dir = match input {
        Input::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        Input::Stdin => PathBuf::from("."),
    };
    Ok(Source { name: input.name(), text: input.read_text()?, dir })
}

/// Parses and checks a spec; errors name the line and column of what they
/// are about when `locate` is [`Locate::Everything`] (otherwise the start of
/// the document).
pub fn parse(source: &Source, locate: Locate) -> Result<Loaded, Error> {
    let name = &source.name;
    let mut docs = vz::input::parse_documents(&source.text, name, locate)?;
    let doc = match docs.len() {
        0 => {
            return Err(Error::Invalid {
                at: Location::input(name),
                path: String::new(),
                message: "the deploy spec is empty: expected a map with `app`, `values` and `environments`".into(),
                suggestion: None,
            });
        }
        1 => docs.remove(0),
        n => {
            return Err(Error::Invalid {
                at: docs[1].at.clone(),
                path: String::new(),
                message: format!("a deploy spec is one document, found {n}"),
                suggestion: None,
            });
        }
    };
    if !doc.value.is_object() {
        return Err(Error::Invalid {
            at: doc.at.clone(),
            path: String::new(),
            message: "the deploy spec must be a map with `app`, `values` and `environments`".into(),
            suggestion: None,
        });
    }
    // The typed read is the check on the happy path; the schema validator
    // (milliseconds to compile) runs only to explain a spec that fails it.
    let spec = match Spec::deserialize(&doc.value) {
        Ok(spec) if is_app_name(&spec.app) => spec,
        failed => {
            crate::validate::check(&crate::model::skeleton_schema(), &doc.value, &|p, key| {
                doc.locate(p, key)
            })?;
            failed.map_err(|e| Error::Invalid {
                at: doc.at.clone(),
                path: String::new(),
                message: e.to_string(),
                suggestion: None,
            })?
        }
    };
    check_aliases(&spec, &doc)?;
    Ok(Loaded { spec, doc, dir: source.dir.clone() })
}

/// A name vz-render builds object names from (the app, each service): a
/// DNS-1035 label of at most 40 characters, the schema's `app` pattern
/// `^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$`.
pub fn is_app_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last() != Some(&b'-')
}

fn check_aliases(spec: &Spec, doc: &Document) -> Result<(), Error> {
    let mut seen: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    for (name, env) in &spec.environments {
        for alias in std::iter::once(name.as_str()).chain(env.aliases.iter().map(String::as_str)) {
            if let Some(other) = seen.insert(alias, name)
                && other != name
            {
                let path = format!("environments.{name}.aliases");
                errors.push(Error::Invalid {
                    at: doc.locate(&path, false),
                    path,
                    message: format!("`{alias}` already names environment `{other}`"),
                    suggestion: None,
                });
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::many(errors)) }
}

/// The environment `wanted` names (by name or alias).
pub fn environment<'s>(spec: &'s Spec, wanted: &str) -> Result<(&'s str, &'s Environment), Error> {
    for (name, env) in &spec.environments {
        if name == wanted || env.aliases.iter().any(|a| a == wanted) {
            return Ok((name, env));
        }
    }
    let known: Vec<String> = spec
        .environments
        .iter()
        .map(|(n, e)| {
            if e.aliases.is_empty() { n.clone() } else { format!("{n} ({})", e.aliases.join(", ")) }
        })
        .collect();
    let names = spec
        .environments
        .iter()
        .flat_map(|(n, e)| std::iter::once(n.as_str()).chain(e.aliases.iter().map(String::as_str)));
    let hint = vz::error::suggest(wanted, names)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    let known = if known.is_empty() { "none are defined".to_string() } else { known.join(", ") };
    Err(Error::usage(format!("unknown environment `{wanted}`{hint}; known: {known}")))
}

#[cfg(test)]
mod tests {
    use super::is_app_name;

    #[test]
    fn app_names_follow_the_schema_pattern() {
        for ok in ["a", "vektagraf", "my-app-2", &"a".repeat(40)] {
            assert!(is_app_name(ok), "{ok}");
        }
        for bad in ["", "A", "-a", "a-", "2a", "a_b", "a.b", &"a".repeat(41)] {
            assert!(!is_app_name(bad), "{bad}");
        }
    }
}
