//! `/sweeps/new` (and `/sweeps/new?from=RUN`, which "Sweep..." on a finished run opens with
//! that run's dataset, kind and config filled in): up to three config keys with their values
//! (a list, or a log or linear range), seeds, the whole grid or a random sample, and for
//! searches a study per point. The server checks every point as it checks a run and names
//! every bad field.
use crate::calls::{get_run, list_datasets, start_sweep};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::{json, Map, Value};

/// One axis's values as typed: `log:1e-4:1e-2:3`, `lin:2:8:4`, or a comma list (numbers stay
/// numbers, other words are sent as text for the server to name).
pub fn axis_values(text: &str) -> Value {
    let t = text.trim();
    let parts: Vec<&str> = t.split(':').map(str::trim).collect();
    if let [scale @ ("log" | "lin"), from, to, count] = parts[..] {
        let num = |s: &str| {
            s.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::from(s), Value::Number)
        };
        let count = count.parse::<u64>().map_or(Value::from(count), Value::from);
        let scale = if scale == "log" { "log" } else { "linear" };
        return json!({"range": {"from": num(from), "to": num(to), "count": count, "scale": scale}});
    }
    let values: Vec<Value> = t
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if let Ok(i) = s.parse::<i64>() {
                Value::from(i)
            } else if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                Value::Number(n)
            } else if s == "true" || s == "false" {
                Value::from(s == "true")
            } else {
                Value::from(s)
            }
        })
        .collect();
    json!({ "values": values })
}

/// The form as the sweep request.
#[allow(clippy::too_many_arguments)]
fn request(
    dataset: &str,
    kind: &str,
    source: &str,
    baseline: &str,
    config: &str,
    axes: &[(String, String)],
    seeds: &str,
    samples: &str,
    study: Option<&str>,
) -> Result<String, String> {
    let config: Value = serde_json::from_str(if config.trim().is_empty() {
        "{}"
    } else {
        config
    })
    .map_err(|e| format!("config: not a JSON object: {e}"))?;
    let mut r = Map::new();
    r.insert("kind".into(), kind.into());
    r.insert("config".into(), config);
    if kind == "search" || source.trim().is_empty() {
        r.insert("dataset_id".into(), dataset.into());
    }
    if kind != "search" && !source.trim().is_empty() {
        let id = source
            .trim()
            .parse::<i64>()
            .map_or(Value::from(source), Value::from);
        r.insert("source_run".into(), id);
    }
    if kind == "baseline" {
        r.insert("baseline".into(), baseline.into());
    }
    let axes: Vec<Value> = axes
        .iter()
        .filter(|(k, v)| !k.trim().is_empty() || !v.trim().is_empty())
        .map(|(k, v)| {
            let mut a = axis_values(v);
            a["key"] = k.trim().into();
            a
        })
        .collect();
    r.insert("axes".into(), axes.into());
    let seeds = seeds
        .trim()
        .parse::<u64>()
        .map_or(Value::from(seeds), Value::from);
    r.insert("seeds".into(), seeds);
    if !samples.trim().is_empty() {
        r.insert("mode".into(), "random".into());
        let n = samples
            .trim()
            .parse::<u64>()
            .map_or(Value::from(samples), Value::from);
        r.insert("samples".into(), n);
    }
    if let (Some(preset), "search") = (study, kind) {
        r.insert("study".into(), json!({"preset": preset, "device": "auto"}));
    }
    Ok(Value::Object(r).to_string())
}

#[component]
pub fn NewSweepPage() -> impl IntoView {
    let query = use_query_map();
    let from = query.with_untracked(|q| q.get("from").and_then(|s| s.parse::<i64>().ok()));
    let datasets = Resource::new(|| (), |_| list_datasets());
    let dataset = RwSignal::new(String::new());
    let kind = RwSignal::new("search".to_string());
    let source = RwSignal::new(String::new());
    let baseline = RwSignal::new("resnet18".to_string());
    let config = RwSignal::new("{\"preset\": \"quick\"}".to_string());
    let keys: [RwSignal<String>; 3] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let values: [RwSignal<String>; 3] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let seeds = RwSignal::new("2".to_string());
    let samples = RwSignal::new(String::new());
    let study = RwSignal::new(false);
    let study_preset = RwSignal::new("quick".to_string());
    let error = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    // "Sweep..." on a run: its dataset, kind and config (its seed left to the sweep).
    let prefill = Resource::new(
        move || from,
        |id| async move {
            match id {
                Some(id) => get_run(id).await.ok().flatten(),
                None => None,
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Some(d)) = prefill.get() {
            dataset.set(d.row.dataset_id.clone());
            kind.set(d.row.kind.clone());
            let mut m = Map::new();
            for (k, v) in &d.config {
                if k != "seed" {
                    m.insert(k.clone(), serde_json::from_str(v).unwrap_or(Value::Null));
                }
            }
            config.set(serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default());
            if d.row.kind != "search" {
                source.set(d.source_run.map(|s| s.to_string()).unwrap_or_default());
            }
            note.set(format!(
                "Filled in from run #{}: vary up to three of its keys.",
                d.row.id
            ));
        }
    });
    let navigate = use_navigate();
    let submit = move |_| {
        error.set(String::new());
        let axes: Vec<(String, String)> = (0..3)
            .map(|i| (keys[i].get_untracked(), values[i].get_untracked()))
            .collect();
        let preset = study_preset.get_untracked();
        match request(
            &dataset.get_untracked(),
            &kind.get_untracked(),
            &source.get_untracked(),
            &baseline.get_untracked(),
            &config.get_untracked(),
            &axes,
            &seeds.get_untracked(),
            &samples.get_untracked(),
            study.get_untracked().then_some(preset.as_str()),
        ) {
            Ok(body) => {
                let navigate = navigate.clone();
                leptos::task::spawn_local(async move {
                    match start_sweep(body).await {
                        Ok(Ok(id)) => navigate(&format!("/sweeps/{id}"), Default::default()),
                        Ok(Err(reason)) => error.set(reason),
                        Err(e) => error.set(e.to_string()),
                    }
                });
            }
            Err(e) => error.set(e),
        }
    };
    view! {
        <section class="page">
            <h1>"New sweep"</h1>
            <p class="muted">"A sweep runs the same run at every point of up to three config keys, each with several seeds, and maps the result: is there a big sweet spot, or a narrow band of settings that work? Values: a list (1e-3, 3e-3, 1e-2), or a range: log:1e-4:1e-2:3 or lin:2:8:4 (from, to, count)."</p>
            <p class="muted" data-testid="prefilled">{move || note.get()}</p>
            <form class="sweep-form" on:submit=move |ev| { ev.prevent_default(); }>
                <label>"Dataset "
                    <select id="sweep-dataset" prop:value=move || dataset.get() on:change=move |ev| dataset.set(event_target_value(&ev))>
                        <option value="">"choose"</option>
                        <Suspense fallback=|| ()>
                            {move || datasets.get().and_then(Result::ok).map(|list| list.into_iter().map(|d| view! {
                                <option value=d.id.clone() selected=move || dataset.get() == d.id>{d.name.clone()}</option>
                            }).collect_view())}
                        </Suspense>
                    </select>
                </label>
                <label>"Kind "
                    <select id="sweep-kind" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="search">"search"</option>
                        <option value="train">"train (a search's cell)"</option>
                        <option value="baseline">"baseline"</option>
                    </select>
                </label>
                {move || (kind.get() != "search").then(|| view! {
                    <label>"Source run "
                        <input id="sweep-source" type="number" prop:value=move || source.get() on:input=move |ev| source.set(event_target_value(&ev))/>
                    </label>
                })}
                {move || (kind.get() == "baseline").then(|| view! {
                    <label>"Baseline "
                        <select prop:value=move || baseline.get() on:change=move |ev| baseline.set(event_target_value(&ev))>
                            {["resnet18", "resnet10", "random", "pruned"].map(|b| view! { <option value=b>{b}</option> }).collect_view()}
                        </select>
                    </label>
                })}
                <label class="wide">"Config every point shares (JSON) "
                    <textarea id="sweep-config" rows="6" prop:value=move || config.get() on:input=move |ev| config.set(event_target_value(&ev))></textarea>
                </label>
                <fieldset>
                    <legend>"Keys to vary (up to three)"</legend>
                    {(0..3).map(|i| view! {
                        <div class="axis-row">
                            <input id=format!("axis-key-{i}") placeholder="config key, e.g. alpha_lr" prop:value=move || keys[i].get() on:input=move |ev| keys[i].set(event_target_value(&ev))/>
                            <input id=format!("axis-values-{i}") placeholder="1e-3, 3e-3 or log:1e-4:1e-2:3" prop:value=move || values[i].get() on:input=move |ev| values[i].set(event_target_value(&ev))/>
                        </div>
                    }).collect_view()}
                </fieldset>
                <label>"Seeds per point "
                    <input id="sweep-seeds" type="number" min="1" max="10" prop:value=move || seeds.get() on:input=move |ev| seeds.set(event_target_value(&ev))/>
                </label>
                <label>"Random sample of "
                    <input id="sweep-samples" type="number" min="1" placeholder="all" prop:value=move || samples.get() on:input=move |ev| samples.set(event_target_value(&ev))/>
                    " points (empty: the whole grid)"
                </label>
                {move || (kind.get() == "search").then(|| view! {
                    <label>
                        <input type="checkbox" prop:checked=move || study.get() on:change=move |ev| study.set(event_target_checked(&ev))/>
                        " A study per point: retrain each search's cell (the map then shows its test metric) and run its baselines, with the training preset "
                        <select prop:value=move || study_preset.get() on:change=move |ev| study_preset.set(event_target_value(&ev))>
                            {["tiny", "quick", "default", "darts-paper"].map(|p| view! { <option value=p>{p}</option> }).collect_view()}
                        </select>
                    </label>
                })}
                <button class="button" type="button" on:click=submit>"Start the sweep"</button>
                <pre class="error" data-testid="sweep-error">{move || error.get()}</pre>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_typed_become_the_request() {
        assert_eq!(axis_values("1e-3, 3e-3"), json!({"values": [0.001, 0.003]}));
        assert_eq!(
            axis_values("darts, gdas"),
            json!({"values": ["darts", "gdas"]})
        );
        assert_eq!(
            axis_values("log:1e-4:1e-2:3"),
            json!({"range": {"from": 0.0001, "to": 0.01, "count": 3, "scale": "log"}})
        );
        let r = request(
            "d1",
            "search",
            "",
            "",
            "{\"preset\": \"tiny\"}",
            &[
                ("w_lr".into(), "1, 2".into()),
                (String::new(), String::new()),
            ],
            "2",
            "",
            Some("tiny"),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&r).unwrap();
        assert_eq!(v["axes"], json!([{"key": "w_lr", "values": [1, 2]}]));
        assert_eq!(v["study"]["preset"], "tiny");
        assert_eq!(
            (v["dataset_id"].as_str(), v["seeds"].as_u64()),
            (Some("d1"), Some(2))
        );
        assert!(request("d", "search", "", "", "{", &[], "1", "", None).is_err());
    }
}
