//! What ffce reports, as typed records, and the one printer that renders them: for
//! people, as one JSON document (`--json`) or as JSON Lines (`--jsonl`).
//!
//! A support team scripts ffce, so the JSON forms are an interface as much as the flags
//! are. The rules every command follows:
//!
//! - Each thing ffce reports is one `#[derive(Serialize, JsonSchema)]` type implementing
//!   [`Record`]; a command builds records and hands them to its [`Printer`]. No command
//!   formats JSON by hand.
//! - `--json` prints one document: a JSON object whose first field is
//!   `"schema_version"` ([`SCHEMA_VERSION`]), then the record's own fields.
//! - `--jsonl` prints one record per line as it is ready, each an object whose first
//!   field is `"type"` (the record's [`Record::KIND`]), and ends with a summary record,
//!   which carries `"schema_version"` too.
//! - Compatibility: within one schema version, fields and enum values may be added;
//!   nothing is renamed, retyped or removed without raising [`SCHEMA_VERSION`].
//! - Human text goes through [`Record::human`] and [`Human`], with colours named by
//!   [`Style`], never raw ANSI strings.
//! - Every record type is in `docs/json-output.md` (and `docs/json-output.schema.json`),
//!   generated from these types by the `schema` unit test, which fails when they are
//!   stale: `FFCE_UPDATE_JSON_DOCS=1 cargo test -p ffce-cli --bin ffce output::schema`
//!   regenerates them. A new record type is added to the list in `schema.rs`.
//!
//! A reader that leaves early (`ffce audit --jsonl | head`) is noticed by the printer:
//! [`Printer::item`] answers `false` and the command stops working for nobody. That is
//! not a success: the command ends with [`CliError::reader_left`] (exit 7, or the
//! verdict so far when it is already bad), and `main` gives exit 7 to any command that
//! finished while its reader was gone ([`Printer::reader_left`]).

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use crate::exit::{CliError, CliResult};
use crate::files;

pub mod api;
pub mod audit;
pub mod bucket;
pub mod changes;
pub mod content;
pub mod content_summary;
pub mod diff;
pub mod download;
pub mod error;
pub mod listing;
pub mod report;
#[cfg(test)]
mod schema;
pub mod show;
pub mod verify;
pub mod versions;

/// A time as every record writes it: RFC 3339 UTC to the second, e.g.
/// `2025-01-31T12:00:00Z` (S3 keeps whole seconds; local files' finer times are cut to
/// match). The device API's format (`ffce_core::device_auth`), so that times read alike
/// wherever they come from.
pub fn timestamp(t: std::time::SystemTime) -> String {
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs_f64().ceil() as u64).unwrap_or(i64::MAX),
    };
    ffce_core::device_auth::format_timestamp(secs)
}

/// The version of the JSON output's schema. Raised only for a change that is not an
/// addition (a field renamed, retyped or removed, an enum value removed).
pub const SCHEMA_VERSION: u32 = 1;

/// The output options every command that reports something shares, flattened into its
/// arguments (`#[command(flatten)] pub output: OutputArgs`).
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct OutputArgs {
    /// Print one JSON document on stdout (its schema: docs/json-output.md)
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,
    /// Print JSON Lines on stdout: one record per line as it is ready, then a summary
    #[arg(long)]
    pub jsonl: bool,
}

impl OutputArgs {
    /// The format these options ask for.
    pub fn format(self) -> Format {
        match (self.json, self.jsonl) {
            (_, true) => Format::Jsonl,
            (true, false) => Format::Json,
            (false, false) => Format::Human,
        }
    }
}

/// How a command's results are printed on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text for people (aligned columns, colour on a terminal).
    Human,
    /// One JSON document.
    Json,
    /// One JSON record per line, then a summary record.
    Jsonl,
}

impl Format {
    /// Whether the output is JSON of either kind (progress bars and prompts stay off).
    pub fn is_json(self) -> bool {
        self != Format::Human
    }
}

/// One thing ffce reports: an object, a device's finding, a stray key, a summary, the
/// result of a write, an error.
pub trait Record: Serialize + JsonSchema {
    /// The record's name in JSON Lines (`"type"`) and in the schema document: a
    /// lowercase word or snake_case phrase, stable within a schema version.
    const KIND: &'static str;

    /// Renders the record for people.
    fn human(&self, out: &mut Human);
}

/// What a piece of human text means; the printer picks the colour (or none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// No emphasis.
    Plain,
    /// A check that passed.
    Good,
    /// Something to look at, not a failure.
    Warn,
    /// A failure.
    Bad,
    /// A note for people (on stderr).
    Note,
    /// A heading or a column title.
    Heading,
    /// Secondary detail.
    Dim,
}

impl Style {
    fn ansi(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Good => Some("32"),
            Style::Warn => Some("33"),
            Style::Bad => Some("31"),
            Style::Note => Some("36"),
            Style::Heading => Some("1"),
            Style::Dim => Some("2"),
        }
    }
}

/// Human text being built, with colour only when stdout is a terminal that wants it.
#[derive(Debug)]
pub struct Human {
    text: String,
    color: bool,
}

impl Human {
    /// An empty text; `color` says whether [`Style`]s become ANSI colours.
    pub fn new(color: bool) -> Human {
        Human {
            text: String::new(),
            color,
        }
    }

    /// Appends `text` in `style`.
    pub fn styled(&mut self, style: Style, text: &str) -> &mut Human {
        match style.ansi().filter(|_| self.color) {
            Some(code) => {
                let _ = write!(self.text, "\x1b[{code}m{text}\x1b[0m");
            }
            None => self.text.push_str(text),
        }
        self
    }

    /// Appends plain `text`.
    pub fn push(&mut self, text: &str) -> &mut Human {
        self.text.push_str(text);
        self
    }

    /// Appends plain `text` and a newline.
    pub fn line(&mut self, text: &str) -> &mut Human {
        self.text.push_str(text);
        self.text.push('\n');
        self
    }

    /// The text built so far.
    pub fn into_string(self) -> String {
        self.text
    }
}

/// Prints a command's records in the format the user chose.
#[derive(Debug)]
pub struct Printer {
    format: Format,
    color: bool,
    /// False once the reader of stdout went away.
    reader_present: bool,
    /// True once the command's result (a document or a closing summary) was printed.
    finished: bool,
    /// `-q`: human reports are not printed (JSON is: it is what the user asked for).
    quiet: bool,
}

impl Printer {
    /// A printer for `format`; `color` says whether human text on stdout is coloured.
    pub fn new(format: Format, color: bool) -> Printer {
        Printer {
            format,
            color,
            reader_present: true,
            finished: false,
            quiet: false,
        }
    }

    /// With `quiet` (`-q`, "print only errors"), human reports are left out: the exit
    /// code is the verdict and errors still go to stderr. `--json` and `--jsonl` are
    /// printed all the same, since a script asked for them; so is every payload a
    /// command writes to stdout itself (`get -o -`, `decrypt -o -`, `key derive`).
    pub fn quiet(mut self, quiet: bool) -> Printer {
        self.quiet = quiet;
        self
    }

    /// Prints the error a command ended with, as JSON, unless the command already
    /// printed its result (a report that ends in exit 4 says all there is): with
    /// `--json` the document `{"schema_version", "error"}`, with `--jsonl` the closing
    /// record of the stream (after whatever lines came before). Nothing for people:
    /// errors go to stderr.
    pub fn error(&mut self, err: &CliError) {
        if self.finished || self.format == Format::Human {
            return;
        }
        let record = error::ErrorRecord::from(err);
        // A failure to print the error is not worth a second error.
        let _ = self.summary(&record);
    }

    /// True once stdout's reader has gone (a closed pipe): what was printed after that
    /// reached nobody, and the command's verdict with it.
    pub fn reader_left(&self) -> bool {
        !self.reader_present
    }

    /// The format this printer writes.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Prints `record` as the command's one result: human text, a `--json` document
    /// with `schema_version`, or (with `--jsonl`) one line that also carries it.
    pub fn document<R: Record>(&mut self, record: &R) -> CliResult {
        self.finished = true;
        match self.format {
            Format::Human => self.human(record),
            Format::Json => {
                let mut text = to_json(&Versioned::new(record), true)?;
                text.push('\n');
                self.write(&text).map(drop)
            }
            Format::Jsonl => self.summary(record),
        }
    }

    /// Prints one streamed record: human text, one JSON line (`--jsonl`), or nothing
    /// with `--json` (the document comes at the end). Answers whether anyone still
    /// reads: a streaming command stops when it does not.
    pub fn item<R: Record>(&mut self, record: &R) -> CliResult<bool> {
        match self.format {
            Format::Human => self.human(record)?,
            Format::Json => {}
            Format::Jsonl => {
                let mut line = to_json(&Typed::new(record), false)?;
                line.push('\n');
                self.write(&line)?;
            }
        }
        Ok(self.reader_present)
    }

    /// [`item`](Self::item), keeping the record in `kept` when the output is one
    /// `--json` document (which the command prints at the end, with every item).
    pub fn item_kept<R: Record>(&mut self, record: R, kept: &mut Vec<R>) -> CliResult<bool> {
        let present = self.item(&record)?;
        if self.format == Format::Json {
            kept.push(record);
        }
        Ok(present)
    }

    /// Prints the closing summary of a stream: human text, or with `--jsonl` one line
    /// with `"type"` and `"schema_version"`. (With `--json`, use [`document`](Self::document)
    /// for the whole result instead.)
    pub fn summary<R: Record>(&mut self, record: &R) -> CliResult {
        self.finished = true;
        match self.format {
            Format::Human => self.human(record),
            Format::Json => {
                let mut text = to_json(&Versioned::new(record), true)?;
                text.push('\n');
                self.write(&text).map(drop)
            }
            Format::Jsonl => {
                let mut line = to_json(&TypedVersioned::new(record), false)?;
                line.push('\n');
                self.write(&line).map(drop)
            }
        }
    }

    fn human<R: Record>(&mut self, record: &R) -> CliResult {
        if self.quiet {
            return Ok(());
        }
        let mut out = Human::new(self.color);
        record.human(&mut out);
        let text = out.into_string();
        if text.is_empty() {
            return Ok(());
        }
        self.write(&text).map(drop)
    }

    fn write(&mut self, text: &str) -> CliResult<bool> {
        if !self.reader_present {
            return Ok(false);
        }
        self.reader_present = files::write_stdout_while_read(text.as_bytes())?;
        Ok(self.reader_present)
    }
}

fn to_json(value: &impl Serialize, pretty: bool) -> CliResult<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    text.map_err(|e| CliError::other(format!("cannot format JSON: {e}")))
}

/// A `--json` document: `schema_version`, then the record's fields.
#[derive(Serialize)]
struct Versioned<'a, R> {
    schema_version: u32,
    #[serde(flatten)]
    record: &'a R,
}

impl<'a, R> Versioned<'a, R> {
    fn new(record: &'a R) -> Self {
        Versioned {
            schema_version: SCHEMA_VERSION,
            record,
        }
    }
}

/// A JSON Lines record: `type`, then the record's fields.
#[derive(Serialize)]
struct Typed<'a, R> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    record: &'a R,
}

impl<'a, R: Record> Typed<'a, R> {
    fn new(record: &'a R) -> Self {
        Typed {
            kind: R::KIND,
            record,
        }
    }
}

/// The closing JSON Lines record: `type`, `schema_version`, then the record's fields.
#[derive(Serialize)]
struct TypedVersioned<'a, R> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema_version: u32,
    #[serde(flatten)]
    record: &'a R,
}

impl<'a, R: Record> TypedVersioned<'a, R> {
    fn new(record: &'a R) -> Self {
        TypedVersioned {
            kind: R::KIND,
            schema_version: SCHEMA_VERSION,
            record,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, JsonSchema)]
    struct Example {
        device: &'static str,
        size: u64,
    }

    impl Record for Example {
        const KIND: &'static str = "example";
        fn human(&self, out: &mut Human) {
            out.styled(Style::Good, self.device).line("");
        }
    }

    #[test]
    fn envelopes_put_their_fields_first() {
        let r = Example {
            device: "d",
            size: 3,
        };
        assert_eq!(
            to_json(&Versioned::new(&r), false).unwrap(),
            r#"{"schema_version":1,"device":"d","size":3}"#
        );
        assert_eq!(
            to_json(&Typed::new(&r), false).unwrap(),
            r#"{"type":"example","device":"d","size":3}"#
        );
        assert_eq!(
            to_json(&TypedVersioned::new(&r), false).unwrap(),
            r#"{"type":"example","schema_version":1,"device":"d","size":3}"#
        );
    }

    #[test]
    fn times_are_rfc3339() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20Z");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_900);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20Z", "cut to the second");
    }

    #[test]
    fn styles_colour_only_when_asked() {
        let mut plain = Human::new(false);
        plain.styled(Style::Bad, "x");
        assert_eq!(plain.into_string(), "x");
        let mut coloured = Human::new(true);
        coloured.styled(Style::Bad, "x").styled(Style::Plain, "y");
        assert_eq!(coloured.into_string(), "\x1b[31mx\x1b[0my");
    }
}
