//! `dartboard data inspect|import`: read a dataset in any supported format, print its summary as
//! one JSON line, and (import) store it under a data directory.
use crate::args::Args;
use anyhow::{anyhow, bail, Result};
use engine::data::store;
use engine::data::{
    parse_shape, parse_size, parse_symmetry, parse_task, Dataset, ImportLimits, ImportOptions,
    Symmetry,
};
use std::path::{Path, PathBuf};

/// Test hook: `DARTBOARD_IMPORT_FAULT=kill` makes `data import` kill itself with SIGKILL before
/// reading, as the out-of-memory killer would (the server must survive it).
pub const FAULT_VAR: &str = "DARTBOARD_IMPORT_FAULT";

/// The default data directory (the server's, too).
pub const DEFAULT_DATA_DIR: &str = "dartboard-data";

/// The command this process runs ("dartboard pipeline"): import refusals name its flags.
static COMMAND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Records the command this process runs (once, at start).
pub fn set_command(name: String) {
    let _ = COMMAND.set(Box::leak(name.into_boxed_str()));
}

/// The hidden flag by which the server tells its import child whose bounds it applies, so a
/// refusal of an upload names `dartboard serve --max-...`, the flags its operator can raise.
pub const LIMITS_OF: &str = "limits-of";

/// Takes the bounds on what an import decodes (`--max-image-pixels --max-decoded-values
/// --max-dataset-bytes`), each defaulting to `ImportLimits::default()`.
pub fn import_limits(args: &mut Args) -> Result<ImportLimits> {
    let d = ImportLimits::default();
    let command = match args.take(LIMITS_OF).as_deref() {
        Some("serve") => "dartboard serve",
        Some(other) => bail!(
            "--{LIMITS_OF}: '{other}' is not a command whose bounds an import applies (serve)"
        ),
        None => COMMAND.get().copied().unwrap_or(d.command),
    };
    Ok(ImportLimits {
        max_image_pixels: args.number("max-image-pixels", d.max_image_pixels)?,
        max_decoded_values: args.number("max-decoded-values", d.max_decoded_values)?,
        max_dataset_bytes: args.number("max-dataset-bytes", d.max_dataset_bytes)?,
        command,
    })
}

/// Takes the import options (`--x --y --y-file --target --shape --task --resize --crop
/// --symmetry`, and the bounds of `import_limits`).
pub fn import_options(args: &mut Args) -> Result<ImportOptions> {
    Ok(ImportOptions {
        limits: import_limits(args)?,
        x: args.take("x"),
        y: args.take("y"),
        y_file: args.take("y-file").map(PathBuf::from),
        target: args.take("target"),
        shape: parse("shape", args.take("shape"), parse_shape)?,
        task: parse("task", args.take("task"), parse_task)?,
        crop: parse("crop", args.take("crop"), parse_size)?,
        resize: parse("resize", args.take("resize"), parse_size)?,
        symmetry: parse("symmetry", args.take("symmetry"), parse_symmetry)?.unwrap_or_default(),
        max_unpacked: parse("max-unpacked", args.take("max-unpacked"), |t| {
            t.parse::<u64>()
                .map_err(|_| format!("'{t}' is not a number of bytes"))
        })?,
    })
}

fn parse<T>(
    name: &str,
    value: Option<String>,
    f: fn(&str) -> Result<T, String>,
) -> Result<Option<T>> {
    value
        .map(|v| f(&v).map_err(|m| anyhow!("--{name}: {m}")))
        .transpose()
}

/// A dataset from a path, or from the store when `data` is an id there.
pub fn open(data: &str, data_dir: &Path, opts: &ImportOptions) -> Result<Dataset> {
    if store::is_id(data) && store::dataset_dir(data_dir, data).exists() {
        let mut d = store::load(data_dir, data)?.0;
        // --symmetry on a stored dataset holds for this command.
        if opts.symmetry != Symmetry::None {
            d.symmetry = opts.symmetry;
        }
        return Ok(d);
    }
    Ok(engine::data::load_with(Path::new(data), opts)?)
}

/// Draws a stored dataset's sample grid into its folder (`samples.png`).
pub fn write_samples(data_dir: &Path, id: &str, dataset: &Dataset) -> Result<()> {
    let dir = store::dataset_dir(data_dir, id);
    let png = engine::data::samples::grid_png(dataset).map_err(|m| anyhow!(m))?;
    let tmp = dir.join(format!("samples.png.{}.tmp", std::process::id()));
    std::fs::write(&tmp, png)?;
    std::fs::rename(&tmp, dir.join("samples.png"))?;
    Ok(())
}

pub fn run(sub: &str, mut args: Args) -> Result<()> {
    let data_dir_of = |args: &mut Args| {
        PathBuf::from(
            args.take("data-dir")
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        )
    };
    if sub == "samples" {
        let id = args.require("path")?;
        let data_dir = data_dir_of(&mut args);
        args.reject_rest()?;
        let (dataset, _) = store::load(&data_dir, &id)?;
        return write_samples(&data_dir, &id, &dataset);
    }
    let path = args.take("path").or_else(|| args.take("data"));
    let opts = import_options(&mut args)?;
    let data_dir = data_dir_of(&mut args);
    let rename = args.take("name");
    let samples = args.flag("samples");
    args.reject_rest()?;
    let path = path.ok_or_else(|| anyhow!("usage: dartboard data {sub} PATH [options]"))?;
    if sub == "import" && std::env::var(FAULT_VAR).is_ok_and(|v| v == "kill") {
        // SAFETY: raise(3) on this process; it ends here, as under the out-of-memory killer.
        unsafe { libc::raise(libc::SIGKILL) };
    }
    let mut dataset = engine::data::load_with(Path::new(&path), &opts)?;
    if let Some(name) = rename {
        dataset.name = name;
    }
    match sub {
        "inspect" => {
            let summary = engine::data::summary::summarize(&dataset, &opts);
            println!("{}", serde_json::to_string(&summary)?);
        }
        "import" => {
            let (summary, new) = store::import(&data_dir, &dataset, &opts)?;
            let id = store::id_of(&summary);
            if samples
                && !store::dataset_dir(&data_dir, &id)
                    .join("samples.png")
                    .exists()
            {
                write_samples(&data_dir, &id, &dataset)?;
            }
            let mut json = serde_json::to_value(&summary)?;
            json["id"] = id.into();
            json["stored"] = new.into();
            println!("{json}");
        }
        other => bail!("unknown data command '{other}': use inspect, import or samples"),
    }
    Ok(())
}
