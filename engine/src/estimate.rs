//! What a search will cost before it starts: parameters, peak memory and seconds per epoch,
//! measured by a few real steps at two small batch sizes and extrapolated linearly in the batch
//! size (memory and step time both grow about linearly with it). Run in a process of its own:
//! the memory figures are that process's resident set. The epoch time includes the evaluation
//! pass over the architecture part.
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::events::peak_rss_bytes;
use crate::network::{NetShape, STEM_MULTIPLIER};
use crate::ops::Primitive;
use crate::proxyless::searcher::ProxylessSearcher;
use crate::proxyless::space::Layout;
use crate::rng::Rng;
use crate::search::searcher::{Loss, Searcher};
use crate::search::{parts, SearchError};
use serde::Serialize;
use std::time::Instant;
use tch::{Device, Tensor};

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

/// (seconds per weight+alpha step, peak RSS after) at batch `b`: one warm-up and two timed steps.
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
    let (mut s, weights, alphas): (Box<dyn Probed>, i64, i64) = if cfg.strategy.searches_cells() {
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
    let b2 = b.min(8).min(small).max(1);
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
    // Each epoch ends by evaluating the architecture part: forward passes only.
    let (xv, _) = data.batch(&p.arch[..b2.min(p.arch.len())], &p.stats, device);
    let t = Instant::now();
    let _ = s.predict(&xv);
    let eval_seconds = t.elapsed().as_secs_f64() / b2 as f64 * p.arch.len() as f64;
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

/// What a search runs on, as the server knows it from a dataset's summary without loading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InputShape {
    pub channels: i64,
    pub height: i64,
    pub width: i64,
    /// Classes, or regression targets.
    pub outputs: i64,
}

impl InputShape {
    pub fn of(data: &Dataset) -> InputShape {
        let (channels, height, width) = data.image_shape();
        InputShape {
            channels,
            height,
            width,
            outputs: data.outputs(),
        }
    }
}

/// A search that cannot fit in the memory the caller has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the search needs at least {:.1} GB (its weights and the activations of one batch) but {:.1} GB is available; lower batch_size, init_channels, layers or nodes", *.needed as f64 / 1e9, *.available as f64 / 1e9)]
pub struct TooLarge {
    pub needed: u64,
    pub available: u64,
}

/// Refuses, without building anything, a search whose `lower_bound_bytes` exceeds `available`
/// bytes (the device's free memory); returns the bound when it fits. Call it before `estimate`,
/// which builds the supernet and could take minutes or exhaust the memory on such a config.
pub fn check_fits(cfg: &SearchConfig, input: &InputShape, available: u64) -> Result<u64, TooLarge> {
    let needed = lower_bound_bytes(cfg, input);
    if needed > available {
        Err(TooLarge { needed, available })
    } else {
        Ok(needed)
    }
}

/// Cells walked by the analytic counts: far past the `layers` limit (30), and a bound on the
/// work for a config that was never validated (the counts are then lower bounds).
const MAX_WALK: usize = 10_000;

/// The supernet's trainable weights for `cfg` on `input`, counted from the shapes without
/// building anything: the number `count_weights` gives for the built `Supernet` (the search's
/// batch norms are not affine, so only the stem's has weights).
pub fn supernet_weights(cfg: &SearchConfig, input: &InputShape) -> u64 {
    match layout(cfg, input) {
        Some(l) => to_u64(crate::proxyless::cost::supernet_weights(&l)),
        None => to_u64(walk(cfg, input).weights),
    }
}

/// ProxylessNAS's layout for `input` (None for a cell search). A config that was never
/// validated is walked at most 64 layers a stage and 2^20 wide: fewer and narrower layers count
/// less, so the bound stays a lower bound, and nothing overflows.
fn layout(cfg: &SearchConfig, input: &InputShape) -> Option<Layout> {
    let cap = |v: i64| v.clamp(1, 1 << 20);
    (!cfg.strategy.searches_cells()).then(|| {
        Layout::new(
            cap(input.channels),
            (cap(input.height), cap(input.width)),
            cap(input.outputs),
            cap(cfg.init_channels),
            cfg.per_stage.clamp(1, 64),
        )
    })
}

/// A lower bound of the memory, in bytes, that one weight step of the search holds at its peak
/// (the end of the forward pass), with no supernet built: 4 bytes for each weight
/// (`supernet_weights`) plus 4 bytes for each float32 that autograd must keep for the backward
/// pass, over `batch_size` images zero-padded as the supernet pads them. Only the tensors that
/// are surely kept and distinct are counted: the stem's convolution output (read by its batch
/// norm); on every edge of every cell, the ReLU of the edge's input when an op on it starts with
/// one, and the tensors each op keeps at its output size: 5 for a separable convolution
/// (depthwise and pointwise outputs twice, and the inner ReLU), 2 for a dilated convolution and
/// for conv_7x1_1x7, 1 for a pool (its non-affine batch norm reads it) and for a skip that
/// reduces (`FactorizedReduce`), none for `none` or an identity skip. Gradients, optimiser
/// state, the alpha step, the cells' preprocessing, node sums and the process's own memory
/// (libtorch, the dataset) all come on top, so the true peak is larger.
/// For ProxylessNAS, the weights of every candidate and `proxyless::cost::kept_floats`.
pub fn lower_bound_bytes(cfg: &SearchConfig, input: &InputShape) -> u64 {
    if let Some(l) = layout(cfg, input) {
        let floats = crate::proxyless::cost::supernet_weights(&l)
            .saturating_add(crate::proxyless::cost::kept_floats(&l, cfg.batch_size));
        return to_u64(floats.saturating_mul(4));
    }
    let w = walk(cfg, input);
    to_u64(w.weights.saturating_add(w.activations).saturating_mul(4))
}

/// Weights and kept activations (floats), summed over the cells.
struct Walk {
    weights: u128,
    activations: u128,
}

fn to_u64(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// The product of non-negative factors, saturating.
fn prod(xs: &[i64]) -> u128 {
    xs.iter()
        .fold(1u128, |acc, &x| acc.saturating_mul(x.max(0) as u128))
}

/// (weights, kept output-size tensors, starts with a ReLU) of one op on `c` channels.
fn op_cost(prim: Primitive, c: i64, stride: i64) -> (u128, u128, bool) {
    let dil = |k: i64| prod(&[c, k, k]).saturating_add(prod(&[c, c]));
    let sep = |k: i64| dil(k).saturating_mul(2);
    match prim {
        Primitive::None => (0, 0, false),
        Primitive::MaxPool3x3 | Primitive::AvgPool3x3 => (0, 1, false),
        Primitive::SkipConnect if stride == 1 => (0, 0, false),
        Primitive::SkipConnect => (prod(&[c, c]), 1, true),
        Primitive::SepConv3x3 => (sep(3), 5, true),
        Primitive::SepConv5x5 => (sep(5), 5, true),
        Primitive::SepConv7x7 => (sep(7), 5, true),
        Primitive::DilConv3x3 => (dil(3), 2, true),
        Primitive::DilConv5x5 => (dil(5), 2, true),
        Primitive::Conv7x1_1x7 => (prod(&[14, c, c]), 2, true),
    }
}

/// One kind of edge in a cell: `count` edges at `stride` from `c` x `size_in` pixels.
fn edges(
    primitives: &[Primitive],
    count: i64,
    c: i64,
    stride: i64,
    size_in: i64,
    size_out: i64,
) -> (u128, u128) {
    let (mut weights, mut kept, mut relu) = (0u128, 0u128, false);
    for &p in primitives {
        let (w, k, r) = op_cost(p, c, stride);
        weights = weights.saturating_add(w);
        kept = kept.saturating_add(k);
        relu |= r;
    }
    let per_edge = kept
        .saturating_mul(prod(&[c, size_out]))
        .saturating_add(if relu { prod(&[c, size_in]) } else { 0 });
    (
        weights.saturating_mul(prod(&[count])),
        per_edge.saturating_mul(prod(&[count])),
    )
}

/// The supernet's cells as `Supernet::new` lays them out (channels doubling and the feature map
/// halving at the reduction cells), counted without building them.
fn walk(cfg: &SearchConfig, input: &InputShape) -> Walk {
    let shape = NetShape {
        in_channels: input.channels,
        outputs: input.outputs,
        init_channels: cfg.init_channels,
        // Past MAX_WALK * 3 the walked cells all precede the first reduction either way; the cap
        // keeps NetShape's 2 * layers from overflowing.
        layers: cfg.layers.min(usize::MAX / 4),
    };
    let m = shape.size_multiple();
    let pad = |x: i64| (x.clamp(1, i64::MAX / 4) + m - 1) / m * m;
    let (mut h, mut w) = (pad(input.height), pad(input.width));
    let nodes = cfg.nodes.min(MAX_WALK) as i64;
    let batch = i64::try_from(cfg.batch_size).unwrap_or(i64::MAX);
    let c_stem = STEM_MULTIPLIER.saturating_mul(cfg.init_channels);
    let mut weights = prod(&[input.channels, c_stem, 9]).saturating_add(prod(&[2, c_stem]));
    let mut activations = prod(&[c_stem, h, w]);
    let (mut c_pp, mut c_p, mut c) = (c_stem, c_stem, cfg.init_channels);
    for i in 0..cfg.layers.min(MAX_WALK) {
        let reduction = shape.is_reduction(i);
        let size_in = h.saturating_mul(w);
        if reduction {
            c = c.saturating_mul(2);
            (h, w) = (h / 2, w / 2);
        }
        let size_out = h.saturating_mul(w);
        let stride = if reduction { 2 } else { 1 };
        // Each node reads both inputs, then every earlier node (at the output size).
        let (w_in, a_in) = edges(&cfg.primitives, 2 * nodes, c, stride, size_in, size_out);
        let (w_nodes, a_nodes) = edges(
            &cfg.primitives,
            nodes * (nodes - 1) / 2,
            c,
            1,
            size_out,
            size_out,
        );
        let preprocess = prod(&[c_pp, c]).saturating_add(prod(&[c_p, c]));
        weights = weights
            .saturating_add(preprocess)
            .saturating_add(w_in)
            .saturating_add(w_nodes);
        activations = activations.saturating_add(a_in).saturating_add(a_nodes);
        (c_pp, c_p) = (c_p, nodes.saturating_mul(c));
    }
    weights = weights
        .saturating_add(prod(&[c_p, input.outputs]))
        .saturating_add(prod(&[input.outputs]));
    Walk {
        weights,
        activations: activations.saturating_mul(prod(&[batch])),
    }
}
