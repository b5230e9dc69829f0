//! The `vz-switch` binary: all of it is in the `vz_switch` crate.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vz::cli::main(vz_switch::run)
}
