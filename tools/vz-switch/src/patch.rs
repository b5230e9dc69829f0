//! JSON merge patches (RFC 7386): the difference between two objects as
//! `kubectl patch --type merge` applies it. Lists are replaced whole (that is
//! what a merge patch can say); a removed key is `null`.

use serde_json::{Map, Value};

/// The merge patch that turns `from` into `to`; `None` when they are equal.
pub fn diff(from: &Value, to: &Value) -> Option<Value> {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = Map::new();
            for (k, va) in a {
                match b.get(k) {
                    None => {
                        out.insert(k.clone(), Value::Null);
                    }
                    Some(vb) => {
                        if let Some(d) = diff(va, vb) {
                            out.insert(k.clone(), d);
                        }
                    }
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.insert(k.clone(), vb.clone());
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (a, b) if a == b => None,
        (_, b) => Some(b.clone()),
    }
}

/// Applies a merge patch (RFC 7386), as `kubectl patch --type merge` does.
pub fn apply(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                apply(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The patch with `metadata.resourceVersion` of `live` added, so the API
/// server refuses it when the object changed since it was read (a
/// precondition, kubernetes#63104).
pub fn with_precondition(mut patch: Value, live: &Value) -> Value {
    if let (Some(rv), Value::Object(p)) = (live.pointer("/metadata/resourceVersion"), &mut patch) {
        let meta = p.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = meta {
            m.insert("resourceVersion".into(), rv.clone());
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn a_diff_names_only_what_changed() {
        let a =
            json!({"spec": {"selector": {"app": "x", "version": "blue"}, "ports": [1]}, "m": 1});
        let b =
            json!({"spec": {"selector": {"app": "x", "version": "green"}, "ports": [1]}, "n": 2});
        assert_eq!(
            diff(&a, &b),
            Some(json!({"spec": {"selector": {"version": "green"}}, "m": null, "n": 2}))
        );
        assert_eq!(diff(&a, &a), None);
    }

    #[test]
    fn the_precondition_carries_the_resource_version() {
        let live = json!({"metadata": {"resourceVersion": "42"}});
        assert_eq!(
            with_precondition(json!({"spec": {"x": 1}}), &live),
            json!({"spec": {"x": 1}, "metadata": {"resourceVersion": "42"}})
        );
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::from),
            (-5i64..5).prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Applying the diff of a and b to a gives b (for documents without
        /// nulls, which a merge patch cannot set).
        #[test]
        fn applying_the_diff_gives_the_target(a in arb_json(), b in arb_json()) {
            let mut x = a.clone();
            if let Some(p) = diff(&a, &b) {
                apply(&mut x, &p);
            }
            prop_assert_eq!(x, b);
        }
    }
}
