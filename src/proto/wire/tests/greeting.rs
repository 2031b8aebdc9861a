//! Greeting encoding, decoding and early rejection (zmtp.md §2, §12).

use super::hex;
use crate::proto::wire::{Greeting, WireError, GREETING_LEN};

/// The NULL 3.1 greeting vector from zmtp.md §2.
fn null_vector() -> Vec<u8> {
    let mut v = hex("ff 00 00 00 00 00 00 00 00 7f 03 01 4e 55 4c 4c");
    v.extend_from_slice(&[0u8; 16]); // mechanism tail
    v.push(0); // as-server
    v.extend_from_slice(&[0u8; 31]); // filler
    v
}

#[test]
fn null_greeting_vector() {
    let vector = null_vector();
    assert_eq!(vector.len(), GREETING_LEN);
    let ours = Greeting::new("NULL", false);
    assert_eq!(ours.encode().as_slice(), vector.as_slice());
    let decoded = Greeting::decode(&vector).unwrap();
    assert_eq!(decoded, ours);
    assert_eq!((decoded.major, decoded.minor), (3, 1));
    assert_eq!(decoded.mechanism_name(), b"NULL");
    assert!(!decoded.as_server);
    assert!(decoded.is_zmtp31());
}

#[test]
fn plain_and_curve_greetings() {
    let plain = Greeting::new("PLAIN", true);
    let bytes = plain.encode();
    assert_eq!(&bytes[12..17], b"PLAIN");
    assert!(bytes[17..32].iter().all(|&b| b == 0));
    assert_eq!(bytes[32], 1);
    assert_eq!(Greeting::decode(&bytes).unwrap(), plain);
    assert_eq!(plain.mechanism_name(), b"PLAIN");
    let curve = Greeting::new("CURVE", false);
    assert_eq!(
        Greeting::decode(&curve.encode()).unwrap().mechanism_name(),
        b"CURVE"
    );
    assert_ne!(curve.mechanism, plain.mechanism);
    assert_eq!(Greeting::new("", false).mechanism_name(), b"");
}

#[test]
fn libzmq_padding_and_filler_are_ignored() {
    let mut vector = null_vector();
    vector[8] = 0x01; // libzmq: identity length + 1
    vector[1] = 0xAB;
    vector[9] = 0xFF; // other bits of byte 9
    for b in &mut vector[33..] {
        *b = 0x5A;
    }
    vector.extend_from_slice(b"extra bytes after the greeting");
    let decoded = Greeting::decode(&vector).unwrap();
    assert_eq!(decoded, Greeting::new("NULL", false));
}

#[test]
fn zmtp10_peer_rejected_after_one_byte() {
    // A ZMTP 1.0 peer starts with a length byte, not 0xFF.
    assert_eq!(
        Greeting::check_prefix(&[0x01]),
        Err(WireError::BadSignature)
    );
    assert_eq!(
        Greeting::check_prefix(&[0x00]),
        Err(WireError::BadSignature)
    );
    assert_eq!(Greeting::check_prefix(&[]), Ok(()));
    assert_eq!(Greeting::check_prefix(&[0xFF]), Ok(()));
    let mut vector = null_vector();
    vector[0] = 0x05;
    assert_eq!(Greeting::decode(&vector), Err(WireError::BadSignature));
}

#[test]
fn unversioned_signature_rejected_after_ten_bytes() {
    let mut prefix = hex("ff 00 00 00 00 00 00 00 01 7e");
    assert_eq!(Greeting::check_prefix(&prefix[..9]), Ok(()));
    assert_eq!(
        Greeting::check_prefix(&prefix),
        Err(WireError::BadSignature)
    );
    prefix[9] = 0x7F;
    assert_eq!(Greeting::check_prefix(&prefix), Ok(()));
}

#[test]
fn zmtp20_peer_rejected_after_eleven_bytes() {
    // ZMTP 2.0 sends revision 1 at byte 10.
    let mut prefix = hex("ff 00 00 00 00 00 00 00 01 7f 01");
    assert_eq!(Greeting::check_prefix(&prefix[..10]), Ok(()));
    assert_eq!(
        Greeting::check_prefix(&prefix),
        Err(WireError::UnsupportedVersion { major: 1 })
    );
    prefix[10] = 2;
    assert_eq!(
        Greeting::check_prefix(&prefix),
        Err(WireError::UnsupportedVersion { major: 2 })
    );
    let mut vector = null_vector();
    vector[10] = 1;
    assert_eq!(
        Greeting::decode(&vector),
        Err(WireError::UnsupportedVersion { major: 1 })
    );
}

#[test]
fn major_four_and_minor_zero_accepted() {
    let mut vector = null_vector();
    vector[10] = 4;
    vector[11] = 0;
    assert_eq!(Greeting::check_prefix(&vector[..12]), Ok(()));
    let decoded = Greeting::decode(&vector).unwrap();
    assert_eq!((decoded.major, decoded.minor), (4, 0));
    assert!(decoded.is_zmtp31());
    vector[10] = 3;
    let zmtp30 = Greeting::decode(&vector).unwrap();
    assert_eq!(zmtp30.minor, 0);
    assert!(!zmtp30.is_zmtp31());
}

#[test]
fn short_greeting_is_an_error() {
    let vector = null_vector();
    assert_eq!(
        Greeting::decode(&vector[..63]),
        Err(WireError::MalformedCommand("short greeting"))
    );
    assert_eq!(
        Greeting::decode(&[]),
        Err(WireError::MalformedCommand("short greeting"))
    );
}
