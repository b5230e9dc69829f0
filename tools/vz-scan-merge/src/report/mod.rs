//! The merged result ([`Merged`], whose serialisation is the canonical JSON
//! output, written by [`json`]) and its renderings: [`sarif`], [`csv`],
//! [`markdown`], [`table`].
//! Every format is rendered from the same [`Merged`], and the exit status is
//! decided before any of them runs.

pub mod csv;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;

use crate::ignore::{EntryReport, Suppression};
use crate::merge::Finding;
use crate::model::{Scanner, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything a run found, in output order.
#[derive(Clone, Debug, Serialize)]
pub struct Merged {
    /// The findings that remain after ignores and VEX, highest severity
    /// first.
    pub findings: Vec<Finding>,
    /// Counts of the remaining findings.
    pub counts: Counts,
    /// Findings whose sources rate them at least one level apart.
    pub disagreements: Vec<Disagreement>,
    /// Findings hidden by an ignore entry or a VEX statement, with it.
    pub ignored: Vec<Ignored>,
    /// Ignore entries that have expired (they hide nothing any more) and
    /// entries that matched nothing.
    pub ignores: IgnoreAudit,
    /// With `--baseline`: the baseline's findings that are gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Vec<Finding>>,
    /// Every report read.
    pub inputs: Vec<InputInfo>,
    /// The gate's settings and verdict.
    pub gate: Gate,
}

/// Counts of the remaining findings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    /// All remaining findings.
    pub total: usize,
    /// By chosen severity (every level present, zero or not).
    pub by_severity: BTreeMap<Severity, usize>,
    /// By scanner that reported them (a finding counts for each).
    pub by_source: BTreeMap<String, usize>,
    /// By target.
    pub by_target: BTreeMap<String, usize>,
}

impl Counts {
    /// Counts `findings`.
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts { total: findings.len(), ..Counts::default() };
        for s in Severity::ALL {
            c.by_severity.insert(s, 0);
        }
        for f in findings {
            *c.by_severity.entry(f.severity).or_default() += 1;
            for s in &f.sources {
                *c.by_source.entry(s.name().to_string()).or_default() += 1;
            }
            *c.by_target.entry(f.target.name.clone()).or_default() += 1;
        }
        c
    }
}

/// A finding its sources rate differently.
#[derive(Clone, Debug, Serialize)]
pub struct Disagreement {
    /// The finding's display id.
    pub id: String,
    /// The package name.
    pub package: String,
    /// The target.
    pub target: String,
    /// The severity chosen by the policy.
    pub chosen: Severity,
    /// Each scanner's (highest) rating, highest first.
    pub ratings: Vec<SourceRating>,
}

/// One scanner's rating in a [`Disagreement`].
#[derive(Clone, Debug, Serialize)]
pub struct SourceRating {
    /// The scanner.
    pub source: Scanner,
    /// Its rating.
    pub severity: Severity,
}

impl Disagreement {
    /// The disagreements among `findings`, in their order.
    pub fn of(findings: &[Finding]) -> Vec<Disagreement> {
        findings
            .iter()
            .filter_map(|f| {
                let ratings = f.disagreement()?;
                Some(Disagreement {
                    id: f.id.clone(),
                    package: f.package.name.clone(),
                    target: f.target.name.clone(),
                    chosen: f.severity,
                    ratings: ratings
                        .into_iter()
                        .map(|(source, severity)| SourceRating { source, severity })
                        .collect(),
                })
            })
            .collect()
    }
}

/// A hidden finding and what hid it.
#[derive(Clone, Debug, Serialize)]
pub struct Ignored {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The ignore entry or VEX statement.
    pub suppressed_by: Suppression,
}

/// The state of the ignore list.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IgnoreAudit {
    /// Entries past their `expires` date: they no longer hide anything.
    pub expired: Vec<EntryReport>,
    /// Entries (in force) that matched no finding.
    pub unused: Vec<EntryReport>,
}

/// One report read.
#[derive(Clone, Debug, Serialize)]
pub struct InputInfo {
    /// The input's name.
    pub input: String,
    /// The document's position in it (1-based).
    pub document: usize,
    /// The format detected (or given with `--from`).
    pub format: String,
    /// The scanner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner: Option<Scanner>,
    /// The scanner's version, when the report says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Raw records read from it.
    pub records: usize,
}

/// The gate: what it was asked and what it says.
#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    /// `--fail-on`.
    pub fail_on: Option<Severity>,
    /// `--fixable-only`.
    pub fixable_only: bool,
    /// `--require-consensus`.
    pub require_consensus: usize,
    /// `--only-new`.
    pub only_new: bool,
    /// Findings that fail the gate.
    pub failing: usize,
    /// Whether the gate passed (always true without `--fail-on`).
    pub passed: bool,
}
