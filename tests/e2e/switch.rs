//! vz-switch on Services: current, to, back, --patch, --undo, and bad input;
//! merge patches cross-checked with the installed `kubectl patch --local`.

use crate::common::{json as json_of, outcome, tree, vz_switch};
use serde_json::{Value, json};

const NOW: &str = "2026-11-23T12:00:00Z";

/// A Service as `kubectl get svc -o json` prints it.
fn service(version: &str, previous: Option<&str>) -> Value {
    let mut svc = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "app-active",
            "namespace": "shop",
            "resourceVersion": "4711",
            "uid": "0b1c9a52-7f0e-4a8e-9d53-2a3f1c0d9e11",
            "creationTimestamp": "2026-11-01T09:00:00Z",
            "labels": {"app.kubernetes.io/name": "app"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
        },
        "spec": {
            "clusterIP": "10.96.14.2",
            "clusterIPs": ["10.96.14.2"],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app.kubernetes.io/name": "app", "version": version},
            "sessionAffinity": "None",
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

/// Runs vz-switch with `args` on `input`: (exit code, stdout, stderr).
fn switch(args: &[&str], input: &str) -> (Option<i32>, String, String) {
    outcome(vz_switch().args(args).args(["--now", NOW]).write_stdin(input))
}

#[test]
fn current_prints_the_live_colour_for_a_shell() {
    let svc = service("blue", None).to_string();
    assert_eq!(switch(&["current"], &svc), (Some(0), "blue\n".into(), String::new()));
    let (code, out, _) =
        switch(&["current", "-o", "json"], &service("green", Some("blue")).to_string());
    assert_eq!(code, Some(0));
    assert_eq!(
        json_of(&out),
        json!({"key": "version", "color": "green", "previous": "blue", "switched_at": "2026-11-20T08:00:00Z"})
    );
    let (code, out, _) = switch(&["current", "-o", "yaml"], &service("green", None).to_string());
    assert_eq!((code, out.as_str()), (Some(0), "color: green\nkey: version\n"));
}

#[test]
fn to_repoints_the_selector_key_and_records_the_previous_colour() {
    let live = service("blue", None);
    let (code, out, err) = switch(&["to", "green"], &live.to_string());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "vz-switch: service/app-active: version blue → green\n");
    let mut expected = live.clone();
    expected["spec"]["selector"]["version"] = json!("green");
    expected["metadata"]["annotations"]["vz-switch/previous-color"] = json!("blue");
    expected["metadata"]["annotations"]["vz-switch/switched-at"] = json!(NOW);
    // Everything else, resourceVersion included, is as it was.
    assert_eq!(json_of(&out), expected);
}

#[test]
fn to_then_back_is_the_identity_on_the_selector() {
    let live = service("blue", None);
    let (_, switched, _) = switch(&["to", "green"], &live.to_string());
    let (code, back, err) = switch(&["back"], &switched);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "vz-switch: service/app-active: version green → blue (back)\n");
    let back = json_of(&back);
    assert_eq!(back["spec"], live["spec"]);
    assert_eq!(back["metadata"]["annotations"]["vz-switch/previous-color"], "green");
}

#[test]
fn yaml_in_gives_yaml_out() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n    version: blue\n";
    let (code, out, _) = switch(&["to", "green"], yaml);
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    vz-switch/previous-color: blue\n    vz-switch/switched-at: \"2026-11-23T12:00:00Z\"\n  name: web\nspec:\n  selector:\n    app: web\n    version: green\n"
    );
}

#[test]
fn refusals_leave_stdout_empty() {
    let svc = service("blue", None).to_string();
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["to", "blue"],
            &svc,
            "vz-switch: error: service/app-active already selects version=blue: nothing to switch (--allow-noop to accept)\n",
        ),
        (
            &["to", "gren"],
            &svc,
            "vz-switch: error: `gren` is not one of the colours blue, green (set them with --colors); did you mean `green`?\n",
        ),
        (
            &["back"],
            &svc,
            "vz-switch: error: <stdin>:1:63: metadata.annotations: no previous colour is recorded (annotation vz-switch/previous-color): `back` can only undo a switch made by vz-switch; use `to COLOR`\n",
        ),
        (
            &["--key", "colour", "to", "green"],
            &svc,
            "vz-switch: error: <stdin>:1:546: spec.selector: the selector has no `colour` key (it has app.kubernetes.io/name, version): pick the colour key with --key\n",
        ),
        (
            &["weight", "canary=10"],
            &svc,
            "vz-switch: error: `weight` does not apply to service/app-active: a Service switches by colour: use `to COLOR` or `back`\n",
        ),
    ];
    for (args, input, error) in cases {
        let (code, out, err) = switch(args, input);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}: {err}");
        assert_eq!(err, error, "{args:?}");
    }
    let (code, out, _) = switch(&["to", "blue", "--allow-noop"], &svc);
    assert_eq!(code, Some(0));
    assert_eq!(json_of(&out)["spec"]["selector"]["version"], "blue");
}

#[test]
fn bad_input() {
    let cases: [(&str, &str); 7] = [
        ("\u{0}\u{1}binary", "vz-switch: error: <stdin>:1:1: unexpected character: `\\u{0}'\n"),
        (
            "",
            "vz-switch: error: <stdin>: no object: pipe in one, e.g. `kubectl get svc NAME -o json | vz-switch …`\n",
        ),
        ("{\"kind\": \"Service\"", "vz-switch: error: <stdin>:1:18: EOF while parsing an object\n"),
        ("kind: [a\n", "vz-switch: error: <stdin>:1:7: unclosed bracket '['\n"),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n",
            "vz-switch: error: <stdin>:2:7: kind: vz-switch cannot switch a Deployment (apps/v1): it edits a Service (blue/green by selector), an Istio VirtualService, a Gateway API HTTPRoute or an SMI TrafficSplit (weights), or an nginx upstream file\n",
        ),
        (
            "- 1\n- 2\n",
            "vz-switch: error: <stdin>:1:1: expected a Kubernetes object (a map with apiVersion and kind)\n",
        ),
        (
            "a: 1\n---\nb: 2\n",
            "vz-switch: error: <stdin>:3:1: 2 objects: vz-switch edits one at a time (kubectl get KIND NAME -o json)\n",
        ),
    ];
    for (input, error) in cases {
        let (code, out, err) = switch(&["current"], input);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{input:?}: {err}");
        assert_eq!(err, error, "{input:?}");
    }
    let dir = tree(&[]);
    let out = vz_switch()
        .current_dir(dir.path())
        .args(["current", "-f", "missing.json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-switch: error: missing.json: no such file or directory\n"
    );
}

/// `kubectl patch --local` applying vz-switch's `--patch` to `live`.
fn kubectl_patch(live: &Value, patch: &str) -> Value {
    let dir = tree(&[("live.json", &live.to_string())]);
    let out = std::process::Command::new("kubectl")
        .current_dir(dir.path())
        .args(["patch", "--local", "-f", "live.json", "--type", "merge", "-p", patch, "-o", "json"])
        .output()
        .expect("kubectl is installed (it is on every machine of this project)");
    assert!(out.status.success(), "kubectl: {}", String::from_utf8_lossy(&out.stderr));
    json_of(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn kubectl_applies_the_patch_to_exactly_the_switched_object() {
    let live = service("blue", Some("green"));
    let (code, full, _) = switch(&["to", "green"], &live.to_string());
    assert_eq!(code, Some(0));
    let (code, patch, err) = switch(&["to", "green", "--patch"], &live.to_string());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        json_of(&patch),
        json!({
            "metadata": {
                "annotations": {"vz-switch/previous-color": "blue", "vz-switch/switched-at": NOW},
                "resourceVersion": "4711"
            },
            "spec": {"selector": {"version": "green"}}
        }),
        "only the selector key and the annotations, with the resourceVersion as a precondition"
    );
    assert_eq!(kubectl_patch(&live, patch.trim_end()), json_of(&full));
}

#[test]
fn undo_writes_the_inverse_patch() {
    let live = service("blue", None);
    let dir = tree(&[]);
    let undo = dir.path().join("undo.json");
    let out = vz_switch()
        .args(["to", "green", "--now", NOW, "--undo"])
        .arg(&undo)
        .write_stdin(live.to_string())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let switched = json_of(&String::from_utf8_lossy(&out.stdout));
    let inverse = std::fs::read_to_string(&undo).expect("undo file written");
    assert_eq!(
        json_of(&inverse),
        json!({
            "metadata": {"annotations": {"vz-switch/previous-color": null, "vz-switch/switched-at": null}},
            "spec": {"selector": {"version": "blue"}}
        })
    );
    // Days later, with no other state: kubectl restores the object exactly.
    assert_eq!(kubectl_patch(&switched, &inverse), live);
}

#[test]
fn write_replaces_the_file_in_place() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    version: green\n";
    let dir = tree(&[("svc.yaml", yaml)]);
    let out = vz_switch()
        .current_dir(dir.path())
        .args(["to", "blue", "-f", "svc.yaml", "--write", "--now", NOW])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "the result went to the file");
    let written = std::fs::read_to_string(dir.path().join("svc.yaml")).expect("read");
    assert!(written.contains("    version: blue\n"), "{written}");
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).expect("ls").filter_map(Result::ok).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");

    let out = vz_switch().args(["to", "blue", "--write"]).write_stdin(yaml).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-switch: error: --write needs --file FILE (it writes the result back there)\n"
    );
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = if i == 1 { "a".to_string() } else { format!("a{}", i - 1) };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let (code, out, err) = switch(&["current"], &bomb);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("alias"), "{err}");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (code, out, err) = switch(&["current"], &deep);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.starts_with("vz-switch: error: <stdin>:1:"), "{err}");
}

#[test]
fn a_kubectl_list_of_one_service_is_that_service() {
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": [service("blue", None)]});
    let (code, out, err) = switch(&["to", "green"], &list.to_string());
    assert_eq!(code, Some(0), "{err}");
    let svc = json_of(&out);
    assert_eq!(svc["kind"], "Service", "the object, not the List");
    assert_eq!(svc["spec"]["selector"]["version"], "green");

    let two = json!({"apiVersion": "v1", "kind": "List",
        "items": [service("blue", None), service("green", None)]});
    let (code, out, err) = switch(&["to", "green"], &two.to_string());
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("2 objects: vz-switch edits one at a time"), "{err}");
}
