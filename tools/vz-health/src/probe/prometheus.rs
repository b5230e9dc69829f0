//! Prometheus probes: one instant query, its value against the bounds.

use crate::check::Prometheus;
use crate::probe::Attempt;
use crate::probe::http::Clients;
use std::time::Duration;

/// One attempt of a Prometheus check.
pub fn probe(
    _check: &Prometheus,
    _timeout: Duration,
    _clients: &Clients,
    _now: Option<jiff::Timestamp>,
) -> Attempt {
    Attempt::error("not implemented")
}
