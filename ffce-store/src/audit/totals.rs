//! The totals of an audit.

use std::collections::BTreeMap;

use super::{Finding, Status};

/// The totals of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Backup objects of the layout (each device's latest backup).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Valid ones.
    pub valid: u64,
    /// Invalid ones (malformed, too large, unauthentic, checksum or digest mismatch,
    /// content the controller will not restore).
    pub invalid: u64,
    /// Invalid ones by their first problem's code.
    pub invalid_by_reason: BTreeMap<&'static str, u64>,
    /// Keys that are not backups of the layout.
    pub stray: u64,
    /// Reads that failed.
    pub errors: u64,
    /// Objects deleted between the listing and the read.
    pub gone: u64,
    /// Well-formed ones that could not be authenticated for want of their key (a key
    /// folder without a file for the device).
    pub no_key: u64,
    /// Requests retried during the audit (after throttling, a server error, a cut
    /// connection): set by the caller from [`Store::retries`](crate::Store::retries). Not a count of objects:
    /// a retry that succeeded changes no verdict, but says the store is pushing back.
    pub retries: u64,
    /// Backups older than the cut-off, when one was given (see
    /// [`crate::stale::Cutoff`]); counted by [`Totals::add_stale`], apart from the
    /// verdicts.
    pub stale: u64,
}

impl Totals {
    /// Counts `f` as stale if it is older than `cutoff`; true if it is.
    pub fn add_stale(&mut self, f: &Finding, cutoff: &crate::stale::Cutoff) -> bool {
        let stale = cutoff.is_stale(f.last_modified);
        self.stale += u64::from(stale);
        stale
    }

    /// Counts one finding.
    pub fn add(&mut self, f: &Finding) {
        self.objects += 1;
        self.bytes += f.size;
        match f.status {
            Status::Valid => self.valid += 1,
            Status::Gone => self.gone += 1,
            Status::NoKey => self.no_key += 1,
            Status::Error => self.errors += 1,
            s => {
                self.invalid += 1;
                *self
                    .invalid_by_reason
                    .entry(f.reason().unwrap_or(s.name()))
                    .or_default() += 1;
            }
        }
    }
}
