//! quickcheck properties: round trips, chunking independence, robustness and
//! memory bounds on arbitrary input.

use bytes::{Bytes, BytesMut};
use quickcheck::{Arbitrary, Gen, QuickCheck};

use super::{encode_cmd, socket_read};
use crate::proto::wire::{Command, Frame, FrameDecoder, Greeting, Metadata, READ_CHUNK};

/// Number of cases per property.
const TESTS: u64 = 500;

/// Random bytes of length `len`.
fn random_bytes(g: &mut Gen, len: usize) -> Bytes {
    Bytes::from((0..len).map(|_| u8::arbitrary(g)).collect::<Vec<u8>>())
}

/// A uniform-ish number in `0..n`.
fn below(g: &mut Gen, n: usize) -> usize {
    usize::arbitrary(g) % n
}

/// An arbitrary frame with a 0..=2000 byte body (often short, often LONG).
#[derive(Clone, Debug)]
struct ArbFrame(Frame);

impl Arbitrary for ArbFrame {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = if bool::arbitrary(g) {
            below(g, 300)
        } else {
            below(g, 2001)
        };
        ArbFrame(Frame {
            more: bool::arbitrary(g),
            command: bool::arbitrary(g),
            body: random_bytes(g, len),
        })
    }
}

/// Arbitrary metadata: names 1..=255 arbitrary bytes, values 0..300 bytes.
#[derive(Clone, Debug)]
struct ArbMetadata(Metadata);

impl Arbitrary for ArbMetadata {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut metadata = Metadata::new();
        for _ in 0..below(g, 6) {
            let name_len = if bool::arbitrary(g) {
                1 + below(g, 20)
            } else {
                1 + below(g, 255)
            };
            let name = random_bytes(g, name_len);
            let value_len = below(g, 300);
            metadata
                .try_insert(&name, random_bytes(g, value_len))
                .unwrap();
        }
        ArbMetadata(metadata)
    }
}

/// Command names that decode to a dedicated variant.
const KNOWN: [&[u8]; 7] = [
    b"READY",
    b"ERROR",
    b"PING",
    b"PONG",
    b"SUBSCRIBE",
    b"CANCEL",
    b"XEOF",
];

/// An arbitrary command that survives an encode/decode round trip.
#[derive(Clone, Debug)]
struct ArbCommand(Command);

impl Arbitrary for ArbCommand {
    fn arbitrary(g: &mut Gen) -> Self {
        let command = match below(g, 8) {
            0 => Command::Ready(ArbMetadata::arbitrary(g).0),
            1 => {
                let len = below(g, 256);
                Command::Error {
                    reason: random_bytes(g, len),
                }
            }
            2 => {
                let len = below(g, 17);
                Command::Ping {
                    ttl_deciseconds: u16::arbitrary(g),
                    context: random_bytes(g, len),
                }
            }
            3 => {
                let len = below(g, 40);
                Command::Pong {
                    context: random_bytes(g, len),
                }
            }
            4 => {
                let len = below(g, 400);
                Command::Subscribe(random_bytes(g, len))
            }
            5 => {
                let len = below(g, 400);
                Command::Cancel(random_bytes(g, len))
            }
            6 => Command::Eof,
            _ => loop {
                let name_len = 1 + below(g, 30);
                let name: Vec<u8> = (0..name_len).map(|_| b'A' + (below(g, 26) as u8)).collect();
                if KNOWN.contains(&name.as_slice()) {
                    continue;
                }
                let len = below(g, 600);
                break Command::Unknown {
                    name: Bytes::from(name),
                    data: random_bytes(g, len),
                };
            },
        };
        ArbCommand(command)
    }
}

/// Run a property with `TESTS` cases.
fn check<A: quickcheck::Testable>(prop: A) {
    QuickCheck::new().tests(TESTS).quickcheck(prop);
}

/// Encode a sequence of frames into one byte stream.
fn stream(frames: &[ArbFrame]) -> BytesMut {
    let mut wire = BytesMut::new();
    for ArbFrame(frame) in frames {
        frame.encode(&mut wire);
    }
    wire
}

#[test]
fn frames_round_trip() {
    fn prop(frames: Vec<ArbFrame>) -> bool {
        let wire = stream(&frames);
        let expected_len: usize = frames.iter().map(|f| f.0.encoded_len()).sum();
        let mut decoder = FrameDecoder::new(4096);
        decoder.feed(&wire);
        let mut out = Vec::new();
        while let Some(frame) = decoder.decode().unwrap() {
            out.push(frame);
        }
        let expected: Vec<Frame> = frames.into_iter().map(|f| f.0).collect();
        wire.len() == expected_len && decoder.buffered() == 0 && out == expected
    }
    check(prop as fn(Vec<ArbFrame>) -> bool);
}

#[test]
fn chunking_does_not_change_the_frames() {
    fn prop(frames: Vec<ArbFrame>, chunks: Vec<u8>) -> bool {
        let wire = stream(&frames);
        let mut decoder = FrameDecoder::new(2000);
        let mut out = Vec::new();
        let mut pos = 0;
        let mut sizes = chunks.iter().cycle();
        while pos < wire.len() {
            let s = usize::from(sizes.next().copied().unwrap_or(255));
            let size = (s * s / 8 + 1).min(wire.len() - pos);
            let data = &wire[pos..pos + size];
            pos += if s % 2 == 0 {
                socket_read(&mut decoder, data)
            } else {
                decoder.feed(data);
                size
            };
            while let Some(frame) = decoder.decode().unwrap() {
                out.push(frame);
            }
        }
        let expected: Vec<Frame> = frames.into_iter().map(|f| f.0).collect();
        decoder.buffered() == 0 && out == expected
    }
    check(prop as fn(Vec<ArbFrame>, Vec<u8>) -> bool);
}

#[test]
fn commands_round_trip() {
    fn prop(command: ArbCommand) -> bool {
        let command = command.0;
        let wire = encode_cmd(&command);
        let mut decoder = FrameDecoder::new(u64::MAX);
        decoder.feed(&wire);
        let Ok(Some(frame)) = decoder.decode() else {
            return false;
        };
        frame.command
            && !frame.more
            && decoder.buffered() == 0
            && frame.body.len() == command.body_len()
            && frame.body.get(1..1 + command.name().len()) == Some(command.name())
            && Command::decode(&frame.body) == Ok(command)
    }
    check(prop as fn(ArbCommand) -> bool);
}

#[test]
fn metadata_round_trips() {
    fn prop(metadata: ArbMetadata) -> bool {
        let metadata = metadata.0;
        let mut dst = BytesMut::new();
        metadata.encode(&mut dst);
        dst.len() == metadata.encoded_len()
            && Metadata::decode(&dst.freeze()) == Ok(metadata.clone())
            && metadata.iter().all(|(name, _)| {
                // Lookups return the first property with that name.
                let Ok(name) = std::str::from_utf8(name) else {
                    return true;
                };
                let first = metadata.iter().find(|(n, _)| *n == name.as_bytes());
                let first_ci = metadata
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()));
                metadata.get_exact(name) == first.map(|p| p.1)
                    && metadata.get(&name.to_ascii_uppercase()) == first_ci.map(|p| p.1)
            })
    }
    check(prop as fn(ArbMetadata) -> bool);
}

#[test]
fn arbitrary_bytes_never_panic_and_memory_stays_bounded() {
    fn prop(chunks: Vec<Vec<u8>>, corrupt_valid: Vec<ArbFrame>, use_reads: bool) -> bool {
        const MAX: usize = 4096;
        let mut decoder = FrameDecoder::new(MAX as u64);
        // Random chunks first, then (if still alive) a valid stream.
        let valid = stream(&corrupt_valid).to_vec();
        let inputs = chunks.into_iter().chain(std::iter::once(valid));
        for chunk in inputs {
            let mut pos = 0;
            while pos < chunk.len() {
                let rest = &chunk[pos..];
                let n = if use_reads {
                    socket_read(&mut decoder, rest)
                } else {
                    decoder.feed(rest);
                    rest.len()
                };
                pos += n;
                let bound = MAX + 9 + n + READ_CHUNK;
                if decoder.buffered() > bound || decoder.capacity() > bound {
                    return false;
                }
                loop {
                    match decoder.decode() {
                        Ok(Some(frame)) => {
                            if frame.body.len() > MAX {
                                return false;
                            }
                            if frame.command {
                                let _ = Command::decode(&frame.body);
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return true, // fatal: the engine would close
                    }
                }
                if decoder.buffered() >= MAX + 9 {
                    return false;
                }
            }
        }
        true
    }
    check(prop as fn(Vec<Vec<u8>>, Vec<ArbFrame>, bool) -> bool);
}

#[test]
fn arbitrary_bytes_to_parsers_never_panic() {
    fn prop(data: Vec<u8>, major: u8) -> bool {
        let bytes = Bytes::from(data.clone());
        let _ = Command::decode(&bytes);
        let _ = Metadata::decode(&bytes);
        let prefix_ok = Greeting::check_prefix(&data).is_ok();
        if Greeting::decode(&data).is_ok() && !prefix_ok {
            return false;
        }
        // A greeting-shaped input is accepted exactly when major >= 3.
        let mut shaped = data;
        shaped.resize(64, 0);
        shaped[0] = 0xFF;
        shaped[9] |= 1;
        shaped[10] = major;
        let decoded = Greeting::decode(&shaped);
        decoded.is_ok() == (major >= 3)
            && decoded.map_or(true, |g| g.major == major && g.mechanism_name().len() <= 20)
    }
    check(prop as fn(Vec<u8>, u8) -> bool);
}
