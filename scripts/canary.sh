#!/usr/bin/env bash
# Walk a canary through its traffic plan with no controller: one weight step,
# then a watch of the checks for a while, and so on to the plan's end; on the
# first failed watch the canary goes back to 0 at once.
#
#   scripts/canary.sh (--checks FILE | --prometheus URL --namespace NS) [OPTIONS]
#
#   each step:  kubectl get ROUTE -o json | vz-switch step --plan PLAN --canary C
#                 | kubectl replace -f -
#               vz-health -f CHECKS --watch DURATION --every INTERVAL --max-failures N
#   on failure: kubectl get ROUTE -o json | vz-switch weight S=100 C=0 | kubectl replace -f -
#
# The route is an Istio VirtualService, a Gateway API HTTPRoute or an SMI
# TrafficSplit; vz-switch reads where the canary is from it, so a walk that
# stopped half-way carries on from there. Only the two backends change.
#
#   --route KIND/NAME      the traffic object (default virtualservice/NAME)
#   --service NAME         the application (default app)
#   --canary BACKEND       the canary's subset, backendRef or backend (default canary)
#   --stable BACKEND       the stable one (default stable)
#   --plan W,W,...         the canary's weights in percent (default 5,25,50,100)
#   --watch DURATION       how long to watch each step (default 2m)
#   --every INTERVAL       the time between check rounds (default 30s)
#   --max-failures N       failed rounds a check may have per step (default 1)
#   --checks FILE          vz-health checks to watch (HTTP, Prometheus, ...; repeatable)
#   --prometheus URL       watch Flagger's two metrics for the canary workload:
#                          request-success-rate >= --min-success-rate (99) and
#                          request-duration <= --max-duration ms (500)
#   --provider P           their PromQL: istio, nginx or kubernetes (default istio)
#   --target NAME          the canary workload in the metrics (default NAME-canary)
#   --ingress NAME         the canary Ingress (provider nginx)
#   --interval DURATION    the metrics' rate() window (default 1m)
#   --namespace NS         kubectl's namespace, and the metrics' (default: kubectl's)
#
# Environment: VZ_HEALTH, VZ_SWITCH, KUBECTL name the programs (default:
# vz-health, vz-switch, kubectl on PATH). Progress goes to stderr; stdout
# stays empty.
#
# Exit status: 0 the canary reached the plan's end with every watch passing;
# 1 a watch failed (the canary is back at 0) or kubectl failed; 2 bad usage,
# checks or route (or the canary is already at the plan's end).
set -euo pipefail

me=scripts/canary.sh
log() { printf 'canary: %s\n' "$*" >&2; }
fail() {
    local code=$1
    shift
    printf 'canary: error: %s\n' "$*" >&2
    exit "$code"
}
usage() {
    [ $# -eq 0 ] || printf '%s: %s\n' "$me" "$*" >&2
    echo "usage: $me (--checks FILE | --prometheus URL --namespace NS) [--plan 5,25,50,100] [--watch 2m] ... (--help)" >&2
    exit 2
}
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

route='' service=app canary=canary stable=stable plan=5,25,50,100 watch=2m every=30s
max_failures=1 checks=() prometheus='' provider=istio target='' ingress='' interval=1m ns=''
min_success=99 max_duration=500
while [ $# -gt 0 ]; do
    case $1 in
        --route | --service | --canary | --stable | --plan | --watch | --every | --max-failures | \
            --checks | --prometheus | --provider | --target | --ingress | --interval | --namespace | \
            --min-success-rate | --max-duration)
            [ $# -ge 2 ] || usage "$1 needs a value"
            ;;
        *) usage "unknown argument $1" ;;
    esac
    case $1 in
        --route) route=$2 ;;
        --service) service=$2 ;;
        --canary) canary=$2 ;;
        --stable) stable=$2 ;;
        --plan) plan=$2 ;;
        --watch) watch=$2 ;;
        --every) every=$2 ;;
        --max-failures) max_failures=$2 ;;
        --checks) checks+=(-f "$2") ;;
        --prometheus) prometheus=${2%/} ;;
        --provider) provider=$2 ;;
        --target) target=$2 ;;
        --ingress) ingress=$2 ;;
        --interval) interval=$2 ;;
        --namespace) ns=$2 ;;
        --min-success-rate) min_success=$2 ;;
        --max-duration) max_duration=$2 ;;
    esac
    shift 2
done

# Everything is checked before the route is touched.
[[ $service =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || usage "--service '$service' is not a Kubernetes name"
route=${route:-virtualservice/$service}
target=${target:-$service-canary}
[[ $route =~ ^[a-z.]+/[a-z0-9.-]+$ ]] || usage "--route '$route' is not KIND/NAME (virtualservice/app)"
[[ $plan =~ ^[0-9]+(,[0-9]+)*$ ]] || usage "--plan '$plan' is not weights in percent, W,W,... (5,25,50,100)"
for d in "$watch" "$every" "$interval"; do
    [[ $d =~ ^([0-9]+(ms|s|m|h))+$ ]] || usage "'$d' is not a duration (300ms, 30s, 2m)"
done
[[ $max_failures =~ ^[0-9]+$ ]] || usage "--max-failures '$max_failures' is not a count"
[[ $min_success =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage "--min-success-rate '$min_success' is not a percentage"
[[ $max_duration =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage "--max-duration '$max_duration' is not milliseconds"
for name in "$target" "$ingress" "$ns"; do
    [[ $name =~ ^[a-z0-9.-]*$ ]] || usage "'$name' is not a Kubernetes name"
done
case $provider in istio | nginx | kubernetes) ;; *) usage "--provider is istio, nginx or kubernetes, not '$provider'" ;; esac
[ ${#checks[@]} -gt 0 ] || [ -n "$prometheus" ] || usage "nothing to watch: give --checks FILE or --prometheus URL"
health=${VZ_HEALTH:-vz-health} switch=${VZ_SWITCH:-vz-switch} kubectl=${KUBECTL:-kubectl}
for tool in "$health" "$switch" "$kubectl"; do
    command -v "$tool" >/dev/null || usage "$tool not found: put it on PATH or set VZ_HEALTH, VZ_SWITCH, KUBECTL"
done

if [ -n "$prometheus" ]; then
    [[ $prometheus =~ ^https?://[^\"\\[:space:]]+$ ]] || usage "--prometheus '$prometheus' is not an http(s) URL"
    [ -n "$ns" ] || usage "--prometheus needs --namespace: the metrics are selected by namespace"
    [ "$provider" != nginx ] || [ -n "$ingress" ] || usage "--provider nginx needs --ingress (the canary Ingress)"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    args="namespace: \"$ns\", target: \"$target\", interval: \"$interval\"${ingress:+, ingress: \"$ingress\"}"
    cat >"$tmp/flagger.yaml" <<EOF
# Flagger's built-in metrics and default thresholds, for the canary.
- name: request-success-rate
  prometheus: "$prometheus"
  preset: request-success-rate
  provider: $provider
  args: {$args}
  min: $min_success
- name: request-duration
  prometheus: "$prometheus"
  preset: request-duration
  provider: $provider
  args: {$args}
  max: $max_duration
EOF
    checks+=(-f "$tmp/flagger.yaml")
fi
"$health" --dry-run "${checks[@]}" >/dev/null || usage "bad checks"

kns=()
[ -z "$ns" ] || kns=(--namespace "$ns")
k() { "$kubectl" "${kns[@]}" "$@"; }
step() { "$switch" step --plan "$plan" --canary "$canary" --stable "$stable"; }
# abort WHY: the canary to 0, the stable backend to 100, and exit 1.
abort() {
    log "$1: setting $canary to 0 on $route"
    local obj zero
    if obj=$(k get "$route" -o json) && zero=$("$switch" weight "$stable=100" "$canary=0" <<<"$obj") &&
        k replace -f - <<<"$zero" >&2; then
        fail 1 "$1: $route sends all traffic to $stable again"
    fi
    fail 1 "$1, and $route could NOT be reset: set it by hand (vz-switch weight $stable=100 $canary=0)"
}

log "walking $canary on $route through $plan, watching each step for $watch"
n=0
while :; do
    n=$((n + 1))
    # Before the first step nothing has changed: a failure just stops (vz-switch
    # says why it cannot step, exit 2). Later the canary goes back to 0.
    if ! obj=$(k get "$route" -o json); then
        [ "$n" -gt 1 ] || fail 1 "cannot read $route"
        abort "cannot read $route for step $n"
    fi
    if ! next=$(step <<<"$obj"); then
        [ "$n" -gt 1 ] || exit 2
        abort "step $n could not be made"
    fi
    k replace -f - <<<"$next" >&2 || abort "step $n was not written (a conflict: $route changed meanwhile)"
    log "step $n: watching for $watch, every $every, at most $max_failures failed rounds per check"
    "$health" "${checks[@]}" --watch "$watch" --every "$every" --max-failures "$max_failures" -o table >&2 ||
        abort "step $n failed its watch"
    # The plan's end: no further step from here.
    if ! step <<<"$next" >/dev/null 2>&1; then
        break
    fi
done
log "done: $canary is at the plan's end (${plan##*,}%) and passed every watch; roll the stable track to the new version, then: vz-switch weight $stable=100 $canary=0"
