#!/usr/bin/env bash
# The vz-backup benchmark (`make bench`): one run, one report.
#
#   bench/backup.sh                               # builds, measures
#   VZ_BACKUP=path/to/vz-backup bench/backup.sh   # measure that binary, no build
#
# Inputs, generated into $BENCH_OUT (default target/bench) once and reused:
#   - backup-1m.json: an inventory of SNAPSHOTS (default 1,000,000) backups,
#     one every 5 minutes back from 2025-04-10T12:00:00Z (~9.5 years), in
#     8 series (paths), each with a size and SHA-256
#   - backup-tree/: FILES (default 64) files of FILE_MB (default 32) MB of
#     random bytes, 2 GB in all
#
# Targets:
#   (a) `vz-backup plan` of the 1,000,000 snapshots with a typical policy
#       (--keep-hourly 24 --keep-daily 30 --keep-weekly 12 --keep-monthly 24
#       --keep-yearly 10) in under 2 s
#   (b) `vz-backup scan` of the tree bound by read speed: at least the MB/s
#       of `sha256sum` on the same files (one core; scan reads on all)
#
# Both are timed by hyperfine (median, --warmup 1), so the tree is read from
# the page cache when it fits in memory: (b) then measures hashing, the read
# speed of cached files. A missed target is reported as MISS and the script
# still exits 0: this is a report, not a gate. It exits 1 only when
# something could not be measured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}
SNAPSHOTS=${SNAPSHOTS:-1000000}
FILES=${FILES:-64}
FILE_MB=${FILE_MB:-32}

TARGET_PLAN_S=2     # (a)
TARGET_RATIO=1.0    # (b) scan MB/s / sha256sum MB/s

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

cd "$ROOT"
mkdir -p "$OUT"
command -v hyperfine >/dev/null 2>&1 || "$ROOT/scripts/bench-deps.sh" >&2
need hyperfine jq sha256sum

vz_binary vz-backup

# (a) the inventory
INV=$OUT/backup-${SNAPSHOTS}.json
if [ ! -s "$INV" ]; then
    log "writing $SNAPSHOTS snapshots to $INV"
    awk -v n="$SNAPSHOTS" 'BEGIN {
        printf "{\"version\": 1, \"backups\": [\n"
        sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        for (i = 0; i < n; i++) {
            t = strftime("%Y-%m-%dT%H:%M:%SZ", 1744286400 - i * 300, 1)
            printf "%s{\"id\": \"b%07d\", \"time\": \"%s\", \"size\": %d, \"sha256\": \"%s\", \"paths\": [\"db%d\"]}\n",
                (i ? "," : ""), i, t, 1000000 + i % 977, sha, i % 8
        }
        printf "]}\n"
    }' >"$INV.tmp" || die "could not write $INV"
    mv "$INV.tmp" "$INV"
fi
POLICY="--keep-hourly 24 --keep-daily 30 --keep-weekly 12 --keep-monthly 24 --keep-yearly 10"
# shellcheck disable=SC2086 # POLICY is words
"$VZ" plan "$INV" $POLICY --now 2025-04-11T00:00:00Z -o json >"$OUT/backup-plan.json" \
    || die "vz-backup plan failed"

# (b) the tree
TREE=$OUT/backup-tree
if [ "$(find "$TREE" -type f 2>/dev/null | wc -l)" -ne "$FILES" ]; then
    log "writing $FILES files of $FILE_MB MB to $TREE"
    rm -rf "$TREE"
    mkdir -p "$TREE"
    for ((i = 0; i < FILES; i++)); do
        head -c "$((FILE_MB * 1048576))" /dev/urandom >"$(printf '%s/db_20250410_%06d.dump' "$TREE" "$i")"
    done
fi
BYTES=$(find "$TREE" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
"$VZ" scan "$TREE" -o json >"$OUT/backup-scan.json" 2>/dev/null || die "vz-backup scan failed"

hyperfine --warmup 1 --runs 5 --export-json "$OUT/backup-plan-hyperfine.json" \
    -n 'vz-backup plan' "'$VZ' plan '$INV' $POLICY --now 2025-04-11T00:00:00Z -o json > /dev/null" \
    >&2 || die "hyperfine failed (plan)"
hyperfine --warmup 1 --runs 5 --export-json "$OUT/backup-scan-hyperfine.json" \
    -n 'vz-backup scan' "'$VZ' scan '$TREE' -o json > /dev/null 2>&1" \
    -n sha256sum "sha256sum '$TREE'/* > /dev/null" \
    >&2 || die "hyperfine failed (scan)"

PLAN_S=$(jq -r '.results[0].median' "$OUT/backup-plan-hyperfine.json")
read -r SCAN_S SHA_S < <(jq -r '[.results[] | .median] | @tsv' "$OUT/backup-scan-hyperfine.json")
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISS"; fi; }
SCAN_MBPS=$(awk -v b="$BYTES" -v s="$SCAN_S" 'BEGIN { printf "%.0f", b / s / 1e6 }')
SHA_MBPS=$(awk -v b="$BYTES" -v s="$SHA_S" 'BEGIN { printf "%.0f", b / s / 1e6 }')
RATIO=$(awk -v a="$SHA_S" -v b="$SCAN_S" 'BEGIN { printf "%.2f", a / b }')
OK_A=$(awk -v s="$PLAN_S" -v t="$TARGET_PLAN_S" 'BEGIN { print (s < t) ? 1 : 0 }')
OK_B=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')

printf '\nvz-backup (%s), %s cores:\n' "$("$VZ" --version)" "$(nproc)"
printf '  (a) plan %s snapshots   %.3f s      target < %s s            %s   (keep %s, remove %s)\n' \
    "$SNAPSHOTS" "$PLAN_S" "$TARGET_PLAN_S" "$(verdict "$OK_A")" \
    "$(jq '.keep | length' "$OUT/backup-plan.json")" "$(jq '.remove | length' "$OUT/backup-plan.json")"
printf '  (b) scan %s MB           %s MB/s    sha256sum %s MB/s (%.3f s), ratio %sx   target >= %sx   %s\n' \
    "$((BYTES / 1000000))" "$SCAN_MBPS" "$SHA_MBPS" "$SHA_S" "$RATIO" "$TARGET_RATIO" "$(verdict "$OK_B")"
