//! The command line: what each option means, checked before anything runs.

use crate::keygen::KeygenArgs;
use clap::{CommandFactory, Parser, ValueEnum};
use ferromq::SocketType;
use std::ffi::OsString;
use std::time::Duration;

/// Printed at the end of `--help`: input, output and exit status.
const AFTER_HELP: &str = "\
Input: the frames of one message are given with -d (repeat -d for more frames) \
and sent -n times (once without -n). Without -d, a sending type sends each \
line of standard input as one single-frame message (the newline removed, every \
other byte sent as it is) and stops at end of input (or after -n lines).

Output: one line on standard output per message received, its frames \
separated by a TAB. Printable ASCII (0x20 to 0x7e) is printed as it is, except \
the backslash, printed as \\\\; every other byte (TAB, newline, non-ASCII) is \
printed as \\xNN (two lowercase hex digits). So a line splits on TAB into \
exactly the frames, and an empty frame is an empty field. With --hex every \
frame is printed as lowercase hex digits instead.

A sending type waits for a first peer (a completed handshake) before its first \
send, and when done closes with --linger (default 5 s) so that what it queued \
is written out. With --eof, push and pub then end the stream, and a ferromq \
pull or sub without -n stops there (libzmq peers ignore it). When a bind port is 0 or *, \"bound ENDPOINT\" with the real \
port is printed on standard error.

`ferromq keygen` prints a new CURVE key pair (the public and the secret key, 40 Z85 characters each) as libzmq's curve_keygen does; see `ferromq keygen --help`.

Exit status:
  0  success (for a receiver without -n: the stream ended, see --eof)
  1  a timeout: --timeout passed waiting for a peer, a message or room to
     send; or messages were still unsent when --linger ran out
  2  a usage error (unknown type or option, bad value), or a ferromq error
     (bad endpoint, address in use, ...), whose text is printed on
     standard error

Examples:
  ferromq rep -b tcp://*:5555 --echo
  ferromq req -c tcp://127.0.0.1:5555 -d hello
  ferromq pull -b tcp://127.0.0.1:5556 -n 3
  seq 3 | ferromq push -c tcp://127.0.0.1:5556
  ferromq sub -c tcp://127.0.0.1:5557 -s weather. --timeout 10
  ferromq keygen";

/// A ZeroMQ-compatible socket on the command line: send, receive, request,
/// reply, publish or subscribe, over TCP.
#[derive(Debug, Parser)]
#[command(
    name = "ferromq",
    version,
    override_usage = "ferromq TYPE [-b ENDPOINT]... [-c ENDPOINT]... [OPTIONS]\n       ferromq keygen",
    after_long_help = AFTER_HELP,
    after_help = "See --help for the input and output formats and the exit status.",
    group = clap::ArgGroup::new("endpoints").required(true).multiple(true).args(["bind", "connect"]),
)]
pub(crate) struct Args {
    /// The socket type, and so what the command does
    #[arg(value_enum, ignore_case = true, value_name = "TYPE")]
    pub(crate) kind: Kind,

    /// Listen on ENDPOINT (tcp://host:port; port 0 or * picks a free one)
    #[arg(short = 'b', long = "bind", value_name = "ENDPOINT")]
    pub(crate) bind: Vec<String>,

    /// Connect to ENDPOINT (tcp://host:port); the peer may start later
    #[arg(short = 'c', long = "connect", value_name = "ENDPOINT")]
    pub(crate) connect: Vec<String>,

    /// One frame of the message to send (repeat for more frames)
    #[arg(
        short = 'd',
        long = "data",
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    data: Vec<OsString>,

    /// Send the -d message COUNT times (or at most COUNT lines of input);
    /// receiving types: stop after COUNT messages
    #[arg(short = 'n', long = "count", value_name = "COUNT",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: Option<u64>,

    /// sub, xsub: receive only messages whose first frame starts with
    /// PREFIX (repeatable; without -s, everything)
    #[arg(
        short = 's',
        long = "subscribe",
        value_name = "PREFIX",
        allow_hyphen_values = true
    )]
    subscribe: Vec<OsString>,

    /// rep, router: answer each request with the request itself
    #[arg(long)]
    pub(crate) echo: bool,

    /// Print every received frame as hex digits
    #[arg(long)]
    pub(crate) hex: bool,

    /// Exit with status 1 when a peer, a message or room to send has not
    /// come within SECS (each wait; default: wait for ever)
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) timeout: Option<Duration>,

    /// On exit, wait up to SECS for queued messages to be written (default
    /// 5; 0 for pull and sub)
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) linger: Option<Duration>,

    /// Wait SECS between two sends (e.g. a publisher repeating with -n)
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) interval: Option<Duration>,

    /// push, pub: after the last message, end the stream, so that a
    /// ferromq pull or sub without -n stops (a receiver that leaves before
    /// it has the end makes the sender wait out --linger)
    #[arg(long)]
    pub(crate) eof: bool,

    /// Print connection events (listening, connected, handshakes,
    /// disconnections) on standard error
    #[arg(long)]
    pub(crate) monitor: bool,
}

/// The socket types, with what the command does as each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// Send the messages (round-robin over peers)
    Push,
    /// Print messages; stop after -n, or when the stream ends (--eof)
    Pull,
    /// Publish the messages; a subscriber that joins late misses what was
    /// sent before (repeat with -n and --interval)
    Pub,
    /// Print the messages of the -s prefixes (all without -s); stop after
    /// -n, or when the stream ends (--eof)
    Sub,
    /// Send each message and print its reply
    Req,
    /// Print each request and answer it: with --echo the request itself,
    /// with -d that message, else the next line of standard input
    Rep,
    /// Send all the messages, then print as many messages as it sent
    Dealer,
    /// Print each message (the sender's routing id first) and answer it
    /// like rep, to the same sender
    Router,
    /// Send the messages while printing what arrives; stop once it has
    /// received as many as it sent
    Pair,
    /// Print each subscription message (\x01 or \x00, then the topic);
    /// with -d, publish that message after each one
    Xpub,
    /// Send a subscription (\x01 + PREFIX) for each -s (for everything
    /// without -s), send the -d message upstream once if given, then
    /// print messages like sub
    Xsub,
}

impl Kind {
    /// The library's socket type.
    pub(crate) fn socket_type(self) -> SocketType {
        match self {
            Kind::Push => SocketType::Push,
            Kind::Pull => SocketType::Pull,
            Kind::Pub => SocketType::Pub,
            Kind::Sub => SocketType::Sub,
            Kind::Req => SocketType::Req,
            Kind::Rep => SocketType::Rep,
            Kind::Dealer => SocketType::Dealer,
            Kind::Router => SocketType::Router,
            Kind::Pair => SocketType::Pair,
            Kind::Xpub => SocketType::XPub,
            Kind::Xsub => SocketType::XSub,
        }
    }

    /// Types that only receive: nothing of theirs needs to linger.
    pub(crate) fn only_receives(self) -> bool {
        matches!(self, Kind::Pull | Kind::Sub)
    }

    /// Types that only send: they print nothing.
    fn only_sends(self) -> bool {
        matches!(self, Kind::Push | Kind::Pub)
    }
}

impl Args {
    /// The frames of the -d message, as bytes (empty without -d).
    pub(crate) fn data(&self) -> Vec<Vec<u8>> {
        self.data.iter().cloned().map(os_bytes).collect()
    }

    /// The -s prefixes, as bytes.
    pub(crate) fn prefixes(&self) -> Vec<Vec<u8>> {
        self.subscribe.iter().cloned().map(os_bytes).collect()
    }

    /// Options that make no sense for the type, as a usage error's text.
    fn conflict(&self) -> Option<String> {
        let k = self.kind;
        let name = k.to_possible_value().map(|v| v.get_name().to_owned());
        let name = name.unwrap_or_default();
        if k.only_receives() && !self.data.is_empty() {
            return Some(format!("-d: {name} only receives"));
        }
        if k.only_receives() && self.interval.is_some() {
            return Some(format!("--interval: {name} only receives"));
        }
        if !matches!(k, Kind::Sub | Kind::Xsub) && !self.subscribe.is_empty() {
            return Some(format!("-s applies to sub and xsub only, not {name}"));
        }
        if self.echo && !matches!(k, Kind::Rep | Kind::Router) {
            return Some(format!("--echo applies to rep and router only, not {name}"));
        }
        if self.echo && !self.data.is_empty() {
            return Some("--echo and -d both give the reply: use one".into());
        }
        if self.eof && !k.only_sends() {
            return Some(format!("--eof applies to push and pub only, not {name}"));
        }
        if self.hex && k.only_sends() {
            return Some(format!("--hex: {name} prints nothing"));
        }
        None
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Invocation {
    /// `ferromq keygen`: print a new CURVE key pair.
    Keygen,
    /// `ferromq TYPE ...`: one socket.
    Socket(Args),
}

/// Parse the command line; on a usage error, print it and exit with 2.
pub(crate) fn parse() -> Invocation {
    let mut rest = std::env::args_os().skip(1).peekable();
    if rest.peek().is_some_and(|first| first == "keygen") {
        rest.next();
        KeygenArgs::parse_rest(rest);
        return Invocation::Keygen;
    }
    let args = Args::parse();
    if let Some(msg) = args.conflict() {
        Args::command()
            .error(clap::error::ErrorKind::ArgumentConflict, msg)
            .exit();
    }
    Invocation::Socket(args)
}

/// Seconds, fractions allowed: `2`, `0.5`.
fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{s:?}: expected a number of seconds, 0 or more"))
}

#[cfg(unix)]
fn os_bytes(s: OsString) -> Vec<u8> {
    std::os::unix::ffi::OsStringExt::into_vec(s)
}

#[cfg(not(unix))]
fn os_bytes(s: OsString) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("ferromq").chain(line.iter().copied()))
    }

    #[test]
    fn the_clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn repeatable_options_keep_their_order() {
        let a = args(&[
            "PUSH",
            "-c",
            "tcp://h:1",
            "-c",
            "tcp://h:2",
            "-d",
            "a",
            "-d",
            "-b",
        ])
        .unwrap();
        assert_eq!(a.kind, Kind::Push);
        assert_eq!(a.connect, ["tcp://h:1", "tcp://h:2"]);
        assert_eq!(a.data(), [b"a".to_vec(), b"-b".to_vec()]);
        assert!(a.conflict().is_none());
    }

    #[test]
    fn bad_values_are_usage_errors() {
        assert!(args(&["stream", "-b", "tcp://*:1"]).is_err());
        assert!(args(&["pull"]).is_err(), "an endpoint is required");
        assert!(args(&["pull", "-b", "tcp://*:1", "-n", "0"]).is_err());
        assert!(args(&["pull", "-b", "tcp://*:1", "--timeout", "-1"]).is_err());
        assert!(args(&["pull", "-b", "tcp://*:1", "--timeout", "x"]).is_err());
        let a = args(&["pull", "-b", "tcp://*:1", "--timeout", "0.25"]).unwrap();
        assert_eq!(a.timeout, Some(Duration::from_millis(250)));
    }

    #[test]
    fn options_foreign_to_the_type_conflict() {
        for line in [
            &["pull", "-b", "tcp://*:1", "-d", "x"][..],
            &["push", "-b", "tcp://*:1", "-s", "x"],
            &["req", "-b", "tcp://*:1", "--echo"],
            &["rep", "-b", "tcp://*:1", "--echo", "-d", "x"],
            &["pub", "-b", "tcp://*:1", "--hex"],
            &["dealer", "-b", "tcp://*:1", "--eof"],
        ] {
            assert!(args(line).unwrap().conflict().is_some(), "{line:?}");
        }
        for line in [
            &["sub", "-b", "tcp://*:1", "-s", "x", "--hex"][..],
            &["router", "-b", "tcp://*:1", "--echo"],
            &["xsub", "-b", "tcp://*:1", "-s", "x", "-d", "y"],
        ] {
            assert!(args(line).unwrap().conflict().is_none(), "{line:?}");
        }
    }
}
