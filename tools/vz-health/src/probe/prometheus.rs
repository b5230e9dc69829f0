//! Prometheus probes: one instant query, its value against the bounds.
//!
//! `GET {url}/api/v1/query?query=…[&time=…]` with the check's headers. The
//! answer is read as the HTTP API defines it: `status: error` is a query
//! error, a `vector` or `scalar` gives values (sent as strings, `"NaN"` and
//! `"+Inf"` included), a `matrix` or `string` cannot be judged. No series, or
//! only NaN (`0/0`: no requests in the window), is "no data" and means what
//! the check's `on-empty` says. Several series need `aggregate:`; Flagger
//! silently takes the last one, this refuses.
//!
//! The requests go through the run's agent for the check's TLS settings
//! ([`Clients::agent_for`]: `insecure`, `ca-file`; no redirects, every HTTP
//! status an answer), the timeout set per request.

use crate::check::{Aggregate, OnEmpty, Prometheus, redact_url};
use crate::probe::http::{self, Clients};
use crate::probe::{Attempt, Retry, Status};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The largest answer read: enough for thousands of series.
const MAX_ANSWER: u64 = 16 << 20;

/// One attempt of a Prometheus check. `now` is the evaluation time (sent as
/// `time=`); without it Prometheus evaluates at its own "now". The latency is
/// the query's round trip.
pub fn probe(
    check: &Prometheus,
    timeout: Duration,
    clients: &Clients,
    now: Option<jiff::Timestamp>,
) -> Attempt {
    let started = Instant::now();
    let url = redact_url(&endpoint(&check.url));
    let agent = clients.agent_for(check.insecure, check.ca_file.as_deref());
    let attempt = match send(agent, check, timeout, now) {
        Ok(answer) => interpret(check, &answer),
        Err(e) => transport_error(&url, &check.url, timeout, e),
    };
    attempt.with_latency(started.elapsed())
}

/// What the server said, before interpretation.
#[derive(Debug)]
struct Answer {
    /// HTTP status.
    status: u16,
    /// `Retry-After`, in seconds, when given as such.
    retry_after: Option<Duration>,
    /// `Location`, for a redirect.
    location: Option<String>,
    /// The body.
    body: Vec<u8>,
    /// The query URL, safe to print.
    url: String,
}

/// The query endpoint of the server at `base`.
fn endpoint(base: &str) -> String {
    format!("{}/api/v1/query", base.trim_end_matches('/'))
}

/// Sends the query and reads the whole answer.
fn send(
    agent: &ureq::Agent,
    check: &Prometheus,
    timeout: Duration,
    now: Option<jiff::Timestamp>,
) -> Result<Answer, ureq::Error> {
    let url = endpoint(&check.url);
    let mut request = agent
        .get(&url)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .header("Accept", "application/json")
        .query("query", &check.query);
    if let Some(t) = now {
        request = request.query("time", t.to_string());
    }
    for (name, value) in &check.headers {
        request = request.header(name.as_str(), value.value.as_str());
    }
    let mut response = request.call()?;
    let header =
        |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let retry_after =
        header("retry-after").and_then(|s| s.trim().parse::<u64>().ok()).map(Duration::from_secs);
    let location = header("location");
    let status = response.status().as_u16();
    let body = response.body_mut().with_config().limit(MAX_ANSWER).read_to_vec()?;
    Ok(Answer { status, retry_after, location, body, url: redact_url(&url) })
}

/// A request that got no (whole) answer; `url` is the query URL (safe to
/// print), `base` the check's.
fn transport_error(url: &str, base: &str, timeout: Duration, e: ureq::Error) -> Attempt {
    if let Some(tls) = rustls_error(&e) {
        // In the words of HTTP checks: a certificate that does not verify is
        // permanent.
        let host = http::host_of(base).unwrap_or_default();
        let attempt = http::tls_error(tls, &host);
        let reason = attempt.reason.unwrap_or_default();
        return Attempt {
            reason: Some(format!("prometheus: cannot query {url}: {reason}")),
            ..attempt
        };
    }
    let (what, permanent) = match &e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            ("connection refused".to_string(), false)
        }
        ureq::Error::Io(io) => (io.to_string(), false),
        ureq::Error::Timeout(_) => {
            (format!("timed out after {}", vz::duration::format(timeout)), false)
        }
        ureq::Error::HostNotFound => ("host not found".to_string(), false),
        ureq::Error::BodyExceedsLimit(_) => (
            format!("the answer is larger than {} MiB: aggregate in the query", MAX_ANSWER >> 20),
            true,
        ),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::BadUri(_) => {
            (e.to_string(), true)
        }
        other => (other.to_string(), false),
    };
    let attempt = Attempt::error(format!("prometheus: cannot query {url}: {what}"));
    if permanent { attempt.permanent() } else { attempt }
}

/// The TLS failure behind `e`, if that is what it is (ureq reports a failed
/// handshake as an I/O error around the rustls error).
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(tls) => Some(tls),
        ureq::Error::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    }
}

/// The HTTP API's envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    status: String,
    #[serde(rename = "errorType", default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

/// `data` of a successful instant query.
#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    /// One sample per series.
    Vector(Vec<Series>),
    /// One sample: `[ts, "1.5"]`.
    Scalar((Value, String)),
    /// Several samples per series: a range query.
    Matrix(IgnoredAny),
    /// A string literal.
    String(IgnoredAny),
}

/// One series of a vector.
#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (Value, String),
}

/// Turns the server's answer into a verdict.
fn interpret(check: &Prometheus, answer: &Answer) -> Attempt {
    let envelope = serde_json::from_slice::<Envelope>(&answer.body);
    match envelope {
        Ok(e) if e.status == "error" => query_error(&e),
        Ok(e) if e.status == "success" && (200..300).contains(&answer.status) => match e.data {
            Some(data) => judge_data(check, data),
            None => not_prometheus(answer, "a success without `data`"),
        },
        _ if !(200..300).contains(&answer.status) => http_error(answer),
        Ok(e) => not_prometheus(answer, &format!("status {:?}", e.status)),
        Err(err) => not_prometheus(answer, &err.to_string()),
    }
}

/// `status: error`: a bad query is permanent, the rest (timeout, canceled,
/// execution, internal, unavailable) may pass on a later try.
fn query_error(e: &Envelope) -> Attempt {
    let kind = e.error_type.as_deref().unwrap_or("error");
    let message = e.error.as_deref().unwrap_or("no message");
    let attempt = Attempt::error(format!("prometheus: {kind}: {message}"));
    if kind == "bad_data" { attempt.permanent() } else { attempt }
}

/// An HTTP error status without an API error body.
fn http_error(answer: &Answer) -> Attempt {
    let code = answer.status;
    let name = ureq::http::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason());
    let mut reason = match name {
        Some(n) => format!("prometheus: HTTP {code} {n} from {}", answer.url),
        None => format!("prometheus: HTTP {code} from {}", answer.url),
    };
    if (300..400).contains(&code)
        && let Some(to) = &answer.location
    {
        reason.push_str(&format!(" (redirected to {}: use that URL)", redact_url(to)));
    }
    if code == 404 {
        reason.push_str(": is the check's URL the Prometheus base URL (without /api/v1)?");
    }
    let attempt = Attempt::error(reason);
    match code {
        408 | 429 | 500..=599 => {
            Attempt { retry: Retry::Transient { after: answer.retry_after }, ..attempt }
        }
        _ => attempt.permanent(),
    }
}

/// A 2xx answer that is not the Prometheus API.
fn not_prometheus(answer: &Answer, detail: &str) -> Attempt {
    Attempt::error(format!(
        "prometheus: the answer from {} is not Prometheus API JSON ({detail}): \
         is the check's URL the Prometheus base URL?",
        answer.url
    ))
    .permanent()
}

/// One value, from the string Prometheus sends (`"1.5"`, `"NaN"`, `"+Inf"`).
fn parse_value(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok()
}

/// Judges the result of a successful query.
fn judge_data(check: &Prometheus, data: Data) -> Attempt {
    let series: Vec<(BTreeMap<String, String>, String)> = match data {
        Data::Vector(v) => v.into_iter().map(|s| (s.metric, s.value.1)).collect(),
        Data::Scalar((_, v)) => vec![(BTreeMap::new(), v)],
        Data::Matrix(_) => {
            return Attempt::error(
                "prometheus: the query returned a range vector (matrix), which has many values per series: \
                 a range query cannot be judged; wrap the `[…]` selector in a function such as rate(…) or \
                 avg_over_time(…) to get one value",
            )
            .permanent();
        }
        Data::String(_) => {
            return Attempt::error("prometheus: the query returned a string, not a number")
                .permanent();
        }
    };
    let mut values = Vec::with_capacity(series.len());
    let mut nan = 0;
    for (labels, text) in series {
        match parse_value(&text) {
            Some(v) if v.is_nan() => nan += 1,
            Some(v) => values.push((labels, v)),
            None => {
                return Attempt::error(format!(
                    "prometheus: the sample value {text:?} is not a number"
                ))
                .permanent();
            }
        }
    }
    if values.is_empty() {
        let why = if nan == 0 {
            "no data: the query returned no series".to_string()
        } else {
            "no data: the query returned NaN (0/0: no requests in the window?)".to_string()
        };
        return on_empty(check.on_empty, why);
    }
    match fold(check.aggregate, &values) {
        Some(value) => bounds(check, value),
        None => several_series(&values),
    }
}

/// What "no data" means for this check.
fn on_empty(rule: OnEmpty, why: String) -> Attempt {
    match rule {
        OnEmpty::Fail => Attempt::fail(why, Some("on-empty: fail".into()), None),
        OnEmpty::Pass => Attempt::pass(None),
        OnEmpty::Inconclusive => Attempt {
            status: Status::Inconclusive,
            reason: Some(why),
            condition: Some("on-empty: inconclusive".into()),
            ..Attempt::pass(None)
        },
    }
}

/// One value from the series, by `aggregate`; none for several series
/// without it.
fn fold(aggregate: Option<Aggregate>, values: &[(BTreeMap<String, String>, f64)]) -> Option<f64> {
    let numbers = values.iter().map(|(_, v)| *v);
    let value = match aggregate {
        _ if values.len() == 1 => values[0].1,
        None => return None,
        Some(Aggregate::Min) => numbers.fold(f64::INFINITY, f64::min),
        Some(Aggregate::Max) => numbers.fold(f64::NEG_INFINITY, f64::max),
        Some(Aggregate::Sum) => numbers.sum(),
        Some(Aggregate::Avg) => numbers.sum::<f64>() / values.len() as f64,
    };
    Some(value)
}

/// The refusal of several series, naming a few.
fn several_series(values: &[(BTreeMap<String, String>, f64)]) -> Attempt {
    let mut shown: Vec<String> = values.iter().map(|(labels, _)| series_name(labels)).collect();
    shown.sort();
    shown.truncate(3);
    if values.len() > 3 {
        shown.push("…".into());
    }
    Attempt::error(format!(
        "prometheus: the query returned {} series ({}), not one value: add `aggregate: min|max|sum|avg` \
         to the check, or aggregate in the query (sum(…), max(…))",
        values.len(),
        shown.join(", ")
    ))
    .permanent()
}

/// `name{label="value",…}` as Prometheus prints a series.
fn series_name(labels: &BTreeMap<String, String>) -> String {
    let name = labels.get("__name__").map(String::as_str).unwrap_or("");
    let pairs: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{name}{{{}}}", pairs.join(","))
}

/// The value against `min` and `max`. The value is first rounded to 12
/// significant digits: `99.49999999999999` (a ratio of two rates) is 99.5,
/// and the same data gives the same report.
fn bounds(check: &Prometheus, value: f64) -> Attempt {
    let value = round(value);
    let observed = Some(number(value));
    if let Some(min) = check.min
        && value < min
    {
        let reason = format!("value {} is below min {}", show(value), show(min));
        return Attempt::fail(reason, Some(format!("min: {}", show(min))), observed);
    }
    if let Some(max) = check.max
        && value > max
    {
        let reason = format!("value {} is above max {}", show(value), show(max));
        return Attempt::fail(reason, Some(format!("max: {}", show(max))), observed);
    }
    Attempt { observed, ..Attempt::pass(None) }
}

/// `value` to 12 significant digits.
fn round(value: f64) -> f64 {
    if value.is_finite() { format!("{value:.11e}").parse().unwrap_or(value) } else { value }
}

/// A value as JSON: a number, or `"+Inf"`/`"-Inf"`, which JSON cannot hold.
fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(show(value)))
}

/// A value as Prometheus writes it: `99.5`, `+Inf`, `-Inf`, `NaN`.
fn show(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::HeaderValue;
    use serde_json::json;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    fn check() -> Prometheus {
        Prometheus {
            url: "http://127.0.0.1:9".into(),
            query: "up".into(),
            preset: None,
            min: Some(99.0),
            max: None,
            on_empty: OnEmpty::Fail,
            aggregate: None,
            headers: vec![],
            insecure: false,
            ca_file: None,
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
            url: "http://prom/api/v1/query".into(),
        }
    }

    fn judge(check: &Prometheus, body: &str) -> Attempt {
        interpret(check, &answer(200, body))
    }

    fn vector(values: &[&str]) -> String {
        let result: Vec<Value> = values
            .iter()
            .enumerate()
            .map(|(i, v)| json!({"metric": {"pod": format!("app-{i}")}, "value": [1.7e9, v]}))
            .collect();
        json!({"status": "success", "data": {"resultType": "vector", "result": result}}).to_string()
    }

    #[test]
    fn one_series_within_bounds_passes_with_the_value() {
        let a = judge(&check(), &vector(&["99.5"]));
        assert_eq!(a.status, Status::Pass);
        assert_eq!(a.observed, Some(json!(99.5)));
        assert_eq!(a.reason, None);
    }

    #[test]
    fn below_min_fails_with_condition_and_value() {
        let a = judge(&check(), &vector(&["97.5"]));
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.reason.as_deref(), Some("value 97.5 is below min 99"));
        assert_eq!(a.condition.as_deref(), Some("min: 99"));
        assert_eq!(a.observed, Some(json!(97.5)));
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn above_max_fails() {
        let c = Prometheus { min: None, max: Some(500.0), ..check() };
        let a = judge(&c, &vector(&["612.25"]));
        assert_eq!(a.reason.as_deref(), Some("value 612.25 is above max 500"));
        assert_eq!(a.condition.as_deref(), Some("max: 500"));
        assert_eq!(a.observed, Some(json!(612.25)));
        let a = judge(&c, &vector(&["+Inf"]));
        assert_eq!(a.reason.as_deref(), Some("value +Inf is above max 500"));
        assert_eq!(a.observed, Some(json!("+Inf")));
    }

    #[test]
    fn values_are_rounded_to_twelve_significant_digits() {
        let a = judge(&Prometheus { min: Some(99.9), ..check() }, &vector(&["99.49999999999999"]));
        assert_eq!(a.reason.as_deref(), Some("value 99.5 is below min 99.9"));
        assert_eq!(a.observed, Some(json!(99.5)));
        let a =
            judge(&Prometheus { min: Some(1.0), ..check() }, &vector(&["0.000123456789012345"]));
        assert_eq!(a.observed, Some(json!(0.000123456789012)));
        let a = judge(&Prometheus { min: Some(1e300), ..check() }, &vector(&["1.5e200"]));
        assert_eq!(
            a.reason.as_deref(),
            Some(format!("value {} is below min {}", 1.5e200, 1e300).as_str())
        );
    }

    #[test]
    fn scalars_are_values_too() {
        let body =
            r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"100"]}}"#;
        let a = judge(&check(), body);
        assert_eq!(a.status, Status::Pass);
        assert_eq!(a.observed, Some(json!(100.0)));
    }

    #[test]
    fn no_series_follows_on_empty() {
        let empty = vector(&[]);
        let a = judge(&check(), &empty);
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.reason.as_deref(), Some("no data: the query returned no series"));
        assert_eq!(a.condition.as_deref(), Some("on-empty: fail"));
        let a = judge(&Prometheus { on_empty: OnEmpty::Pass, ..check() }, &empty);
        assert_eq!(a.status, Status::Pass);
        let a = judge(&Prometheus { on_empty: OnEmpty::Inconclusive, ..check() }, &empty);
        assert_eq!(a.status, Status::Inconclusive);
        assert_eq!(a.reason.as_deref(), Some("no data: the query returned no series"));
        assert_eq!(a.condition.as_deref(), Some("on-empty: inconclusive"));
    }

    #[test]
    fn nan_is_no_data() {
        let a = judge(&check(), &vector(&["NaN"]));
        assert_eq!(a.status, Status::Fail);
        assert_eq!(
            a.reason.as_deref(),
            Some("no data: the query returned NaN (0/0: no requests in the window?)")
        );
        let a = judge(
            &Prometheus { on_empty: OnEmpty::Inconclusive, ..check() },
            &vector(&["NaN", "NaN"]),
        );
        assert_eq!(a.status, Status::Inconclusive);
        // A NaN series among others is left out.
        let a = judge(&check(), &vector(&["NaN", "99.9"]));
        assert_eq!((a.status, a.observed), (Status::Pass, Some(json!(99.9))));
    }

    #[test]
    fn several_series_need_an_aggregate() {
        let a = judge(&check(), &vector(&["99.1", "99.9", "100", "98"]));
        assert_eq!(a.status, Status::Error);
        assert_eq!(a.retry, Retry::Permanent);
        assert_eq!(
            a.reason.as_deref(),
            Some(
                r#"prometheus: the query returned 4 series ({pod="app-0"}, {pod="app-1"}, {pod="app-2"}, …), not one value: add `aggregate: min|max|sum|avg` to the check, or aggregate in the query (sum(…), max(…))"#
            )
        );
    }

    #[test]
    fn aggregates_fold_the_series() {
        let body = vector(&["98", "99.5", "100.5"]);
        let with = |agg| {
            judge(&Prometheus { aggregate: Some(agg), min: None, max: None, ..check() }, &body)
                .observed
        };
        assert_eq!(with(Aggregate::Min), Some(json!(98.0)));
        assert_eq!(with(Aggregate::Max), Some(json!(100.5)));
        assert_eq!(with(Aggregate::Sum), Some(json!(298.0)));
        assert_eq!(with(Aggregate::Avg), Some(json!(99.3333333333)));
        let a = judge(&Prometheus { aggregate: Some(Aggregate::Min), ..check() }, &body);
        assert_eq!(a.reason.as_deref(), Some("value 98 is below min 99"));
    }

    #[test]
    fn range_and_string_results_are_refused() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}}"#;
        let a = judge(&check(), body);
        assert_eq!((a.status, a.retry), (Status::Error, Retry::Permanent));
        assert!(
            a.reason
                .as_deref()
                .unwrap()
                .starts_with("prometheus: the query returned a range vector (matrix)")
        );
        let body = r#"{"status":"success","data":{"resultType":"string","result":[1,"hello"]}}"#;
        let a = judge(&check(), body);
        assert_eq!(
            a.reason.as_deref(),
            Some("prometheus: the query returned a string, not a number")
        );
        assert_eq!(a.retry, Retry::Permanent);
    }

    #[test]
    fn api_errors_are_reported_bad_data_as_permanent() {
        let bad = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""}"#;
        let a = interpret(&check(), &answer(400, bad));
        assert_eq!(a.status, Status::Error);
        assert_eq!(
            a.reason.as_deref(),
            Some(r#"prometheus: bad_data: 1:5: parse error: unexpected ")""#)
        );
        assert_eq!(a.retry, Retry::Permanent);
        let slow = r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#;
        let a = interpret(&check(), &answer(503, slow));
        assert_eq!(
            a.reason.as_deref(),
            Some("prometheus: timeout: query timed out in expression evaluation")
        );
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn http_errors_without_api_json_give_the_status() {
        let a = interpret(
            &check(),
            &Answer { retry_after: Some(Duration::from_secs(3)), ..answer(503, "busy") },
        );
        assert_eq!(
            a.reason.as_deref(),
            Some("prometheus: HTTP 503 Service Unavailable from http://prom/api/v1/query")
        );
        assert_eq!(a.retry, Retry::Transient { after: Some(Duration::from_secs(3)) });
        let a = interpret(&check(), &answer(404, "404 page not found"));
        assert_eq!(
            a.reason.as_deref(),
            Some(
                "prometheus: HTTP 404 Not Found from http://prom/api/v1/query: is the check's URL the Prometheus base URL (without /api/v1)?"
            )
        );
        assert_eq!(a.retry, Retry::Permanent);
        let a = interpret(
            &check(),
            &Answer { location: Some("https://u:p@prom/".into()), ..answer(302, "") },
        );
        assert_eq!(
            a.reason.as_deref(),
            Some(
                "prometheus: HTTP 302 Found from http://prom/api/v1/query (redirected to https://***@prom/: use that URL)"
            )
        );
    }

    #[test]
    fn other_answers_are_not_prometheus() {
        let a = interpret(&check(), &answer(200, "<html>Grafana</html>"));
        assert_eq!(a.status, Status::Error);
        assert_eq!(a.retry, Retry::Permanent);
        assert!(
            a.reason.as_deref().unwrap().starts_with(
                "prometheus: the answer from http://prom/api/v1/query is not Prometheus API JSON ("
            ),
            "{:?}",
            a.reason
        );
        let a = judge(&check(), &vector(&["fast"]));
        assert_eq!(
            a.reason.as_deref(),
            Some(r#"prometheus: the sample value "fast" is not a number"#)
        );
    }

    /// `%XX` escapes decoded (the request line of a query).
    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// A one-shot server: answers `body` and hands back the request head.
    fn serve_once(body: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
            head
        });
        (url, handle)
    }

    #[test]
    fn the_query_time_and_headers_are_sent() {
        let (url, server) = serve_once(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"99.5"]}]}}"#,
        );
        let c = Prometheus {
            url,
            query: r#"sum(rate(x{a="b"}[1m])) * 100"#.into(),
            headers: vec![(
                "Authorization".into(),
                HeaderValue { value: "Bearer s3cret".into(), secret: true },
            )],
            ..check()
        };
        let now: jiff::Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let clients = Clients::new(&[]).unwrap();
        let a = probe(&c, Duration::from_secs(10), &clients, Some(now));
        assert_eq!(a.status, Status::Pass, "{:?}", a.reason);
        assert!(a.latency.is_some());
        let head = server.join().unwrap();
        let first = head.lines().next().unwrap();
        assert_eq!(
            percent_decode(first),
            r#"GET /api/v1/query?query=sum(rate(x{a="b"}[1m])) * 100&time=2026-01-02T03:04:05Z HTTP/1.1"#
        );
        assert!(head.to_ascii_lowercase().contains("authorization: bearer s3cret\r\n"), "{head}");
    }

    #[test]
    fn a_closed_port_is_a_transient_error() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c = Prometheus { url: format!("http://127.0.0.1:{port}"), ..check() };
        let a = probe(&c, Duration::from_secs(10), &Clients::new(&[]).unwrap(), None);
        assert_eq!(a.status, Status::Error);
        assert_eq!(
            a.reason.as_deref(),
            Some(format!("prometheus: cannot query http://127.0.0.1:{port}/api/v1/query: connection refused").as_str())
        );
        assert_eq!(a.retry, Retry::Transient { after: None });
    }
}
