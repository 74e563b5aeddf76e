//! The retraining configuration: the evaluation network and its training recipe, with presets
//! from seconds on a CPU to the DARTS paper's CIFAR-10 evaluation (../shared/DARTS.md: 600
//! epochs, C=36, 20 layers, batch 96, SGD 0.025 cosine, momentum 0.9, weight decay 3e-4,
//! auxiliary weight 0.4, drop path 0.2, cutout 16, grad clip 5).
use crate::bounds::{check_json, End, FloatRange, IntRange, MAX_SEED, SEED_WHY};
use crate::config::{FieldError, Preset, WOptimizer};
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
    /// The weights' optimiser: `sgd` (momentum, the paper's) or `adam` (L2 decay, as
    /// torch.optim.Adam), both on the cosine schedule.
    #[serde(default = "paper_optimizer")]
    pub optimizer: WOptimizer,
    /// Wall-clock seconds this training may take (its share of a study's budget); null: no
    /// limit. The epochs are planned from the first epoch's time so that the cosine schedule
    /// ends inside it; `epochs` stays the most it may run.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// Share of the training samples held out (at most `HOLDOUT_MAX`) to score every epoch,
    /// keep the best epoch's weights and stop on a plateau; 0: train on every sample and keep
    /// the last epoch.
    #[serde(default)]
    pub holdout: f64,
    /// Epochs without a better held-out metric before training stops; null: never early.
    #[serde(default)]
    pub patience: Option<usize>,
}

fn paper_optimizer() -> WOptimizer {
    WOptimizer::Sgd
}

/// The most samples a training holds out: scoring them every epoch must stay a small part of
/// the epoch, whatever the dataset's size.
pub const HOLDOUT_MAX: usize = 2048;

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
            optimizer: WOptimizer::Sgd,
            seconds: None,
            holdout: 0.0,
            patience: None,
        };
        // Budgets of a few hundred steps train without the paper's regularisers.
        let small = TrainConfig {
            auxiliary_weight: 0.0,
            drop_path: 0.0,
            cutout: 0.0,
            ..paper.clone()
        };
        // Trained to a plateau within seconds (a study's budget sets them per training):
        // 25-step epochs, each scored on a tenth of the training samples held out (at most
        // 2,048), the best epoch's weights kept, stopped after 8 epochs without a better one.
        // SGD 0.05 with momentum on the cosine: on the MNIST subset, 60 s each (README, "Training
        // to a plateau"), the cell's held-out accuracy reached 0.981 (SGD 0.05), 0.980 (SGD 0.1)
        // and 0.978 (Adam 2e-3); the paper's regularisers stay off (measured on 3 seeds: without
        // drop path, cutout and the auxiliary head the cell's Mechanical-MNIST RMSE fell from 9.93
        // to 5.68 at 100 steps).
        let converging = TrainConfig {
            epochs: 500,
            batch_size: 64,
            max_steps_per_epoch: Some(25),
            lr: 0.05,
            lr_min: 0.0,
            holdout: 0.1,
            patience: Some(8),
            ..small.clone()
        };
        match p {
            Preset::DartsPaper => paper,
            Preset::Default => TrainConfig {
                max_steps_per_epoch: Some(50),
                layers: 8,
                init_channels: 16,
                seconds: Some(600.0),
                ..converging
            },
            Preset::Quick => TrainConfig {
                layers: 5,
                init_channels: 8,
                seconds: Some(120.0),
                ..converging
            },
            Preset::Tiny => TrainConfig {
                epochs: 1,
                batch_size: 16,
                max_steps_per_epoch: Some(3),
                layers: 3,
                init_channels: 4,
                lr: 0.05,
                ..small
            },
        }
    }

    /// The preset a layer names (`quick` when none) with the layer's keys on top; every unknown
    /// key and bad value is named.
    pub fn resolve(
        layer: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<TrainConfig, Vec<FieldError>> {
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
                let hint = crate::config::schema::suggest(key, crate::config::schema::TRAIN)
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                errors.push(field(key, format!("unknown key for training{hint}")));
                continue;
            }
            // Numbers outside an integer key's range, and floats such as 1e18, before serde.
            if let Some(err) = check_json(&TRAIN_INTS, key, value) {
                errors.push(err);
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

    /// Every bad value, by key (the ranges and their reasons are the constants below).
    pub fn validate(&self) -> Vec<FieldError> {
        let int = |r: &IntRange, v: usize| r.check(v as i128);
        let lr_min = FloatRange {
            // Against the schedule's start when that is a number (else it alone is reported).
            max: End::Incl(if self.lr.is_finite() {
                self.lr
            } else {
                f64::MAX
            }),
            ..LR_MIN
        };
        [
            int(&EPOCHS, self.epochs),
            int(&BATCH_SIZE, self.batch_size),
            self.max_steps_per_epoch
                .and_then(|m| int(&MAX_STEPS_PER_EPOCH, m)),
            int(&LAYERS, self.layers),
            INIT_CHANNELS.check(i128::from(self.init_channels)),
            SEED.check(i128::from(self.seed)),
            LR.check(self.lr),
            lr_min.check(self.lr_min),
            MOMENTUM.check(self.momentum),
            WEIGHT_DECAY.check(self.weight_decay),
            GRAD_CLIP.check(self.grad_clip),
            AUXILIARY_WEIGHT.check(self.auxiliary_weight),
            DROP_PATH.check(self.drop_path),
            CUTOUT.check(self.cutout),
            self.crop_padding.and_then(|c| CROP_PADDING.check(c)),
            self.seconds.and_then(|s| crate::config::SECONDS.check(s)),
            HOLDOUT.check(self.holdout),
            self.patience.and_then(|p| int(&PATIENCE, p)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The training's integer keys, checked in JSON by `resolve` and on the struct by `validate`.
pub const TRAIN_INTS: [IntRange; 7] = [
    PATIENCE,
    EPOCHS,
    BATCH_SIZE,
    MAX_STEPS_PER_EPOCH,
    LAYERS,
    INIT_CHANNELS,
    SEED,
];

const EPOCHS: IntRange = IntRange {
    key: "epochs",
    min: 1,
    max: 2000,
    below: "",
    above: "a longer training runs for months on one GPU; the DARTS paper trains for 600",
};
const BATCH_SIZE: IntRange = IntRange {
    key: "batch_size",
    min: 1,
    max: 4096,
    below: "",
    above: "a larger batch does not fit in memory on any current GPU at the network sizes allowed; the DARTS paper trains with 96",
};
const MAX_STEPS_PER_EPOCH: IntRange = IntRange {
    key: "max_steps_per_epoch",
    min: 1,
    max: 1_000_000,
    below: "use null for every batch of the epoch",
    above: "an epoch that long never ends; use null for every batch",
};
const LAYERS: IntRange = IntRange {
    key: "layers",
    min: 3,
    max: 50,
    below: "the network needs two reduction cells and one normal cell",
    above: "deeper networks do not fit in memory on any current GPU; the DARTS paper trains 20 cells on CIFAR-10 and 14 on ImageNet",
};
const INIT_CHANNELS: IntRange = IntRange {
    key: "init_channels",
    min: 1,
    max: 512,
    below: "",
    above: "wider networks do not fit in memory on any current GPU; the DARTS paper trains with 36 on CIFAR-10 and 48 on ImageNet",
};
const SEED: IntRange = IntRange {
    key: "seed",
    min: 0,
    max: MAX_SEED,
    below: "",
    above: SEED_WHY,
};
const LR: FloatRange = FloatRange {
    key: "lr",
    min: End::Excl(0.0),
    max: End::Incl(10.0),
    below: "",
    above: "no sensible schedule starts above 10 (it is a slip of the keyboard); the DARTS paper uses 0.025",
};
/// Its upper end is the config's `lr`.
const LR_MIN: FloatRange = FloatRange {
    key: "lr_min",
    min: End::Incl(0.0),
    max: End::Incl(10.0),
    below: "",
    above: "the cosine schedule anneals from lr down to lr_min, so it cannot exceed lr",
};
const MOMENTUM: FloatRange = FloatRange {
    key: "momentum",
    min: End::Incl(0.0),
    max: End::Excl(1.0),
    below: "",
    above:
        "a momentum of 1 or more never forgets a gradient and diverges; the DARTS paper uses 0.9",
};
const WEIGHT_DECAY: FloatRange = FloatRange {
    key: "weight_decay",
    min: End::Incl(0.0),
    max: End::Incl(1.0),
    below: "",
    above: "a larger decay outweighs every gradient and drives the weights to zero; the DARTS paper uses 3e-4",
};
/// Any finite positive norm: a very large one just never clips.
const GRAD_CLIP: FloatRange = FloatRange {
    key: "grad_clip",
    min: End::Excl(0.0),
    max: End::Incl(f64::MAX),
    below: "a norm of 0 would zero every step; the DARTS paper clips at 5",
    above: "",
};
const AUXILIARY_WEIGHT: FloatRange = FloatRange {
    key: "auxiliary_weight",
    min: End::Incl(0.0),
    max: End::Incl(1.0),
    below: "",
    above: "a larger weight makes the auxiliary head matter more than the network's own output; the DARTS paper uses 0.4",
};
const DROP_PATH: FloatRange = FloatRange {
    key: "drop_path",
    min: End::Incl(0.0),
    max: End::Excl(1.0),
    below: "",
    above: "a probability of 1 drops every path; the DARTS paper ends at 0.2",
};
const CUTOUT: FloatRange = FloatRange {
    key: "cutout",
    min: End::Incl(0.0),
    max: End::Incl(1.0),
    below: "",
    above: "it is a share of the image side; the DARTS paper cuts out 16/32 = 0.5",
};
const CROP_PADDING: FloatRange = FloatRange {
    key: "crop_padding",
    min: End::Incl(0.0),
    max: End::Incl(1.0),
    below: "",
    above: "it is a share of the image side, and padding by more than the side crops mostly zeros; the DARTS paper pads by 4/32 = 0.125",
};
const PATIENCE: IntRange = IntRange {
    key: "patience",
    min: 1,
    max: 2000,
    below: "use null to never stop early",
    above: "it cannot exceed the most epochs a training runs (2000)",
};
const HOLDOUT: FloatRange = FloatRange {
    key: "holdout",
    min: End::Incl(0.0),
    max: End::Incl(0.5),
    below: "",
    above: "holding out more than half of the training samples leaves too few to train on",
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the training config has its meaning in the schema, and nothing else does.
    #[test]
    fn every_key_is_documented() {
        let keys = match serde_json::to_value(TrainConfig::preset(Preset::Default)) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect::<Vec<_>>(),
            _ => vec![],
        };
        let mut documented: Vec<String> = crate::config::schema::TRAIN
            .iter()
            .map(|d| d.key.to_string())
            .collect();
        documented.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(documented, keys);
    }
}
