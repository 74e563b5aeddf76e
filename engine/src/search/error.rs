//! How a search fails: what every search method returns, and what its files and checkpoints
//! report.
use super::checkpoint::CheckpointError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid config: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Config(Vec<crate::config::FieldError>),
    #[error("{0}")]
    Data(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("training diverged at epoch {epoch}, step {step} (loss {loss:.4e}); lower w_lr, or use the default preset (Adam)")]
    Diverged {
        epoch: usize,
        step: usize,
        loss: f64,
    },
    #[error("cancelled")]
    Cancelled,
}
