//! CURVE, sans-IO: handshakes between two sessions with a fixed random
//! source (a recorded transcript is replayed byte for byte), the wire
//! layout libzmq expects, and hostile input that must cost only the
//! connection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use super::super::tests::{config, pair, pump, End};
use super::super::MechanismConfig;
use crate::message::Message;
use crate::proto::session::{Event, Heartbeat};
use crate::proto::socket_type::SocketType;
use crate::proto::ProtoError;
use crate::security::{Authenticator, CurveKeyPair, CurveSecretKey};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Long-term keys from libzmq's `zmq_curve` manual page.
fn server_keys() -> CurveKeyPair {
    CurveKeyPair::from_secret(
        CurveSecretKey::from_z85("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6").unwrap(),
    )
}

fn client_keys() -> CurveKeyPair {
    CurveKeyPair::from_secret(
        CurveSecretKey::from_z85("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs").unwrap(),
    )
}

fn client_cfg(
    ty: SocketType,
    server_public: crate::security::CurvePublicKey,
) -> crate::proto::session::SessionConfig {
    config(
        ty,
        MechanismConfig::CurveClient {
            keys: client_keys(),
            server: server_public,
        },
        11,
    )
}

fn server_cfg(ty: SocketType) -> crate::proto::session::SessionConfig {
    config(
        ty,
        MechanismConfig::CurveServer {
            secret: server_keys().secret().clone(),
        },
        22,
    )
}

fn curve_pair() -> (End, End) {
    pair(
        client_cfg(SocketType::Dealer, *server_keys().public()),
        server_cfg(SocketType::Router),
    )
}

/// Split a byte stream into ZMTP frames (after the 64-byte greeting):
/// (flags, body).
fn frames(stream: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 64;
    while i < stream.len() {
        let flags = stream[i];
        let (len, hdr) = if flags & 0x02 != 0 {
            (
                u64::from_be_bytes(stream[i + 1..i + 9].try_into().unwrap()) as usize,
                9,
            )
        } else {
            (stream[i + 1] as usize, 2)
        };
        out.push((flags, stream[i + hdr..i + hdr + len].to_vec()));
        i += hdr + len;
    }
    out
}

#[test]
fn the_keys_from_the_manual_pair_up() {
    assert_eq!(
        server_keys().public().to_z85(),
        "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    );
    assert_eq!(
        client_keys().public().to_z85(),
        "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
    );
}

#[test]
fn handshake_then_messages_both_ways() {
    let (mut c, mut s) = curve_pair();
    assert!(
        c.error.is_none() && s.error.is_none(),
        "{:?} {:?}",
        c.error,
        s.error
    );
    assert!(c.s.is_active() && s.s.is_active());
    c.s.send_message(&Message::multipart(["one", "two", ""]));
    s.s.send_message(&Message::from(vec![7u8; 70_000]));
    pump(&mut c, &mut s);
    assert_eq!(s.messages(), vec![Message::multipart(["one", "two", ""])]);
    assert_eq!(c.messages(), vec![Message::from(vec![7u8; 70_000])]);
}

#[test]
fn the_wire_layout_is_libzmqs() {
    let (mut c, mut s) = curve_pair();
    c.s.send_message(&Message::from("x"));
    s.s.send_message(&Message::from("y"));
    pump(&mut c, &mut s);
    let cf = frames(&c.sent);
    let sf = frames(&s.sent);
    // HELLO 200 bytes (72 of padding), INITIATE >= 257, then a MESSAGE.
    assert_eq!(&cf[0].1[..6], b"\x05HELLO");
    assert_eq!(cf[0].1.len(), 200);
    assert_eq!(cf[0].0, 0x04, "HELLO is a command frame");
    assert_eq!(&cf[1].1[..9], b"\x08INITIATE");
    assert!(cf[1].1.len() >= 257);
    // WELCOME 168, READY >= 30.
    assert_eq!(&sf[0].1[..8], b"\x07WELCOME");
    assert_eq!(sf[0].1.len(), 168);
    assert_eq!(&sf[1].1[..6], b"\x05READY");
    // Data: outer flags 0, and the nonces continue the handshake's:
    // the client's first MESSAGE is 3, the server's 2.
    let (flags, body) = &cf[2];
    assert_eq!(*flags, 0x00);
    assert_eq!(&body[..8], b"\x07MESSAGE");
    assert_eq!(u64::from_be_bytes(body[8..16].try_into().unwrap()), 3);
    assert_eq!(body.len(), 33 + 1);
    let (flags, body) = &sf[2];
    assert_eq!(*flags, 0x00);
    assert_eq!(u64::from_be_bytes(body[8..16].try_into().unwrap()), 2);
}

#[test]
fn no_plaintext_on_the_wire() {
    let (mut c, mut s) = curve_pair();
    let secret = b"attack at dawn, bring the secret sauce";
    c.s.send_message(&Message::from(&secret[..]));
    c.s.send_subscription(true, &Bytes::from_static(b"topic-in-clear?"));
    s.s.send_message(&Message::from(&secret[..]));
    pump(&mut c, &mut s);
    assert_eq!(s.messages().len(), 1);
    for stream in [&c.sent, &s.sent] {
        for needle in [
            &secret[..],
            b"topic-in-clear?",
            b"Socket-Type",
            b"SUBSCRIBE",
        ] {
            assert!(
                !stream.windows(needle.len()).any(|w| w == needle),
                "{:?} found in the clear",
                String::from_utf8_lossy(needle)
            );
        }
    }
    // The subscription arrived, boxed (the inner COMMAND flag).
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Subscribe(t) if &t[..] == b"topic-in-clear?")));
}

#[test]
fn heartbeats_travel_boxed() {
    let now = Instant::now();
    let mut client = client_cfg(SocketType::Dealer, *server_keys().public());
    client.heartbeat = Some(Heartbeat {
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(300),
        ttl_deciseconds: 0,
    });
    let mut c = End::new(client, now);
    let mut s = End::new(server_cfg(SocketType::Router), now);
    pump(&mut c, &mut s);
    assert!(c.s.is_active());
    let before = c.sent.len();
    c.s.on_timeout(now + Duration::from_millis(150)).unwrap();
    pump(&mut c, &mut s);
    assert!(c.sent.len() > before, "a PING went out");
    assert!(
        !c.sent[before..].windows(4).any(|w| w == b"PING"),
        "PING in the clear"
    );
    // The server answered (a boxed PONG), which counts as life: no timeout.
    assert!(s.error.is_none() && c.error.is_none());
    c.s.on_input(now + Duration::from_millis(200));
    c.s.on_timeout(now + Duration::from_millis(400)).unwrap();
}

#[test]
fn a_wrong_server_key_delivers_nothing() {
    let wrong = CurveKeyPair::from_secret(CurveSecretKey::from_bytes([9; 32]));
    let (c, s) = pair(
        client_cfg(SocketType::Push, *wrong.public()),
        server_cfg(SocketType::Pull),
    );
    assert!(
        matches!(s.error, Some(ProtoError::BadHandshake(_))),
        "{:?}",
        s.error
    );
    assert!(!c.s.is_active() && !s.s.is_active());
}

#[test]
fn the_allow_list_decides_and_names_the_client() {
    let auth = Authenticator::new();
    let mut server = server_cfg(SocketType::Pull);
    server.authenticator = Some(auth.clone());
    let (c, s) = pair(
        client_cfg(SocketType::Push, *server_keys().public()),
        server.clone(),
    );
    assert!(matches!(
        s.error,
        Some(ProtoError::AuthFailed { status: 400, .. })
    ));
    assert_eq!(
        c.error,
        Some(ProtoError::PeerError(Bytes::from_static(b"400")))
    );
    auth.allow_key(*client_keys().public());
    let (c, s) = pair(
        client_cfg(SocketType::Push, *server_keys().public()),
        server,
    );
    assert!(c.error.is_none() && s.error.is_none());
    assert_eq!(
        s.user_id(),
        Some(Bytes::from(client_keys().public().to_z85()))
    );
}

#[test]
fn a_replayed_message_closes_the_connection() {
    let (mut c, mut s) = curve_pair();
    let mark = c.sent.len();
    c.s.send_message(&Message::from("once"));
    pump(&mut c, &mut s);
    assert_eq!(s.messages().len(), 1);
    let replay = c.sent[mark..].to_vec();
    s.feed(&replay);
    assert_eq!(s.error, Some(ProtoError::CurveNonce));
    assert_eq!(s.messages().len(), 1, "the replay was not delivered");
}

#[test]
fn a_cookie_from_another_connection_is_refused() {
    // Two clients get as far as INITIATE with two connections of one
    // server; the INITIATE of the first is shown to the second.
    let now = Instant::now();
    let mut initiates = Vec::new();
    let mut servers = Vec::new();
    for seed in [1, 2] {
        let mut cc = client_cfg(SocketType::Push, *server_keys().public());
        cc.random = super::super::tests::fixed_random(100 + seed);
        let mut sc = server_cfg(SocketType::Pull);
        sc.random = super::super::tests::fixed_random(200 + seed);
        let mut c = End::new(cc, now);
        let mut s = End::new(sc, now);
        // Exchange until the client's INITIATE, which is held back.
        let mut held = None;
        for _ in 0..20 {
            let ab = c.s.tx().take_all();
            if ab.windows(9).any(|w| w == b"\x08INITIATE") {
                held = Some(ab);
                break;
            }
            s.feed(&ab);
            let ba = s.s.tx().take_all();
            c.feed(&ba);
        }
        initiates.push(held.expect("the client sends INITIATE"));
        servers.push(s);
    }
    let mut second = servers.pop().unwrap();
    second.feed(&initiates[0]);
    assert!(
        matches!(second.error, Some(ProtoError::BadHandshake(_))),
        "{:?}",
        second.error
    );
    let mut first = servers.pop().unwrap();
    first.feed(&initiates[0]);
    assert!(
        first.error.is_none() && first.s.is_active(),
        "{:?}",
        first.error
    );
}

#[test]
fn malformed_hellos_cost_only_the_connection() {
    let (c, _) = curve_pair();
    let hello = frames(&c.sent)[0].1.clone();
    let greeting = crate::proto::wire::Greeting::new("CURVE", false)
        .encode()
        .to_vec();
    let variants: Vec<Vec<u8>> = vec![
        hello[..199].to_vec(),             // truncated
        [hello.clone(), vec![0]].concat(), // oversized
        {
            let mut h = hello.clone();
            h[150] ^= 1;
            h
        }, // bad box
        {
            let mut h = hello.clone();
            h[6] = 2;
            h
        }, // version 2.0
        {
            let mut h = hello.clone();
            h[112..120].fill(0);
            h
        }, // nonce 0
    ];
    for (i, body) in variants.into_iter().enumerate() {
        let mut s = End::new(server_cfg(SocketType::Pull), Instant::now());
        let mut bytes = greeting.clone();
        let mut f = bytes::BytesMut::new();
        crate::proto::wire::encode_frame(&mut f, false, true, &body);
        bytes.extend_from_slice(&f);
        s.feed(&bytes);
        assert!(s.error.is_some(), "variant {i} was accepted");
        assert!(!s.s.is_active());
    }
}

#[test]
fn a_metadata_bomb_in_initiate_is_refused() {
    // INITIATE beyond the handshake frame limit is refused before any
    // decryption or allocation of its claimed size.
    let (c, _) = curve_pair();
    let hello = frames(&c.sent)[0].1.clone();
    let mut s = End::new(server_cfg(SocketType::Pull), Instant::now());
    let mut bytes = crate::proto::wire::Greeting::new("CURVE", false)
        .encode()
        .to_vec();
    let mut f = bytes::BytesMut::new();
    crate::proto::wire::encode_frame(&mut f, false, true, &hello);
    crate::proto::wire::encode_header(&mut f, false, true, 1 << 40);
    bytes.extend_from_slice(&f);
    s.feed(&bytes);
    assert!(s.error.is_some());
}

/// The whole conversation with fixed randomness and the manual's keys,
/// recorded once (see `transcript.hex`): any change to what goes on the
/// wire shows here. (Its format was checked against libzmq by the interop
/// tests when it was recorded.)
#[test]
fn the_recorded_transcript_replays() {
    let (mut c, mut s) = curve_pair();
    c.s.send_message(&Message::multipart(["hello", "world"]));
    s.s.send_message(&Message::from("reply"));
    pump(&mut c, &mut s);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let got = format!("client {}\nserver {}\n", hex(&c.sent), hex(&s.sent));
    let want = include_str!("transcript.hex");
    if std::env::var_os("FERROMQ_RECORD_TRANSCRIPT").is_some() {
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/proto/mechanism/curve/transcript.hex"
            ),
            &got,
        )
        .unwrap();
        return;
    }
    assert_eq!(got, want);
}
