//! The search methods: which one runs a config, what it finds, and what a study does with what
//! it found. One file per method behind `SearchMethod`, found through `REGISTRY` by the
//! config's `strategy`: the DARTS family (DARTS, PC-DARTS, GDAS, with their regularisers and
//! selections; `crate::search`), ENAS (`crate::enas`) and ProxylessNAS (`crate::proxyless`).
//! A new method is a file here, its entry in `REGISTRY`, and its `strategy` value
//! (`config::StrategyKind`); the server and the pages ask the method, never the strategy's name.
mod darts;
mod enas;
mod proxyless;

use crate::config::{SearchConfig, StrategyKind};
use crate::data::Dataset;
use crate::events::Event;
use crate::search::error::SearchError;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// What a search found: a cell (the DARTS family, ENAS) or ProxylessNAS's layers. In JSON,
/// the result itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Cell(crate::search::result::SearchResult),
    Layers(crate::proxyless::result::ProxylessResult),
}

/// A search to run: its data and config, the run folder it writes, where the devices' latency
/// tables are kept, and the flag that cancels it.
pub struct Job<'a> {
    pub data: &'a Dataset,
    pub cfg: &'a SearchConfig,
    pub out: &'a Path,
    pub tables: Option<&'a Path>,
    pub cancel: &'a AtomicBool,
}

/// What a method's search finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finds {
    /// A DARTS cell (a genotype): retrained, pruned from its supernet, sampled around by random
    /// search, moved to other data.
    Cell,
    /// A network of layers of its own space: retrained only.
    Layers,
}

/// The baselines a study of a cell-finding search trains beside it: the two ResNets, random
/// search over cells, and the searched supernet pruned to its cell and fine-tuned
/// (`retrain::net::PRUNED`).
pub const CELL_BASELINES: [&str; 4] = ["resnet18", "resnet10", "random", "pruned"];

/// What pages call a method, what it found, and the rows of a comparison that come from it.
#[derive(Debug)]
pub struct Names {
    /// "DARTS", "ENAS", "ProxylessNAS".
    pub label: &'static str,
    /// What it found: "DARTS cell", "ProxylessNAS network".
    pub found: &'static str,
    /// The comparison row of its supernet as scored during the search.
    pub supernet_row: &'static str,
    /// The architecture name a retrained found network carries (`retrain::net`).
    pub architecture: &'static str,
    /// The comparison row of its supernet pruned to the found cell and fine-tuned; None where
    /// it has no cell supernet to prune.
    pub pruned_row: Option<&'static str>,
}

/// What runs a search, and what is done with what it found.
pub trait SearchMethod: Sync {
    /// Whether this method runs configs with `strategy`.
    fn runs(&self, strategy: StrategyKind) -> bool;
    /// What its search finds.
    fn finds(&self) -> Finds;
    /// What pages call it and what it found.
    fn names(&self) -> &'static Names;
    /// The baselines a study trains beside the found network: by default a cell's
    /// (`CELL_BASELINES`).
    fn baselines(&self) -> &'static [&'static str] {
        &CELL_BASELINES
    }
    /// What the search was run with, in a phrase (`config`: the run's stored config, whose
    /// absent keys have their defaults): by default a cell search's strategy, regulariser and
    /// selection.
    fn searched_with(&self, config: &serde_json::Value) -> String {
        format!(
            "strategy {}, regulariser {}, selection {}",
            setting(config, "strategy", "darts"),
            setting(config, "alpha_reg", "none"),
            setting(config, "selection", "argmax")
        )
    }
    /// Runs (or resumes, when `job.out` holds a checkpoint) the search `job` describes.
    fn run(&self, job: &Job, listener: &mut dyn FnMut(u64, &Event))
        -> Result<Outcome, SearchError>;

    /// Whether it finds a cell.
    fn finds_cell(&self) -> bool {
        self.finds() == Finds::Cell
    }
    fn label(&self) -> &'static str {
        self.names().label
    }
    fn found(&self) -> &'static str {
        self.names().found
    }
    fn supernet_row(&self) -> &'static str {
        self.names().supernet_row
    }
    fn architecture(&self) -> &'static str {
        self.names().architecture
    }
    fn pruned_row(&self) -> Option<&'static str> {
        self.names().pruned_row
    }
}

/// Every method, each with the strategies it runs.
pub static REGISTRY: [&dyn SearchMethod; 3] =
    [&darts::DartsFamily, &enas::Enas, &proxyless::Proxyless];

/// The method that runs `strategy`.
pub fn of(strategy: StrategyKind) -> &'static dyn SearchMethod {
    REGISTRY
        .iter()
        .copied()
        .find(|m| m.runs(strategy))
        .unwrap_or(&darts::DartsFamily)
}

/// The method of a stored config (its `strategy`; DARTS where absent or unknown, as the config
/// schema's default).
pub fn of_config(config: &serde_json::Value) -> &'static dyn SearchMethod {
    of(serde_json::from_value(config["strategy"].clone()).unwrap_or_default())
}

/// Runs (or resumes) the search of `cfg`: a lookup of its method.
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    tables: Option<&Path>,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<Outcome, SearchError> {
    let job = Job {
        data,
        cfg,
        out,
        tables,
        cancel,
    };
    of(cfg.strategy).run(&job, listener)
}

/// A stored config's string value of `key`, or `default`.
fn setting(config: &serde_json::Value, key: &str, default: &str) -> String {
    config[key].as_str().unwrap_or(default).to_string()
}
