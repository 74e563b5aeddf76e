//! `/sweeps` (the list), `/sweeps/{id}` and `/share/sweeps/{token}` (read-only): a sweep's
//! progress, its map (a heatmap over two keys, error bars over one, parallel coordinates over
//! three; the sd in each cell's hover title and in the table below), the sweet spot, the
//! parameter-free op map of searches (collapse as a region), its runs, the CSV and a share
//! link. While runs are going, the page reads the sweep again every 2 s and the map fills in.
use crate::calls::{get_shared_sweep, get_sweep, list_sweeps, sweep_action};
use crate::charts::sweep_map;
use crate::format::utc;
use crate::types::{SweepDetail, SweetSpot};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

/// Reads the sweep again every 2 s until it has ended.
fn poll(current: RwSignal<SweepDetail>, id: i64) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                if let Ok(Some(d)) = get_sweep(id).await {
                    let going = d.row.status == "running";
                    if current.try_set(d).is_none() && going {
                        poll(current, id);
                    }
                }
            });
        },
        Duration::from_secs(2),
    );
}

/// The sweet spot in words.
fn sweet_text(s: &SweetSpot, metric: &str, points: usize, widest: usize) -> String {
    let share = 100.0 * s.within as f64 / s.scored.max(1) as f64;
    let mut t = format!(
        "Best: {} with {metric} {:.4}. {} of the {} scored points ({share:.0}%) lie within {:.0}% of it{}.",
        s.best,
        s.best_mean,
        s.within,
        s.scored,
        s.tolerance * 100.0,
        if s.scored < points {
            format!(" ({} of {points} points not scored yet or failed)", points - s.scored)
        } else {
            String::new()
        }
    );
    t.push(' ');
    t.push_str(&if widest <= 2 {
        "With two values a key, the grid cannot say whether the best lies inside it.".to_string()
    } else if s.on_edge.is_empty() {
        "The best lies inside the grid.".to_string()
    } else {
        format!(
            "The best lies on the edge of the grid for {}: the range was too narrow there, widen it.",
            s.on_edge.join(" and ")
        )
    });
    t.push(' ');
    t.push_str(if share >= 50.0 {
        "A big sweet spot: most settings work."
    } else if share >= 20.0 {
        "A moderate sweet spot."
    } else {
        "A narrow band: few settings work, tune with care."
    });
    t
}

fn mean_text(mean: Option<f64>, sd: Option<f64>) -> String {
    match (mean, sd) {
        (Some(m), Some(s)) => format!("{m:.4} ± {s:.4}"),
        (Some(m), None) => format!("{m:.4}"),
        _ => "-".into(),
    }
}

#[component]
fn SweepView(detail: SweepDetail) -> impl IntoView {
    let id = detail.row.id;
    let read_only = detail.read_only;
    let current = RwSignal::new(detail);
    let note = RwSignal::new(String::new());
    Effect::new(move |started: Option<bool>| {
        if started != Some(true)
            && !read_only
            && current.with_untracked(|d| d.row.status == "running")
        {
            poll(current, id);
        }
        true
    });
    let act = Action::new(move |what: &String| {
        let what = what.clone();
        async move {
            match sweep_action(id, what.clone()).await {
                Ok(Ok(Some(token))) => note.set(format!("Read-only link: /share/sweeps/{token}")),
                Ok(Ok(None)) => {
                    note.set("Cancelled its queued and running runs.".into());
                    if let Ok(Some(d)) = get_sweep(id).await {
                        current.set(d);
                    }
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(e.to_string()),
            }
        }
    });
    let d = move || current.get();
    view! {
        <div class="title-row">
            <h1>{move || current.with(|d| format!("Sweep #{}: {} on {}", d.row.id, d.row.keys, d.row.dataset_name))}</h1>
            {(!read_only).then(|| view! {
                <div class="actions">
                    {move || (current.with(|d| d.row.status == "running")).then(|| view! {
                        <button class="button danger" on:click=move |_| { act.dispatch("cancel".into()); }>"Cancel the sweep"</button>
                    })}
                    <button class="button secondary" on:click=move |_| { act.dispatch("share".into()); }>"Share"</button>
                </div>
            })}
        </div>
        <p class="facts" data-testid="sweep-progress">{move || current.with(|d| {
            format!(
                "{} {} runs, {} done ({}). A {}, {} seed{} each; each point's value is the {}.",
                d.row.runs, d.row.kind, d.row.done, d.row.status, d.mode, d.seeds,
                if d.seeds == 1 { "" } else { "s" }, d.measure
            )
        })}</p>
        <p class="muted" role="status">{move || note.get()}</p>
        {move || current.with(|d| d.share_token.clone()).map(|t| view! {
            <p class="muted">"Shared read-only: "<a href=format!("/share/sweeps/{t}")>{format!("/share/sweeps/{t}")}</a></p>
        })}
        <div class="chart sweep" data-testid="sweep-map" inner_html=move || sweep_map(&d(), false)></div>
        <p data-testid="sweet-spot">{move || current.with(|d| match &d.sweet_spot {
            Some(s) => sweet_text(s, &d.metric, d.cells.len(), d.axes.iter().map(|a| a.values.len()).max().unwrap_or(0)),
            None => "No point has a result yet.".to_string(),
        })}</p>
        {move || current.with(|d| d.searches).then(|| view! {
            <h2>"Collapse: parameter-free ops in the final cells"</h2>
            <p class="muted">"Skip connections, pooling and none among each search's 16 chosen ops (mean over seeds): a region of high counts is where the search collapses."</p>
            <div class="chart sweep" data-testid="collapse-map" inner_html=move || sweep_map(&d(), true)></div>
        })}
        <h2>"Points"</h2>
        <p><a href=move || current.with(|d| d.csv_url.clone()) data-testid="sweep-csv" download>"Download the runs as CSV"</a></p>
        <table class="runs" data-testid="sweep-points">
            <thead><tr><th>"Point"</th><th>{move || current.with(|d| format!("{} (mean ± sd)", d.metric))}</th>
                <th>"Seeds scored"</th><th>"Failed"</th><th>"Parameter-free ops"</th><th>"Runs"</th></tr></thead>
            <tbody>{move || current.with(|d| d.cells.iter().map(|c| view! {
                <tr class:failed={c.failed > 0}>
                    <td>{c.label.clone()}</td>
                    <td>{mean_text(c.mean, c.sd)}</td>
                    <td>{c.n}</td>
                    <td>{c.failed}</td>
                    <td>{c.parameter_free.map(|p| format!("{p:.1}")).unwrap_or_else(|| "-".into())}</td>
                    <td>{c.runs.iter().map(|r| view! { <a href=format!("/runs/{r}")>{format!("#{r} ")}</a> }).collect_view()}</td>
                </tr>
            }).collect_view())}</tbody>
        </table>
        {move || current.with(|d| d.members.iter().filter(|m| m.status == "failed").map(|m| view! {
            <p class="error">{format!("Run #{} failed: {}", m.run, m.message.clone().unwrap_or_default())}</p>
        }).collect_view())}
        <h2>"Shared config"</h2>
        <table class="config">
            <tbody>{move || current.with(|d| d.base.iter().map(|(k, v)| view! { <tr><td>{k.clone()}</td><td>{v.clone()}</td></tr> }).collect_view())}</tbody>
        </table>
    }
}

fn sweep_id() -> impl Fn() -> i64 + Copy {
    let params = use_params_map();
    move || {
        params.with(|p| {
            p.get("id")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(-1)
        })
    }
}

#[component]
pub fn SweepPage() -> impl IntoView {
    let detail = Resource::new(sweep_id(), get_sweep);
    view! {
        <section class="page sweep">
            <Suspense fallback=|| view! { <p class="muted">"Loading the sweep..."</p> }>
                {move || detail.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the sweep: {e}")}</p> }.into_any(),
                    Ok(None) => view! { <p class="empty">"No such sweep."</p> }.into_any(),
                    Ok(Some(d)) => view! { <SweepView detail=d/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SharedSweepPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let detail = Resource::new(token, get_shared_sweep);
    view! {
        <section class="page sweep shared">
            <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
                {move || detail.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the sweep: {e}")}</p> }.into_any(),
                    Ok(None) => view! { <p class="empty">"This link does not open anything: it is wrong or it was revoked."</p> }.into_any(),
                    Ok(Some(d)) => view! {
                        <p class="muted shared-note">"A Dartboard sweep shared read-only."</p>
                        <SweepView detail=d/>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SweepsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_sweeps());
    view! {
        <section class="page">
            <div class="title-row">
                <h1>"Sweeps"</h1>
                <div class="actions"><a class="button" href="/sweeps/new">"New sweep"</a></div>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the sweeps: {e}")}</p> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No sweeps yet. Start one from a finished run's \"Sweep...\" or with New sweep."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="runs">
                            <thead><tr><th>"Sweep"</th><th>"Keys"</th><th>"Kind"</th><th>"Dataset"</th><th>"Runs done"</th><th>"Status"</th><th>"Started"</th></tr></thead>
                            <tbody>{rows.into_iter().map(|s| view! {
                                <tr>
                                    <td><a href=format!("/sweeps/{}", s.id)>{format!("#{}", s.id)}</a></td>
                                    <td>{s.keys}</td><td>{s.kind}</td><td>{s.dataset_name}</td>
                                    <td>{format!("{} of {}", s.done, s.runs)}</td>
                                    <td><span class=format!("status {}", s.status)>{s.status.clone()}</span></td>
                                    <td>{utc(s.created_at)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
