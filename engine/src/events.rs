//! What a run reports, as one serde enum tagged by `type`. The CLI writes these to events.jsonl
//! and the server streams them unchanged, each with its `seq`.
use crate::genotype::Genotype;
use crate::ops::Primitive;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamFree {
    pub normal: usize,
    pub reduce: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Status {
        status: RunStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    Step {
        epoch: usize,
        step: usize,
        steps: usize,
        train_loss: f64,
    },
    Epoch {
        epoch: usize,
        epochs: usize,
        train_loss: f64,
        train_metric: f64,
        val_loss: f64,
        val_metric: f64,
        seconds: f64,
        memory_bytes: u64,
    },
    /// Softmaxed architecture weights, edges x ops.
    Alphas {
        epoch: usize,
        primitives: Vec<Primitive>,
        normal: Vec<Vec<f32>>,
        reduce: Vec<Vec<f32>>,
    },
    Genotype {
        epoch: usize,
        genotype: Genotype,
        param_free: ParamFree,
    },
    Log {
        level: LogLevel,
        message: String,
    },
    /// The network being trained, once at the start: its trainable weights (the supernet's for
    /// a search), so a page shows them from the first event.
    Network {
        weights: u64,
    },
    /// One decision of perturbation-based selection (DARTS-PT).
    Selection(Decision),
    /// ENAS, each epoch: the controller's mean reward and entropy over its REINFORCE steps
    /// (NaN during the warm-up) and its moving-average baseline.
    Controller {
        epoch: usize,
        reward: f64,
        entropy: f64,
        baseline: f64,
    },
    /// ProxylessNAS, each epoch: every searchable layer's candidates (by name) and their
    /// probabilities, the expected batch-1 latency (each candidate's milliseconds weighed by
    /// its probability), and each layer's most likely block with that network's latency as the
    /// table predicts it.
    Layers {
        epoch: usize,
        candidates: Vec<Vec<String>>,
        probabilities: Vec<Vec<f32>>,
        expected_ms: f64,
        chosen: Vec<String>,
        chosen_ms: f64,
    },
}

/// One decision of perturbation-based selection: the supernet's validation metric with each
/// candidate removed, and what was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `normal` or `reduce`.
    pub cell: String,
    /// `op`: which op an edge keeps; `input`: which input a node drops (repeated until two are
    /// left).
    pub kind: String,
    /// The intermediate node (from 0).
    pub node: usize,
    /// The edge, numbered as the alpha table's rows (op decisions); the node's inputs' edges
    /// for input decisions.
    pub edge: Option<usize>,
    /// The metric (accuracy, or the validation loss for regression) before any removal.
    pub base: f64,
    pub candidates: Vec<Removal>,
    /// The op kept, or the input (`input J`) dropped.
    pub chosen: String,
}

/// The metric with one op (or one input) removed, and how much worse that is than `base`
/// (positive: the removal hurts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Removal {
    pub name: String,
    pub metric: f64,
    pub drop: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

impl Event {
    pub fn log(level: LogLevel, message: impl Into<String>) -> Self {
        Event::Log {
            level,
            message: message.into(),
        }
    }

    /// The event as one JSON object with its sequence number.
    pub fn to_json_with_seq(&self, seq: u64) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("seq".to_string(), seq.into());
        }
        v
    }
}

/// Peak resident memory of this process (Linux VmHWM), in bytes; 0 where unknown.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_serialise_to_the_documented_shapes() -> Result<(), Box<dyn std::error::Error>> {
        let e = Event::Status {
            status: RunStatus::Running,
            message: None,
        };
        assert_eq!(
            serde_json::to_value(&e)?,
            json!({"type": "status", "status": "running"})
        );
        let e = Event::Step {
            epoch: 1,
            step: 2,
            steps: 3,
            train_loss: 0.5,
        };
        assert_eq!(
            e.to_json_with_seq(7),
            json!({"type": "step", "epoch": 1, "step": 2, "steps": 3, "train_loss": 0.5, "seq": 7})
        );
        let g = Event::Genotype {
            epoch: 1,
            genotype: Genotype::darts_v2(),
            param_free: ParamFree {
                normal: 2,
                reduce: 8,
            },
        };
        let v = serde_json::to_value(&g)?;
        assert_eq!(v["genotype"]["normal"][0], json!(["sep_conv_3x3", 0]));
        assert_eq!(serde_json::from_value::<Event>(v)?, g);
        Ok(())
    }
}
