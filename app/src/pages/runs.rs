//! The home page: every run with its kind, dataset, status, progress, best metric, duration and
//! start time, filtered by status, dataset and kind.
use crate::calls::{list_runs, run_action};
use crate::format::{duration, utc};
use crate::live::is_final;
use crate::types::RunRow;
use leptos::prelude::*;
use leptos_router::components::A;

const STATUSES: [&str; 6] = [
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
    "interrupted",
];

fn progress(r: &RunRow) -> String {
    if r.epochs > 0 {
        format!("{}/{}", r.epoch, r.epochs)
    } else {
        String::new()
    }
}

fn best(r: &RunRow) -> String {
    match (r.best_metric, &r.metric) {
        (Some(v), Some(m)) => format!("{v:.4} {m}"),
        (Some(v), None) => format!("{v:.4}"),
        _ => String::new(),
    }
}

#[component]
fn Filter(
    label: &'static str,
    value: RwSignal<String>,
    options: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <label class="filter">
            {label}
            <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                <option value="">"all"</option>
                {move || options.get().into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
            </select>
        </label>
    }
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let runs = Resource::new(|| (), |_| list_runs());
    let (status, dataset, kind) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let all = move || runs.get().and_then(Result::ok).unwrap_or_default();
    let datasets = Signal::derive(move || {
        let mut d: Vec<String> = all().into_iter().map(|r| r.dataset_name).collect();
        d.sort();
        d.dedup();
        d
    });
    let kinds = Signal::derive(move || {
        let mut k: Vec<String> = all().into_iter().map(|r| r.kind).collect();
        k.sort();
        k.dedup();
        k
    });
    let statuses = Signal::derive(|| STATUSES.iter().map(|s| s.to_string()).collect());
    let selected = RwSignal::new(Vec::<i64>::new());
    let note = RwSignal::new(String::new());
    let delete = Action::new(move |id: &i64| {
        let id = *id;
        async move {
            match run_action(id, "delete".into()).await {
                Ok(Ok(_)) => {
                    selected.update(|s| s.retain(|x| *x != id));
                    note.set(format!("Deleted run #{id}."));
                    runs.refetch();
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(e.to_string()),
            }
        }
    });
    let compare_href = move || {
        let ids: Vec<String> = selected.get().iter().map(|i| i.to_string()).collect();
        format!("/compare?runs={}", ids.join(","))
    };
    let shown = move || {
        all()
            .into_iter()
            .filter(|r| status.with(|s| s.is_empty() || *s == r.status))
            .filter(|r| dataset.with(|d| d.is_empty() || *d == r.dataset_name))
            .filter(|r| kind.with(|k| k.is_empty() || *k == r.kind))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="page">
            <div class="title-row">
                <h1>"Runs"</h1>
                <div class="actions">
                    <a class="button" href="/new">"New search"</a>
                    <a class="button secondary" href="/upload">"Upload data"</a>
                </div>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading runs..."</p> }>
                {move || runs.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the runs: {e}")}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty">
                            <p>"No runs yet. Upload a dataset (or use the sample dataset already here), then start a search on it."</p>
                            <p><A href="/datasets">"See the datasets"</A></p>
                        </div>
                    }.into_any(),
                    Ok(_) => view! {
                        <div class="filters">
                            <Filter label="Status" value=status options=statuses/>
                            <Filter label="Dataset" value=dataset options=datasets/>
                            <Filter label="Kind" value=kind options=kinds/>
                            <a class="button secondary" data-testid="compare" href=compare_href
                                class:disabled=move || selected.with(|s| s.len() < 2)
                                aria-disabled=move || selected.with(|s| s.len() < 2).to_string()>
                                {move || format!("Compare selected ({})", selected.with(Vec::len))}
                            </a>
                            <span class="muted" role="status">{move || note.get()}</span>
                        </div>
                        <table class="runs">
                            <thead><tr>
                                <th><span class="visually-hidden">"Select"</span></th><th>"Run"</th><th>"Kind"</th><th>"Dataset"</th><th>"Status"</th>
                                <th>"Epoch"</th><th>"Best metric"</th><th>"Duration"</th><th>"Started"</th><th></th>
                            </tr></thead>
                            <tbody>
                                <For each=shown key=|r| (r.id, r.status.clone(), r.epoch) let:r>
                                    <tr>
                                        <td><input type="checkbox" aria-label=format!("select run {}", r.id)
                                            prop:checked=move || selected.with(|s| s.contains(&r.id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                selected.update(|s| { s.retain(|x| *x != r.id); if on { s.push(r.id); } });
                                            }/></td>
                                        <td><a href=format!("/runs/{}", r.id)>{format!("#{}", r.id)}</a></td>
                                        <td>{r.kind.clone()}</td>
                                        <td>{r.dataset_name.clone()}</td>
                                        <td><span class=format!("status {}", r.status)>{r.status.clone()}</span></td>
                                        <td>{progress(&r)}</td>
                                        <td>{best(&r)}</td>
                                        <td>{r.seconds.map(duration).unwrap_or_default()}</td>
                                        <td>{utc(r.created_at)}</td>
                                        <td>{is_final(&r.status).then(|| view! {
                                            <button class="link danger" aria-label=format!("delete run {}", r.id)
                                                on:click=move |_| { delete.dispatch(r.id); }>"Delete"</button>
                                        })}</td>
                                    </tr>
                                </For>
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
