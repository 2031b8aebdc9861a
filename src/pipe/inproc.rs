//! The inproc side of [`Pipes`]: a pipe carried by an inproc wire sends
//! into its [`Lane`](super::Lane) (its own outgoing queue stays empty once
//! linked) and takes its input from the peer's lane when the application
//! runs dry, under this socket's lock only.

use super::{InprocTask, InprocTasks, InprocWire, Item, Link, PipeKey, Pipes};
use crate::message::Message;
use std::sync::Arc;

/// `try_push_out` for a pipe on an inproc wire: into the lane, if it is
/// below `hwm`. The first item into an empty lane is delivered by the
/// sender itself when a receiver sleeps; a full lane asks the receiving
/// side once to take what its own HWM allows (so the limit is the sum of
/// both HWMs, as in libzmq).
#[allow(clippy::too_many_arguments)]
pub(super) fn push_msg(
    gone: bool,
    conflate: bool,
    wire: &Arc<dyn InprocWire>,
    side: usize,
    hwm: usize,
    msg: Message,
    tasks: &mut InprocTasks,
    conflated: &mut u64,
) -> Result<(), Message> {
    if gone {
        return Err(msg);
    }
    let lane = wire.lane(side);
    let was_empty = if conflate {
        let (dropped, was_empty) = lane.replace_msgs(Item::Msg(msg));
        *conflated += dropped as u64;
        was_empty
    } else {
        if !lane.has_room(hwm) {
            if lane.ask() {
                tasks.push(InprocTask::Deliver(wire.clone(), side));
            }
            return Err(msg);
        }
        lane.push(Item::Msg(msg))
    };
    if was_empty && wire.offer(side) {
        tasks.push(InprocTask::Deliver(wire.clone(), side));
    }
    Ok(())
}

impl Pipes {
    /// Set what carries the pipe, keeping the list of inproc pipes.
    pub(super) fn set_link(&mut self, key: PipeKey, link: Link) {
        let Some(p) = self.get_mut(key) else {
            return;
        };
        let inproc = matches!(link, Link::Inproc { .. });
        p.link = link;
        let listed = self.inproc_keys.iter().position(|&k| k == key);
        match (inproc, listed) {
            (true, None) => self.inproc_keys.push(key),
            (false, Some(i)) => {
                self.inproc_keys.swap_remove(i);
            }
            _ => {}
        }
    }

    /// Does an inproc wire carry any pipe?
    pub(crate) fn has_inproc(&self) -> bool {
        !self.inproc_keys.is_empty()
    }

    /// The pipes an inproc wire carries.
    pub(crate) fn inproc_keys(&self) -> &[PipeKey] {
        &self.inproc_keys
    }

    /// An inproc pipe's queue (what was queued before the wire came, a
    /// pill, subscriptions) moves into its lane. Control items are
    /// delivered at once: a publisher must learn of a subscription without
    /// calling `recv`.
    pub(super) fn flush_to_lane(&mut self, key: PipeKey) {
        let Some(p) = self.get_mut(key) else {
            return;
        };
        let Link::Inproc { wire, side } = &p.link else {
            return;
        };
        if p.out.is_empty() {
            return;
        }
        let ctl = p.out.iter().any(|i| !i.is_msg());
        let was_empty = wire.lane(*side).push_all(p.out.drain(..));
        p.out_msgs = 0;
        let (wire, side) = (wire.clone(), *side);
        if ctl || (was_empty && wire.offer(side)) {
            self.inproc.push(InprocTask::Deliver(wire, side));
        }
    }

    /// Does the peer of some inproc pipe have items queued for us, and
    /// the pipe room for them under `hwm`?
    pub(crate) fn inproc_waiting(&self, hwm: usize) -> bool {
        self.inproc_keys.iter().any(|&k| {
            self.get(k).is_some_and(|p| {
                (p.conflate || p.inq.len() < hwm)
                    && p.inproc()
                        .is_some_and(|(w, side)| !w.lane(1 - side).is_empty())
            })
        })
    }

    /// Messages the peers of inproc pipes queued for us (unread at close).
    pub(crate) fn inproc_incoming_msgs(&self) -> usize {
        self.inproc_keys
            .iter()
            .filter_map(|&k| self.get(k).and_then(|p| p.inproc()))
            .map(|(w, side)| w.lane(1 - side).msgs())
            .sum()
    }

    /// Take from the peer's lane of inproc pipe `key` into `buf`: all of it
    /// with `all` (the wire is being cut), else what fits under `hwm`. A
    /// peer that waited for room is woken (a task). False when nothing
    /// came.
    pub(crate) fn take_from_lane(
        &mut self,
        key: PipeKey,
        hwm: usize,
        all: bool,
        buf: &mut Vec<Item>,
    ) -> bool {
        let room = if all {
            usize::MAX
        } else {
            self.in_room(key, hwm)
        };
        let Some((wire, side)) = self.get(key).and_then(|p| p.inproc()) else {
            return false;
        };
        let (wire, from) = (wire.clone(), 1 - side);
        let start = buf.len();
        if wire.lane(from).take(room, buf) {
            self.inproc.push(InprocTask::WakeSender(wire, from));
        }
        buf.len() > start
    }

    /// The scratch buffer for [`take_from_lane`](Self::take_from_lane)
    /// (hand it back with [`put_lane_buf`](Self::put_lane_buf)).
    pub(crate) fn take_lane_buf(&mut self) -> Vec<Item> {
        std::mem::take(&mut self.lane_buf)
    }

    /// Return the (emptied) scratch buffer, keeping its capacity.
    pub(crate) fn put_lane_buf(&mut self, buf: Vec<Item>) {
        debug_assert!(buf.is_empty());
        self.lane_buf = buf;
    }
}
