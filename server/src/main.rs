//! `dartboard`: the web server (`serve`), its job worker (`worker`) and the command line.
mod api;
mod args;
mod baseline_cmd;
mod bench;
mod data_cmd;
mod estimate_cmd;
mod hub;
mod importer;
mod params;
mod pipeline_cmd;
mod predict_cmd;
mod progress;
mod runner;
mod search_cmd;
mod serve;
mod site;
mod store;
mod train_cmd;
mod worker;

use anyhow::{Context, Result};
use args::Args;
use engine::genotype::Genotype;

const USAGE: &str = "dartboard: neural architecture search (DARTS) for scientists

usage:
  dartboard serve [--addr 127.0.0.1:3000] [--data-dir ./dartboard-data] [--workers 1] [--worker-threads N]
                  [--admin-token TOKEN] [--upload-limit BYTES] [--body-limit BYTES]
                  [--max-queued 100] [--sample PATH] [--site DIR] [--allowed-host NAME[,NAME...]]
                  [--max-image-pixels 67108864] [--max-decoded-values 1073741824]
                  [--max-dataset-bytes 4294967296] [--database postgres://USER:PW@HOST/DB]
                  [--server-name NAME] [--executor local|slurm] [--slurm-partition P]
                  [--slurm-gres gpu:1] [--slurm-cpus N] [--slurm-mem 8G] [--slurm-time 4:00:00]
                  [--slurm-account A] [--slurm-extra '--qos=long ...']
  dartboard worker --run ID --data-dir DIR
  dartboard estimate --data-dir DIR --dataset ID --config JSON
  dartboard search --data PATH|ID [--data-dir DIR] [import options] [--preset tiny|quick|default|darts-paper] [--config FILE.json]
                   [--<config-key> VALUE ...] --out DIR
  dartboard search --resume DIR
  dartboard train --genotype FILE|darts-v1|darts-v2 --data PATH|ID [--data-dir DIR] [import options]
                  [--preset tiny|quick|default|darts-paper] [--device D] [--<train-key> VALUE ...] --out DIR
  dartboard baseline --kind resnet18|resnet10|random --data PATH|ID [import options] [--preset NAME] [--device D]
                     [--budget-seconds N | --candidates N] [--<train-key> VALUE ...] --out DIR
  dartboard pipeline --data PATH|ID [import options] [--preset NAME] [--seeds N] [--device D] --out DIR
  dartboard predict --model model.pt --data PATH [import options] --out predictions.csv
  dartboard params --model search|eval [--genotype darts-v1|darts-v2|FILE] [--channels C]
                   [--classes K] [--init-channels C] [--layers L] [--nodes N] [--auxiliary]
  dartboard bench [--batch 32] [--size 28] [--channels 1] [--init-channels 8] [--layers 5]
                  [--steps 5] [--device auto|cpu|cuda|cuda:N]
  dartboard data inspect PATH [--x NAME] [--y NAME] [--y-file FILE] [--target NAME|INDEX|all]
                   [--shape C,H,W] [--task classification|regression] [--crop H[,W]] [--resize H[,W]]
                   [--max-unpacked BYTES]
  dartboard data import PATH [same options] [--data-dir DIR] [--name NAME] [--samples]
                   [--max-image-pixels N] [--max-decoded-values N] [--max-dataset-bytes BYTES]
  dartboard data samples ID [--data-dir DIR]
  dartboard config-keys

JSON results go to stdout as one line; progress and logs go to stderr.";

/// A genotype from a file (JSON) or a name (darts-v1, darts-v2).
pub fn genotype_arg(text: &str) -> Result<Genotype> {
    let path = std::path::Path::new(text);
    if path.is_file() {
        let json = std::fs::read_to_string(path).with_context(|| text.to_string())?;
        let g: Genotype =
            serde_json::from_str(&json).with_context(|| format!("{text}: not a genotype"))?;
        g.validate().with_context(|| text.to_string())?;
        Ok(g)
    } else {
        Ok(Genotype::named(text)?)
    }
}

fn main() {
    if let Some(n) = std::env::var(worker::THREADS_VAR)
        .ok()
        .and_then(|t| t.parse::<i32>().ok())
    {
        tch::set_num_threads(n.max(1));
    }
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match argv.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match command {
        "search" => Args::parse(rest, &[]).and_then(search_cmd::run),
        "train" => Args::parse(rest, &[]).and_then(train_cmd::run),
        "predict" => Args::parse(rest, &[]).and_then(predict_cmd::run),
        "baseline" => Args::parse(rest, &[]).and_then(baseline_cmd::run),
        "pipeline" => Args::parse(rest, &[]).and_then(pipeline_cmd::run),
        "serve" => Args::parse(rest, &[]).and_then(serve::run),
        "worker" => Args::parse(rest, &[]).and_then(worker::run),
        "estimate" => Args::parse(rest, &[]).and_then(estimate_cmd::run),
        "data" => match rest.split_first() {
            Some((sub, tail)) => {
                // The path may come first, as `dartboard data inspect PATH --json`.
                let (path, opts) = match tail.split_first() {
                    Some((p, o)) if !p.starts_with("--") => (Some(p.clone()), o),
                    _ => (None, tail),
                };
                Args::parse(opts, &["json", "samples"]).and_then(|mut a| {
                    if let Some(p) = path {
                        a.insert("path", p)?;
                    }
                    data_cmd::run(sub, a)
                })
            }
            None => Err(anyhow::anyhow!(
                "usage: dartboard data inspect|import PATH [options]"
            )),
        },
        "params" => Args::parse(rest, &["auxiliary"]).and_then(params::run),
        "bench" => Args::parse(rest, &[]).and_then(bench::run),
        "config-keys" => {
            println!(
                "{}",
                serde_json::json!(engine::config::SearchConfig::keys())
            );
            Ok(())
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(anyhow::anyhow!("unknown command '{other}'\n\n{USAGE}")),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
