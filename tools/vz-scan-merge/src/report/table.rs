//! The terminal table: one aligned row per finding (long cells cut with `…`,
//! widths counted in characters), the severity coloured when asked, then a
//! one-line summary with the counts, the ignored findings and the gate.

use super::Merged;
use super::markdown::{baseline_counts, verdict};
use crate::merge::Finding;
use crate::model::Severity;
use std::fmt::Write as _;
use vz::text::{cut, one_line};

const HEADERS: [&str; 7] = ["SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED", "TARGET", "SOURCES"];

/// The widest each column may be, in characters.
const MAX_WIDTHS: [usize; 7] = [8, 36, 32, 20, 20, 32, 24];

/// Renders `m` as a table; `color` adds ANSI colours.
pub fn render(m: &Merged, color: bool) -> String {
    let mut out = String::new();
    if m.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let rows: Vec<[String; 7]> = m.findings.iter().map(row).collect();
        let mut widths = HEADERS.map(|h| h.chars().count());
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        line(&mut out, &HEADERS.map(str::to_string), &widths, None);
        for (r, f) in rows.iter().zip(&m.findings) {
            line(&mut out, r, &widths, color.then_some(f.severity));
        }
        out.push('\n');
    }
    out.push_str(&summary(m));
    out.push('\n');
    out
}

/// The cells of a finding, already cut to their column's width.
fn row(f: &Finding) -> [String; 7] {
    let fixed = if !f.fixed.is_empty() {
        f.fixed.join(", ")
    } else if f.fixable {
        "(fix exists)".to_string()
    } else {
        "-".to_string()
    };
    let sources: Vec<&str> = f.sources.iter().map(|s| s.name()).collect();
    let cells = [
        f.severity.name().to_string(),
        f.id.clone(),
        f.package.name.clone(),
        f.installed.join(", "),
        fixed,
        f.target.name.clone(),
        sources.join(","),
    ];
    let mut i = 0;
    cells.map(|c| {
        let max = MAX_WIDTHS[i];
        i += 1;
        cut(&one_line(&c), max).into_owned()
    })
}

/// One aligned line; the first cell coloured by `severity` when given.
fn line(out: &mut String, cells: &[String; 7], widths: &[usize; 7], severity: Option<Severity>) {
    let mut text = String::new();
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            text.push_str("  ");
        }
        let pad = w.saturating_sub(c.chars().count());
        match (i, severity) {
            (0, Some(s)) => text.push_str(&paint(s, c)),
            _ => text.push_str(c),
        }
        if i + 1 < cells.len() {
            text.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push_str(text.trim_end());
    out.push('\n');
}

/// `text` in the colour of `s`: critical and high red, medium yellow, low
/// and unknown dim.
fn paint(s: Severity, text: &str) -> String {
    let plain = owo_colors::Style::new();
    let style = match s {
        Severity::Critical => plain.red().bold(),
        Severity::High => plain.red(),
        Severity::Medium => plain.yellow(),
        Severity::Low | Severity::Unknown => plain.dimmed(),
    };
    style.style(text).to_string()
}

/// `4 findings (1 critical, …); 2 ignored; gate failed: …`.
fn summary(m: &Merged) -> String {
    let c = &m.counts;
    let n = |s: Severity| c.by_severity.get(&s).copied().unwrap_or(0);
    let mut s = format!(
        "{} finding{} ({} critical, {} high, {} medium, {} low, {} unknown); {} ignored",
        c.total,
        if c.total == 1 { "" } else { "s" },
        n(Severity::Critical),
        n(Severity::High),
        n(Severity::Medium),
        n(Severity::Low),
        n(Severity::Unknown),
        m.ignored.len()
    );
    if let Some(fixed) = &m.fixed {
        let (new, unchanged) = baseline_counts(m);
        let _ = write!(s, "; baseline: {new} new, {unchanged} unchanged, {} fixed", fixed.len());
    }
    let _ = write!(s, "; {}", verdict(&m.gate));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sarif::fixture::{empty, finding, gate, merged, sample};

    #[test]
    fn the_sample_as_a_whole() {
        assert_eq!(render(&sample(), false), SAMPLE);
    }

    #[test]
    fn severities_are_coloured_and_nothing_else_changes() {
        let coloured = render(&sample(), true);
        let lines: Vec<&str> = coloured.lines().collect();
        assert_eq!(
            lines[1],
            "\u{1b}[31;1mcritical\u{1b}[0m  CVE-2021-44228  org.apache.logging.log4j:log4j-…  2.14.1     2.15.0        acme/app               trivy,snyk"
        );
        assert!(lines[2].starts_with("\u{1b}[31mhigh\u{1b}[0m      CVE-2022-25883"));
        assert!(lines[3].starts_with("\u{1b}[33mmedium\u{1b}[0m    CVE-2021-44228"));
        assert!(lines[4].starts_with("\u{1b}[2munknown\u{1b}[0m   OSV-2024-1"));
        let stripped = coloured
            .replace("\u{1b}[31;1m", "")
            .replace("\u{1b}[31m", "")
            .replace("\u{1b}[33m", "")
            .replace("\u{1b}[2m", "")
            .replace("\u{1b}[0m", "");
        assert_eq!(stripped, SAMPLE);
    }

    #[test]
    fn nothing_found_says_so() {
        assert_eq!(
            render(&empty(), true),
            "No findings.\n0 findings (0 critical, 0 high, 0 medium, 0 low, 0 unknown); 0 ignored; no gate\n"
        );
    }

    #[test]
    fn long_cells_are_cut_by_characters_and_columns_stay_aligned() {
        let mut f = finding("CVE-2024-1", &"ü".repeat(40), "1.0", Severity::Low, "app");
        f.fixed = vec!["2.0".into()];
        let g = finding("CVE-2024-2", "p\nq", "1.0", Severity::Low, "app");
        let findings = vec![f, g];
        let m = merged(findings.clone(), gate(Some(Severity::Low), &findings));
        assert_eq!(
            render(&m, false),
            format!(
                "SEVERITY  ID          PACKAGE{pad}  INSTALLED  FIXED  TARGET  SOURCES\n\
                 low       CVE-2024-1  {}…  1.0        2.0    app     trivy\n\
                 low       CVE-2024-2  p q{}  1.0        -      app     trivy\n\
                 \n\
                 2 findings (0 critical, 0 high, 0 medium, 2 low, 0 unknown); 0 ignored; gate failed: 2 findings at or \
                 above low\n",
                "ü".repeat(31),
                " ".repeat(29),
                pad = " ".repeat(25)
            )
        );
    }

    const SAMPLE: &str = "SEVERITY  ID              PACKAGE                           INSTALLED  FIXED         TARGET                 SOURCES\n\
critical  CVE-2021-44228  org.apache.logging.log4j:log4j-…  2.14.1     2.15.0        acme/app               trivy,snyk\n\
high      CVE-2022-25883  semver                            7.3.7      7.5.2         package-lock.json      snyk,npm\n\
medium    CVE-2021-44228  org.apache.logging.log4j:log4j-…  2.14.1     (fix exists)  acme/worker            grype\n\
unknown   OSV-2024-1      @acme/left-pad                    1.0.0      -             web/package-lock.json  osv\n\
\n\
4 findings (1 critical, 1 high, 1 medium, 0 low, 1 unknown); 2 ignored; baseline: 2 new, 2 unchanged, 1 fixed; gate failed: 2 findings at or above high\n\
";
}
