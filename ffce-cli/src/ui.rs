//! Messages to the user on stderr, at the verbosity and colour they asked for.
//!
//! Results go to stdout; everything else (warnings, progress, "where did it go") goes
//! through [`Ui`] to stderr, so `ffce ... | jq` always sees clean output.

use std::io::IsTerminal;

use crate::cli::{Cli, ColorChoice};
use crate::env::Env;
use crate::output::Style;

/// Verbosity and colour for one run of the command.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// -1 for `-q`, 0 by default, 1.. for each `-v`.
    pub verbosity: i8,
    /// Whether stderr gets ANSI colour.
    pub color: bool,
}

impl Ui {
    /// Reads `-q`, `-v`, `--color` and `NO_COLOR`.
    pub fn from_cli(cli: &Cli, env: &Env) -> Ui {
        let verbosity = if cli.quiet {
            -1
        } else {
            cli.verbose.min(3) as i8
        };
        let no_color = env.no_color;
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Ui { verbosity, color }
    }

    /// The same settings for text printed on stdout: colour only when stdout is a
    /// terminal too (a report piped to a file or `less` gets no escape codes).
    pub fn for_stdout(&self) -> Ui {
        Ui {
            color: self.color && std::io::stdout().is_terminal(),
            ..*self
        }
    }

    /// Informational line (suppressed by `-q`).
    pub fn info(&self, msg: impl AsRef<str>) {
        if self.verbosity >= 0 {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// Warning (suppressed by `-q`).
    pub fn warn(&self, msg: impl AsRef<str>) {
        if self.verbosity >= 0 {
            eprintln!("{} {}", self.paint(Style::Warn, "warning:"), msg.as_ref());
        }
    }

    /// A note that `-q` does not hide: for the few facts a user must see even when they
    /// asked for quiet, such as a change made somewhere they may not have meant.
    pub fn notice(&self, msg: impl AsRef<str>) {
        eprintln!("{} {}", self.paint(Style::Note, "note:"), msg.as_ref());
    }

    /// Detail shown from `-v` (level 1), `-vv` (2) or `-vvv` (3) on.
    pub fn detail(&self, level: i8, msg: impl AsRef<str>) {
        if self.verbosity >= level {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// An error line; always shown, even with `-q`.
    pub fn error(&self, msg: impl AsRef<str>) {
        eprintln!("{} {}", self.paint(Style::Bad, "error:"), msg.as_ref());
    }

    /// A progress bar on stderr for `len` steps, drawn only on a terminal and not with
    /// `-q` (a hidden bar otherwise, which costs nothing). Callers that print JSON pass
    /// `wanted: false`, so machine output never shares a screen with a bar.
    pub fn progress_bar(&self, len: u64, wanted: bool, what: &str) -> indicatif::ProgressBar {
        if !wanted || self.verbosity < 0 || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let template = format!(
            "{what} {{bar:30}} {{human_pos}}/{{human_len}} ({{elapsed}} so far, {{eta}} left)"
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }

    /// `text` in `style` (a colour when colour is on).
    pub fn paint(&self, style: Style, text: &str) -> String {
        let mut out = crate::output::Human::new(self.color);
        out.styled(style, text);
        out.into_string()
    }
}
