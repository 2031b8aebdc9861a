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
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Message {
    frames: Vec<Bytes>,
}

impl Message {
    /// An empty message (no frames). Add frames with [`push`](Self::push)
    /// before sending it: sending a message with no frames is an error.
    pub fn new() -> Message {
        Message { frames: Vec::new() }
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
            frames: frames.into_iter().map(Into::into).collect(),
        }
    }

    /// Append a frame; returns `self` so calls chain.
    pub fn push(&mut self, frame: impl Into<Bytes>) -> &mut Message {
        self.frames.push(frame.into());
        self
    }

    /// Insert a frame at the front (e.g. a routing id for a ROUTER).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) -> &mut Message {
        self.frames.insert(0, frame.into());
        self
    }

    /// Remove and return the first frame, if any.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        if self.frames.is_empty() {
            None
        } else {
            Some(self.frames.remove(0))
        }
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        &self.frames
    }

    /// The first frame, if any.
    pub fn first(&self) -> Option<&Bytes> {
        self.frames.first()
    }

    /// The last frame, if any (the body, for enveloped messages).
    pub fn last(&self) -> Option<&Bytes> {
        self.frames.last()
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when the message has no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Total payload size in bytes, summed over frames.
    pub fn size(&self) -> usize {
        self.frames.iter().map(Bytes::len).sum()
    }

    /// Iterate over the frames.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames.iter()
    }

    /// Take the frames out.
    pub fn into_frames(self) -> Vec<Bytes> {
        self.frames
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for frame in &self.frames {
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
        Message { frames: vec![b] }
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
        Message { frames }
    }
}

impl FromIterator<Bytes> for Message {
    fn from_iter<T: IntoIterator<Item = Bytes>>(iter: T) -> Message {
        Message {
            frames: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames.into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_make_one_frame() {
        assert_eq!(Message::from("ab").frames(), &[Bytes::from_static(b"ab")]);
        assert_eq!(Message::from(vec![1u8]).frames(), &[Bytes::from_static(&[1])]);
        assert_eq!(Message::from(String::from("x")).size(), 1);
        assert_eq!(Message::from(&b"xyz"[..]).size(), 3);
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
