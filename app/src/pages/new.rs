//! `/new`: start a search, or a study (the search, then its network retrained and compared
//! with the baselines within a time budget, over seeds). A preset fills the form; every config key can be changed; the
//! server's 422 messages appear next to their fields; the estimate (parameters, memory, time per
//! epoch, whether it fits) comes from `/api/estimate` before starting.
use crate::calls::{estimate_search, load_search_form, start_search};
use crate::format::duration;
use crate::types::{Estimated, FieldMessage, SearchForm, Started};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

mod fields;
use fields::{Kind, FIELDS, HELP};

/// A preset's values as the form's text.
fn values_of(preset_json: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let v: Value = serde_json::from_str(preset_json).unwrap_or(Value::Null);
    let mut out = BTreeMap::new();
    for (k, _, _) in FIELDS {
        let text = match &v[k] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.insert(k.to_string(), text);
    }
    let prims = v["primitives"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (out, prims)
}

/// The config the form describes; text that is not a number is sent as it is, so the server
/// names the field.
fn config_of(preset: &str, values: &BTreeMap<String, String>, prims: &[String]) -> String {
    let mut m = Map::new();
    m.insert("preset".into(), preset.into());
    m.insert(
        "primitives".into(),
        prims.iter().map(|p| Value::from(p.as_str())).collect(),
    );
    for (k, _, kind) in FIELDS {
        let text = values.get(k).map(|s| s.trim()).unwrap_or("");
        let v = match kind {
            Kind::Number | Kind::Optional => {
                if text.is_empty() && matches!(kind, Kind::Optional) {
                    Value::Null
                } else if let Ok(i) = text.parse::<i64>() {
                    i.into()
                } else if let Some(n) = text
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                {
                    Value::Number(n)
                } else {
                    text.into()
                }
            }
            Kind::Choice(_) | Kind::Device => text.into(),
        };
        m.insert(k.into(), v);
    }
    Value::Object(m).to_string()
}

/// What follows the search as the API's `study` and `seeds` (`{}` for the search alone). The
/// study trains with the search's preset and device; text that is not a number goes as typed.
fn plan_of(plan: &str, preset: &str, device: &str, budget: &str, seeds: &str) -> String {
    if plan != "study" {
        return "{}".into();
    }
    let mut study = Map::new();
    study.insert("preset".into(), preset.into());
    study.insert("device".into(), device.into());
    if !budget.trim().is_empty() {
        study.insert("budget".into(), budget.trim().into());
    }
    let seeds = match seeds.trim().parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(seeds.trim()),
    };
    serde_json::json!({"study": study, "seeds": seeds}).to_string()
}

fn gb(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / 1e9)
}

#[component]
fn Form(form: SearchForm) -> impl IntoView {
    let query = use_query_map();
    let wanted = query
        .with_untracked(|q| q.get("dataset"))
        .unwrap_or_default();
    let first = form
        .datasets
        .first()
        .map(|d| d.id.clone())
        .unwrap_or_default();
    let dataset = RwSignal::new(if form.datasets.iter().any(|d| d.id == wanted) {
        wanted
    } else {
        first
    });
    let presets = StoredValue::new(form.presets.clone());
    let preset = RwSignal::new("quick".to_string());
    let start_values = presets.with_value(|p| {
        p.iter()
            .find(|(n, _)| n == "quick")
            .map(|(_, c)| values_of(c))
            .unwrap_or_default()
    });
    let values = RwSignal::new(start_values.0);
    let prims = RwSignal::new(start_values.1);
    let errors = RwSignal::new(Vec::<FieldMessage>::new());
    // What follows the search: nothing, or its study (retraining and baselines) over seeds.
    let plan = RwSignal::new("search".to_string());
    let budget = RwSignal::new(String::new());
    let seeds = RwSignal::new("1".to_string());
    let estimate = RwSignal::new(None::<Result<Estimated, String>>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let error_of = move |k: &'static str| {
        errors.with(|e| {
            e.iter()
                .filter(|m| m.field == k)
                .map(|m| m.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        })
    };
    let apply_preset = move |name: String| {
        if let Some((v, p)) = presets.with_value(|ps| {
            ps.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| values_of(c))
        }) {
            values.set(v);
            prims.set(p);
        }
        preset.set(name);
        errors.set(vec![]);
    };
    let config = move || values.with(|v| prims.with(|p| config_of(&preset.get_untracked(), v, p)));
    let on_estimate = move |_| {
        let (d, c) = (dataset.get_untracked(), config());
        busy.set(true);
        estimate.set(None);
        leptos::task::spawn_local(async move {
            let answer = estimate_search(d, c).await.map_err(|e| e.to_string());
            if let Ok(Estimated::Invalid(e)) = &answer {
                errors.set(e.clone());
            }
            estimate.set(Some(answer));
            busy.set(false);
        });
    };
    let plan_json = move || {
        let device = values.with_untracked(|v| v.get("device").cloned().unwrap_or_default());
        plan_of(
            &plan.get_untracked(),
            &preset.get_untracked(),
            &device,
            &budget.get_untracked(),
            &seeds.get_untracked(),
        )
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (d, c, p) = (dataset.get_untracked(), config(), plan_json());
        let navigate = navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match start_search(d, c, p).await {
                Ok(Started::Run(id)) => navigate(&format!("/runs/{id}"), Default::default()),
                Ok(Started::Invalid(e)) => errors.set(e),
                Err(e) => errors.set(vec![FieldMessage {
                    field: String::new(),
                    message: e.to_string(),
                }]),
            }
            busy.set(false);
        });
    };
    let devices = form.devices.clone();
    let field_view = move |(key, label, kind): (&'static str, &'static str, Kind)| {
        let value = move || values.with(|v| v.get(key).cloned().unwrap_or_default());
        let set = move |ev| {
            values.update(|v| {
                v.insert(key.to_string(), event_target_value(&ev));
            })
        };
        let input = match kind {
            Kind::Number | Kind::Optional => view! {
                <input id=key name=key type="text" inputmode="decimal" prop:value=value on:input=set
                    aria-invalid=move || (!error_of(key).is_empty()).to_string()/>
            }.into_any(),
            Kind::Choice(options) => view! {
                <select id=key name=key prop:value=value on:change=set>
                    {options.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
                </select>
            }.into_any(),
            Kind::Device => view! {
                <select id=key name=key prop:value=value on:change=set>
                    {devices.iter().map(|d| view! { <option value=d.value.clone()>{d.label.clone()}</option> }).collect_view()}
                </select>
            }.into_any(),
        };
        view! {
            <div class="field">
                <label for=key>{label}<code>{key}</code></label>
                {input}
                {HELP.iter().find(|(k, _)| *k == key).map(|(_, h)| view! { <small class="help">{*h}</small> })}
                <span class="field-error" id=format!("{key}-error")>{move || error_of(key)}</span>
            </div>
        }
    };
    view! {
        <form class="search-form" on:submit=on_submit novalidate>
            <div class="field">
                <label for="dataset">"Dataset"</label>
                <select id="dataset" name="dataset" prop:value=move || dataset.get()
                    on:change=move |ev| dataset.set(event_target_value(&ev))>
                    {form.datasets.iter().map(|d| view! {
                        <option value=d.id.clone()>{format!("{} ({}, {} samples of {})", d.name, d.task, d.n, d.shape)}</option>
                    }).collect_view()}
                </select>
                <span class="field-error" id="dataset_id-error">{move || error_of("dataset_id")}</span>
            </div>
            <fieldset class="field plan">
                <legend>"What to do"</legend>
                <select id="plan" name="plan" prop:value=move || plan.get()
                    on:change=move |ev| plan.set(event_target_value(&ev))>
                    <option value="search">"Search only"</option>
                    <option value="study">"Search, then retrain its network and compare it with ResNet-18, ResNet-10 and random search (a study)"</option>
                </select>
                <div class="field" class:hidden=move || plan.get() != "study">
                    <label for="budget">"Time budget of the whole study, per seed"</label>
                    <input id="budget" name="budget" type="text" placeholder="15m (empty: the preset's epochs)"
                        prop:value=move || budget.get() on:input=move |ev| budget.set(event_target_value(&ev))/>
                    <small class="help">"Minutes (15m), seconds (90s) or hours (1.5h): a fifth searches, the rest is shared by the trainings, each stopping at its plateau or at its share."</small>
                    <span class="field-error" id="study-error">{move || error_of("study")}</span>
                </div>
                <div class="field" class:hidden=move || plan.get() != "study">
                    <label for="seeds">"Seeds"</label>
                    <input id="seeds" name="seeds" type="text" inputmode="numeric"
                        prop:value=move || seeds.get() on:input=move |ev| seeds.set(event_target_value(&ev))/>
                    <small class="help">"Each seed repeats the search and its trainings; the verdict pools them."</small>
                    <span class="field-error" id="seeds-error">{move || error_of("seeds")}</span>
                </div>
            </fieldset>
            <div class="field">
                <label for="preset">"Preset"</label>
                <select id="preset" name="preset" prop:value=move || preset.get()
                    on:change=move |ev| apply_preset(event_target_value(&ev))>
                    {form.presets.iter().map(|(n, _)| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                </select>
                <span class="field-error" id="preset-error">{move || error_of("preset")}</span>
            </div>
            <fieldset class="field primitives">
                <legend>"Operations (primitives)"</legend>
                {form.primitives.iter().map(|p| {
                    let (p1, p2) = (p.clone(), p.clone());
                    view! {
                        <label class="check">
                            <input type="checkbox" name="primitives" value=p.clone()
                                prop:checked=move || prims.with(|s| s.contains(&p1))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    prims.update(|s| { s.retain(|x| *x != p2); if on { s.push(p2.clone()); } });
                                }/>
                            {p.clone()}
                        </label>
                    }
                }).collect_view()}
                <span class="field-error" id="primitives-error">{move || error_of("primitives")}</span>
            </fieldset>
            <div class="grid">{FIELDS.into_iter().map(field_view).collect_view()}</div>
            <p class="error" role="alert">{move || error_of("")}{move || error_of("config")}</p>
            <div class="estimate" data-testid="estimate">{move || estimate.get().map(|e| match e {
                Ok(Estimated::Figures(f)) => view! {
                    <p>{format!("{} weights; about {} of memory on {}; about {} per epoch ({} steps).",
                        f.weights, gb(f.memory_bytes), f.device, duration(f.seconds_per_epoch), f.steps_per_epoch)}</p>
                    {f.latency_ms.map(|(fast, slow)| view! {
                        <p data-testid="latency-span">{format!(
                            "This space's networks take {fast:.2} to {slow:.2} ms per image on {} (its latency table, measured on this machine): set latency_target_ms within that span.",
                            f.device
                        )}</p>
                    })}
                    {(f.fits == Some(false)).then(|| view! { <p class="warning-box">{format!("It will not fit: {}", f.reason.clone().unwrap_or_default())}</p> })}
                }.into_any(),
                Ok(Estimated::Invalid(_)) => view! { <p class="error">"Fix the fields marked above first."</p> }.into_any(),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}</div>
            <div class="actions">
                <button type="button" class="button secondary" on:click=on_estimate disabled=move || busy.get()>"Estimate"</button>
                <button type="submit" class="button" disabled=move || busy.get()>
                    {move || if plan.get() == "study" { "Start study" } else { "Start search" }}
                </button>
                <span class="muted">{move || busy.get().then_some("working...")}</span>
            </div>
        </form>
    }
}

#[component]
pub fn NewSearchPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| load_search_form());
    view! {
        <section class="page">
            <h1>"New search"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
                {move || form.get().map(|f| match f {
                    Err(e) => view! { <p class="error">{format!("Could not load the form: {e}")}</p> }.into_any(),
                    Ok(f) if f.datasets.is_empty() => view! {
                        <p class="empty">"There is no dataset yet. "<a href="/upload">"Upload one"</a>" first."</p>
                    }.into_any(),
                    Ok(f) => view! { <Form form=f/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_sends_numbers_nulls_and_bad_text_as_typed() {
        let mut v = BTreeMap::new();
        v.insert("epochs".to_string(), "3".to_string());
        v.insert("w_lr".to_string(), "0.001".to_string());
        v.insert("max_skip_connects".to_string(), "".to_string());
        v.insert("batch_size".to_string(), "lots".to_string());
        v.insert("device".to_string(), "cpu".to_string());
        let c: Value = serde_json::from_str(&config_of("tiny", &v, &["skip_connect".into()]))
            .unwrap_or_default();
        assert_eq!(c["preset"], "tiny");
        assert_eq!(c["epochs"], 3);
        assert_eq!(c["w_lr"], 0.001);
        assert_eq!(c["max_skip_connects"], Value::Null);
        assert_eq!(c["batch_size"], "lots", "left for the server to name");
        assert_eq!(c["primitives"], serde_json::json!(["skip_connect"]));
        assert_eq!(c.as_object().map(|m| m.len()), Some(FIELDS.len() + 2));
    }

    #[test]
    fn a_study_sends_its_budget_preset_and_seeds() {
        assert_eq!(plan_of("search", "quick", "cpu", "2m", "3"), "{}");
        let p: Value =
            serde_json::from_str(&plan_of("study", "tiny", "cpu", " 2m ", "3")).unwrap_or_default();
        assert_eq!(
            p["study"],
            serde_json::json!({"preset": "tiny", "device": "cpu", "budget": "2m"})
        );
        assert_eq!(p["seeds"], 3);
        let p: Value =
            serde_json::from_str(&plan_of("study", "quick", "auto", "", "x")).unwrap_or_default();
        assert!(p["study"].get("budget").is_none());
        assert_eq!(p["seeds"], "x", "left for the server to name");
    }
}
