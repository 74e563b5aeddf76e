//! `dartboard baseline --kind resnet18|resnet10 --data PATH [--preset NAME] [--device D]
//! --out DIR`: a ResNet trained with the same recipe as a retrained cell (the same presets and
//! keys as `dartboard train`), scored once on the test split; result.json on stdout.
use crate::args::Args;
use crate::train_cmd::train_command;
use anyhow::{anyhow, bail, Result};
use engine::resnet::Depth;
use engine::retrain::net::Architecture;
use std::path::PathBuf;

pub fn depth(kind: &str) -> Result<Depth> {
    match kind {
        "resnet18" => Ok(Depth::ResNet18),
        "resnet10" => Ok(Depth::ResNet10),
        "random" => bail!("--kind random: random search is not available in this version; use resnet18 or resnet10"),
        other => bail!("--kind: unknown baseline '{other}'; one of resnet18, resnet10"),
    }
}

pub fn run(mut args: Args) -> Result<()> {
    let out = PathBuf::from(
        args.take("out")
            .ok_or_else(|| anyhow!("--out DIR is required"))?,
    );
    let kind = args
        .take("kind")
        .ok_or_else(|| anyhow!("--kind resnet18|resnet10 is required"))?;
    let depth = depth(&kind)?;
    let data_arg = args
        .take("data")
        .ok_or_else(|| anyhow!("--data PATH is required"))?;
    train_command(args, &out, &data_arg, &Architecture::ResNet(depth))
}
