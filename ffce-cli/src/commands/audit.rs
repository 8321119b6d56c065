//! `ffce audit`: check every device's latest backup in the store.
//!
//! List the store (`Store::list_pages`: on S3 the sixteen UUID prefixes and the keys
//! outside the layout at once); classify each key as its page arrives (a backup of the
//! layout, or a stray key); read and judge the backups with `ffce_store::audit::run`
//! (the header only without a key, the whole object with one), up to `--concurrency`
//! at a time, starting with the first page rather than after the last; print each
//! finding and the totals. The human and `--json` reports are in key order, the
//! `--jsonl` lines in completion order.
//!
//! Keys: one for the fleet (`--master-key-file`, `--key-file`, the environment), or
//! with `--key-dir` one master secret per device (`ffce_store::keyring::KeyDir`),
//! where a device without a key file is `no_key`: reported and counted, not a failure.
//!
//! Every finding carries its backup's last-modified time from the listing. With
//! `--older-than` the audit still reads and counts every backup, but lists only the
//! ones older than that (as of the start of the audit), marked stale: the selection
//! reads as `find -mtime` does, and the human and JSON forms agree on it (`--all`
//! lists every finding, the stale ones marked). Stale is not a verdict on the backup
//! and does not change the exit code.
//!
//! Each finding's `status` says what was checked: `authenticated` (with a key),
//! `structure_valid` (without one), `no_key`, or what is wrong. With a key the engine
//! also compares the plaintext digest (`etag` metadata, from the same GET) and judges
//! the plaintext as the controller would (`digest_mismatch`, `content_unrestorable`).
//!
//! `--jsonl` prints each finding as one `finding` record the moment the engine yields
//! it (in completion order, flushed), then the `stray_key` records, then the `summary`; nothing is
//! collected but the stray keys, so memory is the reads in flight and the listing's
//! pages not yet read (at most one per listed prefix), whatever the fleet's size. When
//! the reader goes away (`| head`) the audit stops, as a successful command: there is
//! nobody left to tell.
//!
//! Exit code, worst first: 4 if any backup is invalid (malformed, too large, not
//! authentic, checksum or plaintext-digest mismatch, a plaintext the controller will
//! not restore); otherwise 1 if any read failed after the SDK's
//! retries (the audit is incomplete; the totals count those objects as `errors`,
//! never as valid); otherwise 0. Integrity ranks first, as in `ffce verify`: an
//! invalid backup that was found is a fact, and a flaky request must not hide it.
//! Stray keys and objects deleted during the audit (`gone`) are reported but do not
//! change the exit code, unless `--fail-on` names them: `--fail-on stale,no_key,stray`
//! makes those findings fail the audit with exit 4 as well (a nightly script's "is
//! anything wrong"); `stale` needs `--older-than`. A listing that fails ends the command with that error (after
//! the backups already listed were read; `--jsonl` has printed their lines).
//!
//! Requests the store had to retry (throttling, `503 SlowDown`, server errors, cut
//! connections: the SDK's standard retry with backoff, each request waiting on its own
//! while the others go on) are counted in the summary, "N retries" and JSON
//! `retries`: they change no verdict, but say that the store is pushing back.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use futures_util::StreamExt as _;
use futures_util::stream::{self, BoxStream};

use super::store_common::{list_pages, stray_record};
use crate::age::{Cutoff, OlderThan};
use crate::cli::FailOn;
use crate::exit::{CliError, CliResult, Failure};
use crate::keys::LoadedKey;
use crate::output::audit::{
    AuditMode, AuditReport, AuditSummary, AuditTotals, Finding, FindingStatus,
};
use crate::output::report::ProblemRecord;
use crate::output::{Format, Printer, timestamp};
use crate::store_choice::StoreTarget;
use crate::ui::Ui;
use ffce_core::{
    Purpose,
    layout::{Layout, ListedKey},
    numbers::Grouped,
};
use ffce_store::audit::{self, Target, Totals};
use ffce_store::keyring::{AuditKeys, KeyDir};
use ffce_store::{ListEntry, ListPace, StoreError};

/// The keys an audit was given.
pub enum Keys {
    /// None: structure only.
    None,
    /// One key for the fleet (boxed: a key schedule is large).
    One(Box<LoadedKey>),
    /// `--key-dir`: a master secret per device.
    Dir(PathBuf),
}

/// `ffce audit`, resolved.
pub struct Audit {
    /// The store.
    pub store: StoreTarget,
    /// The keys.
    pub keys: Keys,
    /// The purpose the per-device keys are derived for.
    pub purpose: Purpose,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// `--older-than`: list only the backups older than this.
    pub older_than: Option<OlderThan>,
    /// `--all`: with `--older-than`, list every finding.
    pub list_all: bool,
    /// `--fail-on`: the findings that fail the audit besides invalid backups.
    pub fail_on: Vec<FailOn>,
}

/// Runs `ffce audit`.
pub async fn run(ui: &Ui, printer: &mut Printer, args: Audit) -> CliResult {
    if args.fail_on.contains(&FailOn::Stale) && args.older_than.is_none() {
        return Err(CliError::usage(
            "--fail-on stale needs --older-than AGE: without it no backup is stale",
        ));
    }
    let (keys, mode, key_source) = match args.keys {
        Keys::Dir(dir) => {
            let keys = KeyDir::open(&dir, args.purpose)?;
            warn_if_shared(ui, &dir);
            (
                AuditKeys::PerDevice(keys),
                AuditMode::AuthenticatePerDevice,
                None,
            )
        }
        // Where the one fleet key came from, for the summary (a key left in the shell's
        // environment must never be used silently).
        Keys::One(k) => (
            AuditKeys::One(Arc::new(k.key)),
            AuditMode::Authenticate,
            Some(k.source.to_string()),
        ),
        Keys::None => (AuditKeys::None, AuditMode::Structure, None),
    };
    let layout = args.store.layout;
    let store = args.store.open(ui).await?;
    let started = Instant::now();
    let cutoff = args
        .older_than
        .map(|age| Cutoff::new(age, SystemTime::now()));
    let concurrency = args.concurrency;
    let mut summary = AuditSummary {
        store: store.to_string(),
        layout: layout.name().to_string(),
        mode,
        key_source,
        concurrency,
        older_than: cutoff.map(|c| c.age().to_string()),
        totals: totals_record(&Totals::default(), mode, cutoff.is_some()),
        retries: 0,
        elapsed_seconds: 0.0,
        exit_code: 0,
    };
    ui.detail(
        1,
        format!(
            "audit: listing {} (each UUID prefix and the keys outside the layout at \
             once) and reading {} as the pages arrive, up to {concurrency} request(s) at once",
            summary.store,
            match mode {
                AuditMode::Structure => "37-byte headers",
                AuditMode::Authenticate => "whole objects",
                AuditMode::AuthenticatePerDevice => "whole objects of the devices with a key file",
            }
        ),
    );
    // The backups go to the engine as the listing yields them; the stray keys and a
    // listing error are kept aside for the end.
    let listing = Arc::new(Mutex::new(Listing::default()));
    let bar = ui.progress_bar(0, !printer.format().is_json(), "auditing");
    let targets = targets(
        // The listing only as far ahead of the reads as keeps them busy (`ListPace`).
        list_pages(
            store.as_ref(),
            &args.store,
            ListPace::Feeding { reads: concurrency },
        ),
        layout,
        listing.clone(),
        bar.clone(),
    );
    let authenticated = mode != AuditMode::Structure;
    let selection = Selection {
        cutoff,
        all: args.list_all,
    };
    let mut totals = Totals::default();
    let mut listed = Vec::new();
    let mut unlisted_invalid = 0u64;
    let mut results = audit::run(store.as_ref(), targets, Arc::new(keys), concurrency);
    // Findings are printed (`--jsonl`) or kept as the engine yields them, so that
    // `--jsonl` holds none; the others are sorted into key order at the end.
    while let Some(f) = results.next().await {
        bar.inc(1);
        totals.add(&f);
        let stale = cutoff.as_ref().map(|c| totals.add_stale(&f, c));
        if !selection.lists(stale) {
            unlisted_invalid += u64::from(f.status.is_invalid());
            continue;
        }
        let record = Finding {
            key: f.key.as_string(),
            device: f.key.device().to_string(),
            size: f.size,
            last_modified: f.last_modified.map(timestamp),
            status: FindingStatus::of(f.status, authenticated),
            errors: f
                .problems
                .iter()
                .map(|p| ProblemRecord {
                    code: p.code().to_string(),
                    message: p.to_string(),
                })
                .collect(),
            stale,
            older_than: cutoff.map(|c| c.phrase()),
        };
        if printer.format() == Format::Jsonl {
            if !printer.item(&record)? {
                // The verdict so far: exit 4 when an invalid backup was already read.
                let so_far = outcome(
                    failure_of(&totals, &args.fail_on),
                    &totals,
                    unlisted_invalid,
                    &args.fail_on,
                );
                return Err(CliError::reader_left(so_far));
            }
        } else {
            listed.push(record);
        }
    }
    drop(results);
    bar.finish_and_clear();
    let strays = take_listing(&listing, totals.objects)?;
    totals.stray = strays.len() as u64;
    totals.retries = store.retries();
    let failure = failure_of(&totals, &args.fail_on);
    let elapsed = started.elapsed().as_secs_f64();
    summary.totals = totals_record(&totals, mode, cutoff.is_some());
    summary.retries = totals.retries;
    summary.elapsed_seconds = (elapsed * 1000.0).round() / 1000.0;
    summary.exit_code = failure.map_or(0, Failure::code);
    let strays: Vec<_> = strays.iter().map(|(r, e)| stray_record(*r, e)).collect();
    if printer.format() == Format::Jsonl {
        for s in &strays {
            if !printer.item(s)? {
                return Err(CliError::reader_left(outcome(
                    failure,
                    &totals,
                    unlisted_invalid,
                    &args.fail_on,
                )));
            }
        }
        printer.summary(&summary)?;
    } else {
        // In key order, as the listing would have given them one page after the other.
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        printer.document(&AuditReport {
            summary,
            objects: listed,
            stray_keys: strays,
        })?;
    }
    report_rate(ui, totals.objects, elapsed, concurrency);
    outcome(failure, &totals, unlisted_invalid, &args.fail_on)
}

/// Which findings are listed: all of them, or with `--older-than` the stale ones
/// (all again with `--all`).
struct Selection {
    cutoff: Option<Cutoff>,
    all: bool,
}

impl Selection {
    fn lists(&self, stale: Option<bool>) -> bool {
        self.cutoff.is_none() || self.all || stale == Some(true)
    }
}

fn totals_record(t: &Totals, mode: AuditMode, counts_stale: bool) -> AuditTotals {
    AuditTotals {
        objects: t.objects,
        bytes: t.bytes,
        valid: t.valid,
        invalid: t.invalid,
        invalid_by_reason: t
            .invalid_by_reason
            .iter()
            .map(|(code, n)| (code.to_string(), *n))
            .collect(),
        stray: t.stray,
        errors: t.errors,
        gone: t.gone,
        no_key: (mode == AuditMode::AuthenticatePerDevice).then_some(t.no_key),
        stale: counts_stale.then_some(t.stale),
    }
}

/// Warns when the key folder is open to group or others: it holds every device's
/// master secret (each file is read later, one device at a time, without warnings).
#[cfg(unix)]
fn warn_if_shared(ui: &Ui, dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        ui.warn(format!(
            "key folder {} is accessible by group or others (mode {mode:04o}); restrict it \
             with `chmod 700 {}`",
            dir.display(),
            dir.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_ui: &Ui, _dir: &std::path::Path) {}

/// What the listing left for the end of an audit: its stray keys, how many backups it
/// handed to the engine, and the error that ended it early, if one did.
#[derive(Default)]
struct Listing {
    strays: Vec<(ffce_core::layout::StrayReason, ListEntry)>,
    targets: u64,
    error: Option<StoreError>,
}

/// The backups of the listing's pages as audit targets, in the order the pages come.
/// Stray keys and the error that ends a listing go into `listing`; each target
/// lengthens the progress bar.
fn targets<'a>(
    pages: BoxStream<'a, Result<Vec<ListEntry>, StoreError>>,
    layout: Layout,
    listing: Arc<Mutex<Listing>>,
    bar: indicatif::ProgressBar,
) -> impl futures_util::Stream<Item = Target> + Send + 'a {
    pages
        .scan(listing, move |listing, page| {
            let mut listing = listing.lock().unwrap_or_else(|e| e.into_inner());
            let targets: Vec<Target> = match page {
                Ok(entries) => entries
                    .into_iter()
                    .filter_map(|entry| match ListedKey::classify(&entry.key, layout) {
                        ListedKey::Backup(object) => Some(Target {
                            object,
                            listed_size: entry.size,
                            last_modified: entry.last_modified,
                        }),
                        ListedKey::Stray(reason) => {
                            listing.strays.push((reason, entry));
                            None
                        }
                    })
                    .collect(),
                Err(e) => {
                    listing.error = Some(e);
                    return std::future::ready(None);
                }
            };
            listing.targets += targets.len() as u64;
            bar.inc_length(targets.len() as u64);
            std::future::ready(Some(stream::iter(targets)))
        })
        .flatten()
}

/// The stray keys, in key order, once the engine is done; the listing's error if it
/// ended early. The engine judges every target it is given exactly once; should that
/// ever not hold, the audit is incomplete and says so rather than pass as complete.
fn take_listing(
    listing: &Mutex<Listing>,
    judged: u64,
) -> CliResult<Vec<(ffce_core::layout::StrayReason, ListEntry)>> {
    let mut listing = listing.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = listing.error.take() {
        return Err(e.into());
    }
    if judged != listing.targets {
        return Err(CliError::other(format!(
            "the audit judged {judged} of the {} backup(s) listed, so it is incomplete",
            listing.targets
        )));
    }
    let mut strays = std::mem::take(&mut listing.strays);
    strays.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    Ok(strays)
}

/// How many findings of each `--fail-on` kind there are, for those asked for.
fn failing(totals: &Totals, fail_on: &[FailOn]) -> Vec<(FailOn, u64)> {
    let mut kinds = fail_on.to_vec();
    kinds.sort();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| {
            let n = match kind {
                FailOn::Stale => totals.stale,
                FailOn::NoKey => totals.no_key,
                FailOn::Stray => totals.stray,
            };
            (kind, n)
        })
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// Exit code, worst first: 4 for any invalid backup or any finding `--fail-on` names
/// (facts found, like an invalid backup), else 1 for any failed read.
fn failure_of(totals: &Totals, fail_on: &[FailOn]) -> Option<Failure> {
    if totals.invalid > 0 || !failing(totals, fail_on).is_empty() {
        Some(Failure::Integrity)
    } else if totals.errors > 0 {
        Some(Failure::Other)
    } else {
        None
    }
}

fn report_rate(ui: &Ui, objects: u64, elapsed: f64, concurrency: usize) {
    ui.info(format!(
        "{} object(s) in {elapsed:.2} s ({:.0} objects/s, up to {concurrency} at once)",
        Grouped(objects),
        if elapsed > 0.0 {
            objects as f64 / elapsed
        } else {
            0.0
        }
    ));
}

/// The command's result: the error message that goes with `failure`.
/// `unlisted_invalid`: invalid backups that `--older-than` left out of the listing.
fn outcome(
    failure: Option<Failure>,
    totals: &Totals,
    unlisted_invalid: u64,
    fail_on: &[FailOn],
) -> CliResult {
    let failing: Vec<String> = failing(totals, fail_on)
        .into_iter()
        .map(|(kind, n)| match kind {
            FailOn::Stale => format!("{n} stale backup(s)"),
            FailOn::NoKey => format!("{n} backup(s) without a key (no_key)"),
            FailOn::Stray => format!("{n} stray key(s)"),
        })
        .collect();
    match failure {
        None => Ok(()),
        Some(Failure::Integrity) if totals.invalid == 0 => Err(CliError::integrity(format!(
            "--fail-on: {} among {} backup(s){}",
            failing.join(", "),
            totals.objects,
            if totals.errors > 0 {
                format!(
                    "; {} could not be read, so the audit is also incomplete",
                    totals.errors
                )
            } else {
                String::new()
            }
        ))),
        Some(Failure::Integrity) => Err(CliError::integrity(format!(
            "{} of {} backup(s) are invalid{}{}{}",
            totals.invalid,
            totals.objects,
            if failing.is_empty() {
                String::new()
            } else {
                format!("; --fail-on: {}", failing.join(", "))
            },
            if unlisted_invalid > 0 {
                format!(
                    " ({unlisted_invalid} of them not listed: not older than --older-than; \
                     --all lists them)"
                )
            } else {
                String::new()
            },
            if totals.errors > 0 {
                format!(
                    "; {} could not be read, so the audit is also incomplete",
                    totals.errors
                )
            } else {
                String::new()
            }
        ))),
        Some(f) => Err(CliError::new(
            f,
            format!(
                "{} of {} read(s) failed, so the audit is incomplete (run it again, or raise \
                 --max-attempts; -v shows more)",
                totals.errors, totals.objects
            ),
        )),
    }
}
