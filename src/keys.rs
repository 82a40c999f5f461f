//! The key that turns raw person ids into pseudonymous `person_ref`s.
//!
//! It never enters the database. It is read from a file (`--person-key-file`: 64 hex digits)
//! or from `JEJAK_PERSON_KEY` (64 hex digits). `jejak keygen-person` writes a new one. The demo
//! uses [`DEMO_PERSON_KEY`], a published key for fictional data only.

use std::path::Path;

use events::person_ref::KEY_BYTES;

/// The environment variable that holds the person key, as 64 hex digits.
pub const PERSON_KEY_VARIABLE: &str = "JEJAK_PERSON_KEY";

/// The key of the demo dataset. Public, so never use it for real people.
pub const DEMO_PERSON_KEY: [u8; KEY_BYTES] = *b"jejak-demo-key-fictional-data-00";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no person key: set {PERSON_KEY_VARIABLE} or pass --person-key-file (create one with `jejak keygen-person`)"
    )]
    Missing,
    #[error("cannot read the person key file {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("the person key must be 64 hex digits (32 bytes)")]
    Malformed,
}

/// The person key from `file`, or else from the environment.
pub fn person_key(file: Option<&Path>) -> Result<[u8; KEY_BYTES], KeyError> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|source| KeyError::Unreadable { path: path.display().to_string(), source })?,
        None => std::env::var(PERSON_KEY_VARIABLE).map_err(|_| KeyError::Missing)?,
    };
    parse_key(text.trim())
}

fn parse_key(text: &str) -> Result<[u8; KEY_BYTES], KeyError> {
    let bytes = hex::decode(text).map_err(|_| KeyError::Malformed)?;
    bytes.try_into().map_err(|_| KeyError::Malformed)
}

/// A new random key, as 64 hex digits.
pub fn new_key_hex() -> String {
    let bytes: [u8; KEY_BYTES] = std::array::from_fn(|_| rand::random());
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_64_hex_digits() {
        let key = new_key_hex();
        assert_eq!(parse_key(&key).unwrap().len(), 32);
        assert!(matches!(parse_key("abc"), Err(KeyError::Malformed)));
        assert!(matches!(parse_key(&"zz".repeat(32)), Err(KeyError::Malformed)));
        assert_ne!(new_key_hex(), new_key_hex());
    }
}
