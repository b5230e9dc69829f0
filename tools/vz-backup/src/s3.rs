//! `aws s3api list-objects-v2` output, read as an inventory.
//!
//! The reader takes the CLI's JSON as it is: an object with `Contents`
//! (and `Name`, `Prefix`, `Delimiter`, `KeyCount`, `RequestCharged`, …;
//! fields it does not use are ignored, as AWS adds them over time), or the
//! bare array `--query Contents` prints. Each object is `{Key, LastModified,
//! ETag, Size, StorageClass, ChecksumAlgorithm, ChecksumType, …}`. Keys
//! ending in `/` with no bytes (the console's "folders") are left out.
//!
//! As backups (for `plan` and `check`) an object is: id and path = its key,
//! time = `LastModified`, size = `Size`, series (`paths`) = the key's
//! directory (`.` at the top).
//!
//! # When an ETag is an MD5
//!
//! S3 documents the ETag as the MD5 of the object's bytes only for objects
//! uploaded in one part (PUT, POST, Copy) and stored unencrypted or with
//! SSE-S3. A multipart upload's ETag is an MD5 of the parts' MD5s with
//! `-N` appended (N parts); an SSE-KMS, DSSE-KMS or SSE-C object's ETag is
//! no MD5 at all; a directory bucket's (`…--x-s3`) neither.
//! list-objects-v2 shows the `-N`, but it does **not** say how an object is
//! encrypted; `ChecksumAlgorithm` names an additional checksum (CRC32,
//! CRC32C, CRC64NVME, SHA1, SHA256) without giving its value, so it proves
//! nothing either. vz-backup therefore uses an ETag as an MD5 only when
//! it is 32 hex digits with no `-`, the bucket is no directory bucket, and
//! the user states the encryption (`--s3-encryption none|sse-s3`, known
//! from `aws s3api get-bucket-encryption` and the upload tool). Otherwise
//! the content check of that object is reported as unavailable, with the
//! reason; its size is still checked.

use crate::name;
use crate::snapshot::{Snapshot, Stamp, parse_json};
use serde::Deserialize;
use vz::{Error, Location};

/// The encryption of the listed objects, as the user states it
/// (`--s3-encryption`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Encryption {
    /// Not known: no ETag is taken for an MD5
    #[default]
    Unknown,
    /// No server-side encryption
    None,
    /// SSE-S3 (S3-managed keys, the default since 2023)
    SseS3,
    /// SSE-KMS or DSSE-KMS: ETags are not MD5s
    SseKms,
    /// SSE-C (customer keys): ETags are not MD5s
    SseC,
}

/// One listed object.
#[derive(Clone, Debug, Deserialize)]
pub struct Object {
    /// The key.
    #[serde(rename = "Key")]
    pub key: String,
    /// When it was written.
    #[serde(rename = "LastModified")]
    pub last_modified: Stamp,
    /// The ETag, quotes included as S3 sends it.
    #[serde(rename = "ETag", default)]
    pub etag: Option<String>,
    /// Bytes.
    #[serde(rename = "Size")]
    pub size: u64,
    /// The storage class.
    #[serde(rename = "StorageClass", default)]
    pub storage_class: Option<String>,
    /// Additional checksums S3 keeps (their values are not listed).
    #[serde(rename = "ChecksumAlgorithm", default)]
    pub checksum_algorithm: Option<Vec<String>>,
}

/// The listing.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Listing {
    /// The objects.
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Object>,
    /// The bucket.
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    /// The prefix the listing was asked for.
    #[serde(rename = "Prefix", default)]
    pub prefix: Option<String>,
    /// The delimiter (a listing of one "directory" level).
    #[serde(rename = "Delimiter", default)]
    pub delimiter: Option<String>,
    /// S3 says more keys follow.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: Option<bool>,
    /// The CLI's token when `--max-items` cut the listing.
    #[serde(rename = "NextToken", default)]
    pub next_token: Option<String>,
    /// S3's token for the next page.
    #[serde(rename = "NextContinuationToken", default)]
    pub next_continuation_token: Option<String>,
}

impl Listing {
    /// Whether the listing says it is incomplete.
    pub fn truncated(&self) -> bool {
        self.is_truncated == Some(true)
            || self.next_token.is_some()
            || self.next_continuation_token.is_some()
    }

    /// The objects that are files (no "folder" markers).
    pub fn files(&self) -> impl Iterator<Item = &Object> {
        self.contents.iter().filter(|o| !(o.key.ends_with('/') && o.size == 0))
    }

    /// The objects as backups.
    pub fn snapshots(&self) -> Vec<Snapshot> {
        self.files()
            .map(|o| {
                let mut s = Snapshot::new(o.key.clone(), o.last_modified.clone());
                s.size = Some(o.size);
                s.path = Some(o.key.clone());
                s.paths = vec![name::directory(&o.key).to_string()];
                s
            })
            .collect()
    }
}

/// Reads a listing (the object, or the bare `Contents` array).
pub fn read(text: &str, name: &str) -> Result<Listing, Error> {
    if text.trim().is_empty() {
        return Err(Error::Parse {
            at: Location::at(name, 1, 1),
            message: "empty input: expected `aws s3api list-objects-v2` output".into(),
        });
    }
    if text.trim_start().starts_with('[') {
        let contents: Vec<Object> = parse_json(text, name)?;
        return Ok(Listing { contents, ..Listing::default() });
    }
    parse_json(text, name)
}

/// Whether an object's content can be checked, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// The ETag is the MD5 of the bytes (lowercase hex).
    Md5(String),
    /// It is not, or that cannot be proved: why.
    Unavailable(String),
}

/// What the ETag of `o` proves, under the stated `encryption`.
pub fn content(o: &Object, listing: &Listing, encryption: Encryption) -> Content {
    let Some(raw) = o.etag.as_deref() else {
        return Content::Unavailable("the listing has no ETag".into());
    };
    let etag = raw.trim().trim_matches('"').to_ascii_lowercase();
    if let Some((_, parts)) = etag.split_once('-') {
        return Content::Unavailable(format!(
            "multipart upload ({parts} parts): the ETag {raw} is not an MD5 of the object"
        ));
    }
    if etag.len() != 32 || !etag.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Content::Unavailable(format!("the ETag {raw} is not 32 hex digits"));
    }
    if listing.name.as_deref().is_some_and(|n| n.ends_with("--x-s3")) {
        return Content::Unavailable("a directory bucket: its ETags are not MD5s".into());
    }
    let extra = match o.checksum_algorithm.as_deref() {
        Some([a, ..]) => format!(
            "; S3 also keeps a {a} checksum, which list-objects-v2 does not show \
             (aws s3api head-object --checksum-mode ENABLED)"
        ),
        _ => String::new(),
    };
    match encryption {
        Encryption::None | Encryption::SseS3 => Content::Md5(etag),
        Encryption::Unknown => Content::Unavailable(format!(
            "single-part ETag, but list-objects-v2 does not say how the object is encrypted, \
             and an SSE-KMS or SSE-C ETag is not an MD5 (--s3-encryption sse-s3 or none says \
             it is neither){extra}"
        )),
        Encryption::SseKms => {
            Content::Unavailable(format!("SSE-KMS: the ETag is not an MD5{extra}"))
        }
        Encryption::SseC => Content::Unavailable(format!("SSE-C: the ETag is not an MD5{extra}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = r#"{
    "Contents": [
        {"Key": "pg/", "LastModified": "2025-04-01T00:00:00+00:00", "ETag": "\"d41d8cd98f00b204e9800998ecf8427e\"", "Size": 0, "StorageClass": "STANDARD"},
        {"Key": "pg/db_20250403.dump", "LastModified": "2025-04-03T02:00:12+00:00",
         "ETag": "\"900150983cd24fb0d6963f7d28e17f72\"", "ChecksumAlgorithm": ["CRC64NVME"],
         "ChecksumType": "FULL_OBJECT", "Size": 3, "StorageClass": "STANDARD"},
        {"Key": "pg/db_20250404.dump", "LastModified": "2025-04-04T02:00:12.000Z",
         "ETag": "\"8f1d5d5ca0b2e4ec7b0ec8ad1b1e0c1a-3\"", "Size": 20971520, "StorageClass": "GLACIER",
         "RestoreStatus": {"IsRestoreInProgress": false}}
    ],
    "RequestCharged": null,
    "Prefix": "pg/"
}"#;

    #[test]
    fn reads_the_cli_output() {
        let l = read(LISTING, "l").unwrap();
        assert_eq!(l.prefix.as_deref(), Some("pg/"));
        assert!(!l.truncated());
        let keys: Vec<&str> = l.files().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["pg/db_20250403.dump", "pg/db_20250404.dump"]);
        let s = l.snapshots();
        assert_eq!(s[1].time.text, "2025-04-04T02:00:12.000Z");
        assert_eq!((s[1].size, s[1].paths.as_slice()), (Some(20_971_520), &["pg".to_string()][..]));
        let bare = read(r#"[{"Key":"a","LastModified":"2025-04-03T02:00:12Z","Size":1}]"#, "l");
        assert_eq!(bare.unwrap().contents.len(), 1);
    }

    #[test]
    fn etags_are_md5_only_when_provable() {
        let l = read(LISTING, "l").unwrap();
        let single = &l.contents[1];
        let multi = &l.contents[2];
        assert_eq!(
            content(single, &l, Encryption::SseS3),
            Content::Md5("900150983cd24fb0d6963f7d28e17f72".into())
        );
        assert_eq!(content(single, &l, Encryption::None), content(single, &l, Encryption::SseS3));
        for enc in [Encryption::Unknown, Encryption::SseKms, Encryption::SseC] {
            let Content::Unavailable(why) = content(single, &l, enc) else { panic!("{enc:?}") };
            assert!(why.contains("CRC64NVME"), "{why}");
        }
        let Content::Unavailable(why) = content(multi, &l, Encryption::SseS3) else { panic!() };
        assert!(why.starts_with("multipart upload (3 parts)"), "{why}");
        let mut dir = l.clone();
        dir.name = Some("backups--usw2-az1--x-s3".into());
        assert!(matches!(content(single, &dir, Encryption::SseS3), Content::Unavailable(_)));
    }

    #[test]
    fn bad_listings_say_where() {
        let e = read(r#"{"Contents": [{"Key": "a", "Size": 1}]}"#, "l").unwrap_err();
        assert_eq!(e.to_string(), "l:1:15: Contents[0]: missing field `LastModified`");
        let e = read(r#"{"Contents": [{"Key": "a", "LastModified": "x", "Size": 1}]}"#, "l");
        assert!(e.unwrap_err().to_string().starts_with("l:1:44: Contents[0].LastModified:"));
        let e = read("{\"Contents\": [", "l").unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
    }
}
