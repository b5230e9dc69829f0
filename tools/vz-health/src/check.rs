//! What a check is, once read: the model every probe, the runner and the
//! reports share. Reading checks from files and arguments is in [`crate::spec`].

use crate::condition::Condition;
use regex::Regex;
use serde_json::Value;
use std::time::Duration;
use vz::Location;

/// The timeout of one attempt when a check gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One check, ready to run.
#[derive(Clone, Debug)]
pub struct Check {
    /// Its name in every report (unique in a run).
    pub name: String,
    /// What it probes and how it decides.
    pub probe: Probe,
    /// The bound on one attempt.
    pub timeout: Duration,
    /// Where it was written: `checks.yaml:12:5`, or `argument 2`.
    pub at: Location,
}

impl Check {
    /// The kind's name: `http`, `tcp`, `prometheus`, `exec`.
    pub fn kind(&self) -> &'static str {
        match self.probe {
            Probe::Http(_) => "http",
            Probe::Tcp(_) => "tcp",
            Probe::Prometheus(_) => "prometheus",
            Probe::Exec(_) => "exec",
        }
    }

    /// What it points at, safe to print: a URL without credentials, a
    /// `host:port`, a Prometheus URL, a command line.
    pub fn target(&self) -> String {
        match &self.probe {
            Probe::Http(h) => redact_url(&h.url),
            Probe::Tcp(t) => t.address.clone(),
            Probe::Prometheus(p) => redact_url(&p.url),
            Probe::Exec(e) => e.display(),
        }
    }
}

/// The kinds of check.
#[derive(Clone, Debug)]
pub enum Probe {
    /// An HTTP(S) request and what its answer must be.
    Http(Http),
    /// A TCP connect.
    Tcp(Tcp),
    /// A Prometheus instant query and its bounds.
    Prometheus(Prometheus),
    /// A command that must exit 0.
    Exec(Exec),
}

/// A header value, remembering whether it came from the environment.
#[derive(Clone, Debug)]
pub struct HeaderValue {
    /// The value sent.
    pub value: String,
    /// It came (wholly or partly) from `${VAR}`: never printed.
    pub secret: bool,
}

/// Whether and how far to follow redirects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirects {
    /// A 3xx is the answer (the default, as curl without `-L`).
    None,
    /// Follow up to this many.
    Follow(u32),
}

/// An HTTP check.
#[derive(Clone, Debug)]
pub struct Http {
    /// `http://` or `https://` URL.
    pub url: String,
    /// `GET` unless given.
    pub method: String,
    /// Request headers, in order.
    pub headers: Vec<(String, HeaderValue)>,
    /// Request body.
    pub body: Option<String>,
    /// Redirect policy.
    pub redirects: Redirects,
    /// TLS verification off (reported in every result).
    pub insecure: bool,
    /// Extra CA certificates (PEM) to trust, besides the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// What the answer must be.
    pub expect: Expect,
}

impl Http {
    /// `GET url`: 2xx passes, no redirects followed, TLS verified.
    pub fn get(url: impl Into<String>) -> Self {
        Http {
            url: url.into(),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            redirects: Redirects::None,
            insecure: false,
            ca_file: None,
            expect: Expect::default(),
        }
    }
}

/// A set of accepted HTTP status codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSet(pub Vec<(u16, u16)>);

impl StatusSet {
    /// 200–299.
    pub fn success() -> Self {
        StatusSet(vec![(200, 299)])
    }

    /// Whether `code` is in the set.
    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|(lo, hi)| (*lo..=*hi).contains(&code))
    }
}

impl std::fmt::Display for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else if lo % 100 == 0 && *hi == lo + 99 {
                write!(f, "{}xx", lo / 100)?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// What an HTTP answer must be; every part must hold.
#[derive(Clone, Debug)]
pub struct Expect {
    /// Accepted status codes (2xx by default).
    pub status: StatusSet,
    /// Substrings the body must contain.
    pub body_contains: Vec<String>,
    /// Patterns the body must match.
    pub body_matches: Vec<Regex>,
    /// JSON body fields (`data[0].status`) and the values they must equal.
    pub json: Vec<(String, Value)>,
    /// The longest acceptable response time.
    pub max_latency: Option<Duration>,
    /// Gatus-style conditions (`[STATUS] == 200`), all of which must hold.
    pub conditions: Vec<Condition>,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            status: StatusSet::success(),
            body_contains: Vec::new(),
            body_matches: Vec::new(),
            json: Vec::new(),
            max_latency: None,
            conditions: Vec::new(),
        }
    }
}

/// A TCP check.
#[derive(Clone, Debug)]
pub struct Tcp {
    /// `host:port`.
    pub address: String,
}

/// What a Prometheus query that returns no series means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnEmpty {
    /// A failure (Flagger's rule: no traffic is no proof).
    #[default]
    Fail,
    /// A pass.
    Pass,
    /// Neither: the run is inconclusive (exit 1, `"status": "inconclusive"`).
    Inconclusive,
}

/// How several series fold into one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// The smallest.
    Min,
    /// The largest.
    Max,
    /// The sum.
    Sum,
    /// The mean.
    Avg,
}

/// A Prometheus check.
#[derive(Clone, Debug)]
pub struct Prometheus {
    /// The server, `http://prometheus:9090`.
    pub url: String,
    /// The PromQL, presets already expanded.
    pub query: String,
    /// The preset it came from (`request-success-rate`), for reports.
    pub preset: Option<String>,
    /// Lowest acceptable value.
    pub min: Option<f64>,
    /// Highest acceptable value.
    pub max: Option<f64>,
    /// What no data means.
    pub on_empty: OnEmpty,
    /// How to fold several series; without it, several series are an error.
    pub aggregate: Option<Aggregate>,
    /// Request headers (`Authorization` for a hosted Prometheus).
    pub headers: Vec<(String, HeaderValue)>,
    /// TLS verification off (reported in every result).
    pub insecure: bool,
    /// Extra CA certificates (PEM) to trust, besides the system's.
    pub ca_file: Option<std::path::PathBuf>,
}

/// A command check.
#[derive(Clone, Debug)]
pub struct Exec {
    /// Program and arguments; a single string is run by `sh -c`.
    pub argv: Vec<String>,
    /// Working directory.
    pub dir: Option<std::path::PathBuf>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

impl Exec {
    /// The command line as a person would type it.
    pub fn display(&self) -> String {
        self.argv
            .iter()
            .map(|a| {
                if !a.is_empty()
                    && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
                {
                    a.clone()
                } else {
                    format!("'{}'", a.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A URL with any `user:password@` and query string values hidden.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return url.to_string(),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let path = match path.split_once('?') {
        Some((p, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) if looks_secret_param(k) && !v.is_empty() => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{p}?{}", q.join("&"))
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

fn looks_secret_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["token", "key", "secret", "password", "passwd", "auth", "signature", "sig", "credential"]
        .iter()
        .any(|w| k.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets_print_as_written() {
        assert_eq!(StatusSet::success().to_string(), "2xx");
        assert_eq!(StatusSet(vec![(200, 200), (301, 302)]).to_string(), "200, 301-302");
    }

    #[test]
    fn urls_lose_credentials_and_secret_parameters() {
        assert_eq!(
            redact_url("https://u:p@h:1/x?token=abc&a=1"),
            "https://***@h:1/x?token=***&a=1"
        );
        assert_eq!(redact_url("http://h/health"), "http://h/health");
        assert_eq!(redact_url("http://h?api_key=1"), "http://h?api_key=***");
    }

    #[test]
    fn commands_are_quoted_for_a_shell() {
        let e = Exec {
            argv: vec!["sh".into(), "-c".into(), "echo 'hi'".into()],
            dir: None,
            env: vec![],
        };
        assert_eq!(e.display(), r"sh -c 'echo '\''hi'\'''");
    }
}
