//! Given/when/then tests of the rules. Each builds a history by running commands through the
//! in-memory [`Ledger`] (so the history itself passes the rules), then runs one more command and
//! checks the events it produced or the rejection and its code. Each rule has a test that
//! accepts and one that refuses.

use chrono::NaiveDate;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalogue::Event;
use crate::command::CommandEnvelope;
use crate::ledger::{Actor, Ledger};
use crate::rejection::Rejection;
use crate::state::{
    GrantStatus, PackageState, ParticipationState, ParticipationStatus as S, PersonState,
    StreamState,
};
use crate::streams;
use crate::time::Timestamp;
use crate::vocabulary::Role;

fn actor(name: &str, role: Role, organisation: &str) -> Actor {
    Actor::new(name, role, organisation)
}

fn petugas() -> Actor {
    actor("petugas.andi", Role::PetugasPembinaan, "RUTAN-SOE")
}
fn wali() -> Actor {
    actor("wali.dewi", Role::Wali, "RUTAN-SOE")
}
fn karutan() -> Actor {
    actor("karutan.eko", Role::Karutan, "RUTAN-SOE")
}
fn disnaker() -> Actor {
    actor("disnaker.gita", Role::DisnakerAdmin, "DISNAKERTRANS-TTS")
}
fn instruktur() -> Actor {
    actor("instruktur.hadi", Role::Instruktur, "DISNAKERTRANS-TTS")
}
fn asesor() -> Actor {
    actor("asesor.indah", Role::Asesor, "LSP-TTS")
}
fn ppk() -> Actor {
    actor("ppk.joko", Role::Ppk, "DISNAKERTRANS-TTS")
}
fn serah() -> Actor {
    actor("serah.kartika", Role::PetugasSerahTerima, "DISNAKERTRANS-TTS")
}
fn bapas() -> Actor {
    actor("pk.lina", Role::PkBapas, "BAPAS-KUPANG")
}
fn system() -> Actor {
    actor("sdp-import", Role::System, "SYSTEM")
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn person_ref(n: u128) -> String {
    format!("p{n:032x}")
}

struct T {
    ledger: Ledger,
    today: NaiveDate,
    next_id: u128,
}

impl T {
    /// A ledger with the registry: a Rutan, a Lapas, the training office and an LSP.
    fn new() -> T {
        let mut t = T { ledger: Ledger::default(), today: date("2026-02-20"), next_id: 1 };
        for (code, kind) in [
            ("RUTAN-SOE", "rutan"),
            ("LAPAS-KUPANG", "lapas"),
            ("DISNAKERTRANS-TTS", "disnakertrans"),
            ("LSP-TTS", "lsp"),
        ] {
            t.ok(&system(), json!({"type": "register_organisation", "code": code, "name": code, "kind": kind, "time_zone": "Asia/Makassar"}));
        }
        t
    }

    fn id(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(0x1000 + self.next_id)
    }

    fn run(&mut self, actor: &Actor, mut command: Value) -> Result<Value, Rejection> {
        if command.get("command_id").is_none() {
            command["command_id"] = json!(self.id());
        }
        let envelope = CommandEnvelope::from_value(command).expect("a well-formed command");
        let now =
            Timestamp::start_of_day(self.today).unwrap().checked_add_micros(3_600_000_000).unwrap();
        self.ledger.execute(&envelope, actor, now, self.today).map(|decision| decision.reply)
    }

    #[track_caller]
    fn ok(&mut self, actor: &Actor, command: Value) -> Value {
        let description = command.to_string();
        self.run(actor, command)
            .unwrap_or_else(|rejection| panic!("{description} refused: {rejection}"))
    }

    /// Runs a command that must be refused with `code`, and checks that nothing was written.
    #[track_caller]
    fn refused(&mut self, actor: &Actor, command: Value, code: &str) -> Rejection {
        let before = self.ledger.facts().len();
        let description = command.to_string();
        let rejection = match self.run(actor, command) {
            Ok(reply) => panic!("{description} was accepted: {reply}"),
            Err(rejection) => rejection,
        };
        assert_eq!(rejection.code(), code, "{rejection}");
        assert_eq!(self.ledger.facts().len(), before, "a refusal writes nothing");
        rejection
    }

    /// The types of the last `n` events.
    fn last(&self, n: usize) -> Vec<&'static str> {
        let facts = self.ledger.facts();
        facts[facts.len() - n..].iter().map(|(_, fact)| fact.event.event_type()).collect()
    }

    fn last_event(&self) -> &Event {
        &self.ledger.facts().last().unwrap().1.event
    }

    fn participation(&self, id: Uuid) -> &ParticipationState {
        match self.ledger.state(&streams::participation(id)) {
            Some(StreamState::Participation(state)) => state,
            other => panic!("no participation {id}: {other:?}"),
        }
    }

    fn status(&self, id: Uuid) -> S {
        self.participation(id).status.unwrap()
    }

    fn package_state(&self, id: Uuid) -> &PackageState {
        match self.ledger.state(&streams::package(id)) {
            Some(StreamState::Package(state)) => state,
            other => panic!("no package {id}: {other:?}"),
        }
    }

    fn person(&self, person_ref: &str) -> &PersonState {
        match self.ledger.state(&streams::person(person_ref)) {
            Some(StreamState::Person(state)) => state,
            other => panic!("no person {person_ref}: {other:?}"),
        }
    }

    /// A package from 2026-03-02 to 2026-03-27 with five sessions, open to both facilities.
    fn package(&mut self, quota: u32, quota_inmates: Option<u32>, venue: &str) -> Uuid {
        let package_id = self.id();
        self.ok(&disnaker(), json!({
            "type": "define_package", "package_id": package_id, "title": "Menjahit dasar",
            "provider": "DISNAKERTRANS-TTS", "skill": "menjahit", "venue_type": venue, "location": "SoE",
            "facilities": ["RUTAN-SOE", "LAPAS-KUPANG"], "planned_hours": 40,
            "start_date": "2026-03-02", "end_date": "2026-03-27", "quota_total": quota,
            "quota_inmates": quota_inmates, "funding_source": "APBD TTS 2026",
        }));
        for day in ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-27"] {
            let session_id = self.id();
            self.ok(
                &instruktur(),
                json!({
                    "type": "schedule_session", "package_id": package_id, "session_id": session_id,
                    "date": day, "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4,
                }),
            );
        }
        package_id
    }

    fn sessions(&self, package_id: Uuid) -> Vec<Uuid> {
        let mut sessions: Vec<_> =
            self.package_state(package_id).sessions.iter().map(|(id, s)| (s.date, *id)).collect();
        sessions.sort();
        sessions.into_iter().map(|(_, id)| id).collect()
    }

    /// A sentenced inmate at `facility`, two years into a three-year sentence for theft.
    fn inmate(&mut self, n: u128, facility: &str) -> String {
        let person = person_ref(n);
        self.ok(&system(), json!({
            "type": "record_custody_episode", "person_ref": person, "episode_ref": format!("reg-{n}"),
            "facility": facility, "admitted_on": "2024-01-01", "legal_status": "narapidana",
            "sex": "laki_laki", "age_band": "26_35", "offence_group": "pencurian", "sentence_band": "1_3y",
        }));
        self.ok(&system(), json!({"type": "change_legal_status", "person_ref": person, "legal_status": "narapidana", "changed_on": "2024-01-01", "sentence_months": 36}));
        self.ok(&system(), json!({"type": "update_sentence_dates", "person_ref": person, "sentence_start": "2024-01-01", "expiry_date": "2027-01-01"}));
        person
    }

    fn nominated(&mut self, package_id: Uuid, person: &str) -> Uuid {
        let reply = self.ok(
            &petugas(),
            json!({"type": "nominate_inmate", "package_id": package_id, "person_ref": person}),
        );
        reply["participation_id"].as_str().unwrap().parse().unwrap()
    }

    fn approved(&mut self, package_id: Uuid, person: &str) -> Uuid {
        let participation_id = self.nominated(package_id, person);
        self.ok(
            &wali(),
            json!({"type": "assess_eligibility", "participation_id": participation_id}),
        );
        self.ok(&karutan(), json!({"type": "approve_nomination", "participation_id": participation_id, "tpp_session_date": "2026-02-18", "document_ref": "BA-TPP/2026/02"}));
        participation_id
    }

    fn accepted(&mut self, package_id: Uuid, person: &str) -> Uuid {
        let participation_id = self.approved(package_id, person);
        let reply = self.ok(
            &disnaker(),
            json!({"type": "accept_participant", "participation_id": participation_id}),
        );
        assert_eq!(reply["status"], "accepted", "{reply}");
        participation_id
    }

    /// Starts the package (on its first day) if needed, and the participant.
    fn active(&mut self, package_id: Uuid, person: &str) -> Uuid {
        let participation_id = self.accepted(package_id, person);
        self.today = self.today.max(date("2026-03-02"));
        if self.package_state(package_id).status == crate::state::PackageStatus::Planned {
            self.ok(&disnaker(), json!({"type": "start_package", "package_id": package_id}));
        }
        self.ok(
            &instruktur(),
            json!({"type": "start_participation", "participation_id": participation_id}),
        );
        participation_id
    }

    fn mark(
        &mut self,
        participation_id: Uuid,
        session_id: Uuid,
        code: &str,
    ) -> Result<Value, Rejection> {
        self.run(&instruktur(), json!({"type": "record_attendance", "participation_id": participation_id, "session_id": session_id, "code": code}))
    }

    /// An active participant who attended `attended` of the five sessions, at the package's end.
    fn trained(&mut self, package_id: Uuid, person: &str, attended: usize) -> Uuid {
        self.today = date("2026-03-02");
        let participation_id = self.active(package_id, person);
        self.today = date("2026-03-27");
        for (index, session_id) in self.sessions(package_id).into_iter().enumerate() {
            let code = if index < attended { "hadir" } else { "alpa" };
            self.mark(participation_id, session_id, code).unwrap();
        }
        participation_id
    }

    fn graduated(&mut self, package_id: Uuid, person: &str) -> Uuid {
        let participation_id = self.trained(package_id, person, 5);
        self.ok(
            &disnaker(),
            json!({"type": "complete_training", "participation_id": participation_id}),
        );
        let assessment_id = self.id();
        self.ok(&asesor(), json!({"type": "assess_competency", "participation_id": participation_id, "assessment_id": assessment_id, "lsp": "LSP-TTS", "result": "kompeten"}));
        self.ok(
            &disnaker(),
            json!({"type": "graduate_participant", "participation_id": participation_id}),
        );
        participation_id
    }

    fn grant_proposed(&mut self, participation_id: Uuid) -> Uuid {
        let reply = self.ok(&disnaker(), json!({
            "type": "propose_grant", "participation_id": participation_id,
            "items": [{"name": "mesin jahit", "quantity": 1, "unit_value_rupiah": 2_500_000}],
            "capital_rupiah": 1_000_000, "funding_source": "APBD TTS 2026", "budget_line": "5.1.02",
        }));
        reply["grant_id"].as_str().unwrap().parse().unwrap()
    }
}

// ----------------------------------------------------------------------------------------------
// Registry and packages

#[test]
fn an_organisation_is_registered_once() {
    let mut t = T::new();
    t.refused(&system(), json!({"type": "register_organisation", "code": "RUTAN-SOE", "name": "x", "kind": "rutan", "time_zone": "Asia/Makassar"}), "already_exists");
    t.refused(&system(), json!({"type": "register_organisation", "code": "rutan soe", "name": "x", "kind": "rutan", "time_zone": "Asia/Makassar"}), "invalid_field");
    t.refused(&petugas(), json!({"type": "register_organisation", "code": "LAPAS-ATAMBUA", "name": "x", "kind": "lapas", "time_zone": "Asia/Makassar"}), "not_permitted");
}

#[test]
fn a_package_is_defined_with_defaults_and_checked() {
    let mut t = T::new();
    let package_id = t.package(20, Some(10), "in_facility");
    let definition = t.package_state(package_id).definition.clone().unwrap();
    assert_eq!(definition.attendance_threshold_percent, 80, "80% is the default threshold");
    assert_eq!(definition.grant_policy, crate::vocabulary::GrantPolicy::GraduatesOnly);
    let base = |overrides: Value| {
        let mut command = json!({
            "type": "define_package", "package_id": Uuid::from_u128(77), "title": "Kecantikan",
            "provider": "DISNAKERTRANS-TTS", "skill": "kecantikan", "venue_type": "in_facility", "location": "SoE",
            "planned_hours": 40, "start_date": "2026-03-02", "end_date": "2026-03-27", "quota_total": 10,
            "funding_source": "APBD",
        });
        for (key, value) in overrides.as_object().unwrap() {
            command[key] = value.clone();
        }
        command
    };
    t.refused(&disnaker(), base(json!({"end_date": "2026-03-01"})), "invalid_field");
    t.refused(&disnaker(), base(json!({"quota_total": 0})), "invalid_field");
    t.refused(&disnaker(), base(json!({"quota_inmates": 11})), "invalid_field");
    t.refused(&disnaker(), base(json!({"attendance_threshold_percent": 101})), "invalid_field");
    t.refused(&disnaker(), base(json!({"provider": "BLK-ENTAH"})), "not_found");
    t.refused(&disnaker(), base(json!({"facilities": ["DISNAKERTRANS-TTS"]})), "not_found");
    t.refused(&disnaker(), base(json!({"start_date": "1800-01-01"})), "date_out_of_range");
    t.refused(&disnaker(), base(json!({"package_id": package_id})), "already_exists");
    t.refused(
        &actor("disnaker.lain", Role::DisnakerAdmin, "DISNAKERTRANS-KUPANG"),
        base(json!({})),
        "wrong_organisation",
    );
    t.refused(&petugas(), base(json!({})), "not_permitted");
    t.ok(&disnaker(), base(json!({})));
}

#[test]
fn an_amendment_needs_a_reason_and_never_takes_the_quota_below_the_accepted() {
    let mut t = T::new();
    let package_id = t.package(3, None, "in_facility");
    for n in 0..2 {
        let person = t.inmate(n, "RUTAN-SOE");
        t.accepted(package_id, &person);
    }
    t.refused(
        &disnaker(),
        json!({"type": "amend_package", "package_id": package_id, "quota_total": 5}),
        "required",
    );
    t.refused(&disnaker(), json!({"type": "amend_package", "package_id": package_id, "quota_total": 1, "reason": "ruang kecil"}), "quota_below_accepted");
    t.refused(&disnaker(), json!({"type": "amend_package", "package_id": package_id, "end_date": "2026-03-20", "reason": "dipercepat"}), "outside_package_period");
    t.ok(&disnaker(), json!({"type": "amend_package", "package_id": package_id, "quota_total": 2, "reason": "ruang kecil"}));
    assert_eq!(t.package_state(package_id).definition.as_ref().unwrap().quota_total, 2);
}

#[test]
fn sessions_are_scheduled_inside_the_period_and_cancelled_with_a_reason() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let outside = json!({"type": "schedule_session", "package_id": package_id, "session_id": Uuid::from_u128(9), "date": "2026-04-01", "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4});
    t.refused(&instruktur(), outside, "outside_package_period");
    let backwards = json!({"type": "schedule_session", "package_id": package_id, "session_id": Uuid::from_u128(9), "date": "2026-03-03", "start_time": "12:00:00", "end_time": "08:00:00", "hours": 4});
    t.refused(&instruktur(), backwards, "invalid_field");
    let session_id = t.sessions(package_id)[0];
    t.refused(
        &instruktur(),
        json!({"type": "cancel_session", "package_id": package_id, "session_id": session_id}),
        "required",
    );
    t.ok(&instruktur(), json!({"type": "cancel_session", "package_id": package_id, "session_id": session_id, "reason": "listrik padam"}));
    t.refused(&instruktur(), json!({"type": "cancel_session", "package_id": package_id, "session_id": session_id, "reason": "lagi"}), "session_cancelled");
}

#[test]
fn a_package_starts_within_its_period_once() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    t.refused(
        &disnaker(),
        json!({"type": "start_package", "package_id": package_id}),
        "outside_package_period",
    );
    t.today = date("2026-03-02");
    t.ok(&disnaker(), json!({"type": "start_package", "package_id": package_id}));
    t.refused(
        &disnaker(),
        json!({"type": "start_package", "package_id": package_id}),
        "invalid_state",
    );
}

#[test]
fn closing_completes_those_above_the_threshold_and_ends_those_below() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let good = t.inmate(1, "RUTAN-SOE");
    let poor = t.inmate(2, "RUTAN-SOE");
    let waiting = t.inmate(3, "RUTAN-SOE");
    let good = t.trained(package_id, &good, 4);
    let poor = t.trained(package_id, &poor, 2);
    let waiting = t.accepted(package_id, &waiting);
    t.today = date("2026-03-20");
    t.refused(
        &disnaker(),
        json!({"type": "close_package", "package_id": package_id}),
        "not_allowed",
    );
    t.today = date("2026-03-27");
    t.ok(&disnaker(), json!({"type": "close_package", "package_id": package_id}));
    assert_eq!(t.status(good), S::Completed);
    assert_eq!(t.status(poor), S::Ended);
    assert_eq!(t.status(waiting), S::Withdrawn);
    assert!(t.ledger.facts().iter().any(|(_, f)| matches!(&f.event, Event::ParticipationEnded(e) if e.reason == crate::vocabulary::EndReason::KehadiranKurang)));
    assert_eq!(t.package_state(package_id).status, crate::state::PackageStatus::Closed);
}

#[test]
fn cancelling_a_package_ends_every_open_participation_with_a_system_reason() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let (one, two) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    let active = t.active(package_id, &one);
    let nominated = t.nominated(package_id, &two);
    t.refused(&disnaker(), json!({"type": "cancel_package", "package_id": package_id}), "required");
    t.ok(&disnaker(), json!({"type": "cancel_package", "package_id": package_id, "reason": "instruktur tidak tersedia"}));
    assert_eq!(t.status(active), S::Ended);
    assert_eq!(t.status(nominated), S::Withdrawn);
    let ended = t.ledger.facts().iter().find_map(|(_, f)| match &f.event {
        Event::ParticipationEnded(e) => Some(e.clone()),
        _ => None,
    });
    let ended = ended.unwrap();
    assert_eq!(ended.reason, crate::vocabulary::EndReason::PaketDibatalkan);
    assert!(ended.system_only);
    assert!(t.package_state(package_id).places.is_empty(), "places are given back");
}

// ----------------------------------------------------------------------------------------------
// Nomination and eligibility

#[test]
fn a_nomination_opens_the_participation_the_person_link_and_the_roster_entry() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.nominated(package_id, &person);
    assert_eq!(t.last(3), ["ParticipantNominated", "ParticipationOpened", "RosterEntryOpened"]);
    assert_eq!(participation_id, streams::participation_id(package_id, &person));
    assert_eq!(t.status(participation_id), S::Nominated);
    assert!(t.person(&person).participations.contains_key(&participation_id));
    assert!(t.package_state(package_id).roster.contains(&participation_id));
}

#[test]
fn a_nomination_is_refused_outside_the_rules() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let nominate = |person: &str| json!({"type": "nominate_inmate", "package_id": package_id, "person_ref": person});
    t.refused(&petugas(), nominate("SDP-12345"), "invalid_field");
    t.refused(&petugas(), nominate(&person_ref(99)), "not_found");
    let kupang = actor("petugas.citra", Role::PetugasPembinaan, "LAPAS-KUPANG");
    t.refused(&kupang, nominate(&person), "wrong_organisation");
    t.nominated(package_id, &person);
    t.refused(&petugas(), nominate(&person), "already_exists");
    let other_package = t.id();
    t.ok(&disnaker(), json!({
        "type": "define_package", "package_id": other_package, "title": "Barber", "provider": "DISNAKERTRANS-TTS",
        "skill": "pangkas_rambut", "venue_type": "in_facility", "location": "Kupang", "facilities": ["LAPAS-KUPANG"],
        "planned_hours": 40, "start_date": "2026-03-02", "end_date": "2026-03-27", "quota_total": 10, "funding_source": "APBD",
    }));
    t.refused(
        &petugas(),
        json!({"type": "nominate_inmate", "package_id": other_package, "person_ref": person}),
        "facility_not_in_package",
    );
    let released = t.inmate(2, "RUTAN-SOE");
    t.ok(&petugas(), json!({"type": "record_release", "person_ref": released, "release_type": "bebas_murni", "released_on": "2026-02-01"}));
    t.refused(&petugas(), nominate(&released), "not_in_custody");
}

#[test]
fn a_rejected_nomination_may_be_nominated_again_as_a_new_cycle() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.nominated(package_id, &person);
    t.ok(&karutan(), json!({"type": "reject_nomination", "participation_id": participation_id, "reason_code": "behaviour"}));
    assert_eq!(t.status(participation_id), S::Rejected);
    let again = t.nominated(package_id, &person);
    assert_eq!(again, participation_id);
    assert_eq!(t.participation(again).cycle, 2);
    assert_eq!(t.status(again), S::Nominated);
}

#[test]
fn eligibility_follows_the_rule_set_of_the_venue_and_records_every_criterion() {
    let mut t = T::new();
    let inside = t.package(10, None, "in_facility");
    let outside = t.package(10, None, "training_centre");
    let person = t.inmate(1, "RUTAN-SOE");
    t.ok(&system(), json!({"type": "record_disciplinary_sanction", "person_ref": person, "sanction_id": Uuid::from_u128(5), "imposed_on": "2025-11-01", "ends_on": "2025-12-01"}));
    let in_facility = t.nominated(inside, &person);
    let reply =
        t.ok(&wali(), json!({"type": "assess_eligibility", "participation_id": in_facility}));
    assert_eq!(
        (reply["eligible"].as_bool(), reply["rule_set"].as_str()),
        (Some(true), Some("pembinaan-kemandirian"))
    );
    let assimilation = t.nominated(outside, &person);
    let reply =
        t.ok(&wali(), json!({"type": "assess_eligibility", "participation_id": assimilation}));
    assert_eq!(
        (reply["eligible"].as_bool(), reply["rule_set"].as_str()),
        (Some(false), Some("asimilasi-umum"))
    );
    assert_eq!(t.status(assimilation), S::NotEligible);
    let Event::EligibilityAssessed(assessed) = t.last_event() else { panic!() };
    let failed: Vec<_> =
        assessed.criteria.iter().filter(|c| !c.met).map(|c| c.criterion.as_str()).collect();
    assert_eq!(failed, ["no_sanction_6_months"]);
    assert_eq!(assessed.inputs.last_sanction_end, Some(date("2025-12-01")));
    let other_wali = actor("wali.lain", Role::Wali, "LAPAS-KUPANG");
    t.refused(
        &other_wali,
        json!({"type": "assess_eligibility", "participation_id": assimilation}),
        "wrong_organisation",
    );
}

#[test]
fn an_eligibility_override_needs_a_request_a_reason_and_a_second_person() {
    let mut t = T::new();
    let outside = t.package(10, None, "village");
    let person = t.inmate(1, "RUTAN-SOE");
    t.ok(&system(), json!({"type": "record_disciplinary_sanction", "person_ref": person, "sanction_id": Uuid::from_u128(5), "imposed_on": "2025-11-01", "ends_on": "2025-12-01"}));
    let participation_id = t.nominated(outside, &person);
    t.ok(&wali(), json!({"type": "assess_eligibility", "participation_id": participation_id}));
    let request_id = Uuid::from_u128(42);
    let request = json!({"type": "request_eligibility_override", "participation_id": participation_id, "request_id": request_id});
    t.refused(&wali(), request.clone(), "required");
    let mut with_reason = request.clone();
    with_reason["reason"] = json!("pelanggaran ringan, berkelakuan baik sejak");
    t.ok(&wali(), with_reason);
    let approve = json!({"type": "approve_eligibility_override", "participation_id": participation_id, "request_id": request_id});
    t.refused(
        &actor("wali.dewi", Role::Karutan, "RUTAN-SOE"),
        approve.clone(),
        "segregation_of_duties",
    );
    t.refused(&wali(), approve.clone(), "not_permitted");
    t.ok(&karutan(), approve.clone());
    assert_eq!(t.status(participation_id), S::Eligible);
    assert!(t.participation(participation_id).overridden);
    t.refused(&karutan(), approve, "nothing_pending");
}

#[test]
fn the_review_board_never_approves_its_own_nomination_and_records_its_minutes() {
    let mut t = T::new();
    let package_id = t.package(10, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.nominated(package_id, &person);
    let approve = |document: Option<&str>| {
        let mut command = json!({"type": "approve_nomination", "participation_id": participation_id, "tpp_session_date": "2026-02-18"});
        if let Some(document) = document {
            command["document_ref"] = json!(document);
        }
        command
    };
    t.refused(&karutan(), approve(Some("BA-TPP/1")), "invalid_state");
    t.ok(&wali(), json!({"type": "assess_eligibility", "participation_id": participation_id}));
    t.refused(
        &actor("petugas.andi", Role::Karutan, "RUTAN-SOE"),
        approve(Some("BA-TPP/1")),
        "segregation_of_duties",
    );
    t.refused(&karutan(), approve(None), "required");
    t.refused(
        &actor("karutan.lain", Role::Karutan, "LAPAS-KUPANG"),
        approve(Some("BA-TPP/1")),
        "wrong_organisation",
    );
    t.ok(&karutan(), approve(Some("BA-TPP/1")));
    assert_eq!(t.status(participation_id), S::Approved);
    let Event::NominationApproved(approved) = t.last_event() else { panic!() };
    assert_eq!(approved.nominated_by, "petugas.andi");
}

// ----------------------------------------------------------------------------------------------
// Acceptance, quota and the waiting list

#[test]
fn acceptance_within_the_quota_then_the_waiting_list_in_order() {
    let mut t = T::new();
    let package_id = t.package(2, None, "in_facility");
    let people: Vec<String> = (1..=4).map(|n| t.inmate(n, "RUTAN-SOE")).collect();
    let ids: Vec<Uuid> = people.iter().map(|person| t.approved(package_id, person)).collect();
    for id in &ids[..2] {
        assert_eq!(
            t.ok(&disnaker(), json!({"type": "accept_participant", "participation_id": id}))["status"],
            "accepted"
        );
    }
    for (position, id) in ids[2..].iter().enumerate() {
        let reply =
            t.ok(&disnaker(), json!({"type": "accept_participant", "participation_id": id}));
        assert_eq!(
            (reply["status"].as_str(), reply["position"].as_u64()),
            (Some("waitlisted"), Some(position as u64 + 1))
        );
    }
    assert_eq!(t.status(ids[3]), S::Waitlisted);
    t.refused(
        &disnaker(),
        json!({"type": "accept_participant", "participation_id": ids[2]}),
        "quota_full",
    );
    t.ok(&petugas(), json!({"type": "withdraw_participant", "participation_id": ids[0], "reason_code": "own_request"}));
    t.refused(
        &disnaker(),
        json!({"type": "accept_participant", "participation_id": ids[3]}),
        "waitlist_order",
    );
    t.ok(&disnaker(), json!({"type": "accept_participant", "participation_id": ids[2]}));
    assert_eq!(t.package_state(package_id).places_taken(), 2);
    assert_eq!(t.package_state(package_id).waitlist.len(), 1);
}

#[test]
fn the_inmate_sub_quota_is_kept_apart_from_the_total() {
    let mut t = T::new();
    let package_id = t.package(3, Some(1), "in_facility");
    let first = t.inmate(1, "RUTAN-SOE");
    let second = t.inmate(2, "RUTAN-SOE");
    t.accepted(package_id, &first);
    let second = t.approved(package_id, &second);
    let reply =
        t.ok(&disnaker(), json!({"type": "accept_participant", "participation_id": second}));
    assert_eq!(reply["status"], "waitlisted", "the one inmate place is taken");
    let public = person_ref(500);
    let reply = t.ok(&disnaker(), json!({"type": "register_public_applicant", "package_id": package_id, "person_ref": public, "desa_code": "53.02.01.2001", "kecamatan_code": "53.02.01"}));
    let public_id: Uuid = reply["participation_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        t.ok(&disnaker(), json!({"type": "accept_participant", "participation_id": public_id}))["status"],
        "accepted"
    );
}

#[test]
fn an_inmate_must_be_approved_before_acceptance_and_a_public_applicant_needs_no_board() {
    let mut t = T::new();
    let package_id = t.package(5, None, "village");
    let person = t.inmate(1, "RUTAN-SOE");
    let nominated = t.nominated(package_id, &person);
    t.refused(
        &disnaker(),
        json!({"type": "accept_participant", "participation_id": nominated}),
        "invalid_state",
    );
    let register = json!({"type": "register_public_applicant", "package_id": package_id, "person_ref": person_ref(600), "desa_code": "53.02.01.2001", "kecamatan_code": "53.02.01"});
    t.refused(&disnaker(), json!({"type": "register_public_applicant", "package_id": package_id, "person_ref": person, "desa_code": "53.02", "kecamatan_code": "53.02"}), "not_allowed");
    let mut bad = register.clone();
    bad["desa_code"] = json!("Desa Oinlasi");
    t.refused(&disnaker(), bad, "invalid_field");
    t.ok(&disnaker(), register);
    assert_eq!(
        t.last(3),
        ["PublicApplicantRegistered", "ParticipationOpened", "RosterEntryOpened"]
    );
}

#[test]
fn withdrawal_is_before_the_start_and_gives_the_place_back() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let (one, two) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    let accepted = t.accepted(package_id, &one);
    t.refused(&petugas(), json!({"type": "withdraw_participant", "participation_id": accepted, "reason_code": "released"}), "system_only_reason");
    t.ok(&petugas(), json!({"type": "withdraw_participant", "participation_id": accepted, "reason_code": "own_request"}));
    assert_eq!(t.last(2), ["ParticipantWithdrawn", "PlaceReleased"]);
    let active = t.active(package_id, &two);
    t.refused(&petugas(), json!({"type": "withdraw_participant", "participation_id": active, "reason_code": "own_request"}), "invalid_state");
}

// ----------------------------------------------------------------------------------------------
// Training: start, attendance, suspension, ending, completion

#[test]
fn a_participant_starts_only_once_the_package_has_started() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.accepted(package_id, &person);
    t.today = date("2026-03-02");
    t.refused(
        &instruktur(),
        json!({"type": "start_participation", "participation_id": participation_id}),
        "invalid_state",
    );
    t.ok(&disnaker(), json!({"type": "start_package", "package_id": package_id}));
    t.ok(
        &instruktur(),
        json!({"type": "start_participation", "participation_id": participation_id}),
    );
    assert_eq!(t.status(participation_id), S::Active);
}

#[test]
fn one_attendance_mark_per_session_only_for_held_sessions_while_active() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.active(package_id, &person);
    let sessions = t.sessions(package_id);
    assert_eq!(
        t.mark(participation_id, sessions[1], "hadir").unwrap_err().code(),
        "invalid_field",
        "a session in the future"
    );
    t.mark(participation_id, sessions[0], "hadir").unwrap();
    assert_eq!(
        t.mark(participation_id, sessions[0], "alpa").unwrap_err().code(),
        "attendance_already_recorded"
    );
    t.today = date("2026-03-10");
    assert_eq!(
        t.mark(participation_id, sessions[1], "sesi_dibatalkan").unwrap_err().code(),
        "system_only_reason"
    );
    assert_eq!(
        t.mark(participation_id, sessions[1], "ditangguhkan").unwrap_err().code(),
        "invalid_field"
    );
    let late = json!({"type": "record_attendance", "participation_id": participation_id, "session_id": sessions[1], "code": "hadir", "minutes_late": 10});
    t.refused(&instruktur(), late, "invalid_field");
    t.ok(&instruktur(), json!({"type": "record_attendance", "participation_id": participation_id, "session_id": sessions[1], "code": "terlambat", "minutes_late": 10}));
    t.ok(&instruktur(), json!({"type": "cancel_session", "package_id": package_id, "session_id": sessions[4], "reason": "hari libur"}));
    t.today = date("2026-03-27");
    assert_eq!(
        t.mark(participation_id, sessions[4], "hadir").unwrap_err().code(),
        "session_cancelled"
    );
    t.refused(&actor("instruktur.lain", Role::Instruktur, "BLK-LAIN"), json!({"type": "record_attendance", "participation_id": participation_id, "session_id": sessions[2], "code": "hadir"}), "wrong_organisation");
    t.refused(&actor("auditor.maya", Role::Auditor, "INSPEKTORAT"), json!({"type": "record_attendance", "participation_id": participation_id, "session_id": sessions[2], "code": "hadir"}), "not_permitted");
}

#[test]
fn no_attendance_after_the_participation_ended_and_only_ditangguhkan_while_suspended() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.active(package_id, &person);
    let sessions = t.sessions(package_id);
    t.today = date("2026-03-08");
    t.ok(&petugas(), json!({"type": "suspend_participation", "participation_id": participation_id, "reason_code": "sidang"}));
    t.refused(&petugas(), json!({"type": "suspend_participation", "participation_id": participation_id, "reason_code": "sakit"}), "invalid_state");
    t.today = date("2026-03-10");
    assert_eq!(t.mark(participation_id, sessions[1], "hadir").unwrap_err().code(), "invalid_field");
    t.mark(participation_id, sessions[1], "ditangguhkan").unwrap();
    t.ok(&petugas(), json!({"type": "resume_participation", "participation_id": participation_id}));
    t.refused(&petugas(), json!({"type": "end_participation", "participation_id": participation_id, "reason_code": "bebas"}), "system_only_reason");
    t.ok(&petugas(), json!({"type": "end_participation", "participation_id": participation_id, "reason_code": "mengundurkan_diri"}));
    assert_eq!(t.last(2), ["ParticipationEnded", "PlaceReleased"]);
    t.today = date("2026-03-16");
    assert_eq!(
        t.mark(participation_id, sessions[2], "hadir").unwrap_err().code(),
        "not_active_on_date"
    );
    assert!(
        t.mark(participation_id, sessions[0], "hadir").is_ok(),
        "a session before the end may be entered late"
    );
    t.refused(&petugas(), json!({"type": "suspend_participation", "participation_id": participation_id, "reason_code": "pindah_sementara"}), "invalid_state");
}

#[test]
fn completion_needs_the_package_end_and_the_attendance_threshold() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let (one, two) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    let poor = t.trained(package_id, &one, 3);
    let good = t.trained(package_id, &two, 4);
    let complete = |id: Uuid| json!({"type": "complete_training", "participation_id": id});
    let rejection = t.refused(&disnaker(), complete(poor), "below_attendance_threshold");
    assert!(
        rejection
            .to_string()
            .contains("3 of 5 sessions is below the 80% threshold (kehadiran kurang)"),
        "{rejection}"
    );
    t.ok(&disnaker(), complete(good));
    let Event::TrainingCompleted(completed) = t.last_event() else { panic!() };
    assert_eq!(
        (completed.sessions_attended, completed.sessions_expected, completed.hours_attended),
        (4, 5, 16)
    );
    let early_package = t.package(5, None, "in_facility");
    let three = t.inmate(3, "RUTAN-SOE");
    t.today = date("2026-02-20");
    let early = t.active(early_package, &three);
    t.refused(&disnaker(), complete(early), "not_allowed");
}

// ----------------------------------------------------------------------------------------------
// Competency, graduation, certificates

#[test]
fn graduation_needs_completion_and_a_competent_result() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.trained(package_id, &person, 5);
    let assess = |result: &str, id: u128| json!({"type": "assess_competency", "participation_id": participation_id, "assessment_id": Uuid::from_u128(id), "lsp": "LSP-TTS", "result": result});
    t.refused(&asesor(), assess("kompeten", 1), "invalid_state");
    t.ok(&disnaker(), json!({"type": "complete_training", "participation_id": participation_id}));
    t.refused(
        &disnaker(),
        json!({"type": "graduate_participant", "participation_id": participation_id}),
        "not_competent",
    );
    t.ok(&asesor(), assess("belum_kompeten", 1));
    t.refused(
        &disnaker(),
        json!({"type": "graduate_participant", "participation_id": participation_id}),
        "not_competent",
    );
    t.refused(&disnaker(), json!({"type": "issue_certificate", "participation_id": participation_id, "certificate_type": "kompetensi_bnsp", "number": "BNSP-1", "issuer": "BNSP"}), "not_competent");
    t.ok(&disnaker(), json!({"type": "issue_certificate", "participation_id": participation_id, "certificate_type": "pelatihan", "number": "SP-001", "issuer": "DISNAKERTRANS-TTS"}));
    t.refused(&disnaker(), json!({"type": "issue_certificate", "participation_id": participation_id, "certificate_type": "pelatihan", "number": "SP-001", "issuer": "DISNAKERTRANS-TTS"}), "already_exists");
    t.ok(&asesor(), assess("kompeten", 2));
    t.ok(
        &disnaker(),
        json!({"type": "graduate_participant", "participation_id": participation_id}),
    );
    assert_eq!(t.status(participation_id), S::Graduated);
    t.ok(&disnaker(), json!({"type": "issue_certificate", "participation_id": participation_id, "certificate_type": "kompetensi_bnsp", "number": "BNSP-1", "issuer": "BNSP", "valid_until": "2029-03-27"}));
}

// ----------------------------------------------------------------------------------------------
// Grants

#[test]
fn only_graduates_get_a_grant_unless_the_policy_says_otherwise_and_one_at_a_time() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let (one, two) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    let completed = t.trained(package_id, &one, 5);
    t.ok(&disnaker(), json!({"type": "complete_training", "participation_id": completed}));
    let propose = |id: Uuid, capital: i64, unit: i64| {
        json!({
            "type": "propose_grant", "participation_id": id,
            "items": [{"name": "mesin jahit", "quantity": 2, "unit_value_rupiah": unit}],
            "capital_rupiah": capital, "funding_source": "APBD", "budget_line": "5.1.02",
        })
    };
    t.refused(&disnaker(), propose(completed, 1_000_000, 2_000_000), "not_entitled_to_grant");
    let graduate = t.graduated(package_id, &two);
    t.refused(&disnaker(), propose(graduate, -5, 2_000_000), "negative_rupiah");
    t.refused(&disnaker(), propose(graduate, 0, i64::MAX), "rupiah_overflow");
    let reply = t.ok(&disnaker(), propose(graduate, 1_000_000, 2_000_000));
    assert_eq!(reply["total_rupiah"], 5_000_000);
    t.refused(&disnaker(), propose(graduate, 1, 1), "open_grant_exists");
}

#[test]
fn proposer_approver_and_handover_officer_are_three_people() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let graduate = t.graduated(package_id, &person);
    let grant_id = t.grant_proposed(graduate);
    let approve =
        json!({"type": "approve_grant", "grant_id": grant_id, "document_ref": "SK-PPK/2026/3"});
    t.refused(
        &actor("disnaker.gita", Role::Ppk, "DISNAKERTRANS-TTS"),
        approve.clone(),
        "segregation_of_duties",
    );
    t.refused(&ppk(), json!({"type": "approve_grant", "grant_id": grant_id}), "required");
    t.ok(&ppk(), approve);
    let hand_over = |recipient: &str| json!({"type": "hand_over_grant", "grant_id": grant_id, "place": "SoE", "recipient": recipient, "document_ref": "BAST/2026/17"});
    t.refused(
        &actor("ppk.joko", Role::PetugasSerahTerima, "DISNAKERTRANS-TTS"),
        hand_over("sendiri"),
        "segregation_of_duties",
    );
    t.refused(
        &actor("disnaker.gita", Role::PetugasSerahTerima, "DISNAKERTRANS-TTS"),
        hand_over("sendiri"),
        "segregation_of_duties",
    );
    t.refused(&serah(), hand_over("sendiri"), "not_allowed");
    t.refused(&serah(), hand_over("perwakilan"), "required");
    t.ok(&serah(), json!({"type": "defer_grant_handover", "grant_id": grant_id, "reason_code": "masih_ditahan", "storage_ref": "REG-D/2026/4"}));
    t.ok(&serah(), json!({"type": "hand_over_grant", "grant_id": grant_id, "place": "SoE", "recipient": "perwakilan", "authority_ref": "SK/keluarga/1", "document_ref": "BAST/2026/17"}));
    let Event::GrantHandedOver(handed_over) = t.last_event() else { panic!() };
    assert_eq!(
        (handed_over.bast_number.as_str(), handed_over.approved_by.as_str()),
        ("BAST/2026/17", "ppk.joko")
    );
    t.refused(
        &ppk(),
        json!({"type": "cancel_grant", "grant_id": grant_id, "reason": "x"}),
        "invalid_state",
    );
}

#[test]
fn a_grant_is_cancelled_before_handover_monitored_and_recovered_after() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let (one, two) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    let first = t.graduated(package_id, &one);
    let grant_id = t.grant_proposed(first);
    t.refused(&ppk(), json!({"type": "cancel_grant", "grant_id": grant_id}), "required");
    t.ok(
        &ppk(),
        json!({"type": "cancel_grant", "grant_id": grant_id, "reason": "anggaran dialihkan"}),
    );
    let again = t.grant_proposed(first);
    assert_eq!(again, grant_id, "a cancelled grant may be proposed again");
    let second = t.graduated(package_id, &two);
    let grant_id = t.grant_proposed(second);
    t.ok(
        &ppk(),
        json!({"type": "approve_grant", "grant_id": grant_id, "document_ref": "SK-PPK/4"}),
    );
    t.ok(&petugas(), json!({"type": "record_release", "person_ref": two, "release_type": "bebas_murni", "released_on": "2026-03-28"}));
    let monitor = json!({"type": "record_grant_monitoring", "grant_id": grant_id, "visit_id": Uuid::from_u128(3), "business_status": "berjalan"});
    t.refused(&bapas(), monitor.clone(), "invalid_state");
    t.refused(&serah(), json!({"type": "defer_grant_handover", "grant_id": grant_id, "reason_code": "masih_ditahan"}), "not_in_custody");
    t.ok(&serah(), json!({"type": "hand_over_grant", "grant_id": grant_id, "place": "Desa Oinlasi", "recipient": "sendiri", "document_ref": "BAST/2026/18"}));
    t.ok(&bapas(), monitor);
    t.refused(&ppk(), json!({"type": "recover_grant", "grant_id": grant_id, "amount_rupiah": 4_000_000, "reason": "dijual"}), "recovery_exceeds_grant");
    t.ok(&ppk(), json!({"type": "recover_grant", "grant_id": grant_id, "amount_rupiah": 2_500_000, "reason": "dijual"}));
    t.refused(&ppk(), json!({"type": "recover_grant", "grant_id": grant_id, "amount_rupiah": 1_000_001, "reason": "dijual"}), "recovery_exceeds_grant");
}

// ----------------------------------------------------------------------------------------------
// Person facts and their consequences

#[test]
fn a_transfer_ends_training_withdraws_pending_defers_grants_and_raises_a_task() {
    let mut t = T::new();
    let (first, second) = (t.package(5, None, "in_facility"), t.package(5, None, "in_facility"));
    let person = t.inmate(1, "RUTAN-SOE");
    let graduate = t.graduated(first, &person);
    let grant_id = t.grant_proposed(graduate);
    t.ok(
        &ppk(),
        json!({"type": "approve_grant", "grant_id": grant_id, "document_ref": "SK-PPK/5"}),
    );
    t.today = date("2026-03-02");
    let training = {
        let later = t.id();
        t.ok(&disnaker(), json!({
            "type": "define_package", "package_id": later, "title": "Batako", "provider": "DISNAKERTRANS-TTS",
            "skill": "pres_batako", "venue_type": "in_facility", "location": "SoE", "facilities": ["RUTAN-SOE"],
            "planned_hours": 40, "start_date": "2026-03-28", "end_date": "2026-04-30", "quota_total": 10, "funding_source": "APBD",
        }));
        t.approved(later, &person)
    };
    let _ = second;
    t.refused(&petugas(), json!({"type": "record_transfer", "person_ref": person, "to_facility": "LAPAS-ENTAH", "transferred_on": "2026-03-29"}), "not_found");
    t.ok(&petugas(), json!({"type": "record_transfer", "person_ref": person, "to_facility": "LAPAS-KUPANG", "transferred_on": "2026-03-29"}));
    assert_eq!(t.status(training), S::Withdrawn);
    assert_eq!(t.status(graduate), S::Graduated, "finished training is untouched");
    let grant = match t.ledger.state(&streams::grant(grant_id)) {
        Some(StreamState::Grant(g)) => g.status,
        _ => None,
    };
    assert_eq!(grant, Some(GrantStatus::Deferred));
    let person_state = t.person(&person);
    assert_eq!(person_state.facility.as_deref(), Some("LAPAS-KUPANG"));
    let task = person_state.tasks.values().next().unwrap();
    assert_eq!((task.facility.as_str(), task.trigger.as_str()), ("RUTAN-SOE", "transferred"));
}

#[test]
fn a_release_ends_active_training_with_a_system_reason_and_is_acknowledged_once() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let active = t.active(package_id, &person);
    t.ok(&system(), json!({"type": "record_release", "person_ref": person, "release_type": "pembebasan_bersyarat", "released_on": "2026-03-05"}));
    assert_eq!(t.status(active), S::Ended);
    let ended = t
        .ledger
        .facts()
        .iter()
        .rev()
        .find_map(|(_, f)| match &f.event {
            Event::ParticipationEnded(e) => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((ended.reason, ended.system_only), (crate::vocabulary::EndReason::Bebas, true));
    let task_id = *t.person(&person).tasks.keys().next().unwrap();
    let acknowledge =
        json!({"type": "acknowledge_change", "person_ref": person, "task_id": task_id});
    t.refused(
        &actor("petugas.citra", Role::PetugasPembinaan, "LAPAS-KUPANG"),
        acknowledge.clone(),
        "wrong_organisation",
    );
    t.ok(&petugas(), acknowledge.clone());
    t.refused(&petugas(), acknowledge, "already_exists");
    t.refused(&petugas(), json!({"type": "record_release", "person_ref": person, "release_type": "bebas_murni", "released_on": "2026-03-06"}), "not_in_custody");
}

#[test]
fn follow_up_is_after_release_and_revocation_only_of_a_conditional_release() {
    let mut t = T::new();
    let person = t.inmate(1, "RUTAN-SOE");
    let follow_up = |on: &str| json!({"type": "record_follow_up", "person_ref": person, "contact_id": Uuid::new_v5(&Uuid::NAMESPACE_OID, on.as_bytes()), "contacted_on": on, "employment_status": "wirausaha", "uses_trained_skill": true});
    t.refused(&bapas(), follow_up("2026-02-01"), "not_allowed");
    t.refused(&system(), json!({"type": "record_revocation", "person_ref": person, "revoked_on": "2026-02-01", "reason_code": "pelanggaran_syarat"}), "not_allowed");
    t.ok(&system(), json!({"type": "record_release", "person_ref": person, "release_type": "bebas_murni", "released_on": "2026-02-10"}));
    t.refused(&bapas(), follow_up("2026-02-01"), "invalid_field");
    t.ok(&bapas(), follow_up("2026-05-10"));
    t.refused(&system(), json!({"type": "record_revocation", "person_ref": person, "revoked_on": "2026-02-11", "reason_code": "pelanggaran_syarat"}), "not_allowed");
    let paroled = t.inmate(2, "RUTAN-SOE");
    t.ok(&system(), json!({"type": "record_release", "person_ref": paroled, "release_type": "pembebasan_bersyarat", "released_on": "2026-02-10"}));
    t.ok(&system(), json!({"type": "record_revocation", "person_ref": paroled, "revoked_on": "2026-02-15", "reason_code": "pelanggaran_syarat"}));
    assert!(t.person(&paroled).in_custody);
}

#[test]
fn a_new_case_has_ordered_dates_and_a_death_closes_the_record() {
    let mut t = T::new();
    let person = t.inmate(1, "RUTAN-SOE");
    let case = |offence: &str, conviction: &str| json!({"type": "record_new_case", "person_ref": person, "case_id": Uuid::from_u128(8), "offence_date": offence, "conviction_date": conviction, "source": "sdp"});
    t.refused(&system(), case("2026-01-10", "2026-01-01"), "invalid_field");
    t.refused(&system(), case("2026-12-01", "2026-12-02"), "invalid_field");
    t.ok(&system(), case("2026-01-01", "2026-01-10"));
    t.refused(&system(), case("2026-01-01", "2026-01-10"), "already_exists");
    t.ok(&system(), json!({"type": "record_death", "person_ref": person, "died_on": "2026-02-01"}));
    t.refused(
        &system(),
        json!({"type": "record_death", "person_ref": person, "died_on": "2026-02-01"}),
        "already_exists",
    );
}

#[test]
fn merged_records_send_later_facts_to_the_survivor() {
    let mut t = T::new();
    let (survivor, duplicate) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    t.refused(
        &petugas(),
        json!({"type": "merge_person_records", "person_ref": survivor, "merged_ref": duplicate}),
        "not_permitted",
    );
    t.refused(
        &system(),
        json!({"type": "merge_person_records", "person_ref": survivor, "merged_ref": survivor}),
        "invalid_field",
    );
    t.ok(
        &system(),
        json!({"type": "merge_person_records", "person_ref": survivor, "merged_ref": duplicate}),
    );
    let rejection = t.refused(
        &system(),
        json!({"type": "record_death", "person_ref": duplicate, "died_on": "2026-02-01"}),
        "person_merged",
    );
    assert!(rejection.to_string().contains(&survivor));
}

// ----------------------------------------------------------------------------------------------
// Corrections

#[test]
fn a_timely_correction_reverses_and_the_mark_may_be_recorded_again() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.active(package_id, &person);
    let session = t.sessions(package_id)[0];
    t.mark(participation_id, session, "alpa").unwrap();
    let mark_id = t.ledger.facts().last().unwrap().1.meta.event_id;
    let stream = streams::participation(participation_id);
    let correct = json!({"type": "correct_event", "stream_id": stream, "event_id": mark_id, "request_id": Uuid::from_u128(1)});
    t.refused(&instruktur(), correct.clone(), "required");
    let mut with_reason = correct.clone();
    with_reason["reason"] = json!("salah input: peserta hadir");
    assert_eq!(t.ok(&instruktur(), with_reason.clone())["status"], "reversed");
    assert!(t.participation(participation_id).marks.is_empty());
    t.mark(participation_id, session, "hadir").unwrap();
    t.refused(&instruktur(), with_reason, "already_reversed");
    let reversal_id = t
        .ledger
        .facts()
        .iter()
        .rev()
        .find(|(_, f)| matches!(f.event, Event::EventReversed(_)))
        .unwrap()
        .1
        .meta
        .event_id;
    let reverse_reversal = json!({"type": "correct_event", "stream_id": stream, "event_id": reversal_id, "request_id": Uuid::from_u128(2), "reason": "x"});
    t.refused(&instruktur(), reverse_reversal, "reversal_of_reversal");
}

#[test]
fn a_late_correction_needs_a_second_person_who_is_not_the_requester() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let person = t.inmate(1, "RUTAN-SOE");
    let participation_id = t.active(package_id, &person);
    let session = t.sessions(package_id)[0];
    t.mark(participation_id, session, "hadir").unwrap();
    let mark_id = t.ledger.facts().last().unwrap().1.meta.event_id;
    let stream = streams::participation(participation_id);
    t.today = date("2026-03-20");
    let request_id = Uuid::from_u128(11);
    let reply = t.ok(&instruktur(), json!({"type": "correct_event", "stream_id": stream, "event_id": mark_id, "request_id": request_id, "reason": "peserta sebenarnya sakit"}));
    assert_eq!(reply["status"], "pending_second_person");
    assert_eq!(t.last(1), ["CorrectionRequested"]);
    assert_eq!(t.participation(participation_id).marks.len(), 1, "nothing changes until approved");
    let approve =
        json!({"type": "approve_correction", "stream_id": stream, "request_id": request_id});
    t.refused(
        &actor("instruktur.hadi", Role::DisnakerAdmin, "DISNAKERTRANS-TTS"),
        approve.clone(),
        "segregation_of_duties",
    );
    t.ok(&disnaker(), approve.clone());
    let Event::EventReversed(reversed) = t.last_event() else { panic!() };
    assert_eq!(
        (reversed.request_id, reversed.requested_by.as_deref()),
        (Some(request_id), Some("instruktur.hadi"))
    );
    assert!(t.participation(participation_id).marks.is_empty());
    t.refused(&disnaker(), approve, "nothing_pending");
}

#[test]
fn only_recorded_facts_are_reversible() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    let defined = t
        .ledger
        .facts()
        .iter()
        .find(|(_, f)| matches!(f.event, Event::PackageDefined(_)))
        .unwrap()
        .1
        .meta
        .event_id;
    let correct = json!({"type": "correct_event", "stream_id": streams::package(package_id), "event_id": defined, "request_id": Uuid::from_u128(1), "reason": "x"});
    t.refused(&disnaker(), correct, "not_found");
    let unknown = json!({"type": "correct_event", "stream_id": "participation-nothing", "event_id": defined, "request_id": Uuid::from_u128(1), "reason": "x"});
    t.refused(&disnaker(), unknown, "not_found");
}

#[test]
fn auditors_and_analysts_write_nothing() {
    let mut t = T::new();
    let package_id = t.package(5, None, "in_facility");
    for role in [Role::Auditor, Role::Analis] {
        let reader = actor("pembaca", role, "INSPEKTORAT");
        t.refused(
            &reader,
            json!({"type": "start_package", "package_id": package_id}),
            "not_permitted",
        );
        t.refused(&reader, json!({"type": "record_release", "person_ref": person_ref(1), "release_type": "bebas_murni", "released_on": "2026-01-01"}), "not_permitted");
    }
}

#[test]
fn refusal_messages_name_the_rule_in_english_and_indonesian() {
    let mut t = T::new();
    let package_id = t.package(1, None, "in_facility");
    let (one, two) = (t.inmate(1, "RUTAN-SOE"), t.inmate(2, "RUTAN-SOE"));
    t.accepted(package_id, &one);
    let second = t.approved(package_id, &two);
    t.ok(&disnaker(), json!({"type": "accept_participant", "participation_id": second}));
    let rejection = t.refused(
        &disnaker(),
        json!({"type": "accept_participant", "participation_id": second}),
        "quota_full",
    );
    assert_eq!(rejection.to_string(), "quota full (kuota penuh): 1 of 1 places taken");
}

#[test]
fn personal_data_is_erased_once_by_the_data_protection_officer_with_a_legal_basis() {
    let mut t = T::new();
    let person = t.inmate(1, "RUTAN-SOE");
    let dpo = actor("dpo.maria", Role::Dpo, "KANWIL-NTT");
    let erase = json!({"type": "erase_personal_data", "person_ref": person});
    t.refused(
        &petugas(),
        json!({"type": "erase_personal_data", "person_ref": person, "reason": "x"}),
        "not_permitted",
    );
    t.refused(&dpo, erase.clone(), "required");
    let mut with_basis = erase.clone();
    with_basis["reason"] = json!("UU 27/2022 Pasal 43");
    t.ok(&dpo, with_basis.clone());
    match t.last_event() {
        Event::PersonalDataErased(erased) => assert_eq!(erased.legal_basis, "UU 27/2022 Pasal 43"),
        other => panic!("{other:?}"),
    }
    assert!(t.person(&person).erased);
    t.refused(&dpo, with_basis, "already_exists");
}

#[test]
fn every_command_names_the_roles_that_may_send_it() {
    for name in crate::command::Command::NAMES {
        assert!(!super::roles_for(name).is_empty(), "{name} has no roles");
    }
    assert!(super::roles_for("no_such_command").is_empty());
}
