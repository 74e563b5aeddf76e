//! Sweeps: a group of runs over up to three config keys (a list of values, or a log or linear
//! range) times N seeds, as a grid or a random sample of its points, to ask whether a search
//! has a big sweet spot or a narrow band of settings that work, and whether it collapses
//! somewhere. `spec` plans the points, `summary` folds runs into the map and the sweet spot,
//! `fold` reads a stored sweep, `api` serves it, `cli` runs one locally (`dartboard sweep`).
pub mod api;
pub mod cli;
pub mod fold;
pub mod spec;
pub mod summary;
