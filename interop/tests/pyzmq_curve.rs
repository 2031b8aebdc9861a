//! A real libzmq CURVE peer (pyzmq from PyPI, in the virtual environment
//! `scripts/test.sh` prepares and names in `FERROMQ_PYTHON`) against
//! ferromq, which speaks NULL: the handshake fails in both directions, and
//! the monitor says the peer refused our mechanism (libzmq just closes the
//! connection after its greeting's signature), not that it merely closed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use ferromq::{Context, MonitorEvent, Reason, SocketType};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// The pyzmq child; killed when dropped, so a failing test leaves nothing.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `curve_peer.py` with `args`; returns it and its first output line.
/// Without `FERROMQ_PYTHON` the test cannot run: it says so and passes only
/// when `FERROMQ_ALLOW_NO_PYZMQ` is set too (`scripts/test.sh` always sets
/// the former).
fn start(args: &[&str]) -> Option<(Peer, String)> {
    let Ok(python) = std::env::var("FERROMQ_PYTHON") else {
        assert!(
            std::env::var_os("FERROMQ_ALLOW_NO_PYZMQ").is_some(),
            "FERROMQ_PYTHON is not set: run ./scripts/test.sh, which makes a venv with pyzmq \
             (or set FERROMQ_ALLOW_NO_PYZMQ=1 to skip this test knowingly)"
        );
        eprintln!("skipped: no FERROMQ_PYTHON");
        return None;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/py/curve_peer.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the pyzmq peer");
    let out = child.stdout.take().unwrap();
    let peer = Peer(child);
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("pyzmq peer output");
    Some((peer, line.trim().to_owned()))
}

/// The first handshake failure `mon` reports.
fn first_failure(mon: &ferromq::Monitor) -> Reason {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.recv_timeout(left).expect("a handshake failure") {
            MonitorEvent::HandshakeFailed { reason, .. } => return reason,
            MonitorEvent::HandshakeSucceeded { .. } => panic!("NULL must not talk to CURVE"),
            _ => {}
        }
    }
}

#[test]
fn connecting_to_a_curve_server_is_a_mechanism_refusal() {
    let Some((_peer, port)) = start(&["server"]) else {
        return;
    };
    let ctx = Context::new().unwrap();
    let dealer = ctx.socket(SocketType::Dealer).unwrap();
    let mon = dealer.monitor();
    dealer.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    assert_eq!(first_failure(&mon), Reason::MechanismRefused);
}

#[test]
fn a_curve_client_is_a_mechanism_refusal() {
    let ctx = Context::new().unwrap();
    let router = ctx.socket(SocketType::Router).unwrap();
    let mon = router.monitor();
    let ep = router.bind("tcp://127.0.0.1:0").unwrap();
    let Some((_peer, _)) = start(&["client", &ep.to_string()]) else {
        return;
    };
    assert_eq!(first_failure(&mon), Reason::MechanismRefused);
    assert!(router.recv_timeout(Duration::from_millis(200)).is_err());
}
