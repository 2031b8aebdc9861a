//! PULL: fair-queued receive from PUSH peers; never sends.

use super::{deliver_all, plain, recv_fair, unsupported, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::{Item, PipeKey, Pipes};
use crate::proto::socket_type::SocketType;
use std::collections::VecDeque;

/// PULL (libzmq `pull.cpp`).
#[derive(Debug, Default)]
pub(crate) struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn send(&mut self, _: &mut Pipes, _: &mut Cx<'_>, msg: Message) -> Sent {
        Sent::Fail(unsupported(SocketType::Pull), msg)
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

    fn attach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, _: PipeKey) -> Result<(), Refusal> {
        Ok(())
    }

    fn detach(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        // Input already queued stays readable: the fair queue skips the
        // pipe only once it is removed.
        let _ = (pipes, key);
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.fq.has_input(pipes)
    }

    fn writable(&self, _: &Pipes, _: &Options) -> bool {
        false
    }

    fn sends(&self) -> bool {
        false
    }

    fn receives(&self) -> bool {
        true
    }
}
