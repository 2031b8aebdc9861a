//! Read-only views of the core's state.

use super::{ConsumerId, CoreConfig, CoreStats, ProducerCore};

impl ProducerCore {
    /// The settings.
    pub fn config(&self) -> &CoreConfig {
        &self.cfg
    }

    /// This producer instance's epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Messages held: pending + delayed + in flight.
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    /// Whether [`finish`](Self::finish) was called.
    pub fn is_finishing(&self) -> bool {
        self.finishing
    }

    /// Current counters.
    pub fn stats(&self) -> CoreStats {
        CoreStats {
            pending: self.n_pending,
            delayed: self.len() - self.n_pending - self.n_in_flight,
            in_flight: self.n_in_flight,
            consumers: self.consumers.len(),
            ..self.stats
        }
    }

    /// How many unacknowledged messages `c` holds, if it is known.
    pub fn held(&self, c: &ConsumerId) -> Option<u32> {
        self.consumers.held(c)
    }

    /// The consumers known now.
    pub fn consumers(&self) -> Vec<ConsumerId> {
        self.consumers.ids()
    }
}
