//! Work spread over every core, results in input order: parsing inputs,
//! evaluating objects, parsing reports. The output never depends on the
//! number of threads or on which thread finished first.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `items.iter().map(f).collect()`, on up to [`crate::cores`] threads (the
/// calling thread among them) once there are at least `min_items` items
/// (fewer run on the calling thread alone: starting a thread costs about a
/// tenth of a millisecond). Threads take the next batch of items as they
/// finish the last, so uneven items (one large file among small ones) still
/// share out evenly. A panic in `f` is resumed on the calling thread.
pub fn map<T, R, F>(items: &[T], min_items: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads_for(items.len(), min_items);
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    // Small batches balance the load; a batch per item would make the
    // counter the bottleneck for tens of thousands of small items.
    let batch = (items.len() / (threads * 16)).max(1);
    run(items, None, batch, threads, &f, || ()).1
}

/// How many threads `len` items get: one below `min_items` (or two) items,
/// without asking for the cores (that reads cgroup files), else up to one
/// per core.
fn threads_for(len: usize, min_items: usize) -> usize {
    if len < min_items.max(2) { 1 } else { crate::cores().min(len) }
}

/// [`map`] for items taken by value (`f` owns each one), in contiguous
/// parts, one per core: for items of about even cost. (Batches taken in
/// turn, as `map` does, measured 25 MB more peak memory merging 54,000
/// findings.)
pub fn map_owned<T, R, F>(mut items: Vec<T>, min_items: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let threads = threads_for(items.len(), min_items);
    if threads < 2 {
        return items.into_iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    while items.len() > per {
        parts.push(items.split_off(items.len() - per));
    }
    // The first part stays on the calling thread.
    let f = &f;
    std::thread::scope(|scope| {
        let helpers: Vec<_> = parts
            .into_iter()
            .rev()
            .map(|part| scope.spawn(move || part.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut done: Vec<R> = items.into_iter().map(f).collect();
        for h in helpers {
            done.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        done
    })
}

/// [`map`] for items of uneven cost known beforehand (`weight`, such as a
/// file's size): the heaviest are started first, one at a time, so that one
/// large item taken last does not leave the other cores idle while it runs
/// (longest first is within a third of the best schedule). The results are
/// still in input order.
pub fn map_heaviest_first<T, R, W, F>(items: &[T], min_items: usize, weight: W, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> u64 + Sync,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads_for(items.len(), min_items);
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    run(items, Some(&|| heaviest_first(items, &weight)), 1, threads, &f, || ()).1
}

/// [`map_heaviest_first`] while the calling thread does `first`, which is
/// not part of the work (vz-comply builds its catalogue while the files are
/// read): the helpers start on the items at once, even on one item, and the
/// calling thread takes its share of them once `first` is done.
pub fn map_heaviest_first_after<T, R, W, F, S>(
    items: &[T],
    weight: W,
    f: F,
    first: impl FnOnce() -> S,
) -> (S, Vec<R>)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> u64 + Sync,
    F: Fn(&T) -> R + Sync,
{
    // One more thread than items: the calling thread is busy at first.
    let threads = if items.is_empty() { 1 } else { crate::cores().min(items.len() + 1) };
    if threads < 2 {
        let done = first();
        return (done, items.iter().map(f).collect());
    }
    run(items, Some(&|| heaviest_first(items, &weight)), 1, threads, &f, first)
}

/// The items' indexes, heaviest first, equal weights in input order
/// (weighing files asks for each one's size: a third of a millisecond for a
/// hundred files, done by the first thread to need the order while the
/// others wait).
fn heaviest_first<T>(items: &[T], weight: impl Fn(&T) -> u64) -> Vec<usize> {
    let weights: Vec<u64> = items.iter().map(weight).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weights[i]));
    order
}

/// `f` on every item, on `threads` threads (the calling thread one of
/// them, after it has done `first`) taking `batch` items at a time in the
/// order `order` gives (input order when `None`), which the first thread to
/// need it works out; the results in input order, with what `first` gave.
fn run<T, R, F, S>(
    items: &[T],
    order: Option<&(dyn Fn() -> Vec<usize> + Sync)>,
    batch: usize,
    threads: usize,
    f: &F,
    first: impl FnOnce() -> S,
) -> (S, Vec<R>)
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let next = AtomicUsize::new(0);
    // A panic working it out reaches the thread that tried; the others then
    // try in turn (and panic too), so no thread waits for ever.
    let sorted = std::sync::OnceLock::<Vec<usize>>::new();
    let index = |k: usize| match order {
        Some(order) => sorted.get_or_init(order)[k],
        None => k,
    };
    // Each thread keeps its results with their items' indexes, in one list.
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(batch, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            let end = (start + batch).min(items.len());
            done.extend((start..end).map(index).map(|i| (i, f(&items[i]))));
        }
    };
    // The calling thread is one of the workers: one thread fewer to start.
    let (first, lists) = std::thread::scope(|scope| {
        let helpers = if order.is_some() {
            // Files and objects: milliseconds of work, which the helpers
            // could otherwise spend waiting to start (see start_helpers).
            // Not for the even batches of `map`: on 100 MB of scanner
            // reports moving a thread measured 10% slower.
            start_helpers(scope, (1..threads).map(|_| &work))
        } else {
            (1..threads).map(|_| scope.spawn(work)).collect()
        };
        let first = first();
        let mut lists = vec![work()];
        for h in helpers {
            lists.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        (first, lists)
    });
    // Each result to its item's place: input order, whichever thread made it.
    let mut places: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (i, r) in lists.into_iter().flatten() {
        places[i] = Some(r);
    }
    (first, places.into_iter().flatten().collect())
}

/// Starts a helper thread in `scope` for each of `jobs`, for milliseconds of
/// work alongside the calling thread: each helper first moves itself off
/// the caller's CPU (then may run anywhere again), and the caller yields
/// once so that a helper queued behind it gets to do so.
///
/// Some virtual machines queue a new thread on its parent's CPU while
/// another sits idle, so a helper would wait for its caller to finish its
/// own share first (measured on a 2-CPU VM: a helper started 2 ms after its
/// caller began 2 ms of work). Moving the caller away instead leaves the
/// caller waiting whenever the idle CPU is slow to wake (up to a
/// millisecond, measured at two steps of a vz-comply run); a helper moving
/// itself waits for it instead, while the caller works. Does nothing special
/// where a thread may run on one CPU only or the calls fail.
pub fn start_helpers<'scope, T, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    jobs: impl IntoIterator<Item = F>,
) -> Vec<std::thread::ScopedJoinHandle<'scope, T>>
where
    T: Send + 'scope,
    F: FnOnce() -> T + Send + 'scope,
{
    let here = cpu();
    let helpers: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            scope.spawn(move || {
                if let Some(cpu) = here {
                    leave(cpu);
                }
                job()
            })
        })
        .collect();
    if !helpers.is_empty() && here.is_some() {
        std::thread::yield_now();
    }
    helpers
}

/// The CPU the calling thread runs on, where that can be told and moved from.
fn cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        Some(rustix::thread::sched_getcpu())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Moves the calling thread off `cpu` to another it may run on, and lets
/// it run anywhere again (the move stands until the scheduler decides
/// otherwise). Nothing happens when `cpu` is the only one it may use.
fn leave(cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{sched_getaffinity, sched_setaffinity};
        let Ok(allowed) = sched_getaffinity(None) else { return };
        let mut elsewhere = allowed;
        elsewhere.unset(cpu);
        if elsewhere.count() > 0 && sched_setaffinity(None, &elsewhere).is_ok() {
            let _ = sched_setaffinity(None, &allowed);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A helper leaves its caller's CPU and is then free to run where the
    /// caller may; the caller stays free too.
    #[cfg(target_os = "linux")]
    #[test]
    fn helpers_keep_the_cpus_the_caller_may_use() {
        use rustix::thread::{CpuSet, sched_getaffinity};
        fn cpus() -> Result<Vec<usize>, String> {
            let set = sched_getaffinity(None).map_err(|e| e.to_string())?;
            Ok((0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect())
        }
        let before = cpus();
        assert!(before.as_ref().is_ok_and(|c| !c.is_empty()));
        let on: Vec<_> = std::thread::scope(|scope| {
            let helpers = start_helpers(scope, [cpus, cpus]);
            helpers.into_iter().map(|h| h.join().map_err(|_| "panicked")).collect()
        });
        assert_eq!(on, vec![Ok(before.clone()), Ok(before.clone())]);
        assert_eq!(cpus(), before);
    }

    #[test]
    fn results_come_back_in_input_order() {
        let items: Vec<usize> = (0..10_000).collect();
        let squares = map(&items, 1, |i| i * i);
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
    }

    #[test]
    fn few_items_run_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let on = map(&[1, 2, 3], 4, |_| std::thread::current().id());
        assert!(on.iter().all(|id| *id == caller));
    }

    #[test]
    fn heaviest_first_results_come_back_in_input_order() {
        let items: Vec<u64> = (0..1_000).map(|i| (i * 7919) % 1_000).collect();
        let doubled = map_heaviest_first(&items, 1, |n| *n, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        // The heaviest item is the first one taken.
        let first = std::sync::Mutex::new(None);
        map_heaviest_first(
            &[1u64, 5, 3],
            1,
            |n| *n,
            |n| {
                first.lock().unwrap().get_or_insert(*n);
            },
        );
        if crate::cores() > 1 {
            assert_eq!(*first.lock().unwrap(), Some(5));
        }
        assert!(map_heaviest_first(&[] as &[u64], 1, |n| *n, |n| *n).is_empty());
    }

    /// The calling thread does `first` while the helpers start on the
    /// items, then takes its share; even one item gets a helper.
    #[test]
    fn work_alongside_comes_back_with_the_results_in_input_order() {
        let caller = std::thread::current().id();
        let items: Vec<u64> = (0..100).map(|i| (i * 7919) % 100).collect();
        let (first, doubled) =
            map_heaviest_first_after(&items, |n| *n, |n| n * 2, || std::thread::current().id());
        assert_eq!(first, caller);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        if crate::cores() > 1 {
            // `first` waits for the one item to be done: only a helper can.
            let (done, taken) = std::sync::mpsc::channel();
            let done = std::sync::Mutex::new(done);
            let item = |_: &u64| {
                let _ = done.lock().map(|d| d.send(()));
                std::thread::current().id()
            };
            let wait = || taken.recv_timeout(std::time::Duration::from_secs(10)).is_ok();
            let (helped, on) = map_heaviest_first_after(&[1u64], |n| *n, item, wait);
            assert!(helped);
            assert!(on.len() == 1 && on[0] != caller);
        }
        let (first, none) = map_heaviest_first_after(&[] as &[u64], |n| *n, |n| *n, || 7);
        assert_eq!((first, none), (7, Vec::new()));
    }

    #[test]
    fn owned_items_come_back_in_input_order() {
        for n in [0, 1, 2, 3, 7, 10_001] {
            let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            let lengths = map_owned(items.clone(), 1, |s| s.len());
            assert_eq!(lengths, items.iter().map(String::len).collect::<Vec<_>>(), "{n}");
        }
    }

    #[test]
    fn uneven_items_and_empty_input() {
        assert!(map(&[] as &[u8], 1, |b| *b).is_empty());
        let items: Vec<u64> = (0..257).map(|i| if i % 50 == 0 { 200_000 } else { 1 }).collect();
        let sums = map(&items, 1, |n| (0..*n).sum::<u64>());
        assert_eq!(sums[50], (0..200_000u64).sum::<u64>());
        assert_eq!(sums[1], 0);
        assert_eq!(sums.len(), 257);
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let items: Vec<u32> = (0..64).collect();
        let r = std::panic::catch_unwind(|| {
            map(&items, 1, |i| if *i == 33 { panic!("item 33") } else { *i })
        });
        assert!(r.is_err());
    }

    /// The helpers wait for the order the calling thread works out: a panic
    /// there reaches the caller too, rather than leaving them waiting.
    #[test]
    fn a_panic_weighing_the_items_reaches_the_caller() {
        let items: Vec<u32> = (0..64).collect();
        let r = std::panic::catch_unwind(|| {
            map_heaviest_first(&items, 1, |i| if *i == 7 { panic!("item 7") } else { 1 }, |i| *i)
        });
        let message = r.expect_err("the panic reaches the caller");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"item 7"));
    }
}
