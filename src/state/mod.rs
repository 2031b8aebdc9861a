//! One socket's state: its pipes, its pattern, options and counters, and the
//! methods the application side (the public socket) and the engine call on
//! it, always under the socket's lock ([`shared::Shared`]).
//!
//! The engine never edits pipes or routing itself: when a connection
//! completes its handshake it calls [`State::attach_conn`], when it goes
//! [`State::detach_conn`], and in between it delivers input with
//! [`State::deliver`] and takes output with [`State::take_out`].

pub(crate) mod shared;

#[cfg(test)]
mod model_tests;

use crate::error::{Error, Result};
use crate::key::ConnKey;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pattern::{new_pattern, Cx, Pattern, Refusal, Sent};
use crate::pipe::{InprocTasks, Item, Link, PipeKey, Pipes, Visit};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use crate::stats::SocketStats;
use bytes::Bytes;
use std::collections::VecDeque;

/// Whether a socket could receive or send without blocking right now.
///
/// ```
/// use ferromq::{Context, SocketType};
/// let ctx = Context::new()?;
/// let push = ctx.socket(SocketType::Push)?;
/// // No peer yet: a send would block.
/// assert!(!push.readiness().writable);
/// assert!(!push.readiness().readable);
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Readiness {
    /// `recv` would not block: a message (or pill) is queued, the stream
    /// has ended, or the socket is closing, closed or terminated (then
    /// `recv` fails at once).
    pub readable: bool,
    /// `send` would not block (a ROUTER without `router_mandatory` and a
    /// PUB never block, so they are always writable), or the socket is
    /// closed or terminated (then `send` fails at once). Not after
    /// `send_eof`.
    pub writable: bool,
}

/// A socket's state.
#[derive(Debug)]
pub(crate) struct State {
    ty: SocketType,
    /// The pattern's first sent frame is an address (ROUTER).
    addressed: bool,
    /// Options; setters change them under the lock.
    pub(crate) opts: Options,
    pipes: Pipes,
    pattern: Box<dyn Pattern>,
    stats: SocketStats,
    /// `close` has begun: no more sends.
    closing: bool,
    /// Closed for good.
    closed: bool,
    /// The context was shut down.
    terminated: bool,
    /// `send_eof` was called: new peers get the pill too; no more sends.
    eof_sent: bool,
    /// Messages a dropping connection held after close had counted.
    lost_after_close: usize,
    /// Threads blocked in recv.
    pub(crate) recv_waiters: usize,
    /// Threads blocked in send (or in close, waiting for the flush).
    pub(crate) send_waiters: usize,
}

/// Split `State` into the pattern, its pipes and a `Cx`, for a hook call.
macro_rules! parts {
    ($s:expr) => {
        parts!($s, false)
    };
    ($s:expr, $can_wait:expr) => {{
        let State {
            pattern,
            pipes,
            opts,
            stats,
            ..
        } = $s;
        (
            pattern.as_mut(),
            pipes,
            Cx {
                opts,
                stats,
                can_wait: $can_wait,
            },
        )
    }};
}

impl State {
    /// A socket with no peers. `seed` randomises generated routing ids and
    /// request ids.
    pub(crate) fn new(ty: SocketType, opts: Options, seed: u32) -> State {
        let pattern = new_pattern(ty, seed);
        State {
            ty,
            addressed: pattern.addressed(),
            opts,
            pipes: Pipes::default(),
            pattern,
            stats: SocketStats::default(),
            closing: false,
            closed: false,
            terminated: false,
            eof_sent: false,
            lost_after_close: 0,
            recv_waiters: 0,
            send_waiters: 0,
        }
    }

    /// The socket type.
    pub(crate) fn socket_type(&self) -> SocketType {
        self.ty
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> SocketStats {
        let mut s = self.stats;
        s.dropped_conflated += self.pipes.conflated();
        s
    }

    /// Count messages lost with a connection.
    pub(crate) fn count_dropped_on_disconnect(&mut self, n: usize) {
        self.stats.dropped_on_disconnect += n as u64;
    }

    /// Count a connection closed for breaking the protocol.
    pub(crate) fn count_protocol_error(&mut self) {
        self.stats.protocol_errors += 1;
    }

    /// The error every call gets once the socket cannot be used, if so.
    pub(crate) fn unusable(&self) -> Option<Error> {
        if self.closed || self.closing {
            Some(Error::Closed)
        } else if self.terminated {
            Some(Error::Terminated)
        } else {
            None
        }
    }

    /// The engine must be told about pending service requests (post a
    /// `Service` command after releasing the lock).
    pub(crate) fn take_ping(&mut self) -> bool {
        self.pipes.take_ping()
    }

    /// Work for inproc wires (run it after releasing the lock).
    pub(crate) fn take_inproc(&mut self) -> InprocTasks {
        self.pipes.take_inproc()
    }

    /// The routing id of a pipe's peer (ROUTER's table key), if it has one.
    pub(crate) fn routing_id_of(&self, key: PipeKey) -> Option<Bytes> {
        self.pipes.get(key).and_then(|p| p.routing_id().cloned())
    }

    /// Does an inproc wire carry any of the pipes?
    pub(crate) fn has_inproc(&self) -> bool {
        self.pipes.has_inproc()
    }

    /// Does the peer of some inproc pipe have items queued for us?
    pub(crate) fn inproc_waiting(&self) -> bool {
        self.pipes.inproc_waiting(self.opts.recv_hwm)
    }

    /// Take what inproc peers queued for us, as far as the HWM allows.
    /// True when something came.
    fn top_up_inproc(&mut self) -> bool {
        let mut any = false;
        let mut i = 0;
        while let Some(&key) = self.pipes.inproc_keys().get(i) {
            any |= self.take_from_lane(key, false);
            i += 1;
        }
        any
    }

    /// Move what the peer of inproc pipe `key` queued into the pipe (all
    /// of it with `all`, else what fits under the receive HWM), through
    /// the pattern as any input. True when something came.
    pub(crate) fn take_from_lane(&mut self, key: PipeKey, all: bool) -> bool {
        let mut buf = self.pipes.take_lane_buf();
        let hwm = self.opts.recv_hwm;
        let any = self.pipes.take_from_lane(key, hwm, all, &mut buf);
        if any {
            if self.closed {
                // Closed: what the pipes hold was the final count.
                buf.clear();
            } else {
                self.deliver(key, &mut buf);
            }
        }
        self.pipes.put_lane_buf(buf);
        any
    }

    /// Every inproc wire this socket's pipes are on, with their sides.
    pub(crate) fn inproc_wires(&self) -> Vec<(std::sync::Arc<dyn crate::pipe::InprocWire>, usize)> {
        self.pipes
            .iter()
            .filter_map(|(_, p)| p.inproc().map(|(w, s)| (w.clone(), s)))
            .collect()
    }

    // ----- application side ----------------------------------------------

    /// Route one message. `can_wait`: the caller can wait for room (see
    /// `Cx::can_wait`). `Done` and `Dropped` both mean "the send is over".
    #[inline]
    pub(crate) fn send(&mut self, msg: Message, can_wait: bool) -> Sent {
        if let Some(e) = self.unusable() {
            return Sent::Fail(e, msg);
        }
        if self.eof_sent {
            return Sent::Fail(Error::Closed, msg);
        }
        // A ROUTER's first frame is an address, not payload.
        let address = if self.addressed {
            msg.first().map_or(0, |f| f.len())
        } else {
            0
        };
        if msg.size() - address > self.opts.max_message_size {
            return Sent::Fail(
                Error::InvalidMessage("message exceeds max_message_size"),
                msg,
            );
        }
        let (pattern, pipes, mut cx) = parts!(self, can_wait);
        let sent = pattern.send(pipes, &mut cx, msg);
        if matches!(sent, Sent::Done) {
            cx.stats.messages_sent += 1;
        }
        sent
    }

    /// Move up to `max` received items into `out` (counted as received when
    /// the socket hands them to the application).
    pub(crate) fn recv(&mut self, out: &mut VecDeque<Incoming>, max: usize) -> Result<()> {
        if let Some(e) = self.unusable() {
            return Err(e);
        }
        let before = out.len();
        let (pattern, pipes, mut cx) = parts!(self);
        let mut result = pattern.recv(pipes, &mut cx, out, max);
        if result.is_ok() && out.len() == before && self.pipes.has_inproc() && self.top_up_inproc()
        {
            // Dry: inproc peers' lanes fill the pipes, and we look again.
            let (pattern, pipes, mut cx) = parts!(self);
            result = pattern.recv(pipes, &mut cx, out, max);
        }
        self.pipes.reap();
        result
    }

    /// `Socket::subscribe` / `unsubscribe`.
    pub(crate) fn subscribe(&mut self, topic: Bytes, on: bool) -> Result<()> {
        if let Some(e) = self.unusable() {
            return Err(e);
        }
        let (pattern, pipes, mut cx) = parts!(self);
        pattern.subscribe(pipes, &mut cx, topic, on)
    }

    /// Queue the pill to every peer (and, later, to new ones).
    pub(crate) fn send_eof(&mut self) -> Result<()> {
        if !self.pattern.sends() {
            return Err(crate::pattern::unsupported(self.ty));
        }
        if let Some(e) = self.unusable() {
            return Err(e);
        }
        if !self.eof_sent {
            self.eof_sent = true;
            for key in self.pipes.keys() {
                self.pipes.push_eof_once(key);
            }
        }
        Ok(())
    }

    /// Can this socket type receive?
    pub(crate) fn receives(&self) -> bool {
        self.pattern.receives()
    }

    /// Every upstream has finished: at least one pill was received, every
    /// remaining peer has delivered its pill, and nothing is left to read.
    pub(crate) fn end_of_stream(&self) -> bool {
        self.pipes.any_finished()
            && !self.pattern.readable(&self.pipes)
            && self
                .pipes
                .iter()
                .all(|(_, p)| p.is_finished() || p.is_gone())
    }

    /// Readiness; `local` says whether the socket holds received items
    /// outside the pipes.
    pub(crate) fn readiness(&self, local: bool) -> Readiness {
        let down = self.closed || self.terminated;
        let readable = self.pattern.receives()
            && (down
                || self.closing
                || local
                || self.pattern.readable(&self.pipes)
                || self.end_of_stream()
                || self.inproc_waiting());
        let writable = self.pattern.sends()
            && (down
                || (!self.closing
                    && !self.eof_sent
                    && self.pattern.writable(&self.pipes, &self.opts)));
        Readiness { readable, writable }
    }

    /// A `connect`: the peer's pipe, made now so messages can wait for the
    /// connection (`None` with `immediate`: it is made at the handshake).
    /// The `connect_routing_id` option is consumed here.
    pub(crate) fn connect_pipe(&mut self) -> Result<(Option<PipeKey>, Option<Bytes>)> {
        if let Some(e) = self.unusable() {
            return Err(e);
        }
        let preset = self.opts.connect_routing_id.take();
        if self.opts.immediate {
            return Ok((None, preset));
        }
        let key = self.pipes.insert(true, self.opts.conflate);
        self.pipes.set_preset_id(key, preset.clone());
        let (pattern, pipes, mut cx) = parts!(self);
        if let Err(r) = pattern.attach(pipes, &mut cx, key) {
            pipes.remove(key);
            return Err(Error::InvalidState(r.reason()));
        }
        if self.eof_sent {
            self.pipes.push_eof_once(key);
        }
        Ok((Some(key), preset))
    }

    /// `close` begins: no more sends; ask the engine to flush every pipe.
    pub(crate) fn begin_close(&mut self) {
        self.closing = true;
        for key in self.pipes.with_pending_output() {
            self.pipes.request_service(key);
        }
    }

    /// Every pipe's output is written out.
    pub(crate) fn all_flushed(&self) -> bool {
        self.pipes.all_flushed()
    }

    /// Closed for good; returns the messages still queued to be sent, and
    /// those received and never read (both discarded, and counted).
    pub(crate) fn finish_close(&mut self, local_unread: usize) -> (usize, usize) {
        self.closing = true;
        self.closed = true;
        let unread = self.pipes.unread() + self.pipes.inproc_incoming_msgs() + local_unread;
        self.stats.unread_on_close += unread as u64;
        (self.pipes.unsent(), unread)
    }

    /// Messages a connection held that were lost after `finish_close`
    /// (between it and the engine's closing of the socket).
    pub(crate) fn lost_after_close(&self) -> usize {
        self.lost_after_close
    }

    /// Has close begun?
    pub(crate) fn is_closing(&self) -> bool {
        self.closing
    }

    /// Has close finished?
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// The context was shut down.
    pub(crate) fn terminate(&mut self) {
        self.terminated = true;
    }

    // ----- engine side -----------------------------------------------------

    /// A handshake completed on `conn`. `persistent` is the pipe `connect`
    /// made for it (if any), `preset` the routing id `connect` chose.
    /// Returns the pipe now carried by the connection, or why the peer is
    /// refused (then close the connection).
    pub(crate) fn attach_conn(
        &mut self,
        persistent: Option<PipeKey>,
        preset: Option<Bytes>,
        conn: ConnKey,
        peer: &PeerInfo,
    ) -> std::result::Result<PipeKey, Refusal> {
        self.attach_link(persistent, preset, Link::Conn(conn), peer)
    }

    /// As [`attach_conn`](Self::attach_conn), for any link (an inproc wire
    /// too).
    pub(crate) fn attach_link(
        &mut self,
        persistent: Option<PipeKey>,
        preset: Option<Bytes>,
        link: Link,
        peer: &PeerInfo,
    ) -> std::result::Result<PipeKey, Refusal> {
        if self.closed {
            return Err(Refusal::Closing);
        }
        let (key, fresh) = match persistent.filter(|k| self.pipes.contains(*k)) {
            Some(k) => (k, false),
            None => {
                let k = self.pipes.insert(false, self.opts.conflate);
                self.pipes.set_preset_id(k, preset);
                (k, true)
            }
        };
        let (pattern, pipes, mut cx) = parts!(self);
        if fresh {
            if let Err(r) = pattern.attach(pipes, &mut cx, key) {
                pipes.remove(key);
                return Err(r);
            }
        }
        if let Err(r) = pattern.connected(pipes, &mut cx, key, peer) {
            if fresh {
                pattern.detach(pipes, &mut cx, key);
                pipes.remove(key);
            }
            return Err(r);
        }
        let eof = self.eof_sent;
        self.pipes.link(key, link, eof);
        Ok(key)
    }

    /// The connection carrying `key` went. `staged` holds what it had taken
    /// and not encoded; `encoded` how many messages it had encoded and not
    /// fully written (lost). With `keep` (a `connect` pipe whose endpoint
    /// is still wanted) the pipe stays for the next connection and the
    /// staged items go back to its front; otherwise the pipe goes with what
    /// it held. Returns the messages lost; with `count` they are also
    /// counted in `dropped_on_disconnect`.
    pub(crate) fn detach_conn(
        &mut self,
        key: PipeKey,
        staged: VecDeque<Item>,
        encoded: usize,
        keep: bool,
        count: bool,
    ) -> usize {
        if self.closed {
            // Close already counted what the pipes hold: only what the
            // connection held is lost now.
            let lost = encoded + staged.iter().filter(|i| i.is_msg()).count();
            self.lost_after_close += lost;
            return lost;
        }
        let (pattern, pipes, mut cx) = parts!(self);
        pattern.disconnected(pipes, &mut cx, key);
        let lost = if keep && pipes.get(key).is_some_and(|p| p.is_persistent()) {
            pipes.unlink(key, staged);
            encoded
        } else {
            let staged_msgs = staged.iter().filter(|i| i.is_msg()).count();
            pattern.detach(pipes, &mut cx, key);
            encoded + staged_msgs + pipes.retire(key)
        };
        if count {
            self.stats.dropped_on_disconnect += lost as u64;
        }
        lost
    }

    /// A `connect` pipe's endpoint is no longer wanted (`disconnect`, or the
    /// socket closing): drop it and what it holds. Returns the messages
    /// lost (also counted).
    pub(crate) fn retire_pipe(&mut self, key: PipeKey) -> usize {
        if !self.pipes.contains(key) {
            return 0;
        }
        let (pattern, pipes, mut cx) = parts!(self);
        pattern.disconnected(pipes, &mut cx, key);
        pattern.detach(pipes, &mut cx, key);
        let lost = pipes.retire(key);
        self.stats.dropped_on_disconnect += lost as u64;
        lost
    }

    /// Room for input on `key`; zero pauses reading (resumed through the
    /// service list once the application has read enough).
    pub(crate) fn input_room(&mut self, key: PipeKey) -> usize {
        let hwm = self.opts.recv_hwm;
        self.pipes.in_room(key, hwm)
    }

    /// Received items from `key`.
    pub(crate) fn deliver(&mut self, key: PipeKey, items: &mut Vec<Item>) {
        let (pattern, pipes, mut cx) = parts!(self);
        pattern.input(pipes, &mut cx, key, items);
    }

    /// The engine takes `key`'s queued output.
    pub(crate) fn take_out(&mut self, key: PipeKey, staged: &mut VecDeque<Item>) -> bool {
        if self.closed {
            // After close, the pipes are the final count of unsent
            // messages: leave them alone.
            return false;
        }
        self.pipes.take_out(key, staged)
    }

    /// Is there output queued for `key` (and may the engine take it)?
    pub(crate) fn has_output(&self, key: PipeKey) -> bool {
        !self.closed && self.pipes.get(key).is_some_and(|p| !p.is_flushed())
    }

    /// The connection wrote all it held for `key`. True when that may
    /// unblock a closing socket.
    pub(crate) fn output_done(&mut self, key: PipeKey) -> bool {
        self.pipes.output_done(key)
    }

    /// The connection's last write would have blocked (or no longer
    /// does). True when that changed.
    pub(crate) fn set_write_blocked(&mut self, key: PipeKey, blocked: bool) -> bool {
        self.pipes.set_write_blocked(key, blocked)
    }

    /// The engine's visit list.
    pub(crate) fn take_service(&mut self) -> Vec<Visit> {
        self.pipes.take_service()
    }
}
