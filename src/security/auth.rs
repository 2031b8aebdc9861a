//! The authenticator: which peers a server socket admits (libzmq's ZAP
//! handler, with pyzmq's `zmq.auth` rules as the model).

use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A user's decision function (see [`Authenticator::set_handler`]).
type Handler = Arc<dyn Fn(&AuthRequest) -> Option<AuthDecision> + Send + Sync>;

/// Decides which peers a server socket admits: by address, by PLAIN user
/// name and password, by CURVE public key, or by a function of yours.
///
/// Give it to a socket with
/// [`Options::with_authenticator`](crate::Options::with_authenticator); one
/// authenticator may serve many sockets, and its rules may change while
/// they run (the next handshake sees the change). Its rules, in order:
///
/// 1. **Address.** If any address is allowed, only those are; otherwise
///    denied addresses are refused. (TCP peers are their IP address as
///    text, e.g. `"127.0.0.1"`; `ipc` peers are `""`.)
/// 2. **Your handler**, if set, may decide ([`set_handler`](Self::set_handler)).
/// 3. **The mechanism.** NULL: admitted. PLAIN: the user and password must
///    be in the table. CURVE: the client's public key must be allowed, or
///    any key is ([`allow_any_key`](Self::allow_any_key)).
///
/// A refusal reaches the peer as a ZMTP ERROR with the status code (`400`),
/// as libzmq sends it, and both monitors report a failed handshake. Without
/// an authenticator a PLAIN server refuses everyone, and NULL and CURVE
/// servers admit everyone (with CURVE, every client that knows the
/// server's public key), as libzmq does.
///
/// ```
/// use ferromq::security::{Authenticator, AuthDecision, Credentials};
/// let auth = Authenticator::new();
/// auth.add_user("admin", "secret");
/// auth.deny_address("192.0.2.7");
/// // Anything else is yours to decide:
/// auth.set_handler(|req| match &req.credentials {
///     Credentials::Plain { username, .. } if username.starts_with(b"guest-") => {
///         Some(AuthDecision::allow_as("guest"))
///     }
///     _ => None, // the rules above decide
/// });
/// ```
#[derive(Clone, Default)]
pub struct Authenticator {
    rules: Arc<Mutex<Rules>>,
}

/// Two handles are equal when they share their rules.
impl PartialEq for Authenticator {
    fn eq(&self, other: &Authenticator) -> bool {
        Arc::ptr_eq(&self.rules, &other.rules)
    }
}

impl Eq for Authenticator {}

#[derive(Default)]
struct Rules {
    allowed: HashSet<String>,
    denied: HashSet<String>,
    users: HashMap<Bytes, Bytes>,
    #[cfg(feature = "curve")]
    keys: HashSet<super::CurvePublicKey>,
    any_key: bool,
    handler: Option<Handler>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.rules();
        let mut d = f.debug_struct("Authenticator");
        d.field("allowed", &r.allowed)
            .field("denied", &r.denied)
            .field("users", &r.users.len());
        #[cfg(feature = "curve")]
        d.field("keys", &r.keys.len());
        d.field("any_key", &r.any_key)
            .field("handler", &r.handler.is_some())
            .finish()
    }
}

/// What a connecting peer presents.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthRequest {
    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    pub mechanism: &'static str,
    /// The peer's address: a TCP peer's IP address as text, `""` for ipc.
    pub address: String,
    /// Its credentials.
    pub credentials: Credentials,
}

/// A peer's credentials.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// NULL: none.
    Null,
    /// PLAIN: a user name and a password.
    Plain {
        /// The user name.
        username: Bytes,
        /// The password.
        password: Bytes,
    },
    /// CURVE: the client's long-term public key (proven: the client holds
    /// its secret key).
    #[cfg(feature = "curve")]
    Curve {
        /// The client's public key.
        public_key: super::CurvePublicKey,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Null => f.write_str("Null"),
            // Never print a password.
            Credentials::Plain { username, .. } => f
                .debug_struct("Plain")
                .field("username", username)
                .finish_non_exhaustive(),
            #[cfg(feature = "curve")]
            Credentials::Curve { public_key } => f
                .debug_struct("Curve")
                .field("public_key", public_key)
                .finish(),
        }
    }
}

/// An authentication decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// Admit the peer, optionally naming it (ZAP's user id).
    Allow {
        /// Who the peer is, for the application.
        user_id: Option<String>,
    },
    /// Refuse it with a ZAP status code (`300` temporary, `400` denied,
    /// `500` internal error) and a reason for the logs.
    Deny {
        /// The status code; the peer's ERROR carries it.
        status: u16,
        /// Why (local only: not sent).
        text: String,
    },
}

impl AuthDecision {
    /// Admit, naming nobody.
    pub fn allow() -> AuthDecision {
        AuthDecision::Allow { user_id: None }
    }

    /// Admit as `user_id`.
    pub fn allow_as(user_id: impl Into<String>) -> AuthDecision {
        AuthDecision::Allow {
            user_id: Some(user_id.into()),
        }
    }

    /// Refuse with `status` (a 3-digit code, clamped to 100–599).
    pub fn deny(status: u16, text: impl Into<String>) -> AuthDecision {
        AuthDecision::Deny {
            status: status.clamp(100, 599),
            text: text.into(),
        }
    }
}

impl Authenticator {
    /// An authenticator with no rules: it admits NULL peers, refuses PLAIN
    /// ones (no users) and CURVE ones (no keys) until told otherwise.
    pub fn new() -> Authenticator {
        Authenticator::default()
    }

    fn rules(&self) -> MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admit only allowed addresses (once any is allowed).
    pub fn allow_address(&self, address: impl Into<String>) {
        self.rules().allowed.insert(address.into());
    }

    /// Refuse this address (unless addresses are allow-listed).
    pub fn deny_address(&self, address: impl Into<String>) {
        self.rules().denied.insert(address.into());
    }

    /// Add (or change) a PLAIN user.
    pub fn add_user(&self, username: impl Into<Bytes>, password: impl Into<Bytes>) {
        self.rules().users.insert(username.into(), password.into());
    }

    /// Remove a PLAIN user; true if it was there.
    pub fn remove_user(&self, username: &[u8]) -> bool {
        self.rules().users.remove(username).is_some()
    }

    /// Admit CURVE clients with this public key.
    #[cfg(feature = "curve")]
    pub fn allow_key(&self, key: super::CurvePublicKey) {
        self.rules().keys.insert(key);
    }

    /// Stop admitting this key; true if it was allowed.
    #[cfg(feature = "curve")]
    pub fn remove_key(&self, key: &super::CurvePublicKey) -> bool {
        self.rules().keys.remove(key)
    }

    /// Admit every CURVE client (each still proves it holds its key).
    pub fn allow_any_key(&self, yes: bool) {
        self.rules().any_key = yes;
    }

    /// Decide with `f` first (after the address rules): `Some` is final,
    /// `None` leaves it to the rules. It runs on the I/O thread, during
    /// the handshake: keep it quick.
    pub fn set_handler(
        &self,
        f: impl Fn(&AuthRequest) -> Option<AuthDecision> + Send + Sync + 'static,
    ) {
        self.rules().handler = Some(Arc::new(f));
    }

    /// Decide about a peer.
    pub fn decide(&self, req: &AuthRequest) -> AuthDecision {
        let (handler, verdict) = {
            let r = self.rules();
            if !r.allowed.is_empty() && !r.allowed.contains(&req.address) {
                return AuthDecision::deny(400, "address not allowed");
            }
            if r.allowed.is_empty() && r.denied.contains(&req.address) {
                return AuthDecision::deny(400, "address denied");
            }
            (r.handler.clone(), r.by_mechanism(&req.credentials))
        };
        // The handler runs without the lock: it may change the rules.
        handler.and_then(|h| h(req)).unwrap_or(verdict)
    }
}

impl Rules {
    fn by_mechanism(&self, credentials: &Credentials) -> AuthDecision {
        match credentials {
            Credentials::Null => AuthDecision::allow(),
            Credentials::Plain { username, password } => match self.users.get(username) {
                Some(p) if p == password => {
                    AuthDecision::allow_as(String::from_utf8_lossy(username))
                }
                _ => AuthDecision::deny(400, "invalid user name or password"),
            },
            #[cfg(feature = "curve")]
            Credentials::Curve { public_key } => {
                if self.any_key || self.keys.contains(public_key) {
                    AuthDecision::allow_as(public_key.to_z85())
                } else {
                    AuthDecision::deny(400, "unknown CURVE key")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(user: &str, pass: &str, addr: &str) -> AuthRequest {
        AuthRequest {
            mechanism: "PLAIN",
            address: addr.into(),
            credentials: Credentials::Plain {
                username: Bytes::copy_from_slice(user.as_bytes()),
                password: Bytes::copy_from_slice(pass.as_bytes()),
            },
        }
    }

    #[test]
    fn plain_users_and_addresses() {
        let a = Authenticator::new();
        assert!(matches!(
            a.decide(&plain("u", "p", "10.0.0.1")),
            AuthDecision::Deny { status: 400, .. }
        ));
        a.add_user("u", "p");
        assert_eq!(
            a.decide(&plain("u", "p", "10.0.0.1")),
            AuthDecision::allow_as("u")
        );
        assert!(matches!(
            a.decide(&plain("u", "wrong", "10.0.0.1")),
            AuthDecision::Deny { .. }
        ));
        a.deny_address("10.0.0.1");
        assert!(matches!(
            a.decide(&plain("u", "p", "10.0.0.1")),
            AuthDecision::Deny { .. }
        ));
        assert_eq!(
            a.decide(&plain("u", "p", "10.0.0.2")),
            AuthDecision::allow_as("u")
        );
        // An allow list wins over the deny list, and excludes the rest.
        a.allow_address("10.0.0.1");
        assert_eq!(
            a.decide(&plain("u", "p", "10.0.0.1")),
            AuthDecision::allow_as("u")
        );
        assert!(matches!(
            a.decide(&plain("u", "p", "10.0.0.2")),
            AuthDecision::Deny { .. }
        ));
        assert!(a.remove_user(b"u"));
    }

    #[test]
    fn the_handler_decides_first_and_may_defer() {
        let a = Authenticator::new();
        a.set_handler(|r| (r.address == "vip").then(|| AuthDecision::allow_as("vip")));
        assert_eq!(
            a.decide(&plain("x", "y", "vip")),
            AuthDecision::allow_as("vip")
        );
        assert!(matches!(
            a.decide(&plain("x", "y", "other")),
            AuthDecision::Deny { .. }
        ));
    }

    #[test]
    fn deny_clamps_the_status() {
        assert_eq!(
            AuthDecision::deny(7, "x"),
            AuthDecision::Deny {
                status: 100,
                text: "x".into()
            }
        );
    }
}
