//! Convolutions and linear layers that count their multiply-adds while a count is open, so the
//! comparison can report a network's cost per image by running it once (../shared/DARTS.md
//! reports ImageNet cells in multiply-adds). A convolution costs, per output element, its
//! kernel's size times the input channels of one group; a linear layer its input features.
//! Pools, batch norm and additions are not counted, as in DARTS, thop and ptflops.
use std::cell::Cell;
use tch::nn::{self, Module};
use tch::Tensor;

thread_local! {
    static MACS: Cell<Option<i64>> = const { Cell::new(None) };
}

fn add(y: &Tensor, ws: &Tensor) {
    MACS.with(|m| {
        if let Some(n) = m.get() {
            let per_output: i64 = ws.size()[1..].iter().product();
            m.set(Some(n + y.numel() as i64 * per_output));
        }
    });
}

/// The multiply-adds the convolutions and linear layers run inside `f`.
pub fn count_macs(f: impl FnOnce()) -> i64 {
    MACS.with(|m| m.set(Some(0)));
    f();
    MACS.with(|m| m.take()).unwrap_or(0)
}

/// A 2-d convolution that counts its multiply-adds.
#[derive(Debug)]
pub struct Conv(pub nn::Conv2D);

impl Module for Conv {
    fn forward(&self, xs: &Tensor) -> Tensor {
        let y = xs.apply(&self.0);
        add(&y, &self.0.ws);
        y
    }
}

/// A linear layer that counts its multiply-adds.
#[derive(Debug)]
pub struct Linear(pub nn::Linear);

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Tensor {
        let y = xs.apply(&self.0);
        add(&y, &self.0.ws);
        y
    }
}

/// A linear layer with a bias, as `nn::linear` makes it.
pub fn linear(p: nn::Path, c_in: i64, c_out: i64) -> Linear {
    Linear(nn::linear(p, c_in, c_out, Default::default()))
}
