//! The retraining configuration: the evaluation network and its training recipe, with presets
//! from seconds on a CPU to the DARTS paper's CIFAR-10 evaluation (../shared/DARTS.md: 600
//! epochs, C=36, 20 layers, batch 96, SGD 0.025 cosine, momentum 0.9, weight decay 3e-4,
//! auxiliary weight 0.4, drop path 0.2, cutout 16, grad clip 5).
use crate::config::Preset;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub preset: Preset,
    pub epochs: usize,
    pub batch_size: usize,
    /// null: every batch of the epoch.
    pub max_steps_per_epoch: Option<usize>,
    pub layers: usize,
    pub init_channels: i64,
    pub lr: f64,
    pub lr_min: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    pub grad_clip: f64,
    /// Auxiliary head after 2/3 of the cells; its loss weight (0: no head).
    pub auxiliary_weight: f64,
    /// Drop path probability at the last epoch (it grows linearly from 0).
    pub drop_path: f64,
    /// Side of the square cutout, as a share of the image side (0: none); 16/32 in the paper.
    pub cutout: f64,
    /// Random horizontal flips; null: on for classification, off for regression.
    pub flip: Option<bool>,
    /// Random crops after zero padding by this share of the side (4/32 in the paper); null: as
    /// flips.
    pub crop_padding: Option<f64>,
    pub seed: u64,
    /// `auto`, `cpu`, `cuda` or `cuda:N`.
    pub device: String,
}

impl TrainConfig {
    pub fn preset(p: Preset) -> TrainConfig {
        let paper = TrainConfig {
            preset: p,
            epochs: 600,
            batch_size: 96,
            max_steps_per_epoch: None,
            layers: 20,
            init_channels: 36,
            lr: 0.025,
            lr_min: 0.0,
            momentum: 0.9,
            weight_decay: 3e-4,
            grad_clip: 5.0,
            auxiliary_weight: 0.4,
            drop_path: 0.2,
            cutout: 0.5,
            flip: None,
            crop_padding: None,
            seed: 0,
            device: "auto".into(),
        };
        match p {
            Preset::DartsPaper => paper,
            Preset::Default => TrainConfig {
                epochs: 100,
                batch_size: 64,
                layers: 8,
                init_channels: 16,
                ..paper
            },
            Preset::Quick => TrainConfig {
                epochs: 5,
                batch_size: 32,
                max_steps_per_epoch: Some(20),
                layers: 5,
                init_channels: 8,
                lr: 0.05,
                drop_path: 0.1,
                ..paper
            },
            Preset::Tiny => TrainConfig {
                epochs: 1,
                batch_size: 16,
                max_steps_per_epoch: Some(3),
                layers: 3,
                init_channels: 4,
                lr: 0.05,
                drop_path: 0.0,
                ..paper
            },
        }
    }

    /// The preset a layer names (`quick` when none) with the layer's keys on top; every unknown
    /// key and bad value is named.
    pub fn resolve(
        layer: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<TrainConfig, Vec<crate::config::FieldError>> {
        use crate::config::FieldError;
        let field = |f: &str, m: String| FieldError {
            field: f.into(),
            message: m,
        };
        let mut errors = vec![];
        let preset = match layer.get("preset") {
            None => Preset::Quick,
            Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|_| {
                errors.push(field(
                    "preset",
                    format!("unknown preset {v}; one of tiny, quick, default, darts-paper"),
                ));
                Preset::Quick
            }),
        };
        let base = match serde_json::to_value(TrainConfig::preset(preset)) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        let mut merged = base.clone();
        for (key, value) in layer {
            if key == "preset" {
                continue;
            }
            if !base.contains_key(key) {
                errors.push(field(key, "unknown key for training".into()));
                continue;
            }
            // Each key alone on the preset, so every bad value is named.
            let mut probe = base.clone();
            probe.insert(key.clone(), value.clone());
            match serde_json::from_value::<TrainConfig>(serde_json::Value::Object(probe)) {
                Ok(_) => {
                    merged.insert(key.clone(), value.clone());
                }
                Err(e) => errors.push(field(key, format!("invalid value {value}: {e}"))),
            }
        }
        let cfg = serde_json::from_value::<TrainConfig>(serde_json::Value::Object(merged))
            .unwrap_or_else(|_| TrainConfig::preset(preset));
        errors.extend(cfg.validate());
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

    /// Every bad value, by key.
    pub fn validate(&self) -> Vec<crate::config::FieldError> {
        let mut e = vec![];
        let mut bad = |field: &str, message: &str| {
            e.push(crate::config::FieldError {
                field: field.into(),
                message: message.into(),
            })
        };
        if self.epochs == 0 {
            bad("epochs", "must be at least 1");
        }
        if self.batch_size == 0 {
            bad("batch_size", "must be at least 1");
        }
        if self.layers < 3 {
            bad(
                "layers",
                "must be at least 3 (two reduction cells and one normal cell)",
            );
        }
        if self.init_channels < 1 {
            bad("init_channels", "must be at least 1");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            bad("lr", "must be a positive number");
        }
        if !(0.0..1.0).contains(&self.drop_path) {
            bad("drop_path", "must be in [0, 1)");
        }
        if !(0.0..=1.0).contains(&self.cutout) {
            bad("cutout", "must be in [0, 1]");
        }
        if self.auxiliary_weight < 0.0 {
            bad("auxiliary_weight", "must not be negative");
        }
        e
    }
}
