//! How received messages are printed (monitor events use their Display).
//!
//! A message is one line: its frames separated by a TAB. In a frame,
//! printable ASCII (0x20 to 0x7e) stands for itself except the backslash,
//! written `\\`; every other byte (TAB and newline included) is written
//! `\xNN`. A line therefore splits on TAB into exactly the frames, and no
//! frame can break the line. With `--hex`, each frame is its bytes as
//! lowercase hex digits.

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
}
