//! Time arithmetic that cannot panic, and the longest duration the layer
//! accepts.

use std::time::{Duration, Instant};

/// The longest timeout or delay any setting or send option accepts: 365
/// days, as for ferromq's socket options
/// ([`ferromq::defaults::MAX_DURATION`]).
pub(crate) const MAX_DURATION: Duration = ferromq::defaults::MAX_DURATION;

/// `t + d`, or the latest instant after `t` the platform can represent
/// within `d` when that sum overflows. Never panics: it halves `d` until
/// the sum fits (`t + 0` always does).
pub(crate) fn later(t: Instant, mut d: Duration) -> Instant {
    loop {
        if let Some(at) = t.checked_add(d) {
            return at;
        }
        d /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_adds_or_saturates() {
        let t = Instant::now();
        assert_eq!(later(t, Duration::from_secs(5)), t + Duration::from_secs(5));
        assert_eq!(later(t, Duration::ZERO), t);
        let far = later(t, Duration::MAX);
        assert!(far > t + MAX_DURATION);
    }
}
