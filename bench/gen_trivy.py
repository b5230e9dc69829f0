#!/usr/bin/env python3
"""Writes one Trivy JSON (schema v2) image report of about SIZE_MB megabytes
to stdout, for bench/scan.sh: OS and language results, each vulnerability in
Trivy's full shape (CVSS per source, references, a long description), ids
and packages spread so that most records are distinct findings.

    bench/gen_trivy.py SIZE_MB > report.json
"""
import json
import random
import sys

size = int(sys.argv[1]) * 1_000_000
rnd = random.Random(42)
words = ("buffer overflow heap use after free integer wraparound denial of service crafted input "
         "remote attacker allows may lead to memory corruption via function parsing handling").split()


def vuln(i, pkg, version, eco):
    cve = f"CVE-{2015 + i % 10}-{10000 + i}"
    desc = " ".join(rnd.choice(words) for _ in range(rnd.randint(40, 120)))
    return {
        "VulnerabilityID": cve,
        "VendorIDs": [f"GHSA-{i:04x}-abcd-efgh"[:19]] if eco != "debian" else [],
        "PkgID": f"{pkg}@{version}",
        "PkgName": pkg,
        "PkgIdentifier": {"PURL": f"pkg:{'deb/debian' if eco == 'debian' else eco}/{pkg}@{version}"},
        "InstalledVersion": version,
        "FixedVersion": f"{version}.1" if i % 3 else "",
        "Status": "fixed" if i % 3 else "affected",
        "Layer": {"DiffID": "sha256:" + "%064x" % (i * 7919)},
        "SeveritySource": "nvd",
        "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve.lower()}",
        "DataSource": {"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"},
        "Title": desc[:80] + "...",
        "Description": desc,
        "Severity": rnd.choice(["LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"]),
        "CweIDs": [f"CWE-{rnd.randint(20, 900)}"],
        "VendorSeverity": {"nvd": rnd.randint(1, 4), "redhat": rnd.randint(1, 4)},
        "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8},
                 "redhat": {"V3Vector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "V3Score": 7.8}},
        "References": [f"https://example.org/advisories/{cve}/{k}" for k in range(rnd.randint(2, 8))],
        "PublishedDate": "2021-03-04T22:15:00Z",
        "LastModifiedDate": "2023-11-07T03:31:00Z",
    }


results = []
written = 0
i = 0
while written < size:
    eco = rnd.choice(["debian", "npm", "pypi", "golang"])
    target = "app (debian 12.2)" if eco == "debian" else f"app/{eco}/lock-{len(results)}"
    vulns = []
    for _ in range(200):
        pkg = f"pkg-{i % 5000}"
        v = vuln(i, pkg, f"{1 + i % 7}.{i % 13}.{i % 5}", eco)
        written += len(json.dumps(v))
        vulns.append(v)
        i += 1
    results.append({"Target": target, "Class": "os-pkgs" if eco == "debian" else "lang-pkgs",
                    "Type": "debian" if eco == "debian" else eco, "Vulnerabilities": vulns})

json.dump({"SchemaVersion": 2, "ArtifactName": "registry.example.com/shop/big:1.0",
           "ArtifactType": "container_image",
           "Metadata": {"OS": {"Family": "debian", "Name": "12.2"}, "RepoTags": ["registry.example.com/shop/big:1.0"]},
           "Results": results}, sys.stdout, indent=2)
