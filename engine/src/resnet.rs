//! The ResNet baselines, adapted to small N-channel images as the CIFAR ResNets are
//! (kuangliu/pytorch-cifar models/resnet.py): a 3x3 stem without max-pool below 64 px (with
//! torchvision's 3x3 max-pool of stride 2 from 64 px), four stages of basic blocks of 64, 128,
//! 256 and 512 channels, global average pooling and a linear head. ResNet-18 has two blocks per
//! stage; ResNet-10 one.
use crate::nn::{conv_kxk, BatchNorm, Mode};
use serde::{Deserialize, Serialize};
use tch::nn::Path;
use tch::Tensor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    ResNet18,
    ResNet10,
}

impl Depth {
    fn blocks(self) -> usize {
        match self {
            Depth::ResNet18 => 2,
            Depth::ResNet10 => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Depth::ResNet18 => "resnet18",
            Depth::ResNet10 => "resnet10",
        }
    }
}

#[derive(Debug)]
struct Block {
    conv1: crate::nn::Conv,
    bn1: BatchNorm,
    conv2: crate::nn::Conv,
    bn2: BatchNorm,
    shortcut: Option<(crate::nn::Conv, BatchNorm)>,
}

impl Block {
    fn new(p: &Path, c_in: i64, c_out: i64, stride: i64) -> Block {
        let shortcut = (stride != 1 || c_in != c_out).then(|| {
            (
                conv_kxk(p / "shortcut" / 0, c_in, c_out, 1, stride, 0, 1, 1),
                BatchNorm::new(&(p / "shortcut" / 1), c_out, true),
            )
        });
        Block {
            conv1: conv_kxk(p / "conv1", c_in, c_out, 3, stride, 1, 1, 1),
            bn1: BatchNorm::new(&(p / "bn1"), c_out, true),
            conv2: conv_kxk(p / "conv2", c_out, c_out, 3, 1, 1, 1, 1),
            bn2: BatchNorm::new(&(p / "bn2"), c_out, true),
            shortcut,
        }
    }

    fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let h = self.bn1.forward(&x.apply(&self.conv1), mode).relu();
        let h = self.bn2.forward(&h.apply(&self.conv2), mode);
        let s = match &self.shortcut {
            Some((conv, bn)) => bn.forward(&x.apply(conv), mode),
            None => x.shallow_clone(),
        };
        (h + s).relu()
    }
}

#[derive(Debug)]
pub struct ResNet {
    conv1: crate::nn::Conv,
    bn1: BatchNorm,
    max_pool: bool,
    layers: Vec<Block>,
    linear: crate::nn::Linear,
}

impl ResNet {
    /// `size`: the image side (the larger of height and width).
    pub fn new(p: &Path, depth: Depth, in_channels: i64, outputs: i64, size: i64) -> ResNet {
        let mut layers = vec![];
        let mut c_in = 64;
        for (stage, c_out) in [64i64, 128, 256, 512].into_iter().enumerate() {
            for b in 0..depth.blocks() {
                let stride = if stage > 0 && b == 0 { 2 } else { 1 };
                let path = p / format!("layer{}", stage + 1) / b;
                layers.push(Block::new(&path, c_in, c_out, stride));
                c_in = c_out;
            }
        }
        ResNet {
            conv1: conv_kxk(p / "conv1", in_channels, 64, 3, 1, 1, 1, 1),
            bn1: BatchNorm::new(&(p / "bn1"), 64, true),
            max_pool: size >= 64,
            layers,
            linear: crate::nn::linear(p / "linear", 512, outputs),
        }
    }

    /// `x`: [N, C, H, W] -> [N, outputs].
    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let mut h = self.bn1.forward(&x.apply(&self.conv1), mode).relu();
        if self.max_pool {
            h = h.max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false);
        }
        for block in &self.layers {
            h = block.forward(&h, mode);
        }
        h.adaptive_avg_pool2d([1, 1])
            .flatten(1, -1)
            .apply(&self.linear)
    }
}
