//! What every tool promises at its edges: man pages that match the binary,
//! completions that generate.

use crate::common::{root, stdout_of, vz_render};

#[test]
fn the_committed_man_page_matches_the_binary() {
    let generated = stdout_of(vz_render().args(["--generate", "man"]));
    let committed = std::fs::read_to_string(root().join("man/vz-render.1")).unwrap_or_default();
    assert!(
        generated == committed,
        "man/vz-render.1 is out of date: run `make man` and commit the result"
    );
}

#[test]
fn completions_generate_for_every_shell() {
    for (kind, needle) in [
        ("complete-bash", "complete -F"),
        ("complete-zsh", "#compdef vz-render"),
        ("complete-fish", "complete -c vz-render"),
    ] {
        let out = stdout_of(vz_render().args(["--generate", kind]));
        assert!(out.contains(needle), "{kind}: {}", &out[..out.len().min(200)]);
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
