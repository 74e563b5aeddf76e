//! The search supernet (quark0/darts cnn/model_search.py Network), for any channel count, any
//! image size, K classes or R regression outputs.
use crate::cell::{edge_count, CellShape, SearchCell};
use crate::nn::{conv_kxk, BatchNorm, Mode};
use crate::ops::Primitive;
use serde::{Deserialize, Serialize};
use tch::nn::Path;
use tch::{Kind, Tensor};

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

/// The architecture weights: one (edges x ops) table shared by all normal cells, one by all
/// reduction cells, initialised to 1e-3 * N(0, 1). They live in their own VarStore.
#[derive(Debug)]
pub struct Alphas {
    pub normal: Tensor,
    pub reduce: Tensor,
}

impl Alphas {
    pub fn new(p: &Path, nodes: usize, ops: usize) -> Self {
        let dims = [edge_count(nodes) as i64, ops as i64];
        Alphas {
            normal: p.randn("alphas_normal", &dims, 0.0, 1e-3),
            reduce: p.randn("alphas_reduce", &dims, 0.0, 1e-3),
        }
    }

    /// The same values cut from autograd, for passes that need no alpha gradient.
    pub fn detached(&self) -> Alphas {
        Alphas {
            normal: self.normal.detach(),
            reduce: self.reduce.detach(),
        }
    }

    pub fn tensors(&self) -> [&Tensor; 2] {
        [&self.normal, &self.reduce]
    }

    /// Softmax over ops, per edge, as rows of f32: (normal, reduce).
    pub fn softmaxed(&self) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let rows = |t: &Tensor| -> Vec<Vec<f32>> {
            let s = t
                .detach()
                .softmax(-1, Kind::Float)
                .to_device(tch::Device::Cpu);
            Vec::<Vec<f32>>::try_from(&s).unwrap_or_default()
        };
        (rows(&self.normal), rows(&self.reduce))
    }
}

/// The search space a supernet covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSpace {
    pub nodes: usize,
    pub primitives: Vec<Primitive>,
}

#[derive(Debug)]
pub struct Supernet {
    pub shape: NetShape,
    pub space: SearchSpace,
    stem: Stem,
    cells: Vec<SearchCell>,
    classifier: crate::nn::Linear,
}

impl Supernet {
    pub fn new(p: &Path, shape: &NetShape, space: &SearchSpace) -> Self {
        let c_stem = STEM_MULTIPLIER * shape.init_channels;
        let stem = Stem::new(&(p / "stem"), shape.in_channels, c_stem);
        let (mut c_pp, mut c_p, mut c) = (c_stem, c_stem, shape.init_channels);
        let mut reduction_prev = false;
        let mut cells = Vec::with_capacity(shape.layers);
        for i in 0..shape.layers {
            let reduction = shape.is_reduction(i);
            if reduction {
                c *= 2;
            }
            let cs = CellShape {
                c_prev_prev: c_pp,
                c_prev: c_p,
                c,
                reduction,
                reduction_prev,
            };
            cells.push(SearchCell::new(
                &(p / "cells" / i),
                &cs,
                space.nodes,
                &space.primitives,
            ));
            reduction_prev = reduction;
            (c_pp, c_p) = (c_p, space.nodes as i64 * c);
        }
        let classifier = crate::nn::linear(p / "classifier", c_p, shape.outputs);
        Supernet {
            shape: shape.clone(),
            space: space.clone(),
            stem,
            cells,
            classifier,
        }
    }

    /// `x`: [N, C_in, H, W] normalised images; returns [N, outputs].
    pub fn forward(&self, x: &Tensor, alphas: &Alphas, mode: Mode) -> Tensor {
        let x = pad_to_multiple(x, self.shape.size_multiple()); // [N, C_in, H', W']
        let w_normal = alphas.normal.softmax(-1, Kind::Float); // [edges, ops]
        let w_reduce = alphas.reduce.softmax(-1, Kind::Float); // [edges, ops]
        let s = channels_last(&self.stem.forward(&x, mode)); // [N, 3C, H', W']
        let (mut s0, mut s1) = (s.shallow_clone(), s);
        for cell in &self.cells {
            let w = if cell.reduction { &w_reduce } else { &w_normal };
            let out = cell.forward(&s0, &s1, w, mode); // [N, nodes*C_i, H_i, W_i]
            (s0, s1) = (s1, out);
        }
        s1.adaptive_avg_pool2d([1, 1])
            .flatten(1, -1)
            .apply(&self.classifier) // [N, outputs]
    }
}
