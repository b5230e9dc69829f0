//! The `vz-health` binary: all of it is in the `vz_health` crate.
fn main() -> std::process::ExitCode {
    vz::cli::main(vz_health::run)
}
