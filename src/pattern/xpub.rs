//! PUB and XPUB: send each message to every subscriber whose subscription
//! is a prefix of its first frame (libzmq `xpub.cpp`, `pub.cpp`, `dist.cpp`).
//!
//! Subscriptions arrive as ZMTP 3.1 SUBSCRIBE/CANCEL commands or as legacy
//! one-frame messages starting with `0x01`/`0x00` (both accepted from any
//! peer, as libzmq does); they are applied when the engine delivers them, so
//! a PUB that never calls `recv` still routes by them. Per subscriber a topic
//! is a set member, not a count (libzmq's mtrie): the first CANCEL removes
//! it, which is right because SUB sockets count locally and cancel only when
//! their last reference goes.
//!
//! An XPUB also hands subscriptions to `recv` as `0x01 topic` / `0x00
//! topic` messages: a subscribe when it is the topic's first subscriber (or
//! always with `xpub_verbose`), a cancel unless other subscribers remain (or
//! always with `xpub_verboser`), and other messages from subscribers (an
//! XSUB's upstream data) as they are. A PUB discards all of that.

use super::trie::PrefixMap;
use super::{dist, plain, recv_fair, unsupported, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::{Item, PipeKey, Pipes};
use crate::proto::socket_type::SocketType;
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::VecDeque;

/// PUB (`x == false`) or XPUB.
#[derive(Debug)]
pub(crate) struct XPub {
    x: bool,
    /// Every subscriber pipe.
    pipes: Vec<PipeKey>,
    /// Topic prefix to the pipes subscribed to it.
    subs: PrefixMap<Vec<PipeKey>>,
    /// XPUB: messages for `recv` from subscribers, in arrival order.
    fq: FairQueue,
    /// XPUB: cancels raised by a departed subscriber, for `recv`.
    departed: VecDeque<Message>,
}

/// `0x01 topic` (subscribe) or `0x00 topic` (cancel), as XPUB's `recv` and
/// XSUB's `send` spell them.
pub(crate) fn notification(subscribe: bool, topic: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(topic.len() + 1);
    b.put_u8(u8::from(subscribe));
    b.put_slice(topic);
    Message::from(b.freeze())
}

/// The subscription a one-frame message spells (`0x01`/`0x00` + topic).
pub(crate) fn as_subscription(m: &Message) -> Option<(bool, Bytes)> {
    let [frame] = m.frames() else {
        return None;
    };
    match frame.first() {
        Some(1) => Some((true, frame.slice(1..))),
        Some(0) => Some((false, frame.slice(1..))),
        _ => None,
    }
}

impl XPub {
    /// A PUB, or with `x` an XPUB.
    pub(crate) fn new(x: bool) -> XPub {
        XPub {
            x,
            pipes: Vec::new(),
            subs: PrefixMap::default(),
            fq: FairQueue::default(),
            departed: VecDeque::new(),
        }
    }

    /// Apply one subscription change from `key`; returns whether XPUB's
    /// `recv` should see it.
    fn apply(&mut self, cx: &Cx<'_>, key: PipeKey, subscribe: bool, topic: &Bytes) -> bool {
        if subscribe {
            let holders = self.subs.entry(topic.clone(), Vec::new);
            let first = holders.is_empty();
            if !holders.contains(&key) {
                holders.push(key);
            }
            first || cx.opts.xpub_verbose || cx.opts.xpub_verboser
        } else {
            let Some(holders) = self.subs.get_mut(topic) else {
                // libzmq reports a cancel for a topic nobody had.
                return true;
            };
            let had = holders.len();
            holders.retain(|&k| k != key);
            let removed = holders.len() < had;
            let last = holders.is_empty();
            if last {
                self.subs.remove(topic);
            }
            last || !removed || cx.opts.xpub_verboser
        }
    }
}

impl Pattern for XPub {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        let topic = msg.first().cloned().unwrap_or_default();
        let mut targets: Vec<PipeKey> = Vec::new();
        for (_, holders) in self.subs.matches(&topic) {
            for &k in holders {
                if !targets.contains(&k) {
                    targets.push(k);
                }
            }
        }
        if targets.is_empty() {
            cx.stats.unmatched += 1;
            return Sent::Dropped;
        }
        let hwm = cx.opts.send_hwm;
        if cx.opts.xpub_nodrop && !dist::all_have_room(pipes, targets.iter().copied(), hwm) {
            return Sent::Wait(msg);
        }
        dist::send_to(pipes, targets, hwm, &msg, cx.stats);
        Sent::Done
    }

    fn recv(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        out: &mut VecDeque<Incoming>,
        max: usize,
    ) -> Result<(), Error> {
        if !self.x {
            return Err(unsupported(SocketType::Pub));
        }
        while out.len() < max {
            match self.departed.pop_front() {
                Some(m) => out.push_back(Incoming::Message(m)),
                None => break,
            }
        }
        let room = max.saturating_sub(out.len());
        recv_fair(&mut self.fq, pipes, cx, out, room, |_, _, item| plain(item));
        Ok(())
    }

    fn input(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>) {
        let mut keep = Vec::new();
        for item in items.drain(..) {
            let change = match &item {
                Item::Subscribe(t) => Some((true, t.clone())),
                Item::Cancel(t) => Some((false, t.clone())),
                Item::Msg(m) => as_subscription(m),
                Item::Eof => None,
            };
            match change {
                Some((on, topic)) => {
                    let tell = self.apply(cx, key, on, &topic);
                    if tell && self.x {
                        keep.push(Item::Msg(notification(on, &topic)));
                    }
                }
                None if self.x => keep.push(item),
                // A PUB has no use for what subscribers send.
                None => {}
            }
        }
        if !keep.is_empty() {
            pipes.push_in(key, keep.into_iter());
            self.fq.activate(pipes, key);
        }
    }

    fn attach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        if !self.pipes.contains(&key) {
            self.pipes.push(key);
            if let Some(welcome) = &cx.opts.xpub_welcome_msg {
                pipes.push_out(key, Message::from(welcome.clone()));
            }
        }
        Ok(())
    }

    fn detach(&mut self, _: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) {
        self.pipes.retain(|&k| k != key);
        let verboser = cx.opts.xpub_verboser;
        let mut raised = Vec::new();
        self.subs.retain(|topic, holders| {
            let had = holders.len();
            holders.retain(|&k| k != key);
            if holders.len() < had && (holders.is_empty() || verboser) {
                raised.push(topic.clone());
            }
            !holders.is_empty()
        });
        if self.x {
            self.departed
                .extend(raised.iter().map(|t| notification(false, t)));
        }
    }

    fn readable(&self, _: &Pipes) -> bool {
        self.x && (!self.departed.is_empty() || !self.fq.is_empty())
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        !opts.xpub_nodrop || dist::all_have_room(pipes, self.pipes.iter().copied(), opts.send_hwm)
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        self.x
    }
}
