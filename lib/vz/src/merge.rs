//! Deep merge of configuration layers, helm's coalesce rule made explicit:
//! maps merge deeply, lists and scalars replace, `null` removes a key.
//!
//! Lists may opt in to a keyed merge (helm#3486): when a list's path matches
//! a [`ListKeys`] pattern, items are matched by that key, matched items merge
//! deeply, new items are appended in overlay order, and an overlay item with
//! `$remove: true` removes its match.

use serde_json::{Map, Value};

/// The key that identifies a list's items, by list path pattern. A pattern is
/// a path whose segments may be `*` (any one key or index):
/// `services.*.ports` → `name`.
#[derive(Clone, Debug, Default)]
pub struct ListKeys(Vec<(Vec<String>, String)>);

impl ListKeys {
    /// No keyed lists: every list replaces.
    pub fn none() -> Self {
        ListKeys::default()
    }

    /// Adds a pattern (`services.*.ports`) and the key its items are matched by.
    pub fn add(&mut self, pattern: &str, key: &str) {
        let segs = pattern.split('.').map(str::to_string).collect();
        self.0.push((segs, key.to_string()));
    }

    fn key_for(&self, path: &[String]) -> Option<&str> {
        self.0
            .iter()
            .find(|(pat, _)| {
                pat.len() == path.len() && pat.iter().zip(path).all(|(p, s)| p == "*" || p == s)
            })
            .map(|(_, k)| k.as_str())
    }
}

/// What a merge did at a path, for provenance (`--explain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The value at the path was set (a scalar, a replaced list, an empty map).
    Set,
    /// The key at the path was removed by a `null`.
    Removed,
}

/// Merges `overlay` into `base`: maps merge deeply, lists and scalars replace,
/// `null` removes a key.
pub fn merge(base: &mut Value, overlay: Value) {
    merge_keyed(base, overlay, &ListKeys::none());
}

/// Merges like [`merge`], with keyed lists.
pub fn merge_keyed(base: &mut Value, overlay: Value, keys: &ListKeys) {
    let mut segs = Vec::new();
    merge_at(base, overlay, keys, &mut segs, String::new(), &mut None);
}

/// Merges like [`merge_keyed`], reporting every leaf it sets or removes (as
/// a path in the result, see [`crate::path`]) to `on_change`.
pub fn merge_with(
    base: &mut Value,
    overlay: Value,
    keys: &ListKeys,
    on_change: &mut dyn FnMut(&str, Change),
) {
    let mut segs = Vec::new();
    merge_at(base, overlay, keys, &mut segs, String::new(), &mut Some(on_change));
}

/// Where changes go, if anywhere: without a receiver no path is built.
type Report<'a, 'f> = Option<&'a mut (dyn FnMut(&str, Change) + 'f)>;

fn report(on_change: &mut Report<'_, '_>, path: &str, change: Change) {
    if let Some(f) = on_change {
        f(path, change);
    }
}

fn merge_at(
    base: &mut Value,
    overlay: Value,
    keys: &ListKeys,
    segs: &mut Vec<String>,
    path: String,
    on_change: &mut Report<'_, '_>,
) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            if o.is_empty() && b.is_empty() {
                report(on_change, &path, Change::Set);
            }
            for (k, v) in o {
                let child =
                    if on_change.is_some() { crate::path::key(&path, &k) } else { String::new() };
                if v.is_null() {
                    if b.remove(&k).is_some() {
                        report(on_change, &child, Change::Removed);
                    }
                    continue;
                }
                segs.push(k.clone());
                match b.get_mut(&k) {
                    Some(existing) => merge_at(existing, v, keys, segs, child, on_change),
                    None => {
                        if let Some(f) = on_change {
                            report_leaves(&v, &child, *f);
                        }
                        b.insert(k, strip_nulls(v));
                    }
                }
                segs.pop();
            }
        }
        (Value::Array(b), Value::Array(o)) if keys.key_for(segs).is_some() => {
            let key = keys.key_for(segs).unwrap_or_default().to_string();
            merge_list(b, o, &key, keys, segs, &path, on_change);
        }
        (b, o) => {
            if let Some(f) = on_change {
                if b.is_object() {
                    // A replaced subtree: everything below it is gone.
                    f(&path, Change::Removed);
                }
                report_leaves(&o, &path, *f);
            }
            *b = strip_nulls(o);
        }
    }
}

fn merge_list(
    base: &mut Vec<Value>,
    overlay: Vec<Value>,
    key: &str,
    keys: &ListKeys,
    segs: &mut Vec<String>,
    path: &str,
    on_change: &mut Report<'_, '_>,
) {
    for item in overlay {
        let id = item.get(key).cloned();
        let pos = id.as_ref().and_then(|id| base.iter().position(|b| b.get(key) == Some(id)));
        let remove = item.get("$remove").and_then(Value::as_bool) == Some(true);
        let reporting = on_change.is_some();
        let at = |i: usize| if reporting { crate::path::index(path, i) } else { String::new() };
        match (pos, remove) {
            (Some(i), true) => {
                base.remove(i);
                report(on_change, &at(i), Change::Removed);
            }
            (None, true) => {}
            (Some(i), false) => {
                segs.push("*".into());
                let child = at(i);
                merge_at(&mut base[i], item, keys, segs, child, on_change);
                segs.pop();
            }
            (None, false) => {
                if let Some(f) = on_change {
                    report_leaves(&item, &at(base.len()), *f);
                }
                base.push(strip_nulls(item));
            }
        }
    }
}

fn report_leaves(v: &Value, path: &str, on_change: &mut dyn FnMut(&str, Change)) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                if !v.is_null() {
                    report_leaves(v, &crate::path::key(path, k), on_change);
                }
            }
        }
        _ => on_change(path, Change::Set),
    }
}

/// A new subtree keeps no `null` keys: `null` means "absent" in every layer.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn merged(mut a: Value, b: Value) -> Value {
        merge(&mut a, b);
        a
    }

    #[test]
    fn maps_deep_lists_and_scalars_replace_null_removes() {
        let base = json!({"a": {"x": 1, "y": [1, 2], "z": "keep"}, "b": 1, "gone": {"deep": 1}});
        let over = json!({"a": {"x": 2, "y": [3]}, "b": {"now": "map"}, "gone": null, "new": {"n": null, "m": 1}});
        assert_eq!(
            merged(base, over),
            json!({"a": {"x": 2, "y": [3], "z": "keep"}, "b": {"now": "map"}, "new": {"m": 1}})
        );
    }

    #[test]
    fn keyed_lists_merge_by_key_append_and_remove() {
        let mut keys = ListKeys::none();
        keys.add("services.*.ports", "name");
        let mut base = json!({"services": {"app": {"ports": [
            {"name": "http", "port": 8080}, {"name": "grpc", "port": 9090}, {"name": "old", "port": 1}]}}});
        let over = json!({"services": {"app": {"ports": [
            {"name": "grpc", "port": 9191}, {"name": "metrics", "port": 9100}, {"name": "old", "$remove": true}]}}});
        let mut changes = Vec::new();
        merge_with(&mut base, over, &keys, &mut |p, c| changes.push((p.to_string(), c)));
        assert_eq!(
            base["services"]["app"]["ports"],
            json!([{"name": "http", "port": 8080}, {"name": "grpc", "port": 9191}, {"name": "metrics", "port": 9100}])
        );
        assert!(changes.contains(&("services.app.ports[1].port".into(), Change::Set)));
        assert!(changes.contains(&("services.app.ports[3].port".into(), Change::Set)));
    }

    #[test]
    fn unkeyed_lists_replace_wholesale() {
        let mut keys = ListKeys::none();
        keys.add("a.*.ports", "name");
        let mut base = json!({"other": [{"name": "x"}]});
        merge_with(&mut base, json!({"other": [{"name": "y"}]}), &keys, &mut |_, _| {});
        assert_eq!(base, json!({"other": [{"name": "y"}]}));
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-5i64..5).prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A map of arbitrary values: the layers merge works on (generated
    /// directly; filtering arbitrary values for maps rejected too many).
    fn arb_map() -> impl Strategy<Value = Value> {
        prop::collection::btree_map("[a-d]", arb_value(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    fn no_nulls_in_maps(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.values().all(|v| !v.is_null() && no_nulls_in_maps(v)),
            Value::Array(a) => a.iter().all(no_nulls_in_maps),
            _ => true,
        }
    }

    proptest! {
        #[test]
        fn merging_is_idempotent(a in arb_value(), b in arb_value()) {
            let once = merged(a, b.clone());
            prop_assert_eq!(merged(once.clone(), b), once);
        }

        #[test]
        fn the_base_survives_where_the_overlay_is_silent(a in arb_map(), b in arb_map()) {
            let a = merged(json!({}), a);
            let m = merged(a.clone(), b.clone());
            for (k, v) in a.as_object().into_iter().flatten() {
                if b.get(k).is_none() {
                    prop_assert_eq!(m.get(k), Some(v));
                }
            }
        }

        #[test]
        fn the_overlay_wins_at_every_leaf(a in arb_map(), b in arb_map()) {
            let m = merged(a, b.clone());
            if let Value::Object(o) = &b {
                for (k, v) in o {
                    match v {
                        Value::Null => prop_assert!(m.get(k).is_none()),
                        Value::Object(_) => prop_assert!(m.get(k).is_some()),
                        other => prop_assert_eq!(m.get(k), Some(&strip_nulls(other.clone()))),
                    }
                }
            }
        }

        /// Reporting changes does not change the merge, keyed lists included.
        #[test]
        fn reporting_changes_nothing(a in arb_map(), b in arb_map()) {
            let mut keys = ListKeys::none();
            keys.add("a", "b");
            keys.add("c.*.d", "a");
            let mut quiet = a.clone();
            merge_keyed(&mut quiet, b.clone(), &keys);
            let mut reported = a;
            merge_with(&mut reported, b, &keys, &mut |_, _| {});
            prop_assert_eq!(quiet, reported);
        }

        #[test]
        fn results_hold_no_null_keys(a in arb_map(), b in arb_value()) {
            let a = merged(json!({}), a);
            prop_assert!(no_nulls_in_maps(&a));
            prop_assert!(no_nulls_in_maps(&merged(a, b)));
        }
    }
}
