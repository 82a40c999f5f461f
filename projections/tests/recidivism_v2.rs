//! Recidivism definition 2 (`jejak-recidivism-2`, docs/reports.md) against hand-worked
//! cases, each test named after the rule it checks.
//!
//! Unless said otherwise everyone is a sentenced inmate (narapidana) admitted on 2022-01-01
//! and released by bebas murni on t0 = 2023-01-10; cut-off 2025-12-31, waiting period 6
//! months. The 12-month window is [2023-01-10, 2024-01-10), its waiting period ends before
//! 2024-07-10; the 24-month window is [2023-01-10, 2025-01-10), waiting until 2025-07-10;
//! the 36-month window is not yet observed (2026-07-10 > cut-off). People come five alike so
//! that no count falls from 1 to 4 unless a test wants one to.

mod people_history;

use events::catalogue::PersonAttributes;
use events::vocabulary::{LegalStatus, ReleaseType, Sex};
use people_history::{History, date, row, section_row};
use projections::report::{Cell, Options, Report};

const T0: &str = "2023-01-10";

fn options() -> Options {
    Options { cut_off: Some(date("2025-12-31")), waiting_months: Some(6), ..Options::default() }
}

/// `n` people named `{name}{i}`, each released on t0 after `before` and then `after` is done
/// to them.
fn people(
    history: &mut History,
    name: &str,
    n: usize,
    before: impl Fn(&mut History, &str),
    after: impl Fn(&mut History, &str),
) {
    for i in 0..n {
        let person = history.person(&format!("{name}{i}"), LegalStatus::Narapidana);
        before(history, &person);
        history.release(&person, T0, LegalStatus::Narapidana);
        after(history, &person);
    }
}

fn nothing(_: &mut History, _: &str) {}

fn report(history: &History) -> Report {
    history.report(&options(), "2025-12-31")
}

// Columns of `row` from index 0: cohort_n, full_follow_up_n, censored_n, outcome_n, rate,
// ci_low, ci_high, per_100, median_days, difference_vs_never_nominated.

#[test]
fn death_after_a_reoffence_and_death_without_one_are_censored_alike() {
    let mut history = History::new();
    people(&mut history, "A", 5, nothing, |h, p| {
        h.case(p, "2023-03-01", Some("2023-05-01"));
        h.died(p, "2023-08-01");
    });
    people(&mut history, "B", 5, nothing, |h, p| h.died(p, "2023-08-01"));
    people(&mut history, "C", 10, nothing, nothing);
    let report = report(&history);
    // Both deaths are inside both windows: 10 censored, the reoffence before death not
    // counted, the rate over the ten followed in full.
    assert_eq!(row(&report, "all", 12, "proven")[..5], ["20", "10", "10", "0", "0.0"]);
    assert_eq!(row(&report, "all", 24, "proven")[..5], ["20", "10", "10", "0", "0.0"]);
}

#[test]
fn death_on_the_windows_last_day_censors_it_and_a_death_the_day_after_does_not() {
    let mut history = History::new();
    // The 12-month window's last day is 2024-01-09.
    people(&mut history, "L", 5, nothing, |h, p| h.died(p, "2024-01-09"));
    people(&mut history, "M", 5, nothing, |h, p| h.died(p, "2024-01-10"));
    people(&mut history, "C", 10, nothing, nothing);
    let report = report(&history);
    assert_eq!(row(&report, "all", 12, "proven")[..3], ["20", "15", "5"]);
    assert_eq!(row(&report, "all", 24, "proven")[..3], ["20", "10", "10"]);
}

#[test]
fn acquittal_and_other_releases_are_excluded_and_counted() {
    let mut history = History::new();
    for (name, release_type) in [
        ("M", ReleaseType::BebasMurni),
        ("P", ReleaseType::PembebasanBersyarat),
        ("A", ReleaseType::PutusanBebas),
        ("O", ReleaseType::Lainnya),
    ] {
        for i in 0..5 {
            let person = history.person(&format!("{name}{i}"), LegalStatus::Narapidana);
            history.release_as(&person, T0, LegalStatus::Narapidana, release_type, None);
        }
    }
    let report = report(&history);
    assert_eq!(row(&report, "all", 12, "proven")[0], "10");
    let cohorts = &report.sections[1];
    let total = cohorts.rows.last().unwrap();
    let column = |name: &str| cohorts.columns.iter().position(|c| c == name).unwrap();
    assert_eq!(total[0], Cell::text("total"));
    assert_eq!(total[column("in_cohort")], Cell::Int(10));
    assert_eq!(total[column("excluded_acquitted")], Cell::Int(5));
    assert_eq!(total[column("excluded_other_release_type")], Cell::Int(5));
    let notes = report.notes.join("\n");
    assert!(notes.contains("released by acquittal (putusan bebas): 5"), "{notes}");
    assert!(notes.contains("another release type (lainnya): 5"), "{notes}");
}

#[test]
fn an_offence_on_the_release_day_is_in_the_window() {
    let mut history = History::new();
    people(&mut history, "D", 5, nothing, |h, p| h.case(p, T0, Some("2023-03-01")));
    people(&mut history, "C", 5, nothing, nothing);
    let report = report(&history);
    let cells = row(&report, "all", 12, "proven");
    assert_eq!(cells[..5], ["10", "10", "0", "5", "50.0"]);
    assert_eq!(cells[8], "0.0", "the median days from t0 to the offence");
}

#[test]
fn a_conviction_on_the_last_day_of_the_waiting_period_counts_and_the_day_after_does_not() {
    let mut history = History::new();
    // The 12-month window's waiting period ends with 2024-07-09.
    people(&mut history, "L", 5, nothing, |h, p| h.case(p, "2023-12-01", Some("2024-07-09")));
    people(&mut history, "N", 5, nothing, |h, p| h.case(p, "2023-12-01", Some("2024-07-10")));
    people(&mut history, "C", 10, nothing, nothing);
    let report = report(&history);
    assert_eq!(row(&report, "all", 12, "proven")[3], "5");
    assert_eq!(row(&report, "all", 24, "proven")[3], "10", "both convicted by 2025-07-10");
}

#[test]
fn two_offences_in_one_window_count_two_in_the_frequency_and_one_in_the_rate() {
    let mut history = History::new();
    people(&mut history, "T", 5, nothing, |h, p| {
        h.case(p, "2023-03-01", Some("2023-05-01"));
        h.case(p, "2023-06-01", Some("2023-08-01"));
    });
    people(&mut history, "C", 5, nothing, nothing);
    let cells = row(&report(&history), "all", 12, "proven");
    assert_eq!(cells[3..5], ["5", "50.0"]);
    assert_eq!(cells[7], "100.0", "ten offences per ten people followed");
}

#[test]
fn of_two_participations_in_one_episode_the_one_that_ended_last_decides() {
    let mut history = History::new();
    people(
        &mut history,
        "G",
        5,
        |h, p| {
            h.participation(p, "2022-06-01", "non_completer", "2022-08-01");
            h.participation(p, "2022-07-01", "graduate", "2022-11-01");
        },
        nothing,
    );
    people(
        &mut history,
        "N",
        5,
        |h, p| {
            h.participation(p, "2022-06-01", "graduate", "2022-09-01");
            h.participation(p, "2022-07-01", "non_completer", "2022-12-01");
        },
        nothing,
    );
    let report = report(&history);
    assert_eq!(row(&report, "graduate", 12, "proven")[0], "5");
    assert_eq!(row(&report, "non_completer", 12, "proven")[0], "5");
    assert_eq!(row(&report, "itt", 12, "proven")[0], "10");
}

#[test]
fn a_nomination_after_a_revocation_readmission_is_not_counted_toward_the_earlier_release() {
    let mut history = History::new();
    for i in 0..5 {
        let person = history.person(&format!("R{i}"), LegalStatus::Narapidana);
        let pb = ReleaseType::PembebasanBersyarat;
        history.release_as(&person, T0, LegalStatus::Narapidana, pb, None);
        history.revoked(&person, "2023-03-01");
        history.participation(&person, "2023-04-01", "graduate", "2023-07-01");
        history.release(&person, "2023-09-01", LegalStatus::Narapidana);
    }
    let report = report(&history);
    // The first release is the cohort's; the graduation belongs to the second, excluded.
    assert_eq!(row(&report, "never_nominated", 12, "proven")[0], "5");
    assert_eq!(row(&report, "graduate", 12, "proven")[0], "0");
    assert_eq!(row(&report, "all", 12, "revocation")[3], "5");
    let total = report.sections[1].rows.last().unwrap().clone();
    let later = report.sections[1].columns.iter().position(|c| c == "excluded_later_release");
    assert_eq!(total[later.unwrap()], Cell::Int(5));
}

#[test]
fn the_leaf_groups_partition_the_cohort_and_intention_to_treat_is_the_first_five() {
    let mut history = History::new();
    let ways: [(&str, &str, &str); 11] = [
        ("graduate", "2022-06-01", "2022-09-01"),
        ("completed", "2022-06-01", "2022-09-01"),
        ("non_completer", "2022-06-01", "2022-09-01"),
        ("administrative_exit", "2022-06-01", "2022-09-01"),
        ("running", "2022-12-01", ""),
        ("personal_exit", "2022-06-01", "2022-09-01"),
        ("accepted", "2022-12-01", ""),
        ("waitlisted", "2022-12-01", ""),
        ("rejected", "2022-12-01", ""),
        ("pending", "2022-12-01", ""),
        ("none", "", ""),
    ];
    for (name, nominated, ended) in ways {
        people(
            &mut history,
            name,
            5,
            |h, p| {
                if name != "none" {
                    h.participation(p, nominated, name, ended);
                }
            },
            nothing,
        );
    }
    let report = report(&history);
    let n = |group: &str| row(&report, group, 12, "proven")[0].parse::<i64>().unwrap();
    let expected = [
        ("graduate", 5),
        ("completed_not_competent", 5),
        ("non_completer", 5),
        ("administrative_exit", 10), // ended administratively, or still running at release
        ("personal_exit", 5),
        ("nominated_not_enrolled", 10), // accepted or waitlisted, never started
        ("nominated_not_approved", 10), // rejected, or undecided at release
        ("never_nominated", 5),
    ];
    for (group, count) in expected {
        assert_eq!(n(group), count, "{group}");
    }
    assert_eq!(n("all"), expected.iter().map(|(_, c)| c).sum::<i64>());
    assert_eq!(n("itt"), expected[..5].iter().map(|(_, c)| c).sum::<i64>());
}

#[test]
fn a_competence_result_recorded_after_release_counts_for_training_completed_before_it() {
    let mut history = History::new();
    people(
        &mut history,
        "K",
        5,
        |h, p| {
            h.participation(p, "2022-06-01", "completed", "2022-12-01");
        },
        nothing,
    );
    // The results come in after the release.
    let ids: Vec<_> = history
        .replay
        .tables
        .all::<projections::people::PersonParticipationRow>()
        .map(|row| row.participation_id)
        .collect();
    for id in ids {
        history.graduated(id, "2023-03-01");
    }
    let report = report(&history);
    assert_eq!(row(&report, "graduate", 12, "proven")[0], "5");
    assert_eq!(row(&report, "completed_not_competent", 12, "proven")[0], "0");
}

#[test]
fn the_default_cut_off_is_the_latest_sdp_extract_not_the_last_event() {
    let mut history = History::new();
    for i in 0..5 {
        let person = history.person(&format!("S{i}"), LegalStatus::Narapidana);
        let bm = ReleaseType::BebasMurni;
        history.release_as(&person, T0, LegalStatus::Narapidana, bm, Some("2025-06-30"));
        // A correction typed long after the extract moves nothing.
        history.case(&person, "2023-02-01", Some("2026-02-01"));
    }
    let report = history.report(&Options::default(), "2026-03-01");
    assert_eq!(report.parameters["cut_off"], "2025-06-30");
    let notes = report.notes.join("\n");
    assert!(notes.contains("Data cut-off: 2025-06-30 (the date of the latest SDP extract)"));
    assert!(notes.contains("SDP extract date: 2025-06-30"), "{notes}");
    assert!(notes.contains("the release of 100.0% of the cohort came from an SDP extract"));
    // Convicted after the cut-off: not proven in any window observed by it.
    assert_eq!(row(&report, "all", 12, "proven")[..4], ["5", "5", "0", "0"]);
}

#[test]
fn the_default_cut_off_is_the_earlier_of_the_sdp_extract_and_the_bapas_data() {
    let mut history = History::new();
    for i in 0..5 {
        let person = history.person(&format!("S{i}"), LegalStatus::Narapidana);
        let bm = ReleaseType::BebasMurni;
        history.release_as(&person, T0, LegalStatus::Narapidana, bm, Some("2025-06-30"));
        history.contact(&person, "2025-03-31");
    }
    let report = history.report(&Options::default(), "2026-03-01");
    assert_eq!(report.parameters["cut_off"], "2025-03-31");
    let notes = report.notes.join("\n");
    assert!(notes.contains("(the date of the Bapas data, the earlier)"), "{notes}");
    assert!(notes.contains("Bapas data date (the day the latest follow-up contact or Bapas case was recorded): 2025-03-31"));
    // A later Bapas record moves the Bapas date; the SDP extract, now the earlier, decides.
    let person = history.person("S9", LegalStatus::Narapidana);
    history.contact(&person, "2025-11-30");
    let report = history.report(&Options::default(), "2026-03-01");
    assert_eq!(report.parameters["cut_off"], "2025-06-30");
}

#[test]
fn nothing_is_shown_of_a_group_whose_size_is_withheld() {
    let mut history = History::new();
    people(
        &mut history,
        "G",
        3,
        |h, p| {
            h.participation(p, "2022-06-01", "graduate", "2022-09-01");
        },
        nothing,
    );
    people(&mut history, "C", 10, nothing, nothing);
    let report = report(&history);
    let cells = row(&report, "graduate", 12, "proven");
    // A 0 beside "<5 graduates" would say none of them reoffended.
    assert!(cells[..4].iter().all(|c| c == "<5" || c == "x"), "{cells:?}");
    assert!(cells[4..8].iter().all(|c| c == "<5" || c == "x"), "{cells:?}");
}

#[test]
fn a_number_followed_from_1_to_4_withholds_the_censored_count_that_would_give_it_away() {
    let mut history = History::new();
    // Ten people; seven die in the first window: three followed in full.
    people(&mut history, "D", 7, nothing, |h, p| h.died(p, "2023-05-01"));
    people(&mut history, "C", 3, nothing, nothing);
    let report = report(&history);
    let cells = row(&report, "all", 12, "proven");
    assert_eq!(cells[1], "<5");
    assert_ne!(cells[0..3], ["10".to_owned(), "<5".to_owned(), "7".to_owned()]);
    assert!(cells[0] == "x" || cells[2] == "x", "cohort or censored withheld: {cells:?}");
}

#[test]
fn definition_1_is_still_computable_for_published_figures() {
    let mut history = History::new();
    people(&mut history, "C", 5, nothing, nothing);
    let v1 = history.report(&Options { definition: Some(1), ..options() }, "2025-12-31");
    let v2 = report(&history);
    assert_eq!(v1.provenance.definition_version.as_deref(), Some("jejak-recidivism-1"));
    assert_eq!(v2.provenance.definition_version.as_deref(), Some("jejak-recidivism-2"));
    assert!(v1.sections[0].rows.iter().all(|r| r[0] != Cell::text("nominated_not_approved")));
}

#[test]
fn time_to_the_first_proven_reoffence_uses_everyone_followed_so_far() {
    let mut history = History::new();
    // Five reoffend 50 days after release (convicted soon after); five do not, followed to the
    // cut-off less the waiting period (2025-06-30). Kaplan-Meier: 50% not reoffended from day
    // 50; Greenwood: 5 / (10 × 5) = 0.1, se = √0.1 / ln 2 = 0.45622, interval
    // 0.5^exp(±1.96 × 0.45621) = 0.5^2.4453 to 0.5^0.40895 = 18.4% to 75.3%.
    people(&mut history, "R", 5, nothing, |h, p| h.case(p, "2023-03-01", Some("2023-06-01")));
    people(&mut history, "C", 5, nothing, nothing);
    let report = report(&history);
    let section = report.sections.iter().find(|s| s.name == "time_to_first_proven").unwrap();
    let at = |group: &str, months: i64| -> Vec<String> {
        let row =
            section.rows.iter().find(|r| r[0] == Cell::text(group) && r[1] == Cell::Int(months));
        row.unwrap()[2..].iter().map(Cell::display).collect()
    };
    assert_eq!(at("all", 6), ["5", "5", "50.0", "18.4", "75.3"]);
    assert_eq!(at("never_nominated", 24), ["5", "5", "50.0", "18.4", "75.3"]);
    // 36 months after release is past 2025-06-30: no one is followed that long.
    assert_eq!(at("all", 36), ["0", "5", "", "", ""]);
    assert_eq!(at("graduate", 6), ["0", "0", "", "", ""]);
}

/// `n` people released on t0 with these attributes, in group `outcome` (`none`: never
/// nominated), `reoffending` of them with a proven reoffence in the first window.
fn group_of(
    history: &mut History,
    name: &str,
    n: usize,
    (sex, outcome, release_type): (Sex, &str, ReleaseType),
    reoffending: usize,
) {
    for i in 0..n {
        let attributes = PersonAttributes { sex: Some(sex), ..PersonAttributes::default() };
        let person = history.person_with(&format!("{name}{i}"), attributes);
        if outcome != "none" {
            history.participation(&person, "2022-06-01", outcome, "2022-09-01");
        }
        history.release_as(&person, T0, LegalStatus::Narapidana, release_type, None);
        if i < reoffending {
            history.case(&person, "2023-03-01", Some("2023-06-01"));
        }
    }
}

fn forty_graduates_and_forty_never_nominated() -> History {
    let mut history = History::new();
    let graduate = (Sex::LakiLaki, "graduate", ReleaseType::BebasMurni);
    group_of(&mut history, "G", 40, graduate, 10);
    let never = (Sex::LakiLaki, "none", ReleaseType::BebasMurni);
    group_of(&mut history, "N", 40, never, 20);
    history
}

/// 10 of 40 against 20 of 40: −25 points, Newcombe's interval −43.3 to −3.8 (by hand from
/// the two Wilson intervals, 0.1408–0.4036 and 0.3519–0.6481).
#[test]
fn a_difference_is_shown_with_newcombes_interval_when_both_groups_reach_the_minimum() {
    let report = report(&forty_graduates_and_forty_never_nominated());
    let found = section_row(&report, "comparisons", &["graduate", "never_nominated", "12"]);
    let figures: Vec<&str> = [
        "group_n",
        "group_reoffended_n",
        "group_rate_percent",
        "comparison_n",
        "comparison_reoffended_n",
        "comparison_rate_percent",
        "difference_points",
        "ci_low_points",
        "ci_high_points",
        "note",
    ]
    .iter()
    .map(|column| found[*column].as_str())
    .collect();
    assert_eq!(figures, ["40", "10", "25.0", "40", "20", "50.0", "-25.0", "-43.3", "-3.8", ""]);
}

#[test]
fn below_the_minimum_size_the_definitions_words_replace_the_difference() {
    let history = forty_graduates_and_forty_never_nominated();
    let options = Options { comparison_min: Some(41), ..options() };
    let report = history.report(&options, "2025-12-31");
    let found = section_row(&report, "comparisons", &["graduate", "never_nominated", "12"]);
    assert_eq!(found["group_rate_percent"], "25.0");
    assert_eq!(found["difference_points"], "");
    assert_eq!(found["note"], "insufficient numbers to compare");
    assert!(report.sections.iter().any(|s| s.title.contains("not a programme effect")));
}

/// Starters released on parole are compared with the never nominated released on parole,
/// not with every never-nominated person.
#[test]
fn a_breakdown_by_release_type_compares_within_the_same_release_type() {
    let mut history = History::new();
    let parole = ReleaseType::PembebasanBersyarat;
    group_of(&mut history, "G", 30, (Sex::LakiLaki, "graduate", parole), 6);
    group_of(&mut history, "N", 30, (Sex::LakiLaki, "none", parole), 15);
    group_of(&mut history, "M", 30, (Sex::LakiLaki, "none", ReleaseType::BebasMurni), 0);
    let report = report(&history);
    let keys = ["release_type", "pembebasan_bersyarat", "itt", "never_nominated", "12"];
    let found = section_row(&report, "breakdowns", &keys);
    assert_eq!(
        [&found["group_n"], &found["comparison_n"], &found["comparison_reoffended_n"]],
        ["30", "30", "15"]
    );
    assert_eq!(found["difference_points"], "-30.0");
    let keys = ["grant", "not_handed_over", "itt", "never_nominated", "12"];
    let found = section_row(&report, "breakdowns", &keys);
    assert_eq!([&found["group_n"], &found["comparison_n"]], ["30", "60"]);
}

/// Men reoffend more here, and graduates are half women while the cohort is five sevenths
/// men: standardised to the cohort's sex mix, graduates' rate rises from 25% to 35.7%
/// (5/7 × 50% + 2/7 × 0%).
#[test]
fn a_rate_is_standardised_to_the_sex_and_age_mix_of_the_whole_cohort() {
    let mut history = History::new();
    let bm = ReleaseType::BebasMurni;
    group_of(&mut history, "GL", 10, (Sex::LakiLaki, "graduate", bm), 5);
    group_of(&mut history, "GP", 10, (Sex::Perempuan, "graduate", bm), 0);
    group_of(&mut history, "CL", 10, (Sex::LakiLaki, "completed", bm), 0);
    group_of(&mut history, "NL", 30, (Sex::LakiLaki, "none", bm), 6);
    group_of(&mut history, "NP", 10, (Sex::Perempuan, "none", bm), 0);
    let report = report(&history);
    let graduates = section_row(&report, "standardised", &["graduate", "12"]);
    assert_eq!(graduates["standard_n"], "70");
    assert_eq!(graduates["crude_rate_percent"], "25.0");
    assert_eq!(graduates["standardised_rate_percent"], "35.7");
    let never = section_row(&report, "standardised", &["never_nominated", "12"]);
    let rates = [&never["crude_rate_percent"], &never["standardised_rate_percent"]];
    assert_eq!(rates, ["15.0", "14.3"]);
    let all = section_row(&report, "standardised", &["all", "12"]);
    assert_eq!(all["crude_rate_percent"], all["standardised_rate_percent"]);
    // The completers are all men: with fewer than 5 women among them (none) there is no
    // standardised rate.
    let men_only = section_row(&report, "standardised", &["completed_not_competent", "12"]);
    assert_eq!(men_only["crude_rate_percent"], "0.0");
    assert_eq!(men_only["standardised_rate_percent"], "");
    assert!(men_only["note"].starts_with("not computable"), "{men_only:?}");
}

/// The population-stock indicator is about the people held on the day of the report: an
/// earlier release counts whatever period the report is asked for.
#[test]
fn the_stock_indicator_is_the_same_whatever_the_period() {
    let mut history = History::new();
    for n in 0..6 {
        let person = format!("p{n:032}");
        history.release(&person, "2023-05-01", LegalStatus::Narapidana);
        history.admitted(&person, "2025-02-01", LegalStatus::Narapidana);
    }
    let stock = |options: &Options| {
        let build = projections::views::named("recidivism_stock").unwrap().build;
        section_row(&history.build(build, options, "2025-12-31"), "facilities", &["RUTAN-SOE"])
    };
    let whole = stock(&options());
    assert_eq!(whole["with_earlier_episode"], "6", "{whole:?}");
    let year =
        Options { from: Some(date("2025-01-01")), to: Some(date("2025-12-31")), ..options() };
    assert_eq!(stock(&year), whole);
}
