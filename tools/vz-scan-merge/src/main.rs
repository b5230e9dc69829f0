//! The `vz-scan-merge` binary: all of it is in the `vz_scan_merge` crate.
fn main() -> std::process::ExitCode {
    vz::cli::main(vz_scan_merge::run)
}
