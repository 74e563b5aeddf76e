//! `dartboard latency`: measures ProxylessNAS's latency lookup table on a device for a dataset's
//! images (every candidate block at every layer shape of the layout, and the fixed parts; batch
//! 1, the fastest of repeated passes after warm-up, libtorch's threads as `DARTBOARD_THREADS`
//! sets them, as a worker runs), stores it under the data directory (`latency/latency-cpu.json`)
//! where searches reuse it, and prints the layout's blocks with their milliseconds as JSON.
use crate::args::Args;
use anyhow::{anyhow, Context, Result};
use engine::config::Preset;
use engine::network::NetShape;
use engine::proxyless::space::Layout;
use engine::proxyless::table::{LatencyTable, TABLE_REPEATS};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Where the devices' latency tables live under a data directory (searches read them there).
pub fn tables_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("latency")
}

fn number<T: std::str::FromStr>(args: &mut Args, key: &str, default: T) -> Result<T> {
    match args.take(key) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| anyhow!("--{key}: expected a whole number, got {text:?}")),
    }
}

pub fn run(mut args: Args) -> Result<()> {
    let data_arg = args
        .take("data")
        .ok_or_else(|| anyhow!("--data PATH|ID is required: the images whose shapes to measure"))?;
    let data_dir = PathBuf::from(
        args.take("data-dir")
            .unwrap_or_else(|| crate::data_cmd::DEFAULT_DATA_DIR.into()),
    );
    let import = crate::data_cmd::import_options(&mut args)?;
    let defaults = Preset::Default.config();
    let width: i64 = number(&mut args, "init-channels", defaults.init_channels)?;
    let per_stage: usize = number(&mut args, "per-stage", defaults.per_stage)?;
    let device_text = args.take("device").unwrap_or_else(|| "cpu".into());
    args.reject_rest()?;
    if !(1..=256).contains(&width) {
        return Err(anyhow!("--init-channels: {width} is outside 1 to 256"));
    }
    if !(1..=8).contains(&per_stage) {
        return Err(anyhow!("--per-stage: {per_stage} is outside 1 to 8"));
    }
    let device = engine::device::parse(&device_text).map_err(|m| anyhow!("--device: {m}"))?;

    let data = crate::data_cmd::open(&data_arg, &data_dir, &import)?;
    let (c, h, w) = data.image_shape();
    let outputs = NetShape::of(&data, width, 1).outputs;
    let layout = Layout::new(c, (h, w), outputs, width, per_stage);
    let dir = tables_dir(&data_dir);
    let mut table = LatencyTable::load_or_empty(&dir, device);
    let started = std::time::Instant::now();
    let added = table.measure(&layout, device, TABLE_REPEATS);
    let path = table
        .save(&dir, device)
        .with_context(|| format!("{}: cannot write the table", dir.display()))?;
    let candidates = table
        .candidate_ms(&layout)
        .ok_or_else(|| anyhow!("the table lacks a block it just measured"))?;
    let layers: Vec<_> = layout
        .layers
        .iter()
        .zip(&candidates)
        .map(|(spec, ms)| {
            let blocks: serde_json::Map<String, serde_json::Value> = spec
                .candidates()
                .iter()
                .zip(ms)
                .map(|(choice, ms)| (choice.name(), json!(ms)))
                .collect();
            json!({
                "in": [spec.c_in, spec.size.0, spec.size.1],
                "out_channels": spec.c_out,
                "stride": spec.stride,
                "ms": blocks,
            })
        })
        .collect();
    println!(
        "{}",
        json!({
            "device": table.device,
            "threads": table.threads,
            "table": path,
            "entries": table.entries.len(),
            "measured": added,
            "seconds": started.elapsed().as_secs_f64(),
            "frame_ms": table.frame_ms(&layout),
            "layers": layers,
        })
    );
    Ok(())
}
