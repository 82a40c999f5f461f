//! Generated people for the property tests: releases of every type, cases with and without
//! convictions and readmissions, deaths, revocations and participations of every kind, and
//! the history they make.

use chrono::NaiveDate;
use events::catalogue::PersonAttributes;
use events::vocabulary::{AgeBand, LegalStatus, OffenceGroup, ReleaseType, Sex};
use proptest::prelude::*;

use super::{History, date};

pub const KINDS: [&str; 11] = [
    "pending",
    "rejected",
    "waitlisted",
    "approved",
    "accepted",
    "running",
    "graduate",
    "completed",
    "non_completer",
    "personal_exit",
    "administrative_exit",
];

pub fn day(offset: u32) -> NaiveDate {
    date("2022-01-01") + chrono::Days::new(u64::from(offset))
}

#[derive(Debug, Clone)]
pub struct Release {
    pub on: NaiveDate,
    pub convicted: bool,
    pub release_type: ReleaseType,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub offence: NaiveDate,
    pub conviction: Option<NaiveDate>,
    pub readmission: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Participation {
    pub nominated: NaiveDate,
    pub kind: &'static str,
    pub ended: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub releases: Vec<Release>,
    pub died: Option<NaiveDate>,
    pub cases: Vec<Case>,
    pub revoked: Vec<NaiveDate>,
    pub participations: Vec<Participation>,
}

pub fn release_type() -> impl Strategy<Value = ReleaseType> {
    prop_oneof![
        6 => Just(ReleaseType::BebasMurni),
        2 => Just(ReleaseType::PembebasanBersyarat),
        1 => Just(ReleaseType::CutiBersyarat),
        1 => Just(ReleaseType::CutiMenjelangBebas),
        1 => Just(ReleaseType::BebasDemiHukum),
        1 => Just(ReleaseType::PutusanBebas),
        1 => Just(ReleaseType::Lainnya),
    ]
}

pub fn person() -> impl Strategy<Value = Person> {
    // Days from 2022-01-01: releases up to early 2026 (some after the cut-off), offences and
    // deaths up to 2027, participations from the admission on, on days of their own.
    let releases = prop::collection::vec(
        (150u32..1550, prop::bool::weighted(0.9), release_type()).prop_map(
            |(d, convicted, release_type)| Release { on: day(d), convicted, release_type },
        ),
        1..3,
    );
    let case = (100u32..1800, prop::option::of(0u32..900), prop::option::of(0u32..900)).prop_map(
        |(d, conviction, readmission)| Case {
            offence: day(d),
            conviction: conviction.map(|c| day(d + c)),
            readmission: readmission.map(|r| day(d + r)),
        },
    );
    let participations =
        prop::collection::btree_map(0u32..1400, (0usize..KINDS.len(), 1u32..400), 0..3).prop_map(
            |by_day| {
                by_day
                    .into_iter()
                    .map(|(d, (kind, length))| Participation {
                        nominated: day(d),
                        kind: KINDS[kind],
                        ended: day(d + length),
                    })
                    .collect()
            },
        );
    (
        releases,
        prop::option::weighted(0.2, 150u32..1800),
        prop::collection::vec(case, 0..3),
        prop::collection::vec(150u32..1700, 0..2),
        participations,
    )
        .prop_map(|(mut releases, died, cases, revoked, participations)| {
            releases.sort_by_key(|r| r.on);
            releases.dedup_by_key(|r| r.on);
            let mut revoked: Vec<u32> = revoked;
            revoked.sort();
            revoked.dedup();
            Person {
                releases,
                died: died.map(day),
                cases,
                revoked: revoked.into_iter().map(day).collect(),
                participations,
            }
        })
}

/// The history of the people in the log, through the events the importer and staff write:
/// every other person a woman, age bands in turn, participations in two packages of two
/// skills in turn.
pub fn history(people: &[Person]) -> History {
    let mut history = History::new();
    history.package(1, "menjahit");
    history.package(2, "pangkas_rambut");
    for (n, person) in people.iter().enumerate() {
        let attributes = PersonAttributes {
            sex: Some(if n % 2 == 0 { Sex::LakiLaki } else { Sex::Perempuan }),
            age_band: Some([AgeBand::From18To25, AgeBand::From26To35][n % 3 / 2]),
            offence_group: Some(OffenceGroup::Pencurian),
            sentence_band: None,
        };
        let person_ref = history.person_with(&format!("P{n:03}"), attributes);
        history.package = uuid::Uuid::from_u128(1 + n as u128 % 2);
        for p in &person.participations {
            history.participation(
                &person_ref,
                &p.nominated.to_string(),
                p.kind,
                &p.ended.to_string(),
            );
        }
        for r in &person.releases {
            let status = if r.convicted { LegalStatus::Narapidana } else { LegalStatus::Tahanan };
            history.release_as(&person_ref, &r.on.to_string(), status, r.release_type, None);
        }
        for c in &person.cases {
            let (conviction, readmission) =
                (c.conviction.map(|d| d.to_string()), c.readmission.map(|d| d.to_string()));
            history.case_readmitted(
                &person_ref,
                &c.offence.to_string(),
                conviction.as_deref(),
                readmission.as_deref(),
            );
        }
        for r in &person.revoked {
            history.revoked(&person_ref, &r.to_string());
        }
        if let Some(died) = person.died {
            history.died(&person_ref, &died.to_string());
        }
    }
    history
}
