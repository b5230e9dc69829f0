//! Plans with borg prune's rules (borg 1.2), for `--semantics borg`.
//!
//! How borg differs from restic:
//! - rules run one after another, within, secondly (`--keep-last`),
//!   minutely, hourly, daily, weekly, monthly, yearly, and an archive that
//!   an earlier rule kept is **not counted again**: a later rule moves past
//!   its period without using a unit (`--keep-daily 3 --keep-weekly 2` keeps
//!   5 daily archives' worth where restic keeps 4);
//! - `--keep-last` is a bucket of one second, not a count of archives;
//! - `--keep-within` is measured from **now** (strictly after now minus the
//!   interval) and its archives use no unit of any rule;
//! - buckets come from the time in the **time zone of the process** (`TZ`),
//!   not the offset each archive was written with;
//! - a rule that does not reach its count keeps the oldest archive, as
//!   `<rule>[oldest]`; a negative count is unlimited and has no oldest rule.
//!
//! Reasons are borg's `--list` rules: `daily #1`, `monthly[oldest] #3`,
//! `within #2`, `secondly #1`.

use crate::plan::{Decision, Period, Reason, decide, superseded};
use crate::policy::BorgPolicy;
use crate::snapshot::Snapshot;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// Applies a borg policy to one set of archives sorted newest first.
pub fn apply(
    group: &[&Snapshot],
    policy: &BorgPolicy,
    now: Timestamp,
    tz: &TimeZone,
) -> Vec<Decision> {
    let civil: Vec<DateTime> = group.iter().map(|s| tz.to_datetime(s.time.instant)).collect();
    let mut kept: Vec<Option<String>> = vec![None; group.len()];
    let mut superseded_by: Vec<Vec<Reason>> = vec![Vec::new(); group.len()];
    // (borg keeps one reason per archive: the rule that kept it first)

    if let Some(hours) = policy.within_hours {
        // An interval past the calendar's start keeps everything (`None`).
        let target = i64::try_from(hours)
            .ok()
            .and_then(|h| h.checked_mul(3600))
            .and_then(|s| now.checked_sub(jiff::SignedDuration::from_secs(s)).ok());
        let mut n = 0;
        for (i, s) in group.iter().enumerate() {
            if target.is_none_or(|t| s.time.instant > t) {
                n += 1;
                kept[i] = Some(format!("within #{n}"));
            }
        }
    }

    let rules = [
        ("secondly", Period::Second, policy.secondly),
        ("minutely", Period::Minute, policy.minutely),
        ("hourly", Period::Hour, policy.hourly),
        ("daily", Period::Day, policy.daily),
        ("weekly", Period::Week, policy.weekly),
        ("monthly", Period::Month, policy.monthly),
        ("yearly", Period::Year, policy.yearly),
    ];
    for (rule, period, target) in rules {
        if target == 0 {
            continue;
        }
        let mut last: Option<(i64, usize)> = None;
        let mut count: i64 = 0;
        let mut visited = None;
        for (i, c) in civil.iter().enumerate() {
            visited = Some(i);
            let key = period.key(c, i);
            match last {
                Some((k, by)) if k == key => {
                    superseded_by[i].push(superseded(&group[by].id, &period.label(c)).into());
                }
                _ => {
                    last = Some((key, i));
                    if kept[i].is_none() {
                        count += 1;
                        kept[i] = Some(format!("{rule} #{count}"));
                        if count == target {
                            break;
                        }
                    }
                }
            }
        }
        // Keep the oldest archive when the rule did not reach its count.
        if let Some(i) = visited.filter(|i| count < target && kept[*i].is_none()) {
            count += 1;
            kept[i] = Some(format!("{rule}[oldest] #{count}"));
        }
    }

    kept.into_iter()
        .zip(superseded_by)
        .map(|(k, s)| decide(k.into_iter().map(Reason::from).collect(), s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use crate::policy::{Flags, GroupBy};
    use crate::snapshot::Stamp;

    fn archives(times: &[&str]) -> Vec<Snapshot> {
        times
            .iter()
            .enumerate()
            .map(|(i, t)| Snapshot::new(format!("a{i:02}"), Stamp::parse(t).unwrap()))
            .collect()
    }

    fn kept(snaps: &[Snapshot], f: Flags, now: &str) -> Vec<(String, Vec<String>)> {
        let p = f.borg().unwrap();
        let now: Timestamp = now.parse().unwrap();
        let plan = plan(snaps, GroupBy::NONE, |g| apply(g, &p, now, &TimeZone::UTC));
        plan.keep()
            .map(|e| (e.id.to_string(), e.reasons.iter().map(|r| r.to_string()).collect()))
            .collect()
    }

    fn days(n: usize) -> Vec<String> {
        (1..=n).map(|d| format!("2021-03-{d:02}T12:00:00Z")).collect()
    }

    #[test]
    fn kept_archives_are_not_counted_again() {
        let times = days(14);
        let snaps = archives(&times.iter().map(String::as_str).collect::<Vec<_>>());
        let k = kept(
            &snaps,
            Flags { daily: Some(3), weekly: Some(2), ..Flags::default() },
            "2030-01-01T00:00:00Z",
        );
        let ids: Vec<_> = k.iter().map(|(i, _)| i.as_str()).collect();
        // Mar 14 (Sun), 13, 12 daily; weekly moves past W10 (kept already)
        // and keeps Mar 7 (W09 end) and, short of its count, the oldest.
        assert_eq!(ids, ["a13", "a12", "a11", "a06", "a00"]);
        assert_eq!(k[3].1, ["weekly #1"]);
        assert_eq!(k[4].1, ["weekly[oldest] #2"]);
    }

    #[test]
    fn last_is_a_second_and_within_is_from_now() {
        let snaps =
            archives(&["2021-03-01T12:00:00.1Z", "2021-03-01T12:00:00.5Z", "2021-03-01T11:00:00Z"]);
        let k = kept(&snaps, Flags { last: Some(2), ..Flags::default() }, "2030-01-01T00:00:00Z");
        let ids: Vec<_> = k.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["a01", "a02"]);
        let k = kept(
            &snaps,
            Flags { within: Some("2H".into()), ..Flags::default() },
            "2021-03-01T13:30:00Z",
        );
        let ids: Vec<_> = k.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["a01", "a00"]);
    }

    #[test]
    fn an_interval_past_the_calendar_keeps_everything() {
        let snaps = archives(&["2021-03-02T12:00:00Z", "2021-03-01T12:00:00Z"]);
        let flags = Flags { within: Some("999999999999y".into()), ..Flags::default() };
        assert_eq!(kept(&snaps, flags, "2030-01-01T00:00:00Z").len(), 2);
    }

    #[test]
    fn negative_counts_are_unlimited_without_an_oldest() {
        let snaps =
            archives(&["2021-03-02T12:00:00Z", "2021-03-01T12:00:00Z", "2021-03-01T08:00:00Z"]);
        let k = kept(&snaps, Flags { daily: Some(-1), ..Flags::default() }, "2030-01-01T00:00:00Z");
        assert_eq!(k.len(), 2);
    }
}
