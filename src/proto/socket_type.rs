//! Socket types, their wire names and which pairs may talk (RFC 23/37).

/// The kind of a socket: it decides how messages are routed.
///
/// ```
/// use ferromq::SocketType;
/// assert_eq!(SocketType::Dealer.name(), "DEALER");
/// assert!(SocketType::Dealer.is_compatible(SocketType::Router));
/// assert!(!SocketType::Push.is_compatible(SocketType::Push));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Sends round-robin to connected PULL peers; never receives.
    Push,
    /// Fair-queues messages from connected PUSH peers; never sends.
    Pull,
    /// Round-robin out, fair-queued in, nothing added to messages.
    Dealer,
    /// Prepends the sender's routing id to each received message; routes each
    /// sent message by its first frame.
    Router,
}

impl SocketType {
    /// The exact name used in the ZMTP `Socket-Type` property.
    pub fn name(self) -> &'static str {
        match self {
            SocketType::Push => "PUSH",
            SocketType::Pull => "PULL",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
        }
    }

    /// Parse a `Socket-Type` value (exact case, as libzmq compares it).
    /// Returns `None` for types ferromq does not implement yet.
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        match name {
            b"PUSH" => Some(SocketType::Push),
            b"PULL" => Some(SocketType::Pull),
            b"DEALER" => Some(SocketType::Dealer),
            b"ROUTER" => Some(SocketType::Router),
            _ => None,
        }
    }

    /// May a socket of this type talk to one of `peer`'s type?
    pub fn is_compatible(self, peer: SocketType) -> bool {
        Self::compatible_name(self, peer.name().as_bytes())
    }

    /// Compatibility against a peer's `Socket-Type` as sent on the wire,
    /// including types ferromq does not implement (e.g. a DEALER may talk to a
    /// libzmq REP).
    pub(crate) fn compatible_name(self, peer: &[u8]) -> bool {
        match self {
            SocketType::Push => peer == b"PULL",
            SocketType::Pull => peer == b"PUSH",
            SocketType::Dealer => matches!(peer, b"REP" | b"DEALER" | b"ROUTER"),
            SocketType::Router => matches!(peer, b"REQ" | b"DEALER" | b"ROUTER"),
        }
    }

    /// Does this type send the `Identity` property in READY? (libzmq: only
    /// REQ, DEALER and ROUTER, even when empty.)
    pub(crate) fn sends_identity(self) -> bool {
        matches!(self, SocketType::Dealer | SocketType::Router)
    }

    /// Can this socket type send messages?
    pub(crate) fn can_send(self) -> bool {
        !matches!(self, SocketType::Pull)
    }

    /// Can this socket type receive messages?
    pub(crate) fn can_recv(self) -> bool {
        !matches!(self, SocketType::Push)
    }

    /// Does it read peers' routing ids (ROUTER)?
    pub(crate) fn uses_routing_ids(self) -> bool {
        matches!(self, SocketType::Router)
    }
}

impl std::fmt::Display for SocketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SocketType; 4] = [
        SocketType::Push,
        SocketType::Pull,
        SocketType::Dealer,
        SocketType::Router,
    ];

    #[test]
    fn compatibility_is_symmetric_among_implemented_types() {
        for a in ALL {
            for b in ALL {
                assert_eq!(a.is_compatible(b), b.is_compatible(a), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn valid_pairs_exactly() {
        let valid = [
            (SocketType::Push, SocketType::Pull),
            (SocketType::Dealer, SocketType::Dealer),
            (SocketType::Dealer, SocketType::Router),
            (SocketType::Router, SocketType::Router),
        ];
        for a in ALL {
            for b in ALL {
                let expect = valid.contains(&(a, b)) || valid.contains(&(b, a));
                assert_eq!(a.is_compatible(b), expect, "{a} vs {b}");
            }
        }
        assert!(SocketType::Dealer.compatible_name(b"REP"));
        assert!(SocketType::Router.compatible_name(b"REQ"));
        assert!(!SocketType::Pull.compatible_name(b"push"));
    }

    #[test]
    fn names_round_trip() {
        for t in ALL {
            assert_eq!(SocketType::from_name(t.name().as_bytes()), Some(t));
        }
    }
}
