//! Hostile peers: one test per kind of bad input (issue 4).
//!
//! Each test attacks a ferromq socket bound on 127.0.0.1:0 with a raw
//! `std::net::TcpStream` peer (or a misbehaving ferromq/libzmq socket) while
//! a well-behaved peer — ferromq, or libzmq through the `zmq` crate — is
//! connected to the same socket; and again over ipc (the socket bound on a
//! fresh `ipc://*` path, the raw peer a `std::os::unix::net::UnixStream`,
//! the good peers connected over ipc too): `tcp::<test>` and `ipc::<test>`.
//! Each asserts
//!
//! 1. the monitor event and [`Reason`] reported for the bad connection
//!    (`HandshakeFailed` when it never completed its handshake,
//!    `Disconnected` when it did), and that only that connection is closed;
//! 2. that the good peer completes a round trip during the attack (right
//!    after the bad bytes went out, or while a slow attack is in progress)
//!    and after it (see [`Target::round_trip`](hostile::Target::round_trip)).
//!
//! A panic in ferromq's I/O thread would stop every later round trip, so
//! "never a panic" is checked by each test too. Tests that measure the whole
//! process (resident memory, open descriptors) run alone
//! ([`hostile::exclusive`]); the others run in parallel.
//!
//! No test sleeps to synchronise: every wait is for an event, a message or
//! bytes, with a deadline. The only pauses are an attacker's own pacing (the
//! slow-greeting test), which the assertions do not depend on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/hostile.rs"]
mod hostile;

use ferromq::{Context, Error, MonitorEvent, Options, Reason, SocketType};
use hostile::*;
use std::io::Write;
use std::time::{Duration, Instant};

/// Each test below (but the last) runs twice, over TCP and over ipc: as
/// `tcp::<name>` and `ipc::<name>`.
macro_rules! on_each_transport {
    ($($name:ident),* $(,)?) => {
        /// The tests over TCP (`tcp://127.0.0.1:0`, raw `TcpStream` peers).
        mod tcp {
            $(#[test]
            fn $name() {
                super::$name(super::Transport::Tcp)
            })*
        }
        /// The tests over ipc (`ipc://*`, raw `UnixStream` peers).
        mod ipc {
            $(#[test]
            fn $name() {
                super::$name(super::Transport::Ipc)
            })*
        }
    };
}

on_each_transport!(
    wrong_signature,
    zmtp_1_0_greeting_followed_by_data,
    zmtp_2_0_greeting_followed_by_data,
    unknown_mechanism,
    mismatched_mechanism,
    incompatible_socket_types_every_invalid_pair,
    incompatible_socket_type_names_in_ready,
    incompatible_libzmq_socket_types,
    malformed_and_unexpected_commands,
    malformed_and_truncated_metadata,
    huge_property_count_is_bounded_by_the_frame_size,
    data_frame_before_the_handshake,
    frame_length_near_2_pow_64,
    large_legal_length_whose_bytes_never_arrive,
    connection_cut_mid_frame,
    connection_cut_mid_multipart,
    routing_id_empty_gets_a_generated_id,
    routing_id_with_leading_zero_is_rejected,
    routing_id_over_255_bytes_is_rejected,
    routing_id_duplicate_second_is_rejected_first_keeps_working,
    last_message_of_a_departed_peer_keeps_its_routing_id,
    greeting_one_byte_at_a_time,
    thousands_of_connections_opened_and_dropped,
    slowloris_beyond_max_pending_handshakes,
    dealer_connecting_to_its_own_port,
    push_connecting_to_its_own_port,
);

const TYPES: [SocketType; 4] = [
    SocketType::Push,
    SocketType::Pull,
    SocketType::Dealer,
    SocketType::Router,
];

/// A ferromq target of type `ty`, over `tr`, with default options and a
/// ferromq good peer.
fn target(tr: Transport, ty: SocketType) -> Target {
    Target::new_on(tr, ty, Options::default(), GoodPeer::Ferromq)
}

/// Send `bytes` from a fresh raw connection, check the good peer during and
/// the reported failure, then check that the bad connection was closed.
fn attack(t: &mut Target, bytes: &[u8], tag: &str) -> (bool, Reason) {
    let mut raw = Raw::connect(&t.ep);
    raw.send(bytes);
    t.round_trip(&format!("during {tag}"));
    let failure = next_failure(&t.mon);
    raw.wait_closed();
    failure
}

// ---------------------------------------------------------------------------
// Greetings
// ---------------------------------------------------------------------------

/// Not ZMTP at all (an HTTP request), and a signature whose byte 9 is even.
/// Good peer: libzmq.
fn wrong_signature(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(tr, SocketType::Router, Options::default(), GoodPeer::Libzmq);
    let mut bad_byte9 = greeting();
    bad_byte9[9] = 0x7E;
    for (tag, bytes) in [
        ("http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("byte 9 even", bad_byte9),
    ] {
        let (hs, reason) = attack(&mut t, &bytes, tag);
        assert!(hs, "{tag}: must fail in the handshake");
        assert_protocol(&reason, "signature");
    }
    t.round_trip("after");
}

/// A ZMTP 1.0 peer: identity frame (short and long form), then a message.
fn zmtp_1_0_greeting_followed_by_data(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(tr, SocketType::Router, Options::default(), GoodPeer::Libzmq);
    // Short form: len=1 (flags only), flags=0, then a 5-byte message.
    let short = [&[0x01, 0x00][..], &[0x06, 0x00], b"hello"].concat();
    // Long form: 0xFF + 8-byte length, flags 0: byte 9 is even.
    let mut long = vec![0xFF, 0, 0, 0, 0, 0, 0, 1, 0x2D, 0x00];
    long.extend_from_slice(&[b'i'; 300]);
    long.extend_from_slice(&[0x06, 0x00]);
    long.extend_from_slice(b"hello");
    for (tag, bytes) in [("short", short), ("long", long)] {
        let (hs, reason) = attack(&mut t, &bytes, tag);
        assert!(hs);
        assert_protocol(&reason, "signature");
    }
    t.round_trip("after");
}

/// A ZMTP 2.0 peer (revision byte 1 where the major version goes), then a
/// message in 2.0 framing.
fn zmtp_2_0_greeting_followed_by_data(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(tr, SocketType::Router, Options::default(), GoodPeer::Libzmq);
    let mut bytes = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x01, 0x05, 0x00, 0x00];
    bytes.extend_from_slice(&[0x00, 0x05]);
    bytes.extend_from_slice(b"hello");
    let (hs, reason) = attack(&mut t, &bytes, "zmtp 2.0");
    assert!(hs);
    assert_protocol(&reason, "major version 1");
    t.round_trip("after");
}

/// Mechanisms ferromq does not speak (CURVE, a made-up XXXX).
fn unknown_mechanism(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    for mech in ["CURVE", "XXXX"] {
        let bytes = [greeting_with(mech.as_bytes(), 3, 1), ready(&[])].concat();
        let (hs, reason) = attack(&mut t, &bytes, mech);
        assert!(hs);
        assert_eq!(reason, Reason::Mechanism(mech.into()));
    }
    t.round_trip("after");
}

/// Real mechanisms that are not ours (PLAIN), and NULL spelt wrongly
/// (mechanism names are compared byte for byte, like libzmq).
fn mismatched_mechanism(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    for mech in ["PLAIN", "null", "NULL\u{1}"] {
        let bytes = [greeting_with(mech.as_bytes(), 3, 1), ready(&[])].concat();
        let (hs, reason) = attack(&mut t, &bytes, mech);
        assert!(hs);
        assert_eq!(reason, Reason::Mechanism(mech.into()));
    }
    t.round_trip("after");
}

// ---------------------------------------------------------------------------
// Socket types
// ---------------------------------------------------------------------------

/// Every invalid pair among ferromq's PUSH, PULL, DEALER and ROUTER: a
/// ferromq socket of the wrong type connects to each target type.
fn incompatible_socket_types_every_invalid_pair(tr: Transport) {
    let _g = shared();
    let mut pairs = 0;
    for ours in TYPES {
        let mut t = target(tr, ours);
        for theirs in TYPES {
            if ours.is_compatible(theirs) {
                continue;
            }
            pairs += 1;
            // One attempt only: a long reconnect interval.
            let bad = t
                .ctx
                .socket_with(
                    theirs,
                    Options::default()
                        .with_reconnect(Duration::from_secs(30), Duration::from_secs(30))
                        .with_linger(Duration::ZERO),
                )
                .unwrap();
            let bad_mon = bad.monitor();
            bad.connect(&t.ep).unwrap();
            t.round_trip(&format!("during {theirs}"));
            let reason = handshake_failed(&t.mon);
            assert_eq!(
                reason,
                Reason::SocketType(theirs.name().into()),
                "{ours} accepting {theirs}"
            );
            // The bad peer sees the same thing from its side.
            let theirs_reason = handshake_failed(&bad_mon);
            assert!(
                matches!(&theirs_reason, Reason::SocketType(n) if n == ours.name())
                    || matches!(theirs_reason, Reason::PeerClosed | Reason::Io(_)),
                "{theirs} connecting to {ours}: {theirs_reason:?}"
            );
            drop(bad);
        }
        t.round_trip("after");
    }
    assert_eq!(pairs, 10, "16 ordered pairs, 6 of them valid");
}

/// Socket-Type values sent by a raw peer in READY against each of our types:
/// libzmq's REQ, REP, PUB, SUB, XPUB, XSUB, PAIR, STREAM and draft types,
/// lower case, empty, and our own names. Only the pairs of zmtp.md §10 may
/// complete the handshake (then the raw peer leaves: `Disconnected`,
/// `PeerClosed`); every other one fails with `Reason::SocketType(name)`.
fn incompatible_socket_type_names_in_ready(tr: Transport) {
    let _g = shared();
    let names = [
        "PUSH", "PULL", "DEALER", "ROUTER", "REQ", "REP", "PUB", "SUB", "XPUB", "XSUB", "PAIR",
        "STREAM", "CLIENT", "SERVER", "push", "dealer", "", "PUSH\0", "ROUTER ",
    ];
    let valid = |ours: SocketType, name: &str| match ours {
        SocketType::Push => name == "PULL",
        SocketType::Pull => name == "PUSH",
        SocketType::Dealer => matches!(name, "REP" | "DEALER" | "ROUTER"),
        SocketType::Router => matches!(name, "REQ" | "DEALER" | "ROUTER"),
        _ => unreachable!(),
    };
    for ours in TYPES {
        let mut t = target(tr, ours);
        for name in names {
            let bytes = [
                greeting(),
                ready(&[("Socket-Type", name.as_bytes()), ("Identity", b"")]),
            ]
            .concat();
            let mut raw = Raw::connect(&t.ep);
            raw.send(&bytes);
            if valid(ours, name) {
                handshake_succeeded(&t.mon);
                raw.shutdown_write();
                assert_eq!(disconnected(&t.mon), Reason::PeerClosed, "{ours}/{name}");
            } else {
                let reason = handshake_failed(&t.mon);
                assert_eq!(reason, Reason::SocketType(name.into()), "{ours}/{name:?}");
            }
            raw.wait_closed();
            t.round_trip(&format!("after {name}"));
        }
    }
}

/// Real libzmq sockets of types ferromq does not implement (PAIR, PUB, SUB,
/// REQ, REP) connecting to each of our types: the invalid ones fail with
/// `Reason::SocketType`, the valid ones (REP→DEALER, REQ→ROUTER) work.
fn incompatible_libzmq_socket_types(tr: Transport) {
    let _g = shared();
    let z = zmq::Context::new();
    for ours in TYPES {
        let mut t = target(tr, ours);
        for (ty, name) in [
            (zmq::PAIR, "PAIR"),
            (zmq::PUB, "PUB"),
            (zmq::SUB, "SUB"),
            (zmq::REQ, "REQ"),
            (zmq::REP, "REP"),
        ] {
            let s = z.socket(ty).unwrap();
            s.set_linger(0).unwrap();
            s.connect(&t.ep).unwrap();
            let compatible = matches!(
                (ours, name),
                (SocketType::Dealer, "REP") | (SocketType::Router, "REQ")
            );
            if compatible {
                handshake_succeeded(&t.mon);
                drop(s);
                let reason = disconnected(&t.mon);
                assert!(
                    matches!(reason, Reason::PeerClosed | Reason::Io(_)),
                    "{reason:?}"
                );
            } else {
                assert_eq!(
                    handshake_failed(&t.mon),
                    Reason::SocketType(name.into()),
                    "{ours} vs libzmq {name}"
                );
                drop(s);
            }
            t.round_trip(&format!("after {name}"));
        }
    }
}

// ---------------------------------------------------------------------------
// Malformed and truncated commands and metadata
// ---------------------------------------------------------------------------

/// Command frames that break the command grammar, and commands that are not
/// allowed before READY. The ERROR command is well-formed: it is reported as
/// `Reason::PeerError`.
fn malformed_and_unexpected_commands(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("empty body", command_body(b""), Some("empty command body")),
        (
            "name_len 0",
            command_body(b"\x00READY"),
            Some("empty command name"),
        ),
        (
            "name_len past body",
            command_body(b"\x09READ"),
            Some("name length exceeds body"),
        ),
        (
            "name_len 255, 3 bytes",
            command_body(b"\xffabc"),
            Some("name length exceeds body"),
        ),
        (
            "PING before READY",
            command("PING", b"\x00\x00"),
            Some("unexpected command during handshake"),
        ),
        (
            "HELLO (a PLAIN command) under NULL",
            command("HELLO", b"\x00\x00"),
            Some("unexpected command during handshake"),
        ),
        (
            "SUBSCRIBE before READY",
            command("SUBSCRIBE", b"AB"),
            Some("unexpected command during handshake"),
        ),
        (
            "ERROR reason length mismatch",
            command("ERROR", b"\x09bad"),
            Some("ERROR reason length mismatch"),
        ),
        ("ERROR", command("ERROR", b"\x03bad"), None),
    ];
    for (tag, cmd, needle) in cases {
        let (hs, reason) = attack(&mut t, &[greeting(), cmd].concat(), tag);
        assert!(hs, "{tag}");
        match needle {
            Some(n) => assert_protocol(&reason, n),
            None => assert_eq!(reason, Reason::PeerError("bad".into())),
        }
    }
    // A command frame cut short (header says 40 bytes, 10 arrive, then FIN):
    // the connection ends, nothing is parsed.
    let mut raw = Raw::connect(&t.ep);
    raw.send(&[greeting(), header(0x04, 40), b"\x05READY\x0bSo".to_vec()].concat());
    t.round_trip("during truncated command");
    raw.shutdown_write();
    assert_eq!(handshake_failed(&t.mon), Reason::PeerClosed);
    t.round_trip("after");
}

/// READY metadata that lies about its lengths or has stray bytes.
fn malformed_and_truncated_metadata(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let st = property("Socket-Type", b"DEALER");
    let mut value_too_long = st.clone();
    value_too_long[12..16].copy_from_slice(&255u32.to_be_bytes());
    let mut value_len_u32_max = st.clone();
    value_len_u32_max[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "value length longer than the data",
            value_too_long,
            "truncated property value",
        ),
        (
            "value length u32::MAX",
            value_len_u32_max,
            "truncated property value",
        ),
        (
            "trailing bytes",
            [st.clone(), b"\x05ab".to_vec()].concat(),
            "truncated property name",
        ),
        (
            "trailing zero byte",
            [st.clone(), vec![0]].concat(),
            "empty property name",
        ),
        (
            "name_len 0",
            [st.clone(), b"\x00\x00\x00\x00\x00".to_vec()].concat(),
            "empty property name",
        ),
        (
            "name past the end",
            [st.clone(), b"\xffIdentity".to_vec()].concat(),
            "truncated property name",
        ),
        (
            "value length cut",
            [st.clone(), b"\x08Identity\x00\x00".to_vec()].concat(),
            "truncated value length",
        ),
    ];
    for (tag, md, needle) in cases {
        let bytes = [greeting(), command("READY", &md)].concat();
        let (hs, reason) = attack(&mut t, &bytes, tag);
        assert!(hs, "{tag}");
        assert_protocol(&reason, needle);
    }
    t.round_trip("after");
}

/// A huge property count, declared implicitly by many tiny properties. The
/// count is bounded by the frame size, and a READY may be at most 64 KiB
/// whatever `max_message_size` is (default 64 MiB): one over it is refused
/// from its header, before its body is read; one just under it (~10 900
/// properties) is parsed and the handshake completes.
fn huge_property_count_is_bounded_by_the_frame_size(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let tiny = property("a", b"");
    let st = property("Socket-Type", b"DEALER");
    // Just over 64 KiB of properties: refused.
    let n_over = (64 * 1024) / tiny.len() + 1;
    let md: Vec<u8> = st
        .iter()
        .copied()
        .chain(tiny.iter().copied().cycle().take(n_over * tiny.len()))
        .collect();
    let mut raw = Raw::connect(&t.ep);
    raw.send(&greeting());
    // Only the header: it is refused before the body is ever sent.
    raw.send(&header(0x04, 6 + md.len() as u64));
    t.round_trip("during oversized READY");
    let reason = handshake_failed(&t.mon);
    assert_protocol(&reason, "exceeds the limit of 65536");
    raw.wait_closed();
    // Just under 64 KiB: fine, and the peer works.
    let n_under = (64 * 1024 - 6 - st.len()) / tiny.len();
    let md: Vec<u8> = st
        .iter()
        .copied()
        .chain(tiny.iter().copied().cycle().take(n_under * tiny.len()))
        .collect();
    let mut raw = Raw::connect(&t.ep);
    raw.send(&[greeting(), command("READY", &md)].concat());
    handshake_succeeded(&t.mon);
    raw.send(&message(&[b"after many properties"]));
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames()[1], "after many properties");
    raw.shutdown_write();
    assert_eq!(disconnected(&t.mon), Reason::PeerClosed);
    t.round_trip("after");
}

/// A data frame where READY should be: with and without MORE, and in the
/// same write as the greeting or after it.
fn data_frame_before_the_handshake(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    for (tag, bytes) in [
        ("one frame", [greeting(), message(&[b"early"])].concat()),
        (
            "multipart",
            [greeting(), message(&[b"early", b"bird"])].concat(),
        ),
        ("empty frame", [greeting(), frame(0, b"")].concat()),
    ] {
        let (hs, reason) = attack(&mut t, &bytes, tag);
        assert!(hs);
        assert_protocol(&reason, "unexpected data frame during handshake");
    }
    // Greeting first, data in a later segment.
    let mut raw = Raw::connect(&t.ep);
    raw.send(&greeting());
    let _ = raw.read_exact(64);
    raw.send(&message(&[b"early"]));
    assert_protocol(
        &handshake_failed(&t.mon),
        "unexpected data frame during handshake",
    );
    raw.wait_closed();
    assert!(t.sock.try_recv().is_err(), "no early data may be delivered");
    t.round_trip("after");
}

// ---------------------------------------------------------------------------
// Frame lengths
// ---------------------------------------------------------------------------

/// LONG frame sizes near 2^64, during the handshake and after it: above
/// ZMTP's 2^63-1 they are protocol errors; 2^63-1 itself is a legal size
/// over `max_message_size`. Each is refused from its 9-byte header.
fn frame_length_near_2_pow_64(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    for size in [u64::MAX, u64::MAX - 1, 1 << 63] {
        let mut raw = Raw::connect(&t.ep);
        raw.send(&[greeting(), header(0x04, size)].concat());
        t.round_trip("during handshake attack");
        assert_protocol(&handshake_failed(&t.mon), "exceeds the limit");
        raw.wait_closed();
    }
    for (i, size) in [u64::MAX, 1 << 63, (1 << 63) - 1].into_iter().enumerate() {
        let id = format!("big{i}");
        let mut raw = Raw::handshake(
            &t.ep,
            &[("Socket-Type", b"DEALER"), ("Identity", id.as_bytes())],
        );
        handshake_succeeded(&t.mon);
        raw.send(&header(0x00, size));
        t.round_trip("during active attack");
        let reason = disconnected(&t.mon);
        if size > (1 << 63) - 1 {
            assert_protocol(&reason, "exceeds the limit");
        } else {
            assert_eq!(reason, Reason::MessageTooLarge);
        }
        raw.wait_closed();
    }
    t.round_trip("after");
}

/// A large legal length (60 MiB, under the 64 MiB default maximum) whose
/// bytes never arrive: resident memory grows by what arrived, not by the
/// declared size, and the deadline frees the connection: the handshake
/// deadline for a big READY header (60 KiB under the 64 KiB handshake
/// limit), the heartbeat deadline for a data frame after the handshake.
fn large_legal_length_whose_bytes_never_arrive(tr: Transport) {
    let _g = exclusive();
    let mut t = Target::new_on(
        tr,
        SocketType::Router,
        Options::default()
            .with_handshake_timeout(Duration::from_millis(300))
            .with_heartbeat(Duration::from_millis(100), Duration::from_millis(300))
            .with_router_mandatory(true),
        GoodPeer::Ferromq,
    );
    const DECLARED: u64 = 60 << 20;
    const LIMIT: u64 = 16 << 20;
    let peak_reset = reset_peak_rss();
    let before = rss();

    // During the handshake: a READY header declaring 60 KiB, then 100 bytes.
    let mut raw = Raw::connect(&t.ep);
    raw.send(&[greeting(), header(0x04, 60 << 10), vec![b'r'; 100]].concat());
    t.round_trip("during handshake attack");
    assert_eq!(handshake_failed(&t.mon), Reason::HandshakeTimeout);
    raw.wait_closed();

    // After it: a 60 MiB message frame, 4 KiB of which arrive.
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"big")]);
    handshake_succeeded(&t.mon);
    raw.send(&[header(0x00, DECLARED), vec![b'x'; 4096]].concat());
    t.round_trip("during active attack");
    let during = rss();
    assert_eq!(disconnected(&t.mon), Reason::HeartbeatTimeout);
    raw.wait_closed();
    let after = rss();
    let peak = peak_rss();
    eprintln!(
        "rss before {} KiB, during {} KiB, after {} KiB, peak {} KiB (reset: {peak_reset})",
        before >> 10,
        during >> 10,
        after >> 10,
        peak >> 10
    );
    assert!(during.saturating_sub(before) < LIMIT, "grew while waiting");
    assert!(after.saturating_sub(before) < LIMIT, "grew after");
    if peak_reset {
        assert!(peak.saturating_sub(before) < LIMIT, "peak grew");
    }
    // Nothing of the cut message was delivered, and its routing id is gone.
    assert!(matches!(t.sock.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(
        t.sock.send(ferromq::Message::multipart(["big", "x"])),
        Err(e) if matches!(e.error, Error::HostUnreachable)
    ));
    t.round_trip("after");
}

// ---------------------------------------------------------------------------
// Connections cut short
// ---------------------------------------------------------------------------

/// A peer that sends a whole message, then half a frame, then closes: the
/// whole message arrives, the half frame never does, the routing id is
/// released, and the good peer's messages (sent while the half frame was
/// pending) arrive intact.
fn connection_cut_mid_frame(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"cut")]);
    handshake_succeeded(&t.mon);
    raw.send(&message(&[b"whole"]));
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["cut", "whole"]);
    raw.send(&[header(0x00, 100), vec![b'h'; 10]].concat());
    t.round_trip("during");
    raw.shutdown_write();
    assert_eq!(disconnected(&t.mon), Reason::PeerClosed);
    raw.wait_closed();
    assert!(matches!(t.sock.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(
        t.sock.send(ferromq::Message::multipart(["cut", "x"])),
        Err(e) if matches!(e.error, Error::HostUnreachable)
    ));
    t.round_trip("after");
    assert!(matches!(t.sock.try_recv(), Err(Error::WouldBlock)));
}

/// A peer that sends two complete frames of a three-frame message (MORE
/// set), then closes: no part of it is delivered.
fn connection_cut_mid_multipart(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"cutmp")]);
    handshake_succeeded(&t.mon);
    raw.send(&[frame(1, b"part1"), frame(1, b"part2")].concat());
    t.round_trip("during");
    // A frame boundary cut, and a second connection cut inside frame 3.
    raw.shutdown_write();
    assert_eq!(disconnected(&t.mon), Reason::PeerClosed);
    raw.wait_closed();
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"cutmp")]);
    handshake_succeeded(&t.mon);
    raw.send(
        &[
            frame(1, b"part1"),
            frame(1, b"part2"),
            header(0, 50),
            b"par".to_vec(),
        ]
        .concat(),
    );
    t.round_trip("during 2");
    raw.shutdown_write();
    assert_eq!(disconnected(&t.mon), Reason::PeerClosed);
    raw.wait_closed();
    assert!(matches!(t.sock.try_recv(), Err(Error::WouldBlock)));
    t.round_trip("after");
    assert!(matches!(t.sock.try_recv(), Err(Error::WouldBlock)));
    assert_eq!(
        t.sock.stats().messages_received,
        t.sock.stats().messages_sent
    );
}

// ---------------------------------------------------------------------------
// Routing ids on a ROUTER
// ---------------------------------------------------------------------------

/// An empty Identity: the ROUTER generates an id (`00` + 4 bytes), and
/// replies to it reach the peer.
fn routing_id_empty_gets_a_generated_id(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"")]);
    handshake_succeeded(&t.mon);
    raw.send(&message(&[b"anon"]));
    let m = t.sock.recv_timeout(WAIT).unwrap();
    let id = m.frames()[0].clone();
    assert_eq!(id.len(), 5, "generated id {id:?}");
    assert_eq!(id[0], 0);
    assert_eq!(m.frames()[1], "anon");
    t.round_trip("during");
    t.sock
        .send(ferromq::Message::multipart([id, "to anon".into()]))
        .unwrap();
    assert_eq!(raw.read_data_frame().unwrap(), b"to anon");
    t.round_trip("after");
}

/// An Identity starting with a zero byte (reserved for generated ids).
fn routing_id_with_leading_zero_is_rejected(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let bytes = [
        greeting(),
        ready(&[("Socket-Type", b"DEALER"), ("Identity", b"\x00spoof")]),
    ]
    .concat();
    let (hs, reason) = attack(&mut t, &bytes, "zero-led id");
    assert!(hs);
    assert!(
        matches!(reason, Reason::RoutingId(r) if r.contains("zero")),
        "{reason:?}"
    );
    t.round_trip("after");
}

/// An Identity of 256 bytes.
fn routing_id_over_255_bytes_is_rejected(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let long = [b'L'; 256];
    let bytes = [
        greeting(),
        ready(&[("Socket-Type", b"DEALER"), ("Identity", &long)]),
    ]
    .concat();
    let (hs, reason) = attack(&mut t, &bytes, "long id");
    assert!(hs);
    assert!(
        matches!(reason, Reason::RoutingId(r) if r.contains("255")),
        "{reason:?}"
    );
    // 255 bytes is fine.
    let mut raw = Raw::handshake(
        &t.ep,
        &[("Socket-Type", b"DEALER"), ("Identity", &long[..255])],
    );
    handshake_succeeded(&t.mon);
    raw.send(&message(&[b"max"]));
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames()[0].len(), 255);
    t.round_trip("after");
}

/// Two peers announcing the same Identity on one ROUTER: the second is
/// refused; the first keeps working (messages both ways).
fn routing_id_duplicate_second_is_rejected_first_keeps_working(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let mut first = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"dup")]);
    handshake_succeeded(&t.mon);
    let bytes = [
        greeting(),
        ready(&[("Socket-Type", b"DEALER"), ("Identity", b"dup")]),
    ]
    .concat();
    let (hs, reason) = attack(&mut t, &bytes, "duplicate id");
    assert!(hs);
    assert!(
        matches!(reason, Reason::RoutingId(r) if r.contains("already in use")),
        "{reason:?}"
    );
    first.send(&message(&[b"still here"]));
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["dup", "still here"]);
    t.sock
        .send(ferromq::Message::multipart(["dup", "to first"]))
        .unwrap();
    assert_eq!(first.read_data_frame().unwrap(), b"to first");
    t.round_trip("after");
}

/// A peer that sends a message and disconnects at once: the message is
/// still delivered, with the peer's routing id (not an empty one), and the
/// id is free for the next peer.
fn last_message_of_a_departed_peer_keeps_its_routing_id(tr: Transport) {
    let _g = shared();
    let mut t = Target::router_on(tr);
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"gone")]);
    handshake_succeeded(&t.mon);
    raw.send(&message(&[b"last words"]));
    raw.shutdown_write();
    assert_eq!(disconnected(&t.mon), Reason::PeerClosed);
    // Receive only once the peer is retired (its route gone), as when the
    // application reads late.
    wait_until(WAIT, "the route to the departed peer is gone", || {
        matches!(
            t.sock.send(ferromq::Message::multipart(["gone", "x"])),
            Err(e) if matches!(e.error, Error::HostUnreachable)
        )
    });
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["gone", "last words"]);
    t.round_trip("during");
    raw.wait_closed();
    let mut again = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"gone")]);
    handshake_succeeded(&t.mon);
    t.sock
        .send(ferromq::Message::multipart(["gone", "welcome back"]))
        .unwrap();
    assert_eq!(again.read_data_frame().unwrap(), b"welcome back");
    t.round_trip("after");
}

// ---------------------------------------------------------------------------
// Slow and many connections
// ---------------------------------------------------------------------------

/// A greeting sent one byte at a time with pauses. Slower than
/// `handshake_timeout` (500 ms): `HandshakeFailed(HandshakeTimeout)`, the
/// good peer working meanwhile. Within it: the byte-by-byte greeting and
/// READY complete the handshake, and a byte-by-byte message arrives whole.
fn greeting_one_byte_at_a_time(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(
        tr,
        SocketType::Router,
        Options::default().with_handshake_timeout(Duration::from_millis(500)),
        GoodPeer::Ferromq,
    );
    let bytes = [greeting(), ready(&[("Socket-Type", b"DEALER")])].concat();
    let ep = t.ep.clone();
    let attacker = std::thread::spawn(move || {
        let mut stream = Stream::connect(&ep);
        let mut sent = 0;
        for b in bytes {
            if stream.write_all(&[b]).is_err() {
                break;
            }
            sent += 1;
            // The attacker's own pacing: 30 ms a byte, 2.8 s for all.
            std::thread::sleep(Duration::from_millis(30));
        }
        sent
    });
    for i in 0..3 {
        t.round_trip(&format!("during {i}"));
    }
    assert_eq!(handshake_failed(&t.mon), Reason::HandshakeTimeout);
    let sent = attacker.join().unwrap();
    assert!(sent < 92, "the attacker was cut off ({sent} bytes sent)");
    t.round_trip("after");

    // Fast enough: one byte at a time still makes a working connection.
    let mut t = target(tr, SocketType::Router);
    let mut raw = Raw::connect(&t.ep);
    let bytes = [
        greeting(),
        ready(&[("Socket-Type", b"DEALER"), ("Identity", b"drip")]),
        message(&[b"dripped", b"message"]),
    ]
    .concat();
    for b in &bytes {
        raw.send(&[*b]);
    }
    handshake_succeeded(&t.mon);
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["drip", "dripped", "message"]);
    t.round_trip("after drip");
}

/// 3000 connections opened and dropped in a loop (a third silent, a third
/// sending junk, a third half a greeting): the good peer keeps working, and
/// the descriptors the socket held for them are all released.
fn thousands_of_connections_opened_and_dropped(tr: Transport) {
    let _g = exclusive();
    let mut t = target(tr, SocketType::Router);
    let fds_before = fd_count();
    let started = Instant::now();
    for i in 0..3000 {
        let mut stream = Stream::connect(&t.ep);
        match i % 3 {
            0 => {}
            1 => {
                let _ = stream.write_all(b"junk junk junk");
            }
            _ => {
                let _ = stream.write_all(&greeting()[..10]);
            }
        }
        drop(stream);
        if i % 1000 == 999 {
            t.round_trip(&format!("during {i}"));
        }
    }
    eprintln!("3000 {tr:?} connections in {:?}", started.elapsed());
    t.round_trip("after");
    // Connections whose client side is gone may still wait in the listen
    // backlog, holding no descriptor of ours yet (over ipc, where connecting
    // is cheap, thousands may). The backlog is first in, first out: a last
    // connection that completes its handshake proves every earlier one was
    // accepted, and then the descriptors (each released after its close was
    // reported) and the monitor can be checked.
    let marker = Raw::handshake(
        &t.ep,
        &[("Socket-Type", b"DEALER"), ("Identity", b"marker")],
    );
    drop(marker);
    wait_until(WAIT, "descriptors are released", || {
        fd_count() <= fds_before + 2
    });
    // The monitor stayed bounded: it missed events (6000 were reported)
    // and holds at most its capacity, plus the marker's own three events
    // (its close may be reported while we drain: the descriptor check
    // allows two descriptors more).
    let mut events = 0;
    while t.mon.try_recv().is_ok() {
        events += 1;
    }
    assert!(
        events <= ferromq::MONITOR_CAPACITY + 3,
        "{events} events held"
    );
    assert!(t.mon.missed() > 0, "6000 events, none missed");
    t.round_trip("after drain");
}

/// More silent connections than `max_pending_handshakes` (3, with a 400 ms
/// handshake deadline): at most 3 are ever in their handshake, they time
/// out, and a good peer that connects after them completes its handshake.
/// The good peer connected before the attack works throughout.
fn slowloris_beyond_max_pending_handshakes(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(
        tr,
        SocketType::Router,
        Options::default()
            .with_max_pending_handshakes(3)
            .with_handshake_timeout(Duration::from_millis(400)),
        GoodPeer::Ferromq,
    );
    let mut silent: Vec<Raw> = (0..8).map(|_| Raw::connect(&t.ep)).collect();
    t.round_trip("during");
    let late = t
        .ctx
        .socket_with(
            SocketType::Dealer,
            Options::default().with_routing_id("late"),
        )
        .unwrap();
    late.connect(&t.ep).unwrap();
    late.send("late hello").unwrap();
    let (mut in_flight, mut max_in_flight, mut timeouts, mut ok) = (0i32, 0, 0, 0);
    let deadline = Instant::now() + WAIT;
    while ok == 0 || timeouts < 8 {
        let left = deadline.saturating_duration_since(Instant::now());
        match t.mon.recv_timeout(left) {
            Ok(MonitorEvent::Accepted { .. }) => {
                in_flight += 1;
                max_in_flight = max_in_flight.max(in_flight);
            }
            Ok(MonitorEvent::HandshakeSucceeded { .. }) => {
                in_flight -= 1;
                ok += 1;
                assert!(timeouts >= 6, "late peer got in after {timeouts} timeouts");
            }
            Ok(MonitorEvent::HandshakeFailed { reason, .. }) => {
                assert_eq!(reason, Reason::HandshakeTimeout);
                in_flight -= 1;
                timeouts += 1;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => panic!("stalled: {ok} ok, {timeouts} timeouts"),
        }
    }
    assert_eq!(ok, 1);
    assert!(max_in_flight <= 3, "{max_in_flight} handshakes at once");
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["late", "late hello"]);
    for raw in &mut silent {
        raw.wait_closed();
    }
    t.round_trip("after");
}

// ---------------------------------------------------------------------------
// Connecting to itself
// ---------------------------------------------------------------------------

/// A DEALER bound on P (a port, or an ipc path) that connects to P. What
/// happens (documented): DEALER-DEALER is a valid pair, so both ends of
/// that connection complete their handshake and the DEALER gains two peers
/// that are itself: of three messages sent round-robin, one goes to the
/// good peer and two come back to the DEALER. No panic, no hang, and it
/// closes promptly.
fn dealer_connecting_to_its_own_port(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(
        tr,
        SocketType::Dealer,
        Options::default().with_linger(Duration::from_millis(100)),
        GoodPeer::Ferromq,
    );
    t.sock.connect(&t.ep).unwrap();
    handshake_succeeded(&t.mon);
    handshake_succeeded(&t.mon);
    for r in ["r1", "r2", "r3"] {
        t.sock.send(r).unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(t.sock.recv_timeout(WAIT).unwrap().frames()[0].clone());
    }
    got.push(t.good_recv().into());
    got.sort();
    assert_eq!(got, ["r1", "r2", "r3"]);
    assert!(matches!(t.sock.try_recv(), Err(Error::WouldBlock)));
    t.sock.disconnect(&t.ep.clone()).unwrap();
    assert_eq!(disconnected(&t.mon), Reason::Closed);
    let reason = disconnected(&t.mon);
    assert!(
        matches!(reason, Reason::PeerClosed | Reason::Io(_)),
        "{reason:?}"
    );
    t.round_trip("after");
    let closed = Instant::now();
    drop(t);
    assert!(closed.elapsed() < WAIT);
}

/// A PUSH bound on P (a port, or an ipc path) that connects to P: PUSH-PUSH
/// is invalid, so both ends fail with `SocketType("PUSH")`, on every
/// reconnect attempt. Messages round-robined to that endpoint wait in its
/// pipe (as libzmq's do without ZMQ_IMMEDIATE) until `disconnect` drops
/// them; the good peer gets the rest.
fn push_connecting_to_its_own_port(tr: Transport) {
    let _g = shared();
    let mut t = Target::new_on(
        tr,
        SocketType::Push,
        Options::default()
            .with_reconnect(Duration::from_millis(20), Duration::from_millis(40))
            .with_linger(Duration::from_millis(100)),
        GoodPeer::Ferromq,
    );
    t.sock.connect(&t.ep).unwrap();
    for _ in 0..4 {
        assert_eq!(handshake_failed(&t.mon), Reason::SocketType("PUSH".into()));
    }
    t.sock.send("a").unwrap();
    t.sock.send("b").unwrap();
    let got = t.good_recv();
    assert!(got == "a" || got == "b");
    t.sock.disconnect(&t.ep.clone()).unwrap();
    wait_until(WAIT, "the self-queued message is dropped", || {
        t.sock.stats().dropped_on_disconnect == 1
    });
    t.round_trip("after");
    let closed = Instant::now();
    drop(t);
    assert!(closed.elapsed() < WAIT);
}

// ---------------------------------------------------------------------------
// Typed errors at the call
// ---------------------------------------------------------------------------

/// Invalid endpoint strings and option values are typed errors where they
/// are given, not failures later.
#[test]
fn invalid_endpoints_and_options_are_typed_errors() {
    let _g = shared();
    let ctx = Context::new().unwrap();
    let s = ctx.socket(SocketType::Dealer).unwrap();
    for ep in [
        "",
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:99999",
        "tcp://:5555",
        "udp://127.0.0.1:5555",
        "ipc://",
        "ipc://@",
        "127.0.0.1:5555",
        "tcp://[::1:5555",
    ] {
        assert!(
            matches!(s.bind(ep), Err(Error::InvalidEndpoint { .. })),
            "bind {ep:?}"
        );
        assert!(
            matches!(s.connect(ep), Err(Error::InvalidEndpoint { .. })),
            "connect {ep:?}"
        );
    }
    assert!(matches!(
        s.connect("tcp://*:5555"),
        Err(Error::InvalidEndpoint { .. })
    ));
    assert!(matches!(
        s.unbind("tcp://127.0.0.1:1"),
        Err(Error::EndpointNotFound(_))
    ));
    for (opts, name) in [
        (Options::default().with_send_hwm(0), "send_hwm"),
        (
            Options::default().with_max_message_size(0),
            "max_message_size",
        ),
        (
            Options::default().with_max_pending_handshakes(0),
            "max_pending_handshakes",
        ),
        (
            Options::default().with_handshake_timeout(Duration::ZERO),
            "handshake_timeout",
        ),
        (
            Options::default().with_heartbeat(Duration::from_secs(1), Duration::ZERO),
            "heartbeat_timeout",
        ),
        (
            Options::default().with_heartbeat_ttl(Duration::from_secs(7000)),
            "heartbeat_ttl",
        ),
        (
            Options::default().with_routing_id(vec![0u8, 1]),
            "routing_id",
        ),
        (
            Options::default().with_routing_id(vec![1u8; 256]),
            "routing_id",
        ),
    ] {
        match ctx.socket_with(SocketType::Router, opts) {
            Err(Error::InvalidOption { option, .. }) => assert_eq!(option, name),
            other => panic!("{name}: expected InvalidOption, got {other:?}"),
        }
    }
}
