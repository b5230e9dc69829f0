//! A fast path for reading the YAML the templates produce.
//!
//! Rendered templates are block YAML whose values are JSON (every `{{ x }}`
//! is written as JSON) or short plain scalars. Reading them with the full
//! YAML parser cost 42 % of a 500-service render; this reader handles just
//! that subset, about six times faster, and returns `None` for anything
//! outside it (quotes in keys, anchors, tags, block scalars, comments after
//! values, ambiguous scalars, tabs, …), which then goes to
//! [`vz::yaml::parse_stream`]. In debug builds every fast read is checked
//! against the full parser, so the whole test suite proves them equal.

use serde_json::{Map, Value};

/// The documents of `text`, if it is in the subset; empty documents are
/// dropped, as the full parser does.
pub fn parse(text: &str) -> Option<Vec<Value>> {
    let mut docs = Vec::new();
    let mut lines: Vec<(usize, &str)> = Vec::new();
    for raw in text.lines().chain(std::iter::once("---")) {
        if raw == "---" {
            if !lines.is_empty() {
                let mut i = 0;
                let first = lines[0].0;
                let v = block(&mut lines, &mut i, first)?;
                if i != lines.len() {
                    return None;
                }
                docs.push(v);
                lines.clear();
            }
            continue;
        }
        if raw.contains('\t') || raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let content = content.trim_end_matches(' ');
        lines.push((raw.len() - raw.trim_start_matches(' ').len(), content));
    }
    Some(docs)
}

type Lines<'a> = Vec<(usize, &'a str)>;

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

fn block(lines: &mut Lines<'_>, i: &mut usize, indent: usize) -> Option<Value> {
    let &(at, content) = lines.get(*i)?;
    if at != indent {
        return None;
    }
    if is_item(content) { sequence(lines, i, indent) } else { mapping(lines, i, indent) }
}

fn mapping(lines: &mut Lines<'_>, i: &mut usize, indent: usize) -> Option<Value> {
    let mut map = Map::new();
    while let Some(&(at, content)) = lines.get(*i) {
        if at < indent || (at == indent && is_item(content)) {
            break;
        }
        if at > indent {
            return None;
        }
        let (key, rest) = split_key(content)?;
        *i += 1;
        let value = if rest.is_empty() {
            match lines.get(*i) {
                Some(&(next, _)) if next > indent => block(lines, i, next)?,
                Some(&(next, c)) if next == indent && is_item(c) => sequence(lines, i, indent)?,
                _ => Value::Null,
            }
        } else {
            inline(rest)?
        };
        if map.insert(key.into_owned(), value).is_some() {
            return None;
        }
    }
    Some(Value::Object(map))
}

fn sequence(lines: &mut Lines<'_>, i: &mut usize, indent: usize) -> Option<Value> {
    let mut items = Vec::new();
    while let Some(&(at, content)) = lines.get(*i) {
        if at != indent || !is_item(content) {
            if at > indent {
                return None;
            }
            break;
        }
        let rest = content[1..].trim_start_matches(' ');
        if rest.is_empty() {
            *i += 1;
            match lines.get(*i) {
                Some(&(next, _)) if next > indent => items.push(block(lines, i, next)?),
                _ => items.push(Value::Null),
            }
        } else if is_item(rest) {
            return None;
        } else if split_key(rest).is_some() {
            // `- key: value` opens a mapping whose keys line up with `key`.
            let inner = indent + (content.len() - rest.len());
            lines[*i] = (inner, rest);
            items.push(mapping(lines, i, inner)?);
        } else {
            *i += 1;
            items.push(inline(rest)?);
        }
    }
    Some(Value::Array(items))
}

/// `key: rest` or `key:`, with a plain or a JSON-quoted key.
fn split_key(content: &str) -> Option<(std::borrow::Cow<'_, str>, &str)> {
    if content.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(content).into_iter::<String>();
        let key = stream.next()?.ok()?;
        let after = &content[stream.byte_offset()..];
        let rest = match after.strip_prefix(": ") {
            Some(r) => r,
            None if after == ":" => "",
            None => return None,
        };
        return Some((std::borrow::Cow::Owned(key), rest.trim_start_matches(' ')));
    }
    let (key, rest) = match content.find(": ") {
        Some(p) => (&content[..p], &content[p + 2..]),
        None => (content.strip_suffix(':')?, ""),
    };
    let plain = !key.is_empty()
        && !key.starts_with([
            '-', '?', ':', '&', '*', '!', '|', '>', '%', '@', '`', '{', '[', '"', '\'', ' ',
        ])
        && !key.contains([':', '#', '{', '}', '[', ']', ',', '"', '\''])
        && !key.ends_with(' ');
    plain.then(|| (std::borrow::Cow::Borrowed(key), rest.trim_start_matches(' ')))
}

/// A value on the same line: JSON (a `{{ x }}`), or a plain scalar whose
/// type is beyond doubt.
fn inline(s: &str) -> Option<Value> {
    match s.as_bytes().first()? {
        b'{' | b'[' | b'"' => serde_json::from_str(s).ok(),
        b'\'' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'#' | b'?' | b':'
        | b'-' | b',' => None,
        _ if s.contains(" #") || s.contains(": ") => None,
        _ => plain(s),
    }
}

fn plain(s: &str) -> Option<Value> {
    match s {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" | "~" => return Some(Value::Null),
        _ => {}
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "true" | "false" | "null" | ".inf" | ".nan" | "-.inf" | "+.inf") {
        return None;
    }
    let b = s.as_bytes();
    if b[0].is_ascii_digit() || b[0] == b'+' || b[0] == b'.' {
        if b.iter().all(u8::is_ascii_digit) {
            if b.len() > 1 && b[0] == b'0' {
                return Some(Value::String(s.to_string()));
            }
            return s.parse::<i64>().ok().map(Value::from);
        }
        // A plain decimal fraction (`99.0`, `0.5`) is a float in every schema.
        if let Some((int, frac)) = s.split_once('.')
            && !int.is_empty()
            && !frac.is_empty()
            && int.bytes().all(|c| c.is_ascii_digit())
            && frac.bytes().all(|c| c.is_ascii_digit())
            && !(int.len() > 1 && int.starts_with('0'))
        {
            return s.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number);
        }
        // Text for certain: a digit-led word with a character no YAML
        // number has (`25%`, `10Gi`, `500m`, `1h`).
        let numberish = |c: &u8| c.is_ascii_digit() || b"+-._eEoOxXbBaAcCdDfF:".contains(c);
        return if b.iter().all(numberish) { None } else { Some(Value::String(s.to_string())) };
    }
    Some(Value::String(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(text: &str) {
        let full = vz::yaml::parse_stream(text, "t").expect("the full parser reads it");
        assert_eq!(parse(text), Some(full), "{text}");
    }

    #[test]
    fn reads_the_subset_exactly_as_the_full_parser() {
        same("a: 1\nb: x\nc:\n  d: true\n  e: [1, \"two\", {\"k\": null}]\n");
        same(
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: \"api\"\n  labels: {\"a\": \"b\"}\nspec:\n  ports:\n  - name: http\n    port: 80\n  - name: grpc\n    port: 9090\n",
        );
        same("data:\n  \"app.json\": \"{\\n}\"\n  \"x-y\":\n    a: 1\n");
        same("f: 99.0\ng: 0.5\nh: 1.25\n");
        same("list:\n- a\n- b\n-\n  c: 1\nempty:\nafter: 25%\nq: 500m\nmem: 512Mi\nz: 0755\n");
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "'quoted key': 1\n",
            "\"unclosed: 1\n",
            "a: 1 # comment\n",
            "a: 1e3\n",
            "a: 0x1F\n",
            "a: True\n",
            "a: 'single'\n",
            "a: !tag x\n",
            "a:\tb\n",
            "a: 1\na: 2\n",
            "nested:\n  - - x\n",
            "a:\n    b: 1\n  c: 2\n",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
