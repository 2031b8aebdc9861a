//! REQ: strict request/reply alternation over round-robin peers (libzmq
//! `req.cpp`). Each request gets an empty delimiter frame (and, with
//! `req_correlate`, a request-id frame before it); only a reply with the
//! same frames, from the peer asked, is accepted.

use super::{deliver_all, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::lb::LoadBalancer;
use crate::pipe::{Item, PipeKey, Pipes};
use bytes::Bytes;
use std::collections::VecDeque;

/// REQ.
#[derive(Debug)]
pub(crate) struct Req {
    lb: LoadBalancer,
    fq: FairQueue,
    /// A request was sent and its reply not yet received.
    awaiting_reply: bool,
    /// The pipe the request went to; `None` once that pipe is gone (then,
    /// as in libzmq, a reply is accepted from any peer).
    reply_pipe: Option<PipeKey>,
    /// Id of the current request (`req_correlate`).
    request_id: u32,
}

impl Req {
    /// A REQ whose request ids start after `seed`.
    pub(crate) fn new(seed: u32) -> Req {
        Req {
            lb: LoadBalancer::default(),
            fq: FairQueue::default(),
            awaiting_reply: false,
            reply_pipe: None,
            request_id: seed,
        }
    }

    /// Strip and check the reply's envelope; `None` if it is not the reply
    /// to the current request.
    fn open_reply(&self, mut m: Message, correlate: bool) -> Option<Message> {
        if correlate {
            let id = m.pop_front()?;
            if id.as_ref() != self.request_id.to_ne_bytes() {
                return None;
            }
        }
        let delimiter = m.pop_front()?;
        // The delimiter must be empty and followed by a body.
        (delimiter.is_empty() && !m.is_empty()).then_some(m)
    }
}

impl Pattern for Req {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, mut msg: Message) -> Sent {
        if self.awaiting_reply && !cx.opts.req_relaxed {
            return Sent::Fail(
                Error::InvalidState("REQ must receive the reply before sending again"),
                msg,
            );
        }
        let Some((_, key)) = self.lb.pick(pipes, cx.opts.send_hwm) else {
            return Sent::Wait(msg);
        };
        // Replies still queued can only be stale now: drop them, so that an
        // old reply is never taken for the new request's.
        let hwm = cx.opts.recv_hwm;
        while let Some((_, item)) = self.fq.next(pipes, hwm) {
            if item.is_msg() {
                cx.stats.dropped_invalid += 1;
            }
        }
        msg.push_front(Bytes::new());
        if cx.opts.req_correlate {
            self.request_id = self.request_id.wrapping_add(1);
            msg.push_front(Bytes::copy_from_slice(&self.request_id.to_ne_bytes()));
        }
        match self.lb.send(pipes, cx.opts.send_hwm, msg) {
            Ok(k) => {
                debug_assert_eq!(k, key);
                self.reply_pipe = Some(k);
                self.awaiting_reply = true;
                Sent::Done
            }
            // `pick` found room a moment ago under the same lock.
            Err(m) => Sent::Wait(m),
        }
    }

    fn recv(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        out: &mut VecDeque<Incoming>,
        _max: usize,
    ) -> Result<(), Error> {
        if !self.awaiting_reply {
            return Err(Error::InvalidState(
                "REQ must send a request before receiving",
            ));
        }
        while let Some((key, item)) = self.fq.next(pipes, cx.opts.recv_hwm) {
            let from_asked = self.reply_pipe.map_or(true, |k| k == key);
            match item {
                Item::Msg(m) if from_asked => {
                    if let Some(body) = self.open_reply(m, cx.opts.req_correlate) {
                        self.awaiting_reply = false;
                        out.push_back(Incoming::Message(body));
                        return Ok(());
                    }
                    cx.stats.dropped_invalid += 1;
                }
                Item::Msg(_) => cx.stats.dropped_invalid += 1,
                Item::Eof if from_asked => {
                    out.push_back(Incoming::Finished { routing_id: None });
                    return Ok(());
                }
                Item::Eof | Item::Subscribe(_) | Item::Cancel(_) => {}
            }
        }
        Ok(())
    }

    fn input(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>) {
        deliver_all(&mut self.fq, pipes, key, items);
    }

    fn attach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        // libzmq's REQ inherits DEALER's probe.
        super::dealer::probe(pipes, cx, key);
        self.lb.add(key);
        Ok(())
    }

    fn detach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        self.lb.remove(key);
        if self.reply_pipe == Some(key) {
            self.reply_pipe = None;
        }
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.awaiting_reply && self.fq.has_input(pipes)
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        (!self.awaiting_reply || opts.req_relaxed) && self.lb.writable(pipes, opts.send_hwm)
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        true
    }
}
