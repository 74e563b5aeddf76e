//! What a sweep varies: up to three config keys, each a list of values or a log or linear range
//! with a count, times N seeds, as the whole grid or a random sample of its points (drawn
//! without repeats, seeded, so the same request gives the same points).
use engine::config::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// At most this many keys vary together (a map over two, parallel coordinates over three).
pub const MAX_AXES: usize = 3;
/// At most this many points (before seeds).
pub const MAX_POINTS: usize = 100;
/// At most this many seeds a point.
pub const MAX_SEEDS: u64 = 10;

/// One varied key with the values it takes, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Mode {
    Grid,
    /// `samples` points of the grid, drawn with `seed`.
    Random {
        samples: usize,
        seed: u64,
    },
}

/// A sweep's plan: its axes, seeds per point, and which points of the grid run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub axes: Vec<Axis>,
    pub seeds: u64,
    #[serde(flatten)]
    pub mode: Mode,
    /// The sweet spot: points whose mean is within this fraction of the best's (0.02: 2%).
    pub tolerance: f64,
}

fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.into(),
        message: message.into(),
    }
}

/// A number written short: 1e-4 steps of a log range print as 0.0001, not 0.00010000000000000002.
fn tidy(x: f64) -> Value {
    let short: f64 = format!("{x:.6e}").parse().unwrap_or(x);
    if short.fract() == 0.0 && short.abs() < 1e15 {
        json!(short as i64)
    } else {
        json!(short)
    }
}

/// `{"from", "to", "count", "scale": "log"|"linear"}` as its values.
fn range(name: &str, r: &Value, errors: &mut Vec<FieldError>) -> Vec<Value> {
    let (from, to) = (r["from"].as_f64(), r["to"].as_f64());
    let count = r["count"].as_u64();
    let scale = r["scale"].as_str().unwrap_or("linear");
    let (Some(from), Some(to), Some(count)) = (from, to, count) else {
        errors.push(field(
            name,
            "a range needs numbers from and to and a count: {\"from\": 1e-4, \"to\": 1e-2, \"count\": 3, \"scale\": \"log\"}",
        ));
        return vec![];
    };
    if !(2..=20).contains(&count) {
        errors.push(field(name, format!("count {count}: give 2 to 20 values")));
        return vec![];
    }
    let step = |i: u64| i as f64 / (count - 1) as f64;
    match scale {
        "linear" => (0..count)
            .map(|i| tidy(from + (to - from) * step(i)))
            .collect(),
        "log" if from > 0.0 && to > 0.0 => (0..count)
            .map(|i| tidy((from.ln() + (to.ln() - from.ln()) * step(i)).exp()))
            .collect(),
        "log" => {
            errors.push(field(name, "a log range needs from and to above 0"));
            vec![]
        }
        other => {
            errors.push(field(
                name,
                format!("unknown scale '{other}'; log or linear"),
            ));
            vec![]
        }
    }
}

/// The request's `axes`, `seeds`, `mode`, `samples` and `tolerance`, checked; every problem
/// named by its field (`axes[1].range`, `samples`).
pub fn parse(body: &Value) -> Result<Spec, Vec<FieldError>> {
    let mut errors = vec![];
    let mut axes = vec![];
    match body["axes"].as_array() {
        Some(list) if (1..=MAX_AXES).contains(&list.len()) => {
            for (i, a) in list.iter().enumerate() {
                let name = format!("axes[{i}]");
                let Some(key) = a["key"].as_str().filter(|k| !k.is_empty()) else {
                    errors.push(field(&name, "needs a key: the config key to vary"));
                    continue;
                };
                if key == "seed" {
                    errors.push(field(&name, "seeds are not an axis: give \"seeds\": N"));
                    continue;
                }
                if axes.iter().any(|x: &Axis| x.key == key) {
                    errors.push(field(&name, format!("{key} is varied twice")));
                    continue;
                }
                let values = match (&a["values"], &a["range"]) {
                    (Value::Array(v), Value::Null) if !v.is_empty() && v.len() <= 20 => v.clone(),
                    (Value::Array(_), Value::Null) => {
                        errors.push(field(&name, "give 1 to 20 values"));
                        continue;
                    }
                    (Value::Null, r @ Value::Object(_)) => {
                        range(&format!("{name}.range"), r, &mut errors)
                    }
                    _ => {
                        errors.push(field(&name, format!("{key}: give values [..] or a range {{from, to, count, scale}}, one of the two")));
                        continue;
                    }
                };
                let mut seen: Vec<&Value> = vec![];
                for v in &values {
                    if seen.contains(&v) {
                        errors.push(field(&name, format!("{key}: {v} is listed twice")));
                    }
                    seen.push(v);
                }
                axes.push(Axis {
                    key: key.to_string(),
                    values,
                });
            }
        }
        _ => errors.push(field(
            "axes",
            format!(
                "give 1 to {MAX_AXES} axes: [{{\"key\": \"alpha_lr\", \"values\": [...]}}, ...]"
            ),
        )),
    }
    let seeds = match &body["seeds"] {
        Value::Null => 1,
        v => match v.as_u64() {
            Some(n) if (1..=MAX_SEEDS).contains(&n) => n,
            _ => {
                errors.push(field("seeds", format!("{v}: give 1 to {MAX_SEEDS}")));
                1
            }
        },
    };
    let grid: usize = axes.iter().map(|a| a.values.len()).product();
    let mode = match body["mode"].as_str().unwrap_or("grid") {
        "grid" => {
            if body.get("samples").is_some() {
                errors.push(field("samples", "only a random sweep takes samples"));
            }
            Mode::Grid
        }
        "random" => match body["samples"].as_u64() {
            Some(n) if n >= 1 && (n as usize) <= grid => Mode::Random {
                samples: n as usize,
                seed: body["sample_seed"].as_u64().unwrap_or(0),
            },
            _ => {
                errors.push(field(
                    "samples",
                    format!("a random sweep needs samples: 1 to the grid's {grid} points"),
                ));
                Mode::Grid
            }
        },
        other => {
            errors.push(field(
                "mode",
                format!("unknown mode '{other}'; grid or random"),
            ));
            Mode::Grid
        }
    };
    let points = match mode {
        Mode::Grid => grid,
        Mode::Random { samples, .. } => samples,
    };
    if points > MAX_POINTS {
        errors.push(field(
            "axes",
            format!(
                "{points} points: at most {MAX_POINTS} (sample some with \"mode\": \"random\")"
            ),
        ));
    }
    let tolerance = match &body["tolerance"] {
        Value::Null => 0.02,
        v => match v.as_f64() {
            Some(t) if (0.0..1.0).contains(&t) => t,
            _ => {
                errors.push(field(
                    "tolerance",
                    format!("{v}: a fraction of the best, 0 to 1"),
                ));
                0.02
            }
        },
    };
    match errors.is_empty() {
        true => Ok(Spec {
            axes,
            seeds,
            mode,
            tolerance,
        }),
        false => Err(errors),
    }
}

/// A value as a flag, a label and the page write it: text without quotes, numbers as JSON.
pub fn shown(v: &Value) -> String {
    v.as_str().map_or(v.to_string(), str::to_string)
}

impl Spec {
    /// "alpha_lr x w_lr".
    pub fn keys(&self) -> String {
        self.axes
            .iter()
            .map(|a| a.key.as_str())
            .collect::<Vec<_>>()
            .join(" x ")
    }

    /// "grid of 9 points" or "random sample of 5 of the grid's 9 points".
    pub fn mode_text(&self) -> String {
        let grid: usize = self.axes.iter().map(|a| a.values.len()).product();
        match self.mode {
            Mode::Grid => format!("grid of {grid} points"),
            Mode::Random { samples, .. } => {
                format!("random sample of {samples} of the grid's {grid} points")
            }
        }
    }

    /// The axes as the page shows them.
    pub fn shown_axes(&self) -> Vec<app::types::SweepAxis> {
        self.axes
            .iter()
            .map(|a| app::types::SweepAxis {
                key: a.key.clone(),
                values: a.values.iter().map(shown).collect(),
            })
            .collect()
    }

    /// The grid's points as indices into each axis, the first axis slowest.
    fn grid(&self) -> Vec<Vec<usize>> {
        let mut points: Vec<Vec<usize>> = vec![vec![]];
        for a in &self.axes {
            points = points
                .into_iter()
                .flat_map(|p| {
                    (0..a.values.len()).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        points
    }

    /// The points that run, as indices into each axis, in grid order.
    pub fn points(&self) -> Vec<Vec<usize>> {
        let grid = self.grid();
        match self.mode {
            Mode::Grid => grid,
            Mode::Random { samples, seed } => {
                // A seeded partial Fisher-Yates shuffle (splitmix64), then back to grid order.
                let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
                let mut next = move || {
                    state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    z ^ (z >> 31)
                };
                let mut order: Vec<usize> = (0..grid.len()).collect();
                for i in 0..samples {
                    let j = i + (next() % (grid.len() - i) as u64) as usize;
                    order.swap(i, j);
                }
                let mut chosen = order[..samples].to_vec();
                chosen.sort_unstable();
                chosen.into_iter().map(|i| grid[i].clone()).collect()
            }
        }
    }

    /// A point's config keys and values.
    pub fn values(&self, point: &[usize]) -> Vec<(String, Value)> {
        self.axes
            .iter()
            .zip(point)
            .map(|(a, &i)| (a.key.clone(), a.values[i].clone()))
            .collect()
    }

    /// "alpha_lr=0.001, w_lr=0.003".
    pub fn label(&self, point: &[usize]) -> String {
        self.values(point)
            .iter()
            .map(|(k, v)| format!("{k}={}", shown(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
