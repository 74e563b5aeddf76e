//! What a training run trains: a discovered cell's evaluation network or a ResNet baseline.
use crate::genotype::Genotype;
use crate::model::EvalNetwork;
use crate::network::NetShape;
use crate::nn::Mode;
use crate::resnet::{Depth, ResNet};
use tch::nn::Path;
use tch::Tensor;

#[derive(Debug, Clone, PartialEq)]
pub enum Architecture {
    /// The evaluation network of a genotype (DARTS.md, evaluation).
    Cell(Genotype),
    ResNet(Depth),
}

impl Architecture {
    /// As result files and tables name it.
    pub fn name(&self) -> String {
        match self {
            Architecture::Cell(_) => "darts".into(),
            Architecture::ResNet(d) => d.name().into(),
        }
    }

    pub fn genotype(&self) -> Option<&Genotype> {
        match self {
            Architecture::Cell(g) => Some(g),
            Architecture::ResNet(_) => None,
        }
    }
}

pub enum Net {
    Cell(EvalNetwork),
    ResNet(ResNet),
}

impl Net {
    /// The cell network takes layers, initial channels and the auxiliary head from `shape` and
    /// `auxiliary`; a ResNet has its own fixed widths.
    pub fn new(p: &Path, arch: &Architecture, shape: &NetShape, size: i64, auxiliary: bool) -> Net {
        match arch {
            Architecture::Cell(g) => Net::Cell(EvalNetwork::new(p, shape, g, auxiliary)),
            Architecture::ResNet(d) => {
                Net::ResNet(ResNet::new(p, *d, shape.in_channels, shape.outputs, size))
            }
        }
    }

    /// The outputs and, for a cell network training with its auxiliary head, the auxiliary ones.
    pub fn forward(&self, x: &Tensor, mode: Mode, drop_prob: f64) -> (Tensor, Option<Tensor>) {
        match self {
            Net::Cell(n) => n.forward(x, mode, drop_prob),
            Net::ResNet(n) => (n.forward(x, mode), None),
        }
    }
}
