//! ProxylessNAS's layer-wise search space (Cai et al., ICLR 2019; mit-han-lab/proxylessnas
//! `search/models/super_nets/super_proxyless.py`), scaled to a dataset: a 3x3 stem, a fixed
//! MBConv with expansion 1, then stages of searchable layers, a 1x1 conv to the head's features,
//! global pooling and a linear layer. Each searchable layer picks one inverted bottleneck (1x1
//! expansion by 3 or 6, a 3x3, 5x5 or 7x7 depthwise convolution, a 1x1 projection) or, where its
//! input and output agree (stride 1, same width), nothing: the zero op, which leaves only the
//! residual, so the layer is skipped. The paper's stages widen 24, 40, 80, 96 for ImageNet's
//! 224 pixels; here the widths are multiples of `width` (1.5, 2.5, 5, 6 x width) and a stage
//! halves the size only while the image stays at least 4 pixels across.
use serde::{Deserialize, Serialize};
use std::fmt;

/// One layer's choice; in JSON by its name (`mb6_k5`, `zero`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Choice {
    /// An inverted bottleneck with `expand` times the input's channels inside and a
    /// `kernel` x `kernel` depthwise convolution.
    MbConv { expand: i64, kernel: i64 },
    /// No block: the layer passes its input on (allowed where a residual is).
    Zero,
}

impl Choice {
    /// The candidates in the paper's order (`3x3_MBConv3` ... `7x7_MBConv6`, then `Zero`).
    pub const CANDIDATES: [Choice; 7] = [
        Choice::MbConv {
            expand: 3,
            kernel: 3,
        },
        Choice::MbConv {
            expand: 3,
            kernel: 5,
        },
        Choice::MbConv {
            expand: 3,
            kernel: 7,
        },
        Choice::MbConv {
            expand: 6,
            kernel: 3,
        },
        Choice::MbConv {
            expand: 6,
            kernel: 5,
        },
        Choice::MbConv {
            expand: 6,
            kernel: 7,
        },
        Choice::Zero,
    ];

    /// As tables and heatmaps name it: `mb3_k5`, `zero`.
    pub fn name(self) -> String {
        match self {
            Choice::MbConv { expand, kernel } => format!("mb{expand}_k{kernel}"),
            Choice::Zero => "zero".into(),
        }
    }
}

impl From<Choice> for String {
    fn from(c: Choice) -> String {
        c.name()
    }
}

impl TryFrom<String> for Choice {
    type Error = String;

    /// A candidate's name back to it: `mb3_k7`, `zero`.
    fn try_from(name: String) -> Result<Choice, String> {
        Choice::CANDIDATES
            .iter()
            .copied()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<String> = Choice::CANDIDATES.iter().map(|c| c.name()).collect();
                format!("unknown block {name:?}; one of {}", names.join(", "))
            })
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One searchable layer of a network: its input, output and stride.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSpec {
    pub c_in: i64,
    pub c_out: i64,
    pub stride: i64,
    /// The input's height and width (the output's are halved at stride 2, rounding up).
    pub size: (i64, i64),
}

impl LayerSpec {
    /// Whether the layer's output can be added to its input: then it may also be skipped.
    pub fn residual(&self) -> bool {
        self.stride == 1 && self.c_in == self.c_out
    }

    /// The candidates of this layer: every MBConv, and the zero op where a residual is.
    pub fn candidates(&self) -> Vec<Choice> {
        Choice::CANDIDATES
            .iter()
            .copied()
            .filter(|c| *c != Choice::Zero || self.residual())
            .collect()
    }
}

/// The whole network's layout for a dataset's images and outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    pub in_channels: i64,
    pub outputs: i64,
    /// The stem's (and the first fixed block's) channels.
    pub width: i64,
    /// The padded input's height and width.
    pub size: (i64, i64),
    pub layers: Vec<LayerSpec>,
    /// The channels of the 1x1 conv before pooling.
    pub head: i64,
}

/// Each stage's width as a multiple of `width`, in tenths (1.5, 2.5, 5, 6).
const STAGE_WIDTHS: [i64; 4] = [15, 25, 50, 60];

/// `x` rounded to a multiple of 8 (at least 8), as MobileNet widths are.
fn round8(x: i64) -> i64 {
    ((x + 4) / 8 * 8).max(8)
}

impl Layout {
    /// The layout for images of `in_channels` x `size`, `outputs` classes or targets, stem width
    /// `width` and `per_stage` searchable layers in each of the 4 stages.
    pub fn new(
        in_channels: i64,
        size: (i64, i64),
        outputs: i64,
        width: i64,
        per_stage: usize,
    ) -> Layout {
        let reductions = reductions(size);
        let m = 1i64 << reductions;
        let pad = |s: i64| (s + m - 1) / m * m;
        let mut cur = (pad(size.0), pad(size.1));
        let padded = cur;
        let mut c = width;
        let mut layers = vec![];
        for (stage, tenths) in STAGE_WIDTHS.iter().enumerate() {
            let c_out = round8(width * tenths / 10);
            for i in 0..per_stage {
                let stride = if i == 0 && stage < reductions { 2 } else { 1 };
                layers.push(LayerSpec {
                    c_in: c,
                    c_out,
                    stride,
                    size: cur,
                });
                if stride == 2 {
                    cur = (cur.0 / 2, cur.1 / 2);
                }
                c = c_out;
            }
        }
        Layout {
            in_channels,
            outputs,
            width,
            size: padded,
            layers,
            head: round8(width * 8),
        }
    }
}

/// How many stages halve the image: as many as keep its smaller side at 4 pixels or more, at
/// most 3 (a 28x28 image: 2, to 7x7; 32x32: 3, to 4x4; 8x8: 1).
pub fn reductions((h, w): (i64, i64)) -> usize {
    let mut side = h.min(w);
    let mut r = 0;
    while r < 3 && side / 2 >= 4 {
        side = (side + 1) / 2;
        r += 1;
    }
    r
}

/// What a ProxylessNAS search finds (`architecture.json`): the layout's stem width and layers
/// per stage (with a dataset's image and outputs they make the `Layout`), and each searchable
/// layer's block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    pub width: i64,
    pub per_stage: usize,
    pub choices: Vec<Choice>,
}

impl Architecture {
    /// The layout for images of `in_channels` x `size` and `outputs` classes or targets; an
    /// error when the choices do not fit it (their count, or a zero op where no residual is).
    pub fn layout(
        &self,
        in_channels: i64,
        size: (i64, i64),
        outputs: i64,
    ) -> Result<Layout, String> {
        let layout = Layout::new(in_channels, size, outputs, self.width, self.per_stage);
        if layout.layers.len() != self.choices.len() {
            return Err(format!(
                "{} blocks for a network of {} searchable layers (4 stages of {})",
                self.choices.len(),
                layout.layers.len(),
                self.per_stage
            ));
        }
        for (i, (spec, choice)) in layout.layers.iter().zip(&self.choices).enumerate() {
            if !spec.candidates().contains(choice) {
                return Err(format!(
                    "layer {i} cannot be {choice}: it changes the width or the size, so it has no residual to keep"
                ));
            }
        }
        Ok(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_and_write_their_names() {
        let arch = Architecture {
            width: 16,
            per_stage: 1,
            choices: vec![
                Choice::MbConv {
                    expand: 6,
                    kernel: 5,
                },
                Choice::Zero,
            ],
        };
        let text = serde_json::to_string(&arch).unwrap();
        assert_eq!(
            text,
            r#"{"width":16,"per_stage":1,"choices":["mb6_k5","zero"]}"#
        );
        assert_eq!(serde_json::from_str::<Architecture>(&text).unwrap(), arch);
        let e = serde_json::from_str::<Architecture>(
            r#"{"width":16,"per_stage":1,"choices":["mb4_k3"]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown block \"mb4_k3\"; one of mb3_k3"), "{e}");
        // 28x28: 4 layers at one a stage; the first layer halves the size, so it cannot be zero.
        assert!(arch
            .layout(1, (28, 28), 10)
            .unwrap_err()
            .contains("2 blocks for a network of 4"));
        let zero_first = Architecture {
            choices: vec![Choice::Zero; 4],
            ..arch
        };
        assert!(zero_first
            .layout(1, (28, 28), 10)
            .unwrap_err()
            .starts_with("layer 0 cannot be zero"));
    }

    #[test]
    fn the_layout_scales_with_the_image() {
        assert_eq!(reductions((28, 28)), 2);
        assert_eq!(reductions((32, 32)), 3);
        assert_eq!(reductions((8, 8)), 1);
        assert_eq!(reductions((5, 40)), 0);
        let l = Layout::new(1, (28, 28), 10, 16, 2);
        assert_eq!(l.size, (28, 28));
        let widths: Vec<i64> = l.layers.iter().map(|s| s.c_out).collect();
        assert_eq!(widths, [24, 24, 40, 40, 80, 80, 96, 96]);
        let strides: Vec<i64> = l.layers.iter().map(|s| s.stride).collect();
        assert_eq!(strides, [2, 1, 2, 1, 1, 1, 1, 1]);
        assert_eq!(l.layers[2].size, (14, 14));
        assert_eq!(l.layers[7].size, (7, 7));
        assert_eq!(l.head, 128);
        // The first layer of a stage changes the width: no zero op there.
        assert_eq!(l.layers[0].candidates().len(), 6);
        assert_eq!(l.layers[1].candidates().len(), 7);
        assert_eq!(l.layers[4].candidates().len(), 6);
        // An odd size is padded so every halving is exact.
        assert_eq!(Layout::new(3, (27, 30), 2, 8, 1).size, (28, 32));
    }
}
