//! `borg list --json` output (borg 1.2), read as snapshots.
//!
//! The shape: `{"archives": [{"archive", "barchive", "name", "id", "start",
//! "time", …}], "repository": {…}, "encryption": {…}}` (`borg info --json`
//! has the same `archives` with more fields; fields the reader does not use
//! are ignored, as borg adds them over time).
//!
//! As snapshots an archive is: id = its name (`name`, else `archive`: the
//! name `borg delete ::NAME` takes; borg keeps names unique in a
//! repository), time = `start` (else `time`, which borg 1.2 sets to the
//! start too, and which borg prune buckets by), host = `hostname` when
//! present (`borg info --json`), no paths: one group unless `--group-by`
//! says otherwise.
//!
//! # Times
//!
//! borg 1.2 writes local wall-clock times without an offset
//! (`2025-04-03T04:00:00.000000`): the archive's UTC start shown in the
//! time zone of the `borg` process. vz-backup places them in `--tz`
//! (default: `TZ`, the zone of this process, so run both in the same
//! zone), as `scan` places times in file names; a wall clock that happens
//! twice (the autumn change) is the earlier instant, one that does not
//! happen (the spring change) is moved forward by the gap. A time that
//! carries an offset (borg 2 writes one) keeps it.

use crate::name;
use crate::snapshot::{Snapshot, Stamp, locate, parse_json};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;
use vz::{Error, Location};

#[derive(Deserialize)]
struct List {
    archives: Vec<Archive>,
}

#[derive(Deserialize)]
struct Archive {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    archive: Option<String>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
}

/// Reads the archives of a `borg list --json` (or `borg info --json`)
/// output; wall-clock times are placed in `tz`. `name` is the input's name
/// in messages.
pub fn read(text: &str, name: &str, tz: &TimeZone) -> Result<Vec<Snapshot>, Error> {
    let list: List = parse_json(text, name)?;
    let mut out = Vec::with_capacity(list.archives.len());
    for (i, a) in list.archives.into_iter().enumerate() {
        let invalid = |field: &str, message: String| {
            let path = format!("archives[{i}].{field}");
            let at = if field.is_empty() {
                locate(text, name, &format!("archives[{i}]"), false)
            } else {
                locate(text, name, &path, false)
            };
            Error::Invalid {
                at,
                path: if field.is_empty() { format!("archives[{i}]") } else { path },
                message,
                suggestion: None,
            }
        };
        let (field, id) = match (a.name, a.archive) {
            (Some(n), _) => ("name", n),
            (None, Some(n)) => ("archive", n),
            (None, None) => {
                return Err(invalid("", "an archive without `name` or `archive`".into()));
            }
        };
        if id.trim().is_empty() {
            return Err(invalid(field, "the archive name is empty".into()));
        }
        let (field, time) = match (a.start, a.time) {
            (Some(t), _) => ("start", t),
            (None, Some(t)) => ("time", t),
            (None, None) => {
                return Err(invalid("", format!("archive `{id}` has no `start` or `time`")));
            }
        };
        let time = place(&time, tz).map_err(|m| invalid(field, m))?;
        let mut s = Snapshot::new(id, time);
        s.host = a.hostname.unwrap_or_default();
        out.push(s);
    }
    Ok(out)
}

/// A borg time: with an offset as written, else a wall clock in `tz`.
fn place(text: &str, tz: &TimeZone) -> Result<Stamp, String> {
    if let Ok(stamp) = Stamp::parse(text) {
        return Ok(stamp);
    }
    let civil: DateTime = text.parse().map_err(|e| {
        format!("`{text}` is not a borg time such as 2025-04-03T02:00:00.000000 ({e})")
    })?;
    let zoned = tz
        .to_ambiguous_zoned(civil)
        .compatible()
        .map_err(|e| format!("`{text}` cannot be placed in the time zone: {e}"))?;
    let (instant, offset) = (zoned.timestamp(), zoned.offset());
    Ok(Stamp { text: name::stamp(instant, offset), instant, offset })
}

/// Where an archive list's duplicate name is, for messages.
pub(crate) fn name_location(text: &str, name: &str, i: usize) -> Location {
    locate(text, name, &format!("archives[{i}].name"), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{
    "archives": [
        {
            "archive": "db-2025-04-03",
            "barchive": "db-2025-04-03",
            "id": "f86d7cf5f75341b1c1153ee5c99a1d2d91e026eafefc1e834b8f836f41626608",
            "name": "db-2025-04-03",
            "start": "2025-04-03T04:00:00.000000",
            "time": "2025-04-03T04:00:00.000000"
        },
        {
            "archive": "db-2025-10-26",
            "id": "47381425e95f04df62862918ed445c124b921762973da95be1f573b21898f0fe",
            "time": "2025-10-26T02:30:00.000000"
        }
    ],
    "encryption": {"mode": "none"},
    "repository": {"id": "f955", "last_modified": "2025-10-26T03:00:00.000000", "location": "/r"}
}"#;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    #[test]
    fn wall_clocks_are_placed_in_the_zone() {
        let s = read(LIST, "in", &berlin()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].id, "db-2025-04-03");
        assert_eq!(s[0].time.text, "2025-04-03T04:00:00+02:00");
        assert_eq!(s[0].time.instant.to_string(), "2025-04-03T02:00:00Z");
        // `archive` and `time` when `name` and `start` are missing; 02:30
        // happens twice on 26 October in Berlin: the earlier one.
        assert_eq!(s[1].id, "db-2025-10-26");
        assert_eq!(s[1].time.text, "2025-10-26T02:30:00+02:00");
        let utc = read(LIST, "in", &TimeZone::UTC).unwrap();
        assert_eq!(utc[0].time.text, "2025-04-03T04:00:00Z");
    }

    #[test]
    fn a_gap_moves_forward_and_offsets_are_kept() {
        let gap = r#"{"archives": [{"name": "a", "start": "2025-03-30T02:30:00"},
            {"name": "b", "start": "2025-03-30T02:30:00+05:00"}]}"#;
        let s = read(gap, "in", &berlin()).unwrap();
        assert_eq!(s[0].time.text, "2025-03-30T03:30:00+02:00");
        assert_eq!(s[1].time.text, "2025-03-30T02:30:00+05:00");
    }

    #[test]
    fn bad_archives_say_where_and_which_field() {
        let err = |text: &str| read(text, "in", &TimeZone::UTC).err().unwrap().to_string();
        let bad_time = "{\"archives\": [\n  {\"name\": \"a\", \"start\": \"yesterday\"}]}";
        let e = err(bad_time);
        assert!(e.contains("in:2:"), "{e}");
        assert!(e.contains("archives[0].start"), "{e}");
        assert!(e.contains("yesterday"), "{e}");
        let e = err("{\"archives\": [{\"start\": \"2025-04-03T04:00:00\"}]}");
        assert!(e.contains("archives[0]") && e.contains("`name`"), "{e}");
        let e = err("{\"archives\": [{\"name\": \"a\"}]}");
        assert!(e.contains("no `start`"), "{e}");
        let e = err("{\"archives\": [{\"name\": 3, \"start\": \"2025-04-03T04:00:00\"}]}");
        assert!(e.contains("archives[0].name"), "{e}");
        let e = err("{\"archives\": {}}");
        assert!(e.contains("archives"), "{e}");
    }
}
