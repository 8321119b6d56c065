//! Telling people what ffce waits for when S3 does not answer: after a few seconds
//! without progress, one line on stderr naming the endpoint and the attempt (hidden
//! by `-q`). Without it a stalled endpoint meant minutes of silence.
//!
//! A plain thread reads the store's [`Activity`] a few times a second: the command's
//! runtime is busy waiting on the very request that stalls.

use std::time::Duration;

use ffce_store::{Activity, S3Store};

use crate::exit::seconds;

use crate::cli::S3Args;
use crate::ui::Ui;

/// How long without progress before saying what ffce waits for.
const NOTICE_AFTER: Duration = Duration::from_secs(3);

/// Starts the watcher for `store`; it lives as long as the process.
pub fn watch(ui: Ui, store: &S3Store, args: &S3Args) {
    let activity = store.activity();
    let limits = limits(args);
    let spawned = std::thread::Builder::new()
        .name("ffce-waiting".into())
        .spawn(move || run(ui, activity, &limits));
    // Without the thread ffce only says less; the command itself is unaffected.
    drop(spawned);
}

/// The limits as the user set them, for the notice.
fn limits(args: &S3Args) -> String {
    let mut out = format!("--attempt-timeout {}", seconds(args.attempt_timeout));
    if let Some(t) = args.timeout {
        out.push_str(&format!(", --timeout {}", seconds(t)));
    }
    out
}

fn run(ui: Ui, activity: Activity, limits: &str) {
    let mut told = None;
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let Some(w) = activity.waiting() else {
            continue;
        };
        // One line per wait: a new attempt (or any answer) starts a new one.
        if w.for_ < NOTICE_AFTER || told == Some(w.since) {
            continue;
        }
        told = Some(w.since);
        let requests = if w.in_flight > 1 {
            format!(", {} requests in flight", w.in_flight)
        } else {
            String::new()
        };
        ui.info(format!(
            "waiting for {}: no answer for {} s (attempt {} of {}{requests}; {limits})",
            w.endpoint,
            w.for_.as_secs(),
            w.attempt,
            w.max_attempts,
        ));
    }
}
