//! SARIF 2.1.0 (FORMATS.md §5): one [`Report`] per run, one [`Raw`] per
//! result. SARIF has no field for the package or the vulnerability id, so
//! what a result means depends on its producer (`tool.driver.name`):
//!
//! - **Trivy ≥ 0.20**: rule id = vulnerability id; package, installed and
//!   fixed version only in the result's `message.text` lines (`Package: …`,
//!   `Installed Version: …`, `Fixed Version: …`), the target in the location
//!   uri (an image name or a file path) and `locations[].message.text`
//!   (`target: pkg@ver`).
//! - **Trivy 0.15-era**: rule id `CVE-…/pkg` (`RUSTSEC-…/pkg`,
//!   `pyup.io-…/pkg`), one rule per result, package and versions in the
//!   rule's `help.text` lines; and its `ruleIndex` is broken (it restarts at 0
//!   for every target), so a rule is taken by index only when its id agrees.
//! - **Grype** (and the old `Anchore Container Vulnerability Report`): rule
//!   id `CVE-…-<pkg>`, one rule per vulnerability and package, package data
//!   only in the rule's `help.text` lines, no `level`; the image and the path
//!   in it in `logicalLocations[].fullyQualifiedName` (`image@digest:/path`).
//! - **Snyk Open Source / Snyk Container**: rule id = Snyk id, CVEs only in
//!   `fullDescription.text` (`(CVE-…,CVE-…) pkg@ver`), Snyk's severity word
//!   at the start of `shortDescription` (`High severity - …`).
//! - **Anything else** (CodeQL, Snyk Code, dependency-check…): ids are the
//!   CVE/GHSA ids found in the rule id and the rule's texts, else the rule id
//!   itself; no package; the target is the first location's file and the
//!   location `uri:line`.
//!
//! Severity, for every producer (FORMATS.md §5 "Severity in SARIF"): the
//! rule's `security-severity` score → producer properties (`cvssv3_baseScore`,
//! then the producer's own word: a Trivy severity tag, Grype's `Severity:`
//! help line, Snyk's `shortDescription` prefix) → the result's `level` → the
//! rule's `defaultConfiguration.level` → `warning`, SARIF's default (error →
//! high, warning → medium, note → low, none → unknown).

use super::util::{
    first_line, first_nonblank, is_os, nonblank, push_id, push_unique, split_list, strip_os_suffix,
};
use crate::input::Doc;
use crate::model::{
    Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target, image_key, normalize_id,
};
use regex::Regex;
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::LazyLock;
use vz::Error;

// ---------------------------------------------------------------------------
// The document: only the fields read, borrowed where possible.

#[derive(Deserialize)]
struct Log<'a> {
    /// `null` when the tool failed to start (SARIF §3.13.4).
    #[serde(borrow)]
    runs: Option<Vec<Run<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    #[serde(borrow)]
    tool: Tool<'a>,
    /// `null` when the run failed, absent when results do not apply.
    #[serde(borrow, default)]
    results: Option<Vec<SarifResult<'a>>>,
    #[serde(borrow, default)]
    artifacts: Option<Vec<Artifact<'a>>>,
    #[serde(borrow, default)]
    properties: Option<RunProperties<'a>>,
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow)]
    driver: Driver<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    semantic_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    information_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    rules: Option<Vec<Rule<'a>>>,
}

/// Trivy's run properties, written for image scans since ~0.4x.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    #[serde(borrow, default)]
    image_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    repo_tags: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct Artifact<'a> {
    #[serde(borrow, default)]
    location: Option<ArtifactLocation<'a>>,
}

/// A `reportingDescriptor`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    short_description: Option<Text<'a>>,
    #[serde(borrow, default)]
    full_description: Option<Text<'a>>,
    #[serde(borrow, default)]
    help: Option<Text<'a>>,
    #[serde(borrow, default)]
    help_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    default_configuration: Option<Configuration<'a>>,
    #[serde(borrow, default)]
    properties: Option<RuleProperties<'a>>,
}

/// A `message` or `multiformatMessageString`.
#[derive(Deserialize)]
struct Text<'a> {
    #[serde(borrow, default)]
    text: Option<Lazy<'a>>,
    #[serde(borrow, default)]
    markdown: Option<Lazy<'a>>,
}

impl Text<'_> {
    fn text(&self) -> &str {
        self.text.as_ref().map(Lazy::get).unwrap_or_default()
    }
}

/// A JSON string kept raw until it is read: most long texts (descriptions,
/// markdown help) are never needed, and unescaping them into new strings
/// would be most of the cost of reading a SARIF log.
struct Lazy<'a> {
    raw: &'a RawValue,
    text: OnceCell<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Lazy<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'a RawValue = Deserialize::deserialize(d)?;
        let unexpected = match raw.get().as_bytes().first() {
            Some(b'"') => return Ok(Lazy { raw, text: OnceCell::new() }),
            Some(b'{') => Unexpected::Map,
            Some(b'[') => Unexpected::Seq,
            Some(b't') => Unexpected::Bool(true),
            Some(b'f') => Unexpected::Bool(false),
            Some(b'n') => Unexpected::Unit,
            _ => Unexpected::Other("number"),
        };
        Err(D::Error::invalid_type(unexpected, &"a string"))
    }
}

impl<'a> Lazy<'a> {
    /// The JSON text between the quotes, escapes and all.
    fn raw(&self) -> &'a str {
        let json = self.raw.get();
        json.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(json)
    }

    /// The text, unescaped once and kept.
    fn get(&self) -> &str {
        self.text.get_or_init(|| {
            let json = self.raw.get();
            match json.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
                _ => serde_json::from_str::<String>(json).map(Cow::Owned).unwrap_or_default(),
            }
        })
    }
}

#[derive(Deserialize)]
struct Configuration<'a> {
    #[serde(borrow, default)]
    level: Option<Cow<'a, str>>,
}

/// Scores are kept raw: SARIF says `security-severity` is a string, but
/// producers also write numbers, and Trivy's `cvss*` are numbers.
#[derive(Deserialize)]
struct RuleProperties<'a> {
    #[serde(rename = "security-severity", borrow, default)]
    security_severity: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tags: Option<Vec<Cow<'a, str>>>,
    #[serde(rename = "cvssv3_baseScore", borrow, default)]
    cvss3_score: Option<&'a RawValue>,
    #[serde(rename = "cvssv3_vector", borrow, default)]
    cvss3_vector: Option<Cow<'a, str>>,
    #[serde(rename = "cvssv2_score", borrow, default)]
    cvss2_score: Option<&'a RawValue>,
    #[serde(rename = "cvssv2_vector", borrow, default)]
    cvss2_vector: Option<Cow<'a, str>>,
    #[serde(rename = "cvssv40_baseScore", borrow, default)]
    cvss4_score: Option<&'a RawValue>,
    #[serde(rename = "cvssv40_vector", borrow, default)]
    cvss4_vector: Option<Cow<'a, str>>,
    /// Grype ≥ ~0.6x.
    #[serde(borrow, default)]
    purls: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(borrow, default)]
    rule_id: Option<Cow<'a, str>>,
    #[serde(default)]
    rule_index: Option<i64>,
    /// The 2.1.0 `reportingDescriptorReference` form of the two above.
    #[serde(borrow, default)]
    rule: Option<RuleReference<'a>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    level: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Text<'a>>,
    #[serde(borrow, default)]
    locations: Option<Vec<Location<'a>>>,
    #[serde(borrow, default)]
    analysis_target: Option<ArtifactLocation<'a>>,
    #[serde(borrow, default)]
    baseline_state: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RuleReference<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    index: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(borrow, default)]
    physical_location: Option<PhysicalLocation<'a>>,
    #[serde(borrow, default)]
    logical_locations: Option<Vec<LogicalLocation<'a>>>,
    #[serde(borrow, default)]
    message: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    #[serde(borrow, default)]
    artifact_location: Option<ArtifactLocation<'a>>,
    #[serde(default)]
    region: Option<Region>,
}

#[derive(Deserialize)]
struct ArtifactLocation<'a> {
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
    #[serde(default)]
    index: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(default)]
    start_line: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    fully_qualified_name: Option<Cow<'a, str>>,
}

// ---------------------------------------------------------------------------
// Parsing.

/// Parses one SARIF 2.1.0 log: one report per run (an empty `runs` gives
/// none), with the scanner named by the run's `tool.driver.name`.
pub fn parse(doc: &Doc<'_>) -> Result<Vec<Report>, Error> {
    let log: Log<'_> = doc.typed()?;
    let runs = log.runs.unwrap_or_default();
    let mut reports = Vec::with_capacity(runs.len());
    for (r, run) in runs.iter().enumerate() {
        reports.push(parse_run(doc, r, run)?);
    }
    Ok(reports)
}

/// Who wrote the run, which decides how its texts are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Producer {
    Trivy,
    Grype,
    /// Snyk Open Source and Snyk Container (not Snyk Code, a SAST tool).
    Snyk,
    Generic,
}

impl Producer {
    fn of(driver: &str) -> Producer {
        let d = driver.trim().to_ascii_lowercase();
        if d.starts_with("trivy") {
            Producer::Trivy
        } else if d.starts_with("grype") || d.starts_with("anchore") {
            Producer::Grype
        } else if d.starts_with("snyk") && !d.contains("code") {
            Producer::Snyk
        } else {
            Producer::Generic
        }
    }
}

/// What a run's results share.
struct RunCtx<'r, 'a> {
    producer: Producer,
    scanner: Scanner,
    rules: &'r [Rule<'a>],
    artifacts: &'r [Artifact<'a>],
    /// Trivy: the image the whole run scanned, when there is one.
    image: Option<Target>,
}

fn parse_run(doc: &Doc<'_>, r: usize, run: &Run<'_>) -> Result<Report, Error> {
    let driver = &run.tool.driver;
    let scanner = Scanner::from_driver(&driver.name);
    let producer = Producer::of(&driver.name);
    let version = [&driver.semantic_version, &driver.version]
        .into_iter()
        .flatten()
        .map(|v| v.trim())
        .find(|v| !matches!(*v, "" | "dev" | "[not provided]" | "0.0.0-dev"))
        .map(str::to_string);
    let rules = driver.rules.as_deref().unwrap_or_default();
    let results = run.results.as_deref().unwrap_or_default();

    let mut by_id: Option<HashMap<&str, usize>> = None;
    let resolved: Vec<Option<usize>> =
        results.iter().map(|res| resolve_rule(res, rules, &mut by_id)).collect();

    let mut ctx = RunCtx {
        producer,
        scanner,
        rules,
        artifacts: run.artifacts.as_deref().unwrap_or_default(),
        image: None,
    };
    if producer == Producer::Trivy {
        ctx.image = trivy_run_image(&ctx, run.properties.as_ref(), results, &resolved);
    }

    let homepage = driver.information_uri.as_deref().map(str::trim).unwrap_or_default();
    let mut infos: Vec<Option<RuleInfo>> = Vec::new();
    infos.resize_with(rules.len(), || None);
    let no_rule = RuleInfo::default();
    let mut findings = Vec::with_capacity(results.len());
    for (i, (res, &k)) in results.iter().zip(&resolved).enumerate() {
        if !is_finding(res) {
            continue;
        }
        let rule = k.map(|k| &rules[k]);
        let info = match k {
            Some(k) => &*infos[k].get_or_insert_with(|| RuleInfo::new(&rules[k], &ctx, homepage)),
            None => &no_rule,
        };
        let Some(rule_id) = result_rule_id(res, rule) else {
            return Err(Error::Invalid {
                at: doc.locate(0, 0),
                path: format!("runs[{r}].results[{i}]"),
                message:
                    "the result has no ruleId and no rule (by ruleIndex) to name the vulnerability"
                        .to_string(),
                suggestion: None,
            });
        };
        if let Some(raw) = finding(&ctx, res, rule, rule_id, info) {
            findings.push(raw);
        }
    }
    Ok(Report { scanner: ctx.scanner, version, findings })
}

/// Results that are not findings: a passed or not-applicable check, and a
/// result only in the baseline (gone from this run).
fn is_finding(res: &SarifResult<'_>) -> bool {
    let kind = res.kind.as_deref().unwrap_or("fail");
    !matches!(kind, "pass" | "notApplicable") && res.baseline_state.as_deref() != Some("absent")
}

/// The rule of a result. `ruleIndex` is the reliable link when it is in
/// range and its rule's id agrees with `ruleId` (equal, or the first part of
/// a hierarchical `ruleId`); otherwise the rule is looked up by `ruleId`
/// (Trivy 0.15 restarts `ruleIndex` at 0 for every target, so 60 of its 124
/// indexes point at the wrong rule). No match: no rule, and the result
/// parses with what it has.
fn resolve_rule<'r>(
    res: &SarifResult<'_>,
    rules: &'r [Rule<'_>],
    by_id: &mut Option<HashMap<&'r str, usize>>,
) -> Option<usize> {
    let id = res.rule_id.as_deref().or_else(|| res.rule.as_ref().and_then(|r| r.id.as_deref()));
    let index = res.rule_index.or_else(|| res.rule.as_ref().and_then(|r| r.index));
    if let Some(k) = index.and_then(|i| usize::try_from(i).ok()).filter(|&k| k < rules.len()) {
        let rule_id = rules[k].id.as_deref();
        let agrees = match (id, rule_id) {
            (None, _) => true,
            (Some(id), Some(rid)) => {
                id == rid || id.strip_prefix(rid).is_some_and(|rest| rest.starts_with('/'))
            }
            (Some(_), None) => false,
        };
        if agrees {
            return Some(k);
        }
    }
    let id = id?;
    let map = by_id.get_or_insert_with(|| {
        let mut m = HashMap::with_capacity(rules.len());
        for (k, rule) in rules.iter().enumerate() {
            if let Some(rid) = rule.id.as_deref() {
                m.entry(rid).or_insert(k);
            }
        }
        m
    });
    map.get(id).or_else(|| id.split_once('/').and_then(|(head, _)| map.get(head))).copied()
}

fn result_rule_id<'x>(res: &'x SarifResult<'_>, rule: Option<&'x Rule<'_>>) -> Option<&'x str> {
    [
        res.rule_id.as_deref(),
        res.rule.as_ref().and_then(|r| r.id.as_deref()),
        rule.and_then(|r| r.id.as_deref()),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------
// What a rule says, computed once per rule (Trivy has many results per rule).

#[derive(Default)]
struct RuleInfo {
    title: String,
    urls: Vec<String>,
    /// The rating from the rule (steps 1–3 of the severity order).
    rating: Option<Rating>,
    cvss: Vec<Cvss>,
}

#[derive(Clone)]
struct Rating {
    severity: Severity,
    given: String,
    from: Option<String>,
}

impl RuleInfo {
    fn new(rule: &Rule<'_>, ctx: &RunCtx<'_, '_>, homepage: &str) -> RuleInfo {
        let short = text_of(&rule.short_description);
        let full = text_of(&rule.full_description);
        let rule_id = rule.id.as_deref().unwrap_or_default();
        let title_text = match ctx.producer {
            // The 0.15 template writes `CVE-… Package: curl` there and the
            // vulnerability's title in fullDescription.
            Producer::Trivy if rule_id.contains('/') => first_nonblank([full, short]),
            Producer::Snyk => first_nonblank([snyk_strip_severity(short), full]),
            _ => first_nonblank([short, full]),
        };
        let title = match first_line(title_text.unwrap_or_default()) {
            "" => first_line(rule.name.as_deref().unwrap_or_default()).to_string(),
            t => t.to_string(),
        };

        let mut urls = Vec::new();
        // The tool's own homepage (Grype writes it as every rule's helpUri)
        // is not an advisory.
        if let Some(u) = rule.help_uri.as_deref().map(str::trim)
            && is_http(u)
            && u.trim_end_matches('/') != homepage.trim_end_matches('/')
        {
            push_unique(&mut urls, u);
        }
        let help = Lines::of(rule.help.as_ref().and_then(|h| h.text.as_ref()));
        push_links(help, &mut urls);
        if ctx.producer == Producer::Snyk {
            let markdown = Lines::of(rule.help.as_ref().and_then(|h| h.markdown.as_ref()));
            if let Some(references) = markdown.after("# References") {
                push_links(references, &mut urls);
            }
        }

        let props = rule.properties.as_ref();
        let name = ctx.scanner.name();
        let mut cvss = Vec::new();
        if let Some(p) = props {
            for (vector, score) in [
                (&p.cvss3_vector, p.cvss3_score),
                (&p.cvss4_vector, p.cvss4_score),
                (&p.cvss2_vector, p.cvss2_score),
            ] {
                let vector = vector.as_deref().map(str::trim).unwrap_or_default();
                let score = score.and_then(number).map(|(n, _)| n).filter(|n| *n > 0.0);
                if !vector.is_empty() || score.is_some() {
                    cvss.push(Cvss::from_vector(name, vector, score));
                }
            }
        }

        let mut rating = None;
        if let Some((score, given)) = props.and_then(|p| p.security_severity).and_then(number) {
            // A score the other CVSS entries do not already carry is kept
            // as a rating of its own (0.0 is "unknown", not a score).
            if score > 0.0 && !cvss.iter().any(|c| c.score == Some(score)) {
                cvss.push(Cvss {
                    source: name.to_string(),
                    vector: String::new(),
                    score: Some(score),
                });
            }
            rating = Some(Rating {
                severity: Severity::from_score(score),
                given,
                from: Some("security-severity".to_string()),
            });
        }
        if rating.is_none()
            && let Some((score, given)) = props.and_then(|p| p.cvss3_score).and_then(number)
            && score > 0.0
        {
            rating = Some(Rating {
                severity: Severity::from_score(score),
                given,
                from: Some("cvssv3_baseScore".to_string()),
            });
        }
        if rating.is_none() {
            rating = producer_word(rule, ctx.producer, short, help);
        }
        RuleInfo { title, urls, rating, cvss }
    }
}

/// The producer's own severity word: Snyk's `High severity - …` title,
/// Grype's `Severity:` help line, else a Trivy-style upper-case severity
/// tag (`LOW`… `CRITICAL`, `UNKNOWN`).
fn producer_word(
    rule: &Rule<'_>,
    producer: Producer,
    short: &str,
    help: Lines<'_>,
) -> Option<Rating> {
    let word = match producer {
        Producer::Snyk => short
            .split_once(" severity")
            .map(|(w, _)| Cow::Borrowed(w.trim()))
            .filter(|w| !w.contains(' ')),
        Producer::Grype => help.field("Severity"),
        _ => None,
    };
    let word = word.filter(|w| !w.is_empty()).or_else(|| {
        let tags = rule.properties.as_ref()?.tags.as_deref()?;
        tags.iter()
            .map(|t| t.trim())
            .find(|t| matches!(*t, "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN"))
            .map(Cow::Borrowed)
    })?;
    // Snyk's JSON parser names Snyk's own rating `snyk`; Trivy and Grype
    // do not say who rated.
    let from = (producer == Producer::Snyk).then(|| "snyk".to_string());
    Some(Rating { severity: Severity::from_word(&word), given: word.into_owned(), from })
}

/// Steps 4–6 of the severity order: the result's level, the rule's default
/// level, SARIF's default `warning`.
fn level_rating(res: &SarifResult<'_>, rule: Option<&Rule<'_>>) -> Rating {
    if let Some(l) = res.level.as_deref()
        && let Some(s) = level_severity(l)
    {
        return Rating {
            severity: s,
            given: l.trim().to_string(),
            from: Some("level".to_string()),
        };
    }
    if let Some(l) =
        rule.and_then(|r| r.default_configuration.as_ref()).and_then(|c| c.level.as_deref())
        && let Some(s) = level_severity(l)
    {
        return Rating {
            severity: s,
            given: l.trim().to_string(),
            from: Some("defaultConfiguration.level".to_string()),
        };
    }
    Rating { severity: Severity::Medium, given: "warning".to_string(), from: None }
}

fn level_severity(level: &str) -> Option<Severity> {
    match level.trim().to_ascii_lowercase().as_str() {
        "error" => Some(Severity::High),
        "warning" => Some(Severity::Medium),
        "note" => Some(Severity::Low),
        "none" => Some(Severity::Unknown),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// One result.

/// What the producer-specific readers find.
#[derive(Default)]
struct Found {
    ids: Vec<String>,
    package: Package,
    version: String,
    fixed: Vec<String>,
    target: Option<Target>,
    location: Option<String>,
}

fn finding(
    ctx: &RunCtx<'_, '_>,
    res: &SarifResult<'_>,
    rule: Option<&Rule<'_>>,
    rule_id: &str,
    info: &RuleInfo,
) -> Option<Raw> {
    let found = match ctx.producer {
        Producer::Trivy => trivy(ctx, res, rule, rule_id)?,
        Producer::Grype => grype(ctx, res, rule, rule_id),
        Producer::Snyk => snyk(ctx, res, rule, rule_id)?,
        Producer::Generic => generic(ctx, res, rule, rule_id),
    };
    let rating = info.rating.clone().unwrap_or_else(|| level_rating(res, rule));
    let title = if info.title.is_empty() && ctx.producer == Producer::Generic {
        first_line(text_of(&res.message)).to_string()
    } else {
        info.title.clone()
    };
    let target = found.target.unwrap_or_else(|| Target::file(""));
    Some(Raw {
        ids: found.ids,
        package: found.package,
        version: found.version,
        fixable: !found.fixed.is_empty(),
        fixed: found.fixed,
        severity: rating.severity,
        severity_given: rating.given,
        severity_from: rating.from,
        cvss: info.cvss.clone(),
        target,
        location: found.location,
        title,
        urls: info.urls.clone(),
    })
}

/// The class of a Trivy rule, from its `name` (current and 0.15 spellings).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TrivyClass {
    Os,
    Lang,
    /// Misconfigurations, secrets and licences: not vulnerabilities, skipped
    /// on purpose.
    Skip,
    Unknown,
}

fn trivy_class(rule: Option<&Rule<'_>>, res: &SarifResult<'_>) -> TrivyClass {
    let name = rule.and_then(|r| r.name.as_deref()).unwrap_or_default();
    let first_tag = rule
        .and_then(|r| r.properties.as_ref())
        .and_then(|p| p.tags.as_deref())
        .and_then(|t| t.first())
        .map(|t| t.trim())
        .unwrap_or_default();
    if name.starts_with("OsPackageVulnerability") || name.starts_with("OS Package Vulnerability") {
        TrivyClass::Os
    } else if name.starts_with("LanguageSpecificPackageVulnerability")
        || name.starts_with("Programming Language Vulnerability")
    {
        TrivyClass::Lang
    } else if matches!(name, "Misconfiguration" | "Secret" | "License")
        || matches!(first_tag, "misconfiguration" | "secret" | "license")
        // Without a rule: Trivy's non-vulnerability messages start so.
        || (rule.is_none() && raw_text(&res.message).starts_with("Artifact:"))
    {
        TrivyClass::Skip
    } else {
        TrivyClass::Unknown
    }
}

/// The image a Trivy run scanned: `run.properties.imageName` (else the first
/// `repoTags`) when Trivy wrote them (image scans, current versions); else
/// the uri of the first OS-package result, when it reads as an image name
/// (Trivy writes the image's repository there; see [`looks_like_file`]).
/// When the run has an image, every other uri of the run (a lockfile, a
/// jar, a binary) is a path inside it — Trivy splits one image into several
/// targets, and they are one artifact.
fn trivy_run_image(
    ctx: &RunCtx<'_, '_>,
    props: Option<&RunProperties<'_>>,
    results: &[SarifResult<'_>],
    resolved: &[Option<usize>],
) -> Option<Target> {
    if let Some(p) = props {
        let name = p.image_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let tag = p
            .repo_tags
            .as_deref()
            .and_then(|t| t.first())
            .map(|t| t.trim())
            .filter(|t| !t.is_empty());
        if let Some(reference) = name.or(tag) {
            return Some(Target::image(reference));
        }
    }
    results.iter().zip(resolved).find_map(|(res, k)| {
        let rule = k.map(|k| &ctx.rules[k]);
        if trivy_class(rule, res) != TrivyClass::Os {
            return None;
        }
        let uri = result_uri(ctx, res)?;
        let name = strip_os_suffix(uri);
        (!name.is_empty() && !looks_like_file(name)).then(|| image_named(name, uri))
    })
}

fn trivy(
    ctx: &RunCtx<'_, '_>,
    res: &SarifResult<'_>,
    rule: Option<&Rule<'_>>,
    rule_id: &str,
) -> Option<Found> {
    let class = trivy_class(rule, res);
    if class == TrivyClass::Skip {
        return None;
    }
    let mut f = Found::default();
    let nonempty = |v: &Cow<'_, str>| !v.is_empty();
    if let Some((vuln_id, pkg)) = rule_id.split_once('/') {
        // 0.15 era: `CVE-…/pkg`, one rule per result, the package and the
        // versions in the rule's help text (the message is the description).
        f.ids.push(normalize_id(vuln_id));
        let help = Lines::of(rule.and_then(|r| r.help.as_ref()).and_then(|h| h.text.as_ref()));
        let short = rule.map(|r| text_of(&r.short_description)).unwrap_or_default();
        let [package, installed, fixed] =
            help.fields(["Package", "Installed Version", "Fixed Version"]);
        f.package.name = package
            .filter(nonempty)
            .or(Some(Cow::Borrowed(pkg.trim())).filter(nonempty))
            .or_else(|| short.split_once("Package:").map(|(_, p)| Cow::Borrowed(p.trim())))
            .unwrap_or_default()
            .into_owned();
        f.version = installed.unwrap_or_default().into_owned();
        f.fixed = split_list(&fixed.unwrap_or_default());
        // `OS Package Vulnerability (Alpine)`, `… Vulnerability (Pipenv)`.
        f.package.ecosystem = rule
            .and_then(|r| r.name.as_deref())
            .and_then(|n| n.rsplit_once('(')?.1.strip_suffix(')'))
            .and_then(Ecosystem::from_word);
    } else {
        f.ids.push(normalize_id(rule_id));
        let msg = Lines::of(res.message.as_ref().and_then(|m| m.text.as_ref()));
        // `target: pkg@ver` on the location, when the message lacks them.
        let at = || {
            let m = res.locations.as_deref()?.first()?.message.as_ref()?.text();
            let (name, version) = m.rsplit_once(": ")?.1.trim().rsplit_once('@')?;
            (!name.is_empty()).then(|| (name.to_string(), version.to_string()))
        };
        let [name, version, fixed] = msg.fields(["Package", "Installed Version", "Fixed Version"]);
        let (name, version) = (name.filter(nonempty), version.filter(nonempty));
        let fallback = if name.is_none() || version.is_none() { at() } else { None };
        f.package.name =
            name.map_or_else(|| fallback.clone().unwrap_or_default().0, Cow::into_owned);
        f.version = version.map_or_else(|| fallback.unwrap_or_default().1, Cow::into_owned);
        f.fixed = split_list(&fixed.unwrap_or_default());
    }

    let uri = result_uri(ctx, res).unwrap_or_default();
    match &ctx.image {
        Some(image) => {
            let same = class == TrivyClass::Os
                || uri.is_empty()
                || image_key(strip_os_suffix(uri)) == image.key;
            f.location = (!same).then(|| uri.to_string());
            f.target = Some(image.clone());
        }
        None => {
            let name = strip_os_suffix(uri);
            f.target = Some(if class == TrivyClass::Lang || looks_like_file(name) {
                Target::file(uri)
            } else {
                image_named(name, uri)
            });
        }
    }
    Some(f)
}

fn grype(
    ctx: &RunCtx<'_, '_>,
    res: &SarifResult<'_>,
    rule: Option<&Rule<'_>>,
    rule_id: &str,
) -> Found {
    let mut f = Found::default();
    let help = Lines::of(rule.and_then(|r| r.help.as_ref()).and_then(|h| h.text.as_ref()));
    // The rule id is `CVE-…-<pkg>` (old Anchore: `ANCHOREVULN_…`): the id is
    // the help's `Vulnerability X` line, else the CVE/GHSA in the rule id.
    let vuln = help.find(|l| l.trim().strip_prefix("Vulnerability ").map(str::trim));
    match vuln.filter(|v| !v.is_empty() && !v.contains(' ')) {
        Some(v) => f.ids.push(normalize_id(&v)),
        None => vuln_ids(rule_id, &mut f.ids),
    }
    if f.ids.is_empty() {
        f.ids.push(normalize_id(rule_id));
    }
    let nonempty = |v: &Cow<'_, str>| !v.is_empty();
    let [name, version, fix, kind, location] =
        help.fields(["Package", "Version", "Fix Version", "Type", "Location"]);
    let (name, version) = (name.filter(nonempty), version.filter(nonempty));
    let message = text_of(&res.message);
    let fallback = if name.is_none() || version.is_none() { grype_message(message) } else { None };
    f.package.name =
        name.map_or_else(|| fallback.unwrap_or_default().0.to_string(), Cow::into_owned);
    f.version = version.map_or_else(|| fallback.unwrap_or_default().1.to_string(), Cow::into_owned);
    f.fixed = split_list(&fix.unwrap_or_default());
    f.package.ecosystem = kind.and_then(|t| Ecosystem::from_word(&t));
    f.package.purl = rule
        .and_then(|r| r.properties.as_ref())
        .and_then(|p| p.purls.as_deref())
        .and_then(|p| p.first())
        .and_then(|p| nonblank(p));

    // Target: the image of `image@sha256:layer:/path` (a file source writes
    // `file:/path`), else the image named in the message (`… in image X at:
    // /path`), else the uri: `image//path` (`<image short name>/<path>`) or
    // a path of a directory scan.
    let mut path = None;
    let fqn = res
        .locations
        .as_deref()
        .and_then(|l| l.first())
        .and_then(|l| l.logical_locations.as_deref())
        .and_then(|l| l.first())
        .and_then(|l| l.fully_qualified_name.as_deref().or(l.name.as_deref()).map(str::trim))
        .filter(|n| !n.is_empty());
    if let Some(fqn) = fqn {
        if let Some(at) = fqn.find("@sha256:") {
            f.target = Some(Target::image(&fqn[..at]));
            path = fqn[at..].find(":/").map(|p| &fqn[at + p + 1..]);
        } else if let Some((file, p)) = fqn.split_once(":/") {
            f.target = Some(Target::file(file));
            path = Some(&fqn[file.len() + 1..]).filter(|_| !p.is_empty());
        }
    }
    let uri = result_uri(ctx, res).unwrap_or_default();
    if f.target.is_none()
        && let Some((_, rest)) = message.split_once(" in image ")
        && let Some((image, at)) = rest.split_once(" at: ")
    {
        f.target = Some(Target::image(image.trim()));
        path = Some(at.trim());
    }
    if f.target.is_none() {
        match uri.split_once("//").filter(|(image, _)| !image.is_empty() && !image.ends_with(':')) {
            Some((image, p)) => {
                f.target = Some(Target::image(image));
                path = Some(&uri[image.len() + 1..]).filter(|_| !p.is_empty());
            }
            None => f.target = Some(Target::file(uri)),
        }
    }
    // The help's `Location:` is the path in the image; in a directory scan
    // it is the uri, the target itself.
    f.location = location
        .filter(nonempty)
        .or(path.map(Cow::Borrowed))
        .filter(|l| l != uri)
        .map(Cow::into_owned);
    f
}

/// Package and version from a Grype message: `The path P reports NAME at
/// version V  which…` (≤ 0.6x) or `A low vulnerability in deb package:
/// NAME, version V, was found…` (current).
fn grype_message(msg: &str) -> Option<(&str, &str)> {
    if let Some((_, rest)) = msg.split_once(" package: ") {
        let (name, rest) = rest.split_once(", version ")?;
        let version = rest.split_once(", was found").map_or(rest, |v| v.0);
        return Some((name.trim(), version.trim()));
    }
    let (_, rest) = msg.split_once(" reports ")?;
    let (name, rest) = rest.split_once(" at version ")?;
    let version = rest.split_whitespace().next()?;
    Some((name.trim(), version))
}

fn snyk(
    ctx: &RunCtx<'_, '_>,
    res: &SarifResult<'_>,
    rule: Option<&Rule<'_>>,
    rule_id: &str,
) -> Option<Found> {
    // Licence issues are not vulnerabilities.
    if rule_id.starts_with("snyk:lic") {
        return None;
    }
    let mut f = Found::default();
    let full = rule.map(|r| text_of(&r.full_description)).unwrap_or_default().trim();
    // `(CVE-2019-11358,CVE-2019-5428) jquery@2.2.4`, or just `ms@0.7.1`.
    let (cves, pkg) = match full.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((cves, pkg)) => (cves, pkg.trim()),
        None => ("", full),
    };
    vuln_ids(cves, &mut f.ids);
    push_id(&mut f.ids, rule_id);
    let (name, version) = match pkg.rsplit_once('@').filter(|(n, _)| !n.is_empty()) {
        Some((n, v)) => (n, v),
        None => (pkg, ""),
    };
    let name = match name {
        "" => rule
            .map(|r| text_of(&r.short_description))
            .and_then(|s| s.rsplit_once(" vulnerability in "))
            .map_or("", |(_, n)| n.trim()),
        n => n,
    };
    f.version = version.trim().to_string();
    let markdown = Lines::of(rule.and_then(|r| r.help.as_ref()).and_then(|h| h.markdown.as_ref()));
    // The package manager: a tag that names an ecosystem (the others are
    // `security` and CWEs), else the help's `* Package Manager: npm`.
    let tags = rule
        .and_then(|r| r.properties.as_ref())
        .and_then(|p| p.tags.as_deref())
        .unwrap_or_default();
    f.package.ecosystem = tags
        .iter()
        .filter_map(|t| Ecosystem::from_word(t))
        .find(|e| !matches!(e, Ecosystem::Other(_)))
        .or_else(|| {
            markdown
                .find(|l| l.trim().strip_prefix("* Package Manager:"))
                .and_then(|m| Ecosystem::from_word(&m))
        });
    // Snyk names OS packages `source/binary`; the binary is the package.
    match name.split_once('/') {
        Some((source, binary)) if is_os(f.package.ecosystem.as_ref()) => {
            f.package.name = binary.to_string();
            f.package.source = Some(source.to_string()).filter(|s| s != binary);
        }
        _ => f.package.name = name.to_string(),
    }
    f.fixed = snyk_upgrade(markdown);
    let uri = result_uri(ctx, res).unwrap_or_default();
    // The manifest (`package.json`, line 1 always): the target itself.
    f.target = Some(Target::file(uri));
    Some(f)
}

/// Fixed versions from Snyk's remediation: ``Upgrade `pkg` to version 2.2.1,
/// 3.0.1 or higher.``
fn snyk_upgrade(markdown: Lines<'_>) -> Vec<String> {
    let Some(remediation) = markdown.after("# Remediation") else { return Vec::new() };
    remediation
        .iter()
        .skip(1)
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| l.starts_with("Upgrade "))
        .and_then(|l| l.split_once(" to version "))
        .and_then(|(_, v)| v.split_once(" or higher"))
        .map(|(v, _)| split_list(&remediation.value(v)))
        .unwrap_or_default()
}

fn snyk_strip_severity(short: &str) -> &str {
    match short.split_once(" severity - ") {
        Some((word, rest)) if !word.contains(' ') => rest,
        _ => short,
    }
}

fn generic(
    ctx: &RunCtx<'_, '_>,
    res: &SarifResult<'_>,
    rule: Option<&Rule<'_>>,
    rule_id: &str,
) -> Found {
    let mut f = Found::default();
    vuln_ids(rule_id, &mut f.ids);
    if let Some(rule) = rule {
        // CVE and GHSA ids hold no JSON escapes: the raw texts will do.
        for text in [
            rule.name.as_deref().unwrap_or_default(),
            raw_text(&rule.short_description),
            raw_text(&rule.full_description),
        ] {
            vuln_ids(text, &mut f.ids);
        }
    }
    if f.ids.is_empty() {
        f.ids.push(normalize_id(rule_id));
    }
    let uri = result_uri(ctx, res).unwrap_or_default();
    f.target = Some(Target::file(uri));
    let line = res
        .locations
        .as_deref()
        .and_then(|l| l.first())
        .and_then(|l| l.physical_location.as_ref())
        .and_then(|p| p.region.as_ref())
        .and_then(|r| r.start_line);
    f.location = match line {
        Some(line) if !uri.is_empty() => Some(format!("{uri}:{line}")),
        _ => None,
    };
    f
}

// ---------------------------------------------------------------------------
// Helpers.

/// The first location's uri (or the run artifact it points at), else the
/// result's `analysisTarget`; a `file://` scheme is dropped.
fn result_uri<'x>(ctx: &'x RunCtx<'_, '_>, res: &'x SarifResult<'_>) -> Option<&'x str> {
    let artifact = res
        .locations
        .as_deref()
        .and_then(|l| l.first())
        .and_then(|l| l.physical_location.as_ref())
        .and_then(|p| p.artifact_location.as_ref());
    let uri = artifact
        .and_then(|a| {
            a.uri.as_deref().or_else(|| {
                let k = usize::try_from(a.index?).ok()?;
                ctx.artifacts.get(k)?.location.as_ref()?.uri.as_deref()
            })
        })
        .or_else(|| res.analysis_target.as_ref().and_then(|a| a.uri.as_deref()))?;
    let uri = uri.trim();
    Some(uri.strip_prefix("file://").unwrap_or(uri))
}

/// An image target named `name` (the uri without Trivy's ` (alpine 3.7.1)`)
/// that keeps the uri as given.
fn image_named(name: &str, given: &str) -> Target {
    Target { given: given.trim().to_string(), ..Target::image(name) }
}

/// Whether a Trivy uri is a file (a lockfile, a jar, an archive) rather
/// than an image name, for runs that do not say they scanned an image: an
/// absolute or `./` path, a Windows path, a known lockfile name without an
/// extension (`Gemfile`, `Pipfile`…), or a last segment with an extension
/// (`.lock`, `.json`, `.tar.gz`; at least one letter, so `node:18.04` is
/// not one). A tag or digest (`:`/`@` in the last segment) means an image.
/// An extension-less binary path (`usr/local/bin/gosu`) reads as an image
/// here; Trivy names such results language-package ones, which are always
/// files, so only rule-less results can be misread.
fn looks_like_file(uri: &str) -> bool {
    if uri.starts_with('/') || uri.starts_with("./") || uri.starts_with("../") || uri.contains('\\')
    {
        return true;
    }
    let last = uri.rsplit('/').next().unwrap_or(uri);
    if last.contains([':', '@']) {
        return false;
    }
    if matches!(
        last,
        "Gemfile" | "Pipfile" | "Podfile" | "Cartfile" | "Dockerfile" | "Containerfile"
    ) {
        return true;
    }
    last.rfind('.').is_some_and(|dot| {
        let ext = &last[dot + 1..];
        dot > 0
            && (1..=10).contains(&ext.len())
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            && ext.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// The CVE and GHSA ids in a text, normalised, appended without duplicates.
fn vuln_ids(text: &str, ids: &mut Vec<String>) {
    static VULN_ID: LazyLock<Regex> = LazyLock::new(|| {
        #[allow(clippy::expect_used)]
        Regex::new(r"(?i)(CVE-[0-9]{4}-[0-9]+|GHSA(-[23456789cfghjmpqrvwx]{4}){3})")
            .expect("a valid pattern")
    });
    if text.len() < 13 {
        return;
    }
    for m in VULN_ID.find_iter(text) {
        push_id(ids, m.as_str());
    }
}

/// A text as JSON, escapes and all.
fn raw_text<'x>(t: &'x Option<Text<'_>>) -> &'x str {
    t.as_ref().and_then(|t| t.text.as_ref()).map_or("", |l| l.raw())
}

fn text_of<'x>(t: &'x Option<Text<'_>>) -> &'x str {
    t.as_ref().map(Text::text).unwrap_or_default()
}

/// A text read line by line: the JSON text itself, split at its `\n`
/// escapes, with only the pieces used unescaped — Trivy's and Grype's
/// texts are read for a few `Key: value` lines, and unescaping whole
/// descriptions for them would cost more than the rest of the parse. A
/// text with an escaped backslash (where `\\n` is no line break) is
/// unescaped whole instead.
#[derive(Clone, Copy, Default)]
struct Lines<'x> {
    text: &'x str,
    raw: bool,
}

impl<'x> Lines<'x> {
    fn of(text: Option<&'x Lazy<'_>>) -> Lines<'x> {
        match text {
            None => Lines::default(),
            Some(t) if t.raw().contains("\\\\") => Lines { text: t.get(), raw: false },
            Some(t) => Lines { text: t.raw(), raw: true },
        }
    }

    fn iter(self) -> impl Iterator<Item = &'x str> {
        let mut rest = Some(self.text);
        std::iter::from_fn(move || {
            let text = rest?;
            let (line, next) = match self.line_break(text) {
                Some((at, width)) => (&text[..at], Some(&text[at + width..])),
                None => (text, None),
            };
            rest = next;
            Some(if self.raw {
                line.strip_suffix("\\r").unwrap_or(line)
            } else {
                line.trim_end_matches('\r')
            })
        })
    }

    /// Where the next line break is, and its width: `\n` escapes in raw
    /// text (no escaped backslash can precede one there).
    fn line_break(self, text: &str) -> Option<(usize, usize)> {
        if !self.raw {
            return text.find('\n').map(|at| (at, 1));
        }
        let mut from = 0;
        while let Some(i) = text[from..].find('\\') {
            let at = from + i;
            match text.as_bytes().get(at + 1) {
                Some(b'n') => return Some((at, 2)),
                Some(_) => from = at + 2,
                None => return None,
            }
        }
        None
    }

    /// A piece of the text, unescaped.
    fn value(self, piece: &'x str) -> Cow<'x, str> {
        if self.raw { unescape(piece) } else { Cow::Borrowed(piece) }
    }

    /// What `pick` finds in the first line it finds something in.
    fn find(self, pick: impl Fn(&'x str) -> Option<&'x str>) -> Option<Cow<'x, str>> {
        self.iter().find_map(pick).map(|v| self.value(v))
    }

    /// The value of a `Key: value` line.
    fn field(self, key: &str) -> Option<Cow<'x, str>> {
        let [value] = self.fields([key]);
        value
    }

    /// The values of several `Key: value` lines, in one pass.
    fn fields<const N: usize>(self, keys: [&str; N]) -> [Option<Cow<'x, str>>; N] {
        let mut values = [const { None }; N];
        let mut missing = N;
        for line in self.iter() {
            let line = line.trim_start();
            for (key, value) in keys.iter().zip(values.iter_mut()) {
                if value.is_none()
                    && let Some(v) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':'))
                {
                    *value = Some(self.value(v.trim()));
                    missing -= 1;
                    break;
                }
            }
            if missing == 0 {
                break;
            }
        }
        values
    }

    /// The text from the last occurrence of a marker on (`# References`,
    /// near the end of long texts).
    fn after(self, marker: &str) -> Option<Lines<'x>> {
        let at = self.text.rfind(marker)?;
        Some(Lines { text: &self.text[at..], raw: self.raw })
    }
}

/// The inner text of a JSON string, unescaped (borrowed when it has no
/// escapes).
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    serde_json::from_str::<String>(&format!("\"{raw}\"")).map_or(Cow::Borrowed(raw), Cow::Owned)
}

/// A score written as a number or a numeric string, with its text as
/// written; `None` for anything else or a value outside 0–10.
fn number(raw: &RawValue) -> Option<(f64, String)> {
    let text = raw.get().trim();
    let text: Cow<'_, str> =
        if text.starts_with('"') { serde_json::from_str(text).ok()? } else { text.into() };
    let value: f64 = text.trim().parse().ok()?;
    (value.is_finite() && (0.0..=10.0).contains(&value)).then(|| (value, text.trim().to_string()))
}

fn is_http(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Markdown links (`[text](https://…)`) in a text.
fn push_links(text: Lines<'_>, urls: &mut Vec<String>) {
    let mut rest = text.text;
    while let Some(i) = rest.find(']') {
        let Some(after) = rest[i + 1..].strip_prefix('(') else {
            rest = &rest[i + 1..];
            continue;
        };
        let end = after.find([')', ' ', '"', '\n']).unwrap_or(after.len());
        let url = text.value(after[..end].trim());
        if is_http(&url) {
            push_unique(urls, &url);
        }
        rest = &after[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::{Lines, Text, looks_like_file, push_links, strip_os_suffix};
    use crate::input::Doc;
    use crate::model::{
        Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target, TargetKind,
    };
    use crate::testutil::{parse_all, shared, try_parse_all};
    use std::collections::BTreeSet;

    fn reports(text: &str) -> Vec<Report> {
        parse_all(text, "scan.sarif")
    }

    fn findings(text: &str) -> Vec<Raw> {
        let mut r = reports(text);
        assert_eq!(r.len(), 1, "one run");
        r.remove(0).findings
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pkg(name: &str, eco: &str) -> Package {
        Package { name: name.into(), ecosystem: Ecosystem::from_word(eco), ..Package::default() }
    }

    fn score(source: &str, score: f64) -> Cvss {
        Cvss { source: source.into(), vector: String::new(), score: Some(score) }
    }

    /// Trivy ≥ 0.20 on an image, before run properties existed (0.38.2):
    /// one rule per CVE, one result per package, the package only in the
    /// message; a language result's uri is a lockfile inside the image.
    const TRIVY_CURRENT: &str = r#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
      "runs": [{"tool": {"driver": {"name": "Trivy", "version": "0.38.2", "fullName": "Trivy Vulnerability Scanner",
        "informationUri": "https://github.com/aquasecurity/trivy", "rules": [
        {"id": "CVE-2022-1304", "name": "OsPackageVulnerability",
         "shortDescription": {"text": "e2fsprogs: out-of-bounds read/write via crafted filesystem"},
         "fullDescription": {"text": "An out-of-bounds read/write vulnerability was found in e2fsprogs 1.46.5."},
         "defaultConfiguration": {"level": "error"}, "helpUri": "https://avd.aquasec.com/nvd/cve-2022-1304",
         "help": {"text": "Vulnerability CVE-2022-1304\nSeverity: HIGH\nPackage: libcom-err2\nFixed Version: \nLink: [CVE-2022-1304](https://avd.aquasec.com/nvd/cve-2022-1304)\nAn out-of-bounds read/write.",
                  "markdown": "**Vulnerability CVE-2022-1304**"},
         "properties": {"precision": "very-high", "security-severity": "7.8", "tags": ["vulnerability", "security", "HIGH"]}},
        {"id": "GHSA-29mw-wpgm-hmr9", "name": "LanguageSpecificPackageVulnerability",
         "shortDescription": {"text": "Regular Expression Denial of Service (ReDoS) in lodash"},
         "fullDescription": {"text": "All versions of package lodash prior to 4.17.21 are vulnerable."},
         "defaultConfiguration": {"level": "warning"}, "helpUri": "https://github.com/advisories/GHSA-29mw-wpgm-hmr9",
         "help": {"text": "Vulnerability GHSA-29mw-wpgm-hmr9\nSeverity: MEDIUM\nPackage: lodash\nFixed Version: 4.17.21\nLink: [GHSA-29mw-wpgm-hmr9](https://github.com/advisories/GHSA-29mw-wpgm-hmr9)"},
         "properties": {"precision": "very-high", "security-severity": "5.3", "tags": ["vulnerability", "security", "MEDIUM"]}},
        {"id": "DS002", "name": "Misconfiguration", "shortDescription": {"text": "Image user should not be 'root'"},
         "properties": {"security-severity": "8.0", "tags": ["misconfiguration", "security", "HIGH"]}}]}},
      "results": [
        {"ruleId": "CVE-2022-1304", "ruleIndex": 0, "level": "error",
         "message": {"text": "Package: libcom-err2\nInstalled Version: 1.46.2-2\nVulnerability CVE-2022-1304\nSeverity: HIGH\nFixed Version: \nLink: [CVE-2022-1304](https://avd.aquasec.com/nvd/cve-2022-1304)"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "acme/app", "uriBaseId": "ROOTPATH"},
           "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}},
           "message": {"text": "acme/app: libcom-err2@1.46.2-2"}}]},
        {"ruleId": "CVE-2022-1304", "ruleIndex": 0, "level": "error",
         "message": {"text": "Package: e2fsprogs\nInstalled Version: 1.46.2-2\nVulnerability CVE-2022-1304\nSeverity: HIGH\nFixed Version: 1.46.2-2+deb11u1, 1.46.5-1\nLink: [CVE-2022-1304](https://avd.aquasec.com/nvd/cve-2022-1304)"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "acme/app", "uriBaseId": "ROOTPATH"},
           "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}},
           "message": {"text": "acme/app: e2fsprogs@1.46.2-2"}}]},
        {"ruleId": "GHSA-29mw-wpgm-hmr9", "ruleIndex": 1, "level": "warning",
         "message": {"text": "Package: lodash\nInstalled Version: 4.17.15\nVulnerability GHSA-29mw-wpgm-hmr9\nSeverity: MEDIUM\nFixed Version: 4.17.21\nLink: [GHSA-29mw-wpgm-hmr9](https://github.com/advisories/GHSA-29mw-wpgm-hmr9)"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/package-lock.json", "uriBaseId": "ROOTPATH"},
           "region": {"startLine": 120, "startColumn": 1, "endLine": 128, "endColumn": 1}},
           "message": {"text": "app/package-lock.json: lodash@4.17.15"}}]},
        {"ruleId": "DS002", "ruleIndex": 2, "level": "error",
         "message": {"text": "Artifact: Dockerfile\nType: dockerfile\nVulnerability DS002\nSeverity: HIGH"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "Dockerfile", "uriBaseId": "ROOTPATH"},
           "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}}}]}],
      "columnKind": "utf16CodeUnits", "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}}}]}"#;

    #[test]
    fn trivy_current_reads_the_package_from_the_message_and_skips_misconfigurations() {
        let r = reports(TRIVY_CURRENT);
        assert_eq!(r.len(), 1);
        assert_eq!((&r[0].scanner, r[0].version.as_deref()), (&Scanner::Trivy, Some("0.38.2")));
        let f = &r[0].findings;
        assert_eq!(f.len(), 3, "the misconfiguration is skipped");
        let image = Target::image("acme/app");
        let os = |name: &str, fixed: &[&str]| Raw {
            ids: strings(&["CVE-2022-1304"]),
            package: pkg(name, ""),
            version: "1.46.2-2".into(),
            fixed: strings(fixed),
            fixable: !fixed.is_empty(),
            severity: Severity::High,
            severity_given: "7.8".into(),
            severity_from: Some("security-severity".into()),
            cvss: vec![score("trivy", 7.8)],
            target: image.clone(),
            location: None,
            title: "e2fsprogs: out-of-bounds read/write via crafted filesystem".into(),
            urls: strings(&["https://avd.aquasec.com/nvd/cve-2022-1304"]),
        };
        assert_eq!(f[0], os("libcom-err2", &[]));
        assert_eq!(f[1], os("e2fsprogs", &["1.46.2-2+deb11u1", "1.46.5-1"]));
        assert_eq!(
            f[2],
            Raw {
                ids: strings(&["GHSA-29mw-wpgm-hmr9"]),
                package: pkg("lodash", ""),
                version: "4.17.15".into(),
                fixed: strings(&["4.17.21"]),
                fixable: true,
                severity: Severity::Medium,
                severity_given: "5.3".into(),
                severity_from: Some("security-severity".into()),
                cvss: vec![score("trivy", 5.3)],
                target: image.clone(),
                location: Some("app/package-lock.json".into()),
                title: "Regular Expression Denial of Service (ReDoS) in lodash".into(),
                urls: strings(&["https://github.com/advisories/GHSA-29mw-wpgm-hmr9"]),
            }
        );
    }

    #[test]
    fn trivy_run_properties_name_the_image_and_cvss_properties_are_kept() {
        let text = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "version": "dev", "rules": [
            {"id": "CVE-2019-1549", "name": "OsPackageVulnerability",
             "shortDescription": {"text": "openssl: information disclosure in fork()"},
             "defaultConfiguration": {"level": "warning"}, "helpUri": "https://avd.aquasec.com/nvd/cve-2019-1549",
             "properties": {"cvssv2_score": 5, "cvssv2_vector": "AV:N/AC:L/Au:N/C:P/I:N/A:N",
               "cvssv3_baseScore": 5.3, "cvssv3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
               "precision": "very-high", "security-severity": "5.3", "tags": ["vulnerability", "security", "MEDIUM"]}}]}},
          "results": [{"ruleId": "CVE-2019-1549", "ruleIndex": 0, "level": "warning",
            "message": {"text": "Package: libssl1.1\nInstalled Version: 1.1.1c-r0\nVulnerability CVE-2019-1549\nSeverity: MEDIUM\nFixed Version: 1.1.1d-r0\nLink: [CVE-2019-1549](https://avd.aquasec.com/nvd/cve-2019-1549)"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "images/alpine-310.tar.gz", "uriBaseId": "ROOTPATH"},
              "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}},
              "message": {"text": "images/alpine-310.tar.gz: libssl1.1@1.1.1c-r0"}}]}],
          "properties": {"imageID": "sha256:9617", "imageName": "images/alpine-310.tar.gz", "repoDigests": null,
            "repoTags": ["ghcr.io/acme/alpine:3.10"]}}]}"#;
        let r = reports(text);
        assert_eq!(r[0].version, None, "`dev` is no version");
        assert_eq!(
            r[0].findings,
            [Raw {
                ids: strings(&["CVE-2019-1549"]),
                package: pkg("libssl1.1", ""),
                version: "1.1.1c-r0".into(),
                fixed: strings(&["1.1.1d-r0"]),
                fixable: true,
                severity: Severity::Medium,
                severity_given: "5.3".into(),
                severity_from: Some("security-severity".into()),
                cvss: vec![
                    Cvss::from_vector(
                        "trivy",
                        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
                        Some(5.3)
                    ),
                    Cvss {
                        source: "trivy".into(),
                        vector: "AV:N/AC:L/Au:N/C:P/I:N/A:N".into(),
                        score: Some(5.0)
                    },
                ],
                target: Target::image("images/alpine-310.tar.gz"),
                location: None,
                title: "openssl: information disclosure in fork()".into(),
                urls: strings(&["https://avd.aquasec.com/nvd/cve-2019-1549"]),
            }]
        );
        assert_eq!(
            r[0].findings[0].target.kind,
            TargetKind::Image,
            "an archive, but the run says it is an image"
        );
    }

    #[test]
    fn trivy_filesystem_scans_have_file_targets_and_the_location_message_fills_gaps() {
        // No OS-package result and no run properties: not an image. The
        // second result has no message; `target: pkg@ver` still names the
        // (scoped) package.
        let text = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "version": "0.50.1", "rules": [
            {"id": "CVE-2023-45133", "name": "LanguageSpecificPackageVulnerability",
             "shortDescription": {"text": "babel: arbitrary code execution"},
             "properties": {"security-severity": "9.3", "tags": ["vulnerability", "security", "CRITICAL"]}}]}},
          "results": [
            {"ruleId": "CVE-2023-45133", "ruleIndex": 0, "level": "error",
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "web/package-lock.json", "uriBaseId": "ROOTPATH"}},
               "message": {"text": "web/package-lock.json: @babel/traverse@7.20.0"}}]}]}]}"#;
        assert_eq!(
            findings(text),
            [Raw {
                ids: strings(&["CVE-2023-45133"]),
                package: pkg("@babel/traverse", ""),
                version: "7.20.0".into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Critical,
                severity_given: "9.3".into(),
                severity_from: Some("security-severity".into()),
                cvss: vec![score("trivy", 9.3)],
                target: Target::file("web/package-lock.json"),
                location: None,
                title: "babel: arbitrary code execution".into(),
                urls: vec![],
            }]
        );
    }

    #[test]
    fn the_target_heuristic_for_trivy_uris() {
        for file in [
            "package-lock.json",
            "app/Gemfile.lock",
            "rust-app/Cargo.lock",
            "Pipfile",
            "images/alpine-310.tar.gz",
            "/usr/local/bin/gosu",
            "./go.sum",
            "C:\\src\\pom.xml",
            "lib/catalina.jar",
        ] {
            assert!(looks_like_file(file), "{file} is a file");
        }
        for image in [
            "cloudy-build/vulctl/node-demo",
            "redis",
            "python:3.9-slim",
            "ubuntu:22.04",
            "app:1.0.beta",
            "alpine@sha256:ab",
        ] {
            assert!(!looks_like_file(image), "{image} is an image");
        }
        assert_eq!(strip_os_suffix("knqyf263/vuln-image (alpine 3.7.1)"), "knqyf263/vuln-image");
        assert_eq!(strip_os_suffix("python-app/Pipfile.lock"), "python-app/Pipfile.lock");
    }

    /// Trivy 0.15's template: `CVE-…/pkg` rule ids, one rule per result,
    /// package data in the rule's help, severity only as a tag and a level,
    /// and `ruleIndex` restarting at 0 for every target.
    const TRIVY_015: &str = r#"{"$schema": "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
      "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "informationUri": "https://github.com/aquasecurity/trivy",
        "fullName": "Trivy Vulnerability Scanner", "version": "0.15.0", "rules": [
        {"id": "CVE-2018-14618/curl", "name": "OS Package Vulnerability (Alpine)",
         "shortDescription": {"text": "CVE-2018-14618 Package: curl"},
         "fullDescription": {"text": "curl: NTLM password overflow via integer overflow."},
         "defaultConfiguration": {"level": "error"}, "helpUri": "https://avd.aquasec.com/nvd/cve-2018-14618",
         "help": {"text": "Vulnerability CVE-2018-14618\nSeverity: CRITICAL\nPackage: curl\nInstalled Version: 7.61.0-r0\nFixed Version: 7.61.1-r0\nLink: [CVE-2018-14618](https://avd.aquasec.com/nvd/cve-2018-14618)"},
         "properties": {"tags": ["vulnerability", "CRITICAL", "curl"], "precision": "very-high"}},
        {"id": "CVE-2016-5385/guzzlehttp/guzzle", "name": "Programming Language Vulnerability (Composer)",
         "shortDescription": {"text": "CVE-2016-5385 Package: guzzlehttp/guzzle"},
         "fullDescription": {"text": "PHP: sets environmental variable based on user supplied Proxy request header."},
         "defaultConfiguration": {"level": "error"}, "helpUri": "https://avd.aquasec.com/nvd/cve-2016-5385",
         "help": {"text": "Vulnerability CVE-2016-5385\nSeverity: HIGH\nPackage: guzzlehttp/guzzle\nInstalled Version: 6.2.0\nFixed Version: 4.2.4, 5.3.1, 6.2.1\nLink: [CVE-2016-5385](https://avd.aquasec.com/nvd/cve-2016-5385)"},
         "properties": {"tags": ["vulnerability", "HIGH", "guzzlehttp/guzzle"], "precision": "very-high"}},
        {"id": "RUSTSEC-2019-0001/ammonia", "name": "Programming Language Vulnerability (Cargo)",
         "shortDescription": {"text": "RUSTSEC-2019-0001 Package: ammonia"},
         "fullDescription": {"text": "Uncontrolled recursion leads to abort in HTML serialization."},
         "defaultConfiguration": {"level": "note"}, "helpUri": "https://rustsec.org/advisories/RUSTSEC-2019-0001",
         "help": {"text": "Vulnerability RUSTSEC-2019-0001\nSeverity: UNKNOWN\nPackage: ammonia\nInstalled Version: 1.9.0\nFixed Version: >= 2.1.0\nLink: [RUSTSEC-2019-0001](https://rustsec.org/advisories/RUSTSEC-2019-0001)"},
         "properties": {"tags": ["vulnerability", "UNKNOWN", "ammonia"], "precision": "very-high"}},
        {"id": "pyup.io-37132/django-cors-headers", "name": "Programming Language Vulnerability (Pipenv)",
         "shortDescription": {"text": "pyup.io-37132 Package: django-cors-headers"},
         "fullDescription": {"text": "In django-cors-headers version 3.0.0, ``CORS_ORIGIN_WHITELIST`` requires URI schemes."},
         "defaultConfiguration": {"level": "note"},
         "help": {"text": "Vulnerability pyup.io-37132\nSeverity: UNKNOWN\nPackage: django-cors-headers\nInstalled Version: 2.5.2\nFixed Version: 3.0.0\nLink: [pyup.io-37132]()"},
         "properties": {"tags": ["vulnerability", "UNKNOWN", "django-cors-headers"], "precision": "very-high"}}]}},
      "results": [
        {"ruleId": "CVE-2018-14618/curl", "ruleIndex": 0, "level": "error",
         "message": {"text": "curl before version 7.61.1 is vulnerable to a buffer overrun in the NTLM authentication code."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "knqyf263/vuln-image (alpine 3.7.1)", "uriBaseId": "ROOTPATH"}}}]},
        {"ruleId": "CVE-2016-5385/guzzlehttp/guzzle", "ruleIndex": 0, "level": "error",
         "message": {"text": "PHP through 7.0.8 does not attempt to address RFC 3875 section 4.1.18 namespace conflicts."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "php-app/composer.lock", "uriBaseId": "ROOTPATH"}}}]},
        {"ruleId": "RUSTSEC-2019-0001/ammonia", "ruleIndex": 0, "level": "note",
         "message": {"text": "Affected versions of this crate did use recursion for serialization of HTML DOM trees."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "rust-app/Cargo.lock", "uriBaseId": "ROOTPATH"}}}]},
        {"ruleId": "pyup.io-37132/django-cors-headers", "ruleIndex": 1, "level": "note",
         "message": {"text": "django-cors-headers 3.0.0 requires URI schemes."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "python-app/Pipfile.lock", "uriBaseId": "ROOTPATH"}}}]}],
      "columnKind": "utf16CodeUnits", "originalUriBaseIds": {"ROOTPATH": {"uri": "/"}}}]}"#;

    #[test]
    fn trivy_015_takes_ids_from_the_rule_id_and_ignores_a_disagreeing_rule_index() {
        let f = findings(TRIVY_015);
        assert_eq!(f.len(), 4);
        let image = Target {
            given: "knqyf263/vuln-image (alpine 3.7.1)".into(),
            ..Target::image("knqyf263/vuln-image")
        };
        assert_eq!(
            f[0],
            Raw {
                ids: strings(&["CVE-2018-14618"]),
                package: pkg("curl", "alpine"),
                version: "7.61.0-r0".into(),
                fixed: strings(&["7.61.1-r0"]),
                fixable: true,
                severity: Severity::Critical,
                severity_given: "CRITICAL".into(),
                severity_from: None,
                cvss: vec![],
                target: image.clone(),
                location: None,
                title: "curl: NTLM password overflow via integer overflow.".into(),
                urls: strings(&["https://avd.aquasec.com/nvd/cve-2018-14618"]),
            }
        );
        // ruleIndex 0 is curl's rule: the ruleId wins.
        assert_eq!(
            f[1],
            Raw {
                ids: strings(&["CVE-2016-5385"]),
                package: pkg("guzzlehttp/guzzle", "composer"),
                version: "6.2.0".into(),
                fixed: strings(&["4.2.4", "5.3.1", "6.2.1"]),
                fixable: true,
                severity: Severity::High,
                severity_given: "HIGH".into(),
                severity_from: None,
                cvss: vec![],
                target: image.clone(),
                location: Some("php-app/composer.lock".into()),
                title:
                    "PHP: sets environmental variable based on user supplied Proxy request header."
                        .into(),
                urls: strings(&["https://avd.aquasec.com/nvd/cve-2016-5385"]),
            }
        );
        assert_eq!(
            f[2],
            Raw {
                ids: strings(&["RUSTSEC-2019-0001"]),
                package: pkg("ammonia", "cargo"),
                version: "1.9.0".into(),
                fixed: strings(&[">= 2.1.0"]),
                fixable: true,
                severity: Severity::Unknown,
                severity_given: "UNKNOWN".into(),
                severity_from: None,
                cvss: vec![],
                target: image.clone(),
                location: Some("rust-app/Cargo.lock".into()),
                title: "Uncontrolled recursion leads to abort in HTML serialization.".into(),
                urls: strings(&["https://rustsec.org/advisories/RUSTSEC-2019-0001"]),
            }
        );
        assert_eq!(
            f[3],
            Raw {
                ids: strings(&["pyup.io-37132"]),
                package: pkg("django-cors-headers", "pipenv"),
                version: "2.5.2".into(),
                fixed: strings(&["3.0.0"]),
                fixable: true,
                severity: Severity::Unknown,
                severity_given: "UNKNOWN".into(),
                severity_from: None,
                cvss: vec![],
                target: image,
                location: Some("python-app/Pipfile.lock".into()),
                title: "In django-cors-headers version 3.0.0, ``CORS_ORIGIN_WHITELIST`` requires URI schemes.".into(),
                urls: vec![],
            }
        );
    }

    /// Grype 0.59: one rule per CVE and package, no ruleIndex, no level, the
    /// package only in the help text, the image in the logical location; the
    /// second result has no logical location (`image//path` uri).
    const GRYPE: &str = r#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0-rtm.5.json",
      "runs": [{"tool": {"driver": {"name": "Grype", "version": "0.59.1", "informationUri": "https://github.com/anchore/grype",
        "rules": [
        {"id": "CVE-2005-0406-imagemagick", "name": "DpkgMatcherExactDirectMatch",
         "shortDescription": {"text": "CVE-2005-0406 low vulnerability for imagemagick package"},
         "fullDescription": {"text": "A design flaw in image processing software that modifies JPEG images."},
         "helpUri": "https://github.com/anchore/grype",
         "help": {"text": "Vulnerability CVE-2005-0406\nSeverity: low\nPackage: imagemagick\nVersion: 8:6.9.11.60+dfsg-1.3+deb11u1\nFix Version: \nType: deb\nLocation: /usr/share/doc/imagemagick/copyright\nData Namespace: debian:distro:debian:11\nLink: [CVE-2005-0406](https://security-tracker.debian.org/tracker/CVE-2005-0406)",
                  "markdown": "**Vulnerability CVE-2005-0406**\n"},
         "properties": {"security-severity": "2.1",
           "purls": ["pkg:deb/debian/imagemagick@8:6.9.11.60+dfsg-1.3+deb11u1?arch=arm64&distro=debian-11"]}},
        {"id": "GHSA-35jh-r3h4-6jhm-lodash", "name": "JavascriptMatcherExactDirectMatch",
         "shortDescription": {"text": "GHSA-35jh-r3h4-6jhm high vulnerability for lodash package"},
         "fullDescription": {"text": "Command Injection in lodash"},
         "helpUri": "https://github.com/anchore/grype",
         "help": {"text": "Vulnerability GHSA-35jh-r3h4-6jhm\nSeverity: high\nPackage: lodash\nVersion: 4.17.15\nFix Version: 4.17.21\nType: npm\nLocation: /app/node_modules/lodash/package.json\nData Namespace: github:language:javascript\nLink: [GHSA-35jh-r3h4-6jhm](https://github.com/advisories/GHSA-35jh-r3h4-6jhm)"},
         "properties": {"security-severity": "7.2"}}]}},
      "results": [
        {"ruleId": "CVE-2005-0406-imagemagick",
         "message": {"text": "The path /usr/share/doc/imagemagick/copyright reports imagemagick at version 8:6.9.11.60+dfsg-1.3+deb11u1  which is a vulnerable (deb) package installed in the container"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "image//usr/share/doc/imagemagick/copyright"},
           "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}},
           "logicalLocations": [
             {"name": "/usr/share/doc/imagemagick/copyright",
              "fullyQualifiedName": "us-west1-docker.pkg.dev/cloudy-build/vulctl/node-demo:v0.0.6@sha256:7b2ea0dcc1d76ac6:/usr/share/doc/imagemagick/copyright"},
             {"name": "/var/lib/dpkg/status",
              "fullyQualifiedName": "us-west1-docker.pkg.dev/cloudy-build/vulctl/node-demo:v0.0.6@sha256:7b2ea0dcc1d76ac6:/var/lib/dpkg/status"}]}]},
        {"ruleId": "GHSA-35jh-r3h4-6jhm-lodash",
         "message": {"text": "The path /app/node_modules/lodash/package.json reports lodash at version 4.17.15  which is a vulnerable (npm) package installed in the container"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "image//app/node_modules/lodash/package.json"},
           "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}}}]}]}]}"#;

    #[test]
    fn grype_reads_the_help_text_and_the_logical_location() {
        let r = reports(GRYPE);
        assert_eq!((&r[0].scanner, r[0].version.as_deref()), (&Scanner::Grype, Some("0.59.1")));
        let f = &r[0].findings;
        assert_eq!(
            f[0],
            Raw {
                ids: strings(&["CVE-2005-0406"]),
                package: Package {
                    name: "imagemagick".into(),
                    ecosystem: Some(Ecosystem::Deb),
                    purl: Some("pkg:deb/debian/imagemagick@8:6.9.11.60+dfsg-1.3+deb11u1?arch=arm64&distro=debian-11".into()),
                    source: None,
                },
                version: "8:6.9.11.60+dfsg-1.3+deb11u1".into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Low,
                severity_given: "2.1".into(),
                severity_from: Some("security-severity".into()),
                cvss: vec![score("grype", 2.1)],
                target: Target::image("us-west1-docker.pkg.dev/cloudy-build/vulctl/node-demo:v0.0.6"),
                location: Some("/usr/share/doc/imagemagick/copyright".into()),
                title: "CVE-2005-0406 low vulnerability for imagemagick package".into(),
                // helpUri is Grype's homepage, not an advisory.
                urls: strings(&["https://security-tracker.debian.org/tracker/CVE-2005-0406"]),
            }
        );
        assert_eq!(f[0].target.key, "cloudy-build/vulctl/node-demo");
        assert_eq!(
            f[1],
            Raw {
                ids: strings(&["GHSA-35jh-r3h4-6jhm"]),
                package: pkg("lodash", "npm"),
                version: "4.17.15".into(),
                fixed: strings(&["4.17.21"]),
                fixable: true,
                severity: Severity::High,
                severity_given: "7.2".into(),
                severity_from: Some("security-severity".into()),
                cvss: vec![score("grype", 7.2)],
                target: Target::image("image"),
                location: Some("/app/node_modules/lodash/package.json".into()),
                title: "GHSA-35jh-r3h4-6jhm high vulnerability for lodash package".into(),
                urls: strings(&["https://github.com/advisories/GHSA-35jh-r3h4-6jhm"]),
            }
        );
    }

    #[test]
    fn grype_without_help_falls_back_to_the_message_and_the_rule_id() {
        // Current Grype message wording, a directory scan (the uri is the
        // file), and a rule missing from `rules`.
        let text = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "grype", "version": "0.74.0", "rules": []}},
          "results": [{"ruleId": "CVE-2021-23337-lodash",
            "message": {"text": "A high vulnerability in npm package: lodash, version 4.17.15, was found at: web/package-lock.json"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "web/package-lock.json"}}}]},
            {"ruleId": "CVE-2022-3715-bash",
            "message": {"text": "A medium vulnerability in deb package: bash, version 5.1-2+deb11u1, was found in image debian:11 at: /var/lib/dpkg/status"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "debian11//var/lib/dpkg/status"}}}]}]}]}"#;
        let f = findings(text);
        let base =
            |id: &str, name: &str, version: &str, target: Target, location: Option<&str>| Raw {
                ids: strings(&[id]),
                package: pkg(name, ""),
                version: version.into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Medium,
                severity_given: "warning".into(),
                severity_from: None,
                cvss: vec![],
                target,
                location: location.map(Into::into),
                title: String::new(),
                urls: vec![],
            };
        assert_eq!(
            f,
            [
                base(
                    "CVE-2021-23337",
                    "lodash",
                    "4.17.15",
                    Target::file("web/package-lock.json"),
                    None
                ),
                base(
                    "CVE-2022-3715",
                    "bash",
                    "5.1-2+deb11u1",
                    Target::image("debian:11"),
                    Some("/var/lib/dpkg/status")
                ),
            ]
        );
    }

    /// `snyk test --sarif` (Snyk Open Source, before security-severity).
    const SNYK: &str = r##"{"$schema": "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
      "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Snyk Open Source", "rules": [
        {"id": "SNYK-JS-AJV-584908", "shortDescription": {"text": "High severity - Prototype Pollution vulnerability in ajv"},
         "fullDescription": {"text": "(CVE-2020-15366) ajv@6.10.2"},
         "help": {"text": "", "markdown": "* Package Manager: npm\n* Vulnerable module: ajv\n# Overview\n[ajv](https://www.npmjs.com/package/ajv) is a JSON Schema validator.\n# Remediation\nUpgrade `ajv` to version 6.12.3 or higher.\n# References\n- [HackerOne Report](https://hackerone.com/reports/894259)\n- [GitHub Commit](https://github.com/ajv-validator/ajv/commit/65b2f7d)\n"},
         "properties": {"tags": ["security", "CWE-400", "npm"]}},
        {"id": "npm:jquery:20150627", "shortDescription": {"text": "Medium severity - Cross-site Scripting (XSS) vulnerability in jquery"},
         "fullDescription": {"text": "(CVE-2015-9251,CVE-2017-16012) jquery@2.2.4"},
         "help": {"text": "", "markdown": "* Package Manager: npm\n# Remediation\n\nUpgrade `jquery` to version 1.12.2, 2.2.2, 3.0.0 or higher.\n\n"},
         "properties": {"tags": ["security", "CWE-79", "npm"]}},
        {"id": "SNYK-JS-DUSTJSLINKEDIN-1089257", "shortDescription": {"text": "Low severity - Prototype Pollution vulnerability in dustjs-linkedin"},
         "fullDescription": {"text": "dustjs-linkedin@2.5.0"},
         "help": {"text": "", "markdown": "# Remediation\nThere is no fixed version for `dustjs-linkedin`."},
         "properties": {"tags": ["security", "CWE-1321", "npm"]}}]}},
      "results": [
        {"ruleId": "SNYK-JS-AJV-584908", "level": "error",
         "message": {"text": "This file introduces a vulnerable ajv package with a high severity vulnerability."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "package.json"}, "region": {"startLine": 1}}}]},
        {"ruleId": "npm:jquery:20150627", "level": "warning",
         "message": {"text": "This file introduces a vulnerable jquery package with a medium severity vulnerability."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "package.json"}, "region": {"startLine": 1}}}]},
        {"ruleId": "SNYK-JS-DUSTJSLINKEDIN-1089257", "level": "note",
         "message": {"text": "This file introduces a vulnerable dustjs-linkedin package with a low severity vulnerability."},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "package.json"}, "region": {"startLine": 1}}}]}]}]}"##;

    #[test]
    fn snyk_takes_cves_from_the_full_description_and_severity_from_the_title() {
        let r = reports(SNYK);
        assert_eq!((&r[0].scanner, r[0].version.as_deref()), (&Scanner::Snyk, None));
        let f = &r[0].findings;
        let snyk = |ids: &[&str],
                    name: &str,
                    version: &str,
                    fixed: &[&str],
                    sev: Severity,
                    word: &str,
                    title: &str| Raw {
            ids: strings(ids),
            package: pkg(name, "npm"),
            version: version.into(),
            fixed: strings(fixed),
            fixable: !fixed.is_empty(),
            severity: sev,
            severity_given: word.into(),
            severity_from: Some("snyk".into()),
            cvss: vec![],
            target: Target::file("package.json"),
            location: None,
            title: title.into(),
            urls: vec![],
        };
        assert_eq!(
            f[0],
            Raw {
                urls: strings(&[
                    "https://hackerone.com/reports/894259",
                    "https://github.com/ajv-validator/ajv/commit/65b2f7d"
                ]),
                ..snyk(
                    &["CVE-2020-15366", "SNYK-JS-AJV-584908"],
                    "ajv",
                    "6.10.2",
                    &["6.12.3"],
                    Severity::High,
                    "High",
                    "Prototype Pollution vulnerability in ajv"
                )
            }
        );
        assert_eq!(
            f[1],
            snyk(
                &["CVE-2015-9251", "CVE-2017-16012", "npm:jquery:20150627"],
                "jquery",
                "2.2.4",
                &["1.12.2", "2.2.2", "3.0.0"],
                Severity::Medium,
                "Medium",
                "Cross-site Scripting (XSS) vulnerability in jquery"
            )
        );
        assert_eq!(
            f[2],
            snyk(
                &["SNYK-JS-DUSTJSLINKEDIN-1089257"],
                "dustjs-linkedin",
                "2.5.0",
                &[],
                Severity::Low,
                "Low",
                "Prototype Pollution vulnerability in dustjs-linkedin"
            )
        );
    }

    #[test]
    fn a_generic_sast_result_keeps_its_rule_id_file_and_line() {
        let text = r##"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL", "semanticVersion": "2.15.0",
            "version": "2.15.0+abc", "rules": [
            {"id": "js/sql-injection", "name": "js/sql-injection",
             "shortDescription": {"text": "Database query built from user-controlled sources"},
             "fullDescription": {"text": "Building a database query from user-controlled sources is vulnerable to insertion of malicious code by the user."},
             "defaultConfiguration": {"enabled": true, "level": "error"},
             "helpUri": "https://codeql.github.com/codeql-query-help/javascript/js-sql-injection/",
             "help": {"text": "# Database query built from user-controlled sources\n## References\n* OWASP: [SQL Injection](https://owasp.org/www-community/attacks/SQL_Injection).\n"},
             "properties": {"tags": ["security", "external/cwe/cwe-089"], "precision": "high", "security-severity": "8.8"}}]}},
          "results": [
            {"ruleId": "js/sql-injection", "ruleIndex": 0, "rule": {"id": "js/sql-injection", "index": 0},
             "message": {"text": "This query string depends on a [user-provided value](1)."},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js", "uriBaseId": "%SRCROOT%", "index": 0},
               "region": {"startLine": 42, "startColumn": 7, "endColumn": 30}}}],
             "partialFingerprints": {"primaryLocationLineHash": "a1b2:1"}},
            {"ruleId": "js/sql-injection", "ruleIndex": 0, "kind": "pass", "message": {"text": "passed"}}],
          "artifacts": [{"location": {"uri": "src/db.js", "uriBaseId": "%SRCROOT%", "index": 0}}]}]}"##;
        let r = reports(text);
        assert_eq!(
            (&r[0].scanner, r[0].version.as_deref()),
            (&Scanner::Other("codeql".into()), Some("2.15.0"))
        );
        assert_eq!(
            r[0].findings,
            [Raw {
                ids: strings(&["js/sql-injection"]),
                package: Package::default(),
                version: String::new(),
                fixed: vec![],
                fixable: false,
                severity: Severity::High,
                severity_given: "8.8".into(),
                severity_from: Some("security-severity".into()),
                cvss: vec![score("codeql", 8.8)],
                target: Target::file("src/db.js"),
                location: Some("src/db.js:42".into()),
                title: "Database query built from user-controlled sources".into(),
                urls: strings(&[
                    "https://codeql.github.com/codeql-query-help/javascript/js-sql-injection/",
                    "https://owasp.org/www-community/attacks/SQL_Injection"
                ]),
            }],
            "the `pass` result is no finding"
        );
    }

    #[test]
    fn generic_producers_get_vulnerability_ids_from_rule_texts_and_severity_from_levels() {
        // A rule id that embeds a CVE (not itself an id), a GHSA in the
        // description, a CVSS score property, a rule-less result pointing at
        // an artifact, and a result with no level anywhere.
        let text = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "dependency-check", "version": "9.0.9", "rules": [
            {"id": "ANCHOREVULN_CVE-2021-23337_npm_lodash-4.17.15", "shortDescription": {"text": "Command injection in lodash"},
             "fullDescription": {"text": "Also known as ghsa-35JH-r3h4-6jhm."},
             "properties": {"cvssv3_baseScore": 7.2}},
            {"id": "CVE-2021-44228", "shortDescription": {"text": "Log4Shell"},
             "defaultConfiguration": {"level": "error"}},
            {"id": "weak-hash", "shortDescription": {"text": "Weak hash"}}]}},
          "artifacts": [{"location": {"uri": "file:///work/app/lib/log4j-core-2.14.1.jar"}}],
          "results": [
            {"ruleId": "ANCHOREVULN_CVE-2021-23337_npm_lodash-4.17.15", "level": "warning", "message": {"text": "lodash"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "package-lock.json"}}}]},
            {"ruleIndex": 1, "message": {"text": "log4j-core-2.14.1.jar is vulnerable"},
             "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}, "region": {"startLine": 3}}}]},
            {"ruleId": "weak-hash", "message": {"text": "MD5 used"}}]}]}"#;
        let f = findings(text);
        let base = Raw {
            ids: vec![],
            package: Package::default(),
            version: String::new(),
            fixed: vec![],
            fixable: false,
            severity: Severity::Unknown,
            severity_given: String::new(),
            severity_from: None,
            cvss: vec![],
            target: Target::file(""),
            location: None,
            title: String::new(),
            urls: vec![],
        };
        assert_eq!(
            f,
            [
                Raw {
                    ids: strings(&["CVE-2021-23337", "GHSA-35jh-r3h4-6jhm"]),
                    severity: Severity::High,
                    severity_given: "7.2".into(),
                    severity_from: Some("cvssv3_baseScore".into()),
                    cvss: vec![score("dependency-check", 7.2)],
                    target: Target::file("package-lock.json"),
                    title: "Command injection in lodash".into(),
                    ..base.clone()
                },
                Raw {
                    ids: strings(&["CVE-2021-44228"]),
                    severity: Severity::High,
                    severity_given: "error".into(),
                    severity_from: Some("defaultConfiguration.level".into()),
                    target: Target::file("/work/app/lib/log4j-core-2.14.1.jar"),
                    location: Some("/work/app/lib/log4j-core-2.14.1.jar:3".into()),
                    title: "Log4Shell".into(),
                    ..base.clone()
                },
                Raw {
                    ids: strings(&["weak-hash"]),
                    severity: Severity::Medium,
                    severity_given: "warning".into(),
                    title: "Weak hash".into(),
                    ..base
                },
            ]
        );
    }

    #[test]
    fn rule_index_out_of_range_falls_back_to_the_rule_id_or_to_what_the_result_has() {
        let text = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Scanner X", "rules": [
            {"id": "CVE-2021-0001", "shortDescription": {"text": "First"}, "defaultConfiguration": {"level": "error"}}]}},
          "results": [
            {"ruleId": "CVE-2021-0001", "ruleIndex": 5, "message": {"text": "m1"}},
            {"ruleId": "CVE-2021-0002", "ruleIndex": -1, "level": "note", "message": {"text": "Second\nmore"}}]}]}"#;
        let f = findings(text);
        assert_eq!(
            (f[0].ids.as_slice(), f[0].title.as_str(), f[0].severity),
            (&strings(&["CVE-2021-0001"])[..], "First", Severity::High)
        );
        assert_eq!(
            f[1],
            Raw {
                ids: strings(&["CVE-2021-0002"]),
                package: Package::default(),
                version: String::new(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Low,
                severity_given: "note".into(),
                severity_from: Some("level".into()),
                cvss: vec![],
                target: Target::file(""),
                location: None,
                title: "Second".into(),
                urls: vec![],
            }
        );
    }

    #[test]
    fn two_runs_are_two_reports_and_an_empty_log_is_none() {
        let text = r#"{"version": "2.1.0", "runs": [
            {"tool": {"driver": {"name": "Trivy", "version": "0.50.0"}}, "results": []},
            {"tool": {"driver": {"name": "Snyk Container", "semanticVersion": "1.1290.0"}},
             "results": [{"ruleId": "SNYK-DEBIAN11-OPENSSL-1569403", "level": "error", "message": {"text": "x"},
               "locations": [{"physicalLocation": {"artifactLocation": {"uri": "Dockerfile"}}}]}]},
            {"tool": {"driver": {"name": "OSV-Scanner", "version": ""}}, "results": null}]}"#;
        let r = reports(text);
        assert_eq!(r.len(), 3);
        assert_eq!(
            (&r[0].scanner, r[0].version.as_deref(), r[0].findings.len()),
            (&Scanner::Trivy, Some("0.50.0"), 0)
        );
        assert_eq!((&r[1].scanner, r[1].version.as_deref()), (&Scanner::Snyk, Some("1.1290.0")));
        assert_eq!(r[1].findings[0].ids, strings(&["SNYK-DEBIAN11-OPENSSL-1569403"]));
        assert_eq!(r[1].findings[0].severity, Severity::High);
        assert_eq!(
            (&r[2].scanner, r[2].version.as_deref(), r[2].findings.len()),
            (&Scanner::Osv, None, 0)
        );

        assert_eq!(reports(r#"{"version": "2.1.0", "runs": []}"#), []);
        // `runs: null` (the tool failed to start) is allowed by SARIF.
        let text = r#"{"version": "2.1.0", "runs": null}"#;
        let doc = Doc::whole("scan.sarif", text);
        assert_eq!(super::parse(&doc).map_err(|e| e.to_string()), Ok(vec![]));
    }

    #[test]
    fn bad_input_is_located() {
        let missing = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"rules": []}}}]}"#;
        assert_eq!(
            try_parse_all(missing, "scan.sarif").unwrap_err(),
            "scan.sarif:1:63: runs[0].tool.driver: missing field `name`"
        );
        let wrong = "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Trivy\"}},\n  \"results\": [{\"ruleId\": \"CVE-1\", \"ruleIndex\": \"0\"}]}]}";
        assert_eq!(
            try_parse_all(wrong, "scan.sarif").unwrap_err(),
            "scan.sarif:2:50: runs[0].results[0].ruleIndex: invalid type: string \"0\", expected i64"
        );
        let nameless = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy"}}, "results": [{"ruleIndex": 0}]}]}"#;
        assert_eq!(
            try_parse_all(nameless, "scan.sarif").unwrap_err(),
            "scan.sarif:1:1: runs[0].results[0]: the result has no ruleId and no rule (by ruleIndex) to name the vulnerability"
        );
    }

    #[test]
    fn texts_are_read_line_by_line_from_their_json() {
        // Go writes `&`, `<`, `>` as \u escapes; Snyk writes \r\n.
        let json = r#"{"text": "Package: a\u0026b\r\nFixed Version: \u003e= 2.1.0\nLink: [x](https://e.org/?a=1\u0026b=2)"}"#;
        let t: Text<'_> = serde_json::from_str(json).unwrap();
        let lines = Lines::of(t.text.as_ref());
        assert!(lines.raw);
        assert_eq!(lines.field("Package").as_deref(), Some("a&b"));
        assert_eq!(lines.field("Fixed Version").as_deref(), Some(">= 2.1.0"));
        assert_eq!(lines.field("Installed Version"), None);
        let mut urls = vec![];
        push_links(lines, &mut urls);
        assert_eq!(urls, ["https://e.org/?a=1&b=2"]);
        // `\\n` is a backslash and an `n`, not a line break.
        let json = r#"{"text": "Location: C:\\new\\x\nType: npm"}"#;
        let t: Text<'_> = serde_json::from_str(json).unwrap();
        let lines = Lines::of(t.text.as_ref());
        assert!(!lines.raw);
        assert_eq!(lines.field("Location").as_deref(), Some("C:\\new\\x"));
        assert_eq!(lines.field("Type").as_deref(), Some("npm"));
        assert_eq!(t.text(), "Location: C:\\new\\x\nType: npm");

        let err = serde_json::from_str::<Text<'_>>(r#"{"text": 5}"#).map(|_| ()).unwrap_err();
        assert_eq!(err.to_string(), "invalid type: number, expected a string at line 1 column 11");
    }

    // --- The shared corpus (FORMATS.md §5, PROVENANCE.md). ---

    fn corpus(name: &str) -> Option<Report> {
        let text = shared(&format!("sarif/{name}"))?;
        let mut r = parse_all(&text, name);
        assert_eq!(r.len(), 1, "{name}: one run");
        Some(r.remove(0))
    }

    fn triples(r: &Report) -> BTreeSet<(String, String, String)> {
        r.findings
            .iter()
            .map(|f| (f.ids[0].clone(), f.package.name.clone(), f.version.clone()))
            .collect()
    }

    #[test]
    fn corpus_trivy_and_grype_on_node_demo_agree_on_all_301_triples() {
        let (Some(trivy), Some(grype)) = (
            corpus("vimp-trivy-0.38.2-node-demo.sarif"),
            corpus("vimp-grype-0.59.1-node-demo.sarif"),
        ) else {
            return;
        };
        assert_eq!((&trivy.scanner, trivy.version.as_deref()), (&Scanner::Trivy, Some("0.38.2")));
        assert_eq!((&grype.scanner, grype.version.as_deref()), (&Scanner::Grype, Some("0.59.1")));
        for r in [&trivy, &grype] {
            assert_eq!(r.findings.len(), 301);
            assert!(r.findings.iter().all(|f| f.target.key == "cloudy-build/vulctl/node-demo"
                && f.target.kind == TargetKind::Image
                && f.ids.len() == 1
                && f.ids[0].starts_with("CVE-")
                && !f.package.name.is_empty()
                && !f.version.is_empty()
                && f.severity_from.as_deref() == Some("security-severity")));
            let ids: BTreeSet<_> = r.findings.iter().map(|f| &f.ids[0]).collect();
            assert_eq!(ids.len(), 129);
        }
        assert_eq!(triples(&trivy).len(), 301);
        assert_eq!(triples(&trivy), triples(&grype));
        assert!(trivy.findings.iter().all(|f| f.location.is_none()));
        assert!(
            grype.findings.iter().all(|f| f
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with('/'))
                && f.package.ecosystem == Some(Ecosystem::Deb))
        );
        let epoch = grype
            .findings
            .iter()
            .find(|f| f.package.name == "imagemagick")
            .map(|f| f.version.as_str());
        assert_eq!(epoch, Some("8:6.9.11.60+dfsg-1.3+deb11u1"));
    }

    #[test]
    fn corpus_trivy_015_extracts_ids_from_the_rule_ids() {
        let Some(r) = corpus("trivy-0.15.0-sarif-demo.sarif") else { return };
        assert_eq!((&r.scanner, r.version.as_deref()), (&Scanner::Trivy, Some("0.15.0")));
        assert_eq!(r.findings.len(), 124);
        let count =
            |prefix: &str| r.findings.iter().filter(|f| f.ids[0].starts_with(prefix)).count();
        assert_eq!((count("CVE-"), count("RUSTSEC-"), count("pyup.io-")), (113, 7, 4));
        assert!(
            r.findings
                .iter()
                .all(|f| f.ids.len() == 1 && !f.ids[0].contains('/') && !f.version.is_empty())
        );
        assert_eq!(r.findings.iter().map(|f| &f.ids[0]).collect::<BTreeSet<_>>().len(), 98);
        assert_eq!(triples(&r).len(), 124);
        assert!(
            r.findings
                .iter()
                .all(|f| f.target.key == "knqyf263/vuln-image" && f.severity_from.is_none())
        );
        // The jquery results' ruleIndex points at curl's rules.
        let jquery: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.location.as_deref() == Some("node-app/package-lock.json"))
            .collect();
        assert_eq!(jquery.len(), 8);
        assert!(jquery.iter().all(|f| matches!(f.package.name.as_str(), "jquery" | "lodash")
            && f.package.ecosystem == Some(Ecosystem::Npm)));
        // 5 of the JSON report's records (FORMATS.md §8 / PROVENANCE.md).
        for (id, name) in [
            ("CVE-2018-16487", "lodash"),
            ("CVE-2018-16840", "curl"),
            ("CVE-2019-3822", "curl"),
            ("CVE-2018-16839", "curl"),
            ("CVE-2018-17456", "git"),
        ] {
            assert!(
                r.findings.iter().any(|f| f.ids[0] == id && f.package.name == name),
                "{id} {name}"
            );
        }
    }

    #[test]
    fn corpus_snyk_open_source_goof() {
        let Some(r) = corpus("snyk-open-source-goof.sarif") else { return };
        assert_eq!((&r.scanner, r.version.as_deref()), (&Scanner::Snyk, None));
        assert_eq!(r.findings.len(), 77);
        let with_cve = r.findings.iter().filter(|f| f.ids[0].starts_with("CVE-")).count();
        assert_eq!(with_cve, 49);
        let cves: BTreeSet<_> =
            r.findings.iter().flat_map(|f| &f.ids).filter(|i| i.starts_with("CVE-")).collect();
        assert_eq!(cves.len(), 51);
        assert!(r.findings.iter().all(|f| f.target == Target::file("package.json")
            && f.package.ecosystem == Some(Ecosystem::Npm)
            && !f.package.name.is_empty()
            && !f.version.is_empty()
            && f.severity_from.as_deref() == Some("snyk")
            && f.ids.last().is_some_and(|i| i.starts_with("SNYK-") || i.starts_with("npm:"))));
        let by = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
        assert_eq!((by(Severity::High), by(Severity::Medium), by(Severity::Low)), (38, 34, 5));
        assert!(r.findings.iter().filter(|f| f.fixable).count() > 60);
    }

    #[test]
    fn corpus_trivy_golden_alpine() {
        let Some(r) = corpus("trivy-golden-alpine-310.sarif") else { return };
        assert_eq!((&r.scanner, r.version.as_deref()), (&Scanner::Trivy, None));
        assert_eq!(r.findings.len(), 4);
        assert!(r.findings.iter().all(|f| f.severity == Severity::Medium
            && f.severity_given == "5.3"
            && f.severity_from.as_deref() == Some("security-severity")
            && f.cvss.len() == 2
            && f.target == Target::image("testdata/fixtures/images/alpine-310.tar.gz")
            && f.location.is_none()));
        let names: BTreeSet<_> = r.findings.iter().map(|f| f.package.name.as_str()).collect();
        assert_eq!(names, BTreeSet::from(["libcrypto1.1", "libssl1.1"]));
    }
}
