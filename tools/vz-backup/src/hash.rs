//! Checksums of many files, read as streams (a 64 KiB buffer) on every core,
//! with a progress bar on standard error for large jobs when it is a
//! terminal (standard output stays data).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use md5::Md5;
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{ErrorKind, IsTerminal, Read};
use std::path::{Path, PathBuf};

/// The read buffer: large enough to keep the disk busy, small enough for
/// many threads.
pub const BUFFER: usize = 64 * 1024;

/// Progress is drawn only for jobs at least this large (bytes) …
const LARGE_BYTES: u64 = 256 * 1024 * 1024;
/// … or with at least this many files.
const LARGE_FILES: usize = 2_000;

/// What reading one file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    /// The bytes read (the size of the file as it was read).
    pub size: u64,
    /// SHA-256, 64 lowercase hex digits.
    pub sha256: String,
    /// MD5, 32 lowercase hex digits, when asked for.
    pub md5: Option<String>,
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Reads `reader` to its end, hashing as it goes (MD5 too when `md5`).
/// `tick` is told how many bytes each read gave.
pub fn digest_reader(
    reader: &mut impl Read,
    md5: bool,
    tick: &mut impl FnMut(u64),
) -> std::io::Result<Digests> {
    let mut buf = vec![0u8; BUFFER];
    let mut sha = Sha256::new();
    let mut md = md5.then(Md5::new);
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        sha.update(chunk);
        if let Some(m) = md.as_mut() {
            m.update(chunk);
        }
        size += n as u64;
        tick(n as u64);
    }
    Ok(Digests { size, sha256: hex(&sha.finalize()), md5: md.map(|m| hex(&m.finalize())) })
}

/// Hashes one file.
pub fn digest_file(path: &Path, md5: bool, tick: &mut impl FnMut(u64)) -> std::io::Result<Digests> {
    let mut file = File::open(path)?;
    digest_reader(&mut file, md5, tick)
}

/// One file to hash: its path and the size expected (for progress).
#[derive(Clone, Debug)]
pub struct Job {
    /// The file.
    pub path: PathBuf,
    /// Its size when it was listed.
    pub size: u64,
}

/// Hashes every job on all cores (at most one thread per job); the results
/// are in the jobs' order. `what` names the work on the progress bar
/// ("scanning", "verifying").
pub fn digest_all(jobs: &[Job], md5: bool, what: &str) -> Vec<std::io::Result<Digests>> {
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    let bar = progress(jobs.len(), total, what);
    let results = vz::par::map(jobs, 2, |job| {
        digest_file(&job.path, md5, &mut |n| {
            if let Some(b) = &bar {
                b.inc(n);
            }
        })
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    results
}

/// A byte-counting progress bar on standard error, only for large jobs and
/// only when standard error is a terminal.
fn progress(files: usize, bytes: u64, what: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || (bytes < LARGE_BYTES && files < LARGE_FILES) {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr_with_hz(4));
    let style = ProgressStyle::with_template(
        "{prefix} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(format!("vz-backup: {what} {files} files"));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let d = digest_reader(&mut &b""[..], true, &mut |_| {}).unwrap();
        assert_eq!(d.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(d.md5.as_deref(), Some("d41d8cd98f00b204e9800998ecf8427e"));
        let d = digest_reader(&mut &b"abc"[..], false, &mut |_| {}).unwrap();
        assert_eq!(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!((d.size, d.md5), (3, None));
    }

    #[test]
    fn streams_across_buffers() {
        // A text longer than two buffers hashes as one piece.
        let data: Vec<u8> = (0..BUFFER * 2 + 17).map(|i| (i % 251) as u8).collect();
        let mut ticks = 0;
        let d = digest_reader(&mut &data[..], true, &mut |n| ticks += n).unwrap();
        assert_eq!(d.sha256, hex(&Sha256::digest(&data)));
        assert_eq!(d.md5, Some(hex(&Md5::digest(&data))));
        assert_eq!((d.size, ticks), (data.len() as u64, data.len() as u64));
    }

    #[test]
    fn hashes_in_parallel_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let jobs: Vec<Job> = (0..20)
            .map(|i| {
                let path = dir.path().join(format!("f{i}"));
                std::fs::write(&path, format!("file {i}")).unwrap();
                Job { path, size: 6 }
            })
            .collect();
        let mut jobs = jobs;
        jobs.push(Job { path: dir.path().join("missing"), size: 0 });
        let out = digest_all(&jobs, false, "testing");
        for (i, r) in out.iter().take(20).enumerate() {
            let want = hex(&Sha256::digest(format!("file {i}").as_bytes()));
            assert_eq!(r.as_ref().unwrap().sha256, want);
        }
        assert_eq!(out[20].as_ref().unwrap_err().kind(), ErrorKind::NotFound);
    }
}
