//! TCP probes: connect within the timeout.
//!
//! [`connect`] is also how the HTTP probe opens its own connection to read a
//! server's certificate, so both speak of failures in the same words.

use crate::check::Tcp;
use crate::probe::Attempt;
use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One attempt of a TCP check.
pub fn probe(check: &Tcp, timeout: Duration) -> Attempt {
    let started = Instant::now();
    let result =
        split_address(&check.address).and_then(|(host, port)| connect(host, port, timeout));
    match result {
        Ok(_) => Attempt::pass(Some(started.elapsed())),
        Err(e @ ConnectError::BadAddress(_)) => Attempt::error(e.to_string()).permanent(),
        Err(e) => Attempt::error(e.to_string()).with_latency(started.elapsed()),
    }
}

/// Why no connection could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// The address is not `host:port`.
    BadAddress(String),
    /// The name did not resolve (or resolved to nothing).
    Resolve(String),
    /// Nothing answered before the timeout, which is given.
    TimedOut(Duration),
    /// The host answered that nothing listens on the port.
    Refused,
    /// Anything else, in the operating system's words.
    Other(String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::BadAddress(a) => {
                write!(f, "`{a}` is not host:port (e.g. db.internal:5432)")
            }
            ConnectError::Resolve(host) => write!(f, "could not resolve host {host}"),
            ConnectError::TimedOut(t) => write!(f, "timed out after {}", vz::duration::format(*t)),
            ConnectError::Refused => f.write_str("connection refused"),
            ConnectError::Other(m) => f.write_str(m),
        }
    }
}

/// Splits `host:port` (`[::1]:5432` for IPv6) into its parts.
pub fn split_address(address: &str) -> Result<(&str, u16), ConnectError> {
    let bad = || ConnectError::BadAddress(address.to_string());
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((host, port))
}

/// Connects to `host:port`, trying every address the name resolves to in
/// turn, all within `timeout` (name resolution included).
pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
    let deadline = Instant::now() + timeout;
    let addresses = resolve(host, port, timeout)?;
    let mut last = ConnectError::Resolve(host.to_string());
    for address in addresses {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ConnectError::TimedOut(timeout));
        }
        match TcpStream::connect_timeout(&address, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = connect_error(&e, timeout),
        }
    }
    Err(last)
}

/// The addresses of `host`, bounded by `timeout` (the system resolver has
/// no timeout of its own, so a slow lookup runs in a thread that is left
/// behind when time is up).
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ConnectError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::sync_channel(1);
    let name = host.to_string();
    std::thread::spawn(move || {
        let found = (name.as_str(), port).to_socket_addrs().map(Iterator::collect::<Vec<_>>);
        // The receiver is gone when the lookup took too long: nothing to do.
        let _ = tx.send(found);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(_) => Err(ConnectError::Resolve(host.to_string())),
        Err(_) => Err(ConnectError::TimedOut(timeout)),
    }
}

/// An I/O error from a connect, in words.
fn connect_error(e: &std::io::Error, timeout: Duration) -> ConnectError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => ConnectError::Refused,
        K::TimedOut | K::WouldBlock => ConnectError::TimedOut(timeout),
        _ => ConnectError::Other(os_message(e)),
    }
}

/// The operating system's message without Rust's ` (os error N)`.
pub(crate) fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.find(" (os error").map_or(s.as_str(), |i| &s[..i]);
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Retry, Status};
    use std::net::TcpListener;

    fn tcp(address: &str) -> Tcp {
        Tcp { address: address.to_string() }
    }

    /// A port nothing listens on (bound, then released).
    fn closed_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    }

    #[test]
    fn a_listening_port_passes_with_a_latency() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = l.local_addr().expect("addr").to_string();
        let a = probe(&tcp(&address), Duration::from_secs(5));
        assert_eq!(a.status, Status::Pass, "{a:?}");
        assert!(a.latency.is_some());
    }

    #[test]
    fn a_closed_port_is_refused_and_worth_retrying() {
        let a = probe(&tcp(&format!("127.0.0.1:{}", closed_port())), Duration::from_secs(5));
        assert_eq!(a.status, Status::Error);
        assert_eq!(a.reason.as_deref(), Some("connection refused"));
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn localhost_resolves() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let a = probe(&tcp(&format!("localhost:{port}")), Duration::from_secs(5));
        assert_eq!(a.status, Status::Pass, "{a:?}");
    }

    #[test]
    fn an_unknown_host_does_not_resolve() {
        let a = probe(&tcp("no-such-host.invalid:5432"), Duration::from_secs(10));
        assert_eq!(a.status, Status::Error);
        let reason = a.reason.unwrap_or_default();
        // A resolver that never answers in time is also an honest answer.
        assert!(
            reason == "could not resolve host no-such-host.invalid"
                || reason == "timed out after 10s",
            "{reason}"
        );
    }

    #[test]
    fn addresses_split_into_host_and_port() {
        assert_eq!(split_address("db:5432"), Ok(("db", 5432)));
        assert_eq!(split_address("[::1]:80"), Ok(("::1", 80)));
        assert_eq!(split_address("db"), Err(ConnectError::BadAddress("db".into())));
        assert_eq!(split_address("db:x"), Err(ConnectError::BadAddress("db:x".into())));
        assert_eq!(split_address(":80"), Err(ConnectError::BadAddress(":80".into())));
    }

    #[test]
    fn a_bad_address_is_permanent() {
        let a = probe(&tcp("db"), Duration::from_secs(1));
        assert_eq!(a.reason.as_deref(), Some("`db` is not host:port (e.g. db.internal:5432)"));
        assert_eq!(a.retry, Retry::Permanent);
    }

    #[test]
    fn errors_read_as_words() {
        assert_eq!(
            ConnectError::TimedOut(Duration::from_secs(2)).to_string(),
            "timed out after 2s"
        );
        assert_eq!(
            ConnectError::Resolve("db.internal".into()).to_string(),
            "could not resolve host db.internal"
        );
    }
}
