//! vz-scan-merge on the bundled example (Trivy, Grype and Snyk on one image):
//! the merge, the gate and its exit codes, every output format, the ignore
//! list, baselines, standard input, and bad input of every class.

use crate::common::{example, json, outcome, stdout_of, tree, vz_scan_merge};
use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const NOW: &str = "2026-11-23T12:00:00Z";

fn scan(name: &str) -> PathBuf {
    example(&format!("scan/{name}"))
}

/// vz-scan-merge on the three example reports with the example ignore list.
fn three() -> Command {
    // Relative names, so that outputs (snapshots) do not depend on where
    // the repository is checked out.
    let mut cmd = vz_scan_merge();
    cmd.current_dir(example("scan")).args([
        "trivy.json",
        "grype.json",
        "snyk.json",
        "--ignore-file",
        ".vz-ignore.yaml",
        "--now",
        NOW,
    ]);
    cmd
}

/// (id, package, severity, sources) of every finding of a JSON report.
fn summary(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let sources: Vec<&str> = f["sources"]
                .as_array()
                .expect("sources")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            (
                f["id"].as_str().unwrap_or_default().to_string(),
                f["package"]["name"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                sources.join(","),
            )
        })
        .collect()
}

fn row(id: &str, package: &str, severity: &str, sources: &str) -> (String, String, String, String) {
    (id.into(), package.into(), severity.into(), sources.into())
}

#[test]
fn three_scanners_of_one_image_merge_into_one_report() {
    let (code, out, err) = outcome(three().args(["-o", "json"]));
    assert_eq!(code, Some(0), "{err}");
    let report = json(&out);
    assert_eq!(
        summary(&report),
        [
            row("CVE-2023-45853", "zlib1g", "critical", "trivy,grype,snyk"),
            row("CVE-2023-4911", "libc-bin", "high", "trivy"),
            row("CVE-2023-4911", "libc6", "high", "trivy,grype,snyk"),
            row("CVE-2024-37890", "ws", "high", "grype"),
            row("CVE-2024-29041", "express", "medium", "trivy,grype,snyk"),
        ]
    );
    // The expired entry hides nothing and is named on stderr.
    assert_eq!(
        err,
        "vz-scan-merge: warning: .vz-ignore.yaml:9:5: the ignore entry for CVE-2023-45853 expired on 2026-10-31; it hides nothing now (1 finding)\n"
    );
    insta::assert_snapshot!(
        "scan_three_json",
        out.replace(&example("scan").display().to_string(), "EXAMPLES")
    );
}

#[test]
fn the_gate_exits_1_at_or_above_the_threshold_whatever_the_format() {
    let cases: [(&[&str], i32, &str); 7] = [
        (&["--fail-on", "critical"], 1, "1 finding at or above critical"),
        (&["--fail-on", "high"], 1, "4 findings at or above high"),
        (&["--fail-on", "high", "--fixable-only"], 1, "3 findings at or above high (fixable)"),
        (
            &["--fail-on", "high", "--require-consensus", "2"],
            1,
            "2 findings at or above high (reported by at least 2 scanners)",
        ),
        (&["--fail-on", "critical", "--fixable-only"], 0, ""),
        (&["--fail-on", "medium", "--require-consensus", "4"], 0, ""),
        (&[], 0, ""),
    ];
    for (args, want, message) in cases {
        for format in ["json", "sarif", "csv", "markdown", "table"] {
            let (code, out, err) = outcome(three().args(args).args(["-o", format]));
            assert_eq!(code, Some(want), "{args:?} -o {format}: {err}");
            assert!(
                !out.is_empty(),
                "{args:?} -o {format}: the report is written even when the gate fails"
            );
            let last = err.lines().last().unwrap_or_default();
            if want == 1 {
                assert_eq!(
                    last,
                    format!("vz-scan-merge: gate failed: {message}"),
                    "{args:?} -o {format}"
                );
            } else {
                assert!(!err.contains("gate failed"), "{err}");
            }
        }
    }
}

#[test]
fn standard_input_may_hold_several_reports_one_after_another() {
    let mut stream = String::new();
    for f in ["trivy.json", "grype.json", "snyk.json"] {
        stream.push_str(&std::fs::read_to_string(scan(f)).expect("read"));
        stream.push('\n');
    }
    let from_stdin =
        json(&stdout_of(vz_scan_merge().args(["-o", "json", "--now", NOW]).write_stdin(stream)));
    let from_files = json(&stdout_of(
        vz_scan_merge()
            .arg(scan("trivy.json"))
            .arg(scan("grype.json"))
            .arg(scan("snyk.json"))
            .args(["-o", "json"]),
    ));
    assert_eq!(from_stdin["findings"], from_files["findings"]);
    let inputs: Vec<(String, u64)> = from_stdin["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["input"].as_str().unwrap_or_default().to_string(),
                i["document"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        inputs,
        [("<stdin>".to_string(), 1), ("<stdin>".to_string(), 2), ("<stdin>".to_string(), 3)]
    );
}

#[test]
fn the_output_does_not_depend_on_input_order_and_a_report_twice_is_read_once() {
    let run = |names: &[&str]| {
        outcome(
            vz_scan_merge()
                .current_dir(example("scan"))
                .args(names)
                .args(["-o", "json", "--now", NOW]),
        )
    };
    let (code, forward, _) = run(&["trivy.json", "grype.json", "snyk.json"]);
    assert_eq!(code, Some(0));
    let (_, backward, _) = run(&["snyk.json", "grype.json", "trivy.json"]);
    assert_eq!(forward, backward, "same bytes for any input order");
    let (code, twice, err) = run(&["trivy.json", "grype.json", "snyk.json", "grype.json"]);
    assert_eq!(code, Some(0));
    assert_eq!(twice, forward, "merging a report with itself changes nothing");
    assert_eq!(
        err,
        "vz-scan-merge: grype.json document 1: the same report as one read before; read once\n"
    );
}

#[test]
fn every_output_format_renders_the_same_result() {
    for format in ["csv", "markdown", "table"] {
        let out = stdout_of(three().args(["-o", format]));
        insta::assert_snapshot!(format!("scan_three_{format}"), out);
    }
}

#[test]
fn the_audit_of_the_ignore_list_names_expired_and_unused_entries() {
    let dir = tree(&[(
        "ignore.yaml",
        "ignores:\n  - id: CVE-2023-45853\n    reason: not shipped\n    expires: 2026-10-31\n  - id: CVE-1999-0001\n    reason: left over\n  - id: GHSA-rv95-896h-c2vc\n    reason: redirects are not used\n",
    )]);
    let ignore = dir.path().join("ignore.yaml");
    let (code, out, _) =
        outcome(vz_scan_merge().arg(scan("trivy.json")).arg("--ignore-file").arg(&ignore).args([
            "--audit-ignores",
            "--now",
            NOW,
        ]));
    assert_eq!(code, Some(1));
    let at = |line: u32| format!("{}:{line}:5", ignore.display());
    assert_eq!(
        json(&out),
        serde_json::json!({
            "expired": [{"id": "CVE-2023-45853", "reason": "not shipped", "expires": "2026-10-31", "at": at(2), "matches": 1}],
            "unused": [{"id": "CVE-1999-0001", "reason": "left over", "at": at(5), "matches": 0}]
        })
    );
    // The GHSA entry hid express's CVE through its alias.
    let report = json(&stdout_of(
        vz_scan_merge()
            .arg(scan("trivy.json"))
            .arg("--ignore-file")
            .arg(&ignore)
            .args(["-o", "json", "--now", NOW]),
    ));
    assert_eq!(report["ignored"][0]["id"], "CVE-2024-29041");
    assert_eq!(report["ignored"][0]["suppressed_by"]["reason"], "redirects are not used");
}

#[test]
fn a_baseline_marks_new_and_unchanged_findings_and_lists_the_fixed() {
    // The baseline: Trivy alone, a week ago.
    let before = stdout_of(vz_scan_merge().arg(scan("trivy.json")).args(["-o", "json"]));
    let dir = tree(&[("before.json", &before)]);
    let base = dir.path().join("before.json");
    // Now: Grype alone (it does not see libc-bin, and sees ws).
    let (code, out, err) = outcome(
        vz_scan_merge().arg(scan("grype.json")).arg("--baseline").arg(&base).args(["-o", "json"]),
    );
    assert_eq!(code, Some(0), "{err}");
    let report = json(&out);
    let marks: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().into(),
                f["package"]["name"].as_str().unwrap_or_default().into(),
                f["baseline"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    let mark = |id: &str, p: &str, s: &str| (id.to_string(), p.to_string(), s.to_string());
    assert_eq!(
        marks,
        [
            mark("CVE-2023-4911", "libc6", "unchanged"),
            mark("CVE-2024-37890", "ws", "new"),
            mark("CVE-2024-29041", "express", "unchanged"),
            mark("CVE-2011-3374", "libapt-pkg6.0", "unchanged"),
            mark("CVE-2023-45853", "zlib1g", "unchanged"),
        ]
    );
    let fixed: Vec<&str> = report["fixed"]
        .as_array()
        .expect("fixed")
        .iter()
        .filter_map(|f| f["package"]["name"].as_str())
        .collect();
    assert_eq!(fixed, ["libc-bin"]);
    // Only the new finding counts with --only-new.
    let gate = |extra: &[&str]| {
        outcome(
            vz_scan_merge()
                .arg(scan("grype.json"))
                .arg("--baseline")
                .arg(&base)
                .args(["--fail-on", "high"])
                .args(extra),
        )
        .0
    };
    assert_eq!(gate(&[]), Some(1));
    assert_eq!(gate(&["--only-new"]), Some(1));
    let only_old =
        outcome(vz_scan_merge().arg(scan("trivy.json")).arg("--baseline").arg(&base).args([
            "--fail-on",
            "low",
            "--only-new",
        ]));
    assert_eq!(only_old.0, Some(0), "{}", only_old.2);
}

#[test]
fn sarif_is_one_run_with_stable_fingerprints_across_image_tags() {
    let sarif = json(&stdout_of(three().args(["-o", "sarif", "--category", "image/shop-api"])));
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["tool"]["driver"]["name"], "vz-scan-merge");
    assert_eq!(runs[0]["automationDetails"]["id"], "image/shop-api/");
    let extensions: Vec<&str> = runs[0]["tool"]["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(extensions, ["trivy", "grype", "snyk"]);
    assert_eq!(runs[0]["results"].as_array().expect("results").len(), 5);

    // The same scan of the next tag: the same fingerprints.
    let retag =
        |name: &str| std::fs::read_to_string(scan(name)).expect("read").replace("1.4.2", "1.4.3");
    let dir = tree(&[
        ("t.json", &retag("trivy.json")),
        ("g.json", &retag("grype.json")),
        ("s.json", &retag("snyk.json")),
    ]);
    let next = json(&stdout_of(
        vz_scan_merge()
            .arg(dir.path().join("t.json"))
            .arg(dir.path().join("g.json"))
            .arg(dir.path().join("s.json"))
            .arg("--ignore-file")
            .arg(scan(".vz-ignore.yaml"))
            .args(["-o", "sarif", "--now", NOW]),
    ));
    let prints = |s: &Value| -> Vec<String> {
        s["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(prints(&sarif), prints(&next));
    assert!(prints(&sarif).iter().all(|p| p.len() == 32));
}

#[test]
fn severity_policies_and_disagreements() {
    let sev = |policy: &str| -> Vec<String> {
        let r = json(&stdout_of(three().args(["-o", "json", "--severity", policy])));
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["package"]["name"].as_str().unwrap_or_default(),
                    f["severity"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    assert!(sev("max").contains(&"zlib1g critical".to_string()));
    // Debian calls it unimportant (Grype: Negligible, Snyk: low); Trivy took NVD's rating.
    assert!(sev("vendor").contains(&"zlib1g low".to_string()), "{:?}", sev("vendor"));
    assert!(sev("source-order:snyk,trivy").contains(&"zlib1g low".to_string()));
    let r = json(&stdout_of(three().args(["-o", "json"])));
    assert_eq!(
        r["disagreements"],
        serde_json::json!([{
            "id": "CVE-2023-45853", "package": "zlib1g", "target": "shop/api", "chosen": "critical",
            "ratings": [{"source": "trivy", "severity": "critical"}, {"source": "grype", "severity": "low"}, {"source": "snyk", "severity": "low"}]
        }])
    );
    let (code, out, err) = outcome(three().args(["--severity", "loudest"]));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("`loudest`: expected max, vendor or source-order:SCANNER,…"), "{err}");
}

/// Runs vz-scan-merge on one input file holding `text`: (code, stdout, stderr
/// with the temporary path replaced by `IN`).
fn on_text(text: &[u8], extra: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.json");
    std::fs::write(&path, text).expect("write");
    let (code, out, err) = outcome(vz_scan_merge().arg(&path).args(extra).args(["-o", "json"]));
    (code, out, err.replace(&path.display().to_string(), "IN"))
}

#[test]
fn bad_input_is_an_error_naming_the_input_and_nothing_else() {
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let cases: Vec<(Vec<u8>, String)> = vec![
        (b"".to_vec(), "IN: empty input: expected a scanner report (JSON)".into()),
        (b"   \n\n".to_vec(), "IN: empty input: expected a scanner report (JSON)".into()),
        (b"garbage".to_vec(), "IN:1:1: not valid JSON: expected value".into()),
        (b"{\"SchemaVersion\": 2, \"Results\": [".to_vec(), "IN:1:33: not valid JSON: EOF while parsing a list".into()),
        (b"matches: []\n".to_vec(), "IN:1:1: not valid JSON: expected value".into()),
        (
            b"{\"apiVersion\": \"v1\", \"kind\": \"Service\"}".to_vec(),
            "IN:1:1: not a report vz-scan-merge knows: an object without the keys of Trivy, Grype, Snyk, SARIF 2.1.0, OSV-Scanner or npm audit JSON (name the format with --from if it is one of them)".into(),
        ),
        (b"42".to_vec(), "IN:1:1: not a report vz-scan-merge knows: a JSON scalar without the keys of Trivy, Grype, Snyk, SARIF 2.1.0, OSV-Scanner or npm audit JSON (name the format with --from if it is one of them)".into()),
        (
            br#"{"ok": false, "error": "Could not detect supported target files in /src", "path": "/src"}"#.to_vec(),
            "IN:1:1: this is Snyk's error report, not findings: Could not detect supported target files in /src".into(),
        ),
        (
            br#"{"error": {"code": "ENOLOCK", "summary": "This command requires an existing lockfile."}}"#.to_vec(),
            "IN:1:1: this is an error report, not findings: This command requires an existing lockfile.".into(),
        ),
        (
            br#"{"version": "2.0.0", "runs": []}"#.to_vec(),
            "IN:1:1: SARIF version \"2.0.0\" is not supported; expected \"2.1.0\"".into(),
        ),
        // Deep nesting is skipped without recursion (no stack to overflow) and is no report.
        (deep.into_bytes(), "IN:1:1: not a report vz-scan-merge knows: an array without the keys of Trivy, Grype, Snyk, SARIF 2.1.0, OSV-Scanner or npm audit JSON (name the format with --from if it is one of them)".into()),
        (deep_object.into_bytes(), "IN:1:1: not a report vz-scan-merge knows: an object without the keys of Trivy, Grype, Snyk, SARIF 2.1.0, OSV-Scanner or npm audit JSON (name the format with --from if it is one of them)".into()),
        (b"\xff\xfe{}".to_vec(), "IN:1:1: not UTF-8 text (invalid byte at offset 0)".into()),
    ];
    for (text, want) in cases {
        let (code, out, err) = on_text(&text, &[]);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (Some(2), "", format!("vz-scan-merge: error: {want}\n").as_str()),
            "input {:?}",
            String::from_utf8_lossy(&text)
        );
    }
}

#[test]
fn a_field_of_the_wrong_type_is_named_with_its_path() {
    let (code, out, err) = on_text(br#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": 7}]}]}"#, &[]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-scan-merge: error: IN:1:"), "{err}");
    assert!(
        err.contains(
            "Results[0].Vulnerabilities[0].VulnerabilityID: invalid type: integer `7`, expected"
        ),
        "{err}"
    );
    // --from that does not fit the document.
    let (code, out, err) = on_text(br#"{"matches": []}"#, &["--from", "trivy"]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert_eq!(
        err,
        "vz-scan-merge: error: IN:1:1: --from trivy: this is Grype JSON, not Trivy JSON\n"
    );
    // --from on a document detection cannot tell: parsed as told, and a
    // document too deep for a report is an error, not a crash.
    let deep =
        format!("{{\"SchemaVersion\": 2, \"Results\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let (code, out, err) = on_text(deep.as_bytes(), &["--from", "trivy"]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("recursion limit exceeded") || err.contains("invalid type"), "{err}");
}

#[test]
fn null_and_empty_reports_are_reports_with_no_findings() {
    for text in [
        "null",
        "[]",
        r#"{"SchemaVersion": 2, "ArtifactName": "app:1", "ArtifactType": "container_image", "Results": []}"#,
    ] {
        let (code, out, err) = on_text(text.as_bytes(), &["--fail-on", "low"]);
        assert_eq!(code, Some(0), "{text}: {err}");
        assert_eq!(json(&out)["counts"]["total"], 0, "{text}");
    }
}

#[test]
fn keep_going_reports_bad_inputs_and_merges_the_rest() {
    let dir = tree(&[("broken.json", "{\"matches\": ["), ("unknown.json", "{\"hello\": 1}")]);
    let (code, out, err) = outcome(
        vz_scan_merge()
            .arg(dir.path().join("broken.json"))
            .arg(scan("trivy.json"))
            .arg(dir.path().join("missing.json"))
            .arg(dir.path().join("unknown.json"))
            .args(["--keep-going", "--fail-on", "critical", "-o", "json"]),
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(json(&out)["counts"]["total"], 5);
    let d = dir.path().display().to_string();
    let lines: Vec<String> = err.lines().map(|l| l.replace(&d, "DIR")).collect();
    assert_eq!(
        lines,
        [
            "vz-scan-merge: warning: skipped: DIR/missing.json: no such file or directory",
            "vz-scan-merge: warning: skipped: DIR/broken.json:1:13: not valid JSON: EOF while parsing a list",
            "vz-scan-merge: warning: skipped: DIR/unknown.json:1:1: not a report vz-scan-merge knows: an object without the keys of Trivy, Grype, Snyk, SARIF 2.1.0, OSV-Scanner or npm audit JSON (name the format with --from if it is one of them)",
            "vz-scan-merge: gate failed: 1 finding at or above critical",
        ]
    );
    // Without --keep-going the first bad input is the answer.
    let (code, out, err) =
        outcome(vz_scan_merge().arg(scan("trivy.json")).arg(dir.path().join("missing.json")));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err.replace(&d, "DIR"),
        "vz-scan-merge: error: DIR/missing.json: no such file or directory\n"
    );
}

#[test]
fn bad_ignore_and_baseline_files_are_errors_before_anything_is_read() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    let dir = tree(&[
        ("typo.yaml", "ignores:\n  - id: CVE-1\n    reson: x\n"),
        ("bomb.yaml", bomb),
        ("broken.yaml", "ignores: [\n"),
        ("base.json", "{\"findings\": [{\"id\": 1}]}"),
    ]);
    let d = dir.path().display().to_string();
    let run = |args: &[&str]| {
        let (code, out, err) =
            outcome(vz_scan_merge().arg(scan("trivy.json")).args(args).current_dir(dir.path()));
        (code, out, err.replace(&d, "DIR"))
    };
    let (code, out, err) = run(&["--ignore-file", "typo.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "vz-scan-merge: error: 2 problems:\n  typo.yaml:3:5: ignores[0].reson: unknown field `reson`; expected one of id, package, target, reason, owner, expires, purl (did you mean `reason`?)\n  typo.yaml:2:5: ignores[0].reason: every entry needs a reason (why it is safe to ignore), for the next reader\n"
    );
    let (code, out, err) = run(&["--ignore-file", "bomb.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.starts_with("vz-scan-merge: error: bomb.yaml"), "{err}");
    let (code, out, err) = run(&["--ignore-file", "broken.yaml"]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.starts_with("vz-scan-merge: error: broken.yaml:"), "{err}");
    let (code, out, err) = run(&["--ignore-file", "nothing.yaml"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (Some(2), "", "vz-scan-merge: error: nothing.yaml: no such file or directory\n")
    );
    let (code, out, err) = run(&["--baseline", "base.json"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "vz-scan-merge: error: base.json:1:22: findings[0].id: invalid type: integer `1`, expected a string (a baseline is the JSON output of an earlier vz-scan-merge run)\n"
    );
    let (code, _, err) = run(&["--only-new"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--baseline <FILE>"), "{err}");
}

/// `scripts/security-gate.sh` with the built binary, from `dir`.
fn security_gate(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    outcome(
        crate::common::hermetic("bash")
            .arg(crate::common::root().join("scripts/security-gate.sh"))
            .args(args)
            .env("VZ_SCAN_MERGE", env!("CARGO_BIN_EXE_vz-scan-merge"))
            .env("VZ_NOW", NOW)
            .current_dir(dir),
    )
}

#[test]
fn the_security_gate_script_writes_three_reports_and_exits_with_the_gate() {
    let dir = tree(&[]);
    let ex = example("scan");
    std::fs::copy(ex.join(".vz-ignore.yaml"), dir.path().join(".vz-ignore.yaml")).expect("copy");
    let reports: Vec<String> = ["trivy.json", "grype.json", "snyk.json"]
        .iter()
        .map(|f| ex.join(f).display().to_string())
        .collect();
    let mut args: Vec<&str> = vec!["--out", "out"];
    args.extend(reports.iter().map(String::as_str));
    let (code, out, err) = security_gate(dir.path(), &args);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "");
    assert!(err.ends_with("security-gate: FAILED; see out/security-comment.md\n"), "{err}");
    let merged =
        json(&std::fs::read_to_string(dir.path().join("out/merged.json")).expect("merged.json"));
    assert_eq!(merged["gate"]["failing"], 4);
    assert_eq!(
        merged["ignored"].as_array().map(Vec::len),
        Some(1),
        "the .vz-ignore.yaml found by default"
    );
    let sarif =
        json(&std::fs::read_to_string(dir.path().join("out/merged.sarif")).expect("merged.sarif"));
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "security-gate/");
    let comment =
        std::fs::read_to_string(dir.path().join("out/security-comment.md")).expect("comment");
    assert!(comment.starts_with("## "), "{comment}");

    let mut critical = vec!["--fail-on", "critical", "--out", "out2"];
    critical.extend(reports.iter().map(String::as_str));
    assert_eq!(security_gate(dir.path(), &critical).0, Some(1));
    let mut with_baseline =
        vec!["--fail-on", "low", "--baseline", "out/merged.json", "--out", "out3"];
    with_baseline.extend(reports.iter().map(String::as_str));
    let (code, _, err) = security_gate(dir.path(), &with_baseline);
    assert_eq!(code, Some(0), "nothing is new since the baseline: {err}");

    for (args, want) in [
        (
            vec!["--fail-on", "severe", "x.json"],
            "scripts/security-gate.sh: --fail-on must be critical, high, medium or low, not 'severe'",
        ),
        (vec![], "scripts/security-gate.sh: name at least one report"),
        (vec!["missing.json"], "scripts/security-gate.sh: cannot read the report missing.json"),
    ] {
        let (code, out, err) = security_gate(dir.path(), &args);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}");
        assert_eq!(err.lines().next(), Some(want), "{args:?}");
    }
    let (code, out, _) = security_gate(dir.path(), &["--help"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("The security gate of a pipeline"), "{out}");
    // A broken report: exit 2, and no half-written merged.json.
    std::fs::write(dir.path().join("broken.json"), "{").expect("write");
    let (code, _, err) = security_gate(dir.path(), &["--out", "out4", "broken.json"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!dir.path().join("out4/merged.json").exists());
}
