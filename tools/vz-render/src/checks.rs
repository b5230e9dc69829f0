//! The rules a schema cannot say: secrets stay references, strategies get
//! what they need, references between fields resolve.

use crate::layers::Layered;
use crate::model::{Provider, StrategyType, Values};
use serde_json::Value;
use vz::{Error, Location};

use vz::secret::is_placeholder;
pub use vz::secret::looks_secret;

/// Checks the merged, typed values; every problem is reported at once.
pub fn check(
    values: &Values,
    app: &str,
    layered: &Layered,
    fallback: &Location,
    reveal: bool,
) -> Result<(), Error> {
    let mut errors = Vec::new();
    let mut problem = |path: String, message: String| {
        errors.push(Error::Invalid {
            at: layered.locate(&path, fallback),
            path,
            message,
            suggestion: None,
        });
    };
    if values.services.is_empty() {
        problem(
            "services".into(),
            format!("no services to render for `{app}`: add one under `values.services`"),
        );
    }
    for (name, svc) in &values.services {
        let base = vz::path::key("services", name);
        if !crate::spec::is_app_name(name) {
            problem(
                base.clone(),
                format!(
                    "service name `{name}` must be a DNS label (a lower-case letter, then letters, digits and `-`, at most 40)"
                ),
            );
        }
        let at = |field: &str| format!("{base}.{field}");
        if !reveal {
            for (k, v) in &svc.env {
                if looks_secret(k) && !is_placeholder(&v.as_text()) {
                    problem(
                        vz::path::key(&at("env"), k),
                        format!(
                            "`{k}` looks like a secret and would be written in plain text: move it to `secretEnv` ({k}: {{secret: NAME, key: KEY}}), or pass --reveal"
                        ),
                    );
                }
            }
            if let Some(config) = &svc.config {
                secrets_in_config(config, &at("config"), &mut problem);
            }
        }
        for k in svc.env.keys().filter(|k| svc.secret_env.contains_key(*k)) {
            problem(
                vz::path::key(&at("secretEnv"), k),
                format!("`{k}` is set in both `env` and `secretEnv`"),
            );
        }
        let port_names: Vec<&str> = svc.ports.iter().map(|p| p.name.as_str()).collect();
        if let Some(p) = &svc.probes.port
            && !port_names.contains(&p.as_str())
        {
            problem(
                at("probes.port"),
                format!("no port named `{p}` (ports: {})", port_names.join(", ")),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, p) in svc.ports.iter().enumerate() {
            if !seen.insert(p.name.as_str()) {
                problem(
                    format!("{}[{i}].name", at("ports")),
                    format!("port name `{}` is used twice", p.name),
                );
            }
        }
        if let Some(a) = &svc.autoscaling
            && a.min_replicas > a.max_replicas
        {
            problem(
                at("autoscaling.minReplicas"),
                format!(
                    "minReplicas ({}) is above maxReplicas ({})",
                    a.min_replicas, a.max_replicas
                ),
            );
        }
        let s = &svc.strategy;
        match (s.r#type, s.provider) {
            (StrategyType::Rolling, Provider::Native)
            | (StrategyType::BlueGreen, Provider::Native | Provider::Argo)
            | (StrategyType::Canary, Provider::Istio | Provider::Flagger) => {}
            (t, p) => {
                let allowed = match t {
                    StrategyType::Rolling => "native",
                    StrategyType::BlueGreen => "native or argo",
                    StrategyType::Canary => "istio or flagger",
                };
                problem(
                    at("strategy.provider"),
                    format!(
                        "{} does not work with the `{}` strategy: use {allowed}",
                        json_name(&p),
                        json_name(&t)
                    ),
                );
            }
        }
        if s.r#type == StrategyType::BlueGreen
            && s.provider == Provider::Native
            && s.active_color.is_none()
        {
            problem(
                at("strategy.activeColor"),
                "blue-green needs the colour that is live now, so the render deploys into the other one and never flips traffic: set it from the cluster, e.g. activeColor: ${ACTIVE_COLOR} with ACTIVE_COLOR=$(kubectl get svc NAME-active -o jsonpath='{.spec.selector.color}')".into(),
            );
        }
        if let Some(es) = &svc.external_secret
            && !svc.secret_env.values().any(|r| r.secret == es.secret)
        {
            problem(
                at("externalSecret.secret"),
                format!(
                    "the ExternalSecret creates `{}`, but no `secretEnv` entry refers to it",
                    es.secret
                ),
            );
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::many(errors)) }
}

fn secrets_in_config(v: &Value, path: &str, problem: &mut dyn FnMut(String, String)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = vz::path::key(path, k);
                match child {
                    Value::String(s) if looks_secret(k) && !is_placeholder(s) => problem(
                        p,
                        format!(
                            "`{k}` looks like a secret and would be written in plain text into a ConfigMap: read it from an env var filled by `secretEnv`, or pass --reveal"
                        ),
                    ),
                    _ => secrets_in_config(child, &p, problem),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                secrets_in_config(child, &vz::path::index(path, i), problem);
            }
        }
        _ => {}
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
