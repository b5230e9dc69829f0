//! Blue/green on a Service: one selector key names the live colour. `to`
//! repoints it and records the colour it replaced (and when) in annotations
//! on the Service itself, so `back` needs no other state.

use crate::object::Object;
use serde_json::{Map, Value};
use vz::Error;

/// The annotation holding the colour a switch replaced.
pub const PREVIOUS: &str = "vz-switch/previous-color";
/// The annotation holding when the last switch happened (RFC 3339).
pub const SWITCHED_AT: &str = "vz-switch/switched-at";

/// What a Service's selector says.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Current {
    /// The selector key (`version`).
    pub key: String,
    /// The live colour.
    pub color: String,
    /// The colour before the last switch, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// When the last switch happened, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switched_at: Option<String>,
}

/// The live colour of `svc` under selector `key`.
pub fn current(svc: &Object, key: &str) -> Result<Current, Error> {
    let v = svc.value();
    let selector = v.pointer("/spec/selector").and_then(Value::as_object);
    let Some(selector) = selector else {
        return Err(svc.invalid("spec", "the Service has no selector (spec.selector)"));
    };
    let color = match selector.get(key) {
        Some(Value::String(c)) => c.clone(),
        Some(other) => {
            return Err(svc.invalid(
                &vz::path::key("spec.selector", key),
                format!("expected text, found {other}"),
            ));
        }
        None => {
            let keys: Vec<&str> = selector.keys().map(String::as_str).collect();
            return Err(Error::Invalid {
                at: svc.doc.locate("spec.selector", false),
                path: "spec.selector".into(),
                message: format!(
                    "the selector has no `{key}` key (it has {}): pick the colour key with --key",
                    if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                ),
                suggestion: vz::error::suggest(key, keys.iter().copied()),
            });
        }
    };
    let annotation = |name: &str| {
        v.pointer("/metadata/annotations")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Current {
        key: key.to_string(),
        color,
        previous: annotation(PREVIOUS),
        switched_at: annotation(SWITCHED_AT),
    })
}

/// How a switch may go.
#[derive(Clone, Debug)]
pub struct Rules<'a> {
    /// The selector key.
    pub key: &'a str,
    /// The known colours; a colour outside them is refused.
    pub colors: &'a [String],
    /// Switching to the live colour is allowed (and changes nothing but the
    /// annotations).
    pub allow_noop: bool,
    /// The time recorded.
    pub now: jiff::Timestamp,
}

/// `svc` with its selector pointing at `color`, the replaced colour and the
/// time recorded in annotations.
pub fn to(svc: &Object, color: &str, rules: &Rules<'_>) -> Result<Value, Error> {
    let cur = current(svc, rules.key)?;
    if !rules.colors.iter().any(|c| c == color) {
        return Err(Error::Usage(format!(
            "`{color}` is not one of the colours {} (set them with --colors){}",
            rules.colors.join(", "),
            vz::error::suggest(color, rules.colors.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default()
        )));
    }
    if cur.color == color && !rules.allow_noop {
        return Err(Error::Usage(format!(
            "{} already selects {}={color}: nothing to switch (--allow-noop to accept)",
            svc.label(),
            rules.key
        )));
    }
    let mut out = svc.value().clone();
    if let Some(sel) = out.pointer_mut("/spec/selector").and_then(Value::as_object_mut) {
        sel.insert(rules.key.to_string(), Value::String(color.to_string()));
    }
    if cur.color != color {
        let annotations = annotations_mut(&mut out);
        annotations.insert(PREVIOUS.into(), Value::String(cur.color));
        annotations.insert(SWITCHED_AT.into(), Value::String(rules.now.to_string()));
    }
    Ok(out)
}

/// `svc` switched back to the colour recorded before the last switch.
pub fn back(svc: &Object, rules: &Rules<'_>) -> Result<(Value, String), Error> {
    let cur = current(svc, rules.key)?;
    let Some(previous) = cur.previous else {
        return Err(svc.invalid(
            "metadata.annotations",
            format!(
                "no previous colour is recorded (annotation {PREVIOUS}): `back` can only undo a \
                 switch made by vz-switch; use `to COLOR`"
            ),
        ));
    };
    let known: Vec<String> = if rules.colors.contains(&previous) {
        rules.colors.to_vec()
    } else {
        // A recorded colour is known by definition.
        rules.colors.iter().cloned().chain([previous.clone()]).collect()
    };
    let rules = Rules { colors: &known, allow_noop: true, ..rules.clone() };
    Ok((to(svc, &previous, &rules)?, previous))
}

fn annotations_mut(obj: &mut Value) -> &mut Map<String, Value> {
    let root = ensure_map(obj);
    let meta = ensure_map(root.entry("metadata").or_insert_with(|| Value::Object(Map::new())));
    ensure_map(meta.entry("annotations").or_insert_with(|| Value::Object(Map::new())))
}

fn ensure_map(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("made a map above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Kind;
    use proptest::prelude::*;
    use vz::input::{Locate, Syntax, parse_documents};

    fn object(v: &Value) -> Object {
        let mut docs = parse_documents(&v.to_string(), "svc.json", Locate::Everything).unwrap();
        Object { doc: docs.remove(0), kind: Kind::Service, syntax: Syntax::Json }
    }

    fn rules<'a>(colors: &'a [String]) -> Rules<'a> {
        Rules { key: "version", colors, allow_noop: false, now: jiff::Timestamp::UNIX_EPOCH }
    }

    proptest! {
        /// `to X` then `back` restores the selector, whatever else it holds.
        #[test]
        fn to_then_back_is_the_identity_on_the_selector(
            others in prop::collection::btree_map("[a-z]{1,8}", "[a-z0-9]{1,8}", 0..4),
            live in 0usize..3,
            target in 0usize..3,
        ) {
            prop_assume!(live != target);
            let colors: Vec<String> = ["blue", "green", "red"].map(String::from).to_vec();
            let mut selector: Map<String, Value> =
                others.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            selector.insert("version".into(), Value::String(colors[live].clone()));
            let svc = serde_json::json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "x"}, "spec": {"selector": selector.clone()}});
            let switched = to(&object(&svc), &colors[target], &rules(&colors)).unwrap();
            let (back, previous) = back(&object(&switched), &rules(&colors)).unwrap();
            prop_assert_eq!(&previous, &colors[live]);
            prop_assert_eq!(back.pointer("/spec/selector"), Some(&Value::Object(selector)));
        }
    }
}
