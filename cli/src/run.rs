//! What the command does, per socket type (see `Kind` in `args.rs`).

use crate::args::{Args, Kind};
use crate::format;
use crate::input::Source;
use crate::session::{Failure, Session};
use ferromq::Message;
use std::io::Write;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

/// How long a receiver that also watches something else blocks at once.
const SLICE: Duration = Duration::from_millis(50);

/// Open the socket, do what the type does, close.
pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let s = Session::open(args)?;
    let out = Printer { hex: args.hex };
    let outcome = match args.kind {
        Kind::Push | Kind::Pub => send_stream(&s, args),
        Kind::Pull | Kind::Sub => receive(&s, &out, args.count),
        Kind::Req => request(&s, &out, args),
        Kind::Rep | Kind::Router => reply(&s, &out, args),
        Kind::Dealer => dealer(&s, &out, args),
        Kind::Pair => pair(&s, &out, args),
        Kind::Xpub => xpub(&s, &out, args),
        Kind::Xsub => xsub(&s, &out, args),
    };
    s.finish(outcome)
}

/// Prints received messages on standard output (format in `format.rs`).
struct Printer {
    hex: bool,
}

impl Printer {
    fn print(&self, m: &Message) -> Result<(), Failure> {
        let line = format::message_line(m.frames().iter().map(|f| &f[..]), self.hex);
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => Failure::OutputClosed,
                _ => Failure::Error(format!("writing standard output: {e}")),
            })
    }
}

/// Is there room for another message under `-n`?
fn below(count: Option<u64>, n: u64) -> bool {
    count.is_none_or(|c| n < c)
}

/// Send every message of `src`, waiting for a first peer before the first
/// one. Returns how many were sent.
fn send_all(s: &Session, src: &mut Source) -> Result<u64, Failure> {
    let mut sent = 0;
    while let Some(m) = src.next_message()? {
        if sent == 0 {
            s.wait_for_peer()?;
        }
        s.send(m)?;
        sent += 1;
    }
    Ok(sent)
}

/// push, pub: send the messages, then (--eof) end the stream.
///
/// Not by default: the end is queued behind the last message, and a
/// receiver that stops at -n and leaves before it is written makes the
/// sender's close wait out the whole linger.
fn send_stream(s: &Session, args: &Args) -> Result<(), Failure> {
    send_all(s, &mut Source::new(args))?;
    if args.eof {
        s.send_eof()?;
    }
    Ok(())
}

/// pull, sub (and xsub): print messages until `-n` or the end of the stream.
fn receive(s: &Session, out: &Printer, count: Option<u64>) -> Result<(), Failure> {
    let mut n = 0;
    while below(count, n) {
        match s.recv()? {
            Some(m) => out.print(&m)?,
            None => break,
        }
        n += 1;
    }
    Ok(())
}

/// req: send each message, print its reply.
fn request(s: &Session, out: &Printer, args: &Args) -> Result<(), Failure> {
    let mut src = Source::new(args);
    let mut first = true;
    while let Some(m) = src.next_message()? {
        if first {
            s.wait_for_peer()?;
            first = false;
        }
        s.send(m)?;
        match s.recv()? {
            Some(reply) => out.print(&reply)?,
            None => return Err(Failure::Error("the peer ended the stream".into())),
        }
    }
    Ok(())
}

/// What rep and router answer with.
enum Answer {
    Echo,
    Data(Message),
    Lines(Source),
}

/// rep, router: print each request and answer it; a router's answer goes
/// to the routing id the request came with.
fn reply(s: &Session, out: &Printer, args: &Args) -> Result<(), Failure> {
    let mut answer = match Source::data(args) {
        _ if args.echo => Answer::Echo,
        Some(m) => Answer::Data(m),
        None => Answer::Lines(Source::new(args)),
    };
    let mut n = 0;
    while below(args.count, n) {
        let Some(req) = s.recv()? else { break };
        out.print(&req)?;
        n += 1;
        let mut body = match &mut answer {
            Answer::Echo => {
                s.send(req)?;
                continue;
            }
            Answer::Data(m) => m.clone(),
            Answer::Lines(src) => match src.next_message()? {
                Some(m) => m,
                None => break,
            },
        };
        if args.kind == Kind::Router {
            if let Some(id) = req.first() {
                body.push_front(id.clone());
            }
        }
        s.send(body)?;
    }
    Ok(())
}

/// dealer: send every message, then print as many messages as it sent.
fn dealer(s: &Session, out: &Printer, args: &Args) -> Result<(), Failure> {
    let sent = send_all(s, &mut Source::new(args))?;
    receive(s, out, Some(sent))
}

/// pair: send the messages from another thread while printing what
/// arrives; done once everything is sent and as many messages arrived.
fn pair(s: &Session, out: &Printer, args: &Args) -> Result<(), Failure> {
    s.wait_for_peer()?;
    let sender = s.sender();
    let mut src = Source::new(args);
    let (done_tx, done) = mpsc::channel();
    // Not joined: it may be blocked reading standard input when we are
    // done, and ends with the process.
    std::thread::Builder::new()
        .name("sender".into())
        .spawn(move || {
            let mut sent = 0u64;
            let result = loop {
                match src.next_message() {
                    Ok(Some(m)) => match sender.send(m) {
                        Ok(()) => sent += 1,
                        Err(e) => break Err(e),
                    },
                    Ok(None) => break Ok(sent),
                    Err(e) => break Err(e),
                }
            };
            let _ = done_tx.send(result);
        })?;
    let (mut got, mut target) = (0u64, None);
    let mut last = Instant::now();
    loop {
        if target.is_none() {
            match done.try_recv() {
                Ok(sent) => target = Some(sent?),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    return Err(Failure::Error("the sending thread failed".into()))
                }
            }
        }
        if target.is_some_and(|t| got >= t) {
            return Ok(());
        }
        match s.recv_for(SLICE) {
            Ok(Some(m)) => {
                out.print(&m)?;
                got += 1;
                last = Instant::now();
            }
            Ok(None) => {
                if s.timeout().is_some_and(|t| last.elapsed() >= t) {
                    return Err(s.timed_out("no message arrived"));
                }
            }
            Err(None) => return Ok(()),
            Err(Some(e)) => return Err(e),
        }
    }
}

/// xpub: print each subscription message; with -d, publish it after each.
fn xpub(s: &Session, out: &Printer, args: &Args) -> Result<(), Failure> {
    let data = Source::data(args);
    let mut n = 0;
    while below(args.count, n) {
        let Some(sub) = s.recv()? else { break };
        out.print(&sub)?;
        n += 1;
        if let Some(m) = &data {
            s.send(m.clone())?;
        }
    }
    Ok(())
}

/// xsub: subscribe by message, send -d upstream once, then print like sub.
fn xsub(s: &Session, out: &Printer, args: &Args) -> Result<(), Failure> {
    let mut prefixes = args.prefixes();
    if prefixes.is_empty() {
        prefixes.push(Vec::new());
    }
    for p in &prefixes {
        s.send_subscription(p)?;
    }
    if let Some(m) = Source::data(args) {
        s.wait_for_peer()?;
        s.send(m)?;
    }
    receive(s, out, args.count)
}
