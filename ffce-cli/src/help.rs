//! What `--help` and the man pages say beyond the clap definitions: the environment
//! variables and files each command uses, and the exit codes.
//!
//! Each is one table here, rendered both into a command's long help (`--help`) and into
//! its man page (`ffce man`), so the two cannot disagree. Which entries a command shows
//! follows from the arguments it has (a command with `--master-key-file` reads
//! `FFCE_MASTER_KEY`, one with `--endpoint-url` reads the AWS settings, ...), so a new
//! command is documented as soon as it takes those arguments.

use std::collections::BTreeSet;

use clap::{Command, CommandFactory};

use crate::cli::Cli;
use crate::exit::EXIT_CODES_HELP;

/// Which commands an entry concerns, decided by an argument the command has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Every command.
    Always,
    /// Commands that take a master secret (`--master-key-file`).
    MasterKey,
    /// Commands that take an already-derived key (`--key-file`).
    DerivedKey,
    /// Commands that pick a store (`--bucket`/`--dir`/the default).
    Store,
    /// Commands that talk to S3 (`--endpoint-url` and the other AWS settings).
    S3,
    /// Commands that write an output file.
    Output,
    /// Commands that talk to the device backup API (`--api-url`).
    Api,
}

impl Scope {
    /// The argument (clap id) whose presence puts a command in this scope.
    fn argument(self) -> Option<&'static str> {
        match self {
            Scope::Always => None,
            Scope::MasterKey => Some("master_key_file"),
            Scope::DerivedKey => Some("key_file"),
            Scope::Store => Some("layout"),
            Scope::S3 => Some("endpoint_url"),
            Scope::Output => Some("force"),
            Scope::Api => Some("api_url"),
        }
    }

    const ALL: [Scope; 7] = [
        Scope::Always,
        Scope::MasterKey,
        Scope::DerivedKey,
        Scope::Store,
        Scope::S3,
        Scope::Output,
        Scope::Api,
    ];
}

/// One entry of the environment or files table: names, what they do, who reads them.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The variable names or paths this entry explains.
    pub names: &'static [&'static str],
    /// What it does. Lines are at most 72 columns, so that help indented by six stays
    /// within an 80-column terminal.
    pub about: &'static str,
    /// Which commands it concerns.
    pub scope: Scope,
}

/// Every environment variable ffce reads, itself or through the AWS SDK.
pub const ENVIRONMENT: &[Entry] = &[
    Entry {
        names: &["FFCE_BUCKET"],
        about: "The S3 bucket holding the backups, when no --bucket or --dir is\n\
                given.",
        scope: Scope::Store,
    },
    Entry {
        names: &["FFCE_DIR"],
        about: "A local directory laid out like the bucket, when no --bucket or\n\
                --dir is given (FFCE_BUCKET and FFCE_DIR both set is an error).",
        scope: Scope::Store,
    },
    Entry {
        names: &["S3_BACKUP_BUCKET_NAME"],
        about: "The cloud functions' bucket variable: the bucket when none of\n\
                --bucket, --dir, FFCE_BUCKET and FFCE_DIR is given.",
        scope: Scope::Store,
    },
    Entry {
        names: &["XDG_DATA_HOME", "HOME"],
        about: "With no store given, backups live in $XDG_DATA_HOME/ffce/backups\n\
                (when XDG_DATA_HOME is an absolute path), else in\n\
                $HOME/.local/share/ffce/backups.",
        scope: Scope::Store,
    },
    Entry {
        names: &["FFCE_MASTER_KEY"],
        about: "The device's 32-byte master secret (64 hex digits or base64), when\n\
                no --master-key-file or --key-file is given.",
        scope: Scope::MasterKey,
    },
    Entry {
        names: &["FFCE_KEY"],
        about: "An already-derived AES key (64 hex digits or base64), when no key\n\
                file is given and FFCE_MASTER_KEY is not set.",
        scope: Scope::DerivedKey,
    },
    Entry {
        names: &["FFCE_API_URL"],
        about: "The device backup API's base URL, when no --api-url is given.",
        scope: Scope::Api,
    },
    Entry {
        names: &["FFCE_DEVICE_KEY"],
        about: "The path of the device's P-256 private key file, when no\n\
                --device-key is given (a path, never the key itself).",
        scope: Scope::Api,
    },
    Entry {
        names: &["SSL_CERT_FILE", "SSL_CERT_DIR"],
        about: "Root certificates for an https:// --api-url instead of the\n\
                system's (a PEM file, a folder of them).",
        scope: Scope::Api,
    },
    Entry {
        names: &["AWS_PROFILE"],
        about: "The AWS profile, when no --profile is given.",
        scope: Scope::S3,
    },
    Entry {
        names: &["AWS_REGION"],
        about: "The AWS region, when no --region is given.",
        scope: Scope::S3,
    },
    Entry {
        names: &["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
        about: "A custom S3 endpoint, when no --endpoint-url is given (path-style\n\
                addressing).",
        scope: Scope::S3,
    },
    Entry {
        names: &["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"],
        about: "true: ignore endpoints set in the environment or the AWS config.",
        scope: Scope::S3,
    },
    Entry {
        names: &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ],
        about: "Credentials. Without them the AWS SDK's usual chain is tried:\n\
                profiles, SSO, web identity, the instance metadata service.",
        scope: Scope::S3,
    },
    Entry {
        names: &["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"],
        about: "Other places for the AWS config and credentials files.",
        scope: Scope::S3,
    },
    Entry {
        names: &["NO_COLOR"],
        about: "When set and not empty, no colour with --color auto.",
        scope: Scope::Always,
    },
];

/// The files ffce reads or writes by itself (beyond those named on the command line).
pub const FILES: &[Entry] = &[
    Entry {
        names: &["$XDG_DATA_HOME/ffce/backups", "~/.local/share/ffce/backups"],
        about: "The embedded default store, used when no bucket or directory is\n\
                given; ffce says so on stderr.",
        scope: Scope::Store,
    },
    Entry {
        names: &["~/.aws/config", "~/.aws/credentials"],
        about: "AWS profiles, regions and credentials (see AWS_CONFIG_FILE and\n\
                AWS_SHARED_CREDENTIALS_FILE).",
        scope: Scope::S3,
    },
    Entry {
        names: &[".NAME.*.tmp"],
        about: "An output file NAME is first written to a temporary file in its\n\
                folder, then renamed into place; after a failure or an interrupt\n\
                the temporary file is removed and NAME is left as it was.",
        scope: Scope::Output,
    },
];

/// Said in FILES when no entry concerns a command.
pub const NO_FILES: &str = "None besides the files named on the command line.";

/// The scopes a command is in: those of its own arguments and of all its subcommands
/// (so `ffce` and `ffce bucket` document what their commands read).
pub fn scopes(cmd: &Command) -> BTreeSet<Scope> {
    let mut found: BTreeSet<Scope> = Scope::ALL
        .into_iter()
        .filter(|scope| match scope.argument() {
            None => true,
            Some(id) => cmd.get_arguments().any(|arg| arg.get_id() == id),
        })
        .collect();
    for sub in cmd.get_subcommands() {
        found.extend(scopes(sub));
    }
    found
}

/// The entries of `table` that concern a command in `scopes`.
pub fn entries_for<'a>(
    table: &'a [Entry],
    scopes: &'a BTreeSet<Scope>,
) -> impl Iterator<Item = &'a Entry> {
    table.iter().filter(|e| scopes.contains(&e.scope))
}

/// The exit codes and their meanings, from the table `--help` shows.
pub fn exit_codes() -> impl Iterator<Item = (&'static str, &'static str)> {
    EXIT_CODES_HELP
        .lines()
        .skip(1)
        .filter_map(|line| line.trim().split_once("  "))
        .map(|(code, meaning)| (code, meaning.trim()))
}

/// The "Environment:" block of a command's long help.
fn environment_help(cmd: &Command) -> String {
    let scopes = scopes(cmd);
    let mut text = String::from("Environment:");
    for entry in entries_for(ENVIRONMENT, &scopes) {
        text.push_str("\n  ");
        text.push_str(&entry.names.join(", "));
        for line in entry.about.lines() {
            text.push_str("\n      ");
            text.push_str(line);
        }
    }
    text
}

/// The command line with each command's long help (`--help`) completed: what its short
/// help says after the options (examples, exit codes), then the environment it reads.
pub fn command() -> Command {
    with_long_help(Cli::command())
}

fn with_long_help(cmd: Command) -> Command {
    let cmd = cmd.mut_subcommands(with_long_help);
    let mut long = cmd
        .get_after_help()
        .map(|text| format!("{text}\n\n"))
        .unwrap_or_default();
    long.push_str(&environment_help(&cmd));
    cmd.after_long_help(long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_fits_an_80_column_terminal() {
        for entry in ENVIRONMENT.iter().chain(FILES) {
            assert!(2 + entry.names.join(", ").len() <= 80, "{:?}", entry.names);
            for line in entry.about.lines() {
                assert!(line.len() <= 72, "{line:?} is longer than 72 columns");
                assert_eq!(line, line.trim(), "{line:?} has stray spaces");
            }
        }
    }

    #[test]
    fn exit_codes_are_parsed_from_the_help_table() {
        let codes: Vec<_> = exit_codes().collect();
        assert_eq!(codes.len(), 8, "{codes:?}");
        assert_eq!(codes[0], ("0", "success"));
        assert!(codes[5].1.starts_with("refused"), "{codes:?}");
        assert!(codes[6].1.starts_with("the contents differ"), "{codes:?}");
        assert!(codes[7].1.starts_with("stdout's reader left"), "{codes:?}");
    }

    #[test]
    fn scopes_follow_the_arguments() {
        let cmd = command();
        let find = |name: &str| cmd.find_subcommand(name).unwrap();
        let inspect = scopes(find("inspect"));
        assert!(inspect.contains(&Scope::MasterKey) && !inspect.contains(&Scope::Store));
        let get = scopes(find("get"));
        for scope in [Scope::Store, Scope::S3, Scope::Output, Scope::MasterKey] {
            assert!(get.contains(&scope), "get lacks {scope:?}");
        }
        let bucket = scopes(find("bucket"));
        assert!(bucket.contains(&Scope::S3) && !bucket.contains(&Scope::Store));
        assert_eq!(scopes(&cmd).len(), Scope::ALL.len());
    }
}
