//! Signed checkpoints: an Ed25519 signature over the chain head (position, hash, the head's
//! `recorded_at`) and the moment it was signed, handed to a second organisation so that even a
//! rewrite that recomputes every hash after an edit is caught (docs/checkpoints.md).
//!
//! The signed message is a short canonical text, so that any Ed25519 implementation (the
//! project's own Python verifier included) can check it:
//!
//! ```text
//! jejak-checkpoint-v1
//! position=1234
//! hash=<64 hex digits>
//! recorded_at=2026-11-28T01:02:03.456789Z
//! signed_at=2026-11-28T01:05:00.000000Z
//! ```
//!
//! Each line ends with `\n`. Keys are 32-byte Ed25519 seeds and public keys, written as hex.

use ed25519_dalek::{Signature, Signer};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The first line of every signed message: the format's name and version.
pub const CHECKPOINT_TAG: &str = "jejak-checkpoint-v1";

/// One signed checkpoint, as a line of a checkpoints file (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub position: i64,
    pub hash: String,
    pub recorded_at: Timestamp,
    pub signed_at: Timestamp,
    /// The signer's public key, hex.
    pub public_key: String,
    /// The Ed25519 signature of [`signed_message`], hex.
    pub signature: String,
}

/// Why a checkpoint or a key is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("a key must be 64 hex digits (32 bytes)")]
    BadKey,
    #[error("the signature is not 128 hex digits")]
    BadSignatureEncoding,
    #[error("signed by another key ({found}), not the expected one ({expected})")]
    OtherKey { expected: String, found: String },
    #[error("the signature does not match the checkpoint")]
    BadSignature,
}

/// The exact bytes that are signed.
pub fn signed_message(
    position: i64,
    hash: &str,
    recorded_at: Timestamp,
    signed_at: Timestamp,
) -> Vec<u8> {
    format!(
        "{CHECKPOINT_TAG}\nposition={position}\nhash={hash}\nrecorded_at={recorded_at}\nsigned_at={signed_at}\n"
    )
    .into_bytes()
}

fn key_bytes(hex_text: &str) -> Result<[u8; 32], CheckpointError> {
    let bytes = hex::decode(hex_text.trim()).map_err(|_| CheckpointError::BadKey)?;
    bytes.try_into().map_err(|_| CheckpointError::BadKey)
}

/// A signing key from its hex seed (the content of a key file).
pub fn signing_key(seed_hex: &str) -> Result<SigningKey, CheckpointError> {
    Ok(SigningKey::from_bytes(&key_bytes(seed_hex)?))
}

/// The public half of a seed, hex.
/// A public key written as hex.
pub fn verifying_key(public_key_hex: &str) -> Result<VerifyingKey, CheckpointError> {
    VerifyingKey::from_bytes(&key_bytes(public_key_hex)?).map_err(|_| CheckpointError::BadKey)
}

pub fn public_key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Signs the head `position`/`hash`/`recorded_at` at `signed_at`.
pub fn sign(
    key: &SigningKey,
    position: i64,
    hash: &str,
    recorded_at: Timestamp,
    signed_at: Timestamp,
) -> Checkpoint {
    let message = signed_message(position, hash, recorded_at, signed_at);
    Checkpoint {
        position,
        hash: hash.to_owned(),
        recorded_at,
        signed_at,
        public_key: public_key_hex(key),
        signature: hex::encode(key.sign(&message).to_bytes()),
    }
}

/// Signs any bytes (an evidence bundle's manifest) with the same key; the signature as hex.
pub fn sign_bytes(key: &SigningKey, bytes: &[u8]) -> String {
    hex::encode(key.sign(bytes).to_bytes())
}

impl Checkpoint {
    /// Checks that the checkpoint was signed by `public_key_hex` and not altered since.
    pub fn verify(&self, public_key_hex: &str) -> Result<(), CheckpointError> {
        let expected = hex::encode(key_bytes(public_key_hex)?);
        if self.public_key.to_ascii_lowercase() != expected {
            return Err(CheckpointError::OtherKey { expected, found: self.public_key.clone() });
        }
        let key = VerifyingKey::from_bytes(&key_bytes(public_key_hex)?)
            .map_err(|_| CheckpointError::BadKey)?;
        let signature: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(CheckpointError::BadSignatureEncoding)?;
        let message = signed_message(self.position, &self.hash, self.recorded_at, self.signed_at);
        key.verify_strict(&message, &Signature::from_bytes(&signature))
            .map_err(|_| CheckpointError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn the_rfc_8032_test_key_signs_and_verifies() {
        let key = signing_key(SEED).unwrap();
        // RFC 8032 §7.1, test 1: the public key of this seed.
        assert_eq!(
            public_key_hex(&key),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let checkpoint = sign(
            &key,
            42,
            &"ab".repeat(32),
            at("2026-11-28T01:02:03.456789Z"),
            at("2026-11-28T01:05:00Z"),
        );
        assert_eq!(checkpoint.verify(&public_key_hex(&key)), Ok(()));
    }

    #[test]
    fn any_change_to_a_signed_field_breaks_the_signature() {
        let key = signing_key(SEED).unwrap();
        let public = public_key_hex(&key);
        let original = sign(
            &key,
            42,
            &"ab".repeat(32),
            at("2026-11-28T01:02:03Z"),
            at("2026-11-28T01:05:00Z"),
        );
        let mut moved = original.clone();
        moved.position = 43;
        let mut rehashed = original.clone();
        rehashed.hash = "cd".repeat(32);
        let mut redated = original.clone();
        redated.signed_at = at("2026-11-29T01:05:00Z");
        for altered in [moved, rehashed, redated] {
            assert_eq!(altered.verify(&public), Err(CheckpointError::BadSignature));
        }
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_is_refused() {
        let other = signing_key(&"11".repeat(32)).unwrap();
        let checkpoint = sign(
            &other,
            1,
            &"ab".repeat(32),
            at("2026-11-28T01:02:03Z"),
            at("2026-11-28T01:05:00Z"),
        );
        let expected = public_key_hex(&signing_key(SEED).unwrap());
        assert!(matches!(checkpoint.verify(&expected), Err(CheckpointError::OtherKey { .. })));
        assert_eq!(signing_key("abc").err(), Some(CheckpointError::BadKey));
    }
}
