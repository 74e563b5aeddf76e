use tch::nn::{self, Path};
use tch::Tensor;

/// How a forward pass treats batch normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Batch statistics, running statistics updated (a weight step).
    Train,
    /// Batch statistics, running statistics left alone (architecture steps and the extra forward
    /// passes of the unrolled gradient, which must not disturb the weights' state).
    Probe,
    /// Running statistics (evaluation and export).
    Eval,
}

impl Mode {
    pub fn is_training(self) -> bool {
        !matches!(self, Mode::Eval)
    }
}

/// `nn.BatchNorm2d` as PyTorch builds it: weight 1, bias 0 when affine; momentum 0.1, eps 1e-5.
#[derive(Debug)]
pub struct BatchNorm {
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    running_mean: Tensor,
    running_var: Tensor,
}

impl BatchNorm {
    pub fn new(p: &Path, channels: i64, affine: bool) -> Self {
        let (weight, bias) = if affine {
            (
                Some(p.ones("weight", &[channels])),
                Some(p.zeros("bias", &[channels])),
            )
        } else {
            (None, None)
        };
        BatchNorm {
            weight,
            bias,
            running_mean: p.zeros_no_train("running_mean", &[channels]),
            running_var: p.ones_no_train("running_var", &[channels]),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let (mean, var) = match mode {
            Mode::Probe => (None, None),
            Mode::Train | Mode::Eval => (Some(&self.running_mean), Some(&self.running_var)),
        };
        Tensor::batch_norm(
            x,
            self.weight.as_ref(),
            self.bias.as_ref(),
            mean,
            var,
            mode.is_training(),
            0.1,
            1e-5,
            false,
        )
    }
}

/// A square convolution without bias (every convolution in DARTS cells has none).
pub fn conv_kxk(
    p: Path,
    c_in: i64,
    c_out: i64,
    k: i64,
    stride: i64,
    padding: i64,
    dilation: i64,
    groups: i64,
) -> super::Conv {
    let cfg = nn::ConvConfig {
        stride,
        padding,
        dilation,
        groups,
        bias: false,
        ..Default::default()
    };
    super::Conv(nn::conv2d(p, c_in, c_out, k, cfg))
}

/// A rectangular convolution without bias (`conv_7x1_1x7`).
pub fn conv(
    p: Path,
    c_in: i64,
    c_out: i64,
    k: [i64; 2],
    stride: [i64; 2],
    padding: [i64; 2],
) -> super::Conv {
    let cfg = nn::ConvConfigND::<[i64; 2]> {
        stride,
        padding,
        bias: false,
        ..Default::default()
    };
    super::Conv(nn::conv(p, c_in, c_out, k, cfg))
}
