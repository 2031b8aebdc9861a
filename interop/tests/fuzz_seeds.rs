//! Writes the seed corpus of the fuzz targets in `fuzz/` from real libzmq
//! traffic (an ignored test: run it by hand, see `fuzz/README.md`):
//!
//! ```text
//! cargo test -p ferromq-interop --test fuzz_seeds -- --ignored
//! ```
//!
//! A raw TCP listener plays a well-behaved ZMTP 3.1 peer (it sends a NULL
//! greeting and a READY of a compatible socket type, and one PING) to a libzmq
//! socket of each type, and records every byte libzmq sends back: its
//! greeting, its READY, multipart messages, PINGs (libzmq heartbeats every
//! 50 ms here), the PONG for our PING, SUBSCRIBE. Each recording becomes
//!
//! * `fuzz/corpus/session/…`: `config seed` + the whole stream, with the
//!   config byte naming the ferromq socket type that would talk to it;
//! * `fuzz/corpus/frame_decoder/…`: `limit seed` + the stream after the greeting;
//! * `fuzz/corpus/greeting/…`: the 64-byte greeting;
//! * `fuzz/corpus/command/…`: each command frame's body.
//!
//! The committed corpus is replayed by the unit tests in `src/fuzzing.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Longest any one capture may take.
const CAPTURE: Duration = Duration::from_secs(10);

/// A frame parsed from a recording.
struct Frame {
    flags: u8,
    body: Vec<u8>,
}

impl Frame {
    fn is_command(&self, name: &[u8]) -> bool {
        self.flags & 4 != 0 && self.body.get(1..1 + name.len()) == Some(name)
    }
}

/// Split a recording (greeting + frames) into its complete frames.
fn frames(stream: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut pos = 64;
    loop {
        let Some(&flags) = stream.get(pos) else {
            return out;
        };
        let (hdr, len) = if flags & 2 != 0 {
            let Some(raw) = stream.get(pos + 1..pos + 9) else {
                return out;
            };
            (9, u64::from_be_bytes(raw.try_into().unwrap()) as usize)
        } else {
            let Some(&len) = stream.get(pos + 1) else {
                return out;
            };
            (2, usize::from(len))
        };
        let Some(body) = stream.get(pos + hdr..pos + hdr + len) else {
            return out;
        };
        out.push(Frame {
            flags,
            body: body.to_vec(),
        });
        pos += hdr + len;
    }
}

fn greeting() -> Vec<u8> {
    let mut g = vec![0u8; 64];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 1;
    g[12..16].copy_from_slice(b"NULL");
    g
}

fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    let mut f = vec![4u8, body.len() as u8];
    f.extend_from_slice(&body);
    f
}

fn ready(socket_type: &str) -> Vec<u8> {
    let mut md = vec![11u8];
    md.extend_from_slice(b"Socket-Type");
    md.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    md.extend_from_slice(socket_type.as_bytes());
    command("READY", &md)
}

/// Record what a libzmq socket of type `ty` sends to a raw peer announcing
/// `claim`, after `act` ran on it, until `done` holds for the frames seen.
fn capture(
    ty: zmq::SocketType,
    claim: &str,
    setup: impl FnOnce(&zmq::Socket),
    act: impl FnOnce(&zmq::Socket),
    done: impl Fn(&[Frame]) -> bool,
) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ctx = zmq::Context::new();
    let s = ctx.socket(ty).unwrap();
    s.set_linger(0).unwrap();
    s.set_sndtimeo(10_000).unwrap();
    s.set_heartbeat_ivl(50).unwrap();
    setup(&s);
    s.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let (mut tcp, _) = listener.accept().unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut hello = greeting();
    hello.extend(ready(claim));
    tcp.write_all(&hello).unwrap();
    act(&s);
    let deadline = Instant::now() + CAPTURE;
    let mut stream = Vec::new();
    let mut buf = [0u8; 4096];
    let (mut pinged, mut ponged) = (false, 0);
    loop {
        let seen = frames(&stream);
        if done(&seen) {
            break;
        }
        // Behave: PING once libzmq's READY is in (a PING before it breaks
        // libzmq's handshake), and answer each of its PINGs, or it closes.
        if !pinged && has(&seen, b"READY") {
            tcp.write_all(&command("PING", b"\x00\x1ectx123")).unwrap();
            pinged = true;
        }
        let pings = seen.iter().filter(|f| f.is_command(b"PING")).count();
        while ponged < pings {
            tcp.write_all(&command("PONG", b"")).unwrap();
            ponged += 1;
        }
        assert!(
            Instant::now() < deadline,
            "capture from {claim} peer stalled"
        );
        match tcp.read(&mut buf) {
            Ok(0) => panic!("libzmq {claim} peer closed: {stream:?}"),
            Ok(n) => stream.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    stream
}

fn has(frames: &[Frame], name: &[u8]) -> bool {
    frames.iter().any(|f| f.is_command(name))
}

fn write(dir: &Path, target: &str, name: &str, data: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), data).unwrap();
}

/// Our socket types as the fuzz `session` config encodes them (bits 0–1).
const PUSH: u8 = 0;
const PULL: u8 = 1;
const DEALER: u8 = 2;
const ROUTER: u8 = 3;

#[test]
#[ignore = "writes fuzz/corpus from libzmq traffic; run by hand"]
fn capture_libzmq_seeds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let pings = |n: usize| move |f: &[Frame]| has(f, b"PONG") && has(f, b"PING") && f.len() >= n;
    let big = vec![b'x'; 300];
    let recordings: Vec<(&str, u8, Vec<u8>)> = vec![
        (
            "push",
            PULL,
            capture(
                zmq::PUSH,
                "PULL",
                |_| {},
                |s| {
                    s.send("hello", 0).unwrap();
                    s.send_multipart(["a", "bc"], 0).unwrap();
                    s.send(&big[..], 0).unwrap();
                    s.send_multipart(["", "x", ""], 0).unwrap();
                },
                pings(10),
            ),
        ),
        (
            "dealer_me",
            ROUTER,
            capture(
                zmq::DEALER,
                "ROUTER",
                |s| s.set_identity(b"me").unwrap(),
                |s| s.send_multipart(["req", "body"], 0).unwrap(),
                pings(5),
            ),
        ),
        (
            "router",
            DEALER,
            capture(zmq::ROUTER, "DEALER", |_| {}, |_| {}, pings(3)),
        ),
        (
            "req",
            ROUTER,
            capture(
                zmq::REQ,
                "ROUTER",
                |_| {},
                |s| s.send("req", 0).unwrap(),
                pings(5),
            ),
        ),
        (
            "rep",
            DEALER,
            capture(zmq::REP, "DEALER", |_| {}, |_| {}, pings(3)),
        ),
        (
            "pull",
            PUSH,
            capture(zmq::PULL, "PUSH", |_| {}, |_| {}, pings(3)),
        ),
        (
            "sub",
            PULL,
            capture(
                zmq::SUB,
                "PUB",
                |s| s.set_subscribe(b"AB").unwrap(),
                |_| {},
                |f| has(f, b"SUBSCRIBE") && has(f, b"PONG"),
            ),
        ),
    ];
    for (name, ty, stream) in &recordings {
        assert!(stream.len() > 64, "{name}: short recording {stream:?}");
        // Session: as the matching type, with heartbeats, and as PULL with a
        // tiny message limit (another path), in a few chunkings.
        for (tag, config, seed) in [
            ("a", ty | (2 << 2) | 0x10, 1u8),
            ("b", ty | (2 << 2) | 0x40, 77),
            ("c", PULL | (1 << 2), 200),
        ] {
            let mut data = vec![config, seed];
            data.extend_from_slice(stream);
            write(&dir, "session", &format!("{name}_{tag}"), &data);
        }
        let mut data = vec![4u8, 3];
        data.extend_from_slice(&stream[64..]);
        write(&dir, "frame_decoder", name, &data);
        write(&dir, "greeting", name, &stream[..64]);
        for (i, f) in frames(stream).iter().enumerate() {
            if f.flags & 4 != 0 {
                write(&dir, "command", &format!("{name}_{i}"), &f.body);
            }
        }
    }
    // A few hand-made seeds for paths libzmq never takes.
    let push = &recordings[0].2;
    let mut data = vec![PULL | (2 << 2), 5];
    data.extend_from_slice(push);
    data.extend(command("XEOF", b""));
    write(&dir, "session", "push_then_eof", &data);
    let mut g30 = greeting();
    g30[11] = 0;
    write(&dir, "greeting", "zmtp30", &g30);
    let mut g20 = greeting();
    g20[10] = 1;
    write(&dir, "greeting", "zmtp20", &g20);
    write(&dir, "command", "xeof", b"\x04XEOF");
    write(&dir, "command", "error", b"\x05ERROR\x03bad");
    write(
        &dir,
        "command",
        "ping_long_context",
        b"\x04PING\x00\x1e0123456789abcdefXYZ",
    );
    write(
        &dir,
        "frame_decoder",
        "huge_length",
        b"\x05\x00\x02\xff\xff\xff\xff\xff\xff\xff\xf0",
    );
    write(
        &dir,
        "frame_decoder",
        "long_header_small_body",
        b"\x04\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01x",
    );
}
