//! What a training run trains: a discovered cell's evaluation network, a ResNet baseline, the
//! network a search pruned its supernet to (fine-tuned from the supernet's weights), or the
//! layers a ProxylessNAS search chose.
use crate::genotype::Genotype;
use crate::model::EvalNetwork;
use crate::network::NetShape;
use crate::nn::Mode;
use crate::proxyless::net::ProxylessNet;
use crate::proxyless::space::Architecture as Layers;
use crate::resnet::{Depth, ResNet};
use crate::search::pruned::{PrunedNetwork, PrunedSource};
use tch::nn::Path;
use tch::Tensor;

#[derive(Debug, Clone, PartialEq)]
pub enum Architecture {
    /// The evaluation network of a genotype (DARTS.md, evaluation).
    Cell(Genotype),
    ResNet(Depth),
    /// The search's supernet pruned to its genotype, starting from its trained weights.
    Pruned(Box<PrunedSource>),
    /// The network of a ProxylessNAS search's chosen blocks, from scratch.
    Proxyless(Layers),
}

impl Architecture {
    /// As result files and tables name it.
    pub fn name(&self) -> String {
        match self {
            Architecture::Cell(_) => "darts".into(),
            Architecture::ResNet(d) => d.name().into(),
            Architecture::Pruned(_) => PRUNED.into(),
            Architecture::Proxyless(_) => "proxyless".into(),
        }
    }

    pub fn genotype(&self) -> Option<&Genotype> {
        match self {
            Architecture::Cell(g) => Some(g),
            Architecture::ResNet(_) | Architecture::Proxyless(_) => None,
            Architecture::Pruned(s) => Some(&s.genotype),
        }
    }
}

/// The architecture name of a pruned and fine-tuned network in `result.json`.
pub const PRUNED: &str = "darts-pruned";

pub enum Net {
    Cell(EvalNetwork),
    ResNet(ResNet),
    Pruned(PrunedNetwork),
    Proxyless(ProxylessNet),
}

impl Net {
    /// The cell network takes layers, initial channels and the auxiliary head from `shape` and
    /// `auxiliary`; a ResNet has its own fixed widths, the pruned network its search's, and
    /// ProxylessNAS's layers their search's width and depth for images of `size` (height, width;
    /// `open_run` checked that the blocks fit them).
    pub fn new(
        p: &Path,
        arch: &Architecture,
        shape: &NetShape,
        size: (i64, i64),
        auxiliary: bool,
    ) -> Net {
        match arch {
            Architecture::Cell(g) => Net::Cell(EvalNetwork::new(p, shape, g, auxiliary)),
            Architecture::ResNet(d) => Net::ResNet(ResNet::new(
                p,
                *d,
                shape.in_channels,
                shape.outputs,
                size.0.max(size.1),
            )),
            Architecture::Pruned(s) => Net::Pruned(PrunedNetwork::new(p, shape, s)),
            Architecture::Proxyless(l) => {
                let layout = crate::proxyless::space::Layout::new(
                    shape.in_channels,
                    size,
                    shape.outputs,
                    l.width,
                    l.per_stage,
                );
                Net::Proxyless(ProxylessNet::new(p, &layout, &l.choices))
            }
        }
    }

    /// The outputs and, for a cell network training with its auxiliary head, the auxiliary ones.
    /// Drop path applies to the cell network only: the supernet was searched without it.
    pub fn forward(&self, x: &Tensor, mode: Mode, drop_prob: f64) -> (Tensor, Option<Tensor>) {
        match self {
            Net::Cell(n) => n.forward(x, mode, drop_prob),
            Net::ResNet(n) => (n.forward(x, mode), None),
            Net::Pruned(n) => (n.forward(x, mode), None),
            Net::Proxyless(n) => (n.forward(x, mode), None),
        }
    }
}
