//! Real servers on 127.0.0.1 for the vz-health tests: a small thread-based
//! HTTP/1.1 server (plain or TLS) answering with a scripted [`Behaviour`],
//! and a plain TCP [`Listener`]. Every server binds an ephemeral port and
//! stops when dropped.
//!
//! ```ignore
//! let server = Server::start(Behaviour::Status(503));
//! vz_health().arg(server.url("/health"))...;
//! assert_eq!(server.hits(), 1);
//! ```
//!
//! Each connection gets its own thread and one request (`Connection:
//! close`), so a slow answer never holds up another and hundreds of
//! connections at once are fine.

// Shared by every vz-health test module; not each uses every helper.
#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use socket2::{Domain, Socket, Type};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The body of a healthy answer.
pub const HEALTHY_BODY: &str = r#"{"status":"UP"}"#;

/// A request as the server read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target: `/health?x=1`.
    pub path: String,
    /// Headers in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (by `Content-Length`).
    pub body: String,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

/// An answer: status, headers, body, and how long to wait before sending it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers besides `Content-Length` and `Connection`.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    /// `status` with an empty body.
    pub fn new(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: String::new(), delay: Duration::ZERO }
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply { body: body.into(), ..Reply::new(status) }.header("Content-Type", "application/json")
    }

    /// `status` with a text body.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply { body: body.into(), ..Reply::new(status) }.header("Content-Type", "text/plain")
    }

    /// The same reply with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same reply, sent after `delay`.
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// A reply computed from the request and its number (0-based).
pub type Responder = Arc<dyn Fn(&Request, usize) -> Reply + Send + Sync>;

/// How a server answers. The request number `n` (0-based, in arrival
/// order) drives the scripted behaviours.
#[derive(Clone)]
pub enum Behaviour {
    /// 200 `{"status":"UP"}`.
    Healthy,
    /// This status, body `{"status":"DOWN"}` (or `UP` for a 2xx).
    Status(u16),
    /// 503 with `Retry-After: 1`.
    Unavailable,
    /// 301 to this path for every other path; the path itself is healthy.
    Redirect(&'static str),
    /// Healthy, after this delay.
    Slow(Duration),
    /// Request `n` gets status `n` of the list; the last one repeats.
    Sequence(Vec<u16>),
    /// Request `n` gets status `n mod len` of the list (flapping).
    Cycle(Vec<u16>),
    /// 200 with a JSON object of the request's headers (names lowercased).
    EchoHeaders,
    /// Always this reply.
    Fixed(Reply),
    /// Anything: a function of the request and its number.
    Custom(Responder),
}

impl Behaviour {
    /// A [`Behaviour::Custom`] from a closure.
    pub fn custom(f: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Behaviour {
        Behaviour::Custom(Arc::new(f))
    }

    /// The reply to request number `n`.
    pub fn reply(&self, request: &Request, n: usize) -> Reply {
        match self {
            Behaviour::Healthy => healthy(),
            Behaviour::Status(code) => status(*code),
            Behaviour::Unavailable => status(503).header("Retry-After", "1"),
            Behaviour::Redirect(to) if request.path != *to => {
                Reply::text(301, format!("moved to {to}")).header("Location", to)
            }
            Behaviour::Redirect(_) => healthy(),
            Behaviour::Slow(delay) => healthy().after(*delay),
            Behaviour::Sequence(codes) => {
                status(codes.get(n).or(codes.last()).copied().unwrap_or(200))
            }
            Behaviour::Cycle(codes) if codes.is_empty() => healthy(),
            Behaviour::Cycle(codes) => status(codes[n % codes.len()]),
            Behaviour::EchoHeaders => {
                let map: serde_json::Map<String, serde_json::Value> =
                    request.headers.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
                Reply::json(200, serde_json::Value::Object(map).to_string())
            }
            Behaviour::Fixed(reply) => reply.clone(),
            Behaviour::Custom(f) => f(request, n),
        }
    }
}

fn healthy() -> Reply {
    Reply::json(200, HEALTHY_BODY)
}

fn status(code: u16) -> Reply {
    if (200..300).contains(&code) {
        Reply::json(code, HEALTHY_BODY)
    } else {
        Reply::json(code, r#"{"status":"DOWN"}"#)
    }
}

/// What the accept loop and the connection threads share.
struct Shared {
    behaviour: Behaviour,
    stop: AtomicBool,
    hits: AtomicUsize,
    requests: Mutex<Vec<Request>>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// A running HTTP(S) server on 127.0.0.1; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    ca: Option<TestCa>,
}

/// Options for a [`Server`] beyond its behaviour.
pub struct ServerBuilder {
    behaviour: Behaviour,
    tls: bool,
    not_after: Option<(i32, u8, u8)>,
    names: Vec<String>,
    late: Option<Duration>,
}

impl ServerBuilder {
    /// Serve HTTPS with a certificate for `localhost` and `127.0.0.1`
    /// issued by a CA made for this server ([`Server::ca_file`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// HTTPS, the certificate expiring at midnight UTC on this date (in the
    /// past for an expired certificate).
    pub fn not_after(mut self, year: i32, month: u8, day: u8) -> Self {
        self.tls = true;
        self.not_after = Some((year, month, day));
        self
    }

    /// HTTPS, the certificate naming only these (DNS names or IPs) instead
    /// of `localhost` and `127.0.0.1`.
    pub fn names(mut self, names: &[&str]) -> Self {
        self.tls = true;
        self.names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Refuse connections until `delay` has passed, then serve (a service
    /// that comes up late). The port is bound at once, so it is known.
    pub fn late(mut self, delay: Duration) -> Self {
        self.late = Some(delay);
        self
    }

    /// Binds and starts serving.
    pub fn start(self) -> Server {
        let ca = self.tls.then(|| TestCa::new(&self.names, self.not_after));
        let shared = Arc::new(Shared {
            behaviour: self.behaviour,
            stop: AtomicBool::new(false),
            hits: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            tls: ca.as_ref().map(|ca| ca.server_config.clone()),
        });
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into()).expect("bind 127.0.0.1:0");
        let addr = socket.local_addr().expect("local address").as_socket().expect("an IP address");
        let late = self.late.unwrap_or(Duration::ZERO);
        if late.is_zero() {
            // Listening before returning: a client may connect at once.
            socket.listen(1024).expect("listen");
        }
        let accepting = shared.clone();
        let accept = thread::spawn(move || accept_loop(socket, late, &accepting));
        Server { addr, shared, accept: Some(accept), ca }
    }
}

impl Server {
    /// A builder for a server with `behaviour`.
    pub fn builder(behaviour: Behaviour) -> ServerBuilder {
        ServerBuilder {
            behaviour,
            tls: false,
            not_after: None,
            names: vec!["localhost".into(), "127.0.0.1".into()],
            late: None,
        }
    }

    /// A plain HTTP server.
    pub fn start(behaviour: Behaviour) -> Server {
        Server::builder(behaviour).start()
    }

    /// An HTTPS server (certificate from a CA of its own).
    pub fn https(behaviour: Behaviour) -> Server {
        Server::builder(behaviour).tls().start()
    }

    /// A plain HTTP server that refuses connections for `delay`.
    pub fn late(behaviour: Behaviour, delay: Duration) -> Server {
        Server::builder(behaviour).late(delay).start()
    }

    /// `http(s)://127.0.0.1:PORT/path` (a missing leading `/` is added).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.ca.is_some() { "https" } else { "http" };
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("{scheme}://{}{slash}{path}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// How many requests have been read.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// Every request read so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().expect("requests lock").clone()
    }

    /// The PEM file of the CA that issued the server's certificate (HTTPS
    /// servers only).
    pub fn ca_file(&self) -> &Path {
        &self.ca.as_ref().expect("ca_file is for HTTPS servers").path
    }

    /// The CA certificate, PEM (HTTPS servers only).
    pub fn ca_pem(&self) -> &str {
        &self.ca.as_ref().expect("ca_pem is for HTTPS servers").pem
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Waits out `late` (refusing: bound but not listening), then accepts
/// until stopped, one thread per connection.
fn accept_loop(socket: Socket, late: Duration, shared: &Arc<Shared>) {
    let until = Instant::now() + late;
    while Instant::now() < until {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
    if !late.is_zero() {
        socket.listen(1024).expect("listen");
    }
    accept_until(socket.into(), &shared.stop, |stream| {
        let shared = shared.clone();
        thread::spawn(move || {
            // A client that went away (timed out, rejected the certificate)
            // is part of the tests, not a server failure.
            let _ = connection(stream, &shared);
        });
    });
}

/// Accepts connections and hands them to `serve` until `stop` is set. The
/// listener polls (non-blocking), so stopping needs no wake-up connection.
fn accept_until(listener: TcpListener, stop: &AtomicBool, mut serve: impl FnMut(TcpStream)) {
    listener.set_nonblocking(true).expect("non-blocking listener");
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if stream.set_nonblocking(false).is_ok() {
                    serve(stream);
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Serves one connection: one request, one reply, close.
fn connection(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    // Safety net against a client that connects and says nothing.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    match &shared.tls {
        None => exchange(stream, shared),
        Some(config) => {
            let conn = rustls::ServerConnection::new(config.clone()).map_err(io::Error::other)?;
            let mut tls = rustls::StreamOwned::new(conn, stream);
            tls.conn.complete_io(&mut tls.sock)?;
            exchange(&mut tls, shared)?;
            tls.conn.send_close_notify();
            tls.conn.complete_io(&mut tls.sock).map(|_| ())
        }
    }
}

fn exchange<S: Read + Write>(stream: S, shared: &Shared) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let request = read_request(&mut reader)?;
    let n = shared.hits.fetch_add(1, Ordering::SeqCst);
    let reply = shared.behaviour.reply(&request, n);
    shared.requests.lock().expect("requests lock").push(request);
    if !reply.delay.is_zero() {
        thread::sleep(reply.delay);
    }
    let stream = reader.get_mut();
    write_reply(stream, &reply)?;
    stream.flush()
}

fn read_request(reader: &mut impl BufRead) -> io::Result<Request> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(bad("not an HTTP request line"));
    };
    let (method, path) = (method.to_string(), path.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("headers cut short"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(|| bad("a header without `:`"))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let mut body = vec![0; length.unwrap_or(0)];
    reader.read_exact(&mut body)?;
    Ok(Request { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

fn write_reply(stream: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", reply.body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(reply.body.as_bytes())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A CA made for one test server, its PEM written to a temporary file, and
/// the server's TLS configuration with a certificate it issued.
struct TestCa {
    pem: String,
    path: PathBuf,
    _dir: tempfile::TempDir,
    server_config: Arc<rustls::ServerConfig>,
}

impl TestCa {
    fn new(names: &[String], not_after: Option<(i32, u8, u8)>) -> TestCa {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.distinguished_name.push(DnType::CommonName, "vz-health test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params = CertificateParams::new(names.to_vec()).expect("parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().map_or("localhost", String::as_str));
        if let Some((y, m, d)) = not_after {
            params.not_after = rcgen::date_time_ymd(y, m, d);
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &issuer).expect("certificate");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server certificate");

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ca.pem");
        let pem = ca_cert.pem();
        std::fs::write(&path, &pem).expect("write ca.pem");
        TestCa { pem, path, _dir: dir, server_config: Arc::new(server_config) }
    }
}

/// A plain TCP listener that accepts and closes connections; stops when
/// dropped.
pub struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Listens on 127.0.0.1, an ephemeral port.
    pub fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (s, a) = (stop.clone(), accepted.clone());
        let thread = thread::spawn(move || {
            accept_until(listener, &s, |_closed_at_once| {
                a.fetch_add(1, Ordering::SeqCst);
            });
        });
        Listener { addr, stop, accepted, thread: Some(thread) }
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many connections were accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}
