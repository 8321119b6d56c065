//! What SIGINT and SIGTERM do: remove the temporary files still pending and exit 130
//! (SIGINT) or 143 (SIGTERM), the codes a shell reports for those signals.
//!
//! The registry of temporary files is `ffce_store::temp`: a download's output (see
//! `files::write_output`) and the local store's writes are in it. [`install`] runs at
//! the start of `main`, for every command, not only where a file is written: a
//! process inherits ignored signals (a non-interactive shell's background job has
//! SIGINT ignored), and a `put`, `ls` or download that kept them ignored while the
//! server stalled would wait out every attempt's timeout instead of stopping.
//!
//! On the first signal an ordinary thread, not a signal handler (so it may lock and
//! call `remove_file`), deletes every registered file and exits.

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
                        std::process::exit(128 + signal)
                    })
                }
            });
    });
}
