//! Fair-queued receive: pipes with input take turns, one whole message each,
//! so one busy peer cannot starve a quiet one (libzmq's `fq`).

use super::{Item, PipeKey, Pipes};
use std::collections::VecDeque;

/// The ring of pipes with input. Membership is the pipe's `fq_listed` flag,
/// which only this type touches.
#[derive(Debug, Default)]
pub(crate) struct FairQueue {
    ring: VecDeque<PipeKey>,
}

impl FairQueue {
    /// Note that `key` may have input (idempotent).
    pub(crate) fn activate(&mut self, pipes: &mut Pipes, key: PipeKey) {
        if let Some(p) = pipes.get_mut(key) {
            if !p.fq_listed && !p.inq.is_empty() {
                p.fq_listed = true;
                self.ring.push_back(key);
            }
        }
    }

    /// No pipe is listed. (A listed pipe may have lost its input since,
    /// e.g. a stale pill dropped at reconnection: see
    /// [`has_input`](Self::has_input).)
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Does some listed pipe really have input? (Readiness must not be
    /// spurious.)
    pub(crate) fn has_input(&self, pipes: &Pipes) -> bool {
        self.ring
            .iter()
            .any(|&k| pipes.get(k).is_some_and(|p| !p.inq.is_empty()))
    }

    /// Take the next item in fair order; a pipe goes to the back of the ring
    /// after each item.
    pub(crate) fn next(&mut self, pipes: &mut Pipes, hwm: usize) -> Option<(PipeKey, Item)> {
        while let Some(key) = self.ring.pop_front() {
            let Some(p) = pipes.get_mut(key) else {
                continue;
            };
            if p.inq.is_empty() {
                p.fq_listed = false;
                continue;
            }
            if p.inq.len() == 1 {
                p.fq_listed = false;
            } else {
                self.ring.push_back(key);
            }
            let item = pipes.pop_in(key, hwm)?;
            return Some((key, item));
        }
        None
    }

    /// When exactly one pipe has input, fairness has nothing to arbitrate:
    /// move up to `max` of its items into `out` in one go and return its key.
    /// `None` (nothing taken) when zero or several pipes have input.
    pub(crate) fn run(
        &mut self,
        pipes: &mut Pipes,
        hwm: usize,
        max: usize,
        out: &mut Vec<Item>,
    ) -> Option<PipeKey> {
        if self.ring.len() != 1 {
            return None;
        }
        let key = *self.ring.front()?;
        pipes.drain_in(key, hwm, max, out);
        match pipes.get_mut(key) {
            Some(p) if !p.inq.is_empty() => {}
            Some(p) => {
                p.fq_listed = false;
                self.ring.clear();
            }
            None => self.ring.clear(),
        }
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn msg(s: &str) -> Item {
        Item::Msg(Message::from(s.to_owned()))
    }

    #[test]
    fn busy_peer_cannot_starve_quiet_one() {
        let mut ps = Pipes::default();
        let mut fq = FairQueue::default();
        let busy = ps.insert(false, false);
        let quiet = ps.insert(false, false);
        ps.push_in(busy, (0..10).map(|i| msg(&format!("b{i}"))));
        fq.activate(&mut ps, busy);
        ps.push_in(quiet, [msg("q")].into_iter());
        fq.activate(&mut ps, quiet);
        assert_eq!(fq.next(&mut ps, 100).unwrap().0, busy);
        assert_eq!(fq.next(&mut ps, 100).unwrap().0, quiet);
        assert_eq!(fq.next(&mut ps, 100).unwrap().0, busy);
    }

    #[test]
    fn run_from_a_single_peer_keeps_order_and_state() {
        let mut ps = Pipes::default();
        let mut fq = FairQueue::default();
        let a = ps.insert(false, false);
        ps.push_in(a, (0..5).map(|i| msg(&format!("m{i}"))));
        ps.push_in(a, [Item::Eof].into_iter());
        fq.activate(&mut ps, a);
        let mut out = Vec::new();
        assert_eq!(fq.run(&mut ps, 8, 3, &mut out), Some(a));
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], msg("m0"));
        assert!(!ps.get(a).unwrap().is_finished());
        fq.run(&mut ps, 8, 10, &mut out);
        assert_eq!(out.len(), 6);
        assert_eq!(out[5], Item::Eof);
        assert!(ps.get(a).unwrap().is_finished());
        assert!(fq.is_empty());
        // Two pipes with input: not a run.
        let b = ps.insert(false, false);
        ps.push_in(a, [msg("x")].into_iter());
        ps.push_in(b, [msg("y")].into_iter());
        fq.activate(&mut ps, a);
        fq.activate(&mut ps, b);
        assert!(fq.run(&mut ps, 8, 10, &mut out).is_none());
        assert_eq!(out.len(), 6);
    }
}
