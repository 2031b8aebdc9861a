//! REP: fair-queued requests, each answered to its sender with the
//! request's envelope (every frame up to and including the empty delimiter)
//! put back in front (libzmq `rep.cpp`).

use super::router::route;
use super::{deliver_all, Cx, Pattern, Refusal, Sent};
use crate::error::Error;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::fq::FairQueue;
use crate::pipe::{Item, PipeKey, Pipes};
use bytes::Bytes;
use std::collections::VecDeque;

/// REP.
#[derive(Debug, Default)]
pub(crate) struct Rep {
    fq: FairQueue,
    /// A request was received and its reply not yet sent.
    replying: bool,
    /// Where the reply goes.
    reply_to: Option<PipeKey>,
    /// The request's envelope, put back in front of the reply.
    envelope: Vec<Bytes>,
}

/// Split a request into its envelope (through the first empty frame) and
/// body; `None` when there is no delimiter or no body after it.
fn split_request(m: Message) -> Option<(Vec<Bytes>, Message)> {
    let frames = m.into_frames();
    let delimiter = frames.iter().position(|f| f.is_empty())?;
    if delimiter + 1 >= frames.len() {
        return None;
    }
    let mut envelope = frames;
    let body = envelope.split_off(delimiter + 1);
    Some((envelope, Message::from(body)))
}

impl Pattern for Rep {
    fn send(&mut self, pipes: &mut Pipes, cx: &mut Cx<'_>, msg: Message) -> Sent {
        if !self.replying {
            return Sent::Fail(
                Error::InvalidState("REP must receive a request before replying"),
                msg,
            );
        }
        let mut frames = self.envelope.clone();
        frames.extend(msg.iter().cloned());
        match route(pipes, cx, self.reply_to, Message::from(frames), false) {
            done @ (Sent::Done | Sent::Dropped) => {
                self.replying = false;
                self.reply_to = None;
                self.envelope.clear();
                done
            }
            // Waiting: hand the caller's message back as it was.
            Sent::Wait(_) => Sent::Wait(msg),
            Sent::WaitOrDrop(_) => Sent::WaitOrDrop(msg),
            Sent::Fail(e, _) => Sent::Fail(e, msg),
        }
    }

    fn recv(
        &mut self,
        pipes: &mut Pipes,
        cx: &mut Cx<'_>,
        out: &mut VecDeque<Incoming>,
        _max: usize,
    ) -> Result<(), Error> {
        if self.replying {
            return Err(Error::InvalidState(
                "REP must send its reply before receiving",
            ));
        }
        while let Some((key, item)) = self.fq.next(pipes, cx.opts.recv_hwm) {
            match item {
                Item::Msg(m) => match split_request(m) {
                    Some((envelope, body)) => {
                        self.envelope = envelope;
                        self.reply_to = Some(key);
                        self.replying = true;
                        out.push_back(Incoming::Message(body));
                        return Ok(());
                    }
                    None => cx.stats.dropped_invalid += 1,
                },
                Item::Eof => {
                    out.push_back(Incoming::Finished { routing_id: None });
                    return Ok(());
                }
                Item::Subscribe(_) | Item::Cancel(_) => {}
            }
        }
        Ok(())
    }

    fn input(&mut self, pipes: &mut Pipes, _: &mut Cx<'_>, key: PipeKey, items: &mut Vec<Item>) {
        deliver_all(&mut self.fq, pipes, key, items);
    }

    fn attach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, _: PipeKey) -> Result<(), Refusal> {
        Ok(())
    }

    fn detach(&mut self, _: &mut Pipes, _: &mut Cx<'_>, key: PipeKey) {
        if self.reply_to == Some(key) {
            // The reply will be dropped (and counted) when it is sent.
            self.reply_to = None;
        }
    }

    fn readable(&self, pipes: &Pipes) -> bool {
        !self.replying && self.fq.has_input(pipes)
    }

    fn writable(&self, _: &Pipes, _: &Options) -> bool {
        self.replying
    }

    fn sends(&self) -> bool {
        true
    }

    fn receives(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_everything_through_the_delimiter() {
        let m = Message::multipart(["id1", "id2", "", "body", "more"]);
        let (env, body) = split_request(m).unwrap();
        assert_eq!(env, ["id1", "id2", ""]);
        assert_eq!(body.frames(), ["body", "more"]);
        assert!(split_request(Message::multipart(["no", "delimiter"])).is_none());
        assert!(split_request(Message::multipart(["id", ""])).is_none());
    }
}
