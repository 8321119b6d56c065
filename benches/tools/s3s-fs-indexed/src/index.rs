//! A bucket's keys in order, and the listing page S3 would answer from them.
//!
//! S3 finds a listing's first key by a seek in its sorted index and reads on from
//! there, so a page costs the same whatever the bucket's size. s3s-fs walks the whole
//! bucket folder for every page instead: a bench of listing on it measures the walk.
//! This index gives the walk's answer (the same keys, sizes and times, in the same
//! order, with the same continuation tokens) at S3's cost.

use std::collections::BTreeMap;
use std::io;
use std::ops::Bound;
use std::path::Path;
use std::time::SystemTime;

/// What a listing says about one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub size: u64,
    pub modified: SystemTime,
}

impl Entry {
    /// The object's file as s3s-fs keeps it: its size and modification time.
    pub fn of_file(path: &Path) -> io::Result<Entry> {
        let meta = std::fs::metadata(path)?;
        Ok(Entry {
            size: meta.len(),
            modified: meta.modified()?,
        })
    }
}

/// One bucket's objects, by key.
#[derive(Debug, Default)]
pub struct Index {
    keys: BTreeMap<String, Entry>,
}

/// A listing page: objects and common prefixes in key order, at most `max_keys` of
/// them together, and the key to continue after when there are more.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub objects: Vec<(String, Entry)>,
    pub common_prefixes: Vec<String>,
    /// The last key or common prefix of the page, when the listing goes on past it.
    pub next_after: Option<String>,
}

impl Index {
    /// Every file under a bucket folder, keyed as s3s-fs keys it (the path from the
    /// folder, `/`-separated). A name that is not UTF-8 is skipped, as s3s-fs skips it.
    pub fn scan(bucket_dir: &Path) -> io::Result<Index> {
        let mut index = Index::default();
        let mut folders = vec![(bucket_dir.to_path_buf(), String::new())];
        while let Some((dir, key_prefix)) = folders.pop() {
            for item in std::fs::read_dir(&dir)? {
                let item = item?;
                let Ok(name) = item.file_name().into_string() else {
                    continue;
                };
                let key = format!("{key_prefix}{name}");
                if item.file_type()?.is_dir() {
                    folders.push((item.path(), format!("{key}/")));
                } else {
                    index.keys.insert(key, Entry::of_file(&item.path())?);
                }
            }
        }
        Ok(index)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Records a write through the server: the object's entry, or its removal.
    pub fn set(&mut self, key: &str, entry: Option<Entry>) {
        match entry {
            Some(entry) => {
                self.keys.insert(key.to_owned(), entry);
            }
            None => {
                self.keys.remove(key);
            }
        }
    }

    /// The page of the keys that start with `prefix` and sort after `after`, grouped
    /// at `delimiter` (an empty delimiter groups nothing, as on S3).
    pub fn page(
        &self,
        prefix: &str,
        delimiter: &str,
        after: Option<&str>,
        max_keys: usize,
    ) -> Page {
        let start = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut page = Page::default();
        let mut listed = 0;
        let mut last: Option<String> = None;
        let mut grouped: Option<String> = None;
        for (key, entry) in self.keys.range::<str, _>((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            if grouped.as_deref().is_some_and(|g| key.starts_with(g)) {
                continue;
            }
            let group = (!delimiter.is_empty())
                .then(|| key[prefix.len()..].find(delimiter))
                .flatten()
                .map(|at| key[..prefix.len() + at + delimiter.len()].to_owned());
            if let Some(group) = &group {
                // A continuation token can be a common prefix: the keys under it were listed.
                if after.is_some_and(|after| group.as_str() <= after) {
                    grouped = Some(group.clone());
                    continue;
                }
            }
            if listed == max_keys {
                page.next_after = last.take();
                return page;
            }
            listed += 1;
            match group {
                Some(group) => {
                    last = Some(group.clone());
                    page.common_prefixes.push(group.clone());
                    grouped = Some(group);
                }
                None => {
                    last = Some(key.clone());
                    page.objects.push((key.clone(), *entry));
                }
            }
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(keys: &[&str]) -> Index {
        let mut index = Index::default();
        for (i, key) in keys.iter().enumerate() {
            let entry = Entry {
                size: i as u64,
                modified: SystemTime::UNIX_EPOCH,
            };
            index.set(key, Some(entry));
        }
        index
    }

    fn keys(page: &Page) -> Vec<&str> {
        page.objects.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Paging through with each page's token sees every key once, in order.
    #[test]
    fn pages_chain_through_every_key() {
        let all = ["0a/b", "0b", "1", "1a/x", "1a/y", "2", "a", "b/c/d", "~"];
        let index = index(&all);
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = index.page("", "", after.as_deref(), 2);
            seen.extend(keys(&page).into_iter().map(str::to_owned));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn a_prefix_lists_only_its_keys() {
        let index = index(&["0a", "1a", "1b", "2a"]);
        assert_eq!(keys(&index.page("1", "", None, 1000)), ["1a", "1b"]);
        assert_eq!(keys(&index.page("1", "", Some("1a"), 1000)), ["1b"]);
        // A start past the prefix's keys, and one before them.
        assert!(index.page("1", "", Some("1z"), 1000).objects.is_empty());
        assert_eq!(keys(&index.page("1", "", Some("0z"), 1000)), ["1a", "1b"]);
    }

    #[test]
    fn a_delimiter_groups_keys_into_common_prefixes() {
        let index = index(&["a/1", "a/2", "b", "c/x/1", "c/y"]);
        let page = index.page("", "/", None, 2);
        assert_eq!(keys(&page), ["b"]);
        assert_eq!(page.common_prefixes, ["a/"]);
        assert_eq!(page.next_after.as_deref(), Some("b"));
        let page = index.page("", "/", Some("b"), 2);
        assert_eq!(page.common_prefixes, ["c/"]);
        assert_eq!(page.next_after, None);
        // Continuing after a common prefix skips the keys under it.
        let page = index.page("", "/", Some("a/"), 1000);
        assert_eq!(keys(&page), ["b"]);
        assert_eq!(page.common_prefixes, ["c/"]);
        // Within a prefix.
        let page = index.page("c/", "/", None, 1000);
        assert_eq!(keys(&page), ["c/y"]);
        assert_eq!(page.common_prefixes, ["c/x/"]);
    }

    #[test]
    fn a_full_last_page_says_there_is_no_more() {
        let index = index(&["a", "b"]);
        assert_eq!(index.page("", "", None, 2).next_after, None);
        assert_eq!(index.page("", "", None, 1).next_after.as_deref(), Some("a"));
        assert_eq!(index.page("", "", None, 0), Page::default());
    }

    #[test]
    fn writes_change_the_listing() {
        let mut index = index(&["a", "b"]);
        index.set("a", None);
        index.set(
            "c",
            Some(Entry {
                size: 3,
                modified: SystemTime::UNIX_EPOCH,
            }),
        );
        assert_eq!(keys(&index.page("", "", None, 1000)), ["b", "c"]);
    }
}
