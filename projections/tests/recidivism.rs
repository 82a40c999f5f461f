//! The recidivism view, definition 1 (`--definition 1`), against a small history built by hand, with the expected table worked
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

mod people_history;

use events::vocabulary::*;
use people_history::{History, date, row};
use projections::report::{Options, Report};

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
    history.revoked(&r1, "2023-02-01");
    history.release(&r1, "2023-02-20", LegalStatus::Narapidana);
    let t1 = history.person("T1", LegalStatus::Tahanan);
    history.release(&t1, t0, LegalStatus::Tahanan);

    let options = Options {
        cut_off: Some(date("2025-12-31")),
        waiting_months: Some(6),
        definition: Some(1),
        ..Options::default()
    };
    history.report(&options, "2025-12-31")
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
