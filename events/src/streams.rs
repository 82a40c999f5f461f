//! Stream ids, and the ids derived so that the streams themselves keep invariants.
//!
//! A participation is one person in one package, so its id is derived from the two:
//! a second nomination of the same person for the same package lands in the same stream, and
//! "one open participation per person and package" is guarded by that stream's version. A
//! grant's id is derived from its participation the same way ("one open grant per
//! participation").

use uuid::Uuid;

use crate::ids;

pub fn package(package_id: Uuid) -> String {
    format!("package-{package_id}")
}

pub fn participation(participation_id: Uuid) -> String {
    format!("participation-{participation_id}")
}

pub fn grant(grant_id: Uuid) -> String {
    format!("grant-{grant_id}")
}

pub fn person(person_ref: &str) -> String {
    format!("person-{person_ref}")
}

pub fn organisation(code: &str) -> String {
    format!("organisation-{}", code.to_ascii_lowercase())
}

/// The participation of `person_ref` in `package_id`.
pub fn participation_id(package_id: Uuid, person_ref: &str) -> Uuid {
    ids::derived_id(package_id, &format!("participation:{person_ref}"))
}

/// The grant of a participation.
pub fn grant_id(participation_id: Uuid) -> Uuid {
    ids::derived_id(participation_id, "grant")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let package_id = Uuid::from_u128(1);
        assert_eq!(participation_id(package_id, "p1"), participation_id(package_id, "p1"));
        assert_ne!(participation_id(package_id, "p1"), participation_id(package_id, "p2"));
        assert_ne!(participation_id(package_id, "p1"), participation_id(Uuid::from_u128(2), "p1"));
        let participation = participation_id(package_id, "p1");
        assert_ne!(grant_id(participation), participation);
        assert_eq!(organisation("RUTAN-SOE"), "organisation-rutan-soe");
    }
}
