//! Grype JSON (FORMATS.md §3), from 0.7 to current: `matches[]`, `source`,
//! `descriptor`.
//!
//! The shapes differ across versions; only fields whose meaning is stable
//! are named. `matchDetails` (an object in 0.7, an array later) and
//! `artifact.cpes` (objects in 0.7, strings later) are never named, so both
//! shapes are skipped alike. 0.7 has no `fix` (but `fixedInVersion`), no
//! `relatedVulnerabilities`, `links` instead of `urls`, and `cvssV2` /
//! `cvssV3` objects instead of `cvss[]`. `ignoredMatches` are findings the
//! user chose to ignore and are skipped on purpose. Byte-identical
//! duplicate matches stay two records (the merge dedupes).

use super::util::{Str, first_line, first_nonblank, nonblank, push_id, push_unique, text};
use crate::input::Doc;
use crate::model::{
    Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target, normalize_id,
};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use vz::Error;

/// Parses one Grype document into one report.
pub fn parse(doc: &Doc<'_>) -> Result<Vec<Report>, Error> {
    let report: GReport<'_> = doc.typed()?;
    let source = report.source.unwrap_or_default();
    let kind = text(&source.kind).trim().to_ascii_lowercase();
    // What was scanned: the image reference, the directory, or the file's
    // path or name (`file`, `sbom`, `sbom-file`, `purl`, …).
    let scanned = match &source.target {
        Some(SourceTarget::Text(s)) => s.trim(),
        Some(SourceTarget::Object(t)) => t.reference(),
        None => "",
    };
    let is_image = kind == "image"
        || (kind.is_empty() && matches!(source.target, Some(SourceTarget::Object(_))));
    // One target for the whole report, except for a directory scan whose
    // lockfiles (or installed package files) are the targets.
    let whole = if is_image {
        Some(Target::image(scanned))
    } else if kind == "directory" {
        None
    } else {
        Some(Target::file(scanned))
    };
    let mut findings = Vec::with_capacity(report.matches.as_ref().map_or(0, Vec::len));
    for m in report.matches.iter().flatten() {
        let first_path =
            first_nonblank(m.artifact.locations.iter().flatten().map(|l| text(&l.path)))
                .map(str::trim);
        let (target, location) = match &whole {
            Some(t) => (t.clone(), first_path.map(str::to_string)),
            None => (Target::file(first_path.unwrap_or(scanned)), None),
        };
        findings.push(record(m, target, location));
    }
    let version = report
        .descriptor
        .as_ref()
        .map(|d| text(&d.version).trim().to_string())
        .filter(|v| !v.is_empty());
    Ok(vec![Report { scanner: Scanner::Grype, version, findings }])
}

// ---------------------------------------------------------------------------
// The document, naming only the fields used.

#[derive(Deserialize)]
struct GReport<'a> {
    #[serde(borrow)]
    matches: Option<Vec<Match<'a>>>,
    #[serde(borrow)]
    source: Option<Source<'a>>,
    #[serde(borrow)]
    descriptor: Option<Descriptor<'a>>,
}

#[derive(Deserialize)]
struct Descriptor<'a> {
    #[serde(borrow)]
    version: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Source<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    target: Option<SourceTarget<'a>>,
}

/// `source.target`: a string (directories, files, SBOMs: sometimes with
/// the quotes inside, `"\".\""`) or an object (images).
enum SourceTarget<'a> {
    Text(Cow<'a, str>),
    Object(ObjectTarget<'a>),
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ObjectTarget<'a> {
    #[serde(borrow)]
    user_input: Option<Str<'a>>,
    #[serde(borrow)]
    tags: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    repo_digests: Option<Vec<Str<'a>>>,
    #[serde(borrow, rename = "imageID")]
    image_id: Option<Str<'a>>,
    /// Not in Grype's image metadata; an object target of another kind.
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    path: Option<Str<'a>>,
}

impl ObjectTarget<'_> {
    /// What the user asked for, else the first tag, the first digest, the
    /// image id (or a name/path for a non-image object).
    fn reference(&self) -> &str {
        let tags = self.tags.iter().flatten().map(Str::as_str);
        let digests = self.repo_digests.iter().flatten().map(Str::as_str);
        let texts = std::iter::once(text(&self.user_input))
            .chain(tags)
            .chain(digests)
            .chain([&self.image_id, &self.name, &self.path].map(text));
        first_nonblank(texts).map_or("", str::trim)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for SourceTarget<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SourceTarget<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                s: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(SourceTarget::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(SourceTarget::Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(SourceTarget::Text(Cow::Owned(s)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(SourceTarget::Text(Cow::Borrowed("")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ObjectTarget::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(SourceTarget::Object)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Match<'a> {
    #[serde(borrow)]
    vulnerability: Vulnerability<'a>,
    /// Absent in 0.7.
    #[serde(borrow)]
    related_vulnerabilities: Option<Vec<Related<'a>>>,
    #[serde(borrow, default)]
    artifact: Artifact<'a>,
}

/// `matches[].vulnerability`. The id is required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    namespace: Option<Str<'a>>,
    #[serde(borrow)]
    severity: Option<Str<'a>>,
    #[serde(borrow)]
    description: Option<Str<'a>>,
    #[serde(borrow)]
    data_source: Option<Str<'a>>,
    #[serde(borrow)]
    urls: Option<Vec<Str<'a>>>,
    /// 0.7: `links` instead of `urls`.
    #[serde(borrow)]
    links: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    cvss: Option<Vec<CvssEntry<'a>>>,
    /// 0.7.
    #[serde(borrow, rename = "cvssV3")]
    cvss_v3: Option<OldCvss<'a>>,
    /// 0.7.
    #[serde(borrow, rename = "cvssV2")]
    cvss_v2: Option<OldCvss<'a>>,
    #[serde(borrow)]
    fix: Option<Fix<'a>>,
    /// 0.7: one version instead of `fix`.
    #[serde(borrow)]
    fixed_in_version: Option<Str<'a>>,
}

/// `matches[].relatedVulnerabilities[]`: the same issue in other
/// databases (usually the NVD record, or the CVE of a GHSA).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Related<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    namespace: Option<Str<'a>>,
    #[serde(borrow)]
    severity: Option<Str<'a>>,
    #[serde(borrow)]
    description: Option<Str<'a>>,
    #[serde(borrow)]
    data_source: Option<Str<'a>>,
    #[serde(borrow)]
    urls: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    cvss: Option<Vec<CvssEntry<'a>>>,
}

#[derive(Deserialize)]
struct CvssEntry<'a> {
    #[serde(borrow)]
    source: Option<Str<'a>>,
    #[serde(borrow)]
    vector: Option<Str<'a>>,
    metrics: Option<Metrics>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    base_score: Option<f64>,
}

/// 0.7's `cvssV2` / `cvssV3`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OldCvss<'a> {
    #[serde(borrow)]
    vector: Option<Str<'a>>,
    base_score: Option<f64>,
}

#[derive(Deserialize)]
struct Fix<'a> {
    #[serde(borrow)]
    versions: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    state: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Artifact<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    version: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    purl: Option<Str<'a>>,
    #[serde(borrow)]
    locations: Option<Vec<Location<'a>>>,
    #[serde(borrow)]
    upstreams: Option<Vec<Upstream<'a>>>,
}

#[derive(Deserialize)]
struct Location<'a> {
    #[serde(borrow)]
    path: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Upstream<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
}

// ---------------------------------------------------------------------------
// From a match to a record.

fn record(m: &Match<'_>, target: Target, location: Option<String>) -> Raw {
    let v = &m.vulnerability;
    let related = m.related_vulnerabilities.as_deref().unwrap_or(&[]);

    let mut ids = vec![normalize_id(v.id.as_str())];
    for r in related {
        push_id(&mut ids, text(&r.id));
    }

    // The match's own rating; when it has none (CPE matches), the highest
    // rating of a related record, saying which namespace gave it.
    let own = text(&v.severity).trim();
    let (severity_given, severity_from) = if own.is_empty() {
        let best = related.iter().filter(|r| !text(&r.severity).trim().is_empty()).fold(
            None::<&Related<'_>>,
            |best, r| match best {
                Some(b)
                    if Severity::from_word(text(&b.severity))
                        >= Severity::from_word(text(&r.severity)) =>
                {
                    Some(b)
                }
                _ => Some(r),
            },
        );
        match best {
            Some(r) => (text(&r.severity).trim(), text(&r.namespace).trim()),
            None => ("", ""),
        }
    } else {
        (own, text(&v.namespace).trim())
    };

    let mut cvss: Vec<Cvss> = Vec::new();
    let mut add = |c: Cvss| {
        if !cvss.contains(&c) {
            cvss.push(c);
        }
    };
    let entries = std::iter::once((&v.cvss, &v.namespace))
        .chain(related.iter().map(|r| (&r.cvss, &r.namespace)));
    for (list, namespace) in entries {
        for c in list.iter().flatten() {
            let source = first_nonblank([text(&c.source), text(namespace)]).map(str::trim);
            let vector = text(&c.vector).trim();
            let score = c.metrics.as_ref().and_then(|m| m.base_score);
            if !vector.is_empty() || score.is_some() {
                add(Cvss::from_vector(source.unwrap_or("grype"), vector, score));
            }
        }
    }
    for old in [&v.cvss_v3, &v.cvss_v2].into_iter().flatten() {
        let vector = text(&old.vector).trim();
        if !vector.is_empty() || old.base_score.is_some() {
            let source =
                Some(text(&v.namespace).trim()).filter(|s| !s.is_empty()).unwrap_or("grype");
            add(Cvss::from_vector(source, vector, old.base_score));
        }
    }

    let mut fixed: Vec<String> = Vec::new();
    let fix_versions = v.fix.as_ref().and_then(|f| f.versions.as_ref());
    let old_fix = v.fixed_in_version.as_ref().map(Str::as_str);
    for f in fix_versions.into_iter().flatten().map(Str::as_str).chain(old_fix) {
        push_unique(&mut fixed, f.trim());
    }
    let state = v.fix.as_ref().map_or("", |f| text(&f.state)).trim();
    let fixable = !fixed.is_empty() || state.eq_ignore_ascii_case("fixed");

    let mut urls: Vec<String> = Vec::new();
    push_unique(&mut urls, text(&v.data_source).trim());
    for u in v.urls.iter().chain(&v.links).flatten() {
        push_unique(&mut urls, u.as_str().trim());
    }
    for r in related {
        push_unique(&mut urls, text(&r.data_source).trim());
        for u in r.urls.iter().flatten() {
            push_unique(&mut urls, u.as_str().trim());
        }
    }

    let title = std::iter::once(&v.description)
        .chain(related.iter().map(|r| &r.description))
        .map(|d| first_line(text(d)))
        .find(|t| !t.is_empty())
        .unwrap_or("");

    Raw {
        ids,
        package: package(&m.artifact),
        version: text(&m.artifact.version).trim().to_string(),
        fixed,
        fixable,
        severity: Severity::from_word(severity_given),
        severity_given: severity_given.to_string(),
        severity_from: nonblank(severity_from),
        cvss,
        target,
        location,
        title: title.to_string(),
        urls,
    }
}

/// The package: `artifact.name` (for Maven, `group:artifact` from the purl,
/// as the model and the other scanners spell it), the ecosystem from
/// `artifact.type`, the purl, and the first upstream as the source package.
fn package(a: &Artifact<'_>) -> Package {
    let name = text(&a.name).trim();
    let purl = nonblank(text(&a.purl));
    let ecosystem = Ecosystem::from_word(text(&a.kind));
    let name = match (ecosystem.as_ref(), purl.as_deref().and_then(maven_coordinates)) {
        (Some(Ecosystem::Maven), Some((group, artifact)))
            if !name.contains(':') && artifact == name =>
        {
            format!("{group}:{artifact}")
        }
        _ => name.to_string(),
    };
    let source = first_nonblank(a.upstreams.iter().flatten().map(|u| text(&u.name)))
        .map(str::trim)
        .filter(|u| *u != name)
        .map(str::to_string);
    Package { name, ecosystem, purl, source }
}

/// `pkg:maven/<group>/<artifact>@…` → `(group, artifact)`.
fn maven_coordinates(purl: &str) -> Option<(&str, &str)> {
    let rest = crate::model::purl_without_version(purl).strip_prefix("pkg:maven/")?;
    let (group, artifact) = rest.rsplit_once('/')?;
    (!group.is_empty() && !artifact.is_empty()).then_some((group, artifact))
}

#[cfg(test)]
mod tests {
    use crate::model::{Cvss, Ecosystem, Package, Raw, Scanner, Severity, Target};
    use crate::testutil::{parse_all, shared, try_parse_all};
    use std::collections::BTreeSet;

    fn report(matches: &str, source: &str) -> String {
        format!(
            r#"{{"matches": [{matches}], "source": {source}, "distro": {{"name": "debian", "version": "11", "idLike": []}},
               "descriptor": {{"name": "grype", "version": "0.59.1", "configuration": {{"output": "json"}}, "db": {{"built": "2023-03-14"}}}}}}"#
        )
    }

    const IMAGE: &str = r#"{"type": "image", "target": {"userInput": "us-west1-docker.pkg.dev/p/r/node-demo:v0.0.6",
        "imageID": "sha256:ccc5", "manifestDigest": "sha256:1d70", "tags": ["us-west1-docker.pkg.dev/p/r/node-demo:v0.0.6"],
        "layers": [{"digest": "sha256:ace7", "size": 1}], "manifest": "eyJzY2hlbWFWZXJzaW9uIjoyfQ==", "config": "e30=",
        "repoDigests": [], "architecture": "arm64", "os": "linux"}}"#;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn findings(text: &str) -> Vec<Raw> {
        let reports = parse_all(text, "g.json");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].scanner, Scanner::Grype);
        reports.into_iter().flat_map(|r| r.findings).collect()
    }

    const DEB_MATCH: &str = r#"{
      "vulnerability": {
        "id": "CVE-2023-0361", "dataSource": "https://security-tracker.debian.org/tracker/CVE-2023-0361",
        "namespace": "debian:distro:debian:11", "severity": "Negligible",
        "urls": ["https://security-tracker.debian.org/tracker/CVE-2023-0361"],
        "description": "A timing side-channel was found.\nSecond line.",
        "cvss": [], "fix": {"versions": ["3.7.1-5+deb11u3"], "state": "fixed"}, "advisories": [{"id": "DSA-5349-1", "link": "x"}]
      },
      "relatedVulnerabilities": [{
        "id": "CVE-2023-0361", "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2023-0361", "namespace": "nvd:cpe",
        "severity": "High", "urls": ["https://bugzilla.redhat.com/show_bug.cgi?id=2162596"],
        "description": "A timing side-channel was found.",
        "cvss": [
          {"source": "nvd@nist.gov", "type": "Primary", "version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
           "metrics": {"baseScore": 7.4, "exploitabilityScore": 3.9, "impactScore": 3.6}, "vendorMetadata": {}},
          {"version": "2.0", "vector": "AV:N/AC:M/Au:N/C:P/I:N/A:N", "metrics": {"baseScore": 4.3}, "vendorMetadata": {}}
        ]
      }],
      "matchDetails": [{"type": "exact-indirect-match", "matcher": "dpkg-matcher",
        "searchedBy": {"distro": {"type": "debian", "version": "11"}, "namespace": "debian:distro:debian:11",
                       "package": {"name": "gnutls28", "version": "3.7.1-5+deb11u2"}},
        "found": {"versionConstraint": "< 3.7.1-5+deb11u3 (deb)", "vulnerabilityID": "CVE-2023-0361"}}],
      "artifact": {
        "id": "9f1c", "name": "libgnutls30", "version": "3.7.1-5+deb11u2", "type": "deb",
        "locations": [{"path": "/usr/share/doc/libgnutls30/copyright", "layerID": "sha256:ace7"}, {"path": "/var/lib/dpkg/status"}],
        "language": "", "licenses": ["LGPL-2.1+"], "cpes": ["cpe:2.3:a:libgnutls30:libgnutls30:3.7.1-5+deb11u2:*:*:*:*:*:*:*"],
        "purl": "pkg:deb/debian/libgnutls30@3.7.1-5+deb11u2?arch=arm64&upstream=gnutls28&distro=debian-11",
        "upstreams": [{"name": "gnutls28"}]
      }
    }"#;

    #[test]
    fn a_current_match_in_an_image() {
        let reports = parse_all(&report(DEB_MATCH, IMAGE), "g.json");
        assert_eq!(reports[0].version.as_deref(), Some("0.59.1"));
        assert_eq!(
            reports[0].findings,
            vec![Raw {
                ids: strings(&["CVE-2023-0361"]),
                package: Package {
                    name: "libgnutls30".into(),
                    ecosystem: Some(Ecosystem::Deb),
                    purl: Some("pkg:deb/debian/libgnutls30@3.7.1-5+deb11u2?arch=arm64&upstream=gnutls28&distro=debian-11".into()),
                    source: Some("gnutls28".into()),
                },
                version: "3.7.1-5+deb11u2".into(),
                fixed: strings(&["3.7.1-5+deb11u3"]),
                fixable: true,
                severity: Severity::Low,
                severity_given: "Negligible".into(),
                severity_from: Some("debian:distro:debian:11".into()),
                cvss: vec![
                    Cvss {
                        source: "nvd@nist.gov".into(),
                        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into(),
                        score: Some(7.4)
                    },
                    // No `source`: the related record's namespace says who.
                    Cvss { source: "nvd:cpe".into(), vector: "AV:N/AC:M/Au:N/C:P/I:N/A:N".into(), score: Some(4.3) },
                ],
                target: Target::image("us-west1-docker.pkg.dev/p/r/node-demo:v0.0.6"),
                location: Some("/usr/share/doc/libgnutls30/copyright".into()),
                title: "A timing side-channel was found.".into(),
                urls: strings(&[
                    "https://security-tracker.debian.org/tracker/CVE-2023-0361",
                    "https://nvd.nist.gov/vuln/detail/CVE-2023-0361",
                    "https://bugzilla.redhat.com/show_bug.cgi?id=2162596",
                ]),
            }]
        );
        assert_eq!(reports[0].findings[0].target.key, "p/r/node-demo");
    }

    #[test]
    fn a_match_without_severity_takes_the_highest_related_one() {
        let m = r#"{
          "vulnerability": {"id": "CVE-2024-26308", "namespace": "nvd:cpe", "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2024-26308",
            "description": "Allocation of Resources Without Limits.\n\nUpgrade.", "cvss": [], "urls": [],
            "fix": {"state": "fixed", "versions": ["1.26.0"]}},
          "relatedVulnerabilities": [
            {"id": "GHSA-4265-CCF5-PHJ5", "namespace": "github:language:java", "severity": "Medium", "cvss": null, "urls": null},
            {"id": "GHSA-4265-ccf5-phj5", "namespace": "github:language:java:2", "severity": "High",
             "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "metrics": {"baseScore": 7.5},
                       "vendorMetadata": {"base_severity": "High"}}]},
            {"id": "CVE-2024-26308", "namespace": "nvd:cpe", "severity": ""}
          ],
          "matchDetails": [{"type": "cpe-match", "matcher": "java-matcher"}],
          "artifact": {"id": "513c", "name": "commons-compress", "version": "1.21", "type": "java-archive",
            "locations": [{"path": "/opt/kafka/plugins/commons-compress-1.21.jar", "layerID": "sha256:1307"}],
            "language": "java", "cpes": ["cpe:2.3:a:apache:commons-compress:1.21:*:*:*:*:*:*:*"],
            "purl": "pkg:maven/org.apache.commons/commons-compress@1.21", "upstreams": [],
            "metadataType": "JavaMetadata", "metadata": {"pomGroupID": "org.apache.commons"}}
        }"#;
        let got = findings(&report(m, IMAGE));
        assert_eq!(
            got,
            vec![Raw {
                ids: strings(&["CVE-2024-26308", "GHSA-4265-ccf5-phj5"]),
                package: Package {
                    // Maven packages are `group:artifact`, as Trivy names them.
                    name: "org.apache.commons:commons-compress".into(),
                    ecosystem: Some(Ecosystem::Maven),
                    purl: Some("pkg:maven/org.apache.commons/commons-compress@1.21".into()),
                    source: None,
                },
                version: "1.21".into(),
                fixed: strings(&["1.26.0"]),
                fixable: true,
                severity: Severity::High,
                severity_given: "High".into(),
                severity_from: Some("github:language:java:2".into()),
                cvss: vec![Cvss {
                    source: "github:language:java:2".into(),
                    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
                    score: Some(7.5)
                }],
                target: Target::image("us-west1-docker.pkg.dev/p/r/node-demo:v0.0.6"),
                location: Some("/opt/kafka/plugins/commons-compress-1.21.jar".into()),
                title: "Allocation of Resources Without Limits.".into(),
                urls: strings(&["https://nvd.nist.gov/vuln/detail/CVE-2024-26308"]),
            }]
        );
        // No rating anywhere: unknown, and nobody rated it.
        let bare = r#"{"vulnerability": {"id": "CVE-2024-1", "namespace": "nvd:cpe"}, "artifact": {"name": "x", "version": "1"}}"#;
        let got = findings(&report(bare, IMAGE));
        assert_eq!(
            (got[0].severity, got[0].severity_given.as_str(), got[0].severity_from.as_deref()),
            (Severity::Unknown, "", None)
        );
    }

    #[test]
    fn the_0_7_shape() {
        let m = r#"{
          "vulnerability": {"id": "CVE-2015-5237", "severity": "High", "links": ["https://github.com/google/protobuf/issues/760"],
            "description": "protobuf allows remote authenticated attackers to cause a heap-based buffer overflow.",
            "cvssV2": {"baseScore": 6.5, "exploitabilityScore": 8, "impactScore": 6.4, "vector": "AV:N/AC:L/Au:S/C:P/I:P/A:P"},
            "cvssV3": {"baseScore": 8.8, "exploitabilityScore": 2.8, "impactScore": 5.9, "vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}},
          "matchDetails": {"matcher": "python-matcher", "searchKey": {"cpe": "cpe:2.3:a:*:protobuf:3.15.3:*:*:*:*:python:*:*"},
            "matchedOn": {"constraint": "none (unknown)", "cpes": ["cpe:2.3:a:google:protobuf:-:*:*:*:*:*:*:*"]}},
          "artifact": {"name": "protobuf", "version": "3.15.3", "type": "python",
            "locations": [{"path": "/usr/local/lib/python3.6/site-packages/protobuf-3.15.3.dist-info/METADATA", "layerID": "sha256:6d14"}],
            "language": "python", "licenses": ["3-Clause BSD License"],
            "cpes": [{"Part": "a", "Vendor": "protobuf", "Product": "protobuf", "Version": "3.15.3", "TargetSW": "python"}],
            "purl": "pkg:pypi/protobuf@3.15.3"}
        }"#;
        let fixed_in = r#"{"vulnerability": {"id": "CVE-2021-24031", "severity": "Unknown",
            "links": ["https://security-tracker.debian.org/tracker/CVE-2021-24031"], "fixedInVersion": "1.3.8+dfsg-3+deb10u1"},
          "matchDetails": {"matcher": "dpkg-matcher"},
          "artifact": {"name": "libzstd1", "version": "1.3.8+dfsg-3", "type": "deb", "locations": [{"path": "/var/lib/dpkg/status"}],
            "cpes": [], "purl": "pkg:deb/debian/libzstd1@1.3.8+dfsg-3?arch=amd64"}}"#;
        let text = format!(
            r#"{{"matches": [{m}, {fixed_in}], "source": {{"type": "image", "target": {{"userInput": "defectdojo/defectdojo-django:1.13.1",
               "scope": "Squashed", "tags": ["defectdojo/defectdojo-django:1.13.1"]}}}},
               "distro": {{"name": "debian", "version": "10", "idLike": ""}}, "descriptor": {{"name": "grype", "version": "0.7.0"}}}}"#
        );
        let reports = parse_all(&text, "g.json");
        assert_eq!(reports[0].version.as_deref(), Some("0.7.0"));
        let image = Target::image("defectdojo/defectdojo-django:1.13.1");
        assert_eq!(
            reports[0].findings,
            vec![
                Raw {
                    ids: strings(&["CVE-2015-5237"]),
                    package: Package {
                        name: "protobuf".into(),
                        ecosystem: Some(Ecosystem::Pypi),
                        purl: Some("pkg:pypi/protobuf@3.15.3".into()),
                        source: None
                    },
                    version: "3.15.3".into(),
                    fixed: vec![],
                    fixable: false,
                    severity: Severity::High,
                    severity_given: "High".into(),
                    severity_from: None,
                    cvss: vec![
                        Cvss::from_vector("grype", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Some(8.8)),
                        Cvss::from_vector("grype", "AV:N/AC:L/Au:S/C:P/I:P/A:P", Some(6.5)),
                    ],
                    target: image.clone(),
                    location: Some("/usr/local/lib/python3.6/site-packages/protobuf-3.15.3.dist-info/METADATA".into()),
                    title: "protobuf allows remote authenticated attackers to cause a heap-based buffer overflow.".into(),
                    urls: strings(&["https://github.com/google/protobuf/issues/760"]),
                },
                Raw {
                    ids: strings(&["CVE-2021-24031"]),
                    package: Package {
                        name: "libzstd1".into(),
                        ecosystem: Some(Ecosystem::Deb),
                        purl: Some("pkg:deb/debian/libzstd1@1.3.8+dfsg-3?arch=amd64".into()),
                        source: None
                    },
                    version: "1.3.8+dfsg-3".into(),
                    fixed: strings(&["1.3.8+dfsg-3+deb10u1"]),
                    fixable: true,
                    severity: Severity::Unknown,
                    severity_given: "Unknown".into(),
                    severity_from: None,
                    cvss: vec![],
                    target: image,
                    location: Some("/var/lib/dpkg/status".into()),
                    title: String::new(),
                    urls: strings(&["https://security-tracker.debian.org/tracker/CVE-2021-24031"]),
                },
            ]
        );
    }

    #[test]
    fn a_directory_scan_has_the_lockfiles_as_targets() {
        let npm = r#"{"vulnerability": {"id": "GHSA-8v27-2fg9-7h62", "namespace": "github:npm", "severity": "Critical",
            "fix": {"versions": [], "state": "not-fixed"}},
          "relatedVulnerabilities": [{"id": "CVE-2021-23334", "namespace": "nvd", "severity": "Critical"}],
          "artifact": {"name": "static-eval", "version": "2.1.0", "type": "npm", "locations": [{"path": "\\components\\package-lock.json"}],
            "purl": "pkg:npm/static-eval@2.1.0", "metadata": null}}"#;
        let nowhere = r#"{"vulnerability": {"id": "CVE-2021-32626", "namespace": "nvd", "severity": "High", "fix": {"versions": null, "state": "wont-fix"}},
          "artifact": {"name": "redis", "version": "3.5.3", "type": "python", "locations": []}}"#;
        let got = findings(&report(
            &format!("{npm}, {nowhere}"),
            r#"{"type": "directory", "target": "\".\""}"#,
        ));
        let base = Raw {
            ids: strings(&["GHSA-8v27-2fg9-7h62", "CVE-2021-23334"]),
            package: Package {
                name: "static-eval".into(),
                ecosystem: Some(Ecosystem::Npm),
                purl: Some("pkg:npm/static-eval@2.1.0".into()),
                source: None,
            },
            version: "2.1.0".into(),
            fixed: vec![],
            fixable: false,
            severity: Severity::Critical,
            severity_given: "Critical".into(),
            severity_from: Some("github:npm".into()),
            cvss: vec![],
            target: Target::file("\\components\\package-lock.json"),
            location: None,
            title: String::new(),
            urls: vec![],
        };
        assert_eq!(
            got,
            vec![
                base.clone(),
                Raw {
                    ids: strings(&["CVE-2021-32626"]),
                    package: Package {
                        name: "redis".into(),
                        ecosystem: Some(Ecosystem::Pypi),
                        purl: None,
                        source: None
                    },
                    version: "3.5.3".into(),
                    severity: Severity::High,
                    severity_given: "High".into(),
                    severity_from: Some("nvd".into()),
                    // No location: the scanned directory itself.
                    target: Target::file("\".\""),
                    ..base
                },
            ]
        );
        assert_eq!(
            (got[0].target.key.as_str(), got[1].target.key.as_str()),
            ("components/package-lock.json", ".")
        );
    }

    #[test]
    fn file_and_sbom_scans_are_one_file_target() {
        let m = r#"{"vulnerability": {"id": "CVE-2022-1471", "severity": "High"},
          "artifact": {"name": "snakeyaml", "version": "1.33", "type": "java-archive", "locations": [{"path": "/BOOT-INF/lib/snakeyaml-1.33.jar"}],
            "purl": "pkg:maven/org.yaml/snakeyaml@1.33"}}"#;
        for (source, key) in [
            (r#"{"type": "file", "target": "./build/app.jar"}"#, "build/app.jar"),
            (
                r#"{"type": "sbom", "target": {"name": "sbom.spdx.json", "version": ""}}"#,
                "sbom.spdx.json",
            ),
            (r#"{"type": "sbom-file", "target": "/work/sbom.cdx.json"}"#, "work/sbom.cdx.json"),
        ] {
            let got = findings(&report(m, source));
            assert_eq!(got[0].target.key, key, "{source}");
            assert_eq!(got[0].target.kind, crate::model::TargetKind::File);
            assert_eq!(got[0].location.as_deref(), Some("/BOOT-INF/lib/snakeyaml-1.33.jar"));
            assert_eq!(got[0].package.name, "org.yaml:snakeyaml");
        }
        // An image known only by its tag.
        let got = findings(&report(
            m,
            r#"{"type": "image", "target": {"userInput": "", "tags": ["", "docker.io/library/app:1"]}}"#,
        ));
        assert_eq!(got[0].target, Target::image("docker.io/library/app:1"));
    }

    #[test]
    fn byte_identical_duplicates_stay_two_records() {
        let got = findings(&report(&format!("{DEB_MATCH},{DEB_MATCH}"), IMAGE));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], got[1]);
    }

    #[test]
    fn empty_reports_have_no_findings() {
        let text = r#"{"matches": [], "source": {"type": "image", "target": {"userInput": "busybox:latest"}},
                       "descriptor": {"name": "grype", "version": "0.7.0"}}"#;
        let reports = parse_all(text, "g.json");
        assert_eq!(reports.len(), 1);
        assert!(reports[0].findings.is_empty());
        // `null` lists and a missing source (straight to the parser: the
        // format detection wants a `matches` value to recognise Grype).
        for text in [
            r#"{"matches": null, "descriptor": {"name": "grype"}}"#,
            r#"{"matches": [], "source": null, "descriptor": {"name": "grype", "version": null}}"#,
            r#"{"matches": [{"vulnerability": {"id": "CVE-1", "urls": null, "cvss": null, "fix": null}, "relatedVulnerabilities": null,
                            "artifact": {"name": "x", "locations": null, "upstreams": null}}]}"#,
        ] {
            let doc = crate::input::Doc::whole("g.json", text);
            let reports = super::parse(&doc).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(reports.len(), 1);
            assert_eq!(reports[0].scanner, Scanner::Grype);
            assert!(
                reports[0]
                    .findings
                    .iter()
                    .all(|r| r.ids == ["CVE-1"] && r.target == Target::file("")),
                "{text}"
            );
        }
    }

    #[test]
    fn a_match_without_an_id_is_an_error_naming_the_place() {
        let text = "{\"matches\": [\n  {\"vulnerability\": {\"severity\": \"High\"}, \"artifact\": {\"name\": \"x\"}}\n], \"descriptor\": {\"name\": \"grype\"}}";
        assert_eq!(
            try_parse_all(text, "g.json").err().as_deref(),
            Some("g.json:2:40: matches[0].vulnerability: missing field `id`")
        );
        let text = r#"{"matches": [{"vulnerability": {"id": "CVE-1", "fix": {"versions": "1.0"}}}], "descriptor": {"name": "grype"}}"#;
        assert_eq!(
            try_parse_all(text, "g.json").err().as_deref(),
            Some(
                "g.json:1:72: matches[0].vulnerability.fix.versions: invalid type: string \"1.0\", expected a sequence"
            )
        );
        let text = r#"{"matches": [{"vulnerability": {"id": "CVE-1"}}], "source": {"type": "image", "target": 3}, "descriptor": {"name": "grype"}}"#;
        assert_eq!(
            try_parse_all(text, "g.json").err().as_deref(),
            Some(
                "g.json:1:89: source.target: invalid type: integer `3`, expected a string or an object"
            )
        );
    }

    // ---- The shared corpus (PROVENANCE.md) ---------------------------------

    fn corpus(file: &str) -> Option<(Option<String>, Vec<Raw>)> {
        let text = shared(&format!("grype/{file}"))?;
        let reports = parse_all(&text, file);
        assert_eq!(reports.len(), 1);
        let version = reports[0].version.clone();
        Some((version, reports.into_iter().flat_map(|r| r.findings).collect()))
    }

    fn distinct_ids(raws: &[Raw]) -> usize {
        raws.iter().map(|r| &r.ids[0]).collect::<BTreeSet<_>>().len()
    }

    fn distinct_triples(raws: &[Raw]) -> usize {
        raws.iter().map(|r| (&r.ids[0], &r.package.name, &r.version)).collect::<BTreeSet<_>>().len()
    }

    #[test]
    fn corpus_node_demo() {
        let Some((version, raws)) = corpus("vimp-node-demo-0.59.1.json") else { return };
        assert_eq!(version.as_deref(), Some("0.59.1"));
        assert_eq!((raws.len(), distinct_triples(&raws), distinct_ids(&raws)), (301, 301, 129));
        assert!(raws.iter().all(|r| r.target.key == "cloudy-build/vulctl/node-demo"));
        let negligible = raws.iter().filter(|r| r.severity_given == "Negligible").count();
        assert_eq!(negligible, 138);
        assert!(raws.iter().all(|r| r.severity_from.as_deref() == Some("debian:distro:debian:11")));
        // Debian epochs are kept as written.
        assert!(raws.iter().any(
            |r| r.package.name == "imagemagick" && r.version == "8:6.9.11.60+dfsg-1.3+deb11u1"
        ));
        assert!(raws.iter().any(|r| r.package.source.as_deref() == Some("imagemagick")));
    }

    #[test]
    fn corpus_debian10_keeps_the_exact_duplicate() {
        let Some((_, raws)) = corpus("dd-0.28.0-debian10-image.json") else { return };
        assert_eq!((raws.len(), distinct_triples(&raws)), (6, 5));
        let django: Vec<_> = raws.iter().filter(|r| r.ids[0] == "GHSA-v6rh-hp5x-86rv").collect();
        assert_eq!(django.len(), 2);
        assert_eq!(django[0], django[1]);
        assert_eq!(django[0].ids, ["GHSA-v6rh-hp5x-86rv", "CVE-2021-44420"]);
        assert_eq!(
            (django[0].fixed.as_slice(), django[0].fixable),
            (&["3.2.10".to_string()][..], true)
        );
    }

    #[test]
    fn corpus_rhel8_severity_fallback() {
        let Some((_, raws)) = corpus("dd-dbv5-rhel8-image.json") else { return };
        assert_eq!((raws.len(), distinct_ids(&raws)), (35, 19));
        assert!(raws.iter().all(|r| r.ids.len() >= 2 || r.ids[0].starts_with("CVE-")));
        let cve =
            raws.iter().find(|r| r.ids[0] == "CVE-2024-26308").expect("the match without severity");
        assert_eq!(
            (cve.severity, cve.severity_given.as_str(), cve.severity_from.as_deref()),
            (Severity::High, "High", Some("github:language:java"))
        );
        assert_eq!(cve.package.name, "org.apache.commons:commons-compress");
        let rpm = raws.iter().filter(|r| r.package.ecosystem == Some(Ecosystem::Rpm)).count();
        assert_eq!(rpm, 32);
        assert!(raws.iter().all(|r| r.severity != Severity::Unknown));
    }

    #[test]
    fn corpus_0_7_files() {
        if let Some((version, raws)) = corpus("dd-0.7.0-defectdojo-django-image.json") {
            assert_eq!(version.as_deref(), Some("0.7.0"));
            assert_eq!((raws.len(), distinct_ids(&raws), distinct_triples(&raws)), (327, 259, 327));
            assert!(raws.iter().all(|r| r.target.key == "defectdojo/defectdojo-django"));
            // 0.7 has no `fix`; 28 matches carry `fixedInVersion`.
            assert_eq!(raws.iter().filter(|r| r.fixable).count(), 28);
            // `cvssV2`/`cvssV3` and `links` are read (13 records have no
            // CVSS at all, one has no link).
            assert_eq!(raws.iter().filter(|r| r.cvss.is_empty()).count(), 13);
            assert_eq!(raws.iter().filter(|r| r.urls.is_empty()).count(), 1);
            assert!(raws.iter().flat_map(|r| &r.cvss).any(|c| c.vector.starts_with("CVSS:3.")));
        }
        if let Some((_, raws)) = corpus("dd-0.7.0-busybox-no-matches.json") {
            assert!(raws.is_empty());
        }
    }

    #[test]
    fn corpus_directory_scan() {
        let Some((_, raws)) = corpus("dd-0.24.0-dir-scan.json") else { return };
        assert_eq!(raws.len(), 9);
        let targets: BTreeSet<_> = raws.iter().map(|r| r.target.key.as_str()).collect();
        assert_eq!(
            targets,
            BTreeSet::from(["components/yarn.lock", "docs/package-lock.json", "requirements.txt"])
        );
    }
}
