//! The DARTS family: a cell searched by gradient through a supernet of every op on every edge
//! (DARTS, PC-DARTS, GDAS: `search::strategy`), with any architecture regulariser and
//! selection rule. Its loop is `search::run`.
use super::{setting, Finds, Names, Outcome, SearchMethod, CELL_BASELINES};
use crate::config::{SearchConfig, StrategyKind};
use crate::data::Dataset;
use crate::events::Event;
use crate::search::error::SearchError;
use std::path::Path;
use std::sync::atomic::AtomicBool;

pub struct DartsFamily;

static NAMES: Names = Names {
    label: "DARTS",
    found: "DARTS cell",
    supernet_row: "DARTS supernet (during search)",
    architecture: "darts",
    pruned_row: Some("DARTS network, pruned and fine-tuned"),
};

impl SearchMethod for DartsFamily {
    fn runs(&self, strategy: StrategyKind) -> bool {
        strategy.is_darts_family()
    }
    fn finds(&self) -> Finds {
        Finds::Cell
    }
    fn names(&self) -> &'static Names {
        &NAMES
    }
    fn baselines(&self) -> &'static [&'static str] {
        &CELL_BASELINES
    }
    fn searched_with(&self, config: &serde_json::Value) -> String {
        format!(
            "strategy {}, regulariser {}, selection {}",
            setting(config, "strategy", "darts"),
            setting(config, "alpha_reg", "none"),
            setting(config, "selection", "argmax")
        )
    }
    fn run(
        &self,
        data: &Dataset,
        cfg: &SearchConfig,
        out: &Path,
        _tables: Option<&Path>,
        cancel: &AtomicBool,
        listener: &mut dyn FnMut(u64, &Event),
    ) -> Result<Outcome, SearchError> {
        crate::search::run(data, cfg, out, cancel, listener).map(Outcome::Cell)
    }
}
