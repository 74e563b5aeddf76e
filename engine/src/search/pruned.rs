//! The discrete network a search leaves inside its supernet ("prune and fine-tune", the seed
//! report's idea; DARTS-PT fine-tunes the projected supernet the same way, ruocwang/darts-pt
//! sota/cnn/projection.py): per cell type, each node's two chosen inputs with their chosen op,
//! every other op and edge removed. Its variables keep the supernet's names, so the trained
//! weights load from the search's last checkpoint by name. Everything else stays as searched:
//! the non-affine BNs, the pools' BN, PC-DARTS's partial channels with their channel shuffle and
//! its edge weights (constants now, the softmax of the final betas).
use super::checkpoint;
use super::mixing::{CellMix, Mixing};
use super::selection::projection::first_edge;
use super::supernet::{node_softmax, SearchSpace, Supernet};
use super::SearchError;
use crate::config::{SearchConfig, StrategyKind};
use crate::genotype::Genotype;
use crate::network::NetShape;
use crate::nn::Mode;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::Tensor;

/// A finished search as the pruned network is built from it.
#[derive(Debug, Clone, PartialEq)]
pub struct PrunedSource {
    pub config: SearchConfig,
    pub genotype: Genotype,
    /// The checkpoint folder with the supernet's last weights.
    pub checkpoint: PathBuf,
    /// PC-DARTS: each edge's weight in its node's sum, (normal, reduce); None: 1.
    pub edge_weights: Option<(Vec<f32>, Vec<f32>)>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SearchError> {
    let text = std::fs::read_to_string(path).map_err(|source| SearchError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| SearchError::Data(format!("{}: {e}", path.display())))
}

impl PrunedSource {
    /// The search whose files are in `dir`: its config, the genotype it selected and its last
    /// checkpoint. Refuses a search that has not finished.
    pub fn open(dir: &Path) -> Result<PrunedSource, SearchError> {
        let name = dir.file_name().map_or(dir.display().to_string(), |n| {
            n.to_string_lossy().into_owned()
        });
        let config_path = dir.join("config.json");
        let layers = read_json::<SearchConfig>(&config_path)
            .is_ok_and(|c| !crate::method::of(c.strategy).finds_cell());
        if layers {
            return Err(SearchError::Data(format!(
                "search {name} searched ProxylessNAS's layers, not a cell: it has no cell supernet to prune"
            )));
        }
        let genotype_path = dir.join("genotype.json");
        if !genotype_path.exists() {
            return Err(SearchError::Data(format!(
                "search {name} has not finished: it has no genotype to prune the supernet to"
            )));
        }
        let config: SearchConfig = read_json(&config_path)?;
        let genotype: Genotype = read_json(&genotype_path)?;
        let checkpoint = checkpoint::find(dir).ok_or_else(|| {
            SearchError::Data(format!(
                "search {name} kept no checkpoint: its supernet's weights are gone"
            ))
        })?;
        kept(&genotype, &config.primitives, config.nodes)?;
        let edge_weights = match config.strategy {
            StrategyKind::PcDarts => {
                let path = checkpoint.join("alphas.safetensors");
                let named = Tensor::read_safetensors(&path)
                    .map_err(|e| SearchError::Data(format!("{}: {e}", path.display())))?;
                let flat = |key: &str| -> Result<Vec<f32>, SearchError> {
                    let t = named.iter().find(|(n, _)| n == key).ok_or_else(|| {
                        SearchError::Data(format!("{}: no {key}", path.display()))
                    })?;
                    Ok(Vec::<f32>::try_from(&node_softmax(&t.1, config.nodes)).unwrap_or_default())
                };
                Some((flat("betas_normal")?, flat("betas_reduce")?))
            }
            _ => None,
        };
        Ok(PrunedSource {
            config,
            genotype,
            checkpoint,
            edge_weights,
        })
    }

    /// The network's shape: the search's width and depth for `shape`'s inputs and outputs.
    pub fn shape(&self, shape: &NetShape) -> NetShape {
        NetShape {
            init_channels: self.config.init_channels,
            layers: self.config.layers,
            ..shape.clone()
        }
    }

    /// Copies the checkpoint's weights (BN statistics included) into the pruned network's
    /// variables in `vs`, each by its name.
    pub fn load(&self, vs: &VarStore) -> Result<(), SearchError> {
        let path = self.checkpoint.join("weights.safetensors");
        let named = Tensor::read_safetensors(&path)
            .map_err(|e| SearchError::Data(format!("{}: {e}", path.display())))?;
        let saved: std::collections::HashMap<String, Tensor> = named.into_iter().collect();
        let _guard = tch::no_grad_guard();
        for (name, mut var) in vs.variables() {
            let src = saved.get(&name).ok_or_else(|| {
                SearchError::Data(format!("{}: no weight {name}", path.display()))
            })?;
            if src.size() != var.size() {
                return Err(SearchError::Data(format!(
                    "weight {name} of the search is {:?}, the network's {:?}: the search ran on data of another shape",
                    src.size(),
                    var.size()
                )));
            }
            var.copy_(src);
        }
        Ok(())
    }
}

/// Per edge of each cell type (normal, reduce), the column of the op `genotype` keeps; None
/// for the edges it drops. Errors when a node takes two ops from one input (one edge holds one
/// op here).
pub fn kept(
    genotype: &Genotype,
    primitives: &[crate::ops::Primitive],
    nodes: usize,
) -> Result<[Vec<Option<usize>>; 2], SearchError> {
    let cell = |ops: &[(crate::ops::Primitive, usize)], which: &str| {
        let mut kept = vec![None; first_edge(nodes)];
        if ops.len() != 2 * nodes {
            return Err(SearchError::Data(format!(
                "the {which} cell has {} ops; a supernet of {nodes} nodes prunes to {}",
                ops.len(),
                2 * nodes
            )));
        }
        for (k, &(prim, input)) in ops.iter().enumerate() {
            let node = k / 2;
            let column = primitives.iter().position(|p| *p == prim).ok_or_else(|| {
                SearchError::Data(format!(
                    "the {which} cell uses {}, which the search space lacks",
                    prim.as_str()
                ))
            })?;
            let slot = kept
                .get_mut(first_edge(node) + input)
                .filter(|_| input < 2 + node)
                .ok_or_else(|| {
                    SearchError::Data(format!(
                        "the {which} cell's node {node} takes input {input}, which it cannot"
                    ))
                })?;
            if slot.replace(column).is_some() {
                return Err(SearchError::Data(format!(
                    "the {which} cell's node {node} takes two ops from input {input}"
                )));
            }
        }
        Ok(kept)
    };
    Ok([
        cell(&genotype.normal, "normal")?,
        cell(&genotype.reduce, "reduction")?,
    ])
}

#[derive(Debug)]
pub struct PrunedNetwork {
    pub shape: NetShape,
    net: Supernet,
    /// Weight 1 on each kept op (and the edge weights): fixed for the network's life.
    mix: Mixing,
}

impl PrunedNetwork {
    /// The pruned network of `source` under `p`, for inputs and outputs of `shape` (its width
    /// and depth are the search's).
    pub fn new(p: &tch::nn::Path, shape: &NetShape, source: &PrunedSource) -> Self {
        let cfg = &source.config;
        let shape = source.shape(shape);
        let space = SearchSpace {
            nodes: cfg.nodes,
            primitives: cfg.primitives.clone(),
        };
        // `open` checked the genotype.
        let kept = kept(&source.genotype, &cfg.primitives, cfg.nodes).unwrap_or_else(|_| {
            [
                vec![None; first_edge(cfg.nodes)],
                vec![None; first_edge(cfg.nodes)],
            ]
        });
        let partial = match cfg.strategy {
            StrategyKind::PcDarts => cfg.pc_k as i64,
            _ => 1,
        };
        let net = Supernet::pruned(p, &shape, &space, partial, &kept);
        let device = p.device();
        let n_ops = space.primitives.len();
        let ops = |kept: &[Option<usize>]| one_hot(kept, n_ops).to_device(device);
        let edges = |w: Option<&Vec<f32>>| w.map(|w| Tensor::from_slice(w).to_device(device));
        let (en, er) = match &source.edge_weights {
            Some((n, r)) => (Some(n), Some(r)),
            None => (None, None),
        };
        let mix = Mixing {
            normal: CellMix {
                ops: ops(&kept[0]),
                edges: edges(en),
                only: None,
            },
            reduce: CellMix {
                ops: ops(&kept[1]),
                edges: edges(er),
                only: None,
            },
        };
        PrunedNetwork { shape, net, mix }
    }

    /// `x`: [N, C_in, H, W] normalised images; returns [N, outputs].
    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        self.net.forward(x, &self.mix, mode)
    }
}

/// [edges, ops]: 1 on each kept op, 0 elsewhere (a dropped edge's row is all 0).
pub fn one_hot(kept: &[Option<usize>], ops: usize) -> Tensor {
    let mut w = vec![0f32; kept.len() * ops];
    for (e, k) in kept.iter().enumerate() {
        if let Some(k) = k {
            w[e * ops + k] = 1.0;
        }
    }
    Tensor::from_slice(&w).reshape([kept.len() as i64, ops as i64])
}
