//! The DARTS primitives (quark0/darts cnn/operations.py and genotypes.py) and the modules built
//! from them. Every op keeps the spatial size at stride 1 and halves it at stride 2.
use crate::nn::{conv, conv_kxk, BatchNorm, Mode};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use tch::nn::Path;
use tch::Tensor;

/// The closed set of candidate operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Primitive {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "max_pool_3x3")]
    MaxPool3x3,
    #[serde(rename = "avg_pool_3x3")]
    AvgPool3x3,
    #[serde(rename = "skip_connect")]
    SkipConnect,
    #[serde(rename = "sep_conv_3x3")]
    SepConv3x3,
    #[serde(rename = "sep_conv_5x5")]
    SepConv5x5,
    #[serde(rename = "dil_conv_3x3")]
    DilConv3x3,
    #[serde(rename = "dil_conv_5x5")]
    DilConv5x5,
    #[serde(rename = "sep_conv_7x7")]
    SepConv7x7,
    #[serde(rename = "conv_7x1_1x7")]
    Conv7x1_1x7,
}

impl Primitive {
    /// The DARTS search space, in the authors' order (genotypes.py PRIMITIVES).
    pub const DARTS: [Primitive; 8] = [
        Primitive::None,
        Primitive::MaxPool3x3,
        Primitive::AvgPool3x3,
        Primitive::SkipConnect,
        Primitive::SepConv3x3,
        Primitive::SepConv5x5,
        Primitive::DilConv3x3,
        Primitive::DilConv5x5,
    ];

    /// Every primitive, including the two only used by named genotypes.
    pub const ALL: [Primitive; 10] = [
        Primitive::None,
        Primitive::MaxPool3x3,
        Primitive::AvgPool3x3,
        Primitive::SkipConnect,
        Primitive::SepConv3x3,
        Primitive::SepConv5x5,
        Primitive::DilConv3x3,
        Primitive::DilConv5x5,
        Primitive::SepConv7x7,
        Primitive::Conv7x1_1x7,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Primitive::None => "none",
            Primitive::MaxPool3x3 => "max_pool_3x3",
            Primitive::AvgPool3x3 => "avg_pool_3x3",
            Primitive::SkipConnect => "skip_connect",
            Primitive::SepConv3x3 => "sep_conv_3x3",
            Primitive::SepConv5x5 => "sep_conv_5x5",
            Primitive::DilConv3x3 => "dil_conv_3x3",
            Primitive::DilConv5x5 => "dil_conv_5x5",
            Primitive::SepConv7x7 => "sep_conv_7x7",
            Primitive::Conv7x1_1x7 => "conv_7x1_1x7",
        }
    }

    /// Ops without weights: the ones a collapsed cell is made of.
    pub fn is_parameter_free(self) -> bool {
        matches!(
            self,
            Primitive::None
                | Primitive::MaxPool3x3
                | Primitive::AvgPool3x3
                | Primitive::SkipConnect
        )
    }

    /// Builds the op. `search` adds the non-affine BN after pooling that the supernet's MixedOp
    /// uses (model_search.py); the evaluation network's pools have none (model.py).
    pub fn build(self, p: &Path, c: i64, stride: i64, affine: bool, search: bool) -> Op {
        let pool_bn = |p: &Path| search.then(|| BatchNorm::new(&(p / "1"), c, false));
        match self {
            Primitive::None => Op::Zero { stride },
            Primitive::MaxPool3x3 => Op::MaxPool {
                stride,
                bn: pool_bn(p),
            },
            Primitive::AvgPool3x3 => Op::AvgPool {
                stride,
                bn: pool_bn(p),
            },
            Primitive::SkipConnect if stride == 1 => Op::Identity,
            Primitive::SkipConnect => Op::Reduce(FactorizedReduce::new(p, c, c, affine)),
            Primitive::SepConv3x3 => Op::Sep(SepConv::new(p, c, 3, stride, 1, affine)),
            Primitive::SepConv5x5 => Op::Sep(SepConv::new(p, c, 5, stride, 2, affine)),
            Primitive::SepConv7x7 => Op::Sep(SepConv::new(p, c, 7, stride, 3, affine)),
            Primitive::DilConv3x3 => Op::Dil(DilConv::new(p, c, 3, stride, 2, affine)),
            Primitive::DilConv5x5 => Op::Dil(DilConv::new(p, c, 5, stride, 4, affine)),
            Primitive::Conv7x1_1x7 => Op::Conv7(Conv7x1x7::new(p, c, stride, affine)),
        }
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown primitive '{0}' (known: none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5, sep_conv_7x7, conv_7x1_1x7)")]
pub struct UnknownPrimitive(pub String);

impl FromStr for Primitive {
    type Err = UnknownPrimitive;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Primitive::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPrimitive(s.to_string()))
    }
}

/// A built op. Ops that start with a ReLU take it precomputed (`relu_x`), so a MixedOp computes
/// the ReLU of its input once for all of them.
#[derive(Debug)]
pub enum Op {
    Zero { stride: i64 },
    MaxPool { stride: i64, bn: Option<BatchNorm> },
    AvgPool { stride: i64, bn: Option<BatchNorm> },
    Identity,
    Reduce(FactorizedReduce),
    Sep(SepConv),
    Dil(DilConv),
    Conv7(Conv7x1x7),
}

impl Op {
    /// Whether the op reads the ReLU of its input rather than the input itself.
    pub fn wants_relu(&self) -> bool {
        matches!(self, Op::Reduce(_) | Op::Sep(_) | Op::Dil(_) | Op::Conv7(_))
    }

    /// `x`: the input [N, C, H, W]; `relu_x`: its ReLU when `wants_relu`, else ignored.
    pub fn forward(&self, x: &Tensor, relu_x: &Tensor, mode: Mode) -> Tensor {
        match self {
            Op::Zero { stride } => {
                // Only the evaluation network reaches this (the supernet skips `none`).
                let (n, c, h, w) = x.size4().unwrap_or((0, 0, 0, 0));
                let (h, w) = ((h + stride - 1) / stride, (w + stride - 1) / stride);
                Tensor::zeros([n, c, h, w], (x.kind(), x.device()))
            }
            Op::MaxPool { stride, bn } => {
                let y = x.max_pool2d([3, 3], [*stride, *stride], [1, 1], [1, 1], false);
                pool_bn(y, bn.as_ref(), mode)
            }
            Op::AvgPool { stride, bn } => {
                // count_include_pad=False, as the authors' AvgPool2d.
                let y = x.avg_pool2d(
                    [3, 3],
                    [*stride, *stride],
                    [1, 1],
                    false,
                    false,
                    None::<i64>,
                );
                pool_bn(y, bn.as_ref(), mode)
            }
            Op::Identity => x.shallow_clone(),
            Op::Reduce(op) => op.forward_relu(relu_x, mode),
            Op::Sep(op) => op.forward_relu(relu_x, mode),
            Op::Dil(op) => op.forward_relu(relu_x, mode),
            Op::Conv7(op) => op.forward_relu(relu_x, mode),
        }
    }

    /// The op on its own input (computes the leading ReLU itself when it has one).
    pub fn forward_alone(&self, x: &Tensor, mode: Mode) -> Tensor {
        if self.wants_relu() {
            self.forward(x, &x.relu(), mode)
        } else {
            self.forward(x, x, mode)
        }
    }
}

/// The search supernet's non-affine BN after a pool, when there is one.
fn pool_bn(y: Tensor, bn: Option<&BatchNorm>, mode: Mode) -> Tensor {
    match bn {
        Some(bn) => bn.forward(&y, mode),
        None => y,
    }
}

/// ReLU, depthwise kxk (carries the stride), pointwise 1x1, BN; twice (operations.py SepConv).
#[derive(Debug)]
pub struct SepConv {
    dw1: crate::nn::Conv,
    pw1: crate::nn::Conv,
    bn1: BatchNorm,
    dw2: crate::nn::Conv,
    pw2: crate::nn::Conv,
    bn2: BatchNorm,
}

impl SepConv {
    fn new(p: &Path, c: i64, k: i64, stride: i64, pad: i64, affine: bool) -> Self {
        let p = p / "op";
        SepConv {
            dw1: conv_kxk(&p / "1", c, c, k, stride, pad, 1, c),
            pw1: conv_kxk(&p / "2", c, c, 1, 1, 0, 1, 1),
            bn1: BatchNorm::new(&(&p / "3"), c, affine),
            dw2: conv_kxk(&p / "5", c, c, k, 1, pad, 1, c),
            pw2: conv_kxk(&p / "6", c, c, 1, 1, 0, 1, 1),
            bn2: BatchNorm::new(&(&p / "7"), c, affine),
        }
    }

    fn forward_relu(&self, relu_x: &Tensor, mode: Mode) -> Tensor {
        let y = self
            .bn1
            .forward(&relu_x.apply(&self.dw1).apply(&self.pw1), mode); // [N,C,H/s,W/s]
        let y = y.relu().apply(&self.dw2).apply(&self.pw2); // [N,C,H/s,W/s]
        self.bn2.forward(&y, mode)
    }
}

/// ReLU, depthwise kxk with dilation 2, pointwise 1x1, BN (operations.py DilConv).
#[derive(Debug)]
pub struct DilConv {
    dw: crate::nn::Conv,
    pw: crate::nn::Conv,
    bn: BatchNorm,
}

impl DilConv {
    fn new(p: &Path, c: i64, k: i64, stride: i64, pad: i64, affine: bool) -> Self {
        let p = p / "op";
        DilConv {
            dw: conv_kxk(&p / "1", c, c, k, stride, pad, 2, c),
            pw: conv_kxk(&p / "2", c, c, 1, 1, 0, 1, 1),
            bn: BatchNorm::new(&(&p / "3"), c, affine),
        }
    }

    fn forward_relu(&self, relu_x: &Tensor, mode: Mode) -> Tensor {
        self.bn
            .forward(&relu_x.apply(&self.dw).apply(&self.pw), mode) // [N,C,H/s,W/s]
    }
}

/// ReLU, 1x7 then 7x1 convolutions, BN (operations.py `conv_7x1_1x7`).
#[derive(Debug)]
pub struct Conv7x1x7 {
    c1: crate::nn::Conv,
    c2: crate::nn::Conv,
    bn: BatchNorm,
}

impl Conv7x1x7 {
    fn new(p: &Path, c: i64, stride: i64, affine: bool) -> Self {
        Conv7x1x7 {
            c1: conv(p / "1", c, c, [1, 7], [1, stride], [0, 3]),
            c2: conv(p / "2", c, c, [7, 1], [stride, 1], [3, 0]),
            bn: BatchNorm::new(&(p / "3"), c, affine),
        }
    }

    fn forward_relu(&self, relu_x: &Tensor, mode: Mode) -> Tensor {
        self.bn
            .forward(&relu_x.apply(&self.c1).apply(&self.c2), mode)
    }
}

/// ReLU, two 1x1 stride-2 convolutions on x and on x shifted by one pixel, concatenated, BN
/// (operations.py FactorizedReduce). The input's height and width must be even.
#[derive(Debug)]
pub struct FactorizedReduce {
    conv_1: crate::nn::Conv,
    conv_2: crate::nn::Conv,
    bn: BatchNorm,
}

impl FactorizedReduce {
    pub fn new(p: &Path, c_in: i64, c_out: i64, affine: bool) -> Self {
        FactorizedReduce {
            conv_1: conv_kxk(p / "conv_1", c_in, c_out / 2, 1, 2, 0, 1, 1),
            conv_2: conv_kxk(p / "conv_2", c_in, c_out - c_out / 2, 1, 2, 0, 1, 1),
            bn: BatchNorm::new(&(p / "bn"), c_out, affine),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        self.forward_relu(&x.relu(), mode)
    }

    fn forward_relu(&self, relu_x: &Tensor, mode: Mode) -> Tensor {
        let shifted = relu_x
            .narrow(2, 1, relu_x.size()[2] - 1)
            .narrow(3, 1, relu_x.size()[3] - 1);
        let y = Tensor::cat(
            &[relu_x.apply(&self.conv_1), shifted.apply(&self.conv_2)],
            1,
        ); // [N,C_out,H/2,W/2]
        self.bn.forward(&y, mode)
    }
}

/// ReLU, 1x1 convolution, BN: the cells' input preprocessing (operations.py ReLUConvBN).
#[derive(Debug)]
pub struct ReluConvBn {
    conv: crate::nn::Conv,
    bn: BatchNorm,
}

impl ReluConvBn {
    pub fn new(p: &Path, c_in: i64, c_out: i64, affine: bool) -> Self {
        let p = p / "op";
        ReluConvBn {
            conv: conv_kxk(&p / "1", c_in, c_out, 1, 1, 0, 1, 1),
            bn: BatchNorm::new(&(&p / "2"), c_out, affine),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        self.bn.forward(&x.relu().apply(&self.conv), mode)
    }
}

/// A cell's preprocessing of one input: FactorizedReduce after a reduction cell, else ReLUConvBN.
#[derive(Debug)]
pub enum Preprocess {
    Reduce(FactorizedReduce),
    Conv(ReluConvBn),
}

impl Preprocess {
    pub fn new(p: &Path, c_in: i64, c_out: i64, reduce: bool, affine: bool) -> Self {
        if reduce {
            Preprocess::Reduce(FactorizedReduce::new(p, c_in, c_out, affine))
        } else {
            Preprocess::Conv(ReluConvBn::new(p, c_in, c_out, affine))
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        match self {
            Preprocess::Reduce(op) => op.forward(x, mode),
            Preprocess::Conv(op) => op.forward(x, mode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_strings_and_serde() -> Result<(), Box<dyn std::error::Error>> {
        for p in Primitive::ALL {
            assert_eq!(p.as_str().parse::<Primitive>(), Ok(p));
            assert_eq!(
                serde_json::to_value(p)?,
                serde_json::Value::String(p.as_str().into())
            );
        }
        assert!("sep_conv_9x9".parse::<Primitive>().is_err());
        Ok(())
    }
}
