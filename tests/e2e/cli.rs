//! What every tool promises at its edges: man pages that match the binary,
//! completions that generate.

use crate::common::{hermetic, root, stdout_of, vz_render};

/// Every tool binary: name and path.
const TOOLS: [(&str, &str); 6] = [
    ("vz-render", env!("CARGO_BIN_EXE_vz-render")),
    ("vz-health", env!("CARGO_BIN_EXE_vz-health")),
    ("vz-switch", env!("CARGO_BIN_EXE_vz-switch")),
    ("vz-scan-merge", env!("CARGO_BIN_EXE_vz-scan-merge")),
    ("vz-backup", env!("CARGO_BIN_EXE_vz-backup")),
    ("vz-comply", env!("CARGO_BIN_EXE_vz-comply")),
];

#[test]
fn the_committed_man_pages_match_the_binaries() {
    for (name, bin) in TOOLS {
        let generated = stdout_of(hermetic(bin).args(["--generate", "man"]));
        let committed =
            std::fs::read_to_string(root().join(format!("man/{name}.1"))).unwrap_or_default();
        assert!(
            generated == committed,
            "man/{name}.1 is out of date: run `make man` and commit the result"
        );
    }
}

#[test]
fn completions_generate_for_every_shell() {
    for (name, bin) in TOOLS {
        for (kind, needle) in [
            ("complete-bash", "complete -F".to_string()),
            ("complete-zsh", format!("#compdef {name}")),
            ("complete-fish", format!("complete -c {name}")),
        ] {
            let out = stdout_of(hermetic(bin).args(["--generate", kind]));
            assert!(out.contains(&needle), "{name} {kind}: {}", &out[..out.len().min(200)]);
        }
    }
}

#[test]
fn version_and_help_go_to_stdout_with_exit_0() {
    for (name, bin) in TOOLS {
        let out = stdout_of(hermetic(bin).arg("--version"));
        assert_eq!(out, format!("{name} {}\n", env!("CARGO_PKG_VERSION")));
        let help = stdout_of(hermetic(bin).arg("--help"));
        assert!(help.contains("Exit status:"), "{name} --help documents exit codes");
    }
}

/// The README's vz-render example spec renders, and the `--explain` output
/// it shows is what the binary prints.
#[test]
fn the_readme_example_is_true() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let spec = readme
        .split("```yaml\n# vz.yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows a vz.yaml");
    let shown = readme
        .split("$ vz-render prod --explain services.api.replicas\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows --explain");
    let spec = format!("# vz.yaml\n{spec}");
    let dir = crate::common::tree(&[("vz.yaml", &spec)]);
    let out = stdout_of(vz_render().current_dir(dir.path()).args([
        "prod",
        "--explain",
        "services.api.replicas",
    ]));
    assert_eq!(out, shown);
    vz_render().current_dir(dir.path()).arg("prod").assert().success();
}

/// build.rs links the tools as position-dependent executables on Linux
/// (ELF type EXEC, not DYN): the loader then rewrites no pointers at start.
#[test]
#[cfg(all(target_os = "linux", not(target_feature = "crt-static")))]
fn the_tools_are_position_dependent_executables() {
    const ET_EXEC: u16 = 2;
    for (name, bin) in TOOLS {
        let elf = std::fs::read(bin).unwrap_or_default();
        let kind = elf.get(16..18).map(|b| u16::from_le_bytes([b[0], b[1]]));
        assert_eq!(kind, Some(ET_EXEC), "{name} is not linked with -no-pie (ELF type {kind:?})");
    }
}
