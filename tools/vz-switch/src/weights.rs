//! Canary weights on an Istio VirtualService (route destinations by
//! subset), a Gateway API HTTPRoute (backendRefs by name) or an SMI
//! TrafficSplit (backends by service): read, set, stepped along a plan.

use crate::object::Object;
use serde_json::Value;
use std::time::Duration;
use vz::Error;

/// The weights as they are.
#[derive(Clone, Debug)]
pub struct Current {
    /// For `-o json`.
    pub json: Value,
    /// For `$(...)`: one line per rule, `stable=90 canary=10`.
    pub text: String,
}

/// A changed object and what changed, in words.
#[derive(Clone, Debug)]
pub struct Changed {
    /// The object, changed.
    pub value: Value,
    /// For stderr: `canary 10 → 25, stable 90 → 75`.
    pub summary: String,
}

/// The weights of every rule of `obj`.
pub fn current(_obj: &Object) -> Result<Current, Error> {
    Err(Error::usage("weights are not implemented yet"))
}

/// `obj` with the named backends' weights set.
pub fn set(
    _obj: &Object,
    _wanted: &[(String, u32)],
    _rule: Option<usize>,
) -> Result<Changed, Error> {
    Err(Error::usage("weights are not implemented yet"))
}

/// `obj` moved to the plan's next canary weight.
pub fn step(
    _obj: &Object,
    _plan: &[u32],
    _canary: &str,
    _stable: Option<&str>,
    _rule: Option<usize>,
) -> Result<Changed, Error> {
    Err(Error::usage("weights are not implemented yet"))
}

/// The whole schedule of a plan.
pub fn schedule(
    _plan: &[u32],
    _interval: Option<Duration>,
    _max_failures: Option<u32>,
) -> Result<Value, Error> {
    Err(Error::usage("plans are not implemented yet"))
}
