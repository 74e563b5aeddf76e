//! What a search will cost before it starts: parameters, peak memory and seconds per epoch,
//! measured by a few real steps at the configured batch size and at half of it (batches above
//! `PROBE_MAX` are extrapolated linearly from there: memory and step time both grow about
//! linearly with the batch). Run in a process of its own: the memory figures are that process's
//! resident set. The epoch time includes the evaluation the search makes after each epoch: the
//! same validation sample (at most `search::VAL_SAMPLES`) at the same batch size (twice the
//! training batch).
//!
//! The probe batches were 8 and 4 until issue 28: a step's fixed costs dominate there, and the
//! evaluation was timed on 8 images and multiplied up to the whole architecture part, which the
//! search no longer scores (a `tiny` estimate said 257 s per epoch for epochs of 8-11 s).
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::events::peak_rss_bytes;
use crate::network::NetShape;
use crate::proxyless::searcher::ProxylessSearcher;
use crate::proxyless::space::Layout;
use crate::rng::Rng;
use crate::search::searcher::{Loss, Searcher};
use crate::search::{parts, SearchError};
use serde::Serialize;
use std::time::Instant;
use tch::{Device, Tensor};

mod bound;
pub use bound::{check_fits, lower_bound_bytes, supernet_weights, InputShape, TooLarge};

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
    /// ProxylessNAS: how fast this space's networks can be on the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpan>,
}

/// The batch-1 milliseconds of the fastest and the slowest network of a ProxylessNAS space, as
/// the device's latency table predicts them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySpan {
    pub fastest_ms: f64,
    pub slowest_ms: f64,
    /// Blocks the table lacked and the estimate measured now.
    pub measured: usize,
}

/// The span of `layout`'s networks from the device's table under `tables` (measured where it
/// lacks them, and saved back).
fn latency_span(
    layout: &Layout,
    device: Device,
    tables: Option<&std::path::Path>,
) -> Option<LatencySpan> {
    use crate::proxyless::table::{LatencyTable, TABLE_REPEATS};
    let mut table = match tables {
        Some(dir) => LatencyTable::load_or_empty(dir, device),
        None => LatencyTable::empty(device),
    };
    let measured = table.measure(layout, device, TABLE_REPEATS);
    if let (Some(dir), true) = (tables, measured > 0) {
        // Not saved: the search measures again; the estimate stands.
        let _ = table.save(dir, device);
    }
    let frame = table.frame_ms(layout)?;
    let per_layer = table.candidate_ms(layout)?;
    let sum = |pick: fn(f64, f64) -> f64, start: f64| {
        frame
            + per_layer
                .iter()
                .map(|ms| ms.iter().copied().fold(start, pick))
                .sum::<f64>()
    };
    Some(LatencySpan {
        fastest_ms: sum(f64::min, f64::INFINITY),
        slowest_ms: sum(f64::max, 0.0),
        measured,
    })
}

/// A searcher whose steps are timed: one weight step and one architecture step.
trait Probed {
    fn step(&mut self, train: (&Tensor, &Tensor), val: (&Tensor, &Tensor));
    fn predict(&self, x: &Tensor) -> Tensor;
}

impl Probed for Searcher {
    fn step(&mut self, (xt, yt): (&Tensor, &Tensor), (xv, yv): (&Tensor, &Tensor)) {
        let _ = self.weight_step(xt, yt);
        self.alpha_step((xt, yt), (xv, yv), None, 0.5);
    }
    fn predict(&self, x: &Tensor) -> Tensor {
        Searcher::predict(self, x)
    }
}

/// ProxylessNAS's steps draw their paths from a generator of their own.
struct Proxyless(ProxylessSearcher, Rng);

impl Probed for Proxyless {
    fn step(&mut self, (xt, yt): (&Tensor, &Tensor), (xv, yv): (&Tensor, &Tensor)) {
        let _ = self.0.weight_step(xt, yt, &mut self.1);
        self.0.arch_step(xv, yv, &mut self.1);
    }
    fn predict(&self, x: &Tensor) -> Tensor {
        self.0.predict(x)
    }
}

/// The largest batch a probe runs; larger batches are extrapolated from it and its half.
pub const PROBE_MAX: usize = 64;

/// (seconds per weight+alpha step, peak RSS after) at batch `b`: one warm-up and two timed
/// steps, the faster of which counts (a busy machine slows one step, rarely both).
fn probe(
    s: &mut dyn Probed,
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
        s.step((&xt, &yt), (&xv, &yv));
        if let Device::Cuda(n) = device {
            tch::Cuda::synchronize(n as i64);
        }
        if i > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    (
        times.iter().copied().fold(f64::INFINITY, f64::min),
        memory(device),
    )
}

/// The peak resident memory of this process: what a CPU search needs.
pub fn cpu_memory(_: Device) -> u64 {
    peak_rss_bytes()
}

/// `memory` reads the memory in use on the device after each probe (`cpu_memory` for the CPU;
/// the caller supplies a reading for a GPU, which libtorch's C API does not report).
/// `tables`: where the devices' latency tables are kept (ProxylessNAS's span is read there).
pub fn estimate(
    data: &Dataset,
    cfg: &SearchConfig,
    memory: &dyn Fn(Device) -> u64,
    tables: Option<&std::path::Path>,
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
    let mut latency = None;
    let (mut s, weights, alphas): (Box<dyn Probed>, i64, i64) =
        if crate::method::of(cfg.strategy).finds_cell() {
            let s = Searcher::new(&shape, cfg, loss, device);
            let weights = crate::count_weights(&s.weights_vs);
            let alphas = s.alphas.tensors().iter().map(|t| t.numel() as i64).sum();
            (Box::new(s), weights, alphas)
        } else {
            let (c, h, w) = data.image_shape();
            let layout = Layout::new(c, (h, w), shape.outputs, cfg.init_channels, cfg.per_stage);
            latency = latency_span(&layout, device, tables);
            let s = ProxylessSearcher::new(
                &layout,
                device,
                loss,
                |n| crate::search::searcher::weight_optimizer(cfg, n),
                cfg.alpha_lr,
                None,
                cfg.grad_clip,
            );
            let weights = crate::count_weights(&s.weights_vs);
            let alphas = s.alphas.iter().map(|t| t.numel() as i64).sum();
            (Box::new(Proxyless(s, Rng::new(cfg.seed))), weights, alphas)
        };
    let s = s.as_mut();
    let b = cfg.batch_size;
    let small = p.weights.len().min(p.arch.len()).max(1);
    let b2 = b.min(PROBE_MAX).min(small).max(1);
    let b1 = (b2 / 2).max(1);
    let idx = (p.weights.as_slice(), p.arch.as_slice());
    let (t1, m1) = probe(s, data, idx, b1, &p.stats, device, memory);
    let (t2, m2) = probe(s, data, idx, b2, &p.stats, device, memory);
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
    // Each epoch ends by scoring the validation sample in batches of 2b: forward passes only
    // (the faster of two timed passes after a warm-up).
    let scored = crate::search::validation_sample(&p.arch, cfg.seed);
    let eb = (2 * b).min(scored.len()).max(1);
    let (xv, _) = data.batch(&scored[..eb], &p.stats, device);
    let mut pass = f64::INFINITY;
    for i in 0..3 {
        let t = Instant::now();
        let _ = s.predict(&xv);
        if let Device::Cuda(n) = device {
            tch::Cuda::synchronize(n as i64);
        }
        if i > 0 {
            pass = pass.min(t.elapsed().as_secs_f64());
        }
    }
    let eval_seconds = pass * scored.len().div_ceil(eb) as f64;
    Ok(Estimate {
        weights,
        alphas,
        batch_size: b,
        steps_per_epoch: steps,
        probe_batches: [b1, b2],
        step_seconds,
        seconds_per_epoch: step_seconds * steps as f64 + eval_seconds,
        memory_bytes: memory.max(m2 as f64) as u64,
        device: crate::device::describe(device),
        latency,
    })
}
