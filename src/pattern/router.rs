//! ROUTER: prepends the sender's routing id to each received message and
//! routes each sent message by its first frame (libzmq `router.cpp`).

use super::{deliver_all, recv_fair, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::{Item, PipeKey, Pipes};
use crate::proto::session::PeerInfo;
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::{HashMap, VecDeque};

/// ROUTER.
#[derive(Debug)]
pub(crate) struct Router {
    fq: FairQueue,
    /// Routing id to pipe, for connected peers.
    routes: HashMap<Bytes, PipeKey>,
    /// Next generated id (low 32 bits after the 0x00 prefix).
    next_id: u32,
}

impl Router {
    /// A ROUTER whose generated ids start at `seed`.
    pub(crate) fn new(seed: u32) -> Router {
        Router {
            fq: FairQueue::default(),
            routes: HashMap::new(),
            next_id: seed,
        }
    }

    fn generate_id(&mut self) -> Bytes {
        loop {
            let n = self.next_id;
            self.next_id = n.wrapping_add(1);
            let mut b = BytesMut::with_capacity(5);
            b.put_u8(0);
            b.put_u32(n);
            let id = b.freeze();
            if !self.routes.contains_key(&id) {
                return id;
            }
        }
    }

    /// Stop routing to `key` (its id may now be taken by another peer). The
    /// pipe keeps the id as a label, so messages it sent before it went are
    /// still delivered with it.
    fn release(&mut self, pipes: &Pipes, key: PipeKey) {
        if let Some(id) = pipes.get(key).and_then(|p| p.routing_id()) {
            if self.routes.get(id) == Some(&key) {
                self.routes.remove(id);
            }
        }
    }
}

/// Queue `msg` for one chosen pipe, ROUTER-style: an unknown or gone pipe
/// drops the message (or fails with `router_mandatory`), a full one drops it
/// unless only the engine is behind. With `strip`, the first frame (the
/// routing id) is removed once the message is queued. ROUTER's send, and
/// REP's for its replies.
pub(crate) fn route(
    pipes: &mut Pipes,
    cx: &mut Cx<'_>,
    key: Option<PipeKey>,
    mut msg: Message,
    strip: bool,
) -> Sent {
    let mandatory = cx.opts.router_mandatory;
    let Some(pipe) = key.and_then(|k| pipes.get(k)) else {
        if mandatory {
            return Sent::Fail(Error::HostUnreachable, msg);
        }
        cx.stats.dropped_unroutable += 1;
        return Sent::Dropped;
    };
    if !pipe.has_room(cx.opts.send_hwm) {
        if mandatory {
            return Sent::Wait(msg);
        }
        if pipe.is_write_blocked() || !pipe.is_connected() {
            // The peer (or the network) is not keeping up: like libzmq,
            // drop, and count it.
            cx.stats.dropped_full += 1;
            return Sent::Dropped;
        }
        if !cx.can_wait {
            cx.stats.dropped_full += 1;
            return Sent::Dropped;
        }
        // Only the engine is behind: let the caller wait for it.
        return Sent::WaitOrDrop(msg);
    }
    if strip {
        msg.pop_front();
    }
    if let Some(k) = key {
        pipes.push_out(k, msg);
    }
    Sent::Done
}

impl Pattern for Router {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        if msg.len() < 2 {
            return Sent::Fail(
                Error::InvalidMessage(
                    "ROUTER messages need a routing-id frame and at least one more frame",
                ),
                msg,
            );
        }
        let key = msg.first().and_then(|id| self.routes.get(id).copied());
        route(pipes, cx, key, msg, true)
    }

    fn recv(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        out: &mut VecDeque<Incoming>,
        max: usize,
    ) -> Result<(), Error> {
        recv_fair(&mut self.fq, pipes, cx, out, max, |pipes, key, item| {
            let id = pipes
                .get(key)
                .and_then(|p| p.routing_id().cloned())
                .unwrap_or_default();
            match item {
                Item::Msg(mut m) => {
                    m.push_front(id);
                    Some(Incoming::Message(m))
                }
                Item::Eof => Some(Incoming::Finished {
                    routing_id: Some(id),
                }),
                Item::Subscribe(_) | Item::Cancel(_) => None,
            }
        });
        Ok(())
    }

    fn input(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>) {
        deliver_all(&mut self.fq, pipes, key, items);
    }

    fn attach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        // A `connect` pipe named by `connect_routing_id` is routable at
        // once (messages wait in it for the connection, as in libzmq);
        // others only once connected, when the peer's id is known.
        if let Some(id) = pipes.get(key).and_then(|p| p.preset_id().cloned()) {
            if self.routes.get(&id).is_some_and(|&k| k != key) {
                return Err(Refusal::IdDuplicate);
            }
            self.routes.insert(id.clone(), key);
            pipes.set_routing_id(key, Some(id));
        }
        if cx.opts.probe_router {
            // ZMQ_PROBE_ROUTER: an empty message, first in the new pipe.
            pipes.push_out(key, Message::from(Bytes::new()));
        }
        Ok(())
    }

    fn connected(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        key: PipeKey,
        peer: &PeerInfo,
    ) -> Result<(), Refusal> {
        if let Some(id) = pipes.get(key).and_then(|p| p.preset_id().cloned()) {
            // Routed since `attach`; the peer's own id does not matter.
            self.routes.insert(id, key);
            return Ok(());
        }
        let id = match peer.identity.clone() {
            Some(id) => {
                if id.first() == Some(&0) {
                    return Err(Refusal::IdLeadingZero);
                }
                if id.len() > 255 {
                    return Err(Refusal::IdTooLong);
                }
                match self.routes.get(&id).copied() {
                    Some(old) if old != key => {
                        if !cx.opts.router_handover {
                            return Err(Refusal::IdDuplicate);
                        }
                        // ZMQ_ROUTER_HANDOVER: the new peer takes the id
                        // over; the old connection is closed.
                        self.routes.remove(&id);
                        pipes.kick(old, Refusal::HandedOver);
                    }
                    _ => {}
                }
                id
            }
            None => self.generate_id(),
        };
        self.routes.insert(id.clone(), key);
        pipes.set_routing_id(key, Some(id));
        Ok(())
    }

    fn disconnected(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        // A pipe named by `connect_routing_id` stays routable while it
        // reconnects (its messages wait); others lose their id.
        if pipes.get(key).is_some_and(|p| p.preset_id().is_none()) {
            self.release(pipes, key);
        }
    }

    fn detach(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        self.release(pipes, key);
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.fq.has_input(pipes)
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        // libzmq: a ROUTER is always writable, except with
        // router_mandatory, where some peer's pipe must have room.
        !opts.router_mandatory
            || self
                .routes
                .values()
                .any(|&k| pipes.get(k).is_some_and(|p| p.has_room(opts.send_hwm)))
    }

    fn sends(&self) -> bool {
        true
    }

    fn addressed(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        true
    }
}
