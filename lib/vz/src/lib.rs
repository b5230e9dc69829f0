//! What two or more vz tools share, and nothing tool-specific.
//!
//! - [`cli`]: the `main` driver, the shared flags, exit codes, `--generate`.
//! - [`error`]: the [`Error`] type (every error exits 2) and [`Outcome`]
//!   (the "no" answer, exit 1).
//! - [`input`]: stdin or paths, JSON or YAML, multi-document streams and
//!   kubectl `List` objects flattened, every document located.
//! - [`yaml`]: the only module that names the YAML library.
//! - [`fastyaml`]: a faster reader for the block YAML most inputs are,
//!   with the same values and locations; the full parser reads the rest.
//!   [`fastyaml::write`] writes manifests with the library's bytes, faster.
//! - [`jsonloc`]: JSON read with the location of every key and value, in
//!   one pass.
//! - [`sourcemap`]: where each value and key of a document stands, by path,
//!   as the readers record it.
//! - [`json`]: JSON written byte for byte as serde_json writes it, faster.
//! - [`output`]: all-or-nothing writes to standard output.
//! - [`par`]: work spread over every core, results in input order.
//! - [`merge`], [`subst`], [`scalar`], [`path`]: layering configuration.
//! - [`duration`]: `30s`, `5m`, `1h30m`.
//! - [`color`]: colour decided once per stream.
//! - [`secret`]: secrets told from references by name and value.
//! - [`text`]: text on one line, cut, escaped for XML and Markdown, paths
//!   as SARIF URIs.

pub mod cli;
pub mod color;
pub mod duration;
pub mod error;
pub mod fastyaml;
pub mod input;
pub mod json;
pub mod jsonloc;
pub mod merge;
pub mod output;
pub mod par;
pub mod path;
pub mod scalar;
pub mod secret;
pub mod sourcemap;
pub mod subst;
pub mod text;
pub mod yaml;

pub use error::{Error, Location, Outcome};

/// How many threads can run at once (at least 1), asked once per process:
/// `available_parallelism` reads cgroup files on every call.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}
