//! Backup times and series from file names.
//!
//! [`TimePattern`] is a strftime pattern (`%Y%m%d_%H%M%S`, jiff's
//! strptime) searched anywhere in a name: at each position from the left,
//! the first place where the whole pattern parses wins. A pattern without a
//! UTC offset (`%z`, `%:z`) or a Unix time (`%s`) gives a wall-clock time,
//! placed in `--tz` (for a wall clock that happens twice, the earlier).
//!
//! A file's series (its group: `paths` in the inventory) is, in order:
//! the `--group-by-name` capture; else, when the time came from the name,
//! the path with the time replaced by `*` (`pg/db_*.dump`, a glob that lists
//! the series); else the file's directory (`.` at the top).

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::{Offset, TimeZone};
use regex::Regex;
use vz::Error;

/// A time found in a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The instant.
    pub instant: Timestamp,
    /// The offset of the wall clock: from the name, or `--tz` at the instant.
    pub offset: Offset,
    /// Where the match is in the name (byte range).
    pub range: std::ops::Range<usize>,
}

/// A validated `--time-from-name` pattern.
#[derive(Clone, Debug)]
pub struct TimePattern {
    pattern: String,
}

/// A sample time that every directive can show.
fn sample() -> Result<jiff::Zoned, String> {
    DateTime::new(2024, 11, 28, 17, 45, 59, 123_456_789)
        .and_then(|dt| dt.to_zoned(TimeZone::fixed(Offset::UTC)))
        .map_err(|e| e.to_string())
}

impl TimePattern {
    /// Checks a pattern: it must name a whole date (a year, and a month and
    /// day or a day of the year), and read back what it writes.
    pub fn parse(pattern: &str) -> Result<TimePattern, Error> {
        let bad = |why: String| {
            Error::usage(format!(
                "--time-from-name `{pattern}`: {why}; write a strftime pattern such as \
                 %Y%m%d_%H%M%S or %Y-%m-%dT%H%M (jiff's strptime)"
            ))
        };
        if !pattern.contains('%') {
            return Err(bad("it has no % directive".into()));
        }
        let zoned = sample().map_err(bad)?;
        let text = jiff::fmt::strtime::format(pattern, &zoned)
            .map_err(|e| bad(format!("it cannot be written ({e})")))?;
        let (tm, used) = BrokenDownTime::parse_prefix(pattern, &text)
            .map_err(|e| bad(format!("it cannot be read back ({e})")))?;
        if tm.timestamp().is_none() {
            tm.to_datetime().map_err(|_| {
                bad("it does not give a whole date (it needs a year, and a month and a day \
                     or a day of the year)"
                    .into())
            })?;
        }
        if used != text.len() {
            return Err(bad("it does not read back what it writes".into()));
        }
        Ok(TimePattern { pattern: pattern.to_string() })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The leftmost match in `name`, its wall clock placed in `tz` when it
    /// has no offset of its own.
    pub fn find(&self, name: &str, tz: &TimeZone) -> Option<Found> {
        // jiff reads a sign before a year (`-2024`): a time starts at a
        // sign only when the pattern does.
        let signed = self.pattern.starts_with(['+', '-']);
        for (start, c) in name.char_indices() {
            if (c == '-' || c == '+') && !signed {
                continue;
            }
            let Ok((tm, used)) = BrokenDownTime::parse_prefix(&self.pattern, &name[start..]) else {
                continue;
            };
            if used == 0 {
                continue;
            }
            let range = start..start + used;
            if let Some(instant) = tm.timestamp() {
                let offset = tm.offset().unwrap_or_else(|| tz.to_offset(instant));
                return Some(Found { instant, offset, range });
            }
            let Ok(civil) = tm.to_datetime() else { continue };
            let found = match tm.offset() {
                Some(offset) => offset.to_timestamp(civil).ok().map(|i| (i, offset)),
                None => {
                    tz.to_ambiguous_zoned(civil).earlier().ok().map(|z| (z.timestamp(), z.offset()))
                }
            };
            if let Some((instant, offset)) = found {
                return Some(Found { instant, offset, range });
            }
        }
        None
    }
}

/// `--group-by-name REGEX`: the series is the named capture `group`, else
/// capture 1, else the whole match, of REGEX on the relative path.
#[derive(Clone, Debug)]
pub struct GroupPattern {
    regex: Regex,
}

impl GroupPattern {
    /// Compiles the pattern.
    pub fn parse(pattern: &str) -> Result<GroupPattern, Error> {
        let regex = Regex::new(pattern).map_err(|e| {
            let e = e.to_string();
            let e = e.lines().last().unwrap_or_default().trim().to_string();
            Error::usage(format!("--group-by-name `{pattern}` is not a regular expression: {e}"))
        })?;
        Ok(GroupPattern { regex })
    }

    /// The series of `rel` (a `/`-separated relative path), when the
    /// pattern matches and the capture is not empty.
    pub fn series(&self, rel: &str) -> Option<String> {
        let caps = self.regex.captures(rel)?;
        let m = caps.name("group").or_else(|| caps.get(1)).or_else(|| caps.get(0))?;
        (!m.as_str().is_empty()).then(|| m.as_str().to_string())
    }
}

/// The directory of a relative path (`.` at the top).
pub fn directory(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => ".",
    }
}

/// A time stamp as the inventory writes it: RFC 3339 with the offset,
/// seconds, and a fraction only when there is one.
pub fn stamp(instant: Timestamp, offset: Offset) -> String {
    let civil = offset.to_datetime(instant);
    let mut s = civil.strftime("%Y-%m-%dT%H:%M:%S%.f").to_string();
    if offset == Offset::UTC {
        s.push('Z');
    } else {
        let secs = offset.seconds();
        let (sign, secs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
        s.push_str(&format!("{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    #[test]
    fn finds_times_anywhere_in_a_name() {
        let p = TimePattern::parse("%Y%m%d_%H%M%S").unwrap();
        let f = p.find("db_20250403_020000.dump", &utc()).unwrap();
        assert_eq!(stamp(f.instant, f.offset), "2025-04-03T02:00:00Z");
        assert_eq!(f.range, 3..18);
        assert!(p.find("db_latest.dump", &utc()).is_none());
        // Not a real date: no match.
        assert!(p.find("db_20251340_020000.dump", &utc()).is_none());
        let p = TimePattern::parse("%Y-%m-%d").unwrap();
        let f = p.find("nightly-2024-02-29.tar.gz", &utc()).unwrap();
        assert_eq!(stamp(f.instant, f.offset), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn wall_clocks_take_the_zone_and_offsets_win() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let p = TimePattern::parse("%Y%m%dT%H%M").unwrap();
        let f = p.find("x-20250403T0200", &berlin).unwrap();
        assert_eq!(stamp(f.instant, f.offset), "2025-04-03T02:00:00+02:00");
        // 02:30 on 2025-10-26 happens twice in Berlin: the earlier one.
        let f = p.find("x-20251026T0230", &berlin).unwrap();
        assert_eq!(stamp(f.instant, f.offset), "2025-10-26T02:30:00+02:00");
        let p = TimePattern::parse("%Y%m%dT%H%M%z").unwrap();
        let f = p.find("x-20250403T0200-0530.sql", &berlin).unwrap();
        assert_eq!(stamp(f.instant, f.offset), "2025-04-03T02:00:00-05:30");
        let p = TimePattern::parse("%s").unwrap();
        let f = p.find("backup-1743645600.tar", &utc()).unwrap();
        assert_eq!(stamp(f.instant, f.offset), "2025-04-03T02:00:00Z");
    }

    #[test]
    fn bad_patterns_are_usage_errors() {
        for (p, why) in [
            ("backup", "no % directive"),
            ("%H%M", "whole date"),
            ("%Y%m", "whole date"),
            ("%Y%m%d %Q%", "cannot be"),
            ("%c", "cannot be"),
        ] {
            let e = TimePattern::parse(p).unwrap_err().to_string();
            assert!(e.contains(why), "{p}: {e}");
        }
        assert!(TimePattern::parse("%j-%Y").is_ok());
    }

    #[test]
    fn series_from_a_regex() {
        let g = GroupPattern::parse(r"^(?P<group>[a-z]+)_").unwrap();
        assert_eq!(g.series("db_2025.dump").as_deref(), Some("db"));
        assert_eq!(g.series("2025.dump"), None);
        let g = GroupPattern::parse(r"^[^/]+").unwrap();
        assert_eq!(g.series("pg/db.dump").as_deref(), Some("pg"));
        assert!(GroupPattern::parse("(").unwrap_err().to_string().contains("unclosed group"));
        assert_eq!(directory("a/b/c.dump"), "a/b");
        assert_eq!(directory("c.dump"), ".");
    }

    proptest::proptest! {
        /// A time written into a name by the pattern is found again, with
        /// the range it was written at, whatever letters surround it.
        #[test]
        fn written_times_are_found_again(
            secs in 0i64..4_000_000_000,
            pattern in proptest::sample::select(vec![
                "%Y%m%d_%H%M%S", "%Y-%m-%dT%H%M", "%Y%m%d%H%M%S%z", "%s", "%Y.%j.%H%M",
            ]),
            before in "[a-z_.]{0,8}",
            after in "[a-z_.]{0,8}",
        ) {
            let t = Timestamp::from_second(secs).unwrap();
            let zoned = t.to_zoned(TimeZone::UTC);
            let written = jiff::fmt::strtime::format(pattern, &zoned).unwrap();
            let name = format!("{before}{written}{after}");
            let p = TimePattern::parse(pattern).unwrap();
            let found = p.find(&name, &TimeZone::UTC).unwrap();
            // Patterns without seconds find the minute.
            let want = if pattern.contains("%S") || pattern == "%s" { secs } else { secs - secs % 60 };
            proptest::prop_assert_eq!(found.instant.as_second(), want);
            proptest::prop_assert_eq!(found.range, before.len()..before.len() + written.len());
        }
    }

    #[test]
    fn stamps_show_fractions_only_when_there_are_some() {
        let t: Timestamp = "2025-04-03T00:00:00.5Z".parse().unwrap();
        assert_eq!(stamp(t, Offset::UTC), "2025-04-03T00:00:00.5Z");
        let o = Offset::from_seconds(-(3 * 3600 + 30 * 60)).unwrap();
        assert_eq!(stamp(t, o), "2025-04-02T20:30:00.5-03:30");
    }
}
