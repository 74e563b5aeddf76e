//! Dartboard's pages, rendered on the server and hydrated in the browser.
#![recursion_limit = "256"]
#[cfg(feature = "ssr")]
pub mod backend;
mod browser;
pub mod calls;
pub mod charts;
mod comparison;
pub mod draw;
pub mod format;
pub mod live;
mod pages;
mod run_view;
pub mod types;
mod verdict;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};

/// The page's Content-Security-Policy: scripts and the wasm from this server only (the inline
/// hydration and streaming scripts carry the response's nonce), no framing.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href="/pkg/dartboard.css"/>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Dartboard"/>
        <Router>
            <Header/>
            <main>
                <Routes fallback=|| view! { <p class="empty">"No such page."</p> }>
                    // Async: the whole page is in the HTML, so it reads and prints without scripts.
                    <Route path=path!("/") view=pages::runs::RunsPage ssr=SsrMode::Async/>
                    <Route path=path!("/datasets") view=pages::datasets::DatasetsPage ssr=SsrMode::Async/>
                    <Route path=path!("/datasets/:id") view=pages::dataset::DatasetPage ssr=SsrMode::Async/>
                    <Route path=path!("/upload") view=pages::upload::UploadPage/>
                    <Route path=path!("/new") view=pages::new::NewSearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/runs/:id") view=pages::run::RunPage ssr=SsrMode::Async/>
                    <Route path=path!("/share/:token") view=pages::run::SharePage ssr=SsrMode::Async/>
                    <Route path=path!("/compare") view=pages::compare::ComparePage ssr=SsrMode::Async/>
                    <Route path=path!("/sweeps") view=pages::sweep::SweepsPage ssr=SsrMode::Async/>
                    <Route path=path!("/sweeps/new") view=pages::sweep_new::NewSweepPage/>
                    <Route path=path!("/sweeps/:id") view=pages::sweep::SweepPage ssr=SsrMode::Async/>
                    <Route path=path!("/share/sweeps/:token") view=pages::sweep::SharedSweepPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// The top bar; a share page shows only the name, since its reader has no account.
#[component]
fn Header() -> impl IntoView {
    let location = use_location();
    let shared = move || location.pathname.with(|p| p.starts_with("/share/"));
    view! {
        <header class="top">
            <span class="brand">"Dartboard"</span>
            <nav class:hidden=shared>
                <A href="/">"Runs"</A>
                <A href="/datasets">"Datasets"</A>
                <A href="/new">"New search"</A>
                <A href="/sweeps">"Sweeps"</A>
                <A href="/upload">"Upload"</A>
            </nav>
        </header>
    }
}
