//! The login page (only needed when the server is bound off loopback): a plain form, so it works
//! before and without the wasm; the server starts a session (an HttpOnly cookie with its id) and sends the browser home.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let failed = move || query.with(|q| q.get("failed").is_some());
    let wait = move || query.with(|q| q.get("wait"));
    view! {
        <section class="page narrow">
            <h1>"Log in"</h1>
            <p class="muted">
                "This server is reachable from other machines. Enter the admin token it was started with "
                "(--admin-token or DARTBOARD_ADMIN_TOKEN)."
            </p>
            <form class="login" method="post" action="/api/login">
                <label for="token">"Admin token"</label>
                <input id="token" name="token" type="password" required autocomplete="current-password"
                    aria-describedby="token-error"/>
                {move || failed().then(|| view! {
                    <p class="error" id="token-error">"That is not this server's admin token."</p>
                })}
                {move || wait().map(|s| view! {
                    <p class="error" id="token-error">
                        {format!("Too many failed attempts from this address: try again in {s} s.")}
                    </p>
                })}
                <button class="button" type="submit">"Log in"</button>
            </form>
        </section>
    }
}
