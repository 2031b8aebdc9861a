//! The `ferromq` binary end to end: real processes over loopback TCP.
//! One side binds `tcp://127.0.0.1:0` and the test reads the real
//! endpoint from its `bound ENDPOINT` line. Every child has a `--timeout`
//! and every wait a deadline (`common::DEADLINE`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::{ferromq, ferromq_input, free_port};

const BIND: &str = "tcp://127.0.0.1:0";

#[test]
fn req_gets_the_echo_of_rep() {
    let mut rep = ferromq(["rep", "--echo", "-b", BIND, "-n", "1", "--timeout", "20"]);
    let ep = rep.bound();
    let req = ferromq([
        "req",
        "-c",
        &ep,
        "-d",
        "hello",
        "--timeout",
        "20",
        "--monitor",
    ])
    .finish();
    req.assert_ok();
    assert_eq!(req.stdout, "hello\n");
    assert!(
        req.stderr
            .contains(&format!("monitor: handshake succeeded {ep}")),
        "--monitor prints events: {:?}",
        req.stderr
    );
    let rep = rep.finish();
    rep.assert_ok();
    assert_eq!(rep.stdout, "hello\n", "rep prints the request");
}

#[test]
fn push_sends_the_data_n_times_to_pull() {
    let mut pull = ferromq(["pull", "-b", BIND, "-n", "3", "--timeout", "20"]);
    let ep = pull.bound();
    let started = std::time::Instant::now();
    ferromq(["push", "-c", &ep, "-d", "a", "-d", "", "-d", "b", "-n", "3"])
        .finish()
        .assert_ok();
    // Done once the messages are written: nothing left behind them for
    // the departed pull (such as an end-of-stream pill) to wait out the
    // 5 s linger on.
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let pull = pull.finish();
    pull.assert_ok();
    assert_eq!(pull.stdout, "a\t\tb\n".repeat(3));
}

#[test]
fn stdin_lines_are_messages_and_the_stream_end_stops_pull() {
    // No -n: pull stops when push, its only peer, ends the stream.
    let mut pull = ferromq(["pull", "-b", BIND, "--timeout", "20"]);
    let ep = pull.bound();
    ferromq_input(
        ["push", "-c", &ep, "--eof"],
        b"one\ntwo\n\nlast without newline",
    )
    .finish()
    .assert_ok();
    let pull = pull.finish();
    pull.assert_ok();
    assert_eq!(pull.stdout, "one\ntwo\n\nlast without newline\n");
}

#[test]
fn sub_prints_only_its_prefixes() {
    let mut sub = ferromq([
        "sub",
        "-b",
        BIND,
        "-s",
        "weather.",
        "-n",
        "3",
        "--timeout",
        "20",
    ]);
    let ep = sub.bound();
    // A publisher that goes on until the subscriber has what it wants:
    // messages sent before the subscription arrived are not delivered.
    let lines: String = (0..2000)
        .map(|i| format!("news.{i} x\nweather.{i} y\n"))
        .collect();
    let publisher = ferromq_input(["pub", "-c", &ep, "--interval", "0.01"], lines.as_bytes());
    let sub = sub.finish();
    publisher.kill();
    sub.assert_ok();
    let got: Vec<&str> = sub.stdout.lines().collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for line in &got {
        assert!(
            line.starts_with("weather.") && line.ends_with(" y"),
            "{got:?}"
        );
    }
}

#[test]
fn sub_without_prefix_gets_everything() {
    let mut sub = ferromq(["sub", "-b", BIND, "-n", "4", "--timeout", "20"]);
    let ep = sub.bound();
    let lines: String = (0..2000).map(|i| format!("a{i}\nb{i}\n")).collect();
    let publisher = ferromq_input(["pub", "-c", &ep, "--interval", "0.01"], lines.as_bytes());
    let sub = sub.finish();
    publisher.kill();
    sub.assert_ok();
    let got: Vec<&str> = sub.stdout.lines().collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().any(|l| l.starts_with('a')), "{got:?}");
    assert!(got.iter().any(|l| l.starts_with('b')), "{got:?}");
}

#[test]
fn binary_frames_are_escaped() {
    let mut pull = ferromq(["pull", "-b", BIND, "-n", "1", "--timeout", "20"]);
    let ep = pull.bound();
    // One line of input: every byte but the newline is data.
    ferromq_input(
        ["push", "-c", &ep],
        b"tab\there back\\slash \x00\x7f\x80\xff\r\n",
    )
    .finish()
    .assert_ok();
    let pull = pull.finish();
    pull.assert_ok();
    assert_eq!(
        pull.stdout,
        "tab\\x09here back\\\\slash \\x00\\x7f\\x80\\xff\\x0d\n"
    );
}

#[cfg(unix)]
#[test]
fn binary_data_arguments_are_sent_as_they_are() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let mut pull = ferromq(["pull", "-b", BIND, "-n", "1", "--timeout", "20"]);
    let ep = pull.bound();
    let args: [&OsStr; 7] = [
        "push".as_ref(),
        "-c".as_ref(),
        ep.as_ref(),
        "-d".as_ref(),
        OsStr::from_bytes(b"\xff\t\n"),
        "-d".as_ref(),
        OsStr::from_bytes(b"\\x41"),
    ];
    ferromq(args).finish().assert_ok();
    let pull = pull.finish();
    pull.assert_ok();
    assert_eq!(pull.stdout, "\\xff\\x09\\x0a\t\\\\x41\n");
}

#[test]
fn hex_prints_frames_as_hex() {
    let mut pull = ferromq(["pull", "-b", BIND, "-n", "1", "--hex", "--timeout", "20"]);
    let ep = pull.bound();
    ferromq(["push", "-c", &ep, "-d", "hi", "-d", "", "-d", "\t~"])
        .finish()
        .assert_ok();
    let pull = pull.finish();
    pull.assert_ok();
    assert_eq!(pull.stdout, "6869\t\t097e\n");
}

#[test]
fn timeout_exits_1_with_a_message() {
    let pull = ferromq(["pull", "-b", BIND, "--timeout", "0.3"]).finish();
    assert_eq!(pull.code(), 1, "{pull:?}");
    assert!(
        pull.stderr.contains("timed out: no message arrived"),
        "{pull:?}"
    );
    assert_eq!(pull.stdout, "");

    // Nobody listens there: req gives up waiting for a peer.
    let ep = format!("tcp://127.0.0.1:{}", free_port());
    let req = ferromq(["req", "-c", &ep, "-d", "x", "--timeout", "0.3"]).finish();
    assert_eq!(req.code(), 1, "{req:?}");
    assert!(
        req.stderr.contains("timed out: no peer connected"),
        "{req:?}"
    );
}

#[test]
fn ferromq_errors_exit_2_with_their_text() {
    for (endpoint, text) in [
        (
            "tcp://127.0.0.1",
            "invalid endpoint \"tcp://127.0.0.1\": missing ':port'",
        ),
        ("udp://127.0.0.1:5555", "unknown transport"),
        ("tcp://127.0.0.1:0", "port 0 is only valid for bind"),
    ] {
        let push = ferromq(["push", "-c", endpoint, "-d", "x", "--timeout", "5"]).finish();
        assert_eq!(push.code(), 2, "{push:?}");
        assert!(push.stderr.contains(text), "{endpoint}: {push:?}");
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let ep = format!("tcp://{}", taken.local_addr().expect("address"));
    let pull = ferromq(["pull", "-b", &ep, "--timeout", "5"]).finish();
    assert_eq!(pull.code(), 2, "{pull:?}");
    assert!(pull.stderr.contains("address in use"), "{pull:?}");
}

#[test]
fn usage_errors_exit_2() {
    let unknown = ferromq(["stream", "-b", BIND]).finish();
    assert_eq!(unknown.code(), 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("invalid value 'stream'"),
        "{unknown:?}"
    );
    assert!(unknown.stderr.contains("possible values"), "{unknown:?}");
    for line in [
        &["pull"][..],                              // no endpoint
        &["pull", "-b", BIND, "-d", "x"],           // pull does not send
        &["push", "-b", BIND, "--timeout", "soon"], // not seconds
        &["req", "-b", BIND, "--echo"],             // rep and router only
        &["push", "-b", BIND, "--no-such-option"],  // unknown option
    ] {
        let o = ferromq(line).finish();
        assert_eq!(o.code(), 2, "{line:?}: {o:?}");
        assert!(o.stderr.starts_with("error:"), "{line:?}: {o:?}");
    }
}

#[test]
fn help_documents_output_and_exit_status() {
    let help = ferromq(["--help"]).finish();
    help.assert_ok();
    for text in ["Exit status", "\\xNN", "--hex", "bound ENDPOINT", "xsub"] {
        assert!(help.stdout.contains(text), "{text} in {}", help.stdout);
    }
}

#[test]
fn push_waits_for_a_peer_that_starts_later() {
    let ep = format!("tcp://127.0.0.1:{}", free_port());
    let push = ferromq(["push", "-c", &ep, "-d", "late", "--timeout", "20"]);
    let pull = ferromq(["pull", "-b", &ep, "-n", "1", "--timeout", "20"]).finish();
    pull.assert_ok();
    assert_eq!(pull.stdout, "late\n");
    push.finish().assert_ok();
}

#[test]
fn router_echoes_to_the_dealer_that_asked() {
    let mut router = ferromq(["router", "--echo", "-b", BIND, "-n", "2", "--timeout", "20"]);
    let ep = router.bound();
    let dealer = ferromq([
        "dealer",
        "-c",
        &ep,
        "-d",
        "hi",
        "-n",
        "2",
        "--timeout",
        "20",
    ])
    .finish();
    dealer.assert_ok();
    assert_eq!(dealer.stdout, "hi\nhi\n");
    let router = router.finish();
    router.assert_ok();
    for line in router.stdout.lines() {
        let frames: Vec<&str> = line.split('\t').collect();
        assert_eq!(frames.len(), 2, "routing id, then the body: {line:?}");
        assert!(!frames[0].is_empty() && frames[1] == "hi", "{line:?}");
    }
}

#[test]
fn dealer_talks_to_rep_with_an_empty_delimiter_frame() {
    let mut rep = ferromq([
        "rep",
        "-b",
        BIND,
        "-n",
        "1",
        "-d",
        "pong",
        "--timeout",
        "20",
    ]);
    let ep = rep.bound();
    let dealer = ferromq([
        "dealer",
        "-c",
        &ep,
        "-d",
        "",
        "-d",
        "ping",
        "--timeout",
        "20",
    ])
    .finish();
    dealer.assert_ok();
    assert_eq!(dealer.stdout, "\tpong\n");
    let rep = rep.finish();
    rep.assert_ok();
    assert_eq!(rep.stdout, "ping\n");
}

#[test]
fn pair_sends_and_receives() {
    let mut a = ferromq([
        "pair",
        "-b",
        BIND,
        "-d",
        "from a",
        "-n",
        "2",
        "--timeout",
        "20",
    ]);
    let ep = a.bound();
    let b = ferromq_input(
        ["pair", "-c", &ep, "--timeout", "20"],
        b"from b 1\nfrom b 2\n",
    );
    // Each sent two, so each stops once it has received two.
    let b = b.finish();
    b.assert_ok();
    assert_eq!(b.stdout, "from a\nfrom a\n");
    let a = a.finish();
    a.assert_ok();
    assert_eq!(a.stdout, "from b 1\nfrom b 2\n");
}

#[test]
fn xpub_prints_subscriptions_and_xsub_sends_them() {
    let mut xpub = ferromq([
        "xpub",
        "-b",
        BIND,
        "-n",
        "1",
        "-d",
        "topic data",
        "--timeout",
        "20",
    ]);
    let ep = xpub.bound();
    let xsub = ferromq([
        "xsub",
        "-c",
        &ep,
        "-s",
        "topic",
        "-n",
        "1",
        "--timeout",
        "20",
    ])
    .finish();
    xsub.assert_ok();
    assert_eq!(xsub.stdout, "topic data\n");
    let xpub = xpub.finish();
    xpub.assert_ok();
    assert_eq!(xpub.stdout, "\\x01topic\n");
}

#[test]
fn keygen_prints_a_matching_curve_key_pair_as_curve_keygen_does() {
    use ferromq::security::{CurvePublicKey, CurveSecretKey};
    let first = ferromq(["keygen"]).finish();
    first.assert_ok();
    assert_eq!(first.stderr, "");
    let lines: Vec<&str> = first.stdout.lines().collect();
    // libzmq's tools/curve_keygen.cpp: its introduction, then each key
    // on the line after its header, each header after an empty line.
    let after = |header: &str| {
        let at = lines.iter().position(|l| *l == header).expect(header);
        assert_eq!(lines[at - 1], "", "an empty line before {header}");
        lines[at + 1]
    };
    let public_z85 = after("== CURVE PUBLIC KEY ==");
    let secret_z85 = after("== CURVE SECRET KEY ==");
    assert!(first
        .stdout
        .starts_with("This tool generates a CurveZMQ keypair"));
    assert!(first.stdout.ends_with(&format!(
        "\n\n== CURVE PUBLIC KEY ==\n{public_z85}\n\n== CURVE SECRET KEY ==\n{secret_z85}\n"
    )));
    assert_eq!((public_z85.len(), secret_z85.len()), (40, 40));
    let public = CurvePublicKey::from_z85(public_z85).unwrap();
    let secret = CurveSecretKey::from_z85(secret_z85).unwrap();
    assert_eq!(
        secret.public_key(),
        public,
        "the public key is the secret's"
    );

    // A new pair each time.
    let second = ferromq(["keygen"]).finish();
    second.assert_ok();
    assert!(!second.stdout.contains(secret_z85));

    // keygen takes no arguments; it has its own --help; the main help
    // mentions it.
    let extra = ferromq(["keygen", "extra"]).finish();
    assert_eq!(extra.code(), 2, "{extra:?}");
    assert!(extra.stderr.starts_with("error:"), "{extra:?}");
    assert_eq!(extra.stdout, "");
    let help = ferromq(["keygen", "--help"]).finish();
    help.assert_ok();
    assert!(help.stdout.contains("ferromq keygen"), "{}", help.stdout);
    assert!(help.stdout.contains("curve_keygen"), "{}", help.stdout);
    let help = ferromq(["--help"]).finish();
    assert!(help.stdout.contains("ferromq keygen"), "{}", help.stdout);
}
