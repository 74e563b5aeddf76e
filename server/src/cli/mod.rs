//! The command line, on clap: every subcommand with `--help`, the search and training config
//! keys as flags generated from `engine::config::schema` (meaning, allowed values, each preset's
//! default), suggestions for mistyped options, and `dartboard completions SHELL`. clap parses;
//! the commands read what it matched as an `Args`, as they always have. Flags that are not
//! config keys of the command reach the engine's validation, which names every bad key at once
//! (with a suggestion) as the API does.
use crate::args::Args;
use anyhow::Result;
use clap::parser::ValueSource;
mod options;

use clap::{Arg, ArgMatches, Command};
use options::{
    data_source, import_limits, import_options, opt, preset_opt, rest, search_keys, switch,
    train_keys,
};

/// Checks the config and stops (what `dartboard sweep` asks of each point before running any).
fn validate_only() -> Arg {
    switch(crate::train_cmd::VALIDATE_ONLY, "check the config and stop").hide(true)
}

pub fn command() -> Command {
    let serve = Command::new("serve")
        .about("The web server with its job runner (http://127.0.0.1:3000)")
        .args([
            opt("addr", "IP:PORT", "where to listen (127.0.0.1:3000)"),
            opt(
                "data-dir",
                "DIR",
                "datasets, runs and the SQLite store (./dartboard-data)",
            ),
            opt(
                "workers",
                "N",
                "runs at once (1; with --executor slurm: jobs submitted at once)",
            ),
            opt(
                "worker-threads",
                "N",
                "libtorch threads of each local worker (cores / workers)",
            ),
            opt(
                "admin-token",
                "TOKEN",
                "required off loopback (or DARTBOARD_ADMIN_TOKEN)",
            ),
            opt("upload-limit", "BYTES", "largest upload (4294967296)"),
            opt("body-limit", "BYTES", "largest JSON body (1048576)"),
            opt("max-queued", "N", "queued runs before 429 (100)"),
            opt(
                "min-free",
                "BYTES",
                "free space the data directory keeps: no run or upload below it (268435456)",
            ),
            opt("sample", "PATH", "import this dataset at start"),
            opt("site", "DIR", "the built site (target/site)"),
            opt(
                "allowed-host",
                "NAME[,NAME]",
                "host names the server answers to",
            ),
            opt(
                "database",
                "URL",
                "postgres://USER:PW@HOST/DB (or DATABASE_URL); SQLite when absent",
            ),
            opt(
                "server-name",
                "NAME",
                "this server's name in a shared store (the host name)",
            ),
            opt("executor", "local|slurm", "where runs execute (local)"),
            opt("slurm-partition", "P", "sbatch --partition").help_heading("Slurm"),
            opt("slurm-gres", "GRES", "sbatch --gres, e.g. gpu:1").help_heading("Slurm"),
            opt("slurm-cpus", "N", "sbatch --cpus-per-task").help_heading("Slurm"),
            opt("slurm-mem", "MEM", "sbatch --mem, e.g. 16G").help_heading("Slurm"),
            opt("slurm-time", "TIME", "sbatch --time, e.g. 4:00:00").help_heading("Slurm"),
            opt("slurm-account", "A", "sbatch --account").help_heading("Slurm"),
            opt(
                "slurm-extra",
                "'OPTS'",
                "more sbatch options, e.g. '--qos=long'",
            )
            .help_heading("Slurm"),
        ])
        .args(import_limits());
    let worker = Command::new("worker")
        .about("Runs one queued run (started by the server or by sbatch)")
        .args([
            opt("run", "ID", "the run").required(true),
            opt("data-dir", "DIR", "the server's data directory").required(true),
        ]);
    let estimate = Command::new("estimate")
        .about("Measures a config's memory and time per epoch (used by the server)")
        .args([
            opt("data-dir", "DIR", "the data directory").required(true),
            opt("dataset", "ID", "an imported dataset").required(true),
            opt("config", "JSON", "the search config").required(true),
        ]);
    let search = Command::new("search")
        .about("Searches a cell with DARTS (or PC-DARTS, GDAS), or layers with ProxylessNAS, into --out")
        .args(data_source())
        .args(import_options())
        .args([
            preset_opt(),
            opt(
                "config",
                "FILE.json",
                "config keys from a file (flags override it)",
            ),
            opt("out", "DIR", "the run's folder (must be empty)"),
            opt(
                "resume",
                "DIR",
                "continue a run folder from its last checkpoint",
            ),
        ])
        .args(search_keys(&[]))
        .arg(validate_only())
        .arg(rest());
    let train = Command::new("train")
        .about("Trains a cell (a search's genotype, darts-v1, darts-v2) or a ProxylessNAS search's layers from scratch and tests it")
        .args(data_source())
        .args(import_options())
        .args([
            opt(
                "genotype",
                "FILE|NAME",
                "genotype.json, architecture.json, result.json, darts-v1 or darts-v2",
            ),
            preset_opt(),
            opt("out", "DIR", "the run's folder"),
        ])
        .args(train_keys("", &[]))
        .arg(validate_only())
        .arg(rest());
    let baseline = Command::new("baseline")
        .about("Trains a baseline with the same recipe: ResNet-18/10, random search, a pruned supernet")
        .args(data_source())
        .args(import_options())
        .args([
            opt("kind", "KIND", "resnet18, resnet10, random or pruned"),
            preset_opt(),
            opt("search", "DIR", "the search whose supernet is pruned (--kind pruned)"),
            opt("budget-seconds", "N", "random search: seconds for sampling and retraining"),
            opt("candidates", "N", "random search: a bracket of exactly N (8)"),
            opt("out", "DIR", "the run's folder"),
        ])
        .args(train_keys("", &[]))
        .arg(validate_only())
        .arg(rest());
    let pipeline = Command::new("pipeline")
        .about("The whole study per seed: search, retraining, pruning, ResNets, random search")
        .args(data_source())
        .args(import_options())
        .args([
            preset_opt(),
            opt("seeds", "N", "seeds to repeat the study with (1)"),
            opt(
                "budget",
                "TIME",
                "wall-clock time for one seed's whole study: 15m, 90s, 1.5h (quick: 15m; default: 60m; tiny: its epochs)",
            ),
            opt("device", "D", "auto, cpu, cuda or cuda:N"),
            opt("out", "DIR", "the study's folder"),
            switch(
                "resume",
                "read back the seeds --out already holds whole; study the rest (a half-done seed again)",
            ),
        ])
        .args(search_keys(&["device"]))
        .args(train_keys("train-", &["device"]))
        .arg(rest());
    let sweep = Command::new("sweep")
        .about("Runs a search (or training) at every point of up to three config keys times seeds, and maps the metric")
        .args([
            Arg::new("vary")
                .long("vary")
                .value_name("KEY=VALUES")
                .action(clap::ArgAction::Append)
                .help("a key and its values, up to 3 times: alpha_lr=1e-3,3e-3 or w_lr=log:1e-4:1e-2:3 (lin: for a linear range)"),
            opt("seeds", "N", "seeds per point (1), from --seed on"),
            opt("random", "N", "a random sample of N of the grid's points"),
            opt("sample-seed", "S", "the random sample's seed (0)"),
            opt("tolerance", "F", "the sweet spot: points within this fraction of the best (0.02)"),
            opt("kind", "KIND", "search (the default), train or baseline"),
            opt("out", "DIR", "the sweep's folder: a folder a run, sweep.json, sweep.csv, map.svg"),
        ])
        .after_help("Every other option goes to each run's command (dartboard search|train|baseline): --data, --preset, config keys, ...")
        .arg(rest());
    let predict = Command::new("predict")
        .about("Predicts with a trained model.pt on images the importer reads")
        .args([
            opt("model", "model.pt", "a trained network's model.pt").required(true),
            opt("data", "PATH", "the images").required(true),
            opt("data-dir", "DIR", "the data directory"),
            opt("out", "FILE.csv", "the predictions").required(true),
        ])
        .args(import_options());
    let params = Command::new("params")
        .about("Parameter counts of the search or evaluation network (the authors' numbers)")
        .args([
            opt("model", "search|eval", "which network").required(true),
            opt(
                "genotype",
                "NAME|FILE",
                "darts-v1, darts-v2 or a genotype file",
            ),
            opt("channels", "C", "input channels"),
            opt("classes", "K", "classes"),
            opt("init-channels", "C", "the first cells' channels"),
            opt("layers", "L", "cells"),
            opt("nodes", "N", "intermediate nodes per cell"),
            switch("auxiliary", "with the auxiliary head"),
        ]);
    let latency = Command::new("latency")
        .about("Measures ProxylessNAS's latency table on a device for a dataset's images; searches reuse it")
        .args(data_source())
        .args(import_options())
        .args([
            opt("device", "D", "cpu (the default), cuda or cuda:N"),
            opt("init-channels", "C", "the stem's width, as the search's init_channels (16)"),
            opt("per-stage", "N", "searchable layers in each of the 4 stages (2)"),
        ]);
    let bench = Command::new("bench")
        .about("Times search steps on random data and prints the medians and peak memory")
        .args([
            opt("batch", "N", "batch size (32)"),
            opt("size", "PX", "image side (28)"),
            opt("channels", "C", "image channels (1)"),
            opt("init-channels", "C", "the first cells' channels (8)"),
            opt("layers", "L", "cells (5)"),
            opt("steps", "N", "timed steps (5)"),
            opt("device", "D", "auto, cpu, cuda or cuda:N"),
            opt("strategy", "S", "darts, pc-darts or gdas"),
            opt("pc-k", "K", "PC-DARTS's K"),
        ]);
    let path = || {
        Arg::new("path")
            .value_name("PATH")
            .required(true)
            .help("a file or folder the importer reads")
    };
    let data = Command::new("data")
        .about("Inspects or imports a dataset, or draws its samples")
        .subcommand_required(true)
        .subcommand(
            Command::new("inspect")
                .about("Prints what the importer reads from PATH, as JSON")
                .arg(path())
                .args(import_options())
                .arg(switch("json", "JSON output (the default)")),
        )
        .subcommand(
            Command::new("import")
                .about("Stores PATH as a dataset in the data directory")
                .arg(path())
                .args(import_options())
                .args([
                    opt("data-dir", "DIR", "where datasets live (./dartboard-data)"),
                    opt("name", "NAME", "the dataset's name"),
                    switch("samples", "draw its sample grid too"),
                    switch("json", "JSON output (the default)"),
                ]),
        )
        .subcommand(
            Command::new("samples")
                .about("Draws an imported dataset's sample grid (samples.png)")
                .arg(
                    Arg::new("path")
                        .value_name("ID")
                        .required(true)
                        .help("the dataset's id"),
                )
                .arg(opt(
                    "data-dir",
                    "DIR",
                    "where datasets live (./dartboard-data)",
                )),
        );
    let completions = Command::new("completions")
        .about("Prints a shell completion script: dartboard completions bash > /etc/bash_completion.d/dartboard")
        .arg(
            Arg::new("shell")
                .required(true)
                .value_parser(["bash", "zsh", "fish"]),
        );
    Command::new("dartboard")
        .about("Neural architecture search (DARTS) for scientists")
        .after_help("JSON results go to stdout as one line; progress and logs go to stderr.")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommands([
            serve,
            worker,
            estimate,
            search,
            train,
            baseline,
            pipeline,
            sweep,
            predict,
            params,
            latency,
            bench,
            data,
            Command::new("config-keys").about("The search config keys, as JSON"),
            completions,
        ])
}

/// What clap matched, as the commands read it: the options given on the command line by
/// name, the switches that are on, and the flags left to the engine.
pub fn to_args(m: &ArgMatches) -> Result<Args> {
    let mut args = Args::default();
    for id in m.ids() {
        let name = id.as_str();
        if name == "rest" || m.value_source(name) != Some(ValueSource::CommandLine) {
            continue;
        }
        match m.try_get_one::<bool>(name) {
            Ok(Some(true)) => args.set_flag(name),
            Ok(_) => {}
            Err(_) => {
                if let Some(v) = m.get_one::<String>(name) {
                    args.insert(name, v.clone())?;
                }
            }
        }
    }
    if let Some(rest) = m.get_many::<String>("rest") {
        let rest: Vec<String> = rest.cloned().collect();
        args.merge(Args::parse(&rest, &[])?)?;
    }
    Ok(args)
}

/// `dartboard completions SHELL`.
pub fn completions(shell: &str) -> Result<()> {
    use clap_complete::Shell;
    let shell = match shell {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        _ => Shell::Fish,
    };
    clap_complete::generate(shell, &mut command(), "dartboard", &mut std::io::stdout());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn config_keys_are_flags_with_their_defaults() -> Result<()> {
        let mut search = command()
            .find_subcommand("search")
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no search subcommand"))?;
        let help = search.render_long_help().to_string();
        assert!(help.contains("--init-channels <VALUE>"), "{help}");
        assert!(
            help.contains("tiny 4, quick 8, default 16, darts-paper 16"),
            "{help}"
        );
        assert!(help.contains("one of darts, pc-darts, gdas"), "{help}");
        let m = command().try_get_matches_from([
            "dartboard",
            "search",
            "--init_channels",
            "8",
            "--epoch",
            "2",
            "--out",
            "o",
        ])?;
        let (_, sub) = m
            .subcommand()
            .ok_or_else(|| anyhow::anyhow!("no subcommand"))?;
        let args = to_args(sub)?;
        let rest = args.into_rest();
        assert_eq!(rest.get("init_channels").map(String::as_str), Some("8"));
        // Not a key: left for the engine, which names it and suggests `epochs`.
        assert_eq!(rest.get("epoch").map(String::as_str), Some("2"));
        assert_eq!(rest.get("out").map(String::as_str), Some("o"));
        Ok(())
    }
}
