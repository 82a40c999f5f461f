//! Checkpoints in the open formats transparency logs share (docs/checkpoints.md): a C2SP
//! `tlog-checkpoint` (the log's origin, its tree size and the root of its Merkle tree, then
//! extension lines) as the text of a C2SP `signed-note`, signed with Ed25519. Anyone with the
//! note and the log's verifier key can check it with any implementation of those
//! specifications; witnesses cosign the same text.
//!
//! Pure: text in, text out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// The signature type byte of Ed25519 in signed notes.
const ED25519: u8 = 0x01;
/// What starts a signature line: an em dash and a space.
const SIGNATURE_START: &str = "\u{2014} ";

/// Why a note or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("not a signed note: {0}")]
    Malformed(&'static str),
    #[error("signed by another key: the note carries no signature of {0} with the key given")]
    Unsigned(String),
    #[error(
        "the signature of {0} does not match the note: it was altered, or signed by another key"
    )]
    BadSignature(String),
    #[error("not a checkpoint: {0}")]
    NotCheckpoint(&'static str),
    #[error("a key name must be non-empty and hold no space, `+` or newline")]
    BadKeyName,
}

/// A C2SP tlog-checkpoint's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The log's name, unique to this deployment, e.g. `jejak.rutan-soe.example/log`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Further lines, each non-empty; jejak writes its chain head here.
    pub extensions: Vec<String>,
}

impl CheckpointBody {
    /// The note text: every line ends with a newline.
    pub fn text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root));
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    pub fn parse(text: &str) -> Result<CheckpointBody, NoteError> {
        let lines = text.strip_suffix('\n').ok_or(NoteError::NotCheckpoint("no final newline"))?;
        let mut lines = lines.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty());
        let origin = origin.ok_or(NoteError::NotCheckpoint("no origin line"))?.to_owned();
        let size = lines.next().ok_or(NoteError::NotCheckpoint("no tree size"))?;
        let canonical = size == "0" || (!size.starts_with('0') && !size.starts_with('+'));
        let size = size.parse().ok().filter(|_| canonical);
        let size = size.ok_or(NoteError::NotCheckpoint("the tree size is not a decimal number"))?;
        let root = lines.next().and_then(|r| STANDARD.decode(r).ok());
        let root = root.and_then(|r| Hash::try_from(r).ok());
        let root = root.ok_or(NoteError::NotCheckpoint("the root is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(NoteError::NotCheckpoint("an empty extension line"));
        }
        Ok(CheckpointBody { origin, size, root, extensions })
    }
}

fn check_name(name: &str) -> Result<(), NoteError> {
    let bad = name.is_empty() || name.chars().any(|c| c == '+' || c.is_whitespace());
    if bad { Err(NoteError::BadKeyName) } else { Ok(()) }
}

/// The key ID of an Ed25519 key named `name`: the first four bytes of
/// `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    typed_key_id(name, ED25519, key)
}

/// The key ID of a key of signature type `kind`: `SHA-256(name ‖ "\n" ‖ kind ‖ key)[..4]`.
pub(crate) fn typed_key_id(name: &str, kind: u8, key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([kind]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key as signed notes write it: `name+keyid(hex)+base64(0x01 ‖ public key)`.
pub fn verifier_key(name: &str, key: &VerifyingKey) -> Result<String, NoteError> {
    check_name(name)?;
    Ok(typed_verifier_key(name, ED25519, key))
}

/// `name+keyid(hex)+base64(kind ‖ public key)`.
pub(crate) fn typed_verifier_key(name: &str, kind: u8, key: &VerifyingKey) -> String {
    let mut typed = vec![kind];
    typed.extend_from_slice(key.as_bytes());
    let id = hex::encode(typed_key_id(name, kind, key));
    format!("{name}+{id}+{}", STANDARD.encode(typed))
}

/// Reads a verifier key (`name+keyid+base64`): the name and the key.
pub fn parse_verifier_key(text: &str) -> Result<(String, VerifyingKey), NoteError> {
    let bad = NoteError::Malformed("a verifier key is name+keyid+base64(0x01 ‖ key)");
    parse_typed_verifier_key(text, ED25519, bad)
}

/// Reads a verifier key of signature type `kind`; `bad` when it is not one.
pub(crate) fn parse_typed_verifier_key(
    text: &str,
    kind: u8,
    bad: NoteError,
) -> Result<(String, VerifyingKey), NoteError> {
    // The name holds no `+` and the key ID is hex; the base64 after them may hold `+`.
    let mut parts = text.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    check_name(name)?;
    let typed = STANDARD.decode(key).map_err(|_| bad.clone())?;
    let (&typed_kind, key) = typed.split_first().ok_or(bad.clone())?;
    let key: [u8; 32] = key.try_into().map_err(|_| bad.clone())?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| bad.clone())?;
    if typed_kind != kind || hex::encode(typed_key_id(name, kind, &key)) != id {
        return Err(bad);
    }
    Ok((name.to_owned(), key))
}

/// Signs `text` (each line ended by a newline) as `name`: the note is the text, a blank line
/// and the signature line `— name base64(key id ‖ signature)`.
pub fn sign(text: &str, name: &str, key: &SigningKey) -> Result<String, NoteError> {
    check_name(name)?;
    if !text.ends_with('\n') || text.contains("\n\n") {
        return Err(NoteError::Malformed(
            "the text must end with a newline and hold no blank line",
        ));
    }
    Ok(format!("{text}\n{}", signature_line(text, name, key)))
}

/// A signature line of `text` by `name`, with its newline: for a note signed by several.
pub fn signature_line(text: &str, name: &str, key: &SigningKey) -> String {
    let signature = key.sign(text.as_bytes());
    let mut signed = key_id(name, &key.verifying_key()).to_vec();
    signed.extend_from_slice(&signature.to_bytes());
    format!("{SIGNATURE_START}{name} {}\n", STANDARD.encode(signed))
}

/// Splits a note into its text and its signature lines.
pub fn split(note: &str) -> Result<(&str, Vec<&str>), NoteError> {
    let at = note.rfind("\n\n").ok_or(NoteError::Malformed("no blank line before signatures"))?;
    let (text, signatures) = (&note[..=at], &note[at + 2..]);
    let signatures =
        signatures.strip_suffix('\n').ok_or(NoteError::Malformed("no final newline"))?;
    let lines: Vec<&str> = signatures.split('\n').collect();
    if lines.iter().any(|line| !line.starts_with(SIGNATURE_START)) {
        return Err(NoteError::Malformed("a signature line does not start with an em dash"));
    }
    Ok((text, lines))
}

/// The text of `note` once the signature of `name` with `key` in it is checked.
pub fn open<'a>(note: &'a str, name: &str, key: &VerifyingKey) -> Result<&'a str, NoteError> {
    let (text, lines) = split(note)?;
    let id = key_id(name, key);
    for line in lines {
        let Some((signer, signature)) = line[SIGNATURE_START.len()..].split_once(' ') else {
            continue;
        };
        let Ok(bytes) = STANDARD.decode(signature) else { continue };
        if signer != name || bytes.len() != 68 || bytes[..4] != id {
            continue;
        }
        let signature = Signature::from_slice(&bytes[4..])
            .map_err(|_| NoteError::BadSignature(name.to_owned()))?;
        return match key.verify(text.as_bytes(), &signature) {
            Ok(()) => Ok(text),
            Err(_) => Err(NoteError::BadSignature(name.to_owned())),
        };
    }
    Err(NoteError::Unsigned(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn body() -> CheckpointBody {
        CheckpointBody {
            origin: "jejak.contoh/log".to_owned(),
            size: 530,
            root: [9; 32],
            extensions: vec!["jejak-chain 530 ab".to_owned()],
        }
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_reads_back() {
        let note = sign(&body().text(), "jejak.contoh/log", &key()).unwrap();
        assert!(note.starts_with("jejak.contoh/log\n530\n"));
        assert!(note.contains("\n\n\u{2014} jejak.contoh/log "));
        let text = open(&note, "jejak.contoh/log", &key().verifying_key()).unwrap();
        assert_eq!(CheckpointBody::parse(text).unwrap(), body());
        let vkey = verifier_key("jejak.contoh/log", &key().verifying_key()).unwrap();
        let (name, parsed) = parse_verifier_key(&vkey).unwrap();
        assert_eq!((name.as_str(), parsed), ("jejak.contoh/log", key().verifying_key()));
    }

    #[test]
    fn a_verifier_key_whose_base64_holds_a_plus_reads_back() {
        let key = (0u8..=255)
            .map(|seed| SigningKey::from_bytes(&[seed; 32]).verifying_key())
            .find(|key| verifier_key("k", key).unwrap().matches('+').count() > 2)
            .expect("some key's base64 holds a plus");
        let vkey = verifier_key("k", &key).unwrap();
        assert_eq!(parse_verifier_key(&vkey).unwrap(), ("k".to_owned(), key));
    }

    #[test]
    fn an_altered_note_or_another_key_is_refused() {
        let note = sign(&body().text(), "jejak.contoh/log", &key()).unwrap();
        let altered = note.replacen("530", "531", 1);
        let verifying = key().verifying_key();
        assert!(matches!(
            open(&altered, "jejak.contoh/log", &verifying),
            Err(NoteError::BadSignature(_))
        ));
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert!(matches!(open(&note, "jejak.contoh/log", &other), Err(NoteError::Unsigned(_))));
        assert!(matches!(open(&note, "lain", &verifying), Err(NoteError::Unsigned(_))));
    }

    #[test]
    fn a_checkpoint_with_a_non_canonical_size_or_a_short_root_is_refused() {
        for text in ["o\n0530\nAAAA\n", "o\n1\nAAAA\n", "o\n1\n", "\n1\nAAAA\n", "o\n1\nAAAA"] {
            assert!(CheckpointBody::parse(text).is_err(), "{text:?}");
        }
    }
}
