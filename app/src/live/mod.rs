//! A run's state as its pages show it, folded from its events (the engine's `Event` JSON plus
//! the server's status events, each with its `seq`). The server folds the stored history; the
//! browser goes on folding what the websocket sends.
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod snaps;
pub use snaps::*;

/// An f64 that may be NaN (a training run has no validation loss) through JSON, which has no
/// NaN: written as null, read back as NaN.
pub mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// Everything the live page draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The last event folded in; -1 before any.
    pub last_seq: i64,
    pub status: String,
    pub message: Option<String>,
    pub epochs_total: usize,
    /// (epoch, step, steps) of the latest step.
    pub step: Option<(usize, usize, usize)>,
    pub epochs: Vec<EpochPoint>,
    pub alphas: Vec<AlphaSnap>,
    pub genotypes: Vec<GenoSnap>,
    /// Perturbation-based selection's op decisions, in order.
    #[serde(default)]
    pub decisions: Vec<OpDecision>,
    /// ProxylessNAS: its layers after each epoch.
    #[serde(default)]
    pub layers: Vec<LayerSnap>,
    /// ENAS: its controller after each epoch.
    #[serde(default)]
    pub controller: Vec<ControllerPoint>,
    pub log: Vec<LogLine>,
    /// The trainable weights of the network being trained, from its first events.
    #[serde(default)]
    pub weights: Option<i64>,
}

impl Default for RunState {
    fn default() -> Self {
        RunState {
            last_seq: -1,
            status: "queued".into(),
            message: None,
            epochs_total: 0,
            step: None,
            epochs: vec![],
            alphas: vec![],
            genotypes: vec![],
            decisions: vec![],
            layers: vec![],
            controller: vec![],
            log: vec![],
            weights: None,
        }
    }
}

/// Statuses after which nothing more happens.
pub fn is_final(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled" | "interrupted")
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().unwrap_or(0) as usize
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|p| {
            p.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn matrix(v: &Value) -> Vec<Vec<f32>> {
    v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map(|c| c.iter().map(|x| x.as_f64().unwrap_or(0.0) as f32).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A cell from the genotype JSON (`"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [...]`).
pub fn cell(genotype: &Value, which: &str) -> Cell {
    let edges = genotype[which]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| (e[0].as_str().unwrap_or("?").to_string(), usize_of(&e[1])))
                .collect()
        })
        .unwrap_or_default();
    let concat = genotype[format!("{which}_concat")]
        .as_array()
        .map(|c| c.iter().map(usize_of).collect())
        .unwrap_or_default();
    Cell { edges, concat }
}

/// Keeps the entries before `epoch`: a resumed run repeats the epoch it was interrupted in.
fn drop_from<T>(list: &mut Vec<T>, epoch: usize, of: impl Fn(&T) -> usize) {
    list.retain(|x| of(x) < epoch);
}

impl RunState {
    /// Folds one event in; false when it was already folded (by `seq`) or is not understood.
    pub fn apply(&mut self, ev: &Value) -> bool {
        let seq = ev["seq"].as_i64().unwrap_or(self.last_seq + 1);
        if seq <= self.last_seq {
            return false;
        }
        self.last_seq = seq;
        match ev["type"].as_str().unwrap_or("") {
            "status" => {
                self.status = ev["status"].as_str().unwrap_or("").to_string();
                self.message = ev["message"].as_str().map(str::to_string);
            }
            "step" => {
                self.step = Some((
                    usize_of(&ev["epoch"]),
                    usize_of(&ev["step"]),
                    usize_of(&ev["steps"]),
                ));
            }
            "epoch" => {
                let p = EpochPoint {
                    epoch: usize_of(&ev["epoch"]),
                    train_loss: f64_of(&ev["train_loss"]),
                    train_metric: f64_of(&ev["train_metric"]),
                    val_loss: f64_of(&ev["val_loss"]),
                    val_metric: f64_of(&ev["val_metric"]),
                    seconds: f64_of(&ev["seconds"]),
                };
                self.epochs_total = usize_of(&ev["epochs"]);
                drop_from(&mut self.epochs, p.epoch, |e| e.epoch);
                self.epochs.push(p);
            }
            "alphas" => {
                let snap = AlphaSnap {
                    epoch: usize_of(&ev["epoch"]),
                    primitives: strings(&ev["primitives"]),
                    normal: matrix(&ev["normal"]),
                    reduce: matrix(&ev["reduce"]),
                };
                drop_from(&mut self.alphas, snap.epoch, |a| a.epoch);
                self.alphas.push(snap);
            }
            "genotype" => {
                let g = &ev["genotype"];
                let snap = GenoSnap {
                    epoch: usize_of(&ev["epoch"]),
                    normal: cell(g, "normal"),
                    reduce: cell(g, "reduce"),
                    param_free_normal: usize_of(&ev["param_free"]["normal"]),
                    param_free_reduce: usize_of(&ev["param_free"]["reduce"]),
                };
                drop_from(&mut self.genotypes, snap.epoch, |g| g.epoch);
                self.genotypes.push(snap);
            }
            "selection" if ev["kind"] == "op" => {
                let d = OpDecision {
                    cell: ev["cell"].as_str().unwrap_or("").to_string(),
                    edge: usize_of(&ev["edge"]),
                    drops: ev["candidates"]
                        .as_array()
                        .map(|list| {
                            list.iter()
                                .map(|c| {
                                    (
                                        c["name"].as_str().unwrap_or("?").to_string(),
                                        f64_of(&c["drop"]),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    chosen: ev["chosen"].as_str().unwrap_or("").to_string(),
                };
                // A resumed selection repeats no decision, but a replayed one replaces its own.
                self.decisions
                    .retain(|x| (&x.cell, x.edge) != (&d.cell, d.edge));
                self.decisions.push(d);
            }
            "selection" => {}
            "controller" => {
                let p = ControllerPoint {
                    epoch: usize_of(&ev["epoch"]),
                    reward: f64_of(&ev["reward"]),
                    entropy: f64_of(&ev["entropy"]),
                    baseline: f64_of(&ev["baseline"]),
                };
                drop_from(&mut self.controller, p.epoch, |c| c.epoch);
                self.controller.push(p);
            }
            "layers" => {
                let snap = LayerSnap {
                    epoch: usize_of(&ev["epoch"]),
                    candidates: ev["candidates"]
                        .as_array()
                        .map(|rows| rows.iter().map(strings).collect())
                        .unwrap_or_default(),
                    probabilities: matrix(&ev["probabilities"]),
                    expected_ms: f64_of(&ev["expected_ms"]),
                    chosen: strings(&ev["chosen"]),
                    chosen_ms: f64_of(&ev["chosen_ms"]),
                };
                drop_from(&mut self.layers, snap.epoch, |l| l.epoch);
                self.layers.push(snap);
            }
            "network" => self.weights = ev["weights"].as_i64(),
            "log" => self.log.push(LogLine {
                level: ev["level"].as_str().unwrap_or("info").to_string(),
                message: ev["message"].as_str().unwrap_or("").to_string(),
            }),
            _ => return false,
        }
        true
    }

    /// The share of the run done, 0 to 1, counting finished epochs and the current one's steps.
    pub fn fraction(&self) -> f64 {
        if self.status == "succeeded" {
            return 1.0;
        }
        if self.epochs_total == 0 {
            return 0.0;
        }
        let done = self.epochs.len() as f64;
        let partial = match self.step {
            Some((e, s, n)) if e > self.epochs.len() && n > 0 => s as f64 / n as f64,
            _ => 0.0,
        };
        ((done + partial) / self.epochs_total as f64).min(1.0)
    }

    /// Seconds left, from the mean epoch time so far; None before the first epoch or when done.
    pub fn eta_seconds(&self) -> Option<f64> {
        if is_final(&self.status) || self.epochs.is_empty() || self.epochs_total == 0 {
            return None;
        }
        let mean = self.epochs.iter().map(|e| e.seconds).sum::<f64>() / self.epochs.len() as f64;
        let left = self.epochs_total.saturating_sub(self.epochs.len()) as f64;
        Some(
            mean * (left - (self.fraction() * self.epochs_total as f64 - self.epochs.len() as f64)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn epoch(seq: i64, e: usize, val: f64) -> Value {
        json!({"seq": seq, "type": "epoch", "epoch": e, "epochs": 4, "train_loss": 1.0,
            "train_metric": 0.5, "val_loss": 0.9, "val_metric": val, "seconds": 10.0,
            "memory_bytes": 1})
    }

    #[test]
    fn folding_keeps_order_skips_repeats_and_replaces_a_resumed_epoch() {
        let mut s = RunState::default();
        assert!(s.apply(&json!({"seq": 0, "type": "status", "status": "running"})));
        // The network's weights come with its first events, before any epoch.
        assert_eq!(s.weights, None);
        assert!(s.apply(&json!({"seq": 1, "type": "network", "weights": 12345})));
        assert_eq!(s.weights, Some(12345));
        s.last_seq = 0;
        assert!(s.apply(&epoch(1, 1, 0.5)));
        assert!(s.apply(&epoch(2, 2, 0.6)));
        // The same event again (a reconnect that overlaps) changes nothing.
        assert!(!s.apply(&epoch(2, 2, 0.6)));
        assert_eq!(s.epochs.len(), 2);
        // Resumed after an interruption in epoch 2: epoch 2 again replaces the old one.
        assert!(s.apply(&epoch(3, 2, 0.7)));
        assert_eq!(
            s.epochs.iter().map(|e| e.val_metric).collect::<Vec<_>>(),
            vec![0.5, 0.7]
        );
        // Half way through epoch 3 of 4 with epochs of 10 s: 2.5 of 4 done, 15 s left.
        s.apply(&json!({"seq": 4, "type": "step", "epoch": 3, "step": 5, "steps": 10, "train_loss": 1.0}));
        assert!((s.fraction() - 2.5 / 4.0).abs() < 1e-12);
        assert_eq!(s.eta_seconds(), Some(15.0));
        s.apply(&json!({"seq": 5, "type": "status", "status": "failed", "message": "boom"}));
        assert_eq!(
            (s.status.as_str(), s.message.as_deref()),
            ("failed", Some("boom"))
        );
        assert_eq!(s.eta_seconds(), None);
    }

    #[test]
    fn a_missing_validation_metric_survives_json() {
        let p = EpochPoint {
            epoch: 1,
            val_loss: f64::NAN,
            ..EpochPoint::default()
        };
        let text = serde_json::to_string(&p).unwrap_or_default();
        assert!(text.contains("\"val_loss\":null"), "{text}");
        let back: EpochPoint = serde_json::from_str(&text).unwrap_or_default();
        assert!(back.val_loss.is_nan() && back.epoch == 1);
    }

    #[test]
    fn enas_controller_points_are_read_with_a_warm_up_as_missing() {
        let mut s = RunState::default();
        s.apply(&json!({"seq": 0, "type": "controller", "epoch": 1, "reward": null, "entropy": null, "baseline": null}));
        s.apply(&json!({"seq": 1, "type": "controller", "epoch": 2, "reward": 0.5, "entropy": 30.25, "baseline": 0.45}));
        assert_eq!(s.controller.len(), 2);
        assert!(s.controller[0].reward.is_nan());
        assert_eq!(
            (
                s.controller[1].reward,
                s.controller[1].entropy,
                s.controller[1].baseline
            ),
            (0.5, 30.25, 0.45)
        );
    }

    #[test]
    fn proxyless_layers_are_read_and_a_resumed_epoch_replaces_its_own() {
        let mut s = RunState::default();
        let layers = |seq: i64, epoch: usize, p: f64| {
            json!({"seq": seq, "type": "layers", "epoch": epoch,
                "candidates": [["mb3_k3", "mb6_k7"], ["mb3_k3", "mb6_k7", "zero"]],
                "probabilities": [[p, 1.0 - p], [0.2, 0.3, 0.5]],
                "expected_ms": 1.25, "chosen": ["mb3_k3", "zero"], "chosen_ms": 0.75})
        };
        assert!(s.apply(&layers(0, 1, 0.4)));
        assert!(s.apply(&layers(1, 2, 0.6)));
        assert!(s.apply(&layers(2, 2, 0.7)));
        assert_eq!(s.layers.len(), 2);
        let last = &s.layers[1];
        assert_eq!(last.probabilities[0], vec![0.7, 0.3]);
        assert_eq!(last.candidates[1][2], "zero");
        assert_eq!(last.chosen, vec!["mb3_k3", "zero"]);
        assert_eq!((last.expected_ms, last.chosen_ms), (1.25, 0.75));
    }

    #[test]
    fn alphas_and_genotypes_are_read_from_the_engine_events() {
        let mut s = RunState::default();
        s.apply(
            &json!({"seq": 0, "type": "alphas", "epoch": 1, "primitives": ["none", "skip_connect"],
            "normal": [[0.25, 0.75]], "reduce": [[0.5, 0.5]]}),
        );
        s.apply(
            &json!({"seq": 1, "type": "genotype", "epoch": 1, "genotype": {
            "normal": [["skip_connect", 0], ["sep_conv_3x3", 1]], "normal_concat": [2],
            "reduce": [["max_pool_3x3", 1], ["skip_connect", 0]], "reduce_concat": [2]},
            "param_free": {"normal": 1, "reduce": 2}}),
        );
        assert_eq!(s.alphas[0].normal, vec![vec![0.25, 0.75]]);
        assert_eq!(s.alphas[0].primitives[1], "skip_connect");
        let g = &s.genotypes[0];
        assert_eq!(g.normal.edges[1], ("sep_conv_3x3".to_string(), 1));
        assert_eq!(g.reduce.concat, vec![2]);
        assert_eq!((g.param_free_normal, g.param_free_reduce), (1, 2));
    }
}
