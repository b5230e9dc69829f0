//! vz-backup check: RPO, missing backups, shrunken backups and restore-test
//! freshness, each failing alone, on hand-made inventories and restic
//! snapshot lists, with `--now` for determinism; one whole health document;
//! and bad input of every class.

use crate::common::{json, outcome, tree, vz_backup};
use serde_json::{Value, json};

const NOW: &str = "2025-04-10T12:00:00Z";

/// A daily series of the group `db` (02:00 in UTC+2) for the given days of
/// April 2025, with the size of each.
fn daily(days: &[(u32, u64)]) -> String {
    let entries: Vec<Value> = days
        .iter()
        .map(|(d, size)| {
            json!({"id": format!("db-{d:02}"), "time": format!("2025-04-{d:02}T02:00:00+02:00"),
                   "size": size, "paths": ["db"]})
        })
        .collect();
    serde_json::to_string_pretty(&entries).expect("json")
}

fn healthy() -> String {
    daily(&(1..=10).map(|d| (d, 1000 + u64::from(d))).collect::<Vec<_>>())
}

/// Runs `check` on `input` (stdin) with `args`: (code, document, stderr).
fn check(input: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let (code, out, err) = outcome(
        vz_backup().args(["check", "--now", NOW, "-o", "json"]).args(args).write_stdin(input),
    );
    assert!(matches!(code, Some(0 | 1)), "{code:?}: {err}");
    (code, json(&out), err)
}

fn verdicts(doc: &Value, group: usize) -> Vec<(String, String)> {
    let checks = &doc["groups"][group]["checks"];
    ["rpo", "cadence", "size", "restore_test"]
        .iter()
        .map(|c| (c.to_string(), checks[c]["verdict"].as_str().expect("verdict").to_string()))
        .collect()
}

fn want(v: [&str; 4]) -> Vec<(String, String)> {
    ["rpo", "cadence", "size", "restore_test"]
        .iter()
        .zip(v)
        .map(|(c, v)| (c.to_string(), v.to_string()))
        .collect()
}

fn sha256sum(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum").arg(path).output().expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout).split(' ').next().unwrap_or_default().to_string()
}

#[test]
fn a_health_document_is_exactly_this() {
    let dir = tree(&[
        ("inventory.json", healthy().as_str()),
        (
            "restores.jsonl",
            "{\"group\": \"db\", \"time\": \"2025-03-20T09:00:00+01:00\", \"result\": \"success\", \"id\": \"db-01\"}\n\n\
             {\"group\": \"other\", \"time\": \"2025-04-09T09:00:00Z\", \"result\": \"failure\"}\n",
        ),
    ]);
    let inv = dir.path().join("inventory.json");
    let ledger = dir.path().join("restores.jsonl");
    let (code, out, err) = outcome(
        vz_backup()
            .args(["check", "--now", NOW, "--rpo", "26h", "--expect", "daily"])
            .arg(&inv)
            .arg("--restore-ledger")
            .arg(&ledger),
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "vz-backup: pass: 1 group(s), 0 failed check(s)\n");
    let newest = json!({"id": "db-10", "time": "2025-04-10T02:00:00+02:00"});
    assert_eq!(
        json(&out),
        json!({
            "version": 1,
            "now": NOW,
            "verdict": "pass",
            "inputs": [{"name": inv.display().to_string(), "format": "inventory",
                        "sha256": sha256sum(&inv), "entries": 10}],
            "restore_ledger": {"name": ledger.display().to_string(), "format": "ledger",
                               "sha256": sha256sum(&ledger), "entries": 2},
            "settings": {"group_by": "host,paths", "rpo": "1d2h", "expect": "daily",
                         "window": "7d", "max_shrink_pct": 50.0, "size_history": 10,
                         "restore_test_max_age": "31d"},
            "groups": [{
                "group": {"host": "", "paths": ["db"], "tags": null},
                "name": "db",
                "verdict": "pass",
                "backups": 10,
                "future": 0,
                "checks": {
                    "rpo": {"verdict": "pass",
                            "reason": "the newest backup, db-10, is 12h old, within the RPO 1d2h",
                            "newest": newest, "age": "12h", "age_seconds": 43200,
                            "limit": "1d2h"},
                    "cadence": {"verdict": "pass",
                                "reason": "no backup missing since 2025-04-03T12:00:00Z (one every 1d)",
                                "expected": "1d", "expected_seconds": 86400,
                                "source": "--expect daily",
                                "window_start": "2025-04-03T12:00:00Z", "gaps": [],
                                "missing": 0},
                    "size": {"verdict": "pass",
                             "reason": "7 backup(s) inside the window compared with the median of the ones before: none is more than 50% smaller",
                             "max_shrink_pct": 50.0, "compared": 7, "suspicious": []},
                    "restore_test": {"verdict": "pass",
                                     "reason": "the last successful restore test, at 2025-03-20T09:00:00+01:00, is 21d4h old, within 31d",
                                     "limit": "31d",
                                     "last_success": {"time": "2025-03-20T09:00:00+01:00",
                                                      "result": "success", "group": "db",
                                                      "id": "db-01"},
                                     "age": "21d4h", "age_seconds": 1_828_800,
                                     "latest": {"time": "2025-03-20T09:00:00+01:00",
                                                "result": "success", "group": "db",
                                                "id": "db-01"},
                                     "tests": 1}
                }
            }],
            "reasons": []
        })
    );
}

#[test]
fn rpo_passes_and_fails() {
    let (code, doc, err) = check(&healthy(), &["--rpo", "12h"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(doc["groups"][0]["checks"]["rpo"]["verdict"], "pass");
    let (code, doc, err) = check(&healthy(), &["--rpo", "11h59m"]);
    assert_eq!(code, Some(1));
    assert_eq!(verdicts(&doc, 0), want(["fail", "pass", "pass", "skipped"]));
    assert_eq!(
        doc["reasons"],
        json!([
            "db: rpo: the newest backup, db-10 at 2025-04-10T02:00:00+02:00, is 12h old, older than the RPO 11h59m"
        ])
    );
    assert!(
        err.starts_with(
            "vz-backup: fail: db: rpo: the newest backup, db-10 at 2025-04-10T02:00:00+02:00, is 12h old"
        ),
        "{err}"
    );
    // Without --rpo the age is still recorded.
    let (code, doc, _) = check(&healthy(), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["groups"][0]["checks"]["rpo"]["verdict"], "skipped");
    assert_eq!(doc["groups"][0]["checks"]["rpo"]["age_seconds"], 43200);
}

#[test]
fn a_missing_daily_backup_fails() {
    let days: Vec<(u32, u64)> = (1..=10).filter(|d| *d != 6).map(|d| (d, 1000)).collect();
    for expect in ["daily", "auto", "24h"] {
        let (code, doc, err) = check(&daily(&days), &["--expect", expect]);
        assert_eq!(code, Some(1), "{expect}: {err}");
        assert_eq!(verdicts(&doc, 0), want(["skipped", "fail", "pass", "skipped"]), "{expect}");
        let cadence = &doc["groups"][0]["checks"]["cadence"];
        assert_eq!(
            cadence["gaps"],
            json!([{"after": {"id": "db-05", "time": "2025-04-05T02:00:00+02:00"},
                    "before": {"id": "db-07", "time": "2025-04-07T02:00:00+02:00"},
                    "length": "2d", "length_seconds": 172_800, "missing": 1}])
        );
    }
    // Outside the window, the same gap does not count.
    let (code, _, err) = check(&daily(&days), &["--expect", "daily", "--window", "3d"]);
    assert_eq!(code, Some(0), "{err}");
    // Hourly backups expected of a daily series: every day misses 23.
    let (code, doc, _) = check(&healthy(), &["--expect", "hourly", "--window", "1d"]);
    assert_eq!(code, Some(1));
    assert_eq!(doc["groups"][0]["checks"]["cadence"]["missing"], 23 + 11);
    // Backups stopped: the time since the newest one misses backups too.
    let (code, doc, _) = check(&daily(&[(1, 1), (2, 1), (3, 1), (4, 1)]), &[]);
    assert_eq!(code, Some(1));
    let gaps = &doc["groups"][0]["checks"]["cadence"]["gaps"];
    assert_eq!(gaps[0]["before"], Value::Null);
    assert_eq!(gaps[0]["missing"], 6);
}

#[test]
fn a_shrunken_backup_fails() {
    let mut days: Vec<(u32, u64)> = (1..=10).map(|d| (d, 1_000_000 + u64::from(d) * 100)).collect();
    days[8].1 = 400_000; // db-09
    let (code, doc, err) = check(&daily(&days), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(verdicts(&doc, 0), want(["skipped", "pass", "fail", "skipped"]));
    assert_eq!(
        doc["groups"][0]["checks"]["size"]["suspicious"],
        json!([{"id": "db-09", "time": "2025-04-09T02:00:00+02:00", "size": 400_000,
                "median": 1_000_450, "mad": 200, "threshold": 500_225, "history": 8}])
    );
    // A smaller drop than --max-shrink passes.
    let (code, _, _) = check(&daily(&days), &["--max-shrink", "70%"]);
    assert_eq!(code, Some(0));
    // A series that always swings widely needs a larger drop.
    let swinging: Vec<(u32, u64)> =
        (1..=10).map(|d| (d, if d % 2 == 0 { 1_000_000 } else { 300_000 })).collect();
    let (code, doc, _) = check(&daily(&swinging), &[]);
    assert_eq!(code, Some(0), "{}", doc["groups"][0]["checks"]["size"]["reason"]);
}

#[test]
fn a_stale_or_failed_restore_test_fails() {
    let ledger = |lines: &[&str]| tree(&[("l.jsonl", lines.join("\n").as_str())]);
    let line = |t: &str, r: &str| format!(r#"{{"group": "db", "time": "{t}", "result": "{r}"}}"#);
    let run = |dir: &tempfile::TempDir, extra: &[&str]| {
        let l = dir.path().join("l.jsonl");
        let l = l.to_str().expect("utf-8").to_string();
        let mut args = vec!["--restore-ledger", l.as_str()];
        args.extend_from_slice(extra);
        let (code, doc, err) = check(&healthy(), &args);
        (code, doc["groups"][0]["checks"]["restore_test"].clone(), err)
    };
    let stale = ledger(&[&line("2025-03-01T00:00:00Z", "success")]);
    let (code, r, err) = run(&stale, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        r["reason"],
        "the last successful restore test, at 2025-03-01T00:00:00Z, is 40d12h old, older than --restore-test-max-age 31d"
    );
    assert!(err.contains("fail: db: restore-test: the last successful restore test"), "{err}");
    let (code, _, _) = run(&stale, &["--restore-test-max-age", "41d"]);
    assert_eq!(code, Some(0));
    let failed = ledger(&[
        &line("2025-04-01T00:00:00Z", "success"),
        &line("2025-04-08T00:00:00Z", "failure"),
    ]);
    let (code, r, _) = run(&failed, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        r["reason"],
        "the latest restore test, at 2025-04-08T00:00:00Z, failed (the last success was at 2025-04-01T00:00:00Z)"
    );
    let none =
        ledger(&[r#"{"group": "web", "time": "2025-04-08T00:00:00Z", "result": "success"}"#]);
    let (code, r, _) = run(&none, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(r["reason"], "no successful restore test of db in the ledger");
    // An empty ledger is a ledger with no tests.
    let empty = ledger(&[]);
    let (code, r, _) = run(&empty, &[]);
    assert_eq!((code, r["tests"].clone()), (Some(1), json!(0)));
}

/// `restic snapshots --json` as restic 0.17+ writes it, with summaries:
/// two hosts, the second one's newest backup much smaller.
fn restic_snapshots() -> String {
    let snap = |i: u32, host: &str, day: u32, bytes: u64| {
        json!({
            "time": format!("2025-04-{day:02}T01:00:0{}.123456789+02:00", i % 10),
            "tree": "2f3c4b1a", "paths": ["/var/lib/postgresql"], "hostname": host,
            "username": "postgres", "program_version": "restic 0.17.3",
            "summary": {"backup_start": "2025-04-01T01:00:00+02:00",
                        "backup_end": "2025-04-01T01:02:00+02:00",
                        "files_new": 1, "files_changed": 0, "files_unmodified": 40,
                        "dirs_new": 0, "dirs_changed": 1, "dirs_unmodified": 9,
                        "data_blobs": 3, "tree_blobs": 1, "data_added": 1234,
                        "data_added_packed": 800, "total_files_processed": 41,
                        "total_bytes_processed": bytes},
            "id": format!("{i:064x}"), "short_id": format!("{i:08x}")
        })
    };
    let mut all = Vec::new();
    for d in 1..=10u32 {
        all.push(snap(d, "db1", d, 5_000_000));
        all.push(snap(100 + d, "db2", d, if d == 10 { 100_000 } else { 5_000_000 }));
    }
    serde_json::to_string(&all).expect("json")
}

#[test]
fn restic_snapshots_with_summaries_are_checked_per_host() {
    let dir = tree(&[(
        "l.jsonl",
        r#"{"group": "db1", "time": "2025-04-09T00:00:00Z", "result": "success"}
{"group": "/var/lib/postgresql", "time": "2025-03-01T00:00:00Z", "result": "success"}"#,
    )]);
    let l = dir.path().join("l.jsonl");
    let (code, doc, err) = check(
        &restic_snapshots(),
        &["--rpo", "1d", "--restore-ledger", l.to_str().expect("utf-8")],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(doc["inputs"][0]["format"], "restic");
    assert_eq!(doc["groups"][0]["name"], "db1:/var/lib/postgresql");
    assert_eq!(verdicts(&doc, 0), want(["pass", "pass", "pass", "pass"]));
    assert_eq!(doc["groups"][1]["name"], "db2:/var/lib/postgresql");
    assert_eq!(verdicts(&doc, 1), want(["pass", "pass", "fail", "fail"]));
    assert_eq!(doc["groups"][1]["checks"]["size"]["suspicious"][0]["size"], 100_000);
    assert_eq!(doc["reasons"].as_array().map(Vec::len), Some(2));
}

#[test]
fn future_and_empty_inputs() {
    let mut days: Vec<(u32, u64)> = (1..=10).map(|d| (d, 1000)).collect();
    days.push((25, 1000));
    let (code, doc, err) = check(&daily(&days), &["--rpo", "1d"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(doc["groups"][0]["future"], 1);
    assert!(err.contains("vz-backup: warning: db: 1 backup(s) dated after now (2025-04-10T12:00:00Z): not counted"), "{err}");
    let (code, doc, err) = check("[]", &["--rpo", "1d"]);
    assert_eq!(code, Some(1));
    assert_eq!(doc["reasons"], json!(["the input holds no backups"]));
    assert!(err.contains("fail: the input holds no backups"), "{err}");
    // Too few backups to infer a cadence or judge sizes: unknown, not failed.
    let (code, doc, err) = check(&daily(&[(9, 1), (10, 1)]), &["--rpo", "1d"]);
    assert_eq!(code, Some(0));
    assert_eq!(verdicts(&doc, 0), want(["pass", "unknown", "unknown", "skipped"]));
    assert!(err.contains("db: cadence: unknown: 2 distinct backup time(s)"), "{err}");
}

#[test]
fn a_table_for_people() {
    let (code, out, _) = outcome(
        vz_backup()
            .args(["check", "--now", NOW, "--rpo", "1h", "-o", "table"])
            .write_stdin(healthy()),
    );
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with("FAIL  db (10 backups)\n  FAIL    rpo          the newest backup"),
        "{out}"
    );
    assert!(out.ends_with("FAIL: 1 group(s) at 2025-04-10T12:00:00Z\n"), "{out}");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let entry = |extra: &str| {
        format!("[\n  {{\"id\": \"a\", \"time\": \"2025-04-01T02:00:00Z\"{extra}}}\n]")
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "<stdin>:1:1: empty input"),
        ("hello\nworld\n".into(), "<stdin>:1:1: not JSON, and not a CSV inventory"),
        (
            "[{\"id\": \"a\",\n \"time\": \"2025".into(),
            "<stdin>:2:14: EOF while parsing a string (the input is cut short)",
        ),
        ("[1, 2]".into(), "<stdin>:1:2: [0]: expected an object"),
        (
            "true".into(),
            "<stdin>:1:1: expected an array (`restic snapshots --json`) or an object (a vz inventory), found a boolean",
        ),
        (
            entry(", \"sise\": 1"),
            "<stdin>:2:47: [0].sise: unknown field `sise` (an inventory entry has id, time, size, sha256, host, paths, tags, path, mtime) (did you mean `size`?)",
        ),
        (
            entry(", \"size\": \"big\""),
            "<stdin>:2:55: [0].size: invalid type: string \"big\", expected u64",
        ),
        (
            "[{\"id\": \"a\", \"time\": \"2025-04-01 02:00\"}]".into(),
            "<stdin>:1:22: [0].time: `2025-04-01 02:00` is not an RFC 3339 time with a UTC offset",
        ),
    ];
    for (input, expected) in &cases {
        let (code, out, err) =
            outcome(vz_backup().args(["check", "--now", NOW]).write_stdin(input.as_str()));
        assert_eq!((code, out.as_str()), (Some(2), ""), "{input:?}: {err}");
        assert!(err.starts_with(&format!("vz-backup: error: {expected}")), "{input:?}:\n{err}");
    }
    // Flags.
    for (args, expected) in [
        (&["--rpo", "26"][..], "invalid value '26' for '--rpo <DURATION>': `26` needs a unit"),
        (&["--rpo", "1x"], "unknown unit `x`"),
        (&["--window", "a week"], "invalid value 'a week' for '--window <DURATION>'"),
        (&["--expect", "dayly"], "`dayly` is not hourly, daily, weekly, auto, none or a duration"),
        (&["--expect", "0s"], "the interval must be longer than zero"),
        (&["--max-shrink", "150"], "`150` is not a percentage from 0 to 100"),
        (&["--size-history", "2"], "invalid value '2' for '--size-history <N>'"),
        (&["--restore-test-max-age", "1month"], "unknown unit `month`"),
        (&["--group-by", "hots"], "--group-by: unknown word `hots` (did you mean `host`?)"),
        (
            &["--restore-ledger", "/nonexistent/l.jsonl"],
            "vz-backup: error: /nonexistent/l.jsonl: no such file or directory",
        ),
        (
            &["/nonexistent/inventory.json"],
            "vz-backup: error: /nonexistent/inventory.json: no such file or directory",
        ),
        (&["--restore-ledger", "-"], "standard input (`-`) can be read only once"),
    ] {
        let (code, out, err) =
            outcome(vz_backup().args(["check", "--now", NOW]).args(args).write_stdin(healthy()));
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}:\n{err}");
    }
    // The ledger: every line located, the field named.
    let ok = r#"{"group": "db", "time": "2025-04-01T00:00:00Z", "result": "success"}"#;
    for (ledger, expected) in [
        (format!("{ok}\nnot json\n"), "l.jsonl:2:1: expected a JSON object {\"group\", \"time\", \"result\"} (a ledger has one per line)"),
        (format!("{ok}\n{{\"group\": \"db\", \"time\""), "l.jsonl:2:22: EOF while parsing an object (the line is cut short; a ledger line is one JSON object)"),
        ("{\"group\": \"db\", \"time\": \"2025-04-01T00:00:00Z\", \"result\": \"success\", \"notes\": \"\"}".into(), "l.jsonl:1:70: notes: unknown field `notes` (a ledger line has group, time, result, id, note) (did you mean `note`?)"),
        ("{\"group\": \"db\", \"time\": \"2025-04-01T00:00:00Z\", \"result\": \"passed\"}".into(), "l.jsonl:1:49: result: unknown variant `passed`, expected `success` or `failure`"),
        ("{\"group\": \"db\", \"time\": \"April 1st\", \"result\": \"success\"}".into(), "l.jsonl:1:17: time: `April 1st` is not an RFC 3339 time"),
        ("{\"time\": \"2025-04-01T00:00:00Z\", \"result\": \"success\"}".into(), "l.jsonl:1:53: missing field `group`"),
        ("{\"group\": 7, \"time\": \"2025-04-01T00:00:00Z\", \"result\": \"success\"}".into(), "l.jsonl:1:2: group: invalid type: integer `7`, expected a string"),
    ] {
        let dir = tree(&[("l.jsonl", ledger.as_str())]);
        let (code, out, err) = outcome(
            vz_backup()
                .current_dir(dir.path())
                .args(["check", "--now", NOW, "--restore-ledger", "l.jsonl"])
                .write_stdin(healthy()),
        );
        assert_eq!((code, out.as_str()), (Some(2), ""), "{ledger:?}: {err}");
        assert!(err.starts_with(&format!("vz-backup: error: {expected}")), "{ledger:?}:\n{err}");
    }
}

#[test]
fn help_documents_examples_and_exit_status() {
    let (code, out, _) = outcome(vz_backup().args(["check", "--help"]));
    assert_eq!(code, Some(0));
    for needle in [
        "Examples:",
        "Exit status:",
        "--rpo",
        "--expect",
        "--max-shrink",
        "--restore-ledger",
        "absolute deviations",
        "1.5 times",
    ] {
        assert!(out.contains(needle), "{needle}");
    }
}

// ---------------------------------------------------------------------------
// scripts/backup-check.sh
// ---------------------------------------------------------------------------

mod script {
    use super::NOW;
    use crate::common::{hermetic, json, outcome, root};
    use std::path::Path;

    /// An hourly series `db_YYYYmmdd_HHMMSS.dump` (UTC) of `hours` files,
    /// the newest `age` hours before NOW (2025-04-10T12:00:00Z).
    fn hourly(dir: &Path, hours: u32, age: u32) {
        assert_eq!(NOW, "2025-04-10T12:00:00Z");
        for h in 0..hours {
            // Hours since 2025-04-01T00:00Z (day 1, hour 0), all in April.
            let t = 9 * 24 + 12 - (age + h);
            let name = format!("db_202504{:02}_{:02}0000.dump", t / 24 + 1, t % 24);
            std::fs::write(dir.join(name), format!("dump {h}")).expect("write");
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn script(args: &[&str], now: &str) -> (Option<i32>, String, String) {
        outcome(
            hermetic("bash")
                .arg(root().join("scripts/backup-check.sh"))
                .args(args)
                .env("VZ_BACKUP", env!("CARGO_BIN_EXE_vz-backup"))
                .env("VZ_NOW", now),
        )
    }

    #[test]
    fn a_healthy_tree_passes_and_writes_three_documents() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (dir, out) = (tmp.path().join("pg"), tmp.path().join("out"));
        std::fs::create_dir(&dir).expect("mkdir");
        hourly(&dir, 30, 0);
        let (d, o) = (dir.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
        let (code, _, err) = script(&["--out", o, d], NOW);
        assert_eq!(code, Some(0), "{err}");
        for f in ["inventory.json", "plan.json", "health.json"] {
            assert!(out.join(f).is_file(), "{f}");
        }
        let health = json(&std::fs::read_to_string(out.join("health.json")).expect("read"));
        assert_eq!(health["verdict"], "pass");
        assert_eq!(health["settings"]["rpo"], "1h");
        // 24 hourly keep 24 of the 30 (the daily, weekly and monthly newest
        // are among them, the oldest is kept by the oldest-snapshot rule).
        let plan = json(&std::fs::read_to_string(out.join("plan.json")).expect("read"));
        assert!(!plan["remove"].as_array().expect("remove").is_empty());
        assert!(err.contains("would remove"), "{err}");
        assert_eq!(names(&dir).len(), 30, "nothing deleted without --delete");
        // The second run verifies the first inventory: a changed file fails it.
        let (code, _, err) = script(&["--out", o, d], NOW);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("unchanged"), "{err}");
        let victim = dir.join(names(&dir)[5].clone());
        std::fs::write(&victim, "corrupt").expect("write");
        let (code, _, err) = script(&["--out", o, d], NOW);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("changed"), "{err}");
    }

    #[test]
    fn a_stale_tree_fails_and_a_tighter_rpo_can_be_set() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (dir, out) = (tmp.path().join("pg"), tmp.path().join("out"));
        std::fs::create_dir(&dir).expect("mkdir");
        hourly(&dir, 10, 3);
        let (d, o) = (dir.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
        let (code, _, err) = script(&["--out", o, d], NOW);
        assert_eq!(code, Some(1), "{err}");
        let health = json(&std::fs::read_to_string(out.join("health.json")).expect("read"));
        assert_eq!(health["verdict"], "fail");
        let (code, _, err) = script(&["--out", o, "--rpo", "4h", "--expect", "none", d], NOW);
        assert_eq!(code, Some(0), "{err}");
    }

    #[test]
    fn delete_removes_exactly_the_planned_files() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (dir, out) = (tmp.path().join("pg"), tmp.path().join("out"));
        std::fs::create_dir(&dir).expect("mkdir");
        hourly(&dir, 40, 0);
        let before = names(&dir);
        let (d, o) = (dir.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
        let (code, _, err) = script(&["--out", o, "--keep-daily", "1", "--delete", d], NOW);
        assert_eq!(code, Some(0), "{err}");
        let plan = json(&std::fs::read_to_string(out.join("plan.json")).expect("read"));
        let removed: Vec<String> = plan["remove"]
            .as_array()
            .expect("remove")
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string())
            .collect();
        assert!(!removed.is_empty());
        let want: Vec<String> = before.into_iter().filter(|n| !removed.contains(n)).collect();
        assert_eq!(names(&dir), want);
        // The next run does not count the deleted files as missing.
        let (code, _, err) = script(&["--out", o, "--keep-daily", "1", d], NOW);
        assert_eq!(code, Some(0), "{err}");
        // A file deleted behind the plan's back is.
        std::fs::remove_file(dir.join(&want[3])).expect("rm");
        let (code, _, err) = script(&["--out", o, "--keep-daily", "1", d], NOW);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn usage_errors_exit_2_and_help_prints_the_header() {
        let tmp = tempfile::tempdir().expect("tmp");
        let t = tmp.path().to_str().expect("utf-8");
        let inside = format!("{t}/out");
        for args in [
            vec![],
            vec![t],
            vec!["--out", t],
            vec!["--out", "/nonexistent-parent/x", "/nonexistent"],
            vec!["--out", &inside, t],
            vec!["--bogus", "--out", "o", t],
            vec!["--out", "o", "--keep-daily", "x", t],
            vec!["--out", "o", t, t],
        ] {
            let (code, _, err) = script(&args, NOW);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(err.contains("usage:") || err.contains("backup-check.sh:"), "{err}");
        }
        let (code, out, _) = script(&["--help"], NOW);
        assert_eq!(code, Some(0));
        assert!(out.starts_with("The nightly backup check"), "{out}");
        assert!(!out.contains("set -euo"), "{out}");
    }
}
