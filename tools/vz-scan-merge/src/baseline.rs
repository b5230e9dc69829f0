//! `--baseline previous.json`: a previous run's JSON output. Each finding is
//! marked new or unchanged, and the baseline's findings that are gone are
//! listed as fixed.
//!
//! A finding is the same as a baseline finding when the target and package
//! are the same and their ids overlap (an alias may have been added since,
//! changing the display id: it is still the same finding).

use crate::input::Doc;
use crate::merge::{BaselineStatus, Finding, PackageOut, TargetOut};
use crate::model::{Ecosystem, Package, TargetKind};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use vz::Error;

/// One finding of the baseline, as much of it as is compared and shown.
#[derive(Deserialize, Clone, Debug)]
pub struct Previous {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    package: PreviousPackage,
    target: PreviousTarget,
    #[serde(default)]
    installed: Vec<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    fixable: bool,
    #[serde(default = "unknown")]
    severity: crate::model::Severity,
    #[serde(default)]
    title: String,
    #[serde(default)]
    fingerprint: String,
}

fn unknown() -> crate::model::Severity {
    crate::model::Severity::Unknown
}

#[derive(Deserialize, Clone, Debug)]
struct PreviousPackage {
    name: String,
    #[serde(default)]
    ecosystem: Option<String>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize, Clone, Debug)]
struct PreviousTarget {
    name: String,
    #[serde(default = "file_kind")]
    kind: TargetKind,
}

fn file_kind() -> TargetKind {
    TargetKind::File
}

#[derive(Deserialize)]
struct PreviousReport {
    findings: Vec<Previous>,
}

/// Reads a previous run's JSON output.
pub fn read(doc: &Doc<'_>) -> Result<Vec<Previous>, Error> {
    let report: PreviousReport = doc.typed().map_err(|e| match e {
        Error::Invalid { at, path, message, suggestion } => Error::Invalid {
            at,
            path,
            message: format!(
                "{message} (a baseline is the JSON output of an earlier vz-scan-merge run)"
            ),
            suggestion,
        },
        other => other,
    })?;
    Ok(report.findings)
}

impl Previous {
    fn package_key(&self) -> String {
        Package {
            name: self.package.name.clone(),
            ecosystem: self.package.ecosystem.as_deref().and_then(Ecosystem::from_word),
            purl: self.package.purl.clone(),
            source: None,
        }
        .key()
    }

    /// The baseline finding as a finding (for the `fixed` list).
    fn into_finding(self) -> Finding {
        let key = self.package_key();
        Finding {
            id: self.id,
            aliases: self.aliases,
            package: PackageOut {
                name: self.package.name,
                key,
                ecosystem: self.package.ecosystem.as_deref().and_then(Ecosystem::from_word),
                purl: self.package.purl,
                source: None,
            },
            installed: self.installed,
            fixed: self.fixed,
            fixable: self.fixable,
            severity: self.severity,
            severities: Vec::new(),
            cvss: Vec::new(),
            target: TargetOut { name: self.target.name, kind: self.target.kind, given: Vec::new() },
            locations: Vec::new(),
            title: self.title,
            urls: Vec::new(),
            sources: Vec::new(),
            records: 0,
            fingerprint: self.fingerprint,
            baseline: None,
        }
    }
}

/// Marks each finding new or unchanged against `previous`; returns the
/// previous findings that are gone.
pub fn compare(findings: &mut [Finding], previous: Vec<Previous>) -> Vec<Finding> {
    // (target, package) → previous indices
    let mut by_place: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, p) in previous.iter().enumerate() {
        by_place.entry((p.target.name.clone(), p.package_key())).or_default().push(i);
    }
    let mut seen: HashSet<usize> = HashSet::new();
    for f in findings.iter_mut() {
        let ids: HashSet<&str> = f.ids().collect();
        let hit = by_place
            .get(&(f.target.name.clone(), f.package.key.clone()))
            .into_iter()
            .flatten()
            .filter(|&&i| {
                let p = &previous[i];
                std::iter::once(&p.id)
                    .chain(&p.aliases)
                    .any(|id| ids.contains(crate::model::normalize_id(id).as_str()))
            })
            .copied()
            .collect::<Vec<_>>();
        f.baseline =
            Some(if hit.is_empty() { BaselineStatus::New } else { BaselineStatus::Unchanged });
        seen.extend(hit);
    }
    let mut fixed: Vec<Finding> = previous
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !seen.contains(i))
        .map(|(_, p)| p.into_finding())
        .collect();
    fixed.sort_by(Finding::order);
    fixed
}
