//! `dartboard train`: retrains a genotype (a file, a search's `genotype.json` or `result.json`,
//! or a name) or a ProxylessNAS search's layers (its `architecture.json` or `result.json`) from
//! scratch on train + validation, scores it once on the test split, and prints
//! result.json as one line.
use crate::args::Args;
use crate::progress::run_job;
use anyhow::{anyhow, bail, Context, Result};
use engine::config::{flag_value, Preset};
use engine::data::about::About;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::Architecture;
use engine::retrain::random::{self, Budget, Space};
use engine::retrain::TrainResult;
use engine::search::SearchError;
use serde_json::Value;
use std::path::PathBuf;

/// The hidden switch `dartboard sweep` checks each point's config with before running any:
/// the command resolves its config, names what is wrong, and stops.
pub const VALIDATE_ONLY: &str = "validate-only";

/// `--preset NAME` as a preset.
pub fn preset_arg(name: &str) -> Result<Preset> {
    serde_json::from_value(Value::String(name.into())).map_err(|_| {
        anyhow!("--preset: unknown preset '{name}'; one of tiny, quick, default, darts-paper")
    })
}

/// The preset's config with the flags on top; every unknown key or bad value is named.
pub fn resolve(preset: Option<&str>, flags: &[(String, String)]) -> Result<TrainConfig> {
    let mut layer = serde_json::Map::new();
    if let Some(p) = preset {
        layer.insert("preset".into(), Value::String(p.into()));
    }
    for (key, text) in flags {
        layer.insert(key.clone(), flag_value(key, text));
    }
    TrainConfig::resolve(&layer).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("  {}: {}", e.field, e.message))
            .collect();
        anyhow!("invalid config:\n{}", lines.join("\n"))
    })
}

/// `genotype.json`, or the `genotype` inside a search's `result.json`, or a name; a ProxylessNAS
/// search's `architecture.json`, or the `architecture` inside its `result.json`.
fn network(text: &str) -> Result<Architecture> {
    let path = std::path::Path::new(text);
    if path.is_file() {
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(path).with_context(|| text.to_string())?)
                .with_context(|| format!("{text}: not JSON"))?;
        // A search's result.json names its strategy where the method found layers.
        let found_layers =
            serde_json::from_value::<engine::config::StrategyKind>(json["strategy"].clone())
                .is_ok_and(|k| !engine::method::of(k).finds_cell());
        let layers = if found_layers {
            Some(json["architecture"].clone())
        } else if json.get("choices").is_some() {
            Some(json.clone())
        } else {
            None
        };
        if let Some(layers) = layers {
            let layers = serde_json::from_value(layers)
                .with_context(|| format!("{text}: not a ProxylessNAS architecture"))?;
            return Ok(Architecture::Proxyless(layers));
        }
        let inner = json.get("genotype").cloned().unwrap_or(json);
        let g: engine::genotype::Genotype =
            serde_json::from_value(inner).with_context(|| format!("{text}: not a genotype"))?;
        g.validate().with_context(|| text.to_string())?;
        return Ok(Architecture::Cell(g));
    }
    crate::genotype_arg(text).map(Architecture::Cell)
}

pub fn run(mut args: Args) -> Result<()> {
    let out = PathBuf::from(
        args.take("out")
            .ok_or_else(|| anyhow!("--out DIR is required"))?,
    );
    let data_arg = args
        .take("data")
        .ok_or_else(|| anyhow!("--data PATH is required"))?;
    let genotype = args
        .take("genotype")
        .ok_or_else(|| anyhow!("--genotype FILE|darts-v1|darts-v2 is required"))?;
    let arch = network(&genotype)?;
    let searched_on = searched_on(&genotype);
    train_command(args, &out, &data_arg, &Trainee::Network(arch, searched_on))
}

/// The data the search that wrote genotype file `text` ran on (its `data.json`), if any.
fn searched_on(text: &str) -> Option<About> {
    let dir = std::path::Path::new(text).parent()?;
    let json = std::fs::read_to_string(dir.join(engine::data::about::FILE)).ok()?;
    serde_json::from_str(&json).ok()
}

/// What a command trains: one network (with the data it was searched on, when known), or a
/// random search that picks one.
pub enum Trainee {
    Network(Architecture, Option<About>),
    Random(Space, Budget),
}

/// A cell searched on other data than `data`: said on stderr, written to `transfer.json`,
/// and returned for the printed result.
fn transfer(
    what: &Trainee,
    data: &engine::data::Dataset,
    out: &std::path::Path,
) -> Result<Option<Value>> {
    let Trainee::Network(_, Some(from)) = what else {
        return Ok(None);
    };
    let to = About::of(data);
    if *from == to {
        return Ok(None);
    }
    let record = serde_json::json!({
        "from": from,
        "to": to,
        "rebuilt": from.rebuilt(&to),
    });
    eprintln!(
        "transferred: the cell searched on {} is trained on {}. {}",
        from.text(),
        to.text(),
        from.rebuilt(&to)
    );
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let path = out.join("transfer.json");
    std::fs::write(&path, serde_json::to_string_pretty(&record)?)
        .with_context(|| path.display().to_string())?;
    Ok(Some(record))
}

/// What `train` and `baseline` share once they know the network: the data, the training config
/// (preset and key flags), a fresh --out, the training, result.json on stdout.
pub fn train_command(
    mut args: Args,
    out: &std::path::Path,
    data_arg: &str,
    what: &Trainee,
) -> Result<()> {
    let data_dir = PathBuf::from(
        args.take("data-dir")
            .unwrap_or_else(|| crate::data_cmd::DEFAULT_DATA_DIR.into()),
    );
    let import = crate::data_cmd::import_options(&mut args)?;
    let preset = args.take("preset");
    let check_only = args.flag(VALIDATE_ONLY);
    let flags: Vec<(String, String)> = args.into_rest().into_iter().collect();
    let cfg = resolve(preset.as_deref(), &flags)?;
    if check_only {
        return Ok(());
    }
    refuse_non_empty(out)?;
    let data = crate::data_cmd::open(data_arg, &data_dir, &import)?;
    let moved = transfer(what, &data, out)?;
    let result = train(&data, what, &cfg, out)?;
    let mut printed = serde_json::to_value(&result)?;
    if let Some(record) = moved {
        printed["transfer"] = record;
    }
    println!("{}", serde_json::to_string(&printed)?);
    Ok(())
}

/// A command's --out must be new or empty, so no run's files are mixed with another's.
pub fn refuse_non_empty(out: &std::path::Path) -> Result<()> {
    if std::fs::read_dir(out)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
    {
        bail!(
            "{}: the folder is not empty; choose a new --out",
            out.display()
        );
    }
    Ok(())
}

/// Trains into `out` with progress on stderr; a panic or failure is an error.
pub fn train(
    data: &engine::data::Dataset,
    what: &Trainee,
    cfg: &TrainConfig,
    out: &std::path::Path,
) -> Result<TrainResult> {
    let outcome = run_job(|cancel, listener| match what {
        Trainee::Network(arch, _) => engine::retrain::run(data, arch, cfg, out, cancel, listener),
        Trainee::Random(space, budget) => {
            random::run(data, space, *budget, cfg, out, cancel, listener)
        }
    });
    match outcome {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(SearchError::Cancelled)) => Err(anyhow!("training cancelled")),
        Ok(Err(e)) => Err(anyhow!("training failed: {e}")),
        Err(panic) => Err(anyhow!("training failed: {panic}")),
    }
}
