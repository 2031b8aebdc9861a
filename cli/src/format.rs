//! How received messages and monitor events are printed.
//!
//! A message is one line: its frames separated by a TAB. In a frame,
//! printable ASCII (0x20 to 0x7e) stands for itself except the backslash,
//! written `\\`; every other byte (TAB and newline included) is written
//! `\xNN`. A line therefore splits on TAB into exactly the frames, and no
//! frame can break the line. With `--hex`, each frame is its bytes as
//! lowercase hex digits.

use ferromq::{MonitorEvent, Reason};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Append `frame`, escaped, to `out`.
pub(crate) fn escape_into(out: &mut String, frame: &[u8]) {
    for &b in frame {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
}

/// Append `frame` as lowercase hex digits to `out`.
pub(crate) fn hex_into(out: &mut String, frame: &[u8]) {
    for &b in frame {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// One message as one line, newline included.
pub(crate) fn message_line<'a>(frames: impl IntoIterator<Item = &'a [u8]>, hex: bool) -> String {
    let mut line = String::new();
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            line.push('\t');
        }
        if hex {
            hex_into(&mut line, frame);
        } else {
            escape_into(&mut line, frame);
        }
    }
    line.push('\n');
    line
}

/// A monitor event as the text after `monitor: `.
pub(crate) fn event(ev: &MonitorEvent) -> String {
    match ev {
        MonitorEvent::Listening { endpoint } => format!("listening {endpoint}"),
        MonitorEvent::Accepted { endpoint, peer } => format!("accepted {peer} on {endpoint}"),
        MonitorEvent::Connected { endpoint } => format!("connected {endpoint}"),
        MonitorEvent::ResolveFailed { endpoint, error } => {
            format!("resolve failed {endpoint}: {error}")
        }
        MonitorEvent::ConnectRetried { endpoint, delay } => {
            format!("retrying {endpoint} in {delay:?}")
        }
        MonitorEvent::HandshakeSucceeded { endpoint } => format!("handshake ok {endpoint}"),
        MonitorEvent::HandshakeFailed { endpoint, reason } => {
            format!("handshake failed {endpoint}: {}", reason_text(reason))
        }
        MonitorEvent::Disconnected { endpoint, reason } => {
            format!("disconnected {endpoint}: {}", reason_text(reason))
        }
        MonitorEvent::Closed { endpoint } => format!("closed {endpoint}"),
        other => format!("{other:?}"),
    }
}

/// Why a connection ended, in words.
fn reason_text(r: &Reason) -> String {
    match r {
        Reason::Protocol(s) => format!("protocol error: {s}"),
        Reason::Mechanism(s) => format!("peer wants security mechanism {s}"),
        Reason::SocketType(s) => format!("incompatible peer socket type {s}"),
        Reason::HandshakeTimeout => "handshake timed out".into(),
        Reason::HeartbeatTimeout => "heartbeat timed out".into(),
        Reason::PeerError(s) => format!("peer sent ERROR: {s}"),
        Reason::RoutingId(s) => format!("routing id refused: {s}"),
        Reason::Refused(s) => format!("refused: {s}"),
        Reason::MessageTooLarge => "message too large".into(),
        Reason::PeerClosed => "peer closed".into(),
        Reason::Io(kind) => format!("I/O error: {kind}"),
        Reason::Closed => "closed here".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(frames: &[&[u8]], hex: bool) -> String {
        message_line(frames.iter().copied(), hex)
    }

    #[test]
    fn printable_ascii_is_itself() {
        let all: Vec<u8> = (0x20..=0x7e).filter(|&b| b != b'\\').collect();
        let s = line(&[&all], false);
        assert_eq!(s.as_bytes(), [&all[..], b"\n"].concat());
    }

    #[test]
    fn backslash_tab_newline_and_binary_are_escaped() {
        assert_eq!(line(&[b"a\\b"], false), "a\\\\b\n");
        assert_eq!(line(&[b"a\tb"], false), "a\\x09b\n");
        assert_eq!(line(&[b"a\nb\r"], false), "a\\x0ab\\x0d\n");
        assert_eq!(
            line(&[&[0, 0x7f, 0x80, 0xff]], false),
            "\\x00\\x7f\\x80\\xff\n"
        );
        assert_eq!(line(&["é".as_bytes()], false), "\\xc3\\xa9\n");
        // A literal backslash-x in the data cannot pass for an escape.
        assert_eq!(line(&[b"\\x41"], false), "\\\\x41\n");
    }

    #[test]
    fn frames_are_tab_separated_and_empty_frames_are_empty_fields() {
        assert_eq!(line(&[b"a", b"", b"b"], false), "a\t\tb\n");
        assert_eq!(line(&[b""], false), "\n");
        assert_eq!(line(&[b"", b""], false), "\t\n");
    }

    #[test]
    fn every_line_splits_back_into_its_frames() {
        let frames: [&[u8]; 4] = [b"x\ty", b"", &[0, 9, 10, 92, 255], b"plain"];
        let s = line(&frames, false);
        assert_eq!(s.matches('\n').count(), 1);
        let fields: Vec<&str> = s.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), frames.len());
        for (field, frame) in fields.iter().zip(frames) {
            assert_eq!(unescape(field), frame);
        }
    }

    /// The inverse of `escape_into`, to show the format is unambiguous.
    fn unescape(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match (b[i], b.get(i + 1)) {
                (b'\\', Some(b'\\')) => {
                    out.push(b'\\');
                    i += 2;
                }
                (b'\\', Some(b'x')) => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 4;
                }
                (c, _) => {
                    assert!(c != b'\\', "a lone backslash in {s:?}");
                    out.push(c);
                    i += 1;
                }
            }
        }
        out
    }

    #[test]
    fn hex_prints_every_byte() {
        assert_eq!(line(&[b"hi", &[0, 0xff, 9]], true), "6869\t00ff09\n");
        assert_eq!(line(&[b"", b"\\"], true), "\t5c\n");
    }

    #[test]
    fn events_read_as_words() {
        let endpoint: ferromq::Endpoint = "tcp://127.0.0.1:5555".parse().unwrap();
        let ev = MonitorEvent::Disconnected {
            endpoint: endpoint.clone(),
            reason: Reason::PeerClosed,
        };
        assert_eq!(event(&ev), "disconnected tcp://127.0.0.1:5555: peer closed");
        let ev = MonitorEvent::HandshakeSucceeded { endpoint };
        assert_eq!(event(&ev), "handshake ok tcp://127.0.0.1:5555");
    }
}
