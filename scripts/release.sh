#!/usr/bin/env bash
# The release build, as `make build`, `make install` and the benches make it:
#
#   scripts/release.sh build [CARGO-BUILD-ARGS...]   build (--bin NAME, --locked, --quiet, ...)
#   scripts/release.sh dir                            print where the binaries are, relative
#                                                     to the repository
#
# On Linux with glibc, the tools are linked statically (`+crt-static`) at a
# fixed address (`relocation-model=static`): the kernel maps one file and
# jumps to it, with no dynamic loader, no shared libraries to map and
# relocate, and no pointers to rewrite. `vz-comply --version` takes 66 page
# faults instead of 117 and starts 0.5 ms sooner, and so does every run: a
# twentieth of vz-comply's public-corpus check. glibc's name lookups
# (vz-health's host names) still read /etc/nsswitch.conf and load the
# system's NSS modules, which must be of the glibc version the binary was
# built with: build on the machine, or one like it, that runs the tools.
#
# A static C runtime is a property of the target, so it is built with an
# explicit --target (proc-macros and build scripts, which run on the host
# inside cargo, stay dynamic) into target/HOST/release. Elsewhere it is a
# plain `cargo build --release` into target/release.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}
host=$(rustc -vV | sed -n 's/^host: //p')
[ -n "$host" ] || { echo "release.sh: rustc -vV names no host" >&2; exit 2; }

case $host in
*-linux-gnu*) static=true dir=target/$host/release ;;
*) static=false dir=target/release ;;
esac

case ${1:-} in
dir) echo "$dir" ;;
build)
    shift
    if $static; then
        # Added to .cargo/config.toml's flags for this target, not in place of them.
        exec "$cargo" build --release --target "$host" \
            --config "target.$host.rustflags = ['-C', 'target-feature=+crt-static', '-C', 'relocation-model=static']" "$@"
    fi
    exec "$cargo" build --release "$@"
    ;;
*)
    echo "usage: scripts/release.sh build [CARGO-BUILD-ARGS...] | scripts/release.sh dir" >&2
    exit 2
    ;;
esac
