//! Epoch checkpoints: weights (with BN running statistics), architecture weights, both
//! optimisers' state and the run's progress, written to a temporary folder that replaces the old
//! one by rename, so a crash never leaves a half checkpoint that looks whole. The data order and
//! every random draw of an epoch derive from (seed, epoch), so no RNG state needs saving.
use crate::events::Event;
use crate::optim::State;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Tensor};

/// What a checkpoint holds of a searcher: its weights, its architecture parameters and both
/// optimisers' state (the DARTS searcher's and ProxylessNAS's).
pub trait Resumable {
    fn weights_vs(&self) -> &VarStore;
    fn alphas_vs(&self) -> &VarStore;
    fn stores_mut(&mut self) -> (&mut VarStore, &mut VarStore);
    /// (weights' optimiser, architecture's optimiser).
    fn optimizer_states(&self) -> (State, State);
    fn load_optimizer_states(&mut self, weights: &State, arch: &State);
}

/// `Resumable` for a searcher with `weights_vs`, `alphas_vs`, `w_opt` and `a_opt` fields.
#[macro_export]
macro_rules! resumable_fields {
    ($t:ty) => {
        impl $crate::search::checkpoint::Resumable for $t {
            fn weights_vs(&self) -> &tch::nn::VarStore {
                &self.weights_vs
            }
            fn alphas_vs(&self) -> &tch::nn::VarStore {
                &self.alphas_vs
            }
            fn stores_mut(&mut self) -> (&mut tch::nn::VarStore, &mut tch::nn::VarStore) {
                (&mut self.weights_vs, &mut self.alphas_vs)
            }
            fn optimizer_states(&self) -> ($crate::optim::State, $crate::optim::State) {
                (self.w_opt.state(), self.a_opt.state())
            }
            fn load_optimizer_states(
                &mut self,
                weights: &$crate::optim::State,
                arch: &$crate::optim::State,
            ) {
                self.w_opt.load_state(weights);
                self.a_opt.load_state(arch);
            }
        }
    };
}

pub const DIR: &str = "checkpoint";

/// Progress saved with the tensors.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// The last finished epoch (from 1).
    pub epoch: usize,
    pub best_val_metric: Option<f64>,
    /// Seconds spent in earlier sessions of the run.
    pub seconds: f64,
    /// The epoch events so far.
    pub history: Vec<Event>,
    /// Every metric on the validation part at the last finished epoch.
    #[serde(default)]
    pub val_metrics: std::collections::BTreeMap<String, f64>,
    /// The supernet's test metrics, scored once when the epochs were done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supernet_test_metrics: Option<std::collections::BTreeMap<String, f64>>,
    /// Where selection stands once the epochs are done (perturbation selection saves a
    /// checkpoint after each decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<super::selection::projection::SelectionState>,
    /// The epochs planned after the first to fit the config's seconds (none without them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_epochs: Option<usize>,
    /// ENAS: the controller's moving-average baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_baseline: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Tensor { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn tensor_err(path: &Path) -> impl FnOnce(tch::TchError) -> CheckpointError + '_ {
    move |e| CheckpointError::Tensor {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn write_state(path: &Path, state: &State) -> Result<(), CheckpointError> {
    let named: Vec<(&str, Tensor)> = state
        .iter()
        .map(|(n, t)| (n.as_str(), t.to_device(Device::Cpu)))
        .collect();
    Tensor::write_safetensors(&named, path).map_err(tensor_err(path))
}

fn read_state(path: &Path, device: Device) -> Result<State, CheckpointError> {
    let named = Tensor::read_safetensors(path).map_err(tensor_err(path))?;
    Ok(named
        .into_iter()
        .map(|(n, t)| (n, t.to_device(device)))
        .collect())
}

pub fn save(
    out: &Path,
    searcher: &dyn Resumable,
    progress: &Progress,
) -> Result<(), CheckpointError> {
    let tmp = out.join(format!("{DIR}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let p = tmp.join("weights.safetensors");
    searcher.weights_vs().save(&p).map_err(tensor_err(&p))?;
    let p = tmp.join("alphas.safetensors");
    searcher.alphas_vs().save(&p).map_err(tensor_err(&p))?;
    let (w_state, a_state) = searcher.optimizer_states();
    write_state(&tmp.join("w_optimizer.safetensors"), &w_state)?;
    write_state(&tmp.join("alpha_optimizer.safetensors"), &a_state)?;
    let p = tmp.join("progress.json");
    let json = serde_json::to_vec_pretty(progress).unwrap_or_default();
    std::fs::write(&p, json).map_err(io(&p))?;
    let dir = out.join(DIR);
    let old = out.join(format!("{DIR}.old"));
    if dir.exists() {
        std::fs::rename(&dir, &old).map_err(io(&dir))?;
    }
    std::fs::rename(&tmp, &dir).map_err(io(&tmp))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The checkpoint folder of a run, if one was completed (a crash mid-swap leaves `.old`).
pub fn find(out: &Path) -> Option<PathBuf> {
    [DIR.to_string(), format!("{DIR}.old")]
        .iter()
        .map(|d| out.join(d))
        .find(|d| d.join("progress.json").exists())
}

pub fn load(dir: &Path, searcher: &mut dyn Resumable) -> Result<Progress, CheckpointError> {
    let device = searcher.weights_vs().device();
    let (weights, alphas) = searcher.stores_mut();
    let p = dir.join("weights.safetensors");
    weights.load(&p).map_err(tensor_err(&p))?;
    let p = dir.join("alphas.safetensors");
    alphas.load(&p).map_err(tensor_err(&p))?;
    let w_state = read_state(&dir.join("w_optimizer.safetensors"), device)?;
    let a_state = read_state(&dir.join("alpha_optimizer.safetensors"), device)?;
    searcher.load_optimizer_states(&w_state, &a_state);
    let p = dir.join("progress.json");
    let text = std::fs::read_to_string(&p).map_err(io(&p))?;
    serde_json::from_str(&text).map_err(|e| CheckpointError::Tensor {
        path: p.clone(),
        message: e.to_string(),
    })
}
