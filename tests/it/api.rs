//! The HTTP API through its router (no socket), on each backend: every role against every kind
//! of endpoint, allowed and denied, with nothing written on any denial; bad input of every
//! kind; and the OpenAPI document, every endpoint of which is called and its answer checked
//! against the documented schema.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use events::Timestamp;
use events::vocabulary::Role;
use jejak::clock::SimulatedClock;
use jejak::history::History;
use jejak::projector::Projector;
use jejak::server::AppState;
use jejak::store::Store;
use jejak::vault::{Accessor, MasterKey, PersonalRecord, Vault};
use projections::projection::Config;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::fixtures::{PACKAGE, command_loop, envelope, person, setup, system};
use crate::support::{TestDb, backend_tests};

backend_tests!(
    every_role_meets_every_kind_of_endpoint_and_denials_write_nothing,
    bad_input_gets_a_clear_status_and_writes_nothing,
    the_openapi_document_is_valid_and_every_endpoint_answers_as_documented,
    the_live_feed_sends_every_event_in_order_and_then_new_ones,
    an_analyst_reads_published_cuts_only,
);

/// The test's master key: fictional, for tests only.
pub const MASTER: [u8; 32] = *b"jejak-test-master-key-32-bytes!!";

/// A programme, users of every role, a vault with one person's record, and the router.
pub struct World {
    pub router: Router,
    pub store: Store,
    pub tokens: BTreeMap<Role, String>,
    pub participations: Vec<Uuid>,
}

/// The user of each role the tests use, with their organisation.
pub fn users() -> Vec<(&'static str, Role, &'static str)> {
    vec![
        ("petugas.api", Role::PetugasPembinaan, "RUTAN-SOE"),
        ("wali.api", Role::Wali, "RUTAN-SOE"),
        ("tpp.api", Role::TppSekretaris, "RUTAN-SOE"),
        ("karutan.api", Role::Karutan, "RUTAN-SOE"),
        ("disnaker.api", Role::DisnakerAdmin, "DISNAKERTRANS-TTS"),
        ("instruktur.api", Role::Instruktur, "DISNAKERTRANS-TTS"),
        ("asesor.api", Role::Asesor, "LSP-TTS"),
        ("ppk.api", Role::Ppk, "DISNAKERTRANS-TTS"),
        ("serah.api", Role::PetugasSerahTerima, "DISNAKERTRANS-TTS"),
        ("bapas.api", Role::PkBapas, "BAPAS-KUPANG"),
        ("auditor.api", Role::Auditor, "INSPEKTORAT-NTT"),
        ("analis.api", Role::Analis, "KANWIL-NTT"),
        ("evaluator.api", Role::Evaluator, "BAPPEDA-NTT"),
        ("dpo.api", Role::Dpo, "KANWIL-NTT"),
        ("system.api", Role::System, "SYSTEM"),
    ]
}

pub async fn world(db: &TestDb) -> World {
    // A server error answers with a request id only; its cause is logged. Show it in the
    // output of a failing test.
    let _ = tracing_subscriber::fmt().with_env_filter("jejak=warn").with_test_writer().try_init();
    let clock = Arc::new(SimulatedClock::new(Timestamp::parse("2026-02-20T01:00:00Z").unwrap()));
    let store = db.open_with(clock.clone()).await;
    let commands = command_loop(&store, clock.clone());
    let participations = setup(&commands, 5, 3).await;
    // An inmate not yet nominated, for the petugas to nominate through the API.
    let custody = json!({"type": "record_custody_episode", "person_ref": person(10), "episode_ref": "r10", "facility": "RUTAN-SOE", "admitted_on": "2024-01-01", "legal_status": "narapidana", "sdp": {"extract_at": "2026-02-19T00:00:00Z", "row_ref": "r10"}});
    let (_, refused) = commands.session().run(&[(envelope(custody), system())]).await.unwrap();
    assert!(refused.is_empty());
    let mut tokens = BTreeMap::new();
    for (name, role, organisation) in users() {
        let token = jejak::users::add(&store, name, role, organisation, None, clock_now(&clock))
            .await
            .unwrap();
        tokens.insert(role, token);
    }
    let vault = Vault::new(store.clone(), MasterKey::from_bytes(MASTER));
    let record = PersonalRecord {
        full_name: "Yohanes Fiktif Nenobais".to_owned(),
        nik: Some("5302010101900001".to_owned()),
        birth_date: "1990-01-01".parse().ok(),
        address: Some("Desa Contoh, SoE".to_owned()),
        health_notes: None,
        offence_notes: None,
    };
    let setter = Accessor {
        actor: "petugas.andi".to_owned(),
        role: "petugas_pembinaan".to_owned(),
        organisation: "RUTAN-SOE".to_owned(),
        request_id: None,
    };
    vault.put(&person(0), &record, &setter, "registrasi", clock_now(&clock)).await.unwrap();
    let config = Config::default();
    let projector = Projector::new(store.clone(), config);
    let history = History::new(store.clone(), config);
    let state = AppState::new(store.clone(), commands, projector, history, Some(vault), clock);
    World { router: jejak::server::router(state), store, tokens, participations }
}

fn clock_now(clock: &SimulatedClock) -> Timestamp {
    use jejak::clock::Clock;
    clock.now()
}

/// Calls the router; returns the status and the body (JSON when it is, else a string).
pub async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|value| value.to_str().unwrap_or("").starts_with("text/event-stream"));
    if streaming {
        return (status, Value::String("(event stream)".to_owned()));
    }
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await.unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

/// What a request could have written: the log's head, the vault, its access log, the users.
async fn written(db: &TestDb, store: &Store) -> (i64, i64, i64, i64) {
    let head = store.head().await.unwrap().position;
    let people = db.count("SELECT COUNT(*) FROM vault_people WHERE erased_at IS NULL").await;
    let access = db.count("SELECT COUNT(*) FROM vault_access").await;
    let users = db.count("SELECT COUNT(*) FROM users WHERE revoked_at IS NULL").await;
    (head, people, access, users)
}

/// A command each role may send, and what the rules answer it in this world.
fn allowed_command(role: Role, participations: &[Uuid]) -> (&'static str, Value, StatusCode) {
    let new_participation = events::streams::participation_id(PACKAGE, &person(10));
    let p1 = participations[0];
    match role {
        Role::PetugasPembinaan => (
            "nominate_inmate",
            json!({"package_id": PACKAGE, "person_ref": person(10)}),
            StatusCode::OK,
        ),
        Role::Wali => {
            ("assess_eligibility", json!({"participation_id": new_participation}), StatusCode::OK)
        }
        Role::TppSekretaris => (
            "approve_nomination",
            json!({"participation_id": new_participation, "tpp_session_date": "2026-02-18", "document_ref": "BA-TPP/9"}),
            StatusCode::OK,
        ),
        Role::Karutan => (
            "approve_nomination",
            json!({"participation_id": p1, "tpp_session_date": "2026-02-18", "document_ref": "BA-TPP/9"}),
            StatusCode::CONFLICT,
        ),
        Role::DisnakerAdmin => (
            "define_package",
            json!({"package_id": Uuid::from_u128(0x0b00), "title": "Pangkas rambut", "provider": "DISNAKERTRANS-TTS", "skill": "pangkas_rambut", "venue_type": "in_facility", "location": "SoE", "facilities": ["RUTAN-SOE"], "planned_hours": 40, "start_date": "2026-04-06", "end_date": "2026-04-24", "quota_total": 10, "funding_source": "APBD"}),
            StatusCode::OK,
        ),
        Role::Instruktur => (
            "schedule_session",
            json!({"package_id": PACKAGE, "session_id": Uuid::from_u128(0x0b01), "date": "2026-03-03", "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4}),
            StatusCode::OK,
        ),
        Role::Asesor => (
            "assess_competency",
            json!({"participation_id": p1, "assessment_id": Uuid::from_u128(0x0b02), "lsp": "LSP-TTS", "units": [], "result": "kompeten"}),
            StatusCode::CONFLICT,
        ),
        Role::Ppk => (
            "approve_grant",
            json!({"grant_id": Uuid::from_u128(0x0b03), "document_ref": "SK/1"}),
            StatusCode::NOT_FOUND,
        ),
        Role::PetugasSerahTerima => (
            "hand_over_grant",
            json!({"grant_id": Uuid::from_u128(0x0b04), "place": "SoE", "recipient": "sendiri", "document_ref": "BAST/1"}),
            StatusCode::NOT_FOUND,
        ),
        Role::PkBapas => (
            "record_follow_up",
            json!({"person_ref": person(0), "contact_id": Uuid::from_u128(0x0b05), "contacted_on": "2026-02-20", "employment_status": "bekerja", "uses_trained_skill": true}),
            StatusCode::CONFLICT,
        ),
        Role::Dpo => (
            "erase_personal_data",
            json!({"person_ref": person(11), "reason": "UU 27/2022 Pasal 43"}),
            StatusCode::OK,
        ),
        Role::System => (
            "register_organisation",
            json!({"code": "LAPAS-KUPANG", "name": "Lapas Kupang", "kind": "lapas", "time_zone": "Asia/Makassar"}),
            StatusCode::OK,
        ),
        Role::Auditor | Role::Analis | Role::Evaluator => {
            let (command, body, _) = allowed_command(Role::DisnakerAdmin, participations);
            (command, body, StatusCode::FORBIDDEN)
        }
    }
}

fn with_id(mut body: Value) -> Value {
    body["command_id"] = json!(Uuid::new_v4());
    body
}

async fn every_role_meets_every_kind_of_endpoint_and_denials_write_nothing(db: TestDb) {
    let world = world(&db).await;
    let router = &world.router;
    let p1 = world.participations[0];
    let reader_of_names = |role: Role| jejak::server::access::may_read_personal_data(role);
    let log_reader = |role: Role| jejak::server::access::may_read_log(role);
    for (name, role, organisation) in users() {
        let token = world.tokens[&role].as_str();
        let scope = jejak::server::access::Scope::of(&jejak::users::User {
            name: name.to_owned(),
            role,
            organisation: organisation.to_owned(),
            facility: None,
        });
        use jejak::server::access::Scope;
        let (command, body, expected) = allowed_command(role, &world.participations);
        // A command the role may not send, well formed, so that only the role stops it.
        let (forbidden, forbidden_body) = if role == Role::System {
            let (command, body, _) = allowed_command(Role::DisnakerAdmin, &world.participations);
            (command, body)
        } else {
            let (command, body, _) = allowed_command(Role::System, &world.participations);
            (command, body)
        };
        let status =
            |yes: bool, allowed: StatusCode| if yes { allowed } else { StatusCode::FORBIDDEN };
        let cases: Vec<(Method, String, Option<Value>, StatusCode)> = vec![
            (Method::GET, "/api/me".to_owned(), None, StatusCode::OK),
            (Method::GET, "/api/status".to_owned(), None, StatusCode::OK),
            (Method::POST, format!("/api/commands/{command}"), Some(with_id(body)), expected),
            (
                Method::POST,
                format!("/api/commands/{forbidden}"),
                Some(with_id(forbidden_body.clone())),
                StatusCode::FORBIDDEN,
            ),
            (
                Method::GET,
                "/api/views/enrolment".to_owned(),
                None,
                status(scope != Scope::Aggregates, StatusCode::OK),
            ),
            (Method::GET, "/api/views/recidivism".to_owned(), None, StatusCode::OK),
            (
                Method::GET,
                "/api/views/inbox".to_owned(),
                None,
                status(!matches!(scope, Scope::Provider(_) | Scope::Aggregates), StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/audit/participation/{p1}"),
                None,
                status(matches!(scope, Scope::All | Scope::Facility(_)), StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/compliance".to_owned(),
                None,
                status(log_reader(role), StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/events?from=1&limit=5".to_owned(),
                None,
                status(log_reader(role), StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/events/live?from=1".to_owned(),
                None,
                status(log_reader(role), StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/people/{}/personal-data?purpose=pendampingan", person(0)),
                None,
                status(reader_of_names(role), StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/people/lookup?nik=5302010101900001&purpose=verifikasi".to_owned(),
                None,
                status(reader_of_names(role), StatusCode::OK),
            ),
            (
                Method::PUT,
                format!("/api/people/{}/personal-data", person(1)),
                Some(
                    json!({"record": {"full_name": "Maria Fiktif Tefa"}, "purpose": "registrasi"}),
                ),
                status(
                    jejak::server::access::may_write_personal_data(role),
                    StatusCode::NO_CONTENT,
                ),
            ),
            (
                Method::GET,
                format!("/api/people/{}/access-export", person(0)),
                None,
                status(role == Role::Dpo, StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/people/{}/forget", person(2)),
                Some(json!({"reason": "UU 27/2022 Pasal 43"})),
                status(role == Role::Dpo, StatusCode::OK),
            ),
        ];
        for (method, uri, body, expected) in cases {
            let before = written(&db, &world.store).await;
            let (status, answer) =
                call(router, method.clone(), &uri, Some(token), body.clone()).await;
            assert_eq!(status, expected, "{name} {method} {uri}: {answer}");
            if !status.is_success() {
                assert_eq!(
                    written(&db, &world.store).await,
                    before,
                    "{name} {method} {uri} was refused but wrote"
                );
                assert!(answer["error"]["code"].is_string(), "{name} {method} {uri}: {answer}");
            }
            // No token, or a wrong one: 401 everywhere under /api/, nothing written.
            for bad in [None, Some("jejak_0000")] {
                let before = written(&db, &world.store).await;
                let (status, _) = call(router, method.clone(), &uri, bad, body.clone()).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} with {bad:?}");
                assert_eq!(written(&db, &world.store).await, before);
            }
        }
    }
    // A facility user is kept to their facility.
    let petugas = world.tokens[&Role::PetugasPembinaan].as_str();
    let (status, _) = call(
        router,
        Method::GET,
        "/api/views/enrolment?facility=LAPAS-KUPANG",
        Some(petugas),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, report) = call(router, Method::GET, "/api/views/enrolment", Some(petugas), None).await;
    assert_eq!(report["parameters"]["facility"], "RUTAN-SOE");
    // The training office sees only its own packages.
    let (_, report) = call(
        router,
        Method::GET,
        "/api/views/enrolment",
        Some(world.tokens[&Role::DisnakerAdmin].as_str()),
        None,
    )
    .await;
    assert_eq!(report["parameters"]["provider"], "DISNAKERTRANS-TTS");
    // The events a request writes carry the user and the request id.
    let auditor = world.tokens[&Role::Auditor].as_str();
    let (_, page) =
        call(router, Method::GET, "/api/events?from=1&limit=1000", Some(auditor), None).await;
    let nomination = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["event_type"] == "ParticipantNominated")
        .unwrap();
    assert_eq!(
        (nomination["actor"].as_str(), nomination["source"].as_str()),
        (Some("petugas.api"), Some("api"))
    );
    // Personal data reads were recorded: who, whose, why.
    let (_, export) = call(
        router,
        Method::GET,
        &format!("/api/people/{}/access-export", person(0)),
        Some(world.tokens[&Role::Dpo].as_str()),
        None,
    )
    .await;
    let log = export["access_log"].as_array().unwrap();
    assert!(
        log.iter().any(|entry| entry["actor"] == "karutan.api"
            && entry["action"] == "read"
            && entry["purpose"] == "pendampingan"),
        "{export}"
    );
    world.store.close().await;
}

async fn bad_input_gets_a_clear_status_and_writes_nothing(db: TestDb) {
    let world = world(&db).await;
    let router = &world.router;
    let petugas = world.tokens[&Role::PetugasPembinaan].as_str();
    let nominate = "/api/commands/nominate_inmate";
    let raw = |body: &str| body.to_owned();
    let cases: Vec<(String, String, StatusCode, &str)> = vec![
        (nominate.to_owned(), raw("{not json"), StatusCode::BAD_REQUEST, "not_json"),
        (nominate.to_owned(), raw("[1, 2]"), StatusCode::BAD_REQUEST, "not_an_object"),
        (nominate.to_owned(), json!({"command_id": Uuid::new_v4(), "package_id": PACKAGE, "person_ref": person(10), "colour": "red"}).to_string(), StatusCode::BAD_REQUEST, "invalid_command"),
        (nominate.to_owned(), json!({"package_id": PACKAGE, "person_ref": person(10)}).to_string(), StatusCode::BAD_REQUEST, "invalid_command"),
        (nominate.to_owned(), json!({"command_id": Uuid::new_v4(), "type": "withdraw_participant", "package_id": PACKAGE}).to_string(), StatusCode::BAD_REQUEST, "type_mismatch"),
        ("/api/commands/fly_to_the_moon".to_owned(), json!({"command_id": Uuid::new_v4()}).to_string(), StatusCode::NOT_FOUND, "not_found"),
        (nominate.to_owned(), json!({"command_id": Uuid::new_v4(), "package_id": PACKAGE, "person_ref": "not-a-ref"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (nominate.to_owned(), json!({"command_id": Uuid::new_v4(), "package_id": Uuid::from_u128(77), "person_ref": person(10)}).to_string(), StatusCode::NOT_FOUND, "not_found"),
        (nominate.to_owned(), format!("{{\"command_id\": \"{}\", \"padding\": \"{}\"}}", Uuid::new_v4(), "x".repeat(400 * 1024)), StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
    ];
    for (uri, body, expected, code) in cases {
        let before = written(&db, &world.store).await;
        let request = Request::builder()
            .method(Method::POST)
            .uri(&uri)
            .header("authorization", format!("Bearer {petugas}"))
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let answer: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{uri}: not JSON: {}", String::from_utf8_lossy(&bytes)));
        let shown = &body[..body.len().min(80)];
        assert_eq!(status, expected, "{shown}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{shown}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
        assert_eq!(written(&db, &world.store).await, before, "{shown} wrote");
    }
    // Bad parameters and unknown paths are 400 and 404, with the same JSON shape.
    let auditor = world.tokens[&Role::Auditor].as_str();
    for (uri, expected) in [
        ("/api/views/enrolment?as_of=kemarin", StatusCode::BAD_REQUEST),
        ("/api/views/enrolment?known_at=kemarin", StatusCode::BAD_REQUEST),
        ("/api/views/enrolment?colour=red", StatusCode::BAD_REQUEST),
        ("/api/views/horoscope", StatusCode::NOT_FOUND),
        // Releases have no skill: the people views refuse to be narrowed by one.
        ("/api/views/recidivism?skill=menjahit", StatusCode::BAD_REQUEST),
        ("/api/views/post_release?skill=menjahit", StatusCode::BAD_REQUEST),
        ("/api/views/recidivism?comparison_min=2", StatusCode::BAD_REQUEST),
        ("/api/events?limit=100000", StatusCode::BAD_REQUEST),
        ("/api/audit/participation/bukan-uuid", StatusCode::BAD_REQUEST),
        ("/api/audit/planet/mars", StatusCode::NOT_FOUND),
        ("/api/nowhere", StatusCode::NOT_FOUND),
    ] {
        let (status, answer) = call(router, Method::GET, uri, Some(auditor), None).await;
        assert_eq!(status, expected, "{uri}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{uri}: {answer}");
    }
    // Personal data without a purpose, or a malformed record, is refused and not recorded.
    let karutan = world.tokens[&Role::Karutan].as_str();
    let before = written(&db, &world.store).await;
    let (status, _) = call(
        router,
        Method::GET,
        &format!("/api/people/{}/personal-data", person(0)),
        Some(karutan),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        router,
        Method::PUT,
        &format!("/api/people/{}/personal-data", person(1)),
        Some(petugas),
        Some(json!({"record": {"full_name": "A", "nik": "12"}, "purpose": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        router,
        Method::PUT,
        &format!("/api/people/{}/personal-data", person(1)),
        Some(petugas),
        Some(json!({"record": {"full_name": "A", "shoe_size": 42}, "purpose": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(written(&db, &world.store).await, before);
    // A retried command is answered with its first result and writes nothing again.
    let body = json!({"command_id": Uuid::from_u128(0x5e), "package_id": PACKAGE, "person_ref": person(10)});
    let (status, first) =
        call(router, Method::POST, nominate, Some(petugas), Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let before = written(&db, &world.store).await;
    let (status, again) = call(router, Method::POST, nominate, Some(petugas), Some(body)).await;
    assert_eq!((status, again["status"].as_str()), (StatusCode::OK, Some("duplicate")));
    assert_eq!(again["last_position"], first["last_position"]);
    assert_eq!(written(&db, &world.store).await, before);
    world.store.close().await;
}

/// Resolves `$ref`s against the document, for the schema validator.
fn schema_for(document: &Value, schema: &Value) -> Value {
    json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "components": document["components"], "allOf": [schema]})
}

async fn the_openapi_document_is_valid_and_every_endpoint_answers_as_documented(db: TestDb) {
    let world = world(&db).await;
    let router = &world.router;
    let (status, document) = call(router, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    // Valid: an OpenAPI 3.1 document with the required fields, every operation with responses,
    // every path parameter declared, every reference resolving, every schema a valid JSON
    // Schema (checked as each is used below).
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["info"]["title"].is_string() && document["info"]["version"].is_string());
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let pointer = reference.split('"').next().unwrap().trim_start_matches('#');
        assert!(document.pointer(pointer).is_some(), "dangling reference {pointer}");
    }
    let p1 = world.participations[0];
    let first_event = world.store.read_all(1, 1).await.unwrap()[0].event_id;
    let fill = |path: &str| {
        path.replace("{command}", "register_organisation")
            .replace("{view}", "enrolment")
            .replace("{subject}", "participation")
            .replace("{id}", &p1.to_string())
            .replace("{person_ref}", &person(0))
    };
    let mut called = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let declared: Vec<String> = operation["parameters"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(declared.iter().any(|d| d == name), "{method} {path}: {name} undeclared");
            }
            assert!(
                operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            // Call it as the user who may: the DPO for personal data, the system for commands,
            // the auditor for the rest.
            let role = if path.starts_with("/api/people") {
                Role::Dpo
            } else if path == "/api/extracts/recidivism" {
                Role::Evaluator
            } else if path.starts_with("/api/commands") {
                Role::System
            } else {
                Role::Auditor
            };
            let token = world.tokens[&role].as_str();
            let uri = match path.as_str() {
                "/api/people/lookup" => {
                    "/api/people/lookup?nik=5302010101900001&purpose=verifikasi".to_owned()
                }
                "/api/people/{person_ref}/personal-data" if method == "get" => {
                    format!("{}?purpose=verifikasi", fill(path))
                }
                "/api/events/live" => "/api/events/live?from=1".to_owned(),
                "/api/proofs/consistency" => "/api/proofs/consistency?from=1&to=3".to_owned(),
                "/api/proofs/inclusion" => format!("/api/proofs/inclusion?event={first_event}"),
                "/api/extracts/recidivism" => {
                    "/api/extracts/recidivism?purpose=PKS-001%20studi%20contoh".to_owned()
                }
                // Forgetting someone else than the person the other calls read.
                "/api/people/{person_ref}/forget" => fill(path).replace(&person(0), &person(2)),
                _ => fill(path),
            };
            let body = match (path.as_str(), method.as_str()) {
                ("/api/commands/{command}", _) => Some(
                    json!({"command_id": Uuid::new_v4(), "code": "BAPAS-SOE", "name": "Bapas SoE", "kind": "bapas", "time_zone": "Asia/Makassar"}),
                ),
                ("/api/people/{person_ref}/personal-data", "put") => Some(
                    json!({"record": {"full_name": "Yohanes Fiktif Nenobais", "nik": "5302010101900001"}, "purpose": "koreksi"}),
                ),
                ("/api/people/{person_ref}/forget", _) => {
                    Some(json!({"reason": "UU 27/2022 Pasal 43"}))
                }
                _ => None,
            };
            let method_value: Method = method.to_uppercase().parse().unwrap();
            let (status, answer) = call(router, method_value, &uri, Some(token), body).await;
            let documented = &operation["responses"][status.as_u16().to_string()];
            assert!(
                documented.is_object(),
                "{method} {path} answered {status}, which is not documented: {answer}"
            );
            if let Some(schema) = documented.pointer("/content/application~1json/schema") {
                let validator = jsonschema::validator_for(&schema_for(&document, schema))
                    .expect("a valid schema");
                let errors: Vec<String> =
                    validator.iter_errors(&answer).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{method} {path} ({status}): {errors:?}\n{answer}");
            }
            assert!(status.is_success(), "{method} {path}: {status} {answer}");
            called += 1;
        }
    }
    assert_eq!(called, operations);
    assert!(called >= 16, "every endpoint was called ({called})");
    world.store.close().await;
}

/// The live feed sends every event from `from` on, in position order, then what is appended
/// while the client listens.
/// The live feed from position 1 as `token`'s user opens it (answered 200).
pub async fn live_feed(world: &World, token: &str) -> axum::body::BodyDataStream {
    let request = Request::builder()
        .uri("/api/events/live?from=1")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = world.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body().into_data_stream()
}

async fn the_live_feed_sends_every_event_in_order_and_then_new_ones(db: TestDb) {
    use futures::StreamExt;
    let world = world(&db).await;
    let auditor = world.tokens[&Role::Auditor].clone();
    let head = world.store.head().await.unwrap().position;
    let mut stream = live_feed(&world, &auditor).await;
    let mut text = String::new();
    let mut ids: Vec<i64> = Vec::new();
    let mut appended = false;
    while ids.len() < head as usize + 1 {
        let chunk = stream.next().await.expect("the feed stays open").unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let message: String = text.drain(..end + 2).collect();
            if let Some(id) = message.lines().find_map(|line| line.strip_prefix("id:")) {
                ids.push(id.trim().parse().unwrap());
                assert!(message.contains("event: appended") || message.contains("event:appended"));
            }
        }
        if ids.len() == head as usize && !appended {
            // Everything so far has arrived: now a command, whose event must follow.
            let petugas = world.tokens[&Role::PetugasPembinaan].as_str();
            let body = json!({"command_id": Uuid::new_v4(), "package_id": PACKAGE, "person_ref": person(10)});
            let (status, _) = call(
                &world.router,
                Method::POST,
                "/api/commands/nominate_inmate",
                Some(petugas),
                Some(body),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            appended = true;
        }
    }
    let expected: Vec<i64> = (1..=head + 1).collect();
    assert_eq!(ids[..expected.len()], expected[..], "every event once, in order");
    world.store.close().await;
}

/// Roles that see aggregates ask published cuts only (docs/reports.md): the latest data over
/// all time, a calendar year or a quarter; any other period, date or setting is refused with
/// its reason in both languages, and a role that may see names asks freely.
async fn an_analyst_reads_published_cuts_only(db: TestDb) {
    let world = world(&db).await;
    let analyst = world.tokens[&Role::Analis].as_str();
    let auditor = world.tokens[&Role::Auditor].as_str();
    for uri in [
        "/api/views/recidivism",
        "/api/views/recidivism?from=2025-01-01&to=2025-12-31",
        "/api/views/recidivism?from=2025-04-01&to=2025-06-30",
        "/api/views/post_release?from=2024-10-01&to=2024-12-31",
        "/api/views/outcomes?facility=RUTAN-SOE",
    ] {
        let (status, body) = call(&world.router, Method::GET, uri, Some(analyst), None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    for uri in [
        "/api/views/recidivism?from=2025-01-01&to=2025-06-30",
        "/api/views/recidivism?from=2025-02-01&to=2025-04-30",
        "/api/views/recidivism?from=2025-01-01",
        "/api/views/recidivism?cut_off=2025-06-30",
        "/api/views/recidivism?as_of=2025-06-30",
        "/api/views/recidivism?waiting_months=12",
        "/api/views/recidivism?definition=1",
        "/api/views/post_release?known_at=2025-06-30",
    ] {
        let (status, body) = call(&world.router, Method::GET, uri, Some(analyst), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("potongan terbitan") && message.contains("published cuts"),
            "{uri}: {body}"
        );
        let (status, body) = call(&world.router, Method::GET, uri, Some(auditor), None).await;
        assert_eq!(status, StatusCode::OK, "the auditor asks freely: {uri}: {body}");
    }
    // Skills are rows of the programme views, never a cut of them; the monthly return (month
    // by skill by partner, small groups by construction) is not published.
    let refusals = [
        ("/api/views/outcomes?skill=menjahit", "each skill is a row of the outcomes report"),
        ("/api/views/funnel?skill=menjahit", "setiap kejuruan tampil sebagai baris"),
        ("/api/views/monthly", "may not read the monthly view"),
    ];
    for (uri, expected) in refusals {
        let (status, body) = call(&world.router, Method::GET, uri, Some(analyst), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(expected), "{uri}: {body}");
        let (status, body) = call(&world.router, Method::GET, uri, Some(auditor), None).await;
        assert_eq!(status, StatusCode::OK, "the auditor asks freely: {uri}: {body}");
    }
    // Outcomes are published per skill, facility and category, not per package: a package's
    // row beside its skill's total would give a withheld count away. The auditor sees both.
    for (token, expected) in
        [(analyst, &["skills", "groups"][..]), (auditor, &["packages", "skills", "groups"][..])]
    {
        let uri = "/api/views/outcomes";
        let (status, body) = call(&world.router, Method::GET, uri, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let names: Vec<&str> = body["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{body}");
    }
    // The person-level extract is the evaluator's alone: not the analyst's, nor the auditor's.
    let extract = "/api/extracts/recidivism?purpose=PKS-001%20studi%20contoh";
    for token in [analyst, auditor] {
        let (status, body) = call(&world.router, Method::GET, extract, Some(token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("Only the evaluator role"));
    }
    let evaluator = world.tokens[&Role::Evaluator].as_str();
    let (status, body) = call(&world.router, Method::GET, extract, Some(evaluator), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.as_str().unwrap().starts_with("pseudonym,released_on,"), "{body}");
    let (status, _) = call(
        &world.router,
        Method::GET,
        "/api/extracts/recidivism?purpose=x",
        Some(evaluator),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a purpose, not a word");
}
