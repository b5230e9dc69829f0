//! The `vz-render` binary: all of it is in the `vz_render` crate.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vz::cli::main(vz_render::run)
}
