//! CURVE (CurveZMQ, RFC 26 as libzmq 4.3 speaks it; where the two differ,
//! libzmq wins): X25519 key agreement and XSalsa20-Poly1305 boxes, with
//! per-connection (transient) keys for forward secrecy.
//!
//! ```text
//! client (C, c; C', c')                     server (S, s; S', s')
//!   HELLO    C', Box[64 zeros](C'→S)   ──▶
//!                                      ◀──  WELCOME  Box[S' + cookie](S→C')
//!   INITIATE cookie, Box[C + vouch + metadata](C'→S')     vouch = Box[C' + S](C→S')
//!                                      ──▶  (cookie and vouch checked; authenticator asked)
//!                                      ◀──  READY    Box[metadata](S'→C')
//!   MESSAGE  Box[flags + payload]      ◀─▶  (one per frame; MORE and COMMAND inside)
//! ```
//!
//! Sizes as libzmq checks them: HELLO exactly 200 bytes (72 of padding),
//! WELCOME exactly 168, INITIATE at least 257, READY at least 30, MESSAGE
//! at least 33. Each direction has one nonce counter across handshake and
//! data (client: HELLO 1, INITIATE 2, first MESSAGE 3; server: READY 1,
//! first MESSAGE 2); a receiver refuses any short nonce not above the last
//! one it saw. The cookie key is made per connection and wiped once
//! INITIATE has been checked; secret keys are zeroized on drop.

mod codec;

pub(crate) use codec::Codec;

use super::{split_command, Established, Handshake, HsContext, Step};
use crate::proto::wire::Metadata;
use crate::proto::ProtoError;
use crate::security::auth::Credentials;
use crate::security::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
use bytes::{BufMut, Bytes, BytesMut};
use crypto_box::aead::generic_array::GenericArray;
use crypto_box::aead::{Aead, KeyInit};
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use crypto_secretbox::XSalsa20Poly1305;
use zeroize::Zeroizing;

/// A Poly1305 tag.
const TAG: usize = 16;
/// A key.
const KEY: usize = 32;

const HELLO_LEN: usize = 200;
const HELLO_PADDING: usize = 72;
const WELCOME_LEN: usize = 168;
const INITIATE_MIN: usize = 257;
const READY_MIN: usize = 30;
const COOKIE_LEN: usize = 16 + 80;
const VOUCH_LEN: usize = 80;

/// A 24-byte nonce: a 16-byte prefix and a big-endian counter.
fn short_nonce(prefix: &[u8; 16], n: u64) -> [u8; 24] {
    let mut out = [0u8; 24];
    let (p, c) = out.split_at_mut(16);
    p.copy_from_slice(prefix);
    c.copy_from_slice(&n.to_be_bytes());
    out
}

/// A 24-byte nonce: an 8-byte prefix and 16 random bytes.
fn long_nonce(prefix: &[u8; 8], random: &[u8; 16]) -> [u8; 24] {
    let mut out = [0u8; 24];
    let (p, r) = out.split_at_mut(8);
    p.copy_from_slice(prefix);
    r.copy_from_slice(random);
    out
}

fn bad(what: &'static str) -> ProtoError {
    ProtoError::BadHandshake(what)
}

fn seal(b: &SalsaBox, nonce: &[u8; 24], plain: &[u8]) -> Result<Vec<u8>, ProtoError> {
    b.encrypt(GenericArray::from_slice(nonce), plain)
        .map_err(|_| bad("CURVE encryption failed"))
}

fn open(
    b: &SalsaBox,
    nonce: &[u8; 24],
    boxed: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, ProtoError> {
    b.decrypt(GenericArray::from_slice(nonce), boxed)
        .map(Zeroizing::new)
        .map_err(|_| bad(what))
}

/// A fresh transient secret key from the context's random source.
fn transient(cx: &HsContext<'_>) -> SecretKey {
    let bytes = Zeroizing::new(cx.random_bytes::<KEY>());
    SecretKey::from_bytes(*bytes)
}

fn key_at(data: &[u8], at: usize) -> Option<PublicKey> {
    let b: [u8; KEY] = data.get(at..at + KEY)?.try_into().ok()?;
    Some(PublicKey::from_bytes(b))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

// ---------------------------------------------------------------- client

/// Client: HELLO sent, waiting for WELCOME.
struct ClientAwaitWelcome {
    keys: CurveKeyPair,
    server: PublicKey,
    /// Our transient secret key c'.
    cn_secret: SecretKey,
}

/// Client: INITIATE sent, waiting for READY.
struct ClientAwaitReady {
    /// c' with S'.
    session: SalsaBox,
}

impl std::fmt::Debug for ClientAwaitWelcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CURVE client, awaiting WELCOME")
    }
}

impl std::fmt::Debug for ClientAwaitReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CURVE client, awaiting READY")
    }
}

pub(crate) fn start_client(
    keys: &CurveKeyPair,
    server: &CurvePublicKey,
    cx: &mut HsContext<'_>,
) -> Result<Box<dyn Handshake>, ProtoError> {
    let server = PublicKey::from_bytes(*server.as_bytes());
    let cn_secret = transient(cx);
    let cn_public = cn_secret.public_key();
    // HELLO: version 1.0, 72 bytes of padding, C', nonce 1, Box[64 zeros](C'→S).
    let hello_box = seal(
        &SalsaBox::new(&server, &cn_secret),
        &short_nonce(b"CurveZMQHELLO---", 1),
        &[0u8; 64],
    )?;
    cx.send_raw(
        b"HELLO",
        &[
            &[1, 0],
            &[0u8; HELLO_PADDING],
            cn_public.as_bytes(),
            &1u64.to_be_bytes(),
            &hello_box,
        ],
    );
    Ok(Box::new(ClientAwaitWelcome {
        keys: keys.clone(),
        server,
        cn_secret,
    }))
}

impl Handshake for ClientAwaitWelcome {
    fn on_command(
        self: Box<Self>,
        body: Bytes,
        cx: &mut HsContext<'_>,
    ) -> Result<Step, ProtoError> {
        match split_command(&body) {
            Some((b"WELCOME", _)) if body.len() == WELCOME_LEN => {}
            _ => return Err(bad("expected a CURVE WELCOME of 168 bytes")),
        }
        let nonce: [u8; 16] = body
            .get(8..24)
            .and_then(|n| n.try_into().ok())
            .ok_or(bad("WELCOME"))?;
        let boxed = body.get(24..).ok_or(bad("WELCOME"))?;
        let plain = open(
            &SalsaBox::new(&self.server, &self.cn_secret),
            &long_nonce(b"WELCOME-", &nonce),
            boxed,
            "WELCOME box does not open (wrong server key?)",
        )?;
        let sn_public = key_at(&plain, 0).ok_or(bad("WELCOME"))?;
        let cookie = plain.get(KEY..KEY + COOKIE_LEN).ok_or(bad("WELCOME"))?;
        // The vouch: Box[C' + S](C→S'), proving we hold C's secret.
        let vouch_random = cx.random_bytes::<16>();
        let mut vouch_plain = Vec::with_capacity(2 * KEY);
        vouch_plain.extend_from_slice(self.cn_secret.public_key().as_bytes());
        vouch_plain.extend_from_slice(self.server.as_bytes());
        let vouch = seal(
            &SalsaBox::new(&sn_public, self.keys.secret().inner()),
            &long_nonce(b"VOUCH---", &vouch_random),
            &vouch_plain,
        )?;
        let mut md = BytesMut::new();
        cx.metadata.encode(&mut md);
        let mut initiate_plain =
            Zeroizing::new(Vec::with_capacity(KEY + 16 + VOUCH_LEN + md.len()));
        initiate_plain.extend_from_slice(self.keys.public().as_bytes());
        initiate_plain.extend_from_slice(&vouch_random);
        initiate_plain.extend_from_slice(&vouch);
        initiate_plain.extend_from_slice(&md);
        let session = SalsaBox::new(&sn_public, &self.cn_secret);
        let initiate_box = seal(
            &session,
            &short_nonce(b"CurveZMQINITIATE", 2),
            &initiate_plain,
        )?;
        cx.send_raw(b"INITIATE", &[cookie, &2u64.to_be_bytes(), &initiate_box]);
        Ok(Step::Next(Box::new(ClientAwaitReady { session })))
    }
}

impl Handshake for ClientAwaitReady {
    fn on_command(self: Box<Self>, body: Bytes, _: &mut HsContext<'_>) -> Result<Step, ProtoError> {
        match split_command(&body) {
            Some((b"READY", _)) if body.len() >= READY_MIN => {}
            _ => return Err(bad("expected a CURVE READY")),
        }
        let n = u64_at(&body, 6).ok_or(bad("READY"))?;
        if n == 0 {
            return Err(ProtoError::CurveNonce);
        }
        let boxed = body.get(14..).ok_or(bad("READY"))?;
        let plain = open(
            &self.session,
            &short_nonce(b"CurveZMQREADY---", n),
            boxed,
            "READY box does not open",
        )?;
        let metadata = Metadata::decode(&Bytes::copy_from_slice(&plain))?;
        Ok(Step::Done(Established {
            metadata,
            user_id: None,
            codec: super::Codec::Curve(Box::new(Codec::new(self.session, true, 3, n))),
        }))
    }
}

// ---------------------------------------------------------------- server

/// Server: waiting for HELLO.
struct ServerAwaitHello {
    secret: CurveSecretKey,
}

/// Server: WELCOME sent, waiting for INITIATE.
struct ServerAwaitInitiate {
    secret: CurveSecretKey,
    /// The client's transient key C'.
    cn_client: PublicKey,
    /// Our transient secret s'.
    sn_secret: SecretKey,
    /// The cookie key, this connection's only; wiped with this state.
    cookie_key: Zeroizing<[u8; KEY]>,
    /// HELLO's nonce.
    last_nonce: u64,
}

impl std::fmt::Debug for ServerAwaitHello {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CURVE server, awaiting HELLO")
    }
}

impl std::fmt::Debug for ServerAwaitInitiate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CURVE server, awaiting INITIATE")
    }
}

pub(crate) fn start_server(secret: &CurveSecretKey) -> Box<dyn Handshake> {
    Box::new(ServerAwaitHello {
        secret: secret.clone(),
    })
}

impl Handshake for ServerAwaitHello {
    fn on_command(
        self: Box<Self>,
        body: Bytes,
        cx: &mut HsContext<'_>,
    ) -> Result<Step, ProtoError> {
        match split_command(&body) {
            Some((b"HELLO", _)) if body.len() == HELLO_LEN => {}
            _ => return Err(bad("expected a CURVE HELLO of 200 bytes")),
        }
        if body.get(6..8) != Some(&[1, 0][..]) {
            return Err(bad("CURVE HELLO of an unknown version"));
        }
        let at = 8 + HELLO_PADDING;
        let cn_client = key_at(&body, at).ok_or(bad("HELLO"))?;
        let n = u64_at(&body, at + KEY).ok_or(bad("HELLO"))?;
        if n == 0 {
            return Err(ProtoError::CurveNonce);
        }
        let boxed = body.get(at + KEY + 8..).ok_or(bad("HELLO"))?;
        let zeros = open(
            &SalsaBox::new(&cn_client, self.secret.inner()),
            &short_nonce(b"CurveZMQHELLO---", n),
            boxed,
            "HELLO box does not open (client has the wrong server key?)",
        )?;
        if zeros.len() != 64 {
            return Err(bad("HELLO"));
        }
        // Transient keys and the cookie: C' and s' under a key only this
        // connection knows, so INITIATE can prove it answers this WELCOME.
        let sn_secret = transient(cx);
        let cookie_key = Zeroizing::new(cx.random_bytes::<KEY>());
        let cookie_random = cx.random_bytes::<16>();
        let mut cookie_plain = Zeroizing::new(Vec::with_capacity(2 * KEY));
        cookie_plain.extend_from_slice(cn_client.as_bytes());
        cookie_plain.extend_from_slice(&Zeroizing::new(sn_secret.to_bytes())[..]);
        let cookie_box = XSalsa20Poly1305::new(GenericArray::from_slice(&*cookie_key))
            .encrypt(
                GenericArray::from_slice(&long_nonce(b"COOKIE--", &cookie_random)),
                &cookie_plain[..],
            )
            .map_err(|_| bad("cookie encryption failed"))?;
        let mut welcome_plain = Vec::with_capacity(KEY + COOKIE_LEN);
        welcome_plain.extend_from_slice(sn_secret.public_key().as_bytes());
        welcome_plain.extend_from_slice(&cookie_random);
        welcome_plain.extend_from_slice(&cookie_box);
        let welcome_random = cx.random_bytes::<16>();
        let welcome_box = seal(
            &SalsaBox::new(&cn_client, self.secret.inner()),
            &long_nonce(b"WELCOME-", &welcome_random),
            &welcome_plain,
        )?;
        cx.send_raw(b"WELCOME", &[&welcome_random, &welcome_box]);
        Ok(Step::Next(Box::new(ServerAwaitInitiate {
            secret: self.secret,
            cn_client,
            sn_secret,
            cookie_key,
            last_nonce: n,
        })))
    }
}

impl Handshake for ServerAwaitInitiate {
    fn on_command(
        self: Box<Self>,
        body: Bytes,
        cx: &mut HsContext<'_>,
    ) -> Result<Step, ProtoError> {
        match split_command(&body) {
            Some((b"INITIATE", _)) if body.len() >= INITIATE_MIN => {}
            _ => return Err(bad("expected a CURVE INITIATE")),
        }
        // The cookie must be ours, for this connection.
        let cookie = body.get(9..9 + COOKIE_LEN).ok_or(bad("INITIATE"))?;
        let (cookie_nonce, cookie_box) = cookie.split_at(16);
        let cookie_nonce: [u8; 16] = cookie_nonce.try_into().map_err(|_| bad("INITIATE"))?;
        let cookie_plain = XSalsa20Poly1305::new(GenericArray::from_slice(&*self.cookie_key))
            .decrypt(
                GenericArray::from_slice(&long_nonce(b"COOKIE--", &cookie_nonce)),
                cookie_box,
            )
            .map(Zeroizing::new)
            .map_err(|_| bad("INITIATE cookie is not this connection's"))?;
        let same_keys = cookie_plain.get(..KEY) == Some(&self.cn_client.as_bytes()[..])
            && cookie_plain.get(KEY..) == Some(&self.sn_secret.to_bytes()[..]);
        if !same_keys {
            return Err(bad("INITIATE cookie is not this connection's"));
        }
        let at = 9 + COOKIE_LEN;
        let n = u64_at(&body, at).ok_or(bad("INITIATE"))?;
        if n <= self.last_nonce {
            return Err(ProtoError::CurveNonce);
        }
        let session = SalsaBox::new(&self.cn_client, &self.sn_secret);
        let plain = open(
            &session,
            &short_nonce(b"CurveZMQINITIATE", n),
            body.get(at + 8..).ok_or(bad("INITIATE"))?,
            "INITIATE box does not open",
        )?;
        // C, the vouch's nonce and the vouch, then metadata.
        let client = key_at(&plain, 0).ok_or(bad("INITIATE"))?;
        let vouch_nonce: [u8; 16] = plain
            .get(KEY..KEY + 16)
            .and_then(|v| v.try_into().ok())
            .ok_or(bad("INITIATE"))?;
        let vouch = plain
            .get(KEY + 16..KEY + 16 + VOUCH_LEN)
            .ok_or(bad("INITIATE"))?;
        let vouched = open(
            &SalsaBox::new(&client, &self.sn_secret),
            &long_nonce(b"VOUCH---", &vouch_nonce),
            vouch,
            "INITIATE vouch does not open",
        )?;
        // The vouch names this connection's C' and our long-term S.
        let ours = self.secret.public_key();
        if vouched.get(..KEY) != Some(&self.cn_client.as_bytes()[..])
            || vouched.get(KEY..) != Some(&ours.as_bytes()[..])
        {
            return Err(bad("INITIATE vouch is for another connection"));
        }
        let metadata = Metadata::decode(&Bytes::copy_from_slice(
            plain.get(KEY + 16 + VOUCH_LEN..).unwrap_or_default(),
        ))?;
        let public_key = CurvePublicKey::from_bytes(*client.as_bytes());
        let user_id = cx.authenticate("CURVE", Credentials::Curve { public_key }, true)?;
        // READY: our metadata, nonce 1.
        let mut md = BytesMut::new();
        cx.metadata.encode(&mut md);
        let ready_box = seal(&session, &short_nonce(b"CurveZMQREADY---", 1), &md)?;
        let mut n1 = BytesMut::with_capacity(8);
        n1.put_u64(1);
        cx.send_raw(b"READY", &[&n1, &ready_box]);
        Ok(Step::Done(Established {
            metadata,
            user_id,
            codec: super::Codec::Curve(Box::new(Codec::new(session, false, 2, n))),
        }))
    }
}

#[cfg(test)]
mod tests;
