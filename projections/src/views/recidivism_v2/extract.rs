//! The evaluator's person-level extract of definition 2 (docs/reports.md, "The evaluator's
//! extract"; docs/vault.md): one row per release of the cohort period, in the cohort or
//! excluded and why, with the person's group, dates, outcomes and censoring in every window
//! and their time to the first proven reoffence — everything the report's cells are counted
//! from, so an evaluator can count them again. Nothing is withheld: the extract is not
//! published. The first column holds the person ref; the shell replaces it with a pseudonym
//! made for the extract alone before anything leaves the process.

use super::{EXCLUSIONS, LEAVES, TIERS, WAITING_MONTHS_DEFAULT, WINDOWS, cut_off, decide, follow};
use crate::report::{Cell, Report, Section};
use crate::views::Input;
use crate::views::people::{People, quarter};

/// The extract's view name and section.
pub const VIEW: &str = "recidivism_person_level";

/// Each column: its name, its type, and what it holds.
pub fn dictionary() -> Vec<(String, &'static str, String)> {
    let mut columns: Vec<(String, &'static str, String)> = [
        ("pseudonym", "text", "The person, by a pseudonym made for this extract alone: the same person has the same pseudonym in every row of this extract and another in any other extract."),
        ("released_on", "date", "The release date (t0 for a member of the cohort)."),
        ("release_quarter", "text", "The calendar quarter of the release, as YYYY-Qn."),
        ("release_type", "code", "bebas_murni, pembebasan_bersyarat, cuti_bersyarat, cuti_menjelang_bebas, bebas_demi_hukum, putusan_bebas or lainnya."),
        ("legal_status", "code", "The person's legal status when released (narapidana, anak_binaan, tahanan, …)."),
        ("facility", "code", "The facility released from."),
        ("in_cohort", "bool", "Whether the release is in the cohort."),
        ("exclusion", "code", "Why the release is not in the cohort: after_cut_off, pre_trial, acquitted, other_release_type or later_release; empty for a member."),
        ("group", "code", "The member's group (graduate, completed_not_competent, non_completer, administrative_exit, personal_exit, nominated_not_enrolled, nominated_not_approved, never_nominated); empty when excluded."),
        ("itt", "bool", "Whether the member started a package in the custody episode (intention to treat: the first five groups)."),
        ("from_sdp", "bool", "Whether the release was imported from an SDP extract (matched by the SDP number)."),
        ("grant_handed_over", "bool", "Whether a grant was handed over for a participation of the episode."),
        ("skill", "code", "The trade of the participation that sets the group; 'unknown' when its package is not in the log; empty for those who started none."),
        ("sex", "code", "The person's latest recorded sex; empty when never recorded or for an excluded release."),
        ("age_band", "code", "The person's latest recorded age band; empty when never recorded or for an excluded release."),
        ("offence_group", "code", "The person's latest recorded offence group; empty when never recorded or for an excluded release."),
        ("died_on", "date", "The date of death, when recorded; empty for an excluded release."),
    ]
    .into_iter()
    .map(|(name, kind, meaning)| (name.to_owned(), kind, meaning.to_owned()))
    .collect();
    for window in WINDOWS {
        columns.push((
            format!("full_{window}"),
            "bool",
            format!("Followed in full for the {window}-month window: its waiting period ended by the cut-off and the person was alive on its last day; empty when excluded."),
        ));
        for tier in TIERS {
            columns.push((
                format!("{tier}_{window}"),
                "bool",
                format!("With a {tier} outcome in the {window}-month window (see the report's definition); empty when not followed in full."),
            ));
            columns.push((
                format!("{tier}_count_{window}"),
                "integer",
                format!("The number of {tier} outcomes in the {window}-month window (the frequency's numerator); empty when not followed in full."),
            ));
            columns.push((
                format!("{tier}_days_{window}"),
                "integer",
                format!("Days from t0 to the first {tier} outcome in the {window}-month window; empty when none."),
            ));
        }
    }
    columns.push((
        "km_days".to_owned(),
        "integer",
        "Time to the first proven reoffence: days from t0 to the offence, or to the end of follow-up (death, or the cut-off less the waiting period); empty when not followed at all.".to_owned(),
    ));
    columns.push((
        "km_event".to_owned(),
        "bool",
        "Whether km_days ends with a proven reoffence (else it is censored).".to_owned(),
    ));
    columns
}

/// The extract: one section `people`, its first column the person ref.
pub fn build(input: &Input<'_>) -> Report {
    let people = People::load(input);
    let cut_off = cut_off(input);
    let waiting = input.options.waiting_months.unwrap_or(WAITING_MONTHS_DEFAULT);
    let names: Vec<String> = dictionary().into_iter().map(|(name, _, _)| name).collect();
    let columns: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut section = Section::new("people", "One row per release of the cohort period", &columns);
    for (release, decided) in decide(&people, cut_off) {
        let attribute = |field: fn(&crate::people::PersonRow) -> &Option<String>| {
            let person = people.persons.get(&release.person_ref);
            person.and_then(|p| field(p).clone()).map_or(Cell::Empty, Cell::text)
        };
        let mut row = vec![
            Cell::text(&release.person_ref),
            Cell::Date(release.released_on),
            Cell::text(quarter(release.released_on)),
            Cell::text(&release.release_type),
            Cell::text(&release.legal_status),
            Cell::text(&release.facility),
        ];
        let member = match decided {
            Err(reason) => {
                row.extend([Cell::Bool(false), Cell::text(EXCLUSIONS[reason].0)]);
                row.extend([Cell::Empty, Cell::Empty]);
                None
            }
            Ok(member) => {
                row.extend([Cell::Bool(true), Cell::Empty, Cell::text(LEAVES[member.leaf].0)]);
                row.push(Cell::Bool(member.in_row(1)));
                Some(member)
            }
        };
        row.push(Cell::Bool(release.from_sdp));
        row.push(member.as_ref().map_or(Cell::Empty, |m| Cell::Bool(m.grant_handed_over)));
        let skill = member.as_ref().filter(|m| m.in_row(1)).map(|m| m.skill.unwrap_or("unknown"));
        row.push(skill.map_or(Cell::Empty, Cell::text));
        // An excluded release carries no more of the person than its exclusion needs.
        if member.is_some() {
            row.push(attribute(|p| &p.sex));
            row.push(attribute(|p| &p.age_band));
            row.push(attribute(|p| &p.offence_group));
            row.push(people.died_on(&release.person_ref).map_or(Cell::Empty, Cell::Date));
        } else {
            row.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]);
        }
        row.extend(outcomes(&people, member.as_ref(), waiting, cut_off));
        section.push(row);
    }
    let mut parameters = input.options.parameters();
    parameters.insert("cut_off".to_owned(), cut_off.to_string());
    parameters.insert("waiting_months".to_owned(), waiting.to_string());
    Report {
        view: VIEW.to_owned(),
        title: "Recidivism, definition 2: the person-level extract for evaluators".to_owned(),
        provenance: input.provenance(Some(super::VERSION)),
        parameters,
        sections: vec![section],
        notes: super::definition_text(waiting),
    }
}

/// A member's window and time-to-event columns; empty for an excluded release.
fn outcomes(
    people: &People,
    member: Option<&super::Member<'_>>,
    waiting: u32,
    cut_off: chrono::NaiveDate,
) -> Vec<Cell> {
    let width = WINDOWS.len() * (1 + 3 * TIERS.len()) + 2;
    let Some(member) = member else { return vec![Cell::Empty; width] };
    let mut cells = Vec::with_capacity(width);
    for window in WINDOWS {
        let followed = follow(people, member, window, waiting, cut_off);
        cells.push(Cell::Bool(followed.full));
        for dates in &followed.outcomes {
            if !followed.full {
                cells.extend([Cell::Empty, Cell::Empty, Cell::Empty]);
                continue;
            }
            cells.push(Cell::Bool(!dates.is_empty()));
            cells.push(Cell::Int(dates.len() as i64));
            let first = dates.iter().min().map(|first| (*first - member.t0).num_days());
            cells.push(first.map_or(Cell::Empty, Cell::Int));
        }
    }
    let observed = super::super::recidivism_time::observation(
        people,
        member.person_ref,
        member.t0,
        waiting,
        cut_off,
    );
    cells.push(observed.map_or(Cell::Empty, |o| Cell::Int(o.days)));
    cells.push(observed.map_or(Cell::Empty, |o| Cell::Bool(o.event)));
    cells
}
