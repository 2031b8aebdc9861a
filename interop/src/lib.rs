//! Nothing to see here: this package exists for its integration tests in
//! `tests/`, which check ferromq against real libzmq 4.3.4 through the `zmq`
//! crate (interoperability in both directions, hostile peers, heartbeats, a
//! smoke test, and the fuzz seed capture). They live in their own package so
//! that building ferromq, its examples and its own tests never compiles
//! libzmq. Run them with `cargo test -p ferromq-interop`.
