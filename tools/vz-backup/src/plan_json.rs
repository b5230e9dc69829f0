//! A plan as JSON, written by hand: the same bytes as serde_json's pretty
//! printer writes for [`Plan`]'s `Serialize` (two-space indents, `": "`
//! after keys, `[]` for an empty list, `null` for an unselected group
//! field, serde_json's string escapes) and one final newline, which is
//! what `vz::output::pretty_json` prints.
//!
//! Why by hand: a plan of a million snapshots is hundreds of megabytes, and
//! every entry is written twice (in its group and in the flat list).
//! serde's printer makes a call per token and escapes every string byte by
//! byte; this writer copies strings that need no escape whole, and hands
//! the output over in large pieces. A test compares the two on every
//! shape a plan can take.

use crate::plan::{Entry, GroupKey, GroupPlan, Plan, Reason};
use std::io::{self, Write};

/// How much is rendered before it is handed to the output.
const PIECE: usize = 1 << 20;

/// Two spaces per level, enough for the deepest line of a plan (level 6).
const SPACES: &[u8; 16] = b"                ";

/// Writes `plan` to `out` as pretty JSON with a final newline.
pub fn write(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    let mut w = Writer { buf: Vec::with_capacity(PIECE + PIECE / 4), out };
    w.raw(b"{\n");
    w.key(1, "groups");
    w.list(1, &plan.groups, |w, level, g| w.group(level, g))?;
    w.raw(b",\n");
    w.key(1, "keep");
    w.entries(1, plan.groups.iter().map(|g| &g.keep[..]))?;
    w.raw(b",\n");
    w.key(1, "remove");
    w.entries(1, plan.groups.iter().map(|g| &g.remove[..]))?;
    w.raw(b"\n}\n");
    w.flush()
}

/// The output, and the piece being rendered.
struct Writer<'o> {
    buf: Vec<u8>,
    out: &'o mut dyn Write,
}

impl Writer<'_> {
    fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The start of a line at `level`.
    fn indent(&mut self, level: usize) {
        self.buf.extend_from_slice(&SPACES[..2 * level]);
    }

    /// `"key": ` on a line of its own at `level` (after the caller's
    /// line break).
    fn key(&mut self, level: usize, key: &str) {
        self.indent(level);
        self.string(key);
        self.raw(b": ");
    }

    /// A JSON string, escaped as serde_json escapes it.
    fn string(&mut self, s: &str) {
        if needs_escape(s.as_bytes()) {
            // Writing into a vector cannot fail.
            let _ = serde_json::to_writer(&mut self.buf, s);
        } else {
            self.buf.reserve(s.len() + 2);
            self.buf.push(b'"');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.push(b'"');
        }
    }

    /// Hands the rendered piece to the output once it is large.
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= PIECE { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// A list that opens on the current line at `level`, its items on
    /// lines at `level + 1`.
    fn list<T>(
        &mut self,
        level: usize,
        items: impl IntoIterator<Item = T>,
        mut item: impl FnMut(&mut Self, usize, T) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut first = true;
        for it in items {
            self.raw(if first { b"[\n" } else { b",\n" });
            first = false;
            self.indent(level + 1);
            item(self, level + 1, it)?;
        }
        if first {
            self.raw(b"[]");
        } else {
            self.raw(b"\n");
            self.indent(level);
            self.raw(b"]");
        }
        Ok(())
    }

    fn strings<'s>(&mut self, level: usize, items: impl IntoIterator<Item = &'s str>) {
        // Strings never fail: nothing is flushed inside.
        let _ = self.list(level, items, |w, _, s| {
            w.string(s);
            Ok(())
        });
    }

    /// One list of the entries of all `parts`.
    fn entries<'e, 'a: 'e>(
        &mut self,
        level: usize,
        parts: impl IntoIterator<Item = &'e [Entry<'a>]>,
    ) -> io::Result<()> {
        // The ids and times lie all over memory, and each one read is a
        // cache miss: touching a batch of them first lets the misses
        // overlap instead of coming one after another.
        let batches = parts.into_iter().flat_map(|p| p.chunks(BATCH));
        self.list(level, batches.flat_map(touch), |w, level, e| {
            w.entry(level, e);
            w.maybe_flush()
        })
    }

    fn entry(&mut self, level: usize, e: &Entry) {
        self.raw(b"{\n");
        self.key(level + 1, "id");
        self.string(e.id);
        self.raw(b",\n");
        self.key(level + 1, "time");
        self.string(e.time);
        self.raw(b",\n");
        self.key(level + 1, "reasons");
        self.strings(level + 1, e.reasons.iter().map(Reason::as_str));
        self.raw(b"\n");
        self.indent(level);
        self.raw(b"}");
    }

    fn group(&mut self, level: usize, g: &GroupPlan) -> io::Result<()> {
        self.raw(b"{\n");
        self.key(level + 1, "group");
        self.group_key(level + 1, &g.group);
        self.raw(b",\n");
        self.key(level + 1, "keep");
        self.entries(level + 1, [&g.keep[..]])?;
        self.raw(b",\n");
        self.key(level + 1, "remove");
        self.entries(level + 1, [&g.remove[..]])?;
        self.raw(b"\n");
        self.indent(level);
        self.raw(b"}");
        Ok(())
    }

    fn group_key(&mut self, level: usize, k: &GroupKey) {
        self.raw(b"{\n");
        self.key(level + 1, "host");
        match &k.host {
            Some(h) => self.string(h),
            None => self.raw(b"null"),
        }
        for (name, list) in [("paths", &k.paths), ("tags", &k.tags)] {
            self.raw(b",\n");
            self.key(level + 1, name);
            match list {
                Some(l) => self.strings(level + 1, l.iter().map(String::as_str)),
                None => self.raw(b"null"),
            }
        }
        self.raw(b"\n");
        self.indent(level);
        self.raw(b"}");
    }
}

/// How many entries are touched ahead of writing them.
const BATCH: usize = 32;

/// Reads the first and the last byte of each string of a batch of
/// entries (a string may cross into another cache line), and returns the
/// batch.
fn touch<'e, 'a>(batch: &'e [Entry<'a>]) -> &'e [Entry<'a>] {
    let ends = |s: &str| {
        let b = s.as_bytes();
        b.first().copied().unwrap_or(0) ^ b.last().copied().unwrap_or(0)
    };
    std::hint::black_box(batch.iter().fold(0u8, |sum, e| sum ^ ends(e.id) ^ ends(e.time)));
    batch
}

/// Whether serde_json would escape anything in `s`: a control character, a
/// quote or a backslash. (No early exit: the loop is vectorised.)
fn needs_escape(s: &[u8]) -> bool {
    s.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{self, Decision};
    use crate::policy::GroupBy;
    use crate::snapshot::{Snapshot, Stamp};

    fn written(plan: &Plan) -> String {
        let mut out = Vec::new();
        write(plan, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn snap(id: &str, time: &str, host: &str, paths: &[&str], tags: &[&str]) -> Snapshot {
        let mut s = Snapshot::new(id, Stamp::parse(time).unwrap());
        s.host = host.into();
        s.paths = paths.iter().map(|p| p.to_string()).collect();
        s.tags = tags.iter().map(|t| t.to_string()).collect();
        s
    }

    #[test]
    fn the_same_bytes_as_serde() {
        let snaps = vec![
            snap("a\"b", "2021-01-01T00:00:00Z", "h\\1", &["/x", "/y\n"], &[]),
            snap("c", "2021-01-02T00:00:00+02:00", "", &[], &["t\u{1}", "ü"]),
            snap("d", "2021-01-03T00:00:00Z", "h\\1", &["/x", "/y\n"], &[]),
            snap("e\t", "2021-01-04T00:00:00Z", "h2", &["/x"], &["\u{7f}"]),
        ];
        let by_all = GroupBy { host: true, paths: true, tags: true };
        for (by, keep_none) in [GroupBy::NONE, GroupBy::RESTIC, by_all]
            .into_iter()
            .flat_map(|by| [(by, false), (by, true)])
        {
            // Every other snapshot removed (or all); reasons of none, one
            // and two.
            let p = plan::plan(&snaps, by, |g| {
                (0..g.len())
                    .map(|i| Decision {
                        keep: i % 2 == 0 && !keep_none,
                        reasons: ["r1", "r\"2"][..i % 3]
                            .iter()
                            .map(|r| Reason::from(*r))
                            .collect::<Vec<_>>()
                            .into(),
                    })
                    .collect()
            });
            assert_eq!(written(&p), vz::output::pretty_json(&p), "{by:?} {keep_none}");
        }
        let empty = Plan::default();
        assert_eq!(written(&empty), vz::output::pretty_json(&empty));
    }

    #[test]
    fn escapes() {
        for s in ["plain", "", "a\"b", "back\\slash", "\u{0}\u{1f}", "ü€", "\u{7f}"] {
            assert_eq!(
                needs_escape(s.as_bytes()),
                serde_json::to_string(s).unwrap().len() != s.len() + 2,
                "{s:?}"
            );
        }
    }
}
