//! Property test: random sequences of commands, from random actors, over a small world of two
//! packages and six people. Whatever the rules accept, the state never breaks an invariant, and
//! replaying the accepted events reproduces the same state.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalogue::Event;
use crate::command::CommandEnvelope;
use crate::ledger::{Actor, Ledger};
use crate::state::{ParticipationStatus as S, StreamState};
use crate::streams;
use crate::time::Timestamp;
use crate::vocabulary::Role;

const PACKAGES: [u128; 2] = [0xa1, 0xa2];
const PEOPLE: usize = 6;
const CODES: [&str; 5] = ["hadir", "hadir", "terlambat", "sakit", "ditangguhkan"];
const END_REASONS: [&str; 3] = ["mengundurkan_diri", "bebas", "kesehatan"];

fn person(index: usize) -> String {
    format!("p{:032x}", 0xb0 + index)
}

fn actors() -> Vec<Actor> {
    vec![
        Actor::new("petugas.andi", Role::PetugasPembinaan, "RUTAN-SOE"),
        Actor::new("petugas.budi", Role::PetugasPembinaan, "RUTAN-SOE"),
        Actor::new("wali.dewi", Role::Wali, "RUTAN-SOE"),
        Actor::new("karutan.eko", Role::Karutan, "RUTAN-SOE"),
        Actor::new("petugas.andi", Role::Karutan, "RUTAN-SOE"),
        Actor::new("disnaker.gita", Role::DisnakerAdmin, "DISNAKERTRANS-TTS"),
        Actor::new("instruktur.hadi", Role::Instruktur, "DISNAKERTRANS-TTS"),
        Actor::new("asesor.indah", Role::Asesor, "LSP-TTS"),
        Actor::new("ppk.joko", Role::Ppk, "DISNAKERTRANS-TTS"),
        Actor::new("disnaker.gita", Role::Ppk, "DISNAKERTRANS-TTS"),
        Actor::new("serah.kartika", Role::PetugasSerahTerima, "DISNAKERTRANS-TTS"),
        Actor::new("ppk.joko", Role::PetugasSerahTerima, "DISNAKERTRANS-TTS"),
        Actor::new("sdp-import", Role::System, "SYSTEM"),
    ]
}

struct Sim {
    ledger: Ledger,
    day: i64,
    next: u128,
}

impl Sim {
    fn today(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, 26).unwrap() + chrono::Days::new(self.day as u64)
    }

    fn run(&mut self, actor: &Actor, mut command: Value) -> bool {
        self.next += 1;
        command["command_id"] = json!(Uuid::from_u128(0xc000_0000 + self.next));
        let envelope =
            CommandEnvelope::from_value(command).expect("generated commands are well formed");
        let today = self.today();
        let now = Timestamp::start_of_day(today).unwrap();
        let result = self.ledger.execute(&envelope, actor, now, today);
        result.is_ok()
    }

    fn setup() -> Sim {
        let mut sim = Sim { ledger: Ledger::default(), day: 0, next: 0 };
        let system = Actor::new("sdp-import", Role::System, "SYSTEM");
        for (code, kind) in [("RUTAN-SOE", "rutan"), ("DISNAKERTRANS-TTS", "disnakertrans")] {
            assert!(sim.run(&system, json!({"type": "register_organisation", "code": code, "name": code, "kind": kind, "time_zone": "Asia/Makassar"})));
        }
        let disnaker = Actor::new("disnaker.gita", Role::DisnakerAdmin, "DISNAKERTRANS-TTS");
        for (index, package) in PACKAGES.iter().enumerate() {
            assert!(sim.run(&disnaker, json!({
                "type": "define_package", "package_id": Uuid::from_u128(*package), "title": "Paket", "provider": "DISNAKERTRANS-TTS",
                "skill": "menjahit", "venue_type": if index == 0 { "in_facility" } else { "village" }, "location": "SoE",
                "facilities": ["RUTAN-SOE"], "planned_hours": 40, "start_date": "2026-03-02", "end_date": "2026-03-13",
                "quota_total": 2 + index, "quota_inmates": if index == 0 { json!(1) } else { json!(null) }, "funding_source": "APBD",
                "grant_policy": if index == 0 { "graduates_only" } else { "completers" },
            })));
            for day in 0..4_u128 {
                let date = format!("2026-03-{:02}", 2 + 3 * day);
                assert!(sim.run(&disnaker, json!({"type": "schedule_session", "package_id": Uuid::from_u128(*package), "session_id": Uuid::from_u128(package * 100 + day), "date": date, "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4})));
            }
        }
        for index in 0..PEOPLE {
            assert!(sim.run(&system, json!({"type": "record_custody_episode", "person_ref": person(index), "episode_ref": format!("r{index}"), "facility": "RUTAN-SOE", "admitted_on": "2024-01-01", "legal_status": if index == 5 { "tahanan" } else { "narapidana" }})));
            assert!(sim.run(&system, json!({"type": "update_sentence_dates", "person_ref": person(index), "sentence_start": "2024-01-01", "expiry_date": "2027-01-01"})));
        }
        sim
    }

    /// Turns one generated step into a command and runs it as the chosen actor.
    fn step(&mut self, action: u8, a: usize, b: usize, actor: usize, session: usize) {
        let package = Uuid::from_u128(PACKAGES[a % PACKAGES.len()]);
        let who = person(b % PEOPLE);
        let participation = streams::participation_id(package, &who);
        let session = Uuid::from_u128(PACKAGES[a % PACKAGES.len()] * 100 + (session % 4) as u128);
        let grant = streams::grant_id(participation);
        // Each command goes to the role that would normally send it; one in five goes to a
        // random actor instead, to exercise refusals by role and by segregation of duties.
        let (natural, command) = match action % 24 {
            0 => {
                self.day += 2;
                return;
            }
            1 => (0, json!({"type": "nominate_inmate", "package_id": package, "person_ref": who})),
            2 => (2, json!({"type": "assess_eligibility", "participation_id": participation})),
            3 => (
                3,
                json!({"type": "approve_nomination", "participation_id": participation, "tpp_session_date": "2026-02-18", "document_ref": "BA-TPP/1"}),
            ),
            4 => (
                4,
                json!({"type": "reject_nomination", "participation_id": participation, "reason_code": "other"}),
            ),
            5 | 6 => (5, json!({"type": "accept_participant", "participation_id": participation})),
            7 if actor.is_multiple_of(6) => (
                1,
                json!({"type": "withdraw_participant", "participation_id": participation, "reason_code": if b.is_multiple_of(2) { "own_request" } else { "released" }}),
            ),
            8 => (5, json!({"type": "start_package", "package_id": package})),
            9 => (6, json!({"type": "start_participation", "participation_id": participation})),
            10 | 11 => (
                6,
                json!({"type": "record_attendance", "participation_id": participation, "session_id": session, "code": CODES[b % 5]}),
            ),
            12 if actor.is_multiple_of(3) => (
                0,
                json!({"type": "suspend_participation", "participation_id": participation, "reason_code": "sidang"}),
            ),
            13 => (0, json!({"type": "resume_participation", "participation_id": participation})),
            14 if actor.is_multiple_of(6) => (
                1,
                json!({"type": "end_participation", "participation_id": participation, "reason_code": END_REASONS[b % 3]}),
            ),
            15 => (5, json!({"type": "complete_training", "participation_id": participation})),
            16 => (
                7,
                json!({"type": "assess_competency", "participation_id": participation, "assessment_id": Uuid::from_u128(self.next), "lsp": "LSP", "result": if b.is_multiple_of(3) { "belum_kompeten" } else { "kompeten" }}),
            ),
            17 => (5, json!({"type": "graduate_participant", "participation_id": participation})),
            18 => (
                5,
                json!({"type": "propose_grant", "participation_id": participation, "items": [{"name": "alat", "quantity": 1 + b % 3, "unit_value_rupiah": 1_000_000}], "capital_rupiah": 500_000, "funding_source": "APBD", "budget_line": "5.1"}),
            ),
            19 => (8, json!({"type": "approve_grant", "grant_id": grant, "document_ref": "SK-1"})),
            20 => (
                10,
                json!({"type": "hand_over_grant", "grant_id": grant, "place": "SoE", "recipient": "perwakilan", "authority_ref": "SK-K", "document_ref": "BAST-1"}),
            ),
            21 if actor.is_multiple_of(10) && b < 2 => (
                12,
                json!({"type": "record_release", "person_ref": who, "release_type": "bebas_murni", "released_on": self.today()}),
            ),
            22 if actor.is_multiple_of(10) && b < 2 => (
                12,
                json!({"type": "record_transfer", "person_ref": who, "to_facility": "RUTAN-SOE", "transferred_on": self.today()}),
            ),
            23 if actor.is_multiple_of(10) && b < 2 => {
                (5, json!({"type": "close_package", "package_id": package}))
            }
            7 | 12 | 14 => {
                (6, json!({"type": "start_participation", "participation_id": participation}))
            }
            _ => (
                6,
                json!({"type": "record_attendance", "participation_id": participation, "session_id": session, "code": "hadir"}),
            ),
        };
        let actors = actors();
        let chosen = if actor % 5 == 1 { actor % actors.len() } else { natural };
        self.run(&actors[chosen], command);
    }

    fn check_invariants(&self) {
        for (stream_id, state) in self.ledger.states() {
            match state {
                StreamState::Package(package) => {
                    let definition = package.definition.as_ref().unwrap();
                    assert!(
                        package.places_taken() <= definition.quota_total,
                        "{stream_id}: over quota"
                    );
                    if let Some(quota) = definition.quota_inmates {
                        assert!(
                            package.inmate_places_taken() <= quota,
                            "{stream_id}: over the inmate quota"
                        );
                    }
                    for participation_id in package.places.keys() {
                        let state = self.participation(*participation_id);
                        let holding = [
                            S::Accepted,
                            S::Active,
                            S::Suspended,
                            S::Completed,
                            S::Competent,
                            S::NotYetCompetent,
                            S::Graduated,
                        ];
                        assert!(
                            holding.contains(&state.status.unwrap()),
                            "{participation_id} holds a place while {:?}",
                            state.status
                        );
                    }
                    let waiting: BTreeSet<_> = package.waitlist.iter().map(|(id, _)| *id).collect();
                    assert_eq!(waiting.len(), package.waitlist.len(), "someone waits twice");
                    assert!(
                        waiting.iter().all(|id| !package.places.contains_key(id)),
                        "waiting while holding a place"
                    );
                }
                StreamState::Participation(participation) => {
                    let status = participation.status.unwrap();
                    if status == S::Graduated {
                        assert!(participation.completed.is_some(), "graduated without completing");
                    }
                    if let Some(rate) = participation.completed {
                        assert!(rate.meets(80), "completed below the threshold: {rate:?}");
                    }
                }
                _ => {}
            }
        }
        for (_, fact) in self.ledger.facts() {
            match &fact.event {
                Event::NominationApproved(approved) => {
                    assert_ne!(approved.nominated_by, fact.meta.actor, "self-approval")
                }
                Event::GrantApproved(approved) => {
                    assert_ne!(approved.proposed_by, fact.meta.actor, "grant self-approval")
                }
                Event::GrantHandedOver(handed) => {
                    assert_ne!(handed.approved_by, fact.meta.actor, "approver handed over")
                }
                Event::GrantProposed(proposed) => {
                    let participation = self.participation(proposed.participation_id);
                    let package = proposed.package_id.as_u128();
                    if package == PACKAGES[0] {
                        assert!(
                            participation.graduated_on.is_some()
                                || participation.status != Some(S::Active),
                            "grant to a non-graduate"
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn participation(&self, id: Uuid) -> &crate::state::ParticipationState {
        match self.ledger.state(&streams::participation(id)) {
            Some(StreamState::Participation(state)) => state,
            other => panic!("{other:?}"),
        }
    }
}

/// The generator reaches deep into the state machine: a long run accepts commands all the way
/// to grants, so the property above is tested on rich histories and not only on refusals.
#[test]
fn a_long_generated_run_reaches_every_stage() {
    let mut sim = Sim::setup();
    let mut seed: u64 = 0x5eed;
    let mut draw = move |bound: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % bound
    };
    // The days pass evenly, and each phase of a package favours the commands of that phase
    // (with every other command still drawn now and then).
    let phases: [(i64, &[u8]); 4] = [
        (4, &[1, 2, 3, 3, 5, 6, 7, 4]),
        (9, &[8, 9, 9, 10, 11, 12, 13, 14, 5]),
        (17, &[10, 11, 8, 9]),
        (24, &[15, 15, 16, 16, 17, 17, 18, 19, 20, 21, 22, 23]),
    ];
    for step in 0..6_000 {
        sim.day = step / 250;
        let favoured = phases
            .iter()
            .find(|(until, _)| sim.day < *until)
            .map_or(phases[3].1, |(_, actions)| actions);
        let action =
            if draw(5) == 0 { 1 + draw(23) } else { usize::from(favoured[draw(favoured.len())]) };
        sim.step(action as u8, draw(2), draw(PEOPLE), draw(40), draw(4));
        sim.check_invariants();
    }
    let seen: BTreeSet<&str> =
        sim.ledger.facts().iter().map(|(_, fact)| fact.event.event_type()).collect();
    for expected in [
        "PlaceAllocated",
        "ParticipantWaitlisted",
        "AttendanceRecorded",
        "TrainingCompleted",
        "ParticipantGraduated",
        "GrantProposed",
        "GrantHandedOver",
        "PersonReleased",
    ] {
        assert!(seen.contains(expected), "the generator never reached {expected}: {seen:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_command_sequences_keep_every_invariant_and_replay_to_the_same_state(
        steps in prop::collection::vec((any::<u8>(), 0..2_usize, 0..PEOPLE, 0..40_usize, 0..4_usize), 1..200)
    ) {
        let mut sim = Sim::setup();
        for (action, a, b, actor, session) in steps {
            sim.step(action, a, b, actor, session);
            sim.check_invariants();
        }
        let replayed = sim.ledger.replayed();
        let original: Vec<_> = sim.ledger.states().collect();
        let again: Vec<_> = replayed.states().collect();
        prop_assert_eq!(original, again);
    }
}
