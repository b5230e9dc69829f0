//! The one module that knows which YAML library vz uses (serde-saphyr: pure
//! Rust, no `unsafe`, budgets against alias bombs and deep nesting, located
//! errors). Nothing else names the backend, so switching is a one-file change;
//! the `contract` tests pin the behaviour any backend must keep.
//!
//! Decisions, each pinned by a test below:
//! - **YAML 1.2 booleans only** (`strict_booleans`): `on`, `yes`, `no` stay
//!   strings, so a Norwegian country code or an env value `"on"` is never
//!   silently turned into `true`. The emitter quotes such strings, so kubectl
//!   (a YAML 1.1 reader) reads them back as strings too.
//! - **Leading-zero numbers stay strings** (`0755`, `007`): YAML 1.1 octal and
//!   1.2 decimal disagree on them, so vz refuses to guess.
//! - **Duplicate keys are an error**, with both locations.
//! - **Anchors, aliases and `<<` merge keys** are resolved; aliases are
//!   budgeted, so an alias bomb is rejected quickly.
//! - **Empty documents are dropped** (helm streams are full of them).
//! - **Non-finite floats** (`.nan`, `.inf`) are rejected: JSON cannot hold them.
//! - Nesting deeper than [`MAX_DEPTH`] is rejected before it costs anything.

use crate::error::{Error, Location};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::fmt;

/// The deepest nesting accepted in any YAML input. Kubernetes objects rarely
/// go past 20 levels.
pub const MAX_DEPTH: usize = 64;

/// The most events alias expansion may replay in one input: far above what
/// anchors in real manifests use, low enough that an alias bomb is refused
/// in milliseconds.
pub const MAX_REPLAYED_EVENTS: usize = 100_000;

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    // Large streams are legitimate (`helm template` of a platform, 4,000
    // objects); the alias limits below are what stops a bomb.
    budget.max_documents = 100_000;
    budget.max_nodes = 50_000_000;
    budget.max_events = 50_000_000;
    let mut aliases = serde_saphyr::options::AliasLimits::default();
    aliases.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    serde_saphyr::options! {
        budget: Some(budget),
        alias_limits: aliases,
        strict_booleans: true,
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::Reject,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    }
}

/// Parses every document of a YAML stream, in order; empty documents are
/// dropped. `input` names the stream in errors.
pub fn parse_stream(text: &str, input: &str) -> Result<Vec<Value>, Error> {
    let docs: Vec<Option<Json>> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| located(&e, input))?;
    Ok(docs.into_iter().flatten().map(|j| j.0).collect())
}

use crate::sourcemap::PathHash;
pub use crate::sourcemap::SourceMap;

/// A parsed document and where its parts came from.
#[derive(Clone, Debug)]
pub struct LocatedDoc {
    /// The document.
    pub value: Value,
    /// The location of every key and value in it.
    pub map: SourceMap,
}

/// Parses every document of a YAML stream, keeping the line and column of
/// every key and value, for messages that point into the user's file.
pub fn parse_stream_located(text: &str, input: &str) -> Result<Vec<LocatedDoc>, Error> {
    let docs: Vec<Option<Spanned<Node>>> =
        serde_saphyr::from_multiple_with_options(text, options())
            .map_err(|e| located(&e, input))?;
    let mut out = Vec::with_capacity(docs.len());
    let mut places = crate::sourcemap::Builder::default();
    for doc in docs.into_iter().flatten() {
        let value = doc_to_value(doc, PathHash::ROOT, &mut places);
        out.push(LocatedDoc { value, map: places.finish() });
    }
    Ok(out)
}

/// Serialises one document as block YAML, ending with a newline. Stream
/// separators (`---`) are the caller's job.
pub fn to_string(doc: &Value) -> Result<String, Error> {
    if let Some(fast) = crate::fastyaml::write::to_string(doc) {
        debug_assert_eq!(
            Some(&fast),
            library_to_string(doc).ok().as_ref(),
            "the fast writer disagrees with the YAML library on {doc}"
        );
        return Ok(fast);
    }
    library_to_string(doc)
}

/// [`to_string`] by the YAML library alone (the fast writer's reference).
pub(crate) fn library_to_string(doc: &Value) -> Result<String, Error> {
    serde_saphyr::to_string(doc).map_err(|e| Error::usage(format!("cannot write YAML: {e}")))
}

fn located(e: &serde_saphyr::Error, input: &str) -> Error {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
    let message = e.without_snippet().to_string();
    // The backend appends its own " at line L column C"; the location is ours to print.
    let message = strip_location(&message);
    Error::Parse { at: Location::at(input, line, column), message }
}

fn strip_location(m: &str) -> String {
    let first = m.lines().next().unwrap_or(m).trim();
    let cut = [" at line ", " at position "].iter().filter_map(|p| first.find(p)).min();
    let s = match cut {
        Some(i) => &first[..i],
        None => first,
    };
    s.trim_end_matches([':', ' ']).to_string()
}

/// Any YAML value, deserialised straight into JSON.
struct Json(Value);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        float(v).map(Json)
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json(Value::String(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json(Value::String(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
        let mut v = Vec::with_capacity(a.size_hint().unwrap_or(0));
        while let Some(Json(x)) = a.next_element()? {
            v.push(x);
        }
        Ok(Json(Value::Array(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
        let mut m = Map::new();
        while let Some((Key(k), Json(v))) = a.next_entry()? {
            m.insert(k, v);
        }
        Ok(Json(Value::Object(m)))
    }
}

fn float<E: de::Error>(v: f64) -> Result<Value, E> {
    serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| {
        E::custom(format!("{v} is not a finite number; quote it to keep it as text"))
    })
}

/// A mapping key: any scalar, as text (JSON keys are strings).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A YAML node with the location of each child, before it becomes JSON.
enum Node {
    Scalar(Value),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Scalar(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Scalar(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Scalar(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Scalar(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Scalar(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
                float(v).map(Node::Scalar)
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Scalar(Value::String(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Scalar(Value::String(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Node::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_entry()? {
                    v.push(x);
                }
                Ok(Node::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn lc(l: &serde_saphyr::Location) -> (usize, usize) {
    (l.line() as usize, l.column() as usize)
}

fn doc_to_value(node: Spanned<Node>, path: PathHash, map: &mut crate::sourcemap::Builder) -> Value {
    map.value(path, lc(&node.referenced));
    match node.value {
        Node::Scalar(v) => v,
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(doc_to_value(item, path.index(i), map));
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let child = path.key(&k.value.0);
                map.key(child, lc(&k.referenced));
                let value = doc_to_value(v, child, map);
                out.insert(k.value.0, value);
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod contract {
    //! Behaviour any YAML backend must keep. Change a decision here, on purpose,
    //! and in the module docs above.
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Value {
        let mut docs = parse_stream(text, "t.yaml").expect("parses");
        assert_eq!(docs.len(), 1, "one document in {text:?}");
        docs.remove(0)
    }

    fn err(text: &str) -> String {
        parse_stream(text, "t.yaml").expect_err("must not parse").to_string()
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        assert_eq!(
            one("a: on\nb: yes\nc: no\nd: off\ne: y\nf: NO\n"),
            json!({"a": "on", "b": "yes", "c": "no", "d": "off", "e": "y", "f": "NO"})
        );
        assert_eq!(one("a: true\nb: false\n"), json!({"a": true, "b": false}));
    }

    #[test]
    fn leading_zero_numbers_stay_strings() {
        assert_eq!(
            one("mode: 0755\nzip: 007\nn: 10\n"),
            json!({"mode": "0755", "zip": "007", "n": 10})
        );
    }

    #[test]
    fn integers_keep_their_range() {
        assert_eq!(
            one("min: -9223372036854775808\nmax: 18446744073709551615\n"),
            json!({"min": i64::MIN, "max": u64::MAX})
        );
    }

    #[test]
    fn duplicate_keys_are_an_error_with_a_location() {
        let e = err("a: 1\nb: 2\na: 3\n");
        assert!(e.starts_with("t.yaml:3:1: "), "{e}");
        assert!(e.contains("duplicate"), "{e}");
    }

    #[test]
    fn anchors_aliases_and_merge_keys_resolve() {
        assert_eq!(
            one("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nl: &l [1]\nm: *l\n"),
            json!({"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}, "l": [1], "m": [1]})
        );
    }

    #[test]
    fn empty_documents_are_dropped() {
        let docs = parse_stream("---\n---\na: 1\n---\n# only a comment\n---\nb: 2\n", "t").unwrap();
        assert_eq!(docs, vec![json!({"a": 1}), json!({"b": 2})]);
    }

    #[test]
    fn non_finite_floats_are_rejected() {
        assert!(err("a: .nan\n").starts_with("t.yaml:1:4: "), "{}", err("a: .nan\n"));
        assert!(err("b: -.inf\n").starts_with("t.yaml:1:4: "));
    }

    #[test]
    fn alias_bombs_are_rejected() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            bomb.push_str(&format!(
                "{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let e = err(&bomb);
        assert!(e.starts_with("t.yaml:"), "{e}");
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(err(&deep).starts_with("t.yaml:1:"), "located");
        let ok = "[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1);
        parse_stream(&ok, "t").expect("nesting up to the limit is fine");
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let e = err("a: 1\nb: [1, 2\n");
        assert!(e.starts_with("t.yaml:"), "{e}");
        assert!(!e.contains(" at line "), "location printed once: {e}");
    }

    #[test]
    fn unicode_and_escapes_survive() {
        assert_eq!(one("a: \"caf\\u00e9 \\t\"\nb: ünï\n"), json!({"a": "café \t", "b": "ünï"}));
    }

    #[test]
    fn emitter_quotes_what_a_yaml_1_1_reader_would_retype() {
        let doc = json!({"a": "on", "b": "yes", "c": "0755", "d": "1.0", "e": "true", "f": "null", "g": "8080", "h": "~", "i": ""});
        let text = to_string(&doc).unwrap();
        for line in text.lines() {
            let (_, v) = line.split_once(": ").unwrap_or(("", line));
            assert!(v.starts_with('"') || v.starts_with('\''), "unquoted: {line}");
        }
        assert_eq!(one(&text), doc, "round trip");
    }

    #[test]
    fn emitter_style_is_pinned() {
        let doc = json!({"kind": "ConfigMap", "data": {"app.json": "{\n  \"a\": 1\n}\n"}, "list": [{"name": "x", "value": 1}], "empty": {}, "none": []});
        assert_eq!(
            to_string(&doc).unwrap(),
            "data:\n  app.json: |\n    {\n      \"a\": 1\n    }\nempty: {}\nkind: ConfigMap\nlist:\n- name: x\n  value: 1\nnone: []\n"
        );
    }

    #[test]
    fn round_trips_arbitrary_documents() {
        let doc = json!({"s": "a: b", "n": -1.5, "l": [null, true, "- x", "#c"], "m": {"k y": {"z": "it's"}}});
        assert_eq!(one(&to_string(&doc).unwrap()), doc);
    }

    #[test]
    fn located_parse_records_keys_and_values() {
        let docs = parse_stream_located("a:\n  b: [1, 2]\n  c: x\n", "t").unwrap();
        let m = &docs[0].map;
        assert_eq!(m.key("a.c"), Some((3, 3)));
        assert_eq!(m.value("a.c"), Some((3, 6)));
        assert_eq!(m.value("a.b[1]"), Some((2, 10)));
        assert_eq!(m.value("a.b[1].missing"), Some((2, 10)));
    }
}
