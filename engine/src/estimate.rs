//! What a search will cost before it starts: parameters, peak memory and seconds per epoch,
//! measured by a few real steps at two small batch sizes and extrapolated linearly in the batch
//! size (memory and step time both grow about linearly with it). Run in a process of its own:
//! the memory figures are that process's resident set. The epoch time includes the evaluation
//! pass over the architecture part.
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::events::peak_rss_bytes;
use crate::network::NetShape;
use crate::search::{parts, SearchError};
use crate::searcher::{Loss, Searcher};
use serde::Serialize;
use std::time::Instant;
use tch::Device;

#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub weights: i64,
    pub alphas: i64,
    pub batch_size: usize,
    pub steps_per_epoch: usize,
    /// The batch sizes measured.
    pub probe_batches: [usize; 2],
    /// One weight step plus one architecture step at the configured batch size.
    pub step_seconds: f64,
    pub seconds_per_epoch: f64,
    /// Peak memory of a process running the search on its device (resident memory on the CPU,
    /// the process's GPU memory on CUDA), bytes.
    pub memory_bytes: u64,
    pub device: String,
}

/// (seconds per weight+alpha step, peak RSS after) at batch `b`: one warm-up and two timed steps.
fn probe(
    s: &mut Searcher,
    data: &Dataset,
    idx: (&[i64], &[i64]),
    b: usize,
    stats: &crate::data::Stats,
    device: Device,
    memory: &dyn Fn(Device) -> u64,
) -> (f64, u64) {
    let (xt, yt) = data.batch(&idx.0[..b.min(idx.0.len())], stats, device);
    let (xv, yv) = data.batch(&idx.1[..b.min(idx.1.len())], stats, device);
    let mut times = vec![];
    for i in 0..3 {
        let t = Instant::now();
        let _ = s.weight_step(&xt, &yt);
        s.alpha_step((&xt, &yt), (&xv, &yv), None);
        if let Device::Cuda(n) = device {
            tch::Cuda::synchronize(n as i64);
        }
        if i > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    (
        times.iter().sum::<f64>() / times.len() as f64,
        memory(device),
    )
}

/// The peak resident memory of this process: what a CPU search needs.
pub fn cpu_memory(_: Device) -> u64 {
    peak_rss_bytes()
}

/// `memory` reads the memory in use on the device after each probe (`cpu_memory` for the CPU;
/// the caller supplies a reading for a GPU, which libtorch's C API does not report).
pub fn estimate(
    data: &Dataset,
    cfg: &SearchConfig,
    memory: &dyn Fn(Device) -> u64,
) -> Result<Estimate, SearchError> {
    let errors = cfg.validate();
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    let bad = |field: &str, message: String| {
        SearchError::Config(vec![crate::config::FieldError {
            field: field.into(),
            message,
        }])
    };
    let device = crate::device::parse(&cfg.device).map_err(|m| bad("device", m))?;
    let loss = Loss::resolve(cfg.loss, data.task).map_err(|m| bad("loss", m))?;
    let p = parts(data, cfg)?;
    let shape = NetShape {
        in_channels: data.image_shape().0,
        outputs: data.outputs(),
        init_channels: cfg.init_channels,
        layers: cfg.layers,
    };
    let mut s = Searcher::new(&shape, cfg, loss, device);
    let b = cfg.batch_size;
    let small = p.weights.len().min(p.arch.len()).max(1);
    let b2 = b.min(8).min(small).max(1);
    let b1 = (b2 / 2).max(1);
    let idx = (p.weights.as_slice(), p.arch.as_slice());
    let (t1, m1) = probe(&mut s, data, idx, b1, &p.stats, device, memory);
    let (t2, m2) = probe(&mut s, data, idx, b2, &p.stats, device, memory);
    let per = |v1: f64, v2: f64| {
        if b2 > b1 {
            (v2 - v1).max(0.0) / (b2 - b1) as f64
        } else {
            0.0
        }
    };
    let step_seconds = t2 + per(t1, t2) * (b as f64 - b2 as f64);
    let memory = m2 as f64 + per(m1 as f64, m2 as f64) * (b as f64 - b2 as f64);
    let steps_all = p.weights.len().div_ceil(b).min(p.arch.len().div_ceil(b));
    let steps = cfg
        .max_steps_per_epoch
        .map_or(steps_all, |m| m.min(steps_all));
    // Each epoch ends by evaluating the architecture part: forward passes only.
    let (xv, _) = data.batch(&p.arch[..b2.min(p.arch.len())], &p.stats, device);
    let t = Instant::now();
    let _ = s.predict(&xv);
    let eval_seconds = t.elapsed().as_secs_f64() / b2 as f64 * p.arch.len() as f64;
    Ok(Estimate {
        weights: crate::count_weights(&s.weights_vs),
        alphas: s.alphas.normal.numel() as i64 + s.alphas.reduce.numel() as i64,
        batch_size: b,
        steps_per_epoch: steps,
        probe_batches: [b1, b2],
        step_seconds,
        seconds_per_epoch: step_seconds * steps as f64 + eval_seconds,
        memory_bytes: memory.max(m2 as f64) as u64,
        device: crate::device::describe(device),
    })
}
