//! The `vz-scan-merge` binary: all of it is in the `vz_scan_merge` crate.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vz::cli::main(vz_scan_merge::run)
}
