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
    /// Batch statistics folded into the running ones as a cumulative average, the k-th batch
    /// (from 1) with momentum 1/k, as PyTorch's `momentum=None`: recalibrates the running
    /// statistics of a briefly trained network, which still lean towards their initial 0 and 1.
    Calibrate(u32),
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
            Mode::Train | Mode::Eval | Mode::Calibrate(_) => {
                (Some(&self.running_mean), Some(&self.running_var))
            }
        };
        Tensor::batch_norm(
            x,
            self.weight.as_ref(),
            self.bias.as_ref(),
            mean,
            var,
            mode.is_training(),
            match mode {
                Mode::Calibrate(k) => 1.0 / k.max(1) as f64,
                _ => 0.1,
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    /// PyTorch's `momentum=None` (torch.nn.BatchNorm2d docs: "a cumulative moving average, i.e.
    /// simple average"): after two batches the running mean is the mean of the two batch means
    /// and the running variance the mean of their unbiased variances, whatever came before.
    #[test]
    fn calibration_averages_the_batches_statistics() {
        let vs = VarStore::new(Device::Cpu);
        let bn = BatchNorm::new(&vs.root(), 3, false);
        tch::manual_seed(0);
        let before = Tensor::randn([8, 3, 2, 2], (Kind::Float, Device::Cpu)) * 5.0 + 7.0;
        let _ = bn.forward(&before, Mode::Train);
        let x1 = Tensor::randn([4, 3, 2, 2], (Kind::Float, Device::Cpu)) * 2.0 + 1.0;
        let x2 = Tensor::randn([4, 3, 2, 2], (Kind::Float, Device::Cpu)) * 0.5 - 3.0;
        let _ = bn.forward(&x1, Mode::Calibrate(1));
        let _ = bn.forward(&x2, Mode::Calibrate(2));
        let dims: &[i64] = &[0, 2, 3];
        let mean =
            (x1.mean_dim(dims, false, Kind::Float) + x2.mean_dim(dims, false, Kind::Float)) / 2.0;
        let var = (x1.var_dim(dims, true, false) + x2.var_dim(dims, true, false)) / 2.0;
        let diff = |a: &Tensor, b: &Tensor| (a - b).abs().max().double_value(&[]);
        assert!(diff(&bn.running_mean, &mean) < 1e-5, "{}", bn.running_mean);
        assert!(diff(&bn.running_var, &var) < 1e-4, "{}", bn.running_var);
    }
}
