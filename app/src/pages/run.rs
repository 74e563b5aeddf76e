//! `/runs/{id}` (live, then the result) and `/share/{token}` (the same, read-only).
use crate::calls::{get_run, get_shared};
use crate::run_view::RunView;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(-1)
        })
    };
    let detail = Resource::new(id, get_run);
    view! {
        <section class="page run">
            <Suspense fallback=|| view! { <p class="muted">"Loading the run..."</p> }>
                {move || detail.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the run: {e}")}</p> }.into_any(),
                    Ok(None) => {
                        super::answer_not_found();
                        view! { <p class="empty">"No such run."</p> }.into_any()
                    }
                    Ok(Some(d)) => view! { <RunView detail=d/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let detail = Resource::new(token, get_shared);
    view! {
        <section class="page run shared">
            <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
                {move || detail.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the run: {e}")}</p> }.into_any(),
                    Ok(None) => {
                        super::answer_not_found();
                        view! { <p class="empty">"This link does not open anything: it is wrong or it was revoked."</p> }.into_any()
                    }
                    Ok(Some(d)) => view! {
                        <p class="muted shared-note">"A Dartboard result shared read-only."</p>
                        <RunView detail=d/>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
