//! Merging: records from every report that are the same vulnerability in the
//! same package of the same target become one [`Finding`].
//!
//! Identity = (normalised target, package key, alias group). The alias group
//! is found by union-find over every id and alias of the records that share
//! a target and package (as OSV-Scanner's grouper does), so a Trivy `CVE-X`
//! with vendor id `GHSA-Y` and a Grype `GHSA-Y` with related `CVE-X` are one
//! finding. Titles, descriptions and versions are never part of identity.
//!
//! Every choice among the records (the display id, the package's spelling,
//! the title) is a minimum under a fixed order, so the result does not
//! depend on the order of inputs or records.

use crate::model::{
    Cvss, Ecosystem, Raw, Report, Scanner, Severity, TargetKind, id_order, normalize_owned_id,
    purl_without_version,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::mem::take;

/// One merged finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The display id: a CVE when there is one, else a GHSA, else an
    /// ecosystem id, else the scanner's own id.
    pub id: String,
    /// Every other id of the alias group, CVEs first.
    pub aliases: Vec<String>,
    /// The package.
    pub package: PackageOut,
    /// The installed versions (usually one).
    pub installed: Vec<String>,
    /// The fixed versions any source named.
    pub fixed: Vec<String>,
    /// Whether any source says a fix exists.
    pub fixable: bool,
    /// The severity chosen by the policy (`--severity`).
    pub severity: Severity,
    /// Every source's rating, as given.
    pub severities: Vec<Rating>,
    /// Every CVSS rating any source gave.
    pub cvss: Vec<Cvss>,
    /// What was scanned.
    pub target: TargetOut,
    /// Where inside the target (files in the image, lockfiles, dependency
    /// paths, workloads).
    pub locations: Vec<String>,
    /// A one-line title.
    pub title: String,
    /// Advisory URLs.
    pub urls: Vec<String>,
    /// The scanners that reported it (its consensus is their number).
    pub sources: Vec<Scanner>,
    /// How many raw records were merged into it.
    pub records: usize,
    /// A stable hash of (display id, package, target) — independent of the
    /// image tag or digest, versions and titles.
    pub fingerprint: String,
    /// With `--baseline`: whether it is new or was there before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
}

/// A package in the merged output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageOut {
    /// The name as a scanner wrote it.
    pub name: String,
    /// The name as compared (see [`crate::model::Package::key`]).
    #[serde(skip)]
    pub key: String,
    /// The ecosystem, when a source said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// The package URL without version, when a source gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The source package of an OS package, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A target in the merged output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetOut {
    /// The identity: an image without registry, tag and digest, or a path.
    pub name: String,
    /// Image or file.
    pub kind: TargetKind,
    /// Every name the reports gave it (`redis:latest`, `redis (debian 11.6)`).
    pub given: Vec<String>,
}

/// One source's rating of a finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rating {
    /// The scanner.
    pub source: Scanner,
    /// Normalised.
    pub severity: Severity,
    /// As written.
    pub given: String,
    /// Who rated, when the scanner says (`debian`, `nvd`, `ghsa`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// With `--baseline`: a finding's state against the previous report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineStatus {
    /// Not in the baseline.
    New,
    /// In the baseline too.
    Unchanged,
}

/// How the one severity of a finding is chosen from its sources' ratings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The highest rating (the default).
    Max,
    /// The package vendor's rating where there is one (the distribution's
    /// for OS packages, as Trivy prefers), else the highest.
    Vendor,
    /// The first of these scanners that rated it, else the highest.
    SourceOrder(Vec<Scanner>),
}

impl Policy {
    /// Parses `max`, `vendor` or `source-order:trivy,grype,snyk`.
    pub fn parse(s: &str) -> Result<Policy, String> {
        match s.trim() {
            "max" => Ok(Policy::Max),
            "vendor" => Ok(Policy::Vendor),
            other => {
                let Some(list) = other.strip_prefix("source-order:") else {
                    return Err(format!(
                        "`{other}`: expected max, vendor or source-order:SCANNER,… (e.g. source-order:trivy,grype,snyk)"
                    ));
                };
                let scanners: Vec<Scanner> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Scanner::from_driver)
                    .collect();
                if scanners.is_empty() {
                    return Err(
                        "source-order: name at least one scanner (e.g. source-order:trivy,grype)"
                            .into(),
                    );
                }
                Ok(Policy::SourceOrder(scanners))
            }
        }
    }

    /// The chosen severity. Unknown ratings count only when nothing rated.
    pub fn choose(&self, ratings: &[Rating], ecosystem: Option<&Ecosystem>) -> Severity {
        let known = || ratings.iter().filter(|r| r.severity != Severity::Unknown);
        let max = known().map(|r| r.severity).max().unwrap_or(Severity::Unknown);
        match self {
            Policy::Max => max,
            Policy::Vendor => known()
                .filter(|r| is_vendor_rating(r, ecosystem))
                .map(|r| r.severity)
                .max()
                .unwrap_or(max),
            Policy::SourceOrder(order) => order
                .iter()
                .find_map(|s| known().filter(|r| &r.source == s).map(|r| r.severity).max())
                .unwrap_or(max),
        }
    }
}

const DISTROS: [&str; 16] = [
    "debian",
    "ubuntu",
    "redhat",
    "alpine",
    "amazon",
    "oracle",
    "suse",
    "photon",
    "rocky",
    "alma",
    "centos",
    "fedora",
    "wolfi",
    "chainguard",
    "mariner",
    "azure",
];

/// A rating made by the package's vendor: a distribution (Trivy's
/// `SeveritySource: debian`, Grype's `debian:distro:debian:11` namespace), or
/// Snyk's own rating of an OS package (which follows the distribution).
fn is_vendor_rating(r: &Rating, ecosystem: Option<&Ecosystem>) -> bool {
    let os = matches!(ecosystem, Some(Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk));
    match r.from.as_deref() {
        Some(from) => {
            let f = from.to_ascii_lowercase();
            f.contains(":distro:") || DISTROS.iter().any(|d| f.starts_with(d))
        }
        None => os && r.source == Scanner::Snyk,
    }
}

impl Finding {
    /// Each scanner's highest rating when they differ by at least one level
    /// (unknown ratings aside), highest first; `None` when they agree.
    pub fn disagreement(&self) -> Option<Vec<(Scanner, Severity)>> {
        let mut by_source: BTreeMap<&Scanner, Severity> = BTreeMap::new();
        for r in self.severities.iter().filter(|r| r.severity != Severity::Unknown) {
            let e = by_source.entry(&r.source).or_insert(r.severity);
            *e = (*e).max(r.severity);
        }
        let lo = by_source.values().min()?;
        let hi = by_source.values().max()?;
        if lo == hi {
            return None;
        }
        let mut v: Vec<(Scanner, Severity)> =
            by_source.into_iter().map(|(s, v)| (s.clone(), v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(v)
    }

    /// Every id of the finding: the display id and its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// The output order: severity (highest first), then id, package and
    /// target. A total order on the findings of one merge: two of them never
    /// share id, package and target (they would be one finding).
    pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
        b.severity
            .cmp(&a.severity)
            .then_with(|| id_order(&a.id, &b.id))
            .then_with(|| a.package.key.cmp(&b.package.key))
            .then_with(|| a.target.name.cmp(&b.target.name))
            .then_with(|| a.target.kind.cmp(&b.target.kind))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    }
}

/// Merges the findings of every report. The records' texts are moved into
/// the findings, not copied: a large report's findings are then held once
/// (and freed once).
pub fn merge(mut reports: Vec<Report>, policy: &Policy) -> Vec<Finding> {
    for id in reports.iter_mut().flat_map(|r| &mut r.findings).flat_map(|raw| &mut raw.ids) {
        *id = normalize_owned_id(take(id));
    }
    // Which records are one finding: grouped by (target, package), then
    // union-find over ids inside each group, on every core.
    let components: Vec<(String, Vec<usize>)> = {
        let raws: Vec<&Raw> = reports.iter().flat_map(|r| &r.findings).collect();
        let mut groups: foldhash::HashMap<(TargetKind, &str, String), Vec<usize>> =
            foldhash::HashMap::default();
        for (i, raw) in raws.iter().enumerate() {
            groups
                .entry((raw.target.kind, raw.target.key.as_str(), raw.package.key()))
                .or_default()
                .push(i);
        }
        let groups: Vec<(String, Vec<usize>)> =
            groups.into_iter().map(|((_, _, package), members)| (package, members)).collect();
        let split = vz::par::map(&groups, 2, |(_, members)| {
            let mut uf = UnionFind::new(members.len());
            let mut seen: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
            for (slot, &i) in members.iter().enumerate() {
                for id in &raws[i].ids {
                    match seen.entry(id.as_str()) {
                        std::collections::hash_map::Entry::Occupied(o) => uf.union(slot, *o.get()),
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(slot);
                        }
                    }
                }
            }
            let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (slot, &i) in members.iter().enumerate() {
                components.entry(uf.find(slot)).or_default().push(i);
            }
            components.into_values().collect::<Vec<_>>()
        });
        groups
            .into_iter()
            .zip(split)
            .flat_map(|((package, _), parts)| parts.into_iter().map(move |p| (package.clone(), p)))
            .collect()
    };
    // Each component gets its records to take the texts from (the records
    // stay where they are: moving them would copy each one, 376 bytes).
    let mut slots: Vec<Option<(&Scanner, &mut Raw)>> =
        Vec::with_capacity(reports.iter().map(|r| r.findings.len()).sum());
    for r in &mut reports {
        let scanner = &r.scanner;
        slots.extend(r.findings.iter_mut().map(|raw| Some((scanner, raw))));
    }
    let owned: Vec<(String, Vec<(&Scanner, &mut Raw)>)> = components
        .into_iter()
        .map(|(package, members)| {
            (package, members.into_iter().filter_map(|i| slots[i].take()).collect())
        })
        .collect();
    let mut findings =
        vz::par::map_owned(owned, 2, |(package, records)| build(package, records, policy));
    // Unstable: the order is total, and this sort needs no scratch space (a
    // stable one takes half the list again: 12 MB for 54,000 findings).
    findings.sort_unstable_by(Finding::order);
    findings
}

/// The order in which sources are preferred for display choices (package
/// spelling, title): the scanners that read package metadata most directly
/// first.
fn rank(s: &Scanner) -> (u8, &str) {
    let r = match s {
        Scanner::Trivy => 0,
        Scanner::Grype => 1,
        Scanner::Snyk => 2,
        Scanner::Osv => 3,
        Scanner::Npm => 4,
        Scanner::Other(_) => 5,
    };
    (r, s.name())
}

/// The record whose text `f` gives is preferred: the most preferred
/// source's, then the smallest text; `None` when every text is empty.
fn preferred(records: &[(&Scanner, &mut Raw)], f: impl Fn(&Raw) -> Option<&str>) -> Option<usize> {
    records
        .iter()
        .enumerate()
        .filter_map(|(i, (s, r))| f(r).filter(|v| !v.is_empty()).map(|v| (rank(s), v, i)))
        .min()
        .map(|(_, _, i)| i)
}

/// One finding from the records of one component (at least one), their
/// texts taken into it. `package` is their package key.
fn build(package: String, mut records: Vec<(&Scanner, &mut Raw)>, policy: &Policy) -> Finding {
    let count = records.len();
    let fixable = records.iter().any(|(_, r)| r.fixable || !r.fixed.is_empty());
    let sources: BTreeSet<&Scanner> = records.iter().map(|(s, _)| *s).collect();
    let sources: Vec<Scanner> = sources.into_iter().cloned().collect();

    let mut ids: Vec<String> = records.iter_mut().flat_map(|(_, r)| take(&mut r.ids)).collect();
    ids.sort_by(|a, b| id_order(a, b));
    ids.dedup();
    let mut ids = ids.into_iter();
    let id = ids.next().unwrap_or_default();
    let aliases: Vec<String> = ids.collect();

    // Display choices: the most preferred source, then the smallest text.
    let name = preferred(&records, |r| Some(r.package.name.as_str()))
        .map(|i| take(&mut records[i].1.package.name))
        .unwrap_or_default();
    let ecosystem = records
        .iter()
        .filter_map(|(s, r)| r.package.ecosystem.as_ref().map(|e| (rank(s), e)))
        .min()
        .map(|(_, e)| e.clone());
    let purl = preferred(&records, |r| r.package.purl.as_deref().map(purl_without_version))
        .and_then(|i| records[i].1.package.purl.take())
        .map(|mut p| {
            p.truncate(purl_without_version(&p).len());
            p
        });
    let source = preferred(&records, |r| r.package.source.as_deref())
        .and_then(|i| records[i].1.package.source.take())
        .filter(|s| *s != name);
    let title = preferred(&records, |r| Some(r.title.as_str()))
        .map(|i| take(&mut records[i].1.title))
        .unwrap_or_default();
    let package = PackageOut { name, key: package, ecosystem, purl, source };

    let installed = distinct(records.iter_mut().map(|(_, r)| take(&mut r.version)));
    let fixed = distinct(records.iter_mut().flat_map(|(_, r)| take(&mut r.fixed)));
    // Paths inside an image are written with and without the leading `/`
    // (Grype, Trivy): one spelling.
    let locations =
        distinct(records.iter_mut().filter_map(|(_, r)| r.location.take()).map(|mut l| {
            if !l.contains(" > ") {
                let kept = l.trim_start_matches("./").trim_start_matches('/').len();
                l.drain(..l.len() - kept);
            }
            l
        }));
    let urls = distinct(records.iter_mut().flat_map(|(_, r)| take(&mut r.urls)));
    let given = distinct(records.iter_mut().map(|(_, r)| take(&mut r.target.given)));

    let mut severities: Vec<Rating> = records
        .iter_mut()
        .map(|(s, r)| Rating {
            source: (*s).clone(),
            severity: r.severity,
            given: take(&mut r.severity_given),
            from: r.severity_from.take(),
        })
        .collect();
    severities.sort();
    severities.dedup();
    let severity = policy.choose(&severities, package.ecosystem.as_ref());

    let mut cvss: Vec<Cvss> = Vec::new();
    for c in records.iter_mut().flat_map(|(_, r)| take(&mut r.cvss)) {
        if !cvss.contains(&c) {
            cvss.push(c);
        }
    }
    cvss.sort_by(|a, b| {
        (&a.source, &a.vector)
            .cmp(&(&b.source, &b.vector))
            .then_with(|| a.score.partial_cmp(&b.score).unwrap_or(std::cmp::Ordering::Equal))
    });

    let first = &mut records[0].1.target;
    let fingerprint = fingerprint(&id, &package.key, &first.key);
    Finding {
        id,
        aliases,
        package,
        installed,
        fixed,
        fixable,
        severity,
        severities,
        cvss,
        target: TargetOut { name: take(&mut first.key), kind: first.kind, given },
        locations,
        title,
        urls,
        sources,
        records: count,
        fingerprint,
        baseline: None,
    }
}

/// The distinct non-empty texts, sorted.
fn distinct(texts: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = texts.filter(|t| !t.is_empty()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The stable fingerprint of a finding: SHA-256 of the display id, the
/// package key and the target key, as 32 hex digits.
pub fn fingerprint(id: &str, package: &str, target: &str) -> String {
    let mut h = Sha256::new();
    for part in [id, package, target] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Disjoint sets over `0..n` with path halving and union by size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a] >= self.size[b] { (a, b) } else { (b, a) };
        self.parent[small] = big;
        self.size[big] += self.size[small];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Package, Target};
    use proptest::prelude::*;

    fn raw(ids: &[&str], name: &str, eco: &str, version: &str, target: Target, sev: &str) -> Raw {
        Raw {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            package: Package {
                name: name.into(),
                ecosystem: Ecosystem::from_word(eco),
                ..Package::default()
            },
            version: version.into(),
            fixed: Vec::new(),
            fixable: false,
            severity: Severity::from_word(sev),
            severity_given: sev.into(),
            severity_from: None,
            cvss: Vec::new(),
            target,
            location: None,
            title: String::new(),
            urls: Vec::new(),
        }
    }

    fn report(scanner: Scanner, findings: Vec<Raw>) -> Report {
        Report { scanner, version: None, findings }
    }

    #[test]
    fn aliases_across_scanners_and_image_tags_are_one_finding() {
        let trivy = raw(
            &["CVE-2022-1", "GHSA-aaaa-bbbb-cccc"],
            "django",
            "pip",
            "3.2",
            Target::image("app:1.0"),
            "HIGH",
        );
        let grype = raw(
            &["GHSA-AAAA-BBBB-CCCC", "CVE-2022-1"],
            "Django",
            "python",
            "3.2",
            Target::image("reg.io/app@sha256:ab"),
            "Critical",
        );
        let got = merge(
            vec![report(Scanner::Trivy, vec![trivy]), report(Scanner::Grype, vec![grype])],
            &Policy::Max,
        );
        assert_eq!(got.len(), 1, "{got:#?}");
        let f = &got[0];
        assert_eq!(f.id, "CVE-2022-1");
        assert_eq!(f.aliases, ["GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(f.package.name, "django"); // Trivy's spelling is preferred
        assert_eq!(f.target.name, "app");
        assert_eq!(f.target.given, ["app:1.0", "reg.io/app@sha256:ab"]);
        assert_eq!(f.sources, [Scanner::Trivy, Scanner::Grype]);
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.records, 2);
        assert_eq!(
            f.disagreement(),
            Some(vec![(Scanner::Grype, Severity::Critical), (Scanner::Trivy, Severity::High)])
        );
    }

    #[test]
    fn a_chain_of_aliases_joins_through_the_middle_record() {
        let t = Target::file("requirements.txt");
        let a = raw(&["PYSEC-2021-1"], "flask", "pip", "1", t.clone(), "low");
        let b =
            raw(&["GHSA-aaaa-bbbb-cccc", "PYSEC-2021-1"], "Flask", "pip", "1", t.clone(), "low");
        let c = raw(&["CVE-2021-5", "GHSA-aaaa-bbbb-cccc"], "FLASK", "pip", "1", t, "low");
        let got = merge(
            vec![report(Scanner::Osv, vec![a]), report(Scanner::Snyk, vec![c, b])],
            &Policy::Max,
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "CVE-2021-5");
        assert_eq!(got[0].aliases, ["GHSA-aaaa-bbbb-cccc", "PYSEC-2021-1"]);
    }

    #[test]
    fn package_target_and_unrelated_ids_keep_findings_apart() {
        let img = Target::image("app:1");
        let got = merge(
            vec![report(
                Scanner::Trivy,
                vec![
                    raw(&["CVE-2023-1"], "libc6", "debian", "2.31", img.clone(), "LOW"),
                    raw(&["CVE-2023-1"], "libc-bin", "debian", "2.31", img.clone(), "LOW"),
                    raw(
                        &["CVE-2023-1"],
                        "libc6",
                        "debian",
                        "2.31",
                        Target::image("other:1"),
                        "LOW",
                    ),
                    raw(&["CVE-2023-2"], "libc6", "debian", "2.31", img, "LOW"),
                ],
            )],
            &Policy::Max,
        );
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn per_path_repeats_merge_and_keep_their_paths() {
        let t = Target::file("package-lock.json");
        let mut a = raw(
            &["SNYK-JS-POSTCSS-1", "CVE-2021-23368"],
            "postcss",
            "npm",
            "7.0.0",
            t.clone(),
            "medium",
        );
        a.location = Some("a > postcss".into());
        let mut b = a.clone();
        b.location = Some("b > c > postcss".into());
        let got = merge(vec![report(Scanner::Snyk, vec![a.clone(), b, a])], &Policy::Max);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].locations, ["a > postcss", "b > c > postcss"]);
        assert_eq!(got[0].records, 3);
        assert_eq!(got[0].id, "CVE-2021-23368");
        assert_eq!(got[0].sources, [Scanner::Snyk]);
    }

    #[test]
    fn severity_policies() {
        let img = Target::image("app");
        let mut t = raw(&["CVE-1"], "openssl", "debian", "1", img.clone(), "LOW");
        t.severity_from = Some("debian".into());
        let mut g = raw(&["CVE-1"], "openssl", "deb", "1", img.clone(), "High");
        g.severity_from = Some("nvd:cpe".into());
        let s = raw(&["CVE-1"], "openssl", "deb", "1", img, "medium");
        let reports = [
            report(Scanner::Trivy, vec![t]),
            report(Scanner::Grype, vec![g]),
            report(Scanner::Snyk, vec![s]),
        ];
        let sev = |p: &str| merge(reports.to_vec(), &Policy::parse(p).expect("policy"))[0].severity;
        assert_eq!(sev("max"), Severity::High);
        // Debian's rating (Trivy) and Snyk's distro rating are vendor ratings.
        assert_eq!(sev("vendor"), Severity::Medium);
        assert_eq!(sev("source-order:trivy,grype"), Severity::Low);
        assert_eq!(sev("source-order:osv,grype"), Severity::High);
        assert_eq!(sev("source-order:osv"), Severity::High); // nobody listed rated it: max
        assert!(Policy::parse("loudest").is_err());
        assert!(Policy::parse("source-order:").is_err());
    }

    #[test]
    fn unknown_ratings_count_only_when_nothing_else_rated() {
        let img = Target::image("app");
        let a = raw(&["CVE-1"], "x", "", "1", img.clone(), "UNKNOWN");
        let b = raw(&["CVE-1"], "x", "", "1", img, "low");
        let got = merge(
            vec![report(Scanner::Trivy, vec![a.clone()]), report(Scanner::Grype, vec![b])],
            &Policy::Max,
        );
        assert_eq!(got[0].severity, Severity::Low);
        assert_eq!(got[0].disagreement(), None);
        let alone = merge(vec![report(Scanner::Trivy, vec![a])], &Policy::Max);
        assert_eq!(alone[0].severity, Severity::Unknown);
    }

    #[test]
    fn an_image_and_a_file_of_the_same_name_are_two_findings_in_a_fixed_order() {
        // Same id, package and target key: only the kind of target differs
        // (and the fingerprint, which does not hash it, does not).
        let image = raw(&["CVE-1"], "x", "npm", "1", Target::image("app"), "high");
        let file = raw(&["CVE-1"], "x", "npm", "1", Target::file("app"), "high");
        let one = merge(
            vec![
                report(Scanner::Trivy, vec![image.clone()]),
                report(Scanner::Grype, vec![file.clone()]),
            ],
            &Policy::Max,
        );
        let other = merge(
            vec![report(Scanner::Grype, vec![file]), report(Scanner::Trivy, vec![image])],
            &Policy::Max,
        );
        assert_eq!(one.len(), 2);
        assert_eq!(one[0].fingerprint, one[1].fingerprint);
        assert_eq!([one[0].target.kind, one[1].target.kind], [TargetKind::Image, TargetKind::File]);
        assert_eq!(one, other);
    }

    #[test]
    fn fingerprints_ignore_tags_versions_and_titles() {
        let mut a = raw(&["CVE-1"], "x", "npm", "1.0", Target::image("r.io/app:1"), "low");
        a.title = "one".into();
        let mut b = raw(&["CVE-1"], "x", "npm", "2.0", Target::image("app:2@sha256:ff"), "high");
        b.title = "two".into();
        let fa = &merge(vec![report(Scanner::Trivy, vec![a])], &Policy::Max)[0];
        let fb = &merge(vec![report(Scanner::Grype, vec![b])], &Policy::Max)[0];
        assert_eq!(fa.fingerprint, fb.fingerprint);
        assert_eq!(fa.fingerprint.len(), 32);
    }

    // Property tests: merging does not depend on the order of reports or of
    // records, and reading the same reports twice changes nothing but the
    // record counts.
    fn arb_raw() -> impl Strategy<Value = (usize, Raw)> {
        let ids = prop::sample::subsequence(
            vec![
                "CVE-2020-1",
                "CVE-2020-2",
                "GHSA-aaaa-bbbb-cccc",
                "GHSA-dddd-ffff-gggg",
                "PYSEC-1",
                "SNYK-1",
            ],
            1..3,
        );
        (
            0usize..3,
            ids,
            prop::sample::select(vec!["flask", "Flask", "requests", "libc6"]),
            prop::sample::select(vec!["1.0", "2.0"]),
            prop::sample::select(vec!["app:1", "app:2", "db:1", "requirements.txt"]),
            prop::sample::select(vec!["low", "HIGH", "Critical", "moderate", "unknown"]),
        )
            .prop_map(|(scanner, ids, name, version, target, sev)| {
                let target = if target.ends_with(".txt") {
                    Target::file(target)
                } else {
                    Target::image(target)
                };
                (scanner, raw(&ids, name, "pip", version, target, sev))
            })
    }

    fn reports_of(records: &[(usize, Raw)]) -> Vec<Report> {
        let scanners = [Scanner::Trivy, Scanner::Grype, Scanner::Snyk];
        scanners
            .iter()
            .enumerate()
            .map(|(i, s)| {
                report(
                    s.clone(),
                    records.iter().filter(|(k, _)| *k == i).map(|(_, r)| r.clone()).collect(),
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn merge_is_independent_of_order(records in prop::collection::vec(arb_raw(), 0..24), seed in any::<u64>()) {
            let policy = Policy::Max;
            let a = merge(reports_of(&records), &policy);
            let mut shuffled = records.clone();
            // A deterministic shuffle from the seed.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut reports = reports_of(&shuffled);
            reports.reverse();
            let b = merge(reports.clone(), &policy);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn merging_the_same_reports_twice_changes_nothing(records in prop::collection::vec(arb_raw(), 0..24)) {
            let once = merge(reports_of(&records), &Policy::Max);
            let mut twice_reports = reports_of(&records);
            twice_reports.extend(reports_of(&records));
            let twice: Vec<Finding> = merge(twice_reports, &Policy::Max)
                .into_iter()
                .map(|mut f| { f.records /= 2; f })
                .collect();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn every_record_lands_in_exactly_one_finding(records in prop::collection::vec(arb_raw(), 0..24)) {
            let merged = merge(reports_of(&records), &Policy::Max);
            prop_assert_eq!(merged.iter().map(|f| f.records).sum::<usize>(), records.len());
            // No two findings share an id within one package of one target.
            for (i, a) in merged.iter().enumerate() {
                for b in &merged[i + 1..] {
                    if a.package.key == b.package.key && a.target.name == b.target.name {
                        prop_assert!(a.ids().all(|x| b.ids().all(|y| x != y)), "{a:?} {b:?}");
                    }
                }
            }
        }
    }
}
