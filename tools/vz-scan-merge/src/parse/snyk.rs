//! Snyk CLI JSON (`snyk test --json`, `snyk container test --json`),
//! FORMATS.md §4: one project object, or a top-level array of them
//! (`--all-projects`, several images). Container projects carry their OS
//! findings at the top level and the language projects found inside the
//! image in `applications[]`; both levels are read.
//!
//! Snyk repeats an issue once per dependency path (`from`); each repeat is
//! its own [`Raw`] with the path as its location, and the merge unites them.
//! Licence issues (`type: "license"`) share the `vulnerabilities` array and
//! are skipped on purpose: they are not vulnerabilities.

use super::util::{
    IdText, Str, first_line, first_nonblank, is_os, nullable, push_id, push_unique, text,
};
use crate::input::Doc;
use crate::model::{Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target, id_rank};
use serde::Deserialize;
use serde::de;
use serde_json::value::RawValue;
use vz::Error;

/// Parses one Snyk document: a project object or an array of them.
pub fn parse(doc: &Doc<'_>) -> Result<Vec<Report>, Error> {
    let mut findings = Vec::new();
    let failed = |at, path, message| Error::Invalid { at, path, message, suggestion: None };
    if doc.text.trim_start().starts_with('[') {
        let projects: Vec<Project<'_>> = doc.typed()?;
        for (i, p) in projects.iter().enumerate() {
            if let Some(message) = p.failure() {
                return Err(failed(element_at(doc, i), format!("[{i}]"), message));
            }
            if let Err((j, message)) = collect(p, &mut findings) {
                return Err(failed(
                    element_at(doc, i),
                    format!("[{i}].applications[{j}]"),
                    message,
                ));
            }
        }
    } else {
        let p: Project<'_> = doc.typed()?;
        if let Some(message) = p.failure() {
            return Err(doc.error(message));
        }
        if let Err((j, message)) = collect(&p, &mut findings) {
            return Err(failed(doc.locate(0, 0), format!("applications[{j}]"), message));
        }
    }
    Ok(vec![Report { scanner: Scanner::Snyk, version: None, findings }])
}

/// One project: a manifest (OSS), an image (container), or an application
/// inside an image.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Project<'a> {
    #[serde(borrow, default)]
    project_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    display_target_file: Option<Str<'a>>,
    #[serde(borrow, default)]
    target_file: Option<Str<'a>>,
    #[serde(borrow, default)]
    path: Option<Str<'a>>,
    #[serde(borrow, default)]
    package_manager: Option<Str<'a>>,
    #[serde(default)]
    platform: Option<de::IgnoredAny>,
    /// `None` when absent or `null` (a project Snyk could not test).
    #[serde(borrow, default)]
    vulnerabilities: Option<Vec<Vuln<'a>>>,
    #[serde(borrow, default)]
    applications: Option<Vec<Project<'a>>>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vuln<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    title: Option<Str<'a>>,
    #[serde(borrow, default)]
    severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    severity_with_critical: Option<Str<'a>>,
    #[serde(borrow, default)]
    package_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    module_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    version: Option<Str<'a>>,
    #[serde(borrow, default)]
    package_manager: Option<Str<'a>>,
    #[serde(default)]
    identifiers: Option<Identifiers>,
    #[serde(default, deserialize_with = "nullable")]
    alternative_ids: Vec<IdText>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    fixed_in: Vec<Str<'a>>,
    #[serde(borrow, default)]
    nearest_fixed_in_version: Option<Str<'a>>,
    #[serde(default)]
    is_upgradable: Option<bool>,
    #[serde(default)]
    is_patchable: Option<bool>,
    #[serde(borrow, default, rename = "CVSSv3")]
    cvss_v3: Option<Str<'a>>,
    #[serde(default)]
    cvss_score: Option<f64>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    cvss_details: Vec<CvssDetail<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    from: Vec<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    references: Vec<Reference<'a>>,
}

/// `identifiers`: `CWE` and any other key are not vulnerability ids.
#[derive(Deserialize, Default)]
#[allow(non_snake_case)]
struct Identifiers {
    #[serde(default, deserialize_with = "nullable")]
    CVE: Vec<IdText>,
    #[serde(default, deserialize_with = "nullable")]
    GHSA: Vec<IdText>,
    #[serde(default, deserialize_with = "nullable")]
    ALTERNATIVE: Vec<IdText>,
    #[serde(default, deserialize_with = "nullable")]
    SNYK: Vec<IdText>,
    #[serde(default, deserialize_with = "nullable")]
    NSP: Vec<IdText>,
}

#[derive(Deserialize)]
struct CvssDetail<'a> {
    #[serde(borrow, default)]
    assigner: Option<Str<'a>>,
    #[serde(borrow, default, rename = "cvssV3Vector")]
    vector: Option<Str<'a>>,
    #[serde(default, rename = "cvssV3BaseScore")]
    score: Option<f64>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(borrow, default)]
    url: Option<Str<'a>>,
}

impl Project<'_> {
    /// Why a project cannot be read: Snyk's per-project error inside an
    /// `--all-projects` array, or an object without findings at all.
    fn failure(&self) -> Option<String> {
        if self.vulnerabilities.is_some() || self.applications.is_some() {
            return None;
        }
        let name = self.name();
        Some(match self.error {
            Some(e) => format!("Snyk could not test {name}: {}", error_text(e)),
            None => format!("{name} has no `vulnerabilities` array: not a Snyk test result"),
        })
    }

    /// The project as a message names it.
    fn name(&self) -> String {
        let name = first_nonblank(
            [&self.display_target_file, &self.target_file, &self.project_name, &self.path]
                .map(text),
        );
        match name {
            Some(n) => format!("project `{}`", n.trim()),
            None => "the project".to_string(),
        }
    }

    /// A container project: an image (`docker-image|…`), or a project with
    /// `applications`, a `platform`, or an OS package manager.
    fn is_container(&self) -> bool {
        self.project_name.as_ref().is_some_and(|n| n.as_str().starts_with("docker-image|"))
            || self.applications.is_some()
            || self.platform.is_some()
            || is_os(Ecosystem::from_word(text(&self.package_manager)).as_ref())
    }

    /// The image of a container project (`projectName` after
    /// `docker-image|`, else `path`).
    fn image(&self) -> Target {
        let from_name =
            self.project_name.as_ref().and_then(|n| n.as_str().strip_prefix("docker-image|"));
        let reference = from_name
            .or_else(|| self.path.as_ref().map(Str::as_str))
            .unwrap_or(text(&self.project_name));
        Target::image(reference)
    }

    /// The manifest of an OSS project (`displayTargetFile`, else
    /// `targetFile`, else `path`).
    fn file(&self) -> Target {
        let path =
            first_nonblank([&self.display_target_file, &self.target_file, &self.path].map(text))
                .unwrap_or(text(&self.project_name));
        Target::file(path)
    }
}

/// Where a project's findings go: the target, whether its packages are OS
/// packages, and the fixed location of application findings.
struct Place<'p> {
    target: &'p Target,
    os: bool,
    location: Option<&'p str>,
}

/// Collects a project's findings and those of its applications; an
/// application Snyk could not test is `Err((its index, why))`.
fn collect(p: &Project<'_>, out: &mut Vec<Raw>) -> Result<(), (usize, String)> {
    let container = p.is_container();
    let target = if container { p.image() } else { p.file() };
    let os = container || is_os(Ecosystem::from_word(text(&p.package_manager)).as_ref());
    project_findings(p, &Place { target: &target, os, location: None }, out);
    for (j, app) in p.applications.iter().flatten().enumerate() {
        if let Some(message) = app.failure() {
            return Err((j, message));
        }
        // Findings of an application are in the image, at its manifest or
        // binary (`/app/package.json`, `/usr/local/bin/gosu`).
        let location = first_nonblank(
            [&app.target_file, &app.display_target_file, &app.project_name].map(text),
        );
        let os = is_os(Ecosystem::from_word(text(&app.package_manager)).as_ref());
        project_findings(app, &Place { target: &target, os, location }, out);
    }
    Ok(())
}

fn project_findings(p: &Project<'_>, place: &Place<'_>, out: &mut Vec<Raw>) {
    let project_eco = Ecosystem::from_word(text(&p.package_manager));
    for v in p.vulnerabilities.iter().flatten() {
        // Licence issues are not vulnerabilities: skipped on purpose.
        if v.kind.as_ref().is_some_and(|k| k.as_str().eq_ignore_ascii_case("license")) {
            continue;
        }
        out.push(raw(v, project_eco.as_ref(), place));
    }
}

fn raw(v: &Vuln<'_>, project_eco: Option<&Ecosystem>, place: &Place<'_>) -> Raw {
    // The vulnerability's own `packageManager` is `debian:11`, `golang`…
    let vuln_pm = text(&v.package_manager);
    let vuln_word = vuln_pm.split(':').next().unwrap_or("");
    let ecosystem = match project_eco {
        Some(e) if !matches!(e, Ecosystem::Other(_)) => Some(e.clone()),
        _ => Ecosystem::from_word(vuln_word)
            .filter(|e| !matches!(e, Ecosystem::Other(_)))
            .or(project_eco.cloned()),
    };
    let os = place.os || is_os(ecosystem.as_ref());

    let package_name = text(&v.package_name);
    let name_field = text(&v.name);
    let package = if os {
        // `name` is `source/binary` (`apt/libapt-pkg6.0`); the binary package
        // is what Trivy and Grype name, `packageName` is the source package.
        let binary = name_field.rsplit_once('/').map_or(name_field, |(_, b)| b);
        let binary = if binary.is_empty() { package_name } else { binary };
        let source =
            Some(package_name).filter(|s| !s.is_empty() && *s != binary).map(str::to_string);
        Package { name: binary.to_string(), ecosystem, purl: None, source }
    } else {
        let name = [package_name, text(&v.module_name), name_field]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("");
        Package { name: name.to_string(), ecosystem, purl: None, source: None }
    };

    let mut fixed: Vec<String> = Vec::new();
    for f in &v.fixed_in {
        push_unique(&mut fixed, f.as_str().trim());
    }
    if fixed.is_empty() {
        push_unique(&mut fixed, text(&v.nearest_fixed_in_version).trim());
    }
    let fixable =
        !fixed.is_empty() || v.is_upgradable == Some(true) || v.is_patchable == Some(true);

    // Older CLIs capped `severity` at high and wrote critical only in
    // `severityWithCritical`.
    let given =
        first_nonblank([&v.severity_with_critical, &v.severity].map(text)).unwrap_or("").trim();
    // For OS packages Snyk's rating is the distribution's (`debian:11` →
    // `debian`), which the vendor severity policy prefers.
    let severity_from = if os {
        Some(vuln_word.trim().to_ascii_lowercase()).filter(|w| !w.is_empty())
    } else {
        Some("snyk".to_string())
    };

    let mut cvss: Vec<Cvss> = Vec::new();
    let own_vector = text(&v.cvss_v3);
    if !own_vector.trim().is_empty() || v.cvss_score.is_some() {
        cvss.push(Cvss::from_vector("snyk", own_vector, v.cvss_score));
    }
    for d in &v.cvss_details {
        let vector = text(&d.vector);
        if vector.trim().is_empty() && d.score.is_none() {
            continue;
        }
        let source = Some(text(&d.assigner).trim()).filter(|s| !s.is_empty()).unwrap_or("snyk");
        let c = Cvss::from_vector(source, vector, d.score);
        if !cvss.contains(&c) {
            cvss.push(c);
        }
    }

    let location = match place.location {
        Some(l) => Some(l.trim().to_string()),
        // The dependency path without the root project (`from[0]`); a path
        // of the package alone (a direct dependency, an OS package) says
        // nothing the package does not.
        None if v.from.len() > 2 => {
            Some(v.from[1..].iter().map(Str::as_str).collect::<Vec<_>>().join(" > "))
        }
        None => None,
    };

    let mut urls: Vec<String> = Vec::new();
    for r in &v.references {
        push_unique(&mut urls, text(&r.url).trim());
    }

    Raw {
        ids: ids(v),
        package,
        version: text(&v.version).trim().to_string(),
        fixed,
        fixable,
        severity: Severity::from_word(given),
        severity_given: given.to_string(),
        severity_from,
        cvss,
        target: place.target.clone(),
        location,
        title: first_line(text(&v.title)).to_string(),
        urls,
    }
}

/// The Snyk id and its aliases, a CVE first when there is one (then GHSA,
/// ecosystem ids, vendor ids; report order within each rank).
fn ids(v: &Vuln<'_>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let none = Identifiers::default();
    let idf = v.identifiers.as_ref().unwrap_or(&none);
    for c in &idf.CVE {
        push_id(&mut ids, &c.0);
    }
    push_id(&mut ids, v.id.as_str());
    for list in [&idf.GHSA, &idf.ALTERNATIVE, &v.alternative_ids, &idf.SNYK] {
        for i in list {
            push_id(&mut ids, &i.0);
        }
    }
    // Snyk's `NSP` numbers are the old nodesecurity.io advisories, which npm
    // took over with their numbers: npm 6 audit calls advisory 565 `NPM-565`.
    for n in &idf.NSP {
        let n = n.0.trim();
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            push_id(&mut ids, &format!("NPM-{n}"));
        } else {
            push_id(&mut ids, n);
        }
    }
    ids.sort_by_key(|i| id_rank(i)); // stable: report order within a rank
    ids
}

/// The location of element `index` of the top-level array (computed only
/// for an error).
fn element_at(doc: &Doc<'_>, index: usize) -> vz::error::Location {
    let items: Vec<&RawValue> = serde_json::from_str(doc.text).unwrap_or_default();
    let Some(raw) = items.get(index) else {
        return doc.locate(0, 0);
    };
    let offset = (raw.get().as_ptr() as usize).saturating_sub(doc.text.as_ptr() as usize);
    let before = doc.text.get(..offset).unwrap_or("");
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    doc.locate(line, column)
}

/// Snyk's `error`: a string, or an object with a message.
fn error_text(e: &RawValue) -> String {
    #[derive(Deserialize)]
    struct Message {
        #[serde(default)]
        message: Option<String>,
    }
    let text = serde_json::from_str::<String>(e.get())
        .ok()
        .or_else(|| serde_json::from_str::<Message>(e.get()).ok().and_then(|m| m.message))
        .unwrap_or_else(|| e.get().to_string());
    let line = first_line(&text);
    let short: String = line.chars().take(200).collect();
    if short.len() < line.len() { format!("{short}…") } else { short }
}

#[cfg(test)]
mod tests {
    use crate::model::{Cvss, Ecosystem, Package, Raw, Scanner, Severity, Target};
    use crate::testutil::{parse_all, shared, try_parse_all};
    use std::collections::BTreeSet;

    fn findings(text: &str) -> Vec<Raw> {
        let reports = parse_all(text, "snyk.json");
        assert!(reports.iter().all(|r| r.scanner == Scanner::Snyk && r.version.is_none()));
        reports.into_iter().flat_map(|r| r.findings).collect()
    }

    const OSS: &str = r#"{
      "ok": false, "packageManager": "npm", "projectName": "shop", "displayTargetFile": "package-lock.json",
      "path": "/src/shop", "uniqueCount": 2,
      "vulnerabilities": [
        {"id": "SNYK-JS-SSRI-1246392", "title": "Regular Expression Denial of Service (ReDoS)\nmore",
         "severity": "medium", "severityWithCritical": "medium", "packageName": "ssri", "moduleName": "ssri",
         "name": "ssri", "version": "6.0.1", "packageManager": "npm", "CVSSv3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
         "cvssScore": 5.3,
         "cvssDetails": [{"assigner": "NVD", "severity": "high", "cvssV3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "cvssV3BaseScore": 7.5}],
         "identifiers": {"CWE": ["CWE-400"], "NSP": ["565"], "CVE": ["CVE-2021-27290"], "GHSA": ["GHSA-VX3P-948G-6VHQ"]},
         "alternativeIds": [], "fixedIn": ["6.0.2", "7.1.1"], "isUpgradable": true, "isPatchable": false,
         "upgradePath": [false, "cacache@12.0.4", "ssri@6.0.2"],
         "from": ["shop@1.0.0", "cacache@12.0.3", "ssri@6.0.1"],
         "references": [{"title": "GitHub Commit", "url": "https://github.com/npm/ssri/commit/b30dfdb"}, {"title": "dup", "url": "https://github.com/npm/ssri/commit/b30dfdb"}]},
        {"id": "SNYK-JS-SSRI-1246392", "severity": "medium", "packageName": "ssri", "name": "ssri", "version": "6.0.1",
         "identifiers": {"CVE": ["CVE-2021-27290"]}, "fixedIn": null, "isUpgradable": false, "isPatchable": false,
         "upgradePath": false, "cvssScore": null, "from": ["shop@1.0.0", "terser-webpack-plugin@1.4.5", "cacache@12.0.3", "ssri@6.0.1"]},
        {"id": "snyk:lic:npm:caniuse-lite:CC-BY-4.0", "type": "license", "severity": "medium", "packageName": "caniuse-lite",
         "version": "1.0.30001", "from": ["shop@1.0.0", "caniuse-lite@1.0.30001"]}
      ]
    }"#;

    #[test]
    fn oss_project_one_record_per_dependency_path_and_licences_skipped() {
        let f = findings(OSS);
        assert_eq!(f.len(), 2);
        let package = Package {
            name: "ssri".into(),
            ecosystem: Some(Ecosystem::Npm),
            purl: None,
            source: None,
        };
        assert_eq!(
            f[0],
            Raw {
                ids: vec![
                    "CVE-2021-27290".into(),
                    "GHSA-vx3p-948g-6vhq".into(),
                    "SNYK-JS-SSRI-1246392".into(),
                    "NPM-565".into()
                ],
                package: package.clone(),
                version: "6.0.1".into(),
                fixed: vec!["6.0.2".into(), "7.1.1".into()],
                fixable: true,
                severity: Severity::Medium,
                severity_given: "medium".into(),
                severity_from: Some("snyk".into()),
                cvss: vec![
                    Cvss::from_vector(
                        "snyk",
                        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                        Some(5.3)
                    ),
                    Cvss::from_vector(
                        "NVD",
                        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                        Some(7.5)
                    ),
                ],
                target: Target::file("package-lock.json"),
                location: Some("cacache@12.0.3 > ssri@6.0.1".into()),
                title: "Regular Expression Denial of Service (ReDoS)".into(),
                urls: vec!["https://github.com/npm/ssri/commit/b30dfdb".into()],
            }
        );
        // The repeat on another path, with nulls and `upgradePath: false`.
        assert_eq!(
            f[1],
            Raw {
                ids: vec!["CVE-2021-27290".into(), "SNYK-JS-SSRI-1246392".into()],
                package,
                version: "6.0.1".into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Medium,
                severity_given: "medium".into(),
                severity_from: Some("snyk".into()),
                cvss: vec![],
                target: Target::file("package-lock.json"),
                location: Some("terser-webpack-plugin@1.4.5 > cacache@12.0.3 > ssri@6.0.1".into()),
                title: String::new(),
                urls: vec![],
            }
        );
    }

    const CONTAINER: &str = r#"{
      "ok": false, "packageManager": "deb", "projectName": "docker-image|redis", "path": "redis:7", "platform": "linux/arm64",
      "vulnerabilities": [
        {"id": "SNYK-DEBIAN11-SHADOW-3310897", "title": "Arbitrary Code Injection", "severity": "low", "nvdSeverity": "medium",
         "relativeImportance": "unimportant", "packageName": "shadow", "name": "shadow/login", "version": "1:4.8.1-1",
         "packageManager": "debian:11", "identifiers": {"CVE": ["CVE-2023-0634"], "CWE": [], "ALTERNATIVE": []},
         "CVSSv3": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "cvssScore": 7.8, "cvssDetails": [],
         "nearestFixedInVersion": "1:4.8.1-1+deb11u1", "fixedIn": [], "isUpgradable": false, "isPatchable": false,
         "upgradePath": [], "from": ["docker-image|redis@7", "shadow/login@1:4.8.1-1"],
         "references": [{"title": "ADVISORY", "url": "https://security-tracker.debian.org/tracker/CVE-2023-0634"}]},
        {"id": "SNYK-DEBIAN11-GLIBC-1", "severity": "high", "packageName": "glibc", "name": "glibc/libc6", "version": "2.31-13",
         "packageManager": "debian:11", "identifiers": {"CVE": []}, "from": ["docker-image|redis@7", "meta-common-packages@meta", "glibc/libc6@2.31-13"]}
      ],
      "applications": [
        {"ok": false, "packageManager": "gomodules", "projectName": "github.com/tianon/gosu", "targetFile": "/usr/local/bin/gosu",
         "displayTargetFile": "/usr/local/bin/gosu", "path": "redis/tianon/gosu",
         "vulnerabilities": [
           {"id": "SNYK-GOLANG-GOLANGORGXSYSUNIX-3310442", "title": "Incorrect Privilege Assignment", "severity": "medium",
            "packageName": "golang.org/x/sys/unix", "moduleName": "golang.org/x/sys/unix", "name": "golang.org/x/sys/unix",
            "version": "v0.0.0-20220907062415-87db552b00fd", "packageManager": "golang",
            "identifiers": {"CVE": ["CVE-2022-29526"], "CWE": ["CWE-266"]}, "fixedIn": ["0.1.0"],
            "cvssDetails": [{"assigner": "SUSE", "cvssV3Vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "cvssV3BaseScore": 6.2}],
            "from": ["github.com/tianon/gosu@*", "golang.org/x/sys/unix@v0.0.0-20220907062415-87db552b00fd"]}
         ]},
        {"ok": true, "packageManager": "npm", "targetFile": "/app/package.json", "vulnerabilities": []}
      ]
    }"#;

    #[test]
    fn container_project_os_packages_and_applications() {
        let f = findings(CONTAINER);
        assert_eq!(f.len(), 3);
        let image = Target::image("redis");
        assert_eq!(image.key, "redis");
        assert_eq!(
            f[0],
            Raw {
                ids: vec!["CVE-2023-0634".into(), "SNYK-DEBIAN11-SHADOW-3310897".into()],
                package: Package {
                    name: "login".into(),
                    ecosystem: Some(Ecosystem::Deb),
                    purl: None,
                    source: Some("shadow".into())
                },
                version: "1:4.8.1-1".into(),
                fixed: vec!["1:4.8.1-1+deb11u1".into()],
                fixable: true,
                severity: Severity::Low,
                severity_given: "low".into(),
                severity_from: Some("debian".into()),
                cvss: vec![Cvss::from_vector(
                    "snyk",
                    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                    Some(7.8)
                )],
                target: image.clone(),
                location: None,
                title: "Arbitrary Code Injection".into(),
                urls: vec!["https://security-tracker.debian.org/tracker/CVE-2023-0634".into()],
            }
        );
        assert_eq!(
            f[1],
            Raw {
                ids: vec!["SNYK-DEBIAN11-GLIBC-1".into()],
                package: Package {
                    name: "libc6".into(),
                    ecosystem: Some(Ecosystem::Deb),
                    purl: None,
                    source: Some("glibc".into())
                },
                version: "2.31-13".into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::High,
                severity_given: "high".into(),
                severity_from: Some("debian".into()),
                cvss: vec![],
                target: image.clone(),
                location: Some("meta-common-packages@meta > glibc/libc6@2.31-13".into()),
                title: String::new(),
                urls: vec![],
            }
        );
        assert_eq!(
            f[2],
            Raw {
                ids: vec!["CVE-2022-29526".into(), "SNYK-GOLANG-GOLANGORGXSYSUNIX-3310442".into()],
                package: Package {
                    name: "golang.org/x/sys/unix".into(),
                    ecosystem: Some(Ecosystem::Go),
                    purl: None,
                    source: None
                },
                version: "v0.0.0-20220907062415-87db552b00fd".into(),
                fixed: vec!["0.1.0".into()],
                fixable: true,
                severity: Severity::Medium,
                severity_given: "medium".into(),
                severity_from: Some("snyk".into()),
                cvss: vec![Cvss::from_vector(
                    "SUSE",
                    "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                    Some(6.2)
                )],
                target: image,
                location: Some("/usr/local/bin/gosu".into()),
                title: "Incorrect Privilege Assignment".into(),
                urls: vec![],
            }
        );
    }

    #[test]
    fn image_falls_back_to_path_and_critical_comes_from_severity_with_critical() {
        let f = findings(
            r#"{"vulnerabilities": [{"id": "SNYK-ALPINE317-OPENSSL-1", "severity": "high", "severityWithCritical": "critical",
                "packageName": "openssl", "name": "openssl/libcrypto3", "version": "3.0.7-r0", "packageManager": "alpine:3.17",
                "isPatchable": true, "from": ["docker-image|app@1", "openssl/libcrypto3@3.0.7-r0"]}],
               "ok": false, "packageManager": "apk", "path": "ghcr.io/acme/app:1.2"}"#,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].target, Target::image("ghcr.io/acme/app:1.2"));
        assert_eq!(f[0].target.key, "acme/app");
        assert_eq!(f[0].package.name, "libcrypto3");
        assert_eq!(f[0].package.ecosystem, Some(Ecosystem::Apk));
        assert_eq!((f[0].severity, f[0].severity_given.as_str()), (Severity::Critical, "critical"));
        assert_eq!(f[0].severity_from.as_deref(), Some("alpine"));
        assert!(
            f[0].fixable && f[0].fixed.is_empty(),
            "isPatchable makes it fixable without a version"
        );
    }

    #[test]
    fn all_projects_array_reads_every_project() {
        let text = r#"[
          {"ok": false, "packageManager": "maven", "projectName": "com.test:a", "displayTargetFile": "a\\pom.xml", "path": "C:\\ws",
           "vulnerabilities": [{"id": "SNYK-JAVA-COMGOOGLEGUAVA-32236", "severity": "medium", "packageName": "com.google.guava:guava",
             "name": "com.google.guava:guava", "version": "22.0", "identifiers": {"CVE": ["CVE-2018-10237"], "GHSA": ["GHSA-mvr2-9pj6-7w5j"]},
             "fixedIn": ["24.1.1-jre"], "isUpgradable": true, "from": ["com.test:a@1.0", "com.google.guava:guava@22.0"]}]},
          {"ok": true, "packageManager": "pip", "projectName": "b", "targetFile": "b/requirements.txt", "vulnerabilities": []},
          {"ok": false, "packageManager": "pip", "displayTargetFile": "c/requirements.txt",
           "vulnerabilities": [{"id": "SNYK-PYTHON-DJANGO-1", "severity": "high", "moduleName": "Django", "name": "django",
             "version": "1.11", "from": ["c@0.0.0", "Django@1.11"]}]}
        ]"#;
        let f = findings(text);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].target, Target::file("a\\pom.xml"));
        assert_eq!(f[0].target.key, "a/pom.xml");
        assert_eq!(
            f[0].ids,
            ["CVE-2018-10237", "GHSA-mvr2-9pj6-7w5j", "SNYK-JAVA-COMGOOGLEGUAVA-32236"]
        );
        assert_eq!(f[0].package.ecosystem, Some(Ecosystem::Maven));
        assert_eq!(f[0].location, None, "a direct dependency has no path to show");
        assert_eq!(f[1].package.name, "Django", "moduleName when packageName is missing");
        assert_eq!(f[1].package.ecosystem, Some(Ecosystem::Pypi));
        assert_eq!(f[1].target.key, "c/requirements.txt");
    }

    #[test]
    fn no_vulnerabilities_is_an_empty_report() {
        let reports = parse_all(
            r#"{"ok": true, "packageManager": "maven", "vulnerabilities": [], "path": "."}"#,
            "s.json",
        );
        assert_eq!(reports.len(), 1);
        assert!(reports[0].findings.is_empty());
    }

    #[test]
    fn a_project_snyk_could_not_test_is_an_error_naming_it() {
        let text = "[\n  {\"ok\": true, \"packageManager\": \"npm\", \"vulnerabilities\": []},\n  \
                    {\"ok\": false, \"error\": \"Could not detect supported target files\\nsecond line\", \"path\": \"/src/api\", \"targetFile\": \"api/pom.xml\"}\n]";
        assert_eq!(
            try_parse_all(text, "all.json").unwrap_err(),
            "all.json:3:3: [1]: Snyk could not test project `api/pom.xml`: Could not detect supported target files"
        );
        let app = r#"{"ok": false, "packageManager": "deb", "projectName": "docker-image|x", "vulnerabilities": [],
                     "applications": [{"ok": false, "error": {"message": "scan failed"}, "targetFile": "/bin/app"}]}"#;
        assert_eq!(
            try_parse_all(app, "c.json").unwrap_err(),
            "c.json:1:1: applications[0]: Snyk could not test project `/bin/app`: scan failed"
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        let missing = "{\"ok\": false, \"packageManager\": \"npm\",\n \"vulnerabilities\": [{\"title\": \"x\", \"version\": \"1\"}]}";
        assert_eq!(
            try_parse_all(missing, "s.json").unwrap_err(),
            "s.json:2:51: vulnerabilities[0]: missing field `id`"
        );
        let wrong = "[{\"ok\": false, \"packageManager\": \"npm\",\n \"vulnerabilities\": [{\"id\": \"SNYK-1\", \"cvssScore\": \"high\"}]}]";
        assert_eq!(
            try_parse_all(wrong, "s.json").unwrap_err(),
            "s.json:2:57: [0].vulnerabilities[0].cvssScore: invalid type: string \"high\", expected f64"
        );
    }

    fn corpus(rel: &str) -> Option<Vec<Raw>> {
        let text = shared(rel)?;
        Some(parse_all(&text, rel).into_iter().flat_map(|r| r.findings).collect())
    }

    #[test]
    fn corpus_npm_single_project_many_paths() {
        let Some(f) = corpus("snyk/dd-npm-single-project-many-paths.json") else { return };
        assert_eq!(f.len(), 254);
        let snyk_ids: BTreeSet<&str> = f
            .iter()
            .map(|r| r.ids.iter().find(|i| i.starts_with("SNYK-")).map_or("", String::as_str))
            .collect();
        assert_eq!(snyk_ids.len(), 43);
        assert!(!snyk_ids.contains(""));
        assert!(f.iter().all(|r| r.target.key == "package-lock.json"));
        // Transitive findings carry their path; direct ones have none.
        assert!(
            f.iter()
                .filter(|r| r.location.is_some())
                .all(|r| r.location.as_deref().is_some_and(|l| l.contains(" > ")))
        );
        assert!(f.iter().filter(|r| r.location.is_some()).count() > 200);
    }

    #[test]
    fn corpus_node_demo_container() {
        let Some(f) = corpus("snyk/vimp-node-demo-container.json") else { return };
        assert_eq!(f.len(), 593);
        let triples: BTreeSet<(&str, &str, &str)> = f
            .iter()
            .map(|r| (r.ids[0].as_str(), r.package.name.as_str(), r.version.as_str()))
            .collect();
        assert_eq!(triples.len(), 303);
        assert!(triples.iter().all(|t| t.0.starts_with("CVE-")));
        assert!(triples.contains(&("CVE-2023-0634", "login", "1:4.8.1-1")));
        assert!(f.iter().all(|r| r.target.key == "cloudy-build/vulctl/node-demo"));
    }

    #[test]
    fn corpus_redis_container_reads_applications() {
        let Some(f) = corpus("snyk/vimp-redis-container.json") else { return };
        assert_eq!(f.len(), 155);
        let go: Vec<&Raw> =
            f.iter().filter(|r| r.package.ecosystem == Some(Ecosystem::Go)).collect();
        assert_eq!(go.len(), 1);
        assert_eq!(go[0].ids[0], "CVE-2022-29526");
        assert_eq!(go[0].location.as_deref(), Some("/usr/local/bin/gosu"));
        let os: BTreeSet<(&str, &str, &str)> = f
            .iter()
            .filter(|r| r.package.ecosystem == Some(Ecosystem::Deb))
            .map(|r| (r.ids[0].as_str(), r.package.name.as_str(), r.version.as_str()))
            .collect();
        assert_eq!(os.len(), 75);
        assert!(f.iter().all(|r| r.target.key == "redis"));
    }

    #[test]
    fn corpus_maven_projects() {
        if let Some(f) = corpus("snyk/dd-maven-all-projects.json") {
            assert_eq!(f.len(), 4);
            let targets: BTreeSet<&str> = f.iter().map(|r| r.target.key.as_str()).collect();
            assert_eq!(
                targets,
                BTreeSet::from(["pom.xml", "project-a/pom.xml", "project-b/pom.xml"])
            );
        }
        if let Some(f) = corpus("snyk/dd-maven-one-vuln.json") {
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].ids, ["CVE-2019-12400", "SNYK-JAVA-ORGAPACHESANTUARIO-460281"]);
            assert_eq!(f[0].package.name, "org.apache.santuario:xmlsec");
            assert_eq!(f[0].fixed, ["2.1.4"]);
        }
        if let Some(f) = corpus("snyk/dd-maven-no-vulns.json") {
            assert!(f.is_empty());
        }
    }
}
