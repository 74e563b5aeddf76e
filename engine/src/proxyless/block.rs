//! The inverted bottleneck (MobileNetV2's MBConv, as ProxylessNAS's `MBInvertedConvLayer`):
//! a 1x1 expansion (left out at expansion 1), a depthwise k x k convolution carrying the stride,
//! a 1x1 projection, each followed by batch norm, ReLU6 after the first two. A layer adds its
//! input to the block's output where the shapes agree; the zero op is that residual alone.
use super::space::{Choice, LayerSpec};
use crate::nn::{conv_kxk, BatchNorm, Conv, Mode};
use tch::nn::Path;
use tch::Tensor;

#[derive(Debug)]
pub struct MbConv {
    expand: Option<(Conv, BatchNorm)>,
    depthwise: Conv,
    bn_depthwise: BatchNorm,
    project: Conv,
    bn_project: BatchNorm,
}

impl MbConv {
    pub fn new(p: &Path, c_in: i64, c_out: i64, expand: i64, kernel: i64, stride: i64) -> MbConv {
        let mid = c_in * expand;
        let expand = (expand != 1).then(|| {
            (
                conv_kxk(p / "inverted_bottleneck" / "conv", c_in, mid, 1, 1, 0, 1, 1),
                BatchNorm::new(&(p / "inverted_bottleneck" / "bn"), mid, true),
            )
        });
        MbConv {
            expand,
            depthwise: conv_kxk(
                p / "depth_conv" / "conv",
                mid,
                mid,
                kernel,
                stride,
                kernel / 2,
                1,
                mid,
            ),
            bn_depthwise: BatchNorm::new(&(p / "depth_conv" / "bn"), mid, true),
            project: conv_kxk(p / "point_linear" / "conv", mid, c_out, 1, 1, 0, 1, 1),
            bn_project: BatchNorm::new(&(p / "point_linear" / "bn"), c_out, true),
        }
    }

    /// The block `choice` makes at layer `spec`; None for the zero op.
    pub fn of(p: &Path, spec: &LayerSpec, choice: Choice) -> Option<MbConv> {
        match choice {
            Choice::MbConv { expand, kernel } => Some(MbConv::new(
                p,
                spec.c_in,
                spec.c_out,
                expand,
                kernel,
                spec.stride,
            )),
            Choice::Zero => None,
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let x = match &self.expand {
            Some((conv, bn)) => bn.forward(&x.apply(conv), mode).relu6(),
            None => x.shallow_clone(),
        };
        let x = self
            .bn_depthwise
            .forward(&x.apply(&self.depthwise), mode)
            .relu6();
        self.bn_project.forward(&x.apply(&self.project), mode)
    }
}

/// One layer of a discrete network: its block (None for the zero op) and whether it adds its
/// input.
#[derive(Debug)]
pub struct Layer {
    block: Option<MbConv>,
    residual: bool,
}

impl Layer {
    pub fn new(p: &Path, spec: &LayerSpec, choice: Choice) -> Layer {
        let block = MbConv::of(p, spec, choice);
        Layer {
            block,
            residual: spec.residual(),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        match (&self.block, self.residual) {
            (Some(b), true) => b.forward(x, mode) + x,
            (Some(b), false) => b.forward(x, mode),
            (None, _) => x.shallow_clone(),
        }
    }
}
