//! The vocabulary every part shares: severities, statuses, rules, the
//! objects checked and the result of checking one rule on one object.

use serde::{Deserialize, Serialize};
use vz::Location;

/// How much a rule's violation matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Hygiene.
    Low,
    /// Weakens a defence.
    Medium,
    /// Opens a path to the node, the data or other workloads.
    High,
    /// Gives the node away.
    Critical,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The status of one rule on one object, and of a whole run (the worst).
///
/// Ordered from best to worst; `waived` and `not-applicable` count as
/// `passed` for the overall status and the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The rule does not apply to this object (a PDB rule on a single
    /// replica, a production rule outside production).
    NotApplicable,
    /// The object meets the rule.
    Passed,
    /// The object breaks the rule, and a live waiver accepts it.
    Waived,
    /// The object breaks a rule whose violations are warnings.
    Warning,
    /// The object breaks the rule.
    Failed,
    /// The rule could not be evaluated (a value of the wrong type).
    Error,
}

impl Status {
    /// Every status, best first.
    pub const ALL: [Status; 6] = [
        Status::NotApplicable,
        Status::Passed,
        Status::Waived,
        Status::Warning,
        Status::Failed,
        Status::Error,
    ];

    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotApplicable => "not-applicable",
            Status::Passed => "passed",
            Status::Waived => "waived",
            Status::Warning => "warning",
            Status::Failed => "failed",
            Status::Error => "error",
        }
    }

    /// What the status counts as in the overall status: `waived` and
    /// `not-applicable` are `passed`.
    pub fn effective(self) -> Status {
        match self {
            Status::NotApplicable | Status::Waived => Status::Passed,
            s => s,
        }
    }
}

/// What a violation of a rule yields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `failed`.
    #[default]
    Failed,
    /// `warning`.
    Warning,
}

impl Level {
    /// The status a violation gets.
    pub fn status(self) -> Status {
        match self {
            Level::Failed => Status::Failed,
            Level::Warning => Status::Warning,
        }
    }
}

/// Where a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A built-in Kubernetes rule (`VZ-K8S-nnn`).
    Kubernetes,
    /// A built-in application configuration rule (`VZ-APP-nnn`).
    AppConfig,
    /// A rule from a `--rules` file.
    Custom,
}

/// A control of a framework that a rule serves (`cis:5.2.7`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ControlRef {
    /// The framework's id (`cis`, `nsa`, `pci`, `hipaa`, `gdpr`, `sox`).
    pub framework: String,
    /// The control's id within it (`5.2.7`, `164.312(b)`).
    pub control: String,
}

impl std::fmt::Display for ControlRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.framework, self.control)
    }
}

/// A rule as every output describes it.
#[derive(Clone, Debug, Serialize)]
pub struct RuleInfo {
    /// Stable id (`VZ-K8S-001`, `VZ-APP-002`, or a custom rule's).
    pub id: String,
    /// One line saying what good looks like ("Containers run as non-root").
    pub title: String,
    /// How much a violation matters.
    pub severity: Severity,
    /// What a violation yields.
    pub level: Level,
    /// How to fix a violation, in one or two sentences.
    pub fix: String,
    /// The same check in other tools (`CKV_K8S_23`, `KSV-0012`,
    /// `kube-linter:run-as-non-root`, `polaris:runAsRootAllowed`).
    pub aliases: Vec<String>,
    /// The framework controls this rule serves.
    pub controls: Vec<ControlRef>,
    /// Where the rule comes from.
    pub origin: Origin,
}

/// The object a result is about, as outputs name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `Deployment`, or `config` for an application configuration document.
    pub kind: String,
    /// `metadata.name` (for a config document: the input's name).
    pub name: String,
    /// `metadata.namespace`, empty when none is set.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

impl ObjectRef {
    /// `Deployment/payments/api`, `Namespace/prod`, `config/app.json`.
    pub fn display(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One thing wrong with an object. In JSON: `path`, `message`, and the
/// `line` and `column` of `at` when known (its input is the result's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The path to the offending value (or where the missing one belongs),
    /// `spec.template.spec.containers[0].securityContext.runAsNonRoot`.
    pub path: String,
    /// What is wrong, naming the container when there is one.
    pub message: String,
    /// Where in the input (the object's start when the value is missing).
    pub at: Location,
}

impl Serialize for Violation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut v = s.serialize_struct("Violation", 4)?;
        v.serialize_field("path", &self.path)?;
        v.serialize_field("message", &self.message)?;
        if self.at.line > 0 {
            v.serialize_field("line", &self.at.line)?;
        } else {
            v.skip_field("line")?;
        }
        if self.at.line > 0 && self.at.column > 0 {
            v.serialize_field("column", &self.at.column)?;
        } else {
            v.skip_field("column")?;
        }
        v.end()
    }
}

/// A waiver as a result names it (and, with its rule and selector, as the
/// audit lists it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedWaiver {
    /// Why the violation is accepted.
    pub reason: String,
    /// Who accepted it (annotation waivers may not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The last day it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<jiff::civil::Date>,
    /// Where it is written: the waiver file's `name:line:col` (and its
    /// ticket), or `annotation on KIND/NS/NAME (name:line:col)`.
    pub source: String,
}

/// One rule evaluated on one object. In JSON: `rule`, `object`, the
/// object's `input` and first `line` (when known), `status`, then
/// `violations`, `note` and `waiver` when there are any.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The rule's id.
    pub rule: String,
    /// The object.
    pub object: std::sync::Arc<ObjectRef>,
    /// The outcome.
    pub status: Status,
    /// What is wrong (empty when passed or not applicable).
    pub violations: Vec<Violation>,
    /// Why not applicable, or why the rule could not be evaluated.
    pub note: Option<String>,
    /// The waiver that accepted the violations.
    pub waiver: Option<Box<AppliedWaiver>>,
    /// The input the object came from and its first line.
    pub at: Location,
    /// Its place among results of the same status: the rule's in id order
    /// and its input's in name order (then the line of `at` decides).
    pub rank: (u32, u32),
}

impl Serialize for Evaluation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut e = s.serialize_struct("Evaluation", 8)?;
        e.serialize_field("rule", &self.rule)?;
        e.serialize_field("object", &*self.object)?;
        e.serialize_field("input", &*self.at.input)?;
        if self.at.line > 0 {
            e.serialize_field("line", &self.at.line)?;
        } else {
            e.skip_field("line")?;
        }
        e.serialize_field("status", &self.status)?;
        if self.violations.is_empty() {
            e.skip_field("violations")?;
        } else {
            e.serialize_field("violations", &self.violations)?;
        }
        match &self.note {
            Some(note) => e.serialize_field("note", note)?,
            None => e.skip_field("note")?,
        }
        match &self.waiver {
            Some(waiver) => e.serialize_field("waiver", waiver)?,
            None => e.skip_field("waiver")?,
        }
        e.end()
    }
}

impl Evaluation {
    /// `name:line` of the object (or of the first violation).
    pub fn location(&self) -> &Location {
        self.violations.first().map_or(&self.at, |v| &v.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In JSON, a result names its input, and the line and column appear
    /// only when known.
    #[test]
    fn results_carry_their_place_when_known() {
        let violation = |at: Location| Violation { path: "spec".into(), message: "m".into(), at };
        let result = |at: Location, violations| Evaluation {
            rule: "VZ-K8S-001".into(),
            object: ObjectRef { kind: "Pod".into(), name: "p".into(), namespace: String::new() }
                .into(),
            status: Status::Failed,
            violations,
            note: None,
            waiver: None,
            at,
            rank: (0, 0),
        };
        let known = result(
            Location::at("a.yaml", 3, 1),
            vec![violation(Location::at("a.yaml", 7, 5)), violation(Location::at("a.yaml", 9, 0))],
        );
        assert_eq!(
            serde_json::to_value(&known).unwrap_or_default(),
            serde_json::json!({"rule": "VZ-K8S-001", "object": {"kind": "Pod", "name": "p"},
                "input": "a.yaml", "line": 3, "status": "failed", "violations": [
                    {"path": "spec", "message": "m", "line": 7, "column": 5},
                    {"path": "spec", "message": "m", "line": 9}]})
        );
        let unknown =
            result(Location::input("<stdin>"), vec![violation(Location::input("<stdin>"))]);
        assert_eq!(
            serde_json::to_value(&unknown).unwrap_or_default(),
            serde_json::json!({"rule": "VZ-K8S-001", "object": {"kind": "Pod", "name": "p"},
                "input": "<stdin>", "status": "failed",
                "violations": [{"path": "spec", "message": "m"}]})
        );
    }
}
