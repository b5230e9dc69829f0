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
