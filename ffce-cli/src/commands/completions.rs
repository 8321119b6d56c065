//! `ffce completions` and `ffce man`: generated from the same clap definitions as the
//! parser, so they always match the real command line.
//!
//! `ffce man` prints the page of `ffce` itself; `ffce man --dir DIR` writes one page per
//! command (`ffce.1`, `ffce-get.1`, `ffce-key-derive.1`, ...), since each page's
//! SUBCOMMANDS and SEE ALSO sections refer to the others by those names.

use clap::Command;
use roff::{Roff, bold, italic, roman};

use crate::cli::{CompletionsArgs, ManArgs};
use crate::exit::{CliError, CliResult, EXIT_CODES_HELP};
use crate::files::{OutputOptions, check_output, write_output, write_stdout};
use crate::help;
use crate::ui::Ui;

/// Prints completions for the requested shell.
pub fn completions(args: CompletionsArgs) -> CliResult {
    let mut cmd = help::command();
    // Generated into memory first: clap_complete panics when its writer fails, and
    // `ffce completions bash | head` closes the pipe early, which is not an error.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ffce", &mut script);
    write_stdout(&script)
}

/// Prints the top page, or writes every page into `--dir`.
pub fn man(ui: &Ui, args: ManArgs) -> CliResult {
    let pages = pages()?;
    let Some(dir) = args.dir else {
        // The first page is the top one.
        return write_stdout(&pages[0].1);
    };
    if !dir.is_dir() {
        return Err(CliError::not_found(format!(
            "cannot write the man pages: folder {} does not exist",
            dir.display()
        )));
    }
    // Pages are files like any output (written atomically, replaced only with
    // --force); all are checked before the first is written, so a refusal leaves
    // the folder as it was.
    let opts = OutputOptions::blob(args.force);
    for (name, _) in &pages {
        check_output(&dir.join(name), &opts)?;
    }
    for (name, page) in &pages {
        write_output(&dir.join(name), page, opts)?;
    }
    ui.info(format!(
        "wrote {} man pages to {} (ffce.1 and one per command)",
        pages.len(),
        dir.display()
    ));
    Ok(())
}

/// Every page as (file name, roff), the top page first.
fn pages() -> CliResult<Vec<(String, Vec<u8>)>> {
    // The `help` subcommands are not commands with pages of their own.
    let mut cmd = without_help_subcommand(help::command());
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, &[], &mut pages)
        .map_err(|e| CliError::other(format!("cannot render the man pages: {e}")))?;
    Ok(pages)
}

fn without_help_subcommand(cmd: Command) -> Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(without_help_subcommand)
}

/// Renders `cmd`'s page and those of its subcommands; `parents` are the names of the
/// pages above it, for SEE ALSO.
fn collect(
    cmd: &Command,
    parents: &[String],
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    // Every page's footer names the package, not the subcommand ("audit 0.1.0").
    let man =
        clap_mangen::Man::new(cmd.clone()).source(concat!("ffce ", env!("CARGO_PKG_VERSION")));
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    let subcommands: Vec<&Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if !subcommands.is_empty() {
        man.render_subcommands_section(&mut page)?;
    }
    let mut roff = Roff::new();
    // The top page's text after the options is the exit-code table, which EXIT STATUS
    // below renders for every page.
    if let Some(after) = cmd
        .get_after_help()
        .map(|text| text.to_string())
        .filter(|text| text != EXIT_CODES_HELP)
    {
        examples_section(&mut roff, &after);
    }
    let scopes = help::scopes(cmd);
    roff.control("SH", ["ENVIRONMENT"]);
    entries_section(&mut roff, help::entries_for(help::ENVIRONMENT, &scopes));
    roff.control("SH", ["FILES"]);
    let mut files = help::entries_for(help::FILES, &scopes).peekable();
    if files.peek().is_none() {
        roff.text([roman(help::NO_FILES)]);
    }
    entries_section(&mut roff, files);
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in help::exit_codes() {
        roff.control("TP", []);
        roff.text([roman(code)]);
        roff.text([roman(meaning)]);
    }
    // The pages above this one, and the ones below it (also listed in SUBCOMMANDS).
    let mut see_also: Vec<String> = parents.to_vec();
    see_also.extend(
        subcommands
            .iter()
            .map(|s| s.get_display_name().unwrap_or(s.get_name()).to_owned()),
    );
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (i, other) in see_also.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(other.as_str()));
        line.push(roman("(1)"));
    }
    roff.text(line);
    roff.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    pages.push((man.get_filename(), page));

    let mut parents = parents.to_vec();
    parents.push(name);
    for sub in subcommands {
        collect(sub, &parents, pages)?;
    }
    Ok(())
}

/// The text after a command's options (its examples and notes): example command lines
/// (indented by two) are set as they are, without filling, so they stay whole.
fn examples_section(roff: &mut Roff, text: &str) {
    let heading = if text.starts_with("Example") {
        "EXAMPLES"
    } else {
        "NOTES"
    };
    roff.control("SH", [heading]);
    let mut in_example = false;
    for line in text.lines() {
        // "Examples:" is the section heading itself.
        if line.starts_with("Example") && line.ends_with(':') {
            continue;
        }
        let example = line.strip_prefix("  ");
        if example.is_some() != in_example {
            if in_example {
                roff.control("fi", []);
                roff.control("RE", []);
            } else {
                roff.control("RS", ["4"]);
                roff.control("nf", []);
            }
            in_example = !in_example;
        }
        match example {
            Some(command) => {
                roff.text([roman(command.trim_start())]);
            }
            None if line.trim().is_empty() => {
                roff.control("PP", []);
            }
            None => {
                roff.text([roman(line)]);
            }
        }
    }
    if in_example {
        roff.control("fi", []);
        roff.control("RE", []);
    }
}

/// Table entries as tagged paragraphs: the names in bold, then what they do.
fn entries_section<'a>(roff: &mut Roff, entries: impl Iterator<Item = &'a help::Entry>) {
    for entry in entries {
        roff.control("TP", []);
        let mut names = Vec::new();
        for (i, name) in entry.names.iter().enumerate() {
            if i > 0 {
                names.push(roman(", "));
            }
            // Paths in italics, variable names in bold, as man pages set them.
            names.push(if name.contains('/') || name.starts_with('.') {
                italic(*name)
            } else {
                bold(*name)
            });
        }
        roff.text(names);
        roff.text([roman(entry.about.replace('\n', " "))]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_command_top_first() {
        let pages = pages().unwrap();
        assert_eq!(pages[0].0, "ffce.1");
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for name in [
            "ffce-get.1",
            "ffce-key.1",
            "ffce-key-derive.1",
            "ffce-bucket-empty.1",
        ] {
            assert!(names.contains(&name), "{names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }
}
