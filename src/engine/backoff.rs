//! Reconnect backoff: exponential with jitter.

use crate::random::random_u64;
use std::time::Duration;

/// Exponential backoff state for one connecter.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
    rng: u64,
}

impl Backoff {
    /// Start at `initial`, doubling up to `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            current: initial,
            rng: random_u64() | 1,
        }
    }

    /// The next delay: the current step plus up to 25% jitter; the step then
    /// doubles (capped at `max`).
    pub(crate) fn next_delay(&mut self) -> Duration {
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let base = self.current;
        let jitter = base.mul_f64((self.rng % 1000) as f64 / 4000.0);
        self.current = (self.current * 2).min(self.max);
        base + jitter
    }

    /// After a successful handshake: start again from `initial`.
    pub(crate) fn reset(&mut self) {
        self.current = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_bounded_jitter_and_caps() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(1000));
        let d: Vec<Duration> = (0..6).map(|_| b.next_delay()).collect();
        let bases = [100, 200, 400, 800, 1000, 1000];
        for (got, base) in d.iter().zip(bases) {
            assert!(
                *got >= ms(base) && *got <= ms(base) + ms(base) / 4,
                "{got:?} vs {base}"
            );
        }
        b.reset();
        assert!(b.next_delay() <= ms(125));
    }
}
