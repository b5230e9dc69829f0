//! Where each value and each key of a document stands in its source, by path
//! (`services.app.replicas`, `ports[0].name`; see [`crate::path`]): what
//! messages point into the user's file with.
//!
//! The readers record every node of every input (tens of thousands per
//! megabyte of manifests) and a run looks up a few: paths are kept as their
//! 64-bit hashes rather than as text, one table lookup each, with no string
//! made or sorted per node. Two paths of one document with the same hash
//! (odds below one in ten million for a document of a million nodes) would
//! share a place: a message could point at the wrong line, never read a
//! wrong value.

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
    /// The path of this document inside the one its places were read from
    /// (`items[3]` for an item of a list); empty for a whole document.
    prefix: String,
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
        let mut p = path;
        loop {
            if let Some(at) = self.tables.values.get(&self.hash(p)) {
                return Some(widen(*at));
            }
            p = crate::path::parent(p)?;
        }
    }

    /// The line and column of the key holding `path` (falls back to the value).
    pub fn key(&self, path: &str) -> Option<(usize, usize)> {
        match self.tables.keys.get(&self.hash(path)) {
            Some(at) => Some(widen(*at)),
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
    /// each made a document of its own. The places are shared, not copied.
    pub fn at_path(&self, path: &str, len: usize) -> SourceMap {
        SourceMap { tables: Arc::clone(&self.tables), prefix: self.joined(path), len }
    }

    /// `path` (relative to this document) as its tables know it.
    fn joined(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            return path.to_string();
        }
        let mut full = String::with_capacity(self.prefix.len() + 1 + path.len());
        full.push_str(&self.prefix);
        if !path.is_empty() && !path.starts_with('[') {
            full.push('.');
        }
        full.push_str(path);
        full
    }

    fn hash(&self, path: &str) -> u64 {
        if self.prefix.is_empty() { hash(path) } else { hash(&self.joined(path)) }
    }
}

fn hash(path: &str) -> u64 {
    use std::hash::BuildHasher;
    Hasher::default().hash_one(path)
}

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
    pub fn value(&mut self, path: &str, (line, column): (usize, usize)) {
        self.values.push((hash(path), (narrow(line), narrow(column))));
    }

    /// The key holding `path` is at `(line, column)`.
    pub fn key(&mut self, path: &str, (line, column): (usize, usize)) {
        self.keys.push((hash(path), (narrow(line), narrow(column))));
    }

    /// The map of the places given since the last `finish`.
    pub fn finish(&mut self) -> SourceMap {
        // Collected in the order given: a later place replaces an earlier.
        let values: Places = self.values.drain(..).collect();
        let keys: Places = self.keys.drain(..).collect();
        let len = values.len();
        SourceMap { tables: Arc::new(Tables { values, keys }), prefix: String::new(), len }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> SourceMap {
        let mut b = Builder::default();
        b.value("", (1, 1));
        b.key("items", (1, 1));
        b.value("items", (2, 1));
        b.value("items[0]", (2, 3));
        b.key("items[0].name", (2, 3));
        b.value("items[0].name", (2, 9));
        b.value("items[1]", (3, 3));
        b.key("items[1][\"a.b\"]", (3, 3));
        b.value("items[1][\"a.b\"]", (3, 8));
        b.value("items[1][\"a.b\"]", (4, 8));
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
        other.value("", (1, 2));
        assert_ne!(map(), other.finish());
    }
}
