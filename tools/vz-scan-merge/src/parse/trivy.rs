//! Trivy JSON (FORMATS.md §2): the schema v2 object, the old list form (a
//! top-level array of results, before schema v2) and `trivy k8s` reports
//! (`ClusterName` with workloads in `Vulnerabilities[]` in the older shape,
//! `Resources[]` in the newer, `Findings[]` in the consolidated one).
//!
//! Only `Results[].Vulnerabilities` are findings. `Misconfigurations`,
//! `Secrets`, `Licenses` and `Packages` are other classes of issue (or
//! inventory) and are skipped on purpose: their keys are never named below,
//! so serde skips them without building anything. The top-level
//! `Misconfigurations[]` of a k8s report is skipped the same way.
//!
//! Targets: a container image is one target even though Trivy splits it
//! into several results (OS packages, each language file); the result's
//! `Target` (or the package's `PkgPath`) becomes the location inside it.
//! Filesystem and repository scans give one file target per result. In the
//! old list form and in k8s workloads an OS result's target reads
//! `name (distro version)`: the suffix is stripped and the name is an image.

use super::util::{
    Pairs, Str, first_line, first_nonblank, nonblank, os_target, push_id, push_unique, split_list,
    text,
};
use crate::input::Doc;
use crate::model::{
    Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target, file_key, normalize_id,
};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;
use vz::Error;

/// Parses one Trivy document (any of the three shapes) into one report.
pub fn parse(doc: &Doc<'_>) -> Result<Vec<Report>, Error> {
    let first = doc.text.trim_start().as_bytes().first().copied();
    // At most one record per `"VulnerabilityID"` key (memchr: ~15 ms for
    // 132 MB); room for more than there are costs address space, not memory.
    let room = memchr::memmem::find_iter(doc.text.as_bytes(), b"\"VulnerabilityID\"").count();
    let mut out = Vec::new();
    let version = match first {
        // Old Trivy prints `null` when there was nothing to scan.
        Some(b'n') => None,
        Some(b'[') => {
            let results = doc.typed_seed(ResultsSeed { room })?;
            list_form(results, &mut out);
            None
        }
        _ => {
            let report = doc.typed_seed(ReportSeed { room })?;
            let version = report
                .trivy
                .as_ref()
                .map(|t| text(&t.version).trim().to_string())
                .filter(|v| !v.is_empty());
            if report.is_k8s() {
                for w in [report.vulnerabilities, report.resources, report.findings]
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    workload(w, &mut out);
                }
            } else {
                schema_v2(report, &mut out);
            }
            version
        }
    };
    Ok(vec![Report { scanner: Scanner::Trivy, version, findings: out }])
}

// ---------------------------------------------------------------------------
// The document, naming only the fields used.

/// The report object: schema v2, or a `trivy k8s` report (read by
/// [`ReportSeed`]; other keys are skipped).
#[derive(Default)]
struct TReport<'a> {
    artifact_name: Option<Str<'a>>,
    artifact_type: Option<Str<'a>>,
    metadata: Option<Metadata<'a>>,
    results: Option<Results<'a>>,
    trivy: Option<Tool<'a>>,
    cluster_name: Option<Str<'a>>,
    /// k8s, older shape: the workloads with vulnerabilities.
    vulnerabilities: Option<Vec<Workload<'a>>>,
    /// k8s, newer shape.
    resources: Option<Vec<Workload<'a>>>,
    /// k8s, consolidated report.
    findings: Option<Vec<Workload<'a>>>,
}

/// Reads a [`TReport`], its `Results` with room made beforehand for `room`
/// records.
#[derive(Clone, Copy)]
struct ReportSeed {
    room: usize,
}

impl<'de> DeserializeSeed<'de> for ReportSeed {
    type Value = TReport<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed {
    type Value = TReport<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Trivy report (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut r = TReport::default();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "ArtifactName" => once(&mut r.artifact_name, map.next_value()?, "ArtifactName")?,
                "ArtifactType" => once(&mut r.artifact_type, map.next_value()?, "ArtifactType")?,
                "Metadata" => once(&mut r.metadata, map.next_value()?, "Metadata")?,
                "Results" => {
                    let results = map.next_value_seed(OrNull(ResultsSeed { room: self.room }))?;
                    once(&mut r.results, results, "Results")?;
                }
                "Trivy" => once(&mut r.trivy, map.next_value()?, "Trivy")?,
                "ClusterName" => once(&mut r.cluster_name, map.next_value()?, "ClusterName")?,
                "Vulnerabilities" => {
                    once(&mut r.vulnerabilities, map.next_value()?, "Vulnerabilities")?;
                }
                "Resources" => once(&mut r.resources, map.next_value()?, "Resources")?,
                "Findings" => once(&mut r.findings, map.next_value()?, "Findings")?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(r)
    }
}

/// Sets a field read once; a second occurrence of its key is an error (as
/// a derived `Deserialize` says).
fn once<T, E: de::Error>(
    slot: &mut Option<T>,
    value: Option<T>,
    key: &'static str,
) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(key));
    }
    *slot = value;
    Ok(())
}

/// A value the seed reads, or `null` (`None`).
#[derive(Clone, Copy)]
struct OrNull<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OrNull<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OrNull<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

impl TReport<'_> {
    fn is_k8s(&self) -> bool {
        self.cluster_name.is_some()
            || self.resources.is_some()
            || self.findings.is_some()
            || (self.vulnerabilities.is_some() && self.results.is_none())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tool<'a> {
    #[serde(borrow)]
    version: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Metadata<'a> {
    #[serde(borrow, rename = "OS")]
    os: Option<Os<'a>>,
    #[serde(borrow, rename = "ImageID")]
    image_id: Option<Str<'a>>,
    #[serde(borrow)]
    repo_tags: Option<Vec<Str<'a>>>,
}

impl Metadata<'_> {
    fn family(&self) -> &str {
        self.os.as_ref().map_or("", |os| text(&os.family))
    }

    fn first_tag(&self) -> &str {
        first_nonblank(self.repo_tags.iter().flatten().map(Str::as_str)).map_or("", str::trim)
    }

    fn is_image(&self) -> bool {
        !text(&self.image_id).is_empty() || !self.first_tag().is_empty()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Os<'a> {
    #[serde(borrow)]
    family: Option<Str<'a>>,
}

/// A k8s workload: `{Namespace, Kind, Name, [Metadata], Results}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Workload<'a> {
    #[serde(borrow)]
    namespace: Option<Str<'a>>,
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    metadata: Option<Metadata<'a>>,
    #[serde(borrow)]
    results: Option<Results<'a>>,
}

/// `Results[]` (or the old list form's whole document): the results, and
/// every record of all of them in one list, each made into a finding as it
/// is read. A large report's records are so held once, in the list that
/// becomes the report's findings, rather than as borrowed fields, then in a
/// list per result, then copied into one (132 MB report: peak memory 2.48 ->
/// 1.9x the input).
struct Results<'a> {
    /// Each result, with where its records are in `records`.
    results: Vec<(TResult<'a>, Range<usize>)>,
    /// The records, their target, location and ecosystem still to be set
    /// by [`fill`]; until then the location holds `PkgPath`, trimmed.
    records: Vec<Raw>,
}

/// One entry of `Results[]`, its records aside. Its `Misconfigurations`,
/// `Secrets`, `Licenses` and `Packages` are deliberately not read (skipped).
#[derive(Default)]
struct TResult<'a> {
    target: Option<Str<'a>>,
    class: Option<Str<'a>>,
    kind: Option<Str<'a>>,
}

/// Reads [`Results`] with room made beforehand for `room` records: the
/// list is then made once, at about its final size, rather than grown by
/// doubling (each step copies it and leaves the old buffer behind: 25 MB
/// of a 132 MB report's peak memory).
#[derive(Clone, Copy)]
struct ResultsSeed {
    room: usize,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed {
    type Value = Results<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed {
    type Value = Results<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Results { results: Vec::new(), records: Vec::with_capacity(self.room) };
        loop {
            let start = out.records.len();
            let Some(result) = seq.next_element_seed(OneResult(&mut out.records))? else {
                return Ok(out);
            };
            out.results.push((result, start..out.records.len()));
        }
    }
}

/// A k8s workload's `Results`.
impl<'de: 'a, 'a> Deserialize<'de> for Results<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ResultsSeed { room: 0 }.deserialize(d)
    }
}

impl Results<'_> {
    /// Has `fill` set the records of each result that has any, then moves
    /// the records to `out` (as they are, when `out` is empty).
    fn emit(self, out: &mut Vec<Raw>, mut fill: impl FnMut(&TResult<'_>, &mut [Raw])) {
        let Results { results, mut records } = self;
        for (result, range) in &results {
            if !range.is_empty() {
                fill(result, &mut records[range.clone()]);
            }
        }
        if out.is_empty() {
            *out = records;
        } else {
            out.append(&mut records);
        }
    }
}

/// One result: its fields, its records appended to the list.
struct OneResult<'r>(&'r mut Vec<Raw>);

impl<'de> DeserializeSeed<'de> for OneResult<'_> {
    type Value = TResult<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OneResult<'_> {
    type Value = TResult<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Trivy result (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut result = TResult::default();
        let mut records = false;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "Target" => once(&mut result.target, map.next_value()?, "Target")?,
                "Class" => once(&mut result.class, map.next_value()?, "Class")?,
                "Type" => once(&mut result.kind, map.next_value()?, "Type")?,
                "Vulnerabilities" if records => {
                    return Err(de::Error::duplicate_field("Vulnerabilities"));
                }
                "Vulnerabilities" => {
                    records = true;
                    map.next_value_seed(Records(self.0))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(result)
    }
}

/// `Vulnerabilities` (an array or `null`), appended to the list.
struct Records<'r>(&'r mut Vec<Raw>);

impl<'de> DeserializeSeed<'de> for Records<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Records<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Read(raw)) = seq.next_element()? {
            self.0.push(raw);
        }
        Ok(())
    }
}

impl TResult<'_> {
    fn target(&self) -> &str {
        text(&self.target).trim()
    }

    /// `(name, family)` when the target reads `name (family version)`.
    fn os_target(&self) -> Option<(&str, &str)> {
        os_target(self.target())
    }

    /// Whether this is an OS-package result: `Class` says so, or (old list
    /// form, no `Class`) the target has the ` (distro version)` suffix.
    fn is_os(&self) -> bool {
        match text(&self.class) {
            "" => self.os_target().is_some(),
            class => class == "os-pkgs",
        }
    }

    /// The ecosystem from `Type`, else (OS packages) from the OS family.
    fn ecosystem(&self, family: &str) -> Option<Ecosystem> {
        Ecosystem::from_word(text(&self.kind)).or_else(|| {
            if !self.is_os() {
                return None;
            }
            let fam =
                if family.is_empty() { self.os_target().map_or("", |(_, f)| f) } else { family };
            Ecosystem::from_word(fam)
        })
    }
}

/// One `Vulnerabilities[]` record, read as a finding (see [`Results`]).
struct Read(Raw);

impl<'de> Deserialize<'de> for Read {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vuln::deserialize(d)?;
        let mut raw = record(&v);
        raw.location = nonblank(text(&v.pkg_path));
        Ok(Read(raw))
    }
}

/// The fields of a `Vulnerabilities[]` record. The id is required;
/// everything else degrades (empty package, version, severity).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln<'a> {
    #[serde(borrow, rename = "VulnerabilityID")]
    id: Str<'a>,
    #[serde(borrow, rename = "VendorIDs")]
    vendor_ids: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    pkg_name: Option<Str<'a>>,
    #[serde(borrow)]
    pkg_path: Option<Str<'a>>,
    #[serde(borrow)]
    pkg_identifier: Option<PkgIdentifier<'a>>,
    #[serde(borrow)]
    installed_version: Option<Str<'a>>,
    #[serde(borrow)]
    fixed_version: Option<Str<'a>>,
    #[serde(borrow)]
    status: Option<Str<'a>>,
    #[serde(borrow)]
    severity: Option<Str<'a>>,
    #[serde(borrow)]
    severity_source: Option<Str<'a>>,
    #[serde(borrow, rename = "PrimaryURL")]
    primary_url: Option<Str<'a>>,
    #[serde(borrow)]
    title: Option<Str<'a>>,
    #[serde(borrow)]
    description: Option<Str<'a>>,
    #[serde(borrow)]
    references: Option<Vec<Str<'a>>>,
    #[serde(borrow, rename = "CVSS")]
    cvss: Option<Pairs<Str<'a>, CvssEntry<'a>>>,
}

#[derive(Deserialize)]
struct PkgIdentifier<'a> {
    #[serde(borrow, rename = "PURL")]
    purl: Option<Str<'a>>,
}

/// `CVSS.<source>`: any subset of the v2, v3 and v4.0 vectors and scores.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CvssEntry<'a> {
    #[serde(borrow)]
    v2_vector: Option<Str<'a>>,
    v2_score: Option<f64>,
    #[serde(borrow)]
    v3_vector: Option<Str<'a>>,
    v3_score: Option<f64>,
    #[serde(borrow)]
    v40_vector: Option<Str<'a>>,
    v40_score: Option<f64>,
}

// ---------------------------------------------------------------------------
// From the document to records.

/// Where a result's findings are: the target, and how to place each
/// finding inside it.
struct Place {
    /// The target of every finding of the result; `None` when it depends
    /// on each finding's `PkgPath` (a language label in a filesystem scan).
    target: Option<Target>,
    location: Loc,
}

enum Loc {
    /// The finding's `PkgPath` when given, else this.
    PkgPathOr(Option<String>),
    /// Always this (a k8s workload).
    Fixed(String),
}

/// Trivy's labels for language packages found installed (not in a
/// lockfile); the result's target is then not a path.
const LANGUAGE_LABELS: [&str; 6] = ["Python", "Conda", "Ruby", "Node.js", "Java", "Kubernetes"];

fn schema_v2(report: TReport<'_>, out: &mut Vec<Raw>) {
    let meta = report.metadata.unwrap_or_default();
    let artifact = text(&report.artifact_name).trim();
    let is_image = text(&report.artifact_type) == "container_image" || meta.is_image();
    let Some(results) = report.results else { return };
    results.emit(out, |result, records| {
        let place = if is_image {
            // `trivy image --input app.tar` names the archive: its tag
            // names the image better.
            let archive = [".tar", ".tar.gz", ".tgz"].iter().any(|e| artifact.ends_with(e));
            let names =
                if archive { [meta.first_tag(), artifact] } else { [artifact, meta.first_tag()] };
            let reference = names.into_iter().find(|r| !r.is_empty());
            let reference = reference.or_else(|| result.os_target().map(|(n, _)| n)).unwrap_or("");
            // The OS result's `name (distro version)` and a language label
            // (`Node.js`) say nothing about where: only a file in the image
            // (`usr/local/bin/gosu`) is a location.
            let inside =
                result.os_target().is_none() && !LANGUAGE_LABELS.contains(&result.target());
            Place {
                target: Some(Target::image(reference)),
                location: Loc::PkgPathOr(inside.then(|| result.target().to_string())),
            }
        } else if LANGUAGE_LABELS.contains(&result.target()) || result.target().is_empty() {
            Place { target: None, location: Loc::PkgPathOr(None) }
        } else {
            Place { target: Some(Target::file(result.target())), location: Loc::PkgPathOr(None) }
        };
        fill(records, result, &place, meta.family(), artifact);
    });
}

fn list_form(results: Results<'_>, out: &mut Vec<Raw>) {
    results.emit(out, |result, records| {
        let place = match result.os_target() {
            Some((name, _)) if result.is_os() => {
                Place { target: Some(Target::image(name)), location: Loc::PkgPathOr(None) }
            }
            _ => Place {
                target: Some(Target::file(result.target())),
                location: Loc::PkgPathOr(None),
            },
        };
        fill(records, result, &place, "", "");
    });
}

fn workload(w: Workload<'_>, out: &mut Vec<Raw>) {
    let (ns, kind, name) = (text(&w.namespace).trim(), text(&w.kind).trim(), text(&w.name).trim());
    let location =
        if ns.is_empty() { format!("{kind}/{name}") } else { format!("{ns}/{kind}/{name}") };
    let meta = w.metadata.unwrap_or_default();
    let Some(results) = w.results else { return };
    results.emit(out, |result, records| {
        // The newer shape says which image the workload runs: every result
        // is in it. Otherwise only an OS result names its image.
        let target = match (meta.first_tag(), result.os_target()) {
            (tag, _) if !tag.is_empty() => Target::image(tag),
            ("", Some((image, _))) if result.is_os() => Target::image(image),
            _ => Target::file(result.target()),
        };
        let place = Place { target: Some(target), location: Loc::Fixed(location.clone()) };
        fill(records, result, &place, meta.family(), "");
    });
}

/// The target of a finding in a language-labelled result of a filesystem
/// scan: the scanned artifact when `PkgPath` is (the tail of) it (a single
/// file was scanned), else `PkgPath` (relative to the scanned directory).
fn labelled_target(artifact: &str, pkg_path: &str) -> Target {
    if pkg_path.is_empty() {
        return Target::file(artifact);
    }
    let (a, p) = (file_key(artifact), file_key(pkg_path));
    let inside = a == p || (a.ends_with(&p) && a[..a.len() - p.len()].ends_with('/'));
    Target::file(if inside { artifact } else { pkg_path })
}

/// Sets the target, location and ecosystem of a result's records.
fn fill(records: &mut [Raw], result: &TResult<'_>, place: &Place, family: &str, artifact: &str) {
    let ecosystem = result.ecosystem(family);
    for raw in records {
        let pkg_path = raw.location.take();
        raw.target = match &place.target {
            Some(t) => t.clone(),
            None => labelled_target(artifact, pkg_path.as_deref().unwrap_or("")),
        };
        raw.location = match &place.location {
            Loc::Fixed(l) => Some(l.clone()),
            Loc::PkgPathOr(other) => pkg_path.or_else(|| other.clone()),
        };
        raw.package.ecosystem = ecosystem.clone();
    }
}

/// The finding of a record, its target, location and ecosystem left for
/// [`fill`] (an empty file target, none, none).
fn record(v: &Vuln<'_>) -> Raw {
    // Every list is made at its final size: a report holds tens of
    // thousands of records, and a vector grown by pushing keeps up to half
    // of its room unused (12 MB of a 132 MB report's findings).
    let vendor_ids = v.vendor_ids.as_deref().unwrap_or_default();
    let mut ids = Vec::with_capacity(1 + vendor_ids.len());
    ids.push(normalize_id(v.id.as_str()));
    for alias in vendor_ids {
        push_id(&mut ids, alias.as_str());
    }
    let fixed = split_list(text(&v.fixed_version));
    let fixable = !fixed.is_empty() || text(&v.status).trim().eq_ignore_ascii_case("fixed");
    let severity_given = text(&v.severity).trim().to_string();
    let severity_from = nonblank(text(&v.severity_source));
    let ratings = || {
        v.cvss.iter().flat_map(|p| &p.0).flat_map(|(source, c)| {
            [(&c.v3_vector, c.v3_score), (&c.v40_vector, c.v40_score), (&c.v2_vector, c.v2_score)]
                .map(|(vector, score)| (source.as_str().trim(), text(vector).trim(), score))
                .into_iter()
                .filter(|(_, vector, score)| !vector.is_empty() || score.is_some())
        })
    };
    let mut cvss = Vec::with_capacity(ratings().count());
    cvss.extend(ratings().map(|(source, vector, score)| Cvss::from_vector(source, vector, score)));
    let references = v.references.as_deref().unwrap_or_default();
    let mut urls = Vec::with_capacity(1 + references.len());
    for url in std::iter::once(text(&v.primary_url)).chain(references.iter().map(Str::as_str)) {
        push_unique(&mut urls, url.trim());
    }
    let title = match first_line(text(&v.title)) {
        "" => first_line(text(&v.description)),
        t => t,
    };
    Raw {
        ids,
        package: Package {
            name: text(&v.pkg_name).trim().to_string(),
            ecosystem: None,
            purl: nonblank(v.pkg_identifier.as_ref().map_or("", |p| text(&p.purl))),
            source: None,
        },
        version: text(&v.installed_version).trim().to_string(),
        fixed,
        fixable,
        severity: Severity::from_word(&severity_given),
        severity_given,
        severity_from,
        cvss,
        target: Target::file(""),
        location: None,
        title: title.to_string(),
        urls,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Cvss, Ecosystem, Package, Raw, Report, Scanner, Severity, Target};
    use crate::testutil::{parse_all, shared, try_parse_all};
    use std::collections::BTreeSet;

    fn findings(text: &str) -> Vec<Raw> {
        let reports = parse_all(text, "t.json");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].scanner, Scanner::Trivy);
        reports.into_iter().flat_map(|r| r.findings).collect()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pkg(name: &str, eco: &str, purl: Option<&str>) -> Package {
        Package {
            name: name.into(),
            ecosystem: Ecosystem::from_word(eco),
            purl: purl.map(Into::into),
            source: None,
        }
    }

    const IMAGE_V2: &str = r#"{
      "SchemaVersion": 2,
      "ArtifactName": "redis",
      "ArtifactType": "container_image",
      "Metadata": {"OS": {"Family": "debian", "Name": "11.6"}, "ImageID": "sha256:e79b", "RepoTags": ["redis:latest"]},
      "Results": [
        {
          "Target": "redis (debian 11.6)", "Class": "os-pkgs", "Type": "debian",
          "Vulnerabilities": [
            {
              "VulnerabilityID": "cve-2023-0361", "VendorIDs": ["DSA-5349-1"],
              "PkgID": "libgnutls30@3.7.1-5+deb11u2", "PkgName": "libgnutls30",
              "InstalledVersion": "3.7.1-5+deb11u2", "FixedVersion": "3.7.1-5+deb11u3",
              "Layer": {"DiffID": "sha256:a49c"}, "SeveritySource": "nvd",
              "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2023-0361",
              "DataSource": {"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/"},
              "Title": "gnutls: timing side-channel in the TLS RSA key exchange code",
              "Description": "A timing side-channel in the handling of RSA ClientKeyExchange messages.",
              "Severity": "HIGH", "CweIDs": ["CWE-203"],
              "VendorSeverity": {"nvd": 3, "redhat": 2},
              "CVSS": {
                "nvd": {"V2Vector": "AV:N/AC:M/Au:N/C:P/I:N/A:N", "V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "V2Score": 4.3, "V3Score": 7.5},
                "redhat": {"V3Vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"}
              },
              "References": ["https://avd.aquasec.com/nvd/cve-2023-0361", "https://www.debian.org/security/2023/dsa-5349"],
              "PublishedDate": "2023-02-15T18:15:00Z"
            }
          ]
        },
        {
          "Target": "usr/local/bin/gosu", "Class": "lang-pkgs", "Type": "gobinary",
          "Vulnerabilities": [
            {
              "VulnerabilityID": "CVE-2022-29162", "PkgName": "github.com/opencontainers/runc",
              "InstalledVersion": "v1.1.0", "FixedVersion": "1.1.2", "Severity": "MEDIUM",
              "Description": "\nrunc is a CLI tool for spawning containers.\nA bug was found in runc prior to 1.1.2."
            }
          ]
        },
        {"Target": "Node.js", "Class": "lang-pkgs", "Type": "node-pkg", "Vulnerabilities": null},
        {"Target": "usr/local/etc/app.conf", "Class": "secret", "Secrets": [{"RuleID": "github-pat", "Severity": "CRITICAL"}]}
      ]
    }"#;

    #[test]
    fn a_v2_image_is_one_target_with_each_result_as_a_location() {
        let got = findings(IMAGE_V2);
        let image = Target::image("redis");
        assert_eq!(image.key, "redis");
        assert_eq!(
            got,
            vec![
                Raw {
                    ids: strings(&["CVE-2023-0361", "DSA-5349-1"]),
                    package: pkg("libgnutls30", "deb", None),
                    version: "3.7.1-5+deb11u2".into(),
                    fixed: strings(&["3.7.1-5+deb11u3"]),
                    fixable: true,
                    severity: Severity::High,
                    severity_given: "HIGH".into(),
                    severity_from: Some("nvd".into()),
                    cvss: vec![
                        Cvss::from_vector(
                            "nvd",
                            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                            Some(7.5)
                        ),
                        Cvss {
                            source: "nvd".into(),
                            vector: "AV:N/AC:M/Au:N/C:P/I:N/A:N".into(),
                            score: Some(4.3)
                        },
                        // No score written: computed from the v3 vector.
                        Cvss {
                            source: "redhat".into(),
                            vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N".into(),
                            score: Some(5.9)
                        },
                    ],
                    target: image.clone(),
                    location: None,
                    title: "gnutls: timing side-channel in the TLS RSA key exchange code".into(),
                    urls: strings(&[
                        "https://avd.aquasec.com/nvd/cve-2023-0361",
                        "https://www.debian.org/security/2023/dsa-5349"
                    ]),
                },
                Raw {
                    ids: strings(&["CVE-2022-29162"]),
                    package: pkg("github.com/opencontainers/runc", "gobinary", None),
                    version: "v1.1.0".into(),
                    fixed: strings(&["1.1.2"]),
                    fixable: true,
                    severity: Severity::Medium,
                    severity_given: "MEDIUM".into(),
                    severity_from: None,
                    cvss: vec![],
                    target: image,
                    location: Some("usr/local/bin/gosu".into()),
                    title: "runc is a CLI tool for spawning containers.".into(),
                    urls: vec![],
                },
            ]
        );
    }

    #[test]
    fn the_newest_shape_has_a_version_purls_statuses_branch_fixes_and_cvss_v4() {
        let text = r#"{
          "SchemaVersion": 2, "Trivy": {"Version": "0.69.1"}, "ReportID": "019c", "CreatedAt": "2026-02-24T07:07:53Z",
          "ArtifactName": "lib/catalina.jar", "ArtifactType": "filesystem",
          "Results": [{
            "Target": "Java", "Class": "lang-pkgs", "Type": "jar",
            "Packages": [{"Name": "org.apache.tomcat:tomcat-catalina", "Version": "9.0.109"}],
            "Vulnerabilities": [{
              "VulnerabilityID": "CVE-2025-66614", "VendorIDs": ["GHSA-FPJ8-GQ4V-P354"],
              "PkgName": "org.apache.tomcat:tomcat-catalina", "PkgPath": "catalina.jar",
              "PkgIdentifier": {"PURL": "pkg:maven/org.apache.tomcat/tomcat-catalina@9.0.109", "UID": "ac2f"},
              "InstalledVersion": "9.0.109", "FixedVersion": "11.0.14, 10.1.49, 9.0.112", "Status": "fixed",
              "SeveritySource": "ghsa", "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2025-66614",
              "Title": "tomcat: Client certificate verification bypass", "Severity": "MEDIUM",
              "VendorSeverity": {"ghsa": 2},
              "CVSS": {"ghsa": {"V40Vector": "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", "V40Score": 6.3}},
              "References": ["https://nvd.nist.gov/vuln/detail/CVE-2025-66614"]
            }]
          }]
        }"#;
        let reports = parse_all(text, "t.json");
        assert_eq!(reports[0].version.as_deref(), Some("0.69.1"));
        assert_eq!(
            reports[0].findings,
            vec![Raw {
                ids: strings(&["CVE-2025-66614", "GHSA-fpj8-gq4v-p354"]),
                package: pkg(
                    "org.apache.tomcat:tomcat-catalina",
                    "jar",
                    Some("pkg:maven/org.apache.tomcat/tomcat-catalina@9.0.109")
                ),
                version: "9.0.109".into(),
                fixed: strings(&["11.0.14", "10.1.49", "9.0.112"]),
                fixable: true,
                severity: Severity::Medium,
                severity_given: "MEDIUM".into(),
                severity_from: Some("ghsa".into()),
                cvss: vec![Cvss {
                    source: "ghsa".into(),
                    vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"
                        .into(),
                    score: Some(6.3)
                }],
                // A single file was scanned: it is the target, whatever
                // label Trivy gives the result.
                target: Target::file("lib/catalina.jar"),
                location: Some("catalina.jar".into()),
                title: "tomcat: Client certificate verification bypass".into(),
                urls: strings(&[
                    "https://avd.aquasec.com/nvd/cve-2025-66614",
                    "https://nvd.nist.gov/vuln/detail/CVE-2025-66614"
                ]),
            }]
        );
    }

    #[test]
    fn a_filesystem_scan_gives_one_file_target_per_result_and_skips_other_classes() {
        let text = r#"{
          "SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
          "Metadata": {"ImageConfig": {"architecture": "", "rootfs": {"type": "", "diff_ids": null}}},
          "Results": [
            {"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip", "Vulnerabilities": [
              {"VulnerabilityID": "CVE-2021-33503", "PkgName": "urllib3", "InstalledVersion": "1.26.3",
               "FixedVersion": "1.26.5", "Layer": {}, "Severity": "HIGH", "Status": "affected"}
            ]},
            {"Target": "Java", "Class": "lang-pkgs", "Type": "jar", "Vulnerabilities": [
              {"VulnerabilityID": "CVE-2022-1471", "PkgName": "org.yaml:snakeyaml", "PkgPath": "app\\lib\\snakeyaml-1.33.jar",
               "InstalledVersion": "1.33", "Status": "will_not_fix"}
            ]},
            {"Target": "Dockerfile", "Class": "config", "Type": "dockerfile",
             "MisconfSummary": {"Successes": 22, "Failures": 1, "Exceptions": 0},
             "Misconfigurations": [{"Type": "Dockerfile Security Check", "ID": "DS002", "AVDID": "AVD-DS-0002", "Severity": "HIGH"}]},
            {"Target": "secret.txt", "Class": "secret", "Secrets": [{"RuleID": "github-pat", "StartLine": 1, "Severity": "CRITICAL"}]},
            {"Target": "LICENSE", "Class": "license-file", "Licenses": [{"Name": "GPL-3.0", "Severity": "HIGH"}]}
          ]
        }"#;
        let got = findings(text);
        let base = |id: &str, p: Package, version: &str| Raw {
            ids: strings(&[id]),
            package: p,
            version: version.into(),
            fixed: vec![],
            fixable: false,
            severity: Severity::Unknown,
            severity_given: String::new(),
            severity_from: None,
            cvss: vec![],
            target: Target::file("requirements.txt"),
            location: None,
            title: String::new(),
            urls: vec![],
        };
        assert_eq!(
            got,
            vec![
                Raw {
                    fixed: strings(&["1.26.5"]),
                    fixable: true,
                    severity: Severity::High,
                    severity_given: "HIGH".into(),
                    ..base("CVE-2021-33503", pkg("urllib3", "pip", None), "1.26.3")
                },
                // A language label in a directory scan: the jar (relative to
                // the scanned directory) is the target.
                Raw {
                    target: Target::file("app\\lib\\snakeyaml-1.33.jar"),
                    location: Some("app\\lib\\snakeyaml-1.33.jar".into()),
                    ..base("CVE-2022-1471", pkg("org.yaml:snakeyaml", "jar", None), "1.33")
                },
            ]
        );
        assert_eq!(got[1].target.key, "app/lib/snakeyaml-1.33.jar");
    }

    #[test]
    fn the_old_list_form_strips_the_distro_suffix_and_keeps_lockfiles_as_files() {
        let text = r#"[
          {"Target": "node-app/package-lock.json", "Type": "npm", "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2018-16487", "PkgName": "lodash", "InstalledVersion": "4.17.4",
             "FixedVersion": ">=4.17.11", "Title": "lodash: Prototype pollution", "Severity": "HIGH",
             "References": ["https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2018-16487"]}
          ]},
          {"Target": "trivy-ci-test (alpine 3.7.1)", "Type": "", "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2018-16840", "PkgName": "curl", "InstalledVersion": "7.61.0-r0",
             "FixedVersion": "7.61.1-r1", "Severity": "HIGH", "SeveritySource": "nvd",
             "Layer": {"Digest": "sha256:0ecb", "DiffID": "sha256:7f03"}}
          ]},
          {"Target": "python-app/Pipfile.lock", "Type": "pip", "Vulnerabilities": null},
          {"Target": "rust-app/Cargo.lock", "Type": "cargo"}
        ]"#;
        let reports = parse_all(text, "t.json");
        assert_eq!(reports[0].version, None);
        assert_eq!(
            reports[0].findings,
            vec![
                Raw {
                    ids: strings(&["CVE-2018-16487"]),
                    package: pkg("lodash", "npm", None),
                    version: "4.17.4".into(),
                    fixed: strings(&[">=4.17.11"]),
                    fixable: true,
                    severity: Severity::High,
                    severity_given: "HIGH".into(),
                    severity_from: None,
                    cvss: vec![],
                    target: Target::file("node-app/package-lock.json"),
                    location: None,
                    title: "lodash: Prototype pollution".into(),
                    urls: strings(&[
                        "https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2018-16487"
                    ]),
                },
                Raw {
                    ids: strings(&["CVE-2018-16840"]),
                    // No `Type`: the ecosystem comes from the distro.
                    package: pkg("curl", "apk", None),
                    version: "7.61.0-r0".into(),
                    fixed: strings(&["7.61.1-r1"]),
                    fixable: true,
                    severity: Severity::High,
                    severity_given: "HIGH".into(),
                    severity_from: Some("nvd".into()),
                    cvss: vec![],
                    target: Target::image("trivy-ci-test"),
                    location: None,
                    title: String::new(),
                    urls: vec![],
                },
            ]
        );
    }

    #[test]
    fn k8s_workloads_running_one_image_give_one_target_in_two_locations() {
        let vuln = r#"{"VulnerabilityID": "CVE-2020-27350", "VendorIDs": ["DSA-4808-1"], "PkgName": "apt",
                       "InstalledVersion": "1.8.2.1", "FixedVersion": "1.8.2.2", "Severity": "MEDIUM"}"#;
        let text = format!(
            r#"{{
              "ClusterName": "arn:aws:eks:us-east-1:1:cluster/test",
              "Vulnerabilities": [
                {{"Namespace": "default", "Kind": "Deployment", "Name": "redis-leader", "Results": [
                  {{"Target": "docker.io/redis:6.0.5 (debian 10.4)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [{vuln}]}}
                ]}},
                {{"Namespace": "cache", "Kind": "StatefulSet", "Name": "redis", "Results": [
                  {{"Target": "redis:6.0.5 (debian 10.4)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [{vuln}]}}
                ]}}
              ],
              "Misconfigurations": [
                {{"Namespace": "default", "Kind": "Deployment", "Name": "redis-leader", "Results": [
                  {{"Target": "Deployment/redis-leader", "Class": "config", "Type": "kubernetes",
                    "Misconfigurations": [{{"ID": "KSV001", "Severity": "MEDIUM"}}]}}
                ]}}
              ]
            }}"#
        );
        let got = findings(&text);
        let one = |image: &str, location: &str| Raw {
            ids: strings(&["CVE-2020-27350", "DSA-4808-1"]),
            package: pkg("apt", "debian", None),
            version: "1.8.2.1".into(),
            fixed: strings(&["1.8.2.2"]),
            fixable: true,
            severity: Severity::Medium,
            severity_given: "MEDIUM".into(),
            severity_from: None,
            cvss: vec![],
            target: Target::image(image),
            location: Some(location.into()),
            title: String::new(),
            urls: vec![],
        };
        assert_eq!(
            got,
            vec![
                one("docker.io/redis:6.0.5", "default/Deployment/redis-leader"),
                one("redis:6.0.5", "cache/StatefulSet/redis")
            ]
        );
        assert_eq!(got[0].target.key, got[1].target.key);
    }

    #[test]
    fn k8s_resources_with_metadata_put_every_result_in_the_image() {
        let text = r#"{
          "ClusterName": "kind-kind",
          "Resources": [
            {"Namespace": "kube-system", "Kind": "DaemonSet", "Name": "kindnet",
             "Metadata": {"OS": {"Family": "debian", "Name": "12.5"}, "ImageID": "sha256:1c", "RepoTags": ["docker.io/kindest/kindnetd:v20240202"]},
             "Results": [
               {"Target": "docker.io/kindest/kindnetd:v20240202 (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": null},
               {"Target": "bin/kindnetd", "Class": "lang-pkgs", "Type": "gobinary", "Vulnerabilities": [
                 {"VulnerabilityID": "GHSA-m425-mq94-257g", "PkgName": "google.golang.org/grpc", "InstalledVersion": "v1.56.2",
                  "FixedVersion": "1.56.3, 1.57.1, 1.58.3", "Severity": "HIGH", "SeveritySource": "ghsa"}
               ]}
             ]},
            {"Kind": "NodeInfo", "Name": "kind-control-plane", "Results": [
              {"Target": "node-info", "Class": "config", "Type": "kubernetes", "Misconfigurations": [{"ID": "KCV0001"}]}
            ]}
          ]
        }"#;
        assert_eq!(
            findings(text),
            vec![Raw {
                ids: strings(&["GHSA-m425-mq94-257g"]),
                package: pkg("google.golang.org/grpc", "gobinary", None),
                version: "v1.56.2".into(),
                fixed: strings(&["1.56.3", "1.57.1", "1.58.3"]),
                fixable: true,
                severity: Severity::High,
                severity_given: "HIGH".into(),
                severity_from: Some("ghsa".into()),
                cvss: vec![],
                target: Target::image("docker.io/kindest/kindnetd:v20240202"),
                location: Some("kube-system/DaemonSet/kindnet".into()),
                title: String::new(),
                urls: vec![],
            }]
        );
    }

    #[test]
    fn an_image_read_from_an_archive_is_named_by_its_tag() {
        let doc = |tags: &str| {
            format!(
                r#"{{"SchemaVersion": 2, "ArtifactName": "build/app.tar", "ArtifactType": "container_image",
                    "Metadata": {{"ImageID": "sha256:1", "RepoTags": {tags}}},
                    "Results": [{{"Target": "build/app.tar (alpine 3.19.1)", "Class": "os-pkgs", "Type": "alpine",
                                 "Vulnerabilities": [{{"VulnerabilityID": "CVE-1", "PkgName": "musl"}}]}}]}}"#
            )
        };
        assert_eq!(
            findings(&doc(r#"["ghcr.io/acme/app:1.2"]"#))[0].target,
            Target::image("ghcr.io/acme/app:1.2")
        );
        assert_eq!(findings(&doc("null"))[0].target, Target::image("build/app.tar"));
    }

    #[test]
    fn empty_reports_have_no_findings() {
        for text in [
            "null",
            "[]",
            r#"{"SchemaVersion": 2, "ArtifactName": "x:1", "ArtifactType": "container_image"}"#,
            r#"{"SchemaVersion": 2, "ArtifactName": "x:1", "ArtifactType": "container_image", "Results": null}"#,
            r#"{"SchemaVersion": 2, "ArtifactName": "a", "Results": [{"Target": "a (alpine 3.14.0)", "Class": "os-pkgs", "Type": "alpine"}]}"#,
            r#"{"ClusterName": "c", "Vulnerabilities": null}"#,
        ] {
            let reports = parse_all(text, "t.json");
            assert!(reports.iter().all(|r| r.findings.is_empty()), "{text}");
        }
        // The parser itself gives one empty report for `null`.
        let doc = crate::input::Doc::whole("t.json", "null");
        assert_eq!(
            super::parse(&doc).ok(),
            Some(vec![Report { scanner: Scanner::Trivy, version: None, findings: vec![] }])
        );
    }

    #[test]
    fn keys_may_come_in_any_order_and_records_may_be_null() {
        // The report's fields after its results, a result's after its records.
        let text = r#"{"Results": [
            {"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "a", "PkgPath": "app/a.jar"}],
             "Type": "jar", "Target": "Java", "Class": "lang-pkgs"},
            {"Target": "b", "Vulnerabilities": null}],
          "ArtifactType": "container_image", "ArtifactName": "r.io/app:1", "SchemaVersion": 2}"#;
        let got = findings(text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].target, Target::image("r.io/app:1"));
        assert_eq!(got[0].location.as_deref(), Some("app/a.jar"));
        assert_eq!(got[0].package.ecosystem, Some(Ecosystem::Maven));
    }

    #[test]
    fn the_records_are_made_in_one_list_of_their_final_size() {
        let text = r#"{"SchemaVersion": 2, "ArtifactName": "a", "Results": [
            {"Target": "a (alpine 3.14.0)", "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": [
              {"VulnerabilityID": "CVE-1", "PkgName": "x"}, {"VulnerabilityID": "CVE-2", "PkgName": "x"}]},
            {"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": [
              {"VulnerabilityID": "CVE-3", "PkgName": "y"}]}]}"#;
        let doc = crate::input::Doc::whole("t.json", text);
        let reports = super::parse(&doc).expect("parses");
        assert_eq!(reports[0].findings.len(), 3);
        assert_eq!(reports[0].findings.capacity(), 3);
    }

    #[test]
    fn a_key_given_twice_or_a_result_of_the_wrong_shape_is_an_error() {
        for (text, want) in [
            (
                r#"{"SchemaVersion": 2, "Results": [{"Target": "a", "Target": "b"}]}"#,
                "t.json:1:63: Results[0]: duplicate field `Target`",
            ),
            (
                r#"{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [], "Vulnerabilities": []}]}"#,
                "t.json:1:74: Results[0]: duplicate field `Vulnerabilities`",
            ),
            (
                r#"{"SchemaVersion": 2, "Results": [], "Results": []}"#,
                "t.json:1:45: duplicate field `Results`",
            ),
            (
                r#"{"SchemaVersion": 2, "Results": "none"}"#,
                "t.json:1:38: Results: invalid type: string \"none\", expected a sequence",
            ),
            (
                r#"{"SchemaVersion": 2, "Results": [7]}"#,
                "t.json:1:34: Results[0]: invalid type: integer `7`, expected a Trivy result (an object)",
            ),
            (
                r#"{"SchemaVersion": 2, "Results": [{"Vulnerabilities": {}}]}"#,
                "t.json:1:53: Results[0].Vulnerabilities: invalid type: map, expected a sequence",
            ),
        ] {
            assert_eq!(try_parse_all(text, "t.json").err().as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn fixes_and_severities_degrade_gracefully() {
        let text = r#"[{"Target": "go.sum", "Type": "gomod", "Vulnerabilities": [
          {"VulnerabilityID": "GO-2022-0493", "PkgName": "golang.org/x/sys", "Status": "fixed"},
          {"VulnerabilityID": "CVE-2020-1", "PkgName": "x", "FixedVersion": " , ", "Status": "affected", "Severity": "weird",
           "Title": "  ", "Description": "\n  first line  \nsecond", "PrimaryURL": "", "References": null, "VendorIDs": null, "CVSS": {}}
        ]}]"#;
        let got = findings(text);
        assert_eq!((got[0].fixed.clone(), got[0].fixable), (vec![], true));
        assert_eq!(
            (got[0].severity, got[0].severity_given.as_str(), got[0].version.as_str()),
            (Severity::Unknown, "", "")
        );
        assert_eq!((got[1].fixed.clone(), got[1].fixable), (vec![], false));
        assert_eq!((got[1].severity, got[1].severity_given.as_str()), (Severity::Unknown, "weird"));
        assert_eq!(got[1].title, "first line");
        assert_eq!((got[1].urls.len(), got[1].cvss.len(), got[1].ids.len()), (0, 0, 1));
    }

    #[test]
    fn a_record_without_an_id_is_an_error_naming_the_place() {
        let text = "[\n  {\"Target\": \"composer.lock\", \"Type\": \"composer\",\n   \"Vulnerabilities\": [{\"PkgName\": \"x\"}]}\n]";
        assert_eq!(
            try_parse_all(text, "in.json").err().as_deref(),
            Some("in.json:3:39: [0].Vulnerabilities[0]: missing field `VulnerabilityID`")
        );
        let text = r#"{"SchemaVersion": 2, "ArtifactName": "a", "Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": 7}]}]}"#;
        assert_eq!(
            try_parse_all(text, "in.json").err().as_deref(),
            Some(
                "in.json:1:111: Results[0].Vulnerabilities[0].VulnerabilityID: invalid type: integer `7`, expected a string"
            )
        );
        let text = r#"{"SchemaVersion": 2, "Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "CVSS": {"nvd": {"V3Score": "high"}}}]}]}"#;
        assert_eq!(
            try_parse_all(text, "in.json").err().as_deref(),
            Some(
                "in.json:1:132: Results[0].Vulnerabilities[0].CVSS.nvd.V3Score: invalid type: string \"high\", expected f64"
            )
        );
    }

    // ---- The shared corpus (PROVENANCE.md) ---------------------------------

    fn corpus(file: &str) -> Option<Vec<Raw>> {
        let text = shared(&format!("trivy/{file}"))?;
        Some(parse_all(&text, file).into_iter().flat_map(|r| r.findings).collect())
    }

    fn distinct_ids(raws: &[Raw]) -> usize {
        raws.iter().map(|r| &r.ids[0]).collect::<BTreeSet<_>>().len()
    }

    fn distinct_triples(raws: &[Raw]) -> usize {
        raws.iter().map(|r| (&r.ids[0], &r.package.name, &r.version)).collect::<BTreeSet<_>>().len()
    }

    #[test]
    fn corpus_redis_image() {
        let Some(raws) = corpus("vimp-redis-image.json") else { return };
        assert_eq!((raws.len(), distinct_ids(&raws), distinct_triples(&raws)), (75, 45, 75));
        assert!(raws.iter().all(|r| r.target == Target::image("redis")));
        let gosu: Vec<_> =
            raws.iter().filter(|r| r.location.as_deref() == Some("usr/local/bin/gosu")).collect();
        assert_eq!(gosu.len(), 2);
        assert!(
            gosu.iter().all(
                |r| r.package.name == "github.com/opencontainers/runc" && r.version == "v1.1.0"
            )
        );
        assert!(gosu.iter().all(|r| r.package.ecosystem == Some(Ecosystem::Go)));
    }

    #[test]
    fn corpus_legacy_debian10() {
        let Some(raws) = corpus("dd-legacy-v1-debian10.json") else { return };
        assert_eq!((raws.len(), distinct_ids(&raws)), (93, 60));
        assert!(
            raws.iter().all(|r| r.target == Target::image("debian")
                && r.package.ecosystem == Some(Ecosystem::Deb))
        );
        assert!(raws.iter().any(|r| r.ids[0].starts_with("TEMP-")));
    }

    #[test]
    fn corpus_k8s_cluster() {
        let Some(raws) = corpus("dd-k8s-cluster-eks.json") else { return };
        assert_eq!(raws.len(), 10);
        let places: BTreeSet<_> =
            raws.iter().map(|r| (r.target.key.as_str(), r.location.as_deref())).collect();
        assert_eq!(
            places,
            BTreeSet::from([
                ("google_samples/gb-redis-follower", Some("default/Deployment/redis-follower")),
                ("redis", Some("default/Deployment/redis-leader")),
            ])
        );
    }

    #[test]
    fn corpus_hand_trimmed_lang_mix_is_refused() {
        let Some(text) = shared("trivy/dd-legacy-v1-lang-mix.json") else { return };
        assert_eq!(
            try_parse_all(&text, "trivy/dd-legacy-v1-lang-mix.json").err().as_deref(),
            Some(
                "trivy/dd-legacy-v1-lang-mix.json:8:7: [0].Vulnerabilities[0]: missing field `VulnerabilityID`"
            )
        );
    }

    #[test]
    fn corpus_fs_scan_keeps_only_the_vulnerabilities() {
        let Some(raws) = corpus("dd-v2-fs-misconfig-secrets.json") else { return };
        let got: Vec<_> = raws
            .iter()
            .map(|r| (r.ids[0].as_str(), r.package.name.as_str(), r.target.key.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("CVE-2021-33503", "urllib3", "requirements.txt"),
                ("CVE-2021-28363", "urllib3", "requirements.txt")
            ]
        );
        assert!(raws.iter().all(|r| r.package.ecosystem == Some(Ecosystem::Pypi)));
    }

    #[test]
    fn corpus_cvssv4_jar() {
        let Some(text) = shared("trivy/dd-v2-0.69-cvssv4-jar.json") else { return };
        let reports = parse_all(&text, "x");
        assert_eq!(reports[0].version.as_deref(), Some("0.69.1"));
        let raws = &reports[0].findings;
        assert_eq!(raws.len(), 3);
        assert!(raws.iter().all(|r| r.ids.len() == 2 && r.ids[1].starts_with("GHSA-")));
        assert!(
            raws.iter()
                .all(|r| r.package.purl.is_some() && r.target == Target::file("lib/catalina.jar"))
        );
        assert!(raws.iter().any(|r| r.fixed.len() == 3));
        assert!(
            raws.iter()
                .flat_map(|r| &r.cvss)
                .any(|c| c.vector.starts_with("CVSS:4.0/") && c.score.is_some())
        );
    }

    #[test]
    fn corpus_small_files() {
        if let Some(raws) = corpus("dd-v2-no-vulns.json") {
            assert!(raws.is_empty());
        }
        if let Some(raws) = corpus("dd-v2-teamdojo-image.json") {
            assert_eq!((raws.len(), distinct_ids(&raws)), (5, 5));
            assert!(raws.iter().all(|r| r.target == Target::image("teamdojo:latest")));
            let ecos: BTreeSet<_> =
                raws.iter().filter_map(|r| r.package.ecosystem.clone()).collect();
            assert_eq!(ecos, BTreeSet::from([Ecosystem::Apk, Ecosystem::Maven]));
        }
    }
}
