//! The search configuration: one flat serde struct whose keys the CLI, the server's API and its
//! form share. Precedence: preset < config file < flags; validation names every bad key.
mod kinds;
mod ranges;
mod resolve;
pub mod schema;
mod validate;

use crate::ops::Primitive;
pub use kinds::*;
pub use ranges::{SEARCH_INTS, SECONDS};
pub use resolve::flag_value;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    pub preset: Preset,
    pub epochs: usize,
    pub batch_size: usize,
    /// null: every batch of the epoch.
    pub max_steps_per_epoch: Option<usize>,
    pub layers: usize,
    pub init_channels: i64,
    pub nodes: usize,
    pub primitives: Vec<Primitive>,
    /// `darts`, `pc-darts`, `gdas`, `enas` or `proxyless`. Configs written before strategies existed
    /// mean `darts`.
    #[serde(default)]
    pub strategy: StrategyKind,
    /// PC-DARTS: each edge's ops see 1/pc_k of its channels (the paper's K = 4).
    #[serde(default = "default_pc_k")]
    pub pc_k: usize,
    /// GDAS: the Gumbel-softmax temperature, annealed linearly from max to min over the epochs.
    #[serde(default = "default_tau_max")]
    pub gdas_tau_max: f64,
    #[serde(default = "default_tau_min")]
    pub gdas_tau_min: f64,
    /// The first epochs train only the weights, the alphas frozen (PC-DARTS's warm-up).
    #[serde(default)]
    pub warmup_epochs: usize,
    pub order: Order,
    pub w_optimizer: WOptimizer,
    pub w_lr: f64,
    pub w_lr_min: f64,
    pub w_momentum: f64,
    pub w_weight_decay: f64,
    pub alpha_lr: f64,
    pub alpha_weight_decay: f64,
    /// `none` or `beta` (beta-DARTS).
    #[serde(default)]
    pub alpha_reg: AlphaReg,
    /// beta-DARTS: lambda at the end of the search, rising linearly from 0.
    #[serde(default = "default_beta_lambda")]
    pub beta_lambda: f64,
    pub grad_clip: f64,
    /// Share of the train split the architecture weights learn on when the dataset has no
    /// validation split.
    pub arch_fraction: f64,
    /// P-DARTS cap on skip connections in the normal cell; null: no cap.
    pub max_skip_connects: Option<usize>,
    /// `argmax` or `perturbation` (DARTS-PT).
    #[serde(default)]
    pub selection: SelectionKind,
    /// Perturbation: weight steps (at w_lr / 10) that fine-tune the supernet after each decision.
    #[serde(default = "default_pt_tune_steps")]
    pub pt_tune_steps: usize,
    /// Perturbation: samples of the architecture part each removal is scored on.
    #[serde(default = "default_pt_eval_samples")]
    pub pt_eval_samples: usize,
    /// ProxylessNAS: searchable layers in each of its 4 stages (the width is `init_channels`).
    #[serde(default = "default_per_stage")]
    pub per_stage: usize,
    /// ProxylessNAS: the batch-1 latency aimed at on the search's device, milliseconds; null:
    /// accuracy alone.
    #[serde(default)]
    pub latency_target_ms: Option<f64>,
    /// ProxylessNAS: `add` or `mul_log` (`LatencyLoss`).
    #[serde(default)]
    pub latency_loss: LatencyLoss,
    /// ProxylessNAS, `mul_log`: the exponent beta.
    #[serde(default = "default_latency_beta")]
    pub latency_beta: f64,
    /// ProxylessNAS, `add`: the weight lambda of the relative excess latency.
    #[serde(default = "default_latency_lambda")]
    pub latency_lambda: f64,
    /// ENAS: the controller's Adam learning rate (the reference's 0.0035).
    #[serde(default = "default_enas_controller_lr")]
    pub enas_controller_lr: f64,
    /// ENAS: REINFORCE steps of the controller after each epoch of the shared weights.
    #[serde(default = "default_enas_controller_steps")]
    pub enas_controller_steps: usize,
    /// ENAS: the entropy bonus's weight (the reference's 1e-4).
    #[serde(default = "default_enas_entropy_weight")]
    pub enas_entropy_weight: f64,
    /// ENAS: the baseline's moving-average decay (the reference's 0.99).
    #[serde(default = "default_enas_baseline_decay")]
    pub enas_baseline_decay: f64,
    /// ENAS: sampled cells the final one is the best of, on the validation part.
    #[serde(default = "default_enas_samples")]
    pub enas_samples: usize,
    /// Wall-clock seconds the search may take; null: the epochs. With seconds, `epochs` is
    /// the most it runs: after the first epoch the search plans as many as fit (the schedules
    /// end with the last of them).
    #[serde(default)]
    pub seconds: Option<f64>,
    pub loss: LossKind,
    pub seed: u64,
    /// `auto` (CUDA when present), `cpu`, `cuda` or `cuda:N`.
    pub device: String,
}

fn default_pc_k() -> usize {
    4
}

fn default_tau_max() -> f64 {
    10.0
}

fn default_tau_min() -> f64 {
    0.1
}

fn default_pt_tune_steps() -> usize {
    5
}

fn default_pt_eval_samples() -> usize {
    256
}

fn default_beta_lambda() -> f64 {
    50.0
}

fn default_per_stage() -> usize {
    2
}

/// The reference's `--grad_reg_loss_beta` (mit-han-lab/proxylessnas search/imagenet_arch_search.py).
fn default_latency_beta() -> f64 {
    0.3
}

/// melodyguan/enas `scripts/cifar10_micro_search.sh`: controller_lr, entropy weight, bl_dec.
fn default_enas_controller_lr() -> f64 {
    0.0035
}

fn default_enas_controller_steps() -> usize {
    10
}

fn default_enas_entropy_weight() -> f64 {
    1e-4
}

fn default_enas_baseline_decay() -> f64 {
    0.99
}

fn default_enas_samples() -> usize {
    20
}

/// The reference's `--grad_reg_loss_lambda`.
fn default_latency_lambda() -> f64 {
    0.1
}

/// A bad key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}
