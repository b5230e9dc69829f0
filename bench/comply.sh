#!/usr/bin/env bash
# The vz-comply benchmark (`make bench`): one run, one report.
#
#   bench/comply.sh                               # builds, measures
#   VZ_COMPLY=path/to/vz-comply bench/comply.sh   # measure that binary, no build
#
# Inputs:
#   - the corpus: every manifest of ../shared/fixtures/manifests that
#     vz-comply reads (files it refuses with exit 2 -- unrendered Helm
#     templates, malformed YAML, an empty file -- are left out for both
#     tools; checkov would skip them silently)
#   - OBJECTS (default 10,000) generated objects (bench/gen_manifests.py:
#     Deployments, Services, ConfigMaps, CronJobs, Ingresses,
#     NetworkPolicies, ... in 40 namespaces), 100 per file, written to
#     $BENCH_OUT once and reused
#
# Targets:
#   (a) `vz-comply FILES -o json` on the corpus at least 500x faster than
#       `checkov -f FILE... --framework kubernetes -o json` on the same files
#       (checkov offline: --skip-download, no update check, no mapping
#       download; it is installed by scripts/test-deps.sh)
#   (b) `vz-comply FILES -o json` on the generated objects in under 1 s
#
# Timed by hyperfine (median; -N, so no shell start-up is timed; failing
# exit codes are expected: both tools exit 1 when a check fails), the two
# tools over the same minutes (see below). Raw data is kept in $BENCH_OUT
# (default target/bench). A missed target is reported as
# MISS and the script still exits 0: this is a report, not a gate. It exits 1
# only when something could not be measured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}
VZ_CACHE=${VZ_CACHE:-$HOME/.cache/vz}
MANIFESTS=${MANIFESTS:-$ROOT/../shared/fixtures/manifests}
OBJECTS=${OBJECTS:-10000}
CHECKOV=${VZ_CHECKOV:-$VZ_CACHE/checkov/bin/checkov}

TARGET_RATIO=500 # (a) vz-comply at least this many times faster than checkov
TARGET_SCALE_S=1 # (b) OBJECTS objects under this

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

cd "$ROOT"
mkdir -p "$OUT"
command -v hyperfine >/dev/null 2>&1 || "$ROOT/scripts/bench-deps.sh" >&2
[ -x "$CHECKOV" ] || "$ROOT/scripts/test-deps.sh" >&2
need hyperfine jq python3
[ -x "$CHECKOV" ] || die "no checkov at $CHECKOV (scripts/test-deps.sh installs it)"
[ -d "$MANIFESTS" ] || die "no manifests at $MANIFESTS (the shared fixtures sit beside the repository)"
# checkov offline and quiet: no version check, no policy download.
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE LOG_LEVEL=ERROR

vz_binary vz-comply

# runs CMD...: the exit code, which must be 0 or 1 (pass or "the answer is no").
runs() {
    local rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" -le 1 ]
}

# (a) the corpus, less what vz-comply refuses.
mapfile -t ALL < <(find "$MANIFESTS" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort)
[ ${#ALL[@]} -gt 0 ] || die "no manifests under $MANIFESTS"
FILES=()
for f in "${ALL[@]}"; do
    if runs "$VZ" "$f" -o json; then FILES+=("$f"); fi
done
[ ${#FILES[@]} -gt 0 ] || die "vz-comply refused every file under $MANIFESTS"
log "corpus: ${#FILES[@]} of ${#ALL[@]} files (the others are refused by vz-comply with exit 2)"

CKARGS=()
for f in "${FILES[@]}"; do CKARGS+=(-f "$f"); done
runs "$VZ" "${FILES[@]}" -o json || die "vz-comply failed on the corpus"
"$VZ" "${FILES[@]}" -o json >"$OUT/comply-corpus.json" || true
"$CHECKOV" --skip-download "${CKARGS[@]}" --framework kubernetes -o json --compact \
    >"$OUT/comply-checkov.json" 2>"$OUT/comply-checkov.err" || true
jq -e '.summary.resource_count' "$OUT/comply-checkov.json" >/dev/null 2>&1 ||
    die "checkov failed on the corpus (see $OUT/comply-checkov.err)"

# vz-comply takes ~7 ms, checkov seconds. A shared machine's noise comes
# and goes over seconds and weighs more on a run of milliseconds (on two
# threads) than on one of seconds, so the two are timed over the same
# minutes: four blocks of vz-comply runs, one before each of checkov's
# three runs and one after, each tool's median taken over all its runs.
VZ_CMD="$VZ ${FILES[*]} -o json"
CK_CMD="$CHECKOV --skip-download ${CKARGS[*]} --framework kubernetes -o json --compact"
hyperfine -N -i --warmup 5 --runs 25 --export-json "$OUT/comply-hyperfine-0.json" \
    -n vz-comply "$VZ_CMD" >&2 || die "hyperfine failed"
for k in 1 2 3; do
    hyperfine -N -i --runs 1 --export-json "$OUT/comply-checkov-hyperfine-$k.json" \
        -n checkov "$CK_CMD" >&2 || die "hyperfine failed"
    hyperfine -N -i --warmup 2 --runs 25 --export-json "$OUT/comply-hyperfine-$k.json" \
        -n vz-comply "$VZ_CMD" >&2 || die "hyperfine failed"
done
# median FILE...: the median of every run in hyperfine's exports.
median() {
    jq -s '[.[].results[0].times[]] | sort | if length % 2 == 1 then .[length / 2 | floor]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$@"
}
VZ_S=$(median "$OUT"/comply-hyperfine-[0-3].json)
CK_S=$(median "$OUT"/comply-checkov-hyperfine-[1-3].json)

# (b) the generated objects.
GEN=$OUT/comply-objects-$OBJECTS
if [ ! -f "$GEN/.done" ]; then
    log "writing $OBJECTS objects to $GEN"
    rm -rf "$GEN"
    python3 "$ROOT/bench/gen_manifests.py" "$OBJECTS" "$GEN" || die "could not generate $GEN"
    touch "$GEN/.done"
fi
mapfile -t GFILES < <(find "$GEN" -type f -name '*.yaml' | sort)
runs "$VZ" "${GFILES[@]}" -o json || die "vz-comply failed on $GEN"
"$VZ" "${GFILES[@]}" -o json >"$OUT/comply-objects.json" || true
hyperfine -N -i --warmup 1 --runs 5 --export-json "$OUT/comply-objects-hyperfine.json" \
    -n vz-comply "$VZ ${GFILES[*]} -o json" >&2 || die "hyperfine failed"
GEN_S=$(jq -r '.results[0].median' "$OUT/comply-objects-hyperfine.json")

verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISS"; fi; }
RATIO=$(awk -v a="$CK_S" -v b="$VZ_S" 'BEGIN { printf "%.0f", a / b }')
OK_A=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')
OK_B=$(awk -v s="$GEN_S" -v t="$TARGET_SCALE_S" 'BEGIN { print (s < t) ? 1 : 0 }')
RATE=$(awk -v n="$OBJECTS" -v s="$GEN_S" 'BEGIN { printf "%.0f", n / s }')

printf '\nvz-comply (%s) vs checkov %s:\n' "$("$VZ" --version)" "$(jq -r '.summary.checkov_version' "$OUT/comply-checkov.json")"
printf '  corpus: %s files; vz-comply read %s objects (%s results), checkov %s resources (%s checks)\n' \
    "${#FILES[@]}" "$(jq '.summary.objects' "$OUT/comply-corpus.json")" "$(jq '.results | length' "$OUT/comply-corpus.json")" \
    "$(jq '.summary.resource_count' "$OUT/comply-checkov.json")" \
    "$(jq '.summary.passed + .summary.failed' "$OUT/comply-checkov.json")"
printf '  (a) vs checkov        %6sx      (vz-comply %.3f s, checkov %.2f s)   target >= %sx   %s\n' \
    "$RATIO" "$VZ_S" "$CK_S" "$TARGET_RATIO" "$(verdict "$OK_A")"
printf '  (b) %s objects    %6.3f s     (%s objects/s, %s files)           target < %s s   %s\n' \
    "$OBJECTS" "$GEN_S" "$RATE" "${#GFILES[@]}" "$TARGET_SCALE_S" "$(verdict "$OK_B")"
