//! The library side of the `ffce` command: everything the binary does, so that tests,
//! fuzz targets and benches can call the same code the command runs.
//!
//! Layers, top to bottom: [`cli`] (what the user typed) → [`commands`] (one module per
//! command) → helpers for keys, files, reports and storage → `ffce-core` (the format).

pub mod audit;
pub mod cli;
pub mod commands;
pub mod content;
pub mod device;
pub mod exit;
pub mod files;
pub mod keyfile;
pub mod keys;
pub mod report;
pub mod store;
pub mod ui;
