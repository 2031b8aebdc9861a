//! One direction of an inproc wire: the sending socket's outgoing queue,
//! which the receiving socket drains into its own pipe by itself. No lock
//! is shared by the two sockets on the data path; the lane's own lock is a
//! leaf (nothing else is ever taken while it is held) and is held for a
//! push, or for one batch moved out.
//!
//! Two counters, changed under the lock with the queue (so they never
//! disagree with it once it is released), let either side look without
//! the lock: `msgs` is what the sender's HWM counts,
//! `items` (messages, pills and subscriptions) is what the sleep handshake
//! reads (see [`Attention::offer`](crate::state::shared::Attention::offer)).

use super::Item;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// One direction of an inproc wire.
#[derive(Debug, Default)]
pub(crate) struct Lane {
    q: Mutex<Queue>,
    /// `Queue::msgs`, readable without the lock (stored under it).
    msgs: AtomicUsize,
    /// `Queue::items.len()`, readable without the lock (stored under it).
    items: AtomicUsize,
    /// The sender found the lane full and may be waiting for room.
    blocked: AtomicBool,
    /// The sender, finding the lane full, asked the receiving side to take
    /// what its own HWM allows (cleared by the next take).
    asked: AtomicBool,
}

#[derive(Debug, Default)]
struct Queue {
    /// Oldest first. A `Vec`, so that a take of everything is one swap with
    /// the receiver's empty buffer (the lock is held for O(1), not for a
    /// copy), and the two buffers trade places without allocating.
    items: Vec<Item>,
    /// Messages among `items`.
    msgs: usize,
}

impl Lane {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.q.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publish the counts (under the lock, so they never disagree with the
    /// queue once it is released). Plain stores: the lock orders them.
    fn publish(&self, q: &Queue) {
        self.msgs.store(q.msgs, Ordering::Relaxed);
        self.items.store(q.items.len(), Ordering::Relaxed);
    }

    /// Queue an item. True when the lane was empty: the receiver may need
    /// waking (see [`InprocWire::offer`](super::InprocWire::offer), which
    /// fences before it looks).
    pub(crate) fn push(&self, item: Item) -> bool {
        let mut q = self.queue();
        let was_empty = q.items.is_empty();
        q.msgs += usize::from(item.is_msg());
        q.items.push(item);
        self.publish(&q);
        was_empty
    }

    /// Queue `items` in order. True when the lane was empty and is not.
    pub(crate) fn push_all(&self, items: impl Iterator<Item = Item>) -> bool {
        let mut q = self.queue();
        let was_empty = q.items.is_empty();
        for item in items {
            q.msgs += usize::from(item.is_msg());
            q.items.push(item);
        }
        self.publish(&q);
        was_empty && !q.items.is_empty()
    }

    /// With `conflate`: drop every message still queued (their number is
    /// returned) and queue `item`. The second value is true when the lane
    /// was empty.
    pub(crate) fn replace_msgs(&self, item: Item) -> (usize, bool) {
        let mut q = self.queue();
        let was_empty = q.items.is_empty();
        q.items.retain(|i| !i.is_msg());
        let dropped = q.msgs;
        q.msgs = usize::from(item.is_msg());
        q.items.push(item);
        self.publish(&q);
        (dropped, was_empty)
    }

    /// Is the lane below `hwm` messages? When it is not, the sender is
    /// noted as blocked (so that the next take wakes it), and the count is
    /// looked at once more: a take may have come in between.
    pub(crate) fn has_room(&self, hwm: usize) -> bool {
        if self.msgs.load(Ordering::SeqCst) < hwm {
            return true;
        }
        self.blocked.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        self.msgs.load(Ordering::SeqCst) < hwm
    }

    /// The sender found the lane full: true the first time since the last
    /// take (then it asks the receiving side to take what it has room for).
    pub(crate) fn ask(&self) -> bool {
        !self.asked.swap(true, Ordering::SeqCst)
    }

    /// Does the lane hold anything?
    pub(crate) fn is_empty(&self) -> bool {
        self.items.load(Ordering::SeqCst) == 0
    }

    /// Messages queued.
    pub(crate) fn msgs(&self) -> usize {
        self.msgs.load(Ordering::SeqCst)
    }

    /// Move items, in order, into `into` until `room` messages have moved
    /// (control items do not count). True when the sender was blocked: wake
    /// it.
    pub(crate) fn take(&self, room: usize, into: &mut Vec<Item>) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut q = self.queue();
        let before = q.items.len();
        let taken = if q.msgs <= room && into.is_empty() {
            // Everything fits (the usual case): swap buffers.
            std::mem::swap(&mut q.items, into);
            std::mem::take(&mut q.msgs)
        } else {
            // Up to the `room`-th message (and control items before the
            // next one).
            let mut msgs = 0;
            let end = q
                .items
                .iter()
                .position(|i| {
                    msgs += usize::from(i.is_msg());
                    msgs > room
                })
                .unwrap_or(q.items.len());
            let moved = q
                .items
                .get(..end)
                .map_or(0, |s| s.iter().filter(|i| i.is_msg()).count());
            into.extend(q.items.drain(..end));
            q.msgs -= moved;
            moved
        };
        if q.items.len() == before {
            // Nothing moved (no room): nothing changes.
            return false;
        }
        self.publish(&q);
        drop(q);
        if taken == 0 {
            return false;
        }
        // Room was made. The fence pairs with the sender's (between its
        // `blocked` store and its second look at the count).
        std::sync::atomic::fence(Ordering::SeqCst);
        self.asked.store(false, Ordering::SeqCst);
        self.blocked.load(Ordering::SeqCst) && self.blocked.swap(false, Ordering::SeqCst)
    }

    /// Move everything into `into`.
    #[cfg(test)]
    pub(crate) fn take_all(&self, into: &mut Vec<Item>) {
        let _ = self.take(usize::MAX, into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn msg(s: &str) -> Item {
        Item::Msg(Message::from(s.to_owned()))
    }

    #[test]
    fn take_counts_messages_only_and_keeps_order() {
        let lane = Lane::default();
        assert!(lane.push(msg("a")));
        assert!(!lane.push(Item::Subscribe("t".into())));
        assert!(!lane.push(msg("b")));
        assert_eq!(lane.msgs(), 2);
        let mut out = Vec::new();
        assert!(!lane.take(1, &mut out));
        // One message, then the subscription behind it; "b" waits.
        assert_eq!(out, vec![msg("a"), Item::Subscribe("t".into())]);
        assert_eq!(lane.msgs(), 1);
        assert!(!lane.is_empty());
        lane.take_all(&mut out);
        assert_eq!(out.len(), 3);
        assert!(lane.is_empty());
    }

    #[test]
    fn a_full_lane_wakes_its_sender_once_room_is_made() {
        let lane = Lane::default();
        lane.push(msg("a"));
        lane.push(msg("b"));
        assert!(!lane.has_room(2));
        assert!(lane.ask());
        assert!(!lane.ask(), "asked once until the next take");
        let mut out = Vec::new();
        assert!(lane.take(1, &mut out), "the blocked sender must be woken");
        assert!(lane.has_room(2));
        assert!(lane.ask());
    }

    #[test]
    fn conflate_keeps_only_the_newest_message() {
        let lane = Lane::default();
        lane.push(msg("old"));
        lane.push(Item::Eof);
        let (dropped, was_empty) = lane.replace_msgs(msg("new"));
        assert_eq!((dropped, was_empty), (1, false));
        let mut out = Vec::new();
        lane.take_all(&mut out);
        assert_eq!(out, vec![Item::Eof, msg("new")]);
    }
}
