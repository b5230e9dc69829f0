//! `--watch`: every check once per round, for a period, against a failure
//! budget. Three counters stay distinct (as Argo's analysis keeps them):
//! failures (the target answered wrongly), consecutive failures, and errors
//! (it could not be measured). Memory does not grow with the rounds: each
//! check keeps counters and latency sums, not a history.

use crate::check::Check;
use crate::probe::{Attempt, Status};
use crate::runner::{self, Observer, Options};
use std::time::{Duration, Instant};

/// The period, the pace and the budget.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// How long to watch.
    pub duration: Duration,
    /// The time between round starts.
    pub every: Duration,
    /// Failures tolerated per check over the whole watch (`--max-failures`).
    pub max_failures: u32,
    /// Failures in a row that end the watch (`--consecutive`).
    pub consecutive: Option<u32>,
    /// Errors in a row tolerated per check (`--max-errors`).
    pub max_errors: u32,
}

/// What one check did over the watch.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Rounds run.
    pub rounds: u32,
    /// Rounds passed.
    pub passes: u32,
    /// Rounds failed.
    pub failures: u32,
    /// Rounds that could not measure.
    pub errors: u32,
    /// Rounds with no data to decide on.
    pub inconclusive: u32,
    /// The current run of failures.
    pub consecutive_failures: u32,
    /// The longest run of failures.
    pub max_consecutive_failures: u32,
    /// The current run of errors.
    pub consecutive_errors: u32,
    /// The longest run of errors.
    pub max_consecutive_errors: u32,
    /// The last attempt that did not pass.
    pub last_problem: Option<Attempt>,
    /// The last attempt.
    pub last: Option<Attempt>,
    /// Latency: count, sum, min and max, in seconds.
    pub latency: (u32, f64, f64, f64),
    /// Why this check spent the budget, if it did.
    pub spent: Option<Spent>,
}

/// A spent budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spent {
    /// Whether errors (not failures) spent it.
    pub by_errors: bool,
    /// In words: `failed 3 times (--max-failures 2)`.
    pub reason: String,
}

impl Tally {
    /// Counts one round's attempt and checks the budget.
    pub fn add(&mut self, a: &Attempt, plan: &Plan) {
        self.rounds += 1;
        match a.status {
            Status::Pass => self.passes += 1,
            Status::Fail => self.failures += 1,
            Status::Error => self.errors += 1,
            Status::Inconclusive => self.inconclusive += 1,
        }
        self.consecutive_failures =
            if a.status == Status::Fail { self.consecutive_failures + 1 } else { 0 };
        self.consecutive_errors =
            if a.status == Status::Error { self.consecutive_errors + 1 } else { 0 };
        self.max_consecutive_failures =
            self.max_consecutive_failures.max(self.consecutive_failures);
        self.max_consecutive_errors = self.max_consecutive_errors.max(self.consecutive_errors);
        if let Some(l) = a.latency {
            let s = l.as_secs_f64();
            let (n, sum, min, max) = self.latency;
            self.latency = (
                n + 1,
                sum + s,
                if n == 0 { s } else { min.min(s) },
                if n == 0 { s } else { max.max(s) },
            );
        }
        if a.status != Status::Pass {
            self.last_problem = Some(a.clone());
        }
        self.last = Some(a.clone());
        if self.spent.is_none() {
            self.spent = self.budget(plan);
        }
    }

    fn budget(&self, plan: &Plan) -> Option<Spent> {
        if self.failures > plan.max_failures {
            return Some(Spent {
                by_errors: false,
                reason: format!(
                    "failed {} times (--max-failures {})",
                    self.failures, plan.max_failures
                ),
            });
        }
        if let Some(n) = plan.consecutive
            && self.consecutive_failures >= n
        {
            return Some(Spent {
                by_errors: false,
                reason: format!(
                    "failed {} rounds in a row (--consecutive {n})",
                    self.consecutive_failures
                ),
            });
        }
        if self.consecutive_errors > plan.max_errors {
            return Some(Spent {
                by_errors: true,
                reason: format!(
                    "could not be measured {} rounds in a row (--max-errors {})",
                    self.consecutive_errors, plan.max_errors
                ),
            });
        }
        None
    }

    /// The check's verdict over the watch: the budget decides; a check with
    /// no pass has no evidence of health (inconclusive or error, never pass).
    pub fn status(&self) -> Status {
        match &self.spent {
            Some(s) if s.by_errors => Status::Error,
            Some(_) => Status::Fail,
            None if self.passes > 0 => Status::Pass,
            None if self.failures > 0 => Status::Fail,
            None if self.inconclusive > 0 => Status::Inconclusive,
            None => Status::Error,
        }
    }
}

/// One round, as it is reported.
pub struct Round<'a> {
    /// 1-based.
    pub number: u32,
    /// When it started.
    pub at: jiff::Timestamp,
    /// Each check's attempt, in the order of the checks.
    pub attempts: &'a [Attempt],
    /// The tallies after the round.
    pub tallies: &'a [Tally],
}

/// How a watch ended.
pub struct Finished {
    /// Each check's tally.
    pub tallies: Vec<Tally>,
    /// Rounds run.
    pub rounds: u32,
    /// Whether the budget ended it before the period.
    pub stopped_early: bool,
    /// When it started and ended.
    pub started: jiff::Timestamp,
    /// When it ended.
    pub finished: jiff::Timestamp,
}

/// Watches `checks` per `plan`; `on_round` hears every round (and may stop
/// the watch by returning an error, e.g. a closed output pipe).
pub fn watch<E>(
    checks: &[Check],
    clients: &crate::probe::http::Clients,
    opts: Options,
    plan: &Plan,
    observer: &dyn Observer,
    on_round: &mut dyn FnMut(&Round<'_>) -> Result<(), E>,
) -> Result<Finished, E> {
    let started = jiff::Timestamp::now();
    let t0 = Instant::now();
    let end = t0 + plan.duration;
    let mut tallies = vec![Tally::default(); checks.len()];
    let mut number = 0;
    let mut next = t0;
    let mut stopped_early = false;
    // A round's attempts may not outlast the pace.
    let paced: Vec<Check> =
        checks.iter().map(|c| Check { timeout: c.timeout.min(plan.every), ..c.clone() }).collect();
    while next < end {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        number += 1;
        let at = jiff::Timestamp::now();
        let attempts: Vec<Attempt> = runner::run(&paced, clients, opts, None, observer)
            .into_iter()
            .map(|s| s.last)
            .collect();
        for (t, a) in tallies.iter_mut().zip(&attempts) {
            t.add(a, plan);
        }
        on_round(&Round { number, at, attempts: &attempts, tallies: &tallies })?;
        if tallies.iter().any(|t| t.spent.is_some()) {
            stopped_early = Instant::now() + Duration::from_millis(1) < end;
            break;
        }
        // Missed ticks are skipped, not bunched up.
        next += plan.every;
        let now = Instant::now();
        while next < now {
            next += plan.every;
        }
    }
    Ok(Finished {
        tallies,
        rounds: number,
        stopped_early,
        started,
        finished: jiff::Timestamp::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(max_failures: u32, consecutive: Option<u32>, max_errors: u32) -> Plan {
        Plan {
            duration: Duration::from_secs(60),
            every: Duration::from_secs(1),
            max_failures,
            consecutive,
            max_errors,
        }
    }

    fn run(statuses: &str, plan: &Plan) -> Tally {
        let mut t = Tally::default();
        for c in statuses.chars() {
            let a = match c {
                'p' => Attempt::pass(None),
                'f' => Attempt::fail("f", None, None),
                'e' => Attempt::error("e"),
                _ => Attempt { status: Status::Inconclusive, ..Attempt::pass(None) },
            };
            t.add(&a, plan);
        }
        t
    }

    #[test]
    fn failures_beyond_the_budget_spend_it() {
        let t = run("pfpf", &plan(2, None, 4));
        assert_eq!((t.failures, t.spent.is_none(), t.status()), (2, true, Status::Pass));
        let t = run("pfpfpf", &plan(2, None, 4));
        assert_eq!(t.spent.unwrap().reason, "failed 3 times (--max-failures 2)");
    }

    #[test]
    fn consecutive_failures_are_their_own_budget() {
        let t = run("ffpff", &plan(10, Some(3), 4));
        assert!(t.spent.is_none());
        assert_eq!(t.max_consecutive_failures, 2);
        let t = run("pfff", &plan(10, Some(3), 4));
        assert_eq!(t.spent.unwrap().reason, "failed 3 rounds in a row (--consecutive 3)");
    }

    #[test]
    fn errors_are_not_failures() {
        let t = run("peeeep", &plan(0, None, 4));
        assert_eq!((t.errors, t.failures, t.status()), (4, 0, Status::Pass));
        let t = run("peeeee", &plan(0, None, 4));
        let s = t.spent.clone().unwrap();
        assert!(s.by_errors);
        assert_eq!(t.status(), Status::Error);
    }

    #[test]
    fn no_pass_is_no_evidence() {
        assert_eq!(run("iii", &plan(0, None, 4)).status(), Status::Inconclusive);
        assert_eq!(run("eie", &plan(0, None, 4)).status(), Status::Inconclusive);
        assert_eq!(run("ee", &plan(0, None, 4)).status(), Status::Error);
    }
}
