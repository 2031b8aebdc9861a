//! Z85 (ZeroMQ RFC 32): the printable base-85 form of binary data, used
//! for CURVE keys (32 bytes ↔ 40 characters).
//!
//! As strict as libzmq's `zmq_z85_encode` and `zmq_z85_decode`: data to
//! encode must be a multiple of 4 bytes long (there is no padding), text to
//! decode a non-zero multiple of 5 characters, every one of them in the
//! alphabet, and no 5-character chunk may stand for a value above
//! `0xFFFF_FFFF`. So a string decodes here exactly when libzmq accepts it.

/// The 85 digits, value 0 first (RFC 32).
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Marks a byte that is not a Z85 digit in [`DIGITS`].
const NOT_A_DIGIT: u8 = 0xFF;

/// The value of each byte as a Z85 digit, or [`NOT_A_DIGIT`].
const DIGITS: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut value = 0;
    while value < ALPHABET.len() {
        table[ALPHABET[value] as usize] = value as u8;
        value += 1;
    }
    table
};

/// Why a Z85 encoding or decoding was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Z85Error {
    /// The data to encode is not a multiple of 4 bytes long (Z85 has no
    /// padding).
    #[error("Z85 encodes a multiple of 4 bytes, not {len}")]
    DataLength {
        /// The length of the data, in bytes.
        len: usize,
    },
    /// The text to decode is empty or not a multiple of 5 characters long
    /// (libzmq refuses the empty string too).
    #[error("Z85 text is a non-zero multiple of 5 characters long, not {len}")]
    TextLength {
        /// The length of the text, in bytes.
        len: usize,
    },
    /// The text holds a character outside the Z85 alphabet.
    #[error("invalid Z85 character {character:?} at byte {position}")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its position in the text, in bytes from the start.
        position: usize,
    },
    /// A 5-character chunk stands for a value above `0xFFFF_FFFF`, which no
    /// 4 bytes encode to (such as `"%nSc1"` or `"#####"`).
    #[error("Z85 chunk at byte {position} exceeds 32 bits")]
    ChunkOverflow {
        /// The position of the chunk's first character, in bytes from the
        /// start.
        position: usize,
    },
}

/// Encode `data` as Z85 text, 5 characters for every 4 bytes.
///
/// Fails with [`Z85Error::DataLength`] if the length of `data` is not a
/// multiple of 4. Empty data gives the empty string.
///
/// ```
/// use ferromq::security::z85_encode;
/// let text = z85_encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]).unwrap();
/// assert_eq!(text, "HelloWorld");
/// assert!(z85_encode(b"abc").is_err());
/// ```
pub fn z85_encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::DataLength { len: data.len() });
    }
    Ok(encode_groups(data))
}

/// Encode every whole group of 4 bytes of `data` (all of it when its
/// length is a multiple of 4, such as a 32-byte key). No buffer but the
/// returned string holds the data or its digits.
pub(crate) fn encode_groups(data: &[u8]) -> String {
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let value = group
            .iter()
            .fold(0u32, |acc, &byte| acc << 8 | u32::from(byte));
        // Most significant digit first.
        for weight in [85 * 85 * 85 * 85, 85 * 85 * 85, 85 * 85, 85, 1] {
            // `… % 85 < 85 = ALPHABET.len()`: the index is in bounds.
            text.push(char::from(ALPHABET[(value / weight % 85) as usize]));
        }
    }
    text
}

/// Decode Z85 text into bytes, 4 for every 5 characters.
///
/// Refused as libzmq refuses it: text that is empty or not a multiple of 5
/// characters long ([`Z85Error::TextLength`]), a character outside the
/// alphabet ([`Z85Error::InvalidCharacter`]), or a chunk above
/// `0xFFFF_FFFF` ([`Z85Error::ChunkOverflow`]).
///
/// ```
/// use ferromq::security::{z85_decode, Z85Error};
/// assert_eq!(
///     z85_decode("HelloWorld").unwrap(),
///     [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
/// );
/// assert_eq!(z85_decode("%nSc1"), Err(Z85Error::ChunkOverflow { position: 0 }));
/// ```
pub fn z85_decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    let mut data = Vec::new();
    decode_into(text, &mut data)?;
    Ok(data)
}

/// [`z85_decode`] into `data` (emptied first), so that a caller decoding a
/// secret can wipe `data` afterwards, even when decoding fails half way.
pub(crate) fn decode_into(text: &str, data: &mut Vec<u8>) -> Result<(), Z85Error> {
    data.clear();
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 5 != 0 {
        return Err(Z85Error::TextLength { len: bytes.len() });
    }
    // The final size at once: no reallocation leaves copies behind.
    data.reserve_exact(bytes.len() / 5 * 4);
    for (index, chunk) in bytes.chunks_exact(5).enumerate() {
        let start = index * 5;
        let mut value: u64 = 0;
        for (offset, &byte) in chunk.iter().enumerate() {
            // A u8 index into a 256-entry table is always in bounds.
            let digit = DIGITS[usize::from(byte)];
            if digit == NOT_A_DIGIT {
                let position = start + offset;
                return Err(Z85Error::InvalidCharacter {
                    character: character_at(text, position),
                    position,
                });
            }
            // At most 85^5 - 1 after five digits: no u64 overflow.
            value = value * 85 + u64::from(digit);
        }
        let value =
            u32::try_from(value).map_err(|_| Z85Error::ChunkOverflow { position: start })?;
        data.extend_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

/// The character that starts at byte `position` of `text` (an invalid
/// byte is ASCII or the first byte of a multi-byte character, so a
/// character does start there).
fn character_at(text: &str, position: usize) -> char {
    text.get(position..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the failure report

    use super::*;
    use quickcheck::QuickCheck;

    /// RFC 32's test vector (also libzmq's tests/test_base85.cpp).
    const HELLO: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn rfc_32_vector() {
        assert_eq!(z85_encode(&HELLO).unwrap(), "HelloWorld");
        assert_eq!(z85_decode("HelloWorld").unwrap(), HELLO);
    }

    #[test]
    fn the_alphabet_is_85_distinct_printable_characters() {
        let mut seen = [false; 256];
        for &c in ALPHABET {
            assert!(c.is_ascii_graphic());
            assert!(!seen[usize::from(c)], "{} twice", char::from(c));
            seen[usize::from(c)] = true;
        }
        assert_eq!(DIGITS.iter().filter(|&&d| d != NOT_A_DIGIT).count(), 85);
    }

    #[test]
    fn extremes_of_a_chunk() {
        // libzmq's test_base85: round trips of 00000000 and FFFFFFFF.
        assert_eq!(z85_encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(z85_encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(z85_decode("00000").unwrap(), [0; 4]);
        assert_eq!(z85_decode("%nSc0").unwrap(), [0xFF; 4]);
        // Each digit's weight, from the last character.
        assert_eq!(z85_decode("00001").unwrap(), [0, 0, 0, 1]);
        assert_eq!(z85_decode("00010").unwrap(), [0, 0, 0, 85]);
        assert_eq!(z85_decode("0000#").unwrap(), [0, 0, 0, 84]);
    }

    #[test]
    fn thirty_two_bytes_are_forty_characters() {
        assert_eq!(z85_encode(&[0; 32]).unwrap(), "0".repeat(40));
        assert_eq!(z85_decode(&"0".repeat(40)).unwrap(), [0; 32]);
        assert_eq!(z85_encode(&[0xFF; 32]).unwrap(), "%nSc0".repeat(8));
        assert_eq!(z85_decode(&"%nSc0".repeat(8)).unwrap(), [0xFF; 32]);
    }

    #[test]
    fn a_key_decodes_and_encodes_back() {
        // libzmq's test_base85 "regular" vector, and the zmq_curve manual's
        // server public key (with its hexadecimal form).
        let regular = "r^/rM9M=rMToK)63O8dCvd9D<PY<7iGlC+{BiSnG";
        assert_eq!(z85_encode(&z85_decode(regular).unwrap()).unwrap(), regular);
        let server = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
        let hex: String = z85_decode(server)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(
            hex,
            "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652"
        );
    }

    #[test]
    fn empty_data_encodes_but_empty_text_is_refused() {
        // As libzmq: zmq_z85_encode of 0 bytes gives "", zmq_z85_decode
        // refuses a string shorter than 5.
        assert_eq!(z85_encode(&[]).unwrap(), "");
        assert_eq!(z85_decode(""), Err(Z85Error::TextLength { len: 0 }));
    }

    #[test]
    fn data_length_must_be_a_multiple_of_4() {
        // libzmq's test_base85 refuses sizes 1 and 42.
        for len in [1, 2, 3, 5, 42] {
            assert_eq!(z85_encode(&vec![0; len]), Err(Z85Error::DataLength { len }));
        }
    }

    #[test]
    fn text_length_must_be_a_multiple_of_5() {
        // libzmq's test_base85: "01234567" and "0".
        for text in ["01234567", "0", "HelloWorl", "HelloWorld!"] {
            assert_eq!(
                z85_decode(text),
                Err(Z85Error::TextLength { len: text.len() })
            );
        }
        // libzmq's three "invalid character" vectors are C strings with
        // octal escapes ("####\0047" is "####", 0x04, '7'): six bytes, so
        // they fail on the length first, here as there.
        for text in ["####\u{4}7", "####\u{10}0", "####\u{3}7"] {
            assert_eq!(z85_decode(text), Err(Z85Error::TextLength { len: 6 }));
        }
        // The length counts bytes, as libzmq's strlen: "é" is two.
        assert_eq!(z85_decode("0000é"), Err(Z85Error::TextLength { len: 6 }));
    }

    #[test]
    fn characters_outside_the_alphabet_are_refused() {
        // Just below '!' (the space) and above '}' ('~', DEL), printable
        // ASCII the alphabet leaves out, control characters.
        for c in [
            ' ', '"', '\'', ',', ';', '\\', '_', '`', '|', '~', '\u{7f}', '\0', '\n',
        ] {
            let text = format!("0000{c}00000");
            assert_eq!(
                z85_decode(&text),
                Err(Z85Error::InvalidCharacter {
                    character: c,
                    position: 4
                }),
                "{c:?}"
            );
        }
        // In a later chunk, the position counts from the start.
        assert_eq!(
            z85_decode("HelloWor_d"),
            Err(Z85Error::InvalidCharacter {
                character: '_',
                position: 8
            })
        );
        // Non-ASCII: the character is reported whole.
        assert_eq!(
            z85_decode("000é"),
            Err(Z85Error::InvalidCharacter {
                character: 'é',
                position: 3
            })
        );
    }

    #[test]
    fn chunks_above_32_bits_are_refused() {
        // libzmq's test_base85: "#####" (the largest 5 digits) and "%nSc1"
        // (0xFFFFFFFF + 1); "%%%%%"; "$0000" (its first digit alone is too
        // much) next to "%0000" (0xFF2280B2, valid).
        assert_eq!(z85_decode("%0000").unwrap(), 4_280_451_250u32.to_be_bytes());
        for text in ["#####", "%nSc1", "%%%%%", "%nSd0", "$0000"] {
            assert_eq!(
                z85_decode(text),
                Err(Z85Error::ChunkOverflow { position: 0 }),
                "{text}"
            );
        }
        assert_eq!(
            z85_decode("HelloWorld#####"),
            Err(Z85Error::ChunkOverflow { position: 10 })
        );
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            Z85Error::InvalidCharacter {
                character: '_',
                position: 8
            }
            .to_string(),
            "invalid Z85 character '_' at byte 8"
        );
        assert_eq!(
            Z85Error::ChunkOverflow { position: 10 }.to_string(),
            "Z85 chunk at byte 10 exceeds 32 bits"
        );
    }

    #[test]
    fn encoding_round_trips() {
        fn prop(data: Vec<u8>) -> bool {
            let data = &data[..data.len() / 4 * 4];
            let text = z85_encode(data).unwrap();
            text.len() == data.len() / 4 * 5
                && text.bytes().all(|b| ALPHABET.contains(&b))
                && (data.is_empty() || z85_decode(&text).unwrap() == data)
        }
        QuickCheck::new()
            .tests(500)
            .quickcheck(prop as fn(Vec<u8>) -> bool);
    }

    #[test]
    fn decoding_round_trips_and_never_panics() {
        // Any string: decoding either fails or gives bytes that encode
        // back to the very same text (one text per value: no aliases).
        fn prop(text: String) -> bool {
            match z85_decode(&text) {
                Ok(data) => z85_encode(&data).unwrap() == text,
                Err(_) => true,
            }
        }
        // Strings over the alphabet only, of lengths multiple of 5.
        fn prop_digits(digits: Vec<u8>, cut: u8) -> bool {
            let len = digits.len() / 5 * 5;
            let text: String = digits
                .iter()
                .take(len)
                .map(|&d| char::from(ALPHABET[usize::from(d) % ALPHABET.len()]))
                .collect();
            let decodes_right = match z85_decode(&text) {
                Ok(data) => z85_encode(&data).unwrap() == text,
                Err(Z85Error::ChunkOverflow { position }) => position % 5 == 0,
                Err(Z85Error::TextLength { len }) => len == 0,
                Err(_) => false,
            };
            // A cut text (shorter by 1 to 4) is always refused for its length.
            let cut = usize::from(cut % 4) + 1;
            let cut_refused = len == 0 || {
                let short = &text[..len - cut];
                z85_decode(short) == Err(Z85Error::TextLength { len: short.len() })
            };
            decodes_right && cut_refused
        }
        QuickCheck::new()
            .tests(500)
            .quickcheck(prop as fn(String) -> bool);
        QuickCheck::new()
            .tests(500)
            .quickcheck(prop_digits as fn(Vec<u8>, u8) -> bool);
    }
}
