//! The config's enumerated keys: which defaults, which strategy, regulariser, selection,
//! optimiser and loss.
use serde::{Deserialize, Serialize};

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
    /// ProxylessNAS: its own layer-wise space of inverted bottlenecks (`crate::proxyless`),
    /// binary gates, and the expected latency from the device's table in the loss.
    Proxyless,
    /// ENAS: an LSTM controller writes cells, trained by REINFORCE; the supernet's weights
    /// are shared by the cells (`crate::enas`).
    Enas,
}

impl StrategyKind {
    /// Whether it weighs the edges of the DARTS supernet (`search::strategy`, run by
    /// `search::run`) rather than being a search method of its own (`crate::method`).
    pub fn is_darts_family(self) -> bool {
        matches!(
            self,
            StrategyKind::Darts | StrategyKind::PcDarts | StrategyKind::Gdas
        )
    }

    /// The name configs give it (`pc-darts`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// How ProxylessNAS adds the expected latency E to the loss, with the target T
/// (`latency_target_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyLoss {
    /// `loss * (log E / log T)^latency_beta` (the paper's). Its gradient in E scales with
    /// beta / (E log T): the target changes it only through log T, so it presses towards fast
    /// blocks about as hard whatever the target.
    MulLog,
    /// `loss + latency_lambda * (E - T) / T` (the reference's `add#linear`): its gradient
    /// scales with 1 / T, so a low target presses hard and a high one hardly at all.
    #[default]
    Add,
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
