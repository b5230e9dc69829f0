#!/usr/bin/env bash
# The vz-scan-merge benchmark (`make bench`): one run, one report.
#
#   bench/scan.sh                                   # builds, measures
#   VZ_SCAN_MERGE=path/to/vz-scan-merge bench/scan.sh   # measure that binary, no build
#
# Input: every real report of ../shared/fixtures/scans (Trivy, Grype, Snyk,
# SARIF, OSV, npm audit; 10.5 MB, the malformed one left out), concatenated
# COPIES times into one stream of JSON documents (~100 MB), as a pipeline
# that collects the reports of many images would hand them over.
#
# Targets:
#   (a) throughput: at least 250 MB/s, `vz-scan-merge STREAM -o json`
#       (detect, parse, merge, write the merged JSON)
#   (c) the same throughput on one generated 100 MB Trivy report
#       (bench/gen_trivy.py: 54,000 distinct findings), and peak memory
#       (VmHWM, GNU time) at most 2x the input's size
#   (b) at least 10x faster than `jq -s` doing only part of the job: slurp
#       the same stream, pick (id, package, version) out of the Trivy, Grype
#       and Snyk documents and dedupe them with `unique` -- the core of the
#       process-security-results scripts vz-scan-merge replaces
#
# Both are timed by hyperfine (median, --warmup 1). Raw data is kept in
# $BENCH_OUT (default target/bench). A missed target is reported as MISS and
# the script still exits 0: this is a report, not a gate. It exits 1 only when
# something could not be measured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}
SCANS=${SCANS:-$ROOT/../shared/fixtures/scans}
COPIES=${COPIES:-10}

TARGET_MBPS=250    # (a)
TARGET_RATIO=10    # (b)
TARGET_MEM_X=2     # (c) peak memory / input size

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

cd "$ROOT"
mkdir -p "$OUT"
command -v hyperfine >/dev/null 2>&1 || "$ROOT/scripts/bench-deps.sh" >&2
need hyperfine jq python3
[ -d "$SCANS" ] || die "no scanner reports at $SCANS (the shared fixtures sit beside the repository)"

vz_binary vz-scan-merge

STREAM=$OUT/scan-stream.json
mapfile -t FILES < <(find "$SCANS" -type f \( -name '*.json' -o -name '*.sarif' \) ! -name 'dd-legacy-v1-lang-mix.json' | sort)
[ ${#FILES[@]} -gt 0 ] || die "no reports under $SCANS"
: >"$STREAM"
# Each copy is made a different report (vz-scan-merge reads a byte-identical
# report once): a key no format uses is added to every top-level object.
for ((i = 0; i < COPIES; i++)); do
    for f in "${FILES[@]}"; do
        sed "0,/{/s//{\"vz-bench-copy\": $i, /" "$f" >>"$STREAM"
        printf '\n' >>"$STREAM"
    done
done
BYTES=$(stat -c %s "$STREAM")
DOCS=$((${#FILES[@]} * COPIES))
log "input: $DOCS reports, $((BYTES / 1000000)) MB"

# Sanity: both commands work on the stream.
"$VZ" "$STREAM" -o json >"$OUT/scan-merged.json" || die "vz-scan-merge failed on the stream"
JQ_FILTER='[.[] | objects | ((.matches[]? | [.vulnerability.id, .artifact.name, .artifact.version]),
  (.Results[]?.Vulnerabilities[]? | [.VulnerabilityID, .PkgName, .InstalledVersion]),
  (.vulnerabilities | arrays | .[] | [.id, .name, .version]))] | unique | length'
jq -s "$JQ_FILTER" "$STREAM" >"$OUT/scan-jq.txt" || die "jq failed on the stream"

hyperfine --warmup 1 --runs 5 --export-json "$OUT/scan-hyperfine.json" \
    -n vz-scan-merge "'$VZ' '$STREAM' -o json > /dev/null" \
    -n 'jq -s' "jq -s '$JQ_FILTER' '$STREAM' > /dev/null" >&2 || die "hyperfine failed"

read -r VZ_S JQ_S < <(jq -r '[.results[] | .median] | @tsv' "$OUT/scan-hyperfine.json")
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISS"; fi; }
MBPS=$(awk -v b="$BYTES" -v s="$VZ_S" 'BEGIN { printf "%.0f", b / s / 1e6 }')
RATIO=$(awk -v a="$JQ_S" -v b="$VZ_S" 'BEGIN { printf "%.1f", a / b }')
OK_A=$(awk -v m="$MBPS" -v t="$TARGET_MBPS" 'BEGIN { print (m >= t) ? 1 : 0 }')
OK_B=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')

printf '\nvz-scan-merge (%s), %s reports, %s MB:\n' "$("$VZ" --version)" "$DOCS" "$((BYTES / 1000000))"
printf '  (a) throughput        %6s MB/s   (%.3f s)     target >= %s MB/s   %s\n' "$MBPS" "$VZ_S" "$TARGET_MBPS" "$(verdict "$OK_A")"
printf '  (b) vs jq -s          %6sx       (%.3f s)     target >= %sx       %s\n' "$RATIO" "$JQ_S" "$TARGET_RATIO" "$(verdict "$OK_B")"
BIG=$OUT/scan-big.json
[ -s "$BIG" ] || python3 "$ROOT/bench/gen_trivy.py" 100 >"$BIG" || die "could not generate $BIG"
BIG_BYTES=$(stat -c %s "$BIG")
hyperfine --warmup 1 --runs 3 --export-json "$OUT/scan-big-hyperfine.json" \
    -n vz-scan-merge "'$VZ' '$BIG' -o json > /dev/null" >&2 || die "hyperfine failed"
BIG_S=$(jq -r '.results[0].median' "$OUT/scan-big-hyperfine.json")
BIG_KB=$( { /usr/bin/time -f '%M' "$VZ" "$BIG" -o json >/dev/null; } 2>&1 | tail -n 1)
BIG_MBPS=$(awk -v b="$BIG_BYTES" -v s="$BIG_S" 'BEGIN { printf "%.0f", b / s / 1e6 }')
MEM_X=$(awk -v k="$BIG_KB" -v b="$BIG_BYTES" 'BEGIN { printf "%.2f", k * 1024 / b }')
OK_C=$(awk -v m="$BIG_MBPS" -v t="$TARGET_MBPS" -v x="$MEM_X" -v tx="$TARGET_MEM_X" 'BEGIN { print (m >= t && x <= tx) ? 1 : 0 }')
printf '  (c) one %s MB report  %6s MB/s   (%.3f s), peak memory %sx the input   targets >= %s MB/s, <= %sx   %s\n' \
    "$((BIG_BYTES / 1000000))" "$BIG_MBPS" "$BIG_S" "$MEM_X" "$TARGET_MBPS" "$TARGET_MEM_X" "$(verdict "$OK_C")"
printf '  merged findings: %s; jq distinct (id, package, version) of Trivy/Grype/Snyk only: %s\n' \
    "$(jq '.counts.total' "$OUT/scan-merged.json")" "$(cat "$OUT/scan-jq.txt")"
