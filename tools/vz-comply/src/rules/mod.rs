//! The rules: built-in Kubernetes rules ([`k8s`]), built-in application
//! configuration rules ([`app`]) and custom rules from YAML ([`custom`]).

pub mod app;
pub mod custom;
pub mod k8s;

use crate::model::Violation;

/// What a rule says about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The rule does not apply, and why ("1 replica", "not production").
    NotApplicable(String),
    /// The object meets the rule.
    Passed,
    /// The object breaks the rule: everything wrong with it.
    Violations(Vec<Violation>),
    /// Something is missing that a rule only warns about, whatever its level
    /// (an app-config rule whose setting is absent rather than off).
    Warnings(Vec<Violation>),
    /// The rule could not be evaluated, and why.
    Error(String),
}
