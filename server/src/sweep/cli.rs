//! `dartboard sweep`: a sweep on this machine, one run after another, each a child `dartboard
//! search|train|baseline` with the point's keys as flags (a run that fails, such as a
//! divergence, is a failed point, not the end of the sweep). Writes each run's folder, then
//! sweep.json (the map as the page shows it), sweep.csv and map.svg into --out, and prints
//! sweep.json as one line.
//!
//!   dartboard sweep --data D --vary alpha_lr=log:1e-4:1e-2:3 --vary w_lr=1e-3,3e-3 \
//!       --seeds 2 --preset quick --out DIR [--kind search|train|baseline] [--random N] [flags]
use super::spec::{self, shown, Spec};
use super::summary::{cells, parameter_free, sweet_spot};
use anyhow::{anyhow, bail, Context, Result};
use app::types::{SweepDetail, SweepMember, SweepRow};
use clap::ArgMatches;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The sweep's own options; everything else goes to each run's command.
const OWN: [&str; 7] = [
    "vary",
    "seeds",
    "random",
    "sample-seed",
    "tolerance",
    "kind",
    "out",
];

/// `KEY=v1,v2,...`, `KEY=log:FROM:TO:COUNT` or `KEY=lin:FROM:TO:COUNT` as an axis request.
fn axis(text: &str) -> Result<Value> {
    let (key, values) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("--vary {text}: expected KEY=v1,v2 or KEY=log:FROM:TO:COUNT"))?;
    let key = key.replace('-', "_");
    let parts: Vec<&str> = values.split(':').collect();
    if let [scale @ ("log" | "lin"), from, to, count] = parts[..] {
        let num = |s: &str| {
            s.parse::<f64>()
                .map_err(|_| anyhow!("--vary {text}: '{s}' is not a number"))
        };
        let count: u64 = count
            .parse()
            .map_err(|_| anyhow!("--vary {text}: the count '{count}' is not a whole number"))?;
        let scale = if scale == "log" { "log" } else { "linear" };
        return Ok(
            json!({"key": key, "range": {"from": num(from)?, "to": num(to)?, "count": count, "scale": scale}}),
        );
    }
    let values: Vec<Value> = values
        .split(',')
        .map(|v| engine::config::flag_value(&key, v.trim()))
        .collect();
    Ok(json!({"key": key, "values": values}))
}

/// The sweep's options (from clap, or among the pass-through flags) and the flags left.
fn split(m: &ArgMatches) -> Result<(Vec<(String, String)>, Vec<String>)> {
    let mut own: Vec<(String, String)> = vec![];
    for name in OWN {
        if let Some(values) = m.get_many::<String>(name) {
            own.extend(values.map(|v| (name.to_string(), v.clone())));
        }
    }
    let rest: Vec<String> = m
        .get_many::<String>("rest")
        .map(|r| r.cloned().collect())
        .unwrap_or_default();
    let mut pass = vec![];
    let mut it = rest.into_iter();
    while let Some(t) = it.next() {
        let name = t.strip_prefix("--").unwrap_or("");
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (name.to_string(), None),
        };
        if OWN.contains(&name.as_str()) {
            let v = match inline {
                Some(v) => v,
                None => it.next().ok_or_else(|| anyhow!("--{name} needs a value"))?,
            };
            own.push((name, v));
        } else {
            pass.push(t);
        }
    }
    Ok((own, pass))
}

/// The one value of option `name`, if given (twice is an error).
fn one(own: &[(String, String)], name: &str) -> Result<Option<String>> {
    let mut found = own
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone());
    let first = found.next();
    if found.next().is_some() {
        bail!("--{name} given twice");
    }
    Ok(first)
}

fn number(own: &[(String, String)], name: &str) -> Result<Option<Value>> {
    one(own, name)?
        .map(|t| {
            serde_json::from_str::<Value>(&t)
                .ok()
                .filter(Value::is_number)
                .ok_or_else(|| anyhow!("--{name}: '{t}' is not a number"))
        })
        .transpose()
}

/// The metric a finished run reports, and its result.
fn read_result(dir: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(dir.join("result.json")).ok()?).ok()
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let (own, pass) = split(m)?;
    let out = PathBuf::from(one(&own, "out")?.ok_or_else(|| anyhow!("--out DIR is required"))?);
    let kind = one(&own, "kind")?.unwrap_or_else(|| "search".into());
    if !["search", "train", "baseline"].contains(&kind.as_str()) {
        bail!("--kind {kind}: one of search, train, baseline");
    }
    let axes: Vec<Value> = own
        .iter()
        .filter(|(k, _)| k == "vary")
        .map(|(_, v)| axis(v))
        .collect::<Result<_>>()?;
    let mut request = json!({"axes": axes});
    if let Some(s) = number(&own, "seeds")? {
        request["seeds"] = s;
    }
    if let Some(n) = number(&own, "random")? {
        request["mode"] = json!("random");
        request["samples"] = n;
    }
    if let Some(s) = number(&own, "sample-seed")? {
        request["sample_seed"] = s;
    }
    if let Some(t) = number(&own, "tolerance")? {
        request["tolerance"] = t;
    }
    let spec = spec::parse(&request).map_err(|e| crate::search_cmd::config_errors(&e))?;
    crate::train_cmd::refuse_non_empty(&out)?;
    let points = spec.points();
    let base_seed = seed_flag(&pass)?;
    let exe = std::env::current_exe().context("the dartboard binary")?;
    let child = |point: &[usize], seed: u64, dir: &Path| {
        let mut cmd = Command::new(&exe);
        cmd.arg(&kind).args(without_seed(&pass));
        for (key, v) in spec.values(point) {
            cmd.arg(format!("--{key}")).arg(shown(&v));
        }
        cmd.arg("--seed")
            .arg(seed.to_string())
            .arg("--out")
            .arg(dir);
        cmd
    };
    // Every point's config first, so that a bad value stops the sweep before anything ran.
    for point in &points {
        let done = child(point, base_seed, &out)
            .arg(format!("--{}", crate::train_cmd::VALIDATE_ONLY))
            .output()
            .with_context(|| format!("starting {}", exe.display()))?;
        if !done.status.success() {
            bail!(
                "at {}: {}",
                spec.label(point),
                String::from_utf8_lossy(&done.stderr)
                    .trim()
                    .trim_start_matches("error: ")
            );
        }
    }
    let mut members = vec![];
    let total = points.len() as u64 * spec.seeds;
    let mut n = 0;
    for (i, point) in points.iter().enumerate() {
        for k in 0..spec.seeds {
            n += 1;
            let seed = base_seed + k;
            let dir = out.join(format!("p{i:02}-s{seed}"));
            let mut cmd = child(point, seed, &dir);
            eprintln!(
                "sweep: run {n} of {total}: {} seed {seed}",
                spec.label(point)
            );
            let done = cmd
                .stdout(std::process::Stdio::null())
                .output()
                .with_context(|| format!("starting {}", exe.display()))?;
            let stderr = String::from_utf8_lossy(&done.stderr);
            let message = stderr
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .map(|l| l.trim_start_matches("error: ").to_string());
            // A run that never started (a bad flag, a missing file) would not start at any
            // point: stop at once with its error. One that started and failed is a result.
            if !done.status.success() && !dir.join("events.jsonl").exists() {
                bail!("{}", stderr.trim());
            }
            let result = read_result(&dir);
            let key = if kind == "search" {
                "best_val_metric"
            } else {
                "test_metric"
            };
            members.push((
                result.clone(),
                SweepMember {
                    run: n as i64,
                    point: i,
                    seed,
                    status: if done.status.success() {
                        "succeeded"
                    } else {
                        "failed"
                    }
                    .into(),
                    metric: result.as_ref().and_then(|r| r[key].as_f64()),
                    parameter_free: result.as_ref().and_then(parameter_free),
                    message,
                },
            ));
        }
    }
    let detail = summary(&spec, &kind, &members, &out);
    write(&out, &detail)?;
    println!("{}", serde_json::to_string(&detail)?);
    Ok(())
}

/// `--seed N` among the pass-through flags (0 when absent): the first seed of each point.
fn seed_flag(pass: &[String]) -> Result<u64> {
    let at = pass.iter().position(|t| t == "--seed");
    match at.and_then(|i| pass.get(i + 1)) {
        Some(v) => v
            .parse()
            .map_err(|_| anyhow!("--seed {v}: not a whole number")),
        None => Ok(0),
    }
}

fn without_seed(pass: &[String]) -> Vec<String> {
    let mut out = vec![];
    let mut it = pass.iter();
    while let Some(t) = it.next() {
        if t == "--seed" {
            it.next();
        } else if !t.starts_with("--seed=") {
            out.push(t.clone());
        }
    }
    out
}

fn summary(
    spec: &Spec,
    kind: &str,
    members: &[(Option<Value>, SweepMember)],
    out: &Path,
) -> SweepDetail {
    let first = members
        .iter()
        .find_map(|(r, _)| r.clone())
        .unwrap_or(Value::Null);
    let metric = first["metric"].as_str().unwrap_or("metric").to_string();
    let higher = first["higher_is_better"].as_bool().unwrap_or(true);
    let list: Vec<SweepMember> = members.iter().map(|(_, m)| m.clone()).collect();
    let cells = cells(spec, &list);
    let sweet = sweet_spot(spec, &cells, higher);
    SweepDetail {
        row: SweepRow {
            id: 0,
            kind: kind.to_string(),
            dataset_name: String::new(),
            keys: spec.keys(),
            status: "finished".into(),
            runs: list.len(),
            done: list.len(),
            created_at: 0.0,
        },
        dataset_id: String::new(),
        axes: spec.shown_axes(),
        seeds: spec.seeds,
        mode: spec.mode_text(),
        measure: super::fold::measure(kind, false, &metric),
        metric,
        higher_is_better: higher,
        cells,
        members: list,
        sweet_spot: sweet,
        searches: kind == "search",
        base: vec![],
        share_token: None,
        read_only: true,
        csv_url: out.join("sweep.csv").display().to_string(),
    }
}

fn write(out: &Path, d: &SweepDetail) -> Result<()> {
    let put = |name: &str, body: String| {
        let p = out.join(name);
        std::fs::write(&p, body).with_context(|| p.display().to_string())
    };
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    put("sweep.json", serde_json::to_string_pretty(d)?)?;
    put("sweep.csv", super::fold::csv(d))?;
    put("map.svg", app::charts::sweep_map(d, false))?;
    if d.searches {
        put("collapse.svg", app::charts::sweep_map(d, true))?;
    }
    Ok(())
}
