//! `ffce audit`: check every device's latest backup in the store.
//!
//! List the store once; classify each key (a backup of the layout, or a stray key);
//! read and judge every backup with `ffce_store::audit::run` (the header only without a
//! key, the whole object with one), up to `--concurrency` at a time; print each finding
//! and the totals.
//!
//! Exit code, worst first: 4 if any backup is invalid (malformed, too large, not
//! authentic, checksum mismatch); otherwise 1 if any read failed after the SDK's
//! retries (the audit is incomplete; the totals count those objects as `errors`,
//! never as valid); otherwise 0. Integrity ranks first, as in `ffce verify`: an
//! invalid backup that was found is a fact, and a flaky request must not hide it.
//! Stray keys and objects deleted during the audit (`gone`) are reported but do not
//! change the exit code. A listing that fails ends the command with that error.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt as _;
use serde_json::{Value, json};

use super::store_common::{list_store, print, print_json, stray_explanation};
use crate::cli::AuditArgs;
use crate::exit::{CliError, CliResult, Failure};
use crate::files::group_digits;
use crate::keys::{self, load_optional_key};
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::{Layout, ListedKey};
use ffce_store::StoreError;
use ffce_store::audit::{self, Finding, Status, Target, Totals};

/// Runs `ffce audit`.
pub async fn run(ui: Ui, args: AuditArgs) -> CliResult {
    let key = load_optional_key(&ui, &args.key)?;
    let key_source = key
        .as_ref()
        .and_then(|_| keys::key_source(&args.key))
        .map(|s| s.to_string());
    let layout = Layout::from(args.store.layout);
    let store = store_choice::open(&ui, &args.store).await?;
    let root = store.describe_root();
    let started = Instant::now();

    let mut targets = Vec::new();
    let mut strays = Vec::new();
    for entry in list_store(store.as_ref(), &args.store).await? {
        match ListedKey::classify(&entry.key, layout) {
            ListedKey::Backup(object) => targets.push(Target {
                object,
                listed_size: entry.size,
            }),
            ListedKey::Stray(reason) => strays.push((reason, entry)),
        }
    }
    let concurrency = args.concurrency as usize;
    ui.detail(
        1,
        format!(
            "audit: {} backup(s) and {} stray key(s) listed in {root}; reading {} with up to \
             {concurrency} request(s) at once",
            targets.len(),
            strays.len(),
            if key.is_some() {
                "whole objects"
            } else {
                "37-byte headers"
            }
        ),
    );

    let keyed = key.is_some();
    let bar = ui.progress_bar(targets.len() as u64, !args.json, "auditing");
    let mut findings: Vec<Option<Finding>> = vec![None; targets.len()];
    let mut results = audit::run(store.as_ref(), &targets, key.map(Arc::new), concurrency);
    while let Some((i, finding)) = results.next().await {
        findings[i] = Some(finding);
        bar.inc(1);
    }
    bar.finish_and_clear();
    // The engine yields every target once; should it ever skip one, it is counted as
    // a failed read, never as valid.
    let findings: Vec<Finding> = findings
        .into_iter()
        .zip(&targets)
        .map(|(f, t)| {
            f.unwrap_or_else(|| {
                let lost = StoreError::message("no result for this object");
                audit::judge_failure(t.object, t.listed_size, &lost)
            })
        })
        .collect();
    let elapsed = started.elapsed().as_secs_f64();

    let mut totals = Totals::default();
    for f in &findings {
        totals.add(f);
    }
    totals.stray = strays.len() as u64;
    let failure = if totals.invalid > 0 {
        Some(Failure::Integrity)
    } else if totals.errors > 0 {
        Some(Failure::Other)
    } else {
        None
    };

    if args.json {
        print_json(&json!({
            "store": root,
            "layout": layout.name(),
            "mode": if keyed { "authenticate" } else { "structure" },
            "key_source": key_source,
            "concurrency": concurrency,
            "objects": findings.iter().map(finding_json).collect::<Vec<_>>(),
            "stray_keys": strays.iter().map(|(reason, e)| json!({
                "key": e.key,
                "size": e.size,
                "reason": reason.code(),
                "explanation": stray_explanation(*reason),
            })).collect::<Vec<_>>(),
            "totals": totals_json(&totals),
            "elapsed_seconds": (elapsed * 1000.0).round() / 1000.0,
            "exit_code": failure.map_or(0, Failure::code),
        }))?;
    } else {
        let out_ui = ui.for_stdout();
        let mut text = String::new();
        for f in findings.iter().filter(|f| f.status != Status::Valid) {
            let colour = if f.status.is_invalid() { "31" } else { "33" };
            let label = format!("{:<21}", f.status.name().to_uppercase());
            let why = f
                .problems
                .iter()
                .map(|p| format!("{}: {p}", p.code()))
                .collect::<Vec<_>>()
                .join("; ");
            text.push_str(&format!(
                "{}  {}  {why}\n",
                out_ui.paint(colour, &label),
                f.key
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
        text.push_str(&summary(&totals, &root, layout, key_source.as_deref()));
        print(&text)?;
    }
    ui.info(format!(
        "{} object(s) in {elapsed:.2} s ({:.0} objects/s, up to {concurrency} at once)",
        group_digits(findings.len()),
        if elapsed > 0.0 {
            findings.len() as f64 / elapsed
        } else {
            0.0
        }
    ));

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

/// One audited object as a JSON record: `key`, `uuid`, `size`, `status`, `errors`
/// (`[{code, message}]`).
fn finding_json(f: &Finding) -> Value {
    json!({
        "key": f.key.as_string(),
        "uuid": f.key.device().to_string(),
        "size": f.size,
        "status": f.status.name(),
        "errors": f.problems.iter()
            .map(|p| json!({ "code": p.code(), "message": p.to_string() }))
            .collect::<Vec<_>>(),
    })
}

fn totals_json(t: &Totals) -> Value {
    json!({
        "objects": t.objects,
        "bytes": t.bytes,
        "valid": t.valid,
        "invalid": t.invalid,
        "invalid_by_reason": t.invalid_by_reason,
        "stray": t.stray,
        "errors": t.errors,
        "gone": t.gone,
    })
}

/// The closing line(s) of the human output.
fn summary(t: &Totals, root: &str, layout: Layout, key_source: Option<&str>) -> String {
    let mut s = format!(
        "audited {} backup(s), {}, in {root} ({} layout): {} valid, {} invalid",
        group_digits(t.objects as usize),
        ffce_core::Count(t.bytes, "byte"),
        layout.name(),
        group_digits(t.valid as usize),
        group_digits(t.invalid as usize),
    );
    if !t.invalid_by_reason.is_empty() {
        let reasons: Vec<String> = t
            .invalid_by_reason
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect();
        s.push_str(&format!(" ({})", reasons.join(", ")));
    }
    s.push_str(&format!(
        ", {} read error(s), {} gone; {} stray key(s); {}\n",
        group_digits(t.errors as usize),
        group_digits(t.gone as usize),
        group_digits(t.stray as usize),
        match key_source {
            Some(source) => format!("authenticated with the key from {source}"),
            None => "structure only (no key given)".to_string(),
        }
    ));
    s
}
