//! Socket types, their wire names and which pairs may talk (RFC 28, 29, 31,
//! 37 and libzmq's `mechanism.cpp`). What each type *does* lives in
//! `src/pattern/`.

/// The kind of a socket: it decides how messages are routed.
///
/// | type | talks to | send | receive |
/// |---|---|---|---|
/// | `Push` | PULL | round-robin | — |
/// | `Pull` | PUSH | — | fair-queued |
/// | `Req` | REP, ROUTER | round-robin, then wait for the reply | the reply, from the peer asked |
/// | `Rep` | REQ, DEALER | the reply, to the requester | fair-queued requests |
/// | `Dealer` | DEALER, ROUTER, REP | round-robin | fair-queued |
/// | `Router` | DEALER, ROUTER, REQ | to the peer named by the first frame | fair-queued, sender's id first |
/// | `Pub` | SUB, XSUB | to every matching subscriber | — |
/// | `Sub` | PUB, XPUB | — | matching messages, fair-queued |
/// | `XPub` | SUB, XSUB | as PUB | subscriptions (`0x01`/`0x00` + topic) |
/// | `XSub` | PUB, XPUB | subscriptions and upstream messages | fair-queued |
/// | `Pair` | PAIR | to its one peer | from its one peer |
///
/// ```
/// use ferromq::SocketType;
/// assert_eq!(SocketType::Dealer.name(), "DEALER");
/// assert!(SocketType::Dealer.is_compatible(SocketType::Router));
/// assert!(SocketType::Req.is_compatible(SocketType::Rep));
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
    /// Sends a request and must receive its reply before sending again.
    Req,
    /// Receives a request and must send its reply before receiving again.
    Rep,
    /// Publishes each message to every subscriber whose subscription is a
    /// prefix of its first frame; never receives, never blocks.
    Pub,
    /// Receives the messages of the topics it subscribed to.
    Sub,
    /// A PUB that also receives its subscribers' subscriptions as messages.
    XPub,
    /// A SUB that subscribes by sending messages and may send upstream.
    XSub,
    /// Talks to exactly one PAIR peer.
    Pair,
}

/// Every socket type (the same as [`SocketType::ALL`]).
pub(crate) const ALL_TYPES: [SocketType; 11] = [
    SocketType::Push,
    SocketType::Pull,
    SocketType::Dealer,
    SocketType::Router,
    SocketType::Req,
    SocketType::Rep,
    SocketType::Pub,
    SocketType::Sub,
    SocketType::XPub,
    SocketType::XSub,
    SocketType::Pair,
];

impl SocketType {
    /// Every socket type, in a fixed order.
    ///
    /// ```
    /// use ferromq::SocketType;
    /// assert_eq!(SocketType::ALL.len(), 11);
    /// assert!(SocketType::ALL.contains(&SocketType::XPub));
    /// ```
    pub const ALL: [SocketType; 11] = ALL_TYPES;

    /// The exact name used in the ZMTP `Socket-Type` property.
    pub fn name(self) -> &'static str {
        match self {
            SocketType::Push => "PUSH",
            SocketType::Pull => "PULL",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Pair => "PAIR",
        }
    }

    /// Parse a `Socket-Type` value (exact case, as libzmq compares it).
    /// Returns `None` for types ferromq does not implement.
    ///
    /// ```
    /// use ferromq::SocketType;
    /// assert_eq!(SocketType::from_name(b"XPUB"), Some(SocketType::XPub));
    /// assert_eq!(SocketType::from_name(b"pub"), None);
    /// ```
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        ALL_TYPES.into_iter().find(|t| t.name().as_bytes() == name)
    }

    /// May a socket of this type talk to one of `peer`'s type?
    pub fn is_compatible(self, peer: SocketType) -> bool {
        Self::compatible_name(self, peer.name().as_bytes())
    }

    /// Compatibility against a peer's `Socket-Type` as sent on the wire
    /// (libzmq's table; RFC 37 agrees).
    pub(crate) fn compatible_name(self, peer: &[u8]) -> bool {
        match self {
            SocketType::Push => peer == b"PULL",
            SocketType::Pull => peer == b"PUSH",
            SocketType::Dealer => matches!(peer, b"REP" | b"DEALER" | b"ROUTER"),
            SocketType::Router => matches!(peer, b"REQ" | b"DEALER" | b"ROUTER"),
            SocketType::Req => matches!(peer, b"REP" | b"ROUTER"),
            SocketType::Rep => matches!(peer, b"REQ" | b"DEALER"),
            SocketType::Pub | SocketType::XPub => matches!(peer, b"SUB" | b"XSUB"),
            SocketType::Sub | SocketType::XSub => matches!(peer, b"PUB" | b"XPUB"),
            SocketType::Pair => peer == b"PAIR",
        }
    }

    /// Does this type send the `Identity` property in READY? (libzmq: only
    /// REQ, DEALER and ROUTER, even when empty.)
    pub(crate) fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Dealer | SocketType::Router | SocketType::Req
        )
    }

    /// A second `connect` to an endpoint this socket is already connected
    /// to is a silent no-op (libzmq's `is_single_connect`).
    pub(crate) fn single_connect(self) -> bool {
        matches!(
            self,
            SocketType::Dealer | SocketType::Sub | SocketType::Pub | SocketType::Req
        )
    }
}

impl std::fmt::Display for SocketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SocketType {
    type Err = crate::error::Error;

    /// Parse a type name, in any case: `"push"`, `"XPUB"`, `"Dealer"`.
    ///
    /// ```
    /// use ferromq::SocketType;
    /// assert_eq!("xsub".parse::<SocketType>().unwrap(), SocketType::XSub);
    /// assert!("stream".parse::<SocketType>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<SocketType, Self::Err> {
        ALL_TYPES
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or(crate::error::Error::InvalidOption {
                option: "socket type",
                reason:
                    "expected push, pull, req, rep, dealer, router, pub, sub, xpub, xsub or pair",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_is_symmetric() {
        for a in ALL_TYPES {
            for b in ALL_TYPES {
                assert_eq!(a.is_compatible(b), b.is_compatible(a), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn valid_pairs_exactly() {
        use SocketType::*;
        let valid = [
            (Push, Pull),
            (Dealer, Dealer),
            (Dealer, Router),
            (Dealer, Rep),
            (Router, Router),
            (Router, Req),
            (Req, Rep),
            (Pub, Sub),
            (Pub, XSub),
            (XPub, Sub),
            (XPub, XSub),
            (Pair, Pair),
        ];
        for a in ALL_TYPES {
            for b in ALL_TYPES {
                let expect = valid.contains(&(a, b)) || valid.contains(&(b, a));
                assert_eq!(a.is_compatible(b), expect, "{a} vs {b}");
            }
        }
        assert!(!SocketType::Pull.compatible_name(b"push"));
    }

    #[test]
    fn names_round_trip() {
        for t in ALL_TYPES {
            assert_eq!(SocketType::from_name(t.name().as_bytes()), Some(t));
            assert_eq!(t.name().to_lowercase().parse::<SocketType>().unwrap(), t);
        }
    }
}
