//! Results as JSON, a table or JUnit XML, and the per-round JSON lines of
//! `--watch`. Everything here is built from [`Report`], so the three formats
//! say the same thing.

use crate::check::{Check, Probe};
use crate::probe::{Attempt, Status};
use crate::runner::Settled;
use crate::watch::{self, Tally};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::time::Duration;
use vz::text::{xml_attr, xml_text};

/// The whole result of a run.
#[derive(Serialize, Debug)]
pub struct Report {
    /// The worst status of any check.
    pub status: Status,
    /// Counts per status.
    pub summary: Summary,
    /// When the run started (RFC 3339).
    pub started: String,
    /// When it ended.
    pub finished: String,
    /// How long it took.
    pub elapsed_ms: u64,
    /// The watch, when it was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchSummary>,
    /// One entry per check, in the order given.
    pub checks: Vec<Row>,
}

/// Counts per status.
#[derive(Serialize, Debug, Default)]
pub struct Summary {
    /// Checks run.
    pub total: usize,
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Inconclusive.
    pub inconclusive: usize,
    /// Could not be measured.
    pub error: usize,
}

/// What a watch did.
#[derive(Serialize, Debug)]
pub struct WatchSummary {
    /// The period asked for.
    pub duration: String,
    /// The pace.
    pub every: String,
    /// Rounds run.
    pub rounds: u32,
    /// The budget ended it early.
    pub stopped_early: bool,
}

/// One check's result.
#[derive(Serialize, Debug)]
pub struct Row {
    /// Its name.
    pub name: String,
    /// `http`, `tcp`, `prometheus`, `exec`.
    pub kind: &'static str,
    /// What it points at (credentials hidden).
    pub target: String,
    /// Its verdict.
    pub status: Status,
    /// Attempts made (rounds, under `--watch`).
    pub attempts: u32,
    /// The last attempt's latency (the mean, under `--watch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The condition that did not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The value it saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Value>,
    /// TLS verification was off.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// A command's output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Counters over a watch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    /// When its first attempt started.
    pub started: String,
    /// When its last attempt ended.
    pub finished: String,
}

/// A check's counters over a watch.
#[derive(Serialize, Debug)]
pub struct Counts {
    /// Passed rounds.
    pub pass: u32,
    /// Failed rounds.
    pub fail: u32,
    /// Rounds that could not measure.
    pub error: u32,
    /// Rounds with no data.
    pub inconclusive: u32,
    /// The longest run of failures.
    pub max_consecutive_failures: u32,
    /// The longest run of errors.
    pub max_consecutive_errors: u32,
    /// The slowest round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_max_ms: Option<f64>,
    /// Why the budget was spent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_spent: Option<String>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn stamp(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Millisecond).map(|t| t.to_string()).unwrap_or_else(|_| t.to_string())
}

fn insecure(check: &Check) -> bool {
    match &check.probe {
        Probe::Http(h) => h.insecure,
        Probe::Prometheus(p) => p.insecure,
        _ => false,
    }
}

fn row(check: &Check, last: &Attempt, attempts: u32, started: String, finished: String) -> Row {
    let passed = last.status == Status::Pass;
    Row {
        name: check.name.clone(),
        kind: check.kind(),
        target: check.target(),
        status: last.status,
        attempts,
        latency_ms: last.latency.map(ms),
        reason: if passed { None } else { last.reason.clone() },
        condition: if passed { None } else { last.condition.clone() },
        observed: if passed { None } else { last.observed.clone() },
        insecure: insecure(check),
        output: last.output.clone(),
        counts: None,
        started,
        finished,
    }
}

impl Report {
    /// The report of a once or `--wait` run.
    pub fn settled(
        checks: &[Check],
        results: &[Settled],
        started: jiff::Timestamp,
        finished: jiff::Timestamp,
    ) -> Report {
        let rows = checks
            .iter()
            .zip(results)
            .map(|(c, r)| row(c, &r.last, r.attempts, stamp(r.started), stamp(r.finished)))
            .collect();
        Report::new(rows, started, finished, None)
    }

    /// The report of a `--watch`.
    pub fn watched(checks: &[Check], w: &watch::Finished, plan: &watch::Plan) -> Report {
        let rows = checks
            .iter()
            .zip(&w.tallies)
            .map(|(c, t)| watched_row(c, t, stamp(w.started), stamp(w.finished)))
            .collect();
        let summary = WatchSummary {
            duration: vz::duration::format(plan.duration),
            every: vz::duration::format(plan.every),
            rounds: w.rounds,
            stopped_early: w.stopped_early,
        };
        Report::new(rows, w.started, w.finished, Some(summary))
    }

    fn new(
        checks: Vec<Row>,
        started: jiff::Timestamp,
        finished: jiff::Timestamp,
        watch: Option<WatchSummary>,
    ) -> Report {
        let mut summary = Summary { total: checks.len(), ..Summary::default() };
        for r in &checks {
            match r.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Inconclusive => summary.inconclusive += 1,
                Status::Error => summary.error += 1,
            }
        }
        let status = checks.iter().map(|r| r.status).max().unwrap_or(Status::Pass);
        let elapsed = finished.duration_since(started).unsigned_abs();
        Report {
            status,
            summary,
            started: stamp(started),
            finished: stamp(finished),
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            watch,
            checks,
        }
    }

    /// Pretty JSON, one trailing newline.
    pub fn json(&self) -> String {
        vz::output::pretty_json(self)
    }

    /// One line of JSON (the last line of a `--watch` stream).
    pub fn json_line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// An aligned table for people, coloured when `color`.
    pub fn table(&self, color: bool) -> String {
        let styles = vz::color::Styles::new(color);
        let head = ["STATUS", "NAME", "KIND", "TRIES", "LATENCY", "DETAIL"];
        let cells: Vec<[String; 6]> = self
            .checks
            .iter()
            .map(|r| {
                let detail = match (&r.reason, &r.counts) {
                    (_, Some(c)) if c.budget_spent.is_some() => {
                        c.budget_spent.clone().unwrap_or_default()
                    }
                    (Some(reason), _) => reason.clone(),
                    (None, _) => r.target.clone(),
                };
                [
                    r.status.as_str().to_uppercase(),
                    r.name.clone(),
                    r.kind.to_string(),
                    r.attempts.to_string(),
                    r.latency_ms.map(|l| format!("{l}ms")).unwrap_or_else(|| "-".into()),
                    detail,
                ]
            })
            .collect();
        let mut widths = head.map(str::len);
        for c in &cells {
            for (w, cell) in widths.iter_mut().zip(c) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: [&str; 6], status: Option<Status>| {
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = w.saturating_sub(cell.chars().count());
                let text = match (i, status) {
                    (0, Some(Status::Pass)) => styles.ok.style(cell).to_string(),
                    (0, Some(Status::Fail | Status::Error)) => styles.error.style(cell).to_string(),
                    (0, Some(Status::Inconclusive)) => styles.warn.style(cell).to_string(),
                    _ => (*cell).to_string(),
                };
                out.push_str(&text);
                if i + 1 < cells.len() {
                    out.push_str(&" ".repeat(pad + 2));
                }
            }
            out.push('\n');
        };
        line(&mut out, head, None);
        for (c, r) in cells.iter().zip(&self.checks) {
            line(&mut out, [&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]], Some(r.status));
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} of {} passed{}{}{} in {}",
            s.pass,
            s.total,
            if s.fail > 0 { format!(", {} failed", s.fail) } else { String::new() },
            match s.error {
                0 => String::new(),
                1 => ", 1 error".to_string(),
                n => format!(", {n} errors"),
            },
            if s.inconclusive > 0 {
                format!(", {} inconclusive", s.inconclusive)
            } else {
                String::new()
            },
            elapsed(self.elapsed_ms),
        );
        out
    }

    /// JUnit XML: one testcase per check; a failure's message is why.
    pub fn junit(&self) -> String {
        let s = &self.summary;
        let secs = self.elapsed_ms as f64 / 1000.0;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"vz-health\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{secs:.3}\">",
            s.total,
            s.fail + s.inconclusive,
            s.error
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"vz-health\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{secs:.3}\" timestamp=\"{}\">",
            s.total,
            s.fail + s.inconclusive,
            s.error,
            xml_attr(&self.started)
        );
        for r in &self.checks {
            let time = r.latency_ms.unwrap_or(0.0) / 1000.0;
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"vz-health.{}\" time=\"{time:.3}\"",
                xml_attr(&r.name),
                r.kind
            );
            let mut details = format!("target: {}\nattempts: {}", r.target, r.attempts);
            if let Some(c) = &r.condition {
                let _ = write!(details, "\ncondition: {c}");
            }
            if let Some(o) = &r.observed {
                let _ = write!(details, "\nobserved: {o}");
            }
            if let Some(b) = r.counts.as_ref().and_then(|c| c.budget_spent.as_ref()) {
                let _ = write!(details, "\nbudget: {b}");
            }
            let message = r.reason.clone().unwrap_or_default();
            let element = match r.status {
                Status::Pass => None,
                Status::Fail => Some(("failure", "fail")),
                Status::Inconclusive => Some(("failure", "inconclusive")),
                Status::Error => Some(("error", "error")),
            };
            if element.is_none() && r.output.is_none() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if let Some((tag, kind)) = element {
                let _ = writeln!(
                    out,
                    "      <{tag} message=\"{}\" type=\"{kind}\">{}</{tag}>",
                    xml_attr(&message),
                    xml_text(&details)
                );
            }
            if let Some(o) = &r.output {
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml_text(o));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// `0.4s`, `12.0s`, `3m5s`: short for people.
fn elapsed(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        vz::duration::format(Duration::from_secs(ms / 1000))
    }
}

fn watched_row(check: &Check, t: &Tally, started: String, finished: String) -> Row {
    let status = t.status();
    let shown = match status {
        Status::Pass => t.last.clone(),
        _ => t.last_problem.clone().or_else(|| t.last.clone()),
    }
    .unwrap_or_else(|| Attempt::error("no round ran"));
    let (n, sum, _, max) = t.latency;
    let mut r = row(check, &Attempt { status, ..shown }, t.rounds, started, finished);
    r.latency_ms = (n > 0).then(|| ms(Duration::from_secs_f64(sum / f64::from(n))));
    r.counts = Some(Counts {
        pass: t.passes,
        fail: t.failures,
        error: t.errors,
        inconclusive: t.inconclusive,
        max_consecutive_failures: t.max_consecutive_failures,
        max_consecutive_errors: t.max_consecutive_errors,
        latency_max_ms: (n > 0).then(|| ms(Duration::from_secs_f64(max))),
        budget_spent: t.spent.as_ref().map(|s| s.reason.clone()),
    });
    r
}

/// One `--watch` round as a JSON line.
pub fn round_line(checks: &[Check], round: &watch::Round<'_>) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        round: u32,
        at: String,
        status: Status,
        checks: Vec<RoundCheck<'a>>,
    }
    #[derive(Serialize)]
    struct RoundCheck<'a> {
        name: &'a str,
        status: Status,
        #[serde(skip_serializing_if = "Option::is_none")]
        latency_ms: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
        failures: u32,
        consecutive_failures: u32,
        errors: u32,
    }
    let line = Line {
        round: round.number,
        at: stamp(round.at),
        status: round.attempts.iter().map(|a| a.status).max().unwrap_or(Status::Pass),
        checks: checks
            .iter()
            .zip(round.attempts)
            .zip(round.tallies)
            .map(|((c, a), t)| RoundCheck {
                name: &c.name,
                status: a.status,
                latency_ms: a.latency.map(ms),
                reason: a.reason.as_deref(),
                failures: t.failures,
                consecutive_failures: t.consecutive_failures,
                errors: t.errors,
            })
            .collect(),
    };
    let mut s = serde_json::to_string(&line).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, status: Status, reason: Option<&str>, output: Option<&str>) -> Row {
        Row {
            name: name.into(),
            kind: "exec",
            target: "sh -c 'x'".into(),
            status,
            attempts: 2,
            latency_ms: Some(1500.0),
            reason: reason.map(Into::into),
            condition: reason.map(|_| "exit == 0".into()),
            observed: reason.map(|_| Value::from("a\tb")),
            insecure: false,
            output: output.map(Into::into),
            counts: None,
            started: "2025-01-01T00:00:00Z".into(),
            finished: "2025-01-01T00:00:01.5Z".into(),
        }
    }

    #[test]
    fn junit_escapes_attributes_and_keeps_lines_in_text() {
        let report = Report {
            status: Status::Fail,
            summary: Summary { total: 2, pass: 1, fail: 1, ..Summary::default() },
            started: "2025-01-01T00:00:00Z".into(),
            finished: "2025-01-01T00:00:01.5Z".into(),
            elapsed_ms: 1500,
            watch: None,
            checks: vec![
                row("ok <&>", Status::Pass, None, None),
                row(
                    "db \"main\"",
                    Status::Fail,
                    Some("exit 1\nstderr: <no such table>"),
                    Some("a\r\nb\u{1}"),
                ),
            ],
        };
        assert_eq!(
            report.junit(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"vz-health\" tests=\"2\" failures=\"1\" errors=\"0\" time=\"1.500\">\n\
             \x20 <testsuite name=\"vz-health\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.500\" timestamp=\"2025-01-01T00:00:00Z\">\n\
             \x20   <testcase name=\"ok &lt;&amp;&gt;\" classname=\"vz-health.exec\" time=\"1.500\"/>\n\
             \x20   <testcase name=\"db &quot;main&quot;\" classname=\"vz-health.exec\" time=\"1.500\">\n\
             \x20     <failure message=\"exit 1&#10;stderr: &lt;no such table&gt;\" type=\"fail\">target: sh -c 'x'\n\
             attempts: 2\n\
             condition: exit == 0\n\
             observed: \"a\\tb\"</failure>\n\
             \x20     <system-out>a&#13;\nb</system-out>\n\
             \x20   </testcase>\n\
             \x20 </testsuite>\n\
             </testsuites>\n"
        );
    }
}
