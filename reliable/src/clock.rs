//! Time arithmetic that cannot panic, and the longest duration the layer
//! accepts.

use std::time::{Duration, Instant};

/// The longest timeout or delay any setting or send option accepts: 365
/// days, as for ferromq's socket options
/// ([`ferromq::defaults::MAX_DURATION`]).
pub(crate) const MAX_DURATION: Duration = ferromq::defaults::MAX_DURATION;

/// `t + d`, or — when that sum overflows — the latest instant the platform
/// can represent (to the nanosecond). Never panics.
pub(crate) fn later(t: Instant, d: Duration) -> Instant {
    if let Some(at) = t.checked_add(d) {
        return at;
    }
    // Add the largest steps that fit, halving the step when it does not:
    // once a step fits, twice it did not, so each size is added at most
    // once (about 100 rounds at most).
    let (mut at, mut step) = (t, d);
    while !step.is_zero() {
        match at.checked_add(step) {
            Some(next) => at = next,
            None => step /= 2,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_adds_or_saturates() {
        let t = Instant::now();
        assert_eq!(later(t, Duration::from_secs(5)), t + Duration::from_secs(5));
        assert_eq!(later(t, Duration::ZERO), t);
        let end = later(t, Duration::MAX);
        assert!(end > t + MAX_DURATION);
        // Nothing representable is later than that, to the nanosecond.
        assert_eq!(end.checked_add(Duration::from_nanos(1)), None);
        assert_eq!(later(end, Duration::from_secs(1)), end);
    }
}
