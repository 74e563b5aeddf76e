//! The datasets: task, size, shape and the number of runs on each.
use crate::calls::list_datasets;
use leptos::prelude::*;

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let sets = Resource::new(|| (), |_| list_datasets());
    view! {
        <section class="page">
            <div class="title-row">
                <h1>"Datasets"</h1>
                <div class="actions"><a class="button" href="/upload">"Upload data"</a></div>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading datasets..."</p> }>
                {move || sets.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the datasets: {e}")}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No datasets yet: upload one."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="datasets">
                            <thead><tr><th>"Name"</th><th>"Task"</th><th>"Samples"</th><th>"Shape"</th><th>"Runs"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|d| view! {
                                    <tr>
                                        <td><a href=format!("/datasets/{}", d.id)>{d.name}</a></td>
                                        <td>{d.task}</td>
                                        <td>{d.n}</td>
                                        <td>{d.shape}</td>
                                        <td>{d.runs}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
