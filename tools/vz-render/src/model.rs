//! The deploy spec (`vz.yaml`) and the values it layers, as types. The JSON
//! Schema that `vz-render --schema` publishes and every render validates
//! against is generated from these types, so the two cannot drift.
//!
//! Field docs become the schema's descriptions (and so editor hover text).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A deploy spec: the application, its base values and one overlay per
/// environment.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "vz-render deploy spec")]
pub struct Spec {
    /// The application's name: a DNS label, used in names and labels.
    #[schemars(regex(pattern = r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$"))]
    pub app: String,
    /// Base values, shared by every environment.
    #[serde(default)]
    #[schemars(with = "Values")]
    pub values: Value,
    /// Environments by name: each overlays the base values.
    pub environments: BTreeMap<String, Environment>,
    /// Lists merged by a key instead of replaced, by list path pattern (`*`
    /// matches one key): `services.*.ports: name`.
    #[serde(default)]
    pub merge_keys: BTreeMap<String, String>,
    /// A directory of templates that add to or override the built-in ones
    /// (relative to the spec file).
    #[serde(default)]
    pub templates: Option<String>,
}

/// One environment.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Environment {
    /// Other names for this environment (`prod` for `production`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Values that overlay the base: maps merge deeply, lists and scalars
    /// replace, `null` removes a key.
    #[serde(default)]
    #[schemars(with = "Value")]
    pub values: Value,
}

/// The values a render uses, after the layers are merged.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Values {
    /// The namespace everything is rendered into (default: `APP-ENV`).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub namespace: Option<String>,
    /// Render the Namespace object itself (with Pod Security `restricted`).
    #[serde(default = "yes")]
    pub create_namespace: bool,
    /// Labels added to every object.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations added to every object.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// A registry prefixed to every image (`registry.example.com/team`).
    #[serde(default)]
    pub image_registry: Option<String>,
    /// Values merged under every service before its own (same fields as a
    /// service, all optional).
    #[serde(default)]
    #[schemars(with = "Value")]
    pub service_defaults: Value,
    /// The services, by name (a DNS label).
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
}

fn yes() -> bool {
    true
}

/// One service: a workload and everything around it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Service {
    /// The image repository, without tag (`vektagraf/app`).
    #[schemars(length(min = 1))]
    pub image: String,
    /// The image tag: a pinned version. `latest` is refused.
    #[schemars(length(min = 1), extend("not" = {"const": "latest"}, "x-vz-message" = "pin a version: the tag `latest` is refused because it makes rollouts unreproducible"))]
    pub tag: String,
    /// An image digest (`sha256:…`); when set the image is pulled by digest.
    #[serde(default)]
    #[schemars(regex(pattern = r"^sha256:[a-f0-9]{64}$"))]
    pub digest: Option<String>,
    /// The image pull policy (default `Always`, as CIS-based checkers such as
    /// checkov CKV_K8S_15 require; `IfNotPresent` suits digest-pinned images).
    #[serde(default = "always")]
    pub image_pull_policy: PullPolicy,
    /// Secrets holding registry credentials.
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    /// Pods to run (ignored by the Deployment when autoscaling is on).
    #[serde(default = "two")]
    #[schemars(range(min = 0, max = 1000))]
    pub replicas: u32,
    /// The container's command (entrypoint).
    #[serde(default)]
    pub command: Vec<String>,
    /// The container's arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Container ports; the first is the one probes and the Ingress use.
    #[serde(default = "default_ports")]
    #[schemars(length(min = 1))]
    pub ports: Vec<Port>,
    /// Plain environment variables. Names that look like secrets
    /// (`*_PASSWORD`, `*_TOKEN`, `*_SECRET`, `*_KEY`) are refused here: use `secretEnv`.
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Environment variables taken from Secrets: `NAME: {secret, key}`.
    #[serde(default)]
    pub secret_env: BTreeMap<String, SecretRef>,
    /// Render an ExternalSecret (external-secrets.io) that creates the
    /// Secret `secretEnv` refers to from a secret store.
    #[serde(default)]
    pub external_secret: Option<ExternalSecret>,
    /// Application configuration, rendered as JSON into a ConfigMap and
    /// mounted read-only; a change rolls the pods (`checksum/config`).
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, Value>>")]
    pub config: Option<Value>,
    /// The file name of the configuration in its ConfigMap.
    #[serde(default = "app_json")]
    pub config_file: String,
    /// Where the configuration directory is mounted.
    #[serde(default = "config_mount")]
    pub config_mount_path: String,
    /// CPU and memory requests and limits.
    #[serde(default)]
    pub resources: Resources,
    /// Startup, liveness and readiness probes.
    #[serde(default)]
    pub probes: Probes,
    /// The user and group the container runs as (never root).
    #[serde(default)]
    pub security: Security,
    /// Directories the container may write to (the root filesystem is
    /// read-only): each gets an emptyDir.
    #[serde(default = "default_writable")]
    pub writable_paths: Vec<String>,
    /// A PersistentVolumeClaim mounted into the pod.
    #[serde(default)]
    pub persistence: Option<Persistence>,
    /// The ServiceAccount.
    #[serde(default)]
    pub service_account: ServiceAccount,
    /// A Role and RoleBinding for the ServiceAccount.
    #[serde(default)]
    pub rbac: Option<Rbac>,
    /// The Service in front of the pods.
    #[serde(default)]
    pub service: ServiceSpec,
    /// An Ingress with TLS.
    #[serde(default)]
    pub ingress: Option<Ingress>,
    /// A HorizontalPodAutoscaler.
    #[serde(default)]
    pub autoscaling: Option<Autoscaling>,
    /// The PodDisruptionBudget.
    #[serde(default)]
    pub disruption_budget: DisruptionBudget,
    /// The NetworkPolicy (default: deny all ingress except from pods of this
    /// namespace and, with an Ingress, from the ingress controller).
    #[serde(default)]
    pub network_policy: NetworkPolicy,
    /// How new versions roll out.
    #[serde(default)]
    pub strategy: Strategy,
    /// Spread pods over nodes: `soft` (preferred), `hard` (required) or `none`.
    #[serde(default)]
    pub anti_affinity: AntiAffinity,
    /// Annotations on the pod template.
    #[serde(default)]
    pub pod_annotations: BTreeMap<String, String>,
    /// Node labels the pods must run on.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations, as Kubernetes writes them.
    #[serde(default)]
    #[schemars(with = "Vec<BTreeMap<String, Value>>")]
    pub tolerations: Vec<Value>,
    /// The PriorityClass of the pods.
    #[serde(default)]
    pub priority_class_name: Option<String>,
    /// Seconds a pod gets to stop.
    #[serde(default = "thirty")]
    pub termination_grace_period_seconds: u32,
}

fn always() -> PullPolicy {
    PullPolicy::Always
}
fn two() -> u32 {
    2
}
fn thirty() -> u32 {
    30
}
fn default_ports() -> Vec<Port> {
    vec![Port { name: "http".into(), port: 8080, service_port: None, protocol: Protocol::Tcp }]
}
fn app_json() -> String {
    "app.json".into()
}
fn config_mount() -> String {
    "/config".into()
}
fn default_writable() -> Vec<String> {
    vec!["/tmp".into()]
}

/// An image pull policy.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
pub enum PullPolicy {
    /// Pull when the image is not on the node.
    IfNotPresent,
    /// Always pull.
    Always,
    /// Never pull.
    Never,
}

/// A plain environment value: text, a number or a boolean (rendered as text).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// Text.
    Text(String),
    /// A number.
    Number(serde_json::Number),
    /// A boolean.
    Bool(bool),
}

impl EnvValue {
    /// The value as the text Kubernetes wants.
    pub fn as_text(&self) -> String {
        match self {
            EnvValue::Text(s) => s.clone(),
            EnvValue::Number(n) => n.to_string(),
            EnvValue::Bool(b) => b.to_string(),
        }
    }
}

/// A container port.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    /// The port's name (an IANA service name: up to 15 characters).
    #[schemars(regex(pattern = r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$"))]
    pub name: String,
    /// The container port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// The Service port (default: the container port).
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub service_port: Option<u16>,
    /// The protocol.
    #[serde(default)]
    pub protocol: Protocol,
}

/// A port protocol.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

/// A reference to one key of a Secret.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretRef {
    /// The Secret's name.
    pub secret: String,
    /// The key inside it.
    pub key: String,
}

/// An ExternalSecret that fills a Secret from a store.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSecret {
    /// The Secret to create (the one `secretEnv` names).
    pub secret: String,
    /// The SecretStore or ClusterSecretStore's name.
    pub store: String,
    /// `SecretStore` or `ClusterSecretStore`.
    #[serde(default)]
    pub store_kind: StoreKind,
    /// How often to refresh (`1h`).
    #[serde(default = "one_hour")]
    pub refresh_interval: String,
    /// Secret keys, each from a key (and optional property) in the store.
    pub data: BTreeMap<String, RemoteRef>,
}

fn one_hour() -> String {
    "1h".into()
}

/// The kind of a secret store.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema)]
pub enum StoreKind {
    /// A namespaced store.
    SecretStore,
    /// A cluster-wide store.
    #[default]
    ClusterSecretStore,
}

/// Where a secret value lives in the store.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemoteRef {
    /// The key in the store.
    pub key: String,
    /// A property inside that key's value.
    #[serde(default)]
    pub property: Option<String>,
}

/// Requests and limits.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// What the scheduler reserves.
    #[serde(default = "default_requests")]
    pub requests: Quantities,
    /// The most the container may use.
    #[serde(default = "default_limits")]
    pub limits: Quantities,
}

impl Default for Resources {
    fn default() -> Self {
        Resources { requests: default_requests(), limits: default_limits() }
    }
}

fn default_requests() -> Quantities {
    Quantities { cpu: "100m".into(), memory: "128Mi".into() }
}
fn default_limits() -> Quantities {
    Quantities { cpu: "500m".into(), memory: "512Mi".into() }
}

/// CPU and memory quantities, as Kubernetes writes them (`250m`, `512Mi`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Quantities {
    /// CPU (`250m`, `1`).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?m?$"))]
    pub cpu: String,
    /// Memory (`512Mi`, `2Gi`).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$"))]
    pub memory: String,
}

/// Probes: startup gates liveness, readiness gates traffic.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    /// `http` (GET a path) or `tcp` (connect).
    #[serde(default)]
    pub r#type: ProbeType,
    /// The liveness path (and readiness and startup unless set).
    #[serde(default = "health")]
    pub path: String,
    /// The readiness path (default: `path`).
    #[serde(default)]
    pub readiness_path: Option<String>,
    /// The port name to probe (default: the first port).
    #[serde(default)]
    pub port: Option<String>,
    /// Seconds between liveness probes.
    #[serde(default = "ten")]
    pub period_seconds: u32,
    /// Seconds a probe may take.
    #[serde(default = "five")]
    pub timeout_seconds: u32,
    /// Failed liveness probes before a restart.
    #[serde(default = "three")]
    pub failure_threshold: u32,
    /// The longest start-up allowed, in seconds, before liveness takes over.
    #[serde(default = "start_budget")]
    pub startup_seconds: u32,
}

impl Default for Probes {
    fn default() -> Self {
        Probes {
            r#type: ProbeType::Http,
            path: health(),
            readiness_path: None,
            port: None,
            period_seconds: 10,
            timeout_seconds: 5,
            failure_threshold: 3,
            startup_seconds: start_budget(),
        }
    }
}

fn health() -> String {
    "/health".into()
}
fn ten() -> u32 {
    10
}
fn five() -> u32 {
    5
}
fn three() -> u32 {
    3
}
fn start_budget() -> u32 {
    150
}

/// How probes reach the container.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeType {
    /// An HTTP GET.
    #[default]
    Http,
    /// A TCP connect.
    Tcp,
}

/// The identity the container runs as.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Security {
    /// The user id (never 0).
    #[serde(default = "uid")]
    #[schemars(range(min = 1))]
    pub run_as_user: u32,
    /// The group id (never 0).
    #[serde(default = "uid")]
    #[schemars(range(min = 1))]
    pub run_as_group: u32,
    /// The group owning mounted volumes.
    #[serde(default = "uid")]
    #[schemars(range(min = 1))]
    pub fs_group: u32,
}

impl Default for Security {
    fn default() -> Self {
        Security { run_as_user: uid(), run_as_group: uid(), fs_group: uid() }
    }
}

fn uid() -> u32 {
    10001
}

/// A PersistentVolumeClaim.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Persistence {
    /// The size (`10Gi`).
    pub size: String,
    /// Where it is mounted.
    pub mount_path: String,
    /// The StorageClass (default: the cluster's default).
    #[serde(default)]
    pub storage_class: Option<String>,
    /// Access modes.
    #[serde(default = "rwo")]
    pub access_modes: Vec<String>,
}

fn rwo() -> Vec<String> {
    vec!["ReadWriteOnce".into()]
}

/// The ServiceAccount.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Mount the API token into pods (off: most apps never call the API).
    #[serde(default)]
    pub automount_token: bool,
    /// Annotations (e.g. a cloud IAM role).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A Role for the ServiceAccount.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rbac {
    /// Policy rules, as Kubernetes writes them.
    #[schemars(with = "Vec<BTreeMap<String, Value>>")]
    pub rules: Vec<Value>,
}

/// The Service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Render a Service at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(default)]
    pub r#type: ServiceType,
    /// Annotations on the Service.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl Default for ServiceSpec {
    fn default() -> Self {
        ServiceSpec { enabled: true, r#type: ServiceType::ClusterIP, annotations: BTreeMap::new() }
    }
}

/// A Service type.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema)]
pub enum ServiceType {
    /// Inside the cluster only.
    #[default]
    ClusterIP,
    /// On every node's port.
    NodePort,
    /// Through a cloud load balancer.
    LoadBalancer,
}

/// An Ingress; TLS is always on.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    /// The host name.
    pub host: String,
    /// The path.
    #[serde(default = "slash")]
    pub path: String,
    /// The IngressClass.
    #[serde(default)]
    pub class_name: Option<String>,
    /// The Secret holding the certificate (default: `SERVICE-tls`).
    #[serde(default)]
    pub tls_secret: Option<String>,
    /// Annotations (cert-manager issuer, rate limits, …).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The namespace of the ingress controller, allowed in by the
    /// NetworkPolicy.
    #[serde(default = "ingress_ns")]
    pub controller_namespace: String,
}

fn slash() -> String {
    "/".into()
}
fn ingress_ns() -> String {
    "ingress-nginx".into()
}

/// A HorizontalPodAutoscaler.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// The fewest pods.
    #[schemars(range(min = 1))]
    pub min_replicas: u32,
    /// The most pods.
    #[schemars(range(min = 1))]
    pub max_replicas: u32,
    /// Target average CPU utilisation, percent of requests.
    #[serde(default = "seventy")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu: u32,
    /// Target average memory utilisation, percent of requests.
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub target_memory: Option<u32>,
}

fn seventy() -> u32 {
    70
}

/// The PodDisruptionBudget.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DisruptionBudget {
    /// Render one at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Pods that may be down at once during voluntary disruptions.
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub max_unavailable: u32,
}

impl Default for DisruptionBudget {
    fn default() -> Self {
        DisruptionBudget { enabled: true, max_unavailable: 1 }
    }
}

fn one() -> u32 {
    1
}

/// The NetworkPolicy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicy {
    /// Render one at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Extra peers allowed in, as Kubernetes writes NetworkPolicyPeers.
    #[serde(default)]
    #[schemars(with = "Vec<BTreeMap<String, Value>>")]
    pub allow_from: Vec<Value>,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy { enabled: true, allow_from: Vec::new() }
    }
}

/// Pod anti-affinity.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AntiAffinity {
    /// Prefer different nodes.
    #[default]
    Soft,
    /// Require different nodes.
    Hard,
    /// No preference.
    None,
}

/// How a new version rolls out.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Strategy {
    /// `rolling`, `blue-green` or `canary`.
    #[serde(default)]
    pub r#type: StrategyType,
    /// Who runs the rollout: `native` (vz-render and vz-switch), `argo`
    /// (an Argo Rollouts `Rollout`, blue-green) or `flagger` (a Flagger
    /// `Canary`) — `istio` renders a VirtualService and DestinationRule.
    #[serde(default)]
    pub provider: Provider,
    /// Blue-green: the colour live traffic goes to now. The render deploys
    /// into the other colour and leaves the active Service pointing here, so
    /// rendering never flips traffic (vz-switch does).
    #[serde(default)]
    pub active_color: Option<Color>,
    /// The pod label that carries the colour.
    #[serde(default = "color_label")]
    pub color_label: String,
    /// Canary settings.
    #[serde(default)]
    pub canary: Canary,
}

fn color_label() -> String {
    "color".into()
}

/// A rollout strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyType {
    /// A Deployment rolling update.
    #[default]
    Rolling,
    /// Two colours, one live.
    BlueGreen,
    /// A small share of traffic to the new version first.
    Canary,
}

/// Who drives a rollout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Plain Kubernetes objects, switched by vz-switch.
    #[default]
    Native,
    /// Istio VirtualService and DestinationRule (canary).
    Istio,
    /// A Flagger Canary (canary).
    Flagger,
    /// An Argo Rollouts Rollout (blue-green).
    Argo,
}

/// A blue-green colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    /// Blue.
    Blue,
    /// Green.
    Green,
}

impl Color {
    /// The other colour.
    pub fn other(self) -> Color {
        match self {
            Color::Blue => Color::Green,
            Color::Green => Color::Blue,
        }
    }

    /// The colour's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Color::Blue => "blue",
            Color::Green => "green",
        }
    }
}

/// Canary settings; the analysis defaults are the deployment guides' (and
/// Flagger's usual): success rate ≥ 99 %, request duration ≤ 500 ms,
/// 5 failed checks roll back, steps of 10 % up to 50 %.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Canary {
    /// Istio: the share of traffic (percent) the canary gets.
    #[serde(default)]
    #[schemars(range(max = 100))]
    pub weight: u32,
    /// Istio: requests with this header set to `true` always reach the canary.
    #[serde(default = "x_canary")]
    pub header: String,
    /// Istio: the tag the stable Deployment runs (default: `tag`).
    #[serde(default)]
    pub stable_tag: Option<String>,
    /// Flagger: time between analysis checks.
    #[serde(default = "one_minute")]
    pub interval: String,
    /// Flagger: failed checks before rollback.
    #[serde(default = "five")]
    pub threshold: u32,
    /// Flagger: weight added per step.
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = 100))]
    pub step_weight: u32,
    /// Flagger: the weight at which the canary is promoted.
    #[serde(default = "fifty")]
    #[schemars(range(min = 1, max = 100))]
    pub max_weight: u32,
    /// Flagger: the lowest request success rate accepted (percent).
    #[serde(default = "ninety_nine")]
    pub min_success_rate: f64,
    /// Flagger: the highest request duration accepted (milliseconds).
    #[serde(default = "five_hundred")]
    pub max_request_duration_ms: u32,
}

impl Default for Canary {
    fn default() -> Self {
        Canary {
            weight: 0,
            header: x_canary(),
            stable_tag: None,
            interval: one_minute(),
            threshold: 5,
            step_weight: 10,
            max_weight: 50,
            min_success_rate: 99.0,
            max_request_duration_ms: 500,
        }
    }
}

fn x_canary() -> String {
    "x-canary".into()
}
fn one_minute() -> String {
    "1m".into()
}
fn fifty() -> u32 {
    50
}
fn ninety_nine() -> f64 {
    99.0
}
fn five_hundred() -> u32 {
    500
}

/// The published JSON Schema of the deploy spec (`vz-render --schema`),
/// committed as `schema/vz.schema.json` and embedded: generating it with
/// schemars costs milliseconds a run, reading it costs microseconds. A test
/// keeps the file equal to [`generate_spec_schema`].
pub const SPEC_SCHEMA: &str = include_str!("../schema/vz.schema.json");

/// The published schema, parsed.
pub fn spec_schema() -> Value {
    serde_json::from_str(SPEC_SCHEMA).unwrap_or_default()
}

/// Generates the deploy spec's schema from the types: environment overlays
/// accept the same fields as `values`, none required.
pub fn generate_spec_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Spec)).unwrap_or_default();
    let values = serde_json::to_value(schemars::schema_for!(Values)).unwrap_or_default();
    let defs = values.get("$defs").cloned().unwrap_or_default();
    let mut partial_defs = serde_json::Map::new();
    if let Value::Object(d) = &defs {
        for (name, def) in d {
            partial_defs.insert(format!("Partial{name}"), partialize(def.clone()));
        }
    }
    let mut partial_values = values.clone();
    if let Some(o) = partial_values.as_object_mut() {
        o.remove("$defs");
        o.remove("$schema");
        o.remove("title");
    }
    let partial_values = partialize(partial_values);
    if let Some(d) = schema.get_mut("$defs").and_then(Value::as_object_mut) {
        d.extend(partial_defs);
        d.insert("PartialValues".into(), partial_values);
        if let Some(env) = d.get_mut("Environment") {
            env["properties"]["values"] = serde_json::json!({"$ref": "#/$defs/PartialValues"});
        }
        // serviceDefaults: a partial service.
        let partial_service = serde_json::json!({"$ref": "#/$defs/PartialService"});
        if let Some(v) = d.get_mut("PartialValues") {
            v["properties"]["serviceDefaults"] = partial_service.clone();
        }
        if let Some(v) = d.get_mut("Values") {
            v["properties"]["serviceDefaults"] = partial_service;
        }
    }
    schema
}

/// The schema the merged values are validated against, committed as
/// `schema/values.schema.json` (compact, derived from the spec schema by
/// [`generate_values_schema`]): a small render spent a fifth of its time
/// parsing the whole published schema for it.
pub const VALUES_SCHEMA: &str = include_str!("../schema/values.schema.json");

/// The values schema, parsed once per run.
pub fn values_schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(VALUES_SCHEMA).unwrap_or_default())
}

/// The published `Values` definition as a root schema, `serviceDefaults`
/// already merged away, with only the definitions it uses.
pub fn generate_values_schema(spec: &Value) -> Value {
    let mut root = spec.pointer("/$defs/Values").cloned().unwrap_or_default();
    root["properties"]["serviceDefaults"] = serde_json::json!({"type": "object"});
    let mut defs = spec.get("$defs").cloned().unwrap_or_default();
    if let Some(d) = defs.as_object_mut() {
        d.retain(|name, _| !name.starts_with("Partial") && name != "Environment");
    }
    root["$defs"] = defs;
    root
}

/// The value constraints of the values schema, committed as
/// `schema/values.constraints.json` (generated by [`generate_constraints`]),
/// for [`crate::validate::Constraints`]: a twentieth of the schema's text.
pub const VALUES_CONSTRAINTS: &str = include_str!("../schema/values.constraints.json");

/// The keywords that hold a value constraint.
const CONSTRAINTS: [&str; 6] = ["minimum", "maximum", "minLength", "minItems", "pattern", "not"];

/// The part of a schema that holds value constraints and the way to them:
/// `$ref`s, `properties`, `additionalProperties`, `items` and `anyOf`/`oneOf`
/// (each branch kept, with its `const` and a `null` type, so that the branch
/// a value takes stays the same), without descriptions, types and
/// subschemas that constrain nothing.
pub fn generate_constraints(schema: &Value) -> Value {
    let empty = serde_json::Map::new();
    let defs = schema.get("$defs").and_then(Value::as_object).unwrap_or(&empty);
    // Which definitions constrain something, to a fixed point (they refer
    // to each other).
    let mut live = std::collections::BTreeSet::new();
    loop {
        let before = live.len();
        for (name, def) in defs {
            if !live.contains(name.as_str()) && constrains(def, &live) {
                live.insert(name.clone());
            }
        }
        if live.len() == before {
            break;
        }
    }
    let mut root = prune(schema, &live);
    let kept: serde_json::Map<String, Value> = defs
        .iter()
        .filter(|(name, _)| live.contains(name.as_str()))
        .map(|(name, def)| (name.clone(), prune(def, &live)))
        .collect();
    if !kept.is_empty() {
        root["$defs"] = Value::Object(kept);
    }
    root
}

/// Whether a subschema holds a constraint, itself or below it.
fn constrains(node: &Value, live: &std::collections::BTreeSet<String>) -> bool {
    let Some(m) = node.as_object() else { return false };
    CONSTRAINTS.iter().any(|k| m.contains_key(*k))
        || m.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .is_some_and(|name| live.contains(name))
        || ["items", "additionalProperties"]
            .iter()
            .any(|k| m.get(*k).is_some_and(|s| constrains(s, live)))
        || m.get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.values().any(|s| constrains(s, live)))
        || ["anyOf", "oneOf"].iter().any(|k| {
            m.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|b| b.iter().any(|s| constrains(s, live)))
        })
}

/// A subschema with only what [`generate_constraints`] keeps.
fn prune(node: &Value, live: &std::collections::BTreeSet<String>) -> Value {
    let Some(m) = node.as_object() else { return node.clone() };
    let mut out = serde_json::Map::new();
    for k in CONSTRAINTS {
        if let Some(v) = m.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    if let Some(r) = m.get("$ref") {
        out.insert("$ref".into(), r.clone());
    }
    if let Some(c) = m.get("const") {
        out.insert("const".into(), c.clone());
    }
    if m.get("type").and_then(Value::as_str) == Some("null") {
        out.insert("type".into(), "null".into());
    }
    if let Some(items) = m.get("items").filter(|s| constrains(s, live)) {
        out.insert("items".into(), prune(items, live));
    }
    let additional = m.get("additionalProperties").filter(|s| constrains(s, live));
    if let Some(a) = additional {
        out.insert("additionalProperties".into(), prune(a, live));
    }
    if let Some(props) = m.get("properties").and_then(Value::as_object) {
        // A property left out would fall to `additionalProperties`.
        let kept: serde_json::Map<String, Value> = props
            .iter()
            .filter(|(_, s)| additional.is_some() || constrains(s, live))
            .map(|(k, s)| (k.clone(), prune(s, live)))
            .collect();
        if !kept.is_empty() {
            out.insert("properties".into(), Value::Object(kept));
        }
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(branches) = m.get(k).and_then(Value::as_array)
            && branches.iter().any(|s| constrains(s, live))
        {
            out.insert(k.into(), branches.iter().map(|s| prune(s, live)).collect());
        }
    }
    Value::Object(out)
}

/// The schema of the spec's skeleton, for the check before merging: values
/// may hold `null` (remove) and `${VAR}` text where numbers go, so they are
/// left to [`values_schema`] after the merge.
pub fn skeleton_schema() -> Value {
    let mut s = spec_schema();
    s["properties"]["values"] = serde_json::json!({"type": ["object", "null"]});
    if let Some(defs) = s.get_mut("$defs").and_then(Value::as_object_mut) {
        defs.retain(|name, _| name == "Environment");
        if let Some(env) = defs.get_mut("Environment") {
            env["properties"]["values"] = serde_json::json!({"type": ["object", "null"]});
        }
    }
    s
}

/// A copy of a schema in which nothing is required and every `$ref` points
/// at the partial copy of its definition; `null` is allowed everywhere (it
/// removes a key in an overlay).
fn partialize(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            m.remove("required");
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let v = match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        Value::String(r.replacen("#/$defs/", "#/$defs/Partial", 1))
                    }
                    (_, other) => partialize(other),
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(partialize).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed schemas are what the types generate. To update them after
    /// changing the model: `UPDATE_SCHEMA=1 cargo test -p vz-render schema`.
    #[test]
    fn the_committed_schemas_match_the_types() {
        let spec = generate_spec_schema();
        let mut spec_text = serde_json::to_string_pretty(&spec).unwrap();
        spec_text.push('\n');
        let values = generate_values_schema(&spec);
        let mut values_text = serde_json::to_string(&values).unwrap();
        values_text.push('\n');
        let mut constraints_text = serde_json::to_string(&generate_constraints(&values)).unwrap();
        constraints_text.push('\n');
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schema");
            std::fs::write(format!("{dir}/vz.schema.json"), &spec_text).unwrap();
            std::fs::write(format!("{dir}/values.schema.json"), &values_text).unwrap();
            std::fs::write(format!("{dir}/values.constraints.json"), &constraints_text).unwrap();
            return;
        }
        let hint = "run `UPDATE_SCHEMA=1 cargo test -p vz-render schema`";
        assert!(spec_text == SPEC_SCHEMA, "schema/vz.schema.json is out of date: {hint}");
        assert!(values_text == VALUES_SCHEMA, "schema/values.schema.json is out of date: {hint}");
        assert!(
            constraints_text == VALUES_CONSTRAINTS,
            "schema/values.constraints.json is out of date: {hint}"
        );
    }

    /// The fast path's name check and the schema's `app` pattern agree.
    #[test]
    fn the_app_pattern_is_what_the_fast_path_checks() {
        let schema = skeleton_schema();
        assert_eq!(
            schema.pointer("/properties/app/pattern").and_then(Value::as_str),
            Some(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
        );
    }

    #[test]
    fn schemas_compile() {
        jsonschema::validator_for(&skeleton_schema()).expect("skeleton schema compiles");
        jsonschema::validator_for(&spec_schema()).expect("spec schema compiles");
        jsonschema::validator_for(values_schema()).expect("values schema compiles");
    }

    #[test]
    fn defaults_are_hardened() {
        let s: Service =
            serde_json::from_value(serde_json::json!({"image": "a/b", "tag": "v1"})).unwrap();
        assert!(!s.service_account.automount_token);
        assert!(s.security.run_as_user > 0);
        assert!(s.network_policy.enabled && s.disruption_budget.enabled);
        assert_eq!(s.writable_paths, ["/tmp"]);
    }
}
