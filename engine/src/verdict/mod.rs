//! Whether one trained network is better than another on the same test images: each network's
//! per-image scores (`scores`), the paired bootstrap of the difference in the test metric over
//! a seed group (`bootstrap`), read as better, tie or worse, and a study's verdict (`study`).
mod bootstrap;
mod scores;
pub mod study;

pub use bootstrap::{paired, Paired, Verdict, RESAMPLES};
pub use scores::TestScores;
