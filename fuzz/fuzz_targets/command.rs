//! Fuzz target: command-frame and metadata parsing.
//! See `ferromq::fuzzing::command` for the input layout and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq::fuzzing::command(data));
