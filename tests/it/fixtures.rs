//! A small programme shared by the integration tests: who issues commands, a package with a
//! session, inmates nominated and approved, and the command loop on a simulated clock.

use std::sync::Arc;

use events::command::CommandEnvelope;
use events::vocabulary::{Role, TimeZone};
use events::{Source, streams};
use jejak::commands::{CommandLoop, Issuer};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) fn issuer(actor: &str, role: Role, organisation: &str) -> Issuer {
    Issuer {
        actor: actor.to_owned(),
        role,
        organisation: organisation.to_owned(),
        source: Source::Cli,
        correlation_id: None,
        causation_id: None,
    }
}

pub(crate) fn system() -> Issuer {
    issuer("sdp-import", Role::System, "SYSTEM")
}
pub(crate) fn petugas() -> Issuer {
    issuer("petugas.andi", Role::PetugasPembinaan, "RUTAN-SOE")
}
pub(crate) fn disnaker() -> Issuer {
    issuer("disnaker.gita", Role::DisnakerAdmin, "DISNAKERTRANS-TTS")
}

pub(crate) fn envelope(mut value: Value) -> CommandEnvelope {
    if value.get("command_id").is_none() {
        value["command_id"] = json!(Uuid::new_v4());
    }
    CommandEnvelope::from_value(value).unwrap()
}

pub(crate) const PACKAGE: Uuid = Uuid::from_u128(0x0a11_0000);
pub(crate) const SESSION: Uuid = Uuid::from_u128(0x0a11_0001);

pub(crate) fn person(n: usize) -> String {
    format!("p{:032x}", 0xbeef_0000 + n)
}

/// The registry, a package of `quota` places starting 2026-03-02 with one session, and
/// `inmates` sentenced inmates at Rutan SoE (admitted in 2024, as an SDP extract of 19 February
/// 2026 says), each nominated, assessed and approved.
pub(crate) async fn setup(commands: &CommandLoop, quota: u32, inmates: usize) -> Vec<Uuid> {
    let mut batch = vec![];
    for (code, kind) in [("RUTAN-SOE", "rutan"), ("DISNAKERTRANS-TTS", "disnakertrans")] {
        batch.push((envelope(json!({"type": "register_organisation", "code": code, "name": code, "kind": kind, "time_zone": "Asia/Makassar"})), system()));
    }
    batch.push((envelope(json!({
        "type": "define_package", "package_id": PACKAGE, "title": "Menjahit", "provider": "DISNAKERTRANS-TTS", "skill": "menjahit",
        "venue_type": "in_facility", "location": "SoE", "facilities": ["RUTAN-SOE"], "planned_hours": 40,
        "start_date": "2026-03-02", "end_date": "2026-03-27", "quota_total": quota, "funding_source": "APBD",
    })), disnaker()));
    batch.push((envelope(json!({"type": "schedule_session", "package_id": PACKAGE, "session_id": SESSION, "date": "2026-03-02", "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4})), disnaker()));
    let mut participations = Vec::new();
    for n in 0..inmates {
        let person_ref = person(n);
        batch.push((envelope(json!({"type": "record_custody_episode", "person_ref": person_ref, "episode_ref": format!("r{n}"), "facility": "RUTAN-SOE", "admitted_on": "2024-01-01", "legal_status": "narapidana", "sdp": {"extract_at": "2026-02-19T00:00:00Z", "row_ref": format!("r{n}")}})), system()));
        batch.push((
            envelope(
                json!({"type": "nominate_inmate", "package_id": PACKAGE, "person_ref": person_ref}),
            ),
            petugas(),
        ));
        let participation_id = streams::participation_id(PACKAGE, &person_ref);
        batch.push((
            envelope(json!({"type": "assess_eligibility", "participation_id": participation_id})),
            issuer("wali.dewi", Role::Wali, "RUTAN-SOE"),
        ));
        batch.push((envelope(json!({"type": "approve_nomination", "participation_id": participation_id, "tpp_session_date": "2026-02-18", "document_ref": "BA-TPP/1"})), issuer("karutan.eko", Role::Karutan, "RUTAN-SOE")));
        participations.push(participation_id);
    }
    let mut session = commands.session();
    let (_, refused) = session.run(&batch).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    participations
}

pub(crate) fn command_loop(
    store: &jejak::store::Store,
    clock: Arc<jejak::clock::SimulatedClock>,
) -> CommandLoop {
    CommandLoop::new(store.clone(), clock, TimeZone::Makassar)
}

/// The options of questions narrowed to a part of a programme read model: each facility, each
/// provider and the first skill its packages name, a facility with one skill, and a facility
/// no package runs in (only the packages of no facility are its).
pub(crate) fn narrowed_options(
    whole: &projections::table::Tables,
) -> Vec<projections::report::Options> {
    use projections::programme::PackageRow;
    use projections::report::Options;
    let packages: Vec<PackageRow> = whole.all::<PackageRow>().collect();
    let distinct = |values: Vec<String>| -> Vec<String> {
        values.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect()
    };
    let facilities = distinct(packages.iter().filter_map(|p| p.facility.clone()).collect());
    let providers = distinct(packages.iter().map(|p| p.provider.clone()).collect());
    let skills = distinct(packages.iter().map(|p| p.skill.clone()).collect());
    let mut options: Vec<Options> = facilities
        .iter()
        .map(|facility| Options { facility: Some(facility.clone()), ..Options::default() })
        .chain(
            providers
                .iter()
                .map(|provider| Options { provider: Some(provider.clone()), ..Options::default() }),
        )
        .collect();
    if let (Some(facility), Some(skill)) = (facilities.first(), skills.first()) {
        options.push(Options { skill: Some(skill.clone()), ..Options::default() });
        options.push(Options {
            facility: Some(facility.clone()),
            skill: Some(skill.clone()),
            ..Options::default()
        });
    }
    options.push(Options { facility: Some("UPT-NONE".to_owned()), ..Options::default() });
    options
}
