//! JSON Schema validation with messages that point into the user's files:
//! each problem names the file, line and column where the offending value
//! (or key) was written, the path, what was expected, and the near miss.

use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use vz::{Error, Location};

/// Validates `instance` against `schema`; `locate(path, key)` says where the
/// value (or, with `key`, the key) at a path was written. All problems are
/// reported at once, in path order.
pub fn check(
    schema: &Value,
    instance: &Value,
    locate: &dyn Fn(&str, bool) -> Location,
) -> Result<(), Error> {
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| Error::usage(format!("internal schema error: {e}")))?;
    let mut found: Vec<(String, Error)> = Vec::new();
    for err in validator.iter_errors(instance) {
        collect(&err, schema, instance, locate, &mut found);
    }
    if found.is_empty() {
        return Ok(());
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.dedup_by(|a, b| a.0 == b.0 && a.1.to_string() == b.1.to_string());
    Err(Error::many(found.into_iter().map(|(_, e)| e).collect()))
}

/// The value constraints of the values schema (`pattern`, `minimum`,
/// `maximum`, `minLength`, `minItems`, `not: {const}`) and the keywords that
/// lead to them (`$ref`, `$defs`, `properties`, `additionalProperties`,
/// `items`, `anyOf`/`oneOf`), as [`crate::model::generate_constraints`]
/// writes them. Types, required and unknown fields are the typed read's
/// job; together they are the happy path, and [`check`] (whose validator
/// takes milliseconds to compile) runs only to explain a failure.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Constraints {
    #[serde(rename = "$ref")]
    reference: Option<String>,
    #[serde(rename = "$defs")]
    defs: BTreeMap<String, Constraints>,
    any_of: Vec<Constraints>,
    one_of: Vec<Constraints>,
    /// Kept only as `null`, to tell an `Option`'s branches apart.
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "const")]
    constant: Option<Value>,
    properties: BTreeMap<String, Constraints>,
    additional_properties: Option<Box<Constraints>>,
    items: Option<Box<Constraints>>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_length: Option<f64>,
    min_items: Option<f64>,
    pattern: Option<Pattern>,
    not: Option<Box<Constraints>>,
}

/// A `pattern`, compiled when a value first meets it.
#[derive(Debug)]
struct Pattern {
    source: String,
    regex: OnceLock<Option<regex_lite::Regex>>,
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Pattern { source: String::deserialize(d)?, regex: OnceLock::new() })
    }
}

impl Pattern {
    /// An invalid pattern matches nothing, as the validator refuses it.
    fn is_match(&self, text: &str) -> bool {
        self.regex
            .get_or_init(|| regex_lite::Regex::new(&self.source).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    }
}

impl Constraints {
    /// The constraints of the values schema
    /// ([`crate::model::VALUES_CONSTRAINTS`]), read once per run; `None` if
    /// they do not read (a test says they do), and then every value goes
    /// to the full validator.
    pub fn values() -> Option<&'static Constraints> {
        static VALUES: OnceLock<Option<Constraints>> = OnceLock::new();
        VALUES.get_or_init(|| Constraints::parse(crate::model::VALUES_CONSTRAINTS).ok()).as_ref()
    }

    /// Reads the constraints of a schema's text.
    pub fn parse(schema: &str) -> Result<Constraints, serde_json::Error> {
        serde_json::from_str(schema)
    }

    /// Returns true if and only if `instance` meets every constraint.
    pub fn allow(&self, instance: &Value) -> bool {
        self.meets(self, instance)
    }

    fn meets(&self, node: &Constraints, v: &Value) -> bool {
        let Some(node) = self.resolve(node) else { return true };
        if v.is_null() {
            return true;
        }
        if let Some(x) = v.as_f64()
            && (node.minimum.is_some_and(|m| x < m) || node.maximum.is_some_and(|m| x > m))
        {
            return false;
        }
        if let Some(text) = v.as_str() {
            if node.min_length.is_some_and(|m| (text.chars().count() as f64) < m) {
                return false;
            }
            if node.pattern.as_ref().is_some_and(|p| !p.is_match(text)) {
                return false;
            }
        }
        if node.not.as_ref().and_then(|n| n.constant.as_ref()).is_some_and(|c| c == v) {
            return false;
        }
        match v {
            Value::Array(items) => {
                if node.min_items.is_some_and(|m| (items.len() as f64) < m) {
                    return false;
                }
                node.items.as_deref().is_none_or(|item| items.iter().all(|i| self.meets(item, i)))
            }
            Value::Object(m) => m.iter().all(|(k, child)| {
                match node.properties.get(k).or(node.additional_properties.as_deref()) {
                    Some(sub) => self.meets(sub, child),
                    None => true,
                }
            }),
            _ => true,
        }
    }

    /// Follows `$ref` and the branch of an `anyOf`/`oneOf` that is not
    /// `null` (an `Option`), as [`resolve`] does on the schema's `Value`.
    fn resolve<'s>(&'s self, mut node: &'s Constraints) -> Option<&'s Constraints> {
        for _ in 0..16 {
            if let Some(r) = &node.reference {
                node = self.defs.get(r.strip_prefix("#/$defs/")?)?;
                continue;
            }
            let branches = if node.any_of.is_empty() { &node.one_of } else { &node.any_of };
            let enumeration = branches.iter().all(|b| b.constant.is_some());
            if !enumeration
                && let Some(b) = branches.iter().find(|b| b.kind.as_deref() != Some("null"))
            {
                node = b;
                continue;
            }
            return Some(node);
        }
        Some(node)
    }
}

fn collect(
    err: &jsonschema::ValidationError<'_>,
    schema: &Value,
    instance: &Value,
    locate: &dyn Fn(&str, bool) -> Location,
    out: &mut Vec<(String, Error)>,
) {
    use jsonschema::error::ValidationErrorKind as K;
    let path = pointer_to_path(err.instance_path().as_str(), instance);
    let node = schema_at(schema, &path);
    let custom = node.and_then(|n| n.get("x-vz-message")).and_then(Value::as_str);
    let value = err.instance();
    let (path, key, message, suggestion) = match err.kind() {
        K::AnyOf { .. } | K::OneOfNotValid { .. } if const_options(node).is_some() => {
            // A documented enum: `oneOf` of `const`s, one per variant.
            let opts = const_options(node).unwrap_or_default();
            let suggestion =
                value.as_str().and_then(|v| vz::error::suggest(v, opts.iter().map(String::as_str)));
            (
                path,
                false,
                format!("{} is not one of: {}", short(value), opts.join(", ")),
                suggestion,
            )
        }
        K::AnyOf { context } | K::OneOfNotValid { context } => {
            // Option<T> is `anyOf: [T, null]`: report the branch that is not `null`.
            for branch in context {
                let null_branch = branch.iter().all(|e| matches!(e.kind(), K::Type { .. }))
                    && branch.iter().any(|e| e.to_string().contains("\"null\""));
                if !null_branch {
                    for e in branch {
                        collect(e, schema, instance, locate, out);
                    }
                    return;
                }
            }
            (path, false, format!("{} is not valid here", short(value)), None)
        }
        K::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(node);
            for name in unexpected {
                let child = vz::path::key(&path, name);
                let suggestion = vz::error::suggest(name, allowed.iter().map(String::as_str));
                let message = if allowed.is_empty() || suggestion.is_some() {
                    format!("unknown field `{name}`")
                } else {
                    format!("unknown field `{name}`, expected one of: {}", allowed.join(", "))
                };
                let at = locate(&child, true);
                out.push((child.clone(), Error::Invalid { at, path: child, message, suggestion }));
            }
            return;
        }
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            (path, true, format!("missing required field `{name}`"), None)
        }
        K::Type { kind } => {
            let expected = format!("{kind:?}").to_lowercase();
            let expected = expected.trim_start_matches("single(").trim_start_matches("multiple(");
            let expected = expected.trim_end_matches(')').replace("integer", "a whole number");
            (path, false, format!("expected {expected}, found {}", describe(value)), None)
        }
        K::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter().map(|o| o.as_str().map_or(o.to_string(), str::to_string)).collect()
                })
                .unwrap_or_default();
            let suggestion =
                value.as_str().and_then(|v| vz::error::suggest(v, opts.iter().map(String::as_str)));
            (
                path,
                false,
                format!("{} is not one of: {}", short(value), opts.join(", ")),
                suggestion,
            )
        }
        K::Pattern { pattern } => {
            let what =
                node.and_then(|n| n.get("description")).and_then(Value::as_str).unwrap_or("");
            let msg = format!("{} does not match `{pattern}`", short(value));
            let msg = if what.is_empty() {
                msg
            } else {
                format!("{msg} ({})", what.trim_end_matches('.'))
            };
            (path, false, msg, None)
        }
        _ => (path, false, clean(&err.to_string()), None),
    };
    let message = match custom {
        Some(c) if !matches!(err.kind(), K::Required { .. }) => c.to_string(),
        _ => message,
    };
    let at = locate(&path, key);
    out.push((path.clone(), Error::Invalid { at, path, message, suggestion }));
}

fn clean(m: &str) -> String {
    m.replace('\n', " ")
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("text ({})", short(&Value::String(s.clone()))),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

/// Turns a JSON pointer into a vz path, using the instance to tell list
/// indexes from keys that look like numbers.
fn pointer_to_path(pointer: &str, instance: &Value) -> String {
    let mut path = String::new();
    let mut cur = Some(instance);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(a)) => {
                let i: usize = seg.parse().unwrap_or(0);
                path = vz::path::index(&path, i);
                cur = a.get(i);
            }
            other => {
                path = vz::path::key(&path, &seg);
                cur = other.and_then(|v| v.get(&seg));
            }
        }
    }
    path
}

/// The schema node that describes the value at `path` (following `$ref`,
/// `properties`, `additionalProperties`, `items` and the non-null branch of
/// `anyOf`).
fn schema_at<'s>(root: &'s Value, path: &str) -> Option<&'s Value> {
    let segments = if path.is_empty() { Vec::new() } else { vz::path::parse(path).ok()? };
    let mut node = resolve(root, root)?;
    for seg in segments {
        node = match seg {
            vz::path::Segment::Key(k) => node
                .get("properties")
                .and_then(|p| p.get(&k))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?,
            vz::path::Segment::Index(_) => node.get("items")?,
        };
        node = resolve(root, node)?;
    }
    Some(node)
}

fn resolve<'s>(root: &'s Value, mut node: &'s Value) -> Option<&'s Value> {
    for _ in 0..16 {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/")?;
            node = root.get("$defs")?.get(name)?;
            continue;
        }
        if let Some(branches) =
            node.get("anyOf").or_else(|| node.get("oneOf")).and_then(Value::as_array)
            && const_options(Some(node)).is_none()
            && let Some(b) =
                branches.iter().find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        {
            node = b;
            continue;
        }
        return Some(node);
    }
    Some(node)
}

/// The allowed values of a schema that is a `oneOf` of `const`s.
fn const_options(node: Option<&Value>) -> Option<Vec<String>> {
    let branches = node?.get("oneOf").or_else(|| node?.get("anyOf"))?.as_array()?;
    branches
        .iter()
        .map(|b| b.get("const").map(|c| c.as_str().map_or(c.to_string(), str::to_string)))
        .collect()
}

fn allowed_keys(node: Option<&Value>) -> Vec<String> {
    node.and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(instance: Value) -> String {
        let schema = crate::model::values_schema();
        check(schema, &instance, &|p, key| {
            Location::at(if key { "key" } else { "val" }, p.len(), 1)
        })
        .map_or_else(|e| e.to_string(), |()| "ok".into())
    }

    #[test]
    fn unknown_fields_name_the_near_miss() {
        let e = problems(json!({"services": {"app": {"image": "a", "tag": "v1", "replica": 3}}}));
        assert!(e.starts_with("key:"), "{e}");
        assert!(
            e.ends_with("services.app.replica: unknown field `replica` (did you mean `replicas`?)"),
            "{e}"
        );
        let e = problems(json!({"services": {"app": {"image": "a", "tag": "v1", "zzz": 3}}}));
        assert!(e.contains("unknown field `zzz`, expected one of: antiAffinity, args, "), "{e}");
    }

    #[test]
    fn wrong_types_say_what_was_expected() {
        let e = problems(
            json!({"services": {"app": {"image": "a", "tag": "v1", "replicas": "three"}}}),
        );
        assert!(
            e.contains("services.app.replicas: expected a whole number, found text (\"three\")"),
            "{e}"
        );
    }

    #[test]
    fn latest_is_refused_with_the_reason() {
        let e = problems(json!({"services": {"app": {"image": "a", "tag": "latest"}}}));
        assert!(e.contains("services.app.tag: pin a version: the tag `latest` is refused"), "{e}");
    }

    #[test]
    fn errors_inside_optional_blocks_are_reported_plainly() {
        let e = problems(
            json!({"services": {"app": {"image": "a", "tag": "v1", "ingress": {"hots": "x"}}}}),
        );
        assert!(e.contains("services.app.ingress.hots: unknown field `hots`"), "{e}");
        assert!(e.contains("(did you mean `host`?)"), "{e}");
        assert!(e.contains("services.app.ingress: missing required field `host`"), "{e}");
    }

    #[test]
    fn enums_suggest() {
        let e = problems(
            json!({"services": {"app": {"image": "a", "tag": "v1", "strategy": {"type": "blue-gren"}}}}),
        );
        assert!(e.contains("\"blue-gren\" is not one of: rolling, blue-green, canary (did you mean `blue-green`?)"), "{e}");
    }

    #[test]
    fn valid_values_pass() {
        assert_eq!(problems(json!({"services": {"app": {"image": "a", "tag": "v1"}}})), "ok");
    }

    #[test]
    fn the_values_schema_reads_as_constraints() {
        // Otherwise every render would run the slow validator.
        let c = Constraints::parse(crate::model::VALUES_CONSTRAINTS).expect("constraints read");
        assert!(c.defs.contains_key("Service"), "{c:?}");
    }

    /// The fast path and the validator agree on every constraint kind.
    #[test]
    fn the_fast_path_sees_what_the_validator_sees() {
        let schema = crate::model::values_schema();
        let svc = |extra: Value| {
            let mut s = json!({"image": "a", "tag": "v1"});
            if let (Some(s), Value::Object(e)) = (s.as_object_mut(), extra) {
                s.extend(e);
            }
            json!({"services": {"app": s}})
        };
        let cases = [
            (svc(json!({})), true),
            (svc(json!({"tag": "latest"})), false),
            (svc(json!({"replicas": 1001})), false),
            (svc(json!({"image": ""})), false),
            (svc(json!({"ports": []})), false),
            (svc(json!({"ports": [{"name": "Bad_Name", "port": 80}]})), false),
            (svc(json!({"ports": [{"name": "web", "port": 0}]})), false),
            (svc(json!({"resources": {"limits": {"cpu": "lots", "memory": "1Gi"}}})), false),
            (svc(json!({"digest": "sha256:abc"})), false),
            (
                svc(json!({"autoscaling": {"minReplicas": 1, "maxReplicas": 3, "targetCpu": 101}})),
                false,
            ),
            (json!({"namespace": "Not-DNS", "services": {}}), false),
            (json!({"namespace": "ok-ns", "services": {}}), true),
        ];
        for (instance, valid) in cases {
            let full = check(schema, &instance, &|_, _| Location::input("t")).is_ok();
            assert_eq!(full, valid, "validator on {instance}");
            assert_eq!(
                Constraints::values().is_some_and(|c| c.allow(&instance)),
                valid,
                "fast path on {instance}"
            );
        }
    }
}
