//! PUSH: round-robin to PULL peers whose pipe has room; never receives.

use super::{unsupported, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::lb::LoadBalancer;
use crate::pipe::{Item, PipeKey, Pipes};
use crate::proto::socket_type::SocketType;
use std::collections::VecDeque;

/// PUSH (libzmq `push.cpp`).
#[derive(Debug, Default)]
pub(crate) struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        match self.lb.send(pipes, cx.opts.send_hwm, msg) {
            Ok(_) => Sent::Done,
            Err(msg) => Sent::Wait(msg),
        }
    }

    fn recv(
        &mut self,
        _: &mut Pipes,
        _: &mut Cx<'_>,
        _: &mut VecDeque<Incoming>,
        _: usize,
    ) -> Result<(), Error> {
        Err(unsupported(SocketType::Push))
    }

    fn input(&mut self, _: &mut Pipes, cx: &mut Cx<'_>, _: PipeKey, items: &mut Vec<Item>) {
        // A PULL never sends messages; whatever a peer sends is discarded.
        cx.stats.dropped_invalid += items.drain(..).filter(Item::is_msg).count() as u64;
    }

    fn attach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        self.lb.add(key);
        Ok(())
    }

    fn detach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        self.lb.remove(key);
    }

    fn readable(&self, _: &Pipes) -> bool {
        false
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        self.lb.writable(pipes, opts.send_hwm)
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        false
    }
}
