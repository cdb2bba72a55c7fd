//! A fixed-size set of operation indices, the "linearized so far" half of the memo key.

/// Bits over `0..len`, stored in 64-bit words so that equal sets hash equally.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Bitset {
    words: Vec<u64>,
}

impl Bitset {
    pub(super) fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
        }
    }

    pub(super) fn set(&mut self, index: usize) {
        if let Some(word) = self.words.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    pub(super) fn clear(&mut self, index: usize) {
        if let Some(word) = self.words.get_mut(index / 64) {
            *word &= !(1 << (index % 64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bitset;

    #[test]
    fn set_and_clear_round_trip_across_words() {
        let mut bits = Bitset::new(130);
        let empty = bits.clone();
        bits.set(0);
        bits.set(64);
        bits.set(129);
        assert_ne!(bits, empty);
        bits.clear(0);
        bits.clear(64);
        bits.clear(129);
        assert_eq!(bits, empty);
    }
}
