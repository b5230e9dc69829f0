//! What every parser produces: one [`Raw`] record per finding as a scanner
//! wrote it, normalised only as far as comparing needs (ids, severities,
//! package names, targets). Merging happens in [`crate::merge`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// The scanner that reported a finding. Two inputs from the same scanner
/// (Grype JSON and Grype SARIF) are one source for consensus.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub enum Scanner {
    /// Aqua Trivy.
    Trivy,
    /// Anchore Grype.
    Grype,
    /// Snyk (Open Source, Container).
    Snyk,
    /// OSV-Scanner.
    Osv,
    /// `npm audit`.
    Npm,
    /// Any other SARIF producer, by its lower-cased driver name.
    Other(String),
}

impl Scanner {
    /// The scanner named by a SARIF `tool.driver.name` (`Trivy`, `Grype`,
    /// `Snyk Open Source`, `Snyk Container`, `osv-scanner`, …).
    pub fn from_driver(name: &str) -> Scanner {
        let lower = name.trim().to_ascii_lowercase();
        if lower.starts_with("trivy") {
            Scanner::Trivy
        } else if lower.starts_with("grype") || lower.starts_with("anchore") {
            Scanner::Grype
        } else if lower.starts_with("snyk") {
            Scanner::Snyk
        } else if lower.starts_with("osv") {
            Scanner::Osv
        } else if lower.starts_with("npm") {
            Scanner::Npm
        } else {
            Scanner::Other(lower)
        }
    }

    /// The name used in output and in `--severity source-order:…`.
    pub fn name(&self) -> &str {
        match self {
            Scanner::Trivy => "trivy",
            Scanner::Grype => "grype",
            Scanner::Snyk => "snyk",
            Scanner::Osv => "osv",
            Scanner::Npm => "npm",
            Scanner::Other(n) => n,
        }
    }
}

impl From<Scanner> for String {
    fn from(s: Scanner) -> String {
        s.name().to_string()
    }
}

impl fmt::Display for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The common five-level scale (plus unknown), ordered: `Unknown < Low <
/// Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not rated, or a word no scale knows.
    Unknown,
    /// Low, and also Grype's `Negligible` and npm's `info`.
    Low,
    /// Medium, and npm's/GHSA's `moderate`.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All levels, lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Unknown, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// Any scanner's word, case-insensitive: `CRITICAL`, `High`, `moderate`,
    /// `Negligible` (→ low), `info` (→ low), `none`/`unknown`/anything else
    /// (→ unknown).
    pub fn from_word(word: &str) -> Severity {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" | "info" | "informational" => Severity::Low,
            _ => Severity::Unknown,
        }
    }

    /// Trivy's `VendorSeverity` integers: 0 unknown … 4 critical.
    pub fn from_trivy_int(n: i64) -> Severity {
        match n {
            1 => Severity::Low,
            2 => Severity::Medium,
            3 => Severity::High,
            4 => Severity::Critical,
            _ => Severity::Unknown,
        }
    }

    /// A CVSS base score (0.0–10.0) by the bands GitHub and CVSS use:
    /// ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low, else unknown.
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }

    /// The lower-case name (`critical`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One CVSS rating as a source gave it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cvss {
    /// Who rated (`nvd`, `redhat`, `ghsa`, `NVD`, …), or the scanner's name
    /// when the report does not say.
    pub source: String,
    /// The vector (`CVSS:3.1/AV:N/…`), empty when only a score was given.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vector: String,
    /// The base score, when given or computable from the vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl Cvss {
    /// A rating from a vector, with its base score computed when the vector
    /// is CVSS v3.x (the `cvss` crate); `score` wins when given.
    pub fn from_vector(source: &str, vector: &str, score: Option<f64>) -> Cvss {
        let score = score.or_else(|| score_of_vector(vector));
        Cvss { source: source.to_string(), vector: vector.trim().to_string(), score }
    }
}

/// The base score of a CVSS v3.0/v3.1 vector; `None` for other versions or
/// a vector that does not parse.
pub fn score_of_vector(vector: &str) -> Option<f64> {
    let v = vector.trim();
    if !v.starts_with("CVSS:3.") {
        return None;
    }
    let base: cvss::v3::Base = v.parse().ok()?;
    Some(base.score().value())
}

/// A package ecosystem, by its purl type where there is one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub enum Ecosystem {
    /// Debian/Ubuntu packages (`deb`).
    Deb,
    /// RPM packages (`rpm`).
    Rpm,
    /// Alpine packages (`apk`).
    Apk,
    /// npm (`npm`).
    Npm,
    /// PyPI (`pypi`): names compare case-, `-`, `_` and `.`-insensitively.
    Pypi,
    /// Maven (`maven`, `group:artifact`).
    Maven,
    /// Go modules (`golang`): module paths are case-sensitive.
    Go,
    /// RubyGems (`gem`).
    Gem,
    /// crates.io (`cargo`).
    Cargo,
    /// Packagist (`composer`).
    Composer,
    /// NuGet (`nuget`).
    Nuget,
    /// Anything else, by the lower-cased word the report used.
    Other(String),
}

impl Ecosystem {
    /// Any scanner's word for an ecosystem: Trivy `Type` (`debian`,
    /// `python-pkg`, `gobinary`, `jar`…), Grype `artifact.type` (`deb`,
    /// `python`, `java-archive`, `go-module`…), Snyk `packageManager`
    /// (`deb`, `pip`, `gomodules`, `maven`…), OSV `ecosystem` (`PyPI`,
    /// `crates.io`, `Packagist`…), a purl type. Case-insensitive.
    pub fn from_word(word: &str) -> Option<Ecosystem> {
        let w = word.trim().to_ascii_lowercase();
        let e =
            match w.as_str() {
                "" => return None,
                "deb" | "debian" | "ubuntu" | "dpkg" => Ecosystem::Deb,
                "rpm" | "redhat" | "centos" | "rocky" | "alma" | "almalinux" | "amazon"
                | "oracle" | "fedora" | "suse" | "opensuse" | "sles" | "photon" | "cbl-mariner"
                | "azurelinux" => Ecosystem::Rpm,
                "apk" | "alpine" | "wolfi" | "chainguard" => Ecosystem::Apk,
                "npm" | "node-pkg" | "nodejs" | "node.js" | "yarn" | "pnpm" | "javascript"
                | "js" => Ecosystem::Npm,
                "pypi" | "pip" | "pipenv" | "poetry" | "python" | "python-pkg" | "uv" | "conda" => {
                    Ecosystem::Pypi
                }
                "maven" | "jar" | "java-archive" | "java" | "gradle" | "pom" | "sbt" => {
                    Ecosystem::Maven
                }
                "go" | "golang" | "gomod" | "gomodules" | "gobinary" | "go-module" => Ecosystem::Go,
                "gem" | "gems" | "gemspec" | "rubygems" | "bundler" | "ruby" => Ecosystem::Gem,
                "cargo" | "crates.io" | "rust" | "rust-crate" | "rustbinary" => Ecosystem::Cargo,
                "composer" | "packagist" | "php" | "php-composer" => Ecosystem::Composer,
                "nuget" | "dotnet-core" | "dotnet" | "dotnet-deps" | ".net" => Ecosystem::Nuget,
                _ => Ecosystem::Other(w),
            };
        Some(e)
    }

    /// The purl type (`deb`, `pypi`, `golang`…).
    pub fn name(&self) -> &str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "golang",
            Ecosystem::Gem => "gem",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Other(w) => w,
        }
    }
}

impl From<Ecosystem> for String {
    fn from(e: Ecosystem) -> String {
        e.name().to_string()
    }
}

/// A package as a scanner named it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    /// The name: the **binary** package for OS packages (`libc6`, `login`),
    /// `group:artifact` for Maven, the module path for Go, `@scope/name` for
    /// npm. As written (case kept).
    pub name: String,
    /// The ecosystem, when the report says.
    pub ecosystem: Option<Ecosystem>,
    /// The package URL, when the report has one (with or without version).
    pub purl: Option<String>,
    /// The source package for OS packages (Snyk `packageName`, Grype
    /// `upstreams`), when known and different from `name`.
    pub source: Option<String>,
}

impl Package {
    /// The name as compared: lower-cased unless the ecosystem is
    /// case-sensitive (Go, Maven, RubyGems, Cargo); PyPI names also fold
    /// runs of `-`, `_` and `.` into `-` (PEP 503). An unknown ecosystem
    /// (most SARIF producers do not say) folds case, since most ecosystems
    /// are case-insensitive.
    pub fn key(&self) -> String {
        let eco =
            self.ecosystem.as_ref().or(purl_ecosystem(self.purl.as_deref()).as_ref()).cloned();
        match eco {
            Some(Ecosystem::Go | Ecosystem::Maven | Ecosystem::Gem | Ecosystem::Cargo) => {
                self.name.trim().to_string()
            }
            Some(Ecosystem::Pypi) => pep503(&self.name),
            _ => self.name.trim().to_lowercase(),
        }
    }
}

fn purl_ecosystem(purl: Option<&str>) -> Option<Ecosystem> {
    let rest = purl?.strip_prefix("pkg:")?;
    Ecosystem::from_word(rest.split('/').next()?)
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A purl without its version, qualifiers and subpath
/// (`pkg:deb/debian/libc6@2.31?arch=arm64` → `pkg:deb/debian/libc6`).
pub fn purl_without_version(purl: &str) -> &str {
    let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
    &purl[..end]
}

/// What was scanned: an image (compared without registry, tag and digest)
/// or a file/directory (compared with `/` separators, without `./`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// The identity compared when merging (see [`Target::image`],
    /// [`Target::file`]).
    pub key: String,
    /// Whether it is an image.
    pub kind: TargetKind,
    /// The name as the report gave it (`redis:latest`, `./package-lock.json`).
    pub given: String,
}

/// The kinds of target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A container image.
    Image,
    /// A file, lockfile or directory.
    File,
}

impl Target {
    /// An image reference: the identity drops the registry host, the
    /// `library/` of Docker Hub, the tag and the digest, so
    /// `us-west1-docker.pkg.dev/p/r/app:v1@sha256:…`, `p/r/app` and
    /// `docker-image|…/p/r/app@v2` are one target, as are `redis:latest`
    /// and `docker.io/library/redis`.
    pub fn image(reference: &str) -> Target {
        Target {
            key: image_key(reference),
            kind: TargetKind::Image,
            given: reference.trim().to_string(),
        }
    }

    /// A file or directory path: `\` becomes `/`, a leading `./` or `/`
    /// and a trailing `/` are dropped, and an absolute path under the
    /// current directory is made relative to it.
    pub fn file(path: &str) -> Target {
        Target { key: file_key(path), kind: TargetKind::File, given: path.trim().to_string() }
    }
}

/// See [`Target::image`].
pub fn image_key(reference: &str) -> String {
    let mut r = reference.trim();
    if let Some((_, rest)) = r.split_once('|') {
        r = rest; // Snyk's `docker-image|name`
    }
    if let Some(at) = r.find('@') {
        r = &r[..at];
    }
    // A tag is a `:` after the last `/` (a `:` before it is a registry port).
    let last_slash = r.rfind('/').map_or(0, |i| i + 1);
    if let Some(colon) = r[last_slash..].find(':') {
        r = &r[..last_slash + colon];
    }
    let mut parts: Vec<&str> = r.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains('.') || first.contains(':') || first == "localhost" {
            parts.remove(0);
        }
    }
    if parts.len() == 2 && parts[0] == "library" {
        parts.remove(0);
    }
    parts.join("/").to_lowercase()
}

/// See [`Target::file`].
pub fn file_key(path: &str) -> String {
    let mut p = path.trim().trim_matches('"').replace('\\', "/");
    if p.starts_with('/')
        && let Ok(cwd) = std::env::current_dir()
        && let Some(cwd) = cwd.to_str()
        && let Some(rest) = p.strip_prefix(cwd.trim_end_matches('/'))
        && rest.starts_with('/')
    {
        p = rest.to_string();
    }
    let mut s = p.as_str();
    loop {
        if let Some(r) = s.strip_prefix("./") {
            s = r;
        } else if let Some(r) = s.strip_prefix('/') {
            s = r;
        } else {
            break;
        }
    }
    let s = s.trim_end_matches('/');
    if s.is_empty() { ".".to_string() } else { s.to_string() }
}

/// One finding as one scanner reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Raw {
    /// The vulnerability id first, then every alias the report gives (GHSA,
    /// distro, vendor and Snyk ids), normalised with [`normalize_id`].
    pub ids: Vec<String>,
    /// The package.
    pub package: Package,
    /// The installed version, as written (`1:4.8.1-1`, `v1.1.0`); empty
    /// when the report does not say.
    pub version: String,
    /// The fixed versions (Trivy's comma-separated list split; Snyk
    /// `fixedIn`; Grype `fix.versions`; OSV the `fixed` events of the
    /// range holding the installed version). Empty when there is no fix.
    pub fixed: Vec<String>,
    /// Whether a fix exists: a fixed version is known, or the report says
    /// one is available (Trivy `Status: fixed`, Grype `fix.state: fixed`,
    /// Snyk `isUpgradable`/`isPatchable`, npm `fixAvailable`).
    pub fixable: bool,
    /// The scanner's own rating, normalised.
    pub severity: Severity,
    /// The rating as written (`Negligible`, `MODERATE`, `9.8`).
    pub severity_given: String,
    /// Who the scanner says rated it, when it says (Trivy
    /// `SeveritySource`, Grype namespace, `nvd` for Snyk `nvdSeverity`).
    pub severity_from: Option<String>,
    /// CVSS ratings.
    pub cvss: Vec<Cvss>,
    /// What was scanned.
    pub target: Target,
    /// Where inside the target (a file in the image, a lockfile, a
    /// dependency path `a > b > c`), when known.
    pub location: Option<String>,
    /// A one-line title.
    pub title: String,
    /// Advisory URLs.
    pub urls: Vec<String>,
}

/// One report: a scanner, its version when it says, and its findings.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The scanner.
    pub scanner: Scanner,
    /// Its version (`0.59.1`), when the report says.
    pub version: Option<String>,
    /// The findings, in the report's order.
    pub findings: Vec<Raw>,
}

/// An id in its canonical spelling: `CVE-…` upper-case, `GHSA-` with a
/// lower-case body (`GHSA-jfh8-c2jp-5v3q`), other ids trimmed as written.
pub fn normalize_id(id: &str) -> String {
    normalize_owned_id(id.trim().to_string())
}

/// [`normalize_id`] in place: an id already in its canonical spelling (as
/// the parsers make them) is returned as it is, without allocating.
pub fn normalize_owned_id(mut id: String) -> String {
    id.truncate(id.trim_end().len());
    let blank = id.len() - id.trim_start().len();
    id.drain(..blank);
    if id.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("GHSA-")) {
        id[..5].make_ascii_uppercase();
        id[5..].make_ascii_lowercase();
    } else if id.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("CVE-")) {
        id.make_ascii_uppercase();
    }
    id
}

/// How an id ranks as the finding's display id (lower is preferred): CVE,
/// then GHSA, then ecosystem ids (PYSEC, GO, RUSTSEC…), then vendor ids
/// (SNYK, DSA, npm advisory numbers…).
pub fn id_rank(id: &str) -> u8 {
    if id.starts_with("CVE-") {
        0
    } else if id.starts_with("GHSA-") {
        1
    } else if ["PYSEC-", "GO-", "RUSTSEC-", "OSV-", "MAL-", "GSD-", "BIT-"]
        .iter()
        .any(|p| id.starts_with(p))
    {
        2
    } else {
        3
    }
}

/// Orders ids for display: by [`id_rank`], then by year and number for
/// `CVE-YYYY-N` (so `CVE-2020-9999` before `CVE-2020-10000`), then as text.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn numbers(id: &str) -> (u64, u64) {
        let mut it = id.split('-').skip(1).map(|p| p.parse::<u64>().unwrap_or(u64::MAX));
        (it.next().unwrap_or(u64::MAX), it.next().unwrap_or(u64::MAX))
    }
    id_rank(a).cmp(&id_rank(b)).then_with(|| numbers(a).cmp(&numbers(b))).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_words_of_every_scanner() {
        for (w, s) in [
            ("CRITICAL", Severity::Critical),
            ("High", Severity::High),
            ("moderate", Severity::Medium),
            ("MODERATE", Severity::Medium),
            ("Negligible", Severity::Low),
            ("info", Severity::Low),
            ("UNKNOWN", Severity::Unknown),
            ("", Severity::Unknown),
            ("whatever", Severity::Unknown),
        ] {
            assert_eq!(Severity::from_word(w), s, "{w}");
        }
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
    }

    #[test]
    fn score_bands() {
        assert_eq!(Severity::from_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_score(8.9), Severity::High);
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Unknown);
    }

    #[test]
    fn cvss_v3_vectors_are_scored_and_v4_is_not() {
        let c = Cvss::from_vector("nvd", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None);
        assert_eq!(c.score, Some(9.8));
        assert_eq!(
            score_of_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            None
        );
        assert_eq!(score_of_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
    }

    #[test]
    fn images_compare_without_registry_tag_and_digest() {
        let k = image_key("us-west1-docker.pkg.dev/cloudy-build/vulctl/node-demo:v0.0.6");
        assert_eq!(k, "cloudy-build/vulctl/node-demo");
        assert_eq!(image_key("cloudy-build/vulctl/node-demo"), k);
        assert_eq!(
            image_key("docker-image|us-west1-docker.pkg.dev/cloudy-build/vulctl/node-demo@v0.0.6"),
            k
        );
        assert_eq!(
            image_key("us-west1-docker.pkg.dev/cloudy-build/vulctl/node-demo@sha256:7b2e"),
            k
        );
        assert_eq!(image_key("redis:latest"), "redis");
        assert_eq!(image_key("docker.io/library/redis"), "redis");
        assert_eq!(image_key("localhost:5000/app:1"), "app");
        assert_eq!(image_key("docker-image|redis"), "redis");
    }

    #[test]
    fn files_compare_with_forward_slashes_and_no_dot() {
        assert_eq!(file_key("./package-lock.json"), "package-lock.json");
        assert_eq!(file_key("app\\pom.xml"), "app/pom.xml");
        assert_eq!(file_key("\".\""), ".");
        assert_eq!(file_key("/requirements.txt"), "requirements.txt");
    }

    #[test]
    fn package_keys_follow_the_ecosystem() {
        let p = |name: &str, eco: &str| Package {
            name: name.into(),
            ecosystem: Ecosystem::from_word(eco),
            ..Package::default()
        };
        assert_eq!(p("Flask", "pip").key(), p("flask", "python").key());
        assert_eq!(p("zope.interface", "PyPI").key(), "zope-interface");
        assert_eq!(p("Zope_Interface", "").key(), "zope_interface");
        assert_ne!(
            p("github.com/Sirupsen/logrus", "gomod").key(),
            p("github.com/sirupsen/logrus", "gomod").key()
        );
        let purl = Package {
            name: "Django".into(),
            purl: Some("pkg:pypi/django@1.11".into()),
            ..Package::default()
        };
        assert_eq!(purl.key(), "django");
    }

    #[test]
    fn ids_are_spelled_one_way_and_cve_comes_first() {
        assert_eq!(normalize_id(" cve-2021-44228 "), "CVE-2021-44228");
        assert_eq!(normalize_id("GHSA-JFH8-C2JP-5V3Q"), "GHSA-jfh8-c2jp-5v3q");
        assert_eq!(normalize_id("SNYK-JS-LODASH-567746"), "SNYK-JS-LODASH-567746");
        assert_eq!(normalize_id("ghsa-JFH8-c2jp-5V3Q "), "GHSA-jfh8-c2jp-5v3q");
        assert_eq!(normalize_id("Cve-2021-1a"), "CVE-2021-1A");
        // A character across byte 4 or 5: no prefix, no panic.
        assert_eq!(normalize_id("CVEé-1"), "CVEé-1");
        assert_eq!(normalize_id("GHSAé-1"), "GHSAé-1");
        // An id already canonical, or only padded, keeps its allocation.
        assert_eq!(normalize_owned_id("\t cve-1 ".to_string()), "CVE-1");
        let id = String::from(" GHSA-jfh8-c2jp-5v3q\n");
        let at = id.as_ptr();
        let kept = normalize_owned_id(id);
        assert_eq!((kept.as_str(), kept.as_ptr()), ("GHSA-jfh8-c2jp-5v3q", at));
        let mut ids = vec![
            "SNYK-X-1",
            "GHSA-aaaa-bbbb-cccc",
            "CVE-2020-10000",
            "PYSEC-2020-1",
            "CVE-2020-9999",
        ];
        ids.sort_by(|a, b| id_order(a, b));
        assert_eq!(
            ids,
            ["CVE-2020-9999", "CVE-2020-10000", "GHSA-aaaa-bbbb-cccc", "PYSEC-2020-1", "SNYK-X-1"]
        );
        assert_eq!(
            purl_without_version("pkg:deb/debian/libc6@2.31?arch=arm64"),
            "pkg:deb/debian/libc6"
        );
    }
}
