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
