//! OSV-Scanner JSON (FORMATS.md §6): `results[]` per scanned source
//! (lockfile, SBOM, directory, git repository), `packages[]` per package,
//! and full OSV records in `vulnerabilities[]`. OSV records carry no
//! normalised severity and no fixed version: both are derived here (the
//! GHSA word or the highest CVSS; the `fixed` event of the affected range
//! that holds the installed version).

use super::util::{Str, first_line, nonblank, nullable, push_id, push_unique, text};
use crate::input::Doc;
use crate::model::{Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use std::cmp::Ordering;
use std::fmt;
use vz::Error;

/// Parses one OSV-Scanner document.
pub fn parse(doc: &Doc<'_>) -> Result<Vec<Report>, Error> {
    let top: Top<'_> = doc.typed()?;
    let mut findings = Vec::new();
    for result in &top.results {
        let target = Target::file(result.source.path.as_str());
        for entry in &result.packages {
            let installed = installed(&entry.package, result.source.path.as_str());
            for v in &entry.vulnerabilities {
                findings.push(raw(v, entry, &installed, &target));
            }
        }
    }
    Ok(vec![Report { scanner: Scanner::Osv, version: None, findings }])
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow, default, deserialize_with = "nullable")]
    results: Vec<SourceResult<'a>>,
}

#[derive(Deserialize)]
struct SourceResult<'a> {
    #[serde(borrow, default)]
    source: Source<'a>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    packages: Vec<PackageEntry<'a>>,
}

#[derive(Deserialize, Default)]
struct Source<'a> {
    #[serde(borrow, default)]
    path: Str<'a>,
}

#[derive(Deserialize)]
struct PackageEntry<'a> {
    #[serde(borrow, default)]
    package: PackageInfo<'a>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    vulnerabilities: Vec<Vuln<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    groups: Vec<Group<'a>>,
}

#[derive(Deserialize, Default)]
struct PackageInfo<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    version: Option<Str<'a>>,
    #[serde(borrow, default)]
    ecosystem: Option<Str<'a>>,
    #[serde(borrow, default)]
    commit: Option<Str<'a>>,
    #[serde(borrow, default)]
    purl: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Vuln<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    aliases: Vec<Str<'a>>,
    #[serde(borrow, default)]
    summary: Option<Str<'a>>,
    #[serde(borrow, default)]
    details: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    severity: Vec<SeverityEntry<'a>>,
    #[serde(default)]
    database_specific: Option<DatabaseSpecific>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    affected: Vec<Affected<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    references: Vec<Reference<'a>>,
}

#[derive(Deserialize)]
struct SeverityEntry<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Str<'a>>,
    /// A CVSS vector (a string), or for other types a word or number.
    #[serde(default)]
    score: Loose,
}

/// `database_specific` is free-form; only a GHSA-style `severity` word is used.
#[derive(Deserialize)]
struct DatabaseSpecific {
    #[serde(default)]
    severity: Loose,
}

#[derive(Deserialize)]
struct Affected<'a> {
    #[serde(borrow, default)]
    package: Option<AffectedPackage<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    ranges: Vec<Range<'a>>,
}

#[derive(Deserialize)]
struct AffectedPackage<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    ecosystem: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Range<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    events: Vec<Event<'a>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    introduced: Option<Str<'a>>,
    #[serde(borrow, default)]
    fixed: Option<Str<'a>>,
    #[serde(borrow, default)]
    last_affected: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Group<'a> {
    #[serde(borrow, default, deserialize_with = "nullable")]
    ids: Vec<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    aliases: Vec<Str<'a>>,
    #[serde(default)]
    max_severity: Loose,
}

/// A package of a source, as installed.
struct Installed {
    package: Package,
    version: String,
    /// A git repository (versioned by commit), not a package of an ecosystem.
    git: bool,
}

/// The package as reported; a git source's package has empty name, version
/// and ecosystem and only a `commit`: it is named by the source path and
/// versioned by the commit.
fn installed(p: &PackageInfo<'_>, source_path: &str) -> Installed {
    let name = text(&p.name).trim();
    let commit = text(&p.commit).trim();
    if name.is_empty() && !commit.is_empty() {
        let package = Package { name: source_path.trim().to_string(), ..Package::default() };
        return Installed { package, version: commit.to_string(), git: true };
    }
    let package = Package {
        name: name.to_string(),
        ecosystem: ecosystem(text(&p.ecosystem)),
        purl: nonblank(text(&p.purl)),
        source: None,
    };
    Installed { package, version: text(&p.version).trim().to_string(), git: false }
}

/// OSV ecosystems may carry a release (`Debian:11`, `Alpine:v3.16`).
fn ecosystem(word: &str) -> Option<Ecosystem> {
    Ecosystem::from_word(word.split(':').next().unwrap_or(""))
}

fn raw(v: &Vuln<'_>, entry: &PackageEntry<'_>, installed: &Installed, target: &Target) -> Raw {
    let id = v.id.as_str();
    let mut ids: Vec<String> = Vec::new();
    push_id(&mut ids, id);
    for a in &v.aliases {
        push_id(&mut ids, a.as_str());
    }
    // OSV-Scanner's own grouping of records that are one issue.
    let group = entry.groups.iter().find(|g| g.ids.iter().any(|i| i.as_str() == id));
    if let Some(g) = group {
        for i in g.ids.iter().chain(&g.aliases) {
            push_id(&mut ids, i.as_str());
        }
    }

    let cvss: Vec<Cvss> = v
        .severity
        .iter()
        .filter_map(|s| {
            let kind = text(&s.kind);
            if !kind.to_ascii_uppercase().starts_with("CVSS") {
                return None;
            }
            let score = s.score.0.as_deref()?.trim();
            Some(match score.parse::<f64>() {
                Ok(n) => Cvss { source: "osv".into(), vector: String::new(), score: Some(n) },
                Err(_) => Cvss::from_vector("osv", score, None),
            })
        })
        .collect();

    let (severity, severity_given, severity_from) = rate(v, group, &cvss);
    let fixed = fixed_versions(v, installed);

    // References of type ADVISORY first, then the others, in report order.
    let mut urls: Vec<String> = Vec::new();
    for advisory_pass in [true, false] {
        for r in &v.references {
            if text(&r.kind).eq_ignore_ascii_case("ADVISORY") == advisory_pass {
                push_unique(&mut urls, text(&r.url).trim());
            }
        }
    }

    // The summary, else the first sentence of the details' first line that
    // is not a markdown heading (PYSEC records have no summary).
    let title = match first_line(text(&v.summary)) {
        "" => first_sentence(
            text(&v.details)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .unwrap_or(""),
        ),
        t => t.to_string(),
    };

    Raw {
        ids,
        package: installed.package.clone(),
        version: installed.version.clone(),
        fixable: !fixed.is_empty(),
        fixed,
        severity,
        severity_given,
        severity_from,
        cvss,
        target: target.clone(),
        location: None,
        title,
        urls,
    }
}

/// The GHSA word in `database_specific.severity`, else the highest CVSS
/// score of `severity[]` (v3 vectors are scored; v2 and v4 are not), else
/// the group's `max_severity`, else unknown.
fn rate(
    v: &Vuln<'_>,
    group: Option<&Group<'_>>,
    cvss: &[Cvss],
) -> (Severity, String, Option<String>) {
    if let Some(word) =
        v.database_specific.as_ref().and_then(|d| d.severity.0.as_deref()).map(str::trim)
        && Severity::from_word(word) != Severity::Unknown
    {
        return (Severity::from_word(word), word.to_string(), Some("ghsa".into()));
    }
    let best = cvss
        .iter()
        .filter_map(|c| c.score)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    if let Some(score) = best {
        return (Severity::from_score(score), format!("{score:.1}"), Some("cvss".into()));
    }
    if let Some(max) = group.and_then(|g| g.max_severity.0.as_deref()).map(str::trim)
        && let Ok(score) = max.parse::<f64>()
        && Severity::from_score(score) != Severity::Unknown
    {
        return (Severity::from_score(score), max.to_string(), Some("cvss".into()));
    }
    (Severity::Unknown, String::new(), None)
}

/// The `fixed` events of the ranges holding the installed version, from
/// the `affected[]` entries of this package (name compared as
/// [`Package::key`] does, ecosystem case-insensitively). When the simple
/// dotted-numeric comparison cannot place the version, every `fixed` event
/// of those entries is taken. A git source matches the entries without a
/// package and uses `GIT` ranges (commits); other packages skip `GIT`
/// ranges, whose events are commits, not versions.
fn fixed_versions(v: &Vuln<'_>, installed: &Installed) -> Vec<String> {
    let Installed { package, version, git } = installed;
    let git = *git;
    let key = package.key();
    // The fixes of the intervals that hold the version, of those that may
    // (the comparison could not tell), and of all.
    let mut holding: Vec<String> = Vec::new();
    let mut maybe: Vec<String> = Vec::new();
    let mut every: Vec<String> = Vec::new();
    let mut held = false;
    for a in &v.affected {
        let matches = match &a.package {
            None => git,
            Some(p) if git => text(&p.name).trim().is_empty(),
            Some(p) => {
                let theirs = Package {
                    name: text(&p.name).to_string(),
                    ecosystem: ecosystem(text(&p.ecosystem)),
                    ..Package::default()
                };
                let eco_ours = package.ecosystem.as_ref().map(Ecosystem::name);
                let eco_theirs = theirs.ecosystem.as_ref().map(Ecosystem::name);
                theirs.key() == key
                    && eco_ours.unwrap_or("").eq_ignore_ascii_case(eco_theirs.unwrap_or(""))
            }
        };
        if !matches {
            continue;
        }
        for r in &a.ranges {
            let is_git = text(&r.kind).eq_ignore_ascii_case("GIT");
            if is_git != git {
                continue;
            }
            for (lower, upper) in intervals(&r.events) {
                let inside = contains(version, lower, &upper);
                held |= inside == Some(true);
                if let Upper::Fixed(f) = upper {
                    let f = f.trim();
                    push_unique(&mut every, f);
                    match inside {
                        Some(true) => push_unique(&mut holding, f),
                        None => push_unique(&mut maybe, f),
                        Some(false) => {}
                    }
                }
            }
        }
    }
    if held {
        holding
    } else if maybe.is_empty() {
        every
    } else {
        maybe
    }
}

enum Upper<'e> {
    Fixed(&'e str),
    LastAffected(&'e str),
    Open,
}

/// The affected intervals of a range: each `introduced` up to the next
/// `fixed` (exclusive) or `last_affected` (inclusive), or open-ended.
fn intervals<'e>(events: &'e [Event<'_>]) -> Vec<(&'e str, Upper<'e>)> {
    let mut out = Vec::new();
    let mut lower: Option<&str> = None;
    for e in events {
        if let Some(i) = &e.introduced {
            if let Some(l) = lower.take() {
                out.push((l, Upper::Open));
            }
            lower = Some(i.as_str());
        } else if let Some(f) = &e.fixed {
            out.push((lower.take().unwrap_or("0"), Upper::Fixed(f.as_str())));
        } else if let Some(l) = &e.last_affected {
            out.push((lower.take().unwrap_or("0"), Upper::LastAffected(l.as_str())));
        }
    }
    if let Some(l) = lower {
        out.push((l, Upper::Open));
    }
    out
}

/// Whether `version` lies in `[lower, upper)`; `None` when the comparison
/// cannot tell.
fn contains(version: &str, lower: &str, upper: &Upper<'_>) -> Option<bool> {
    let above = if lower.trim() == "0" {
        Some(true)
    } else {
        compare(version, lower).map(|o| o != Ordering::Less)
    };
    let below = match upper {
        Upper::Fixed(f) => compare(version, f).map(|o| o == Ordering::Less),
        Upper::LastAffected(l) => compare(version, l).map(|o| o != Ordering::Greater),
        Upper::Open => Some(true),
    };
    match (above, below) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// A simple dotted-numeric comparison (`1.26.17` < `1.26.18`, `v2` = `2.0`,
/// `3.2.4` < `4.0a1`): parts compare by their leading number; `None` when
/// two differing parts have the same (or no) leading number (`2` vs `2a1`,
/// a Debian or git version).
fn compare(a: &str, b: &str) -> Option<Ordering> {
    let strip = |s: &str| {
        let s = s.trim();
        s.strip_prefix(['v', 'V']).unwrap_or(s).to_string()
    };
    let (a, b) = (strip(a), strip(b));
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut pa = a.split('.');
    let mut pb = b.split('.');
    loop {
        let (x, y) = match (pa.next(), pb.next()) {
            (None, None) => return Some(Ordering::Equal),
            (x, y) => (x.unwrap_or("0"), y.unwrap_or("0")),
        };
        if x == y {
            continue;
        }
        let (nx, rx) = leading_number(x)?;
        let (ny, ry) = leading_number(y)?;
        match nx.cmp(&ny) {
            Ordering::Equal if rx.is_empty() && ry.is_empty() => {}
            Ordering::Equal => return None,
            o => return Some(o),
        }
    }
}

/// `12rc1` → `(12, "rc1")`; `None` without a leading number, or with an
/// epoch (`1:2`, which outranks any number after it).
fn leading_number(part: &str) -> Option<(u64, &str)> {
    if part.contains(':') {
        return None;
    }
    let end = part.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(part.len());
    let n = part[..end].parse::<u64>().ok()?;
    Some((n, &part[end..]))
}

// ---- small helpers ----

/// A free-form value read as text when it is a string or a number, and
/// skipped (`None`) when it is anything else.
#[derive(Debug, Default)]
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
                Loose::deserialize(d)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Up to the first `. ` followed by a capital letter (`3.2.x` and `e.g. to`
/// do not end a sentence).
fn first_sentence(line: &str) -> String {
    let bytes = line.as_bytes();
    let end = (1..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i - 1] == b'.' && bytes[i] == b' ' && bytes[i + 1].is_ascii_uppercase());
    match end {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::compare;
    use crate::model::{Cvss, Ecosystem, Package, Raw, Scanner, Severity, Target};
    use crate::testutil::{parse_all, shared, try_parse_all};
    use std::cmp::Ordering;

    fn findings(text: &str) -> Vec<Raw> {
        let reports = parse_all(text, "osv.json");
        assert!(reports.iter().all(|r| r.scanner == Scanner::Osv && r.version.is_none()));
        reports.into_iter().flat_map(|r| r.findings).collect()
    }

    const LOCKFILE: &str = r#"{"results": [{"source": {"path": "/src/app/requirements.txt", "type": "lockfile"}, "packages": [
      {"package": {"name": "Werkzeug", "version": "2.2.3", "ecosystem": "PyPI"},
       "vulnerabilities": [
         {"id": "GHSA-hrfv-mqp8-q5rw", "aliases": ["CVE-2023-46136"], "summary": "Werkzeug DoS\nsecond line",
          "details": "\n### Impact\nlong", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"}],
          "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-407"]},
          "affected": [
            {"package": {"ecosystem": "PyPI", "name": "werkzeug", "purl": "pkg:pypi/werkzeug"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.0.1"}]}]},
            {"package": {"ecosystem": "pypi", "name": "werkzeug"},
             "ranges": [{"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "f3c803b3ade485a45f12b6d6617595350c0f03e2"}]},
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.3.8"}]}]},
            {"package": {"ecosystem": "npm", "name": "werkzeug"},
             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.9.9"}]}]}],
          "references": [{"type": "WEB", "url": "https://github.com/pallets/werkzeug/commit/f2300208"},
                         {"type": "ADVISORY", "url": "https://github.com/advisories/GHSA-hrfv-mqp8-q5rw"},
                         {"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2023-46136"}]},
         {"id": "PYSEC-2023-221", "aliases": ["CVE-2023-46136"],
          "details": "\n### Summary\nWerkzeug is a WSGI library. If an upload of a file, e.g. a form, starts with CR. More text.",
          "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
          "affected": [{"package": {"ecosystem": "PyPI", "name": "werkzeug"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.3.8"}, {"introduced": "3.0.0"}, {"fixed": "3.0.1"}]}]}]}
       ],
       "groups": [{"ids": ["GHSA-hrfv-mqp8-q5rw", "PYSEC-2023-221"], "aliases": ["CVE-2023-46136", "GHSA-hrfv-mqp8-q5rw", "PYSEC-2023-221"]}]}
    ]}], "experimental_config": {"licenses": {"summary": false}}}"#;

    #[test]
    fn lockfile_records_with_ghsa_word_cvss_groups_and_fixed_range() {
        let f = findings(LOCKFILE);
        assert_eq!(f.len(), 2);
        let package = Package {
            name: "Werkzeug".into(),
            ecosystem: Some(Ecosystem::Pypi),
            purl: None,
            source: None,
        };
        let target = Target::file("/src/app/requirements.txt");
        assert_eq!(
            f[0],
            Raw {
                ids: vec![
                    "GHSA-hrfv-mqp8-q5rw".into(),
                    "CVE-2023-46136".into(),
                    "PYSEC-2023-221".into()
                ],
                package: package.clone(),
                version: "2.2.3".into(),
                fixed: vec!["2.3.8".into()],
                fixable: true,
                severity: Severity::Medium,
                severity_given: "MODERATE".into(),
                severity_from: Some("ghsa".into()),
                cvss: vec![Cvss::from_vector(
                    "osv",
                    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H",
                    None
                )],
                target: target.clone(),
                location: None,
                title: "Werkzeug DoS".into(),
                urls: vec![
                    "https://github.com/advisories/GHSA-hrfv-mqp8-q5rw".into(),
                    "https://nvd.nist.gov/vuln/detail/CVE-2023-46136".into(),
                    "https://github.com/pallets/werkzeug/commit/f2300208".into(),
                ],
            }
        );
        assert_eq!(f[0].cvss[0].score, Some(6.5));
        assert_eq!(
            f[1],
            Raw {
                ids: vec![
                    "PYSEC-2023-221".into(),
                    "CVE-2023-46136".into(),
                    "GHSA-hrfv-mqp8-q5rw".into()
                ],
                package,
                version: "2.2.3".into(),
                fixed: vec!["2.3.8".into()],
                fixable: true,
                severity: Severity::High,
                severity_given: "7.5".into(),
                severity_from: Some("cvss".into()),
                cvss: vec![Cvss::from_vector(
                    "osv",
                    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                    None
                )],
                target,
                location: None,
                title: "Werkzeug is a WSGI library.".into(),
                urls: vec![],
            }
        );
    }

    #[test]
    fn git_source_package_is_named_by_path_and_versioned_by_commit() {
        let f = findings(
            r#"{"results": [{"source": {"path": "/src/rengine/", "type": "git"}, "packages": [
              {"package": {"name": "", "version": "", "ecosystem": "", "commit": "f5f3c22f"},
               "vulnerabilities": [{"id": "CVE-2023-50094", "details": "reNgine allows OS Command Injection.",
                 "affected": [{"ranges": [{"type": "GIT", "repo": "https://github.com/x/rengine",
                   "events": [{"introduced": "0"}, {"fixed": "abc123"}, {"introduced": "def456"}, {"last_affected": "fd5a5e5f"}]}]}],
                 "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}],
               "groups": [{"ids": ["CVE-2023-50094"], "aliases": ["CVE-2023-50094"], "max_severity": "9.3"}]}]}]}"#,
        );
        assert_eq!(
            f,
            vec![Raw {
                ids: vec!["CVE-2023-50094".into()],
                package: Package {
                    name: "/src/rengine/".into(),
                    ecosystem: None,
                    purl: None,
                    source: None
                },
                version: "f5f3c22f".into(),
                fixed: vec!["abc123".into()],
                fixable: true,
                severity: Severity::Critical,
                severity_given: "9.3".into(),
                severity_from: Some("cvss".into()),
                cvss: vec![Cvss {
                    source: "osv".into(),
                    vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
                        .into(),
                    score: None
                }],
                target: Target::file("/src/rengine/"),
                location: None,
                title: "reNgine allows OS Command Injection.".into(),
                urls: vec![],
            }]
        );
        assert_eq!(f[0].target.key, "src/rengine");
    }

    #[test]
    fn no_severity_no_matching_package_and_undecidable_versions() {
        let f = findings(
            r#"{"results": [{"source": {"path": "yarn.lock"}, "packages": [
              {"package": {"name": "flot-axis", "version": "0.0.0", "ecosystem": "npm"},
               "vulnerabilities": [{"id": "MAL-2023-1035", "summary": "Malicious code in flot-axis (npm)", "aliases": ["GHSA-8348-2Q94-FFJX"],
                 "database_specific": {"malicious-packages-origins": [{"source": "ghsa-malware"}]},
                 "affected": [{"package": {"ecosystem": "PyPI", "name": "flot-axis"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}]}],
               "groups": null},
              {"package": {"name": "openssl", "version": "1:1.1.1n-0+deb11u3", "ecosystem": "Debian:11"},
               "vulnerabilities": [{"id": "DSA-5343-1", "summary": "openssl - security update",
                 "database_specific": {"severity": {"nested": true}},
                 "affected": [{"package": {"ecosystem": "Debian:11", "name": "openssl"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1n-0+deb11u4"}, {"introduced": "2:0"}, {"fixed": "2:1.0"}]}]}]}]},
              {"package": {"name": "left-pad", "version": "1.0.0", "ecosystem": "npm"}, "vulnerabilities": null}
            ]}, {"source": {"path": "empty.lock"}, "packages": null}]}"#,
        );
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0],
            Raw {
                ids: vec!["MAL-2023-1035".into(), "GHSA-8348-2q94-ffjx".into()],
                package: Package {
                    name: "flot-axis".into(),
                    ecosystem: Some(Ecosystem::Npm),
                    purl: None,
                    source: None
                },
                version: "0.0.0".into(),
                fixed: vec![],
                fixable: false,
                severity: Severity::Unknown,
                severity_given: String::new(),
                severity_from: None,
                cvss: vec![],
                target: Target::file("yarn.lock"),
                location: None,
                title: "Malicious code in flot-axis (npm)".into(),
                urls: vec![],
            }
        );
        // A Debian version the dotted comparison cannot place: every fix.
        assert_eq!(f[1].package.ecosystem, Some(Ecosystem::Deb));
        assert_eq!(f[1].fixed, ["1.1.1n-0+deb11u4", "2:1.0"]);
        assert_eq!(f[1].severity, Severity::Unknown);
    }

    #[test]
    fn dotted_comparison_decides_only_what_it_can() {
        assert_eq!(compare("1.26.17", "1.26.18"), Some(Ordering::Less));
        assert_eq!(compare("v2", "2.0.0"), Some(Ordering::Equal));
        assert_eq!(compare("3.2.4", "4.0a1"), Some(Ordering::Less));
        assert_eq!(compare("10.0", "9.9"), Some(Ordering::Greater));
        assert_eq!(compare("3.2.4", "3.2a1"), None);
        assert_eq!(compare("1:2.3", "2.4"), None, "an epoch is not a number");
        assert_eq!(compare("2+deb11u1", "3"), Some(Ordering::Less));
        assert_eq!(compare("", "1"), None);
    }

    #[test]
    fn empty_results() {
        assert_eq!(parse_all(r#"{"results": []}"#, "o.json")[0].findings, vec![]);
        // `"results": null` (detection does not take it for OSV; `--from osv` does).
        let docs = crate::input::split(r#"{"results": null}"#, "o.json").unwrap_or_default();
        let reports = docs.first().map(super::parse).and_then(Result::ok).unwrap_or_default();
        assert_eq!(reports.len(), 1);
        assert!(reports[0].findings.is_empty());
    }

    #[test]
    fn bad_input_names_the_field() {
        let missing = "{\"results\": [{\"source\": {\"path\": \"a\"}, \"packages\": [\n {\"package\": {}, \"vulnerabilities\": [{\"aliases\": []}]}]}]}";
        assert_eq!(
            try_parse_all(missing, "o.json").unwrap_err(),
            "o.json:2:52: results[0].packages[0].vulnerabilities[0]: missing field `id`"
        );
        let wrong = "{\"results\": [{\"source\": {\"path\": 7}}]}";
        assert_eq!(
            try_parse_all(wrong, "o.json").unwrap_err(),
            "o.json:1:34: results[0].source.path: invalid type: integer `7`, expected a string"
        );
    }

    #[test]
    fn corpus_many_findings() {
        let Some(text) = shared("osv/dd-many-findings.json") else { return };
        let f: Vec<Raw> = parse_all(&text, "many").into_iter().flat_map(|r| r.findings).collect();
        assert_eq!(f.len(), 66);
        let git: Vec<&Raw> = f.iter().filter(|r| r.package.ecosystem.is_none()).collect();
        assert_eq!(git.len(), 1);
        assert_eq!(git[0].ids, ["CVE-2023-50094"]);
        assert_eq!(git[0].version, "f5f3c22f3ed5a6804a2a8d9ee9fa43044cfa24a6");
        assert_eq!(git[0].severity, Severity::High);
        // Every ecosystem package found its fixed version in its affected ranges.
        assert!(
            f.iter()
                .filter(|r| r.package.ecosystem.is_some())
                .all(|r| r.fixed.len() == 1 && r.fixable)
        );
        let django = f.iter().find(|r| r.ids[0] == "GHSA-q2jf-h9jm-m7p4").map(|r| r.fixed.clone());
        assert_eq!(django, Some(vec!["3.2.17".to_string()]));
        assert!(f.iter().all(|r| !r.title.is_empty()));
    }

    #[test]
    fn corpus_yarn_malicious_package() {
        let Some(text) = shared("osv/dd-yarn-one-finding.json") else { return };
        let f: Vec<Raw> = parse_all(&text, "yarn").into_iter().flat_map(|r| r.findings).collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].ids, ["MAL-2023-1035", "GHSA-8348-2q94-ffjx"]);
        assert_eq!(f[0].severity, Severity::Unknown);
        assert_eq!(f[0].package.name, "flot-axis");
    }
}
