//! vz-comply agrees with checkov on real manifests nobody here wrote
//! (`../shared/fixtures/manifests`, see its PROVENANCE.md).
//!
//! checkov runs once over [`FILES`] (its ~3.5 s start-up paid once), vz-comply
//! once over the same files, so both see the same set of objects (which
//! matters to the NetworkPolicy check). Every failed checkov check whose id a
//! vz rule lists among its aliases (`vz-comply --list-rules -o json`) must be
//! a failed or warning result of that rule on the same object
//! (`Kind.namespace.name`, checkov's resource id), and every failed or
//! warning vz result of an aliased rule must be a failed checkov check of the
//! alias, except the disagreements in [`KNOWN`], each with its reason. An
//! entry of [`KNOWN`] that no longer matches a disagreement fails the test
//! too, so the table stays true.
//!
//! checkov 3.3.30 comes from `scripts/test-deps.sh` (a venv under
//! `$VZ_CACHE/checkov`), or from `$VZ_CHECKOV`. Its sources are cited below
//! by path under `checkov/kubernetes/` in that venv's site-packages.

use crate::common::{cache, hermetic, json, outcome, require, shared_fixtures, vz_comply};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The manifests compared, under `../shared/fixtures/manifests`: every
/// workload kind (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
/// ReplicationController, Job, CronJob, an OpenShift DeploymentConfig, an
/// Argo Rollout), init and ephemeral containers, a `kind: List`, host
/// namespaces, privileged and hardened pods, NetworkPolicies, and the broken
/// ones checkov drops (no metadata, a `{{...}}` name, a Pod with no spec). No
/// two files hold an object with the same kind, namespace and name (the
/// test checks): results are matched on that key.
const FILES: &[&str] = &[
    "checkov-tests/example_AllowPrivilegeEscalation__nginx-app-FAILED.json",
    "checkov-tests/example_DockerSocketVolume__scope-2PASSED-1FAILED.yaml",
    "checkov-tests/example_Requests_Limits__cronjob-request-limit-1FAILED.yaml",
    "checkov-tests/example_SecurityContexts__podPassed-containerFailed.yaml",
    "checkov-tests/example_ShareHost__jenkinsDeployment-PASSED.yaml",
    "checkov-tests/example_ShareHost__memcachedStatefulSet-PASSED.yaml",
    "checkov-tests/graph__resources__faulty_resources__deployment_missing_metadata.yaml",
    "gcp-microservices-demo/release__kubernetes-manifests.yaml",
    "istio/addons__kiali.yaml",
    "istio/bookinfo__platform__kube__bookinfo.yaml",
    "istio/security__spire__spire-quickstart.yaml",
    "k8s-examples/_archived__cockroachdb__cockroachdb-statefulset.yaml",
    "k8s-examples/_archived__meteor__mongo-pod.json",
    "k8s-examples/_archived__storage__vitess__vttablet-pod-template.yaml",
    "k8s-website/application__zookeeper__zookeeper.yaml",
    "k8s-website/pods__security__seccomp__ga__violation-pod.yaml",
    "kube-linter/tests__checks__non-isolated-pod.yaml",
    "kube-linter/tests__checks__restart-policy.yaml",
    "kube-prometheus/grafana-deployment.yaml",
    "kube-prometheus/nodeExporter-daemonset.yaml",
    "kubernetes-goat/hunger-check__deployment.yaml",
    "kubernetes-goat/kube-bench-security__node-job.yaml",
    "kubernetes-goat/system-monitor__deployment.yaml",
    "kubescape-regolibrary/rule-credentials-in-env-var__cronjob-initcontainer-envfrom-secretref__cronjob.yaml",
    "kubesec/score-0-cap-sys-admin.yaml",
    "kubesec/score-0-daemonset-securitycontext-privileged.yaml",
    "kubesec/score-0-dep-seccomp-unconfined-ephemeralcontainer.yaml",
    "kubesec/score-1-pod-automount-sa-set-to-false.yaml",
    "kubesec/score-1-prod-dump.yaml",
    "seeds/s000-argo-rollout.yaml",
    "seeds/s000-deployment.yaml",
    "seeds/s002-vault-injector-pod.yaml",
];

/// Which tool flags an object the other does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Only {
    /// vz-comply fails (or warns) the aliased rule; checkov passes the check
    /// or has no result for the object.
    Vz,
    /// checkov fails the check; vz-comply passes the rule (or finds it not
    /// applicable, or has no result).
    Checkov,
}

/// A documented disagreement.
struct Known {
    only: Only,
    /// checkov ids; empty for every aliased check.
    checks: &'static [&'static str],
    /// `Kind.namespace.name` (namespace `default` when none is set, as
    /// checkov writes it); a trailing `*` matches any rest.
    objects: &'static [&'static str],
    why: &'static str,
}

/// The disagreements, each with its reason.
const KNOWN: &[Known] = &[
    // ---- objects checkov never checks -------------------------------------
    Known {
        only: Only::Vz,
        checks: &[],
        objects: &["Rollout.vektagraf-production.vektagraf-rollout"],
        why: "checkov has no Argo Rollout support: Rollout is in none of its checks' \
              supported kinds (checks/resource/base_container_check.py SUPPORTED_ENTITIES)",
    },
    Known {
        only: Only::Vz,
        checks: &[],
        objects: &["Pod.default.vttablet-{{uid}}"],
        why: "checkov drops a document in which any `name` holds #, { or } \
              (parser/validatior.py K8sValidator._is_name_valid); vz checks the Pod as written",
    },
    Known {
        only: Only::Vz,
        checks: &[],
        objects: &["Deployment.default."],
        why: "checkov drops an object whose metadata is not a mapping \
              (kubernetes_utils.py is_invalid_k8_definition); vz checks this Deployment, \
              whose `metadata:` is null, as one with no name in no namespace",
    },
    Known {
        only: Only::Vz,
        checks: &[],
        objects: &["Pod.default."],
        why: "checkov drops a Pod with neither a spec nor a name \
              (kubernetes_utils.py is_invalid_k8_pod_definition); the seed keeps only its \
              metadata, and vz still checks the namespace and its NetworkPolicy",
    },
    Known {
        only: Only::Vz,
        checks: &["CKV_K8S_21", "CKV_K8S_23", "CKV_K8S_31", "CKV_K8S_38"],
        objects: &["DeploymentConfig.*"],
        why: "these checks list their kinds, and OpenShift's DeploymentConfig is not one \
              (checks/resource/k8s/DefaultNamespace.py, base_root_container_check.py, \
              Seccomp.py, ServiceAccountTokens.py); checkov's container checks do take it",
    },
    Known {
        only: Only::Vz,
        checks: &["CKV_K8S_21"],
        objects: &["NetworkPolicy.*", "PodDisruptionBudget.*"],
        why: "CKV_K8S_21 lists the kinds it checks (checks/resource/k8s/DefaultNamespace.py) \
              and NetworkPolicy and PodDisruptionBudget are not among them; vz's \
              not-default-namespace applies to every namespaced object",
    },
    // ---- the same theme, different semantics -------------------------------
    Known {
        only: Only::Checkov,
        checks: &["CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_43"],
        objects: &[
            "Deployment.default.app1",
            "Deployment.default.dont-fire",
            "DeploymentConfig.default.app2",
            "DeploymentConfig.default.dont-fire",
        ],
        why: "the containers have no image: checkov fails the image checks \
              (ImageTagFixed.py, ImagePullPolicyAlways.py, ImageDigest.py), vz has no image \
              to judge (the API leaves image optional in workload templates so that config \
              management fills it in)",
    },
    Known {
        only: Only::Checkov,
        checks: &["CKV_K8S_31"],
        objects: &["Pod.default.violation-pod"],
        why: "the pod's seccompProfile is Localhost: checkov accepts only RuntimeDefault \
              (checks/resource/k8s/Seccomp.py); vz, like the Pod Security Standards' \
              restricted profile, accepts RuntimeDefault or Localhost",
    },
    Known {
        only: Only::Checkov,
        checks: &["CKV_K8S_31"],
        objects: &[
            "CronJob.default.*-cronjob-*",
            "DaemonSet.default.*-daemonset-*",
            "Deployment.default.*-deployment-*",
            "Job.default.*-job-*",
            "Pod.default.*-pod-*",
            "ReplicaSet.default.*-replicaset-*",
            "ReplicationController.default.*-replicationcontroller-*",
        ],
        why: "these pod specs have no containers: checkov's Seccomp.py falls through to \
              FAILED when no profile is set, vz finds no container to check (not-applicable)",
    },
    Known {
        only: Only::Vz,
        checks: &["CKV_K8S_10", "CKV_K8S_12"],
        objects: &["Deployment.default.system-monitor-deployment"],
        why: "the container sets resources.limits but no resources.requests: checkov returns \
              UNKNOWN (no result) when `requests` is not a mapping (CPURequests.py, \
              MemoryRequests.py); vz fails the missing requests (the scheduler then copies \
              the limits, which vz does not count as a request)",
    },
    // ---- CKV2_K8S_6, the NetworkPolicy graph check --------------------------
    Known {
        only: Only::Vz,
        checks: &["CKV2_K8S_6"],
        objects: &["CronJob.*"],
        why: "checkov makes pods only from spec.template, never from a CronJob's \
              spec.jobTemplate.spec.template (graph_builder/local_graph.py \
              _extract_nested_resources_recursive), so it never checks a CronJob's pods",
    },
    Known {
        only: Only::Vz,
        checks: &["CKV2_K8S_6"],
        objects: &[
            "DaemonSet.default.*-daemonset-*",
            "Deployment.default.*-deployment-*",
            "Job.default.*-job-*",
            "ReplicaSet.default.*-replicaset-*",
            "ReplicationController.default.*-replicationcontroller-*",
            "Job.default.kube-bench-node",
        ],
        why: "checkov makes a pod from a template only when the template's metadata has a \
              name or labels (kubernetes_utils.py is_invalid_k8_pod_definition); these \
              templates have none, so their pods are never checked",
    },
    Known {
        only: Only::Vz,
        checks: &["CKV2_K8S_6"],
        objects: &[
            "Pod.default.dont-fire-pod-always",
            "Pod.default.dont-fire-pod-on-failure",
            "Pod.default.fire-pod-never",
            "Pod.default.security-context-demo",
            "Pod.example.automount-sa-token-set-to-false",
        ],
        why: "checkov connects a NetworkPolicy with matchLabels to every pod that has no \
              labels, and ignores namespaces \
              (graph_builder/graph_components/edge_builders/NetworkPolicyEdgeBuilder.py), so \
              these label-less pods count as selected by kube-linter's two default-namespace \
              policies; vz finds no policy in their namespace whose podSelector matches",
    },
];

fn matches(pattern: &str, object: &str) -> bool {
    // `*` matches any run of characters; everything else is literal.
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().expect("split yields one part");
    let Some(mut tail) = object.strip_prefix(first) else { return false };
    for (i, part) in rest.iter().enumerate() {
        if i == rest.len() - 1 {
            return tail.ends_with(part);
        }
        match tail.find(part) {
            Some(at) => tail = &tail[at + part.len()..],
            None => return false,
        }
    }
    tail.is_empty()
}

fn known(only: Only, check: &str, object: &str) -> Option<usize> {
    KNOWN.iter().position(|k| {
        k.only == only
            && (k.checks.is_empty() || k.checks.contains(&check))
            && k.objects.iter().any(|p| matches(p, object))
    })
}

/// checkov from `$VZ_CHECKOV` or the venv `scripts/test-deps.sh` makes; a
/// failure that says how to install it when it is missing.
fn checkov_binary() -> PathBuf {
    let path = std::env::var_os("VZ_CHECKOV")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache().join("checkov/bin/checkov"));
    require(&path, "checkov 3.3.30 (PyPI)")
}

/// checkov's results: (check id, resource) → (passed, file).
fn run_checkov(files: &[PathBuf]) -> BTreeMap<(String, String), (bool, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = hermetic(checkov_binary().to_str().expect("utf-8 path"));
    cmd.current_dir(dir.path())
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("LOG_LEVEL", "ERROR")
        // DefaultNamespace.py passes everything when HELM_NAMESPACE names another namespace.
        .env_remove("HELM_NAMESPACE")
        .args(["--skip-download", "--framework", "kubernetes", "-o", "json", "--compact"]);
    for f in files {
        cmd.arg("-f").arg(f);
    }
    let (code, out, err) = outcome(&mut cmd);
    assert!(matches!(code, Some(0 | 1)), "checkov exited {code:?}\n{err}");
    let doc = json(&out);
    // One framework gives one report; several give an array of them.
    let report = match &doc {
        Value::Array(reports) => {
            reports.iter().find(|r| r["check_type"] == "kubernetes").cloned().unwrap_or_default()
        }
        _ => doc,
    };
    let mut results = BTreeMap::new();
    let mut homes: BTreeMap<String, String> = BTreeMap::new();
    for (list, passed) in [("passed_checks", true), ("failed_checks", false)] {
        let Some(checks) = report["results"][list].as_array() else { continue };
        for c in checks {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            let (id, resource, file) =
                (field("check_id"), field("resource"), field("file_abs_path"));
            let home = homes.entry(resource.clone()).or_insert_with(|| file.clone());
            assert_eq!(
                *home, file,
                "{resource} is in two files: the comparison keys on kind/namespace/name, \
                 so keep one of them in FILES"
            );
            results.insert((id, resource), (passed, file));
        }
    }
    assert!(!results.is_empty(), "checkov checked nothing:\n{out}\n{err}");
    results
}

/// vz-comply's results: (rule, `Kind.namespace.name`) → (status, messages).
fn run_vz(files: &[PathBuf]) -> BTreeMap<(String, String), (String, String)> {
    let (code, out, err) = outcome(vz_comply().args(files).args(["-o", "json"]));
    assert!(matches!(code, Some(0 | 1)), "vz-comply exited {code:?}\n{err}");
    let mut results = BTreeMap::new();
    for r in json(&out)["results"].as_array().expect("results") {
        let o = &r["object"];
        let ns = o["namespace"].as_str().filter(|n| !n.is_empty()).unwrap_or("default");
        let key = format!(
            "{}.{ns}.{}",
            o["kind"].as_str().unwrap_or_default(),
            o["name"].as_str().unwrap_or_default()
        );
        let messages: Vec<&str> = r["violations"]
            .as_array()
            .map(|v| v.iter().filter_map(|v| v["message"].as_str()).collect())
            .unwrap_or_default();
        let rule = r["rule"].as_str().unwrap_or_default().to_owned();
        let status = r["status"].as_str().unwrap_or_default().to_owned();
        let previous = results.insert((rule.clone(), key.clone()), (status, messages.join("; ")));
        assert!(
            previous.is_none(),
            "{rule} has two results for {key}: the comparison keys on kind/namespace/name, \
             so keep only one file holding it in FILES"
        );
    }
    results
}

/// checkov id → vz rules that list it as an alias.
fn aliases() -> BTreeMap<String, Vec<String>> {
    let (code, out, err) = outcome(vz_comply().args(["--list-rules", "-o", "json"]));
    assert_eq!(code, Some(0), "{err}");
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in json(&out).as_array().expect("rules") {
        for alias in rule["aliases"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if alias.starts_with("CKV_K8S_") || alias.starts_with("CKV2_K8S_") {
                map.entry(alias.to_owned())
                    .or_default()
                    .push(rule["id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    map
}

/// checkov's CKV2_K8S_6 runs on pods, and names the pod of a workload
/// `Pod.<namespace>.<workload name>.<label>-<value>...`: the vz object is
/// the workload the rule was evaluated on whose name is the longest prefix.
fn pod_owner(
    resource: &str,
    rule: &str,
    vz: &BTreeMap<(String, String), (String, String)>,
) -> String {
    let Some(rest) = resource.strip_prefix("Pod.") else { return resource.to_owned() };
    let Some((ns, pod)) = rest.split_once('.') else { return resource.to_owned() };
    if vz.contains_key(&(rule.to_owned(), resource.to_owned())) {
        return resource.to_owned();
    }
    vz.keys()
        .filter(|(r, _)| r == rule)
        .filter_map(|(_, key)| {
            let (kind, rest) = key.split_once('.')?;
            let name = rest.strip_prefix(ns)?.strip_prefix('.')?;
            let owns = pod == name || pod.starts_with(&format!("{name}."));
            (kind != "Pod" && !name.is_empty() && owns).then_some((name.len(), key))
        })
        .max()
        .map_or_else(|| resource.to_owned(), |(_, key)| key.clone())
}

fn flagged(status: &str) -> bool {
    status == "failed" || status == "warning"
}

fn short(file: &str) -> &str {
    file.rsplit_once("manifests/").map_or(file, |(_, f)| f)
}

#[test]
fn vz_comply_flags_what_checkov_flags() {
    // Missing checkov fails the test, with or without the fixtures.
    checkov_binary();
    let Some(fixtures) = shared_fixtures() else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "SKIPPED: ../shared/fixtures is missing; the checkov agreement test did not run"
            );
        }
        return;
    };
    let dir = fixtures.join("manifests");
    let files: Vec<PathBuf> = FILES.iter().map(|f| dir.join(f)).collect();
    for f in &files {
        assert!(Path::new(f).is_file(), "{} is missing", f.display());
    }
    let aliases = aliases();
    assert!(aliases.len() >= 15, "only {} checkov ids are aliased: {aliases:?}", aliases.len());
    let vz = run_vz(&files);
    let ck = run_checkov(&files);

    let mut used = vec![false; KNOWN.len()];
    let mut agreed = 0;
    let mut agreed_ids = BTreeSet::new();
    let mut diff = Vec::new();
    for (id, rules) in &aliases {
        // checkov's results for this id, keyed as vz keys objects.
        let mut theirs: BTreeMap<String, (bool, &str)> = BTreeMap::new();
        for ((cid, resource), (passed, file)) in &ck {
            if cid != id {
                continue;
            }
            for rule in rules {
                let key = if id == "CKV2_K8S_6" {
                    pod_owner(resource, rule, &vz)
                } else {
                    resource.clone()
                };
                theirs.insert(key, (*passed, file));
            }
        }
        for rule in rules {
            for (object, (passed, file)) in &theirs {
                if *passed {
                    continue;
                }
                let ours = vz.get(&(rule.clone(), object.clone()));
                if ours.is_some_and(|(s, _)| flagged(s)) {
                    agreed += 1;
                    agreed_ids.insert(id.clone());
                } else if let Some(i) = known(Only::Checkov, id, object) {
                    used[i] = true;
                } else {
                    let status = ours.map_or("no result", |(s, _)| s.as_str());
                    diff.push(format!(
                        "checkov only  {id} ≠ {rule} ({status})  {object}  [{}]",
                        short(file)
                    ));
                }
            }
            for ((r, object), (status, messages)) in &vz {
                if r != rule || !flagged(status) {
                    continue;
                }
                let other = theirs.get(object);
                if other.is_some_and(|(passed, _)| !passed) {
                    continue;
                }
                if let Some(i) = known(Only::Vz, id, object) {
                    used[i] = true;
                    continue;
                }
                let other = match other {
                    Some((_, file)) => format!("passed [{}]", short(file)),
                    None => "no result".to_owned(),
                };
                diff.push(format!(
                    "vz only       {rule} ({status}) ≠ {id} ({other})  {object}: {messages}"
                ));
            }
        }
    }
    for (k, used) in KNOWN.iter().zip(&used) {
        if !used {
            diff.push(format!(
                "stale KNOWN entry ({:?} only, {:?}, {:?}): no such disagreement any more ({})",
                k.only, k.checks, k.objects, k.why
            ));
        }
    }
    let mut report = String::new();
    for line in &diff {
        let _ = writeln!(report, "  {line}");
    }
    assert!(
        diff.is_empty(),
        "vz-comply and checkov disagree ({agreed} failing (check, object) pairs agreed); \
         fix vz-comply, or document the disagreement in KNOWN with its reason:\n{report}"
    );
    // Not vacuous: most aliased checks fail somewhere in FILES and agree.
    assert!(agreed >= 500, "only {agreed} agreed failures");
    assert!(agreed_ids.len() >= 18, "agreement on only {agreed_ids:?}");
}
