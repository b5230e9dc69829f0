#!/usr/bin/env bash
# Smoke checks for a deployment, as a pipeline step: wait until it is up, then
# run the smoke checks once, and say which failed.
#
#   scripts/smoke.sh URL [CHECKS.yaml]
#
#   URL          where the deployment answers (https://staging.example.com,
#                or http://127.0.0.1:9000 through `kubectl port-forward`)
#   CHECKS.yaml  vz-health checks; `${BASE_URL}` in them is URL
#
# Environment: WAIT (default 2m) bounds the wait for URL$HEALTH_PATH
# (default /health) to answer 2xx; OUTPUT=table|json|junit (default table);
# VZ_HEALTH is the vz-health binary (default: the one on PATH).
#
# Exit status: 0 all passed, 1 a check failed (or the deployment never came
# up), 2 bad usage or a bad checks file.
set -euo pipefail

usage() {
    echo "usage: scripts/smoke.sh URL [CHECKS.yaml]" >&2
    exit 2
}
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
url=${1%/}
checks=${2:-}
health=${VZ_HEALTH:-vz-health}
wait=${WAIT:-2m}
path=${HEALTH_PATH:-/health}
output=${OUTPUT:-table}

case $url in
    http://* | https://*) ;;
    *) echo "scripts/smoke.sh: URL must start with http:// or https://, not '$url'" >&2; exit 2 ;;
esac
if [ -n "$checks" ] && [ ! -r "$checks" ]; then
    echo "scripts/smoke.sh: cannot read $checks" >&2
    exit 2
fi

# 1. Up: one global deadline, curl's backoff, no sleep loop.
echo "smoke: waiting up to $wait for $url$path" >&2
"$health" --wait "$wait" -o "$output" "$url$path"

# 2. The smoke checks, once, all at the same time.
if [ -n "$checks" ]; then
    echo "smoke: running $checks against $url" >&2
    BASE_URL=$url "$health" -f "$checks" -o "$output"
fi
