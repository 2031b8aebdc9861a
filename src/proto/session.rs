//! One ZMTP connection as a sans-IO state machine.
//!
//! The engine appends received bytes to [`Session::read_buf`], calls
//! [`Session::poll`] until it returns `Ok(None)`, writes out what
//! [`Session::tx`] holds, and calls [`Session::on_timeout`] when
//! [`Session::deadline`] passes. Time is always a parameter.
//!
//! ```text
//!   Greeting ──64 bytes ok──▶ Handshake ──READY ok──▶ Active
//!      │                         │                     │
//!      └──── any ProtoError: the engine closes this connection only ─┘
//! ```
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use super::mechanism::{self, Codec, Handshake, HsContext, MechanismConfig, RandomFill, Step};
use super::socket_type::SocketType;
use super::tx::TxQueue;
use super::wire::{
    encode_header, Command, Frame, FrameDecoder, Greeting, Metadata, WireError, GREETING_LEN,
    SPEC_MAX_FRAME,
};
use super::ProtoError;
use crate::message::Message;
use crate::security::Authenticator;
use bytes::{Bytes, BytesMut};
use std::time::{Duration, Instant};

/// Smallest per-frame limit given to the decoder, so that commands (READY with
/// metadata, PING) fit even under a tiny `max_message_size`; data frames are
/// still held to `max_message_size` by the per-message sum in `poll_active`.
const MIN_FRAME_LIMIT: u64 = 64 * 1024;

/// Largest frame accepted before the handshake completes (a READY or ERROR
/// command with its metadata). A peer that has not completed its handshake
/// can make us hold at most this much input, and the properties parsed from
/// it; `max_message_size` applies only once the handshake is done.
pub(crate) const MAX_HANDSHAKE_FRAME: u64 = 64 * 1024;

/// Length of the greeting's signature, before the version bytes.
const SIGNATURE_LEN: usize = 10;

/// What a session needs to know about its socket.
#[derive(Debug, Clone)]
pub(crate) struct SessionConfig {
    /// Our socket type (sent as `Socket-Type`).
    pub(crate) socket_type: SocketType,
    /// Our routing id (sent as `Identity` by DEALER/ROUTER).
    pub(crate) routing_id: Option<Bytes>,
    /// Largest message accepted, summed over frames.
    pub(crate) max_message_size: u64,
    /// Deadline for greeting plus handshake.
    pub(crate) handshake_timeout: Duration,
    /// ZMTP 3.1 heartbeats, if enabled.
    pub(crate) heartbeat: Option<Heartbeat>,
    /// Our security mechanism and role.
    pub(crate) mechanism: MechanismConfig,
    /// Who decides about peers (servers).
    pub(crate) authenticator: Option<Authenticator>,
    /// The peer's address, as the authenticator sees it.
    pub(crate) peer_address: String,
    /// Randomness for the mechanism (the OS's; a fixed one in tests).
    pub(crate) random: RandomFill,
}

/// Heartbeat settings (libzmq's `ZMQ_HEARTBEAT_IVL`, `_TIMEOUT`, `_TTL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Heartbeat {
    /// Send a PING this often.
    pub(crate) interval: Duration,
    /// Close if nothing at all arrives within this time after a PING.
    pub(crate) timeout: Duration,
    /// Ask the peer to close if it hears nothing from us for this long
    /// (sent in each PING, in tenths of a second; zero = don't ask).
    pub(crate) ttl_deciseconds: u16,
}

/// What the peer told us in its greeting and READY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeerInfo {
    /// The peer's `Socket-Type` value, if it sent one.
    pub(crate) socket_type: Option<Bytes>,
    /// The peer's `Identity` value, if it sent a non-empty one.
    pub(crate) identity: Option<Bytes>,
    /// ZMTP minor version from the greeting (0 = ZMTP 3.0).
    pub(crate) minor: u8,
    /// Every property of the READY command.
    pub(crate) metadata: Metadata,
    /// Who the authenticator says the peer is (PLAIN user, CURVE key in
    /// Z85), when one was asked.
    pub(crate) user_id: Option<Bytes>,
}

/// Something the session produced from the peer's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// The handshake completed; messages may flow both ways.
    Ready(PeerInfo),
    /// A whole message arrived.
    Message(Message),
    /// The peer sent ferromq's end-of-stream pill.
    Eof,
    /// The peer subscribed to a topic prefix (a ZMTP 3.1 SUBSCRIBE command;
    /// legacy `0x01` messages arrive as messages, for the pattern to read).
    Subscribe(Bytes),
    /// The peer cancelled a subscription (a ZMTP 3.1 CANCEL command).
    Cancel(Bytes),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Handshake,
    Active,
}

/// One connection's protocol state.
#[derive(Debug)]
pub(crate) struct Session {
    cfg: SessionConfig,
    phase: Phase,
    decoder: FrameDecoder,
    tx: TxQueue,
    deadline: Option<Instant>,
    partial: Vec<Bytes>,
    partial_size: u64,
    peer_minor: u8,
    /// The latest time the engine told us.
    now: Instant,
    /// When to send the next PING.
    next_ping: Option<Instant>,
    /// A PING is outstanding: close if nothing arrives by then.
    ping_deadline: Option<Instant>,
    /// The peer's PING asked for a TTL: close if nothing arrives by then.
    ttl_deadline: Option<Instant>,
    /// All of our greeting is queued (not just its signature).
    greeting_sent: bool,
    /// The mechanism's current handshake state.
    hs: Option<Box<dyn Handshake>>,
    /// How data frames travel once active.
    codec: Codec,
}

impl Session {
    /// A new session. The signature of our greeting is queued at once
    /// (never wait for the peer's first: RFC 23's deadlock rule); the rest
    /// follows as soon as the peer's signature has arrived, as libzmq does.
    pub(crate) fn new(cfg: SessionConfig, now: Instant) -> Session {
        let mut s = Session {
            decoder: FrameDecoder::new(MAX_HANDSHAKE_FRAME),
            deadline: Some(now + cfg.handshake_timeout),
            cfg,
            phase: Phase::Greeting,
            tx: TxQueue::new(),
            partial: Vec::new(),
            partial_size: 0,
            peer_minor: 0,
            now,
            next_ping: None,
            ping_deadline: None,
            ttl_deadline: None,
            greeting_sent: false,
            hs: None,
            codec: Codec::Clear,
        };
        s.queue_greeting(0..SIGNATURE_LEN);
        s
    }

    /// Queue part of our greeting.
    fn queue_greeting(&mut self, part: std::ops::Range<usize>) {
        let m = &self.cfg.mechanism;
        let greeting = Greeting::new(m.name(), m.is_server()).encode();
        let bytes = greeting.get(part).unwrap_or_default();
        self.tx.staging().extend_from_slice(bytes);
        self.tx.note_staged(bytes.len());
    }

    /// Where the engine appends received bytes.
    #[allow(dead_code)] // tests and sans-IO harnesses; the engine uses read_buf_sized
    pub(crate) fn read_buf(&mut self) -> &mut BytesMut {
        self.decoder.read_buf()
    }

    /// Where the engine appends received bytes, with at least `chunk` bytes
    /// of room (see `FrameDecoder::read_buf_sized`).
    pub(crate) fn read_buf_sized(&mut self, chunk: usize) -> &mut BytesMut {
        self.decoder.read_buf_sized(chunk)
    }

    /// Append received bytes (tests and sans-IO users).
    #[allow(dead_code)] // tests and sans-IO harnesses
    pub(crate) fn feed(&mut self, data: &[u8]) {
        self.decoder.feed(data);
    }

    /// Bytes waiting to be written.
    pub(crate) fn tx(&mut self) -> &mut TxQueue {
        &mut self.tx
    }

    /// Bytes waiting to be written.
    pub(crate) fn tx_len(&self) -> usize {
        self.tx.len()
    }

    /// True once both READYs are exchanged.
    pub(crate) fn is_active(&self) -> bool {
        self.phase == Phase::Active
    }

    /// When [`on_timeout`](Self::on_timeout) must next be called, if ever.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        [
            self.deadline,
            self.next_ping,
            self.ping_deadline,
            self.ttl_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Bytes arrived from the peer at `now`: any traffic is a sign of life.
    /// Call before [`poll`](Self::poll).
    pub(crate) fn on_input(&mut self, now: Instant) {
        self.now = now;
        self.ping_deadline = None;
        self.ttl_deadline = None;
    }

    /// The peer closed its end: what that means at this point. When its
    /// greeting stops after the signature (at least the 10 signature bytes,
    /// valid, fewer than 64), the peer is refusing our greeting: libzmq
    /// sends its signature, reads our whole greeting, and closes when our
    /// mechanism differs from its own. Otherwise `None` (a plain close).
    pub(crate) fn closed_by_peer(&self) -> Option<ProtoError> {
        let seen = self.decoder.peek();
        let partial = self.phase == Phase::Greeting
            && seen.len() >= SIGNATURE_LEN
            && seen.len() < GREETING_LEN
            && Greeting::check_prefix(seen).is_ok();
        partial.then_some(ProtoError::MechanismRefused)
    }

    /// Check deadlines at `now`: the handshake deadline and the heartbeat
    /// timers. May queue a PING (write out [`tx`](Self::tx) afterwards).
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Result<(), ProtoError> {
        self.now = now;
        if let Some(d) = self.deadline {
            if now >= d && self.phase != Phase::Active {
                return Err(ProtoError::HandshakeTimeout);
            }
        }
        if self.ping_deadline.is_some_and(|d| now >= d) {
            return Err(ProtoError::HeartbeatTimeout);
        }
        if self.ttl_deadline.is_some_and(|d| now >= d) {
            return Err(ProtoError::HeartbeatTimeout);
        }
        if let (Some(at), Some(hb)) = (self.next_ping, self.cfg.heartbeat) {
            if now >= at {
                self.send_command(&Command::Ping {
                    ttl_deciseconds: hb.ttl_deciseconds,
                    context: Bytes::new(),
                });
                if self.ping_deadline.is_none() {
                    self.ping_deadline = Some(now + hb.timeout);
                }
                self.next_ping = Some(now + hb.interval);
            }
        }
        Ok(())
    }

    /// Process buffered input; returns the next event, or `Ok(None)` when more
    /// bytes are needed. An error means: close this connection.
    pub(crate) fn poll(&mut self) -> Result<Option<Event>, ProtoError> {
        loop {
            match self.phase {
                Phase::Greeting => {
                    let seen = self.decoder.peek();
                    Greeting::check_prefix(seen)?;
                    if !self.greeting_sent && seen.len() >= SIGNATURE_LEN {
                        // The peer's signature is here: send the rest of
                        // ours (libzmq's order, which lets a peer that
                        // refuses us be told apart from one that closed).
                        self.greeting_sent = true;
                        self.queue_greeting(SIGNATURE_LEN..GREETING_LEN);
                    }
                    let Some(raw) = self.decoder.take_raw(GREETING_LEN) else {
                        return Ok(None);
                    };
                    let g = Greeting::decode(&raw)?;
                    if g.mechanism_name() != self.cfg.mechanism.name().as_bytes() {
                        return Err(ProtoError::MechanismMismatch(Bytes::copy_from_slice(
                            g.mechanism_name(),
                        )));
                    }
                    self.peer_minor = g.minor;
                    self.phase = Phase::Handshake;
                    let hs = self.with_hs_context(mechanism::start)?;
                    self.hs = Some(hs);
                }
                Phase::Handshake => {
                    let Some(frame) = self.decoder.decode()? else {
                        return Ok(None);
                    };
                    if !frame.command {
                        return Err(ProtoError::UnexpectedDuringHandshake("data frame"));
                    }
                    // Malformed command names fail as wire errors, whatever
                    // the mechanism; an ERROR ends the handshake. (The
                    // mechanism reads its own commands' data.)
                    let (name, _) = Command::split(&frame.body)?;
                    if &name[..] == b"ERROR" {
                        if let Command::Error { reason } = Command::decode(&frame.body)? {
                            return Err(ProtoError::PeerError(reason));
                        }
                    }
                    let hs = self
                        .hs
                        .take()
                        .ok_or(ProtoError::UnexpectedDuringHandshake("command"))?;
                    let body = frame.body;
                    match self.with_hs_context(move |_, cx| hs.on_command(body, cx))? {
                        Step::Next(next) => self.hs = Some(next),
                        Step::Done(est) => {
                            let info = self.check_ready(est.metadata, est.user_id)?;
                            self.codec = est.codec;
                            self.phase = Phase::Active;
                            self.deadline = None;
                            self.decoder
                                .set_max_frame_size(self.cfg.max_message_size.max(MIN_FRAME_LIMIT));
                            // ZMTP 3.0 has no PING: only heartbeat 3.1 peers.
                            if self.peer_minor >= 1 {
                                if let Some(hb) = self.cfg.heartbeat {
                                    self.next_ping = Some(self.now + hb.interval);
                                }
                            }
                            return Ok(Some(Event::Ready(info)));
                        }
                    }
                }
                Phase::Active => return self.poll_active(),
            }
        }
    }

    /// Run a handshake step with its context; the commands it queued are
    /// framed into `tx` even when it fails (an ERROR before the close).
    fn with_hs_context<T>(
        &mut self,
        f: impl FnOnce(&MechanismConfig, &mut HsContext<'_>) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        let metadata = self.our_metadata();
        let mut out = Vec::new();
        let result = {
            let mut cx = HsContext {
                metadata: &metadata,
                auth: self.cfg.authenticator.as_ref(),
                peer_address: &self.cfg.peer_address,
                random: &self.cfg.random,
                out: &mut out,
            };
            f(&self.cfg.mechanism, &mut cx)
        };
        for body in out {
            self.send_command_body(&body);
        }
        result
    }

    /// The next frame from the peer, opened if the mechanism boxes them.
    fn next_frame(&mut self) -> Result<Option<Frame>, ProtoError> {
        let frame = self.decoder.decode().map_err(|e| match e {
            // A frame over the limit (but within ZMTP's 2^63-1) is a
            // message over the limit, however many frames it has.
            WireError::FrameTooLarge { size, .. } if size <= SPEC_MAX_FRAME => {
                ProtoError::MessageTooLarge {
                    size,
                    limit: self.cfg.max_message_size,
                }
            }
            e => ProtoError::Wire(e),
        })?;
        match (&mut self.codec, frame) {
            (_, None) => Ok(None),
            (Codec::Clear, Some(f)) => Ok(Some(f)),
            #[cfg(feature = "curve")]
            (Codec::Curve(c), Some(f)) => c.open(&f.body).map(Some),
        }
    }

    fn poll_active(&mut self) -> Result<Option<Event>, ProtoError> {
        loop {
            let Some(frame) = self.next_frame()? else {
                return Ok(None);
            };
            if frame.command {
                if frame.more {
                    return Err(ProtoError::CommandInMultipart);
                }
                match Command::decode(&frame.body)? {
                    Command::Eof => {
                        if !self.partial.is_empty() {
                            return Err(ProtoError::CommandInMultipart);
                        }
                        return Ok(Some(Event::Eof));
                    }
                    Command::Subscribe(topic) => return Ok(Some(Event::Subscribe(topic))),
                    Command::Cancel(topic) => return Ok(Some(Event::Cancel(topic))),
                    Command::Ping {
                        ttl_deciseconds,
                        context,
                    } => {
                        let context = context.slice(..context.len().min(16));
                        self.send_command(&Command::Pong { context });
                        if ttl_deciseconds > 0 {
                            let ttl = Duration::from_millis(u64::from(ttl_deciseconds) * 100);
                            self.ttl_deadline = Some(self.now + ttl);
                        }
                    }
                    // libzmq drops READY, ERROR, PONG and unknown commands
                    // once the handshake is over; so do we.
                    _ => {}
                }
                continue;
            }
            let len = frame.body.len() as u64;
            self.partial_size = self.partial_size.saturating_add(len);
            if self.partial_size > self.cfg.max_message_size {
                return Err(ProtoError::MessageTooLarge {
                    size: self.partial_size,
                    limit: self.cfg.max_message_size,
                });
            }
            if !frame.more && self.partial.is_empty() {
                // One-frame message: no Vec, no allocation.
                self.partial_size = 0;
                return Ok(Some(Event::Message(Message::from(frame.body))));
            }
            self.partial.push(frame.body);
            if !frame.more {
                self.partial_size = 0;
                let frames = std::mem::take(&mut self.partial);
                return Ok(Some(Event::Message(Message::from(frames))));
            }
        }
    }

    fn check_ready(
        &self,
        metadata: Metadata,
        user_id: Option<Bytes>,
    ) -> Result<PeerInfo, ProtoError> {
        let socket_type = metadata.get("Socket-Type").cloned();
        // libzmq accepts a READY without Socket-Type; so do we.
        if let Some(t) = &socket_type {
            if !self.cfg.socket_type.compatible_name(t) {
                return Err(ProtoError::IncompatibleSocketType(t.clone()));
            }
        }
        let identity = metadata.get("Identity").filter(|v| !v.is_empty()).cloned();
        Ok(PeerInfo {
            socket_type,
            identity,
            minor: self.peer_minor,
            metadata,
            user_id,
        })
    }

    /// Our properties, for READY (or PLAIN/CURVE INITIATE).
    fn our_metadata(&self) -> Metadata {
        let mut md = Metadata::new();
        md.insert(
            "Socket-Type",
            Bytes::from_static(self.cfg.socket_type.name().as_bytes()),
        );
        if self.cfg.socket_type.sends_identity() {
            md.insert("Identity", self.cfg.routing_id.clone().unwrap_or_default());
        }
        md
    }

    /// Frame a handshake command (never boxed).
    fn send_command_body(&mut self, body: &[u8]) {
        let staging = self.tx.staging();
        let before = staging.len();
        encode_header(staging, false, true, body.len());
        staging.extend_from_slice(body);
        let n = staging.len() - before;
        self.tx.note_staged(n);
    }

    /// Queue a command of the data phase (boxed under CURVE).
    fn send_command(&mut self, cmd: &Command) {
        match &mut self.codec {
            Codec::Clear => {
                let staging = self.tx.staging();
                let before = staging.len();
                cmd.encode(staging);
                let n = staging.len() - before;
                self.tx.note_staged(n);
            }
            #[cfg(feature = "curve")]
            Codec::Curve(c) => {
                let mut body = BytesMut::with_capacity(cmd.body_len());
                cmd.encode_body(&mut body);
                // A nonce counter at u64::MAX cannot happen in practice; the
                // connection would end at the next receive check.
                if let Ok(n) = c.seal(false, true, &body, self.tx.staging()) {
                    self.tx.note_staged(n);
                }
            }
        }
    }

    /// Queue a data frame (boxed under CURVE).
    fn send_data_frame(&mut self, more: bool, body: &[u8]) {
        match &mut self.codec {
            Codec::Clear => {
                let staging = self.tx.staging();
                let before = staging.len();
                encode_header(staging, more, false, body.len());
                staging.extend_from_slice(body);
                let n = staging.len() - before;
                self.tx.note_staged(n);
            }
            #[cfg(feature = "curve")]
            Codec::Curve(c) => {
                if let Ok(n) = c.seal(more, false, body, self.tx.staging()) {
                    self.tx.note_staged(n);
                }
            }
        }
    }

    /// Queue a message for the peer. Only valid once [`is_active`](Self::is_active).
    pub(crate) fn send_message(&mut self, msg: &Message) {
        match self.codec {
            Codec::Clear => self.tx.push_message(msg),
            #[cfg(feature = "curve")]
            Codec::Curve(_) => {
                let last = msg.len().saturating_sub(1);
                for (i, frame) in msg.iter().enumerate() {
                    self.send_data_frame(i < last, frame);
                }
            }
        }
    }

    /// Queue the end-of-stream pill (a command frame libzmq ignores).
    pub(crate) fn send_eof(&mut self) {
        self.send_command(&Command::Eof);
    }

    /// Queue a subscription change: a SUBSCRIBE or CANCEL command for a
    /// ZMTP 3.1 peer, a `0x01`/`0x00`-led message for a 3.0 peer (as libzmq
    /// does). Only valid once [`is_active`](Self::is_active).
    pub(crate) fn send_subscription(&mut self, subscribe: bool, topic: &Bytes) {
        if self.peer_minor >= 1 {
            let cmd = if subscribe {
                Command::Subscribe(topic.clone())
            } else {
                Command::Cancel(topic.clone())
            };
            self.send_command(&cmd);
        } else {
            let mut body = BytesMut::with_capacity(topic.len() + 1);
            body.extend_from_slice(&[u8::from(subscribe)]);
            body.extend_from_slice(topic);
            self.send_data_frame(false, &body);
        }
    }
}

#[cfg(test)]
mod tests;
