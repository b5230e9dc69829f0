//! Indented JSON, byte for byte as `serde_json::to_writer_pretty` writes it,
//! with about a sixth fewer instructions on a text-heavy answer (vz-comply's
//! report on the conformance corpus): text is checked for characters to
//! escape eight bytes at a time and copied in one piece, and small writes go
//! to a buffer, not through a writer call each.
//!
//! Only what serde_json does by default: two-space indentation, `[]` and
//! `{}` for empty collections, `\u00XX` (lowercase hex) for control
//! characters without a short escape, non-finite floats as `null`, map keys
//! that are text, numbers, booleans or unit variants (numbers and booleans
//! quoted). Property tests compare every output with serde_json's.
//! `serde_json::value::RawValue` is refused with an error.

use serde::ser::{self, Serialize};
use std::fmt::Display;
use std::io::Write;

/// Why writing failed: the writer's error, or a value JSON cannot hold (a
/// map key that is a list).
#[derive(Debug)]
pub struct Error(ErrorKind);

#[derive(Debug)]
enum ErrorKind {
    Io(std::io::Error),
    Message(String),
}

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            ErrorKind::Io(e) => e.fmt(f),
            ErrorKind::Message(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(ErrorKind::Message(msg.to_string()))
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        match e.0 {
            ErrorKind::Io(e) => e,
            ErrorKind::Message(m) => std::io::Error::new(std::io::ErrorKind::InvalidData, m),
        }
    }
}

/// The struct name serde_json gives a `RawValue` (written verbatim there;
/// refused here rather than written as a struct).
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// How much is gathered before it is handed to the writer.
const CHUNK: usize = 64 * 1024;

/// Writes `value` to `out` as indented JSON (no newline after it).
pub fn to_writer_pretty<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> Result<(), Error> {
    let mut ser =
        Serializer { out, buf: Vec::with_capacity(CHUNK + 4096), indent: 0, has_value: false };
    value.serialize(&mut ser)?;
    ser.flush()
}

/// The items of a list as [`to_writer_pretty`] writes them inside a list
/// at `depth` levels of indentation: each on a line of its own, indented,
/// and after a comma unless it is the first of the list (`first`). A list
/// is `[`, its items written in one or several calls, then `\n`, the
/// indentation of the level above and `]`: its items can be written apart
/// (on several threads) and put together.
pub fn items_to_writer_pretty<W: Write, T: Serialize>(
    out: W,
    items: &[T],
    depth: usize,
    first: bool,
) -> Result<(), Error> {
    let mut ser =
        Serializer { out, buf: Vec::with_capacity(CHUNK + 4096), indent: depth, has_value: false };
    for (i, item) in items.iter().enumerate() {
        ser.item(first && i == 0);
        item.serialize(&mut ser)?;
        ser.maybe_flush()?;
    }
    ser.flush()
}

/// `value` as indented JSON (no newline after it).
pub fn to_vec_pretty<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    to_writer_pretty(&mut out, value)?;
    Ok(out)
}

/// What goes before an item: a comma, a line break and the indentation, two
/// spaces a level (deeper levels, which the tools do not write, are made
/// up by `resize`).
const LEAD: [u8; 2 + 2 * 32] = {
    let mut lead = [b' '; 2 + 2 * 32];
    lead[0] = b',';
    lead[1] = b'\n';
    lead
};

/// The serializer: indentation state as serde_json's `PrettyFormatter`
/// keeps it (one `has_value` flag for the whole document, as there).
struct Serializer<W> {
    out: W,
    buf: Vec<u8>,
    indent: usize,
    has_value: bool,
}

impl<W: Write> Serializer<W> {
    fn flush(&mut self) -> Result<(), Error> {
        self.out.write_all(&self.buf).map_err(|e| Error(ErrorKind::Io(e)))?;
        self.buf.clear();
        Ok(())
    }

    /// Hands a full buffer to the writer; called between values.
    fn maybe_flush(&mut self) -> Result<(), Error> {
        if self.buf.len() >= CHUNK { self.flush() } else { Ok(()) }
    }

    fn newline_indent(&mut self) {
        self.lead_in(1);
    }

    /// `LEAD[from..]` to the indentation: `,\n` and the spaces (`from` 0)
    /// or the line break and the spaces (`from` 1), copied as one slice.
    #[inline]
    fn lead_in(&mut self, from: usize) {
        match LEAD.get(from..2 + 2 * self.indent) {
            Some(lead) => self.buf.extend_from_slice(lead),
            None => self.deep_lead_in(from),
        }
    }

    /// [`Self::lead_in`] past the levels of [`LEAD`].
    #[cold]
    fn deep_lead_in(&mut self, from: usize) {
        self.buf.extend_from_slice(&LEAD[from..2]);
        self.buf.resize(self.buf.len() + 2 * self.indent, b' ');
    }

    fn begin(&mut self, open: u8) {
        self.indent += 1;
        self.has_value = false;
        self.buf.push(open);
    }

    fn end(&mut self, close: u8) {
        self.indent -= 1;
        if self.has_value {
            self.newline_indent();
        }
        self.buf.push(close);
    }

    /// Before an item or a key: `\n` or `,\n`, then the indentation.
    fn item(&mut self, first: bool) {
        self.lead_in(usize::from(first));
    }

    #[inline(always)]
    fn string(&mut self, s: &str) {
        self.buf.push(b'"');
        escape_into(&mut self.buf, s.as_bytes());
        self.buf.push(b'"');
    }

    fn int(&mut self, v: impl itoa::Integer) -> Result<(), Error> {
        self.buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }

    /// A float exactly as serde_json writes it (its formatting has changed
    /// between versions, so it is asked): `null` when not finite.
    fn float(&mut self, v: impl Serialize) -> Result<(), Error> {
        serde_json::to_writer(&mut self.buf, &v)
            .map_err(|e| Error(ErrorKind::Message(e.to_string())))
    }
}

/// Whether `b` must be escaped in a JSON string.
#[inline]
fn special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Every byte of a word 1, and every byte's high bit: the word tests' masks.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that must be escaped, exact at the
/// lowest such byte (above it, a borrow may mark others).
#[inline]
fn specials(w: u64) -> u64 {
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let quote = zero_byte(w ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(w ^ (ONES * u64::from(b'\\')));
    control | quote | backslash
}

/// Whether any byte of `bytes` must be escaped. Most strings written are
/// short (keys, kinds, names, statuses) and hold none: their bytes are
/// looked at as one or two words, which may overlap (only whether a byte is
/// there matters), with no loop for up to sixteen bytes.
#[inline(always)]
fn has_special(bytes: &[u8]) -> bool {
    let word = |b: &[u8; 8]| u64::from_le_bytes(*b);
    let half = |b: &[u8; 4]| u64::from(u32::from_le_bytes(*b));
    match bytes.len() {
        0 => false,
        // The first, middle and last byte are all of them; spaces after.
        n @ 1..=3 => {
            let w = [bytes[0], bytes[n / 2], bytes[n - 1], b' ', b' ', b' ', b' ', b' '];
            specials(word(&w)) != 0
        }
        4..=7 => bytes
            .first_chunk::<4>()
            .zip(bytes.last_chunk::<4>())
            .is_some_and(|(first, last)| specials(half(first) | (half(last) << 32)) != 0),
        _ => {
            let (words, _) = bytes.as_chunks::<8>();
            let tail = bytes.last_chunk::<8>().is_some_and(|w| specials(word(w)) != 0);
            tail || words.iter().any(|w| specials(word(w)) != 0)
        }
    }
}

/// Where the first byte at or after `from` that must be escaped is: eight
/// bytes at a time as one word (the "has a byte less than n" and "has a
/// zero byte" tests of Bit Twiddling Hacks, exact for n up to 128, and
/// exact at the lowest byte they mark: a borrow only marks bytes above the
/// one that caused it), the last few bytes as the text's last eight.
fn next_special(bytes: &[u8], from: usize) -> Option<usize> {
    let first = |marks: u64| (marks.trailing_zeros() / 8) as usize;
    let mut i = from;
    while let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let marks = specials(u64::from_le_bytes(*word));
        if marks != 0 {
            return Some(i + first(marks));
        }
        i += 8;
    }
    if i >= bytes.len() {
        return None;
    }
    // Fewer than eight left: the last eight bytes, those before `i` made
    // spaces first. They may be special (`from` follows an escape), and a
    // special byte's borrow would mark the byte above it (`"` then `#`).
    match bytes.last_chunk::<8>() {
        Some(word) => {
            let start = bytes.len() - 8;
            let before = (i - start) * 8;
            let below = (1u64 << before) - 1;
            let w = (u64::from_le_bytes(*word) & !below) | ((ONES * u64::from(b' ')) & below);
            let marks = specials(w) >> before;
            (marks != 0).then(|| i + first(marks))
        }
        None => bytes[i..].iter().position(|&b| special(b)).map(|k| i + k),
    }
}

/// Appends `bytes` (UTF-8) escaped as serde_json escapes them. Kept small
/// enough to inline: most strings have nothing to escape.
#[inline(always)]
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    if has_special(bytes) {
        escape_each(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
}

/// [`escape_into`] for a string with bytes to escape: the runs between
/// them copied whole.
#[inline(never)]
fn escape_each(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    while let Some(i) = next_special(bytes, start) {
        out.extend_from_slice(&bytes[start..i]);
        match bytes[i] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// A list, map or struct being written; `variant` when it sits inside the
/// `{"Variant": …}` of an enum variant, which closes with it.
struct Compound<'a, W> {
    ser: &'a mut Serializer<W>,
    first: bool,
    variant: bool,
}

impl<'a, W: Write> Compound<'a, W> {
    fn seq(ser: &'a mut Serializer<W>, variant: bool) -> Self {
        ser.begin(b'[');
        Compound { ser, first: true, variant }
    }

    fn map(ser: &'a mut Serializer<W>, variant: bool) -> Self {
        ser.begin(b'{');
        Compound { ser, first: true, variant }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.item(self.first);
        self.first = false;
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        self.ser.maybe_flush()
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.ser.item(self.first);
        self.first = false;
        key.serialize(KeySerializer { ser: &mut *self.ser })?;
        self.ser.buf.extend_from_slice(b": ");
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        self.ser.maybe_flush()
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.ser.item(self.first);
        self.first = false;
        self.ser.string(key);
        self.ser.buf.extend_from_slice(b": ");
        self.value(value)
    }

    fn close(self, close: u8) -> Result<(), Error> {
        self.ser.end(close);
        if self.variant {
            self.ser.has_value = true;
            self.ser.end(b'}');
        }
        Ok(())
    }
}

/// The ten integer methods of a serializer, each calling `self.int(v)`.
macro_rules! integers {
    () => {
        integers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
            serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
            serialize_u64: u64, serialize_u128: u128);
    };
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            self.int(v)
        }
    )*};
}

impl<'a, W: Write> ser::Serializer for &'a mut Serializer<W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, W>;
    type SerializeTuple = Compound<'a, W>;
    type SerializeTupleStruct = Compound<'a, W>;
    type SerializeTupleVariant = Compound<'a, W>;
    type SerializeMap = Compound<'a, W>;
    type SerializeStruct = Compound<'a, W>;
    type SerializeStructVariant = Compound<'a, W>;

    integers!();
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.buf.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = Compound::seq(self, false);
        for b in v {
            seq.element(b)?;
        }
        seq.close(b']')
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut map = Compound::map(self, false);
        map.field(variant, value)?;
        map.close(b'}')
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, W>, Error> {
        Ok(Compound::seq(self, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, W>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, W>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, W>, Error> {
        self.variant_open(variant);
        Ok(Compound::seq(self, true))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, W>, Error> {
        Ok(Compound::map(self, false))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a, W>, Error> {
        if name == RAW_VALUE {
            return Err(Error(ErrorKind::Message(
                "serde_json's RawValue is not written here (vz::json)".into(),
            )));
        }
        Ok(Compound::map(self, false))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, W>, Error> {
        self.variant_open(variant);
        Ok(Compound::map(self, true))
    }
}

impl<W: Write> Serializer<W> {
    /// `{` and the variant's name as the key of its only entry.
    fn variant_open(&mut self, variant: &str) {
        self.begin(b'{');
        self.item(true);
        self.string(variant);
        self.buf.extend_from_slice(b": ");
    }
}

/// The four list-like compounds: each item is an element, `]` closes.
macro_rules! list_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<W: Write> ser::$trait for Compound<'_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close(b']')
            }
        }
    )*};
}

list_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b'}')
    }
}

/// The two struct-like compounds: named fields, `}` closes.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl<W: Write> ser::$trait for Compound<'_, W> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                self.close(b'}')
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

/// Map keys: text as it is; numbers, booleans and characters as text (as
/// serde_json writes them); anything else is an error.
struct KeySerializer<'a, W> {
    ser: &'a mut Serializer<W>,
}

fn key_must_be_text() -> Error {
    Error(ErrorKind::Message("key must be a string".into()))
}

impl<W: Write> KeySerializer<'_, W> {
    /// A float key as serde_json writes it: quoted, an error when not finite.
    fn float_key(self, v: impl Serialize, finite: bool) -> Result<(), Error> {
        if !finite {
            return Err(Error(ErrorKind::Message("float key must be finite".into())));
        }
        let text =
            serde_json::to_string(&v).map_err(|e| Error(ErrorKind::Message(e.to_string())))?;
        self.quoted(&text)
    }

    /// An integer key, quoted as serde_json quotes it.
    fn int(self, v: impl itoa::Integer) -> Result<(), Error> {
        self.quoted(itoa::Buffer::new().format(v))
    }

    fn quoted(self, text: &str) -> Result<(), Error> {
        self.ser.buf.push(b'"');
        self.ser.buf.extend_from_slice(text.as_bytes());
        self.ser.buf.push(b'"');
        Ok(())
    }
}

impl<W: Write> ser::Serializer for KeySerializer<'_, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.ser.string(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.ser.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.ser.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    integers!();
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(if v { "true" } else { "false" })
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float_key(v, v.is_finite())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float_key(v, v.is_finite())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_text())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_text())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_text())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_text())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_text())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_text())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_text())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_text())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_text())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_text())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_text())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_text())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use std::collections::BTreeMap;

    fn same<T: Serialize + ?Sized>(value: &T) {
        let ours = to_vec_pretty(value).map(|v| String::from_utf8(v).unwrap_or_default());
        let theirs = serde_json::to_string_pretty(value);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("ours {a:?}, serde_json {b:?}"),
        }
    }

    #[test]
    fn values_as_serde_json_writes_them() {
        same(&json!(null));
        same(&json!([]));
        same(&json!({}));
        same(&json!([[]]));
        same(&json!([{}, [], {"a": []}, {"b": {}}]));
        same(&json!({"a": [1, -2, 3.5, 1e300, -0.0, true, false, null], "b": {"c": "d"}}));
        same(&json!(["\"\\\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}é漢字 😀", "x".repeat(40)]));
        same(&json!(u64::MAX));
        same(&json!(i64::MIN));
        same(&f64::NAN);
        same(&f32::INFINITY);
        same(&1.5f32);
        same(&'c');
        same(&'"');
        same(&(1, "two", [3]));
        same(&Some(()));
        same(&Option::<u8>::None);
    }

    #[derive(serde::Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, &'static str),
        Struct { a: u8, b: Vec<u8> },
        EmptyStruct {},
        EmptyTuple(),
    }

    #[derive(serde::Serialize)]
    struct S {
        a: E,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        #[serde(flatten)]
        flat: BTreeMap<String, u8>,
        nested: Vec<E>,
        #[serde(with = "serde_bytes_as_seq")]
        bytes: Vec<u8>,
    }

    mod serde_bytes_as_seq {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    #[derive(serde::Serialize)]
    struct Empty {}

    #[derive(serde::Serialize)]
    struct Skipped {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<u8>,
    }

    #[test]
    fn structs_enums_and_flattened_maps() {
        same(&S {
            a: E::Struct { a: 1, b: vec![] },
            skipped: None,
            flat: [("x".to_string(), 1), ("y".to_string(), 2)].into(),
            nested: vec![
                E::Unit,
                E::New(1),
                E::Tuple(2, "t"),
                E::Struct { a: 3, b: vec![4, 5] },
                E::EmptyStruct {},
                E::EmptyTuple(),
            ],
            bytes: vec![0, 255],
        });
        same(&Empty {});
        same(&Skipped { a: None });
        same(&[Skipped { a: None }, Skipped { a: Some(1) }]);
        same(&(Empty {}, [Empty {}], E::Unit));
    }

    #[test]
    fn map_keys_as_serde_json_writes_them() {
        same(&BTreeMap::from([(1u8, "a"), (2, "b")]));
        same(&BTreeMap::from([(-1i64, "a")]));
        same(&BTreeMap::from([(true, 1), (false, 2)]));
        same(&BTreeMap::from([('k', 1)]));
        #[derive(serde::Serialize)]
        struct FloatKeys(#[serde(serialize_with = "float_keys")] ());
        fn float_keys<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(None)?;
            m.serialize_entry(&1.5f64, &1)?;
            m.serialize_entry(&2.5f32, &2)?;
            m.serialize_entry(&1e300f64, &3)?;
            m.end()
        }
        same(&FloatKeys(()));
        #[derive(serde::Serialize)]
        struct NanKey(#[serde(serialize_with = "nan_key")] ());
        fn nan_key<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(None)?;
            m.serialize_entry(&f64::NAN, &1)?;
            m.end()
        }
        same(&NanKey(()));
        same(&BTreeMap::from([("a\"b\n".to_string(), 1)]));
        #[derive(serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
        enum K {
            One,
        }
        same(&BTreeMap::from([(K::One, 1)]));
        same(&BTreeMap::from([(vec![1], 1)]));
        same(&BTreeMap::from([((), 1)]));
        assert!(to_vec_pretty(&BTreeMap::from([(vec![1], 1)])).is_err());
    }

    #[test]
    fn large_output_reaches_the_writer_whole() {
        let big: Vec<String> = (0..20_000).map(|i| format!("item {i} \"quoted\"")).collect();
        same(&big);
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[ -~\\n\\t\\u{0}-\\u{1f}\"\\\\é]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn every_byte_is_checked_in_every_place() {
        // Backgrounds one above a special byte, which a borrow from it would
        // mark (`"` is 0x22, `\` 0x5c, controls end at 0x1f).
        for (b, background) in (0..=255u8).flat_map(|b| [b'a', b'#', b']', b' '].map(|g| (b, g))) {
            for len in 1..=17 {
                for at in 0..len {
                    let mut bytes = vec![background; len];
                    bytes[at] = b;
                    let want = special(b).then_some(at);
                    assert_eq!(next_special(&bytes, 0), want, "byte {b} at {at} of {len}");
                    // From every place: a byte before it is not looked at.
                    for from in 0..=len {
                        let want = bytes[from..].iter().position(|&c| special(c));
                        assert_eq!(
                            next_special(&bytes, from),
                            want.map(|k| from + k),
                            "byte {b} at {at} of {len} from {from}"
                        );
                    }
                    // Another byte to escape after it: the first is found.
                    for later in at + 1..len {
                        let mut two = bytes.clone();
                        two[later] = if later % 2 == 0 { b'"' } else { 0x01 };
                        let want = want.unwrap_or(later);
                        assert_eq!(next_special(&two, 0), Some(want), "{two:?}");
                    }
                }
            }
        }
        assert_eq!(next_special("é漢字😀 ~\u{7f}".as_bytes(), 0), None);
        assert_eq!(next_special(b"ab", 2), None);
    }

    /// Past the indentation kept ready (32 levels), items are indented as
    /// serde_json indents them, and at every depth on the way.
    #[test]
    fn deep_nesting_is_indented_as_serde_json_indents_it() {
        let mut v = serde_json::json!("x");
        for depth in 0..40 {
            v = if depth % 2 == 0 {
                serde_json::json!([v, depth, []])
            } else {
                serde_json::json!({"k": v, "j": {}, "l": [depth]})
            };
            let ours = to_vec_pretty(&v).map(String::from_utf8);
            assert_eq!(ours.ok().and_then(Result::ok), serde_json::to_string_pretty(&v).ok());
        }
    }

    /// Whether a string needs escaping is told right at every length and
    /// wherever the byte is, on backgrounds a borrow would mark.
    #[test]
    fn a_byte_to_escape_is_seen_at_every_length_and_place() {
        for (b, background) in (0..=255u8).flat_map(|b| [b'a', b'#', b']', b' '].map(|g| (b, g))) {
            assert!(!has_special(&[]));
            for len in 1..=24 {
                assert!(!has_special(&vec![background; len]), "{background} x {len}");
                for at in 0..len {
                    let mut bytes = vec![background; len];
                    bytes[at] = b;
                    assert_eq!(has_special(&bytes), special(b), "byte {b} at {at} of {len}");
                }
            }
        }
        assert!(!has_special("é漢字😀 ~\u{7f}".as_bytes()));
    }

    proptest! {
        #[test]
        fn random_values_are_written_as_serde_json_writes_them(v in value()) {
            let ours = to_vec_pretty(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let theirs = serde_json::to_vec_pretty(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }

        #[test]
        fn random_text_is_escaped_as_serde_json_escapes_it(s in any::<String>(), pad in 0usize..40) {
            let s = format!("{}{s}{}", "a".repeat(pad), "\u{1}".repeat(pad % 3));
            let ours = to_vec_pretty(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let theirs = serde_json::to_vec_pretty(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(ours, theirs);
        }
    }
}
