//! What carries a pipe: nothing yet, an engine connection (TCP, IPC), or an
//! in-memory inproc wire; and the work a pipe asks of whatever carries it.

use super::lane::Lane;
use super::PipeKey;
use crate::key::ConnKey;
use std::fmt;
use std::sync::Arc;

/// The other end of an inproc pipe pair, as a pipe sees it (implemented by
/// `transport::inproc`, so that this module needs nothing of it). Side 0
/// is the connecting socket's pipe, side 1 the binding one's; each side
/// queues into its own [`Lane`] and takes from the other.
pub(crate) trait InprocWire: Send + Sync + fmt::Debug {
    /// The lane side `from` sends on.
    fn lane(&self, from: usize) -> &Lane;
    /// Side `from` queued into an empty lane. True when it must deliver
    /// itself ([`InprocTask::Deliver`]), because a receiver on the other
    /// side sleeps (or someone observes it); an awake receiver takes what
    /// waits when it runs dry.
    fn offer(&self, from: usize) -> bool;
    /// Move what side `from` queued into the other side's pipe (as much as
    /// its HWM allows) and wake its receivers.
    fn deliver(&self, from: usize);
    /// Wake side `side`'s blocked senders: its lane has room again.
    fn wake_sender(&self, side: usize);
    /// Side `side` is going: both pipes go (what is still in the lanes is
    /// delivered to a side that stays).
    fn cut(&self, side: usize, why: Refusal);
}

/// What carries a pipe.
#[derive(Debug, Clone, Default)]
pub(crate) enum Link {
    /// Nothing (a `connect` pipe between connections).
    #[default]
    None,
    /// An engine connection.
    Conn(ConnKey),
    /// An inproc wire, of which this pipe is side `side` (0 or 1).
    Inproc {
        /// The wire.
        wire: Arc<dyn InprocWire>,
        /// Which side this pipe is.
        side: usize,
    },
}

impl Link {
    /// Carried by something.
    pub(crate) fn is_some(&self) -> bool {
        !matches!(self, Link::None)
    }
}

/// Work for an inproc wire, run by the thread that caused it once it has
/// released the socket's lock.
#[derive(Debug)]
pub(crate) enum InprocTask {
    /// Move items from side `from` to the other side.
    Deliver(Arc<dyn InprocWire>, usize),
    /// Wake side `side`'s blocked senders.
    WakeSender(Arc<dyn InprocWire>, usize),
    /// Cut the wire from side `side`.
    Cut(Arc<dyn InprocWire>, usize, Refusal),
}

impl InprocTask {
    /// Do it (never with a socket lock held).
    pub(crate) fn run(self) {
        match self {
            InprocTask::Deliver(w, from) => w.deliver(from),
            InprocTask::WakeSender(w, side) => w.wake_sender(side),
            InprocTask::Cut(w, side, why) => w.cut(side, why),
        }
    }
}

/// Inproc work queued under a socket lock. Usually one task, kept inline,
/// so that queueing it costs no allocation.
#[derive(Debug, Default)]
pub(crate) struct InprocTasks {
    first: Option<InprocTask>,
    more: Vec<InprocTask>,
}

impl InprocTasks {
    /// Queue a task (after those already queued).
    pub(crate) fn push(&mut self, task: InprocTask) {
        if self.first.is_none() && self.more.is_empty() {
            self.first = Some(task);
        } else {
            self.more.push(task);
        }
    }

    /// Queue all of `other`'s tasks after these.
    pub(crate) fn append(&mut self, other: InprocTasks) {
        other
            .first
            .into_iter()
            .chain(other.more)
            .for_each(|t| self.push(t));
    }

    /// Nothing queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none() && self.more.is_empty()
    }

    /// Run them in order (never with a socket lock held).
    pub(crate) fn run(self) {
        for t in self.first.into_iter().chain(self.more) {
            t.run();
        }
    }
}

/// Why a socket refuses a peer, or closes its connection (a pattern's
/// decision; the engine closes that connection only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// ROUTER: the announced routing id starts with a zero byte.
    IdLeadingZero,
    /// ROUTER: the announced routing id is longer than 255 bytes.
    IdTooLong,
    /// ROUTER: another connected peer uses this routing id.
    IdDuplicate,
    /// PAIR: the socket already has its one peer.
    PairTaken,
    /// The socket is closing.
    Closing,
    /// ROUTER handover: a new peer took over this one's routing id.
    HandedOver,
    /// The peer holds more subscriptions (or subscription bytes) than
    /// `max_subscriptions` (or `max_subscription_bytes`) allow.
    TooManySubscriptions,
}

impl Refusal {
    /// Human-readable reason.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::IdLeadingZero => "routing id starts with a zero byte",
            Refusal::IdTooLong => "routing id longer than 255 bytes",
            Refusal::IdDuplicate => "routing id already in use on this ROUTER",
            Refusal::PairTaken => "PAIR socket already has a peer",
            Refusal::Closing => "socket is closing",
            Refusal::HandedOver => "a new peer took over its routing id",
            Refusal::TooManySubscriptions => {
                "peer exceeded max_subscriptions or max_subscription_bytes"
            }
        }
    }
}

/// What the engine must do for one pipe (see [`Pipes::take_service`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Visit {
    /// The pipe.
    pub(crate) key: PipeKey,
    /// Its connection.
    pub(crate) conn: ConnKey,
    /// Reading may resume (the pipe is below its HWM).
    pub(crate) may_read: bool,
    /// Close the connection instead, for this reason.
    pub(crate) close: Option<Refusal>,
}
