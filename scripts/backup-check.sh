#!/usr/bin/env bash
# The nightly backup check of the guides, in one step: scan the backup
# directory, verify it against the previous run's inventory, plan retention
# (24 hourly, 30 daily, 12 weekly, 24 monthly) and check the RPO (1h).
#
#   scripts/backup-check.sh --out OUT [options] DIR
#
#   DIR                   the backup directory (e.g. /var/backups/pg)
#   --out OUT             where inventory.json, plan.json, health.json and
#                         verify.json go (created; not inside DIR). The
#                         previous run's inventory.json there is verified.
#   --time-from-name P    strftime pattern of the time in file names
#                         (default %Y%m%d_%H%M%S; files without one use mtime)
#   --tz ZONE             the zone of wall clocks in names (default: TZ)
#   --rpo DURATION        fail when a series' newest backup is older (default 1h)
#   --expect CADENCE      hourly, daily, a duration, auto (default) or none
#   --window DURATION     how far back no backup may be missing (default: the
#                         span the hourly rule keeps whole, keep-hourly - 1
#                         hours; older backups are thinned by the plan and
#                         would look missing)
#   --restore-ledger F    also check restore tests (JSON lines {group, time, result})
#   --keep-hourly N, --keep-daily N, --keep-weekly N, --keep-monthly N
#                         the retention policy (default 24, 30, 12, 24)
#   --delete              delete the files the plan removes (only those, only
#                         regular files inside DIR); without it nothing is
#                         deleted and the plan is only printed
#   --now TIME            take now to be TIME (RFC 3339; also VZ_NOW)
#
# verify: a file of the previous inventory that changed or is unreadable
# fails, and so does one that is missing unless the previous plan removed
# it; new files are the new backups and are fine.
#
# Environment: VZ_BACKUP is the vz-backup binary (default: the one on PATH).
# Needs jq.
#
# Exit status: 0 healthy, 1 verify or a check failed (or the plan was
# refused), 2 bad usage or unreadable input.
set -euo pipefail

me=scripts/backup-check.sh
usage() {
    [ $# -gt 0 ] && echo "$me: $*" >&2
    echo "usage: $me --out OUT [--time-from-name P] [--tz ZONE] [--rpo 1h] [--expect CADENCE] [--window DURATION] [--restore-ledger F] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--delete] [--now TIME] DIR" >&2
    exit 2
}
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

backup=${VZ_BACKUP:-vz-backup}
out='' dir='' pattern='%Y%m%d_%H%M%S' rpo=1h expect='' window='' ledger='' delete=0
hourly=24 daily=30 weekly=12 monthly=24
tz_args=() now_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --out | --time-from-name | --tz | --rpo | --expect | --window | --restore-ledger | \
            --keep-hourly | --keep-daily | --keep-weekly | --keep-monthly | --now)
            [ $# -ge 2 ] || usage "$1 needs a value"
            case $1 in
                --out) out=$2 ;;
                --time-from-name) pattern=$2 ;;
                --tz) tz_args=(--tz "$2") ;;
                --rpo) rpo=$2 ;;
                --expect) expect=$2 ;;
                --window) window=$2 ;;
                --restore-ledger) ledger=$2 ;;
                --keep-hourly) hourly=$2 ;;
                --keep-daily) daily=$2 ;;
                --keep-weekly) weekly=$2 ;;
                --keep-monthly) monthly=$2 ;;
                --now) now_args=(--now "$2") ;;
            esac
            shift 2
            ;;
        --delete) delete=1; shift ;;
        --) shift; break ;;
        -*) usage "unknown option $1" ;;
        *) [ -z "$dir" ] || usage "one DIR only"; dir=$1; shift ;;
    esac
done
if [ $# -gt 0 ]; then
    if [ -n "$dir" ] || [ $# -ne 1 ]; then usage "one DIR only"; fi
    dir=$1
fi
[ -n "$dir" ] || usage "DIR is missing"
[ -n "$out" ] || usage "--out OUT is missing"
[ -d "$dir" ] || usage "$dir is not a directory"
for n in "$hourly" "$daily" "$weekly" "$monthly"; do
    [[ $n =~ ^(-1|[0-9]+)$ ]] || usage "a --keep-* count must be a number (or -1), not '$n'"
done
command -v jq > /dev/null || { echo "$me: jq is missing (apt-get install jq)" >&2; exit 2; }
command -v "$backup" > /dev/null || { echo "$me: $backup not found (set VZ_BACKUP)" >&2; exit 2; }
if [ -n "$ledger" ] && [ ! -r "$ledger" ]; then usage "cannot read $ledger"; fi

mkdir -p "$out" || usage "cannot create $out"
dir_abs=$(cd "$dir" && pwd -P)
out_abs=$(cd "$out" && pwd -P)
case $out_abs/ in
    "$dir_abs"/*) usage "--out $out is inside DIR: its files would be scanned as backups" ;;
esac

# A tool's exit 2 (bad input) ends the run with 2; 1 is remembered.
status=0
run() {
    local rc=0
    "$@" || rc=$?
    case $rc in
        0) ;;
        1) status=1 ;;
        *) echo "$me: $1 failed (exit $rc)" >&2; exit 2 ;;
    esac
    return 0
}

tmp=$(mktemp -d "$out_abs/.backup-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 1. verify the previous inventory (before this run's scan replaces it)
if [ -f "$out_abs/inventory.json" ]; then
    rc=0
    "$backup" verify "$out_abs/inventory.json" "$dir_abs" -o json "${now_args[@]}" \
        > "$tmp/verify.json" 2> "$tmp/verify.err" || rc=$?
    if [ "$rc" -ge 2 ]; then
        cat "$tmp/verify.err" >&2
        echo "$me: verify failed (exit $rc)" >&2
        exit 2
    fi
    removed='[]'
    [ -f "$out_abs/plan.json" ] && removed=$(jq -c '[.remove[].id]' "$out_abs/plan.json")
    problems=$(jq -r --argjson removed "$removed" '
        .files[]
        | select(.status == "changed" or .status == "unreadable"
                 or (.status == "missing" and ((.path as $p | $removed | index($p)) == null)))
        | "\(.status) \(.path): \(.reasons | join("; "))"' "$tmp/verify.json")
    if [ -n "$problems" ]; then
        printf 'verify: %s\n' "$problems" >&2
        status=1
    else
        echo "verify: the previous inventory's files are unchanged" >&2
    fi
    mv "$tmp/verify.json" "$out_abs/verify.json"
else
    echo "verify: no previous inventory in $out: skipped" >&2
fi

# 2. scan
run "$backup" scan "$dir_abs" --time-from-name "$pattern" "${tz_args[@]}" -o json \
    "${now_args[@]}" > "$tmp/inventory.json"

# 3. plan (a refused plan, exit 1, writes nothing and deletes nothing)
plan_rc=0
"$backup" plan "$tmp/inventory.json" --keep-hourly "$hourly" --keep-daily "$daily" \
    --keep-weekly "$weekly" --keep-monthly "$monthly" -o json "${now_args[@]}" \
    > "$tmp/plan.json" || plan_rc=$?
case $plan_rc in
    0) ;;
    1) status=1; echo "plan: refused: nothing will be deleted" >&2 ;;
    *) echo "$me: plan failed (exit $plan_rc)" >&2; exit 2 ;;
esac

# 4. check
if [ -z "$window" ]; then
    if [ "$hourly" -ge 2 ]; then window=$((hourly - 1))h
    elif [ "$daily" -ge 2 ]; then window=$((daily - 1))d
    else window=7d
    fi
fi
check_args=(--rpo "$rpo" --window "$window")
[ -n "$expect" ] && check_args+=(--expect "$expect")
[ -n "$ledger" ] && check_args+=(--restore-ledger "$ledger")
run "$backup" check "$tmp/inventory.json" "${check_args[@]}" -o json "${now_args[@]}" \
    > "$tmp/health.json"

mv "$tmp/inventory.json" "$out_abs/inventory.json"
mv "$tmp/health.json" "$out_abs/health.json"
if [ "$plan_rc" -ne 0 ]; then
    rm -f "$out_abs/plan.json"
    exit "$status"
fi
mv "$tmp/plan.json" "$out_abs/plan.json"

# 5. what the plan removes, and (with --delete) removing it
count=$(jq '.remove | length' "$out_abs/plan.json")
if [ "$count" -eq 0 ]; then
    echo "plan: nothing to remove" >&2
elif [ "$delete" -eq 0 ]; then
    echo "plan: would remove $count file(s) (run with --delete to remove them):" >&2
    jq -r '.remove[] | "  \(.id)  \(.reasons | join(", "))"' "$out_abs/plan.json" >&2
else
    echo "plan: removing $count file(s):" >&2
    while IFS= read -r id; do
        case /$id/ in
            *//* | */../* | */./*)
                echo "$me: not deleting '$id': not a plain relative path" >&2; status=1; continue ;;
        esac
        if [ -f "$dir_abs/$id" ] && [ ! -L "$dir_abs/$id" ]; then
            rm -f -- "$dir_abs/$id"
            echo "  removed $id" >&2
        else
            echo "$me: not deleting '$id': no regular file in $dir" >&2
            status=1
        fi
    done < <(jq -r '.remove[].id' "$out_abs/plan.json")
fi

verdict=$(jq -r '.verdict' "$out_abs/health.json")
echo "check: $verdict (rpo $rpo); written: $out/inventory.json, $out/plan.json, $out/health.json" >&2
exit "$status"
