//! The recidivism view against a small history built by hand, with the expected table worked
//! out by hand below: rates, Wilson intervals, suppression, censoring, exclusions and group
//! precedence.
//!
//! Everyone was admitted on 2022-01-01 and, unless said otherwise, released as a sentenced
//! inmate (narapidana) on t0 = 2023-01-10. Cut-off 2025-12-31, waiting period 6 months.
//!
//! - Windows. 12 months: end 2024-01-10, mature (end + 6 months = 2024-07-10 ≤ cut-off).
//!   24 months: end 2025-01-10, mature (2025-07-10 ≤ cut-off). 36 months: end 2026-01-10, not
//!   mature (2026-07-10 > cut-off), so nobody is counted in it.
//! - Never nominated, N1–N12 (12 people):
//!   - N1–N6: offence 2023-06-01, convicted 2023-09-01: proven in both windows, 142 days after t0.
//!   - N7: offence 2023-11-01, convicted 2024-09-01: after 2024-07-10, so not proven for
//!     12 months; proven for 24 months (by 2025-07-10).
//!   - N8: offence 2022-12-01 (before t0): never counted.
//!   - N9: died 2023-05-01, no offence: censored in both windows, not in the denominator.
//!   - N10: offence 2023-02-01 (22 days), convicted 2023-04-01, died 2023-08-01: censored, but
//!     the outcome came before the death, so it counts and is in the denominator.
//!   - N11, N12: nothing.
//!   - 12 months: cohort 12, censored 2, full 10, denominator 10 + 1 = 11, outcome 7 (N1–N6, N10):
//!     rate 7/11 = 63.6%; Wilson: p = 0.6364, z² = 3.8415, centre = (0.6364 + 0.1746)/1.3492 =
//!     0.6011, half = 1.96 × sqrt(0.02104 + 0.00794)/1.3492 = 0.2473 → 35.4% to 84.8%; 63.6 per
//!     100; median of (22, 142 × 6) = 142 days.
//!   - 24 months: outcome 8 (N7 joins): 8/11 = 72.7%, 43.4% to 90.3%.
//! - Graduates, G1–G5: started and graduated in the episode. G1: offence 2023-07-01, convicted
//!   2023-10-01. 12 months: cohort 5, outcome 1 → suppressed (<5), so rate and interval
//!   withheld. With 5 people (< 30) no difference from the never-nominated group is shown.
//! - Non-completers, P1–P5: P1 started two packages in the episode: the first graduated (ended
//!   2022-10-01), the second ended for the participant's own reasons on 2022-12-01. The later
//!   one decides: P1 is a non-completer, not a graduate (else graduates would be 6 and
//!   non-completers 4, shown as <5). P2–P5 ended for own reasons. No offences: 0 of 5, 0.0%,
//!   0.0% to 43.4%.
//! - Nominated, not enrolled, W1–W5: nominated and waitlisted, never started: cohort 5.
//! - R1: nominated and rejected (in no group but "all"), released 2023-01-10, revoked
//!   2023-02-01, released again 2023-02-20: the second release is in the same quarter, so R1
//!   counts once and one exclusion is noted. Revocation in the 12-month window: 1 → <5.
//! - T1: a pre-trial detainee (tahanan) released 2023-01-10: excluded, noted.
//! - All: 12 + 5 + 5 + 5 + 1 = 28 in the cohort, censored 2, full 26, denominator 27.
//!   12 months: outcome 8 (N1–N6, N10, G1): 29.6%, 15.9% to 48.5%.
//!   24 months: outcome 9: 33.3%, 18.6% to 52.2%.
//! - Intention to treat: the graduates and the non-completers, 10.

use chrono::NaiveDate;
use events::Timestamp;
use events::catalogue::*;
use events::envelope::Source;
use events::state::{Fact, FactMeta};
use events::vocabulary::*;
use projections::projection::{Config, Replay};
use projections::report::{Cell, Options, Report};
use projections::views::{self, Input};
use uuid::Uuid;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

struct History {
    replay: Replay,
    next: u128,
}

impl History {
    fn new() -> History {
        History { replay: Replay::new(projections::people::DEF, Config::default()), next: 0 }
    }

    fn push(&mut self, stream_id: String, on: &str, event: impl Into<Event>) {
        self.next += 1;
        let occurred_at = Timestamp::start_of_day(date(on)).unwrap();
        let fact = Fact {
            event: event.into(),
            meta: FactMeta {
                stream_id,
                event_id: Uuid::from_u128(self.next),
                position: self.next as i64,
                actor: "sdp-import".to_owned(),
                role: "system".to_owned(),
                organisation: "SYSTEM".to_owned(),
                facility: Some("RUTAN-SOE".to_owned()),
                source: Source::Import,
                occurred_at,
                recorded_at: occurred_at,
                reason: None,
                document_ref: None,
            },
        };
        self.replay.apply_fact(&fact);
    }

    fn person(&mut self, name: &str, legal_status: LegalStatus) -> String {
        let person_ref =
            format!("p{:0>32}", name.bytes().map(|b| format!("{b:02x}")).collect::<String>());
        let episode = CustodyEpisodeRecorded {
            person_ref: person_ref.clone(),
            episode_ref: format!("reg-{name}"),
            facility: "RUTAN-SOE".to_owned(),
            admitted_on: date("2022-01-01"),
            legal_status,
            register_class: None,
            attributes: PersonAttributes::default(),
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), "2022-01-01", episode);
        person_ref
    }

    fn release(&mut self, person_ref: &str, on: &str, legal_status: LegalStatus) {
        let released = PersonReleased {
            person_ref: person_ref.to_owned(),
            facility: "RUTAN-SOE".to_owned(),
            release_type: ReleaseType::BebasMurni,
            released_on: date(on),
            legal_status,
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), on, released);
    }

    fn case(&mut self, person_ref: &str, offence: &str, conviction: Option<&str>) {
        self.next += 1;
        let case = NewCaseRecorded {
            person_ref: person_ref.to_owned(),
            case_id: Uuid::from_u128(0xca5e_0000 + self.next),
            offence_date: date(offence),
            arrest_date: None,
            conviction_date: conviction.map(date),
            readmission_date: None,
            offence_group: None,
            source: CaseSource::Sdp,
            sdp: None,
        };
        self.push(format!("person-{person_ref}"), conviction.unwrap_or(offence), case);
    }

    fn died(&mut self, person_ref: &str, on: &str) {
        self.push(
            format!("person-{person_ref}"),
            on,
            PersonDied { person_ref: person_ref.to_owned(), died_on: date(on), sdp: None },
        );
    }

    /// A participation nominated on `nominated`, and what became of it.
    fn participation(
        &mut self,
        person_ref: &str,
        nominated: &str,
        outcome: &str,
        ended: &str,
    ) -> Uuid {
        self.next += 1;
        let participation_id = Uuid::from_u128(0x9a00_0000 + self.next);
        let stream = format!("participation-{participation_id}");
        let nominated_event = ParticipantNominated {
            participation_id,
            package_id: Uuid::from_u128(1),
            person_ref: person_ref.to_owned(),
            custody_episode_ref: "reg".to_owned(),
            category: ParticipantCategory::Wbp,
            legal_status: LegalStatus::Narapidana,
            register_class: None,
            attributes: PersonAttributes::default(),
        };
        self.push(stream.clone(), nominated, nominated_event);
        match outcome {
            "waitlisted" => self.push(
                stream,
                nominated,
                ParticipantWaitlisted { participation_id, position: 1 },
            ),
            "rejected" => self.push(
                stream,
                nominated,
                NominationRejected { participation_id, reason: NominationRejectionReason::Other },
            ),
            _ => {
                self.push(
                    stream.clone(),
                    nominated,
                    ParticipationStarted { participation_id, started_on: date(nominated) },
                );
                if outcome == "graduate" {
                    let completed = TrainingCompleted {
                        participation_id,
                        completed_on: date(ended),
                        sessions_attended: 10,
                        sessions_expected: 10,
                        hours_attended: 40,
                    };
                    self.push(stream.clone(), ended, completed);
                    self.push(
                        stream,
                        ended,
                        ParticipantGraduated {
                            participation_id,
                            assessment_id: Uuid::from_u128(2),
                            graduated_on: date(ended),
                        },
                    );
                } else {
                    let reason = EndReason::MengundurkanDiri;
                    let ended_event = ParticipationEnded {
                        participation_id,
                        reason,
                        category: reason.category(),
                        system_only: false,
                        ended_on: date(ended),
                    };
                    self.push(stream, ended, ended_event);
                }
            }
        }
        participation_id
    }
}

fn build() -> Report {
    let mut history = History::new();
    let t0 = "2023-01-10";
    for n in 1..=12 {
        let person = history.person(&format!("N{n}"), LegalStatus::Narapidana);
        history.release(&person, t0, LegalStatus::Narapidana);
        match n {
            1..=6 => history.case(&person, "2023-06-01", Some("2023-09-01")),
            7 => history.case(&person, "2023-11-01", Some("2024-09-01")),
            8 => history.case(&person, "2022-12-01", Some("2023-03-01")),
            9 => history.died(&person, "2023-05-01"),
            10 => {
                history.case(&person, "2023-02-01", Some("2023-04-01"));
                history.died(&person, "2023-08-01");
            }
            _ => {}
        }
    }
    for n in 1..=5 {
        let person = history.person(&format!("G{n}"), LegalStatus::Narapidana);
        history.participation(&person, "2022-06-01", "graduate", "2022-09-01");
        history.release(&person, t0, LegalStatus::Narapidana);
        if n == 1 {
            history.case(&person, "2023-07-01", Some("2023-10-01"));
        }
    }
    for n in 1..=5 {
        let person = history.person(&format!("P{n}"), LegalStatus::Narapidana);
        if n == 1 {
            history.participation(&person, "2022-06-01", "graduate", "2022-10-01");
        }
        history.participation(&person, "2022-07-01", "non_completer", "2022-12-01");
        history.release(&person, t0, LegalStatus::Narapidana);
    }
    for n in 1..=5 {
        let person = history.person(&format!("W{n}"), LegalStatus::Narapidana);
        history.participation(&person, "2022-11-01", "waitlisted", "");
        history.release(&person, t0, LegalStatus::Narapidana);
    }
    let r1 = history.person("R1", LegalStatus::Narapidana);
    history.participation(&r1, "2022-11-01", "rejected", "");
    history.release(&r1, t0, LegalStatus::Narapidana);
    let revoked = IntegrationRevoked {
        person_ref: r1.clone(),
        revoked_on: date("2023-02-01"),
        reason: RevocationReason::PelanggaranSyarat,
        sdp: None,
    };
    history.push(format!("person-{r1}"), "2023-02-01", revoked);
    history.release(&r1, "2023-02-20", LegalStatus::Narapidana);
    let t1 = history.person("T1", LegalStatus::Tahanan);
    history.release(&t1, t0, LegalStatus::Tahanan);

    let replay = history.replay;
    let options = Options {
        cut_off: Some(date("2025-12-31")),
        waiting_months: Some(6),
        ..Options::default()
    };
    let input = Input {
        tables: &replay.tables,
        projection: projections::people::DEF,
        config: Config::default(),
        position: replay.position,
        hash: &replay.hash,
        as_of: date("2025-12-31"),
        options: &options,
    };
    (views::named("recidivism").unwrap().build)(&input)
}

/// The displayed cells of the table row for a group, window and outcome.
fn row(report: &Report, group: &str, window: i64, outcome: &str) -> Vec<String> {
    let table = &report.sections[0];
    let found = table.rows.iter().find(|r| {
        r[0] == Cell::text(group) && r[2] == Cell::Int(window) && r[3] == Cell::text(outcome)
    });
    let found = found.unwrap_or_else(|| panic!("no row {group} {window} {outcome}"));
    found[4..].iter().map(Cell::display).collect()
}

// Columns from index 4: cohort_n, full_follow_up_n, censored_n, outcome_n, rate, ci_low,
// ci_high, per_100, median_days, difference_vs_never_nominated.

#[test]
fn never_nominated_rates_intervals_and_censoring_match_the_hand_computation() {
    let report = build();
    assert_eq!(
        row(&report, "never_nominated", 12, "proven"),
        ["12", "10", "<5", "7", "63.6", "35.4", "84.8", "63.6", "142.0", ""]
    );
    assert_eq!(
        row(&report, "never_nominated", 24, "proven"),
        ["12", "10", "<5", "8", "72.7", "43.4", "90.3", "72.7", "142.0", ""]
    );
}

#[test]
fn the_whole_cohort_counts_everyone_once_per_quarter() {
    let report = build();
    assert_eq!(
        row(&report, "all", 12, "proven"),
        ["28", "26", "<5", "8", "29.6", "15.9", "48.5", "29.6", "142.0", ""]
    );
    assert_eq!(
        row(&report, "all", 24, "proven"),
        ["28", "26", "<5", "9", "33.3", "18.6", "52.2", "33.3", "142.0", ""]
    );
    assert_eq!(row(&report, "itt", 12, "proven")[0], "10");
}

#[test]
fn small_counts_are_suppressed_and_their_rates_withheld() {
    let report = build();
    assert_eq!(
        row(&report, "graduate", 12, "proven"),
        ["5", "5", "0", "<5", "<5", "<5", "<5", "<5", "<5", "insufficient numbers to compare"]
    );
    assert_eq!(row(&report, "all", 12, "revocation")[3..5], ["<5", "<5"]);
}

#[test]
fn the_participation_that_ended_last_decides_the_group() {
    let report = build();
    assert_eq!(
        row(&report, "non_completer", 12, "proven")[..6],
        ["5", "5", "0", "0", "0.0", "0.0"]
    );
    assert_eq!(row(&report, "non_completer", 12, "proven")[6], "43.4");
    assert_eq!(row(&report, "graduate", 12, "proven")[0], "5");
    assert_eq!(row(&report, "nominated_not_enrolled", 12, "proven")[0], "5");
}

#[test]
fn immature_windows_count_nobody_and_exclusions_are_stated() {
    let report = build();
    assert_eq!(row(&report, "all", 36, "proven")[..5], ["0", "0", "0", "0", ""]);
    let notes = report.notes.join("\n");
    assert!(notes.contains("1 releases of pre-trial detainees, 1 later releases of a person already in the same quarter's cohort"), "{notes}");
    assert!(notes.contains("not programme effects"), "the caveat is printed");
    assert!(notes.contains("Data cut-off: 2025-12-31"));
    assert_eq!(report.provenance.definition_version.as_deref(), Some("jejak-recidivism-1"));
}
