//! One module per page.
pub mod compare;
pub mod dataset;
pub mod datasets;
pub mod login;
pub mod new;
pub mod run;
pub mod runs;
pub mod sweep;
pub mod sweep_new;
mod symmetry;
pub mod upload;

/// A page naming something that is not there answers 404 when the server renders it (the page
/// says what is missing); the server function behind it still answers `None`, so a page the
/// browser renders after hydration reads it as such.
pub fn answer_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(r) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(http::StatusCode::NOT_FOUND);
    }
}
