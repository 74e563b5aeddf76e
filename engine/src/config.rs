//! The search configuration: one flat serde struct whose keys the CLI, the server's API and its
//! form share. Precedence: preset < config file < flags; validation names every bad key.
use crate::ops::Primitive;
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
    pub order: Order,
    pub w_optimizer: WOptimizer,
    pub w_lr: f64,
    pub w_lr_min: f64,
    pub w_momentum: f64,
    pub w_weight_decay: f64,
    pub alpha_lr: f64,
    pub alpha_weight_decay: f64,
    pub grad_clip: f64,
    /// Share of the train split the architecture weights learn on when the dataset has no
    /// validation split.
    pub arch_fraction: f64,
    /// P-DARTS cap on skip connections in the normal cell; null: no cap.
    pub max_skip_connects: Option<usize>,
    pub loss: LossKind,
    pub seed: u64,
    /// `auto` (CUDA when present), `cpu`, `cuda` or `cuda:N`.
    pub device: String,
}

/// A bad key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> Self {
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
                    errors.push(FieldError::new(key, "unknown config key"));
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

    /// Range checks on every key.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        let mut check = |ok: bool, field: &str, msg: &str| {
            if !ok {
                e.push(FieldError::new(field, msg));
            }
        };
        check(self.epochs >= 1, "epochs", "must be at least 1");
        check(self.batch_size >= 1, "batch_size", "must be at least 1");
        check(
            self.max_steps_per_epoch != Some(0),
            "max_steps_per_epoch",
            "must be at least 1, or null for all",
        );
        check(
            (1..=64).contains(&self.layers),
            "layers",
            "must be between 1 and 64",
        );
        check(
            (1..=512).contains(&self.init_channels),
            "init_channels",
            "must be between 1 and 512",
        );
        check(
            (1..=8).contains(&self.nodes),
            "nodes",
            "must be between 1 and 8",
        );
        let mut unique = self.primitives.clone();
        unique.sort();
        unique.dedup();
        check(
            unique.len() == self.primitives.len(),
            "primitives",
            "lists an op twice",
        );
        check(
            self.primitives.iter().any(|p| *p != Primitive::None),
            "primitives",
            "needs at least one op besides none",
        );
        check(
            self.w_lr > 0.0 && self.w_lr.is_finite(),
            "w_lr",
            "must be positive",
        );
        check(
            self.w_lr_min >= 0.0 && self.w_lr_min <= self.w_lr,
            "w_lr_min",
            "must be between 0 and w_lr",
        );
        check(
            (0.0..1.0).contains(&self.w_momentum),
            "w_momentum",
            "must be in [0, 1)",
        );
        check(
            self.w_weight_decay >= 0.0,
            "w_weight_decay",
            "must not be negative",
        );
        check(
            self.alpha_lr > 0.0 && self.alpha_lr.is_finite(),
            "alpha_lr",
            "must be positive",
        );
        check(
            self.alpha_weight_decay >= 0.0,
            "alpha_weight_decay",
            "must not be negative",
        );
        check(self.grad_clip > 0.0, "grad_clip", "must be positive");
        check(
            self.arch_fraction > 0.0 && self.arch_fraction < 1.0,
            "arch_fraction",
            "must be strictly between 0 and 1",
        );
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
