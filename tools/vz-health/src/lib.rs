//! vz-health: health, smoke and canary-metric checks that replace the curl
//! loops around a deployment.
//!
//! The flow of a run, one module each: [`spec`] reads checks from targets and
//! files (or [`manifests`] derives them from rendered manifests) into the
//! model of [`check`] → [`runner`] runs them concurrently, once or until a
//! deadline, each attempt made by a [`probe`] and an HTTP answer judged by
//! [`expect`] with [`condition`]s → or [`watch`] runs rounds against a
//! budget → [`report`] writes JSON, a table or JUnit.

pub mod check;
pub mod condition;
pub mod expect;
pub mod manifests;
pub mod presets;
pub mod probe;
pub mod progress;
pub mod report;
pub mod runner;
pub mod spec;
pub mod watch;

use check::Check;
use clap::Parser;
use report::Report;
use std::time::{Duration, Instant};
use vz::cli::{Common, Ctx, Tool};
use vz::input::{Input, Locate};
use vz::{Error, Outcome};

const EXAMPLES: &str = "\
Examples:
  vz-health http://127.0.0.1:9000/health tcp://127.0.0.1:5432
  vz-health -f checks.yaml --wait 5m
  vz-health -f canary.yaml --watch 10m --every 30s --max-failures 2 || vz-switch back ...
  vz-render production | vz-health --from-manifests --base-url https://lb.example.com
  vz-health -f smoke.yaml -o junit > health.xml

A check file is a list of checks (or `checks:` with the list). Each has one
of `http`, `tcp`, `prometheus`, `exec` naming its target:

  - name: api
    http: https://api.example.com/health
    headers: {Authorization: \"Bearer ${API_TOKEN}\"}    # never printed
    status: [200, 204]                                  # default 2xx
    json: {status: UP}
    max-latency: 300ms
    conditions: [\"[BODY].checks[0].ok == true\", \"[CERTIFICATE_EXPIRATION] > 7d\"]
  - tcp: db.internal:5432
  - name: success-rate
    prometheus: http://prometheus:9090
    preset: request-success-rate                        # Flagger's PromQL
    args: {namespace: shop, target: app, interval: 1m}  # min 99 by default
    on-empty: fail                                      # no traffic is no proof
  - exec: ./scripts/smoke-tests.sh
    timeout: 2m

Under --wait, a failed check is tried again after 1s, 2s, 4s, … (at most
30s apart; a server's Retry-After wins) until it passes or the one deadline
passes. A redirect that is not followed, a 4xx other than 408 and 429,
or a certificate that does not verify ends the wait for that check at once.

Under --watch, every check runs once per round. A check fails the watch
when it fails more than --max-failures rounds, fails --consecutive rounds
in a row, or cannot be measured more than --max-errors rounds in a row;
the watch stops as soon as that happens. A check that never passed has
shown no health: it is inconclusive (or an error), not a pass.

Exit status:
  0  every check passed
  1  a check failed, was inconclusive or could not be measured
  2  usage or input error: bad flag, unreadable or malformed check file,
     unknown field or kind, bad URL, duration or regex (nothing on stdout)";

/// Health, smoke and canary-metric checks: once, until healthy, or watched
/// against a failure budget.
///
/// Runs HTTP, TCP, Prometheus and command checks concurrently and writes one
/// result per check (JSON, a table or JUnit) to stdout; progress goes to
/// stderr.
#[derive(Parser, Debug)]
#[command(name = "vz-health", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// Checks to run: http://…, https://… (2xx passes) or tcp://HOST:PORT
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// A check file, YAML or JSON ("-" reads standard input); repeatable
    #[arg(short, long = "file", value_name = "FILE")]
    pub files: Vec<String>,

    /// Derive the checks from Kubernetes manifests (Services, Ingresses,
    /// readiness probes) read from FILE or standard input
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub from_manifests: Option<String>,

    /// With --from-manifests: send every check to this URL (a port-forward,
    /// the load balancer) instead of the cluster's service names
    #[arg(long, value_name = "URL", requires = "from_manifests")]
    pub base_url: Option<String>,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum)]
    pub output: Option<Format>,

    /// How many checks may run at once
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// The timeout of one attempt, for checks that set none
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub timeout: Duration,

    /// Retry failed checks with backoff until all pass or DURATION has passed
    #[arg(long, value_name = "DURATION", value_parser = duration, conflicts_with = "watch")]
    pub wait: Option<Duration>,

    /// Run every check once per round for DURATION, against a failure budget
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub watch: Option<Duration>,

    /// With --watch: the time between rounds
    #[arg(long, value_name = "INTERVAL", default_value = "10s", value_parser = duration, requires = "watch")]
    pub every: Duration,

    /// With --watch: failed rounds a check may have before the watch fails
    #[arg(long, value_name = "N", default_value_t = 0, requires = "watch")]
    pub max_failures: u32,

    /// With --watch: fail as soon as a check fails N rounds in a row
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), requires = "watch")]
    pub consecutive: Option<u32>,

    /// With --watch: rounds in a row a check may be unmeasurable (refused,
    /// timed out) before the watch fails
    #[arg(long, value_name = "N", default_value_t = 4, requires = "watch")]
    pub max_errors: u32,

    /// Read and check the checks, print them as JSON, run nothing
    #[arg(long)]
    pub dry_run: bool,

    #[allow(missing_docs)] // clap would print a doc comment here as help
    #[command(flatten)]
    pub common: Common,
}

impl Tool for Args {
    fn common(&self) -> &Common {
        &self.common
    }
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON report (and a JSON line per round under --watch when stdout
    /// is not a terminal)
    Json,
    /// An aligned table for people
    Table,
    /// JUnit XML, one testcase per check
    Junit,
}

fn duration(s: &str) -> Result<Duration, String> {
    match vz::duration::parse(s)? {
        d if d.is_zero() => Err("must be longer than 0s".into()),
        d => Ok(d),
    }
}

/// Runs vz-health.
pub fn run(args: Args, ctx: &mut Ctx) -> Result<Outcome, Error> {
    let checks = read_checks(&args)?;
    if args.dry_run {
        vz::output::emit(dry_run(&checks).as_bytes())?;
        return Ok(Outcome::Pass);
    }
    let clients = probe::http::Clients::new(&checks)?;
    let format =
        args.output.unwrap_or(if ctx.stdout_is_tty { Format::Table } else { Format::Json });
    let opts = runner::Options {
        concurrency: usize::try_from(args.concurrency).unwrap_or(128),
        now: args.common.now,
    };
    let live = args.wait.is_some() || args.watch.is_some();
    let progress = progress::Progress::new(
        &checks,
        live && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        args.watch.is_some(),
    );

    let report = match args.watch {
        Some(duration) => {
            let plan = watch::Plan {
                duration,
                every: args.every,
                max_failures: args.max_failures,
                consecutive: args.consecutive,
                max_errors: args.max_errors,
            };
            let lines = format == Format::Json && !ctx.stdout_is_tty;
            let finished = watch::watch(&checks, &clients, opts, &plan, &progress, &mut |round| {
                progress.round(round);
                if lines {
                    vz::output::emit(report::round_line(&checks, round).as_bytes())
                } else {
                    Ok(())
                }
            })?;
            progress.clear();
            let report = Report::watched(&checks, &finished, &plan);
            if lines {
                vz::output::emit(report.json_line().as_bytes())?;
                return Ok(outcome(&report));
            }
            report
        }
        None => {
            let started = jiff::Timestamp::now();
            let deadline = args.wait.map(|w| Instant::now() + w);
            let results = runner::run(&checks, &clients, opts, deadline, &progress);
            progress.clear();
            Report::settled(&checks, &results, started, jiff::Timestamp::now())
        }
    };
    let text = match format {
        Format::Json => report.json(),
        Format::Table => report.table(ctx.stdout_color),
        Format::Junit => report.junit(),
    };
    vz::output::emit(text.as_bytes())?;
    Ok(outcome(&report))
}

fn outcome(report: &Report) -> Outcome {
    if report.status == probe::Status::Pass { Outcome::Pass } else { Outcome::Fail }
}

/// Every check of the run, from targets, files and manifests, with unique
/// names; no checks at all is a usage error.
fn read_checks(args: &Args) -> Result<Vec<Check>, Error> {
    let mut checks = spec::from_targets(&args.targets, args.timeout)?;
    let mut explicit = vec![false; checks.len()];
    let inputs: Vec<Input> = args.files.iter().map(|f| Input::from_arg(f)).collect();
    if args.from_manifests.as_deref() == Some("-") && inputs.contains(&Input::Stdin) {
        return Err(Error::usage("standard input (`-`) can be read only once"));
    }
    let lookup = |k: &str| std::env::var(k).ok();
    let mut errors = Vec::new();
    for input in &inputs {
        let docs = match vz::input::read_documents(std::slice::from_ref(input), Locate::Everything)
        {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let base = match input {
            Input::Path(p) => p.parent().map(std::path::Path::to_path_buf),
            Input::Stdin => None,
        };
        match spec::from_documents(&docs, base.as_deref(), args.timeout, &lookup) {
            Ok(c) => {
                explicit.extend(spec::explicit_names(&docs));
                checks.extend(c);
            }
            Err(e) => errors.push(e),
        }
    }
    if let Some(m) = &args.from_manifests {
        let docs = vz::input::read_documents(&[Input::from_arg(m)], Locate::Everything)?;
        let opts = manifests::Options { base_url: args.base_url.clone(), timeout: args.timeout };
        let derived = manifests::derive(&docs, &opts)?;
        explicit.extend(derived.iter().map(|_| true));
        checks.extend(derived);
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    if checks.is_empty() {
        let what = if args.files.is_empty() {
            "no checks: give targets (http://HOST/PATH, tcp://HOST:PORT), -f FILE or --from-manifests"
                .to_string()
        } else {
            format!("no checks in {}", args.files.join(", "))
        };
        return Err(Error::usage(what));
    }
    spec::unique_names(&mut checks, &explicit)?;
    Ok(checks)
}

/// The checks as they will run, as JSON (`--dry-run`): secrets stay hidden.
fn dry_run(checks: &[Check]) -> String {
    let list: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "kind": c.kind(),
                "target": c.target(),
                "timeout": vz::duration::format(c.timeout),
                "at": c.at.to_string(),
            })
        })
        .collect();
    vz::output::pretty_json(&serde_json::json!({ "checks": list }))
}
