//! Where a backup may be when it is not at its key: under the other layout
//! (`{uuid}` instead of `{uuid}/backup.ffce`, or the reverse) or with the UUID in
//! uppercase (ffce writes only the lowercase key, and reads another only by its URL). Asked
//! only after a "not found", to turn it into a hint.

use ffce_core::layout::{ListedKey, ObjectKey, StrayReason};

use crate::error::StoreResult;
use crate::store::Store;

/// An object that is probably the backup that was not found at its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearMiss {
    /// Its key in the store, spelled as stored (see [`ObjectKey::as_spelled`]).
    pub key: ObjectKey,
    /// Where it is, for output (`s3://bucket/key` or a local path).
    pub location: String,
    /// Why it is not at the key asked for: [`StrayReason::OtherLayout`] or
    /// [`StrayReason::NotCanonical`] (the UUID not in lowercase).
    pub reason: StrayReason,
}

/// The objects of `key`'s device that are not at `key` but look like its backup.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use ffce_core::layout::{DeviceId, Layout, ObjectKey, StrayReason};
/// use ffce_store::{MemoryStore, PutOptions, Store, near_misses};
///
/// let store = MemoryStore::new();
/// let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")?;
/// let blob = Bytes::from_static(b"FFCE");
/// // Stored in the flat layout; looked for in the nested one.
/// store.put(&ObjectKey::new(device, Layout::Flat), blob.clone(), &PutOptions::for_body(&blob)).await?;
/// let found = near_misses(&store, &ObjectKey::new(device, Layout::Nested)).await?;
/// assert_eq!(found[0].reason, StrayReason::OtherLayout(Layout::Flat));
/// # Ok(()) }
/// ```
pub async fn near_misses(store: &dyn Store, key: &ObjectKey) -> StoreResult<Vec<NearMiss>> {
    let wanted = key.as_string();
    let root = store.to_string();
    Ok(store
        .list_device(key.device())
        .await?
        .into_iter()
        .filter(|e| e.key != wanted)
        .filter_map(|e| match ListedKey::classify(&e.key, key.layout()) {
            ListedKey::Stray(
                reason @ (StrayReason::OtherLayout(_) | StrayReason::NotCanonical),
            ) => Some(NearMiss {
                location: format!("{}/{}", root.trim_end_matches('/'), e.key),
                // Both reasons are backup keys, which parse.
                key: ObjectKey::parse(&e.key)?,
                reason,
            }),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LocalStore, PutOptions};
    use bytes::Bytes;
    use ffce_core::layout::{DeviceId, Layout};

    #[tokio::test]
    async fn finds_the_other_layout_and_uppercase() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf());
        let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap();
        let flat = ObjectKey::new(device, Layout::Flat);
        let body = Bytes::from_static(b"FFCE");
        store
            .put(&flat, body.clone(), &PutOptions::for_body(&body))
            .await
            .unwrap();
        let upper = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
        std::fs::create_dir(dir.path().join(upper)).unwrap();
        std::fs::write(dir.path().join(upper).join("backup.ffce"), b"FFCE").unwrap();
        std::fs::write(dir.path().join("unrelated"), b"x").unwrap();

        let nested = ObjectKey::new(device, Layout::Nested);
        let mut found = near_misses(&store, &nested).await.unwrap();
        found.sort_by_key(|m| m.key.as_string());
        let got: Vec<_> = found
            .iter()
            .map(|m| (m.key.as_string(), m.reason))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "3F2504E0-4F89-41D3-9A0C-0305E82C3301/backup.ffce".to_string(),
                    StrayReason::NotCanonical
                ),
                (
                    "3f2504e0-4f89-41d3-9a0c-0305e82c3301".to_string(),
                    StrayReason::OtherLayout(Layout::Flat)
                ),
            ]
        );
        // The key itself is never a near miss of itself.
        assert!(
            near_misses(&store, &flat)
                .await
                .unwrap()
                .iter()
                .all(|m| m.key != flat)
        );
    }
}
