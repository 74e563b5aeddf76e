//! A small seeded generator (SplitMix64) for shuffles and splits, so data order depends only on
//! the seed and the epoch, never on global state; resumed runs see the same batches.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for one purpose and epoch, derived from the run's seed.
    pub fn derive(seed: u64, stream: u64, epoch: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.0 ^= r.next_u64() ^ epoch.wrapping_mul(0xD1B5_4A32_D192_ED03);
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw strictly inside (0, 1), 53 bits.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_order_other_seed_other_order() {
        let shuffled = |seed, epoch| {
            let mut v: Vec<usize> = (0..50).collect();
            Rng::derive(seed, 1, epoch).shuffle(&mut v);
            v
        };
        assert_eq!(shuffled(3, 2), shuffled(3, 2));
        assert_ne!(shuffled(3, 2), shuffled(3, 3));
        assert_ne!(shuffled(3, 2), shuffled(4, 2));
        let mut sorted = shuffled(3, 2);
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}
