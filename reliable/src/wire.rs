//! The FMQR/1 framing: every message of the reliable layer, as ferromq
//! frames. The [protocol](crate::protocol) (`docs/RELIABLE.md`) is the
//! normative description; this module is its only encoder and decoder.
//!
//! Every message starts with the protocol tag frame [`TAG`] and a verb frame;
//! integers are unsigned big-endian.

use bytes::{BufMut, Bytes, BytesMut};
use ferromq::Message;

/// First frame of every FMQR/1 message.
pub(crate) const TAG: &[u8] = b"FMQR/1";

/// Size of the delivery header frame of `MSG` and `DEAD`: epoch (8), message
/// id (8), delivery count (4).
pub(crate) const HEADER_LEN: usize = 20;

const READY: &[u8] = b"READY";
const ACK: &[u8] = b"ACK";
const NACK: &[u8] = b"NACK";
const MSG: &[u8] = b"MSG";
const EOF: &[u8] = b"EOF";
const HB: &[u8] = b"HB";
const DEAD: &[u8] = b"DEAD";
const WAKE: &[u8] = b"WAKE";

/// Consumer to producer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Upstream {
    /// "I am here and may hold `credit` unacknowledged messages"; also the
    /// consumer's heartbeat, sent every `heartbeat_ms` (0: no promise).
    Ready {
        /// Prefetch: the most unacknowledged messages this consumer may hold.
        credit: u32,
        /// How often the consumer repeats `READY`, in milliseconds.
        heartbeat_ms: u32,
    },
    /// These messages of queue `epoch` were processed.
    Ack {
        /// The producer instance the ids belong to.
        epoch: u64,
        /// One or more message ids.
        ids: Vec<u64>,
    },
    /// This message was rejected.
    Nack {
        /// The producer instance the id belongs to.
        epoch: u64,
        /// The message id.
        id: u64,
        /// Why (UTF-8, may be empty).
        reason: String,
    },
    /// A producer's wake-up call to its own receive loop (ignored otherwise).
    Wake,
}

/// Producer to consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Downstream {
    /// One delivery of a message.
    Msg {
        /// The producer instance.
        epoch: u64,
        /// The message id (unique within the epoch).
        id: u64,
        /// 1 for the first delivery, +1 for each redelivery.
        delivery_count: u32,
        /// The application's frames.
        body: Message,
    },
    /// Poison pill: finish after what you already hold.
    Eof {
        /// The producer instance.
        epoch: u64,
    },
    /// Liveness probe; carries nothing and needs no answer.
    Heartbeat,
}

/// Why a frame sequence is not a well-formed FMQR/1 message, e.g. from
/// [`DeadLetter::decode`].
///
/// ```
/// use ferromq::Message;
/// use ferromq_reliable::{DeadLetter, Malformed};
/// let not_fmqr = Message::multipart(["hello"]);
/// assert_eq!(DeadLetter::decode(not_fmqr), Err(Malformed::NotFmqr));
/// let short = Message::multipart(["FMQR/1", "DEAD", "too short"]);
/// assert_eq!(DeadLetter::decode(short), Err(Malformed::BadFrames));
/// let err: Box<dyn std::error::Error> = Malformed::UnknownVerb.into();
/// assert_eq!(err.to_string(), "unknown FMQR/1 verb");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// The first frame is not `FMQR/1`.
    #[error("not an FMQR/1 message")]
    NotFmqr,
    /// A verb this side does not know (ignore it: forward compatibility).
    #[error("unknown FMQR/1 verb")]
    UnknownVerb,
    /// A known verb with missing or wrongly sized frames.
    #[error("FMQR/1 message with missing or wrongly sized frames")]
    BadFrames,
}

fn u32_of(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn u64_of(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

fn header(epoch: u64, id: u64, delivery_count: u32) -> Bytes {
    let mut b = BytesMut::with_capacity(HEADER_LEN);
    b.put_u64(epoch);
    b.put_u64(id);
    b.put_u32(delivery_count);
    b.freeze()
}

fn parse_header(b: &[u8]) -> Option<(u64, u64, u32)> {
    if b.len() != HEADER_LEN {
        return None;
    }
    Some((
        u64_of(b.get(..8)?)?,
        u64_of(b.get(8..16)?)?,
        u32_of(b.get(16..)?)?,
    ))
}

fn start(verb: &'static [u8]) -> Message {
    let mut m = Message::new();
    m.push(Bytes::from_static(TAG))
        .push(Bytes::from_static(verb));
    m
}

/// Split off tag and verb; the rest are the verb's arguments.
fn verb_of(frames: &[Bytes]) -> Result<(&[u8], &[Bytes]), Malformed> {
    match frames {
        [tag, verb, rest @ ..] if tag.as_ref() == TAG => Ok((verb.as_ref(), rest)),
        _ => Err(Malformed::NotFmqr),
    }
}

impl Upstream {
    /// The frames of this message (no routing id).
    pub(crate) fn encode(&self) -> Message {
        match self {
            Upstream::Ready {
                credit,
                heartbeat_ms,
            } => {
                let mut m = start(READY);
                m.push(credit.to_be_bytes().to_vec())
                    .push(heartbeat_ms.to_be_bytes().to_vec());
                m
            }
            Upstream::Ack { epoch, ids } => {
                let mut m = start(ACK);
                let mut b = BytesMut::with_capacity(ids.len() * 8);
                for id in ids {
                    b.put_u64(*id);
                }
                m.push(epoch.to_be_bytes().to_vec()).push(b.freeze());
                m
            }
            Upstream::Nack { epoch, id, reason } => {
                let mut m = start(NACK);
                m.push(epoch.to_be_bytes().to_vec())
                    .push(id.to_be_bytes().to_vec())
                    .push(reason.clone().into_bytes());
                m
            }
            Upstream::Wake => start(WAKE),
        }
    }

    /// Parse the frames after the routing id.
    pub(crate) fn decode(frames: &[Bytes]) -> Result<Upstream, Malformed> {
        let (verb, args) = verb_of(frames)?;
        let bad = Malformed::BadFrames;
        match verb {
            READY => {
                let credit = args.first().and_then(|f| u32_of(f)).ok_or(bad)?;
                let heartbeat_ms = match args.get(1) {
                    Some(f) => u32_of(f).ok_or(bad)?,
                    None => 0,
                };
                Ok(Upstream::Ready {
                    credit,
                    heartbeat_ms,
                })
            }
            ACK => {
                let epoch = args.first().and_then(|f| u64_of(f)).ok_or(bad)?;
                let list = args.get(1).ok_or(bad)?;
                if list.is_empty() || list.len() % 8 != 0 {
                    return Err(bad);
                }
                let ids = list.chunks_exact(8).filter_map(u64_of).collect();
                Ok(Upstream::Ack { epoch, ids })
            }
            NACK => {
                let epoch = args.first().and_then(|f| u64_of(f)).ok_or(bad)?;
                let id = args.get(1).and_then(|f| u64_of(f)).ok_or(bad)?;
                let reason = args
                    .get(2)
                    .map(|r| String::from_utf8_lossy(r).into_owned())
                    .unwrap_or_default();
                Ok(Upstream::Nack { epoch, id, reason })
            }
            WAKE => Ok(Upstream::Wake),
            _ => Err(Malformed::UnknownVerb),
        }
    }
}

impl Downstream {
    /// The frames of this message, behind `routing_id` when one is given
    /// (as a ROUTER sends them).
    pub(crate) fn encode(&self, routing_id: Option<&Bytes>) -> Message {
        let mut m = Message::new();
        if let Some(r) = routing_id {
            m.push(r.clone());
        }
        m.push(Bytes::from_static(TAG));
        match self {
            Downstream::Msg {
                epoch,
                id,
                delivery_count,
                body,
            } => {
                m.push(Bytes::from_static(MSG))
                    .push(header(*epoch, *id, *delivery_count));
                for f in body.frames() {
                    m.push(f.clone());
                }
            }
            Downstream::Eof { epoch } => {
                m.push(Bytes::from_static(EOF))
                    .push(epoch.to_be_bytes().to_vec());
            }
            Downstream::Heartbeat => {
                m.push(Bytes::from_static(HB));
            }
        }
        m
    }

    /// Parse a message as a DEALER receives it.
    pub(crate) fn decode(msg: Message) -> Result<Downstream, Malformed> {
        let frames = msg.into_frames();
        let (verb, args) = verb_of(&frames)?;
        let bad = Malformed::BadFrames;
        match verb {
            MSG => {
                let (epoch, id, delivery_count) =
                    args.first().and_then(|h| parse_header(h)).ok_or(bad)?;
                // Tag, verb, header, then the application's frames.
                let body = Message::multipart(frames.into_iter().skip(3));
                Ok(Downstream::Msg {
                    epoch,
                    id,
                    delivery_count,
                    body,
                })
            }
            EOF => {
                let epoch = args.first().and_then(|f| u64_of(f)).ok_or(bad)?;
                Ok(Downstream::Eof { epoch })
            }
            HB => Ok(Downstream::Heartbeat),
            _ => Err(Malformed::UnknownVerb),
        }
    }
}

/// A message set aside after failing too often, with everything needed to
/// inspect or replay it: from
/// [`Producer::recv_dead_letter`](crate::Producer::recv_dead_letter), or
/// decoded from a dead-letter endpoint (see [`DeadLetterTarget`](crate::DeadLetterTarget)).
///
/// ```
/// use ferromq::Context;
/// use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let cfg = ProducerConfig::default().with_max_deliveries(1);
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg)?;
/// let ep = producer.endpoint().to_string();
/// let consumer = Consumer::connect(&ctx, &ep, ConsumerConfig::default())?;
/// producer.send(ferromq::Message::multipart(["order", "17"]))?;
/// let d = consumer.recv_timeout(Duration::from_secs(10))?;
/// consumer.nack(&d, "out of stock")?;
/// let dead = producer.recv_dead_letter(Duration::from_secs(10))?;
/// assert_eq!(dead.reason, "nack: out of stock");
/// assert_eq!(dead.delivery_count, 1);
/// assert_eq!(dead.body.frames(), ["order", "17"]);
/// // Replay it once the stock is in:
/// producer.send(dead.body)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The producer instance that sent it.
    pub epoch: u64,
    /// Its message id.
    pub id: u64,
    /// Why its last delivery failed: `nack: <consumer's reason>`,
    /// `ack timeout` or `consumer lost`.
    pub reason: String,
    /// How many times it was delivered.
    pub delivery_count: u32,
    /// The original message, intact.
    pub body: Message,
}

impl DeadLetter {
    /// The `DEAD` message sent to a dead-letter endpoint.
    pub fn encode(&self) -> Message {
        let mut m = start(DEAD);
        m.push(header(self.epoch, self.id, self.delivery_count))
            .push(self.reason.clone().into_bytes());
        for f in self.body.frames() {
            m.push(f.clone());
        }
        m
    }

    /// Parse a `DEAD` message received from a dead-letter endpoint.
    ///
    /// ```
    /// use ferromq_reliable::DeadLetter;
    /// let d = DeadLetter {
    ///     epoch: 7,
    ///     id: 1,
    ///     reason: "ack timeout".into(),
    ///     delivery_count: 3,
    ///     body: ferromq::Message::multipart(["a", "b"]),
    /// };
    /// assert_eq!(DeadLetter::decode(d.encode()), Ok(d));
    /// ```
    pub fn decode(msg: Message) -> Result<DeadLetter, Malformed> {
        let frames = msg.into_frames();
        let (verb, args) = verb_of(&frames)?;
        if verb != DEAD {
            return Err(Malformed::UnknownVerb);
        }
        let bad = Malformed::BadFrames;
        let (epoch, id, delivery_count) = args.first().and_then(|h| parse_header(h)).ok_or(bad)?;
        let reason = String::from_utf8_lossy(args.get(1).ok_or(bad)?).into_owned();
        Ok(DeadLetter {
            epoch,
            id,
            reason,
            delivery_count,
            // Tag, verb, header, reason, then the original frames.
            body: Message::multipart(frames.into_iter().skip(4)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_roundtrips() {
        for u in [
            Upstream::Ready {
                credit: 5,
                heartbeat_ms: 250,
            },
            Upstream::Ack {
                epoch: 9,
                ids: vec![1, 2, u64::MAX],
            },
            Upstream::Nack {
                epoch: 9,
                id: 3,
                reason: "bad input".into(),
            },
            Upstream::Wake,
        ] {
            assert_eq!(Upstream::decode(u.encode().frames()), Ok(u));
        }
    }

    #[test]
    fn downstream_roundtrips_and_routes() {
        let rid = Bytes::from_static(b"c1");
        for d in [
            Downstream::Msg {
                epoch: 1,
                id: 2,
                delivery_count: 3,
                body: Message::multipart(["x", "", "z"]),
            },
            Downstream::Msg {
                epoch: 1,
                id: 2,
                delivery_count: 1,
                body: Message::new(),
            },
            Downstream::Eof { epoch: 4 },
            Downstream::Heartbeat,
        ] {
            let mut m = d.encode(Some(&rid));
            assert_eq!(m.pop_front(), Some(rid.clone()));
            assert_eq!(Downstream::decode(m), Ok(d));
        }
    }

    /// Every verb with up to four argument frames of every size that
    /// matters (around each field width) decodes to a value or a typed
    /// error: a peer's bytes never panic a decoder.
    #[test]
    fn decoding_any_frames_never_panics() {
        let verbs: [&[u8]; 10] = [READY, ACK, NACK, MSG, EOF, HB, DEAD, WAKE, b"", b"LATER"];
        let sizes = [0usize, 1, 3, 4, 5, 7, 8, 9, 16, 19, 20, 21, 24];
        let mut decoded = 0u32;
        for tag in [TAG, b"FMQR/2".as_slice()] {
            for verb in verbs {
                for n in 0..=4u32 {
                    let combos = sizes.len().pow(n);
                    for mut k in 0..combos {
                        let mut frames = vec![Bytes::from_static(tag), Bytes::from_static(verb)];
                        for _ in 0..n {
                            let len = sizes[k % sizes.len()];
                            k /= sizes.len();
                            frames.push(Bytes::from(vec![0xa5; len]));
                        }
                        if Upstream::decode(&frames).is_ok() {
                            decoded += 1;
                        }
                        let m = Message::multipart(frames.clone());
                        if Downstream::decode(m.clone()).is_ok() {
                            decoded += 1;
                        }
                        if DeadLetter::decode(m).is_ok() {
                            decoded += 1;
                        }
                        // Too short to reach a verb.
                        let _ = Upstream::decode(&frames[..1]);
                        let _ = Downstream::decode(Message::multipart(frames.drain(..1)));
                    }
                }
            }
        }
        assert!(decoded > 0, "some inputs are well formed");
    }

    #[test]
    fn malformed_is_typed() {
        let m = Message::multipart(["NOPE", "MSG"]);
        assert_eq!(Downstream::decode(m), Err(Malformed::NotFmqr));
        let m = Message::multipart(["FMQR/1", "MSG", "short"]);
        assert_eq!(Downstream::decode(m), Err(Malformed::BadFrames));
        let m = Message::multipart(["FMQR/1", "LATER"]);
        assert_eq!(Upstream::decode(m.frames()), Err(Malformed::UnknownVerb));
        let m = Message::multipart(["FMQR/1", "ACK", "12345678", "123"]);
        assert_eq!(Upstream::decode(m.frames()), Err(Malformed::BadFrames));
        // READY without the optional heartbeat frame.
        let m = Message::multipart([
            Bytes::from_static(b"FMQR/1"),
            Bytes::from_static(b"READY"),
            Bytes::copy_from_slice(&7u32.to_be_bytes()),
        ]);
        assert_eq!(
            Upstream::decode(m.frames()),
            Ok(Upstream::Ready {
                credit: 7,
                heartbeat_ms: 0
            })
        );
    }
}
