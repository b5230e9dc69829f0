//! HTTP(S) probes: one request with ureq, the answer judged by
//! [`crate::expect::judge`].

use crate::check::{Check, Http};
use std::time::Duration;
use vz::Error;

/// What an HTTP request got back.
#[derive(Clone, Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Response headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), at most [`MAX_BODY`] bytes read.
    pub body: String,
    /// Time from sending the request to the end of the body.
    pub latency: Duration,
    /// The address connected to.
    pub ip: Option<std::net::IpAddr>,
    /// When the server's leaf certificate expires (HTTPS only, when asked).
    pub certificate_expires: Option<jiff::Timestamp>,
    /// The server's `Retry-After`, as a duration.
    pub retry_after: Option<Duration>,
}

/// The most of a body that is read (and judged).
pub const MAX_BODY: usize = 1 << 20;

/// The HTTP clients of a run, made once and shared by every check.
#[derive(Debug)]
pub struct Clients {}

impl Clients {
    /// Clients for `checks` (reads every `ca-file` now, so a missing one is
    /// an input error before anything runs).
    pub fn new(_checks: &[Check]) -> Result<Clients, Error> {
        Ok(Clients {})
    }
}

/// One attempt of an HTTP check.
pub fn probe(_check: &Http, _timeout: Duration, _clients: &Clients) -> crate::probe::Attempt {
    crate::probe::Attempt::error("not implemented")
}
