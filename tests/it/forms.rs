//! The dashboard's forms through the router, on each backend: a form writes through the same
//! rules as the API with the signed-in user as actor and `source = ui`; a double submit, a
//! resubmit and a reload write nothing twice; a post without the session's CSRF token is
//! refused and writes nothing; a refused form keeps what was typed and says what is wrong by
//! the field, in the page's language.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use events::vocabulary::Role;
use tower::ServiceExt;

use crate::api::{World, world};
use crate::fixtures::{PACKAGE, person};
use crate::outside::{page, sign_in};
use crate::support::{TestDb, backend_tests};

backend_tests!(
    a_form_writes_through_the_rules_as_the_signed_in_user_from_the_ui,
    a_form_sent_twice_or_without_its_token_writes_once_or_not_at_all,
    a_refused_form_keeps_what_was_typed_and_says_what_is_wrong_by_the_field,
);

/// Posts a form as the session `cookie`; returns the status, the `Location` and the page.
pub async fn post_form(
    router: &axum::Router,
    cookie: &str,
    uri: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let session = cookie.split(';').next().unwrap_or_default();
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, session)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20).await.unwrap();
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}

/// The value of the hidden input `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start =
        html.find(&marker).unwrap_or_else(|| panic!("no {name} in the page")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Opens a form as `role` and returns its page, cookie, command id and CSRF token.
async fn open(world: &World, role: Role, uri: &str) -> (String, String, String, String) {
    let (_, cookie) = sign_in(&world.router, &world.tokens[&role], false).await;
    let (status, _, html) = page(&world.router, &cookie, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {html}");
    let (command_id, csrf) = (hidden(&html, "command_id"), hidden(&html, "csrf"));
    (html, cookie, command_id, csrf)
}

async fn a_form_writes_through_the_rules_as_the_signed_in_user_from_the_ui(db: TestDb) {
    let world = world(&db).await;
    let person_ref = person(10);
    let uri = format!("/act/nominate_inmate?package_id={PACKAGE}&person_ref={person_ref}");
    let (html, cookie, command_id, csrf) = open(&world, Role::PetugasPembinaan, &uri).await;
    assert!(html.contains("Usulkan warga binaan"), "the form is in Bahasa Indonesia: {html}");
    let head = world.store.head().await.unwrap().position;
    let package = PACKAGE.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("command_id", command_id.as_str()),
        ("package_id", package.as_str()),
        ("person_ref", person_ref.as_str()),
        ("next", "/tugas"),
    ];
    let (status, location, body) =
        post_form(&world.router, &cookie, "/act/nominate_inmate", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(location.starts_with("/act/nominate_inmate/done?"), "{location}");
    let events = world.store.read_all(head + 1, 100).await.unwrap();
    assert!(!events.is_empty());
    for event in &events {
        assert_eq!((event.actor.as_str(), event.source.as_str()), ("petugas.api", "ui"));
        assert_eq!(event.command_id.to_string(), command_id);
    }
    assert!(events.iter().any(|event| event.event_type == "ParticipantNominated"));
    let (status, _, done) = page(&world.router, &cookie, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(done.contains("Tersimpan di log"), "{done}");
    world.store.close().await;
}

async fn a_form_sent_twice_or_without_its_token_writes_once_or_not_at_all(db: TestDb) {
    let world = world(&db).await;
    let uri = format!("/act/schedule_session?package_id={PACKAGE}");
    let (_, cookie, command_id, csrf) = open(&world, Role::DisnakerAdmin, &uri).await;
    let package = PACKAGE.to_string();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("command_id", command_id.as_str()),
        ("package_id", package.as_str()),
        ("date", "2026-03-04"),
        ("start_time", "08:00"),
        ("end_time", "12:00"),
        ("hours", "4"),
    ];
    let head = world.store.head().await.unwrap().position;
    // Without the token, and with another session's: refused, nothing written.
    let without: Vec<(&str, &str)> = fields.iter().copied().filter(|(n, _)| *n != "csrf").collect();
    let (status, _, body) =
        post_form(&world.router, &cookie, "/act/schedule_session", &without).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("kedaluwarsa"), "{body}");
    let (_, other_cookie) =
        sign_in(&world.router, &world.tokens[&Role::DisnakerAdmin], false).await;
    let (status, _, _) =
        post_form(&world.router, &other_cookie, "/act/schedule_session", &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a token is its session's alone");
    assert_eq!(world.store.head().await.unwrap().position, head);

    // Sent, then sent again (a double click, a reload of the post, the back button).
    let (status, first, _) =
        post_form(&world.router, &cookie, "/act/schedule_session", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let written = world.store.head().await.unwrap().position;
    assert!(written > head);
    for _ in 0..3 {
        let (status, again, _) =
            post_form(&world.router, &cookie, "/act/schedule_session", &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(again.contains("again=1"), "{again}");
        let positions =
            |location: &str| location.split("&next").next().unwrap().replace("&again=1", "");
        assert_eq!(positions(&first), positions(&again), "the first result");
    }
    assert_eq!(world.store.head().await.unwrap().position, written, "written once");
    // The session it made has the id the form's command id gives it, however often it is sent.
    let session_id =
        uuid::Uuid::new_v5(&uuid::Uuid::parse_str(&command_id).unwrap(), b"session_id");
    let events = world.store.read_all(head + 1, 100).await.unwrap();
    assert!(events.iter().any(|event| event.payload.contains(&session_id.to_string())));
    // Another form, with other values, under the same command id is refused.
    fields[3] = ("date", "2026-03-05");
    let (status, _, body) =
        post_form(&world.router, &cookie, "/act/schedule_session", &fields).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(world.store.head().await.unwrap().position, written);
    world.store.close().await;
}

async fn a_refused_form_keeps_what_was_typed_and_says_what_is_wrong_by_the_field(db: TestDb) {
    let world = world(&db).await;
    let uri = format!("/act/schedule_session?package_id={PACKAGE}");
    let (_, cookie, command_id, csrf) = open(&world, Role::DisnakerAdmin, &uri).await;
    let package = PACKAGE.to_string();
    let head = world.store.head().await.unwrap().position;
    // A mistake in the form itself: said at its field, in the summary, the rest kept.
    let fields = [
        ("csrf", csrf.as_str()),
        ("command_id", command_id.as_str()),
        ("package_id", package.as_str()),
        ("date", "4 Maret"),
        ("start_time", "08:00"),
        ("end_time", "12:00"),
        ("hours", "empat"),
    ];
    let (status, _, html) =
        post_form(&world.router, &cookie, "/act/schedule_session", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"error-summary\""), "{html}");
    assert!(html.contains("href=\"#f-date\"") && html.contains("href=\"#f-hours\""), "{html}");
    assert!(html.contains("Tulis tanggal seperti 2026-03-02"), "{html}");
    assert!(html.contains("value=\"4 Maret\"") && html.contains("value=\"08:00\""), "kept: {html}");
    assert_eq!(hidden(&html, "command_id"), command_id, "the same command id goes on");
    // A refusal of the rules: the session outside the package period.
    let mut fields = fields;
    fields[3] = ("date", "2026-05-04");
    fields[6] = ("hours", "4");
    let (status, _, html) =
        post_form(&world.router, &cookie, "/act/schedule_session", &fields).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("di luar periode paket"), "{html}");
    assert!(html.contains("value=\"2026-05-04\""), "{html}");
    assert_eq!(world.store.head().await.unwrap().position, head, "nothing written");
    // A role that may not send it cannot open it, and is told so in its language.
    let (_, auditor) = sign_in(&world.router, &world.tokens[&Role::Auditor], false).await;
    let (status, _, html) = page(&world.router, &auditor, &uri).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Peran Anda tidak dapat menggunakan formulir ini"), "{html}");
    world.store.close().await;
}
