//! `ffce versions`: a device's backup versions and delete markers, newest first.
//! Needs an S3 bucket; on the local store it exits 2.
//!
//! A device with no versions at all (no backup, no delete marker) is not found, exit 3:
//! an empty list would look like success to a script that mistyped the UUID.
//!
//! With `--content` every version is downloaded (a few at once, listed in order) and
//! judged: its structure, with a key whether it authenticates, what it holds (database
//! version, tables, rows: names and counts only) and whether the device would restore
//! it, so that "which version was the last good one" is one command. The verdicts are
//! information, not failures: the command exits 0 whatever they are.

use futures_util::StreamExt as _;

use super::content_source::{KeyRef, Keys};
use super::store_common::key_argument;
use crate::exit::{CliError, CliResult};
use crate::output::content::ContentProblem;
use crate::output::versions::{
    ContentVerdict, TableRows, Version, VersionContent, VersionKind, VersionList, VersionsSummary,
};
use crate::output::{Format, Printer, timestamp};
use crate::store_choice::{DeviceTarget, StoreTarget};
use crate::ui::Ui;
use ffce_core::content::{self, Export};
use ffce_core::{firmware, layout::ObjectKey};
use ffce_store::{PlaintextDigest, Store, VersionEntry, VersionId};
use sha2::Digest as _;

/// Versions downloaded at once with `--content`.
const IN_FLIGHT: usize = 4;

/// Runs `ffce versions`; `keys` with `--content` (`None` without it).
pub async fn run(
    ui: &Ui,
    printer: &mut Printer,
    store: StoreTarget,
    target: DeviceTarget,
    keys: Option<Keys>,
) -> CliResult {
    let DeviceTarget { device, key } = target;
    let content_asked = keys.is_some();
    let store = store.open(ui).await?;
    let versioned = store
        .versioned()
        .ok_or_else(|| CliError::needs_bucket("ffce versions"))?;
    let location = store.describe(&key);
    let versions = versioned.list_versions(&key).await?;
    if versions.is_empty() {
        return Err(CliError::not_found(format!(
            "device {device} has no backup and no versions: nothing at {location}"
        )));
    }
    let deleted = versions.first().is_some_and(|v| v.is_delete_marker);
    let count = versions.len() as u64;

    // The device's key, once: from --key-dir, or the one given.
    let cipher = match &keys {
        Some(keys) if keys.given() => Some(keys.for_blob(Some(device), &location)?),
        _ => None,
    };
    let judge = |v: VersionEntry| {
        let (store, key, cipher) = (store.as_ref(), &key, cipher.as_ref());
        let content = content_asked;
        async move {
            let checked = match (content, v.is_delete_marker) {
                (true, false) => Some(judge(store, key, &v, cipher).await),
                _ => None,
            };
            version_record(v, checked)
        }
    };
    let mut stream = futures_util::stream::iter(versions)
        .map(judge)
        .buffered(IN_FLIGHT);
    if printer.format() == Format::Jsonl {
        let mut restorable = 0u64;
        while let Some(version) = stream.next().await {
            restorable += u64::from(
                version
                    .content
                    .as_ref()
                    .is_some_and(|c| c.restorable == Some(true)),
            );
            if !printer.item(&version)? {
                return Ok(());
            }
        }
        printer.summary(&VersionsSummary {
            device: device.to_string(),
            location: location.clone(),
            versions: count,
            restorable: (content_asked && cipher.is_some()).then_some(restorable),
        })?;
    } else {
        let list = VersionList {
            device: device.to_string(),
            location: location.clone(),
            versions: stream.collect().await,
        };
        printer.document(&list)?;
    }
    if deleted {
        ui.info(format!(
            "{location} is deleted (its latest version is a delete marker); \
             `ffce restore {} --version-id V` brings a version back",
            key_argument(&key, &location)
        ));
    }
    Ok(())
}

fn version_record(v: VersionEntry, content: Option<VersionContent>) -> Version {
    Version {
        version_id: v.version_id.to_string(),
        is_latest: v.is_latest,
        kind: if v.is_delete_marker {
            VersionKind::DeleteMarker
        } else {
            VersionKind::Backup
        },
        size: v.size,
        last_modified: v.last_modified.map(timestamp),
        object_etag: v.etag,
        content,
    }
}

/// Downloads one version and says what it is.
async fn judge(
    store: &dyn Store,
    key: &ObjectKey,
    v: &VersionEntry,
    cipher: Option<&KeyRef<'_>>,
) -> VersionContent {
    let failed = |verdict, reason: String| VersionContent {
        verdict,
        reason: Some(reason),
        ..VersionContent::default()
    };
    let Ok(id) = VersionId::parse(&v.version_id) else {
        return failed(
            ContentVerdict::Unreadable,
            "S3 listed a version id ffce cannot use".into(),
        );
    };
    let object = match store.get(key, Some(&id)).await {
        Ok(object) => object,
        Err(e) => return failed(ContentVerdict::Unreadable, CliError::from(e).message),
    };
    if let Err(e) = ffce_core::Blob::parse(&object.body) {
        return failed(ContentVerdict::NotABlob, e.to_string());
    }
    let Some(cipher) = cipher else {
        return VersionContent::default();
    };
    let plaintext = match cipher.key().open(&object.body) {
        Ok(p) => p,
        Err(e) => return failed(ContentVerdict::NotAuthentic, e.to_string()),
    };
    if let Some(PlaintextDigest::Sha256(stored)) = &object.plaintext_digest {
        let digest: [u8; 32] = sha2::Sha256::digest(&*plaintext).into();
        if *stored != digest {
            return failed(
                ContentVerdict::DigestMismatch,
                "the plaintext's SHA-256 differs from the object's etag metadata".into(),
            );
        }
    }
    let mut out = VersionContent {
        verdict: ContentVerdict::Authentic,
        ..VersionContent::default()
    };
    let problem = |code: &str, message: String| ContentProblem {
        code: code.to_string(),
        message,
    };
    for p in firmware::restore_problems(&plaintext) {
        out.restore_problems.push(problem(p.code(), p.to_string()));
    }
    if out.restore_problems.is_empty() {
        match content::parse(&plaintext) {
            Err(e) => out.restore_problems.push(problem(e.code(), e.to_string())),
            Ok(doc) => match Export::new(&doc) {
                Err(e) => out.restore_problems.push(problem(e.code(), e.to_string())),
                Ok(export) => {
                    out.database_name = export.database_name.map(str::to_string);
                    out.database_version = export.database_version.cloned();
                    out.total_rows = Some(export.total_rows());
                    out.tables = Some(
                        export
                            .tables
                            .iter()
                            .map(|t| TableRows {
                                name: t.name.to_string(),
                                rows: t.rows.len() as u64,
                            })
                            .collect(),
                    );
                    for p in export.problems.iter().filter(|p| p.refused_by_app()) {
                        out.restore_problems.push(problem(p.code(), p.to_string()));
                    }
                }
            },
        }
    }
    out.restorable = Some(out.restore_problems.is_empty());
    out
}
