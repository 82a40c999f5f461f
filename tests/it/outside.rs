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
    let request = Request::builder()
        .uri("/api/events/live?from=1")
        .header("authorization", format!("Bearer {auditor}"))
        .body(Body::empty())
        .unwrap();
    let response = world.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.into_body().into_data_stream();
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
