//! What an attacker, a flaky network and a rogue administrator found from the outside, each
//! as the behaviour that now holds, through the router on each backend: names on pages go
//! through the API's own authorisation; the language switch redirects only within the site;
//! dates outside the supported range are a 400; a replayed command id is answered only after
//! authorisation; a live feed closes when its token is revoked; and the smaller findings.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use events::vocabulary::Role;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::api::{MASTER, World, call, world};
use crate::fixtures::{PACKAGE, command_loop, envelope, person, system};
use crate::support::{TestDb, backend_tests, clock_at};

backend_tests!(
    a_page_shows_only_the_names_the_api_would_give,
    dates_outside_the_supported_range_are_a_400_that_names_it,
    a_replayed_command_id_is_answered_only_after_authorisation,
    a_live_feed_closes_once_its_token_is_revoked,
    a_person_is_forgotten_once_and_an_unknown_one_not_at_all,
    the_vault_takes_only_birth_dates_a_person_can_have,
    a_subject_found_only_in_another_facility_reads_as_not_found,
    the_smaller_inputs_are_refused_with_their_own_status,
);

/// Signs in to the dashboard with `token`; returns the session cookie (`name=value`).
pub async fn sign_in(router: &axum::Router, token: &str, https: bool) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if https {
        request = request.header("x-forwarded-proto", "https");
    }
    let body = Body::from(format!("token={token}"));
    let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("jejak_session="))
        .unwrap_or_default();
    (response.status(), cookie)
}

/// A page of the dashboard for the session `cookie`: its status, headers and text.
pub async fn page(
    router: &axum::Router,
    cookie: &str,
    uri: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let session = cookie.split(';').next().unwrap_or_default();
    let request = Request::builder().uri(uri).header(header::COOKIE, session);
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn record(name: &str) -> jejak::vault::PersonalRecord {
    jejak::vault::PersonalRecord {
        full_name: name.to_owned(),
        nik: None,
        birth_date: None,
        address: None,
        health_notes: None,
        offence_notes: None,
    }
}

async fn a_page_shows_only_the_names_the_api_would_give(db: TestDb) {
    let world = world(&db).await;
    let clock = clock_at("2026-02-21T01:00:00Z");
    let commands = command_loop(&world.store, clock.clone());
    // A member of the public in the facility's package, and an inmate transferred away.
    let applicant = person(20);
    let batch = [
        (
            envelope(
                json!({"type": "register_organisation", "code": "LAPAS-KUPANG", "name": "Lapas Kupang", "kind": "lapas", "time_zone": "Asia/Makassar"}),
            ),
            system(),
        ),
        (
            envelope(
                json!({"type": "register_public_applicant", "package_id": PACKAGE, "person_ref": applicant, "desa_code": "53.02.01.2001", "kecamatan_code": "53.02.01"}),
            ),
            crate::fixtures::disnaker(),
        ),
        (
            envelope(
                json!({"type": "record_transfer", "person_ref": person(1), "to_facility": "LAPAS-KUPANG", "transferred_on": "2026-02-20"}),
            ),
            system(),
        ),
    ];
    let (_, refused) = commands.session().run(&batch).await.unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    let vault =
        jejak::vault::Vault::new(world.store.clone(), jejak::vault::MasterKey::from_bytes(MASTER));
    let setter = jejak::vault::Accessor {
        actor: "dpo.api".to_owned(),
        role: "dpo".to_owned(),
        organisation: "KANWIL-NTT".to_owned(),
        request_id: None,
    };
    let now = events::Timestamp::parse("2026-02-21T02:00:00Z").unwrap();
    for (person_ref, name) in
        [(applicant.as_str(), "Maria Fiktif Umbu"), (&person(1), "Daniel Fiktif Nope")]
    {
        vault.put(person_ref, &record(name), &setter, "registrasi", now).await.unwrap();
    }

    let wali = &world.tokens[&Role::Wali];
    // The API refuses both to the facility's wali, and gives the one held there.
    for refused in [applicant.as_str(), &person(1)] {
        let uri = format!("/api/people/{refused}/personal-data?purpose=daftar");
        assert_eq!(
            call(&world.router, Method::GET, &uri, Some(wali), None).await.0,
            StatusCode::FORBIDDEN
        );
    }
    let uri = format!("/api/people/{}/personal-data?purpose=daftar", person(0));
    assert_eq!(call(&world.router, Method::GET, &uri, Some(wali), None).await.0, StatusCode::OK);

    let (_, cookie) = sign_in(&world.router, wali, false).await;
    let (status, _, html) =
        page(&world.router, &cookie, &format!("/enrolment?package={PACKAGE}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Yohanes Fiktif Nenobais"), "the person held here is named: {html}");
    assert!(!html.contains("Maria Fiktif Umbu"), "a public applicant is not the wali's to name");
    assert!(!html.contains("Daniel Fiktif Nope"), "nor an inmate transferred away");
    assert!(html.contains(&applicant) && html.contains(&person(1)), "both stay as references");
    for (person_ref, reads) in [(person(0), 2), (applicant.clone(), 0), (person(1), 0)] {
        let sql = format!(
            "SELECT COUNT(*) FROM vault_access WHERE actor = 'wali.api' AND person_ref = '{person_ref}'"
        );
        assert_eq!(db.count(&sql).await, reads, "reads of {person_ref} by the wali");
    }
    world.store.close().await;
}

async fn dates_outside_the_supported_range_are_a_400_that_names_it(db: TestDb) {
    let world = world(&db).await;
    let auditor = &world.tokens[&Role::Auditor];
    let petugas = &world.tokens[&Role::PetugasPembinaan];
    for date in ["1899-12-31", "9999-12-31", "1949-12-31", "2101-01-01"] {
        for uri in [
            format!("/api/views/enrolment?as_of={date}"),
            format!("/api/views/attendance?from={date}"),
            format!("/api/views/grants?to={date}"),
            format!("/api/views/recidivism?cut_off={date}"),
            format!("/api/views/enrolment?known_at={date}"),
            format!("/api/views/enrolment?known_at={date}T00:00:00Z"),
            format!("/api/audit/person/{}?as_of={date}", person(0)),
            format!("/api/compliance?from={date}"),
        ] {
            let (status, body) = call(&world.router, Method::GET, &uri, Some(auditor), None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("1950-01-01 to 2100-12-31"), "{uri}: {body}");
        }
        let (_, cookie) = sign_in(&world.router, petugas, false).await;
        for uri in
            [format!("/enrolment?as_of={date}"), format!("/audit?id={}&as_of={date}", person(0))]
        {
            let (status, _, html) = page(&world.router, &cookie, &uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {html}");
            assert!(html.contains("1950-01-01 to 2100-12-31"), "{uri}: {html}");
        }
    }
    // The ends of the range are answered.
    for date in ["1950-01-01", "2100-12-31"] {
        let uri = format!("/api/views/enrolment?as_of={date}");
        let (status, body) = call(&world.router, Method::GET, &uri, Some(auditor), None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    world.store.close().await;
}

async fn a_replayed_command_id_is_answered_only_after_authorisation(db: TestDb) {
    let world = world(&db).await;
    // Another officer of the facility, made before the server first reads its users.
    let other = jejak::users::add(
        &world.store,
        "petugas.lain",
        Role::PetugasPembinaan,
        "RUTAN-SOE",
        None,
        events::Timestamp::parse("2026-02-20T02:00:00Z").unwrap(),
    )
    .await
    .unwrap();
    let petugas = &world.tokens[&Role::PetugasPembinaan];
    let command_id = Uuid::new_v4();
    let body = json!({"command_id": command_id, "package_id": PACKAGE, "person_ref": person(10)});
    let uri = "/api/commands/nominate_inmate";
    let (status, first) =
        call(&world.router, Method::POST, uri, Some(petugas), Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let head = world.store.head().await.unwrap().position;

    // The sender's own retry is the first result.
    let (status, retried) =
        call(&world.router, Method::POST, uri, Some(petugas), Some(body.clone())).await;
    assert_eq!((status, retried["status"].as_str()), (StatusCode::OK, Some("duplicate")));
    assert_eq!(retried["first_position"], first["first_position"]);

    // A role that may not nominate learns nothing from the id: it is refused as itself.
    for role in [Role::Auditor, Role::Analis, Role::Instruktur, Role::Karutan] {
        let token = &world.tokens[&role];
        let (status, answer) =
            call(&world.router, Method::POST, uri, Some(token), Some(body.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden", "{role:?}: {answer}");
        assert!(answer.get("reply").is_none() && answer.get("first_position").is_none());
    }
    // Another officer of the facility, who may nominate, is answered by the rules, not with
    // the first officer's result.
    let (status, answer) = call(&world.router, Method::POST, uri, Some(&other), Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_ne!(answer.get("status").and_then(Value::as_str), Some("duplicate"));
    assert_eq!(world.store.head().await.unwrap().position, head, "nothing was written");
    world.store.close().await;
}

async fn a_live_feed_closes_once_its_token_is_revoked(db: TestDb) {
    use futures::StreamExt;
    let world = world(&db).await;
    let auditor = world.tokens[&Role::Auditor].clone();
    let mut stream = crate::api::live_feed(&world, &auditor).await;
    let first = stream.next().await.expect("the feed sends the log").unwrap();
    assert!(String::from_utf8_lossy(&first).contains("appended"));
    let now = events::Timestamp::parse("2026-02-20T03:00:00Z").unwrap();
    jejak::users::revoke(&world.store, "auditor.api", now).await.unwrap();
    // The feed ends by itself within two token-cache periods; it is not waited for longer.
    let ended = tokio::time::timeout(jejak::server::USERS_CACHE_TTL * 3, async {
        while let Some(chunk) = stream.next().await {
            chunk.unwrap();
        }
    })
    .await;
    assert!(ended.is_ok(), "the live feed still runs after its token was revoked");
    world.store.close().await;
}

/// `/lang/…?next=` goes back only to a path of this site: a tab, a line break, a NUL or a
/// DEL in it, or a second slash or backslash, and it goes to `/` instead, never to a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_redirects_only_within_the_site() {
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let world: World = world(&db).await;
    let cases = [
        ("/overview?as_of=2026-03-01", "/overview?as_of=2026-03-01"),
        ("/%09/evil.example", "/"),
        ("/%0a", "/"),
        ("/%0d%0a/evil.example", "/"),
        ("/%00", "/"),
        ("/%7f", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("https://evil.example", "/"),
        ("/%20/evil.example", "/"),
        ("/caf%C3%A9", "/"),
        ("%", "/"),
    ];
    for (next, expected) in cases {
        let request = Request::builder()
            .uri(format!("/lang/en?next={}", next.replace('\\', "%5C")))
            .body(Body::empty())
            .unwrap();
        let response = world.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert_eq!(location, expected, "{next}");
    }
    world.store.close().await;
}

async fn a_person_is_forgotten_once_and_an_unknown_one_not_at_all(db: TestDb) {
    let world = world(&db).await;
    let dpo = &world.tokens[&Role::Dpo];
    let forget = |person_ref: String, reason: &str| {
        let uri = format!("/api/people/{person_ref}/forget");
        let body = json!({"reason": reason});
        let router = world.router.clone();
        async move { call(&router, Method::POST, &uri, Some(dpo), Some(body)).await }
    };
    let erasure = "SELECT CAST(erased_at AS TEXT), erased_reason FROM vault_people \
                   WHERE person_ref = 'PERSON'"
        .to_owned();
    let vault_row = |person_ref: &str| erasure.replace("PERSON", person_ref);

    let (status, first) = forget(person(0), "permintaan subjek 1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let head = world.store.head().await.unwrap().position;
    let erased = db.text_row(&vault_row(&person(0))).await;
    // A second forget, for another reason: nothing changes, and it says when the first was.
    let (status, second) = forget(person(0), "alasan lain").await;
    assert_eq!(status, StatusCode::CONFLICT, "{second}");
    assert_eq!(second["error"]["code"], "already_forgotten");
    let message = second["error"]["message"].as_str().unwrap();
    assert!(message.contains("permintaan subjek 1"), "{message}");
    assert!(message.contains(&first["log_position"].to_string()), "{message}");
    assert_eq!(db.text_row(&vault_row(&person(0))).await, erased, "the vault keeps the first");
    assert_eq!(world.store.head().await.unwrap().position, head, "the log keeps the first");

    // A reference neither the log nor the vault has seen is not found; nothing is written.
    let (status, unknown) = forget(person(777), "permintaan subjek").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    assert_eq!(world.store.head().await.unwrap().position, head);
    let held = format!("SELECT COUNT(*) FROM vault_people WHERE person_ref = '{}'", person(777));
    assert_eq!(db.count(&held).await, 0);

    // An empty reason is asked for as a reason, not as a purpose.
    let (status, empty) = forget(person(1), "  ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{empty}");
    let message = empty["error"]["message"].as_str().unwrap();
    assert!(message.contains("reason is required to forget"), "{message}");
    assert_eq!(world.store.head().await.unwrap().position, head);
    world.store.close().await;
}

async fn the_vault_takes_only_birth_dates_a_person_can_have(db: TestDb) {
    let world = world(&db).await;
    let petugas = &world.tokens[&Role::PetugasPembinaan];
    let uri = format!("/api/people/{}/personal-data", person(2));
    // The world's clock says 2026-02-20.
    for (born, status) in [
        ("1800-01-01", StatusCode::BAD_REQUEST),
        ("+200000-01-01", StatusCode::BAD_REQUEST),
        ("1899-12-31", StatusCode::BAD_REQUEST),
        ("2026-02-21", StatusCode::BAD_REQUEST),
        ("1900-01-01", StatusCode::NO_CONTENT),
        ("2026-02-20", StatusCode::NO_CONTENT),
    ] {
        let body = json!({"record": {"full_name": "Agus Fiktif", "birth_date": born}, "purpose": "registrasi"});
        let (answer, text) =
            call(&world.router, Method::PUT, &uri, Some(petugas), Some(body)).await;
        assert_eq!(answer, status, "{born}: {text}");
        if status == StatusCode::BAD_REQUEST {
            assert!(text.to_string().contains("birth_date"), "{born}: {text}");
        }
    }
    world.store.close().await;
}

async fn a_subject_found_only_in_another_facility_reads_as_not_found(db: TestDb) {
    let world = world(&db).await;
    // An officer of another facility asks about people and a package of Rutan SoE, and about
    // references nobody has: the same 404, in the same words but for the reference.
    let now = events::Timestamp::parse("2026-02-20T02:00:00Z").unwrap();
    let other = jejak::users::add(
        &world.store,
        "petugas.kupang",
        Role::PetugasPembinaan,
        "LAPAS-KUPANG",
        None,
        now,
    )
    .await
    .unwrap();
    let absent = person(999);
    for (subject, existing, missing) in [
        ("person", person(0), absent.clone()),
        ("package", PACKAGE.to_string(), Uuid::from_u128(0xdead).to_string()),
        ("participation", world.participations[0].to_string(), Uuid::from_u128(0xbeef).to_string()),
    ] {
        let answer = |id: String| {
            let router = world.router.clone();
            let uri = format!("/api/audit/{subject}/{id}");
            let other = other.clone();
            async move { call(&router, Method::GET, &uri, Some(&other), None).await }
        };
        let (status, found) = answer(existing.clone()).await;
        let (missing_status, not_found) = answer(missing.clone()).await;
        assert_eq!((status, missing_status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        let said = found["error"]["message"].as_str().unwrap().replace(&existing, "ID");
        let said_missing = not_found["error"]["message"].as_str().unwrap().replace(&missing, "ID");
        assert_eq!(said, said_missing, "{subject}");
        let (_, cookie) = sign_in(&world.router, &other, false).await;
        let (status, _, html) =
            page(&world.router, &cookie, &format!("/audit?subject={subject}&id={existing}")).await;
        let (missing_status, _, missing_html) =
            page(&world.router, &cookie, &format!("/audit?subject={subject}&id={missing}")).await;
        assert_eq!(
            (status, missing_status),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
            "{html}"
        );
        assert_eq!(html.replace(&existing, "ID"), missing_html.replace(&missing, "ID"));
    }
    world.store.close().await;
}

async fn the_smaller_inputs_are_refused_with_their_own_status(db: TestDb) {
    let world = world(&db).await;
    let auditor = &world.tokens[&Role::Auditor];
    let head = world.store.head().await.unwrap().position;
    for days in ["-1", "-3650", "3651"] {
        let uri = format!("/api/compliance?late_after_days={days}");
        let (status, body) = call(&world.router, Method::GET, &uri, Some(auditor), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{days}: {body}");
    }
    let (status, body) =
        call(&world.router, Method::GET, "/api/compliance?late_after_days=0", Some(auditor), None)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A forget body over the limit is 413, as every other body over it is.
    let dpo = &world.tokens[&Role::Dpo];
    let uri = format!("/api/people/{}/forget", person(1));
    let huge = json!({"reason": "x".repeat(jejak::server::BODY_BYTES_MAX)});
    let (status, body) = call(&world.router, Method::POST, &uri, Some(dpo), Some(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // The live feed's position is a number, and the answer says so as the schema does.
    let (status, body) =
        call(&world.router, Method::GET, "/api/events/live?from=abc", Some(auditor), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(world.store.head().await.unwrap().position, head);
    world.store.close().await;
}

/// The session cookie is `Secure` whenever the request came over HTTPS (a reverse proxy says
/// so), and `HttpOnly` and strictly same-site always.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_secure_over_https() {
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let world: World = world(&db).await;
    let token = &world.tokens[&Role::Karutan];
    let (status, plain) = sign_in(&world.router, token, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"), "{plain}");
    assert!(!plain.contains("Secure"), "{plain}");
    let (_, secure) = sign_in(&world.router, token, true).await;
    assert!(secure.contains("; Secure") && secure.contains("HttpOnly"), "{secure}");
    world.store.close().await;
}
