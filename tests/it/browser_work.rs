//! A programme played through the dashboard's forms only, in headless Chromium, as the people
//! who do the work: the training office defines and schedules a package; a facility officer
//! records three inmates' custody and nominates them, and is refused the approval in words; the
//! wali assesses and the head of the facility approves; the office accepts them up to the
//! quota (the third waits) and starts them; the instructor takes three registers and asks to
//! correct a mark late, which the office approves from its "Tugas saya"; the assessor records
//! competence, the office graduates and proposes a grant, the grant approver approves it and
//! the handover officer hands it over. Then the reports equal the API's, `jejak verify` passes,
//! and every action's audit trail names its actor and `source = ui`. Double submits, a reload
//! after a submit and a post without the CSRF token write nothing twice.

use chrono::{Days, NaiveDate};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::browser::{Demo, Driver, arrive, shoot, sign_in_at, sign_out};
use crate::serve::Served;
use crate::support::{jejak, stdout};

/// Today where the demo deployment is (UTC+8).
fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn days(date: NaiveDate, offset: i64) -> String {
    let moved = if offset >= 0 {
        date.checked_add_days(Days::new(offset as u64))
    } else {
        date.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    moved.unwrap().to_string()
}

/// Sets the named fields of the page's form (inputs, selects, textareas; radios by value).
async fn set(client: &Client, values: &[(&str, &str)]) {
    for (name, value) in values {
        client
            .execute(
                "const [name, value] = arguments;
                 const radio = document.querySelector(`input[type=radio][name='${name}'][value='${value}']`);
                 if (radio) { radio.checked = true; return true; }
                 const field = document.querySelector(`form.form [name='${name}']`);
                 if (!field) { return false; }
                 field.value = value; return true;",
                vec![json!(name), json!(value)],
            )
            .await
            .unwrap()
            .as_bool()
            .filter(|set| *set)
            .unwrap_or_else(|| panic!("no field {name}"));
    }
}

/// Opens a form, fills it, sends it (through "check your answers" when it asks) and waits for
/// the page that says it was saved. Returns the form's command id.
async fn act(
    client: &Client,
    base: &str,
    path: &str,
    values: &[(&str, &str)],
    name: &str,
) -> String {
    client.goto(&format!("{base}{path}")).await.unwrap();
    arrive(client, "form.form").await;
    let command_id = client
        .find(Locator::Css("input[name=command_id]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    set(client, values).await;
    shoot(client, name).await;
    client.find(Locator::Css("#send")).await.unwrap().click().await.unwrap();
    arrive(client, "#done, #confirm, #error-summary").await;
    if client.find(Locator::Css("#confirm")).await.is_ok() {
        shoot(client, &format!("{name}-check")).await;
        client.find(Locator::Css("#confirm")).await.unwrap().click().await.unwrap();
        arrive(client, "#done, #error-summary").await;
    }
    if let Ok(summary) = client.find(Locator::Css("#error-summary")).await {
        panic!("{name}: refused: {}", summary.text().await.unwrap());
    }
    command_id
}

/// The state of a participation as its page shows it.
async fn state_of(client: &Client, base: &str, participation: Uuid) -> String {
    client.goto(&format!("{base}/participant/{participation}")).await.unwrap();
    arrive(client, "#state").await;
    client.find(Locator::Css("#state")).await.unwrap().attr("data-state").await.unwrap().unwrap()
}

/// A derived id the form made: the command's id for `field`.
fn made(command_id: &str, field: &str) -> Uuid {
    Uuid::new_v5(&Uuid::parse_str(command_id).unwrap(), field.as_bytes())
}

/// The people of the demo at work in one browser, on the demo server.
struct Play<'a> {
    client: &'a Client,
    base: &'a str,
    served: &'a Served,
    today: NaiveDate,
}

impl Play<'_> {
    /// Signs in as the demo user of `role` (a role that writes lands on "Tugas saya").
    async fn as_role(&self, role: &str) {
        sign_in_at(self.client, self.base, self.served.token(role), "/tugas").await;
    }

    async fn act(&self, path: &str, values: &[(&str, &str)], name: &str) -> String {
        act(self.client, self.base, path, values, name).await
    }

    /// The head of the log, as the API says.
    fn head(&self) -> i64 {
        let status = self.served.json("/api/status", self.served.token("auditor"));
        status["head_position"].as_i64().unwrap()
    }

    fn day(&self, offset: i64) -> String {
        days(self.today, offset)
    }

    /// The text of the element `selector` on the current page.
    async fn text(&self, selector: &str) -> String {
        self.client.find(Locator::Css(selector)).await.unwrap().text().await.unwrap()
    }

    async fn href(&self, selector: &str) -> String {
        let found = self.client.find(Locator::Css(selector)).await.unwrap();
        found.attr("href").await.unwrap().unwrap()
    }
}

#[test]
fn a_programme_runs_through_the_forms_alone_as_the_people_who_do_the_work() {
    if !Driver::available() {
        return;
    }
    let demo = Demo::start();
    let (runtime, served, driver) = (&demo.runtime, &demo.served, &demo.driver);
    let base = demo.base.as_str();
    runtime.block_on(async {
        let client = driver.client().await;
        let play = Play { client: &client, base, served, today: today() };
        let head_before = play.head();
        let (package, sessions) = define_and_schedule(&play).await;
        let participations = nominate(&play, package).await;
        assess_and_approve(&play, &participations).await;
        accept_and_start(&play, &participations).await;
        registers_and_a_late_correction(&play, &sessions, &participations).await;
        let graduate = participations[0];
        graduate_and_hand_over_a_grant(&play, graduate).await;
        the_log_names_who_and_the_page_is_the_api(&play, head_before, package, graduate).await;
        client.close().await.unwrap();
    });
    assert!(demo.served.stop().success());
    let verified = jejak(&demo.db.url, &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
}

/// The training office defines the package (two places, ended yesterday) and schedules three
/// sessions; in passing, a resubmit, a reload and a forged post write nothing.
async fn define_and_schedule(play: &Play<'_>) -> (Uuid, Vec<Uuid>) {
    play.as_role("disnaker_admin").await;
    let define = play
        .act(
            "/act/define_package",
            &[
                ("title", "Menjahit angkatan uji"),
                ("skill", "menjahit"),
                ("venue_type", "in_facility"),
                ("location", "Ruang kegiatan Rutan"),
                ("facilities", "RUTAN-SOE"),
                ("start_date", &play.day(-30)),
                ("end_date", &play.day(-1)),
                ("planned_hours", "40"),
                ("quota_total", "2"),
                ("funding_source", "APBD uji"),
            ],
            "form-define_package",
        )
        .await;
    let package = made(&define, "package_id");
    nothing_twice_and_no_forgery(play, package).await;
    let mut sessions = Vec::new();
    for offset in [-20, -12, -3] {
        let path = format!("/act/schedule_session?package_id={package}");
        let times = [("start_time", "08:00"), ("end_time", "12:00"), ("hours", "4")];
        let day = play.day(offset);
        let values: Vec<(&str, &str)> = [("date", day.as_str())].into_iter().chain(times).collect();
        let id = play.act(&path, &values, "form-schedule_session").await;
        sessions.push(made(&id, "session_id"));
    }
    let path = format!("/act/start_package?package_id={package}");
    play.act(&path, &[("started_on", &play.day(-30))], "form-start_package").await;
    sign_out(play.client).await;
    (package, sessions)
}

/// Reloading the page that said it was saved, going back to the form and sending it again,
/// and a post with a forged token: nothing written twice, the forgery refused.
async fn nothing_twice_and_no_forgery(play: &Play<'_>, package: Uuid) {
    let client = play.client;
    let written = play.head();
    client.refresh().await.unwrap();
    arrive(client, "#done").await;
    client.back().await.unwrap();
    arrive(client, "form.form").await;
    client.find(Locator::Css("#send")).await.unwrap().click().await.unwrap();
    arrive(client, "#done").await;
    let again = play.text("#done").await;
    assert!(again.contains("Sudah tercatat sebelumnya"), "{again}");
    assert_eq!(play.head(), written, "a resubmit writes nothing");
    client.goto(&format!("{}/act/cancel_package?package_id={package}", play.base)).await.unwrap();
    arrive(client, "form.form").await;
    set(client, &[("reason", "uji pemalsuan")]).await;
    let forge = "document.querySelector('form.form input[name=csrf]').value = 'dipalsukan';";
    client.execute(forge, vec![]).await.unwrap();
    client.find(Locator::Css("#send")).await.unwrap().click().await.unwrap();
    arrive(client, "#message").await;
    let forged = play.text("#message").await;
    assert!(forged.contains("kedaluwarsa"), "{forged}");
    assert_eq!(play.head(), written, "a forged post writes nothing");
}

/// The facility officer records three inmates' custody by SDP number and nominates them; they
/// may not approve their own nominations, and are told so in words.
async fn nominate(play: &Play<'_>, package: Uuid) -> Vec<Uuid> {
    play.as_role("petugas_pembinaan").await;
    let mut participations = Vec::new();
    for n in 1..=3 {
        let sdp = format!("SDP-UJI-{n}");
        let custody = [
            ("sdp_number", sdp.as_str()),
            ("episode_ref", &format!("REG-UJI-{n}")),
            ("facility", "RUTAN-SOE"),
            ("admitted_on", "2025-01-06"),
            ("legal_status", "narapidana"),
        ];
        play.act("/act/record_custody_episode", &custody, "form-record_custody_episode").await;
        let path = format!("/act/nominate_inmate?package_id={package}");
        play.act(&path, &[("sdp_number", &sdp)], "form-nominate_inmate").await;
        let key = jejak::keys::DEMO_PERSON_KEY;
        let person = events::person_ref::person_ref(&key, events::person_ref::IdKind::Sdp, &sdp);
        participations.push(events::streams::participation_id(package, &person));
    }
    let path =
        format!("{}/act/approve_nomination?participation_id={}", play.base, participations[0]);
    play.client.goto(&path).await.unwrap();
    let refused = play.text("#message").await;
    assert!(refused.contains("Peran Anda tidak dapat menggunakan formulir ini"), "{refused}");
    shoot(play.client, "refused-approve_nomination").await;
    sign_out(play.client).await;
    participations
}

/// The wali assesses them, from the list of their work; the head of the facility approves.
async fn assess_and_approve(play: &Play<'_>, participations: &[Uuid]) {
    play.as_role("wali").await;
    let found = play.client.find(Locator::Css("[data-work=to_assess]")).await.unwrap();
    let work = found.html(false).await.unwrap();
    for participation in participations {
        assert!(work.contains(&participation.to_string()), "Tugas saya lists {participation}");
        let path = format!("/act/assess_eligibility?participation_id={participation}");
        play.act(&path, &[], "form-assess_eligibility").await;
    }
    sign_out(play.client).await;
    play.as_role("karutan").await;
    for participation in participations {
        let path = format!("/act/approve_nomination?participation_id={participation}");
        let decision =
            [("tpp_session_date", play.day(0)), ("document_ref", "BA-TPP/UJI/1".to_owned())];
        let values: Vec<(&str, &str)> = decision.iter().map(|(n, v)| (*n, v.as_str())).collect();
        play.act(&path, &values, "form-approve_nomination").await;
    }
    sign_out(play.client).await;
}

/// The office accepts them: two places, the third waits; the two start.
async fn accept_and_start(play: &Play<'_>, participations: &[Uuid]) {
    play.as_role("disnaker_admin").await;
    for participation in participations {
        let path = format!("/act/accept_participant?participation_id={participation}");
        play.act(&path, &[], "form-accept_participant").await;
    }
    assert_eq!(state_of(play.client, play.base, participations[2]).await, "waitlisted");
    shoot(play.client, "participant-waitlisted").await;
    for participation in &participations[..2] {
        let path = format!("/act/start_participation?participation_id={participation}");
        play.act(&path, &[("started_on", &play.day(-30))], "form-start_participation").await;
    }
    sign_out(play.client).await;
}

/// The instructor takes three registers, one mark by mistake; twenty days on its correction
/// waits for a second person, whom the office is, from its Tugas saya; the instructor then
/// marks the participant again.
async fn registers_and_a_late_correction(
    play: &Play<'_>,
    sessions: &[Uuid],
    participations: &[Uuid],
) {
    let (client, base) = (play.client, play.base);
    play.as_role("instruktur").await;
    for (index, session) in sessions.iter().enumerate() {
        client.goto(&format!("{base}/register/{session}")).await.unwrap();
        arrive(client, "#save-register").await;
        if index == 0 {
            set(client, &[(&format!("code_{}", participations[1]), "alpa")]).await;
        }
        shoot(client, &format!("register-{}", index + 1)).await;
        client.find(Locator::Css("#save-register")).await.unwrap().click().await.unwrap();
        arrive(client, "#saved").await;
    }
    client.goto(&format!("{base}/register/{}", sessions[0])).await.unwrap();
    let correction = play.href(&format!("tr[data-participation='{}'] a", participations[1])).await;
    let reason = [("reason", "Salah tanda: peserta hadir, tercatat alpa")];
    play.act(&correction, &reason, "form-correct_event").await;
    client.goto(&format!("{base}/tugas")).await.unwrap();
    let own = play.text("[data-work=own_corrections]").await;
    assert!(own.contains("menunggu persetujuan orang lain"), "{own}");
    sign_out(client).await;

    play.as_role("disnaker_admin").await;
    let approve = play.href("[data-work=corrections] a.task").await;
    shoot(client, "tugas-corrections").await;
    play.act(&approve, &[], "form-approve_correction").await;
    sign_out(client).await;

    play.as_role("instruktur").await;
    client.goto(&format!("{base}/register/{}", sessions[0])).await.unwrap();
    arrive(client, "#save-register").await;
    client.find(Locator::Css("#save-register")).await.unwrap().click().await.unwrap();
    arrive(client, "#saved").await;
    sign_out(client).await;
}

/// Training completed, competence assessed, graduation (checked), a grant proposed, approved
/// by the grant approver and handed over (checked) to a representative.
async fn graduate_and_hand_over_a_grant(play: &Play<'_>, graduate: Uuid) {
    let on = |command: &str| format!("/act/{command}?participation_id={graduate}");
    play.as_role("disnaker_admin").await;
    play.act(&on("complete_training"), &[], "form-complete_training").await;
    sign_out(play.client).await;
    play.as_role("asesor").await;
    let result = [("result", "kompeten"), ("units", "C.14.01")];
    play.act(&on("assess_competency"), &result, "form-assess_competency").await;
    sign_out(play.client).await;
    play.as_role("disnaker_admin").await;
    play.act(&on("graduate_participant"), &[], "form-graduate_participant").await;
    let proposal = [
        ("item_name_1", "Mesin jahit"),
        ("item_quantity_1", "1"),
        ("item_value_1", "2.500.000"),
        ("capital_rupiah", "1.000.000"),
        ("funding_source", "APBD uji"),
        ("budget_line", "5.2.2.01"),
    ];
    play.act(&on("propose_grant"), &proposal, "form-propose_grant").await;
    sign_out(play.client).await;
    let grant = events::streams::grant_id(graduate);
    play.as_role("ppk").await;
    let path = format!("/act/approve_grant?grant_id={grant}");
    play.act(&path, &[("document_ref", "SK-PPK/UJI/1")], "form-approve_grant").await;
    let no_receipt = play.client.find(Locator::Css("#receipt")).await;
    assert!(no_receipt.is_err(), "an approval hands nothing over: no receipt to print");
    sign_out(play.client).await;
    play.as_role("petugas_serah_terima").await;
    let handover = [
        ("document_ref", "BAST/UJI/1"),
        ("place", "Rutan SoE"),
        ("recipient", "perwakilan"),
        ("authority_ref", "SK-KUASA/UJI/1"),
    ];
    let path = format!("/act/hand_over_grant?grant_id={grant}");
    let before = play.head();
    play.act(&path, &handover, "form-hand_over_grant").await;
    // The page that says it is saved offers the recipient's receipt of that very handover.
    let receipt = play.client.find(Locator::Css("#receipt")).await.unwrap();
    let href = receipt.attr("href").await.unwrap().unwrap();
    let auditor = play.served.token("auditor");
    let written = play.served.json(&format!("/api/events?from={}&limit=100", before + 1), auditor);
    let handed = written["events"].as_array().unwrap().iter();
    let handed: Vec<&Value> = handed.filter(|e| e["event_type"] == "GrantHandedOver").collect();
    assert_eq!(handed.len(), 1, "{written}");
    assert_eq!(href, format!("/receipt/{}", handed[0]["event_id"].as_str().unwrap()));
    sign_out(play.client).await;
}

/// Every event written names a demo user and `source = ui`; the graduate's trail names all
/// eight who acted; the package's figures on the page are the API's.
async fn the_log_names_who_and_the_page_is_the_api(
    play: &Play<'_>,
    head_before: i64,
    package: Uuid,
    graduate: Uuid,
) {
    let (client, base, served) = (play.client, play.base, play.served);
    let auditor = served.token("auditor").to_owned();
    let events = served.json(&format!("/api/events?from={}&limit=1000", head_before + 1), &auditor);
    let written: Vec<&Value> = events["events"].as_array().unwrap().iter().collect();
    assert!(written.len() > 30, "the programme was written: {}", written.len());
    for event in &written {
        assert_eq!(event["source"], "ui", "{event}");
        assert!(event["actor"].as_str().unwrap().starts_with("demo."), "{event}");
    }
    let trail = served.json(&format!("/api/audit/participation/{graduate}"), &auditor);
    let actors: std::collections::BTreeSet<&str> = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["position"].as_i64().unwrap() > head_before)
        .map(|e| {
            assert_eq!(e["source"], "ui");
            e["actor"].as_str().unwrap()
        })
        .collect();
    for actor in [
        "demo.petugas",
        "demo.wali",
        "demo.karutan",
        "demo.disnaker",
        "demo.instruktur",
        "demo.asesor",
        "demo.ppk",
        "demo.serah-terima",
    ] {
        assert!(actors.contains(actor), "{actor} in the trail: {actors:?}");
    }
    let enrolment = served.json("/api/views/enrolment", &auditor);
    let rows = enrolment["sections"][0]["rows"].as_array().unwrap();
    let row = rows.iter().find(|row| row[0] == package.to_string()).expect("the package");
    sign_in_at(client, base, &auditor, "/overview").await;
    client.goto(&format!("{base}/enrolment?package={package}")).await.unwrap();
    arrive(client, "table[data-section=packages]").await;
    let columns = enrolment["sections"][0]["columns"].as_array().unwrap();
    for (index, column) in columns.iter().enumerate() {
        let Some(number) = row[index].as_i64() else { continue };
        let cell =
            format!("table[data-section=packages] td[data-col={}]", column.as_str().unwrap());
        let shown = play.text(&cell).await;
        assert_eq!(shown.replace('.', ""), number.to_string(), "{column}");
    }
    shoot(client, "auditor-package-after").await;
    sign_out(client).await;
}

/// axe-core's script: `JEJAK_AXE` names `axe.min.js` (`.ci/run` installs it from the npm
/// registry, pinned); without it the accessibility check says it was skipped, except under
/// `CI=true`.
fn axe() -> Option<String> {
    match std::env::var("JEJAK_AXE").ok().and_then(|path| std::fs::read_to_string(path).ok()) {
        Some(script) => Some(script),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but axe-core is missing: .ci/run installs it (JEJAK_AXE)")
        }
        None => {
            eprintln!(
                "skipped: axe-core is not installed (npm install axe-core@4.14.1; set JEJAK_AXE to its axe.min.js)"
            );
            None
        }
    }
}

/// axe-core's serious and critical violations on the page, by rule and element.
async fn violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.unwrap();
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(result => done([result.passes.length,
                 result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))]));",
            vec![],
        )
        .await
        .unwrap();
    assert!(found[0].as_u64().unwrap() > 10, "axe ran its checks: {found}");
    found[1].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// Every form and every role's "Tugas saya": no serious or critical accessibility violation,
/// under 200 KB transferred, fetching nothing else, no sideways scrolling at 360 pixels, and a
/// screenshot in each language.
#[test]
fn every_form_and_every_tugas_saya_is_accessible_light_and_fits_a_phone_in_both_languages() {
    if !Driver::available() {
        return;
    }
    let axe = axe();
    let demo = Demo::start();
    let (runtime, served, driver) = (&demo.runtime, &demo.served, &demo.driver);
    let base = demo.base.as_str();
    runtime.block_on(async {
        let client = driver.client().await;
        let mut seen = std::collections::BTreeSet::new();
        let mut found = Vec::new();
        for role in [
            "petugas_pembinaan",
            "wali",
            "tpp_sekretaris",
            "karutan",
            "disnaker_admin",
            "instruktur",
            "asesor",
            "ppk",
            "petugas_serah_terima",
            "pk_bapas",
            "dpo",
        ] {
            sign_in_at(&client, base, served.token(role), "/tugas").await;
            let mut pages = vec![("/tugas".to_owned(), format!("tugas-{role}"))];
            let parsed: events::vocabulary::Role = role.parse().unwrap();
            for form in jejak::server::dashboard::catalogue::FORMS {
                if jejak::server::dashboard::catalogue::may_use(parsed, form.command)
                    && seen.insert(form.command)
                {
                    pages
                        .push((format!("/act/{}", form.command), format!("form-{}", form.command)));
                }
            }
            for (path, name) in pages {
                client.goto(&format!("{base}{path}")).await.unwrap();
                arrive(&client, "main h1").await;
                crate::browser::fits_a_phone_and_fetches_nothing_else(&client, &name).await;
                if let Some(axe) = &axe {
                    found.extend(
                        violations(&client, axe).await.into_iter().map(|v| format!("{path}: {v}")),
                    );
                }
                shoot(&client, &format!("{name}-id")).await;
                client.goto(&format!("{base}/lang/en?next={path}")).await.unwrap();
                arrive(&client, "main h1").await;
                shoot(&client, &format!("{name}-en")).await;
                client.goto(&format!("{base}/lang/id?next={path}")).await.unwrap();
                arrive(&client, "main h1").await;
            }
            sign_out(&client).await;
        }
        assert!(
            found.is_empty(),
            "serious or critical accessibility violations:\n{}",
            found.join("\n")
        );
        let forms: Vec<&str> =
            jejak::server::dashboard::catalogue::FORMS.iter().map(|f| f.command).collect();
        assert_eq!(
            seen.len(),
            forms.len(),
            "every form was opened: {:?}",
            forms.iter().filter(|f| !seen.contains(*f)).collect::<Vec<_>>()
        );
        client.close().await.unwrap();
    });
    assert!(demo.served.stop().success());
}
