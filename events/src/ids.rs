//! Ids derived from the caller's command id, never drawn at random.
//!
//! The caller gives every command an id (its idempotency key). The id of the `index`-th event
//! the command appends (counting from 0 across all its streams) is the UUIDv5 of the command id
//! and the index, so a retried command derives the same ids and the log can show which events
//! one command wrote.

use uuid::Uuid;

/// The UUIDv5 namespace of jejak's derived ids.
pub const NAMESPACE: Uuid = Uuid::from_u128(0xd437_d946_5f8f_5285_9a39_daeb_00ad_f193);

/// The id of the `index`-th event appended by `command_id`:
/// UUIDv5(NAMESPACE, the 16 bytes of the command id followed by the index as 4 big-endian bytes).
pub fn event_id(command_id: Uuid, index: u32) -> Uuid {
    let mut name = [0_u8; 20];
    name[..16].copy_from_slice(command_id.as_bytes());
    name[16..].copy_from_slice(&index.to_be_bytes());
    Uuid::new_v5(&NAMESPACE, &name)
}

/// An id derived from a command id and a label, for the things a command creates
/// (a participation, a grant): UUIDv5(NAMESPACE, command id bytes followed by the label).
pub fn derived_id(command_id: Uuid, label: &str) -> Uuid {
    let mut name = command_id.as_bytes().to_vec();
    name.extend_from_slice(label.as_bytes());
    Uuid::new_v5(&NAMESPACE, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_stable_and_distinct_per_index() {
        let command_id = Uuid::from_u128(42);
        assert_eq!(event_id(command_id, 0), event_id(command_id, 0));
        assert_ne!(event_id(command_id, 0), event_id(command_id, 1));
        assert_ne!(event_id(command_id, 0), event_id(Uuid::from_u128(43), 0));
        assert_eq!(event_id(command_id, 0).get_version_num(), 5);
    }

    #[test]
    fn derived_ids_depend_on_the_label() {
        let command_id = Uuid::from_u128(42);
        assert_ne!(derived_id(command_id, "participation"), derived_id(command_id, "grant"));
        assert_ne!(derived_id(command_id, "grant"), event_id(command_id, 0));
    }
}
