//! Building blocks shared by the search supernet and the evaluation network: the forward mode,
//! batch normalisation with an explicit statistics policy, and convolutions without bias.
mod counted;
mod layers;

pub use counted::{count_macs, linear, Conv, Linear};
pub use layers::{conv, conv_kxk, BatchNorm, Mode};
