//! ROUTER: the routing-id table, addressed sends and id assignment.

use super::State;
use crate::error::Error;
use crate::message::Message;
use bytes::{BufMut, Bytes, BytesMut};

/// Why a peer's announced routing id was refused (its connection is closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadRoutingId {
    /// First byte zero: reserved for generated ids.
    LeadingZero,
    /// Longer than 255 bytes.
    TooLong,
    /// Another connected peer already uses it.
    Duplicate,
}

impl BadRoutingId {
    /// Human-readable reason.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            BadRoutingId::LeadingZero => "routing id starts with a zero byte",
            BadRoutingId::TooLong => "routing id longer than 255 bytes",
            BadRoutingId::Duplicate => "routing id already in use on this ROUTER",
        }
    }
}

/// Give peer `key` its routing id: the one it announced, or a generated
/// `00` + u32 one (as libzmq does) when it announced none.
pub(crate) fn assign_id(
    state: &mut State,
    key: usize,
    announced: Option<Bytes>,
) -> Result<Bytes, BadRoutingId> {
    let id = match announced {
        Some(id) => {
            if id.first() == Some(&0) {
                return Err(BadRoutingId::LeadingZero);
            }
            if id.len() > 255 {
                return Err(BadRoutingId::TooLong);
            }
            if state.routes.contains_key(&id) {
                return Err(BadRoutingId::Duplicate);
            }
            id
        }
        None => loop {
            let n = state.next_generated_id;
            state.next_generated_id = n.wrapping_add(1);
            let mut b = BytesMut::with_capacity(5);
            b.put_u8(0);
            b.put_u32(n);
            let id = b.freeze();
            if !state.routes.contains_key(&id) {
                break id;
            }
        },
    };
    state.routes.insert(id.clone(), key);
    if let Some(p) = state.peers.get_mut(key) {
        p.routing_id = Some(id.clone());
    }
    Ok(id)
}

/// Stop routing to a peer's id (it may be taken by another peer now). The
/// peer keeps the id as a label: messages it sent before it went, still
/// queued, are delivered with it.
pub(crate) fn release_id(state: &mut State, key: usize) {
    if let Some(id) = state.peers.get(key).and_then(|p| p.routing_id.clone()) {
        if state.routes.get(&id) == Some(&key) {
            state.routes.remove(&id);
        }
    }
}

/// Route `msg` by its first frame. `Ok(Some(key))`: queued for that peer;
/// `Ok(None)`: dropped and counted; `Err`: refused (router-mandatory).
pub(crate) fn send(
    state: &mut State,
    hwm: usize,
    mandatory: bool,
    mut msg: Message,
) -> Result<Option<usize>, (Error, Message)> {
    let target = msg.first().and_then(|id| state.routes.get(id).copied());
    let Some(key) = target else {
        if mandatory {
            return Err((Error::HostUnreachable, msg));
        }
        state.stats.dropped_unroutable += 1;
        return Ok(None);
    };
    let Some(peer) = state.peers.get_mut(key) else {
        state.stats.dropped_unroutable += 1;
        return Ok(None);
    };
    if peer.out_full(hwm) {
        if mandatory {
            return Err((Error::WouldBlock, msg));
        }
        state.stats.dropped_full += 1;
        return Ok(None);
    }
    msg.pop_front();
    peer.push_out(msg);
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::Peer;

    #[test]
    fn ids_are_honoured_generated_and_checked() {
        let mut s = State::default();
        let a = s.peers.insert(Peer::new(false));
        let b = s.peers.insert(Peer::new(false));
        let c = s.peers.insert(Peer::new(false));
        assert_eq!(
            assign_id(&mut s, a, Some(Bytes::from_static(b"me"))).unwrap(),
            "me"
        );
        assert_eq!(
            assign_id(&mut s, b, Some(Bytes::from_static(b"me"))),
            Err(BadRoutingId::Duplicate)
        );
        assert_eq!(
            assign_id(&mut s, b, Some(Bytes::from_static(b"\0x"))),
            Err(BadRoutingId::LeadingZero)
        );
        assert_eq!(
            assign_id(&mut s, b, Some(Bytes::from(vec![1u8; 256]))),
            Err(BadRoutingId::TooLong)
        );
        let gen = assign_id(&mut s, c, None).unwrap();
        assert_eq!(gen.len(), 5);
        assert_eq!(gen[0], 0);
    }

    #[test]
    fn unknown_and_full_are_dropped_and_counted_or_refused() {
        let mut s = State::default();
        let a = s.peers.insert(Peer::new(false));
        assign_id(&mut s, a, Some(Bytes::from_static(b"a"))).unwrap();
        assert_eq!(
            send(&mut s, 1, false, Message::multipart(["zz", "x"])).unwrap(),
            None
        );
        assert_eq!(s.stats.dropped_unroutable, 1);
        let e = send(&mut s, 1, true, Message::multipart(["zz", "x"])).unwrap_err();
        assert!(matches!(e.0, Error::HostUnreachable));
        assert_eq!(
            send(&mut s, 1, false, Message::multipart(["a", "x"])).unwrap(),
            Some(a)
        );
        assert_eq!(s.peers[a].out.len(), 1);
        assert_eq!(
            send(&mut s, 1, false, Message::multipart(["a", "y"])).unwrap(),
            None
        );
        assert_eq!(s.stats.dropped_full, 1);
        let e = send(&mut s, 1, true, Message::multipart(["a", "y"])).unwrap_err();
        assert!(matches!(e.0, Error::WouldBlock));
    }
}
