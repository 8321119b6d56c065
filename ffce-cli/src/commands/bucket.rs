//! `ffce bucket create|check|empty`: the bucket as a whole (FFCE-SPEC §5, §6).
//!
//! The S3 work is in `ffce_store::bucket`; this module decides what to ask, what to
//! refuse and what to print.
//!
//! - `create`: exit 0 when the bucket was created with the spec's settings, or
//!   already existed (left unchanged; `check` compares it).
//! - `check`: exit 0 when the bucket conforms, 4 when any setting deviates, 3 when
//!   the bucket does not exist.
//! - `empty`: reads first (what is there), then applies the guards in this order:
//!   `--production` refuses when any version or delete marker exists (exit 5, nothing
//!   deleted, whatever the other flags); `--dry-run` lists and stops; without `--yes`
//!   a terminal asks for the bucket name, anything else refuses (exit 5). After
//!   deleting it lists the bucket again: exit 0 only when nothing remains, else 1.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

use super::store_common::{can_ask, print, print_json, shell_word};
use crate::cli::{
    BucketCheckArgs, BucketCommand, BucketCreateArgs, BucketEmptyArgs, BucketTargetArgs,
};
use crate::exit::{CliError, CliResult};
use crate::files::group_digits;
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::Count;
use ffce_store::S3Store;
use ffce_store::StoreError;
use ffce_store::bucket::{Contents, Created, EmptyTally, Item, ItemFailure};

/// What to do after emptying: the order in which the stacks must be deleted
/// (FFCE-SPEC §6).
const STACKS_REMINDER: &str = "next: delete the three backup function stacks \
    (func-api-devices-backup-post, -get and -delete) before the firefly-s3-device-backups \
    stack: their IAM roles reference this bucket, and deleting the bucket's stack first \
    ends in DELETE_FAILED. Then `sam delete --stack-name firefly-s3-device-backups \
    --no-prompts` (the bucket itself is retained: DeletionPolicy Retain).";

/// How many per-object failures the human output prints (JSON has them all).
const FAILURES_SHOWN: usize = 20;

/// Runs `ffce bucket ...`.
pub async fn run(ui: Ui, cmd: BucketCommand) -> CliResult {
    match cmd {
        BucketCommand::Create(args) => create(ui, args).await,
        BucketCommand::Check(args) => check(ui, args).await,
        BucketCommand::Empty(args) => empty(ui, args).await,
    }
}

async fn connect(ui: &Ui, target: &BucketTargetArgs) -> CliResult<S3Store> {
    store_choice::connect(ui, target.bucket.clone(), &target.s3).await
}

/// `ffce bucket ... --bucket B` plus the connection flags the user gave, for hints.
fn command_for(sub: &str, target: &BucketTargetArgs) -> String {
    let mut cmd = format!("ffce bucket {sub} --bucket {}", target.bucket);
    for (flag, value) in target.s3.given_flags() {
        cmd.push_str(&format!(" {flag} {}", shell_word(value)));
    }
    cmd
}

/// A missing bucket exits 3 (not found) in `check` and `empty`; other errors keep
/// their own code.
fn missing_is_not_found(e: StoreError, target: &BucketTargetArgs) -> CliError {
    match e {
        StoreError::NoBucket { bucket } => CliError::not_found(format!(
            "bucket {bucket} does not exist (create one with `{}`)",
            command_for("create", target)
        )),
        other => other.into(),
    }
}

async fn create(ui: Ui, args: BucketCreateArgs) -> CliResult {
    let store = connect(&ui, &args.target).await?;
    let url = format!("s3://{}", store.bucket());
    let created = store.create_provisioned(args.kms_key_id.as_deref()).await?;
    let check = command_for("check", &args.target);
    if args.json {
        return print_json(&json!({
            "bucket": store.bucket(),
            "created": created == Created::New,
            "already_existed": created == Created::AlreadyExisted,
            "settings": (created == Created::New).then(|| json!({
                "block_public_acls": true,
                "ignore_public_acls": true,
                "block_public_policy": true,
                "restrict_public_buckets": true,
                "versioning": "Enabled",
                "default_encryption": "aws:kms",
                "kms_key_id": args.kms_key_id,
                "bucket_key_enabled": true,
            })),
            "check_command": check,
        }));
    }
    match created {
        Created::New => print(&format!(
            "created {url}: public access blocked (all four settings), versioning enabled, \
             default encryption aws:kms with {} and an S3 Bucket Key\n",
            args.kms_key_id.as_deref().map_or_else(
                || "the AWS-managed aws/s3 key".to_string(),
                |k| format!("KMS key {k}")
            )
        )),
        Created::AlreadyExisted => {
            print(&format!(
                "{url} already exists and these credentials reach it; left unchanged\n"
            ))?;
            ui.info(format!("compare it with the provisioning spec: {check}"));
            Ok(())
        }
    }
}

async fn check(ui: Ui, args: BucketCheckArgs) -> CliResult {
    let store = connect(&ui, &args.target).await?;
    let url = format!("s3://{}", store.bucket());
    let settings = store
        .settings()
        .await
        .map_err(|e| missing_is_not_found(e, &args.target))?;
    let checks = settings.compare(args.kms_key_id.as_deref());
    let deviations: Vec<_> = checks.iter().filter(|c| !c.ok).collect();
    let check_json = |c: &ffce_store::bucket::Check| json!({ "setting": c.setting, "expected": c.expected, "found": c.found, "ok": c.ok });
    if args.json {
        print_json(&json!({
            "bucket": store.bucket(),
            "conforms": deviations.is_empty(),
            "checks": checks.iter().map(check_json).collect::<Vec<_>>(),
            "deviations": deviations.iter().map(|c| check_json(c)).collect::<Vec<_>>(),
            "bucket_key_enabled": settings
                .default_encryption
                .as_ref()
                .and_then(|e| e.bucket_key_enabled),
        }))?;
    } else {
        let out_ui = ui.for_stdout();
        let width = checks.iter().map(|c| c.setting.len()).max().unwrap_or(0);
        let mut text = String::new();
        for c in &checks {
            let mark = if c.ok {
                out_ui.paint("32", "ok  ")
            } else {
                out_ui.paint("31", "FAIL")
            };
            text.push_str(&format!(
                "{mark}  {:width$}  expected {}, found {}\n",
                c.setting,
                shown(&c.expected),
                shown(&c.found)
            ));
        }
        if deviations.is_empty() {
            text.push_str(&format!("{url} conforms to the provisioning spec\n"));
        }
        print(&text)?;
    }
    if deviations.is_empty() {
        return Ok(());
    }
    Err(CliError::integrity(format!(
        "{url} does not conform to the provisioning spec: {} deviation(s) ({})",
        deviations.len(),
        deviations
            .iter()
            .map(|c| c.setting)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// A JSON value for people: strings bare, `null` as "not set".
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "not set".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn contents_json(c: &Contents) -> Value {
    json!({
        "versions": c.versions,
        "delete_markers": c.delete_markers,
        "bytes": c.bytes,
        "uploads": c.uploads,
        "example_keys": c.example_keys,
    })
}

/// "3 version(s) (1,234 bytes), 1 delete marker(s) and 2 incomplete upload(s)".
fn describe(c: &Contents) -> String {
    format!(
        "{} version(s) ({}), {} delete marker(s) and {} incomplete upload(s)",
        group_digits(c.versions as usize),
        Count(c.bytes, "byte"),
        group_digits(c.delete_markers as usize),
        group_digits(c.uploads as usize)
    )
}

fn examples(c: &Contents) -> String {
    if c.example_keys.is_empty() {
        String::new()
    } else {
        format!(", e.g. {}", c.example_keys.join(", "))
    }
}

async fn empty(ui: Ui, args: BucketEmptyArgs) -> CliResult {
    let store = connect(&ui, &args.target).await?;
    let url = format!("s3://{}", store.bucket());

    // The guard comes before anything is listed for output or asked.
    let mut found = None;
    if args.production {
        let contents = store
            .survey(&mut |_| {})
            .await
            .map_err(|e| missing_is_not_found(e, &args.target))?;
        if contents.holds_objects() {
            if args.json {
                print_json(&json!({
                    "bucket": store.bucket(),
                    "refused": true,
                    "found": contents_json(&contents),
                }))?;
            }
            return Err(CliError::refused(format!(
                "--production: {url} holds {}{}; investigate before emptying (the guard \
                 prevents accidental data loss). Nothing was deleted.",
                describe(&contents),
                examples(&contents)
            )));
        }
        found = Some(contents);
    }

    if args.dry_run {
        return dry_run(&ui, &store, &args, &url).await;
    }

    let found = match found {
        Some(c) => c,
        None => store
            .survey(&mut |_| {})
            .await
            .map_err(|e| missing_is_not_found(e, &args.target))?,
    };
    if found.is_empty() {
        if args.json {
            print_json(&empty_json(&store, &found, &EmptyTally::default(), &found))?;
        } else {
            print(&format!(
                "{url} is already empty (no versions, delete markers or incomplete uploads)\n"
            ))?;
        }
        ui.info(STACKS_REMINDER);
        return Ok(());
    }

    if !args.yes {
        let what = format!(
            "permanently delete {} version(s) ({}) and {} delete marker(s), and abort \
             {} incomplete upload(s), in {url}",
            group_digits(found.versions as usize),
            Count(found.bytes, "byte"),
            group_digits(found.delete_markers as usize),
            group_digits(found.uploads as usize)
        );
        if !can_ask() {
            return Err(CliError::refused(format!(
                "this would {what}; pass --yes to confirm (no terminal to ask on). \
                 Nothing was deleted."
            )));
        }
        if !confirm_bucket_name(&what, store.bucket())? {
            return Err(CliError::refused(
                "not confirmed (the bucket name was not typed); nothing was deleted",
            ));
        }
    }

    let mut tally = EmptyTally::default();
    let bar = ui.progress_bar(
        found.versions + found.delete_markers,
        !args.json,
        "deleting",
    );
    let deleted = store
        .delete_every_version(&mut tally, &mut |t| bar.set_position(t.handled()))
        .await;
    bar.finish_and_clear();
    if let Err(e) = deleted {
        return Err(stopped(e, &tally));
    }
    store
        .abort_every_upload(&mut tally, &mut |_| {})
        .await
        .map_err(|e| stopped(e, &tally))?;
    let remaining = store.survey(&mut |_| {}).await?;

    if args.json {
        print_json(&empty_json(&store, &found, &tally, &remaining))?;
    } else {
        let mut text = format!(
            "deleted {} version(s) and {} delete marker(s), aborted {} incomplete upload(s) in {url}\n",
            group_digits(tally.deleted_versions as usize),
            group_digits(tally.deleted_markers as usize),
            group_digits(tally.aborted_uploads as usize)
        );
        for f in tally.failures.iter().take(FAILURES_SHOWN) {
            text.push_str(&failure_line(f));
        }
        if tally.failures.len() > FAILURES_SHOWN {
            text.push_str(&format!(
                "... and {} more failures (--json lists them all)\n",
                tally.failures.len() - FAILURES_SHOWN
            ));
        }
        if remaining.is_empty() {
            text.push_str(&format!(
                "verified: {url} is empty (no versions, delete markers or incomplete uploads)\n"
            ));
        }
        print(&text)?;
    }
    if !remaining.is_empty() {
        return Err(CliError::other(format!(
            "{url} is not empty: {} remain{} ({} could not be removed)",
            describe(&remaining),
            examples(&remaining),
            tally.failures.len()
        )));
    }
    if !tally.failures.is_empty() {
        ui.warn(format!(
            "{} item(s) failed to delete, but the bucket is empty now (removed by someone else?)",
            tally.failures.len()
        ));
    }
    ui.info(STACKS_REMINDER);
    Ok(())
}

fn failure_line(f: &ItemFailure) -> String {
    let what = match f.kind {
        "upload" => format!("upload {} of {}", f.id, f.key),
        "delete_marker" => format!("delete marker {} of {}", f.id, f.key),
        _ => format!("version {} of {}", f.id, f.key),
    };
    format!("FAILED  {what}: {}: {}\n", f.code, f.message)
}

/// A request that failed as a whole (after the SDK's retries) stops the emptying; the
/// message says how far it got.
fn stopped(e: StoreError, tally: &EmptyTally) -> CliError {
    let progress = format!(
        "stopped after deleting {} version(s) and {} delete marker(s) and aborting {} \
         upload(s)",
        tally.deleted_versions, tally.deleted_markers, tally.aborted_uploads
    );
    let err = CliError::from(e);
    CliError {
        message: format!("{}; {progress}", err.message),
        ..err
    }
}

fn empty_json(store: &S3Store, found: &Contents, tally: &EmptyTally, left: &Contents) -> Value {
    json!({
        "bucket": store.bucket(),
        "dry_run": false,
        "found": contents_json(found),
        "deleted_versions": tally.deleted_versions,
        "deleted_delete_markers": tally.deleted_markers,
        "aborted_uploads": tally.aborted_uploads,
        "failures": tally.failures.iter().map(|f| json!({
            "key": f.key, "id": f.id, "kind": f.kind, "code": f.code, "message": f.message,
        })).collect::<Vec<_>>(),
        "remaining": contents_json(left),
        "empty": left.is_empty(),
    })
}

/// `--dry-run`: every version, delete marker and upload that would go, and nothing
/// changed.
async fn dry_run(ui: &Ui, store: &S3Store, args: &BucketEmptyArgs, url: &str) -> CliResult {
    let mut would_delete = Vec::new();
    let mut would_abort = Vec::new();
    let mut out_err: Option<CliError> = None;
    let json = args.json;
    let contents = store
        .survey(&mut |item| {
            if json {
                match item {
                    Item::Version(v) => would_delete.push(json!({
                        "key": v.key,
                        "version_id": v.version_id,
                        "delete_marker": v.delete_marker,
                        "size": v.size,
                    })),
                    Item::Upload(u) => would_abort.push(json!({
                        "key": u.key,
                        "upload_id": u.upload_id,
                        "initiated": u.initiated.map(ffce_store::format_time),
                    })),
                }
                return;
            }
            let line = match item {
                Item::Version(v) if v.delete_marker => {
                    format!("would delete  delete marker  {}  {}\n", v.key, v.version_id)
                }
                Item::Version(v) => format!(
                    "would delete  version        {}  {}  ({})\n",
                    v.key,
                    v.version_id,
                    Count(v.size, "byte")
                ),
                Item::Upload(u) => {
                    format!("would abort   upload         {}  {}\n", u.key, u.upload_id)
                }
            };
            if out_err.is_none() {
                if let Err(e) = print(&line) {
                    out_err = Some(e);
                }
            }
        })
        .await;
    let contents = contents.map_err(|e| missing_is_not_found(e, &args.target))?;
    if let Some(e) = out_err {
        return Err(e);
    }
    if json {
        print_json(&json!({
            "bucket": store.bucket(),
            "dry_run": true,
            "found": contents_json(&contents),
            "would_delete": would_delete,
            "would_abort": would_abort,
        }))?;
    } else {
        print(&format!(
            "dry run: would delete {} in {url}; nothing was changed\n",
            describe(&contents)
        ))?;
    }
    ui.info(STACKS_REMINDER);
    Ok(())
}

/// Asks on the terminal for the bucket's name; true only when it is typed exactly.
fn confirm_bucket_name(what: &str, bucket: &str) -> CliResult<bool> {
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "This will {what}. It cannot be undone.\nType the bucket name ({bucket}) to confirm: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::other(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == bucket)
}
