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
    let mut out = Vec::new();
    let mut rest = path;
    if rest.is_empty() {
        return Err("the path is empty".into());
    }
    let mut first = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            if let Some(r2) = r.strip_prefix('"') {
                let mut s = String::new();
                let mut chars = r2.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some((_, e)) => s.push(e),
                            None => break,
                        },
                        '"' => {
                            end = Some(i);
                            break;
                        }
                        c => s.push(c),
                    }
                }
                let end = end.ok_or_else(|| format!("unclosed quote in `{path}`"))?;
                rest = r2[end + 1..]
                    .strip_prefix(']')
                    .ok_or_else(|| format!("expected `]` after a quoted key in `{path}`"))?;
                out.push(Segment::Key(s));
            } else {
                let close = r.find(']').ok_or_else(|| format!("unclosed `[` in `{path}`"))?;
                let n = r[..close].parse::<usize>().map_err(|_| {
                    format!(
                        "`[{}]` in `{path}` is not a list index (use [\"key\"] for a key)",
                        &r[..close]
                    )
                })?;
                out.push(Segment::Index(n));
                rest = &r[close + 1..];
            }
        } else {
            if !first {
                rest = rest
                    .strip_prefix('.')
                    .ok_or_else(|| format!("expected `.` or `[` in `{path}` before `{rest}`"))?;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return Err(format!("empty key in `{path}`"));
            }
            out.push(Segment::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
        first = false;
    }
    Ok(out)
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
    }
}
