//! The DARTS family: a cell searched by gradient through a supernet of every op on every edge
//! (DARTS, PC-DARTS, GDAS: `search::strategy`), with any architecture regulariser and
//! selection rule. Its loop is `search::run`.
use super::{Finds, Job, Names, Outcome, SearchMethod};
use crate::config::StrategyKind;
use crate::events::Event;
use crate::search::error::SearchError;

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
    fn run(
        &self,
        job: &Job,
        listener: &mut dyn FnMut(u64, &Event),
    ) -> Result<Outcome, SearchError> {
        crate::search::run(job.data, job.cfg, job.out, job.cancel, listener).map(Outcome::Cell)
    }
}
