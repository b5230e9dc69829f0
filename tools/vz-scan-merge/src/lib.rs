//! vz-scan-merge: Trivy, Grype, Snyk, SARIF, OSV-Scanner and npm audit
//! reports merged into one deduplicated report, and a gate.
//!
//! [`input`] splits each input into JSON documents and detects each one's
//! format → [`parse`] turns a document into [`model::Raw`] records →
//! [`merge`] unites the records of one vulnerability (alias groups) in one
//! package of one target → [`ignore`] hides what the ignore list and VEX
//! statements accept → [`baseline`] marks new and fixed findings → the gate
//! decides the exit status → [`report`] renders JSON, SARIF, CSV, Markdown or
//! a table from the same result.

pub mod baseline;
pub mod ignore;
pub mod input;
pub mod merge;
pub mod model;
pub mod parse;
pub mod report;

#[cfg(test)]
pub(crate) mod testutil;

use clap::Parser;
use input::{Detected, Doc, Format};
use merge::{BaselineStatus, Finding, Policy};
use model::{Report, Severity};
use report::{Counts, Disagreement, Gate, IgnoreAudit, Ignored, InputInfo, Merged};
use std::hash::BuildHasher as _;
use vz::cli::{Common, Ctx, Tool};
use vz::input::Input;
use vz::{Error, Outcome};

const EXAMPLES: &str = "\
Examples:
  trivy image -f json app:1.4 > trivy.json; grype app:1.4 -o json > grype.json
  vz-scan-merge trivy.json grype.json snyk.json --fail-on high
  trivy image -f json app:1.4 | vz-scan-merge - grype.json --ignore-file .vz-ignore.yaml -o sarif > merged.sarif
  vz-scan-merge reports/*.json --fail-on critical --fixable-only -o markdown > comment.md
  vz-scan-merge reports/*.json --baseline main.json --only-new --fail-on high
  vz-scan-merge reports/*.json --ignore-file .vz-ignore.yaml --audit-ignores

Formats are detected per document: Trivy JSON (schema v2, the old list form,
trivy k8s), Grype JSON (0.7 onwards), Snyk JSON (snyk test, snyk container
test, --all-projects), SARIF 2.1.0 from any producer, OSV-Scanner JSON, npm
audit JSON (npm 6 and 7+). Several documents may follow one another in one
input.

A finding is one vulnerability (its CVE, GHSA, distro and vendor ids are one
alias group) in one package of one target (an image compared without
registry, tag and digest; a file path). Scanners, formats and Snyk's
per-dependency-path repeats of the same finding merge into one record that
keeps every source's severity.

Ignore file (YAML):
  ignores:
    - id: CVE-2023-0464        # any id or alias of the finding
      package: openssl         # optional: name, or purl (any version)
      target: app              # optional: image (any tag) or path
      reason: not reachable    # required
      owner: platform-team     # optional
      expires: 2027-01-31      # optional: stops hiding after this day

Exit status:
  0  the gate passed (or no --fail-on), and the report was written
  1  the gate failed: a remaining finding is at or above --fail-on (the
     report is written all the same); with --audit-ignores, an ignore entry
     has expired or matches nothing
  2  usage or input error: a missing file, broken JSON, a document of no
     known format, a bad ignore file (nothing on stdout)";

/// Merges Trivy, Grype, Snyk, SARIF, OSV-Scanner and npm audit reports into
/// one deduplicated report, and gates on it.
///
/// Reads the reports named (or standard input), merges the findings that are
/// the same vulnerability in the same package of the same target, hides what
/// the ignore list and VEX statements accept, and writes one report. With
/// `--fail-on`, exits 1 when a remaining finding is at or above that
/// severity.
#[derive(Parser, Debug)]
#[command(name = "vz-scan-merge", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// Reports to read ("-" or none reads standard input)
    #[arg(value_name = "REPORT")]
    pub inputs: Vec<String>,

    /// The format of every input, instead of detecting it
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,

    /// Output format [default: table on a terminal, JSON otherwise]
    #[arg(short, long, value_enum)]
    pub output: Option<OutputFormat>,

    /// Exit 1 when a remaining finding is at or above this severity
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<Level>,

    /// Gate only on findings that have a fix
    #[arg(long)]
    pub fixable_only: bool,

    /// Gate only on findings reported by at least N scanners
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub require_consensus: u16,

    /// How one severity is chosen from the sources' ratings: max, vendor
    /// (the distribution's rating for OS packages), or
    /// source-order:SCANNER,… (the first that rated it)
    #[arg(long, value_name = "POLICY", default_value = "max", value_parser = Policy::parse)]
    pub severity: Policy,

    /// Ignore list (YAML; see below)
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<String>,

    /// OpenVEX documents: not_affected and fixed statements hide findings
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<String>,

    /// Print only the ignore list's audit (expired and unused entries) as
    /// JSON; exit 1 when there are any
    #[arg(long, requires = "ignore_file")]
    pub audit_ignores: bool,

    /// A previous run's JSON output: mark findings new or unchanged, and
    /// list the fixed ones
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<String>,

    /// Gate only on findings that are new since --baseline
    #[arg(long, requires = "baseline")]
    pub only_new: bool,

    /// Report inputs that cannot be read, and merge the rest
    #[arg(long)]
    pub keep_going: bool,

    /// SARIF: the category (runAutomationDetails.id) that keeps this
    /// analysis apart from others of the same commit
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,

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
pub enum OutputFormat {
    /// The canonical report: findings, counts, disagreements, ignores, gate
    Json,
    /// SARIF 2.1.0, one run, for GitHub code scanning
    Sarif,
    /// One row per finding
    Csv,
    /// A pull-request comment
    Markdown,
    /// For people at a terminal
    Table,
}

/// Severity thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// Critical only
    Critical,
    /// High and critical
    High,
    /// Medium and above
    Medium,
    /// Low and above
    Low,
}

impl From<Level> for Severity {
    fn from(l: Level) -> Severity {
        match l {
            Level::Critical => Severity::Critical,
            Level::High => Severity::High,
            Level::Medium => Severity::Medium,
            Level::Low => Severity::Low,
        }
    }
}

/// Runs vz-scan-merge.
pub fn run(args: Args, ctx: &mut Ctx) -> Result<Outcome, Error> {
    let inputs: Vec<Input> = if args.inputs.is_empty() {
        vec![Input::Stdin]
    } else {
        args.inputs.iter().map(|a| Input::from_arg(a)).collect()
    };
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(Error::usage("standard input (`-`) can be read only once"));
    }
    // Everything the run needs besides the reports is read first, so a bad
    // ignore file fails fast.
    let entries = match &args.ignore_file {
        Some(path) => {
            let input = Input::from_arg(path);
            ignore::read_entries(&input.read_text()?, &input.name())?
        }
        None => Vec::new(),
    };
    let mut vex = Vec::new();
    for path in &args.vex {
        let input = Input::from_arg(path);
        let text = input.read_text()?;
        let name = input.name();
        for doc in input::split(&text, &name)? {
            vex.extend(ignore::read_vex(&doc)?);
        }
    }
    let previous = match &args.baseline {
        Some(path) => {
            let input = Input::from_arg(path);
            let text = input.read_text()?;
            let name = input.name();
            let docs = input::split(&text, &name)?;
            let [doc] = docs.as_slice() else {
                return Err(docs[1]
                    .error("a baseline is one JSON document (an earlier run's -o json output)"));
            };
            Some(baseline::read(doc)?)
        }
        None => None,
    };

    let (reports, infos) = read_reports(&inputs, args.from, args.keep_going, ctx)?;
    let findings = merge::merge(reports, &args.severity);
    let today = ctx.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let applied = ignore::apply(findings, &entries, &vex, today);
    for e in &applied.expired {
        ctx.warn(&format!(
            "{}: the ignore entry for {} expired on {}; it hides nothing now ({} finding{})",
            e.at,
            e.id,
            e.expires.as_deref().unwrap_or("?"),
            e.matches,
            if e.matches == 1 { "" } else { "s" }
        ));
    }
    let audit = IgnoreAudit { expired: applied.expired, unused: applied.unused };
    if args.audit_ignores {
        vz::output::emit_json(&audit)?;
        let clean = audit.expired.is_empty() && audit.unused.is_empty();
        return Ok(if clean { Outcome::Pass } else { Outcome::Fail });
    }

    let mut findings = applied.kept;
    let fixed = previous.map(|p| baseline::compare(&mut findings, p));
    let gate = gate(&findings, &args);
    let merged = Merged {
        counts: Counts::of(&findings),
        disagreements: Disagreement::of(&findings),
        ignored: applied
            .hidden
            .into_iter()
            .map(|(finding, suppressed_by)| Ignored { finding, suppressed_by })
            .collect(),
        ignores: audit,
        fixed,
        inputs: infos,
        gate,
        findings,
    };

    let format = args.output.unwrap_or(if ctx.stdout_is_tty {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    // JSON, the largest, is written as its findings are rendered (on every
    // core, `report::json`); the others are rendered whole first. Every
    // error was found before this point.
    let text = match format {
        OutputFormat::Json => None,
        OutputFormat::Sarif => {
            let rendered = report::sarif::render(&merged, args.category.as_deref());
            for n in &rendered.notes {
                ctx.warn(n);
            }
            Some(rendered.text)
        }
        OutputFormat::Csv => Some(report::csv::render(&merged)?),
        OutputFormat::Markdown => Some(report::markdown::render(&merged)),
        OutputFormat::Table => Some(report::table::render(&merged, ctx.stdout_color)),
    };
    match text {
        None => vz::output::emit_with(|out| report::json::write(&merged, out))?,
        Some(text) => vz::output::emit(text.as_bytes())?,
    }
    let gate = merged.gate.clone();
    // The process ends next, and the system takes its memory back at once:
    // freeing the findings one allocation at a time would only delay the
    // exit (60 ms for a report of 54,000 findings).
    std::mem::forget(merged);
    if let Some(level) = gate.fail_on
        && !gate.passed
    {
        ctx.note(&format!(
            "gate failed: {} finding{} at or above {level}{}",
            gate.failing,
            if gate.failing == 1 { "" } else { "s" },
            gate_scope(&gate)
        ));
        return Ok(Outcome::Fail);
    }
    Ok(Outcome::Pass)
}

fn gate_scope(g: &Gate) -> String {
    let mut parts = Vec::new();
    if g.fixable_only {
        parts.push("fixable".to_string());
    }
    if g.require_consensus > 1 {
        parts.push(format!("reported by at least {} scanners", g.require_consensus));
    }
    if g.only_new {
        parts.push("new since the baseline".to_string());
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

/// Whether a finding counts for the gate.
fn gate(findings: &[Finding], args: &Args) -> Gate {
    let fail_on: Option<Severity> = args.fail_on.map(Severity::from);
    let failing = match fail_on {
        None => 0,
        Some(level) => findings
            .iter()
            .filter(|f| f.severity >= level)
            .filter(|f| !args.fixable_only || f.fixable)
            .filter(|f| f.sources.len() >= usize::from(args.require_consensus))
            .filter(|f| !args.only_new || f.baseline == Some(BaselineStatus::New))
            .count(),
    };
    Gate {
        fail_on,
        fixable_only: args.fixable_only,
        require_consensus: usize::from(args.require_consensus),
        only_new: args.only_new,
        failing,
        passed: failing == 0,
    }
}

/// Reads every input, splits it into documents and parses them (in
/// parallel). With `keep_going`, an input or document that fails is
/// reported on stderr and left out; otherwise the first error (in input
/// order) is the result.
fn read_reports(
    inputs: &[Input],
    from: Option<Format>,
    keep_going: bool,
    ctx: &Ctx,
) -> Result<(Vec<Report>, Vec<InputInfo>), Error> {
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut failed = 0usize;
    for input in inputs {
        match input.read_text() {
            Ok(t) => texts.push((input.name(), t)),
            Err(e) if keep_going => {
                ctx.warn(&format!("skipped: {e}"));
                failed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    // Inputs are split on every core; one large report alone is parsed on
    // one core while the split checks it on the other (see `split_single`).
    let (split, early) = match texts.as_slice() {
        [(name, text)] => {
            let (split, early) = split_single(text, name, from);
            (vec![split], early)
        }
        _ => {
            let texts: Vec<(&str, &str)> =
                texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            (vz::par::map(&texts, 2, |&(name, text)| input::split(text, name)), None)
        }
    };
    let mut docs: Vec<Doc<'_>> = Vec::new();
    for split in split {
        match split {
            Ok(d) => docs.extend(d),
            Err(e) if keep_going => {
                ctx.warn(&format!("skipped: {e}"));
                failed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    // The same report twice (a pipeline that collects it from two places)
    // is read once, so merging a report with itself changes nothing. The
    // texts are hashed on every core (foldhash: at memory speed); a report
    // read before has the same hash and the same text.
    let hasher = foldhash::fast::RandomState::default();
    let hashes = vz::par::map(&docs, 2, |d| hasher.hash_one(d.text));
    let mut seen: foldhash::HashMap<u64, Vec<&str>> = foldhash::HashMap::default();
    let mut again: Vec<String> = Vec::new();
    let docs: Vec<Doc<'_>> = docs
        .into_iter()
        .zip(hashes)
        .filter(|(d, hash)| {
            let same = seen.entry(*hash).or_default();
            if same.contains(&d.text) {
                again.push(format!("{} document {}", d.input, d.index));
                return false;
            }
            same.push(d.text);
            true
        })
        .map(|(d, _)| d)
        .collect();
    match again.as_slice() {
        [] => {}
        [one] => ctx.note(&format!("{one}: the same report as one read before; read once")),
        [first, ..] => ctx.note(&format!(
            "{} documents were the same as reports read before ({first}, …); each was read once",
            again.len()
        )),
    }
    // On every core; the results come back in document order.
    let results = match early {
        Some(parsed) => vec![parsed],
        None => vz::par::map(&docs, 2, |d| parse_one(d, from)),
    };
    let mut reports = Vec::new();
    let mut infos = Vec::new();
    for (doc, result) in docs.iter().zip(results) {
        match result {
            Ok((format, rs)) => {
                if rs.is_empty() {
                    infos.push(InputInfo {
                        input: doc.input.to_string(),
                        document: doc.index,
                        format: format.map_or("empty", Format::name).to_string(),
                        scanner: None,
                        version: None,
                        records: 0,
                    });
                }
                for r in rs {
                    infos.push(InputInfo {
                        input: doc.input.to_string(),
                        document: doc.index,
                        format: format.map_or("empty", Format::name).to_string(),
                        scanner: Some(r.scanner.clone()),
                        version: r.version.clone(),
                        records: r.findings.len(),
                    });
                    reports.push(r);
                }
            }
            Err(e) if keep_going => {
                ctx.warn(&format!("skipped: {e}"));
                failed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    // Inputs in a stable order, so the output does not depend on the order
    // they were named in.
    infos.sort_by(|a, b| (&a.input, a.document).cmp(&(&b.input, b.document)));
    if failed > 0 && infos.is_empty() {
        return Err(Error::usage("no input could be read (see the warnings above)"));
    }
    Ok((reports, infos))
}

type Parsed = Result<(Option<Format>, Vec<Report>), Error>;

/// Splits an input and, when it is one large report of a format its first
/// key suggests, parses it at the same time on another core: the parse is
/// kept (as the one parse of its only document) when the split finds that
/// very document and detection agrees on the format, and thrown away
/// otherwise, so the outcome is always what splitting first and parsing
/// after gives. One 132 MB Trivy report: 0.98 -> 0.79 s.
fn split_single<'a>(
    text: &'a str,
    name: &'a str,
    from: Option<Format>,
) -> (Result<Vec<Doc<'a>>, Error>, Option<Parsed>) {
    split_single_from(text, name, from, input::PARALLEL_SPLIT_BYTES)
}

/// [`split_single`] for inputs of at least `min_bytes`.
fn split_single_from<'a>(
    text: &'a str,
    name: &'a str,
    from: Option<Format>,
    min_bytes: usize,
) -> (Result<Vec<Doc<'a>>, Error>, Option<Parsed>) {
    let guess =
        input::single_guess(text, name, min_bytes).filter(|(_, g)| from.is_none_or(|f| f == *g));
    let Some((whole, guess)) = guess else {
        return (input::split(text, name), None);
    };
    // The records are made on this thread, as without the head start: the
    // memory a finished thread leaves is not reused as readily (peak
    // memory 2.27 -> 2.49x the input when the parse ran on the other one).
    let (split, parsed) = std::thread::scope(|scope| {
        let splitting = scope.spawn(|| input::split(text, name));
        let parsed = parse::parse(&whole, guess);
        (splitting.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), parsed)
    });
    let agrees = match split.as_deref() {
        Ok([doc]) => {
            std::ptr::eq(doc.text, whole.text)
                && (doc.line, doc.column) == (whole.line, whole.column)
                && matches!(input::detect(doc), Ok(Detected::Report(f)) if f == guess)
        }
        _ => false,
    };
    let early = match parsed {
        Ok(reports) if agrees => Some(Ok((Some(guess), reports))),
        _ => None,
    };
    (split, early)
}

fn parse_one(doc: &Doc<'_>, from: Option<Format>) -> Parsed {
    let format = match from {
        // --from is for documents detection cannot tell; one that is
        // plainly another format is a mistake worth naming.
        Some(f) => match input::detect(doc) {
            Ok(Detected::Report(g)) if g != f => {
                return Err(doc.error(format!(
                    "--from {}: this is {}, not {}",
                    f.flag(),
                    g.name(),
                    f.name()
                )));
            }
            _ => f,
        },
        None => match input::detect(doc)? {
            Detected::Nothing => return Ok((None, Vec::new())),
            Detected::Report(f) => f,
        },
    };
    Ok((Some(format), parse::parse(doc, format)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What splitting first and parsing after gives, for comparison.
    fn in_turn(text: &str, from: Option<Format>) -> Result<Vec<Parsed>, String> {
        let docs = input::split(text, "r.json").map_err(|e| e.to_string())?;
        Ok(docs.iter().map(|d| parse_one(d, from)).collect())
    }

    fn show(p: &Parsed) -> String {
        format!("{:?}", p.as_ref().map_err(ToString::to_string))
    }

    /// Every report is read as it would be without the head start (given
    /// here to reports of any size), and the head start is kept only for a
    /// document the split agrees on.
    fn check(text: &str, from: Option<Format>) -> bool {
        let (split, early) = split_single_from(text, "r.json", from, 0);
        let expected = in_turn(text, from);
        match (&split, &expected) {
            (Ok(docs), Ok(parsed)) => assert_eq!(docs.len(), parsed.len()),
            (Err(e), Err(x)) => assert_eq!(&e.to_string(), x),
            _ => panic!("split {:?} but expected {:?}", split.is_ok(), expected.is_ok()),
        }
        let Some(early) = early else { return false };
        let expected = expected.expect("a parse kept only for a document that splits");
        assert_eq!(expected.len(), 1, "a parse kept for a stream of documents");
        assert_eq!(show(&early), show(&expected[0]));
        true
    }

    #[test]
    fn a_report_parsed_while_it_is_split_is_read_as_in_turn() {
        let texts = crate::testutil::corpus();
        let kept = texts.iter().filter(|t| check(t, None)).count();
        if vz::cores() > 1 && !texts.is_empty() {
            // Every format's usual first key is guessed: most of the corpus.
            assert!(kept * 2 > texts.len(), "{kept} of {}", texts.len());
        }
        for from in [Some(Format::Trivy), Some(Format::Sarif)] {
            for t in &texts {
                check(t, from);
            }
        }
    }

    #[test]
    fn a_wrong_guess_a_stream_or_a_broken_report_is_read_in_turn() {
        // Trivy by its first key, SARIF by its shape.
        let sarif = r#"{"SchemaVersion": 2, "version": "2.1.0", "runs": []}"#;
        assert!(!check(sarif, None));
        // Two reports on one line.
        let two = r#"{"SchemaVersion": 2, "Results": []} {"SchemaVersion": 2, "Results": []}"#;
        assert!(!check(two, None));
        // Broken, and a report of no known format.
        assert!(!check(r#"{"SchemaVersion": 2, "Results": [}"#, None));
        assert!(!check(r#"{"SchemaVersion": 2, "Results": "no"}"#, None));
        // Space before the report moves its start; a byte-order mark too
        // (and one inside the space is no JSON).
        let trivy = r#"{"SchemaVersion": 2, "ArtifactName": "a:1", "Results": []}"#;
        assert!(!check(&format!("\n\n  \u{feff}{trivy}"), None));
        let kept = check(&format!("\u{feff}\n {trivy}\n"), None);
        assert_eq!(kept, vz::cores() > 1);
        // Small reports are left to the split.
        assert!(split_single(trivy, "r.json", None).1.is_none());
        // --from another format than the guess: no head start.
        assert!(!check(trivy, Some(Format::Grype)));
    }
}
