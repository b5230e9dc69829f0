//! One attempt of one check: [`attempt`] dispatches to the probe of the
//! check's kind and returns what it saw and what that means.

pub mod exec;
pub mod http;
pub mod prometheus;
pub mod tcp;

use crate::check::{Check, Probe};
use serde_json::Value;
use std::time::Duration;

/// The verdict of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every condition held.
    Pass,
    /// Neither pass nor fail: no data to decide on (`on-empty: inconclusive`).
    Inconclusive,
    /// The target answered and a condition did not hold.
    Fail,
    /// The target could not be measured: refused, timed out, TLS, DNS, a
    /// query error, a command that could not start.
    Error,
}

impl Status {
    /// `pass`, `inconclusive`, `fail`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Inconclusive => "inconclusive",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// Whether retrying can change the answer (`--wait`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Worth retrying: connection errors, timeouts, 408/429/5xx, unmet
    /// conditions. `after` is the server's `Retry-After`, if it gave one.
    Transient {
        /// The server's `Retry-After`.
        after: Option<Duration>,
    },
    /// Retrying will not help: a 4xx other than 408 and 429, a certificate
    /// that does not verify, a bad query.
    Permanent,
}

/// The outcome of one attempt.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// The verdict.
    pub status: Status,
    /// How long the probe took (the response time for HTTP).
    pub latency: Option<Duration>,
    /// Why it did not pass, in words: `status 503 is not in 2xx`,
    /// `connection refused`.
    pub reason: Option<String>,
    /// The condition that did not hold, as written (`[STATUS] == 200`,
    /// `max-latency: 300ms`).
    pub condition: Option<String>,
    /// The observed value the condition was checked against.
    pub observed: Option<Value>,
    /// Whether `--wait` should try again.
    pub retry: Retry,
    /// A command's output (stdout and stderr, interleaved as read, the tail
    /// kept when long).
    pub output: Option<String>,
}

impl Attempt {
    /// A pass.
    pub fn pass(latency: Option<Duration>) -> Self {
        Attempt {
            status: Status::Pass,
            latency,
            reason: None,
            condition: None,
            observed: None,
            retry: Retry::Transient { after: None },
            output: None,
        }
    }

    /// A failure (transient): `condition` did not hold, `observed` was seen.
    pub fn fail(
        reason: impl Into<String>,
        condition: Option<String>,
        observed: Option<Value>,
    ) -> Self {
        Attempt {
            status: Status::Fail,
            reason: Some(reason.into()),
            condition,
            observed,
            ..Attempt::pass(None)
        }
    }

    /// An error (transient): the target could not be measured.
    pub fn error(reason: impl Into<String>) -> Self {
        Attempt { status: Status::Error, reason: Some(reason.into()), ..Attempt::pass(None) }
    }

    /// The same attempt marked as not worth retrying.
    pub fn permanent(mut self) -> Self {
        self.retry = Retry::Permanent;
        self
    }

    /// The same attempt with its latency.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }
}

/// Runs one attempt of `check`, bounded by `timeout` (the check's own, or
/// less when a `--wait` deadline is near). `now` is the evaluation time for
/// Prometheus queries when the run was given `--now`.
pub fn attempt(
    check: &Check,
    timeout: Duration,
    clients: &http::Clients,
    now: Option<jiff::Timestamp>,
) -> Attempt {
    match &check.probe {
        Probe::Http(h) => http::probe(h, timeout, clients),
        Probe::Tcp(t) => tcp::probe(t, timeout),
        Probe::Prometheus(p) => prometheus::probe(p, timeout, clients, now),
        Probe::Exec(e) => exec::probe(e, timeout),
    }
}
