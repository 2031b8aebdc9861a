//! Per-peer pipes: the bounded queues between a socket and one peer.
//!
//! Each peer has an outgoing queue (filled by `send`, drained by the engine)
//! and an incoming queue (filled by the engine, drained by `recv`), each
//! bounded by its high-water mark in messages. The end-of-stream pill travels
//! in the same queues as messages, so it is always behind everything queued
//! before it.

use crate::message::Message;
use bytes::Bytes;
use std::collections::VecDeque;

/// What travels through a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// A whole message.
    Msg(Message),
    /// The end-of-stream pill.
    Eof,
}

/// One peer's pipes and state, shared by the socket and the engine under the
/// socket's lock.
#[derive(Debug)]
pub(crate) struct Peer {
    /// Outgoing items (bounded by the send HWM; the pill may exceed it by one).
    pub(crate) out: VecDeque<Item>,
    /// Incoming items (the engine stops reading at the receive HWM).
    pub(crate) inq: VecDeque<Item>,
    /// The engine's connection for this peer while one is up and handshaken.
    pub(crate) conn: Option<usize>,
    /// Made by `connect`: outlives connections (messages wait for reconnect).
    /// Shown in `Debug` output; the engine knows it from the connection.
    #[allow(dead_code)]
    pub(crate) persistent: bool,
    /// The engine has gone for good (accepted peer disconnected, or
    /// `disconnect`): remove once `inq` is drained.
    pub(crate) gone: bool,
    /// Routing id (ROUTER: the key in the routing table).
    pub(crate) routing_id: Option<Bytes>,
    /// Already listed in the socket's `service` list for the engine.
    pub(crate) service_requested: bool,
    /// The engine stopped reading because `inq` reached the HWM.
    pub(crate) read_paused: bool,
    /// The engine holds encoded bytes of this peer not yet written.
    pub(crate) tx_busy: bool,
    /// Listed in the socket's fair-queue ring.
    pub(crate) in_ring: bool,
    /// The peer's pill has been received by the application.
    pub(crate) finished: bool,
    /// Count of out-queue messages (excluding the pill).
    pub(crate) out_msgs: usize,
}

impl Peer {
    /// A fresh peer.
    pub(crate) fn new(persistent: bool) -> Peer {
        Peer {
            out: VecDeque::new(),
            inq: VecDeque::new(),
            conn: None,
            persistent,
            gone: false,
            routing_id: None,
            service_requested: false,
            read_paused: false,
            tx_busy: false,
            in_ring: false,
            finished: false,
            out_msgs: 0,
        }
    }

    /// Is the outgoing pipe at its high-water mark?
    pub(crate) fn out_full(&self, hwm: usize) -> bool {
        self.out_msgs >= hwm
    }

    /// Queue an outgoing message.
    pub(crate) fn push_out(&mut self, m: Message) {
        self.out_msgs += 1;
        self.out.push_back(Item::Msg(m));
    }

    /// Take the next outgoing item.
    #[cfg(test)]
    pub(crate) fn pop_out(&mut self) -> Option<Item> {
        let item = self.out.pop_front();
        if let Some(Item::Msg(_)) = item {
            self.out_msgs -= 1;
        }
        item
    }

    /// Nothing left to write for this peer (neither queued nor in the engine).
    pub(crate) fn flushed(&self) -> bool {
        self.out.is_empty() && !self.tx_busy
    }

    /// Drop all outgoing messages; returns how many (pills not counted).
    pub(crate) fn clear_out(&mut self) -> usize {
        let n = self.out_msgs;
        self.out.clear();
        self.out_msgs = 0;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pill_is_behind_messages_and_not_counted() {
        let mut p = Peer::new(false);
        p.push_out(Message::from("a"));
        p.out.push_back(Item::Eof);
        assert_eq!(p.out_msgs, 1);
        assert!(p.out_full(1));
        assert_eq!(p.pop_out(), Some(Item::Msg(Message::from("a"))));
        assert_eq!(p.pop_out(), Some(Item::Eof));
        assert_eq!(p.out_msgs, 0);
        assert!(p.flushed());
    }
}
