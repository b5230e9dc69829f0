//! The HTTP and TCP probes through the real binary, against real servers on
//! 127.0.0.1 (see `servers`).

use crate::common::{tree, vz_health};
use crate::servers::{Behaviour, HEALTHY_BODY, Listener, Server, closed_port};
use serde_json::{Value, json};
use std::time::Duration;

/// What a run gave: exit code, stdout, stderr.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Stdout as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }

    /// The result of check `i`.
    fn check(&self, i: usize) -> Value {
        self.json()["checks"][i].clone()
    }
}

/// Runs vz-health with `args`, JSON out.
fn run(args: &[&str]) -> Run {
    let out = vz_health().args(args).args(["-o", "json"]).output().expect("runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs vz-health on `checks.yaml` holding `yaml`, in a directory of its
/// own, with `extra` arguments (JSON out unless they say `-o`) and `env`.
fn run_yaml(yaml: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tree(&[("checks.yaml", yaml)]);
    let mut cmd = vz_health();
    cmd.current_dir(dir.path()).args(["-f", "checks.yaml"]).args(extra);
    if !extra.contains(&"-o") {
        cmd.args(["-o", "json"]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The parts of a result that do not depend on time: status, attempts,
/// reason, condition, observed, insecure.
fn verdict(check: &Value) -> Value {
    let mut v = json!({ "status": check["status"], "attempts": check["attempts"] });
    for key in ["reason", "condition", "observed", "insecure"] {
        if let Some(x) = check.get(key) {
            v[key] = x.clone();
        }
    }
    v
}

#[test]
fn a_healthy_server_passes() {
    let server = Server::start(Behaviour::Healthy);
    let url = server.url("/health");
    let r = run(&[&url]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let out = r.json();
    assert_eq!(out["status"], "pass");
    assert_eq!(
        out["summary"],
        json!({"total": 1, "pass": 1, "fail": 0, "inconclusive": 0, "error": 0})
    );
    let check = r.check(0);
    assert_eq!(
        (&check["name"], &check["kind"], &check["target"]),
        (&json!(url), &json!("http"), &json!(url))
    );
    assert_eq!(verdict(&check), json!({"status": "pass", "attempts": 1}));
    assert!(check["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{check}");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("GET", "/health"));
    assert_eq!(
        requests[0].header("user-agent"),
        Some(concat!("vz-health/", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn a_server_error_fails_naming_the_status() {
    let server = Server::start(Behaviour::Status(500));
    let r = run(&[&server.url("/health")]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(r.json()["status"], "fail");
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "fail", "attempts": 1, "reason": "status 500 is not in 2xx",
               "condition": "status: 2xx", "observed": 500})
    );
}

#[test]
fn an_unreachable_port_is_an_error() {
    let url = format!("http://127.0.0.1:{}/health", closed_port());
    let r = run(&[&url]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(r.json()["summary"]["error"], 1);
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "error", "attempts": 1, "reason": "connection refused"})
    );
}

#[test]
fn a_slow_server_times_out() {
    let server = Server::start(Behaviour::Slow(Duration::from_secs(5)));
    let yaml = format!("- http: {}\n  timeout: 200ms\n", server.url("/slow"));
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "error", "attempts": 1, "reason": "timed out after 200ms"})
    );
}

#[test]
fn an_untrusted_certificate_is_a_permanent_error() {
    let server = Server::https(Behaviour::Healthy);
    // Under --wait a transient error would be tried again; a certificate
    // that does not verify ends the wait at the first attempt.
    let r = run(&[&server.url("/health"), "--wait", "30s"]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "error", "attempts": 1,
               "reason": "TLS: certificate is not trusted (self-signed?); use ca-file or insecure: true"})
    );
    assert_eq!(server.hits(), 0, "no request is sent over an untrusted connection");
}

#[test]
fn a_ca_file_makes_the_certificate_trusted() {
    let server = Server::https(Behaviour::Healthy);
    let yaml =
        format!("- http: {}\n  ca-file: {}\n", server.url("/health"), server.ca_file().display());
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(verdict(&r.check(0)), json!({"status": "pass", "attempts": 1}));
    assert_eq!(server.hits(), 1);
}

#[test]
fn the_certificate_is_checked_against_the_host_name() {
    let server = Server::builder(Behaviour::Healthy).names(&["localhost"]).start();
    let yaml =
        format!("- http: {}\n  ca-file: {}\n", server.url("/health"), server.ca_file().display());
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "error", "attempts": 1,
               "reason": "TLS: certificate is not valid for 127.0.0.1 (it names localhost)"})
    );
    // The name it does carry works.
    let url = server.url("/health").replace("127.0.0.1", "localhost");
    let r =
        run_yaml(&format!("- http: {url}\n  ca-file: {}\n", server.ca_file().display()), &[], &[]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);
}

#[test]
fn insecure_skips_verification_and_says_so() {
    let server = Server::https(Behaviour::Healthy);
    let yaml = format!("- http: {}\n  insecure: true\n", server.url("/health"));
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(verdict(&r.check(0)), json!({"status": "pass", "attempts": 1, "insecure": true}));
}

#[test]
fn an_expired_certificate_is_refused_with_its_date() {
    let server = Server::builder(Behaviour::Healthy).not_after(2020, 1, 1).start();
    let yaml =
        format!("- http: {}\n  ca-file: {}\n", server.url("/health"), server.ca_file().display());
    let r = run_yaml(&yaml, &["--wait", "30s"], &[]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "error", "attempts": 1, "reason": "TLS: certificate expired on 2020-01-01T00:00:00Z"})
    );
}

#[test]
fn certificate_expiration_conditions_read_the_servers_certificate() {
    let server = Server::builder(Behaviour::Healthy).not_after(2099, 1, 1).start();
    let yaml = format!(
        "- http: {}\n  ca-file: {}\n  conditions: ['[CERTIFICATE_EXPIRATION] > 720h']\n",
        server.url("/health"),
        server.ca_file().display()
    );
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);

    // An expired certificate, accepted with insecure: true, fails the
    // condition with a negative time left.
    let expired = Server::builder(Behaviour::Healthy).not_after(2020, 1, 1).start();
    let yaml = format!(
        "- http: {}\n  insecure: true\n  conditions: ['[CERTIFICATE_EXPIRATION] > 48h']\n",
        expired.url("/health")
    );
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let check = r.check(0);
    assert_eq!(
        (&check["status"], &check["condition"]),
        (&json!("fail"), &json!("[CERTIFICATE_EXPIRATION] > 48h"))
    );
    assert!(check["observed"].as_str().is_some_and(|o| o.starts_with('-')), "{check}");
}

#[test]
fn a_missing_ca_file_is_an_input_error() {
    let r = run_yaml("- http: https://127.0.0.1:1/\n  ca-file: missing.pem\n", &[], &[]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    let prefix = "vz-health: error: checks.yaml:1:3: ca-file: cannot read ";
    assert!(r.stderr.starts_with(prefix), "{}", r.stderr);
    assert!(r.stderr.ends_with("missing.pem: no such file or directory\n"), "{}", r.stderr);
}

#[test]
fn a_ca_file_without_certificates_is_an_input_error() {
    let dir = tree(&[("ca.pem", "not a certificate\n")]);
    let ca = dir.path().join("ca.pem");
    let yaml = format!("- http: https://127.0.0.1:1/\n  ca-file: {}\n", ca.display());
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "vz-health: error: checks.yaml:1:3: ca-file: {} holds no certificate: \
             expected PEM `-----BEGIN CERTIFICATE-----` blocks\n",
            ca.display()
        )
    );
}

#[test]
fn redirects_are_the_answer_unless_followed() {
    let server = Server::start(Behaviour::Redirect("/health"));
    let url = server.url("/old");
    let r = run(&[&url]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        verdict(&r.check(0)),
        json!({"status": "fail", "attempts": 1, "reason": "status 301 is not in 2xx",
               "condition": "status: 2xx", "observed": 301})
    );
    assert_eq!(server.hits(), 1);

    let r = run_yaml(&format!("- http: {url}\n  redirects: follow\n"), &[], &[]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/old", "/old", "/health"]);
}

#[test]
fn method_headers_and_body_are_sent_and_secret_values_never_shown() {
    let secret = "s3cr3t-token-value";
    let server = Server::start(Behaviour::EchoHeaders);
    let yaml = format!(
        "- name: api\n  http: {}\n  method: POST\n  headers: {{Authorization: 'Bearer ${{TOKEN}}', X-Probe: hello}}\n  \
         body: '{{\"probe\": true}}'\n  json: {{x-probe: hello}}\n",
        server.url("/echo")
    );
    let r = run_yaml(&yaml, &[], &[("TOKEN", secret)]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("authorization"), Some("Bearer s3cr3t-token-value"));
    assert_eq!(seen.header("x-probe"), Some("hello"));
    assert_eq!(seen.body, r#"{"probe": true}"#);
    assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret), "{}\n{}", r.stdout, r.stderr);

    // A failing check, in every format, shows no secret either.
    let failing = format!("{yaml}  status: 204\n");
    for format in ["json", "table", "junit"] {
        let r = run_yaml(&failing, &["-o", format], &[("TOKEN", secret)]);
        assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
        assert!(r.stdout.contains("status 200 is not in 204"), "{format}: {}", r.stdout);
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "{format}: {}\n{}",
            r.stdout,
            r.stderr
        );
    }
}

#[test]
fn the_body_is_judged() {
    let server = Server::start(Behaviour::Healthy);
    let yaml = format!(
        "- http: {}\n  body-contains: '{HEALTHY_BODY}'\n  json: {{status: UP}}\n",
        server.url("/health")
    );
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(0), "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let yaml = format!("- http: {}\n  json: {{status: DOWN}}\n", server.url("/health"));
    let r = run_yaml(&yaml, &[], &[]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert_eq!(
        (&r.check(0)["status"], &r.check(0)["condition"], &r.check(0)["observed"]),
        (&json!("fail"), &json!("json: status == \"DOWN\""), &json!("UP"))
    );
}

#[test]
fn many_checks_share_the_clients() {
    let server = Server::start(Behaviour::Healthy);
    let urls: Vec<String> = (0..150).map(|i| server.url(&format!("/health?i={i}"))).collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(r.json()["summary"]["pass"], 150);
    assert_eq!(server.hits(), 150);
}

#[test]
fn tcp_checks_connect() {
    let listener = Listener::start();
    let open = format!("tcp://{}", listener.address());
    let closed = format!("tcp://127.0.0.1:{}", closed_port());
    let r = run(&[&open, &closed]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let out = r.json();
    assert_eq!(
        out["summary"],
        json!({"total": 2, "pass": 1, "fail": 0, "inconclusive": 0, "error": 1})
    );
    assert_eq!(
        (&out["checks"][0]["kind"], &out["checks"][0]["target"]),
        (&json!("tcp"), &json!(listener.address()))
    );
    assert_eq!(verdict(&out["checks"][0]), json!({"status": "pass", "attempts": 1}));
    assert_eq!(
        verdict(&out["checks"][1]),
        json!({"status": "error", "attempts": 1, "reason": "connection refused"})
    );
}

#[test]
fn a_late_server_refuses_until_it_comes_up() {
    let server = Server::late(Behaviour::Healthy, Duration::from_secs(1));
    let url = server.url("/health");
    assert_eq!(
        verdict(&run(&[&url]).check(0)),
        json!({"status": "error", "attempts": 1, "reason": "connection refused"})
    );
    let safety_net = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(server.address()).is_err() {
        assert!(std::time::Instant::now() < safety_net, "the late server never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(run(&[&url]).code, Some(0));
}
