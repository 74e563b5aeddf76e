//! `model.pt`: the trained network as TorchScript, traced with its preprocessing, so it takes a
//! float32 batch [N, C, H, W] of images as the dataset stores them (same size, same value scale,
//! e.g. 0-255 for 8-bit images), normalises them itself, and returns logits (classification) or
//! targets in original units (regression). It loads with `torch.jit.load` and `tch::CModule`.
use crate::data::{Stats, Task};
use crate::nn::Mode;
use crate::retrain::net::Net;
use std::path::Path;
use tch::{CModule, Device, Kind, Tensor};

/// The normalisation as tensors, made before tracing: a tensor made from Rust memory inside the
/// traced function would be recorded as zeros (the copy is not an op the tracer sees).
struct Norm {
    mean: Tensor,
    sd: Tensor,
    /// Regression: the targets' mean and sd, [1, R].
    targets: Option<(Tensor, Tensor)>,
}

impl Norm {
    fn new(stats: &Stats, task: Task) -> Norm {
        let t = |v: &[f64], shape: &[i64]| Tensor::from_slice(v).to_kind(Kind::Float).view(shape);
        let c = stats.channel_mean.len() as i64;
        let r = stats.target_mean.len() as i64;
        Norm {
            mean: t(&stats.channel_mean, &[1, c, 1, 1]),
            sd: t(&stats.channel_sd, &[1, c, 1, 1]),
            targets: (task == Task::Regression)
                .then(|| (t(&stats.target_mean, &[1, r]), t(&stats.target_sd, &[1, r]))),
        }
    }

    /// The traced function: normalise, forward in evaluation mode, back to original units.
    fn forward(&self, net: &Net, x: &Tensor) -> Tensor {
        let out = net
            .forward(&((x - &self.mean) / &self.sd), Mode::Eval, 0.0)
            .0;
        match &self.targets {
            None => out,
            Some((m, s)) => out * s + m,
        }
    }
}

/// Traces `net` on a CPU example of `shape` (C, H, W) and writes TorchScript to `path`.
pub fn write_model(
    net: &Net,
    stats: &Stats,
    task: Task,
    shape: (i64, i64, i64),
    path: &Path,
) -> Result<(), tch::TchError> {
    let _guard = tch::no_grad_guard();
    let (c, h, w) = shape;
    let example = Tensor::zeros([2, c, h, w], (Kind::Float, Device::Cpu));
    let norm = Norm::new(stats, task);
    let module = CModule::create_by_tracing("Dartboard", "forward", &[example], &mut |inputs| {
        vec![norm.forward(net, &inputs[0])]
    })?;
    module.save(path)
}

/// The same computation without tracing: what `model.pt` must agree with.
pub fn predict(net: &Net, stats: &Stats, task: Task, x: &Tensor) -> Tensor {
    let _guard = tch::no_grad_guard();
    Norm::new(stats, task).forward(net, x)
}
