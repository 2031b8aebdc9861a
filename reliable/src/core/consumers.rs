//! The consumers the producer knows: credit, liveness and the round-robin
//! ring of those with room.

use super::types::ConsumerId;
use crate::clock::later;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Consumer {
    credit: u32,
    held: u32,
    last_seen: Instant,
    liveness: Duration,
    in_ring: bool,
    paused: bool,
    eof_sent: bool,
}

impl Consumer {
    fn has_room(&self) -> bool {
        !self.paused && self.held < self.credit
    }

    /// When it counts as gone if nothing more is heard from it. `liveness`
    /// comes from the peer's `READY` (3 × its heartbeat): saturating.
    fn silent_at(&self) -> Instant {
        later(self.last_seen, self.liveness)
    }
}

/// Known consumers and the ring of those that may take a message.
#[derive(Debug, Default)]
pub(super) struct Consumers {
    map: HashMap<ConsumerId, Consumer>,
    /// Consumers with room, in round-robin order. Each known consumer is in
    /// it at most once (`in_ring`); entries are re-checked when popped.
    ring: VecDeque<ConsumerId>,
}

impl Consumers {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn ids(&self) -> Vec<ConsumerId> {
        self.map.keys().cloned().collect()
    }

    pub(super) fn held(&self, c: &ConsumerId) -> Option<u32> {
        self.map.get(c).map(|c| c.held)
    }

    /// Add or refresh `c` (a `READY`): new credit, alive now, unpaused.
    pub(super) fn ready(&mut self, c: &ConsumerId, credit: u32, liveness: Duration, now: Instant) {
        let cons = self.map.entry(c.clone()).or_insert(Consumer {
            credit,
            held: 0,
            last_seen: now,
            liveness,
            in_ring: false,
            paused: false,
            eof_sent: false,
        });
        cons.credit = credit;
        cons.last_seen = now;
        cons.liveness = liveness;
        cons.paused = false;
        self.ring_if_room(c);
    }

    pub(super) fn seen(&mut self, c: &ConsumerId, now: Instant) {
        if let Some(cons) = self.map.get_mut(c) {
            cons.last_seen = now;
        }
    }

    fn ring_if_room(&mut self, c: &ConsumerId) {
        if let Some(cons) = self.map.get_mut(c) {
            if !cons.in_ring && cons.has_room() {
                cons.in_ring = true;
                self.ring.push_back(c.clone());
            }
        }
    }

    /// `c` was given a message.
    pub(super) fn charge(&mut self, c: &ConsumerId) {
        if let Some(cons) = self.map.get_mut(c) {
            cons.held = cons.held.saturating_add(1);
        }
        self.ring_if_room(c);
    }

    /// A message `c` held left it (acked, failed or undone).
    pub(super) fn credit_back(&mut self, c: &ConsumerId) {
        if let Some(cons) = self.map.get_mut(c) {
            cons.held = cons.held.saturating_sub(1);
        }
        self.ring_if_room(c);
    }

    /// Stop giving `c` messages until its next `READY`.
    pub(super) fn pause(&mut self, c: &ConsumerId) {
        if let Some(cons) = self.map.get_mut(c) {
            cons.paused = true;
        }
    }

    /// Whether some consumer may have room (cheap; `next_with_room` decides).
    pub(super) fn may_have_room(&self) -> bool {
        !self.ring.is_empty()
    }

    /// The next consumer with room, round robin.
    pub(super) fn next_with_room(&mut self) -> Option<ConsumerId> {
        while let Some(c) = self.ring.pop_front() {
            if let Some(cons) = self.map.get_mut(&c) {
                cons.in_ring = false;
                if cons.has_room() {
                    return Some(c);
                }
            }
        }
        None
    }

    /// Forget `c`; true when it was known.
    pub(super) fn remove(&mut self, c: &ConsumerId) -> bool {
        let known = self.map.remove(c).is_some();
        if known {
            self.ring.retain(|x| x != c);
        }
        known
    }

    /// Consumers not heard from within their liveness at `now`.
    pub(super) fn silent(&self, now: Instant) -> Vec<ConsumerId> {
        self.map
            .iter()
            .filter(|(_, c)| c.silent_at() <= now)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// When the next consumer falls silent, if none is heard from.
    pub(super) fn next_silence(&self) -> Option<Instant> {
        self.map.values().map(Consumer::silent_at).min()
    }

    /// A consumer that has not had the pill yet, now marked as having it.
    pub(super) fn next_without_eof(&mut self) -> Option<ConsumerId> {
        let (id, c) = self.map.iter_mut().find(|(_, c)| !c.eof_sent)?;
        c.eof_sent = true;
        Some(id.clone())
    }
}
