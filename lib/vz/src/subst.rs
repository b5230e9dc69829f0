//! `${VAR}` substitution in values (never in template code).
//!
//! - `${VAR}`: the variable's value; unset is an error.
//! - `${VAR:-default}`: the default when unset or empty; `${VAR-default}`:
//!   the default only when unset.
//! - `${VAR:?message}`: unset or empty is an error carrying the message.
//! - `$${...}` is a literal `${...}`; a `$` not followed by `{` is kept.
//! - A string that is exactly one `${...}` takes the type its value reads as
//!   in YAML (`replicas: ${REPLICAS:-3}` is the number 3); anything else stays text.
//!
//! Every missing variable in a whole tree is reported at once.

use serde_json::Value;

/// A variable that was needed and not set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The variable's name.
    pub var: String,
    /// Where it was used (a path, see [`crate::path`]).
    pub path: String,
    /// The `${VAR:?message}` message, if any.
    pub message: Option<String>,
}

/// A malformed `${...}` expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// Where it was found.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// What went wrong across a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    /// Variables that were needed and not set, in document order.
    pub missing: Vec<Missing>,
    /// Malformed expressions.
    pub malformed: Vec<Malformed>,
}

impl Problems {
    /// True when nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.malformed.is_empty()
    }
}

/// Substitutes in every string of `value` (map keys are left alone), looking
/// variables up with `lookup`; `on_use` hears each variable used and where.
pub fn substitute_tree(
    value: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    on_use: &mut dyn FnMut(&str, &str),
) -> Problems {
    let mut problems = Problems::default();
    walk(value, &mut String::new(), lookup, on_use, &mut problems);
    problems
}

/// Substitutes below `v`, whose path is `path` (one buffer for the whole
/// walk: each level appends its segment and takes it off again).
fn walk(
    v: &mut Value,
    path: &mut String,
    lookup: &dyn Fn(&str) -> Option<String>,
    on_use: &mut dyn FnMut(&str, &str),
    problems: &mut Problems,
) {
    match v {
        Value::String(s) if s.contains('$') => match expand(s, lookup) {
            Ok(exp) => {
                for var in &exp.used {
                    on_use(path, var);
                }
                for (var, message) in exp.missing {
                    problems.missing.push(Missing { var, path: path.clone(), message });
                }
                *v = if exp.whole {
                    crate::scalar::typed(&exp.text)
                } else {
                    Value::String(exp.text)
                };
            }
            Err(message) => problems.malformed.push(Malformed { path: path.clone(), message }),
        },
        Value::Array(items) => {
            let len = path.len();
            for (i, item) in items.iter_mut().enumerate() {
                crate::path::push_index(path, i);
                walk(item, path, lookup, on_use, problems);
                path.truncate(len);
            }
        }
        Value::Object(m) => {
            let len = path.len();
            for (k, item) in m.iter_mut() {
                crate::path::push_key(path, k);
                walk(item, path, lookup, on_use, problems);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The result of expanding one string.
#[derive(Debug, PartialEq, Eq)]
pub struct Expansion {
    /// The text after substitution (missing variables expand to nothing).
    pub text: String,
    /// Variables used, in order.
    pub used: Vec<String>,
    /// Variables missing, with their `:?` message.
    pub missing: Vec<(String, Option<String>)>,
    /// The input was exactly one `${...}` expression.
    pub whole: bool,
}

/// Expands one string; `Err` says what is malformed.
pub fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Expansion, String> {
    let mut out = Expansion {
        text: String::with_capacity(s.len()),
        used: vec![],
        missing: vec![],
        whole: false,
    };
    let mut rest = s;
    let mut exprs = 0;
    let mut literal = false;
    while let Some(i) = rest.find('$') {
        out.text.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(esc) = after.strip_prefix("${") {
            out.text.push_str("${");
            rest = esc;
            literal = true;
            continue;
        }
        let Some(body_start) = after.strip_prefix('{') else {
            out.text.push('$');
            rest = after;
            literal = true;
            continue;
        };
        let close = body_start.find('}').ok_or_else(|| format!("unclosed `${{` in {s:?}"))?;
        let body = &body_start[..close];
        rest = &body_start[close + 1..];
        exprs += 1;
        let (name, op, arg) = split_expr(body).map_err(|m| format!("{m} in {s:?}"))?;
        out.used.push(name.to_string());
        let val = lookup(name);
        let text = match (op, val) {
            ("", Some(v)) => v,
            (":-", Some(v)) if !v.is_empty() => v,
            ("-", Some(v)) => v,
            (":-" | "-", _) => arg.to_string(),
            (":?", Some(v)) if !v.is_empty() => v,
            (":?", _) => {
                out.missing
                    .push((name.to_string(), Some(arg.to_string()).filter(|m| !m.is_empty())));
                String::new()
            }
            (_, None) => {
                out.missing.push((name.to_string(), None));
                String::new()
            }
            (_, Some(v)) => v,
        };
        out.text.push_str(&text);
    }
    out.text.push_str(rest);
    out.whole = exprs == 1
        && !literal
        && s.starts_with("${")
        && s.ends_with('}')
        && s.matches("${").count() == 1;
    Ok(out)
}

fn split_expr(body: &str) -> Result<(&str, &str, &str), String> {
    let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(body.len());
    let name = &body[..end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("`${{{body}}}` does not start with a variable name"));
    }
    let tail = &body[end..];
    for op in [":-", ":?", "-"] {
        if let Some(arg) = tail.strip_prefix(op) {
            return Ok((name, op, arg));
        }
    }
    if tail.is_empty() {
        Ok((name, "", ""))
    } else {
        Err(format!("`${{{body}}}`: expected `}}`, `:-`, `-` or `:?` after `{name}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("v1.2.3".into()),
            "EMPTY" => Some(String::new()),
            "N" => Some("3".into()),
            _ => None,
        }
    }

    fn ex(s: &str) -> Expansion {
        expand(s, &env).unwrap()
    }

    #[test]
    fn forms() {
        assert_eq!(ex("app:${TAG}").text, "app:v1.2.3");
        assert_eq!(ex("${NOPE:-d}").text, "d");
        assert_eq!(ex("${EMPTY:-d}").text, "d");
        assert_eq!(ex("${EMPTY-d}").text, "");
        assert_eq!(ex("${NOPE-d}").text, "d");
        assert_eq!(ex("cost: $5 and $${TAG}").text, "cost: $5 and ${TAG}");
        assert_eq!(
            ex("${NOPE:?set NOPE to the region}").missing,
            vec![("NOPE".into(), Some("set NOPE to the region".into()))]
        );
        assert_eq!(ex("${A}${B}").missing.len(), 2);
    }

    #[test]
    fn whole_expressions_are_typed() {
        let mut v =
            json!({"replicas": "${N}", "text": "n=${N}", "d": "${NOPE:-true}", "lit": "$${N}"});
        let p = substitute_tree(&mut v, &env, &mut |_, _| {});
        assert!(p.is_empty());
        assert_eq!(v, json!({"replicas": 3, "text": "n=3", "d": true, "lit": "${N}"}));
    }

    #[test]
    fn every_missing_variable_is_reported_with_its_path() {
        let mut v = json!({"a": ["${X}", "${Y:-ok}"], "b": {"c": "${Z} and ${X}"}});
        let p = substitute_tree(&mut v, &env, &mut |_, _| {});
        let got: Vec<_> = p.missing.iter().map(|m| format!("{}@{}", m.var, m.path)).collect();
        assert_eq!(got, ["X@a[0]", "Z@b.c", "X@b.c"]);
    }

    #[test]
    fn malformed_expressions() {
        assert!(expand("${", &env).unwrap_err().contains("unclosed"));
        assert!(expand("${1A}", &env).unwrap_err().contains("variable name"));
        assert!(expand("${A:x}", &env).unwrap_err().contains("expected"));
    }
}
