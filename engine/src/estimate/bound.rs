//! What a search needs at least, from the shapes alone, before anything is built: the
//! supernet's weights and a lower bound of its memory (cells walked analytically; ProxylessNAS's
//! layers by `proxyless::cost`), so that what cannot fit is refused at once.
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::network::{NetShape, STEM_MULTIPLIER};
use crate::ops::Primitive;
use crate::proxyless::space::Layout;
use serde::Serialize;

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
    (!crate::method::of(cfg.strategy).finds_cell()).then(|| {
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
