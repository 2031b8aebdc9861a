//! Fuzz target: a whole connection's protocol state machine (`Session`), fed arbitrary bytes in arbitrary chunks.
//! See `ferromq::fuzzing::session` for the input layout and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq::fuzzing::session(data));
