//! Paths into a document, written the way users write them in `--set` and
//! read them in messages: `services.app.ports[0].name`. A key that holds a
//! `.` or `[` is quoted: `metadata.annotations["checksum/config"]` stays plain,
//! but `labels["app.kubernetes.io/name"]` is quoted.

/// The path of `key` inside `parent` (the root is the empty path).
pub fn key(parent: &str, key: &str) -> String {
    let mut path = String::with_capacity(parent.len() + key.len() + 1);
    path.push_str(parent);
    push_key(&mut path, key);
    path
}

/// The path of item `i` inside `parent`.
pub fn index(parent: &str, i: usize) -> String {
    let mut path = String::with_capacity(parent.len() + 8);
    path.push_str(parent);
    push_index(&mut path, i);
    path
}

/// Appends `key` to `path`, as [`key`] joins them (for a path built up in
/// one buffer, with [`push_index`]; the readers that locate every value
/// hash the same segments instead: [`crate::sourcemap::PathHash`]).
pub fn push_key(path: &mut String, key: &str) {
    if key.is_empty() || key.bytes().any(|c| matches!(c, b'.' | b'[' | b']' | b'"')) {
        path.push('[');
        path.push_str(&serde_json::Value::String(key.to_string()).to_string());
        path.push(']');
    } else {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
}

/// Appends item `i` to `path`, as [`index`] joins them.
pub fn push_index(path: &mut String, i: usize) {
    path.push('[');
    path.push_str(itoa::Buffer::new().format(i));
    path.push(']');
}

/// The parent of `path`, `None` for the root.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        // Find the `[` that opens the last segment, skipping a quoted key.
        let bytes = path.as_bytes();
        let mut i = path.len() - 1;
        let mut in_quotes = false;
        while i > 0 {
            i -= 1;
            match bytes[i] {
                b'"' if i == 0 || bytes[i - 1] != b'\\' => in_quotes = !in_quotes,
                b'[' if !in_quotes => return Some(&path[..i]),
                _ => {}
            }
        }
        return Some("");
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

/// One segment of a parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Parses `a.b[0]["c.d"]` into segments; the error says what is wrong.
pub fn parse(path: &str) -> Result<Vec<Segment>, String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    let mut out = Vec::new();
    walk(path, |step| {
        out.push(match step {
            Step::Key(k) => Segment::Key(k.into_owned()),
            Step::Index(i) => Segment::Index(i),
        });
    })?;
    Ok(out)
}

/// One segment of a path as [`walk`] reads it: a key borrowed from the path
/// unless it had escapes to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// A mapping key.
    Key(std::borrow::Cow<'a, str>),
    /// A sequence index.
    Index(usize),
}

/// Reads `path` a segment at a time, as [`key`] and [`index`] write them
/// (plain keys after dots, indexes and JSON-quoted keys in brackets), giving
/// each to `each`; the empty path has none. The error says what is wrong.
/// [`parse`] and the places of a document's values
/// ([`crate::sourcemap::PathHash`]) read paths with this.
pub fn walk<'a>(path: &'a str, mut each: impl FnMut(Step<'a>)) -> Result<(), String> {
    let mut rest = path;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            if r.starts_with('"') {
                let end = closing_quote(r).ok_or_else(|| format!("unclosed quote in `{path}`"))?;
                let quoted = &r[..=end];
                let inner = &quoted[1..end];
                // Written as serde_json writes strings: decoded the same way.
                let key = if inner.contains('\\') {
                    let key: String = serde_json::from_str(quoted)
                        .map_err(|e| format!("bad escape in a quoted key in `{path}`: {e}"))?;
                    std::borrow::Cow::Owned(key)
                } else {
                    std::borrow::Cow::Borrowed(inner)
                };
                rest = r[end + 1..]
                    .strip_prefix(']')
                    .ok_or_else(|| format!("expected `]` after a quoted key in `{path}`"))?;
                each(Step::Key(key));
            } else {
                let close = r.find(']').ok_or_else(|| format!("unclosed `[` in `{path}`"))?;
                let n = r[..close].parse::<usize>().map_err(|_| {
                    format!(
                        "`[{}]` in `{path}` is not a list index (use [\"key\"] for a key)",
                        &r[..close]
                    )
                })?;
                each(Step::Index(n));
                rest = &r[close + 1..];
            }
        } else {
            if !first {
                rest = rest
                    .strip_prefix('.')
                    .ok_or_else(|| format!("expected `.` or `[` in `{path}` before `{rest}`"))?;
            }
            let end = rest.bytes().position(|b| matches!(b, b'.' | b'[')).unwrap_or(rest.len());
            if end == 0 {
                return Err(format!("empty key in `{path}`"));
            }
            each(Step::Key(std::borrow::Cow::Borrowed(&rest[..end])));
            rest = &rest[end..];
        }
        first = false;
    }
    Ok(())
}

/// The byte of the quote that closes the JSON string `quoted` starts.
fn closing_quote(quoted: &str) -> Option<usize> {
    let b = quoted.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Writes segments back as a path.
pub fn join(segments: &[Segment]) -> String {
    segments.iter().fold(String::new(), |p, s| match s {
        Segment::Key(k) => key(&p, k),
        Segment::Index(i) => index(&p, *i),
    })
}

/// The value at `path` inside `value`, if there is one.
pub fn get<'a>(value: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    if !path.contains(['[', '"']) {
        // Plain dotted keys (the common case): no allocation.
        return path.split('.').try_fold(value, |v, k| v.get(k));
    }
    parse(path).ok()?.iter().try_fold(value, |v, s| match s {
        Segment::Key(k) => v.get(k.as_str()),
        Segment::Index(i) => v.get(*i),
    })
}

/// A JSON pointer (`/spec/containers/0/image`, RFC 6901) as a path
/// (`spec.containers[0].image`); digits index lists in `value`, which the
/// pointer is read against.
pub fn from_pointer(value: &serde_json::Value, pointer: &str) -> String {
    let mut path = String::new();
    let mut at = Some(value);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        match (at, token.parse::<usize>()) {
            (Some(serde_json::Value::Array(items)), Ok(i)) => {
                path = index(&path, i);
                at = items.get(i);
            }
            (v, _) => {
                at = v.and_then(|v| v.get(token.as_str()));
                path = key(&path, &token);
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_paths() {
        let v =
            serde_json::json!({"spec": {"containers": [{"image": "a"}]}, "m": {"0": {"a/b": 1}}});
        assert_eq!(from_pointer(&v, "/spec/containers/0/image"), "spec.containers[0].image");
        assert_eq!(from_pointer(&v, "/m/0/a~1b"), "m.0.a/b");
        assert_eq!(from_pointer(&v, ""), "");
        assert_eq!(get(&v, "spec.containers[0].image"), Some(&serde_json::json!("a")));
        assert_eq!(get(&v, "spec.nope"), None);
    }

    #[test]
    fn builds_and_parses_paths() {
        let p = index(&key(&key("", "services"), "app"), 0);
        assert_eq!(p, "services.app[0]");
        let q = key(&p, "app.kubernetes.io/name");
        assert_eq!(q, "services.app[0][\"app.kubernetes.io/name\"]");
        assert_eq!(
            parse(&q).unwrap(),
            vec![
                Segment::Key("services".into()),
                Segment::Key("app".into()),
                Segment::Index(0),
                Segment::Key("app.kubernetes.io/name".into())
            ]
        );
        assert_eq!(join(&parse(&q).unwrap()), q);
    }

    #[test]
    fn parents() {
        assert_eq!(parent("a.b[0][\"x.y\"]"), Some("a.b[0]"));
        assert_eq!(parent("a.b[0]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn bad_paths_say_why() {
        assert_eq!(parse("a..b").unwrap_err(), "empty key in `a..b`");
        assert!(parse("a[x]").unwrap_err().contains("not a list index"));
        assert!(parse("a[0").unwrap_err().contains("unclosed"));
        assert!(parse("").is_err());
        assert_eq!(
            parse(r#"["a\qb"]"#).unwrap_err(),
            "bad escape in a quoted key in `[\"a\\qb\"]`: invalid escape at line 1 column 4"
        );
        assert_eq!(parse(r#"["a"#).unwrap_err(), "unclosed quote in `[\"a`");
        assert_eq!(parse(r#"["a"x"#).unwrap_err(), "expected `]` after a quoted key in `[\"a\"x`");
    }

    /// A key is read back as it was written, escapes and all (a line break
    /// is written `\n` in its quotes and read as a line break), borrowed
    /// from the path unless it had escapes.
    #[test]
    fn keys_read_back_as_written() {
        for k in ["k", "", "a.b", "x[0]", "q\"", "\\", "\n\t\u{1}", "ü", "a]", "with space"] {
            let p = key(&key("", "top"), k);
            assert_eq!(
                parse(&p),
                Ok(vec![Segment::Key("top".into()), Segment::Key(k.into())]),
                "{p}"
            );
        }
        let mut steps = Vec::new();
        walk(r#"a["b.c"][2]["d\"e"]"#, |s| steps.push(s)).unwrap();
        let borrowed = |s: &Step<'_>| matches!(s, Step::Key(std::borrow::Cow::Borrowed(_)));
        assert_eq!(steps.iter().map(borrowed).collect::<Vec<_>>(), [true, true, false, false]);
        assert_eq!(steps[2], Step::Index(2));
        assert_eq!(steps[3], Step::Key("d\"e".into()));
        walk("", |_| panic!("the empty path has no segment")).unwrap();
    }
}
