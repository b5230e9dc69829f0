//! The `vz-switch` binary: all of it is in the `vz_switch` crate.
fn main() -> std::process::ExitCode {
    vz::cli::main(vz_switch::run)
}
