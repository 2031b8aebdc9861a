//! Exponential backoff with jitter, for callers who retry a busy queue
//! later, and the layer's source of random numbers.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A random `u64` (not cryptographic): SipHash with the process's random
/// keys over a counter and the clock.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish()
}

/// Exponential backoff with "equal jitter": attempt `n` (from 0) waits a
/// random time between half and all of `min(max, initial * 2^n)`, so
/// retries spread out instead of arriving together, yet never hammer.
///
/// ```
/// use ferromq_reliable::Backoff;
/// use std::time::Duration;
/// let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(100), 5);
/// let d: Vec<Duration> = b.delays().collect();
/// assert_eq!(d.len(), 4); // between 5 attempts
/// assert!(d[0] >= Duration::from_millis(5) && d[0] <= Duration::from_millis(10));
/// assert!(d[3] >= Duration::from_millis(40) && d[3] <= Duration::from_millis(80));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first wait.
    pub initial: Duration,
    /// Ceiling of any wait.
    pub max: Duration,
    /// Attempts in all, the first included (0 counts as 1: the first
    /// attempt is always made).
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 10 ms doubling to 1 s, 10 attempts.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(10), Duration::from_secs(1), 10)
    }
}

impl Backoff {
    /// A policy; see the type's docs.
    pub fn new(initial: Duration, max: Duration, max_attempts: u32) -> Backoff {
        Backoff {
            initial,
            max,
            max_attempts,
        }
    }

    /// The wait after failed attempt `n` (0-based), jittered.
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
        let ceiling = self.initial.saturating_mul(factor).min(self.max);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
        // `spread + 1` choices, 0..=spread; all of u64 when that overflows.
        let jitter = match spread.checked_add(1) {
            Some(choices) => random_u64() % choices,
            None => random_u64(),
        };
        half.saturating_add(Duration::from_nanos(jitter))
    }

    /// The waits between attempts: `max_attempts - 1` of them.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + '_ {
        (0..self.max_attempts.saturating_sub(1)).map(|n| self.delay(n))
    }

    /// Call `op` until it succeeds, fails with an error `retryable` rejects,
    /// or the attempts run out (the last error is returned), sleeping the
    /// backoff between attempts. `op` gets the attempt number (0-based).
    pub fn retry<T, E>(
        &self,
        mut op: impl FnMut(u32) -> Result<T, E>,
        retryable: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let mut n = 0;
        loop {
            match op(n) {
                Ok(v) => return Ok(v),
                Err(e) if n.saturating_add(1) < self.max_attempts && retryable(&e) => {
                    std::thread::sleep(self.delay(n));
                    n = n.saturating_add(1);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_cap_and_jitter() {
        let b = Backoff::new(Duration::from_millis(8), Duration::from_millis(50), 20);
        for n in 0..20 {
            let ceiling = (Duration::from_millis(8) * 2u32.pow(n.min(10))).min(b.max);
            for _ in 0..20 {
                let d = b.delay(n);
                assert!(d >= ceiling / 2 && d <= ceiling, "attempt {n}: {d:?}");
            }
        }
        let distinct: std::collections::HashSet<Duration> = (0..50).map(|_| b.delay(3)).collect();
        assert!(distinct.len() > 1, "jitter varies");
    }

    #[test]
    fn the_largest_durations_and_attempts_do_not_overflow() {
        let b = Backoff::new(Duration::MAX, Duration::MAX, u32::MAX);
        for n in [0, 1, 31, 32, 63, 64, u32::MAX] {
            let d = b.delay(n);
            assert!(d >= Duration::MAX / 2, "attempt {n}: {d:?}");
        }
        let b = Backoff::new(Duration::from_secs(1), Duration::MAX, 40);
        assert!(b.delay(39) >= Duration::from_secs(1 << 30));
        assert_eq!(
            Backoff::new(Duration::ZERO, Duration::ZERO, 3).delay(7),
            Duration::ZERO
        );
        // No attempts at all still makes the one attempt.
        let b = Backoff::new(Duration::ZERO, Duration::ZERO, 0);
        assert_eq!(b.delays().count(), 0);
        let r: Result<(), &str> = b.retry(|_| Err("busy"), |_| true);
        assert_eq!(r, Err("busy"));
    }

    #[test]
    fn retry_stops_on_success_fatal_or_exhaustion() {
        let b = Backoff::new(Duration::from_micros(10), Duration::from_micros(100), 4);
        let mut calls = 0;
        let r: Result<u32, &str> = b.retry(
            |n| {
                calls += 1;
                if n == 2 {
                    Ok(n)
                } else {
                    Err("busy")
                }
            },
            |e| *e == "busy",
        );
        assert_eq!((r, calls), (Ok(2), 3));
        let r: Result<(), &str> = b.retry(|_| Err("fatal"), |e| *e == "busy");
        assert_eq!(r, Err("fatal"));
        let mut calls = 0;
        let r: Result<(), &str> = b.retry(
            |_| {
                calls += 1;
                Err("busy")
            },
            |_| true,
        );
        assert_eq!((r, calls), (Err("busy"), 4));
        assert!(random_u64() != random_u64());
    }
}
