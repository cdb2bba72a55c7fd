//! Seeded election-timeout jitter (splitmix64): deterministic per node, no global randomness.

#[derive(Debug, Clone)]
pub(super) struct Jitter {
    state: u64,
    max_ms: u64,
}

impl Jitter {
    pub(super) fn new(seed: u64, max_ms: u64) -> Self {
        Self {
            state: seed,
            max_ms,
        }
    }

    /// A value in `0..=max_ms`.
    pub(super) fn next_ms(&mut self) -> u64 {
        if self.max_ms == 0 {
            return 0;
        }
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z % (self.max_ms + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range_and_depend_on_the_seed() {
        let mut a = Jitter::new(1, 50);
        let mut b = Jitter::new(2, 50);
        let draws_a: Vec<u64> = (0..100).map(|_| a.next_ms()).collect();
        let draws_b: Vec<u64> = (0..100).map(|_| b.next_ms()).collect();
        assert!(draws_a.iter().all(|d| *d <= 50));
        assert_ne!(draws_a, draws_b);
        assert_eq!(Jitter::new(1, 0).next_ms(), 0);
    }
}
