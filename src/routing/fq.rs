//! Fair-queued receive: peers with input take turns, one whole message each.

use super::State;
use crate::pipe::Item;

/// Note that `key` has input (idempotent).
pub(crate) fn activate(state: &mut State, key: usize) {
    if let Some(p) = state.peers.get_mut(key) {
        if !p.in_ring && !p.inq.is_empty() {
            p.in_ring = true;
            state.in_ring.push_back(key);
        }
    }
}

/// What [`recv`] took, and from whom.
#[derive(Debug)]
pub(crate) struct Taken {
    /// The item.
    pub(crate) item: Item,
    /// The peer it came from.
    pub(crate) key: usize,
    /// The peer's routing id at the time.
    pub(crate) routing_id: Option<bytes::Bytes>,
    /// The engine paused reading this peer and must be told to resume.
    pub(crate) resume: bool,
}

/// Take the next item in fair order. A peer goes to the back of the ring
/// after each item.
pub(crate) fn recv(state: &mut State, recv_hwm: usize) -> Option<Taken> {
    while let Some(key) = state.in_ring.pop_front() {
        let Some(peer) = state.peers.get_mut(key) else {
            continue;
        };
        let Some(item) = peer.inq.pop_front() else {
            peer.in_ring = false;
            continue;
        };
        if peer.inq.is_empty() {
            peer.in_ring = false;
        } else {
            state.in_ring.push_back(key);
        }
        // Resume reading once the pipe has drained to half its mark, so the
        // engine is not woken for every single message.
        let resume = peer.read_paused && peer.inq.len() <= recv_hwm / 2;
        if resume {
            peer.read_paused = false;
        }
        if matches!(item, Item::Eof) {
            peer.finished = true;
        }
        let routing_id = peer.routing_id.clone();
        if peer.gone {
            state.remove_if_done(key);
        }
        return Some(Taken {
            item,
            key,
            routing_id,
            resume,
        });
    }
    None
}

/// When exactly one peer has input, fairness has nothing to arbitrate: move
/// up to `max` items from that peer into `out` in one go. Returns the peer's
/// key, routing id, and whether the engine must resume reading it; `None`
/// (and nothing taken) when zero or several peers have input.
pub(crate) fn recv_run(
    state: &mut State,
    recv_hwm: usize,
    max: usize,
    out: &mut Vec<Item>,
) -> Option<(usize, Option<bytes::Bytes>, bool)> {
    if state.in_ring.len() != 1 {
        return None;
    }
    let key = *state.in_ring.front()?;
    let peer = state.peers.get_mut(key)?;
    let start = out.len();
    let n = max.min(peer.inq.len());
    out.extend(peer.inq.drain(..n));
    if peer.inq.is_empty() {
        peer.in_ring = false;
        state.in_ring.clear();
    }
    if out[start..].iter().any(|i| matches!(i, Item::Eof)) {
        peer.finished = true;
    }
    let resume = peer.read_paused && peer.inq.len() <= recv_hwm / 2;
    if resume {
        peer.read_paused = false;
    }
    let routing_id = peer.routing_id.clone();
    if peer.gone {
        state.remove_if_done(key);
    }
    Some((key, routing_id, resume))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::pipe::Peer;

    #[test]
    fn run_from_a_single_peer_keeps_order_and_state() {
        let mut s = State::default();
        let a = s.peers.insert(Peer::new(false));
        for i in 0..5 {
            s.peers[a]
                .inq
                .push_back(Item::Msg(Message::from(format!("m{i}"))));
        }
        s.peers[a].inq.push_back(Item::Eof);
        s.peers[a].read_paused = true;
        activate(&mut s, a);
        let mut out = Vec::new();
        let (key, _, resume) = recv_run(&mut s, 8, 3, &mut out).unwrap();
        assert_eq!((key, out.len(), resume), (a, 3, true));
        assert_eq!(out[0], Item::Msg(Message::from("m0")));
        assert!(!s.peers[a].finished);
        recv_run(&mut s, 8, 10, &mut out).unwrap();
        assert_eq!(out.len(), 6);
        assert_eq!(out[5], Item::Eof);
        assert!(s.peers[a].finished);
        assert!(s.in_ring.is_empty());
        // Two peers with input: not a run; fair order applies.
        let b = s.peers.insert(Peer::new(false));
        s.peers[a].inq.push_back(Item::Msg(Message::from("x")));
        s.peers[b].inq.push_back(Item::Msg(Message::from("y")));
        activate(&mut s, a);
        activate(&mut s, b);
        assert!(recv_run(&mut s, 8, 10, &mut out).is_none());
        assert_eq!(out.len(), 6);
    }

    #[test]
    fn busy_peer_cannot_starve_quiet_one() {
        let mut s = State::default();
        let busy = s.peers.insert(Peer::new(false));
        let quiet = s.peers.insert(Peer::new(false));
        for i in 0..10 {
            s.peers[busy]
                .inq
                .push_back(Item::Msg(Message::from(format!("b{i}"))));
        }
        activate(&mut s, busy);
        s.peers[quiet].inq.push_back(Item::Msg(Message::from("q")));
        activate(&mut s, quiet);
        let first = recv(&mut s, 1000).unwrap();
        let second = recv(&mut s, 1000).unwrap();
        assert_eq!(first.key, busy);
        assert_eq!(second.key, quiet);
    }
}
