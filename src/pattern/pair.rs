//! PAIR: exactly one peer. The first pipe wins; later ones are refused (over
//! TCP the second peer completes its handshake and is then disconnected, as
//! with libzmq).

use super::{deliver_all, plain, recv_fair, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::{Item, PipeKey, Pipes};
use std::collections::VecDeque;

/// PAIR (libzmq `pair.cpp`).
#[derive(Debug, Default)]
pub(crate) struct Pair {
    pipe: Option<PipeKey>,
    fq: FairQueue,
}

impl Pattern for Pair {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        match self.pipe {
            Some(key) if pipes.get(key).is_some_and(|p| p.has_room(cx.opts.send_hwm)) => {
                pipes.push_out(key, msg);
                Sent::Done
            }
            _ => Sent::Wait(msg),
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

    fn attach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) -> Result<(), Refusal> {
        match self.pipe {
            Some(k) if k != key => Err(Refusal::PairTaken),
            _ => {
                self.pipe = Some(key);
                Ok(())
            }
        }
    }

    fn detach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        if self.pipe == Some(key) {
            self.pipe = None;
        }
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        self.fq.has_input(pipes)
    }

    fn writable(&self, pipes: &Pipes, opts: &Options) -> bool {
        self.pipe
            .and_then(|k| pipes.get(k))
            .is_some_and(|p| p.has_room(opts.send_hwm))
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        true
    }
}
