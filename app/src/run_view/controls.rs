//! The run's buttons: cancel, resume, "Sweep..." (vary its settings), and the share link
//! (create, copy, revoke). Not on the share page.
use crate::calls::run_action;
use crate::live::{is_final, RunState};
use crate::types::RunDetail;
use leptos::prelude::*;

#[component]
pub fn Controls(current: RwSignal<RunDetail>, state: RwSignal<RunState>) -> impl IntoView {
    let id = current.with_untracked(|d| d.row.id);
    let token = RwSignal::new(current.with_untracked(|d| d.share_token.clone()));
    let note = RwSignal::new(String::new());
    let act = Action::new(move |what: &String| {
        let what = what.clone();
        async move {
            match run_action(id, what.clone()).await {
                Ok(Ok(answer)) => {
                    match what.as_str() {
                        "share" => token.set(answer),
                        "unshare" => token.set(None),
                        "resume" => {
                            note.set("queued again; it continues from its last epoch".into())
                        }
                        "cancel" => note.set("cancelling...".into()),
                        _ => {}
                    }
                    if what == "resume" {
                        // The page follows the resumed run from the start of its stream again.
                        if let Some(w) = leptos::web_sys::window() {
                            let _ = w.location().reload();
                        }
                    }
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(format!("the server did not answer: {e}")),
            }
        }
    });
    let status = Memo::new(move |_| state.with(|s| s.status.clone()));
    let link = move || {
        token
            .get()
            .map(|t| format!("{}/share/{t}", crate::browser::page_origin_or_path()))
    };
    view! {
        <div class="actions run-actions">
            {move || (!is_final(&status.get())).then(|| view! {
                <button class="button secondary" on:click=move |_| { act.dispatch("cancel".into()); }>"Cancel"</button>
            })}
            // A finished run's settings, varied: the sweep form filled in from this run.
            {move || (status.get() == "succeeded").then(|| view! {
                <a class="button secondary" data-testid="sweep-from-run" href=format!("/sweeps/new?from={id}")>"Sweep..."</a>
            })}
            {move || matches!(status.get().as_str(), "interrupted" | "failed" | "cancelled").then(|| view! {
                <button class="button secondary" on:click=move |_| { act.dispatch("resume".into()); }>"Resume"</button>
            })}
            {move || match link() {
                None => view! {
                    <button class="button" data-testid="share" on:click=move |_| { act.dispatch("share".into()); }>"Share"</button>
                }.into_any(),
                Some(url) => {
                    let copy_url = url.clone();
                    view! {
                        <span class="share-link">
                            <input readonly aria-label="share link" data-testid="share-link" prop:value=url/>
                            <button class="button secondary" on:click=move |_| {
                                crate::browser::copy(&copy_url);
                                note.set("link copied".into());
                            }>"Copy"</button>
                            <button class="button secondary" data-testid="unshare" on:click=move |_| { act.dispatch("unshare".into()); }>"Revoke"</button>
                        </span>
                    }.into_any()
                }
            }}
            <span class="muted note" role="status">{move || note.get()}</span>
        </div>
    }
}
