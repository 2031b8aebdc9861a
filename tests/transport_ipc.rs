//! The `ipc://` transport (Unix domain stream sockets, `src/transport/ipc.rs`).
//!
//! * endpoints: `ipc://*` (a fresh path, reported by `bind`), a named path,
//!   a Linux abstract name `ipc://@name`; what is `InvalidEndpoint`;
//! * the socket file's life: a stale file is replaced, a live listener's
//!   path is refused (`AddressInUse`, where libzmq would steal it), a path
//!   that is not a socket is never deleted, the file goes on close and on
//!   unbind, but only if it is still the one this socket created;
//! * every socket pattern over ipc, reconnection, and the monitor's
//!   `PeerAddr::Ipc`.
//!
//! Every path is unique (process id and a counter) under the temporary
//! directory and removed at the end. Nothing sleeps to synchronise: every
//! wait is for a message or an event, bounded by a deadline.

// A test fails by panicking; `expect` carries the reason into the failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::{Endpoint, Error, Message, MonitorEvent, Options, PeerAddr, SocketType};
use sockets::*;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `ferromq-test-<pid>-<n>`: unique in this process and among processes.
fn unique_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "ferromq-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A unique path in the temporary directory; whatever is there is removed
/// when this is dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new() -> TempPath {
        let path = std::env::temp_dir().join(format!("{}.ipc", unique_name()));
        assert!(
            fs::symlink_metadata(&path).is_err(),
            "{path:?} exists already"
        );
        TempPath(path)
    }

    fn ep(&self) -> String {
        format!("ipc://{}", self.0.display())
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        match fs::symlink_metadata(&self.0) {
            Ok(m) if m.is_dir() => {
                let _ = fs::remove_dir(&self.0);
            }
            Ok(_) => {
                let _ = fs::remove_file(&self.0);
            }
            Err(_) => {}
        }
    }
}

/// A unique abstract name, `ipc://@ferromq-test-<pid>-<n>`.
fn abstract_ep() -> String {
    format!("ipc://@{}", unique_name())
}

/// (device, inode) of the socket file at `path`; `None` if there is no
/// socket file there.
fn socket_file(path: &Path) -> Option<(u64, u64)> {
    let m = fs::symlink_metadata(path).ok()?;
    m.file_type().is_socket().then(|| (m.dev(), m.ino()))
}

/// Whether anything (of any type) is at `path`.
fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// A PUSH connects to `ep` and sends a message naming `tag`; `pull` must
/// receive exactly that.
fn push_reaches(ctx: &ferromq::Context, ep: &str, pull: &ferromq::Socket, tag: &str) {
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(ep).unwrap();
    push.send(msg(&["to", tag])).unwrap();
    assert_eq!(texts(&recv(pull, tag)), ["to", tag], "{tag}");
}

// ---------------------------------------------------------------------------
// Endpoints: `*`, a path, an abstract name
// ---------------------------------------------------------------------------

/// `ipc://*` binds a fresh socket file in the temporary directory and
/// `bind` reports it; a PUSH connecting to the reported endpoint reaches
/// the PULL; closing the PULL removes the file.
#[test]
fn star_binds_a_fresh_path_and_reports_it() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind("ipc://*").unwrap();
    let Endpoint::Ipc { path } = &ep else {
        panic!("ipc://* bound {ep:?}");
    };
    let path = PathBuf::from(path);
    assert!(path.is_absolute(), "{path:?}");
    assert!(path.starts_with(std::env::temp_dir()), "{path:?}");
    assert!(socket_file(&path).is_some(), "no socket file at {path:?}");
    assert_eq!(ep.transport(), "ipc");
    assert_eq!(ep.to_string(), format!("ipc://{}", path.display()));

    // A second `*` is another path.
    let other = ctx.socket(SocketType::Pull).unwrap();
    let ep2 = other.bind("ipc://*").unwrap();
    assert_ne!(ep, ep2);

    push_reaches(&ctx, &ep.to_string(), &pull, "star");
    pull.close();
    assert!(!exists(&path), "{path:?} left behind by close");
    other.close();
}

/// A named path: `bind` returns it as given, the socket file is there, and
/// a PUSH reaches the PULL through it.
#[test]
fn named_path_push_pull() {
    let tp = TempPath::new();
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind(&tp.ep()).unwrap();
    assert_eq!(ep.to_string(), tp.ep());
    assert_eq!(
        ep,
        Endpoint::Ipc {
            path: tp.0.to_str().unwrap().into()
        }
    );
    assert!(socket_file(&tp.0).is_some());
    push_reaches(&ctx, &tp.ep(), &pull, "named");
}

/// An abstract name: no file anywhere, the name works, a second bind of a
/// live name is `AddressInUse`, and closing frees the name at once.
#[test]
fn abstract_name_push_pull() {
    let ep = abstract_ep();
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(pull.bind(&ep).unwrap().to_string(), ep);
    // No file named after it (relative to the working directory).
    let name = ep.strip_prefix("ipc://").unwrap();
    assert!(!exists(Path::new(name)));
    push_reaches(&ctx, &ep, &pull, "abstract");

    let thief = ctx.socket(SocketType::Pull).unwrap();
    match thief.bind(&ep) {
        Err(Error::AddressInUse(what)) => assert_eq!(what, ep),
        other => panic!("second bind of a live abstract name: {other:?}"),
    }
    push_reaches(&ctx, &ep, &pull, "abstract, still the owner");

    pull.close();
    let again = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(
        again.bind(&ep).unwrap().to_string(),
        ep,
        "close frees the name"
    );
    push_reaches(&ctx, &ep, &again, "abstract, rebound");
}

/// Paths and names at the OS limit (107 bytes) work; one byte more is
/// `InvalidEndpoint`, as are `ipc://@`, `ipc://`, a NUL in the path, and
/// `ipc://*` for connect. The error names the endpoint as given.
#[test]
fn invalid_ipc_endpoints_are_typed_errors() {
    let ctx = ctx();
    let s = ctx.socket(SocketType::Pull).unwrap();
    let long_path = format!("ipc:///{}", "x".repeat(107)); // 108 bytes
    let long_name = format!("ipc://@{}", "y".repeat(107)); // 108 bytes
    for bad in [
        long_path.as_str(),
        long_name.as_str(),
        "ipc://@",
        "ipc://",
        "ipc:///tmp/a\0b",
        "ipc://@a\0b",
    ] {
        match s.bind(bad) {
            Err(Error::InvalidEndpoint { endpoint, .. }) => assert_eq!(endpoint, bad),
            other => panic!("bind({bad:?}): expected InvalidEndpoint, got {other:?}"),
        }
        match s.connect(bad) {
            Err(Error::InvalidEndpoint { endpoint, .. }) => assert_eq!(endpoint, bad),
            other => panic!("connect({bad:?}): expected InvalidEndpoint, got {other:?}"),
        }
    }
    assert!(matches!(
        s.connect("ipc://*"),
        Err(Error::InvalidEndpoint { .. })
    ));
    assert!(!exists(Path::new("/tmp/a")));
}

/// A path of exactly 107 bytes and an abstract name of 107 bytes (with its
/// `@`) bind and carry messages; 108 bytes in the same directory do not.
#[test]
fn paths_at_the_os_limit_work() {
    let ctx = ctx();
    let base = std::env::temp_dir().join(unique_name());
    let base = base.to_str().unwrap();
    if base.len() + 2 > 107 {
        eprintln!("temporary directory too long for this test: {base}");
        return;
    }
    let path = format!("{base}-{}", "p".repeat(107 - base.len() - 1));
    assert_eq!(path.len(), 107);
    let tp = TempPath(PathBuf::from(&path));
    let pull = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(pull.bind(&tp.ep()).unwrap().to_string(), tp.ep());
    push_reaches(&ctx, &tp.ep(), &pull, "107-byte path");
    let too_long = format!("{}p", tp.ep());
    assert!(matches!(
        pull.bind(&too_long),
        Err(Error::InvalidEndpoint { .. })
    ));

    let name = format!("ipc://@{}", unique_name());
    let name = format!("{name}{}", "n".repeat(107 + "ipc://".len() - name.len()));
    assert_eq!(name.len() - "ipc://".len(), 107);
    let pull2 = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(pull2.bind(&name).unwrap().to_string(), name);
    push_reaches(&ctx, &name, &pull2, "107-byte abstract name");
    pull.close();
    assert!(!exists(&tp.0));
}

// ---------------------------------------------------------------------------
// The socket file: stale, live, not a socket
// ---------------------------------------------------------------------------

/// A socket file left by a listener that is gone (nobody accepts on it) is
/// replaced: `bind` succeeds and the new listener gets the messages.
#[test]
fn stale_socket_file_is_replaced() {
    let tp = TempPath::new();
    drop(std::os::unix::net::UnixListener::bind(&tp.0).unwrap());
    assert!(socket_file(&tp.0).is_some(), "the stale file remains");
    let refused = std::os::unix::net::UnixStream::connect(&tp.0).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(pull.bind(&tp.ep()).unwrap().to_string(), tp.ep());
    assert!(socket_file(&tp.0).is_some());
    push_reaches(&ctx, &tp.ep(), &pull, "after stale file");
    pull.close();
    assert!(!exists(&tp.0), "the replacement is ours: removed on close");
}

/// Binding a path a live ferromq listener holds is `AddressInUse` (libzmq
/// would unlink it and steal the address): the file stays the owner's, and
/// a peer connecting to the path still reaches the owner, not the
/// refused socket.
#[test]
fn live_path_is_refused_and_the_owner_keeps_it() {
    let tp = TempPath::new();
    let ctx = ctx();
    let owner = ctx.socket(SocketType::Pull).unwrap();
    owner.bind(&tp.ep()).unwrap();
    let file = socket_file(&tp.0).unwrap();

    let thief = ctx.socket(SocketType::Pull).unwrap();
    match thief.bind(&tp.ep()) {
        Err(Error::AddressInUse(what)) => assert_eq!(what, tp.ep()),
        other => panic!("bind of a live path: expected AddressInUse, got {other:?}"),
    }
    assert_eq!(socket_file(&tp.0), Some(file), "the owner's file is intact");
    push_reaches(&ctx, &tp.ep(), &owner, "owner after refused bind");
    assert!(matches!(thief.try_recv(), Err(Error::WouldBlock)));

    // The refused socket holds nothing: unbind does not know the endpoint,
    // and closing it leaves the owner's file alone.
    assert!(matches!(
        thief.unbind(&tp.ep()),
        Err(Error::EndpointNotFound(_))
    ));
    thief.close();
    assert_eq!(socket_file(&tp.0), Some(file));
    push_reaches(&ctx, &tp.ep(), &owner, "owner after the other closed");
}

/// A regular file at the path is not deleted: `bind` fails with
/// `AddressInUse`, and the file keeps its content. The same for a
/// directory.
#[test]
fn a_path_that_is_not_a_socket_is_never_deleted() {
    let ctx = ctx();
    let s = ctx.socket(SocketType::Pull).unwrap();

    let file = TempPath::new();
    fs::write(&file.0, b"precious").unwrap();
    match s.bind(&file.ep()) {
        Err(Error::AddressInUse(what)) => assert_eq!(what, file.ep()),
        other => panic!("bind over a regular file: expected AddressInUse, got {other:?}"),
    }
    assert_eq!(fs::read(&file.0).unwrap(), b"precious");

    let dir = TempPath::new();
    fs::create_dir(&dir.0).unwrap();
    match s.bind(&dir.ep()) {
        Err(Error::AddressInUse(what)) => assert_eq!(what, dir.ep()),
        other => panic!("bind over a directory: expected AddressInUse, got {other:?}"),
    }
    assert!(fs::symlink_metadata(&dir.0).unwrap().is_dir());

    // The socket is fine for a usable path afterwards.
    let ok = TempPath::new();
    s.bind(&ok.ep()).unwrap();
    push_reaches(&ctx, &ok.ep(), &s, "after the refused binds");
    s.close();
    assert_eq!(fs::read(&file.0).unwrap(), b"precious");
    assert!(fs::symlink_metadata(&dir.0).unwrap().is_dir());
}

// ---------------------------------------------------------------------------
// The socket file: removed on close and unbind, only if still ours
// ---------------------------------------------------------------------------

/// `close` removes the socket file; so does dropping the socket.
#[test]
fn close_and_drop_remove_the_file() {
    let ctx = ctx();
    let tp = TempPath::new();
    let s = ctx.socket(SocketType::Pull).unwrap();
    s.bind(&tp.ep()).unwrap();
    assert!(socket_file(&tp.0).is_some());
    s.close();
    assert!(!exists(&tp.0), "close left the file");

    let tp = TempPath::new();
    let s = ctx.socket(SocketType::Rep).unwrap();
    s.bind(&tp.ep()).unwrap();
    assert!(socket_file(&tp.0).is_some());
    drop(s);
    assert!(!exists(&tp.0), "drop left the file");
}

/// A's file was removed by hand and B bound the same path: closing A must
/// not remove B's file, and B keeps working.
#[test]
fn close_keeps_a_file_that_replaced_ours() {
    let tp = TempPath::new();
    let ctx = ctx();
    let a = ctx.socket(SocketType::Pull).unwrap();
    a.bind(&tp.ep()).unwrap();
    let a_file = socket_file(&tp.0).unwrap();
    fs::remove_file(&tp.0).unwrap();

    let b = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(b.bind(&tp.ep()).unwrap().to_string(), tp.ep());
    let b_file = socket_file(&tp.0).unwrap();
    // Both files are alive at once (A's listener holds its inode), so they
    // cannot share an inode number: the check below is meaningful.
    assert_ne!(a_file, b_file);

    a.close();
    assert_eq!(
        socket_file(&tp.0),
        Some(b_file),
        "closing A removed (or changed) B's file"
    );
    push_reaches(&ctx, &tp.ep(), &b, "B after A closed");
    b.close();
    assert!(!exists(&tp.0), "B removes its own file");
}

/// A's file was replaced by a regular file: closing A leaves it alone.
#[test]
fn close_keeps_a_regular_file_that_replaced_ours() {
    let tp = TempPath::new();
    let ctx = ctx();
    let a = ctx.socket(SocketType::Pull).unwrap();
    a.bind(&tp.ep()).unwrap();
    fs::remove_file(&tp.0).unwrap();
    fs::write(&tp.0, b"not yours").unwrap();
    a.close();
    assert_eq!(fs::read(&tp.0).unwrap(), b"not yours");
}

/// `unbind` (by the endpoint returned, or by `ipc://*` as given) removes the
/// file at once; a connection accepted before stays up; the path can be
/// bound again.
#[test]
fn unbind_removes_the_file() {
    let tp = TempPath::new();
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind(&tp.ep()).unwrap();
    let push = connected(&ctx, SocketType::Push, Options::default(), &tp.ep());
    pull.unbind(&ep.to_string()).unwrap();
    assert!(!exists(&tp.0), "unbind left the file");
    push.send("still connected").unwrap();
    assert_eq!(
        texts(&recv(&pull, "over the accepted connection")),
        ["still connected"]
    );
    assert!(matches!(
        pull.unbind(&ep.to_string()),
        Err(Error::EndpointNotFound(_))
    ));

    let other = ctx.socket(SocketType::Pull).unwrap();
    other.bind(&tp.ep()).unwrap();
    push_reaches(&ctx, &tp.ep(), &other, "rebound after unbind");

    let star = pull.bind("ipc://*").unwrap();
    let Endpoint::Ipc { path } = &star else {
        panic!("{star:?}");
    };
    let path = PathBuf::from(path);
    assert!(socket_file(&path).is_some());
    pull.unbind("ipc://*").unwrap();
    assert!(!exists(&path), "unbind of ipc://* left {path:?}");
}

// ---------------------------------------------------------------------------
// Connecting: before the bind, and again after the binder restarts
// ---------------------------------------------------------------------------

/// A PUSH that connects before anyone binds keeps retrying (the monitor
/// reports it) and delivers what it queued once the path is bound; when the
/// binder closes and another binds the path, it reconnects.
#[test]
fn connect_before_bind_and_reconnect_after_restart() {
    let tp = TempPath::new();
    let ctx = ctx();
    let push = ctx.socket_with(SocketType::Push, fast_reconnect()).unwrap();
    let mon = push.monitor();
    push.connect(&tp.ep()).unwrap();
    push.send("early").unwrap();
    let retried = loop {
        match mon.recv_timeout(ARRIVE) {
            Ok(MonitorEvent::ConnectRetried { endpoint, .. }) => break endpoint,
            Ok(MonitorEvent::HandshakeSucceeded { .. }) => panic!("connected to nothing"),
            Ok(_) => {}
            Err(e) => panic!("no ConnectRetried: {e:?}"),
        }
    };
    assert_eq!(retried.to_string(), tp.ep());

    let first = ctx.socket(SocketType::Pull).unwrap();
    first.bind(&tp.ep()).unwrap();
    assert_eq!(texts(&recv(&first, "queued before bind")), ["early"]);
    first.close();
    wait_disconnected(&mon, 1);

    let second = ctx.socket(SocketType::Pull).unwrap();
    second.bind(&tp.ep()).unwrap();
    push.send("again").unwrap();
    assert_eq!(texts(&recv(&second, "after the restart")), ["again"]);
}

// ---------------------------------------------------------------------------
// Every pattern over ipc
// ---------------------------------------------------------------------------

#[test]
fn req_rep_over_ipc() {
    let tp = TempPath::new();
    let ctx = ctx();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    rep.bind(&tp.ep()).unwrap();
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&tp.ep()).unwrap();
    for i in 0..5 {
        req.send(format!("q{i}")).unwrap();
        assert_eq!(texts(&recv(&rep, "request")), [format!("q{i}")]);
        rep.send(format!("a{i}")).unwrap();
        assert_eq!(texts(&recv(&req, "reply")), [format!("a{i}")]);
    }
}

#[test]
fn dealer_router_over_ipc() {
    let ep = abstract_ep();
    let ctx = ctx();
    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_router_mandatory(true),
        )
        .unwrap();
    router.bind(&ep).unwrap();
    let dealer = ctx
        .socket_with(SocketType::Dealer, Options::default().with_routing_id("d1"))
        .unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send(msg(&["x", "", "y"])).unwrap();
    assert_eq!(texts(&recv(&router, "from dealer")), ["d1", "x", "", "y"]);
    router.send(msg(&["d1", "back"])).unwrap();
    assert_eq!(texts(&recv(&dealer, "to dealer")), ["back"]);
    assert!(matches!(
        router.send(msg(&["nobody", "x"])),
        Err(e) if matches!(e.error, Error::HostUnreachable)
    ));
}

/// The subscription takes a moment to reach the PUB: publish until the
/// first matching message arrives; a non-matching topic never does.
#[test]
fn pub_sub_over_ipc() {
    let ctx = ctx();
    let publisher = ctx.socket(SocketType::Pub).unwrap();
    let ep = publisher.bind("ipc://*").unwrap().to_string();
    let sub = ctx.socket(SocketType::Sub).unwrap();
    sub.subscribe("t.").unwrap();
    sub.connect(&ep).unwrap();
    let deadline = Instant::now() + ARRIVE;
    let first = loop {
        assert!(Instant::now() < deadline, "no message after subscribing");
        publisher.send("other").unwrap();
        publisher.send(msg(&["t.1", "body"])).unwrap();
        if let Ok(m) = sub.recv_timeout(Duration::from_millis(20)) {
            break m;
        }
    };
    assert_eq!(texts(&first), ["t.1", "body"]);
    publisher.send("other").unwrap();
    publisher.send("t.end").unwrap();
    loop {
        let m = recv(&sub, "t.end");
        let t = texts(&m);
        assert!(
            t[0].starts_with("t."),
            "unsubscribed topic delivered: {t:?}"
        );
        if t[0] == "t.end" {
            break;
        }
    }
}

#[test]
fn pair_over_ipc() {
    let tp = TempPath::new();
    let ctx = ctx();
    let a = ctx.socket(SocketType::Pair).unwrap();
    a.bind(&tp.ep()).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    b.connect(&tp.ep()).unwrap();
    b.send("ping").unwrap();
    assert_eq!(texts(&recv(&a, "ping")), ["ping"]);
    a.send(msg(&["pong", "2"])).unwrap();
    assert_eq!(texts(&recv(&b, "pong")), ["pong", "2"]);
}

/// Many messages in order, multipart, with frames larger than the kernel's
/// socket buffer (written in pieces).
#[test]
fn push_pull_stream_over_ipc() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind("ipc://*").unwrap().to_string();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    let big = |i: usize| -> Vec<u8> { (0..BIG * 16).map(|k| ((k + i) % 251) as u8).collect() };
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..200 {
                let mut m = Message::new();
                m.push(format!("m{i}"));
                m.push(bytes::Bytes::new());
                if i % 20 == 0 {
                    m.push(big(i));
                }
                push.send_timeout(m, ARRIVE).unwrap();
            }
        });
        for i in 0..200 {
            let m = recv(&pull, &format!("message {i}"));
            assert_eq!(m.frames()[0], format!("m{i}").as_bytes());
            assert!(m.frames()[1].is_empty());
            if i % 20 == 0 {
                assert_eq!(m.len(), 3);
                assert!(m.frames()[2] == big(i), "big frame {i} differs");
            } else {
                assert_eq!(m.len(), 2);
            }
        }
    });
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

/// XSUB subscribes with a message; the XPUB reports it (so its filter is in
/// place), then forwards matching messages only.
#[test]
fn xpub_xsub_over_ipc() {
    let ep = abstract_ep();
    let ctx = ctx();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    xpub.bind(&ep).unwrap();
    let xsub = ctx.socket(SocketType::XSub).unwrap();
    xsub.connect(&ep).unwrap();
    xsub.send(b"\x01news").unwrap();
    let note = recv(&xpub, "subscription");
    assert_eq!(note.frames()[0].as_ref(), b"\x01news");
    xpub.send("sport").unwrap();
    xpub.send(msg(&["news.1", "x"])).unwrap();
    assert_eq!(texts(&recv(&xsub, "news")), ["news.1", "x"]);
    assert!(matches!(
        xsub.recv_timeout(ABSENT),
        Err(Error::TimedOut | Error::WouldBlock)
    ));
}

// ---------------------------------------------------------------------------
// Monitor
// ---------------------------------------------------------------------------

/// The listener reports `Listening`, then `Accepted` with the ipc endpoint
/// and `PeerAddr::Ipc(None)` (a connecting socket binds no path), then the
/// handshake; the connecting side reports `Connected` to that endpoint.
#[test]
fn monitor_reports_ipc_peers() {
    for tp_ep in [TempPath::new().ep(), abstract_ep()] {
        // (The TempPath is dropped at once: its path is unused, and the
        // socket removes its file on close.)
        let ctx = ctx();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        let mon = pull.monitor();
        let ep = pull.bind(&tp_ep).unwrap();
        match mon.recv_timeout(ARRIVE) {
            Ok(MonitorEvent::Listening { endpoint }) => assert_eq!(endpoint, ep),
            other => panic!("expected Listening, got {other:?}"),
        }
        let push = ctx.socket(SocketType::Push).unwrap();
        let push_mon = push.monitor();
        push.connect(&tp_ep).unwrap();
        let (endpoint, peer) = match mon.recv_timeout(ARRIVE) {
            Ok(MonitorEvent::Accepted { endpoint, peer }) => (endpoint, peer),
            other => panic!("expected Accepted next, got {other:?}"),
        };
        assert_eq!(endpoint, ep);
        assert_eq!(peer, PeerAddr::Ipc(None), "{tp_ep}");
        assert_eq!(peer.to_string(), "(unnamed ipc peer)");
        match mon.recv_timeout(ARRIVE) {
            Ok(MonitorEvent::HandshakeSucceeded { endpoint }) => assert_eq!(endpoint, ep),
            other => panic!("expected HandshakeSucceeded, got {other:?}"),
        }
        let connected_to = loop {
            match push_mon.recv_timeout(ARRIVE) {
                Ok(MonitorEvent::Connected { endpoint }) => break endpoint,
                Ok(_) => {}
                Err(e) => panic!("no Connected: {e:?}"),
            }
        };
        assert_eq!(connected_to, ep);
        if let Endpoint::Ipc { path } = &ep {
            if !path.starts_with('@') {
                pull.close();
                assert!(!exists(Path::new(path)));
            }
        }
    }
}
