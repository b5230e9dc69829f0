//! Durations as people write them in pipelines: `30s`, `5m`, `1h30m`,
//! `250ms`, `2d`. A bare number is refused (seconds or minutes?).

use std::time::Duration;

const UNITS: [(&str, u64); 6] =
    [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1), ("", 0)];

/// Parses `1h30m`, `90s`, `250ms`, `2d`; units may repeat only in
/// decreasing order. The error says what is wrong.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration: write e.g. 30s, 5m or 1h30m".into());
    }
    let mut rest = t;
    let mut total: u64 = 0;
    let mut last_rank = usize::MAX;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("`{text}` is not a duration: expected a number at `{rest}`"));
        }
        let n: u64 = rest[..digits].parse().map_err(|_| format!("`{text}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let (rank, ms) = match UNITS.iter().position(|(u, _)| *u == unit) {
            Some(r) if !unit.is_empty() => (r, UNITS[r].1),
            _ if unit.is_empty() => {
                return Err(format!("`{text}` needs a unit: {n}s, {n}m or {n}h"));
            }
            _ => return Err(format!("`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)")),
        };
        if rank <= last_rank && last_rank != usize::MAX {
            return Err(format!("`{text}`: units must go from largest to smallest, each once"));
        }
        last_rank = rank;
        total = n
            .checked_mul(ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too long"))?;
    }
    Ok(Duration::from_millis(total))
}

/// Formats a duration the way [`parse`] reads it, largest units first
/// (`1h30m`, `250ms`, `0s`); sub-millisecond parts are dropped.
pub fn format(d: Duration) -> String {
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in UNITS.iter().take(5) {
        if ms >= *size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse("1m30s500ms"), Ok(Duration::from_millis(90_500)));
    }

    #[test]
    fn refuses_with_reasons() {
        assert_eq!(parse("30").unwrap_err(), "`30` needs a unit: 30s, 30m or 30h");
        assert!(parse("5x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse("30s1m").unwrap_err().contains("largest to smallest"));
        assert!(parse("").is_err());
        assert!(parse("m").unwrap_err().contains("expected a number"));
        assert!(parse("99999999999999999999s").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::ZERO), "0s");
    }

    proptest! {
        #[test]
        fn round_trips(ms in 0u64..10_000_000_000) {
            let d = Duration::from_millis(ms);
            prop_assert_eq!(parse(&format(d)), Ok(d));
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = parse(&s);
        }
    }
}
