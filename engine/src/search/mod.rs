//! Architecture search: the supernet and its cells, the strategies that weigh their edges, the
//! regularisers of the architecture step, the bilevel steps, checkpoints and the epoch loop of
//! the DARTS family, and what every search method shares (`session`, `epochs`, `error`).
//! Which method a config runs is `crate::method`'s business.
//!
//! Files in the run folder: `config.json` (the resolved config), `source.json` (the data path),
//! `events.jsonl` (one event per line with `seq`), `checkpoint/`, and at the end
//! `genotype.json`, `alphas.json` and `result.json`.
pub mod architect;
pub mod cell;
pub mod checkpoint;
pub mod epochs;
pub mod error;
pub mod mixing;
pub mod pruned;
pub mod regularizer;
pub mod result;
mod run;
pub mod searcher;
pub mod selection;
pub mod session;
pub mod strategy;
pub mod supernet;

pub use crate::runlog::{write_json, EventLog};
pub use error::SearchError;
pub use result::SearchResult;
pub use run::{run, validation_sample};
pub use session::{exploded, initialise, parts, Parts, EXPLODED_LOSS};
