//! Help and docs as users read them: a man page for every command (`ffce man --dir`),
//! every environment variable ffce reads listed in `--help`, examples that survive an
//! 80-column terminal, global options apart from a command's own, and no wording meant
//! for developers (issue numbers, "the seed").

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// Every command path, found by walking the "Commands:" lists of `--help` (so a new
/// command is covered without touching this file). `vec![]` is `ffce` itself.
fn all_commands() -> Vec<Vec<String>> {
    let mut found = vec![vec![]];
    let mut i = 0;
    while i < found.len() {
        let path = found[i].clone();
        let mut args = path.clone();
        args.push("--help".into());
        let run = run(&args);
        run.expect_code(0);
        let out = run.out();
        let mut in_commands = false;
        for line in out.lines() {
            if line == "Commands:" {
                in_commands = true;
                continue;
            }
            if in_commands {
                if !line.starts_with("  ") {
                    break;
                }
                if line.starts_with("   ") {
                    continue; // a wrapped description
                }
                let name = line.split_whitespace().next().unwrap();
                if name != "help" {
                    let mut sub = path.clone();
                    sub.push(name.to_owned());
                    found.push(sub);
                }
            }
        }
        i += 1;
    }
    found
}

/// `ffce ARGS --help` (or `-h`) on a terminal of `columns` columns.
fn help(cmd: &[String], flag: &str, columns: usize) -> String {
    let mut args: Vec<String> = cmd.to_vec();
    args.push(flag.into());
    let run = run_cmd(ffce().args(&args).env("COLUMNS", columns.to_string()), None);
    run.expect_code(0);
    run.out()
}

/// Runs `ffce man --dir DIR` into a fresh folder and returns it with the page names.
fn man_pages() -> (tempfile::TempDir, BTreeSet<String>) {
    let dir = temp_dir();
    let out = dir.path().join("man1");
    fs::create_dir(&out).unwrap();
    let run = run(["man".as_ref(), "--dir".as_ref(), out.as_os_str()]);
    run.expect_code(0);
    let names: BTreeSet<String> = entries(&out).into_iter().collect();
    let said = format!("wrote {} man pages to {}", names.len(), out.display());
    assert!(run.stderr.contains(&said), "{}", run.stderr);
    (dir, names)
}

fn page(dir: &tempfile::TempDir, name: &str) -> String {
    fs::read_to_string(dir.path().join("man1").join(name))
        .unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

/// Every `ffce(1)` / `ffce-...(1)` reference in a roff page (`\-` is roff's hyphen).
fn page_references(roff: &str) -> BTreeSet<String> {
    let text = roff
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "");
    let mut refs = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("ffce") {
        let tail = &rest[at..];
        let name_len = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(tail.len());
        let boundary = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        if boundary && tail[name_len..].starts_with("(1)") {
            refs.insert(format!("{}.1", &tail[..name_len]));
        }
        rest = &tail[4..];
    }
    refs
}

#[test]
fn man_dir_writes_a_page_per_command_with_environment_files_and_exit_status() {
    let (dir, names) = man_pages();
    let expected: BTreeSet<String> = all_commands()
        .iter()
        .map(|path| {
            let mut name = String::from("ffce");
            for part in path {
                name.push('-');
                name.push_str(part);
            }
            format!("{name}.1")
        })
        .collect();
    for name in ["ffce.1", "ffce-get.1", "ffce-key.1", "ffce-key-derive.1"] {
        assert!(expected.contains(name), "{expected:?}");
    }
    assert_eq!(
        names, expected,
        "ffce man --dir wrote the wrong set of pages"
    );
    for name in &names {
        let roff = page(&dir, name);
        let title = name.trim_end_matches(".1");
        assert!(roff.contains(&format!(".TH {title} 1")), "{name}:\n{roff}");
        for section in [
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"EXIT STATUS\"",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(roff.contains(section), "{name} has no {section}:\n{roff}");
        }
        for code in ["0", "1", "2", "3", "4", "5", "6", "7"] {
            assert!(
                roff.contains(&format!("\n.TP\n{code}\n")),
                "{name}: exit code {code} not in EXIT STATUS:\n{roff}"
            );
        }
        let refs = page_references(&roff);
        assert!(!refs.is_empty(), "{name} refers to no other page");
        for reference in &refs {
            assert!(
                names.contains(reference),
                "{name} refers to {reference}, which ffce man --dir did not write"
            );
        }
    }
    // No page is an orphan: each is referred to by another (SUBCOMMANDS, SEE ALSO).
    let referred: BTreeSet<String> = names
        .iter()
        .flat_map(|name| page_references(&page(&dir, name)))
        .collect();
    assert_eq!(referred, names, "pages referred to vs pages written");
    let top = page(&dir, "ffce.1");
    let stdout = run(["man"]);
    stdout.expect_code(0);
    assert_eq!(stdout.out(), top, "ffce man and ffce.1 differ");
    // A subcommand's page shows its own environment: `get` the store and key variables.
    let get = page(&dir, "ffce-get.1");
    for var in ["FFCE_BUCKET", "FFCE_MASTER_KEY", "AWS_PROFILE"] {
        assert!(get.contains(var), "ffce-get.1 lacks {var}");
    }
    let inspect = page(&dir, "ffce-inspect.1");
    assert!(
        !inspect.contains("FFCE_BUCKET"),
        "inspect reads no store:\n{inspect}"
    );
}

#[test]
fn man_dir_refuses_to_replace_pages_without_force_and_needs_an_existing_folder() {
    let (dir, names) = man_pages();
    let out = dir.path().join("man1");
    let again = run(["man".as_ref(), "--dir".as_ref(), out.as_os_str()]);
    again.expect_code(5);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    run([
        "man".as_ref(),
        "--dir".as_ref(),
        out.as_os_str(),
        "--force".as_ref(),
    ])
    .expect_code(0);
    assert_eq!(entries(&out).into_iter().collect::<BTreeSet<_>>(), names);

    let missing = dir.path().join("nope");
    let run = run(["man".as_ref(), "--dir".as_ref(), missing.as_os_str()]);
    run.expect_code(3);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(!missing.exists());
}

/// The variables ffce reads. Each must be documented in `ffce --help`; the test below
/// checks this list against the source, so a new variable without docs fails.
const DOCUMENTED_VARIABLES: &[&str] = &[
    // ffce's own
    "FFCE_BUCKET",
    "FFCE_DIR",
    "FFCE_MASTER_KEY",
    "FFCE_KEY",
    "FFCE_API_URL",
    "FFCE_DEVICE_KEY",
    "S3_BACKUP_BUCKET_NAME",
    // read by rustls-native-certs for `ffce api` over https
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NO_COLOR",
    "XDG_DATA_HOME",
    "HOME",
    // read by the AWS SDK's standard configuration (and some by ffce-store)
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

/// Read by the source but deliberately not documented, with the reason.
const UNDOCUMENTED_VARIABLES: &[(&str, &str)] = &[
    (
        "FFCE_TEST_PAUSE_BEFORE_RENAME_MS",
        "a test hook compiled only with debug assertions",
    ),
    (
        "FFCE_UPDATE_JSON_DOCS",
        "read by a unit test that regenerates docs/json-output.md, not by ffce",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Quoted all-capitals words (`"FFCE_KEY"`) in `line`, except clap value names.
fn quoted_capitals(line: &str) -> Vec<String> {
    let parts: Vec<&str> = line.split('"').collect();
    (1..parts.len())
        .step_by(2)
        .filter(|&i| !parts[i - 1].trim_end().ends_with("value_name ="))
        .map(|i| parts[i])
        .filter(|s| {
            s.len() >= 2
                && s.starts_with(|c: char| c.is_ascii_uppercase())
                && s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

/// Environment variable names the source reads: quoted capitals within two lines of an
/// `env::var`/`env::var_os` call or on a clap `env =` line, and the values of constants
/// whose name ends in `_ENV`.
fn variables_in_source() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for krate in ["ffce-cli/src", "ffce-store/src", "ffce-core/src"] {
        rust_files(&root.join(krate), &mut files);
    }
    let mut found = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let reads = line.contains("env::var") || line.contains("env = \"");
            if reads {
                let from = i.saturating_sub(2);
                let to = (i + 3).min(lines.len());
                for near in &lines[from..to] {
                    found.extend(quoted_capitals(near));
                }
            }
            let trimmed = line
                .trim_start()
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            if let Some(rest) = trimmed.strip_prefix("const ") {
                let name = rest.split(':').next().unwrap_or("");
                if name.ends_with("_ENV") {
                    found.extend(quoted_capitals(line));
                }
            }
        }
    }
    found
}

#[test]
fn every_environment_variable_is_in_help() {
    let in_source = variables_in_source();
    for must in [
        "FFCE_MASTER_KEY",
        "NO_COLOR",
        "XDG_DATA_HOME",
        "AWS_ENDPOINT_URL",
    ] {
        assert!(
            in_source.contains(must),
            "the source scan missed {must}: {in_source:?}"
        );
    }
    for var in &in_source {
        assert!(
            DOCUMENTED_VARIABLES.contains(&var.as_str())
                || UNDOCUMENTED_VARIABLES.iter().any(|(v, _)| v == var),
            "the source reads {var}, which this test's list (and so --help) does not cover"
        );
    }
    let top = help(&[], "--help", 100);
    let block = top
        .split("Environment:")
        .nth(1)
        .unwrap_or_else(|| panic!("ffce --help has no Environment: block:\n{top}"));
    for var in DOCUMENTED_VARIABLES {
        assert!(
            block
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == *var),
            "ffce --help does not document {var}:\n{top}"
        );
    }
    for (var, _) in UNDOCUMENTED_VARIABLES {
        assert!(!top.contains(var), "{var} is not for users:\n{top}");
    }
    // Per command, the variables that command reads.
    let get = help(&["get".into()], "--help", 100);
    for var in [
        "FFCE_BUCKET",
        "FFCE_DIR",
        "FFCE_MASTER_KEY",
        "AWS_PROFILE",
        "NO_COLOR",
    ] {
        assert!(get.contains(var), "ffce get --help lacks {var}:\n{get}");
    }
    // `ffce bucket` commands take the bucket only from --bucket.
    let create = help(&["bucket".into(), "create".into()], "--help", 100);
    assert!(create.contains("AWS_REGION"), "{create}");
    assert!(!create.contains("FFCE_BUCKET"), "{create}");
    let inspect = help(&["inspect".into()], "--help", 100);
    assert!(inspect.contains("FFCE_KEY"), "{inspect}");
    assert!(
        !inspect.contains("AWS_PROFILE"),
        "inspect makes no request:\n{inspect}"
    );
}

/// The lines of the "Example:"/"Examples:" block (up to the next blank line).
fn examples(help: &str) -> Option<Vec<String>> {
    let mut lines = help.lines().skip_while(|l| !l.starts_with("Example"));
    lines.next()?;
    Some(
        lines
            .take_while(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn examples_never_wrap_and_global_options_are_apart() {
    for cmd in all_commands() {
        for flag in ["--help", "-h"] {
            let narrow = help(&cmd, flag, 80);
            let wide = help(&cmd, flag, 1000);
            let Some(lines) = examples(&narrow) else {
                assert!(
                    cmd.is_empty() || cmd == ["key"] || cmd == ["bucket"],
                    "ffce {} {flag} has no examples:\n{narrow}",
                    cmd.join(" ")
                );
                continue;
            };
            assert!(!lines.is_empty(), "{cmd:?}: empty example block");
            assert_eq!(
                Some(&lines),
                examples(&wide).as_ref(),
                "ffce {} {flag}: at 80 columns an example wraps onto a second line",
                cmd.join(" ")
            );
            for line in &lines {
                let command = line.strip_prefix("  ").unwrap_or_else(|| {
                    panic!(
                        "ffce {} {flag}: example line {line:?} is a continuation",
                        cmd.join(" ")
                    )
                });
                let first = command.split_whitespace().next().unwrap_or("");
                let assignment = first.contains('=')
                    && first
                        .split('=')
                        .next()
                        .unwrap()
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_');
                assert!(
                    first == "ffce" || first == "cat" || assignment,
                    "ffce {} {flag}: example line {line:?} is not a whole command",
                    cmd.join(" ")
                );
                assert!(
                    line.chars().count() <= 80,
                    "{line:?} is wider than 80 columns"
                );
            }
        }
        if cmd.is_empty() {
            continue;
        }
        // Global options under their own heading, not among the command's own.
        let out = help(&cmd, "--help", 100);
        let (own, global) = out.split_once("Global options:").unwrap_or_else(|| {
            panic!(
                "ffce {} --help has no Global options: heading:\n{out}",
                cmd.join(" ")
            )
        });
        let own = own.split_once("Options:").map(|(_, o)| o).unwrap_or("");
        for flag in ["--verbose", "--quiet", "--color"] {
            assert!(
                global.contains(flag),
                "{cmd:?}: {flag} not a global option:\n{out}"
            );
            assert!(
                !own.contains(flag),
                "{cmd:?}: {flag} among the command's own options:\n{out}"
            );
        }
    }
}

/// "issue 5", "issue 12": a developer's reference, meaningless to a user.
fn issue_reference(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("issue ") {
        let start = from + at;
        let after = start + "issue ".len();
        if lower[after..].starts_with(|c: char| c.is_ascii_digit()) {
            return Some(&text[start..(after + 2).min(text.len())]);
        }
        from = after;
    }
    None
}

fn assert_speaks_to_users(what: &str, text: &str) {
    if let Some(found) = issue_reference(text) {
        panic!("{what} mentions {found:?}:\n{text}");
    }
    assert!(
        !text.to_ascii_lowercase().contains("seed"),
        "{what} mentions \"seed\":\n{text}"
    );
}

#[test]
fn help_man_pages_and_readme_speak_to_users() {
    for cmd in all_commands() {
        for flag in ["--help", "-h"] {
            let text = help(&cmd, flag, 100);
            assert_speaks_to_users(&format!("ffce {} {flag}", cmd.join(" ")), &text);
        }
    }
    let (dir, names) = man_pages();
    for name in &names {
        assert_speaks_to_users(name, &page(&dir, name));
    }
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    assert_speaks_to_users("README.md", &fs::read_to_string(readme).unwrap());
}

#[test]
fn issue_reference_finds_numbers_only() {
    assert_eq!(issue_reference("see issue 5 here"), Some("issue 5 "));
    assert_eq!(issue_reference("an issue with it"), None);
}
