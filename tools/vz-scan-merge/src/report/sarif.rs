//! SARIF 2.1.0 output for GitHub code scanning (FORMATS.md §9): one run under
//! vz-scan-merge's own driver with the source scanners as tool extensions,
//! one rule per display id, one result per finding with a stable
//! `primaryLocationLineHash` (the finding's fingerprint, which ignores the
//! image tag), and the log trimmed to GitHub's limits (results per run, the
//! gzipped size, related locations per result, extensions per run), lowest
//! severity first, with a note for each trimming decision.

use super::Merged;
use super::markdown::{cell, code};
use crate::merge::{BaselineStatus, Finding, Rating};
use crate::model::{Scanner, Severity, TargetKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use vz::text::{cut, md_cell, md_escape, one_line, path_uri};

/// SARIF text and the notes (trimming) to print on stderr.
pub struct Rendered {
    /// The SARIF log.
    pub text: String,
    /// What was trimmed to fit GitHub's limits, one line each.
    pub notes: Vec<String>,
}

/// What GitHub code scanning accepts (FORMATS.md §9).
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Results per run.
    results: usize,
    /// The size of the gzipped log, in bytes (10 MB, counted as 10,000,000
    /// to be safe).
    gzip_bytes: usize,
    /// Related locations per result.
    related: usize,
    /// Tool extensions per run.
    extensions: usize,
}

const GITHUB: Limits =
    Limits { results: 25_000, gzip_bytes: 10_000_000, related: 1000, extensions: 100 };

/// Rule descriptions are cut to this many characters (GitHub cuts at 1,000
/// and rejects more than 1,024).
const DESCRIPTION_CHARS: usize = 1000;

/// A rule's help lists at most this many of its findings.
const HELP_FINDINGS: usize = 25;

/// Renders `m` as one SARIF run; `category` is `runAutomationDetails.id`.
pub fn render(m: &Merged, category: Option<&str>) -> Rendered {
    render_with(m, category, GITHUB)
}

fn render_with(m: &Merged, category: Option<&str>, limits: Limits) -> Rendered {
    let mut order: Vec<&Finding> = m.findings.iter().collect();
    order.sort_by(|a, b| Finding::order(a, b));
    let total = order.len();
    let mut notes = Vec::new();
    let mut reasons: Vec<String> = Vec::new();

    let extensions = extensions(m, limits.extensions, &mut notes);
    let mut keep = total;
    if keep > limits.results {
        keep = limits.results;
        reasons.push(format!("GitHub accepts at most {} results per run", limits.results));
        notes.push(format!(
            "SARIF: kept the {keep} highest-severity findings of {total} (GitHub accepts at most {} results per \
             run); the full list is in -o json",
            limits.results
        ));
    }
    let mut over_size: Option<usize> = None;
    loop {
        let truncated = (keep < total).then(|| Truncated {
            dropped: total - keep,
            kept: keep,
            reason: reasons.join("; "),
        });
        let (log, capped) =
            log(m, &order[..keep], category, &extensions, truncated, limits.related);
        let text = vz::output::pretty_json(&log);
        let size = gzipped_len(&text, limits.gzip_bytes);
        if size <= limits.gzip_bytes || keep == 0 {
            if let Some(first) = over_size {
                notes.push(format!(
                    "SARIF: the gzipped log would be {first} bytes, over GitHub's limit of {} bytes: kept the {keep} \
                     highest-severity findings of {total}; the full list is in -o json",
                    limits.gzip_bytes
                ));
            }
            if size > limits.gzip_bytes {
                notes.push(format!(
                    "SARIF: even without results the gzipped log is {size} bytes, over GitHub's limit of {} bytes",
                    limits.gzip_bytes
                ));
            }
            if capped > 0 {
                notes.push(format!(
                    "SARIF: {capped} result{} had more than {} locations; the rest are left out of relatedLocations \
                     (GitHub accepts at most {} per result) and counted in properties.relatedLocationsOmitted",
                    if capped == 1 { "" } else { "s" },
                    limits.related,
                    limits.related
                ));
            }
            return Rendered { text, notes };
        }
        if over_size.is_none() {
            over_size = Some(size);
            reasons.push(format!("the gzipped log must not exceed {} bytes", limits.gzip_bytes));
        }
        // Results make up nearly all of a large log: shrink them in
        // proportion, with a margin, and measure again.
        let estimate = (keep as f64 * (limits.gzip_bytes as f64 / size as f64) * 0.95) as usize;
        keep = estimate.min(keep - 1);
    }
}

/// The gzipped size of `text` (flate2, default compression); texts that
/// would fit even uncompressed are not compressed.
fn gzipped_len(text: &str, limit: usize) -> usize {
    // Stored deflate blocks add 5 bytes per 64 KiB; gzip adds 18.
    if text.len() + text.len() / 1000 + 64 <= limit {
        return text.len();
    }
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Count(0), flate2::Compression::default());
    // Writing to a counter cannot fail.
    let _ = std::io::Write::write_all(&mut gz, text.as_bytes());
    gz.finish().map_or(usize::MAX, |c| c.0)
}

/// One tool extension per scanner that was read, with its version(s).
fn extensions(m: &Merged, limit: usize, notes: &mut Vec<String>) -> Vec<Component> {
    let mut by: BTreeMap<&Scanner, BTreeSet<&str>> = BTreeMap::new();
    for i in &m.inputs {
        if let Some(s) = &i.scanner {
            let versions = by.entry(s).or_default();
            if let Some(v) = i.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                versions.insert(v);
            }
        }
    }
    if by.len() > limit {
        notes.push(format!(
            "SARIF: {} scanners were read; tool.extensions lists the first {limit} (GitHub accepts at most {limit})",
            by.len()
        ));
    }
    by.into_iter()
        .take(limit)
        .map(|(s, v)| Component {
            name: s.name().to_string(),
            version: (!v.is_empty()).then(|| v.into_iter().collect::<Vec<_>>().join(", ")),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The log, as serialised (field order is output order).

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    extensions: &'a [Component],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Component {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 3],
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Related<'a>>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

/// A location inside the target that is not a file of the repository (a
/// file in the image, a dependency path, a workload): its text only.
#[derive(Serialize)]
struct Related<'a> {
    id: usize,
    message: TextRef<'a>,
}

#[derive(Serialize)]
struct TextRef<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints<'a> {
    primary_location_line_hash: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: Severity,
    aliases: &'a [String],
    package: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ecosystem: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    installed: &'a [String],
    fixed: &'a [String],
    fixable: bool,
    target: &'a str,
    target_kind: TargetKind,
    sources: &'a [Scanner],
    consensus: usize,
    severities: &'a [Rating],
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineStatus>,
    #[serde(skip_serializing_if = "is_zero")]
    related_locations_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct RunProperties<'a> {
    counts: &'a super::Counts,
    ignored: usize,
    gate: &'a super::Gate,
    #[serde(skip_serializing_if = "Option::is_none")]
    vz: Option<VzProperties>,
}

#[derive(Serialize)]
struct VzProperties {
    truncated: Truncated,
}

#[derive(Serialize)]
struct Truncated {
    dropped: usize,
    kept: usize,
    reason: String,
}

// ---------------------------------------------------------------------------
// Building it.

/// The log of `findings` (already in output order and trimmed), and how
/// many results had their related locations capped.
fn log<'a>(
    m: &'a Merged,
    findings: &[&'a Finding],
    category: Option<&str>,
    extensions: &'a [Component],
    truncated: Option<Truncated>,
    related_limit: usize,
) -> (Log<'a>, usize) {
    // Rules in order of first use; the map is only looked up.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut grouped: Vec<Vec<&Finding>> = Vec::new();
    let mut results = Vec::with_capacity(findings.len());
    let mut capped = 0;
    for &f in findings {
        let rule_index = *index.entry(f.id.as_str()).or_insert_with(|| {
            grouped.push(Vec::new());
            grouped.len() - 1
        });
        grouped[rule_index].push(f);
        let (r, omitted) = result(f, rule_index, related_limit);
        capped += usize::from(omitted > 0);
        results.push(r);
    }
    let rules = grouped.iter().map(|fs| rule(fs)).collect();
    let information_uri = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty());
    let automation_details = category.map(str::trim).filter(|c| !c.is_empty()).map(|c| {
        AutomationDetails { id: if c.ends_with('/') { c.to_string() } else { format!("{c}/") } }
    });
    let run = Run {
        tool: Tool {
            driver: Driver {
                name: "vz-scan-merge",
                version: env!("CARGO_PKG_VERSION"),
                information_uri,
                rules,
            },
            extensions,
        },
        automation_details,
        results,
        properties: RunProperties {
            counts: &m.counts,
            ignored: m.ignored.len(),
            gate: &m.gate,
            vz: truncated.map(|truncated| VzProperties { truncated }),
        },
    };
    (
        Log {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            version: "2.1.0",
            runs: [run],
        },
        capped,
    )
}

/// SARIF's level for a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// GitHub's `security-severity` for a rule of severity `s`: the highest CVSS
/// score of its findings inside the band of `s`, else the band's middle.
fn security_severity(findings: &[&Finding], s: Severity) -> Option<String> {
    let middle = match s {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => return None,
    };
    let best = findings
        .iter()
        .flat_map(|f| f.cvss.iter().filter_map(|c| c.score))
        .filter(|&score| score <= 10.0 && Severity::from_score(score) == s)
        .fold(None, |best: Option<f64>, score| Some(best.map_or(score, |b| b.max(score))));
    Some(format!("{:.1}", best.unwrap_or(middle)))
}

fn rule(findings: &[&Finding]) -> Rule {
    // `findings` is never empty: a rule is made for a finding.
    let id = findings.first().map_or("", |f| f.id.as_str()).to_string();
    let severity = findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Unknown);
    let title =
        findings.iter().map(|f| one_line(&f.title)).find(|t| !t.is_empty()).unwrap_or_default();
    let mut aliases: Vec<&str> = Vec::new();
    for a in findings.iter().flat_map(|f| &f.aliases) {
        if !aliases.contains(&a.as_str()) {
            aliases.push(a);
        }
    }
    aliases.sort_by(|a, b| crate::model::id_order(a, b));
    let mut urls: Vec<&str> = Vec::new();
    for u in findings.iter().flat_map(|f| &f.urls) {
        if !urls.contains(&u.as_str()) {
            urls.push(u);
        }
    }

    let short = if title.is_empty() { id.clone() } else { title.clone() };
    let mut full = if title.is_empty() { id.clone() } else { format!("{id}: {title}") };
    if !aliases.is_empty() {
        let _ = write!(full, " (also known as {})", aliases.join(", "));
    }

    let mut text = full.clone();
    let mut markdown = if title.is_empty() {
        format!("**{}**", cell(&id))
    } else {
        format!("**{}**: {}", cell(&id), md_cell(&title, DESCRIPTION_CHARS))
    };
    if !aliases.is_empty() {
        let aka: Vec<String> = aliases.iter().map(|a| code(a)).collect();
        let _ = write!(markdown, "\n\nAlso known as: {}", aka.join(", "));
    }
    markdown.push_str("\n\n| Package | Installed | Fixed in | Target | Found by |\n| --- | --- | --- | --- | --- |");
    for f in findings.iter().take(HELP_FINDINGS) {
        let installed = f.installed.join(", ");
        let space = if installed.is_empty() { "" } else { " " };
        let _ = write!(
            text,
            "\n\n{}{space}{installed} in {} ({})",
            f.package.name,
            f.target.name,
            kind(f.target.kind)
        );
        let _ = write!(text, "\n  Fixed in: {}\n  Found by: {}", fix_text(f), ratings(f));
        let _ = write!(
            markdown,
            "\n| {} | {} | {} | {} | {} |",
            code(&f.package.name),
            cell(&installed),
            cell(&fix_text(f)),
            cell(&f.target.name),
            md_cell(&ratings(f), DESCRIPTION_CHARS)
        );
    }
    if findings.len() > HELP_FINDINGS {
        let more = findings.len() - HELP_FINDINGS;
        let _ = write!(text, "\n\n… and {more} more");
        let _ = write!(markdown, "\n\n… and {more} more");
    }
    if !urls.is_empty() {
        text.push_str("\n\nReferences:");
        markdown.push_str("\n\nReferences:\n");
        for u in &urls {
            let _ = write!(text, "\n{u}");
            let _ = write!(markdown, "\n- {}", md_escape(u));
        }
    }

    Rule {
        short_description: Text { text: cut(&short, DESCRIPTION_CHARS).into_owned() },
        full_description: Text { text: cut(&full, DESCRIPTION_CHARS).into_owned() },
        default_configuration: Configuration { level: level(severity) },
        help: Help { text, markdown },
        help_uri: urls.iter().find(|u| is_web_url(u)).map(|u| (*u).to_string()),
        properties: RuleProperties {
            tags: ["security", "vulnerability", severity.name()],
            security_severity: security_severity(findings, severity),
        },
        id,
    }
}

fn kind(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Image => "image",
        TargetKind::File => "file",
    }
}

/// `3.0.8-r0, 3.1.1`, or what is known when no version is.
fn fix_text(f: &Finding) -> String {
    if !f.fixed.is_empty() {
        f.fixed.join(", ")
    } else if f.fixable {
        "a fix exists (version not given)".to_string()
    } else {
        "no fix yet".to_string()
    }
}

/// `trivy: critical (nvd), grype: high`.
fn ratings(f: &Finding) -> String {
    let mut out = String::new();
    for r in &f.severities {
        if !out.is_empty() {
            out.push_str(", ");
        }
        let _ = write!(out, "{}: {}", r.source, r.severity);
        if let Some(from) = r.from.as_deref().filter(|s| !s.is_empty()) {
            let _ = write!(out, " ({from})");
        }
    }
    out
}

/// An absolute http(s) URL that is safe as a `helpUri`.
pub(crate) fn is_web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && !u.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '\\' | '^' | '`' | '{' | '|' | '}')
        })
}

/// The alert title comes first: `CVE-X in pkg 1.2.3 (target): title.`, then
/// the fix.
fn message(f: &Finding) -> String {
    let mut s = format!("{} in {}", f.id, f.package.name);
    if !f.installed.is_empty() {
        let _ = write!(s, " {}", f.installed.join(", "));
    }
    let _ = write!(s, " ({})", f.target.name);
    let title = one_line(&f.title);
    let title = title.trim_end_matches('.');
    if !title.is_empty() {
        let _ = write!(s, ": {title}");
    }
    if !f.fixed.is_empty() {
        let _ = write!(s, ". Fixed in {}.", f.fixed.join(", "));
    } else if f.fixable {
        s.push_str(". A fix exists (version not given).");
    } else {
        s.push_str(". No fix yet.");
    }
    s
}

/// Lockfiles and manifests: a finding located in one of them (inside an
/// image) points there, the file a fix would change.
const LOCKFILES: [&str; 22] = [
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "requirements.txt",
    "Gemfile.lock",
    "go.mod",
    "go.sum",
    "Cargo.lock",
    "composer.lock",
    "packages.lock.json",
    "pom.xml",
    "gradle.lockfile",
    "mix.lock",
    "pubspec.lock",
    "Podfile.lock",
    "conan.lock",
];

fn is_lockfile(location: &str) -> bool {
    let l = location.trim();
    if l.is_empty() || l.contains(char::is_whitespace) {
        return false;
    }
    let name = l.rsplit(['/', '\\']).next().unwrap_or(l);
    LOCKFILES.contains(&name) || name.ends_with(".deps.json")
}

/// The result of `f`, and how many of its locations were left out.
fn result(f: &Finding, rule_index: usize, related_limit: usize) -> (SarifResult<'_>, usize) {
    let lockfile = match f.target.kind {
        TargetKind::Image => f.locations.iter().find(|l| is_lockfile(l)),
        TargetKind::File => None,
    };
    let uri = path_uri(lockfile.map_or(f.target.name.as_str(), String::as_str));
    let others: Vec<&String> = f.locations.iter().filter(|l| Some(*l) != lockfile).collect();
    let omitted = others.len().saturating_sub(related_limit);
    let related_locations = others
        .into_iter()
        .take(related_limit)
        .enumerate()
        .map(|(i, l)| Related { id: i + 1, message: TextRef { text: l } })
        .collect();
    let r = SarifResult {
        rule_id: &f.id,
        rule_index,
        level: level(f.severity),
        message: Text { text: message(f) },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: Region { start_line: 1 },
            },
        }],
        related_locations,
        partial_fingerprints: Fingerprints { primary_location_line_hash: &f.fingerprint },
        baseline_state: f.baseline.map(|b| match b {
            BaselineStatus::New => "new",
            BaselineStatus::Unchanged => "unchanged",
        }),
        properties: ResultProperties {
            severity: f.severity,
            aliases: &f.aliases,
            package: &f.package.name,
            ecosystem: f.package.ecosystem.as_ref().map(|e| e.name()),
            purl: f.package.purl.as_deref(),
            installed: &f.installed,
            fixed: &f.fixed,
            fixable: f.fixable,
            target: &f.target.name,
            target_kind: f.target.kind,
            sources: &f.sources,
            consensus: f.sources.len(),
            severities: &f.severities,
            baseline: f.baseline,
            related_locations_omitted: omitted,
        },
    };
    (r, omitted)
}

/// A small hand-built [`Merged`] that the tests of every format render.
#[cfg(test)]
pub(crate) mod fixture {
    use crate::ignore::{EntryReport, Suppression};
    use crate::merge::{BaselineStatus, Finding, PackageOut, Rating, TargetOut, fingerprint};
    use crate::model::{
        Cvss, Ecosystem, Package, Scanner, Severity, TargetKind, file_key, image_key,
    };
    use crate::report::{Counts, Disagreement, Gate, IgnoreAudit, Ignored, InputInfo, Merged};

    /// A finding reported by one `source` with no fix, no CVSS, no location.
    pub(crate) fn finding(
        id: &str,
        package: &str,
        version: &str,
        severity: Severity,
        target: &str,
    ) -> Finding {
        let (kind, key) =
            if target.contains(".json") || target.contains(".lock") || target.ends_with(".txt") {
                (TargetKind::File, file_key(target))
            } else {
                (TargetKind::Image, image_key(target))
            };
        let key_of = Package { name: package.into(), ..Package::default() }.key();
        Finding {
            id: id.into(),
            aliases: Vec::new(),
            package: PackageOut {
                name: package.into(),
                key: key_of.clone(),
                ecosystem: None,
                purl: None,
                source: None,
            },
            installed: vec![version.into()],
            fixed: Vec::new(),
            fixable: false,
            severity,
            severities: vec![rating(Scanner::Trivy, severity, None)],
            cvss: Vec::new(),
            target: TargetOut { name: key.clone(), kind, given: vec![target.into()] },
            locations: Vec::new(),
            title: String::new(),
            urls: Vec::new(),
            sources: vec![Scanner::Trivy],
            records: 1,
            fingerprint: fingerprint(id, &key_of, &key),
            baseline: None,
        }
    }

    /// A rating as a scanner would give it (`given` upper-case).
    pub(crate) fn rating(source: Scanner, severity: Severity, from: Option<&str>) -> Rating {
        Rating {
            source,
            severity,
            given: severity.name().to_ascii_uppercase(),
            from: from.map(str::to_string),
        }
    }

    /// `m` with its counts and disagreements computed from its findings.
    pub(crate) fn merged(findings: Vec<Finding>, gate: Gate) -> Merged {
        Merged {
            counts: Counts::of(&findings),
            disagreements: Disagreement::of(&findings),
            ignored: Vec::new(),
            ignores: IgnoreAudit::default(),
            fixed: None,
            inputs: Vec::new(),
            gate,
            findings,
        }
    }

    /// A gate at `fail_on` over `findings` (no other filter).
    pub(crate) fn gate(fail_on: Option<Severity>, findings: &[Finding]) -> Gate {
        let failing = fail_on.map_or(0, |l| findings.iter().filter(|f| f.severity >= l).count());
        Gate {
            fail_on,
            fixable_only: false,
            require_consensus: 1,
            only_new: false,
            failing,
            passed: failing == 0,
        }
    }

    /// Nothing found, nothing read but one empty report, no gate.
    pub(crate) fn empty() -> Merged {
        let mut m = merged(Vec::new(), gate(None, &[]));
        m.inputs = vec![input("trivy.json", Some(Scanner::Trivy), Some("0.59.1"), 0)];
        m
    }

    fn input(
        name: &str,
        scanner: Option<Scanner>,
        version: Option<&str>,
        records: usize,
    ) -> InputInfo {
        InputInfo {
            input: name.into(),
            document: 1,
            format: scanner.as_ref().map_or("empty", |s| s.name()).to_string(),
            scanner,
            version: version.map(str::to_string),
            records,
        }
    }

    /// Four findings (critical, high, medium, unknown; two share a rule),
    /// a disagreement, two ignored findings (ignore list and VEX), an
    /// expired and an unused ignore entry, a baseline with one fixed
    /// finding, five inputs, and a failed gate at high.
    pub(crate) fn sample() -> Merged {
        let mut log4j = finding(
            "CVE-2021-44228",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            Severity::Critical,
            "registry.example.com/acme/app:1.4",
        );
        log4j.aliases = vec!["GHSA-jfh8-c2jp-5v3q".into()];
        log4j.package.ecosystem = Some(Ecosystem::Maven);
        log4j.package.purl = Some("pkg:maven/org.apache.logging.log4j/log4j-core".into());
        log4j.fixed = vec!["2.15.0".into()];
        log4j.fixable = true;
        log4j.severities = vec![
            rating(Scanner::Trivy, Severity::Critical, Some("ghsa")),
            rating(Scanner::Snyk, Severity::High, None),
        ];
        log4j.sources = vec![Scanner::Trivy, Scanner::Snyk];
        log4j.records = 2;
        log4j.cvss =
            vec![Cvss::from_vector("nvd", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", None)];
        log4j.locations = vec!["app/lib/log4j-core-2.14.1.jar".into()];
        log4j.title = "Remote code injection in Log4j".into();
        log4j.urls = vec![
            "https://avd.aquasec.com/nvd/cve-2021-44228".into(),
            "https://nvd.nist.gov/vuln/detail/CVE-2021-44228".into(),
        ];
        log4j.baseline = Some(BaselineStatus::New);

        let mut semver =
            finding("CVE-2022-25883", "semver", "7.3.7", Severity::High, "./package-lock.json");
        semver.aliases = vec!["GHSA-c2qf-rxjj-qqgw".into()];
        semver.package.ecosystem = Some(Ecosystem::Npm);
        semver.fixed = vec!["7.5.2".into()];
        semver.fixable = true;
        semver.severities = vec![
            rating(Scanner::Snyk, Severity::High, None),
            rating(Scanner::Npm, Severity::High, None),
        ];
        semver.sources = vec![Scanner::Snyk, Scanner::Npm];
        semver.cvss =
            vec![Cvss::from_vector("ghsa", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", None)];
        semver.locations = vec!["make-dir@3.1.0 > semver@7.3.7".into(), "semver@7.3.7".into()];
        semver.title = "semver vulnerable to Regular Expression Denial of Service".into();
        semver.urls = vec!["https://github.com/advisories/GHSA-c2qf-rxjj-qqgw".into()];
        semver.baseline = Some(BaselineStatus::Unchanged);

        let mut worker = finding(
            "CVE-2021-44228",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            Severity::Medium,
            "acme/worker:2.0",
        );
        worker.aliases = vec!["GHSA-jfh8-c2jp-5v3q".into()];
        worker.package.ecosystem = Some(Ecosystem::Maven);
        worker.fixable = true;
        worker.severities = vec![rating(Scanner::Grype, Severity::Medium, None)];
        worker.sources = vec![Scanner::Grype];
        worker.locations =
            vec!["srv/worker/lib/log4j-core-2.14.1.jar".into(), "srv/worker/pom.xml".into()];
        worker.title = "Remote code injection in Log4j".into();
        worker.baseline = Some(BaselineStatus::Unchanged);

        let mut leftpad = finding(
            "OSV-2024-1",
            "@acme/left-pad",
            "1.0.0",
            Severity::Unknown,
            "web/package-lock.json",
        );
        leftpad.package.ecosystem = Some(Ecosystem::Npm);
        leftpad.severities = vec![Rating {
            source: Scanner::Osv,
            severity: Severity::Unknown,
            given: String::new(),
            from: None,
        }];
        leftpad.sources = vec![Scanner::Osv];
        leftpad.title = "=HYPERLINK(\"http://x\") | <b>pad</b>\nsecond line".into();
        leftpad.baseline = Some(BaselineStatus::New);

        let findings = vec![log4j, semver, worker, leftpad];
        let mut m = merged(
            findings,
            Gate {
                fail_on: Some(Severity::High),
                fixable_only: false,
                require_consensus: 1,
                only_new: false,
                failing: 2,
                passed: false,
            },
        );

        let mut gnupg = finding("CVE-2022-3219", "gnupg", "2.2.27-2", Severity::Low, "acme/app");
        gnupg.package.ecosystem = Some(Ecosystem::Deb);
        let mut ssl = finding("CVE-2023-0286", "libssl3", "3.0.7-r0", Severity::High, "acme/app");
        ssl.package.ecosystem = Some(Ecosystem::Apk);
        m.ignored = vec![
            Ignored {
                finding: gnupg,
                suppressed_by: Suppression {
                    kind: "ignore",
                    id: "CVE-2022-3219".into(),
                    reason: "not reachable | we never <verify> signatures".into(),
                    owner: Some("@acme/platform".into()),
                    expires: Some("2027-01-31".into()),
                    at: ".vz-ignore.yaml:3".into(),
                },
            },
            Ignored {
                finding: ssl,
                suppressed_by: Suppression {
                    kind: "vex",
                    id: "CVE-2023-0286".into(),
                    reason: "not_affected: vulnerable_code_not_in_execute_path".into(),
                    owner: None,
                    expires: None,
                    at: "vex.json:1".into(),
                },
            },
        ];
        m.ignores = IgnoreAudit {
            expired: vec![EntryReport {
                id: "CVE-2020-8911".into(),
                package: Some("github.com/aws/aws-sdk-go".into()),
                target: None,
                reason: "no fix upstream".into(),
                owner: None,
                expires: Some("2024-01-31".into()),
                at: ".vz-ignore.yaml:9".into(),
                matches: 1,
            }],
            unused: vec![EntryReport {
                id: "CVE-2019-10744".into(),
                package: None,
                target: Some("acme/app".into()),
                reason: "old".into(),
                owner: Some("alice".into()),
                expires: None,
                at: ".vz-ignore.yaml:15".into(),
                matches: 0,
            }],
        };
        let mut qs = finding("CVE-2022-24999", "qs", "6.5.2", Severity::High, "package-lock.json");
        qs.package.ecosystem = Some(Ecosystem::Npm);
        m.fixed = Some(vec![qs]);
        m.inputs = vec![
            input("trivy.json", Some(Scanner::Trivy), Some("0.59.1"), 1),
            input("snyk.json", Some(Scanner::Snyk), None, 3),
            input("npm-audit.json", Some(Scanner::Npm), None, 1),
            input("grype.json", Some(Scanner::Grype), Some("0.87.0"), 1),
            input("osv.json", Some(Scanner::Osv), Some("1.9.2"), 1),
        ];
        m
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{empty, finding, gate, merged, sample};
    use super::*;
    use crate::model::{Cvss, Package, Raw, Report, Target};
    use serde_json::Value;

    /// The SARIF 2.1.0 schema of the shared fixtures, with formats
    /// (`uri`, `uri-reference`) checked; `None` (said loudly) when the
    /// fixtures are missing.
    fn validator() -> Option<jsonschema::Validator> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/schemas/sarif-2.1.0.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
                Some(
                    jsonschema::options()
                        .should_validate_formats(true)
                        .build(&schema)
                        .expect("the schema compiles"),
                )
            }
            Err(e) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!(
                        "SKIPPED: SARIF schema validation: {} not readable ({e})",
                        path.display()
                    );
                }
                None
            }
        }
    }

    fn assert_valid(text: &str) {
        let Some(v) = validator() else { return };
        let doc: Value = serde_json::from_str(text).expect("SARIF output is JSON");
        let errors: Vec<String> =
            v.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "schema violations:\n{}", errors.join("\n"));
    }

    /// `doc` with the crate's version (and informationUri, when the
    /// package names a repository) filled in.
    fn expected(doc: &str) -> String {
        let mut driver = format!("\"version\": \"{}\",\n", env!("CARGO_PKG_VERSION"));
        if let Some(uri) = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
            .into_iter()
            .find(|u| !u.is_empty())
        {
            driver.push_str(&format!("          \"informationUri\": \"{uri}\",\n"));
        }
        doc.replace("\"version\": \"{VERSION}\",\n", &driver)
    }

    fn gzipped(text: &str) -> usize {
        gzipped_len(text, 0)
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("SARIF output is JSON")
    }

    #[test]
    fn the_sample_as_a_whole_document() {
        let r = render(&sample(), Some("images"));
        assert_eq!(r.notes, Vec::<String>::new());
        assert_eq!(r.text, expected(SAMPLE));
        assert_valid(&r.text);
    }

    #[test]
    fn the_schema_check_catches_a_broken_log() {
        let Some(v) = validator() else { return };
        let mut doc = json(&render(&sample(), None).text);
        assert!(v.is_valid(&doc));
        doc["runs"][0]["results"][0]["level"] = "fatal".into();
        assert!(!v.is_valid(&doc));
        let mut doc = json(&render(&sample(), None).text);
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            "a b:".into();
        assert!(!v.is_valid(&doc), "formats are checked");
    }

    #[test]
    fn nothing_found_is_an_empty_results_array() {
        let r = render(&empty(), None);
        assert_eq!(r.notes, Vec::<String>::new());
        assert_eq!(r.text, expected(EMPTY));
        assert_valid(&r.text);
    }

    #[test]
    fn a_category_ends_with_a_slash_once() {
        let m = empty();
        let id = |c| json(&render(&m, c).text)["runs"][0]["automationDetails"]["id"].clone();
        assert_eq!(id(Some("trivy/app")), "trivy/app/");
        assert_eq!(id(Some("app/")), "app/");
        assert_eq!(id(Some("  ")), Value::Null);
        assert_eq!(id(None), Value::Null);
    }

    fn raw(target: &str) -> Raw {
        Raw {
            ids: vec!["CVE-2023-0464".into(), "GHSA-aaaa-bbbb-cccc".into()],
            package: Package { name: "libssl3".into(), ..Package::default() },
            version: "3.0.7-r0".into(),
            fixed: vec!["3.0.8-r1".into()],
            fixable: true,
            severity: Severity::High,
            severity_given: "HIGH".into(),
            severity_from: Some("nvd".into()),
            cvss: vec![Cvss::from_vector(
                "nvd",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                None,
            )],
            target: Target::image(target),
            location: Some("lib/apk/db/installed".into()),
            title: "openssl: Denial of service by excessive resource usage".into(),
            urls: vec!["https://avd.aquasec.com/nvd/cve-2023-0464".into()],
        }
    }

    #[test]
    fn fingerprints_and_the_whole_log_do_not_change_with_the_image_tag() {
        let run = |reference: &str| {
            let report =
                Report { scanner: Scanner::Trivy, version: None, findings: vec![raw(reference)] };
            let findings = crate::merge::merge(vec![report], &crate::merge::Policy::Max);
            let m = merged(findings, gate(None, &[]));
            render(&m, None).text
        };
        let v14 = run("registry.example.com/acme/app:1.4");
        let v15 = run("registry.example.com/acme/app:1.5");
        let digest = run("acme/app@sha256:7b2e1c0f");
        let hash =
            &json(&v14)["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"];
        assert_eq!(hash.as_str().map(str::len), Some(32));
        assert_eq!(
            hash,
            &json(&v15)["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"]
        );
        assert_eq!(v14, v15);
        assert_eq!(v14, digest);
        let other = run("registry.example.com/acme/api:1.4");
        assert_ne!(
            hash,
            &json(&other)["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"]
        );
    }

    const WIDE: Limits =
        Limits { results: 25_000, gzip_bytes: 10_000_000, related: 1000, extensions: 100 };

    #[test]
    fn over_the_result_limit_the_lowest_severities_go_with_their_rules() {
        let r = render_with(&sample(), None, Limits { results: 2, ..WIDE });
        assert_eq!(
            r.notes,
            [
                "SARIF: kept the 2 highest-severity findings of 4 (GitHub accepts at most 2 results per run); the full \
              list is in -o json"
            ]
        );
        let doc = json(&r.text);
        let run = &doc["runs"][0];
        let ids: Vec<&str> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["CVE-2021-44228", "CVE-2022-25883"]);
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["CVE-2021-44228", "CVE-2022-25883"]);
        assert_eq!(
            run["properties"]["vz"],
            serde_json::json!({"truncated": {"dropped": 2, "kept": 2, "reason": "GitHub accepts at most 2 results per run"}})
        );
        // The counts still describe everything merged.
        assert_eq!(run["properties"]["counts"]["total"], 4);
        assert_valid(&r.text);
    }

    #[test]
    fn over_the_size_limit_the_lowest_severities_go_first() {
        let m = sample();
        let full = gzipped(&render(&m, None).text);
        let limit = full - 1;
        let r = render_with(&m, None, Limits { gzip_bytes: limit, ..WIDE });
        assert!(gzipped(&r.text) <= limit);
        let doc = json(&r.text);
        let truncated = &doc["runs"][0]["properties"]["vz"]["truncated"];
        let kept = truncated["kept"].as_u64().unwrap() as usize;
        assert!(kept < 4);
        assert_eq!(truncated["dropped"].as_u64().unwrap() as usize, 4 - kept);
        assert_eq!(truncated["reason"], format!("the gzipped log must not exceed {limit} bytes"));
        let fps: Vec<&Value> = doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["partialFingerprints"])
            .collect();
        let want: Vec<Value> = m.findings[..kept]
            .iter()
            .map(|f| serde_json::json!({"primaryLocationLineHash": f.fingerprint}))
            .collect();
        assert_eq!(fps, want.iter().collect::<Vec<_>>());
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].starts_with("SARIF: the gzipped log would be "), "{}", r.notes[0]);
        assert!(
            r.notes[0].ends_with(&format!(
                " bytes, over GitHub's limit of {limit} bytes: kept the {kept} highest-severity findings of 4; the \
                 full list is in -o json"
            )),
            "{}",
            r.notes[0]
        );
        assert_eq!(render_with(&m, None, Limits { gzip_bytes: limit, ..WIDE }).text, r.text);
        assert_valid(&r.text);
    }

    #[test]
    fn many_findings_are_trimmed_to_the_size_in_a_few_steps() {
        let findings: Vec<Finding> = (0..600)
            .map(|i| {
                let s = Severity::ALL[4 - i % 5];
                let mut f = finding(
                    &format!("CVE-2024-{:05}", i),
                    &format!("pkg{i}"),
                    "1.0",
                    s,
                    "acme/app",
                );
                f.title =
                    format!("a title that is not the same for finding {i} {}", i * 7919 % 1000);
                f
            })
            .collect();
        let mut findings = findings;
        findings.sort_by(Finding::order);
        let m = merged(findings, gate(None, &[]));
        let limit = 20_000;
        let r = render_with(&m, None, Limits { results: 500, gzip_bytes: limit, ..WIDE });
        assert!(gzipped(&r.text) <= limit);
        let doc = json(&r.text);
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty() && results.len() < 500, "{}", results.len());
        // What is left is the head of the order: no kept finding is lower
        // than a dropped one.
        let lowest_kept = results.last().unwrap()["properties"]["severity"].clone();
        let first_dropped = serde_json::to_value(m.findings[results.len()].severity).unwrap();
        let rank =
            |v: &Value| Severity::ALL.iter().position(|s| serde_json::to_value(s).unwrap() == *v);
        assert!(rank(&lowest_kept) >= rank(&first_dropped));
        let truncated = &doc["runs"][0]["properties"]["vz"]["truncated"];
        assert_eq!(
            truncated["reason"],
            format!(
                "GitHub accepts at most 500 results per run; the gzipped log must not exceed {limit} bytes"
            )
        );
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
        assert_valid(&r.text);
    }

    #[test]
    fn a_log_that_cannot_fit_keeps_no_result_and_says_so() {
        let r = render_with(&sample(), None, Limits { gzip_bytes: 100, ..WIDE });
        let doc = json(&r.text);
        assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
        assert_eq!(doc["runs"][0]["tool"]["driver"]["rules"], serde_json::json!([]));
        assert_eq!(doc["runs"][0]["properties"]["vz"]["truncated"]["kept"], 0);
        assert_eq!(r.notes.len(), 2);
        assert!(
            r.notes[1].starts_with("SARIF: even without results the gzipped log is "),
            "{}",
            r.notes[1]
        );
    }

    #[test]
    fn related_locations_are_capped_per_result() {
        let r = render_with(&sample(), None, Limits { related: 1, ..WIDE });
        assert_eq!(
            r.notes,
            [
                "SARIF: 1 result had more than 1 locations; the rest are left out of relatedLocations (GitHub accepts \
              at most 1 per result) and counted in properties.relatedLocationsOmitted"
            ]
        );
        let doc = json(&r.text);
        let semver = &doc["runs"][0]["results"][1];
        assert_eq!(
            semver["relatedLocations"],
            serde_json::json!([{"id": 1, "message": {"text": "make-dir@3.1.0 > semver@7.3.7"}}])
        );
        assert_eq!(semver["properties"]["relatedLocationsOmitted"], 1);
        assert_eq!(
            doc["runs"][0]["results"][0]["properties"]["relatedLocationsOmitted"],
            Value::Null
        );
        assert_valid(&r.text);
    }

    #[test]
    fn extensions_are_capped_and_join_versions() {
        let mut m = sample();
        m.inputs[2].scanner = Some(Scanner::Trivy);
        m.inputs[2].version = Some("0.50.0".into());
        let r = render_with(&m, None, Limits { extensions: 2, ..WIDE });
        assert_eq!(
            r.notes,
            [
                "SARIF: 4 scanners were read; tool.extensions lists the first 2 (GitHub accepts at most 2)"
            ]
        );
        assert_eq!(
            json(&r.text)["runs"][0]["tool"]["extensions"],
            serde_json::json!([{"name": "trivy", "version": "0.50.0, 0.59.1"}, {"name": "grype", "version": "0.87.0"}])
        );
    }

    #[test]
    fn security_severity_lies_in_the_chosen_band() {
        let with_scores = |s: Severity, scores: &[f64]| {
            let mut f = finding("CVE-1", "p", "1", s, "app");
            f.cvss = scores
                .iter()
                .map(|&x| Cvss { source: "nvd".into(), vector: String::new(), score: Some(x) })
                .collect();
            f
        };
        let ss = |s: Severity, scores: &[f64]| security_severity(&[&with_scores(s, scores)], s);
        assert_eq!(ss(Severity::Critical, &[7.5, 9.1, 10.5]).as_deref(), Some("9.1"));
        assert_eq!(ss(Severity::Critical, &[7.5]).as_deref(), Some("9.5"));
        assert_eq!(ss(Severity::High, &[9.8, 7.2, 8.1]).as_deref(), Some("8.1"));
        assert_eq!(ss(Severity::High, &[7.0]).as_deref(), Some("7.0"));
        assert_eq!(ss(Severity::Medium, &[]).as_deref(), Some("5.5"));
        assert_eq!(ss(Severity::Low, &[0.0, 5.0]).as_deref(), Some("2.0"));
        assert_eq!(ss(Severity::Low, &[3.9]).as_deref(), Some("3.9"));
        assert_eq!(ss(Severity::Unknown, &[9.8]), None);
        // A rule takes the highest severity of its findings, and a score of
        // any of them inside that band.
        let a = with_scores(Severity::Medium, &[9.3]);
        let b = with_scores(Severity::Critical, &[]);
        let r = rule(&[&b, &a]);
        assert_eq!(r.properties.security_severity.as_deref(), Some("9.3"));
        assert_eq!(r.properties.tags, ["security", "vulnerability", "critical"]);
        assert_eq!(r.default_configuration.level, "error");
    }

    #[test]
    fn long_descriptions_are_cut_and_help_lists_at_most_25_findings() {
        let findings: Vec<Finding> = (0..30)
            .map(|i| {
                let mut f = finding("CVE-2024-1", &format!("pkg{i:02}"), "1", Severity::Low, "app");
                f.title = "x".repeat(2000);
                f
            })
            .collect();
        let mut findings = findings;
        let long_url = format!("https://example.com/{}", "a".repeat(200));
        findings[0].urls = vec![long_url.clone()];
        let refs: Vec<&Finding> = findings.iter().collect();
        let r = rule(&refs);
        assert!(r.help.markdown.starts_with(&format!("**CVE-2024-1**: {}…\n\n", "x".repeat(999))));
        assert!(r.help.markdown.contains(&format!("\n- {long_url}")));
        assert_eq!(r.help_uri.as_deref(), Some(long_url.as_str()));
        assert_eq!(r.short_description.text.chars().count(), 1000);
        assert!(
            r.full_description.text.starts_with("CVE-2024-1: xxx")
                && r.full_description.text.ends_with("x…")
        );
        assert_eq!(r.full_description.text.chars().count(), 1000);
        assert!(
            r.help.text.contains("\npkg24 1 in app (image)\n") && !r.help.text.contains("pkg25")
        );
        assert!(r.help.text.contains("\n\n… and 5 more\n\nReferences:\n"), "{}", r.help.text);
        assert!(r.help.markdown.contains("\n\n… and 5 more\n\nReferences:\n"));
    }

    #[test]
    fn messages_say_the_fix() {
        let mut f = finding("CVE-1", "p", "1.0", Severity::Low, "app");
        assert_eq!(message(&f), "CVE-1 in p 1.0 (app). No fix yet.");
        f.title = "  A bad\nthing.  ".into();
        f.fixed = vec!["1.1".into(), "2.0".into()];
        f.installed = vec!["1.0".into(), "1.0.1".into()];
        assert_eq!(message(&f), "CVE-1 in p 1.0, 1.0.1 (app): A bad thing. Fixed in 1.1, 2.0.");
        f.installed.clear();
        f.fixed.clear();
        f.fixable = true;
        assert_eq!(message(&f), "CVE-1 in p (app): A bad thing. A fix exists (version not given).");
    }

    #[test]
    fn locations_become_uri_references() {
        let uri = |target: &str, location: &str| {
            let mut f = finding("CVE-1", "p", "1.0", Severity::Low, target);
            f.target.name = target.into();
            f.target.kind = TargetKind::Image;
            f.locations = vec![location.into()];
            let (r, _) = result(&f, 0, 10);
            r.locations[0].physical_location.artifact_location.uri.clone()
        };
        assert_eq!(uri("acme/app:1.0", "usr/lib/x"), "acme/app%3A1.0");
        assert_eq!(uri("acme/app", "./srv/a%b/package-lock.json"), "srv/a%25b/package-lock.json");
        assert_eq!(uri("acme/app", "/app/package-lock.json"), "file:///app/package-lock.json");
        assert!(is_lockfile("srv/worker/pom.xml"));
        assert!(is_lockfile("/app/bin/App.deps.json"));
        assert!(is_lockfile("C:\\src\\yarn.lock"));
        assert!(!is_lockfile("usr/lib/node_modules/x/package.json"));
        assert!(!is_lockfile("make-dir@3.1.0 > semver@7.3.7"));
        assert!(!is_lockfile("redis:latest (debian 11.6)"));
        assert!(is_web_url("https://github.com/advisories/GHSA-c2qf-rxjj-qqgw"));
        assert!(!is_web_url("https://x y"));
        assert!(!is_web_url("ftp://x"));
    }

    const EMPTY: &str = r#"{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [
    {
      "tool": {
        "driver": {
          "name": "vz-scan-merge",
          "version": "{VERSION}",
          "rules": []
        },
        "extensions": [
          {
            "name": "trivy",
            "version": "0.59.1"
          }
        ]
      },
      "results": [],
      "properties": {
        "counts": {
          "total": 0,
          "by_severity": {
            "unknown": 0,
            "low": 0,
            "medium": 0,
            "high": 0,
            "critical": 0
          },
          "by_source": {},
          "by_target": {}
        },
        "ignored": 0,
        "gate": {
          "fail_on": null,
          "fixable_only": false,
          "require_consensus": 1,
          "only_new": false,
          "failing": 0,
          "passed": true
        }
      }
    }
  ]
}
"#;

    const SAMPLE: &str = r#"{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [
    {
      "tool": {
        "driver": {
          "name": "vz-scan-merge",
          "version": "{VERSION}",
          "rules": [
            {
              "id": "CVE-2021-44228",
              "shortDescription": {
                "text": "Remote code injection in Log4j"
              },
              "fullDescription": {
                "text": "CVE-2021-44228: Remote code injection in Log4j (also known as GHSA-jfh8-c2jp-5v3q)"
              },
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "text": "CVE-2021-44228: Remote code injection in Log4j (also known as GHSA-jfh8-c2jp-5v3q)\n\norg.apache.logging.log4j:log4j-core 2.14.1 in acme/app (image)\n  Fixed in: 2.15.0\n  Found by: trivy: critical (ghsa), snyk: high\n\norg.apache.logging.log4j:log4j-core 2.14.1 in acme/worker (image)\n  Fixed in: a fix exists (version not given)\n  Found by: grype: medium\n\nReferences:\nhttps://avd.aquasec.com/nvd/cve-2021-44228\nhttps://nvd.nist.gov/vuln/detail/CVE-2021-44228",
                "markdown": "**CVE-2021-44228**: Remote code injection in Log4j\n\nAlso known as: `GHSA-jfh8-c2jp-5v3q`\n\n| Package | Installed | Fixed in | Target | Found by |\n| --- | --- | --- | --- | --- |\n| `org.apache.logging.log4j:log4j-core` | 2.14.1 | 2.15.0 | acme/app | trivy: critical (ghsa), snyk: high |\n| `org.apache.logging.log4j:log4j-core` | 2.14.1 | a fix exists (version not given) | acme/worker | grype: medium |\n\nReferences:\n\n- https://avd.aquasec.com/nvd/cve-2021-44228\n- https://nvd.nist.gov/vuln/detail/CVE-2021-44228"
              },
              "helpUri": "https://avd.aquasec.com/nvd/cve-2021-44228",
              "properties": {
                "tags": [
                  "security",
                  "vulnerability",
                  "critical"
                ],
                "security-severity": "10.0"
              }
            },
            {
              "id": "CVE-2022-25883",
              "shortDescription": {
                "text": "semver vulnerable to Regular Expression Denial of Service"
              },
              "fullDescription": {
                "text": "CVE-2022-25883: semver vulnerable to Regular Expression Denial of Service (also known as GHSA-c2qf-rxjj-qqgw)"
              },
              "defaultConfiguration": {
                "level": "error"
              },
              "help": {
                "text": "CVE-2022-25883: semver vulnerable to Regular Expression Denial of Service (also known as GHSA-c2qf-rxjj-qqgw)\n\nsemver 7.3.7 in package-lock.json (file)\n  Fixed in: 7.5.2\n  Found by: snyk: high, npm: high\n\nReferences:\nhttps://github.com/advisories/GHSA-c2qf-rxjj-qqgw",
                "markdown": "**CVE-2022-25883**: semver vulnerable to Regular Expression Denial of Service\n\nAlso known as: `GHSA-c2qf-rxjj-qqgw`\n\n| Package | Installed | Fixed in | Target | Found by |\n| --- | --- | --- | --- | --- |\n| `semver` | 7.3.7 | 7.5.2 | package-lock.json | snyk: high, npm: high |\n\nReferences:\n\n- https://github.com/advisories/GHSA-c2qf-rxjj-qqgw"
              },
              "helpUri": "https://github.com/advisories/GHSA-c2qf-rxjj-qqgw",
              "properties": {
                "tags": [
                  "security",
                  "vulnerability",
                  "high"
                ],
                "security-severity": "7.5"
              }
            },
            {
              "id": "OSV-2024-1",
              "shortDescription": {
                "text": "=HYPERLINK(\"http://x\") | <b>pad</b> second line"
              },
              "fullDescription": {
                "text": "OSV-2024-1: =HYPERLINK(\"http://x\") | <b>pad</b> second line"
              },
              "defaultConfiguration": {
                "level": "note"
              },
              "help": {
                "text": "OSV-2024-1: =HYPERLINK(\"http://x\") | <b>pad</b> second line\n\n@acme/left-pad 1.0.0 in web/package-lock.json (file)\n  Fixed in: no fix yet\n  Found by: osv: unknown",
                "markdown": "**OSV-2024-1**: =HYPERLINK(\"http://x\") \\| &lt;b&gt;pad&lt;/b&gt; second line\n\n| Package | Installed | Fixed in | Target | Found by |\n| --- | --- | --- | --- | --- |\n| `@acme/left-pad` | 1.0.0 | no fix yet | web/package-lock.json | osv: unknown |"
              },
              "properties": {
                "tags": [
                  "security",
                  "vulnerability",
                  "unknown"
                ]
              }
            }
          ]
        },
        "extensions": [
          {
            "name": "trivy",
            "version": "0.59.1"
          },
          {
            "name": "grype",
            "version": "0.87.0"
          },
          {
            "name": "snyk"
          },
          {
            "name": "osv",
            "version": "1.9.2"
          },
          {
            "name": "npm"
          }
        ]
      },
      "automationDetails": {
        "id": "images/"
      },
      "results": [
        {
          "ruleId": "CVE-2021-44228",
          "ruleIndex": 0,
          "level": "error",
          "message": {
            "text": "CVE-2021-44228 in org.apache.logging.log4j:log4j-core 2.14.1 (acme/app): Remote code injection in Log4j. Fixed in 2.15.0."
          },
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "acme/app"
                },
                "region": {
                  "startLine": 1
                }
              }
            }
          ],
          "relatedLocations": [
            {
              "id": 1,
              "message": {
                "text": "app/lib/log4j-core-2.14.1.jar"
              }
            }
          ],
          "partialFingerprints": {
            "primaryLocationLineHash": "d1d5e3d7c9fa218713c0fd9e0b9ddafa"
          },
          "baselineState": "new",
          "properties": {
            "severity": "critical",
            "aliases": [
              "GHSA-jfh8-c2jp-5v3q"
            ],
            "package": "org.apache.logging.log4j:log4j-core",
            "ecosystem": "maven",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
            "installed": [
              "2.14.1"
            ],
            "fixed": [
              "2.15.0"
            ],
            "fixable": true,
            "target": "acme/app",
            "targetKind": "image",
            "sources": [
              "trivy",
              "snyk"
            ],
            "consensus": 2,
            "severities": [
              {
                "source": "trivy",
                "severity": "critical",
                "given": "CRITICAL",
                "from": "ghsa"
              },
              {
                "source": "snyk",
                "severity": "high",
                "given": "HIGH"
              }
            ],
            "baseline": "new"
          }
        },
        {
          "ruleId": "CVE-2022-25883",
          "ruleIndex": 1,
          "level": "error",
          "message": {
            "text": "CVE-2022-25883 in semver 7.3.7 (package-lock.json): semver vulnerable to Regular Expression Denial of Service. Fixed in 7.5.2."
          },
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "package-lock.json"
                },
                "region": {
                  "startLine": 1
                }
              }
            }
          ],
          "relatedLocations": [
            {
              "id": 1,
              "message": {
                "text": "make-dir@3.1.0 > semver@7.3.7"
              }
            },
            {
              "id": 2,
              "message": {
                "text": "semver@7.3.7"
              }
            }
          ],
          "partialFingerprints": {
            "primaryLocationLineHash": "d2f9452e6ba6ee7319e672567f39ff37"
          },
          "baselineState": "unchanged",
          "properties": {
            "severity": "high",
            "aliases": [
              "GHSA-c2qf-rxjj-qqgw"
            ],
            "package": "semver",
            "ecosystem": "npm",
            "installed": [
              "7.3.7"
            ],
            "fixed": [
              "7.5.2"
            ],
            "fixable": true,
            "target": "package-lock.json",
            "targetKind": "file",
            "sources": [
              "snyk",
              "npm"
            ],
            "consensus": 2,
            "severities": [
              {
                "source": "snyk",
                "severity": "high",
                "given": "HIGH"
              },
              {
                "source": "npm",
                "severity": "high",
                "given": "HIGH"
              }
            ],
            "baseline": "unchanged"
          }
        },
        {
          "ruleId": "CVE-2021-44228",
          "ruleIndex": 0,
          "level": "warning",
          "message": {
            "text": "CVE-2021-44228 in org.apache.logging.log4j:log4j-core 2.14.1 (acme/worker): Remote code injection in Log4j. A fix exists (version not given)."
          },
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "srv/worker/pom.xml"
                },
                "region": {
                  "startLine": 1
                }
              }
            }
          ],
          "relatedLocations": [
            {
              "id": 1,
              "message": {
                "text": "srv/worker/lib/log4j-core-2.14.1.jar"
              }
            }
          ],
          "partialFingerprints": {
            "primaryLocationLineHash": "a1891a363ed32f9fe8b434f685f52b82"
          },
          "baselineState": "unchanged",
          "properties": {
            "severity": "medium",
            "aliases": [
              "GHSA-jfh8-c2jp-5v3q"
            ],
            "package": "org.apache.logging.log4j:log4j-core",
            "ecosystem": "maven",
            "installed": [
              "2.14.1"
            ],
            "fixed": [],
            "fixable": true,
            "target": "acme/worker",
            "targetKind": "image",
            "sources": [
              "grype"
            ],
            "consensus": 1,
            "severities": [
              {
                "source": "grype",
                "severity": "medium",
                "given": "MEDIUM"
              }
            ],
            "baseline": "unchanged"
          }
        },
        {
          "ruleId": "OSV-2024-1",
          "ruleIndex": 2,
          "level": "note",
          "message": {
            "text": "OSV-2024-1 in @acme/left-pad 1.0.0 (web/package-lock.json): =HYPERLINK(\"http://x\") | <b>pad</b> second line. No fix yet."
          },
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "web/package-lock.json"
                },
                "region": {
                  "startLine": 1
                }
              }
            }
          ],
          "partialFingerprints": {
            "primaryLocationLineHash": "b59b42f56352c54174c5edcc24c4b9e5"
          },
          "baselineState": "new",
          "properties": {
            "severity": "unknown",
            "aliases": [],
            "package": "@acme/left-pad",
            "ecosystem": "npm",
            "installed": [
              "1.0.0"
            ],
            "fixed": [],
            "fixable": false,
            "target": "web/package-lock.json",
            "targetKind": "file",
            "sources": [
              "osv"
            ],
            "consensus": 1,
            "severities": [
              {
                "source": "osv",
                "severity": "unknown",
                "given": ""
              }
            ],
            "baseline": "new"
          }
        }
      ],
      "properties": {
        "counts": {
          "total": 4,
          "by_severity": {
            "unknown": 1,
            "low": 0,
            "medium": 1,
            "high": 1,
            "critical": 1
          },
          "by_source": {
            "grype": 1,
            "npm": 1,
            "osv": 1,
            "snyk": 2,
            "trivy": 1
          },
          "by_target": {
            "acme/app": 1,
            "acme/worker": 1,
            "package-lock.json": 1,
            "web/package-lock.json": 1
          }
        },
        "ignored": 2,
        "gate": {
          "fail_on": "high",
          "fixable_only": false,
          "require_consensus": 1,
          "only_new": false,
          "failing": 2,
          "passed": false
        }
      }
    }
  ]
}
"#;
}
