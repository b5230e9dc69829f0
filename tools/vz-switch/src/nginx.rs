//! The same verbs on nginx with no Kubernetes: an upstream include file.

use crate::Verb;
use serde_json::Value;
use vz::Error;

/// How a switch may go.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// The known colours.
    pub colors: &'a [String],
    /// The time recorded.
    pub now: jiff::Timestamp,
}

/// The upstream as it is.
#[derive(Clone, Debug)]
pub struct Current {
    /// For `-o json`.
    pub json: Value,
    /// For `$(...)`.
    pub text: String,
}

/// The file changed, and what changed in words.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The new file.
    pub text: String,
    /// For stderr.
    pub summary: String,
}

/// What the upstream file says.
pub fn current(_text: &str, _name: &str) -> Result<Current, Error> {
    Err(Error::usage("nginx is not implemented yet"))
}

/// The file with `verb` applied.
pub fn apply(
    _text: &str,
    _name: &str,
    _verb: &Verb,
    _opts: &Options<'_>,
) -> Result<Applied, Error> {
    Err(Error::usage("nginx is not implemented yet"))
}
