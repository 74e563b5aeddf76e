//! How fast a network answers on the device it runs on: the batch-1 forward time (what an
//! instrument waiting on one image sees) and the batch-64 throughput, in evaluation mode without
//! autograd, with libtorch's threads as the caller set them. Warm-up passes first (allocator,
//! kernels' first-call set-up), then the median of repeated passes; on CUDA each pass is timed
//! between two synchronisations.
use serde::{Deserialize, Serialize};
use std::time::Instant;
use tch::{Device, Kind, Tensor};

/// Measured speed of one network on one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    /// Median milliseconds of one forward pass on one image.
    pub latency_ms: f64,
    /// Images per second of forward passes on batches of `THROUGHPUT_BATCH`.
    pub throughput: f64,
}

/// The batch the throughput is measured at.
pub const THROUGHPUT_BATCH: i64 = 64;

/// How many passes a measurement makes, and which figure of the timed ones it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeats {
    pub warmup: usize,
    pub timed: usize,
    pub summary: Summary,
}

/// The figure a measurement keeps of its timed passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// What a caller waits typically, on the machine as it is (a trained network's latency).
    Median,
    /// The device's own time: another process's time slices only ever add to a pass, and a
    /// longer pass is interrupted more often than a short one, so on a busy machine medians of
    /// short parts and of the whole network they add up to drift apart; the fastest passes
    /// do not (the latency lookup table, whose parts are summed).
    Fastest,
}

/// Batch 1: cheap, so many passes for a stable median.
pub const LATENCY_REPEATS: Repeats = Repeats {
    warmup: 5,
    timed: 21,
    summary: Summary::Median,
};
/// Batch 64: a few passes (a ResNet-18 pass on a CPU takes a good part of a second).
pub const THROUGHPUT_REPEATS: Repeats = Repeats {
    warmup: 1,
    timed: 3,
    summary: Summary::Median,
};

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn synchronize(device: Device) {
    if let Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}

/// Milliseconds of `pass` over `repeats.timed` runs after `repeats.warmup` untimed ones, their
/// median or their fastest as `repeats.summary` says.
pub fn time_ms(device: Device, repeats: Repeats, mut pass: impl FnMut()) -> f64 {
    for _ in 0..repeats.warmup {
        pass();
    }
    synchronize(device);
    let mut times: Vec<f64> = (0..repeats.timed.max(1))
        .map(|_| {
            let start = Instant::now();
            pass();
            synchronize(device);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    match repeats.summary {
        Summary::Median => median(&mut times),
        Summary::Fastest => times.into_iter().fold(f64::INFINITY, f64::min),
    }
}

/// Milliseconds (as `repeats.summary` says) of `forward` on a batch of `batch` zero images of shape `(c, h, w)`.
/// The values do not matter to the time of dense convolutions; zeros keep it reproducible.
pub fn forward_ms(
    forward: &dyn Fn(&Tensor) -> Tensor,
    batch: i64,
    (c, h, w): (i64, i64, i64),
    device: Device,
    repeats: Repeats,
) -> f64 {
    let _guard = tch::no_grad_guard();
    let x = Tensor::zeros([batch, c, h, w], (Kind::Float, device));
    time_ms(device, repeats, || {
        let _ = forward(&x);
    })
}

/// Batch-1 latency and batch-64 throughput of `forward` (a network in evaluation mode).
pub fn measure(
    forward: &dyn Fn(&Tensor) -> Tensor,
    shape: (i64, i64, i64),
    device: Device,
) -> Speed {
    let latency_ms = forward_ms(forward, 1, shape, device, LATENCY_REPEATS);
    let batch_ms = forward_ms(forward, THROUGHPUT_BATCH, shape, device, THROUGHPUT_REPEATS);
    Speed {
        latency_ms,
        throughput: THROUGHPUT_BATCH as f64 / (batch_ms / 1e3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    /// The median ignores a slow outlier pass (a page fault, another process's time slice).
    #[test]
    fn time_ms_ignores_one_slow_pass() {
        let mut n = 0;
        let ms = time_ms(
            Device::Cpu,
            Repeats {
                warmup: 0,
                timed: 5,
                summary: Summary::Median,
            },
            || {
                n += 1;
                let pause = if n == 3 { 200 } else { 2 };
                std::thread::sleep(std::time::Duration::from_millis(pause));
            },
        );
        assert!((2.0..50.0).contains(&ms), "{ms}");
    }
}
