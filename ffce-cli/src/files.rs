//! Reading inputs and writing outputs, as the help promises: `-` is stdin/stdout, a
//! binary blob is never written to a terminal, and output files are atomic.
//!
//! An output file is written to a temporary file in the same folder, synced, then renamed
//! over the destination, so the destination is either absent, the old file, or the whole
//! new file, never partial or empty. An existing destination is kept unless the caller
//! passes `force` (the no-clobber rename closes the race between check and write). A
//! SIGINT/SIGTERM while a temporary file exists removes it before the process exits
//! (see [`crate::interrupt`]).
//!
//! Only regular files are written that way. A device or a FIFO (`/dev/null`, `mkfifo`)
//! is written through, as `cp` and a shell redirection do, without `--force`; a symbolic
//! link is followed to its target, and the target's rules apply (the link is never
//! replaced).

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

/// A plaintext to seal (encrypt): what a 32-bit `plaintext_len` can describe. Too
/// large an input is exit 4 here as for every other input limit (put, inspect, verify):
/// one verdict for "input too large", whichever command read it.
pub const ANY_PLAINTEXT: SizeLimit = SizeLimit {
    max: ffce_core::format::MAX_FORMAT_PLAINTEXT_LEN,
    what: "the plaintext of an FFCE blob (its length is a 32-bit number) is",
    failure: Failure::Integrity,
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
        if json && is_stdout(path) {
            return Err(CliError::usage(
                "--json and -o - would both write to stdout; give -o a file",
            ));
        }
        check_output(path, &opts)?;
    }
    Ok(opts)
}

/// What an output path names, as far as writing to it goes.
///
/// Only a regular file (or a name not taken yet) is written atomically, a temporary file
/// renamed over it: renaming over a device, a FIFO or a socket would put a plain file
/// holding the output where the device was, and renaming over a symbolic link would
/// replace the link. So, as `cp` does, anything else is opened and written through, and
/// a link is followed to what it names.
#[derive(Debug)]
enum Destination {
    /// Stdout: `-`, or a name for descriptor 1 (`/dev/stdout`, `/dev/fd/1`,
    /// `/proc/self/fd/1`), written to the descriptor itself so that a redirection's
    /// file position (`>>`) is kept.
    Stdout,
    /// A regular file or a free name: written atomically at `path`, which is the
    /// link's target when the name given is a symbolic link.
    Regular {
        /// Where the temporary file is renamed to.
        path: PathBuf,
        /// True when something is there already (`--force` replaces it).
        exists: bool,
        /// True when the name given is a symbolic link (kept; its target is replaced).
        via_link: bool,
    },
    /// An existing device, FIFO or socket (maybe through a link): opened for writing,
    /// never renamed over, created, truncated or chmod'ed.
    WriteThrough,
}

/// The names of descriptor 1 that mean stdout.
const STDOUT_NAMES: [&str; 3] = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

/// True for `-` and the names of descriptor 1 (`/dev/stdout`): output to stdout.
pub fn is_stdout(path: &Path) -> bool {
    is_stdio(path) || STDOUT_NAMES.iter().any(|n| path == Path::new(n))
}

/// True for a name of an open descriptor (`/dev/stderr`, `/dev/fd/N`,
/// `/proc/self/fd/N`): whatever it leads to was opened by the caller (a shell
/// redirection), so it is written through even when it is a regular file.
fn is_descriptor_name(path: &Path) -> bool {
    path == Path::new("/dev/stderr")
        || path.starts_with("/dev/fd/")
        || path.starts_with("/proc/self/fd/")
}

/// Looks at `path` (following a symbolic link) and says how it would be written.
/// A directory, or a link to nothing, is refused: neither can take a file's bytes.
fn destination(path: &Path) -> CliResult<Destination> {
    if is_stdout(path) {
        return Ok(Destination::Stdout);
    }
    if is_descriptor_name(path) {
        return Ok(Destination::WriteThrough);
    }
    let shown = path.display();
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        // Not there (or not visible): the atomic write creates it, or says why not.
        Err(_) => {
            return Ok(Destination::Regular {
                path: path.to_path_buf(),
                exists: false,
                via_link: false,
            });
        }
    };
    let (meta, via_link) = if meta.file_type().is_symlink() {
        match fs::metadata(path) {
            Ok(target) => (target, true),
            Err(e) => {
                let target = fs::read_link(path)
                    .map(|t| t.display().to_string())
                    .unwrap_or_else(|_| "?".into());
                return Err(CliError::refused(format!(
                    "{shown} is a symbolic link to {target}, which cannot be opened ({e});                      ffce does not create files through a link nor replace the link: give                      the target's path, or remove the link"
                )));
            }
        }
    } else {
        (meta, false)
    };
    if meta.is_dir() {
        return Err(CliError::refused(format!(
            "{shown} is a directory; give a file path for the output"
        )));
    }
    if !meta.is_file() {
        return Ok(Destination::WriteThrough);
    }
    let path = if via_link {
        fs::canonicalize(path)
            .map_err(|e| CliError::other(format!("cannot resolve the link {shown}: {e}")))?
    } else {
        path.to_path_buf()
    };
    Ok(Destination::Regular {
        path,
        exists: true,
        via_link,
    })
}

/// The refusal of an existing regular file without `--force`.
fn refuse_existing(shown: &Path, target: &Path, via_link: bool) -> CliError {
    if via_link {
        CliError::refused(format!(
            "{} is a symbolic link to {}, which already exists; pass --force to replace              {} (the link is kept)",
            shown.display(),
            target.display(),
            target.display()
        ))
    } else {
        CliError::refused(format!(
            "{} already exists; pass --force to replace it",
            shown.display()
        ))
    }
}

/// Checks, before any work is done, that `path` could be written with `opts`: not the
/// input file, not an existing regular file without `force`, not a directory nor a
/// link to nothing. For stdout, checks that it is not a terminal when the content is a
/// blob. A device or a FIFO needs no `force`: it is written through, as by `cp`.
///
/// [`write_output`] checks again (and the no-clobber rename is what finally decides);
/// this only lets a command refuse before it reads, derives or decrypts anything.
pub fn check_output(path: &Path, opts: &OutputOptions<'_>) -> CliResult {
    let dest = destination(path)?;
    if let Destination::Stdout = dest {
        if opts.content == OutputContent::Blob && io::stdout().is_terminal() {
            return Err(refuse_terminal());
        }
        return Ok(());
    }
    if let Some(input) = opts.input {
        if !is_stdio(input) && same_file(input, path) {
            return Err(CliError::refused(format!(
                "{} is the input file; write the output somewhere else",
                path.display()
            )));
        }
    }
    match dest {
        Destination::Regular {
            path: target,
            exists: true,
            via_link,
        } if !opts.force => Err(refuse_existing(path, &target, via_link)),
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

/// Writes `bytes` to `path`: to stdout for `-` (or `/dev/stdout`); atomically for a
/// regular file or a new name; written through for a device or a FIFO.
///
/// With `force`, an existing regular file is replaced by the rename; if `path` is a
/// symbolic link to one, the link's target is replaced and the link kept. A device or a
/// FIFO (`/dev/null`, `mkfifo`) is opened and written as it is, without `force`: it is
/// never renamed over, truncated or chmod'ed.
///
/// Exit codes: 5 when the destination is an existing file without `force`, is the
/// input, is a directory or a link to nothing, or is a terminal for binary data; 3 when
/// its folder does not exist; 1 for other I/O errors. On any failure no output file is
/// left behind.
pub fn write_output(path: &Path, bytes: &[u8], opts: OutputOptions<'_>) -> CliResult<Written> {
    check_output(path, &opts)?;
    match destination(path)? {
        Destination::Stdout => {
            if opts.content == OutputContent::Plaintext
                && io::stdout().is_terminal()
                && !is_terminal_safe_text(bytes)
            {
                return Err(refuse_terminal());
            }
            write_stdout(bytes)?;
            Ok(Written::Stdout { len: bytes.len() })
        }
        Destination::WriteThrough => write_through(path, bytes, opts),
        Destination::Regular {
            path: target,
            exists,
            via_link,
        } => write_regular(path, &target, bytes, opts, exists, via_link),
    }
}

/// Writes into an existing device or FIFO as it is, as a shell redirection would. A
/// terminal gets the same protection as stdout.
fn write_through(path: &Path, bytes: &[u8], opts: OutputOptions<'_>) -> CliResult<Written> {
    let shown = path.display();
    // No create, no truncate: the thing exists, and is not a file to cut.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| CliError::other(format!("cannot write {shown}: {e}")))?;
    if file.is_terminal() && (opts.content == OutputContent::Blob || !is_terminal_safe_text(bytes))
    {
        return Err(refuse_terminal());
    }
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| CliError::other(format!("cannot write {shown}: {e}")))?;
    Ok(Written::File {
        path: path.to_path_buf(),
        len: bytes.len(),
        replaced: false,
    })
}

/// Writes a regular file atomically at `target` (`path` itself, or the file its link
/// names).
fn write_regular(
    path: &Path,
    target: &Path,
    bytes: &[u8],
    opts: OutputOptions<'_>,
    existed: bool,
    via_link: bool,
) -> CliResult<Written> {
    let shown = path.display();
    let mode = match opts.content {
        OutputContent::Blob => 0o666,
        OutputContent::Plaintext => 0o600,
    };
    let pause = |temp: &Path| test_pause(temp);
    let written = write_atomically(
        target,
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
            target
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .display()
        )),
        (WriteStep::Rename, io::ErrorKind::AlreadyExists) => {
            refuse_existing(path, target, via_link)
        }
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
