//! Waivers: a violation accepted for a reason, by an owner, until a date.
//! From a file (`--waivers`) or from the object's own `vz.dev/waive`
//! annotation. An expired waiver stops applying and is reported; a live one
//! that accepts nothing is reported as unused.

use crate::model::{AppliedWaiver, ObjectRef};
use crate::object::Object;
use crate::report::WaiverInfo;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Map, Value};
use vz::input::{Locate, parse_documents};
use vz::{Error, Location};

/// The annotation that carries waivers on the object itself.
pub const ANNOTATION: &str = "vz.dev/waive";

/// One waiver.
#[derive(Clone, Debug)]
pub struct Waiver {
    /// The rule id it waives.
    pub rule: String,
    /// Which objects.
    pub selector: Selector,
    /// Why.
    pub reason: String,
    /// Who (required in files; annotations may not say).
    pub owner: Option<String>,
    /// The last day it applies (required).
    pub expires: Date,
    /// Where it is written.
    pub source: String,
}

/// Which objects a waiver covers; every field given must match.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    /// Kind (`Deployment`).
    pub kind: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name; `*` matches any run of characters (`legacy-*`).
    pub name: Option<String>,
    /// Labels the object must carry.
    pub labels: Map<String, Value>,
    /// The exact object, for annotation waivers.
    pub object: Option<ObjectRef>,
}

impl Selector {
    /// Whether the selector covers `object`.
    pub fn matches(&self, object: &Object) -> bool {
        if let Some(exact) = &self.object {
            return *exact == object.reference();
        }
        self.kind.as_ref().is_none_or(|k| *k == object.kind)
            && self.namespace.as_ref().is_none_or(|n| *n == object.namespace)
            && self.name.as_ref().is_none_or(|n| glob(n, &object.name))
            && self.labels.iter().all(|(k, v)| object.labels().get(k) == Some(v))
    }

    /// In words, for reports: `Deployment legacy/api-*`, `labels tier=db`.
    pub fn describe(&self) -> String {
        if let Some(o) = &self.object {
            return o.display();
        }
        let mut parts = Vec::new();
        if let Some(k) = &self.kind {
            parts.push(format!("kind={k}"));
        }
        if let Some(n) = &self.namespace {
            parts.push(format!("namespace={n}"));
        }
        if let Some(n) = &self.name {
            parts.push(format!("name={n}"));
        }
        for (k, v) in &self.labels {
            parts.push(format!("label {k}={}", v.as_str().unwrap_or_default()));
        }
        if parts.is_empty() { "every object".into() } else { parts.join(" ") }
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

impl Waiver {
    /// Whether it has expired by `today` (it applies through its `expires` day).
    pub fn expired(&self, today: Date) -> bool {
        today > self.expires
    }

    /// The waiver as a result names it.
    pub fn applied(&self) -> AppliedWaiver {
        AppliedWaiver {
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: Some(self.expires),
            source: self.source.clone(),
        }
    }

    /// The waiver as the audit lists it.
    pub fn info(&self) -> WaiverInfo {
        WaiverInfo {
            rule: self.rule.clone(),
            selector: self.selector.describe(),
            waiver: self.applied(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    labels: Map<String, Value>,
    reason: String,
    owner: String,
    expires: Date,
    #[serde(default)]
    ticket: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    waivers: Vec<Value>,
}

/// Reads a waiver file: a mapping with a `waivers:` list. Every entry needs
/// `rule`, `reason`, `owner` and `expires`; `known` says whether a rule id
/// exists (a waiver for a rule that does not exist is an error, not a
/// silent no-op).
pub fn read_file(
    text: &str,
    name: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<Waiver>, Error> {
    let docs = parse_documents(text, name, Locate::Everything)?;
    let Some(doc) = docs.first() else { return Ok(Vec::new()) };
    if let Some(second) = docs.get(1) {
        return Err(Error::Invalid {
            at: second.at.clone(),
            path: String::new(),
            message: "a waiver file is one YAML document with a `waivers:` list".into(),
            suggestion: None,
        });
    }
    let file: File = doc.typed("")?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for i in 0..file.waivers.len() {
        let path = format!("waivers[{i}]");
        let entry: Entry = match doc.typed(&path) {
            Ok(e) => e,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let at = doc.locate(&path, false);
        let mut problem = |field: &str, message: String| {
            let p = format!("{path}.{field}");
            errors.push(Error::Invalid {
                at: doc.locate(&p, false),
                path: p,
                message,
                suggestion: None,
            });
        };
        if !known(&entry.rule) {
            problem(
                "rule",
                format!("no rule has the id {} (vz-comply --list-rules lists them)", entry.rule),
            );
        }
        if entry.reason.trim().is_empty() {
            problem("reason", "must say why the violation is acceptable".into());
        }
        if entry.owner.trim().is_empty() {
            problem("owner", "must name who accepted the risk".into());
        }
        let source = match &entry.ticket {
            Some(t) => format!("{at} ({t})"),
            None => at.to_string(),
        };
        out.push(Waiver {
            rule: entry.rule,
            selector: Selector {
                kind: entry.kind,
                namespace: entry.namespace,
                name: entry.name,
                labels: entry.labels,
                object: None,
            },
            reason: entry.reason.trim().to_string(),
            owner: Some(entry.owner.trim().to_string()),
            expires: entry.expires,
            source,
        });
    }
    if errors.is_empty() { Ok(out) } else { Err(Error::many(errors)) }
}

/// The waivers in an object's `vz.dev/waive` annotation: one per line,
/// `RULE until YYYY-MM-DD: reason`.
pub fn from_annotation(
    object: &Object,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<Waiver>, Error> {
    let Some(value) = object.annotations().get(ANNOTATION) else { return Ok(Vec::new()) };
    let path = vz::path::key("metadata.annotations", ANNOTATION);
    let at = object.locate(&path, false);
    let invalid = |message: String| Error::Invalid {
        at: at.clone(),
        path: path.clone(),
        message,
        suggestion: None,
    };
    let Some(text) = value.as_str() else {
        return Err(invalid("expected text: `RULE until YYYY-MM-DD: reason`, one per line".into()));
    };
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parsed = line.split_once(" until ").and_then(|(rule, rest)| {
            let (date, reason) = rest.split_once(':')?;
            Some((rule.trim(), date.trim(), reason.trim()))
        });
        let Some((rule, date, reason)) = parsed else {
            return Err(invalid(format!(
                "`{line}` is not `RULE until YYYY-MM-DD: reason` (every waiver needs an expiry date and a reason)"
            )));
        };
        let expires: Date = date.parse().map_err(|_| {
            invalid(format!("`{date}` in `{line}` is not a date such as 2027-01-31"))
        })?;
        if !known(rule) {
            return Err(invalid(format!(
                "no rule has the id {rule} (vz-comply --list-rules lists them)"
            )));
        }
        if reason.is_empty() {
            return Err(invalid(format!("`{line}` gives no reason after the date")));
        }
        out.push(Waiver {
            rule: rule.to_string(),
            selector: Selector { object: Some(object.reference()), ..Selector::default() },
            reason: reason.to_string(),
            owner: None,
            expires,
            source: format!(
                "annotation on {} ({})",
                object.reference().display(),
                Location::to_string(&at)
            ),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vz::input::Document;

    fn known(id: &str) -> bool {
        id.starts_with("VZ-")
    }

    fn object(value: Value) -> Object {
        Object::new(Document { value, at: Location::input("t.yaml"), map: Default::default() })
    }

    #[test]
    fn globs() {
        assert!(glob("legacy-*", "legacy-api"));
        assert!(glob("*-api", "legacy-api"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("api", "api"));
        assert!(!glob("api", "api2"));
    }

    #[test]
    fn file_entries_need_reason_owner_and_expiry() {
        let text = "waivers:\n  - rule: VZ-K8S-003\n    kind: Deployment\n    name: legacy-*\n    reason: needs NET_ADMIN\n    owner: netops\n    expires: 2027-01-31\n    ticket: SEC-12\n";
        let w = read_file(text, "w.yaml", &known).unwrap();
        assert_eq!(w[0].selector.describe(), "kind=Deployment name=legacy-*");
        assert_eq!(w[0].source, "w.yaml:2:5 (SEC-12)");
        let missing = "waivers:\n  - rule: VZ-K8S-003\n    reason: x\n";
        let e = read_file(missing, "w.yaml", &known).unwrap_err().to_string();
        assert_eq!(e, "w.yaml:2:5: waivers[0]: missing field `owner`");
        let typo = "waivers:\n  - rule: VZ-K8S-003\n    reason: x\n    owner: y\n    expires: 2027-01-01\n    namespce: a\n";
        let e = read_file(typo, "w.yaml", &known).unwrap_err().to_string();
        assert!(e.starts_with("w.yaml:6:5: waivers[0].namespce: unknown field"), "{e}");
        assert!(e.contains("did you mean `namespace`?"), "{e}");
        let unknown =
            "waivers:\n  - rule: CKV_K8S_1\n    reason: x\n    owner: y\n    expires: 2027-01-01\n";
        let e = read_file(unknown, "w.yaml", &known).unwrap_err().to_string();
        assert_eq!(
            e,
            "w.yaml:2:11: waivers[0].rule: no rule has the id CKV_K8S_1 (vz-comply --list-rules lists them)"
        );
    }

    #[test]
    fn annotations() {
        let o = object(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n",
            "annotations": {"vz.dev/waive": "VZ-K8S-003 until 2027-01-31: needs NET_ADMIN\nVZ-K8S-002 until 2026-01-01: writes /tmp"}}}),
        );
        let w = from_annotation(&o, &known).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].reason, "needs NET_ADMIN");
        assert!(w[1].expired("2026-11-24".parse().unwrap()));
        assert!(!w[0].expired("2027-01-31".parse().unwrap()));
        assert!(w[0].selector.matches(&o));
        let bad = object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p",
            "annotations": {"vz.dev/waive": "VZ-K8S-003: forever"}}}));
        assert_eq!(
            from_annotation(&bad, &known).unwrap_err().to_string(),
            "t.yaml: metadata.annotations[\"vz.dev/waive\"]: `VZ-K8S-003: forever` is not `RULE until YYYY-MM-DD: reason` (every waiver needs an expiry date and a reason)"
        );
    }
}
