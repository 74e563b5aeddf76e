//! `/compare?runs=3,7,9`: the runs' curves overlaid, their final cells side by side, and their
//! configs in one table with the settings that differ highlighted.
use crate::calls::get_runs;
use crate::charts::lines;
use crate::draw::diagram::diagram;
use crate::types::RunDetail;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The most runs one comparison shows.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub const MOST: usize = 12;

/// The ids of `runs=3,7,9`, each once in the order given (what is not a number is left out);
/// refused past `MOST` different ids, counted without reading more of the list than that.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub fn compare_ids(text: &str) -> Result<Vec<i64>, String> {
    let mut ids: Vec<i64> = Vec::new();
    for id in text.split(',').filter_map(|s| s.trim().parse::<i64>().ok()) {
        if ids.contains(&id) {
            continue;
        }
        if ids.len() == MOST {
            return Err(format!(
                "more than {MOST} runs asked; a comparison shows at most {MOST}: pick fewer on the runs page"
            ));
        }
        ids.push(id);
    }
    Ok(ids)
}

fn series(
    runs: &[RunDetail],
    pick: fn(&crate::live::EpochPoint) -> f64,
) -> Vec<(String, Vec<(f64, f64)>)> {
    runs.iter()
        .map(|r| {
            (
                format!("#{}", r.row.id),
                r.state
                    .epochs
                    .iter()
                    .map(|e| (e.epoch as f64, pick(e)))
                    .collect(),
            )
        })
        .collect()
}

/// (key, value per run, whether they differ), over every key any run has.
pub fn config_rows(runs: &[RunDetail]) -> Vec<(String, Vec<String>, bool)> {
    let mut keys: Vec<String> = runs
        .iter()
        .flat_map(|r| r.config.iter().map(|(k, _)| k.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let values: Vec<String> = runs
                .iter()
                .map(|r| {
                    r.config
                        .iter()
                        .find(|(key, _)| *key == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| "-".into())
                })
                .collect();
            let differ = values.iter().any(|v| *v != values[0]);
            (k, values, differ)
        })
        .collect()
}

/// Why a run has no final cell to show.
fn no_cell(r: &RunDetail) -> String {
    if r.row.kind != "search" {
        return "No searched cell: this run trains a network it was given.".into();
    }
    if crate::live::is_final(&r.row.status) {
        format!(
            "No cell: the search ended {} before its first epoch finished.",
            r.row.status
        )
    } else {
        "No cell yet: the search's first epoch has not finished.".into()
    }
}

fn body(runs: Vec<RunDetail>) -> impl IntoView {
    let metric = runs
        .first()
        .and_then(|r| r.row.metric.clone())
        .unwrap_or_else(|| "validation metric".into());
    let val_metric = lines(
        &format!("validation {metric}"),
        &series(&runs, |e| e.val_metric),
    );
    let val_loss = lines("validation loss", &series(&runs, |e| e.val_loss));
    let rows = config_rows(&runs);
    view! {
        <div class="charts">
            <div class="chart fixed" inner_html=val_metric></div>
            <div class="chart fixed" inner_html=val_loss></div>
        </div>
        <h2>"Final cells"</h2>
        <div class="side-by-side">
            {runs.iter().map(|r| {
                let cells = r.state.genotypes.last().map(|g| diagram(&format!("#{} normal", r.row.id), &g.normal)
                    + &diagram(&format!("#{} reduction", r.row.id), &g.reduce));
                let why = cells.is_none().then(|| no_cell(r));
                view! {
                    <div class="column" data-testid="final-cell">
                        <h3><a href=format!("/runs/{}", r.row.id)>{format!("#{} {} ({})", r.row.id, r.row.kind, r.row.status)}</a></h3>
                        <p class="muted">{r.row.best_metric.map(|v| format!("best {v:.4}")).unwrap_or_default()}</p>
                        {why.map(|w| view! { <p class="muted" data-testid="no-cell">{w}</p> })}
                        <div class="cells" inner_html=cells.unwrap_or_default()></div>
                    </div>
                }
            }).collect_view()}
        </div>
        <h2>"Configs"</h2>
        <div class="table-scroll">
        <table class="config compare">
            <thead><tr><th>"Key"</th>{runs.iter().map(|r| view! { <th>{format!("#{}", r.row.id)}</th> }).collect_view()}</tr></thead>
            <tbody>{rows.into_iter().map(|(k, values, differ)| view! {
                <tr class:differs=differ><th>{k}</th>{values.into_iter().map(|v| view! { <td><code>{v}</code></td> }).collect_view()}</tr>
            }).collect_view()}</tbody>
        </table>
        </div>
    }
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let ids = move || query.with(|q| q.get("runs").unwrap_or_default());
    let runs = Resource::new(ids, get_runs);
    view! {
        <section class="page">
            <h1>"Compare runs"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
                {move || runs.get().map(|r| match r {
                    Err(e) => view! { <p class="error" data-testid="compare-error">{format!("Could not read the runs: {}", match &e {
                        ServerFnError::ServerError(m) => m.clone(),
                        other => other.to_string(),
                    })}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No runs to compare: pick two or more on the runs page."</p>
                    }.into_any(),
                    Ok(list) => body(list).into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deduplicated_and_capped() {
        assert_eq!(compare_ids("3, 7,3,x,9,7"), Ok(vec![3, 7, 9]));
        // 8,000 copies of one id are one run (the probe's 16 KB URL).
        let same = vec!["1"; 8000].join(",");
        assert_eq!(compare_ids(&same), Ok(vec![1]));
        let twelve: Vec<String> = (1..=12).map(|i| i.to_string()).collect();
        assert_eq!(compare_ids(&twelve.join(",")).map(|v| v.len()), Ok(12));
        let many: Vec<String> = (1..=8000).map(|i| i.to_string()).collect();
        let refused = compare_ids(&many.join(",")).unwrap_err();
        assert!(refused.contains("at most 12"), "{refused}");
    }
}
