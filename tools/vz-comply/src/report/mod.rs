//! The result of a run ([`Report`], whose serialisation is the canonical JSON
//! output) and its renderings: [`table`], [`sarif`], [`junit`], [`markdown`].
//! Every format is rendered from the same [`Report`], and the exit status is
//! decided before any of them runs, so no two formats can disagree.

pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

use crate::model::{AppliedWaiver, Evaluation, RuleInfo, Status};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything a run found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The worst effective status of all results (`passed` when there are
    /// none): `passed`, `warning`, `failed` or `error`.
    pub overall: Status,
    /// Counts.
    pub summary: Summary,
    /// Coverage per framework (the `--framework` ones, or every framework).
    pub frameworks: Vec<Coverage>,
    /// Every rule that has a result, in id order.
    pub rules: Vec<RuleInfo>,
    /// One result per rule and object the rule applies to: worst status
    /// first, then by rule id, input and line. With `--baseline`, only the
    /// newly failing ones and those that are not failing.
    pub results: Vec<Evaluation>,
    /// Waivers that stopped applying and waivers that accept nothing.
    pub waivers: WaiverAudit,
    /// Objects of kinds no rule covers, by kind.
    pub skipped: Vec<Skipped>,
    /// With `--baseline`: what the baseline already had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineInfo>,
    /// The gate's setting and verdict.
    pub gate: Gate,
}

/// Counts of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Objects and configuration documents read.
    pub objects: usize,
    /// Results by status (every status present, zero or not).
    pub by_status: BTreeMap<Status, usize>,
}

impl Summary {
    /// Counts `results` of `objects` objects.
    pub fn of(objects: usize, results: &[Evaluation]) -> Summary {
        let mut by_status: BTreeMap<Status, usize> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for r in results {
            *by_status.entry(r.status).or_default() += 1;
        }
        Summary { objects, by_status }
    }
}

/// How a framework fares: its mapped controls, each with the worst status
/// of its rules' results.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// `cis`, `nsa`, `pci`, `hipaa`, `gdpr`, `sox`, or a custom framework.
    pub framework: String,
    /// "CIS Kubernetes Benchmark".
    pub name: String,
    /// The version the mapping follows ("1.12").
    pub version: String,
    /// `published` when the mapping follows a public source, `vz` when it is
    /// vz's own reading of the text.
    pub mapping: String,
    /// The source of the mapping.
    pub citation: String,
    /// What the percentages are out of, in words ("12 controls of CIS
    /// section 5 that vz maps; the benchmark has more").
    pub denominator: String,
    /// Controls by status: `passed` (every result passed, waived or not
    /// applicable), `warning`, `failed`, `error`, and `not-evaluated` (no
    /// object to check).
    pub counts: BTreeMap<String, usize>,
    /// Each mapped control.
    pub controls: Vec<ControlResult>,
}

/// One control of a framework.
#[derive(Clone, Debug, Serialize)]
pub struct ControlResult {
    /// `5.2.7`.
    pub id: String,
    /// The control's text, shortened.
    pub title: String,
    /// The worst effective status of its rules' results; `not-evaluated`
    /// when none has a result.
    pub status: String,
    /// The rules that serve it.
    pub rules: Vec<String>,
}

/// Waivers that need attention.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WaiverAudit {
    /// Past their `expires` date: they no longer accept anything.
    pub expired: Vec<WaiverInfo>,
    /// Live, but accepting no violation (the object was fixed, or the
    /// selector is wrong).
    pub unused: Vec<WaiverInfo>,
}

/// A waiver as the audit lists it: what it waives and selects, then its
/// reason, owner, expiry and source as a result names them (the same
/// fields, at the same level of the JSON).
#[derive(Clone, Debug, Serialize)]
pub struct WaiverInfo {
    /// The rule it waives.
    pub rule: String,
    /// What it selects, in words (`Deployment payments/api`, `namespace=legacy`).
    pub selector: String,
    /// Why, who, until when, and where it is written.
    #[serde(flatten)]
    pub waiver: AppliedWaiver,
}

/// Objects no rule covers.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// How many objects.
    pub count: usize,
}

/// What `--baseline` compared against.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineInfo {
    /// The baseline's name.
    pub input: String,
    /// Failing results also failing in the baseline (left out of `results`).
    pub existing: usize,
}

/// The gate.
#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    /// `warning` or `failed`.
    pub fail_on: Status,
    /// Whether the run passes it.
    pub passed: bool,
}

impl Report {
    /// The rule with `id` (every result's rule is in `rules`).
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.binary_search_by(|r| r.id.as_str().cmp(id)).ok().map(|i| &self.rules[i])
    }

    /// Results that are not passed and not not-applicable, in report order.
    pub fn problems(&self) -> impl Iterator<Item = &Evaluation> {
        self.results.iter().filter(|r| !matches!(r.status, Status::Passed | Status::NotApplicable))
    }
}
