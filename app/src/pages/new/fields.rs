//! The form's fields: every search config key /new shows, its label, kind and help text.

#[derive(Clone, Copy)]
pub enum Kind {
    /// A number.
    Number,
    /// A number or empty (null).
    Optional,
    Choice(&'static [&'static str]),
    Device,
}

/// Every config key but `preset` and `primitives`, in the order the form shows them.
pub const FIELDS: [(&str, &str, Kind); 41] = [
    (
        "strategy",
        "Search strategy",
        Kind::Choice(&["darts", "pc-darts", "gdas", "enas", "proxyless"]),
    ),
    (
        "enas_controller_steps",
        "Controller steps per epoch (ENAS)",
        Kind::Number,
    ),
    (
        "enas_controller_lr",
        "Controller learning rate (ENAS)",
        Kind::Number,
    ),
    (
        "enas_entropy_weight",
        "Entropy bonus weight (ENAS)",
        Kind::Number,
    ),
    (
        "enas_baseline_decay",
        "Reward baseline decay (ENAS)",
        Kind::Number,
    ),
    (
        "enas_samples",
        "Final cell: best of N sampled (ENAS)",
        Kind::Number,
    ),
    (
        "latency_target_ms",
        "Latency target, ms per image (ProxylessNAS; empty: none)",
        Kind::Optional,
    ),
    (
        "latency_loss",
        "How latency enters the loss (ProxylessNAS)",
        Kind::Choice(&["add", "mul_log"]),
    ),
    (
        "latency_lambda",
        "Latency weight lambda (add)",
        Kind::Number,
    ),
    (
        "latency_beta",
        "Latency exponent beta (mul_log)",
        Kind::Number,
    ),
    ("per_stage", "Layers per stage (ProxylessNAS)", Kind::Number),
    ("pc_k", "PC-DARTS channel share 1/K", Kind::Number),
    (
        "gdas_tau_max",
        "GDAS temperature at the start",
        Kind::Number,
    ),
    ("gdas_tau_min", "GDAS temperature at the end", Kind::Number),
    (
        "warmup_epochs",
        "Warm-up epochs (alphas frozen)",
        Kind::Number,
    ),
    (
        "alpha_reg",
        "Architecture regulariser",
        Kind::Choice(&["none", "beta"]),
    ),
    ("beta_lambda", "beta-DARTS weight at the end", Kind::Number),
    (
        "selection",
        "How the cell is chosen",
        Kind::Choice(&["argmax", "perturbation"]),
    ),
    (
        "pt_tune_steps",
        "Fine-tuning steps between decisions",
        Kind::Number,
    ),
    (
        "pt_eval_samples",
        "Validation samples per decision",
        Kind::Number,
    ),
    ("epochs", "Epochs", Kind::Number),
    (
        "max_steps_per_epoch",
        "Step cap per epoch (empty: every batch)",
        Kind::Optional,
    ),
    (
        "seconds",
        "Search time, seconds (DARTS family; empty: the epochs)",
        Kind::Optional,
    ),
    ("batch_size", "Batch size", Kind::Number),
    ("nodes", "Nodes per cell", Kind::Number),
    ("layers", "Layers (cells)", Kind::Number),
    ("init_channels", "Initial channels", Kind::Number),
    (
        "order",
        "Architecture gradient",
        Kind::Choice(&["first", "second"]),
    ),
    (
        "w_optimizer",
        "Weight optimiser",
        Kind::Choice(&["adam", "sgd"]),
    ),
    ("w_lr", "Weight learning rate", Kind::Number),
    (
        "w_lr_min",
        "Weight learning rate at the end (cosine)",
        Kind::Number,
    ),
    ("w_momentum", "Weight momentum (SGD)", Kind::Number),
    ("w_weight_decay", "Weight decay", Kind::Number),
    (
        "alpha_lr",
        "Architecture learning rate (Adam)",
        Kind::Number,
    ),
    (
        "alpha_weight_decay",
        "Architecture weight decay",
        Kind::Number,
    ),
    ("grad_clip", "Gradient clip (norm)", Kind::Number),
    (
        "arch_fraction",
        "Share of train for the architecture (no validation split)",
        Kind::Number,
    ),
    (
        "max_skip_connects",
        "Skip-connection cap, normal cell (empty: none)",
        Kind::Optional,
    ),
    ("loss", "Loss", Kind::Choice(&["auto", "ce", "mse", "mae"])),
    ("seed", "Seed", Kind::Number),
    ("device", "Device", Kind::Device),
];

/// What the less familiar keys do, shown under their fields.
pub const HELP: [(&str, &str); 16] = [
    ("enas_controller_steps", "enas only: after each epoch of the shared weights, the controller samples this many cells, scores each on a validation batch and takes a REINFORCE step (baseline: the rewards' moving average; an entropy bonus keeps it exploring)."),
    ("seconds", "Wall-clock seconds the search may take: after its first epoch it plans as many as fit, and the epochs above are the most it runs. darts, pc-darts and gdas only (enas and proxyless count epochs)."),
    ("enas_samples", "enas only: the search ends with the best of this many sampled cells on up to 256 validation samples."),
    ("strategy", "darts runs every op on every edge; pc-darts sends 1/K of the channels through the ops and weighs each edge (less memory, larger batches); gdas samples one op per edge each step (much faster steps); enas trains an LSTM controller to write cells, the supernet's weights shared by every cell it samples; proxyless searches a stack of inverted-bottleneck layers (ProxylessNAS) for accuracy against the latency measured on the device, with a binary gate per layer (one block runs per step)."),
    ("latency_target_ms", "proxyless only: the batch-1 latency you aim at on the search's device. Estimate shows how fast this space's networks can be here (its latency table, measured once per device)."),
    ("latency_loss", "add: loss + lambda x (E - T) / T presses harder the lower the target; mul_log: loss x (log E / log T)^beta, the paper's, presses about equally whatever the target."),
    ("per_stage", "proxyless only: searchable layers in each of 4 stages; the stem width is the initial channels."),
    ("pc_k", "pc-darts only: the ops see 1/K of each edge's channels; K must divide the initial channels."),
    ("gdas_tau_max", "gdas only: the Gumbel-softmax temperature, annealed linearly down to the end value."),
    ("gdas_tau_min", "gdas only: the temperature of the last epoch."),
    ("warmup_epochs", "The first epochs train only the network weights, so the architecture is judged by trained ops (PC-DARTS warms up 15 of 50)."),
    ("alpha_reg", "beta adds the beta-DARTS penalty on the alphas' logsumexp, against collapse into skip connections and a gap between supernet and final network."),
    ("beta_lambda", "beta only: the penalty's weight rises linearly from 0 to this (the paper's 50)."),
    ("selection", "argmax keeps the ops of largest alpha; perturbation (DARTS-PT) removes each op in turn and keeps the one whose removal costs the validation metric most, then the two inputs per node the same way."),
    ("pt_tune_steps", "perturbation only: weight steps that fine-tune the supernet after each decision."),
    ("pt_eval_samples", "perturbation only: how many validation samples score each removal (fewer: faster, noisier)."),
];
