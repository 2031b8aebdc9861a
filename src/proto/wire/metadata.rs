//! ZMTP metadata property lists (zmtp.md §4):
//! `name_len(1) | name(1..255) | value_len(u32 BE) | value`, repeated.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use bytes::{BufMut, Bytes, BytesMut};

use super::error::WireError;

/// Property name libzmq sends and checks (case-sensitively) for the socket type.
pub(crate) const SOCKET_TYPE: &str = "Socket-Type";
/// Property name for the routing identity (sent by REQ, DEALER, ROUTER only).
pub(crate) const IDENTITY: &str = "Identity";
/// Longest property name the 1-byte length field allows.
pub(crate) const MAX_NAME_LEN: usize = 255;
/// Bytes a property needs besides its name and value (name_len + value_len).
const PROPERTY_OVERHEAD: usize = 5;

/// An ordered list of metadata properties (names and values as raw bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    /// `(name, value)` pairs in insertion / wire order.
    props: Vec<(Bytes, Bytes)>,
}

/// Whether a property can be encoded: name 1..=255 bytes, value fits a u32 length.
fn is_encodable(name: &[u8], value: &[u8]) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len()) && u32::try_from(value.len()).is_ok()
}

impl Metadata {
    /// An empty property list.
    pub(crate) fn new() -> Metadata {
        Metadata::default()
    }

    /// Append a property (duplicates are kept, in order). A property whose
    /// name is empty or longer than 255 bytes, or whose value exceeds
    /// `u32::MAX` bytes, cannot be encoded and is skipped by `encode`; use
    /// `try_insert` to be told instead.
    pub(crate) fn insert(&mut self, name: &str, value: impl Into<Bytes>) {
        self.props
            .push((Bytes::copy_from_slice(name.as_bytes()), value.into()));
    }

    /// Append a property, rejecting one that cannot be encoded.
    pub(crate) fn try_insert(&mut self, name: &[u8], value: Bytes) -> Result<(), WireError> {
        if !is_encodable(name, &value) {
            return Err(WireError::MalformedMetadata("unencodable property"));
        }
        self.props.push((Bytes::copy_from_slice(name), value));
        Ok(())
    }

    /// Case-insensitive lookup (ASCII), first match.
    pub(crate) fn get(&self, name: &str) -> Option<&Bytes> {
        self.props
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Case-sensitive lookup, first match (libzmq's own comparison).
    pub(crate) fn get_exact(&self, name: &str) -> Option<&Bytes> {
        self.props
            .iter()
            .find(|(n, _)| n.as_ref() == name.as_bytes())
            .map(|(_, v)| v)
    }

    /// Properties in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &Bytes)> {
        self.props.iter().map(|(n, v)| (n.as_ref(), v))
    }

    /// Number of properties.
    pub(crate) fn len(&self) -> usize {
        self.props.len()
    }

    /// True when there are no properties.
    pub(crate) fn is_empty(&self) -> bool {
        self.props.is_empty()
    }

    /// Encodable properties, in order.
    fn encodable(&self) -> impl Iterator<Item = &(Bytes, Bytes)> {
        self.props.iter().filter(|(n, v)| is_encodable(n, v))
    }

    /// Number of bytes `encode` appends.
    pub(crate) fn encoded_len(&self) -> usize {
        self.encodable().fold(0usize, |acc, (n, v)| {
            acc.saturating_add(PROPERTY_OVERHEAD)
                .saturating_add(n.len())
                .saturating_add(v.len())
        })
    }

    /// Append `name_len(1) name value_len(u32 BE) value`, repeated, in
    /// insertion order (unencodable properties are skipped).
    pub(crate) fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(self.encoded_len());
        for (name, value) in self.encodable() {
            let (Ok(name_len), Ok(value_len)) =
                (u8::try_from(name.len()), u32::try_from(value.len()))
            else {
                continue;
            };
            dst.put_u8(name_len);
            dst.put_slice(name);
            dst.put_u32(value_len);
            dst.put_slice(value);
        }
    }

    /// Parse; name 1..=255 bytes; value length must fit in the remaining
    /// bytes; truncated or trailing bytes → MalformedMetadata. Names and values
    /// are zero-copy slices of `data`. The property count is bounded by the
    /// input length (each property >= 6 bytes); nothing is pre-allocated from
    /// a peer-declared number.
    pub(crate) fn decode(data: &Bytes) -> Result<Metadata, WireError> {
        let mut props = Vec::new();
        let mut pos = 0usize;
        while pos < data.len() {
            let (name, value, next) = parse_property(data, pos)?;
            props.push((name, value));
            pos = next;
        }
        Ok(Metadata { props })
    }
}

/// Parse one property starting at `pos`; returns name, value and the offset
/// just past the value.
fn parse_property(data: &Bytes, pos: usize) -> Result<(Bytes, Bytes, usize), WireError> {
    let truncated = |what| WireError::MalformedMetadata(what);
    let name_len = data
        .get(pos)
        .map(|&b| usize::from(b))
        .ok_or(truncated("trailing bytes"))?;
    if name_len == 0 {
        return Err(WireError::MalformedMetadata("empty property name"));
    }
    let name_start = pos.checked_add(1).ok_or(truncated("trailing bytes"))?;
    let name_end = name_start
        .checked_add(name_len)
        .filter(|&end| end <= data.len())
        .ok_or(truncated("truncated property name"))?;
    let len_end = name_end
        .checked_add(4)
        .ok_or(truncated("truncated value length"))?;
    let raw_len = data
        .get(name_end..len_end)
        .and_then(|raw| <[u8; 4]>::try_from(raw).ok())
        .ok_or(truncated("truncated value length"))?;
    let value_len = usize::try_from(u32::from_be_bytes(raw_len))
        .map_err(|_| truncated("truncated property value"))?;
    let value_end = len_end
        .checked_add(value_len)
        .filter(|&end| end <= data.len())
        .ok_or(truncated("truncated property value"))?;
    Ok((
        data.slice(name_start..name_end),
        data.slice(len_end..value_end),
        value_end,
    ))
}
