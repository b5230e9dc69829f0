//! Markdown for a pull-request comment (GitHub-flavoured, no emoji): the
//! overall status as the heading and the gate under it, results by status,
//! each framework's coverage with its denominator and source, the failed,
//! warning and error results with how to fix them, the waived ones folded
//! away, the waivers that need attention and the kinds no rule covers.
//!
//! Text from the input is escaped so it cannot break a table, start a
//! code span or inject HTML, and owners are code spans so `@team` mentions
//! no one. The comment stays under GitHub's 65,536-character limit: the
//! secondary lists are cut first, then the lowest-severity problems, each
//! cut said in the comment.

use super::table::{line_of, plural};
use super::{Report, WaiverInfo};
use crate::model::{AppliedWaiver, Evaluation, Severity, Status};
use std::fmt::Write as _;
use vz::text::{md_cell, one_line};

/// GitHub rejects a comment of 65,536 characters or more (counted here in
/// bytes, which is never less).
const LIMIT: usize = vz::text::MD_COMMENT_LIMIT;

/// The widest a short cell may be, in characters.
const CELL: usize = 80;

/// The widest a free-text cell may be, in characters.
const TEXT: usize = 300;

/// A problem's "what" lists at most this many violations.
const WHAT_VIOLATIONS: usize = 3;

/// A code span of the usual width ([`vz::text::md_code`]), safe in a
/// table cell.
pub(crate) fn code(s: &str) -> String {
    vz::text::md_code(s, CELL)
}

/// Renders `report` as Markdown for a pull-request comment.
pub fn render(report: &Report) -> String {
    let problems: Vec<&Evaluation> = report
        .problems()
        .filter(|e| matches!(e.status, Status::Failed | Status::Warning | Status::Error))
        .collect();
    let all = vec![true; problems.len()];
    for cap in [usize::MAX, 100, 50, 20, 10, 0] {
        let text = compose(report, &problems, &all, cap);
        if text.len() < LIMIT {
            return text;
        }
    }
    // Without the secondary lists it is still too long: keep the problems
    // that matter most, as many as fit.
    let order = priority(report, &problems);
    let keep = |k: usize| {
        let mut kept = vec![false; problems.len()];
        for &i in &order[..k] {
            kept[i] = true;
        }
        kept
    };
    let (mut lo, mut hi) = (0, problems.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if compose(report, &problems, &keep(mid), 0).len() < LIMIT {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    // Not cut with cells as short as they are, but never over the limit.
    let text = compose(report, &problems, &keep(lo), 0);
    vz::text::md_fit(text, LIMIT, "cut to fit a comment; see the JSON report")
}

/// Problems in the order they are kept when not all fit: higher severity
/// first, then failed and error before warning, then report order.
fn priority(report: &Report, problems: &[&Evaluation]) -> Vec<usize> {
    let severity = |e: &Evaluation| report.rule(&e.rule).map_or(Severity::Low, |r| r.severity);
    let rank = |e: &Evaluation| u8::from(e.status == Status::Warning);
    let mut order: Vec<usize> = (0..problems.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (problems[a], problems[b]);
        severity(y).cmp(&severity(x)).then(rank(x).cmp(&rank(y))).then(a.cmp(&b))
    });
    order
}

/// The comment with the problems marked in `kept` and at most `cap` rows
/// in each secondary list.
fn compose(report: &Report, problems: &[&Evaluation], kept: &[bool], cap: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## vz-comply: {}\n", report.overall.as_str());
    let gate = if report.gate.passed { "passed" } else { "failed" };
    let results = report.results.len();
    let _ = write!(
        out,
        "Gate: **{gate}** (`--fail-on {}`). {} for {}.",
        report.gate.fail_on.as_str(),
        if results == 0 { "No results".to_string() } else { plural(results, "result") },
        plural(report.summary.objects, "object")
    );
    if let Some(b) = &report.baseline {
        let _ = write!(
            out,
            " Compared with the baseline {}: {} it already has {} left out.",
            code(&b.input),
            plural(b.existing, "failing result"),
            if b.existing == 1 { "is" } else { "are" }
        );
    }
    out.push('\n');

    if results > 0 {
        out.push_str("\n| Status | Results |\n| --- | ---: |\n");
        for s in Status::ALL.iter().rev() {
            let n = report.summary.by_status.get(s).copied().unwrap_or(0);
            let _ = writeln!(out, "| {} | {n} |", s.as_str());
        }
    }

    if !report.frameworks.is_empty() {
        out.push_str("\n### Framework coverage\n\n");
        out.push_str(
            "| Framework | Mapping | Passed | Warning | Failed | Error | Not evaluated | Of |\n",
        );
        out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        let mut notes = String::new();
        for c in &report.frameworks {
            let n = |k: &str| c.counts.get(k).copied().unwrap_or(0);
            let name = [one_line(&c.name), one_line(&c.version)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let mapping =
                if c.mapping == "vz" { "vz's own".to_string() } else { md_cell(&c.mapping, CELL) };
            let _ = writeln!(
                out,
                "| {} | {mapping} | {} | {} | {} | {} | {} | {} |",
                md_cell(&name, CELL),
                n("passed"),
                n("warning"),
                n("failed"),
                n("error"),
                n("not-evaluated"),
                c.counts.values().sum::<usize>()
            );
            let _ = write!(notes, "- **{}**:", md_cell(&name, CELL));
            for (label, text) in [("", &c.denominator), ("Source: ", &c.citation)] {
                let text = one_line(text);
                let text = text.trim_end_matches('.');
                if !text.is_empty() {
                    let _ = write!(notes, " {label}{}.", md_cell(text, TEXT));
                }
            }
            notes.push('\n');
        }
        out.push('\n');
        out.push_str(&notes);
    }

    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Problems ({})\n", problems.len());
        out.push_str("| Status | Rule | Severity | Object | Where | What |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        let mut fixes: Vec<&str> = Vec::new();
        for (e, _) in problems.iter().zip(kept).filter(|(_, k)| **k) {
            let rule = report.rule(&e.rule);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                e.status.as_str(),
                md_cell(&e.rule, CELL),
                rule.map_or("", |r| r.severity.as_str()),
                md_cell(&e.object.display(), CELL),
                md_cell(&line_of(e.location()), CELL),
                md_cell(&what(e), TEXT)
            );
            if e.status != Status::Error && !fixes.contains(&e.rule.as_str()) {
                fixes.push(&e.rule);
            }
        }
        let omitted = kept.iter().filter(|k| !**k).count();
        if omitted > 0 {
            let _ = writeln!(
                out,
                "\n{} omitted (the lowest severity) to fit a comment; see the JSON report.",
                plural(omitted, "more result")
            );
        }
        let mut lines = String::new();
        for r in report.rules.iter().filter(|r| fixes.contains(&r.id.as_str())) {
            if r.fix.trim().is_empty() {
                continue;
            }
            let _ = writeln!(
                lines,
                "- **{}** {}: {}",
                md_cell(&r.id, CELL),
                md_cell(&r.title, CELL),
                md_cell(&r.fix, TEXT)
            );
        }
        if !lines.is_empty() {
            out.push_str("\n**How to fix**\n\n");
            out.push_str(&lines);
        }
    }

    let waived: Vec<&Evaluation> =
        report.results.iter().filter(|e| e.status == Status::Waived).collect();
    if !waived.is_empty() {
        let _ = writeln!(out, "\n<details><summary>Waived ({})</summary>\n", waived.len());
        out.push_str("| Rule | Object | Where | Reason | Owner | Expires | Waiver |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
        for e in waived.iter().take(cap) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md_cell(&e.rule, CELL),
                md_cell(&e.object.display(), CELL),
                md_cell(&line_of(e.location()), CELL),
                waiver_cells(e.waiver.as_deref())
            );
        }
        more(&mut out, waived.len().saturating_sub(cap));
        out.push_str("\n</details>\n");
    }

    let audit = &report.waivers;
    if !audit.expired.is_empty() || !audit.unused.is_empty() {
        out.push_str("\n### Waivers that need attention\n");
        waivers(
            &mut out,
            "Expired",
            "they no longer accept anything; renew or remove them",
            &audit.expired,
            cap,
        );
        waivers(&mut out, "Unused", "they accept no violation; remove them", &audit.unused, cap);
    }

    if !report.skipped.is_empty() {
        out.push_str("\n### Skipped kinds\n\nNo rule covers these kinds.\n\n");
        out.push_str("| Kind | apiVersion | Objects |\n| --- | --- | ---: |\n");
        for s in report.skipped.iter().take(cap) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md_cell(&s.kind, CELL),
                md_cell(&s.api_version, CELL),
                s.count
            );
        }
        more(&mut out, report.skipped.len().saturating_sub(cap));
    }
    out
}

/// What is wrong: the first violations (`and N more`), or why the rule
/// could not be evaluated.
fn what(e: &Evaluation) -> String {
    if e.status == Status::Error {
        return match e.note.as_deref().map(one_line).filter(|n| !n.is_empty()) {
            Some(n) => format!("could not be evaluated: {n}"),
            None => "could not be evaluated".to_string(),
        };
    }
    let mut parts: Vec<String> =
        e.violations.iter().take(WHAT_VIOLATIONS).map(|v| one_line(&v.message)).collect();
    if e.violations.len() > WHAT_VIOLATIONS {
        parts.push(format!("and {} more", e.violations.len() - WHAT_VIOLATIONS));
    }
    if parts.is_empty() {
        return e.note.as_deref().map(one_line).unwrap_or_default();
    }
    parts.join("; ")
}

fn more(out: &mut String, n: usize) {
    if n > 0 {
        let _ = writeln!(out, "\n… and {n} more (see the JSON report)");
    }
}

/// A table of waivers under a bold title.
fn waivers(out: &mut String, title: &str, why: &str, list: &[WaiverInfo], cap: usize) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n**{title} ({})**: {why}.\n", list.len());
    out.push_str("| Rule | Selects | Reason | Owner | Expires | Source |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for w in list.iter().take(cap) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md_cell(&w.rule, CELL),
            md_cell(&w.selector, CELL),
            waiver_cells(Some(&w.waiver))
        );
    }
    more(out, list.len().saturating_sub(cap));
}

/// The reason, owner, expiry and source cells of a waiver (empty without
/// one): the owner a code span, so `@team` mentions no one.
fn waiver_cells(w: Option<&AppliedWaiver>) -> String {
    format!(
        "{} | {} | {} | {}",
        md_cell(w.map_or("", |w| w.reason.as_str()), TEXT),
        code(w.and_then(|w| w.owner.as_deref()).unwrap_or("")),
        w.and_then(|w| w.expires).map(|d| d.to_string()).unwrap_or_default(),
        md_cell(w.map_or("", |w| w.source.as_str()), CELL)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;
    use crate::report::sarif::sample::{
        any_text, empty, object, result, rule, sample, violation, with_text,
    };

    #[test]
    fn the_sample_as_a_whole() {
        assert_eq!(render(&sample()), SAMPLE);
    }

    #[test]
    fn an_empty_report_passes() {
        assert_eq!(
            render(&empty()),
            "## vz-comply: passed\n\nGate: **passed** (`--fail-on failed`). No results for 0 objects.\n"
        );
    }

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(code("@acme/a|b"), "`@acme/a\\|b`");
        let mut r = sample();
        r.results[1].violations[0].message = "a | b\n`c`".into();
        let text = render(&r);
        assert!(text.contains("| manifests.yaml:17 | a \\| b \\`c\\`; init container"), "{text}");
    }

    #[test]
    fn a_long_comment_drops_the_lowest_severity_first() {
        let mut r = empty();
        let high = rule("VZ-K8S-001", "High", Severity::High, Level::Failed, "fix it");
        let low = rule("VZ-K8S-011", "Low", Severity::Low, Level::Failed, "fix it too");
        r.rules = vec![high, low];
        let long = "x".repeat(400);
        for i in 0..300 {
            // Low first in report order, so order alone would keep them.
            let id = if i < 150 { "VZ-K8S-011" } else { "VZ-K8S-001" };
            let mut e = result(
                id,
                &object("Deployment", "ns", &format!("app-{i:03}")),
                Status::Failed,
                vz::Location::at("m.yaml", i + 1, 1),
            );
            e.violations = vec![violation("spec", &long, vz::Location::at("m.yaml", i + 1, 1))];
            r.results.push(e);
        }
        r.summary = crate::report::Summary::of(300, &r.results);
        r.overall = Status::Failed;
        r.gate.passed = false;
        let text = render(&r);
        assert!(text.len() < LIMIT);
        assert!(text.contains("### Problems (300)\n"));
        for i in 150..300 {
            assert!(text.contains(&format!("| Deployment/ns/app-{i:03} |")), "high {i} kept");
        }
        let low_kept =
            (0..150).filter(|i| text.contains(&format!("| Deployment/ns/app-{i:03} |"))).count();
        assert!(low_kept > 0 && low_kept < 150, "{low_kept}");
        // The ones kept are the first in report order.
        assert!(text.contains("| Deployment/ns/app-000 |"));
        assert!(
            text.contains(&format!(
                "\n{} more results omitted (the lowest severity) to fit a comment; see the JSON report.\n",
                150 - low_kept
            )),
            "{}",
            &text[text.len() - 500..]
        );
    }

    #[test]
    fn long_secondary_lists_are_cut_before_problems() {
        let mut r = sample();
        let w = r.waivers.expired[0].clone();
        r.waivers.expired = (0..3000)
            .map(|i| WaiverInfo {
                rule: format!("VZ-K8S-{i:04}"),
                waiver: AppliedWaiver { reason: "r".repeat(300), ..w.waiver.clone() },
                ..w.clone()
            })
            .collect();
        let text = render(&r);
        assert!(text.len() < LIMIT);
        assert!(text.contains("**Expired (3000)**"));
        assert!(text.contains("| VZ-K8S-0099 |") && !text.contains("| VZ-K8S-0100 |"));
        assert!(text.contains("\n… and 2900 more (see the JSON report)\n"));
        assert!(text.contains("### Problems (3)\n"));
        assert!(!text.contains("omitted"));
    }

    /// The `|` of a line that separate cells: GitHub (cmark-gfm) splits a
    /// row at every `|` not right after a `\\`, inside code spans too.
    fn pipes(line: &str) -> usize {
        let mut n = 0;
        let mut previous = ' ';
        for c in line.chars() {
            if c == '|' && previous != '\\' {
                n += 1;
            }
            previous = c;
        }
        n
    }

    #[test]
    fn every_row_of_the_sample_has_its_columns() {
        check_rows(&render(&sample()));
    }

    /// The text of `line` outside code spans (`` ` `` or ``` `` ```) and
    /// escapes.
    fn outside_code(line: &str) -> String {
        let mut out = String::new();
        let mut rest = line;
        while let Some(c) = rest.chars().next() {
            if c == '\\' {
                rest = &rest[c.len_utf8()..];
                if let Some(next) = rest.chars().next() {
                    rest = &rest[next.len_utf8()..];
                }
            } else if c == '`' {
                // A code span ends at a run of backticks as long as its
                // opening one.
                let n = rest.len() - rest.trim_start_matches('`').len();
                let mut body = &rest[n..];
                loop {
                    let Some(at) = body.find('`') else {
                        panic!("an unclosed code span in {line}");
                    };
                    let after = &body[at..];
                    let run = after.len() - after.trim_start_matches('`').len();
                    body = &after[run..];
                    if run == n {
                        break;
                    }
                }
                rest = body;
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }

    /// Every line of a table has as many cells as its header, and no text
    /// makes HTML or a stray code span.
    fn check_rows(text: &str) {
        let mut columns = 0;
        let mut in_table = false;
        for line in text.lines() {
            if line.starts_with('|') {
                if !in_table {
                    columns = pipes(line);
                    in_table = true;
                }
                assert_eq!(pipes(line), columns, "{line}");
            } else {
                in_table = false;
            }
            let without_tags = line
                .replace("<details><summary>", "")
                .replace("</summary>", "")
                .replace("</details>", "");
            assert!(!outside_code(&without_tags).contains('<'), "{line}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_keeps_every_table_whole(s in any_text()) {
            let text = render(&with_text(&s));
            check_rows(&text);
            proptest::prop_assert!(text.len() < LIMIT);
            proptest::prop_assert!(text.contains("### Problems (3)\n"));
        }
    }

    const SAMPLE: &str = r#"## vz-comply: error

Gate: **failed** (`--fail-on failed`). 6 results for 3 objects.

| Status | Results |
| --- | ---: |
| error | 1 |
| failed | 1 |
| warning | 1 |
| waived | 1 |
| passed | 1 |
| not-applicable | 1 |

### Framework coverage

| Framework | Mapping | Passed | Warning | Failed | Error | Not evaluated | Of |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
| CIS Kubernetes Benchmark 1.12 | published | 2 | 0 | 1 | 0 | 0 | 3 |
| GDPR Art. 32 | vz's own | 0 | 0 | 1 | 1 | 1 | 3 |

- **CIS Kubernetes Benchmark 1.12**: 3 controls of CIS section 5.2 that vz maps; the benchmark has more. Source: CIS Kubernetes Benchmark v1.12.0, section 5.2.
- **GDPR Art. 32**: 3 measures of Article 32(1) that vz maps. Source: Regulation (EU) 2016/679, Article 32(1); vz's own reading.

### Problems (3)

| Status | Rule | Severity | Object | Where | What |
| --- | --- | --- | --- | --- | --- |
| error | VZ-APP-001 | high | config/app.json | app.json:1 | could not be evaluated: encryption.atRest is "yes", expected true or false |
| failed | VZ-K8S-001 | high | Deployment/payments/api | manifests.yaml:17 | container "app": runAsNonRoot is not set; init container "migrate": runs as user 0 |
| warning | VZ-K8S-015 | low | Deployment/payments/api | manifests.yaml:17 | container "app": no livenessProbe |

**How to fix**

- **VZ-K8S-001** Containers run as a non-root user: Set securityContext.runAsNonRoot to true (pod or container) and run as a non-zero runAsUser.
- **VZ-K8S-015** Containers have a liveness probe: Add a livenessProbe that fails when the process is stuck.

<details><summary>Waived (1)</summary>

| Rule | Object | Where | Reason | Owner | Expires | Waiver |
| --- | --- | --- | --- | --- | --- | --- |
| VZ-K8S-003 | CronJob/payments/cleanup | manifests.yaml:66 | the sync agent needs NET_ADMIN until v2 | `@acme/platform` | 2027-01-31 | annotation |

</details>

### Waivers that need attention

**Expired (1)**: they no longer accept anything; renew or remove them.

| Rule | Selects | Reason | Owner | Expires | Source |
| --- | --- | --- | --- | --- | --- |
| VZ-K8S-005 | Deployment payments/legacy | privileged until the driver moves to a DaemonSet | `alice` | 2025-06-30 | waivers.yaml:4 |

**Unused (1)**: they accept no violation; remove them.

| Rule | Selects | Reason | Owner | Expires | Source |
| --- | --- | --- | --- | --- | --- |
| VZ-K8S-009 | namespace=legacy | old node exporter |  |  | waivers.yaml:12 |

### Skipped kinds

No rule covers these kinds.

| Kind | apiVersion | Objects |
| --- | --- | ---: |
| ServiceMonitor | monitoring.coreos.com/v1 | 2 |
"#;
}
