//! The `monthly` projection: the monthly report to the regional office (*laporan pembinaan
//! kemandirian*), kept as running counts per facility, month, skill and training partner.
//!
//! Two small indexes (package → facility, skill, partner; participation → package, facility,
//! inmate or not) let each fact find the count it moves.

use chrono::{Datelike, NaiveDate};
use events::catalogue::Event;
use events::state::Fact;
use events::vocabulary::ParticipantCategory;
use uuid::Uuid;

use crate::projection::{Config, ProjectionDef};
use crate::record;
use crate::table::{Key, Record, RowRef, TableDef, Tables};
use crate::value::Cell;

pub const DEF: ProjectionDef =
    ProjectionDef { name: "monthly", version: 1, tables, touches, apply, keeps: None };

record!(
    "monthly_packages" => MonthlyPackageRow {
        package_id: Uuid;
        facility: String,
        skill: String,
        provider: String,
    }
);

record!(
    "monthly_participations" => MonthlyParticipationRow {
        participation_id: Uuid;
        package_id: Uuid,
        facility: String,
        inmate: bool,
        certificates: i64,
        certified_on: Option<NaiveDate>,
    }
);

record!(
    /// Counts for one facility, month (`YYYY-MM`), skill and training partner.
    "monthly_counts" => MonthlyRow {
        facility: String,
        month: String,
        skill: String,
        provider: String;
        packages_run: i64,
        inmates_trained: i64,
        inmates_completed: i64,
        inmates_certified: i64,
        public_trained: i64,
    }
);

fn tables() -> Vec<TableDef> {
    vec![MonthlyPackageRow::def(), MonthlyParticipationRow::def(), MonthlyRow::def()]
}

fn id_key(id: Uuid) -> Key {
    vec![id.to_value()]
}

fn month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The month row a participation's fact on `date` moves, if its indexes are known.
fn month_key(tables: &Tables, participation_id: Uuid, date: NaiveDate) -> Option<Key> {
    let participation = tables.get::<MonthlyParticipationRow>(&id_key(participation_id))?;
    let package = tables.get::<MonthlyPackageRow>(&id_key(participation.package_id))?;
    Some(vec![
        participation.facility.to_value(),
        month(date).to_value(),
        package.skill.to_value(),
        package.provider.to_value(),
    ])
}

/// The participation index, then its package, then the month row.
fn follow(participation_id: Uuid, date: NaiveDate, tables: &Tables, out: &mut Vec<RowRef>) {
    out.push(RowRef::of::<MonthlyParticipationRow>(id_key(participation_id)));
    if let Some(participation) = tables.get::<MonthlyParticipationRow>(&id_key(participation_id)) {
        out.push(RowRef::of::<MonthlyPackageRow>(id_key(participation.package_id)));
    }
    if let Some(key) = month_key(tables, participation_id, date) {
        out.push(RowRef::of::<MonthlyRow>(key));
    }
}

fn stream_uuid(stream_id: &str) -> Option<Uuid> {
    stream_id.split_once('-').and_then(|(_, id)| id.parse().ok())
}

fn touches(fact: &Fact, tables: &Tables, out: &mut Vec<RowRef>) {
    use Event::*;
    match &fact.event {
        PackageDefined(e) => out.push(RowRef::of::<MonthlyPackageRow>(id_key(e.package_id))),
        PackageStarted(e) => {
            out.push(RowRef::of::<MonthlyPackageRow>(id_key(e.package_id)));
            if let Some(package) = tables.get::<MonthlyPackageRow>(&id_key(e.package_id)) {
                let key = vec![
                    package.facility.to_value(),
                    month(e.started_on).to_value(),
                    package.skill.to_value(),
                    package.provider.to_value(),
                ];
                out.push(RowRef::of::<MonthlyRow>(key));
            }
        }
        ParticipantNominated(e) => {
            out.push(RowRef::of::<MonthlyParticipationRow>(id_key(e.participation_id)));
        }
        PublicApplicantRegistered(e) => {
            out.push(RowRef::of::<MonthlyParticipationRow>(id_key(e.participation_id)));
            out.push(RowRef::of::<MonthlyPackageRow>(id_key(e.package_id)));
        }
        ParticipationStarted(e) => follow(e.participation_id, e.started_on, tables, out),
        TrainingCompleted(e) => follow(e.participation_id, e.completed_on, tables, out),
        CertificateIssued(e) => follow(e.participation_id, e.issued_on, tables, out),
        EventReversed(e) if e.reversed_event_type == "CertificateIssued" => {
            let Some(participation_id) = stream_uuid(&fact.meta.stream_id) else { return };
            let certified_on = tables
                .get::<MonthlyParticipationRow>(&id_key(participation_id))
                .and_then(|p| p.certified_on);
            out.push(RowRef::of::<MonthlyParticipationRow>(id_key(participation_id)));
            if let Some(date) = certified_on {
                follow(participation_id, date, tables, out);
            }
        }
        _ => {}
    }
}

fn apply(fact: &Fact, tables: &mut Tables, _config: &Config) {
    use Event::*;
    match &fact.event {
        PackageDefined(e) => tables.put(&MonthlyPackageRow {
            package_id: e.package_id,
            facility: e.facilities.first().cloned().unwrap_or_else(|| "-".to_owned()),
            skill: e.skill.clone(),
            provider: e.provider.clone(),
        }),
        PackageStarted(e) => {
            let Some(package) = tables.get::<MonthlyPackageRow>(&id_key(e.package_id)) else {
                return;
            };
            let key = vec![
                package.facility.to_value(),
                month(e.started_on).to_value(),
                package.skill.to_value(),
                package.provider.to_value(),
            ];
            count(tables, key, |row| row.packages_run += 1);
        }
        ParticipantNominated(e) => {
            let existing = tables.get::<MonthlyParticipationRow>(&id_key(e.participation_id));
            tables.put(&MonthlyParticipationRow {
                participation_id: e.participation_id,
                package_id: e.package_id,
                facility: fact.meta.facility.clone().unwrap_or_else(|| "-".to_owned()),
                inmate: e.category == ParticipantCategory::Wbp,
                certificates: existing.as_ref().map_or(0, |row| row.certificates),
                certified_on: existing.and_then(|row| row.certified_on),
            });
        }
        PublicApplicantRegistered(e) => {
            let facility = tables
                .get::<MonthlyPackageRow>(&id_key(e.package_id))
                .map_or_else(|| "-".to_owned(), |p| p.facility);
            tables.put(&MonthlyParticipationRow {
                participation_id: e.participation_id,
                package_id: e.package_id,
                facility,
                inmate: false,
                certificates: 0,
                certified_on: None,
            });
        }
        ParticipationStarted(e) => {
            let inmate = tables
                .get::<MonthlyParticipationRow>(&id_key(e.participation_id))
                .is_some_and(|p| p.inmate);
            if let Some(key) = month_key(tables, e.participation_id, e.started_on) {
                count(tables, key, |row| {
                    if inmate { row.inmates_trained += 1 } else { row.public_trained += 1 }
                });
            }
        }
        TrainingCompleted(e) => {
            let inmate = tables
                .get::<MonthlyParticipationRow>(&id_key(e.participation_id))
                .is_some_and(|p| p.inmate);
            if inmate && let Some(key) = month_key(tables, e.participation_id, e.completed_on) {
                count(tables, key, |row| row.inmates_completed += 1);
            }
        }
        CertificateIssued(e) => {
            let Some(mut participation) =
                tables.get::<MonthlyParticipationRow>(&id_key(e.participation_id))
            else {
                return;
            };
            participation.certificates += 1;
            let first = participation.certified_on.is_none();
            if first {
                participation.certified_on = Some(e.issued_on);
            }
            let inmate = participation.inmate;
            tables.put(&participation);
            if first
                && inmate
                && let Some(key) = month_key(tables, e.participation_id, e.issued_on)
            {
                count(tables, key, |row| row.inmates_certified += 1);
            }
        }
        EventReversed(e) if e.reversed_event_type == "CertificateIssued" => {
            let Some(participation_id) = stream_uuid(&fact.meta.stream_id) else { return };
            let Some(mut participation) =
                tables.get::<MonthlyParticipationRow>(&id_key(participation_id))
            else {
                return;
            };
            participation.certificates -= 1;
            if participation.certificates > 0 {
                tables.put(&participation);
                return;
            }
            let certified_on = participation.certified_on.take();
            tables.put(&participation);
            if let Some(date) = certified_on
                && participation.inmate
                && let Some(key) = month_key(tables, participation_id, date)
            {
                count(tables, key, |row| row.inmates_certified -= 1);
            }
        }
        _ => {}
    }
}

fn count(tables: &mut Tables, key: Key, change: impl FnOnce(&mut MonthlyRow)) {
    let mut row = tables.get::<MonthlyRow>(&key).unwrap_or_else(|| {
        let text = |index: usize| match &key[index] {
            crate::value::Value::Text(text) => text.clone(),
            _ => String::new(),
        };
        MonthlyRow {
            facility: text(0),
            month: text(1),
            skill: text(2),
            provider: text(3),
            packages_run: 0,
            inmates_trained: 0,
            inmates_completed: 0,
            inmates_certified: 0,
            public_trained: 0,
        }
    });
    change(&mut row);
    tables.put(&row);
}
