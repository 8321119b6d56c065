//! Nothing to link against: the benchmarks are in `benches/hot_path.rs`, the runner in
//! `run.sh` (see `README.md` beside this crate).
