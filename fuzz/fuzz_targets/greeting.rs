//! Fuzz target: the 64-byte greeting check and decoder.
//! See `ferromq::fuzzing::greeting` for the input layout and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq::fuzzing::greeting(data));
