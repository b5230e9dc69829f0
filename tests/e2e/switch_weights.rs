//! vz-switch on canary weights: an Istio VirtualService (a header-match
//! route and a weighted route, as in the guides), a Gateway API HTTPRoute
//! (filters, two rules, another team's backend) and SMI TrafficSplits, as
//! kubectl prints them; `current`, `weight`, `step`, `plan` and every
//! refusal. Merge patches are cross-checked with the installed
//! `kubectl patch --local`, which patches these CRDs offline.

use crate::common::{json as json_of, outcome, tree, vz_switch};
use serde_json::{Value, json};

/// Runs vz-switch with `args` on `input`: (exit code, stdout, stderr).
fn switch(args: &[&str], input: &str) -> (Option<i32>, String, String) {
    outcome(vz_switch().args(args).write_stdin(input))
}

/// `kubectl patch --local` applying `patch` to `live` (saved as `file`).
fn kubectl_patch(file: &str, live: &str, patch: &str) -> Value {
    let dir = tree(&[(file, live)]);
    let out = std::process::Command::new("kubectl")
        .current_dir(dir.path())
        .args(["patch", "--local", "-f", file, "--type", "merge", "-p", patch, "-o", "json"])
        .output()
        .expect("kubectl is installed (it is on every machine of this project)");
    assert!(out.status.success(), "kubectl: {}", String::from_utf8_lossy(&out.stderr));
    json_of(&String::from_utf8_lossy(&out.stdout))
}

/// Checks that kubectl, applying `vz-switch ARGS --patch`, gets exactly
/// the object `vz-switch ARGS -o json` prints; returns the patch.
fn kubectl_agrees(file: &str, live: &str, args: &[&str]) -> Value {
    let (code, full, err) = switch(&[args, &["-o", "json"]].concat(), live);
    assert_eq!(code, Some(0), "{err}");
    let (code, patch, err) = switch(&[args, &["--patch"]].concat(), live);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(kubectl_patch(file, live, patch.trim_end()), json_of(&full), "{args:?}");
    json_of(&patch)
}

/// The guides' VirtualService as `kubectl get virtualservice app -o json`
/// prints it: requests with `x-canary: true` go to the canary, the rest are
/// split by weight.
fn virtual_service() -> Value {
    let host = "app.shop.svc.cluster.local";
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"networking.istio.io/v1\"}\n"},
            "creationTimestamp": "2026-11-01T09:00:00Z",
            "generation": 7,
            "name": "app",
            "namespace": "shop",
            "resourceVersion": "918273",
            "uid": "5d0f3b8e-2c4a-4f6e-9a41-7b2d8c1e0f35"
        },
        "spec": {
            "gateways": ["shop/app-gateway", "mesh"],
            "hosts": [host, "shop.example.com"],
            "http": [
                {
                    "name": "canary-by-header",
                    "match": [{"headers": {"x-canary": {"exact": "true"}}}],
                    "route": [{"destination": {"host": host, "port": {"number": 80}, "subset": "canary"}}]
                },
                {
                    "name": "primary",
                    "mirror": {"host": "app-shadow.shop.svc.cluster.local"},
                    "mirrorPercentage": {"value": 2.5},
                    "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,reset,connect-failure"},
                    "route": [
                        {"destination": {"host": host, "port": {"number": 80}, "subset": "stable"}, "weight": 90},
                        {"destination": {"host": host, "port": {"number": 80}, "subset": "canary"}, "weight": 10,
                         "headers": {"response": {"set": {"x-served-by": "canary"}}}}
                    ],
                    "timeout": "10s"
                }
            ]
        }
    })
}

/// An HTTPRoute as `kubectl get httproute shop -o yaml` prints it: a
/// header-modifying rule split between stable, canary and the
/// recommendations team's backend, and a legacy rule with a default weight.
const HTTP_ROUTE: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  creationTimestamp: "2026-11-02T10:15:00Z"
  generation: 3
  name: shop
  namespace: shop
  resourceVersion: "55120"
  uid: 8e6a1f0c-3b7d-4c2e-a5f9-0d4b6c8e2a17
spec:
  hostnames:
  - shop.example.com
  parentRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: public
    namespace: infra
  rules:
  - backendRefs:
    - group: ""
      kind: Service
      name: app-stable
      port: 8080
      weight: 80
    - group: ""
      kind: Service
      name: app-canary
      port: 8080
      weight: 10
    - group: ""
      kind: Service
      name: recs
      namespace: recs-team
      port: 9000
      weight: 10
    filters:
    - requestHeaderModifier:
        add:
        - name: x-shop-tier
          value: gold
        remove:
        - x-debug
      type: RequestHeaderModifier
    matches:
    - path:
        type: PathPrefix
        value: /
  - backendRefs:
    - group: ""
      kind: Service
      name: legacy
      port: 8080
    matches:
    - path:
        type: PathPrefix
        value: /v1
    timeouts:
      request: 5s
status:
  parents:
  - conditions:
    - lastTransitionTime: "2026-11-02T10:15:01Z"
      message: Route was valid
      observedGeneration: 3
      reason: Accepted
      status: "True"
      type: Accepted
    controllerName: gateway.envoyproxy.io/gatewayclass-controller
    parentRef:
      group: gateway.networking.k8s.io
      kind: Gateway
      name: public
      namespace: infra
"#;

/// The HTTPRoute above as JSON, as kubectl reads it.
fn http_route() -> Value {
    kubectl_patch("route.yaml", HTTP_ROUTE, "{}")
}

/// A Linkerd/OSM TrafficSplit (`kubectl get trafficsplit app -o json`).
fn traffic_split(api: &str, stable: Value, canary: Value) -> Value {
    json!({
        "apiVersion": api,
        "kind": "TrafficSplit",
        "metadata": {"name": "app", "namespace": "shop", "resourceVersion": "771", "generation": 2},
        "spec": {
            "service": "app",
            "backends": [{"service": "app-stable", "weight": stable}, {"service": "app-canary", "weight": canary}]
        }
    })
}

#[test]
fn current_prints_every_rule() {
    let vs = virtual_service().to_string();
    assert_eq!(
        switch(&["current"], &vs),
        (Some(0), "canary=100\nstable=90 canary=10\n".into(), String::new())
    );
    let (code, out, _) = switch(&["current", "-o", "json"], HTTP_ROUTE);
    assert_eq!(code, Some(0));
    assert_eq!(
        json_of(&out),
        json!({"kind": "HTTPRoute", "rules": [
            {"rule": 0, "backends": [
                {"name": "app-stable", "weight": 80, "percent": 80},
                {"name": "app-canary", "weight": 10, "percent": 10},
                {"name": "recs", "weight": 10, "percent": 10}
            ]},
            {"rule": 1, "backends": [{"name": "legacy", "weight": 1, "percent": 100}]}
        ]})
    );
}

#[test]
fn weight_on_a_virtual_service_changes_two_numbers() {
    let live = virtual_service();
    let (code, out, err) = switch(&["weight", "canary=25", "stable=75"], &live.to_string());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "vz-switch: virtualservice/app: rule 1: canary 10 → 25, stable 90 → 75\n");
    // The header route, the mirror, retries, timeout and response headers,
    // the resourceVersion: everything else is as it was.
    let mut expected = live.clone();
    expected["spec"]["http"][1]["route"][0]["weight"] = json!(75);
    expected["spec"]["http"][1]["route"][1]["weight"] = json!(25);
    assert_eq!(json_of(&out), expected);

    let patch = kubectl_agrees("vs.json", &live.to_string(), &["weight", "canary=25", "stable=75"]);
    // A merge patch replaces a list whole, so it carries every rule; the
    // resourceVersion makes the API server refuse it if any changed since.
    assert_eq!(
        patch,
        json!({"metadata": {"resourceVersion": "918273"}, "spec": {"http": expected["spec"]["http"]}})
    );
}

#[test]
fn step_walks_a_virtual_service_along_the_plan() {
    let live = virtual_service();
    let args = ["step", "--plan", "5,25,50,100", "--canary", "canary"];
    let (code, out, err) = switch(&args, &live.to_string());
    assert_eq!(code, Some(0), "{err}");
    // The header route (canary alone) is not a candidate: it has no stable.
    assert_eq!(
        err,
        "vz-switch: virtualservice/app: step 2 of 4, rule 1: canary 10 → 25, stable 90 → 75\n"
    );
    let (code, out, err) = switch(&args, &out);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        "vz-switch: virtualservice/app: step 3 of 4, rule 1: canary 25 → 50, stable 75 → 50\n"
    );
    let (_, out, _) = switch(&args, &out);
    let (code, at_end, err) = switch(&args, &out);
    assert_eq!((code, at_end.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "vz-switch: error: virtualservice/app: `canary` is already at 100 (the plan's last step)\n"
    );
    let mut expected = live.clone();
    expected["spec"]["http"][1]["route"][0]["weight"] = json!(0);
    expected["spec"]["http"][1]["route"][1]["weight"] = json!(100);
    assert_eq!(json_of(&out), expected);
    kubectl_agrees("vs.json", &live.to_string(), &args);
}

#[test]
fn weight_on_an_http_route_keeps_filters_rules_and_the_foreign_backend() {
    let live = http_route();
    let args = ["weight", "app-canary=20", "app-stable=70"];
    let (code, out, err) = switch(&[&args[..], &["-o", "json"]].concat(), HTTP_ROUTE);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "vz-switch: httproute/shop: rule 0: app-canary 10 → 20, app-stable 80 → 70\n");
    let mut expected = live.clone();
    expected["spec"]["rules"][0]["backendRefs"][0]["weight"] = json!(70);
    expected["spec"]["rules"][0]["backendRefs"][1]["weight"] = json!(20);
    assert_eq!(json_of(&out), expected);
    // YAML in, YAML out: only the two weight lines differ.
    let (_, yaml, _) = switch(&args, HTTP_ROUTE);
    let changed: Vec<(&str, &str)> =
        HTTP_ROUTE.lines().zip(yaml.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(
        changed,
        [("      weight: 80", "      weight: 70"), ("      weight: 10", "      weight: 20")]
    );
    kubectl_agrees("route.yaml", HTTP_ROUTE, &args);
}

#[test]
fn step_on_an_http_route_names_the_stable_backend() {
    let plan = ["step", "--plan", "5,25,50,100", "--canary", "app-canary"];
    let (code, out, err) = switch(&plan, HTTP_ROUTE);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "vz-switch: error: <stdin>:20:7: spec.rules[0].backendRefs: rule 0 has 3 backends (app-stable, \
         app-canary, recs): name the stable one with --stable\n"
    );
    let args = [&plan[..], &["--stable", "app-stable", "-o", "json"]].concat();
    let (code, out, err) = switch(&args, HTTP_ROUTE);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        "vz-switch: httproute/shop: step 2 of 4, rule 0: app-canary 10 → 25, app-stable 80 → 65\n"
    );
    let mut expected = http_route();
    expected["spec"]["rules"][0]["backendRefs"][0]["weight"] = json!(65);
    expected["spec"]["rules"][0]["backendRefs"][1]["weight"] = json!(25);
    assert_eq!(json_of(&out), expected);
}

#[test]
fn traffic_splits_get_integers_and_a_note_that_smi_is_archived() {
    let note = "(note: the SMI spec is archived (CNCF, October 2023); Gateway API HTTPRoute is its successor)";
    let live = traffic_split("split.smi-spec.io/v1alpha2", json!(90), json!(10)).to_string();
    let (code, out, err) = switch(&["weight", "app-canary=30", "app-stable=70"], &live);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        format!("vz-switch: trafficsplit/app: app-canary 10 → 30, app-stable 90 → 70 {note}\n")
    );
    assert_eq!(json_of(&out), traffic_split("split.smi-spec.io/v1alpha2", json!(70), json!(30)));
    kubectl_agrees("split.json", &live, &["weight", "app-canary=30", "app-stable=70"]);

    // v1alpha1 weights are quantities: read exactly, written back as
    // quantities, as Argo Rollouts writes them.
    let old = traffic_split("split.smi-spec.io/v1alpha1", json!("950m"), json!("50m")).to_string();
    assert_eq!(
        switch(&["current"], &old),
        (Some(0), "app-stable=95 app-canary=5\n".into(), String::new())
    );
    let args = ["step", "--plan", "5,25,50,100", "--canary", "app-canary"];
    let (code, out, err) = switch(&args, &old);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        format!(
            "vz-switch: trafficsplit/app: step 2 of 4: app-canary 0.05 → 25, app-stable 0.95 → 75 {note}\n"
        )
    );
    assert_eq!(
        json_of(&out),
        traffic_split("split.smi-spec.io/v1alpha1", json!("75"), json!("25"))
    );
    kubectl_agrees("split.json", &old, &args);
}

#[test]
fn refusals_leave_stdout_empty() {
    let vs = virtual_service().to_string();
    let cases: [(&[&str], &str, &str); 8] = [
        (
            &["weight", "canray=20", "stable=80"],
            &vs,
            "vz-switch: error: <stdin>:1:466: spec.http: no backend `canray` in any rule (the backends are \
             canary, stable) (did you mean `canary`?)\n",
        ),
        (
            &["weight", "canary=100"],
            &vs,
            "vz-switch: error: <stdin>:1:466: spec.http: `canary` is in rules 0 and 1: pick one with --rule N\n",
        ),
        (
            &["weight", "canary=20", "--rule", "1"],
            &vs,
            "vz-switch: error: <stdin>:1:847: spec.http[1].route: weights in rule 1 would sum to 110 \
             (stable=90 untouched, canary=20): name every backend that changes, e.g. `weight stable=80 canary=20`\n",
        ),
        (
            &["weight", "app-canary=20"],
            HTTP_ROUTE,
            "vz-switch: error: <stdin>:20:7: spec.rules[0].backendRefs: weights in rule 0 would sum to 110 \
             (app-stable=80 untouched, app-canary=20, recs=10 untouched): name every backend that changes, \
             e.g. `weight app-stable=70 app-canary=20`\n",
        ),
        (
            &["step", "--plan", "5,25,10", "--canary", "canary"],
            &vs,
            "vz-switch: error: the plan must be strictly increasing, but 10 follows 25: e.g. --plan 5,25,50,100\n",
        ),
        (
            &["step", "--plan", "5,10", "--canary", "canary"],
            &vs,
            "vz-switch: error: virtualservice/app: `canary` is already at 10 (the plan's last step)\n",
        ),
        (
            &["to", "green"],
            &vs,
            "vz-switch: error: `to` does not apply to virtualservice/app: it carries weights: use \
             `weight NAME=PERCENT …` or `step`\n",
        ),
        (
            &["weight", "canary=101"],
            &vs,
            "error: invalid value 'canary=101' for '<NAME=PERCENT>...': `101` is not a whole percentage \
             (0-100)\n\nFor more information, try '--help'.\n",
        ),
    ];
    for (args, input, error) in cases {
        let (code, out, err) = switch(args, input);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}: {err}");
        assert_eq!(err, error, "{args:?}");
    }
}

#[test]
fn plan_prints_the_schedule_and_its_times() {
    let (code, out, err) =
        switch(&["plan", "--plan", "5,25,50,100", "--interval", "1m", "--max-failures", "3"], "");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        json_of(&out),
        json!({
            "steps": [
                {"step": 1, "canary": 5, "stable": 95},
                {"step": 2, "canary": 25, "stable": 75},
                {"step": 3, "canary": 50, "stable": 50},
                {"step": 4, "canary": 100, "stable": 0}
            ],
            "steps_count": 4,
            "minimum_time_to_full": "4m",
            "worst_case_rollback": "3m"
        })
    );
    let (code, out, err) = switch(&["plan", "--plan", "50,25"], "");
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "vz-switch: error: the plan must be strictly increasing, but 25 follows 50: e.g. --plan 5,25,50,100\n"
    );
}
