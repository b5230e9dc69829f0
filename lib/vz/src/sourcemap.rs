//! Where each value and each key of a document stands in its source, by path
//! (`services.app.replicas`, `ports[0].name`; see [`crate::path`]): what
//! messages point into the user's file with.
//!
//! The readers record every node of every input (tens of thousands per
//! megabyte of manifests) and a run looks up a few: paths are kept as 64-bit
//! hashes rather than as text, one table lookup each. A path's hash is made
//! a segment at a time ([`PathHash`]): a reader going down a document hashes
//! each key once, with no path written out per node; a lookup reads its path
//! once, segment by segment. Two paths of one document with the same hash
//! (odds below one in ten million for a document of a million nodes) would
//! share a place: a message could point at the wrong line, never read a
//! wrong value.

use crate::path::Step;
use std::collections::HashMap;
use std::sync::Arc;

/// A fixed hasher: a path hashes the same in every map, so maps compare
/// equal and an item of a list finds its places in its list's tables.
type Hasher = foldhash::fast::FixedState;

/// Path hash → (line, column), both 1-based.
type Places = HashMap<u64, (u32, u32), Hasher>;

/// The places of a document's values and keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    /// The places, shared by the items of a kubectl list with their list.
    tables: Arc<Tables>,
    /// Where this document stands inside the one its places were read from
    /// (`items[3]` for an item of a list); the root for a whole document.
    prefix: PathHash,
    /// How many values the document has.
    len: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tables {
    values: Places,
    keys: Places,
}

impl SourceMap {
    /// The line and column of the value at `path`, or of its nearest ancestor
    /// that has one.
    pub fn value(&self, path: &str) -> Option<(usize, usize)> {
        // The deepest level of the path that has a place: nearly always the
        // path itself, so the levels are kept (the first sixteen; beyond,
        // each is looked up on the way) and looked up from the deepest.
        let values = &self.tables.values;
        let mut levels = [self.prefix; 16];
        let (mut n, mut beyond) = (1, None);
        self.prefix.walk(path, |h| {
            if n < levels.len() {
                levels[n] = h;
                n += 1;
            } else if let Some(at) = values.get(&h.0) {
                beyond = Some(at);
            }
        })?;
        let place = beyond.or_else(|| levels[..n].iter().rev().find_map(|h| values.get(&h.0)));
        place.map(|&at| widen(at))
    }

    /// The line and column of the key holding `path` (falls back to the value).
    pub fn key(&self, path: &str) -> Option<(usize, usize)> {
        let place = self.prefix.join(path).and_then(|h| self.tables.keys.get(&h.0));
        match place {
            Some(&at) => Some(widen(at)),
            None => self.value(path),
        }
    }

    /// How many values the document has (a measure of its size).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no value of the document has a place.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Moves every place `lines` lines down: for a part of a stream read on
    /// its own.
    pub fn shift_lines(&mut self, lines: usize) {
        let lines = narrow(lines);
        let tables = Arc::make_mut(&mut self.tables);
        for at in tables.values.values_mut().chain(tables.keys.values_mut()) {
            at.0 = at.0.saturating_add(lines);
        }
    }

    /// The map of the value at `path` (a relative path to the root of the
    /// document), which has `len` values: for the items of a kubectl list,
    /// each made a document of its own. The places are shared, not copied;
    /// a path that is not one finds none.
    pub fn at_path(&self, path: &str, len: usize) -> SourceMap {
        let prefix = self.prefix.join(path).unwrap_or(PathHash::NOWHERE);
        SourceMap { tables: Arc::clone(&self.tables), prefix, len }
    }
}

/// The hash of a path ([`crate::path`]'s `a.b[0]["c.d"]`), made a segment
/// at a time: [`PathHash::key`] and [`PathHash::index`] go down a level, as
/// [`crate::path::key`] and [`crate::path::index`] write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathHash(u64);

impl Default for PathHash {
    fn default() -> Self {
        PathHash::ROOT
    }
}

impl PathHash {
    /// The root of a document (the empty path).
    pub const ROOT: PathHash = PathHash(0x243f_6a88_85a3_08d3);
    /// No path: what a path that does not parse hashes to in a lookup.
    const NOWHERE: PathHash = PathHash(0x1319_8a2e_0370_7344);

    /// The value under `key` of the mapping here.
    pub fn key(self, key: &str) -> PathHash {
        use std::hash::{BuildHasher, Hasher as _};
        let mut h = Hasher::default().build_hasher();
        h.write_u64(self.0);
        h.write(key.as_bytes());
        PathHash(h.finish())
    }

    /// Item `i` of the list here.
    pub fn index(self, i: usize) -> PathHash {
        use std::hash::BuildHasher;
        PathHash(Hasher::default().hash_one((self.0, i)) ^ INDEX)
    }

    /// The path `path` below this one (`None` if it is not a path as
    /// [`crate::path`] writes them).
    pub fn join(self, path: &str) -> Option<PathHash> {
        let mut last = self;
        self.walk(path, |h| last = h)?;
        Some(last)
    }

    /// The path `path` from the root (`None` if it is not one).
    pub fn of(path: &str) -> Option<PathHash> {
        PathHash::ROOT.join(path)
    }

    /// Goes down `path` from here, a segment at a time, giving each level's
    /// hash to `each`; `None` if `path` is not a path as [`crate::path`]
    /// writes them.
    fn walk(self, path: &str, mut each: impl FnMut(PathHash)) -> Option<()> {
        let mut here = self;
        let walked = crate::path::walk(path, |step| {
            here = match step {
                Step::Key(key) => here.key(&key),
                Step::Index(i) => here.index(i),
            };
            each(here);
        });
        walked.ok()
    }
}

/// Sets an index's hash apart from a key's.
const INDEX: u64 = 0x8000_0000_0000_0001;

fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn widen((line, column): (u32, u32)) -> (usize, usize) {
    (line as usize, column as usize)
}

/// A document's places as a reader meets them; [`Builder::finish`] makes the
/// map and leaves the builder empty for the next document.
#[derive(Debug, Default)]
pub struct Builder {
    values: Vec<(u64, (u32, u32))>,
    keys: Vec<(u64, (u32, u32))>,
}

impl Builder {
    /// The value at `path` is at `(line, column)`; a later place for the
    /// same path replaces an earlier one.
    pub fn value(&mut self, path: PathHash, (line, column): (usize, usize)) {
        self.values.push((path.0, (narrow(line), narrow(column))));
    }

    /// The key holding `path` is at `(line, column)`.
    pub fn key(&mut self, path: PathHash, (line, column): (usize, usize)) {
        self.keys.push((path.0, (narrow(line), narrow(column))));
    }

    /// The map of the places given since the last `finish`.
    pub fn finish(&mut self) -> SourceMap {
        // Collected in the order given: a later place replaces an earlier.
        let table = |places: &mut Vec<(u64, (u32, u32))>| {
            let mut table = Places::with_capacity_and_hasher(places.len(), Hasher::default());
            table.extend(places.drain(..));
            table
        };
        let values = table(&mut self.values);
        let keys = table(&mut self.keys);
        let len = values.len();
        SourceMap { tables: Arc::new(Tables { values, keys }), prefix: PathHash::ROOT, len }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str) -> PathHash {
        PathHash::of(path).expect("a path")
    }

    fn map() -> SourceMap {
        let mut b = Builder::default();
        b.value(at(""), (1, 1));
        b.key(at("items"), (1, 1));
        b.value(at("items"), (2, 1));
        b.value(at("items[0]"), (2, 3));
        b.key(at("items[0].name"), (2, 3));
        b.value(at("items[0].name"), (2, 9));
        b.value(at("items[1]"), (3, 3));
        b.key(at("items[1][\"a.b\"]"), (3, 3));
        b.value(at("items[1][\"a.b\"]"), (3, 8));
        b.value(at("items[1][\"a.b\"]"), (4, 8));
        b.finish()
    }

    #[test]
    fn places_by_path_with_the_nearest_ancestor_for_the_rest() {
        let m = map();
        assert_eq!(m.value(""), Some((1, 1)));
        assert_eq!(m.value("items[0].name"), Some((2, 9)));
        assert_eq!(m.key("items[0].name"), Some((2, 3)));
        // No key: the value's place.
        assert_eq!(m.key("items[0]"), Some((2, 3)));
        // Not recorded: the nearest ancestor's.
        assert_eq!(m.value("items[0].name.deeper[3]"), Some((2, 9)));
        assert_eq!(m.value("other"), Some((1, 1)));
        // The later of two places for one path.
        assert_eq!(m.value("items[1][\"a.b\"]"), Some((4, 8)));
        assert_eq!(m.len(), 6);
        assert_eq!(SourceMap::default().value(""), None);
        assert!(SourceMap::default().is_empty());
    }

    #[test]
    fn an_item_finds_its_places_in_its_lists() {
        let m = map();
        let item = m.at_path("items[1]", 2);
        assert_eq!(item.value(""), Some((3, 3)));
        assert_eq!(item.value("[\"a.b\"]"), Some((4, 8)));
        assert_eq!(item.key("[\"a.b\"]"), Some((3, 3)));
        // Nothing above the item.
        assert_eq!(item.value("name"), Some((3, 3)));
        assert_eq!(item.len(), 2);
        let first = m.at_path("items[0]", 2);
        assert_eq!(first.value("name"), Some((2, 9)));
        // An item of an item.
        assert_eq!(m.at_path("items", 5).at_path("[0]", 2).value("name"), Some((2, 9)));
    }

    /// A path's hash is its segments' hashes, one at a time: what the
    /// readers make going down a document, and what a lookup reads from
    /// the path's text.
    #[test]
    fn paths_hash_segment_by_segment() {
        let root = PathHash::ROOT;
        assert_eq!(PathHash::of(""), Some(root));
        assert_eq!(PathHash::of("a.b"), Some(root.key("a").key("b")));
        assert_eq!(PathHash::of("a[0].b"), Some(root.key("a").index(0).key("b")));
        assert_eq!(PathHash::of("[3][4]"), Some(root.index(3).index(4)));
        assert_eq!(PathHash::of(r#"a["x.y"]"#), Some(root.key("a").key("x.y")));
        assert_eq!(PathHash::of(r#"["q\"]\\"].c"#), Some(root.key("q\"]\\").key("c")));
        assert_eq!(PathHash::of(r#"[""]"#), Some(root.key("")));
        assert_eq!(root.key("a").join("b[1]"), PathHash::of("a.b[1]"));
        // An index is not the key that spells it, nor a key its parent's.
        assert_ne!(PathHash::of("[0]"), PathHash::of(r#"["0"]"#));
        assert_ne!(PathHash::of("a.b"), PathHash::of(r#"["a.b"]"#));
        assert_ne!(PathHash::of("a"), Some(root));
        for bad in ["a[", "a[x]", "a[1", r#"["a"#, r#"["a"x"#, "a[0]b", "[-1]"] {
            assert_eq!(PathHash::of(bad), None, "{bad}");
        }
        // Past sixteen levels, the nearest ancestor still answers.
        let deep: String = (0..40).map(|i| format!("[{i}]")).collect();
        let mut b = Builder::default();
        b.value(PathHash::ROOT, (1, 1));
        b.value(at(&deep[..deep.find("[20]").unwrap_or(0)]), (20, 1));
        b.value(at(&deep[..deep.find("[8]").unwrap_or(0)]), (8, 1));
        let m = b.finish();
        assert_eq!(m.value(&deep), Some((20, 1)));
        assert_eq!(m.value(&deep[..deep.find("[15]").unwrap_or(0)]), Some((8, 1)));
        assert_eq!(m.value("[0][1]"), Some((1, 1)));
        // A map at a path that is not one finds nothing.
        assert_eq!(map().at_path("items[", 1).value(""), None);
    }

    #[test]
    fn shifting_moves_every_place_down() {
        let mut m = map();
        let item = m.at_path("items[0]", 2);
        m.shift_lines(10);
        assert_eq!(m.value("items[0].name"), Some((12, 9)));
        assert_eq!(m.key("items[0].name"), Some((12, 3)));
        // A map made before keeps its places.
        assert_eq!(item.value("name"), Some((2, 9)));
    }

    #[test]
    fn equal_places_are_equal_maps() {
        assert_eq!(map(), map());
        let mut other = Builder::default();
        other.value(PathHash::ROOT, (1, 2));
        assert_ne!(map(), other.finish());
    }
}
