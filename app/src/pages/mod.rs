//! One module per page.
pub mod datasets;
pub mod runs;
