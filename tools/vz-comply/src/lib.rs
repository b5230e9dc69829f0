//! vz-comply: Kubernetes manifests and application configuration checked
//! against rules mapped to CIS, NSA/CISA, PCI DSS, HIPAA, GDPR and SOX.
//!
//! The inputs become [`object::Object`]s → [`engine`] evaluates every rule
//! ([`rules`]: built-in Kubernetes and app-config rules, custom rules with
//! JSON Schema conditions) on every object and applies [`waiver`]s →
//! [`baseline`] drops what was already failing → the gate decides the exit
//! status → [`report`] renders the one result as a table, JSON, SARIF, JUnit
//! or Markdown, with coverage per framework from [`frameworks`].

pub mod baseline;
pub mod engine;
pub mod frameworks;
pub mod model;
pub mod object;
pub mod report;
pub mod rules;
pub mod waiver;

use clap::Parser;
use engine::Catalog;
use frameworks::Frameworks;
use model::Status;
use object::{Locators, Object};
use report::{BaselineInfo, Gate, Report, Summary};
use std::collections::{BTreeMap, BTreeSet};
use vz::cli::{Common, Ctx, Tool};
use vz::input::{Input, Locate};
use vz::{Error, Outcome};

const EXAMPLES: &str = "\
Examples:
  vz-render production | vz-comply --framework pci,gdpr
  helm template charts/app | vz-comply - --fail-on warning -o sarif > comply.sarif
  vz-comply manifests/*.yaml config/app.json --waivers .vz-waivers.yaml -o junit > comply.xml
  vz-comply rendered.yaml --baseline main.json -o markdown > comment.md
  vz-comply --list-rules --framework cis

Documents with apiVersion and kind are Kubernetes objects; pod specs are
found in Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
CronJobs (jobTemplate), PodTemplates and Argo Rollouts, and in any kind given
a --locator. Init and ephemeral containers are checked. Objects of kinds no
rule covers are skipped and listed. Documents without apiVersion and kind are
application configuration (encryption at rest, audit logging, TLS, rate
limiting, CORS, tracing, secrets as references).

Waivers (--waivers FILE):
  waivers:
    - rule: VZ-K8S-003          # the rule waived
      kind: Deployment          # selector: kind, namespace, name (* glob),
      namespace: net            #   labels; all given must match
      name: vpn-*
      reason: needs NET_ADMIN   # required
      owner: netops             # required
      expires: 2027-01-31       # required: stops applying after this day
      ticket: SEC-1234          # optional
or on the object itself (one per line):
  metadata:
    annotations:
      vz.dev/waive: \"VZ-K8S-003 until 2027-01-31: needs NET_ADMIN\"

Custom rules (--rules FILE):
  locators:
    - kind: Workflow.argoproj.io
      pointer: /spec/templates/0/podSpec
  rules:
    - id: ACME-001
      title: Deployments carry an owner label
      severity: medium          # low, medium, high, critical
      level: failed             # failed (default) or warning
      message: Add metadata.labels.owner naming the owning team.
      target: object            # object (default), pod or container
      match: {kinds: [Deployment], namespaces: [payments], labels: {tier: api}}
      require:                  # a JSON Schema the target must satisfy
        properties: {metadata: {properties: {labels: {required: [owner]}}}}
      frameworks: [\"sox:ITGC-AC-1\"]

Exit status:
  0  no result at or above --fail-on (the report is written)
  1  a result is at or above --fail-on (failed or error by default; with
     --fail-on warning, warnings too); the report is written all the same
  2  usage or input error: a missing file, broken YAML or JSON, a bad rule,
     waiver or annotation (nothing on stdout)";

/// Checks Kubernetes manifests and application configuration against
/// compliance rules mapped to CIS, NSA/CISA, PCI DSS, HIPAA, GDPR and SOX.
///
/// Reads manifests (any stream vz-render, helm template or kubectl produce)
/// and configuration files, evaluates every rule on every object, and writes
/// one report: each rule × object passed, warning, failed, error, waived or
/// not-applicable, with coverage per framework. Exits 1 when a result is at
/// or above --fail-on.
#[derive(Parser, Debug)]
#[command(name = "vz-comply", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// Manifests and configuration files (JSON or YAML, `-` for standard
    /// input, the default)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Output format [default: table on a terminal, JSON otherwise]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Only the rules serving these frameworks, and their coverage:
    /// cis, nsa, pci, hipaa, gdpr, sox (comma-separated)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub framework: Vec<String>,

    /// Exit 1 when a result is at or above this status
    #[arg(long, value_enum, value_name = "STATUS", default_value_t = FailOn::Failed)]
    pub fail_on: FailOn,

    /// Custom rules (YAML; see below), repeatable
    #[arg(long, value_name = "FILE")]
    pub rules: Vec<String>,

    /// Waivers (YAML; see below), repeatable
    #[arg(long, value_name = "FILE")]
    pub waivers: Vec<String>,

    /// Where a kind keeps its pod spec: KIND[.GROUP]=JSON-POINTER, such as
    /// Workflow.argoproj.io=/spec/templates/0/podSpec (repeatable)
    #[arg(long, value_name = "KIND=POINTER")]
    pub locator: Vec<String>,

    /// The environment the manifests are for (production turns on the
    /// replica rule) [default: each object's vz.dev/environment label, or a
    /// namespace ending in -prod or -production]
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,

    /// An earlier run's JSON report: leave out results that were already
    /// failing there, and gate only on the new ones
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<String>,

    /// Only these rules (ids, comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',', conflicts_with = "skip")]
    pub only: Vec<String>,

    /// Every rule but these (ids, comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// List the rules (after --framework, --only, --skip and --rules) and exit
    #[arg(long)]
    pub list_rules: bool,

    /// The shared flags.
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
pub enum OutputFormat {
    /// Problems by object, coverage and a summary, for a terminal
    Table,
    /// Everything, passed results included, each with its input and line (the canonical form)
    Json,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// JUnit XML (GitLab, Jenkins, Azure DevOps)
    Junit,
    /// A pull-request comment
    Markdown,
}

/// The gate's threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Warnings, failures and errors
    Warning,
    /// Failures and errors
    Failed,
}

impl FailOn {
    fn status(self) -> Status {
        match self {
            FailOn::Warning => Status::Warning,
            FailOn::Failed => Status::Failed,
        }
    }
}

/// Runs vz-comply.
pub fn run(args: Args, ctx: &mut Ctx) -> Result<Outcome, Error> {
    let format = args.output.unwrap_or(if ctx.stdout_is_tty {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    let inputs: Vec<Input> = if args.inputs.is_empty() {
        vec![Input::Stdin]
    } else {
        args.inputs.iter().map(|a| Input::from_arg(a)).collect()
    };
    // The inputs are read and parsed on the other cores while this thread
    // builds the catalogue, then on all; a mistake in the flags or the
    // rules files is still reported first, as if they were read first.
    let (setup, objects) = if args.list_rules {
        (setup(&args), None)
    } else {
        let (setup, objects) = read_objects(&inputs, || setup(&args));
        (setup, Some(objects))
    };
    let Setup { frameworks, locators, catalog, selected, waivers, baseline } = setup?;
    let Some(objects) = objects else {
        return list_rules(&catalog, format);
    };
    let objects = objects?;
    let annotated = engine::annotation_waivers(&objects, &catalog)?;

    let today = ctx.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let rule_ctx = rules::k8s::Context::new(&objects, &locators, args.environment.as_deref());
    let mut outcome = engine::evaluate(&catalog, &objects, &rule_ctx, &waivers, &annotated, today);
    let baseline = baseline.map(|b| BaselineInfo {
        input: args.baseline.clone().unwrap_or_default(),
        existing: b.remove_existing(&mut outcome.results),
    });
    let results = outcome.results;
    let overall = results.iter().map(|r| r.status.effective()).max().unwrap_or(Status::Passed);
    let fail_on = args.fail_on.status();
    let passed = overall < fail_on;
    // Each result carries its rule's place in the catalogue.
    let mut used = vec![false; catalog.rules.len()];
    for r in &results {
        if let Some(u) = used.get_mut(r.rank.0 as usize) {
            *u = true;
        }
    }
    let rules = catalog.rules.iter().zip(used).filter(|(_, u)| *u).map(|(r, _)| r.info().clone());
    let rules = rules.collect();
    let mut report = Report {
        overall,
        summary: Summary::of(objects.len(), &results),
        frameworks: frameworks.coverage(&selected, &results),
        rules,
        results,
        waivers: outcome.waivers,
        skipped: outcome.skipped,
        baseline,
        gate: Gate { fail_on, passed },
    };
    if !report.skipped.is_empty() {
        ctx.note(&skipped_note(&report.skipped));
    }
    for w in &report.waivers.expired {
        ctx.warn(&format!(
            "waiver for {} on {} expired on {} ({})",
            w.rule,
            w.selector,
            fmt_date(w),
            w.waiver.source
        ));
    }
    emit(&mut report, format, ctx)?;
    // The process ends here: leave the memory to the OS rather than free
    // every object and result one by one (a twentieth of a large run).
    std::mem::forget(report);
    std::mem::forget(objects);
    Ok(if passed { Outcome::Pass } else { Outcome::Fail })
}

/// Everything a run needs besides the objects: from the built-in data, the
/// flags and the files they name.
struct Setup {
    frameworks: Frameworks,
    locators: Locators,
    catalog: Catalog,
    selected: Vec<String>,
    waivers: Vec<waiver::Waiver>,
    baseline: Option<baseline::Baseline>,
}

fn setup(args: &Args) -> Result<Setup, Error> {
    let mut frameworks = Frameworks::builtin();
    let mut locators = Locators::default();
    let mut files = Vec::new();
    for name in &args.rules {
        let input = Input::from_arg(name);
        files.push(rules::custom::read(&input.read_text()?, &input.name())?);
    }
    let custom = rules::custom::combine(files)?;
    for l in &custom.locators {
        locators.add(l).map_err(|e| Error::usage(format!("--rules: {e}")))?;
    }
    let custom = custom.rules;
    for l in &args.locator {
        locators.add(l).map_err(Error::usage)?;
    }
    let mut catalog = Catalog::new(custom, &mut frameworks);
    let selected = frameworks.select(&args.framework)?;
    select_rules(&mut catalog, &frameworks, &selected, args)?;
    if args.list_rules {
        return Ok(Setup {
            frameworks,
            locators,
            catalog,
            selected,
            waivers: Vec::new(),
            baseline: None,
        });
    }
    let waivers = read_waivers(&args.waivers, &catalog)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|b| baseline::Baseline::read(&Input::from_arg(b)))
        .transpose()?;
    Ok(Setup { frameworks, locators, catalog, selected, waivers, baseline })
}

/// The documents of every input as objects, their identity fields checked,
/// read on the other cores while this thread does `first`, then on all.
fn read_objects<S>(inputs: &[Input], first: impl FnOnce() -> S) -> (S, Result<Vec<Object>, Error>) {
    // Checked and classified on the thread that read the document.
    let check = |doc| {
        let wrong = object::check_shape(&doc);
        (Object::new(doc), wrong)
    };
    let (done, read) =
        vz::input::read_documents_map_after(inputs, Locate::Everything, check, first);
    let objects = read.and_then(|mut read| {
        let wrong: Vec<Error> =
            read.iter_mut().flat_map(|(_, wrong)| std::mem::take(wrong)).collect();
        if !wrong.is_empty() {
            return Err(Error::many(wrong));
        }
        Ok(read.into_iter().map(|(object, _)| object).collect())
    });
    (done, objects)
}

/// The note on objects of kinds no rule covers, each kind named as
/// `--locator` names it (`Gateway.networking.istio.io`): the same kind in
/// two groups is two kinds, in two versions one.
fn skipped_note(skipped: &[report::Skipped]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in skipped {
        let kind = match s.api_version.rsplit_once('/') {
            Some((group, _)) => format!("{}.{group}", s.kind),
            None => s.kind.clone(),
        };
        *counts.entry(kind).or_default() += s.count;
    }
    let kinds: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ({n})")).collect();
    format!(
        "skipped objects of kinds no rule covers: {} (a --locator KIND.group=POINTER checks a kind's pod spec)",
        kinds.join(", ")
    )
}

fn fmt_date(w: &report::WaiverInfo) -> String {
    w.waiver.expires.map(|d| d.to_string()).unwrap_or_default()
}

fn emit(report: &mut Report, format: OutputFormat, ctx: &Ctx) -> Result<(), Error> {
    let text = match format {
        OutputFormat::Json => {
            // Most of the report: its results are rendered on every core.
            let results = std::mem::take(&mut report.results);
            let emitted = vz::output::emit_json_list(report, "results", &results, json_size);
            report.results = results;
            return emitted;
        }
        OutputFormat::Sarif => return vz::output::emit_json(&report::sarif::render(report)),
        OutputFormat::Table => report::table::render(report, ctx.stdout_color),
        OutputFormat::Junit => report::junit::render(report),
        OutputFormat::Markdown => report::markdown::render(report),
    };
    vz::output::emit(text.as_bytes())
}

/// About the bytes `result` takes in the JSON report, as measured on the
/// corpus: 290 without violations, 255 more for each (it need not be
/// closer: it only shares the rendering out between threads).
fn json_size(result: &model::Evaluation) -> usize {
    290 + 255 * result.violations.len()
}

/// Applies `--framework`, `--only` and `--skip` to the catalogue.
fn select_rules(
    catalog: &mut Catalog,
    frameworks: &Frameworks,
    selected: &[String],
    args: &Args,
) -> Result<(), Error> {
    for id in args.only.iter().chain(&args.skip) {
        if !catalog.known(id) {
            let ids: Vec<String> = catalog.rules.iter().map(|r| r.info().id.clone()).collect();
            let hint = vz::error::suggest(id, ids.iter().map(String::as_str))
                .map_or(String::new(), |s| format!(" (did you mean {s}?)"));
            return Err(Error::usage(format!(
                "no rule has the id {id}{hint}; --list-rules lists them"
            )));
        }
    }
    let mut keep: BTreeSet<String> = if selected.is_empty() {
        catalog.rules.iter().map(|r| r.info().id.clone()).collect()
    } else {
        frameworks.rules_in(selected)
    };
    if !args.only.is_empty() {
        keep.retain(|id| args.only.contains(id));
    }
    keep.retain(|id| !args.skip.contains(id));
    catalog.retain(&keep);
    Ok(())
}

fn read_waivers(files: &[String], catalog: &Catalog) -> Result<Vec<waiver::Waiver>, Error> {
    let mut out = Vec::new();
    for name in files {
        let input = Input::from_arg(name);
        out.extend(waiver::read_file(&input.read_text()?, &input.name(), &|id| catalog.known(id))?);
    }
    Ok(out)
}

fn list_rules(catalog: &Catalog, format: OutputFormat) -> Result<Outcome, Error> {
    let infos = catalog.infos();
    match format {
        OutputFormat::Json => vz::output::emit_json(&infos)?,
        OutputFormat::Table => {
            let mut out = String::new();
            for r in &infos {
                let controls: Vec<String> = r.controls.iter().map(ToString::to_string).collect();
                out.push_str(&format!(
                    "{:<11} {:<8} {:<7} {}\n{:<29}{}\n",
                    r.id,
                    r.severity.as_str(),
                    if r.level == model::Level::Warning { "warning" } else { "failed" },
                    r.title,
                    "",
                    controls.join(" ")
                ));
            }
            vz::output::emit(out.as_bytes())?;
        }
        _ => return Err(Error::usage("--list-rules writes a table or JSON (-o table, -o json)")),
    }
    Ok(Outcome::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_kinds_are_named_by_kind_and_group_whatever_the_version() {
        let skipped = |api_version: &str, kind: &str, count| report::Skipped {
            api_version: api_version.into(),
            kind: kind.into(),
            count,
        };
        let note = skipped_note(&[
            skipped("networking.istio.io/v1beta1", "Gateway", 1),
            skipped("gateway.networking.k8s.io/v1", "Gateway", 2),
            skipped("networking.istio.io/v1", "Gateway", 3),
            skipped("v1", "Thing", 1),
        ]);
        assert_eq!(
            note,
            "skipped objects of kinds no rule covers: Gateway.gateway.networking.k8s.io (2), \
             Gateway.networking.istio.io (4), Thing (1) (a --locator KIND.group=POINTER checks a kind's pod spec)"
        );
    }
}
