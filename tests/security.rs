//! PLAIN and CURVE between ferromq sockets over real TCP and ipc: the
//! options, the authenticator's decisions as both monitors see them, and
//! the authenticated identity. (Against libzmq: `interop/tests/`.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::security::Authenticator;
#[cfg(feature = "curve")]
use ferromq::security::CurveKeyPair;
use ferromq::{Error, Monitor, MonitorEvent, Options, Reason, SocketType};
use sockets::*;
use std::time::Instant;

/// The first handshake outcome `mon` reports: Ok(user id, if any) or the
/// failure's reason.
fn outcome(mon: &Monitor) -> Result<Option<String>, Reason> {
    let deadline = Instant::now() + ARRIVE;
    let mut succeeded = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = match mon.recv_timeout(if succeeded { ABSENT } else { left }) {
            Ok(ev) => ev,
            Err(Error::TimedOut) if succeeded => return Ok(None),
            Err(e) => panic!("no handshake outcome: {e:?}"),
        };
        match ev {
            MonitorEvent::HandshakeSucceeded { .. } => succeeded = true,
            MonitorEvent::Authenticated { user_id, .. } => return Ok(Some(user_id)),
            MonitorEvent::HandshakeFailed { reason, .. } if !succeeded => return Err(reason),
            _ => {}
        }
    }
}

#[test]
#[cfg(feature = "curve")]
fn curve_between_ferromq_sockets() {
    let ctx = ctx();
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let auth = Authenticator::new();
    auth.allow_key(*client_keys.public());
    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default()
                .with_curve_server(server_keys.secret().clone())
                .with_authenticator(auth),
        )
        .unwrap();
    let mon = router.monitor();
    let ep = bind_local(&router);
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default()
                .with_routing_id("d1")
                .with_curve_client(client_keys.clone(), *server_keys.public()),
        )
        .unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send(msg(&["over", "curve"])).unwrap();
    let m = recv(&router, "a boxed request");
    assert_eq!(texts(&m), ["d1", "over", "curve"]);
    router.send(msg(&["d1", "back"])).unwrap();
    assert_eq!(body(&recv(&dealer, "a boxed reply")), "back");
    assert_eq!(outcome(&mon), Ok(Some(client_keys.public().to_z85())));
}

#[test]
#[cfg(feature = "curve")]
fn curve_refusals_reach_both_monitors() {
    let ctx = ctx();
    let server_keys = CurveKeyPair::generate();
    let auth = Authenticator::new(); // no keys allowed
    let pull = ctx
        .socket_with(
            SocketType::Pull,
            Options::default()
                .with_curve_server(server_keys.secret().clone())
                .with_authenticator(auth.clone()),
        )
        .unwrap();
    let server_mon = pull.monitor();
    let ep = bind_local(&pull);
    let client_keys = CurveKeyPair::generate();
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default().with_curve_client(client_keys.clone(), *server_keys.public()),
        )
        .unwrap();
    let client_mon = push.monitor();
    push.connect(&ep).unwrap();
    assert!(matches!(
        outcome(&server_mon),
        Err(Reason::AuthFailed { status: 400, .. })
    ));
    assert_eq!(outcome(&client_mon), Err(Reason::PeerError("400".into())));
    push.send("never").unwrap();
    assert!(matches!(pull.recv_timeout(ABSENT), Err(Error::TimedOut)));
    // Allowed now: the next (re)connection gets through, and the message
    // that waited in the pipe arrives.
    auth.allow_key(*client_keys.public());
    assert_eq!(body(&recv(&pull, "after the key was allowed")), "never");
}

#[test]
#[cfg(feature = "curve")]
fn a_wrong_server_key_delivers_nothing() {
    let ctx = ctx();
    let server_keys = CurveKeyPair::generate();
    let pull = ctx
        .socket_with(
            SocketType::Pull,
            Options::default().with_curve_server(server_keys.secret().clone()),
        )
        .unwrap();
    let server_mon = pull.monitor();
    let ep = bind_local(&pull);
    let impostor = CurveKeyPair::generate();
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default().with_curve_client(CurveKeyPair::generate(), *impostor.public()),
        )
        .unwrap();
    push.connect(&ep).unwrap();
    push.send("secret").unwrap();
    assert!(matches!(outcome(&server_mon), Err(Reason::Security(_))));
    assert!(matches!(pull.recv_timeout(ABSENT), Err(Error::TimedOut)));
}

#[test]
fn plain_users_over_ipc() {
    let ctx = ctx();
    let auth = Authenticator::new();
    auth.add_user("alice", "wonderland");
    let pull = ctx
        .socket_with(
            SocketType::Pull,
            Options::default()
                .with_plain_server()
                .with_authenticator(auth),
        )
        .unwrap();
    let server_mon = pull.monitor();
    let ep = pull.bind("ipc://*").unwrap().to_string();
    let bad = ctx
        .socket_with(
            SocketType::Push,
            Options::default().with_plain_client("alice", "looking-glass"),
        )
        .unwrap();
    let bad_mon = bad.monitor();
    bad.connect(&ep).unwrap();
    assert!(matches!(
        outcome(&server_mon),
        Err(Reason::AuthFailed { status: 400, .. })
    ));
    assert_eq!(outcome(&bad_mon), Err(Reason::PeerError("400".into())));
    drop(bad);
    let good = ctx
        .socket_with(
            SocketType::Push,
            Options::default().with_plain_client("alice", "wonderland"),
        )
        .unwrap();
    good.connect(&ep).unwrap();
    good.send("hello alice").unwrap();
    assert_eq!(body(&recv(&pull, "a PLAIN message")), "hello alice");
}

#[test]
fn mismatched_mechanisms_fail_the_handshake() {
    let ctx = ctx();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_plain_server())
        .unwrap();
    let ep = bind_local(&pull);
    let push = ctx.socket(SocketType::Push).unwrap();
    let mon = push.monitor();
    push.connect(&ep).unwrap();
    assert!(matches!(
        outcome(&mon),
        Err(Reason::Mechanism(_) | Reason::MechanismRefused)
    ));
}

#[test]
#[cfg(feature = "curve")]
fn options_are_checked_and_secrets_never_printed() {
    let long = vec![b'x'; 256];
    assert!(matches!(
        Options::default().with_plain_client(long, "p").validate(),
        Err(Error::InvalidOption {
            option: "security",
            ..
        })
    ));
    let keys = CurveKeyPair::generate();
    let secret = keys.secret().to_z85();
    let text = format!(
        "{:?} {:?}",
        Options::default().with_curve_server(keys.secret().clone()),
        Options::default().with_plain_client("u", "hunter2")
    );
    assert!(!text.contains(&secret), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
