//! vz-health's Prometheus checks against a real Prometheus.
//!
//! One Prometheus for the whole module, started on first use: it scrapes,
//! every second, an exporter this module runs whose Istio counters and
//! latency histogram a background thread keeps increasing (199 of every 200
//! requests succeed: 99.5 %; the 99th percentile latency is 75 ms). It is
//! ready once `rate()` gives data, ~7 s after start. Shapes a Prometheus will
//! not produce on demand (an HTTP 500, a server that records the request)
//! come from the canned servers of `servers.rs`.

use crate::common::{self, vz_health};
use crate::servers::{Behaviour, Reply, Server};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// The success-rate preset's query, expanded for namespace shop, target app.
const SUCCESS_RATE: &str = r#"sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"app",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"app"}[1m])) * 100"#;

/// The longest wait for Prometheus to have data (it needs ~7 s).
const READY_WITHIN: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The exporter: Istio metrics that grow with a background thread's ticks.
// ---------------------------------------------------------------------------

/// The exposition text after `ticks` ticks: per tick 199 requests answered
/// 200 and one 500; their latencies: 50 under 10 ms, 100 in 10–25 ms, 46 in
/// 25–50 ms, 4 in 50–100 ms (so the p99 interpolates to 75 ms).
fn metrics(ticks: u64) -> String {
    let labels = r#"reporter="destination",destination_workload_namespace="shop",destination_workload="app""#;
    let mut out = String::from("# TYPE istio_requests_total counter\n");
    for (code, per_tick) in [("200", 199), ("500", 1)] {
        out.push_str(&format!(
            "istio_requests_total{{{labels},response_code=\"{code}\"}} {}\n",
            per_tick * ticks
        ));
    }
    out.push_str("# TYPE istio_request_duration_milliseconds histogram\n");
    for (le, per_tick) in
        [("10", 50), ("25", 150), ("50", 196), ("100", 200), ("250", 200), ("+Inf", 200)]
    {
        out.push_str(&format!(
            "istio_request_duration_milliseconds_bucket{{{labels},le=\"{le}\"}} {}\n",
            per_tick * ticks
        ));
    }
    out.push_str(&format!(
        "istio_request_duration_milliseconds_sum{{{labels}}} {}\n",
        4000 * ticks
    ));
    out.push_str(&format!(
        "istio_request_duration_milliseconds_count{{{labels}}} {}\n",
        200 * ticks
    ));
    out
}

/// Starts the exporter and its ticking thread.
fn start_exporter() -> Server {
    let ticks = Arc::new(AtomicU64::new(1));
    let ticker = Arc::clone(&ticks);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            ticker.fetch_add(1, Ordering::Relaxed);
        }
    });
    Server::start(Behaviour::custom(move |_, _| {
        let body = metrics(ticks.load(Ordering::Relaxed));
        Reply { body, ..Reply::new(200) }.header("Content-Type", "text/plain; version=0.0.4")
    }))
}

// ---------------------------------------------------------------------------
// Prometheus, once for the module.
// ---------------------------------------------------------------------------

/// The running Prometheus. It dies with the test binary: the shell that
/// started it kills it (and removes its directory) when its standard input,
/// held here, reaches end of file, which happens however this process ends.
struct Prometheus {
    url: String,
    _exporter: Server,
    _shell: Child,
    _lifeline: ChildStdin,
}

static PROMETHEUS: LazyLock<Result<Prometheus, String>> = LazyLock::new(start_prometheus);

/// The URL of the module's Prometheus, once it has data; fails the test
/// when it cannot be had.
fn prometheus() -> &'static str {
    match &*PROMETHEUS {
        Ok(p) => &p.url,
        Err(e) => panic!("{e}"),
    }
}

/// Runs prometheus in the background; fd 3 (our pipe) tells the watcher
/// when to stop it; the main shell reports an early exit in the log. The
/// watcher ignores the signals that reach a whole process group (Ctrl-C,
/// `timeout`), so the directory goes even then.
const LAUNCHER: &str = r#"
exec 3<&0
prometheus "$@" >"$DIR/log" 2>&1 &
p=$!
{
  trap '' HUP INT TERM
  read -r _ <&3
  kill $p 2>/dev/null
  while kill -0 $p 2>/dev/null; do sleep 0.1; done
  rm -rf "$DIR"
} &
wait $p
echo "prometheus exited with status $?" >>"$DIR/log"
"#;

fn start_prometheus() -> Result<Prometheus, String> {
    let found =
        Command::new("prometheus").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        return Err("prometheus is not installed (not on PATH): run `scripts/test-deps.sh` \
                    (or `make test`, which runs it first)"
            .into());
    }
    let exporter = start_exporter();
    let dir = tempfile::Builder::new()
        .prefix("vz-health-prometheus-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?
        .keep();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    \
         static_configs:\n      - targets: ['{}']\n",
        exporter.address()
    );
    std::fs::write(dir.join("prometheus.yml"), config).map_err(|e| format!("config: {e}"))?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut shell = Command::new("sh")
        .args(["-c", LAUNCHER, "sh"])
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg("--storage.tsdb.retention.time=5m")
        .arg(format!("--web.listen-address={address}"))
        .arg("--log.level=warn")
        .env("DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start prometheus: {e}"))?;
    let lifeline = shell.stdin.take().ok_or("no pipe to the prometheus launcher")?;
    let log = || std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    let started = Instant::now();
    loop {
        if let Ok(Some(_)) = shell.try_wait() {
            return Err(format!("prometheus stopped before it had data; its log:\n{}", log()));
        }
        if let Ok((200, body)) =
            get(&address, &format!("/api/v1/query?query={}", encode(SUCCESS_RATE)))
            && has_value(&body)
        {
            break;
        }
        if started.elapsed() > READY_WITHIN {
            return Err(format!(
                "prometheus had no rate() data after {READY_WITHIN:?}; its log:\n{}",
                log()
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(Prometheus {
        url: format!("http://{address}"),
        _exporter: exporter,
        _shell: shell,
        _lifeline: lifeline,
    })
}

/// Whether a query answer holds a number.
fn has_value(body: &str) -> bool {
    let v: Value = serde_json::from_str(body).unwrap_or_default();
    v["data"]["result"][0]["value"][1].as_str().is_some_and(|s| s != "NaN")
}

/// A minimal HTTP/1.0 GET: the status and the body.
fn get(address: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Percent-encodes a query parameter.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Running vz-health.
// ---------------------------------------------------------------------------

/// What a run gave: exit code, the JSON report (Null when stdout is empty),
/// stderr.
struct Run {
    code: i32,
    report: Value,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The result of the check named `name`.
    fn check(&self, name: &str) -> &Value {
        self.report["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["name"] == name))
            .unwrap_or_else(|| {
                panic!("no check {name} in:\n{}\nstderr:\n{}", self.stdout, self.stderr)
            })
    }
}

/// Runs `vz-health -f checks.yaml -o json` with `yaml` as the file.
fn run(yaml: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = common::tree(&[("checks.yaml", yaml)]);
    let mut cmd = vz_health();
    cmd.current_dir(dir.path()).args(["-f", "checks.yaml", "-o", "json"]).args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("vz-health runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    let report = if stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).expect("JSON report")
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        report,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

// ---------------------------------------------------------------------------
// Against the real Prometheus.
// ---------------------------------------------------------------------------

#[test]
fn the_success_rate_preset_passes_at_99_5_percent_with_its_default_min_99() {
    let url = prometheus();
    let r = run(
        &format!(
            "- name: success-rate\n  prometheus: {url}\n  preset: request-success-rate\n  \
             args: {{namespace: shop, target: app}}\n"
        ),
        &[],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let c = r.check("success-rate");
    assert_eq!(c["kind"], "prometheus");
    assert_eq!(c["target"], url);
    assert_eq!(c["status"], "pass");
    assert_eq!(c.get("reason"), None);
}

#[test]
fn a_min_above_the_success_rate_fails_with_the_condition_and_the_value() {
    let url = prometheus();
    let r = run(
        &format!(
            "- name: strict\n  prometheus: {url}\n  preset: request-success-rate\n  \
             args: {{namespace: shop, target: app, interval: 30s}}\n  min: 99.9\n"
        ),
        &[],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.report["status"], "fail");
    let c = r.check("strict");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["reason"], "value 99.5 is below min 99.9");
    assert_eq!(c["condition"], "min: 99.9");
    assert_eq!(c["observed"], json!(99.5));
}

#[test]
fn the_request_duration_preset_reads_the_p99_in_milliseconds() {
    let url = prometheus();
    let r = run(
        &format!(
            "- name: p99\n  prometheus: {url}\n  preset: request-duration\n  args: {{namespace: shop, target: app}}\n\
             - name: p99-tight\n  prometheus: {url}\n  preset: request-duration\n  \
             args: {{namespace: shop, target: app}}\n  max: 50\n"
        ),
        &[],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.check("p99")["status"], "pass");
    let c = r.check("p99-tight");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["reason"], "value 75 is above max 50");
    assert_eq!(c["condition"], "max: 50");
    assert_eq!(c["observed"], json!(75.0));
}

#[test]
fn on_empty_decides_what_no_traffic_means() {
    let url = prometheus();
    let check = |on_empty: &str| {
        format!(
            "- name: idle\n  prometheus: {url}\n  preset: request-success-rate\n  \
             args: {{namespace: nowhere, target: app}}\n  on-empty: {on_empty}\n"
        )
    };

    let r = run(&check("fail"), &[], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let c = r.check("idle");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["reason"], "no data: the query returned no series");
    assert_eq!(c["condition"], "on-empty: fail");

    let r = run(&check("pass"), &[], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.check("idle")["status"], "pass");

    let r = run(&check("inconclusive"), &[], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.report["summary"]["inconclusive"], 1);
    let c = r.check("idle");
    assert_eq!(c["status"], "inconclusive");
    assert_eq!(c["reason"], "no data: the query returned no series");
}

#[test]
fn the_evaluation_time_is_now_when_given() {
    // Long before the exporter existed there is no data.
    let url = prometheus();
    let r = run(
        &format!(
            "- name: then\n  prometheus: {url}\n  preset: request-success-rate\n  \
             args: {{namespace: shop, target: app}}\n"
        ),
        &["--now", "2020-01-01T00:00:00Z"],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.check("then")["reason"], "no data: the query returned no series");
}

#[test]
fn several_series_need_an_aggregate() {
    let url = prometheus();
    let query = r#"sum by (response_code) (rate(istio_requests_total{destination_workload_namespace="shop"}[1m]))"#;
    let r = run(
        &format!(
            "- name: by-code\n  prometheus: {url}\n  query: '{query}'\n  min: 0\n\
             - name: worst-code\n  prometheus: {url}\n  query: '{query}'\n  min: 0\n  aggregate: max\n"
        ),
        &[],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let c = r.check("by-code");
    assert_eq!(c["status"], "error");
    assert_eq!(
        c["reason"],
        r#"prometheus: the query returned 2 series ({response_code="200"}, {response_code="500"}), not one value: add `aggregate: min|max|sum|avg` to the check, or aggregate in the query (sum(…), max(…))"#
    );
    assert_eq!(r.check("worst-code")["status"], "pass");
}

#[test]
fn nan_scalar_range_and_bad_queries() {
    let url = prometheus();
    let r = run(
        &format!(
            "- name: nan\n  prometheus: {url}\n  query: vector(0) / vector(0)\n  min: 1\n  on-empty: inconclusive\n\
             - name: scalar\n  prometheus: {url}\n  query: '99.5'\n  min: 99\n\
             - name: range\n  prometheus: {url}\n  query: 'istio_requests_total[1m]'\n  min: 0\n\
             - name: typo\n  prometheus: {url}\n  query: 'sum(rate(istio_requests_total[1m])'\n  min: 0\n"
        ),
        &[],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let nan = r.check("nan");
    assert_eq!(nan["status"], "inconclusive");
    assert_eq!(nan["reason"], "no data: the query returned NaN (0/0: no requests in the window?)");
    assert_eq!(r.check("scalar")["status"], "pass");
    let range = r.check("range");
    assert_eq!(range["status"], "error");
    assert_eq!(
        range["reason"],
        "prometheus: the query returned a range vector (matrix), which has many values per series: a range query \
         cannot be judged; wrap the `[…]` selector in a function such as rate(…) or avg_over_time(…) to get one value"
    );
    let typo = r.check("typo");
    assert_eq!(typo["status"], "error");
    let reason = typo["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("prometheus: bad_data: "), "{reason}");
    assert!(reason.contains("parse error"), "{reason}");
}

// ---------------------------------------------------------------------------
// Against canned answers (no Prometheus needed).
// ---------------------------------------------------------------------------

#[test]
fn a_server_error_is_an_error_with_its_status() {
    let server = Server::start(Behaviour::Fixed(Reply::text(500, "upstream went away\n")));
    let url = server.url("");
    let r = run(&format!("- name: broken\n  prometheus: {url}\n  query: up\n  min: 1\n"), &[], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let c = r.check("broken");
    assert_eq!(c["status"], "error");
    assert_eq!(
        c["reason"],
        format!(
            "prometheus: HTTP 500 Internal Server Error from http://{}/api/v1/query",
            server.address()
        )
    );
}

#[test]
fn an_api_error_is_reported_as_prometheus_says_it() {
    let body = r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}"#;
    let server = Server::start(Behaviour::Fixed(Reply::json(422, body)));
    let url = server.url("");
    let r = run(&format!("- name: heavy\n  prometheus: {url}\n  query: up\n  min: 1\n"), &[], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.check("heavy")["reason"],
        "prometheus: execution: query processing would load too many samples into memory"
    );
}

#[test]
fn the_query_time_and_secret_headers_are_sent_and_the_secret_never_printed() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1767322000,"97.25"]}]}}"#;
    let server = Server::start(Behaviour::Fixed(Reply::json(200, body)));
    let url = server.url("");
    let r = run(
        &format!(
            "- name: hosted\n  prometheus: {url}\n  query: up\n  min: 99\n  \
             headers: {{Authorization: \"Bearer ${{PROM_TOKEN}}\"}}\n"
        ),
        &["--now", "2026-01-02T03:04:05Z"],
        &[("PROM_TOKEN", "tok-8f3e")],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let c = r.check("hosted");
    assert_eq!(c["reason"], "value 97.25 is below min 99");
    assert_eq!(c["observed"], json!(97.25));
    assert!(!r.stdout.contains("tok-8f3e") && !r.stderr.contains("tok-8f3e"));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api/v1/query?query=up&time=2026-01-02T03%3A04%3A05Z");
    assert_eq!(requests[0].header("authorization"), Some("Bearer tok-8f3e"));
}

#[test]
fn a_preset_without_its_arguments_is_an_input_error() {
    let r = run(
        "- name: rate\n  prometheus: http://127.0.0.1:9\n  preset: request-success-rate\n  args: {namespace: shop}\n",
        &[],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.starts_with("vz-health: error: checks.yaml:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("preset request-success-rate with istio needs the argument `target`: add it under `args:`"),
        "{}",
        r.stderr
    );
}

/// A Prometheus answer of one series with the value 99.5.
const ONE_SERIES: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1767322000,"99.5"]}]}}"#;

#[test]
fn https_with_a_ca_file_or_insecure_passes_and_insecure_is_reported() {
    let server = Server::https(Behaviour::Fixed(Reply::json(200, ONE_SERIES)));
    let url = server.url("");
    let r = run(
        &format!(
            "- name: trusted\n  prometheus: {url}\n  query: up\n  min: 99\n  ca-file: {}\n\
             - name: unverified\n  prometheus: {url}\n  query: up\n  min: 99\n  insecure: true\n",
            server.ca_file().display()
        ),
        &[],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let trusted = r.check("trusted");
    assert_eq!((&trusted["status"], trusted.get("insecure")), (&json!("pass"), None));
    let unverified = r.check("unverified");
    assert_eq!((&unverified["status"], &unverified["insecure"]), (&json!("pass"), &json!(true)));
    assert_eq!(server.hits(), 2);
}

#[test]
fn https_with_an_untrusted_certificate_is_a_permanent_error() {
    let server = Server::https(Behaviour::Fixed(Reply::json(200, ONE_SERIES)));
    let url = server.url("");
    // Under --wait a transient error would be tried again.
    let r = run(
        &format!("- name: untrusted\n  prometheus: {url}\n  query: up\n  min: 99\n"),
        &["--wait", "30s"],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let c = r.check("untrusted");
    assert_eq!(
        (&c["status"], &c["attempts"], &c["reason"]),
        (
            &json!("error"),
            &json!(1),
            &json!(format!(
                "prometheus: cannot query https://{}/api/v1/query: TLS: certificate is not trusted \
                 (self-signed?); use ca-file or insecure: true",
                server.address()
            ))
        )
    );
    assert_eq!(server.hits(), 0, "no query is sent over an untrusted connection");
}

#[test]
fn a_bad_ca_file_or_ca_file_with_insecure_is_an_input_error() {
    let r = run(
        "- name: q\n  prometheus: https://127.0.0.1:9\n  query: up\n  min: 1\n  ca-file: missing.pem\n",
        &[],
        &[],
    );
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    let prefix = "vz-health: error: checks.yaml:1:3: ca-file: cannot read ";
    assert!(r.stderr.starts_with(prefix), "{}", r.stderr);
    assert!(r.stderr.ends_with("missing.pem: no such file or directory\n"), "{}", r.stderr);

    let r = run(
        "- name: q\n  prometheus: https://127.0.0.1:9\n  query: up\n  min: 1\n  \
         insecure: true\n  ca-file: ca.pem\n",
        &[],
        &[],
    );
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert_eq!(
        r.stderr,
        "vz-health: error: checks.yaml:6:3: [0].ca-file: `ca-file` and `insecure: true` contradict \
         each other: pick one\n"
    );
}
