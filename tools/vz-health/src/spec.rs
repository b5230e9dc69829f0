//! Reading checks: from command-line targets (`http://…`, `tcp://host:port`)
//! and from check files (YAML or JSON, a list or `{checks: [...]}`), with
//! `${VAR}` expanded and every problem located at its file, line and column.

use crate::check::{
    Aggregate, Check, Exec, Expect, HeaderValue, Http, OnEmpty, Probe, Prometheus, Redirects,
    StatusSet, Tcp, redact_url,
};
use crate::{condition, presets};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use vz::error::suggest;
use vz::input::Document;
use vz::{Error, Location};

/// The kinds of check, each named by the key that holds its target.
pub const KINDS: [&str; 4] = ["http", "tcp", "prometheus", "exec"];

const COMMON: [&str; 2] = ["name", "timeout"];
const HTTP_FIELDS: [&str; 13] = [
    "method",
    "headers",
    "body",
    "status",
    "body-contains",
    "body-matches",
    "json",
    "max-latency",
    "redirects",
    "insecure",
    "ca-file",
    "conditions",
    "follow-redirects",
];
const PROMETHEUS_FIELDS: [&str; 11] = [
    "query",
    "preset",
    "provider",
    "args",
    "min",
    "max",
    "on-empty",
    "aggregate",
    "headers",
    "insecure",
    "ca-file",
];
const EXEC_FIELDS: [&str; 2] = ["dir", "env"];

/// How many redirects `redirects: follow` follows.
pub const FOLLOW_REDIRECTS: u32 = 10;

/// Where variables come from (the process environment in a run).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Checks from command-line targets; `timeout` is each one's timeout.
pub fn from_targets(targets: &[String], timeout: Duration) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    let mut errors = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let at = Location::input(format!("argument {}", i + 1));
        match target_probe(t) {
            Ok(probe) => {
                let mut check = Check { name: String::new(), probe, timeout, at };
                check.name = check.target();
                checks.push(check);
            }
            Err(message) => {
                errors.push(Error::Invalid { at, path: String::new(), message, suggestion: None })
            }
        }
    }
    if errors.is_empty() { Ok(checks) } else { Err(Error::many(errors)) }
}

fn target_probe(t: &str) -> Result<Probe, String> {
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        check_url(t, &["http", "https"])?;
        return Ok(Probe::Http(Http::get(t)));
    }
    if let Some(addr) = t.strip_prefix("tcp://") {
        check_address(addr)?;
        return Ok(Probe::Tcp(Tcp { address: addr.to_string() }));
    }
    Err(format!(
        "`{t}` is not a target: write http://HOST/PATH, https://HOST/PATH or tcp://HOST:PORT \
         (other kinds of check go in a file: -f checks.yaml)"
    ))
}

/// Checks that `url` is an absolute URL with one of `schemes` and a host.
fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let shown = redact_url(url);
    if url.split_once("://").is_some_and(|(_, rest)| rest.is_empty() || rest.starts_with('/')) {
        return Err(format!("`{shown}` has no host"));
    }
    let uri: ureq::http::Uri =
        url.parse().map_err(|e| format!("`{shown}` is not a valid URL: {e}"))?;
    let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err(format!("`{shown}` must start with {}://", schemes.join(":// or ")));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("`{shown}` has no host"));
    }
    Ok(())
}

/// Checks a `host:port` address.
fn check_address(addr: &str) -> Result<(), String> {
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Err(format!("`{addr}` needs a port: HOST:PORT"));
    };
    if host.is_empty() || host == "[]" {
        return Err(format!("`{addr}` has no host: HOST:PORT"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("`{addr}`: `{port}` is not a port number (1-65535)")),
    }
}

/// Checks from the documents of check files; relative `ca-file` and `dir`
/// paths are taken from `base` (the file's directory). `timeout` applies
/// where a check sets none.
pub fn from_documents(
    docs: &[Document],
    base: Option<&Path>,
    timeout: Duration,
    lookup: Lookup<'_>,
) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    let mut errors = Vec::new();
    for doc in docs {
        let items: Vec<(String, &Value)> = match &doc.value {
            Value::Array(items) => {
                items.iter().enumerate().map(|(i, v)| (vz::path::index("", i), v)).collect()
            }
            Value::Object(map) if map.contains_key("checks") => {
                Fields::new(doc, "", map, lookup).finish(&["checks"], &mut errors);
                match map.get("checks") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (vz::path::index("checks", i), v))
                        .collect(),
                    _ => {
                        errors.push(invalid(doc, "checks", false, "expected a list of checks"));
                        continue;
                    }
                }
            }
            Value::Object(map) => {
                let kind = KINDS.iter().find(|k| map.contains_key(**k));
                let message = match kind {
                    Some(k) => format!(
                        "expected a list of checks, or a map with `checks:`; this map is one check: \
                         make it a list item (`- {k}: …`)"
                    ),
                    None => format!(
                        "expected a list of checks, or a map with `checks:`; found a map with {}",
                        map.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                };
                let near = map.keys().find_map(|k| suggest(k, ["checks"]));
                errors.push(Error::Invalid {
                    at: doc.at.clone(),
                    path: String::new(),
                    message,
                    suggestion: near,
                });
                continue;
            }
            other => {
                errors.push(invalid(
                    doc,
                    "",
                    false,
                    &format!(
                        "expected a list of checks, or a map with `checks:`; found {}",
                        describe(other)
                    ),
                ));
                continue;
            }
        };
        for (path, item) in items {
            match read_check(doc, &path, item, base, timeout, lookup) {
                Ok(c) => checks.push(c),
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() { Ok(checks) } else { Err(Error::many(flatten(errors))) }
}

fn flatten(errors: Vec<Error>) -> Vec<Error> {
    let mut out = Vec::new();
    for e in errors {
        match e {
            Error::Many(all) => out.extend(flatten(all)),
            e => out.push(e),
        }
    }
    out
}

/// Names must be unique: explicit duplicates are an error naming both
/// places; derived names (from the target) get ` #2`, ` #3`.
pub fn unique_names(checks: &mut [Check], explicit: &[bool]) -> Result<(), Error> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for i in 0..checks.len() {
        let name = checks[i].name.clone();
        match seen.get(&name) {
            None => {
                seen.insert(name, i);
            }
            Some(&first) if explicit.get(i).copied().unwrap_or(false) => {
                errors.push(Error::Invalid {
                    at: checks[i].at.clone(),
                    path: "name".into(),
                    message: format!(
                        "the name `{name}` is already used by the check at {}",
                        checks[first].at
                    ),
                    suggestion: None,
                });
            }
            Some(_) => {
                let mut n = 2;
                while seen.contains_key(&format!("{name} #{n}")) {
                    n += 1;
                }
                let renamed = format!("{name} #{n}");
                checks[i].name = renamed.clone();
                seen.insert(renamed, i);
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::many(errors)) }
}

fn read_check(
    doc: &Document,
    path: &str,
    item: &Value,
    base: Option<&Path>,
    default_timeout: Duration,
    lookup: Lookup<'_>,
) -> Result<Check, Error> {
    let Value::Object(map) = item else {
        return Err(invalid(
            doc,
            path,
            false,
            &format!(
                "a check is a map with one of `http`, `tcp`, `prometheus`, `exec`; found {}",
                describe(item)
            ),
        ));
    };
    let kinds: Vec<&str> = KINDS.iter().copied().filter(|k| map.contains_key(*k)).collect();
    let kind = match kinds.as_slice() {
        [k] => *k,
        [] => {
            let unknown: Vec<&str> = map
                .keys()
                .map(String::as_str)
                .filter(|k| !COMMON.contains(k) && !all_fields().contains(k))
                .collect();
            let near = unknown.iter().find_map(|k| suggest(k, KINDS));
            let (p, key) = match unknown.first() {
                Some(k) => (vz::path::key(path, k), true),
                None => (path.to_string(), false),
            };
            let found = if unknown.is_empty() {
                String::new()
            } else {
                format!(
                    "; found {}",
                    unknown.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )
            };
            return Err(Error::Invalid {
                at: doc.locate(&p, key),
                path: path.to_string(),
                message: format!(
                    "no check kind: a check needs one of `http`, `tcp`, `prometheus`, `exec`{found}"
                ),
                suggestion: near,
            });
        }
        several => {
            return Err(invalid(
                doc,
                &vz::path::key(path, several[1]),
                true,
                &format!(
                    "a check has one kind; this one has {}",
                    several.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
                ),
            ));
        }
    };
    let mut f = Fields::new(doc, path, map, lookup);
    let mut errors = Vec::new();
    let name = f.string("name", false);
    let timeout = f.duration("timeout").unwrap_or(default_timeout);
    let probe = match kind {
        "http" => read_http(&mut f, base).map(Probe::Http),
        "tcp" => read_tcp(&mut f).map(Probe::Tcp),
        "prometheus" => read_prometheus(&mut f, base).map(Probe::Prometheus),
        _ => read_exec(&mut f, base).map(Probe::Exec),
    };
    let allowed: Vec<&str> = COMMON
        .iter()
        .copied()
        .chain([kind])
        .chain(
            match kind {
                "http" => HTTP_FIELDS.as_slice(),
                "prometheus" => PROMETHEUS_FIELDS.as_slice(),
                "exec" => EXEC_FIELDS.as_slice(),
                _ => &[],
            }
            .iter()
            .copied(),
        )
        .collect();
    f.finish(&allowed, &mut errors);
    errors.append(&mut f.errors);
    // In the order of the file.
    errors.sort_by_key(|e| match e {
        Error::Invalid { at, .. } => (at.line, at.column),
        _ => (0, 0),
    });
    match probe {
        Some(probe) if errors.is_empty() => {
            let mut check =
                Check { name: String::new(), probe, timeout, at: doc.locate(path, false) };
            check.name = match name {
                Some(n) => n,
                None => default_name(&check),
            };
            Ok(check)
        }
        _ => Err(Error::many(errors)),
    }
}

fn all_fields() -> Vec<&'static str> {
    HTTP_FIELDS.iter().chain(&PROMETHEUS_FIELDS).chain(&EXEC_FIELDS).copied().collect()
}

fn default_name(check: &Check) -> String {
    match &check.probe {
        Probe::Prometheus(p) => p.preset.clone().unwrap_or_else(|| "prometheus".into()),
        Probe::Exec(e) => {
            let d = e.display();
            if d.chars().count() > 60 {
                format!("{}…", d.chars().take(59).collect::<String>())
            } else {
                d
            }
        }
        _ => check.target(),
    }
}

fn read_http(f: &mut Fields<'_>, base: Option<&Path>) -> Option<Http> {
    let url = f.string("http", true);
    if let Some(u) = &url
        && let Err(m) = check_url(u, &["http", "https"])
    {
        f.error("http", false, m);
    }
    let method = f.string("method", false).map(|m| m.to_ascii_uppercase());
    if let Some(m) = &method
        && (m.is_empty() || !m.chars().all(|c| c.is_ascii_alphabetic()))
    {
        f.error("method", false, format!("`{m}` is not an HTTP method (GET, POST, HEAD, …)"));
    }
    let headers = f.headers("headers");
    let body = f.string("body", false);
    let status = f.status("status");
    let body_contains = f.strings("body-contains");
    let body_matches = f
        .strings("body-matches")
        .into_iter()
        .enumerate()
        .filter_map(|(i, re)| match regex::Regex::new(&re) {
            Ok(r) => Some(r),
            Err(e) => {
                let p = if f.is_list("body-matches") {
                    format!("body-matches[{i}]")
                } else {
                    "body-matches".into()
                };
                f.error_at(&p, format!("not a regular expression: {}", one_line(&e.to_string())));
                None
            }
        })
        .collect();
    let json = f.json_fields("json");
    let max_latency = f.duration("max-latency");
    let redirects = f.redirects();
    let (insecure, ca_file) = read_tls(f, base);
    let conditions: Vec<condition::Condition> = f
        .strings("conditions")
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| match condition::parse(&c) {
            Ok(c) => Some(c),
            Err(m) => {
                f.error_at(&format!("conditions[{i}]"), m);
                None
            }
        })
        .collect();
    let conditions_on_status =
        conditions.iter().any(|c| c.text.to_ascii_uppercase().contains("[STATUS]"));
    Some(Http {
        url: url?,
        method: method.unwrap_or_else(|| "GET".into()),
        headers,
        body,
        redirects,
        insecure,
        ca_file,
        expect: Expect {
            // Conditions on [STATUS] decide the status themselves (Gatus).
            status: status.unwrap_or_else(|| {
                if conditions_on_status {
                    StatusSet(vec![(100, 599)])
                } else {
                    StatusSet::success()
                }
            }),
            body_contains,
            body_matches,
            json,
            max_latency,
            conditions,
        },
    })
}

fn read_tcp(f: &mut Fields<'_>) -> Option<Tcp> {
    let address = f.string("tcp", true)?;
    let address = address.strip_prefix("tcp://").unwrap_or(&address).to_string();
    if let Err(m) = check_address(&address) {
        f.error("tcp", false, m);
    }
    Some(Tcp { address })
}

fn read_prometheus(f: &mut Fields<'_>, base: Option<&Path>) -> Option<Prometheus> {
    let url = f.string("prometheus", true);
    if let Some(u) = &url
        && let Err(m) = check_url(u, &["http", "https"])
    {
        f.error("prometheus", false, m);
    }
    let query = f.string("query", false);
    let preset = f.string("preset", false);
    let provider = f.string("provider", false);
    let args = f.string_map("args");
    let mut min = f.number("min");
    let mut max = f.number("max");
    let on_empty = f.choice("on-empty", &["fail", "pass", "inconclusive"]).map(|c| match c {
        "pass" => OnEmpty::Pass,
        "inconclusive" => OnEmpty::Inconclusive,
        _ => OnEmpty::Fail,
    });
    let aggregate = f.choice("aggregate", &["min", "max", "sum", "avg"]).map(|c| match c {
        "min" => Aggregate::Min,
        "max" => Aggregate::Max,
        "sum" => Aggregate::Sum,
        _ => Aggregate::Avg,
    });
    let headers = f.headers("headers");
    let (insecure, ca_file) = read_tls(f, base);
    let query = match (query, &preset) {
        (Some(q), None) => {
            if provider.is_some() || !args.is_empty() {
                f.error(
                    "query",
                    true,
                    "`provider` and `args` go with `preset`, not `query`".into(),
                );
            }
            if q.trim().is_empty() {
                f.error("query", false, "the query is empty".into());
            }
            q
        }
        (None, Some(p)) => {
            match presets::expand(p, provider.as_deref().unwrap_or("istio"), &args) {
                Ok(e) => {
                    min = min.or(e.min);
                    max = max.or(e.max);
                    e.query
                }
                Err(m) => {
                    // Point at the part the message is about.
                    let key = if m.contains("argument") && f.map.contains_key("args") {
                        "args"
                    } else if m.contains("provider") && provider.is_some() {
                        "provider"
                    } else {
                        "preset"
                    };
                    f.error(key, false, m);
                    String::new()
                }
            }
        }
        (Some(_), Some(_)) => {
            f.error("preset", true, "give `query` or `preset`, not both".into());
            String::new()
        }
        (None, None) => {
            f.error_here(format!(
                "a prometheus check needs `query: PROMQL` or `preset:` ({})",
                presets::names().join(", ")
            ));
            String::new()
        }
    };
    if min.is_none() && max.is_none() && preset.is_none() {
        f.error_here("a prometheus check needs `min`, `max` or both".into());
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        f.error("min", false, format!("min {lo} is above max {hi}"));
    }
    Some(Prometheus {
        url: url?,
        query,
        preset,
        min,
        max,
        on_empty: on_empty.unwrap_or_default(),
        aggregate,
        headers,
        insecure,
        ca_file,
    })
}

/// `insecure` and `ca-file` (relative to `base`), which contradict each other.
fn read_tls(f: &mut Fields<'_>, base: Option<&Path>) -> (bool, Option<PathBuf>) {
    let insecure = f.bool("insecure").unwrap_or(false);
    let ca_file = f.string("ca-file", false).map(|p| resolve(base, &p));
    if insecure && ca_file.is_some() {
        f.error(
            "ca-file",
            true,
            "`ca-file` and `insecure: true` contradict each other: pick one".into(),
        );
    }
    (insecure, ca_file)
}

fn read_exec(f: &mut Fields<'_>, base: Option<&Path>) -> Option<Exec> {
    let argv = match f.take("exec") {
        Some(Value::String(s)) => {
            let s = f.expand("exec", s);
            if s.trim().is_empty() {
                f.error("exec", false, "the command is empty".into());
            }
            vec!["sh".into(), "-c".into(), s]
        }
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut argv = Vec::new();
            for (i, v) in items.iter().enumerate() {
                let p = format!("exec[{i}]");
                match scalar_text(v) {
                    Some(s) => argv.push(f.expand(&p, &s)),
                    None => f.error_at(&p, format!("expected text, found {}", describe(v))),
                }
            }
            argv
        }
        Some(v) => {
            f.error(
                "exec",
                false,
                format!(
                    "expected a command (text, run by sh -c) or a list of arguments; found {}",
                    describe(v)
                ),
            );
            return None;
        }
        None => return None,
    };
    let dir = f.string("dir", false).map(|d| resolve(base, &d));
    let env = f.string_map("env").into_iter().collect();
    Some(Exec { argv, dir, env })
}

fn resolve(base: Option<&Path>, p: &str) -> PathBuf {
    match base {
        Some(b) if Path::new(p).is_relative() => b.join(p),
        _ => PathBuf::from(p),
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `a number`, `text`, `a list`, … for messages.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn invalid(doc: &Document, path: &str, key: bool, message: &str) -> Error {
    Error::Invalid {
        at: doc.locate(path, key),
        path: path.to_string(),
        message: message.to_string(),
        suggestion: None,
    }
}

/// Reads the fields of one map, collecting problems and the keys used.
struct Fields<'a> {
    doc: &'a Document,
    path: &'a str,
    map: &'a Map<String, Value>,
    lookup: Lookup<'a>,
    errors: Vec<Error>,
}

impl<'a> Fields<'a> {
    fn new(
        doc: &'a Document,
        path: &'a str,
        map: &'a Map<String, Value>,
        lookup: Lookup<'a>,
    ) -> Self {
        Fields { doc, path, map, lookup, errors: Vec::new() }
    }

    fn take(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    fn is_list(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(Value::is_array)
    }

    fn error(&mut self, key: &str, on_key: bool, message: String) {
        let p = vz::path::key(self.path, key);
        self.errors.push(Error::Invalid {
            at: self.doc.locate(&p, on_key),
            path: p,
            message,
            suggestion: None,
        });
    }

    /// An error at a path relative to this map (`conditions[2]`).
    fn error_at(&mut self, rel: &str, message: String) {
        let p = if self.path.is_empty() {
            rel.to_string()
        } else if rel.starts_with('[') {
            format!("{}{rel}", self.path)
        } else {
            format!("{}.{rel}", self.path)
        };
        self.errors.push(Error::Invalid {
            at: self.doc.locate(&p, false),
            path: p,
            message,
            suggestion: None,
        });
    }

    fn error_here(&mut self, message: String) {
        self.errors.push(Error::Invalid {
            at: self.doc.locate(self.path, false),
            path: self.path.to_string(),
            message,
            suggestion: None,
        });
    }

    /// `${VAR}` expanded in `text` found at `rel`; problems recorded.
    fn expand(&mut self, rel: &str, text: &str) -> String {
        self.expand_marked(rel, text).0
    }

    /// Like [`Fields::expand`], also saying whether a variable was used.
    fn expand_marked(&mut self, rel: &str, text: &str) -> (String, bool) {
        match vz::subst::expand(text, self.lookup) {
            Ok(x) => {
                for (var, message) in &x.missing {
                    let m = match message {
                        Some(m) => format!("${{{var}}}: {m}"),
                        None => format!("the variable `{var}` is not set"),
                    };
                    self.error_at(rel, m);
                }
                (x.text, !x.used.is_empty())
            }
            Err(m) => {
                self.error_at(rel, m);
                (String::new(), false)
            }
        }
    }

    fn string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.map.get(key) {
            Some(Value::String(s)) => Some(self.expand(key, s)),
            Some(v @ (Value::Number(_) | Value::Bool(_))) if key == "body" || key == "name" => {
                scalar_text(v)
            }
            Some(v) => {
                self.error(key, false, format!("expected text, found {}", describe(v)));
                None
            }
            None if required => {
                self.error_here(format!("`{key}` is required"));
                None
            }
            None => None,
        }
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        match self.map.get(key) {
            None => Vec::new(),
            Some(Value::String(s)) => vec![self.expand(key, s)],
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    let rel = format!("{key}[{i}]");
                    match v {
                        Value::String(s) => out.push(self.expand(&rel, s)),
                        v => self.error_at(&rel, format!("expected text, found {}", describe(v))),
                    }
                }
                out
            }
            Some(v) => {
                self.error(
                    key,
                    false,
                    format!("expected text or a list of text, found {}", describe(v)),
                );
                Vec::new()
            }
        }
    }

    fn string_map(&mut self, key: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match self.map.get(key) {
            None => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let rel = vz::path::key(key, k);
                    match scalar_text(v) {
                        Some(s) => {
                            let s = self.expand(&rel, &s);
                            out.insert(k.clone(), s);
                        }
                        None => {
                            self.error_at(&rel, format!("expected text, found {}", describe(v)))
                        }
                    }
                }
            }
            Some(v) => self.error(key, false, format!("expected a map, found {}", describe(v))),
        }
        out
    }

    fn headers(&mut self, key: &str) -> Vec<(String, HeaderValue)> {
        let mut out = Vec::new();
        match self.map.get(key) {
            None => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let rel = vz::path::key(key, k);
                    if k.is_empty()
                        || !k
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                    {
                        self.error_at(&rel, format!("`{k}` is not a valid header name"));
                        continue;
                    }
                    match scalar_text(v) {
                        Some(s) => {
                            let (value, secret) = self.expand_marked(&rel, &s);
                            if value.contains(['\r', '\n']) {
                                self.error_at(
                                    &rel,
                                    "a header value cannot hold a line break".into(),
                                );
                            }
                            out.push((k.clone(), HeaderValue { value, secret }));
                        }
                        None => {
                            self.error_at(&rel, format!("expected text, found {}", describe(v)))
                        }
                    }
                }
            }
            Some(v) => self.error(
                key,
                false,
                format!("expected a map of header names to values, found {}", describe(v)),
            ),
        }
        out
    }

    fn duration(&mut self, key: &str) -> Option<Duration> {
        match self.map.get(key) {
            None => None,
            Some(Value::String(s)) => {
                let s = self.expand(key, s);
                match vz::duration::parse(&s) {
                    Ok(d) if d.is_zero() => {
                        self.error(key, false, "must be longer than 0s".into());
                        None
                    }
                    Ok(d) => Some(d),
                    Err(m) => {
                        self.error(key, false, m);
                        None
                    }
                }
            }
            Some(Value::Number(n)) => {
                self.error(key, false, format!("`{n}` needs a unit: {n}s, {n}ms or {n}m"));
                None
            }
            Some(v) => {
                self.error(
                    key,
                    false,
                    format!("expected a duration such as 5s, found {}", describe(v)),
                );
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.map.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => {
                self.error(key, false, format!("expected true or false, found {}", describe(v)));
                None
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        match self.map.get(key) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(v) => {
                self.error(key, false, format!("expected a number, found {}", describe(v)));
                None
            }
        }
    }

    fn choice(&mut self, key: &str, choices: &[&'static str]) -> Option<&'static str> {
        let v = self.map.get(key)?;
        let s = v.as_str().unwrap_or_default();
        match choices.iter().find(|c| **c == s) {
            Some(c) => Some(*c),
            None => {
                let shown = match v {
                    Value::String(s) => format!("`{s}`"),
                    v => describe(v).to_string(),
                };
                let p = vz::path::key(self.path, key);
                self.errors.push(Error::Invalid {
                    at: self.doc.locate(&p, false),
                    path: p,
                    message: format!("{shown} is not one of {}", choices.join(", ")),
                    suggestion: suggest(s, choices.iter().copied()),
                });
                None
            }
        }
    }

    fn status(&mut self, key: &str) -> Option<StatusSet> {
        let v = self.map.get(key)?.clone();
        let items = match &v {
            Value::Array(items) if !items.is_empty() => items.clone(),
            Value::Array(_) => {
                self.error(key, false, "the list of statuses is empty".into());
                return None;
            }
            single => vec![single.clone()],
        };
        let mut set = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let rel = if v.is_array() { format!("{key}[{i}]") } else { key.to_string() };
            match status_range(item) {
                Ok(r) => set.push(r),
                Err(m) => self.error_at(&rel, m),
            }
        }
        Some(StatusSet(set))
    }

    fn json_fields(&mut self, key: &str) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        match self.map.get(key) {
            None => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match vz::path::parse(k) {
                        Ok(_) => out.push((k.clone(), v.clone())),
                        Err(e) => {
                            self.error_at(&vz::path::key(key, k), format!("not a field path: {e}"))
                        }
                    }
                }
            }
            Some(v) => self.error(
                key,
                false,
                format!(
                    "expected a map of field paths to values (`status: UP`), found {}",
                    describe(v)
                ),
            ),
        }
        out
    }

    fn redirects(&mut self) -> Redirects {
        if self.map.contains_key("follow-redirects") {
            return match self.bool("follow-redirects") {
                Some(true) => Redirects::Follow(FOLLOW_REDIRECTS),
                _ => Redirects::None,
            };
        }
        match self.map.get("redirects") {
            None => Redirects::None,
            Some(Value::String(s)) if s == "none" => Redirects::None,
            Some(Value::String(s)) if s == "follow" => Redirects::Follow(FOLLOW_REDIRECTS),
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= 50) => {
                Redirects::Follow(u32::try_from(n.as_u64().unwrap_or(0)).unwrap_or(0))
            }
            Some(_) => {
                self.error(
                    "redirects",
                    false,
                    "expected `none`, `follow` or a number of redirects (0-50)".into(),
                );
                Redirects::None
            }
        }
    }

    /// Reports keys not in `allowed`, each with its near miss.
    fn finish(&self, allowed: &[&str], errors: &mut Vec<Error>) {
        for key in self.map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let p = vz::path::key(self.path, key);
            let elsewhere = [
                ("http", HTTP_FIELDS.as_slice()),
                ("prometheus", PROMETHEUS_FIELDS.as_slice()),
                ("exec", EXEC_FIELDS.as_slice()),
            ]
            .iter()
            .find(|(_, fields)| fields.contains(&key.as_str()))
            .map(|(kind, _)| *kind);
            let message = match elsewhere {
                Some(kind) => format!("unknown field `{key}` here: it belongs to {kind} checks"),
                None => format!("unknown field `{key}`; expected one of {}", allowed.join(", ")),
            };
            errors.push(Error::Invalid {
                at: self.doc.locate(&p, true),
                path: p,
                message,
                suggestion: suggest(key, allowed.iter().copied()),
            });
        }
    }
}

/// `200`, `"2xx"`, `"200-299"` as an inclusive range.
fn status_range(v: &Value) -> Result<(u16, u16), String> {
    let valid = |n: u64| (100..=599).contains(&n);
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(c) if valid(c) => Ok((c as u16, c as u16)),
            _ => Err(format!("`{n}` is not an HTTP status (100-599)")),
        },
        Value::String(s) => {
            let t = s.trim().to_ascii_lowercase();
            if let Some(d) = t.strip_suffix("xx")
                && let Ok(h) = d.parse::<u64>()
                && (1..=5).contains(&h)
            {
                return Ok(((h * 100) as u16, (h * 100 + 99) as u16));
            }
            if let Some((a, b)) = t.split_once('-')
                && let (Ok(a), Ok(b)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>())
                && valid(a)
                && valid(b)
                && a <= b
            {
                return Ok((a as u16, b as u16));
            }
            match t.parse::<u64>() {
                Ok(c) if valid(c) => Ok((c as u16, c as u16)),
                _ => Err(format!("`{s}` is not a status: write 200, \"2xx\" or \"200-299\"")),
            }
        }
        other => {
            Err(format!("expected a status such as 200 or \"2xx\", found {}", describe(other)))
        }
    }
}

/// Whether each check's name was written in the file (for [`unique_names`]).
pub fn explicit_names(docs: &[Document]) -> Vec<bool> {
    let mut out = Vec::new();
    for doc in docs {
        let items = match &doc.value {
            Value::Array(items) => items.as_slice(),
            Value::Object(m) => {
                m.get("checks").and_then(Value::as_array).map_or(&[][..], Vec::as_slice)
            }
            _ => &[],
        };
        out.extend(items.iter().map(|i| i.get("name").is_some()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::DEFAULT_TIMEOUT;
    use vz::input::{Locate, parse_documents};

    fn read(text: &str) -> Result<Vec<Check>, String> {
        let docs =
            parse_documents(text, "checks.yaml", Locate::Everything).map_err(|e| e.to_string())?;
        let env = |k: &str| (k == "TOKEN").then(|| "s3cret".to_string());
        from_documents(&docs, None, DEFAULT_TIMEOUT, &env).map_err(|e| e.to_string())
    }

    #[test]
    fn targets_become_checks() {
        let c = from_targets(
            &["http://127.0.0.1:9/health".into(), "tcp://db:5432".into()],
            DEFAULT_TIMEOUT,
        )
        .unwrap();
        assert_eq!(c[0].name, "http://127.0.0.1:9/health");
        assert_eq!(c[1].kind(), "tcp");
        assert_eq!(c[1].target(), "db:5432");
    }

    #[test]
    fn bad_targets_say_what_to_write() {
        let e =
            from_targets(&["db:5432".into(), "tcp://db".into(), "http://".into()], DEFAULT_TIMEOUT)
                .unwrap_err()
                .to_string();
        assert_eq!(
            e,
            "3 problems:\n  argument 1: `db:5432` is not a target: write http://HOST/PATH, https://HOST/PATH or tcp://HOST:PORT (other kinds of check go in a file: -f checks.yaml)\n  argument 2: `db` needs a port: HOST:PORT\n  argument 3: `http://` has no host"
        );
    }

    #[test]
    fn a_full_http_check_is_read() {
        let c = read(
            "checks:\n- name: api\n  http: https://h/x\n  headers: {Authorization: 'Bearer ${TOKEN}', X-A: b}\n  status: [200, 3xx]\n  max-latency: 300ms\n  redirects: 3\n  json: {status: UP}\n",
        )
        .unwrap();
        let Probe::Http(h) = &c[0].probe else { panic!() };
        assert_eq!(h.headers[0].1.value, "Bearer s3cret");
        assert!(h.headers[0].1.secret);
        assert!(!h.headers[1].1.secret);
        assert_eq!(h.expect.status.to_string(), "200, 3xx");
        assert_eq!(h.redirects, Redirects::Follow(3));
        assert_eq!(h.expect.max_latency, Some(Duration::from_millis(300)));
    }

    #[test]
    fn prometheus_checks_read_their_tls_settings() {
        let docs = parse_documents(
            "- prometheus: https://p:9090\n  query: up\n  min: 1\n  ca-file: ca.pem\n\
             - prometheus: https://q:9090\n  query: up\n  min: 1\n  insecure: true\n",
            "checks.yaml",
            Locate::Everything,
        )
        .unwrap();
        let c = from_documents(&docs, Some(Path::new("conf")), DEFAULT_TIMEOUT, &|_| None).unwrap();
        let Probe::Prometheus(p) = &c[0].probe else { panic!() };
        assert_eq!((p.insecure, p.ca_file.as_deref()), (false, Some(Path::new("conf/ca.pem"))));
        let Probe::Prometheus(q) = &c[1].probe else { panic!() };
        assert_eq!((q.insecure, q.ca_file.as_deref()), (true, None));
    }

    #[test]
    fn problems_are_located_and_all_reported() {
        let e = read("- http: http://h\n  stauts: 200\n- tcp: db\n- grpc: x\n- http: http://h\n  timeout: 5\n  query: up\n").unwrap_err();
        assert_eq!(
            e,
            "5 problems:\n  checks.yaml:2:3: [0].stauts: unknown field `stauts`; expected one of name, timeout, http, method, headers, body, status, body-contains, body-matches, json, max-latency, redirects, insecure, ca-file, conditions, follow-redirects (did you mean `status`?)\n  checks.yaml:3:8: [1].tcp: `db` needs a port: HOST:PORT\n  checks.yaml:4:3: [2]: no check kind: a check needs one of `http`, `tcp`, `prometheus`, `exec`; found `grpc`\n  checks.yaml:6:12: [3].timeout: `5` needs a unit: 5s, 5ms or 5m\n  checks.yaml:7:3: [3].query: unknown field `query` here: it belongs to prometheus checks"
        );
    }

    #[test]
    fn missing_variables_are_errors() {
        let e = read("- http: http://h\n  headers: {X: '${NOPE}'}\n").unwrap_err();
        assert_eq!(e, "checks.yaml:2:16: [0].headers.X: the variable `NOPE` is not set");
    }

    #[test]
    fn statuses_read_as_people_write_them() {
        assert_eq!(status_range(&Value::from(204)), Ok((204, 204)));
        assert_eq!(status_range(&Value::from("5xx")), Ok((500, 599)));
        assert_eq!(status_range(&Value::from("200-204")), Ok((200, 204)));
        assert!(status_range(&Value::from(700)).is_err());
        assert!(status_range(&Value::from("6xx")).is_err());
    }

    #[test]
    fn derived_duplicate_names_are_numbered_explicit_ones_refused() {
        let mut c =
            from_targets(&["tcp://a:1".into(), "tcp://a:1".into()], DEFAULT_TIMEOUT).unwrap();
        unique_names(&mut c, &[false, false]).unwrap();
        assert_eq!(c[1].name, "a:1 #2");
        let mut c =
            from_targets(&["tcp://a:1".into(), "tcp://a:1".into()], DEFAULT_TIMEOUT).unwrap();
        let e = unique_names(&mut c, &[true, true]).unwrap_err().to_string();
        assert_eq!(
            e,
            "argument 2: name: the name `a:1` is already used by the check at argument 1"
        );
    }
}
