//! The S3 API of s3s-fs, with its two listings answered from each bucket's
//! [`Index`] and every write through the server recorded in it.
//!
//! Every other operation is s3s-fs's own. Files put in the data folder behind the
//! server's back after it started are not seen by listings (reads still find them).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;

use crate::index::{Entry, Index};

pub struct Indexed {
    fs: FileSystem,
    root: PathBuf,
    buckets: Mutex<HashMap<String, Index>>,
}

impl Indexed {
    /// s3s-fs on `root`, with every bucket folder there indexed now (before the
    /// server takes requests, so no listing pays for it).
    pub fn new(root: PathBuf) -> std::io::Result<Indexed> {
        let fs = FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let mut buckets = HashMap::new();
        for item in std::fs::read_dir(&root)? {
            let item = item?;
            if !item.file_type()?.is_dir() {
                continue;
            }
            if let Ok(name) = item.file_name().into_string() {
                let index = Index::scan(&item.path())?;
                // On stderr whatever RUST_LOG says: the bench logs only s3s's requests.
                eprintln!("indexed {} keys in bucket {name}", index.len());
                buckets.insert(name, index);
            }
        }
        Ok(Indexed {
            fs,
            root,
            buckets: Mutex::new(buckets),
        })
    }

    fn buckets(&self) -> MutexGuard<'_, HashMap<String, Index>> {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a write to `bucket/key`: what the folder now holds there.
    fn record(&self, bucket: &str, key: &str) {
        let entry = Entry::of_file(&self.root.join(bucket).join(key)).ok();
        if let Some(index) = self.buckets().get_mut(bucket) {
            index.set(key, entry);
        }
    }
}

#[async_trait::async_trait]
impl S3 for Indexed {
    // s3s-fs's own.
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.fs.abort_multipart_upload(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.fs.create_multipart_upload(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.fs.get_object(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs.list_parts(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.fs.upload_part_copy(req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let bucket = req.input.bucket.clone();
        let out = self.fs.create_bucket(req).await?;
        self.buckets().insert(bucket, Index::default());
        Ok(out)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let bucket = req.input.bucket.clone();
        let out = self.fs.delete_bucket(req).await?;
        self.buckets().remove(&bucket);
        Ok(out)
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.put_object(req).await?;
        self.record(&bucket, &key);
        Ok(out)
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.copy_object(req).await?;
        self.record(&bucket, &key);
        Ok(out)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.complete_multipart_upload(req).await?;
        self.record(&bucket, &key);
        Ok(out)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.delete_object(req).await?;
        self.record(&bucket, &key);
        Ok(out)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let keys: Vec<String> = req
            .input
            .delete
            .objects
            .iter()
            .map(|o| o.key.clone())
            .collect();
        let out = self.fs.delete_objects(req).await;
        // Some may have gone even when the call as a whole failed.
        for key in &keys {
            self.record(&bucket, key);
        }
        out
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        // As s3s-fs answers it: the v2 listing, the marker as its start.
        let v2 = self.list_objects_v2(req.map_input(Into::into)).await?;
        Ok(v2.map_output(|v2| ListObjectsOutput {
            contents: v2.contents,
            common_prefixes: v2.common_prefixes,
            delimiter: v2.delimiter,
            encoding_type: v2.encoding_type,
            name: v2.name,
            prefix: v2.prefix,
            max_keys: v2.max_keys,
            is_truncated: v2.is_truncated,
            next_marker: v2.next_continuation_token,
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let max_keys = input.max_keys.unwrap_or(1000);
        // The same start as s3s-fs: the later of the token (the last key of the page
        // before) and start-after.
        let after = match (
            input.continuation_token.as_deref(),
            input.start_after.as_deref(),
        ) {
            (Some(t), Some(s)) => Some(t.max(s)),
            (t, s) => t.or(s),
        };
        let page = {
            let buckets = self.buckets();
            let Some(index) = buckets.get(&input.bucket) else {
                return Err(s3_error!(NoSuchBucket));
            };
            index.page(
                input
                    .prefix
                    .as_deref()
                    .unwrap_or("")
                    .trim_start_matches('/'),
                input.delimiter.as_deref().unwrap_or(""),
                after,
                usize::try_from(max_keys).unwrap_or(0),
            )
        };
        let listed = page.objects.len() + page.common_prefixes.len();
        let contents: Vec<Object> = page
            .objects
            .into_iter()
            .map(|(key, entry)| Object {
                key: Some(key),
                last_modified: Some(Timestamp::from(entry.modified)),
                size: Some(i64::try_from(entry.size).unwrap_or(i64::MAX)),
                ..Default::default()
            })
            .collect();
        let common_prefixes: Vec<CommonPrefix> = page
            .common_prefixes
            .into_iter()
            .map(|prefix| CommonPrefix {
                prefix: Some(prefix),
            })
            .collect();
        let output = ListObjectsV2Output {
            key_count: Some(i32::try_from(listed).unwrap_or(i32::MAX)),
            max_keys: Some(max_keys),
            is_truncated: Some(page.next_after.is_some()),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            continuation_token: input.continuation_token,
            next_continuation_token: page.next_after,
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            name: Some(input.bucket),
            prefix: input.prefix,
            start_after: input.start_after,
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }
}
