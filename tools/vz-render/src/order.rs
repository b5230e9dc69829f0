//! The order objects are written in: what `kubectl apply -f -` needs first
//! comes first (namespaces, then policy, identity, configuration, storage,
//! RBAC, services, workloads, autoscaling, ingress).
//!
//! The list is helm's install order (`releaseutil.InstallOrder`) with one
//! change the vz issue asks for: the PodDisruptionBudget comes after the
//! HorizontalPodAutoscaler, next to the workload it protects, instead of
//! early with the policies. kubectl does not care either way (a PDB may exist
//! before or after its pods); the issue's order is the contract.
//!
//! Kinds not in the list (custom resources: `Rollout`, `Canary`,
//! `VirtualService`, `ExternalSecret`, …) come last, by kind name, as helm
//! does. Within a kind, objects sort by namespace, then name; remaining ties
//! (the same name in two API groups, or two copies of one object) break on
//! the apiVersion and finally the object's JSON text, so the order is total
//! and the output the same bytes for the same input.

use serde_json::Value;

/// Kinds in install order.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Sorts objects into install order; see the module docs.
pub fn sort(docs: &mut [Value]) {
    docs.sort_by_cached_key(key);
}

/// (rank, unknown kind, namespace, name, apiVersion): total, because the
/// renderer refuses two objects with the same group, kind, namespace and name.
type Key = (usize, String, String, String, String);

fn key(doc: &Value) -> Key {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let kind = text(doc.get("kind"));
    let meta = doc.get("metadata");
    let rank = INSTALL_ORDER.iter().position(|k| *k == kind).unwrap_or(INSTALL_ORDER.len());
    // Known kinds are ordered by rank alone; the kind name orders the unknown ones.
    let kind = if rank < INSTALL_ORDER.len() { String::new() } else { kind };
    (
        rank,
        kind,
        text(meta.and_then(|m| m.get("namespace"))),
        text(meta.and_then(|m| m.get("name"))),
        text(doc.get("apiVersion")),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn obj(kind: &str, name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}})
    }

    /// `Kind/name` of each document, for assertions (shared with render's tests).
    pub(crate) fn names(docs: &[Value]) -> Vec<String> {
        docs.iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d["kind"].as_str().unwrap_or("?"),
                    d["metadata"]["name"].as_str().unwrap_or("?")
                )
            })
            .collect()
    }

    #[test]
    fn follows_the_issue_order() {
        let mut docs = vec![
            obj("Ingress", "a"),
            obj("PodDisruptionBudget", "a"),
            obj("HorizontalPodAutoscaler", "a"),
            obj("Deployment", "a"),
            obj("Service", "a"),
            obj("RoleBinding", "a"),
            obj("Role", "a"),
            obj("PersistentVolumeClaim", "a"),
            obj("ConfigMap", "a"),
            obj("Secret", "a"),
            obj("ServiceAccount", "a"),
            obj("NetworkPolicy", "a"),
            obj("Namespace", "a"),
        ];
        sort(&mut docs);
        assert_eq!(
            names(&docs),
            [
                "Namespace/a",
                "NetworkPolicy/a",
                "ServiceAccount/a",
                "Secret/a",
                "ConfigMap/a",
                "PersistentVolumeClaim/a",
                "Role/a",
                "RoleBinding/a",
                "Service/a",
                "Deployment/a",
                "HorizontalPodAutoscaler/a",
                "PodDisruptionBudget/a",
                "Ingress/a",
            ]
        );
    }

    #[test]
    fn unknown_kinds_last_by_kind_then_namespace_then_name() {
        let mut docs = vec![
            obj("VirtualService", "b"),
            obj("Canary", "z"),
            obj("VirtualService", "a"),
            obj("Ingress", "x"),
            obj("DestinationRule", "a"),
        ];
        docs.push(json!({"apiVersion": "v1", "kind": "Canary", "metadata": {"name": "a", "namespace": "zz"}}));
        sort(&mut docs);
        assert_eq!(
            names(&docs),
            [
                "Ingress/x",
                "Canary/z",
                "Canary/a",
                "DestinationRule/a",
                "VirtualService/a",
                "VirtualService/b"
            ]
        );
    }

    #[test]
    fn api_version_breaks_ties_and_equal_keys_keep_their_order() {
        let a = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"x": 1}});
        let b = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"x": 2}});
        let c = json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "s"}});
        let mut one = vec![b.clone(), c.clone(), a.clone()];
        sort(&mut one);
        // The renderer refuses true duplicates; the sort is stable for them.
        assert_eq!(one, [c.clone(), b.clone(), a.clone()]);
        let mut two = vec![a.clone(), c.clone(), b.clone()];
        sort(&mut two);
        assert_eq!(two, [c, a, b]);
    }

    #[test]
    fn objects_without_kind_do_not_panic() {
        let mut docs = vec![json!("text"), json!({}), obj("Namespace", "n")];
        sort(&mut docs);
        assert_eq!(docs[0]["kind"], "Namespace");
    }
}
