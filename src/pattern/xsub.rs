//! SUB and XSUB: receive from publishers, telling each one which topic
//! prefixes to send (libzmq `xsub.cpp`, `sub.cpp`).
//!
//! Subscriptions are reference-counted: a subscribe is always forwarded to
//! every publisher, a cancel only when the last reference goes. Every new
//! connection, and every reconnection, first gets the whole current set, and
//! subscriptions never count against the HWM. ZMTP 3.1 peers get them as
//! SUBSCRIBE/CANCEL commands, 3.0 peers as `0x01`/`0x00` messages. A SUB
//! also drops received messages that match none of its subscriptions (an
//! XSUB relies on the publisher's filtering, as in libzmq).

use super::trie::PrefixMap;
use super::xpub::as_subscription;
use super::{dist, plain, recv_fair, unsupported, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::{Item, PipeKey, Pipes};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use bytes::Bytes;
use std::collections::VecDeque;

/// SUB (`x == false`) or XSUB.
#[derive(Debug)]
pub(crate) struct XSub {
    x: bool,
    /// Every publisher pipe.
    pipes: Vec<PipeKey>,
    /// Topic prefix to reference count.
    subs: PrefixMap<usize>,
    fq: FairQueue,
}

impl XSub {
    /// A SUB, or with `x` an XSUB.
    pub(crate) fn new(x: bool) -> XSub {
        XSub {
            x,
            pipes: Vec::new(),
            subs: PrefixMap::default(),
            fq: FairQueue::default(),
        }
    }

    /// Count a subscription change and forward it to every publisher when
    /// the rules say so.
    fn change(&mut self, pipes: &mut Pipes, subscribe: bool, topic: Bytes) {
        let forward = if subscribe {
            *self.subs.entry(&topic, || 0) += 1;
            true
        } else {
            match self.subs.get_mut(&topic) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    self.subs.remove(&topic);
                    true
                }
                None => false,
            }
        };
        if forward {
            // A pipe whose connection is down gets the whole set when it
            // comes back (`connected`), so nothing piles up meanwhile.
            let live = self
                .pipes
                .iter()
                .copied()
                .filter(|&k| pipes.get(k).is_some_and(|p| p.is_connected()));
            for k in live.collect::<Vec<_>>() {
                pipes.push_ctl(
                    k,
                    if subscribe {
                        Item::Subscribe(topic.clone())
                    } else {
                        Item::Cancel(topic.clone())
                    },
                );
            }
        }
    }

    fn resend(&self, pipes: &mut Pipes, key: PipeKey) {
        let topics: Vec<Bytes> = self.subs.iter().into_iter().map(|(t, _)| t).collect();
        pipes.resend_subscriptions(key, &topics);
    }
}

impl Pattern for XSub {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        if !self.x {
            return Sent::Fail(unsupported(SocketType::Sub), msg);
        }
        match as_subscription(&msg) {
            Some((on, topic)) => self.change(pipes, on, topic),
            None => {
                // Upstream data: to every publisher with room (libzmq's
                // dist: a full pipe misses it).
                dist::send_to(pipes, self.pipes.clone(), cx.opts.send_hwm, &msg, cx.stats);
            }
        }
        Sent::Done
    }

    fn recv(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        out: &mut VecDeque<Incoming>,
        max: usize,
    ) -> Result<(), Error> {
        recv_fair(&mut self.fq, pipes, cx, out, max, |_, _, item| plain(item));
        Ok(())
    }

    fn input(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>) {
        let filter = !self.x;
        let subs = &self.subs;
        let mut unmatched = 0;
        items.retain(|item| match item {
            Item::Msg(m) => {
                let topic = m.first().map_or(&[][..], |f| f.as_ref());
                let keep = !filter || subs.any_match(topic);
                unmatched += u64::from(!keep);
                keep
            }
            Item::Eof => true,
            // Publishers do not subscribe; nothing to do with these.
            Item::Subscribe(_) | Item::Cancel(_) => false,
        });
        cx.stats.unmatched += unmatched;
        pipes.push_in(key, items.drain(..));
        self.fq.activate(pipes, key);
    }

    fn attach(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        if !self.pipes.contains(&key) {
            self.pipes.push(key);
        }
        self.resend(pipes, key);
        Ok(())
    }

    fn connected(
        &mut self,
        pipes: &mut Pipes,
        _: &mut Cx<'_>,
        key: PipeKey,
        _: &PeerInfo,
    ) -> Result<(), Refusal> {
        // A reconnected publisher knows nothing: tell it everything again
        // (replacing any subscription items still queued from before).
        self.resend(pipes, key);
        Ok(())
    }

    fn detach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        self.pipes.retain(|&k| k != key);
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.fq.has_input(pipes)
    }

    fn writable(&self, _: &Pipes, _: &Options) -> bool {
        self.x
    }

    fn subscribe(
        &mut self,
        pipes: &mut Pipes,
        _: &mut Cx<'_>,
        topic: Bytes,
        on: bool,
    ) -> Result<(), Error> {
        if self.x {
            return Err(Error::InvalidOption {
                option: "subscribe",
                reason: "an XSUB subscribes by sending 0x01+topic messages",
            });
        }
        self.change(pipes, on, topic);
        Ok(())
    }

    fn sends(&self) -> bool {
        self.x
    }

    fn receives(&self) -> bool {
        true
    }
}
