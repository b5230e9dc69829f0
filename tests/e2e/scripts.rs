//! The deploy scripts run end to end: `scripts/blue-green-deploy.sh`,
//! `canary.sh` and `rollback.sh` with the real vz-render, vz-health and
//! vz-switch, real HTTP servers standing in for the preview and active
//! Services (and for Prometheus), and `kubectl` replaced by
//! `tests/fixtures/kubectl-shim/kubectl`, which records every call and keeps
//! the objects, so each test asserts the exact sequence of kubectl commands
//! and the state the "cluster" is left in.

use crate::common::{example, fixture, hermetic, root, tree, vz_render};
use crate::servers::{Behaviour, Reply, Server};
use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-23T12:00:00Z";
const NS: &str = "vektagraf-production";

/// The shim's state: objects, the call log, what was applied.
struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    fn new() -> Cluster {
        Cluster { dir: tree(&[("objects/.keep", "")]) }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, kind: &str, name: &str) -> PathBuf {
        self.path().join("objects").join(kind).join(format!("{name}.json"))
    }

    fn put(&self, kind: &str, name: &str, object: &Value) {
        let file = self.file(kind, name);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, object.to_string()).expect("write");
    }

    fn get(&self, kind: &str, name: &str) -> Value {
        let text = std::fs::read_to_string(self.file(kind, name)).expect("object");
        serde_json::from_str(&text).expect("JSON object")
    }

    /// Every kubectl call, one line each.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.path().join("kubectl.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// What the `n`th `kubectl apply -f -` read.
    fn applied(&self, n: usize) -> String {
        std::fs::read_to_string(self.path().join(format!("applied-{n}.yaml"))).expect("applied")
    }
}

/// `scripts/NAME` run from the cluster's directory, with the built tools and
/// the shim as kubectl.
fn script(name: &str, cluster: &Cluster) -> Command {
    let mut cmd = hermetic(root().join("scripts").join(name).to_str().expect("utf-8 path"));
    cmd.current_dir(cluster.path())
        .env("VZ_RENDER", env!("CARGO_BIN_EXE_vz-render"))
        .env("VZ_HEALTH", env!("CARGO_BIN_EXE_vz-health"))
        .env("VZ_SWITCH", env!("CARGO_BIN_EXE_vz-switch"))
        .env("KUBECTL", fixture("kubectl-shim/kubectl"))
        .env("KUBECTL_SHIM_DIR", cluster.path())
        .env("VZ_NOW", NOW);
    cmd
}

/// A finished run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The script's own log lines (those starting with `prefix:`).
    fn log(&self, prefix: &str) -> Vec<String> {
        let prefix = format!("{prefix}: ");
        self.stderr.lines().filter(|l| l.starts_with(&prefix)).map(String::from).collect()
    }
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `http://127.0.0.1:PORT`, as a script option takes it.
fn base(server: &Server) -> String {
    format!("http://{}", server.address())
}

/// The live Service as `kubectl get svc app-active -o json` prints it.
fn active_service(color: &str, previous: Option<&str>) -> Value {
    let mut svc = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "app-active",
            "namespace": NS,
            "resourceVersion": "100",
            "uid": "6f1d2c3b-5a4e-4b1f-9c0d-1e2f3a4b5c6d",
            "labels": {"app.kubernetes.io/name": "app", "app.kubernetes.io/part-of": "vektagraf"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
        },
        "spec": {
            "clusterIP": "10.96.20.7",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
            "selector": {
                "app.kubernetes.io/name": "app",
                "app.kubernetes.io/part-of": "vektagraf",
                "version": color
            },
            "type": "ClusterIP"
        },
        "status": {"loadBalancer": {}}
    });
    if let Some(p) = previous {
        svc["metadata"]["annotations"]["vz-switch/previous-color"] = json!(p);
        svc["metadata"]["annotations"]["vz-switch/switched-at"] = json!("2026-11-20T08:00:00Z");
    }
    svc
}

/// `svc` after `to`/`back` moved it to `color` from `previous`, stored once.
fn switched(svc: &Value, color: &str, previous: &str, version: &str) -> Value {
    let mut svc = svc.clone();
    svc["spec"]["selector"]["version"] = json!(color);
    svc["metadata"]["annotations"]["vz-switch/previous-color"] = json!(previous);
    svc["metadata"]["annotations"]["vz-switch/switched-at"] = json!(NOW);
    svc["metadata"]["resourceVersion"] = json!(version);
    svc
}

fn deployment(name: &str, replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "resourceVersion": "40"},
        "spec": {"replicas": replicas}
    })
}

/// A cluster running `live` (`app-active` on it) with both colours' Deployments.
fn blue_green_cluster(svc: &Value, blue: u32, green: u32) -> Cluster {
    let cluster = Cluster::new();
    cluster.put("service", "app-active", svc);
    cluster.put("deployment", "app-blue", &deployment("app-blue", blue));
    cluster.put("deployment", "app-green", &deployment("app-green", green));
    cluster
}

/// blue-green-deploy.sh v2.0.0 on the Vektagraf example, checking through
/// `preview` and `active`.
fn deploy(cluster: &Cluster, preview: &Server, active: &Server, extra: &[&str]) -> Run {
    let spec = example("vektagraf/vz.yaml");
    run(script("blue-green-deploy.sh", cluster)
        .args(["v2.0.0", "--spec", spec.to_str().expect("utf-8")])
        .args(["--namespace", NS, "--color-var", "VEKTAGRAF_ACTIVE_COLOR"])
        .args(["--preview-url", &base(preview), "--active-url", &base(active)])
        .args(extra))
}

/// `call` as the scripts make it with `--namespace vektagraf-production`.
fn k(call: &str) -> String {
    format!("--namespace {NS} {call}")
}

#[test]
fn blue_green_deploys_the_idle_colour_switches_and_scales_the_old_one_down() {
    let live = active_service("blue", None);
    // green was scaled down by the last deploy: it is sized like blue again.
    let cluster = blue_green_cluster(&live, 3, 0);
    let (preview, active) = (Server::start(Behaviour::Healthy), Server::start(Behaviour::Healthy));
    // The smoke checks run through the preview, then through the active Service.
    let smoke = "- name: ready\n  http: ${BASE_URL}/ready\n  json: {status: UP}\n";
    std::fs::write(cluster.path().join("smoke.yaml"), smoke).expect("write");
    let run = deploy(
        &cluster,
        &preview,
        &active,
        &[
            "--wait",
            "5s",
            "--smoke",
            "smoke.yaml",
            "--interactive",
            "--scale-down",
            "--scale-down-delay",
            "0",
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), ""), "{}", run.stderr);
    assert_eq!(
        cluster.calls(),
        [
            "get svc app-active -o json",
            "apply -f -",
            "get deployment app-green -o jsonpath={.spec.replicas}",
            "get deployment app-blue -o jsonpath={.spec.replicas} --ignore-not-found",
            "scale deployment/app-green --replicas=3",
            "rollout status deployment/app-green --timeout=10m",
            "get svc app-active -o json",
            "replace -f -",
            "scale deployment/app-blue --replicas=0",
        ]
        .map(k)
    );
    let (p, a) = (base(&preview), base(&active));
    assert_eq!(
        run.log("blue-green"),
        [
            "blue-green: service/app-active serves blue: deploying v2.0.0 to green".to_string(),
            format!(
                "blue-green: render production from {} (app v2.0.0, live colour blue) | kubectl apply",
                example("vektagraf/vz.yaml").display()
            ),
            "blue-green: scale deployment/app-green from 0 to 3 replicas, as blue runs".into(),
            "blue-green: rollout status deployment/app-green (timeout 10m)".into(),
            format!("blue-green: check green through {p}"),
            "blue-green: --interactive, but stdin is not a terminal: switching without asking".into(),
            "blue-green: switch service/app-active blue → green (undo: kubectl patch svc app-active --type merge --patch-file app-active.undo.json)".into(),
            format!("blue-green: verify green through {a}"),
            "blue-green: scale deployment/app-blue to 0 after 0".into(),
            "blue-green: done: service/app-active serves green (v2.0.0); undo with scripts/rollback.sh REASON".into(),
        ]
    );
    // What was applied is the render of the idle colour at the new tag, the
    // live colour left where it is.
    let render = crate::common::stdout_of(
        vz_render()
            .env("VEKTAGRAF_ACTIVE_COLOR", "blue")
            .args(["production", "-f", example("vektagraf/vz.yaml").to_str().expect("utf-8")])
            .args(["--set", "services.app.tag=\"v2.0.0\""]),
    );
    assert_eq!(cluster.applied(1).trim_end(), render.trim_end());
    assert!(
        render.contains("  name: app-green\n") && render.contains("image: vektagraf/app:v2.0.0\n")
    );
    assert_eq!(cluster.get("service", "app-active"), switched(&live, "green", "blue", "101"));
    assert_eq!(cluster.get("deployment", "app-green")["spec"]["replicas"], 3);
    assert_eq!(cluster.get("deployment", "app-blue")["spec"]["replicas"], 0);
    let undo = std::fs::read_to_string(cluster.path().join("app-active.undo.json")).expect("undo");
    assert_eq!(
        serde_json::from_str::<Value>(&undo).expect("JSON"),
        json!({
            "metadata": {"annotations": {"vz-switch/previous-color": null, "vz-switch/switched-at": null}},
            "spec": {"selector": {"version": "blue"}}
        })
    );
    for server in [&preview, &active] {
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/health", "/ready"]);
    }
}

#[test]
fn blue_green_keeps_the_traffic_when_the_idle_colour_is_unhealthy() {
    let live = active_service("blue", None);
    let cluster = blue_green_cluster(&live, 3, 3);
    let (preview, active) =
        (Server::start(Behaviour::Status(503)), Server::start(Behaviour::Healthy));
    let run = deploy(&cluster, &preview, &active, &["--wait", "1s"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{}", run.stderr);
    assert_eq!(
        cluster.calls(),
        [
            "get svc app-active -o json",
            "apply -f -",
            "get deployment app-green -o jsonpath={.spec.replicas}",
            "get deployment app-blue -o jsonpath={.spec.replicas} --ignore-not-found",
            "rollout status deployment/app-green --timeout=10m",
        ]
        .map(k)
    );
    assert_eq!(
        run.log("blue-green").last().map(String::as_str),
        Some(
            format!(
                "blue-green: error: green failed its checks through {}: traffic stays on blue",
                base(&preview)
            )
            .as_str()
        )
    );
    assert_eq!(cluster.get("service", "app-active"), live);
    assert_eq!(active.hits(), 0);
}

#[test]
fn blue_green_stops_before_any_check_when_the_rollout_fails() {
    let live = active_service("green", Some("blue"));
    let cluster = blue_green_cluster(&live, 2, 2);
    let (preview, active) = (Server::start(Behaviour::Healthy), Server::start(Behaviour::Healthy));
    let spec = example("vektagraf/vz.yaml");
    let run = run(script("blue-green-deploy.sh", &cluster)
        .env("KUBECTL_SHIM_ROLLOUT", "fail")
        .args(["v2.0.1", "--spec", spec.to_str().expect("utf-8"), "--timeout", "90s"])
        .args(["--color-var", "VEKTAGRAF_ACTIVE_COLOR"])
        .args(["--preview-url", &base(&preview), "--active-url", &base(&active)]));
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{}", run.stderr);
    // No --namespace: kubectl's own.
    assert_eq!(
        cluster.calls(),
        [
            "get svc app-active -o json",
            "apply -f -",
            "get deployment app-blue -o jsonpath={.spec.replicas}",
            "get deployment app-green -o jsonpath={.spec.replicas} --ignore-not-found",
            "rollout status deployment/app-blue --timeout=90s",
        ]
    );
    assert!(
        run.stderr.ends_with(
            "error: deployment \"app-blue\" exceeded its progress deadline\n\
             blue-green: error: deployment/app-blue did not roll out: traffic stays on green\n"
        ),
        "{}",
        run.stderr
    );
    assert!(cluster.applied(1).contains("image: vektagraf/app:v2.0.1\n"));
    assert_eq!(cluster.get("service", "app-active"), live);
    assert_eq!((preview.hits(), active.hits()), (0, 0));
}

#[test]
fn blue_green_applies_nothing_when_the_spec_does_not_render() {
    let live = active_service("blue", None);
    let cluster = blue_green_cluster(&live, 3, 3);
    let spec = example("vektagraf/vz.yaml");
    // The spec reads the live colour from ${VEKTAGRAF_ACTIVE_COLOR}: without
    // --color-var it is not set, and vz-render says so.
    let run = run(script("blue-green-deploy.sh", &cluster).args([
        "v2.0.0",
        "--spec",
        spec.to_str().expect("utf-8"),
        "--preview-url",
        "http://127.0.0.1:9",
    ]));
    assert_eq!((run.code, run.stdout.as_str()), (Some(2), ""), "{}", run.stderr);
    assert_eq!(cluster.calls(), ["get svc app-active -o json"]);
    // vz-render's own error (where in the spec, which variable), then the script's.
    let lines: Vec<&str> = run.stderr.lines().skip(2).collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with(&format!("vz-render: error: {}:", spec.display())),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(": ${VEKTAGRAF_ACTIVE_COLOR} is not set: "), "{}", lines[0]);
    assert_eq!(
        lines[1],
        format!(
            "blue-green: error: nothing applied: vz-render refused {} (a spec that reads the live \
             colour from ${{VAR}} needs --color-var VAR)",
            spec.display()
        )
    );
    assert_eq!(cluster.get("service", "app-active"), live);
}

#[test]
fn blue_green_switches_back_when_the_live_service_fails_verification() {
    let live = active_service("blue", None);
    let cluster = blue_green_cluster(&live, 3, 3);
    let (preview, active) =
        (Server::start(Behaviour::Healthy), Server::start(Behaviour::Status(503)));
    let run = deploy(&cluster, &preview, &active, &["--wait", "1s", "--scale-down"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{}", run.stderr);
    assert_eq!(
        cluster.calls(),
        [
            "get svc app-active -o json",
            "apply -f -",
            "get deployment app-green -o jsonpath={.spec.replicas}",
            "get deployment app-blue -o jsonpath={.spec.replicas} --ignore-not-found",
            "rollout status deployment/app-green --timeout=10m",
            "get svc app-active -o json",
            "replace -f -",
            "get svc app-active -o json",
            "replace -f -",
        ]
        .map(k)
    );
    let log = run.log("blue-green");
    assert_eq!(
        log[log.len() - 2..],
        [
            "blue-green: verification failed: switching service/app-active back to blue"
                .to_string(),
            format!(
                "blue-green: error: green failed through {}: service/app-active serves blue again; \
                 deployment/app-green keeps v2.0.0 for inspection",
                base(&active)
            ),
        ]
    );
    // Back on blue, with green recorded as the colour it left; no scale-down.
    assert_eq!(cluster.get("service", "app-active"), switched(&live, "blue", "green", "102"));
    assert_eq!(cluster.get("deployment", "app-blue")["spec"]["replicas"], 3);
}

#[test]
fn rollback_returns_to_the_previous_colour_and_checks_it() {
    let live = active_service("green", Some("blue"));
    // blue was scaled down after the switch: it runs again before traffic.
    let cluster = blue_green_cluster(&live, 0, 3);
    let active = Server::start(Behaviour::Healthy);
    let run = run(script("rollback.sh", &cluster)
        .args(["error rate above 2% since v2.0.0", "--namespace", NS])
        .args(["--url", &base(&active), "--wait", "5s"]));
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), ""), "{}", run.stderr);
    assert_eq!(
        cluster.calls(),
        [
            "get svc app-active -o json",
            "get deployment app-blue -o jsonpath={.spec.replicas}",
            "get deployment app-green -o jsonpath={.spec.replicas} --ignore-not-found",
            "scale deployment/app-blue --replicas=3",
            "rollout status deployment/app-blue --timeout=10m",
            "replace -f -",
        ]
        .map(k)
    );
    assert_eq!(
        run.log("rollback"),
        [
            "rollback: service/app-active: rolling back because: error rate above 2% since v2.0.0".to_string(),
            "rollback: scale deployment/app-blue from 0 to 3 replicas, as green runs".into(),
            "rollback: rollout status deployment/app-blue (timeout 10m)".into(),
            "rollback: switch service/app-active green → blue (undo: kubectl patch svc app-active --type merge --patch-file app-active.undo.json)".into(),
            format!("rollback: check blue through {}", base(&active)),
            "rollback: done: service/app-active serves blue again (green stays up for inspection)".into(),
        ]
    );
    assert_eq!(cluster.get("service", "app-active"), switched(&live, "blue", "green", "101"));
    assert_eq!(active.hits(), 1);
}

#[test]
fn rollback_fails_when_the_restored_colour_is_unhealthy_and_without_a_previous_colour() {
    // Unhealthy after the switch back: exit 1, and no second flip.
    let live = active_service("green", Some("blue"));
    let cluster = blue_green_cluster(&live, 3, 3);
    let active = Server::start(Behaviour::Status(503));
    let run1 = run(script("rollback.sh", &cluster).args([
        "smoke failed",
        "--namespace",
        NS,
        "--url",
        &base(&active),
        "--wait",
        "1s",
    ]));
    assert_eq!((run1.code, run1.stdout.as_str()), (Some(1), ""), "{}", run1.stderr);
    assert_eq!(
        run1.log("rollback").last().map(String::as_str),
        Some(
            format!(
                "rollback: error: rolled back to blue, but blue fails its checks through {}",
                base(&active)
            )
            .as_str()
        )
    );
    assert_eq!(cluster.calls().last().map(String::as_str), Some(k("replace -f -").as_str()));
    assert_eq!(cluster.get("service", "app-active"), switched(&live, "blue", "green", "101"));

    // Nothing recorded to go back to: exit 2, one get, nothing written.
    let live = active_service("blue", None);
    let cluster = blue_green_cluster(&live, 3, 3);
    let hits = active.hits();
    let run2 = run(script("rollback.sh", &cluster).args(["oops", "--url", &base(&active)]));
    assert_eq!((run2.code, run2.stdout.as_str()), (Some(2), ""), "{}", run2.stderr);
    assert_eq!(cluster.calls(), ["get svc app-active -o json"]);
    assert_eq!(
        run2.stderr,
        "rollback: service/app-active: rolling back because: oops\n\
         vz-switch: error: <stdin>:1:63: metadata.annotations: no previous colour is recorded \
         (annotation vz-switch/previous-color): `back` can only undo a switch made by vz-switch; \
         use `to COLOR`\n"
    );
    assert_eq!(cluster.get("service", "app-active"), live);
    assert_eq!(active.hits(), hits);
}

/// The guides' VirtualService: a header match that always reaches the
/// canary, then the weighted route.
fn virtual_service(stable: u32, canary: u32) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "app", "namespace": "shop", "resourceVersion": "7"},
        "spec": {
            "hosts": ["app"],
            "http": [
                {
                    "name": "canary-header",
                    "match": [{"headers": {"x-canary": {"exact": "true"}}}],
                    "route": [{"destination": {"host": "app", "subset": "canary"}}]
                },
                {
                    "name": "weighted",
                    "route": [
                        {"destination": {"host": "app", "subset": "stable"}, "weight": stable},
                        {"destination": {"host": "app", "subset": "canary"}, "weight": canary}
                    ],
                    "retries": {"attempts": 3, "perTryTimeout": "2s"}
                }
            ]
        }
    })
}

fn with_weights(vs: &Value, stable: u32, canary: u32, version: &str) -> Value {
    let mut vs = vs.clone();
    vs["spec"]["http"][1]["route"][0]["weight"] = json!(stable);
    vs["spec"]["http"][1]["route"][1]["weight"] = json!(canary);
    vs["metadata"]["resourceVersion"] = json!(version);
    vs
}

#[test]
fn canary_walks_the_plan_while_every_watch_passes() {
    let vs = virtual_service(100, 0);
    let cluster = Cluster::new();
    cluster.put("virtualservice", "app", &vs);
    let app = Server::start(Behaviour::Healthy);
    let checks = cluster.path().join("checks.yaml");
    std::fs::write(&checks, format!("- name: canary\n  http: {}\n", app.url("/health")))
        .expect("write");
    // Two rounds a step: one slow answer on a busy machine is not a failure.
    let run = run(script("canary.sh", &cluster)
        .args(["--checks", "checks.yaml", "--namespace", "shop"])
        .args(["--watch", "400ms", "--every", "200ms"]));
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), ""), "{}", run.stderr);
    let get = "--namespace shop get virtualservice/app -o json";
    let replace = "--namespace shop replace -f -";
    assert_eq!(cluster.calls(), [get, replace].repeat(4));
    assert_eq!(
        run.stderr.lines().filter(|l| l.starts_with("vz-switch: ")).collect::<Vec<_>>(),
        [
            "vz-switch: virtualservice/app: step 1 of 4, rule 1: canary 0 → 5, stable 100 → 95",
            "vz-switch: virtualservice/app: step 2 of 4, rule 1: canary 5 → 25, stable 95 → 75",
            "vz-switch: virtualservice/app: step 3 of 4, rule 1: canary 25 → 50, stable 75 → 50",
            "vz-switch: virtualservice/app: step 4 of 4, rule 1: canary 50 → 100, stable 50 → 0",
        ]
    );
    let watching = |n| {
        format!(
            "canary: step {n}: watching for 400ms, every 200ms, at most 1 failed rounds per check"
        )
    };
    assert_eq!(
        run.log("canary"),
        [
            "canary: walking canary on virtualservice/app through 5,25,50,100, watching each step for 400ms".to_string(),
            watching(1),
            watching(2),
            watching(3),
            watching(4),
            "canary: done: canary is at the plan's end (100%) and passed every watch; roll the stable track to the new version, then: vz-switch weight stable=100 canary=0".into(),
        ]
    );
    // Only the two weights moved: the header rule and the retries are as they were.
    assert_eq!(cluster.get("virtualservice", "app"), with_weights(&vs, 0, 100, "11"));
    assert!(app.hits() >= 4, "one round per step at least: {}", app.hits());
}

#[test]
fn canary_aborts_to_zero_when_the_flagger_success_rate_drops() {
    let vs = virtual_service(100, 0);
    let cluster = Cluster::new();
    cluster.put("virtualservice", "app", &vs);
    // A Prometheus whose answer follows the canary's share of the traffic in
    // the shim's VirtualService: from 25 % on, 3 % of requests fail.
    let state = cluster.file("virtualservice", "app");
    let prometheus = Server::start(Behaviour::custom(move |req, _| {
        let text = std::fs::read_to_string(&state).unwrap_or_default();
        let live: Value = serde_json::from_str(&text).unwrap_or_default();
        let canary = live["spec"]["http"][1]["route"][1]["weight"].as_u64().unwrap_or(0);
        let value = if req.path.contains("istio_request_duration_milliseconds_bucket") {
            "120"
        } else if canary >= 25 {
            "97"
        } else {
            "99.8"
        };
        let vector = json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": {}, "value": [1_795_000_000.0, value]}]}});
        Reply::json(200, vector.to_string())
    }));
    let run = run(script("canary.sh", &cluster)
        .args(["--prometheus", &base(&prometheus), "--namespace", "shop"])
        .args(["--watch", "400ms", "--every", "200ms", "--max-failures", "0"]));
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{}", run.stderr);
    let get = "--namespace shop get virtualservice/app -o json";
    let replace = "--namespace shop replace -f -";
    assert_eq!(cluster.calls(), [get, replace].repeat(3));
    assert_eq!(
        run.log("canary")[2..],
        [
            "canary: step 2: watching for 400ms, every 200ms, at most 0 failed rounds per check",
            "canary: step 2 failed its watch: setting canary to 0 on virtualservice/app",
            "canary: error: step 2 failed its watch: virtualservice/app sends all traffic to stable again",
        ]
    );
    assert!(run.stderr.contains("FAIL    request-success-rate"), "{}", run.stderr);
    assert_eq!(cluster.get("virtualservice", "app"), with_weights(&vs, 100, 0, "10"));
    // Flagger's Istio queries, for the canary workload in its namespace.
    let queries: Vec<String> = prometheus.requests().into_iter().map(|r| r.path).collect();
    assert!(queries.iter().all(|q| q.starts_with("/api/v1/query?")), "{queries:?}");
    assert!(queries.iter().all(|q| q.contains("shop") && q.contains("app-canary")), "{queries:?}");
}

#[test]
fn scripts_print_help_and_refuse_bad_usage_before_touching_anything() {
    let cluster = Cluster::new();
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "blue-green-deploy.sh",
            &[],
            "scripts/blue-green-deploy.sh: VERSION is missing\n\
             usage: scripts/blue-green-deploy.sh VERSION [--spec FILE] [--env ENV] [--namespace NS] \
             [--service NAME] [--interactive] [--scale-down] ... (--help)\n",
        ),
        (
            "blue-green-deploy.sh",
            &["v2", "--spec", "missing.yaml"],
            "scripts/blue-green-deploy.sh: cannot read the spec missing.yaml\n\
             usage: scripts/blue-green-deploy.sh VERSION [--spec FILE] [--env ENV] [--namespace NS] \
             [--service NAME] [--interactive] [--scale-down] ... (--help)\n",
        ),
        (
            "canary.sh",
            &["--watch", "2"],
            "scripts/canary.sh: '2' is not a duration (300ms, 30s, 2m)\n\
             usage: scripts/canary.sh (--checks FILE | --prometheus URL --namespace NS) \
             [--plan 5,25,50,100] [--watch 2m] ... (--help)\n",
        ),
        (
            "canary.sh",
            &["--prometheus", "http://prometheus:9090"],
            "scripts/canary.sh: --prometheus needs --namespace: the metrics are selected by namespace\n\
             usage: scripts/canary.sh (--checks FILE | --prometheus URL --namespace NS) \
             [--plan 5,25,50,100] [--watch 2m] ... (--help)\n",
        ),
        (
            "rollback.sh",
            &["--url", "http://app"],
            "scripts/rollback.sh: REASON is missing: say why (it goes in the log)\n\
             usage: scripts/rollback.sh REASON [--namespace NS] [--service NAME] [--url URL] \
             [--wait DURATION] ... (--help)\n",
        ),
    ];
    for (name, args, error) in cases {
        let run = run(script(name, &cluster).args(args));
        assert_eq!((run.code, run.stdout.as_str()), (Some(2), ""), "{name} {args:?}");
        assert_eq!(run.stderr, error, "{name} {args:?}");
    }
    assert_eq!(cluster.calls(), Vec::<String>::new());
    for (name, first) in [
        ("blue-green-deploy.sh", "Blue/green deploy with no controller"),
        ("canary.sh", "Walk a canary through its traffic plan"),
        ("rollback.sh", "Roll a blue/green Service back to the colour"),
    ] {
        let run = run(script(name, &cluster).arg("--help"));
        assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{name}");
        assert!(run.stdout.starts_with(first), "{name}: {}", run.stdout);
        assert!(run.stdout.contains("Exit status: 0 "), "{name}: {}", run.stdout);
    }
}

#[test]
fn scripts_are_shellcheck_clean() {
    let scripts = ["blue-green-deploy.sh", "canary.sh", "rollback.sh", "release.sh"]
        .map(|s| root().join("scripts").join(s));
    let out = std::process::Command::new("shellcheck")
        .args(&scripts)
        .arg(fixture("kubectl-shim/kubectl"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "shellcheck: {e}: run `scripts/test-deps.sh` (or `make test`, which runs it first)"
            )
        });
    assert!(
        out.status.success(),
        "shellcheck:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The release build's directory follows the host: `target/HOST/release`
/// where the binaries are linked statically (Linux with glibc, built with
/// an explicit --target), else cargo's own `target/release`.
#[test]
fn release_script_names_the_directory_of_its_build_and_refuses_bad_usage() {
    let rustc = std::process::Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    let info = String::from_utf8_lossy(&rustc.stdout);
    let host = info.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc names its host");
    let expected = if host.contains("-linux-gnu") {
        format!("target/{host}/release\n")
    } else {
        "target/release\n".to_string()
    };
    let dir = run(Command::new(root().join("scripts/release.sh")).arg("dir"));
    assert_eq!(
        (dir.code, dir.stdout.as_str(), dir.stderr.as_str()),
        (Some(0), expected.as_str(), "")
    );

    let usage = "usage: scripts/release.sh build [CARGO-BUILD-ARGS...] | scripts/release.sh dir\n";
    for args in [&[][..], &["install"][..]] {
        let bad = run(Command::new(root().join("scripts/release.sh")).args(args));
        assert_eq!(
            (bad.code, bad.stdout.as_str(), bad.stderr.as_str()),
            (Some(2), "", usage),
            "{args:?}"
        );
    }
}
