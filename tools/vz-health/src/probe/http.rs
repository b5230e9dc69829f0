//! HTTP(S) probes: one request with ureq, the answer judged by
//! [`crate::expect::judge`].
//!
//! Every attempt opens a fresh connection (no keep-alive pool): a health
//! check measures what a new client would get, refused connections and
//! handshakes included.

use crate::check::{Check, Http, Probe, Redirects, redact_url};
use crate::probe::Attempt;
use crate::probe::tcp::{self, ConnectError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use ureq::http::Uri;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, AsSendBody};
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

/// The `User-Agent` of every request.
const USER_AGENT: &str = concat!("vz-health/", env!("CARGO_PKG_VERSION"));

/// The HTTP clients of a run, made once and shared by every check (and by
/// every thread: an [`Agent`] is a handle on shared state).
pub struct Clients {
    /// Verifies certificates against the built-in (Mozilla) roots.
    verifying: Client,
    /// Verifies nothing (`insecure: true`).
    insecure: Client,
    /// Verifies against the built-in roots and a `ca-file`, one per file.
    with_ca: HashMap<PathBuf, Client>,
}

/// One TLS configuration: the agent that sends requests with it, and the
/// same trust for reading a server's certificate, built when first needed.
struct Client {
    agent: Agent,
    trust: Trust,
    certificate_reader: OnceLock<Result<Arc<ClientConfig>, rustls::Error>>,
}

/// Which certificates a [`Client`] accepts.
#[derive(Clone)]
enum Trust {
    /// The built-in roots.
    Roots,
    /// The built-in roots and these.
    RootsAnd(Arc<Vec<CertificateDer<'static>>>),
    /// Anything.
    Anything,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("ca_files", &self.with_ca.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Clients {
    /// Clients for `checks` (reads every `ca-file` of HTTP and Prometheus
    /// checks now, so a missing one is an input error before anything runs).
    pub fn new(checks: &[Check]) -> Result<Clients, Error> {
        let mut with_ca = HashMap::new();
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        for check in checks {
            let ca_file = match &check.probe {
                Probe::Http(http) => &http.ca_file,
                Probe::Prometheus(prometheus) => &prometheus.ca_file,
                _ => continue,
            };
            let Some(path) = ca_file else { continue };
            if with_ca.contains_key(path) || failed.contains(path) {
                continue;
            }
            match read_ca_file(path) {
                Ok(certs) => {
                    with_ca.insert(path.clone(), Client::new(Trust::RootsAnd(Arc::new(certs))));
                }
                Err(message) => {
                    failed.push(path.clone());
                    errors.push(Error::Invalid {
                        at: check.at.clone(),
                        path: "ca-file".into(),
                        message,
                        suggestion: None,
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        Ok(Clients {
            verifying: Client::new(Trust::Roots),
            insecure: Client::new(Trust::Anything),
            with_ca,
        })
    }

    /// The verifying agent, for requests with no TLS settings of their own:
    /// every status is an answer, no redirects unless asked per request, no
    /// connection reuse.
    pub fn agent(&self) -> &Agent {
        &self.verifying.agent
    }

    /// The agent for these TLS settings (`insecure` wins over `ca-file`; a
    /// `ca-file` not given to [`Clients::new`] gets the verifying agent).
    pub fn agent_for(&self, insecure: bool, ca_file: Option<&Path>) -> &Agent {
        &self.tls(insecure, ca_file).agent
    }

    /// The client for `check`'s TLS settings.
    fn client(&self, check: &Http) -> &Client {
        self.tls(check.insecure, check.ca_file.as_deref())
    }

    /// The client for these TLS settings (`insecure` wins over `ca-file`).
    fn tls(&self, insecure: bool, ca_file: Option<&Path>) -> &Client {
        if insecure {
            return &self.insecure;
        }
        match ca_file {
            Some(path) => self.with_ca.get(path).unwrap_or(&self.verifying),
            None => &self.verifying,
        }
    }
}

impl Client {
    fn new(trust: Trust) -> Client {
        let tls = match &trust {
            Trust::Roots => TlsConfig::builder().root_certs(RootCerts::WebPki),
            Trust::RootsAnd(extra) => {
                let certs = builtin_roots()
                    .iter()
                    .chain(extra.iter())
                    .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
                    .collect();
                TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(certs)))
            }
            Trust::Anything => TlsConfig::builder().disable_verification(true),
        };
        let config = Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .user_agent(USER_AGENT)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build();
        let agent = Agent::with_parts(config, DefaultConnector::default(), LiteralFirst::default());
        Client { agent, trust, certificate_reader: OnceLock::new() }
    }

    /// The rustls configuration for reading certificates, with this
    /// client's trust.
    fn certificate_reader(&self) -> Result<Arc<ClientConfig>, rustls::Error> {
        self.certificate_reader.get_or_init(|| rustls_config(&self.trust).map(Arc::new)).clone()
    }
}

/// ureq's resolver, except that an IP-literal host is its own address:
/// ureq's default resolver starts a thread for every lookup that has a
/// timeout (every request here has one), even when there is nothing to look
/// up. Host names still go to ureq's default resolver.
#[derive(Debug, Default)]
struct LiteralFirst(DefaultResolver);

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal_address(uri) {
            Some(addr)
                if config.ip_family().keep_wanted(std::iter::once(addr)).next().is_some() =>
            {
                let mut addrs = self.empty();
                addrs.push(addr);
                Ok(addrs)
            }
            _ => self.0.resolve(uri, config, timeout),
        }
    }
}

/// The address of an `http`/`https` URI whose host is an IP address
/// (`127.0.0.1`, `[::1]`), with the scheme's port when none is written.
fn literal_address(uri: &Uri) -> Option<SocketAddr> {
    let default_port = match uri.scheme_str()? {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = uri.authority()?;
    let host = authority.host();
    let ip = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let ip = ip.parse::<IpAddr>().ok()?;
    Some(SocketAddr::new(ip, authority.port_u16().unwrap_or(default_port)))
}

/// The built-in roots (Mozilla's, as ureq uses by default).
fn builtin_roots() -> &'static [CertificateDer<'static>] {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client configuration with `trust`.
fn rustls_config(trust: &Trust) -> Result<ClientConfig, rustls::Error> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let roots = |extra: &[CertificateDer<'static>]| {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(builtin_roots().iter().chain(extra).cloned());
        store
    };
    Ok(match trust {
        Trust::Roots => builder.with_root_certificates(roots(&[])).with_no_client_auth(),
        Trust::RootsAnd(extra) => {
            builder.with_root_certificates(roots(extra)).with_no_client_auth()
        }
        Trust::Anything => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth(),
    })
}

/// The certificates in a PEM file, or what is wrong with it.
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read {shown}: {}", tcp::os_message(&e)))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{shown} is not a PEM certificate file ({e})"))?;
    if certs.is_empty() {
        return Err(format!(
            "{shown} holds no certificate: expected PEM `-----BEGIN CERTIFICATE-----` blocks"
        ));
    }
    let mut store = RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|e| {
            format!("certificate {} in {shown} is not a usable CA certificate ({e})", i + 1)
        })?;
    }
    Ok(certs)
}

/// Whether the check's conditions ask for the certificate's expiry
/// (`[CERTIFICATE_EXPIRATION]`), which costs a second TLS handshake.
pub fn wants_certificate(check: &Http) -> bool {
    check.expect.conditions.iter().any(|c| c.uses_certificate())
}

/// One attempt of an HTTP check.
pub fn probe(check: &Http, timeout: Duration, clients: &Clients) -> Attempt {
    let started = Instant::now();
    let client = clients.client(check);
    let mut response = match request(check, timeout, &client.agent) {
        Ok(r) => r,
        Err(e) => return transport_error(e, check, timeout).with_latency(started.elapsed()),
    };
    if wants_certificate(check) && check.url.starts_with("https://") {
        let left = timeout.saturating_sub(started.elapsed());
        match certificate_expiry(&check.url, client, left, timeout) {
            Ok(when) => response.certificate_expires = Some(when),
            Err(attempt) => return attempt.with_latency(response.latency),
        }
    }
    let mut attempt = crate::expect::judge(&check.expect, &response);
    attempt.latency.get_or_insert(response.latency);
    attempt
}

/// Sends the request and reads the answer.
fn request(check: &Http, timeout: Duration, agent: &Agent) -> Result<Response, ureq::Error> {
    let mut builder =
        ureq::http::Request::builder().method(check.method.as_str()).uri(check.url.as_str());
    for (name, value) in &check.headers {
        builder = builder.header(name.as_str(), value.value.as_str());
    }
    let started = Instant::now();
    let mut answer = match &check.body {
        Some(body) => run(agent, builder.body(body.as_str())?, check.redirects, timeout)?,
        None => run(agent, builder.body(())?, check.redirects, timeout)?,
    };
    let headers: Vec<(String, String)> = answer
        .headers()
        .iter()
        .map(|(k, v)| {
            (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned())
        })
        .collect();
    let mut body = Vec::new();
    answer.body_mut().as_reader().take(MAX_BODY as u64).read_to_end(&mut body)?;
    let latency = started.elapsed();
    Ok(Response {
        status: answer.status().as_u16(),
        retry_after: retry_after(&headers, jiff::Timestamp::now()),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        latency,
        ip: host_of(&check.url).and_then(|h| h.parse::<IpAddr>().ok()),
        certificate_expires: None,
    })
}

/// Runs one request with this attempt's timeout (for the whole exchange,
/// body included) and redirect policy.
fn run(
    agent: &Agent,
    request: ureq::http::Request<impl AsSendBody>,
    redirects: Redirects,
    timeout: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let follow = match redirects {
        Redirects::None => 0,
        Redirects::Follow(n) => n,
    };
    let request = agent
        .configure_request(request)
        .timeout_global(Some(timeout))
        .max_redirects(follow)
        .build();
    agent.run(request)
}

/// `Retry-After` as a duration: delay-seconds, or an HTTP-date from `now`
/// (a date in the past is no wait).
fn retry_after(headers: &[(String, String)], now: jiff::Timestamp) -> Option<Duration> {
    let value = headers.iter().find(|(k, _)| k == "retry-after")?.1.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value).ok()?;
    Some(Duration::try_from(when.duration_since(now)).unwrap_or(Duration::ZERO))
}

/// The host of a URL, without brackets around an IPv6 address.
pub(crate) fn host_of(url: &str) -> Option<String> {
    let uri = url.parse::<Uri>().ok()?;
    let host = uri.host()?;
    Some(host.trim_start_matches('[').trim_end_matches(']').to_string())
}

/// A request that got no answer, in words; never a header value or a
/// credential.
fn transport_error(e: ureq::Error, check: &Http, timeout: Duration) -> Attempt {
    let host = host_of(&check.url).unwrap_or_default();
    let timed_out = || Attempt::error(ConnectError::TimedOut(timeout).to_string());
    match e {
        ureq::Error::Timeout(_) => timed_out(),
        ureq::Error::HostNotFound => Attempt::error(ConnectError::Resolve(host).to_string()),
        ureq::Error::Io(e) => io_error(&e, &host, timeout),
        ureq::Error::Rustls(e) => tls_error(&e, &host),
        ureq::Error::Tls(m) => Attempt::error(format!("TLS: {m}")),
        ureq::Error::TooManyRedirects => {
            let n = match check.redirects {
                Redirects::Follow(n) => n,
                Redirects::None => 0,
            };
            Attempt::error(format!(
                "more than {n} redirects; raise `redirects` or point at the final URL"
            ))
        }
        ureq::Error::RedirectFailed => Attempt::error(
            "a 307/308 redirect asks to send the body again, which is not done; use the final URL",
        )
        .permanent(),
        ureq::Error::BadUri(_) => {
            Attempt::error(format!("`{}` is not a valid http(s) URL", redact_url(&check.url)))
                .permanent()
        }
        ureq::Error::Http(_) => Attempt::error(
            "the URL, the method, a header name or a header value is not valid in HTTP",
        )
        .permanent(),
        ureq::Error::Protocol(e) => {
            Attempt::error(format!("the answer is not valid HTTP/1.1 ({e})"))
        }
        ureq::Error::LargeResponseHeader(..) => {
            Attempt::error("the response headers are too large")
        }
        other => Attempt::error(other.to_string()),
    }
}

/// An I/O error of a request, in words.
fn io_error(e: &std::io::Error, host: &str, timeout: Duration) -> Attempt {
    use std::io::ErrorKind as K;
    if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return tls_error(tls, host);
    }
    let text = match e.kind() {
        K::ConnectionRefused => ConnectError::Refused.to_string(),
        K::TimedOut | K::WouldBlock => ConnectError::TimedOut(timeout).to_string(),
        K::ConnectionReset => "connection reset by the server".into(),
        K::ConnectionAborted => "connection aborted".into(),
        K::UnexpectedEof => "the server closed the connection without a complete answer".into(),
        // The system resolver's failure comes as a plain I/O error.
        _ if e.to_string().contains("failed to lookup address") => {
            ConnectError::Resolve(host.into()).to_string()
        }
        _ => tcp::os_message(e),
    };
    Attempt::error(text)
}

/// A TLS failure, in words. A certificate that does not verify will not
/// verify on the next try either: permanent.
pub(crate) fn tls_error(e: &rustls::Error, host: &str) -> Attempt {
    match e {
        rustls::Error::InvalidCertificate(c) => {
            Attempt::error(certificate_error(c, host)).permanent()
        }
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            Attempt::error("TLS: the server did not answer in TLS (plain HTTP? use http://)")
        }
        other => Attempt::error(format!("TLS: handshake failed ({other})")),
    }
}

/// Why a certificate did not verify, and what would make it.
fn certificate_error(e: &CertificateError, host: &str) -> String {
    let date = |t: &UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map_or_else(String::new, |ts| format!(" on {ts}"))
    };
    match e {
        CertificateError::UnknownIssuer => {
            "TLS: certificate is not trusted (self-signed?); use ca-file or insecure: true".into()
        }
        CertificateError::Expired => "TLS: certificate has expired".into(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("TLS: certificate expired{}", date(not_after))
        }
        CertificateError::NotValidYet => "TLS: certificate is not valid yet".into(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!(
                "TLS: certificate is not valid until{}",
                date(not_before).trim_start_matches(" on")
            )
        }
        CertificateError::NotValidForName => format!("TLS: certificate is not valid for {host}"),
        CertificateError::NotValidForNameContext { presented, .. } => {
            let names: Vec<&str> = presented.iter().map(|p| presented_name(p)).collect();
            format!("TLS: certificate is not valid for {host} (it names {})", names.join(", "))
        }
        CertificateError::Revoked => "TLS: certificate has been revoked".into(),
        CertificateError::BadSignature => "TLS: certificate signature is not valid".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "TLS: certificate is not for server authentication".into()
        }
        other => format!("TLS: certificate is not valid ({other:?})"),
    }
}

/// A name from a certificate as webpki shows it (`DnsName("a.b")`,
/// `IpAddress(10.0.0.1)`), as a person writes it.
fn presented_name(shown: &str) -> &str {
    shown
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| shown.strip_prefix("IpAddress(").and_then(|n| n.strip_suffix(')')))
        .unwrap_or(shown)
}

/// When the leaf certificate of the server at `url` expires, read in a
/// handshake of its own (ureq does not show peer certificates).
/// Failures are whole attempts (boxed: an `Attempt` is large).
fn certificate_expiry(
    url: &str,
    client: &Client,
    left: Duration,
    timeout: Duration,
) -> Result<jiff::Timestamp, Box<Attempt>> {
    let deadline = Instant::now() + left;
    let host = host_of(url).unwrap_or_default();
    let fail = |a: Attempt| Box::new(a);
    let config = client.certificate_reader().map_err(|e| fail(tls_error(&e, &host)))?;
    let port = url.parse::<Uri>().ok().and_then(|u| u.port_u16()).unwrap_or(443);
    let name = ServerName::try_from(host.clone()).map_err(|_| {
        fail(Attempt::error(format!("TLS: `{host}` is not a valid server name")).permanent())
    })?;
    if left.is_zero() {
        return Err(fail(Attempt::error(ConnectError::TimedOut(timeout).to_string())));
    }
    let mut stream = tcp::connect(&host, port, left).map_err(|e| match e {
        ConnectError::TimedOut(_) => {
            fail(Attempt::error(ConnectError::TimedOut(timeout).to_string()))
        }
        e => fail(Attempt::error(e.to_string())),
    })?;
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    let io = |e: std::io::Error| fail(io_error(&e, &host, timeout));
    stream.set_read_timeout(Some(left)).map_err(io)?;
    stream.set_write_timeout(Some(left)).map_err(io)?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| fail(tls_error(&e, &host)))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut stream).map_err(io)?;
    }
    let leaf = conn
        .peer_certificates()
        .and_then(|certs| certs.first())
        .ok_or_else(|| fail(Attempt::error("TLS: the server sent no certificate")))?;
    not_after(leaf)
        .ok_or_else(|| fail(Attempt::error("TLS: the server's certificate could not be read")))
}

/// A certificate's notAfter.
fn not_after(cert: &CertificateDer<'_>) -> Option<jiff::Timestamp> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    jiff::Timestamp::from_second(parsed.validity().not_after.timestamp()).ok()
}

/// `insecure: true`: any certificate is accepted, but the handshake's
/// signatures are still checked (so the connection is to whoever holds the
/// key of the certificate shown).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Retry, Status};
    use rcgen::{CertificateParams, KeyPair};
    use std::io::Write;
    use std::net::TcpListener;
    use vz::Location;

    fn http(url: &str) -> Http {
        Http::get(url)
    }

    fn check(h: Http, line: usize) -> Check {
        Check {
            name: h.url.clone(),
            probe: Probe::Http(h),
            timeout: Duration::from_secs(5),
            at: Location::at("checks.yaml", line, 3),
        }
    }

    fn no_clients() -> Clients {
        Clients::new(&[]).expect("clients")
    }

    /// A server that answers every connection with `reply` (raw HTTP).
    fn raw_server(reply: &'static str) -> String {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(reply.as_bytes());
            }
        });
        format!("http://{addr}/")
    }

    /// An HTTPS server whose self-signed certificate for 127.0.0.1 expires
    /// at the start of `year`; its PEM in a temporary file.
    fn tls_server(year: i32) -> (String, tempfile::TempPath) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
        params.not_after = rcgen::date_time_ymd(year, 1, 1);
        let cert = params.self_signed(&key).expect("cert");
        let mut pem = tempfile::NamedTempFile::new().expect("temp file");
        pem.write_all(cert.pem().as_bytes()).expect("write");
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server config");
        let config = Arc::new(config);
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let config = config.clone();
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                    let mut tls = rustls::StreamOwned::new(conn, s);
                    let mut buf = [0u8; 4096];
                    if tls.read(&mut buf).is_ok() {
                        let _ = tls.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        );
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                });
            }
        });
        (format!("https://{addr}/"), pem.into_temp_path())
    }

    #[test]
    fn an_answer_is_read_whole() {
        let url = raw_server(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nX-Thing: a\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown",
        );
        let r =
            request(&http(&url), Duration::from_secs(5), no_clients().agent()).expect("an answer");
        assert_eq!((r.status, r.body.as_str()), (503, "down"));
        assert_eq!(r.retry_after, Some(Duration::from_secs(7)));
        assert!(r.headers.contains(&("x-thing".to_string(), "a".to_string())), "{:?}", r.headers);
        assert_eq!(r.ip, Some(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(r.certificate_expires, None);
    }

    #[test]
    fn a_large_body_is_cut_at_max_body() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        std::thread::spawn(move || {
            if let Some(Ok(mut s)) = l.incoming().next() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let body = vec![b'x'; MAX_BODY + 1000];
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&body);
            }
        });
        let r = request(
            &http(&format!("http://{addr}/")),
            Duration::from_secs(10),
            no_clients().agent(),
        )
        .expect("an answer");
        assert_eq!(r.body.len(), MAX_BODY);
    }

    #[test]
    fn a_refused_connection_is_a_transient_error() {
        let port =
            TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let a = probe(
            &http(&format!("http://127.0.0.1:{port}/")),
            Duration::from_secs(5),
            &no_clients(),
        );
        assert_eq!((a.status, a.reason.as_deref()), (Status::Error, Some("connection refused")));
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn a_silent_server_times_out() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/", l.local_addr().expect("addr"));
        let a = probe(&http(&url), Duration::from_millis(150), &no_clients());
        assert_eq!((a.status, a.reason.as_deref()), (Status::Error, Some("timed out after 150ms")));
        drop(l);
    }

    #[test]
    fn a_garbled_answer_is_an_error() {
        let url = raw_server("SSH-2.0-OpenSSH_9.6\r\n");
        let a = probe(&http(&url), Duration::from_secs(5), &no_clients());
        assert_eq!(a.status, Status::Error);
        assert!(
            a.reason.as_deref().is_some_and(|r| r.starts_with("the answer is not valid HTTP/1.1")),
            "{a:?}"
        );
    }

    #[test]
    fn an_unknown_host_does_not_resolve() {
        let a =
            probe(&http("http://no-such-host.invalid/"), Duration::from_secs(10), &no_clients());
        let reason = a.reason.unwrap_or_default();
        assert!(
            reason == "could not resolve host no-such-host.invalid"
                || reason == "timed out after 10s",
            "{reason}"
        );
    }

    #[test]
    fn tls_to_a_plain_server_says_so() {
        let url = raw_server("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .replace("http:", "https:");
        let a = probe(&http(&url), Duration::from_secs(5), &no_clients());
        assert_eq!(
            a.reason.as_deref(),
            Some("TLS: the server did not answer in TLS (plain HTTP? use http://)")
        );
    }

    #[test]
    fn the_certificate_expiry_is_read_when_conditions_ask() {
        let (url, pem) = tls_server(2091);
        let mut h = http(&url);
        h.ca_file = Some(pem.to_path_buf());
        let clients = Clients::new(&[check(h.clone(), 1)]).expect("clients");
        let client = clients.client(&h);
        let r = request(&h, Duration::from_secs(5), &client.agent).expect("an answer");
        assert_eq!((r.status, r.body.as_str()), (200, "ok"));
        let when = certificate_expiry(&url, client, Duration::from_secs(5), Duration::from_secs(5))
            .expect("expiry");
        assert_eq!(when.to_string(), "2091-01-01T00:00:00Z");

        // Insecure reads it too; the verifying client refuses the handshake.
        h.insecure = true;
        let when = certificate_expiry(
            &url,
            clients.client(&h),
            Duration::from_secs(5),
            Duration::from_secs(5),
        );
        assert_eq!(when.map(|w| w.to_string()).ok().as_deref(), Some("2091-01-01T00:00:00Z"));
        let refused = certificate_expiry(
            &url,
            &clients.verifying,
            Duration::from_secs(5),
            Duration::from_secs(5),
        )
        .expect_err("untrusted");
        assert_eq!(
            (refused.reason.as_deref(), refused.retry),
            (
                Some(
                    "TLS: certificate is not trusted (self-signed?); use ca-file or insecure: true"
                ),
                Retry::Permanent
            )
        );
    }

    #[test]
    fn wanting_the_certificate_follows_the_conditions() {
        let mut h = http("https://h/");
        assert!(!wants_certificate(&h));
        h.expect.conditions =
            vec![crate::condition::parse("[CERTIFICATE_EXPIRATION] > 48h").expect("condition")];
        assert!(wants_certificate(&h));
    }

    #[test]
    fn ca_files_are_read_up_front_and_reported_once_each() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").expect("write");
        let with = |p: &Path| {
            let mut h = http("https://h/");
            h.ca_file = Some(p.to_path_buf());
            h
        };
        let checks = [check(with(&missing), 1), check(with(&missing), 3), check(with(&empty), 5)];
        let e = Clients::new(&checks).expect_err("bad CA files").to_string();
        assert_eq!(
            e,
            format!(
                "2 problems:\n  checks.yaml:1:3: ca-file: cannot read {}: no such file or directory\n  \
                 checks.yaml:5:3: ca-file: {} holds no certificate: expected PEM `-----BEGIN CERTIFICATE-----` blocks",
                missing.display(),
                empty.display()
            )
        );
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now: jiff::Timestamp = "2026-03-01T00:00:00Z".parse().expect("time");
        let h = |v: &str| vec![("retry-after".to_string(), v.to_string())];
        assert_eq!(retry_after(&h("120"), now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after(&h("Sun, 01 Mar 2026 00:00:30 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after(&h("Sat, 28 Feb 2026 00:00:00 GMT"), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&h("soon"), now), None);
        assert_eq!(retry_after(&[], now), None);
    }

    #[test]
    fn certificate_errors_read_as_words() {
        let at = |s: u64| UnixTime::since_unix_epoch(Duration::from_secs(s));
        let expired = CertificateError::ExpiredContext {
            time: at(1_800_000_000),
            not_after: at(1_577_836_800),
        };
        assert_eq!(
            certificate_error(&expired, "h"),
            "TLS: certificate expired on 2020-01-01T00:00:00Z"
        );
        let early =
            CertificateError::NotValidYetContext { time: at(0), not_before: at(1_577_836_800) };
        assert_eq!(
            certificate_error(&early, "h"),
            "TLS: certificate is not valid until 2020-01-01T00:00:00Z"
        );
        assert_eq!(
            certificate_error(&CertificateError::NotValidForName, "db"),
            "TLS: certificate is not valid for db"
        );
        assert_eq!(presented_name(r#"DnsName("a.example")"#), "a.example");
        assert_eq!(presented_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(presented_name("DirectoryName"), "DirectoryName");
    }

    /// What [`LiteralFirst`] resolves `url` to, with `left` to do it in.
    fn resolve(url: &str, left: Duration) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = url.parse().expect("uri");
        let timeout = NextTimeout {
            after: left.into(),
            reason: ureq::Timeout::Global,
            ..NextTimeout::default()
        };
        LiteralFirst::default()
            .resolve(&uri, &ureq::config::Config::default(), timeout)
            .map(|addrs| addrs.to_vec())
    }

    #[test]
    fn ip_literals_are_their_own_address_without_a_lookup() {
        // No time at all to resolve in: ureq's default resolver would start
        // a lookup thread and give up on it; a literal needs neither.
        let none = Duration::ZERO;
        assert_eq!(
            resolve("http://127.0.0.1:4321/x", none).expect("v4"),
            ["127.0.0.1:4321".parse().expect("addr")]
        );
        assert_eq!(
            resolve("https://[::1]/", none).expect("v6"),
            ["[::1]:443".parse().expect("addr")]
        );
        assert_eq!(
            resolve("http://10.1.2.3", none).expect("default port"),
            ["10.1.2.3:80".parse().expect("addr")]
        );
    }

    #[test]
    fn host_names_still_resolve() {
        let addrs = resolve("http://localhost:4321/", Duration::from_secs(10)).expect("localhost");
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 4321), "{addrs:?}");
        assert!(matches!(
            resolve("http://no-such-host.invalid/", Duration::from_secs(10)),
            Err(ureq::Error::HostNotFound | ureq::Error::Io(_) | ureq::Error::Timeout(_))
        ));
    }

    #[test]
    fn literal_addresses_are_only_http_and_https_ip_hosts() {
        let literal = |url: &str| literal_address(&url.parse::<Uri>().expect("uri"));
        assert_eq!(
            literal("http://[fe80::1]:8000/"),
            Some("[fe80::1]:8000".parse().expect("addr"))
        );
        assert_eq!(literal("http://localhost:80/"), None);
        assert_eq!(literal("http://1.2.3.4.example/"), None);
        assert_eq!(literal("socks5://127.0.0.1:1080"), None);
    }

    #[test]
    fn requests_to_ip_literals_and_host_names_are_answered() {
        let url = raw_server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        let agent = no_clients();
        let r = request(&http(&url), Duration::from_secs(5), agent.agent()).expect("by address");
        assert_eq!((r.status, r.body.as_str()), (200, "ok"));
        let by_name = url.replace("127.0.0.1", "localhost");
        let r = request(&http(&by_name), Duration::from_secs(5), agent.agent()).expect("by name");
        assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    }

    #[test]
    fn prometheus_checks_get_the_agent_of_their_tls_settings() {
        let (url, pem) = tls_server(2091);
        let prometheus = |insecure: bool, ca_file: Option<PathBuf>| Check {
            name: "p".into(),
            probe: Probe::Prometheus(crate::check::Prometheus {
                url: url.clone(),
                query: "up".into(),
                preset: None,
                min: Some(1.0),
                max: None,
                on_empty: crate::check::OnEmpty::Fail,
                aggregate: None,
                headers: vec![],
                insecure,
                ca_file,
            }),
            timeout: Duration::from_secs(5),
            at: Location::at("checks.yaml", 1, 3),
        };
        let clients = Clients::new(&[prometheus(false, Some(pem.to_path_buf()))]).expect("clients");
        let with_ca = clients.agent_for(false, Some(&pem));
        assert!(std::ptr::eq(with_ca, &clients.with_ca[&pem.to_path_buf()].agent));
        assert!(std::ptr::eq(clients.agent_for(true, None), &clients.insecure.agent));
        assert!(std::ptr::eq(clients.agent_for(false, None), clients.agent()));
        let r = request(&http(&url), Duration::from_secs(5), with_ca).expect("trusted");
        assert_eq!((r.status, r.body.as_str()), (200, "ok"));

        let missing = pem.with_extension("missing");
        let e = Clients::new(&[prometheus(false, Some(missing.clone()))])
            .expect_err("a missing CA file")
            .to_string();
        assert_eq!(
            e,
            format!(
                "checks.yaml:1:3: ca-file: cannot read {}: no such file or directory",
                missing.display()
            )
        );
    }

    #[test]
    fn hosts_lose_their_brackets() {
        assert_eq!(host_of("https://[::1]:8443/x").as_deref(), Some("::1"));
        assert_eq!(host_of("http://u:p@db.internal/x").as_deref(), Some("db.internal"));
    }
}
