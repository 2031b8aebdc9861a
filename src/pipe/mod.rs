//! Per-peer pipes: the bounded queues between a socket and one peer.
//!
//! Each [`Pipe`] has an outgoing queue (filled by the socket's pattern,
//! drained by the engine) and an incoming queue (filled by the engine, drained
//! by the pattern), each bounded by its high-water mark in messages. The
//! end-of-stream pill and subscriptions travel in the same queues as messages,
//! so each is always behind everything queued before it.
//!
//! Pipes live in [`Pipes`], a slab addressed by generation-checked
//! [`PipeKey`]s. Every field is private: patterns, the socket core and the
//! engine change a pipe only through the methods here, which keep the
//! bookkeeping (message counts, the engine's service list, the fair-queue
//! membership flag) consistent.

pub(crate) mod fq;
mod inproc;
mod lane;
pub(crate) mod lb;
mod link;

pub(crate) use lane::Lane;
pub(crate) use link::{InprocTask, InprocTasks, InprocWire, Link, Refusal, Visit};

#[cfg(test)]
use crate::key::ConnKey;
use crate::key::Generations;
pub(crate) use crate::key::PipeKey;
use crate::message::Message;
use bytes::Bytes;
use slab::Slab;
use std::collections::VecDeque;

/// What travels through a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// A whole message.
    Msg(Message),
    /// The end-of-stream pill.
    Eof,
    /// A subscription to a topic prefix (SUBSCRIBE, or a legacy `0x01` frame).
    Subscribe(Bytes),
    /// A cancelled subscription (CANCEL, or a legacy `0x00` frame).
    Cancel(Bytes),
}

impl Item {
    /// Is this a message (counted against the HWM)?
    pub(crate) fn is_msg(&self) -> bool {
        matches!(self, Item::Msg(_))
    }
}

/// One peer's queues and state.
#[derive(Debug)]
pub(crate) struct Pipe {
    out: VecDeque<Item>,
    /// Messages in `out` (pills and subscriptions are not counted).
    out_msgs: usize,
    inq: VecDeque<Item>,
    /// What carries the pipe: an engine connection (up and handshaken),
    /// an inproc wire, or nothing.
    link: Link,
    /// Made by `connect`: outlives connections (messages wait for reconnect).
    persistent: bool,
    /// Gone for good: removed once `inq` is drained.
    gone: bool,
    /// The peer's routing id (ROUTER's table key; a label for others).
    routing_id: Option<Bytes>,
    /// Listed in [`Pipes::service`].
    service_requested: bool,
    /// The engine stopped reading because `inq` reached the HWM.
    read_paused: bool,
    /// The engine holds items of this pipe not yet written.
    tx_busy: bool,
    /// The engine's last write to this pipe's connection would have blocked:
    /// the peer (or the network) is not keeping up.
    write_blocked: bool,
    /// Listed in a fair-queue ring (owned by [`fq::FairQueue`]).
    fq_listed: bool,
    /// The peer's pill has been taken by the application.
    finished: bool,
    /// Keep only the newest message in each direction (`conflate`).
    conflate: bool,
    /// The socket wants this pipe's connection closed, and why.
    kicked: Option<Refusal>,
    /// The routing id the application chose for this peer at `connect`
    /// (`connect_routing_id`), which wins over the one it announces.
    preset_id: Option<Bytes>,
}

impl Pipe {
    fn new(persistent: bool, conflate: bool) -> Pipe {
        Pipe {
            out: VecDeque::new(),
            out_msgs: 0,
            inq: VecDeque::new(),
            link: Link::None,
            persistent,
            gone: false,
            routing_id: None,
            service_requested: false,
            read_paused: false,
            tx_busy: false,
            write_blocked: false,
            fq_listed: false,
            finished: false,
            conflate,
            kicked: None,
            preset_id: None,
        }
    }

    /// Messages waiting in the outgoing queue.
    #[cfg(test)]
    pub(crate) fn out_msgs(&self) -> usize {
        self.out_msgs
    }

    /// Can `send` queue one more message under `hwm`? (On an inproc wire,
    /// the HWM counts what waits in its lane.)
    pub(crate) fn has_room(&self, hwm: usize) -> bool {
        !self.gone
            && (self.conflate
                || match &self.link {
                    Link::Inproc { wire, side } => wire.lane(*side).has_room(hwm),
                    _ => self.out_msgs < hwm,
                })
    }

    /// A live, handshaken connection (or an inproc wire) carries this pipe.
    pub(crate) fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    /// The inproc wire carrying this pipe, and its side.
    pub(crate) fn inproc(&self) -> Option<(&std::sync::Arc<dyn InprocWire>, usize)> {
        match &self.link {
            Link::Inproc { wire, side } => Some((wire, *side)),
            _ => None,
        }
    }

    /// Made by `connect` (outlives its connections).
    pub(crate) fn is_persistent(&self) -> bool {
        self.persistent
    }

    /// Gone for good (kept only until its input is read).
    pub(crate) fn is_gone(&self) -> bool {
        self.gone
    }

    /// The engine's last write would have blocked.
    pub(crate) fn is_write_blocked(&self) -> bool {
        self.write_blocked
    }

    /// The peer's routing id.
    pub(crate) fn routing_id(&self) -> Option<&Bytes> {
        self.routing_id.as_ref()
    }

    /// The routing id chosen at `connect` (`connect_routing_id`).
    pub(crate) fn preset_id(&self) -> Option<&Bytes> {
        self.preset_id.as_ref()
    }

    /// The peer's pill has been received by the application.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Nothing left to write (neither queued nor held by the engine).
    pub(crate) fn is_flushed(&self) -> bool {
        self.out.is_empty() && !self.tx_busy
    }

    /// The outgoing queue holds the pill.
    fn has_eof_out(&self) -> bool {
        self.out.iter().any(|i| matches!(i, Item::Eof))
    }
}

/// Every pipe of one socket, plus the list of pipes the engine must visit.
#[derive(Debug, Default)]
pub(crate) struct Pipes {
    slab: Slab<(u32, Pipe)>,
    gens: Generations,
    /// Pipes the engine must look at (flush output, resume input).
    service: Vec<PipeKey>,
    /// A `Service` request is on its way to the engine (or being handled).
    service_scheduled: bool,
    /// The engine must be told: set on the first request since its last visit.
    ping: bool,
    /// Pills received by the application from pipes now removed.
    finished_removed: u64,
    /// Gone pipes whose input has been read: remove at the next `reap`.
    reap: Vec<PipeKey>,
    /// Messages replaced under `conflate`.
    conflated: u64,
    /// Work for inproc wires, run once the socket's lock is released.
    inproc: InprocTasks,
    /// Pipes carried by an inproc wire now.
    inproc_keys: Vec<PipeKey>,
    /// Scratch space for items moving out of an inproc lane.
    lane_buf: Vec<Item>,
}

impl Pipes {
    /// A fresh pipe. `persistent`: made by `connect`.
    pub(crate) fn insert(&mut self, persistent: bool, conflate: bool) -> PipeKey {
        let gen = self.gens.next();
        let index = self.slab.insert((gen, Pipe::new(persistent, conflate)));
        PipeKey::new(index, gen)
    }

    /// The pipe behind `key`, if it still exists.
    pub(crate) fn get(&self, key: PipeKey) -> Option<&Pipe> {
        match self.slab.get(key.index()) {
            Some((gen, p)) if *gen == key.gen() => Some(p),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: PipeKey) -> Option<&mut Pipe> {
        match self.slab.get_mut(key.index()) {
            Some((gen, p)) if *gen == key.gen() => Some(p),
            _ => None,
        }
    }

    /// Does the pipe exist?
    pub(crate) fn contains(&self, key: PipeKey) -> bool {
        self.get(key).is_some()
    }

    /// Every pipe, with its key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (PipeKey, &Pipe)> + '_ {
        self.slab
            .iter()
            .map(|(i, (gen, p))| (PipeKey::new(i, *gen), p))
    }

    /// Keys of every pipe.
    pub(crate) fn keys(&self) -> Vec<PipeKey> {
        self.iter().map(|(k, _)| k).collect()
    }

    // ----- outgoing side -------------------------------------------------

    /// Queue a message (the caller checked [`Pipe::has_room`]). With
    /// `conflate`, it replaces whatever message is still queued (counted in
    /// [`conflated`](Self::conflated)).
    pub(crate) fn push_out(&mut self, key: PipeKey, msg: Message) {
        if self.try_push_out(key, usize::MAX, msg).is_err() {
            // Gone: nothing to queue into.
        }
    }

    /// Queue a message if the pipe exists and is below `hwm` (one lookup:
    /// the send path's hot spot); the message comes back otherwise.
    #[inline(always)]
    pub(crate) fn try_push_out(
        &mut self,
        key: PipeKey,
        hwm: usize,
        msg: Message,
    ) -> Result<(), Message> {
        // The slab directly (not `get_mut`), so the service list can be
        // updated in the same lookup.
        let p = match self.slab.get_mut(key.index()) {
            Some((gen, p)) if *gen == key.gen() => p,
            _ => return Err(msg),
        };
        if let Link::Inproc { wire, side } = &p.link {
            return inproc::push_msg(
                p.gone,
                p.conflate,
                wire,
                *side,
                hwm,
                msg,
                &mut self.inproc,
                &mut self.conflated,
            );
        }
        if !p.has_room(hwm) {
            return Err(msg);
        }
        if p.conflate {
            let before = p.out.len();
            p.out.retain(|i| !i.is_msg());
            self.conflated += (before - p.out.len()) as u64;
            p.out_msgs = 0;
        }
        p.out_msgs += 1;
        p.out.push_back(Item::Msg(msg));
        // The engine must visit a connected pipe with output, unless it is
        // already asked to or busy writing this one (it comes back then).
        if !p.tx_busy && !p.service_requested {
            match &p.link {
                Link::Conn(_) => {
                    p.service_requested = true;
                    self.service.push(key);
                    if !self.service_scheduled {
                        self.service_scheduled = true;
                        self.ping = true;
                    }
                }
                Link::Inproc { .. } | Link::None => {}
            }
        }
        Ok(())
    }

    /// Queue a pill or a subscription: not counted against the HWM (a
    /// subscription must never be lost to it).
    pub(crate) fn push_ctl(&mut self, key: PipeKey, item: Item) {
        if let Some(p) = self.get_mut(key) {
            debug_assert!(!item.is_msg());
            p.out.push_back(item);
            self.note_output(key);
        }
    }

    /// Replace every queued subscription item with `subs` (as Subscribe
    /// items) at the front of the queue: a (re)connected peer learns the
    /// whole current set before anything queued after it.
    pub(crate) fn resend_subscriptions(&mut self, key: PipeKey, subs: &[Bytes]) {
        if let Some(p) = self.get_mut(key) {
            p.out
                .retain(|i| !matches!(i, Item::Subscribe(_) | Item::Cancel(_)));
            for s in subs.iter().rev() {
                p.out.push_front(Item::Subscribe(s.clone()));
            }
            self.note_output(key);
        }
    }

    /// Queue the pill, unless one is already queued.
    pub(crate) fn push_eof_once(&mut self, key: PipeKey) {
        if self.get(key).is_some_and(|p| !p.gone && !p.has_eof_out()) {
            self.push_ctl(key, Item::Eof);
        }
    }

    /// The engine must visit a connected pipe whose queue just became
    /// non-empty; an inproc pipe moves its queue into its lane.
    fn note_output(&mut self, key: PipeKey) {
        let edge = self
            .get(key)
            .is_some_and(|p| p.link.is_some() && !p.out.is_empty() && !p.tx_busy);
        if edge {
            self.request_service(key);
        }
    }

    /// Ask whatever carries `key` to take its output: the engine (flush,
    /// and resume input), or the inproc wire (pump from this side).
    pub(crate) fn request_service(&mut self, key: PipeKey) {
        let Some(p) = self.get_mut(key) else {
            return;
        };
        match &p.link {
            Link::None => {}
            Link::Conn(_) => {
                if !p.service_requested {
                    p.service_requested = true;
                    self.service.push(key);
                }
                if !self.service_scheduled {
                    self.service_scheduled = true;
                    self.ping = true;
                }
            }
            Link::Inproc { .. } => self.flush_to_lane(key),
        }
    }

    /// The pipe has room for input again: the engine resumes reading (an
    /// inproc pipe takes from its lane when the application runs dry).
    fn request_resume(&mut self, key: PipeKey) {
        if self
            .get(key)
            .is_some_and(|p| matches!(p.link, Link::Conn(_)))
        {
            self.request_service(key);
        }
    }

    /// Work for inproc wires, to run once the socket's lock is released.
    pub(crate) fn take_inproc(&mut self) -> InprocTasks {
        std::mem::take(&mut self.inproc)
    }

    /// True once after service was requested while none was scheduled: the
    /// caller must post a `Service` command to the engine (after releasing
    /// the socket lock).
    pub(crate) fn take_ping(&mut self) -> bool {
        std::mem::take(&mut self.ping)
    }

    /// The engine's visit: every pipe that asked, with its connection and
    /// what to do.
    pub(crate) fn take_service(&mut self) -> Vec<Visit> {
        self.service_scheduled = false;
        let keys = std::mem::take(&mut self.service);
        keys.into_iter()
            .filter_map(|key| {
                let p = self.get_mut(key)?;
                p.service_requested = false;
                let Link::Conn(conn) = p.link else {
                    return None;
                };
                Some(Visit {
                    key,
                    conn,
                    may_read: !p.read_paused,
                    close: p.kicked,
                })
            })
            .collect()
    }

    /// Ask the engine to close the pipe's connection (a ROUTER handover,
    /// a subscriber over its limits).
    pub(crate) fn kick(&mut self, key: PipeKey, why: Refusal) {
        let Some(p) = self.get_mut(key) else {
            return;
        };
        if let Link::Inproc { wire, side } = &p.link {
            let task = InprocTask::Cut(wire.clone(), *side, why);
            self.inproc.push(task);
            return;
        }
        p.kicked = Some(why);
        self.request_service(key);
    }

    /// Engine: move the pipe's whole outgoing queue into `staged` (one O(1)
    /// swap, so the pipe has room again at once). Returns false when there
    /// was nothing to take.
    pub(crate) fn take_out(&mut self, key: PipeKey, staged: &mut VecDeque<Item>) -> bool {
        let Some(p) = self.get_mut(key) else {
            return false;
        };
        if p.out.is_empty() {
            return false;
        }
        if staged.is_empty() {
            std::mem::swap(&mut p.out, staged);
        } else {
            staged.append(&mut p.out);
        }
        p.out_msgs = 0;
        p.tx_busy = true;
        true
    }

    /// Engine: the connection wrote everything it held. Returns true when
    /// the pipe is now completely flushed (wake a closing socket).
    pub(crate) fn output_done(&mut self, key: PipeKey) -> bool {
        match self.get_mut(key) {
            Some(p) if p.out.is_empty() => {
                let was = p.tx_busy || p.write_blocked;
                p.tx_busy = false;
                p.write_blocked = false;
                was
            }
            _ => false,
        }
    }

    /// Engine: whether the last write would have blocked. Returns true when
    /// this changed.
    pub(crate) fn set_write_blocked(&mut self, key: PipeKey, blocked: bool) -> bool {
        match self.get_mut(key) {
            Some(p) if p.write_blocked != blocked => {
                p.write_blocked = blocked;
                true
            }
            _ => false,
        }
    }

    /// Drop every queued outgoing message; returns how many (pills and
    /// subscriptions are not counted).
    pub(crate) fn clear_out(&mut self, key: PipeKey) -> usize {
        let Some(p) = self.get_mut(key) else {
            return 0;
        };
        let n = p.out_msgs;
        p.out.clear();
        p.out_msgs = 0;
        n
    }

    // ----- incoming side -------------------------------------------------

    /// Engine: room left in the incoming queue under `hwm`; zero pauses
    /// reading (the pipe remembers, and [`pop_in`](Self::pop_in) resumes it).
    pub(crate) fn in_room(&mut self, key: PipeKey, hwm: usize) -> usize {
        let Some(p) = self.get_mut(key) else {
            return 0;
        };
        if p.conflate {
            return usize::MAX;
        }
        let room = hwm.saturating_sub(p.inq.len());
        if room == 0 {
            p.read_paused = true;
        }
        room
    }

    /// Append received items. With `conflate`, only the newest message is
    /// kept (older ones are counted in [`conflated`](Self::conflated)).
    pub(crate) fn push_in(&mut self, key: PipeKey, items: impl Iterator<Item = Item>) {
        let Some(p) = self.get_mut(key) else {
            return;
        };
        if !p.conflate {
            p.inq.extend(items);
            return;
        }
        let mut replaced = 0;
        for item in items {
            if item.is_msg() {
                let before = p.inq.len();
                p.inq.retain(|i| !i.is_msg());
                replaced += before - p.inq.len();
            }
            p.inq.push_back(item);
        }
        self.conflated += replaced as u64;
    }

    /// Messages replaced by newer ones under `conflate`, in either direction.
    pub(crate) fn conflated(&self) -> u64 {
        self.conflated
    }

    /// Take the next incoming item. Resumes reading once the queue has
    /// drained to half of `hwm` (so the engine is not woken per message),
    /// and marks the pipe finished when the item is its pill.
    pub(crate) fn pop_in(&mut self, key: PipeKey, hwm: usize) -> Option<Item> {
        let p = self.get_mut(key)?;
        let item = p.inq.pop_front()?;
        if matches!(item, Item::Eof) {
            p.finished = true;
        }
        self.after_take(key, hwm);
        Some(item)
    }

    /// Take up to `max` incoming items at once into `out`.
    pub(crate) fn drain_in(
        &mut self,
        key: PipeKey,
        hwm: usize,
        max: usize,
        out: &mut Vec<Item>,
    ) -> usize {
        let Some(p) = self.get_mut(key) else {
            return 0;
        };
        let n = max.min(p.inq.len());
        let start = out.len();
        out.extend(p.inq.drain(..n));
        if out.get(start..).is_some_and(|s| s.contains(&Item::Eof)) {
            p.finished = true;
        }
        self.after_take(key, hwm);
        n
    }

    fn after_take(&mut self, key: PipeKey, hwm: usize) {
        let Some(p) = self.get_mut(key) else {
            return;
        };
        let resume = p.read_paused && p.inq.len() <= hwm / 2;
        let done = p.gone && p.inq.is_empty();
        if resume {
            p.read_paused = false;
            self.request_resume(key);
        }
        if done {
            // Removed by `reap`, once the caller has read the pipe's
            // routing id for the items it just took.
            self.reap.push(key);
        }
    }

    /// Remove the pipes that went for good and whose input has now been
    /// read (the socket core calls this at the end of each receive).
    pub(crate) fn reap(&mut self) {
        for key in std::mem::take(&mut self.reap) {
            if self.get(key).is_some_and(|p| p.gone && p.inq.is_empty()) {
                self.remove(key);
            }
        }
    }

    // ----- life cycle ----------------------------------------------------

    /// A connection now carries the pipe. A new connection starts a new
    /// stream: a pill from the previous one that is still unread no longer
    /// ends anything. With `eof` (the socket sent its pill), the pill is
    /// queued for this peer too.
    pub(crate) fn link(&mut self, key: PipeKey, link: Link, eof: bool) {
        self.set_link(key, link);
        if let Some(p) = self.get_mut(key) {
            p.inq.retain(Item::is_msg);
            p.finished = false;
            p.gone = false;
            p.read_paused = false;
            p.write_blocked = false;
            p.kicked = None;
        }
        if eof {
            self.push_eof_once(key);
        }
        self.note_output(key);
    }

    /// Nothing carries the pipe any more.
    fn unset_link(&mut self, key: PipeKey) {
        self.set_link(key, Link::None);
    }

    /// Set the routing id chosen at `connect`.
    pub(crate) fn set_preset_id(&mut self, key: PipeKey, id: Option<Bytes>) {
        if let Some(p) = self.get_mut(key) {
            p.preset_id = id;
        }
    }

    /// Set the routing id label.
    pub(crate) fn set_routing_id(&mut self, key: PipeKey, id: Option<Bytes>) {
        if let Some(p) = self.get_mut(key) {
            p.routing_id = id;
        }
    }

    /// The connection went, but the pipe stays for the next one: `staged`
    /// items the engine had taken and not encoded go back to the front.
    pub(crate) fn unlink(&mut self, key: PipeKey, mut staged: VecDeque<Item>) {
        self.unset_link(key);
        if let Some(p) = self.get_mut(key) {
            p.tx_busy = false;
            p.write_blocked = false;
            p.read_paused = false;
            p.out_msgs += staged.iter().filter(|i| i.is_msg()).count();
            staged.append(&mut p.out);
            p.out = staged;
            if p.conflate && p.out_msgs > 1 {
                // Only the newest message survives under conflate.
                let newest = p.out.iter().rposition(Item::is_msg);
                let mut i = 0;
                p.out.retain(|item| {
                    let keep = !item.is_msg() || Some(i) == newest;
                    i += 1;
                    keep
                });
                let replaced = (p.out_msgs - 1) as u64;
                p.out_msgs = 1;
                self.conflated += replaced;
            }
        }
    }

    /// The pipe is gone for good: drop (and return the number of) its
    /// unsent messages; it is removed once its input has been read.
    pub(crate) fn retire(&mut self, key: PipeKey) -> usize {
        let dropped = self.clear_out(key);
        self.unset_link(key);
        if let Some(p) = self.get_mut(key) {
            p.gone = true;
            p.tx_busy = false;
            p.write_blocked = false;
            if p.inq.is_empty() {
                self.remove(key);
            }
        }
        dropped
    }

    /// Remove a pipe now (its input, if any, is discarded).
    pub(crate) fn remove(&mut self, key: PipeKey) {
        self.unset_link(key);
        if self.get(key).is_some() {
            let (_, p) = self.slab.remove(key.index());
            if p.finished {
                self.finished_removed += 1;
            }
        }
    }

    /// Has any pipe, present or removed, delivered its pill?
    pub(crate) fn any_finished(&self) -> bool {
        self.finished_removed > 0 || self.iter().any(|(_, p)| p.finished)
    }

    /// Every pipe's output is written out.
    pub(crate) fn all_flushed(&self) -> bool {
        self.iter().all(|(_, p)| p.is_flushed())
    }

    /// Messages received into incoming queues and not read.
    pub(crate) fn unread(&self) -> usize {
        self.iter()
            .map(|(_, p)| p.inq.iter().filter(|i| i.is_msg()).count())
            .sum()
    }

    /// Messages still queued in outgoing queues.
    pub(crate) fn unsent(&self) -> usize {
        self.iter().map(|(_, p)| p.out_msgs).sum()
    }

    /// Keys of connected pipes that still have output queued.
    pub(crate) fn with_pending_output(&self) -> Vec<PipeKey> {
        self.iter()
            .filter(|(_, p)| p.link.is_some() && !p.out.is_empty())
            .map(|(k, _)| k)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(i: usize) -> ConnKey {
        ConnKey::new(i, 1)
    }

    #[test]
    fn pill_is_behind_messages_and_not_counted() {
        let mut ps = Pipes::default();
        let k = ps.insert(false, false);
        ps.push_out(k, Message::from("a"));
        ps.push_eof_once(k);
        ps.push_eof_once(k);
        let p = ps.get(k).unwrap();
        assert_eq!(p.out_msgs(), 1);
        assert!(!p.has_room(1));
        let mut staged = VecDeque::new();
        assert!(ps.take_out(k, &mut staged));
        assert_eq!(
            staged,
            VecDeque::from([Item::Msg(Message::from("a")), Item::Eof])
        );
        assert!(ps.get(k).unwrap().has_room(1));
        assert!(!ps.get(k).unwrap().is_flushed());
        assert!(ps.output_done(k));
        assert!(ps.get(k).unwrap().is_flushed());
    }

    #[test]
    fn stale_keys_never_reach_a_new_occupant() {
        let mut ps = Pipes::default();
        let a = ps.insert(false, false);
        ps.remove(a);
        let b = ps.insert(false, false);
        assert_eq!(a.index(), b.index());
        assert!(ps.get(a).is_none());
        assert!(ps.get(b).is_some());
        assert_eq!(ps.clear_out(a), 0);
    }

    #[test]
    fn service_is_requested_on_the_edge_of_a_connected_pipe_only() {
        let mut ps = Pipes::default();
        let k = ps.insert(true, false);
        ps.push_out(k, Message::from("x"));
        assert!(!ps.take_ping(), "no connection: nothing to service");
        ps.link(k, Link::Conn(conn(3)), false);
        assert!(
            ps.take_ping(),
            "linking a pipe with output asks for service"
        );
        ps.push_out(k, Message::from("y"));
        assert!(!ps.take_ping(), "already scheduled");
        let visit = ps.take_service();
        assert_eq!(visit.len(), 1);
        assert_eq!(
            (visit[0].key, visit[0].conn, visit[0].may_read),
            (k, conn(3), true)
        );
        ps.push_out(k, Message::from("z"));
        assert!(ps.take_ping());
    }

    #[test]
    fn unlink_requeues_staged_items_in_order() {
        let mut ps = Pipes::default();
        let k = ps.insert(true, false);
        ps.link(k, Link::Conn(conn(1)), false);
        ps.push_out(k, Message::from("1"));
        ps.push_out(k, Message::from("2"));
        let mut staged = VecDeque::new();
        ps.take_out(k, &mut staged);
        ps.push_out(k, Message::from("3"));
        ps.unlink(k, staged);
        assert_eq!(ps.get(k).unwrap().out_msgs(), 3);
        let mut again = VecDeque::new();
        ps.take_out(k, &mut again);
        let bodies: Vec<_> = again
            .iter()
            .map(|i| match i {
                Item::Msg(m) => m.frames()[0].clone(),
                _ => Bytes::new(),
            })
            .collect();
        assert_eq!(bodies, ["1", "2", "3"]);
    }

    #[test]
    fn input_pauses_at_hwm_and_resumes_at_half() {
        let mut ps = Pipes::default();
        let k = ps.insert(false, false);
        ps.link(k, Link::Conn(conn(1)), false);
        ps.take_ping();
        ps.take_service();
        assert_eq!(ps.in_room(k, 4), 4);
        ps.push_in(k, (0..4).map(|i| Item::Msg(Message::from(format!("{i}")))));
        assert_eq!(ps.in_room(k, 4), 0);
        ps.pop_in(k, 4);
        assert!(!ps.take_ping(), "3 left of 4: not yet half");
        ps.pop_in(k, 4);
        assert!(ps.take_ping(), "drained to half: resume");
        let visit = ps.take_service();
        assert_eq!(
            (visit[0].key, visit[0].may_read, visit[0].close),
            (k, true, None)
        );
    }

    #[test]
    fn conflate_keeps_only_the_newest_message() {
        let mut ps = Pipes::default();
        let k = ps.insert(false, true);
        ps.push_out(k, Message::from("a"));
        ps.push_out(k, Message::from("b"));
        assert_eq!(ps.conflated(), 1);
        assert_eq!(ps.get(k).unwrap().out_msgs(), 1);
        ps.push_in(
            k,
            ["x", "y", "z"]
                .into_iter()
                .map(|s| Item::Msg(Message::from(s))),
        );
        assert_eq!(ps.conflated(), 3);
        assert_eq!(ps.pop_in(k, 1), Some(Item::Msg(Message::from("z"))));
    }

    #[test]
    fn retired_pipe_stays_until_its_input_is_read() {
        let mut ps = Pipes::default();
        let k = ps.insert(false, false);
        ps.push_in(k, [Item::Msg(Message::from("last")), Item::Eof].into_iter());
        ps.push_out(k, Message::from("unsent"));
        assert_eq!(ps.retire(k), 1);
        assert!(ps.contains(k));
        ps.pop_in(k, 10);
        ps.pop_in(k, 10);
        assert!(ps.get(k).unwrap().routing_id().is_none(), "still readable");
        ps.reap();
        assert!(!ps.contains(k));
        assert!(ps.any_finished());
    }
}
