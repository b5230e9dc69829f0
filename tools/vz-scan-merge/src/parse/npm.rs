//! `npm audit --json` (FORMATS.md §7), both shapes:
//!
//! * npm 6: `advisories` keyed by advisory number, each with
//!   `findings[{version, paths}]` → one [`Raw`] per (advisory, installed
//!   version).
//! * npm 7+ (`auditReportVersion: 2`): `vulnerabilities` keyed by package,
//!   each with `via[]` → one [`Raw`] per advisory object in `via`. The string
//!   entries of `via` name another vulnerable package this one depends on:
//!   transitive effects, not advisories, skipped on purpose.
//!
//! The report names no lockfile, so the target is `package-lock.json` (what
//! npm audits). npm's advisory numbers become the vendor id `NPM-<number>`.

use super::util::{
    IdText, Pairs, Str, first_line, first_nonblank, nullable, push_id, push_unique, text,
};
use crate::input::Doc;
use crate::model::{Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;
use vz::Error;

/// Parses one npm audit document (npm 6 or npm 7+).
pub fn parse(doc: &Doc<'_>) -> Result<Vec<Report>, Error> {
    let top: Top<'_> = doc.typed()?;
    let target = Target::file("package-lock.json");
    let mut findings = Vec::new();
    for (key, a) in &top.advisories.0 {
        npm6(key, a, &target, &mut findings);
    }
    for (key, v) in &top.vulnerabilities.0 {
        for via in &v.via {
            // A string names a vulnerable dependency: a transitive effect,
            // reported under that package's own entry.
            if let Via::Advisory(a) = via {
                findings.push(npm7(key, v, a, &target));
            }
        }
    }
    Ok(vec![Report { scanner: Scanner::Npm, version: None, findings }])
}

#[derive(Deserialize)]
struct Top<'a> {
    /// npm 6, in document order.
    #[serde(borrow, default, deserialize_with = "nullable")]
    advisories: Pairs<String, Advisory<'a>>,
    /// npm 7+, in document order.
    #[serde(borrow, default, deserialize_with = "nullable")]
    vulnerabilities: Pairs<String, Vulnerable<'a>>,
}

/// An npm 6 advisory.
#[derive(Deserialize)]
struct Advisory<'a> {
    #[serde(default)]
    id: Option<AdvisoryNumber>,
    #[serde(borrow, default)]
    title: Option<Str<'a>>,
    #[serde(borrow, default)]
    module_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    severity: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    cves: Vec<Str<'a>>,
    #[serde(borrow, default)]
    github_advisory_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    patched_versions: Option<Str<'a>>,
    #[serde(borrow, default)]
    url: Option<Str<'a>>,
    #[serde(borrow, default)]
    cvss: Option<NpmCvss<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    findings: Vec<Finding<'a>>,
}

#[derive(Deserialize)]
struct Finding<'a> {
    #[serde(borrow, default)]
    version: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    paths: Vec<Str<'a>>,
}

/// An npm 7+ vulnerable package.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerable<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    via: Vec<Via<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    nodes: Vec<Str<'a>>,
    #[serde(default)]
    fix_available: Option<FixAvailable>,
}

/// A `via` entry: an advisory, or the name of a vulnerable dependency.
enum Via<'a> {
    Advisory(ViaAdvisory<'a>),
    Dependency,
}

#[derive(Deserialize)]
struct ViaAdvisory<'a> {
    /// The advisory number.
    source: AdvisoryNumber,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    title: Option<Str<'a>>,
    #[serde(borrow, default)]
    url: Option<Str<'a>>,
    #[serde(borrow, default)]
    severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    cvss: Option<NpmCvss<'a>>,
}

#[derive(Deserialize)]
struct NpmCvss<'a> {
    #[serde(default)]
    score: Option<f64>,
    #[serde(borrow, default, rename = "vectorString")]
    vector: Option<Str<'a>>,
}

/// `fixAvailable`: `true`, `false`, or the upgrade `{name, version,
/// isSemVerMajor}` (a fix exists).
struct FixAvailable(bool);

fn npm6(key: &str, a: &Advisory<'_>, target: &Target, out: &mut Vec<Raw>) {
    let number = a.id.as_ref().map_or(key, |i| i.0.as_str()).trim();
    let mut ids: Vec<String> = Vec::new();
    for c in &a.cves {
        push_id(&mut ids, c.as_str());
    }
    push_id(&mut ids, text(&a.github_advisory_id));
    if let Some(g) = ghsa_of(text(&a.url)) {
        push_id(&mut ids, g);
    }
    // npm's own advisory number, as a vendor id.
    push_id(&mut ids, &format!("NPM-{number}"));

    let patched = text(&a.patched_versions).trim();
    // `<0.0.0` is npm's way of saying no version is patched.
    let fixed: Vec<String> = if patched.is_empty() || patched.replace(' ', "") == "<0.0.0" {
        Vec::new()
    } else {
        vec![patched.to_string()]
    };
    let given = text(&a.severity).trim();
    let mut urls = Vec::new();
    push_unique(&mut urls, text(&a.url).trim());
    let base = Raw {
        ids,
        package: Package {
            name: text(&a.module_name).trim().to_string(),
            ecosystem: Some(Ecosystem::Npm),
            purl: None,
            source: None,
        },
        version: String::new(),
        fixable: !fixed.is_empty(),
        fixed,
        severity: Severity::from_word(given),
        severity_given: given.to_string(),
        severity_from: None,
        cvss: a.cvss.as_ref().and_then(cvss).into_iter().collect(),
        target: target.clone(),
        location: None,
        title: first_line(text(&a.title)).to_string(),
        urls,
    };
    if a.findings.is_empty() {
        out.push(base);
        return;
    }
    for f in &a.findings {
        // `express>send>mime` written as the dependency paths of the other
        // scanners are: `express > send > mime`.
        let location = f
            .paths
            .first()
            .map(|p| p.as_str().split('>').map(str::trim).collect::<Vec<_>>().join(" > "));
        out.push(Raw { version: text(&f.version).trim().to_string(), location, ..base.clone() });
    }
}

fn npm7(key: &str, v: &Vulnerable<'_>, a: &ViaAdvisory<'_>, target: &Target) -> Raw {
    let url = text(&a.url).trim();
    let ghsa = ghsa_of(url);
    let mut ids: Vec<String> = Vec::new();
    if let Some(g) = ghsa {
        push_id(&mut ids, g);
    }
    push_id(&mut ids, &format!("NPM-{}", a.source.0.trim()));
    let name = first_nonblank([text(&a.name), text(&v.name), key]).map_or("", str::trim);
    let given = text(&a.severity).trim();
    let mut urls = Vec::new();
    push_unique(&mut urls, url);
    Raw {
        ids,
        package: Package {
            name: name.to_string(),
            ecosystem: Some(Ecosystem::Npm),
            purl: None,
            source: None,
        },
        // npm 7+ gives the vulnerable range, not the installed version.
        version: String::new(),
        // The fix is an upgrade of `fixAvailable.name` (maybe another
        // package): no fixed version of this one is known.
        fixed: Vec::new(),
        fixable: v.fix_available.as_ref().is_some_and(|f| f.0),
        severity: Severity::from_word(given),
        severity_given: given.to_string(),
        // The advisories are GitHub's (the url is the GHSA).
        severity_from: ghsa.map(|_| "ghsa".to_string()),
        cvss: a.cvss.as_ref().and_then(cvss).into_iter().collect(),
        target: target.clone(),
        location: v.nodes.first().map(|n| n.as_str().trim().to_string()).filter(|n| !n.is_empty()),
        title: first_line(text(&a.title)).to_string(),
        urls,
    }
}

/// npm writes `{"score": 0, "vectorString": null}` for an advisory without
/// CVSS: no rating.
fn cvss(c: &NpmCvss<'_>) -> Option<Cvss> {
    let vector = text(&c.vector).trim();
    let score = c.score.filter(|s| *s > 0.0);
    if vector.is_empty() && score.is_none() {
        return None;
    }
    Some(Cvss::from_vector("npm", vector, score))
}

/// The GHSA id of a `https://github.com/advisories/GHSA-…` url.
fn ghsa_of(url: &str) -> Option<&str> {
    let last = url.trim().trim_end_matches('/').rsplit('/').next()?;
    let id = last.split(['?', '#']).next()?;
    (id.len() > 5 && id[..5].eq_ignore_ascii_case("GHSA-")).then_some(id)
}

// ---- deserialisation of the polymorphic fields ----

impl<'de: 'a, 'a> Deserialize<'de> for Via<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Via<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an advisory object or a package name")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Via<'a>, E> {
                Ok(Via::Dependency)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Via<'a>, A::Error> {
                ViaAdvisory::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Via::Advisory)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de> Deserialize<'de> for FixAvailable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FixAvailable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false or an upgrade object")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<FixAvailable, E> {
                Ok(FixAvailable(b))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FixAvailable, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FixAvailable(true))
            }
        }
        d.deserialize_any(V)
    }
}

// ---- small helpers ----

/// npm's advisory number (`"id": 534`, `"source": 1094219`, or a string),
/// named so in the error for another type.
#[derive(Debug, Default)]
struct AdvisoryNumber(String);

impl<'de> Deserialize<'de> for AdvisoryNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IdText::read(d, "an advisory number").map(|id| AdvisoryNumber(id.0))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Cvss, Ecosystem, Package, Raw, Scanner, Severity, Target};
    use crate::testutil::{parse_all, shared, try_parse_all};

    fn findings(text: &str) -> Vec<Raw> {
        let reports = parse_all(text, "audit.json");
        assert!(reports.iter().all(|r| r.scanner == Scanner::Npm && r.version.is_none()));
        reports.into_iter().flat_map(|r| r.findings).collect()
    }

    fn npm(name: &str) -> Package {
        Package { name: name.into(), ecosystem: Some(Ecosystem::Npm), purl: None, source: None }
    }

    #[test]
    fn npm6_one_record_per_advisory_and_installed_version() {
        let f = findings(
            r#"{"actions": [], "muted": [], "runId": "x",
              "advisories": {
                "534": {"id": 534, "title": "Regular Expression Denial of Service", "module_name": "debug", "severity": "low",
                        "cves": ["cve-2017-16137"], "cwe": "CWE-400", "vulnerable_versions": "<= 2.6.8 || >= 3.0.0 <= 3.0.1",
                        "patched_versions": ">= 2.6.9 < 3.0.0 || >= 3.1.0", "url": "https://nodesecurity.io/advisories/534",
                        "findings": [{"version": "2.2.0", "paths": ["express>debug", "debug"]}, {"version": "3.0.0", "paths": ["mocha>debug"]}]},
                "1179": {"id": 1179, "title": "Prototype Pollution", "module_name": "minimist", "severity": "moderate", "cves": [],
                         "cwe": ["CWE-1321"], "patched_versions": "<0.0.0", "github_advisory_id": "GHSA-VH95-RMGR-6W4M",
                         "url": "https://github.com/advisories/GHSA-vh95-rmgr-6w4m",
                         "cvss": {"score": 5.6, "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L"},
                         "findings": [{"version": "0.0.8", "paths": ["mkdirp>minimist"]}]}
              },
              "metadata": {"vulnerabilities": {"low": 1}}}"#,
        );
        assert_eq!(f.len(), 3);
        let first = Raw {
            ids: vec!["CVE-2017-16137".into(), "NPM-534".into()],
            package: npm("debug"),
            version: "2.2.0".into(),
            fixed: vec![">= 2.6.9 < 3.0.0 || >= 3.1.0".into()],
            fixable: true,
            severity: Severity::Low,
            severity_given: "low".into(),
            severity_from: None,
            cvss: vec![],
            target: Target::file("package-lock.json"),
            location: Some("express > debug".into()),
            title: "Regular Expression Denial of Service".into(),
            urls: vec!["https://nodesecurity.io/advisories/534".into()],
        };
        assert_eq!(f[0], first);
        assert_eq!(
            f[1],
            Raw { version: "3.0.0".into(), location: Some("mocha > debug".into()), ..first }
        );
        assert_eq!(
            f[2],
            Raw {
                ids: vec!["GHSA-vh95-rmgr-6w4m".into(), "NPM-1179".into()],
                package: npm("minimist"),
                version: "0.0.8".into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Medium,
                severity_given: "moderate".into(),
                severity_from: None,
                cvss: vec![Cvss::from_vector(
                    "npm",
                    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L",
                    Some(5.6)
                )],
                target: Target::file("package-lock.json"),
                location: Some("mkdirp > minimist".into()),
                title: "Prototype Pollution".into(),
                urls: vec!["https://github.com/advisories/GHSA-vh95-rmgr-6w4m".into()],
            }
        );
    }

    #[test]
    fn npm7_one_record_per_advisory_object_in_via() {
        let f = findings(
            r#"{"auditReportVersion": 2, "vulnerabilities": {
              "@vercel/fun": {"name": "@vercel/fun", "severity": "moderate", "isDirect": false, "via": ["debug"],
                              "effects": ["vercel"], "range": "<=1.1.0", "nodes": ["node_modules/@vercel/fun"],
                              "fixAvailable": {"name": "vercel", "version": "32.3.0", "isSemVerMajor": true}},
              "debug": {"name": "debug", "severity": "moderate", "isDirect": false,
                        "via": [{"source": 1094219, "name": "debug", "dependency": "debug", "title": "ReDoS in debug",
                                 "url": "https://github.com/advisories/GHSA-gxpj-cx7g-858c", "severity": "moderate", "cwe": ["CWE-400"],
                                 "cvss": {"score": 5.3, "vectorString": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}, "range": ">=4.0.0 <4.3.1"},
                                {"source": 1000001, "name": "debug", "title": "Info leak", "url": "https://npmjs.com/advisories/1000001",
                                 "severity": "info", "cvss": {"score": 0, "vectorString": null}}],
                        "effects": ["@vercel/fun"], "range": "4.0.0 - 4.3.0",
                        "nodes": ["node_modules/@vercel/fun/node_modules/debug", "node_modules/debug"], "fixAvailable": true},
              "undici": {"name": "undici", "severity": "low", "via": [{"source": 1096586, "name": "undici", "title": "Undici leak",
                         "url": "https://github.com/advisories/GHSA-3787-6prv-h9w3", "severity": "low"}], "nodes": [], "fixAvailable": false}
            }, "metadata": {"vulnerabilities": {"total": 3}}}"#,
        );
        assert_eq!(f.len(), 3);
        assert_eq!(
            f[0],
            Raw {
                ids: vec!["GHSA-gxpj-cx7g-858c".into(), "NPM-1094219".into()],
                package: npm("debug"),
                version: String::new(),
                fixed: vec![],
                fixable: true,
                severity: Severity::Medium,
                severity_given: "moderate".into(),
                severity_from: Some("ghsa".into()),
                cvss: vec![Cvss::from_vector(
                    "npm",
                    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                    Some(5.3)
                )],
                target: Target::file("package-lock.json"),
                location: Some("node_modules/@vercel/fun/node_modules/debug".into()),
                title: "ReDoS in debug".into(),
                urls: vec!["https://github.com/advisories/GHSA-gxpj-cx7g-858c".into()],
            }
        );
        assert_eq!(
            f[1],
            Raw {
                ids: vec!["NPM-1000001".into()],
                package: npm("debug"),
                version: String::new(),
                fixed: vec![],
                fixable: true,
                severity: Severity::Low,
                severity_given: "info".into(),
                severity_from: None,
                cvss: vec![],
                target: Target::file("package-lock.json"),
                location: Some("node_modules/@vercel/fun/node_modules/debug".into()),
                title: "Info leak".into(),
                urls: vec!["https://npmjs.com/advisories/1000001".into()],
            }
        );
        assert_eq!((f[2].fixable, f[2].location.as_deref()), (false, None));
        assert_eq!(f[2].ids, ["GHSA-3787-6prv-h9w3", "NPM-1096586"]);
    }

    #[test]
    fn nothing_to_report() {
        assert!(
            findings(r#"{"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {}}"#)
                .is_empty()
        );
        assert!(findings(r#"{"advisories": {}, "actions": [], "metadata": {}}"#).is_empty());
    }

    #[test]
    fn bad_input_names_the_field() {
        let missing = "{\"auditReportVersion\": 2, \"vulnerabilities\": {\"debug\": {\"via\": [\n {\"name\": \"debug\", \"url\": \"u\"}]}}}";
        assert_eq!(
            try_parse_all(missing, "a.json").unwrap_err(),
            "a.json:2:30: vulnerabilities.debug.via[0]: missing field `source`"
        );
        let wrong =
            "{\"auditReportVersion\": 2, \"vulnerabilities\": {\"debug\": {\"via\": [42]}}}";
        assert_eq!(
            try_parse_all(wrong, "a.json").unwrap_err(),
            "a.json:1:66: vulnerabilities.debug.via[0]: invalid type: integer `42`, expected an advisory object or a package name"
        );
    }

    #[test]
    fn corpus_npm6() {
        let Some(text) = shared("npm-audit/dd-npm6-many.json") else { return };
        let f: Vec<Raw> = parse_all(&text, "npm6").into_iter().flat_map(|r| r.findings).collect();
        assert_eq!(f.len(), 5);
        assert!(f.iter().all(|r| r.ids[0].starts_with("CVE-") && r.ids.len() == 2 && r.fixable));
        let ids: Vec<&str> = f.iter().map(|r| r.ids[1].as_str()).collect();
        assert_eq!(ids, ["NPM-106", "NPM-521", "NPM-526", "NPM-534", "NPM-535"]);
        assert_eq!(f[0].location.as_deref(), Some("express > accepts > negotiator"));
    }

    #[test]
    fn corpus_npm7() {
        let Some(text) = shared("npm-audit/dd-npm7-many.json") else { return };
        let f: Vec<Raw> = parse_all(&text, "npm7").into_iter().flat_map(|r| r.findings).collect();
        assert_eq!(f.len(), 3);
        let ids: Vec<&str> = f.iter().map(|r| r.ids[0].as_str()).collect();
        assert_eq!(ids, ["GHSA-gxpj-cx7g-858c", "GHSA-c2qf-rxjj-qqgw", "GHSA-3787-6prv-h9w3"]);
        assert!(f.iter().all(|r| r.fixable && r.fixed.is_empty() && r.version.is_empty()));
    }
}
