//! `ffce key derive`: print the AES key HKDF derives from a master secret for a purpose
//! (docs/SPEC.md §2), in hex, for key escrow and test benches.
//!
//! The key goes to stdout only, and a warning on stderr reminds a user at a terminal
//! that it is a secret (it may now be in their scrollback).

use std::io::IsTerminal;

use zeroize::Zeroizing;

use crate::exit::{CliError, CliResult};
use crate::files::write_stdout;
use crate::ui::Ui;
use ffce_core::{MasterSecret, Purpose};

/// Runs `ffce key derive`: the master secret was loaded.
pub fn derive(ui: &Ui, master: &MasterSecret, purpose: Purpose) -> CliResult {
    let key = master.derive_key_bytes(purpose);
    // Hex and newline in one wiped buffer: no intermediate String to leak.
    let mut line = Zeroizing::new([b'\n'; 2 * ffce_core::keys::KEY_LEN + 1]);
    hex::encode_to_slice(
        key.expose_secret(),
        &mut line[..2 * ffce_core::keys::KEY_LEN],
    )
    .map_err(|e| CliError::other(format!("cannot format the key: {e}")))?;
    if std::io::stdout().is_terminal() {
        ui.warn(format!(
            "this is the secret {purpose} key of the device; \
             do not paste it where others can read it"
        ));
    }
    ui.detail(1, format!("key: derived for purpose {purpose}"));
    write_stdout(&line[..])
}
