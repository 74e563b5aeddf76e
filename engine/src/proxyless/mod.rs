//! ProxylessNAS (Cai et al., ICLR 2019): a layer-wise space of inverted bottlenecks searched with
//! binary gates, one path per layer in the forward pass, and a latency term in the loss taken
//! from a lookup table measured on the target device.
pub mod block;
pub mod cost;
pub mod gates;
pub mod net;
pub mod result;
pub mod run;
pub mod searcher;
pub mod space;
pub mod supernet;
pub mod table;
