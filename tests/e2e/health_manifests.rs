//! `vz-render ENV | vz-health --from-manifests`: checks derived from the real
//! rendered manifests of tests/fixtures/render/shop.yaml, run against a real
//! server on 127.0.0.1 standing in for a port-forward or load balancer.

use crate::common::{fixture, json as parse, outcome, stdout_of, tree, vz_health, vz_render};
use crate::servers::{Behaviour, Reply, Server};
use serde_json::{Value, json};

/// What `vz-render ENV -f tests/fixtures/render/shop.yaml` writes.
fn rendered(env: &str) -> String {
    stdout_of(vz_render().arg(env).arg("-f").arg(fixture("render/shop.yaml")))
}

/// Runs vz-health with `manifests` on stdin: (exit code, stdout, stderr).
fn run(manifests: &str, args: &[&str]) -> (Option<i32>, String, String) {
    outcome(vz_health().arg("--from-manifests").args(args).write_stdin(manifests))
}

/// Each result without its times and latency.
fn results(report: &Value) -> Vec<Value> {
    report["checks"]
        .as_array()
        .expect("a list of checks")
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let map = c.as_object_mut().expect("a check is an object");
            for timing in ["latency_ms", "started", "finished"] {
                map.remove(timing);
            }
            c
        })
        .collect()
}

/// Healthy on `GET /health` with `Host: host`, 404 for anything else.
fn health_for(host: &'static str) -> Server {
    Server::start(Behaviour::custom(move |req, _| {
        if req.method == "GET" && req.path == "/health" && req.header("host") == Some(host) {
            Reply::json(200, r#"{"status":"UP"}"#)
        } else {
            Reply::text(404, "no such route")
        }
    }))
}

#[test]
fn production_is_checked_through_its_ingress_with_the_readiness_path() {
    let server = health_for("shop.example.com");
    let base = server.url("/");
    let (code, out, err) = run(&rendered("production"), &["--base-url", &base, "-o", "json"]);
    assert_eq!(code, Some(0), "stderr: {err}\nstdout: {out}");
    let report = parse(&out);
    assert_eq!(report["status"], "pass");
    assert_eq!(
        results(&report),
        [json!({
            "name": "ingress/api:shop.example.com/",
            "kind": "http",
            "target": server.url("/health"),
            "status": "pass",
            "attempts": 1,
        })]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("GET", "/health"));
    assert_eq!(requests[0].header("host"), Some("shop.example.com"));
}

#[test]
fn an_unhealthy_answer_through_the_base_url_fails_the_run() {
    let server = Server::start(Behaviour::Status(503));
    let (code, out, err) =
        run(&rendered("production"), &["--base-url", &server.url(""), "-o", "json"]);
    assert_eq!(code, Some(1), "stderr: {err}");
    let report = parse(&out);
    assert_eq!(report["status"], "fail");
    let check = &results(&report)[0];
    assert_eq!(check["name"], "ingress/api:shop.example.com/");
    assert_eq!(check["status"], "fail");
    assert_eq!(check["observed"], 503);
    assert_eq!(server.requests()[0].header("host"), Some("shop.example.com"));
}

#[test]
fn development_has_no_ingress_so_the_base_url_stands_for_its_one_service() {
    let server = Server::start(Behaviour::custom(|req, _| {
        let code = if req.path == "/health" { 200 } else { 404 };
        Reply::json(code, "{}")
    }));
    let (code, out, err) =
        run(&rendered("development"), &["--base-url", &server.url(""), "-o", "json"]);
    assert_eq!(code, Some(0), "stderr: {err}\nstdout: {out}");
    assert_eq!(
        results(&parse(&out)),
        [json!({
            "name": "service/api:http",
            "kind": "http",
            "target": server.url("/health"),
            "status": "pass",
            "attempts": 1,
        })]
    );
    assert_eq!(server.requests()[0].header("host"), Some(server.address().as_str()));
}

#[test]
fn without_a_base_url_the_checks_use_the_cluster_names() {
    let listed = |env: &str| -> Vec<Value> {
        let (code, out, err) = run(&rendered(env), &["--dry-run"]);
        assert_eq!(code, Some(0), "stderr: {err}");
        parse(&out)["checks"]
            .as_array()
            .expect("a list of checks")
            .iter()
            .map(|c| json!([c["name"], c["kind"], c["target"], c["timeout"]]))
            .collect()
    };
    assert_eq!(
        listed("production"),
        [
            json!([
                "service/api:http",
                "http",
                "http://api.shop-production.svc.cluster.local:80/health",
                "10s"
            ]),
            json!([
                "service/api:metrics",
                "tcp",
                "api.shop-production.svc.cluster.local:9100",
                "10s"
            ]),
            json!([
                "ingress/api:shop.example.com/",
                "http",
                "https://shop.example.com/health",
                "10s"
            ]),
        ]
    );
    assert_eq!(
        listed("development"),
        [
            json!([
                "service/api:http",
                "http",
                "http://api.shop-development.svc.cluster.local:80/health",
                "10s"
            ]),
            json!([
                "service/api:metrics",
                "tcp",
                "api.shop-development.svc.cluster.local:9100",
                "10s"
            ]),
        ]
    );
}

#[test]
fn manifests_without_a_service_or_ingress_are_a_usage_error() {
    let dir = tree(&[("config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")]);
    let out = vz_health()
        .current_dir(dir.path())
        .args(["--from-manifests", "config.yaml", "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-health: error: --from-manifests found no Service and no Ingress to derive checks from \
         (found ConfigMap (1)); give it rendered manifests, e.g. \
         `vz-render production | vz-health --from-manifests`\n"
    );
}

#[test]
fn a_base_url_for_several_services_is_a_usage_error() {
    let manifests = "kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: b}\n";
    let (code, out, err) = run(manifests, &["--base-url", "http://127.0.0.1:9"]);
    assert_eq!(code, Some(2));
    assert_eq!(out, "");
    assert_eq!(
        err,
        "vz-health: error: --base-url stands for one Service, and the manifests have 2 and no Ingress: \
         service/a, service/b; port-forward each Service and run vz-health once per Service with only \
         its manifests, or drop --base-url to check them by their names in the cluster\n"
    );
}
