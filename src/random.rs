//! A tiny random source for jitter, seeds and fresh names: the standard
//! library's per-process random hash keys (no extra dependency; not for
//! cryptography). A leaf module: anything may use it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// A random u64.
pub(crate) fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}

/// A random u32 (the high half of [`random_u64`]).
pub(crate) fn random_u32() -> u32 {
    (random_u64() >> 32) as u32
}
