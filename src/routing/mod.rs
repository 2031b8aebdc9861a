//! Routing: how a socket type picks a peer for each message it sends, and
//! which peer's message it hands out next.
//!
//! * [`lb`]: round-robin send over peers whose pipe has room (PUSH, DEALER).
//! * [`fq`]: fair-queued receive, one whole message per peer in turn (PULL,
//!   DEALER, ROUTER).
//! * [`router`]: the routing-id table and ROUTER's send and receive.
//!
//! All of it works on [`State`], the socket's shared state, which the socket's
//! user thread and the engine thread both touch under one lock.

pub(crate) mod fq;
pub(crate) mod lb;
pub(crate) mod router;

use crate::pipe::Peer;
use crate::stats::SocketStats;
use bytes::Bytes;
use slab::Slab;
use std::collections::{HashMap, VecDeque};

/// A socket's shared state: its peers and their pipes, the routing
/// structures, and counters.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Every peer: connected, connecting (persistent) or draining.
    pub(crate) peers: Slab<Peer>,
    /// Fair-queue ring: peers with something in `inq`.
    pub(crate) in_ring: VecDeque<usize>,
    /// Load-balancing ring: peers a PUSH/DEALER may send to.
    pub(crate) out_ring: Vec<usize>,
    /// Next index in `out_ring` to try.
    pub(crate) out_cursor: usize,
    /// ROUTER: routing id to peer.
    pub(crate) routes: HashMap<Bytes, usize>,
    /// Peers the engine must look at (flush output, resume input).
    pub(crate) service: Vec<usize>,
    /// A `Service` command is already in the engine's mailbox.
    pub(crate) service_scheduled: bool,
    /// `close` has begun: no more sends.
    pub(crate) closing: bool,
    /// Closed for good.
    pub(crate) closed: bool,
    /// `send_eof` was called: new peers get the pill too; no more sends.
    pub(crate) eof_sent: bool,
    /// Pills received by the application from peers now gone.
    pub(crate) finished_gone: u64,
    /// Counters.
    pub(crate) stats: SocketStats,
    /// Next generated ROUTER id (low 32 bits after the 0x00 prefix).
    pub(crate) next_generated_id: u32,
    /// Threads blocked in recv.
    pub(crate) recv_waiters: usize,
    /// Threads blocked in send.
    pub(crate) send_waiters: usize,
    /// A readiness callback is installed (saves a lock when there is none).
    pub(crate) has_notify: bool,
}

impl State {
    /// Ask the engine to look at `key`. Returns true when the caller must
    /// wake the engine (the first request since its last visit).
    pub(crate) fn request_service(&mut self, key: usize) -> bool {
        if let Some(p) = self.peers.get_mut(key) {
            if !p.service_requested {
                p.service_requested = true;
                self.service.push(key);
            }
        }
        if self.service_scheduled {
            false
        } else {
            self.service_scheduled = true;
            true
        }
    }

    /// Remove a peer that is gone and drained; keep the rings consistent.
    pub(crate) fn remove_if_done(&mut self, key: usize) {
        let done = match self.peers.get(key) {
            Some(p) => p.gone && p.inq.is_empty(),
            None => false,
        };
        if !done {
            return;
        }
        let p = self.peers.remove(key);
        if p.finished {
            self.finished_gone += 1;
        }
        if let Some(id) = &p.routing_id {
            if self.routes.get(id) == Some(&key) {
                self.routes.remove(id);
            }
        }
        self.in_ring.retain(|&k| k != key);
        lb::remove(self, key);
    }

    /// Every upstream has finished: at least one pill was received, every
    /// remaining peer has delivered its pill, and nothing is left to read.
    pub(crate) fn end_of_stream(&self) -> bool {
        let any_finished = self.finished_gone > 0 || self.peers.iter().any(|(_, p)| p.finished);
        any_finished
            && self.in_ring.is_empty()
            && self.peers.iter().all(|(_, p)| p.finished || p.gone)
    }

    /// True when every peer's output is written out.
    pub(crate) fn all_flushed(&self) -> bool {
        self.peers.iter().all(|(_, p)| p.flushed())
    }

    /// Messages still queued in out-pipes (pills not counted). The engine
    /// reports what its connections hold separately.
    pub(crate) fn unsent(&self) -> usize {
        self.peers.iter().map(|(_, p)| p.out_msgs).sum()
    }
}
