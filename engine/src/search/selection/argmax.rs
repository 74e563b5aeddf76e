//! The DARTS rule (quark0/darts `Network.genotype`): per edge the op of largest weight besides
//! `none`, per node the two inputs whose best op weighs most, with the config's skip cap.
use super::{Context, Selection};
use crate::genotype::Genotype;
use crate::search::SearchError;

#[derive(Debug, Clone, Copy)]
pub struct Argmax;

impl Selection for Argmax {
    fn select(&self, cx: &mut Context) -> Result<Genotype, SearchError> {
        let (normal, reduce) = cx.searcher.op_weights();
        Ok(Genotype::from_weights(
            &normal,
            &reduce,
            &cx.cfg.primitives,
            cx.cfg.nodes,
            cx.cfg.max_skip_connects,
        ))
    }
}
