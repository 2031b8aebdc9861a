//! Byte-exact checks against the test vectors of zmtp.md §2 and §3.

use bytes::{Bytes, BytesMut};

use super::{cat, decode_all, encode_cmd, hex};
use crate::proto::wire::{
    encode_frame, encode_header, encode_legacy_subscription, header_len, Command, Metadata,
    WireError, IDENTITY, SOCKET_TYPE,
};

/// Assert `command` encodes to exactly `expected`, and `expected` decodes back
/// to one command frame equal to `command`.
fn check_command(command: &Command, expected: &[u8]) {
    assert_eq!(encode_cmd(command), expected, "encoding of {command:?}");
    let frames = decode_all(expected);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].command);
    assert!(!frames[0].more);
    assert_eq!(&Command::decode(&frames[0].body).unwrap(), command);
    assert_eq!(command.body_len(), frames[0].body.len());
}

/// READY metadata the way libzmq orders it: Socket-Type, then Identity.
fn ready(socket_type: &'static str, identity: Option<&'static [u8]>) -> Command {
    let mut metadata = Metadata::new();
    metadata.insert(SOCKET_TYPE, socket_type);
    if let Some(identity) = identity {
        metadata.insert(IDENTITY, identity);
    }
    Command::Ready(metadata)
}

#[test]
fn one_frame_hello() {
    let expected = hex("00 05 68 65 6c 6c 6f");
    let mut dst = BytesMut::new();
    encode_frame(&mut dst, false, false, b"hello");
    assert_eq!(dst.as_ref(), expected.as_slice());
    let frames = decode_all(&expected);
    assert_eq!(frames.len(), 1);
    assert!(!frames[0].more && !frames[0].command);
    assert_eq!(frames[0].body.as_ref(), b"hello");
}

#[test]
fn two_frames_a_bc() {
    let expected = hex("01 01 61 00 02 62 63");
    let mut dst = BytesMut::new();
    encode_frame(&mut dst, true, false, b"a");
    encode_frame(&mut dst, false, false, b"bc");
    assert_eq!(dst.as_ref(), expected.as_slice());
    let frames = decode_all(&expected);
    assert_eq!(frames.len(), 2);
    assert!(frames[0].more && !frames[0].command);
    assert_eq!(frames[0].body.as_ref(), b"a");
    assert!(!frames[1].more && !frames[1].command);
    assert_eq!(frames[1].body.as_ref(), b"bc");
}

#[test]
fn req_request_with_empty_delimiter() {
    let expected = hex("01 00 00 03 72 65 71");
    let mut dst = BytesMut::new();
    encode_frame(&mut dst, true, false, b"");
    encode_frame(&mut dst, false, false, b"req");
    assert_eq!(dst.as_ref(), expected.as_slice());
    let frames = decode_all(&expected);
    assert_eq!(frames.len(), 2);
    assert!(frames[0].more && frames[0].body.is_empty());
    assert!(!frames[1].more);
    assert_eq!(frames[1].body.as_ref(), b"req");
}

#[test]
fn long_header_300_bytes() {
    let expected = hex("02 00 00 00 00 00 00 01 2c");
    let mut dst = BytesMut::new();
    encode_header(&mut dst, false, false, 300);
    assert_eq!(dst.as_ref(), expected.as_slice());
    assert_eq!(header_len(300), 9);
    assert_eq!(header_len(256), 9);
    assert_eq!(header_len(255), 2);
    assert_eq!(header_len(0), 2);

    let body: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut dst = BytesMut::new();
    encode_frame(&mut dst, false, false, &body);
    assert_eq!(&dst[..9], expected.as_slice());
    assert_eq!(dst.len(), 309);
    let frames = decode_all(&dst);
    assert_eq!(frames[0].body.as_ref(), body.as_slice());

    // 255 is the largest short frame; MORE and COMMAND combine with LONG.
    let mut dst = BytesMut::new();
    encode_header(&mut dst, false, false, 255);
    assert_eq!(dst.as_ref(), hex("00 ff").as_slice());
    let mut dst = BytesMut::new();
    encode_header(&mut dst, true, true, 256);
    assert_eq!(dst.as_ref(), hex("07 00 00 00 00 00 00 01 00").as_slice());
}

#[test]
fn ready_from_push_and_pull() {
    let push = cat(&[
        &hex("04 1a 05"),
        b"READY",
        &hex("0b"),
        b"Socket-Type",
        &hex("00 00 00 04 50 55 53 48"),
    ]);
    assert_eq!(
        push,
        hex("04 1a 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 04 50 55 53 48")
    );
    check_command(&ready("PUSH", None), &push);
    let pull = cat(&[&push[..24], &hex("50 55 4c 4c")]);
    check_command(&ready("PULL", None), &pull);
}

#[test]
fn ready_from_router_with_empty_identity() {
    let expected = cat(&[
        &hex("04 29 05"),
        b"READY",
        &hex("0b"),
        b"Socket-Type",
        &hex("00 00 00 06"),
        b"ROUTER",
        &hex("08"),
        b"Identity",
        &hex("00 00 00 00"),
    ]);
    let command = ready("ROUTER", Some(b""));
    check_command(&command, &expected);
    let Command::Ready(metadata) = command else {
        unreachable!()
    };
    assert_eq!(metadata.len(), 2);
    assert_eq!(metadata.get("identity").map(|v| v.len()), Some(0));
}

#[test]
fn ready_from_dealer_with_identity_me() {
    let expected = cat(&[
        &hex("04 2b 05"),
        b"READY",
        &hex("0b"),
        b"Socket-Type",
        &hex("00 00 00 06"),
        b"DEALER",
        &hex("08"),
        b"Identity",
        &hex("00 00 00 02 6d 65"),
    ]);
    check_command(&ready("DEALER", Some(b"me")), &expected);
    let frames = decode_all(&expected);
    let Command::Ready(metadata) = Command::decode(&frames[0].body).unwrap() else {
        panic!("not READY");
    };
    let names: Vec<&[u8]> = metadata.iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec![&b"Socket-Type"[..], &b"Identity"[..]]);
    assert_eq!(metadata.get("SOCKET-TYPE").unwrap().as_ref(), b"DEALER");
    assert_eq!(metadata.get_exact("Identity").unwrap().as_ref(), b"me");
    assert!(metadata.get_exact("identity").is_none());
}

#[test]
fn error_bad() {
    let command = Command::Error {
        reason: Bytes::from_static(b"bad"),
    };
    check_command(&command, &hex("04 0a 05 45 52 52 4f 52 03 62 61 64"));
}

#[test]
fn ping_ttl_three_seconds() {
    let command = Command::Ping {
        ttl_deciseconds: 30,
        context: Bytes::new(),
    };
    check_command(&command, &hex("04 07 04 50 49 4e 47 00 1e"));
}

#[test]
fn pong_ctx123() {
    let command = Command::Pong {
        context: Bytes::from_static(b"ctx123"),
    };
    check_command(&command, &hex("04 0b 04 50 4f 4e 47 63 74 78 31 32 33"));
}

#[test]
fn subscribe_and_cancel_ab() {
    let sub = Command::Subscribe(Bytes::from_static(b"AB"));
    check_command(&sub, &hex("04 0c 09 53 55 42 53 43 52 49 42 45 41 42"));
    let cancel = Command::Cancel(Bytes::from_static(b"AB"));
    check_command(&cancel, &hex("04 09 06 43 41 4e 43 45 4c 41 42"));
}

#[test]
fn legacy_subscription_messages() {
    for (subscribe, expected) in [(true, "00 03 01 41 42"), (false, "00 03 00 41 42")] {
        let mut dst = BytesMut::new();
        encode_legacy_subscription(&mut dst, subscribe, b"AB");
        assert_eq!(dst.as_ref(), hex(expected).as_slice());
        let frames = decode_all(&dst);
        assert!(!frames[0].command);
        let want = if subscribe {
            Command::Subscribe(Bytes::from_static(b"AB"))
        } else {
            Command::Cancel(Bytes::from_static(b"AB"))
        };
        assert_eq!(
            Command::from_legacy_subscription(&frames[0].body),
            Some(want)
        );
    }
    assert_eq!(
        Command::from_legacy_subscription(&Bytes::from_static(b"\x02AB")),
        None
    );
    assert_eq!(Command::from_legacy_subscription(&Bytes::new()), None);
}

#[test]
fn eof_and_unknown_commands() {
    check_command(&Command::Eof, &cat(&[&hex("04 05 04"), b"XEOF"]));
    assert_eq!(Command::Eof.name(), b"XEOF");
    // XEOF with data is still Eof.
    let body = Bytes::from(cat(&[&hex("04"), b"XEOF", b"junk"]));
    assert_eq!(Command::decode(&body).unwrap(), Command::Eof);
    // Names are case-sensitive: "ready" is an unknown command, kept raw.
    let body = Bytes::from(cat(&[&hex("05"), b"ready", b"xyz"]));
    assert_eq!(
        Command::decode(&body).unwrap(),
        Command::Unknown {
            name: Bytes::from_static(b"ready"),
            data: Bytes::from_static(b"xyz"),
        }
    );
    let welcome = Command::Unknown {
        name: Bytes::from_static(b"WELCOME"),
        data: Bytes::new(),
    };
    check_command(&welcome, &cat(&[&hex("04 08 07"), b"WELCOME"]));
}

#[test]
fn malformed_commands_are_rejected() {
    let err = |bytes: &[u8]| Command::decode(&Bytes::copy_from_slice(bytes)).unwrap_err();
    assert_eq!(err(b""), WireError::MalformedCommand("empty command body"));
    assert_eq!(
        err(b"\x00READY"),
        WireError::MalformedCommand("empty command name")
    );
    assert_eq!(
        err(b"\x06READY"),
        WireError::MalformedCommand("name length exceeds body")
    );
    assert_eq!(
        err(b"\xffA"),
        WireError::MalformedCommand("name length exceeds body")
    );
    assert!(matches!(
        err(b"\x05ERROR\x04bad"),
        WireError::MalformedCommand(_)
    ));
    assert!(matches!(
        err(b"\x05ERROR\x02bad"),
        WireError::MalformedCommand(_)
    ));
    assert!(matches!(err(b"\x05ERROR"), WireError::MalformedCommand(_)));
    assert!(matches!(err(b"\x04PING"), WireError::MalformedCommand(_)));
    assert!(matches!(
        err(b"\x04PING\x00"),
        WireError::MalformedCommand(_)
    ));
    assert!(matches!(
        err(b"\x05READY\x01"),
        WireError::MalformedMetadata(_)
    ));
    // A well-formed empty ERROR reason and a PING with only a ttl are fine.
    assert_eq!(
        Command::decode(&Bytes::from_static(b"\x05ERROR\x00")).unwrap(),
        Command::Error {
            reason: Bytes::new()
        }
    );
    assert_eq!(
        Command::decode(&Bytes::from_static(b"\x04PING\x01\x00")).unwrap(),
        Command::Ping {
            ttl_deciseconds: 256,
            context: Bytes::new()
        }
    );
}

#[test]
fn encoding_truncates_oversized_fields() {
    let ping = Command::Ping {
        ttl_deciseconds: 1,
        context: Bytes::from(vec![7u8; 40]),
    };
    let frames = decode_all(&encode_cmd(&ping));
    assert_eq!(
        Command::decode(&frames[0].body).unwrap(),
        Command::Ping {
            ttl_deciseconds: 1,
            context: Bytes::from(vec![7u8; 16])
        }
    );
    let long = Bytes::from(vec![9u8; 40]);
    assert_eq!(
        Command::pong_for(&long),
        Command::Pong {
            context: long.slice(..16)
        }
    );
    let error = Command::Error {
        reason: Bytes::from(vec![b'x'; 300]),
    };
    let frames = decode_all(&encode_cmd(&error));
    assert_eq!(
        Command::decode(&frames[0].body).unwrap(),
        Command::Error {
            reason: Bytes::from(vec![b'x'; 255])
        }
    );
}

#[test]
fn malformed_metadata_is_rejected() {
    let err = |bytes: &[u8]| Metadata::decode(&Bytes::copy_from_slice(bytes)).unwrap_err();
    assert_eq!(
        err(b"\x00\x00\x00\x00\x00"),
        WireError::MalformedMetadata("empty property name")
    );
    assert_eq!(
        err(b"\x05Sock"),
        WireError::MalformedMetadata("truncated property name")
    );
    assert_eq!(
        err(b"\x01A\x00\x00\x00"),
        WireError::MalformedMetadata("truncated value length")
    );
    assert_eq!(
        err(b"\x01A\x00\x00\x00\x02x"),
        WireError::MalformedMetadata("truncated property value")
    );
    assert_eq!(
        err(b"\x01A\xff\xff\xff\xffx"),
        WireError::MalformedMetadata("truncated property value")
    );
    assert!(matches!(
        err(b"\x01A\x00\x00\x00\x00\x07"),
        WireError::MalformedMetadata(_)
    ));
    assert!(Metadata::decode(&Bytes::new()).unwrap().is_empty());
}

#[test]
fn unencodable_properties_are_skipped_or_refused() {
    let mut metadata = Metadata::new();
    metadata.insert("", "empty name");
    metadata.insert(&"n".repeat(256), "long name");
    metadata.insert("X-Ok", "v");
    let mut dst = BytesMut::new();
    metadata.encode(&mut dst);
    assert_eq!(dst.as_ref(), b"\x04X-Ok\x00\x00\x00\x01v");
    assert_eq!(metadata.encoded_len(), dst.len());
    assert!(metadata.try_insert(b"", Bytes::new()).is_err());
    assert!(metadata.try_insert(&[b'n'; 256], Bytes::new()).is_err());
    assert!(metadata.try_insert(&[b'n'; 255], Bytes::new()).is_ok());
}
