//! vz-backup scan and verify: whole inventories for small trees, the scan →
//! verify round trip, every single-byte corruption, truncation, deletion,
//! additions, rotating samples, S3 listings (single-part and multipart
//! ETags), and bad input of every class.

use crate::common::{json, outcome, tree, vz_backup};
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Sets a file's modification time (seconds since the epoch).
fn set_mtime(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).expect("open");
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).expect("set mtime");
}

/// 2025-04-05T10:00:00Z.
const MTIME: u64 = 1_743_847_200;

/// A small backup directory: two PostgreSQL dumps named by time, one redis
/// file without a time in its name, one dump in a dated directory.
fn backups() -> tempfile::TempDir {
    let dir = tree(&[
        ("pg/db_20250403_020000.dump", "dump one\n"),
        ("pg/db_20250404_020000.dump", "dump two, longer\n"),
        ("redis/dump.rdb", "REDIS0011"),
        ("2025-04-02/etc.tar", "tar"),
    ]);
    for f in [
        "pg/db_20250403_020000.dump",
        "pg/db_20250404_020000.dump",
        "redis/dump.rdb",
        "2025-04-02/etc.tar",
    ] {
        set_mtime(&dir.path().join(f), MTIME);
    }
    dir
}

const SHA_ONE: &str = "1fb05479fda0963521008a31871629893d8585b98cdf4856bafd9ec9452f8b4c";
const SHA_TWO: &str = "ff3714b85e201ccf4da7a86a270a3700fc3150ee4ce346285ade2dd0aaa54589";
const SHA_REDIS: &str = "aa0c5ee432abdbcd84e07a173d094cb54ea17c2561aa8a43ec9c214338966573";
const SHA_TAR: &str = "90aebae315675cbf04612de4f7d5874850f48e0b8dd82becbeaa47ca93f5ebfb";

fn scan(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = vz_backup();
    cmd.arg("scan").arg(dir).args(["--now", "2025-04-05T12:00:00Z"]).args(args);
    if !args.contains(&"--tz") {
        cmd.args(["--tz", "UTC"]);
    }
    if !args.contains(&"-o") {
        cmd.args(["-o", "json"]);
    }
    outcome(&mut cmd)
}

fn scan_ok(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = scan(dir, args);
    assert_eq!(code, Some(0), "{err}");
    json(&out)
}

/// Writes the scan of `dir` outside it and returns (its directory, its path).
fn inventory_of(dir: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (code, out, err) = scan(dir, args);
    assert_eq!(code, Some(0), "{err}");
    let keep = tempfile::tempdir().expect("temp dir");
    let path = keep.path().join("inventory.json");
    std::fs::write(&path, out).expect("write");
    (keep, path)
}

fn verify(args: &[&OsStr]) -> (Option<i32>, String, String) {
    outcome(vz_backup().args(["verify", "-o", "json"]).args(args))
}

/// `verify` that must work: (exit code, report).
fn verify_report(args: &[&OsStr]) -> (Option<i32>, Value) {
    let (code, out, err) = verify(args);
    assert!(matches!(code, Some(0 | 1)), "{code:?}: {err}");
    (code, json(&out))
}

/// Each file's (path, status) in a verify report.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn os(p: &Path) -> &OsStr {
    p.as_os_str()
}

// ---------------------------------------------------------------------------
// scan
// ---------------------------------------------------------------------------

#[test]
fn a_scan_is_exactly_this() {
    let dir = backups();
    let root = std::path::absolute(dir.path()).expect("absolute").display().to_string();
    let (code, out, err) = scan(dir.path(), &["--time-from-name", "%Y%m%d_%H%M%S"]);
    assert_eq!(code, Some(0), "{err}");
    let mtime = "2025-04-05T10:00:00Z";
    let entry = |id: &str, time: &str, size: u64, sha: &str, series: &str| {
        json!({"id": id, "time": time, "size": size, "sha256": sha, "paths": [series],
               "path": id, "mtime": mtime})
    };
    assert_eq!(
        json(&out),
        json!({
            "version": 1,
            "root": root,
            "created": "2025-04-05T12:00:00Z",
            "backups": [
                entry("2025-04-02/etc.tar", mtime, 3, SHA_TAR, "2025-04-02"),
                entry("pg/db_20250403_020000.dump", "2025-04-03T02:00:00Z", 9, SHA_ONE, "pg/db_*.dump"),
                entry("pg/db_20250404_020000.dump", "2025-04-04T02:00:00Z", 17, SHA_TWO, "pg/db_*.dump"),
                entry("redis/dump.rdb", mtime, 9, SHA_REDIS, "redis"),
            ]
        })
    );
    assert_eq!(
        err,
        "vz-backup: warning: 2 file(s) with no time matching `%Y%m%d_%H%M%S` in the name: their \
         time is their mtime: 2025-04-02/etc.tar, redis/dump.rdb\n\
         vz-backup: scanned 4 files, 38 bytes\n"
    );
}

#[test]
fn times_come_from_names_and_directories_in_the_zone_given() {
    let dir = backups();
    let inv = scan_ok(dir.path(), &["--time-from-name", "%Y-%m-%d", "--tz", "Europe/Berlin"]);
    let times: Vec<(&str, &str, &str)> = inv["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().expect("id"),
                e["time"].as_str().expect("time"),
                e["paths"][0].as_str().expect("series"),
            )
        })
        .collect();
    assert_eq!(
        times,
        [
            // From the directory's name, midnight in Berlin.
            ("2025-04-02/etc.tar", "2025-04-02T00:00:00+02:00", "*/etc.tar"),
            // No match: the mtime, written in Berlin time.
            ("pg/db_20250403_020000.dump", "2025-04-05T12:00:00+02:00", "pg"),
            ("pg/db_20250404_020000.dump", "2025-04-05T12:00:00+02:00", "pg"),
            ("redis/dump.rdb", "2025-04-05T12:00:00+02:00", "redis"),
        ]
    );
    // An offset in the name wins over --tz; %s is a Unix time.
    let dir = tree(&[("a-20250403T0200-0530.sql", "a"), ("b-1743645600.tar", "b")]);
    let inv = scan_ok(dir.path(), &["--time-from-name", "%Y%m%dT%H%M%z"]);
    assert_eq!(inv["backups"][0]["time"], "2025-04-03T02:00:00-05:30");
    let inv = scan_ok(dir.path(), &["--time-from-name", "%s"]);
    assert_eq!(inv["backups"][1]["time"], "2025-04-03T02:00:00Z");
}

#[test]
fn series_from_a_regex() {
    let dir = tree(&[("app-1.tar", "1"), ("app-2.tar", "2"), ("db-1.dump", "3"), ("README", "4")]);
    let (code, out, err) = scan(dir.path(), &["--group-by-name", "^(?P<group>[a-z]+)-"]);
    assert_eq!(code, Some(0), "{err}");
    let inv = json(&out);
    let series: Vec<&str> = inv["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .map(|e| e["paths"][0].as_str().expect("series"))
        .collect();
    assert_eq!(series, ["README", "app", "app", "db"].map(|s| if s == "README" { "." } else { s }));
    assert!(
        err.contains(
            "1 file(s) not matched by --group-by-name: their series is their directory: README"
        ),
        "{err}"
    );
}

#[test]
fn links_and_the_output_file_are_left_out() {
    let dir = tree(&[("a.dump", "a")]);
    std::os::unix::fs::symlink("a.dump", dir.path().join("latest.dump")).expect("symlink");
    // Standard output is a file inside the directory being scanned.
    let out_path = dir.path().join("inventory.json");
    let out_file = std::fs::File::create(&out_path).expect("create");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_vz-backup"))
        .args(["scan", "--now", "2025-04-05T12:00:00Z", "-o", "json"])
        .arg(dir.path())
        .env("TZ", "UTC")
        .stdout(out_file)
        .output()
        .expect("runs");
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    let inv = json(&std::fs::read_to_string(&out_path).expect("read"));
    let ids: Vec<&str> = inv["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["a.dump"]);
    assert!(err.contains("skipped 1 symbolic link(s), not followed: latest.dump"), "{err}");
    assert!(err.contains("inventory.json is the output being written: skipped"), "{err}");
    // …and verify leaves the inventory and the link alone too.
    let (code, report) = verify_report(&[os(&out_path)]);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn csv_inventories_verify_too() {
    let dir = backups();
    let (code, out, err) = scan(dir.path(), &["-o", "csv"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().next(), Some("id,time,size,sha256,paths,path,mtime"), "{out}");
    let keep = tree(&[("inv.csv", out.as_str())]);
    let (code, report) = verify_report(&[os(&keep.path().join("inv.csv")), os(dir.path())]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["format"], "csv");
    assert_eq!(report["summary"]["ok"], 4);
}

#[test]
fn plan_and_check_read_a_scan() {
    let dir = backups();
    let (_keep, inv) = inventory_of(dir.path(), &["--time-from-name", "%Y%m%d_%H%M%S"]);
    let (code, out, err) = outcome(vz_backup().args(["plan", "--keep-last", "1"]).arg(&inv));
    assert_eq!(code, Some(0), "{err}");
    let plan = json(&out);
    let removed: Vec<&str> = plan["remove"]
        .as_array()
        .expect("remove")
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert_eq!(removed, ["pg/db_20250403_020000.dump"]);
}

// ---------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------

#[test]
fn scan_then_verify_is_exactly_this() {
    let dir = backups();
    let (_keep, inv) = inventory_of(dir.path(), &[]);
    let root = std::path::absolute(dir.path()).expect("absolute").display().to_string();
    let (code, out, err) = verify(&[os(&inv)]);
    assert_eq!(code, Some(0), "{err}");
    let ok = |p: &str| json!({"path": p, "status": "ok", "checked": ["exists", "size", "sha256"]});
    assert_eq!(
        json(&out),
        json!({
            "inventory": inv.display().to_string(),
            "format": "inventory",
            "dir": root,
            "verdict": "pass",
            "summary": {"expected": 4, "ok": 4, "changed": 0, "missing": 0, "unexpected": 0,
                        "unreadable": 0, "unavailable": 0},
            "coverage": {
                "slice": "all",
                "content_checked": {"files": 4, "bytes": 38},
                "content_checkable": {"files": 4, "bytes": 38},
                "total": {"files": 4, "bytes": 38},
                "content_unavailable": 0
            },
            "files": [ok("2025-04-02/etc.tar"), ok("pg/db_20250403_020000.dump"),
                      ok("pg/db_20250404_020000.dump"), ok("redis/dump.rdb")]
        })
    );
    assert_eq!(
        err,
        "vz-backup: pass: 4 files: 4 ok, 0 changed, 0 missing, 0 unexpected; contents read: 4 of \
         4 checkable files (38 B, slice all)\n"
    );
}

/// Deterministic bytes for the corruption test.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

#[test]
fn every_single_byte_corruption_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<(String, Vec<u8>)> = [(1, 1), (2, 7), (3, 16)]
        .iter()
        .map(|&(i, n)| (format!("f{i}.bin"), bytes(i, n)))
        .collect();
    for (name, data) in &files {
        std::fs::write(dir.path().join(name), data).expect("write");
    }
    let (_keep, inv) = inventory_of(dir.path(), &[]);
    for (name, data) in &files {
        for pos in 0..data.len() {
            // A different bit each time, and a whole-byte flip.
            for mask in [1u8 << (pos % 8), 0xff] {
                let mut bad = data.clone();
                bad[pos] ^= mask;
                std::fs::write(dir.path().join(name), &bad).expect("write");
                let (code, report) = verify_report(&[os(&inv)]);
                assert_eq!(code, Some(1), "{name}[{pos}] ^ {mask:#x} not found");
                let want: Vec<(String, String)> = files
                    .iter()
                    .map(|(n, _)| (n.clone(), if n == name { "changed" } else { "ok" }.to_string()))
                    .collect();
                assert_eq!(statuses(&report), want);
                let changed = report["files"]
                    .as_array()
                    .expect("files")
                    .iter()
                    .find(|f| f["status"] == "changed")
                    .expect("the changed file");
                assert_eq!(changed["found"]["size"], data.len());
                assert_ne!(changed["found"]["sha256"], changed["expected"]["sha256"]);
            }
        }
        std::fs::write(dir.path().join(name), data).expect("restore");
    }
    let (code, _) = verify_report(&[os(&inv)]);
    assert_eq!(code, Some(0));
}

#[test]
fn truncation_deletion_additions_and_replacements_are_named() {
    let dir = backups();
    let (_keep, inv) = inventory_of(dir.path(), &[]);
    let p = |rel: &str| dir.path().join(rel);
    std::fs::write(p("pg/db_20250404_020000.dump"), "dump two").expect("truncate");
    std::fs::remove_file(p("redis/dump.rdb")).expect("delete");
    std::fs::write(p("pg/db_20250405_020000.dump"), "new").expect("add");
    std::fs::remove_file(p("2025-04-02/etc.tar")).expect("remove");
    std::fs::create_dir(p("2025-04-02/etc.tar")).expect("a directory in its place");
    let (code, out, err) = verify(&[os(&inv)]);
    assert_eq!(code, Some(1), "{err}");
    let report = json(&out);
    assert_eq!(
        statuses(&report),
        pairs(&[
            ("2025-04-02/etc.tar", "changed"),
            ("pg/db_20250403_020000.dump", "ok"),
            ("pg/db_20250404_020000.dump", "changed"),
            ("pg/db_20250405_020000.dump", "unexpected"),
            ("redis/dump.rdb", "missing"),
        ])
    );
    let files = report["files"].as_array().expect("files");
    assert_eq!(
        files[0],
        json!({"path": "2025-04-02/etc.tar", "status": "changed", "checked": ["exists"],
               "reasons": ["it is a directory now, not a regular file"]})
    );
    assert_eq!(
        files[2],
        json!({"path": "pg/db_20250404_020000.dump", "status": "changed",
               "checked": ["exists", "size"], "reasons": ["size 8 bytes, expected 17"],
               "expected": {"size": 17, "sha256": SHA_TWO}, "found": {"size": 8}})
    );
    assert_eq!(
        files[3],
        json!({"path": "pg/db_20250405_020000.dump", "status": "unexpected",
               "reasons": ["the inventory does not name it"], "found": {"size": 3}})
    );
    assert_eq!(
        files[4],
        json!({"path": "redis/dump.rdb", "status": "missing", "reasons": ["no such file"],
               "expected": {"size": 9, "sha256": SHA_REDIS}})
    );
    assert_eq!(
        report["summary"],
        json!({"expected": 4, "ok": 1, "changed": 2, "missing": 1, "unexpected": 1,
               "unreadable": 0, "unavailable": 0})
    );
    assert!(err.contains("vz-backup: missing redis/dump.rdb: no such file\n"), "{err}");
    // The table for people names the same.
    let (code, table, _) = outcome(vz_backup().args(["verify", "-o", "table"]).arg(&inv));
    assert_eq!(code, Some(1));
    assert!(table.contains("  missing     redis/dump.rdb  no such file\n"), "{table}");
}

#[test]
fn samples_rotate_over_every_file_once() {
    let names: Vec<String> = (0..24).map(|i| format!("d/{i:02}.dump")).collect();
    let files: Vec<(&str, String)> =
        names.iter().map(|n| (n.as_str(), format!("content of {n}"))).collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let dir = tree(&refs);
    let (_keep, inv) = inventory_of(dir.path(), &[]);
    let mut seen: Vec<String> = Vec::new();
    for n in 1..=4 {
        let slice = format!("{n}/4");
        let (code, report) = verify_report(&[os(&inv), OsStr::new("--sample"), OsStr::new(&slice)]);
        assert_eq!(code, Some(0));
        assert_eq!(report["coverage"]["slice"], slice.as_str());
        assert_eq!(report["summary"]["ok"], 24, "presence and size: every file, every run");
        let read: Vec<String> = report["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|f| f["checked"].as_array().is_some_and(|c| c.contains(&json!("sha256"))))
            .map(|f| f["path"].as_str().expect("path").to_string())
            .collect();
        assert_eq!(report["coverage"]["content_checked"]["files"], read.len());
        for f in report["files"].as_array().expect("files") {
            if !read.contains(&f["path"].as_str().expect("path").to_string()) {
                assert_eq!(f["content"], format!("not in slice {slice}").as_str());
            }
        }
        seen.extend(read);
    }
    seen.sort();
    assert_eq!(seen, names, "every file read exactly once over 4 runs");
    // A corrupted file is found by its own slice only; the others pass.
    std::fs::write(dir.path().join("d/07.dump"), "content of d/07.dumq").expect("corrupt");
    let failing: Vec<u64> = (1..=4)
        .filter(|n| {
            let slice = format!("{n}/4");
            let (code, _) = verify_report(&[os(&inv), OsStr::new("--sample"), OsStr::new(&slice)]);
            code == Some(1)
        })
        .collect();
    assert_eq!(failing.len(), 1, "{failing:?}");
}

// ---------------------------------------------------------------------------
// S3 listings
// ---------------------------------------------------------------------------

/// `aws s3api list-objects-v2 --bucket vz-backups --prefix pg/` as the CLI
/// v2 prints it: a "folder" marker, two single-part uploads (one with an
/// additional CRC64NVME checksum), one multipart upload, an object the local
/// copy lacks.
const LISTING: &str = r#"{
    "Contents": [
        {
            "Key": "pg/",
            "LastModified": "2025-04-01T08:00:00+00:00",
            "ETag": "\"d41d8cd98f00b204e9800998ecf8427e\"",
            "Size": 0,
            "StorageClass": "STANDARD"
        },
        {
            "Key": "pg/db_20250403_020000.dump",
            "LastModified": "2025-04-03T02:00:11+00:00",
            "ETag": "\"8365a1094835b7260584514c7a3d4024\"",
            "ChecksumAlgorithm": [
                "CRC64NVME"
            ],
            "ChecksumType": "FULL_OBJECT",
            "Size": 9,
            "StorageClass": "STANDARD"
        },
        {
            "Key": "pg/db_20250404_020000.dump",
            "LastModified": "2025-04-04T02:00:09+00:00",
            "ETag": "\"71fdd95d39f85eab2a5721c40c8b6f1f\"",
            "Size": 17,
            "StorageClass": "STANDARD_IA"
        },
        {
            "Key": "pg/db_20250405_020000.dump",
            "LastModified": "2025-04-05T02:00:40+00:00",
            "ETag": "\"5b3e3d3a0d2c6f4e0a8c3c1f9c5e2b7a-2\"",
            "Size": 9,
            "StorageClass": "STANDARD"
        },
        {
            "Key": "pg/globals_20250405.sql",
            "LastModified": "2025-04-05T02:01:02+00:00",
            "ETag": "\"900150983cd24fb0d6963f7d28e17f72\"",
            "Size": 3,
            "StorageClass": "STANDARD"
        }
    ],
    "RequestCharged": null,
    "Prefix": "pg/"
}
"#;

fn s3_copy() -> tempfile::TempDir {
    tree(&[
        ("db_20250403_020000.dump", "dump one\n"),
        ("db_20250404_020000.dump", "dump two, longer\n"),
        ("db_20250405_020000.dump", "REDIS0011"),
        ("listing.json", LISTING),
    ])
}

#[test]
fn s3_etags_are_md5_only_when_provable() {
    let dir = s3_copy();
    let listing = dir.path().join("listing.json");
    // Encryption unknown: sizes only, and why.
    let (code, report) = verify_report(&[os(&listing), os(dir.path())]);
    assert_eq!(code, Some(1), "the missing object fails");
    assert_eq!(report["format"], "s3");
    assert_eq!(
        statuses(&report),
        pairs(&[
            ("db_20250403_020000.dump", "ok"),
            ("db_20250404_020000.dump", "ok"),
            ("db_20250405_020000.dump", "ok"),
            ("globals_20250405.sql", "missing"),
        ])
    );
    let files = report["files"].as_array().expect("files");
    assert_eq!(files[0]["checked"], json!(["exists", "size"]));
    let why = files[0]["content"].as_str().expect("why");
    assert!(
        why.starts_with(
            "single-part ETag, but list-objects-v2 does not say how the object is encrypted"
        ),
        "{why}"
    );
    assert!(why.contains("S3 also keeps a CRC64NVME checksum"), "{why}");
    assert_eq!(
        files[2]["content"],
        "multipart upload (2 parts): the ETag \"5b3e3d3a0d2c6f4e0a8c3c1f9c5e2b7a-2\" is not an MD5 of the object"
    );
    assert_eq!(report["coverage"]["content_checked"]["files"], 0);
    assert_eq!(report["coverage"]["content_unavailable"], 4);

    // SSE-S3 stated: the single-part ETags are MD5s and are compared.
    let (code, report) = verify_report(&[
        os(&listing),
        os(dir.path()),
        OsStr::new("--s3-encryption"),
        OsStr::new("sse-s3"),
    ]);
    assert_eq!(code, Some(1));
    let files = report["files"].as_array().expect("files");
    assert_eq!(
        files[0],
        json!({"path": "db_20250403_020000.dump", "status": "ok", "checked": ["exists", "size", "md5"]})
    );
    assert_eq!(files[1]["checked"], json!(["exists", "size", "md5"]));
    assert_eq!(files[2]["checked"], json!(["exists", "size"]), "multipart: size only");
    assert_eq!(report["coverage"]["content_checked"], json!({"files": 2, "bytes": 26}));

    // A corrupted single-part object is caught by its MD5.
    std::fs::write(dir.path().join("db_20250404_020000.dump"), "dump two, LONGER\n").expect("w");
    let (_, report) = verify_report(&[
        os(&listing),
        os(dir.path()),
        OsStr::new("--s3-encryption"),
        OsStr::new("sse-s3"),
    ]);
    let files = report["files"].as_array().expect("files");
    assert_eq!(files[1]["status"], "changed");
    assert_eq!(files[1]["expected"]["md5"], "71fdd95d39f85eab2a5721c40c8b6f1f");
    // SSE-KMS stated: no ETag is an MD5.
    let (_, report) = verify_report(&[
        os(&listing),
        os(dir.path()),
        OsStr::new("--s3-encryption"),
        OsStr::new("sse-kms"),
    ]);
    assert_eq!(report["files"][1]["status"], "ok");
    assert!(report["files"][1]["content"].as_str().expect("why").starts_with("SSE-KMS"));
}

#[test]
fn s3_listings_feed_check_and_plan() {
    let dir = s3_copy();
    let listing = dir.path().join("listing.json");
    // Grouped by the key's directory, the globals file joins the dumps'
    // series, and it is much smaller than them.
    let (code, out, err) = outcome(
        vz_backup()
            .args(["check", "--now", "2025-04-05T12:00:00Z", "--rpo", "1d", "--expect", "daily"])
            .arg(&listing),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("fail: pg: size: 1 suspiciously small backup(s): pg/globals_20250405.sql"),
        "{err}"
    );
    let health = json(&out);
    assert_eq!(health["inputs"][0]["format"], "s3");
    assert_eq!(health["groups"][0]["name"], "pg");
    assert_eq!(health["groups"][0]["checks"]["rpo"]["verdict"], "pass");
    assert_eq!(health["groups"][0]["checks"]["cadence"]["verdict"], "pass");
    assert_eq!(health["groups"][0]["backups"], 4);
    let (code, out, err) = outcome(vz_backup().args(["plan", "--keep-last", "2"]).arg(&listing));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&out)["remove"].as_array().map(Vec::len), Some(2));
}

#[test]
fn s3_truncated_listings_and_missing_dirs_are_refused() {
    let dir = s3_copy();
    let cut = LISTING.replace(
        "\"Prefix\": \"pg/\"",
        "\"Prefix\": \"pg/\", \"NextToken\": \"eyJDb250aW51YXRpb25Ub2tlbiI6IG51bGx9\"",
    );
    let cut_path = dir.path().join("cut.json");
    std::fs::write(&cut_path, cut).expect("write");
    let (code, out, err) = verify(&[os(&cut_path), os(dir.path())]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("the listing is cut short (IsTruncated, NextToken"), "{err}");
    let (code, out, err) = verify(&[os(&dir.path().join("listing.json"))]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(
        err.contains("is an S3 listing: name the directory that holds the copy to verify"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Bad input: exit 2, where and what on stderr, nothing on stdout
// ---------------------------------------------------------------------------

#[test]
fn scan_bad_input_exits_2_and_writes_nothing() {
    let dir = backups();
    let file = dir.path().join("redis/dump.rdb");
    let cases: Vec<(Vec<&OsStr>, String)> = vec![
        (vec![OsStr::new("/nonexistent/backups")], "vz-backup: error: /nonexistent/backups: no such file or directory\n".into()),
        (vec![os(&file)], format!("vz-backup: error: {}: the directory to scan is not a directory\n", file.display())),
        (vec![os(dir.path()), OsStr::new("--time-from-name"), OsStr::new("backup")], "vz-backup: error: --time-from-name `backup`: it has no % directive; write a strftime pattern such as %Y%m%d_%H%M%S or %Y-%m-%dT%H%M (jiff's strptime)\n".into()),
        (vec![os(dir.path()), OsStr::new("--time-from-name"), OsStr::new("%H%M")], "vz-backup: error: --time-from-name `%H%M`: it does not give a whole date (it needs a year, and a month and a day or a day of the year); write a strftime pattern such as %Y%m%d_%H%M%S or %Y-%m-%dT%H%M (jiff's strptime)\n".into()),
        (vec![os(dir.path()), OsStr::new("--time-from-name"), OsStr::new("%Y%m%d%")], "vz-backup: error: --time-from-name `%Y%m%d%`: it cannot be written".into()),
        (vec![os(dir.path()), OsStr::new("--tz"), OsStr::new("Mars/Olympus")], "vz-backup: error: --tz `Mars/Olympus` is not a time zone (such as Europe/Berlin or UTC)".into()),
        (vec![os(dir.path()), OsStr::new("--group-by-name"), OsStr::new("(db")], "vz-backup: error: --group-by-name `(db` is not a regular expression: error: unclosed group\n".into()),
    ];
    for (args, expected) in &cases {
        let (code, out, err) = outcome(vz_backup().arg("scan").args(args));
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}: {err}");
        assert!(err.starts_with(expected.as_str()), "{args:?}:\n{err}");
    }
}

#[test]
fn verify_bad_input_is_located_and_nothing_is_written() {
    let dir = backups();
    let entry = |extra: &str| {
        format!(
            "{{\"root\": \"/tmp\", \"backups\": [\n  {{\"id\": \"a\", \"time\": \"2025-04-01T02:00:00Z\"{extra}}}\n]}}"
        )
    };
    let restic = r#"[{"time":"2025-04-01T02:00:00Z","tree":"t","paths":["/a"],"hostname":"h","id":"a1","short_id":"a1"}]"#;
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "inv.json:1:1: empty input: expected a vz inventory (from `vz-backup scan`) or `aws s3api list-objects-v2` output"),
        ("hello\nworld\n".into(), "inv.json:1:1: not JSON, and not a CSV inventory"),
        ("{\"backups\": [{\"id\": \"a\",\n \"time\": \"2025".into(), "inv.json:2:14: EOF while parsing a string (the input is cut short)"),
        ("42".into(), "inv.json:1:1: expected an array (`restic snapshots --json`) or an object (a vz inventory), found a number"),
        (entry(", \"sha265\": \"x\""), "inv.json:2:47: backups[0].sha265: unknown field `sha265` (an inventory entry has id, time, size, sha256, host, paths, tags, path, mtime) (did you mean `sha256`?)"),
        (entry(", \"size\": -1"), "inv.json:2:55: backups[0].size: invalid value: integer `-1`, expected u64"),
        (entry(", \"sha256\": \"abc\""), "inv.json:2:57: backups[0].sha256: `abc` is not a SHA-256 checksum (64 hex digits)"),
        (restic.into(), "inv.json is a restic snapshot list, which names no files to re-read"),
        ("[{\"id\": \"a\", \"time\": \"2025-04-01T02:00:00Z\", \"path\": \"a\"}]".into(), "inv.json does not say which directory it describes (no `root`): name it"),
        ("{\"Contents\": [{\"Key\": \"a\", \"Size\": 1}]}".into(), "inv.json:1:15: Contents[0]: missing field `LastModified`"),
        ("{\"Contents\": [{\"Key\": \"a\", \"Size\": \"1\", \"LastModified\": \"2025-04-01T02:00:00Z\"}]}".into(), "inv.json:1:36: Contents[0].Size: invalid type: string \"1\", expected u64"),
    ];
    let keep = tempfile::tempdir().expect("temp dir");
    let inv = keep.path().join("inv.json");
    for (input, expected) in &cases {
        std::fs::write(&inv, input).expect("write");
        let (code, out, err) = outcome(
            vz_backup()
                .current_dir(keep.path())
                .args(["verify", "inv.json"])
                .arg(dir.path())
                .arg("-o")
                .arg("json"),
        );
        // Without DIR for the one case that is about it.
        let (code, out, err) = if expected.contains("no `root`") {
            outcome(vz_backup().current_dir(keep.path()).args(["verify", "inv.json"]))
        } else {
            (code, out, err)
        };
        assert_eq!((code, out.as_str()), (Some(2), ""), "{input:?}: {err}");
        assert!(err.starts_with(&format!("vz-backup: error: {expected}")), "{input:?}:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Missing inventory and directory, bad slices.
    let (_keep, good) = inventory_of(dir.path(), &[]);
    let (code, out, err) = verify(&[OsStr::new("/nonexistent/inv.json")]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (Some(2), "", "vz-backup: error: /nonexistent/inv.json: no such file or directory\n")
    );
    let (code, out, err) = verify(&[os(&good), OsStr::new("/nonexistent/dir")]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (Some(2), "", "vz-backup: error: /nonexistent/dir: no such file or directory\n")
    );
    for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
        let (code, out, err) = verify(&[os(&good), OsStr::new("--sample"), OsStr::new(bad)]);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{bad}");
        assert!(
            err.contains(&format!("`{bad}` is not a slice N/T with 1 <= N <= T")),
            "{bad}: {err}"
        );
    }
}

#[test]
fn help_documents_examples_and_exit_status() {
    for (cmd, needles) in [
        (
            "scan",
            &["Examples:", "Exit status:", "--time-from-name", "%Y%m%d_%H%M%S", "symbolic links"][..],
        ),
        (
            "verify",
            &["Examples:", "Exit status:", "--sample", "--s3-encryption", "multipart", "SSE-KMS"][..],
        ),
    ] {
        let (code, out, _) = outcome(vz_backup().args([cmd, "--help"]));
        assert_eq!(code, Some(0));
        for needle in needles {
            assert!(out.contains(needle), "{cmd}: {needle}");
        }
    }
}
