//! Links the tools (this package's binaries, not the test binaries) as
//! position-dependent executables on Linux, as Go links kubectl and helm.
//!
//! A position-independent executable is loaded at a random address, so the
//! dynamic loader rewrites every pointer in its read-only data at each
//! start: ~390 KB, ~95 pages copied on write, a third of a small run's page
//! faults. At a fixed address the pointers are written by the linker once.
//! `vz-render production` on the bundled example starts and renders 1.13x
//! faster (272 -> 183 page faults). The shared libraries, the stack and the
//! heap are still placed at random; the tools are safe Rust
//! (`unsafe_code = "forbid"`), which does not lean on address randomisation.
//!
//! Not for a static C runtime (`+crt-static`, as scripts/release.sh builds
//! the release binaries on Linux with glibc, and as musl builds are): rustc
//! chooses how those are linked from the relocation model (static PIE, whose
//! start-up code relocates itself and crashes in an executable linked with
//! `-no-pie`, or with `relocation-model=static`, as release.sh asks, a
//! static executable at a fixed address).
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_crt = features.split(',').any(|f| f == "crt-static");
    if linux && !static_crt {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}
