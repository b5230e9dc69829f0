//! Properties every plan has, over random snapshot sets and policies: the
//! newest snapshot of a group is never removed; keep and remove partition
//! the input; planning the kept set again removes nothing; the order of the
//! input does not matter; the JSON written by hand is serde's.

use crate::borg;
use crate::plan::{self, Plan};
use crate::policy::{BorgPolicy, Count, Duration, GroupBy, Policy, TagList};
use crate::snapshot::{Snapshot, Stamp};
use jiff::Timestamp;
use jiff::tz::Offset;
use proptest::prelude::*;
use std::collections::BTreeSet;

const OFFSETS: [i32; 5] = [0, -5 * 3600, 5 * 3600 + 1800, 14 * 3600, -10 * 3600];

/// A snapshot: minutes after 2020-12-20T00:00Z (about 70 days; ties
/// likely), an offset, host, paths and tags drawn from small sets.
fn snapshot() -> impl Strategy<Value = (u32, usize, bool, bool, u8)> {
    (0u32..100_000, 0..OFFSETS.len(), any::<bool>(), any::<bool>(), 0u8..4)
}

fn build(raw: &[(u32, usize, bool, bool, u8)]) -> Vec<Snapshot> {
    let base: Timestamp = "2020-12-20T00:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
    raw.iter()
        .enumerate()
        .map(|(i, &(minutes, off, host, path, tags))| {
            let instant = base + jiff::SignedDuration::from_mins(i64::from(minutes));
            let secs = OFFSETS[off];
            let offset = Offset::from_seconds(secs).unwrap_or(Offset::UTC);
            let civil = offset.to_datetime(instant);
            let text = match secs {
                0 => format!("{civil}Z"),
                s => {
                    let sign = if s < 0 { '-' } else { '+' };
                    let a = s.abs();
                    format!("{civil}{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
                }
            };
            let stamp = Stamp::parse(&text).unwrap_or_else(|e| panic!("{text} ({e})"));
            let mut s = Snapshot::new(format!("{i:064x}"), stamp);
            s.host = if host { "a".into() } else { "b".into() };
            s.paths = vec![if path { "/x".into() } else { "/y".into() }];
            s.tags = ["t1", "t2"]
                .iter()
                .enumerate()
                .filter(|(b, _)| tags & (1 << b) != 0)
                .map(|(_, t)| (*t).to_string())
                .collect();
            s
        })
        .collect()
}

fn count() -> impl Strategy<Value = Count> {
    prop_oneof![
        3 => Just(Count::Off),
        3 => (1u64..5).prop_map(Count::N),
        1 => Just(Count::Unlimited),
    ]
}

fn duration() -> impl Strategy<Value = Option<Duration>> {
    prop_oneof![
        3 => Just(None),
        1 => (0i64..2, 0i64..3, 0i64..20, 0i64..30).prop_map(|(years, months, days, hours)| {
            let d = Duration { years, months, days, hours };
            (!d.is_zero()).then_some(d)
        }),
    ]
}

fn tags() -> impl Strategy<Value = Vec<TagList>> {
    prop::collection::vec(
        prop_oneof![Just("t1"), Just("t2"), Just("t1,t2"), Just(""), Just("none")],
        0..2,
    )
    .prop_map(|v| v.into_iter().map(TagList::parse).collect())
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        (count(), count(), count(), count(), count(), count()),
        (duration(), duration(), duration(), duration(), duration(), duration()),
        tags(),
    )
        .prop_map(|((last, hourly, daily, weekly, monthly, yearly), w, tags)| Policy {
            last,
            hourly,
            daily,
            weekly,
            monthly,
            yearly,
            within: w.0,
            within_hourly: w.1,
            within_daily: w.2,
            within_weekly: w.3,
            within_monthly: w.4,
            within_yearly: w.5,
            tags,
        })
        .prop_filter("an empty policy is refused before planning", |p| !p.is_empty())
}

fn borg_policy() -> impl Strategy<Value = BorgPolicy> {
    (prop::collection::vec(-1i64..4, 7), prop::option::of(1u64..2000))
        .prop_map(|(c, within_hours)| BorgPolicy {
            within_hours,
            within_text: within_hours.map(|h| format!("{h}H")).unwrap_or_default(),
            secondly: c[0],
            minutely: c[1],
            hourly: c[2],
            daily: c[3],
            weekly: c[4],
            monthly: c[5],
            yearly: c[6],
        })
        .prop_filter("an empty policy is refused before planning", |p| {
            p.within_hours.is_some()
                || [p.secondly, p.minutely, p.hourly, p.daily, p.weekly, p.monthly, p.yearly]
                    .iter()
                    .any(|c| *c != 0)
        })
}

fn group_by() -> impl Strategy<Value = GroupBy> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(host, paths, tags)| GroupBy {
        host,
        paths,
        tags,
    })
}

fn now() -> impl Strategy<Value = Timestamp> {
    // Mostly after every snapshot, sometimes among them (future snapshots).
    prop_oneof![
        Just("2030-01-01T00:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH)),
        (0i64..100_000).prop_map(|m| {
            let base: Timestamp = "2020-12-20T00:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
            base + jiff::SignedDuration::from_mins(m)
        }),
    ]
}

fn restic_plan<'a>(snaps: &'a [Snapshot], p: &Policy, by: GroupBy, now: Timestamp) -> Plan<'a> {
    plan::plan(snaps, by, |g| plan::apply(g, p, now))
}

fn borg_plan<'a>(snaps: &'a [Snapshot], p: &BorgPolicy, by: GroupBy, now: Timestamp) -> Plan<'a> {
    plan::plan(snaps, by, |g| borg::apply(g, p, now, &jiff::tz::TimeZone::UTC))
}

fn check_invariants(snaps: &[Snapshot], plan: &Plan, by: GroupBy) -> Result<(), TestCaseError> {
    // keep ∪ remove is a partition of the input.
    let input: BTreeSet<&str> = snaps.iter().map(|s| s.id.as_str()).collect();
    let kept: Vec<&str> = plan.keep().map(|e| e.id).collect();
    let removed: Vec<&str> = plan.remove().map(|e| e.id).collect();
    let mut all: Vec<&str> = kept.iter().chain(&removed).copied().collect();
    all.sort_unstable();
    prop_assert_eq!(all.len(), input.len(), "every snapshot once");
    prop_assert!(all.iter().copied().eq(input.iter().copied()));
    // Every entry has a reason.
    prop_assert!(plan.keep().chain(plan.remove()).all(|e| !e.reasons.is_empty()));
    // The newest snapshot of every group that is not refused is kept.
    for (key, group) in plan::groups(snaps, by) {
        if plan.emptied.contains(&key) {
            continue;
        }
        let newest = group.first().map(|s| s.id.as_str()).unwrap_or_default();
        prop_assert!(kept.contains(&newest), "newest of {} removed", key);
    }
    // The plan as JSON: the bytes serde's pretty printer writes.
    let mut written = Vec::new();
    crate::plan_json::write(plan, &mut written).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(String::from_utf8_lossy(&written), vz::output::pretty_json(plan));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn restic_plans_keep_the_newest_and_partition_the_input(
        raw in prop::collection::vec(snapshot(), 0..40),
        p in policy(),
        by in group_by(),
        now in now(),
    ) {
        let snaps = build(&raw);
        let plan = restic_plan(&snaps, &p, by, now);
        check_invariants(&snaps, &plan, by)?;
    }

    #[test]
    fn replanning_the_kept_set_removes_nothing(
        raw in prop::collection::vec(snapshot(), 1..40),
        p in policy(),
        by in group_by(),
        now in now(),
    ) {
        let snaps = build(&raw);
        let first = restic_plan(&snaps, &p, by, now);
        let kept: BTreeSet<&str> = first.keep().map(|e| e.id).collect();
        let again: Vec<Snapshot> = snaps.iter().filter(|s| kept.contains(s.id.as_str())).cloned().collect();
        let second = restic_plan(&again, &p, by, now);
        let removed: Vec<_> = second.remove().collect();
        prop_assert!(removed.is_empty(), "removed on the second pass: {:?}", removed);
    }

    #[test]
    fn the_order_of_the_input_does_not_matter(
        raw in prop::collection::vec(snapshot(), 0..40),
        p in policy(),
        bp in borg_policy(),
        by in group_by(),
        now in now(),
        seed in any::<u64>(),
    ) {
        let snaps = build(&raw);
        let mut shuffled = snaps.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = usize::try_from(state % (i as u64 + 1)).unwrap_or(0);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(restic_plan(&snaps, &p, by, now), restic_plan(&shuffled, &p, by, now));
        prop_assert_eq!(borg_plan(&snaps, &bp, by, now), borg_plan(&shuffled, &bp, by, now));
    }

    #[test]
    fn borg_plans_keep_the_newest_and_partition_the_input(
        raw in prop::collection::vec(snapshot(), 0..40),
        p in borg_policy(),
        by in group_by(),
        now in now(),
    ) {
        let snaps = build(&raw);
        let plan = borg_plan(&snaps, &p, by, now);
        check_invariants(&snaps, &plan, by)?;
    }
}
