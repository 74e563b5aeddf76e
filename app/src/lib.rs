//! Dartboard's pages, rendered on the server and hydrated in the browser.
#![recursion_limit = "256"]
#[cfg(feature = "ssr")]
pub mod backend;
pub mod calls;
pub mod charts;
pub mod format;
mod pages;
pub mod types;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
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
            <header class="top">
                <A href="/" attr:class="brand">"Dartboard"</A>
                <nav>
                    <A href="/">"Runs"</A>
                    <A href="/datasets">"Datasets"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="empty">"No such page."</p> }>
                    // Async: the whole page is in the HTML, so it reads and prints without scripts.
                    <Route path=path!("/") view=pages::runs::RunsPage ssr=SsrMode::Async/>
                    <Route path=path!("/datasets") view=pages::datasets::DatasetsPage ssr=SsrMode::Async/>
                    <Route path=path!("/datasets/:id") view=pages::dataset::DatasetPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                </Routes>
            </main>
        </Router>
    }
}
