//! The layers a render's values come from, merged in order, with the
//! history of every value kept for messages and `--explain`:
//!
//! 1. `values` (the spec's base),
//! 2. `environments.ENV.values` (the overlay),
//! 3. `${VAR}` substitution from the process environment (on what survived),
//! 4. `--set path=value`, in order,
//! 5. `serviceDefaults` merged under every service.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use vz::input::Document;
use vz::merge::{Change, ListKeys};
use vz::path::{self, Segment};
use vz::{Error, Location};

/// Where one value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The layer, as a user would name it: `values`, `environments.production.values`,
    /// `--set services.app.replicas=5`, `$TAG`, `serviceDefaults`.
    pub layer: String,
    /// Where in a file the value was written, when it was.
    pub at: Option<Location>,
    /// Where the key holding it was written, when it was.
    pub key_at: Option<Location>,
    /// The layer removed the value (`null`) rather than set it.
    pub removed: bool,
}

/// The merged values and the history of each path.
#[derive(Debug, Default)]
pub struct Layered {
    /// The merged values.
    pub values: Value,
    /// Path → every layer that set or removed it, oldest first.
    pub history: BTreeMap<String, Vec<Origin>>,
    /// Keep no history: for a run that will not be asked where a value came
    /// from (a render that succeeds). Recording it is a fifth of a small
    /// render; a run that fails is made again with it, to say where.
    pub quiet: bool,
}

impl Layered {
    /// The origin of the value at `path`: the last layer that set it or, failing
    /// that, its nearest ancestor.
    pub fn origin(&self, path: &str) -> Option<&Origin> {
        let mut p = path;
        loop {
            if let Some(o) = self.history.get(p).and_then(|h| h.iter().rev().find(|o| !o.removed)) {
                return Some(o);
            }
            p = path::parent(p)?;
        }
    }

    /// The location to print for a problem at `path`: where its value was
    /// written or, for a map only its leaves record, where its first entry
    /// was written; failing both, its nearest ancestor's.
    pub fn locate(&self, path: &str, fallback: &Location) -> Location {
        let own = self.history.get(path).and_then(|h| h.iter().rev().find(|o| !o.removed));
        let first_entry = || {
            self.history
                .range(path.to_string()..)
                .take_while(|(k, _)| k.starts_with(path))
                .find(|(k, _)| matches!(k.as_bytes().get(path.len()), Some(b'.' | b'[')))
                .and_then(|(_, h)| h.iter().rev().find(|o| !o.removed))
                .and_then(|o| o.key_at.clone())
        };
        own.and_then(|o| o.at.clone())
            .or_else(first_entry)
            .or_else(|| self.origin(path).and_then(|o| o.at.clone()))
            .unwrap_or_else(|| fallback.clone())
    }

    /// The location of the key holding `path` (for unknown and missing
    /// fields), falling back to the value's.
    pub fn locate_key(&self, path: &str, fallback: &Location) -> Location {
        self.history
            .get(path)
            .and_then(|h| h.iter().rev().find(|o| !o.removed))
            .and_then(|o| o.key_at.clone())
            .unwrap_or_else(|| self.locate(path, fallback))
    }

    fn record(&mut self, path: &str, origin: Origin) {
        if !self.quiet {
            self.history.entry(path.to_string()).or_default().push(origin);
        }
    }

    /// Merges one layer of the spec document found under `prefix`
    /// (`values` or `environments.production.values`).
    pub fn merge_layer(&mut self, spec: &Document, prefix: &str, overlay: Value, keys: &ListKeys) {
        if self.quiet {
            vz::merge::merge_keyed(&mut self.values, overlay, keys);
            return;
        }
        let mut changes = Vec::new();
        vz::merge::merge_with(&mut self.values, overlay, keys, &mut |p, c| {
            changes.push((p.to_string(), c));
        });
        for (p, change) in changes {
            let file_path = join(prefix, &p);
            let removed = change == Change::Removed;
            let at = spec.locate(&file_path, removed);
            let key_at = spec.locate(&file_path, true);
            let origin =
                Origin { layer: prefix.to_string(), at: Some(at), key_at: Some(key_at), removed };
            if removed {
                // A removal ends the history of everything below the path.
                let below: Vec<String> =
                    self.explain(&p).into_iter().map(|(k, _)| k.to_string()).collect();
                for k in below {
                    self.record(&k, origin.clone());
                }
            } else {
                self.record(&p, origin);
            }
        }
    }

    /// Substitutes `${VAR}` in every value; every missing variable is
    /// reported at once.
    pub fn substitute(
        &mut self,
        lookup: &dyn Fn(&str) -> Option<String>,
        fallback: &Location,
    ) -> Result<(), Error> {
        let mut used = Vec::new();
        let problems = vz::subst::substitute_tree(&mut self.values, lookup, &mut |p, var| {
            used.push((p.to_string(), var.to_string()));
        });
        let mut errors = Vec::new();
        for m in &problems.malformed {
            errors.push(Error::Invalid {
                at: self.locate(&m.path, fallback),
                path: m.path.clone(),
                message: m.message.clone(),
                suggestion: None,
            });
        }
        for m in &problems.missing {
            let message = match &m.message {
                Some(msg) => format!("${{{}}} is not set: {msg}", m.var),
                None => format!(
                    "${{{}}} is not set (export it, or write ${{{}:-default}})",
                    m.var, m.var
                ),
            };
            errors.push(Error::Invalid {
                at: self.locate(&m.path, fallback),
                path: m.path.clone(),
                message,
                suggestion: None,
            });
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        for (p, var) in used {
            let (at, key_at) =
                self.origin(&p).map(|o| (o.at.clone(), o.key_at.clone())).unwrap_or_default();
            self.record(&p, Origin { layer: format!("${var}"), at, key_at, removed: false });
        }
        Ok(())
    }

    /// Applies one `--set path=value` (the value typed as YAML reads it;
    /// `null` removes the key).
    pub fn set(&mut self, assignment: &str) -> Result<(), Error> {
        let (p, raw) = assignment.split_once('=').ok_or_else(|| {
            Error::usage(format!(
                "--set {assignment}: expected PATH=VALUE, e.g. services.app.replicas=3"
            ))
        })?;
        let segments =
            path::parse(p.trim()).map_err(|m| Error::usage(format!("--set {assignment}: {m}")))?;
        let value = vz::scalar::typed(raw);
        let removed = value.is_null();
        set_at(&mut self.values, &segments, value)
            .map_err(|m| Error::usage(format!("--set {assignment}: {m}")))?;
        let canonical = path::join(&segments);
        let layer = format!("--set {assignment}");
        self.record(&canonical, Origin { layer, at: None, key_at: None, removed });
        Ok(())
    }

    /// Merges `serviceDefaults` under every service, then drops it.
    pub fn apply_service_defaults(&mut self) {
        let Some(root) = self.values.as_object_mut() else { return };
        let defaults = root.remove("serviceDefaults").unwrap_or(Value::Null);
        if !matches!(&defaults, Value::Object(m) if !m.is_empty()) {
            return;
        }
        let Some(Value::Object(services)) = root.get_mut("services") else { return };
        let default_history: Vec<(String, Vec<Origin>)> = self
            .history
            .range("serviceDefaults".to_string()..)
            .take_while(|(k, _)| k.starts_with("serviceDefaults"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (name, svc) in services.iter_mut() {
            let own = std::mem::take(svc);
            let mut merged = defaults.clone();
            vz::merge::merge(&mut merged, own);
            *svc = merged;
            let base = path::key("services", name);
            for (k, origins) in &default_history {
                let target = format!("{base}{}", &k["serviceDefaults".len()..]);
                let entry = self.history.entry(target).or_default();
                let mut with = origins.clone();
                with.append(entry);
                *entry = with;
            }
        }
    }

    /// Every recorded history at or below `path`, for `--explain`.
    pub fn explain(&self, path: &str) -> Vec<(&str, &[Origin])> {
        self.history
            .iter()
            .filter(|(k, _)| {
                path.is_empty()
                    || k.as_str() == path
                    || (k.starts_with(path)
                        && matches!(k.as_bytes().get(path.len()), Some(b'.' | b'[')))
            })
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect()
    }
}

fn join(prefix: &str, p: &str) -> String {
    match (prefix.is_empty(), p.is_empty()) {
        (_, true) => prefix.to_string(),
        (true, false) => p.to_string(),
        (false, false) if p.starts_with('[') => format!("{prefix}{p}"),
        (false, false) => format!("{prefix}.{p}"),
    }
}

fn set_at(root: &mut Value, segments: &[Segment], value: Value) -> Result<(), String> {
    let Some((last, parents)) = segments.split_last() else {
        return Err("the path is empty".into());
    };
    let mut cur = root;
    for (i, seg) in parents.iter().enumerate() {
        let next_is_index = matches!(segments.get(i + 1), Some(Segment::Index(_)));
        cur = match seg {
            Segment::Key(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                let map = cur.as_object_mut().ok_or("not a map")?;
                map.entry(k.clone()).or_insert_with(|| {
                    if next_is_index { Value::Array(Vec::new()) } else { Value::Object(Map::new()) }
                })
            }
            Segment::Index(n) => {
                let list = cur
                    .as_array_mut()
                    .ok_or_else(|| format!("`{}` is not a list", path::join(&segments[..i])))?;
                if *n == list.len() {
                    list.push(if next_is_index {
                        Value::Array(vec![])
                    } else {
                        Value::Object(Map::new())
                    });
                }
                let len = list.len();
                list.get_mut(*n).ok_or_else(|| {
                    format!(
                        "index {n} is past the end of `{}` ({len} items)",
                        path::join(&segments[..i])
                    )
                })?
            }
        };
    }
    match last {
        Segment::Key(k) => {
            if !cur.is_object() {
                *cur = Value::Object(Map::new());
            }
            let map = cur.as_object_mut().ok_or("not a map")?;
            if value.is_null() {
                map.remove(k);
            } else {
                map.insert(k.clone(), value);
            }
        }
        Segment::Index(n) => {
            let list = cur
                .as_array_mut()
                .ok_or_else(|| format!("`{}` is not a list", path::join(parents)))?;
            let len = list.len();
            match n.cmp(&len) {
                std::cmp::Ordering::Less => list[*n] = value,
                std::cmp::Ordering::Equal => list.push(value),
                std::cmp::Ordering::Greater => {
                    return Err(format!(
                        "index {n} is past the end of `{}` ({len} items)",
                        path::join(parents)
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_creates_paths_types_values_and_removes_with_null() {
        let mut l = Layered {
            values: json!({"services": {"app": {"ports": [{"name": "http"}]}}}),
            ..Default::default()
        };
        l.set("services.app.replicas=5").unwrap();
        l.set("services.app.ports[0].port=8080").unwrap();
        l.set("services.app.ports[1].name=grpc").unwrap();
        l.set("services.app.tag=\"1.0\"").unwrap();
        l.set("labels[\"app.kubernetes.io/team\"]=core").unwrap();
        assert_eq!(
            l.values,
            json!({"labels": {"app.kubernetes.io/team": "core"}, "services": {"app": {
                "replicas": 5, "tag": "1.0", "ports": [{"name": "http", "port": 8080}, {"name": "grpc"}]}}})
        );
        l.set("services.app.replicas=null").unwrap();
        assert!(l.values["services"]["app"].get("replicas").is_none());
        let e = l.set("services.app.ports[5].name=x").unwrap_err().to_string();
        assert_eq!(
            e,
            "--set services.app.ports[5].name=x: index 5 is past the end of `services.app.ports` (2 items)"
        );
        assert!(l.set("nothing").unwrap_err().to_string().contains("expected PATH=VALUE"));
    }

    #[test]
    fn service_defaults_merge_under_each_service() {
        let mut l = Layered {
            values: json!({"serviceDefaults": {"replicas": 2, "env": {"A": "1"}},
                           "services": {"a": {"env": {"B": "2"}}, "b": {"replicas": 4}}}),
            ..Default::default()
        };
        l.record(
            "serviceDefaults.replicas",
            Origin { layer: "values".into(), at: None, key_at: None, removed: false },
        );
        l.apply_service_defaults();
        assert_eq!(
            l.values,
            json!({"services": {"a": {"replicas": 2, "env": {"A": "1", "B": "2"}}, "b": {"replicas": 4, "env": {"A": "1"}}}})
        );
        assert_eq!(l.origin("services.a.replicas").map(|o| o.layer.as_str()), Some("values"));
    }
}
