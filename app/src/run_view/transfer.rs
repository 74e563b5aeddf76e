//! "Train this cell on another dataset": on a finished cell search, a dataset to move its cell
//! to (its own is left out); the run trains the cell there with the study's training preset and
//! device, its stem and head rebuilt for that data.
use crate::calls::list_datasets;
use leptos::prelude::*;

#[component]
pub fn TransferTo(own: String, start: Action<String, ()>) -> impl IntoView {
    let datasets = Resource::new(|| (), |_| list_datasets());
    let target = RwSignal::new(String::new());
    view! {
        <div class="study-actions" data-testid="transfer">
            <label>"Train this cell on another dataset "
                <select prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"choose a dataset"</option>
                    <Suspense fallback=|| ()>
                        {move || datasets.get().and_then(Result::ok).map(|list| list.into_iter()
                            .filter(|d| d.id != own)
                            .map(|d| view! { <option value=d.id.clone()>{format!("{} ({}, {})", d.name, d.task, d.shape)}</option> })
                            .collect_view())}
                    </Suspense>
                </select>
            </label>
            <button class="button secondary" prop:disabled=move || target.with(String::is_empty)
                on:click=move |_| { start.dispatch(format!("transfer:{}", target.get_untracked())); }>
                "Train there"
            </button>
        </div>
    }
}
