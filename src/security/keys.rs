//! CURVE keys (RFC 26): X25519 public and secret keys, 32 bytes each,
//! written as 40 characters of Z85 as libzmq writes them
//! (`zmq_curve_keypair`, `curve_keygen`, `ZMQ_CURVE_*KEY` options).

use super::z85::{decode_into, encode_groups, Z85Error};
use crate::error::{Error, Result};
use crypto_box::aead::rand_core::RngCore;
use crypto_box::aead::OsRng;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The length of a key in Z85 characters.
const Z85_KEY_LEN: usize = 40;

/// Decode a key's 40 Z85 characters into 32 bytes, every buffer wiped
/// when done.
fn decode_key(text: &str) -> Result<Zeroizing<[u8; 32]>> {
    const BAD_LENGTH: Error = Error::InvalidKey("a CURVE key in Z85 is 40 characters");
    if text.len() != Z85_KEY_LEN {
        return Err(BAD_LENGTH);
    }
    // Wiped on every return, including a failure half way through.
    let mut bytes = Zeroizing::new(Vec::new());
    decode_into(text, &mut bytes).map_err(|e| match e {
        Z85Error::InvalidCharacter { .. } => {
            Error::InvalidKey("a character outside the Z85 alphabet")
        }
        Z85Error::ChunkOverflow { .. } => Error::InvalidKey("a Z85 chunk above 0xFFFFFFFF"),
        Z85Error::TextLength { .. } | Z85Error::DataLength { .. } => BAD_LENGTH,
    })?;
    if bytes.len() != 32 {
        return Err(BAD_LENGTH);
    }
    let mut key = Zeroizing::new([0u8; 32]);
    key.iter_mut().zip(bytes.iter()).for_each(|(k, b)| *k = *b);
    Ok(key)
}

/// A CURVE public key: 32 bytes, shown as 40 characters of Z85.
///
/// What a server hands to its clients (their `ZMQ_CURVE_SERVERKEY`) and
/// what an authenticator allows. [`Display`](fmt::Display),
/// [`Debug`](fmt::Debug) and [`to_z85`](Self::to_z85) print it in Z85;
/// [`FromStr`] and [`from_z85`](Self::from_z85) read it back.
///
/// ```
/// use ferromq::security::CurvePublicKey;
/// // The server public key of libzmq's zmq_curve manual page.
/// let key: CurvePublicKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7".parse()?;
/// assert_eq!(key.as_bytes()[..4], [0x54, 0xFC, 0xBA, 0x24]);
/// assert_eq!(key.to_string(), "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey(pub(crate) [u8; 32]);

impl CurvePublicKey {
    /// The key with these 32 bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        CurvePublicKey(bytes)
    }

    /// The key's 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Read a key from its 40 Z85 characters (nothing before or after).
    ///
    /// Fails with [`Error::InvalidKey`] if the text is not 40 characters
    /// long or is not valid Z85.
    pub fn from_z85(text: &str) -> Result<Self> {
        decode_key(text).map(|bytes| CurvePublicKey(*bytes))
    }

    /// The key as 40 Z85 characters.
    pub fn to_z85(&self) -> String {
        encode_groups(&self.0)
    }
}

impl fmt::Display for CurvePublicKey {
    /// The 40 Z85 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({})", self.to_z85())
    }
}

impl FromStr for CurvePublicKey {
    type Err = Error;

    /// As [`CurvePublicKey::from_z85`].
    fn from_str(text: &str) -> Result<Self> {
        Self::from_z85(text)
    }
}

/// A CURVE secret key: 32 bytes that never show in `Debug` output, wiped
/// from memory when dropped.
///
/// A server's secret key is its `ZMQ_CURVE_SECRETKEY`; a client has one
/// too. [`public_key`](Self::public_key) derives the matching public key
/// (X25519, as libzmq's `zmq_curve_public`).
///
/// ```
/// use ferromq::security::CurveSecretKey;
/// // The server key pair of libzmq's zmq_curve manual page.
/// let secret = CurveSecretKey::from_z85("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")?;
/// assert_eq!(secret.public_key().to_z85(), "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
/// assert_eq!(format!("{secret:?}"), "CurveSecretKey(<redacted>)");
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Clone)]
pub struct CurveSecretKey(pub(crate) crypto_box::SecretKey);

impl CurveSecretKey {
    /// The key with these 32 bytes. The caller's copy of them is the
    /// caller's to wipe.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CurveSecretKey(crypto_box::SecretKey::from_bytes(bytes))
    }

    /// Read a key from its 40 Z85 characters (nothing before or after);
    /// the decoded bytes are wiped once the key holds them.
    ///
    /// Fails with [`Error::InvalidKey`] if the text is not 40 characters
    /// long or is not valid Z85 (the error does not quote the text).
    pub fn from_z85(text: &str) -> Result<Self> {
        decode_key(text).map(|bytes| Self::from_bytes(*bytes))
    }

    /// The key as 40 Z85 characters: this **exposes the secret**, for
    /// storing it (as `curve_keygen` prints it). The string is not wiped
    /// when dropped; that is up to the caller.
    pub fn to_z85(&self) -> String {
        let bytes = Zeroizing::new(self.0.to_bytes());
        encode_groups(bytes.as_slice())
    }

    /// The public key that goes with this secret key.
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(self.0.public_key().to_bytes())
    }

    /// The key for the CURVE mechanism's boxes.
    // Until the CURVE mechanism (src/proto) calls it, only the tests do.
    #[allow(dead_code)]
    pub(crate) fn inner(&self) -> &crypto_box::SecretKey {
        &self.0
    }
}

impl Drop for CurveSecretKey {
    fn drop(&mut self) {
        // crypto_box 0.9 wipes its scalar on drop but not its copy of the
        // key's bytes: dropping the key in place and writing an all-zero
        // key over it does. `black_box` keeps the compiler from dropping
        // the write as dead (best effort; `unsafe` volatile writes are not
        // allowed here).
        self.0 = crypto_box::SecretKey::from_bytes([0; 32]);
        std::hint::black_box(&self.0);
    }
}

impl fmt::Debug for CurveSecretKey {
    /// `CurveSecretKey(<redacted>)`: no key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(<redacted>)")
    }
}

/// A CURVE key pair: a secret key and its public key.
///
/// ```
/// use ferromq::security::CurveKeyPair;
/// let pair = CurveKeyPair::generate();
/// assert_eq!(pair.secret().public_key(), *pair.public());
/// // Hand out the public key; keep the secret one.
/// println!("server key: {}", pair.public());
/// ```
#[derive(Clone)]
pub struct CurveKeyPair {
    pub(crate) public: CurvePublicKey,
    pub(crate) secret: CurveSecretKey,
}

impl CurveKeyPair {
    /// A new random key pair, from the operating system's random source
    /// (as `zmq_curve_keypair`).
    ///
    /// # Panics
    ///
    /// If the operating system's random source fails.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut_slice());
        Self::from_secret(CurveSecretKey::from_bytes(*bytes))
    }

    /// The pair of this secret key and the public key derived from it.
    pub fn from_secret(secret: CurveSecretKey) -> Self {
        CurveKeyPair {
            public: secret.public_key(),
            secret,
        }
    }

    /// The public key.
    pub fn public(&self) -> &CurvePublicKey {
        &self.public
    }

    /// The secret key.
    pub fn secret(&self) -> &CurveSecretKey {
        &self.secret
    }
}

impl fmt::Debug for CurveKeyPair {
    /// The public key only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the failure report

    use super::*;
    use std::collections::HashSet;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// libzmq's doc/zmq_curve (.txt, now .adoc), "TEST KEY VALUES": the
    /// client and the server long-term key pairs, (public hex, public
    /// Z85, secret hex, secret Z85).
    const MANUAL_PAIRS: [(&str, &str, &str, &str); 2] = [
        (
            "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518",
            "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
            "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888",
            "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
        ),
        (
            "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652",
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
            "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7",
            "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
        ),
    ];

    #[test]
    fn the_zmq_curve_manual_pairs() {
        for (public_hex, public_z85, secret_hex, secret_z85) in MANUAL_PAIRS {
            let public = CurvePublicKey::from_z85(public_z85).unwrap();
            assert_eq!(hex(public.as_bytes()), public_hex);
            let secret = CurveSecretKey::from_z85(secret_z85).unwrap();
            assert_eq!(hex(&secret.inner().to_bytes()), secret_hex);
            assert_eq!(secret.public_key(), public, "{public_z85}");
            assert_eq!(secret.to_z85(), secret_z85);
            assert_eq!(public.to_z85(), public_z85);
            let pair = CurveKeyPair::from_secret(secret);
            assert_eq!(pair.public(), &public);
            assert_eq!(pair.secret().to_z85(), secret_z85);
        }
    }

    #[test]
    fn rfc_7748_x25519_vectors() {
        // RFC 7748 §6.1: Alice's and Bob's private and public keys.
        fn bytes(hex: &str) -> [u8; 32] {
            let mut out = [0; 32];
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            out
        }
        for (secret, public) in [
            (
                "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
            ),
            (
                "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            ),
        ] {
            let secret = CurveSecretKey::from_bytes(bytes(secret));
            assert_eq!(
                secret.public_key(),
                CurvePublicKey::from_bytes(bytes(public))
            );
        }
    }

    #[test]
    fn generated_pairs_match_and_differ() {
        let a = CurveKeyPair::generate();
        let b = CurveKeyPair::generate();
        assert_eq!(a.secret().public_key(), *a.public());
        assert_eq!(b.secret().public_key(), *b.public());
        assert_ne!(a.public(), b.public());
        assert_ne!(a.secret().to_z85(), b.secret().to_z85());
        // A clone is the same key, and outlives the original.
        let c = a.clone();
        drop(a);
        assert_eq!(c.secret().public_key(), *c.public());
    }

    #[test]
    fn z85_round_trips() {
        let pair = CurveKeyPair::generate();
        let text = pair.public().to_z85();
        assert_eq!(text.len(), 40);
        assert_eq!(CurvePublicKey::from_z85(&text).unwrap(), *pair.public());
        assert_eq!(text.parse::<CurvePublicKey>().unwrap(), *pair.public());
        assert_eq!(pair.public().to_string(), text);
        let secret = CurveSecretKey::from_z85(&pair.secret().to_z85()).unwrap();
        assert_eq!(secret.public_key(), *pair.public());
        assert_eq!(secret.to_z85(), pair.secret().to_z85());
        let key = [7u8; 32];
        assert_eq!(CurvePublicKey::from_bytes(key).as_bytes(), &key);
        assert_eq!(CurveSecretKey::from_bytes(key).inner().to_bytes(), key);
    }

    #[test]
    fn bad_key_text_is_refused() {
        let good = MANUAL_PAIRS[1].1;
        let bad = [
            String::new(),
            good[..39].to_owned(),
            format!("{good}0"),
            format!("{good}\n"),
            format!(" {}", &good[1..]),
            format!("{}\"", &good[..39]),
            format!("#####{}", &good[5..]),
            format!("{}é", &good[..38]),
            "0".repeat(50),
        ];
        for text in &bad {
            for err in [
                CurvePublicKey::from_z85(text).unwrap_err(),
                text.parse::<CurvePublicKey>().unwrap_err(),
                CurveSecretKey::from_z85(text).unwrap_err(),
            ] {
                assert!(matches!(err, Error::InvalidKey(_)), "{text:?}: {err:?}");
            }
        }
        assert_eq!(
            CurvePublicKey::from_z85("short").unwrap_err().to_string(),
            "invalid key: a CURVE key in Z85 is 40 characters"
        );
        assert_eq!(
            CurvePublicKey::from_z85(&format!("{}_", &good[..39]))
                .unwrap_err()
                .to_string(),
            "invalid key: a character outside the Z85 alphabet"
        );
        assert_eq!(
            CurvePublicKey::from_z85(&format!("{}#####", &good[..35]))
                .unwrap_err()
                .to_string(),
            "invalid key: a Z85 chunk above 0xFFFFFFFF"
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let (_, public_z85, secret_hex, secret_z85) = MANUAL_PAIRS[0];
        let pair = CurveKeyPair::from_secret(CurveSecretKey::from_z85(secret_z85).unwrap());
        let shown = [
            format!("{:?}", pair.secret()),
            format!("{:#?}", pair.secret()),
            format!("{pair:?}"),
            format!("{pair:#?}"),
        ];
        assert_eq!(shown[0], "CurveSecretKey(<redacted>)");
        for s in &shown {
            assert!(!s.contains(secret_z85), "{s}");
            assert!(!s.to_uppercase().contains(&secret_hex[..8]), "{s}");
        }
        assert_eq!(
            shown[2],
            format!("CurveKeyPair {{ public: CurvePublicKey({public_z85}), .. }}")
        );
        assert_eq!(
            format!("{:?}", pair.public()),
            format!("CurvePublicKey({public_z85})")
        );
    }

    #[test]
    fn public_keys_are_hash_keys() {
        let a = CurveKeyPair::generate();
        let set: HashSet<CurvePublicKey> = [*a.public(), *a.public()].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(set.contains(&a.secret().public_key()));
    }
}
