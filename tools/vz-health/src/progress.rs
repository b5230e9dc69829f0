//! Live progress on standard error while `--wait` or `--watch` runs, shown
//! only when standard error is a terminal (standard output stays data):
//! under `--wait`, one line per pending check with its last result and when
//! it is tried next; under `--watch`, one line per check with its counters
//! after the last round.

use crate::check::Check;
use crate::probe::{Attempt, Status};
use crate::runner::Observer;
use crate::watch::Round;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// The progress display (a no-op when hidden).
pub struct Progress {
    multi: Option<MultiProgress>,
    bars: Vec<ProgressBar>,
    watching: bool,
}

impl Progress {
    /// A display for `checks`, drawn only when `show`; `watching` for
    /// `--watch` rounds.
    pub fn new(checks: &[Check], show: bool, watching: bool) -> Self {
        if !show {
            return Progress { multi: None, bars: Vec::new(), watching };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = checks
            .iter()
            .map(|c| {
                let b = multi.add(ProgressBar::new_spinner().with_style(style.clone()));
                b.set_prefix(c.name.clone());
                b.set_message("starting");
                b.enable_steady_tick(Duration::from_millis(250));
                b
            })
            .collect();
        Progress { multi: Some(multi), bars, watching }
    }

    /// Shows each check's counters after a `--watch` round.
    pub fn round(&self, round: &Round<'_>) {
        for ((bar, a), t) in self.bars.iter().zip(round.attempts).zip(round.tallies) {
            bar.set_message(format!(
                "round {}: {}; {} failed, {} in a row, {} errors",
                round.number,
                a.reason.as_deref().unwrap_or(a.status.as_str()),
                t.failures,
                t.consecutive_failures,
                t.errors
            ));
        }
    }

    /// Removes every line.
    pub fn clear(&self) {
        for b in &self.bars {
            b.finish_and_clear();
        }
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

impl Observer for Progress {
    fn attempted(&self, index: usize, attempt: u32, result: &Attempt, next: Option<Duration>) {
        if self.watching {
            return;
        }
        let Some(bar) = self.bars.get(index) else { return };
        let what = match result.status {
            Status::Pass => "pass".to_string(),
            _ => result.reason.clone().unwrap_or_else(|| result.status.as_str().to_string()),
        };
        match next {
            Some(pause) => bar.set_message(format!(
                "attempt {attempt}: {what}; next in {}",
                vz::duration::format(pause)
            )),
            // Settled: only pending checks keep a line.
            None => bar.finish_and_clear(),
        }
    }
}
