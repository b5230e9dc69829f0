#!/usr/bin/env bash
# The vz-render benchmarks (`make bench`): one run, one report.
#
#   bench/run.sh                     # installs helm + hyperfine, builds, measures
#   VZ_RENDER=path/to/vz-render bench/run.sh    # measure that binary, no build
#
# Targets:
#   (a) vz-render production on examples/vektagraf is >= 20x faster than
#       `helm template` on the equivalent chart (bench/helm/vektagraf)
#   (b) 500 services (~4,000 objects) render in < 0.5 s
#   (c) `vz-render --version` takes <= 2 ms (median)
#
# Timings are hyperfine medians (--warmup 3); the raw JSON is kept in
# $BENCH_OUT (default target/bench). A missed target is reported as MISS and
# the script still exits 0: this is a report, not a gate. It exits 1 only when
# something could not be measured (a command failed, a tool is missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VZ_CACHE=${VZ_CACHE:-$HOME/.cache/vz}
HELM=$VZ_CACHE/bin/helm
OUT=${BENCH_OUT:-$ROOT/target/bench}
SERVICES=${BENCH_SERVICES:-500}

# Targets (kept here, in one place).
TARGET_HELM_RATIO=20   # (a) at least this many times faster than helm
TARGET_SCALE_MS=500    # (b) 4,000 objects under this
TARGET_VERSION_MS=2    # (c) --version at most this
TARGET_REJECT_MS=1000  # (d) an alias bomb and 10,000-deep nesting are refused within this

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

cd "$ROOT"
mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# Dependencies and the binary.
# ---------------------------------------------------------------------------
"$ROOT/scripts/bench-deps.sh" >&2
need jq

vz_binary vz-render

# ---------------------------------------------------------------------------
# Inputs.
# ---------------------------------------------------------------------------
VEKTAGRAF_SPEC=examples/vektagraf/vz.yaml
CHART=bench/helm/vektagraf
CHART_VALUES=$CHART/values-production.yaml
SCALE_SPEC=$OUT/services-$SERVICES.yaml

# vz-render reads the live colour from the environment; helm gets the same
# value with --set. Keep helm's state out of the user's home.
export VEKTAGRAF_ACTIVE_COLOR=blue
export HELM_CACHE_HOME=$OUT/helm/cache HELM_CONFIG_HOME=$OUT/helm/config HELM_DATA_HOME=$OUT/helm/data

"$ROOT/bench/gen-services.sh" "$SERVICES" "$SCALE_SPEC"

# Hostile inputs: an alias bomb (10^13 nodes if expanded) and 10,000-deep nesting.
BOMB_SPEC=$OUT/alias-bomb.yaml
DEEP_SPEC=$OUT/deep.yaml
{
    printf 'a: &a [x, x, x, x, x, x, x, x, x, x]\n'
    prev=a
    for cur in b c d e f g h i j k l m; do
        printf '%s: &%s [' "$cur" "$cur"
        for _ in 1 2 3 4 5 6 7 8 9; do printf '*%s, ' "$prev"; done
        printf '*%s]\n' "$prev"
        prev=$cur
    done
} >"$BOMB_SPEC"
{
    printf 'app: a\nvalues: '
    head -c 10000 /dev/zero | tr '\0' '['
    head -c 10000 /dev/zero | tr '\0' ']'
    printf '\n'
} >"$DEEP_SPEC"

# Commands as hyperfine runs them (-N: no shell in between, so a 1 ms
# command is not measured as a shell start-up). %q keeps odd paths intact.
printf -v CMD_VZ '%q production -f %q' "$VZ" "$VEKTAGRAF_SPEC"
printf -v CMD_HELM '%q template vektagraf %q -f %q --set strategy.activeColor=%q' \
    "$HELM" "$CHART" "$CHART_VALUES" "$VEKTAGRAF_ACTIVE_COLOR"
printf -v CMD_SCALE '%q production -f %q' "$VZ" "$SCALE_SPEC"
printf -v CMD_VERSION '%q --version' "$VZ"
printf -v CMD_BOMB '%q production -f %q' "$VZ" "$BOMB_SPEC"
printf -v CMD_DEEP '%q production -f %q' "$VZ" "$DEEP_SPEC"

# Every command must work before it is timed, and render what it should.
check() { # NAME, then the command
    local name=$1 err
    shift
    err=$OUT/check.err
    if ! "$@" >"$OUT/check.out" 2>"$err"; then
        sed 's/^/  /' "$err" >&2
        die "$name failed: $*"
    fi
}
count_docs() { # objects in a multi-document YAML stream
    grep -c '^kind:' "$1" || true
}
check "vz-render (vektagraf)" "$VZ" production -f "$VEKTAGRAF_SPEC"
vz_objects=$(count_docs "$OUT/check.out")
check "helm template (vektagraf)" "$HELM" template vektagraf "$CHART" -f "$CHART_VALUES" \
    --set "strategy.activeColor=$VEKTAGRAF_ACTIVE_COLOR"
helm_objects=$(count_docs "$OUT/check.out")
check "vz-render ($SERVICES services)" "$VZ" production -f "$SCALE_SPEC"
scale_objects=$(count_docs "$OUT/check.out")
check "vz-render --version" "$VZ" --version
vz_version=$(head -n 1 "$OUT/check.out")
rm -f "$OUT/check.out" "$OUT/check.err"

log "vektagraf production: vz-render renders $vz_objects objects, helm template $helm_objects"
log "$SERVICES services: vz-render renders $scale_objects objects"

# ---------------------------------------------------------------------------
# Measurements.
# ---------------------------------------------------------------------------
hf() { # JSON-FILE, then hyperfine arguments
    local json=$1
    shift
    hyperfine -N --warmup 3 --style basic --export-json "$json" "$@" >&2
}

log "(a) vz-render vs helm template"
hf "$OUT/vektagraf.json" \
    --command-name "vz-render production" "$CMD_VZ" \
    --command-name "helm template" "$CMD_HELM"
log "(b) $SERVICES services"
hf "$OUT/scale.json" --command-name "vz-render $SERVICES services" "$CMD_SCALE"
log "(c) --version"
hf "$OUT/version.json" --min-runs 50 --command-name "vz-render --version" "$CMD_VERSION"
log "(d) hostile input (exit 2 expected)"
hf "$OUT/reject.json" -i --command-name "alias bomb" "$CMD_BOMB" --command-name "10,000-deep nesting" "$CMD_DEEP"

# ---------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------
median_ms() { # JSON-FILE, INDEX
    jq -r --argjson i "$2" '.results[$i].median * 1000' "$1"
}
vz_ms=$(median_ms "$OUT/vektagraf.json" 0)
helm_ms=$(median_ms "$OUT/vektagraf.json" 1)
scale_ms=$(median_ms "$OUT/scale.json" 0)
version_ms=$(median_ms "$OUT/version.json" 0)
bomb_ms=$(median_ms "$OUT/reject.json" 0)
deep_ms=$(median_ms "$OUT/reject.json" 1)

awk -v vz="$vz_ms" -v helm="$helm_ms" -v scale="$scale_ms" -v ver="$version_ms" \
    -v t_ratio="$TARGET_HELM_RATIO" -v t_scale="$TARGET_SCALE_MS" -v t_ver="$TARGET_VERSION_MS" \
    -v bomb="$bomb_ms" -v deep="$deep_ms" -v t_rej="$TARGET_REJECT_MS" \
    -v n="$SERVICES" -v objs="$scale_objects" -v vz_objs="$vz_objects" -v helm_objs="$helm_objects" \
    -v version="$vz_version" -v out="$OUT" '
function verdict(ok) { if (ok) { passed++; return "PASS" } return "MISS" }
function ms(x) { return x < 10 ? sprintf("%.2f ms", x) : sprintf("%.1f ms", x) }
BEGIN {
    passed = 0
    ratio = helm / vz
    printf "\n%s, hyperfine medians (raw JSON in %s)\n\n", version, out
    printf "%-40s %12s  %-12s %s\n", "benchmark", "median", "target", "result"
    printf "%-40s %12s  %-12s %s\n", "---------", "------", "------", "------"
    printf "%-40s %12s  %-12s %s\n", sprintf("vektagraf production: vz-render (%d obj)", vz_objs), ms(vz), "", ""
    printf "%-40s %12s  %-12s %s\n", sprintf("vektagraf production: helm (%d obj)", helm_objs), ms(helm), "", ""
    # ASCII in the table, so that printf widths (bytes) line up.
    printf "%-40s %12s  %-12s %s\n", "  vz-render vs helm template", sprintf("%.1fx faster", ratio), sprintf(">= %dx", t_ratio), verdict(ratio >= t_ratio)
    printf "%-40s %12s  %-12s %s\n", sprintf("%d services (%d objects)", n, objs), ms(scale), sprintf("< %d ms", t_scale), verdict(scale < t_scale)
    printf "%-40s %12s  %-12s %s\n", "vz-render --version", ms(ver), sprintf("<= %d ms", t_ver), verdict(ver <= t_ver)
    printf "%-40s %12s  %-12s %s\n", "alias bomb refused", ms(bomb), sprintf("< %d ms", t_rej), verdict(bomb < t_rej)
    printf "%-40s %12s  %-12s %s\n", "10,000-deep nesting refused", ms(deep), sprintf("< %d ms", t_rej), verdict(deep < t_rej)
    printf "\n"
    printf "vz-render is %.1f\303\227 faster than helm template (target \342\211\245 %d\303\227): %s\n", ratio, t_ratio, (ratio >= t_ratio ? "PASS" : "MISS")
    printf "%d services, %d objects rendered in %s (target < %d ms): %s\n", n, objs, ms(scale), t_scale, (scale < t_scale ? "PASS" : "MISS")
    printf "vz-render --version takes %s (target \342\211\244 %d ms): %s\n", ms(ver), t_ver, (ver <= t_ver ? "PASS" : "MISS")
    printf "\n%d of 5 targets met\n", passed
}'
