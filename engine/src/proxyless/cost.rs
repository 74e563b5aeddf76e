//! What a ProxylessNAS supernet costs before it is built: its weights counted from the layout's
//! shapes (every candidate block of every layer, and the fixed parts), and a lower bound of the
//! memory one weight step holds, so that the server refuses what cannot fit without building
//! anything (a wide, deep layout has billions of weights).
use super::space::{Choice, Layout};

/// The weights of one inverted bottleneck (no conv biases; affine batch norms).
fn mbconv(c_in: i64, c_out: i64, expand: i64, kernel: i64) -> u128 {
    let p = |xs: &[i64]| {
        xs.iter()
            .fold(1u128, |a, &x| a.saturating_mul(x.max(0) as u128))
    };
    let mid = c_in.saturating_mul(expand);
    let expand_part = if expand == 1 {
        0
    } else {
        p(&[c_in, mid]).saturating_add(p(&[2, mid]))
    };
    expand_part
        .saturating_add(p(&[mid, kernel, kernel]))
        .saturating_add(p(&[2, mid]))
        .saturating_add(p(&[mid, c_out]))
        .saturating_add(p(&[2, c_out]))
}

/// The supernet's trainable weights: what `count_weights` gives for the built
/// `ProxylessSupernet` of `layout`.
pub fn supernet_weights(layout: &Layout) -> u128 {
    let w = layout.width;
    let last = layout.layers.last().map_or(w, |l| l.c_out);
    let frame = mbconv(w, w, 1, 3)
        .saturating_add((layout.in_channels * w * 9 + 2 * w).max(0) as u128)
        .saturating_add((last as u128).saturating_mul(layout.head as u128))
        .saturating_add(2 * layout.head as u128)
        .saturating_add((layout.head as u128 + 1).saturating_mul(layout.outputs as u128));
    layout.layers.iter().fold(frame, |total, spec| {
        spec.candidates().iter().fold(total, |t, c| match c {
            Choice::MbConv { expand, kernel } => {
                t.saturating_add(mbconv(spec.c_in, spec.c_out, *expand, *kernel))
            }
            Choice::Zero => t,
        })
    })
}

/// A lower bound of the floats a weight step keeps for its backward pass on `batch` images:
/// the stem's output, and at each layer that cannot be skipped, its input and the expansion's
/// output of the smallest block (3 x the input's channels), which its batch norm reads back.
/// A layer that may be skipped may keep nothing. Everything else (the sampled block's other
/// tensors, gradients, optimiser state, the process) comes on top.
pub fn kept_floats(layout: &Layout, batch: usize) -> u128 {
    let area = |s: (i64, i64)| (s.0.max(0) as u128).saturating_mul(s.1.max(0) as u128);
    let stem = (layout.width.max(0) as u128).saturating_mul(area(layout.size));
    let layers = layout
        .layers
        .iter()
        .filter(|spec| !spec.residual())
        .fold(0u128, |t, spec| {
            t.saturating_add((4 * spec.c_in.max(0) as u128).saturating_mul(area(spec.size)))
        });
    stem.saturating_add(layers).saturating_mul(batch as u128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxyless::supernet::ProxylessSupernet;
    use tch::nn::VarStore;

    #[test]
    fn the_count_matches_the_built_supernet() {
        for (c, size, outputs, width, per_stage) in [
            (1, (28, 28), 10, 16, 2),
            (3, (32, 40), 4, 8, 1),
            (2, (8, 8), 1, 12, 3),
        ] {
            let layout = Layout::new(c, size, outputs, width, per_stage);
            let vs = VarStore::new(tch::Device::Cpu);
            let _net = ProxylessSupernet::new(&vs.root(), &layout);
            assert_eq!(
                supernet_weights(&layout),
                crate::count_weights(&vs) as u128,
                "{layout:?}"
            );
        }
    }
}
