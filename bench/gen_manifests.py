#!/usr/bin/env python3
"""Writes COUNT Kubernetes objects as multi-document YAML files into OUTDIR,
for bench/comply.sh: the mix a cluster of many small teams would hold
(Deployments, Services, ConfigMaps, Secrets, ServiceAccounts, CronJobs,
Jobs, StatefulSets, DaemonSets, Ingresses, NetworkPolicies,
PodDisruptionBudgets, HorizontalPodAutoscalers), spread over 40 namespaces,
about half of the workloads hardened and half not, so every built-in rule
has objects that pass and objects that fail. Deterministic (seeded).

    bench/gen_manifests.py COUNT OUTDIR [PER_FILE]

Files are OUTDIR/objects-NNNN.yaml with PER_FILE (default 100) objects each;
OUTDIR is created. Prints nothing. Standard library only.
"""
import json
import os
import random
import re
import sys

count = int(sys.argv[1])
outdir = sys.argv[2]
per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 100
rnd = random.Random(6)

TEAMS = [f"team-{i:02d}" for i in range(40)]
IMAGES = ["nginx", "redis", "postgres", "registry.example.com/shop/api", "ghcr.io/acme/worker",
          "busybox", "python", "registry.example.com/shop/web"]
DIGEST = "@sha256:" + "3f" * 32
# Weights of each kind in the mix (a "service" is a Deployment + Service +
# ConfigMap most of the time, so those dominate as they do in real clusters).
MIX = [("Deployment", 22), ("Service", 20), ("ConfigMap", 14), ("Secret", 5), ("ServiceAccount", 5),
       ("CronJob", 6), ("Job", 3), ("StatefulSet", 4), ("DaemonSet", 2), ("Ingress", 7),
       ("NetworkPolicy", 6), ("PodDisruptionBudget", 4), ("HorizontalPodAutoscaler", 2)]
KINDS = [k for k, w in MIX for _ in range(w)]

PLAIN = re.compile(r"^[A-Za-z_/.][A-Za-z0-9_./-]*$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if PLAIN.match(v) and v.lower() not in RESERVED:
        return v
    return json.dumps(v)


def emit(v, indent, out):
    """Block-style YAML for dicts, lists and scalars."""
    pad = "  " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append(f"{pad}{k}:")
                emit(x, indent + 1 if isinstance(x, dict) else indent, out)
            elif isinstance(x, dict):
                out.append(f"{pad}{k}: {{}}")
            elif isinstance(x, list):
                out.append(f"{pad}{k}: []")
            else:
                out.append(f"{pad}{k}: {scalar(x)}")
    else:
        for x in v:
            if isinstance(x, dict) and x:
                sub = []
                emit(x, indent + 1, sub)
                sub[0] = f"{pad}- " + sub[0][len(pad) + 2:]
                out.extend(sub)
            else:
                out.append(f"{pad}- {scalar(x)}")


def meta(name, ns, app, extra=None):
    m = {"name": name, "namespace": ns, "labels": {"app": app, "team": ns}}
    if extra:
        m["annotations"] = extra
    return m


def container(name, hardened):
    image = rnd.choice(IMAGES)
    tag = rnd.choice(["1.27.3", "7.2", "16.4", "v2.14.0", "latest", ""])
    ref = image + (f":{tag}" if tag else "") + (DIGEST if hardened and rnd.random() < 0.6 else "")
    c = {"name": name, "image": ref, "ports": [{"containerPort": rnd.choice([80, 8080, 5432, 6379])}]}
    if rnd.random() < 0.5:
        c["imagePullPolicy"] = rnd.choice(["Always", "IfNotPresent"])
    env = [{"name": "LOG_LEVEL", "value": "info"}]
    if rnd.random() < 0.15:
        env.append({"name": "DB_PASSWORD", "value": "hunter2"})
    else:
        env.append({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}})
    c["env"] = env
    if hardened or rnd.random() < 0.5:
        c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"cpu": "500m", "memory": "256Mi"}}
    if hardened or rnd.random() < 0.4:
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
    if hardened:
        c["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001, "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"}}
    elif rnd.random() < 0.1:
        c["securityContext"] = {"privileged": True}
    return c


def pod_spec(app, hardened, restart=None):
    spec = {}
    if hardened:
        spec["automountServiceAccountToken"] = False
        spec["serviceAccountName"] = app
    elif rnd.random() < 0.05:
        spec["hostNetwork"] = True
    if restart:
        spec["restartPolicy"] = restart
    containers = [container(app, hardened)]
    if rnd.random() < 0.2:
        containers.append(container("sidecar", hardened))
    spec["containers"] = containers
    if rnd.random() < 0.15:
        spec["initContainers"] = [container("migrate", hardened)]
    if not hardened and rnd.random() < 0.05:
        spec["volumes"] = [{"name": "host", "hostPath": {"path": "/var/run/docker.sock"}}]
    return spec


def template(app, ns, hardened, restart=None):
    return {"metadata": {"labels": {"app": app, "team": ns}}, "spec": pod_spec(app, hardened, restart)}


def obj(kind, i):
    ns = TEAMS[i % len(TEAMS)]
    app = f"svc-{i:05d}"
    hardened = rnd.random() < 0.5
    sel = {"matchLabels": {"app": app}}
    if kind == "Deployment":
        t = template(app, ns, hardened)
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"replicas": rnd.choice([1, 2, 3]), "selector": sel, "template": t}}
    if kind == "StatefulSet":
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"serviceName": app, "replicas": 3, "selector": sel, "template": template(app, ns, hardened)}}
    if kind == "DaemonSet":
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"selector": sel, "template": template(app, ns, hardened)}}
    if kind == "Job":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"backoffLimit": 2, "template": template(app, ns, hardened, "Never")}}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"schedule": f"{i % 60} * * * *", "jobTemplate": {
                    "spec": {"template": template(app, ns, hardened, "OnFailure")}}}}
    if kind == "Service":
        return {"apiVersion": "v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]}}
    if kind == "ConfigMap":
        data = {"LOG_LEVEL": "info", "FEATURE_FLAGS": "a,b,c", "config.json": json.dumps({"port": 8080})}
        if rnd.random() < 0.1:
            data["API_TOKEN"] = "sk_live_" + "%024x" % rnd.getrandbits(96)
        return {"apiVersion": "v1", "kind": kind, "metadata": meta(f"{app}-config", ns, app), "data": data}
    if kind == "Secret":
        return {"apiVersion": "v1", "kind": kind, "metadata": meta(f"{app}-db", ns, app), "type": "Opaque",
                "stringData": {"password": "%016x" % rnd.getrandbits(64)}}
    if kind == "ServiceAccount":
        sa = {"apiVersion": "v1", "kind": kind, "metadata": meta(app, ns, app)}
        if hardened:
            sa["automountServiceAccountToken"] = False
        return sa
    if kind == "Ingress":
        spec = {"ingressClassName": "nginx", "rules": [{"host": f"{app}.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}
        if hardened:
            spec["tls"] = [{"hosts": [f"{app}.example.com"], "secretName": f"{app}-tls"}]
        return {"apiVersion": "networking.k8s.io/v1", "kind": kind, "metadata": meta(app, ns, app),
                "spec": spec}
    if kind == "NetworkPolicy":
        selector = {} if rnd.random() < 0.3 else {"matchLabels": {"app": f"svc-{(i + 1):05d}"}}
        return {"apiVersion": "networking.k8s.io/v1", "kind": kind, "metadata": meta(f"{app}-np", ns, app),
                "spec": {"podSelector": selector, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"podSelector": {"matchLabels": {"team": ns}}}]}]}}
    if kind == "PodDisruptionBudget":
        return {"apiVersion": "policy/v1", "kind": kind, "metadata": meta(f"{app}-pdb", ns, app),
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": f"svc-{(i - 1):05d}"}}}}
    if kind == "HorizontalPodAutoscaler":
        return {"apiVersion": "autoscaling/v2", "kind": kind, "metadata": meta(app, ns, app),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                         "minReplicas": rnd.choice([1, 2, 3]), "maxReplicas": 10}}
    raise ValueError(kind)


os.makedirs(outdir, exist_ok=True)
for f in range(0, count, per_file):
    docs = []
    for i in range(f, min(f + per_file, count)):
        lines = []
        emit(obj(rnd.choice(KINDS), i), 0, lines)
        docs.append("\n".join(lines) + "\n")
    with open(os.path.join(outdir, f"objects-{f // per_file:04d}.yaml"), "w") as out:
        out.write("---\n".join(docs))
