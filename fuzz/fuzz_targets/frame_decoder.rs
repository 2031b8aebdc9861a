//! Fuzz target: the incremental frame decoder (`FrameDecoder`), fed in arbitrary chunks.
//! See `ferromq::fuzzing::frame_decoder` for the input layout and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferromq::fuzzing::frame_decoder(data));
