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
use std::collections::{HashMap, HashSet, VecDeque};

/// PUB (`x == false`) or XPUB.
#[derive(Debug)]
pub(crate) struct XPub {
    x: bool,
    /// Every subscriber pipe, with the topics it holds.
    subscribers: HashMap<PipeKey, Held>,
    /// Topic prefix to the pipes subscribed to it.
    subs: PrefixMap<Vec<PipeKey>>,
    /// XPUB: messages for `recv` from subscribers, in arrival order.
    fq: FairQueue,
}

/// What one subscriber holds (for its limits and its departure).
#[derive(Debug, Default)]
struct Held {
    topics: HashSet<Bytes>,
    bytes: usize,
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
            subscribers: HashMap::new(),
            subs: PrefixMap::default(),
            fq: FairQueue::default(),
        }
    }

    /// Apply one subscription change from `key`; returns whether XPUB's
    /// `recv` should see it, or the refusal when the subscriber is over its
    /// limits.
    fn apply(
        &mut self,
        cx: &Cx<'_>,
        key: PipeKey,
        subscribe: bool,
        topic: &Bytes,
    ) -> Result<bool, Refusal> {
        let held = self.subscribers.entry(key).or_default();
        if subscribe {
            if !held.topics.contains(topic) {
                if held.topics.len() >= cx.opts.max_subscriptions
                    || held.bytes + topic.len() > cx.opts.max_subscription_bytes
                {
                    return Err(Refusal::TooManySubscriptions);
                }
                // A copy: never a view that keeps the peer's read buffer.
                held.topics.insert(Bytes::copy_from_slice(topic));
                held.bytes += topic.len();
            }
            let holders = self.subs.entry(topic, Vec::new);
            let first = holders.is_empty();
            if !holders.contains(&key) {
                holders.push(key);
            }
            Ok(first || cx.opts.xpub_verbose || cx.opts.xpub_verboser)
        } else {
            if held.topics.remove(topic) {
                held.bytes -= topic.len();
            }
            let Some(holders) = self.subs.get_mut(topic) else {
                // libzmq reports a cancel for a topic nobody had.
                return Ok(true);
            };
            let had = holders.len();
            holders.retain(|&k| k != key);
            let removed = holders.len() < had;
            let last = holders.is_empty();
            if last {
                self.subs.remove(topic);
            }
            Ok(last || !removed || cx.opts.xpub_verboser)
        }
    }
}

impl Pattern for XPub {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        let topic = msg.first().map_or(&[][..], |f| f.as_ref());
        let mut targets: Vec<PipeKey> = Vec::new();
        self.subs
            .for_each_match(topic, |holders| targets.extend_from_slice(holders));
        if targets.is_empty() {
            cx.stats.unmatched += 1;
            return Sent::Dropped;
        }
        // A pipe subscribed to several matching prefixes gets one copy.
        targets.sort_unstable();
        targets.dedup();
        let hwm = cx.opts.send_hwm;
        if cx.opts.xpub_nodrop && !dist::all_have_room(pipes, targets.iter().copied(), hwm) {
            return Sent::Wait(msg);
        }
        match dist::send_to(pipes, targets, hwm, &msg, cx.stats) {
            // Every matching subscriber was full: dropped whole (counted).
            0 => Sent::Dropped,
            _ => Sent::Done,
        }
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
        recv_fair(&mut self.fq, pipes, cx, out, max, |_, _, item| plain(item));
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
                Some((on, topic)) => match self.apply(cx, key, on, &topic) {
                    Ok(tell) => {
                        if tell && self.x {
                            keep.push(Item::Msg(notification(on, &topic)));
                        }
                    }
                    Err(why) => {
                        // Over its limits: the connection goes (its
                        // subscriptions with it, at detach).
                        pipes.kick(key, why);
                        break;
                    }
                },
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
        if let std::collections::hash_map::Entry::Vacant(e) = self.subscribers.entry(key) {
            e.insert(Held::default());
            if let Some(welcome) = &cx.opts.xpub_welcome_msg {
                pipes.push_out(key, Message::from(welcome.clone()));
            }
        }
        Ok(())
    }

    fn detach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) {
        let Some(held) = self.subscribers.remove(&key) else {
            return;
        };
        let verboser = cx.opts.xpub_verboser;
        let mut raised = Vec::new();
        for topic in held.topics {
            let Some(holders) = self.subs.get_mut(&topic) else {
                continue;
            };
            holders.retain(|&k| k != key);
            let last = holders.is_empty();
            if last {
                self.subs.remove(&topic);
            }
            if last || verboser {
                raised.push(Item::Msg(notification(false, &topic)));
            }
        }
        if self.x && !raised.is_empty() {
            // Behind whatever the subscriber sent before it went, so a
            // proxy never sees its cancel before its subscribe.
            pipes.push_in(key, raised.into_iter());
            self.fq.activate(pipes, key);
        }
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.x && self.fq.has_input(pipes)
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        !opts.xpub_nodrop
            || dist::all_have_room(pipes, self.subscribers.keys().copied(), opts.send_hwm)
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        self.x
    }
}
