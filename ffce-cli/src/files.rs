//! Reading inputs and writing outputs, as the help promises: `-` is stdin/stdout, a
//! binary blob is never written to a terminal, and output files are atomic.
//!
//! An output file is written to a temporary file in the same folder, synced, then renamed
//! over the destination, so the destination is either absent, the old file, or the whole
//! new file, never partial or empty. An existing destination is kept unless the caller
//! passes `force` (the no-clobber rename closes the race between check and write). A
//! SIGINT/SIGTERM while a temporary file exists removes it before the process exits
//! (see [`crate::interrupt`]).

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use ffce_store::bounded::{Bounded, read_at_most};
use ffce_store::temp::{AtomicWrite, WriteStep, write_atomically};
use zeroize::Zeroizing;

use crate::exit::{CliError, CliResult, Failure};

/// Environment variable read by a test hook: after the temporary output file is complete
/// and synced, and before it is renamed, print its path on stderr and sleep this many
/// milliseconds. It lets the integration tests send a signal exactly inside the window
/// that matters (a test that races a real write would be flaky).
///
/// Compiled only into builds with debug assertions (`cargo test`, `cargo build`), never
/// into `cargo build --release`: a released binary must not be made to hold a complete
/// plaintext temporary file on disk for as long as a variable says.
#[cfg(debug_assertions)]
const TEST_PAUSE_ENV: &str = "FFCE_TEST_PAUSE_BEFORE_RENAME_MS";

/// The line prefix the test hook prints before the temporary file's path.
#[cfg(debug_assertions)]
const TEST_PAUSE_MARKER: &str = "ffce: test hook: temporary output ready: ";

/// True for the path `-`, which means stdin or stdout.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The most bytes a command will read from one input, and how to refuse more.
///
/// A file is judged by its size before a byte is read; stdin, which cannot be sized, is
/// read through a bounded reader that stops one byte past the limit. Either way the
/// input never grows the process beyond the limit (a 5 GB file is refused at once).
#[derive(Clone, Copy, Debug)]
pub struct SizeLimit {
    /// The largest input accepted, in bytes.
    pub max: u64,
    /// What the limit is, completing "... at most N bytes".
    pub what: &'static str,
    /// The exit code of a refusal.
    pub failure: Failure,
}

/// Any FFCE blob (inspect, verify, decrypt): the format's own limit, header plus a
/// 32-bit `plaintext_len`. Larger cannot be a blob, so it is an integrity failure.
pub const ANY_BLOB: SizeLimit = SizeLimit {
    max: ffce_core::format::MAX_FORMAT_BLOB_LEN,
    what: "an FFCE blob (a 37-byte header and a 32-bit plaintext length) is",
    failure: Failure::Integrity,
};

/// A backup body for upload (put): the cloud's limit, docs/SPEC.md §3.
pub const UPLOAD_BLOB: SizeLimit = SizeLimit {
    max: ffce_core::upload::MAX_BLOB_LEN as u64,
    what: "the cloud accepts a backup of",
    failure: Failure::Integrity,
};

/// A plaintext to seal for upload (put --encrypt): what fits under the upload limit.
pub const UPLOAD_PLAINTEXT: SizeLimit = SizeLimit {
    max: ffce_core::upload::MAX_PLAINTEXT_LEN as u64,
    what: "a plaintext whose blob fits the cloud's upload limit is",
    failure: Failure::Integrity,
};

/// A plaintext to seal (encrypt): what a 32-bit `plaintext_len` can describe.
pub const ANY_PLAINTEXT: SizeLimit = SizeLimit {
    max: ffce_core::format::MAX_FORMAT_PLAINTEXT_LEN,
    what: "the plaintext of an FFCE blob (its length is a 32-bit number) is",
    failure: Failure::Other,
};

impl SizeLimit {
    fn refuse(&self, shown: &str, size: Option<u64>) -> CliError {
        let (size, done) = match size {
            Some(n) => (
                format!("is {}", ffce_core::numbers::Count(n, "byte")),
                "not read",
            ),
            None => (
                format!(
                    "holds more than {}",
                    ffce_core::numbers::Count(self.max, "byte")
                ),
                "stopped reading",
            ),
        };
        CliError::new(
            self.failure,
            format!(
                "{shown} {size}, too large: {} at most {}; {done}",
                self.what,
                ffce_core::numbers::Count(self.max, "byte")
            ),
        )
    }
}

/// Reads a whole input file, or stdin for `-`, refusing an input over `limit` before
/// reading it (a file) or as soon as it is exceeded (stdin).
///
/// A missing file exits 3 and names the path. The buffer grows without leaving copies
/// behind (every outgrown buffer is wiped), so the result can be wrapped in
/// [`Zeroizing`] by callers that read plaintext; [`read_secret_input_limited`] does that.
pub fn read_input_limited(path: &Path, limit: &SizeLimit) -> CliResult<Vec<u8>> {
    let mut secret = read_secret_input_limited(path, limit)?;
    Ok(std::mem::take(&mut *secret))
}

/// [`read_input_limited`] for plaintext: the buffer is wiped when dropped.
pub fn read_secret_input_limited(path: &Path, limit: &SizeLimit) -> CliResult<Zeroizing<Vec<u8>>> {
    if is_stdio(path) {
        return read_bounded(io::stdin().lock(), 0, limit, "stdin");
    }
    let shown = path.display();
    let meta = fs::metadata(path).map_err(|e| input_error(path, &e))?;
    if meta.is_dir() {
        return Err(CliError::other(format!(
            "cannot read {shown}: it is a directory"
        )));
    }
    if meta.len() > limit.max {
        return Err(limit.refuse(&shown.to_string(), Some(meta.len())));
    }
    let file = fs::File::open(path).map_err(|e| input_error(path, &e))?;
    let hint = usize::try_from(meta.len()).unwrap_or(0);
    // Bounded too: a FIFO (`<(cmd)`) has no size, and a file may grow while read.
    read_bounded(file, hint, limit, &shown.to_string())
}

/// Reads `reader` to its end, but never more than one byte past `limit`
/// ([`ffce_store::bounded`]): an endless stream is refused, not buffered.
fn read_bounded(
    reader: impl Read,
    hint: usize,
    limit: &SizeLimit,
    shown: &str,
) -> CliResult<Zeroizing<Vec<u8>>> {
    match read_at_most(reader, limit.max, hint) {
        Ok(Bounded::Within(buf)) => Ok(buf),
        Ok(Bounded::TooLong) => Err(limit.refuse(shown, None)),
        Err(e) => Err(CliError::other(format!("cannot read {shown}: {e}"))),
    }
}

fn input_error(path: &Path, e: &io::Error) -> CliError {
    let shown = path.display();
    match e.kind() {
        io::ErrorKind::NotFound => CliError::not_found(format!("{shown}: no such file")),
        _ => CliError::other(format!("cannot read {shown}: {e}")),
    }
}

/// What is being written; decides file permissions and whether a terminal may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputContent {
    /// An FFCE blob: binary, never written to a terminal; file mode 0666 less umask.
    Blob,
    /// Decrypted plaintext: sensitive; file mode 0600; shown on a terminal only when it
    /// is plain text (no control characters that could drive the terminal).
    Plaintext,
}

/// How [`write_output`] treats the destination.
#[derive(Clone, Copy, Debug)]
pub struct OutputOptions<'a> {
    /// What the bytes are.
    pub content: OutputContent,
    /// Replace an existing file (`--force`).
    pub force: bool,
    /// The input file; writing the output over it is refused.
    pub input: Option<&'a Path>,
}

impl<'a> OutputOptions<'a> {
    /// Options for writing an FFCE blob.
    pub fn blob(force: bool) -> OutputOptions<'a> {
        OutputOptions {
            content: OutputContent::Blob,
            force,
            input: None,
        }
    }

    /// Options for writing plaintext.
    pub fn plaintext(force: bool) -> OutputOptions<'a> {
        OutputOptions {
            content: OutputContent::Plaintext,
            force,
            input: None,
        }
    }

    /// Refuses an output that is the same file as `input`.
    pub fn not_over(mut self, input: &'a Path) -> OutputOptions<'a> {
        self.input = Some(input);
        self
    }
}

/// Where the bytes went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    /// To stdout.
    Stdout {
        /// Bytes written (all of them, unless the reader went away early).
        len: usize,
    },
    /// To a file, atomically.
    File {
        /// The destination.
        path: PathBuf,
        /// Bytes written.
        len: usize,
        /// True when an existing file was replaced (`--force`).
        replaced: bool,
    },
}

impl Written {
    /// A short phrase for the user, e.g. `backup.json (5,729 bytes)`.
    pub fn describe(&self) -> String {
        match self {
            Written::Stdout { len } => format!("stdout ({})", ffce_core::numbers::bytes(*len)),
            Written::File {
                path,
                len,
                replaced,
            } => format!(
                "{} ({}{})",
                path.display(),
                ffce_core::numbers::bytes(*len),
                if *replaced { ", replaced" } else { "" }
            ),
        }
    }
}

/// The output options of a download (`get`, `api get`): plaintext with `--decrypt`,
/// else the blob; and, when an output path is given, the checks of [`check_output`]
/// plus the refusal of `--json` with `-o -` (both would write to stdout).
pub fn download_output<'a>(
    output: Option<&Path>,
    decrypt: bool,
    force: bool,
    json: bool,
) -> CliResult<OutputOptions<'a>> {
    let opts = if decrypt {
        OutputOptions::plaintext(force)
    } else {
        OutputOptions::blob(force)
    };
    if let Some(path) = output {
        if json && is_stdio(path) {
            return Err(CliError::usage(
                "--json and -o - would both write to stdout; give -o a file",
            ));
        }
        check_output(path, &opts)?;
    }
    Ok(opts)
}

/// Checks, before any work is done, that `path` could be written with `opts`: not the
/// input file, not an existing file without `force`, not a directory. For `-`, checks
/// that stdout is not a terminal when the content is a blob.
///
/// [`write_output`] checks again (and the no-clobber rename is what finally decides);
/// this only lets a command refuse before it reads, derives or decrypts anything.
pub fn check_output(path: &Path, opts: &OutputOptions<'_>) -> CliResult {
    if is_stdio(path) {
        if opts.content == OutputContent::Blob && io::stdout().is_terminal() {
            return Err(refuse_terminal());
        }
        return Ok(());
    }
    let shown = path.display();
    if let Some(input) = opts.input {
        if !is_stdio(input) && same_file(input, path) {
            return Err(CliError::refused(format!(
                "{shown} is the input file; write the output somewhere else"
            )));
        }
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(CliError::refused(format!(
            "{shown} is a directory; give a file path for the output"
        ))),
        Ok(_) if !opts.force => Err(CliError::refused(format!(
            "{shown} already exists; pass --force to replace it"
        ))),
        _ => Ok(()),
    }
}

fn refuse_terminal() -> CliError {
    CliError::refused(
        "refusing to write binary data to a terminal; \
         redirect stdout (`> file`, `| ...`) or give an output file with -o FILE",
    )
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                ma.dev() == mb.dev() && ma.ino() == mb.ino()
            }
            #[cfg(not(unix))]
            {
                let _ = (ma, mb);
                matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
            }
        }
        _ => false,
    }
}

/// True when `bytes` can be shown on a terminal: UTF-8 without control characters other
/// than newline, carriage return and tab.
fn is_terminal_safe_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    })
}

/// Writes `bytes` to `path` atomically, or to stdout for `-`.
///
/// With `force`, an existing destination is replaced by the rename; if it is a symbolic
/// link, the link itself is replaced (its target is left alone).
///
/// Exit codes: 5 when the destination exists without `force`, is the input, is a
/// directory, or is a terminal for binary data; 3 when its folder does not exist; 1 for
/// other I/O errors. On any failure no output file is left behind.
pub fn write_output(path: &Path, bytes: &[u8], opts: OutputOptions<'_>) -> CliResult<Written> {
    check_output(path, &opts)?;
    if is_stdio(path) {
        if opts.content == OutputContent::Plaintext
            && io::stdout().is_terminal()
            && !is_terminal_safe_text(bytes)
        {
            return Err(refuse_terminal());
        }
        write_stdout(bytes)?;
        return Ok(Written::Stdout { len: bytes.len() });
    }
    let shown = path.display();
    let mode = match opts.content {
        OutputContent::Blob => 0o666,
        OutputContent::Plaintext => 0o600,
    };
    let existed = path.exists();
    let pause = |temp: &Path| test_pause(temp);
    let written = write_atomically(
        path,
        bytes,
        &AtomicWrite {
            replace: opts.force,
            mode: Some(mode),
            before_rename: Some(&pause),
        },
    );
    written.map_err(|e| match (e.step, e.source.kind()) {
        (WriteStep::Create, io::ErrorKind::NotFound) => CliError::not_found(format!(
            "cannot write {shown}: folder {} does not exist",
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .display()
        )),
        (WriteStep::Rename, io::ErrorKind::AlreadyExists) => CliError::refused(format!(
            "{shown} already exists; pass --force to replace it"
        )),
        _ => CliError::other(format!("cannot write {shown}: {}", e.source)),
    })?;
    Ok(Written::File {
        path: path.to_path_buf(),
        len: bytes.len(),
        replaced: existed && opts.force,
    })
}

#[cfg(not(debug_assertions))]
fn test_pause(_temp: &Path) {}

#[cfg(debug_assertions)]
fn test_pause(temp: &Path) {
    let Some(ms) = std::env::var_os(TEST_PAUSE_ENV) else {
        return;
    };
    let ms: u64 = ms.to_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    let _ = writeln!(io::stderr(), "{TEST_PAUSE_MARKER}{}", temp.display());
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

/// Writes to stdout and flushes. A reader that went away (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> CliResult {
    write_stdout_while_read(bytes).map(drop)
}

/// [`write_stdout`], also saying whether anyone still reads: false once the reader
/// has gone (a closed pipe), so that a streaming command can stop rather than work for
/// nobody.
pub fn write_stdout_while_read(bytes: &[u8]) -> CliResult<bool> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(CliError::other(format!("cannot write to stdout: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads_stop_one_byte_past_the_limit() {
        let limit = SizeLimit {
            max: 10,
            what: "a test input is",
            failure: Failure::Integrity,
        };
        let ok = read_bounded(&[7u8; 10][..], 0, &limit, "stdin").unwrap();
        assert_eq!(&ok[..], &[7u8; 10]);
        // An endless stream is refused, not read to its (never) end.
        let err = read_bounded(io::repeat(0), 0, &limit, "stdin").unwrap_err();
        assert_eq!(err.failure, Failure::Integrity);
        assert_eq!(
            err.message,
            "stdin holds more than 10 bytes, too large: a test input is at most 10 bytes; \
             stopped reading"
        );
    }

    #[test]
    fn terminal_safe_text() {
        assert!(is_terminal_safe_text(b"{\"a\": 1}\n\tx\r\n"));
        assert!(is_terminal_safe_text("héllo".as_bytes()));
        assert!(!is_terminal_safe_text(b"\x1b[2J"));
        assert!(!is_terminal_safe_text(b"\xff\xfe"));
        assert!(!is_terminal_safe_text(b"a\0b"));
    }
}
