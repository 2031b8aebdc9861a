//! Puts the FMQR/1 specification where the crate's documentation includes
//! it (`$OUT_DIR/RELIABLE.md`, shown as the module `protocol`): taken from
//! the repository's `docs/RELIABLE.md` when built in the workspace, or from
//! the package root when built from a published package (`cargo package`
//! copies the `readme` there). Links into the repository's source tree
//! become plain text: there is no source tree beside the rendered docs.

use std::error::Error;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("no OUT_DIR")?);
    let found = [dir.join("../docs/RELIABLE.md"), dir.join("RELIABLE.md")]
        .into_iter()
        .find(|p| p.is_file());
    let text = match &found {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", path.display());
            unlink_relative(&fs::read_to_string(path)?)
        }
        None => {
            println!("cargo:rerun-if-changed=build.rs");
            "The FMQR/1 specification (`docs/RELIABLE.md`) was not found when \
             this crate was built."
                .to_owned()
        }
    };
    fs::write(out.join("RELIABLE.md"), text)?;
    Ok(())
}

/// `[text](../path)` becomes `text`.
fn unlink_relative(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(open) = rest.find('[') {
        let (before, after) = rest.split_at(open);
        let after = &after[1..];
        let link = after.find("](../").and_then(|close| {
            let text = &after[..close];
            let end = after[close..].find(')')? + close;
            (!text.contains(['[', ']', '\n'])).then_some((text, end))
        });
        out.push_str(before);
        match link {
            Some((text, end)) => {
                out.push_str(text);
                rest = &after[end + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
