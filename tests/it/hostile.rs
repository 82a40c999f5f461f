//! Hostile requests against the whole router: 10,000 generated requests per database —
//! malformed, oversized, wrongly typed and injection-laden, with valid and invalid tokens —
//! and not one answer is a 5xx, nothing panics, and afterwards the log and every report are
//! exactly what they were.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request};
use events::vocabulary::Role;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::api::{World, call, world};
use crate::support::{TestDb, backend_tests};

backend_tests!(
    ten_thousand_hostile_requests_get_no_5xx_and_change_nothing,
    the_csv_importers_answer_any_file_without_a_panic_and_write_only_valid_rows,
);

const REQUESTS: usize = 10_000;

/// Text that has broken other systems.
const NASTY: &[&str] = &[
    "'; DROP TABLE events; --",
    "\" OR 1=1 --",
    "1; SELECT pg_sleep(10)",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "%ff%fe",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "99999999999999999999999999999",
    "-1",
    "1e309",
    "NaN",
    "2026-13-45",
    "0000-00-00",
    "RUTAN-SOE' --",
    "participation-00000000-0000-0000-0000-000000000000",
    "\u{202e}gnp.exe",
    "ẞ𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "",
];

const VIEWS: &[&str] = &[
    "overview",
    "enrolment",
    "attendance",
    "funnel",
    "outcomes",
    "grants",
    "inbox",
    "monthly",
    "recidivism",
    "recidivism_stock",
    "post_release",
];

fn nasty(rng: &mut ChaCha8Rng) -> String {
    let text = *NASTY.choose(rng).unwrap();
    if rng.random_bool(0.1) { text.repeat(rng.random_range(50..400)) } else { text.to_owned() }
}

/// `text` made safe to stand in a URI (the router must still cope with what it means).
fn in_uri(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A JSON value of the wrong shape or type, or worse.
fn hostile_json(rng: &mut ChaCha8Rng, depth: u32) -> Value {
    match rng.random_range(0..10) {
        0 => Value::Null,
        1 => json!(rng.random::<i64>()),
        2 => json!(rng.random::<f64>() * 1e300),
        3 => json!(nasty(rng)),
        4 => json!(rng.random::<bool>()),
        5 if depth < 4 => Value::Array(
            (0..rng.random_range(0..5)).map(|_| hostile_json(rng, depth + 1)).collect(),
        ),
        6 | 7 if depth < 4 => {
            let keys = [
                "command_id",
                "type",
                "package_id",
                "person_ref",
                "participation_id",
                "quota_total",
                "facility",
                "as_of",
                "full_name",
                "nik",
                "reason",
                "items",
                "session_id",
            ];
            let mut object = serde_json::Map::new();
            for _ in 0..rng.random_range(0..8) {
                let key = if rng.random_bool(0.8) {
                    (*keys.choose(rng).unwrap()).to_owned()
                } else {
                    nasty(rng)
                };
                object.insert(key, hostile_json(rng, depth + 1));
            }
            Value::Object(object)
        }
        _ => json!(uuid::Uuid::from_u128(rng.random())),
    }
}

/// A request body: broken JSON, deep nesting, invalid UTF-8, huge, or hostile JSON.
fn hostile_body(rng: &mut ChaCha8Rng) -> Vec<u8> {
    match rng.random_range(0..8) {
        0 => b"{\"command_id\": ".to_vec(),
        1 => {
            let depth = rng.random_range(100..20_000);
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
        }
        2 => (0..rng.random_range(1..200)).map(|_| rng.random::<u8>()).collect(),
        3 => {
            // Past the request body limit.
            let mut body = b"{\"padding\": \"".to_vec();
            body.extend(std::iter::repeat_n(b'x', 300 * 1024 + rng.random_range(0..200_000)));
            body.extend(b"\"}");
            body
        }
        _ => hostile_json(rng, 0).to_string().into_bytes(),
    }
}

/// One generated request.
fn hostile_request(rng: &mut ChaCha8Rng, world: &World) -> Request<Body> {
    let token = match rng.random_range(0..8) {
        0 => None,
        1 => Some(format!("Bearer {}", nasty(rng))),
        2 => Some("Basic dXNlcjpwYXNz".to_owned()),
        3 => Some(format!("Bearer jejak_{}", "0".repeat(64))),
        _ => {
            let roles: Vec<&Role> = world.tokens.keys().collect();
            Some(format!("Bearer {}", world.tokens[*roles.choose(rng).unwrap()]))
        }
    };
    let command_names = events::command::Command::NAMES;
    let (method, uri, body) = match rng.random_range(0..12) {
        0..=3 => {
            let name = if rng.random_bool(0.8) {
                (*command_names.choose(rng).unwrap()).to_owned()
            } else {
                in_uri(&nasty(rng))
            };
            (Method::POST, format!("/api/commands/{name}"), Some(hostile_body(rng)))
        }
        4 => {
            let view = if rng.random_bool(0.5) {
                (*VIEWS.choose(rng).unwrap()).to_owned()
            } else {
                in_uri(&nasty(rng))
            };
            // Parameters that are never all valid, so no view is computed for long.
            let query = format!(
                "as_of={}&facility={}&cut_off={}&waiting_months={}",
                in_uri(&nasty(rng)),
                in_uri(&nasty(rng)),
                in_uri(&nasty(rng)),
                in_uri(&nasty(rng))
            );
            (Method::GET, format!("/api/views/{view}?{query}"), None)
        }
        5 => (
            Method::GET,
            format!("/api/events?from={}&limit={}", in_uri(&nasty(rng)), in_uri(&nasty(rng))),
            None,
        ),
        6 => {
            let subject = ["person", "package", "participation", "grant", "actor", "x"]
                .choose(rng)
                .unwrap()
                .to_owned();
            (Method::GET, format!("/api/audit/{subject}/{}", in_uri(&nasty(rng))), None)
        }
        7 => {
            let method = [Method::GET, Method::PUT].choose(rng).unwrap().clone();
            let body = (method == Method::PUT).then(|| hostile_body(rng));
            (method, format!("/api/people/{}/personal-data", in_uri(&nasty(rng))), body)
        }
        8 => (
            Method::POST,
            format!("/api/people/{}/forget", in_uri(&nasty(rng))),
            Some(hostile_body(rng)),
        ),
        9 => (Method::GET, format!("/api/people/lookup?nik={}", in_uri(&nasty(rng))), None),
        10 => (
            Method::POST,
            "/login".to_owned(),
            Some(format!("token={}", in_uri(&nasty(rng))).into_bytes()),
        ),
        _ => {
            let path =
                ["/", "/enrolment", "/audit", "/inbox/acknowledge", "/lang/", "/api/", "/metrics/"]
                    .choose(rng)
                    .unwrap()
                    .to_owned();
            let method = [Method::GET, Method::POST, Method::DELETE, Method::PATCH]
                .choose(rng)
                .unwrap()
                .clone();
            (method, format!("{path}{}", in_uri(&nasty(rng))), None)
        }
    };
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        match HeaderValue::from_str(&token) {
            Ok(value) => request = request.header("authorization", value),
            // Not a valid header value at all: send bytes that are not UTF-8 instead.
            Err(_) => {
                request = request
                    .header("authorization", HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap())
            }
        }
    }
    if rng.random_bool(0.7) {
        let content_type =
            ["application/json", "text/plain", "application/x-www-form-urlencoded", "\u{0}"]
                .choose(rng)
                .unwrap();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            request = request.header("content-type", value);
        }
    }
    request.body(body.map_or_else(Body::empty, Body::from)).unwrap()
}

/// The log's head and every report as the auditor reads it (without its print time).
async fn everything(world: &World) -> Vec<Value> {
    let auditor = world.tokens[&Role::Auditor].as_str();
    let head = world.store.head().await.unwrap();
    let mut seen = vec![json!([head.position, head.hash])];
    for view in VIEWS {
        let (status, mut report) =
            call(&world.router, Method::GET, &format!("/api/views/{view}"), Some(auditor), None)
                .await;
        assert!(status.is_success(), "{view}: {report}");
        report.as_object_mut().unwrap().remove("generated_at");
        seen.push(report);
    }
    seen
}

async fn ten_thousand_hostile_requests_get_no_5xx_and_change_nothing(db: TestDb) {
    let world = world(&db).await;
    let before = everything(&world).await;
    let mut rng = ChaCha8Rng::seed_from_u64(0x6a656a616b);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for n in 0..REQUESTS {
        let request = hostile_request(&mut rng, &world);
        let shown = format!("#{n} {} {}", request.method(), request.uri());
        let response = world.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024).await.unwrap();
        assert!(
            !status.is_server_error(),
            "{shown}: {status} {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        *statuses.entry(status.as_u16()).or_default() += 1;
    }
    eprintln!("statuses of {REQUESTS} hostile requests: {statuses:?}");
    // The mix reached the handlers, not only the front door.
    for expected in [400_u16, 401, 403, 404, 413] {
        assert!(statuses.contains_key(&expected), "no {expected} among {statuses:?}");
    }
    assert_eq!(everything(&world).await, before, "the log and the reports are unchanged");
}

/// A CSV field that is wrong in some way, or right.
fn hostile_field(rng: &mut ChaCha8Rng, world: &World) -> String {
    match rng.random_range(0..10) {
        0 => world.participations.choose(rng).unwrap().to_string(),
        1 => crate::fixtures::SESSION.to_string(),
        2 => ["hadir", "izin", "sakit", "alpa", "terlambat", "ditangguhkan"]
            .choose(rng)
            .unwrap()
            .to_string(),
        3 => ["2026-03-02", "2026-02-30", "02/03/2026", "2026-03-02T25:00:00Z"]
            .choose(rng)
            .unwrap()
            .to_string(),
        4 => format!("\"{}\"", nasty(rng).replace('"', "\"\"")),
        5 => rng.random::<i64>().to_string(),
        6 => String::new(),
        7 => "\"unclosed".to_owned(),
        _ => nasty(rng),
    }
}

/// A CSV file with the right header (usually), ragged rows and hostile fields, or raw bytes.
fn hostile_csv(rng: &mut ChaCha8Rng, world: &World, columns: &[&str]) -> String {
    if rng.random_bool(0.1) {
        let bytes: Vec<u8> = (0..rng.random_range(0..500)).map(|_| rng.random()).collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    if rng.random_bool(0.2) {
        let (len, other) = (header.len(), rng.random_range(0..header.len()));
        header.swap(0, other);
        header.truncate(rng.random_range(1..=len));
    }
    let mut text = header.join(",");
    text.push('\n');
    for _ in 0..rng.random_range(0..12) {
        let fields = rng.random_range(0..columns.len() + 3);
        let row: Vec<String> = (0..fields).map(|_| hostile_field(rng, world)).collect();
        text.push_str(&row.join(if rng.random_bool(0.9) { "," } else { ";" }));
        text.push_str(if rng.random_bool(0.9) { "\n" } else { "\r\n" });
    }
    text
}

async fn the_csv_importers_answer_any_file_without_a_panic_and_write_only_valid_rows(db: TestDb) {
    let world = world(&db).await;
    let clock = Arc::new(jejak::clock::SimulatedClock::new(
        events::Timestamp::parse("2026-03-02T06:00:00Z").unwrap(),
    ));
    let commands = crate::fixtures::command_loop(&world.store, clock);
    let instructor =
        crate::fixtures::issuer("instruktur.budi", Role::Instruktur, "DISNAKERTRANS-TTS");
    let system = crate::fixtures::system();
    let mut rng = ChaCha8Rng::seed_from_u64(0xc5f);
    for n in 0..300 {
        let skip_invalid = rng.random_bool(0.5);
        let before = world.store.head().await.unwrap().position;
        let (kind, result) = if n % 2 == 0 {
            let csv = hostile_csv(&mut rng, &world, jejak::import::ATTENDANCE_COLUMNS);
            (
                "attendance",
                jejak::import::attendance(&commands, &instructor, &csv, skip_invalid).await,
            )
        } else {
            let csv = hostile_csv(&mut rng, &world, jejak::import::SDP_COLUMNS);
            let key = jejak::keys::DEMO_PERSON_KEY;
            ("sdp", jejak::import::sdp(&commands, &system, &csv, &key, skip_invalid).await)
        };
        let after = world.store.head().await.unwrap().position;
        match result {
            // A refused file writes nothing; an accepted one writes only the rows it reports.
            Err(_) => assert_eq!(after, before, "#{n} {kind}: refused, yet written"),
            Ok(imported) => {
                if !skip_invalid && !imported.report.rejected.is_empty() {
                    assert_eq!(after, before, "#{n} {kind}: rows rejected, yet written");
                }
                if imported.report.written == 0 {
                    assert_eq!(after, before, "#{n} {kind}: nothing reported, yet written");
                }
            }
        }
    }
}
