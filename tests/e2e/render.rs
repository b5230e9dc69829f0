//! vz-render, end to end: what a user types, what comes out, the exit code.

use crate::common::{fixture, stdout_of, tree, vz_render};
use predicates::prelude::*;
use serde_json::Value;

fn shop(env: &str) -> assert_cmd::Command {
    let mut cmd = vz_render();
    cmd.arg(env).arg("-f").arg(fixture("render/shop.yaml"));
    cmd
}

/// The rendered objects as JSON.
fn objects(cmd: &mut assert_cmd::Command) -> Vec<Value> {
    let out = stdout_of(cmd.args(["-o", "json"]));
    let list: Value = serde_json::from_str(&out).expect("a JSON List");
    assert_eq!(list["kind"], "List");
    list["items"].as_array().cloned().unwrap_or_default()
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} among {:?}", kinds(objs)))
}

fn kinds(objs: &[Value]) -> Vec<String> {
    objs.iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn container(deploy: &Value) -> &Value {
    &deploy["spec"]["template"]["spec"]["containers"][0]
}

fn env_value<'a>(deploy: &'a Value, name: &str) -> Option<&'a Value> {
    container(deploy)["env"].as_array()?.iter().find(|e| e["name"] == name)
}

/// Asserts a run failed with exit 2, wrote nothing to stdout, and said
/// everything in `words` on stderr after `vz-render: error: `.
fn fails_with(cmd: &mut assert_cmd::Command, words: &[&str]) -> String {
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.starts_with("vz-render: error: "), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "expected {w:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    stderr
}

// ---------------------------------------------------------------- output

#[test]
fn production_renders_in_install_order() {
    let objs = objects(&mut shop("production"));
    assert_eq!(
        kinds(&objs),
        [
            "Namespace/shop-production",
            "NetworkPolicy/api",
            "ServiceAccount/api",
            "ConfigMap/api-config",
            "Service/api",
            "Deployment/api",
            "HorizontalPodAutoscaler/api",
            "PodDisruptionBudget/api",
            "Ingress/api",
        ]
    );
    for o in &objs[1..] {
        assert_eq!(o["metadata"]["namespace"], "shop-production", "{}", o["kind"]);
        assert_eq!(o["metadata"]["labels"]["team"], "payments", "{}", o["kind"]);
    }
}

#[test]
fn production_yaml_snapshot() {
    let out = stdout_of(&mut shop("production"));
    insta::assert_snapshot!("shop_production", out);
}

#[test]
fn aliases_and_repeated_runs_give_identical_bytes() {
    let a = stdout_of(&mut shop("production"));
    let b = stdout_of(&mut shop("prod"));
    let c = stdout_of(&mut shop("production"));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn json_output_is_one_list_of_the_same_objects() {
    let objs = objects(&mut shop("dev"));
    assert!(objs.iter().all(|o| o["apiVersion"].is_string() && o["metadata"]["name"].is_string()));
}

#[test]
fn the_spec_can_come_from_stdin() {
    let text = std::fs::read_to_string(fixture("render/shop.yaml")).expect("fixture");
    let from_stdin = stdout_of(vz_render().args(["dev", "-f", "-"]).write_stdin(text));
    let from_file = stdout_of(&mut shop("dev"));
    assert_eq!(from_stdin, from_file);
}

// ---------------------------------------------------------------- layering

#[test]
fn overlays_merge_maps_replace_scalars_and_null_removes() {
    let objs = objects(&mut shop("development"));
    let d = find(&objs, "Deployment", "api");
    assert_eq!(d["spec"]["replicas"], 1);
    assert_eq!(env_value(d, "LOG_LEVEL").map(|e| &e["value"]), Some(&Value::from("debug")));
    assert_eq!(
        env_value(d, "LOG_FORMAT").map(|e| &e["value"]),
        Some(&Value::from("json")),
        "serviceDefaults merged under the service"
    );
    assert_eq!(
        env_value(d, "FEATURE_X").map(|e| &e["value"]),
        Some(&Value::from("on")),
        "YAML 1.2: `on` stays text"
    );
    let cm = find(&objs, "ConfigMap", "api-config");
    let config: Value = serde_json::from_str(cm["data"]["app.json"].as_str().expect("app.json"))
        .expect("JSON config");
    assert_eq!(config, serde_json::json!({"features": ["search", "cart"]}), "null removed `cache`");
}

#[test]
fn lists_replace_unless_keyed() {
    let objs = objects(&mut shop("production"));
    let cm = find(&objs, "ConfigMap", "api-config");
    let config: Value =
        serde_json::from_str(cm["data"]["app.json"].as_str().expect("app.json")).expect("JSON");
    assert_eq!(config["features"], serde_json::json!(["search"]), "plain lists replace");
    let svc = find(&objs, "Service", "api");
    let ports: Vec<(i64, i64)> = svc["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| (p["port"].as_i64().unwrap_or(0), p["targetPort"].as_i64().unwrap_or(-1)))
        .collect();
    assert_eq!(ports.len(), 2, "keyed by name: http merged, metrics kept: {svc}");
    let d = find(&objs, "Deployment", "api");
    let cports: Vec<i64> = container(d)["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p["containerPort"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(cports, [8443, 9100]);
    assert!(svc["spec"]["ports"][0]["port"] == 80, "servicePort kept from the base: {svc}");
}

#[test]
fn set_overrides_everything_with_typed_values() {
    let objs = objects(shop("dev").args([
        "--set",
        "services.api.replicas=7",
        "--set",
        "services.api.env.MODE=\"3\"",
    ]));
    let d = find(&objs, "Deployment", "api");
    assert_eq!(d["spec"]["replicas"], 7);
    assert_eq!(env_value(d, "MODE").map(|e| &e["value"]), Some(&Value::from("3")));
}

#[test]
fn variables_are_substituted_with_defaults() {
    let objs = objects(&mut shop("dev"));
    assert_eq!(container(find(&objs, "Deployment", "api"))["image"], "example/shop-api:v1.0.0");
    let objs = objects(shop("dev").env("SHOP_TAG", "v2.3.4"));
    assert_eq!(container(find(&objs, "Deployment", "api"))["image"], "example/shop-api:v2.3.4");
}

#[test]
fn explain_shows_the_final_value_and_every_layer() {
    let out = stdout_of(shop("production").args(["--explain", "services.api.replicas"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "services.api.replicas = 3");
    assert!(lines[1].starts_with("  set by environments.production.values at "), "{out}");
    assert!(lines[1].ends_with("shop.yaml:46:21"), "{out}");
    assert!(
        lines[2].starts_with("  overrides values at ") && lines[2].ends_with("shop.yaml:9:15"),
        "{out}"
    );
    let out = stdout_of(shop("production").args([
        "--explain",
        "services.api.replicas",
        "--set",
        "services.api.replicas=9",
    ]));
    assert!(
        out.starts_with("services.api.replicas = 9\n  set by --set services.api.replicas=9\n"),
        "{out}"
    );
    let out = stdout_of(shop("dev").args(["--explain", "services.api.config.cache"]));
    assert!(out.starts_with("services.api.config.cache.size (removed)\n  removed by environments.development.values at "), "{out}");
    assert!(out.contains("\n  overrides values at "), "{out}");
    let out = stdout_of(shop("dev").args(["--explain", "services.api.tag"]));
    assert!(out.starts_with("services.api.tag = \"v1.0.0\"\n  set by $SHOP_TAG at "), "{out}");
}

#[test]
fn explain_never_prints_a_secret_unless_revealed() {
    let text = GOOD.replace(
        "      tag: v1\n",
        "      tag: v1\n      env:\n        DB_PASSWORD: ${DB_PASSWORD}\n",
    );
    let (_d, mut cmd) = spec(&text);
    let out = stdout_of(cmd.env("DB_PASSWORD", "hunter2").args([
        "prod",
        "--explain",
        "services.web.env",
    ]));
    assert!(out.starts_with("services.web.env.DB_PASSWORD = \"<redacted>\"\n"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    let (_d, mut cmd) = spec(&text);
    let out = stdout_of(cmd.env("DB_PASSWORD", "hunter2").args([
        "prod",
        "--explain",
        "services.web.env",
        "--reveal",
    ]));
    assert!(out.contains("\"hunter2\""), "{out}");
}

#[test]
fn service_names_are_dns_labels() {
    let (_d, mut cmd) = spec(&GOOD.replace("    web:", "    2web:"));
    fails_with(
        cmd.arg("prod"),
        &["vz.yaml:5:7: services.2web: service name `2web` must be a DNS label"],
    );
}

#[test]
fn explain_of_an_unknown_path_suggests() {
    fails_with(
        shop("dev").args(["--explain", "services.api.replica"]),
        &["no layer sets `services.api.replica`", "did you mean `services.api.replicas`?"],
    );
}

#[test]
fn list_environments() {
    let out =
        stdout_of(vz_render().args(["--list-environments", "-f"]).arg(fixture("render/shop.yaml")));
    assert_eq!(out, "development dev\nproduction prod\n");
}

#[test]
fn schema_is_published() {
    let out = stdout_of(vz_render().arg("--schema"));
    let schema: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(schema["title"], "vz-render deploy spec");
    assert!(schema["$defs"]["Service"]["properties"]["replicas"].is_object());
}

// ---------------------------------------------------------------- blue-green

fn blue_green(active: &str) -> Vec<Value> {
    let mut cmd = vz_render();
    cmd.args(["prod", "-f"])
        .arg(fixture("render/blue-green.yaml"))
        .env("SITE_TAG", "v2")
        .env("ACTIVE_COLOR", active);
    objects(&mut cmd)
}

#[test]
fn blue_green_deploys_into_the_idle_colour_and_never_flips_traffic() {
    for (active, idle) in [("blue", "green"), ("green", "blue")] {
        let objs = blue_green(active);
        let deployments: Vec<&str> = objs
            .iter()
            .filter(|o| o["kind"] == "Deployment")
            .filter_map(|o| o["metadata"]["name"].as_str())
            .collect();
        assert_eq!(deployments, [format!("site-{idle}")], "only the idle colour is rendered");
        assert_eq!(find(&objs, "Service", "site-active")["spec"]["selector"]["color"], active);
        assert_eq!(find(&objs, "Service", "site-preview")["spec"]["selector"]["color"], idle);
        assert_eq!(find(&objs, "Service", "site-blue")["spec"]["selector"]["color"], "blue");
        assert_eq!(find(&objs, "Service", "site-green")["spec"]["selector"]["color"], "green");
    }
}

#[test]
fn missing_variables_are_all_reported_at_once() {
    let stderr = fails_with(
        vz_render().args(["prod", "-f"]).arg(fixture("render/blue-green.yaml")),
        &[
            "2 problems:",
            "${SITE_TAG} is not set",
            "${ACTIVE_COLOR} is not set",
            "blue-green.yaml:7:12: services.site.tag:",
            "blue-green.yaml:10:22: services.site.strategy.activeColor:",
        ],
    );
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
}

// ---------------------------------------------------------------- bad input

fn spec(text: &str) -> (tempfile::TempDir, assert_cmd::Command) {
    let dir = tree(&[("vz.yaml", text)]);
    let mut cmd = vz_render();
    cmd.current_dir(dir.path());
    (dir, cmd)
}

const GOOD: &str = "app: a\nvalues:\n  services:\n    web:\n      image: x/web\n      tag: v1\nenvironments:\n  production:\n    aliases: [prod]\n";

#[test]
fn the_good_spec_renders() {
    let (_d, mut cmd) = spec(GOOD);
    cmd.arg("prod").assert().success().stderr("");
}

#[test]
fn empty_input() {
    let (_d, mut cmd) = spec("");
    fails_with(cmd.arg("prod"), &["vz.yaml: the deploy spec is empty"]);
    let (_d, mut cmd) = spec("# only a comment\n---\n");
    fails_with(cmd.arg("prod"), &["vz.yaml: the deploy spec is empty"]);
}

#[test]
fn garbage() {
    let (_d, mut cmd) = spec("\u{1}\u{2}binary garbage ]]]");
    fails_with(cmd.arg("prod"), &["vz.yaml:1:"]);
    let (_d, mut cmd) = spec("just a sentence\n");
    fails_with(cmd.arg("prod"), &["vz.yaml:1:1: the deploy spec must be a map"]);
}

#[test]
fn truncated_json() {
    let (_d, mut cmd) = spec("{\"app\": \"a\", \"values\": {\"services\": ");
    fails_with(cmd.arg("prod"), &["vz.yaml:1:", "EOF while parsing"]);
}

#[test]
fn yaml_syntax_error() {
    let (_d, mut cmd) =
        spec("app: a\nvalues:\n  services: [\n    web: {image: x\nenvironments: {}\n");
    fails_with(cmd.arg("prod"), &["vz.yaml:"]);
    let (_d, mut cmd) = spec("app: a\napp: b\nenvironments: {}\n");
    fails_with(cmd.arg("prod"), &["vz.yaml:2:1:", "duplicate"]);
}

#[test]
fn unknown_field_names_the_near_miss_at_its_line() {
    let (_d, mut cmd) = spec(&GOOD.replace("      tag: v1\n", "      tag: v1\n      replica: 3\n"));
    fails_with(
        cmd.arg("prod"),
        &[
            "vz.yaml:7:7: services.web.replica: unknown field `replica`",
            "(did you mean `replicas`?)",
        ],
    );
    let (_d, mut cmd) = spec(&GOOD.replace("environments:", "enviroments: {}\nenvironments:"));
    fails_with(
        cmd.arg("prod"),
        &[
            "vz.yaml:7:1: enviroments: unknown field `enviroments`",
            "(did you mean `environments`?)",
        ],
    );
}

#[test]
fn unknown_field_in_an_overlay_points_at_the_overlay() {
    let (_d, mut cmd) =
        spec(&format!("{GOOD}    values:\n      services:\n        web:\n          replicsa: 2\n"));
    fails_with(
        cmd.arg("prod"),
        &["vz.yaml:13:11: services.web.replicsa: unknown field", "(did you mean `replicas`?)"],
    );
}

#[test]
fn wrong_type() {
    let (_d, mut cmd) =
        spec(&GOOD.replace("      tag: v1\n", "      tag: v1\n      replicas: three\n"));
    fails_with(
        cmd.arg("prod"),
        &["vz.yaml:7:17: services.web.replicas: expected a whole number, found text (\"three\")"],
    );
    let (_d, mut cmd) = spec("app: a\nenvironments: [prod]\n");
    fails_with(cmd.arg("prod"), &["vz.yaml:2:15: environments: expected object, found a list"]);
}

#[test]
fn wrong_kind_of_document() {
    let (_d, mut cmd) = spec("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
    fails_with(cmd.arg("prod"), &["unknown field `apiVersion`", "missing required field `app`"]);
}

#[test]
fn latest_is_refused() {
    let (_d, mut cmd) = spec(&GOOD.replace("tag: v1", "tag: latest"));
    fails_with(
        cmd.arg("prod"),
        &["vz.yaml:6:12: services.web.tag: pin a version: the tag `latest` is refused"],
    );
}

#[test]
fn plain_secrets_are_refused_unless_revealed() {
    let text = GOOD
        .replace("      tag: v1\n", "      tag: v1\n      env:\n        DB_PASSWORD: hunter2\n");
    let (_d, mut cmd) = spec(&text);
    let stderr = fails_with(
        cmd.arg("prod"),
        &[
            "vz.yaml:8:22: services.web.env.DB_PASSWORD: `DB_PASSWORD` looks like a secret",
            "secretEnv",
        ],
    );
    assert!(!stderr.contains("hunter2"), "the secret itself is never printed");
    let (_d, mut cmd) = spec(&text);
    cmd.args(["prod", "--reveal"]).assert().success();
}

#[test]
fn unknown_environment_suggests() {
    let (_d, mut cmd) = spec(GOOD);
    fails_with(
        cmd.arg("prodution"),
        &["unknown environment `prodution` (did you mean `production`?); known: production (prod)"],
    );
}

#[test]
fn missing_file() {
    fails_with(
        vz_render().args(["prod", "-f", "/nonexistent/vz.yaml"]),
        &["/nonexistent/vz.yaml: no such file or directory"],
    );
    let dir = tree(&[]);
    fails_with(
        vz_render().current_dir(dir.path()).arg("prod"),
        &["vz.yaml: no such file or directory"],
    );
}

#[test]
fn alias_bomb_is_rejected() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let names: Vec<char> = ('a'..='m').collect();
    for w in names.windows(2) {
        let (p, c) = (w[0], w[1]);
        bomb.push_str(&format!(
            "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        ));
    }
    let (_d, mut cmd) = spec(&bomb);
    fails_with(cmd.arg("prod"), &["vz.yaml:", "alias replay limit exceeded"]);
}

#[test]
fn deep_nesting_is_rejected() {
    let deep = format!("app: a\nvalues: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (_d, mut cmd) = spec(&deep);
    fails_with(cmd.arg("prod"), &["vz.yaml:2:"]);
    let deep_json = format!("{{\"app\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let (_d, mut cmd) = spec(&deep_json);
    fails_with(cmd.arg("prod"), &["vz.yaml:1:", "recursion limit"]);
}

#[test]
fn bad_set_and_explain_arguments() {
    fails_with(
        shop("dev").args(["--set", "services.api.replicas"]),
        &["--set services.api.replicas: expected PATH=VALUE"],
    );
    fails_with(shop("dev").args(["--set", "services..x=1"]), &["empty key"]);
}

#[test]
fn template_errors_name_the_template_and_line() {
    let dir = tree(&[
        ("vz.yaml", &format!("{GOOD}templates: tpl\n")),
        (
            "tpl/service/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}-extra\ndata:\n  x: {{ svc.nosuchfield }}\n",
        ),
    ]);
    fails_with(
        vz_render().current_dir(dir.path()).arg("prod"),
        &["template ", "extra.yaml:6:", "nosuchfield"],
    );
    let dir = tree(&[
        ("vz.yaml", &format!("{GOOD}templates: tpl\n")),
        ("tpl/service/broken.yaml", "kind: {% if %}\n"),
    ]);
    fails_with(vz_render().current_dir(dir.path()).arg("prod"), &["broken.yaml:1:"]);
}

#[test]
fn project_templates_add_and_override() {
    let dir = tree(&[
        ("vz.yaml", &format!("{GOOD}templates: tpl\n")),
        (
            "tpl/service/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name ~ \"-extra\" }}\ndata:\n  env: {{ env }}\n",
        ),
    ]);
    let objs = objects(vz_render().current_dir(dir.path()).arg("prod"));
    assert_eq!(find(&objs, "ConfigMap", "web-extra")["data"]["env"], "production");
}

// ---------------------------------------------------------------- the edges

#[test]
fn a_closed_pipe_is_quiet_success() {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vz-render"))
        .arg("production")
        .arg("-f")
        .arg(fixture("render/shop.yaml"))
        .stdout(writer)
        .output()
        .expect("runs");
    assert_eq!(
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string()),
        (Some(0), String::new())
    );
}

#[test]
fn help_leads_with_examples_and_exit_status() {
    vz_render()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("vz-render production | kubectl apply -f -"))
        .stdout(predicate::str::contains("Exit status:"));
    vz_render()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("vz-render {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    vz_render().assert().code(2).stdout("").stderr(predicate::str::contains("<ENV>"));
    vz_render().args(["prod", "--output", "xml"]).assert().code(2).stdout("");
}

// ---------------------------------------------------------------- the examples

/// The bundled examples, whole, for production: any change to what they
/// render shows up in review (`cargo insta review`).
#[test]
fn examples_render_snapshots() {
    let vektagraf = stdout_of(
        vz_render()
            .args(["production", "-f"])
            .arg(crate::common::example("vektagraf/vz.yaml"))
            .env("VEKTAGRAF_ACTIVE_COLOR", "blue"),
    );
    insta::assert_snapshot!("vektagraf_production", vektagraf);
    let veza = stdout_of(
        vz_render().args(["production", "-f"]).arg(crate::common::example("veza/vz.yaml")),
    );
    insta::assert_snapshot!("veza_production", veza);
}
