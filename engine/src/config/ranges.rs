//! The ranges of the search config's numeric keys, each with the reason for its bound
//! (`crate::bounds` checks them).
use crate::bounds::{End, FloatRange, IntRange, MAX_NODES, MAX_SEED, SEED_WHY};

/// The search's integer keys, checked in JSON by `resolve` and on the struct by `validate`.
/// `max_skip_connects` is checked here against the most nodes any cell may have and in
/// `validate` against the config's own `nodes`.
pub const SEARCH_INTS: [IntRange; 15] = [
    ENAS_CONTROLLER_STEPS,
    ENAS_SAMPLES,
    PER_STAGE,
    PT_TUNE_STEPS,
    PT_EVAL_SAMPLES,
    PC_K,
    WARMUP_EPOCHS,
    EPOCHS,
    BATCH_SIZE,
    MAX_STEPS_PER_EPOCH,
    LAYERS,
    INIT_CHANNELS,
    NODES,
    MAX_SKIP_CONNECTS,
    SEED,
];

pub(super) const EPOCHS: IntRange = IntRange {
    key: "epochs",
    min: 1,
    max: 1000,
    below: "",
    above: "a longer search runs for weeks, and DARTS collapses into skip connections long before; the DARTS paper searches for 50",
};
pub(super) const BATCH_SIZE: IntRange = IntRange {
    key: "batch_size",
    min: 1,
    max: 4096,
    below: "",
    above: "a larger batch of supernet activations does not fit in memory on any current GPU; the DARTS paper searches with 64",
};
pub(super) const MAX_STEPS_PER_EPOCH: IntRange = IntRange {
    key: "max_steps_per_epoch",
    min: 1,
    max: 1_000_000,
    below: "use null for every batch of the epoch",
    above: "an epoch that long never ends (a million steps of the DARTS paper's batch are 64 million images); use null for every batch",
};
pub(super) const LAYERS: IntRange = IntRange {
    key: "layers",
    min: 1,
    max: 30,
    below: "",
    above:
        "deeper supernets do not fit in memory on any current GPU; the DARTS paper searches with 8",
};
pub(super) const INIT_CHANNELS: IntRange = IntRange {
    key: "init_channels",
    min: 1,
    max: 256,
    below: "",
    above:
        "wider supernets do not fit in memory on any current GPU; the DARTS paper searches with 16",
};
pub(super) const NODES: IntRange = IntRange {
    key: "nodes",
    min: 1,
    max: MAX_NODES as u64,
    below: "",
    above: "a cell of n nodes has n(n+3)/2 edges, each holding every op (44 at 8); the DARTS paper uses 4",
};
pub(super) const MAX_SKIP_CONNECTS: IntRange = IntRange {
    key: "max_skip_connects",
    min: 0,
    max: 2 * MAX_NODES as u64,
    below: "",
    above:
        "a cell has two ops per node (2 x nodes), so a larger cap caps nothing; use null for no cap",
};
pub(super) const SEED: IntRange = IntRange {
    key: "seed",
    min: 0,
    max: MAX_SEED,
    below: "",
    above: SEED_WHY,
};
pub(super) const PT_TUNE_STEPS: IntRange = IntRange {
    key: "pt_tune_steps",
    min: 0,
    max: 10_000,
    below: "",
    above: "each of the 2 x (edges + nodes) decisions would fine-tune for longer than most searches run",
};
pub(super) const PT_EVAL_SAMPLES: IntRange = IntRange {
    key: "pt_eval_samples",
    min: 1,
    max: 100_000,
    below: "",
    above: "every removal of every op is scored on them (hundreds of passes); a few hundred rank the ops",
};
pub(super) const PC_K: IntRange = IntRange {
    key: "pc_k",
    min: 1,
    max: 16,
    below: "",
    above: "the ops would see under a sixteenth of the channels (one of the 16 at the paper's width); the PC-DARTS paper uses 4",
};
pub(super) const WARMUP_EPOCHS: IntRange = IntRange {
    key: "warmup_epochs",
    min: 0,
    max: 1000,
    below: "",
    above: "it must stay below epochs, which stops at 1000; PC-DARTS warms up for 15 of 50",
};
/// Both GDAS temperatures (`gdas_tau_min` reuses it under its own key).
pub(super) const GDAS_TAU: FloatRange = FloatRange {
    key: "gdas_tau_max",
    min: End::Excl(0.0),
    max: End::Incl(100.0),
    below: "the softmax divides by the temperature",
    above: "a hotter softmax is uniform to float precision; GDAS anneals from 10 to 0.1",
};
pub(super) const BETA_LAMBDA: FloatRange = FloatRange {
    key: "beta_lambda",
    min: End::Incl(0.0),
    max: End::Incl(1000.0),
    below: "a negative weight would reward large alphas",
    above: "the penalty would outweigh the validation loss entirely; beta-DARTS uses 50",
};
pub(super) const W_LR: FloatRange = FloatRange {
    key: "w_lr",
    min: End::Excl(0.0),
    max: End::Incl(10.0),
    below: "",
    above: "no sensible schedule starts above 10 (it is a slip of the keyboard); the DARTS paper uses 0.025 (SGD), the default preset 0.001 (Adam)",
};
/// Its upper end is the config's `w_lr`.
pub(super) const W_LR_MIN: FloatRange = FloatRange {
    key: "w_lr_min",
    min: End::Incl(0.0),
    max: End::Incl(10.0),
    below: "",
    above: "the cosine schedule anneals from w_lr down to w_lr_min, so it cannot exceed w_lr",
};
pub(super) const W_MOMENTUM: FloatRange = FloatRange {
    key: "w_momentum",
    min: End::Incl(0.0),
    max: End::Excl(1.0),
    below: "",
    above:
        "a momentum of 1 or more never forgets a gradient and diverges; the DARTS paper uses 0.9",
};
pub(super) const W_WEIGHT_DECAY: FloatRange = FloatRange {
    key: "w_weight_decay",
    min: End::Incl(0.0),
    max: End::Incl(1.0),
    below: "",
    above: "a larger decay outweighs every gradient and drives the weights to zero; the DARTS paper uses 3e-4",
};
pub(super) const ALPHA_LR: FloatRange = FloatRange {
    key: "alpha_lr",
    min: End::Excl(0.0),
    max: End::Incl(10.0),
    below: "",
    above: "no sensible architecture step is that large (it is a slip of the keyboard); the DARTS paper uses 3e-4, the default preset 0.01",
};
pub(super) const ALPHA_WEIGHT_DECAY: FloatRange = FloatRange {
    key: "alpha_weight_decay",
    min: End::Incl(0.0),
    max: End::Incl(1.0),
    below: "",
    above: "a larger decay pins the architecture weights at zero; the DARTS paper uses 1e-3",
};
/// Any finite positive norm: a very large one just never clips.
pub(super) const GRAD_CLIP: FloatRange = FloatRange {
    key: "grad_clip",
    min: End::Excl(0.0),
    max: End::Incl(f64::MAX),
    below: "a norm of 0 would zero every step; the DARTS paper clips at 5",
    above: "",
};
pub(super) const ARCH_FRACTION: FloatRange = FloatRange {
    key: "arch_fraction",
    min: End::Excl(0.0),
    max: End::Excl(1.0),
    below: "the architecture weights need samples to learn on",
    above: "the network weights need samples to learn on",
};
pub(super) const PER_STAGE: IntRange = IntRange {
    key: "per_stage",
    min: 1,
    max: 8,
    below: "",
    above: "32 searchable layers are more than ProxylessNAS's ImageNet network has (21); the reference searches 4 a stage",
};
/// Any positive time a network could take; beyond an hour a batch of one is no target.
pub(super) const LATENCY_TARGET_MS: FloatRange = FloatRange {
    key: "latency_target_ms",
    min: End::Excl(0.0),
    max: End::Incl(3_600_000.0),
    below: "a network takes some time; use null for accuracy alone",
    above: "an hour for one image is no target; use null for accuracy alone",
};
pub(super) const LATENCY_BETA: FloatRange = FloatRange {
    key: "latency_beta",
    min: End::Excl(0.0),
    max: End::Incl(10.0),
    below: "the exponent weighs the latency; 0 would drop it (use null latency_target_ms)",
    above: "the latency ratio's power would swamp the loss; the reference uses 0.3",
};
pub(super) const LATENCY_LAMBDA: FloatRange = FloatRange {
    key: "latency_lambda",
    min: End::Incl(0.0),
    max: End::Incl(100.0),
    below: "a negative weight would reward slow networks",
    above: "the latency term would outweigh the loss entirely; the reference uses 0.1",
};
pub(super) const ENAS_CONTROLLER_STEPS: IntRange = IntRange {
    key: "enas_controller_steps",
    min: 0,
    max: 100_000,
    below: "",
    above: "each step scores a sampled cell on a validation batch: more steps than this take longer than the epochs",
};
pub(super) const ENAS_SAMPLES: IntRange = IntRange {
    key: "enas_samples",
    min: 1,
    max: 10_000,
    below: "the search ends with the best of at least one sampled cell",
    above: "each cell is scored on up to 256 validation samples; a few tens rank them",
};
pub(super) const ENAS_CONTROLLER_LR: FloatRange = FloatRange {
    key: "enas_controller_lr",
    min: End::Excl(0.0),
    max: End::Incl(10.0),
    below: "the controller learns nothing at 0",
    above: "no sensible Adam step is that large; the reference uses 0.0035",
};
pub(super) const ENAS_ENTROPY_WEIGHT: FloatRange = FloatRange {
    key: "enas_entropy_weight",
    min: End::Incl(0.0),
    max: End::Incl(10.0),
    below: "a negative weight would reward a controller that stops exploring",
    above: "the bonus would outweigh the reward; the reference uses 1e-4",
};
pub(super) const ENAS_BASELINE_DECAY: FloatRange = FloatRange {
    key: "enas_baseline_decay",
    min: End::Incl(0.0),
    max: End::Excl(1.0),
    below: "",
    above: "at 1 the baseline never moves from the first reward; the reference uses 0.99",
};
/// A search's or a training's wall-clock seconds.
pub const SECONDS: FloatRange = FloatRange {
    key: "seconds",
    min: End::Excl(0.0),
    max: End::Incl(30.0 * 24.0 * 3600.0),
    below: "a search needs some time; use null to count epochs instead",
    above: "a month is the most a run may be given",
};
