//! The register where there is no signal, in headless Chromium (docs/dashboard.md, "The
//! offline register"). "Offline" is the server stopped: the page is then really cut off, and
//! the server starts again on the same address, as a phone finds it when the signal returns.
//!
//! The instructor opens "Tugas saya" online (the registers are kept on the device, the names
//! in them recorded in the access log), loses the connection, takes two registers, closes the
//! browser and opens it again (the marks are still there), and the connection returns: one
//! register is in the log once, the other comes back refused for a participant whose
//! participation ended meanwhile, shown as such, and is sent without them; a forced resend
//! writes nothing. A queue taken under a session that expired waits for the same user's next
//! sign-in and is refused (kept, not sent) under another user.

use std::path::Path;

use chrono::{Days, NaiveDate};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::browser::{Demo, Driver, arrive, shoot, sign_in_at};
use crate::serve::Served;
use crate::support::{TestDb, jejak, stdout};

/// Today where the demo deployment is (UTC+8).
fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn day(offset: i64) -> String {
    let today = today();
    let moved = if offset >= 0 {
        today.checked_add_days(Days::new(offset as u64))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    moved.unwrap().to_string()
}

/// Runs a command through the API as the demo user of `role`.
fn command(served: &Served, role: &str, body: Value) {
    let kind = body["type"].as_str().unwrap().to_owned();
    let mut body = body;
    body["command_id"] = json!(Uuid::new_v4());
    let (status, answer) = served.post(&format!("/api/commands/{kind}"), served.token(role), &body);
    assert!(status.contains(" 20"), "{kind}: {status} {answer}");
}

/// A package of the training office running in the facility: sessions yesterday, today and
/// tomorrow, and three inmates (named in the vault) in training since a week ago.
struct Class {
    sessions: [Uuid; 3],
    participations: Vec<Uuid>,
}

fn class(served: &Served) -> Class {
    let package = Uuid::new_v4();
    command(
        served,
        "disnaker_admin",
        json!({"type": "define_package", "package_id": package, "title": "Pangkas rambut luring",
            "provider": "DISNAKERTRANS-TTS", "skill": "pangkas_rambut", "venue_type": "in_facility",
            "location": "Bengkel Rutan", "facilities": ["RUTAN-SOE"], "planned_hours": 40,
            "start_date": day(-7), "end_date": day(20), "quota_total": 5, "funding_source": "APBD uji"}),
    );
    let sessions = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    for (session, offset) in sessions.iter().zip([-1, 0, 1]) {
        command(
            served,
            "disnaker_admin",
            json!({"type": "schedule_session", "package_id": package, "session_id": session,
                "date": day(offset), "start_time": "08:00:00", "end_time": "12:00:00", "hours": 4}),
        );
    }
    command(
        served,
        "disnaker_admin",
        json!({"type": "start_package", "package_id": package, "started_on": day(-7)}),
    );
    let mut participations = Vec::new();
    for n in 1..=3 {
        let person_ref = format!("p{:032x}", 0x0ff1_0000 + n);
        command(
            served,
            "system",
            json!({"type": "record_custody_episode", "person_ref": person_ref,
                "episode_ref": format!("LURING-{n}"), "facility": "RUTAN-SOE", "admitted_on": "2025-01-06",
                "legal_status": "narapidana", "sdp": {"extract_at": format!("{}T00:00:00Z", day(-8)), "row_ref": format!("LURING-{n}")}}),
        );
        let record = json!({"record": {"full_name": format!("Peserta Luring {n}")}, "purpose": "registrasi"});
        let path = format!("/api/people/{person_ref}/personal-data");
        let (status, body) = put(served, &path, served.token("petugas_pembinaan"), &record);
        assert!(status.contains("204"), "{status} {body}");
        command(
            served,
            "petugas_pembinaan",
            json!({"type": "nominate_inmate", "package_id": package, "person_ref": person_ref}),
        );
        let participation = events::streams::participation_id(package, &person_ref);
        let id = json!(participation);
        command(served, "wali", json!({"type": "assess_eligibility", "participation_id": id}));
        command(
            served,
            "karutan",
            json!({"type": "approve_nomination", "participation_id": id,
                "tpp_session_date": day(-7), "document_ref": "BA-TPP/LURING/1"}),
        );
        command(
            served,
            "disnaker_admin",
            json!({"type": "accept_participant", "participation_id": id}),
        );
        command(
            served,
            "disnaker_admin",
            json!({"type": "start_participation", "participation_id": id, "started_on": day(-7)}),
        );
        participations.push(participation);
    }
    Class { sessions, participations }
}

/// A plain HTTP/1.1 PUT of a JSON body.
fn put(served: &Served, path: &str, token: &str, body: &Value) -> (String, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(&served.address).unwrap();
    let body = body.to_string();
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        token,
        body.len()
    )
    .unwrap();
    crate::serve::read_response(stream).unwrap()
}

/// How many attendance marks of `session` the log holds.
async fn marks_of(db: &TestDb, session: Uuid) -> i64 {
    let sql = format!(
        "SELECT count(*) FROM events WHERE event_type = 'AttendanceRecorded' AND payload LIKE '%{session}%'"
    );
    db.count(&sql).await
}

/// Opens "Tugas saya" online and waits until every register it lists is kept on the device
/// and the service worker controls the pages.
async fn keep_registers(client: &Client, base: &str) -> usize {
    client.goto(&format!("{base}/tugas")).await.unwrap();
    let listed = client.find_all(Locator::Css("a[data-keep]")).await.unwrap().len();
    assert!(listed >= 3, "the three registers are listed: {listed}");
    arrive(client, &format!("#offline[data-worker=ready][data-kept='{listed}']")).await;
    listed
}

/// Takes the register of `session` on the page the device kept, `changes` made first.
async fn take(client: &Client, base: &str, session: Uuid, changes: &[(Uuid, &str)]) {
    client.goto(&format!("{base}/register/{session}")).await.unwrap();
    arrive(client, "#save-register").await;
    for (participation, code) in changes {
        let radio = format!("input[name='code_{participation}'][value='{code}']");
        client.find(Locator::Css(&radio)).await.unwrap().click().await.unwrap();
    }
    client.find(Locator::Css("#save-register")).await.unwrap().click().await.unwrap();
    arrive(client, "#kept").await;
}

/// What the panel shows of each register, as `data-state`.
async fn states(client: &Client) -> Vec<String> {
    let mut states = Vec::new();
    for item in client.find_all(Locator::Css("#offline-queue li")).await.unwrap() {
        states.push(item.attr("data-state").await.unwrap().unwrap_or_default());
    }
    states
}

/// The server again, on the same address and database, as when the signal returns.
fn restart(db: &TestDb, address: &str) -> Served {
    Served::start(db, &["--demo", "--addr", address])
}

fn profile_arg(dir: &Path) -> Vec<String> {
    vec![format!("--user-data-dir={}", dir.display())]
}

#[test]
fn registers_taken_offline_reach_the_log_once_and_a_refusal_is_shown() {
    if !Driver::available() {
        return;
    }
    let demo = Demo::start();
    let Demo { runtime, db, served, driver, base } = demo;
    let profile = tempfile::tempdir().unwrap();
    let class = class(&served);
    let [yesterday, today, _] = class.sessions;
    let ended = class.participations[2];
    let address = served.address.clone();
    let served = runtime.block_on(async {
        let client = driver.client_with(&profile_arg(profile.path())).await;
        sign_in_at(&client, &base, served.token("instruktur"), "/tugas").await;
        keep_registers(&client, &base).await;
        let kept = "SELECT count(*) FROM vault_access WHERE actor = 'demo.instruktur' \
                    AND purpose LIKE '%disimpan di perangkat%'";
        assert!(db.count(kept).await >= 3, "the names kept are in the access log");
        served.kill();

        // No connection: "Tugas saya" and both registers open from the device.
        client.goto(&format!("{base}/tugas")).await.unwrap();
        arrive(&client, "a[data-keep]").await;
        take(&client, &base, yesterday, &[(class.participations[0], "sakit")]).await;
        take(&client, &base, today, &[]).await;
        shoot(&client, "offline-register-kept").await;
        client.close().await.unwrap();

        // The browser closed and opened again, still without a connection.
        let client = driver.client_with(&profile_arg(profile.path())).await;
        client.goto(&format!("{base}/tugas")).await.unwrap();
        arrive(&client, "#offline-queue li[data-state=waiting]").await;
        assert_eq!(states(&client).await, ["waiting", "waiting"]);
        let text = client.find(Locator::Css("#offline-state")).await.unwrap().text().await.unwrap();
        assert!(text.contains("Tidak ada sambungan"), "{text}");
        let queued = client.execute("return localStorage.getItem('jejak.antrian');", vec![]).await;
        let queued: Vec<Value> = serde_json::from_str(queued.unwrap().as_str().unwrap()).unwrap();

        // Meanwhile the office ends a participation from yesterday.
        let served = restart(&db, &address);
        command(
            &served,
            "disnaker_admin",
            json!({"type": "end_participation", "participation_id": ended,
                "reason_code": "mengundurkan_diri", "ended_on": day(-1)}),
        );
        client.refresh().await.unwrap();
        arrive(&client, "#offline-queue li[data-state=refused]").await;
        arrive(&client, "#offline-queue li[data-state=written]").await;
        shoot(&client, "offline-register-refused").await;
        assert_eq!(marks_of(&db, yesterday).await, 3, "yesterday's register, once");
        assert_eq!(marks_of(&db, today).await, 0, "today's refused whole");
        let refused = client.find(Locator::Css("li[data-state=refused]")).await.unwrap();
        let said = refused.text().await.unwrap();
        assert!(said.contains("Peserta Luring 3"), "the refusal names the participant: {said}");

        signing_out_asks_first(&client).await;
        let drop = refused.find(Locator::Css("[data-action=drop]")).await.unwrap();
        drop.click().await.unwrap();
        let both = "//ul[@id='offline-queue'][count(li[@data-state='written']) = 2]";
        client.wait().for_element(Locator::XPath(both)).await.unwrap();
        assert_eq!(marks_of(&db, today).await, 2, "today's register without the one who left");

        // The answer lost on the way: the phone sends the first register again.
        let head = db.count("SELECT count(*) FROM events").await;
        let again = json!([queued[0]]).to_string();
        client
            .execute("localStorage.setItem('jejak.antrian', arguments[0]);", vec![json!(again)])
            .await
            .unwrap();
        client.refresh().await.unwrap();
        arrive(&client, "#offline-queue li[data-state=already_written]").await;
        assert_eq!(db.count("SELECT count(*) FROM events").await, head, "a resend writes nothing");
        assert_eq!(marks_of(&db, yesterday).await, 3);

        // Signing out with nothing unsent removes the registers kept on the device.
        client.find(Locator::Css("#signout")).await.unwrap().click().await.unwrap();
        arrive(&client, "#token").await;
        let caches =
            client.execute_async("caches.keys().then(arguments[0]);", vec![]).await.unwrap();
        assert!(!caches.to_string().contains("jejak-daftar-hadir"), "{caches}");
        client.close().await.unwrap();
        served
    });
    assert!(served.stop().success());
    let verified = jejak(&db.url, &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
}

/// Signing out with a register unsent asks what to do with it; "do not sign out" stays.
async fn signing_out_asks_first(client: &Client) {
    client.find(Locator::Css("#signout")).await.unwrap().click().await.unwrap();
    arrive(client, "#offline-ask").await;
    let asked = client.find(Locator::Css("#offline-ask")).await.unwrap();
    for action in ["send", "keep", "delete", "cancel"] {
        asked.find(Locator::Css(&format!("[data-action={action}]"))).await.unwrap();
    }
    shoot(client, "offline-sign-out").await;
    asked.find(Locator::Css("[data-action=cancel]")).await.unwrap().click().await.unwrap();
    assert!(client.find(Locator::Css("#offline-ask")).await.is_err());
    client.find(Locator::Css("#signout")).await.unwrap();
}

#[test]
fn a_queue_taken_under_an_expired_session_waits_for_the_same_user() {
    if !Driver::available() {
        return;
    }
    let demo = Demo::start();
    let Demo { runtime, db, served, driver, base } = demo;
    let class = class(&served);
    let today = class.sessions[1];
    let address = served.address.clone();
    let other = jejak(
        &db.url,
        &["user", "add", "instruktur.dua", "--role", "instruktur", "--org", "DISNAKERTRANS-TTS"],
    );
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    let other_token = stdout(&other).trim().to_owned();
    let served = runtime.block_on(async {
        let client = driver.client().await;
        sign_in_at(&client, &base, served.token("instruktur"), "/tugas").await;
        keep_registers(&client, &base).await;
        served.kill();
        take(&client, &base, today, &[]).await;
        // The session ends while the phone is away.
        db.execute(&["UPDATE sessions SET expires_at = created_at"]).await.unwrap();
        let served = restart(&db, &address);
        // The signal returns while the register page is open.
        client.execute("window.dispatchEvent(new Event('online'));", vec![]).await.unwrap();
        arrive(&client, "#offline-queue li[data-state=waiting]").await;
        let state = "//p[@id='offline-state'][contains(., 'masuk lagi')]";
        client.wait().for_element(Locator::XPath(state)).await.unwrap();
        let text = client.find(Locator::Css("#offline-state")).await.unwrap().text().await.unwrap();
        assert!(text.contains("masuk lagi"), "asks to sign in again: {text}");
        assert_eq!(marks_of(&db, today).await, 0);

        // Another instructor on the same phone: the queue is not theirs, and is not sent.
        sign_in_at(&client, &base, &other_token, "/tugas").await;
        arrive(&client, "#offline-queue li[data-state=other_user]").await;
        // The registers kept for the first instructor leave the phone; the second's are kept.
        let owners = client
            .execute_async(
                "const done = arguments[0];
                 const owners = () => Object.values(JSON.parse(localStorage.getItem('jejak.disimpan') || '{}')).map((k) => k.user);
                 const check = () => { const found = owners(); if (found.length && found.every((u) => u === 'instruktur.dua')) done(found); else setTimeout(check, 50); };
                 check();",
                vec![],
            )
            .await
            .unwrap();
        assert!(owners.as_array().is_some_and(|o| !o.is_empty()), "{owners}");
        let said = client.find(Locator::Css("li[data-state=other_user]")).await.unwrap();
        assert!(said.text().await.unwrap().contains("demo.instruktur"));
        shoot(&client, "offline-other-user").await;
        assert_eq!(marks_of(&db, today).await, 0, "never sent under the wrong name");
        client.find(Locator::Css("#signout")).await.unwrap().click().await.unwrap();
        arrive(&client, "#token").await;

        // The same user again: sent.
        sign_in_at(&client, &base, served.token("instruktur"), "/tugas").await;
        arrive(&client, "#offline-queue li[data-state=written]").await;
        assert_eq!(marks_of(&db, today).await, 3);
        client.close().await.unwrap();
        served
    });
    assert!(served.stop().success());
}
