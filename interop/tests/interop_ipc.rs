//! ferromq against real libzmq (4.3.4, through the `zmq` crate) over
//! `ipc://`, with a socket-file path and with a Linux abstract name (which
//! only matches if both sides spell it the same way: no trailing NUL), each
//! side binding in turn:
//!
//! * PUSH/PULL streams both ways, multipart, with frames larger than the
//!   socket buffer;
//! * REQ/REP both ways, and a libzmq DEALER's routing id on a ferromq ROUTER;
//! * `ipc://*` on either side, connected to by the other;
//! * the socket file between the two: ferromq refuses a path a live libzmq
//!   listener holds, and when libzmq steals ferromq's path (libzmq unlinks
//!   whatever is there), ferromq's close leaves libzmq's file alone.
//!
//! Nothing sleeps to synchronise: every wait is for a message, bounded by a
//! deadline (libzmq's RCVTIMEO/SNDTIMEO, ferromq's `recv_timeout`).

// A test fails by panicking; `expect` carries the reason into the failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/libzmq.rs"]
mod libzmq;

use ferromq::{Context, Endpoint, Error, Message, Options, SocketType};
use libzmq::*;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The two kinds of ipc address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A socket file in the temporary directory.
    Path,
    /// A Linux abstract name, `ipc://@name`.
    Abstract,
}

const KINDS: [Kind; 2] = [Kind::Path, Kind::Abstract];

/// A unique ipc endpoint; its file (if any is left) is removed on drop.
struct Ipc {
    ep: String,
    path: Option<PathBuf>,
}

impl Ipc {
    fn new(kind: Kind) -> Ipc {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "ferromq-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        match kind {
            Kind::Path => {
                let path = std::env::temp_dir().join(format!("{name}.ipc"));
                Ipc {
                    ep: format!("ipc://{}", path.display()),
                    path: Some(path),
                }
            }
            Kind::Abstract => Ipc {
                ep: format!("ipc://@{name}"),
                path: None,
            },
        }
    }
}

impl Drop for Ipc {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// (device, inode) of the socket file at `path`, if there is one.
fn socket_file(path: &Path) -> Option<(u64, u64)> {
    let m = std::fs::symlink_metadata(path).ok()?;
    m.file_type().is_socket().then(|| (m.dev(), m.ino()))
}

/// Bind a libzmq socket to `ep` and check the endpoint it reports.
fn zbind_ipc(s: &zmq::Socket, ep: &str) {
    s.bind(ep).unwrap_or_else(|e| panic!("zmq bind {ep}: {e}"));
    let last = s.get_last_endpoint().unwrap().unwrap();
    assert_eq!(last, ep, "libzmq's ZMQ_LAST_ENDPOINT");
}

/// A ferromq socket that does not linger.
fn fsocket(ctx: &Context, ty: SocketType) -> ferromq::Socket {
    ctx.socket_with(
        ty,
        Options::default().with_linger(std::time::Duration::ZERO),
    )
    .unwrap()
}

/// Message `i` of a stream: a head, an empty frame, and for messages 1,
/// 11, 21, ... a 300 KiB frame (larger than a Unix socket's default
/// buffer) whose bytes depend on `i`.
fn numbered(i: usize) -> Vec<Vec<u8>> {
    let mut m = vec![format!("m{i}").into_bytes(), Vec::new()];
    if i % 10 == 1 {
        m.push(
            (0..300 * 1024)
                .map(|k| ((k * 31 + i) % 251) as u8)
                .collect(),
        );
    }
    m
}

const STREAM_LEN: usize = 200;

fn fsend_stream(s: &ferromq::Socket) {
    for i in 0..STREAM_LEN {
        s.send_timeout(Message::multipart(numbered(i)), WAIT)
            .unwrap_or_else(|e| panic!("ferromq send {i}: {}", e.error));
    }
}

fn zrecv_stream(s: &zmq::Socket) {
    for i in 0..STREAM_LEN {
        assert!(
            zrecv(s, &format!("message {i}")) == numbered(i),
            "message {i} differs"
        );
    }
}

fn zsend_stream(s: &zmq::Socket) {
    for i in 0..STREAM_LEN {
        s.send_multipart(numbered(i), 0)
            .unwrap_or_else(|e| panic!("libzmq send {i}: {e}"));
    }
}

fn frecv_stream(s: &ferromq::Socket) {
    for i in 0..STREAM_LEN {
        let m = frecv(s, &format!("message {i}"));
        assert!(frames(&m) == numbered(i), "message {i} differs");
    }
    assert!(matches!(s.try_recv(), Err(Error::WouldBlock)));
    assert_eq!(s.stats().protocol_errors, 0);
}

/// ferromq REQ asks, libzmq REP answers.
fn freq_zrep(req: &ferromq::Socket, rep: &zmq::Socket, what: &str) {
    for i in 0..5 {
        req.send_timeout(Message::multipart([format!("q{i}"), "x".into()]), WAIT)
            .unwrap();
        let q = zrecv(rep, what);
        assert_eq!(q, [format!("q{i}").into_bytes(), b"x".to_vec()], "{what}");
        rep.send(format!("a{i}").as_bytes(), 0).unwrap();
        let a = frecv(req, what);
        assert_eq!(frames(&a), [format!("a{i}").into_bytes()], "{what}");
    }
}

/// libzmq REQ asks, ferromq REP answers.
fn zreq_frep(req: &zmq::Socket, rep: &ferromq::Socket, what: &str) {
    for i in 0..5 {
        req.send_multipart([format!("q{i}").into_bytes(), b"y".to_vec()], 0)
            .unwrap();
        let q = frecv(rep, what);
        assert_eq!(
            frames(&q),
            [format!("q{i}").into_bytes(), b"y".to_vec()],
            "{what}"
        );
        rep.send_timeout(format!("a{i}"), WAIT).unwrap();
        assert_eq!(zrecv(req, what), [format!("a{i}").into_bytes()], "{what}");
    }
}

// ---------------------------------------------------------------------------
// PUSH/PULL
// ---------------------------------------------------------------------------

#[test]
fn libzmq_pull_binds_ferromq_push_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let z = zmq::Context::new();
        let zpull = zsocket(&z, zmq::PULL);
        zbind_ipc(&zpull, &ipc.ep);
        let ctx = Context::new().unwrap();
        let push = fsocket(&ctx, SocketType::Push);
        push.connect(&ipc.ep).unwrap();
        thread::scope(|s| {
            s.spawn(|| fsend_stream(&push));
            zrecv_stream(&zpull);
        });
        assert_eq!(push.stats().messages_sent, STREAM_LEN as u64, "{kind:?}");
    }
}

#[test]
fn libzmq_push_binds_ferromq_pull_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let z = zmq::Context::new();
        let zpush = zsocket(&z, zmq::PUSH);
        zbind_ipc(&zpush, &ipc.ep);
        let ctx = Context::new().unwrap();
        let pull = fsocket(&ctx, SocketType::Pull);
        pull.connect(&ipc.ep).unwrap();
        // zmq sockets are not Sync: libzmq sends here, ferromq receives there.
        thread::scope(|s| {
            let receiver = s.spawn(|| frecv_stream(&pull));
            zsend_stream(&zpush);
            receiver.join().unwrap();
        });
    }
}

#[test]
fn ferromq_push_binds_libzmq_pull_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let ctx = Context::new().unwrap();
        let push = fsocket(&ctx, SocketType::Push);
        assert_eq!(push.bind(&ipc.ep).unwrap().to_string(), ipc.ep);
        let z = zmq::Context::new();
        let zpull = zsocket(&z, zmq::PULL);
        zpull.connect(&ipc.ep).unwrap();
        thread::scope(|s| {
            s.spawn(|| fsend_stream(&push));
            zrecv_stream(&zpull);
        });
    }
}

#[test]
fn ferromq_pull_binds_libzmq_push_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let ctx = Context::new().unwrap();
        let pull = fsocket(&ctx, SocketType::Pull);
        assert_eq!(pull.bind(&ipc.ep).unwrap().to_string(), ipc.ep);
        let z = zmq::Context::new();
        let zpush = zsocket(&z, zmq::PUSH);
        zpush.connect(&ipc.ep).unwrap();
        thread::scope(|s| {
            let receiver = s.spawn(|| frecv_stream(&pull));
            zsend_stream(&zpush);
            receiver.join().unwrap();
        });
    }
}

// ---------------------------------------------------------------------------
// REQ/REP, DEALER/ROUTER
// ---------------------------------------------------------------------------

#[test]
fn libzmq_rep_binds_ferromq_req_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let z = zmq::Context::new();
        let zrep = zsocket(&z, zmq::REP);
        zbind_ipc(&zrep, &ipc.ep);
        let ctx = Context::new().unwrap();
        let req = fsocket(&ctx, SocketType::Req);
        req.connect(&ipc.ep).unwrap();
        freq_zrep(&req, &zrep, &format!("{kind:?}"));
    }
}

#[test]
fn ferromq_rep_binds_libzmq_req_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let ctx = Context::new().unwrap();
        let rep = fsocket(&ctx, SocketType::Rep);
        rep.bind(&ipc.ep).unwrap();
        let z = zmq::Context::new();
        let zreq = zsocket(&z, zmq::REQ);
        zreq.connect(&ipc.ep).unwrap();
        zreq_frep(&zreq, &rep, &format!("{kind:?}"));
    }
}

/// A libzmq DEALER's identity reaches a ferromq ROUTER over ipc, and the
/// reply routed by it comes back.
#[test]
fn ferromq_router_binds_libzmq_dealer_connects() {
    for kind in KINDS {
        let ipc = Ipc::new(kind);
        let ctx = Context::new().unwrap();
        let router = ctx
            .socket_with(
                SocketType::Router,
                Options::default().with_router_mandatory(true),
            )
            .unwrap();
        router.bind(&ipc.ep).unwrap();
        let z = zmq::Context::new();
        let dealer = zsocket(&z, zmq::DEALER);
        dealer.set_identity(b"zd").unwrap();
        dealer.connect(&ipc.ep).unwrap();
        dealer.send_multipart([&b"hi"[..], b"there"], 0).unwrap();
        let m = frecv(&router, "from the libzmq dealer");
        assert_eq!(
            frames(&m),
            [b"zd".to_vec(), b"hi".to_vec(), b"there".to_vec()]
        );
        router
            .send(Message::multipart([&b"zd"[..], b"back"]))
            .unwrap();
        assert_eq!(zrecv(&dealer, "reply"), [b"back".to_vec()]);
    }
}

// ---------------------------------------------------------------------------
// `ipc://*`
// ---------------------------------------------------------------------------

/// libzmq's `ipc://*` (a fresh path, relative to the working directory
/// when TMPDIR is not set) and ferromq's (a fresh absolute path in the
/// temporary directory), each connected to by the other through the
/// endpoint it reports.
#[test]
fn star_on_either_side() {
    let z = zmq::Context::new();
    let ctx = Context::new().unwrap();

    let zrep = zsocket(&z, zmq::REP);
    zrep.bind("ipc://*").unwrap();
    let zep = zrep.get_last_endpoint().unwrap().unwrap();
    // Without TMPDIR, the vendored libzmq makes a path relative to the
    // working directory (`ipc://tmpXXXXXX`), and may leave it behind:
    // removed at the end, whatever happens.
    let zpath = Ipc {
        ep: zep.clone(),
        path: Some(PathBuf::from(zep.strip_prefix("ipc://").unwrap())),
    };
    assert!(
        zep != "ipc://*" && socket_file(zpath.path.as_ref().unwrap()).is_some(),
        "{zep}"
    );
    let req = fsocket(&ctx, SocketType::Req);
    req.connect(&zpath.ep).unwrap();
    freq_zrep(&req, &zrep, "libzmq ipc://*");

    let rep = fsocket(&ctx, SocketType::Rep);
    let fep = rep.bind("ipc://*").unwrap();
    let Endpoint::Ipc { path } = &fep else {
        panic!("{fep:?}");
    };
    assert!(socket_file(Path::new(path)).is_some(), "{path}");
    let zreq = zsocket(&z, zmq::REQ);
    zreq.connect(&fep.to_string()).unwrap();
    zreq_frep(&zreq, &rep, "ferromq ipc://*");
    let path = PathBuf::from(path);
    rep.close();
    assert!(socket_file(&path).is_none(), "ferromq's ipc://* file left");
}

// ---------------------------------------------------------------------------
// The socket file between ferromq and libzmq
// ---------------------------------------------------------------------------

/// A path held by a live libzmq listener: ferromq's bind is `AddressInUse`
/// and libzmq keeps receiving through the path.
#[test]
fn ferromq_refuses_a_path_libzmq_holds() {
    let ipc = Ipc::new(Kind::Path);
    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    zbind_ipc(&zpull, &ipc.ep);
    let file = socket_file(ipc.path.as_ref().unwrap()).unwrap();

    let ctx = Context::new().unwrap();
    let pull = fsocket(&ctx, SocketType::Pull);
    match pull.bind(&ipc.ep) {
        Err(Error::AddressInUse(what)) => assert_eq!(what, ipc.ep),
        other => panic!("expected AddressInUse, got {other:?}"),
    }
    assert_eq!(socket_file(ipc.path.as_ref().unwrap()), Some(file));
    let push = fsocket(&ctx, SocketType::Push);
    push.connect(&ipc.ep).unwrap();
    push.send("to libzmq").unwrap();
    assert_eq!(zrecv(&zpull, "still libzmq's"), [b"to libzmq".to_vec()]);
}

/// libzmq binding a path ferromq holds unlinks ferromq's file and takes
/// the path (libzmq#2059). ferromq's close must then leave libzmq's file
/// in place: new connections keep reaching libzmq.
#[test]
fn ferromq_close_leaves_a_file_libzmq_took_over() {
    let ipc = Ipc::new(Kind::Path);
    let path = ipc.path.clone().unwrap();
    let ctx = Context::new().unwrap();
    let pull = fsocket(&ctx, SocketType::Pull);
    pull.bind(&ipc.ep).unwrap();
    let ours = socket_file(&path).unwrap();

    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    zbind_ipc(&zpull, &ipc.ep);
    let theirs = socket_file(&path).unwrap();
    assert_ne!(ours, theirs, "libzmq made its own file");

    pull.close();
    assert_eq!(
        socket_file(&path),
        Some(theirs),
        "ferromq's close removed libzmq's file"
    );
    let push = fsocket(&ctx, SocketType::Push);
    push.connect(&ipc.ep).unwrap();
    push.send("after ferromq closed").unwrap();
    assert_eq!(
        zrecv(&zpull, "libzmq still reachable"),
        [b"after ferromq closed".to_vec()]
    );
}
