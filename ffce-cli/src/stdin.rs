//! Stdin is one stream: at most one of a command's readers may use it. The one check
//! for every command (`inspect`, `verify`, `encrypt`, `decrypt`, `put`, `restore`,
//! `api post`, `api get`): a key file, a device key and an input that would all be read
//! from stdin are refused (exit 2) before anything is read, whichever way each names
//! stdin (`-`, `/dev/stdin`, `/proc/self/fd/0`, or the very file stdin is redirected
//! from).

use std::fs;
use std::path::Path;

use crate::env::{KEY_ENV, MASTER_KEY_ENV};
use crate::exit::{CliError, CliResult};
use crate::files;

/// Refuses readers of which more than one reads stdin. Each reader is what it is
/// (`--master-key-file`, `the input`) and its path; a key given another way is not
/// one.
pub fn refuse_shared(readers: &[(&str, &Path)]) -> CliResult {
    let on_stdin: Vec<&(&str, &Path)> = readers.iter().filter(|(_, p)| is_stdin(p)).collect();
    if on_stdin.len() < 2 {
        return Ok(());
    }
    let named: Vec<String> = on_stdin
        .iter()
        .map(|(what, path)| match *what {
            "the input" => format!("the input {}", path.display()),
            flag => format!("{flag} {}", path.display()),
        })
        .collect();
    let (all, but) = match named.len() {
        2 => ("both", "one of them"),
        _ => ("all", "all but one"),
    };
    Err(CliError::usage(format!(
        "{} would {all} be read from stdin, one after the other; give {but} another way \
         (a file, <(command), or for a key the {MASTER_KEY_ENV} / {KEY_ENV} variable)",
        named.join(" and ")
    )))
}

/// True for `-` and for a path that is the same file as this process's stdin
/// (`/dev/stdin`, `/proc/self/fd/0`, or the file stdin was redirected from).
pub fn is_stdin(path: &Path) -> bool {
    files::is_stdio(path) || same_file_as_stdin(path)
}

#[cfg(unix)]
fn same_file_as_stdin(path: &Path) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    match (fs::File::from(fd).metadata(), fs::metadata(path)) {
        (Ok(stdin), Ok(file)) => stdin.dev() == file.dev() && stdin.ino() == file.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file_as_stdin(_path: &Path) -> bool {
    false
}
