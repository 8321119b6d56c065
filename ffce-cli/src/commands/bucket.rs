//! `ffce bucket create|check|empty`: the bucket as a whole (docs/SPEC.md §5, §6).
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

use super::store_common::{can_ask, shell_word};
use crate::cli::{
    BucketCheckArgs, BucketCommand, BucketCreateArgs, BucketEmptyArgs, BucketTargetArgs,
};
use crate::exit::{CliError, CliResult};
use crate::output::bucket::{
    BucketChecked, BucketContents, BucketCreated, BucketDryRun, BucketEmptied, BucketRefused,
    EmptyFailure, ProvisionedSettings, SettingCheck, WouldRemove, describe,
};
use crate::output::{Printer, timestamp};
use crate::store_choice;
use crate::ui::Ui;
use ffce_core::numbers::{Count, Grouped};
use ffce_store::S3Store;
use ffce_store::StoreError;
use ffce_store::bucket::{Created, EmptyTally, Item};

/// What to do after emptying: the order in which the stacks must be deleted
/// (docs/SPEC.md §6).
const STACKS_REMINDER: &str = "next: delete the three backup function stacks \
    (func-api-devices-backup-post, -get and -delete) before the firefly-s3-device-backups \
    stack: their IAM roles reference this bucket, and deleting the bucket's stack first \
    ends in DELETE_FAILED. Then `sam delete --stack-name firefly-s3-device-backups \
    --no-prompts` (the bucket itself is retained: DeletionPolicy Retain).";

/// Runs `ffce bucket ...`.
pub async fn run(ui: &Ui, printer: &mut Printer, cmd: BucketCommand) -> CliResult {
    match cmd {
        BucketCommand::Create(args) => create(ui, printer, args).await,
        BucketCommand::Check(args) => check(ui, printer, args).await,
        BucketCommand::Empty(args) => empty(ui, printer, args).await,
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

async fn create(ui: &Ui, printer: &mut Printer, args: BucketCreateArgs) -> CliResult {
    let store = connect(ui, &args.target).await?;
    let created = store.create_provisioned(args.kms_key_id.as_deref()).await?;
    let check = command_for("check", &args.target);
    printer.document(&BucketCreated {
        bucket: store.bucket().to_string(),
        created: created == Created::New,
        already_existed: created == Created::AlreadyExisted,
        settings: (created == Created::New).then(|| ProvisionedSettings {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
            versioning: "Enabled".into(),
            default_encryption: "aws:kms".into(),
            kms_key_id: args.kms_key_id.clone(),
            bucket_key_enabled: true,
        }),
        check_command: check.clone(),
    })?;
    if created == Created::AlreadyExisted {
        ui.info(format!("compare it with the provisioning spec: {check}"));
    }
    Ok(())
}

async fn check(ui: &Ui, printer: &mut Printer, args: BucketCheckArgs) -> CliResult {
    let store = connect(ui, &args.target).await?;
    let url = format!("s3://{}", store.bucket());
    let settings = store
        .settings()
        .await
        .map_err(|e| missing_is_not_found(e, &args.target))?;
    let checks: Vec<SettingCheck> = settings
        .compare(args.kms_key_id.as_deref())
        .iter()
        .map(|c| SettingCheck {
            setting: c.setting.to_string(),
            expected: setting_json(&c.expected),
            found: setting_json(&c.found),
            ok: c.ok,
        })
        .collect();
    let deviations: Vec<SettingCheck> = checks.iter().filter(|c| !c.ok).cloned().collect();
    let names: Vec<String> = deviations.iter().map(|c| c.setting.clone()).collect();
    printer.document(&BucketChecked {
        bucket: store.bucket().to_string(),
        conforms: deviations.is_empty(),
        checks,
        deviations,
        bucket_key_enabled: settings
            .default_encryption
            .as_ref()
            .and_then(|e| e.bucket_key_enabled),
    })?;
    if names.is_empty() {
        return Ok(());
    }
    Err(CliError::integrity(format!(
        "{url} does not conform to the provisioning spec: {} deviation(s) ({})",
        names.len(),
        names.join(", ")
    )))
}

fn examples(c: &BucketContents) -> String {
    if c.example_keys.is_empty() {
        String::new()
    } else {
        format!(", e.g. {}", c.example_keys.join(", "))
    }
}

async fn empty(ui: &Ui, printer: &mut Printer, args: BucketEmptyArgs) -> CliResult {
    let store = connect(ui, &args.target).await?;
    let url = format!("s3://{}", store.bucket());

    // The guard comes before anything is listed for output or asked.
    let mut found = None;
    if args.production {
        let contents = store
            .survey(&mut |_| {})
            .await
            .map_err(|e| missing_is_not_found(e, &args.target))?;
        let contents = BucketContents::from(&contents);
        if contents.versions > 0 || contents.delete_markers > 0 {
            if printer.format().is_json() {
                printer.document(&BucketRefused {
                    bucket: store.bucket().to_string(),
                    refused: true,
                    found: contents.clone(),
                })?;
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
        return dry_run(ui, printer, &store, &args).await;
    }

    let found = match found {
        Some(c) => c,
        None => BucketContents::from(
            &store
                .survey(&mut |_| {})
                .await
                .map_err(|e| missing_is_not_found(e, &args.target))?,
        ),
    };
    let emptied = |tally: &EmptyTally, left: &BucketContents| BucketEmptied {
        bucket: store.bucket().to_string(),
        dry_run: false,
        found: found.clone(),
        deleted_versions: tally.deleted_versions,
        deleted_delete_markers: tally.deleted_markers,
        aborted_uploads: tally.aborted_uploads,
        failures: tally.failures.iter().map(EmptyFailure::from).collect(),
        remaining: left.clone(),
        empty: left.versions + left.delete_markers + left.uploads == 0,
    };
    if found.versions + found.delete_markers + found.uploads == 0 {
        printer.document(&emptied(&EmptyTally::default(), &found))?;
        ui.info(STACKS_REMINDER);
        return Ok(());
    }

    if !args.yes {
        let what = format!(
            "permanently delete {} version(s) ({}) and {} delete marker(s), and abort \
             {} incomplete upload(s), in {url}",
            Grouped(found.versions),
            Count(found.bytes, "byte"),
            Grouped(found.delete_markers),
            Grouped(found.uploads)
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
        !printer.format().is_json(),
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
    let remaining = BucketContents::from(&store.survey(&mut |_| {}).await?);
    let record = emptied(&tally, &remaining);
    printer.document(&record)?;
    if !record.empty {
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

/// `--dry-run`: every version, delete marker and upload that would go (printed as the
/// survey finds them, or kept for the `--json` document), and nothing changed.
async fn dry_run(
    ui: &Ui,
    printer: &mut Printer,
    store: &S3Store,
    args: &BucketEmptyArgs,
) -> CliResult {
    let mut would_delete = Vec::new();
    let mut would_abort = Vec::new();
    let mut out_err: Option<CliError> = None;
    let contents = store
        .survey(&mut |item| {
            let record = match item {
                Item::Version(v) => WouldRemove {
                    kind: if v.delete_marker {
                        "delete_marker"
                    } else {
                        "version"
                    }
                    .into(),
                    key: v.key.clone(),
                    version_id: Some(v.version_id.clone()),
                    upload_id: None,
                    size: (!v.delete_marker).then_some(v.size),
                    initiated: None,
                },
                Item::Upload(u) => WouldRemove {
                    kind: "upload".into(),
                    key: u.key.clone(),
                    version_id: None,
                    upload_id: Some(u.upload_id.clone()),
                    size: None,
                    initiated: u.initiated.map(timestamp),
                },
            };
            let kept = if record.kind == "upload" {
                &mut would_abort
            } else {
                &mut would_delete
            };
            if out_err.is_none() {
                if let Err(e) = printer.item_kept(record, kept) {
                    out_err = Some(e);
                }
            }
        })
        .await;
    let contents = contents.map_err(|e| missing_is_not_found(e, &args.target))?;
    if let Some(e) = out_err {
        return Err(e);
    }
    let record = BucketDryRun {
        bucket: store.bucket().to_string(),
        dry_run: true,
        found: BucketContents::from(&contents),
        would_delete,
        would_abort,
    };
    // With --jsonl the records were printed as the survey found them; this closes them.
    printer.document(&record)?;
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

/// A bucket setting as JSON: its flag, its name, or `null` when not set.
fn setting_json(value: &ffce_store::bucket::SettingValue) -> serde_json::Value {
    use ffce_store::bucket::SettingValue;
    match value {
        SettingValue::Flag(b) => serde_json::Value::Bool(*b),
        SettingValue::Text(t) => serde_json::Value::String(t.clone()),
        SettingValue::NotSet => serde_json::Value::Null,
    }
}
