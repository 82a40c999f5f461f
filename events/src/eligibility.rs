//! Eligibility rule sets, versioned, and their evaluation.
//!
//! The rule set is chosen by the person's legal status and the package's venue:
//!
//! | who | venue | rule set |
//! |---|---|---|
//! | *tahanan* (pre-trial) | any | `pelayanan-tahanan` v1: in-facility only, never assimilation |
//! | sentenced | in the facility | `pembinaan-kemandirian` v1 |
//! | sentenced, general offence | outside the walls | `asimilasi-umum` v1: no sanction for 6 months, ½ served |
//! | sentenced, special offence | outside the walls | `asimilasi-khusus` v1: no sanction for 9 months, ⅔ and at least 9 months served |
//!
//! Special offences (Permenkumham 7/2022): terrorism, corruption, state security, transnational
//! organised crime, and narcotics with a sentence of 5 years or more. Every criterion is stored
//! with its result and the inputs it was judged on, so the decision can be reconstructed.

use chrono::{Months, NaiveDate};

use crate::catalogue::{CriterionResult, EligibilityInputs};
use crate::vocabulary::{LegalStatus, OffenceGroup, VenueType};

/// A named, versioned rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet {
    pub id: &'static str,
    pub version: u32,
}

pub const PELAYANAN_TAHANAN: RuleSet = RuleSet { id: "pelayanan-tahanan", version: 1 };
pub const PEMBINAAN_KEMANDIRIAN: RuleSet = RuleSet { id: "pembinaan-kemandirian", version: 1 };
pub const ASIMILASI_UMUM: RuleSet = RuleSet { id: "asimilasi-umum", version: 1 };
pub const ASIMILASI_KHUSUS: RuleSet = RuleSet { id: "asimilasi-khusus", version: 1 };

/// What the rules look at, gathered from the person's stream and the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub assessed_on: NaiveDate,
    pub venue_type: VenueType,
    pub in_custody: bool,
    pub inputs: EligibilityInputs,
    /// Periods of disciplinary sanctions, start and end.
    pub sanctions: Vec<(NaiveDate, NaiveDate)>,
}

/// The outcome of an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub rule_set: RuleSet,
    pub criteria: Vec<CriterionResult>,
    pub eligible: bool,
}

/// Whether an offence group with this sentence is a special offence for assimilation.
pub fn is_special_offence(group: Option<OffenceGroup>, sentence_months: Option<u32>) -> bool {
    match group {
        Some(OffenceGroup::Terorisme | OffenceGroup::Korupsi | OffenceGroup::KeamananNegara)
        | Some(OffenceGroup::KejahatanTransnasional) => true,
        Some(OffenceGroup::Narkotika) => sentence_months.is_some_and(|months| months >= 60),
        _ => false,
    }
}

/// The rule set that applies.
pub fn rule_set_for(facts: &Facts) -> RuleSet {
    let inputs = &facts.inputs;
    match (inputs.legal_status, facts.venue_type) {
        (Some(LegalStatus::Tahanan), _) => PELAYANAN_TAHANAN,
        (_, VenueType::InFacility) => PEMBINAAN_KEMANDIRIAN,
        _ if is_special_offence(inputs.offence_group, inputs.sentence_months) => ASIMILASI_KHUSUS,
        _ => ASIMILASI_UMUM,
    }
}

/// Assesses `facts` against the rule set that applies to them.
pub fn assess(facts: &Facts) -> Assessment {
    let rule_set = rule_set_for(facts);
    let mut criteria = vec![in_custody(facts)];
    match rule_set {
        PELAYANAN_TAHANAN => {
            criteria.push(venue_in_facility(facts));
            criteria.push(not_under_sanction(facts));
        }
        PEMBINAAN_KEMANDIRIAN => {
            criteria.push(sentenced(facts));
            criteria.push(not_under_sanction(facts));
        }
        ASIMILASI_UMUM => {
            criteria.push(sentenced(facts));
            criteria.push(no_sanction_within(facts, 6));
            criteria.push(served_fraction(facts, 1, 2));
        }
        _ => {
            criteria.push(sentenced(facts));
            criteria.push(no_sanction_within(facts, 9));
            criteria.push(served_fraction(facts, 2, 3));
            criteria.push(served_months(facts, 9));
        }
    }
    let eligible = criteria.iter().all(|criterion| criterion.met);
    Assessment { rule_set, criteria, eligible }
}

fn criterion(name: &str, met: bool, detail: String) -> CriterionResult {
    CriterionResult { criterion: name.to_owned(), met, detail }
}

fn in_custody(facts: &Facts) -> CriterionResult {
    let detail = if facts.in_custody { "in custody" } else { "not in custody" };
    criterion("in_custody", facts.in_custody, detail.to_owned())
}

fn venue_in_facility(facts: &Facts) -> CriterionResult {
    let met = facts.venue_type == VenueType::InFacility;
    let detail =
        format!("venue is {}; a detainee may train only inside the facility", facts.venue_type);
    criterion("venue_in_facility", met, detail)
}

fn sentenced(facts: &Facts) -> CriterionResult {
    let status = facts.inputs.legal_status;
    let met = matches!(status, Some(LegalStatus::Narapidana | LegalStatus::AnakBinaan));
    let detail =
        status.map_or("legal status unknown".to_owned(), |status| format!("legal status {status}"));
    criterion("sentenced", met, detail)
}

fn not_under_sanction(facts: &Facts) -> CriterionResult {
    let current = facts
        .sanctions
        .iter()
        .find(|(start, end)| *start <= facts.assessed_on && facts.assessed_on <= *end);
    let detail = match current {
        Some((_, end)) => format!("under a disciplinary sanction until {end}"),
        None => "no current disciplinary sanction".to_owned(),
    };
    criterion("not_under_sanction", current.is_none(), detail)
}

fn no_sanction_within(facts: &Facts, months: u32) -> CriterionResult {
    let since = facts.assessed_on.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN);
    let latest = facts.sanctions.iter().map(|(_, end)| *end).filter(|end| *end >= since).max();
    let detail = match latest {
        Some(end) => format!("a sanction ended on {end}, within the last {months} months"),
        None => format!("no sanction in the last {months} months"),
    };
    criterion(&format!("no_sanction_{months}_months"), latest.is_none(), detail)
}

fn served_fraction(facts: &Facts, numerator: u32, denominator: u32) -> CriterionResult {
    let name = format!("served_{numerator}_{denominator}");
    let (Some(served), Some(total)) = (facts.inputs.served_days, facts.inputs.sentence_days) else {
        return criterion(&name, false, "sentence dates unknown".to_owned());
    };
    let met = total > 0
        && u64::from(served) * u64::from(denominator) >= u64::from(total) * u64::from(numerator);
    let detail = format!("served {served} of {total} days; {numerator}/{denominator} required");
    criterion(&name, met, detail)
}

fn served_months(facts: &Facts, months: u32) -> CriterionResult {
    let name = format!("served_{months}_months");
    let Some(start) = facts.inputs.sentence_start else {
        return criterion(&name, false, "sentence start unknown".to_owned());
    };
    let due = start.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX);
    let met = facts.assessed_on >= due;
    criterion(&name, met, format!("sentence began {start}; {months} months are served on {due}"))
}

/// The inputs snapshot for a person on a day: served days are counted from the sentence start.
pub fn served(
    start: Option<NaiveDate>,
    expiry: Option<NaiveDate>,
    on: NaiveDate,
) -> (Option<u32>, Option<u32>) {
    let days = |from: NaiveDate, to: NaiveDate| u32::try_from((to - from).num_days()).ok();
    match (start, expiry) {
        (Some(start), Some(expiry)) => (days(start, on.min(expiry)), days(start, expiry)),
        (Some(start), None) => (days(start, on), None),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests;
