//! Custom rules from YAML (or JSON) files given with `--rules FILE`, with a
//! JSON Schema (draft 2020-12 unless the schema's `$schema` says otherwise)
//! as the condition: no new expression language.
//!
//! ```yaml
//! locators:                        # optional: where pod specs live in CRDs
//!   - kind: Workflow.argoproj.io   # kind or kind.group
//!     pointer: /spec/templates/0/podSpec
//! rules:
//!   - id: ACME-001                 # unique, letters, digits, - _ . ; not VZ-…
//!     title: Deployments carry an owner label
//!     severity: medium             # low | medium | high | critical
//!     level: failed                # failed (default) | warning
//!     message: Add metadata.labels.owner naming the owning team.
//!     target: object               # object (default) | pod | container
//!     match:                       # every condition given must hold
//!       kinds: [Deployment, StatefulSet.apps]
//!       namespaces: [payments]
//!       labels: {tier: backend}
//!       # or, instead of kinds: config documents whose input name matches
//!       # config: "config/*.json"
//!     require:                     # the JSON Schema the target must satisfy
//!       properties: {metadata: {required: [labels], properties: {labels: {required: [owner]}}}}
//!     frameworks: ["sox:ITGC-AC-1", "pci:7.2.1"]
//! ```
//!
//! A `config` glob knows `*` (any characters but `/`), `**` (any characters)
//! and `?` (one character but `/`); it matches the input's name or any part
//! of it that starts after a `/`, so `config/*.json` matches
//! `deploy/config/prod.json`. Every mistake in a file is reported at once,
//! each at its line and column.

use super::Verdict;
use crate::model::{ControlRef, Level, Origin, RuleInfo, Severity, Violation};
use crate::object::{Locators, Object, containers};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use vz::input::{Document, Locate, parse_documents};
use vz::secret::looks_secret;
use vz::{Error, Location};

/// What a custom rule's schema is applied to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The whole object (or configuration document).
    #[default]
    Object,
    /// Each pod spec of the object.
    Pod,
    /// Each container (init and ephemeral too) of each pod spec.
    Container,
}

/// The rules and locators of one or more rules files.
#[derive(Clone, Debug, Default)]
pub struct RulesFile {
    /// The rules, in file order.
    pub rules: Vec<CustomRule>,
    /// `KIND=POINTER`, ready for [`Locators::add`].
    pub locators: Vec<String>,
}

/// A rule from a rules file.
#[derive(Clone, Debug)]
pub struct CustomRule {
    /// What outputs say about it (`fix` is its `message`, `controls` its
    /// `frameworks`).
    pub info: RuleInfo,
    /// Where its `id` is written.
    pub at: Location,
    /// What its schema is applied to.
    pub target: Target,
    matcher: Matcher,
    require: jsonschema::Validator,
}

#[derive(Clone, Debug)]
struct Matcher {
    /// `(kind, group)`; no group matches any group.
    kinds: Vec<(String, Option<String>)>,
    namespaces: Vec<String>,
    labels: BTreeMap<String, String>,
    config: Option<Glob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    locators: Vec<Value>,
    #[serde(default)]
    rules: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocatorSpec {
    kind: String,
    pointer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    severity: Severity,
    #[serde(default)]
    level: Level,
    message: String,
    #[serde(default)]
    target: Target,
    #[serde(rename = "match")]
    matches: MatchSpec,
    require: Value,
    #[serde(default)]
    frameworks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    config: Option<String>,
}

/// Reads a rules file; every problem in it is reported at once.
pub fn read(text: &str, name: &str) -> Result<RulesFile, Error> {
    let docs = parse_documents(text, name, Locate::Everything)?;
    let mut out = RulesFile::default();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<String, Location> = BTreeMap::new();
    for doc in &docs {
        let spec: FileSpec = match typed(doc, "") {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for i in 0..spec.locators.len() {
            match locator(doc, &format!("locators[{i}]")) {
                Ok(l) => out.locators.push(l),
                Err(e) => errors.push(e),
            }
        }
        for i in 0..spec.rules.len() {
            match rule(doc, &format!("rules[{i}]")) {
                Ok(r) => {
                    if let Some(first) = seen.get(&r.info.id) {
                        errors.push(Error::Invalid {
                            at: r.at.clone(),
                            path: format!("rules[{i}].id"),
                            message: format!("rule id {} is already used at {first}", r.info.id),
                            suggestion: None,
                        });
                    } else {
                        seen.insert(r.info.id.clone(), r.at.clone());
                        out.rules.push(r);
                    }
                }
                Err(mut es) => errors.append(&mut es),
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(Error::many(errors)) }
}

/// Joins the rules files of several `--rules` options; an id used in two
/// files is an error naming both places.
pub fn combine(files: Vec<RulesFile>) -> Result<RulesFile, Error> {
    let mut out = RulesFile::default();
    let mut seen: BTreeMap<String, Location> = BTreeMap::new();
    let mut errors = Vec::new();
    for file in files {
        for r in file.rules {
            if let Some(first) = seen.get(&r.info.id) {
                errors.push(Error::Invalid {
                    at: r.at.clone(),
                    path: String::new(),
                    message: format!("rule id {} is already used at {first}", r.info.id),
                    suggestion: None,
                });
                continue;
            }
            seen.insert(r.info.id.clone(), r.at.clone());
            out.rules.push(r);
        }
        for l in file.locators {
            if !out.locators.contains(&l) {
                out.locators.push(l);
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(Error::many(errors)) }
}

fn locator(doc: &Document, path: &str) -> Result<String, Error> {
    let spec: LocatorSpec = typed(doc, path)?;
    let text = format!("{}={}", spec.kind.trim(), spec.pointer);
    Locators::default().add(&text).map_err(|message| invalid(doc, path, message))?;
    Ok(text)
}

fn rule(doc: &Document, path: &str) -> Result<CustomRule, Vec<Error>> {
    let raw_id = vz::path::get(&doc.value, &format!("{path}.id")).and_then(Value::as_str);
    let spec: RuleSpec = typed(doc, path).map_err(|e| vec![named(raw_id, e)])?;
    let id = spec.id.trim().to_string();
    let mut errors = Vec::new();
    let mut problem = |field: &str, message: String, suggestion: Option<String>| {
        let p = if field.is_empty() { path.to_string() } else { format!("{path}.{field}") };
        errors.push(Error::Invalid {
            at: doc.locate(&p, false),
            path: p,
            message: format!("rule {id}: {message}"),
            suggestion,
        });
    };

    if id.is_empty()
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        problem("id", format!("`{id}` is not an id: use letters, digits, `-`, `_` and `.`"), None);
    } else if id.to_ascii_uppercase().starts_with("VZ-") {
        problem(
            "id",
            "ids starting with VZ- are vz's own: use your organisation's prefix (ACME-001)".into(),
            None,
        );
    }
    for (field, text) in [("title", &spec.title), ("message", &spec.message)] {
        if text.trim().is_empty() {
            problem(field, "must not be empty".into(), None);
        }
    }

    let m = &spec.matches;
    let mut kinds = Vec::new();
    for (i, k) in m.kinds.iter().enumerate() {
        let (kind, group) = match k.trim().split_once('.') {
            Some((kind, group)) => (kind, Some(group.to_string())),
            None => (k.trim(), None),
        };
        if kind.is_empty() || group.as_deref() == Some("") {
            problem(
                &format!("match.kinds[{i}]"),
                format!("`{k}` is not a kind: write Kind or Kind.group"),
                None,
            );
        } else if !kind.starts_with(|c: char| c.is_ascii_uppercase()) {
            let mut chars = kind.chars();
            let mut fixed: String = chars.next().into_iter().flat_map(char::to_uppercase).collect();
            fixed.push_str(chars.as_str());
            if let Some(g) = &group {
                fixed = format!("{fixed}.{g}");
            }
            problem(
                &format!("match.kinds[{i}]"),
                format!(
                    "kind `{k}` is not written as Kubernetes spells kinds (Deployment, Rollout.argoproj.io)"
                ),
                Some(fixed),
            );
        } else {
            kinds.push((kind.to_string(), group));
        }
    }
    let mut config = None;
    match (&m.config, m.kinds.is_empty()) {
        (None, true) => problem(
            "match",
            "say what the rule is about: `kinds` (Kubernetes objects) or `config` (a glob of config file names)"
                .into(),
            None,
        ),
        (Some(_), false) => problem(
            "match.config",
            "`config` matches configuration documents, `kinds` Kubernetes objects: give one of them".into(),
            None,
        ),
        (Some(g), true) => match Glob::parse(g) {
            Ok(glob) => config = Some(glob),
            Err(e) => problem("match.config", e, None),
        },
        (None, false) => {}
    }
    if m.config.is_some() {
        if !m.namespaces.is_empty() || !m.labels.is_empty() {
            problem(
                "match",
                "configuration documents have no namespace or labels: match them by `config` alone"
                    .into(),
                None,
            );
        }
        if spec.target != Target::Object {
            problem(
                "target",
                "a configuration document has no pod spec: use `target: object`".into(),
                None,
            );
        }
    }

    let mut controls: Vec<ControlRef> = Vec::new();
    for (i, f) in spec.frameworks.iter().enumerate() {
        match control(f) {
            Ok(c) if controls.contains(&c) => {}
            Ok(c) => controls.push(c),
            Err(message) => problem(&format!("frameworks[{i}]"), message, None),
        }
    }

    let require = match compile(&spec.require) {
        Ok(v) => Some(v),
        Err((pointer, message)) => {
            let field = vz::path::from_pointer(&spec.require, &pointer);
            let field = join("require", &field);
            problem(&field, format!("`require` is not a valid JSON Schema: {message}"), None);
            None
        }
    };

    errors.sort_by_key(|e| match e {
        Error::Invalid { at, .. } => (at.line, at.column),
        _ => (0, 0),
    });
    match require {
        Some(require) if errors.is_empty() => Ok(CustomRule {
            info: RuleInfo {
                id,
                title: spec.title.trim().to_string(),
                severity: spec.severity,
                level: spec.level,
                fix: spec.message.trim().to_string(),
                aliases: Vec::new(),
                controls,
                origin: Origin::Custom,
            },
            at: doc.locate(&format!("{path}.id"), false),
            target: spec.target,
            matcher: Matcher {
                kinds,
                namespaces: m.namespaces.clone(),
                labels: m.labels.clone(),
                config,
            },
            require,
        }),
        _ => Err(errors),
    }
}

/// Compiles a schema without fetching anything; the error's pointer into the
/// schema (empty for the whole) and message.
fn compile(schema: &Value) -> Result<jsonschema::Validator, (String, String)> {
    if !schema.is_object() && !schema.is_boolean() {
        return Err((String::new(), "a schema is a mapping (or true or false)".into()));
    }
    jsonschema::options()
        .offline()
        .build(schema)
        .map_err(|e| (e.instance_path().as_str().to_string(), e.to_string()))
}

/// `pci:7.2.1` as a control reference (the framework in lowercase), or what
/// is wrong with it. The framework may be any name: the frameworks module
/// maps `pci-dss` to `pci` and creates a framework for a name it does not
/// know.
fn control(text: &str) -> Result<ControlRef, String> {
    let example = "write FRAMEWORK:CONTROL, such as pci:7.2.1";
    let Some((framework, control)) = text.split_once(':') else {
        return Err(format!("`{text}` names no control: {example}"));
    };
    let (framework, control) = (framework.trim(), control.trim());
    if framework.is_empty()
        || !framework.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!("`{text}` does not start with a framework name: {example}"));
    }
    if control.is_empty() {
        return Err(format!("`{text}` names no control: {example}"));
    }
    Ok(ControlRef { framework: framework.to_ascii_lowercase(), control: control.to_string() })
}

fn invalid(doc: &Document, path: &str, message: String) -> Error {
    Error::Invalid {
        at: doc.locate(path, false),
        path: path.to_string(),
        message,
        suggestion: None,
    }
}

/// Prefixes an error's message with the rule it is about.
fn named(id: Option<&str>, e: Error) -> Error {
    match (id, e) {
        (Some(id), Error::Invalid { at, path, message, suggestion }) => Error::Invalid {
            at,
            path,
            message: format!("rule {}: {message}", id.trim()),
            suggestion,
        },
        (_, e) => e,
    }
}

/// [`Document::typed`], with the near miss added to serde's "unknown variant
/// `hgih`, expected one of `low`, …" and an unknown field's path not naming
/// the field twice (`rules[0].severty.severty`, which serde_path_to_error
/// gives when the field is rejected while its key is read).
fn typed<T: serde::de::DeserializeOwned>(doc: &Document, path: &str) -> Result<T, Error> {
    doc.typed(path).map_err(|e| match e {
        Error::Invalid { at, path, message, suggestion }
            if message.starts_with("unknown field") =>
        {
            use vz::path::Segment::Key;
            match vz::path::parse(&path).as_deref() {
                Ok([parent @ .., Key(a), Key(b)]) if a == b => {
                    let mut once = parent.to_vec();
                    once.push(Key(a.clone()));
                    let path = vz::path::join(&once);
                    Error::Invalid { at: doc.locate(&path, true), path, message, suggestion }
                }
                _ => Error::Invalid { at, path, message, suggestion },
            }
        }
        Error::Invalid { at, path, message, suggestion: None }
            if message.starts_with("unknown variant `") =>
        {
            let parts: Vec<&str> = message.split('`').collect();
            let word = parts.get(1).copied().unwrap_or_default();
            let candidates: Vec<&str> = parts.iter().skip(3).step_by(2).copied().collect();
            let suggestion = vz::error::suggest(word, candidates);
            Error::Invalid { at, path, message, suggestion }
        }
        e => e,
    })
}

/// `base` followed by a relative path (`metadata.labels`, `[0].image`).
fn join(base: &str, relative: &str) -> String {
    if relative.is_empty() {
        return base.to_string();
    }
    match vz::path::parse(relative) {
        Ok(segments) => segments.iter().fold(base.to_string(), |p, s| match s {
            vz::path::Segment::Key(k) => vz::path::key(&p, k),
            vz::path::Segment::Index(i) => vz::path::index(&p, *i),
        }),
        Err(_) if base.is_empty() => relative.to_string(),
        Err(_) => format!("{base}.{relative}"),
    }
}

impl CustomRule {
    /// Whether the rule's `match` selects `object`.
    pub fn applies(&self, object: &Object) -> bool {
        let m = &self.matcher;
        if let Some(glob) = &m.config {
            return object.config && glob.matches(&object.name);
        }
        !object.config
            && m.kinds
                .iter()
                .any(|(k, g)| *k == object.kind && g.as_deref().is_none_or(|g| g == object.group()))
            && (m.namespaces.is_empty() || m.namespaces.contains(&object.namespace))
            && m.labels
                .iter()
                .all(|(k, v)| object.labels().get(k).and_then(Value::as_str) == Some(v.as_str()))
    }

    /// Applies the rule's schema to its target in `object` (a rule that
    /// [`applies`](Self::applies)); pod and container targets are found
    /// through `locators`.
    pub fn check(&self, object: &Object, locators: &Locators) -> Verdict {
        let mut out = Vec::new();
        match self.target {
            Target::Object => self.validate(object, object.value(), "", None, &mut out),
            Target::Pod | Target::Container => {
                let pods = locators.pod_specs(object);
                if pods.is_empty() {
                    return Verdict::NotApplicable("no pod spec".into());
                }
                let mut any = false;
                for pod in &pods {
                    if self.target == Target::Pod {
                        self.validate(object, pod.spec, pod.path, None, &mut out);
                        continue;
                    }
                    for c in containers(pod) {
                        any = true;
                        self.validate(object, c.value, c.path(), Some(c.label()), &mut out);
                    }
                }
                if self.target == Target::Container && !any {
                    return Verdict::NotApplicable("no containers".into());
                }
            }
        }
        if out.is_empty() { Verdict::Passed } else { Verdict::Violations(out) }
    }

    /// Adds a violation for every schema error in `target` (at `base`),
    /// in the order they stand in the input.
    fn validate(
        &self,
        object: &Object,
        target: &Value,
        base: &str,
        label: Option<&str>,
        out: &mut Vec<Violation>,
    ) {
        let mut found = Vec::new();
        for e in self.require.iter_errors(target) {
            let pointer = e.instance_path().as_str();
            let path = join(base, &vz::path::from_pointer(target, pointer));
            let text = match e.instance().as_ref() {
                Value::Object(_) => e.masked_with("the mapping").to_string(),
                Value::Array(_) => e.masked_with("the list").to_string(),
                _ if sensitive(object, target, base, pointer) => {
                    e.masked_with("the value (not shown)").to_string()
                }
                _ => e.to_string(),
            };
            let message = match label {
                Some(l) => format!("{l}: {text}"),
                None => text,
            };
            found.push(Violation { at: object.locate(&path, false), path, message });
        }
        found.sort_by(|a, b| {
            (a.at.line, a.at.column, &a.path).cmp(&(b.at.line, b.at.column, &b.path))
        });
        out.append(&mut found);
    }
}

/// Whether the value at `pointer` inside `target` may be a secret: a key on
/// the way looks like one, its mapping is named like one (an env entry
/// `{name: DB_PASSWORD, value: …}`), or it is a Secret's data.
fn sensitive(object: &Object, target: &Value, base: &str, pointer: &str) -> bool {
    let tokens: Vec<String> =
        pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    if object.kind == "Secret"
        && base.is_empty()
        && tokens.first().is_some_and(|t| t == "data" || t == "stringData")
    {
        return true;
    }
    let mut at = Some(target);
    let mut parent = None;
    for t in &tokens {
        parent = at;
        at = match at {
            Some(Value::Array(items)) => t.parse::<usize>().ok().and_then(|i| items.get(i)),
            Some(Value::Object(map)) => {
                if looks_secret(t) {
                    return true;
                }
                map.get(t.as_str())
            }
            _ => None,
        };
    }
    parent.and_then(|p| p.get("name")).and_then(Value::as_str).is_some_and(looks_secret)
}

/// A file-name glob: `*`, `**` and `?`.
#[derive(Clone, Debug)]
struct Glob(Vec<Token>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// `*`: any characters but `/`.
    Star,
    /// `**`: any characters.
    Stars,
    /// `?`: one character but `/`.
    One,
    Char(char),
}

impl Glob {
    fn parse(pattern: &str) -> Result<Glob, String> {
        if pattern.trim().is_empty() {
            return Err("the glob is empty: write one such as config/*.json".into());
        }
        if let Some(c) = pattern.chars().find(|c| matches!(c, '[' | ']' | '{' | '}')) {
            return Err(format!("`{c}` in `{pattern}`: globs here know `*`, `**` and `?` only"));
        }
        let mut tokens = Vec::new();
        for c in pattern.chars() {
            let token = match (c, tokens.last()) {
                ('*', Some(Token::Star)) => {
                    tokens.pop();
                    Token::Stars
                }
                ('*', Some(Token::Stars)) => continue,
                ('*', _) => Token::Star,
                ('?', _) => Token::One,
                (c, _) => Token::Char(c),
            };
            tokens.push(token);
        }
        Ok(Glob(tokens))
    }

    /// Whether the glob matches `name` or a part of it after a `/`.
    fn matches(&self, name: &str) -> bool {
        let text: Vec<char> = name.strip_prefix("./").unwrap_or(name).chars().collect();
        let starts = std::iter::once(0)
            .chain(text.iter().enumerate().filter(|(_, c)| **c == '/').map(|(i, _)| i + 1));
        starts.into_iter().any(|s| self.matches_all(&text[s..]))
    }

    /// Whether the glob matches all of `text` (dynamic programming over
    /// pattern tokens × text positions, so no backtracking blow-up).
    fn matches_all(&self, text: &[char]) -> bool {
        let mut row = vec![false; text.len() + 1];
        row[0] = true;
        for token in &self.0 {
            let mut next = vec![false; text.len() + 1];
            for j in 0..=text.len() {
                let prev = j.checked_sub(1).map(|k| text[k]);
                next[j] = match (token, prev) {
                    (Token::Star, p) => row[j] || (p.is_some_and(|c| c != '/') && next[j - 1]),
                    (Token::Stars, p) => row[j] || (p.is_some() && next[j - 1]),
                    (Token::One, Some(c)) => c != '/' && row[j - 1],
                    (Token::Char(want), Some(c)) => c == *want && row[j - 1],
                    (_, None) => false,
                };
            }
            row = next;
        }
        row[text.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Object {
        let docs = parse_documents(text, "m.yaml", Locate::Everything).unwrap();
        Object::new(docs.into_iter().next().unwrap())
    }

    fn one(rules: &str) -> CustomRule {
        let mut f = read(rules, "r.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.rules.len(), 1);
        f.rules.remove(0)
    }

    fn error(rules: &str) -> String {
        read(rules, "r.yaml").unwrap_err().to_string()
    }

    /// `status at path: message` lines.
    fn outcome(rule: &CustomRule, o: &Object) -> Vec<String> {
        match rule.check(o, &Locators::default()) {
            Verdict::Passed => vec!["passed".into()],
            Verdict::NotApplicable(n) => vec![format!("not-applicable: {n}")],
            Verdict::Error(e) => vec![format!("error: {e}")],
            Verdict::Violations(vs) | Verdict::Warnings(vs) => {
                vs.iter().map(|v| format!("{} {}: {}", v.at, v.path, v.message)).collect()
            }
        }
    }

    const OWNER: &str = "\
rules:
  - id: ACME-001
    title: Deployments carry an owner label
    severity: medium
    message: Add metadata.labels.owner naming the owning team.
    match: {kinds: [Deployment, StatefulSet.apps]}
    require:
      properties: {metadata: {required: [labels], properties: {labels: {required: [owner]}}}}
    frameworks: [\"sox:ITGC-AC-1\", \"PCI:7.2.1\"]
";

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
  labels: {tier: backend}
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:latest
          env:
            - {name: DB_PASSWORD, value: hunter2}
        - name: sidecar
          image: proxy:1.2
      initContainers:
        - name: migrate
          image: migrate:latest
";

    #[test]
    fn a_rule_reads_into_its_info() {
        let r = one(OWNER);
        assert_eq!(r.info.id, "ACME-001");
        assert_eq!(r.info.title, "Deployments carry an owner label");
        assert_eq!(r.info.severity, Severity::Medium);
        assert_eq!(r.info.level, Level::Failed);
        assert_eq!(r.info.fix, "Add metadata.labels.owner naming the owning team.");
        assert_eq!(r.info.origin, Origin::Custom);
        let controls: Vec<String> = r.info.controls.iter().map(ToString::to_string).collect();
        assert_eq!(controls, ["sox:ITGC-AC-1", "pci:7.2.1"]);
        assert_eq!(r.at.to_string(), "r.yaml:2:9");
        assert_eq!(r.target, Target::Object);
    }

    #[test]
    fn object_target() {
        let r = one(OWNER);
        let o = object(DEPLOYMENT);
        assert!(r.applies(&o));
        assert_eq!(
            outcome(&r, &o),
            ["m.yaml:6:11 metadata.labels: \"owner\" is a required property"]
        );
        let owned =
            object(&DEPLOYMENT.replace("{tier: backend}", "{tier: backend, owner: payments-team}"));
        assert_eq!(outcome(&r, &owned), ["passed"]);
        let unlabelled = object("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n");
        assert!(r.applies(&unlabelled));
        assert_eq!(
            outcome(&r, &unlabelled),
            ["m.yaml:3:11 metadata: \"labels\" is a required property"]
        );
    }

    #[test]
    fn match_conditions() {
        let rule = |m: &str| {
            one(&format!(
                "rules:\n- id: X-1\n  title: t\n  severity: low\n  message: m\n  match: {m}\n  require: true\n"
            ))
        };
        let d = object(DEPLOYMENT);
        assert!(rule("{kinds: [Deployment]}").applies(&d));
        assert!(
            rule("{kinds: [Deployment.apps], namespaces: [payments], labels: {tier: backend}}")
                .applies(&d)
        );
        assert!(!rule("{kinds: [Deployment.example.com]}").applies(&d));
        assert!(!rule("{kinds: [StatefulSet]}").applies(&d));
        assert!(!rule("{kinds: [Deployment], namespaces: [web]}").applies(&d));
        assert!(!rule("{kinds: [Deployment], labels: {tier: frontend}}").applies(&d));
        assert!(!rule("{kinds: [Deployment], labels: {team: x}}").applies(&d));
        let config = Object::new(
            parse_documents("{\"a\": 1}", "deploy/config/prod.json", Locate::Everything)
                .unwrap()
                .remove(0),
        );
        assert!(rule("{config: \"config/*.json\"}").applies(&config));
        assert!(rule("{config: \"*.json\"}").applies(&config));
        assert!(rule("{config: \"**/prod.json\"}").applies(&config));
        assert!(!rule("{config: \"*.yaml\"}").applies(&config));
        assert!(!rule("{config: \"*.json\"}").applies(&d));
        assert!(!rule("{kinds: [Deployment]}").applies(&config));
    }

    #[test]
    fn config_target() {
        let r = one(
            "rules:\n- id: X-1\n  title: t\n  severity: low\n  message: m\n  match: {config: \"*.json\"}\n  \
             require: {properties: {security: {properties: {jwtSecret: {pattern: '^\\$'}, level: {enum: [a]}}}}}\n",
        );
        let config = Object::new(
            parse_documents(
                "{\"security\": {\"jwtSecret\": \"s3cr3t\", \"level\": \"b\"}}",
                "c.json",
                Locate::Everything,
            )
            .unwrap()
            .remove(0),
        );
        assert_eq!(
            outcome(&r, &config),
            [
                "c.json:1:28 security.jwtSecret: the value (not shown) does not match \"^\\$\"",
                "c.json:1:47 security.level: \"b\" is not one of \"a\"",
            ]
        );
    }

    #[test]
    fn pod_target() {
        let r = one(
            "rules:\n- id: X-1\n  title: t\n  severity: low\n  message: m\n  target: pod\n  match: {kinds: [Deployment, Service]}\n  \
             require: {required: [securityContext]}\n",
        );
        assert_eq!(
            outcome(&r, &object(DEPLOYMENT)),
            ["m.yaml:10:7 spec.template.spec: \"securityContext\" is a required property"]
        );
        let svc = object("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
        assert_eq!(outcome(&r, &svc), ["not-applicable: no pod spec"]);
    }

    #[test]
    fn container_target_names_the_container_and_hides_secrets() {
        let r = one(
            "rules:\n- id: X-1\n  title: t\n  severity: low\n  message: m\n  target: container\n  match: {kinds: [Deployment]}\n  \
             require:\n    properties:\n      image: {not: {pattern: ':latest$'}}\n      \
             env: {items: {properties: {value: {pattern: '^\\$'}}}}\n",
        );
        let got = outcome(&r, &object(DEPLOYMENT));
        assert_eq!(
            got,
            [
                "m.yaml:12:18 spec.template.spec.containers[0].image: container \"app\": {\"pattern\":\":latest$\"} \
                 is not allowed for \"app:latest\"",
                "m.yaml:14:42 spec.template.spec.containers[0].env[0].value: container \"app\": the value (not shown) \
                 does not match \"^\\$\"",
                "m.yaml:19:18 spec.template.spec.initContainers[0].image: init container \"migrate\": \
                 {\"pattern\":\":latest$\"} is not allowed for \"migrate:latest\"",
            ]
        );
        assert!(!got.iter().any(|l| l.contains("hunter2")));
        let empty =
            object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n");
        let r = CustomRule {
            matcher: Matcher { kinds: vec![("Pod".into(), None)], ..r.matcher.clone() },
            ..r
        };
        assert_eq!(outcome(&r, &empty), ["not-applicable: no containers"]);
    }

    #[test]
    fn whole_mappings_are_never_printed() {
        let r = one(
            "rules:\n- id: X-1\n  title: t\n  severity: low\n  message: m\n  target: container\n  match: {kinds: [Deployment]}\n  \
             require: {not: {required: [env]}}\n",
        );
        assert_eq!(
            outcome(&r, &object(DEPLOYMENT))[0],
            "m.yaml:11:11 spec.template.spec.containers[0]: container \"app\": {\"required\":[\"env\"]} is not allowed \
             for the mapping"
        );
    }

    #[test]
    fn locators_are_read() {
        let f = read(
            "locators:\n  - {kind: Workflow.argoproj.io, pointer: /spec/templates/0/podSpec}\nrules: []\n",
            "r.yaml",
        )
        .unwrap();
        assert_eq!(f.locators, ["Workflow.argoproj.io=/spec/templates/0/podSpec"]);
        assert_eq!(
            error("locators:\n  - {kind: Workflow, pointer: spec/pod}\n"),
            "r.yaml:2:5: locators[0]: locator `Workflow=spec/pod` should be KIND=POINTER with a JSON pointer \
             starting with `/`, such as MyJob.example.com=/spec/template/spec"
        );
    }

    #[test]
    fn unknown_fields_are_named_with_the_near_miss() {
        assert_eq!(
            error(&OWNER.replace("severity:", "severty:")),
            "r.yaml:4:5: rules[0].severty: rule ACME-001: unknown field (expected one of id, title, severity, level, \
             message, target, match, require, frameworks) (did you mean `severity`?)"
        );
        assert_eq!(
            error(&OWNER.replace("rules:", "rule:")),
            "r.yaml:1:1: rule: unknown field (expected one of locators, rules) (did you mean `rules`?)"
        );
        assert_eq!(
            error(&OWNER.replace("severity: medium", "severity: meduim")),
            "r.yaml:4:15: rules[0].severity: rule ACME-001: unknown variant `meduim`, expected one of `low`, \
             `medium`, `high`, `critical` (did you mean `medium`?)"
        );
        assert_eq!(
            error(&OWNER.replace("match:", "target: pods\n    match:")),
            "r.yaml:6:13: rules[0].target: rule ACME-001: unknown variant `pods`, expected one of `object`, `pod`, \
             `container` (did you mean `pod`?)"
        );
    }

    #[test]
    fn an_invalid_schema_names_the_rule() {
        assert_eq!(
            error(&OWNER.replace("properties: {metadata", "type: 12\n      properties: {metadata")),
            "r.yaml:8:13: rules[0].require.type: rule ACME-001: `require` is not a valid JSON Schema: 12 is not \
             valid under any of the schemas listed in the 'anyOf' keyword"
        );
        assert_eq!(
            error(&OWNER.replace("{required: [owner]}", "{required: owner}")),
            "r.yaml:8:83: rules[0].require.properties.metadata.properties.labels.required: rule ACME-001: `require` \
             is not a valid JSON Schema: \"owner\" is not of type \"array\""
        );
    }

    #[test]
    fn schemas_are_never_fetched() {
        let e = error(&OWNER.replace(
            "properties: {metadata",
            "$ref: \"https://example.com/owner.json\"\n      properties: {metadata",
        ));
        assert_eq!(
            e,
            "r.yaml:8:7: rules[0].require: rule ACME-001: `require` is not a valid JSON Schema: Resource \
             'https://example.com/owner.json' is not present in a registry and retrieving it failed: Retrieval is \
             disabled, cannot fetch https://example.com/owner.json"
        );
    }

    #[test]
    fn every_mistake_of_a_file_is_reported() {
        let text = "\
rules:
  - id: VZ-K8S-900
    title: t
    severity: low
    message: m
    match: {namespaces: [a]}
    require: {}
    frameworks: [\":1.2\", pci]
  - id: A-1
    title: t
    severity: low
    message: m
    target: pod
    match: {config: \"conf/[ab].json\", labels: {a: b}}
    require: []
  - id: A-1
    title: t
    severity: low
    message: m
    match: {kinds: [deployment, Pod]}
    require: true
  - id: A-1
    title: t
    severity: low
    message: m
    match: {kinds: [Pod]}
    require: true
";
        assert_eq!(
            error(text),
            "9 problems:
  r.yaml:2:9: rules[0].id: rule VZ-K8S-900: ids starting with VZ- are vz's own: use your organisation's prefix (ACME-001)
  r.yaml:6:12: rules[0].match: rule VZ-K8S-900: say what the rule is about: `kinds` (Kubernetes objects) or `config` (a glob of config file names)
  r.yaml:8:18: rules[0].frameworks[0]: rule VZ-K8S-900: `:1.2` does not start with a framework name: write FRAMEWORK:CONTROL, such as pci:7.2.1
  r.yaml:8:26: rules[0].frameworks[1]: rule VZ-K8S-900: `pci` names no control: write FRAMEWORK:CONTROL, such as pci:7.2.1
  r.yaml:13:13: rules[1].target: rule A-1: a configuration document has no pod spec: use `target: object`
  r.yaml:14:12: rules[1].match: rule A-1: configuration documents have no namespace or labels: match them by `config` alone
  r.yaml:14:21: rules[1].match.config: rule A-1: `[` in `conf/[ab].json`: globs here know `*`, `**` and `?` only
  r.yaml:15:14: rules[1].require: rule A-1: `require` is not a valid JSON Schema: a schema is a mapping (or true or false)
  r.yaml:20:21: rules[2].match.kinds[0]: rule A-1: kind `deployment` is not written as Kubernetes spells kinds (Deployment, Rollout.argoproj.io) (did you mean `Deployment`?)"
        );
    }

    #[test]
    fn duplicate_ids_name_the_first_place() {
        let text = format!("{OWNER}{}", OWNER.replace("rules:\n", ""));
        assert_eq!(
            error(&text),
            "r.yaml:10:9: rules[1].id: rule id ACME-001 is already used at r.yaml:2:9"
        );
        let a = read(OWNER, "a.yaml").unwrap();
        let b = read(OWNER, "b.yaml").unwrap();
        assert_eq!(
            combine(vec![a, b]).unwrap_err().to_string(),
            "b.yaml:2:9: rule id ACME-001 is already used at a.yaml:2:9"
        );
    }

    #[test]
    fn globs() {
        let m = |p: &str, n: &str| Glob::parse(p).unwrap().matches(n);
        assert!(m("*.json", "app.json"));
        assert!(m("*.json", "./app.json"));
        assert!(m("config/*.json", "/srv/app/config/prod.json"));
        assert!(!m("config/*.json", "config/sub/prod.json"));
        assert!(m("config/**.json", "config/sub/prod.json"));
        assert!(m("app-?.yaml", "app-1.yaml"));
        assert!(!m("app-?.yaml", "app-10.yaml"));
        assert!(!m("*.json", "app.json.bak"));
        assert!(m("*", "<stdin>"));
        assert!(m("a***b", "a/x/b"));
        assert!(Glob::parse(" ").is_err());
        // No exponential backtracking.
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*b", &"a".repeat(200)));
    }
}
