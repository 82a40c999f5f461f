//! The monthly report to the regional office, from the `monthly` projection.

use chrono::NaiveDate;

use super::Input;
use crate::monthly::MonthlyRow;
use crate::report::{Cell, Report, Section};

pub(super) fn monthly(input: &Input<'_>) -> Report {
    let mut section = Section::new(
        "months",
        "Laporan pembinaan kemandirian (per facility and month)",
        &[
            "facility",
            "month",
            "skill",
            "partner",
            "packages_run",
            "inmates_trained",
            "inmates_completed",
            "inmates_certified",
            "public_trained",
        ],
    );
    for row in input.tables.all::<MonthlyRow>() {
        let month = NaiveDate::parse_from_str(&format!("{}-01", row.month), "%Y-%m-%d").ok();
        let in_period = month.is_none_or(|first| {
            let last = first
                .checked_add_months(chrono::Months::new(1))
                .map_or(first, |next| next.pred_opt().unwrap_or(first));
            input.period_overlaps(first, last)
        });
        if !input.facility_matches(Some(&row.facility))
            || !input.skill_matches(&row.skill)
            || !input.provider_matches(&row.provider)
            || !in_period
        {
            continue;
        }
        section.push(vec![
            Cell::text(&row.facility),
            Cell::text(&row.month),
            Cell::text(&row.skill),
            Cell::text(&row.provider),
            Cell::Int(row.packages_run),
            Cell::Int(row.inmates_trained),
            Cell::Int(row.inmates_completed),
            Cell::Int(row.inmates_certified),
            Cell::Int(row.public_trained),
        ]);
    }
    let notes = vec![
        "Trained: participants who started in the month. Certified: inmates whose first certificate was issued in the month.".to_owned(),
        "Packages run: packages that started in the month, at their first facility.".to_owned(),
    ];
    Report {
        view: "monthly".to_owned(),
        title: "Laporan pembinaan kemandirian (monthly report)".to_owned(),
        provenance: input.provenance(None),
        parameters: input.options.parameters(),
        sections: vec![section],
        notes,
    }
}
