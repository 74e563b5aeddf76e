//! ENAS: an LSTM controller writes cells of the DARTS space whose weights are shared, trained
//! by REINFORCE (`crate::enas`). It finds a cell, so a study treats it as the DARTS family's
//! (retrained, random search, its shared weights pruned to the cell).
use super::{Finds, Job, Names, Outcome, SearchMethod};
use crate::config::StrategyKind;
use crate::events::Event;
use crate::search::error::SearchError;

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
    fn run(
        &self,
        job: &Job,
        listener: &mut dyn FnMut(u64, &Event),
    ) -> Result<Outcome, SearchError> {
        let errors = job.cfg.validate();
        if !errors.is_empty() {
            return Err(SearchError::Config(errors));
        }
        crate::enas::run::run(job.data, job.cfg, job.out, job.cancel, listener).map(Outcome::Cell)
    }
}
