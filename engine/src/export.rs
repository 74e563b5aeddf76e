//! `model.pt`: the trained network as TorchScript, traced with its preprocessing, so it takes a
//! float32 batch [N, C, H, W] of images as the scientist has them before the import (same value
//! scale, e.g. 0-255 for 8-bit images; the size they had before the import's crop and resize),
//! applies that crop and resize and the normalisation itself, and returns logits
//! (classification) or targets in original units (regression). It loads with `torch.jit.load`
//! and `tch::CModule`.
use crate::data::{Preprocessing, Stats, Task};
use crate::nn::Mode;
use crate::retrain::net::Net;
use serde::{Deserialize, Serialize};
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

/// What `model.pt` takes and does before normalising, as `result.json` and the model card say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelInput {
    /// The (height, width) it takes; None: any size (it only resizes).
    pub size: Option<(i64, i64)>,
    /// Centre crop (height, width) applied first.
    pub crop: Option<(i64, i64)>,
    /// Then a bilinear, antialiased resize to (height, width).
    pub resize: Option<(i64, i64)>,
    /// Then rounding to whole numbers in 0-255, as the import did for 8-bit images.
    pub rounded: bool,
}

impl ModelInput {
    /// The import's crop and resize as the model can apply them to images of `stored` size.
    /// A crop of images that differed in size has no one offset a traced model could apply:
    /// that model takes the stored images.
    pub fn of(pre: &Preprocessing, stored: (i64, i64)) -> ModelInput {
        match (pre.source_size, pre.crop, pre.resize) {
            (_, None, None) => ModelInput {
                size: Some(stored),
                ..ModelInput::default()
            },
            (Some(source), crop, resize) => ModelInput {
                size: Some(source),
                crop,
                resize,
                rounded: pre.rounded,
            },
            (None, None, Some(resize)) => ModelInput {
                size: None,
                crop: None,
                resize: Some(resize),
                rounded: pre.rounded,
            },
            (None, Some(_), _) => ModelInput {
                size: Some(stored),
                ..ModelInput::default()
            },
        }
    }

    /// The traced steps: centre crop, resize, rounding.
    fn apply(&self, x: &Tensor) -> Tensor {
        let mut x = x.shallow_clone();
        if let (Some((ch, cw)), Some((h, w))) = (self.crop, self.size) {
            x = x.narrow(2, (h - ch) / 2, ch).narrow(3, (w - cw) / 2, cw);
        }
        if let Some((rh, rw)) = self.resize {
            x = x.internal_upsample_bilinear2d_aa([rh, rw], false, None, None);
            if self.rounded {
                x = x.round().clamp(0.0, 255.0);
            }
        }
        x
    }
}

/// Traces `net` on a CPU example of the model's input (channels `c`) and writes TorchScript to
/// `path`.
pub fn write_model(
    net: &Net,
    stats: &Stats,
    task: Task,
    c: i64,
    input: &ModelInput,
    stored: (i64, i64),
    path: &Path,
) -> Result<(), tch::TchError> {
    let _guard = tch::no_grad_guard();
    let (h, w) = input.size.unwrap_or(stored);
    let example = Tensor::zeros([2, c, h, w], (Kind::Float, Device::Cpu));
    let norm = Norm::new(stats, task);
    let module = CModule::create_by_tracing("Dartboard", "forward", &[example], &mut |inputs| {
        vec![norm.forward(net, &input.apply(&inputs[0]))]
    })?;
    module.save(path)
}

/// The same computation without tracing: what `model.pt` must agree with.
pub fn predict(net: &Net, stats: &Stats, task: Task, x: &Tensor) -> Tensor {
    let _guard = tch::no_grad_guard();
    Norm::new(stats, task).forward(net, x)
}
