//! The published cuts of the people views (docs/reports.md, "Published cuts"), protected
//! together: all time, each calendar year and quarter with a release, each for the whole and
//! for each facility with a release. A reader who sees published cuts only gets the cut asked
//! for as withheld in this protection of all of them (`crate::disclosure::cuts`), so that no
//! sum or difference of cuts gives away what one withholds.

use chrono::{Datelike, NaiveDate};

use super::{Counts, Input, People, cohort, count_all};
use crate::disclosure::Grid;
use crate::disclosure::cuts::{Cut, Period, Tree, calendar, protect};
use crate::people::ReleaseRow;
use crate::report::{Options, Report};

impl Cut for Counts {
    fn grid(&self) -> &Grid {
        &self.grid
    }
    fn grid_mut(&mut self) -> &mut Grid {
        &mut self.grid
    }
    fn settle(&mut self) -> bool {
        Counts::settle(self)
    }
}

/// The counts of the cut `input` asks for, protected together with every published cut.
pub(super) fn protected(input: &Input<'_>, settings: (u32, NaiveDate)) -> Counts {
    let asked = ((input.options.from, input.options.to), input.options.facility.clone());
    let mut family = Family::of(input);
    let at = family.periods.iter().position(|p| *p == asked.0);
    let at = at.zip(family.places.iter().position(|f| *f == asked.1));
    let Some((period, place)) = at else {
        // A cut with no release: nothing in it to protect, and nothing it adds to.
        return family.counted(asked.0, &asked.1, settings);
    };
    let mut cuts = family.protect(settings);
    cuts.swap_remove(period * family.places.len() + place)
}

/// Every published cut of the recidivism report and the post-release view of `input`'s log,
/// with the options that ask for it: what a reader of published cuts can read, all at once.
pub fn published_cuts(input: &Input<'_>) -> Vec<(Options, Report, Report)> {
    let settings = super::settings(input);
    let mut family = Family::of(input);
    let cuts = family.protect(settings);
    let keys: Vec<(Period, Option<String>)> = family.keys().collect();
    let mut reports = Vec::with_capacity(keys.len());
    for ((period, place), counts) in keys.into_iter().zip(cuts) {
        let options = family.options(period, &place);
        let cut = Input { options: &options, ..*input };
        family.narrow(&cut);
        let (members, _) = cohort(&family.people, settings.1);
        let recidivism = super::render(&cut, &members, &counts);
        reports.push((options.clone(), recidivism, super::render_post_release(&cut, &counts)));
    }
    reports
}

/// The people tables and the published cuts of their releases.
struct Family<'a> {
    input: &'a Input<'a>,
    people: People,
    releases: Vec<ReleaseRow>,
    periods: Vec<Period>,
    period_tree: Tree,
    places: Vec<Option<String>>,
    place_tree: Tree,
}

impl<'a> Family<'a> {
    fn of(input: &'a Input<'a>) -> Family<'a> {
        let everything = Options { facility: None, from: None, to: None, ..input.options.clone() };
        let mut people = People::load(&Input { options: &everything, ..*input });
        let releases = std::mem::take(&mut people.releases);
        let (periods, period_tree) = periods(&releases);
        let (places, place_tree) = places(&releases);
        Family { input, people, releases, periods, period_tree, places, place_tree }
    }

    /// Every cut, period by period, each for every place.
    fn keys(&self) -> impl Iterator<Item = (Period, Option<String>)> + '_ {
        self.periods.iter().flat_map(|p| self.places.iter().map(move |f| (*p, f.clone())))
    }

    fn options(&self, (from, to): Period, place: &Option<String>) -> Options {
        Options { facility: place.clone(), from, to, ..self.input.options.clone() }
    }

    /// The counts of one cut, protected alone.
    fn counted(
        &mut self,
        period: Period,
        place: &Option<String>,
        settings: (u32, NaiveDate),
    ) -> Counts {
        let options = self.options(period, place);
        self.narrow(&Input { options: &options, ..*self.input });
        let (members, quarters) = cohort(&self.people, settings.1);
        count_all(&self.people, &members, &quarters, settings, true)
    }

    /// Keeps the releases of the cut `cut` asks for.
    fn narrow(&mut self, cut: &Input<'_>) {
        let releases = self.releases.iter();
        self.people.releases = releases
            .filter(|r| {
                cut.facility_matches(Some(&r.facility)) && cut.period_contains(r.released_on)
            })
            .cloned()
            .collect();
    }

    /// The counts of every cut, in the order of `keys`, protected together.
    fn protect(&mut self, settings: (u32, NaiveDate)) -> Vec<Counts> {
        let keys: Vec<(Period, Option<String>)> = self.keys().collect();
        let mut cuts: Vec<Counts> =
            keys.iter().map(|(period, place)| self.counted(*period, place, settings)).collect();
        protect(&mut cuts, &self.period_tree, &self.place_tree);
        cuts
    }
}

/// All time, then each calendar year with a release and each of its quarters with one; and
/// the tree they make.
fn periods(releases: &[ReleaseRow]) -> (Vec<Period>, Tree) {
    calendar(releases.iter().map(|r| (r.released_on.year(), r.released_on.month0() / 3)).collect())
}

/// The whole, then each facility with a release; and the tree they make.
fn places(releases: &[ReleaseRow]) -> (Vec<Option<String>>, Tree) {
    let facilities: std::collections::BTreeSet<&str> =
        releases.iter().map(|r| r.facility.as_str()).collect();
    let mut places = vec![None];
    places.extend(facilities.into_iter().map(|f| Some(f.to_owned())));
    let parents = (0..places.len()).map(|n| (n > 0).then_some(0)).collect();
    (places, Tree::new(parents))
}
