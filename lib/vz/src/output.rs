//! Writing to standard output: all at once, locked, and only on success. A
//! tool renders its whole answer into memory and calls [`emit`] once, so
//! nothing partial ever reaches `kubectl apply`. A closed pipe (`| head`) is
//! reported as an I/O error that the driver turns into a quiet exit 0.

use crate::error::Error;
use std::io::Write;

/// `value` as indented JSON with one trailing newline: how every tool
/// prints a JSON answer.
pub fn pretty_json(value: &impl serde::Serialize) -> String {
    // Serialising a value made of maps with string keys cannot fail.
    let mut bytes = crate::json::to_vec_pretty(value).unwrap_or_default();
    same_as_serde_json(value, &bytes);
    bytes.push(b'\n');
    // vz::json writes the UTF-8 it is given, and ASCII around it.
    String::from_utf8(bytes).unwrap_or_default()
}

/// In debug builds, that `ours` is what serde_json writes for `value`: the
/// whole test suite proves [`crate::json`] equal to it.
fn same_as_serde_json(value: &impl serde::Serialize, ours: &[u8]) {
    if cfg!(debug_assertions) {
        let theirs = serde_json::to_vec_pretty(value).unwrap_or_default();
        assert!(ours == theirs.as_slice(), "vz::json and serde_json disagree");
    }
}

/// Writes `value` to standard output as [`pretty_json`], serialised
/// straight to it in 64 KiB pieces ([`crate::json`]): a large answer is not
/// held in memory a second time. Serialising cannot fail once the value is
/// built, so this is still all or nothing, short of a closed pipe.
pub fn emit_json(value: &impl serde::Serialize) -> Result<(), Error> {
    if cfg!(debug_assertions) {
        same_as_serde_json(value, &crate::json::to_vec_pretty(value).unwrap_or_default());
    }
    let mut out = std::io::stdout().lock();
    crate::json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}

/// Writes to standard output with `write`, then flushes: for a tool that
/// renders a large answer itself, in pieces of its own (the writer is
/// unbuffered). `write` must fail only with the writer's own errors (a
/// closed pipe), so that the output is still all or nothing.
pub fn emit_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    write(&mut out).and_then(|()| out.flush()).map_err(|e| Error::io("<stdout>", e))
}

/// Writes `bytes` to standard output and flushes.
pub fn emit(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| Error::io("<stdout>", e))
}

/// [`emit_json`] for an answer that is mostly one long list (vz-comply's
/// results), whose items are rendered on every core: `value` is the answer
/// with the list left empty, so that its top-level field `field` (a plain
/// name) renders as `[]`, and `items` are the list's items, `size` about
/// the bytes each takes (what cuts the list into parts of even size, which
/// the threads take as they go). Writes what [`emit_json`] writes for the
/// answer with the items in the list.
pub fn emit_json_list<T: serde::Serialize + Sync>(
    value: &impl serde::Serialize,
    field: &str,
    items: &[T],
    size: impl Fn(&T) -> usize,
) -> Result<(), Error> {
    if cfg!(debug_assertions) {
        let mut ours = Vec::new();
        write_json_list(&mut ours, value, field, items, &size)
            .map_err(|e| Error::io("<stdout>", e))?;
        same_list_as_serde_json(value, field, items, &ours);
    }
    let mut out = std::io::stdout().lock();
    write_json_list(&mut out, value, field, items, &size)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}

/// [`same_as_serde_json`] for [`emit_json_list`]: serde_json's answer is
/// its rendering of `value` with its rendering of `items` in the place of
/// the empty list, indented a level (JSON text holds no line break of its
/// own, so every line break starts a line to indent).
fn same_list_as_serde_json<T: serde::Serialize>(
    value: &impl serde::Serialize,
    field: &str,
    items: &[T],
    ours: &[u8],
) {
    let head = serde_json::to_vec_pretty(value).unwrap_or_default();
    let hole = format!("\n  \"{field}\": []");
    let at = memchr::memmem::find(&head, hole.as_bytes()).map_or(head.len(), |at| at + hole.len());
    let mut theirs = head[..at.saturating_sub(2)].to_vec();
    for b in serde_json::to_vec_pretty(items).unwrap_or_default() {
        theirs.push(b);
        if b == b'\n' {
            theirs.extend_from_slice(b"  ");
        }
    }
    theirs.extend_from_slice(&head[at..]);
    theirs.push(b'\n');
    assert!(ours == theirs.as_slice(), "vz::json and serde_json disagree on a list apart");
}

/// Below this many items, a list is rendered on the calling thread alone.
const PARALLEL_ITEMS: usize = 1024;

/// [`emit_json_list`] to `out`. The items are cut into parts of about equal
/// size, not count (vz-comply's failed results, which come first, are twice
/// the size of the passed ones), several per thread. The calling thread
/// takes parts from the front and writes each as it renders it; the other
/// threads take them from the back and keep what they render, which is
/// written after the caller's parts, in order. Taken as they go, the parts
/// share out by how fast each thread turns out to be: a helper that starts
/// late, or renders into fresh memory, leaves more to the caller.
fn write_json_list<T: serde::Serialize + Sync>(
    out: &mut impl Write,
    value: &impl serde::Serialize,
    field: &str,
    items: &[T],
    size: impl Fn(&T) -> usize,
) -> std::io::Result<()> {
    if items.is_empty() {
        let (head, _) = head_with_hole(value, field)?;
        return out.write_all(&head).and_then(|()| out.write_all(b"\n"));
    }
    let threads = if items.len() < PARALLEL_ITEMS { 1 } else { crate::cores() };
    // One part when this thread renders them all.
    let parts = if threads > 1 { threads * PARTS_PER_THREAD } else { 1 };
    let parts = split_evenly(items, parts, size);
    let render = |out: &mut dyn Write, k: usize| {
        crate::json::items_to_writer_pretty(out, parts[k], 2, k == 0).map_err(std::io::Error::from)
    };
    // The caller renders the first part (the one without a comma before it)
    // before any other is taken.
    let claims = Claims::new(parts.len(), 1);
    let helper = || {
        let mut done = Vec::new();
        while let Some(k) = claims.back() {
            let mut pieces = Pieces::default();
            render(&mut pieces, k)?;
            done.push((k, pieces.0));
        }
        Ok::<_, std::io::Error>(done)
    };
    std::thread::scope(|scope| {
        // The helpers start on the last parts while this thread renders
        // the answer around the list.
        let helpers = if threads > 1 {
            crate::par::start_helpers(scope, (1..threads).map(|_| &helper))
        } else {
            Vec::new()
        };
        let front = head_with_hole(value, field).and_then(|(head, close)| {
            out.write_all(&head[..close])?;
            let mut k = Some(0);
            while let Some(part) = k {
                render(&mut *out, part)?;
                k = claims.front();
            }
            Ok((head, close))
        });
        if front.is_err() {
            claims.close();
        }
        let mut rest = Vec::new();
        for h in helpers {
            let done = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            // This thread's failure is the first, in output order.
            if front.is_ok() {
                rest.extend(done?);
            }
        }
        let (head, close) = front?;
        rest.sort_unstable_by_key(|&(k, _)| k);
        for (_, pieces) in rest {
            for piece in pieces {
                out.write_all(&piece)?;
            }
        }
        out.write_all(b"\n  ]")?;
        out.write_all(&head[close + 1..])?;
        out.write_all(b"\n")
    })
}

/// `value` rendered, and the byte of the `]` of its empty top-level list
/// `field`, where the items go.
fn head_with_hole(value: &impl serde::Serialize, field: &str) -> std::io::Result<(Vec<u8>, usize)> {
    let head = crate::json::to_vec_pretty(value)?;
    same_as_serde_json(value, &head);
    // A line break followed by two spaces and a quote starts a top-level
    // field: JSON text holds no line break of its own.
    let hole = format!("\n  \"{field}\": []");
    let Some(at) = memchr::memmem::find(&head, hole.as_bytes()) else {
        return Err(std::io::Error::other(format!("no empty top-level list {field:?} to fill")));
    };
    Ok((head, at + hole.len() - 1))
}

/// How many parts each thread's share of a list is cut into.
const PARTS_PER_THREAD: usize = 8;

/// Parts of a list still to render, taken from both ends: the calling
/// thread takes them from the front (so it writes a run of parts from the
/// first, in order), the helpers from the back.
struct Claims(std::sync::Mutex<std::ops::Range<usize>>);

impl Claims {
    /// Parts `from..parts` are still to take.
    fn new(parts: usize, from: usize) -> Self {
        Claims(std::sync::Mutex::new(from..parts))
    }

    fn left(&self) -> std::sync::MutexGuard<'_, std::ops::Range<usize>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The first part not yet taken, if any.
    fn front(&self) -> Option<usize> {
        self.left().next()
    }

    /// The last part not yet taken, if any.
    fn back(&self) -> Option<usize> {
        self.left().next_back()
    }

    /// Leaves nothing more to take (the output failed).
    fn close(&self) {
        let mut left = self.left();
        left.start = left.end;
    }
}

/// `items` cut into `parts` runs of about equal total `size`, none empty
/// but the last ones when there are fewer items than parts (the first part
/// is written as the list's start, the others each after a comma).
fn split_evenly<T>(items: &[T], parts: usize, size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let sizes: Vec<usize> = items.iter().map(size).collect();
    let total: usize = sizes.iter().sum();
    let mut cuts = Vec::with_capacity(parts);
    let (mut start, mut sum) = (0, 0);
    for (i, s) in sizes.iter().enumerate() {
        // The part ends once it holds its share of the total.
        let full = sum * parts >= total * (cuts.len() + 1);
        if full && i > start && cuts.len() + 1 < parts {
            cuts.push(&items[start..i]);
            start = i;
        }
        sum += s;
    }
    cuts.push(&items[start..]);
    cuts.resize(parts.max(1), &[]);
    cuts
}

/// A writer keeping what it is given as it comes, piece by piece (the JSON
/// writer's 64 KiB pieces): no copying into an ever larger buffer.
#[derive(Default)]
struct Pieces(Vec<Vec<u8>>);

impl Write for Pieces {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.push(bytes.to_vec());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Answer<'a> {
        before: &'a str,
        items: Vec<Item>,
        after: Vec<u32>,
    }

    #[derive(Clone, Serialize)]
    struct Item {
        name: String,
        tags: Vec<String>,
        nested: Option<Box<Item>>,
    }

    fn item(i: usize) -> Item {
        Item {
            name: format!("item \"{i}\"\n"),
            tags: (0..i % 3).map(|t| t.to_string()).collect(),
            nested: i.is_multiple_of(4).then(|| Box::new(item(i + 1))),
        }
    }

    /// Parts are taken once each: the front ones in order from where the
    /// caller starts, the back ones from the end, until they meet; after a
    /// failure nothing is left to take.
    #[test]
    fn parts_are_taken_from_both_ends_once() {
        let claims = Claims::new(6, 1);
        assert_eq!(claims.back(), Some(5));
        assert_eq!(claims.front(), Some(1));
        assert_eq!(claims.back(), Some(4));
        assert_eq!(claims.front(), Some(2));
        assert_eq!(claims.front(), Some(3));
        assert_eq!((claims.front(), claims.back()), (None, None));
        let claims = Claims::new(1, 1);
        assert_eq!((claims.front(), claims.back()), (None, None));
        let claims = Claims::new(9, 1);
        assert_eq!(claims.back(), Some(8));
        claims.close();
        assert_eq!((claims.front(), claims.back()), (None, None));
    }

    /// Whatever the number of items (below, at and above the number that
    /// is rendered on several threads), the list is written as the whole
    /// answer would be.
    #[test]
    fn a_list_rendered_apart_is_the_whole_answer() {
        for n in [0, 1, 2, 5, PARALLEL_ITEMS - 1, PARALLEL_ITEMS, PARALLEL_ITEMS * 3 + 7] {
            let items: Vec<Item> = (0..n).map(item).collect();
            let whole = Answer { before: "a \"]\" [", items: items.clone(), after: vec![1, 2] };
            let mut theirs = serde_json::to_vec_pretty(&whole).unwrap();
            let empty = Answer { items: Vec::new(), ..whole };
            theirs.push(b'\n');
            let theirs = String::from_utf8(theirs).unwrap();
            // Sized by their names, and (a size of nothing) all the same.
            for size in [|i: &Item| i.name.len(), |_: &Item| 0] {
                let mut ours = Vec::new();
                write_json_list(&mut ours, &empty, "items", &items, size).unwrap();
                assert_eq!(String::from_utf8(ours).unwrap(), theirs, "{n}");
            }
        }
    }

    /// The debug builds' check of a list rendered apart holds for the right
    /// answer and catches a wrong one.
    #[test]
    fn the_check_of_a_list_apart_compares_the_whole_answer() {
        let items: Vec<Item> = (0..3).map(item).collect();
        let empty = Answer { before: "b", items: Vec::new(), after: vec![3] };
        let mut ours = Vec::new();
        write_json_list(&mut ours, &empty, "items", &items, |_| 1).unwrap();
        same_list_as_serde_json(&empty, "items", &items, &ours);
        let wrong = String::from_utf8(ours).unwrap().replacen("  ", "   ", 1);
        let r = std::panic::catch_unwind(|| {
            same_list_as_serde_json(&empty, "items", &items, wrong.as_bytes())
        });
        assert!(r.is_err());
    }

    /// The parts hold about equal sizes, in order, and every item once.
    #[test]
    fn lists_are_split_by_size() {
        let sizes = [5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        let split = split_evenly(&sizes, 2, |s| *s);
        assert_eq!(split, [&sizes[..6], &sizes[6..]]);
        let split = split_evenly(&sizes, 3, |s| *s);
        assert_eq!(split, [&sizes[..3], &sizes[3..9], &sizes[9..]]);
        assert_eq!(split_evenly(&[7], 3, |s| *s), [&[7][..], &[], &[]]);
        let none: &[usize] = &[];
        assert_eq!(split_evenly(none, 2, |s| *s), [none, none]);
        assert_eq!(split_evenly(&[1, 2], 1, |s| *s), [&[1, 2][..]]);
        // Sizes of nothing still leave no part empty before another.
        assert_eq!(split_evenly(&[0, 0, 0], 2, |s| *s), [&[0][..], &[0, 0]]);
    }

    #[test]
    fn a_list_that_is_not_there_is_an_error() {
        let answer = Answer { before: "", items: vec![item(1)], after: Vec::new() };
        let e = write_json_list(&mut Vec::new(), &answer, "items", &[1], |_| 1).unwrap_err();
        assert_eq!(e.to_string(), "no empty top-level list \"items\" to fill");
        let e = write_json_list(&mut Vec::new(), &answer, "nothing", &[1], |_| 1).unwrap_err();
        assert_eq!(e.to_string(), "no empty top-level list \"nothing\" to fill");
        // Also when helpers have started on the list, and with no items:
        // nothing is written.
        let many = vec![1; PARALLEL_ITEMS * 4];
        for items in [&many[..], &[]] {
            let mut out = Vec::new();
            let e = write_json_list(&mut out, &answer, "nothing", items, |_| 1).unwrap_err();
            assert_eq!(e.to_string(), "no empty top-level list \"nothing\" to fill");
            assert!(out.is_empty());
        }
    }
}
