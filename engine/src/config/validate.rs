//! Range checks on a whole config: each key against its range (`ranges`), and the checks that
//! need two keys.
use super::ranges::*;
use super::{FieldError, SearchConfig, StrategyKind};
use crate::bounds::{End, FloatRange, IntRange};
use crate::ops::Primitive;

impl SearchConfig {
    /// Range checks on every key (the ranges and their reasons are the constants below).
    pub fn validate(&self) -> Vec<FieldError> {
        let int = |r: &IntRange, v: usize| r.check(v as i128);
        let skip_cap = IntRange {
            max: (self.nodes as u64).saturating_mul(2),
            ..MAX_SKIP_CONNECTS
        };
        let lr_min = FloatRange {
            // Against the schedule's start when that is a number (else it alone is reported).
            max: End::Incl(if self.w_lr.is_finite() {
                self.w_lr
            } else {
                f64::MAX
            }),
            ..W_LR_MIN
        };
        let mut e: Vec<FieldError> = [
            int(&EPOCHS, self.epochs),
            int(&BATCH_SIZE, self.batch_size),
            self.max_steps_per_epoch
                .and_then(|m| int(&MAX_STEPS_PER_EPOCH, m)),
            int(&LAYERS, self.layers),
            INIT_CHANNELS.check(i128::from(self.init_channels)),
            int(&NODES, self.nodes),
            self.max_skip_connects.and_then(|m| int(&skip_cap, m)),
            SEED.check(i128::from(self.seed)),
            W_LR.check(self.w_lr),
            lr_min.check(self.w_lr_min),
            W_MOMENTUM.check(self.w_momentum),
            W_WEIGHT_DECAY.check(self.w_weight_decay),
            ALPHA_LR.check(self.alpha_lr),
            ALPHA_WEIGHT_DECAY.check(self.alpha_weight_decay),
            GRAD_CLIP.check(self.grad_clip),
            ARCH_FRACTION.check(self.arch_fraction),
            int(&PC_K, self.pc_k),
            int(&PT_TUNE_STEPS, self.pt_tune_steps),
            int(&PT_EVAL_SAMPLES, self.pt_eval_samples),
            int(&WARMUP_EPOCHS, self.warmup_epochs),
            GDAS_TAU.check(self.gdas_tau_max),
            FloatRange {
                key: "gdas_tau_min",
                ..GDAS_TAU
            }
            .check(self.gdas_tau_min),
            BETA_LAMBDA.check(self.beta_lambda),
            int(&PER_STAGE, self.per_stage),
            self.latency_target_ms
                .and_then(|t| LATENCY_TARGET_MS.check(t)),
            LATENCY_BETA.check(self.latency_beta),
            LATENCY_LAMBDA.check(self.latency_lambda),
            int(&ENAS_CONTROLLER_STEPS, self.enas_controller_steps),
            int(&ENAS_SAMPLES, self.enas_samples),
            ENAS_CONTROLLER_LR.check(self.enas_controller_lr),
            ENAS_ENTROPY_WEIGHT.check(self.enas_entropy_weight),
            ENAS_BASELINE_DECAY.check(self.enas_baseline_decay),
            self.seconds.and_then(|s| SECONDS.check(s)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.strategy == StrategyKind::PcDarts
            && self.pc_k > 0
            && self.init_channels % self.pc_k as i64 != 0
        {
            e.push(FieldError::new(
                "pc_k",
                format!(
                    "{} does not divide init_channels ({}): every edge's channels must split into pc_k equal groups",
                    self.pc_k, self.init_channels
                ),
            ));
        }
        if self.warmup_epochs >= self.epochs && self.warmup_epochs > 0 {
            e.push(FieldError::new(
                "warmup_epochs",
                format!(
                    "{} leaves no epoch of the {} for the architecture weights to learn in; use fewer",
                    self.warmup_epochs, self.epochs
                ),
            ));
        }
        if self.seconds.is_some() && !self.strategy.is_darts_family() {
            e.push(FieldError::new(
                "seconds",
                "a time budget plans the DARTS family's searches (darts, pc-darts, gdas); enas and proxyless count epochs: give epochs instead",
            ));
        }
        if self.gdas_tau_min > self.gdas_tau_max {
            e.push(FieldError::new(
                "gdas_tau_min",
                format!(
                    "{} is above gdas_tau_max ({}): the temperature anneals from max down to min",
                    self.gdas_tau_min, self.gdas_tau_max
                ),
            ));
        }
        let mut unique = self.primitives.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != self.primitives.len() {
            e.push(FieldError::new("primitives", "lists an op twice"));
        }
        if !self.primitives.iter().any(|p| *p != Primitive::None) {
            e.push(FieldError::new(
                "primitives",
                "needs at least one op besides none",
            ));
        }
        if let Err(msg) = crate::device::parse(&self.device) {
            e.push(FieldError::new("device", msg));
        }
        e
    }
}
