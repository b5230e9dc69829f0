//! The harness: hermetic commands, fixture paths, temporary directories.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A command with no `VZ_*` variables, no colour forcing, UTC, and a
/// temporary working directory unless one is set.
pub fn hermetic(bin: &str) -> Command {
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("VZ_") || k.starts_with("VEKTAGRAF_") || k.starts_with("VEZA_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env("TZ", "UTC");
    // The tests talk to 127.0.0.1 only: never through a proxy.
    for proxy in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"] {
        cmd.env_remove(proxy).env_remove(proxy.to_ascii_lowercase());
    }
    cmd
}

/// `vz-render`, hermetic.
pub fn vz_render() -> Command {
    hermetic(env!("CARGO_BIN_EXE_vz-render"))
}

/// `vz-health`, hermetic.
pub fn vz_health() -> Command {
    hermetic(env!("CARGO_BIN_EXE_vz-health"))
}

/// `vz-switch`, hermetic.
pub fn vz_switch() -> Command {
    hermetic(env!("CARGO_BIN_EXE_vz-switch"))
}

/// `vz-scan-merge`, hermetic.
pub fn vz_scan_merge() -> Command {
    hermetic(env!("CARGO_BIN_EXE_vz-scan-merge"))
}

/// `vz-backup`, hermetic.
pub fn vz_backup() -> Command {
    hermetic(env!("CARGO_BIN_EXE_vz-backup"))
}

/// `vz-comply`, hermetic.
pub fn vz_comply() -> Command {
    hermetic(env!("CARGO_BIN_EXE_vz-comply"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A file under `examples`.
pub fn example(rel: &str) -> PathBuf {
    root().join("examples").join(rel)
}

/// `../shared/fixtures`, when it exists (it always does in CI).
pub fn shared_fixtures() -> Option<PathBuf> {
    let p = root().join("../shared/fixtures");
    p.is_dir().then_some(p)
}

/// A temporary directory holding `files` (relative path → contents).
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (rel, text) in files {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
    }
    dir
}

/// The test-dependency cache `scripts/test-deps.sh` fills.
pub fn cache() -> PathBuf {
    std::env::var_os("VZ_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/vz")
    })
}

/// A program the tests need, or a failure that says how to install it.
pub fn require(path: &Path, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} is missing at {}: run `scripts/test-deps.sh` (or `make test`, which runs it first)",
        path.display()
    );
    path.to_path_buf()
}

/// Runs `cmd`: (exit code, stdout, stderr), the output as text.
pub fn outcome(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `text` as JSON, or a failure that shows it.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Stdout of a successful run as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}
