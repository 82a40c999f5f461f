//! Each rule set accepting and refusing, criterion by criterion.

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn facts(legal_status: LegalStatus, venue_type: VenueType) -> Facts {
    let (served_days, sentence_days) =
        served(Some(date("2024-01-01")), Some(date("2027-01-01")), date("2026-01-01"));
    Facts {
        assessed_on: date("2026-01-01"),
        venue_type,
        in_custody: true,
        inputs: EligibilityInputs {
            legal_status: Some(legal_status),
            offence_group: Some(OffenceGroup::Pencurian),
            sentence_months: Some(36),
            sentence_start: Some(date("2024-01-01")),
            expiry_date: Some(date("2027-01-01")),
            served_days,
            sentence_days,
            last_sanction_end: None,
            sppn_score: None,
            litmas_ref: None,
        },
        sanctions: Vec::new(),
    }
}

fn failed(assessment: &Assessment) -> Vec<&str> {
    assessment.criteria.iter().filter(|c| !c.met).map(|c| c.criterion.as_str()).collect()
}

#[test]
fn a_sentenced_inmate_in_the_facility_is_eligible_unless_under_sanction() {
    let mut facts = facts(LegalStatus::Narapidana, VenueType::InFacility);
    let assessment = assess(&facts);
    assert_eq!(assessment.rule_set, PEMBINAAN_KEMANDIRIAN);
    assert!(assessment.eligible, "{:?}", assessment.criteria);
    facts.sanctions.push((date("2025-12-20"), date("2026-01-10")));
    let assessment = assess(&facts);
    assert_eq!(failed(&assessment), ["not_under_sanction"]);
}

#[test]
fn assimilation_needs_half_served_and_six_clean_months() {
    let mut facts = facts(LegalStatus::Narapidana, VenueType::TrainingCentre);
    let assessment = assess(&facts);
    assert_eq!(assessment.rule_set, ASIMILASI_UMUM);
    assert!(assessment.eligible, "{:?}", assessment.criteria);
    facts.sanctions.push((date("2025-07-01"), date("2025-08-01")));
    assert_eq!(failed(&assess(&facts)), ["no_sanction_6_months"]);
    facts.sanctions.clear();
    facts.inputs.served_days = Some(500);
    assert_eq!(failed(&assess(&facts)), ["served_1_2"]);
}

#[test]
fn special_offences_need_two_thirds_nine_months_and_nine_clean_months() {
    let mut facts = facts(LegalStatus::Narapidana, VenueType::Village);
    facts.inputs.offence_group = Some(OffenceGroup::Narkotika);
    facts.inputs.sentence_months = Some(60);
    facts.inputs.sentence_days = Some(1_247);
    let assessment = assess(&facts);
    assert_eq!(assessment.rule_set, ASIMILASI_KHUSUS);
    assert_eq!(failed(&assessment), ["served_2_3"], "731 of 1247 days is under two thirds");
    facts.inputs.served_days = Some(900);
    facts.sanctions.push((date("2025-04-01"), date("2025-05-01")));
    assert_eq!(failed(&assess(&facts)), ["no_sanction_9_months"]);
    facts.sanctions.clear();
    assert!(assess(&facts).eligible);
    facts.inputs.sentence_months = Some(48);
    assert_eq!(assess(&facts).rule_set, ASIMILASI_UMUM, "narcotics under five years is general");
}

#[test]
fn a_detainee_may_train_only_inside_and_never_by_assimilation() {
    let inside = facts(LegalStatus::Tahanan, VenueType::InFacility);
    let assessment = assess(&inside);
    assert_eq!(assessment.rule_set, PELAYANAN_TAHANAN);
    assert!(assessment.eligible);
    let outside = facts(LegalStatus::Tahanan, VenueType::Village);
    assert_eq!(failed(&assess(&outside)), ["venue_in_facility"]);
}

#[test]
fn unknown_sentence_dates_fail_the_fraction_and_someone_released_fails_custody() {
    let mut facts = facts(LegalStatus::Narapidana, VenueType::TrainingCentre);
    facts.inputs.served_days = None;
    facts.in_custody = false;
    assert_eq!(failed(&assess(&facts)), ["in_custody", "served_1_2"]);
}
