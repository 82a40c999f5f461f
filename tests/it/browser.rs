//! The dashboard in a real browser: headless Chromium through chromedriver (Debian's packages)
//! against `jejak serve --demo`. Signs in as facility staff and as an auditor, checks that the
//! overview's and the enrolment page's numbers are the API's, switches to English and back,
//! moves the as-of date and sees the numbers move, checks that facility staff cannot open
//! another facility's package, and saves a screenshot of every page under
//! `target/screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::serve::Served;
use crate::support::TestDb;

/// chromedriver on a free port, killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Whether Chromium and chromedriver are here to drive; without them the browser tests say
    /// they were skipped, except under `CI=true`, where a missing browser fails the run.
    pub fn available() -> bool {
        let found = |program: &str| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .any(|dir| dir.join(program).is_file())
        };
        if found("chromedriver") && (found("chromium") || found("chromium-browser")) {
            return true;
        }
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but Chromium or chromedriver is missing: .ci/run installs them");
        }
        eprintln!(
            "skipped: Chromium and chromedriver are not installed (Debian: apt-get install \
             chromium chromium-driver)"
        );
        false
    }

    /// Starts chromedriver and returns once it says it is ready.
    pub fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (Debian's chromium-driver; .ci/run installs it)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            if line.unwrap().contains("started successfully") {
                break;
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Driver { child, port }
    }

    pub async fn client(&self) -> Client {
        self.client_with(&[]).await
    }

    /// A browser with these arguments too, e.g. a profile directory that outlives it.
    pub async fn client_with(&self, more: &[String]) -> Client {
        let mut args: Vec<String> =
            ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
                .into_iter()
                .chain(["--window-size=1280,1000"])
                .map(str::to_owned)
                .collect();
        args.extend_from_slice(more);
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), json!({ "args": args }));
        ClientBuilder::rustls()
            .expect("a TLS provider")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("chromedriver starts a headless Chromium")
    }
}

/// What every browser test starts from: `jejak serve --demo` on a SQLite database of its own,
/// chromedriver, and a runtime to drive them.
pub struct Demo {
    pub runtime: tokio::runtime::Runtime,
    pub db: TestDb,
    pub served: Served,
    pub driver: Driver,
    /// The server's address as a URL.
    pub base: String,
}

impl Demo {
    pub fn start() -> Demo {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let db = runtime.block_on(TestDb::new(jejak::store::Backend::Sqlite)).unwrap();
        let served = Served::demo(&db);
        let driver = Driver::start();
        let base = format!("http://{}", served.address);
        Demo { runtime, db, served, driver, base }
    }
}

fn screenshots() -> PathBuf {
    let dir = crate::support::repository_root().join("target").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn shoot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// The page as loaded is under 200 KB transferred, made no request to another server (no CDN,
/// no asset from anywhere), and at 360 pixels wide needs no sideways scrolling (wide tables scroll in
/// their own box). Saves the phone-sized screenshot as `{name}-360`.
pub async fn fits_a_phone_and_fetches_nothing_else(client: &Client, name: &str) {
    let loaded = client
        .execute(
            "const n = performance.getEntriesByType('navigation')[0];
             return [n.transferSize, n.decodedBodySize,
                     performance.getEntriesByType('resource').map(r => r.name)];",
            vec![],
        )
        .await
        .unwrap();
    let [transferred, body] = [0, 1].map(|i| loaded[i].as_u64().unwrap());
    let others = loaded[2].as_array().unwrap();
    assert!(transferred > 0 && transferred < 200_000, "{name}: {transferred} bytes transferred");
    assert!(body < 200_000, "{name}: {body} bytes of HTML");
    // The offline script of those who take registers (and what it keeps) is the server's own.
    let origin = client.current_url().await.unwrap().origin().ascii_serialization();
    let elsewhere: Vec<&Value> =
        others.iter().filter(|url| !url.as_str().unwrap().starts_with(&origin)).collect();
    assert!(elsewhere.is_empty(), "{name}: the page fetched nothing from elsewhere: {elsewhere:?}");

    client.set_window_size(360, 740).await.unwrap();
    client.refresh().await.unwrap();
    arrive(client, "main h1").await;
    let widths = client
        .execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![])
        .await
        .unwrap();
    let (page, screen) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert!(page <= screen, "{name} at 360 pixels: {page} pixels wide in a {screen}-pixel window");
    shoot(client, &format!("{name}-360")).await;
    client.set_window_size(1280, 1000).await.unwrap();
    client.refresh().await.unwrap();
    arrive(client, "main h1").await;
}

/// Signs in with `token`; the first page must be `first` ("Tugas saya" for a role that
/// writes, the overview for one that reads).
pub async fn sign_in_at(client: &Client, base: &str, token: &str, first: &str) {
    client.goto(&format!("{base}/")).await.unwrap();
    client.find(Locator::Css("#token")).await.unwrap().send_keys(token).await.unwrap();
    client.find(Locator::Css("#submit")).await.unwrap().click().await.unwrap();
    arrive(client, "main h1").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), first, "signed in, at {url}");
}

/// Signs in with `token` and opens the overview. A role that writes lands on "Tugas saya"
/// first, a role that reads on the overview.
async fn sign_in(client: &Client, base: &str, token: &str) {
    client.goto(&format!("{base}/")).await.unwrap();
    client.find(Locator::Css("#token")).await.unwrap().send_keys(token).await.unwrap();
    client.find(Locator::Css("#submit")).await.unwrap().click().await.unwrap();
    arrive(client, "main h1").await;
    let url = client.current_url().await.unwrap();
    assert!(
        url.path().ends_with("/tugas") || url.path().ends_with("/overview"),
        "signed in, at {url}"
    );
    if url.path().ends_with("/tugas") {
        client.goto(&format!("{base}/overview")).await.unwrap();
    }
    arrive(client, "[data-kpi]").await;
}

pub async fn sign_out(client: &Client) {
    client.find(Locator::Css("#signout")).await.unwrap().click().await.unwrap();
    arrive(client, "#token").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/");
}

/// Waits until the page a click led to shows `selector` (WebDriver's own wait, not a sleep).
pub async fn arrive(client: &Client, selector: &str) {
    let found = client.wait().for_element(Locator::Css(selector)).await;
    found.unwrap_or_else(|error| panic!("{selector}: {error}"));
}

/// Waits until the page shows an element matching the XPath `path`.
async fn arrive_xpath(client: &Client, path: &str) {
    let found = client.wait().for_element(Locator::XPath(path)).await;
    found.unwrap_or_else(|error| panic!("{path}: {error}"));
}

/// The overview's figures as the page shows them, by indicator.
async fn cards(client: &Client) -> Vec<(String, String)> {
    let mut figures = Vec::new();
    for card in client.find_all(Locator::Css("[data-kpi]")).await.unwrap() {
        let name = card.attr("data-kpi").await.unwrap().unwrap();
        let value = card.find(Locator::Css(".v")).await.unwrap().text().await.unwrap();
        figures.push((name, value));
    }
    figures
}

/// The same figures from the API, displayed as the page displays them.
fn api_cards(served: &Served, token: &str, query: &str) -> Vec<(String, String)> {
    api_cards_in(served, token, query, false)
}

/// The API's overview figures written as the English pages write them.
fn api_cards_in(served: &Served, token: &str, query: &str, english: bool) -> Vec<(String, String)> {
    let report = served.json(&format!("/api/views/overview{query}"), token);
    report["sections"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row[0].as_str().unwrap().to_owned(), display(&row[1], english)))
        .collect()
}

/// A value as the pages write it: thousands marked with "." and decimals with "," in Bahasa
/// Indonesia, the other way round in English.
fn display(value: &Value, english: bool) -> String {
    let (thousands, decimal) = if english { (",", ".") } else { (".", ",") };
    let group = |digits: &str| {
        let mut out = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(thousands);
            }
            out.push(digit);
        }
        out
    };
    match value {
        Value::Null => String::new(),
        Value::Number(n) if n.is_f64() => {
            let text = format!("{:.1}", n.as_f64().unwrap());
            let (whole, fraction) = text.split_once('.').unwrap();
            format!("{}{decimal}{fraction}", group(whole))
        }
        Value::Number(n) => group(&n.to_string()),
        Value::String(s) if s == "suppressed" => "<5 disembunyikan".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The sum of a column of the enrolment page's package table.
async fn column_sum(client: &Client, column: &str) -> i64 {
    let mut sum = 0;
    let selector = format!("table[data-section=packages] td[data-col={column}]");
    for cell in client.find_all(Locator::Css(&selector)).await.unwrap() {
        sum += cell.text().await.unwrap().trim().replace('.', "").parse::<i64>().unwrap_or(0);
    }
    sum
}

fn api_column_sum(report: &Value, column: &str) -> i64 {
    let section =
        report["sections"].as_array().unwrap().iter().find(|s| s["name"] == "packages").unwrap();
    let index = section["columns"].as_array().unwrap().iter().position(|c| c == column).unwrap();
    section["rows"].as_array().unwrap().iter().map(|row| row[index].as_i64().unwrap_or(0)).sum()
}

/// The query of the day the demo's overview opens on (`demo::LIVELY_DAY`).
const LIVELY: &str = "?as_of=2026-04-15";

#[test]
fn the_dashboard_in_chromium_shows_the_apis_numbers_in_both_languages_and_keeps_to_scope() {
    assert_eq!(LIVELY, format!("?as_of={}", jejak::demo::LIVELY_DAY));
    if !Driver::available() {
        return;
    }
    let demo = Demo::start();
    let (runtime, served, driver) = (&demo.runtime, &demo.served, &demo.driver);
    let base = demo.base.as_str();
    runtime.block_on(async {
        let client = driver.client().await;

        // Facility staff: the overview's figures are the API's, for their facility.
        let petugas = served.token("petugas_pembinaan").to_owned();
        sign_in(&client, base, &petugas).await;
        assert_eq!(
            cards(&client).await,
            api_cards(served, &petugas, LIVELY),
            "the overview shows the API's figures"
        );
        // The demo's overview opens on a day when training runs: a living programme.
        assert!(client.find(Locator::Css("#opening-day")).await.is_ok());
        let opening = cards(&client).await;
        for figure in ["active_participants", "sessions_this_week"] {
            let value = &opening.iter().find(|(name, _)| name == figure).unwrap().1;
            assert_ne!(value, "0", "{figure} on the demo's opening day");
        }
        shoot(&client, "petugas-overview").await;
        fits_a_phone_and_fetches_nothing_else(&client, "petugas-overview").await;
        let nav = client.find(Locator::Css("nav a.on")).await.unwrap().text().await.unwrap();
        assert_eq!(nav, "Ringkasan", "Bahasa Indonesia by default");

        // The enrolment page: the same totals as the API.
        client.goto(&format!("{base}/enrolment")).await.unwrap();
        let api = served.json("/api/views/enrolment", &petugas);
        for column in ["quota", "nominated", "approved", "active", "graduated", "places_left"] {
            assert_eq!(
                column_sum(&client, column).await,
                api_column_sum(&api, column),
                "enrolment {column}"
            );
        }
        shoot(&client, "petugas-enrolment").await;
        // A period: only the packages that ran in it, as the API counts them.
        let period = "from=2024-01-01&to=2024-06-30";
        client.goto(&format!("{base}/enrolment?{period}")).await.unwrap();
        let in_period = served.json(&format!("/api/views/enrolment?{period}"), &petugas);
        let quota = column_sum(&client, "quota").await;
        assert_eq!(quota, api_column_sum(&in_period, "quota"), "enrolment quota in the period");
        assert!(quota < api_column_sum(&api, "quota"), "the period leaves packages out");
        shoot(&client, "petugas-enrolment-period").await;
        client.goto(&format!("{base}/enrolment")).await.unwrap();
        fits_a_phone_and_fetches_nothing_else(&client, "petugas-enrolment").await;
        // One of their packages opens, with its participants; another facility's does not.
        let ours = client
            .find(Locator::Css("table[data-section=packages] td[data-col=package_id] a"))
            .await
            .unwrap();
        ours.click().await.unwrap();
        arrive(&client, "table[data-section=participants]").await;
        shoot(&client, "petugas-package").await;
        let auditor = served.token("auditor").to_owned();
        let everything = served.json("/api/views/enrolment", &auditor);
        let packages = everything["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "packages")
            .unwrap();
        let facility =
            packages["columns"].as_array().unwrap().iter().position(|c| c == "facility").unwrap();
        let theirs = packages["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row[facility] != "RUTAN-SOE")
            .expect("a package of another facility");
        client
            .goto(&format!("{base}/enrolment?package={}", theirs[0].as_str().unwrap()))
            .await
            .unwrap();
        let message = client.find(Locator::Css("#message")).await.unwrap().text().await.unwrap();
        assert!(message.contains("bukan milik fasilitas"), "{message}");
        shoot(&client, "petugas-other-facility").await;

        // English and back.
        client.goto(&format!("{base}/overview")).await.unwrap();
        client.find(Locator::Css("#lang")).await.unwrap().click().await.unwrap();
        arrive_xpath(&client, "//nav/a[@class='on'][normalize-space()='Overview']").await;
        assert!(
            client
                .find(Locator::Css("[data-kpi=active_participants] .l"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("Active")
        );
        assert_eq!(cards(&client).await, api_cards_in(served, &petugas, LIVELY, true));
        shoot(&client, "petugas-overview-en").await;
        client.find(Locator::Css("#lang")).await.unwrap().click().await.unwrap();
        arrive_xpath(&client, "//nav/a[@class='on'][normalize-space()='Ringkasan']").await;

        // An earlier as-of date: other numbers, and again the API's.
        let now = cards(&client).await;
        client
            .execute(
                "document.getElementById('as_of').value = arguments[0];",
                vec![json!("2024-06-30")],
            )
            .await
            .unwrap();
        client.find(Locator::Css("#apply")).await.unwrap().click().await.unwrap();
        arrive_xpath(&client, "//p[@id='provenance'][contains(., 'as_of=2024-06-30')]").await;
        let earlier = cards(&client).await;
        assert_ne!(earlier, now, "the figures move with the as-of date");
        assert_eq!(earlier, api_cards(served, &petugas, "?as_of=2024-06-30"));
        shoot(&client, "petugas-overview-2024-06-30").await;

        // Every other page opens, for the screenshots; compliance is not theirs.
        for page in [
            "attendance",
            "funnel",
            "outcomes",
            "grants",
            "recidivism",
            "monthly",
            "inbox",
            "audit",
        ] {
            client.goto(&format!("{base}/{page}")).await.unwrap();
            assert!(client.find(Locator::Css("main h1")).await.is_ok(), "{page}");
            shoot(&client, &format!("petugas-{page}")).await;
        }
        client.goto(&format!("{base}/compliance")).await.unwrap();
        assert!(client.find(Locator::Css("#message")).await.is_ok(), "compliance is the auditors'");
        sign_out(&client).await;

        // The auditor: every facility's figures, the compliance review, audit trails.
        sign_in(&client, base, &auditor).await;
        assert_eq!(cards(&client).await, api_cards(served, &auditor, LIVELY));
        shoot(&client, "auditor-overview").await;
        client.goto(&format!("{base}/enrolment")).await.unwrap();
        assert_eq!(column_sum(&client, "active").await, api_column_sum(&everything, "active"));
        client.goto(&format!("{base}/compliance")).await.unwrap();
        assert!(
            client.find(Locator::Css("#no_findings")).await.is_ok(),
            "the demo follows the rules"
        );
        shoot(&client, "auditor-compliance").await;
        client.goto(&format!("{base}/recidivism")).await.unwrap();
        assert!(
            client.find(Locator::Css("svg[data-window]")).await.is_ok(),
            "the recidivism chart"
        );
        let chart = client.find(Locator::Css("svg[data-window]")).await.unwrap();
        let labels = chart.text().await.unwrap();
        assert!(labels.contains("Semua yang bebas"), "the groups in Bahasa Indonesia: {labels}");
        shoot(&client, "auditor-recidivism").await;
        let package = theirs[0].as_str().unwrap();
        client.goto(&format!("{base}/audit?subject=package&id={package}")).await.unwrap();
        assert!(client.find(Locator::Css("table[data-section=trail] tbody tr")).await.is_ok());
        shoot(&client, "auditor-audit").await;
        sign_out(&client).await;
        client.close().await.unwrap();
    });
    assert!(demo.served.stop().success());
}
/// Scrolls `selector` into view, then takes the screenshot `name` (a screenshot holds the
/// window only).
async fn shoot_at(client: &Client, selector: &str, name: &str) {
    let script = format!("document.querySelector('{selector}').scrollIntoView();");
    client.execute(&script, vec![]).await.unwrap();
    shoot(client, name).await;
}

/// Releases have no skill: the recidivism page offers none to filter by (the server would
/// refuse it), while the enrolment page does. Leaves the browser on the recidivism page.
async fn skill_is_offered_only_where_it_narrows(client: &Client, base: &str) {
    assert!(client.find(Locator::Css("form.filters #facility")).await.is_ok());
    assert!(client.find(Locator::Css("form.filters #skill")).await.is_err(), "no skill");
    client.goto(&format!("{base}/enrolment")).await.unwrap();
    assert!(client.find(Locator::Css("form.filters #skill")).await.is_ok(), "skill here");
    client.goto(&format!("{base}/recidivism")).await.unwrap();
    arrive(client, "svg[data-chart=time-to-reoffence]").await;
}

/// Each line of a chart: its stroke and its points.
async fn polylines(chart: &fantoccini::elements::Element) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut lines = Vec::new();
    for polyline in chart.find_all(Locator::Css("polyline")).await.unwrap() {
        let stroke = polyline.attr("stroke").await.unwrap().unwrap();
        let points = polyline.attr("points").await.unwrap().unwrap();
        let points = points
            .split_whitespace()
            .map(|xy| {
                let (x, y) = xy.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        lines.push((stroke, points));
    }
    lines
}

/// The time to reoffence on the recidivism page: the step lines are the report's points (the
/// cohort's curve not withheld and stepping down), and the comparisons section is a table with
/// the API's rows and columns, under a heading in words; screenshots of both, in both
/// languages for the chart.
#[test]
fn the_recidivism_page_draws_time_to_reoffence_curves_and_comparisons() {
    if !Driver::available() {
        return;
    }
    let demo = Demo::start();
    let (runtime, served, driver) = (&demo.runtime, &demo.served, &demo.driver);
    let base = demo.base.as_str();
    let auditor = served.token("auditor").to_owned();
    let report = served.json("/api/views/recidivism", &auditor);
    let section = |name: &str| -> Value {
        let sections = report["sections"].as_array().unwrap();
        let found = sections.iter().find(|s| s["name"] == name);
        found.unwrap_or_else(|| panic!("the recidivism report has a section {name}")).clone()
    };
    // The cohort's curve as the page draws it: the start, then two points per shown point of
    // the group `all` (a withheld one passed over) up to where no one is followed.
    let time = section("time_to_first_proven");
    let time_columns = time["columns"].as_array().unwrap();
    let column = |name: &str| time_columns.iter().position(|c| c == name).unwrap();
    let (group, share) = (column("group"), column("not_reoffended_percent"));
    let shown = time["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row[group] == "all")
        .take_while(|row| !row[share].is_null())
        .filter(|row| row[share].is_f64())
        .count();
    assert!(shown > 0, "the demo's cohort has a curve (not withheld): {time}");
    let comparisons = section("comparisons");
    let columns: Vec<&str> =
        comparisons["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let rows = comparisons["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "the demo has comparisons to show (else the page has no table)");

    runtime.block_on(async {
        let client = driver.client().await;
        sign_in_at(&client, base, &auditor, "/overview").await;
        client.goto(&format!("{base}/recidivism")).await.unwrap();
        arrive(&client, "svg[data-chart=time-to-reoffence]").await;
        skill_is_offered_only_where_it_narrows(&client, base).await;

        // The step lines: one per group, the cohort's with the API's points, and a step down.
        let chart = client.find(Locator::Css("svg[data-chart=time-to-reoffence]")).await.unwrap();
        let lines = polylines(&chart).await;
        assert_eq!(lines.len(), 4, "a line per group: {lines:?}");
        let all = &lines.iter().find(|(stroke, _)| stroke == "#1d2733").expect("the cohort").1;
        assert_eq!(all.len(), 1 + 2 * shown, "the cohort's line is the report's points: {all:?}");
        let steps = |points: &[(f64, f64)]| {
            points.windows(2).filter(|p| p[0].0 == p[1].0 && p[0].1 != p[1].1).count()
        };
        assert!(steps(all.as_slice()) > 0, "the cohort's share not reoffended steps down: {all:?}");
        // The numbers still followed under the axis: the cohort's are the API's.
        let figures = chart.find_all(Locator::Css("g[data-at-risk=all] text")).await.unwrap();
        let at_risk = column("at_risk_n");
        let expected: Vec<String> = time["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row[group] == "all")
            .map(|row| match row[at_risk].as_str() {
                Some("suppressed") => "<5".to_owned(),
                Some("withheld") => "x".to_owned(),
                _ => display(&row[at_risk], false),
            })
            .collect();
        let mut drawn = Vec::new();
        for figure in figures {
            drawn.push(figure.text().await.unwrap());
        }
        assert_eq!(drawn, expected, "the numbers at risk under the curve");
        let legend = client.find(Locator::Css("ul.legend")).await.unwrap().text().await.unwrap();
        assert!(legend.contains("Semua yang bebas"), "the groups in Bahasa Indonesia: {legend}");
        shoot_at(&client, "svg[data-chart=time-to-reoffence]", "auditor-recidivism-curves").await;

        // The comparisons: a table of the API's rows, columns and numbers, under a heading in
        // words (not the label's key).
        arrive(&client, "table[data-section=comparisons] tbody tr").await;
        let shown_rows = "table[data-section=comparisons] tbody tr";
        let on_page = client.find_all(Locator::Css(shown_rows)).await.unwrap();
        assert_eq!(on_page.len(), rows.len(), "the comparisons are the API's rows");
        for (row, api_row) in on_page.iter().zip(rows) {
            let cells = row.find_all(Locator::Css("td")).await.unwrap();
            let mut names = Vec::new();
            for (cell, value) in cells.iter().zip(api_row.as_array().unwrap()) {
                let name = cell.attr("data-col").await.unwrap().unwrap();
                if value.is_number() {
                    let text = cell.text().await.unwrap();
                    assert_eq!(text.trim(), display(value, false), "comparisons {name}");
                }
                names.push(name);
            }
            assert_eq!(names, columns, "the comparisons' columns are the API's");
        }
        let heading = client
            .execute(
                "return document.querySelector('table[data-section=comparisons]')
                     .closest('div.scroll').previousElementSibling.textContent;",
                vec![],
            )
            .await
            .unwrap();
        let heading = heading.as_str().unwrap();
        assert!(
            !heading.is_empty() && !heading.starts_with("section."),
            "the comparisons' heading is in words: {heading}"
        );
        shoot_at(&client, "table[data-section=comparisons]", "auditor-recidivism-comparisons")
            .await;

        // In English: the same chart, its groups in English.
        client.goto(&format!("{base}/lang/en?next=/recidivism")).await.unwrap();
        arrive(&client, "svg[data-chart=time-to-reoffence]").await;
        let legend = client.find(Locator::Css("ul.legend")).await.unwrap().text().await.unwrap();
        assert!(legend.contains("All released to the community"), "in English: {legend}");
        shoot_at(&client, "svg[data-chart=time-to-reoffence]", "auditor-recidivism-curves-en")
            .await;
        client.goto(&format!("{base}/lang/id?next=/recidivism")).await.unwrap();
        arrive(&client, "main h1").await;

        sign_out(&client).await;
        client.close().await.unwrap();
    });
    assert!(demo.served.stop().success());
}
