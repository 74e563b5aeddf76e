//! What the search supernet and the evaluation network share: the network's shape (any channel
//! count, any image size, K classes or R regression outputs), the cell's edge layout, padding, the
//! channels-last layout and the stem.
use crate::nn::{conv_kxk, BatchNorm, Mode};
use serde::{Deserialize, Serialize};
use tch::nn::Path;
use tch::Tensor;

/// Number of edges in a cell with `nodes` intermediate nodes: node i has 2 + i inputs.
pub fn edge_count(nodes: usize) -> usize {
    nodes * (nodes + 3) / 2
}

/// Whether an edge from state `input` of a reduction cell carries stride 2.
pub fn edge_stride(reduction: bool, input: usize) -> i64 {
    if reduction && input < 2 {
        2
    } else {
        1
    }
}

/// The shape of a network: what goes in, what comes out, how wide and deep it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetShape {
    pub in_channels: i64,
    /// Number of classes, or of regression targets.
    pub outputs: i64,
    pub init_channels: i64,
    pub layers: usize,
}

impl NetShape {
    /// A network of `init_channels` and `layers` for the images and outputs of `data`.
    pub fn of(data: &crate::data::Dataset, init_channels: i64, layers: usize) -> NetShape {
        NetShape {
            in_channels: data.image_shape().0,
            outputs: data.outputs(),
            init_channels,
            layers,
        }
    }

    /// Indices of the reduction cells: L/3 and 2L/3 (they coincide for L < 3).
    pub fn reduction_layers(&self) -> Vec<usize> {
        let mut r = vec![self.layers / 3, 2 * self.layers / 3];
        r.dedup();
        r
    }

    pub fn is_reduction(&self, layer: usize) -> bool {
        self.reduction_layers().contains(&layer)
    }

    /// Inputs are zero-padded to a multiple of this so every reduction halves an even size.
    pub fn size_multiple(&self) -> i64 {
        1 << self.reduction_layers().len()
    }
}

/// Zero-pads [N, C, H, W] on the bottom and right... split evenly, so H and W become multiples
/// of `m`. Padding happens after normalisation, so zero is the mean.
pub fn pad_to_multiple(x: &Tensor, m: i64) -> Tensor {
    let (h, w) = (x.size()[2], x.size()[3]);
    let (ph, pw) = ((m - h % m) % m, (m - w % m) % m);
    if ph == 0 && pw == 0 {
        return x.shallow_clone();
    }
    x.constant_pad_nd([pw / 2, pw - pw / 2, ph / 2, ph - ph / 2])
}

/// The same values laid out channels-last (NHWC strides, NCHW shape). PyTorch's CPU convolutions
/// pick their channels-last kernels from the input's strides, and those compute the depthwise
/// convolutions' weight gradients 3-5x faster at the sizes DARTS uses (measured with PyTorch
/// 2.11 on 2 threads); every op of a cell keeps the layout.
pub fn channels_last(x: &Tensor) -> Tensor {
    x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
}

/// The stem: conv 3x3 (C_in -> 3C) and an affine BN.
#[derive(Debug)]
pub struct Stem {
    conv: crate::nn::Conv,
    bn: BatchNorm,
}

pub const STEM_MULTIPLIER: i64 = 3;

impl Stem {
    pub fn new(p: &Path, c_in: i64, c_out: i64) -> Self {
        Stem {
            conv: conv_kxk(p / "0", c_in, c_out, 3, 1, 1, 1, 1),
            bn: BatchNorm::new(&(p / "1"), c_out, true),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        self.bn.forward(&x.apply(&self.conv), mode)
    }
}
