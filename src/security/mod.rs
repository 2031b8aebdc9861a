//! Security: CURVE key pairs and their Z85 text form, and the
//! authenticator that decides which peers may connect.
//!
//! The mechanisms themselves (NULL, PLAIN, CURVE) are sans-IO state
//! machines in the protocol layer; this module holds what applications
//! handle: keys, and the rules that admit peers.

mod z85;
pub use z85::{z85_decode, z85_encode, Z85Error};

#[cfg(feature = "curve")]
mod keys;
#[cfg(feature = "curve")]
pub use keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
