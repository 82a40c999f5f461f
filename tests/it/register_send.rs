//! The register the offline script sends (`POST /register/{session}/send`) through the router,
//! on each backend: written once under the signed-in user, "already written" when sent again,
//! refused whole and naming the participant when one of its marks is refused, and never
//! written under another user's name, a stale token or no session; every answer JSON.

use axum::http::{Method, StatusCode};
use events::vocabulary::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{World, call, world};
use crate::fixtures::person;
use crate::forms::post_form;
use crate::outside::{page, sign_in};
use crate::support::{TestDb, backend_tests};

backend_tests!(
    the_register_without_script_is_one_form_post_written_once,
    a_sent_register_is_written_once_and_its_answer_says_so,
    a_sent_register_is_refused_whole_naming_the_participant,
    a_sent_register_is_never_written_under_another_name_or_without_a_session,
);

const PACKAGE: Uuid = Uuid::from_u128(0x0ff1_0000);
const YESTERDAY: Uuid = Uuid::from_u128(0x0ff1_0001);
const TODAY: Uuid = Uuid::from_u128(0x0ff1_0002);

async fn command(world: &World, role: Role, mut body: Value) {
    body["command_id"] = json!(Uuid::new_v4());
    let uri = format!("/api/commands/{}", body["type"].as_str().unwrap());
    let (status, answer) =
        call(&world.router, Method::POST, &uri, Some(&world.tokens[&role]), Some(body)).await;
    assert!(status.is_success(), "{uri}: {status} {answer}");
}

/// A second package with sessions on 19 and 20 February 2026 (the world's today), and two
/// inmates in training since the first; their participations.
async fn class(world: &World) -> [Uuid; 2] {
    command(world, Role::DisnakerAdmin, json!({"type": "define_package", "package_id": PACKAGE, "title": "Pangkas", "provider": "DISNAKERTRANS-TTS", "skill": "pangkas_rambut", "venue_type": "in_facility", "location": "SoE", "facilities": ["RUTAN-SOE"], "planned_hours": 40, "start_date": "2026-02-01", "end_date": "2026-03-31", "quota_total": 5, "funding_source": "APBD"})).await;
    for (session, date) in [(YESTERDAY, "2026-02-19"), (TODAY, "2026-02-20")] {
        command(world, Role::DisnakerAdmin, json!({"type": "schedule_session", "package_id": PACKAGE, "session_id": session, "date": date, "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4})).await;
    }
    command(
        world,
        Role::DisnakerAdmin,
        json!({"type": "start_package", "package_id": PACKAGE, "started_on": "2026-02-01"}),
    )
    .await;
    command(world, Role::System, json!({"type": "record_custody_episode", "person_ref": person(11), "episode_ref": "r11", "facility": "RUTAN-SOE", "admitted_on": "2024-01-01", "legal_status": "narapidana", "sdp": {"extract_at": "2026-02-19T00:00:00Z", "row_ref": "r11"}})).await;
    let mut participations = Vec::new();
    for n in [10, 11] {
        let person_ref = person(n);
        command(
            world,
            Role::PetugasPembinaan,
            json!({"type": "nominate_inmate", "package_id": PACKAGE, "person_ref": person_ref}),
        )
        .await;
        let id = events::streams::participation_id(PACKAGE, &person_ref);
        command(world, Role::Wali, json!({"type": "assess_eligibility", "participation_id": id}))
            .await;
        command(world, Role::Karutan, json!({"type": "approve_nomination", "participation_id": id, "tpp_session_date": "2026-02-18", "document_ref": "BA/1"})).await;
        command(
            world,
            Role::DisnakerAdmin,
            json!({"type": "accept_participant", "participation_id": id}),
        )
        .await;
        command(world, Role::DisnakerAdmin, json!({"type": "start_participation", "participation_id": id, "started_on": "2026-02-02"})).await;
        participations.push(id);
    }
    [participations[0], participations[1]]
}

/// The instructor's session cookie and the token its posts carry, as `/offline/who` gives them.
async fn instructor(world: &World) -> (String, String) {
    let (_, cookie) = sign_in(&world.router, &world.tokens[&Role::Instruktur], false).await;
    let (status, _, body) = page(&world.router, &cookie, "/offline/who").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let who: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(who["user"], "instruktur.api");
    (cookie, who["csrf"].as_str().unwrap().to_owned())
}

/// Sends a register as the script does; the status and the JSON answer.
async fn send(
    world: &World,
    cookie: &str,
    session: Uuid,
    fields: &[(String, String)],
) -> (StatusCode, Value) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let uri = format!("/register/{session}/send");
    let (status, location, body) = post_form(&world.router, cookie, &uri, &fields).await;
    assert!(location.is_empty(), "never a redirect: {location}");
    (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON: {body}")))
}

fn register(
    csrf: &str,
    by: &str,
    command_id: Uuid,
    marks: &[(Uuid, &str)],
) -> Vec<(String, String)> {
    let mut fields = vec![
        ("csrf".to_owned(), csrf.to_owned()),
        ("taken_by".to_owned(), by.to_owned()),
        ("command_id".to_owned(), command_id.to_string()),
    ];
    for (participation, code) in marks {
        fields.push((format!("code_{participation}"), (*code).to_owned()));
    }
    fields
}

async fn head(world: &World) -> i64 {
    world.store.head().await.unwrap().position
}

async fn a_sent_register_is_written_once_and_its_answer_says_so(db: TestDb) {
    let world = world(&db).await;
    let [a, b] = class(&world).await;
    let (cookie, csrf) = instructor(&world).await;
    let fields = register(&csrf, "instruktur.api", Uuid::new_v4(), &[(a, "hadir"), (b, "sakit")]);
    let before = head(&world).await;
    let (status, answer) = send(&world, &cookie, YESTERDAY, &fields).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::OK, Some("written")), "{answer}");
    assert_eq!(head(&world).await, before + 2, "two marks");
    let (status, answer) = send(&world, &cookie, YESTERDAY, &fields).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::OK, Some("already_written")));
    assert_eq!(head(&world).await, before + 2, "sent again, nothing new");
    let events = world.store.read_all(before + 1, 10).await.unwrap();
    assert!(events.iter().all(|e| e.actor == "instruktur.api" && e.source == events::Source::Ui));
}

async fn the_register_without_script_is_one_form_post_written_once(db: TestDb) {
    let world = world(&db).await;
    let [a, b] = class(&world).await;
    let (cookie, csrf) = instructor(&world).await;
    let before = head(&world).await;
    let mut fields =
        register(&csrf, "instruktur.api", Uuid::new_v4(), &[(a, "hadir"), (b, "izin")]);
    fields.retain(|(name, _)| name != "taken_by");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let uri = format!("/register/{YESTERDAY}");
    let (status, location, _) = post_form(&world.router, &cookie, &uri, &fields).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, format!("{uri}?saved=1").as_str())
    );
    assert_eq!(head(&world).await, before + 2);
    let (status, _, _) = post_form(&world.router, &cookie, &uri, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(head(&world).await, before + 2, "the same post again writes nothing");
}

async fn a_sent_register_is_refused_whole_naming_the_participant(db: TestDb) {
    let world = world(&db).await;
    let [a, b] = class(&world).await;
    command(&world, Role::DisnakerAdmin, json!({"type": "end_participation", "participation_id": b, "reason_code": "mengundurkan_diri", "ended_on": "2026-02-19"})).await;
    let (cookie, csrf) = instructor(&world).await;
    let id = Uuid::new_v4();
    let before = head(&world).await;
    let fields = register(&csrf, "instruktur.api", id, &[(a, "hadir"), (b, "hadir")]);
    let (status, answer) = send(&world, &cookie, TODAY, &fields).await;
    assert_eq!(answer["outcome"], "refused", "{answer}");
    assert!(status.is_client_error(), "{status}");
    assert_eq!(answer["participation_id"], json!(b), "names the participant: {answer}");
    assert!(!answer["message"].as_str().unwrap().is_empty());
    assert_eq!(head(&world).await, before, "nothing of a refused register is written");
    // Sent again without them, with the same command id: the others are written.
    let fields = register(&csrf, "instruktur.api", id, &[(a, "hadir")]);
    let (status, answer) = send(&world, &cookie, TODAY, &fields).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::OK, Some("written")), "{answer}");
    assert_eq!(head(&world).await, before + 1);
}

async fn a_sent_register_is_never_written_under_another_name_or_without_a_session(db: TestDb) {
    let world = world(&db).await;
    let [a, b] = class(&world).await;
    let (cookie, csrf) = instructor(&world).await;
    let before = head(&world).await;
    let marks = [(a, "hadir"), (b, "hadir")];
    let theirs = register(&csrf, "instruktur.lain", Uuid::new_v4(), &marks);
    let (status, answer) = send(&world, &cookie, TODAY, &theirs).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::CONFLICT, Some("other_user")));
    let stale = register("basi", "instruktur.api", Uuid::new_v4(), &marks);
    let (status, answer) = send(&world, &cookie, TODAY, &stale).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::FORBIDDEN, Some("sign_in")));
    let mine = register(&csrf, "instruktur.api", Uuid::new_v4(), &marks);
    let (status, answer) = send(&world, "jejak_session=habis", TODAY, &mine).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::UNAUTHORIZED, Some("sign_in")));
    let (status, _, body) = page(&world.router, "jejak_session=habis", "/offline/who").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(head(&world).await, before, "nothing written");
}
