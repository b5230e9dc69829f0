//! Judging an HTTP answer against what a check expects.
//!
//! The parts of [`Expect`] are checked in a fixed order and the first that
//! does not hold decides the attempt: the status, `max-latency`,
//! `body-contains`, `body-matches`, `json`, then the conditions. The body is
//! parsed as JSON at most once, and only when a `json` field or a condition
//! needs it.

use crate::check::Expect;
use crate::condition::{self, Observed};
use crate::probe::http::Response;
use crate::probe::{Attempt, Retry};
use serde_json::Value;
use std::cell::OnceCell;

/// The verdict on `response`, with certificate expiry measured from now.
pub fn judge(expect: &Expect, response: &Response) -> Attempt {
    judge_at(expect, response, jiff::Timestamp::now())
}

/// The verdict on `response`, with certificate expiry measured from `now`.
/// Every attempt carries the response's latency.
pub fn judge_at(expect: &Expect, response: &Response, now: jiff::Timestamp) -> Attempt {
    let body = Body::new(&response.body);
    let failure = status(expect, response)
        .or_else(|| latency(expect, response))
        .or_else(|| contains(expect, &body))
        .or_else(|| matches(expect, &body))
        .or_else(|| json_fields(expect, &body))
        .or_else(|| conditions(expect, response, &body, now));
    match failure {
        Some(mut attempt) => {
            if let Retry::Transient { after } = &mut attempt.retry {
                *after = response.retry_after;
            }
            attempt.with_latency(response.latency)
        }
        None => Attempt::pass(Some(response.latency)),
    }
}

/// The body, parsed as JSON on first use.
struct Body<'a> {
    text: &'a str,
    json: OnceCell<Result<Value, String>>,
}

impl<'a> Body<'a> {
    fn new(text: &'a str) -> Self {
        Body { text, json: OnceCell::new() }
    }

    fn json(&self) -> Result<&Value, &str> {
        self.json
            .get_or_init(|| serde_json::from_str(self.text).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }

    fn excerpt(&self) -> Value {
        Value::String(condition::excerpt(self.text))
    }
}

/// A failure: `condition` did not hold, `observed` was seen.
fn fail(reason: String, condition: String, observed: Value) -> Attempt {
    Attempt::fail(reason, Some(condition), Some(observed))
}

fn status(expect: &Expect, response: &Response) -> Option<Attempt> {
    let code = response.status;
    if expect.status.contains(code) {
        return None;
    }
    let set = &expect.status;
    let attempt =
        fail(format!("status {code} is not in {set}"), format!("status: {set}"), code.into());
    // Retrying cannot change a redirect that is not followed or a client
    // error other than 408 and 429 (curl's transient set: 408, 429, 5xx).
    let final_answer =
        (300..400).contains(&code) || (400..500).contains(&code) && code != 408 && code != 429;
    Some(if final_answer { attempt.permanent() } else { attempt })
}

fn latency(expect: &Expect, response: &Response) -> Option<Attempt> {
    let max = expect.max_latency?;
    if response.latency <= max {
        return None;
    }
    let ms = (response.latency.as_secs_f64() * 10_000.0).round() / 10.0;
    let max = vz::duration::format(max);
    Some(fail(format!("latency {ms}ms is over {max}"), format!("max-latency: {max}"), ms.into()))
}

fn contains(expect: &Expect, body: &Body) -> Option<Attempt> {
    let missing =
        expect.body_contains.iter().find(|needle| !body.text.contains(needle.as_str()))?;
    let quoted = Value::from(missing.as_str());
    Some(fail(
        format!("body does not contain {quoted}"),
        format!("body-contains: {quoted}"),
        body.excerpt(),
    ))
}

fn matches(expect: &Expect, body: &Body) -> Option<Attempt> {
    let re = expect.body_matches.iter().find(|re| !re.is_match(body.text))?;
    let re = re.as_str();
    Some(fail(
        format!("body does not match /{re}/"),
        format!("body-matches: /{re}/"),
        body.excerpt(),
    ))
}

fn json_fields(expect: &Expect, body: &Body) -> Option<Attempt> {
    for (path, expected) in &expect.json {
        let written = format!("json: {path} == {expected}");
        let root = match body.json() {
            Ok(root) => root,
            Err(e) => return Some(fail(format!("body is not JSON: {e}"), written, body.excerpt())),
        };
        // The spec reader checks paths; a bad one here cannot pass later.
        let segments = match vz::path::parse(path) {
            Ok(segments) => segments,
            Err(e) => {
                return Some(fail(format!("bad json path: {e}"), written, Value::Null).permanent());
            }
        };
        match condition::lookup(root, &segments) {
            None => return Some(fail(format!("`{path}` is missing"), written, Value::Null)),
            Some(actual) if !same(actual, expected) => {
                let actual = condition::clip(actual);
                return Some(fail(
                    format!("`{path}` is {actual}, expected {expected}"),
                    written,
                    actual,
                ));
            }
            Some(_) => {}
        }
    }
    None
}

/// JSON equality where numbers compare by value (`1 == 1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

fn conditions(
    expect: &Expect,
    response: &Response,
    body: &Body,
    now: jiff::Timestamp,
) -> Option<Attempt> {
    if expect.conditions.is_empty() {
        return None;
    }
    let json =
        if expect.conditions.iter().any(|c| c.uses_json()) { body.json().ok() } else { None };
    let observed = Observed {
        status: Some(response.status),
        body: Some(body.text),
        json,
        latency: Some(response.latency),
        certificate_expires_in: response.certificate_expires.map(|t| t.duration_since(now)),
        ip: response.ip,
        connected: true,
    };
    expect.conditions.iter().find_map(|c| {
        let verdict = c.eval(&observed);
        (!verdict.holds).then(|| {
            let reason = format!("`{}` does not hold: observed {}", c.text, verdict.observed);
            fail(reason, c.text.clone(), verdict.observed)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::StatusSet;
    use crate::condition::parse;
    use regex::Regex;
    use serde_json::json;
    use std::time::Duration;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            latency: Duration::from_millis(120),
            ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
            certificate_expires: None,
            retry_after: None,
        }
    }

    fn expect_conditions(conditions: &[&str]) -> Expect {
        Expect {
            conditions: conditions.iter().map(|c| parse(c).unwrap()).collect(),
            ..Expect::default()
        }
    }

    /// The failure's (reason, condition, observed).
    fn failure(a: &Attempt) -> (&str, &str, &Value) {
        assert_eq!(a.status, Status::Fail, "{a:?}");
        assert_eq!(
            a.latency,
            Some(Duration::from_millis(120)),
            "every attempt carries the latency"
        );
        (
            a.reason.as_deref().unwrap(),
            a.condition.as_deref().unwrap(),
            a.observed.as_ref().unwrap(),
        )
    }

    use crate::probe::Status;

    #[test]
    fn a_response_that_meets_everything_passes() {
        let expect = Expect {
            status: StatusSet(vec![(200, 200), (404, 404)]),
            body_contains: vec!["UP".into()],
            body_matches: vec![Regex::new(r#""status":\s*"UP""#).unwrap()],
            json: vec![("status".into(), json!("UP")), ("checks[0].ok".into(), json!(true))],
            max_latency: Some(Duration::from_millis(120)),
            conditions: vec![parse("[BODY].status == UP && [RESPONSE_TIME] <= 120").unwrap()],
        };
        let body = r#"{"status": "UP", "checks": [{"ok": true}]}"#;
        let a = judge(&expect, &response(200, body));
        assert_eq!(a.status, Status::Pass);
        assert_eq!(a.latency, Some(Duration::from_millis(120)));
        assert_eq!((a.reason, a.condition, a.observed), (None, None, None));
        assert_eq!(judge(&expect, &response(404, body)).status, Status::Pass);
    }

    #[test]
    fn a_status_outside_the_set_fails_first() {
        let expect = Expect { body_contains: vec!["never".into()], ..Expect::default() };
        let a = judge(&expect, &response(503, ""));
        assert_eq!(failure(&a), ("status 503 is not in 2xx", "status: 2xx", &json!(503)));
        assert_eq!(a.retry, Retry::Transient { after: None });

        let set = Expect { status: StatusSet(vec![(200, 200), (301, 302)]), ..Expect::default() };
        let a = judge(&set, &response(404, ""));
        assert_eq!(
            failure(&a),
            ("status 404 is not in 200, 301-302", "status: 200, 301-302", &json!(404))
        );
    }

    #[test]
    fn redirects_and_client_errors_are_permanent_except_408_and_429() {
        let expect = Expect::default();
        let mut r = response(503, "");
        r.retry_after = Some(Duration::from_secs(30));
        assert_eq!(
            judge(&expect, &r).retry,
            Retry::Transient { after: Some(Duration::from_secs(30)) }
        );
        for code in [301, 304, 308, 400, 401, 403, 404, 410, 422, 499] {
            assert_eq!(judge(&expect, &response(code, "")).retry, Retry::Permanent, "{code}");
        }
        for code in [408, 429, 500, 502, 504, 101] {
            let mut r = response(code, "");
            r.retry_after = Some(Duration::from_secs(2));
            assert_eq!(
                judge(&expect, &r).retry,
                Retry::Transient { after: Some(Duration::from_secs(2)) },
                "{code}"
            );
        }
    }

    #[test]
    fn a_slow_response_fails_max_latency() {
        let expect = Expect { max_latency: Some(Duration::from_millis(100)), ..Expect::default() };
        let a = judge(&expect, &response(200, ""));
        assert_eq!(
            failure(&a),
            ("latency 120ms is over 100ms", "max-latency: 100ms", &json!(120.0))
        );
        let mut r = response(200, "");
        r.latency = Duration::from_micros(412_345);
        let expect = Expect { max_latency: Some(Duration::from_millis(300)), ..Expect::default() };
        let a = judge(&expect, &r);
        assert_eq!(a.reason.as_deref(), Some("latency 412.3ms is over 300ms"));
        assert_eq!(a.observed, Some(json!(412.3)));
        assert_eq!(a.latency, Some(Duration::from_micros(412_345)));
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn body_contains_and_matches() {
        let expect = Expect {
            body_contains: vec!["ok".into(), "ready \"now\"".into()],
            ..Expect::default()
        };
        let a = judge(&expect, &response(200, "ok"));
        assert_eq!(
            failure(&a),
            (
                r#"body does not contain "ready \"now\"""#,
                r#"body-contains: "ready \"now\"""#,
                &json!("ok")
            )
        );
        let long = format!("{}ok", "é".repeat(300));
        let a = judge(
            &Expect { body_contains: vec!["missing".into()], ..Expect::default() },
            &response(200, &long),
        );
        assert_eq!(a.observed, Some(json!("é".repeat(200))));

        let expect = Expect {
            body_matches: vec![Regex::new(r#""status":\s*"UP""#).unwrap()],
            ..Expect::default()
        };
        let a = judge(&expect, &response(200, r#"{"status": "DOWN"}"#));
        assert_eq!(
            failure(&a),
            (
                r#"body does not match /"status":\s*"UP"/"#,
                r#"body-matches: /"status":\s*"UP"/"#,
                &json!(r#"{"status": "DOWN"}"#)
            )
        );
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn json_fields() {
        let fields = |pairs: &[(&str, Value)]| Expect {
            json: pairs.iter().map(|(p, v)| (p.to_string(), v.clone())).collect(),
            ..Expect::default()
        };
        let body = r#"{"status": "DOWN", "n": 1.0, "data": [{"o": {"x": 2}}]}"#;

        let a = judge(&fields(&[("status", json!("UP"))]), &response(200, "<html>"));
        assert_eq!(
            failure(&a),
            (
                "body is not JSON: expected value at line 1 column 1",
                r#"json: status == "UP""#,
                &json!("<html>")
            )
        );

        let a = judge(&fields(&[("data[0].status", json!("UP"))]), &response(200, body));
        assert_eq!(
            failure(&a),
            ("`data[0].status` is missing", r#"json: data[0].status == "UP""#, &json!(null))
        );

        let a = judge(&fields(&[("status", json!("UP"))]), &response(200, body));
        assert_eq!(
            failure(&a),
            (r#"`status` is "DOWN", expected "UP""#, r#"json: status == "UP""#, &json!("DOWN"))
        );

        let a = judge(
            &fields(&[("n", json!(1)), ("data[0].o", json!({"x": 2.0})), ("data", json!([]))]),
            &response(200, body),
        );
        assert_eq!(
            failure(&a),
            (
                r#"`data` is [{"o":{"x":2}}], expected []"#,
                "json: data == []",
                &json!([{"o": {"x": 2}}])
            )
        );

        let a = judge(&fields(&[("n", json!(1)), ("data[0].o.x", json!(2))]), &response(200, body));
        assert_eq!(a.status, Status::Pass);
    }

    #[test]
    fn conditions_fail_with_their_text_and_observed_value() {
        let body = r#"{"status": "DOWN"}"#;
        let mut r = response(200, body);
        r.retry_after = Some(Duration::from_secs(5));
        let a = judge(&expect_conditions(&["[STATUS] == 200", "[BODY].status == UP"]), &r);
        assert_eq!(
            failure(&a),
            (
                r#"`[BODY].status == UP` does not hold: observed "DOWN""#,
                "[BODY].status == UP",
                &json!("DOWN")
            )
        );
        assert_eq!(a.retry, Retry::Transient { after: Some(Duration::from_secs(5)) });

        let a = judge(&expect_conditions(&["[BODY].x.y == 1"]), &response(200, "plain"));
        assert_eq!(
            failure(&a),
            (
                r#"`[BODY].x.y == 1` does not hold: observed "body is not JSON""#,
                "[BODY].x.y == 1",
                &json!("body is not JSON")
            )
        );

        let a = judge(
            &expect_conditions(&["[IP] == 10.0.0.1 || [RESPONSE_TIME] < 100"]),
            &response(200, ""),
        );
        assert_eq!(failure(&a).2, &json!(["127.0.0.1", 120.0]));

        let ok = expect_conditions(&[
            "[CONNECTED] == true",
            "[IP] == pat(127.*)",
            "[BODY] == pat(*DOWN*)",
        ]);
        assert_eq!(judge(&ok, &response(200, body)).status, Status::Pass);
    }

    #[test]
    fn certificate_expiry_is_measured_from_now() {
        let now: jiff::Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let mut r = response(200, "");
        r.certificate_expires = Some("2026-03-02T00:00:00Z".parse().unwrap());
        let a = judge_at(&expect_conditions(&["[CERTIFICATE_EXPIRATION] > 48h"]), &r, now);
        assert_eq!(
            failure(&a),
            (
                "`[CERTIFICATE_EXPIRATION] > 48h` does not hold: observed \"1d\"",
                "[CERTIFICATE_EXPIRATION] > 48h",
                &json!("1d")
            )
        );
        assert_eq!(
            judge_at(&expect_conditions(&["[CERTIFICATE_EXPIRATION] > 12h"]), &r, now).status,
            Status::Pass
        );

        let later: jiff::Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
        let a = judge_at(&expect_conditions(&["[CERTIFICATE_EXPIRATION] > 0"]), &r, later);
        assert_eq!(a.observed, Some(json!("-2h")));

        let plain = response(200, "");
        let a = judge_at(&expect_conditions(&["[CERTIFICATE_EXPIRATION] > 48h"]), &plain, now);
        assert_eq!(a.observed, Some(json!(null)));
    }
}
