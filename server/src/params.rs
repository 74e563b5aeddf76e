//! `dartboard params`: weight and architecture-weight counts of a supernet or an evaluation net.
use crate::args::Args;
use crate::genotype_arg;
use anyhow::{bail, Result};
use engine::model::EvalNetwork;
use engine::network::NetShape;
use engine::ops::Primitive;
use engine::search::supernet::{Alphas, SearchSpace, Supernet};
use tch::nn::VarStore;
use tch::Device;

pub fn run(mut args: Args) -> Result<()> {
    let model = args.require("model")?;
    let shape = NetShape {
        in_channels: args.number("channels", 3)?,
        outputs: args.number("classes", 10)?,
        init_channels: args.number("init-channels", 16)?,
        layers: args.number("layers", 8)?,
    };
    let nodes: usize = args.number("nodes", 4)?;
    let vs = VarStore::new(Device::Cpu);
    let avs = VarStore::new(Device::Cpu);
    match model.as_str() {
        "search" => {
            let space = SearchSpace {
                nodes,
                primitives: Primitive::DARTS.to_vec(),
            };
            let _net = Supernet::new(&vs.root(), &shape, &space);
            let _alphas = Alphas::new(&avs.root(), nodes, space.primitives.len());
        }
        "eval" => {
            let genotype =
                genotype_arg(&args.take("genotype").unwrap_or_else(|| "darts-v2".into()))?;
            let _net = EvalNetwork::new(&vs.root(), &shape, &genotype, args.flag("auxiliary"));
        }
        other => bail!("--model must be search or eval, not '{other}'"),
    }
    args.reject_rest()?;
    let out = serde_json::json!({"weights": engine::count_weights(&vs), "alphas": engine::count_weights(&avs)});
    println!("{out}");
    Ok(())
}
