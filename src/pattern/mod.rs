//! Socket patterns: one type per socket type, each deciding where a sent
//! message goes, which received message comes next, and what happens when a
//! peer arrives or leaves.
//!
//! A pattern sees only its socket's [`Pipes`] and a [`Cx`] (options and
//! counters); it never touches the engine, a connection or a lock. The socket
//! core calls its hooks under the socket's lock:
//!
//! | hook | when |
//! |---|---|
//! | [`send`](Pattern::send) / [`recv`](Pattern::recv) | the application sends / receives |
//! | [`attach`](Pattern::attach) | a pipe joins: at `connect` (it then outlives connections), or when an accepted peer completes its handshake |
//! | [`connected`](Pattern::connected) | a handshake completed on the pipe (the peer's routing id and type are known); may refuse the peer |
//! | [`disconnected`](Pattern::disconnected) | the pipe's connection went; a `connect` pipe stays for the next one |
//! | [`detach`](Pattern::detach) | the pipe leaves for good |
//! | [`input`](Pattern::input) | the engine delivers received items (messages, pills, subscriptions) |
//! | [`readable`](Pattern::readable) / [`writable`](Pattern::writable) | readiness, for `Socket::readiness` and the poller |
//!
//! Shared strategies: [`LoadBalancer`](crate::pipe::lb::LoadBalancer)
//! (round-robin), [`FairQueue`](crate::pipe::fq::FairQueue) (fair-queued
//! receive), [`dist`] (send to many), [`trie`] (subscriptions).
//!
//! **Adding a socket type:** write `src/pattern/<name>.rs` implementing
//! [`Pattern`], add its variant to `SocketType` (name and compatibility) and
//! one line to [`new_pattern`].

pub(crate) mod dist;
pub(crate) mod trie;

mod dealer;
mod pair;
mod pull;
mod push;
mod rep;
mod req;
mod router;
mod xpub;
mod xsub;

#[cfg(test)]
mod tests;

use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
pub(crate) use crate::pipe::Refusal;
use crate::pipe::{Item, PipeKey, Pipes};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use crate::stats::SocketStats;
use bytes::Bytes;
use std::collections::VecDeque;
use std::fmt;

/// What a pattern needs besides its pipes: the socket's live options and
/// its counters.
#[derive(Debug)]
pub(crate) struct Cx<'a> {
    /// The socket's options (they may change between calls).
    pub(crate) opts: &'a Options,
    /// The socket's counters.
    pub(crate) stats: &'a mut SocketStats,
    /// The caller may wait (a blocking send, or a timed one with time
    /// left): a full pipe that only needs the engine to catch up may ask
    /// for `WaitOrDrop`; otherwise the pattern decides now (drops, counted).
    pub(crate) can_wait: bool,
}

/// The outcome of [`Pattern::send`].
#[derive(Debug)]
#[must_use]
pub(crate) enum Sent {
    /// Queued (to at least one pipe, or to none where the rules say so).
    Done,
    /// Dropped whole and counted by the pattern (ROUTER's unroutable or
    /// full, a PUB message nobody subscribed to).
    Dropped,
    /// No pipe can take it now: a blocking send waits, `try_send` fails
    /// with `WouldBlock`, a timed send with `TimedOut`.
    Wait(Message),
    /// The peer's pipe is full only because the engine has not drained it
    /// yet (its connection is writable): wait for it, then try again.
    /// Only when `Cx::can_wait`; a send that cannot wait is decided at once
    /// (ROUTER: dropped and counted as `dropped_full`).
    WaitOrDrop(Message),
    /// Refused.
    Fail(Error, Message),
}

/// One socket type's behaviour. See the module docs for when each hook runs.
pub(crate) trait Pattern: Send + fmt::Debug {
    /// Route one message (already checked: non-empty, within the size limit).
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent;

    /// Move up to `max` received items, ready for the application, into
    /// `out` (state machines like REQ's move at most one). An error is the
    /// caller's (wrong state, unsupported).
    fn recv(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        out: &mut VecDeque<Incoming>,
        max: usize,
    ) -> Result<(), Error>;

    /// Received items from `key`: keep what `recv` should see in the pipe
    /// (and make it visible to the fair queue); act on the rest
    /// (subscriptions).
    fn input(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>);

    /// A pipe joins the socket.
    fn attach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal>;

    /// A handshake completed on the pipe.
    fn connected(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        key: PipeKey,
        peer: &PeerInfo,
    ) -> Result<(), Refusal> {
        let _ = (pipes, cx, key, peer);
        Ok(())
    }

    /// The pipe's connection went; a `connect` pipe stays for the next one.
    fn disconnected(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) {
        let _ = (pipes, cx, key);
    }

    /// The pipe leaves for good.
    fn detach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey);

    /// Would `recv` find something now?
    fn readable(&self, pipes: &Pipes) -> bool;

    /// Would a `send` be accepted without waiting?
    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool;

    /// `Socket::subscribe` / `unsubscribe` (SUB only).
    fn subscribe(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        topic: Bytes,
        on: bool,
    ) -> Result<(), Error> {
        let _ = (pipes, cx, topic, on);
        Err(Error::InvalidOption {
            option: "subscribe",
            reason: "only SUB sockets subscribe (XSUB sends subscription messages)",
        })
    }

    /// Can this socket send at all (and send the end-of-stream pill)?
    fn sends(&self) -> bool;

    /// Is a sent message's first frame an address rather than payload (so
    /// it does not count against `max_message_size`)?
    fn addressed(&self) -> bool {
        false
    }

    /// Can this socket receive at all?
    fn receives(&self) -> bool;
}

/// The pattern for a socket type: the one table a new socket type adds a
/// line to.
pub(crate) fn new_pattern(ty: SocketType, seed: u32) -> Box<dyn Pattern> {
    match ty {
        SocketType::Push => Box::new(push::Push::default()),
        SocketType::Pull => Box::new(pull::Pull::default()),
        SocketType::Dealer => Box::new(dealer::Dealer::default()),
        SocketType::Router => Box::new(router::Router::new(seed)),
        SocketType::Req => Box::new(req::Req::new(seed)),
        SocketType::Rep => Box::new(rep::Rep::default()),
        SocketType::Pub => Box::new(xpub::XPub::new(false)),
        SocketType::XPub => Box::new(xpub::XPub::new(true)),
        SocketType::Sub => Box::new(xsub::XSub::new(false)),
        SocketType::XSub => Box::new(xsub::XSub::new(true)),
        SocketType::Pair => Box::new(pair::Pair::default()),
    }
}

/// The error for an operation a socket type does not have.
pub(crate) fn unsupported(ty: SocketType) -> Error {
    Error::Unsupported {
        socket_type: ty.name(),
    }
}

/// Deliver every item to the pipe and list it in the fair queue: the
/// `input` of patterns that pass everything to `recv`.
pub(crate) fn deliver_all(
    fq: &mut FairQueue,
    pipes: &mut Pipes,
    key: PipeKey,
    items: &mut Vec<Item>,
) {
    pipes.push_in(key, items.drain(..));
    fq.activate(pipes, key);
}

/// Fair-queued receive of up to `max` items, each turned into what the
/// application sees by `convert` (given the pipe it came from): the `recv`
/// of patterns without a state machine. A lone pipe with input hands over
/// its whole run at once.
pub(crate) fn recv_fair(
    fq: &mut FairQueue,
    pipes: &mut Pipes,
    cx: &mut Cx<'_>,
    out: &mut VecDeque<Incoming>,
    max: usize,
    mut convert: impl FnMut(&Pipes, PipeKey, Item) -> Option<Incoming>,
) {
    let hwm = cx.opts.recv_hwm;
    let mut run = Vec::new();
    let mut taken = 0;
    while taken < max {
        if let Some(key) = fq.run(pipes, hwm, max - taken, &mut run) {
            taken += run.len();
            for item in run.drain(..) {
                if let Some(x) = convert(pipes, key, item) {
                    out.push_back(x);
                }
            }
            continue;
        }
        let Some((key, item)) = fq.next(pipes, hwm) else {
            break;
        };
        taken += 1;
        if let Some(x) = convert(pipes, key, item) {
            out.push_back(x);
        }
    }
}

/// Plain conversion: messages as they are, pills as `Finished`,
/// subscriptions (never delivered to these patterns) dropped.
pub(crate) fn plain(item: Item) -> Option<Incoming> {
    match item {
        Item::Msg(m) => Some(Incoming::Message(m)),
        Item::Eof => Some(Incoming::Finished { routing_id: None }),
        Item::Subscribe(_) | Item::Cancel(_) => None,
    }
}
