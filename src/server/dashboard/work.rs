//! "Tugas saya" (my work): the first page after sign-in for every role that writes. It lists
//! what waits for this user, from the programme read model as their role may see it, each item
//! linking to the form that does it: nominations to assess or decide, participants to accept or
//! start, sessions without a register, assessments due, graduations, grants to propose,
//! approve or hand over, inbox tasks.

use axum::extract::State;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use events::vocabulary::Role;
use maud::{Markup, html};
use projections::programme::{
    CorrectionRow, GrantRow, PackageRow, ParticipationRow, RegisterRow, SessionRow, TaskRow,
};
use projections::table::Tables;

use super::actions::{self, link};
use super::forms::short_ref;
use super::i18n::{Lang, t};
use super::{Web, page};
use crate::server::AppState;

/// One thing waiting: what it is, and the forms that do it.
struct Item {
    text: String,
    links: Vec<(String, String)>,
}

/// A list of things waiting, under a heading.
struct Section {
    key: &'static str,
    items: Vec<Item>,
}

/// How far ahead and back the registers of sessions are listed.
const REGISTER_DAYS_BACK: u64 = 14;
const REGISTER_DAYS_AHEAD: u64 = 7;

pub async fn tugas(State(state): State<AppState>, web: Web) -> Response {
    let lang = web.lang;
    let (tables, _, _) = match actions::programme(&state, &web.user).await {
        Ok(loaded) => loaded,
        Err(error) => {
            return web.error_page(crate::server::error::ApiError::failed(error, &web.request_id));
        }
    };
    let today = state.inner.config.local_date(state.inner.clock.now());
    let sections = sections(&web, &tables, today);
    let waiting: usize = sections.iter().map(|s| s.items.len()).sum();
    let body = html! {
        p.lead #waiting { (waiting) " " (t(lang, "ui.waiting")) " · " (t(lang, "ui.today")) " " (today) }
        @if !actions::writes(web.user.role) {
            p.msg { (t(lang, "ui.reads_only")) }
        }
        @for section in &sections {
            (render(lang, section))
        }
        p { a href="/act" { (t(lang, "ui.all_actions")) } }
    };
    page(&web, "tugas", t(lang, "nav.tugas"), body)
}

fn render(lang: Lang, section: &Section) -> Markup {
    html! {
        section.work data-work=(section.key) {
            h2 { (t(lang, &format!("work.{}", section.key))) " " span.count { "(" (section.items.len()) ")" } }
            @if section.items.is_empty() {
                p.notes { (t(lang, "ui.nothing_waiting")) }
            } @else {
                ul.tasks {
                    @for item in &section.items {
                        li { span { (item.text) }
                            @for (href, label) in &item.links {
                                // A register the offline script keeps on the device.
                                @let keep = href.starts_with("/register/").then_some("register");
                                " " a.task href=(href) data-keep=[keep] { (label) } } }
                    }
                }
            }
        }
    }
}

/// The programme as the user's work draws on it, with the ways a list names and links its
/// participants.
struct Work<'a> {
    tables: &'a Tables,
    participations: Vec<ParticipationRow>,
    packages: Vec<PackageRow>,
    lang: Lang,
    today: NaiveDate,
}

impl Work<'_> {
    /// A participant as a list names them: short reference and package.
    fn participant(&self, p: &ParticipationRow) -> String {
        let title = self.packages.iter().find(|k| k.package_id == p.package_id);
        format!("{} · {}", short_ref(&p.person_ref), title.map_or("", |k| k.title.as_str()))
    }

    /// The participations in one of `states` that pass `filter`, longest waiting first.
    fn with(
        &self,
        states: &[&str],
        filter: &dyn Fn(&ParticipationRow) -> bool,
    ) -> Vec<&ParticipationRow> {
        let mut found: Vec<&ParticipationRow> = self
            .participations
            .iter()
            .filter(|p| states.contains(&p.status.as_str()) && filter(p))
            .collect();
        found.sort_by_key(|p| p.status_since);
        found
    }

    /// A section of participants, each linked to the forms `commands`.
    fn section(
        &self,
        key: &'static str,
        rows: Vec<&ParticipationRow>,
        commands: &[&str],
    ) -> Section {
        let items = rows
            .into_iter()
            .map(|p| {
                let id = p.participation_id.to_string();
                let given =
                    [("participation_id", id.as_str()), ("person_ref", p.person_ref.as_str())];
                let links = commands
                    .iter()
                    .map(|c| (link(c, &given, "/tugas"), actions::title(c, self.lang).to_owned()))
                    .collect();
                Item { text: self.participant(p), links }
            })
            .collect();
        Section { key, items }
    }

    /// A section of participants, each linked to their page.
    fn pages(&self, key: &'static str, rows: Vec<&ParticipationRow>) -> Section {
        let items = rows
            .into_iter()
            .map(|p| Item {
                text: self.participant(p),
                links: vec![(
                    format!("/participant/{}", p.participation_id),
                    t(self.lang, "ui.open_participant").to_owned(),
                )],
            })
            .collect();
        Section { key, items }
    }
}

/// What waits for the user's role, section by section.
fn sections(web: &Web, tables: &Tables, today: NaiveDate) -> Vec<Section> {
    let work = Work {
        tables,
        participations: tables.all::<ParticipationRow>().collect(),
        packages: tables.all::<PackageRow>().collect(),
        lang: web.lang,
        today,
    };
    let lang = web.lang;
    let mut sections = match web.user.role {
        Role::Wali => vec![work.section(
            "to_assess",
            work.with(&["nominated"], &|p| p.assessed_on.is_none()),
            &["assess_eligibility"],
        )],
        Role::Karutan | Role::TppSekretaris => board(&work, web.user.role),
        Role::PetugasPembinaan => vec![
            Section { key: "inbox", items: inbox(tables, lang) },
            Section { key: "registers", items: registers(tables, today, lang) },
            work.section(
                "to_request_override",
                work.with(&["not_eligible"], &|_| true),
                &["request_eligibility_override", "withdraw_participant"],
            ),
        ],
        Role::DisnakerAdmin => training_office(&work),
        Role::Instruktur => {
            vec![Section { key: "registers", items: registers(tables, today, lang) }]
        }
        Role::Asesor => vec![work.section(
            "to_assess_competency",
            work.with(&["completed", "not_yet_competent"], &|_| true),
            &["assess_competency"],
        )],
        Role::Ppk => vec![Section {
            key: "to_approve_grant",
            items: grants(tables, &["proposed"], &["approve_grant", "reject_grant"], lang),
        }],
        Role::PetugasSerahTerima => vec![Section {
            key: "to_hand_over",
            items: grants(
                tables,
                &["approved", "deferred"],
                &["hand_over_grant", "defer_grant_handover"],
                lang,
            ),
        }],
        Role::PkBapas => vec![Section {
            key: "to_monitor",
            items: grants(tables, &["handed_over"], &["record_grant_monitoring"], lang),
        }],
        _ => Vec::new(),
    };
    sections.extend(corrections(
        web,
        tables,
        &participant_of(&work.participations, &work.packages),
    ));
    sections
}

/// The review board's work: nominations to decide; for the head of the facility also those
/// found not eligible, where an override may wait on the participant's page.
fn board(work: &Work<'_>, role: Role) -> Vec<Section> {
    let mut sections = vec![work.section(
        "to_decide",
        work.with(&["nominated", "eligible"], &|_| true),
        &["approve_nomination", "reject_nomination"],
    )];
    if role == Role::Karutan {
        sections.push(work.pages("not_eligible", work.with(&["not_eligible"], &|_| true)));
    }
    sections
}

/// The training office's work: packages to start or close, participants to accept, start and
/// graduate, graduates without a grant.
fn training_office(work: &Work<'_>) -> Vec<Section> {
    let started = |p: &ParticipationRow| {
        work.packages.iter().any(|k| k.package_id == p.package_id && k.status == "started")
    };
    let grants: Vec<GrantRow> = work.tables.all::<GrantRow>().collect();
    let no_grant = |p: &ParticipationRow| {
        !grants.iter().any(|g| {
            g.participation_id == p.participation_id
                && g.status != "cancelled"
                && g.status != "rejected"
        })
    };
    vec![
        Section { key: "packages", items: package_steps(&work.packages, work.today, work.lang) },
        work.section(
            "to_accept",
            work.with(&["approved", "registered"], &|_| true),
            &["accept_participant"],
        ),
        work.section("to_start", work.with(&["accepted"], &started), &["start_participation"]),
        work.section(
            "to_graduate",
            work.with(&["competent"], &|_| true),
            &["graduate_participant"],
        ),
        work.section("to_propose", work.with(&["graduated"], &no_grant), &["propose_grant"]),
    ]
}

/// How a participation is named in a list: its short reference and its package.
fn participant_of(
    all: &[ParticipationRow],
    packages: &[PackageRow],
) -> impl Fn(uuid::Uuid) -> String {
    let named: Vec<(uuid::Uuid, String)> = all
        .iter()
        .map(|p| {
            let title = packages
                .iter()
                .find(|k| k.package_id == p.package_id)
                .map_or("", |k| k.title.as_str());
            (p.participation_id, format!("{} · {title}", short_ref(&p.person_ref)))
        })
        .collect();
    move |id| {
        named.iter().find(|(p, _)| *p == id).map_or_else(|| id.to_string(), |(_, n)| n.clone())
    }
}

/// Late corrections waiting for a second person: for those who may decide them, the ones
/// others asked for, to approve or reject; for whoever asked, their own, as waiting for
/// someone else.
fn corrections(
    web: &Web,
    tables: &Tables,
    participant: &dyn Fn(uuid::Uuid) -> String,
) -> Vec<Section> {
    let lang = web.lang;
    let mut pending: Vec<CorrectionRow> =
        tables.all::<CorrectionRow>().filter(|c| c.status == "pending").collect();
    pending.sort_by_key(|c| c.requested_on);
    let text = |c: &CorrectionRow| {
        let what = super::words::word(&c.target_event_type, lang == Lang::Id)
            .unwrap_or(&c.target_event_type)
            .to_owned();
        format!(
            "{} · {what} · {} {} · {}",
            participant(c.participation_id),
            t(lang, "ui.requested_by"),
            c.requested_by,
            c.requested_on
        )
    };
    let mut sections = Vec::new();
    let decides = ["approve_correction", "reject_correction"]
        .iter()
        .all(|command| super::catalogue::may_use(web.user.role, command));
    if decides {
        let items = pending
            .iter()
            .filter(|c| c.requested_by != web.user.name)
            .map(|c| {
                let (stream, request) =
                    (format!("participation-{}", c.participation_id), c.request_id.to_string());
                let links = ["approve_correction", "reject_correction"]
                    .iter()
                    .map(|command| {
                        (
                            link(
                                command,
                                &[("stream_id", &stream), ("request_id", &request)],
                                "/tugas",
                            ),
                            actions::title(command, lang).to_owned(),
                        )
                    })
                    .collect();
                Item { text: text(c), links }
            })
            .collect();
        sections.push(Section { key: "corrections", items });
    }
    let own: Vec<Item> = pending
        .iter()
        .filter(|c| c.requested_by == web.user.name)
        .map(|c| Item {
            text: format!("{} · {}", text(c), t(lang, "ui.waits_for_another")),
            links: Vec::new(),
        })
        .collect();
    if !own.is_empty() {
        sections.push(Section { key: "own_corrections", items: own });
    }
    sections
}

/// The facility's open inbox tasks.
fn inbox(tables: &Tables, lang: Lang) -> Vec<Item> {
    let mut tasks: Vec<TaskRow> =
        tables.all::<TaskRow>().filter(|task| task.acknowledged_on.is_none()).collect();
    tasks.sort_by_key(|task| task.raised_on);
    tasks
        .into_iter()
        .map(|task| {
            let id = task.task_id.to_string();
            let href = link(
                "acknowledge_change",
                &[("person_ref", &task.person_ref), ("task_id", &id)],
                "/tugas",
            );
            let trigger = super::words::word(&task.trigger, lang == Lang::Id)
                .unwrap_or(&task.trigger)
                .to_owned();
            Item {
                text: format!("{} · {} · {}", short_ref(&task.person_ref), trigger, task.raised_on),
                links: vec![(href, actions::title("acknowledge_change", lang).to_owned())],
            }
        })
        .collect()
}

/// Sessions from two weeks back to a week ahead whose register still has a blank for someone in
/// training, or that are today: each opens its register.
fn registers(tables: &Tables, today: NaiveDate, lang: Lang) -> Vec<Item> {
    let from = today.checked_sub_days(Days::new(REGISTER_DAYS_BACK)).unwrap_or(today);
    let to = today.checked_add_days(Days::new(REGISTER_DAYS_AHEAD)).unwrap_or(today);
    let packages: Vec<PackageRow> = tables
        .all::<PackageRow>()
        .filter(|p| p.status == "started" || p.status == "planned")
        .collect();
    let mut sessions: Vec<SessionRow> = tables
        .all::<SessionRow>()
        .filter(|s| !s.cancelled && s.date >= from && s.date <= to)
        .filter(|s| packages.iter().any(|p| p.package_id == s.package_id))
        .collect();
    sessions.sort_by_key(|s| (s.date, s.number));
    let participations: Vec<ParticipationRow> =
        tables.all::<ParticipationRow>().filter(|p| p.status == "active").collect();
    sessions
        .into_iter()
        .filter_map(|session| {
            let open =
                participations.iter().filter(|p| p.package_id == session.package_id).any(|p| {
                    let marks = tables
                        .get::<RegisterRow>(&projections::programme::key(p.participation_id))
                        .map(|r| r.marks)
                        .unwrap_or_default();
                    marks
                        .chars()
                        .nth(usize::try_from(session.number - 1).unwrap_or(0))
                        .is_none_or(|m| m == '.')
                });
            (open || session.date == today).then(|| {
                let title = packages
                    .iter()
                    .find(|p| p.package_id == session.package_id)
                    .map_or("", |p| p.title.as_str());
                Item {
                    text: format!(
                        "{} · {} {} · {}",
                        session.date,
                        t(lang, "ui.session"),
                        session.number,
                        title
                    ),
                    links: vec![(
                        format!("/register/{}", session.session_id),
                        t(lang, "ui.open_register").to_owned(),
                    )],
                }
            })
        })
        .collect()
}

/// Packages to start (planned, their first day come) or close (started, their last day past).
fn package_steps(packages: &[PackageRow], today: NaiveDate, lang: Lang) -> Vec<Item> {
    let mut items = Vec::new();
    for package in packages {
        let id = package.package_id.to_string();
        let step = match package.status.as_str() {
            "planned" if package.start_date <= today => Some("start_package"),
            "started" if package.end_date < today => Some("close_package"),
            _ => None,
        };
        let mut links =
            vec![(format!("/enrolment?package={id}"), t(lang, "ui.open_package").to_owned())];
        if let Some(command) = step {
            links.insert(
                0,
                (
                    link(command, &[("package_id", &id)], "/tugas"),
                    actions::title(command, lang).to_owned(),
                ),
            );
        } else if package.status != "planned" && package.status != "started" {
            continue;
        }
        items.push(Item {
            text: format!("{} ({} – {})", package.title, package.start_date, package.end_date),
            links,
        });
    }
    items
}

/// Grants in `states`, each with the forms for its next step.
fn grants(tables: &Tables, states: &[&str], commands: &[&str], lang: Lang) -> Vec<Item> {
    let mut grants: Vec<GrantRow> =
        tables.all::<GrantRow>().filter(|g| states.contains(&g.status.as_str())).collect();
    grants.sort_by_key(|g| g.proposed_on);
    grants
        .into_iter()
        .map(|grant| {
            let id = grant.grant_id.to_string();
            Item {
                text: format!(
                    "{} · Rp{} · {}",
                    short_ref(&grant.person_ref),
                    grant.total_rupiah,
                    grant.proposed_on
                ),
                links: commands
                    .iter()
                    .map(|c| {
                        (
                            link(
                                c,
                                &[("grant_id", &id), ("person_ref", &grant.person_ref)],
                                "/tugas",
                            ),
                            actions::title(c, lang).to_owned(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}
