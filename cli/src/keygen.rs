//! `ferromq keygen`: a new CURVE key pair, printed as libzmq's
//! `curve_keygen` tool prints one.

use crate::session::Failure;
use clap::Parser;
use ferromq::security::CurveKeyPair;
use std::ffi::OsString;
use std::io::Write;

/// The introduction `curve_keygen` prints before the keys (libzmq's
/// tools/curve_keygen.cpp), without its mention of a `z85_codec.h` source
/// that this tool does not use.
const INTRO: &str = "\
This tool generates a CurveZMQ keypair, as two printable strings you can
use in configuration files or source code. The encoding uses Z85, which
is a base-85 format that is described in 0MQ RFC 32. The keypair
always works with the secret key held by one party and the public key
distributed (securely!) to peers wishing to connect to it.
";

/// Print a new CURVE key pair (the public and the secret key, 40 Z85
/// characters each) in the format of libzmq's curve_keygen.
#[derive(Debug, Parser)]
#[command(
    name = "ferromq keygen",
    bin_name = "ferromq keygen",
    version,
    after_help = "Output: a few lines of introduction, then \
\"== CURVE PUBLIC KEY ==\" and the public key on the next line, then \
\"== CURVE SECRET KEY ==\" and the secret key on the next line, each header \
after an empty line. The secret key is printed in the clear: keep it secret."
)]
pub(crate) struct KeygenArgs {}

impl KeygenArgs {
    /// Parse `ferromq keygen ARGS` (`args` without `ferromq keygen`); on a
    /// usage error (or --help, --version), print it and exit.
    pub(crate) fn parse_rest(args: impl Iterator<Item = OsString>) -> Self {
        Self::parse_from(std::iter::once(OsString::from("ferromq keygen")).chain(args))
    }
}

/// The text `curve_keygen` prints for this pair.
fn keygen_text(pair: &CurveKeyPair) -> String {
    format!(
        "{INTRO}\n== CURVE PUBLIC KEY ==\n{}\n\n== CURVE SECRET KEY ==\n{}\n",
        pair.public().to_z85(),
        pair.secret().to_z85()
    )
}

/// Generate a key pair and print it on standard output.
pub(crate) fn run() -> Result<(), Failure> {
    let text = keygen_text(&CurveKeyPair::generate());
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::OutputClosed,
            _ => Failure::Error(format!("writing standard output: {e}")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use ferromq::security::CurveSecretKey;

    #[test]
    fn the_clap_definition_is_consistent() {
        KeygenArgs::command().debug_assert();
    }

    #[test]
    fn the_layout_is_curve_keygens() {
        // The server pair of libzmq's zmq_curve manual page.
        let secret = CurveSecretKey::from_z85("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6");
        let pair = CurveKeyPair::from_secret(secret.unwrap_or_else(|e| panic!("{e}")));
        let text = keygen_text(&pair);
        let tail: Vec<&str> = text.lines().rev().take(6).collect();
        assert_eq!(
            tail,
            [
                "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
                "== CURVE SECRET KEY ==",
                "",
                "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
                "== CURVE PUBLIC KEY ==",
                "",
            ]
        );
        assert!(text.starts_with("This tool generates a CurveZMQ keypair"));
        assert!(text.ends_with("Lh6\n"));
    }
}
