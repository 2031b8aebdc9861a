//! Helpers shared by the tests against real libzmq, included with
//! `#[path = "common/libzmq.rs"] mod libzmq;`. Every wait is bounded.
#![allow(dead_code)] // each test file uses a different subset

use ferromq::Message;
use std::time::Duration;

/// Upper bound for any single wait that is expected to succeed.
pub(crate) const WAIT: Duration = Duration::from_secs(10);
/// The same, in milliseconds, for libzmq's RCVTIMEO/SNDTIMEO.
pub(crate) const WAIT_MS: i32 = 10_000;
/// How long a negative check ("nothing more arrives") waits.
pub(crate) const QUIET_MS: i32 = 200;

/// A libzmq socket whose every blocking call is bounded, and which never
/// lingers (so dropping it and its context releases the port at once).
pub(crate) fn zsocket(ctx: &zmq::Context, ty: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(ty).expect("zmq socket");
    s.set_rcvtimeo(WAIT_MS).expect("RCVTIMEO");
    s.set_sndtimeo(WAIT_MS).expect("SNDTIMEO");
    s.set_linger(0).expect("LINGER");
    s.set_reconnect_ivl(10).expect("RECONNECT_IVL");
    s
}

/// Bind a libzmq socket to an ephemeral loopback port; returns the endpoint
/// and the port.
pub(crate) fn zbind(s: &zmq::Socket) -> (String, u16) {
    s.bind("tcp://127.0.0.1:*").expect("zmq bind");
    let ep = s
        .get_last_endpoint()
        .expect("ZMQ_LAST_ENDPOINT")
        .expect("endpoint is UTF-8");
    let port = ep
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in endpoint");
    (ep, port)
}

/// Receive a multipart message from libzmq, failing the test on timeout.
pub(crate) fn zrecv(s: &zmq::Socket, what: &str) -> Vec<Vec<u8>> {
    s.recv_multipart(0)
        .unwrap_or_else(|e| panic!("libzmq recv ({what}): {e}"))
}

/// Receive a message from ferromq, failing the test on timeout.
pub(crate) fn frecv(s: &ferromq::Socket, what: &str) -> Message {
    s.recv_timeout(WAIT)
        .unwrap_or_else(|e| panic!("ferromq recv ({what}): {e}"))
}

/// A message's frames as owned byte vectors (libzmq's representation).
pub(crate) fn frames(m: &Message) -> Vec<Vec<u8>> {
    m.frames().iter().map(|f| f.to_vec()).collect()
}
