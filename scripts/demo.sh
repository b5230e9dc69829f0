#!/usr/bin/env bash
# The main job on the bundled examples, with no cluster: render production for
# the Vektagraf app (blue-green) and the Veza platform (four services, canary),
# show what would be applied, show what vz-render refuses, and gate the image's
# scanner reports with vz-scan-merge, and check the rendered manifests with
# vz-comply.
#
#   scripts/demo.sh [DIR-WITH-BINARIES]     (make demo passes target/debug; the default is the release build's)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-$(scripts/release.sh dir)}
render=$bin/vz-render
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
kinds() { grep -E '^kind: ' "$1" | sort | uniq -c | sed 's/^/   /'; }

say "vz-render production -f examples/vektagraf/vz.yaml   (live colour: blue)"
VEKTAGRAF_ACTIVE_COLOR=blue "$render" production -f examples/vektagraf/vz.yaml >"$out/vektagraf.yaml"
printf '%s objects, %s bytes, in install order:\n' "$(grep -c '^---$' "$out/vektagraf.yaml")" "$(wc -c <"$out/vektagraf.yaml")"
grep -E '^(kind|  name): ' "$out/vektagraf.yaml" | paste - - | awk '{printf "   %-24s %s\n", $2, $4}'

say "The new version goes to the idle colour; the active Service still selects the live one"
if ! command -v jq >/dev/null 2>&1; then
    echo "   (install jq to see the selectors)"
else
    VEKTAGRAF_ACTIVE_COLOR=blue "$render" production -f examples/vektagraf/vz.yaml -o json |
        jq -r '.items[] | select(.kind == "Service" or .kind == "Deployment")
               | "   \(.kind)/\(.metadata.name)\tselects \((.spec.selector.matchLabels // .spec.selector) | with_entries(select(.key | startswith("app.kubernetes.io") | not)))"'
fi

say "vz-render production -f examples/veza/vz.yaml   (four services from one file)"
"$render" production -f examples/veza/vz.yaml >"$out/veza.yaml"
kinds "$out/veza.yaml"

say "Where does a value come from?  vz-render production --explain services.app.replicas"
VEKTAGRAF_ACTIVE_COLOR=blue "$render" production -f examples/vektagraf/vz.yaml --explain services.app.replicas | sed 's/^/   /'

say "Bad input gets a clear error, exit 2 and nothing on stdout"
sed 's/^\(      \)tag: .*/&\n\1replica: 3/' examples/vektagraf/vz.yaml >"$out/typo.yaml"
set +e
VEKTAGRAF_ACTIVE_COLOR=blue "$render" production -f "$out/typo.yaml" >"$out/stdout" 2>"$out/stderr"
code=$?
set -e
sed 's/^/   /' "$out/stderr"
printf '   exit %s, %s bytes on stdout\n' "$code" "$(wc -c <"$out/stdout")"

comply=$bin/vz-comply
if [ -x "$comply" ]; then
    say "Compliance of what would be applied: vz-render production | vz-comply --framework pci,gdpr"
    "$comply" "$out/veza.yaml" --environment production --framework pci,gdpr --color never -o table 2>&1 | sed 's/^/   /'
fi

say "Apply it with:  VEKTAGRAF_ACTIVE_COLOR=blue vz-render prod -f examples/vektagraf/vz.yaml | kubectl apply -f -"

merge=$bin/vz-scan-merge
if [ -x "$merge" ]; then
    say "Before it ships: Trivy, Grype and Snyk on the image, merged into one gate (vz-scan-merge)"
    set +e
    (cd examples/scan && "../../$merge" trivy.json grype.json snyk.json --ignore-file .vz-ignore.yaml \
        --fail-on high --color never -o table) 2>&1 | sed 's/^/   /'
    code=${PIPESTATUS[0]}
    set -e
    printf '   exit %s (1: the gate failed: findings at or above high that no one has accepted)\n' "$code"
fi
