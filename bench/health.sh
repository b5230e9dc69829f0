#!/usr/bin/env bash
# The vz-health benchmarks (`make bench`, after bench/run.sh): one run, one
# report.
#
#   bench/health.sh                         # builds, starts local servers, measures
#   VZ_HEALTH=path/to/vz-health bench/health.sh    # measure that binary, no build
#
# Targets:
#   (a) 200 HTTP checks against local servers that each answer after 200 ms
#       finish in < 1 s (`vz-health -f checks.yaml`, default --concurrency
#       128: two waves, ~0.4 s at best); the peer, a sequential
#       `curl -fsS -o /dev/null` loop over the same 200 URLs, takes ~40 s
#   (b) memory stays flat during a 1,000-round `--watch` (--every 10ms,
#       against a fast local server): VmRSS at the end is at most 10 % (or
#       1 MiB, whichever is larger) above VmRSS near round 100. The rounds
#       are counted from the JSON lines; a round that overruns the pace makes
#       the watch skip a tick (a few on a busy machine), which is reported
#
# vz-health is timed by hyperfine (median of a few runs, --warmup 1); the curl
# loop, ~40 s, is timed once. The servers are bench/slow_server.py (Python,
# standard library) on 127.0.0.1, free ports; they are checked to answer 200
# concurrent requests in ~0.3 s first, so that the bench measures vz-health,
# not them. Raw data (hyperfine JSON, the checks, the watch's JSON lines and
# the memory samples) is kept in $BENCH_OUT (default target/bench). A missed
# target is reported as MISS and the script still exits 0: this is a report,
# not a gate. It exits 1 only when something could not be measured (a command
# failed, a tool is missing, a server did not start).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}
EVERY_MS=${BENCH_WATCH_EVERY_MS:-10}

# Targets (kept here, in one place).
TARGET_CHECKS=200            # (a) this many HTTP checks ...
TARGET_DELAY=0.2             #     ... against servers that answer after this (s) ...
TARGET_WALL_MS=1000          #     ... finish under this
TARGET_ROUNDS=1000           # (b) a watch of this many rounds ...
TARGET_GROWTH_PCT=10         #     ... grows VmRSS from round ~100 to the end by at most this %
TARGET_GROWTH_MIN_KIB=1024   #     ... or this, whichever is larger

SERVERS=4                    # slow servers, checks spread round-robin (one Python process's GIL is the limit)
SERVERS_MAX_MS=400           # 200 concurrent requests answered by the servers within this, or the bench measures them
RSS_AT_ROUND=100             # the first memory sample is the one at or after this round
SAMPLE_S=0.05                # memory sampling period

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

cd "$ROOT"
mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# Dependencies and the binary.
# ---------------------------------------------------------------------------
command -v hyperfine >/dev/null 2>&1 || "$ROOT/scripts/bench-deps.sh" >&2
need hyperfine jq curl python3
[ -r /proc/self/status ] || die "no /proc/PID/status to read VmRSS from (Linux only)"

vz_binary vz-health
vz_version=$("$VZ" --version | head -n 1) || die "$VZ --version failed"

# ---------------------------------------------------------------------------
# The local servers: $SERVERS slow ones (answer after $TARGET_DELAY s) and a
# fast one (answers at once) for the watch. Each picks a free port and prints
# it; all are stopped on exit.
# ---------------------------------------------------------------------------
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_server() { # NAME DELAY; sets PORT
    local name=$1 delay=$2 portfile=$OUT/health-$1.port i
    rm -f "$portfile"
    python3 "$ROOT/bench/slow_server.py" 0 "$delay" >"$portfile" 2>"$OUT/health-$name.log" &
    PIDS+=("$!")
    PORT=
    for ((i = 0; i < 200; i++)); do # up to 10 s
        [ -s "$portfile" ] && read -r PORT <"$portfile" && [ -n "$PORT" ] && break
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$PORT" ] || { cat "$OUT/health-$name.log" >&2; die "server $name did not start"; }
    curl -fsS -o /dev/null --max-time 5 --retry 20 --retry-connrefused --retry-delay 0 \
        "http://127.0.0.1:$PORT/ready" || die "server $name (port $PORT) does not answer"
}

SLOW_PORTS=()
for ((s = 0; s < SERVERS; s++)); do
    start_server "slow-$s" "$TARGET_DELAY"
    SLOW_PORTS+=("$PORT")
done
start_server fast 0
FAST_PORT=$PORT
log "servers: slow (${TARGET_DELAY} s) on ports ${SLOW_PORTS[*]}, fast on $FAST_PORT"

# ---------------------------------------------------------------------------
# Inputs.
# ---------------------------------------------------------------------------
CHECKS=$OUT/health-checks.yaml
WATCH_CHECKS=$OUT/health-watch.yaml
CURL_CONFIG=$OUT/health-curl.cfg
URLS=()
for ((i = 0; i < TARGET_CHECKS; i++)); do
    URLS+=("http://127.0.0.1:${SLOW_PORTS[i % SERVERS]}/check/$i")
done
{
    printf 'checks:\n'
    for ((i = 0; i < TARGET_CHECKS; i++)); do
        printf '  - {name: slow-%03d, http: "%s"}\n' "$i" "${URLS[i]}"
    done
} >"$CHECKS"
{
    for u in "${URLS[@]}"; do
        printf 'url = "%s"\noutput = "/dev/null"\n' "$u"
    done
} >"$CURL_CONFIG"
# The watch: an HTTP check with expectations (status, a JSON field) and a TCP
# check, both against the fast server.
cat >"$WATCH_CHECKS" <<EOF
checks:
  - name: api
    http: http://127.0.0.1:$FAST_PORT/health
    status: 200
    json: {status: UP}
  - name: port
    tcp: 127.0.0.1:$FAST_PORT
EOF
WATCH_MS=$((TARGET_ROUNDS * EVERY_MS))

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The servers must answer $TARGET_CHECKS concurrent requests in about
# $TARGET_DELAY s, or the numbers below are theirs: one curl process, all
# requests at once.
log "servers: $TARGET_CHECKS concurrent requests (curl --parallel)"
t0=$(now_ms)
curl --parallel --parallel-immediate --parallel-max "$TARGET_CHECKS" --no-progress-meter -f \
    -K "$CURL_CONFIG" -w '%{http_code}\n' >"$OUT/health-parallel.out" ||
    die "curl --parallel against the servers failed"
servers_ms=$(($(now_ms) - t0))
ok=$(grep -c '^200$' "$OUT/health-parallel.out" || true)
[ "$ok" -eq "$TARGET_CHECKS" ] || die "curl --parallel got $ok of $TARGET_CHECKS answers 200"
if [ "$servers_ms" -gt "$SERVERS_MAX_MS" ]; then
    log "warning: the servers took $servers_ms ms for $TARGET_CHECKS concurrent requests" \
        "(> $SERVERS_MAX_MS ms): (a) measures them as much as vz-health"
fi

# Every command must work before it is measured.
log "vz-health -f $CHECKS (check run)"
"$VZ" -f "$CHECKS" >"$OUT/health-checks.json" ||
    { jq -c '.summary' "$OUT/health-checks.json" >&2 || true; die "vz-health -f $CHECKS failed"; }
passed=$(jq -r '.summary.pass' "$OUT/health-checks.json")
[ "$passed" -eq "$TARGET_CHECKS" ] || die "vz-health passed $passed of $TARGET_CHECKS checks"

# ---------------------------------------------------------------------------
# Measurements.
# ---------------------------------------------------------------------------
printf -v CMD_VZ '%q -f %q' "$VZ" "$CHECKS"

log "(a) $TARGET_CHECKS checks: vz-health (hyperfine)"
hyperfine -N --warmup 1 --runs 5 --style basic --export-json "$OUT/health-checks-hyperfine.json" \
    --command-name "vz-health $TARGET_CHECKS checks" "$CMD_VZ" >&2

log "(a) $TARGET_CHECKS checks: sequential curl loop (once, ~$(awk -v n="$TARGET_CHECKS" -v d="$TARGET_DELAY" 'BEGIN { print n * d }') s)"
t0=$(now_ms)
for u in "${URLS[@]}"; do
    curl -fsS -o /dev/null "$u" || die "curl $u failed"
done
curl_ms=$(($(now_ms) - t0))

log "(b) --watch ${WATCH_MS}ms --every ${EVERY_MS}ms ($TARGET_ROUNDS rounds), VmRSS every ${SAMPLE_S} s"
# --max-errors: a round that misses its tight per-attempt timeout (the
# pace) on a busy machine must not end the watch; errors are reported.
WATCH_OUT=$OUT/health-watch.jsonl
SAMPLES=$OUT/health-rss.tsv
printf 'ms\trounds\tvmrss_kib\tvmhwm_kib\n' >"$SAMPLES"
t0=$(now_ms)
"$VZ" -f "$WATCH_CHECKS" --watch "${WATCH_MS}ms" --every "${EVERY_MS}ms" \
    --max-errors "$TARGET_ROUNDS" -o json >"$WATCH_OUT" &
watch_pid=$!
PIDS+=("$watch_pid")
# awk reads /proc/PID/status in one read(2): bash's `read` goes line by line
# and can miss a line of a file that is regenerated between reads.
vm_kib() { awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { if (r != "") print r "\t" h }' "/proc/$1/status" 2>/dev/null || true; }
while :; do
    rounds_now=$(wc -l <"$WATCH_OUT")
    vm=$(vm_kib "$watch_pid")
    # No VmRSS once it has exited (a zombie until waited for): done.
    [ -n "$vm" ] || break
    printf '%s\t%s\t%s\n' "$(($(now_ms) - t0))" "$rounds_now" "$vm" >>"$SAMPLES"
    sleep "$SAMPLE_S"
done
watch_rc=0
wait "$watch_pid" || watch_rc=$?
watch_ms=$(($(now_ms) - t0))
# Every line but the last (the final report) is one round.
rounds=$(jq -s '[.[] | select(has("round"))] | length' "$WATCH_OUT") ||
    die "the watch's output is not JSON lines: $WATCH_OUT"
summary=$(tail -n 1 "$WATCH_OUT" | jq -c '{status, watch, counts: [.checks[] | {name, counts}]}') ||
    die "the watch wrote no final report: $WATCH_OUT"
[ "$watch_rc" -eq 0 ] || die "the watch exited $watch_rc (a check failed, so it may have ended early): $summary"
watch_errors=$(tail -n 1 "$WATCH_OUT" | jq '[.checks[].counts.error] | add')

# The sample at (or just after) round $RSS_AT_ROUND, and the last one.
read -r early_round early_kib < <(awk -F'\t' -v r="$RSS_AT_ROUND" 'NR > 1 && $2 >= r { print $2, $3; exit }' "$SAMPLES") ||
    die "no memory sample at or after round $RSS_AT_ROUND (see $SAMPLES)"
# (The last sample may count the final report's line as a round.)
read -r late_round late_kib peak_kib < <(tail -n 1 "$SAMPLES" |
    awk -F'\t' -v max="$rounds" '{ print ($2 > max ? max : $2), $3, $4 }')
samples=$(($(wc -l <"$SAMPLES") - 1))

# ---------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------
vz_ms=$(jq -r '.results[0].median * 1000' "$OUT/health-checks-hyperfine.json")
vz_min_ms=$(jq -r '.results[0].min * 1000' "$OUT/health-checks-hyperfine.json")
vz_max_ms=$(jq -r '.results[0].max * 1000' "$OUT/health-checks-hyperfine.json")

awk -v vz="$vz_ms" -v vz_min="$vz_min_ms" -v vz_max="$vz_max_ms" -v curl="$curl_ms" \
    -v n="$TARGET_CHECKS" -v delay="$TARGET_DELAY" -v t_wall="$TARGET_WALL_MS" \
    -v servers="$SERVERS" -v servers_ms="$servers_ms" -v servers_max="$SERVERS_MAX_MS" \
    -v rounds="$rounds" -v t_rounds="$TARGET_ROUNDS" -v every="$EVERY_MS" -v watch_ms="$watch_ms" \
    -v errors="$watch_errors" -v samples="$samples" \
    -v early_round="$early_round" -v early="$early_kib" -v late_round="$late_round" -v late="$late_kib" \
    -v peak="$peak_kib" -v t_pct="$TARGET_GROWTH_PCT" -v t_min="$TARGET_GROWTH_MIN_KIB" \
    -v version="$vz_version" -v out="$OUT" '
function verdict(ok) { if (ok) { passed++; return "PASS" } return "MISS" }
function ms(x) { return x < 10 ? sprintf("%.2f ms", x) : sprintf("%.1f ms", x) }
function kib(x) { return sprintf("%d KiB", x) }
BEGIN {
    passed = 0
    ratio = curl / vz
    growth = late - early
    pct = early > 0 ? 100 * growth / early : 0
    limit = early * t_pct / 100
    if (limit < t_min) limit = t_min
    printf "\n%s (raw data in %s)\n\n", version, out
    printf "%-44s %16s  %-14s %s\n", "benchmark", "measured", "target", "result"
    printf "%-44s %16s  %-14s %s\n", "---------", "--------", "------", "------"
    printf "%-44s %16s  %-14s %s\n", sprintf("servers: %d concurrent requests", n), ms(servers_ms), sprintf("<= %d ms", servers_max), (servers_ms <= servers_max ? "ok" : "SLOW")
    printf "%-44s %16s  %-14s %s\n", sprintf("%d checks (%g s each): vz-health", n, delay), ms(vz), sprintf("< %d ms", t_wall), verdict(vz < t_wall)
    printf "%-44s %16s  %-14s %s\n", sprintf("%d checks: sequential curl loop (once)", n), ms(curl), "", ""
    # ASCII in the table, so that printf widths (bytes) line up.
    printf "%-44s %16s  %-14s %s\n", "  curl loop / vz-health", sprintf("%.1fx faster", ratio), "", ""
    printf "%-44s %16s  %-14s %s\n", sprintf("--watch --every %dms: rounds run", every), sprintf("%d", rounds), sprintf("%d", t_rounds), (rounds >= t_rounds ? "ok" : "SHORT")
    printf "%-44s %16s  %-14s %s\n", sprintf("  VmRSS at round %d", early_round), kib(early), "", ""
    printf "%-44s %16s  %-14s %s\n", sprintf("  VmRSS at round %d (end)", late_round), kib(late), "", ""
    printf "%-44s %16s  %-14s %s\n", "  VmRSS growth", sprintf("%+d KiB %+.1f%%", growth, pct), sprintf("<= %d KiB", limit), verdict(growth <= limit)
    printf "\n"
    printf "%d HTTP checks against %d servers that answer after %g s: vz-health %s (median of 5, %s to %s),\n", n, servers, delay, ms(vz), ms(vz_min), ms(vz_max)
    printf "  a sequential curl loop %.1f s: %.1f\303\227 faster (target < %d ms): %s\n", curl / 1000, ratio, t_wall, (vz < t_wall ? "PASS" : "MISS")
    printf "--watch %d ms --every %d ms ran %d rounds in %.1f s (%d rounds with an error), VmRSS sampled %d times:\n", t_rounds * every, every, rounds, watch_ms / 1000, errors, samples
    printf "  %d KiB at round %d, %d KiB at round %d (peak %d KiB): %+d KiB (%+.1f%%, target \342\211\244 %d KiB): %s\n", early, early_round, late, late_round, peak, growth, pct, limit, (growth <= limit ? "PASS" : "MISS")
    if (rounds < t_rounds)
        printf "note: %d of %d ticks skipped: rounds overran the %d ms pace (a busy machine?)\n", t_rounds - rounds, t_rounds, every
    if (servers_ms > servers_max)
        printf "warning: the servers needed %s for %d concurrent requests; (a) measures them too\n", ms(servers_ms), n
    printf "\n%d of 2 targets met\n", passed
}'
