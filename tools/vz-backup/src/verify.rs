//! `verify INVENTORY [DIR]`: files re-read against an inventory.
//!
//! Every file the inventory names is looked up under DIR (default: the
//! inventory's `root`): missing, not a regular file, a different size, and,
//! when its content is checked, a different SHA-256 (a vz inventory) or MD5
//! (an S3 listing whose ETag provably is one, see [`crate::s3`]) make it
//! fail. Every regular file under DIR that the inventory does not name is
//! unexpected (symbolic links and special files are skipped, as `scan`
//! skips them; so are the inventory itself and the output being written).
//!
//! `--sample N/T` reads the contents of one slice of the files only: those
//! whose path's SHA-256, read as a number (its first 8 bytes, big-endian),
//! is N-1 modulo T; running 1/T … T/T in turn reads every file once (like
//! `restic check --read-data-subset N/T`), and the slices stay put when
//! files come and go. Presence and size are checked for every file.

use crate::hash::{self, Job};
use crate::s3::{self, Content, Encryption};
use crate::scan::{self, FileId};
use crate::snapshot::{self, Snapshot, Source};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use vz::cli::Ctx;
use vz::input::Input;
use vz::{Error, Outcome};

/// `--sample N/T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The slice, 1-based.
    pub n: u64,
    /// The number of slices.
    pub t: u64,
}

impl Sample {
    /// Parses `N/T` with 1 ≤ N ≤ T.
    pub fn parse(s: &str) -> Result<Sample, String> {
        let bad = || {
            format!(
                "`{s}` is not a slice N/T with 1 <= N <= T (e.g. 3/7: the third of seven slices)"
            )
        };
        let (n, t) = s.trim().split_once('/').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        let t: u64 = t.trim().parse().map_err(|_| bad())?;
        if n == 0 || t == 0 || n > t {
            return Err(bad());
        }
        Ok(Sample { n, t })
    }

    /// Whether `path` is in the slice.
    pub fn contains(&self, path: &str) -> bool {
        let h = Sha256::digest(path.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&h[..8]);
        u64::from_be_bytes(first) % self.t == self.n - 1
    }
}

impl std::fmt::Display for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.n, self.t)
    }
}

/// How to verify.
#[derive(Clone, Debug)]
pub struct Options {
    /// The inventory ("-" for standard input).
    pub inventory: String,
    /// The directory; default the inventory's root.
    pub dir: Option<PathBuf>,
    /// The inventory's format.
    pub from: Source,
    /// `--sample`.
    pub sample: Option<Sample>,
    /// `--s3-encryption`.
    pub s3_encryption: Encryption,
    /// `--s3-prefix`: the part of each key to drop to get the path under DIR.
    pub s3_prefix: Option<String>,
}

/// One file that should be there.
#[derive(Clone, Debug)]
struct Expected {
    /// The path as reported (relative to DIR).
    rel: String,
    /// Where to find it; `None` when it cannot be looked up (why in
    /// `content`).
    file: Option<PathBuf>,
    size: Option<u64>,
    sha256: Option<String>,
    md5: Option<String>,
    /// Why the content cannot be checked.
    unavailable: Option<String>,
}

/// Sizes and checksums, expected or found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// Bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// MD5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
}

impl Facts {
    fn is_empty(&self) -> bool {
        *self == Facts::default()
    }
}

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything checked matched.
    Ok,
    /// Its size or checksum differs, or it is no longer a regular file.
    Changed,
    /// It is not there.
    Missing,
    /// It is there and the inventory does not name it.
    Unexpected,
    /// It could not be read.
    Unreadable,
    /// It cannot be looked up (the entry has no usable path).
    Unavailable,
}

impl Status {
    /// Whether this status fails the verification.
    pub fn fails(self) -> bool {
        matches!(self, Status::Changed | Status::Missing | Status::Unexpected | Status::Unreadable)
    }

    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Missing => "missing",
            Status::Unexpected => "unexpected",
            Status::Unreadable => "unreadable",
            Status::Unavailable => "unavailable",
        }
    }
}

/// The report on one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// The path, relative to DIR.
    pub path: String,
    /// The verdict.
    pub status: Status,
    /// What was compared: `exists`, `size`, `sha256`, `md5`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<&'static str>,
    /// Why the content was not read (not in the sample, no checksum, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// What differs, for people.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// What the inventory says (for a file that failed).
    #[serde(skip_serializing_if = "Facts::is_empty")]
    pub expected: Facts,
    /// What is there (for a file that failed).
    #[serde(skip_serializing_if = "Facts::is_empty")]
    pub found: Facts,
}

/// Counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Files the inventory names.
    pub expected: usize,
    /// Status counts.
    pub ok: usize,
    /// ″
    pub changed: usize,
    /// ″
    pub missing: usize,
    /// ″
    pub unexpected: usize,
    /// ″
    pub unreadable: usize,
    /// ″
    pub unavailable: usize,
}

/// Files and bytes.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Amount {
    /// Files.
    pub files: usize,
    /// Bytes (as the inventory gives them).
    pub bytes: u64,
}

/// How much was read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Coverage {
    /// `N/T` under `--sample`, else `all`.
    pub slice: String,
    /// Files whose content was read and compared.
    pub content_checked: Amount,
    /// Files whose content could be checked (a checksum to compare with).
    pub content_checkable: Amount,
    /// Files the inventory names.
    pub total: Amount,
    /// Files whose content cannot be checked (no checksum, or an ETag that
    /// is no MD5).
    pub content_unavailable: usize,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The inventory's name.
    pub inventory: String,
    /// Its format: `inventory`, `csv` or `s3`.
    pub format: &'static str,
    /// The directory verified.
    pub dir: String,
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// Counts by status.
    pub summary: Summary,
    /// What was read.
    pub coverage: Coverage,
    /// Every file, by path.
    pub files: Vec<FileReport>,
}

/// The inventory's `root` (only the object shape has one).
#[derive(Deserialize)]
struct RootOnly {
    #[serde(default)]
    root: Option<String>,
}

/// Runs `verify`.
pub fn verify(opts: &Options, ctx: &Ctx) -> Result<(Report, Outcome), Error> {
    let input = Input::from_arg(&opts.inventory);
    let name = input.name();
    let text = input.read_text()?;
    if text.trim().is_empty() {
        return Err(Error::Parse {
            at: vz::Location::at(&name, 1, 1),
            message: "empty input: expected a vz inventory (from `vz-backup scan`) or \
                      `aws s3api list-objects-v2` output"
                .into(),
        });
    }
    let source = snapshot::detect(&text, &name, opts.from)?;
    let (format, dir, expected, unexpected_scope) = match source {
        Source::S3 => {
            let listing = s3::read(&text, &name)?;
            if listing.truncated() {
                return Err(Error::usage(format!(
                    "{name}: the listing is cut short (IsTruncated, NextToken or \
                     NextContinuationToken): run aws s3api list-objects-v2 without --max-items \
                     or --no-paginate, so the CLI reads every page"
                )));
            }
            let dir = opts.dir.clone().ok_or_else(|| {
                Error::usage(format!(
                    "{name} is an S3 listing: name the directory that holds the copy to verify \
                     (vz-backup verify {} DIR)",
                    opts.inventory
                ))
            })?;
            let (expected, scope) = from_listing(&listing, opts, &dir, ctx);
            ("s3", dir, expected, scope)
        }
        Source::Restic => {
            return Err(Error::usage(format!(
                "{name} is a restic snapshot list, which names no files to re-read: verify a \
                 vz inventory (vz-backup scan) or an S3 listing; for a restic repository, run \
                 restic check --read-data-subset N/T"
            )));
        }
        Source::Borg => {
            return Err(Error::usage(format!(
                "{name} is a borg archive list, which names no files to re-read: verify a \
                 vz inventory (vz-backup scan) or an S3 listing; for a borg repository, run \
                 borg check --verify-data"
            )));
        }
        other => {
            let snapshots = snapshot::read(&text, &name, other)?;
            let root = if text.trim_start().starts_with('{') {
                serde_json::from_str::<RootOnly>(&text).ok().and_then(|r| r.root)
            } else {
                None
            };
            let dir = match (&opts.dir, root) {
                (Some(d), _) => d.clone(),
                (None, Some(r)) => PathBuf::from(r),
                (None, None) => {
                    return Err(Error::usage(format!(
                        "{name} does not say which directory it describes (no `root`): name it \
                         (vz-backup verify {} DIR)",
                        opts.inventory
                    )));
                }
            };
            let format = if other == Source::Csv { "csv" } else { "inventory" };
            (format, dir.clone(), from_inventory(&snapshots, &dir), Scope::default())
        }
    };
    scan::check_root(&dir, "the directory to verify")?;
    let mut skip: Vec<FileId> = scan::stdout_file().into_iter().collect();
    if let Input::Path(p) = &input
        && let Some(id) = std::fs::metadata(p).ok().as_ref().and_then(scan::file_id)
    {
        skip.push(id);
    }
    let walk = scan::walk(&dir, &skip)?;
    scan::report_skipped(&walk, ctx);
    let mut files = check_files(&expected, opts.sample);
    let named: HashSet<&str> = expected.iter().map(|e| e.rel.as_str()).collect();
    for f in &walk.files {
        if !named.contains(f.rel.as_str()) && unexpected_scope.includes(&f.rel) {
            files.push(FileReport {
                path: f.rel.clone(),
                status: Status::Unexpected,
                checked: vec![],
                content: None,
                reasons: vec!["the inventory does not name it".into()],
                expected: Facts::default(),
                found: Facts { size: Some(f.size), ..Facts::default() },
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path).then(a.status.as_str().cmp(b.status.as_str())));
    let report = summarise(&name, format, &dir, opts.sample, &expected, files);
    let outcome = if report.verdict == "pass" { Outcome::Pass } else { Outcome::Fail };
    Ok((report, outcome))
}

/// Which unexpected files count: under an S3 listing's prefix (and only one
/// level deep when it was listed with a delimiter).
#[derive(Clone, Debug, Default)]
struct Scope {
    starts_with: String,
    one_level: bool,
}

impl Scope {
    fn includes(&self, rel: &str) -> bool {
        rel.strip_prefix(self.starts_with.as_str())
            .is_some_and(|rest| !(self.one_level && rest.contains('/')))
    }
}

/// Whether a relative path stays inside the directory.
fn safe_relative(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

fn from_inventory(snapshots: &[Snapshot], dir: &Path) -> Vec<Expected> {
    snapshots
        .iter()
        .map(|s| {
            let Some(path) = s.path.as_deref() else {
                return Expected {
                    rel: s.id.clone(),
                    file: None,
                    size: s.size,
                    sha256: s.sha256.map(|h| h.to_string()),
                    md5: None,
                    unavailable: Some("the entry has no path".into()),
                };
            };
            let inside = Path::new(path).is_absolute() || safe_relative(path);
            Expected {
                rel: path.to_string(),
                file: inside.then(|| dir.join(path)),
                size: s.size,
                sha256: s.sha256.map(|h| h.to_string()),
                md5: None,
                unavailable: if !inside {
                    Some("the path leaves the directory (`..`)".into())
                } else if s.sha256.is_none() {
                    Some("the inventory has no sha256 for it".into())
                } else {
                    None
                },
            }
        })
        .collect()
}

fn from_listing(
    listing: &s3::Listing,
    opts: &Options,
    dir: &Path,
    ctx: &Ctx,
) -> (Vec<Expected>, Scope) {
    // The listing's prefix up to its last `/` is the directory; the rest
    // (`db_` of `pg/db_`) narrows which local files are expected.
    let (strip, narrow) = match (&opts.s3_prefix, &listing.prefix) {
        (Some(p), _) => (p.clone(), String::new()),
        (None, Some(p)) => match p.rfind('/') {
            Some(i) => (p[..=i].to_string(), p[i + 1..].to_string()),
            None => (String::new(), p.clone()),
        },
        (None, None) => (String::new(), String::new()),
    };
    let mut outside = 0;
    let mut out = Vec::new();
    for o in listing.files() {
        let Some(rel) = o.key.strip_prefix(strip.as_str()) else {
            outside += 1;
            continue;
        };
        if rel.is_empty() {
            continue;
        }
        let safe = safe_relative(rel);
        let (md5, unavailable) = match s3::content(o, listing, opts.s3_encryption) {
            _ if !safe => (None, Some("the key is not a plain relative path".to_string())),
            Content::Md5(m) => (Some(m), None),
            Content::Unavailable(why) => (None, Some(why)),
        };
        out.push(Expected {
            rel: rel.to_string(),
            file: safe.then(|| dir.join(rel)),
            size: Some(o.size),
            sha256: None,
            md5,
            unavailable,
        });
    }
    if outside > 0 {
        ctx.warn(&format!(
            "{outside} object(s) have keys outside --s3-prefix `{strip}`: not verified"
        ));
    }
    let scope = Scope { starts_with: narrow, one_level: listing.delimiter.is_some() };
    (out, scope)
}

/// Looks at every expected file, and reads the ones in the sample.
fn check_files(expected: &[Expected], sample: Option<Sample>) -> Vec<FileReport> {
    let mut reports = Vec::with_capacity(expected.len());
    // (report index, what to compare) for the files to read.
    let mut to_read: Vec<(usize, &Expected)> = Vec::new();
    let mut jobs = Vec::new();
    for e in expected {
        let mut r = FileReport {
            path: e.rel.clone(),
            status: Status::Ok,
            checked: vec![],
            content: e.unavailable.clone(),
            reasons: vec![],
            expected: Facts::default(),
            found: Facts::default(),
        };
        let Some(file) = &e.file else {
            r.status = Status::Unavailable;
            reports.push(r);
            continue;
        };
        let meta = match std::fs::symlink_metadata(file) {
            Ok(m) => m,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                r.status = Status::Missing;
                r.reasons.push("no such file".into());
                r.expected = facts(e);
                r.content = None;
                reports.push(r);
                continue;
            }
            Err(err) => {
                r.status = Status::Unreadable;
                r.reasons.push(Error::io_path(file, err).to_string());
                r.content = None;
                reports.push(r);
                continue;
            }
        };
        r.checked.push("exists");
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a directory"
            } else if meta.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "a special file"
            };
            r.status = Status::Changed;
            r.reasons.push(format!("it is {what} now, not a regular file"));
            r.content = None;
            reports.push(r);
            continue;
        }
        if let Some(size) = e.size {
            r.checked.push("size");
            if meta.len() != size {
                r.status = Status::Changed;
                r.reasons.push(format!("size {} bytes, expected {size}", meta.len()));
                r.expected = facts(e);
                r.found.size = Some(meta.len());
                r.content = None;
                reports.push(r);
                continue;
            }
        }
        if e.unavailable.is_none() {
            match sample {
                Some(s) if !s.contains(&e.rel) => {
                    r.content = Some(format!("not in slice {s}"));
                }
                _ => {
                    to_read.push((reports.len(), e));
                    jobs.push(Job { path: file.clone(), size: meta.len() });
                }
            }
        }
        reports.push(r);
    }
    let md5 = to_read.iter().any(|(_, e)| e.md5.is_some());
    let digests = hash::digest_all(&jobs, md5, "verifying");
    for ((i, e), d) in to_read.into_iter().zip(digests) {
        let r = &mut reports[i];
        let d = match d {
            Ok(d) => d,
            Err(err) => {
                r.status = Status::Unreadable;
                let path = e.file.as_deref().unwrap_or(Path::new(&r.path));
                r.reasons.push(Error::io_path(path, err).to_string());
                continue;
            }
        };
        let mut differs = Vec::new();
        if e.size.is_some_and(|s| s != d.size) {
            differs.push(format!("size {} bytes when read, expected {:?}", d.size, e.size));
        }
        if let Some(want) = &e.sha256 {
            r.checked.push("sha256");
            if *want != d.sha256 {
                differs.push(format!("sha256 {}, expected {want}", d.sha256));
            }
        }
        if let (Some(want), Some(got)) = (&e.md5, &d.md5) {
            r.checked.push("md5");
            if want != got {
                differs.push(format!("md5 {got}, expected {want} (the ETag)"));
            }
        }
        if !differs.is_empty() {
            r.status = Status::Changed;
            r.reasons = differs;
            r.expected = facts(e);
            r.found = Facts {
                size: Some(d.size),
                sha256: e.sha256.as_ref().map(|_| d.sha256.clone()),
                md5: e.md5.as_ref().and(d.md5),
            };
        }
    }
    reports
}

fn facts(e: &Expected) -> Facts {
    Facts { size: e.size, sha256: e.sha256.clone(), md5: e.md5.clone() }
}

fn summarise(
    name: &str,
    format: &'static str,
    dir: &Path,
    sample: Option<Sample>,
    expected: &[Expected],
    files: Vec<FileReport>,
) -> Report {
    let mut summary = Summary { expected: expected.len(), ..Summary::default() };
    for f in &files {
        *match f.status {
            Status::Ok => &mut summary.ok,
            Status::Changed => &mut summary.changed,
            Status::Missing => &mut summary.missing,
            Status::Unexpected => &mut summary.unexpected,
            Status::Unreadable => &mut summary.unreadable,
            Status::Unavailable => &mut summary.unavailable,
        } += 1;
    }
    let size_of = |path: &str| expected.iter().find(|e| e.rel == path).and_then(|e| e.size);
    let mut coverage = Coverage {
        slice: sample.map_or_else(|| "all".to_string(), |s| s.to_string()),
        ..Coverage::default()
    };
    for e in expected {
        coverage.total.files += 1;
        coverage.total.bytes += e.size.unwrap_or(0);
        if e.unavailable.is_none() && e.file.is_some() {
            coverage.content_checkable.files += 1;
            coverage.content_checkable.bytes += e.size.unwrap_or(0);
        } else {
            coverage.content_unavailable += 1;
        }
    }
    for f in &files {
        if f.checked.contains(&"sha256") || f.checked.contains(&"md5") {
            coverage.content_checked.files += 1;
            coverage.content_checked.bytes += size_of(&f.path).unwrap_or(0);
        }
    }
    let fail = files.iter().any(|f| f.status.fails());
    Report {
        inventory: name.to_string(),
        format,
        dir: dir.display().to_string(),
        verdict: if fail { "fail" } else { "pass" },
        summary,
        coverage,
        files,
    }
}

/// One line for stderr: the counts and the coverage.
pub fn summary_line(r: &Report) -> String {
    let s = &r.summary;
    let c = &r.coverage;
    let mut line = format!(
        "{}: {} files: {} ok, {} changed, {} missing, {} unexpected",
        r.verdict, s.expected, s.ok, s.changed, s.missing, s.unexpected
    );
    if s.unreadable > 0 {
        line.push_str(&format!(", {} unreadable", s.unreadable));
    }
    line.push_str(&format!(
        "; contents read: {} of {} checkable files ({}, slice {})",
        c.content_checked.files,
        c.content_checkable.files,
        human_bytes(c.content_checked.bytes),
        c.slice
    ));
    if c.content_unavailable > 0 {
        line.push_str(&format!("; {} files' contents cannot be checked", c.content_unavailable));
    }
    line
}

/// The failures, one line each.
pub fn problems(r: &Report) -> Vec<String> {
    r.files
        .iter()
        .filter(|f| f.status.fails())
        .map(|f| format!("{} {}: {}", f.status.as_str(), f.path, f.reasons.join("; ")))
        .collect()
}

/// The report for people.
pub fn table(r: &Report) -> String {
    let mut out = format!("{} against {}\n{}\n", r.inventory, r.dir, summary_line(r));
    for f in &r.files {
        if f.status != Status::Ok {
            let why = if f.reasons.is_empty() {
                f.content.clone().unwrap_or_default()
            } else {
                f.reasons.join("; ")
            };
            out.push_str(&format!("  {:<11} {}  {}\n", f.status.as_str(), f.path, why));
        }
    }
    out
}

/// `1.5 MiB`.
fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)] // display only
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{b} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn samples_parse_and_partition() {
        assert_eq!(Sample::parse("2/7"), Ok(Sample { n: 2, t: 7 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "", "-1/3"] {
            assert!(Sample::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    proptest! {
        /// Every path is in exactly one slice of T.
        #[test]
        fn slices_partition_every_path(path in "[a-z/._-]{1,30}", t in 1u64..20) {
            let hits = (1..=t).filter(|&n| Sample { n, t }.contains(&path)).count();
            prop_assert_eq!(hits, 1);
        }
    }

    #[test]
    fn paths_must_stay_inside() {
        assert!(safe_relative("a/b.dump"));
        assert!(!safe_relative("../b"));
        assert!(!safe_relative("a/../../b"));
        assert!(!safe_relative("/etc/passwd"));
        assert!(!safe_relative(""));
        let scope = Scope { starts_with: "db_".into(), one_level: true };
        assert!(scope.includes("db_1.dump"));
        assert!(!scope.includes("x/db_1.dump"));
        assert!(!scope.includes("db_x/1.dump"));
    }
}
