//! The canonical JSON output: [`Merged`] as `serde_json::to_writer_pretty`
//! writes it, byte for byte, with the findings (nearly all of a large
//! output) rendered on every core, a chunk at a time, and written in order.
//! At most a chunk per core is held besides what is being written.

use super::{Counts, Disagreement, Gate, IgnoreAudit, Ignored, InputInfo, Merged};
use crate::merge::Finding;
use serde::Serialize;
use std::io::{self, Write};
use std::sync::mpsc;

/// Findings per chunk: small enough to keep the cores busy and memory
/// flat, large enough that handing a chunk over costs nothing.
const CHUNK: usize = 256;

/// The indentation of a finding in the document (`findings` is a field of
/// the top-level object).
const INDENT: &[u8] = b"    ";

/// Writes `merged` as pretty JSON and a final newline.
pub fn write(merged: &Merged, out: &mut dyn Write) -> io::Result<()> {
    // Every field but the findings, in `Merged`'s order and with its
    // attributes (naming them all makes a new field a compile error here).
    #[derive(Serialize)]
    struct Rest<'a> {
        counts: &'a Counts,
        disagreements: &'a [Disagreement],
        ignored: &'a [Ignored],
        ignores: &'a IgnoreAudit,
        #[serde(skip_serializing_if = "Option::is_none")]
        fixed: Option<&'a Vec<Finding>>,
        inputs: &'a [InputInfo],
        gate: &'a Gate,
    }
    let Merged { findings, counts, disagreements, ignored, ignores, fixed, inputs, gate } = merged;
    let rest =
        Rest { counts, disagreements, ignored, ignores, fixed: fixed.as_ref(), inputs, gate };

    out.write_all(b"{\n  \"findings\": [")?;
    if !findings.is_empty() {
        write_findings(findings, out)?;
        out.write_all(b"\n  ]")?;
    } else {
        out.write_all(b"]")?;
    }
    // `rest` is an object of its own: its fields follow the findings, its
    // opening brace left out. (It can be large too: hidden findings.)
    out.write_all(b",")?;
    let mut rest_out = io::BufWriter::with_capacity(64 * 1024, SkipFirst { out, skipped: false });
    serde_json::to_writer_pretty(&mut rest_out, &rest).map_err(io::Error::from)?;
    rest_out.write_all(b"\n")?;
    rest_out.flush()
}

/// Passes everything on but the first byte written.
struct SkipFirst<'w> {
    out: &'w mut dyn Write,
    skipped: bool,
}

impl Write for SkipFirst<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.skipped || buf.is_empty() {
            return self.out.write(buf);
        }
        self.skipped = true;
        Ok(1 + self.out.write(&buf[1..])?)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The findings, each on its own lines after a comma (none before the
/// first), indented as the array's elements.
fn write_findings(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    let chunks: Vec<&[Finding]> = findings.chunks(CHUNK).collect();
    let threads = vz::cores().min(chunks.len());
    if threads < 2 {
        for (k, chunk) in chunks.iter().enumerate() {
            out.write_all(&render(chunk, k == 0)?)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        // Helper `h` renders chunks h, h + threads, …, and hands each over
        // through its own channel; one waiting chunk each keeps memory flat.
        let mut from = Vec::new();
        for h in 1..threads {
            let (send, receive) = mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
            let chunks = &chunks;
            scope.spawn(move || {
                for k in (h..chunks.len()).step_by(threads) {
                    // A closed channel: the writer stopped (a closed pipe).
                    if send.send(render(chunks[k], false)).is_err() {
                        return;
                    }
                }
            });
            from.push(receive);
        }
        for (k, chunk) in chunks.iter().enumerate() {
            let text = match k % threads {
                0 => render(chunk, k == 0)?,
                h => from[h - 1]
                    .recv()
                    .map_err(|_| io::Error::other("a helper thread stopped"))??,
            };
            out.write_all(&text)?;
        }
        Ok(())
    })
}

/// A chunk of findings as the array's elements: `,` (unless `first`), a new
/// line and the indentation before each, and every line of it indented.
/// JSON strings hold no raw line feed, so each one in a finding's text
/// starts a line.
fn render(chunk: &[Finding], first: bool) -> io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(chunk.len() * 2048);
    let mut one = Vec::with_capacity(4096);
    for (i, finding) in chunk.iter().enumerate() {
        text.extend_from_slice(if first && i == 0 { b"\n" } else { b",\n" });
        text.extend_from_slice(INDENT);
        one.clear();
        serde_json::to_writer_pretty(&mut one, finding).map_err(io::Error::from)?;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &one) {
            text.extend_from_slice(&one[start..=end]);
            text.extend_from_slice(INDENT);
            start = end + 1;
        }
        text.extend_from_slice(&one[start..]);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, write};
    use crate::merge::Finding;
    use crate::model::Severity;
    use crate::report::Merged;
    use crate::report::sarif::fixture::{empty, finding, gate, merged, sample};

    /// What serde_json writes for the whole value, and what `write` does.
    fn both(m: &Merged) -> (String, String) {
        let mut want = serde_json::to_vec_pretty(m).expect("serialises");
        want.push(b'\n');
        let mut got = Vec::new();
        write(m, &mut got).expect("writes");
        (String::from_utf8(want).expect("utf-8"), String::from_utf8(got).expect("utf-8"))
    }

    #[test]
    fn the_same_bytes_as_serde_json_for_every_shape() {
        // No findings; every field set (ignored findings, a baseline's fixed
        // ones, a title with a line feed and quotes); no `fixed`.
        let mut no_baseline = sample();
        no_baseline.fixed = None;
        for m in [empty(), sample(), no_baseline] {
            let (want, got) = both(&m);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn many_chunks_come_out_in_order() {
        // Chunks rendered on every core, written in order: a chunk and a
        // half, several chunks, and one finding past a whole chunk.
        for n in [CHUNK + CHUNK / 2, 5 * CHUNK + 3, CHUNK + 1] {
            let findings: Vec<Finding> = (0..n)
                .map(|i| {
                    let id = format!("CVE-2024-{i}");
                    finding(&id, "pkg", "1.0", Severity::High, "app:1")
                })
                .collect();
            let g = gate(Some(Severity::High), &findings);
            let (want, got) = both(&merged(findings, g));
            assert_eq!(got, want, "{n} findings");
        }
    }
}
