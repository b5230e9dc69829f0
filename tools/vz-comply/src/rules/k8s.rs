//! The built-in Kubernetes rules. Their names, severities, fixes and aliases
//! are data (`data/k8s-rules.yaml`); each `check` there names a function
//! here. A check returns `None` when the rule is not about the object's kind
//! (nothing is recorded), and a [`Verdict`] otherwise.

use super::Verdict;
use crate::model::{Level, Origin, RuleInfo, Severity, Violation};
use crate::object::{Container, Locators, Object, PodSpec, containers};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use vz::secret::{is_placeholder, looks_secret, secret_value};

/// A built-in Kubernetes rule.
#[derive(Clone, Debug)]
pub struct K8sRule {
    /// What outputs say about it.
    pub info: RuleInfo,
    /// The words a framework control mapped to it must use.
    pub subject: Vec<String>,
    check: Check,
}

type Check = fn(&Subject<'_>) -> Option<Verdict>;

impl K8sRule {
    /// Evaluates the rule on `object`; `None` when the rule is not about
    /// objects of its kind.
    pub fn check(&self, object: &Subject<'_>) -> Option<Verdict> {
        if object.config {
            return None;
        }
        (self.check)(object)
    }
}

/// An object as the rules see it: with the run's [`Context`], and what most
/// of them ask worked out the first time one does, its pod specs and their
/// containers (looking them up for each rule was a quarter of checking a
/// workload).
pub struct Subject<'a> {
    object: &'a Object,
    ctx: &'a Context<'a>,
    pods: std::cell::OnceCell<Option<Result<Vec<Pod<'a>>, Verdict>>>,
}

/// A pod spec and its containers.
struct Pod<'a> {
    spec: PodSpec<'a>,
    containers: Vec<Container<'a>>,
}

impl<'a> Subject<'a> {
    /// `object` in the run `ctx` describes, nothing about it worked out yet.
    pub fn new(object: &'a Object, ctx: &'a Context<'a>) -> Self {
        Subject { object, ctx, pods: std::cell::OnceCell::new() }
    }

    /// The object, for as long as the run has it.
    pub fn object(&self) -> &'a Object {
        self.object
    }

    /// The object's pod specs, looked up the first time (see [`pods`]).
    fn found(&self) -> &Option<Result<Vec<Pod<'a>>, Verdict>> {
        self.pods.get_or_init(|| find_pods(self.ctx, self.object))
    }

    /// Whether the object's kind has pod specs.
    fn is_workload(&self) -> bool {
        self.found().is_some()
    }
}

impl std::ops::Deref for Subject<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        self.object
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    id: String,
    check: String,
    title: String,
    subject: Vec<String>,
    severity: Severity,
    #[serde(default)]
    level: Level,
    fix: String,
    #[serde(default)]
    aliases: Vec<String>,
}

const DATA: &str = include_str!("../../data/k8s-rules.yaml");

/// The built-in rules, in id order.
pub fn builtin() -> Vec<K8sRule> {
    let docs =
        vz::input::parse_documents(DATA, "data/k8s-rules.yaml", vz::input::Locate::Documents)
            .expect("the embedded k8s-rules.yaml is YAML (a unit test proves it)");
    let metas: Vec<Meta> = docs[0]
        .typed("")
        .expect("the embedded k8s-rules.yaml is well-formed (a unit test proves it)");
    let mut rules: Vec<K8sRule> = metas
        .into_iter()
        .map(|m| {
            let check = check_named(&m.check).unwrap_or_else(|| {
                panic!("no check named {} (a unit test proves all exist)", m.check)
            });
            K8sRule {
                info: RuleInfo {
                    id: m.id,
                    title: m.title,
                    severity: m.severity,
                    level: m.level,
                    fix: m.fix,
                    aliases: m.aliases,
                    controls: Vec::new(),
                    origin: Origin::Kubernetes,
                },
                subject: m.subject,
                check,
            }
        })
        .collect();
    rules.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    rules
}

fn check_named(name: &str) -> Option<Check> {
    Some(match name {
        "run-as-non-root" => run_as_non_root,
        "read-only-root-filesystem" => read_only_root_filesystem,
        "drop-all-capabilities" => drop_all_capabilities,
        "no-privilege-escalation" => no_privilege_escalation,
        "not-privileged" => not_privileged,
        "no-host-network" => |o| host_namespace(o, "hostNetwork", "the host network"),
        "no-host-pid" => |o| host_namespace(o, "hostPID", "the host's process ID namespace"),
        "no-host-ipc" => |o| host_namespace(o, "hostIPC", "the host's IPC namespace"),
        "no-host-path" => no_host_path,
        "seccomp-profile" => seccomp_profile,
        "cpu-requests" => |o| resource(o, "requests", "cpu"),
        "cpu-limits" => |o| resource(o, "limits", "cpu"),
        "memory-requests" => |o| resource(o, "requests", "memory"),
        "memory-limits" => |o| resource(o, "limits", "memory"),
        "liveness-probe" => |o| probe(o, "livenessProbe"),
        "readiness-probe" => |o| probe(o, "readinessProbe"),
        "image-tag-pinned" => image_tag_pinned,
        "image-digest" => image_digest,
        "image-pull-policy" => image_pull_policy,
        "no-secrets-in-configmaps" => no_secrets_in_configmaps,
        "no-literal-secret-env" => no_literal_secret_env,
        "no-service-account-token" => no_service_account_token,
        "not-default-namespace" => not_default_namespace,
        "ingress-tls" => ingress_tls,
        "network-policy" => network_policy,
        "pod-disruption-budget" => pod_disruption_budget,
        "hpa-min-replicas" => hpa_min_replicas,
        "production-replicas" => production_replicas,
        _ => return None,
    })
}

/// What rules may know about the whole input: where pod specs live, the
/// environment, and the objects other objects depend on.
#[derive(Debug)]
pub struct Context<'a> {
    /// Where pod specs live.
    pub locators: &'a Locators,
    /// `--environment`, when given.
    pub environment: Option<&'a str>,
    network_policies: BTreeMap<&'a str, Vec<&'a Value>>,
    disruption_budgets: BTreeMap<&'a str, Vec<&'a Value>>,
    autoscalers: BTreeMap<(&'a str, &'a str, &'a str), &'a Value>,
    service_accounts: BTreeMap<(&'a str, &'a str), &'a Value>,
}

impl<'a> Context<'a> {
    /// Indexes the objects that other objects' rules look at.
    pub fn new(
        objects: &'a [Object],
        locators: &'a Locators,
        environment: Option<&'a str>,
    ) -> Self {
        let mut ctx = Context {
            locators,
            environment,
            network_policies: BTreeMap::new(),
            disruption_budgets: BTreeMap::new(),
            autoscalers: BTreeMap::new(),
            service_accounts: BTreeMap::new(),
        };
        for o in objects.iter().filter(|o| !o.config) {
            let ns = o.namespace.as_str();
            match o.kind.as_str() {
                "NetworkPolicy" => ctx.network_policies.entry(ns).or_default().push(o.value()),
                "PodDisruptionBudget" => {
                    ctx.disruption_budgets.entry(ns).or_default().push(o.value())
                }
                "ServiceAccount" => {
                    ctx.service_accounts.insert((ns, o.name.as_str()), o.value());
                }
                "HorizontalPodAutoscaler" => {
                    let target = o.value().pointer("/spec/scaleTargetRef");
                    let field = |k: &str| {
                        target.and_then(|t| t.get(k)).and_then(Value::as_str).unwrap_or_default()
                    };
                    ctx.autoscalers.insert((ns, field("kind"), field("name")), o.value());
                }
                _ => {}
            }
        }
        ctx
    }

    fn autoscaler(&self, o: &Object) -> Option<&'a Value> {
        self.autoscalers.get(&(o.namespace.as_str(), o.kind.as_str(), o.name.as_str())).copied()
    }

    /// The environment an object is for: `--environment`, else its
    /// `vz.dev/environment` (or `environment`, `env`) label, else a
    /// namespace named `prod`/`production` or ending in `-prod`/`-production`.
    fn is_production(&self, o: &Object) -> Option<bool> {
        let prod = |s: &str| {
            let s = s.to_ascii_lowercase();
            s == "prod" || s == "production"
        };
        if let Some(env) = self.environment {
            return Some(prod(env));
        }
        let labels = o.labels();
        for key in ["vz.dev/environment", "app.kubernetes.io/environment", "environment", "env"] {
            if let Some(v) = labels.get(key).and_then(Value::as_str) {
                return Some(prod(v));
            }
        }
        let ns = o.namespace.to_ascii_lowercase();
        (prod(&ns) || ns.ends_with("-prod") || ns.ends_with("-production")).then_some(true)
    }
}

// ---- helpers ----------------------------------------------------------------

fn violation(o: &Object, path: String, message: String) -> Violation {
    let at = o.locate(&path, false);
    Violation { path, message, at }
}

fn verdict(violations: Vec<Violation>) -> Verdict {
    if violations.is_empty() { Verdict::Passed } else { Verdict::Violations(violations) }
}

/// The pod specs of a workload: `None` when the object is not a workload,
/// `Some(Err)` when a workload has none (an Argo Rollout with workloadRef)
/// or its containers are not lists.
fn pods<'s, 'a>(o: &'s Subject<'a>) -> Option<Result<&'s [Pod<'a>], Verdict>> {
    match o.found() {
        None => None,
        Some(Ok(pods)) => Some(Ok(pods)),
        Some(Err(v)) => Some(Err(v.clone())),
    }
}

/// [`pods`], looked up.
fn find_pods<'a>(ctx: &'a Context<'a>, o: &'a Object) -> Option<Result<Vec<Pod<'a>>, Verdict>> {
    if !ctx.locators.is_workload(o) {
        return None;
    }
    let specs = match ctx.locators.checked_pod_specs(o) {
        Ok(specs) => specs,
        Err(path) => {
            return Some(Err(Verdict::Error(format!("{path} is not a mapping (a pod spec)"))));
        }
    };
    if specs.is_empty() {
        return Some(Err(Verdict::NotApplicable(
            "no pod template in the object (e.g. a workloadRef)".into(),
        )));
    }
    for pod in &specs {
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            if pod.spec.get(list).is_some_and(|v| !v.is_array() && !v.is_null()) {
                return Some(Err(Verdict::Error(format!(
                    "{} is not a list",
                    vz::path::key(pod.path, list)
                ))));
            }
        }
    }
    Some(Ok(specs.into_iter().map(|spec| Pod { containers: containers(&spec), spec }).collect()))
}

/// Runs `f` on every pod spec of a workload.
fn each_pod(
    o: &Subject<'_>,
    mut f: impl FnMut(&PodSpec<'_>, &mut Vec<Violation>),
) -> Option<Verdict> {
    let specs = match pods(o)? {
        Ok(s) => s,
        Err(v) => return Some(v),
    };
    let mut out = Vec::new();
    for pod in specs {
        f(&pod.spec, &mut out);
    }
    Some(verdict(out))
}

/// Runs `f` on every container (those of the lists in `lists`) of every pod
/// spec of a workload.
fn each_container(
    o: &Subject<'_>,
    lists: &[&str],
    mut f: impl FnMut(&PodSpec<'_>, &Container<'_>, &mut Vec<Violation>),
) -> Option<Verdict> {
    let specs = match pods(o)? {
        Ok(s) => s,
        Err(v) => return Some(v),
    };
    let mut out = Vec::new();
    let mut seen = false;
    for pod in specs {
        for c in pod.containers.iter().filter(|c| lists.contains(&c.list)) {
            seen = true;
            f(&pod.spec, c, &mut out);
        }
    }
    if !seen {
        return Some(Verdict::NotApplicable("no containers".into()));
    }
    Some(verdict(out))
}

const ALL_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// A container's security-context field, else the pod's (for the fields a
/// pod-level securityContext provides), with the path where it was found.
fn security_field<'v>(
    pod: &PodSpec<'v>,
    c: &Container<'v>,
    field: &str,
) -> Option<(&'v Value, String)> {
    if let Some(v) = c.value.get("securityContext").and_then(|s| s.get(field)) {
        return Some((v, [c.path(), ".securityContext.", field].concat()));
    }
    pod.spec
        .get("securityContext")
        .and_then(|s| s.get(field))
        .map(|v| (v, [pod.path, ".securityContext.", field].concat()))
}

fn container_field(c: &Container<'_>, field: &str) -> String {
    [c.path(), ".securityContext.", field].concat()
}

// ---- pod security -----------------------------------------------------------

fn run_as_non_root(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |pod, c, out| {
        let non_root = security_field(pod, c, "runAsNonRoot");
        let user = security_field(pod, c, "runAsUser");
        match (&non_root, &user) {
            (_, Some((v, path))) if v.as_i64() == Some(0) => {
                out.push(violation(
                    o,
                    path.clone(),
                    format!("{} runs as UID 0 (runAsUser: 0)", c.label()),
                ));
            }
            (Some((v, _)), _) if v.as_bool() == Some(true) => {}
            (_, Some((v, _))) if v.as_i64().is_some_and(|u| u > 0) => {}
            (Some((_, path)), _) => out.push(violation(
                o,
                path.clone(),
                format!(
                    "{} may run as root: runAsNonRoot is not true and runAsUser is not set",
                    c.label()
                ),
            )),
            (None, _) => out.push(violation(
                o,
                container_field(c, "runAsNonRoot"),
                format!(
                    "{} may run as root: neither runAsNonRoot nor a non-zero runAsUser is set",
                    c.label()
                ),
            )),
        }
    })
}

fn read_only_root_filesystem(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        if c.get("securityContext.readOnlyRootFilesystem").and_then(Value::as_bool) != Some(true) {
            out.push(violation(
                o,
                container_field(c, "readOnlyRootFilesystem"),
                format!("{} has a writable root filesystem", c.label()),
            ));
        }
    })
}

fn drop_all_capabilities(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        let drops_all =
            c.get("securityContext.capabilities.drop").and_then(Value::as_array).is_some_and(|d| {
                d.iter().any(|x| x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("all")))
            });
        if !drops_all {
            out.push(violation(
                o,
                container_field(c, "capabilities.drop"),
                format!(
                    "{} keeps the default capabilities (capabilities.drop lacks ALL)",
                    c.label()
                ),
            ));
        }
    })
}

fn no_privilege_escalation(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        if c.get("securityContext.allowPrivilegeEscalation").and_then(Value::as_bool) != Some(false)
        {
            out.push(violation(
                o,
                container_field(c, "allowPrivilegeEscalation"),
                format!(
                    "{} may gain privileges (allowPrivilegeEscalation is not false)",
                    c.label()
                ),
            ));
        }
    })
}

fn not_privileged(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        if c.get("securityContext.privileged").and_then(Value::as_bool) == Some(true) {
            out.push(violation(
                o,
                container_field(c, "privileged"),
                format!(
                    "{} is privileged: it has every capability and the host's devices",
                    c.label()
                ),
            ));
        }
    })
}

fn host_namespace(o: &Subject<'_>, field: &str, what: &str) -> Option<Verdict> {
    each_pod(o, |p, out| {
        if p.spec.get(field).and_then(Value::as_bool) == Some(true) {
            let message = format!("the pod shares {what} ({field}: true)");
            out.push(violation(o, vz::path::key(p.path, field), message));
        }
    })
}

fn no_host_path(o: &Subject<'_>) -> Option<Verdict> {
    each_pod(o, |p, out| {
        let volumes =
            p.spec.get("volumes").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        for (i, v) in volumes.iter().enumerate() {
            if let Some(host) = v.get("hostPath") {
                let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
                let path = host.get("path").and_then(Value::as_str).unwrap_or("?");
                out.push(violation(
                    o,
                    format!("{}.hostPath", vz::path::index(&vz::path::key(p.path, "volumes"), i)),
                    format!("volume \"{name}\" mounts the host path {path}"),
                ));
            }
        }
    })
}

fn seccomp_profile(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |pod, c, out| match security_field(pod, c, "seccompProfile") {
        Some((v, path)) => {
            let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
            if !matches!(kind, "RuntimeDefault" | "Localhost") {
                let shown = if kind.is_empty() { "no type" } else { kind };
                out.push(violation(
                        o,
                        path + ".type",
                        format!("{} runs with seccomp profile {shown} (RuntimeDefault or Localhost required)", c.label()),
                    ));
            }
        }
        None => out.push(violation(
            o,
            container_field(c, "seccompProfile"),
            format!(
                "{} has no seccomp profile (pod or container securityContext.seccompProfile)",
                c.label()
            ),
        )),
    })
}

// ---- resources and probes ---------------------------------------------------

fn resource(o: &Subject<'_>, kind: &str, resource: &str) -> Option<Verdict> {
    // Ephemeral containers may not set resources.
    each_container(o, &["containers", "initContainers"], |_, c, out| {
        let set = c.value.get("resources").and_then(|r| r.get(kind)?.get(resource));
        let set = set.is_some_and(|v| match v {
            Value::String(s) => !s.trim().is_empty(),
            Value::Number(_) => true,
            _ => false,
        });
        if !set {
            out.push(violation(
                o,
                [c.path(), ".resources.", kind, ".", resource].concat(),
                format!("{} sets no {resource} {}", c.label(), kind.trim_end_matches('s')),
            ));
        }
    })
}

/// Pods that run to completion (Jobs, CronJobs, pods with restartPolicy
/// other than Always) are not probed for liveness or readiness.
fn runs_to_completion(o: &Object, pod: &PodSpec<'_>) -> bool {
    matches!(o.kind.as_str(), "Job" | "CronJob")
        || pod.spec.get("restartPolicy").and_then(Value::as_str).is_some_and(|p| p != "Always")
}

fn probe(o: &Subject<'_>, field: &str) -> Option<Verdict> {
    let specs = match pods(o)? {
        Ok(s) => s,
        Err(v) => return Some(v),
    };
    if specs.iter().all(|p| runs_to_completion(o, &p.spec)) {
        return Some(Verdict::NotApplicable("the pod runs to completion".into()));
    }
    each_container(o, &["containers"], |_, c, out| {
        if !c.get(field).is_some_and(Value::is_object) {
            out.push(violation(
                o,
                [c.path(), ".", field].concat(),
                format!("{} has no {field}", c.label()),
            ));
        }
    })
}

// ---- images -----------------------------------------------------------------

/// An image reference's tag and digest (`None` when absent).
fn tag_and_digest(image: &str) -> (Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    // The tag follows the last `:` after the last `/` (a registry port is before it).
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, t)| t), digest)
}

fn image_of<'v>(c: &Container<'v>) -> Option<&'v str> {
    c.value.get("image").and_then(Value::as_str)
}

fn image_tag_pinned(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        let Some(image) = image_of(c) else { return };
        let problem = match tag_and_digest(image) {
            (_, Some(_)) => return,
            (None, None) => "has no tag, so it means latest",
            (Some("latest"), None) => "is tagged latest",
            (Some(_), None) => return,
        };
        out.push(violation(
            o,
            [c.path(), ".image"].concat(),
            format!("{}'s image {image} {problem}", c.label()),
        ));
    })
}

fn image_digest(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        let Some(image) = image_of(c) else { return };
        if tag_and_digest(image).1.is_none() {
            out.push(violation(
                o,
                [c.path(), ".image"].concat(),
                format!("{}'s image {image} is not pinned by digest", c.label()),
            ));
        }
    })
}

fn image_pull_policy(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        let Some(image) = image_of(c) else { return };
        let (tag, digest) = tag_and_digest(image);
        if digest.is_some() {
            return;
        }
        // Kubernetes defaults the policy to Always for an untagged or
        // `latest` image, and to IfNotPresent otherwise.
        let default = if matches!(tag, None | Some("latest")) { "Always" } else { "IfNotPresent" };
        let given = c.value.get("imagePullPolicy").and_then(Value::as_str);
        let policy = given.unwrap_or(default);
        if policy != "Always" {
            out.push(violation(
                o,
                [c.path(), ".imagePullPolicy"].concat(),
                format!(
                    "{} pulls {image} with imagePullPolicy {}: a node may run a stale image",
                    c.label(),
                    if given.is_some() {
                        policy
                    } else {
                        "IfNotPresent (the default for a tagged image)"
                    }
                ),
            ));
        }
    })
}

// ---- secrets ----------------------------------------------------------------

fn no_secrets_in_configmaps(o: &Subject<'_>) -> Option<Verdict> {
    if o.kind != "ConfigMap" || o.group() != "" {
        return None;
    }
    let mut out = Vec::new();
    if let Some(data) = o.value().get("data").and_then(Value::as_object) {
        for (k, v) in data {
            let Some(text) = v.as_str() else { continue };
            let path = vz::path::key("data", k);
            if looks_secret(k) && !is_placeholder(text.trim()) {
                out.push(violation(
                    o,
                    path,
                    format!("key {k} holds a secret in plain text (value not shown)"),
                ));
            } else if let Some(what) = secret_value(text) {
                out.push(violation(o, path, format!("key {k} holds {what} (value not shown)")));
            }
        }
    }
    Some(verdict(out))
}

fn no_literal_secret_env(o: &Subject<'_>) -> Option<Verdict> {
    each_container(o, ALL_LISTS, |_, c, out| {
        let Some(env) = c.value.get("env").and_then(Value::as_array) else { return };
        for (i, e) in env.iter().enumerate() {
            let name = e.get("name").and_then(Value::as_str).unwrap_or_default();
            let Some(value) = e.get("value").and_then(Value::as_str) else { continue };
            let path = format!("{}.value", vz::path::index(&format!("{}.env", c.path()), i));
            // `$(VAR)` is Kubernetes' own reference to another variable.
            let reference =
                is_placeholder(value) || (value.starts_with("$(") && value.ends_with(')'));
            if looks_secret(name) && !reference {
                out.push(violation(
                    o,
                    path,
                    format!("{} sets {name} to a literal value (value not shown)", c.label()),
                ));
            } else if let Some(what) = secret_value(value) {
                out.push(violation(
                    o,
                    path,
                    format!("{} sets {name} to {what} (value not shown)", c.label()),
                ));
            }
        }
    })
}

fn no_service_account_token(o: &Subject<'_>) -> Option<Verdict> {
    let ctx = o.ctx;
    each_pod(o, |p, out| {
        let path = vz::path::key(p.path, "automountServiceAccountToken");
        let why = match p.spec.get("automountServiceAccountToken").and_then(Value::as_bool) {
            Some(false) => return,
            Some(true) => " (automountServiceAccountToken: true)".to_string(),
            None => {
                let account = p
                    .spec
                    .get("serviceAccountName")
                    .or_else(|| p.spec.get("serviceAccount"))
                    .and_then(Value::as_str)
                    .unwrap_or("default");
                let sa = ctx.service_accounts.get(&(o.namespace.as_str(), account));
                let detail = match sa
                    .map(|sa| sa.get("automountServiceAccountToken").and_then(Value::as_bool))
                {
                    Some(Some(false)) => return,
                    Some(_) => format!(
                        "ServiceAccount {account} does not set automountServiceAccountToken: false"
                    ),
                    None => format!("ServiceAccount {account} is not in the input"),
                };
                format!(": neither the pod nor its ServiceAccount opts out ({detail})")
            }
        };
        out.push(violation(o, path, format!("the pod mounts a service-account token{why}")));
    })
}

// ---- placement --------------------------------------------------------------

/// Kinds that live in a namespace and that vz knows.
const NAMESPACED: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
    "Service",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Ingress",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "Endpoints",
    "LimitRange",
    "ResourceQuota",
];

fn not_default_namespace(o: &Subject<'_>) -> Option<Verdict> {
    if !NAMESPACED.contains(&o.kind.as_str()) && !o.is_workload() {
        return None;
    }
    let message = match o.namespace.as_str() {
        "default" => "the object is in the default namespace",
        "" => "the object names no namespace, so it lands in the current context's (often default)",
        _ => return Some(Verdict::Passed),
    };
    Some(verdict(vec![violation(o, "metadata.namespace".into(), message.into())]))
}

fn ingress_tls(o: &Subject<'_>) -> Option<Verdict> {
    if o.kind != "Ingress" {
        return None;
    }
    let spec = o.value().get("spec");
    let tls =
        spec.and_then(|s| s.get("tls")).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    if tls.is_empty() {
        return Some(verdict(vec![violation(
            o,
            "spec.tls".into(),
            "the Ingress serves plain HTTP: it has no tls section".into(),
        )]));
    }
    // A tls entry without hosts covers the default certificate's hosts.
    let covered: Vec<&str> = tls
        .iter()
        .flat_map(|t| t.get("hosts").and_then(Value::as_array).into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let wildcard_default = tls.iter().any(|t| t.get("hosts").is_none());
    let rules =
        spec.and_then(|s| s.get("rules")).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let Some(host) = r.get("host").and_then(Value::as_str) else { continue };
        let matches = covered.iter().any(|c| {
            *c == host
                || c.strip_prefix("*.")
                    .is_some_and(|d| host.split_once('.').is_some_and(|(_, rest)| rest == d))
        });
        if !matches && !wildcard_default {
            out.push(violation(
                o,
                format!("spec.rules[{i}].host"),
                format!("host {host} is not in any tls entry's hosts, so it is served without TLS"),
            ));
        }
    }
    Some(verdict(out))
}

// ---- availability and isolation -----------------------------------------------

/// The labels of the pods a pod spec makes: its template's metadata.labels.
fn pod_labels<'v>(o: &'v Object, pod: &PodSpec<'_>) -> &'v Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    let path = match vz::path::parent(pod.path) {
        Some(parent) if !parent.is_empty() => format!("{parent}.metadata.labels"),
        _ => "metadata.labels".to_string(),
    };
    o.get(&path).and_then(Value::as_object).unwrap_or(&EMPTY)
}

/// Whether a label selector (`matchLabels` + `matchExpressions`) selects
/// pods with `labels`. An empty selector selects every pod.
pub fn selects(selector: Option<&Value>, labels: &Map<String, Value>) -> bool {
    let Some(selector) = selector.and_then(Value::as_object) else { return false };
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let by_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| m.iter().all(|(k, v)| label(k) == v.as_str()));
    let exprs =
        selector.get("matchExpressions").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let by_exprs = exprs.iter().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match e.get("operator").and_then(Value::as_str).unwrap_or_default() {
            "In" => label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        }
    });
    by_labels && by_exprs
}

fn network_policy(o: &Subject<'_>) -> Option<Verdict> {
    let ctx = o.ctx;
    let policies = ctx.network_policies.get(o.namespace.as_str()).map_or(&[][..], Vec::as_slice);
    each_pod(o, |p, out| {
        let labels = pod_labels(o, p);
        if policies.iter().any(|np| selects(np.pointer("/spec/podSelector"), labels)) {
            return;
        }
        let where_ = if o.namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace {}", o.namespace)
        };
        let message = if policies.is_empty() {
            format!(
                "no NetworkPolicy{where_} in the input, so its pods accept traffic from anywhere"
            )
        } else {
            format!("none of the {} NetworkPolicies{where_} selects its pods", policies.len())
        };
        out.push(violation(o, vz::path::parent(p.path).unwrap_or_default().to_string(), message));
    })
}

/// Kinds whose replicas a PodDisruptionBudget and the production rule look at.
const REPLICATED: &[&str] =
    &["Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig"];

/// The replicas a workload runs: `spec.replicas` (default 1), or the HPA's
/// minReplicas and maxReplicas when one targets it.
fn replicas(o: &Subject<'_>) -> (i64, i64, bool) {
    let ctx = o.ctx;
    if let Some(hpa) = ctx.autoscaler(o) {
        let min = hpa.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1);
        let max = hpa.pointer("/spec/maxReplicas").and_then(Value::as_i64).unwrap_or(min);
        return (min, max, true);
    }
    let n = o.value().pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
    (n, n, false)
}

fn pod_disruption_budget(o: &Subject<'_>) -> Option<Verdict> {
    let ctx = o.ctx;
    if !REPLICATED.contains(&o.kind.as_str()) || !o.is_workload() {
        return None;
    }
    let (_, max, _) = replicas(o);
    if max < 2 {
        return Some(Verdict::NotApplicable("runs a single replica".into()));
    }
    let specs = match pods(o)? {
        Ok(s) => s,
        Err(v) => return Some(v),
    };
    let budgets = ctx.disruption_budgets.get(o.namespace.as_str()).map_or(&[][..], Vec::as_slice);
    let mut out = Vec::new();
    for Pod { spec: p, .. } in specs {
        let labels = pod_labels(o, p);
        // A PDB's empty selector selects no pods (policy/v1).
        let covered = budgets.iter().any(|b| {
            let sel = b.pointer("/spec/selector");
            sel.and_then(Value::as_object).is_some_and(|m| !m.is_empty()) && selects(sel, labels)
        });
        if !covered {
            out.push(violation(
                o,
                "spec.replicas".into(),
                format!("{max} replicas and no PodDisruptionBudget selecting its pods: a node drain may take them all down"),
            ));
        }
    }
    Some(verdict(out))
}

fn hpa_min_replicas(o: &Subject<'_>) -> Option<Verdict> {
    if o.kind != "HorizontalPodAutoscaler" {
        return None;
    }
    let min = o.value().pointer("/spec/minReplicas").and_then(Value::as_i64);
    if min.unwrap_or(1) >= 2 {
        return Some(Verdict::Passed);
    }
    let shown = min.map_or("1 (the default)".to_string(), |m| m.to_string());
    Some(verdict(vec![violation(
        o,
        "spec.minReplicas".into(),
        format!("minReplicas is {shown}: a scale-down can leave one pod"),
    )]))
}

fn production_replicas(o: &Subject<'_>) -> Option<Verdict> {
    let ctx = o.ctx;
    if !REPLICATED.contains(&o.kind.as_str()) || !o.is_workload() {
        return None;
    }
    match ctx.is_production(o) {
        Some(true) => {}
        Some(false) => return Some(Verdict::NotApplicable("not a production object".into())),
        None => {
            return Some(Verdict::NotApplicable(
                "environment unknown (no --environment, no vz.dev/environment label, no -prod namespace)".into(),
            ));
        }
    }
    let (min, _, hpa) = replicas(o);
    if min >= 2 {
        return Some(Verdict::Passed);
    }
    let (path, what) = if hpa {
        ("spec.replicas", format!("its HorizontalPodAutoscaler's minReplicas is {min}"))
    } else {
        ("spec.replicas", format!("it runs {min} replica"))
    };
    Some(verdict(vec![violation(
        o,
        path.into(),
        format!("a production workload with no redundancy: {what}"),
    )]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vz::Location;
    use vz::input::Document;

    fn object(value: Value) -> Object {
        Object::new(Document { value, at: Location::input("t.yaml"), map: Default::default() })
    }

    fn run(rule: &str, objects: &[Object], i: usize) -> Option<Verdict> {
        let rules = builtin();
        let r = rules.iter().find(|r| r.info.id == rule).expect("rule exists");
        let locators = Locators::default();
        let ctx = Context::new(objects, &locators, None);
        r.check(&Subject::new(&objects[i], &ctx))
    }

    fn messages(v: Option<Verdict>) -> Vec<String> {
        match v {
            Some(Verdict::Violations(vs)) => {
                vs.into_iter().map(|v| format!("{}: {}", v.path, v.message)).collect()
            }
            other => vec![format!("{other:?}")],
        }
    }

    fn deployment(pod: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "api"}}, "spec": pod}}})
    }

    #[test]
    fn every_rule_has_a_check_and_the_data_is_well_formed() {
        let rules = builtin();
        assert_eq!(rules.len(), 28);
        for (i, r) in rules.iter().enumerate() {
            assert_eq!(r.info.id, format!("VZ-K8S-{:03}", i + 1));
            assert!(!r.subject.is_empty(), "{}", r.info.id);
        }
    }

    #[test]
    fn non_root_is_inherited_from_the_pod_and_uid_zero_fails() {
        let ok = object(deployment(json!({"securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "app", "image": "a:1"}]})));
        assert_eq!(run("VZ-K8S-001", &[ok], 0), Some(Verdict::Passed));
        let root = object(deployment(json!({"securityContext": {"runAsNonRoot": true},
            "initContainers": [{"name": "init", "securityContext": {"runAsUser": 0}}],
            "containers": [{"name": "app"}]})));
        assert_eq!(
            messages(run("VZ-K8S-001", &[root], 0)),
            [
                "spec.template.spec.initContainers[0].securityContext.runAsUser: init container \"init\" runs as UID 0 (runAsUser: 0)"
            ]
        );
        let unset = object(deployment(json!({"containers": [{"name": "app"}]})));
        assert_eq!(
            messages(run("VZ-K8S-001", &[unset], 0)),
            [
                "spec.template.spec.containers[0].securityContext.runAsNonRoot: container \"app\" may run as root: neither runAsNonRoot nor a non-zero runAsUser is set"
            ]
        );
    }

    #[test]
    fn cronjob_templates_and_ephemeral_containers_are_checked() {
        let cron = object(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "n"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "job", "securityContext": {"privileged": true}}],
                "ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}]}}}}}}),
        );
        assert_eq!(
            messages(run("VZ-K8S-005", &[cron], 0)),
            [
                "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged: container \"job\" is privileged: it has every capability and the host's devices",
                "spec.jobTemplate.spec.template.spec.ephemeralContainers[0].securityContext.privileged: ephemeral container \"debug\" is privileged: it has every capability and the host's devices"
            ]
        );
    }

    #[test]
    fn host_namespaces_name_the_right_field() {
        let o = object(deployment(json!({"hostPID": true, "containers": [{"name": "a"}]})));
        assert_eq!(run("VZ-K8S-006", std::slice::from_ref(&o), 0), Some(Verdict::Passed));
        assert_eq!(
            messages(run("VZ-K8S-007", &[o], 0)),
            [
                "spec.template.spec.hostPID: the pod shares the host's process ID namespace (hostPID: true)"
            ]
        );
    }

    #[test]
    fn images() {
        assert_eq!(tag_and_digest("registry:5000/app"), (None, None));
        assert_eq!(tag_and_digest("registry:5000/app:1.2"), (Some("1.2"), None));
        assert_eq!(tag_and_digest("app@sha256:ab"), (None, Some("sha256:ab")));
        let o = object(deployment(json!({"containers": [{"name": "a", "image": "nginx"},
            {"name": "b", "image": "nginx:latest"}, {"name": "c", "image": "nginx:1.27"},
            {"name": "d", "image": "nginx@sha256:00"}]})));
        assert_eq!(
            messages(run("VZ-K8S-017", std::slice::from_ref(&o), 0)),
            [
                "spec.template.spec.containers[0].image: container \"a\"'s image nginx has no tag, so it means latest",
                "spec.template.spec.containers[1].image: container \"b\"'s image nginx:latest is tagged latest"
            ]
        );
        // Untagged and `latest` images default to Always; a tag to IfNotPresent.
        assert_eq!(
            messages(run("VZ-K8S-019", &[o], 0)),
            [
                "spec.template.spec.containers[2].imagePullPolicy: container \"c\" pulls nginx:1.27 with imagePullPolicy IfNotPresent (the default for a tagged image): a node may run a stale image"
            ]
        );
    }

    #[test]
    fn secrets_are_found_but_never_shown() {
        let cm = object(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"},
            "data": {"DB_PASSWORD": "hunter2", "DATABASE_URL": "postgres://app:hunter2@db/app",
                "API_KEY": "${API_KEY}", "LOG_LEVEL": "info"}}),
        );
        let m = messages(run("VZ-K8S-020", &[cm], 0));
        assert_eq!(
            m,
            [
                "data.DATABASE_URL: key DATABASE_URL holds a URL with a password (value not shown)",
                "data.DB_PASSWORD: key DB_PASSWORD holds a secret in plain text (value not shown)"
            ]
        );
        assert!(!m.concat().contains("hunter2"));
        let env = object(deployment(json!({"containers": [{"name": "a", "env": [
            {"name": "JWT_SECRET", "value": "s3cret"}, {"name": "TOKEN", "value": "$(OTHER)"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]}]})));
        assert_eq!(
            messages(run("VZ-K8S-021", &[env], 0)),
            [
                "spec.template.spec.containers[0].env[0].value: container \"a\" sets JWT_SECRET to a literal value (value not shown)"
            ]
        );
    }

    #[test]
    fn service_account_tokens_follow_the_account() {
        let pod = |sa: &str| {
            object(deployment(json!({"serviceAccountName": sa, "containers": [{"name": "a"}]})))
        };
        let sa = object(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet", "namespace": "shop"},
            "automountServiceAccountToken": false}),
        );
        let objects = [pod("quiet"), pod("chatty"), sa];
        assert_eq!(run("VZ-K8S-022", &objects, 0), Some(Verdict::Passed));
        assert_eq!(
            messages(run("VZ-K8S-022", &objects, 1)),
            [
                "spec.template.spec.automountServiceAccountToken: the pod mounts a service-account token: neither the pod nor its ServiceAccount opts out (ServiceAccount chatty is not in the input)"
            ]
        );
    }

    #[test]
    fn network_policies_and_budgets_must_select_the_pods() {
        let np = |sel: Value| {
            object(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "np", "namespace": "shop"}, "spec": {"podSelector": sel}}))
        };
        let d = object(deployment(json!({"containers": [{"name": "a"}]})));
        let covered = [
            d.clone(),
            np(
                json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]}),
            ),
        ];
        assert_eq!(run("VZ-K8S-025", &covered, 0), Some(Verdict::Passed));
        let other = [d.clone(), np(json!({"matchLabels": {"app": "web"}}))];
        assert_eq!(
            messages(run("VZ-K8S-025", &other, 0)),
            ["spec.template: none of the 1 NetworkPolicies in namespace shop selects its pods"]
        );
        assert_eq!(run("VZ-K8S-025", &[d.clone(), np(json!({}))], 0), Some(Verdict::Passed));
        let pdb = |sel: Value| {
            object(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "p", "namespace": "shop"}, "spec": {"selector": sel, "minAvailable": 1}}))
        };
        assert_eq!(
            run("VZ-K8S-026", &[d.clone(), pdb(json!({"matchLabels": {"app": "api"}}))], 0),
            Some(Verdict::Passed)
        );
        assert_eq!(
            messages(run("VZ-K8S-026", &[d.clone(), pdb(json!({}))], 0)),
            [
                "spec.replicas: 3 replicas and no PodDisruptionBudget selecting its pods: a node drain may take them all down"
            ]
        );
        let single = object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "one", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}),
        );
        assert_eq!(
            run("VZ-K8S-026", &[single], 0),
            Some(Verdict::NotApplicable("runs a single replica".into()))
        );
    }

    #[test]
    fn production_replicas_count_the_autoscaler() {
        let d = |ns: &str, replicas: i64| {
            object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": ns}, "spec": {"replicas": replicas, "template": {"spec": {"containers": []}}}}))
        };
        let hpa = object(json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "api", "namespace": "shop-prod"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "minReplicas": 2, "maxReplicas": 5}}));
        assert_eq!(run("VZ-K8S-028", &[d("shop-prod", 1), hpa], 0), Some(Verdict::Passed));
        assert_eq!(
            messages(run("VZ-K8S-028", &[d("shop-prod", 1)], 0)),
            ["spec.replicas: a production workload with no redundancy: it runs 1 replica"]
        );
        assert!(matches!(
            run("VZ-K8S-028", &[d("shop-dev", 1)], 0),
            Some(Verdict::NotApplicable(_))
        ));
    }

    #[test]
    fn ingress_hosts_need_a_certificate() {
        let ing = |tls: Value| {
            object(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "i", "namespace": "n"},
            "spec": {"tls": tls, "rules": [{"host": "a.example.com"}, {"host": "b.other.org"}]}}))
        };
        assert_eq!(
            messages(run(
                "VZ-K8S-024",
                &[ing(json!([{"hosts": ["*.example.com"], "secretName": "c"}]))],
                0
            )),
            [
                "spec.rules[1].host: host b.other.org is not in any tls entry's hosts, so it is served without TLS"
            ]
        );
        assert_eq!(
            messages(run("VZ-K8S-024", &[ing(json!([]))], 0)),
            ["spec.tls: the Ingress serves plain HTTP: it has no tls section"]
        );
    }

    #[test]
    fn wrong_types_are_errors_and_missing_templates_not_applicable() {
        let bad = object(deployment(json!({"containers": "app"})));
        assert_eq!(
            run("VZ-K8S-002", &[bad], 0),
            Some(Verdict::Error("spec.template.spec.containers is not a list".into()))
        );
        let svc = object(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"}}),
        );
        assert_eq!(run("VZ-K8S-002", &[svc], 0), None);
    }
}
