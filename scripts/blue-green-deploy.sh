#!/usr/bin/env bash
# Blue/green deploy with no controller: the new version goes to the idle
# colour, is checked there, then takes the traffic; if it fails through the
# live Service, the traffic goes back at once.
#
#   scripts/blue-green-deploy.sh VERSION [OPTIONS]
#
#   1. read the live colour:  kubectl get svc NAME-active -o json | vz-switch current
#   2. render the idle colour at VERSION and apply it:  vz-render ENV | kubectl apply -f -
#   3. size it like the live colour, wait:  kubectl rollout status deployment/NAME-IDLE
#   4. health and smoke checks on the idle colour through NAME-preview (vz-health --wait)
#   5. switch:  kubectl get svc NAME-active -o json | vz-switch to IDLE | kubectl replace -f -
#   6. verify through NAME-active; on failure switch back (vz-switch back) and exit 1
#   7. with --scale-down, scale the old colour to 0 (scripts/rollback.sh scales it up again)
#
#   VERSION              the image tag to deploy (v1.4.2)
#   --spec FILE          the deploy spec (default vz.yaml)
#   --env ENV            the environment to render (default production)
#   --namespace NS       where the Services live (default: kubectl's namespace)
#   --service NAME       the spec's service: Services NAME-active and NAME-preview,
#                        Deployments NAME-COLOR (default app)
#   --key KEY            the selector key holding the colour (default version)
#   --colors A,B         the two colours (default blue,green)
#   --color-var VAR      also export the live colour as VAR, for a spec that reads
#                        it (VEKTAGRAF_ACTIVE_COLOR); ACTIVE_COLOR is always set
#   --preview-url URL    where NAME-preview answers (default http://NAME-preview.NS.svc,
#                        in-cluster DNS; from outside, a port-forward or ingress URL)
#   --active-url URL     where NAME-active answers (default http://NAME-active.NS.svc)
#   --health-path PATH   the health endpoint under both URLs (default /health)
#   --smoke FILE         vz-health smoke checks, run through the preview and again
#                        through the active Service (${BASE_URL} is that URL)
#   --timeout DURATION   for kubectl rollout status (default 10m)
#   --wait DURATION      how long each health check may wait to pass (default 5m)
#   --undo FILE          where the switch writes its inverse, a merge patch for
#                        kubectl patch --type merge --patch-file (default
#                        NAME-active.undo.json)
#   --scale-down         scale the old colour to 0 once the switch is verified
#   --scale-down-delay D wait D first (sleep syntax: 30s, 2m), so no endpoint still
#                        sends it traffic (default 30s)
#   --interactive        ask before switching; only when stdin is a terminal
#
# Environment: VZ_RENDER, VZ_HEALTH, VZ_SWITCH, KUBECTL name the programs
# (default: vz-render, vz-health, vz-switch, kubectl on PATH). Progress goes to
# stderr; stdout stays empty.
#
# Exit status: 0 the new version serves the traffic; 1 the deploy failed (the
# traffic stays on, or went back to, the old colour unless the log says
# otherwise); 2 bad usage, spec or Service.
set -euo pipefail

me=scripts/blue-green-deploy.sh
here=$(cd "$(dirname "$0")" && pwd)
log() { printf 'blue-green: %s\n' "$*" >&2; }
fail() {
    local code=$1
    shift
    printf 'blue-green: error: %s\n' "$*" >&2
    exit "$code"
}
usage() {
    [ $# -eq 0 ] || printf '%s: %s\n' "$me" "$*" >&2
    echo "usage: $me VERSION [--spec FILE] [--env ENV] [--namespace NS] [--service NAME] [--interactive] [--scale-down] ... (--help)" >&2
    exit 2
}
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

version='' spec=vz.yaml env=production ns='' service=app key=version colors=blue,green
color_var='' preview_url='' active_url='' health_path=/health smoke=''
timeout=10m wait=5m undo='' scale_down=0 scale_down_delay=30s interactive=0
while [ $# -gt 0 ]; do
    case $1 in
        --interactive) interactive=1; shift; continue ;;
        --scale-down) scale_down=1; shift; continue ;;
        --spec | --env | --namespace | --service | --key | --colors | --color-var | --preview-url | \
            --active-url | --health-path | --smoke | --timeout | --wait | --undo | --scale-down-delay)
            [ $# -ge 2 ] || usage "$1 needs a value"
            ;;
        -*) usage "unknown option $1" ;;
        *)
            [ -z "$version" ] || usage "one VERSION only, got '$version' and '$1'"
            version=$1
            shift
            continue
            ;;
    esac
    case $1 in
        --spec) spec=$2 ;;
        --env) env=$2 ;;
        --namespace) ns=$2 ;;
        --service) service=$2 ;;
        --key) key=$2 ;;
        --colors) colors=$2 ;;
        --color-var) color_var=$2 ;;
        --preview-url) preview_url=${2%/} ;;
        --active-url) active_url=${2%/} ;;
        --health-path) health_path=$2 ;;
        --smoke) smoke=$2 ;;
        --timeout) timeout=$2 ;;
        --wait) wait=$2 ;;
        --undo) undo=$2 ;;
        --scale-down-delay) scale_down_delay=$2 ;;
    esac
    shift 2
done

# Everything is checked before the cluster is touched.
[ -n "$version" ] || usage "VERSION is missing"
[[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    usage "VERSION '$version' is not an image tag (letters, digits, '_', '.', '-'; at most 128)"
if ! [[ $colors =~ ^[a-z0-9-]+,[a-z0-9-]+$ ]] || [ "${colors%,*}" = "${colors#*,}" ]; then
    usage "--colors needs two different colours, A,B (blue,green), not '$colors'"
fi
[ -z "$color_var" ] || [[ $color_var =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
    usage "--color-var '$color_var' is not a variable name"
for d in "$timeout" "$wait"; do
    [[ $d =~ ^([0-9]+(ms|s|m|h))+$ ]] || usage "'$d' is not a duration (30s, 5m, 1h30m)"
done
[[ $scale_down_delay =~ ^[0-9]+[smh]?$ ]] || usage "--scale-down-delay '$scale_down_delay' is not 30s, 2m or 1h"
[[ $service =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || usage "--service '$service' is not a Kubernetes name"
[ -r "$spec" ] || usage "cannot read the spec $spec"
[ -z "$smoke" ] || [ -r "$smoke" ] || usage "cannot read the smoke checks $smoke"
render=${VZ_RENDER:-vz-render} health=${VZ_HEALTH:-vz-health} switch=${VZ_SWITCH:-vz-switch}
kubectl=${KUBECTL:-kubectl}
for tool in "$render" "$health" "$switch" "$kubectl"; do
    command -v "$tool" >/dev/null || usage "$tool not found: put it on PATH or set VZ_RENDER, VZ_HEALTH, VZ_SWITCH, KUBECTL"
done
suffix=${ns:+.$ns.svc}
preview_url=${preview_url:-http://$service-preview$suffix}
active_url=${active_url:-http://$service-active$suffix}
undo=${undo:-$service-active.undo.json}
if [ -n "$smoke" ]; then
    BASE_URL=$preview_url "$health" --dry-run -f "$smoke" >/dev/null || usage "bad smoke checks in $smoke"
fi

kns=()
[ -z "$ns" ] || kns=(--namespace "$ns")
k() { "$kubectl" "${kns[@]}" "$@"; }
sw() { "$switch" --key "$key" --colors "$colors" "$@"; }
# checks URL: health (waiting up to --wait), then the smoke checks once.
checks() {
    WAIT=$wait HEALTH_PATH=$health_path OUTPUT=table VZ_HEALTH=$health \
        "$here/smoke.sh" "$1" ${smoke:+"$smoke"} >&2
}
# size IDLE LIVE: give the idle Deployment at least the live one's replicas
# (an earlier --scale-down left it at 0; an autoscaled one starts at 1).
size() {
    local have want
    have=$(k get deployment "$service-$1" -o 'jsonpath={.spec.replicas}') ||
        fail 1 "deployment/$service-$1 is not there after the apply: is --service right, and the spec's strategy blue-green?"
    want=$(k get deployment "$service-$2" -o 'jsonpath={.spec.replicas}' --ignore-not-found)
    if [ -n "$want" ] && [ "${have:-0}" -lt "$want" ]; then
        log "scale deployment/$service-$1 from ${have:-0} to $want replicas, as $2 runs"
        k scale "deployment/$service-$1" --replicas="$want" >&2 || fail 1 "could not scale deployment/$service-$1"
    fi
}
# switch_back: the live Service back to the colour it had before the switch.
switch_back() {
    local svc back
    svc=$(k get svc "$service-active" -o json) &&
        back=$(sw back <<<"$svc") &&
        k replace -f - <<<"$back" >&2
}

# 1. The live colour.
svc=$(k get svc "$service-active" -o json) ||
    fail 1 "cannot read service/$service-active (a first install is: vz-render $env | kubectl apply -f -)"
active=$(sw current <<<"$svc")
case $active in
    "${colors%,*}") idle=${colors#*,} ;;
    "${colors#*,}") idle=${colors%,*} ;;
    *) fail 2 "service/$service-active selects $key=$active, not one of $colors" ;;
esac
log "service/$service-active serves $active: deploying $version to $idle"

# 2. Render the idle colour at VERSION and apply it. The render keeps
# NAME-active on the live colour and points NAME-preview at the idle one.
log "render $env from $spec ($service $version, live colour $active) | kubectl apply"
manifests=$(env ACTIVE_COLOR="$active" ${color_var:+"$color_var=$active"} "$render" "$env" -f "$spec" \
    --set "services.$service.tag=\"$version\"" --set "services.$service.strategy.activeColor=$active") ||
    fail $? "nothing applied: vz-render refused $spec (a spec that reads the live colour from \${VAR} needs --color-var VAR)"
k apply -f - <<<"$manifests" >&2 || fail 1 "kubectl apply failed: traffic stays on $active"

# 3. Ready: as many replicas as the live colour, rolled out.
size "$idle" "$active"
log "rollout status deployment/$service-$idle (timeout $timeout)"
k rollout status "deployment/$service-$idle" --timeout="$timeout" >&2 ||
    fail 1 "deployment/$service-$idle did not roll out: traffic stays on $active"

# 4. Healthy through the preview Service.
log "check $idle through $preview_url"
checks "$preview_url" || fail 1 "$idle failed its checks through $preview_url: traffic stays on $active"

if [ "$interactive" = 1 ]; then
    if [ -t 0 ]; then
        read -r -p "blue-green: switch service/$service-active from $active to $idle? [y/N] " answer
        [[ $answer =~ ^[Yy] ]] || fail 1 "not switched: traffic stays on $active; $idle runs $version"
    else
        log "--interactive, but stdin is not a terminal: switching without asking"
    fi
fi

# 5. Switch, keeping the resourceVersion: a concurrent change is a conflict.
log "switch service/$service-active $active → $idle (undo: kubectl patch svc $service-active --type merge --patch-file $undo)"
svc=$(k get svc "$service-active" -o json) || fail 1 "cannot read service/$service-active: traffic stays on $active"
switched=$(sw to "$idle" --undo "$undo" <<<"$svc")
k replace -f - <<<"$switched" >&2 ||
    fail 1 "service/$service-active was not switched (a conflict: someone changed it since it was read): traffic stays on $active"

# 6. Verify through the live Service; switch back on failure.
log "verify $idle through $active_url"
if ! checks "$active_url"; then
    log "verification failed: switching service/$service-active back to $active"
    switch_back ||
        fail 1 "COULD NOT SWITCH BACK: service/$service-active still serves $idle; run: kubectl patch svc $service-active --type merge --patch-file $undo"
    fail 1 "$idle failed through $active_url: service/$service-active serves $active again; deployment/$service-$idle keeps $version for inspection"
fi

# 7. The old colour's pods, once nothing routes to them.
if [ "$scale_down" = 1 ]; then
    log "scale deployment/$service-$active to 0 after $scale_down_delay"
    sleep "$scale_down_delay"
    k scale "deployment/$service-$active" --replicas=0 >&2 ||
        fail 1 "$idle serves $version, but deployment/$service-$active could not be scaled down"
fi
log "done: service/$service-active serves $idle ($version); undo with scripts/rollback.sh REASON"
