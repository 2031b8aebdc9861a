//! Round-robin load balancing over pipes with room (libzmq's `lb`): PUSH,
//! DEALER and REQ sends.

use super::{PipeKey, Pipes};
use crate::message::Message;

/// The pipes a socket may send to, and whose turn is next.
#[derive(Debug, Default)]
pub(crate) struct LoadBalancer {
    ring: Vec<PipeKey>,
    cursor: usize,
}

impl LoadBalancer {
    /// Add a pipe (idempotent).
    pub(crate) fn add(&mut self, key: PipeKey) {
        if !self.ring.contains(&key) {
            self.ring.push(key);
        }
    }

    /// Remove a pipe, keeping the turn order fair.
    pub(crate) fn remove(&mut self, key: PipeKey) {
        if let Some(pos) = self.ring.iter().position(|&k| k == key) {
            self.ring.remove(pos);
            if pos < self.cursor {
                self.cursor -= 1;
            }
            if self.cursor >= self.ring.len() {
                self.cursor = 0;
            }
        }
    }

    /// The next pipe in turn whose queue is below `hwm`, without queueing.
    pub(crate) fn pick(&self, pipes: &Pipes, hwm: usize) -> Option<(usize, PipeKey)> {
        let n = self.ring.len();
        (0..n).find_map(|i| {
            let idx = (self.cursor + i) % n;
            let key = *self.ring.get(idx)?;
            pipes
                .get(key)
                .filter(|p| p.has_room(hwm))
                .map(|_| (idx, key))
        })
    }

    /// Queue `msg` on the next pipe in turn whose queue is below `hwm`.
    /// Returns that pipe, or the message back when every pipe is full (or
    /// there is none).
    pub(crate) fn send(
        &mut self,
        pipes: &mut Pipes,
        hwm: usize,
        mut msg: Message,
    ) -> Result<PipeKey, Message> {
        let n = self.ring.len();
        let mut idx = self.cursor;
        for _ in 0..n {
            if idx >= n {
                idx = 0;
            }
            let Some(&key) = self.ring.get(idx) else {
                break;
            };
            match pipes.try_push_out(key, hwm, msg) {
                Ok(()) => {
                    // libzmq's lb: the next turn is the next pipe, wrapping.
                    self.cursor = if idx + 1 == n { 0 } else { idx + 1 };
                    return Ok(key);
                }
                Err(m) => msg = m,
            }
            idx += 1;
        }
        Err(msg)
    }

    /// Could [`send`](Self::send) queue a message now?
    pub(crate) fn writable(&self, pipes: &Pipes, hwm: usize) -> bool {
        self.pick(pipes, hwm).is_some()
    }

    /// The pipes, in ring order.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> &[PipeKey] {
        &self.ring
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_skips_full_pipes() {
        let mut ps = Pipes::default();
        let mut lb = LoadBalancer::default();
        let a = ps.insert(true, false);
        let b = ps.insert(true, false);
        lb.add(a);
        lb.add(b);
        lb.add(a);
        assert_eq!(lb.send(&mut ps, 2, Message::from("1")), Ok(a));
        assert_eq!(lb.send(&mut ps, 2, Message::from("2")), Ok(b));
        assert_eq!(lb.send(&mut ps, 2, Message::from("3")), Ok(a));
        // a is full (2), b has room for one more.
        assert_eq!(lb.send(&mut ps, 2, Message::from("4")), Ok(b));
        assert!(lb.send(&mut ps, 2, Message::from("5")).is_err());
        assert!(!lb.writable(&ps, 2));
        lb.remove(a);
        assert_eq!(lb.keys(), &[b]);
    }
}
