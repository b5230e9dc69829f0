//! vz-backup: backup inventories, checksum verification, restic-exact
//! retention plans and RPO checks.
//!
//! `plan`: [`snapshot`] reads the snapshots (restic's JSON, a vz inventory
//! or an S3 listing, [`s3`]) → [`policy`] validates the `--keep-*` flags →
//! [`plan`] applies restic's rules per group ([`borg`] applies borg's) and
//! vz's safety rules → the guards below decide the exit status → the plan
//! is written whole ([`plan_json`] for JSON), or not at all.
//!
//! `scan`: [`scan`] walks a directory, [`name`] finds backup times and
//! series in file names, [`hash`] reads every file on all cores.
//! `verify`: [`verify`] re-reads the files an inventory (or an S3 listing)
//! names. `check`: [`check`] judges RPO, cadence, sizes and restore tests
//! per group and writes one health document.

pub mod borg;
pub mod borg_list;
pub mod check;
pub mod hash;
pub mod name;
pub mod plan;
pub mod plan_json;
pub mod policy;
pub mod s3;
pub mod scan;
pub mod snapshot;
pub mod verify;

#[cfg(test)]
mod proptests;

use clap::{Parser, Subcommand};
use plan::Plan;
use policy::GroupBy;
use sha2::Digest as _;
use vz::cli::{Common, Ctx, Tool};
use vz::input::Input;
use vz::{Error, Outcome};

const EXAMPLES: &str = "\
Examples:
  vz-backup scan /var/backups/pg --time-from-name '%Y%m%d_%H%M%S' > inventory.json
  vz-backup verify inventory.json
  vz-backup verify inventory.json --sample \"$(( $(date +%j) % 7 + 1 ))/7\"
  vz-backup check inventory.json --rpo 26h --expect daily --restore-ledger restores.jsonl
  restic snapshots --json | vz-backup plan --keep-daily 30 --keep-weekly 12 --keep-monthly 24
  restic snapshots --json | vz-backup plan -d 7 -w 4 -m 12 --max-remove-pct 50 \\
      | jq -r '.remove[].id' | xargs -r restic forget
  vz-backup plan inventory.json --keep-last 10 --group-by host -o table

Exit status:
  0  success (scan: the inventory was written; verify: every file matches;
     plan: the plan was written; check: every check passed)
  1  the answer is no (verify: a file is missing, changed, unexpected or
     unreadable; plan: the plan was refused, because it would remove every
     snapshot of a group or a guard tripped, nothing on stdout; check: a
     check failed)
  2  usage or input error (bad flag, unreadable file, malformed input)";

const SCAN_HELP: &str = "\
Walks DIR (sorted by name, symbolic links not followed: they, sockets and
FIFOs are skipped with a warning) and reads every regular file on all cores
for its SHA-256. An entry it cannot read stops the scan (exit 2, nothing on
stdout). When standard output is a file inside DIR, that file is left out.

Output (JSON): {version: 1, root: DIR (absolute), created: now, backups:
[{id, time, size, sha256, paths, path, mtime}]}: id and path are the path
relative to DIR; time is the backup time; paths holds the file's series,
the group that plan and check use; mtime is the modification time. The
same inventory as CSV with -o csv (paths separated by ;). verify, plan and
check read both.

The backup time: with --time-from-name PATTERN, the first place in the file
name (else in the nearest directory name) where the strftime PATTERN reads a
date (jiff's strptime: %Y %m %d %H %M %S %j %b %s %z …); otherwise, and for
files whose name has none (a warning names them), the mtime. A time without
an offset in the name is a wall clock in --tz (default: TZ, the local zone).

The series: the --group-by-name REGEX capture `group`, else capture 1, else
the whole match, on the relative path; else, when the time came from the
name, the path with the time replaced by * (pg/db_*.dump); else the
directory (. at the top).

Examples:
  vz-backup scan /var/backups/pg > /var/lib/vz/pg-inventory.json
  vz-backup scan /var/backups --time-from-name '%Y%m%d_%H%M%S' --tz Europe/Berlin
  vz-backup scan /srv/dumps --time-from-name '%Y-%m-%d' --group-by-name '^(?P<group>[a-z]+)-' -o csv

Exit status:
  0  the inventory was written
  2  usage or input error: DIR missing or not a directory, an unreadable
     entry or a name that is not UTF-8, a bad --time-from-name pattern,
     --tz zone or --group-by-name regex (nothing on stdout)";

const VERIFY_HELP: &str = "\
Re-reads the files an inventory names, under DIR (default: the inventory's
root), and reports each one: ok, missing, changed (no longer a regular
file, another size, another SHA-256 or MD5), unreadable, unexpected (a
regular file under DIR the inventory does not name; links and special files
are skipped, and so is the inventory itself), or unavailable (no usable
path). Files are read on all cores.

INVENTORY: a vz inventory (vz-backup scan, JSON or CSV) or the output of
`aws s3api list-objects-v2` (to check a local copy of a bucket). An S3
object's ETag is used as its MD5 only when that is provable: 32 hex digits
with no -N (a multipart upload's ETag ends in -N and is no MD5), no
directory bucket, and the encryption stated with --s3-encryption
none|sse-s3, because the listing does not say whether an object is SSE-KMS
or SSE-C encrypted (their ETags are no MD5 either).
Otherwise its content check is reported as unavailable, with the reason;
its size is still checked. Keys lose the listing's Prefix up to its last /
(or --s3-prefix) to give paths under DIR; a truncated listing is refused.

--sample N/T reads the contents of one slice of the files: those whose path
hashes to N-1 modulo T (SHA-256 of the path). Running 1/T to T/T in turn,
one a day, reads every file once per T days (like restic check
--read-data-subset); presence and size are checked for every file each run.

Output (JSON): {inventory, format, dir, verdict, summary: {expected, ok,
changed, missing, unexpected, unreadable, unavailable}, coverage: {slice,
content_checked, content_checkable, total: {files, bytes},
content_unavailable}, files: [{path, status, checked, content, reasons,
expected, found}]}, files sorted by path; a table on a terminal.

Examples:
  vz-backup verify inventory.json
  vz-backup verify inventory.json /mnt/restore-test --sample 3/7
  aws s3api list-objects-v2 --bucket b --prefix pg/ > listing.json
  vz-backup verify listing.json /var/backups/pg --s3-encryption sse-s3

Exit status:
  0  every file named is there and matches, and no file is unexpected
  1  a file is missing, changed, unreadable or unexpected (the report says which)
  2  usage or input error: a missing or malformed inventory, a restic
     snapshot list, no DIR for an inventory without root, a missing DIR, a
     bad --sample, a truncated S3 listing (nothing on stdout)";

const CHECK_HELP: &str = "\
Judges every group of backups (--group-by, default host,paths; a scan
inventory's group is the file's series) over the backups dated at or before
--now:

  rpo           the newest backup is at most --rpo old
  cadence       no backup is missing inside --window: the expected interval
                is --expect (hourly, daily, weekly, a duration such as 6h,
                or none) or, by default, the median interval of the group's
                last 21 backups; an interval (or the time since the newest
                backup) over 1.5 times the expected one misses backups
  size          no backup inside the window is suspiciously small: smaller
                than the median of the --size-history backups before it by
                more than --max-shrink, and by more than 3 scaled median
                absolute deviations (robust to series that always vary)
  restore-test  with --restore-ledger FILE, the group's last successful
                restore test is at most --restore-test-max-age old and no
                failed test came after it

Inputs: the same as plan (restic snapshots --json, whose summary sizes
restic 0.17+ writes; a vz inventory; an S3 listing, grouped by the key's
directory; borg list --json, one group, its times placed in --tz). The ledger has one JSON object per line: {\"group\", \"time\",
\"result\": \"success\"|\"failure\", \"id\"?, \"note\"?}; a line is about a group
when its group is the group's name (its host, paths and tags, :-separated,
as the document shows it), its host, one of its paths, or *.

Output: one health document (JSON; a table on a terminal), written whether
the checks pass or fail, for the audit trail: {version, now, verdict, inputs
(name, format, sha256, entries), restore_ledger, settings, groups: [{group,
name, verdict, backups, future, checks: {rpo, cadence, size, restore_test},
each with its verdict (pass, fail, unknown: too little data, skipped: not
asked for), reason and inputs}], reasons}. The reasons also go to stderr.
Durations: 30s, 15m, 26h, 7d, 1d12h.

Examples:
  restic snapshots --json | vz-backup check --rpo 26h --expect daily
  vz-backup check inventory.json --rpo 1h --expect hourly --window 2d --max-shrink 30%
  vz-backup check inventory.json --restore-ledger restores.jsonl --restore-test-max-age 31d \\
      > health.json || notify-ops < health.json
  echo '{\"group\":\"db1\",\"time\":\"'$(date -Iseconds)'\",\"result\":\"success\"}' >> restores.jsonl

Exit status:
  0  every check passed (or was unknown or skipped)
  1  a check failed: the reasons are on stderr and in the document
  2  usage or input error: a bad duration, --expect or percentage, a missing
     or malformed input or ledger (nothing on stdout)";

const PLAN_HELP: &str = "\
Semantics: restic 0.18/0.19's `forget`, so a plan keeps what `restic forget`
would keep. Per group (--group-by, default host,paths), newest first: a
snapshot is kept when any rule keeps it. A count rule keeps the newest
snapshot of each of its N newest buckets that hold snapshots; rules overlap
(the newest daily is also the newest weekly). Buckets use the wall clock in
each snapshot's own UTC offset; weeks are ISO weeks. --keep-within* count
back from the group's newest snapshot before --now, not from now, with
calendar months (Mar 31 - 1m = Mar 3). While a count rule has units left,
the group's oldest snapshot is kept too (\"oldest monthly snapshot\").
Durations: 1y2m3d4h (m is months; no weeks). Counts: N, or unlimited (-1).

vz is safer than restic in two ways: the newest snapshot of a group is never
removed (kept as \"newest snapshot\" when only --keep-tag rules are given and
it has none of the tags), and a plan that would remove every snapshot of a
group is refused (exit 1), as restic 0.17+ refuses it.

--semantics borg follows borg prune 1.2 instead: rules run in turn and an
archive kept by one rule is not counted by the next; --keep-last counts
seconds; --keep-within (<n>H|d|w|m|y) counts back from now; buckets use the
time zone --tz (default: TZ, the zone of this process); --keep-tag and --keep-within-* do not exist;
there is one group unless --group-by says otherwise.

Inputs: restic snapshots --json, a vz inventory (JSON or CSV), an S3
listing, or borg list --json (ids are archive names; borg 1.2 writes local
times without an offset: they are placed in --tz, default TZ, so run
vz-backup in borg's zone or name it).

Output (JSON): {groups: [{group: {host, paths, tags}, keep: [{id, time,
reasons}], remove: [{id, time, reasons}]}], keep: [...], remove: [...]}; the
top-level lists hold every group's entries, so `jq -r '.remove[].id'` lists
what to forget. Removed snapshots say what superseded them (\"superseded by
1a2b3c4d in 2025-W14\") or \"outside every rule\".

Guards: --min-keep N (per group) and --max-remove-pct P (of all snapshots)
refuse the plan with exit 1 and write nothing to stdout, so a pipeline into
`restic forget` deletes nothing.

Examples:
  restic snapshots --json | vz-backup plan --keep-daily 30 --keep-weekly 12 --keep-monthly 24
  restic snapshots --json | vz-backup plan --keep-within 1m --keep-tag release --min-keep 3
  restic snapshots --json | vz-backup plan -d 7 -w 4 --max-remove-pct 50 \\
      | jq -r '.remove[].id' | xargs -r restic forget
  vz-backup plan inventory.csv --keep-last 10 --group-by host -o table
  vz-backup plan inventory.json --semantics borg --keep-daily 7 --keep-weekly 4
  borg list --json | vz-backup plan --semantics borg -d 7 -w 4 \
      | jq -r '.remove[].id' | xargs -r -I{} borg delete ::{}

Exit status:
  0  the plan was written
  1  the plan was refused: it would remove every snapshot of a group, or
     --min-keep or --max-remove-pct tripped (reasons on stderr, nothing on stdout)
  2  usage or input error: no policy, a negative count other than -1, a bad
     duration, an unknown --group-by word, malformed or empty input";

/// Retention plans with restic's semantics, and proof that backups exist.
#[derive(Parser, Debug)]
#[command(name = "vz-backup", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// What to do
    #[command(subcommand)]
    pub command: Command,

    #[allow(missing_docs)] // clap would print a doc comment here as help
    #[command(flatten)]
    pub common: Common,
}

impl Tool for Args {
    fn common(&self) -> &Common {
        &self.common
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Walk a backup directory into an inventory with sizes and SHA-256 checksums
    #[command(after_long_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// Re-read files against an inventory and name every missing or changed one
    #[command(after_long_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Plan which snapshots a retention policy keeps and which it removes
    #[command(after_long_help = PLAN_HELP)]
    Plan(PlanArgs),
    /// Fail when backups are too old, missing, too small or not restore-tested
    #[command(after_long_help = CHECK_HELP)]
    Check(CheckArgs),
}

/// `vz-backup scan`.
#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// The backup directory
    #[arg(value_name = "DIR")]
    pub dir: std::path::PathBuf,

    /// Take each backup's time from its file name with this strftime
    /// pattern (e.g. '%Y%m%d_%H%M%S'), found anywhere in the name
    #[arg(long, value_name = "PATTERN")]
    pub time_from_name: Option<String>,

    /// The time zone of wall-clock times in names, and of the times written
    /// (IANA name such as Europe/Berlin, or UTC) [default: TZ, the local zone]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Name each file's series (its group) by this regular expression on
    /// the relative path: the capture `group`, else capture 1, else the match
    #[arg(long, value_name = "REGEX")]
    pub group_by_name: Option<String>,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<ScanFormat>,
}

/// `scan`'s output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// The JSON inventory
    Json,
    /// The CSV inventory
    Csv,
    /// A table for people
    Table,
}

/// `vz-backup verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// A vz inventory (JSON or CSV) or `aws s3api list-objects-v2` output
    /// ("-" reads standard input)
    #[arg(value_name = "INVENTORY")]
    pub inventory: String,

    /// The directory holding the files [default: the inventory's root]
    #[arg(value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,

    /// The inventory's format
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub from: snapshot::Source,

    /// Read the contents of slice N of T only (e.g. 3/7); sizes and
    /// presence are still checked for every file
    #[arg(long, value_name = "N/T", value_parser = verify::Sample::parse)]
    pub sample: Option<verify::Sample>,

    /// How the listed S3 objects are encrypted; an ETag is taken for an
    /// MD5 only with none or sse-s3
    #[arg(long, value_enum, value_name = "KIND", default_value_t)]
    pub s3_encryption: s3::Encryption,

    /// The part of each S3 key to drop to get its path under DIR [default:
    /// the listing's Prefix up to its last /]
    #[arg(long, value_name = "PREFIX")]
    pub s3_prefix: Option<String>,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
}

/// `vz-backup check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// `restic snapshots --json`, `borg list --json` or `aws s3api
    /// list-objects-v2` output, or a vz inventory (JSON or CSV) ("-" reads
    /// standard input)
    #[arg(value_name = "FILE", default_value = "-")]
    pub files: Vec<String>,

    /// The input's format
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub from: snapshot::Source,

    /// Fail when a group's newest backup is older than DURATION (e.g. 26h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub rpo: Option<std::time::Duration>,

    /// The time zone of borg's wall-clock times (borg 1.2 writes them
    /// without an offset) [default: TZ, the local zone]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// The expected interval between backups: hourly, daily, weekly, a
    /// duration (6h), auto (the median interval) or none
    #[arg(long, value_name = "CADENCE", default_value = "auto", value_parser = check::Expect::parse)]
    pub expect: check::Expect,

    /// How far back to look for missing and shrunken backups
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub window: std::time::Duration,

    /// Fail when a backup is more than P percent smaller than the median of
    /// the ones before it (and beyond their usual spread)
    #[arg(long, value_name = "P", default_value = "50", value_parser = parse_percent)]
    pub max_shrink: f64,

    /// How many earlier backups the size median is taken over (at least 3)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(3..))]
    pub size_history: u16,

    /// A ledger of restore tests: JSON lines {group, time, result}
    #[arg(long, value_name = "FILE")]
    pub restore_ledger: Option<String>,

    /// Fail when a group's last successful restore test is older than this
    #[arg(long, value_name = "DURATION", default_value = "31d", value_parser = parse_duration)]
    pub restore_test_max_age: std::time::Duration,

    /// Group by host, paths and/or tags, comma-separated ('' for one group)
    #[arg(short = 'g', long, value_name = "FIELDS", default_value = "host,paths")]
    pub group_by: String,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
}

/// `vz-backup plan`.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// `restic snapshots --json` or `borg list --json` output, or a vz
    /// inventory, JSON or CSV ("-" reads standard input)
    #[arg(value_name = "FILE", default_value = "-")]
    pub files: Vec<String>,

    /// The input's format
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub from: snapshot::Source,

    /// Refuse the plan if a group would keep fewer than N snapshots (or all
    /// it has, when it has fewer)
    #[arg(long, value_name = "N")]
    pub min_keep: Option<usize>,

    /// Refuse the plan if it removes more than P percent of all snapshots
    #[arg(long, value_name = "P", value_parser = parse_percent)]
    pub max_remove_pct: Option<f64>,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,

    #[allow(missing_docs)] // clap would print a doc comment here as help
    #[command(flatten)]
    pub keep: policy::Flags,

    /// Group by host, paths and/or tags, comma-separated ('' for one group)
    /// [default: host,paths; borg: '']
    #[arg(short = 'g', long, value_name = "FIELDS")]
    pub group_by: Option<String>,

    /// Whose retention rules to follow
    #[arg(long, value_enum, value_name = "TOOL", default_value_t)]
    pub semantics: Semantics,

    /// The time zone of borg's wall-clock times (borg 1.2 writes them
    /// without an offset) and of --semantics borg's buckets [default: TZ,
    /// the local zone]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

/// Whose retention rules `plan` follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Semantics {
    /// restic 0.18/0.19 `forget`
    #[default]
    Restic,
    /// borg 1.2 `prune`
    Borg,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON
    Json,
    /// YAML
    Yaml,
    /// A table for people
    Table,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    vz::duration::parse(s)
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

/// Runs vz-backup.
pub fn run(args: Args, ctx: &mut Ctx) -> Result<Outcome, Error> {
    match args.command {
        Command::Scan(scan) => run_scan(&scan, ctx),
        Command::Verify(verify) => run_verify(&verify, ctx),
        Command::Plan(plan) => run_plan(&plan, ctx),
        Command::Check(check) => run_check(&check, ctx),
    }
}

/// `--tz`: the named zone, or the zone of the process.
fn time_zone(tz: Option<&str>) -> Result<jiff::tz::TimeZone, Error> {
    match tz {
        None => Ok(jiff::tz::TimeZone::system()),
        Some(z) => jiff::tz::TimeZone::get(z).map_err(|e| {
            Error::usage(format!(
                "--tz `{z}` is not a time zone (such as Europe/Berlin or UTC): {e}"
            ))
        }),
    }
}

fn run_scan(args: &ScanArgs, ctx: &Ctx) -> Result<Outcome, Error> {
    let tz = time_zone(args.tz.as_deref())?;
    let opts = scan::Options {
        time_from_name: args.time_from_name.as_deref().map(name::TimePattern::parse).transpose()?,
        group_by_name: args.group_by_name.as_deref().map(name::GroupPattern::parse).transpose()?,
        tz,
    };
    let inventory = scan::scan(&args.dir, &opts, ctx)?;
    let format =
        args.output.unwrap_or(if ctx.stdout_is_tty { ScanFormat::Table } else { ScanFormat::Json });
    let text = match format {
        ScanFormat::Json => vz::output::pretty_json(&inventory),
        ScanFormat::Csv => scan::csv(&inventory)?,
        ScanFormat::Table => scan::table(&inventory),
    };
    vz::output::emit(text.as_bytes())?;
    let bytes: u64 = inventory.backups.iter().map(|e| e.size).sum();
    ctx.note(&format!("scanned {} files, {bytes} bytes", inventory.backups.len()));
    Ok(Outcome::Pass)
}

fn run_verify(args: &VerifyArgs, ctx: &Ctx) -> Result<Outcome, Error> {
    let opts = verify::Options {
        inventory: args.inventory.clone(),
        dir: args.dir.clone(),
        from: args.from,
        sample: args.sample,
        s3_encryption: args.s3_encryption,
        s3_prefix: args.s3_prefix.clone(),
    };
    let (report, outcome) = verify::verify(&opts, ctx)?;
    let format =
        args.output.unwrap_or(if ctx.stdout_is_tty { Format::Table } else { Format::Json });
    let text = match format {
        Format::Json => vz::output::pretty_json(&report),
        Format::Yaml => vz::yaml::to_string(&serde_json::to_value(&report).unwrap_or_default())?,
        Format::Table => verify::table(&report),
    };
    vz::output::emit(text.as_bytes())?;
    let problems = verify::problems(&report);
    for p in problems.iter().take(20) {
        ctx.note(p);
    }
    if problems.len() > 20 {
        ctx.note(&format!("… and {} more (see the report)", problems.len() - 20));
    }
    ctx.note(&verify::summary_line(&report));
    Ok(outcome)
}

fn run_check(args: &CheckArgs, ctx: &Ctx) -> Result<Outcome, Error> {
    let opts = check::Options {
        rpo: args.rpo,
        expect: args.expect,
        window: args.window,
        max_shrink: args.max_shrink,
        size_history: usize::from(args.size_history),
        restore_max_age: args.restore_test_max_age,
        group_by: GroupBy::parse(&args.group_by)?,
    };
    if args.restore_ledger.as_deref() == Some("-") && args.files.iter().any(|f| f == "-") {
        return Err(Error::usage("standard input (`-`) can be read only once"));
    }
    // The ledger first: it is small, and a bad one is reported before the
    // (possibly large) inputs are read.
    let ledger = match &args.restore_ledger {
        Some(f) => {
            let input = Input::from_arg(f);
            let text = input.read_text()?;
            let entries = check::read_ledger(&text, &input.name())?;
            Some((input.name(), hash::hex(&sha2::Sha256::digest(text.as_bytes())), entries))
        }
        None => None,
    };
    let tz = time_zone(args.tz.as_deref())?;
    let (snapshots, inputs) = read_inputs(&args.files, args.from, &tz)?;
    let now = ctx.now();
    let (groups, mut reasons) =
        check::check(&snapshots, ledger.as_ref().map(|l| l.2.as_slice()), &opts, now);
    if snapshots.is_empty() {
        reasons.push("the input holds no backups".into());
    }
    for g in &groups {
        if g.future > 0 {
            ctx.warn(&format!(
                "{}: {} backup(s) dated after now ({now}): not counted",
                g.name, g.future
            ));
        }
        for (check, v, reason) in [
            ("rpo", g.checks.rpo.verdict, &g.checks.rpo.reason),
            ("cadence", g.checks.cadence.verdict, &g.checks.cadence.reason),
            ("size", g.checks.size.verdict, &g.checks.size.reason),
        ] {
            if v == check::Verdict::Unknown {
                ctx.warn(&format!("{}: {check}: unknown: {reason}", g.name));
            }
        }
    }
    let verdict = if reasons.is_empty() { check::Verdict::Pass } else { check::Verdict::Fail };
    let health = check::Health {
        version: 1,
        now: now.to_string(),
        verdict,
        inputs,
        restore_ledger: ledger.as_ref().map(|(name, sha256, entries)| check::InputInfo {
            name: name.clone(),
            format: "ledger",
            sha256: sha256.clone(),
            entries: entries.len(),
        }),
        settings: check::Settings {
            group_by: check::group_by_words(opts.group_by),
            rpo: opts.rpo.map(vz::duration::format),
            expect: args.expect.describe(),
            window: vz::duration::format(opts.window),
            max_shrink_pct: opts.max_shrink,
            size_history: opts.size_history,
            restore_test_max_age: ledger
                .as_ref()
                .map(|_| vz::duration::format(opts.restore_max_age)),
        },
        groups,
        reasons,
    };
    let format =
        args.output.unwrap_or(if ctx.stdout_is_tty { Format::Table } else { Format::Json });
    let text = match format {
        Format::Json => vz::output::pretty_json(&health),
        Format::Yaml => vz::yaml::to_string(&serde_json::to_value(&health).unwrap_or_default())?,
        Format::Table => check::table(&health),
    };
    vz::output::emit(text.as_bytes())?;
    for r in &health.reasons {
        ctx.note(&format!("fail: {r}"));
    }
    ctx.note(&format!(
        "{}: {} group(s), {} failed check(s)",
        if verdict == check::Verdict::Pass { "pass" } else { "fail" },
        health.groups.len(),
        health.reasons.len()
    ));
    Ok(if verdict == check::Verdict::Pass { Outcome::Pass } else { Outcome::Fail })
}

/// The policy under one semantics.
enum Rules {
    Restic(Box<policy::Policy>),
    Borg(policy::BorgPolicy),
}

fn run_plan(args: &PlanArgs, ctx: &Ctx) -> Result<Outcome, Error> {
    // Flags first: a bad policy is reported before any input is read.
    let (rules, default_group) = match args.semantics {
        Semantics::Restic => (Rules::Restic(Box::new(args.keep.restic()?)), GroupBy::RESTIC),
        Semantics::Borg => (Rules::Borg(args.keep.borg()?), GroupBy::NONE),
    };
    let group_by = match &args.group_by {
        Some(g) => GroupBy::parse(g)?,
        None => default_group,
    };
    if let Rules::Restic(p) = &rules {
        for w in p.warnings() {
            ctx.warn(&w);
        }
    }
    let tz = time_zone(args.tz.as_deref())?;
    let snapshots = read_all(&args.files, args.from, &tz)?;
    let now = ctx.now();
    if snapshots.is_empty() {
        ctx.warn("no snapshots in the input: nothing to plan");
    }
    let future = snapshots.iter().filter(|s| s.time.instant >= now).count();
    if future > 0 {
        ctx.warn(&format!(
            "{future} snapshot(s) dated at or after now ({now}): they count as the newest, and \
             every --keep-within rule keeps them"
        ));
    }
    let plan = match &rules {
        Rules::Restic(p) => plan::plan(&snapshots, group_by, |g| plan::apply(g, p, now)),
        Rules::Borg(p) => plan::plan(&snapshots, group_by, |g| borg::apply(g, p, now, &tz)),
    };
    let refusals = refusals(&plan, args);
    if !refusals.is_empty() {
        for r in &refusals {
            ctx.note(&format!("refused: {r}"));
        }
        ctx.note("nothing written to stdout: no snapshot will be removed");
        return Ok(Outcome::Fail);
    }
    let format =
        args.output.unwrap_or(if ctx.stdout_is_tty { Format::Table } else { Format::Json });
    match format {
        // Streamed: a million snapshots make a plan of hundreds of MB.
        Format::Json => vz::output::emit_with(|out| plan_json::write(&plan, out))?,
        Format::Yaml => vz::output::emit(
            vz::yaml::to_string(&serde_json::to_value(&plan).unwrap_or_default())?.as_bytes(),
        )?,
        Format::Table => vz::output::emit(table(&plan).as_bytes())?,
    }
    ctx.note(&format!(
        "keep {}, remove {} of {} snapshots in {} group{}",
        plan.keep().count(),
        plan.remove().count(),
        snapshots.len(),
        plan.groups.len(),
        if plan.groups.len() == 1 { "" } else { "s" }
    ));
    Ok(Outcome::Pass)
}

/// Reads every input; ids must be unique across them.
fn read_all(
    files: &[String],
    from: snapshot::Source,
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<snapshot::Snapshot>, Error> {
    read_inputs_with(files, from, tz, false).map(|(all, _)| all)
}

/// [`read_all`], and what each input was (name, format, checksum, count).
fn read_inputs(
    files: &[String],
    from: snapshot::Source,
    tz: &jiff::tz::TimeZone,
) -> Result<(Vec<snapshot::Snapshot>, Vec<check::InputInfo>), Error> {
    read_inputs_with(files, from, tz, true)
}

/// [`read_inputs`]; the inputs are described (and their text hashed) only
/// when `describe` asks for it.
fn read_inputs_with(
    files: &[String],
    from: snapshot::Source,
    tz: &jiff::tz::TimeZone,
    describe: bool,
) -> Result<(Vec<snapshot::Snapshot>, Vec<check::InputInfo>), Error> {
    let mut infos = Vec::with_capacity(files.len());
    let inputs: Vec<Input> = files.iter().map(|f| Input::from_arg(f)).collect();
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(Error::usage("standard input (`-`) can be read only once"));
    }
    let mut all = Vec::new();
    // Which input each snapshot came from; each input's ids are unique
    // already (snapshot::read checks), so only across inputs is left.
    let mut source = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let text = input.read_text()?;
        let (format, read) = snapshot::read_detected_in(&text, &input.name(), from, tz)?;
        if describe {
            infos.push(check::InputInfo {
                name: input.name(),
                format: match format {
                    snapshot::Source::Restic => "restic",
                    snapshot::Source::Csv => "csv",
                    snapshot::Source::S3 => "s3",
                    snapshot::Source::Borg => "borg",
                    _ => "inventory",
                },
                sha256: hash::hex(&sha2::Sha256::digest(text.as_bytes())),
                entries: read.len(),
            });
        }
        if inputs.len() > 1 {
            source.extend(std::iter::repeat_n(i, read.len()));
        }
        if all.is_empty() {
            // The one input (or the first): moved, not copied.
            all = read;
        } else {
            all.extend(read);
        }
    }
    if inputs.len() > 1
        && let Some((i, first)) = snapshot::first_duplicate(&all)
    {
        return Err(Error::Invalid {
            at: vz::Location::input(inputs[source[i]].name()),
            path: "id".into(),
            message: format!(
                "duplicate id `{}`: {} has it too",
                all[i].id,
                inputs[source[first]].name()
            ),
            suggestion: None,
        });
    }
    Ok((all, infos))
}

/// Why the plan must not be used: groups it would empty, and tripped guards.
fn refusals(plan: &Plan, args: &PlanArgs) -> Vec<String> {
    let mut out: Vec<String> = plan
        .emptied
        .iter()
        .map(|g| {
            format!(
                "the policy keeps no snapshot of group {g}: it would remove all of them \
                 (a --keep-tag typo, or a --keep-within with borg's semantics?)"
            )
        })
        .collect();
    if let Some(min) = args.min_keep {
        for g in &plan.groups {
            let total = g.keep.len() + g.remove.len();
            if g.keep.len() < min.min(total) {
                out.push(format!(
                    "group {} keeps {} of its {total} snapshots, fewer than --min-keep {min}",
                    g.group,
                    g.keep.len()
                ));
            }
        }
    }
    if let Some(max) = args.max_remove_pct {
        let removed = plan.remove().count();
        let total = plan.keep().count() + removed;
        if total > 0 {
            #[allow(clippy::cast_precision_loss)] // counts far below 2^52
            let pct = removed as f64 * 100.0 / total as f64;
            if pct > max {
                out.push(format!(
                    "the plan removes {removed} of {total} snapshots ({pct:.1}%), more than \
                     --max-remove-pct {max}"
                ));
            }
        }
    }
    out
}

/// The plan for people: one block per group, one line per snapshot.
fn table(plan: &Plan) -> String {
    let mut out = String::new();
    for (i, g) in plan.groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{} (keep {}, remove {})\n", g.group, g.keep.len(), g.remove.len()));
        let rows: Vec<(&str, &plan::Entry)> = g
            .keep
            .iter()
            .map(|e| ("keep", e))
            .chain(g.remove.iter().map(|e| ("remove", e)))
            .collect();
        let id_w = rows.iter().map(|(_, e)| snapshot::short_id(e.id).len()).max().unwrap_or(0);
        let time_w = rows.iter().map(|(_, e)| e.time.len()).max().unwrap_or(0);
        for (what, e) in rows {
            out.push_str(&format!(
                "  {what:<6}  {:<id_w$}  {:<time_w$}  {}\n",
                snapshot::short_id(e.id),
                e.time,
                e.reasons.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("30"), Ok(30.0));
        assert_eq!(parse_percent("12.5%"), Ok(12.5));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("-1").is_err());
    }
}
