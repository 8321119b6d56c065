//! `ffce diff`: what changed between two backups, rows matched by their table's
//! primary key (`ffce_core::content::diff`).
//!
//! The two backups are two versions of one device (`ffce diff DEVICE`: the latest
//! against the version before it; `--from`/`--to` pick others, by version id or by the
//! time they were live), or any two sources (`ffce diff A B`: devices' latest backups,
//! blob or plaintext files, stdin). With `--exit-code` the exit status says whether
//! they differ (6) or not (0); every error keeps its own code.

use ffce_core::content::{self, Export, ExportDiff};
use ffce_core::layout::DeviceId;
use ffce_store::{Store, VersionEntry, VersionId};

use crate::output::timestamp as format_time;

use super::content_source::{self, Keys, Loaded, Source, VersionSpec, newest_first, pick};
use crate::cli::DiffArgs;
use crate::env::Env;
use crate::exit::{CliError, CliResult};
use crate::output::content::{JsonValue, Secrets, printable};
use crate::output::diff::{
    DatabaseChanges, DiffReport, FieldChangeKind, RowChangeRecord, SideProblem, TableChanges,
    fields_out,
};
use crate::output::show::KeyJson;
use crate::output::{Format, Printer};
use crate::store_choice::StoreTarget;
use crate::ui::Ui;

/// Runs `ffce diff`.
pub async fn run(ui: &Ui, printer: &mut Printer, env: &Env, args: DiffArgs) -> CliResult {
    let (first, first_store) = Source::resolve(&args.first, &args.store, env)?;
    let (second, second_store) = match args.second.as_deref() {
        Some(s) => {
            let (source, store) = Source::resolve(s, &args.store, env)?;
            (Some(source), store)
        }
        None => (None, None),
    };
    // Two devices are read from one store: two URLs must name one bucket.
    let target = match (first_store, second_store) {
        (Some(a), Some(b)) if a.choice != b.choice => {
            return Err(CliError::usage(
                "the two sources name different stores; compare backups of one store, or \
                 download one (`ffce get ... -o FILE`) and compare the file",
            ));
        }
        (a, b) => a.or(b),
    };
    let from = args
        .from
        .as_deref()
        .map(|t| VersionSpec::parse("--from", t))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|t| VersionSpec::parse("--to", t))
        .transpose()?;
    let paths: Vec<&std::path::Path> = [Some(&first), second.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(Source::path)
        .collect();
    if paths.len() == 2 && paths.iter().all(|p| crate::files::is_stdio(p)) {
        return Err(CliError::usage(
            "both sources are stdin (`-`); at most one of them can be",
        ));
    }
    let readers: Vec<(&str, &std::path::Path)> = paths.iter().map(|p| ("the input", *p)).collect();
    super::refuse_shared_stdin(&args.key, env, &readers)?;
    let keys = Keys::load(ui, &args.key, args.key_dir.as_deref(), env)?;
    let (older, newer) = match (&first, &second) {
        (Source::File(path), None) => {
            return Err(CliError::usage(format!(
                "{} is a file: compare it with another source (ffce diff FILE OTHER); \
                 --from and --to pick versions of a device",
                printable(&path.display().to_string())
            )));
        }
        (Source::Device { device, key }, None) => {
            let target = target
                .as_ref()
                .ok_or_else(|| CliError::other("a device source without its store"))?;
            let store = target.open(ui).await?;
            versions_of(
                store.as_ref(),
                &keys,
                *device,
                key,
                from.as_ref(),
                to.as_ref(),
            )
            .await?
        }
        (a, Some(b)) => {
            // The store is opened only for a device, once for both.
            let mut store = None;
            (
                load(ui, target.as_ref(), &mut store, &keys, a).await?,
                load(ui, target.as_ref(), &mut store, &keys, b).await?,
            )
        }
    };

    let (doc_a, doc_b) = (
        content_source::document(&older)?,
        content_source::document(&newer)?,
    );
    let (export_a, export_b) = (
        content_source::export_of(&older, &doc_a)?,
        content_source::export_of(&newer, &doc_b)?,
    );
    for name in &args.tables {
        if export_a.table(name).is_none() && export_b.table(name).is_none() {
            return Err(CliError::not_found(format!(
                "neither backup has a table {:?}",
                printable(name)
            )));
        }
    }
    content_source::warn_problems(ui, &older, &export_a);
    content_source::warn_problems(ui, &newer, &export_b);
    if export_a.database_name != export_b.database_name {
        ui.warn(format!(
            "the two backups are of different databases ({} and {}): compare backups of one \
             controller",
            name_of(&export_a),
            name_of(&export_b)
        ));
    }

    let mut diff = content::diff(&export_a, &export_b);
    if !args.tables.is_empty() {
        diff.tables
            .retain(|t| args.tables.iter().any(|n| n == t.name));
    }
    let secrets = Secrets::from_flag(args.reveal_secrets);
    let format = printer.format();
    if format == Format::Jsonl && !args.stat {
        stream_rows(printer, &diff, secrets)?;
    }
    let report = report(&older, &newer, &export_a, &export_b, &diff, secrets, {
        !args.stat && format != Format::Jsonl
    });
    let identical = report.identical;
    printer.summary(&report)?;
    if args.exit_code && !identical {
        return Err(CliError::differ());
    }
    Ok(())
}

fn name_of(export: &Export<'_>) -> String {
    export.database_name.map_or_else(
        || "(unnamed)".to_string(),
        |n| format!("{:?}", printable(n)),
    )
}

/// Reads one source of `ffce diff A B`: a device's latest backup (opening the store
/// the first time one is needed), or a file.
async fn load(
    ui: &Ui,
    target: Option<&StoreTarget>,
    store: &mut Option<Box<dyn Store>>,
    keys: &Keys,
    source: &Source,
) -> CliResult<Loaded> {
    match source {
        Source::File(path) => content_source::load_file(path, keys),
        Source::Device { device, key } => {
            let store = match store {
                Some(store) => store,
                None => {
                    let target = target
                        .ok_or_else(|| CliError::other("a device source without its store"))?;
                    store.insert(target.open(ui).await?)
                }
            };
            content_source::load_device(store.as_ref(), keys, *device, key, None, None).await
        }
    }
}

/// The two versions of one device `ffce diff DEVICE [--from V] [--to V]` compares.
async fn versions_of(
    store: &dyn Store,
    keys: &Keys,
    device: DeviceId,
    key: &ffce_core::layout::ObjectKey,
    from: Option<&VersionSpec>,
    to: Option<&VersionSpec>,
) -> CliResult<(Loaded, Loaded)> {
    let versioned = store.versioned().ok_or_else(|| {
        CliError::usage(
            "ffce diff DEVICE compares versions of the device's backup, which needs an S3 \
             bucket (pass --bucket or set FFCE_BUCKET); the local store keeps no versions: \
             compare the backup with a file instead (ffce diff DEVICE FILE)",
        )
    })?;
    let location = store.describe(key);
    let versions = newest_first(versioned.list_versions(key).await?);
    if versions.is_empty() {
        return Err(CliError::not_found(format!(
            "device {device} has no backup and no versions: nothing at {location}"
        )));
    }
    let newer = match to {
        Some(spec) => pick(&versions, spec, device, "--to")?,
        None => {
            let latest = versions
                .iter()
                .find(|v| v.is_latest)
                .unwrap_or(&versions[0]);
            if latest.is_delete_marker {
                return Err(CliError::not_found(format!(
                    "{location} is deleted (its latest version is a delete marker, written \
                     {}); give --to V (and --from V) to compare versions it kept",
                    when(latest)
                )));
            }
            latest
        }
    };
    let older = match from {
        Some(spec) => pick(&versions, spec, device, "--from")?,
        None => {
            let at = versions
                .iter()
                .position(|v| v.version_id == newer.version_id)
                .unwrap_or(0);
            versions[at + 1..]
                .iter()
                .find(|v| !v.is_delete_marker)
                .ok_or_else(|| {
                    CliError::not_found(format!(
                        "device {device} has no backup before version {} ({}): nothing to \
                         compare it with (ffce diff DEVICE FILE compares it with a file)",
                        newer.version_id,
                        when(newer)
                    ))
                })?
        }
    };
    let version = |v: &VersionEntry| {
        VersionId::parse(&v.version_id).map_err(|_| {
            CliError::other(format!(
                "S3 listed a version id ffce cannot use: {:?}",
                v.version_id
            ))
        })
    };
    let (id_old, id_new) = (version(older)?, version(newer)?);
    Ok((
        content_source::load_device(
            store,
            keys,
            device,
            key,
            Some(&id_old),
            Some(older.is_latest),
        )
        .await?,
        content_source::load_device(
            store,
            keys,
            device,
            key,
            Some(&id_new),
            Some(newer.is_latest),
        )
        .await?,
    ))
}

fn when(v: &VersionEntry) -> String {
    v.last_modified
        .map(format_time)
        .unwrap_or_else(|| "at an unknown time".into())
}

/// `--jsonl`: one record per removed, added and changed row.
fn stream_rows(printer: &mut Printer, diff: &ExportDiff<'_>, secrets: Secrets) -> CliResult {
    let key = |k| KeyJson { key: k, secrets };
    for table in &diff.tables {
        for row in &table.removed {
            let record = RowChangeRecord {
                table: table.name,
                change: FieldChangeKind::Removed,
                key: key(row.key.as_ref()),
                row: Some(JsonValue {
                    value: row.value,
                    secrets,
                }),
                fields: None,
            };
            if !printer.item(&record)? {
                return Ok(());
            }
        }
        for row in &table.added {
            let record = RowChangeRecord {
                table: table.name,
                change: FieldChangeKind::Added,
                key: key(row.key.as_ref()),
                row: Some(JsonValue {
                    value: row.value,
                    secrets,
                }),
                fields: None,
            };
            if !printer.item(&record)? {
                return Ok(());
            }
        }
        for change in &table.changed {
            let record = RowChangeRecord {
                table: table.name,
                change: FieldChangeKind::Changed,
                key: key(Some(change.key)),
                row: None,
                fields: Some(fields_out(change, secrets)),
            };
            if !printer.item(&record)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The report of `diff` between the exports of `older` and `newer`.
fn report<'a>(
    older: &Loaded,
    newer: &Loaded,
    export_a: &Export<'_>,
    export_b: &Export<'_>,
    diff: &'a ExportDiff<'a>,
    secrets: Secrets,
    rows: bool,
) -> DiffReport<'a> {
    let side = |side: &'static str, export: &Export<'_>| {
        let (refused, other) = content_source::problems(export);
        refused
            .into_iter()
            .chain(other)
            .map(move |problem| SideProblem { side, problem })
            .collect::<Vec<_>>()
    };
    let mut problems = side("from", export_a);
    problems.extend(side("to", export_b));
    DiffReport {
        from: older.info.clone(),
        to: newer.info.clone(),
        identical: diff.is_empty(),
        secrets,
        database: DatabaseChanges::of(diff),
        totals: diff.totals().into(),
        tables: diff
            .tables
            .iter()
            .map(|t| TableChanges::of(t, rows, secrets))
            .collect(),
        problems,
    }
}
