//! Renders the merged, validated values into Kubernetes objects.
//!
//! The shapes live in minijinja templates (`templates/`, embedded in the
//! binary; a project may add or override them from its own directory). The
//! decisions live here, in Rust, where they are tested: which workloads,
//! Services, autoscalers and budgets a rollout strategy needs and how they
//! are named and selected, the image reference, the labels, the probes, the
//! config checksum. Templates receive those as ready values and write them
//! out, mostly with `tojson`, so no value is ever re-indented as text.
//!
//! Template layout (built-in and user directory alike):
//! - `global/*.yaml` render once, with `app`, `env`, `namespace`, `values`,
//!   `labels`, `annotations`;
//! - `service/*.yaml` render once per service, with the same plus the
//!   service's context (see [`service_context`]);
//! - `partials/*.yaml` are never rendered on their own: they are for
//!   `{% include %}` and `{% import %}` (the pod template is one).
//!
//! In `.yaml` templates every `{{ expression }}` is written as a JSON value
//! (minijinja's JSON auto-escaping): `name: {{ name }}` writes `name: "api"`,
//! so no value can break the YAML or inject keys. Join strings inside the
//! braces: `{{ name ~ "-config" }}`.

use crate::model::{AntiAffinity, Color, ProbeType, Provider, Service, StrategyType, Values};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use vz::Error;

/// What a render needs.
pub struct RenderInput<'a> {
    /// The spec's `app`.
    pub app: &'a str,
    /// The canonical environment name (`production`).
    pub env: &'a str,
    /// The merged, validated values; services already include `serviceDefaults`.
    pub values: &'a Values,
    /// The templates: the built-ins and the project's own.
    pub templates: &'a Templates,
}

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// The built-in templates, by name.
const BUILTIN: &[(&str, &str)] = builtin![
    "global/namespace.yaml",
    "partials/pod.yaml",
    "service/configmap.yaml",
    "service/deployment.yaml",
    "service/externalsecret.yaml",
    "service/flagger.yaml",
    "service/hpa.yaml",
    "service/ingress.yaml",
    "service/istio.yaml",
    "service/networkpolicy.yaml",
    "service/pdb.yaml",
    "service/pvc.yaml",
    "service/rbac.yaml",
    "service/rollout.yaml",
    "service/service.yaml",
    "service/serviceaccount.yaml",
];

/// The condition each built-in template's whole output stands under (see
/// [`guard`]; a test keeps this table what the templates say). A template
/// whose condition is false is neither compiled nor rendered.
const BUILTIN_GUARDS: &[(&str, &str)] = &[
    ("global/namespace.yaml", "values.createNamespace"),
    ("service/configmap.yaml", "config_json is not none"),
    ("service/externalsecret.yaml", "svc.externalSecret"),
    ("service/flagger.yaml", r#"strategy.type == "canary" and strategy.provider == "flagger""#),
    ("service/ingress.yaml", "svc.ingress"),
    ("service/istio.yaml", r#"strategy.type == "canary" and strategy.provider == "istio""#),
    ("service/networkpolicy.yaml", "svc.networkPolicy.enabled"),
    ("service/pvc.yaml", "svc.persistence"),
    ("service/rbac.yaml", "svc.rbac"),
];

/// The template folders, in the order they are read.
const FOLDERS: [&str; 3] = ["global", "partials", "service"];

/// Names of the built-in templates (for docs and `--list-templates`).
pub fn builtin_templates() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// The label that carries the canary track (`stable` or `canary`).
const TRACK_LABEL: &str = "track";
const MANAGED_BY: &str = "vz-render";

/// Renders every object, sorted in install order (see [`crate::order`]).
pub fn render(input: &RenderInput) -> Result<Vec<Value>, Error> {
    let templates = input.templates;
    let values = input.values;
    let namespace =
        values.namespace.clone().unwrap_or_else(|| format!("{}-{}", input.app, input.env));
    // Converted once and shared (minijinja values are reference-counted):
    // copying the whole values into every service's context made a render
    // quadratic in the number of services.
    let shared_values = minijinja::Value::from(minijinja::value::Serde(values));
    let annotations = minijinja::Value::from(minijinja::value::Serde(&values.annotations));

    let mut out = Rendered::default();

    let global_labels = common_labels(input, input.app, None);
    let global = minijinja::Value::from(BTreeMap::from([
        ("app", minijinja::Value::from(input.app)),
        ("env", minijinja::Value::from(input.env)),
        ("namespace", minijinja::Value::from(namespace.as_str())),
        ("values", shared_values.clone()),
        ("labels", minijinja::Value::from(minijinja::value::Serde(&global_labels))),
        ("annotations", annotations.clone()),
    ]));
    let conditions = templates.conditions();
    for name in templates.names("global/") {
        let docs = templates.render(name, &global, None, &conditions)?;
        out.add(
            docs,
            &templates.origin(name),
            None,
            &namespace,
            &global_labels,
            &values.annotations,
        )?;
    }

    let shared: Vec<(&str, minijinja::Value)> = vec![
        ("app", minijinja::Value::from(input.app)),
        ("env", minijinja::Value::from(input.env)),
        ("values", shared_values),
        ("annotations", annotations),
    ];
    // Services render independently, so they render in parallel; results
    // are added in service order, so the output does not depend on the
    // number of threads.
    let services: Vec<(&String, &Service)> = values.services.iter().collect();
    let render_one = |service: &str, svc: &Service| -> Result<ServiceDocs<'_>, Error> {
        let mut ctx: BTreeMap<minijinja::Value, minijinja::Value> = BTreeMap::new();
        for (k, v) in service_context(input, &namespace, service, svc)? {
            ctx.insert(minijinja::Value::from(k), v);
        }
        for (k, v) in &shared {
            ctx.insert(minijinja::Value::from(*k), v.clone());
        }
        let ctx = minijinja::Value::from_object(ctx);
        templates
            .names("service/")
            .map(|name| {
                templates.render(name, &ctx, Some(service), &conditions).map(|docs| (docs, name))
            })
            .collect()
    };
    let rendered: Vec<Result<ServiceDocs<'_>, Error>> =
        vz::par::map(&services, PARALLEL_MIN_SERVICES, |(n, s)| render_one(n, s));
    for ((service, svc), result) in services.iter().zip(rendered) {
        let labels = common_labels(input, service, Some(&svc.tag));
        for (docs, name) in result? {
            out.add(
                docs,
                &templates.origin(name),
                Some(service),
                &namespace,
                &labels,
                &values.annotations,
            )?;
        }
    }

    let mut docs = out.docs;
    crate::order::sort(&mut docs);
    Ok(docs)
}

/// Built-in template outputs the fast reader passed to the full parser.
#[cfg(test)]
static FALLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One service's objects, by the template that rendered them.
type ServiceDocs<'t> = Vec<(Vec<Value>, &'t str)>;

/// Below this many services, threads cost more than they save.
const PARALLEL_MIN_SERVICES: usize = 32;

/// The compiled templates and where each came from.
pub struct Templates {
    env: minijinja::Environment<'static>,
    /// Template name → `built-in NAME` or the user file's path.
    origins: BTreeMap<String, String>,
    /// Template name → the condition its whole output stands under, for
    /// templates that are one `{% if %}` block (see [`guard`]).
    guards: BTreeMap<String, String>,
}

impl Templates {
    /// The built-in templates, each compiled when first rendered (one whose
    /// condition is false never is); [`Templates::add_dir`] adds a project's
    /// own.
    fn builtin() -> Result<Templates, Error> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| Error::usage(format!("template syntax configuration: {e}")))?;
        env.set_syntax(syntax);
        env.set_loader(|name| {
            Ok(BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, text)| text.to_string()))
        });
        let origins = BUILTIN.iter().map(|(n, _)| (n.to_string(), format!("built-in {n}")));
        let guards = BUILTIN_GUARDS.iter().map(|(n, c)| (n.to_string(), c.to_string()));
        Ok(Templates { env, origins: origins.collect(), guards: guards.collect() })
    }

    /// The built-in templates and those of `dir`, which add to them or
    /// override them by name.
    pub fn load(dir: Option<&Path>) -> Result<Templates, Error> {
        let mut templates = Templates::builtin()?;
        if let Some(dir) = dir {
            templates.add_dir(dir)?;
        }
        Ok(templates)
    }

    /// Adds the templates of a project's directory (their `global/`, `service/` and `partials/`),
    /// compiled now, so that a syntax error is reported whether or not the
    /// template renders.
    fn add_dir(&mut self, dir: &Path) -> Result<(), Error> {
        for (name, origin, text) in user_templates(dir)? {
            self.origins.insert(name.clone(), origin.clone());
            match guard(&text) {
                Some(condition) => self.guards.insert(name.clone(), condition.to_string()),
                None => self.guards.remove(&name),
            };
            self.env
                .add_template_owned(name, text)
                .map_err(|e| template_error(&e, &self.origins, &origin, None))?;
        }
        Ok(())
    }

    /// The templates' conditions, compiled for [`Templates::render`]; one
    /// that does not compile is left out (the template's own render then
    /// reports the error).
    fn conditions(&self) -> Conditions<'_> {
        self.guards
            .iter()
            .filter_map(|(name, c)| {
                Some((name.as_str(), self.env.compile_expression_owned(c.clone()).ok()?))
            })
            .collect()
    }

    /// Names of the templates in a folder (`global/`), sorted.
    fn names<'s>(&'s self, folder: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.origins.keys().filter(move |n| n.starts_with(folder)).map(String::as_str)
    }

    fn origin(&self, name: &str) -> String {
        self.origins.get(name).cloned().unwrap_or_else(|| name.to_string())
    }

    /// Renders one template and parses its output into objects; a template
    /// whose condition is false renders nothing, as rendering it would.
    fn render(
        &self,
        name: &str,
        ctx: &minijinja::Value,
        service: Option<&str>,
        conditions: &Conditions<'_>,
    ) -> Result<Vec<Value>, Error> {
        // Only a condition that is defined and false skips: an undefined one
        // is an error under strict undefined, which rendering reports.
        if let Some(condition) = conditions.get(name)
            && condition.eval(ctx).is_ok_and(|v| !v.is_undefined() && !v.is_true())
        {
            return Ok(Vec::new());
        }
        let origin = self.origin(name);
        let text = self
            .env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| template_error(&e, &self.origins, &origin, service))?;
        #[cfg(test)]
        if origin.starts_with("built-in ") && vz::fastyaml::parse(&text).is_none() {
            FALLBACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(docs) = vz::fastyaml::parse(&text) {
            debug_assert_eq!(
                Some(&docs),
                vz::yaml::parse_stream(&text, &origin).ok().as_ref(),
                "the fast reader disagrees with the YAML parser on {origin}"
            );
            return Ok(docs);
        }
        vz::yaml::parse_stream(&text, &origin).map_err(|e| output_error(e, &origin, &text, service))
    }
}

/// Compiled template conditions, by template name.
type Conditions<'t> = BTreeMap<&'t str, minijinja::Expression<'t, 'static>>;

/// The condition of a template whose whole output stands inside one
/// `{% if CONDITION %}` … `{% endif %}` (no `elif` or `else` at its level),
/// with nothing but comments and blank space around it: when the condition
/// is false, the template renders nothing. `None` for any other shape, and
/// where the reading is in doubt (a `%}` inside a string ends a tag early:
/// the condition then does not compile, and the template is rendered).
fn guard(text: &str) -> Option<&str> {
    let mut condition = None;
    let mut depth = 0usize;
    let mut rest = text;
    loop {
        let Some(open) = rest.find('{') else {
            return (depth == 0 && rest.trim().is_empty()).then_some(condition?);
        };
        let (before, at) = rest.split_at(open);
        if depth == 0 && !before.trim().is_empty() {
            return None;
        }
        match at.as_bytes().get(1) {
            Some(b'#') => rest = &at[at.find("#}")? + 2..],
            Some(b'%') => {
                let end = at.find("%}")?;
                let tag = at[2..end].trim_matches('-').trim();
                let (word, expr) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
                match (word, depth) {
                    ("if", 0) if condition.is_none() => condition = Some(expr.trim()),
                    (_, 0) => return None,
                    ("elif" | "else", 1) => return None,
                    _ => {}
                }
                match word {
                    "if" => depth += 1,
                    "endif" => depth -= 1,
                    _ => {}
                }
                rest = &at[end + 2..];
            }
            _ if depth == 0 => return None,
            _ => rest = &at[1..],
        }
    }
}

/// Reads `global/`, `service/` and `partials/` of a user template
/// directory: `(template name, path, text)`, sorted by name.
fn user_templates(dir: &Path) -> Result<Vec<(String, String, String)>, Error> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io_path(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::usage(format!(
            "templates: {} is not a directory (expected global/, service/ and partials/ in it)",
            dir.display()
        )));
    }
    // A template file at the top level is a mistake worth naming: it would
    // otherwise be silently ignored.
    for file in sorted_entries(dir)? {
        if is_template_file(&file) && dir.join(&file).is_file() {
            return Err(Error::usage(format!(
                "templates: {} is not in global/, service/ or partials/ and would never render",
                dir.join(&file).display()
            )));
        }
    }
    let mut out = Vec::new();
    for folder in FOLDERS {
        let sub = dir.join(folder);
        if !sub.is_dir() {
            continue;
        }
        for file in sorted_entries(&sub)? {
            let path = sub.join(&file);
            if !is_template_file(&file) || !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io_path(&path, e))?;
            out.push((format!("{folder}/{file}"), path.display().to_string(), text));
        }
    }
    Ok(out)
}

fn is_template_file(file: &str) -> bool {
    !file.starts_with('.') && (file.ends_with(".yaml") || file.ends_with(".yml"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io_path(dir, e))? {
        let entry = entry.map_err(|e| Error::io_path(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(Error::usage(format!(
                "templates: {} has a file name that is not UTF-8",
                entry.path().display()
            )));
        };
        names.push(name.to_string());
    }
    names.sort();
    Ok(names)
}

/// A minijinja error as a vz error naming the template it happened in: an
/// error inside an included partial arrives wrapped ("could not render
/// include"), so the innermost minijinja error with a location wins.
fn template_error(
    e: &minijinja::Error,
    origins: &BTreeMap<String, String>,
    origin: &str,
    service: Option<&str>,
) -> Error {
    let mut inner = e;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(m) = s.downcast_ref::<minijinja::Error>()
            && m.name().is_some()
        {
            inner = m;
        }
        source = s.source();
    }
    let template = inner.name().and_then(|n| origins.get(n)).map_or(origin, String::as_str);
    let mut message = match inner.detail() {
        Some(d) => format!("{}: {d}", inner.kind()),
        None => inner.kind().to_string(),
    };
    // Causes that are not template errors (a filter's own error) add detail.
    let mut source = std::error::Error::source(inner);
    while let Some(s) = source {
        if s.downcast_ref::<minijinja::Error>().is_none() {
            message.push_str(&format!(": {s}"));
        }
        source = s.source();
    }
    if let Some(s) = service {
        message.push_str(&format!(" (rendering service `{s}`)"));
    }
    Error::Template { template: template.to_string(), line: inner.line().unwrap_or(0), message }
}

/// A template's output that is not YAML: the line is in the rendered
/// output, not in the template, so it goes into the message (with the
/// offending text) rather than into `line`.
fn output_error(e: Error, origin: &str, text: &str, service: Option<&str>) -> Error {
    let (line, message) = match e {
        Error::Parse { at, message } => (at.line, message),
        other => (0, other.to_string()),
    };
    let mut m = String::from("the rendered output is not valid YAML");
    if let Some(s) = service {
        m.push_str(&format!(" (service `{s}`)"));
    }
    if line > 0 {
        m.push_str(&format!(" at output line {line}"));
        if let Some(l) = text.lines().nth(line - 1) {
            m.push_str(&format!(" `{}`", l.trim()));
        }
    }
    m.push_str(&format!(": {message}"));
    if message.contains("after double-quoted scalar") {
        m.push_str(
            " (every {{ expression }} in a .yaml template writes a JSON value: join text inside \
             the braces, {{ name ~ \"-suffix\" }})",
        );
    }
    Error::Template { template: origin.to_string(), line: 0, message: m }
}

/// The objects rendered so far, and which template rendered each.
#[derive(Default)]
struct Rendered {
    docs: Vec<Value>,
    /// (API group, kind, namespace, name) → template origin.
    seen: BTreeMap<(String, String, String, String), String>,
}

impl Rendered {
    /// Checks and completes a template's objects: kind, name, namespace,
    /// the common labels and annotations (the template's own values win).
    fn add(
        &mut self,
        docs: Vec<Value>,
        origin: &str,
        service: Option<&str>,
        namespace: &str,
        labels: &Map<String, Value>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let fail = |message: String| {
            let message = match service {
                Some(s) => format!("{message} (service `{s}`)"),
                None => message,
            };
            Error::Template { template: origin.to_string(), line: 0, message }
        };
        for (i, mut doc) in docs.into_iter().enumerate() {
            let n = i + 1;
            let Some(obj) = doc.as_object_mut() else {
                return Err(fail(format!("document {n} is not a mapping")));
            };
            let api_version = str_field(obj, "apiVersion")
                .ok_or_else(|| fail(format!("document {n} has no apiVersion")))?;
            let kind =
                str_field(obj, "kind").ok_or_else(|| fail(format!("document {n} has no kind")))?;
            let meta = obj.entry("metadata").or_insert_with(|| json!({}));
            let Some(meta) = meta.as_object_mut() else {
                return Err(fail(format!("{kind}: metadata is not a mapping")));
            };
            let name = str_field(meta, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| fail(format!("{kind} (document {n}) has no metadata.name")))?;
            if is_namespaced(&kind) && !meta.contains_key("namespace") {
                meta.insert("namespace".into(), json!(namespace));
            }
            fill(meta, "labels", labels.iter().map(|(k, v)| (k.clone(), v.clone())))
                .map_err(|m| fail(format!("{kind} {name}: {m}")))?;
            fill(meta, "annotations", annotations.iter().map(|(k, v)| (k.clone(), json!(v))))
                .map_err(|m| fail(format!("{kind} {name}: {m}")))?;

            let group = api_version.split_once('/').map_or("", |(g, _)| g).to_string();
            let ns = str_field(meta, "namespace").unwrap_or_default();
            let key = (group, kind.clone(), ns, name.clone());
            if let Some(first) = self.seen.get(&key) {
                return Err(fail(format!(
                    "{kind} {name} is also rendered by {first}; override a built-in by giving \
                     your template the same file name instead"
                )));
            }
            self.seen.insert(key, origin.to_string());
            self.docs.push(doc);
        }
        Ok(())
    }
}

fn str_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Adds entries to `meta[field]` that it does not have yet.
fn fill(
    meta: &mut Map<String, Value>,
    field: &str,
    entries: impl Iterator<Item = (String, Value)>,
) -> Result<(), String> {
    let slot = meta.entry(field).or_insert_with(|| json!({}));
    if slot.is_null() {
        *slot = json!({});
    }
    let Some(map) = slot.as_object_mut() else {
        return Err(format!("metadata.{field} is not a mapping"));
    };
    for (k, v) in entries {
        map.entry(k).or_insert(v);
    }
    if map.is_empty() {
        meta.remove(field);
    }
    Ok(())
}

/// Kinds that live outside namespaces (everything else gets one).
fn is_namespaced(kind: &str) -> bool {
    !matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "PriorityClass"
            | "RuntimeClass"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "IngressClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "APIService"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "PodSecurityPolicy"
            | "ClusterIssuer"
            | "ClusterSecretStore"
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::usage(format!("cannot serialise values: {e}")))
}

/// The labels every object of a service (or, without a version, every
/// global object) carries. The computed `app.kubernetes.io/*` labels win
/// over `values.labels`: the selectors depend on them.
fn common_labels(input: &RenderInput, name: &str, version: Option<&str>) -> Map<String, Value> {
    let mut m: Map<String, Value> =
        input.values.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    m.insert("app.kubernetes.io/name".into(), json!(name));
    m.insert("app.kubernetes.io/part-of".into(), json!(input.app));
    m.insert("app.kubernetes.io/managed-by".into(), json!(MANAGED_BY));
    if let Some(v) = version {
        m.insert("app.kubernetes.io/version".into(), json!(label_value(v)));
    }
    m.insert("vz.dev/environment".into(), json!(label_value(input.env)));
    m
}

/// A label value: at most 63 characters of `[A-Za-z0-9._-]`, starting and
/// ending with a letter or digit (image tags may be 128 long or start with `_`).
fn label_value(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .take(63)
        .collect();
    cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

/// A DNS label from a path, for volume names: `/var/cache/nginx` → `var-cache-nginx`.
fn volume_name(path: &str) -> String {
    let mut s = String::new();
    for c in path.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s.chars().take(50).collect();
    let s = s.trim_end_matches('-');
    if s.is_empty() { "root".into() } else { s.to_string() }
}

/// The config file as its ConfigMap holds it: pretty JSON, 2-space indent,
/// keys sorted (serde_json's map is ordered), a final newline.
fn config_text(config: &Value) -> String {
    let mut s = serde_json::to_string_pretty(config).unwrap_or_else(|_| config.to_string());
    s.push('\n');
    s
}

/// `checksum/config`: SHA-256 over the config file and the secret
/// references (env name, Secret, key; sorted by env name), so a change to
/// either rolls the pods. Secret *values* are not known here and rotate
/// without a roll, as with any Secret.
fn checksum(config: Option<&str>, svc: &Service) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(config.unwrap_or_default().as_bytes());
    h.update([0u8]);
    for (name, r) in &svc.secret_env {
        h.update(format!("{name}={}/{}\n", r.secret, r.key).as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One workload (Deployment or Rollout) the strategy needs.
struct Workload {
    name: String,
    kind: &'static str,
    api_version: &'static str,
    replicas: Option<u32>,
    image: String,
    version: String,
    /// Extra pod labels that are also part of the selector (colour, track).
    extra: Vec<(String, String)>,
}

/// Everything a service template gets, as one JSON object:
///
/// - `name`, `namespace`, `svc` (the service, camelCase), `image`, `labels`,
///   `selector`, `checksum` (or none), `config_json` and `config_map` (or none);
/// - `strategy`: `{type, provider, activeColor, deployColor, colorLabel}`;
/// - `workloads`: `[{name, kind, apiVersion, replicas (or none), image,
///   labels, selector, affinity (or none), volumes, volume_mounts}]`;
/// - `services`: `[{name, selector, annotations}]` (empty when the Service is
///   disabled or Flagger makes its own), `service_ports`, `ingress_backend`;
/// - `autoscalers`: `[{name, target}]`, `budgets`: `[{name, selector}]`,
///   `policy_selector` (a LabelSelector for the NetworkPolicy);
/// - for the pod: `pod_annotations`, `container_ports`, `container_env`,
///   `probes` (`{startup, liveness, readiness}`).
fn service_context(
    input: &RenderInput,
    namespace: &str,
    name: &str,
    svc: &Service,
) -> Result<Vec<(&'static str, minijinja::Value)>, Error> {
    let st = &svc.strategy;
    let color_label = st.color_label.as_str();
    let registry = input
        .values
        .image_registry
        .as_deref()
        .map(|r| r.trim_end_matches('/'))
        .filter(|r| !r.is_empty());
    let repo = match registry {
        Some(r) => format!("{r}/{}", svc.image),
        None => svc.image.clone(),
    };
    let image = match &svc.digest {
        Some(d) => format!("{repo}@{d}"),
        None => format!("{repo}:{}", svc.tag),
    };

    let labels = common_labels(input, name, Some(&svc.tag));
    let mut selector = Map::new();
    selector.insert("app.kubernetes.io/name".into(), json!(name));
    selector.insert("app.kubernetes.io/part-of".into(), json!(input.app));
    let with = |extra: &[(&str, &str)]| -> Value {
        let mut s = selector.clone();
        for (k, v) in extra {
            s.insert((*k).to_string(), json!(v));
        }
        Value::Object(s)
    };
    let match_labels = |extra: &[(&str, &str)]| json!({"matchLabels": with(extra)});

    let config_json = svc.config.as_ref().map(config_text);
    let has_checksum = config_json.is_some() || !svc.secret_env.is_empty();
    let checksum = has_checksum.then(|| checksum(config_json.as_deref(), svc));

    let autoscale = svc.autoscaling.is_some();
    let replicas = (!autoscale).then_some(svc.replicas);
    let first_port = svc.ports.first().ok_or_else(|| {
        Error::usage(format!("services.{name}.ports: at least one port is needed"))
    })?;

    let deployment =
        |name: String, replicas, image: String, version: &str, extra: Vec<(String, String)>| {
            Workload {
                name,
                kind: "Deployment",
                api_version: "apps/v1",
                replicas,
                image,
                version: version.to_string(),
                extra,
            }
        };
    let target =
        |kind: &str, api: &str, n: &str| json!({"apiVersion": api, "kind": kind, "name": n});
    let svc_entry = |n: String, sel: Value, extra: &[(&str, &str)]| {
        let mut a: Map<String, Value> =
            svc.service.annotations.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        for (k, v) in extra {
            a.insert((*k).to_string(), json!(v));
        }
        json!({"name": n, "selector": sel, "annotations": a})
    };

    let mut strategy = json!({
        "type": st.r#type,
        "provider": st.provider,
        "colorLabel": color_label,
        "activeColor": st.active_color,
        "deployColor": null,
    });
    let workloads: Vec<Workload>;
    let mut services: Vec<Value>;
    let ingress_backend: String;
    let mut autoscalers: Vec<Value> = Vec::new();
    let mut budgets: Vec<Value>;
    let mut policy_selector = match_labels(&[]);
    let mut config_map = format!("{name}-config");

    match (st.r#type, st.provider) {
        (StrategyType::Rolling, Provider::Native) => {
            workloads = vec![deployment(name.into(), replicas, image.clone(), &svc.tag, vec![])];
            services = vec![svc_entry(name.into(), with(&[]), &[])];
            ingress_backend = name.into();
            autoscalers
                .push(json!({"name": name, "target": target("Deployment", "apps/v1", name)}));
            budgets = vec![json!({"name": name, "selector": match_labels(&[])})];
        }
        (StrategyType::BlueGreen, Provider::Native) => {
            let active = st.active_color.ok_or_else(|| {
                Error::usage(format!(
                    "services.{name}.strategy.activeColor: a blue-green render needs the colour \
                     live traffic goes to now (blue or green); the render deploys the other one"
                ))
            })?;
            let deploy = active.other();
            strategy["deployColor"] = json!(deploy);
            let dname = format!("{name}-{}", deploy.as_str());
            // Each colour has its own config: changing it for the preview
            // colour must not change the files under the live one.
            config_map = format!("{dname}-config");
            workloads = vec![deployment(
                dname.clone(),
                replicas,
                image.clone(),
                &svc.tag,
                vec![(color_label.into(), deploy.as_str().into())],
            )];
            let colored = |c: Color| with(&[(color_label, c.as_str())]);
            services = vec![
                svc_entry(
                    format!("{name}-active"),
                    colored(active),
                    &[("vz.dev/active-color", active.as_str())],
                ),
                svc_entry(format!("{name}-preview"), colored(deploy), &[]),
                svc_entry(format!("{name}-blue"), colored(Color::Blue), &[]),
                svc_entry(format!("{name}-green"), colored(Color::Green), &[]),
            ];
            ingress_backend = format!("{name}-active");
            // The HPA and PDB are per colour, named after the Deployment: the
            // live colour's pair (rendered when it was deployed) stays as it is.
            autoscalers
                .push(json!({"name": dname, "target": target("Deployment", "apps/v1", &dname)}));
            budgets = vec![json!({
                "name": dname,
                "selector": match_labels(&[(color_label, deploy.as_str())]),
            })];
        }
        (StrategyType::BlueGreen, Provider::Argo) => {
            workloads = vec![Workload {
                name: name.into(),
                kind: "Rollout",
                api_version: "argoproj.io/v1alpha1",
                replicas,
                image: image.clone(),
                version: svc.tag.clone(),
                extra: vec![],
            }];
            // Argo Rollouts adds its pod-template hash to both selectors.
            services = vec![
                svc_entry(format!("{name}-active"), with(&[]), &[]),
                svc_entry(format!("{name}-preview"), with(&[]), &[]),
            ];
            ingress_backend = format!("{name}-active");
            autoscalers.push(
                json!({"name": name, "target": target("Rollout", "argoproj.io/v1alpha1", name)}),
            );
            budgets = vec![json!({"name": name, "selector": match_labels(&[])})];
        }
        (StrategyType::Canary, Provider::Istio) => {
            let stable_tag = st.canary.stable_tag.as_deref().unwrap_or(&svc.tag);
            // The stable track runs `stableTag` by tag; without one it runs
            // the same image (digest included) as the canary.
            let stable_image = match &st.canary.stable_tag {
                Some(t) => format!("{repo}:{t}"),
                None => image.clone(),
            };
            // The canary gets its share of the replicas, at least one (so the
            // header route always has somewhere to go), none when scaled to zero.
            let weight = st.canary.weight.min(100);
            let canary_replicas =
                if svc.replicas == 0 { 0 } else { (svc.replicas * weight).div_ceil(100).max(1) };
            workloads = vec![
                deployment(
                    format!("{name}-stable"),
                    replicas,
                    stable_image,
                    stable_tag,
                    vec![(TRACK_LABEL.into(), "stable".into())],
                ),
                deployment(
                    format!("{name}-canary"),
                    Some(canary_replicas),
                    image.clone(),
                    &svc.tag,
                    vec![(TRACK_LABEL.into(), "canary".into())],
                ),
            ];
            services = vec![svc_entry(name.into(), with(&[]), &[])];
            ingress_backend = name.into();
            // Only the stable track autoscales; the canary's size is fixed above.
            let stable = format!("{name}-stable");
            autoscalers
                .push(json!({"name": stable, "target": target("Deployment", "apps/v1", &stable)}));
            budgets = vec![json!({"name": name, "selector": match_labels(&[])})];
        }
        (StrategyType::Canary, Provider::Flagger) => {
            workloads = vec![deployment(name.into(), replicas, image.clone(), &svc.tag, vec![])];
            // Flagger creates `NAME`, `NAME-primary` and `NAME-canary` itself.
            services = vec![];
            ingress_backend = name.into();
            autoscalers
                .push(json!({"name": name, "target": target("Deployment", "apps/v1", name)}));
            // Flagger relabels the primary's pods `app.kubernetes.io/name:
            // NAME-primary`; select both, or the primary runs unprotected.
            let both = json!({
                "matchLabels": {"app.kubernetes.io/part-of": input.app},
                "matchExpressions": [{
                    "key": "app.kubernetes.io/name",
                    "operator": "In",
                    "values": [name, format!("{name}-primary")],
                }],
            });
            policy_selector = both.clone();
            budgets = vec![json!({"name": name, "selector": both})];
        }
        (t, p) => {
            let t = to_json(&t)?;
            let p = to_json(&p)?;
            return Err(Error::usage(format!(
                "services.{name}.strategy: type {t} with provider {p} is not supported; use \
                 rolling with native, blue-green with native or argo, canary with istio or flagger"
            )));
        }
    }
    if !svc.service.enabled {
        services.clear();
    }
    if !autoscale {
        autoscalers.clear();
    }
    if !svc.disruption_budget.enabled {
        budgets.clear();
    }

    // Volumes: the config, the data claim, an emptyDir per writable path.
    let mut writable = Vec::new();
    let mut used = BTreeSet::from(["config".to_string(), "data".to_string()]);
    for (i, path) in svc.writable_paths.iter().enumerate() {
        let mut v = volume_name(path);
        if !used.insert(v.clone()) {
            v = format!("{v}-{i}");
            used.insert(v.clone());
        }
        writable.push((v, path.clone()));
    }
    let volumes_for = |config_map: &str| {
        let mut volumes = Vec::new();
        let mut mounts = Vec::new();
        if config_json.is_some() {
            volumes.push(json!({"name": "config", "configMap": {"name": config_map}}));
            mounts.push(
                json!({"name": "config", "mountPath": svc.config_mount_path, "readOnly": true}),
            );
        }
        if let Some(p) = &svc.persistence {
            volumes.push(
                json!({"name": "data", "persistentVolumeClaim": {"claimName": format!("{name}-data")}}),
            );
            mounts.push(json!({"name": "data", "mountPath": p.mount_path}));
        }
        for (v, path) in &writable {
            volumes.push(json!({"name": v, "emptyDir": {}}));
            mounts.push(json!({"name": v, "mountPath": path}));
        }
        (volumes, mounts)
    };

    let workloads: Vec<Value> = workloads
        .into_iter()
        .map(|w| {
            let extra: Vec<(&str, &str)> =
                w.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let sel = with(&extra);
            let mut labels = common_labels(input, name, Some(&w.version));
            for (k, v) in &extra {
                labels.insert((*k).to_string(), json!(v));
            }
            let term = json!({
                "labelSelector": {"matchLabels": sel},
                "topologyKey": "kubernetes.io/hostname",
            });
            let affinity = match svc.anti_affinity {
                AntiAffinity::Soft => json!({"podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution":
                        [{"weight": 100, "podAffinityTerm": term}]}}),
                AntiAffinity::Hard => json!({"podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [term]}}),
                AntiAffinity::None => Value::Null,
            };
            let (volumes, mounts) = volumes_for(&config_map);
            json!({
                "name": w.name,
                "kind": w.kind,
                "apiVersion": w.api_version,
                "replicas": w.replicas,
                "image": w.image,
                "labels": labels,
                "selector": sel,
                "affinity": affinity,
                "volumes": volumes,
                "volume_mounts": mounts,
            })
        })
        .collect();

    let mut pod_annotations: Map<String, Value> =
        svc.pod_annotations.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    if let Some(c) = &checksum {
        pod_annotations.insert("checksum/config".into(), json!(c));
    }

    let container_ports: Vec<Value> = svc
        .ports
        .iter()
        .map(|p| json!({"name": p.name, "containerPort": p.port, "protocol": p.protocol}))
        .collect();
    let service_ports: Vec<Value> = svc
        .ports
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "port": p.service_port.unwrap_or(p.port),
                "targetPort": p.name,
                "protocol": p.protocol,
            })
        })
        .collect();

    // Plain values first, then Secret references, each sorted by name.
    let mut container_env: Vec<Value> =
        svc.env.iter().map(|(k, v)| json!({"name": k, "value": v.as_text()})).collect();
    container_env.extend(svc.secret_env.iter().map(|(k, r)| {
        json!({"name": k, "valueFrom": {"secretKeyRef": {"name": r.secret, "key": r.key}}})
    }));

    let probes = probes(svc, &first_port.name);

    // Each part is converted for the templates once (`json!` would copy
    // each by serialising it first), the service straight from its type.
    let fields: [(&str, Value); 20] = [
        ("name", name.into()),
        ("namespace", namespace.into()),
        ("image", image.into()),
        ("labels", labels.into()),
        ("selector", selector.clone().into()),
        ("checksum", checksum.into()),
        ("config_json", config_json.into()),
        ("config_map", config_map.into()),
        ("strategy", strategy),
        ("workloads", workloads.into()),
        ("services", services.into()),
        ("service_ports", service_ports.into()),
        ("ingress_backend", ingress_backend.into()),
        ("autoscalers", autoscalers.into()),
        ("budgets", budgets.into()),
        ("policy_selector", policy_selector),
        ("pod_annotations", pod_annotations.into()),
        ("container_ports", container_ports.into()),
        ("container_env", container_env.into()),
        ("probes", probes),
    ];
    let mut context: Vec<(&'static str, minijinja::Value)> = fields
        .into_iter()
        .map(|(k, v)| (k, minijinja::Value::from(minijinja::value::Serde(&v))))
        .collect();
    context.push(("svc", minijinja::Value::from(minijinja::value::Serde(svc))));
    Ok(context)
}

/// The startup, liveness and readiness probes.
///
/// The startup probe polls every `min(periodSeconds, 5)` seconds (a pod
/// becomes ready soon after it starts, not up to a liveness period later)
/// and allows `ceil(startupSeconds / that period)` failures (at least 1), so
/// the container gets `startupSeconds` to start before liveness takes over.
/// Liveness uses `periodSeconds` and `failureThreshold`; readiness the same
/// period, its own path, and the same threshold.
fn probes(svc: &Service, first_port: &str) -> Value {
    let p = &svc.probes;
    let port = p.port.clone().unwrap_or_else(|| first_port.to_string());
    let handler = |path: &str| match p.r#type {
        ProbeType::Http => json!({"httpGet": {"path": path, "port": port}}),
        ProbeType::Tcp => json!({"tcpSocket": {"port": port}}),
    };
    let period = p.period_seconds.max(1);
    let startup_period = period.min(5);
    let startup_failures = p.startup_seconds.div_ceil(startup_period).max(1);
    let with = |mut h: Value, extra: Value| {
        if let (Some(h), Value::Object(e)) = (h.as_object_mut(), extra) {
            h.extend(e);
        }
        h
    };
    let readiness = p.readiness_path.as_deref().unwrap_or(&p.path);
    json!({
        "startup": with(handler(&p.path), json!({
            "periodSeconds": startup_period,
            "timeoutSeconds": p.timeout_seconds,
            "failureThreshold": startup_failures,
        })),
        "liveness": with(handler(&p.path), json!({
            "periodSeconds": period,
            "timeoutSeconds": p.timeout_seconds,
            "failureThreshold": p.failure_threshold.max(1),
        })),
        "readiness": with(handler(readiness), json!({
            "periodSeconds": period,
            "timeoutSeconds": p.timeout_seconds,
            "failureThreshold": p.failure_threshold.max(1),
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Values;

    fn values(v: Value) -> Values {
        serde_json::from_value(v).expect("test values deserialise")
    }

    fn run(v: &Values) -> Result<Vec<Value>, Error> {
        let templates = Templates::builtin()?;
        render(&RenderInput { app: "shop", env: "production", values: v, templates: &templates })
    }

    fn one(svc: Value) -> Values {
        values(json!({"services": {"api": svc}}))
    }

    fn ids(docs: &[Value]) -> Vec<String> {
        crate::order::tests::names(docs)
    }

    fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind}/{name} in {:?}", ids(docs)))
    }

    fn full() -> Value {
        json!({
            "image": "shop/api", "tag": "1.4.2", "replicas": 3,
            "imagePullSecrets": ["regcred"],
            "command": ["/app"], "args": ["--serve"],
            "ports": [{"name": "http", "port": 8080, "servicePort": 80}, {"name": "metrics", "port": 9090}],
            "env": {"LOG_LEVEL": "info", "A_NUMBER": 3, "FLAG": true},
            "secretEnv": {"DB_PASSWORD": {"secret": "api-db", "key": "password"}},
            "externalSecret": {"secret": "api-db", "store": "vault", "data": {
                "password": {"key": "shop/db", "property": "password"}, "user": {"key": "shop/db-user"}}},
            "config": {"b": {"z": 1, "a": [1, 2]}, "a": "x"},
            "persistence": {"size": "10Gi", "mountPath": "/data", "storageClass": "fast"},
            "serviceAccount": {"annotations": {"iam.example/role": "api"}},
            "rbac": {"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]},
            "service": {"annotations": {"example/lb": "internal"}},
            "ingress": {"host": "shop.example.com", "className": "nginx",
                        "annotations": {"cert-manager.io/cluster-issuer": "le"}},
            "autoscaling": {"minReplicas": 3, "maxReplicas": 10, "targetMemory": 80},
            "networkPolicy": {"allowFrom": [{"namespaceSelector": {"matchLabels": {"team": "obs"}}}]},
            "writablePaths": ["/tmp", "/var/cache/nginx"],
            "podAnnotations": {"prometheus.io/scrape": "true"},
            "nodeSelector": {"pool": "apps"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "apps", "effect": "NoSchedule"}],
            "priorityClassName": "high",
            "antiAffinity": "hard",
        })
    }

    fn with_strategy(mut svc: Value, strategy: Value) -> Value {
        svc["strategy"] = strategy;
        svc
    }

    fn pod_specs(docs: &[Value]) -> Vec<&Value> {
        docs.iter()
            .filter(|d| matches!(d["kind"].as_str(), Some("Deployment" | "Rollout")))
            .map(|d| &d["spec"]["template"]["spec"])
            .collect()
    }

    fn all_strategies() -> Vec<Value> {
        vec![
            json!({}),
            json!({"type": "blue-green", "activeColor": "blue"}),
            json!({"type": "blue-green", "provider": "argo"}),
            json!({"type": "canary", "provider": "istio", "canary": {"weight": 10, "stableTag": "1.4.1"}}),
            json!({"type": "canary", "provider": "flagger"}),
        ]
    }

    /// Every built-in template, in every strategy with every option on, is
    /// read by the fast reader (and, in debug builds, checked against the
    /// full parser).
    #[test]
    fn built_in_output_takes_the_fast_path() {
        for strategy in all_strategies() {
            run(&one(with_strategy(full(), strategy))).unwrap();
        }
        assert_eq!(FALLBACKS.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn rolling_renders_everything_in_install_order() {
        let docs = run(&one(full())).unwrap();
        assert_eq!(
            ids(&docs),
            [
                "Namespace/shop-production",
                "NetworkPolicy/api",
                "ServiceAccount/api",
                "ConfigMap/api-config",
                "PersistentVolumeClaim/api-data",
                "Role/api",
                "RoleBinding/api",
                "Service/api",
                "Deployment/api",
                "HorizontalPodAutoscaler/api",
                "PodDisruptionBudget/api",
                "Ingress/api",
                "ExternalSecret/api-db",
            ]
        );
        for d in &docs {
            let m = &d["metadata"];
            if d["kind"] != "Namespace" {
                assert_eq!(m["namespace"], "shop-production", "{d}");
                assert_eq!(m["labels"]["app.kubernetes.io/version"], "1.4.2");
            }
            assert_eq!(m["labels"]["app.kubernetes.io/part-of"], "shop");
            assert_eq!(m["labels"]["app.kubernetes.io/managed-by"], "vz-render");
            assert_eq!(m["labels"]["vz.dev/environment"], "production");
        }
        let dep = find(&docs, "Deployment", "api");
        assert!(dep["spec"].get("replicas").is_none(), "the HPA owns replicas");
        assert_eq!(dep["spec"]["revisionHistoryLimit"], 5);
        assert_eq!(
            dep["spec"]["strategy"]["rollingUpdate"],
            json!({"maxSurge": "25%", "maxUnavailable": 0})
        );
        let pod = &dep["spec"]["template"];
        assert_eq!(pod["metadata"]["annotations"]["checksum/config"].as_str().unwrap().len(), 64);
        let c = &pod["spec"]["containers"][0];
        assert_eq!(c["image"], "shop/api:1.4.2");
        let env: Vec<&str> =
            c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(env, ["A_NUMBER", "FLAG", "LOG_LEVEL", "DB_PASSWORD"]);
        assert_eq!(c["env"][0]["value"], "3");
        assert_eq!(
            c["env"][3]["valueFrom"]["secretKeyRef"],
            json!({"name": "api-db", "key": "password"})
        );
        assert_eq!(c["startupProbe"]["httpGet"], json!({"path": "/health", "port": "http"}));
        assert_eq!(c["startupProbe"]["failureThreshold"], 30); // 150 s / 5 s
        let mounts: Vec<&str> = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].as_str().unwrap())
            .collect();
        assert_eq!(mounts, ["/config", "/data", "/tmp", "/var/cache/nginx"]);
        assert!(pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].is_array());
        let cm = find(&docs, "ConfigMap", "api-config");
        assert_eq!(
            cm["data"]["app.json"],
            "{\n  \"a\": \"x\",\n  \"b\": {\n    \"a\": [\n      1,\n      2\n    ],\n    \"z\": 1\n  }\n}\n"
        );
        let svc = find(&docs, "Service", "api");
        assert_eq!(
            svc["spec"]["ports"][0],
            json!({"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"})
        );
        assert_eq!(svc["metadata"]["annotations"]["example/lb"], "internal");
        let ing = find(&docs, "Ingress", "api");
        assert_eq!(
            ing["spec"]["tls"],
            json!([{"hosts": ["shop.example.com"], "secretName": "api-tls"}])
        );
        assert_eq!(ing["spec"]["ingressClassName"], "nginx");
        let np = find(&docs, "NetworkPolicy", "api");
        let from = np["spec"]["ingress"][0]["from"].as_array().unwrap();
        assert_eq!(from.len(), 3);
        assert_eq!(
            from[1]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "ingress-nginx"
        );
        let es = find(&docs, "ExternalSecret", "api-db");
        assert_eq!(
            es["spec"]["data"][1],
            json!({"secretKey": "user", "remoteRef": {"key": "shop/db-user"}})
        );
    }

    #[test]
    fn every_container_is_hardened_in_every_strategy() {
        for strategy in all_strategies() {
            let docs = run(&one(with_strategy(full(), strategy.clone()))).unwrap();
            let pods = pod_specs(&docs);
            assert!(!pods.is_empty(), "{strategy}");
            for pod in pods {
                assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
                assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
                assert_eq!(pod["automountServiceAccountToken"], false);
                assert_eq!(pod["enableServiceLinks"], false);
                for c in pod["containers"].as_array().unwrap() {
                    let sc = &c["securityContext"];
                    assert_eq!(sc["allowPrivilegeEscalation"], false, "{strategy}");
                    assert_eq!(sc["readOnlyRootFilesystem"], true);
                    assert_eq!(sc["privileged"], false);
                    assert_eq!(sc["runAsNonRoot"], true);
                    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
                    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
                    for r in ["requests", "limits"] {
                        assert!(
                            c["resources"][r]["cpu"].is_string()
                                && c["resources"][r]["memory"].is_string()
                        );
                    }
                    for p in ["startupProbe", "livenessProbe", "readinessProbe"] {
                        assert!(c[p].is_object(), "{p}");
                    }
                }
            }
        }
    }

    #[test]
    fn blue_green_deploys_the_other_colour_and_never_flips_traffic() {
        for (active, deploy) in [("blue", "green"), ("green", "blue")] {
            let docs = run(&one(with_strategy(
                full(),
                json!({"type": "blue-green", "activeColor": active}),
            )))
            .unwrap();
            let deployments: Vec<&str> = docs
                .iter()
                .filter(|d| d["kind"] == "Deployment")
                .map(|d| d["metadata"]["name"].as_str().unwrap())
                .collect();
            assert_eq!(deployments, [format!("api-{deploy}")]);
            let dep = &docs.iter().find(|d| d["kind"] == "Deployment").unwrap()["spec"];
            assert_eq!(dep["selector"]["matchLabels"]["color"], deploy);
            assert_eq!(dep["template"]["metadata"]["labels"]["color"], deploy);
            let active_svc = find(&docs, "Service", "api-active");
            assert_eq!(active_svc["spec"]["selector"]["color"], active);
            assert_eq!(active_svc["metadata"]["annotations"]["vz.dev/active-color"], active);
            assert_eq!(find(&docs, "Service", "api-preview")["spec"]["selector"]["color"], deploy);
            assert_eq!(find(&docs, "Service", "api-blue")["spec"]["selector"]["color"], "blue");
            assert_eq!(find(&docs, "Service", "api-green")["spec"]["selector"]["color"], "green");
            let ing = find(&docs, "Ingress", "api");
            assert_eq!(
                ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
                "api-active"
            );
            let hpa = find(&docs, "HorizontalPodAutoscaler", &format!("api-{deploy}"));
            assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], format!("api-{deploy}"));
            let pdb = find(&docs, "PodDisruptionBudget", &format!("api-{deploy}"));
            assert_eq!(pdb["spec"]["selector"]["matchLabels"]["color"], deploy);
            find(&docs, "ConfigMap", &format!("api-{deploy}-config"));
            assert!(!docs.iter().any(|d| d["kind"] != "Service"
                && d["metadata"]["name"].as_str().unwrap().starts_with(&format!("api-{active}"))));
        }
        let err = run(&one(with_strategy(full(), json!({"type": "blue-green"})))).unwrap_err();
        assert!(matches!(&err, Error::Usage(m) if m.contains("activeColor")), "{err}");
    }

    #[test]
    fn argo_renders_a_rollout_and_its_two_services() {
        let docs =
            run(&one(with_strategy(full(), json!({"type": "blue-green", "provider": "argo"}))))
                .unwrap();
        let ro = find(&docs, "Rollout", "api");
        assert_eq!(ro["apiVersion"], "argoproj.io/v1alpha1");
        assert_eq!(
            ro["spec"]["strategy"]["blueGreen"],
            json!({"activeService": "api-active", "previewService": "api-preview",
                   "autoPromotionEnabled": false, "scaleDownDelaySeconds": 30})
        );
        assert!(!docs.iter().any(|d| d["kind"] == "Deployment"));
        assert_eq!(
            find(&docs, "Service", "api-active")["spec"]["selector"].as_object().unwrap().len(),
            2
        );
        find(&docs, "Service", "api-preview");
        let hpa = find(&docs, "HorizontalPodAutoscaler", "api");
        assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Rollout");
    }

    #[test]
    fn istio_weights_always_sum_to_100() {
        for weight in [0, 1, 10, 50, 100] {
            let docs = run(&one(with_strategy(
                full(),
                json!({"type": "canary", "provider": "istio", "canary": {"weight": weight, "stableTag": "1.4.1"}}),
            )))
            .unwrap();
            let vs = find(&docs, "VirtualService", "api");
            let http = vs["spec"]["http"].as_array().unwrap();
            assert_eq!(http[0]["match"][0]["headers"]["x-canary"]["exact"], "true");
            assert_eq!(http[0]["route"][0]["destination"]["subset"], "canary");
            let route = http[1]["route"].as_array().unwrap();
            let sum: u64 = route.iter().map(|r| r["weight"].as_u64().unwrap()).sum();
            assert_eq!(sum, 100);
            assert_eq!(route[1]["weight"], weight);
            let stable = find(&docs, "Deployment", "api-stable");
            assert_eq!(
                stable["spec"]["template"]["spec"]["containers"][0]["image"],
                "shop/api:1.4.1"
            );
            assert_eq!(stable["spec"]["template"]["metadata"]["labels"]["track"], "stable");
            assert_eq!(stable["metadata"]["labels"]["app.kubernetes.io/version"], "1.4.1");
            let canary = find(&docs, "Deployment", "api-canary");
            assert_eq!(
                canary["spec"]["template"]["spec"]["containers"][0]["image"],
                "shop/api:1.4.2"
            );
            assert_eq!(canary["spec"]["selector"]["matchLabels"]["track"], "canary");
            assert!(find(&docs, "Service", "api")["spec"]["selector"].get("track").is_none());
            find(&docs, "DestinationRule", "api");
        }
    }

    #[test]
    fn flagger_renders_a_canary_and_no_service() {
        let docs =
            run(&one(with_strategy(full(), json!({"type": "canary", "provider": "flagger"}))))
                .unwrap();
        assert!(!docs.iter().any(|d| d["kind"] == "Service"));
        let c = &find(&docs, "Canary", "api")["spec"];
        assert_eq!(c["targetRef"]["name"], "api");
        assert_eq!(c["autoscalerRef"]["name"], "api");
        assert_eq!(c["service"]["port"], 80);
        assert_eq!(c["service"]["targetPort"], 8080);
        assert_eq!(c["analysis"]["metrics"][0]["thresholdRange"]["min"], 99.0);
        assert_eq!(c["analysis"]["metrics"][1]["thresholdRange"]["max"], 500);
        let np = find(&docs, "NetworkPolicy", "api");
        assert_eq!(
            np["spec"]["podSelector"]["matchExpressions"][0]["values"],
            json!(["api", "api-primary"])
        );
    }

    #[test]
    fn unsupported_strategy_is_a_usage_error() {
        let err = run(&one(with_strategy(full(), json!({"type": "canary"})))).unwrap_err();
        assert!(matches!(&err, Error::Usage(m) if m.contains("istio or flagger")), "{err}");
    }

    #[test]
    fn minimal_service_and_defaults() {
        let v = values(json!({
            "createNamespace": false,
            "labels": {"team": "core"}, "annotations": {"owner": "core@example.com"},
            "imageRegistry": "registry.example.com/",
            "services": {"web": {"image": "shop/web", "tag": "2.0",
                "digest": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "probes": {"type": "tcp"}, "disruptionBudget": {"enabled": false},
                "networkPolicy": {"enabled": false}, "antiAffinity": "none"}},
        }));
        let docs = run(&v).unwrap();
        assert_eq!(ids(&docs), ["ServiceAccount/web", "Service/web", "Deployment/web"]);
        for d in &docs {
            assert_eq!(d["metadata"]["labels"]["team"], "core");
            assert_eq!(d["metadata"]["annotations"]["owner"], "core@example.com");
        }
        let dep = find(&docs, "Deployment", "web");
        assert_eq!(dep["spec"]["replicas"], 2);
        let pod = &dep["spec"]["template"];
        assert!(pod["metadata"].get("annotations").is_none(), "no config, no checksum");
        assert!(pod["spec"].get("affinity").is_none());
        let c = &pod["spec"]["containers"][0];
        assert_eq!(
            c["image"],
            "registry.example.com/shop/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        );
        assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], "http");
        assert_eq!(c["volumeMounts"], json!([{"name": "tmp", "mountPath": "/tmp"}]));
    }

    #[test]
    fn checksum_follows_config_and_secret_refs() {
        let sum = |svc: Value| {
            let docs = run(&one(svc)).unwrap();
            find(&docs, "Deployment", "api")["spec"]["template"]["metadata"]["annotations"]["checksum/config"].clone()
        };
        let base = full();
        let mut changed = full();
        changed["config"]["a"] = json!("y");
        let mut secret = full();
        secret["secretEnv"]["DB_PASSWORD"]["key"] = json!("pw");
        assert_eq!(sum(base.clone()), sum(full()));
        assert_ne!(sum(base.clone()), sum(changed));
        assert_ne!(sum(base), sum(secret));
    }

    #[test]
    fn output_is_deterministic() {
        let mut b = full();
        b["externalSecret"]["secret"] = json!("b-db");
        let v = values(
            json!({"services": {"b": b, "a": with_strategy(full(), json!({"type": "canary", "provider": "istio"}))}}),
        );
        let a = serde_json::to_string(&run(&v).unwrap()).unwrap();
        let b = serde_json::to_string(&run(&v).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn the_built_in_conditions_are_what_the_templates_say() {
        let found: Vec<(&str, &str)> =
            BUILTIN.iter().filter_map(|(n, t)| Some((*n, guard(t)?))).collect();
        assert_eq!(found, BUILTIN_GUARDS);
    }

    #[test]
    fn a_condition_is_found_only_around_the_whole_output() {
        let cases = [
            ("{#- c -#}\n{% if a.b %}\nx: 1\n{% if c %}y{% endif %}\n{% endif %}\n", Some("a.b")),
            ("{%- if a -%}x{%- endif -%}", Some("a")),
            ("{% if a %}x{% else %}y{% endif %}", None),
            ("{% if a %}x{% elif b %}y{% endif %}", None),
            ("{% if a %}x{% endif %}{% if b %}y{% endif %}", None),
            ("{% if a %}x{% endif %}\nz: 1\n", None),
            ("z: 1\n{% if a %}x{% endif %}", None),
            ("{{ a }}{% if a %}x{% endif %}", None),
            ("{% for a in b %}x{% endfor %}", None),
            ("{% if a %}x", None),
            ("no tags", None),
        ];
        for (text, want) in cases {
            assert_eq!(guard(text), want, "{text:?}");
        }
    }

    #[test]
    fn a_false_condition_renders_nothing_and_a_broken_one_renders() {
        // A user template whose condition is false is skipped; one whose
        // condition cannot be evaluated is rendered, and reports its error.
        let docs = run_with(&[(
            "service/extra.yaml",
            "{% if svc.replicas > 100 %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n{% endif %}\n",
        )])
        .unwrap();
        assert!(!ids(&docs).contains(&"ConfigMap/big".to_string()));
        let (template, line, message) =
            template_err(&[("service/extra.yaml", "{% if nope.deeper %}\nx: 1\n{% endif %}\n")]);
        assert!(template.ends_with("extra.yaml"), "{template}");
        assert_eq!(line, 1);
        assert!(message.contains("undefined"), "{message}");
        // A bare undefined name evaluates to undefined, not to an error: it
        // must still be reported, as `{% if %}` in the template reports it.
        let (_, line, message) =
            template_err(&[("service/extra.yaml", "{% if nope %}\nx: 1\n{% endif %}\n")]);
        assert_eq!(line, 1);
        assert!(message.contains("undefined"), "{message}");
    }

    #[test]
    fn builtins_are_listed_and_embedded() {
        let names = builtin_templates();
        assert!(names.contains(&"service/deployment.yaml"));
        assert!(names.contains(&"global/namespace.yaml"));
        assert!(names.iter().all(|n| FOLDERS.iter().any(|f| n.starts_with(&format!("{f}/")))));
    }

    /// A unique scratch directory, removed on drop.
    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(tag: &str, files: &[(&str, &str)]) -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "vz-render-test-{}-{tag}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            for (path, text) in files {
                let p = dir.join(path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn run_with(files: &[(&str, &str)]) -> Result<Vec<Value>, Error> {
        let dir = Scratch::new("tpl", files);
        let v = one(json!({"image": "shop/api", "tag": "1.0"}));
        let templates = Templates::load(Some(&dir.0))?;
        render(&RenderInput { app: "shop", env: "staging", values: &v, templates: &templates })
    }

    fn template_err(files: &[(&str, &str)]) -> (String, usize, String) {
        match run_with(files) {
            Err(Error::Template { template, line, message }) => (template, line, message),
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn user_templates_add_and_override() {
        let docs = run_with(&[
            ("service/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ name ~ \"-custom\" }}\n"),
            ("global/quota.yaml", "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: {{ app }}\nspec:\n  hard: {\"pods\": \"20\"}\n"),
            ("service/README.md", "not a template"),
            ("service/hpa.yaml", "{# disabled #}\n"),
        ])
        .unwrap();
        let ids = ids(&docs);
        assert!(ids.contains(&"Deployment/api-custom".to_string()), "{ids:?}");
        assert!(!ids.contains(&"Deployment/api".to_string()));
        assert_eq!(find(&docs, "ResourceQuota", "shop")["metadata"]["namespace"], "shop-staging");
        assert_eq!(
            find(&docs, "Deployment", "api-custom")["metadata"]["labels"]["app.kubernetes.io/name"],
            "api"
        );
    }

    #[test]
    fn syntax_errors_name_the_user_file_and_line() {
        let (template, line, message) =
            template_err(&[("service/extra.yaml", "kind: x\n\n{% if name %}\nfoo\n")]);
        assert!(template.ends_with("service/extra.yaml"), "{template}");
        assert!(std::path::Path::new(&template).is_absolute());
        assert!(line >= 3, "{line}");
        assert!(message.contains("syntax error"), "{message}");
    }

    #[test]
    fn undefined_variables_are_errors() {
        let (template, line, message) = template_err(&[(
            "service/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nmae }}\n",
        )]);
        assert!(template.ends_with("extra.yaml"));
        assert_eq!(line, 4);
        assert!(message.contains("undefined") && message.contains("`api`"), "{message}");
        let (_, line, message) = template_err(&[(
            "service/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ svc.nope.deeper }}\n",
        )]);
        assert_eq!(line, 4);
        assert!(message.contains("undefined"), "{message}");
        // A bare undefined name evaluates to undefined, not to an error: it
        // must still be reported, as `{% if %}` in the template reports it.
        let (_, line, message) =
            template_err(&[("service/extra.yaml", "{% if nope %}\nx: 1\n{% endif %}\n")]);
        assert_eq!(line, 1);
        assert!(message.contains("undefined"), "{message}");
    }

    #[test]
    fn errors_in_partials_name_the_partial() {
        let (template, line, _m) =
            template_err(&[("partials/pod.yaml", "  template:\n    spec: {{ missing }}\n")]);
        assert!(template.ends_with("partials/pod.yaml"), "{template} {line} {_m}");
        assert_eq!(line, 2);
    }

    #[test]
    fn bad_yaml_output_names_template_service_and_output_line() {
        let (template, _, message) = template_err(&[(
            "service/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}-x\n",
        )]);
        assert!(template.ends_with("extra.yaml"));
        assert!(message.contains("not valid YAML") && message.contains("`api`"), "{message}");
        assert!(message.contains("output line 4"), "{message}");
    }

    #[test]
    fn objects_must_be_complete_and_unique() {
        let (_, _, message) =
            template_err(&[("service/extra.yaml", "apiVersion: v1\nmetadata: {name: x}\n")]);
        assert!(message.contains("no kind"), "{message}");
        let (_, _, message) =
            template_err(&[("service/extra.yaml", "apiVersion: v1\nkind: ConfigMap\n")]);
        assert!(message.contains("metadata.name"), "{message}");
        let (template, _, message) = template_err(&[(
            "service/extra.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ name }}\n",
        )]);
        let both = format!("{template} {message}");
        assert!(
            both.contains("extra.yaml") && both.contains("service/serviceaccount.yaml"),
            "{both}"
        );
    }

    #[test]
    fn stray_and_missing_template_dirs_are_errors() {
        let err = run_with(&[("deployment.yaml", "x: 1\n")]).unwrap_err();
        assert!(
            matches!(&err, Error::Usage(m) if m.contains("global/, service/ or partials/")),
            "{err}"
        );
        let missing = std::env::temp_dir().join("vz-render-test-no-such-dir");
        let err = Templates::load(Some(&missing)).err().expect("a missing directory is an error");
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
