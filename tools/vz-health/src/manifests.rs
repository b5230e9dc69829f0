//! Checks derived from rendered manifests (`--from-manifests`), so smoke
//! tests cannot drift from the deployment:
//! `vz-render production | vz-health --from-manifests`.
//!
//! The input is a stream of Kubernetes objects (multi-document YAML, JSON,
//! `kind: List` already flattened). Services and Ingresses become checks;
//! workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Argo Rollout
//! with a `template`, Pod) lend their readiness probes; every other kind is
//! ignored. A namespace is `metadata.namespace`, `default` when absent.
//!
//! **Services.** Every TCP port of a Service becomes one check (UDP and SCTP
//! ports are skipped), named `service/NAME:PORT-NAME`, or `service/NAME:PORT`
//! for an unnamed port:
//! - an `http` check, `GET http://NAME.NAMESPACE.svc.cluster.local:PORT/PATH`
//!   expecting 2xx, when a workload in the same namespace whose pod labels
//!   match the Service's `selector` has a container serving the port's
//!   `targetPort` (a number, or a container port's name; the Service `port`
//!   when absent) with a `readinessProbe.httpGet` on that same port: PATH is
//!   the probe's `path` (`/` when absent), and the scheme is `https` when the
//!   probe's `scheme` is `HTTPS` (the certificate is verified). The first such
//!   workload in the stream wins;
//! - otherwise a `tcp` check on `NAME.NAMESPACE.svc.cluster.local:PORT`.
//!
//! **Ingresses.** Every path of every rule with a `host` becomes an `http`
//! check, `GET https://HOST/PATH` expecting 2xx (`http://` when no `tls`
//! entry lists the host, exactly or as a `*.` wildcard), named
//! `ingress/NAME:HOST/PATH`. When the Ingress path is `/` and its backend
//! Service port has a readiness path (found as above), the check asks for
//! that path instead; any other Ingress path is asked for as written. Rules
//! with a wildcard host (`*.example.com`) or without a host are skipped: there
//! is no one name to ask for.
//!
//! **`--base-url URL`** (a port-forward, the load balancer): every check goes
//! to URL instead and is an `http` check. When the stream has Ingresses, only
//! they are checked: `GET URL/PATH` with the header `Host: HOST` (rules
//! without a host are checked too, with no `Host` header). Without Ingresses
//! the stream must have exactly one Service, which URL stands for: its first
//! port with a readiness path gives one check, `GET URL/READINESS-PATH`.
//! Several Services, or a Service without a readiness path, are usage errors
//! that say what to do instead.
//!
//! When the Services and Ingresses span several namespaces, every name
//! carries its namespace: `service/shop/api:http`. Each check is located at
//! its object's document and has the run's `--timeout`. No Service and no
//! Ingress in the input, or nothing left to check, is a usage error naming
//! the kinds that were found.

use crate::check::{Check, HeaderValue, Http, Probe, Tcp, redact_url};
use serde_json::{Map, Value};
use std::time::Duration;
use vz::Error;
use vz::input::Document;

/// How to derive checks.
#[derive(Clone, Debug)]
pub struct Options {
    /// Send every check to this `http://` or `https://` URL instead of the
    /// cluster's names (`--base-url`).
    pub base_url: Option<String>,
    /// The timeout of one attempt of every derived check.
    pub timeout: Duration,
}

/// The checks the Services and Ingresses of `docs` call for (see the module
/// documentation for the rules), in the order of the stream.
pub fn derive(docs: &[Document], opts: &Options) -> Result<Vec<Check>, Error> {
    let base = opts.base_url.as_deref().map(Base::parse).transpose()?;
    let stream = Stream::read(docs)?;
    if stream.services.is_empty() && stream.ingresses.is_empty() {
        return Err(Error::usage(format!(
            "--from-manifests found no Service and no Ingress to derive checks from ({}); \
             give it rendered manifests, e.g. `vz-render production | vz-health --from-manifests`",
            found(docs)
        )));
    }
    let targets = match &base {
        None => stream.cluster_targets(),
        Some(base) if !stream.ingresses.is_empty() => stream.ingress_targets(base),
        Some(base) => vec![stream.single_service_target(base)?],
    };
    let mut checks: Vec<Check> = Vec::new();
    for t in targets {
        if checks.iter().all(|c| c.name != t.name) {
            checks.push(Check {
                name: t.name,
                probe: t.probe,
                timeout: opts.timeout,
                at: t.doc.at.clone(),
            });
        }
    }
    if checks.is_empty() {
        return Err(Error::usage(format!(
            "--from-manifests found nothing to check ({}): only TCP Service ports and Ingress rules \
             with a host that is not a wildcard become checks",
            found(docs)
        )));
    }
    Ok(checks)
}

/// The kinds of `docs` and how many of each, in the order first seen:
/// `found Deployment (1), ConfigMap (2)`.
fn found(docs: &[Document]) -> String {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for d in docs {
        let kind =
            d.value.get("kind").and_then(Value::as_str).unwrap_or("an object without a kind");
        match kinds.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind.to_string(), 1)),
        }
    }
    if kinds.is_empty() {
        return "the input has no documents".into();
    }
    let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} ({n})")).collect();
    format!("found {}", list.join(", "))
}

/// The `--base-url`, without a trailing `/`.
#[derive(Clone, Debug)]
struct Base(String);

impl Base {
    fn parse(url: &str) -> Result<Self, Error> {
        let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
        let host = rest.map(|r| r.split('/').next().unwrap_or_default());
        match (rest, host) {
            (Some(rest), Some(host)) if !host.is_empty() && !rest.contains(['?', '#']) => {
                Ok(Base(url.trim_end_matches('/').to_string()))
            }
            _ => Err(Error::usage(format!(
                "--base-url `{}` is not a base URL: give http:// or https://, a host and an optional \
                 path, without a query (like http://127.0.0.1:8080 or https://lb.example.com)",
                redact_url(url)
            ))),
        }
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// A check before it is given its timeout.
struct Target<'a> {
    name: String,
    probe: Probe,
    doc: &'a Document,
}

/// An `http` probe: GET, 2xx, no redirects, verified TLS.
fn http_probe(url: String, headers: Vec<(String, HeaderValue)>) -> Probe {
    Probe::Http(Http { headers, ..Http::get(url) })
}

/// The objects of the stream this module reads.
struct Stream<'a> {
    services: Vec<Service<'a>>,
    ingresses: Vec<Ingress<'a>>,
    pods: Vec<PodTemplate<'a>>,
    /// Whether Services and Ingresses span several namespaces.
    many_namespaces: bool,
}

impl<'a> Stream<'a> {
    /// Reads every Service, Ingress and pod template; all malformed fields
    /// are reported together.
    fn read(docs: &'a [Document]) -> Result<Self, Error> {
        let mut errors = Vec::new();
        let mut stream =
            Stream { services: vec![], ingresses: vec![], pods: vec![], many_namespaces: false };
        for (index, doc) in docs.iter().enumerate() {
            let result = match doc.value.get("kind").and_then(Value::as_str) {
                Some("Service") => Service::read(index, doc).map(|s| stream.services.push(s)),
                Some("Ingress") => Ingress::read(index, doc).map(|i| stream.ingresses.push(i)),
                Some(kind) => {
                    stream.pods.extend(PodTemplate::read(kind, doc));
                    Ok(())
                }
                None => Ok(()),
            };
            match result {
                Err(Error::Many(all)) => errors.extend(all),
                Err(e) => errors.push(e),
                Ok(()) => {}
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        let mut namespaces: Vec<&str> =
            stream.services.iter().map(|s| s.namespace.as_str()).collect();
        namespaces.extend(stream.ingresses.iter().map(|i| i.namespace.as_str()));
        namespaces.sort_unstable();
        namespaces.dedup();
        stream.many_namespaces = namespaces.len() > 1;
        Ok(stream)
    }

    /// `kind/NAME` or, across namespaces, `kind/NAMESPACE/NAME`.
    fn object_name(&self, kind: &str, namespace: &str, name: &str) -> String {
        if self.many_namespaces {
            format!("{kind}/{namespace}/{name}")
        } else {
            format!("{kind}/{name}")
        }
    }

    /// Without `--base-url`: every Service port and Ingress path by its name
    /// in the cluster, in the order of the stream.
    fn cluster_targets(&self) -> Vec<Target<'a>> {
        let mut targets: Vec<(usize, Target<'a>)> = Vec::new();
        for svc in &self.services {
            targets.extend(self.service_targets(svc).into_iter().map(|t| (svc.index, t)));
        }
        for ing in &self.ingresses {
            targets
                .extend(self.ingress_rule_targets(ing, None).into_iter().map(|t| (ing.index, t)));
        }
        targets.sort_by_key(|(index, _)| *index);
        targets.into_iter().map(|(_, t)| t).collect()
    }

    fn service_targets(&self, svc: &Service<'a>) -> Vec<Target<'a>> {
        let host = format!("{}.{}.svc.cluster.local", svc.name, svc.namespace);
        let mut targets = Vec::new();
        for port in svc.ports.iter().filter(|p| p.tcp) {
            let probe = match self.readiness(svc, port) {
                Some(r) => {
                    let scheme = if r.https { "https" } else { "http" };
                    http_probe(format!("{scheme}://{host}:{}{}", port.port, r.path), vec![])
                }
                None => Probe::Tcp(Tcp { address: format!("{host}:{}", port.port) }),
            };
            targets.push(Target { name: self.port_name(svc, port), probe, doc: svc.doc });
        }
        targets
    }

    fn port_name(&self, svc: &Service<'_>, port: &ServicePort) -> String {
        let label = port.name.clone().unwrap_or_else(|| port.port.to_string());
        format!("{}:{label}", self.object_name("service", &svc.namespace, &svc.name))
    }

    /// The checks of an Ingress's rules, by host (`base` is `None`) or sent
    /// to the base URL with a `Host` header.
    fn ingress_rule_targets(&self, ing: &Ingress<'a>, base: Option<&Base>) -> Vec<Target<'a>> {
        let mut targets = Vec::new();
        for rule in &ing.rules {
            let host = match (&rule.host, base) {
                (Some(h), _) if h.starts_with('*') => continue,
                (None, None) => continue,
                (h, _) => h.as_deref(),
            };
            for path in &rule.paths {
                let asked = match (path.path.as_str(), self.backend_readiness(ing, path)) {
                    ("/", Some(r)) => r.path,
                    (p, _) => p.to_string(),
                };
                let (url, headers) = match (base, host) {
                    (Some(base), Some(h)) => (
                        base.join(&asked),
                        vec![("Host".into(), HeaderValue { value: h.into(), secret: false })],
                    ),
                    (Some(base), None) => (base.join(&asked), vec![]),
                    (None, Some(h)) => {
                        let scheme = if ing.tls_covers(h) { "https" } else { "http" };
                        (format!("{scheme}://{h}{asked}"), vec![])
                    }
                    (None, None) => continue,
                };
                let name = format!(
                    "{}:{}{}",
                    self.object_name("ingress", &ing.namespace, &ing.name),
                    host.unwrap_or(""),
                    path.path
                );
                targets.push(Target { name, probe: http_probe(url, headers), doc: ing.doc });
            }
        }
        targets
    }

    /// With `--base-url` and Ingresses: every Ingress path through the base.
    fn ingress_targets(&self, base: &Base) -> Vec<Target<'a>> {
        self.ingresses.iter().flat_map(|ing| self.ingress_rule_targets(ing, Some(base))).collect()
    }

    /// With `--base-url` and no Ingress: the one Service's readiness path.
    fn single_service_target(&self, base: &Base) -> Result<Target<'a>, Error> {
        let svc = match self.services.as_slice() {
            [svc] => svc,
            all => {
                let names: Vec<String> = all
                    .iter()
                    .map(|s| self.object_name("service", &s.namespace, &s.name))
                    .collect();
                return Err(Error::usage(format!(
                    "--base-url stands for one Service, and the manifests have {} and no Ingress: {}; \
                     port-forward each Service and run vz-health once per Service with only its \
                     manifests, or drop --base-url to check them by their names in the cluster",
                    all.len(),
                    names.join(", ")
                )));
            }
        };
        for port in svc.ports.iter().filter(|p| p.tcp) {
            if let Some(r) = self.readiness(svc, port) {
                let name = self.port_name(svc, port);
                return Ok(Target {
                    name,
                    probe: http_probe(base.join(&r.path), vec![]),
                    doc: svc.doc,
                });
            }
        }
        Err(Error::usage(format!(
            "--base-url needs a path to ask for, and no port of {} leads to a container with an \
             httpGet readinessProbe; drop --base-url to check its ports over TCP by their names in \
             the cluster",
            self.object_name("service", &svc.namespace, &svc.name)
        )))
    }

    /// The readiness probe behind an Ingress path's backend Service port.
    fn backend_readiness(&self, ing: &Ingress<'_>, path: &IngressPath) -> Option<Readiness> {
        let (svc_name, port) = path.backend.as_ref()?;
        let svc =
            self.services.iter().find(|s| s.namespace == ing.namespace && s.name == *svc_name)?;
        let svc_port = svc.ports.iter().find(|p| match port {
            PortRef::Number(n) => p.port == *n,
            PortRef::Name(name) => p.name.as_deref() == Some(name.as_str()),
        })?;
        self.readiness(svc, svc_port)
    }

    /// The `httpGet` readiness probe of the first container, in a workload
    /// the Service selects, that serves the port's target and probes it.
    fn readiness(&self, svc: &Service<'_>, port: &ServicePort) -> Option<Readiness> {
        let selector = svc.selector.as_ref().filter(|s| !s.is_empty())?;
        self.pods
            .iter()
            .filter(|pod| pod.namespace == svc.namespace && pod.matches(selector))
            .flat_map(|pod| pod.containers.iter())
            .find_map(|c| container_readiness(c, &port.target))
    }
}

/// A port given by number or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PortRef {
    Number(u16),
    Name(String),
}

/// A readiness probe's request.
#[derive(Clone, Debug)]
struct Readiness {
    path: String,
    https: bool,
}

/// The readiness probe of `container` when the container serves `target`
/// and its `readinessProbe.httpGet.port` is that same port (by number or by
/// the name of a container port with that number).
fn container_readiness(container: &Value, target: &PortRef) -> Option<Readiness> {
    let ports: Vec<(Option<&str>, Option<u64>)> = container
        .get("ports")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        p.get("name").and_then(Value::as_str),
                        p.get("containerPort").and_then(Value::as_u64),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // The target as a number and the names it goes by in this container.
    let (number, names): (u64, Vec<&str>) = match target {
        PortRef::Number(n) => {
            let n = u64::from(*n);
            (n, ports.iter().filter(|(_, p)| *p == Some(n)).filter_map(|(name, _)| *name).collect())
        }
        PortRef::Name(name) => {
            let n =
                ports.iter().find(|(pn, _)| *pn == Some(name.as_str())).and_then(|(_, p)| *p)?;
            (n, vec![name.as_str()])
        }
    };
    let get = container.get("readinessProbe")?.get("httpGet")?;
    let probes_target = match get.get("port")? {
        Value::Number(n) => n.as_u64() == Some(number),
        Value::String(s) => names.contains(&s.as_str()) || s.parse::<u64>().ok() == Some(number),
        _ => false,
    };
    if !probes_target {
        return None;
    }
    let path = match get.get("path").and_then(Value::as_str) {
        Some(p) if p.starts_with('/') => p.to_string(),
        Some(p) => format!("/{p}"),
        None => "/".into(),
    };
    let https =
        get.get("scheme").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("https"));
    Some(Readiness { path, https })
}

/// The `metadata.name` of an object (`a_kind` is `a Service`), or an error
/// at the name or, when it is missing, at the metadata.
fn object_name_of(doc: &Document, a_kind: &str) -> Result<String, Error> {
    match doc.value.pointer("/metadata/name") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        found => Err(Error::Invalid {
            at: doc.locate(if found.is_some() { "metadata.name" } else { "metadata" }, false),
            path: "metadata.name".into(),
            message: format!("{a_kind} needs a name to derive checks from"),
            suggestion: None,
        }),
    }
}

fn namespace_of(doc: &Document) -> String {
    doc.value
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string()
}

/// An error at the value of `path`.
fn invalid(doc: &Document, path: &str, message: String) -> Error {
    Error::Invalid { at: doc.locate(path, false), path: path.into(), message, suggestion: None }
}

/// A port number, 1–65535, at `path`.
fn port_number(doc: &Document, path: &str, value: &Value) -> Result<u16, Error> {
    value.as_u64().and_then(|n| u16::try_from(n).ok()).filter(|n| *n > 0).ok_or_else(|| {
        invalid(doc, path, format!("expected a port number from 1 to 65535, found {value}"))
    })
}

/// A port number or a port name at `path`.
fn port_ref(doc: &Document, path: &str, value: &Value) -> Result<PortRef, Error> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(match s.parse::<u16>() {
            Ok(n) if n > 0 => PortRef::Number(n),
            _ => PortRef::Name(s.clone()),
        }),
        Value::Number(_) => port_number(doc, path, value).map(PortRef::Number),
        _ => {
            Err(invalid(doc, path, format!("expected a port number or a port name, found {value}")))
        }
    }
}

/// A Service.
struct Service<'a> {
    doc: &'a Document,
    /// Its place in the stream.
    index: usize,
    name: String,
    namespace: String,
    selector: Option<Map<String, Value>>,
    ports: Vec<ServicePort>,
}

/// One port of a Service.
struct ServicePort {
    name: Option<String>,
    port: u16,
    target: PortRef,
    /// `protocol` is TCP (the default).
    tcp: bool,
}

impl<'a> Service<'a> {
    fn read(index: usize, doc: &'a Document) -> Result<Self, Error> {
        let name = object_name_of(doc, "a Service")?;
        let selector = doc.value.pointer("/spec/selector").and_then(Value::as_object).cloned();
        let mut ports = Vec::new();
        let mut errors = Vec::new();
        let list = doc
            .value
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (i, p) in list.iter().enumerate() {
            match ServicePort::read(doc, &vz::path::index("spec.ports", i), p) {
                Ok(port) => ports.push(port),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        Ok(Service { doc, index, name, namespace: namespace_of(doc), selector, ports })
    }
}

impl ServicePort {
    fn read(doc: &Document, path: &str, p: &Value) -> Result<Self, Error> {
        let port_path = vz::path::key(path, "port");
        let port = port_number(doc, &port_path, p.get("port").unwrap_or(&Value::Null))?;
        let target = match p.get("targetPort") {
            None | Some(Value::Null) => PortRef::Number(port),
            Some(v) => port_ref(doc, &vz::path::key(path, "targetPort"), v)?,
        };
        let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        let name =
            p.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_string);
        Ok(ServicePort { name, port, target, tcp: protocol.eq_ignore_ascii_case("tcp") })
    }
}

/// An Ingress.
struct Ingress<'a> {
    doc: &'a Document,
    /// Its place in the stream.
    index: usize,
    name: String,
    namespace: String,
    rules: Vec<Rule>,
    /// The hosts its `tls` entries list.
    tls_hosts: Vec<String>,
}

/// One rule of an Ingress.
struct Rule {
    host: Option<String>,
    paths: Vec<IngressPath>,
}

/// One path of a rule and the Service port it leads to.
struct IngressPath {
    path: String,
    backend: Option<(String, PortRef)>,
}

impl<'a> Ingress<'a> {
    fn read(index: usize, doc: &'a Document) -> Result<Self, Error> {
        let name = object_name_of(doc, "an Ingress")?;
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        let list = doc
            .value
            .pointer("/spec/rules")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (i, r) in list.iter().enumerate() {
            match Rule::read(doc, &vz::path::index("spec.rules", i), r) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        let tls_hosts = doc
            .value
            .pointer("/spec/tls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("hosts").and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect();
        Ok(Ingress { doc, index, name, namespace: namespace_of(doc), rules, tls_hosts })
    }

    /// Whether a `tls` entry lists `host`, exactly or as `*.parent`.
    fn tls_covers(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.tls_hosts.iter().any(|t| match t.strip_prefix("*.") {
            Some(parent) => host.split_once('.').is_some_and(|(_, rest)| rest == parent),
            None => *t == host,
        })
    }
}

impl Rule {
    fn read(doc: &Document, path: &str, r: &Value) -> Result<Self, Error> {
        let host = match r.get("host") {
            None | Some(Value::Null) => None,
            Some(Value::String(h)) if h.is_empty() => None,
            Some(Value::String(h)) => Some(h.to_ascii_lowercase()),
            Some(v) => {
                return Err(invalid(
                    doc,
                    &vz::path::key(path, "host"),
                    format!("expected a host name, found {v}"),
                ));
            }
        };
        let mut paths = Vec::new();
        let list =
            r.pointer("/http/paths").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        for (i, p) in list.iter().enumerate() {
            paths.push(IngressPath::read(
                doc,
                &vz::path::index(&vz::path::key(&vz::path::key(path, "http"), "paths"), i),
                p,
            )?);
        }
        Ok(Rule { host, paths })
    }
}

impl IngressPath {
    fn read(doc: &Document, path: &str, p: &Value) -> Result<Self, Error> {
        let at = vz::path::key(path, "path");
        let written = match p.get("path") {
            None | Some(Value::Null) => "/".to_string(),
            Some(Value::String(s)) if s.is_empty() => "/".to_string(),
            Some(Value::String(s)) if s.starts_with('/') => s.clone(),
            Some(v) => {
                return Err(invalid(
                    doc,
                    &at,
                    format!("expected an absolute path like /api, found {v}"),
                ));
            }
        };
        // networking.k8s.io/v1 `service: {name, port: {number | name}}`, or
        // the older `serviceName` and `servicePort`.
        let (service, port, port_path) = match p.get("backend") {
            Some(b) if b.get("service").is_some() => (
                b.pointer("/service/name"),
                b.pointer("/service/port/number").or_else(|| b.pointer("/service/port/name")),
                if b.pointer("/service/port/number").is_some() {
                    "backend.service.port.number"
                } else {
                    "backend.service.port.name"
                },
            ),
            Some(b) => (b.get("serviceName"), b.get("servicePort"), "backend.servicePort"),
            None => (None, None, ""),
        };
        let backend = match (service.and_then(Value::as_str), port) {
            (Some(s), Some(port)) => {
                Some((s.to_string(), port_ref(doc, &vz::path::key(path, port_path), port)?))
            }
            _ => None,
        };
        Ok(IngressPath { path: written, backend })
    }
}

/// A pod template: the labels and containers of a workload's pods.
struct PodTemplate<'a> {
    namespace: String,
    labels: Option<&'a Map<String, Value>>,
    containers: &'a [Value],
}

impl<'a> PodTemplate<'a> {
    /// The pod template of a workload (or a Pod); `None` for other kinds.
    fn read(kind: &str, doc: &'a Document) -> Option<Self> {
        let pod = match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Rollout" => {
                doc.value.pointer("/spec/template")?
            }
            "Pod" => &doc.value,
            _ => return None,
        };
        Some(PodTemplate {
            namespace: namespace_of(doc),
            labels: pod.pointer("/metadata/labels").and_then(Value::as_object),
            containers: pod
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice),
        })
    }

    /// Whether its labels hold every pair of `selector`.
    fn matches(&self, selector: &Map<String, Value>) -> bool {
        self.labels.is_some_and(|labels| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Redirects;
    use vz::input::{Locate, parse_documents};

    const TIMEOUT: Duration = Duration::from_secs(7);

    fn derive_from(text: &str, base_url: Option<&str>) -> Result<Vec<Check>, Error> {
        let docs = parse_documents(text, "manifests.yaml", Locate::Everything).unwrap();
        derive(&docs, &Options { base_url: base_url.map(str::to_string), timeout: TIMEOUT })
    }

    /// Each check as one line: `NAME KIND TARGET [Host: HOST]`.
    fn lines(checks: &[Check]) -> Vec<String> {
        checks
            .iter()
            .map(|c| {
                let mut line = format!("{} {} {}", c.name, c.kind(), c.target());
                if let Probe::Http(h) = &c.probe {
                    assert_eq!(
                        (h.method.as_str(), h.insecure, h.redirects),
                        ("GET", false, Redirects::None)
                    );
                    assert_eq!(h.expect.status, crate::check::StatusSet::success());
                    for (k, v) in &h.headers {
                        assert!(!v.secret);
                        line.push_str(&format!(" [{k}: {}]", v.value));
                    }
                }
                line
            })
            .collect()
    }

    fn derived(text: &str, base_url: Option<&str>) -> Vec<String> {
        lines(&derive_from(text, base_url).unwrap())
    }

    fn error(text: &str, base_url: Option<&str>) -> String {
        derive_from(text, base_url).unwrap_err().to_string()
    }

    /// What `vz-render production` makes of tests/fixtures/render/shop.yaml,
    /// cut to the parts that matter here.
    const SHOP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config, namespace: shop-production}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop-production}
spec:
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http}
  - {name: metrics, port: 9100, protocol: TCP, targetPort: metrics}
  selector: {app.kubernetes.io/name: api, app.kubernetes.io/part-of: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop-production}
spec:
  template:
    metadata:
      labels: {app.kubernetes.io/name: api, app.kubernetes.io/part-of: shop, team: payments}
    spec:
      containers:
      - name: api
        ports:
        - {containerPort: 8443, name: http}
        - {containerPort: 9100, name: metrics}
        livenessProbe: {httpGet: {path: /live, port: http}}
        readinessProbe: {httpGet: {path: /health, port: http}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: shop-production}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - backend: {service: {name: api, port: {name: http}}}
        path: /
        pathType: Prefix
  tls:
  - hosts: [shop.example.com]
    secretName: api-tls
"#;

    #[test]
    fn services_and_ingresses_become_checks_by_their_cluster_names() {
        let checks = derive_from(SHOP, None).unwrap();
        assert_eq!(
            lines(&checks),
            [
                "service/api:http http http://api.shop-production.svc.cluster.local:80/health",
                "service/api:metrics tcp api.shop-production.svc.cluster.local:9100",
                "ingress/api:shop.example.com/ http https://shop.example.com/health",
            ]
        );
        let at: Vec<String> = checks.iter().map(|c| c.at.to_string()).collect();
        assert_eq!(at, ["manifests.yaml:6:1", "manifests.yaml:6:1", "manifests.yaml:31:1"]);
        assert!(checks.iter().all(|c| c.timeout == TIMEOUT));
    }

    #[test]
    fn with_a_base_url_ingresses_are_asked_through_it_with_their_host() {
        assert_eq!(
            derived(SHOP, Some("http://127.0.0.1:8000/")),
            [
                "ingress/api:shop.example.com/ http http://127.0.0.1:8000/health [Host: shop.example.com]"
            ]
        );
    }

    #[test]
    fn with_a_base_url_and_no_ingress_the_one_service_is_asked_for_its_readiness_path() {
        let text = SHOP.split("---\napiVersion: networking.k8s.io/v1").next().unwrap();
        assert_eq!(
            derived(text, Some("http://127.0.0.1:8000/prefix")),
            ["service/api:http http http://127.0.0.1:8000/prefix/health"]
        );
    }

    #[test]
    fn with_a_base_url_several_services_and_no_ingress_are_a_usage_error() {
        let text = "kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: b}\n";
        assert_eq!(
            error(text, Some("http://127.0.0.1:8000")),
            "--base-url stands for one Service, and the manifests have 2 and no Ingress: service/a, \
             service/b; port-forward each Service and run vz-health once per Service with only its \
             manifests, or drop --base-url to check them by their names in the cluster"
        );
    }

    #[test]
    fn with_a_base_url_a_service_without_a_readiness_path_is_a_usage_error() {
        let text =
            "kind: Service\nmetadata: {name: db, namespace: data}\nspec: {ports: [{port: 5432}]}\n";
        assert_eq!(derived(text, None), ["service/db:5432 tcp db.data.svc.cluster.local:5432"]);
        assert_eq!(
            error(text, Some("http://127.0.0.1:8000")),
            "--base-url needs a path to ask for, and no port of service/db leads to a container with \
             an httpGet readinessProbe; drop --base-url to check its ports over TCP by their names in \
             the cluster"
        );
    }

    #[test]
    fn a_base_url_must_be_an_http_url() {
        for bad in ["127.0.0.1:8000", "tcp://127.0.0.1:8000", "http://", "http://h/?x=1"] {
            assert_eq!(
                error(SHOP, Some(bad)),
                format!(
                    "--base-url `{bad}` is not a base URL: give http:// or https://, a host and an \
                     optional path, without a query (like http://127.0.0.1:8080 or https://lb.example.com)"
                )
            );
        }
    }

    #[test]
    fn target_ports_match_by_number_or_name_and_the_probe_must_probe_that_port() {
        let text = r#"
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: main, port: 80, targetPort: 8080}
  - {name: admin, port: 81, targetPort: "9090"}
  - {port: 82}
  - {name: dns, port: 53, protocol: UDP}
---
kind: StatefulSet
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        ports: [{containerPort: 8080, name: web}]
        readinessProbe: {httpGet: {path: ready, port: web, scheme: HTTPS}}
      - name: admin
        ports: [{containerPort: 9090}]
        readinessProbe: {httpGet: {path: /admin/ready, port: 9091}}
      - name: plain
        readinessProbe: {httpGet: {port: 82}}
"#;
        assert_eq!(
            derived(text, None),
            [
                "service/web:main http https://web.default.svc.cluster.local:80/ready",
                "service/web:admin tcp web.default.svc.cluster.local:81",
                "service/web:82 http http://web.default.svc.cluster.local:82/",
            ]
        );
    }

    #[test]
    fn only_selected_pods_in_the_same_namespace_lend_their_probes() {
        let text = r#"
kind: Service
metadata: {name: a, namespace: one}
spec: {selector: {app: a}, ports: [{port: 80}]}
---
kind: Service
metadata: {name: b, namespace: one}
spec: {selector: {app: b, tier: web}, ports: [{port: 80}]}
---
kind: Service
metadata: {name: c, namespace: one}
spec: {ports: [{port: 80}]}
---
kind: Pod
metadata: {name: a, namespace: two, labels: {app: a}}
spec: {containers: [{name: a, readinessProbe: {httpGet: {path: /a, port: 80}}}]}
---
kind: Deployment
metadata: {name: b, namespace: one}
spec:
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: b, readinessProbe: {httpGet: {path: /b, port: 80}}}]}
---
kind: Pod
metadata: {name: c, namespace: one, labels: {app: c}}
spec: {containers: [{name: c, readinessProbe: {httpGet: {path: /c, port: 80}}}]}
"#;
        assert_eq!(
            derived(text, None),
            [
                "service/a:80 tcp a.one.svc.cluster.local:80",
                "service/b:80 tcp b.one.svc.cluster.local:80",
                "service/c:80 tcp c.one.svc.cluster.local:80",
            ]
        );
        let selected = text.replace("namespace: two", "namespace: one");
        assert_eq!(
            derived(&selected, None)[0],
            "service/a:80 http http://a.one.svc.cluster.local:80/a"
        );
    }

    #[test]
    fn ingress_paths_schemes_and_skipped_hosts() {
        let text = r#"
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: ["*.example.com"]}]
  rules:
  - host: App.Example.com
    http:
      paths:
      - {path: /api, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /, backend: {service: {name: web, port: {number: 80}}}}
  - host: plain.example.org
    http: {paths: [{path: /}]}
  - host: deep.app.example.com
    http: {paths: [{path: /}]}
  - host: "*.example.com"
    http: {paths: [{path: /}]}
  - http: {paths: [{path: /anyhost}]}
---
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
kind: Pod
metadata: {name: web, labels: {app: web}}
spec: {containers: [{name: web, readinessProbe: {httpGet: {path: /ready, port: 8080}}}]}
"#;
        assert_eq!(
            derived(text, None),
            [
                "ingress/web:app.example.com/api http https://app.example.com/api",
                "ingress/web:app.example.com/ http https://app.example.com/ready",
                "ingress/web:plain.example.org/ http http://plain.example.org/",
                "ingress/web:deep.app.example.com/ http http://deep.app.example.com/",
                "service/web:http http http://web.default.svc.cluster.local:80/ready",
            ]
        );
        assert_eq!(
            derived(text, Some("https://lb.example.net")),
            [
                "ingress/web:app.example.com/api http https://lb.example.net/api [Host: app.example.com]",
                "ingress/web:app.example.com/ http https://lb.example.net/ready [Host: app.example.com]",
                "ingress/web:plain.example.org/ http https://lb.example.net/ [Host: plain.example.org]",
                "ingress/web:deep.app.example.com/ http https://lb.example.net/ [Host: deep.app.example.com]",
                "ingress/web:/anyhost http https://lb.example.net/anyhost",
            ]
        );
    }

    #[test]
    fn older_ingress_backends_are_read_too() {
        let text = r#"
kind: Ingress
metadata: {name: old}
spec:
  rules: [{host: old.example.com, http: {paths: [{backend: {serviceName: old, servicePort: 80}}]}}]
---
kind: Service
metadata: {name: old}
spec: {selector: {app: old}, ports: [{port: 80}]}
---
kind: Pod
metadata: {name: old, labels: {app: old}}
spec: {containers: [{name: old, readinessProbe: {httpGet: {path: /healthz, port: 80}}}]}
"#;
        assert_eq!(
            derived(text, None)[0],
            "ingress/old:old.example.com/ http http://old.example.com/healthz"
        );
    }

    #[test]
    fn names_carry_namespaces_when_there_are_several_and_repeats_are_dropped() {
        let text = r#"
kind: List
items:
- kind: Service
  metadata: {name: api, namespace: blue}
  spec: {ports: [{name: http, port: 80}]}
- kind: Service
  metadata: {name: api, namespace: green}
  spec: {ports: [{name: http, port: 80}]}
- kind: Ingress
  metadata: {name: api, namespace: green}
  spec: {rules: [{host: a.test, http: {paths: [{path: /}]}}, {host: a.test, http: {paths: [{path: /}]}}]}
"#;
        assert_eq!(
            derived(text, None),
            [
                "service/blue/api:http tcp api.blue.svc.cluster.local:80",
                "service/green/api:http tcp api.green.svc.cluster.local:80",
                "ingress/green/api:a.test/ http http://a.test/",
            ]
        );
    }

    #[test]
    fn no_service_and_no_ingress_is_a_usage_error_naming_what_was_found() {
        let text = "kind: Deployment\nmetadata: {name: a}\n---\nkind: ConfigMap\n---\nkind: ConfigMap\n---\na: 1\n";
        assert_eq!(
            error(text, None),
            "--from-manifests found no Service and no Ingress to derive checks from (found Deployment (1), \
             ConfigMap (2), an object without a kind (1)); give it rendered manifests, e.g. \
             `vz-render production | vz-health --from-manifests`"
        );
        assert!(error("", None).contains("(the input has no documents)"));
    }

    #[test]
    fn nothing_left_to_check_is_a_usage_error() {
        let text = r#"
kind: Service
metadata: {name: dns}
spec: {ports: [{port: 53, protocol: UDP}]}
---
kind: Ingress
metadata: {name: wild}
spec: {rules: [{host: "*.example.com", http: {paths: [{path: /}]}}]}
"#;
        assert_eq!(
            error(text, None),
            "--from-manifests found nothing to check (found Service (1), Ingress (1)): only TCP Service \
             ports and Ingress rules with a host that is not a wildcard become checks"
        );
    }

    #[test]
    fn malformed_fields_are_reported_where_they_are() {
        let text = r#"kind: Service
metadata: {name: a}
spec:
  ports:
  - port: http
  - port: 70000
---
kind: Ingress
metadata: {}
---
kind: Ingress
metadata: {name: b}
spec:
  rules:
  - host: b.test
    http:
      paths:
      - path: api
"#;
        assert_eq!(
            error(text, None),
            "4 problems:\
             \n  manifests.yaml:5:11: spec.ports[0].port: expected a port number from 1 to 65535, found \"http\"\
             \n  manifests.yaml:6:11: spec.ports[1].port: expected a port number from 1 to 65535, found 70000\
             \n  manifests.yaml:9:11: metadata.name: an Ingress needs a name to derive checks from\
             \n  manifests.yaml:18:15: spec.rules[0].http.paths[0].path: expected an absolute path like /api, found \"api\""
        );
    }
}
