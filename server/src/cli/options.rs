//! The options the subcommands share: how an option, a switch and a config key become clap
//! arguments, the import options, and the config keys with each preset's default.
use clap::{Arg, ArgAction};
use engine::config::schema::{KeyDoc, PRESETS, SEARCH, TRAIN};
use engine::config::Preset;
use serde_json::Value;

/// A string for clap's `&'static str` parameters (the CLI is built once per process).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

pub fn opt(name: &'static str, value: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name(value)
        .help(help)
        .action(ArgAction::Set)
}

pub fn switch(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .help(help)
        .action(ArgAction::SetTrue)
}

/// Flags that are not config keys of the command, left to the engine's validation (everything
/// after the first of them lands here, so the commands that take it check their own required
/// options rather than clap).
pub fn rest() -> Arg {
    Arg::new("rest")
        .num_args(0..)
        .trailing_var_arg(true)
        .allow_hyphen_values(true)
        .hide(true)
}

pub fn presets<T: serde::Serialize>(config: impl Fn(Preset) -> T) -> Vec<(&'static str, Value)> {
    PRESETS
        .iter()
        .filter_map(|name| {
            let preset: Preset = serde_json::from_value(Value::from(*name)).ok()?;
            Some((*name, serde_json::to_value(config(preset)).ok()?))
        })
        .collect()
}

/// `--KEY VALUE` for each documented key (`prefix` before each: `train-` for the pipeline's
/// training keys), with its meaning, its values and each preset's default in the help.
pub fn config_args(
    docs: &[KeyDoc],
    values: &[(&str, Value)],
    (prefix, heading): (&str, &'static str),
    skip: &[&str],
) -> Vec<Arg> {
    docs.iter()
        .filter(|d| d.key != "preset" && !skip.contains(&d.key))
        .map(|d| {
            let long = leak(format!("{prefix}{}", d.key.replace('_', "-")));
            let mut help = d.meaning.to_string();
            if let Some(v) = d.values {
                help.push_str(&format!("; one of {}", v.join(", ")));
            }
            let defaults: Vec<String> = values
                .iter()
                .map(|(p, config)| {
                    let v = &config[d.key];
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Array(a) if a.len() > 3 => format!("{} ops", a.len()),
                        other => other.to_string(),
                    };
                    format!("{p} {text}")
                })
                .collect();
            help.push_str(&format!(" [{}]", defaults.join(", ")));
            let mut arg = Arg::new(long)
                .long(long)
                .value_name("VALUE")
                .help(leak(help))
                .help_heading(heading)
                .action(ArgAction::Set);
            let underscored = format!("{prefix}{}", d.key);
            if underscored != long {
                arg = arg.alias(leak(underscored));
            }
            arg
        })
        .collect()
}

pub fn search_keys(skip: &[&str]) -> Vec<Arg> {
    let heading = "Search config (each preset's default in brackets)";
    config_args(SEARCH, &presets(|p| p.config()), ("", heading), skip)
}

pub fn train_keys(prefix: &str, skip: &[&str]) -> Vec<Arg> {
    let values = presets(engine::retrain::config::TrainConfig::preset);
    let heading = "Training config (each preset's default in brackets)";
    config_args(TRAIN, &values, (prefix, heading), skip)
}

pub fn import_options() -> Vec<Arg> {
    [
        ("x", "NAME", "the array (or column) of the images"),
        ("y", "NAME", "the array (or column) of the targets"),
        ("y-file", "FILE", "targets in a file of their own"),
        (
            "target",
            "NAME|INDEX|all",
            "which target column(s) to learn",
        ),
        (
            "shape",
            "C,H,W",
            "the images' shape when the file stores them flat",
        ),
        (
            "task",
            "classification|regression",
            "the task (default: from the targets)",
        ),
        ("crop", "H[,W]", "centre crop before the resize"),
        ("resize", "H[,W]", "resize the images"),
        ("max-unpacked", "BYTES", "the most an archive may unpack to"),
        (
            "symmetry",
            "none|flip|rot90|dihedral",
            "what training may flip and turn the images by (none)",
        ),
    ]
    .into_iter()
    .map(|(n, v, h)| opt(n, v, h).help_heading("Import"))
    .chain(import_limits())
    .collect()
}

/// The bounds on what an import holds: every command that imports takes them.
pub fn import_limits() -> Vec<Arg> {
    vec![
        opt(
            crate::data_cmd::LIMITS_OF,
            "COMMAND",
            "whose bounds these are",
        )
        .hide(true),
        opt(
            "max-image-pixels",
            "N",
            "refuse images with more pixels (67108864)",
        ),
        opt(
            "max-decoded-values",
            "N",
            "refuse data that keeps more values (after crop and resize; 1073741824)",
        ),
        opt(
            "max-dataset-bytes",
            "BYTES",
            "refuse datasets stored larger (4294967296)",
        ),
    ]
}

pub fn data_source() -> Vec<Arg> {
    vec![
        opt(
            "data",
            "PATH|ID",
            "a dataset file or folder, or the id of an imported dataset",
        ),
        opt(
            "data-dir",
            "DIR",
            "where imported datasets live (./dartboard-data)",
        ),
    ]
}

pub fn preset_opt() -> Arg {
    opt(
        "preset",
        "NAME",
        "the defaults to start from: tiny, quick, default, darts-paper",
    )
}
