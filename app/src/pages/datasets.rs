//! The datasets: task, size, shape and the number of runs on each.
use crate::calls::{delete_dataset, list_datasets};
use leptos::prelude::*;

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let sets = Resource::new(|| (), |_| list_datasets());
    let note = RwSignal::new(String::new());
    let delete = Action::new(move |id: &String| {
        let id = id.clone();
        async move {
            match delete_dataset(id).await {
                Ok(Ok(())) => {
                    note.set("Deleted.".into());
                    sets.refetch();
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(e.to_string()),
            }
        }
    });
    view! {
        <section class="page">
            <div class="title-row">
                <h1>"Datasets"</h1>
                <div class="actions"><a class="button" href="/upload">"Upload data"</a></div>
            </div>
            <p class="muted" role="status">{move || note.get()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading datasets..."</p> }>
                {move || sets.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the datasets: {e}")}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No datasets yet: upload one."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="datasets">
                            <thead><tr><th>"Name"</th><th>"Task"</th><th>"Samples"</th><th>"Shape"</th><th>"Runs"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|d| view! {
                                    <tr>
                                        <td><a href=format!("/datasets/{}", d.id)>{d.name.clone()}</a></td>
                                        <td>{d.task}</td>
                                        <td>{d.n}</td>
                                        <td>{d.shape}</td>
                                        <td>{d.runs}</td>
                                        <td><button class="link danger" aria-label=format!("delete dataset {}", d.id)
                                            on:click={let id = d.id.clone(); move |_| { delete.dispatch(id.clone()); }}>"Delete"</button></td>
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
