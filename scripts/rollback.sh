#!/usr/bin/env bash
# Roll a blue/green Service back to the colour it served before the last
# switch, and check that colour through the live Service. The previous colour
# is the vz-switch/previous-color annotation on the Service itself, so this
# works days later, from any machine, with no controller state.
#
#   scripts/rollback.sh REASON [OPTIONS]
#
#   1. kubectl get svc NAME-active -o json | vz-switch back   (the colour to return to)
#   2. make sure that colour runs: at least the current colour's replicas (an
#      earlier --scale-down left it at 0), kubectl rollout status
#   3. kubectl replace -f - with the switched Service (a conflict if it changed meanwhile)
#   4. vz-health --wait through NAME-active, then the smoke checks
#
#   REASON               why, for the log (the incident, the failing check)
#   --namespace NS       where the Service lives (default: kubectl's namespace)
#   --service NAME       the Service NAME-active and Deployments NAME-COLOR (default app)
#   --key KEY            the selector key holding the colour (default version)
#   --colors A,B         the known colours (default blue,green)
#   --url URL            where NAME-active answers (default http://NAME-active.NS.svc,
#                        in-cluster DNS; from outside, a port-forward or ingress URL)
#   --health-path PATH   the health endpoint under URL (default /health)
#   --smoke FILE         vz-health smoke checks to run after it (${BASE_URL} is URL)
#   --timeout DURATION   for kubectl rollout status (default 10m)
#   --wait DURATION      how long the health check may wait to pass (default 5m)
#   --undo FILE          where the rollback writes its own inverse, a merge patch
#                        (default NAME-active.undo.json)
#
# Environment: VZ_HEALTH, VZ_SWITCH, KUBECTL name the programs (default:
# vz-health, vz-switch, kubectl on PATH). Progress goes to stderr; stdout
# stays empty.
#
# Exit status: 0 rolled back and healthy; 1 not rolled back (the colour to
# return to is not ready, or the Service changed meanwhile), or rolled back
# but failing its checks; 2 bad usage, or a Service with no previous colour.
set -euo pipefail

me=scripts/rollback.sh
here=$(cd "$(dirname "$0")" && pwd)
log() { printf 'rollback: %s\n' "$*" >&2; }
fail() {
    local code=$1
    shift
    printf 'rollback: error: %s\n' "$*" >&2
    exit "$code"
}
usage() {
    [ $# -eq 0 ] || printf '%s: %s\n' "$me" "$*" >&2
    echo "usage: $me REASON [--namespace NS] [--service NAME] [--url URL] [--wait DURATION] ... (--help)" >&2
    exit 2
}
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

reason='' ns='' service=app key=version colors=blue,green url='' health_path=/health smoke=''
timeout=10m wait=5m undo=''
while [ $# -gt 0 ]; do
    case $1 in
        --namespace | --service | --key | --colors | --url | --health-path | --smoke | --timeout | \
            --wait | --undo)
            [ $# -ge 2 ] || usage "$1 needs a value"
            ;;
        -*) usage "unknown option $1" ;;
        *)
            [ -z "$reason" ] || usage "one REASON only (quote it): got '$reason' and '$1'"
            reason=$1
            shift
            continue
            ;;
    esac
    case $1 in
        --namespace) ns=$2 ;;
        --service) service=$2 ;;
        --key) key=$2 ;;
        --colors) colors=$2 ;;
        --url) url=${2%/} ;;
        --health-path) health_path=$2 ;;
        --smoke) smoke=$2 ;;
        --timeout) timeout=$2 ;;
        --wait) wait=$2 ;;
        --undo) undo=$2 ;;
    esac
    shift 2
done

[ -n "$reason" ] || usage "REASON is missing: say why (it goes in the log)"
for d in "$timeout" "$wait"; do
    [[ $d =~ ^([0-9]+(ms|s|m|h))+$ ]] || usage "'$d' is not a duration (30s, 5m, 1h30m)"
done
[[ $service =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || usage "--service '$service' is not a Kubernetes name"
[ -z "$smoke" ] || [ -r "$smoke" ] || usage "cannot read the smoke checks $smoke"
health=${VZ_HEALTH:-vz-health} switch=${VZ_SWITCH:-vz-switch} kubectl=${KUBECTL:-kubectl}
for tool in "$health" "$switch" "$kubectl"; do
    command -v "$tool" >/dev/null || usage "$tool not found: put it on PATH or set VZ_HEALTH, VZ_SWITCH, KUBECTL"
done
url=${url:-http://$service-active${ns:+.$ns.svc}}
undo=${undo:-$service-active.undo.json}
if [ -n "$smoke" ]; then
    BASE_URL=$url "$health" --dry-run -f "$smoke" >/dev/null || usage "bad smoke checks in $smoke"
fi

kns=()
[ -z "$ns" ] || kns=(--namespace "$ns")
k() { "$kubectl" "${kns[@]}" "$@"; }
sw() { "$switch" --key "$key" --colors "$colors" "$@"; }

log "service/$service-active: rolling back because: $reason"

# 1. Where to go: the Service's own record of the colour before the switch.
svc=$(k get svc "$service-active" -o json) || fail 1 "cannot read service/$service-active"
from=$(sw current <<<"$svc")
backed=$(sw back --undo "$undo" <<<"$svc")
to=$(sw current <<<"$backed")

# 2. That colour must run before it gets the traffic back.
have=$(k get deployment "$service-$to" -o 'jsonpath={.spec.replicas}') ||
    fail 1 "deployment/$service-$to is not there: not rolled back, service/$service-active stays on $from"
want=$(k get deployment "$service-$from" -o 'jsonpath={.spec.replicas}' --ignore-not-found)
if [ -n "$want" ] && [ "${have:-0}" -lt "$want" ]; then
    log "scale deployment/$service-$to from ${have:-0} to $want replicas, as $from runs"
    k scale "deployment/$service-$to" --replicas="$want" >&2 || fail 1 "could not scale deployment/$service-$to"
fi
log "rollout status deployment/$service-$to (timeout $timeout)"
k rollout status "deployment/$service-$to" --timeout="$timeout" >&2 ||
    fail 1 "deployment/$service-$to is not ready: not rolled back, service/$service-active stays on $from"

# 3. Switch back, keeping the resourceVersion read in step 1.
log "switch service/$service-active $from → $to (undo: kubectl patch svc $service-active --type merge --patch-file $undo)"
k replace -f - <<<"$backed" >&2 ||
    fail 1 "service/$service-active was not switched (a conflict: someone changed it since it was read): it stays on $from"

# 4. Healthy through the live Service.
log "check $to through $url"
WAIT=$wait HEALTH_PATH=$health_path OUTPUT=table VZ_HEALTH=$health \
    "$here/smoke.sh" "$url" ${smoke:+"$smoke"} >&2 ||
    fail 1 "rolled back to $to, but $to fails its checks through $url"
log "done: service/$service-active serves $to again ($from stays up for inspection)"
