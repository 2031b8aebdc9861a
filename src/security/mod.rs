//! Security: CURVE key pairs and their Z85 text form, and the
//! [`Authenticator`] that decides which peers may connect.
//!
//! The mechanisms themselves (NULL, PLAIN, CURVE) are sans-IO state
//! machines in the protocol layer; this module holds what applications
//! handle: keys, and the rules that admit peers.

pub(crate) mod auth;
pub use auth::{AuthDecision, AuthRequest, Authenticator, Credentials};

mod z85;
pub use z85::{z85_decode, z85_encode, Z85Error};

#[cfg(feature = "curve")]
mod keys;
#[cfg(feature = "curve")]
pub use keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey};

use bytes::Bytes;
use std::fmt;

/// A socket's security mechanism and its role in it
/// ([`Options::security`](crate::Options::security)). Both ends of a
/// connection must use the same mechanism, one as client and one as
/// server; `inproc://` connections have no mechanism.
///
/// ```
/// use ferromq::security::{CurveKeyPair, Security};
/// use ferromq::Options;
/// let server = CurveKeyPair::generate();
/// let server_opts = Options::default().with_curve_server(server.secret().clone());
/// let client_opts = Options::default()
///     .with_curve_client(CurveKeyPair::generate(), *server.public());
/// assert!(matches!(client_opts.security, Security::CurveClient { .. }));
/// # let _ = server_opts;
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Security {
    /// No security (ZMTP's NULL mechanism): the default.
    #[default]
    Null,
    /// PLAIN client (RFC 24): sends a user name and password in the clear;
    /// for trusted networks only.
    PlainClient {
        /// The user name (at most 255 bytes).
        username: Bytes,
        /// The password (at most 255 bytes).
        password: Bytes,
    },
    /// PLAIN server: its [`Authenticator`] checks the credentials (with
    /// none, every client is refused, as in libzmq).
    PlainServer,
    /// CURVE client (CurveZMQ): encrypts everything to a server whose public
    /// key it knows, and proves its own key pair.
    #[cfg(feature = "curve")]
    CurveClient {
        /// This client's long-term key pair.
        keys: CurveKeyPair,
        /// The server's long-term public key.
        server: CurvePublicKey,
    },
    /// CURVE server: admits clients that know its public key (all of them,
    /// or those its [`Authenticator`] allows).
    #[cfg(feature = "curve")]
    CurveServer {
        /// The server's long-term secret key.
        secret: CurveSecretKey,
    },
}

impl fmt::Debug for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never prints a password or a secret key.
        match self {
            Security::Null => f.write_str("Null"),
            Security::PlainClient { username, .. } => f
                .debug_struct("PlainClient")
                .field("username", username)
                .finish_non_exhaustive(),
            Security::PlainServer => f.write_str("PlainServer"),
            #[cfg(feature = "curve")]
            Security::CurveClient { keys, server } => f
                .debug_struct("CurveClient")
                .field("public", keys.public())
                .field("server", server)
                .finish_non_exhaustive(),
            #[cfg(feature = "curve")]
            Security::CurveServer { secret } => f
                .debug_struct("CurveServer")
                .field("public", &secret.public_key())
                .finish_non_exhaustive(),
        }
    }
}

impl PartialEq for Security {
    /// Same mechanism, role, credentials and keys (secret keys compared by
    /// their public halves).
    fn eq(&self, other: &Security) -> bool {
        match (self, other) {
            (Security::Null, Security::Null) | (Security::PlainServer, Security::PlainServer) => {
                true
            }
            (
                Security::PlainClient {
                    username: u1,
                    password: p1,
                },
                Security::PlainClient {
                    username: u2,
                    password: p2,
                },
            ) => u1 == u2 && p1 == p2,
            #[cfg(feature = "curve")]
            (
                Security::CurveClient {
                    keys: k1,
                    server: s1,
                },
                Security::CurveClient {
                    keys: k2,
                    server: s2,
                },
            ) => k1.public() == k2.public() && s1 == s2,
            #[cfg(feature = "curve")]
            (Security::CurveServer { secret: a }, Security::CurveServer { secret: b }) => {
                a.public_key() == b.public_key()
            }
            _ => false,
        }
    }
}

impl Eq for Security {}

impl Security {
    /// The mechanism's name in the ZMTP greeting.
    pub fn mechanism(&self) -> &'static str {
        match self {
            Security::Null => "NULL",
            Security::PlainClient { .. } | Security::PlainServer => "PLAIN",
            #[cfg(feature = "curve")]
            Security::CurveClient { .. } | Security::CurveServer { .. } => "CURVE",
        }
    }

    /// Is this the server role?
    pub fn is_server(&self) -> bool {
        match self {
            Security::Null | Security::PlainClient { .. } => false,
            Security::PlainServer => true,
            #[cfg(feature = "curve")]
            Security::CurveClient { .. } => false,
            #[cfg(feature = "curve")]
            Security::CurveServer { .. } => true,
        }
    }

    /// The greeting's name (the protocol layer's spelling).
    pub(crate) fn name(&self) -> &'static str {
        self.mechanism()
    }
}
