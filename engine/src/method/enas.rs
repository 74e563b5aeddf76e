//! ENAS: an LSTM controller writes cells of the DARTS space whose weights are shared, trained
//! by REINFORCE (`crate::enas`). It finds a cell, so a study treats it as the DARTS family's
//! (retrained, random search, its shared weights pruned to the cell).
use super::{setting, Finds, Names, Outcome, SearchMethod, CELL_BASELINES};
use crate::config::{SearchConfig, StrategyKind};
use crate::data::Dataset;
use crate::events::Event;
use crate::search::error::SearchError;
use std::path::Path;
use std::sync::atomic::AtomicBool;

pub struct Enas;

static NAMES: Names = Names {
    label: "ENAS",
    found: "ENAS cell",
    supernet_row: "ENAS shared weights through the kept cell (during search)",
    architecture: "darts",
    pruned_row: Some("ENAS shared weights pruned to its cell, fine-tuned"),
};

impl SearchMethod for Enas {
    fn runs(&self, strategy: StrategyKind) -> bool {
        strategy == StrategyKind::Enas
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
            "strategy enas, regulariser {}, selection {}",
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
        let errors = cfg.validate();
        if !errors.is_empty() {
            return Err(SearchError::Config(errors));
        }
        crate::enas::run::run(data, cfg, out, cancel, listener).map(Outcome::Cell)
    }
}
