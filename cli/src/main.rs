//! `ferromq`: one ferromq socket on the command line, for scripts and
//! for poking at ZeroMQ peers (in the spirit of nngcat).
//!
//! ```text
//! ferromq TYPE [-b ENDPOINT]... [-c ENDPOINT]... [options]
//! ```
//!
//! `ferromq --help` documents the options, the output format and the exit
//! status. The modules: `args` (the command line), `input` (messages to
//! send), `format` (how messages are printed), `session` (the socket,
//! timeouts, closing) and `run` (what each socket type does).

mod args;
mod format;
mod input;
mod run;
mod session;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::parse();
    match run::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if failure.code() != 0 {
                eprintln!("ferromq: {failure}");
            }
            ExitCode::from(failure.code())
        }
    }
}
