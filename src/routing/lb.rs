//! Round-robin load balancing for PUSH and DEALER sends.

use super::State;
use crate::message::Message;

/// Add a peer to the send ring (idempotent).
pub(crate) fn add(state: &mut State, key: usize) {
    if !state.out_ring.contains(&key) {
        state.out_ring.push(key);
    }
}

/// Remove a peer from the send ring, keeping the cursor fair.
pub(crate) fn remove(state: &mut State, key: usize) {
    if let Some(pos) = state.out_ring.iter().position(|&k| k == key) {
        state.out_ring.remove(pos);
        if pos < state.out_cursor {
            state.out_cursor -= 1;
        }
        if state.out_cursor >= state.out_ring.len() {
            state.out_cursor = 0;
        }
    }
}

/// Queue `msg` on the next peer, in turn, whose pipe has room. Returns the
/// peer's key, or the message back when every pipe is full (or there is no
/// peer).
pub(crate) fn send(state: &mut State, hwm: usize, msg: Message) -> Result<usize, Message> {
    let n = state.out_ring.len();
    for i in 0..n {
        let idx = (state.out_cursor + i) % n;
        let key = state.out_ring[idx];
        let Some(peer) = state.peers.get_mut(key) else {
            continue;
        };
        if peer.gone || peer.out_full(hwm) {
            continue;
        }
        peer.push_out(msg);
        state.out_cursor = (idx + 1) % n;
        return Ok(key);
    }
    Err(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::Peer;

    #[test]
    fn round_robin_skips_full_pipes() {
        let mut s = State::default();
        let a = s.peers.insert(Peer::new(true));
        let b = s.peers.insert(Peer::new(true));
        add(&mut s, a);
        add(&mut s, b);
        assert_eq!(send(&mut s, 2, Message::from("1")), Ok(a));
        assert_eq!(send(&mut s, 2, Message::from("2")), Ok(b));
        assert_eq!(send(&mut s, 2, Message::from("3")), Ok(a));
        // a is full (2), b has room for one more.
        assert_eq!(send(&mut s, 2, Message::from("4")), Ok(b));
        assert!(send(&mut s, 2, Message::from("5")).is_err());
        remove(&mut s, a);
        assert_eq!(s.out_ring, vec![b]);
    }
}
