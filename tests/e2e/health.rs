//! vz-health as a whole: reading checks, exit codes, bad input, `--wait`,
//! `--watch` and the output formats. The probes against real servers are in
//! health_http, health_prometheus and health_manifests.

use crate::common::{json, outcome, tree, vz_health};
use serde_json::Value;
use std::net::TcpListener;

/// A port that refuses connections (bound, then closed).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A listener that accepts connections (into its backlog) while it lives.
fn open_port() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

/// Runs vz-health with a check file and returns (exit code, stdout, stderr).
fn run_file(yaml: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tree(&[("checks.yaml", yaml)]);
    outcome(vz_health().current_dir(dir.path()).args(["-f", "checks.yaml"]).args(args))
}

/// Asserts exit 2, empty stdout, and the exact error on stderr.
fn refused(yaml: &str, error: &str) {
    let (code, out, err) = run_file(yaml, &[]);
    assert_eq!(code, Some(2), "stderr: {err}");
    assert_eq!(out, "", "nothing on stdout");
    assert_eq!(err, format!("vz-health: error: {error}\n"));
}

#[test]
fn no_checks_is_a_usage_error() {
    let out = vz_health().output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-health: error: no checks: give targets (http://HOST/PATH, tcp://HOST:PORT), -f FILE or --from-manifests\n"
    );
}

#[test]
fn empty_input() {
    refused("", "no checks in checks.yaml");
    refused("# nothing\n", "no checks in checks.yaml");
    refused("[]\n", "no checks in checks.yaml");
}

#[test]
fn garbage() {
    refused("\u{0}\u{1}binary", "checks.yaml:1:1: unexpected character: `\\u{0}'");
}

#[test]
fn truncated_json() {
    refused("[{\"tcp\": \"127.0.0.1:1\"", "checks.yaml:1:22: EOF while parsing an object");
}

#[test]
fn yaml_errors_are_located() {
    refused("- tcp: [a\n- b\n", "checks.yaml:1:8: unclosed bracket '['");
}

#[test]
fn wrong_kinds() {
    refused(
        "tcp: 127.0.0.1:1\n",
        "checks.yaml:1:1: expected a list of checks, or a map with `checks:`; this map is one check: make it a list item (`- tcp: …`)",
    );
    refused(
        "just text\n",
        "checks.yaml:1:1: expected a list of checks, or a map with `checks:`; found text",
    );
    refused(
        "- 42\n",
        "checks.yaml:1:3: [0]: a check is a map with one of `http`, `tcp`, `prometheus`, `exec`; found a number",
    );
    refused("checks: {tcp: x}\n", "checks.yaml:1:9: checks: expected a list of checks");
    refused(
        "chekcs: []\n",
        "checks.yaml:1:1: expected a list of checks, or a map with `checks:`; found a map with `chekcs` (did you mean `checks`?)",
    );
}

#[test]
fn unknown_check_kind() {
    refused(
        "- name: db\n  grpc: 127.0.0.1:9\n",
        "checks.yaml:2:3: [0]: no check kind: a check needs one of `http`, `tcp`, `prometheus`, `exec`; found `grpc`",
    );
    refused(
        "- htp: http://127.0.0.1:9/\n",
        "checks.yaml:1:3: [0]: no check kind: a check needs one of `http`, `tcp`, `prometheus`, `exec`; found `htp` (did you mean `http`?)",
    );
    refused(
        "- http: http://127.0.0.1:9/\n  tcp: 127.0.0.1:9\n",
        "checks.yaml:2:3: [0].tcp: a check has one kind; this one has `http` and `tcp`",
    );
}

#[test]
fn unknown_fields_suggest_the_near_miss() {
    refused(
        "- http: http://127.0.0.1:9/\n  max-latancy: 1s\n",
        "checks.yaml:2:3: [0].max-latancy: unknown field `max-latancy`; expected one of name, timeout, http, method, headers, body, status, body-contains, body-matches, json, max-latency, redirects, insecure, ca-file, conditions, follow-redirects (did you mean `max-latency`?)",
    );
}

#[test]
fn bad_url_duration_regex_and_condition_are_located() {
    refused(
        "- http: ftp://h/x\n",
        "checks.yaml:1:9: [0].http: `ftp://h/x` must start with http:// or https://",
    );
    refused(
        "- tcp: 127.0.0.1:1\n  timeout: 5 seconds\n",
        "checks.yaml:2:12: [0].timeout: `5 seconds`: unknown unit ` seconds` (use ms, s, m, h or d)",
    );
    refused(
        "- http: http://h/\n  body-matches: 'a(b'\n",
        "checks.yaml:2:17: [0].body-matches: not a regular expression: regex parse error: a(b ^ error: unclosed group",
    );
    let (code, out, err) = run_file("- http: http://h/\n  conditions: ['[STAUS] == 200']\n", &[]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.starts_with("vz-health: error: checks.yaml:2:16: [0].conditions[0]: "), "{err}");
    assert!(err.contains("[STATUS]"), "suggests the placeholder: {err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    refused(
        "- http: http://h/\n  status: 700\n- tcp: db\n- exec: []\n",
        "3 problems:\n  checks.yaml:2:11: [0].status: `700` is not an HTTP status (100-599)\n  checks.yaml:3:8: [1].tcp: `db` needs a port: HOST:PORT\n  checks.yaml:4:9: [2].exec: expected a command (text, run by sh -c) or a list of arguments; found a list",
    );
}

#[test]
fn bad_targets_and_flags() {
    let out = vz_health().args(["db:5432"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-health: error: argument 1: `db:5432` is not a target: write http://HOST/PATH, https://HOST/PATH or tcp://HOST:PORT (other kinds of check go in a file: -f checks.yaml)\n"
    );
    let out = vz_health().args(["tcp://127.0.0.1:1", "--wait", "5"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`5` needs a unit: 5s, 5m or 5h"));
    let out = vz_health().args(["tcp://127.0.0.1:1", "--every", "1s"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--watch <DURATION>"));
}

#[test]
fn missing_files() {
    let out = vz_health().args(["-f", "/nonexistent/checks.yaml"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-health: error: /nonexistent/checks.yaml: no such file or directory\n"
    );
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = if i == 1 { "a".to_string() } else { format!("a{}", i - 1) };
        bomb.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let (code, out, err) = run_file(&bomb, &[]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("alias"), "{err}");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (code, out, err) = run_file(&deep, &[]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("nest") || err.contains("depth") || err.contains("recursion"), "{err}");
}

#[test]
fn missing_variables_are_input_errors() {
    let (code, out, err) = run_file(
        "- http: http://127.0.0.1:1/\n  headers: {Authorization: 'Bearer ${VZ_TEST_TOKEN}'}\n",
        &[],
    );
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "vz-health: error: checks.yaml:2:28: [0].headers.Authorization: the variable `VZ_TEST_TOKEN` is not set\n"
    );
}

#[test]
fn tcp_pass_and_refused_give_exit_0_and_1() {
    let (_l, port) = open_port();
    let out = vz_health()
        .args([&format!("tcp://127.0.0.1:{port}"), "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let r = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["status"], "pass");
    assert_eq!(
        r["summary"],
        serde_json::json!({"total": 1, "pass": 1, "fail": 0, "inconclusive": 0, "error": 0})
    );
    assert_eq!(r["checks"][0]["kind"], "tcp");
    assert_eq!(r["checks"][0]["attempts"], 1);

    let closed = closed_port();
    let out = vz_health()
        .args([format!("tcp://127.0.0.1:{port}"), format!("tcp://127.0.0.1:{closed}")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let r = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["status"], "error");
    assert_eq!(r["checks"][1]["status"], "error");
    assert_eq!(r["checks"][1]["reason"], "connection refused");
}

#[test]
fn wait_retries_until_the_one_deadline() {
    // Refused at once each time: attempts at 0 s, 1 s and 2 s (the last one
    // that fits before the 3 s deadline with its 1 s of room).
    let closed = closed_port();
    let out = vz_health()
        .args([&format!("tcp://127.0.0.1:{closed}"), "--wait", "3s"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let r = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["checks"][0]["attempts"], 3);
    assert_eq!(r["checks"][0]["reason"], "connection refused");
}

#[test]
fn wait_succeeds_when_the_target_comes_up_late() {
    let port = closed_port();
    let opener = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        TcpListener::bind(("127.0.0.1", port)).expect("rebind")
    });
    let out = vz_health()
        .args([&format!("tcp://127.0.0.1:{port}"), "--wait", "20s"])
        .output()
        .expect("runs");
    let _listener = opener.join().expect("opener");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let r = json(&String::from_utf8_lossy(&out.stdout));
    // 0 s refused, 1 s refused, 3 s up.
    assert_eq!(r["checks"][0]["attempts"], 3);
}

#[test]
fn watch_stops_once_the_error_budget_is_spent() {
    let closed = closed_port();
    let out = vz_health()
        .args([
            &format!("tcp://127.0.0.1:{closed}"),
            "--watch",
            "1m",
            "--every",
            "50ms",
            "--max-errors",
            "2",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = text.lines().map(json).collect();
    assert_eq!(lines.len(), 4, "three rounds and the report: {text}");
    assert_eq!(lines[0]["round"], 1);
    assert_eq!(lines[2]["checks"][0]["errors"], 3);
    let report = &lines[3];
    assert_eq!(report["status"], "error");
    assert_eq!(report["watch"]["rounds"], 3);
    assert_eq!(report["watch"]["stopped_early"], true);
    let counts = &report["checks"][0]["counts"];
    assert_eq!(counts["error"], 3);
    assert_eq!(counts["fail"], 0);
    assert_eq!(counts["budget_spent"], "could not be measured 3 rounds in a row (--max-errors 2)");
}

#[test]
fn watch_passes_when_healthy_for_the_whole_period() {
    let (_l, port) = open_port();
    let out = vz_health()
        .args([
            &format!("tcp://127.0.0.1:{port}"),
            "--watch",
            "300ms",
            "--every",
            "100ms",
            "-o",
            "table",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("STATUS  NAME"), "{text}");
    assert!(text.contains("PASS    127.0.0.1:"), "{text}");
    assert!(text.contains("  3  ") || text.contains("  4  "), "three or four rounds: {text}");
}

#[test]
fn junit_is_well_formed_with_one_testcase_per_check() {
    let (_l, port) = open_port();
    let closed = closed_port();
    let out = vz_health()
        .args([
            format!("tcp://127.0.0.1:{port}"),
            format!("tcp://127.0.0.1:{closed}"),
            "-o".into(),
            "junit".into(),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).expect("utf-8");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("2"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].attribute("name"), Some(format!("127.0.0.1:{port}").as_str()));
    assert!(cases[0].children().all(|c| !c.is_element()), "a pass has no failure");
    let error = cases[1].children().find(|c| c.has_tag_name("error")).expect("an <error>");
    assert_eq!(error.attribute("message"), Some("connection refused"));
    assert!(error.text().unwrap_or_default().contains("attempts: 1"));
}

#[test]
fn dry_run_lists_checks_and_runs_nothing() {
    let dir = tree(&[(
        "checks.yaml",
        "- name: api\n  http: https://u:pw@127.0.0.1:1/x?token=abc\n- tcp: 127.0.0.1:1\n  timeout: 2s\n",
    )]);
    let out = vz_health()
        .current_dir(dir.path())
        .args(["-f", "checks.yaml", "--dry-run"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let r = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        r,
        serde_json::json!({"checks": [
            {"name": "api", "kind": "http", "target": "https://***@127.0.0.1:1/x?token=***", "timeout": "10s", "at": "checks.yaml:1:3"},
            {"name": "127.0.0.1:1", "kind": "tcp", "target": "127.0.0.1:1", "timeout": "2s", "at": "checks.yaml:3:3"}
        ]})
    );
}

#[test]
fn checks_can_come_from_stdin_and_names_are_unique() {
    let (_l, port) = open_port();
    let yaml = format!("checks:\n  - tcp: 127.0.0.1:{port}\n  - tcp: 127.0.0.1:{port}\n");
    let out = vz_health().args(["-f", "-", "-o", "json"]).write_stdin(yaml).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let r = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["checks"][1]["name"], format!("127.0.0.1:{port} #2"));

    let yaml =
        format!("- {{name: db, tcp: 127.0.0.1:{port}}}\n- {{name: db, tcp: 127.0.0.1:{port}}}\n");
    let out = vz_health().args(["-f", "-"]).write_stdin(yaml).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vz-health: error: <stdin>:2:3: name: the name `db` is already used by the check at <stdin>:1:3\n"
    );
}

mod against_http_servers {
    //! `--wait` and `--watch` against real HTTP servers that come up late,
    //! ask to be retried, flap, or stay broken.

    use super::json;
    use crate::common::{root, tree, vz_health};
    use crate::servers::{Behaviour, Server};
    use serde_json::Value;
    use std::time::Duration;

    fn run(args: &[String]) -> (Option<i32>, String) {
        let out = vz_health().args(args).args(["-o", "json"]).output().expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    #[test]
    fn wait_succeeds_when_the_server_comes_up_after_2s() {
        let server = Server::late(Behaviour::Healthy, Duration::from_secs(2));
        let (code, out) = run(&[server.url("/health"), "--wait".into(), "30s".into()]);
        assert_eq!(code, Some(0), "{out}");
        let r = json(&out);
        // Refused at 0 s and 1 s, up by the attempt at 3 s.
        assert_eq!(r["checks"][0]["attempts"], 3);
        assert_eq!(r["checks"][0]["status"], "pass");
    }

    #[test]
    fn wait_honours_retry_after_and_retries_5xx() {
        let server = Server::start(Behaviour::Sequence(vec![503, 502, 200]));
        let (code, out) = run(&[server.url("/health"), "--wait".into(), "30s".into()]);
        assert_eq!(code, Some(0), "{out}");
        assert_eq!(json(&out)["checks"][0]["attempts"], 3);
        assert_eq!(server.hits(), 3);
    }

    #[test]
    fn wait_fails_at_the_deadline_with_the_last_reason() {
        let server = Server::start(Behaviour::Status(500));
        let (code, out) = run(&[server.url("/health"), "--wait".into(), "2s".into()]);
        assert_eq!(code, Some(1));
        let check = &json(&out)["checks"][0];
        // At 0 s and at 1 s, the last start that leaves 1 s before the deadline.
        assert_eq!(check["attempts"], 2);
        assert_eq!(check["reason"], "status 500 is not in 2xx");
        assert_eq!(server.hits(), 2);
    }

    #[test]
    fn wait_gives_up_at_once_on_a_4xx_that_retrying_cannot_fix() {
        let server = Server::start(Behaviour::Status(404));
        let (code, out) = run(&[server.url("/health"), "--wait".into(), "1m".into()]);
        assert_eq!(code, Some(1));
        assert_eq!(json(&out)["checks"][0]["attempts"], 1);
        assert_eq!(server.hits(), 1);
    }

    #[test]
    fn wait_gives_up_at_once_on_a_redirect_it_does_not_follow() {
        let server = Server::start(Behaviour::Redirect("/health"));
        let (code, out) = run(&[server.url("/"), "--wait".into(), "1m".into()]);
        assert_eq!(code, Some(1));
        let check = &json(&out)["checks"][0];
        assert_eq!(check["attempts"], 1);
        assert_eq!(check["reason"], "status 301 is not in 2xx");
    }

    fn watch(server: &Server, budget: &[&str]) -> (Option<i32>, Vec<Value>) {
        let mut args = vec![
            server.url("/health"),
            "--watch".into(),
            "1m".into(),
            "--every".into(),
            "20ms".into(),
        ];
        args.extend(budget.iter().map(|s| s.to_string()));
        let (code, out) = run(&args);
        (code, out.lines().map(json).collect())
    }

    #[test]
    fn watch_spends_the_failure_budget_on_a_flapping_server() {
        let server = Server::start(Behaviour::Cycle(vec![200, 500]));
        let (code, lines) = watch(&server, &["--max-failures", "1"]);
        assert_eq!(code, Some(1));
        // pass, fail, pass, fail: the second failure is one too many.
        assert_eq!(lines.len(), 5);
        let statuses: Vec<&str> =
            lines[..4].iter().map(|l| l["checks"][0]["status"].as_str().unwrap_or("")).collect();
        assert_eq!(statuses, ["pass", "fail", "pass", "fail"]);
        let report = &lines[4];
        assert_eq!(report["status"], "fail");
        assert_eq!(report["watch"]["stopped_early"], true);
        let counts = &report["checks"][0]["counts"];
        assert_eq!((counts["pass"].as_u64(), counts["fail"].as_u64()), (Some(2), Some(2)));
        assert_eq!(counts["max_consecutive_failures"], 1);
        assert_eq!(counts["budget_spent"], "failed 2 times (--max-failures 1)");
        assert_eq!(report["checks"][0]["reason"], "status 500 is not in 2xx");
    }

    #[test]
    fn watch_fails_on_consecutive_failures_within_the_total_budget() {
        let server = Server::start(Behaviour::Sequence(vec![200, 500, 500]));
        let (code, lines) = watch(&server, &["--max-failures", "10", "--consecutive", "2"]);
        assert_eq!(code, Some(1));
        assert_eq!(lines.len(), 4, "three rounds and the report");
        assert_eq!(
            lines[3]["checks"][0]["counts"]["budget_spent"],
            "failed 2 rounds in a row (--consecutive 2)"
        );
    }

    #[test]
    fn the_smoke_script_waits_then_runs_the_checks() {
        let server = Server::late(Behaviour::Healthy, Duration::from_secs(1));
        let base = server.url("");
        let dir = tree(&[(
            "smoke.yaml",
            "- name: health\n  http: ${BASE_URL}/health\n  json: {status: UP}\n- name: any path\n  http: ${BASE_URL}/api/v1/status\n  status: 200\n",
        )]);
        let smoke = root().join("scripts/smoke.sh");
        let out = std::process::Command::new("bash")
            .arg(&smoke)
            .arg(base.trim_end_matches('/'))
            .arg(dir.path().join("smoke.yaml"))
            .env("VZ_HEALTH", env!("CARGO_BIN_EXE_vz-health"))
            .env("WAIT", "30s")
            .env("OUTPUT", "json")
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let reports: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
            .into_iter::<Value>()
            .map(|r| r.expect("JSON reports"))
            .collect();
        assert_eq!(reports.len(), 2, "the wait, then the checks: {stdout}");
        assert_eq!(reports[0]["status"], "pass");
        assert_eq!(reports[1]["checks"][0]["status"], "pass");
        assert_eq!(
            reports[1]["checks"][1]["status"], "pass",
            "every path of the test server is healthy"
        );
        assert_eq!(out.status.code(), Some(0));

        let out = std::process::Command::new("bash")
            .arg(&smoke)
            .arg("ftp://x")
            .env("VZ_HEALTH", env!("CARGO_BIN_EXE_vz-health"))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "scripts/smoke.sh: URL must start with http:// or https://, not 'ftp://x'\n"
        );
    }

    #[test]
    fn the_readme_check_file_is_valid() {
        let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
        let section = readme.split("### vz-health").nth(1).expect("a vz-health section");
        let yaml = section
            .split("```yaml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("the README shows a check file");
        let dir = tree(&[("checks.yaml", yaml), ("certs/ca.pem", "")]);
        let out = vz_health()
            .current_dir(dir.path())
            .args(["-f", "checks.yaml", "--dry-run"])
            .env("API_TOKEN", "s3cret")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let listed = json(&String::from_utf8_lossy(&out.stdout));
        let kinds: Vec<&str> = listed["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter_map(|c| c["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["http", "tcp", "prometheus", "exec"]);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    }
}
