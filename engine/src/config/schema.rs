//! What every config key means and which values it takes, in one place: the CLI builds its
//! flags and their help from it (with each preset's default read from the presets themselves),
//! and a test holds it to the configs' fields, so a key cannot be added without its meaning.
/// One config key as a person reads about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDoc {
    pub key: &'static str,
    pub meaning: &'static str,
    /// The values it takes when they are a fixed set (None: a number, a list or free text).
    pub values: Option<&'static [&'static str]>,
}

const fn key(key: &'static str, meaning: &'static str) -> KeyDoc {
    KeyDoc {
        key,
        meaning,
        values: None,
    }
}

const fn one_of(
    key: &'static str,
    meaning: &'static str,
    values: &'static [&'static str],
) -> KeyDoc {
    KeyDoc {
        key,
        meaning,
        values: Some(values),
    }
}

pub const PRESETS: &[&str] = &["tiny", "quick", "default", "darts-paper"];

/// The search's keys (`dartboard search`, the API's `kind: search`).
pub const SEARCH: &[KeyDoc] = &[
    one_of("preset", "which defaults to start from", PRESETS),
    key("epochs", "search epochs"),
    key("batch_size", "samples per step, for each of the two parts"),
    key("max_steps_per_epoch", "cap on steps per epoch (null: all)"),
    key("layers", "cells; reductions at L/3 and 2L/3"),
    key("init_channels", "C, the first cells' channels"),
    key("nodes", "intermediate nodes per cell (n(n+3)/2 edges)"),
    key("primitives", "candidate ops, as a JSON list (any subset with one op besides none)"),
    one_of(
        "strategy",
        "darts: every op on every edge; pc-darts: 1/K of the channels through the ops; gdas: one op per edge and step; enas: an LSTM controller writes cells, trained by REINFORCE; proxyless: ProxylessNAS's layers of inverted bottlenecks with a latency target",
        &["darts", "pc-darts", "gdas", "enas", "proxyless"],
    ),
    key("pc_k", "PC-DARTS: K, the share of channels through the ops; divides init_channels"),
    key("gdas_tau_max", "GDAS: Gumbel-softmax temperature at the first epoch"),
    key("gdas_tau_min", "GDAS: temperature at the last epoch"),
    key("warmup_epochs", "first epochs with the architecture weights frozen"),
    one_of("order", "architecture gradient: first order, or second (unrolled)", &["first", "second"]),
    one_of("w_optimizer", "optimiser of the weights", &["sgd", "adam"]),
    key("w_lr", "weight learning rate, cosine down to w_lr_min"),
    key("w_lr_min", "weight learning rate at the end"),
    key("w_momentum", "SGD momentum of the weights"),
    key("w_weight_decay", "weight decay of the weights"),
    key("alpha_lr", "Adam learning rate of the architecture weights"),
    key("alpha_weight_decay", "weight decay of the architecture weights"),
    one_of(
        "alpha_reg",
        "regulariser of the architecture step (beta: beta-DARTS)",
        &["none", "beta"],
    ),
    key("beta_lambda", "beta-DARTS: lambda at the end, rising linearly from 0"),
    key("grad_clip", "weight-gradient norm clip"),
    key("arch_fraction", "share of train for the architecture weights without a validation split"),
    key("max_skip_connects", "cap on skip connections in the normal cell (null: none)"),
    one_of(
        "selection",
        "argmax: strongest op per edge; perturbation: DARTS-PT, the op whose removal costs most",
        &["argmax", "perturbation"],
    ),
    key("pt_tune_steps", "perturbation: fine-tuning steps after each decision"),
    key("pt_eval_samples", "perturbation: samples each removal is scored on"),
    key("per_stage", "proxyless: searchable layers in each of the 4 stages (width: init_channels)"),
    key(
        "latency_target_ms",
        "proxyless: batch-1 latency aimed at on the device, ms (null: accuracy alone)",
    ),
    one_of(
        "latency_loss",
        "proxyless: mul_log: loss x (log E / log T)^beta; add: loss + lambda (E - T) / T",
        &["mul_log", "add"],
    ),
    key("latency_beta", "proxyless, mul_log: the exponent beta"),
    key("latency_lambda", "proxyless, add: the weight lambda"),
    key("enas_controller_lr", "enas: the controller's Adam learning rate"),
    key("enas_controller_steps", "enas: controller REINFORCE steps after each epoch"),
    key("enas_entropy_weight", "enas: weight of the controller's entropy bonus"),
    key("enas_baseline_decay", "enas: decay of the reward's moving-average baseline"),
    key("enas_samples", "enas: the final cell is the best of this many sampled cells"),
    key(
        "seconds",
        "wall-clock seconds for the search: the epochs that fit, planned from the first (null: the epochs)",
    ),
    one_of("loss", "auto: cross-entropy or MSE by the task", &["auto", "ce", "mse", "mae"]),
    key("seed", "random seed"),
    key("device", "auto (CUDA if present), cpu, cuda or cuda:N"),
];

/// The training keys (`dartboard train`, `baseline`, `pipeline --train-KEY`, `kind: train`).
pub const TRAIN: &[KeyDoc] = &[
    one_of("preset", "which defaults to start from", PRESETS),
    key("epochs", "training epochs"),
    key("batch_size", "samples per step"),
    key("max_steps_per_epoch", "cap on steps per epoch (null: all)"),
    key("layers", "cells of the evaluation network"),
    key("init_channels", "C, the first cells' channels"),
    key("lr", "SGD learning rate, cosine down to lr_min"),
    key("lr_min", "learning rate at the end"),
    key("momentum", "SGD momentum"),
    key("weight_decay", "weight decay"),
    key("grad_clip", "gradient norm clip"),
    key(
        "auxiliary_weight",
        "loss weight of the auxiliary head after 2/3 of the cells (0: none)",
    ),
    key(
        "drop_path",
        "drop-path probability at the last epoch, rising from 0",
    ),
    key(
        "cutout",
        "side of the cut-out square as a share of the image side (0: none)",
    ),
    key(
        "flip",
        "random horizontal flips (null: on for classification)",
    ),
    key(
        "crop_padding",
        "random crops after padding by this many pixels (null: by the task)",
    ),
    key("seed", "random seed"),
    key("device", "auto (CUDA if present), cpu, cuda or cuda:N"),
    one_of(
        "optimizer",
        "sgd (momentum) or adam (momentum as beta1), both on the cosine schedule",
        &["sgd", "adam"],
    ),
    key(
        "seconds",
        "wall-clock seconds for the training: the epochs that fit, planned from the first (null: the epochs)",
    ),
    key(
        "holdout",
        "share of the training samples (at most 2,048) scored after each epoch to keep the best weights (0: none)",
    ),
    key(
        "patience",
        "epochs without a better held-out metric before stopping (null: never early)",
    ),
];

/// The documented key closest to `unknown` when it is a likely typo (`epoch` for `epochs`).
pub fn suggest(unknown: &str, docs: &[KeyDoc]) -> Option<&'static str> {
    let unknown = unknown.replace('-', "_");
    docs.iter()
        .map(|d| (distance(&unknown, d.key), d.key))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<T: serde::Serialize>(config: &T) -> Vec<String> {
        match serde_json::to_value(config) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            _ => vec![],
        }
    }

    fn documented(docs: &[KeyDoc]) -> Vec<String> {
        let mut keys: Vec<String> = docs.iter().map(|d| d.key.to_string()).collect();
        keys.sort();
        keys
    }

    /// Every key of the search config has its meaning, and nothing else does (the training
    /// config's: `retrain::config`'s tests).
    #[test]
    fn every_key_is_documented() {
        let mut search = fields(&crate::config::Preset::Default.config());
        search.sort();
        assert_eq!(documented(SEARCH), search);
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(suggest("epoch", SEARCH), Some("epochs"));
        assert_eq!(suggest("init-chanels", SEARCH), Some("init_channels"));
        assert_eq!(suggest("colour", SEARCH), None);
        assert_eq!(suggest("cutuot", TRAIN), Some("cutout"));
    }
}
