//! Dartboard's engine: the DARTS search space, search strategies, training, data and export on
//! tch. No web code lives here.
pub mod bounds;
pub mod budget;
pub mod genotype;
pub mod latency;
pub mod model;
pub mod network;
pub mod nn;
pub mod ops;

/// Number of trainable weights in a VarStore (BN running statistics are not trainable).
pub fn count_weights(vs: &tch::nn::VarStore) -> i64 {
    vs.trainable_variables()
        .iter()
        .map(|t| t.numel() as i64)
        .sum()
}
pub mod config;
pub mod data;
pub mod device;
pub mod enas;
pub mod estimate;
pub mod events;
pub mod export;
pub mod method;
pub mod metrics;
pub mod optim;
pub mod presets;
pub mod proxyless;
pub mod resnet;
pub mod retrain;
pub mod rng;
pub mod runlog;
pub mod scoring;
pub mod search;
pub mod verdict;
