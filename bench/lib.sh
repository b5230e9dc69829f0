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
# (VZ_SCAN_MERGE for vz-scan-merge), else a fresh release build of NAME
# (scripts/release.sh, as `make build` makes it: static on Linux with glibc),
# installed under $OUT/bin as `make install` installs it (a copy). Users run
# installed binaries; the linker's own output file, run in place, measured
# 0.2 ms slower per start on these machines than a copy of the same bytes
# (more page faults: 174 against 156 for one render), which is a tenth of
# a small render.
vz_binary() {
    local name=$1 var built
    var=$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')
    if [ -n "${!var:-}" ]; then
        built=${!var}
    else
        log "scripts/release.sh build --bin $name"
        "$ROOT/scripts/release.sh" build --quiet --bin "$name" >&2
        built=$ROOT/$("$ROOT/scripts/release.sh" dir)/$name
    fi
    [ -x "$built" ] || die "no $name binary at $built"
    install -d "${OUT:?}/bin"
    install -m 755 "$built" "$OUT/bin/$name"
    VZ=$OUT/bin/$name
}
