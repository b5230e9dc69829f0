//! Writing to standard output: all at once, locked, and only on success. A
//! tool renders its whole answer into memory and calls [`emit`] once, so
//! nothing partial ever reaches `kubectl apply`. A closed pipe (`| head`) is
//! reported as an I/O error that the driver turns into a quiet exit 0.

use crate::error::Error;
use std::io::Write;

/// `value` as indented JSON with one trailing newline: how every tool
/// prints a JSON answer.
pub fn pretty_json(value: &impl serde::Serialize) -> String {
    // Serialising a value made of maps with string keys cannot fail.
    let mut bytes = crate::json::to_vec_pretty(value).unwrap_or_default();
    same_as_serde_json(value, &bytes);
    bytes.push(b'\n');
    // vz::json writes the UTF-8 it is given, and ASCII around it.
    String::from_utf8(bytes).unwrap_or_default()
}

/// In debug builds, that `ours` is what serde_json writes for `value`: the
/// whole test suite proves [`crate::json`] equal to it.
fn same_as_serde_json(value: &impl serde::Serialize, ours: &[u8]) {
    if cfg!(debug_assertions) {
        let theirs = serde_json::to_vec_pretty(value).unwrap_or_default();
        assert!(ours == theirs.as_slice(), "vz::json and serde_json disagree");
    }
}

/// Writes `value` to standard output as [`pretty_json`], serialised
/// straight to it in 64 KiB pieces ([`crate::json`]): a large answer is not
/// held in memory a second time. Serialising cannot fail once the value is
/// built, so this is still all or nothing, short of a closed pipe.
pub fn emit_json(value: &impl serde::Serialize) -> Result<(), Error> {
    if cfg!(debug_assertions) {
        same_as_serde_json(value, &crate::json::to_vec_pretty(value).unwrap_or_default());
    }
    let mut out = std::io::stdout().lock();
    crate::json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}

/// Writes to standard output with `write`, then flushes: for a tool that
/// renders a large answer itself, in pieces of its own (the writer is
/// unbuffered). `write` must fail only with the writer's own errors (a
/// closed pipe), so that the output is still all or nothing.
pub fn emit_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    write(&mut out).and_then(|()| out.flush()).map_err(|e| Error::io("<stdout>", e))
}

/// Writes `bytes` to standard output and flushes.
pub fn emit(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| Error::io("<stdout>", e))
}
