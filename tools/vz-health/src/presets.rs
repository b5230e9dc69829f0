//! Prometheus query presets: Flagger's `request-success-rate` and
//! `request-duration` PromQL, per provider.
//!
//! The queries are Flagger's built-in metric templates
//! (`pkg/metrics/observers/{istio,nginx,http}.go`), written on one line and
//! with the same label matchers, so a threshold that works in a Flagger
//! `Canary` works here. Every `request-duration` query gives milliseconds:
//! where Flagger converts seconds to milliseconds in Go (the `kubernetes`
//! provider), the conversion is in the PromQL (`* 1000`).

use std::collections::BTreeMap;

/// A preset with its arguments filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Expanded {
    /// The PromQL to run.
    pub query: String,
    /// The preset's default lowest acceptable value (a check's `min` wins).
    pub min: Option<f64>,
    /// The preset's default highest acceptable value (a check's `max` wins).
    pub max: Option<f64>,
}

/// The provider used when a check names none.
pub const DEFAULT_PROVIDER: &str = "istio";

/// The `interval` (the `rate()` window) used when a check gives none.
pub const DEFAULT_INTERVAL: &str = "1m";

/// The arguments a preset understands (`ingress` is for `nginx` only).
pub const ARGUMENTS: &[&str] = &["namespace", "target", "ingress", "interval"];

/// The preset names.
pub fn names() -> &'static [&'static str] {
    &["request-success-rate", "request-duration"]
}

/// The provider names.
pub fn providers() -> &'static [&'static str] {
    &["istio", "nginx", "kubernetes"]
}

/// Percent of requests that were not 5xx, over `interval`; default `min: 99`.
///
/// Istio: `istio_requests_total` reported by the destination, the workload
/// matched as a regex (`=~`), as Flagger does.
const ISTIO_SUCCESS_RATE: &str = concat!(
    r#"sum(rate(istio_requests_total{reporter="destination","#,
    r#"destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}","#,
    r#"response_code!~"5.*"}[{{ interval }}]))"#,
    r#" / sum(rate(istio_requests_total{reporter="destination","#,
    r#"destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}]))"#,
    " * 100",
);

/// The 99th percentile of Istio's request duration histogram, in ms;
/// default `max: 500`.
const ISTIO_DURATION: &str = concat!(
    r#"histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination","#,
    r#"destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}]))"#,
    " by (le))",
);

/// Percent of ingress-nginx canary requests that were not 5xx.
const NGINX_SUCCESS_RATE: &str = concat!(
    r#"sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}","#,
    r#"canary!="",status!~"5.*"}[{{ interval }}]))"#,
    r#" / sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}","#,
    r#"canary!=""}[{{ interval }}]))"#,
    " * 100",
);

/// ingress-nginx canary response time in ms: a MEAN (sum / count), not a
/// 99th percentile, exactly as Flagger computes it although its docs say
/// "P99". Write a `query:` with `histogram_quantile` over
/// `nginx_ingress_controller_response_duration_seconds_bucket` for a p99.
const NGINX_DURATION: &str = concat!(
    r#"sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="{{ namespace }}","#,
    r#"ingress="{{ ingress }}",canary!=""}[{{ interval }}]))"#,
    r#" / sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="{{ namespace }}","#,
    r#"ingress="{{ ingress }}",canary!=""}[{{ interval }}]))"#,
    " * 1000",
);

/// Flagger's `kubernetes` (plain HTTP metrics) observer: the pods of the
/// `target` Deployment by name (`target-<hash>-<id>`).
const KUBERNETES_SUCCESS_RATE: &str = concat!(
    r#"sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}","#,
    r#"kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[{{ interval }}]))"#,
    r#" / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}","#,
    r#"kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}]))"#,
    " * 100",
);

/// The 99th percentile of `http_request_duration_seconds`, converted to ms.
const KUBERNETES_DURATION: &str = concat!(
    r#"histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}","#,
    r#"kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}]))"#,
    " by (le)) * 1000",
);

/// The template of `preset` for `provider`, and its default bounds.
fn template(preset: &str, provider: &str) -> Option<(&'static str, Option<f64>, Option<f64>)> {
    let success = (Some(99.0), None);
    let duration = (None, Some(500.0));
    let (query, (min, max)) = match (preset, provider) {
        ("request-success-rate", "istio") => (ISTIO_SUCCESS_RATE, success),
        ("request-success-rate", "nginx") => (NGINX_SUCCESS_RATE, success),
        ("request-success-rate", "kubernetes") => (KUBERNETES_SUCCESS_RATE, success),
        ("request-duration", "istio") => (ISTIO_DURATION, duration),
        ("request-duration", "nginx") => (NGINX_DURATION, duration),
        ("request-duration", "kubernetes") => (KUBERNETES_DURATION, duration),
        _ => return None,
    };
    Some((query, min, max))
}

/// Fills in `preset` (`request-success-rate`, `request-duration`) for
/// `provider` (`istio`, `nginx`, `kubernetes`) with `args` (`namespace`,
/// `target`, `ingress` for nginx, `interval` defaulting to `1m`).
///
/// The error is one sentence naming what is wrong and what would be right:
/// an unknown preset, provider or argument (with the near miss), a missing
/// argument, or a value that cannot go into a PromQL label matcher.
pub fn expand(
    preset: &str,
    provider: &str,
    args: &BTreeMap<String, String>,
) -> Result<Expanded, String> {
    if !names().contains(&preset) {
        return Err(unknown("preset", preset, names()));
    }
    if !providers().contains(&provider) {
        return Err(unknown("provider", provider, providers()));
    }
    for (name, value) in args {
        if !ARGUMENTS.contains(&name.as_str()) {
            return Err(unknown("argument", name, ARGUMENTS));
        }
        check_value(name, value)?;
    }
    let (text, min, max) =
        template(preset, provider).ok_or_else(|| unknown("preset", preset, names()))?;
    let query = render(text, |name| match args.get(name) {
        Some(v) => Ok(v.as_str()),
        None if name == "interval" => Ok(DEFAULT_INTERVAL),
        None => Err(format!(
            "preset {preset} with {provider} needs the argument `{name}`: add it under `args:`"
        )),
    })?;
    Ok(Expanded { query, min, max })
}

/// `unknown provider "istoi": expected one of istio, nginx, kubernetes (did you mean istio?)`.
fn unknown(what: &str, word: &str, valid: &[&str]) -> String {
    let mut message = format!("unknown {what} {word:?}: expected one of {}", valid.join(", "));
    if let Some(near) = vz::error::suggest(word, valid.iter().copied()) {
        message.push_str(&format!(" (did you mean {near}?)"));
    }
    message
}

/// Refuses values that would break out of a label matcher (or the range
/// selector, for `interval`).
fn check_value(name: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("argument `{name}` is empty: give a value"));
    }
    if name == "interval" {
        return check_interval(value);
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '"' | '\\' | '\n' | '\r')) {
        return Err(format!(
            "argument `{name}` is {value:?}, which contains {c:?}: values go into PromQL label matchers \
             and cannot contain `\"`, `\\` or a line break"
        ));
    }
    Ok(())
}

/// A Prometheus duration: `30s`, `1m`, `1h30m`, `500ms`.
fn check_interval(value: &str) -> Result<(), String> {
    let units = ["ms", "s", "m", "h", "d", "w", "y"];
    let mut rest = value;
    let mut ok = !rest.is_empty();
    while ok && !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = &rest[digits..];
        match units.iter().find(|u| after.starts_with(*u)) {
            Some(u) if digits > 0 => rest = &after[u.len()..],
            _ => ok = false,
        }
    }
    if ok && value.chars().any(|c| c.is_ascii_digit() && c != '0') {
        Ok(())
    } else {
        Err(format!(
            "argument `interval` is {value:?}: expected a Prometheus duration such as 30s, 1m, 5m or 1h30m"
        ))
    }
}

/// Replaces every `{{ name }}` in `text` with `value(name)`.
fn render<'a>(
    text: &str,
    value: impl Fn(&str) -> Result<&'a str, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find("{{ ") {
        let Some(len) = rest[start..].find(" }}") else { break };
        out.push_str(&rest[..start]);
        out.push_str(value(&rest[start + 3..start + len])?);
        rest = &rest[start + len + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn shop() -> BTreeMap<String, String> {
        args(&[
            ("namespace", "shop"),
            ("target", "app"),
            ("ingress", "app-ingress"),
            ("interval", "2m"),
        ])
    }

    fn query(preset: &str, provider: &str) -> String {
        expand(preset, provider, &shop()).unwrap().query
    }

    #[test]
    fn istio_success_rate() {
        assert_eq!(
            query("request-success-rate", "istio"),
            r#"sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"app",response_code!~"5.*"}[2m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"app"}[2m])) * 100"#
        );
    }

    #[test]
    fn istio_duration() {
        assert_eq!(
            query("request-duration", "istio"),
            r#"histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="shop",destination_workload=~"app"}[2m])) by (le))"#
        );
    }

    #[test]
    fn nginx_success_rate() {
        assert_eq!(
            query("request-success-rate", "nginx"),
            r#"sum(rate(nginx_ingress_controller_requests{namespace="shop",ingress="app-ingress",canary!="",status!~"5.*"}[2m])) / sum(rate(nginx_ingress_controller_requests{namespace="shop",ingress="app-ingress",canary!=""}[2m])) * 100"#
        );
    }

    #[test]
    fn nginx_duration_is_a_mean() {
        assert_eq!(
            query("request-duration", "nginx"),
            r#"sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="shop",ingress="app-ingress",canary!=""}[2m])) / sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="shop",ingress="app-ingress",canary!=""}[2m])) * 1000"#
        );
    }

    #[test]
    fn kubernetes_success_rate() {
        assert_eq!(
            query("request-success-rate", "kubernetes"),
            r#"sum(rate(http_request_duration_seconds_count{kubernetes_namespace="shop",kubernetes_pod_name=~"app-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[2m])) / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="shop",kubernetes_pod_name=~"app-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[2m])) * 100"#
        );
    }

    #[test]
    fn kubernetes_duration_is_in_milliseconds() {
        assert_eq!(
            query("request-duration", "kubernetes"),
            r#"histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="shop",kubernetes_pod_name=~"app-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[2m])) by (le)) * 1000"#
        );
    }

    #[test]
    fn presets_bring_flagger_default_bounds() {
        let rate = expand("request-success-rate", "istio", &shop()).unwrap();
        assert_eq!((rate.min, rate.max), (Some(99.0), None));
        let duration = expand("request-duration", "nginx", &shop()).unwrap();
        assert_eq!((duration.min, duration.max), (None, Some(500.0)));
    }

    #[test]
    fn interval_defaults_to_one_minute() {
        let q =
            expand("request-duration", "istio", &args(&[("namespace", "shop"), ("target", "app")]))
                .unwrap()
                .query;
        assert!(q.contains("}[1m]))"), "{q}");
        assert!(!q.contains("{{"), "{q}");
    }

    #[test]
    fn a_missing_argument_is_named_with_the_preset() {
        assert_eq!(
            expand("request-success-rate", "istio", &args(&[("namespace", "shop")])).unwrap_err(),
            "preset request-success-rate with istio needs the argument `target`: add it under `args:`"
        );
        assert_eq!(
            expand("request-duration", "nginx", &args(&[("namespace", "shop"), ("target", "app")]))
                .unwrap_err(),
            "preset request-duration with nginx needs the argument `ingress`: add it under `args:`"
        );
    }

    #[test]
    fn unknown_names_list_the_valid_ones_and_the_near_miss() {
        assert_eq!(
            expand("request-sucess-rate", "istio", &shop()).unwrap_err(),
            r#"unknown preset "request-sucess-rate": expected one of request-success-rate, request-duration (did you mean request-success-rate?)"#
        );
        assert_eq!(
            expand("request-duration", "linkerd", &shop()).unwrap_err(),
            r#"unknown provider "linkerd": expected one of istio, nginx, kubernetes"#
        );
        assert_eq!(
            expand("request-duration", "istoi", &shop()).unwrap_err(),
            r#"unknown provider "istoi": expected one of istio, nginx, kubernetes (did you mean istio?)"#
        );
        assert_eq!(
            expand("request-duration", "istio", &args(&[("namespce", "shop")])).unwrap_err(),
            r#"unknown argument "namespce": expected one of namespace, target, ingress, interval (did you mean namespace?)"#
        );
    }

    #[test]
    fn values_that_would_escape_a_label_matcher_are_refused() {
        for bad in [r#"app",x=~".*"#, r"app\", "app\nx", "app\r"] {
            let err = expand(
                "request-success-rate",
                "istio",
                &args(&[("namespace", "shop"), ("target", bad)]),
            )
            .unwrap_err();
            assert!(err.starts_with("argument `target` is "), "{err}");
            assert!(err.ends_with(
                "values go into PromQL label matchers and cannot contain `\"`, `\\` or a line break"
            ));
        }
        assert_eq!(
            expand("request-success-rate", "istio", &args(&[("namespace", ""), ("target", "app")]))
                .unwrap_err(),
            "argument `namespace` is empty: give a value"
        );
    }

    #[test]
    fn intervals_must_be_prometheus_durations() {
        for good in ["30s", "1m", "1h30m", "500ms", "2d", "1w"] {
            let a = args(&[("namespace", "shop"), ("target", "app"), ("interval", good)]);
            assert!(expand("request-duration", "istio", &a).is_ok(), "{good}");
        }
        for bad in ["5 minutes", "1m]) or vector(1", "m", "0s", "10", "1.5m"] {
            let a = args(&[("namespace", "shop"), ("target", "app"), ("interval", bad)]);
            assert_eq!(
                expand("request-duration", "istio", &a).unwrap_err(),
                format!(
                    "argument `interval` is {bad:?}: expected a Prometheus duration such as 30s, 1m, 5m or 1h30m"
                )
            );
        }
    }

    #[test]
    fn every_preset_has_every_provider() {
        for preset in names() {
            for provider in providers() {
                let q = expand(preset, provider, &shop()).unwrap().query;
                assert!(!q.contains("{{") && !q.contains('\n'), "{preset}/{provider}: {q}");
            }
        }
    }
}
