//! Sans-IO tests for [`Session`]: two sessions joined in memory, or one
//! session fed hand-crafted peer bytes, with a fake clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use super::*;
use crate::proto::tx::ZERO_COPY_THRESHOLD;
use crate::proto::wire::{encode_frame, encode_header, WireError};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

/// Handshake deadline used by every test config.
const TIMEOUT: Duration = Duration::from_secs(5);

fn cfg(socket_type: SocketType) -> SessionConfig {
    SessionConfig {
        socket_type,
        routing_id: None,
        max_message_size: 1 << 20,
        handshake_timeout: TIMEOUT,
        heartbeat: None,
        mechanism: crate::security::Security::Null,
        authenticator: None,
        peer_address: String::new(),
        random: crate::proto::mechanism::RandomFill::os(),
    }
}

fn session(socket_type: SocketType) -> Session {
    Session::new(cfg(socket_type), Instant::now())
}

/// Poll until the session wants more bytes.
fn drain(s: &mut Session) -> Result<Vec<Event>, ProtoError> {
    let mut events = Vec::new();
    while let Some(ev) = s.poll()? {
        events.push(ev);
    }
    Ok(events)
}

/// One end of an in-memory connection.
struct Side {
    s: Session,
    events: Vec<Event>,
    error: Option<ProtoError>,
}

impl Side {
    fn new(s: Session) -> Side {
        Side {
            s,
            events: Vec::new(),
            error: None,
        }
    }

    fn ready(&self) -> &PeerInfo {
        match self.events.first() {
            Some(Event::Ready(info)) => info,
            other => panic!(
                "expected Ready first, got {other:?} (error {:?})",
                self.error
            ),
        }
    }

    /// Events after the first (Ready).
    fn after_ready(&self) -> &[Event] {
        self.events.get(1..).unwrap_or(&[])
    }
}

/// Exchange bytes both ways at once (full duplex) until neither side has
/// anything to write. A side that failed stops sending, as the engine would
/// close its connection.
fn pump(a: &mut Side, b: &mut Side) {
    for _ in 0..100 {
        let ab = outgoing(a);
        let ba = outgoing(b);
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        deliver(b, &ab);
        deliver(a, &ba);
    }
    panic!("sessions never went quiet");
}

fn outgoing(side: &mut Side) -> Vec<u8> {
    if side.error.is_some() {
        return Vec::new();
    }
    side.s.tx().take_all()
}

fn deliver(to: &mut Side, bytes: &[u8]) {
    if to.error.is_some() || bytes.is_empty() {
        return;
    }
    to.s.feed(bytes);
    match drain(&mut to.s) {
        Ok(evs) => to.events.extend(evs),
        Err(e) => to.error = Some(e),
    }
}

fn connect(a: Session, b: Session) -> (Side, Side) {
    let (mut a, mut b) = (Side::new(a), Side::new(b));
    pump(&mut a, &mut b);
    (a, b)
}

fn connected(a: Session, b: Session) -> (Side, Side) {
    let (a, b) = connect(a, b);
    assert!(
        a.error.is_none() && b.error.is_none(),
        "{:?} {:?}",
        a.error,
        b.error
    );
    assert!(a.s.is_active() && b.s.is_active());
    (a, b)
}

// ---- hand-crafted peer bytes ----

fn greeting(mechanism: &str) -> Vec<u8> {
    Greeting::new(mechanism, false).encode().to_vec()
}

fn command(cmd: &Command) -> Vec<u8> {
    let mut dst = BytesMut::new();
    cmd.encode(&mut dst);
    dst.to_vec()
}

fn ready(props: &[(&str, &[u8])]) -> Vec<u8> {
    let mut md = Metadata::new();
    for (name, value) in props {
        md.insert(name, Bytes::copy_from_slice(value));
    }
    command(&Command::Ready(md))
}

fn data(more: bool, body: &[u8]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    encode_frame(&mut dst, more, false, body);
    dst.to_vec()
}

fn message(frames: &[&[u8]]) -> Vec<u8> {
    let last = frames.len().saturating_sub(1);
    frames
        .iter()
        .enumerate()
        .flat_map(|(i, f)| data(i < last, f))
        .collect()
}

/// Greeting + READY of a PUSH peer: what a PULL session expects.
fn push_peer_handshake() -> Vec<u8> {
    [greeting("NULL"), ready(&[("Socket-Type", b"PUSH")])].concat()
}

fn msg(frames: &[&'static str]) -> Message {
    Message::multipart(frames.iter().copied())
}

/// Split what a session wrote into its greeting and the frames after it.
fn written(s: &mut Session) -> (Greeting, Vec<crate::proto::wire::Frame>) {
    let bytes = s.tx().take_all();
    let g = Greeting::decode(&bytes).unwrap();
    let mut dec = FrameDecoder::new(u64::MAX);
    dec.feed(&bytes[GREETING_LEN..]);
    let mut frames = Vec::new();
    while let Some(f) = dec.decode().unwrap() {
        frames.push(f);
    }
    assert_eq!(dec.buffered(), 0, "trailing partial frame");
    (g, frames)
}

// ---- handshake ----

#[test]
fn greeting_signature_at_once_the_rest_after_the_peers() {
    let mut s = session(SocketType::Push);
    let ours = Greeting::new("NULL", false).encode();
    let first = s.tx().take_all();
    assert_eq!(first, ours[..10], "the signature goes out at once");
    assert_eq!(drain(&mut s), Ok(vec![]));
    assert!(s.tx().take_all().is_empty(), "the rest waits for the peer");
    let peer = Greeting::new("NULL", false).encode();
    s.feed(&peer[..9]);
    assert_eq!(drain(&mut s), Ok(vec![]));
    assert!(s.tx().take_all().is_empty(), "not before all 10 bytes");
    s.feed(&peer[9..10]);
    assert_eq!(drain(&mut s), Ok(vec![]));
    let rest = s.tx().take_all();
    assert_eq!(rest, ours[10..]);
    let whole = [first, rest].concat();
    let g = Greeting::decode(&whole).unwrap();
    assert_eq!((g.major, g.minor, g.mechanism_name()), (3, 1, &b"NULL"[..]));
    assert!(!s.is_active());
}

/// A peer that closes after its signature refused our greeting (libzmq,
/// when our mechanism is not its own); any other close is a plain one.
#[test]
fn a_close_after_the_peers_signature_is_a_mechanism_refusal() {
    let mut s = session(SocketType::Push);
    assert_eq!(s.closed_by_peer(), None, "nothing seen yet");
    let peer = Greeting::new("CURVE", false).encode();
    s.feed(&peer[..10]);
    assert_eq!(drain(&mut s), Ok(vec![]));
    assert_eq!(s.closed_by_peer(), Some(ProtoError::MechanismRefused));
    let (a, _) = connected(session(SocketType::Push), session(SocketType::Pull));
    assert_eq!(
        a.s.closed_by_peer(),
        None,
        "after the handshake: a plain close"
    );
}

#[test]
fn push_pull_reach_ready_with_peer_info() {
    let (push, pull) = connected(session(SocketType::Push), session(SocketType::Pull));
    for (side, peer_type) in [(&push, "PULL"), (&pull, "PUSH")] {
        let info = side.ready();
        assert_eq!(info.socket_type.as_deref(), Some(peer_type.as_bytes()));
        assert_eq!(info.identity, None);
        assert_eq!(info.minor, 1);
        // PUSH/PULL do not send Identity at all (libzmq neither).
        assert_eq!(info.metadata.get("Identity"), None);
        assert_eq!(info.metadata.len(), 1);
        assert_eq!(side.events.len(), 1);
        assert_eq!(side.s.deadline(), None);
    }
}

#[test]
fn dealer_identity_reaches_router() {
    let mut dealer_cfg = cfg(SocketType::Dealer);
    dealer_cfg.routing_id = Some(Bytes::from_static(b"worker-1"));
    let dealer = Session::new(dealer_cfg, Instant::now());
    let (dealer, router) = connected(dealer, session(SocketType::Router));

    let seen_by_router = router.ready();
    assert_eq!(seen_by_router.socket_type.as_deref(), Some(&b"DEALER"[..]));
    assert_eq!(seen_by_router.identity.as_deref(), Some(&b"worker-1"[..]));

    // The ROUTER has no routing id: it sends an empty Identity, which is
    // reported as no identity.
    let seen_by_dealer = dealer.ready();
    assert_eq!(seen_by_dealer.socket_type.as_deref(), Some(&b"ROUTER"[..]));
    assert_eq!(seen_by_dealer.identity, None);
    assert_eq!(
        seen_by_dealer.metadata.get("Identity").map(|v| v.len()),
        Some(0)
    );
}

#[test]
fn dealer_dealer_and_router_router_are_compatible() {
    connected(session(SocketType::Dealer), session(SocketType::Dealer));
    connected(session(SocketType::Router), session(SocketType::Router));
}

#[test]
fn incompatible_socket_types_fail_both_ends() {
    let cases = [
        (SocketType::Push, SocketType::Push),
        (SocketType::Pull, SocketType::Pull),
        (SocketType::Pull, SocketType::Dealer),
        (SocketType::Push, SocketType::Router),
        (SocketType::Dealer, SocketType::Push),
    ];
    for (ta, tb) in cases {
        let (a, b) = connect(session(ta), session(tb));
        assert_eq!(
            a.error,
            Some(ProtoError::IncompatibleSocketType(Bytes::from_static(
                tb.name().as_bytes()
            ))),
            "{ta} side of {ta}-{tb}"
        );
        assert_eq!(
            b.error,
            Some(ProtoError::IncompatibleSocketType(Bytes::from_static(
                ta.name().as_bytes()
            ))),
            "{tb} side of {ta}-{tb}"
        );
        assert!(a.events.is_empty() && b.events.is_empty());
        assert!(!a.s.is_active() && !b.s.is_active());
    }
}

#[test]
fn ready_without_socket_type_is_accepted() {
    let mut s = session(SocketType::Pull);
    s.feed(&[greeting("NULL"), ready(&[])].concat());
    let events = drain(&mut s).unwrap();
    assert!(matches!(&events[..], [Event::Ready(info)] if info.socket_type.is_none()));
}

#[test]
fn socket_type_value_is_case_sensitive() {
    let mut s = session(SocketType::Pull);
    s.feed(&[greeting("NULL"), ready(&[("Socket-Type", b"push")])].concat());
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::IncompatibleSocketType(Bytes::from_static(
            b"push"
        )))
    );
}

#[test]
fn mechanism_mismatch_fails_without_sending_ready() {
    for mechanism in ["PLAIN", "CURVE"] {
        let mut s = session(SocketType::Pull);
        s.tx().take_all();
        s.feed(&greeting(mechanism));
        assert_eq!(
            drain(&mut s),
            Err(ProtoError::MechanismMismatch(Bytes::from_static(
                mechanism.as_bytes()
            )))
        );
        let ours = Greeting::new("NULL", false).encode();
        assert_eq!(
            s.tx().take_all(),
            ours[10..],
            "the rest of our greeting, and no READY, after a mechanism mismatch"
        );
    }
}

#[test]
fn data_frame_before_ready_fails() {
    let mut s = session(SocketType::Pull);
    s.feed(&[greeting("NULL"), data(false, b"too early")].concat());
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::UnexpectedDuringHandshake("data frame"))
    );
}

#[test]
fn other_command_before_ready_fails() {
    let mut s = session(SocketType::Pull);
    let ping = Command::Ping {
        ttl_deciseconds: 0,
        context: Bytes::new(),
    };
    s.feed(&[greeting("NULL"), command(&ping)].concat());
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::UnexpectedDuringHandshake("command"))
    );
}

#[test]
fn error_command_during_handshake_is_reported() {
    let mut s = session(SocketType::Pull);
    let err = Command::Error {
        reason: Bytes::from_static(b"400"),
    };
    s.feed(&[greeting("NULL"), command(&err)].concat());
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::PeerError(Bytes::from_static(b"400")))
    );
}

#[test]
fn zmtp_2_0_greeting_fails_as_soon_as_the_version_byte_arrives() {
    // ZMTP 2.0: signature, then revision 0x01 and the socket type.
    let zmtp20 = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x01, 0x08];
    let mut s = session(SocketType::Pull);
    s.feed(&zmtp20[..10]);
    assert_eq!(drain(&mut s), Ok(vec![]), "consistent so far");
    s.feed(&zmtp20[10..11]);
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::Wire(WireError::UnsupportedVersion { major: 1 }))
    );

    // A full 64-byte greeting with major 1 fails the same way.
    let mut g = greeting("NULL");
    g[10] = 1;
    let mut s = session(SocketType::Pull);
    s.feed(&g);
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::Wire(WireError::UnsupportedVersion { major: 1 }))
    );
}

#[test]
fn zmtp_1_0_or_garbage_fails_on_the_first_byte() {
    let mut s = session(SocketType::Pull);
    s.feed(b"G");
    assert_eq!(
        drain(&mut s),
        Err(ProtoError::Wire(WireError::BadSignature))
    );
}

#[test]
fn handshake_timeout_fires_at_the_deadline_not_before() {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(SocketType::Pull), t0);
    assert_eq!(s.deadline(), Some(t0 + TIMEOUT));
    assert_eq!(s.on_timeout(t0), Ok(()));
    assert_eq!(s.on_timeout(t0 + TIMEOUT - Duration::from_nanos(1)), Ok(()));
    assert_eq!(
        s.on_timeout(t0 + TIMEOUT),
        Err(ProtoError::HandshakeTimeout)
    );

    // Still pending after the greeting: the deadline covers the handshake too.
    let mut s = Session::new(cfg(SocketType::Pull), t0);
    s.feed(&greeting("NULL"));
    assert_eq!(drain(&mut s), Ok(vec![]));
    assert_eq!(s.deadline(), Some(t0 + TIMEOUT));
    assert_eq!(
        s.on_timeout(t0 + TIMEOUT + Duration::from_secs(1)),
        Err(ProtoError::HandshakeTimeout)
    );
}

#[test]
fn no_timeout_once_active() {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(SocketType::Pull), t0);
    s.feed(&push_peer_handshake());
    assert!(matches!(drain(&mut s).unwrap()[..], [Event::Ready(_)]));
    assert_eq!(s.deadline(), None);
    assert_eq!(s.on_timeout(t0 + TIMEOUT * 100), Ok(()));
}

// ---- messages ----

#[test]
fn messages_and_multipart_pass_through_both_ways() {
    let (mut dealer, mut router) =
        connected(session(SocketType::Dealer), session(SocketType::Router));
    let big = Bytes::from(vec![7u8; ZERO_COPY_THRESHOLD * 2 + 3]);
    let long = Bytes::from(vec![9u8; 300]); // 9-byte header
    let sent = vec![
        msg(&["hello"]),
        msg(&["a", "", "ccc"]),
        Message::from(Bytes::new()),
        Message::from(vec![big.clone(), Bytes::from_static(b"tail")]),
        Message::from(vec![long.clone()]),
    ];
    for m in &sent {
        dealer.s.send_message(m);
    }
    router.s.send_message(&msg(&["reply", "x"]));
    pump(&mut dealer, &mut router);

    let got: Vec<Event> = router.after_ready().to_vec();
    let want: Vec<Event> = sent.into_iter().map(Event::Message).collect();
    assert_eq!(got, want);
    assert_eq!(
        dealer.after_ready(),
        &[Event::Message(msg(&["reply", "x"]))]
    );
    assert!(dealer.error.is_none() && router.error.is_none());
}

#[test]
fn pill_arrives_as_eof_after_earlier_messages() {
    let (mut push, mut pull) = connected(session(SocketType::Push), session(SocketType::Pull));
    push.s.send_message(&msg(&["last", "task"]));
    push.s.send_eof();
    pump(&mut push, &mut pull);
    assert_eq!(
        pull.after_ready(),
        &[Event::Message(msg(&["last", "task"])), Event::Eof]
    );
}

#[test]
fn pill_is_the_xeof_command_frame() {
    let (mut push, _pull) = connected(session(SocketType::Push), session(SocketType::Pull));
    push.s.send_eof();
    let bytes = push.s.tx().take_all();
    assert_eq!(bytes, [&[0x04u8, 5, 4][..], b"XEOF"].concat());
}

#[test]
fn message_over_the_limit_fails_summed_over_frames() {
    let mut c = cfg(SocketType::Pull);
    c.max_message_size = 100;

    // 50 + 50 is exactly the limit: fine, and the count restarts per message.
    let mut s = Session::new(c.clone(), Instant::now());
    s.feed(&push_peer_handshake());
    s.feed(&message(&[&[1; 50], &[2; 50]]));
    s.feed(&message(&[&[3; 60]]));
    s.feed(&message(&[&[4; 60]]));
    let events = drain(&mut s).unwrap();
    assert_eq!(events.len(), 4, "{events:?}");

    // 60 + 60 crosses it on the second frame.
    let mut s = Session::new(c.clone(), Instant::now());
    s.feed(&push_peer_handshake());
    s.feed(&message(&[&[1; 60], &[2; 60]]));
    assert!(matches!(s.poll(), Ok(Some(Event::Ready(_)))));
    assert_eq!(
        s.poll(),
        Err(ProtoError::MessageTooLarge {
            size: 120,
            limit: 100
        })
    );

    // Many small frames add up too.
    let mut s = Session::new(c.clone(), Instant::now());
    s.feed(&push_peer_handshake());
    let frames: Vec<&[u8]> = vec![&[0u8; 10]; 11];
    s.feed(&message(&frames));
    assert!(matches!(s.poll(), Ok(Some(Event::Ready(_)))));
    assert_eq!(
        s.poll(),
        Err(ProtoError::MessageTooLarge {
            size: 110,
            limit: 100
        })
    );
}

#[test]
fn oversized_frame_header_is_rejected_before_its_body_arrives() {
    let mut c = cfg(SocketType::Pull);
    c.max_message_size = 100;
    let mut s = Session::new(c, Instant::now());
    s.feed(&push_peer_handshake());
    let mut header = BytesMut::new();
    encode_header(&mut header, false, false, 1 << 30);
    s.feed(&header);
    assert!(matches!(s.poll(), Ok(Some(Event::Ready(_)))));
    assert!(matches!(
        s.poll(),
        Err(ProtoError::Wire(WireError::FrameTooLarge {
            size: 0x4000_0000,
            ..
        })) | Err(ProtoError::MessageTooLarge { .. })
    ));
}

#[test]
fn small_message_limit_does_not_break_the_handshake() {
    // A READY is ~30 bytes; max_message_size limits messages, not commands.
    let mut a = cfg(SocketType::Push);
    a.max_message_size = 8;
    let mut b = cfg(SocketType::Pull);
    b.max_message_size = 8;
    let (mut push, mut pull) = connected(
        Session::new(a, Instant::now()),
        Session::new(b, Instant::now()),
    );
    push.s.send_message(&msg(&["12345678"]));
    pump(&mut push, &mut pull);
    assert_eq!(pull.after_ready(), &[Event::Message(msg(&["12345678"]))]);
    push.s.send_message(&msg(&["123456789"]));
    pump(&mut push, &mut pull);
    assert!(matches!(
        pull.error,
        Some(ProtoError::MessageTooLarge { limit: 8, .. })
            | Some(ProtoError::Wire(WireError::FrameTooLarge { .. }))
    ));
}

#[test]
fn command_inside_a_multipart_message_fails() {
    let mut s = session(SocketType::Pull);
    s.feed(&push_peer_handshake());
    s.feed(&data(true, b"first"));
    s.feed(&command(&Command::Eof));
    assert!(matches!(s.poll(), Ok(Some(Event::Ready(_)))));
    assert_eq!(s.poll(), Err(ProtoError::CommandInMultipart));
}

#[test]
fn unknown_commands_after_the_handshake_are_ignored() {
    let mut s = session(SocketType::Pull);
    s.feed(&push_peer_handshake());
    s.feed(&command(&Command::Unknown {
        name: Bytes::from_static(b"FUTURE"),
        data: Bytes::from_static(b"stuff"),
    }));
    s.feed(&command(&Command::Pong {
        context: Bytes::from_static(b"x"),
    }));
    s.feed(&message(&[b"after"]));
    let events = drain(&mut s).unwrap();
    assert_eq!(events[1..], [Event::Message(msg(&["after"]))]);
}

#[test]
fn ping_gets_a_pong_with_the_same_context() {
    let mut s = session(SocketType::Pull);
    s.feed(&push_peer_handshake());
    let ping = |context: &'static [u8]| {
        command(&Command::Ping {
            ttl_deciseconds: 30,
            context: Bytes::from_static(context),
        })
    };
    s.feed(&ping(b"ctx-42"));
    s.feed(&ping(b""));
    // Context past 16 bytes is not echoed (libzmq limits it to 16).
    let mut long = BytesMut::new();
    encode_frame(
        &mut long,
        false,
        true,
        &[&b"\x04PING\x00\x00"[..], &[b'z'; 20]].concat(),
    );
    s.feed(&long);
    let events = drain(&mut s).unwrap();
    assert!(matches!(events[..], [Event::Ready(_)]), "{events:?}");

    let (_, frames) = written(&mut s);
    let cmds: Vec<Command> = frames
        .iter()
        .map(|f| {
            assert!(f.command && !f.more);
            Command::decode(&f.body).unwrap()
        })
        .collect();
    assert!(matches!(cmds[0], Command::Ready(_)));
    assert_eq!(
        cmds[1..],
        [
            Command::Pong {
                context: Bytes::from_static(b"ctx-42")
            },
            Command::Pong {
                context: Bytes::new()
            },
            Command::Pong {
                context: Bytes::from(vec![b'z'; 16])
            },
        ]
    );
}

#[test]
fn our_ready_carries_socket_type_and_identity() {
    let mut c = cfg(SocketType::Dealer);
    c.routing_id = Some(Bytes::from_static(b"me"));
    let mut s = Session::new(c, Instant::now());
    s.feed(&greeting("NULL"));
    assert_eq!(drain(&mut s), Ok(vec![]));
    let (_, frames) = written(&mut s);
    let [frame] = &frames[..] else {
        panic!("expected one READY, got {frames:?}");
    };
    let Command::Ready(md) = Command::decode(&frame.body).unwrap() else {
        panic!("not READY");
    };
    assert_eq!(
        md.get_exact("Socket-Type").map(|v| &v[..]),
        Some(&b"DEALER"[..])
    );
    assert_eq!(md.get_exact("Identity").map(|v| &v[..]), Some(&b"me"[..]));
}

// ---- chunking ----

/// Everything a PUSH peer might send: handshake, messages, a PING, the pill.
fn full_peer_stream() -> Vec<u8> {
    [
        push_peer_handshake(),
        message(&[b"one"]),
        message(&[b"a", b"", &[5u8; 400]]),
        command(&Command::Ping {
            ttl_deciseconds: 0,
            context: Bytes::from_static(b"p"),
        }),
        message(&[b"two"]),
        command(&Command::Eof),
    ]
    .concat()
}

fn expected_events() -> Vec<Event> {
    vec![
        Event::Message(msg(&["one"])),
        Event::Message(Message::from(vec![
            Bytes::from_static(b"a"),
            Bytes::new(),
            Bytes::from(vec![5u8; 400]),
        ])),
        Event::Message(msg(&["two"])),
        Event::Eof,
    ]
}

/// Feed `stream` cut at `cuts`, polling after every piece; returns the events
/// and everything the session wrote.
fn feed_chunked(stream: &[u8], cuts: impl IntoIterator<Item = usize>) -> (Vec<Event>, Vec<u8>) {
    let mut s = session(SocketType::Pull);
    let mut events = Vec::new();
    let mut pos = 0usize;
    for len in cuts.into_iter().chain([usize::MAX]) {
        let end = pos.saturating_add(len).min(stream.len());
        s.feed(&stream[pos..end]);
        events.extend(drain(&mut s).unwrap());
        pos = end;
        if pos == stream.len() {
            break;
        }
    }
    assert_eq!(pos, stream.len());
    events.extend(drain(&mut s).unwrap());
    (events, s.tx().take_all())
}

#[test]
fn everything_in_one_chunk() {
    let (events, out) = feed_chunked(&full_peer_stream(), []);
    assert!(matches!(&events[0], Event::Ready(_)));
    assert_eq!(events[1..], expected_events());
    assert!(out.len() > GREETING_LEN);
}

#[test]
fn byte_by_byte_gives_the_same_events_and_output() {
    let stream = full_peer_stream();
    let whole = feed_chunked(&stream, []);
    let bytewise = feed_chunked(&stream, std::iter::repeat(1));
    assert_eq!(whole, bytewise);
}

/// Random peer traffic: message frame lists (some frames LONG), with PINGs in
/// between.
#[derive(Clone, Debug)]
struct Traffic(Vec<Option<Vec<Vec<u8>>>>);

impl Arbitrary for Traffic {
    fn arbitrary(g: &mut Gen) -> Traffic {
        let n = usize::arbitrary(g) % 8;
        Traffic(
            (0..n)
                .map(|_| {
                    if u8::arbitrary(g) % 5 == 0 {
                        return None; // a PING
                    }
                    let frames = 1 + usize::arbitrary(g) % 3;
                    Some(
                        (0..frames)
                            .map(|_| {
                                let len = if bool::arbitrary(g) { 300 } else { 0 }
                                    + usize::arbitrary(g) % 20;
                                (0..len).map(|_| u8::arbitrary(g)).collect()
                            })
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Traffic>> {
        Box::new(self.0.shrink().map(Traffic))
    }
}

fn traffic_stream(t: &Traffic, eof: bool) -> Vec<u8> {
    let mut out = push_peer_handshake();
    for item in &t.0 {
        match item {
            Some(frames) => {
                let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
                out.extend(message(&frames));
            }
            None => out.extend(command(&Command::Ping {
                ttl_deciseconds: 1,
                context: Bytes::from_static(b"hb"),
            })),
        }
    }
    if eof {
        out.extend(command(&Command::Eof));
    }
    out
}

fn chunking_is_invisible(t: Traffic, eof: bool, cuts: Vec<u16>) -> TestResult {
    let stream = traffic_stream(&t, eof);
    let (events, out) = feed_chunked(&stream, []);
    let mut want: Vec<Event> =
        t.0.iter()
            .flatten()
            .map(|frames| Event::Message(frames.iter().cloned().map(Bytes::from).collect()))
            .collect();
    if eof {
        want.push(Event::Eof);
    }
    if events.get(1..) != Some(&want[..]) {
        return TestResult::error(format!("one chunk: {events:?}"));
    }
    let cuts = cuts.into_iter().map(|c| 1 + usize::from(c) % 97);
    let chunked = feed_chunked(&stream, cuts);
    TestResult::from_bool(chunked == (events, out))
}

#[test]
fn random_chunking_yields_the_same_events() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(chunking_is_invisible as fn(Traffic, bool, Vec<u16>) -> TestResult);
}

// ---- heartbeats ----

fn heartbeat_cfg(interval: u64, timeout: u64) -> SessionConfig {
    let mut c = cfg(SocketType::Pull);
    c.heartbeat = Some(Heartbeat {
        interval: Duration::from_secs(interval),
        timeout: Duration::from_secs(timeout),
        ttl_deciseconds: 50,
    });
    c
}

/// A PULL session at `t0`, handshaken with a PUSH peer of greeting minor `minor`.
fn active_at(c: SessionConfig, t0: Instant, minor: u8) -> Session {
    let mut s = Session::new(c, t0);
    let mut g = Greeting::new("NULL", false);
    g.minor = minor;
    s.on_input(t0);
    s.feed(&[&g.encode()[..], &ready(&[("Socket-Type", b"PUSH")])].concat());
    assert!(matches!(drain(&mut s).unwrap()[..], [Event::Ready(_)]));
    s.tx().take_all();
    s
}

fn sent_commands(s: &mut Session) -> Vec<Command> {
    let mut dec = FrameDecoder::new(u64::MAX);
    dec.feed(&s.tx().take_all());
    std::iter::from_fn(|| dec.decode().unwrap())
        .map(|f| Command::decode(&f.body).unwrap())
        .collect()
}

#[test]
fn heartbeat_pings_every_interval_and_times_out_on_silence() {
    let t0 = Instant::now();
    let sec = Duration::from_secs(1);
    let mut s = active_at(heartbeat_cfg(1, 3), t0, 1);
    assert_eq!(s.deadline(), Some(t0 + sec));
    assert_eq!(s.on_timeout(t0 + sec / 2), Ok(()));
    assert!(s.tx().is_empty(), "no PING before the interval");

    assert_eq!(s.on_timeout(t0 + sec), Ok(()));
    assert_eq!(
        sent_commands(&mut s),
        [Command::Ping {
            ttl_deciseconds: 50,
            context: Bytes::new()
        }]
    );
    assert_eq!(s.deadline(), Some(t0 + 2 * sec), "next PING first");
    assert_eq!(s.on_timeout(t0 + 2 * sec), Ok(()));
    assert_eq!(s.on_timeout(t0 + 3 * sec), Ok(()));
    // The first PING's timeout (t0 + 1 s + 3 s) is not moved by later PINGs.
    assert_eq!(
        s.on_timeout(t0 + 4 * sec),
        Err(ProtoError::HeartbeatTimeout)
    );
}

#[test]
fn any_input_keeps_a_heartbeating_connection_alive() {
    let t0 = Instant::now();
    let sec = Duration::from_secs(1);
    let mut s = active_at(heartbeat_cfg(1, 3), t0, 1);
    for i in 1..=20 {
        let now = t0 + i * sec;
        assert_eq!(s.on_timeout(now), Ok(()), "at {i} s");
        // The peer answers with a PONG (any bytes would do).
        s.on_input(now);
        s.feed(&command(&Command::Pong {
            context: Bytes::new(),
        }));
        assert_eq!(drain(&mut s), Ok(vec![]));
    }
    assert_eq!(sent_commands(&mut s).len(), 20, "one PING per interval");
}

#[test]
fn no_heartbeats_to_a_zmtp_3_0_peer() {
    let t0 = Instant::now();
    let mut s = active_at(heartbeat_cfg(1, 3), t0, 0);
    assert_eq!(s.deadline(), None);
    assert_eq!(s.on_timeout(t0 + Duration::from_secs(100)), Ok(()));
    assert!(s.tx().is_empty());
}

#[test]
fn peer_ping_ttl_closes_a_silent_connection() {
    let t0 = Instant::now();
    let mut s = active_at(cfg(SocketType::Pull), t0, 1);
    assert_eq!(s.deadline(), None, "heartbeats off: no timer of our own");
    s.on_input(t0);
    s.feed(&command(&Command::Ping {
        ttl_deciseconds: 25,
        context: Bytes::from_static(b"c"),
    }));
    assert_eq!(drain(&mut s), Ok(vec![]));
    let ttl = Duration::from_millis(2500);
    assert_eq!(s.deadline(), Some(t0 + ttl));
    assert_eq!(s.on_timeout(t0 + ttl - Duration::from_millis(1)), Ok(()));
    assert_eq!(s.on_timeout(t0 + ttl), Err(ProtoError::HeartbeatTimeout));

    // Input before the TTL runs out clears it.
    let mut s = active_at(cfg(SocketType::Pull), t0, 1);
    s.feed(&command(&Command::Ping {
        ttl_deciseconds: 25,
        context: Bytes::new(),
    }));
    assert_eq!(drain(&mut s), Ok(vec![]));
    s.on_input(t0 + Duration::from_secs(2));
    s.feed(&message(&[b"alive"]));
    assert_eq!(drain(&mut s).unwrap().len(), 1);
    assert_eq!(s.deadline(), None);
    assert_eq!(s.on_timeout(t0 + Duration::from_secs(60)), Ok(()));
}

#[test]
fn handshake_commands_are_limited_whatever_the_message_limit() {
    // A READY declared larger than MAX_HANDSHAKE_FRAME is refused from its
    // header, even though max_message_size (1 MiB here) would allow it: a
    // peer that has not finished its handshake cannot make us parse ~10x its
    // bytes of properties.
    let mut s = session(SocketType::Pull);
    s.feed(&greeting("NULL"));
    let mut header = BytesMut::new();
    encode_header(&mut header, false, true, (MAX_HANDSHAKE_FRAME + 1) as usize);
    s.feed(&header);
    assert!(matches!(
        drain(&mut s),
        Err(ProtoError::Wire(WireError::FrameTooLarge { .. }))
    ));
    // Up to the limit is fine, with as many tiny properties as fit.
    let mut s = session(SocketType::Pull);
    let mut md = Metadata::new();
    md.insert("Socket-Type", Bytes::from_static(b"PUSH"));
    while md.encoded_len() + 6 + 8 <= MAX_HANDSHAKE_FRAME as usize {
        md.insert("a", Bytes::new());
    }
    s.feed(&[greeting("NULL"), command(&Command::Ready(md))].concat());
    let events = drain(&mut s).unwrap();
    assert!(matches!(&events[..], [Event::Ready(info)] if info.metadata.len() > 10_000));
}

#[test]
fn a_frame_over_the_limit_is_a_message_over_the_limit() {
    let mut c = cfg(SocketType::Pull);
    c.max_message_size = 100;
    for (size, too_large) in [(1u64 << 40, true), (u64::MAX, false), (1 << 63, false)] {
        let mut s = Session::new(c.clone(), Instant::now());
        s.feed(&push_peer_handshake());
        let mut header = vec![0x02];
        header.extend_from_slice(&size.to_be_bytes());
        s.feed(&header);
        assert!(matches!(s.poll(), Ok(Some(Event::Ready(_)))));
        let e = s.poll().unwrap_err();
        if too_large {
            assert_eq!(e, ProtoError::MessageTooLarge { size, limit: 100 });
        } else {
            // Beyond ZMTP's 2^63-1: not a size at all.
            assert!(matches!(
                e,
                ProtoError::Wire(WireError::FrameTooLarge { .. })
            ));
        }
    }
}

/// A subscriber's session: SUBSCRIBE/CANCEL commands for a
/// ZMTP 3.1 peer, `0x01`/`0x00`-led data frames for a 3.0 one (libzmq's
/// rule, since 3.0 has no such commands).
#[test]
fn subscriptions_are_encoded_for_the_peer_version() {
    let t0 = Instant::now();
    let topic = Bytes::from_static(b"news");
    // (The helper's peer is a PUSH, so the session is a PULL; encoding
    // depends only on the peer's version.)
    let mut v31 = active_at(cfg(SocketType::Pull), t0, 1);
    v31.send_subscription(true, &topic);
    v31.send_subscription(false, &topic);
    assert_eq!(
        sent_commands(&mut v31),
        [
            Command::Subscribe(topic.clone()),
            Command::Cancel(topic.clone())
        ]
    );
    let mut v30 = active_at(cfg(SocketType::Pull), t0, 0);
    v30.send_subscription(true, &topic);
    v30.send_subscription(false, &topic);
    let mut dec = FrameDecoder::new(u64::MAX);
    dec.feed(&v30.tx().take_all());
    let frames: Vec<_> = std::iter::from_fn(|| dec.decode().unwrap()).collect();
    assert_eq!(frames.len(), 2);
    assert!(frames.iter().all(|f| !f.command && !f.more));
    assert_eq!(&frames[0].body[..], b"\x01news");
    assert_eq!(&frames[1].body[..], b"\x00news");
}

/// A publisher session reports a 3.1 peer's SUBSCRIBE and CANCEL commands
/// as events (legacy frames arrive as messages, for the pattern to read).
#[test]
fn subscribe_and_cancel_commands_become_events() {
    let t0 = Instant::now();
    let mut s = active_at(cfg(SocketType::Pull), t0, 1);
    let mut bytes = BytesMut::new();
    Command::Subscribe(Bytes::from_static(b"a")).encode(&mut bytes);
    Command::Cancel(Bytes::from_static(b"a")).encode(&mut bytes);
    encode_frame(&mut bytes, false, false, b"\x01b");
    s.feed(&bytes);
    assert_eq!(
        drain(&mut s).unwrap(),
        [
            Event::Subscribe(Bytes::from_static(b"a")),
            Event::Cancel(Bytes::from_static(b"a")),
            Event::Message(Message::from(Bytes::from_static(b"\x01b"))),
        ]
    );
}
