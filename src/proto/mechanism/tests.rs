//! Sans-IO tests of the mechanisms: two sessions joined in memory, with a
//! fixed random source, so a CURVE handshake is the same bytes every time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use super::*;
use crate::message::Message;
use crate::proto::session::{Event, Session, SessionConfig};
use crate::proto::socket_type::SocketType;
use crate::security::AuthDecision;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A deterministic random source (xorshift64*, seeded).
pub(crate) fn fixed_random(seed: u64) -> RandomFill {
    let state = Mutex::new(seed | 1);
    RandomFill::from_fn(move |buf: &mut [u8]| {
        let mut s = state.lock().unwrap();
        for b in buf.iter_mut() {
            *s ^= *s >> 12;
            *s ^= *s << 25;
            *s ^= *s >> 27;
            *b = (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
        }
    })
}

pub(crate) fn config(ty: SocketType, mechanism: MechanismConfig, seed: u64) -> SessionConfig {
    SessionConfig {
        socket_type: ty,
        routing_id: None,
        max_message_size: 1 << 20,
        handshake_timeout: Duration::from_secs(5),
        heartbeat: None,
        mechanism,
        authenticator: None,
        peer_address: "127.0.0.1".into(),
        random: fixed_random(seed),
    }
}

/// One end of an in-memory connection.
pub(crate) struct End {
    pub(crate) s: Session,
    pub(crate) events: Vec<Event>,
    pub(crate) error: Option<ProtoError>,
    /// Every byte this end sent.
    pub(crate) sent: Vec<u8>,
    /// Its last bytes went out (it writes once more after failing: an ERROR).
    done: bool,
}

impl End {
    pub(crate) fn new(cfg: SessionConfig, now: Instant) -> End {
        End {
            s: Session::new(cfg, now),
            events: Vec::new(),
            error: None,
            sent: Vec::new(),
            done: false,
        }
    }

    fn take_out(&mut self) -> Vec<u8> {
        if self.done {
            return Vec::new();
        }
        if self.error.is_some() {
            // What was queued before the failure (an ERROR) still goes.
            self.done = true;
        }
        let b = self.s.tx().take_all();
        self.sent.extend_from_slice(&b);
        b
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if self.error.is_some() || bytes.is_empty() {
            return;
        }
        self.s.feed(bytes);
        loop {
            match self.s.poll() {
                Ok(Some(ev)) => self.events.push(ev),
                Ok(None) => break,
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
    }

    pub(crate) fn messages(&self) -> Vec<Message> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn user_id(&self) -> Option<Bytes> {
        self.events.iter().find_map(|e| match e {
            Event::Ready(info) => info.user_id.clone(),
            _ => None,
        })
    }
}

/// Exchange bytes until both ends are quiet.
pub(crate) fn pump(a: &mut End, b: &mut End) {
    for _ in 0..100 {
        let ab = a.take_out();
        let ba = b.take_out();
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        b.feed(&ab);
        a.feed(&ba);
    }
    panic!("never quiet");
}

pub(crate) fn pair(client: SessionConfig, server: SessionConfig) -> (End, End) {
    let now = Instant::now();
    let (mut c, mut s) = (End::new(client, now), End::new(server, now));
    pump(&mut c, &mut s);
    (c, s)
}

fn active(c: &End, s: &End) -> bool {
    c.s.is_active() && s.s.is_active() && c.error.is_none() && s.error.is_none()
}

fn plain_client(user: &str, pass: &str) -> MechanismConfig {
    MechanismConfig::PlainClient {
        username: Bytes::copy_from_slice(user.as_bytes()),
        password: Bytes::copy_from_slice(pass.as_bytes()),
    }
}

#[test]
fn null_with_an_authenticator_asks_it() {
    let auth = Authenticator::new();
    auth.deny_address("127.0.0.1");
    let mut server = config(SocketType::Pull, MechanismConfig::Null, 2);
    server.authenticator = Some(auth.clone());
    let (c, s) = pair(config(SocketType::Push, MechanismConfig::Null, 1), server);
    assert!(matches!(
        s.error,
        Some(ProtoError::AuthFailed { status: 400, .. })
    ));
    assert_eq!(
        c.error,
        Some(ProtoError::PeerError(Bytes::from_static(b"400")))
    );
}

#[test]
fn plain_admits_a_known_user_and_names_it() {
    let auth = Authenticator::new();
    auth.add_user("alice", "s3cret");
    let mut server = config(SocketType::Pull, MechanismConfig::PlainServer, 2);
    server.authenticator = Some(auth);
    let (mut c, mut s) = pair(
        config(SocketType::Push, plain_client("alice", "s3cret"), 1),
        server,
    );
    assert!(active(&c, &s), "{:?} {:?}", c.error, s.error);
    assert_eq!(s.user_id(), Some(Bytes::from_static(b"alice")));
    c.s.send_message(&Message::multipart(["a", "b"]));
    pump(&mut c, &mut s);
    assert_eq!(s.messages(), vec![Message::multipart(["a", "b"])]);
}

#[test]
fn plain_refuses_a_bad_password_with_error_400() {
    let auth = Authenticator::new();
    auth.add_user("alice", "s3cret");
    let mut server = config(SocketType::Pull, MechanismConfig::PlainServer, 2);
    server.authenticator = Some(auth);
    let (c, s) = pair(
        config(SocketType::Push, plain_client("alice", "nope"), 1),
        server,
    );
    assert!(matches!(
        s.error,
        Some(ProtoError::AuthFailed { status: 400, .. })
    ));
    assert_eq!(
        c.error,
        Some(ProtoError::PeerError(Bytes::from_static(b"400")))
    );
    assert!(c.messages().is_empty() && s.messages().is_empty());
}

#[test]
fn plain_server_without_authenticator_refuses_everyone() {
    let (c, s) = pair(
        config(SocketType::Push, plain_client("a", "b"), 1),
        config(SocketType::Pull, MechanismConfig::PlainServer, 2),
    );
    assert!(matches!(s.error, Some(ProtoError::AuthFailed { .. })));
    assert!(c.error.is_some());
}

#[test]
fn mechanisms_must_match() {
    let (c, s) = pair(
        config(SocketType::Push, plain_client("a", "b"), 1),
        config(SocketType::Pull, MechanismConfig::Null, 2),
    );
    assert!(matches!(c.error, Some(ProtoError::MechanismMismatch(_))));
    assert!(matches!(s.error, Some(ProtoError::MechanismMismatch(_))));
}

#[test]
fn plain_hostile_hello_costs_only_the_connection() {
    // A HELLO whose lengths lie.
    let auth = Authenticator::new();
    let mut server = config(SocketType::Pull, MechanismConfig::PlainServer, 2);
    server.authenticator = Some(auth);
    let mut s = End::new(server, Instant::now());
    let mut bytes = crate::proto::wire::Greeting::new("PLAIN", false)
        .encode()
        .to_vec();
    let mut frame = BytesMut::new();
    crate::proto::wire::encode_frame(&mut frame, false, true, b"\x05HELLO\xffuser\x04pass");
    bytes.extend_from_slice(&frame);
    s.feed(&bytes);
    assert!(matches!(s.error, Some(ProtoError::BadHandshake(_))));
}

#[test]
fn the_authenticators_handler_can_admit() {
    let auth = Authenticator::new();
    auth.set_handler(|r| (r.mechanism == "PLAIN").then(|| AuthDecision::allow_as("by handler")));
    let mut server = config(SocketType::Pull, MechanismConfig::PlainServer, 2);
    server.authenticator = Some(auth);
    let (c, s) = pair(config(SocketType::Push, plain_client("x", "y"), 1), server);
    assert!(active(&c, &s));
    assert_eq!(s.user_id(), Some(Bytes::from_static(b"by handler")));
}
