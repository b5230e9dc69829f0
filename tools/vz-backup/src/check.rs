//! `check`: is every group of backups fresh, complete, of a plausible size
//! and recently restored? One health document answers, with every check's
//! inputs and verdict, usable as audit evidence.
//!
//! Per group (`--group-by`, default host,paths; a `scan` inventory's group
//! is the file's series), over the backups dated at or before `--now`:
//!
//! - **rpo**: the newest backup is at most `--rpo` old.
//! - **cadence**: the expected interval E is `--expect` (hourly, daily,
//!   weekly or a duration) or, by default, the median interval between the
//!   group's last 21 backups (at least 3 needed). Every interval that ends
//!   inside `--window` (and the time from the newest backup to now) longer
//!   than 1.5 E misses `floor(interval / E - 0.5)` backups: a late backup
//!   is not a missing one, a skipped day is.
//! - **size**: each backup inside the window is compared with the sizes of
//!   the up to `--size-history` backups before it (at least 3): with their
//!   median m and median absolute deviation MAD, it is suspicious when it is
//!   smaller than both m × (1 − `--max-shrink`) and m − 3 × 1.4826 × MAD
//!   (so a series whose size always swings widely needs a larger drop).
//!   Sizes: the inventory's, restic's `summary.total_bytes_processed`
//!   (restic 0.17+), an S3 object's `Size`.
//! - **restore-test**: with `--restore-ledger FILE` (JSON lines
//!   `{"group", "time", "result": "success"|"failure", "id"?, "note"?}`), the
//!   newest successful restore test of the group is at most
//!   `--restore-test-max-age` old, and no failed test came after it. A
//!   ledger line is about a group when its `group` is the group's name
//!   (`host:path,path:tag`, the non-empty parts), its host, one of its
//!   paths, or `*`.
//!
//! A check is `pass`, `fail`, `unknown` (too little data to judge; does not
//! fail) or `skipped` (not asked for).

use crate::plan::GroupKey;
use crate::policy::GroupBy;
use crate::snapshot::{Snapshot, Stamp};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use vz::error::suggest;
use vz::{Error, Location};

/// The expected interval between backups (`--expect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The median interval.
    Auto,
    /// No cadence check.
    None,
    /// Every this long; the text as given (`daily`, `6h`).
    Every(Duration, &'static str),
}

impl Expect {
    /// `hourly`, `daily`, `weekly`, `auto`, `none` or a duration (`6h`).
    pub fn parse(s: &str) -> Result<Expect, String> {
        match s.trim() {
            "auto" => Ok(Expect::Auto),
            "none" => Ok(Expect::None),
            "hourly" => Ok(Expect::Every(Duration::from_secs(3600), "hourly")),
            "daily" => Ok(Expect::Every(Duration::from_secs(86_400), "daily")),
            "weekly" => Ok(Expect::Every(Duration::from_secs(7 * 86_400), "weekly")),
            other => match vz::duration::parse(other) {
                Ok(d) if d.as_millis() > 0 => Ok(Expect::Every(d, "")),
                Ok(_) => Err(format!("`{s}`: the interval must be longer than zero")),
                Err(e) => Err(format!(
                    "`{s}` is not hourly, daily, weekly, auto, none or a duration such as 6h ({e})"
                )),
            },
        }
    }

    /// The cadence as given (`auto`, `daily`, `6h`).
    pub fn describe(&self) -> String {
        match self {
            Expect::Auto => "auto".into(),
            Expect::None => "none".into(),
            Expect::Every(d, "") => vz::duration::format(*d),
            Expect::Every(_, word) => (*word).to_string(),
        }
    }
}

/// How to check.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--rpo`.
    pub rpo: Option<Duration>,
    /// `--expect`.
    pub expect: Expect,
    /// `--window`.
    pub window: Duration,
    /// `--max-shrink`, percent.
    pub max_shrink: f64,
    /// `--size-history`.
    pub size_history: usize,
    /// `--restore-test-max-age`.
    pub restore_max_age: Duration,
    /// `--group-by`.
    pub group_by: GroupBy,
}

// ---------------------------------------------------------------------------
// The restore ledger
// ---------------------------------------------------------------------------

/// One restore test.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// The group it restored (see the module docs).
    pub group: String,
    /// When.
    pub time: Stamp,
    /// `success` or `failure`.
    pub result: TestResult,
    /// The backup restored.
    #[serde(default)]
    pub id: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A restore test's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestResult {
    /// The restore worked.
    Success,
    /// It did not.
    Failure,
}

const LEDGER_FIELDS: [&str; 5] = ["group", "time", "result", "id", "note"];

/// Reads a ledger: one JSON object per line; blank lines are skipped, and
/// an empty ledger holds no tests.
pub fn read_ledger(text: &str, name: &str) -> Result<Vec<LedgerEntry>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.trim_start().starts_with('{') {
            let skipped = line.len() - line.trim_start().len();
            return Err(Error::Invalid {
                at: Location::at(name, i + 1, line[..skipped].chars().count() + 1),
                path: String::new(),
                message: "expected a JSON object {\"group\", \"time\", \"result\"} (a ledger \
                          has one per line)"
                    .into(),
                suggestion: None,
            });
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let entry: LedgerEntry = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| ledger_error(e.inner(), &e.path().to_string(), line, i + 1, name))?;
        de.end().map_err(|e| ledger_error(&e, "", line, i + 1, name))?;
        out.push(entry);
    }
    Ok(out)
}

fn ledger_error(
    inner: &serde_json::Error,
    path: &str,
    line: &str,
    number: usize,
    name: &str,
) -> Error {
    use serde_json::error::Category;
    let mut message = vz::input::json_message(inner);
    let mut column = inner.column().max(1);
    let path = if path == "." { String::new() } else { path.to_string() };
    match inner.classify() {
        Category::Eof => Error::Parse {
            at: Location::at(name, number, column),
            message: format!("{message} (the line is cut short; a ledger line is one JSON object)"),
        },
        Category::Syntax | Category::Io => {
            Error::Parse { at: Location::at(name, number, column), message }
        }
        Category::Data => {
            let mut suggestion = None;
            if let Some(rest) = message.strip_prefix("unknown field `") {
                let field = rest.split('`').next().unwrap_or_default().to_string();
                suggestion = suggest(&field, LEDGER_FIELDS);
                message = format!(
                    "unknown field `{field}` (a ledger line has {})",
                    LEDGER_FIELDS.join(", ")
                );
                if let Some(at) = line.find(&format!("\"{field}\"")) {
                    column = line[..at].chars().count() + 1;
                }
            } else if !path.is_empty() {
                // Point at the value's key rather than after the value.
                let key = path.rsplit('.').next().unwrap_or_default();
                if let Some(at) = line.find(&format!("\"{key}\"")) {
                    column = line[..at].chars().count() + 1;
                }
            }
            Error::Invalid { at: Location::at(name, number, column), path, message, suggestion }
        }
    }
}

// ---------------------------------------------------------------------------
// The health document
// ---------------------------------------------------------------------------

/// A check's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// It holds.
    Pass,
    /// It does not.
    Fail,
    /// Too little data to judge.
    Unknown,
    /// Not asked for.
    Skipped,
}

/// A backup named in the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ref {
    /// Its id.
    pub id: String,
    /// Its time, as the input wrote it.
    pub time: String,
}

impl Ref {
    fn of(s: &Snapshot) -> Ref {
        Ref { id: s.id.clone(), time: s.time.text.clone() }
    }
}

/// The RPO check.
#[derive(Clone, Debug, Serialize)]
pub struct Rpo {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, for people.
    pub reason: String,
    /// The newest backup at or before now.
    pub newest: Option<Ref>,
    /// Its age.
    pub age: Option<String>,
    /// Its age in seconds.
    pub age_seconds: Option<i64>,
    /// `--rpo`.
    pub limit: Option<String>,
}

/// An interval with missing backups.
#[derive(Clone, Debug, Serialize)]
pub struct Gap {
    /// The backup before the gap.
    pub after: Ref,
    /// The backup after it; `null` when the gap runs until now.
    pub before: Option<Ref>,
    /// How long.
    pub length: String,
    /// How long, in seconds.
    pub length_seconds: i64,
    /// How many backups the cadence expected in it.
    pub missing: u64,
}

/// The cadence check.
#[derive(Clone, Debug, Serialize)]
pub struct Cadence {
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// The expected interval.
    pub expected: Option<String>,
    /// The expected interval in seconds.
    pub expected_seconds: Option<i64>,
    /// Where it comes from (`--expect daily`, `median of 20 intervals`).
    pub source: String,
    /// The start of the window.
    pub window_start: String,
    /// Intervals with missing backups.
    pub gaps: Vec<Gap>,
    /// Backups missing in all.
    pub missing: u64,
}

/// A suspiciously small backup.
#[derive(Clone, Debug, Serialize)]
pub struct Shrunk {
    /// The backup.
    pub id: String,
    /// Its time.
    pub time: String,
    /// Its size.
    pub size: u64,
    /// The median size of the backups before it.
    pub median: u64,
    /// Their median absolute deviation.
    pub mad: u64,
    /// The size below which a backup is suspicious.
    pub threshold: u64,
    /// How many backups the median is over.
    pub history: usize,
}

/// The size check.
#[derive(Clone, Debug, Serialize)]
pub struct Size {
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// `--max-shrink`, percent.
    pub max_shrink_pct: f64,
    /// Backups inside the window compared with their predecessors.
    pub compared: usize,
    /// The suspicious ones.
    pub suspicious: Vec<Shrunk>,
}

/// A restore test named in the document.
#[derive(Clone, Debug, Serialize)]
pub struct TestRef {
    /// When.
    pub time: String,
    /// Its result.
    pub result: TestResult,
    /// The ledger's group.
    pub group: String,
    /// The backup restored, if the ledger says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The restore-test check.
#[derive(Clone, Debug, Serialize)]
pub struct Restore {
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// `--restore-test-max-age`.
    pub limit: Option<String>,
    /// The newest successful test.
    pub last_success: Option<TestRef>,
    /// Its age.
    pub age: Option<String>,
    /// Its age in seconds.
    pub age_seconds: Option<i64>,
    /// The newest test, whatever its result.
    pub latest: Option<TestRef>,
    /// Tests in the ledger about this group.
    pub tests: usize,
}

/// The checks of one group.
#[derive(Clone, Debug, Serialize)]
pub struct Checks {
    /// RPO.
    pub rpo: Rpo,
    /// Missing backups.
    pub cadence: Cadence,
    /// Shrunken backups.
    pub size: Size,
    /// Restore tests.
    pub restore_test: Restore,
}

impl Checks {
    fn verdicts(&self) -> [(&'static str, Verdict, &str); 4] {
        [
            ("rpo", self.rpo.verdict, &self.rpo.reason),
            ("cadence", self.cadence.verdict, &self.cadence.reason),
            ("size", self.size.verdict, &self.size.reason),
            ("restore-test", self.restore_test.verdict, &self.restore_test.reason),
        ]
    }
}

/// One group's health.
#[derive(Clone, Debug, Serialize)]
pub struct GroupHealth {
    /// The group's key.
    pub group: GroupKey,
    /// Its name (what a ledger line names).
    pub name: String,
    /// `pass` or `fail`.
    pub verdict: Verdict,
    /// Backups at or before now.
    pub backups: usize,
    /// Backups dated after now (not counted).
    pub future: usize,
    /// The checks.
    pub checks: Checks,
}

/// An input, identified.
#[derive(Clone, Debug, Serialize)]
pub struct InputInfo {
    /// Its name.
    pub name: String,
    /// Its format (`restic`, `inventory`, `csv`, `s3`, `ledger`).
    pub format: &'static str,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Backups (or ledger lines) read from it.
    pub entries: usize,
}

/// The settings of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// `--group-by`.
    pub group_by: String,
    /// `--rpo`.
    pub rpo: Option<String>,
    /// `--expect`.
    pub expect: String,
    /// `--window`.
    pub window: String,
    /// `--max-shrink`.
    pub max_shrink_pct: f64,
    /// `--size-history`.
    pub size_history: usize,
    /// `--restore-test-max-age`, when a ledger is read.
    pub restore_test_max_age: Option<String>,
}

/// The health document.
#[derive(Clone, Debug, Serialize)]
pub struct Health {
    /// Always 1.
    pub version: u32,
    /// "Now" (`--now`).
    pub now: String,
    /// `pass` or `fail`.
    pub verdict: Verdict,
    /// The inputs, with their checksums.
    pub inputs: Vec<InputInfo>,
    /// The restore ledger.
    pub restore_ledger: Option<InputInfo>,
    /// The settings.
    pub settings: Settings,
    /// Every group.
    pub groups: Vec<GroupHealth>,
    /// Why it fails, one line per failed check.
    pub reasons: Vec<String>,
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

/// The name of a group: its non-empty host, paths and tags, `:`-separated.
pub fn group_name(key: &GroupKey) -> String {
    let mut parts = Vec::new();
    if let Some(h) = key.host.as_deref().filter(|h| !h.is_empty()) {
        parts.push(h.to_string());
    }
    if let Some(p) = key.paths.as_ref().filter(|p| !p.is_empty()) {
        parts.push(p.join(","));
    }
    if let Some(t) = key.tags.as_ref().filter(|t| !t.is_empty()) {
        parts.push(t.join(","));
    }
    if parts.is_empty() { "*".into() } else { parts.join(":") }
}

/// `--group-by` as words.
pub fn group_by_words(g: GroupBy) -> String {
    let mut w = Vec::new();
    if g.host {
        w.push("host");
    }
    if g.paths {
        w.push("paths");
    }
    if g.tags {
        w.push("tags");
    }
    w.join(",")
}

fn ms_between(later: Timestamp, earlier: Timestamp) -> i64 {
    later.as_millisecond() - earlier.as_millisecond()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A length of time in whole seconds, as vz writes durations.
fn human(ms: i64) -> String {
    vz::duration::format(Duration::from_secs(u64::try_from(ms.max(0) / 1000).unwrap_or(0)))
}

fn median(sorted: &[i64]) -> i64 {
    let n = sorted.len();
    if n == 0 {
        0
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        // The mean of the middle two, without overflow.
        let (a, b) = (sorted[n / 2 - 1], sorted[n / 2]);
        a / 2 + b / 2 + (a % 2 + b % 2) / 2
    }
}

fn median_u64(values: &[u64]) -> f64 {
    let mut v: Vec<u64> = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^52 bytes in practice
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0
    }
}

/// Checks every group of `snapshots`.
pub fn check(
    snapshots: &[Snapshot],
    ledger: Option<&[LedgerEntry]>,
    opts: &Options,
    now: Timestamp,
) -> (Vec<GroupHealth>, Vec<String>) {
    let mut groups: BTreeMap<GroupKey, Vec<&Snapshot>> = BTreeMap::new();
    for s in snapshots {
        groups.entry(GroupKey::of(s, opts.group_by)).or_default().push(s);
    }
    let mut out = Vec::new();
    let mut reasons = Vec::new();
    for (key, mut all) in groups {
        all.sort_by_key(|s| s.time.instant);
        let future = all.iter().filter(|s| s.time.instant > now).count();
        let past: Vec<&Snapshot> = all.into_iter().filter(|s| s.time.instant <= now).collect();
        let name = group_name(&key);
        let checks = Checks {
            rpo: rpo(&past, opts, now),
            cadence: cadence(&past, opts, now),
            size: size(&past, opts, now),
            restore_test: restore(&key, &name, ledger, opts, now),
        };
        let fail = checks.verdicts().iter().any(|(_, v, _)| *v == Verdict::Fail);
        for (check, v, reason) in checks.verdicts() {
            if v == Verdict::Fail {
                reasons.push(format!("{name}: {check}: {reason}"));
            }
        }
        out.push(GroupHealth {
            group: key,
            name,
            verdict: if fail { Verdict::Fail } else { Verdict::Pass },
            backups: past.len(),
            future,
            checks,
        });
    }
    (out, reasons)
}

fn rpo(past: &[&Snapshot], opts: &Options, now: Timestamp) -> Rpo {
    let limit = opts.rpo.map(vz::duration::format);
    let Some(newest) = past.last() else {
        return Rpo {
            verdict: if opts.rpo.is_some() { Verdict::Fail } else { Verdict::Skipped },
            reason: "no backup dated at or before now".into(),
            newest: None,
            age: None,
            age_seconds: None,
            limit,
        };
    };
    let age = ms_between(now, newest.time.instant);
    let (verdict, reason) = match opts.rpo {
        None => (
            Verdict::Skipped,
            format!("no --rpo given; the newest backup, {}, is {} old", newest.id, human(age)),
        ),
        Some(rpo) if age > ms(rpo) => (
            Verdict::Fail,
            format!(
                "the newest backup, {} at {}, is {} old, older than the RPO {}",
                newest.id,
                newest.time,
                human(age),
                vz::duration::format(rpo)
            ),
        ),
        Some(rpo) => (
            Verdict::Pass,
            format!(
                "the newest backup, {}, is {} old, within the RPO {}",
                newest.id,
                human(age),
                vz::duration::format(rpo)
            ),
        ),
    };
    Rpo {
        verdict,
        reason,
        newest: Some(Ref::of(newest)),
        age: Some(human(age)),
        age_seconds: Some(age / 1000),
        limit,
    }
}

/// How many backups an interval of `gap` misses at one every `every`.
fn missing_in(gap: i64, every: i64) -> u64 {
    if every <= 0 || gap <= 0 {
        return 0;
    }
    let n = (2 * i128::from(gap) - i128::from(every)) / (2 * i128::from(every));
    u64::try_from(n.max(0)).unwrap_or(u64::MAX)
}

fn cadence(past: &[&Snapshot], opts: &Options, now: Timestamp) -> Cadence {
    let window_start_ms = now.as_millisecond().saturating_sub(ms(opts.window));
    let window_start = Timestamp::from_millisecond(window_start_ms).unwrap_or(Timestamp::MIN);
    let mut c = Cadence {
        verdict: Verdict::Skipped,
        reason: String::new(),
        expected: None,
        expected_seconds: None,
        source: String::new(),
        window_start: window_start.to_string(),
        gaps: Vec::new(),
        missing: 0,
    };
    // One time per instant: several files of one backup are one backup.
    let mut distinct: Vec<&Snapshot> = Vec::with_capacity(past.len());
    for s in past {
        if distinct.last().is_none_or(|l| l.time.instant != s.time.instant) {
            distinct.push(s);
        }
    }
    let every = match opts.expect {
        Expect::None => {
            c.reason = "--expect none".into();
            return c;
        }
        Expect::Every(d, word) => {
            c.source = if word.is_empty() {
                format!("--expect {}", vz::duration::format(d))
            } else {
                format!("--expect {word}")
            };
            ms(d)
        }
        Expect::Auto => {
            if distinct.len() < 3 {
                c.verdict = Verdict::Unknown;
                c.source = "inferred".into();
                c.reason = format!(
                    "{} distinct backup time(s): at least 3 are needed to infer the cadence \
                     (or give --expect)",
                    distinct.len()
                );
                return c;
            }
            let recent = &distinct[distinct.len().saturating_sub(21)..];
            let mut intervals: Vec<i64> = recent
                .windows(2)
                .map(|w| ms_between(w[1].time.instant, w[0].time.instant))
                .collect();
            intervals.sort_unstable();
            c.source = format!("median of the last {} intervals", intervals.len());
            median(&intervals)
        }
    };
    c.expected = Some(human(every));
    c.expected_seconds = Some(every / 1000);
    for w in distinct.windows(2) {
        if w[1].time.instant <= window_start {
            continue;
        }
        let gap = ms_between(w[1].time.instant, w[0].time.instant);
        let missing = missing_in(gap, every);
        if missing > 0 {
            c.gaps.push(Gap {
                after: Ref::of(w[0]),
                before: Some(Ref::of(w[1])),
                length: human(gap),
                length_seconds: gap / 1000,
                missing,
            });
        }
    }
    if let Some(newest) = distinct.last() {
        let gap = ms_between(now, newest.time.instant);
        let missing = missing_in(gap, every);
        if missing > 0 {
            c.gaps.push(Gap {
                after: Ref::of(newest),
                before: None,
                length: human(gap),
                length_seconds: gap / 1000,
                missing,
            });
        }
    }
    c.missing = c.gaps.iter().map(|g| g.missing).sum();
    let expected = c.expected.clone().unwrap_or_default();
    if c.gaps.is_empty() {
        c.verdict = Verdict::Pass;
        c.reason = format!("no backup missing since {window_start} (one every {expected})");
    } else {
        c.verdict = Verdict::Fail;
        let first = &c.gaps[0];
        let until = first.before.as_ref().map_or_else(|| "now".to_string(), |b| b.time.clone());
        c.reason = format!(
            "{} backup(s) missing since {window_start} (one every {expected}, {}): the first \
             gap is {} long, from {} to {until}",
            c.missing, c.source, first.length, first.after.time
        );
    }
    c
}

fn size(past: &[&Snapshot], opts: &Options, now: Timestamp) -> Size {
    let window_start_ms = now.as_millisecond().saturating_sub(ms(opts.window));
    let sized: Vec<(&Snapshot, u64)> =
        past.iter().filter_map(|s| s.size.map(|z| (*s, z))).collect();
    let mut out = Size {
        verdict: Verdict::Unknown,
        reason: String::new(),
        max_shrink_pct: opts.max_shrink,
        compared: 0,
        suspicious: Vec::new(),
    };
    if sized.is_empty() {
        out.reason = "the input gives no sizes (restic writes them from 0.17 on, in the \
                      snapshot's summary)"
            .into();
        return out;
    }
    let history = opts.size_history.max(3);
    for (i, (s, z)) in sized.iter().enumerate() {
        if s.time.instant.as_millisecond() < window_start_ms || i < 3 {
            continue;
        }
        let before: Vec<u64> = sized[i.saturating_sub(history)..i].iter().map(|p| p.1).collect();
        out.compared += 1;
        let m = median_u64(&before);
        let deviations: Vec<u64> = before
            .iter()
            .map(|&b| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let d = (b as f64 - m).abs().round() as u64;
                d
            })
            .collect();
        let mad = median_u64(&deviations);
        let threshold = (m * (1.0 - opts.max_shrink / 100.0)).min(m - 3.0 * 1.4826 * mad);
        #[allow(clippy::cast_precision_loss)]
        if (*z as f64) < threshold {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            out.suspicious.push(Shrunk {
                id: s.id.clone(),
                time: s.time.text.clone(),
                size: *z,
                median: m.round() as u64,
                mad: mad.round() as u64,
                threshold: threshold.max(0.0).round() as u64,
                history: before.len(),
            });
        }
    }
    if let Some(first) = out.suspicious.first() {
        out.verdict = Verdict::Fail;
        #[allow(clippy::cast_precision_loss)]
        let pct = 100.0 - first.size as f64 * 100.0 / (first.median.max(1) as f64);
        out.reason = format!(
            "{} suspiciously small backup(s): {} at {} has {} bytes, {pct:.0}% below the \
             median {} of the {} before it (--max-shrink {}%)",
            out.suspicious.len(),
            first.id,
            first.time,
            first.size,
            first.median,
            first.history,
            opts.max_shrink
        );
    } else if out.compared == 0 {
        out.reason = "no backup inside the window has 3 earlier backups with sizes to compare \
                      with"
            .into();
    } else {
        out.verdict = Verdict::Pass;
        out.reason = format!(
            "{} backup(s) inside the window compared with the median of the ones before: none \
             is more than {}% smaller",
            out.compared, opts.max_shrink
        );
    }
    out
}

/// Whether a ledger line's group names this group.
fn ledger_matches(group: &str, key: &GroupKey, name: &str) -> bool {
    group == "*"
        || group == name
        || key.host.as_deref().is_some_and(|h| !h.is_empty() && h == group)
        || key.paths.as_ref().is_some_and(|p| p.iter().any(|p| p == group))
}

fn restore(
    key: &GroupKey,
    name: &str,
    ledger: Option<&[LedgerEntry]>,
    opts: &Options,
    now: Timestamp,
) -> Restore {
    let limit = vz::duration::format(opts.restore_max_age);
    let Some(ledger) = ledger else {
        return Restore {
            verdict: Verdict::Skipped,
            reason: "no --restore-ledger given".into(),
            limit: None,
            last_success: None,
            age: None,
            age_seconds: None,
            latest: None,
            tests: 0,
        };
    };
    let tests: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|e| ledger_matches(&e.group, key, name) && e.time.instant <= now)
        .collect();
    let to_ref = |e: &LedgerEntry| TestRef {
        time: e.time.text.clone(),
        result: e.result,
        group: e.group.clone(),
        id: e.id.clone(),
    };
    let latest = tests.iter().max_by_key(|e| e.time.instant).copied();
    let success = tests
        .iter()
        .filter(|e| e.result == TestResult::Success)
        .max_by_key(|e| e.time.instant)
        .copied();
    let mut r = Restore {
        verdict: Verdict::Pass,
        reason: String::new(),
        limit: Some(limit.clone()),
        last_success: success.map(to_ref),
        age: None,
        age_seconds: None,
        latest: latest.map(to_ref),
        tests: tests.len(),
    };
    let Some(success) = success else {
        r.verdict = Verdict::Fail;
        r.reason = format!("no successful restore test of {name} in the ledger");
        return r;
    };
    let age = ms_between(now, success.time.instant);
    r.age = Some(human(age));
    r.age_seconds = Some(age / 1000);
    if age > ms(opts.restore_max_age) {
        r.verdict = Verdict::Fail;
        r.reason = format!(
            "the last successful restore test, at {}, is {} old, older than \
             --restore-test-max-age {limit}",
            success.time,
            human(age)
        );
    } else if let Some(l) = latest.filter(|l| l.result == TestResult::Failure) {
        r.verdict = Verdict::Fail;
        r.reason = format!(
            "the latest restore test, at {}, failed (the last success was at {})",
            l.time, success.time
        );
    } else {
        r.reason = format!(
            "the last successful restore test, at {}, is {} old, within {limit}",
            success.time,
            human(age)
        );
    }
    r
}

/// The document for people: one block per group.
pub fn table(h: &Health) -> String {
    let mut out = String::new();
    for g in &h.groups {
        out.push_str(&format!("{}  {} ({} backups)\n", verdict_word(g.verdict), g.name, g.backups));
        for (check, v, reason) in g.checks.verdicts() {
            out.push_str(&format!("  {:<7} {:<12} {reason}\n", verdict_word(v), check));
        }
    }
    out.push_str(&format!(
        "{}: {} group(s) at {}\n",
        verdict_word(h.verdict),
        h.groups.len(),
        h.now
    ));
    out
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
        Verdict::Unknown => "unknown",
        Verdict::Skipped => "skipped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn snap(id: &str, time: &str, size: Option<u64>) -> Snapshot {
        let mut s = Snapshot::new(id, Stamp::parse(time).unwrap());
        s.size = size;
        s.paths = vec!["db".into()];
        s
    }

    fn opts() -> Options {
        Options {
            rpo: Some(Duration::from_secs(26 * 3600)),
            expect: Expect::Auto,
            window: Duration::from_secs(7 * 86_400),
            max_shrink: 50.0,
            size_history: 10,
            restore_max_age: Duration::from_secs(31 * 86_400),
            group_by: GroupBy::RESTIC,
        }
    }

    fn daily(days: &[u32], size: impl Fn(u32) -> u64) -> Vec<Snapshot> {
        days.iter()
            .map(|d| {
                snap(&format!("b{d}"), &format!("2025-04-{d:02}T02:00:00+02:00"), Some(size(*d)))
            })
            .collect()
    }

    fn now() -> Timestamp {
        "2025-04-20T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_healthy_daily_series_passes() {
        let s = daily(&(1..=20).collect::<Vec<_>>(), |d| 1000 + u64::from(d));
        let (g, reasons) = check(&s, None, &opts(), now());
        assert!(reasons.is_empty(), "{reasons:?}");
        assert_eq!(g[0].checks.cadence.expected.as_deref(), Some("1d"));
        assert_eq!(g[0].checks.size.compared, 7);
        assert_eq!(g[0].name, "db");
    }

    #[test]
    fn gaps_rpo_and_shrinks_fail() {
        let days: Vec<u32> = (1..=18).filter(|d| *d != 15).collect();
        let s = daily(&days, |d| if d == 17 { 400 } else { 1000 });
        let (g, reasons) = check(&s, None, &opts(), now());
        let c = &g[0].checks;
        assert_eq!(c.rpo.verdict, Verdict::Fail, "{}", c.rpo.reason);
        assert_eq!(c.cadence.missing, 3, "{:?}", c.cadence.gaps);
        assert_eq!(c.cadence.gaps[0].after.id, "b14");
        assert_eq!(c.size.suspicious.len(), 1);
        assert_eq!(c.size.suspicious[0].id, "b17");
        assert_eq!(reasons.len(), 3);
    }

    #[test]
    fn noisy_series_need_a_bigger_drop() {
        let s = daily(&(1..=20).collect::<Vec<_>>(), |d| if d % 2 == 0 { 1000 } else { 300 });
        let (g, _) = check(&s, None, &opts(), now());
        assert_eq!(g[0].checks.size.verdict, Verdict::Pass, "{}", g[0].checks.size.reason);
    }

    #[test]
    fn missing_counts() {
        let day = 86_400_000;
        assert_eq!(missing_in(day, day), 0);
        assert_eq!(missing_in(day * 3 / 2 - 1, day), 0);
        assert_eq!(missing_in(day * 3 / 2, day), 1);
        assert_eq!(missing_in(day * 2, day), 1);
        assert_eq!(missing_in(day * 5 / 2, day), 2);
    }

    #[test]
    fn restore_tests() {
        let s = daily(&[19, 20], |_| 1);
        let line = |t: &str, r: &str| format!(r#"{{"group":"db","time":"{t}","result":"{r}"}}"#);
        let text =
            [line("2025-03-01T00:00:00Z", "success"), line("2025-04-10T00:00:00Z", "failure")]
                .join("\n");
        let ledger = read_ledger(&text, "l").unwrap();
        let (g, _) = check(&s, Some(&ledger), &opts(), now());
        let r = &g[0].checks.restore_test;
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.reason.contains("older than --restore-test-max-age 31d"), "{}", r.reason);
        let text = format!("{text}\n{}", line("2025-04-11T00:00:00Z", "success"));
        let ledger = read_ledger(&text, "l").unwrap();
        let (g, _) = check(&s, Some(&ledger), &opts(), now());
        assert_eq!(g[0].checks.restore_test.verdict, Verdict::Pass);
        let text = format!("{text}\n{}", line("2025-04-12T00:00:00Z", "failure"));
        let ledger = read_ledger(&text, "l").unwrap();
        let (g, _) = check(&s, Some(&ledger), &opts(), now());
        assert!(g[0].checks.restore_test.reason.contains("failed"));
    }

    #[test]
    fn ledger_errors_name_line_column_and_field() {
        let err = |t: &str| read_ledger(t, "l").unwrap_err().to_string();
        assert_eq!(
            err("\n{\"group\":\"db\",\"time\":\"2025-04-01T00:00:00Z\",\"reslt\":\"success\"}"),
            "l:2:45: reslt: unknown field `reslt` (a ledger line has group, time, result, id, \
             note) (did you mean `result`?)"
        );
        assert!(
            err(r#"{"group":"db","time":"2025-04-01T00:00:00Z","result":"ok"}"#)
                .starts_with("l:1:45: result: unknown variant `ok`")
        );
        assert!(
            err(r#"{"group":"db","time":"2025-04-01","result":"success"}"#)
                .starts_with("l:1:15: time: `2025-04-01` is not an RFC 3339 time")
        );
        assert!(err(r#"{"group":"db""#).contains("cut short"));
        assert_eq!(
            err("  []"),
            "l:1:3: expected a JSON object {\"group\", \"time\", \"result\"} (a ledger has one per line)"
        );
        assert!(read_ledger("\n\n", "l").unwrap().is_empty());
    }

    #[test]
    fn expectations_parse() {
        assert_eq!(Expect::parse("daily").unwrap().describe(), "daily");
        assert_eq!(Expect::parse("6h").unwrap().describe(), "6h");
        assert!(Expect::parse("0s").is_err());
        assert!(Expect::parse("dayly").unwrap_err().contains("not hourly, daily"));
    }

    proptest! {
        /// A daily series whose backups run up to 5 hours early or late
        /// misses nothing.
        #[test]
        fn jitter_is_not_a_gap(jitter in proptest::collection::vec(-5i64..=5, 30)) {
            let base: Timestamp = "2025-03-01T00:00:00Z".parse().unwrap();
            let s: Vec<Snapshot> = jitter.iter().enumerate().map(|(i, j)| {
                let t = Timestamp::from_second(base.as_second() + i as i64 * 3600 * 24 + j * 3600)
                    .unwrap();
                snap(&format!("b{i}"), &t.to_string(), Some(100))
            }).collect();
            let now = Timestamp::from_second(base.as_second() + 29 * 86_400 + 23 * 3600).unwrap();
            let mut o = opts();
            o.expect = Expect::parse("daily").unwrap();
            let (g, _) = check(&s, None, &o, now);
            prop_assert_eq!(g[0].checks.cadence.missing, 0);
        }
    }
}
