//! Read-only views of the core's state.

use super::{ConsumerId, CoreStats, ProducerCore};

impl ProducerCore {
    /// This producer instance's epoch.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Messages held: pending + delayed + in flight.
    pub(crate) fn len(&self) -> usize {
        self.msgs.len()
    }

    /// Nothing held (tests only).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    /// Whether [`finish`](Self::finish) was called.
    pub(crate) fn is_finishing(&self) -> bool {
        self.finishing
    }

    /// Current counters.
    pub(crate) fn stats(&self) -> CoreStats {
        CoreStats {
            pending: self.n_pending,
            delayed: self.len() - self.n_pending - self.n_in_flight,
            in_flight: self.n_in_flight,
            consumers: self.consumers.len(),
            ..self.stats
        }
    }

    /// How many unacknowledged messages `c` holds, if it is known.
    pub(crate) fn held(&self, c: &ConsumerId) -> Option<u32> {
        self.consumers.held(c)
    }

    /// The consumers known now.
    pub(crate) fn consumers(&self) -> Vec<ConsumerId> {
        self.consumers.ids()
    }
}
