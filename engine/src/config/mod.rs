//! The search configuration: one flat serde struct whose keys the CLI, the server's API and its
//! form share. Precedence: preset < config file < flags; validation names every bad key.
mod ranges;
pub mod schema;

use crate::bounds::{check_json, End, FloatRange, IntRange};
use crate::ops::Primitive;
pub use ranges::SEARCH_INTS;
use ranges::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    Tiny,
    Quick,
    Default,
    DartsPaper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    First,
    Second,
}

/// How the supernet is built and its edges weighted (`search::strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    /// Every op on every edge, mixed by softmax(alpha).
    #[default]
    Darts,
    /// Partial channels (1/pc_k through the ops), channel shuffle and edge normalisation.
    PcDarts,
    /// One op per edge and step, drawn by a hard Gumbel-softmax.
    Gdas,
}

/// A penalty on the architecture weights added to the architecture loss
/// (`search::regularizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlphaReg {
    #[default]
    None,
    /// beta-DARTS: lambda(t) * mean over edges of logsumexp(alpha).
    Beta,
}

/// How the final cell is read off the searched supernet (`search::selection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionKind {
    /// The strongest op per edge and the two strongest edges per node (with the skip cap).
    #[default]
    Argmax,
    /// DARTS-PT: keep what the validation metric misses most when it is removed, fine-tuning
    /// the supernet between decisions.
    Perturbation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WOptimizer {
    Sgd,
    Adam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// Cross-entropy for classification, MSE for regression.
    Auto,
    Ce,
    Mse,
    Mae,
}

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
    /// `darts`, `pc-darts` or `gdas`. Configs written before strategies existed mean `darts`.
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

impl SearchConfig {
    /// The config's keys, in order.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Preset::Default.config()) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => vec![],
        }
    }

    /// Resolves layers of overrides (a config file, then flags) on top of the preset they name
    /// (the last layer that names one wins; `default` when none does). Returns every bad key.
    pub fn resolve(layers: &[Map<String, Value>]) -> Result<SearchConfig, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut preset = Preset::Default;
        for layer in layers {
            if let Some(v) = layer.get("preset") {
                match serde_json::from_value::<Preset>(v.clone()) {
                    Ok(p) => preset = p,
                    Err(_) => errors.push(FieldError::new(
                        "preset",
                        format!("unknown preset {v}; one of tiny, quick, default, darts-paper"),
                    )),
                }
            }
        }
        let base = match serde_json::to_value(preset.config()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut merged = base.clone();
        for layer in layers {
            for (key, value) in layer {
                if key == "preset" {
                    continue;
                }
                if !base.contains_key(key) {
                    let hint = schema::suggest(key, schema::SEARCH)
                        .map(|k| format!(" (did you mean {k}?)"))
                        .unwrap_or_default();
                    errors.push(FieldError::new(key, format!("unknown config key{hint}")));
                    continue;
                }
                // A number outside an integer key's range (or a float such as 1e18) is refused
                // before serde, which would name Rust types or cast.
                if let Some(err) = check_json(&SEARCH_INTS, key, value) {
                    errors.push(err);
                    continue;
                }
                // Check the key alone against the preset so each bad value is named.
                let mut probe = base.clone();
                probe.insert(key.clone(), value.clone());
                match serde_json::from_value::<SearchConfig>(Value::Object(probe)) {
                    Ok(_) => {
                        merged.insert(key.clone(), value.clone());
                    }
                    Err(e) => errors.push(FieldError::new(key, strip_position(&e.to_string()))),
                }
            }
        }
        let cfg = match serde_json::from_value::<SearchConfig>(Value::Object(merged)) {
            Ok(cfg) => cfg,
            Err(e) => {
                errors.push(FieldError::new("config", e.to_string()));
                return Err(errors);
            }
        };
        errors.extend(cfg.validate());
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

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

/// serde_json appends " at line 1 column 42"; users never typed that JSON.
fn strip_position(msg: &str) -> String {
    msg.find(" at line ").map_or(msg, |i| &msg[..i]).to_string()
}

/// Turns a flag's text into the JSON value of its key: numbers, booleans and null as JSON, lists
/// (`--primitives a,b`) as arrays, anything else as a string.
pub fn flag_value(key: &str, text: &str) -> Value {
    if key == "primitives" && !text.trim_start().starts_with('[') {
        return Value::Array(
            text.split(',')
                .map(|s| Value::String(s.trim().to_string()))
                .collect(),
        );
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn precedence_is_preset_then_file_then_flags() -> Result<(), Box<dyn std::error::Error>> {
        let file = map(json!({"preset": "quick", "epochs": 3, "w_lr": 0.01}));
        let flags = map(json!({"epochs": 4}));
        let cfg = SearchConfig::resolve(&[file, flags]).map_err(|e| format!("{e:?}"))?;
        assert_eq!(cfg.preset, Preset::Quick);
        assert_eq!(cfg.epochs, 4);
        assert_eq!(cfg.w_lr, 0.01);
        assert_eq!(cfg.layers, Preset::Quick.config().layers);
        Ok(())
    }

    #[test]
    fn every_bad_key_is_named() {
        let bad = map(
            json!({"epochs": "many", "colour": 1, "arch_fraction": 1.5, "primitives": ["none"], "order": "third"}),
        );
        let errors = SearchConfig::resolve(&[bad]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["epochs", "colour", "arch_fraction", "primitives", "order"] {
            assert!(fields.contains(&f), "{f} not reported in {errors:?}");
        }
    }

    #[test]
    fn paper_preset_has_the_paper_settings() {
        // ../shared/DARTS.md, Optimisation.
        let p = Preset::DartsPaper.config();
        assert_eq!(
            (p.w_lr, p.w_lr_min, p.w_momentum, p.w_weight_decay),
            (0.025, 0.001, 0.9, 3e-4)
        );
        assert_eq!(
            (p.alpha_lr, p.alpha_weight_decay, p.grad_clip),
            (3e-4, 1e-3, 5.0)
        );
        assert_eq!(
            (p.batch_size, p.epochs, p.layers, p.init_channels),
            (64, 50, 8, 16)
        );
    }

    #[test]
    fn flags_parse_to_typed_values() {
        assert_eq!(flag_value("epochs", "3"), json!(3));
        assert_eq!(flag_value("order", "second"), json!("second"));
        assert_eq!(flag_value("max_skip_connects", "null"), json!(null));
        assert_eq!(
            flag_value("primitives", "none,skip_connect"),
            json!(["none", "skip_connect"])
        );
    }
}
