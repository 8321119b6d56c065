//! `ffce show`: what a backup holds, from a device's backup in the store (latest or
//! `--version-id`), a blob or plaintext file, or stdin ([`super::content_source`]).
//!
//! Secrets are replaced by `[redacted]` in every output form unless
//! `--reveal-secrets` is given. A backup that does not authenticate, or whose content
//! is not a Dexie export (not JSON, a NUL byte, another `formatName`), exits 4 and
//! shows nothing; problems that leave it readable (a database other than
//! `FireFly-Controller`, rows without their primary key) are warnings on stderr and
//! listed in the JSON.

use super::content_source::{self, Keys, Source};
use crate::cli::ShowArgs;
use crate::env::Env;
use crate::exit::{CliError, CliResult};
use crate::output::content::{JsonValue, Secrets, printable};
use crate::output::show::{Database, ExportJson, KeyJson, Shown, ShownRow, TableInfo, View};
use crate::output::{Format, Printer};
use crate::ui::Ui;

/// Runs `ffce show`.
pub async fn run(ui: &Ui, printer: &mut Printer, env: &Env, args: ShowArgs) -> CliResult {
    let (source, target) = Source::resolve(&args.source, &args.store, env)?;
    let version = args.version_id.clone();
    if let (Some(path), Some(_)) = (source.path(), &version) {
        return Err(CliError::usage(format!(
            "--version-id picks a version of a device's backup, and {} is a file",
            printable(&path.display().to_string())
        )));
    }
    if let Some(path) = source.path() {
        super::refuse_shared_stdin(&args.key, env, &[("the input", path)])?;
    }
    let keys = Keys::load(ui, &args.key, args.key_dir.as_deref(), env)?;
    let loaded = match (&source, &target) {
        (Source::Device { device, key }, Some(target)) => {
            let store = target.open(ui).await?;
            content_source::load_device(store.as_ref(), &keys, *device, key, version.as_ref(), None)
                .await?
        }
        (Source::File(path), _) => content_source::load_file(path, &keys)?,
        (Source::Device { .. }, None) => {
            return Err(CliError::other("a device source without its store"));
        }
    };
    let doc = content_source::document(&loaded)?;
    let export = content_source::export_of(&loaded, &doc)?;
    for name in &args.tables {
        if export.table(name).is_none() {
            let names: Vec<String> = export
                .tables
                .iter()
                .map(|t| printable(t.name).into_owned())
                .collect();
            return Err(CliError::not_found(format!(
                "{}: no table {:?} (its tables: {})",
                loaded.info.label(),
                printable(name),
                names.join(", ")
            )));
        }
    }
    content_source::warn_problems(ui, &loaded, &export);

    let secrets = Secrets::from_flag(args.reveal_secrets);
    let view = View {
        export: &export,
        tables: &args.tables,
        secrets,
    };
    let (restore_problems, problems) = content_source::problems(&export);
    let format = printer.format();
    let mut shown = Shown {
        source: loaded.info.clone(),
        database: Database {
            name: export.database_name.map(str::to_string),
            version: export.database_version.cloned(),
            format_version: export.format_version.cloned(),
        },
        tables: export.tables.iter().map(TableInfo::of).collect(),
        total_rows: export.total_rows(),
        secrets,
        restore_problems,
        problems,
        export: None,
        view,
    };
    if format == Format::Jsonl {
        'tables: for table in &export.tables {
            if !args.tables.is_empty() && !args.tables.iter().any(|t| t == table.name) {
                continue;
            }
            for row in &table.rows {
                let record = ShownRow {
                    table: table.name,
                    key: KeyJson {
                        key: row.key.as_ref(),
                        secrets,
                    },
                    row: JsonValue {
                        value: row.value,
                        secrets,
                    },
                };
                if !printer.item(&record)? {
                    break 'tables;
                }
            }
        }
        return printer.summary(&shown);
    }
    if format == Format::Json {
        shown.export = Some(ExportJson(view));
    }
    printer.document(&shown)
}
