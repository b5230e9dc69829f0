//! vz-backup plan: against the real restic (Debian's 0.14), on one
//! repository built once per machine with `restic backup --time` (ISO week
//! 53, year boundaries, month ends, a leap day, mixed UTC offsets and DST,
//! future snapshots, ties, tags), each policy compared with `restic forget
//! --dry-run --json`; where today's restic (0.18/0.19, which vz follows)
//! differs from 0.14, the difference is asserted explicitly. Then whole
//! outputs for hand-made inventories, the guards, and bad input.

use crate::common::{json, outcome, tree, vz_backup};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// The repository
// ---------------------------------------------------------------------------

/// One `restic backup`: host, the file name its stdin is stored as (the
/// group's path), the TZ restic runs in (so `--time` gets that zone's
/// offset), the local time, and tags.
struct Spec {
    host: &'static str,
    file: &'static str,
    tz: &'static str,
    time: &'static str,
    tags: &'static str,
}

const fn s(
    host: &'static str,
    file: &'static str,
    tz: &'static str,
    time: &'static str,
    tags: &'static str,
) -> Spec {
    Spec { host, file, tz, time, tags }
}

const UTC: &str = "UTC";
const NY: &str = "America/New_York";

/// 40 snapshots in five groups (host, file).
const SPECS: &[Spec] = &[
    // alpha /daily.txt: around New Year 2021 (2020 has an ISO week 53:
    // Dec 28 - Jan 3), month ends, a tie, tags, and a newest snapshot on
    // Mar 31 12:00 for the month arithmetic of --keep-within.
    s("alpha", "daily.txt", UTC, "2020-12-24 10:00:00", ""),
    s("alpha", "daily.txt", UTC, "2020-12-27 22:00:00", ""), // Sun, 2020-W52
    s("alpha", "daily.txt", UTC, "2020-12-28 09:00:00", ""), // Mon, 2020-W53
    s("alpha", "daily.txt", UTC, "2020-12-31 23:30:00", "monthly-archive"),
    s("alpha", "daily.txt", UTC, "2021-01-01 00:30:00", ""),
    s("alpha", "daily.txt", UTC, "2021-01-03 12:00:00", ""), // Sun, still 2020-W53
    s("alpha", "daily.txt", UTC, "2021-01-04 08:00:00", ""), // 2021-W01
    s("alpha", "daily.txt", UTC, "2021-01-04 20:00:00", ""),
    s("alpha", "daily.txt", UTC, "2021-01-10 10:00:00", ""), // a tie …
    s("alpha", "daily.txt", UTC, "2021-01-10 10:00:00", ""), // … of two
    s("alpha", "daily.txt", UTC, "2021-01-31 12:00:00", "release,v1"),
    s("alpha", "daily.txt", UTC, "2021-02-28 12:00:00", "release"),
    s("alpha", "daily.txt", UTC, "2021-03-01 06:00:00", ""),
    s("alpha", "daily.txt", UTC, "2021-03-01 12:00:00", ""), // newest − 30d exactly
    s("alpha", "daily.txt", UTC, "2021-03-03 12:00:00", ""), // newest − 1m exactly (Go: "Feb 31")
    s("alpha", "daily.txt", UTC, "2021-03-03 12:30:00", ""),
    s("alpha", "daily.txt", UTC, "2021-03-31 11:15:00", ""),
    s("alpha", "daily.txt", UTC, "2021-03-31 11:45:00", ""),
    s("alpha", "daily.txt", UTC, "2021-03-31 12:00:00", ""),
    // beta /db.txt: mixed offsets (+14, -10, -05, -04 in summer, +05:30).
    // By instant: c4 (Jan 2 00:30Z), c1, c2, c3, c5; the day buckets go
    // Jan 1, Jan 2, Jan 1, Jan 2, Dec 31 in each snapshot's own offset.
    s("beta", "db.txt", "Pacific/Kiritimati", "2021-01-02 13:00:00", ""), // Jan 1 23:00Z
    s("beta", "db.txt", "Pacific/Honolulu", "2021-01-01 12:00:00", ""),   // Jan 1 22:00Z
    s("beta", "db.txt", "Pacific/Kiritimati", "2021-01-02 10:00:00", ""), // Jan 1 20:00Z
    s("beta", "db.txt", NY, "2021-01-01 19:30:00", ""),                   // Jan 2 00:30Z
    s("beta", "db.txt", NY, "2020-12-31 23:00:00", ""), // Jan 1 04:00Z, but 2020 locally
    s("beta", "db.txt", "Asia/Kolkata", "2021-07-01 00:10:00", ""), // Jun 30 18:40Z, July locally
    s("beta", "db.txt", NY, "2021-06-30 20:00:00", ""), // Jul 1 00:00Z, June locally
    // gamma /f.txt: two snapshots in the future.
    s("gamma", "f.txt", UTC, "2021-05-01 10:00:00", ""),
    s("gamma", "f.txt", UTC, "2021-05-02 10:00:00", ""),
    s("gamma", "f.txt", UTC, "2021-05-03 10:00:00", ""),
    s("gamma", "f.txt", UTC, "2099-01-01 00:00:00", ""),
    s("gamma", "f.txt", UTC, "2099-01-02 00:00:00", ""),
    // delta /f.txt: every snapshot in the future.
    s("delta", "f.txt", UTC, "2098-06-01 00:00:00", ""),
    s("delta", "f.txt", UTC, "2098-06-02 00:00:00", ""),
    // gamma /leap.txt: a leap day as the newest, ISO weeks 2015-W53 and
    // 2019-W01 (which starts on 2018-12-31).
    s("gamma", "leap.txt", UTC, "2015-12-31 10:00:00", ""),
    s("gamma", "leap.txt", UTC, "2018-12-30 10:00:00", ""),
    s("gamma", "leap.txt", UTC, "2018-12-31 10:00:00", ""),
    s("gamma", "leap.txt", UTC, "2019-02-28 12:00:00", ""),
    s("gamma", "leap.txt", UTC, "2019-03-01 12:00:00", ""), // newest − 1y exactly (Go: "2019-02-29")
    s("gamma", "leap.txt", UTC, "2019-03-01 13:00:00", ""),
    s("gamma", "leap.txt", UTC, "2020-02-29 12:00:00", ""),
];

const PASSWORD: &str = "vz-backup-e2e";

/// The repository and its `restic snapshots --json`.
struct Repo {
    dir: PathBuf,
    snapshots: String,
}

/// `restic` with the repository's environment (no cache, no lock needed
/// for `--dry-run`).
fn restic(repo: &Path, tz: &str) -> Command {
    let mut cmd = Command::new("restic");
    cmd.arg("--no-cache")
        .arg("--repo")
        .arg(repo)
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("TZ", tz)
        .env_remove("RESTIC_REPOSITORY")
        .env_remove("RESTIC_PASSWORD_FILE")
        .env_remove("RESTIC_PASSWORD_COMMAND")
        .env_remove("RESTIC_HOST");
    cmd
}

/// Runs `cmd` and returns its stdout, or fails with its stderr.
fn run(cmd: &mut Command, stdin: Option<&str>) -> String {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            panic!("restic not found: run scripts/test-deps.sh (apt-get install restic)");
        }
        panic!("cannot run {cmd:?}: {e}")
    });
    if let Some(text) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn restic_version() -> String {
    run(Command::new("restic").arg("version"), None)
}

/// The repository, built once per machine and kept under the target
/// directory, keyed by the restic version and the specs (each backup costs
/// ~0.6 s of key derivation). A fresh machine builds it in ~15 s.
fn repo() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let version = restic_version();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        version.hash(&mut h);
        for s in SPECS {
            (s.host, s.file, s.tz, s.time, s.tags).hash(&mut h);
        }
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = base.join(format!("vz-backup-restic-{:016x}", h.finish()));
        let listing = dir.join("snapshots.json");
        if let Ok(snapshots) = std::fs::read_to_string(&listing) {
            return Repo { dir: dir.join("repo"), snapshots };
        }
        let tmp = base.join(format!("vz-backup-restic-build-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).expect("mkdir");
        let r = tmp.join("repo");
        run(restic(&r, UTC).args(["init", "-q"]), None);
        // Two backups at a time: restic allows concurrent backups.
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(spec) = SPECS.get(i) else { break };
                        let mut cmd = restic(&r, spec.tz);
                        cmd.args(["backup", "-q", "--stdin", "--stdin-filename", spec.file])
                            .args(["--host", spec.host, "--time", spec.time]);
                        if !spec.tags.is_empty() {
                            cmd.args(["--tag", spec.tags]);
                        }
                        // Distinct content: identical backups would become one snapshot.
                        run(&mut cmd, Some(&format!("backup {i}\n")));
                    }
                });
            }
        });
        let snapshots = run(restic(&r, UTC).args(["snapshots", "--json"]), None);
        std::fs::write(tmp.join("snapshots.json"), &snapshots).expect("write");
        // Another test process may have won the race: either copy is good.
        if std::fs::rename(&tmp, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
            if let Ok(theirs) = std::fs::read_to_string(&listing) {
                return Repo { dir: dir.join("repo"), snapshots: theirs };
            }
            panic!("cannot store the restic repository in {}", dir.display());
        }
        Repo { dir: dir.join("repo"), snapshots }
    })
}

// ---------------------------------------------------------------------------
// Comparing with restic
// ---------------------------------------------------------------------------

/// One snapshot's fate: kept (with reasons) or removed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    Keep(Vec<String>),
    Remove,
}

/// id → (group members' ids, fate), from either tool.
type Outcome = BTreeMap<String, Fate>;

/// What `restic forget --dry-run --json` decides, and its groups (as sets of
/// ids). 0.14's reasons carry no id: they line up with `keep` by position.
fn restic_forget(args: &[&str]) -> (Outcome, BTreeSet<BTreeSet<String>>) {
    let repo = repo();
    // --no-lock: many tests ask at once, and a dry run changes nothing.
    let out = run(
        restic(&repo.dir, UTC).args(["--no-lock", "forget", "--dry-run", "--json"]).args(args),
        None,
    );
    let mut fates = Outcome::new();
    let mut groups = BTreeSet::new();
    if out.trim().is_empty() {
        return (fates, groups);
    }
    let value = json(&out);
    for g in value.as_array().expect("restic prints an array of groups") {
        let keep = g["keep"].as_array().cloned().unwrap_or_default();
        let reasons = g["reasons"].as_array().cloned().unwrap_or_default();
        assert_eq!(keep.len(), reasons.len(), "reasons line up with keep");
        let mut members = BTreeSet::new();
        for (k, r) in keep.iter().zip(&reasons) {
            let matches = r["matches"]
                .as_array()
                .expect("matches")
                .iter()
                .map(|m| m.as_str().expect("string").to_string())
                .collect();
            let id = k["id"].as_str().expect("id").to_string();
            members.insert(id.clone());
            fates.insert(id, Fate::Keep(matches));
        }
        for r in g["remove"].as_array().cloned().unwrap_or_default() {
            let id = r["id"].as_str().expect("id").to_string();
            members.insert(id.clone());
            fates.insert(id, Fate::Remove);
        }
        groups.insert(members);
    }
    (fates, groups)
}

/// vz-backup plan's answer on the repository's snapshots: (exit code,
/// stdout, stderr).
fn vz_plan(args: &[&str]) -> (Option<i32>, String, String) {
    // No --now: restic forget reads the real clock, and every snapshot is
    // either before 2022 or after 2097.
    outcome(vz_backup().arg("plan").args(args).write_stdin(repo().snapshots.as_str()))
}

/// vz's fates and groups, with `strip_oldest` turning today's oldest
/// snapshot rule back into 0.14's (reasons "oldest …" dropped, and a
/// snapshot kept only by them removed). Returns the ids kept only by it.
fn vz_fates(
    plan: &Value,
    strip_oldest: bool,
) -> (Outcome, BTreeSet<BTreeSet<String>>, Vec<String>) {
    let mut fates = Outcome::new();
    let mut groups = BTreeSet::new();
    let mut oldest_only = Vec::new();
    for g in plan["groups"].as_array().expect("groups") {
        let mut members = BTreeSet::new();
        for e in g["keep"].as_array().expect("keep") {
            let id = e["id"].as_str().expect("id").to_string();
            let mut reasons: Vec<String> = e["reasons"]
                .as_array()
                .expect("reasons")
                .iter()
                .map(|r| r.as_str().expect("string").to_string())
                .collect();
            if strip_oldest {
                reasons.retain(|r| !r.starts_with("oldest "));
            }
            members.insert(id.clone());
            if reasons.is_empty() {
                oldest_only.push(id.clone());
                fates.insert(id, Fate::Remove);
            } else {
                fates.insert(id, Fate::Keep(reasons));
            }
        }
        for e in g["remove"].as_array().expect("remove") {
            let id = e["id"].as_str().expect("id").to_string();
            members.insert(id.clone());
            fates.insert(id, Fate::Remove);
        }
        groups.insert(members);
    }
    (fates, groups, oldest_only)
}

/// Snapshots that share their group and instant: restic orders them at
/// random, so only how many of them are kept (and why) can be compared.
fn tie_classes() -> Vec<BTreeSet<String>> {
    let snaps = json(&repo().snapshots);
    let mut classes: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for s in snaps.as_array().expect("array") {
        let key = (
            s["hostname"].as_str().unwrap_or_default().to_string(),
            s["paths"].to_string(),
            s["time"].as_str().unwrap_or_default().to_string(),
        );
        classes.entry(key).or_default().insert(s["id"].as_str().expect("id").to_string());
    }
    classes.into_values().collect()
}

/// The fates with each tie class replaced by the sorted multiset of its
/// members' fates.
fn by_class(fates: &Outcome) -> Vec<Vec<Fate>> {
    tie_classes()
        .iter()
        .map(|class| {
            let mut f: Vec<Fate> = class.iter().filter_map(|id| fates.get(id).cloned()).collect();
            f.sort_by_key(|x| format!("{x:?}"));
            f
        })
        .collect()
}

/// Requires vz-backup plan to decide as restic 0.14 does for `args`, once
/// today's oldest snapshot rule is taken out; returns the ids that rule
/// keeps (which 0.14 removes).
fn same_as_restic(args: &[&str]) -> Vec<String> {
    same_as_restic_with(args, args)
}

/// As [`same_as_restic`], with different flags for restic (for spellings
/// 0.14 lacks, such as `unlimited`).
fn same_as_restic_with(vz_args: &[&str], restic_args: &[&str]) -> Vec<String> {
    let (code, out, err) = vz_plan(vz_args);
    assert_eq!(code, Some(0), "vz-backup plan {vz_args:?}: {err}");
    let plan = json(&out);
    let (vz, vz_groups, oldest_only) = vz_fates(&plan, true);
    let (restic, restic_groups) = restic_forget(restic_args);
    assert_eq!(vz_groups, restic_groups, "{vz_args:?}: the groups differ");
    assert_eq!(vz.len(), SPECS.len(), "{vz_args:?}: every snapshot is planned");
    let (v, r) = (by_class(&vz), by_class(&restic));
    for (i, (a, b)) in v.iter().zip(&r).enumerate() {
        assert_eq!(a, b, "{vz_args:?}: tie class {i} differs\nvz plan:\n{out}");
    }
    assert!(!out.contains("\"newest snapshot\""), "{vz_args:?}: vz's newest rule was needed");
    oldest_only
}

/// The time of snapshot `id` as restic wrote it.
fn time_of(id: &str) -> String {
    let snaps = json(&repo().snapshots);
    snaps
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["id"] == id)
        .and_then(|s| s["time"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn times_of(ids: &[String]) -> Vec<String> {
    let mut t: Vec<String> = ids.iter().map(|id| time_of(id)).collect();
    t.sort();
    t
}

// ---------------------------------------------------------------------------
// Each rule, and the awkward cases, against restic
// ---------------------------------------------------------------------------

#[test]
fn restic_is_installed_and_the_repository_holds_every_snapshot() {
    assert!(restic_version().starts_with("restic 0."), "{}", restic_version());
    let snaps = json(&repo().snapshots);
    assert_eq!(snaps.as_array().map(Vec::len), Some(SPECS.len()), "no two backups collapsed");
    // restic wrote each offset as the backup's TZ had it.
    let times: BTreeSet<&str> =
        snaps.as_array().into_iter().flatten().filter_map(|s| s["time"].as_str()).collect();
    for t in [
        "2021-01-02T13:00:00+14:00",
        "2021-01-01T12:00:00-10:00",
        "2021-01-01T19:30:00-05:00",
        "2021-06-30T20:00:00-04:00",
        "2021-07-01T00:10:00+05:30",
    ] {
        assert!(times.contains(t), "{t} in {times:?}");
    }
}

#[test]
fn keep_last_matches_restic() {
    assert!(same_as_restic(&["--keep-last", "3"]).is_empty());
    assert!(same_as_restic(&["--keep-last", "100"]).is_empty());
}

#[test]
fn keep_hourly_matches_restic() {
    assert!(same_as_restic(&["--keep-hourly", "5"]).is_empty());
}

#[test]
fn keep_daily_matches_restic_across_mixed_offsets() {
    // beta's day buckets go Jan 2, Jan 1, Jan 2, Jan 1, Dec 31 (own offsets),
    // so a bucket left and come back to is kept again.
    assert!(same_as_restic(&["--keep-daily", "4"]).is_empty());
    assert!(same_as_restic(&["--keep-daily", "10"]).is_empty());
}

#[test]
fn keep_weekly_matches_restic_across_iso_week_53() {
    // beta's five snapshots around New Year, in four offsets, are all in
    // 2020-W53; leap.txt's five weeks are 2020-W09, 2019-W09, 2019-W01
    // (Dec 31 2018), 2018-W52 and 2015-W53. Today's oldest rule keeps the
    // oldest of the groups with fewer than five weeks, where it shares its
    // week with a newer snapshot.
    let oldest = same_as_restic(&["--keep-weekly", "5"]);
    assert_eq!(times_of(&oldest), ["2020-12-31T23:00:00-05:00", "2021-05-01T10:00:00Z"]);
}

#[test]
fn keep_monthly_differs_from_restic_014_only_by_the_oldest_rule() {
    // restic 0.16+ keeps the oldest snapshot while the rule has units left;
    // 0.14 does not.
    // gamma /f.txt (2099-01, 2021-05) and delta (2098-06) have fewer than
    // three months; alpha, beta and leap.txt use up the rule before their
    // oldest.
    let oldest = same_as_restic(&["--keep-monthly", "3"]);
    assert_eq!(times_of(&oldest), ["2021-05-01T10:00:00Z", "2098-06-01T00:00:00Z"]);
    // With budget to spare everywhere, the oldest is kept wherever it
    // shares its month with a newer kept snapshot (beta's and leap.txt's
    // oldest open a month of their own: kept by 0.14 too).
    let oldest = same_as_restic(&["--keep-monthly", "100"]);
    assert_eq!(
        times_of(&oldest),
        ["2020-12-24T10:00:00Z", "2021-05-01T10:00:00Z", "2098-06-01T00:00:00Z"]
    );
}

#[test]
fn keep_yearly_differs_from_restic_014_only_by_the_oldest_rule() {
    let oldest = same_as_restic(&["--keep-yearly", "2"]);
    // Only delta (2098 alone) has fewer than two years; beta reaches 2020
    // only through its oldest snapshot's own offset (Dec 31 23:00 -05:00),
    // which opens the second year rather than taking the oldest rule.
    assert_eq!(times_of(&oldest), ["2098-06-01T00:00:00Z"]);
}

#[test]
fn keep_within_counts_months_as_go_add_date_does() {
    // alpha's newest is Mar 31 12:00: 1m back is "Feb 31" = Mar 3 12:00,
    // and the snapshot exactly there is not within (strict).
    assert!(same_as_restic(&["--keep-within", "1m"]).is_empty());
    assert!(same_as_restic(&["--keep-within", "1m12h"]).is_empty());
    assert!(same_as_restic(&["--keep-within", "30d"]).is_empty());
    // leap.txt's newest is Feb 29 2020: 1y back is "2019-02-29" = Mar 1.
    assert!(same_as_restic(&["--keep-within", "1y"]).is_empty());
    let (_, out, _) = vz_plan(&["--keep-within", "1m"]);
    let plan = json(&out);
    let alpha = &plan["groups"][0];
    assert_eq!(alpha["group"]["host"], "alpha");
    let removed: Vec<&str> = alpha["remove"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["time"].as_str())
        .collect();
    assert!(removed.contains(&"2021-03-03T12:00:00Z"));
    assert!(!removed.contains(&"2021-03-03T12:30:00Z"));
}

#[test]
fn keep_within_buckets_match_restic() {
    assert!(same_as_restic(&["--keep-within-hourly", "1d"]).is_empty());
    assert!(same_as_restic(&["--keep-within-daily", "10d"]).is_empty());
    // The within-bucket rules have the oldest rule too, when the oldest
    // snapshot is within the duration.
    // gamma /f.txt: May 1 (Sat) shares 2021-W17 with May 2 and is oldest.
    // delta's two snapshots are a Sunday and a Monday: two weeks.
    let oldest = same_as_restic(&["--keep-within-weekly", "2m"]);
    assert_eq!(times_of(&oldest), ["2021-05-01T10:00:00Z"]);
    // By month: alpha's oldest shares December 2020; beta's opens it.
    let oldest = same_as_restic(&["--keep-within-monthly", "1y"]);
    assert_eq!(
        times_of(&oldest),
        ["2020-12-24T10:00:00Z", "2021-05-01T10:00:00Z", "2098-06-01T00:00:00Z"]
    );
    let oldest = same_as_restic(&["--keep-within-yearly", "5y"]);
    assert_eq!(
        times_of(&oldest),
        ["2020-12-24T10:00:00Z", "2021-05-01T10:00:00Z", "2098-06-01T00:00:00Z"]
    );
}

#[test]
fn future_snapshots_are_counted_and_always_within() {
    // gamma /f.txt: the two 2099 snapshots use both daily units; delta
    // (all in the future) keeps everything within any duration.
    assert!(same_as_restic(&["--keep-daily", "2", "--keep-within", "1d"]).is_empty());
}

#[test]
fn keep_tag_matches_restic_when_combined_with_a_count() {
    assert!(same_as_restic(&["--keep-tag", "release", "--keep-last", "1"]).is_empty());
    assert!(same_as_restic(&["--keep-tag", "", "--keep-last", "1"]).is_empty());
    assert!(
        same_as_restic(&[
            "--keep-tag",
            "release, v1",
            "--keep-tag",
            "monthly-archive",
            "--keep-daily",
            "2"
        ])
        .is_empty()
    );
}

#[test]
fn grouping_matches_restic() {
    assert!(same_as_restic(&["--group-by", "host", "--keep-daily", "3"]).is_empty());
    assert!(same_as_restic(&["--group-by", "tags", "--keep-last", "1"]).is_empty());
    assert!(same_as_restic(&["--group-by", "host,paths,tags", "--keep-weekly", "1"]).is_empty());
    // One group: the 2099 week and delta's two 2098 weeks use up the three
    // weekly units, so there is no oldest snapshot to keep.
    let oldest = same_as_restic(&["--group-by", "", "--keep-weekly", "3"]);
    assert!(oldest.is_empty(), "{:?}", times_of(&oldest));
}

#[test]
fn a_classic_gfs_policy_matches_restic() {
    let oldest = same_as_restic(&[
        "-l",
        "2",
        "-d",
        "3",
        "-w",
        "2",
        "-m",
        "2",
        "-y",
        "1",
        "--keep-within",
        "2d",
    ]);
    // delta's oldest is kept by five rules, one of them "oldest monthly
    // snapshot" (0.14 lists the other four): no snapshot is kept by the
    // oldest rule alone.
    assert!(oldest.is_empty(), "{:?}", times_of(&oldest));
    let (_, out, _) =
        vz_plan(&["-l", "2", "-d", "3", "-w", "2", "-m", "2", "-y", "1", "--keep-within", "2d"]);
    assert!(out.contains("\"oldest monthly snapshot\""), "{out}");
}

#[test]
fn unlimited_is_minus_one_and_keeps_every_bucket() {
    // 0.14 has no `unlimited`; a large count keeps as many buckets.
    let a = same_as_restic_with(&["--keep-daily", "unlimited"], &["--keep-daily", "100000"]);
    let b = same_as_restic_with(&["--keep-daily", "-1"], &["--keep-daily", "100000"]);
    assert_eq!(a, b);
    // 0.14 silently ignores a negative count: with --keep-last 1 it keeps
    // one snapshot per group, where today's restic keeps a daily per day.
    let (restic, _) = restic_forget(&["--keep-daily", "-1", "--keep-last", "1"]);
    let kept_014 = restic.values().filter(|f| matches!(f, Fate::Keep(_))).count();
    assert_eq!(kept_014, 5, "0.14: one per group");
    let (code, out, _) = vz_plan(&["--keep-daily", "-1", "--keep-last", "1"]);
    assert_eq!(code, Some(0));
    assert!(json(&out)["keep"].as_array().map_or(0, Vec::len) > 20);
}

#[test]
fn an_empty_policy_is_refused_where_restic_014_prints_nothing() {
    let (restic, _) = restic_forget(&["--keep-last", "0"]);
    assert!(restic.is_empty(), "0.14 prints nothing at all");
    for args in [&["--keep-last", "0"][..], &["--keep-within", "0d"], &[]] {
        let (code, out, err) = vz_plan(args);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}");
        assert!(err.contains("no policy"), "{err}");
    }
}

#[test]
fn a_keep_tag_typo_is_refused_where_restic_014_removes_everything() {
    let (restic, _) = restic_forget(&["--keep-tag", "nosuchtag"]);
    assert_eq!(restic.len(), SPECS.len());
    assert!(restic.values().all(|f| *f == Fate::Remove), "0.14 removes every snapshot");
    let (code, out, err) = vz_plan(&["--keep-tag", "nosuchtag"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert!(err.contains("keeps no snapshot of group host alpha, paths [/daily.txt]"), "{err}");
    assert!(err.contains("nothing written to stdout"), "{err}");
}

#[test]
fn the_newest_snapshot_is_kept_where_restic_would_remove_it() {
    // One group: restic keeps the three tagged snapshots and removes the
    // newest (a 2099 snapshot); vz keeps it too, and says why.
    let (restic, _) = restic_forget(&[
        "--group-by",
        "",
        "--keep-tag",
        "release",
        "--keep-tag",
        "monthly-archive",
    ]);
    let (code, out, err) =
        vz_plan(&["--group-by", "", "--keep-tag", "release", "--keep-tag", "monthly-archive"]);
    assert_eq!(code, Some(0), "{err}");
    let plan = json(&out);
    let newest = &plan["keep"][0];
    assert_eq!(newest["time"], "2099-01-02T00:00:00Z");
    assert_eq!(newest["reasons"], json!(["newest snapshot"]));
    let id = newest["id"].as_str().unwrap_or_default();
    assert_eq!(restic.get(id), Some(&Fate::Remove));
    let (vz, _, _) = vz_fates(&plan, false);
    let differ: Vec<&String> = vz.keys().filter(|k| vz.get(*k) != restic.get(*k)).collect();
    assert_eq!(differ, [&id.to_string()]);
}

#[test]
fn the_plan_feeds_restic_forget() {
    let (code, out, _) = vz_plan(&["--keep-daily", "3"]);
    assert_eq!(code, Some(0));
    let plan = json(&out);
    let flat: BTreeSet<&str> =
        plan["remove"].as_array().into_iter().flatten().filter_map(|e| e["id"].as_str()).collect();
    let per_group: BTreeSet<&str> = plan["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["remove"].as_array().into_iter().flatten())
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(flat, per_group);
    let (restic, _) = restic_forget(&["--keep-daily", "3"]);
    // 0.14 removes what vz removes, plus each short group's oldest.
    for id in &flat {
        assert_eq!(restic.get(*id), Some(&Fate::Remove), "{id}");
    }
}

// ---------------------------------------------------------------------------
// Whole outputs, guards, formats
// ---------------------------------------------------------------------------

const INVENTORY: &str = r#"{
  "version": 1,
  "root": "/var/backups/pg",
  "backups": [
    {"id": "db_20250331_0200.dump", "time": "2025-03-31T02:00:00+02:00", "size": 1000, "host": "db1", "paths": ["/var/backups/pg"]},
    {"id": "db_20250401_0200.dump", "time": "2025-04-01T02:00:00+02:00", "size": 1010, "host": "db1", "paths": ["/var/backups/pg"]},
    {"id": "db_20250402_0200.dump", "time": "2025-04-02T02:00:00+02:00", "size": 1020, "host": "db1", "paths": ["/var/backups/pg"]},
    {"id": "db_20250402_1400.dump", "time": "2025-04-02T14:00:00+02:00", "size": 1030, "host": "db1", "paths": ["/var/backups/pg"]},
    {"id": "db_20250403_0200.dump", "time": "2025-04-03T02:00:00+02:00", "size": 1040, "host": "db1", "paths": ["/var/backups/pg"]}
  ]
}"#;

fn plan_of(input: &str, args: &[&str]) -> (Option<i32>, String, String) {
    outcome(
        vz_backup()
            .arg("plan")
            .args(["--now", "2025-04-03T12:00:00Z"])
            .args(args)
            .write_stdin(input),
    )
}

#[test]
fn an_inventory_plan_is_exactly_this() {
    // All five are in 2025-W14 (Mar 31 is a Monday). The daily rule's two
    // units go to Apr 3 and Apr 2 14:00; the weekly rule keeps Apr 3 and,
    // with a unit left, the oldest. Apr 2 02:00 and Apr 1 lie in the week
    // Apr 3 holds; the daily rule, used up, no longer sees them.
    let (code, out, err) = plan_of(INVENTORY, &["--keep-daily", "2", "--keep-weekly", "2"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "vz-backup: keep 3, remove 2 of 5 snapshots in 1 group\n");
    let keep = json!([
        {"id": "db_20250403_0200.dump", "time": "2025-04-03T02:00:00+02:00",
         "reasons": ["daily snapshot", "weekly snapshot"]},
        {"id": "db_20250402_1400.dump", "time": "2025-04-02T14:00:00+02:00",
         "reasons": ["daily snapshot"]},
        {"id": "db_20250331_0200.dump", "time": "2025-03-31T02:00:00+02:00",
         "reasons": ["oldest weekly snapshot"]}
    ]);
    let remove = json!([
        {"id": "db_20250402_0200.dump", "time": "2025-04-02T02:00:00+02:00",
         "reasons": ["superseded by db_20250403_0200.dump in 2025-W14"]},
        {"id": "db_20250401_0200.dump", "time": "2025-04-01T02:00:00+02:00",
         "reasons": ["superseded by db_20250403_0200.dump in 2025-W14"]}
    ]);
    assert_eq!(
        json(&out),
        json!({
            "groups": [{
                "group": {"host": "db1", "paths": ["/var/backups/pg"], "tags": null},
                "keep": keep,
                "remove": remove
            }],
            "keep": keep,
            "remove": remove
        })
    );
}

#[test]
fn removed_snapshots_name_every_bucket_that_superseded_them() {
    let (code, out, err) =
        plan_of(INVENTORY, &["--keep-daily", "5", "--keep-monthly", "2", "--keep-last", "1"]);
    assert_eq!(code, Some(0), "{err}");
    let plan = json(&out);
    assert_eq!(
        plan["remove"],
        json!([{"id": "db_20250402_0200.dump", "time": "2025-04-02T02:00:00+02:00",
                "reasons": ["superseded by db_20250402_1400.dump in 2025-04-02",
                            "superseded by db_20250403_0200.dump in 2025-04"]}])
    );
    let (_, out, _) = plan_of(INVENTORY, &["--keep-last", "1"]);
    assert_eq!(json(&out)["remove"][0]["reasons"], json!(["outside every rule"]));
}

#[test]
fn a_csv_inventory_plans_like_its_json() {
    let csv = "id,time,size,host,paths\n\
               db_20250331_0200.dump,2025-03-31T02:00:00+02:00,1000,db1,/var/backups/pg\n\
               db_20250401_0200.dump,2025-04-01T02:00:00+02:00,1010,db1,/var/backups/pg\n\
               db_20250402_0200.dump,2025-04-02T02:00:00+02:00,1020,db1,/var/backups/pg\n\
               db_20250402_1400.dump,2025-04-02T14:00:00+02:00,1030,db1,/var/backups/pg\n\
               db_20250403_0200.dump,2025-04-03T02:00:00+02:00,1040,db1,/var/backups/pg\n";
    let args = ["--keep-daily", "2", "--keep-weekly", "2"];
    assert_eq!(plan_of(csv, &args).1, plan_of(INVENTORY, &args).1);
    let dir = tree(&[("inv.csv", csv)]);
    let (code, out, _) = outcome(
        vz_backup()
            .args(["plan", "--now", "2025-04-03T12:00:00Z", "--keep-last", "1", "-o", "table"])
            .arg(dir.path().join("inv.csv")),
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        out.lines().take(3).collect::<Vec<_>>(),
        [
            "host db1, paths [/var/backups/pg] (keep 1, remove 4)",
            "  keep    db_20250403_0200.dump  2025-04-03T02:00:00+02:00  last snapshot",
            "  remove  db_20250402_1400.dump  2025-04-02T14:00:00+02:00  outside every rule",
        ]
    );
}

#[test]
fn yaml_output() {
    let (code, out, _) = plan_of(INVENTORY, &["--keep-last", "1", "-o", "yaml"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("reasons:\n"), "{out}");
    assert!(out.contains("- last snapshot"), "{out}");
}

#[test]
fn borg_semantics_count_differently() {
    // One archive a day for 14 days (Mon Mar 1 … Sun Mar 14 2021).
    let entries: Vec<Value> = (1..=14)
        .map(|d| json!({"id": format!("a{d:02}"), "time": format!("2021-03-{d:02}T12:00:00Z")}))
        .collect();
    let inv = Value::Array(entries).to_string();
    let kept = |args: &[&str]| -> Vec<String> {
        let (code, out, err) = plan_of(&inv, args);
        assert_eq!(code, Some(0), "{err}");
        json(&out)["keep"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{} {}",
                    e["id"].as_str().unwrap_or(""),
                    e["reasons"][0].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    // restic: the newest daily is also weekly #1 → 3 dailies + 1 weekly.
    assert_eq!(
        kept(&["--keep-daily", "3", "--keep-weekly", "2"]),
        ["a14 daily snapshot", "a13 daily snapshot", "a12 daily snapshot", "a07 weekly snapshot"]
    );
    // borg: a kept archive is not counted again → 3 dailies + 2 weeklies.
    assert_eq!(
        kept(&["--semantics", "borg", "--keep-daily", "3", "--keep-weekly", "2"]),
        ["a14 daily #1", "a13 daily #2", "a12 daily #3", "a07 weekly #1", "a01 weekly[oldest] #2"]
    );
    // borg's --keep-within counts back from now; restic's from the newest.
    let (code, _, err) = plan_of(&inv, &["--semantics", "borg", "--keep-within", "2d"]);
    assert_eq!(code, Some(1), "nothing within 2 days of now: refused");
    assert!(err.contains("keeps no snapshot of group all snapshots"), "{err}");
    let (code, _, err) = plan_of(&inv, &["--semantics", "borg", "--keep-tag", "x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--keep-tag is a restic rule"), "{err}");
}

#[test]
fn guards_refuse_the_plan_and_write_nothing() {
    let (code, out, err) = plan_of(INVENTORY, &["--keep-last", "1", "--max-remove-pct", "50"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert_eq!(
        err,
        "vz-backup: refused: the plan removes 4 of 5 snapshots (80.0%), more than --max-remove-pct 50\n\
         vz-backup: nothing written to stdout: no snapshot will be removed\n"
    );
    let (code, out, err) = plan_of(INVENTORY, &["--keep-last", "1", "--min-keep", "3"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert!(
        err.contains("group host db1, paths [/var/backups/pg] keeps 1 of its 5 snapshots, fewer than --min-keep 3"),
        "{err}"
    );
    // Within the guards: the plan is written.
    let (code, out, _) =
        plan_of(INVENTORY, &["--keep-last", "3", "--max-remove-pct", "40", "--min-keep", "3"]);
    assert_eq!(code, Some(0));
    assert_eq!(json(&out)["remove"].as_array().map(Vec::len), Some(2));
    // A group smaller than --min-keep passes when it keeps everything.
    let (code, _, _) = plan_of(INVENTORY, &["--keep-last", "5", "--min-keep", "10"]);
    assert_eq!(code, Some(0));
}

#[test]
fn restic_snapshots_grouped_output_is_read_too() {
    let grouped = r#"[{"group_key":{"hostname":"h","paths":["/a"],"tags":null},"snapshots":[
        {"time":"2025-03-01T02:00:00Z","tree":"t1","paths":["/a"],"hostname":"h","id":"0000000000000000000000000000000000000000000000000000000000000001","short_id":"00000000"},
        {"time":"2025-04-01T02:00:00Z","tree":"t2","paths":["/a"],"hostname":"h","id":"0000000000000000000000000000000000000000000000000000000000000002","short_id":"00000000"},
        {"time":"2025-04-02T02:00:00Z","tree":"t3","paths":["/a"],"hostname":"h","id":"1000000000000000000000000000000000000000000000000000000000000003","short_id":"10000000"}]}]"#;
    let (code, out, err) = plan_of(grouped, &["--keep-monthly", "2"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        json(&out)["remove"],
        json!([{"id": "0000000000000000000000000000000000000000000000000000000000000002",
                "time": "2025-04-01T02:00:00Z", "reasons": ["superseded by 10000000 in 2025-04"]}])
    );
}

// ---------------------------------------------------------------------------
// Bad input: exit 2, where and what on stderr, nothing on stdout
// ---------------------------------------------------------------------------

#[test]
fn bad_input_is_located_and_nothing_is_written() {
    let entry = |extra: &str| {
        format!("[\n  {{\"id\": \"a\", \"time\": \"2025-04-01T02:00:00Z\"{extra}}}\n]")
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "<stdin>:1:1: empty input"),
        ("  \n\n".into(), "<stdin>:1:1: empty input"),
        ("hello\nworld\n".into(), "<stdin>:1:1: not JSON, and not a CSV inventory"),
        ("[{\"id\": \"a\",\n \"time\": \"2025".into(), "<stdin>:2:14: EOF while parsing a string (the input is cut short)"),
        ("[1, 2]".into(), "<stdin>:1:2: [0]: expected an object"),
        ("\"snapshots\"".into(), "<stdin>:1:1: expected an array (`restic snapshots --json`) or an object (a vz inventory), found a string"),
        (entry(", \"hostname\": \"x\""), "<stdin>:2:47: [0].hostname: unknown field `hostname`"),
        (entry(", \"size\": \"big\""), "<stdin>:2:55: [0].size: invalid type: string \"big\", expected u64"),
        (entry(", \"sha256\": \"abc\""), "<stdin>:2:57: [0].sha256: `abc` is not a SHA-256 checksum (64 hex digits)"),
        (entry(", \"tags\": \"x\""), "<stdin>:2:55: [0].tags: invalid type: string \"x\", expected a sequence"),
        ("[{\"id\": \"a\"}]".into(), "<stdin>:1:2: [0]: missing field `time`"),
        ("[{\"id\": \"\", \"time\": \"2025-04-01T02:00:00Z\"}]".into(), "<stdin>:1:9: [0].id: the id is empty"),
        ("[{\"id\": \"a\", \"time\": \"2025-04-01 02:00\"}]".into(), "<stdin>:1:22: [0].time: `2025-04-01 02:00` is not an RFC 3339 time with a UTC offset"),
        ("{\"backups\": [], \"extra\": 1}".into(), "<stdin>:1:17: extra: unknown field `extra`"),
        ("{\"version\": 2, \"backups\": []}".into(), "<stdin>:1:13: version: inventory version 2 is not supported"),
        ("[{\"time\":\"2025-04-01T02:00:00Z\",\"tree\":\"t\",\"hostname\":\"h\",\"paths\":[\"/a\"]}]".into(), "<stdin>:1:2: [0]: missing field `id`"),
        ("id,time\na,yesterday\n".into(), "<stdin>:2:3: time: `yesterday` is not an RFC 3339 time"),
        ("id,tme\na,2025-04-01T02:00:00Z\n".into(), "<stdin>:1:1: not JSON, and not a CSV inventory"),
    ];
    for (input, expected) in &cases {
        let (code, out, err) =
            outcome(vz_backup().args(["plan", "--keep-last", "1"]).write_stdin(input.as_str()));
        assert_eq!((code, out.as_str()), (Some(2), ""), "{input:?}: {err}");
        assert!(err.starts_with(&format!("vz-backup: error: {expected}")), "{input:?}:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_missing_file_and_bad_flags_exit_2() {
    let (code, out, err) =
        outcome(vz_backup().args(["plan", "-d", "1", "/nonexistent/snapshots.json"]));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(err, "vz-backup: error: /nonexistent/snapshots.json: no such file or directory\n");
    for (args, expected) in [
        (
            &["--keep-daily", "-2"][..],
            "--keep-daily -2: negative values other than -1 (unlimited) are not allowed",
        ),
        (&["--keep-within", "30min"], "--keep-within: `30min`: expected a number at `in`"),
        (&["--keep-within", "2w"], "--keep-within: `2w`: restic has no weeks (`w`): write 14d"),
        (
            &["--keep-within", "-1d"],
            "--keep-within -1d: durations with negative values are not allowed",
        ),
        (
            &["--keep-last", "1", "--group-by", "hots"],
            "--group-by: unknown word `hots` (did you mean `host`?)",
        ),
        (&["--keep-minutely", "5"], "--keep-minutely is a borg rule"),
        (&["--keep-last", "many"], "invalid value 'many' for '--keep-last <N>'"),
        (
            &["--keep-last", "1", "--max-remove-pct", "120"],
            "invalid value '120' for '--max-remove-pct <P>'",
        ),
    ] {
        let (code, out, err) = outcome(vz_backup().arg("plan").args(args).write_stdin("[]"));
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}:\n{err}");
    }
    // A suspicious month count is allowed, with a warning.
    let (code, _, err) =
        outcome(vz_backup().args(["plan", "--keep-within", "90m"]).write_stdin(INVENTORY));
    assert_eq!(code, Some(0));
    assert!(err.contains("`m` means months in restic's syntax (90 months"), "{err}");
}

#[test]
fn duplicate_ids_across_files_are_refused() {
    let dir = tree(&[("a.json", INVENTORY), ("b.json", INVENTORY)]);
    let (code, out, err) = outcome(
        vz_backup()
            .args(["plan", "--keep-last", "1"])
            .arg(dir.path().join("a.json"))
            .arg(dir.path().join("b.json")),
    );
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("duplicate id `db_20250331_0200.dump`"), "{err}");
}

#[test]
fn help_documents_examples_and_exit_status() {
    let (code, out, _) = outcome(vz_backup().args(["plan", "--help"]));
    assert_eq!(code, Some(0));
    for needle in ["Examples:", "Exit status:", "--keep-within", "--max-remove-pct", "unlimited"] {
        assert!(out.contains(needle), "{needle}");
    }
}

// ---------------------------------------------------------------------------
// borg list --json
// ---------------------------------------------------------------------------

/// `borg list --json` as borg 1.2.4 wrote it (TZ=Europe/Berlin, archives
/// created with `--timestamp 2025-04-03T02:00:00` and `…04T02:00:00`, UTC).
const BORG_LIST: &str = r#"{
    "archives": [
        {
            "archive": "db-2025-04-03",
            "barchive": "db-2025-04-03",
            "id": "f86d7cf5f75341b1c1153ee5c99a1d2d91e026eafefc1e834b8f836f41626608",
            "name": "db-2025-04-03",
            "start": "2025-04-03T04:00:00.000000",
            "time": "2025-04-03T04:00:00.000000"
        },
        {
            "archive": "db-2025-04-04",
            "barchive": "db-2025-04-04",
            "id": "47381425e95f04df62862918ed445c124b921762973da95be1f573b21898f0fe",
            "name": "db-2025-04-04",
            "start": "2025-04-04T04:00:00.000000",
            "time": "2025-04-04T04:00:00.000000"
        }
    ],
    "encryption": {
        "mode": "none"
    },
    "repository": {
        "id": "f9555ac63c2bf0f376fac58f8bcbe3dd4789aa98066fe4eaaf5aff8062a5a52a",
        "last_modified": "2026-11-24T01:00:47.000000",
        "location": "/tmp/borgt/repo"
    }
}"#;

#[test]
fn borg_list_output_is_detected_and_its_wall_clocks_placed_in_tz() {
    let (code, out, err) = outcome(
        vz_backup()
            .args([
                "plan",
                "--keep-last",
                "1",
                "--tz",
                "Europe/Berlin",
                "--now",
                "2025-05-01T00:00:00Z",
            ])
            .write_stdin(BORG_LIST),
    );
    assert_eq!(code, Some(0), "{err}");
    let plan = json(&out);
    assert_eq!(plan["keep"][0]["id"], "db-2025-04-04");
    assert_eq!(plan["keep"][0]["time"], "2025-04-04T04:00:00+02:00");
    assert_eq!(plan["remove"][0]["id"], "db-2025-04-03");
    // check reads it too, and says it was borg's.
    let (code, out, err) = outcome(
        vz_backup()
            .args(["check", "--rpo", "1d", "--expect", "none", "--now", "2025-04-04T12:00:00Z"])
            .env("TZ", "Europe/Berlin")
            .write_stdin(BORG_LIST),
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&out)["inputs"][0]["format"], "borg");
    // Without --tz, TZ (UTC here) places them two hours later: stale.
    let (code, _, err) = outcome(
        vz_backup()
            .args(["check", "--rpo", "6h", "--expect", "none", "--now", "2025-04-04T08:30:00Z"])
            .write_stdin(BORG_LIST),
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, _, _) = outcome(
        vz_backup()
            .args(["check", "--rpo", "6h", "--expect", "none", "--now", "2025-04-04T08:30:00Z"])
            .args(["--tz", "Pacific/Auckland"])
            .write_stdin(BORG_LIST),
    );
    assert_eq!(code, Some(1));
}

#[test]
fn bad_borg_lists_exit_2_with_the_place_and_field() {
    let bad = BORG_LIST.replacen("\"2025-04-04T04:00:00.000000\"", "\"04/04/2025\"", 1);
    let (code, _, err) = outcome(vz_backup().args(["plan", "-l", "1"]).write_stdin(bad));
    assert_eq!(code, Some(2));
    assert!(err.contains("<stdin>:16:22: archives[1].start"), "{err}");
    assert!(err.contains("archives[1].start") && err.contains("04/04/2025"), "{err}");
    let (code, _, err) = outcome(
        vz_backup().args(["plan", "-l", "1", "--tz", "Mars/Olympus"]).write_stdin(BORG_LIST),
    );
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = outcome(vz_backup().args(["verify", "-"]).write_stdin(BORG_LIST));
    assert_eq!(code, Some(2));
    assert!(err.contains("borg archive list"), "{err}");
}

/// The real borg (when installed): a tiny repository, its `borg list
/// --json` planned with `--semantics borg`, equal to `borg prune --dry-run
/// --list` (archives around midnight in Berlin, where UTC's day differs).
#[test]
fn real_borg_list_plans_like_borg_prune() {
    let version = Command::new("borg").arg("--version").output().unwrap_or_else(|e| {
        panic!("borg not found ({e}): run scripts/test-deps.sh (apt-get install borgbackup)")
    });
    assert!(version.status.success());
    let dir = tree(&[("src/a", "hello")]);
    let repo = dir.path().join("repo");
    let borg = |args: &[&str]| {
        let out = Command::new("borg")
            .args(args)
            .current_dir(dir.path())
            .env("BORG_REPO", &repo)
            .env("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes")
            .env("BORG_BASE_DIR", dir.path().join("base"))
            .env("TZ", "Europe/Berlin")
            .stdin(Stdio::null())
            .output()
            .expect("borg runs");
        assert!(out.status.success(), "borg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    borg(&["init", "-e", "none"]);
    for (i, t) in [
        "2025-03-28T12:00:00",
        "2025-04-02T21:00:00",
        "2025-04-03T23:00:00",
        "2025-04-04T10:00:00",
        "2025-04-04T22:30:00",
        "2025-04-05T12:00:00",
    ]
    .iter()
    .enumerate()
    {
        borg(&["create", "--timestamp", t, &format!("::a{i}"), "src"]);
    }
    let (list, _) = borg(&["list", "--json"]);
    let (_, pruned) =
        borg(&["prune", "--dry-run", "--list", "--keep-daily", "2", "--keep-weekly", "1"]);
    let mut want: Vec<String> = pruned
        .lines()
        .filter_map(|l| l.strip_prefix("Would prune:"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    want.sort();
    let (code, out, err) = outcome(
        vz_backup()
            .args(["plan", "--semantics", "borg", "-d", "2", "-w", "1", "--tz", "Europe/Berlin"])
            .args(["--now", "2025-04-06T00:00:00Z"])
            .write_stdin(list),
    );
    assert_eq!(code, Some(0), "{err}");
    let mut got: Vec<String> = json(&out)["remove"]
        .as_array()
        .expect("remove")
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    got.sort();
    assert_eq!(got, want, "borg prune said:\n{pruned}");
    assert!(!want.is_empty());
}
