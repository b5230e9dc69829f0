//! Command probes: run it with a timeout; exit 0 passes.

use crate::check::Exec;
use crate::probe::Attempt;
use std::time::Duration;

/// One attempt of a command check.
pub fn probe(_check: &Exec, _timeout: Duration) -> Attempt {
    Attempt::error("not implemented")
}
