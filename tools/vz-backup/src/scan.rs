//! `scan DIR`: a backup directory walked into a vz inventory.
//!
//! The walk ([`walk`]) is sorted by file name at every level, does not
//! follow symbolic links (they are skipped and counted, as are sockets,
//! FIFOs and devices), and stops at the first entry it cannot read (exit
//! 2, naming it). Every regular file becomes one inventory entry:
//!
//! ```json
//! {"id": "pg/db_20250403_020000.dump", "time": "2025-04-03T02:00:00+02:00",
//!  "size": 1048576, "sha256": "…", "paths": ["pg/db_*.dump"],
//!  "path": "pg/db_20250403_020000.dump", "mtime": "2025-04-03T02:00:07.25+02:00"}
//! ```
//!
//! `id` and `path` are the path relative to DIR (`/`-separated); `time` is
//! the backup time, from the name (`--time-from-name`) or the mtime;
//! `paths` holds the file's series, the group `plan` and `check` use (see
//! [`crate::name`]); `mtime` is the modification time, in `--tz`. The
//! document around the entries is `{"version": 1, "root": DIR (absolute),
//! "created": now, "backups": [...]}`, the shape [`crate::snapshot`] reads.
//!
//! The files are hashed after the walk, on every core ([`crate::hash`]).

use crate::hash::{self, Job};
use crate::name::{self, GroupPattern, TimePattern};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::path::{Path, PathBuf};
use vz::cli::Ctx;
use vz::{Error, Location};
use walkdir::WalkDir;

/// A device and inode: how a file is recognised whatever its path.
pub type FileId = (u64, u64);

/// One regular file found by [`walk`].
#[derive(Clone, Debug)]
pub struct Walked {
    /// The path relative to the root, `/`-separated.
    pub rel: String,
    /// The path to open.
    pub path: PathBuf,
    /// The size when listed.
    pub size: u64,
    /// The modification time.
    pub mtime: Option<Timestamp>,
}

/// What [`walk`] found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files, in walk order (sorted by name at every level).
    pub files: Vec<Walked>,
    /// Symbolic links skipped (never followed).
    pub links: Vec<String>,
    /// Sockets, FIFOs and devices skipped.
    pub special: Vec<String>,
    /// Files skipped because they are `skip` (the output being written).
    pub skipped: Vec<String>,
}

/// The file standard output is written to, when it is a regular file (a
/// scan of `.` into `./inventory.json` must not list its own output).
pub fn stdout_file() -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata("/dev/stdout").ok()?;
        m.is_file().then(|| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The identity of a file from its metadata.
pub fn file_id(m: &std::fs::Metadata) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        None
    }
}

/// Checks that `root` is a directory that can be walked.
pub fn check_root(root: &Path, what: &str) -> Result<(), Error> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io_path(root, e))?;
    if !meta.is_dir() {
        return Err(Error::usage(format!("{}: {what} is not a directory", root.display())));
    }
    Ok(())
}

/// Walks `root` (which must be a directory). `skip` files are left out.
pub fn walk(root: &Path, skip: &[FileId]) -> Result<Walk, Error> {
    let mut out = Walk::default();
    for entry in WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|e| walk_error(e, root))?;
        if entry.depth() == 0 {
            continue;
        }
        let rel = relative(root, entry.path())?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() {
            out.links.push(rel);
            continue;
        }
        if !kind.is_file() {
            out.special.push(rel);
            continue;
        }
        let meta = entry.metadata().map_err(|e| walk_error(e, root))?;
        if file_id(&meta).is_some_and(|id| skip.contains(&id)) {
            out.skipped.push(rel);
            continue;
        }
        let mtime = meta.modified().ok().and_then(|t| Timestamp::try_from(t).ok());
        out.files.push(Walked { rel, path: entry.into_path(), size: meta.len(), mtime });
    }
    Ok(out)
}

fn walk_error(e: walkdir::Error, root: &Path) -> Error {
    let path = e.path().unwrap_or(root).to_path_buf();
    match e.into_io_error() {
        Some(io) => Error::io_path(&path, io),
        None => Error::usage(format!("{}: a directory loop", path.display())),
    }
}

/// `path` relative to `root`, `/`-separated; an error for a name that is
/// not UTF-8 (an inventory is JSON text).
fn relative(root: &Path, path: &Path) -> Result<String, Error> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut parts = Vec::new();
    for c in rel.components() {
        let s = c.as_os_str().to_str().ok_or_else(|| Error::Invalid {
            at: Location::input(path.display().to_string()),
            path: String::new(),
            message: "the file name is not UTF-8, and an inventory holds UTF-8 paths: rename \
                      it, or scan a directory without it"
                .into(),
            suggestion: None,
        })?;
        parts.push(s);
    }
    Ok(parts.join("/"))
}

/// How to scan.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--time-from-name`.
    pub time_from_name: Option<TimePattern>,
    /// `--group-by-name`.
    pub group_by_name: Option<GroupPattern>,
    /// `--tz`: wall clocks in names, and how times are written.
    pub tz: TimeZone,
}

/// A scan: the inventory document.
#[derive(Clone, Debug, Serialize)]
pub struct Inventory {
    /// Always 1.
    pub version: u32,
    /// The directory scanned, absolute.
    pub root: String,
    /// When the scan ran (`--now`).
    pub created: String,
    /// One entry per file.
    pub backups: Vec<Entry>,
}

/// One file of the inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The path relative to the root.
    pub id: String,
    /// The backup time: from the name, or the mtime.
    pub time: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// The series (the group).
    pub paths: Vec<String>,
    /// The path relative to the root (the same as the id).
    pub path: String,
    /// The modification time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<String>,
}

/// Scans `root`.
pub fn scan(root: &Path, opts: &Options, ctx: &Ctx) -> Result<Inventory, Error> {
    check_root(root, "the directory to scan")?;
    let skip: Vec<FileId> = stdout_file().into_iter().collect();
    let walk = walk(root, &skip)?;
    report_skipped(&walk, ctx);
    let jobs: Vec<Job> =
        walk.files.iter().map(|f| Job { path: f.path.clone(), size: f.size }).collect();
    let digests = hash::digest_all(&jobs, false, "scanning");
    let mut entries = Vec::with_capacity(walk.files.len());
    let mut no_time: Vec<&str> = Vec::new();
    let mut no_group: Vec<&str> = Vec::new();
    let mut grew: Vec<&str> = Vec::new();
    for (file, digest) in walk.files.iter().zip(digests) {
        let digest = digest.map_err(|e| Error::io_path(&file.path, e))?;
        if digest.size != file.size {
            grew.push(&file.rel);
        }
        let mtime = file.mtime.map(|t| name::stamp(t, opts.tz.to_offset(t)));
        let found = opts.time_from_name.as_ref().and_then(|p| find_time(p, &file.rel, &opts.tz));
        let time = match (&found, file.mtime) {
            (Some((f, _)), _) => name::stamp(f.instant, f.offset),
            (None, Some(t)) => {
                if opts.time_from_name.is_some() {
                    no_time.push(&file.rel);
                }
                name::stamp(t, opts.tz.to_offset(t))
            }
            (None, None) => {
                return Err(Error::usage(format!(
                    "{}: the file system gives no modification time, and no time was found in \
                     its name (--time-from-name)",
                    file.path.display()
                )));
            }
        };
        let series = match &opts.group_by_name {
            Some(g) => g.series(&file.rel).unwrap_or_else(|| {
                no_group.push(&file.rel);
                name::directory(&file.rel).to_string()
            }),
            None => match &found {
                Some((_, series)) => series.clone(),
                None => name::directory(&file.rel).to_string(),
            },
        };
        entries.push(Entry {
            id: file.rel.clone(),
            time,
            size: digest.size,
            sha256: digest.sha256,
            paths: vec![series],
            path: file.rel.clone(),
            mtime,
        });
    }
    if let Some(p) = &opts.time_from_name {
        let head = format!(
            "{} file(s) with no time matching `{}` in the name: their time is their mtime",
            no_time.len(),
            p.as_str()
        );
        warn_some(ctx, &no_time, &head);
    }
    let head = format!(
        "{} file(s) not matched by --group-by-name: their series is their directory",
        no_group.len()
    );
    warn_some(ctx, &no_group, &head);
    let head = format!(
        "{} file(s) changed size while being read (is a backup still being written?)",
        grew.len()
    );
    warn_some(ctx, &grew, &head);
    let root_abs = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    Ok(Inventory {
        version: 1,
        root: root_abs.display().to_string(),
        created: name::stamp(ctx.now(), jiff::tz::Offset::UTC),
        backups: entries,
    })
}

/// The time in a relative path: in the file name, else in the nearest
/// directory name that has one; and the series (the path with the time
/// replaced by `*`).
fn find_time(p: &TimePattern, rel: &str, tz: &TimeZone) -> Option<(name::Found, String)> {
    let parts: Vec<&str> = rel.split('/').collect();
    for i in (0..parts.len()).rev() {
        if let Some(found) = p.find(parts[i], tz) {
            let mut parts: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            parts[i].replace_range(found.range.clone(), "*");
            return Some((found, parts.join("/")));
        }
    }
    None
}

/// Skipped entries, said once each kind.
pub fn report_skipped(walk: &Walk, ctx: &Ctx) {
    let head = format!("skipped {} symbolic link(s), not followed", walk.links.len());
    warn_some(ctx, &refs(&walk.links), &head);
    let head = format!("skipped {} special file(s) (sockets, FIFOs, devices)", walk.special.len());
    warn_some(ctx, &refs(&walk.special), &head);
    for s in &walk.skipped {
        ctx.note(&format!("{s} is the output being written: skipped"));
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `HEAD: a, b, c, …` as one warning, when there are any.
fn warn_some(ctx: &Ctx, which: &[&str], head: &str) {
    if which.is_empty() {
        return;
    }
    let shown: Vec<&str> = which.iter().take(3).copied().collect();
    let more = if which.len() > 3 { ", …" } else { "" };
    ctx.warn(&format!("{head}: {}{more}", shown.join(", ")));
}

/// The inventory as CSV (the columns the CSV reader takes).
pub fn csv(inv: &Inventory) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::io("<stdout>", std::io::Error::other(e.to_string()));
    w.write_record(["id", "time", "size", "sha256", "paths", "path", "mtime"]).map_err(io)?;
    for e in &inv.backups {
        w.write_record([
            e.id.as_str(),
            &e.time,
            &e.size.to_string(),
            &e.sha256,
            &e.paths.join(";"),
            &e.path,
            e.mtime.as_deref().unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| io(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))
}

/// The inventory for people: one line per file.
pub fn table(inv: &Inventory) -> String {
    let time_w = inv.backups.iter().map(|e| e.time.len()).max().unwrap_or(0);
    let size_w = inv.backups.iter().map(|e| e.size.to_string().len()).max().unwrap_or(0);
    let mut out = format!("{} ({} files)\n", inv.root, inv.backups.len());
    for e in &inv.backups {
        out.push_str(&format!(
            "  {:<time_w$}  {:>size_w$}  {}  {}\n",
            e.time,
            e.size,
            &e.sha256[..12.min(e.sha256.len())],
            e.path
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_come_from_the_name_or_the_nearest_directory() {
        let p = TimePattern::parse("%Y-%m-%d").unwrap();
        let (f, series) = find_time(&p, "2025-04-03/pg/db.dump", &TimeZone::UTC).unwrap();
        assert_eq!(name::stamp(f.instant, f.offset), "2025-04-03T00:00:00Z");
        assert_eq!(series, "*/pg/db.dump");
        let (_, series) = find_time(&p, "2025-04-03/db-2025-04-02.dump", &TimeZone::UTC).unwrap();
        assert_eq!(series, "2025-04-03/db-*.dump");
        assert!(find_time(&p, "pg/db.dump", &TimeZone::UTC).is_none());
    }

    #[test]
    fn walks_sorted_and_skips_links() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b/2", "b/1", "a", "c/d/e"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("a", dir.path().join("link")).unwrap();
        let w = walk(dir.path(), &[]).unwrap();
        let rels: Vec<&str> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["a", "b/1", "b/2", "c/d/e"]);
        #[cfg(unix)]
        assert_eq!(w.links, ["link"]);
    }
}
