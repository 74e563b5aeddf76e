//! The discrete network of a ProxylessNAS architecture: what a search finds, retrained and
//! exported like every trained network.
use super::block::{Layer, MbConv};
use super::space::{Choice, Layout};
use crate::network::pad_to_multiple;
use crate::nn::{conv_kxk, BatchNorm, Conv, Linear, Mode};
use tch::nn::Path;
use tch::Tensor;

/// The parts every network of a layout has, whatever its layers chose.
#[derive(Debug)]
pub struct Frame {
    stem: Conv,
    bn_stem: BatchNorm,
    first: MbConv,
    head: Conv,
    bn_head: BatchNorm,
    classifier: Linear,
    /// Inputs are padded to a multiple of this (2 to the number of halvings).
    multiple: i64,
}

impl Frame {
    pub fn new(p: &Path, layout: &Layout) -> Frame {
        let w = layout.width;
        let last = layout.layers.last().map_or(w, |l| l.c_out);
        let halvings = layout.layers.iter().filter(|l| l.stride == 2).count() as u32;
        Frame {
            stem: conv_kxk(
                p / "first_conv" / "conv",
                layout.in_channels,
                w,
                3,
                1,
                1,
                1,
                1,
            ),
            bn_stem: BatchNorm::new(&(p / "first_conv" / "bn"), w, true),
            first: MbConv::new(&(p / "first_block"), w, w, 1, 3, 1),
            head: conv_kxk(
                p / "feature_mix_layer" / "conv",
                last,
                layout.head,
                1,
                1,
                0,
                1,
                1,
            ),
            bn_head: BatchNorm::new(&(p / "feature_mix_layer" / "bn"), layout.head, true),
            classifier: crate::nn::linear(p / "classifier", layout.head, layout.outputs),
            multiple: 1 << halvings,
        }
    }

    /// Padding, the stem and the fixed first block: the first searchable layer's input.
    pub fn enter(&self, x: &Tensor, mode: Mode) -> Tensor {
        let x = pad_to_multiple(x, self.multiple);
        let x = self.bn_stem.forward(&x.apply(&self.stem), mode).relu6();
        self.first.forward(&x, mode) + &x
    }

    /// The head: 1x1 conv, pooling, the linear layer.
    pub fn leave(&self, x: &Tensor, mode: Mode) -> Tensor {
        self.bn_head
            .forward(&x.apply(&self.head), mode)
            .relu6()
            .adaptive_avg_pool2d([1, 1])
            .flatten(1, -1)
            .apply(&self.classifier)
    }
}

/// A ProxylessNAS network with one block (or none) per layer.
#[derive(Debug)]
pub struct ProxylessNet {
    frame: Frame,
    layers: Vec<Layer>,
}

impl ProxylessNet {
    /// `choices`: one per layer of `layout`, each among that layer's candidates.
    pub fn new(p: &Path, layout: &Layout, choices: &[Choice]) -> ProxylessNet {
        assert_eq!(choices.len(), layout.layers.len(), "one choice per layer");
        let layers = layout
            .layers
            .iter()
            .zip(choices)
            .enumerate()
            .map(|(i, (spec, &choice))| Layer::new(&(p / "blocks" / i), spec, choice))
            .collect();
        ProxylessNet {
            frame: Frame::new(p, layout),
            layers,
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let mut x = self.frame.enter(x, mode);
        for layer in &self.layers {
            x = layer.forward(&x, mode);
        }
        self.frame.leave(&x, mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    /// Shapes through a 28x28 network and the weight count of one MBConv, by hand: expansion
    /// 6 of 24 channels (1x1: 24*144, BN 2*144), depthwise 5x5 (144*25, BN 2*144), projection to
    /// 24 (144*24, BN 2*24): 3456 + 288 + 3600 + 288 + 3456 + 48 = 11,136.
    #[test]
    fn a_network_maps_images_to_outputs() {
        let layout = Layout::new(1, (28, 28), 10, 16, 2);
        let vs = VarStore::new(Device::Cpu);
        let choices: Vec<Choice> = layout
            .layers
            .iter()
            .map(|_| Choice::MbConv {
                expand: 3,
                kernel: 3,
            })
            .collect();
        let net = ProxylessNet::new(&vs.root(), &layout, &choices);
        let y = net.forward(
            &Tensor::zeros([2, 1, 28, 28], (Kind::Float, Device::Cpu)),
            Mode::Eval,
        );
        assert_eq!(y.size(), [2, 10]);

        let vs = VarStore::new(Device::Cpu);
        let _ = MbConv::new(&vs.root(), 24, 24, 6, 5, 1);
        assert_eq!(crate::count_weights(&vs), 11_136);
    }

    /// A skipped layer is the identity: a network whose skippable layers all chose zero has
    /// fewer weights than one whose layers chose blocks, and the same output shape.
    #[test]
    fn zero_layers_are_skipped() {
        let layout = Layout::new(3, (32, 32), 4, 8, 2);
        let mb = Choice::MbConv {
            expand: 3,
            kernel: 3,
        };
        let skip: Vec<Choice> = layout
            .layers
            .iter()
            .map(|l| if l.residual() { Choice::Zero } else { mb })
            .collect();
        let full = vec![mb; layout.layers.len()];
        let count = |choices: &[Choice]| {
            let vs = VarStore::new(Device::Cpu);
            let net = ProxylessNet::new(&vs.root(), &layout, choices);
            let y = net.forward(
                &Tensor::zeros([1, 3, 32, 32], (Kind::Float, Device::Cpu)),
                Mode::Eval,
            );
            assert_eq!(y.size(), [1, 4]);
            crate::count_weights(&vs)
        };
        assert!(count(&skip) < count(&full));
    }
}
