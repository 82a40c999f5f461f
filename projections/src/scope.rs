//! What a question is about: the part of a read model its answer can draw on.
//!
//! A programme report asked for one facility, provider or skill shows only the packages that
//! match and what hangs off them (sessions, participations, marks, grants…), and the facility's
//! inbox. A fold *within* that scope keeps only those rows, so an answer about one facility
//! costs memory in proportion to the facility, not to the country: a national log holds a row
//! per attendance mark, millions of them.
//!
//! A projection that can be narrowed says which rows belong to a scope: a table declared
//! `under` a parent (`crate::table::Under`) keeps a row exactly when it holds the parent row
//! the row names (a mark when its participation is held, a participation when its package is);
//! for the others, the tables at the root, its rule ([`Keeps`]) decides (a package by its
//! facility, provider and skill). The rule serves the fold (a row out of scope is never put)
//! and the load of a read model alike. Rows are decided in the order the projection declares
//! its tables, parents first.
//!
//! The period asked about is not part of a scope: a package's dates can be amended after its
//! participants were folded, so whether it falls in the period is known only at the end.
//!
//! Invariant (tested on both databases): every view computed from a fold within
//! `Scope::of(options)` equals the same view, with the same options, computed from the whole
//! fold. A scope may keep more than its views show, never less.

use crate::report::Options;
use crate::table::{Key, Row, TableDef, Tables};

/// The part of a read model a question is about; every part `None` is the whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// One facility's packages (and the packages of no facility, open to everyone), and its
    /// inbox.
    pub facility: Option<String>,
    /// One training provider's packages; no inbox (it belongs to facilities).
    pub provider: Option<String>,
    /// One skill's packages.
    pub skill: Option<String>,
}

/// Whether a row (`table`, key, other values) of a table declared under no parent belongs to
/// `scope`.
pub type Keeps = fn(scope: &Scope, table: &str, key: &Key, row: &Row) -> bool;

/// Whether `value` passes a filter that wants `wanted` (none: everything passes). The one test
/// behind a scope and a view's options alike.
pub fn passes(wanted: Option<&str>, value: Option<&str>) -> bool {
    wanted.is_none_or(|wanted| value == Some(wanted))
}

impl Scope {
    /// The whole read model.
    pub const WHOLE: Scope = Scope { facility: None, provider: None, skill: None };

    /// The scope a report with these options draws on.
    pub fn of(options: &Options) -> Scope {
        Scope {
            facility: options.facility.clone(),
            provider: options.provider.clone(),
            skill: options.skill.clone(),
        }
    }

    pub fn is_whole(&self) -> bool {
        self == &Scope::WHOLE
    }

    /// The scope as text, one line per part set, in a fixed order: "" for the whole. Snapshots
    /// of folds within a scope are kept under it.
    pub fn text(&self) -> String {
        [("facility", &self.facility), ("provider", &self.provider), ("skill", &self.skill)]
            .into_iter()
            .filter_map(|(part, value)| value.as_ref().map(|value| format!("{part}={value}\n")))
            .collect()
    }

    /// The scope [`Scope::text`] wrote; `None` for text it cannot have written.
    pub fn from_text(text: &str) -> Option<Scope> {
        let mut scope = Scope::WHOLE;
        for line in text.lines() {
            let (part, value) = line.split_once('=')?;
            let slot = match part {
                "facility" => &mut scope.facility,
                "provider" => &mut scope.provider,
                "skill" => &mut scope.skill,
                _ => return None,
            };
            if slot.replace(value.to_owned()).is_some() {
                return None;
            }
        }
        (scope.text() == text).then_some(scope)
    }

    /// Whether a facility passes (absent: everyone's).
    pub fn facility_matches(&self, facility: Option<&str>) -> bool {
        passes(self.facility.as_deref(), facility)
    }

    pub fn provider_matches(&self, provider: &str) -> bool {
        passes(self.provider.as_deref(), Some(provider))
    }

    pub fn skill_matches(&self, skill: &str) -> bool {
        passes(self.skill.as_deref(), Some(skill))
    }
}

/// A scope and its projection's rules: what a [`Tables`] within a scope keeps.
#[derive(Clone)]
pub struct Within {
    pub scope: Scope,
    keeps: Keeps,
    /// The tables declared under a parent: (table, parent, the position of the parent's key
    /// among the table's key and other values).
    children: Vec<(&'static str, &'static str, usize)>,
}

impl Within {
    /// `scope` with the rule for the root tables and the tables' declarations.
    pub fn new(scope: Scope, keeps: Keeps, tables: &[TableDef]) -> Within {
        let children = tables
            .iter()
            .filter_map(|table| {
                let under = table.under?;
                let position = table.position(under.column)?;
                Some((table.name, under.parent, position))
            })
            .collect();
        Within { scope, keeps, children }
    }

    pub fn keeps(&self, table: &str, key: &Key, row: &Row, held: &Tables) -> bool {
        match self.children.iter().find(|(child, ..)| *child == table) {
            Some(&(_, parent, position)) => {
                let value = match position.checked_sub(key.len()) {
                    None => key.get(position),
                    Some(index) => row.get(index),
                };
                value.is_some_and(|value| held.holds(parent, std::slice::from_ref(value)))
            }
            None => (self.keeps)(&self.scope, table, key, row),
        }
    }
}

impl std::fmt::Debug for Within {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Within").field(&self.scope).finish()
    }
}

/// Two narrowings are the same when their scopes are: a projection has one rule.
impl PartialEq for Within {
    fn eq(&self, other: &Within) -> bool {
        self.scope == other.scope
    }
}

impl Eq for Within {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_is_the_reports_facility_provider_and_skill_and_its_text_names_them() {
        let options = Options {
            facility: Some("RUTAN-SOE".to_owned()),
            skill: Some("menjahit".to_owned()),
            from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
            ..Options::default()
        };
        let scope = Scope::of(&options);
        assert!(!scope.is_whole());
        assert_eq!(scope.text(), "facility=RUTAN-SOE\nskill=menjahit\n");
        assert_eq!(Scope::of(&Options::default()), Scope::WHOLE);
        assert_eq!(Scope::WHOLE.text(), "");
        assert!(scope.facility_matches(Some("RUTAN-SOE")));
        assert!(!scope.facility_matches(None));
        assert!(Scope::WHOLE.facility_matches(None));
        assert!(scope.provider_matches("anyone"));
        assert!(!scope.skill_matches("pangkas_rambut"));
    }

    #[test]
    fn a_scope_is_read_back_from_its_text_and_nothing_else_is() {
        let scope = Scope {
            facility: Some("RUTAN-SOE".to_owned()),
            provider: Some("LPK-TTS".to_owned()),
            skill: Some("menjahit".to_owned()),
        };
        let one_skill = Scope { skill: Some("menjahit".to_owned()), ..Scope::WHOLE };
        for scope in [scope, Scope::WHOLE, one_skill] {
            assert_eq!(Scope::from_text(&scope.text()), Some(scope));
        }
        for text in ["skill=a\nfacility=b\n", "facility=a\nfacility=b\n", "owner=a\n", "facility"] {
            assert_eq!(Scope::from_text(text), None, "{text:?}");
        }
    }
}
