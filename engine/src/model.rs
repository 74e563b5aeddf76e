//! The evaluation network built from a genotype (quark0/darts cnn/model.py NetworkCIFAR), with
//! the auxiliary head and drop path, for any channel count and image size.
use crate::genotype::Genotype;
use crate::network::edge_stride;
use crate::network::{channels_last, pad_to_multiple, NetShape, Stem, STEM_MULTIPLIER};
use crate::nn::{conv_kxk, BatchNorm, Mode};
use crate::ops::{Op, Preprocess, Primitive};
use tch::nn::Path;
use tch::Tensor;

/// Zeroes whole samples with probability `p` and rescales the rest (model.py drop_path).
pub fn drop_path(x: &Tensor, p: f64) -> Tensor {
    let keep = 1.0 - p;
    let mask = Tensor::empty([x.size()[0], 1, 1, 1], (x.kind(), x.device())).bernoulli_float_(keep);
    x / keep * mask
}

#[derive(Debug)]
struct EvalCell {
    reduction: bool,
    preprocess0: Preprocess,
    preprocess1: Preprocess,
    ops: Vec<(Primitive, usize, Op)>,
    concat: Vec<usize>,
}

impl EvalCell {
    fn forward(&self, s0: &Tensor, s1: &Tensor, mode: Mode, drop_prob: f64) -> Tensor {
        let mut states = vec![
            self.preprocess0.forward(s0, mode),
            self.preprocess1.forward(s1, mode),
        ];
        for pair in self.ops.chunks(2) {
            let node = pair
                .iter()
                .map(|(prim, input, op)| {
                    let h = op.forward_alone(&states[*input], mode);
                    let identity = *prim == Primitive::SkipConnect && matches!(op, Op::Identity);
                    if mode.is_training() && drop_prob > 0.0 && !identity {
                        drop_path(&h, drop_prob)
                    } else {
                        h
                    }
                })
                .reduce(|a, b| a + b)
                .unwrap_or_else(|| states[1].zeros_like());
            states.push(node);
        }
        let out: Vec<&Tensor> = self.concat.iter().map(|&i| &states[i]).collect();
        Tensor::cat(&out, 1)
    }
}

/// ReLU, avg-pool 5 stride 3 (8x8 -> 2x2), conv 1x1 to 128, BN, ReLU, conv 2x2 to 768, BN, ReLU,
/// linear (model.py AuxiliaryHeadCIFAR). Other feature-map sizes are pooled to 2x2 adaptively.
#[derive(Debug)]
struct AuxiliaryHead {
    conv1: crate::nn::Conv,
    bn1: BatchNorm,
    conv2: crate::nn::Conv,
    bn2: BatchNorm,
    classifier: crate::nn::Linear,
}

impl AuxiliaryHead {
    fn new(p: &Path, c: i64, outputs: i64) -> Self {
        let f = p / "features";
        AuxiliaryHead {
            conv1: conv_kxk(&f / "2", c, 128, 1, 1, 0, 1, 1),
            bn1: BatchNorm::new(&(&f / "3"), 128, true),
            conv2: conv_kxk(&f / "5", 128, 768, 2, 1, 0, 1, 1),
            bn2: BatchNorm::new(&(&f / "6"), 768, true),
            classifier: crate::nn::linear(p / "classifier", 768, outputs),
        }
    }

    fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let x = x.relu();
        let (h, w) = (x.size()[2], x.size()[3]);
        let x = if h >= 5 && w >= 5 {
            x.avg_pool2d([5, 5], [3, 3], [0, 0], false, false, None::<i64>)
        } else {
            x
        };
        let x = if x.size()[2..] == [2, 2] {
            x
        } else {
            x.adaptive_avg_pool2d([2, 2])
        }; // [N, C, 2, 2]
        let x = self.bn1.forward(&x.apply(&self.conv1), mode).relu(); // [N, 128, 2, 2]
        let x = self.bn2.forward(&x.apply(&self.conv2), mode).relu(); // [N, 768, 1, 1]
        x.flatten(1, -1).apply(&self.classifier) // [N, outputs]
    }
}

#[derive(Debug)]
pub struct EvalNetwork {
    pub shape: NetShape,
    stem: Stem,
    cells: Vec<EvalCell>,
    auxiliary: Option<AuxiliaryHead>,
    classifier: crate::nn::Linear,
}

impl EvalNetwork {
    pub fn new(p: &Path, shape: &NetShape, genotype: &Genotype, auxiliary: bool) -> Self {
        let c_stem = STEM_MULTIPLIER * shape.init_channels;
        let stem = Stem::new(&(p / "stem"), shape.in_channels, c_stem);
        let (mut c_pp, mut c_p, mut c) = (c_stem, c_stem, shape.init_channels);
        let mut reduction_prev = false;
        let mut cells = Vec::with_capacity(shape.layers);
        let mut c_aux = c_p;
        for i in 0..shape.layers {
            let reduction = shape.is_reduction(i);
            if reduction {
                c *= 2;
            }
            let cp = p / "cells" / i;
            let (ops, concat) = if reduction {
                (&genotype.reduce, &genotype.reduce_concat)
            } else {
                (&genotype.normal, &genotype.normal_concat)
            };
            let built = ops
                .iter()
                .enumerate()
                .map(|(k, &(prim, input))| {
                    (
                        prim,
                        input,
                        prim.build(
                            &(&cp / "_ops" / k),
                            c,
                            edge_stride(reduction, input),
                            true,
                            false,
                        ),
                    )
                })
                .collect();
            cells.push(EvalCell {
                reduction,
                preprocess0: Preprocess::new(&(&cp / "preprocess0"), c_pp, c, reduction_prev, true),
                preprocess1: Preprocess::new(&(&cp / "preprocess1"), c_p, c, false, true),
                ops: built,
                concat: concat.clone(),
            });
            reduction_prev = reduction;
            (c_pp, c_p) = (c_p, concat.len() as i64 * c);
            if i == 2 * shape.layers / 3 {
                c_aux = c_p;
            }
        }
        let auxiliary =
            auxiliary.then(|| AuxiliaryHead::new(&(p / "auxiliary_head"), c_aux, shape.outputs));
        let classifier = crate::nn::linear(p / "classifier", c_p, shape.outputs);
        EvalNetwork {
            shape: shape.clone(),
            stem,
            cells,
            auxiliary,
            classifier,
        }
    }

    /// `x`: [N, C_in, H, W]; returns the logits [N, outputs] and, when training with an auxiliary
    /// head, the auxiliary logits [N, outputs].
    pub fn forward(&self, x: &Tensor, mode: Mode, drop_prob: f64) -> (Tensor, Option<Tensor>) {
        let x = pad_to_multiple(x, self.shape.size_multiple());
        let s = channels_last(&self.stem.forward(&x, mode)); // [N, 3C, H', W']
        let (mut s0, mut s1) = (s.shallow_clone(), s);
        let mut aux = None;
        for (i, cell) in self.cells.iter().enumerate() {
            let out = cell.forward(&s0, &s1, mode, drop_prob);
            (s0, s1) = (s1, out);
            if i == 2 * self.shape.layers / 3 && mode.is_training() {
                aux = self.auxiliary.as_ref().map(|head| head.forward(&s1, mode));
            }
        }
        let logits = s1
            .adaptive_avg_pool2d([1, 1])
            .flatten(1, -1)
            .apply(&self.classifier);
        (logits, aux)
    }

    pub fn is_reduction(&self, layer: usize) -> bool {
        self.cells.get(layer).is_some_and(|c| c.reduction)
    }
}
