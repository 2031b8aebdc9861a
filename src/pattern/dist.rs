//! Distribution: one message to many pipes (PUB, XPUB, XSUB upstream), as
//! libzmq's `dist`. A pipe at its HWM misses the message; the others still
//! get it, and the message is never split.

use crate::message::Message;
use crate::pipe::{PipeKey, Pipes};
use crate::stats::SocketStats;

/// Queue `msg` on every pipe in `keys`. Pipes at `hwm` miss it, counted in
/// `dropped_full`. Returns how many pipes got it.
pub(crate) fn send_to(
    pipes: &mut Pipes,
    keys: impl IntoIterator<Item = PipeKey>,
    hwm: usize,
    msg: &Message,
    stats: &mut SocketStats,
) -> usize {
    let mut sent = 0;
    for key in keys {
        match pipes.get(key) {
            Some(p) if p.has_room(hwm) => {
                pipes.push_out(key, msg.clone());
                sent += 1;
            }
            Some(_) => stats.dropped_full += 1,
            None => {}
        }
    }
    sent
}

/// Would every pipe in `keys` take a message now?
pub(crate) fn all_have_room(
    pipes: &Pipes,
    keys: impl IntoIterator<Item = PipeKey>,
    hwm: usize,
) -> bool {
    keys.into_iter()
        .all(|k| pipes.get(k).map_or(true, |p| p.has_room(hwm)))
}
