//! A finished search next to what a scientist would have done without it: buttons that retrain
//! its cell, run the baselines (ResNet-18, ResNet-10, random search) and repeat the whole study
//! with N seeds (with a preset and device), the progress of those runs, and the comparison table
//! and chart.
use crate::calls::{derive_runs, get_run};
use crate::comparison::{comparable, comparison_table};
use crate::live::is_final;
use crate::types::RunDetail;
use leptos::prelude::*;
use std::time::Duration;

const PRESETS: [&str; 4] = ["tiny", "quick", "default", "darts-paper"];

/// Reads the run again every 2 s until every run made from it has ended. A search whose study
/// has not started its runs yet is waited for `tries` more reads.
fn poll(current: RwSignal<RunDetail>, id: i64, tries: u32) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                if let Ok(Some(d)) = get_run(id).await {
                    let busy = d
                        .derived
                        .iter()
                        .chain(&d.group)
                        .any(|r| !is_final(&r.status));
                    let waiting = d.study.is_some() && d.derived.is_empty() && tries > 0;
                    if current.try_set(d).is_none() && (busy || waiting) {
                        poll(current, id, tries.saturating_sub(u32::from(waiting)));
                    }
                }
            });
        },
        Duration::from_secs(2),
    );
}

/// Whether a search's study still has runs to start or to finish.
fn study_pending(d: &RunDetail) -> bool {
    d.study.is_some() && (d.derived.is_empty() || d.derived.iter().any(|r| !is_final(&r.status)))
}

#[component]
pub fn Study(
    current: RwSignal<RunDetail>,
    state: RwSignal<crate::live::RunState>,
) -> impl IntoView {
    let (id, read_only) = current.with_untracked(|d| (d.row.id, d.read_only));
    // A cell search's cell can be trained on other data; ProxylessNAS's layers fit their own.
    let (own, cell) = current.with_untracked(|d| {
        let strategy = d.config.iter().find(|(k, _)| k == "strategy");
        let layers = strategy.is_some_and(|(_, v)| v == "\"proxyless\"");
        (d.row.dataset_id.clone(), !layers)
    });
    let preset = RwSignal::new("quick".to_string());
    let device = RwSignal::new("auto".to_string());
    let note = RwSignal::new(String::new());
    let seeds = RwSignal::new(3u32);
    let start = Action::new(move |what: &String| {
        let what = what.clone();
        async move {
            match derive_runs(id, what, preset.get_untracked(), device.get_untracked()).await {
                Ok(Ok(ids)) => {
                    let list: Vec<String> = ids.iter().map(|i| format!("#{i}")).collect();
                    note.set(format!("Started {}.", list.join(", ")));
                    poll(current, id, 0);
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(e.to_string()),
            }
        }
    });
    // The live status: it can be ahead of the record the page was rendered from.
    let succeeded = move || state.with(|s| s.status == "succeeded");
    // A search that asked for its study: its runs are followed once it has succeeded.
    let watching = StoredValue::new(false);
    Effect::new(move |_| {
        if !read_only && succeeded() && current.with(study_pending) && !watching.get_value() {
            watching.set_value(true);
            poll(current, id, 60);
        }
    });
    // The section appears once there is something in it.
    let shown = move || {
        succeeded()
            || current.with(|d| {
                !d.group.is_empty()
                    || !d.derived.is_empty()
                    || d.comparison.as_ref().is_some_and(comparable)
            })
    };
    view! {
        {move || shown().then(|| view! { <h2>"Against the baselines"</h2> })}
        {move || current.with(|d| d.study.clone()).map(|t| view! { <p class="muted" data-testid="study">{t}</p> })}
        {move || (!read_only && succeeded()).then(|| view! {
            <div class="study-actions">
                <label>"Training preset "
                    <select prop:value=move || preset.get() on:change=move |ev| preset.set(event_target_value(&ev))>
                        {PRESETS.iter().map(|p| view! { <option value=*p>{*p}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Device "
                    <select prop:value=move || device.get() on:change=move |ev| device.set(event_target_value(&ev))>
                        <option value="auto">"auto"</option>
                        <option value="cpu">"cpu"</option>
                        <option value="cuda">"cuda"</option>
                    </select>
                </label>
                <button class="button" on:click=move |_| { start.dispatch("retrain".into()); }>"Retrain"</button>
                <button class="button secondary" on:click=move |_| { start.dispatch("baselines".into()); }>"Run baselines"</button>
                <label>"Seeds "
                    <input type="number" min="2" max="20" prop:value=move || seeds.get().to_string()
                        on:input=move |ev| seeds.set(event_target_value(&ev).parse().unwrap_or(3))/>
                </label>
                <button class="button secondary" on:click=move |_| { start.dispatch(format!("seeds:{}", seeds.get_untracked())); }>
                    {move || format!("Repeat with {} seeds", seeds.get())}
                </button>
                <span class="muted" role="status">{move || note.get()}</span>
            </div>
            {cell.then(|| view! { <super::transfer::TransferTo own=own.clone() start/> })}
        })}
        {move || current.with(|d| (!d.group.is_empty()).then(|| view! {
            <p class="facts">"Seed group: "</p>
            <ul class="derived" data-testid="group">{d.group.iter().map(|r| view! {
                <li><a href=format!("/runs/{}", r.id)>{format!("#{} search, seed {}", r.id, r.seed.unwrap_or(0))}</a>" "
                    <span class=format!("status {}", r.status)>{r.status.clone()}</span>
                    {format!(" {}/{}", r.epoch, r.epochs)}</li>
            }).collect_view()}</ul>
        }))}
        {move || current.with(|d| (!d.derived.is_empty()).then(|| view! {
            <ul class="derived">{d.derived.iter().map(|r| view! {
                <li><a href=format!("/runs/{}", r.id)>{format!("#{} {}", r.id, r.kind)}</a>" "
                    <span class=format!("status {}", r.status)>{r.status.clone()}</span>
                    {format!(" {}/{}", r.epoch, r.epochs)}</li>
            }).collect_view()}</ul>
        }))}
        {move || current.with(|d| d.comparison.as_ref().filter(|c| comparable(c)).map(comparison_table))}
    }
}
