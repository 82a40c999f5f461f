//! Time to an event and the difference of two rates, with their uncertainty (issue 25; the UK
//! Justice Data Lab is the model, domain.md §(d)): the Kaplan–Meier estimate with 95%
//! pointwise intervals from Greenwood's variance on the log-log scale, and the difference of
//! two proportions with Newcombe's hybrid score interval (Newcombe 1998, method 10).
//!
//! Pure arithmetic on counts and days; the recidivism report decides who is observed how long.

use crate::report::wilson_interval;

/// The normal quantile of a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

/// One person's follow-up: `days` from the index date to the event, or to the end of what
/// was observed (death, loss of follow-up, the cut-off) when `event` is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub days: i64,
    pub event: bool,
}

/// The curve at a day on which at least one event happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub day: i64,
    /// Followed up to this day (neither an event nor censored before it).
    pub at_risk: i64,
    pub events: i64,
    /// The estimated share without the event after this day.
    pub survival: f64,
    /// The 95% pointwise interval (log-log scale); `None` when the curve is at 0 or 1.
    pub interval: Option<(f64, f64)>,
}

/// The Kaplan–Meier estimate of `observations`: a step at each day with an event, in day
/// order. Censored on the day of an event counts as still at risk that day (the usual
/// convention: events first).
pub fn kaplan_meier(observations: &[Observation]) -> Vec<Step> {
    let mut days: Vec<i64> = observations.iter().filter(|o| o.event).map(|o| o.days).collect();
    days.sort_unstable();
    days.dedup();
    let (mut survival, mut greenwood) = (1.0_f64, 0.0_f64);
    let mut steps = Vec::with_capacity(days.len());
    for day in days {
        let at_risk = observations.iter().filter(|o| o.days >= day).count() as i64;
        let events = observations.iter().filter(|o| o.event && o.days == day).count() as i64;
        survival *= 1.0 - events as f64 / at_risk as f64;
        if at_risk > events {
            greenwood += events as f64 / (at_risk as f64 * (at_risk - events) as f64);
        }
        let interval = (survival > 0.0 && survival < 1.0).then(|| {
            let se = greenwood.sqrt() / survival.ln().abs();
            (survival.powf((Z * se).exp()), survival.powf((-Z * se).exp()))
        });
        steps.push(Step { day, at_risk, events, survival, interval });
    }
    steps
}

/// The estimate at `day`: the last step on or before it (1 before the first).
pub fn survival_at(steps: &[Step], day: i64) -> f64 {
    steps.iter().take_while(|step| step.day <= day).last().map_or(1.0, |step| step.survival)
}

/// The difference `x1/n1 − x2/n2` of two proportions and its 95% interval by Newcombe's
/// hybrid score method (1998, method 10), built from each proportion's Wilson interval.
/// `None` when either group is empty.
pub fn newcombe_difference(x1: i64, n1: i64, x2: i64, n2: i64) -> Option<(f64, f64, f64)> {
    let (l1, u1) = wilson_interval(x1, n1)?;
    let (l2, u2) = wilson_interval(x2, n2)?;
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (l1, u1, l2, u2) = (l1 / 100.0, u1 / 100.0, l2 / 100.0, u2 / 100.0);
    let difference = p1 - p2;
    let low = difference - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = difference + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((difference, low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(list: &[(i64, bool)]) -> Vec<Observation> {
        list.iter().map(|(days, event)| Observation { days: *days, event: *event }).collect()
    }

    fn round4(x: f64) -> f64 {
        (x * 10_000.0).round() / 10_000.0
    }

    /// Six people: events on days 3, 5, 8 and 12, censored on days 5 and 10. By hand:
    /// S(3) = 5/6 = 0.8333; S(5) = 5/6 × 4/5 = 0.6667 (the one censored on day 5 still at risk
    /// that day); S(8) = 0.6667 × 2/3 = 0.4444 (three at risk); S(12) = 0 (one at risk).
    /// Greenwood at day 5: 1/(6×5) + 1/(5×4) = 0.083333; se of log(−log S) =
    /// √0.083333 / |ln 0.6667| = 0.28868 / 0.40547 = 0.71196; the interval is
    /// S^exp(±1.95996 × 0.71196) = 0.6667^4.0370 to 0.6667^0.24771 = 0.1946 to 0.9044.
    #[test]
    fn kaplan_meier_agrees_with_a_hand_computed_example_to_the_fourth_decimal() {
        let steps = kaplan_meier(&observed(&[
            (3, true),
            (5, true),
            (5, false),
            (8, true),
            (10, false),
            (12, true),
        ]));
        let at: Vec<(i64, i64, i64, f64)> =
            steps.iter().map(|s| (s.day, s.at_risk, s.events, round4(s.survival))).collect();
        assert_eq!(at, [(3, 6, 1, 0.8333), (5, 5, 1, 0.6667), (8, 3, 1, 0.4444), (12, 1, 1, 0.0)]);
        let (low, high) = steps[1].interval.unwrap();
        assert_eq!((round4(low), round4(high)), (0.1946, 0.9044));
        assert_eq!(steps[3].interval, None, "no interval at 0");
        assert_eq!(survival_at(&steps, 9), steps[2].survival);
        assert_eq!(survival_at(&steps, 2), 1.0);
    }

    /// The 6-MP group of Freireich et al. (1963), the textbook example (e.g. Kalbfleisch and
    /// Prentice; R's `survfit(..., conf.type = "log-log")` prints the same): weeks of
    /// remission, `+` censored: 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+
    /// 34+ 35+. Published: 0.857 (0.620, 0.952), 0.807 (0.563, 0.923), 0.753 (0.503, 0.889),
    /// 0.690 (0.432, 0.849), 0.627 (0.368, 0.805), 0.538 (0.268, 0.747), 0.448 (0.188, 0.680).
    #[test]
    fn greenwood_log_log_intervals_agree_with_the_published_6_mp_example() {
        let weeks = [
            (6, true),
            (6, true),
            (6, true),
            (6, false),
            (7, true),
            (9, false),
            (10, true),
            (10, false),
            (11, false),
            (13, true),
            (16, true),
            (17, false),
            (19, false),
            (20, false),
            (22, true),
            (23, true),
            (25, false),
            (32, false),
            (32, false),
            (34, false),
            (35, false),
        ];
        let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let published = [
            (6, 21, 0.857, 0.620, 0.952),
            (7, 17, 0.807, 0.563, 0.923),
            (10, 15, 0.753, 0.503, 0.889),
            (13, 12, 0.690, 0.432, 0.849),
            (16, 11, 0.627, 0.368, 0.805),
            (22, 7, 0.538, 0.268, 0.747),
            (23, 6, 0.448, 0.188, 0.680),
        ];
        let steps = kaplan_meier(&observed(&weeks));
        assert_eq!(steps.len(), published.len());
        for (step, (day, at_risk, survival, low, high)) in steps.iter().zip(published) {
            let (l, h) = step.interval.unwrap();
            assert_eq!(
                (step.day, step.at_risk, round3(step.survival), round3(l), round3(h)),
                (day, at_risk, survival, low, high)
            );
        }
    }

    /// Newcombe (1998), Table II, method 10: the eight worked examples.
    #[test]
    fn newcombes_interval_agrees_with_the_worked_examples_of_newcombe_1998() {
        let examples = [
            ((56, 70, 48, 80), (0.0524, 0.3339)),
            ((9, 10, 3, 10), (0.1705, 0.8090)),
            ((6, 7, 2, 7), (0.0582, 0.8062)),
            ((5, 56, 0, 29), (-0.0381, 0.1926)),
            ((0, 10, 0, 20), (-0.1611, 0.2775)),
            ((0, 10, 0, 10), (-0.2775, 0.2775)),
            ((10, 10, 0, 20), (0.6791, 1.0000)),
            ((10, 10, 0, 10), (0.6075, 1.0000)),
        ];
        for ((x1, n1, x2, n2), (low, high)) in examples {
            let (_, l, h) = newcombe_difference(x1, n1, x2, n2).unwrap();
            assert_eq!((round4(l), round4(h)), (low, high), "{x1}/{n1} − {x2}/{n2}");
        }
        assert_eq!(newcombe_difference(1, 0, 1, 2), None);
    }
}
