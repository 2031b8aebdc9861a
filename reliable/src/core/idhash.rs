//! A fast hash for message ids: the producer makes them (in sequence), so
//! SipHash's protection against chosen keys buys nothing, while its cost
//! shows on every send, dispatch and ack. SplitMix64's finaliser spreads
//! sequential ids over the whole table.

use std::hash::{BuildHasherDefault, Hasher};

/// `BuildHasher` for `u64` message ids.
pub(super) type IdHash = BuildHasherDefault<IdHasher>;

/// See the module docs. Meant for `write_u64`; other input is folded in
/// byte by byte.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn sequential_ids_spread_over_buckets_and_tags() {
        let h = IdHash::default();
        let (mut low, mut tags) = (
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        );
        for id in 0..4096u64 {
            let v = h.hash_one(id);
            low.insert(v & 1023);
            tags.insert(v >> 57);
        }
        assert!(low.len() > 1000, "{} of 1024 buckets", low.len());
        assert_eq!(tags.len(), 128);
    }
}
