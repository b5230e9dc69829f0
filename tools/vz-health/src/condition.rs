//! Gatus-style conditions: `[STATUS] == any(200, 204)`, `[BODY].status == UP`,
//! `[RESPONSE_TIME] < 300`, `[CERTIFICATE_EXPIRATION] > 48h`, joined with
//! `&&` and `||`.
//!
//! # The language
//!
//! A condition is one or more comparisons joined with `&&` and `||`. `&&`
//! binds tighter than `||`, so `a || b && c` means `a || (b && c)`; there are
//! no parentheses. A comparison is `LEFT OP RIGHT` where `OP` is one of `==`,
//! `!=`, `<`, `<=`, `>`, `>=` with a space on each side (as in Gatus, so that
//! `<` inside a value is not taken for an operator).
//!
//! Each side is one of:
//! - a placeholder: `[STATUS]`, `[RESPONSE_TIME]` (milliseconds), `[BODY]`
//!   (the whole body, trimmed), `[BODY].data[0].id` or `[BODY][0].id` (a field
//!   of a JSON body; keys with dots are quoted: `[BODY]["a.b"]`),
//!   `[CERTIFICATE_EXPIRATION]` (time left on the server's certificate),
//!   `[IP]`, `[CONNECTED]`; names are case-insensitive;
//! - `len(PLACEHOLDER)`: the number of items of a JSON list or object, or of
//!   characters of anything else (`null` has length 0);
//! - `has(PLACEHOLDER)`: `true` when the value is there and not `null` or
//!   empty;
//! - `pat(GLOB)`: the other side's text matches `GLOB`, where `*` stands for
//!   any run of characters and every other character for itself; only with
//!   `==` and `!=`;
//! - `any(A, B, …)`: the other side equals one of the values; only with `==`
//!   and `!=`;
//! - a literal, written bare (`UP`, `200`, `48h`) or as a JSON string
//!   (`"a && b"`) when it holds an operator, `&&`, `||` or a comma.
//!
//! At least one side must be a placeholder (or `len`/`has` of one).
//!
//! # Comparing
//!
//! Two sides compare as numbers (`f64`: `1 == 1.0`, `0.5 < 1`) when both are
//! numbers, otherwise as text: a JSON string compares as its text, `true`,
//! `false` and `null` as written, lists and objects as compact JSON. A
//! duration (`48h`, `30d`, `250ms`) counts as its milliseconds when compared
//! with `[RESPONSE_TIME]` or `[CERTIFICATE_EXPIRATION]`, and in every `<`,
//! `<=`, `>`, `>=`. Ordering comparisons need numbers on both sides; when a
//! side is not one, the comparison does not hold.
//!
//! A placeholder that cannot be resolved (a `[BODY].x` that is missing, a
//! body that is not JSON, no status) makes its comparison not hold, whatever
//! the operator; `has(...)` is then `false`.

use regex::Regex;
use serde_json::Value;
use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;
use std::time::Duration;
use vz::path::Segment;

/// The placeholders, without brackets, in the order the help lists them.
const PLACEHOLDERS: [&str; 6] =
    ["STATUS", "RESPONSE_TIME", "BODY", "CERTIFICATE_EXPIRATION", "IP", "CONNECTED"];

/// Gatus placeholders vz-health does not have.
const GATUS_ONLY: [&str; 3] = ["DNS_RCODE", "DOMAIN_EXPIRATION", "CONTEXT"];

/// The functions.
const FUNCTIONS: [&str; 4] = ["len", "has", "pat", "any"];

/// The placeholders as a message lists them.
const PLACEHOLDER_LIST: &str =
    "[STATUS], [RESPONSE_TIME], [BODY], [CERTIFICATE_EXPIRATION], [IP], [CONNECTED]";

/// The operators as a message lists them.
const OPERATOR_HINT: &str = "operators need spaces: == != < <= > >=";

/// How much of a body or a long value is kept for a report.
pub const EXCERPT_CHARS: usize = 200;

/// A parsed condition.
#[derive(Clone, Debug)]
pub struct Condition {
    /// As written (surrounding whitespace removed).
    pub text: String,
    /// Alternatives (`||`), each a conjunction (`&&`) of comparisons.
    any_of: Vec<Vec<Comparison>>,
}

/// What a condition is evaluated against; what the probe saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Observed<'a> {
    /// The HTTP status code.
    pub status: Option<u16>,
    /// The body as text.
    pub body: Option<&'a str>,
    /// The body parsed as JSON; `None` when it is not JSON (or was not
    /// parsed: see [`Condition::uses_json`]).
    pub json: Option<&'a Value>,
    /// The response time.
    pub latency: Option<Duration>,
    /// Time left before the server's certificate expires (negative once it
    /// has expired).
    pub certificate_expires_in: Option<jiff::SignedDuration>,
    /// The address connected to.
    pub ip: Option<IpAddr>,
    /// Whether a connection was made.
    pub connected: bool,
}

/// The outcome of a condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Whether it held.
    pub holds: bool,
    /// The value(s) it was decided on: the resolved placeholder side of the
    /// comparison that decided (`503`, `"DOWN"`, `412.3`); a list when every
    /// part decided (a `||` that failed, a `&&` that held); `null` for a
    /// missing field.
    pub observed: Value,
}

/// Parses a condition; the error says what is wrong and where.
pub fn parse(text: &str) -> Result<Condition, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty condition: write e.g. `[STATUS] == 200`".into());
    }
    let scan = Scan::new(text)?;
    let mut any_of = Vec::new();
    for alternative in scan.split(0..text.len(), "||")? {
        let all = scan
            .split(alternative, "&&")?
            .into_iter()
            .map(|r| scan.comparison(r))
            .collect::<Result<_, _>>()?;
        any_of.push(all);
    }
    Ok(Condition { text: text.to_string(), any_of })
}

impl Condition {
    /// Evaluates the condition against what was observed.
    pub fn eval(&self, o: &Observed) -> Verdict {
        let mut failed = Vec::new();
        for all in &self.any_of {
            let verdict = eval_all(all, o);
            if verdict.holds {
                return verdict;
            }
            failed.push(verdict.observed);
        }
        Verdict { holds: false, observed: one_or_many(failed) }
    }

    /// Whether it reads a field of a JSON body (`[BODY].x`, `len([BODY])`),
    /// so [`Observed::json`] must be filled in.
    pub fn uses_json(&self) -> bool {
        self.placeholders().any(|p| {
            matches!(p, (Placeholder::Body(Some(_)), _) | (Placeholder::Body(None), Func::Len))
        })
    }

    /// Whether it reads `[CERTIFICATE_EXPIRATION]`, so the probe must find
    /// out when the server's certificate expires.
    pub fn uses_certificate(&self) -> bool {
        self.placeholders().any(|(p, _)| *p == Placeholder::CertificateExpiration)
    }

    fn placeholders(&self) -> impl Iterator<Item = (&Placeholder, Func)> {
        self.any_of.iter().flatten().flat_map(|c| [&c.left, &c.right]).filter_map(
            |side| match &side.operand {
                Operand::Value(func, p) => Some((p, *func)),
                _ => None,
            },
        )
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The value at `path` inside `root`, if there is one.
pub fn lookup<'v>(root: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(root, |v, segment| match segment {
        Segment::Key(k) => v.as_object()?.get(k),
        Segment::Index(i) => v.as_array()?.get(*i),
    })
}

/// The first [`EXCERPT_CHARS`] characters of `text`.
pub fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

/// `value` as a report shows it: long strings cut to an excerpt, large lists
/// and objects replaced by an excerpt of their JSON text.
pub fn clip(value: &Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > EXCERPT_CHARS => Value::String(excerpt(s)),
        Value::Array(_) | Value::Object(_) => {
            let json = value.to_string();
            if json.chars().count() > EXCERPT_CHARS {
                Value::String(excerpt(&json))
            } else {
                value.clone()
            }
        }
        _ => value.clone(),
    }
}

// ---------------------------------------------------------------------------
// The parsed form

#[derive(Clone, Debug)]
struct Comparison {
    left: Side,
    op: Op,
    right: Side,
}

/// One side of a comparison, with its text for messages.
#[derive(Clone, Debug)]
struct Side {
    text: String,
    operand: Operand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn is_ordering(self) -> bool {
        !matches!(self, Op::Eq | Op::Ne)
    }
}

/// Operator tokens, longest first; `None` is a lone `=`, a mistake.
const OPERATORS: [(&str, Option<Op>); 7] = [
    ("==", Some(Op::Eq)),
    ("!=", Some(Op::Ne)),
    ("<=", Some(Op::Le)),
    (">=", Some(Op::Ge)),
    ("<", Some(Op::Lt)),
    (">", Some(Op::Gt)),
    ("=", None),
];

#[derive(Clone, Debug)]
enum Operand {
    /// A placeholder, maybe inside `len()` or `has()`.
    Value(Func, Placeholder),
    /// A value as written.
    Literal(String),
    /// `pat(...)`, compiled.
    Pattern(Regex),
    /// `any(...)`.
    Any(Vec<String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    None,
    Len,
    Has,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Placeholder {
    Status,
    ResponseTime,
    Body(Option<Vec<Segment>>),
    CertificateExpiration,
    Ip,
    Connected,
}

/// What kind of value a placeholder side gives, for checking literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Number,
    Time,
    Bool,
    Text,
}

impl Side {
    fn is_placeholder(&self) -> bool {
        matches!(self.operand, Operand::Value(..))
    }

    fn kind(&self) -> Kind {
        match &self.operand {
            Operand::Value(Func::Len, _) => Kind::Number,
            Operand::Value(Func::Has, _) | Operand::Value(_, Placeholder::Connected) => Kind::Bool,
            Operand::Value(_, Placeholder::Status) => Kind::Number,
            Operand::Value(_, Placeholder::ResponseTime | Placeholder::CertificateExpiration) => {
                Kind::Time
            }
            _ => Kind::Text,
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// The text of a condition and, for each byte, whether it is at the top
/// level: outside parentheses and quotes (only the first byte of a character
/// is ever marked).
struct Scan<'a> {
    text: &'a str,
    top: Vec<bool>,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Result<Self, String> {
        let mut top = vec![false; text.len()];
        let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
        for (i, c) in text.char_indices() {
            if quoted {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => quoted = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => quoted = true,
                '(' => {
                    top[i] = depth == 0;
                    depth += 1;
                }
                ')' => {
                    depth =
                        depth.checked_sub(1).ok_or_else(|| format!("unmatched `)` in `{text}`"))?;
                    top[i] = depth == 0;
                }
                _ => top[i] = depth == 0,
            }
        }
        if quoted {
            return Err(format!("unclosed quote in `{text}`"));
        }
        if depth > 0 {
            return Err(format!("unclosed `(` in `{text}`"));
        }
        Ok(Scan { text, top })
    }

    fn at(&self, i: usize, token: &str) -> bool {
        self.top.get(i).copied().unwrap_or(false)
            && self.text.as_bytes()[i..].starts_with(token.as_bytes())
    }

    /// The parts of `range` between top-level `sep`s, trimmed and non-empty.
    fn split(&self, range: Range<usize>, sep: &str) -> Result<Vec<Range<usize>>, String> {
        let mut parts = Vec::new();
        let (mut start, mut i) = (range.start, range.start);
        while i + sep.len() <= range.end {
            if self.at(i, sep) {
                parts.push(start..i);
                i += sep.len();
                start = i;
            } else {
                i += 1;
            }
        }
        parts.push(start..range.end);
        parts
            .into_iter()
            .map(|r| {
                let r = self.trim(r);
                if r.is_empty() {
                    Err(format!("`{sep}` needs a comparison on each side in `{}`", self.text))
                } else {
                    Ok(r)
                }
            })
            .collect()
    }

    fn trim(&self, r: Range<usize>) -> Range<usize> {
        let s = &self.text[r.clone()];
        let start = r.start + (s.len() - s.trim_start().len());
        let end = r.end - (s.len() - s.trim_end().len());
        start..end.max(start)
    }

    fn comparison(&self, r: Range<usize>) -> Result<Comparison, String> {
        let part = &self.text[r.clone()];
        if part.starts_with('(') {
            return Err(no_parentheses());
        }
        let (at, op) = self.operator(r.clone())?;
        let left = self.text[r.start..at.start].trim();
        let right = self.text[at.end..r.end].trim();
        if left.is_empty() {
            return Err(format!("nothing before `{}` in `{part}`", op.as_str()));
        }
        if right.is_empty() {
            return Err(format!("nothing after `{}` in `{part}`", op.as_str()));
        }
        let comparison = Comparison { left: side(left)?, op, right: side(right)? };
        check(&comparison, part)?;
        Ok(comparison)
    }

    /// The one top-level operator of the comparison at `r`.
    fn operator(&self, r: Range<usize>) -> Result<(Range<usize>, Op), String> {
        let part = &self.text[r.clone()];
        let bytes = self.text.as_bytes();
        // The ends of a comparison count as spaces: `== 200` has an operator
        // with nothing before it, which says more than "no operator".
        let space_before = |i: usize| i == r.start || bytes[i - 1].is_ascii_whitespace();
        let space_after = |end: usize| end == r.end || bytes[end].is_ascii_whitespace();
        let (mut found, mut lone_equals) = (Vec::new(), false);
        let mut i = r.start;
        while i < r.end {
            match OPERATORS.iter().find(|(token, _)| self.at(i, token) && i + token.len() <= r.end)
            {
                Some((token, op)) => {
                    let end = i + token.len();
                    match op {
                        Some(op) if space_before(i) && space_after(end) => {
                            found.push((i..end, *op))
                        }
                        Some(_) => {}
                        None => lone_equals = true,
                    }
                    i = end;
                }
                None => i += 1,
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 if lone_equals => {
                Err(format!("`=` is not an operator in `{part}`: write `==` ({OPERATOR_HINT})"))
            }
            0 => Err(format!("no operator in `{part}`: write `[STATUS] == 200` ({OPERATOR_HINT})")),
            _ => Err(format!(
                "more than one operator in `{part}`: write one comparison, or join comparisons with && or ||"
            )),
        }
    }
}

fn no_parentheses() -> String {
    "parentheses are not supported: && binds tighter than ||, so `a || b && c` means `a || (b && c)`".into()
}

/// Parses one side of a comparison.
fn side(text: &str) -> Result<Side, String> {
    let operand = if text.starts_with('"') {
        Operand::Literal(quoted(text)?)
    } else if text.starts_with('(') {
        return Err(no_parentheses());
    } else if let Some((name, inner)) = call(text) {
        function(text, name, inner)?
    } else if let Some(p) = placeholder(text)? {
        Operand::Value(Func::None, p)
    } else {
        Operand::Literal(text.to_string())
    };
    Ok(Side { text: text.to_string(), operand })
}

fn quoted(text: &str) -> Result<String, String> {
    serde_json::from_str::<String>(text).map_err(|e| format!("bad quoted string `{text}`: {e}"))
}

/// `name(inner)` when `text` looks like a function call.
fn call(text: &str) -> Option<(&str, &str)> {
    let name_len = text.find(|c: char| !(c.is_ascii_alphabetic() || c == '_'))?;
    if name_len == 0 || !text[name_len..].starts_with('(') || !text.ends_with(')') {
        return None;
    }
    Some((&text[..name_len], &text[name_len + 1..text.len() - 1]))
}

fn function(text: &str, name: &str, inner: &str) -> Result<Operand, String> {
    match name {
        "len" | "has" => {
            let func = if name == "len" { Func::Len } else { Func::Has };
            match placeholder(inner.trim())? {
                Some(p) => Ok(Operand::Value(func, p)),
                None => Err(format!(
                    "`{name}(...)` takes a placeholder, e.g. `{name}([BODY].items)`, not `{}`",
                    inner.trim()
                )),
            }
        }
        "pat" => glob(inner).map(Operand::Pattern),
        "any" => any_values(text, inner).map(Operand::Any),
        _ => Err(match vz::error::suggest(name, FUNCTIONS) {
            Some(f) => format!("unknown function `{name}(...)` (did you mean `{f}(...)`?)"),
            None => format!("unknown function `{name}(...)` (functions: len, has, pat, any)"),
        }),
    }
}

/// A glob where `*` is any run of characters, as an anchored regex.
fn glob(pattern: &str) -> Result<Regex, String> {
    let body = pattern.split('*').map(regex::escape).collect::<Vec<_>>().join(".*");
    Regex::new(&format!("(?s)^{body}$"))
        .map_err(|e| format!("`pat({pattern})` cannot be used: {e}"))
}

/// The values of `any(a, b, …)`: split at commas outside quotes, trimmed,
/// quoted ones unquoted.
fn any_values(text: &str, inner: &str) -> Result<Vec<String>, String> {
    if inner.trim().is_empty() {
        return Err("`any()` needs at least one value, e.g. `any(200, 204)`".into());
    }
    let mut items = Vec::new();
    let (mut start, mut quoted_now, mut escaped) = (0, false, false);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted_now => escaped = true,
            '"' => quoted_now = !quoted_now,
            ',' if !quoted_now => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                Err(format!("empty value in `{text}`"))
            } else if item.starts_with('"') {
                quoted(item)
            } else {
                Ok(item.to_string())
            }
        })
        .collect()
}

/// The placeholder `text` names, `None` when it is not written as one.
fn placeholder(text: &str) -> Result<Option<Placeholder>, String> {
    let Some(rest) = text.strip_prefix('[') else { return Ok(None) };
    let Some(close) = rest.find(']') else { return Ok(None) };
    let name = &rest[..close];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
        return Ok(None);
    }
    let suffix = &rest[close + 1..];
    let upper = name.to_ascii_uppercase();
    let p = match upper.as_str() {
        "STATUS" => Placeholder::Status,
        "RESPONSE_TIME" => Placeholder::ResponseTime,
        "CERTIFICATE_EXPIRATION" => Placeholder::CertificateExpiration,
        "IP" => Placeholder::Ip,
        "CONNECTED" => Placeholder::Connected,
        "BODY" => return body_path(text, suffix).map(|path| Some(Placeholder::Body(path))),
        _ if GATUS_ONLY.contains(&upper.as_str()) => {
            return Err(format!(
                "`[{name}]` is a Gatus placeholder that vz-health does not support (placeholders: {PLACEHOLDER_LIST})"
            ));
        }
        _ => {
            return Err(match vz::error::suggest(name, PLACEHOLDERS) {
                Some(p) => format!("unknown placeholder `[{name}]` (did you mean `[{p}]`?)"),
                None => {
                    format!("unknown placeholder `[{name}]` (placeholders: {PLACEHOLDER_LIST})")
                }
            });
        }
    };
    if !suffix.is_empty() {
        return Err(format!(
            "unexpected `{suffix}` after `[{name}]` in `{text}` (only [BODY] takes a path, as in [BODY].status)"
        ));
    }
    Ok(Some(p))
}

fn body_path(text: &str, suffix: &str) -> Result<Option<Vec<Segment>>, String> {
    let path = if suffix.is_empty() {
        return Ok(None);
    } else if let Some(p) = suffix.strip_prefix('.') {
        p
    } else if suffix.starts_with('[') {
        suffix
    } else {
        return Err(format!(
            "after `[BODY]` write a path such as `.status` or `[0]`, not `{suffix}`"
        ));
    };
    vz::path::parse(path).map(Some).map_err(|e| format!("bad path in `{text}`: {e}"))
}

/// Checks that a comparison makes sense: a placeholder on one side,
/// functions with the operators they work with, literals of the right kind.
fn check(c: &Comparison, part: &str) -> Result<(), String> {
    if !c.left.is_placeholder() && !c.right.is_placeholder() {
        let hint = [&c.left, &c.right]
            .iter()
            .filter(|s| matches!(s.operand, Operand::Literal(_)))
            .find_map(|s| vz::error::suggest(&s.text, PLACEHOLDERS))
            .map(|p| format!(" (did you mean `[{p}]`?)"))
            .unwrap_or_default();
        return Err(format!("no placeholder in `{part}`: compare one of {PLACEHOLDER_LIST}{hint}"));
    }
    for (this, other) in [(&c.left, &c.right), (&c.right, &c.left)] {
        check_side(this, other, c.op)?;
    }
    Ok(())
}

fn check_side(this: &Side, other: &Side, op: Op) -> Result<(), String> {
    let name = match &this.operand {
        Operand::Pattern(_) => Some("pat"),
        Operand::Any(_) => Some("any"),
        _ => None,
    };
    if let Some(name) = name
        && op.is_ordering()
    {
        return Err(format!("`{name}(...)` works only with == and !=, not {}", op.as_str()));
    }
    if !this.is_placeholder() {
        return Ok(());
    }
    let kind = this.kind();
    if kind == Kind::Bool && op.is_ordering() {
        return Err(format!("`{}` is true or false: compare it with == or !=", this.text));
    }
    let values: Vec<&str> = match &other.operand {
        Operand::Literal(v) => vec![v],
        Operand::Any(vs) => vs.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    for v in values {
        let fits = match kind {
            _ if op.is_ordering() => number(v).is_some() || duration_ms(v).is_some(),
            Kind::Number => number(v).is_some(),
            Kind::Time => number(v).is_some() || duration_ms(v).is_some(),
            Kind::Bool => v == "true" || v == "false",
            Kind::Text => true,
        };
        if !fits {
            return Err(match kind {
                _ if op.is_ordering() && kind == Kind::Text => {
                    format!(
                        "`{}` compares numbers: `{v}` is not a number or a duration",
                        op.as_str()
                    )
                }
                Kind::Number => format!("`{}` is a number, not `{v}`", this.text),
                Kind::Time => format!(
                    "`{}` is milliseconds or a duration (300, 2s, 48h), not `{v}`",
                    this.text
                ),
                _ => format!("`{}` is true or false, not `{v}`", this.text),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Evaluating

fn eval_all(all: &[Comparison], o: &Observed) -> Verdict {
    let mut held = Vec::new();
    for c in all {
        let (holds, observed) = c.eval(o);
        if !holds {
            return Verdict { holds: false, observed };
        }
        held.push(observed);
    }
    Verdict { holds: true, observed: one_or_many(held) }
}

fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 { values.pop().unwrap_or(Value::Null) } else { Value::Array(values) }
}

/// A side's value, resolved.
struct Resolved<'a> {
    /// What a report shows.
    observed: Value,
    /// The text compared when a side is not a number; `pat` matches it.
    text: Cow<'a, str>,
    /// The value as a number, when it is one.
    number: Option<f64>,
    /// A time in milliseconds: durations on the other side count as theirs.
    time: bool,
}

impl<'a> Resolved<'a> {
    fn literal(text: &'a str) -> Self {
        Resolved {
            observed: Value::String(text.to_string()),
            text: Cow::Borrowed(text),
            number: number(text),
            time: false,
        }
    }

    fn bool(b: bool) -> Self {
        Resolved {
            observed: Value::Bool(b),
            text: Cow::Borrowed(if b { "true" } else { "false" }),
            number: None,
            time: false,
        }
    }

    fn count(n: usize) -> Self {
        Resolved {
            observed: Value::from(n),
            text: Cow::Owned(n.to_string()),
            number: Some(n as f64),
            time: false,
        }
    }

    fn time(ms: f64, observed: Value) -> Self {
        Resolved { text: Cow::Owned(ms.to_string()), observed, number: Some(ms), time: true }
    }

    fn json(v: &'a Value) -> Self {
        let (text, number) = match v {
            Value::String(s) => (Cow::Borrowed(s.as_str()), number(s)),
            Value::Number(n) => (Cow::Owned(n.to_string()), n.as_f64()),
            _ => (Cow::Owned(v.to_string()), None),
        };
        Resolved { observed: clip(v), text, number, time: false }
    }

    /// The value as a number; with `durations`, a duration as milliseconds.
    fn numeric(&self, durations: bool) -> Option<f64> {
        self.number.or_else(|| if durations { duration_ms(&self.text) } else { None })
    }
}

impl Comparison {
    /// Whether it holds, and the observed value of its placeholder side.
    fn eval(&self, o: &Observed) -> (bool, Value) {
        let subject_is_left = self.left.is_placeholder();
        let (subject, other) =
            if subject_is_left { (&self.left, &self.right) } else { (&self.right, &self.left) };
        let s = match resolve(&subject.operand, o) {
            Ok(s) => s,
            Err(observed) => return (false, observed),
        };
        let holds = match &other.operand {
            Operand::Pattern(re) => re.is_match(&s.text) == (self.op == Op::Eq),
            Operand::Any(values) => {
                values.iter().any(|v| equal(&s, &Resolved::literal(v))) == (self.op == Op::Eq)
            }
            operand => match resolve(operand, o) {
                Ok(r) if subject_is_left => compare(self.op, &s, &r),
                Ok(r) => compare(self.op, &r, &s),
                Err(_) => false,
            },
        };
        (holds, s.observed)
    }
}

fn compare(op: Op, l: &Resolved, r: &Resolved) -> bool {
    let pair = (l.numeric(true), r.numeric(true));
    match (op, pair) {
        (Op::Eq, _) => equal(l, r),
        (Op::Ne, _) => !equal(l, r),
        (Op::Lt, (Some(a), Some(b))) => a < b,
        (Op::Le, (Some(a), Some(b))) => a <= b,
        (Op::Gt, (Some(a), Some(b))) => a > b,
        (Op::Ge, (Some(a), Some(b))) => a >= b,
        _ => false,
    }
}

fn equal(l: &Resolved, r: &Resolved) -> bool {
    let durations = l.time || r.time;
    match (l.numeric(durations), r.numeric(durations)) {
        (Some(a), Some(b)) => a == b,
        _ => l.text == r.text,
    }
}

/// Resolves a placeholder or literal side; `Err` carries what a report
/// shows when it cannot be (`null`, or a note).
fn resolve<'a>(operand: &'a Operand, o: &Observed<'a>) -> Result<Resolved<'a>, Value> {
    match operand {
        Operand::Literal(text) => Ok(Resolved::literal(text)),
        Operand::Value(Func::None, p) => raw(p, o),
        Operand::Value(Func::Has, p) => Ok(Resolved::bool(has(p, o))),
        Operand::Value(Func::Len, p) => length(p, o).map(Resolved::count),
        // Never a subject or resolved side: handled by the comparison.
        Operand::Pattern(_) | Operand::Any(_) => Err(Value::Null),
    }
}

fn raw<'a>(p: &'a Placeholder, o: &Observed<'a>) -> Result<Resolved<'a>, Value> {
    match p {
        Placeholder::Status => {
            let s = o.status.ok_or(Value::Null)?;
            Ok(Resolved {
                observed: s.into(),
                text: Cow::Owned(s.to_string()),
                number: Some(f64::from(s)),
                time: false,
            })
        }
        Placeholder::ResponseTime => {
            let ms = o.latency.ok_or(Value::Null)?.as_secs_f64() * 1000.0;
            Ok(Resolved::time(ms, Value::from((ms * 10.0).round() / 10.0)))
        }
        Placeholder::CertificateExpiration => {
            let left = o.certificate_expires_in.ok_or(Value::Null)?;
            Ok(Resolved::time(left.as_millis_f64(), Value::String(signed_duration(left))))
        }
        Placeholder::Ip => {
            let ip = o.ip.ok_or(Value::Null)?.to_string();
            Ok(Resolved {
                observed: Value::String(ip.clone()),
                text: Cow::Owned(ip),
                number: None,
                time: false,
            })
        }
        Placeholder::Connected => Ok(Resolved::bool(o.connected)),
        Placeholder::Body(None) => {
            let body = o.body.ok_or(Value::Null)?.trim();
            Ok(Resolved {
                observed: Value::String(excerpt(body)),
                text: Cow::Borrowed(body),
                number: number(body),
                time: false,
            })
        }
        Placeholder::Body(Some(path)) => json_field(path, o).map(Resolved::json),
    }
}

/// The JSON field at `path`; `Err` is `null` when it is missing, a note
/// when the body is not JSON.
fn json_field<'a>(path: &[Segment], o: &Observed<'a>) -> Result<&'a Value, Value> {
    match (o.json, o.body) {
        (Some(root), _) => lookup(root, path).ok_or(Value::Null),
        (None, Some(_)) => Err(Value::String("body is not JSON".into())),
        (None, None) => Err(Value::Null),
    }
}

fn has(p: &Placeholder, o: &Observed) -> bool {
    match p {
        Placeholder::Body(Some(path)) => json_field(path, o).is_ok_and(|v| !v.is_null()),
        Placeholder::Body(None) => o.body.is_some_and(|b| !b.trim().is_empty()),
        _ => raw(p, o).is_ok_and(|r| !r.text.is_empty()),
    }
}

fn length(p: &Placeholder, o: &Observed) -> Result<usize, Value> {
    match p {
        Placeholder::Body(Some(path)) => json_field(path, o).map(json_len),
        Placeholder::Body(None) => match (o.json, o.body) {
            (Some(root), _) => Ok(json_len(root)),
            (None, Some(body)) => Ok(body.trim().chars().count()),
            (None, None) => Err(Value::Null),
        },
        _ => raw(p, o).map(|r| r.text.chars().count()),
    }
}

fn json_len(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        Value::String(s) => s.chars().count(),
        Value::Null => 0,
        _ => v.to_string().chars().count(),
    }
}

/// `text` as a number, when it is written as one (not `inf` or `NaN`).
fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    let starts_like_number =
        t.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    let only_number_chars =
        t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if !starts_like_number || !only_number_chars {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `text` as a duration in milliseconds (`48h`, `30d`, `250ms`).
fn duration_ms(text: &str) -> Option<f64> {
    vz::duration::parse(text).ok().map(|d| d.as_millis() as f64)
}

/// A signed duration as `vz::duration` writes it, to the second: `47h59m`,
/// `-2h`.
fn signed_duration(d: jiff::SignedDuration) -> String {
    let secs = Duration::from_secs(d.unsigned_abs().as_secs());
    let sign = if d.is_negative() && !secs.is_zero() { "-" } else { "" };
    format!("{sign}{}", vz::duration::format(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const BODY: &str = r#"{"status":"UP","count":3,"ratio":1.0,"code":"200","name":"api-7","age":7,
        "data":[{"id":7,"ok":true}],"errors":null,"tags":["a","b"],"empty":"","nested":{"a":1}}"#;

    fn observe<'a>(body: &'a str, json: Option<&'a Value>) -> Observed<'a> {
        Observed {
            status: Some(200),
            body: Some(body),
            json,
            latency: Some(Duration::from_micros(412_300)),
            certificate_expires_in: Some(jiff::SignedDuration::from_hours(72)),
            ip: Some(IpAddr::from([10, 0, 0, 7])),
            connected: true,
        }
    }

    fn eval(condition: &str, o: &Observed) -> Verdict {
        match parse(condition) {
            Ok(c) => c.eval(o),
            Err(e) => panic!("{condition}: {e}"),
        }
    }

    #[test]
    fn conditions_evaluate_against_a_response() {
        let root: Value = serde_json::from_str(BODY).unwrap();
        let o = observe(BODY, Some(&root));
        let cases: &[(&str, bool, Value)] = &[
            // [STATUS] with every operator and function
            ("[STATUS] == 200", true, json!(200)),
            ("[STATUS] == 503", false, json!(200)),
            ("[STATUS] != 200", false, json!(200)),
            ("[STATUS] != 503", true, json!(200)),
            ("[STATUS] < 300", true, json!(200)),
            ("[STATUS] < 200", false, json!(200)),
            ("[STATUS] <= 200", true, json!(200)),
            ("[STATUS] > 200", false, json!(200)),
            ("[STATUS] > 199", true, json!(200)),
            ("[STATUS] >= 200", true, json!(200)),
            ("[STATUS] >= 201", false, json!(200)),
            ("[STATUS] == any(200, 204)", true, json!(200)),
            ("[STATUS] == any(201, 204)", false, json!(200)),
            ("[STATUS] != any(500, 503)", true, json!(200)),
            ("[STATUS] == pat(2*)", true, json!(200)),
            ("[STATUS] != pat(2*)", false, json!(200)),
            ("200 == [STATUS]", true, json!(200)),
            ("300 > [STATUS]", true, json!(200)),
            ("[status] == 200", true, json!(200)),
            ("len([STATUS]) == 3", true, json!(3)),
            ("has([STATUS]) == true", true, json!(true)),
            // [RESPONSE_TIME] in milliseconds, durations allowed
            ("[RESPONSE_TIME] < 500", true, json!(412.3)),
            ("[RESPONSE_TIME] < 400", false, json!(412.3)),
            ("[RESPONSE_TIME] > 412.2", true, json!(412.3)),
            ("[RESPONSE_TIME] < 1s", true, json!(412.3)),
            ("[RESPONSE_TIME] <= 400ms", false, json!(412.3)),
            // [BODY] paths: strings, numbers (real), booleans, null, lists, objects
            ("[BODY].status == UP", true, json!("UP")),
            ("[BODY].status == DOWN", false, json!("UP")),
            ("[BODY].status == \"UP\"", true, json!("UP")),
            ("[BODY].status != DOWN", true, json!("UP")),
            ("[BODY].count == 3", true, json!(3)),
            ("[BODY].count == 3.0", true, json!(3)),
            ("[BODY].ratio == 1", true, json!(1.0)),
            ("[BODY].count > 2.5", true, json!(3)),
            ("[BODY].count < 2.5", false, json!(3)),
            ("[BODY].code == 200", true, json!("200")),
            ("[BODY].code >= 199.5", true, json!("200")),
            ("[BODY].status > 1", false, json!("UP")),
            ("[BODY].data[0].id == 7", true, json!(7)),
            ("[BODY].data[0].ok == true", true, json!(true)),
            ("[BODY].errors == null", true, json!(null)),
            ("[BODY].nested == {\"a\":1}", true, json!({"a": 1})),
            ("[BODY].tags == [\"a\",\"b\"]", true, json!(["a", "b"])),
            ("[BODY].age == [BODY].data[0].id", true, json!(7)),
            ("[BODY].count == [BODY].age", false, json!(3)),
            ("[BODY].missing == 1", false, json!(null)),
            ("[BODY].missing != 1", false, json!(null)),
            ("[BODY].data[5].id == 7", false, json!(null)),
            ("[BODY].status.x == 1", false, json!(null)),
            ("[BODY].status == [BODY].missing", false, json!("UP")),
            ("[BODY].name == pat(api-*)", true, json!("api-7")),
            ("[BODY].name == pat(web-*)", false, json!("api-7")),
            ("[BODY].name == pat(*)", true, json!("api-7")),
            ("[BODY].name == any(web, \"api-7\")", true, json!("api-7")),
            ("[BODY] == pat(*\"status\":\"UP\"*)", true, json!(BODY)),
            // len() and has()
            ("len([BODY].data) == 1", true, json!(1)),
            ("len([BODY].tags) > 1", true, json!(2)),
            ("len([BODY].name) == 5", true, json!(5)),
            ("len([BODY].errors) == 0", true, json!(0)),
            ("len([BODY].nested) == 1", true, json!(1)),
            ("len([BODY]) == 11", true, json!(11)),
            ("len([BODY].missing) == 0", false, json!(null)),
            ("has([BODY].status) == true", true, json!(true)),
            ("has([BODY].errors) == false", true, json!(false)),
            ("has([BODY].missing) == false", true, json!(false)),
            ("has([BODY].empty) == true", true, json!(true)),
            ("has([BODY]) == true", true, json!(true)),
            ("has([IP]) == true", true, json!(true)),
            // [CERTIFICATE_EXPIRATION]: durations or milliseconds
            ("[CERTIFICATE_EXPIRATION] > 48h", true, json!("3d")),
            ("[CERTIFICATE_EXPIRATION] > 30d", false, json!("3d")),
            ("[CERTIFICATE_EXPIRATION] > 259199999", true, json!("3d")),
            ("[CERTIFICATE_EXPIRATION] > 259200000", false, json!("3d")),
            ("[CERTIFICATE_EXPIRATION] == 3d", true, json!("3d")),
            ("[CERTIFICATE_EXPIRATION] == 72h", true, json!("3d")),
            // [IP], [CONNECTED]
            ("[IP] == 10.0.0.7", true, json!("10.0.0.7")),
            ("[IP] == pat(10.*)", true, json!("10.0.0.7")),
            ("[IP] == pat(192.168.*)", false, json!("10.0.0.7")),
            ("[IP] == any(10.0.0.8, 10.0.0.7)", true, json!("10.0.0.7")),
            ("[CONNECTED] == true", true, json!(true)),
            ("[CONNECTED] == false", false, json!(true)),
            // && and ||: the part that decided
            ("[STATUS] == 200 && [BODY].status == UP", true, json!([200, "UP"])),
            ("[STATUS] == 200 && [BODY].status == DOWN", false, json!("UP")),
            ("[STATUS] == 503 && [BODY].status == UP", false, json!(200)),
            ("[STATUS] == 503 || [BODY].status == UP", true, json!("UP")),
            ("[STATUS] == 503 || [BODY].status == DOWN", false, json!([200, "UP"])),
            ("[STATUS] == 503 && [BODY].status == UP || [BODY].count == 3", true, json!(3)),
            // && binds tighter: 200 || (UP && 503), not (200 || UP) && 503
            ("[STATUS] == 200 || [BODY].status == UP && [STATUS] == 503", true, json!(200)),
            ("[STATUS] == 503 || [BODY].status == UP && [STATUS] == 200", true, json!(["UP", 200])),
            ("[STATUS]  ==  200&&[BODY].count == 3", true, json!([200, 3])),
            // operators inside quotes and function arguments are values
            ("[BODY].status != \"a && b || c == d\"", true, json!("UP")),
            ("[BODY] != pat(*a && b*)", true, json!(BODY)),
        ];
        for (condition, holds, observed) in cases {
            let v = eval(condition, &o);
            assert_eq!((v.holds, &v.observed), (*holds, observed), "{condition}");
        }
    }

    #[test]
    fn bodies_that_are_not_json_or_absent() {
        let o = observe(" hello\n", None);
        let note = json!("body is not JSON");
        assert_eq!(
            eval("[BODY].status == UP", &o),
            Verdict { holds: false, observed: note.clone() }
        );
        assert_eq!(
            eval("has([BODY].status) == false", &o),
            Verdict { holds: true, observed: json!(false) }
        );
        assert_eq!(eval("len([BODY].status) == 1", &o), Verdict { holds: false, observed: note });
        assert_eq!(eval("[BODY] == hello", &o), Verdict { holds: true, observed: json!("hello") });
        assert_eq!(eval("len([BODY]) == 5", &o), Verdict { holds: true, observed: json!(5) });
        let long = "x".repeat(300);
        let v = eval("[BODY] == pat(x*)", &observe(&long, None));
        assert_eq!(v, Verdict { holds: true, observed: json!("x".repeat(200)) });

        let nothing = Observed::default();
        assert_eq!(
            eval("[STATUS] == 200", &nothing),
            Verdict { holds: false, observed: json!(null) }
        );
        assert_eq!(
            eval("[STATUS] != 200", &nothing),
            Verdict { holds: false, observed: json!(null) }
        );
        assert_eq!(
            eval("[BODY].x == 1", &nothing),
            Verdict { holds: false, observed: json!(null) }
        );
        assert_eq!(
            eval("[RESPONSE_TIME] < 100", &nothing),
            Verdict { holds: false, observed: json!(null) }
        );
        assert_eq!(
            eval("[IP] == pat(*)", &nothing),
            Verdict { holds: false, observed: json!(null) }
        );
        assert_eq!(
            eval("has([IP]) == false", &nothing),
            Verdict { holds: true, observed: json!(false) }
        );
        assert_eq!(
            eval("has([BODY]) == false", &nothing),
            Verdict { holds: true, observed: json!(false) }
        );
        assert_eq!(
            eval("[CONNECTED] == false", &nothing),
            Verdict { holds: true, observed: json!(false) }
        );
    }

    #[test]
    fn root_lists_and_expired_certificates() {
        let body = r#"[{"id": 1}, {"id": 2}]"#;
        let root: Value = serde_json::from_str(body).unwrap();
        let o = observe(body, Some(&root));
        assert_eq!(eval("[BODY][1].id == 2", &o), Verdict { holds: true, observed: json!(2) });
        assert_eq!(eval("len([BODY]) == 2", &o), Verdict { holds: true, observed: json!(2) });
        assert_eq!(
            eval("[BODY][\"x.y\"] == 1", &o),
            Verdict { holds: false, observed: json!(null) }
        );

        let expired = Observed {
            certificate_expires_in: Some(jiff::SignedDuration::from_secs(-7200)),
            ..Observed::default()
        };
        assert_eq!(
            eval("[CERTIFICATE_EXPIRATION] > 0", &expired),
            Verdict { holds: false, observed: json!("-2h") }
        );
        let soon = Observed {
            certificate_expires_in: Some(jiff::SignedDuration::from_millis(90_061_500)),
            ..Observed::default()
        };
        assert_eq!(
            eval("[CERTIFICATE_EXPIRATION] < 2d", &soon),
            Verdict { holds: true, observed: json!("1d1h1m1s") }
        );
    }

    #[test]
    fn bad_conditions_say_what_is_wrong() {
        let ops = "(operators need spaces: == != < <= > >=)";
        let all = "[STATUS], [RESPONSE_TIME], [BODY], [CERTIFICATE_EXPIRATION], [IP], [CONNECTED]";
        let cases: Vec<(&str, String)> = vec![
            ("", "empty condition: write e.g. `[STATUS] == 200`".into()),
            ("   ", "empty condition: write e.g. `[STATUS] == 200`".into()),
            ("[STAUS] == 200", "unknown placeholder `[STAUS]` (did you mean `[STATUS]`?)".into()),
            ("[RESPONSETIME] < 300", "unknown placeholder `[RESPONSETIME]` (did you mean `[RESPONSE_TIME]`?)".into()),
            ("[FOO] == 1", format!("unknown placeholder `[FOO]` (placeholders: {all})")),
            (
                "[DNS_RCODE] == NOERROR",
                format!("`[DNS_RCODE]` is a Gatus placeholder that vz-health does not support (placeholders: {all})"),
            ),
            ("[STATUS]==200", format!("no operator in `[STATUS]==200`: write `[STATUS] == 200` {ops}")),
            ("[STATUS] 200", format!("no operator in `[STATUS] 200`: write `[STATUS] == 200` {ops}")),
            (
                "[STATUS] == 200 && [BODY].ok",
                format!("no operator in `[BODY].ok`: write `[STATUS] == 200` {ops}"),
            ),
            ("[STATUS] = 200", format!("`=` is not an operator in `[STATUS] = 200`: write `==` {ops}")),
            (
                "[STATUS] == 200 == 300",
                "more than one operator in `[STATUS] == 200 == 300`: write one comparison, or join comparisons with && or ||"
                    .into(),
            ),
            ("== 200", "nothing before `==` in `== 200`".into()),
            ("[STATUS] ==", "nothing after `==` in `[STATUS] ==`".into()),
            (
                "[STATUS] == 200 &&",
                "`&&` needs a comparison on each side in `[STATUS] == 200 &&`".into(),
            ),
            ("|| [STATUS] == 200", "`||` needs a comparison on each side in `|| [STATUS] == 200`".into()),
            (
                "([STATUS] == 200)",
                "parentheses are not supported: && binds tighter than ||, so `a || b && c` means `a || (b && c)`".into(),
            ),
            (
                "[STATUS] == 200 && ([IP] == a || [IP] == b)",
                "parentheses are not supported: && binds tighter than ||, so `a || b && c` means `a || (b && c)`".into(),
            ),
            ("len([BODY].x == 3", "unclosed `(` in `len([BODY].x == 3`".into()),
            ("[STATUS] == 200)", "unmatched `)` in `[STATUS] == 200)`".into()),
            ("[BODY].status == \"UP", "unclosed quote in `[BODY].status == \"UP`".into()),
            ("[STATUS] < pat(2*)", "`pat(...)` works only with == and !=, not <".into()),
            ("[STATUS] >= any(200, 204)", "`any(...)` works only with == and !=, not >=".into()),
            ("lenn([BODY].x) == 1", "unknown function `lenn(...)` (did you mean `len(...)`?)".into()),
            ("foo([BODY]) == 1", "unknown function `foo(...)` (functions: len, has, pat, any)".into()),
            ("len(x) == 1", "`len(...)` takes a placeholder, e.g. `len([BODY].items)`, not `x`".into()),
            ("has() == true", "`has(...)` takes a placeholder, e.g. `has([BODY].items)`, not ``".into()),
            ("[STATUS] == any()", "`any()` needs at least one value, e.g. `any(200, 204)`".into()),
            ("[STATUS] == any(200, )", "empty value in `any(200, )`".into()),
            (
                "STATUS == 200",
                format!("no placeholder in `STATUS == 200`: compare one of {all} (did you mean `[STATUS]`?)"),
            ),
            ("1 == 1", format!("no placeholder in `1 == 1`: compare one of {all}")),
            ("pat(a*) == any(a)", format!("no placeholder in `pat(a*) == any(a)`: compare one of {all}")),
            ("[STATUS] == abc", "`[STATUS]` is a number, not `abc`".into()),
            ("[STATUS] == any(200, 2xx)", "`[STATUS]` is a number, not `2xx`".into()),
            ("len([BODY].x) == many", "`len([BODY].x)` is a number, not `many`".into()),
            (
                "[CERTIFICATE_EXPIRATION] > 48x",
                "`[CERTIFICATE_EXPIRATION]` is milliseconds or a duration (300, 2s, 48h), not `48x`".into(),
            ),
            (
                "[RESPONSE_TIME] == fast",
                "`[RESPONSE_TIME]` is milliseconds or a duration (300, 2s, 48h), not `fast`".into(),
            ),
            ("[BODY].x < abc", "`<` compares numbers: `abc` is not a number or a duration".into()),
            ("[CONNECTED] == yes", "`[CONNECTED]` is true or false, not `yes`".into()),
            ("has([BODY].x) > 1", "`has([BODY].x)` is true or false: compare it with == or !=".into()),
            ("[CONNECTED] < 1", "`[CONNECTED]` is true or false: compare it with == or !=".into()),
            (
                "[STATUS].code == 1",
                "unexpected `.code` after `[STATUS]` in `[STATUS].code` (only [BODY] takes a path, as in [BODY].status)"
                    .into(),
            ),
            ("[BODY]x == 1", "after `[BODY]` write a path such as `.status` or `[0]`, not `x`".into()),
            ("[BODY]. == 1", "bad path in `[BODY].`: the path is empty".into()),
            ("[BODY].a..b == 1", "bad path in `[BODY].a..b`: empty key in `a..b`".into()),
            (
                "[BODY][x] == 1",
                "bad path in `[BODY][x]`: `[x]` in `[x]` is not a list index (use [\"key\"] for a key)".into(),
            ),
            (
                "[BODY].s == \"a\\q\"",
                "bad quoted string `\"a\\q\"`: invalid escape at line 1 column 4".into(),
            ),
        ];
        for (condition, message) in cases {
            match parse(condition) {
                Ok(c) => panic!("{condition}: parsed as {c:?}"),
                Err(e) => assert_eq!(e, message, "{condition}"),
            }
        }
    }

    #[test]
    fn conditions_keep_their_text_and_say_what_they_need() {
        let c = parse("  [BODY].status == UP && [CERTIFICATE_EXPIRATION] > 48h ").unwrap();
        assert_eq!(c.text, "[BODY].status == UP && [CERTIFICATE_EXPIRATION] > 48h");
        assert_eq!(c.to_string(), c.text);
        assert!(c.uses_json());
        assert!(c.uses_certificate());
        let c = parse("[STATUS] == 200 || [BODY] == pat(*ok*)").unwrap();
        assert!(!c.uses_json());
        assert!(!c.uses_certificate());
        assert!(parse("len([BODY]) > 0").unwrap().uses_json());
        assert!(parse("has([BODY][0]) == true").unwrap().uses_json());
    }

    #[test]
    fn lookups_and_clipping() {
        let v = json!({"a": [{"b": 1}], "a.b": 2});
        let path = vz::path::parse("a[0].b").unwrap();
        assert_eq!(lookup(&v, &path), Some(&json!(1)));
        assert_eq!(lookup(&v, &vz::path::parse("[\"a.b\"]").unwrap()), Some(&json!(2)));
        assert_eq!(lookup(&v, &vz::path::parse("a.b").unwrap()), None);
        assert_eq!(clip(&json!("y".repeat(201))), json!("y".repeat(200)));
        let big = json!(vec![1; 150]);
        assert_eq!(clip(&big), json!(excerpt(&big.to_string())));
        assert_eq!(clip(&json!([1, 2])), json!([1, 2]));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,60}") {
            let _ = parse(&s);
        }

        #[test]
        fn parse_and_eval_never_panic_on_condition_like_text(
            s in "[\\[\\]()\" .,*=!<>&|a-zA-Z_0-9ü-]{0,48}"
        ) {
            if let Ok(c) = parse(&s) {
                let root = json!({"a": [1, "x", null], "b": {"c": true}});
                let _ = c.eval(&observe("{}", Some(&root)));
                let _ = c.eval(&Observed::default());
            }
        }

        #[test]
        fn placeholder_comparisons_parse(
            p in prop::sample::select(vec!["[STATUS]", "[RESPONSE_TIME]", "[BODY].a[0]", "len([BODY])", "[CERTIFICATE_EXPIRATION]"]),
            op in prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]),
            n in 0u32..100_000,
        ) {
            let c = parse(&format!("{p} {op} {n}"));
            prop_assert!(c.is_ok(), "{:?}", c);
        }
    }
}
