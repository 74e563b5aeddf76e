//! `dartboard baseline --kind resnet18|resnet10|random|pruned --data PATH [--preset NAME]
//! [--budget-seconds N | --candidates N] [--search DIR] [--device D] --out DIR`: what a scientist
//! would do without DARTS, trained with the same recipe as a retrained cell (the same presets and
//! keys as `dartboard train`) and scored once on the test split; result.json on stdout.
//!
//! `pruned` is the other way to finish a search: its supernet (in `--search DIR`, a finished
//! search's folder) pruned to the selected cell and fine-tuned from its trained weights with the
//! recipe, at the search's width and depth.
//!
//! Random search samples genotypes from the preset's search space (its ops and nodes). With
//! `--budget-seconds N` the sampling and the final retraining together take about N seconds
//! (match it to a search's plus its retraining's); otherwise it trains `--candidates` (8).
use crate::args::Args;
use crate::train_cmd::{preset_arg, train_command, Trainee};
use anyhow::{anyhow, bail, Result};
use engine::config::Preset;
use engine::resnet::Depth;
use engine::retrain::net::Architecture;
use engine::retrain::random::{Budget, Space};
use engine::search::pruned::PrunedSource;
use std::path::PathBuf;

const CANDIDATES: usize = 8;

pub fn depth(kind: &str) -> Result<Depth> {
    match kind {
        "resnet18" => Ok(Depth::ResNet18),
        "resnet10" => Ok(Depth::ResNet10),
        other => {
            bail!("--kind: unknown baseline '{other}'; one of resnet18, resnet10, random, pruned")
        }
    }
}

/// The random search's budget from `--budget-seconds` or `--candidates`, and its space from the
/// preset's search config (the preset flag stays for the training recipe).
fn random(args: &mut Args) -> Result<Trainee> {
    let seconds: Option<f64> = args.optional("budget-seconds")?;
    let count: Option<usize> = args.optional("candidates")?;
    let budget = match (seconds, count) {
        (Some(_), Some(_)) => bail!("give --budget-seconds or --candidates, not both"),
        (Some(s), None) if s.is_finite() && s >= 0.0 => Budget::Total { seconds: s },
        (Some(s), None) => bail!("--budget-seconds: expected seconds >= 0, got {s}"),
        (None, Some(0)) => bail!("--candidates: at least 1"),
        (None, Some(n)) => Budget::Candidates { count: n },
        (None, None) => Budget::Candidates { count: CANDIDATES },
    };
    let preset = match args.peek("preset") {
        None => Preset::Quick,
        Some(p) => preset_arg(p)?,
    };
    Ok(Trainee::Random(Space::of(&preset.config()), budget))
}

pub fn run(mut args: Args) -> Result<()> {
    let out = PathBuf::from(
        args.take("out")
            .ok_or_else(|| anyhow!("--out DIR is required"))?,
    );
    let kind = args
        .take("kind")
        .ok_or_else(|| anyhow!("--kind resnet18|resnet10|random|pruned is required"))?;
    let what = match kind.as_str() {
        "random" => random(&mut args)?,
        "pruned" => {
            let dir = args.take("search").ok_or_else(|| {
                anyhow!("--search DIR (a finished search's folder) is required for --kind pruned")
            })?;
            let source = PrunedSource::open(std::path::Path::new(&dir))
                .map_err(|e| anyhow!("--search {dir}: {e}"))?;
            Trainee::Network(Architecture::Pruned(Box::new(source)), None)
        }
        other => Trainee::Network(Architecture::ResNet(depth(other)?), None),
    };
    let data_arg = args
        .take("data")
        .ok_or_else(|| anyhow!("--data PATH is required"))?;
    train_command(args, &out, &data_arg, &what)
}
