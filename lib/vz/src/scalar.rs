//! Typing a scalar given as text (`--set`, whole `${VAR}` values) the way a
//! YAML 1.2 reader would: `3` is a number, `true` a boolean, `null` null,
//! `"3"` (quoted) the text 3, anything else text.

use serde_json::Value;

/// The value `text` reads as, as a YAML 1.2 plain scalar.
pub fn typed(text: &str) -> Value {
    let t = text.trim();
    match t {
        "" => return Value::String(text.to_string()),
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" | "~" => return Value::Null,
        _ => {}
    }
    if let Some(q) = t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Value::String(q.to_string());
    }
    if let Some(q) = t.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Value::String(q.to_string());
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if !leading_zero && digits.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        if let Ok(i) = t.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(u) = t.parse::<u64>() {
            return Value::from(u);
        }
        if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_like_yaml_1_2() {
        assert_eq!(typed("3"), json!(3));
        assert_eq!(typed("-1.5"), json!(-1.5));
        assert_eq!(typed("true"), json!(true));
        assert_eq!(typed("null"), Value::Null);
        assert_eq!(typed("on"), json!("on"));
        assert_eq!(typed("0755"), json!("0755"));
        assert_eq!(typed("\"3\""), json!("3"));
        assert_eq!(typed("1e3"), json!(1000.0));
        assert_eq!(typed("v1.2"), json!("v1.2"));
        assert_eq!(typed("inf"), json!("inf"));
    }
}
