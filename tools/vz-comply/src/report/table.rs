//! The terminal view: the problems grouped by object (worst object first),
//! each with its violations and where they are, the rule's fix once, waived
//! results dimmed with the waiver's reason; then each framework's coverage
//! with its denominator, the waivers that need attention, the kinds no
//! rule covers, and a last line with the overall status, the counts and
//! the gate. Colour only when asked; without it the text has no escape
//! codes at all.

use super::{Coverage, Report, WaiverInfo};
use crate::model::{Evaluation, ObjectRef, Status};
use std::fmt::Write as _;
use vz::color::Styles;
use vz::text::one_line;

/// `Deployment payments/api`, `Namespace prod`, `config app.json`.
pub(crate) fn object_words(o: &ObjectRef) -> String {
    let words = if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    };
    one_line(&words)
}

/// `name:line` (or the name alone when the line is unknown), on one line.
pub(crate) fn line_of(at: &vz::Location) -> String {
    let input = one_line(&at.input);
    if at.line == 0 { input } else { format!("{input}:{}", at.line) }
}

/// The input's name when it names a file: `None` for standard input
/// (`<stdin>`, `-`) and an unnamed input.
pub(crate) fn file_name(input: &str) -> Option<&str> {
    (!matches!(input.trim(), "" | "<stdin>" | "-")).then_some(input)
}

/// `1 error`, `2 errors`: `word` with an `s` unless `n` is 1.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// The colours of a run.
struct Paint {
    styles: Styles,
    dim: owo_colors::Style,
}

impl Paint {
    fn new(color: bool) -> Paint {
        let dim = if color { owo_colors::Style::new().dimmed() } else { owo_colors::Style::new() };
        Paint { styles: Styles::new(color), dim }
    }

    /// `text` in the colour of status `s`.
    fn status(&self, s: Status, text: &str) -> String {
        let style = match s.effective() {
            Status::Error | Status::Failed => self.styles.error,
            Status::Warning => self.styles.warn,
            _ => self.styles.ok,
        };
        style.style(text).to_string()
    }
}

/// Renders `report` for a terminal; `color` adds ANSI colours.
pub fn render(report: &Report, color: bool) -> String {
    let p = Paint::new(color);
    let mut out = String::new();
    problems(&mut out, report, &p);
    let mut section = |lines: Vec<String>| {
        if !lines.is_empty() {
            out.push('\n');
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
    };
    section(report.frameworks.iter().map(|c| coverage(c, &p)).collect());
    section(
        report
            .waivers
            .expired
            .iter()
            .map(|w| waiver(w, "expired", &p))
            .chain(report.waivers.unused.iter().map(|w| waiver(w, "unused", &p)))
            .collect(),
    );
    section(
        report
            .skipped
            .iter()
            .map(|s| {
                format!(
                    "skipped: {} {} {} ({}): no rule covers this kind",
                    s.count,
                    one_line(&s.kind),
                    if s.count == 1 { "object" } else { "objects" },
                    one_line(&s.api_version)
                )
            })
            .collect(),
    );
    section(vec![summary(report, &p)]);
    out
}

/// The problems, grouped by object in order of each object's first
/// (worst) problem.
fn problems(out: &mut String, report: &Report, p: &Paint) {
    let list: Vec<&Evaluation> = report.problems().collect();
    if list.is_empty() {
        out.push_str("No problems found.\n");
        return;
    }
    let id_width = list.iter().map(|e| one_line(&e.rule).chars().count()).max().unwrap_or(0);
    let severity_width = list
        .iter()
        .map(|e| report.rule(&e.rule).map_or(1, |r| r.severity.as_str().len()))
        .max()
        .unwrap_or(0);
    // Objects in order of first appearance; the same name in two inputs
    // (or twice in one) is two objects.
    let mut groups: Vec<(&Evaluation, Vec<&Evaluation>)> = Vec::new();
    for e in list {
        let same = |g: &Evaluation| {
            g.object == e.object && g.at.input == e.at.input && g.at.line == e.at.line
        };
        match groups.iter_mut().find(|(first, _)| same(first)) {
            Some((_, members)) => members.push(e),
            None => groups.push((e, vec![e])),
        }
    }
    for (i, (first, members)) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let head = object_words(&first.object);
        let _ = writeln!(out, "{}  ({})", p.styles.bold.style(&head), line_of(&first.at));
        for e in members {
            result(out, report, e, id_width, severity_width, p);
        }
    }
}

/// One problem: its status line, its violations, and the fix (or the
/// waiver, or why it could not be evaluated).
fn result(
    out: &mut String,
    report: &Report,
    e: &Evaluation,
    id_width: usize,
    sev_width: usize,
    p: &Paint,
) {
    let rule = report.rule(&e.rule);
    let label = format!("{:<7}", e.status.as_str().to_ascii_uppercase());
    let severity = rule.map_or("?", |r| r.severity.as_str());
    let title = rule.map(|r| one_line(&r.title)).unwrap_or_default();
    let rest = format!("{:<id_width$}  {severity:<sev_width$}  {title}", one_line(&e.rule));
    let mut lines: Vec<String> = Vec::new();
    let waived = e.status == Status::Waived;
    if waived {
        lines.push(format!("  {label}  {rest}").trim_end().to_string());
        if let Some(w) = &e.waiver {
            let mut by = String::new();
            if let Some(d) = w.expires {
                let _ = write!(by, " until {d}");
            }
            if let Some(o) = w.owner.as_deref().map(one_line).filter(|o| !o.is_empty()) {
                let _ = write!(by, " by {o}");
            }
            lines.push(format!(
                "    waived{by} ({}): {}",
                one_line(&w.source),
                one_line(&w.reason)
            ));
        }
    } else {
        let head = format!("  {}  {rest}", p.status(e.status, &label));
        lines.push(head.trim_end().to_string());
    }
    if e.status == Status::Error {
        let note = e.note.as_deref().map(one_line).unwrap_or_default();
        lines.push(if note.is_empty() {
            "    could not be evaluated".to_string()
        } else {
            format!("    could not be evaluated: {note}")
        });
    } else if !waived && let Some(note) = e.note.as_deref().map(one_line).filter(|n| !n.is_empty())
    {
        lines.push(format!("    {note}"));
    }
    for v in &e.violations {
        let at = one_line(&v.at.to_string());
        let message = one_line(&v.message);
        lines.push(if at.is_empty() {
            format!("    {message}")
        } else {
            format!("    {message} ({at})")
        });
    }
    if !waived
        && !e.violations.is_empty()
        && let Some(fix) = rule.map(|r| one_line(&r.fix)).filter(|f| !f.is_empty())
    {
        lines.push(format!("    fix: {fix}"));
    }
    for l in lines {
        if waived {
            out.push_str(&p.dim.style(&l).to_string());
        } else {
            out.push_str(&l);
        }
        out.push('\n');
    }
}

/// `CIS Kubernetes Benchmark 1.12: 2 of 3 controls passed, 1 failed
/// (denominator)`.
fn coverage(c: &Coverage, p: &Paint) -> String {
    let n = |k: &str| c.counts.get(k).copied().unwrap_or(0);
    let of: usize = c.counts.values().sum();
    let mut name = one_line(&c.name);
    let version = one_line(&c.version);
    if !version.is_empty() {
        let _ = write!(name, " {version}");
    }
    let mut s = p.styles.bold.style(&name).to_string();
    if c.mapping == "vz" {
        s.push_str(" (vz's own mapping)");
    }
    let _ = write!(s, ": {} of {} passed", n("passed"), plural(of, "control"));
    for (key, words) in [("warning", None), ("failed", Some("failed")), ("error", None)] {
        let k = n(key);
        if k > 0 {
            let text = match words {
                Some(w) => format!("{k} {w}"),
                None => plural(k, key),
            };
            let _ = write!(s, ", {text}");
        }
    }
    if n("not-evaluated") > 0 {
        let _ = write!(s, ", {} not evaluated", n("not-evaluated"));
    }
    let denominator = one_line(&c.denominator);
    if !denominator.is_empty() {
        let _ = write!(s, " ({denominator})");
    }
    s
}

/// `expired waiver: VZ-K8S-005 on Deployment payments/legacy, until
/// 2025-06-30, owner alice (waivers.yaml:4): reason`.
fn waiver(w: &WaiverInfo, what: &str, p: &Paint) -> String {
    let mut s = format!(
        "{}: {} on {}",
        p.styles.warn.style(&format!("{what} waiver")),
        w.rule,
        one_line(&w.selector)
    );
    let a = &w.waiver;
    if let Some(d) = a.expires {
        let _ = write!(s, ", until {d}");
    }
    if let Some(o) = a.owner.as_deref().map(one_line).filter(|o| !o.is_empty()) {
        let _ = write!(s, ", owner {o}");
    }
    let _ = write!(s, " ({})", one_line(&a.source));
    let reason = one_line(&a.reason);
    if !reason.is_empty() {
        let _ = write!(s, ": {reason}");
    }
    s
}

/// `overall: failed — 3 failed, 1 warning, 2 waived, 120 passed across 14
/// objects; gate failed (--fail-on failed)`.
fn summary(report: &Report, p: &Paint) -> String {
    let n = |s: Status| report.summary.by_status.get(&s).copied().unwrap_or(0);
    let mut parts = Vec::new();
    for s in Status::ALL.iter().rev() {
        let k = n(*s);
        if k == 0 {
            continue;
        }
        parts.push(match s {
            Status::Error | Status::Warning => plural(k, s.as_str()),
            Status::NotApplicable => format!("{k} not applicable"),
            _ => format!("{k} {}", s.as_str()),
        });
    }
    let counts = if parts.is_empty() { "no results".to_string() } else { parts.join(", ") };
    let mut s = format!(
        "overall: {} — {counts} across {}",
        p.status(report.overall, report.overall.as_str()),
        plural(report.summary.objects, "object")
    );
    if let Some(b) = &report.baseline {
        let _ = write!(
            s,
            "; {} also in the baseline {} left out",
            plural(b.existing, "failing result"),
            one_line(&b.input)
        );
    }
    let gate = if report.gate.passed {
        p.styles.ok.style("gate passed").to_string()
    } else {
        p.styles.error.style("gate failed").to_string()
    };
    let _ = write!(s, "; {gate} (--fail-on {})", report.gate.fail_on.as_str());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::BaselineInfo;
    use crate::report::sarif::sample::{any_text, empty, sample, with_text};

    #[test]
    fn helpers() {
        assert_eq!(file_name("k8s/a.yaml"), Some("k8s/a.yaml"));
        assert_eq!(file_name("<stdin>"), None);
        assert_eq!(file_name("-"), None);
        assert_eq!(plural(1, "error"), "1 error");
        assert_eq!(plural(0, "error"), "0 errors");
    }

    #[test]
    fn the_sample_as_a_whole() {
        assert_eq!(render(&sample(), false), SAMPLE);
    }

    #[test]
    fn colour_changes_nothing_but_escape_codes() {
        let coloured = render(&sample(), true);
        assert!(coloured.contains("\u{1b}[31;1mERROR  \u{1b}[0m  VZ-APP-001"), "{coloured}");
        assert!(coloured.contains("\u{1b}[33;1mWARNING\u{1b}[0m  VZ-K8S-015"), "{coloured}");
        assert!(
            coloured.contains("\u{1b}[2m  WAIVED   VZ-K8S-003  medium  Containers drop all capabilities\u{1b}[0m\n"),
            "{coloured}"
        );
        assert!(
            coloured.contains("\u{1b}[1mDeployment payments/api\u{1b}[0m  (manifests.yaml:1)\n")
        );
        let stripped = strip(&coloured);
        assert_eq!(stripped, SAMPLE);
        assert!(!render(&sample(), false).contains('\u{1b}'));
    }

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn an_empty_report_passes() {
        assert_eq!(
            render(&empty(), false),
            "No problems found.\n\noverall: passed — no results across 0 objects; gate passed (--fail-on failed)\n"
        );
        let coloured = render(&empty(), true);
        assert_eq!(strip(&coloured), render(&empty(), false));
    }

    #[test]
    fn a_baseline_and_one_object_are_counted_in_words() {
        let mut r = empty();
        r.summary.objects = 1;
        r.baseline = Some(BaselineInfo { input: "base.json".into(), existing: 1 });
        assert_eq!(
            summary(&r, &Paint::new(false)),
            "overall: passed — no results across 1 object; 1 failing result also in the baseline base.json left \
             out; gate passed (--fail-on failed)"
        );
    }

    #[test]
    fn text_from_the_input_stays_on_its_line() {
        let mut r = sample();
        r.results[1].violations[0].message = "two\nlines".into();
        r.rules[1].fix = "fix\r\nit".into();
        let text = render(&r, false);
        assert!(text.contains("    two lines (manifests.yaml:17:11)\n"), "{text}");
        assert!(text.contains("    fix: fix it\n"), "{text}");
    }

    proptest::proptest! {
        #[test]
        fn any_text_stays_on_its_line(s in any_text()) {
            let lines = render(&with_text(&s), false).lines().count();
            proptest::prop_assert_eq!(lines, SAMPLE.lines().count());
        }
    }

    const SAMPLE: &str = "\
config app.json  (app.json:1)
  ERROR    VZ-APP-001  high    Data is encrypted at rest
    could not be evaluated: encryption.atRest is \"yes\", expected true or false

Deployment payments/api  (manifests.yaml:1)
  FAILED   VZ-K8S-001  high    Containers run as a non-root user
    container \"app\": runAsNonRoot is not set (manifests.yaml:17:11)
    init container \"migrate\": runs as user 0 (manifests.yaml:31:24)
    fix: Set securityContext.runAsNonRoot to true (pod or container) and run as a non-zero runAsUser.
  WARNING  VZ-K8S-015  low     Containers have a liveness probe
    container \"app\": no livenessProbe (manifests.yaml:17:11)
    fix: Add a livenessProbe that fails when the process is stuck.

CronJob payments/cleanup  (manifests.yaml:48)
  WAIVED   VZ-K8S-003  medium  Containers drop all capabilities
    waived until 2027-01-31 by @acme/platform (annotation): the sync agent needs NET_ADMIN until v2
    container \"sync\": capabilities.drop does not include ALL (manifests.yaml:66:17)

CIS Kubernetes Benchmark 1.12: 2 of 3 controls passed, 1 failed (3 controls of CIS section 5.2 that vz maps; the benchmark has more)
GDPR Art. 32 (vz's own mapping): 0 of 3 controls passed, 1 failed, 1 error, 1 not evaluated (3 measures of Article 32(1) that vz maps)

expired waiver: VZ-K8S-005 on Deployment payments/legacy, until 2025-06-30, owner alice (waivers.yaml:4): privileged until the driver moves to a DaemonSet
unused waiver: VZ-K8S-009 on namespace=legacy (waivers.yaml:12): old node exporter

skipped: 2 ServiceMonitor objects (monitoring.coreos.com/v1): no rule covers this kind

overall: error — 1 error, 1 failed, 1 warning, 1 waived, 1 passed, 1 not applicable across 3 objects; gate failed (--fail-on failed)
";
}
