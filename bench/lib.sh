# shellcheck shell=bash
# Shared by the bench scripts (sourced, after ROOT is set): messages, the
# tools a bench needs, and the binary it measures.

die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}
log() { printf 'bench: %s\n' "$*" >&2; }

# need TOOL...: each TOOL is on PATH, or the bench stops saying how to get it.
need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install $tool)"
    done
}

# vz_binary NAME: sets VZ to the binary to measure: $VZ_<NAME> when set
# (VZ_SCAN_MERGE for vz-scan-merge), else a fresh release build of NAME.
vz_binary() {
    local name=$1 var
    var=$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')
    if [ -n "${!var:-}" ]; then
        VZ=${!var}
    else
        log "cargo build --release --bin $name"
        cargo build --release --quiet --bin "$name" >&2
        VZ=$ROOT/target/release/$name
    fi
    [ -x "$VZ" ] || die "no $name binary at $VZ"
}
