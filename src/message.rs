//! Multipart messages.
//!
//! A [`Message`] is one or more frames, each a [`bytes::Bytes`]. It travels
//! atomically: a receiver gets all of its frames or none. The type knows
//! nothing about the wire.

use bytes::Bytes;
use std::fmt;

/// A multipart message: an ordered list of frames.
///
/// Frames are [`Bytes`], so cloning a message or splitting frames off it never
/// copies payload bytes.
///
/// ```
/// use ferromq::Message;
/// let m = Message::from("hello");
/// assert_eq!(m.len(), 1);
/// let mut multi = Message::new();
/// multi.push("header").push(vec![1u8, 2, 3]);
/// assert_eq!(multi.frames()[1].as_ref(), &[1, 2, 3]);
/// ```
#[derive(Clone, Default)]
pub struct Message {
    frames: Frames,
}

/// Frames, with the common single-frame case stored inline so that a
/// one-frame message costs no allocation beyond its payload.
#[derive(Clone)]
enum Frames {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Default for Frames {
    fn default() -> Frames {
        Frames::Many(Vec::new())
    }
}

impl Frames {
    fn from_vec(mut v: Vec<Bytes>) -> Frames {
        if v.len() == 1 {
            if let Some(b) = v.pop() {
                return Frames::One(b);
            }
        }
        Frames::Many(v)
    }

    fn as_slice(&self) -> &[Bytes] {
        match self {
            Frames::One(b) => std::slice::from_ref(b),
            Frames::Many(v) => v,
        }
    }

    fn to_vec_mut(&mut self) -> &mut Vec<Bytes> {
        if let Frames::One(b) = self {
            let b = std::mem::take(b);
            *self = Frames::Many(vec![b]);
        }
        match self {
            Frames::Many(v) => v,
            // The `if let` above replaced `One` with `Many`.
            Frames::One(_) => unreachable!("converted above"),
        }
    }

    fn into_vec(self) -> Vec<Bytes> {
        match self {
            Frames::One(b) => vec![b],
            Frames::Many(v) => v,
        }
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self.frames() == other.frames()
    }
}

impl Eq for Message {}

impl std::hash::Hash for Message {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.frames().hash(state);
    }
}

impl Message {
    /// An empty message (no frames). Add frames with [`push`](Self::push)
    /// before sending it: sending a message with no frames is an error.
    pub fn new() -> Message {
        Message {
            frames: Frames::default(),
        }
    }

    /// A message made of the given frames, in order.
    ///
    /// ```
    /// let m = ferromq::Message::multipart(["a", "bc"]);
    /// assert_eq!(m.len(), 2);
    /// ```
    pub fn multipart<I, F>(frames: I) -> Message
    where
        I: IntoIterator<Item = F>,
        F: Into<Bytes>,
    {
        Message {
            frames: Frames::from_vec(frames.into_iter().map(Into::into).collect()),
        }
    }

    /// Append a frame; returns `self` so calls chain.
    pub fn push(&mut self, frame: impl Into<Bytes>) -> &mut Message {
        let frame = frame.into();
        match &mut self.frames {
            Frames::Many(v) if v.is_empty() => self.frames = Frames::One(frame),
            f => f.to_vec_mut().push(frame),
        }
        self
    }

    /// Insert a frame at the front (e.g. a routing id for a ROUTER).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) -> &mut Message {
        let frame = frame.into();
        match &mut self.frames {
            Frames::Many(v) if v.is_empty() => self.frames = Frames::One(frame),
            f => f.to_vec_mut().insert(0, frame),
        }
        self
    }

    /// Remove and return the first frame, if any.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        match &mut self.frames {
            Frames::One(_) => match std::mem::take(&mut self.frames) {
                Frames::One(b) => Some(b),
                Frames::Many(_) => None,
            },
            Frames::Many(v) if v.is_empty() => None,
            Frames::Many(v) => Some(v.remove(0)),
        }
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        self.frames.as_slice()
    }

    /// The first frame, if any.
    pub fn first(&self) -> Option<&Bytes> {
        self.frames().first()
    }

    /// The last frame, if any (the body, for enveloped messages).
    pub fn last(&self) -> Option<&Bytes> {
        self.frames().last()
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames().len()
    }

    /// True when the message has no frames.
    pub fn is_empty(&self) -> bool {
        self.frames().is_empty()
    }

    /// Total payload size in bytes, summed over frames.
    pub fn size(&self) -> usize {
        self.frames().iter().map(Bytes::len).sum()
    }

    /// Iterate over the frames.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames().iter()
    }

    /// Take the frames out.
    pub fn into_frames(self) -> Vec<Bytes> {
        self.frames.into_vec()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for frame in self.frames() {
            match std::str::from_utf8(frame) {
                Ok(s) if frame.len() <= 64 => list.entry(&s),
                _ if frame.len() <= 32 => list.entry(&frame.as_ref()),
                _ => list.entry(&format_args!("<{} bytes>", frame.len())),
            };
        }
        list.finish()
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Message {
        Message {
            frames: Frames::One(b),
        }
    }
}

impl From<&'static str> for Message {
    fn from(s: &'static str) -> Message {
        Message::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Message {
    fn from(s: String) -> Message {
        Message::from(Bytes::from(s))
    }
}

impl From<&String> for Message {
    fn from(s: &String) -> Message {
        Message::from(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Message {
        Message::from(Bytes::from(v))
    }
}

impl From<&[u8]> for Message {
    fn from(v: &[u8]) -> Message {
        Message::from(Bytes::copy_from_slice(v))
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(v: &[u8; N]) -> Message {
        Message::from(Bytes::copy_from_slice(v))
    }
}

impl From<Vec<Bytes>> for Message {
    fn from(frames: Vec<Bytes>) -> Message {
        Message {
            frames: Frames::from_vec(frames),
        }
    }
}

impl FromIterator<Bytes> for Message {
    fn from_iter<T: IntoIterator<Item = Bytes>>(iter: T) -> Message {
        Message {
            frames: Frames::from_vec(iter.into_iter().collect()),
        }
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames.into_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames().iter()
    }
}

/// What [`Socket::recv_incoming`](crate::Socket::recv_incoming) returns: a
/// message, or the news that one upstream peer has finished.
///
/// ```
/// use ferromq::{Context, Incoming, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let pull = ctx.socket(SocketType::Pull)?;
/// let ep = pull.bind("tcp://127.0.0.1:0")?;
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect(&ep.to_string())?;
/// push.send("last job")?;
/// push.send_eof()?;
/// let t = Some(Duration::from_secs(10));
/// assert!(matches!(pull.recv_incoming(t)?, Incoming::Message(_)));
/// assert!(matches!(pull.recv_incoming(t)?, Incoming::Finished { .. }));
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// A message (on a ROUTER, with the sender's routing id as first frame).
    Message(Message),
    /// An upstream peer sent its end-of-stream pill: everything it sent before
    /// has been received.
    Finished {
        /// The peer's routing id (ROUTER only).
        routing_id: Option<Bytes>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_make_one_frame() {
        assert_eq!(Message::from("ab").frames(), &[Bytes::from_static(b"ab")]);
        assert_eq!(
            Message::from(vec![1u8]).frames(),
            &[Bytes::from_static(&[1])]
        );
        assert_eq!(Message::from(String::from("x")).size(), 1);
        assert_eq!(Message::from(&b"xyz"[..]).size(), 3);
    }

    #[test]
    fn equality_ignores_representation() {
        let mut a = Message::new();
        a.push("x");
        let b = Message::multipart(["x"]);
        let mut c = Message::multipart(["z", "x"]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        c.pop_front();
        assert_eq!(c.frames(), a.frames());
        assert_eq!(c, a);
        let mut e = Message::from("only");
        assert_eq!(e.pop_front().as_deref(), Some(&b"only"[..]));
        assert!(e.is_empty());
        assert_eq!(e.pop_front(), None);
    }

    #[test]
    fn push_front_and_pop_front() {
        let mut m = Message::multipart(["b", "c"]);
        m.push_front("a");
        assert_eq!(m.pop_front().as_deref(), Some(&b"a"[..]));
        assert_eq!(m.len(), 2);
        assert_eq!(m.size(), 2);
    }
}
