//! Views of the `people` projection: the recidivism release-cohort report (domain.md §(d), as
//! pinned by the projections issue), the population-stock indicator, and post-release follow-up.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};

use super::Input;
use crate::people::{
    CaseRow, ContactRow, PackageSkillRow, PersonParticipationRow, PersonRow, ReleaseRow,
    RevocationRow,
};
use crate::report::{Cell, Report, Section, count};

/// The people tables, with merged records followed to the surviving one.
pub(super) struct People {
    pub(super) persons: BTreeMap<String, PersonRow>,
    pub(super) releases: Vec<ReleaseRow>,
    pub(super) cases: BTreeMap<String, Vec<CaseRow>>,
    pub(super) revocations: BTreeMap<String, Vec<RevocationRow>>,
    pub(super) participations: BTreeMap<String, Vec<PersonParticipationRow>>,
    pub(super) contacts: BTreeMap<String, Vec<ContactRow>>,
    /// Every release of each person, whatever the filters, in date order: where a custody
    /// episode's participations end.
    pub(super) release_dates: BTreeMap<String, Vec<NaiveDate>>,
    /// Each package's trade.
    pub(super) skills: BTreeMap<uuid::Uuid, String>,
}

impl People {
    pub(super) fn load(input: &Input<'_>) -> People {
        let tables = input.tables;
        let persons: BTreeMap<String, PersonRow> =
            tables.all::<PersonRow>().map(|p| (p.person_ref.clone(), p)).collect();
        let canonical = |person_ref: &str| -> String {
            let mut current = person_ref.to_owned();
            for _ in 0..16 {
                match persons.get(&current).and_then(|p| p.merged_into.clone()) {
                    Some(next) => current = next,
                    None => break,
                }
            }
            current
        };
        let mut release_dates: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
        for release in tables.all::<ReleaseRow>() {
            release_dates
                .entry(canonical(&release.person_ref))
                .or_default()
                .push(release.released_on);
        }
        release_dates.values_mut().for_each(|dates| dates.sort());
        let mut releases: Vec<ReleaseRow> = tables
            .all::<ReleaseRow>()
            .filter(|release| input.facility_matches(Some(&release.facility)))
            .filter(|release| input.period_contains(release.released_on))
            .map(|release| ReleaseRow { person_ref: canonical(&release.person_ref), ..release })
            .collect();
        releases
            .sort_by(|a, b| (a.released_on, &a.person_ref).cmp(&(b.released_on, &b.person_ref)));
        let mut cases: BTreeMap<String, Vec<CaseRow>> = BTreeMap::new();
        for case in tables.all::<CaseRow>() {
            cases.entry(canonical(&case.person_ref)).or_default().push(case);
        }
        let mut revocations: BTreeMap<String, Vec<RevocationRow>> = BTreeMap::new();
        for revocation in tables.all::<RevocationRow>() {
            revocations.entry(canonical(&revocation.person_ref)).or_default().push(revocation);
        }
        let mut participations: BTreeMap<String, Vec<PersonParticipationRow>> = BTreeMap::new();
        for participation in tables.all::<PersonParticipationRow>() {
            participations
                .entry(canonical(&participation.person_ref))
                .or_default()
                .push(participation);
        }
        let mut contacts: BTreeMap<String, Vec<ContactRow>> = BTreeMap::new();
        for contact in tables.all::<ContactRow>() {
            contacts.entry(canonical(&contact.person_ref)).or_default().push(contact);
        }
        let skills = tables.all::<PackageSkillRow>().map(|p| (p.package_id, p.skill)).collect();
        People {
            persons,
            releases,
            cases,
            revocations,
            participations,
            contacts,
            release_dates,
            skills,
        }
    }

    pub(super) fn died_on(&self, person_ref: &str) -> Option<NaiveDate> {
        self.persons.get(person_ref).and_then(|p| p.died_on)
    }
}

pub(super) fn convicted(release: &ReleaseRow) -> bool {
    matches!(release.legal_status.as_str(), "narapidana" | "anak_binaan")
}

pub(super) fn quarter(date: NaiveDate) -> String {
    format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
}

pub(super) fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

pub(super) fn small(n: i64) -> bool {
    (1..=4).contains(&n)
}

/// The recidivism report's table of rates, as both definitions print it: a row per group,
/// window and outcome.
pub(super) fn rates_table() -> Section {
    Section::new(
        "table",
        "Post-release reoffending by release cohort (Laporan pengulangan tindak pidana pasca-bebas)",
        &[
            "group",
            "label",
            "window_months",
            "outcome",
            "cohort_n",
            "full_follow_up_n",
            "censored_n",
            "outcome_n",
            "rate_percent",
            "ci_low_percent",
            "ci_high_percent",
            "per_100",
            "median_days_to_first",
            "difference_vs_never_nominated",
        ],
    )
}

/// The recidivism release-cohort report, by the definition the options ask for (the latest
/// when none).
pub(super) fn recidivism(input: &Input<'_>) -> Report {
    match input.options.definition {
        Some(1) => super::recidivism_v1::build(input),
        _ => super::recidivism_v2::build(input),
    }
}

pub(super) fn stock(input: &Input<'_>) -> Report {
    let people = People::load(input);
    let mut section = Section::new(
        "facilities",
        "Persentase residivis dalam populasi (share of the current population with an earlier custody episode)",
        &["facility", "in_custody", "with_earlier_episode", "percent"],
    );
    let mut per_facility: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for person in people
        .persons
        .values()
        .filter(|p| p.in_custody && p.died_on.is_none() && p.merged_into.is_none())
    {
        let facility = person.facility.clone().unwrap_or_default();
        if !input.facility_matches(Some(&facility)) {
            continue;
        }
        // Any release before this admission, whatever period the report is asked for: the
        // indicator is about the population of the day, not about the releases of a period.
        let earlier = person.episodes > 1
            || people.release_dates.get(&person.person_ref).is_some_and(|dates| {
                person.admitted_on.is_some_and(|a| dates.first().is_some_and(|first| *first <= a))
            });
        let entry = per_facility.entry(facility).or_default();
        entry.0 += 1;
        entry.1 += i64::from(earlier);
    }
    for (facility, (population, earlier)) in per_facility {
        let percent = if small(population) || small(earlier) {
            Cell::Suppressed
        } else {
            Cell::percent(earlier, population)
        };
        section.push(vec![Cell::text(facility), count(population), count(earlier), percent]);
    }
    let notes = vec![
        "A stock measure of the population held on the day of the report, as officials quote it: not comparable with the release-cohort rates of the recidivism view, and never to be mixed with them.".to_owned(),
        "An earlier episode is one recorded in this system (an earlier custody episode, or a release before the current admission).".to_owned(),
    ];
    Report {
        view: "recidivism_stock".to_owned(),
        title: "Persentase residivis dalam populasi (population-stock indicator)".to_owned(),
        provenance: input.provenance(Some(super::RECIDIVISM_DEFINITION_VERSION)),
        parameters: input.options.parameters(),
        sections: vec![section],
        notes,
    }
}

pub(super) fn post_release(input: &Input<'_>) -> Report {
    super::recidivism_v2::post_release(input)
}
