//! What `ffce get` and `ffce api get` report about a downloaded backup: the object as
//! stored (and how it was checked), the header report without `-o`, and what was
//! written with `-o`.

use schemars::JsonSchema;
use serde::Serialize;

use super::report::BlobReport;
use super::{Human, Record};
use crate::files::Written;

/// How the download's transport checksum was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumStatus {
    /// A checksum was stored with the object and the body matched it.
    Verified,
    /// The object has no checksum stored with it: only the blob's structure (and with
    /// a key its tag) vouch for the body.
    Absent,
    /// A local file: the local store keeps no checksums.
    LocalFile,
}

/// The download's checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Checksum {
    /// Whether one was stored and verified.
    pub status: ChecksumStatus,
    /// S3's algorithm (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`) when verified.
    pub algorithm: Option<String>,
    /// The stored value in base64, when verified.
    pub value_base64: Option<String>,
}

/// A downloaded backup object, as the store (or the device API) gave it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StoredObject {
    /// Where it was read: `s3://bucket/key`, a local path, or the API's URL.
    pub location: String,
    /// Size in bytes.
    pub size: usize,
    /// The object ETag: S3's ETag of the stored object, without quotes, what `ffce put
    /// --if-match` takes (`null` elsewhere). Not the plaintext digest.
    pub object_etag: Option<String>,
    /// S3's version id (`null` on an unversioned bucket, a local store or the API).
    pub version_id: Option<String>,
    /// When it was written, RFC 3339 UTC (`null` when not known).
    pub last_modified: Option<String>,
    /// How the transport checksum was checked; absent for the device API, which sends
    /// none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// The plaintext digest: the SHA-256 of the plaintext in hex as the object's
    /// metadata holds it (S3's `etag` metadata, the device API's `ETag`); `null` when
    /// there is none.
    pub plaintext_digest: Option<String>,
}

impl StoredObject {
    fn human(&self, out: &mut Human) {
        let mut row = |label: &str, value: &str| {
            out.line(&format!("{label:<17}{value}"));
        };
        if let Some(v) = &self.version_id {
            row("version id", v);
        }
        if let Some(e) = &self.object_etag {
            row("object ETag", &format!("{e} (for --if-match)"));
        }
        if let Some(t) = &self.last_modified {
            row("last modified", t);
        }
        match (&self.checksum, &self.plaintext_digest) {
            (Some(c), digest) => {
                row("checksum", &c.describe());
                if let Some(d) = digest {
                    row("plaintext digest", &format!("{d} (`etag` metadata)"));
                }
            }
            // The device API's ETag is the plaintext digest; say when it had none.
            (None, digest) => {
                row(
                    "plaintext digest",
                    &match digest {
                        Some(d) => format!("{d} (the API's ETag)"),
                        None => "(none)".to_string(),
                    },
                );
            }
        }
    }
}

impl Checksum {
    /// `CRC32 verified`, `none stored`, `local file (none stored)`.
    pub fn describe(&self) -> String {
        match (self.status, &self.algorithm) {
            (ChecksumStatus::Verified, Some(a)) => format!("{a} verified"),
            (ChecksumStatus::Verified, None) => "verified".into(),
            (ChecksumStatus::Absent, _) => "none stored".into(),
            (ChecksumStatus::LocalFile, _) => "local file (none stored)".into(),
        }
    }
}

/// `ffce get` / `ffce api get` without `-o`: the header report (authenticated with
/// `--decrypt`) and the object.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DownloadReport {
    /// The report of the downloaded blob.
    #[serde(flatten)]
    pub report: BlobReport,
    /// The object as stored.
    pub object: StoredObject,
}

impl Record for DownloadReport {
    const KIND: &'static str = "download_report";

    fn human(&self, out: &mut Human) {
        self.report.human(out);
        self.object.human(out);
    }
}

/// A file written by a command.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WrittenFile {
    /// The path, or `-` for stdout.
    pub path: String,
    /// Bytes written.
    pub size: usize,
    /// True when an existing file was replaced (`--force`).
    pub replaced: bool,
}

impl From<&Written> for WrittenFile {
    fn from(w: &Written) -> WrittenFile {
        match w {
            Written::Stdout { len } => WrittenFile {
                path: "-".into(),
                size: *len,
                replaced: false,
            },
            Written::File {
                path,
                len,
                replaced,
            } => WrittenFile {
                path: path.display().to_string(),
                size: *len,
                replaced: *replaced,
            },
        }
    }
}

/// `ffce get -o FILE` / `ffce api get -o FILE`: what was downloaded, checked and
/// written.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Downloaded {
    /// The device UUID, lowercase.
    pub device: String,
    /// The object as stored.
    pub object: StoredObject,
    /// Where the blob (or with `--decrypt` the plaintext) went.
    pub written: WrittenFile,
    /// True when the plaintext was written (`--decrypt`): the blob authenticated and
    /// its SHA-256 matched `object.plaintext_digest` when there is one.
    pub decrypted: bool,
    /// True when the blob authenticated with a key given (with `--decrypt`, or a key
    /// given without it, which checks the blob written as it is) and its plaintext's
    /// SHA-256 matched `object.plaintext_digest` when there is one; false without a key.
    pub authenticated: bool,
    /// False with `--no-verify` for a blob that is not valid (written as stored, for
    /// analysis; the command exits 4).
    pub valid: bool,
    /// With `--no-verify`: the header report of what was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<BlobReport>,
}

impl Record for Downloaded {
    const KIND: &'static str = "downloaded";

    /// The device API's etag alone, when the backup went to a file (a device keeps it
    /// for its next `--if-none-match`); nothing for `ffce get`, which says on stderr
    /// what it wrote (stdout may be the backup itself).
    fn human(&self, out: &mut Human) {
        let api = self.object.checksum.is_none();
        if let (true, Some(d), false) =
            (api, &self.object.plaintext_digest, self.written.path == "-")
        {
            out.line(d);
        }
    }
}
