//! The objects checked: Kubernetes objects and application configuration
//! documents read from the inputs, and where each one's pod spec lives.

use crate::model::ObjectRef;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use vz::Location;
use vz::input::Document;

/// One document of the input: a Kubernetes object, or (no `apiVersion` and
/// `kind`) an application configuration.
#[derive(Clone, Debug)]
pub struct Object {
    /// The document and where its parts stand.
    pub doc: Document,
    /// `kind` (`config` for a configuration document).
    pub kind: String,
    /// `apiVersion` (empty for a configuration document).
    pub api_version: String,
    /// `metadata.name` (the input's name for a configuration document).
    pub name: String,
    /// `metadata.namespace`, empty when not set.
    pub namespace: String,
    /// Whether this is an application configuration document.
    pub config: bool,
}

/// What is wrong with a document whose identity fields have the wrong type
/// (`kind: 5`, `metadata: [a]`): a Kubernetes API server would refuse it
/// too, and a rule could not say what it checked. Every such field of every
/// document is reported at once ([`crate::read_objects`]).
pub fn check_shape(d: &Document) -> Vec<vz::Error> {
    let mut errors = Vec::new();
    let mut wrong = |path: &str, what: &str| {
        errors.push(vz::Error::Invalid {
            at: d.locate(path, false),
            path: path.to_string(),
            message: format!("expected {what}"),
            suggestion: None,
        });
    };
    for field in ["apiVersion", "kind"] {
        if d.value.get(field).is_some_and(|v| !v.is_string()) {
            wrong(field, "text (a Kubernetes object's apiVersion and kind are strings)");
        }
    }
    let kube = d.value.get("apiVersion").is_some() && d.value.get("kind").is_some();
    if kube && d.value.get("metadata").is_some_and(|m| !m.is_object() && !m.is_null()) {
        wrong("metadata", "a mapping (name, namespace, labels, annotations)");
    }
    let meta = d.value.get("metadata").filter(|_| kube);
    for field in ["name", "namespace"] {
        if meta.and_then(|m| m.get(field)).is_some_and(|v| !v.is_string()) {
            wrong(&format!("metadata.{field}"), "text");
        }
    }
    for field in ["labels", "annotations"] {
        let v = meta.and_then(|m| m.get(field));
        if v.is_some_and(|v| !v.is_object() && !v.is_null()) {
            wrong(&format!("metadata.{field}"), "a mapping of text to text");
        }
    }
    errors
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl Object {
    /// Classifies a document.
    pub fn new(doc: Document) -> Object {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let kind = text(doc.value.get("kind"));
        let api_version = text(doc.value.get("apiVersion"));
        let config = kind.is_empty() || api_version.is_empty();
        let meta = doc.value.get("metadata");
        let (kind, name, namespace) = if config {
            ("config".to_string(), doc.at.input.to_string(), String::new())
        } else {
            (
                kind,
                text(meta.and_then(|m| m.get("name"))),
                text(meta.and_then(|m| m.get("namespace"))),
            )
        };
        Object { doc, kind, api_version, name, namespace, config }
    }

    /// The object's value.
    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// The value at `path` (`spec.template.spec`), if any.
    pub fn get(&self, path: &str) -> Option<&Value> {
        if path.is_empty() { Some(&self.doc.value) } else { vz::path::get(&self.doc.value, path) }
    }

    /// `metadata.labels` (empty when none).
    pub fn labels(&self) -> &Map<String, Value> {
        self.meta_map("labels")
    }

    /// `metadata.annotations` (empty when none).
    pub fn annotations(&self) -> &Map<String, Value> {
        self.meta_map("annotations")
    }

    fn meta_map(&self, key: &str) -> &Map<String, Value> {
        self.doc
            .value
            .get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY)
    }

    /// The group of `apiVersion` (`apps`, `argoproj.io`; empty for core).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// How outputs name the object.
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
        }
    }

    /// Where the value (or key, with `key`) at `path` stands; the object's
    /// start when the path is not in the input.
    pub fn locate(&self, path: &str, key: bool) -> Location {
        self.doc.locate(path, key)
    }
}

/// A pod spec inside an object.
#[derive(Clone, Copy, Debug)]
pub struct PodSpec<'a> {
    /// Its path (`spec.template.spec`).
    pub path: &'a str,
    /// The pod spec.
    pub spec: &'a Value,
}

/// A container inside a pod spec.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    /// Its path (`spec.template.spec.initContainers[0]`).
    path: String,
    /// `name` (or `#N` when unnamed).
    pub name: std::borrow::Cow<'a, str>,
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub list: &'static str,
    /// The container.
    pub value: &'a Value,
    /// How messages name it (made once: most rules' messages do).
    label: String,
}

impl Container<'_> {
    /// Its path (`spec.template.spec.initContainers[0]`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// How messages name it: `container "app"`, `init container "migrate"`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The value at a dotted `path` inside the container.
    pub fn get(&self, path: &str) -> Option<&Value> {
        vz::path::get(self.value, path)
    }
}

/// Every container of a pod spec: containers, then init and ephemeral
/// containers.
pub fn containers<'a>(pod: &PodSpec<'a>) -> Vec<Container<'a>> {
    let mut out = Vec::new();
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(items) = pod.spec.get(list).and_then(Value::as_array) else { continue };
        for (index, c) in items.iter().enumerate() {
            let name = match c.get("name").and_then(Value::as_str) {
                Some(n) => std::borrow::Cow::Borrowed(n),
                None => std::borrow::Cow::Owned(format!("#{index}")),
            };
            let mut path = String::with_capacity(pod.path.len() + list.len() + 8);
            path.push_str(pod.path);
            vz::path::push_key(&mut path, list);
            vz::path::push_index(&mut path, index);
            let what = match list {
                "initContainers" => "init container",
                "ephemeralContainers" => "ephemeral container",
                _ => "container",
            };
            let label = format!("{what} \"{name}\"");
            out.push(Container { path, name, list, value: c, label });
        }
    }
    out
}

/// Where pod specs live, by kind: the built-in workload kinds plus any
/// `--locator KIND=POINTER` (and `locators:` in a rules file).
#[derive(Clone, Debug)]
pub struct Locators {
    /// Kind (`Rollout`) or `kind.group` (`Rollout.argoproj.io`) → paths.
    by_kind: BTreeMap<String, Vec<String>>,
}

/// The kinds vz knows where the pod spec is.
const BUILT_IN: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("Deployment", "spec.template.spec"),
    ("StatefulSet", "spec.template.spec"),
    ("DaemonSet", "spec.template.spec"),
    ("ReplicaSet", "spec.template.spec"),
    ("ReplicationController", "spec.template.spec"),
    ("Job", "spec.template.spec"),
    ("CronJob", "spec.jobTemplate.spec.template.spec"),
    ("PodTemplate", "template.spec"),
    ("Rollout.argoproj.io", "spec.template.spec"),
    ("DeploymentConfig.apps.openshift.io", "spec.template.spec"),
    // OpenShift 3's DeploymentConfig in the core group (`apiVersion: v1`).
    ("DeploymentConfig", "spec.template.spec"),
];

impl Default for Locators {
    fn default() -> Self {
        let mut by_kind = BTreeMap::new();
        for (kind, path) in BUILT_IN {
            by_kind.insert((*kind).to_string(), vec![(*path).to_string()]);
        }
        Locators { by_kind }
    }
}

impl Locators {
    /// Adds `KIND=POINTER` (`Workflow.argoproj.io=/spec/templates/0/podSpec`,
    /// or a bare kind). The error says what a locator looks like.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (kind, pointer) = spec.split_once('=').ok_or_else(|| {
            format!("locator `{spec}` should be KIND=POINTER, such as Workflow.argoproj.io=/spec/podSpec")
        })?;
        let kind = kind.trim();
        if kind.is_empty() || !pointer.starts_with('/') {
            return Err(format!(
                "locator `{spec}` should be KIND=POINTER with a JSON pointer starting with `/`, such as \
                 MyJob.example.com=/spec/template/spec"
            ));
        }
        let path = pointer_path(pointer);
        let paths = self.by_kind.entry(kind.to_string()).or_default();
        if !paths.contains(&path) {
            paths.push(path);
        }
        Ok(())
    }

    /// Whether `object`'s kind has pod specs.
    pub fn is_workload(&self, object: &Object) -> bool {
        self.paths(object).is_some()
    }

    fn paths(&self, object: &Object) -> Option<&Vec<String>> {
        if object.config {
            return None;
        }
        let group = object.group();
        // `Kind.group` without building the string: the range of keys that
        // start with the kind holds it.
        let qualified = self
            .by_kind
            .range::<str, _>((
                std::ops::Bound::Excluded(object.kind.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(object.kind.as_str()))
            .find(|(k, _)| {
                k.len() == object.kind.len() + 1 + group.len()
                    && k.ends_with(group)
                    && k.as_bytes()[object.kind.len()] == b'.'
            })
            .map(|(_, v)| v);
        qualified.or_else(|| {
            // A bare kind matches any group; built-in bare kinds only the core
            // and Kubernetes groups (a CRD may reuse the name `Deployment`).
            let bare = self.by_kind.get(&object.kind)?;
            let builtin = BUILT_IN.iter().any(|(k, _)| *k == object.kind);
            let kubernetes = group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io");
            (!builtin || kubernetes).then_some(bare)
        })
    }

    /// The pod specs of `object` (none when it has no locator, or the
    /// locator's path is absent, as in a Rollout with `workloadRef`).
    pub fn pod_specs<'a>(&'a self, object: &'a Object) -> Vec<PodSpec<'a>> {
        self.checked_pod_specs(object).unwrap_or_default()
    }

    /// [`Locators::pod_specs`], or the first pod-spec path of `object` that
    /// holds something other than a mapping (`spec: [...]`): each path is
    /// looked up once.
    pub fn checked_pod_specs<'a>(
        &'a self,
        object: &'a Object,
    ) -> Result<Vec<PodSpec<'a>>, &'a str> {
        let Some(paths) = self.paths(object) else { return Ok(Vec::new()) };
        let mut specs = Vec::with_capacity(paths.len());
        for p in paths {
            match object.get(p) {
                Some(spec) if spec.is_object() => specs.push(PodSpec { path: p, spec }),
                Some(v) if !v.is_null() => return Err(p),
                _ => {}
            }
        }
        Ok(specs)
    }
}

/// `/spec/template/spec` → `spec.template.spec`; list indexes stay indexes.
fn pointer_path(pointer: &str) -> String {
    pointer.split('/').skip(1).fold(String::new(), |p, token| {
        let token = token.replace("~1", "/").replace("~0", "~");
        match token.parse::<usize>() {
            Ok(i) => vz::path::index(&p, i),
            Err(_) => vz::path::key(&p, &token),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Object {
        Object::new(Document { value, at: Location::input("t.yaml"), map: Default::default() })
    }

    #[test]
    fn cronjob_and_rollout_pod_specs_are_found() {
        let l = Locators::default();
        let cron = object(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}}}),
        );
        let specs = l.pod_specs(&cron);
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].path, "spec.jobTemplate.spec.template.spec");
        let rollout = object(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "r"}, "spec": {"template": {"spec": {"containers": []}}}}));
        assert_eq!(l.pod_specs(&rollout).len(), 1);
        let ref_only = object(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "r"}, "spec": {"workloadRef": {"kind": "Deployment"}}}));
        assert!(l.is_workload(&ref_only));
        assert!(l.pod_specs(&ref_only).is_empty());
    }

    #[test]
    fn a_pod_spec_that_is_not_a_mapping_is_named() {
        let l = Locators::default();
        let bad = object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d"}, "spec": {"template": {"spec": ["x"]}}}));
        assert_eq!(l.checked_pod_specs(&bad).err(), Some("spec.template.spec"));
        assert!(l.pod_specs(&bad).is_empty());
        let none = object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d"}, "spec": {"template": {"spec": null}}}));
        assert_eq!(l.checked_pod_specs(&none).map(|s| s.len()), Ok(0));
        let service =
            object(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}));
        assert_eq!(l.checked_pod_specs(&service).map(|s| s.len()), Ok(0));
    }

    #[test]
    fn a_crd_named_like_a_builtin_is_not_a_workload_until_located() {
        let mut l = Locators::default();
        let crd = object(
            json!({"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"runner": {"spec": {"containers": [{"name": "a"}]}}}}),
        );
        assert!(!l.is_workload(&crd));
        l.add("Deployment.example.com=/spec/runner/spec").unwrap();
        assert_eq!(l.pod_specs(&crd)[0].path, "spec.runner.spec");
    }

    #[test]
    fn locators_are_checked() {
        let mut l = Locators::default();
        assert!(l.add("Workflow").unwrap_err().contains("KIND=POINTER"));
        assert!(l.add("Workflow=spec").unwrap_err().contains("starting with `/`"));
        l.add("Workflow.argoproj.io=/spec/templates/0/pod").unwrap();
        assert_eq!(l.by_kind["Workflow.argoproj.io"], vec!["spec.templates[0].pod".to_string()]);
    }

    #[test]
    fn containers_of_every_list_are_named() {
        let spec = json!({"containers": [{"name": "app"}], "initContainers": [{"name": "init"}],
            "ephemeralContainers": [{}]});
        let pod = PodSpec { path: "spec", spec: &spec };
        let labels: Vec<String> =
            containers(&pod).iter().map(|c| format!("{} {}", c.path(), c.label())).collect();
        assert_eq!(
            labels,
            [
                "spec.containers[0] container \"app\"",
                "spec.initContainers[0] init container \"init\"",
                "spec.ephemeralContainers[0] ephemeral container \"#0\""
            ]
        );
    }
}
