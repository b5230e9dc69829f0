//! The ignore list (YAML, every entry with a reason and optionally an owner
//! and an expiry date) and OpenVEX statements, both read as suppressions.
//!
//! ```yaml
//! ignores:
//!   - id: CVE-2023-0464          # any id or alias of the finding
//!     package: openssl           # optional: a name, or a purl (any version)
//!     target: redis              # optional: an image (any tag) or a path
//!     reason: not reachable: we never verify client certificates
//!     owner: platform-team
//!     expires: 2027-01-31        # optional: hides nothing after this day
//! ```

use crate::input::Doc;
use crate::merge::Finding;
use crate::model::{Package, file_key, image_key, normalize_id, purl_without_version};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vz::Error;
use vz::error::Location;
use vz::input::{Document, Locate, parse_documents};

/// What hid a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `ignore` (the ignore list) or `vex` (an OpenVEX statement).
    pub kind: &'static str,
    /// The entry's or statement's vulnerability id.
    pub id: String,
    /// Why (the entry's reason; the statement's status and justification).
    pub reason: String,
    /// Who owns the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Until when (the entry's `expires`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where it is written (`file:line`).
    pub at: String,
}

/// An ignore entry as reported in `ignores.expired` / `ignores.unused`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryReport {
    /// The entry's id.
    pub id: String,
    /// Its package scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Its target scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Its reason.
    pub reason: String,
    /// Its owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Its expiry date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where it is written (`file:line`).
    pub at: String,
    /// How many findings it matches (an expired entry hides none of them).
    pub matches: usize,
}

/// One ignore entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The id (normalised).
    pub id: String,
    /// A package name or purl.
    pub package: Option<String>,
    /// An image or path.
    pub target: Option<String>,
    /// Why.
    pub reason: String,
    /// Who.
    pub owner: Option<String>,
    /// The last day it applies.
    pub expires: Option<Date>,
    /// Where it is written.
    pub at: Location,
}

const FIELDS: [&str; 7] = ["id", "package", "target", "reason", "owner", "expires", "purl"];

/// Reads an ignore file: a mapping with an `ignores:` list, or the list
/// itself. Every problem is reported at once, each at its line and column.
pub fn read_entries(text: &str, name: &str) -> Result<Vec<Entry>, Error> {
    let docs = parse_documents(text, name, Locate::Everything)?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    if docs.len() > 1 {
        return Err(Error::Invalid {
            at: docs[1].at.clone(),
            path: String::new(),
            message: "an ignore file is one YAML document".into(),
            suggestion: None,
        });
    }
    let (list, prefix) = match &doc.value {
        Value::Array(items) => (items, String::new()),
        Value::Object(map) => {
            let mut errors = Vec::new();
            for k in map.keys().filter(|k| *k != "ignores") {
                errors.push(unknown_field(doc, k, k, &["ignores"]));
            }
            if !errors.is_empty() {
                return Err(Error::many(errors));
            }
            match map.get("ignores") {
                Some(Value::Array(items)) => (items, "ignores".to_string()),
                Some(Value::Null) | None => return Ok(Vec::new()),
                Some(_) => return Err(invalid(doc, "ignores", "expected a list of entries")),
            }
        }
        Value::Null => return Ok(Vec::new()),
        _ => return Err(invalid(doc, "", "expected a mapping with an `ignores:` list")),
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = if prefix.is_empty() { format!("[{i}]") } else { format!("{prefix}[{i}]") };
        match read_entry(doc, &path, item) {
            Ok(e) => entries.push(e),
            Err(mut es) => errors.append(&mut es),
        }
    }
    if errors.is_empty() { Ok(entries) } else { Err(Error::many(errors)) }
}

fn read_entry(doc: &Document, path: &str, item: &Value) -> Result<Entry, Vec<Error>> {
    let Value::Object(map) = item else {
        return Err(vec![invalid(doc, path, "expected an entry (a mapping with id and reason)")]);
    };
    let mut errors = Vec::new();
    for k in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(unknown_field(doc, &format!("{path}.{k}"), k, &FIELDS));
    }
    let mut text = |key: &str, required: bool| -> Option<String> {
        let p = format!("{path}.{key}");
        match map.get(key) {
            None | Some(Value::Null) if required => {
                let what = if key == "reason" {
                    "every entry needs a reason (why it is safe to ignore), for the next reader"
                } else {
                    "required"
                };
                errors.push(Error::Invalid {
                    at: doc.locate(path, false),
                    path: p,
                    message: what.to_string(),
                    suggestion: None,
                });
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                errors.push(invalid(doc, &p, "must not be empty"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                errors.push(invalid(doc, &p, "expected text"));
                None
            }
        }
    };
    let id = text("id", true);
    let reason = text("reason", true);
    let package = text("package", false).or_else(|| text("purl", false));
    let target = text("target", false);
    let owner = text("owner", false);
    let expires_text = text("expires", false);
    let mut expires = None;
    if let Some(t) = &expires_text {
        match t.parse::<Date>() {
            Ok(d) => expires = Some(d),
            Err(_) => errors.push(invalid(
                doc,
                &format!("{path}.expires"),
                &format!("`{t}` is not a date (YYYY-MM-DD)"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Entry {
        id: normalize_id(&id.unwrap_or_default()),
        package,
        target,
        reason: reason.unwrap_or_default(),
        owner,
        expires,
        at: doc.locate(path, false),
    })
}

fn invalid(doc: &Document, path: &str, message: &str) -> Error {
    Error::Invalid {
        at: doc.locate(path, false),
        path: path.to_string(),
        message: message.to_string(),
        suggestion: None,
    }
}

fn unknown_field(doc: &Document, path: &str, key: &str, allowed: &[&str]) -> Error {
    let suggestion = vz::error::suggest(key, allowed.iter().copied());
    Error::Invalid {
        at: doc.locate(path, true),
        path: path.to_string(),
        message: format!("unknown field `{key}`; expected one of {}", allowed.join(", ")),
        suggestion,
    }
}

impl Entry {
    /// Whether the entry names this finding: its id is one of the finding's
    /// ids or aliases, and its package and target (when given) match.
    pub fn matches(&self, f: &Finding) -> bool {
        f.ids().any(|i| i == self.id)
            && self.package.as_deref().is_none_or(|p| package_matches(p, f))
            && self.target.as_deref().is_none_or(|t| target_matches(t, f))
    }

    /// Whether the entry has expired on `today` (it applies through its
    /// `expires` day).
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| d < today)
    }

    fn suppression(&self) -> Suppression {
        Suppression {
            kind: "ignore",
            id: self.id.clone(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.map(|d| d.to_string()),
            at: self.at.to_string(),
        }
    }

    fn report(&self, matches: usize) -> EntryReport {
        EntryReport {
            id: self.id.clone(),
            package: self.package.clone(),
            target: self.target.clone(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.map(|d| d.to_string()),
            at: self.at.to_string(),
            matches,
        }
    }
}

/// A package given as a purl (any version, any qualifiers: Trivy's and
/// Grype's rule) or as a name (compared as the finding's ecosystem compares
/// names).
fn package_matches(p: &str, f: &Finding) -> bool {
    if p.starts_with("pkg:") {
        let want = purl_without_version(p).to_ascii_lowercase();
        return f
            .package
            .purl
            .as_deref()
            .is_some_and(|have| purl_without_version(have).to_ascii_lowercase() == want)
            || want
                .rsplit('/')
                .next()
                .is_some_and(|name| name == f.package.key.to_ascii_lowercase());
    }
    let as_package = Package {
        name: p.to_string(),
        ecosystem: f.package.ecosystem.clone(),
        ..Package::default()
    };
    as_package.key() == f.package.key
}

/// A target given as an image (any registry, tag or digest) or a path.
fn target_matches(t: &str, f: &Finding) -> bool {
    image_key(t) == f.target.name || file_key(t) == f.target.name
}

/// The outcome of applying suppressions.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings that remain.
    pub kept: Vec<Finding>,
    /// Findings hidden, with what hid them.
    pub hidden: Vec<(Finding, Suppression)>,
    /// Expired entries, with how many findings they match.
    pub expired: Vec<EntryReport>,
    /// Entries in force that matched nothing.
    pub unused: Vec<EntryReport>,
}

/// Applies the ignore entries and VEX statements to `findings` on `today`.
/// The first entry (in file order) that matches hides a finding; VEX
/// statements come after the ignore list.
pub fn apply(
    findings: Vec<Finding>,
    entries: &[Entry],
    vex: &[VexStatement],
    today: Date,
) -> Applied {
    let mut matched = vec![0usize; entries.len()];
    let mut out = Applied::default();
    // The hidden findings are taken out of the list in place: the kept
    // ones are most of a large report, and a second list of them would
    // double the findings' memory.
    let mut kept = findings;
    let mut why = Vec::new();
    let hidden: Vec<Finding> = kept
        .extract_if(.., |f| {
            let mut by = None;
            for (i, e) in entries.iter().enumerate() {
                if e.matches(f) {
                    matched[i] += 1;
                    if by.is_none() && !e.expired(today) {
                        by = Some(e.suppression());
                    }
                }
            }
            match by.or_else(|| vex_suppression(vex, f)) {
                Some(s) => {
                    why.push(s);
                    true
                }
                None => false,
            }
        })
        .collect();
    // `extract_if` asks about each finding once, in order, and yields the
    // ones taken in that order.
    out.hidden = hidden.into_iter().zip(why).collect();
    out.kept = kept;
    for (e, n) in entries.iter().zip(matched) {
        if e.expired(today) {
            out.expired.push(e.report(n));
        } else if n == 0 {
            out.unused.push(e.report(0));
        }
    }
    out
}

/// One OpenVEX statement, flattened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability's name and aliases (normalised).
    pub ids: Vec<String>,
    /// The product identifiers (purls, image references); empty = any.
    pub products: Vec<String>,
    /// Subcomponent identifiers (purls); empty = any.
    pub subcomponents: Vec<String>,
    /// `not_affected`, `affected`, `fixed`, `under_investigation`.
    pub status: String,
    /// The justification or impact statement.
    pub why: String,
    /// Where it is written.
    pub at: String,
}

#[derive(Deserialize)]
struct OpenVex<'a> {
    #[serde(rename = "@context")]
    context: String,
    #[serde(default, borrow)]
    statements: Vec<VexStatementIn<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum VexVuln {
    Name(String),
    Object {
        #[serde(default)]
        name: Option<String>,
        #[serde(default, rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum VexProduct {
    Id(String),
    Object {
        #[serde(default, rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        identifiers: Option<std::collections::BTreeMap<String, String>>,
        #[serde(default)]
        subcomponents: Vec<VexProduct>,
    },
}

#[derive(Deserialize)]
struct VexStatementIn<'a> {
    vulnerability: VexVuln,
    #[serde(default)]
    products: Vec<VexProduct>,
    status: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default, borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
}

fn product_ids(p: &VexProduct, into: &mut Vec<String>, subs: &mut Vec<String>) {
    match p {
        VexProduct::Id(s) => into.push(s.clone()),
        VexProduct::Object { id, identifiers, subcomponents } => {
            into.extend(id.iter().cloned());
            into.extend(identifiers.iter().flat_map(|m| m.values().cloned()));
            for s in subcomponents {
                let mut ignored = Vec::new();
                product_ids(s, subs, &mut ignored);
            }
        }
    }
}

/// Reads an OpenVEX document (JSON). Statements are returned in time order
/// (by their timestamps, file order for ties), so later ones win.
pub fn read_vex(doc: &Doc<'_>) -> Result<Vec<VexStatement>, Error> {
    let vex: OpenVex<'_> = doc.typed()?;
    if !vex.context.starts_with("https://openvex.dev/ns") {
        return Err(doc.error(format!(
            "`@context` is `{}`: not an OpenVEX document (https://openvex.dev/ns/…)",
            vex.context
        )));
    }
    let mut out: Vec<(String, VexStatement)> = Vec::new();
    for (i, s) in vex.statements.into_iter().enumerate() {
        let mut ids = Vec::new();
        match s.vulnerability {
            VexVuln::Name(n) => ids.push(normalize_id(&n)),
            VexVuln::Object { name, id, aliases } => {
                ids.extend(
                    name.iter().chain(id.iter()).chain(aliases.iter()).map(|x| normalize_id(x)),
                );
            }
        }
        let (mut products, mut subcomponents) = (Vec::new(), Vec::new());
        for p in &s.products {
            product_ids(p, &mut products, &mut subcomponents);
        }
        let why = s.justification.or(s.impact_statement).unwrap_or_default();
        out.push((
            s.timestamp.map(|t| t.into_owned()).unwrap_or_default(),
            VexStatement {
                ids,
                products,
                subcomponents,
                status: s.status,
                why,
                at: format!("{} statement {}", doc.input, i + 1),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

/// The suppression from the latest VEX statement about this finding, when
/// its status is `not_affected` or `fixed`.
fn vex_suppression(vex: &[VexStatement], f: &Finding) -> Option<Suppression> {
    let last = vex.iter().rev().find(|s| {
        s.ids.iter().any(|id| f.ids().any(|fid| fid == id))
            && (s.products.is_empty() || s.products.iter().any(|p| product_matches(p, f)))
            && (s.subcomponents.is_empty() || s.subcomponents.iter().any(|p| package_matches(p, f)))
    })?;
    if last.status != "not_affected" && last.status != "fixed" {
        return None;
    }
    let reason = if last.why.is_empty() {
        last.status.clone()
    } else {
        format!("{}: {}", last.status, last.why)
    };
    Some(Suppression {
        kind: "vex",
        id: last.ids.first().cloned().unwrap_or_default(),
        reason,
        owner: None,
        expires: None,
        at: last.at.clone(),
    })
}

/// A product is the package (a purl), or the target (an image reference,
/// `pkg:oci/name`, or a path).
fn product_matches(p: &str, f: &Finding) -> bool {
    if let Some(rest) = p.strip_prefix("pkg:oci/") {
        let name = rest.split(['@', '?']).next().unwrap_or(rest);
        let repo = p.split("repository_url=").nth(1).map(|r| r.split('&').next().unwrap_or(r));
        return image_key(repo.unwrap_or(name)) == f.target.name
            || image_key(name) == f.target.name;
    }
    if p.starts_with("pkg:") {
        return package_matches(p, f);
    }
    target_matches(p, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{Policy, merge};
    use crate::model::{Ecosystem, Raw, Report, Scanner, Severity, Target};

    fn finding(ids: &[&str], name: &str, purl: Option<&str>, target: Target) -> Finding {
        let raw = Raw {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            package: Package {
                name: name.into(),
                ecosystem: Ecosystem::from_word("npm"),
                purl: purl.map(str::to_string),
                source: None,
            },
            version: "1.0.0".into(),
            fixed: Vec::new(),
            fixable: false,
            severity: Severity::High,
            severity_given: "high".into(),
            severity_from: None,
            cvss: Vec::new(),
            target,
            location: None,
            title: String::new(),
            urls: Vec::new(),
        };
        merge(
            vec![Report { scanner: Scanner::Trivy, version: None, findings: vec![raw] }],
            &Policy::Max,
        )
        .remove(0)
    }

    fn date(s: &str) -> Date {
        s.parse().expect("date")
    }

    const LIST: &str = "\
ignores:
  - id: GHSA-AAAA-BBBB-CCCC
    reason: not reachable
    owner: web
  - id: CVE-2020-2
    package: pkg:npm/lodash@4.17.4
    target: registry.io/app:9
    reason: vendored copy is patched
    expires: 2026-12-31
  - id: CVE-2020-3
    reason: expired long ago
    expires: 2025-01-01
  - id: CVE-2020-4
    package: left-pad
    reason: matches nothing
";

    #[test]
    fn entries_hide_by_alias_package_purl_and_target_until_they_expire() {
        let entries = read_entries(LIST, "ignore.yaml").expect("entries");
        assert_eq!(entries[0].at.to_string(), "ignore.yaml:2:5");
        assert_eq!(entries[1].expires, Some(date("2026-12-31")));
        let app = Target::image("app:1");
        let findings = vec![
            finding(&["CVE-2020-1", "GHSA-aaaa-bbbb-cccc"], "react", None, app.clone()),
            finding(&["CVE-2020-2"], "lodash", Some("pkg:npm/lodash@4.17.21"), app.clone()),
            finding(
                &["CVE-2020-2"],
                "lodash",
                Some("pkg:npm/lodash@4.17.21"),
                Target::image("other:1"),
            ),
            finding(&["CVE-2020-3"], "ms", None, app),
        ];
        let applied = apply(findings, &entries, &[], date("2026-11-23"));
        let hidden: Vec<(&str, &str, &str)> = applied
            .hidden
            .iter()
            .map(|(f, s)| (f.id.as_str(), f.target.name.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            hidden,
            [
                ("CVE-2020-1", "app", "not reachable"),
                ("CVE-2020-2", "app", "vendored copy is patched")
            ]
        );
        let kept: Vec<(&str, &str)> =
            applied.kept.iter().map(|f| (f.id.as_str(), f.target.name.as_str())).collect();
        assert_eq!(kept, [("CVE-2020-2", "other"), ("CVE-2020-3", "app")]);
        assert_eq!(applied.expired.len(), 1);
        assert_eq!((applied.expired[0].id.as_str(), applied.expired[0].matches), ("CVE-2020-3", 1));
        assert_eq!(
            applied.unused.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["CVE-2020-4"]
        );
        assert_eq!(applied.unused[0].at, "ignore.yaml:13:5");

        // The last day of an entry still hides; the day after does not.
        let again = |today| {
            apply(
                vec![finding(&["CVE-2020-2"], "lodash", None, Target::image("app"))],
                &entries,
                &[],
                today,
            )
        };
        assert_eq!(again(date("2026-12-31")).hidden.len(), 1);
        assert_eq!(again(date("2027-01-01")).hidden.len(), 0);
    }

    #[test]
    fn a_bare_list_is_an_ignore_file_too() {
        let entries = read_entries("- id: cve-2021-44228\n  reason: fixed by config\n", "i.yaml")
            .expect("entries");
        assert_eq!(entries[0].id, "CVE-2021-44228");
        assert!(read_entries("", "i.yaml").expect("empty").is_empty());
    }

    #[test]
    fn bad_ignore_files_say_where_and_what() {
        let err = |text: &str| read_entries(text, "i.yaml").expect_err("error").to_string();
        assert_eq!(
            err("ignores:\n  - id: CVE-1\n"),
            "i.yaml:2:5: ignores[0].reason: every entry needs a reason (why it is safe to ignore), for the next reader"
        );
        assert_eq!(
            err("ignores:\n  - id: CVE-1\n    reason: r\n    expire: 2027-01-01\n"),
            "i.yaml:4:5: ignores[0].expire: unknown field `expire`; expected one of id, package, target, reason, owner, expires, purl (did you mean `expires`?)"
        );
        assert_eq!(
            err("ignores:\n  - id: CVE-1\n    reason: r\n    expires: next year\n"),
            "i.yaml:4:14: ignores[0].expires: `next year` is not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            err("ignore:\n  - id: CVE-1\n"),
            "i.yaml:1:1: ignore: unknown field `ignore`; expected one of ignores (did you mean `ignores`?)"
        );
        assert_eq!(err("ignores: CVE-1\n"), "i.yaml:1:10: ignores: expected a list of entries");
        assert_eq!(
            err("ignores:\n  - CVE-1\n"),
            "i.yaml:2:5: ignores[0]: expected an entry (a mapping with id and reason)"
        );
        assert!(err("ignores: [\n").starts_with("i.yaml:"), "{}", err("ignores: [\n"));
        assert_eq!(
            err("- id: CVE-1\n- reason: r\n"),
            "2 problems:\n  i.yaml:1:3: [0].reason: every entry needs a reason (why it is safe to ignore), for the next reader\n  i.yaml:2:3: [1].id: required"
        );
    }

    const VEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "sec",
  "timestamp": "2026-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2020-1"}, "products": [{"@id": "pkg:oci/app?repository_url=registry.io/app"}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "timestamp": "2026-01-01T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2020-2"}, "products": [{"@id": "pkg:npm/lodash@4.17.4"}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist", "timestamp": "2026-01-01T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2020-2"}, "products": [{"@id": "pkg:npm/lodash"}],
     "status": "affected", "timestamp": "2026-02-01T00:00:00Z"},
    {"vulnerability": "GHSA-aaaa-bbbb-cccc", "status": "fixed"}
  ]
}"#;

    #[test]
    fn openvex_statements_hide_not_affected_and_fixed_and_later_ones_win() {
        let docs = crate::input::split(VEX, "a.vex.json").expect("split");
        let vex = read_vex(&docs[0]).expect("vex");
        assert_eq!(vex.len(), 4);
        let findings = vec![
            finding(&["CVE-2020-1"], "react", None, Target::image("app:2")),
            finding(&["CVE-2020-1"], "react", None, Target::image("db:2")),
            finding(
                &["CVE-2020-2"],
                "lodash",
                Some("pkg:npm/lodash@4.17.4"),
                Target::image("app:2"),
            ),
            finding(&["CVE-2020-9", "GHSA-AAAA-BBBB-CCCC"], "ms", None, Target::image("app:2")),
        ];
        let applied = apply(findings, &[], &vex, date("2026-11-23"));
        let hidden: Vec<(&str, &str, &str)> = applied
            .hidden
            .iter()
            .map(|(f, s)| (f.id.as_str(), f.target.name.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            hidden,
            [
                ("CVE-2020-1", "app", "not_affected: vulnerable_code_not_in_execute_path"),
                ("CVE-2020-9", "app", "fixed"),
            ]
        );
        // The later `affected` statement about lodash overrides the earlier not_affected.
        assert_eq!(applied.kept.len(), 2);
        assert_eq!(applied.hidden[0].1.kind, "vex");
        assert_eq!(applied.hidden[0].1.at, "a.vex.json statement 1");
    }

    #[test]
    fn a_document_that_is_not_openvex_is_refused() {
        let docs = crate::input::split(
            r#"{"@context": "https://cyclonedx.org", "statements": []}"#,
            "x.json",
        )
        .expect("split");
        assert_eq!(
            read_vex(&docs[0]).expect_err("refused").to_string(),
            "x.json:1:1: `@context` is `https://cyclonedx.org`: not an OpenVEX document (https://openvex.dev/ns/…)"
        );
        let docs = crate::input::split(r#"{"statements": []}"#, "y.json").expect("split");
        assert_eq!(
            read_vex(&docs[0]).expect_err("refused").to_string(),
            "y.json:1:18: missing field `@context`"
        );
    }
}
