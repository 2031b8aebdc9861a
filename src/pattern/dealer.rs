//! DEALER: round-robin out, fair-queued in, nothing added to messages.

use super::{deliver_all, plain, recv_fair, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::lb::LoadBalancer;
use crate::pipe::{Item, PipeKey, Pipes};
use std::collections::VecDeque;

/// DEALER (libzmq `dealer.cpp`).
#[derive(Debug, Default)]
pub(crate) struct Dealer {
    lb: LoadBalancer,
    fq: FairQueue,
}

impl Pattern for Dealer {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        match self.lb.send(pipes, cx.opts.send_hwm, msg) {
            Ok(_) => Sent::Done,
            Err(msg) => Sent::Wait(msg),
        }
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

    fn input(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>) {
        deliver_all(&mut self.fq, pipes, key, items);
    }

    fn attach(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        probe(pipes, cx, key);
        self.lb.add(key);
        Ok(())
    }

    fn detach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        self.lb.remove(key);
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.fq.has_input(pipes)
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        self.lb.writable(pipes, opts.send_hwm)
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        true
    }
}

/// ZMQ_PROBE_ROUTER: an empty message, first in a new pipe, announces us
/// to a ROUTER (DEALER and REQ; ROUTER does the same itself).
pub(crate) fn probe(pipes: &mut Pipes, cx: &Cx<'_>, key: PipeKey) {
    if cx.opts.probe_router {
        pipes.push_out(key, Message::from(bytes::Bytes::new()));
    }
}
