//! What SIGINT and SIGTERM do: remove the temporary files still pending, then end the
//! process by that same signal, as if it had not been caught. A shell then reports 130
//! (SIGINT) or 143 (SIGTERM), and, unlike after a plain `exit(130)`, a script that ran
//! ffce knows it was interrupted: bash stops a loop whose command died of SIGINT, but
//! goes on to the next command after one that exited by itself, whatever the code.
//!
//! The registry of temporary files is `ffce_store::temp`: a download's output (see
//! `files::write_output`) and the local store's writes are in it. [`install`] runs at
//! the start of `main`, for every command, not only where a file is written: a
//! process inherits ignored signals (a non-interactive shell's background job has
//! SIGINT ignored), and a `put`, `ls` or download that kept them ignored while the
//! server stalled would wait out every attempt's timeout instead of stopping.
//!
//! On the first signal an ordinary thread, not a signal handler (so it may lock and
//! call `remove_file`), deletes every registered file, restores the signal's default
//! action and raises it again.

use std::io::{self, Write as _};
use std::sync::Once;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

static INSTALL: Once = Once::new();

/// Takes over SIGINT and SIGTERM (once per process; later calls do nothing). If that
/// is impossible the default action stays: the process dies and a temporary file may
/// remain.
pub fn install() {
    INSTALL.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("ffce-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    ffce_store::temp::remove_pending(|removed| {
                        if removed > 0 {
                            // Not eprintln!: it panics when stderr is closed, and
                            // this thread must reach exit().
                            let _ = writeln!(
                                io::stderr(),
                                "ffce: interrupted; the incomplete output was removed"
                            );
                        }
                        // Dies here; the exit code is the fallback should that fail.
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                        std::process::exit(128 + signal)
                    })
                }
            });
    });
}
