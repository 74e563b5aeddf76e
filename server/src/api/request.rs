//! What `POST /api/runs` (and the sweeps and the site's form) is sent, read strictly: the
//! request's keys where its kind of run takes them, a study's settings, and the 422 that names
//! every bad field at once.
use super::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use engine::config::{FieldError, SearchConfig};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct CreateRun {
    pub dataset_id: Option<String>,
    pub kind: Option<String>,
    pub config: Option<Value>,
    /// Training and baseline runs: the search whose result they start from.
    #[serde(default)]
    pub source_run: Option<i64>,
    /// Training runs: a named genotype or a genotype object.
    #[serde(default)]
    pub genotype: Option<Value>,
    /// Baseline runs: resnet18, resnet10 or random.
    #[serde(default)]
    pub baseline: Option<String>,
    /// Repeat the run with this many seeds, as a group.
    #[serde(default)]
    pub seeds: Option<u64>,
    /// Searches: retrain the cell and run the baselines when it succeeds (`preset`, `device`).
    #[serde(default)]
    pub study: Option<Value>,
}

pub fn unprocessable(errors: Vec<FieldError>) -> ApiError {
    let list: Vec<Value> = errors
        .iter()
        .map(|e| json!({"field": e.field, "message": e.message}))
        .collect();
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({ "errors": list }),
        retry_after: None,
    }
}

pub fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.into(),
        message: message.into(),
    }
}

/// The request's top-level keys.
const KEYS: [&str; 8] = [
    "dataset_id",
    "kind",
    "config",
    "source_run",
    "genotype",
    "baseline",
    "seeds",
    "study",
];

/// A request body read strictly: an object of known keys, each where its kind of run takes it.
pub fn parse_create(v: Value) -> ApiResult<CreateRun> {
    let Value::Object(map) = &v else {
        return Err(unprocessable(vec![field(
            "body",
            "must be a JSON object: {\"dataset_id\", \"kind\", \"config\", ...}",
        )]));
    };
    let mut errors: Vec<FieldError> = map
        .keys()
        .filter(|k| !KEYS.contains(&k.as_str()))
        .map(|k| field(k, format!("unknown key '{k}'; the request takes {KEYS:?}")))
        .collect();
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("search");
    let misplaced: &[&str] = match kind {
        "search" => &["source_run", "genotype", "baseline"],
        "train" => &["baseline", "study"],
        "baseline" => &["genotype", "study"],
        _ => &[],
    };
    for k in misplaced.iter().filter(|k| map.contains_key(**k)) {
        errors.push(field(k, format!("a {kind} run does not take '{k}'")));
    }
    if !errors.is_empty() {
        // The config's own errors too, so that one answer names every bad field.
        if let Some(Value::Object(layer)) = map.get("config") {
            let config_errors = match kind {
                "train" | "baseline" => engine::retrain::config::TrainConfig::resolve(layer).err(),
                _ => SearchConfig::resolve(std::slice::from_ref(layer)).err(),
            };
            errors.extend(config_errors.unwrap_or_default());
        }
        return Err(unprocessable(errors));
    }
    serde_json::from_value(v).map_err(|e| unprocessable(vec![field("body", e.to_string())]))
}

/// A study's training preset and device, checked; stored in the search's request.
pub fn study(v: &Value) -> ApiResult<Value> {
    let Some(map) = v.as_object() else {
        return Err(unprocessable(vec![field(
            "study",
            format!(
                "must be an object {{\"preset\", \"device\", \"budget\"}} (all optional), not {v}"
            ),
        )]));
    };
    let mut errors: Vec<_> = map
        .iter()
        .filter(|(k, _)| !["preset", "device", "budget"].contains(&k.as_str()))
        .map(|(k, _)| {
            field(
                "study",
                format!("unknown key '{k}'; a study takes preset, device and budget"),
            )
        })
        .collect();
    for (k, x) in map {
        if !x.is_string() {
            errors.push(field("study", format!("{k} must be a string, not {x}")));
        }
    }
    let preset = v["preset"].as_str().unwrap_or("quick");
    let device = v["device"].as_str().unwrap_or("auto");
    if serde_json::from_value::<engine::config::Preset>(json!(preset)).is_err() {
        errors.push(field(
            "study",
            format!("unknown preset '{preset}'; one of tiny, quick, default, darts-paper"),
        ));
    }
    if let Err(m) = engine::device::parse(device) {
        errors.push(field("study", m));
    }
    // One seed's wall-clock time (`15m`, `90s`, `1.5h`): the search gets a fifth, the trainings
    // share the rest (engine::budget); without one, the preset's epochs and seconds decide.
    let budget = match v["budget"].as_str() {
        Some(text) => match engine::budget::parse(text) {
            Ok(s) => Some(s),
            Err(m) => {
                errors.push(field("study", m));
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let mut s = json!({"preset": preset, "device": device});
    if let Some(b) = budget {
        s["budget_seconds"] = json!(b);
    }
    Ok(s)
}
