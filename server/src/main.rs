//! `dartboard`: the web server (`serve`), its job worker (`worker`) and the command line.
mod api;
mod args;
mod baseline_cmd;
mod bench;
mod cli;
mod data_cmd;
mod estimate_cmd;
mod faults;
mod hub;
mod importer;
mod latency_cmd;
mod params;
mod pipeline;
mod predict_cmd;
mod progress;
mod routes;
mod runner;
mod search_cmd;
mod serve;
mod site;
mod store;
mod sweep;
mod train_cmd;
mod worker;

use anyhow::{Context, Result};
use engine::genotype::Genotype;

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
    let matches = match cli::command().try_get_matches_from(std::env::args_os()) {
        Ok(m) => m,
        Err(e) => {
            // --help and --version answer on stdout with success; a usage error on stderr, with
            // the exit code of every other error.
            // (and `dartboard` alone prints the overview, as `dartboard help` does).
            if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = cli::command().print_help();
                std::process::exit(0);
            }
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let Some((command, sub)) = matches.subcommand() else {
        let _ = cli::command().print_help();
        return;
    };
    let args = cli::to_args(sub);
    data_cmd::set_command(match sub.subcommand_name() {
        Some(what) => format!("dartboard {command} {what}"),
        None => format!("dartboard {command}"),
    });
    let result = match command {
        "search" => args.and_then(search_cmd::run),
        "train" => args.and_then(train_cmd::run),
        "predict" => args.and_then(predict_cmd::run),
        "baseline" => args.and_then(baseline_cmd::run),
        "pipeline" => args.and_then(pipeline::run),
        "sweep" => sweep::cli::run(sub),
        "serve" => args.and_then(serve::run),
        "worker" => args.and_then(worker::run),
        "estimate" => args.and_then(estimate_cmd::run),
        "data" => match sub.subcommand() {
            Some((what, m)) => cli::to_args(m).and_then(|a| data_cmd::run(what, a)),
            None => Err(anyhow::anyhow!(
                "usage: dartboard data inspect|import|samples PATH"
            )),
        },
        "params" => args.and_then(params::run),
        "bench" => args.and_then(bench::run),
        "latency" => args.and_then(latency_cmd::run),
        "config-keys" => {
            println!(
                "{}",
                serde_json::json!(engine::config::SearchConfig::keys())
            );
            Ok(())
        }
        "completions" => match sub.get_one::<String>("shell") {
            Some(shell) => cli::completions(shell),
            None => Err(anyhow::anyhow!(
                "usage: dartboard completions bash|zsh|fish"
            )),
        },
        other => Err(anyhow::anyhow!("unknown command '{other}'")),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
