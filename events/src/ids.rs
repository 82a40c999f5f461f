//! Ids derived from the caller's command id, never drawn at random.
//!
//! The caller gives every command an id (its idempotency key). The id of the `index`-th event
//! the command appends (counting from 0 across all its streams) is derived from the command id
//! and the index, so a retried command derives the same ids and the log can show which events
//! one command wrote.
//!
//! A command's events share the first half of their ids, so they sit side by side in the log's
//! unique index of event ids: an append of 45 events changes one or two pages of that index
//! instead of 45 scattered ones, each written to the write-ahead log in full
//! (docs/PERFORMANCE.md). Logs written before keep their ids (UUIDv5 of the command id and the
//! index); nothing reads an id's form, only its uniqueness, which the index still enforces.

use uuid::Uuid;

/// The UUIDv5 namespace of jejak's derived ids.
pub const NAMESPACE: Uuid = Uuid::from_u128(0xd437_d946_5f8f_5285_9a39_daeb_00ad_f193);

/// The id of the `index`-th event appended by `command_id`, a UUIDv8: its first eight bytes are
/// the command's, the first eight of `derived_id(command_id, "events")`; its last eight are the
/// event's, the last eight of UUIDv5(NAMESPACE, the 16 bytes of the command id followed by the
/// index as 4 big-endian bytes). The version and variant bits are then set as UUIDv8's.
pub fn event_id(command_id: Uuid, index: u32) -> Uuid {
    let mut name = [0_u8; 20];
    name[..16].copy_from_slice(command_id.as_bytes());
    name[16..].copy_from_slice(&index.to_be_bytes());
    let event = Uuid::new_v5(&NAMESPACE, &name);
    let mut bytes = *derived_id(command_id, "events").as_bytes();
    bytes[8..].copy_from_slice(&event.as_bytes()[8..]);
    Uuid::new_v8(bytes)
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
        assert_eq!(event_id(command_id, 0).get_version_num(), 8);
    }

    #[test]
    fn one_commands_event_ids_share_their_first_half() {
        let command_id = Uuid::from_u128(42);
        let first_half = |id: Uuid| id.as_bytes()[..8].to_vec();
        let ids: Vec<Uuid> = (0..45).map(|index| event_id(command_id, index)).collect();
        assert!(ids.iter().all(|id| first_half(*id) == first_half(ids[0])));
        let distinct: std::collections::BTreeSet<Uuid> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), 45);
        assert_ne!(first_half(event_id(Uuid::from_u128(43), 0)), first_half(ids[0]));
    }

    #[test]
    fn derived_ids_depend_on_the_label() {
        let command_id = Uuid::from_u128(42);
        assert_ne!(derived_id(command_id, "participation"), derived_id(command_id, "grant"));
        assert_ne!(derived_id(command_id, "grant"), event_id(command_id, 0));
    }
}
