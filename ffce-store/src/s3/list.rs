//! Listing the whole bucket: the nineteen spans of [`crate::listing`] (sixteen hex
//! prefixes and the three gaps of keys outside the layout) paginated at the same time,
//! each page handed on the moment it arrives.
//!
//! - One ListObjectsV2 request per page, never more: a span's next page is asked for
//!   with the continuation token of the one before, and a gap's listing stops at the
//!   first key past its end (the rest of that page is dropped, no further page asked).
//! - Memory is bounded by the spans listed at once and the page size: each span holds
//!   at most one page that its reader has not taken yet, and asks for the next only
//!   when polled. [`ListPace`] says how many spans are listed at once: all nineteen
//!   for a listing shown whole, fewer for an audit, whose reads take the keys more slowly than they come.
//! - Pages come in completion order; [`Store::list`](crate::Store::list) sorts them
//!   into key order.

use std::time::SystemTime;

use futures_util::stream::{self, BoxStream, StreamExt as _};

use super::S3Store;
use super::WithinLimit;
use crate::error::StoreResult;
use crate::listing::{ListPace, Span, spans};
use crate::store::ListEntry;

impl S3Store {
    /// Every object of the bucket, page by page as the pages arrive, each key once.
    pub(super) fn list_all_pages(
        &self,
        pace: ListPace,
    ) -> BoxStream<'_, StoreResult<Vec<ListEntry>>> {
        stream::iter(spans().into_iter().map(|span| self.list_span(span)))
            .flatten_unordered(Some(pace.spans_at_once()))
            .boxed()
    }

    /// One span's pages, in order. An error ends the span's listing (and is its last
    /// item).
    fn list_span(&self, span: Span) -> BoxStream<'_, StoreResult<Vec<ListEntry>>> {
        // The state: `None` when done, else the token of the next page (`None` first).
        stream::unfold(
            Some(None),
            move |state: Option<Option<String>>| async move {
                let token = state?;
                let page = self
                    .lister
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .set_prefix(span.prefix())
                    .set_start_after(span.start_after())
                    .set_continuation_token(token)
                    .send()
                    .within(self)
                    .await;
                let page = match page {
                    Ok(page) => page,
                    Err(e) => {
                        let what = format!("s3://{}", self.bucket);
                        let err = self.classify_listing(e, || format!("list {what}"));
                        return Some((Err(err), None));
                    }
                };
                let mut next = page
                    .next_continuation_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                let mut entries = Vec::with_capacity(page.contents().len());
                for obj in page.contents() {
                    let key = obj.key().unwrap_or_default();
                    if span.is_past(key) {
                        next = None;
                        break;
                    }
                    if span.owns(key) {
                        entries.push(entry(obj));
                    }
                }
                Some((Ok(entries), next.map(Some)))
            },
        )
        .boxed()
    }
}

pub(super) fn entry(obj: &aws_sdk_s3::types::Object) -> ListEntry {
    ListEntry {
        key: obj.key().unwrap_or_default().to_owned(),
        size: obj.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        last_modified: obj
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok()),
    }
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
