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
//! Every finding carries its backup's last-modified time from the listing; with
//! `--older-than` the ones older than that (as of the start of the audit) are marked
//! stale and counted. Stale is not a verdict on the backup and does not change the
//! exit code.
//!
//! `--jsonl` prints each finding as one JSON line the moment the engine yields it (in
//! completion order, flushed), then the stray keys, then a summary line; nothing is
//! collected but the stray keys, so memory is the reads in flight and the listing's
//! pages not yet read (at most one per listed prefix), whatever the fleet's size. When
//! the reader goes away (`| head`) the audit stops, as a successful command: there is
//! nobody left to tell.
//!
//! Exit code, worst first: 4 if any backup is invalid (malformed, too large, not
//! authentic, checksum mismatch); otherwise 1 if any read failed after the SDK's
//! retries (the audit is incomplete; the totals count those objects as `errors`,
//! never as valid); otherwise 0. Integrity ranks first, as in `ffce verify`: an
//! invalid backup that was found is a fact, and a flaky request must not hide it.
//! Stray keys and objects deleted during the audit (`gone`) are reported but do not
//! change the exit code. A listing that fails ends the command with that error (after
//! the backups already listed were read; `--jsonl` has printed their lines).
//!
//! Requests the store had to retry (throttling, `503 SlowDown`, server errors, cut
//! connections: the SDK's standard retry with backoff, each request waiting on its own
//! while the others go on) are counted in the summary, "N retries" and JSON
//! `retries`: they change no verdict, but say that the store is pushing back.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use futures_util::StreamExt as _;
use futures_util::stream::{self, BoxStream};
use serde_json::{Value, json};

use super::store_common::{list_pages, print, print_json, print_json_line, stray_explanation};
use crate::cli::AuditArgs;
use crate::exit::{CliError, CliResult, Failure};
use crate::files::group_digits;
use crate::keys::{self, load_optional_key};
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::{Layout, ListedKey};
use ffce_store::audit::{self, Finding, Status, Target, Totals};
use ffce_store::format_time;
use ffce_store::keyring::{KeyDir, KeySource};
use ffce_store::stale::Cutoff;
use ffce_store::{ListEntry, ListPace, StoreError};

/// Runs `ffce audit`.
pub async fn run(ui: Ui, args: AuditArgs) -> CliResult {
    let keys = match &args.key_dir {
        Some(dir) => {
            let keys = KeyDir::open(dir, args.key.purpose.into())?;
            warn_if_shared(&ui, dir);
            KeySource::PerDevice(keys)
        }
        None => match load_optional_key(&ui, &args.key)? {
            Some(key) => KeySource::One(Arc::new(key)),
            None => KeySource::None,
        },
    };
    let mode = match &keys {
        KeySource::None => Mode::Structure,
        KeySource::One(_) => Mode::OneKey,
        KeySource::PerDevice(_) => Mode::PerDevice,
    };
    // Where the one fleet key came from, for the summary (a key left in the shell's
    // environment must never be used silently).
    let key_source = matches!(keys, KeySource::One(_))
        .then(|| keys::key_source(&args.key))
        .flatten()
        .map(|s| s.to_string());
    let layout = Layout::from(args.store.layout);
    let store = store_choice::open(&ui, &args.store).await?;
    let root = store.describe_root();
    let started = Instant::now();
    let cutoff = args
        .older_than
        .map(|age| Cutoff::new(age, SystemTime::now()));

    let concurrency = args.concurrency as usize;
    ui.detail(
        1,
        format!(
            "audit: listing {root} (each UUID prefix and the keys outside the layout at \
             once) and reading {} as the pages arrive, up to {concurrency} request(s) at once",
            match mode {
                Mode::Structure => "37-byte headers",
                Mode::OneKey => "whole objects",
                Mode::PerDevice => "whole objects of the devices with a key file",
            }
        ),
    );
    // The backups go to the engine as the listing yields them; the stray keys and a
    // listing error are kept aside for the end.
    let listing = Arc::new(Mutex::new(Listing::default()));
    let bar = ui.progress_bar(0, !args.json && !args.jsonl, "auditing");
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
    let keys = Arc::new(keys);

    // What ran and how it went: the `--json` object (which adds the records) and the
    // `--jsonl` summary line.
    let run_json = |totals: &Totals, elapsed: f64, failure: Option<Failure>| {
        json!({
            "store": root,
            "layout": layout.name(),
            "mode": mode.name(),
            "key_source": key_source,
            "concurrency": concurrency,
            "older_than": cutoff.map(|c| c.age().to_string()),
            "totals": totals_json(totals, mode, cutoff.is_some()),
            "retries": totals.retries,
            "elapsed_seconds": (elapsed * 1000.0).round() / 1000.0,
            "exit_code": failure.map_or(0, Failure::code),
        })
    };

    if args.jsonl {
        let mut totals = Totals::default();
        let mut results = audit::run(store.as_ref(), targets, keys, concurrency);
        while let Some(f) = results.next().await {
            totals.add(&f);
            let stale = cutoff.as_ref().map(|c| totals.add_stale(&f, c));
            if !print_json_line(&finding_json(&f, stale))? {
                return Ok(());
            }
        }
        drop(results);
        let strays = take_listing(&listing, totals.objects)?;
        for (reason, e) in &strays {
            if !print_json_line(&json!({ "stray_key": stray_json(*reason, e) }))? {
                return Ok(());
            }
        }
        totals.stray = strays.len() as u64;
        totals.retries = store.retries();
        let failure = failure_of(&totals);
        let elapsed = started.elapsed().as_secs_f64();
        print_json_line(&json!({ "summary": run_json(&totals, elapsed, failure) }))?;
        report_rate(&ui, totals.objects as usize, elapsed, concurrency);
        return outcome(failure, &totals);
    }

    let mut findings: Vec<Finding> = audit::run(store.as_ref(), targets, keys, concurrency)
        .inspect(|_| bar.inc(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let strays = take_listing(&listing, findings.len() as u64)?;
    // In key order, as the listing would have given them one page after the other.
    findings.sort_by_key(|f| f.key.as_string());
    let elapsed = started.elapsed().as_secs_f64();

    let mut totals = Totals::default();
    let mut stale = Vec::with_capacity(findings.len());
    for f in &findings {
        totals.add(f);
        stale.push(cutoff.as_ref().is_some_and(|c| totals.add_stale(f, c)));
    }
    totals.stray = strays.len() as u64;
    totals.retries = store.retries();
    let failure = failure_of(&totals);

    if args.json {
        let mut out = run_json(&totals, elapsed, failure);
        out["objects"] = findings
            .iter()
            .zip(&stale)
            .map(|(f, s)| finding_json(f, cutoff.map(|_| *s)))
            .collect();
        out["stray_keys"] = strays
            .iter()
            .map(|(reason, e)| stray_json(*reason, e))
            .collect();
        print_json(&out)?;
    } else {
        let out_ui = ui.for_stdout();
        let mut text = String::new();
        for (f, stale) in findings
            .iter()
            .zip(&stale)
            .filter(|(f, stale)| f.status != Status::Valid || **stale)
        {
            let colour = if f.status.is_invalid() { "31" } else { "33" };
            // A missing key is no fault of the backup's; it is listed all the same,
            // so the team sees which devices it could not vouch for.
            let label = match f.status {
                Status::Valid => "STALE".to_string(),
                s => s.name().to_uppercase(),
            };
            let label = format!("{label:<21}");
            let mut why: Vec<String> = f
                .problems
                .iter()
                .map(|p| format!("{}: {p}", p.code()))
                .collect();
            if let (true, Some(c)) = (*stale, cutoff) {
                why.push(format!("stale: last written more than {} ago", c.age()));
            }
            text.push_str(&format!(
                "{}  {}  {}  {}\n",
                out_ui.paint(colour, &label),
                f.key,
                f.last_modified.map_or_else(|| "-".to_string(), format_time),
                why.join("; ")
            ));
        }
        for (reason, e) in &strays {
            text.push_str(&format!(
                "{:<21}  {}  ({}): {}\n",
                "STRAY",
                e.key,
                ffce_core::Count(e.size, "byte"),
                stray_explanation(*reason)
            ));
        }
        text.push_str(&summary(
            &totals,
            &root,
            layout,
            mode,
            cutoff,
            key_source.as_deref(),
        ));
        print(&text)?;
    }
    report_rate(&ui, findings.len(), elapsed, concurrency);
    outcome(failure, &totals)
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
    strays: Vec<(ffce_core::StrayReason, ListEntry)>,
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
) -> CliResult<Vec<(ffce_core::StrayReason, ListEntry)>> {
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

/// Exit code, worst first: 4 for any invalid backup, else 1 for any failed read.
fn failure_of(totals: &Totals) -> Option<Failure> {
    if totals.invalid > 0 {
        Some(Failure::Integrity)
    } else if totals.errors > 0 {
        Some(Failure::Other)
    } else {
        None
    }
}

fn report_rate(ui: &Ui, objects: usize, elapsed: f64, concurrency: usize) {
    ui.info(format!(
        "{} object(s) in {elapsed:.2} s ({:.0} objects/s, up to {concurrency} at once)",
        group_digits(objects),
        if elapsed > 0.0 {
            objects as f64 / elapsed
        } else {
            0.0
        }
    ));
}

/// The command's result: the error message that goes with `failure`.
fn outcome(failure: Option<Failure>, totals: &Totals) -> CliResult {
    match failure {
        None => Ok(()),
        Some(Failure::Integrity) => Err(CliError::integrity(format!(
            "{} of {} backup(s) are invalid{}",
            totals.invalid,
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

/// A stray key as a JSON record: `key`, `size`, `reason`, `explanation`.
fn stray_json(reason: ffce_core::StrayReason, e: &ListEntry) -> Value {
    json!({
        "key": e.key,
        "size": e.size,
        "reason": reason.code(),
        "explanation": stray_explanation(reason),
    })
}

/// One audited object as a JSON record: `key`, `uuid`, `size`, `last_modified`,
/// `status`, `errors` (`[{code, message}]`), and with `--older-than` `stale`.
fn finding_json(f: &Finding, stale: Option<bool>) -> Value {
    let mut record = json!({
        "key": f.key.as_string(),
        "uuid": f.key.device().to_string(),
        "size": f.size,
        "last_modified": f.last_modified.map(format_time),
        "status": f.status.name(),
        "errors": f.problems.iter()
            .map(|p| json!({ "code": p.code(), "message": p.to_string() }))
            .collect::<Vec<_>>(),
    });
    if let Some(stale) = stale {
        record["stale"] = json!(stale);
    }
    record
}

fn totals_json(t: &Totals, mode: Mode, counts_stale: bool) -> Value {
    let mut totals = json!({
        "objects": t.objects,
        "bytes": t.bytes,
        "valid": t.valid,
        "invalid": t.invalid,
        "invalid_by_reason": t.invalid_by_reason,
        "stray": t.stray,
        "errors": t.errors,
        "gone": t.gone,
    });
    if mode == Mode::PerDevice {
        totals["no_key"] = json!(t.no_key);
    }
    if counts_stale {
        totals["stale"] = json!(t.stale);
    }
    totals
}

/// Which keys the audit had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// None: structure only.
    Structure,
    /// One key for every device.
    OneKey,
    /// A key per device from `--key-dir`.
    PerDevice,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Structure => "structure",
            Mode::OneKey => "authenticate",
            Mode::PerDevice => "authenticate_per_device",
        }
    }
}

/// The closing line(s) of the human output.
fn summary(
    t: &Totals,
    root: &str,
    layout: Layout,
    mode: Mode,
    cutoff: Option<Cutoff>,
    key_source: Option<&str>,
) -> String {
    let mut s = format!(
        "audited {} backup(s), {}, in {root} ({} layout): ",
        group_digits(t.objects as usize),
        ffce_core::Count(t.bytes, "byte"),
        layout.name(),
    );
    if mode == Mode::PerDevice {
        s.push_str(&format!(
            "{} authenticated, {} no key, {} failed",
            group_digits(t.valid as usize),
            group_digits(t.no_key as usize),
            group_digits(t.invalid as usize),
        ));
    } else {
        s.push_str(&format!(
            "{} valid, {} invalid",
            group_digits(t.valid as usize),
            group_digits(t.invalid as usize),
        ));
    }
    if !t.invalid_by_reason.is_empty() {
        let reasons: Vec<String> = t
            .invalid_by_reason
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect();
        s.push_str(&format!(" ({})", reasons.join(", ")));
    }
    if let Some(c) = cutoff {
        s.push_str(&format!(
            ", {} stale (older than {})",
            group_digits(t.stale as usize),
            c.age()
        ));
    }
    s.push_str(&format!(
        ", {} read error(s), {} gone; {} stray key(s); {} retries; {}\n",
        group_digits(t.errors as usize),
        group_digits(t.gone as usize),
        group_digits(t.stray as usize),
        group_digits(t.retries as usize),
        match (mode, key_source) {
            (Mode::Structure, _) => "structure only (no key given)".to_string(),
            (Mode::OneKey, Some(source)) => format!("authenticated with the key from {source}"),
            (Mode::OneKey, None) => "authenticated with the key given".to_string(),
            (Mode::PerDevice, _) => "authenticated with each device's own key".to_string(),
        }
    ));
    s
}
