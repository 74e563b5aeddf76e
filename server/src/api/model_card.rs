//! `MODEL.md`, the model card of a trained network (a `train` or `baseline` run), written when
//! it is downloaded so it always carries the current comparison: the data, the training config,
//! the test metrics, the baselines of its source search, and the Python that loads and runs
//! `model.pt`.
use super::comparison;
use super::error::ApiResult;
use super::state::State;
use crate::store::RunRow;
use serde_json::Value;
use std::fmt::Write;

fn number(v: &Value) -> String {
    v.as_f64().map_or_else(|| "-".into(), |x| format!("{x:.4}"))
}

/// None for runs without a trained network.
pub async fn card(state: &State, run: &RunRow) -> ApiResult<Option<String>> {
    let Some(result) = run
        .result
        .as_ref()
        .filter(|r| r.get("architecture").is_some())
    else {
        return Ok(None);
    };
    let summary = state
        .store
        .dataset(&run.dataset_id)
        .await?
        .map(|d| (d.name, d.summary))
        .unwrap_or_default();
    let (name, s) = summary;
    let (c, h, w) = (&s["channels"], &s["height"], &s["width"]);
    let task = s["task"].as_str().unwrap_or("");
    let mut md = String::new();
    let arch = result["architecture"].as_str().unwrap_or("");
    let _ = writeln!(md, "# Model card: run #{} ({arch}) on {name}\n", run.id);
    let _ = writeln!(md, "## Data\n");
    let _ = writeln!(
        md,
        "- dataset: {name} (sha256 {})",
        s["sha256"].as_str().unwrap_or("")
    );
    let _ = writeln!(
        md,
        "- task: {task}, {} samples of {c}x{h}x{w} (channels x height x width)",
        s["n"]
    );
    if let Some(classes) = s["classes"].as_array() {
        let names: Vec<&str> = classes.iter().filter_map(|k| k["name"].as_str()).collect();
        let _ = writeln!(
            md,
            "- classes, in the order of the model's outputs: {}",
            names.join(", ")
        );
    }
    if let Some(targets) = s["targets"].as_array() {
        let names: Vec<&str> = targets.iter().filter_map(|k| k["name"].as_str()).collect();
        let _ = writeln!(
            md,
            "- targets, in the order of the model's outputs: {}",
            names.join(", ")
        );
    }
    let _ = writeln!(
        md,
        "- trained on {} samples (train + validation), tested once on {} held-out samples\n",
        result["train_samples"], result["test_samples"]
    );
    let _ = writeln!(
        md,
        "## Training\n\n```json\n{}\n```\n",
        serde_json::to_string_pretty(&run.config).unwrap_or_default()
    );
    if let Some(g) = result.get("genotype").filter(|g| !g.is_null()) {
        let _ = writeln!(md, "Genotype:\n\n```json\n{g}\n```\n");
    }
    if let Some(l) = result.get("layers").filter(|l| !l.is_null()) {
        let blocks: Vec<&str> = l["choices"]
            .as_array()
            .map(|c| c.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "ProxylessNAS layers (stem width {}, {} a stage): {}\n",
            l["width"],
            l["per_stage"],
            blocks.join(", ")
        );
    }
    let _ = writeln!(
        md,
        "## Metrics (test split)\n\n| metric | value |\n|---|---|"
    );
    if let Some(m) = result["test_metrics"].as_object() {
        for (k, v) in m {
            let _ = writeln!(md, "| {k} | {} |", number(v));
        }
    }
    if let Some(m) = result["confusion_matrix"].as_array() {
        let names: Vec<String> = s["classes"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|k| k["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
        let _ = writeln!(
            md,
            "\nConfusion matrix (rows: true class, columns: predicted):\n"
        );
        let _ = writeln!(
            md,
            "| | {} |",
            (0..m.len()).map(name).collect::<Vec<_>>().join(" | ")
        );
        let _ = writeln!(md, "|---|{}", "---|".repeat(m.len()));
        for (i, row) in m.iter().enumerate() {
            let cells: Vec<String> = row
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v.to_string())
                .collect();
            let _ = writeln!(md, "| {} | {} |", name(i), cells.join(" | "));
        }
    }
    let _ = writeln!(
        md,
        "\n{} weights; trained in {:.0} s on {}.\n",
        result["params"],
        result["seconds"].as_f64().unwrap_or(0.0),
        result["device"].as_str().unwrap_or("")
    );
    if let (Some(ms), Some(per_s)) = (
        result["speed"]["latency_ms"].as_f64(),
        result["speed"]["throughput"].as_f64(),
    ) {
        let _ = writeln!(
            md,
            "Speed there: {ms:.3} ms for one image (median forward pass), {per_s:.0} images per second in batches of {}.\n",
            engine::latency::THROUGHPUT_BATCH
        );
    }
    if let Some(source) = run.source_run {
        if let Some(search) = state.store.run(source).await? {
            let all = state.store.runs().await?;
            let names = super::datasets::names(&state.store).await?;
            // A cell moved from other data is compared with everything trained on this data.
            let (cmp, heading) = if super::transfer::source_of(&run, &all).is_some() {
                let from = names.get(&search.dataset_id).unwrap_or(&search.dataset_id);
                (
                    super::dataset_comparison::build(&run.dataset_id, &all, &names, &state.data_dir),
                    format!("## Transferred: the cell of search #{source} on {from}, next to every method trained on this data\n"),
                )
            } else {
                (
                    comparison::build(&search, &all, &names, &state.data_dir),
                    format!("## Baselines (from search #{source}, same data and recipe)\n"),
                )
            };
            if let Some(cmp) = cmp {
                let _ = writeln!(md, "{heading}");
                let _ = writeln!(
                    md,
                    "| method | parameters | multiply-adds | latency (ms) | test {} (mean ± sd) | runs |\n|---|---|---|---|---|---|",
                    cmp.metric
                );
                for r in cmp.rows {
                    let sd = r
                        .test_metric_sd
                        .map(|s| format!(" ± {s:.4}"))
                        .unwrap_or_default();
                    let runs: Vec<String> = r.runs.iter().map(|i| format!("#{i}")).collect();
                    let _ = writeln!(
                        md,
                        "| {} | {} | {} | {} | {}{sd} | {} |",
                        r.method,
                        r.params.map_or("-".into(), |p| p.to_string()),
                        r.macs.map_or("-".into(), |m| m.to_string()),
                        r.latency_ms.map_or("-".into(), |m| format!("{m:.3}")),
                        r.test_metric_mean.map_or("-".into(), |m| format!("{m:.4}")),
                        runs.join(" ")
                    );
                }
                let _ = writeln!(md);
            }
        }
    }
    let scale = match s["bit_depth"].as_i64() {
        Some(8) => "0-255, as 8-bit images are stored".to_string(),
        Some(b) => format!("the {b}-bit values as stored"),
        None => "the values as stored".into(),
    };
    let last = if task == "regression" {
        "print(out)  # the targets, in their original units"
    } else {
        "print(out.argmax(1))  # class indices; out holds the logits"
    };
    let input: engine::export::ModelInput =
        serde_json::from_value(result["model_input"].clone()).unwrap_or_default();
    let (h, w) = match input.size {
        Some((h, w)) => (h.to_string(), w.to_string()),
        None => ("H".into(), "W".into()),
    };
    let mut steps = vec![];
    if let Some((ch, cw)) = input.crop {
        steps.push(format!("crops the centre {ch}x{cw}"));
    }
    if let Some((rh, rw)) = input.resize {
        steps.push(format!(
            "resizes to {rh}x{rw} (bilinear, antialiased{})",
            if input.rounded {
                ", rounded to 0-255"
            } else {
                ""
            }
        ));
    }
    steps.push("normalises them".into());
    let steps = steps.join(", ");
    let size_note = if input.size.is_none() {
        " of any size"
    } else if input.crop.is_some() || input.resize.is_some() {
        " at the size they had before the import"
    } else {
        ""
    };
    let _ = writeln!(
        md,
        "## Use it\n\n`model.pt` is TorchScript. It takes float32 images [N, {c}, {h}, {w}]{size_note} with {scale}; it {steps} itself.\n\n```python\nimport torch\nmodel = torch.jit.load(\"model.pt\")\nimages = torch.zeros(4, {c}, {h}, {w})  # your images, [N, C, H, W], float32\nout = model(images)\n{last}\n```\n\nOr: `dartboard predict --model model.pt --data PATH --out predictions.csv`."
    );
    Ok(Some(md))
}
