//! Where messages to send come from: the -d message, -n times, or the
//! lines of standard input.

use crate::args::Args;
use crate::session::Failure;
use ferromq::{Bytes, Message};
use std::io::BufRead;
use std::time::Duration;

/// The messages to send, in order, with `--interval` between them.
pub(crate) struct Source {
    from: Origin,
    /// Messages (or lines) still allowed; `None`: no limit.
    left: Option<u64>,
    interval: Option<Duration>,
    started: bool,
}

enum Origin {
    /// The -d message.
    Data(Message),
    /// One message per line of standard input.
    Stdin,
}

impl Source {
    /// The -d message `-n` times (once without `-n`); without -d, the
    /// lines of standard input (at most `-n`).
    pub(crate) fn new(args: &Args) -> Source {
        let data = args.data();
        let (from, left) = if data.is_empty() {
            (Origin::Stdin, args.count)
        } else {
            (Origin::Data(message(data)), Some(args.count.unwrap_or(1)))
        };
        Source {
            from,
            left,
            interval: args.interval,
            started: false,
        }
    }

    /// The -d message, if there is one.
    pub(crate) fn data(args: &Args) -> Option<Message> {
        let data = args.data();
        (!data.is_empty()).then(|| message(data))
    }

    /// The next message; `None` once -n is reached or the input ended.
    /// Waits `--interval` before every message but the first.
    pub(crate) fn next_message(&mut self) -> Result<Option<Message>, Failure> {
        if self.left == Some(0) {
            return Ok(None);
        }
        let msg = match &self.from {
            Origin::Data(m) => m.clone(),
            Origin::Stdin => match read_line()? {
                Some(line) => Message::from(line),
                None => return Ok(None),
            },
        };
        if let Some(n) = &mut self.left {
            *n -= 1;
        }
        if self.started {
            if let Some(i) = self.interval {
                std::thread::sleep(i);
            }
        }
        self.started = true;
        Ok(Some(msg))
    }
}

/// A message of these frames.
fn message(frames: Vec<Vec<u8>>) -> Message {
    Message::multipart(frames.into_iter().map(Bytes::from))
}

/// One line of standard input without its newline; `None` at end of input.
fn read_line() -> Result<Option<Vec<u8>>, Failure> {
    let mut line = Vec::new();
    let n = std::io::stdin()
        .lock()
        .read_until(b'\n', &mut line)
        .map_err(|e| Failure::Error(format!("reading standard input: {e}")))?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(Some(line))
}
