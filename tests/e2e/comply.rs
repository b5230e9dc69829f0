//! vz-comply as a user runs it: vz-render's examples pass with no waivers,
//! the real manifests in ../shared/fixtures/manifests never crash it (the
//! malformed ones are named with file and line), the seed manifests give the
//! findings a reviewer expects (snapshot), waivers and baselines, the gate
//! and its exit codes, every output format from the same result, and bad
//! input of every class.

use crate::common::{example, json, outcome, require, shared_fixtures, stdout_of, tree, vz_render};
use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const NOW: &str = "2026-11-24T12:00:00Z";

/// `vz-comply`, hermetic, with a fixed "now".
fn vz_comply() -> Command {
    let mut cmd = crate::common::vz_comply();
    cmd.args(["--now", NOW]);
    cmd
}

fn manifests() -> PathBuf {
    let dir = shared_fixtures().map(|d| d.join("manifests")).unwrap_or_default();
    require(&dir, "../shared/fixtures/manifests (the shared fixtures)")
}

/// "STATUS RULE OBJECT INPUT:LINE" lines for every result that is not
/// passed or not applicable, with each violation's line, column, path and
/// message.
fn problems(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for r in report["results"].as_array().expect("results") {
        let status = r["status"].as_str().unwrap_or_default();
        if status == "passed" || status == "not-applicable" {
            continue;
        }
        let o = &r["object"];
        let object = match o["namespace"].as_str() {
            Some(ns) => format!(
                "{}/{}/{}",
                o["kind"].as_str().unwrap_or_default(),
                ns,
                o["name"].as_str().unwrap_or_default()
            ),
            None => format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or_default(),
                o["name"].as_str().unwrap_or_default()
            ),
        };
        out.push(format!(
            "{status} {} {object} {}:{}",
            r["rule"].as_str().unwrap_or_default(),
            r["input"].as_str().unwrap_or_default(),
            r["line"]
        ));
        for v in r["violations"].as_array().into_iter().flatten() {
            out.push(format!(
                "    {}:{} {}: {}",
                v["line"],
                v["column"],
                v["path"].as_str().unwrap_or_default(),
                v["message"].as_str().unwrap_or_default()
            ));
        }
        if let Some(note) = r["note"].as_str() {
            out.push(format!("    note: {note}"));
        }
    }
    out
}

#[test]
fn every_rendered_example_passes_with_no_waivers() {
    for example_dir in ["veza", "vektagraf"] {
        for env in ["development", "staging", "production"] {
            let dir = example(example_dir);
            let rendered = stdout_of(
                vz_render()
                    .current_dir(&dir)
                    .arg(env)
                    .env("VEKTAGRAF_ACTIVE_COLOR", "blue")
                    .env("VEZA_BACKEND_STABLE_TAG", "v0.9.0"),
            );
            let (code, out, err) =
                outcome(vz_comply().arg("-").args(["-o", "json"]).write_stdin(rendered));
            let report = json(&out);
            assert_eq!(code, Some(0), "{example_dir} {env}: {err}\n{:#?}", problems(&report));
            // Passing with no waivers; the one warning left is that images
            // are pinned by tag, not digest (the examples cannot know digests).
            let warnings: Vec<String> = problems(&report)
                .into_iter()
                .filter(|l| !l.starts_with(' ') && !l.starts_with("warning VZ-K8S-018 "))
                .collect();
            assert!(
                warnings.is_empty(),
                "{example_dir} {env} is not clean:\n{}",
                warnings.join("\n")
            );
            assert!(
                matches!(report["overall"].as_str(), Some("passed" | "warning")),
                "{}",
                report["overall"]
            );
        }
    }
}

#[test]
fn the_seed_manifests_give_what_a_reviewer_expects() {
    let seeds = manifests().join("seeds");
    let mut names: Vec<String> = std::fs::read_dir(&seeds)
        .expect("seeds")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "s001-helm-template-deployment.yaml")
        .collect();
    names.sort();
    names.push("app-config/s000-config-production.json".into());
    names.push("app-config/s000-config-development.json".into());
    let (code, out, err) =
        outcome(vz_comply().current_dir(&seeds).args(&names).args(["-o", "json"]));
    assert_eq!(code, Some(1), "{err}");
    let report = json(&out);
    let mut listing = problems(&report);
    listing.push(format!("skipped: {}", report["skipped"]));
    listing.push(format!("summary: {}", report["summary"]));
    insta::assert_snapshot!(listing.join("\n"));
    // The unrendered Helm template is not YAML: exit 2, the file and line named.
    let (code, out, err) =
        outcome(vz_comply().current_dir(&seeds).arg("s001-helm-template-deployment.yaml"));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-comply: error: s001-helm-template-deployment.yaml:"), "{err}");
}

/// Every file of the public corpus: a report (exit 0 or 1) or, for the
/// files that are not YAML, exit 2 naming the file and line; never a crash.
#[test]
fn no_real_manifest_crashes_it() {
    let dir = manifests();
    let refused = [
        "argocd-example-apps/blue-green__rollout.yaml",
        "checkov-tests/parser__examples__yaml__helm.yaml",
        "gcp-microservices-demo/helm-chart__frontend.yaml",
        "kube-linter/pkg__command__lint__testdata__invalid.yaml",
        "kubernetes-goat/infrastructure__helm-tiller__pwnchart__clusterrolebinding.yaml",
        "seeds/s001-helm-template-deployment.yaml",
        // `name: 1` and `namespace: 2`: numbers, which the API server refuses too.
        "kubesec/multi.yaml",
    ];
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().filter_map(Result::ok)
    {
        let path = entry.path();
        if !path.extension().is_some_and(|e| e == "yaml" || e == "json") {
            continue;
        }
        seen += 1;
        let rel = path.strip_prefix(&dir).expect("under dir").display().to_string();
        let (code, out, err) =
            outcome(vz_comply().current_dir(&dir).arg(&rel).args(["-o", "json"]));
        if refused.contains(&rel.as_str()) {
            assert_eq!((code, out.as_str()), (Some(2), ""), "{rel}: {err}");
            // `error: FILE:LINE:` or, for several problems, `  FILE:LINE:` on each.
            let prefix = format!("{rel}:");
            let line = err
                .find(&prefix)
                .and_then(|i| err[i + prefix.len()..].split(':').next())
                .and_then(|l| l.parse::<usize>().ok());
            assert!(line.is_some_and(|l| l > 0), "{rel}: no line in {err}");
            continue;
        }
        assert!(matches!(code, Some(0 | 1)), "{rel}: exit {code:?}\n{err}");
        assert!(!err.contains("panicked"), "{rel}: {err}");
        json(&out);
    }
    assert!(seen >= 140, "{seen} files");
}

#[test]
fn cronjob_templates_crds_and_malformed_specs() {
    let dir = manifests();
    // checkov misses CronJob templates (checkov#2222); vz reads jobTemplate.
    let (code, out, _) = outcome(vz_comply().current_dir(&dir).args([
        "k8s-website/application__job__cronjob.yaml",
        "-o",
        "json",
    ]));
    assert_eq!(code, Some(1));
    let listing = problems(&json(&out));
    assert!(
        listing.contains(&"    12:13 spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsNonRoot: container \"hello\" may run as root: neither runAsNonRoot nor a non-zero runAsUser is set".to_string()),
        "{listing:#?}"
    );
    // containers: not a list → an error result, not a crash.
    let (code, out, _) = outcome(vz_comply().current_dir(&dir).args([
        "checkov-tests/example_RootContainers__rootContainersFAILED-malformed-spec.yaml",
        "-o",
        "json",
    ]));
    assert_eq!(code, Some(1));
    let report = json(&out);
    assert_eq!(report["overall"], "error");
    // An unknown kind is skipped with a note on stderr.
    let (code, out, err) =
        outcome(vz_comply().current_dir(&dir).args(["kubesec/invalid-type.yaml", "-o", "json"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        json(&out)["skipped"],
        serde_json::json!([{"apiVersion": "apps/v1", "kind": "Deployment2", "count": 1}])
    );
    assert_eq!(
        err,
        "vz-comply: skipped objects of kinds no rule covers: Deployment2.apps (1) (a --locator KIND.group=POINTER checks a kind's pod spec)\n"
    );
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  annotations:
    vz.dev/waive: |
      VZ-K8S-002 until 2027-01-31: writes its cache to the root filesystem
      VZ-K8S-010 until 2026-01-01: old waiver
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: registry.example.com/web:1.2@sha256:0123
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
      livenessProbe: {httpGet: {path: /, port: 80}}
      readinessProbe: {httpGet: {path: /, port: 80}}
";

#[test]
fn annotation_waivers_apply_until_they_expire() {
    let dir = tree(&[("pod.yaml", POD)]);
    let (code, out, err) =
        outcome(vz_comply().current_dir(dir.path()).args(["pod.yaml", "-o", "json"]));
    let report = json(&out);
    assert_eq!(
        problems(&report),
        [
            "failed VZ-K8S-025 Pod/shop/web pod.yaml:1",
            "    1:1 : no NetworkPolicy in namespace shop in the input, so its pods accept traffic from anywhere",
            "waived VZ-K8S-002 Pod/shop/web pod.yaml:1",
            "    17:9 spec.containers[0].securityContext.readOnlyRootFilesystem: container \"app\" has a writable root filesystem",
        ]
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(report["waivers"]["expired"][0]["rule"], "VZ-K8S-010");
    assert!(
        err.contains(
            "vz-comply: warning: waiver for VZ-K8S-010 on Pod/shop/web expired on 2026-01-01"
        ),
        "{err}"
    );
    assert_eq!(report["results"][1]["waiver"]["reason"], "writes its cache to the root filesystem");
}

#[test]
fn the_gate_and_every_format_agree() {
    let dir = manifests();
    let file = "k8s-website/pods__security__security-context-4.yaml";
    for format in ["json", "table", "sarif", "junit", "markdown"] {
        let (code, out, err) = outcome(vz_comply().current_dir(&dir).args([file, "-o", format]));
        assert_eq!(code, Some(1), "{format}: {err}");
        assert!(!out.is_empty(), "{format}");
    }
    let (code, _, _) =
        outcome(vz_comply().current_dir(&dir).args([file, "--only", "VZ-K8S-015,VZ-K8S-016"]));
    assert_eq!(code, Some(0), "warnings pass --fail-on failed");
    let (code, _, _) = outcome(vz_comply().current_dir(&dir).args([
        file,
        "--only",
        "VZ-K8S-015,VZ-K8S-016",
        "--fail-on",
        "warning",
    ]));
    assert_eq!(code, Some(1), "warnings fail --fail-on warning");
}

#[test]
fn a_baseline_leaves_out_what_was_already_failing() {
    let dir = manifests();
    let file = "k8s-website/pods__security__security-context-4.yaml";
    let base = outcome(vz_comply().current_dir(&dir).args([file, "-o", "json"])).1;
    let tmp = tree(&[("base.json", &base)]);
    let (code, out, err) = outcome(
        vz_comply()
            .current_dir(&dir)
            .args([file, "-o", "json", "--baseline"])
            .arg(tmp.path().join("base.json")),
    );
    assert_eq!(code, Some(0), "{err}");
    let report = json(&out);
    assert!(problems(&report).is_empty());
    assert!(report["baseline"]["existing"].as_u64().unwrap_or_default() > 3);
}

#[test]
fn frameworks_restrict_rules_and_report_coverage() {
    let dir = manifests();
    let (_, out, err) = outcome(vz_comply().current_dir(&dir).args([
        "k8s-website/pods__security__security-context-4.yaml",
        "-o",
        "json",
        "--framework",
        "gdpr,hipaa",
    ]));
    let report = json(&out);
    let frameworks: Vec<&str> = report["frameworks"]
        .as_array()
        .expect("frameworks")
        .iter()
        .filter_map(|f| f["framework"].as_str())
        .collect();
    // In the catalogue's order, whatever the order given.
    assert_eq!(frameworks, ["hipaa", "gdpr"], "{err}");
    let (code, out, err) = outcome(vz_comply().args(["--framework", "pcidss4", "--list-rules"]));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-comply: error: "), "{err}");
}

#[test]
fn a_stream_of_json_objects_is_read_and_each_finding_located_in_it() {
    // `kubectl get -o json` per object, concatenated.
    let stream = "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"},\n  \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"nginx:1.27\",\n    \"securityContext\": {\"privileged\": true}}]}\n}\n";
    let dir = tree(&[("stream.json", stream)]);
    let (code, out, err) =
        outcome(vz_comply().current_dir(dir.path()).args(["stream.json", "-o", "sarif"]));
    assert_eq!(code, Some(1), "{err}");
    let sarif = json(&out);
    let privileged = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "VZ-K8S-005")
        .expect("the privileged container is found");
    let region = &privileged["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(7), Some(39)));
}

#[test]
fn bad_input_is_exit_2_with_the_place_and_nothing_on_stdout() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage.yaml", "kind: Pod\n  metadata: : [\n".into(), "garbage.yaml:"),
        (
            "truncated.json",
            "{\"kind\": \"Pod\", \"metadata\": {\"name\": ".into(),
            "truncated.json:1:",
        ),
        ("bomb.yaml", bomb.into(), "bomb.yaml"),
        ("deep.json", deep, "deep.json"),
        ("missing.yaml", String::new(), "missing.yaml: no such file or directory"),
        (
            "kind.yaml",
            "apiVersion: v1\nkind: 5\nmetadata: {name: x}\n".into(),
            "kind.yaml:2:7: kind: expected text",
        ),
        (
            "labels.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [a]\n".into(),
            "labels.yaml:5:11: metadata.labels: expected a mapping",
        ),
    ];
    let dir = tree(
        &cases
            .iter()
            .filter(|c| c.0 != "missing.yaml")
            .map(|c| (c.0, c.1.as_str()))
            .collect::<Vec<_>>(),
    );
    for (name, _, expected) in &cases {
        let (code, out, err) = outcome(vz_comply().current_dir(dir.path()).arg(name));
        assert_eq!((code, out.as_str()), (Some(2), ""), "{name}: {err}");
        assert!(err.starts_with(&format!("vz-comply: error: {expected}")), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    // Empty input is no objects: a passing report.
    let (code, out, _) = outcome(vz_comply().arg("-").args(["-o", "json"]).write_stdin(""));
    assert_eq!(code, Some(0));
    assert_eq!(json(&out)["summary"]["objects"], 0);
    // Standard input named twice is a usage error, whatever is piped in.
    let (code, out, err) = outcome(vz_comply().args(["-", "-"]).write_stdin("kind: Pod\n"));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(
        err.starts_with("vz-comply: error: standard input (`-`) can be read only once"),
        "{err}"
    );
}

#[test]
fn bad_rules_waivers_and_annotations_are_exit_2_naming_the_place() {
    let rules_bad_schema = "rules:\n  - id: ACME-001\n    title: t\n    severity: low\n    message: m\n    match: {kinds: [Pod]}\n    require: {type: 12}\n";
    let waivers_unknown_field = "waivers:\n  - rule: VZ-K8S-001\n    reason: r\n    owner: o\n    expires: 2027-01-01\n    namespce: x\n";
    let pod_bad_annotation = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    vz.dev/waive: VZ-K8S-001 forever\nspec: {containers: []}\n";
    let dir = tree(&[
        ("rules.yaml", rules_bad_schema),
        ("waivers.yaml", waivers_unknown_field),
        ("pod.yaml", pod_bad_annotation),
        ("ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"),
    ]);
    let run = |args: &[&str]| outcome(vz_comply().current_dir(dir.path()).args(args));
    let (code, out, err) = run(&["ok.yaml", "--rules", "rules.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-comply: error: rules.yaml:7:"), "{err}");
    assert!(err.contains("ACME-001"), "{err}");
    // Inputs are read while the rules are built; a mistake in the rules is
    // still the one reported, as if they were read first.
    let (code, out, err) = run(&["missing.yaml", "pod.yaml", "--rules", "rules.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-comply: error: rules.yaml:7:"), "{err}");
    let (code, out, err) = run(&["missing.yaml", "--waivers", "waivers.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-comply: error: waivers.yaml:6:5:"), "{err}");
    let (code, out, err) = run(&["ok.yaml", "--waivers", "waivers.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(
        err.starts_with("vz-comply: error: waivers.yaml:6:5: waivers[0].namespce: unknown field"),
        "{err}"
    );
    let (code, out, err) = run(&["pod.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(
        err.starts_with("vz-comply: error: pod.yaml:6:19: metadata.annotations[\"vz.dev/waive\"]:"),
        "{err}"
    );
    let (code, out, err) = run(&["ok.yaml", "--only", "VZ-K8S-0001"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("no rule has the id VZ-K8S-0001"), "{err}");
    let (code, _, err) = run(&["ok.yaml", "--locator", "Workflow"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("KIND=POINTER"), "{err}");
}

#[test]
fn list_rules_names_every_rule_with_its_aliases_and_controls() {
    let rules = json(&stdout_of(vz_comply().args(["--list-rules", "-o", "json"])));
    let ids: Vec<&str> =
        rules.as_array().expect("rules").iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), 35, "{ids:?}");
    assert!(ids.contains(&"VZ-K8S-001") && ids.contains(&"VZ-APP-007"));
    for r in rules.as_array().expect("rules") {
        assert!(
            !r["controls"].as_array().expect("controls").is_empty(),
            "{} serves no control",
            r["id"]
        );
    }
}

const WAIVERS: &str = "waivers:
  - rule: VZ-K8S-002
    kind: Pod
    name: web*
    reason: writes its cache to the root filesystem
    owner: web-team
    expires: 2027-01-31
    ticket: SEC-1
  - rule: VZ-K8S-010
    namespace: shop
    reason: old waiver
    owner: web-team
    expires: 2026-01-01
  - rule: VZ-K8S-005
    namespace: legacy
    reason: the legacy agent needs it
    owner: ops
    expires: 2027-06-30
";

#[test]
fn file_waivers_apply_expire_and_go_unused() {
    let pod = POD.replace("  annotations:\n    vz.dev/waive: |\n      VZ-K8S-002 until 2027-01-31: writes its cache to the root filesystem\n      VZ-K8S-010 until 2026-01-01: old waiver\n", "");
    assert!(!pod.contains("vz.dev/waive"));
    let dir = tree(&[("pod.yaml", &pod), ("waivers.yaml", WAIVERS)]);
    let (code, out, err) = outcome(vz_comply().current_dir(dir.path()).args([
        "pod.yaml",
        "--waivers",
        "waivers.yaml",
        "-o",
        "json",
    ]));
    assert_eq!(code, Some(1), "{err}");
    let report = json(&out);
    let waived: Vec<&Value> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "waived")
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(
        waived[0]["waiver"],
        serde_json::json!({"reason": "writes its cache to the root filesystem", "owner": "web-team",
            "expires": "2027-01-31", "source": "waivers.yaml:2:5 (SEC-1)"})
    );
    let rules = |list: &str| -> Vec<String> {
        report["waivers"][list]
            .as_array()
            .expect(list)
            .iter()
            .map(|w| format!("{} {}", w["rule"], w["selector"]))
            .collect()
    };
    assert_eq!(rules("expired"), ["\"VZ-K8S-010\" \"namespace=shop\""]);
    assert_eq!(rules("unused"), ["\"VZ-K8S-005\" \"namespace=legacy\""]);
    assert_eq!(
        err,
        "vz-comply: warning: waiver for VZ-K8S-010 on namespace=shop expired on 2026-01-01 (waivers.yaml:9:5)\n"
    );
}

/// JSON, SARIF, JUnit, Markdown and the table count the same problems.
#[test]
fn every_format_tells_the_same_story() {
    let dir = manifests();
    let file = "istio/security__spire__spire-quickstart.yaml";
    let run = |format: &str| {
        outcome(vz_comply().current_dir(&dir).args([file, "-o", format, "--color", "never"]))
    };
    let report = json(&run("json").1);
    let count =
        |status: &str| report["summary"]["by_status"][status].as_u64().unwrap_or_default() as usize;
    let (failed, warning, error, waived) =
        (count("failed"), count("warning"), count("error"), count("waived"));
    assert!(failed > 10, "{failed}");
    let sarif = json(&run("sarif").1);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let level = |l: &str| {
        results.iter().filter(|r| r["level"] == l && r.get("suppressions").is_none()).count()
    };
    assert_eq!((level("error"), level("warning")), (failed + error, warning));
    // Each problem stands where SARIF puts it: the first violation's line
    // and column, or the object's first line.
    let spot = |r: &Value| {
        let at = &r["locations"][0]["physicalLocation"];
        (at["artifactLocation"]["uri"].clone(), at["region"]["startLine"].clone())
    };
    let in_sarif: Vec<_> = results.iter().map(spot).collect();
    let in_json: Vec<_> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| !matches!(r["status"].as_str(), Some("passed" | "not-applicable")))
        .map(|r| {
            let line = r["violations"][0].get("line").unwrap_or(&r["line"]);
            (r["input"].clone(), line.clone())
        })
        .collect();
    assert_eq!(in_json, in_sarif);
    assert!(in_json.iter().all(|(input, line)| input == file && line.as_u64() > Some(0)));
    let junit = run("junit").1;
    let attr = |name: &str| -> usize {
        let start = junit.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        junit[start..].split('"').next().and_then(|n| n.parse().ok()).expect("number")
    };
    assert_eq!((attr("failures"), attr("errors")), (failed, error));
    let markdown = run("markdown").1;
    assert!(markdown.contains(&format!("| {failed} |")), "{markdown}");
    let table = run("table").1;
    let last = table.lines().last().unwrap_or_default();
    assert!(last.starts_with(&format!("overall: failed — {failed} failed")), "{last}");
    // No waivers here: nothing is reported as suppressed either.
    assert_eq!(waived, 0);
    assert!(results.iter().all(|r| r.get("suppressions").is_none()));
}
