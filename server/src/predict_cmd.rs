//! `dartboard predict --model model.pt --data PATH --out predictions.csv`: runs an exported model
//! on anything the importer reads, one CSV row per image: its index, then the predicted class
//! index and the class probabilities (classification) or the predicted targets (regression, in
//! original units). The task is told by `--task`, else by the model's output: the importer's
//! targets say classification when the data has class labels.
use crate::args::Args;
use anyhow::{anyhow, Context, Result};
use engine::data::Task;
use std::io::Write;
use std::path::PathBuf;
use tch::{CModule, Device, Kind, Tensor};

const BATCH: i64 = 256;

pub fn run(mut args: Args) -> Result<()> {
    let model_path = PathBuf::from(
        args.take("model")
            .ok_or_else(|| anyhow!("--model model.pt is required"))?,
    );
    let data_arg = args
        .take("data")
        .ok_or_else(|| anyhow!("--data PATH is required"))?;
    let out = PathBuf::from(
        args.take("out")
            .ok_or_else(|| anyhow!("--out predictions.csv is required"))?,
    );
    let data_dir = PathBuf::from(
        args.take("data-dir")
            .unwrap_or_else(|| crate::data_cmd::DEFAULT_DATA_DIR.into()),
    );
    let import = crate::data_cmd::import_options(&mut args)?;
    args.reject_rest()?;
    let model = CModule::load_on_device(&model_path, Device::Cpu)
        .with_context(|| format!("{}: not a TorchScript model", model_path.display()))?;
    let data = crate::data_cmd::open(&data_arg, &data_dir, &import)?;
    let task = import.task.unwrap_or(data.task);
    let n = data.len() as i64;
    let _guard = tch::no_grad_guard();
    let mut rows = Vec::with_capacity(n as usize);
    let mut width = 0;
    for start in (0..n).step_by(BATCH as usize) {
        let len = BATCH.min(n - start);
        let x = data.images.narrow(0, start, len).to_kind(Kind::Float);
        let y = model.forward_ts(&[&x]).with_context(|| {
            format!(
                "{}: the model refused images of {:?}",
                model_path.display(),
                x.size()
            )
        })?;
        let y = match task {
            Task::Classification => Tensor::cat(
                &[
                    y.argmax(-1, true).to_kind(Kind::Double),
                    y.softmax(-1, Kind::Double),
                ],
                1,
            ),
            Task::Regression => y.to_kind(Kind::Double),
        };
        width = y.size()[1];
        let flat = Vec::<f64>::try_from(y.flatten(0, -1)).map_err(|e| anyhow!("{e}"))?;
        rows.extend(flat.chunks(width as usize).map(<[f64]>::to_vec));
    }
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&out).with_context(|| out.display().to_string())?,
    );
    let header: Vec<String> = match task {
        Task::Classification => std::iter::once("class".to_string())
            .chain((0..width - 1).map(|k| {
                format!(
                    "p_{}",
                    data.names
                        .get(k as usize)
                        .cloned()
                        .unwrap_or_else(|| k.to_string())
                )
            }))
            .collect(),
        Task::Regression => (0..width)
            .map(|k| {
                data.names
                    .get(k as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("target_{k}"))
            })
            .collect(),
    };
    writeln!(file, "index,{}", header.join(","))?;
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, v)| {
                if task == Task::Classification && k == 0 {
                    format!("{}", *v as i64)
                } else {
                    format!("{v}")
                }
            })
            .collect();
        writeln!(file, "{i},{}", cells.join(","))?;
    }
    file.flush()?;
    println!(
        "{}",
        serde_json::json!({"predictions": rows.len(), "out": out})
    );
    Ok(())
}
