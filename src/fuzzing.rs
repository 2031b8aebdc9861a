//! Entry points for the fuzz targets in `fuzz/` (hidden; Cargo feature
//! `fuzzing`), and the replay of their committed corpus as ordinary unit
//! tests.
//!
//! Each function takes arbitrary bytes, drives one piece of the code that
//! handles peer bytes, and panics only when an invariant is broken (the fuzzer
//! reports a panic as a finding). Inputs that merely violate ZMTP are
//! expected: they must come back as errors, never as panics, unbounded
//! memory or wrong results.
//!
//! | function | drives | input layout |
//! |---|---|---|
//! | [`frame_decoder`] | `FrameDecoder` | `limit(1) seed(1) stream…` |
//! | [`greeting`] | `Greeting::check_prefix` / `decode` | raw bytes |
//! | [`command`] | `Command::decode`, `Metadata::decode` | raw command body |
//! | [`session`] | a whole `Session` | `config(1) seed(1) stream…` |
//!
//! `seed` picks the sizes of the chunks the stream is cut into (and, for
//! [`session`], how far the fake clock moves between chunks), so the fuzzer
//! also explores every way TCP may split the same bytes.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use crate::message::Message;
use crate::proto::session::{Event, Heartbeat, Session, SessionConfig};
use crate::proto::socket_type::SocketType;
use crate::proto::wire::{Command, FrameDecoder, Greeting, Metadata, GREETING_LEN, READ_CHUNK};
use bytes::{Bytes, BytesMut};
use std::time::{Duration, Instant};

/// Per-frame limits [`frame_decoder`] picks from (first input byte).
const FRAME_LIMITS: [u64; 6] = [0, 1, 255, 256, 64 * 1024, u64::MAX];
/// `max_message_size` values [`session`] picks from.
const MESSAGE_LIMITS: [u64; 4] = [1, 300, 64 * 1024, 64 * 1024 * 1024];
/// Socket types [`session`] picks from.
const SOCKET_TYPES: [SocketType; 4] = [
    SocketType::Push,
    SocketType::Pull,
    SocketType::Dealer,
    SocketType::Router,
];

/// A tiny deterministic generator for chunk sizes and clock steps.
struct Chunker {
    state: u32,
}

impl Chunker {
    fn new(seed: u8) -> Chunker {
        Chunker {
            state: u32::from(seed).wrapping_mul(0x9E37_79B9) | 1,
        }
    }

    fn next(&mut self) -> u32 {
        // xorshift32
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }

    /// Length of the next chunk: mostly small (1..=16), sometimes up to 4 KiB,
    /// sometimes everything that is left.
    fn chunk_len(&mut self, left: usize) -> usize {
        let r = self.next();
        let len = match r % 8 {
            0..=4 => (r >> 8) % 16 + 1,
            5 | 6 => (r >> 8) % 4096 + 1,
            _ => u32::MAX,
        };
        usize::try_from(len).unwrap_or(usize::MAX).min(left)
    }
}

/// Split `data` at `n`, if it has at least `n` bytes.
fn split(data: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    Some((data.get(..n)?, data.get(n..)?))
}

/// Split `data` into the first `N` bytes (as a fixed array) and the rest.
fn header<const N: usize>(data: &[u8]) -> Option<([u8; N], &[u8])> {
    let (head, rest) = split(data, N)?;
    Some((<[u8; N]>::try_from(head).ok()?, rest))
}

/// Pick `table[i % len]`.
fn pick<T: Copy>(table: &[T], i: u8) -> Option<T> {
    let len = table.len();
    if len == 0 {
        return None;
    }
    table.get(usize::from(i) % len).copied()
}

/// Feed a byte stream to a `FrameDecoder` in arbitrary chunks, decoding
/// after each one.
///
/// Input: `limit(1) seed(1) stream…`. Checks: no frame body exceeds the
/// limit; an error is sticky (the offending header stays buffered); every
/// byte fed is either returned in a frame or still buffered; the buffer's
/// capacity follows the bytes actually fed, never a declared length.
pub fn frame_decoder(data: &[u8]) {
    let Some(([limit, seed], stream)) = header::<2>(data) else {
        return;
    };
    let Some(limit) = pick(&FRAME_LIMITS, limit) else {
        return;
    };
    let mut dec = FrameDecoder::new(limit);
    let mut chunks = Chunker::new(seed);
    let mut rest = stream;
    let mut fed = 0usize;
    let mut consumed = 0usize;
    while !rest.is_empty() {
        let n = chunks.chunk_len(rest.len());
        let Some((chunk, tail)) = split(rest, n) else {
            return;
        };
        rest = tail;
        // Half the time through the engine's path (read_buf), half via feed.
        if chunks.next() % 2 == 0 {
            dec.read_buf().extend_from_slice(chunk);
        } else {
            dec.feed(chunk);
        }
        fed += chunk.len();
        loop {
            match dec.decode() {
                Ok(Some(frame)) => {
                    let len = frame.body.len();
                    assert!(len as u64 <= limit, "frame of {len} over limit {limit}");
                    consumed += len + if len > 255 { 9 } else { 2 };
                }
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(dec.decode(), Err(e), "decoder errors must be sticky");
                    return;
                }
            }
        }
        // (A LONG header may carry a short body: `consumed` is a lower bound.)
        assert!(dec.buffered() <= fed);
        assert!(consumed <= fed - dec.buffered(), "more bytes out than in");
        let bound = 4 * (fed + READ_CHUNK) + 64;
        let _ = dec.read_buf();
        assert!(
            dec.capacity() <= bound,
            "capacity {} after {fed} bytes fed (bound {bound})",
            dec.capacity()
        );
    }
}

/// Check a greeting (and every prefix of it) as the session does.
///
/// Checks: `check_prefix` never rejects a prefix of a greeting that `decode`
/// accepts; a decoded greeting encodes back to a greeting that decodes to
/// the same values.
pub fn greeting(data: &[u8]) {
    let decoded = Greeting::decode(data);
    for n in 0..=data.len().min(GREETING_LEN) {
        let prefix = data.get(..n).unwrap_or(&[]);
        let ok = Greeting::check_prefix(prefix).is_ok();
        if decoded.is_ok() {
            assert!(ok, "prefix of {n} bytes of a valid greeting rejected");
        }
    }
    if let Ok(g) = decoded {
        assert!(g.major >= 3);
        let again = Greeting::decode(&g.encode());
        assert_eq!(again.as_ref().ok(), Some(&g), "greeting round trip");
        assert!(g.mechanism_name().len() <= 20);
    }
}

/// Parse a command body, and the same bytes as a metadata property list.
///
/// Checks: a decoded command re-encodes to a body that decodes to the same
/// command (PING contexts are cut to 16 bytes when encoding); decoded
/// metadata re-encodes to exactly the input bytes; the property count is
/// bounded by the input length (at least 6 bytes per property).
pub fn command(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);
    if let Ok(cmd) = Command::decode(&body) {
        let mut out = BytesMut::new();
        cmd.encode_body(&mut out);
        let again = Command::decode(&out.freeze());
        let expected = match cmd {
            Command::Ping {
                ttl_deciseconds,
                context,
            } => Command::Ping {
                ttl_deciseconds,
                context: context.slice(..context.len().min(16)),
            },
            other => other,
        };
        assert_eq!(again, Ok(expected), "command round trip");
    }
    if let Ok(md) = Metadata::decode(&body) {
        assert!(md.len() <= data.len() / 6, "{} properties", md.len());
        let mut out = BytesMut::new();
        md.encode(&mut out);
        assert_eq!(&out[..], data, "metadata round trip");
    }
}

/// Run a whole connection's protocol state machine on arbitrary peer bytes
/// fed in arbitrary chunks, with a fake clock that jumps between chunks.
///
/// Input: `config(1) seed(1) stream…`; `config` picks the socket type (bits
/// 0–1), `max_message_size` (bits 2–3), heartbeats (bit 4), a routing id
/// (bit 5) and whether we send a message after each chunk once active
/// (bit 6). Checks: at most one `Ready`, and it comes first; no message
/// exceeds `max_message_size` or is empty; once an error is returned, the
/// session is dropped (as the engine does); what we write stays bounded by
/// what the peer sent.
pub fn session(data: &[u8]) {
    let Some(([config, seed], stream)) = header::<2>(data) else {
        return;
    };
    let (Some(socket_type), Some(limit)) = (
        pick(&SOCKET_TYPES, config & 3),
        pick(&MESSAGE_LIMITS, (config >> 2) & 3),
    ) else {
        return;
    };
    let heartbeat = (config & 0x10 != 0).then_some(Heartbeat {
        interval: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        ttl_deciseconds: 30,
    });
    let cfg = SessionConfig {
        socket_type,
        routing_id: (config & 0x20 != 0).then(|| Bytes::from_static(b"fuzz")),
        max_message_size: limit,
        handshake_timeout: Duration::from_secs(5),
        heartbeat,
        mechanism: crate::security::Security::Null,
        authenticator: None,
        peer_address: String::new(),
        random: crate::proto::mechanism::RandomFill::os(),
    };
    let send = config & 0x40 != 0;
    let mut now = Instant::now();
    let mut s = Session::new(cfg, now);
    let mut chunks = Chunker::new(seed);
    let mut rest = stream;
    let mut ready = false;
    let mut written = s.tx().take_all().len();
    assert_eq!(written, 10, "our greeting's signature goes out first");
    let mut fed = 0usize;
    while !rest.is_empty() {
        let n = chunks.chunk_len(rest.len());
        let Some((chunk, tail)) = split(rest, n) else {
            return;
        };
        rest = tail;
        // The clock moves 0, 0.5, 1 or 3 s between chunks.
        let step = match chunks.next() % 4 {
            0 => Duration::ZERO,
            1 => Duration::from_millis(500),
            2 => Duration::from_secs(1),
            _ => Duration::from_secs(3),
        };
        now += step;
        if let Some(d) = s.deadline() {
            if now >= d && s.on_timeout(now).is_err() {
                return;
            }
        }
        s.read_buf().extend_from_slice(chunk);
        fed += chunk.len();
        s.on_input(now);
        loop {
            match s.poll() {
                Ok(Some(Event::Ready(_))) => {
                    assert!(!ready, "second Ready");
                    assert!(s.is_active());
                    ready = true;
                }
                Ok(Some(Event::Message(m))) => {
                    assert!(ready, "message before Ready");
                    assert!(!m.is_empty(), "empty message");
                    assert!(m.size() as u64 <= limit, "message over the limit");
                }
                Ok(Some(Event::Eof)) => assert!(ready, "EOF before Ready"),
                Ok(Some(Event::Subscribe(t) | Event::Cancel(t))) => {
                    assert!(ready, "subscription before Ready");
                    assert!(
                        t.len() as u64 <= limit.max(64 * 1024),
                        "topic over the limit"
                    );
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if send && s.is_active() {
            s.send_message(&Message::multipart(["fuzz", "reply"]));
            written += s.tx().take_all().len();
        }
        let out = s.tx().take_all().len();
        // The rest of our greeting (54 bytes) and READY (≤ 64 bytes with our
        // properties) once, then at most one PONG
        // (≤ 24 bytes) per PING of at least 8 bytes, plus our own PINGs.
        assert!(
            out <= 128 + 3 * fed,
            "wrote {out} bytes after {fed} bytes in"
        );
        written += out;
    }
    assert!(written >= 10, "at least our signature");
}

#[cfg(test)]
mod tests {
    //! Replays `fuzz/corpus/<target>/*` (and `fuzz/regressions/<target>/*`)
    //! through the functions above: the committed corpus is part of the
    //! ordinary test suite.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::Path;

    fn replay(target: &str, run: fn(&[u8])) -> usize {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut n = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for path in paths {
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{target}: {} failed", path.display());
                n += 1;
            }
        }
        n
    }

    #[test]
    fn corpus_frame_decoder() {
        assert!(replay("frame_decoder", super::frame_decoder) > 0);
    }

    #[test]
    fn corpus_greeting() {
        assert!(replay("greeting", super::greeting) > 0);
    }

    #[test]
    fn corpus_command() {
        assert!(replay("command", super::command) > 0);
    }

    #[test]
    fn corpus_session() {
        assert!(replay("session", super::session) > 0);
    }
}
