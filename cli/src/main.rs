//! `ferromq`: one ferromq socket on the command line, for scripts and
//! for poking at ZeroMQ peers (in the spirit of nngcat).
//!
//! ```text
//! ferromq TYPE [-b ENDPOINT]... [-c ENDPOINT]... [options]
//! ferromq keygen
//! ```
//!
//! `ferromq --help` documents the options, the output format and the exit
//! status. The modules: `args` (the command line), `input` (messages to
//! send), `format` (how messages are printed), `session` (the socket,
//! timeouts, closing), `run` (what each socket type does) and `keygen`
//! (`ferromq keygen`, a CURVE key pair as libzmq's curve_keygen prints it).

mod args;
mod format;
mod input;
mod keygen;
mod run;
mod session;

use std::process::ExitCode;

fn main() -> ExitCode {
    let outcome = match args::parse() {
        args::Invocation::Keygen => keygen::run(),
        args::Invocation::Socket(args) => run::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if failure.code() != 0 {
                eprintln!("ferromq: {failure}");
            }
            ExitCode::from(failure.code())
        }
    }
}
