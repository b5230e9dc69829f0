//! Running checks: all at once (bounded by `--concurrency`), retried with
//! backoff until one global deadline (`--wait`), or in rounds against a
//! failure budget (`--watch`).
//!
//! One scheduler serves the first two: a queue of (when, check) served by a
//! fixed pool of workers, so a check sleeping between retries holds no
//! worker and the deadline is one instant for every check (not a timeout per
//! target, kubectl#1219).

use crate::check::Check;
use crate::probe::{self, Attempt, Retry, Status};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The first pause between attempts under `--wait` (then doubling).
pub const BACKOFF_START: Duration = Duration::from_secs(1);
/// The longest pause between attempts under `--wait`.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// How a run goes.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How many attempts may be in flight at once.
    pub concurrency: usize,
    /// The evaluation time for Prometheus queries (`--now`).
    pub now: Option<jiff::Timestamp>,
}

/// Hears each attempt as it ends (for progress on a terminal).
pub trait Observer: Sync {
    /// Check `index` made attempt number `attempt` (1-based); `next` is the
    /// pause before the next one, `None` when the check is settled.
    fn attempted(&self, index: usize, attempt: u32, result: &Attempt, next: Option<Duration>);
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn attempted(&self, _: usize, _: u32, _: &Attempt, _: Option<Duration>) {}
}

/// The settled result of one check.
#[derive(Clone, Debug)]
pub struct Settled {
    /// The last attempt (the passing one, or the last failure).
    pub last: Attempt,
    /// How many attempts were made.
    pub attempts: u32,
    /// When the first attempt started.
    pub started: jiff::Timestamp,
    /// When the last attempt ended.
    pub finished: jiff::Timestamp,
}

struct Slot {
    attempts: u32,
    started: Option<jiff::Timestamp>,
    settled: Option<Settled>,
}

struct Queue {
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    slots: Vec<Slot>,
    open: usize,
}

/// Runs every check once, or (with `deadline`) retries the failing ones
/// with backoff until they pass or the deadline passes. Results are in the
/// order of `checks`.
pub fn run(
    checks: &[Check],
    clients: &probe::http::Clients,
    opts: Options,
    deadline: Option<Instant>,
    observer: &dyn Observer,
) -> Vec<Settled> {
    let start = Instant::now();
    let queue = Mutex::new(Queue {
        due: (0..checks.len()).map(|i| Reverse((start, i))).collect(),
        slots: (0..checks.len())
            .map(|_| Slot { attempts: 0, started: None, settled: None })
            .collect(),
        open: checks.len(),
    });
    let wake = Condvar::new();
    let workers = opts.concurrency.clamp(1, checks.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| worker(checks, clients, opts, deadline, observer, &queue, &wake));
        }
    });
    let queue = queue.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    queue
        .slots
        .into_iter()
        .map(|s| {
            s.settled.unwrap_or_else(|| Settled {
                last: Attempt::error("not run"),
                attempts: 0,
                started: jiff::Timestamp::now(),
                finished: jiff::Timestamp::now(),
            })
        })
        .collect()
}

fn worker(
    checks: &[Check],
    clients: &probe::http::Clients,
    opts: Options,
    deadline: Option<Instant>,
    observer: &dyn Observer,
    queue: &Mutex<Queue>,
    wake: &Condvar,
) {
    loop {
        let Some(i) = next_due(queue, wake) else { return };
        let check = &checks[i];
        let began = Instant::now();
        let timeout = match deadline {
            Some(d) => {
                check.timeout.min(d.saturating_duration_since(began)).max(min_attempt(check))
            }
            None => check.timeout,
        };
        let started = jiff::Timestamp::now();
        let result = probe::attempt(check, timeout, clients, opts.now);
        let ended = Instant::now();
        let mut q = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = &mut q.slots[i];
        slot.attempts += 1;
        let attempts = slot.attempts;
        let first_start = *slot.started.get_or_insert(started);
        let next = match deadline {
            Some(d) => next_attempt(check, &result, attempts, ended, d),
            None => None,
        };
        observer.attempted(i, attempts, &result, next.map(|t| t.saturating_duration_since(ended)));
        match next {
            Some(at) => q.due.push(Reverse((at, i))),
            None => {
                q.slots[i].settled = Some(Settled {
                    last: result,
                    attempts,
                    started: first_start,
                    finished: jiff::Timestamp::now(),
                });
                q.open -= 1;
            }
        }
        drop(q);
        wake.notify_all();
    }
}

/// Waits for the next due check; `None` when every check is settled.
fn next_due(queue: &Mutex<Queue>, wake: &Condvar) -> Option<usize> {
    let mut q = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        if q.open == 0 {
            return None;
        }
        let now = Instant::now();
        match q.due.peek().copied() {
            Some(Reverse((at, i))) if at <= now => {
                q.due.pop();
                return Some(i);
            }
            Some(Reverse((at, _))) => {
                q = wake
                    .wait_timeout(q, at - now)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            None => q = wake.wait(q).unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }
}

/// The shortest attempt worth making near the deadline.
fn min_attempt(check: &Check) -> Duration {
    check.timeout.min(Duration::from_secs(1))
}

/// When to try again, or `None` when the check is settled: it passed, the
/// failure is permanent, or no attempt fits before the deadline.
fn next_attempt(
    check: &Check,
    result: &Attempt,
    attempts: u32,
    now: Instant,
    deadline: Instant,
) -> Option<Instant> {
    let after = match (result.status, result.retry) {
        (Status::Pass, _) | (_, Retry::Permanent) => return None,
        (_, Retry::Transient { after }) => after,
    };
    let pause = after.unwrap_or_else(|| backoff(attempts));
    let latest = deadline.checked_sub(min_attempt(check))?;
    if now >= latest {
        return None;
    }
    Some((now + pause).min(latest))
}

/// curl's backoff: 1 s before the second attempt, doubling, capped.
pub fn backoff(attempts: u32) -> Duration {
    let factor = 1u32.checked_shl(attempts.saturating_sub(1)).unwrap_or(u32::MAX);
    BACKOFF_START.saturating_mul(factor).min(BACKOFF_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_the_cap() {
        let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(200), BACKOFF_CAP);
    }
}
