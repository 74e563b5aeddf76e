//! What a run's events leave for the pages to draw: epochs, architecture snapshots of a cell
//! search, ProxylessNAS's layer probabilities, selection's decisions, log lines.
use serde::{Deserialize, Serialize};

/// One finished epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochPoint {
    pub epoch: usize,
    #[serde(with = "super::nan_as_null")]
    pub train_loss: f64,
    #[serde(with = "super::nan_as_null")]
    pub train_metric: f64,
    #[serde(with = "super::nan_as_null")]
    pub val_loss: f64,
    #[serde(with = "super::nan_as_null")]
    pub val_metric: f64,
    #[serde(with = "super::nan_as_null")]
    pub seconds: f64,
}

/// Softmaxed architecture weights after an epoch, edges x ops.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlphaSnap {
    pub epoch: usize,
    pub primitives: Vec<String>,
    pub normal: Vec<Vec<f32>>,
    pub reduce: Vec<Vec<f32>>,
}

/// A discretised cell: two (op, input) edges per intermediate node; input 0 is c_{k-2}, 1 is
/// c_{k-1}, 2 + i is node i.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub edges: Vec<(String, usize)>,
    pub concat: Vec<usize>,
}

/// The cells discretisation keeps after an epoch, with their parameter-free op counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenoSnap {
    pub epoch: usize,
    pub normal: Cell,
    pub reduce: Cell,
    pub param_free_normal: usize,
    pub param_free_reduce: usize,
}

/// One op decision of perturbation-based selection: on `edge` (a row of the alpha table) of the
/// `normal` or `reduce` cell, the metric lost when each op is removed, and the op kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpDecision {
    pub cell: String,
    pub edge: usize,
    pub drops: Vec<(String, f64)>,
    pub chosen: String,
}

impl OpDecision {
    /// The decisions of one cell type as an edges x ops table of drops (NaN: not measured),
    /// and the (edge, op) each decision kept.
    pub fn table(
        list: &[OpDecision],
        cell: &str,
        edges: usize,
        primitives: &[String],
    ) -> (Vec<Vec<f32>>, Vec<(usize, String)>) {
        let mut rows = vec![vec![f32::NAN; primitives.len()]; edges];
        let mut kept = vec![];
        for d in list.iter().filter(|d| d.cell == cell && d.edge < edges) {
            for (name, drop) in &d.drops {
                if let Some(c) = primitives.iter().position(|p| p == name) {
                    rows[d.edge][c] = *drop as f32;
                }
            }
            kept.push((d.edge, d.chosen.clone()));
        }
        (rows, kept)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

/// ENAS's controller after an epoch: its mean reward and entropy, and its baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControllerPoint {
    pub epoch: usize,
    #[serde(with = "super::nan_as_null")]
    pub reward: f64,
    #[serde(with = "super::nan_as_null")]
    pub entropy: f64,
    #[serde(with = "super::nan_as_null")]
    pub baseline: f64,
}

/// ProxylessNAS after an epoch: each searchable layer's candidates and their probabilities, the
/// expected latency, and the most likely blocks with their network's predicted latency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerSnap {
    pub epoch: usize,
    pub candidates: Vec<Vec<String>>,
    pub probabilities: Vec<Vec<f32>>,
    #[serde(with = "super::nan_as_null")]
    pub expected_ms: f64,
    pub chosen: Vec<String>,
    #[serde(with = "super::nan_as_null")]
    pub chosen_ms: f64,
}
