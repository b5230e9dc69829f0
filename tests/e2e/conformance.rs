//! Conformance with the real world: rendered examples against the official
//! Kubernetes schemas (kubernetes-validate, strict) and kubectl itself, and
//! the shared input reader against public manifests nobody here wrote.

use crate::common::{cache, example, require, shared_fixtures, stdout_of, vz_render};
use std::path::{Path, PathBuf};

/// Every environment of every example, rendered with the variables the
/// examples document.
fn renders() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for spec in ["vektagraf/vz.yaml", "veza/vz.yaml"] {
        let path = example(spec);
        let envs = stdout_of(vz_render().arg("--list-environments").arg("-f").arg(&path));
        for line in envs.lines() {
            let env = line.split_whitespace().next().unwrap_or_default().to_string();
            let yaml = stdout_of(
                vz_render()
                    .arg(&env)
                    .arg("-f")
                    .arg(&path)
                    .env("VEKTAGRAF_ACTIVE_COLOR", "blue")
                    .env("VEZA_BACKEND_STABLE_TAG", "v1.0.0"),
            );
            out.push((format!("{spec} {env}"), yaml));
        }
    }
    out
}

fn k8s_versions() -> Vec<String> {
    let file = require(&cache().join("k8s-versions"), "the list of Kubernetes schema versions");
    std::fs::read_to_string(file).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn examples_validate_against_the_kubernetes_schemas_in_strict_mode() {
    let validator =
        require(&cache().join("venv/bin/kubernetes-validate"), "kubernetes-validate (PyPI)");
    let versions = k8s_versions();
    assert!(versions.len() >= 2, "want 1.30 and the newest version, got {versions:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, (name, yaml)) in renders().into_iter().enumerate() {
        let f = dir.path().join(format!("{i}-{}.yaml", name.replace(['/', ' '], "-")));
        std::fs::write(&f, yaml).expect("write");
        files.push(f);
    }
    let mut cmd = std::process::Command::new(validator);
    cmd.arg("--strict").arg("--quiet");
    for v in &versions {
        cmd.arg("-k").arg(v);
    }
    let out = cmd.args(&files).output().expect("kubernetes-validate runs");
    let report =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "kubernetes-validate found problems:\n{report}");
    assert!(!report.contains("ERROR"), "{report}");
}

#[test]
fn kubectl_reads_the_output() {
    let kubectl = which("kubectl").expect(
        "kubectl is not on PATH: install it (Debian: kubernetes-client, or the upstream binary)",
    );
    for (name, yaml) in renders() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("all.yaml"), &yaml).expect("write");
        std::fs::write(dir.path().join("kustomization.yaml"), "resources: [all.yaml]\n")
            .expect("write");
        let out = std::process::Command::new(&kubectl)
            .arg("kustomize")
            .arg(dir.path())
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "{name}: kubectl kustomize failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let count = yaml.matches("\n---\n").count() + 1;
        let back = String::from_utf8_lossy(&out.stdout).matches("\n---\n").count() + 1;
        assert_eq!(back, count, "{name}: kubectl kept every object");
    }
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(bin)).find(|p| p.is_file()))
}

/// The shared reader on every public manifest: it parses or says where it
/// cannot, and never panics.
#[test]
#[allow(clippy::print_stderr)] // the loud SKIPPED line the design asks for
fn the_input_reader_survives_public_manifests() {
    let Some(fixtures) = shared_fixtures() else {
        eprintln!("SKIPPED: ../shared/fixtures is missing; the conformance suite did not run");
        return;
    };
    let mut read = 0;
    let mut refused = Vec::new();
    for entry in walk(&fixtures.join("manifests")) {
        let Some(ext) = entry.extension().and_then(|e| e.to_str()) else { continue };
        if !matches!(ext, "yaml" | "yml" | "json") {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        let name = entry.display().to_string();
        match vz::input::parse_documents(&text, &name, vz::input::Locate::Everything) {
            Ok(docs) => {
                read += 1;
                assert!(
                    docs.iter().all(|d| !vz::input::is_list(&d.value)),
                    "{name}: lists are flattened"
                );
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with(&name), "errors name the file: {msg}");
                refused.push(name);
            }
        }
    }
    assert!(read > 100, "read {read} files");
    // Exactly the files PROVENANCE.md marks UNPARSEABLE (unrendered helm
    // templates, deliberately broken YAML) are refused.
    let provenance =
        std::fs::read_to_string(fixtures.join("manifests/PROVENANCE.md")).unwrap_or_default();
    let unparseable: Vec<&str> = provenance
        .lines()
        .filter(|l| l.contains("UNPARSEABLE"))
        .filter_map(|l| l.split('|').nth(1).map(str::trim))
        .collect();
    assert!(!unparseable.is_empty(), "PROVENANCE.md lists the unparseable fixtures");
    for r in &refused {
        assert!(unparseable.iter().any(|u| r.ends_with(u)), "unexpectedly refused: {r}");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out.sort();
    out
}
