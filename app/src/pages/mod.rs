//! One module per page.
pub mod dataset;
pub mod datasets;
pub mod login;
pub mod runs;
