//! vz-scan-merge against real scanner reports nobody here wrote
//! (`../shared/fixtures/scans`, see its PROVENANCE.md): every report parses,
//! the documented malformed one is a clear error, the two cross-scanner
//! groups merge as PROVENANCE.md states, and SARIF output validates against
//! the SARIF 2.1.0 schema.

use crate::common::{json, outcome, shared_fixtures, stdout_of, vz_scan_merge};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn scans() -> Option<PathBuf> {
    let dir = shared_fixtures().map(|d| d.join("scans"));
    if dir.is_none() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "SKIPPED: ../shared/fixtures is missing; the scan conformance suite did not run"
            );
        }
    }
    dir
}

fn all_reports(dir: &std::path::Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "sarif"))
        .collect()
}

const MALFORMED: &str = "trivy/dd-legacy-v1-lang-mix.json";
const EMPTY: [&str; 3] = [
    "grype/dd-0.7.0-busybox-no-matches.json",
    "snyk/dd-maven-no-vulns.json",
    "trivy/dd-v2-no-vulns.json",
];

#[test]
fn every_real_report_parses_and_the_malformed_one_is_named() {
    let Some(dir) = scans() else { return };
    let files = all_reports(&dir);
    assert!(files.len() >= 29, "{} reports", files.len());
    for file in files {
        let rel = file.strip_prefix(&dir).expect("under dir").display().to_string();
        let (code, out, err) = outcome(vz_scan_merge().arg(&file).args(["-o", "json"]));
        if rel == MALFORMED {
            assert_eq!((code, out.as_str()), (Some(2), ""), "{rel}");
            assert!(
                err.starts_with(&format!("vz-scan-merge: error: {}:", file.display()))
                    && err.contains("missing field `VulnerabilityID`"),
                "{rel}: {err}"
            );
            continue;
        }
        assert_eq!(code, Some(0), "{rel}: {err}");
        let total = json(&out)["counts"]["total"].as_u64().unwrap_or_default();
        if EMPTY.contains(&rel.as_str()) {
            assert_eq!(total, 0, "{rel}");
        } else {
            assert!(total > 0, "{rel}: no findings");
        }
    }
    // --keep-going merges the malformed file's neighbours.
    let (code, out, err) = outcome(
        vz_scan_merge()
            .arg(dir.join(MALFORMED))
            .arg(dir.join("trivy/dd-v2-teamdojo-image.json"))
            .args(["--keep-going", "-o", "json"]),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(json(&out)["counts"]["total"].as_u64().unwrap_or_default() > 0);
    assert!(err.contains("skipped:") && err.contains("missing field `VulnerabilityID`"), "{err}");
}

/// (id, package, installed) of every finding, and their sources.
fn triples(report: &Value) -> Vec<((String, String, String), Vec<String>)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| {
            let sources: Vec<String> = f["sources"]
                .as_array()
                .expect("sources")
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            let id = f["id"].as_str().unwrap_or_default().to_string();
            let package = f["package"]["name"].as_str().unwrap_or_default().to_string();
            f["installed"]
                .as_array()
                .expect("installed")
                .iter()
                .map(move |v| {
                    (
                        (id.clone(), package.clone(), v.as_str().unwrap_or_default().to_string()),
                        sources.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn node_demo_grype_json_grype_sarif_and_trivy_sarif_agree_on_301_and_snyk_adds_2() {
    let Some(dir) = scans() else { return };
    let three = json(&stdout_of(
        vz_scan_merge()
            .arg(dir.join("grype/vimp-node-demo-0.59.1.json"))
            .arg(dir.join("sarif/vimp-grype-0.59.1-node-demo.sarif"))
            .arg(dir.join("sarif/vimp-trivy-0.38.2-node-demo.sarif"))
            .args(["-o", "json"]),
    ));
    let t = triples(&three);
    assert_eq!(three["counts"]["total"], 301);
    assert_eq!(t.len(), 301);
    assert!(t.iter().all(|(_, s)| s == &["trivy", "grype"]), "every triple seen by both scanners");
    assert_eq!(
        three["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["records"].as_u64().unwrap_or(0))
            .sum::<u64>(),
        903
    );
    let targets: BTreeSet<&str> = three["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["target"]["name"].as_str())
        .collect();
    assert_eq!(targets, BTreeSet::from(["cloudy-build/vulctl/node-demo"]));

    let four = json(&stdout_of(
        vz_scan_merge()
            .arg(dir.join("grype/vimp-node-demo-0.59.1.json"))
            .arg(dir.join("sarif/vimp-grype-0.59.1-node-demo.sarif"))
            .arg(dir.join("sarif/vimp-trivy-0.38.2-node-demo.sarif"))
            .arg(dir.join("snyk/vimp-node-demo-container.json"))
            .args(["-o", "json"]),
    ));
    let t4 = triples(&four);
    assert_eq!(four["counts"]["total"], 303);
    let snyk_only: BTreeSet<(String, String)> = t4
        .iter()
        .filter(|(_, s)| s == &["snyk"])
        .map(|((id, p, _), _)| (id.clone(), p.clone()))
        .collect();
    assert_eq!(
        snyk_only,
        BTreeSet::from([
            ("CVE-2023-0634".to_string(), "login".to_string()),
            ("CVE-2023-0634".to_string(), "passwd".to_string())
        ])
    );
    assert_eq!(t4.iter().filter(|(_, s)| s == &["trivy", "grype", "snyk"]).count(), 301);
    // Snyk's 593 raw records all landed somewhere.
    let snyk_records: usize = 593;
    let total_records: u64 = four["findings"]
        .as_array()
        .expect("f")
        .iter()
        .map(|f| f["records"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total_records, 903 + snyk_records as u64);
    // The scanners rate many of them differently (Snyk follows Debian, Grype's SARIF takes the highest CVSS).
    assert!(!four["disagreements"].as_array().expect("disagreements").is_empty());
}

#[test]
fn redis_trivy_and_snyk_share_73_findings_and_keep_their_own() {
    let Some(dir) = scans() else { return };
    let report = json(&stdout_of(
        vz_scan_merge()
            .arg(dir.join("trivy/vimp-redis-image.json"))
            .arg(dir.join("snyk/vimp-redis-container.json"))
            .args(["-o", "json"]),
    ));
    let t = triples(&report);
    let both = t.iter().filter(|(_, s)| s == &["trivy", "snyk"]).count();
    assert_eq!(both, 73);
    let only = |who: &str| -> BTreeSet<(String, String)> {
        t.iter()
            .filter(|(_, s)| s == &[who])
            .map(|((id, p, _), _)| (id.clone(), p.clone()))
            .collect()
    };
    assert_eq!(
        only("trivy"),
        BTreeSet::from([
            ("CVE-2022-24769".to_string(), "github.com/opencontainers/runc".to_string()),
            ("CVE-2022-29162".to_string(), "github.com/opencontainers/runc".to_string()),
        ])
    );
    assert_eq!(
        only("snyk"),
        BTreeSet::from([
            ("CVE-2022-29526".to_string(), "golang.org/x/sys/unix".to_string()),
            ("CVE-2023-0634".to_string(), "login".to_string()),
            ("CVE-2023-0634".to_string(), "passwd".to_string()),
        ])
    );
}

#[test]
fn sarif_output_of_real_reports_validates_against_the_sarif_schema() {
    let Some(dir) = scans() else { return };
    let schema_path = dir.join("../schemas/sarif-2.1.0.json");
    let schema: Value = json(&std::fs::read_to_string(&schema_path).expect("the SARIF schema"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for group in [
        vec![
            "grype/vimp-node-demo-0.59.1.json",
            "sarif/vimp-trivy-0.38.2-node-demo.sarif",
            "snyk/vimp-node-demo-container.json",
        ],
        vec![
            "trivy/dd-k8s-cluster-eks.json",
            "osv/dd-many-findings.json",
            "npm-audit/dd-npm6-many.json",
            "npm-audit/dd-npm7-many.json",
        ],
        vec![
            "sarif/trivy-0.15.0-sarif-demo.sarif",
            "sarif/snyk-open-source-goof.sarif",
            "grype/dd-0.7.0-defectdojo-django-image.json",
        ],
    ] {
        let mut cmd = vz_scan_merge();
        for f in &group {
            cmd.arg(dir.join(f));
        }
        let sarif = json(&stdout_of(cmd.args(["-o", "sarif"])));
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{group:?}: {errors:#?}");
        assert_eq!(sarif["runs"].as_array().map(Vec::len), Some(1));
    }
}
