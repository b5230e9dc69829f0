//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: one run
//! under the `vz-comply` driver, one rule per rule with a result (its
//! controls and aliases as tags, GitHub's `security-severity`), and one
//! result per problem: failed, warning and error results, and waived ones
//! with an accepted external suppression. A result points at each of its
//! violations (the first is the primary location, the rest related
//! locations, at most 1,000 in all as GitHub accepts) and names its object
//! as a logical location, so input read from stdin still says where. Its
//! fingerprint (`primaryLocationLineHash`, the key GitHub reads, and the
//! same value as `vz/v1`) hashes the rule, the object and the first
//! violation's path, never a line number, so editing a file above an
//! object does not make a new alert. A run with more results than GitHub
//! accepts (25,000) keeps the worst and says so in the run's properties.

use super::Report;
use super::markdown::code;
use super::table::file_name;
use crate::model::{Evaluation, Level, ObjectRef, RuleInfo, Severity, Status, Violation};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use vz::text::{cut, md_escape, one_line, path_uri};

/// The schema every SARIF log names.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Locations per result (primary and related) GitHub accepts.
const MAX_LOCATIONS: usize = 1000;

/// Results per run GitHub accepts.
const MAX_RESULTS: usize = 25_000;

/// Tags per rule GitHub accepts.
const MAX_TAGS: usize = 20;

/// A result's message lists at most this many violations.
const MESSAGE_VIOLATIONS: usize = 10;

/// GitHub cuts descriptions at 1,000 characters and rejects more than 1,024.
const DESCRIPTION_CHARS: usize = 1000;

/// GitHub rejects a rule name longer than 255 characters.
const NAME_CHARS: usize = 255;

/// Renders `report` as a SARIF 2.1.0 log with one run.
pub fn render(report: &Report) -> Value {
    render_with(report, MAX_RESULTS)
}

fn render_with(report: &Report, max_results: usize) -> Value {
    let index: HashMap<&str, usize> =
        report.rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let problems: Vec<&Evaluation> = report
        .problems()
        .filter(|e| {
            matches!(e.status, Status::Failed | Status::Warning | Status::Error | Status::Waived)
        })
        .collect();
    let kept = keep(report, &problems, max_results);
    let results: Vec<Value> = problems
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(e, _)| {
            let at = index.get(e.rule.as_str()).copied();
            result(e, at.map(|i| (i, &report.rules[i])))
        })
        .collect();

    let mut driver = Map::new();
    driver.insert("name".into(), "vz-comply".into());
    driver.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    if let Some(uri) = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty())
    {
        driver.insert("informationUri".into(), uri.into());
    }
    driver.insert("rules".into(), report.rules.iter().map(rule).collect());

    let mut properties = Map::new();
    properties.insert("overall".into(), report.overall.as_str().into());
    properties.insert("objects".into(), report.summary.objects.into());
    properties.insert(
        "gate".into(),
        json!({ "failOn": report.gate.fail_on.as_str(), "passed": report.gate.passed }),
    );
    if let Some(b) = &report.baseline {
        properties.insert("baseline".into(), json!({ "input": b.input, "existing": b.existing }));
    }
    let dropped = kept.iter().filter(|k| !**k).count();
    if dropped > 0 {
        properties.insert(
            "truncated".into(),
            json!({
                "kept": problems.len() - dropped,
                "dropped": dropped,
                "reason": format!(
                    "GitHub accepts at most {max_results} results per run: the lowest-severity ones are left out; \
                     the full list is in -o json"
                ),
            }),
        );
    }

    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "results": results,
            "properties": properties,
        }],
    })
}

/// Which of `problems` fit in a run of `max` results: failed and error
/// results before warnings, warnings before waived ones, higher severity
/// first, then report order.
fn keep(report: &Report, problems: &[&Evaluation], max: usize) -> Vec<bool> {
    if problems.len() <= max {
        return vec![true; problems.len()];
    }
    let rank = |e: &Evaluation| match e.status {
        Status::Failed | Status::Error => 0,
        Status::Warning => 1,
        _ => 2,
    };
    let severity = |e: &Evaluation| report.rule(&e.rule).map_or(Severity::Low, |r| r.severity);
    let mut order: Vec<usize> = (0..problems.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (problems[a], problems[b]);
        rank(x).cmp(&rank(y)).then(severity(y).cmp(&severity(x))).then(a.cmp(&b))
    });
    let mut kept = vec![false; problems.len()];
    for &i in order.iter().take(max) {
        kept[i] = true;
    }
    kept
}

/// SARIF's level for a rule's violations.
fn level(l: Level) -> &'static str {
    match l {
        Level::Failed => "error",
        Level::Warning => "warning",
    }
}

/// GitHub's `security-severity` (a CVSS-like score inside the severity's
/// band).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// `ContainersRunAsANonRootUser`: the title as one Pascal-case word, as
/// SARIF asks of a rule's `name` (the id when the title has no letters).
fn pascal(r: &RuleInfo) -> String {
    let mut out = String::new();
    for word in r.title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() { r.id.clone() } else { cut(&out, NAME_CHARS).into_owned() }
}

fn rule(r: &RuleInfo) -> Value {
    let title = one_line(&r.title);
    let short = if title.is_empty() { r.id.clone() } else { title };
    let mut tags: Vec<String> = Vec::new();
    for t in r.controls.iter().map(ToString::to_string).chain(r.aliases.iter().cloned()) {
        if !t.is_empty() && !tags.contains(&t) && tags.len() < MAX_TAGS {
            tags.push(t);
        }
    }
    let mut v = json!({
        "id": r.id,
        "name": pascal(r),
        "shortDescription": { "text": cut(&short, DESCRIPTION_CHARS) },
        "defaultConfiguration": { "level": level(r.level) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            "problem.severity": level(r.level),
            "severity": r.severity.as_str(),
        },
    });
    let fix = r.fix.trim();
    if !fix.is_empty() {
        v["help"] = json!({ "text": fix, "markdown": help_markdown(r) });
    }
    v
}

/// The rule's fix, then the same check in other tools and the controls it
/// serves.
fn help_markdown(r: &RuleInfo) -> String {
    let mut md = md_escape(&r.fix);
    if !r.aliases.is_empty() {
        let aka: Vec<String> = r.aliases.iter().map(|a| code(a)).collect();
        let _ = write!(md, "\n\nThe same check elsewhere: {}.", aka.join(", "));
    }
    if !r.controls.is_empty() {
        let controls: Vec<String> = r.controls.iter().map(|c| code(&c.to_string())).collect();
        let _ = write!(md, "\n\nControls: {}.", controls.join(", "));
    }
    md
}

/// The message: the rule's title, then what is wrong.
fn message(e: &Evaluation, r: Option<&RuleInfo>) -> String {
    let title =
        r.map(|r| one_line(&r.title)).filter(|t| !t.is_empty()).unwrap_or_else(|| e.rule.clone());
    let mut s = title;
    if e.status == Status::Error {
        let _ = write!(s, ": could not be evaluated");
        if let Some(note) = e.note.as_deref().map(one_line).filter(|n| !n.is_empty()) {
            let _ = write!(s, ": {note}");
        }
        return s;
    }
    for (i, v) in e.violations.iter().take(MESSAGE_VIOLATIONS).enumerate() {
        s.push_str(if i == 0 { ": " } else { "; " });
        s.push_str(&one_line(&v.message));
    }
    if e.violations.len() > MESSAGE_VIOLATIONS {
        let _ = write!(s, "; and {} more", e.violations.len() - MESSAGE_VIOLATIONS);
    }
    s
}

/// The result for `e`, whose rule is `rule` at its index.
fn result(e: &Evaluation, rule: Option<(usize, &RuleInfo)>) -> Value {
    let info = rule.map(|(_, r)| r);
    let level = match e.status {
        Status::Warning => "warning",
        Status::Waived => info.map_or("error", |r| level(r.level)),
        _ => "error",
    };
    let display = e.object.display();

    let mut spots: Vec<(Option<&Violation>, &vz::Location)> =
        e.violations.iter().map(|v| (Some(v), &v.at)).collect();
    if spots.is_empty() {
        spots.push((None, &e.at));
    }
    let omitted = spots.len().saturating_sub(MAX_LOCATIONS);
    let mut spots = spots.into_iter().take(MAX_LOCATIONS);
    let primary = spots.next().map(|(v, at)| {
        let text = match v {
            Some(v) => one_line(&v.message),
            None => e.note.as_deref().map(one_line).unwrap_or_default(),
        };
        location(at, &e.object, &display, &text, v.map(|v| v.path.as_str()), None)
    });
    let related: Vec<Value> = spots
        .enumerate()
        .map(|(i, (v, at))| {
            let text = v.map(|v| one_line(&v.message)).unwrap_or_default();
            location(at, &e.object, &display, &text, v.map(|v| v.path.as_str()), Some(i + 1))
        })
        .collect();

    let mut r = Map::new();
    r.insert("ruleId".into(), e.rule.clone().into());
    if let Some((i, _)) = rule {
        r.insert("ruleIndex".into(), i.into());
    }
    r.insert("level".into(), level.into());
    r.insert("message".into(), json!({ "text": message(e, info) }));
    r.insert("locations".into(), primary.into_iter().collect());
    if !related.is_empty() {
        r.insert("relatedLocations".into(), related.into());
    }
    // GitHub reads only `primaryLocationLineHash`; `vz/v1` names the
    // scheme for other viewers. Both are the same line-free hash.
    let hash = fingerprint(e, &display);
    r.insert(
        "partialFingerprints".into(),
        json!({ "primaryLocationLineHash": hash, "vz/v1": hash }),
    );
    if e.status == Status::Waived {
        let mut s = json!({ "kind": "external", "status": "accepted" });
        if let Some(w) = &e.waiver {
            s["justification"] = one_line(&w.reason).into();
            let mut p = Map::new();
            if let Some(owner) = &w.owner {
                p.insert("owner".into(), owner.clone().into());
            }
            if let Some(expires) = w.expires {
                p.insert("expires".into(), expires.to_string().into());
            }
            p.insert("source".into(), w.source.clone().into());
            s["properties"] = p.into();
        }
        r.insert("suppressions".into(), json!([s]));
    }
    let mut p = Map::new();
    p.insert("status".into(), e.status.as_str().into());
    p.insert("object".into(), display.into());
    let controls: Vec<String> =
        info.map(|r| r.controls.iter().map(ToString::to_string).collect()).unwrap_or_default();
    p.insert("controls".into(), controls.into());
    if let Some(note) = &e.note {
        p.insert("note".into(), one_line(note).into());
    }
    if omitted > 0 {
        p.insert("locationsOmitted".into(), omitted.into());
    }
    r.insert("properties".into(), p.into());
    r.into()
}

/// A location: the file and line when known, always the object.
fn location(
    at: &vz::Location,
    object: &ObjectRef,
    display: &str,
    text: &str,
    path: Option<&str>,
    id: Option<usize>,
) -> Value {
    let mut l = Map::new();
    if let Some(i) = id {
        l.insert("id".into(), i.into());
    }
    if let Some(uri) = file_name(&at.input).map(path_uri) {
        let mut physical = json!({ "artifactLocation": { "uri": uri } });
        if at.line > 0 {
            let mut region = json!({ "startLine": at.line });
            if at.column > 0 {
                region["startColumn"] = at.column.into();
            }
            physical["region"] = region;
        }
        l.insert("physicalLocation".into(), physical);
    }
    l.insert(
        "logicalLocations".into(),
        json!([{ "name": object.name, "fullyQualifiedName": display, "kind": "object" }]),
    );
    if !text.is_empty() {
        l.insert("message".into(), json!({ "text": text }));
    }
    if let Some(p) = path.filter(|p| !p.is_empty()) {
        l.insert("properties".into(), json!({ "path": p }));
    }
    l.into()
}

/// `sha256(rule, object, first violation's path)` in hex: stable across
/// edits that move the object.
fn fingerprint(e: &Evaluation, display: &str) -> String {
    let mut h = Sha256::new();
    h.update(e.rule.as_bytes());
    h.update([0]);
    h.update(display.as_bytes());
    h.update([0]);
    h.update(e.violations.first().map_or("", |v| v.path.as_str()).as_bytes());
    let mut hex = String::with_capacity(64);
    for b in h.finalize() {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A small hand-built [`Report`] that the tests of every format render.
#[cfg(test)]
pub(crate) mod sample {
    use crate::model::{
        AppliedWaiver, ControlRef, Evaluation, Level, ObjectRef, Origin, RuleInfo, Severity,
        Status, Violation,
    };
    use crate::report::{
        ControlResult, Coverage, Gate, Report, Skipped, Summary, WaiverAudit, WaiverInfo,
    };
    use std::collections::BTreeMap;
    use vz::Location;

    /// A control reference.
    pub(crate) fn control(framework: &str, control: &str) -> ControlRef {
        ControlRef { framework: framework.into(), control: control.into() }
    }

    /// A built-in Kubernetes rule with no alias and no control.
    pub(crate) fn rule(
        id: &str,
        title: &str,
        severity: Severity,
        level: Level,
        fix: &str,
    ) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            title: title.into(),
            severity,
            level,
            fix: fix.into(),
            aliases: Vec::new(),
            controls: Vec::new(),
            origin: Origin::Kubernetes,
        }
    }

    /// An object.
    pub(crate) fn object(kind: &str, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef { kind: kind.into(), name: name.into(), namespace: namespace.into() }
    }

    /// A violation.
    pub(crate) fn violation(path: &str, message: &str, at: Location) -> Violation {
        Violation { path: path.into(), message: message.into(), at }
    }

    /// A result with no violation, note or waiver.
    pub(crate) fn result(
        rule: &str,
        object: &ObjectRef,
        status: Status,
        at: Location,
    ) -> Evaluation {
        Evaluation {
            rule: rule.into(),
            object: object.clone().into(),
            status,
            violations: Vec::new(),
            note: None,
            waiver: None,
            at,
            rank: (0, 0),
        }
    }

    /// Counts of controls by status, every key present.
    pub(crate) fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        let mut m: BTreeMap<String, usize> =
            ["passed", "warning", "failed", "error", "not-evaluated"]
                .iter()
                .map(|k| ((*k).to_string(), 0))
                .collect();
        for (k, n) in pairs {
            m.insert((*k).to_string(), *n);
        }
        m
    }

    /// A control of a framework.
    pub(crate) fn control_result(
        id: &str,
        title: &str,
        status: &str,
        rules: &[&str],
    ) -> ControlResult {
        ControlResult {
            id: id.into(),
            title: title.into(),
            status: status.into(),
            rules: rules.iter().map(|r| (*r).to_string()).collect(),
        }
    }

    /// Text that tries every way out: any characters, line breaks and
    /// control characters, and the characters markup formats treat
    /// specially.
    pub(crate) fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::prop_oneof![
            proptest::prelude::any::<String>(),
            "(?s:.{0,16})",
            "[\\x00-\\x1f\\x7f<>&\"'|`\\\\*\\[\\]_@#: \u{FFFE}\u{FFFF}\u{2028}é]{0,16}",
        ]
    }

    /// The sample with `s` in every text taken from the input or the
    /// rules: names, messages, reasons, titles, fixes, paths and sources.
    pub(crate) fn with_text(s: &str) -> Report {
        let mut r = sample();
        for rule in &mut r.rules {
            rule.title = format!("{} {s}", rule.title);
            rule.fix = format!("{s} {}", rule.fix);
            rule.aliases.push(s.to_string());
        }
        for e in &mut r.results {
            let object = std::sync::Arc::make_mut(&mut e.object);
            object.name = format!("{}{s}", object.name);
            e.at.input = format!("{s}{}", e.at.input).into();
            if let Some(n) = &mut e.note {
                n.push_str(s);
            }
            if let Some(w) = &mut e.waiver {
                w.reason = format!("{s}{}", w.reason);
                w.owner = Some(s.to_string());
                w.source.push_str(s);
            }
            for v in &mut e.violations {
                v.message = format!("{}{s}", v.message);
                v.path.push_str(s);
                v.at.input = format!("{s}{}", v.at.input).into();
            }
        }
        for c in &mut r.frameworks {
            c.name.push_str(s);
            c.denominator.push_str(s);
            c.citation.push_str(s);
        }
        for w in r.waivers.expired.iter_mut().chain(&mut r.waivers.unused) {
            w.selector.push_str(s);
            w.waiver.reason.push_str(s);
            w.waiver.source.push_str(s);
        }
        for k in &mut r.skipped {
            k.kind.push_str(s);
        }
        r
    }

    /// No object, no result, no framework: passed.
    pub(crate) fn empty() -> Report {
        Report {
            overall: Status::Passed,
            summary: Summary::of(0, &[]),
            frameworks: Vec::new(),
            rules: Vec::new(),
            results: Vec::new(),
            waivers: WaiverAudit::default(),
            skipped: Vec::new(),
            baseline: None,
            gate: Gate { fail_on: Status::Failed, passed: true },
        }
    }

    /// Three objects (a Deployment, a CronJob, an application
    /// configuration); an error, a failed result with two violations, a
    /// warning, a waived, a passed and a not-applicable result; CIS and
    /// GDPR coverage; an expired and an unused waiver; one skipped kind; a
    /// failed gate.
    pub(crate) fn sample() -> Report {
        let mut app = rule(
            "VZ-APP-001",
            "Data is encrypted at rest",
            Severity::High,
            Level::Failed,
            "Set encryption.atRest to true and name the key in encryption.keyId.",
        );
        app.origin = Origin::AppConfig;
        app.controls = vec![control("gdpr", "32(1)(a)")];
        let mut root = rule(
            "VZ-K8S-001",
            "Containers run as a non-root user",
            Severity::High,
            Level::Failed,
            "Set securityContext.runAsNonRoot to true (pod or container) and run as a non-zero runAsUser.",
        );
        root.aliases =
            vec!["CKV_K8S_23".into(), "KSV-0012".into(), "kube-linter:run-as-non-root".into()];
        root.controls = vec![control("cis", "5.2.7"), control("gdpr", "32(1)(b)")];
        let mut caps = rule(
            "VZ-K8S-003",
            "Containers drop all capabilities",
            Severity::Medium,
            Level::Failed,
            "Set securityContext.capabilities.drop to [ALL] and add back only what the process needs.",
        );
        caps.aliases = vec!["CKV_K8S_37".into()];
        caps.controls = vec![control("cis", "5.2.9")];
        let mut host = rule(
            "VZ-K8S-006",
            "Pods do not use the host network",
            Severity::High,
            Level::Failed,
            "Remove hostNetwork (or set it to false) and expose the port through a Service.",
        );
        host.controls = vec![control("cis", "5.2.5")];
        let live = rule(
            "VZ-K8S-015",
            "Containers have a liveness probe",
            Severity::Low,
            Level::Warning,
            "Add a livenessProbe that fails when the process is stuck.",
        );
        let pdb = rule(
            "VZ-K8S-026",
            "Replicated workloads have a PodDisruptionBudget",
            Severity::Medium,
            Level::Failed,
            "Add a PodDisruptionBudget that selects the workload's pods.",
        );

        let api = object("Deployment", "payments", "api");
        let cleanup = object("CronJob", "payments", "cleanup");
        let config = object("config", "", "app.json");
        let m = |line, column| Location::at("manifests.yaml", line, column);

        let mut error =
            result("VZ-APP-001", &config, Status::Error, Location::at("app.json", 1, 1));
        error.note = Some("encryption.atRest is \"yes\", expected true or false".into());
        let mut failed = result("VZ-K8S-001", &api, Status::Failed, m(1, 1));
        failed.violations = vec![
            violation(
                "spec.template.spec.containers[0].securityContext.runAsNonRoot",
                "container \"app\": runAsNonRoot is not set",
                m(17, 11),
            ),
            violation(
                "spec.template.spec.initContainers[0].securityContext.runAsUser",
                "init container \"migrate\": runs as user 0",
                m(31, 24),
            ),
        ];
        let mut warning = result("VZ-K8S-015", &api, Status::Warning, m(1, 1));
        warning.violations = vec![violation(
            "spec.template.spec.containers[0].livenessProbe",
            "container \"app\": no livenessProbe",
            m(17, 11),
        )];
        let mut waived = result("VZ-K8S-003", &cleanup, Status::Waived, m(48, 1));
        waived.violations = vec![violation(
            "spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities.drop",
            "container \"sync\": capabilities.drop does not include ALL",
            m(66, 17),
        )];
        waived.waiver = Some(Box::new(AppliedWaiver {
            reason: "the sync agent needs NET_ADMIN until v2".into(),
            owner: Some("@acme/platform".into()),
            expires: Some(jiff::civil::date(2027, 1, 31)),
            source: "annotation".into(),
        }));
        let passed = result("VZ-K8S-006", &api, Status::Passed, m(1, 1));
        let mut na = result("VZ-K8S-026", &api, Status::NotApplicable, m(1, 1));
        na.note = Some("1 replica".into());
        let results = vec![error, failed, warning, waived, passed, na];

        Report {
            overall: Status::Error,
            summary: Summary::of(3, &results),
            frameworks: vec![
                Coverage {
                    framework: "cis".into(),
                    name: "CIS Kubernetes Benchmark".into(),
                    version: "1.12".into(),
                    mapping: "published".into(),
                    citation: "CIS Kubernetes Benchmark v1.12.0, section 5.2".into(),
                    denominator:
                        "3 controls of CIS section 5.2 that vz maps; the benchmark has more".into(),
                    counts: counts(&[("passed", 2), ("failed", 1)]),
                    controls: vec![
                        control_result(
                            "5.2.5",
                            "Minimize the admission of containers wishing to share the host network namespace",
                            "passed",
                            &["VZ-K8S-006"],
                        ),
                        control_result(
                            "5.2.7",
                            "Minimize the admission of root containers",
                            "failed",
                            &["VZ-K8S-001"],
                        ),
                        control_result(
                            "5.2.9",
                            "Minimize the admission of containers with added capabilities",
                            "passed",
                            &["VZ-K8S-003"],
                        ),
                    ],
                },
                Coverage {
                    framework: "gdpr".into(),
                    name: "GDPR".into(),
                    version: "Art. 32".into(),
                    mapping: "vz".into(),
                    citation: "Regulation (EU) 2016/679, Article 32(1); vz's own reading".into(),
                    denominator: "3 measures of Article 32(1) that vz maps".into(),
                    counts: counts(&[("failed", 1), ("error", 1), ("not-evaluated", 1)]),
                    controls: vec![
                        control_result(
                            "32(1)(a)",
                            "Encryption of personal data",
                            "error",
                            &["VZ-APP-001"],
                        ),
                        control_result(
                            "32(1)(b)",
                            "Confidentiality and integrity of systems",
                            "failed",
                            &["VZ-K8S-001"],
                        ),
                        control_result(
                            "32(1)(d)",
                            "Regular testing of measures",
                            "not-evaluated",
                            &["VZ-APP-004"],
                        ),
                    ],
                },
            ],
            rules: vec![app, root, caps, host, live, pdb],
            results,
            waivers: WaiverAudit {
                expired: vec![WaiverInfo {
                    rule: "VZ-K8S-005".into(),
                    selector: "Deployment payments/legacy".into(),
                    waiver: AppliedWaiver {
                        reason: "privileged until the driver moves to a DaemonSet".into(),
                        owner: Some("alice".into()),
                        expires: Some(jiff::civil::date(2025, 6, 30)),
                        source: "waivers.yaml:4".into(),
                    },
                }],
                unused: vec![WaiverInfo {
                    rule: "VZ-K8S-009".into(),
                    selector: "namespace=legacy".into(),
                    waiver: AppliedWaiver {
                        reason: "old node exporter".into(),
                        owner: None,
                        expires: None,
                        source: "waivers.yaml:12".into(),
                    },
                }],
            },
            skipped: vec![Skipped {
                api_version: "monitoring.coreos.com/v1".into(),
                kind: "ServiceMonitor".into(),
                count: 2,
            }],
            baseline: None,
            gate: Gate { fail_on: Status::Failed, passed: false },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{empty, sample, violation};
    use super::*;
    use vz::Location;

    /// The SARIF 2.1.0 schema of the shared fixtures, formats checked. A
    /// missing schema fails the test: the check must never pass unseen.
    fn validator() -> jsonschema::Validator {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/schemas/sarif-2.1.0.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the SARIF 2.1.0 schema is needed to check the output: {} is not readable ({e}); \
                 the shared fixtures live next to the repository (../shared/fixtures/schemas)",
                path.display()
            )
        });
        let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    }

    fn assert_valid(doc: &Value) {
        let v = validator();
        let errors: Vec<String> =
            v.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "schema violations:\n{}", errors.join("\n"));
    }

    /// `text` as JSON with the crate's version (and informationUri, when
    /// the package names one) filled in.
    fn expected(text: &str) -> Value {
        let mut doc: Value = serde_json::from_str(text).expect("the expected log is JSON");
        let driver = &mut doc["runs"][0]["tool"]["driver"];
        driver["version"] = env!("CARGO_PKG_VERSION").into();
        if let Some(uri) = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
            .into_iter()
            .find(|u| !u.is_empty())
        {
            driver["informationUri"] = uri.into();
        }
        doc
    }

    #[test]
    fn the_sample_as_a_whole_document() {
        let doc = render(&sample());
        assert_eq!(doc, expected(SAMPLE), "{}", vz::output::pretty_json(&doc));
        assert_valid(&doc);
    }

    #[test]
    fn an_empty_report_is_a_run_with_no_results() {
        let doc = render(&empty());
        assert_eq!(
            doc,
            expected(
                r#"{
                  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                  "version": "2.1.0",
                  "runs": [{
                    "tool": { "driver": { "name": "vz-comply", "version": "{VERSION}", "rules": [] } },
                    "results": [],
                    "properties": {
                      "overall": "passed",
                      "objects": 0,
                      "gate": { "failOn": "failed", "passed": true }
                    }
                  }]
                }"#
            )
        );
        assert_valid(&doc);
    }

    #[test]
    fn the_schema_check_catches_a_broken_log() {
        let v = validator();
        let good = render(&sample());
        assert!(v.is_valid(&good));
        let mut doc = good.clone();
        doc["runs"][0]["results"][0]["level"] = "fatal".into();
        assert!(!v.is_valid(&doc));
        let mut doc = good.clone();
        doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            "a b:".into();
        assert!(!v.is_valid(&doc), "formats are checked");
        let mut doc = good;
        doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            0.into();
        assert!(!v.is_valid(&doc));
    }

    fn fingerprints(doc: &Value) -> Vec<String> {
        doc["runs"][0]["results"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| {
                        let f = &r["partialFingerprints"];
                        // GitHub reads only this key; it is the same hash.
                        assert_eq!(f["primaryLocationLineHash"], f["vz/v1"]);
                        f["vz/v1"].to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn fingerprints_ignore_lines_and_tell_results_apart() {
        let before = fingerprints(&render(&sample()));
        let mut r = sample();
        for e in &mut r.results {
            e.at.line += 40;
            for v in &mut e.violations {
                v.at.line += 40;
                v.at.column += 2;
                v.message.push_str(" (reworded)");
            }
        }
        assert_eq!(fingerprints(&render(&r)), before);
        let mut unique = before.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), before.len());
        std::sync::Arc::make_mut(&mut r.results[1].object).name = "web".into();
        let after = fingerprints(&render(&r));
        assert_ne!(after[1], before[1]);
        assert_eq!(after[2], before[2]);
    }

    #[test]
    fn standard_input_and_unknown_lines_are_said_as_far_as_known() {
        let mut r = sample();
        r.results[1].violations[0].at = Location::input("<stdin>");
        r.results[1].violations[1].at = Location::at("m.yaml", 0, 0);
        r.results[2].violations[0].at = Location::at("m.yaml", 7, 0);
        let doc = render(&r);
        let result = &doc["runs"][0]["results"][1];
        assert_eq!(
            result["locations"][0],
            serde_json::json!({
                "logicalLocations": [
                    { "name": "api", "fullyQualifiedName": "Deployment/payments/api", "kind": "object" }
                ],
                "message": { "text": "container \"app\": runAsNonRoot is not set" },
                "properties": { "path": "spec.template.spec.containers[0].securityContext.runAsNonRoot" }
            })
        );
        assert_eq!(
            result["relatedLocations"][0]["physicalLocation"],
            serde_json::json!({ "artifactLocation": { "uri": "m.yaml" } })
        );
        assert_eq!(
            doc["runs"][0]["results"][2]["locations"][0]["physicalLocation"]["region"],
            serde_json::json!({ "startLine": 7 })
        );
        assert_valid(&doc);
    }

    #[test]
    fn a_result_points_at_no_more_than_1000_locations() {
        let mut r = sample();
        r.results[1].violations = (1..=1500)
            .map(|i| {
                violation(&format!("spec.x[{i}]"), &format!("v{i}"), Location::at("m.yaml", i, 1))
            })
            .collect();
        let doc = render(&r);
        let result = &doc["runs"][0]["results"][1];
        let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
        assert_eq!(related, 999);
        assert_eq!(result["relatedLocations"][998]["id"], 999);
        assert_eq!(result["relatedLocations"][998]["message"]["text"], "v1000");
        assert_eq!(result["properties"]["locationsOmitted"], 500);
        let text = result["message"]["text"].as_str().unwrap_or_default();
        assert!(text.ends_with("; v10; and 1490 more"), "{text}");
        assert_valid(&doc);
    }

    #[test]
    fn a_run_over_the_limit_keeps_the_worst_results() {
        let doc = render_with(&sample(), 2);
        let ids: Vec<&str> = doc["runs"][0]["results"]
            .as_array()
            .map(|rs| rs.iter().filter_map(|r| r["ruleId"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(ids, ["VZ-APP-001", "VZ-K8S-001"]);
        assert_eq!(
            doc["runs"][0]["properties"]["truncated"],
            serde_json::json!({
                "kept": 2,
                "dropped": 2,
                "reason": "GitHub accepts at most 2 results per run: the lowest-severity ones are left out; the full list is in -o json"
            })
        );
        let doc = render_with(&sample(), 3);
        assert_eq!(
            doc["runs"][0]["results"][2]["ruleId"], "VZ-K8S-015",
            "a warning before a waived result"
        );
        assert_valid(&doc);
    }

    #[test]
    fn inputs_become_uri_references() {
        let uri = |input: &str| {
            let o = super::sample::object("Pod", "", "p");
            let l = location(&vz::Location::at(input, 1, 1), &o, "Pod/p", "", None, None);
            l["physicalLocation"]["artifactLocation"]["uri"].clone()
        };
        assert_eq!(uri("././k8s/a b%.yaml"), "k8s/a%20b%25.yaml");
        assert_eq!(uri("a:b.yaml"), "a%3Ab.yaml");
        assert_eq!(uri("/tmp/x y.yaml"), "file:///tmp/x%20y.yaml");
        for stdin in ["<stdin>", "-", ""] {
            assert_eq!(uri(stdin), Value::Null, "{stdin}");
        }
    }

    #[test]
    fn rule_names_and_tags_fit_what_viewers_accept() {
        let mut r = super::sample::rule(
            "X-1",
            "Images aren't pinned (by digest)",
            Severity::Low,
            Level::Warning,
            "",
        );
        assert_eq!(pascal(&r), "ImagesArenTPinnedByDigest");
        r.title = " - ".into();
        assert_eq!(pascal(&r), "X-1");
        r.title = " \n ".into();
        r.aliases = (0..30).map(|i| format!("A{}", i % 25)).collect();
        r.controls = vec![super::sample::control("cis", "1"), super::sample::control("cis", "1")];
        let v = rule(&r);
        let tags = v["properties"]["tags"].as_array().map_or(0, Vec::len);
        assert_eq!(tags, MAX_TAGS);
        assert_eq!(v["properties"]["tags"][0], "cis:1");
        assert_eq!(v["properties"]["tags"][1], "A0");
        assert_eq!(v["shortDescription"]["text"], "X-1");
        assert!(v.get("help").is_none(), "no fix, no help");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_text_makes_a_valid_log(s in super::sample::any_text()) {
            static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
            let doc = render(&super::sample::with_text(&s));
            let v = VALIDATOR.get_or_init(validator);
            let errors: Vec<String> =
                v.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
            proptest::prop_assert!(errors.is_empty(), "{}", errors.join("\n"));
            proptest::prop_assert_eq!(fingerprints(&doc).len(), 4);
        }
    }

    const SAMPLE: &str = r#"{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "runs": [
    {
      "properties": {
        "gate": {
          "failOn": "failed",
          "passed": false
        },
        "objects": 3,
        "overall": "error"
      },
      "results": [
        {
          "level": "error",
          "locations": [
            {
              "logicalLocations": [
                {
                  "fullyQualifiedName": "config/app.json",
                  "kind": "object",
                  "name": "app.json"
                }
              ],
              "message": {
                "text": "encryption.atRest is \"yes\", expected true or false"
              },
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "app.json"
                },
                "region": {
                  "startColumn": 1,
                  "startLine": 1
                }
              }
            }
          ],
          "message": {
            "text": "Data is encrypted at rest: could not be evaluated: encryption.atRest is \"yes\", expected true or false"
          },
          "partialFingerprints": {
            "primaryLocationLineHash": "214474b123309c22f620d0d8b5c24191606e93eebc30d39da2b1dd1888d7b1b6",
            "vz/v1": "214474b123309c22f620d0d8b5c24191606e93eebc30d39da2b1dd1888d7b1b6"
          },
          "properties": {
            "controls": [
              "gdpr:32(1)(a)"
            ],
            "note": "encryption.atRest is \"yes\", expected true or false",
            "object": "config/app.json",
            "status": "error"
          },
          "ruleId": "VZ-APP-001",
          "ruleIndex": 0
        },
        {
          "level": "error",
          "locations": [
            {
              "logicalLocations": [
                {
                  "fullyQualifiedName": "Deployment/payments/api",
                  "kind": "object",
                  "name": "api"
                }
              ],
              "message": {
                "text": "container \"app\": runAsNonRoot is not set"
              },
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "manifests.yaml"
                },
                "region": {
                  "startColumn": 11,
                  "startLine": 17
                }
              },
              "properties": {
                "path": "spec.template.spec.containers[0].securityContext.runAsNonRoot"
              }
            }
          ],
          "message": {
            "text": "Containers run as a non-root user: container \"app\": runAsNonRoot is not set; init container \"migrate\": runs as user 0"
          },
          "partialFingerprints": {
            "primaryLocationLineHash": "2ee3758e762fde31d15e4cc937104453cc11402a6cfc019c1bd346c66d1e8f84",
            "vz/v1": "2ee3758e762fde31d15e4cc937104453cc11402a6cfc019c1bd346c66d1e8f84"
          },
          "properties": {
            "controls": [
              "cis:5.2.7",
              "gdpr:32(1)(b)"
            ],
            "object": "Deployment/payments/api",
            "status": "failed"
          },
          "relatedLocations": [
            {
              "id": 1,
              "logicalLocations": [
                {
                  "fullyQualifiedName": "Deployment/payments/api",
                  "kind": "object",
                  "name": "api"
                }
              ],
              "message": {
                "text": "init container \"migrate\": runs as user 0"
              },
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "manifests.yaml"
                },
                "region": {
                  "startColumn": 24,
                  "startLine": 31
                }
              },
              "properties": {
                "path": "spec.template.spec.initContainers[0].securityContext.runAsUser"
              }
            }
          ],
          "ruleId": "VZ-K8S-001",
          "ruleIndex": 1
        },
        {
          "level": "warning",
          "locations": [
            {
              "logicalLocations": [
                {
                  "fullyQualifiedName": "Deployment/payments/api",
                  "kind": "object",
                  "name": "api"
                }
              ],
              "message": {
                "text": "container \"app\": no livenessProbe"
              },
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "manifests.yaml"
                },
                "region": {
                  "startColumn": 11,
                  "startLine": 17
                }
              },
              "properties": {
                "path": "spec.template.spec.containers[0].livenessProbe"
              }
            }
          ],
          "message": {
            "text": "Containers have a liveness probe: container \"app\": no livenessProbe"
          },
          "partialFingerprints": {
            "primaryLocationLineHash": "871ad7d6d430a8736c0bdbbce47775334438887df8166d2b305dd821f1edb5e4",
            "vz/v1": "871ad7d6d430a8736c0bdbbce47775334438887df8166d2b305dd821f1edb5e4"
          },
          "properties": {
            "controls": [],
            "object": "Deployment/payments/api",
            "status": "warning"
          },
          "ruleId": "VZ-K8S-015",
          "ruleIndex": 4
        },
        {
          "level": "error",
          "locations": [
            {
              "logicalLocations": [
                {
                  "fullyQualifiedName": "CronJob/payments/cleanup",
                  "kind": "object",
                  "name": "cleanup"
                }
              ],
              "message": {
                "text": "container \"sync\": capabilities.drop does not include ALL"
              },
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "manifests.yaml"
                },
                "region": {
                  "startColumn": 17,
                  "startLine": 66
                }
              },
              "properties": {
                "path": "spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities.drop"
              }
            }
          ],
          "message": {
            "text": "Containers drop all capabilities: container \"sync\": capabilities.drop does not include ALL"
          },
          "partialFingerprints": {
            "primaryLocationLineHash": "372a1cded68c7d55a26de2a62b962ee12b1878a90a6e3b0f08d21387813aec7c",
            "vz/v1": "372a1cded68c7d55a26de2a62b962ee12b1878a90a6e3b0f08d21387813aec7c"
          },
          "properties": {
            "controls": [
              "cis:5.2.9"
            ],
            "object": "CronJob/payments/cleanup",
            "status": "waived"
          },
          "ruleId": "VZ-K8S-003",
          "ruleIndex": 2,
          "suppressions": [
            {
              "justification": "the sync agent needs NET_ADMIN until v2",
              "kind": "external",
              "properties": {
                "expires": "2027-01-31",
                "owner": "@acme/platform",
                "source": "annotation"
              },
              "status": "accepted"
            }
          ]
        }
      ],
      "tool": {
        "driver": {
          "name": "vz-comply",
          "rules": [
            {
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "markdown": "Set encryption.atRest to true and name the key in encryption.keyId.\n\nControls: `gdpr:32(1)(a)`.",
                "text": "Set encryption.atRest to true and name the key in encryption.keyId."
              },
              "id": "VZ-APP-001",
              "name": "DataIsEncryptedAtRest",
              "properties": {
                "problem.severity": "error",
                "security-severity": "8.0",
                "severity": "high",
                "tags": [
                  "gdpr:32(1)(a)"
                ]
              },
              "shortDescription": {
                "text": "Data is encrypted at rest"
              }
            },
            {
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "markdown": "Set securityContext.runAsNonRoot to true (pod or container) and run as a non-zero runAsUser.\n\nThe same check elsewhere: `CKV_K8S_23`, `KSV-0012`, `kube-linter:run-as-non-root`.\n\nControls: `cis:5.2.7`, `gdpr:32(1)(b)`.",
                "text": "Set securityContext.runAsNonRoot to true (pod or container) and run as a non-zero runAsUser."
              },
              "id": "VZ-K8S-001",
              "name": "ContainersRunAsANonRootUser",
              "properties": {
                "problem.severity": "error",
                "security-severity": "8.0",
                "severity": "high",
                "tags": [
                  "cis:5.2.7",
                  "gdpr:32(1)(b)",
                  "CKV_K8S_23",
                  "KSV-0012",
                  "kube-linter:run-as-non-root"
                ]
              },
              "shortDescription": {
                "text": "Containers run as a non-root user"
              }
            },
            {
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "markdown": "Set securityContext.capabilities.drop to \\[ALL\\] and add back only what the process needs.\n\nThe same check elsewhere: `CKV_K8S_37`.\n\nControls: `cis:5.2.9`.",
                "text": "Set securityContext.capabilities.drop to [ALL] and add back only what the process needs."
              },
              "id": "VZ-K8S-003",
              "name": "ContainersDropAllCapabilities",
              "properties": {
                "problem.severity": "error",
                "security-severity": "5.5",
                "severity": "medium",
                "tags": [
                  "cis:5.2.9",
                  "CKV_K8S_37"
                ]
              },
              "shortDescription": {
                "text": "Containers drop all capabilities"
              }
            },
            {
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "markdown": "Remove hostNetwork (or set it to false) and expose the port through a Service.\n\nControls: `cis:5.2.5`.",
                "text": "Remove hostNetwork (or set it to false) and expose the port through a Service."
              },
              "id": "VZ-K8S-006",
              "name": "PodsDoNotUseTheHostNetwork",
              "properties": {
                "problem.severity": "error",
                "security-severity": "8.0",
                "severity": "high",
                "tags": [
                  "cis:5.2.5"
                ]
              },
              "shortDescription": {
                "text": "Pods do not use the host network"
              }
            },
            {
              "defaultConfiguration": {
                "level": "warning"
              },
              "help": {
                "markdown": "Add a livenessProbe that fails when the process is stuck.",
                "text": "Add a livenessProbe that fails when the process is stuck."
              },
              "id": "VZ-K8S-015",
              "name": "ContainersHaveALivenessProbe",
              "properties": {
                "problem.severity": "warning",
                "security-severity": "3.0",
                "severity": "low",
                "tags": []
              },
              "shortDescription": {
                "text": "Containers have a liveness probe"
              }
            },
            {
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "markdown": "Add a PodDisruptionBudget that selects the workload's pods.",
                "text": "Add a PodDisruptionBudget that selects the workload's pods."
              },
              "id": "VZ-K8S-026",
              "name": "ReplicatedWorkloadsHaveAPodDisruptionBudget",
              "properties": {
                "problem.severity": "error",
                "security-severity": "5.5",
                "severity": "medium",
                "tags": []
              },
              "shortDescription": {
                "text": "Replicated workloads have a PodDisruptionBudget"
              }
            }
          ],
          "version": "{VERSION}"
        }
      }
    }
  ],
  "version": "2.1.0"
}"#;
}
