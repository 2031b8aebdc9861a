//! Incremental decoder behaviour: tolerance, limits and memory bounds.

use bytes::BytesMut;

use super::{hex, socket_read};
use crate::proto::wire::{
    encode_frame, encode_header, Frame, FrameDecoder, WireError, GREETING_LEN, MIN_READ, READ_CHUNK,
};

const MIB: u64 = 1024 * 1024;

#[test]
fn long_header_with_small_size_accepted() {
    let mut decoder = FrameDecoder::new(MIB);
    decoder.feed(&hex("02 00 00 00 00 00 00 00 05 68 65 6c 6c 6f"));
    let frame = decoder.decode().unwrap().unwrap();
    assert_eq!(frame, Frame::message(false, &b"hello"[..]));
    assert_eq!(decoder.decode().unwrap(), None);
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn reserved_flag_bits_ignored() {
    let mut decoder = FrameDecoder::new(MIB);
    decoder.feed(&hex("f9 01 61 fc 01 62 fb 00 00 00 00 00 00 00 01 63"));
    let a = decoder.decode().unwrap().unwrap();
    assert!(a.more && !a.command);
    assert_eq!(a.body.as_ref(), b"a");
    let b = decoder.decode().unwrap().unwrap();
    assert!(!b.more && b.command);
    assert_eq!(b.body.as_ref(), b"b");
    let c = decoder.decode().unwrap().unwrap();
    assert!(c.more && !c.command);
    assert_eq!(c.body.as_ref(), b"c");
    assert_eq!(decoder.decode().unwrap(), None);
}

#[test]
fn partial_headers_and_bodies_wait_for_more() {
    let mut decoder = FrameDecoder::new(MIB);
    assert_eq!(decoder.decode().unwrap(), None);
    let bytes = hex("02 00 00 00 00 00 00 00 03 61 62 63");
    for (i, byte) in bytes.iter().enumerate() {
        assert_eq!(decoder.decode().unwrap(), None, "after {i} bytes");
        decoder.feed(&[*byte]);
    }
    assert_eq!(decoder.decode().unwrap().unwrap().body.as_ref(), b"abc");
}

#[test]
fn huge_declared_sizes_rejected_without_allocation() {
    for header in [
        "02 ff ff ff ff ff ff ff ff",
        "02 80 00 00 00 00 00 00 00",
        "06 00 00 00 00 00 10 00 01",
    ] {
        let mut decoder = FrameDecoder::new(MIB);
        let header = hex(header);
        let size = u64::from_be_bytes(header[1..9].try_into().unwrap());
        // Only 8 bytes of the size: still waiting.
        decoder.feed(&header[..8]);
        assert_eq!(decoder.decode(), Ok(None));
        decoder.feed(&header[8..]);
        let expected = WireError::FrameTooLarge { size, limit: MIB };
        assert_eq!(decoder.decode(), Err(expected.clone()));
        assert_eq!(decoder.buffered(), 9, "no body bytes consumed");
        assert!(decoder.read_buf().capacity() < 128 * 1024);
        // The error is sticky.
        assert_eq!(decoder.decode(), Err(expected));
    }
}

#[test]
fn spec_maximum_applies_even_without_a_limit() {
    let mut decoder = FrameDecoder::new(u64::MAX);
    decoder.feed(&hex("02 80 00 00 00 00 00 00 00"));
    assert!(matches!(
        decoder.decode(),
        Err(WireError::FrameTooLarge {
            size: 0x8000_0000_0000_0000,
            ..
        })
    ));
    assert!(decoder.read_buf().capacity() < 128 * 1024);
}

#[test]
fn small_limit_like_maxmsgsize() {
    let mut decoder = FrameDecoder::new(4);
    decoder.feed(&hex("00 04 61 62 63 64"));
    assert_eq!(decoder.decode().unwrap().unwrap().body.as_ref(), b"abcd");
    decoder.feed(&hex("00 05"));
    assert_eq!(
        decoder.decode(),
        Err(WireError::FrameTooLarge { size: 5, limit: 4 })
    );
    decoder.set_max_frame_size(5);
    assert_eq!(decoder.max_frame_size(), 5);
    decoder.feed(b"hello");
    assert_eq!(decoder.decode().unwrap().unwrap().body.as_ref(), b"hello");
}

#[test]
fn large_legal_frame_grows_with_the_data() {
    let size = MIB as usize;
    let mut decoder = FrameDecoder::new(2 * MIB);
    let mut header = BytesMut::new();
    encode_header(&mut header, false, false, size);
    decoder.feed(&header);
    assert_eq!(decoder.decode(), Ok(None));
    let spare = decoder.read_buf().capacity() - decoder.buffered();
    assert!(spare >= READ_CHUNK, "a big frame gets a full read chunk");
    assert!(decoder.capacity() < 128 * 1024);

    let chunk: Vec<u8> = (0..1024u32).map(|i| i as u8).collect();
    let mut fed = 0;
    while fed < size {
        assert_eq!(decoder.decode(), Ok(None));
        let n = if fed % 2048 == 0 {
            socket_read(&mut decoder, &chunk)
        } else {
            decoder.feed(&chunk);
            chunk.len()
        };
        assert_eq!(n, chunk.len());
        fed += n;
        let buffered = decoder.buffered();
        assert!(
            decoder.capacity() <= 2 * buffered + READ_CHUNK,
            "capacity {} for {buffered} buffered bytes",
            decoder.capacity()
        );
    }
    let frame = decoder.decode().unwrap().unwrap();
    assert_eq!(frame.body.len(), size);
    assert_eq!(&frame.body[..1024], chunk.as_slice());
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn read_buf_spare_is_bounded_both_ways() {
    let mut decoder = FrameDecoder::new(u64::MAX);
    let spare = |d: &mut FrameDecoder| {
        let buf = d.read_buf();
        buf.capacity() - buf.len()
    };
    // Nothing buffered: at least the minimum read.
    assert!(spare(&mut decoder) >= MIN_READ);
    assert!(decoder.capacity() <= READ_CHUNK);
    // A huge (legal) declared size never reserves more than one chunk.
    decoder.feed(&hex("02 00 00 00 10 00 00 00 00"));
    let s = spare(&mut decoder);
    assert!((READ_CHUNK..2 * READ_CHUNK).contains(&s), "spare {s}");
    assert!(decoder.capacity() < 2 * READ_CHUNK);
}

#[test]
fn greeting_then_frames_in_one_read() {
    let mut decoder = FrameDecoder::new(MIB);
    let greeting = crate::proto::wire::Greeting::new("NULL", false).encode();
    let mut wire = BytesMut::new();
    wire.extend_from_slice(&greeting);
    encode_frame(&mut wire, false, true, b"\x05READY");
    encode_frame(&mut wire, false, false, b"data");
    decoder.feed(&wire[..10]);
    assert_eq!(decoder.peek(), &greeting[..10]);
    assert_eq!(decoder.take_raw(GREETING_LEN), None);
    decoder.feed(&wire[10..]);
    assert_eq!(
        decoder.take_raw(GREETING_LEN).unwrap().as_ref(),
        greeting.as_slice()
    );
    let ready = decoder.decode().unwrap().unwrap();
    assert!(ready.command);
    assert_eq!(decoder.decode().unwrap().unwrap().body.as_ref(), b"data");
    assert_eq!(decoder.decode().unwrap(), None);
    assert!(decoder.peek().is_empty());
}
