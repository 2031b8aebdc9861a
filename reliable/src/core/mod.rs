//! The producer's state machine, sans I/O: messages, consumers, credit,
//! timers. Time comes in as `now` arguments; decisions come out of
//! [`ProducerCore::next_dispatch`] and [`ProducerCore::take_event`]; the
//! earliest moment anything can change on its own is
//! [`ProducerCore::next_deadline`]. [`Producer`](super::Producer) drives it
//! with a ROUTER socket; tests drive it directly.
//!
//! Every message is in exactly one place: *pending* (waiting for a consumer
//! with credit), *delayed* (waiting for its time), *in flight* (with one
//! consumer, until its ack deadline) — or it has left, acknowledged or
//! dead-lettered, reported once as an [`Event`].

mod consumers;
mod idhash;
mod query;
mod types;

pub(crate) use types::{ConsumerId, Dispatch, Event};
pub use types::{CoreConfig, CoreStats};

use crate::clock::later;
use crate::wire::DeadLetter;
use consumers::Consumers;
use ferromq::Message;
use idhash::IdHash;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
enum Place {
    Pending,
    Delayed,
    InFlight {
        consumer: ConsumerId,
        deadline: Instant,
    },
}

#[derive(Debug)]
struct Entry {
    body: Message,
    deliveries: u32,
    place: Place,
}

/// The producer's queue and dispatcher. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct ProducerCore {
    cfg: CoreConfig,
    epoch: u64,
    next_id: u64,
    msgs: HashMap<u64, Entry, IdHash>,
    /// Ids in dispatch order; may hold ids that left while pending (skipped).
    pending: VecDeque<u64>,
    n_pending: usize,
    n_in_flight: usize,
    delayed: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Ack deadlines of the messages in flight, and nothing else: small
    /// (at most the consumers' total credit), so it stays in cache.
    timeouts: BTreeSet<(Instant, u64)>,
    consumers: Consumers,
    events: VecDeque<Event>,
    finishing: bool,
    stats: CoreStats,
}

impl ProducerCore {
    /// An empty queue; `epoch` names this producer instance on the wire.
    pub(crate) fn new(mut cfg: CoreConfig, epoch: u64) -> ProducerCore {
        cfg.max_deliveries = cfg.max_deliveries.max(1);
        ProducerCore {
            cfg,
            epoch,
            next_id: 0,
            msgs: HashMap::default(),
            pending: VecDeque::new(),
            n_pending: 0,
            n_in_flight: 0,
            delayed: BinaryHeap::new(),
            timeouts: BTreeSet::new(),
            consumers: Consumers::default(),
            events: VecDeque::new(),
            finishing: false,
            stats: CoreStats::default(),
        }
    }

    /// Take a message in. `due`: not before this time (`None`: now plus the
    /// default delay). Returns its id, or hands it back when the queue is at
    /// capacity or finishing.
    pub(crate) fn submit(
        &mut self,
        body: Message,
        due: Option<Instant>,
        now: Instant,
    ) -> Result<u64, Message> {
        if self.finishing || self.msgs.len() >= self.cfg.capacity {
            return Err(body);
        }
        let id = self.next_id;
        self.next_id += 1;
        let due = due.unwrap_or_else(|| later(now, self.cfg.default_delay));
        let place = if due > now {
            self.delayed.push(Reverse((due, id)));
            Place::Delayed
        } else {
            self.pending.push_back(id);
            self.n_pending += 1;
            Place::Pending
        };
        let (body, deliveries) = (body, 0);
        self.msgs.insert(
            id,
            Entry {
                body,
                deliveries,
                place,
            },
        );
        Ok(id)
    }

    /// A consumer announced itself (or repeated its heartbeat): it may hold
    /// `credit` unacknowledged messages; `heartbeat` is how often it repeats.
    pub(crate) fn on_ready(
        &mut self,
        c: &ConsumerId,
        credit: u32,
        heartbeat: Duration,
        now: Instant,
    ) {
        let liveness = if heartbeat.is_zero() {
            self.cfg.consumer_timeout
        } else {
            heartbeat.saturating_mul(3)
        };
        let credit = credit.min(self.cfg.max_credit);
        self.consumers.ready(c, credit, liveness, now);
    }

    /// Any traffic from a consumer proves it alive.
    pub(crate) fn on_seen(&mut self, c: &ConsumerId, now: Instant) {
        self.consumers.seen(c, now);
    }

    /// Take message `id` out of flight; its consumer gets the credit back.
    fn land(&mut self, id: u64) -> Option<Entry> {
        let e = self.msgs.get_mut(&id)?;
        let place = std::mem::replace(&mut e.place, Place::Pending);
        match place {
            Place::InFlight { consumer, deadline } => {
                self.timeouts.remove(&(deadline, id));
                self.n_in_flight -= 1;
                self.consumers.credit_back(&consumer);
            }
            Place::Pending => self.n_pending -= 1,
            Place::Delayed => {
                e.place = Place::Delayed;
                return None;
            }
        }
        self.msgs.remove(&id)
    }

    /// `c` acknowledged `id`. Any consumer's ack settles the message (even
    /// a late one from a consumer it was taken from). True the first time.
    pub(crate) fn on_ack(&mut self, c: &ConsumerId, id: u64, now: Instant) -> bool {
        self.on_seen(c, now);
        if self.land(id).is_none() {
            return false;
        }
        self.stats.acked += 1;
        self.events.push_back(Event::Acked(id));
        true
    }

    /// `c` rejected `id`. Counts only while `c` holds the delivery.
    pub(crate) fn on_nack(&mut self, c: &ConsumerId, id: u64, reason: &str, now: Instant) {
        self.on_seen(c, now);
        let holds = matches!(self.msgs.get(&id),
            Some(Entry { place: Place::InFlight { consumer, .. }, .. }) if consumer == c);
        if holds {
            self.stats.nacks += 1;
            self.fail(&[id], &format!("nack: {reason}"));
        }
    }

    /// Deliveries of `ids` failed: redeliver first thing, in id order, or
    /// dead-letter those at `max_deliveries`.
    fn fail(&mut self, ids: &[u64], reason: &str) {
        let mut back = Vec::new();
        for &id in ids {
            let Some(e) = self.land(id) else { continue };
            if e.deliveries >= self.cfg.max_deliveries {
                self.stats.dead_lettered += 1;
                self.events.push_back(Event::DeadLettered(DeadLetter {
                    epoch: self.epoch,
                    id,
                    reason: reason.to_owned(),
                    delivery_count: e.deliveries,
                    body: e.body,
                }));
            } else {
                back.push((id, e));
            }
        }
        back.sort_by_key(|(id, _)| Reverse(*id));
        for (id, e) in back {
            self.msgs.insert(id, e);
            self.pending.push_front(id);
            self.n_pending += 1;
        }
    }

    /// `c` is gone (disconnected, or silent too long): everything it held
    /// is redelivered (to another consumer, or to `c` if it comes back).
    pub(crate) fn on_consumer_gone(&mut self, c: &ConsumerId) {
        if !self.consumers.remove(c) {
            return;
        }
        self.stats.consumers_lost += 1;
        let ids = self.held_by(c);
        self.fail(&ids, "consumer lost");
    }

    fn held_by(&self, c: &ConsumerId) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .msgs
            .iter()
            .filter(|(_, e)| matches!(&e.place, Place::InFlight { consumer, .. } if consumer == c))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The driver could not hand [`Dispatch::Msg`] `id` to `c`: undo it
    /// (no delivery is counted). `gone`: `c` is unreachable; otherwise it is
    /// paused until its next `READY`.
    pub(crate) fn send_failed(&mut self, c: &ConsumerId, id: u64, gone: bool) {
        if let Some(e) = self.msgs.get_mut(&id) {
            if let Place::InFlight { consumer, deadline } = &e.place {
                if consumer == c {
                    self.timeouts.remove(&(*deadline, id));
                    e.deliveries -= 1;
                    if e.deliveries > 0 {
                        self.stats.redelivered -= 1;
                    }
                    e.place = Place::Pending;
                    self.pending.push_front(id);
                    self.n_pending += 1;
                    self.n_in_flight -= 1;
                    self.consumers.credit_back(c);
                }
            }
        }
        if gone {
            self.on_consumer_gone(c);
        } else {
            self.consumers.pause(c);
        }
    }

    /// Apply the clock: delayed messages that are due become pending, ack
    /// deadlines that passed fail, silent consumers are gone.
    pub(crate) fn on_tick(&mut self, now: Instant) {
        while let Some(Reverse((due, id))) = self.delayed.peek().copied() {
            if due > now {
                break;
            }
            self.delayed.pop();
            if let Some(e) = self.msgs.get_mut(&id) {
                e.place = Place::Pending;
                self.pending.push_back(id);
                self.n_pending += 1;
            }
        }
        while let Some(&(deadline, id)) = self.timeouts.first() {
            if deadline > now {
                break;
            }
            self.stats.timeouts += 1;
            self.fail(&[id], "ack timeout");
        }
        let silent = self.consumers.silent(now);
        for c in silent {
            self.on_consumer_gone(&c);
        }
    }

    /// The next thing to send, if any: a message for the next consumer with
    /// credit (round robin), or — once finishing and nothing is held — the
    /// pill for each consumer that has not had it.
    pub(crate) fn next_dispatch(&mut self, now: Instant) -> Option<Dispatch> {
        if self.finishing && self.msgs.is_empty() {
            let consumer = self.consumers.next_without_eof()?;
            return Some(Dispatch::Eof { consumer });
        }
        if !self.consumers.may_have_room() {
            return None;
        }
        let id = loop {
            let id = *self.pending.front()?;
            match self.msgs.get(&id) {
                Some(Entry {
                    place: Place::Pending,
                    ..
                }) => break id,
                _ => {
                    self.pending.pop_front();
                }
            }
        };
        let consumer = self.consumers.next_with_room()?;
        self.pending.pop_front();
        self.n_pending -= 1;
        let deadline = later(now, self.cfg.ack_timeout);
        let e = self.msgs.get_mut(&id)?;
        e.deliveries = e.deliveries.saturating_add(1);
        if e.deliveries > 1 {
            self.stats.redelivered += 1;
        }
        e.place = Place::InFlight {
            consumer: consumer.clone(),
            deadline,
        };
        let (delivery_count, body) = (e.deliveries, e.body.clone());
        self.n_in_flight += 1;
        self.timeouts.insert((deadline, id));
        self.consumers.charge(&consumer);
        Some(Dispatch::Msg {
            consumer,
            id,
            delivery_count,
            body,
        })
    }

    /// The driver received a malformed message (counted only).
    pub(crate) fn on_malformed(&mut self) {
        self.stats.protocol_errors += 1;
    }

    /// The next acknowledgement or dead letter to report.
    pub(crate) fn take_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Stop taking messages; once every held message is acknowledged or
    /// dead-lettered, every consumer (present or later) gets the pill.
    pub(crate) fn finish(&mut self) {
        self.finishing = true;
    }

    /// When [`on_tick`](Self::on_tick) next has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let delayed = self.delayed.peek().map(|r| r.0 .0);
        let timeout = self.timeouts.first().map(|t| t.0);
        let silent = self.consumers.next_silence();
        [delayed, timeout, silent].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
