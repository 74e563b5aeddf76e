//! Training-time augmentation on normalised batches [N, C, H, W]: random crops after zero
//! padding, horizontal flips, quarter turns (square images; only where the dataset's symmetry
//! allows them) and cutout (quark0/darts utils.py Cutout: one square per image,
//! centred anywhere, clipped at the border, set to zero), each drawn from the run's seeded RNG.
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Augment {
    pub flip: bool,
    /// Random quarter turns (k x 90 degrees, k drawn from 0-3) of square images.
    pub rot90: bool,
    /// Zero padding on each side before the crop, pixels.
    pub pad: i64,
    /// Cutout side, pixels (0: none).
    pub cutout: i64,
}

impl Augment {
    pub fn apply(&self, x: &Tensor, rng: &mut Rng) -> Tensor {
        let (n, _, h, w) = x.size4().unwrap_or((0, 0, 0, 0));
        let mut out = Vec::with_capacity(n as usize);
        let padded = if self.pad > 0 {
            x.constant_pad_nd([self.pad, self.pad, self.pad, self.pad])
        } else {
            x.shallow_clone()
        };
        for i in 0..n {
            let mut img = padded.get(i);
            if self.pad > 0 {
                let top = rng.below(2 * self.pad as usize + 1) as i64;
                let left = rng.below(2 * self.pad as usize + 1) as i64;
                img = img.narrow(1, top, h).narrow(2, left, w);
            }
            if self.flip && rng.below(2) == 1 {
                img = img.flip([2]);
            }
            if self.rot90 && h == w {
                let k = rng.below(4) as i64;
                if k > 0 {
                    img = img.rot90(k, [1, 2]);
                }
            }
            if self.cutout > 0 {
                let cy = rng.below(h as usize) as i64;
                let cx = rng.below(w as usize) as i64;
                let half = self.cutout / 2;
                let (y0, y1) = ((cy - half).max(0), (cy + half).min(h));
                let (x0, x1) = ((cx - half).max(0), (cx + half).min(w));
                let mask = Tensor::ones([1, h, w], (Kind::Float, img.device()));
                let _ = mask
                    .narrow(1, y0, y1 - y0)
                    .narrow(2, x0, x1 - x0)
                    .fill_(0.0);
                img = img * mask;
            }
            out.push(img);
        }
        if out.is_empty() {
            return x.shallow_clone();
        }
        Tensor::stack(&out, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutout_zeroes_one_clipped_square_and_crops_keep_the_size() {
        let x = Tensor::ones([4, 2, 8, 8], (Kind::Float, tch::Device::Cpu));
        let mut rng = Rng::derive(1, 2, 3);
        let a = Augment {
            flip: true,
            rot90: false,
            pad: 2,
            cutout: 4,
        };
        let y = a.apply(&x, &mut rng);
        assert_eq!(y.size(), vec![4, 2, 8, 8]);
        // Without the pad, a 4x4 cutout inside the image zeroes at most 16 pixels per channel.
        let only_cutout = Augment {
            flip: false,
            rot90: false,
            pad: 0,
            cutout: 4,
        }
        .apply(&x, &mut rng);
        for i in 0..4 {
            let zeros = only_cutout
                .get(i)
                .get(0)
                .eq(0.0)
                .sum(Kind::Int64)
                .int64_value(&[]);
            assert!((1..=16).contains(&zeros), "{zeros}");
            // Both channels lose the same square.
            let c1 = only_cutout
                .get(i)
                .get(1)
                .eq(0.0)
                .sum(Kind::Int64)
                .int64_value(&[]);
            assert_eq!(zeros, c1);
        }
        // A flip alone moves a marked column to the mirror side or leaves it.
        let m = Tensor::zeros([1, 1, 2, 3], (Kind::Float, tch::Device::Cpu));
        let _ = m.narrow(3, 0, 1).fill_(1.0);
        let f = Augment {
            flip: true,
            rot90: false,
            pad: 0,
            cutout: 0,
        }
        .apply(&m, &mut rng);
        let first = f.narrow(3, 0, 1).sum(Kind::Float).double_value(&[]);
        let last = f.narrow(3, 2, 1).sum(Kind::Float).double_value(&[]);
        assert_eq!(first + last, 2.0);
        assert_eq!(f.size(), vec![1, 1, 2, 3]);
    }
}
