//! The consumer's duplicate filter: a window of recently processed message
//! ids, bounded by count and by age, plus the ids being processed now.
//!
//! What it guarantees: a message whose processing this consumer *finished*
//! (acknowledged) at most `capacity` acknowledgements ago and less than
//! `ttl` ago is not handed to the application again, and a message being
//! processed now (delivered, not yet acknowledged or rejected) is not
//! handed out a second time meanwhile. What it cannot do: remember across
//! a crash or restart (it lives in memory), see what other consumers
//! processed, or recognise an id that has left the window. A consumer that
//! crashes after processing a message and before its ack reaches the
//! producer will see that message again (its delivery count tells).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// A message's identity: the producer's epoch and the message id.
pub(crate) type Key = (u64, u64);

/// What the window says about a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Not seen (or forgotten): process it.
    New,
    /// Being processed now: drop this copy; the pending ack covers it.
    Held,
    /// Processed and acknowledged within the window: drop it and ack again
    /// (the first ack was lost or crossed the redelivery).
    Done,
}

/// The window. Sans-IO: time comes in as arguments. An id is `New`, then
/// `Held` once held, then `Done` once completed (see the unit test
/// `new_then_held_then_done`).
#[derive(Debug, Clone)]
pub(crate) struct DedupWindow {
    capacity: usize,
    ttl: Duration,
    /// Processed ids, each with the sequence number of its record in `order`.
    done: HashMap<Key, u64>,
    order: VecDeque<(Key, Instant, u64)>,
    seq: u64,
    held: HashSet<Key>,
}

impl DedupWindow {
    /// A window remembering at most `capacity` processed ids, each for at
    /// most `ttl`. A capacity of 0 remembers nothing processed (ids being
    /// processed are still filtered).
    pub(crate) fn new(capacity: usize, ttl: Duration) -> DedupWindow {
        DedupWindow {
            capacity,
            ttl,
            done: HashMap::new(),
            order: VecDeque::new(),
            seq: 0,
            held: HashSet::new(),
        }
    }

    /// Classify a delivery of `key` arriving at `now`.
    pub(crate) fn check(&mut self, key: Key, now: Instant) -> Seen {
        self.evict(now);
        if self.held.contains(&key) {
            Seen::Held
        } else if self.done.contains_key(&key) {
            Seen::Done
        } else {
            Seen::New
        }
    }

    /// `key` was handed to the application.
    pub(crate) fn hold(&mut self, key: Key) {
        self.held.insert(key);
    }

    /// The application acknowledged `key` at `now`.
    pub(crate) fn complete(&mut self, key: Key, now: Instant) {
        self.held.remove(&key);
        if self.capacity == 0 {
            return;
        }
        self.seq += 1;
        self.done.insert(key, self.seq);
        self.order.push_back((key, now, self.seq));
        self.evict(now);
    }

    /// The application rejected `key`: a redelivery is new again.
    pub(crate) fn release(&mut self, key: Key) {
        self.held.remove(&key);
    }

    /// Ids remembered as processed (tests only).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.done.len()
    }

    /// Nothing remembered as processed (tests only).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// Ids being processed (tests only).
    #[cfg(test)]
    pub(crate) fn held_len(&self) -> usize {
        self.held.len()
    }

    fn evict(&mut self, now: Instant) {
        while let Some(&(key, at, seq)) = self.order.front() {
            let expired = now.checked_duration_since(at).unwrap_or_default() >= self.ttl;
            if self.order.len() <= self.capacity && !expired {
                break;
            }
            self.order.pop_front();
            // Only forget the entry this record made (the id may have been
            // processed again since, after leaving the window).
            if self.done.get(&key) == Some(&seq) {
                self.done.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_then_held_then_done() {
        let t = Instant::now();
        let mut w = DedupWindow::new(2, Duration::from_secs(60));
        assert_eq!(w.check((1, 7), t), Seen::New);
        w.hold((1, 7));
        assert_eq!(w.check((1, 7), t), Seen::Held);
        w.complete((1, 7), t);
        assert_eq!(w.check((1, 7), t), Seen::Done);
    }

    #[test]
    fn bounded_by_count() {
        let t = Instant::now();
        let mut w = DedupWindow::new(3, Duration::from_secs(3600));
        for id in 0..5 {
            w.hold((0, id));
            w.complete((0, id), t);
        }
        assert_eq!(w.len(), 3);
        assert_eq!(w.check((0, 0), t), Seen::New);
        assert_eq!(w.check((0, 1), t), Seen::New);
        for id in 2..5 {
            assert_eq!(w.check((0, id), t), Seen::Done);
        }
    }

    #[test]
    fn bounded_by_age() {
        let t = Instant::now();
        let ttl = Duration::from_secs(10);
        let mut w = DedupWindow::new(100, ttl);
        w.complete((0, 1), t);
        w.complete((0, 2), t + Duration::from_secs(5));
        assert_eq!(w.check((0, 1), t + Duration::from_secs(9)), Seen::Done);
        assert_eq!(w.check((0, 1), t + ttl), Seen::New);
        assert_eq!(w.check((0, 2), t + ttl), Seen::Done);
        assert_eq!(w.check((0, 2), t + Duration::from_secs(15)), Seen::New);
        assert!(w.is_empty());
    }

    #[test]
    fn epochs_are_distinct_and_release_reopens() {
        let t = Instant::now();
        let mut w = DedupWindow::new(10, Duration::from_secs(10));
        w.complete((1, 5), t);
        assert_eq!(w.check((2, 5), t), Seen::New);
        w.hold((2, 5));
        assert_eq!(w.check((2, 5), t), Seen::Held);
        w.release((2, 5));
        assert_eq!(w.check((2, 5), t), Seen::New);
        assert_eq!(w.held_len(), 0);
    }

    #[test]
    fn reprocessed_after_eviction_is_remembered_again() {
        let t = Instant::now();
        let mut w = DedupWindow::new(1, Duration::from_secs(10));
        w.complete((0, 1), t);
        w.complete((0, 2), t); // evicts 1
        w.complete((0, 1), t); // evicts 2; 1 is back
        assert_eq!(w.check((0, 1), t), Seen::Done);
        assert_eq!(w.check((0, 2), t), Seen::New);
    }
}
