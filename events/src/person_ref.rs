//! Pseudonymous person references: no raw identifier enters the log.
//!
//! A person is named in events by `person_ref` = `p` followed by the first 32 hex digits of
//! HMAC-SHA256(key, kind ":" id), where `id` is the national prison database (SDP) person id
//! of an inmate or the registration id of a public applicant. The key lives outside the
//! database (a file or the environment, supplied by the shell): without it the refs cannot be
//! linked back to ids, and with it the same id always gives the same ref, across facilities and
//! custody episodes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The length of a key, in bytes.
pub const KEY_BYTES: usize = 32;

/// Which register an id comes from; refs of the two kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// An SDP person id (inmates).
    Sdp,
    /// A public applicant's registration id.
    Applicant,
}

impl IdKind {
    fn label(self) -> &'static str {
        match self {
            IdKind::Sdp => "sdp",
            IdKind::Applicant => "applicant",
        }
    }
}

/// The person ref of `id` under `key`.
pub fn person_ref(key: &[u8; KEY_BYTES], kind: IdKind, id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(kind.label().as_bytes());
    mac.update(b":");
    mac.update(id.trim().as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("p{}", &hex::encode(digest)[..32])
}

/// Whether `text` has the shape of a person ref: `p` and 32 lower-case hex digits.
pub fn is_person_ref(text: &str) -> bool {
    text.len() == 33
        && text.starts_with('p')
        && text[1..].bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_keyed_stable_and_separated_by_kind() {
        let key = [7_u8; KEY_BYTES];
        let other_key = [8_u8; KEY_BYTES];
        let sdp = person_ref(&key, IdKind::Sdp, "SDP-0001");
        assert!(is_person_ref(&sdp), "{sdp}");
        assert_eq!(sdp, person_ref(&key, IdKind::Sdp, " SDP-0001 "));
        assert_ne!(sdp, person_ref(&other_key, IdKind::Sdp, "SDP-0001"));
        assert_ne!(sdp, person_ref(&key, IdKind::Applicant, "SDP-0001"));
        assert!(!sdp.contains("0001"));
        assert!(!is_person_ref("p123"));
        assert!(!is_person_ref("SDP-0001"));
    }
}
