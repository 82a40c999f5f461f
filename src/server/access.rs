//! Who may read what (domain.md R7, R22). Writes are the rules' business: every command goes
//! through `decide`, which checks the role and the facility or provider. Reads are decided here.
//!
//! | scope | roles | sees |
//! |---|---|---|
//! | all | auditor, dpo, system | everything, writes per the rules (auditors write nothing) |
//! | facility | petugas_pembinaan, wali, tpp_sekretaris, karutan | views narrowed to their facility; audit trails of what happened there |
//! | provider | disnaker_admin, instruktur, asesor, ppk, petugas_serah_terima | programme views narrowed to their packages; aggregate people views |
//! | aggregates | analis, pk_bapas, evaluator | published cuts of the aggregate views (not the monthly return), protected together |

use events::vocabulary::Role;

use crate::users::User;

/// How much of the programme a user may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Facility(String),
    Provider(String),
    Aggregates,
}

impl Scope {
    pub fn of(user: &User) -> Scope {
        match user.role {
            Role::Auditor | Role::Dpo | Role::System => Scope::All,
            Role::PetugasPembinaan | Role::Wali | Role::TppSekretaris | Role::Karutan => {
                Scope::Facility(user.facility.clone().unwrap_or_else(|| user.organisation.clone()))
            }
            Role::DisnakerAdmin
            | Role::Instruktur
            | Role::Asesor
            | Role::Ppk
            | Role::PetugasSerahTerima => Scope::Provider(user.organisation.clone()),
            Role::Analis | Role::PkBapas | Role::Evaluator => Scope::Aggregates,
        }
    }
}

/// Views that list people one by one (registers), as opposed to aggregates.
pub const REGISTERS: [&str; 4] = ["enrolment", "attendance", "grants", "inbox"];
/// Views a reader of aggregates does not open besides the registers: the monthly return to
/// the regional office counts per facility, month, skill and partner, small groups by
/// construction, which add up to the outcomes' published cuts (docs/reports.md).
pub const NOT_PUBLISHED: [&str; 1] = ["monthly"];
/// Views computed from the people read model (custody, releases, reoffending).
pub const PEOPLE_VIEWS: [&str; 3] = ["recidivism", "recidivism_stock", "post_release"];

/// Whether a scope may read a view at all.
pub fn may_read_view(scope: &Scope, view: &str) -> bool {
    match scope {
        Scope::All | Scope::Facility(_) => true,
        Scope::Provider(_) => view != "inbox",
        Scope::Aggregates => !REGISTERS.contains(&view) && !NOT_PUBLISHED.contains(&view),
    }
}

/// Roles that may see names and other personal data, for their work.
pub fn may_read_personal_data(role: Role) -> bool {
    matches!(
        role,
        Role::PetugasPembinaan
            | Role::Wali
            | Role::TppSekretaris
            | Role::Karutan
            | Role::PkBapas
            | Role::Dpo
    )
}

/// Roles that may record or correct personal data.
pub fn may_write_personal_data(role: Role) -> bool {
    matches!(role, Role::PetugasPembinaan | Role::Dpo)
}

/// Roles that read the raw log (events, the live feed) and the compliance review.
pub fn may_read_log(role: Role) -> bool {
    matches!(role, Role::Auditor | Role::Dpo | Role::System)
}
