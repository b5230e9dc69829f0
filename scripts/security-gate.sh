#!/usr/bin/env bash
# The security gate of a pipeline: merge the scanners' reports into one,
# write it as JSON, SARIF (for GitHub code scanning) and Markdown (for the
# pull-request comment), and fail when a finding is at or above a severity.
#
#   scripts/security-gate.sh [--fail-on LEVEL] [--ignore FILE] [--baseline FILE]
#                            [--out DIR] REPORT...
#
#   REPORT           Trivy, Grype, Snyk, OSV-Scanner, npm audit JSON or SARIF
#   --fail-on LEVEL  critical, high (default), medium or low
#   --ignore FILE    the ignore list (default: .vz-ignore.yaml when it exists)
#   --baseline FILE  an earlier merged.json: gate only on new findings
#   --out DIR        where merged.json, merged.sarif and security-comment.md
#                    go (default: the current directory)
#
# Environment: VZ_SCAN_MERGE is the vz-scan-merge binary (default: the one on
# PATH); CATEGORY names the SARIF analysis (default: security-gate).
#
# Exit status: 0 the gate passed, 1 it failed (the reports are written
# either way), 2 bad usage or a report that cannot be read.
set -euo pipefail

usage() {
    echo "usage: scripts/security-gate.sh [--fail-on LEVEL] [--ignore FILE] [--baseline FILE] [--out DIR] REPORT..." >&2
    exit 2
}
fail() {
    echo "scripts/security-gate.sh: $*" >&2
    usage
}
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

merge=${VZ_SCAN_MERGE:-vz-scan-merge}
category=${CATEGORY:-security-gate}
fail_on=high
ignore=
baseline=
out=.
reports=()
while [ $# -gt 0 ]; do
    case $1 in
        --fail-on) [ $# -ge 2 ] || fail "--fail-on needs a level"; fail_on=$2; shift 2 ;;
        --ignore) [ $# -ge 2 ] || fail "--ignore needs a file"; ignore=$2; shift 2 ;;
        --baseline) [ $# -ge 2 ] || fail "--baseline needs a file"; baseline=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || fail "--out needs a directory"; out=$2; shift 2 ;;
        -*) fail "unknown option $1" ;;
        *) reports+=("$1"); shift ;;
    esac
done
[ ${#reports[@]} -gt 0 ] || fail "name at least one report"
case $fail_on in
    critical | high | medium | low) ;;
    *) fail "--fail-on must be critical, high, medium or low, not '$fail_on'" ;;
esac
for r in "${reports[@]}"; do
    [ -r "$r" ] || fail "cannot read the report $r"
done
if [ -z "$ignore" ] && [ -f .vz-ignore.yaml ]; then ignore=.vz-ignore.yaml; fi
[ -z "$ignore" ] || [ -r "$ignore" ] || fail "cannot read the ignore list $ignore"
[ -z "$baseline" ] || [ -r "$baseline" ] || fail "cannot read the baseline $baseline"
mkdir -p "$out"

args=("${reports[@]}" --fail-on "$fail_on")
[ -z "$ignore" ] || args+=(--ignore-file "$ignore")
[ -z "$baseline" ] || args+=(--baseline "$baseline" --only-new)

# The gate's answer comes from the JSON run; the other two formats render the
# same merge (their exit status is the same by construction).
status=0
"$merge" "${args[@]}" -o json >"$out/merged.json" || status=$?
if [ "$status" -ge 2 ]; then
    rm -f "$out/merged.json"
    exit "$status"
fi
"$merge" "${args[@]}" -o sarif --category "$category" >"$out/merged.sarif" 2>/dev/null || [ $? -eq 1 ]
"$merge" "${args[@]}" -o markdown >"$out/security-comment.md" 2>/dev/null || [ $? -eq 1 ]

if [ "$status" -eq 0 ]; then
    echo "security-gate: passed (no finding at or above $fail_on); reports in $out" >&2
else
    echo "security-gate: FAILED; see $out/security-comment.md" >&2
fi
exit "$status"
