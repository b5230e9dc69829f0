//! The same verbs on nginx with no Kubernetes: an upstream include file.
//!
//! The file is an ordinary nginx include (`include conf.d/app-upstream.conf;`
//! inside `http { }`) that `nginx -t` accepts as it is. Each server line of
//! the switched upstream ends with a comment whose first word is its colour:
//!
//! ```nginx
//! # vz-switch: previous green; switched-at 2026-11-23T12:00:00Z
//! upstream app {
//!     server 127.0.0.1:9001 weight=100;     # blue
//!     server 127.0.0.1:9002 weight=1 down;  # green
//!     keepalive 16;
//! }
//! ```
//!
//! so `vz-switch to green -f app-upstream.conf --write && nginx -t &&
//! nginx -s reload` is the whole switch.
//!
//! - **Live colour:** a colour is live when one of its servers is not
//!   `down`. `to COLOR` removes `down` from that colour's servers and adds
//!   it to every other colour's; weights stay as they are.
//! - **Weights:** nginx weights are relative and at least 1, so a colour's
//!   weight is the sum of its live servers' `weight=` (1 when absent) and 0
//!   means `down`. `weight` and `step` write whole percentages summing to
//!   100, split evenly over a colour's servers.
//! - **State:** `to` and `back` record the colour they replaced (the
//!   heaviest other live one, mid-canary) and the time in one comment line,
//!   `# vz-switch: previous C; switched-at T`, written above the upstream
//!   when missing. That line may also carry `colors A B …`: colours known
//!   besides `--colors`. `weight` and `step` leave it alone; `--undo`
//!   restores any change exactly.
//! - **Which upstream:** the one whose server comments start with a known
//!   colour (exactly one per file; the comments of other upstreams are just
//!   comments). There, every server needs a tag of a known colour; a
//!   `backup` server is nginx's own fallback, not a colour, and is left
//!   alone. Other upstreams, directives (`keepalive`, `max_fails=`, …) and
//!   comments are kept byte for byte: only the tokens that change are
//!   edited.

use crate::Verb;
use serde_json::{Map, Value};
use vz::text::line_col;
use vz::{Error, Location};

/// How a switch may go.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// The known colours.
    pub colors: &'a [String],
    /// The time recorded.
    pub now: jiff::Timestamp,
}

/// The upstream as it is.
#[derive(Clone, Debug)]
pub struct Current {
    /// For `-o json`.
    pub json: Value,
    /// For `$(...)`.
    pub text: String,
}

/// The file changed, and what changed in words.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The new file.
    pub text: String,
    /// For stderr.
    pub summary: String,
}

/// What the upstream file says: the live colour (`blue`) when only one is
/// live, else the colours' weights (`blue=90 green=10`); JSON adds the
/// upstream's name, every weight, and the recorded previous colour and time.
pub fn current(text: &str, name: &str, opts: &Options<'_>) -> Result<Current, Error> {
    let front = Front::read(text, name, opts.colors)?;
    let weights = front.weights();
    let mut json = Map::new();
    json.insert("upstream".into(), front.upstream.name.clone().into());
    if let Some(color) = sole(&weights) {
        json.insert("color".into(), color.into());
    }
    let by_color: Map<String, Value> =
        weights.iter().map(|(c, w)| (c.clone(), Value::from(*w))).collect();
    json.insert("weights".into(), Value::Object(by_color));
    if let Some(previous) = &front.header.previous {
        json.insert("previous".into(), previous.clone().into());
    }
    if let Some(at) = &front.header.switched_at {
        json.insert("switched_at".into(), at.clone().into());
    }
    Ok(Current { json: Value::Object(json), text: format!("{}\n", describe(&weights)) })
}

/// The file with `verb` applied.
pub fn apply(text: &str, name: &str, verb: &Verb, opts: &Options<'_>) -> Result<Applied, Error> {
    let front = Front::read(text, name, opts.colors)?;
    match verb {
        Verb::To { target, allow_noop } => front.to(target, *allow_noop, opts.now, false),
        Verb::Back => {
            let Some(previous) = front.header.previous.clone() else {
                return Err(front.invalid(
                    front.upstream.at,
                    "no previous colour is recorded (a `# vz-switch: previous COLOR` line): \
                     `back` can only undo a switch made by vz-switch; use `to COLOR`",
                ));
            };
            front.to(&previous, true, opts.now, true)
        }
        Verb::Weight { weights, rule } => {
            no_rule(*rule)?;
            front.weigh(weights, None)
        }
        Verb::Step { plan, canary, stable, rule } => {
            no_rule(*rule)?;
            front.step(plan, canary, stable.as_deref())
        }
        Verb::Current | Verb::Plan { .. } => {
            Err(Error::usage("`current` and `plan` change nothing in an nginx upstream file"))
        }
    }
}

fn no_rule(rule: Option<usize>) -> Result<(), Error> {
    match rule {
        Some(_) => Err(Error::usage(
            "--rule picks a rule of a route; an nginx upstream file has one upstream and no rules",
        )),
        None => Ok(()),
    }
}

/// The one live colour, if only one colour has weight.
fn sole(weights: &[(String, u32)]) -> Option<&str> {
    let mut live = weights.iter().filter(|(_, w)| *w > 0);
    match (live.next(), live.next()) {
        (Some((c, _)), None) => Some(c),
        _ => None,
    }
}

/// `blue`, or `blue=90 green=10` when several (or no) colours are live.
fn describe(weights: &[(String, u32)]) -> String {
    match sole(weights) {
        Some(c) => c.to_string(),
        None => weights.iter().map(|(c, w)| format!("{c}={w}")).collect::<Vec<_>>().join(" "),
    }
}

// ---------------------------------------------------------------------------
// Tokens: nginx's own lexical rules, enough to find statements, blocks and
// comments with their byte offsets.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tk {
    Word,
    Semi,
    Open,
    Close,
    Comment,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Tk,
    start: usize,
    end: usize,
}

/// Splits `text` into tokens; an unclosed quote is an error at its offset.
fn tokenize(text: &str) -> Parsing<Vec<Tok>> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                // A CRLF file's `\r` is not part of the comment.
                let end = if i > start + 1 && b[i - 1] == b'\r' { i - 1 } else { i };
                toks.push(Tok { kind: Tk::Comment, start, end });
                continue;
            }
            b';' => {
                i += 1;
                Tk::Semi
            }
            b'{' => {
                i += 1;
                Tk::Open
            }
            b'}' => {
                i += 1;
                Tk::Close
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    return Err((start, "a quoted string is not closed".into()));
                }
                i += 1;
                Tk::Word
            }
            _ => {
                while i < b.len()
                    && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}')
                {
                    if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                        while i < b.len() && b[i] != b'}' {
                            i += 1;
                        }
                    }
                    i += 1;
                }
                Tk::Word
            }
        };
        toks.push(Tok { kind, start, end: i.min(b.len()) });
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------
// Structure: the upstream blocks, their server lines, the header comment.
// ---------------------------------------------------------------------------

/// A `server ADDRESS PARAMS…;` line of an upstream.
#[derive(Clone, Debug)]
struct Server {
    /// Offset of the `server` word.
    at: usize,
    address: String,
    /// End of the address word.
    address_end: usize,
    /// Parameter words, as (start, end).
    params: Vec<(usize, usize)>,
    /// Offset of the closing `;`.
    semi: usize,
    /// The trailing comment on the `;`'s line, as (start, end).
    comment: Option<(usize, usize)>,
}

/// An `upstream NAME { … }` block.
#[derive(Clone, Debug)]
struct Upstream {
    /// Offset of the `upstream` word.
    at: usize,
    name: String,
    servers: Vec<Server>,
}

/// The top-level upstreams and the `# vz-switch:` comments (own line only).
struct Parsed {
    upstreams: Vec<Upstream>,
    headers: Vec<(usize, usize)>,
}

const HEADER: &str = "vz-switch:";

/// A parse result; the error is a byte offset and a message.
type Parsing<T> = Result<T, (usize, String)>;

/// A statement's words and the token that ends it.
type Statement = (Vec<Tok>, Tok);

struct Parser<'t> {
    text: &'t str,
    toks: Vec<Tok>,
    i: usize,
    headers: Vec<(usize, usize)>,
}

impl<'t> Parser<'t> {
    fn word(&self, t: Tok) -> &'t str {
        &self.text[t.start..t.end]
    }

    fn same_line(&self, a: usize, b: usize) -> bool {
        !self.text[a.min(b)..a.max(b)].contains('\n')
    }

    /// The next token that is not a comment (noting header comments).
    fn next(&mut self) -> Option<Tok> {
        while let Some(&t) = self.toks.get(self.i) {
            self.i += 1;
            if t.kind != Tk::Comment {
                return Some(t);
            }
            let own_line = self.i < 2 || !self.same_line(self.toks[self.i - 2].end, t.start);
            let body = self.word(t)[1..].trim_start();
            if own_line && body.starts_with(HEADER) {
                self.headers.push((t.start, t.end));
            }
        }
        None
    }

    /// The words of one statement and the token that ends it (`;`, `{`,
    /// `}`), or `None` at the end of the input.
    fn statement(&mut self) -> Parsing<Option<Statement>> {
        let mut words = Vec::new();
        loop {
            match self.next() {
                Some(t) if t.kind == Tk::Word => words.push(t),
                Some(t) => return Ok(Some((words, t))),
                None if words.is_empty() => return Ok(None),
                None => {
                    return Err((
                        words[0].start,
                        "unexpected end of file, expecting `;` or `}` after this directive".into(),
                    ));
                }
            }
        }
    }

    /// Skips the rest of a block whose `{` (at `open`) was just read.
    fn skip_block(&mut self, open: usize) -> Parsing<()> {
        let mut depth = 1;
        while depth > 0 {
            match self.next() {
                Some(t) if t.kind == Tk::Open => depth += 1,
                Some(t) if t.kind == Tk::Close => depth -= 1,
                Some(_) => {}
                None => return Err((open, "this block is not closed with `}`".into())),
            }
        }
        Ok(())
    }

    fn file(&mut self) -> Parsing<Vec<Upstream>> {
        let mut upstreams = Vec::new();
        while let Some((words, end)) = self.statement()? {
            match end.kind {
                Tk::Close => return Err((end.start, "unexpected `}`".into())),
                Tk::Open => match words.first().map(|w| self.word(*w)) {
                    Some("upstream") => upstreams.push(self.upstream(&words, end)?),
                    _ => self.skip_block(end.start)?,
                },
                _ => {}
            }
        }
        Ok(upstreams)
    }

    fn upstream(&mut self, words: &[Tok], open: Tok) -> Parsing<Upstream> {
        let at = words[0].start;
        let [_, name] = words else {
            return Err((at, "write `upstream NAME {`".into()));
        };
        let mut servers = Vec::new();
        loop {
            let Some((words, end)) = self.statement()? else {
                return Err((open.start, "this upstream is not closed with `}`".into()));
            };
            match end.kind {
                Tk::Close if words.is_empty() => break,
                Tk::Close => {
                    return Err((
                        end.start,
                        "unexpected `}`: the directive before it has no `;`".into(),
                    ));
                }
                Tk::Open => self.skip_block(end.start)?,
                _ if words.first().map(|w| self.word(*w)) == Some("server") => {
                    servers.push(self.server(&words, end)?);
                }
                _ => {}
            }
        }
        Ok(Upstream { at, name: self.word(*name).to_string(), servers })
    }

    fn server(&self, words: &[Tok], semi: Tok) -> Parsing<Server> {
        let Some(address) = words.get(1) else {
            return Err((words[0].start, "a `server` without an address".into()));
        };
        let comment = self
            .toks
            .get(self.i)
            .filter(|t| t.kind == Tk::Comment && self.same_line(semi.end, t.start))
            .map(|t| (t.start, t.end));
        Ok(Server {
            at: words[0].start,
            address: self.word(*address).to_string(),
            address_end: address.end,
            params: words[2..].iter().map(|t| (t.start, t.end)).collect(),
            semi: semi.start,
            comment,
        })
    }
}

fn parse(text: &str) -> Parsing<Parsed> {
    let mut p = Parser { text, toks: tokenize(text)?, i: 0, headers: Vec::new() };
    let upstreams = p.file()?;
    Ok(Parsed { upstreams, headers: p.headers })
}

// ---------------------------------------------------------------------------
// The switched upstream, validated.
// ---------------------------------------------------------------------------

/// A server of the switched upstream with its colour and state.
#[derive(Clone, Debug)]
struct Member {
    server: Server,
    color: String,
    /// The `down` parameter, as (start, end).
    down: Option<(usize, usize)>,
    /// The `weight=` parameter, as (start, end).
    weight_at: Option<(usize, usize)>,
    weight: u32,
}

/// The `# vz-switch:` line.
#[derive(Clone, Debug, Default)]
struct Header {
    span: Option<(usize, usize)>,
    colors: Vec<String>,
    previous: Option<String>,
    switched_at: Option<String>,
}

/// The upstream vz-switch edits, read from one file.
struct Front<'t> {
    text: &'t str,
    name: &'t str,
    upstream: Upstream,
    members: Vec<Member>,
    header: Header,
    /// `--colors` and the header's `colors`.
    known: Vec<String>,
}

/// One replacement of `text[start..end]`.
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

impl<'t> Front<'t> {
    fn read(text: &'t str, name: &'t str, colors: &[String]) -> Result<Front<'t>, Error> {
        let parsed = parse(text)
            .map_err(|(at, message)| Error::Parse { at: location(text, name, at), message })?;
        let mut front = Front {
            text,
            name,
            upstream: Upstream { at: 0, name: String::new(), servers: Vec::new() },
            members: Vec::new(),
            header: Header::default(),
            known: colors.to_vec(),
        };
        if let [_, second, ..] = parsed.headers.as_slice() {
            return Err(front.invalid(second.0, "a second `# vz-switch:` line: keep one per file"));
        }
        if let Some(&span) = parsed.headers.first() {
            front.header = front.header_at(span)?;
            for c in front.header.colors.clone() {
                if !front.known.contains(&c) {
                    front.known.push(c);
                }
            }
        }
        front.upstream = front.pick(parsed.upstreams)?;
        front.members = front.members_of(&front.upstream)?;
        Ok(front)
    }

    /// An error at byte `at`, in the switched upstream once it is known.
    fn invalid(&self, at: usize, message: impl Into<String>) -> Error {
        self.invalid_in(&self.upstream.name, at, message)
    }

    /// An error at byte `at` in upstream `upstream` (none when empty).
    fn invalid_in(&self, upstream: &str, at: usize, message: impl Into<String>) -> Error {
        let path = if upstream.is_empty() { String::new() } else { format!("upstream {upstream}") };
        Error::Invalid {
            at: location(self.text, self.name, at),
            path,
            message: message.into(),
            suggestion: None,
        }
    }

    fn known_list(&self) -> String {
        self.known.join(", ")
    }

    /// The first word of a server's trailing comment, and its offset.
    fn tag(&self, s: &Server) -> Option<(&'t str, usize)> {
        let (start, end) = s.comment?;
        let body = &self.text[start + 1..end];
        let word = body.split_whitespace().next()?;
        let offset = start + 1 + body.find(word).unwrap_or(0);
        Some((word, offset))
    }

    fn param(&self, (start, end): (usize, usize)) -> &'t str {
        &self.text[start..end]
    }

    fn is_backup(&self, s: &Server) -> bool {
        s.params.iter().any(|&p| self.param(p) == "backup")
    }

    /// The upstream whose servers carry known colour tags: exactly one.
    fn pick(&self, upstreams: Vec<Upstream>) -> Result<Upstream, Error> {
        let Some(first) = upstreams.first() else {
            return Err(self.invalid(
                0,
                "no `upstream NAME { … }` block: vz-switch switches the servers of an nginx upstream",
            ));
        };
        let (first_at, first_name) = (first.at, first.name.clone());
        let tagged = |u: &Upstream| {
            u.servers
                .iter()
                .any(|s| self.tag(s).is_some_and(|(t, _)| self.known.iter().any(|k| k == t)))
        };
        let mut found: Vec<Upstream> = upstreams.into_iter().filter(tagged).collect();
        match found.len() {
            0 => Err(self.invalid_in(
                &first_name,
                first_at,
                format!(
                    "no server is tagged with a colour ({}): end each server line with `# COLOR`, \
                     e.g. `server 127.0.0.1:9001; # {}`",
                    self.known_list(),
                    self.known.first().map_or("blue", String::as_str)
                ),
            )),
            1 => Ok(found.remove(0)),
            _ => {
                let (a, b) = (&found[0], &found[1]);
                let (l, c) = line_col(self.text, a.at);
                Err(self.invalid_in(
                    &b.name,
                    b.at,
                    format!(
                        "a second upstream with colour-tagged servers (upstream {} at {l}:{c}): \
                         vz-switch switches one upstream per file; put each in its own include file",
                        a.name
                    ),
                ))
            }
        }
    }

    /// Every non-backup server of `u` with its colour, `down` and weight.
    fn members_of(&self, u: &Upstream) -> Result<Vec<Member>, Error> {
        let mut members = Vec::new();
        for s in u.servers.iter().filter(|s| !self.is_backup(s)) {
            let Some((tag, at)) = self.tag(s) else {
                return Err(self.invalid(
                    s.at,
                    format!(
                        "server {} has no colour tag: end its line with `# COLOR` ({}), or mark \
                         it `backup` to keep it out of switches",
                        s.address,
                        self.known_list()
                    ),
                ));
            };
            if !self.known.iter().any(|k| k == tag) {
                let mut e = self.invalid(
                    at,
                    format!(
                        "server {} is tagged `{tag}`, which is not one of the colours {} (set them \
                         with --colors or a `# vz-switch: colors …` line)",
                        s.address,
                        self.known_list()
                    ),
                );
                if let Error::Invalid { suggestion, .. } = &mut e {
                    *suggestion = vz::error::suggest(tag, self.known.iter().map(String::as_str));
                }
                return Err(e);
            }
            let down = s.params.iter().copied().find(|&p| self.param(p) == "down");
            let weight_at =
                s.params.iter().copied().find(|&p| self.param(p).starts_with("weight="));
            let weight = match weight_at {
                None => 1,
                Some(p) => match self.param(p)["weight=".len()..].parse::<u32>() {
                    Ok(w) if w >= 1 => w,
                    _ => {
                        return Err(self.invalid(
                            p.0,
                            format!(
                                "server {}: `{}` is not a whole number of at least 1 (nginx \
                                 weights are relative; `down` takes a server out)",
                                s.address,
                                self.param(p)
                            ),
                        ));
                    }
                },
            };
            members.push(Member {
                server: s.clone(),
                color: tag.to_string(),
                down,
                weight_at,
                weight,
            });
        }
        Ok(members)
    }

    /// Reads the `# vz-switch: FIELD VALUE…; …` comment at `span`.
    fn header_at(&self, span: (usize, usize)) -> Result<Header, Error> {
        let comment = &self.text[span.0..span.1];
        let after = comment.find(HEADER).map_or(comment.len(), |i| i + HEADER.len());
        let mut header = Header { span: Some(span), ..Header::default() };
        let mut offset = span.0 + after;
        for field in comment[after..].split(';') {
            let at = offset + (field.len() - field.trim_start().len());
            offset += field.len() + 1;
            let mut words = field.split_whitespace();
            let Some(key) = words.next() else { continue };
            let values: Vec<String> = words.map(str::to_string).collect();
            let one = |what: &str| match values.as_slice() {
                [v] => Ok(v.clone()),
                _ => Err(self.invalid(at, format!("the vz-switch line: write `{key} {what}`"))),
            };
            match key {
                "colors" if !values.is_empty() => header.colors = values.clone(),
                "colors" => {
                    return Err(self.invalid(at, "the vz-switch line: write `colors A B …`"));
                }
                "previous" => header.previous = Some(one("COLOR")?),
                "switched-at" => header.switched_at = Some(one("TIME")?),
                _ => {
                    let mut e = self.invalid(
                        at,
                        format!(
                            "the vz-switch line: unknown field `{key}` (it holds colors, previous \
                             and switched-at)"
                        ),
                    );
                    if let Error::Invalid { suggestion, .. } = &mut e {
                        *suggestion =
                            vz::error::suggest(key, ["colors", "previous", "switched-at"]);
                    }
                    return Err(e);
                }
            }
        }
        Ok(header)
    }

    /// The colours in file order with their weights (0 when all `down`).
    fn weights(&self) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = Vec::new();
        for m in &self.members {
            let w = if m.down.is_some() { 0 } else { m.weight };
            match out.iter_mut().find(|(c, _)| *c == m.color) {
                Some((_, sum)) => *sum += w,
                None => out.push((m.color.clone(), w)),
            }
        }
        out
    }

    /// Checks that `color` is known and has servers here.
    fn check_color(&self, color: &str) -> Result<(), Error> {
        if !self.known.iter().any(|k| k == color) {
            let mut e = self.invalid(
                self.upstream.at,
                format!(
                    "`{color}` is not one of the colours {} (set them with --colors)",
                    self.known_list()
                ),
            );
            if let Error::Invalid { suggestion, .. } = &mut e {
                *suggestion = vz::error::suggest(color, self.known.iter().map(String::as_str));
            }
            return Err(e);
        }
        if !self.members.iter().any(|m| m.color == color) {
            return Err(self.invalid(
                self.upstream.at,
                format!("no server is tagged `{color}`: there is nothing to send traffic to"),
            ));
        }
        Ok(())
    }

    /// `color` live, every other colour `down`; the colour it replaced and
    /// the time recorded.
    fn to(
        &self,
        color: &str,
        allow_noop: bool,
        now: jiff::Timestamp,
        back: bool,
    ) -> Result<Applied, Error> {
        self.check_color(color)?;
        let mut edits = Vec::new();
        for m in &self.members {
            if m.color == color {
                edits.extend(m.down.map(|p| remove_word(self.text, p)));
            } else if m.down.is_none() {
                edits.push(insert_down(&m.server));
            }
        }
        let before = self.weights();
        let label = format!("upstream {}", self.upstream.name);
        let mut summary = format!("{label}: {} → {color}", describe(&before));
        if back {
            summary.push_str(" (back)");
        }
        if edits.is_empty() {
            if allow_noop {
                return Ok(Applied { text: self.text.to_string(), summary });
            }
            return Err(self.invalid(
                self.upstream.at,
                format!("every request already goes to {color}: nothing to switch (--allow-noop to accept)"),
            ));
        }
        // The colour replaced: the heaviest other live colour.
        let previous = before
            .iter()
            .filter(|(c, w)| c != color && *w > 0)
            .fold(None::<&(String, u32)>, |best, x| match best {
                Some(b) if b.1 >= x.1 => Some(b),
                _ => Some(x),
            })
            .map(|(c, _)| c.clone());
        let header = Header { previous, switched_at: Some(now.to_string()), ..self.header.clone() };
        edits.push(self.header_edit(&header));
        Ok(Applied { text: apply_edits(self.text, edits), summary })
    }

    /// Replaces the header line, or writes one above the upstream.
    fn header_edit(&self, h: &Header) -> Edit {
        let mut fields = Vec::new();
        if !h.colors.is_empty() {
            fields.push(format!("colors {}", h.colors.join(" ")));
        }
        if let Some(p) = &h.previous {
            fields.push(format!("previous {p}"));
        }
        if let Some(t) = &h.switched_at {
            fields.push(format!("switched-at {t}"));
        }
        let line = format!("# {HEADER} {}", fields.join("; "));
        match h.span {
            Some((start, end)) => Edit { start, end, with: line },
            None => {
                let at = self.upstream.at;
                let start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
                let indent: String =
                    self.text[start..at].chars().take_while(|c| c.is_whitespace()).collect();
                let eol = if self.text.contains("\r\n") { "\r\n" } else { "\n" };
                Edit { start, end: start, with: format!("{indent}{line}{eol}") }
            }
        }
    }

    /// The named colours at the given whole percentages; the others as
    /// they are; the total must be 100.
    fn weigh(&self, wanted: &[(String, u32)], step: Option<String>) -> Result<Applied, Error> {
        let before = self.weights();
        for (i, (color, _)) in wanted.iter().enumerate() {
            self.check_color(color)?;
            if wanted[..i].iter().any(|(c, _)| c == color) {
                return Err(Error::usage(format!("`{color}` is named twice")));
            }
        }
        let after: Vec<(String, u32)> = before
            .iter()
            .map(|(c, w)| {
                let new = wanted.iter().find(|(n, _)| n == c).map_or(*w, |(_, p)| *p);
                (c.clone(), new)
            })
            .collect();
        let total: u32 = after.iter().map(|(_, w)| w).sum();
        if total != 100 {
            let parts: Vec<String> = after
                .iter()
                .map(|(c, w)| match wanted.iter().any(|(n, _)| n == c) {
                    true => format!("{c} {w}"),
                    false => format!("{c} {w} as it is"),
                })
                .collect();
            let example: Vec<String> = before
                .iter()
                .enumerate()
                .map(|(i, (c, _))| {
                    format!(
                        "{c}={}",
                        if i == 0 {
                            90
                        } else if i == 1 {
                            10
                        } else {
                            0
                        }
                    )
                })
                .collect();
            return Err(self.invalid(
                self.upstream.at,
                format!(
                    "the weights would sum to {total} ({}): they are whole percentages summing to \
                     100; name every colour, e.g. `weight {}`",
                    parts.join(", "),
                    example.join(" ")
                ),
            ));
        }
        let mut edits = Vec::new();
        for (color, pct) in wanted {
            edits.extend(self.color_edits(color, *pct)?);
        }
        let changes: Vec<String> = wanted
            .iter()
            .map(|(c, p)| {
                let was = before.iter().find(|(b, _)| b == c).map_or(0, |(_, w)| *w);
                format!("{c} {was} → {p}")
            })
            .collect();
        let mut summary = format!("upstream {}: {}", self.upstream.name, changes.join(", "));
        if let Some(s) = step {
            summary.push_str(&format!(" ({s})"));
        }
        Ok(Applied { text: apply_edits(self.text, edits), summary })
    }

    /// The edits giving `color` the share `pct`: 0 is `down`, otherwise
    /// the percentage split evenly over its servers, each at least 1.
    fn color_edits(&self, color: &str, pct: u32) -> Result<Vec<Edit>, Error> {
        let servers: Vec<&Member> = self.members.iter().filter(|m| m.color == color).collect();
        if pct == 0 {
            return Ok(servers
                .iter()
                .filter(|m| m.down.is_none())
                .map(|m| insert_down(&m.server))
                .collect());
        }
        let n = servers.len() as u32;
        if pct < n {
            return Err(self.invalid(
                self.upstream.at,
                format!(
                    "{color} has {n} servers and nginx weights are whole numbers of at least 1: \
                     give it 0 or at least {n}"
                ),
            ));
        }
        let live_sum: u32 = servers.iter().filter(|m| m.down.is_none()).map(|m| m.weight).sum();
        if live_sum == pct && servers.iter().all(|m| m.down.is_none()) {
            return Ok(Vec::new());
        }
        let mut edits = Vec::new();
        for (i, m) in servers.iter().enumerate() {
            let w = pct / n + u32::from((i as u32) < pct % n);
            edits.extend(m.down.map(|p| remove_word(self.text, p)));
            match m.weight_at {
                Some(_) if m.weight == w => {}
                Some((start, end)) => edits.push(Edit { start, end, with: format!("weight={w}") }),
                None if w == 1 => {}
                None => {
                    let at = m.server.address_end;
                    edits.push(Edit { start: at, end: at, with: format!(" weight={w}") });
                }
            }
        }
        Ok(edits)
    }

    /// The canary moved to the plan's next weight, the stable colour taking
    /// the rest.
    fn step(&self, plan: &[u32], canary: &str, stable: Option<&str>) -> Result<Applied, Error> {
        let plan_text = plan.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        if plan.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::usage(format!(
                "the plan {plan_text} must rise from step to step, e.g. 5,25,50,100"
            )));
        }
        self.check_color(canary)?;
        let before = self.weights();
        let stable = match stable {
            Some(s) => s.to_string(),
            None => {
                let others: Vec<&str> =
                    before.iter().map(|(c, _)| c.as_str()).filter(|c| *c != canary).collect();
                match others.as_slice() {
                    [one] => one.to_string(),
                    _ => {
                        return Err(Error::usage(format!(
                            "upstream {} has the colours {}: name the stable one with --stable",
                            self.upstream.name,
                            before.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
            }
        };
        if stable == canary {
            return Err(Error::usage(format!("--stable and --canary are both `{canary}`")));
        }
        self.check_color(&stable)?;
        let weight = |c: &str| before.iter().find(|(n, _)| n == c).map_or(0, |(_, w)| *w);
        let (c, s) = (weight(canary), weight(&stable));
        let at = (c * 100 + (c + s) / 2).checked_div(c + s).unwrap_or(0);
        let Some((i, &next)) = plan.iter().enumerate().find(|&(_, &p)| p > at) else {
            return Err(self.invalid(
                self.upstream.at,
                format!("{canary} is at {at}, the end of the plan {plan_text}: nothing to step"),
            ));
        };
        let wanted = [(canary.to_string(), next), (stable, 100 - next)];
        self.weigh(&wanted, Some(format!("step {} of {}", i + 1, plan.len())))
    }
}

/// Removes the word at `p` and the blanks before it.
fn remove_word(text: &str, (start, end): (usize, usize)) -> Edit {
    let from = text[..start].trim_end_matches([' ', '\t']).len();
    Edit { start: from, end, with: String::new() }
}

/// ` down` just before the server's `;`.
fn insert_down(s: &Server) -> Edit {
    Edit { start: s.semi, end: s.semi, with: " down".into() }
}

/// `text` with the edits made. They never overlap: an insertion comes
/// before a removal that starts at the same place, and insertions at one
/// place keep their order.
fn apply_edits(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in edits {
        debug_assert!(e.start >= at, "overlapping edits");
        out.push_str(text.get(at..e.start).unwrap_or_default());
        out.push_str(&e.with);
        at = e.end.max(at);
    }
    out.push_str(&text[at..]);
    out
}

fn location(text: &str, name: &str, at: usize) -> Location {
    let (line, col) = line_col(text, at);
    Location::at(name, line, col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: &str = "2026-11-23T12:00:00Z";

    /// The docker-compose front: two colours, a keepalive, a backup page
    /// and a second upstream that is not switched.
    const FILE: &str = "\
# The app's upstream, switched by vz-switch.
upstream app {
    server 127.0.0.1:9001 weight=100 max_fails=3;  # blue (v1.4)
    server 127.0.0.1:9002 down;                    # green
    server 127.0.0.1:9009 backup;                  # sorry page
    keepalive 16;
}

upstream metrics {
    server 127.0.0.1:9100;  # the exporter
}
";

    fn colors() -> Vec<String> {
        vec!["blue".into(), "green".into()]
    }

    fn run(text: &str, verb: Verb) -> Result<Applied, Error> {
        let colors = colors();
        let opts = Options { colors: &colors, now: NOW.parse().unwrap() };
        apply(text, "up.conf", &verb, &opts)
    }

    fn now_of(text: &str) -> Current {
        let colors = colors();
        current(text, "up.conf", &Options { colors: &colors, now: NOW.parse().unwrap() }).unwrap()
    }

    fn to(color: &str) -> Verb {
        Verb::To { target: color.into(), allow_noop: false }
    }

    fn weight(pairs: &[(&str, u32)]) -> Verb {
        Verb::Weight {
            weights: pairs.iter().map(|(c, w)| (c.to_string(), *w)).collect(),
            rule: None,
        }
    }

    fn step(plan: &[u32]) -> Verb {
        Verb::Step { plan: plan.to_vec(), canary: "green".into(), stable: None, rule: None }
    }

    fn error(text: &str, verb: Verb) -> String {
        run(text, verb).expect_err("an error").to_string()
    }

    #[test]
    fn current_names_the_live_colour_or_the_weights() {
        let c = now_of(FILE);
        assert_eq!(c.text, "blue\n");
        assert_eq!(
            c.json,
            json!({"upstream": "app", "color": "blue", "weights": {"blue": 100, "green": 0}})
        );
        let split = run(FILE, weight(&[("blue", 90), ("green", 10)])).unwrap().text;
        assert_eq!(now_of(&split).text, "blue=90 green=10\n");
    }

    #[test]
    fn to_edits_only_the_down_flags_and_writes_the_header() {
        let out = run(FILE, to("green")).unwrap();
        assert_eq!(out.summary, "upstream app: blue → green");
        assert_eq!(
            out.text,
            "\
# The app's upstream, switched by vz-switch.
# vz-switch: previous blue; switched-at 2026-11-23T12:00:00Z
upstream app {
    server 127.0.0.1:9001 weight=100 max_fails=3 down;  # blue (v1.4)
    server 127.0.0.1:9002;                    # green
    server 127.0.0.1:9009 backup;                  # sorry page
    keepalive 16;
}

upstream metrics {
    server 127.0.0.1:9100;  # the exporter
}
"
        );
        let c = now_of(&out.text);
        assert_eq!(
            c.json,
            json!({"upstream": "app", "color": "green", "weights": {"blue": 0, "green": 1},
                   "previous": "blue", "switched_at": NOW})
        );
    }

    #[test]
    fn back_returns_and_rewrites_the_header_in_place() {
        let switched = run(FILE, to("green")).unwrap().text;
        let back = run(&switched, Verb::Back).unwrap();
        assert_eq!(back.summary, "upstream app: green → blue (back)");
        let expected = FILE.replace(
            "upstream app {",
            &format!("# vz-switch: previous green; switched-at {NOW}\nupstream app {{"),
        );
        // The server lines are as they were; only the header remembers.
        assert_eq!(back.text, expected);
        assert_eq!(
            error(FILE, Verb::Back),
            "up.conf:2:1: upstream app: no previous colour is recorded (a `# vz-switch: previous \
             COLOR` line): `back` can only undo a switch made by vz-switch; use `to COLOR`"
        );
    }

    #[test]
    fn a_noop_is_refused_unless_allowed() {
        assert_eq!(
            error(FILE, to("blue")),
            "up.conf:2:1: upstream app: every request already goes to blue: nothing to switch \
             (--allow-noop to accept)"
        );
        let same = run(FILE, Verb::To { target: "blue".into(), allow_noop: true }).unwrap();
        assert_eq!(same.text, FILE);
    }

    #[test]
    fn unknown_colours_are_refused_with_the_near_miss() {
        assert_eq!(
            error(FILE, to("gren")),
            "up.conf:2:1: upstream app: `gren` is not one of the colours blue, green (set them \
             with --colors) (did you mean `green`?)"
        );
        let typo = FILE.replace("# green", "# gren");
        assert_eq!(
            error(&typo, to("green")),
            "up.conf:4:54: upstream app: server 127.0.0.1:9002 is tagged `gren`, which is not one \
             of the colours blue, green (set them with --colors or a `# vz-switch: colors …` line) \
             (did you mean `green`?)"
        );
        let header = format!("# vz-switch: colors red\n{}", FILE.replace("# green", "# red"));
        let out = run(&header, to("red")).unwrap();
        assert!(
            out.text.starts_with(&format!(
                "# vz-switch: colors red; previous blue; switched-at {NOW}\n"
            ))
        );
    }

    #[test]
    fn weights_are_percentages_and_zero_is_down() {
        let out = run(FILE, weight(&[("blue", 90), ("green", 10)])).unwrap();
        assert_eq!(out.summary, "upstream app: blue 100 → 90, green 0 → 10");
        assert_eq!(
            out.text,
            FILE.replace("weight=100 max_fails", "weight=90 max_fails")
                .replace("9002 down;", "9002 weight=10;")
        );
        let all_green = run(&out.text, weight(&[("blue", 0), ("green", 100)])).unwrap().text;
        assert_eq!(
            all_green,
            FILE.replace("weight=100 max_fails=3;", "weight=90 max_fails=3 down;")
                .replace("9002 down;", "9002 weight=100;")
        );
        assert_eq!(
            error(FILE, weight(&[("green", 10)])),
            "up.conf:2:1: upstream app: the weights would sum to 110 (blue 100 as it is, green \
             10): they are whole percentages summing to 100; name every colour, e.g. `weight \
             blue=90 green=10`"
        );
    }

    #[test]
    fn a_colour_with_several_servers_shares_its_weight() {
        let text = "upstream app {\n  server a:1; # blue\n  server b:1 down; # green\n  server c:1 down; # green\n}\n";
        let out = run(text, weight(&[("blue", 95), ("green", 5)])).unwrap().text;
        assert_eq!(
            out,
            "upstream app {\n  server a:1 weight=95; # blue\n  server b:1 weight=3; # green\n  server c:1 weight=2; # green\n}\n"
        );
        assert_eq!(now_of(&out).text, "blue=95 green=5\n");
        assert_eq!(
            error(text, weight(&[("blue", 99), ("green", 1)])),
            "up.conf:1:1: upstream app: green has 2 servers and nginx weights are whole numbers \
             of at least 1: give it 0 or at least 2"
        );
    }

    #[test]
    fn step_walks_the_plan_then_stops() {
        let mut text = FILE.to_string();
        let mut seen = Vec::new();
        loop {
            match run(&text, step(&[5, 25, 50, 100])) {
                Ok(out) => {
                    seen.push(out.summary);
                    text = out.text;
                }
                Err(e) => {
                    assert_eq!(
                        e.to_string(),
                        "up.conf:2:1: upstream app: green is at 100, the end of the plan \
                         5,25,50,100: nothing to step"
                    );
                    break;
                }
            }
        }
        assert_eq!(
            seen,
            [
                "upstream app: green 0 → 5, blue 100 → 95 (step 1 of 4)",
                "upstream app: green 5 → 25, blue 95 → 75 (step 2 of 4)",
                "upstream app: green 25 → 50, blue 75 → 50 (step 3 of 4)",
                "upstream app: green 50 → 100, blue 50 → 0 (step 4 of 4)",
            ]
        );
        assert_eq!(now_of(&text).text, "green\n");
    }

    #[test]
    fn bad_files_are_located() {
        let cases: [(&str, &str); 7] = [
            (
                "upstream app {\n  server a:1; # blue\n  server b:1;\n}\n",
                "up.conf:3:3: upstream app: server b:1 has no colour tag: end its line with `# \
                 COLOR` (blue, green), or mark it `backup` to keep it out of switches",
            ),
            (
                "upstream app {\n  server a:1;\n}\n",
                "up.conf:1:1: upstream app: no server is tagged with a colour (blue, green): end \
                 each server line with `# COLOR`, e.g. `server 127.0.0.1:9001; # blue`",
            ),
            (
                "upstream a {\n  server a:1; # blue\n}\nupstream b {\n  server b:1; # green\n}\n",
                "up.conf:4:1: upstream b: a second upstream with colour-tagged servers (upstream a \
                 at 1:1): vz-switch switches one upstream per file; put each in its own include file",
            ),
            (
                "upstream app {\n  server a:1; # blue\n",
                "up.conf:1:14: this upstream is not closed with `}`",
            ),
            (
                "upstream app {\n  server \"a:1; # blue\n}\n",
                "up.conf:2:10: a quoted string is not closed",
            ),
            (
                "upstream app {\n  server a:1 weight=0; # blue\n}\n",
                "up.conf:2:14: upstream app: server a:1: `weight=0` is not a whole number of at \
                 least 1 (nginx weights are relative; `down` takes a server out)",
            ),
            (
                "# vz-switch: previous blue; colours blue green\nupstream app {\n  server a:1; # blue\n}\n",
                "up.conf:1:29: the vz-switch line: unknown field `colours` (it holds colors, \
                 previous and switched-at) (did you mean `colors`?)",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(text, to("green")), message, "{text}");
        }
        assert_eq!(
            error("upstream;\n", to("green")),
            "up.conf:1:1: no `upstream NAME { … }` block: vz-switch switches the servers of an \
             nginx upstream"
        );
    }

    #[test]
    fn nginx_syntax_is_read_as_nginx_reads_it() {
        let text = "upstream app {\n  server \"127.0.0.1:9001\" weight=2;#blue\n  server ${GREEN}:80 down; # green\n  zone app 64k; hash $request_uri consistent;\n  # server x:1;\n}\nmap $a $b { default 1; }\n";
        let out = run(text, to("green")).unwrap().text;
        assert_eq!(
            out,
            format!(
                "# vz-switch: previous blue; switched-at {NOW}\nupstream app {{\n  server \"127.0.0.1:9001\" weight=2 down;#blue\n  server ${{GREEN}}:80; # green\n  zone app 64k; hash $request_uri consistent;\n  # server x:1;\n}}\nmap $a $b {{ default 1; }}\n"
            )
        );
    }

    #[test]
    fn crlf_files_keep_their_line_ends() {
        let text = FILE.replace('\n', "\r\n");
        let there = run(&text, to("green")).unwrap().text;
        let back = run(&there, Verb::Back).unwrap().text;
        assert_eq!(
            back,
            FILE.replace(
                "upstream app {",
                &format!("# vz-switch: previous green; switched-at {NOW}\nupstream app {{")
            )
            .replace('\n', "\r\n")
        );
    }

    proptest! {
        /// Any split of 100 over the colours is written and read back as
        /// it was asked, and the file's weights sum to 100.
        #[test]
        fn weights_always_sum_to_100(
            blues in 1usize..4, greens in 1usize..4, green in 0u32..=100,
        ) {
            let mut text = String::from("upstream app {\n");
            for i in 0..blues {
                text.push_str(&format!("  server b{i}:80; # blue\n"));
            }
            for i in 0..greens {
                text.push_str(&format!("  server g{i}:80 down; # green\n"));
            }
            text.push_str("}\n");
            let blue = 100 - green;
            let fits = |w: u32, n: usize| w == 0 || w as usize >= n;
            prop_assume!(fits(green, greens) && fits(blue, blues));
            let out = run(&text, weight(&[("blue", blue), ("green", green)])).unwrap().text;
            let c = now_of(&out);
            prop_assert_eq!(&c.json["weights"], &json!({"blue": blue, "green": green}));
            // `to` then `back` leaves the servers as they were.
            if let Some(live) = sole(&[("blue".into(), blue), ("green".into(), green)]) {
                let other = if live == "blue" { "green" } else { "blue" };
                let there = run(&out, to(other)).unwrap().text;
                let back = run(&there, Verb::Back).unwrap().text;
                prop_assert_eq!(back.split_once('\n').unwrap().1, out.as_str());
            }
        }
    }
}
