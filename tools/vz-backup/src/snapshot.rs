//! The snapshot model and its readers.
//!
//! A [`Snapshot`] is one backup: an id, a time that keeps the UTC offset it
//! was written with (restic buckets by the wall clock in that offset), the
//! group fields restic knows (host, paths, tags) and, for files, size,
//! checksum and path.
//!
//! Inputs, detected from their content (`--from` overrides):
//!
//! - `restic snapshots --json`: an array of restic snapshot objects (fields
//!   restic adds in later versions are ignored), or the array of
//!   `{group_key, snapshots}` that `restic snapshots --json --group-by …`
//!   prints. The size of a snapshot is its `summary.total_bytes_processed`
//!   (restic 0.17+), when present.
//! - A vz inventory in JSON: either an array of entries or an object
//!   `{"version": 1, "root": DIR, "created": TIME, "backups": [entries]}`.
//!   An entry is `{"id", "time", "size", "sha256", "host", "paths", "tags",
//!   "path", "mtime"}`; only `id` and `time` are required, and an unknown
//!   field is an error (a typo would otherwise silently change the groups).
//! - A vz inventory in CSV: a header line naming the same columns (`id` and
//!   `time` required, in any order); `paths` and `tags` hold several values
//!   separated by `;`.
//! - `aws s3api list-objects-v2` output (an object with `Contents`, or the
//!   bare array `--query Contents` prints): see [`crate::s3`].
//! - `borg list --json` output (an object with `archives`): see
//!   [`crate::borg_list`]; its wall-clock times are placed in `--tz`.
//!
//! Times are RFC 3339 with an offset (`2025-04-03T02:00:00+02:00`, `…Z`),
//! with up to nine fraction digits.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use vz::error::suggest;
use vz::text::line_col;
use vz::{Error, Location};

/// A point in time as it was written: the text, the instant and the UTC
/// offset of the text (the wall clock restic buckets by).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The time exactly as the input wrote it.
    pub text: String,
    /// The instant.
    pub instant: Timestamp,
    /// The UTC offset written in the text (`Z` is zero).
    pub offset: Offset,
}

impl Stamp {
    /// Parses an RFC 3339 time that carries a UTC offset; the error says
    /// what was expected.
    pub fn parse(text: &str) -> Result<Stamp, String> {
        let quick = parse_rfc3339(text).and_then(|(c, o)| Some((o.to_timestamp(c).ok()?, o)));
        if let Some((instant, offset)) = quick {
            return Ok(Stamp { text: text.to_string(), instant, offset });
        }
        Stamp::parse_with_jiff(text)
    }

    /// Every other shape jiff reads, and the error messages.
    fn parse_with_jiff(text: &str) -> Result<Stamp, String> {
        let bad = |why: &str| {
            format!(
                "`{text}` is not an RFC 3339 time with a UTC offset such as \
                 2025-04-03T02:00:00+02:00 ({why})"
            )
        };
        let pieces = jiff::fmt::temporal::Pieces::parse(text).map_err(|e| bad(&e.to_string()))?;
        let time = pieces.time().ok_or_else(|| bad("no time of day"))?;
        let offset = pieces
            .offset()
            .map(|o| o.to_numeric_offset())
            .ok_or_else(|| bad("no UTC offset: add Z or +HH:MM"))?;
        let instant = offset
            .to_timestamp(pieces.date().to_datetime(time))
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Stamp { text: text.to_string(), instant, offset })
    }

    /// The wall clock in the stamp's own offset.
    pub fn civil(&self) -> DateTime {
        self.offset.to_datetime(self.instant)
    }
}

/// The common shape, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, read
/// quickly; `None` sends anything else (and every error) to jiff's parser.
fn parse_rfc3339(text: &str) -> Option<(DateTime, Offset)> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i32> {
        b.get(from..to)?
            .iter()
            .try_fold(0i32, |n, c| c.is_ascii_digit().then(|| n * 10 + i32::from(c - b'0')))
    };
    let small = |from: usize| -> Option<i8> { i8::try_from(num(from, from + 2)?).ok() };
    let year = i16::try_from(num(0, 4)?).ok()?;
    let (month, day, hour, minute, second) =
        (small(5)?, small(8)?, small(11)?, small(14)?, small(17)?);
    let mut i = 19;
    let mut nanos = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = u32::try_from(i - start).ok()?;
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(start, i)? * 10i32.pow(9 - digits);
    }
    let offset_seconds = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let magnitude = num(i + 1, i + 3)? * 3600 + num(i + 4, i + 6)? * 60;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    let civil = DateTime::new(year, month, day, hour, minute, second, nanos).ok()?;
    Some((civil, Offset::from_seconds(offset_seconds).ok()?))
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrWith("a string", Stamp::parse))
    }
}

/// A visitor that reads a string in place (no copy of its own) with a
/// function that makes the value or says what is wrong.
struct StrWith<F>(&'static str, F);

impl<T, F: FnOnce(&str) -> Result<T, String>> Visitor<'_> for StrWith<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.1)(v).map_err(E::custom)
    }
}

/// One backup: a restic snapshot or an inventory entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The id (restic: 64 hex digits; inventory: any unique text).
    pub id: String,
    /// When the backup was taken.
    pub time: Stamp,
    /// The host (restic's `hostname`).
    pub host: String,
    /// The paths backed up.
    pub paths: Vec<String>,
    /// The tags.
    pub tags: Vec<String>,
    /// Size in bytes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256 of the backup file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Sum>,
    /// The backup file, when the backup is a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Snapshot {
    /// A snapshot with just an id and a time (tests, and inventories
    /// without group fields).
    pub fn new(id: impl Into<String>, time: Stamp) -> Self {
        Snapshot {
            id: id.into(),
            time,
            host: String::new(),
            paths: Vec::new(),
            tags: Vec::new(),
            size: None,
            sha256: None,
            path: None,
        }
    }

    /// How the snapshot is named in messages: restic's 8-digit short id for
    /// a 64-digit hex id, the whole id otherwise.
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }
}

/// A SHA-256 checksum, held as its 32 bytes (a million inventory entries
/// need no million strings for it); written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Sum(pub [u8; 32]);

impl Sha256Sum {
    /// Reads 64 hex digits (either case); the error says what was expected.
    pub fn parse(hex: &str) -> Result<Sha256Sum, String> {
        let bad = || format!("`{hex}` is not a SHA-256 checksum (64 hex digits)");
        let digits = hex.as_bytes();
        if digits.len() != 64 {
            return Err(bad());
        }
        let mut sum = [0; 32];
        // A digit's value is below 16, a non-digit's is 0xff: one test at
        // the end finds any.
        let mut seen = 0;
        for (byte, pair) in sum.iter_mut().zip(digits.chunks_exact(2)) {
            let (hi, lo) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
            seen |= hi | lo;
            *byte = (hi << 4) | lo;
        }
        if seen > 0xf {
            return Err(bad());
        }
        Ok(Sha256Sum(sum))
    }
}

/// The value of each hex digit (either case); 0xff for other bytes.
static HEX: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        table[b'A' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};

impl fmt::Display for Sha256Sum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256Sum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Sum({self})")
    }
}

impl Serialize for Sha256Sum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// restic's short id (the first 8 characters) of a 64-digit hex id; any
/// other id is returned whole.
pub fn short_id(id: &str) -> &str {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) { &id[..8] } else { id }
}

/// Which reader to use (`--from`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// Decide from the content
    #[default]
    Auto,
    /// `restic snapshots --json`
    Restic,
    /// A vz inventory in JSON
    Inventory,
    /// A vz inventory in CSV
    Csv,
    /// `aws s3api list-objects-v2` output
    S3,
    /// `borg list --json` output (borg 1.2)
    Borg,
}

/// The fields of an inventory entry, in the order CSV headers list them.
pub const INVENTORY_FIELDS: [&str; 9] =
    ["id", "time", "size", "sha256", "host", "paths", "tags", "path", "mtime"];

/// Reads every snapshot of one input's text. `name` is the input's name in
/// messages.
pub fn read(text: &str, name: &str, from: Source) -> Result<Vec<Snapshot>, Error> {
    read_detected(text, name, from).map(|(_, snapshots)| snapshots)
}

/// [`read`], and which reader the content (or `from`) chose; borg's wall
/// clocks are placed in the time zone of the process (`TZ`).
pub fn read_detected(
    text: &str,
    name: &str,
    from: Source,
) -> Result<(Source, Vec<Snapshot>), Error> {
    read_detected_in(text, name, from, &jiff::tz::TimeZone::system())
}

/// [`read_detected`], with borg's wall clocks placed in `tz` (`--tz`).
pub fn read_detected_in(
    text: &str,
    name: &str,
    from: Source,
    tz: &jiff::tz::TimeZone,
) -> Result<(Source, Vec<Snapshot>), Error> {
    if text.trim().is_empty() {
        return Err(Error::Parse {
            at: Location::at(name, 1, 1),
            message: "empty input: expected `restic snapshots --json` output or a vz \
                      inventory (JSON or CSV)"
                .into(),
        });
    }
    let from = detect(text, name, from)?;
    let snapshots = match from {
        Source::Restic => read_restic(text, name)?,
        Source::Inventory => read_inventory_json(text, name)?,
        Source::Csv => read_csv(text, name)?,
        Source::S3 => crate::s3::read(text, name)?.snapshots(),
        Source::Borg => crate::borg_list::read(text, name, tz)?,
        Source::Auto => unreachable!("decided by detect"),
    };
    check_unique(&snapshots, text, name, from)?;
    Ok((from, snapshots))
}

/// The reader for a (non-empty) text: `from`, or what the content says.
pub fn detect(text: &str, name: &str, from: Source) -> Result<Source, Error> {
    let json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
        || serde_json::from_str::<IgnoredAny>(text).is_ok();
    let from = match from {
        Source::Auto if json => detect_json(text, name)?,
        Source::Auto if looks_like_csv_header(text) => Source::Csv,
        Source::Auto => {
            return Err(Error::Parse {
                at: first_char(text, name),
                message: "not JSON, and not a CSV inventory (its first line names the \
                          columns, id and time among them): expected `restic snapshots \
                          --json` output or a vz inventory"
                    .into(),
            });
        }
        f => f,
    };
    Ok(from)
}

fn first_char(text: &str, name: &str) -> Location {
    let skipped = text.len() - text.trim_start().len();
    let (line, column) = line_col(text, skipped);
    Location::at(name, line, column)
}

fn looks_like_csv_header(text: &str) -> bool {
    let first = text.trim_start().lines().next().unwrap_or_default();
    let cells: Vec<&str> = first.split(',').map(|c| c.trim().trim_matches('"')).collect();
    cells.contains(&"id") && cells.contains(&"time")
}

// ---------------------------------------------------------------------------
// JSON: detection
// ---------------------------------------------------------------------------

/// What the first look at a JSON text found.
enum Probe {
    Object,
    Array(Option<FirstKeys>),
    Other(&'static str),
}

/// The keys of the first element of an array (or that it is no object).
enum FirstKeys {
    Object(Vec<String>),
    NotObject,
}

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Probe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array or object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Probe::Object)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Probe, A::Error> {
                let first = seq.next_element::<FirstKeys>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Probe::Array(first))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Probe, E> {
                Ok(Probe::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Probe, E> {
                Ok(Probe::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Probe, E> {
                Ok(Probe::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Probe, E> {
                Ok(Probe::Other("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Probe, E> {
                Ok(Probe::Other("a string"))
            }
            fn visit_unit<E>(self) -> Result<Probe, E> {
                Ok(Probe::Other("null"))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for FirstKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(FirstKeys::Object(keys))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstKeys, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstKeys::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<FirstKeys, E> {
                Ok(FirstKeys::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<FirstKeys, E> {
                Ok(FirstKeys::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<FirstKeys, E> {
                Ok(FirstKeys::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<FirstKeys, E> {
                Ok(FirstKeys::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<FirstKeys, E> {
                Ok(FirstKeys::NotObject)
            }
            fn visit_unit<E>(self) -> Result<FirstKeys, E> {
                Ok(FirstKeys::NotObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of a top-level object, read up to `backups`: an object with
/// `backups` is an inventory whatever else it holds ([`object_source`]), so
/// the reading stops there (with an error) rather than skip every entry of
/// a large inventory before the real parse reads them again.
struct TopKeys(Vec<String>);

impl<'de> Deserialize<'de> for TopKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    if k == "backups" {
                        return Err(de::Error::custom("an inventory (it has backups)"));
                    }
                    map.next_value::<IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(TopKeys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// Fields every restic snapshot object carries and an inventory entry never
/// does (`hostname` is not one: it is also a likely typo for `host`).
const RESTIC_ONLY: [&str; 3] = ["tree", "short_id", "group_key"];

/// Fields of a `list-objects-v2` listing (top level) that an inventory
/// never has.
const S3_LISTING: [&str; 8] = [
    "Contents",
    "KeyCount",
    "Name",
    "Prefix",
    "MaxKeys",
    "IsTruncated",
    "RequestCharged",
    "NextToken",
];

/// What the keys of the first element of an array say it is.
fn array_source(keys: &[String]) -> Source {
    if keys.iter().any(|k| RESTIC_ONLY.contains(&k.as_str())) {
        Source::Restic
    } else if keys.iter().any(|k| k == "Key") && keys.iter().any(|k| k == "LastModified") {
        Source::S3
    } else {
        Source::Inventory
    }
}

/// What the keys of a top-level object say it is.
fn object_source(keys: &[String]) -> Source {
    if keys.iter().any(|k| k == "archives") && !keys.iter().any(|k| k == "backups") {
        return Source::Borg;
    }
    let s3 = keys.iter().any(|k| S3_LISTING.contains(&k.as_str()));
    if s3 && !keys.iter().any(|k| k == "backups") { Source::S3 } else { Source::Inventory }
}

/// Restic or inventory, from a first pass that checks the syntax and looks
/// only at the first element's keys.
fn detect_json(text: &str, name: &str) -> Result<Source, Error> {
    // The fast way: look at the first element only; the full parse that
    // follows checks the rest.
    let t = text.trim_start();
    if t.starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(t);
        return Ok(match TopKeys::deserialize(&mut de) {
            Ok(TopKeys(keys)) => object_source(&keys),
            // Stopped at `backups`, or not an object after all: the full
            // parse that follows says what is wrong.
            Err(_) => Source::Inventory,
        });
    }
    if let Some(rest) = t.strip_prefix('[').map(str::trim_start) {
        if rest.starts_with(']') {
            return Ok(Source::Inventory);
        }
        let mut de = serde_json::Deserializer::from_str(rest);
        if let Ok(FirstKeys::Object(keys)) = FirstKeys::deserialize(&mut de) {
            return Ok(array_source(&keys));
        }
    }
    // Anything else is wrong: find out what and where, with a whole pass.
    let mut de = serde_json::Deserializer::from_str(text);
    let probe = Probe::deserialize(&mut de)
        .and_then(|p| de.end().map(|()| p))
        .map_err(|e| json_error(&e, "", name))?;
    match probe {
        Probe::Object => Ok(Source::Inventory),
        Probe::Array(None) => Ok(Source::Inventory),
        Probe::Array(Some(FirstKeys::Object(keys))) => Ok(array_source(&keys)),
        Probe::Array(Some(FirstKeys::NotObject)) => Err(Error::Invalid {
            at: element_location(text, name, 0),
            path: "[0]".into(),
            message: "expected an object (a restic snapshot or an inventory entry)".into(),
            suggestion: None,
        }),
        Probe::Other(what) => Err(Error::Invalid {
            at: first_char(text, name),
            path: String::new(),
            message: format!(
                "expected an array (`restic snapshots --json`) or an object (a vz \
                 inventory), found {what}"
            ),
            suggestion: None,
        }),
    }
}

/// Where element `i` of a top-level JSON array starts (the slow path: only
/// for messages).
fn element_location(text: &str, name: &str, i: usize) -> Location {
    locate(text, name, &format!("[{i}]"), false)
}

/// The location of the value (or key) at `path` in a JSON text, found by
/// reparsing with locations; the input's start when not found.
pub(crate) fn locate(text: &str, name: &str, path: &str, key: bool) -> Location {
    locate_exactly(text, name, path, key).unwrap_or_else(|| Location::at(name, 1, 1))
}

/// The location of the value (or key) at `path`, if the reparse finds it.
fn locate_exactly(text: &str, name: &str, path: &str, key: bool) -> Option<Location> {
    if path.is_empty() {
        return None;
    }
    let docs = vz::input::parse_documents(text, name, vz::input::Locate::Everything).ok()?;
    let doc = docs.into_iter().next()?;
    let (line, column) = if key { doc.map.key(path) } else { doc.map.value(path) }?;
    Some(Location::at(name, line, column))
}

// ---------------------------------------------------------------------------
// JSON: restic
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct ResticSnapshot {
    time: Stamp,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    paths: Option<Strings>,
    #[serde(default)]
    tags: Option<Strings>,
    id: NonEmpty,
    #[serde(default)]
    summary: Option<ResticSummary>,
}

/// The part of restic's `summary` (0.17+) vz reads: the bytes the backup
/// processed, the size of what was backed up.
#[derive(Deserialize)]
struct ResticSummary {
    #[serde(default)]
    total_bytes_processed: Option<u64>,
}

#[derive(Deserialize)]
struct ResticGroup {
    #[allow(dead_code)] // required, so that a plain snapshot is not taken for a group
    group_key: IgnoredAny,
    snapshots: Vec<ResticSnapshot>,
}

/// restic's two shapes: plain, or grouped by `--group-by`.
enum ResticList {
    Plain(Vec<ResticSnapshot>),
    Grouped(Vec<ResticGroup>),
}

/// Whether a restic listing is the grouped one (`restic snapshots --json
/// --group-by …`), which starts with `[{"group_key"`.
fn restic_grouped(text: &str) -> bool {
    let t = text.trim_start().trim_start_matches('[').trim_start();
    t.trim_start_matches('{').trim_start().starts_with("\"group_key\"")
}

fn read_restic(text: &str, name: &str) -> Result<Vec<Snapshot>, Error> {
    let list = if restic_grouped(text) {
        ResticList::Grouped(parse_json(text, name)?)
    } else {
        ResticList::Plain(parse_json(text, name)?)
    };
    let plain = match list {
        ResticList::Plain(all) => all,
        ResticList::Grouped(groups) => groups.into_iter().flat_map(|g| g.snapshots).collect(),
    };
    Ok(plain
        .into_iter()
        .map(|s| Snapshot {
            id: s.id.0,
            time: s.time,
            host: s.hostname.unwrap_or_default(),
            paths: s.paths.map(|p| p.0).unwrap_or_default(),
            tags: s.tags.map(|t| t.0).unwrap_or_default(),
            size: s.summary.and_then(|m| m.total_bytes_processed),
            sha256: None,
            path: None,
        })
        .collect())
}

/// A list of strings (paths, tags) in no more room than it needs: mostly
/// one path, which a growing vector would give room for four.
struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let Some(first) = seq.next_element::<String>()? else {
                    return Ok(Strings(Vec::new()));
                };
                let Some(second) = seq.next_element::<String>()? else {
                    return Ok(Strings(vec![first]));
                };
                let mut all = vec![first, second];
                while let Some(s) = seq.next_element()? {
                    all.push(s);
                }
                Ok(Strings(all))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A string that must not be empty.
struct NonEmpty(String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(de::Error::custom("the id is empty"));
        }
        Ok(NonEmpty(s))
    }
}

impl<'de> Deserialize<'de> for Sha256Sum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrWith("a string", Sha256Sum::parse))
    }
}

// ---------------------------------------------------------------------------
// JSON: vz inventory
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: NonEmpty,
    time: Stamp,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    sha256: Option<Sha256Sum>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    paths: Option<Strings>,
    #[serde(default)]
    tags: Option<Strings>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // validated here; `verify` and `check` read it
    mtime: Option<Stamp>,
}

/// The fields of the inventory object around its entries.
const DOCUMENT_FIELDS: [&str; 4] = ["version", "root", "created", "backups"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    #[allow(dead_code)] // informative: where `scan` walked
    root: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // informative: when `scan` walked
    created: Option<Stamp>,
    backups: Entries,
}

/// An inventory's entries, made snapshots as they are read (no list of
/// entries first: a large inventory is held once).
struct Entries(Vec<Snapshot>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entries, A::Error> {
                let mut all = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(e) = seq.next_element::<Entry>()? {
                    all.push(e.into_snapshot());
                }
                Ok(Entries(all))
            }
        }
        d.deserialize_seq(V)
    }
}

impl Entry {
    fn into_snapshot(self) -> Snapshot {
        Snapshot {
            id: self.id.0,
            time: self.time,
            host: self.host.unwrap_or_default(),
            paths: self.paths.map(|p| p.0).unwrap_or_default(),
            tags: self.tags.map(|t| t.0).unwrap_or_default(),
            size: self.size,
            sha256: self.sha256,
            path: self.path,
        }
    }
}

fn read_inventory_json(text: &str, name: &str) -> Result<Vec<Snapshot>, Error> {
    let entries = if text.trim_start().starts_with('{') {
        let doc: Document = parse_json(text, name)?;
        if let Some(v) = doc.version.filter(|v| *v != 1) {
            return Err(Error::Invalid {
                at: locate(text, name, "version", false),
                path: "version".into(),
                message: format!("inventory version {v} is not supported (this vz-backup reads 1)"),
                suggestion: None,
            });
        }
        doc.backups
    } else {
        parse_json::<Entries>(text, name)?
    };
    Ok(entries.0)
}

/// Deserialises `text`, turning an error into one with the input, line,
/// column and the field's path.
pub(crate) fn parse_json<T: de::DeserializeOwned>(text: &str, name: &str) -> Result<T, Error> {
    // Fast without tracking paths; on an error, again with them.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let mut err = json_error(e.inner(), &path, name);
        // serde points after the value (or key); point at its start.
        if let Error::Invalid { at, message, .. } = &mut err {
            let key = message.starts_with("unknown field");
            if let Some(found) = locate_exactly(text, name, &path, key) {
                *at = found;
            }
        }
        err
    })?;
    de.end().map_err(|e| json_error(&e, "", name))?;
    Ok(value)
}

fn json_error(e: &serde_json::Error, path: &str, name: &str) -> Error {
    use serde_json::error::Category;
    // serde_json says column 0 at the start of an empty last line.
    let at = Location::at(name, e.line(), e.column().max(1));
    let message = vz::input::json_message(e);
    match e.classify() {
        Category::Eof => {
            Error::Parse { at, message: format!("{message} (the input is cut short)") }
        }
        Category::Syntax | Category::Io => Error::Parse { at, message },
        Category::Data => {
            let (message, suggestion) = explain_unknown_field(&message, path);
            Error::Invalid { at, path: path.to_string(), message, suggestion }
        }
    }
}

/// serde's "unknown field `x`, expected one of …" said shortly, with the
/// near miss.
fn explain_unknown_field(message: &str, path: &str) -> (String, Option<String>) {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return (message.to_string(), None);
    };
    let field = rest.split('`').next().unwrap_or_default();
    // Inside an entry the path has an index (`[3].x`, `backups[3].x`).
    let (what, known): (&str, &[&str]) = if path.contains('[') {
        ("an inventory entry has", &INVENTORY_FIELDS)
    } else {
        ("an inventory has", &DOCUMENT_FIELDS)
    };
    (
        format!("unknown field `{field}` ({what} {})", known.join(", ")),
        suggest(field, known.iter().copied()),
    )
}

// ---------------------------------------------------------------------------
// CSV inventory
// ---------------------------------------------------------------------------

fn read_csv(text: &str, name: &str) -> Result<Vec<Snapshot>, Error> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(&e, text, name))?.clone();
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        let Some(known) = INVENTORY_FIELDS.iter().find(|f| **f == h) else {
            let (line, column) = field_position(text, 0, i);
            return Err(Error::Invalid {
                at: Location::at(name, line, column),
                path: h.to_string(),
                message: format!(
                    "unknown column `{h}` (an inventory has {})",
                    INVENTORY_FIELDS.join(", ")
                ),
                suggestion: suggest(h, INVENTORY_FIELDS),
            });
        };
        if columns.insert(known, i).is_some() {
            let (line, column) = field_position(text, 0, i);
            return Err(Error::Invalid {
                at: Location::at(name, line, column),
                path: h.to_string(),
                message: format!("column `{h}` appears twice"),
                suggestion: None,
            });
        }
    }
    for required in ["id", "time"] {
        if !columns.contains_key(required) {
            return Err(Error::Invalid {
                at: Location::at(name, 1, 1),
                path: required.to_string(),
                message: format!(
                    "the header has no `{required}` column (id and time are required)"
                ),
                suggestion: None,
            });
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, text, name))?;
        let start = record.position().map_or(0, |p| line_start(text, p.line()));
        let cell = |field: &str| columns.get(field).and_then(|i| record.get(*i).map(|v| (*i, v)));
        let fail = |field: &str, message: String| {
            let i = columns.get(field).copied().unwrap_or(0);
            let (line, column) = field_position(text, start, i);
            Error::Invalid {
                at: Location::at(name, line, column),
                path: field.to_string(),
                message,
                suggestion: None,
            }
        };
        let id = cell("id").map(|(_, v)| v.trim()).unwrap_or_default();
        if id.is_empty() {
            return Err(fail("id", "the id is empty".into()));
        }
        let time = cell("time").map(|(_, v)| v.trim()).unwrap_or_default();
        let time = Stamp::parse(time).map_err(|m| fail("time", m))?;
        let mut snapshot = Snapshot::new(id, time);
        if let Some((_, v)) = cell("size").filter(|(_, v)| !v.trim().is_empty()) {
            snapshot.size = Some(v.trim().parse().map_err(|_| {
                fail("size", format!("`{v}` is not a size in bytes (a whole number)"))
            })?);
        }
        if let Some((_, v)) = cell("sha256").filter(|(_, v)| !v.trim().is_empty()) {
            snapshot.sha256 = Some(Sha256Sum::parse(v.trim()).map_err(|m| fail("sha256", m))?);
        }
        if let Some((_, v)) = cell("mtime").filter(|(_, v)| !v.trim().is_empty()) {
            Stamp::parse(v.trim()).map_err(|m| fail("mtime", m))?;
        }
        snapshot.host = cell("host").map(|(_, v)| v.trim().to_string()).unwrap_or_default();
        snapshot.paths = cell("paths").map(|(_, v)| split_list(v)).unwrap_or_default();
        snapshot.tags = cell("tags").map(|(_, v)| split_list(v)).unwrap_or_default();
        snapshot.path = cell("path").map(|(_, v)| v.to_string()).filter(|v| !v.is_empty());
        out.push(snapshot);
    }
    Ok(out)
}

/// `a;b` → `[a, b]`; an empty cell is an empty list.
fn split_list(cell: &str) -> Vec<String> {
    cell.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn csv_error(e: &csv::Error, text: &str, name: &str) -> Error {
    let (at, message) = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
            let start = pos.as_ref().map_or(0, |p| line_start(text, p.line()));
            let (line, column) = line_col(text, start);
            (
                Location::at(name, line, column),
                format!("this row has {len} fields, the header {expected_len}"),
            )
        }
        csv::ErrorKind::Utf8 { pos, err } => {
            let line = pos.as_ref().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
            (Location::at(name, line, 0), format!("field {} is not UTF-8", err.field() + 1))
        }
        _ => (Location::input(name), e.to_string()),
    };
    Error::Parse { at, message }
}

/// The byte offset where 1-based `line` starts.
fn line_start(text: &str, line: u64) -> usize {
    let skip = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
    if skip == 0 {
        return 0;
    }
    text.match_indices('\n').nth(skip - 1).map_or(text.len(), |(i, _)| i + 1)
}

/// The line and column where field `index` of the CSV record starting at
/// byte `start` begins (quote-aware).
fn field_position(text: &str, start: usize, index: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut i = start.min(bytes.len());
    let mut field = 0;
    let mut in_quotes = false;
    while field < index && i < bytes.len() {
        match bytes[i] {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => field += 1,
            b'\n' if !in_quotes => break,
            _ => {}
        }
        i += 1;
    }
    line_col(text, i)
}

// ---------------------------------------------------------------------------
// Checks across entries
// ---------------------------------------------------------------------------

fn check_unique(snapshots: &[Snapshot], text: &str, name: &str, from: Source) -> Result<(), Error> {
    let Some((i, first)) = first_duplicate(snapshots) else {
        return Ok(());
    };
    let at = match from {
        Source::Csv => {
            // Header on line 1; assumes one line per row, which holds
            // unless a cell holds a line break.
            Location::at(name, i + 2, 1)
        }
        Source::Borg => crate::borg_list::name_location(text, name, i),
        _ if text.trim_start().starts_with('{') => {
            locate(text, name, &format!("backups[{i}].id"), false)
        }
        Source::Restic if restic_grouped(text) => Location::input(name),
        _ => locate(text, name, &format!("[{i}].id"), false),
    };
    Err(Error::Invalid {
        at,
        path: "id".into(),
        message: format!(
            "duplicate id `{}` (entry {} has it too): ids must be unique",
            snapshots[i].id,
            first + 1
        ),
        suggestion: None,
    })
}

/// The first snapshot whose id an earlier one has, and that earlier one.
///
/// Sorted hashes rather than a hash table: the ids are read once, in
/// order, and the sort works in a compact array, where a table of a
/// million ids costs a cache miss or two per id. The hash is keyed at
/// random (SipHash, as `HashMap`'s), so no input makes distinct ids collide
/// on purpose; ids with equal hashes are compared.
pub(crate) fn first_duplicate(snapshots: &[Snapshot]) -> Option<(usize, usize)> {
    use std::hash::BuildHasher as _;
    let keyed = std::hash::RandomState::new();
    let mut hashes: Vec<(u64, usize)> =
        snapshots.iter().enumerate().map(|(i, s)| (keyed.hash_one(s.id.as_str()), i)).collect();
    hashes.sort_unstable();
    let mut found: Option<(usize, usize)> = None;
    for run in hashes.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        // In index order: the first one that has an earlier twin is the
        // run's answer.
        let twin = run.iter().enumerate().skip(1).find_map(|(k, &(_, i))| {
            let id = &snapshots[i].id;
            run[..k].iter().find(|(_, j)| snapshots[*j].id == *id).map(|&(_, j)| (i, j))
        });
        if let Some((i, j)) = twin.filter(|(i, _)| found.is_none_or(|(f, _)| *i < f)) {
            found = Some((i, j));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_ok(text: &str) -> Vec<Snapshot> {
        read(text, "in", Source::Auto).unwrap_or_else(|e| panic!("{e}"))
    }

    fn read_err(text: &str) -> String {
        read(text, "in", Source::Auto).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn checksums() {
        let hex = "E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let sum = Sha256Sum::parse(hex).unwrap();
        assert_eq!(sum.to_string(), hex.to_ascii_lowercase());
        assert_eq!(sum.0[0], 0xe3);
        for bad in [&hex[1..], &hex.replace('E', "g"), &hex.replace('E', "ü")[..64], ""] {
            assert!(Sha256Sum::parse(bad).unwrap_err().contains("is not a SHA-256"), "{bad}");
        }
    }

    #[test]
    fn the_first_duplicate_and_its_twin() {
        let t = Stamp::parse("2025-04-03T02:00:00Z").unwrap();
        let of = |ids: &[&str]| {
            first_duplicate(&ids.iter().map(|id| Snapshot::new(*id, t.clone())).collect::<Vec<_>>())
        };
        assert_eq!(of(&["a", "b", "c", "b", "a", "c"]), Some((3, 1)));
        assert_eq!(of(&["a", "a", "a"]), Some((1, 0)));
        assert_eq!(of(&["a", "b", "c"]), None);
        assert_eq!(of(&[]), None);
    }

    #[test]
    fn stamps_keep_their_offset() {
        let s = Stamp::parse("2021-01-01T23:00:00-05:00").unwrap();
        assert_eq!(s.instant.to_string(), "2021-01-02T04:00:00Z");
        assert_eq!(s.civil().to_string(), "2021-01-01T23:00:00");
        let s = Stamp::parse("2022-10-03T14:34:16.15427082+02:00").unwrap();
        assert_eq!(s.instant.subsec_nanosecond(), 154_270_820);
        assert!(Stamp::parse("2021-01-01T23:00:00").unwrap_err().contains("no UTC offset"));
        assert!(Stamp::parse("2021-01-01").is_err());
        assert!(Stamp::parse("yesterday").is_err());
    }

    proptest::proptest! {
        #[test]
        fn the_quick_time_reader_agrees_with_jiff(
            y in 1i32..9999, mo in 1i32..13, d in 1i32..29, h in 0i32..24, mi in 0i32..60,
            sec in 0i32..60, frac in proptest::option::of((1u32..10, 0u32..1_000_000_000)),
            off in proptest::option::of(-23 * 60i32..24 * 60),
        ) {
            let mut text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}");
            if let Some((digits, n)) = frac {
                let digits = usize::try_from(digits).unwrap_or(9);
                text.push_str(&format!(".{:09}", n)[..=digits]);
            }
            match off {
                None => text.push('Z'),
                Some(m) => text.push_str(&format!(
                    "{}{:02}:{:02}", if m < 0 { '-' } else { '+' }, m.abs() / 60, m.abs() % 60
                )),
            }
            let quick = parse_rfc3339(&text).and_then(|(c, o)| Some((o.to_timestamp(c).ok()?, o)));
            let slow = Stamp::parse_with_jiff(&text).map(|s| (s.instant, s.offset)).ok();
            proptest::prop_assert_eq!(quick, slow, "{}", text);
        }
    }

    #[test]
    fn reads_restic_snapshots() {
        let text = r#"[{"time":"2021-01-01T00:10:00+05:30","tree":"c6","paths":["/a.txt"],
            "hostname":"h1","username":"root","id":"6652374126adc0e5b35ebf02dd9476831acdfae6987e1dc273905f4b268e53da","short_id":"66523741"},
            {"time":"2020-12-31T23:30:00-05:00","tree":"e6","paths":["/a.txt"],"hostname":"h1",
            "tags":["x","y"],"id":"28177856160db86bf52fc1372d151656f59068b10d64d38a05e2a13411aedb7b","summary":{"a":1}}]"#;
        let all = read_ok(text);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].short_id(), "66523741");
        assert_eq!(all[1].tags, ["x", "y"]);
        assert_eq!(all[0].host, "h1");
    }

    #[test]
    fn reads_grouped_restic_snapshots() {
        let text = r#"[{"group_key":{"hostname":"h1","paths":["/a"],"tags":null},
            "snapshots":[{"time":"2021-01-01T00:10:00Z","tree":"c6","paths":["/a"],"hostname":"h1","id":"a1"}]}]"#;
        assert_eq!(read_ok(text)[0].id, "a1");
    }

    #[test]
    fn reads_inventories_in_both_json_shapes_and_csv() {
        let arr = r#"[{"id":"db-1.dump","time":"2025-04-03T02:00:00+02:00","size":10,"host":"db","paths":["/pg"]}]"#;
        let obj = r#"{"version":1,"root":"/b","backups":[{"id":"db-1.dump","time":"2025-04-03T02:00:00+02:00","size":10,"host":"db","paths":["/pg"]}]}"#;
        let csv = "id,time,size,host,paths,tags\ndb-1.dump,2025-04-03T02:00:00+02:00,10,db,/pg,\n";
        let a = read_ok(arr);
        assert_eq!(a, read_ok(obj));
        assert_eq!(a, read_ok(csv));
        assert_eq!(a[0].size, Some(10));
        assert_eq!(a[0].short_id(), "db-1.dump");
    }

    #[test]
    fn bad_inputs_say_where_and_what() {
        assert_eq!(
            read_err("  \n"),
            "in:1:1: empty input: expected `restic snapshots --json` output or a vz inventory (JSON or CSV)"
        );
        assert_eq!(
            read_err("[{\"id\": \"a\",\n"),
            "in:2:1: EOF while parsing a value (the input is cut short)"
        );
        assert_eq!(
            read_err("[{\"id\":\"a\",\"time\":\"2025-04-03T02:00:00Z\",\"hostnme\":\"x\"}]"),
            "in:1:42: [0].hostnme: unknown field `hostnme` (an inventory entry has id, time, size, \
             sha256, host, paths, tags, path, mtime) (did you mean `host`?)"
        );
        assert!(
            read_err("[{\"id\":\"a\",\n \"time\":\"2025-04-03T02:00:00\"}]")
                .starts_with("in:2:9: [0].time: `2025-04-03T02:00:00` is not an RFC 3339 time")
        );
        assert_eq!(
            read_err(
                "[{\"id\":\"a\",\"time\":\"2025-04-03T02:00:00Z\"},\n{\"id\":\"a\",\"time\":\"2025-04-03T03:00:00Z\"}]"
            ),
            "in:2:7: id: duplicate id `a` (entry 1 has it too): ids must be unique"
        );
        assert_eq!(
            read_err("42"),
            "in:1:1: expected an array (`restic snapshots --json`) or an object (a vz inventory), found a number"
        );
        assert_eq!(
            read_err("hello world"),
            "in:1:1: not JSON, and not a CSV inventory (its first line names the columns, id and time among them): expected `restic snapshots --json` output or a vz inventory"
        );
        assert_eq!(
            read_err("id,time,sise\na,2025-04-03T02:00:00Z,1\n"),
            "in:1:9: sise: unknown column `sise` (an inventory has id, time, size, sha256, host, paths, tags, path, mtime) (did you mean `size`?)"
        );
        assert_eq!(
            read_err("id,time,size\na,2025-04-03T02:00:00Z,1\nb,\"2025-04-03T03:00:00Z\",big\n"),
            "in:3:26: size: `big` is not a size in bytes (a whole number)"
        );
        assert_eq!(
            read_err("id,time\na,2025-04-03T02:00:00Z,1\n"),
            "in:2:1: this row has 3 fields, the header 2"
        );
        assert_eq!(
            read_err("{\"backups\": [], \"rooot\": 1}"),
            "in:1:17: rooot: unknown field `rooot` (an inventory has version, root, created, backups) (did you mean `root`?)"
        );
    }
}
