//! Markdown for a pull-request comment (GitHub-flavoured): the verdict as
//! the heading, counts by severity and by source, the top findings, then the
//! severity disagreements, the ignored findings and the state of the ignore
//! list, and the baseline's new and fixed findings. Long lists are cut so
//! the comment stays under GitHub's 65,536-character limit; cells are
//! escaped so no text of a report can break a table or inject HTML, and
//! package names and owners are code spans so `@scope/name` mentions no one.

use super::{Gate, Merged};
use crate::ignore::EntryReport;
use crate::merge::{BaselineStatus, Finding};
use crate::model::Severity;
use std::fmt::Write as _;
use vz::text::{md_cell, md_code};

/// GitHub rejects a comment of 65,536 characters or more (counted here in
/// bytes, which is never less).
const LIMIT: usize = vz::text::MD_COMMENT_LIMIT;

/// Rows of the findings table.
const TOP: usize = 25;

/// The widest a cell may be, in characters (free text gets twice as much).
const CELL_CHARS: usize = 80;

/// A table cell of the usual width ([`md_cell`]).
pub(crate) fn cell(s: &str) -> String {
    md_cell(s, CELL_CHARS)
}

/// A code span of the usual width ([`md_code`]), safe in a table cell.
pub(crate) fn code(s: &str) -> String {
    md_code(s, CELL_CHARS)
}

/// The gate's verdict in words: `gate failed: 2 findings at or above high
/// (fixable)`, `gate passed: no finding at or above high`, `no gate`.
pub(crate) fn verdict(g: &Gate) -> String {
    let Some(level) = g.fail_on else {
        return "no gate".to_string();
    };
    let mut scope = Vec::new();
    if g.fixable_only {
        scope.push("fixable".to_string());
    }
    if g.require_consensus > 1 {
        scope.push(format!("reported by at least {} scanners", g.require_consensus));
    }
    if g.only_new {
        scope.push("new since the baseline".to_string());
    }
    let scope = if scope.is_empty() { String::new() } else { format!(" ({})", scope.join(", ")) };
    if g.passed {
        format!("gate passed: no finding at or above {level}{scope}")
    } else {
        let s = if g.failing == 1 { "" } else { "s" };
        format!("gate failed: {} finding{s} at or above {level}{scope}", g.failing)
    }
}

/// With a baseline: how many findings are new and how many unchanged.
pub(crate) fn baseline_counts(m: &Merged) -> (usize, usize) {
    let count = |b| m.findings.iter().filter(|f| f.baseline == Some(b)).count();
    (count(BaselineStatus::New), count(BaselineStatus::Unchanged))
}

/// `Critical`.
fn label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Unknown => "Unknown",
    }
}

/// Renders `m` as Markdown.
pub fn render(m: &Merged) -> String {
    // Shorter secondary lists until the comment fits.
    for cap in [100, 50, 20, 10, 0] {
        let text = render_capped(m, cap);
        if text.len() < LIMIT {
            return text;
        }
    }
    // Not cut with cells cut to CELL_CHARS, but never over the limit.
    vz::text::md_fit(
        render_capped(m, 0),
        LIMIT,
        "cut to fit a comment; the full report is in -o json",
    )
}

/// The comment with at most `cap` rows in each secondary list.
fn render_capped(m: &Merged, cap: usize) -> String {
    let mut out = String::new();
    let g = &m.gate;
    let heading = match g.fail_on {
        None => "Vulnerability scan: no gate".to_string(),
        Some(_) => {
            let v = verdict(g);
            let mark = if g.passed { "✅" } else { "❌" };
            format!("{mark} {}{}", v[..1].to_ascii_uppercase(), &v[1..])
        }
    };
    let _ = writeln!(out, "## {heading}\n");

    let c = &m.counts;
    if m.findings.is_empty() {
        let _ = writeln!(out, "No findings after merging {}.", inputs(m));
    } else {
        let s = if c.total == 1 { "" } else { "s" };
        let _ = writeln!(out, "**{} finding{s}** after merging {}.\n", c.total, inputs(m));
        out.push_str("| Severity | Count |\n| --- | ---: |\n");
        for s in Severity::ALL.iter().rev() {
            let _ =
                writeln!(out, "| {} | {} |", label(*s), c.by_severity.get(s).copied().unwrap_or(0));
        }
        out.push('\n');
        let by_source: Vec<String> =
            c.by_source.iter().map(|(s, n)| format!("{} {n}", cell(s))).collect();
        let _ = writeln!(out, "**By source:** {}\n", by_source.join(", "));

        let shown = m.findings.len().min(TOP);
        if shown < m.findings.len() {
            let _ = writeln!(out, "### Top {shown} findings\n");
        } else {
            out.push_str("### Findings\n\n");
        }
        out.push_str("| Severity | ID | Package | Installed | Fixed in | Target | Found by |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
        for f in &m.findings[..shown] {
            let sources: Vec<&str> = f.sources.iter().map(|s| s.name()).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                label(f.severity),
                linked_id(f),
                code(&f.package.name),
                cell(&f.installed.join(", ")),
                cell(&fixed(f)),
                cell(&f.target.name),
                cell(&sources.join(", "))
            );
        }
        more(&mut out, m.findings.len() - shown);
    }

    if !m.disagreements.is_empty() {
        let n = m.disagreements.len();
        let _ = writeln!(out, "\n<details><summary>Severity disagreements ({n})</summary>\n");
        out.push_str(
            "| ID | Package | Target | Ratings | Chosen |\n| --- | --- | --- | --- | --- |\n",
        );
        for d in m.disagreements.iter().take(cap) {
            let ratings: Vec<String> =
                d.ratings.iter().map(|r| format!("{}: {}", r.source, r.severity)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&d.id),
                code(&d.package),
                cell(&d.target),
                cell(&ratings.join(", ")),
                d.chosen
            );
        }
        more(&mut out, n.saturating_sub(cap));
        out.push_str("\n</details>\n");
    }

    if !m.ignored.is_empty() {
        let n = m.ignored.len();
        let _ = writeln!(out, "\n### Ignored ({n})\n");
        out.push_str("| ID | Package | Reason | Owner | Expires | By |\n| --- | --- | --- | --- | --- | --- |\n");
        for i in m.ignored.iter().take(cap) {
            let s = &i.suppressed_by;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&i.finding.id),
                code(&i.finding.package.name),
                md_cell(&s.reason, 2 * CELL_CHARS),
                code(s.owner.as_deref().unwrap_or("")),
                cell(s.expires.as_deref().unwrap_or("")),
                cell(&format!("{} ({})", s.kind, s.at))
            );
        }
        more(&mut out, n.saturating_sub(cap));
    }
    entries(
        &mut out,
        "Expired ignore entries",
        "they hide nothing now; renew or remove them",
        &m.ignores.expired,
        cap,
    );
    entries(
        &mut out,
        "Unused ignore entries",
        "they match no finding; remove them",
        &m.ignores.unused,
        cap,
    );

    if let Some(gone) = &m.fixed {
        let (new, unchanged) = baseline_counts(m);
        let _ = writeln!(
            out,
            "\n### Since the baseline\n\n{new} new, {unchanged} unchanged, {} fixed.",
            gone.len()
        );
        if !gone.is_empty() {
            out.push_str("\n| Severity | ID | Package | Installed | Target |\n| --- | --- | --- | --- | --- |\n");
            for f in gone.iter().take(cap) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    label(f.severity),
                    cell(&f.id),
                    code(&f.package.name),
                    cell(&f.installed.join(", ")),
                    cell(&f.target.name)
                );
            }
            more(&mut out, gone.len().saturating_sub(cap));
        }
    }
    out
}

/// `3 reports (trivy 0.59.1, grype 0.87.0, snyk)`.
fn inputs(m: &Merged) -> String {
    let mut scanners: Vec<String> = Vec::new();
    for i in &m.inputs {
        let Some(s) = &i.scanner else { continue };
        let name = match i.version.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{s} {v}"),
            None => s.to_string(),
        };
        if !scanners.contains(&name) {
            scanners.push(name);
        }
    }
    let n = m.inputs.len();
    let s = if n == 1 { "" } else { "s" };
    if scanners.is_empty() {
        format!("{n} report{s}")
    } else {
        format!("{n} report{s} ({})", md_cell(&scanners.join(", "), 2 * CELL_CHARS))
    }
}

/// The id, linked to its first advisory when that is a plain web URL.
fn linked_id(f: &Finding) -> String {
    match f
        .urls
        .first()
        .filter(|u| super::sarif::is_web_url(u) && !u.contains(['(', ')', '[', ']']))
    {
        Some(u) => format!("[{}]({u})", cell(&f.id)),
        None => cell(&f.id),
    }
}

fn fixed(f: &Finding) -> String {
    if !f.fixed.is_empty() {
        f.fixed.join(", ")
    } else if f.fixable {
        "(a fix exists)".to_string()
    } else {
        "no fix yet".to_string()
    }
}

fn more(out: &mut String, n: usize) {
    if n > 0 {
        let _ = writeln!(out, "\n… and {n} more (the full list is in -o json)");
    }
}

/// A table of ignore entries, under a bold title.
fn entries(out: &mut String, title: &str, why: &str, list: &[EntryReport], cap: usize) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n**{title} ({})** — {why}:\n", list.len());
    out.push_str("| ID | Package | Target | Reason | Owner | Expires | At |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for e in list.iter().take(cap) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&e.id),
            code(e.package.as_deref().unwrap_or("")),
            cell(e.target.as_deref().unwrap_or("")),
            md_cell(&e.reason, 2 * CELL_CHARS),
            code(e.owner.as_deref().unwrap_or("")),
            cell(e.expires.as_deref().unwrap_or("")),
            cell(&e.at)
        );
    }
    more(out, list.len().saturating_sub(cap));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ignore::Suppression;
    use crate::report::Ignored;
    use crate::report::sarif::fixture::{empty, finding, gate, merged, sample};

    #[test]
    fn the_sample_as_a_whole() {
        assert_eq!(render(&sample()), SAMPLE);
    }

    #[test]
    fn nothing_found_says_so() {
        assert_eq!(
            render(&empty()),
            "## Vulnerability scan: no gate\n\nNo findings after merging 1 report (trivy 0.59.1).\n"
        );
        let mut m = empty();
        m.gate = gate(Some(Severity::Critical), &[]);
        m.inputs.clear();
        assert_eq!(
            render(&m),
            "## ✅ Gate passed: no finding at or above critical\n\nNo findings after merging 0 reports.\n"
        );
    }

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(cell("a|b <script>\r\nc\nd"), "a\\|b &lt;script&gt; c d");
        assert_eq!(cell(&"é".repeat(100)), format!("{}…", "é".repeat(79)));
        assert_eq!(code("@scope/a|b"), "`@scope/a\\|b`");
        assert_eq!(cell("*x* [y](z) & `w`"), "\\*x\\* \\[y\\](z) &amp; \\`w\\`");
        assert_eq!(code("a`b"), "``a`b``");
        // A run of two backticks inside needs a fence of three.
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code(" "), "");
    }

    #[test]
    fn verdicts_name_the_level_and_the_scope() {
        let mut g = gate(Some(Severity::High), &[]);
        assert_eq!(verdict(&g), "gate passed: no finding at or above high");
        g.fixable_only = true;
        g.require_consensus = 2;
        g.only_new = true;
        g.failing = 1;
        g.passed = false;
        assert_eq!(
            verdict(&g),
            "gate failed: 1 finding at or above high (fixable, reported by at least 2 scanners, new since the baseline)"
        );
        assert_eq!(verdict(&gate(None, &[])), "no gate");
    }

    #[test]
    fn the_top_25_findings_are_listed_and_the_rest_counted() {
        let findings: Vec<_> = (0..30)
            .map(|i| finding(&format!("CVE-2024-{i:04}"), "p", "1", Severity::High, "app"))
            .collect();
        let text = render(&merged(findings, gate(None, &[])));
        assert!(text.contains("### Top 25 findings\n"), "{text}");
        assert!(text.contains("| High | CVE-2024-0024 | `p` | 1 | no fix yet | app | trivy |\n"));
        assert!(!text.contains("CVE-2024-0025"));
        assert!(text.ends_with("\n… and 5 more (the full list is in -o json)\n"), "{text}");
    }

    #[test]
    fn long_lists_are_cut_to_fit_a_comment() {
        let mut m = empty();
        m.ignored = (0..3000)
            .map(|i| Ignored {
                finding: finding(&format!("CVE-2024-{i:05}"), "p", "1", Severity::Low, "app"),
                suppressed_by: Suppression {
                    kind: "ignore",
                    id: "x".into(),
                    reason: "r".repeat(500),
                    owner: None,
                    expires: None,
                    at: "i.yaml:1".into(),
                },
            })
            .collect();
        let text = render(&m);
        assert!(text.len() < LIMIT);
        assert!(text.contains("### Ignored (3000)\n"));
        // 100 rows of about 200 characters fit.
        assert!(text.contains("CVE-2024-00099") && !text.contains("CVE-2024-00100"));
        assert!(text.ends_with("\n… and 2900 more (the full list is in -o json)\n"), "{text}");

        // Three lists of longer rows do not: each is cut to 50 rows.
        m.ignored = (0..3000)
            .map(|i| Ignored {
                finding: finding(&format!("CVE-2024-{i:05}"), "p", "1", Severity::Low, "app"),
                suppressed_by: Suppression {
                    kind: "ignore",
                    id: "x".into(),
                    reason: "r".repeat(500),
                    owner: Some("o".repeat(100)),
                    expires: None,
                    at: "a".repeat(100),
                },
            })
            .collect();
        let entry = |i: usize| EntryReport {
            id: format!("CVE-2023-{i:05}"),
            package: None,
            target: None,
            reason: "r".repeat(500),
            owner: Some("o".repeat(100)),
            expires: None,
            at: "a".repeat(100),
            matches: 0,
        };
        m.ignores.expired = (0..3000).map(entry).collect();
        m.ignores.unused = (0..3000).map(entry).collect();
        let text = render(&m);
        assert!(text.len() < LIMIT);
        assert!(text.contains("CVE-2024-00049") && !text.contains("CVE-2024-00050"));
        assert!(text.contains("| CVE-2023-00049 |") && !text.contains("CVE-2023-00050"));
        assert_eq!(text.matches("\n… and 2950 more (the full list is in -o json)\n").count(), 3);
    }

    const SAMPLE: &str = r#"## ❌ Gate failed: 2 findings at or above high

**4 findings** after merging 5 reports (trivy 0.59.1, snyk, npm, grype 0.87.0, osv 1.9.2).

| Severity | Count |
| --- | ---: |
| Critical | 1 |
| High | 1 |
| Medium | 1 |
| Low | 0 |
| Unknown | 1 |

**By source:** grype 1, npm 1, osv 1, snyk 2, trivy 1

### Findings

| Severity | ID | Package | Installed | Fixed in | Target | Found by |
| --- | --- | --- | --- | --- | --- | --- |
| Critical | [CVE-2021-44228](https://avd.aquasec.com/nvd/cve-2021-44228) | `org.apache.logging.log4j:log4j-core` | 2.14.1 | 2.15.0 | acme/app | trivy, snyk |
| High | [CVE-2022-25883](https://github.com/advisories/GHSA-c2qf-rxjj-qqgw) | `semver` | 7.3.7 | 7.5.2 | package-lock.json | snyk, npm |
| Medium | CVE-2021-44228 | `org.apache.logging.log4j:log4j-core` | 2.14.1 | (a fix exists) | acme/worker | grype |
| Unknown | OSV-2024-1 | `@acme/left-pad` | 1.0.0 | no fix yet | web/package-lock.json | osv |

<details><summary>Severity disagreements (1)</summary>

| ID | Package | Target | Ratings | Chosen |
| --- | --- | --- | --- | --- |
| CVE-2021-44228 | `org.apache.logging.log4j:log4j-core` | acme/app | trivy: critical, snyk: high | critical |

</details>

### Ignored (2)

| ID | Package | Reason | Owner | Expires | By |
| --- | --- | --- | --- | --- | --- |
| CVE-2022-3219 | `gnupg` | not reachable \| we never &lt;verify&gt; signatures | `@acme/platform` | 2027-01-31 | ignore (.vz-ignore.yaml:3) |
| CVE-2023-0286 | `libssl3` | not_affected: vulnerable_code_not_in_execute_path |  |  | vex (vex.json:1) |

**Expired ignore entries (1)** — they hide nothing now; renew or remove them:

| ID | Package | Target | Reason | Owner | Expires | At |
| --- | --- | --- | --- | --- | --- | --- |
| CVE-2020-8911 | `github.com/aws/aws-sdk-go` |  | no fix upstream |  | 2024-01-31 | .vz-ignore.yaml:9 |

**Unused ignore entries (1)** — they match no finding; remove them:

| ID | Package | Target | Reason | Owner | Expires | At |
| --- | --- | --- | --- | --- | --- | --- |
| CVE-2019-10744 |  | acme/app | old | `alice` |  | .vz-ignore.yaml:15 |

### Since the baseline

2 new, 2 unchanged, 1 fixed.

| Severity | ID | Package | Installed | Target |
| --- | --- | --- | --- | --- |
| High | CVE-2022-24999 | `qs` | 6.5.2 | package-lock.json |
"#;
}
