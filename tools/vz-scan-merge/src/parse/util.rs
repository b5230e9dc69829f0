//! What the parsers share: a string borrowed from the input, the
//! deserialisers for fields formats write loosely (`null` for an empty
//! list, an id as a number, an object read in document order), and the
//! small text rules every [`Raw`](crate::model::Raw) field follows (trimmed,
//! one line, no duplicates).

use crate::model::{Ecosystem, normalize_id};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

// ---------------------------------------------------------------------------
// Deserialisation.

/// A JSON string, borrowed from the input when it has no escapes (most
/// strings of a report), owned when it has. Anything but a string is the
/// typed error `… expected a string`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

impl Str<'_> {
    /// The text, as written (not trimmed).
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of an optional string: empty when the field is absent or
/// `null`.
pub(crate) fn text<'x>(s: &'x Option<Str<'_>>) -> &'x str {
    s.as_ref().map_or("", Str::as_str)
}

/// For `#[serde(default, deserialize_with = "nullable")]`: a value the
/// format may write as `null` (`"fixedIn": null`), which then reads as the
/// default (an empty list), as an absent one does.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An id written as a string or as a whole number (Snyk's `NSP: [565]`,
/// npm's `"source": 1094219`), as text.
#[derive(Debug, Default)]
pub(crate) struct IdText(pub(crate) String);

impl IdText {
    /// Reads an id; any other type is the typed error `… expected
    /// {expecting}` (the [`Deserialize`] impl says `an id (a string or a
    /// number)`; a parser may name the field better).
    pub(crate) fn read<'de, D: Deserializer<'de>>(
        d: D,
        expecting: &'static str,
    ) -> Result<IdText, D::Error> {
        struct V(&'static str);
        impl Visitor<'_> for V {
            type Value = IdText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IdText, E> {
                Ok(IdText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdText, E> {
                Ok(IdText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdText, E> {
                Ok(IdText(v.to_string()))
            }
        }
        d.deserialize_any(V(expecting))
    }
}

impl<'de> Deserialize<'de> for IdText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IdText::read(d, "an id (a string or a number)")
    }
}

/// A JSON object read as its entries in document order (so the output
/// follows the report, with no hashing); anything but an object is the
/// typed error `… expected an object`. For an object that may be `null`,
/// use `Option<Pairs>` or [`nullable`].
#[derive(Debug)]
pub(crate) struct Pairs<K, V>(pub(crate) Vec<(K, V)>);

impl<K, V> Default for Pairs<K, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Pairs<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = Pairs<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(2));
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

// ---------------------------------------------------------------------------
// Texts.

/// The first of `texts` that is not blank, as written (not trimmed);
/// `None` when all are blank.
pub(crate) fn first_nonblank<'x>(texts: impl IntoIterator<Item = &'x str>) -> Option<&'x str> {
    texts.into_iter().find(|t| !t.trim().is_empty())
}

/// The text trimmed, `None` when that leaves nothing (an optional field of
/// a record: `purl`, `severity_from`).
pub(crate) fn nonblank(s: &str) -> Option<String> {
    Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The first non-blank line, trimmed (a record's one-line title).
pub(crate) fn first_line(s: &str) -> &str {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// A comma-separated list (`4.2.4, 5.3.1,6.2.1`, Trivy's fixed versions)
/// as its items, trimmed, blanks dropped.
pub(crate) fn split_list(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
}

/// Appends `id` through [`normalize_id`] (which trims) unless it is blank
/// or already there: `ids` = primary id first, then aliases, no duplicates.
pub(crate) fn push_id(ids: &mut Vec<String>, id: &str) {
    let id = normalize_id(id);
    if !id.is_empty() && !ids.contains(&id) {
        ids.push(id);
    }
}

/// Appends `item` as given unless it is empty or already there (urls,
/// fixed versions). It does not trim: callers trim what the format pads.
pub(crate) fn push_unique(list: &mut Vec<String>, item: &str) {
    if !item.is_empty() && !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

// ---------------------------------------------------------------------------
// Trivy's OS targets and OS ecosystems.

/// `name (distro version)` → `(name, "distro version")`, both trimmed,
/// whatever the parentheses hold; `None` without a parenthesised suffix
/// after a space.
fn os_suffix(target: &str) -> Option<(&str, &str)> {
    let inner = target.trim().strip_suffix(')')?;
    let open = inner.rfind(" (")?;
    Some((inner[..open].trim(), inner[open + 2..].trim()))
}

/// `(name, family)` when `target` is a Trivy OS target: `redis (debian
/// 11.6)` → `("redis", "debian")`. Strict, as it decides whether a result
/// (without `Class`) is an OS one: the name and the distribution must be
/// there and the distribution must not hold `/` or `(` (a path or a nested
/// parenthesis is no `distro version`).
pub(crate) fn os_target(target: &str) -> Option<(&str, &str)> {
    let (name, distro) = os_suffix(target)?;
    if name.is_empty() || distro.is_empty() || distro.contains(['/', '(']) {
        return None;
    }
    Some((name, distro.split_whitespace().next().unwrap_or("")))
}

/// `target` trimmed and without Trivy's ` (distro version)` suffix:
/// `knqyf263/vuln-image (alpine 3.7.1)` → `knqyf263/vuln-image`. Lenient,
/// unlike [`os_target`]: any parenthesised suffix after a space goes (the
/// SARIF parser strips uris it already knows to be OS targets, or compares
/// image names).
pub(crate) fn strip_os_suffix(target: &str) -> &str {
    let target = target.trim();
    os_suffix(target).map_or(target, |(name, _)| name)
}

/// Whether an ecosystem is an OS package manager's (Debian, RPM, Alpine),
/// whose packages are named by their binary package.
pub(crate) fn is_os(e: Option<&Ecosystem>) -> bool {
    matches!(e, Some(Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc<'a> {
        #[serde(borrow, default)]
        s: Option<Str<'a>>,
        #[serde(borrow, default, deserialize_with = "nullable")]
        list: Vec<Str<'a>>,
        #[serde(default)]
        id: Option<IdText>,
        #[serde(borrow, default)]
        map: Option<Pairs<Str<'a>, u32>>,
    }

    fn doc(json: &str) -> Result<Doc<'_>, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn strings_are_borrowed_unless_escaped_and_absent_or_null_reads_empty() {
        let d = doc(r#"{"s": "plain"}"#).unwrap();
        assert!(matches!(d.s.as_ref().unwrap().0, Cow::Borrowed("plain")));
        let d = doc(r#"{"s": "a\"b"}"#).unwrap();
        assert!(matches!(&d.s.as_ref().unwrap().0, Cow::Owned(s) if s == "a\"b"));
        assert_eq!(text(&d.s), "a\"b");
        assert_eq!(text(&doc(r#"{"s": null}"#).unwrap().s), "");
        assert_eq!(text(&doc("{}").unwrap().s), "");
        assert_eq!(Str::default().as_str(), "");
        assert_eq!(
            doc(r#"{"s": 7}"#).err().unwrap(),
            "invalid type: integer `7`, expected a string at line 1 column 7"
        );
    }

    #[test]
    fn nullable_reads_null_and_absent_as_the_default() {
        assert!(doc(r#"{"list": null}"#).unwrap().list.is_empty());
        assert!(doc("{}").unwrap().list.is_empty());
        let d = doc(r#"{"list": ["a", " b "]}"#).unwrap();
        assert_eq!(d.list.iter().map(Str::as_str).collect::<Vec<_>>(), ["a", " b "]);
        assert_eq!(
            doc(r#"{"list": "a"}"#).err().unwrap(),
            "invalid type: string \"a\", expected a sequence at line 1 column 12"
        );
    }

    #[test]
    fn ids_are_strings_or_whole_numbers() {
        let id = |json: &str| doc(json).map(|d| d.id.map(|i| i.0));
        assert_eq!(id(r#"{"id": "565"}"#), Ok(Some("565".into())));
        assert_eq!(id(r#"{"id": 1094219}"#), Ok(Some("1094219".into())));
        assert_eq!(id(r#"{"id": -3}"#), Ok(Some("-3".into())));
        assert_eq!(id(r#"{"id": null}"#), Ok(None));
        assert_eq!(
            id(r#"{"id": 1.5}"#),
            Err("invalid type: floating point `1.5`, expected an id (a string or a number) at line 1 column 10".into())
        );
        let mut de = serde_json::Deserializer::from_str("true");
        let err = IdText::read(&mut de, "an advisory number").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid type: boolean `true`, expected an advisory number at line 1 column 4"
        );
    }

    #[test]
    fn pairs_keep_document_order_and_duplicates() {
        let d = doc(r#"{"map": {"z": 1, "a": 2, "z": 3}}"#).unwrap();
        let map = d.map.unwrap();
        let pairs: Vec<(&str, u32)> = map.0.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(pairs, [("z", 1), ("a", 2), ("z", 3)]);
        assert!(doc(r#"{"map": null}"#).unwrap().map.is_none());
        assert!(Pairs::<String, u32>::default().0.is_empty());
        let pairs: Pairs<String, u32> = serde_json::from_str("{}").unwrap();
        assert!(pairs.0.is_empty());
        assert_eq!(
            doc(r#"{"map": [1]}"#).err().unwrap(),
            "invalid type: sequence, expected an object at line 1 column 8"
        );
    }

    #[test]
    fn text_helpers() {
        assert_eq!(first_nonblank(["", "  ", " b ", "c"]), Some(" b "));
        assert_eq!(first_nonblank(["", " \n"]), None);
        assert_eq!(nonblank("  pkg:npm/a@1 "), Some("pkg:npm/a@1".into()));
        assert_eq!(nonblank(" \t"), None);
        assert_eq!(first_line("\n  \n  First line  \nsecond"), "First line");
        assert_eq!(first_line("one"), "one");
        assert_eq!(first_line(" \n "), "");
        assert_eq!(split_list(" 4.2.4, 5.3.1,6.2.1 , ,"), ["4.2.4", "5.3.1", "6.2.1"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn push_id_normalises_and_skips_blanks_and_duplicates() {
        let mut ids = Vec::new();
        for id in [" cve-2021-1 ", "", "  ", "CVE-2021-1", "GHSA-ABCD-efgh-ijkl", "DSA-1"] {
            push_id(&mut ids, id);
        }
        assert_eq!(ids, ["CVE-2021-1", "GHSA-abcd-efgh-ijkl", "DSA-1"]);
    }

    #[test]
    fn push_unique_skips_empties_and_duplicates_without_trimming() {
        let mut urls = Vec::new();
        for url in ["https://a", "", "https://a", " https://a", "https://b"] {
            push_unique(&mut urls, url);
        }
        assert_eq!(urls, ["https://a", " https://a", "https://b"]);
    }

    #[test]
    fn os_targets() {
        assert_eq!(os_target("redis (debian 11.6)"), Some(("redis", "debian")));
        assert_eq!(os_target(" a/b (alpine 3.7.1) "), Some(("a/b", "alpine")));
        assert_eq!(os_target("x (a (b)"), Some(("x (a", "b")));
        for not in ["redis", "app/package-lock.json", "weird (a/b)", "x ()", "x ( )", "(debian 11)"]
        {
            assert_eq!(os_target(not), None, "{not}");
        }
        assert_eq!(strip_os_suffix("knqyf263/vuln-image (alpine 3.7.1)"), "knqyf263/vuln-image");
        assert_eq!(strip_os_suffix(" python-app/Pipfile.lock "), "python-app/Pipfile.lock");
        // Lenient where `os_target` is strict.
        assert_eq!(strip_os_suffix("acme/img (a/b)"), "acme/img");
        assert_eq!(strip_os_suffix("acme/img ()"), "acme/img");
        assert_eq!(strip_os_suffix("(debian 11)"), "(debian 11)");
    }

    #[test]
    fn os_ecosystems() {
        for os in ["deb", "rpm", "apk"] {
            assert!(is_os(Ecosystem::from_word(os).as_ref()), "{os}");
        }
        assert!(!is_os(Ecosystem::from_word("npm").as_ref()));
        assert!(!is_os(None));
    }
}
