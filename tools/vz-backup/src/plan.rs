//! Retention plans with today's restic semantics (0.18/0.19), and the plan
//! every semantics shares: groups, keep and remove lists with reasons, and
//! vz's two safety rules.
//!
//! Per group (restic's `ApplyPolicy`): sort newest first; `latest` is the
//! newest snapshot strictly before now; then for each snapshot, in order:
//! tag matches (counted by no rule), `--keep-within` (after `latest` minus
//! the duration, strictly), the count rules last, hourly, daily, weekly,
//! monthly, yearly (a snapshot whose bucket differs from the last bucket
//! that rule kept is kept and uses one unit of that rule; every rule counts
//! on its own, so one snapshot can use a unit of several), and the
//! within-bucket rules (the same, among snapshots within the duration, with
//! no count). The oldest snapshot of a group is kept by every rule that
//! still has units left (or is unlimited), with the reason `oldest …`.
//!
//! Buckets come from the wall clock in each snapshot's own UTC offset;
//! weeks are ISO weeks (2020-12-28 is in 2020-W53, 2018-12-31 in
//! 2019-W01). Durations step back the calendar as Go's `AddDate` does: the
//! day of the month is kept and an overflow runs on (Mar 31 − 1m = Mar 3).
//!
//! Snapshots with the same instant are ordered by id (restic leaves their
//! order to chance), so the same input always gives the same plan.
//!
//! vz's safety, on top of either semantics: a plan never removes the
//! newest snapshot of a group (it is kept as "newest snapshot" when no rule
//! keeps it, which with restic's rules happens only with `--keep-tag` alone),
//! and a group of which no rule keeps anything is reported in
//! [`Plan::emptied`], for the caller to refuse the plan as restic ≥ 0.17
//! refuses it.

use crate::policy::{Count, Duration, GroupBy, Policy};
use crate::snapshot::{Snapshot, short_id};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
use serde::Serialize;
use serde::ser::SerializeStruct;
use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Why a snapshot is kept or removed: mostly restic's fixed strings; a
/// text made for the plan (a tag list, a duration, a bucket) is shared by
/// every snapshot it is about, so that the thousands of snapshots one
/// bucket supersedes hold one "superseded by …" between them. Compares and
/// prints as its text.
#[derive(Clone, Debug)]
pub enum Reason {
    /// One of the fixed strings.
    Fixed(&'static str),
    /// A text made for this plan.
    Text(Arc<str>),
}

impl Reason {
    /// The text.
    pub fn as_str(&self) -> &str {
        self
    }
}

impl Deref for Reason {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Reason::Fixed(s) => s,
            Reason::Text(s) => s,
        }
    }
}

impl Borrow<str> for Reason {
    fn borrow(&self) -> &str {
        self
    }
}

impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Reason::Text(a), Reason::Text(b)) if Arc::ptr_eq(a, b) => true,
            _ => **self == **other,
        }
    }
}

impl Eq for Reason {}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl From<&'static str> for Reason {
    fn from(s: &'static str) -> Self {
        Reason::Fixed(s)
    }
}

impl From<String> for Reason {
    fn from(s: String) -> Self {
        Reason::Text(s.into())
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

/// The reasons for one decision. Shared: the snapshots a bucket rule
/// supersedes one after another mostly have the same reasons, and hold one
/// list between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reasons(Arc<[Reason]>);

impl Deref for Reasons {
    type Target = [Reason];
    fn deref(&self) -> &[Reason] {
        &self.0
    }
}

impl From<Vec<Reason>> for Reasons {
    fn from(v: Vec<Reason>) -> Self {
        Reasons(v.into())
    }
}

impl From<&[Reason]> for Reasons {
    fn from(v: &[Reason]) -> Self {
        Reasons(v.into())
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

/// The decision on one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Kept (true) or removed.
    pub keep: bool,
    /// Why: restic's strings for a kept snapshot; for a removed one, the
    /// snapshot that superseded it in each bucket, or "outside every rule".
    pub reasons: Reasons,
}

/// The periods snapshots are bucketed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Every snapshot is its own bucket (keep-last).
    Each,
    /// A second (borg's keep-last).
    Second,
    /// A minute.
    Minute,
    /// An hour.
    Hour,
    /// A day.
    Day,
    /// An ISO week.
    Week,
    /// A month.
    Month,
    /// A year.
    Year,
}

impl Period {
    /// The bucket of wall clock `c` (snapshot number `nr` in its group, for
    /// [`Period::Each`]) as a number that is equal exactly when the buckets
    /// are.
    pub fn key(self, c: &DateTime, nr: usize) -> i64 {
        let (y, mo, d) = (i64::from(c.year()), i64::from(c.month()), i64::from(c.day()));
        let (h, mi, s) = (i64::from(c.hour()), i64::from(c.minute()), i64::from(c.second()));
        match self {
            Period::Each => i64::try_from(nr).unwrap_or(i64::MAX),
            Period::Second => ((((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi) * 100 + s,
            Period::Minute => (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi,
            Period::Hour => ((y * 100 + mo) * 100 + d) * 100 + h,
            Period::Day => (y * 100 + mo) * 100 + d,
            Period::Week => {
                let w = c.date().iso_week_date();
                i64::from(w.year()) * 100 + i64::from(w.week())
            }
            Period::Month => y * 100 + mo,
            Period::Year => y,
        }
    }

    /// The bucket as people write it: `2025-04-03T14`, `2025-04-03`,
    /// `2025-W14`, `2025-04`, `2025`.
    pub fn label(self, c: &DateTime) -> String {
        let (y, mo, d) = (c.year(), c.month(), c.day());
        match self {
            Period::Each => c.to_string(),
            Period::Second => {
                format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", c.hour(), c.minute(), c.second())
            }
            Period::Minute => format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}", c.hour(), c.minute()),
            Period::Hour => format!("{y:04}-{mo:02}-{d:02}T{:02}", c.hour()),
            Period::Day => format!("{y:04}-{mo:02}-{d:02}"),
            Period::Week => {
                let w = c.date().iso_week_date();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            Period::Month => format!("{y:04}-{mo:02}"),
            Period::Year => format!("{y:04}"),
        }
    }
}

/// The reason for a removal when no bucket rule saw the snapshot.
pub const OUTSIDE: &str = "outside every rule";
/// The reason vz keeps a group's newest snapshot that no rule kept.
pub const NEWEST: &str = "newest snapshot";

/// "superseded by <short id> in <bucket>".
pub fn superseded(by: &str, label: &str) -> String {
    format!("superseded by {} in {label}", short_id(by))
}

/// Go's zero time, restic's `latest` when every snapshot is in the future.
fn go_zero_time() -> (Timestamp, Offset) {
    let zero =
        Offset::UTC.to_timestamp(Date::constant(1, 1, 1).at(0, 0, 0, 0)).unwrap_or(Timestamp::MIN);
    (zero, Offset::UTC)
}

/// restic's threshold: `latest` stepped back by the duration's years,
/// months and days as Go's `AddDate` does (in `latest`'s own offset, the day
/// of the month kept and any overflow run on), then by its hours. `None`
/// means further back than time can be written: every snapshot is within.
pub fn threshold(latest: (Timestamp, Offset), d: &Duration) -> Option<Timestamp> {
    let (instant, offset) = latest;
    let c = offset.to_datetime(instant);
    let months = (i64::from(c.year()) * 12 + i64::from(c.month()) - 1)
        .checked_sub(d.years.checked_mul(12)?)?
        .checked_sub(d.months)?;
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    let first = Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, 1).ok()?;
    let days = (i64::from(c.day()) - 1).checked_sub(d.days)?;
    let day = first.checked_add(jiff::Span::new().try_days(days).ok()?).ok()?;
    let stepped = offset.to_timestamp(day.to_datetime(c.time())).ok()?;
    let hours = jiff::SignedDuration::from_secs(d.hours.checked_mul(3600)?);
    stepped.checked_sub(hours).ok()
}

/// restic's "within": strictly after the threshold.
fn is_within(s: &Snapshot, threshold: Option<Timestamp>) -> bool {
    threshold.is_none_or(|t| s.time.instant > t)
}

/// A bucket rule while a group is walked: the last bucket it kept, the
/// snapshot that opened it, and (once a snapshot needed it) the reason of
/// the snapshots it supersedes there.
struct Walk<'a> {
    period: Period,
    /// The reason of a snapshot it keeps: restic's name of the rule
    /// (`daily snapshot`), with the duration for a within-bucket rule.
    reason: Reason,
    left: Count,
    last: Option<(i64, &'a str)>,
    superseded: Option<Reason>,
}

impl Walk<'_> {
    fn new(period: Period, reason: Reason, left: Count) -> Self {
        Walk { period, reason, left, last: None, superseded: None }
    }
}

/// Applies a restic policy to one group sorted newest first (ties by id):
/// restic 0.18/0.19's `ApplyPolicy`, and nothing else.
pub fn apply(group: &[&Snapshot], policy: &Policy, now: Timestamp) -> Vec<Decision> {
    let Some(oldest) = group.len().checked_sub(1) else { return Vec::new() };
    let latest = group
        .iter()
        .find(|s| s.time.instant < now)
        .map_or_else(go_zero_time, |s| (s.time.instant, s.time.offset));
    let within =
        policy.within.map(|d| (Reason::from(format!("within {d}")), threshold(latest, &d)));
    let tags: Vec<(&crate::policy::TagList, Reason)> =
        policy.tags.iter().map(|list| (list, Reason::from(format!("has tags {list}")))).collect();
    let mut counts: Vec<Walk> = [
        (Period::Each, "last snapshot", policy.last),
        (Period::Hour, "hourly snapshot", policy.hourly),
        (Period::Day, "daily snapshot", policy.daily),
        (Period::Week, "weekly snapshot", policy.weekly),
        (Period::Month, "monthly snapshot", policy.monthly),
        (Period::Year, "yearly snapshot", policy.yearly),
    ]
    .into_iter()
    .filter(|(_, _, left)| !matches!(left, Count::Off | Count::N(0)))
    .map(|(period, name, left)| Walk::new(period, Reason::Fixed(name), left))
    .collect();
    let mut buckets: Vec<(Walk, Option<Timestamp>)> = [
        (Period::Hour, "hourly within", policy.within_hourly),
        (Period::Day, "daily within", policy.within_daily),
        (Period::Week, "weekly within", policy.within_weekly),
        (Period::Month, "monthly within", policy.within_monthly),
        (Period::Year, "yearly within", policy.within_yearly),
    ]
    .into_iter()
    .filter_map(|(period, name, d)| {
        let d = d?;
        let reason = Reason::from(format!("{name} {d}"));
        Some((Walk::new(period, reason, Count::Unlimited), threshold(latest, &d)))
    })
    .collect();

    let mut out = Vec::with_capacity(group.len());
    // Made anew for each snapshot, in room that is kept.
    let (mut reasons, mut superseded_by) = (Vec::new(), Vec::new());
    // The reasons of the last snapshot removed, for the next to share.
    let mut last_removed = Reasons::from(vec![Reason::Fixed(OUTSIDE)]);
    for (nr, s) in group.iter().enumerate() {
        let civil = s.time.civil();
        let is_oldest = nr == oldest;
        reasons.clear();
        superseded_by.clear();
        for (list, reason) in &tags {
            if list.matches(&s.tags) {
                reasons.push(reason.clone());
            }
        }
        if let Some((reason, _)) = within.as_ref().filter(|(_, t)| is_within(s, *t)) {
            reasons.push(reason.clone());
        }
        for w in &mut counts {
            if matches!(w.left, Count::N(0)) {
                continue;
            }
            if let Some(reason) = step(w, &civil, nr, is_oldest, &s.id, &mut superseded_by) {
                reasons.push(reason);
                if let Count::N(n) = w.left {
                    w.left = Count::N(n - 1);
                }
            }
        }
        for (w, t) in &mut buckets {
            if !is_within(s, *t) {
                continue;
            }
            if let Some(reason) = step(w, &civil, nr, is_oldest, &s.id, &mut superseded_by) {
                reasons.push(reason);
            }
        }
        if !reasons.is_empty() {
            out.push(Decision { keep: true, reasons: Reasons::from(&reasons[..]) });
            continue;
        }
        removal_reasons(&mut superseded_by);
        if *last_removed != superseded_by[..] {
            last_removed = Reasons::from(&superseded_by[..]);
        }
        out.push(Decision { keep: false, reasons: last_removed.clone() });
    }
    out
}

/// One rule's step over one snapshot: `Some(reason)` when the rule keeps
/// it; otherwise records the snapshot that holds its bucket.
fn step<'a>(
    w: &mut Walk<'a>,
    civil: &DateTime,
    nr: usize,
    is_oldest: bool,
    id: &'a str,
    superseded_by: &mut Vec<Reason>,
) -> Option<Reason> {
    let key = w.period.key(civil, nr);
    let same = w.last.is_some_and(|(k, _)| k == key);
    if !same || is_oldest {
        w.last = Some((key, id));
        w.superseded = None;
        Some(if same { Reason::from(format!("oldest {}", w.reason)) } else { w.reason.clone() })
    } else {
        if let Some((_, by)) = w.last {
            // One text per bucket: the same key is the same label.
            let reason = w
                .superseded
                .get_or_insert_with(|| Reason::from(superseded(by, &w.period.label(civil))));
            superseded_by.push(reason.clone());
        }
        None
    }
}

/// Kept with `reasons`, or removed with the buckets that superseded it
/// (each named once).
pub fn decide(reasons: Vec<Reason>, mut superseded_by: Vec<Reason>) -> Decision {
    if !reasons.is_empty() {
        return Decision { keep: true, reasons: reasons.into() };
    }
    removal_reasons(&mut superseded_by);
    Decision { keep: false, reasons: superseded_by.into() }
}

/// The reasons of a removal: each bucket that superseded the snapshot
/// once, in order, or "outside every rule" when none did.
fn removal_reasons(superseded_by: &mut Vec<Reason>) {
    if superseded_by.is_empty() {
        superseded_by.push(Reason::Fixed(OUTSIDE));
        return;
    }
    let mut unique = 0;
    for i in 0..superseded_by.len() {
        if !superseded_by[..unique].contains(&superseded_by[i]) {
            superseded_by.swap(unique, i);
            unique += 1;
        }
    }
    superseded_by.truncate(unique);
}

/// A group's key: the fields `--group-by` selected (`None` when not
/// selected), paths and tags sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GroupKey {
    /// The host, when grouping by host.
    pub host: Option<String>,
    /// The sorted paths, when grouping by paths.
    pub paths: Option<Vec<String>>,
    /// The sorted tags, when grouping by tags.
    pub tags: Option<Vec<String>>,
}

impl GroupKey {
    /// The key of `s` under `by`.
    pub fn of(s: &Snapshot, by: GroupBy) -> GroupKey {
        KeyRef::of(s, by).to_owned_key()
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(h) = &self.host {
            parts.push(format!("host {}", if h.is_empty() { "''" } else { h }));
        }
        if let Some(p) = &self.paths {
            parts.push(format!("paths [{}]", p.join(", ")));
        }
        if let Some(t) = &self.tags {
            parts.push(format!("tags [{}]", t.join(", ")));
        }
        if parts.is_empty() { f.write_str("all snapshots") } else { f.write_str(&parts.join(", ")) }
    }
}

/// One snapshot in a plan (borrowing its id and time from the snapshot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry<'a> {
    /// The snapshot's id.
    pub id: &'a str,
    /// Its time, as the input wrote it.
    pub time: &'a str,
    /// Why it is kept or removed.
    pub reasons: Reasons,
}

/// The plan of one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupPlan<'a> {
    /// The group.
    pub group: GroupKey,
    /// Kept, newest first.
    pub keep: Vec<Entry<'a>>,
    /// Removed, newest first.
    pub remove: Vec<Entry<'a>>,
}

/// A whole plan. It is written as `{groups, keep, remove}`: the groups, and
/// every kept and removed snapshot again in two flat lists (`jq -r
/// '.remove[].id'`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan<'a> {
    /// Groups, by key.
    pub groups: Vec<GroupPlan<'a>>,
    /// Groups of which no rule keeps anything (the plan must be refused).
    pub emptied: Vec<GroupKey>,
}

impl<'a> Plan<'a> {
    /// Every kept snapshot, group by group.
    pub fn keep(&self) -> impl Iterator<Item = &Entry<'a>> {
        self.groups.iter().flat_map(|g| &g.keep)
    }

    /// Every removed snapshot, group by group.
    pub fn remove(&self) -> impl Iterator<Item = &Entry<'a>> {
        self.groups.iter().flat_map(|g| &g.remove)
    }
}

impl Serialize for Plan<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// One flat list, written from the groups without copying.
        struct Flat<'p, 'a>(&'p [GroupPlan<'a>], bool);
        impl Serialize for Flat<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let keep = self.1;
                s.collect_seq(self.0.iter().flat_map(|g| if keep { &g.keep } else { &g.remove }))
            }
        }
        let mut st = s.serialize_struct("Plan", 3)?;
        st.serialize_field("groups", &self.groups)?;
        st.serialize_field("keep", &Flat(&self.groups, true))?;
        st.serialize_field("remove", &Flat(&self.groups, false))?;
        st.end()
    }
}

/// A group key that borrows from the snapshot when it can (paths and tags
/// already sorted, as restic writes them).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct KeyRef<'a> {
    host: Option<&'a str>,
    paths: Option<Cow<'a, [String]>>,
    tags: Option<Cow<'a, [String]>>,
}

impl<'a> KeyRef<'a> {
    fn of(s: &'a Snapshot, by: GroupBy) -> Self {
        let sorted = |v: &'a [String]| -> Cow<'a, [String]> {
            if v.is_sorted() {
                Cow::Borrowed(v)
            } else {
                let mut v = v.to_vec();
                v.sort();
                Cow::Owned(v)
            }
        };
        KeyRef {
            host: by.host.then_some(s.host.as_str()),
            paths: by.paths.then(|| sorted(&s.paths)),
            tags: by.tags.then(|| sorted(&s.tags)),
        }
    }

    fn to_owned_key(&self) -> GroupKey {
        GroupKey {
            host: self.host.map(str::to_string),
            paths: self.paths.as_ref().map(|p| p.to_vec()),
            tags: self.tags.as_ref().map(|t| t.to_vec()),
        }
    }
}

/// Splits snapshots into groups, each sorted newest first (ties by id).
pub fn groups(snapshots: &[Snapshot], by: GroupBy) -> BTreeMap<GroupKey, Vec<&Snapshot>> {
    let mut groups: BTreeMap<KeyRef, Vec<&Snapshot>> = BTreeMap::new();
    for s in snapshots {
        groups.entry(KeyRef::of(s, by)).or_default().push(s);
    }
    groups
        .into_iter()
        .map(|(k, mut g)| {
            g.sort_by(|a, b| b.time.instant.cmp(&a.time.instant).then_with(|| a.id.cmp(&b.id)));
            (k.to_owned_key(), g)
        })
        .collect()
}

/// Plans every group with `apply` (one semantics' rules over a group sorted
/// newest first), then applies vz's safety rules.
pub fn plan<'a>(
    snapshots: &'a [Snapshot],
    by: GroupBy,
    apply: impl Fn(&[&Snapshot]) -> Vec<Decision>,
) -> Plan<'a> {
    let mut plan = Plan::default();
    for (key, group) in groups(snapshots, by) {
        let mut decisions = apply(&group);
        if !decisions.iter().any(|d| d.keep) {
            plan.emptied.push(key.clone());
        } else if let Some(newest) = decisions.first_mut().filter(|d| !d.keep) {
            *newest = Decision { keep: true, reasons: vec![Reason::Fixed(NEWEST)].into() };
        }
        let mut gp = GroupPlan { group: key, keep: Vec::new(), remove: Vec::new() };
        for (s, d) in group.iter().zip(decisions) {
            let e = Entry { id: &s.id, time: &s.time.text, reasons: d.reasons };
            if d.keep { gp.keep.push(e) } else { gp.remove.push(e) }
        }
        plan.groups.push(gp);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Flags, TagList};
    use crate::snapshot::Stamp;

    fn snap(id: &str, time: &str) -> Snapshot {
        Snapshot::new(id, Stamp::parse(time).unwrap())
    }

    fn ts(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    fn policy(f: Flags) -> Policy {
        f.restic().unwrap()
    }

    /// (kept ids, removed ids) of one group.
    fn run(snaps: &[Snapshot], p: &Policy, now: &str) -> (Vec<String>, Vec<String>) {
        let plan = plan(snaps, GroupBy::NONE, |g| apply(g, p, ts(now)));
        (
            plan.keep().map(|e| e.id.to_string()).collect(),
            plan.remove().map(|e| e.id.to_string()).collect(),
        )
    }

    fn reasons_of(snaps: &[Snapshot], p: &Policy, now: &str) -> Vec<(String, Vec<String>)> {
        let plan = plan(snaps, GroupBy::NONE, |g| apply(g, p, ts(now)));
        let mut all: Vec<_> = plan
            .keep()
            .chain(plan.remove())
            .map(|e| (e.id.to_string(), e.reasons.iter().map(|r| r.to_string()).collect()))
            .collect();
        all.sort();
        all
    }

    /// One snapshot a day at noon UTC from `from`, `n` days, ids d00, d01, …
    fn daily(from: &str, n: usize) -> Vec<Snapshot> {
        let start: Date = from.parse().unwrap();
        (0..n)
            .map(|i| {
                let day =
                    start.checked_add(jiff::Span::new().days(i64::try_from(i).unwrap())).unwrap();
                snap(&format!("d{i:02}"), &format!("{day}T12:00:00Z"))
            })
            .collect()
    }

    #[test]
    fn thresholds_step_back_like_go_add_date() {
        let at = |t: &str| {
            let s = Stamp::parse(t).unwrap();
            (s.instant, s.offset)
        };
        let d = |t: &str| Duration::parse(t).unwrap();
        let th = |l: &str, dur: &str| threshold(at(l), &d(dur)).unwrap().to_string();
        assert_eq!(th("2021-03-31T12:00:00Z", "1m"), "2021-03-03T12:00:00Z");
        assert_eq!(th("2021-03-31T12:00:00Z", "1m1d"), "2021-03-02T12:00:00Z");
        assert_eq!(th("2021-03-31T12:00:00Z", "1m12h"), "2021-03-03T00:00:00Z");
        assert_eq!(th("2020-02-29T12:00:00Z", "1y"), "2019-03-01T12:00:00Z");
        assert_eq!(th("2020-02-29T12:00:00Z", "12m"), "2019-03-01T12:00:00Z");
        assert_eq!(th("2021-03-31T12:00:00Z", "30d"), "2021-03-01T12:00:00Z");
        assert_eq!(th("2021-03-31T12:00:00Z", "720h"), "2021-03-01T12:00:00Z");
        assert_eq!(th("2021-01-31T12:00:00Z", "13m"), "2019-12-31T12:00:00Z");
        // In the snapshot's own offset: 23:00 at -05:00 on Mar 31 is Apr 1 in UTC.
        assert_eq!(th("2021-03-31T23:00:00-05:00", "1m"), "2021-03-04T04:00:00Z");
        assert_eq!(threshold(at("2021-03-31T12:00:00Z"), &d("99999y")), None);
        // Absurd durations reach past the calendar: everything is within.
        for huge in ["9223372036854775807m", "9223372036854775807d", "9223372036854775807h"] {
            assert_eq!(threshold(at("2021-03-31T12:00:00Z"), &d(huge)), None, "{huge}");
        }
    }

    #[test]
    fn iso_weeks_and_labels() {
        let c = |t: &str| Stamp::parse(t).unwrap().civil();
        assert_eq!(Period::Week.label(&c("2020-12-28T00:00:00Z")), "2020-W53");
        assert_eq!(Period::Week.label(&c("2021-01-03T23:59:59Z")), "2020-W53");
        assert_eq!(Period::Week.label(&c("2018-12-31T00:00:00Z")), "2019-W01");
        assert_eq!(Period::Hour.label(&c("2025-04-03T14:59:00+02:00")), "2025-04-03T14");
        assert_eq!(
            Period::Day.key(&c("2021-01-01T23:00:00-05:00"), 0),
            Period::Day.key(&c("2021-01-01T00:00:00Z"), 0)
        );
    }

    #[test]
    fn counts_overlap_and_skip_empty_buckets() {
        // 14 days, one a day: keep-daily 7 + keep-weekly 4 keeps 7 dailies
        // and about 3 more weeklies (the newest daily is weekly #1 too).
        let snaps = daily("2021-03-01", 14); // Mon Mar 1 … Sun Mar 14
        let p = policy(Flags { daily: Some(7), weekly: Some(4), ..Flags::default() });
        let (keep, _) = run(&snaps, &p, "2030-01-01T00:00:00Z");
        assert_eq!(keep, ["d13", "d12", "d11", "d10", "d09", "d08", "d07", "d06", "d00"]);
        let r = reasons_of(&snaps, &p, "2030-01-01T00:00:00Z");
        let of = |id: &str| r.iter().find(|(i, _)| i == id).unwrap().1.clone();
        assert_eq!(of("d13"), ["daily snapshot", "weekly snapshot"]);
        assert_eq!(of("d07"), ["daily snapshot"]);
        assert_eq!(of("d06"), ["weekly snapshot"]);
        // Two weeks only: the oldest rule keeps d00 for the weekly rule.
        assert_eq!(of("d00"), ["oldest weekly snapshot"]);
        assert_eq!(of("d05"), ["superseded by d06 in 2021-W09"]);
    }

    #[test]
    fn keep_last_unlimited_and_the_oldest_rule() {
        let snaps = daily("2021-03-01", 5);
        let p = policy(Flags { last: Some(2), ..Flags::default() });
        let (keep, remove) = run(&snaps, &p, "2030-01-01T00:00:00Z");
        assert_eq!((keep, remove.len()), (vec!["d04".to_string(), "d03".into()], 3));
        let r = reasons_of(&snaps, &p, "2030-01-01T00:00:00Z");
        assert_eq!(r[0].1, [OUTSIDE]);
        let p = policy(Flags { monthly: Some(-1), ..Flags::default() });
        let (keep, _) = run(&snaps, &p, "2030-01-01T00:00:00Z");
        assert_eq!(keep, ["d04", "d00"]);
        let p = policy(Flags { last: Some(100), ..Flags::default() });
        assert_eq!(run(&snaps, &p, "2030-01-01T00:00:00Z").1.len(), 0);
    }

    #[test]
    fn within_is_measured_from_the_newest_before_now_and_strict() {
        let snaps = daily("2021-03-01", 12);
        let p = policy(Flags { within: Some("10d".into()), ..Flags::default() });
        // Newest is Mar 12 noon; Mar 2 noon is exactly 10 days older: removed.
        let (keep, remove) = run(&snaps, &p, "2030-01-01T00:00:00Z");
        assert_eq!(keep.len(), 10);
        assert_eq!(remove, ["d01", "d00"]);
        // With now on Mar 6, Mar 6 noon onwards is in the future: latest is Mar 5.
        let (keep, _) = run(&snaps, &p, "2021-03-06T00:00:00Z");
        assert_eq!(keep.len(), 12);
        // All in the future: latest is year 1 and everything is within.
        let (keep, _) = run(&snaps, &p, "2000-01-01T00:00:00Z");
        assert_eq!(keep.len(), 12);
    }

    #[test]
    fn future_snapshots_use_count_slots() {
        let mut snaps = daily("2021-03-01", 3);
        snaps.push(snap("f1", "2099-01-01T00:00:00Z"));
        snaps.push(snap("f2", "2099-01-02T00:00:00Z"));
        let p = policy(Flags { daily: Some(2), ..Flags::default() });
        let (keep, _) = run(&snaps, &p, "2030-01-01T00:00:00Z");
        // Both daily units are used up by the future: no oldest rule either.
        assert_eq!(keep, ["f2", "f1"]);
    }

    #[test]
    fn mixed_offsets_can_return_to_a_bucket() {
        // Newest first by instant: Jan 2 (+14), Jan 1 (-10), Jan 2 (+14).
        let snaps = vec![
            snap("a", "2021-01-02T13:00:00+14:00"), // 2021-01-01T23:00Z
            snap("b", "2021-01-01T12:00:00-10:00"), // 2021-01-01T22:00Z
            snap("c", "2021-01-02T10:00:00+14:00"), // 2021-01-01T20:00Z
            snap("d", "2021-01-01T00:00:00Z"),
        ];
        let p = policy(Flags { daily: Some(10), ..Flags::default() });
        let (keep, _) = run(&snaps, &p, "2030-01-01T00:00:00Z");
        assert_eq!(keep, ["a", "b", "c", "d"]);
    }

    #[test]
    fn tags_and_the_newest_rule() {
        let mut snaps = daily("2021-03-01", 4);
        snaps[1].tags = vec!["keep".into(), "x".into()];
        let p = Policy { tags: vec![TagList::parse("keep")], ..Policy::default() };
        let kept = plan(&snaps, GroupBy::NONE, |g| apply(g, &p, ts("2030-01-01T00:00:00Z")));
        let first: Vec<_> = kept.keep().take(2).map(|e| e.reasons.join(",")).collect();
        assert_eq!(first, [NEWEST, "has tags [keep]"]);
        assert!(kept.emptied.is_empty());
        let p = Policy { tags: vec![TagList::parse("nosuchtag")], ..Policy::default() };
        let refused = plan(&snaps, GroupBy::NONE, |g| apply(g, &p, ts("2030-01-01T00:00:00Z")));
        assert_eq!(refused.emptied.len(), 1);
    }

    #[test]
    fn within_buckets_keep_one_per_bucket_without_a_count() {
        let snaps = daily("2021-03-01", 40);
        let p = policy(Flags { within_weekly: Some("14d".into()), ..Flags::default() });
        let r = reasons_of(&snaps, &p, "2030-01-01T00:00:00Z");
        let kept: Vec<_> = r.iter().filter(|(_, why)| why[0].contains("within")).collect();
        // Apr 9 (Fri) newest; within 14d: Mar 26 noon excluded, so Mar 27 …
        // Apr 9: weeks W12 (Mar 27-28), W13, W14 → the newest of each, plus
        // the oldest rule does not apply (the oldest snapshot is outside).
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert_eq!(kept[0].1, ["weekly within 14d"]);
    }

    #[test]
    fn grouping_keys() {
        let mut a = snap("a", "2021-01-01T00:00:00Z");
        a.host = "h".into();
        a.paths = vec!["/b".into(), "/a".into()];
        let k = GroupKey::of(&a, GroupBy::RESTIC);
        assert_eq!(k.paths.as_deref(), Some(&["/a".to_string(), "/b".into()][..]));
        assert_eq!(k.to_string(), "host h, paths [/a, /b]");
        assert_eq!(GroupKey::of(&a, GroupBy::NONE).to_string(), "all snapshots");
    }
}
