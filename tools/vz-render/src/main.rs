//! The `vz-render` binary: all of it is in the `vz_render` crate.
fn main() -> std::process::ExitCode {
    vz::cli::main(vz_render::run)
}
