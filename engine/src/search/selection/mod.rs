//! Selection: how the final cell is read off the searched supernet. One file per rule behind
//! `Selection`; the epoch loop only calls `select`.
mod argmax;
mod perturbation;
pub mod projection;

pub use argmax::Argmax;
pub use perturbation::Perturbation;
pub use projection::Projection;
pub use projection::SelectionState;

use super::checkpoint::Progress;
use super::searcher::Searcher;
use super::{EventLog, Parts, SearchError};
use crate::config::{SearchConfig, SelectionKind};
use crate::data::Dataset;
use crate::genotype::Genotype;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use tch::Device;

/// What a selection rule works with: the searched supernet and the run it belongs to.
pub struct Context<'a, 'l> {
    pub searcher: &'a mut Searcher,
    pub data: &'a Dataset,
    pub parts: &'a Parts,
    pub cfg: &'a SearchConfig,
    pub out: &'a Path,
    pub log: &'a mut EventLog<'l>,
    pub cancel: &'a AtomicBool,
    /// The run's progress, saved with every checkpoint a rule writes.
    pub progress: &'a mut Progress,
    pub device: Device,
}

pub trait Selection {
    /// The genotype the rule reads off the supernet (which it may fine-tune on the way).
    fn select(&self, cx: &mut Context) -> Result<Genotype, SearchError>;
}

/// The rule a config names.
pub fn for_config(cfg: &SearchConfig) -> Box<dyn Selection> {
    match cfg.selection {
        SelectionKind::Argmax => Box::new(Argmax),
        SelectionKind::Perturbation => Box::new(Perturbation),
    }
}
