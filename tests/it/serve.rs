//! `jejak serve` as a process: `--demo` on an empty database answers `/healthz` once it says it
//! listens, prints a token per role that works, and SIGTERM shuts it down cleanly.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::support::TestDb;

/// A `jejak serve --demo` process on a free port, with the tokens it printed (by role).
pub struct Served {
    pub child: Child,
    pub address: String,
    pub tokens: BTreeMap<String, (String, String)>,
}

impl Served {
    /// Starts the server with `--demo` and returns once it listens: it prints its address
    /// only then.
    pub fn demo(db: &TestDb) -> Served {
        Served::start(db, &["--demo"])
    }

    /// Starts `jejak serve ARGS` on a free port and returns once it listens.
    pub fn start(db: &TestDb, args: &[&str]) -> Served {
        Served::start_logging(db, args, None)
    }

    /// The same, logging at debug level into `log` when given.
    pub fn start_logging(db: &TestDb, args: &[&str], log: Option<&std::path::Path>) -> Served {
        Served::start_with(db, args, log, &[])
    }

    /// `jejak serve ARGS` with these environment variables set, e.g. the master key.
    pub fn start_with(
        db: &TestDb,
        args: &[&str],
        log: Option<&std::path::Path>,
        env: &[(&str, &str)],
    ) -> Served {
        let (level, stderr) = match log {
            Some(path) => ("debug", Stdio::from(std::fs::File::create(path).unwrap())),
            None => ("warn", Stdio::null()),
        };
        // A free port unless ARGS name the address (a restart on the same one).
        let addr: &[&str] =
            if args.contains(&"--addr") { &["serve"] } else { &["serve", "--addr", "127.0.0.1:0"] };
        let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
            .args(addr)
            .args(args)
            .env("JEJAK_DATABASE_URL", &db.url)
            .env_remove("JEJAK_MASTER_KEY")
            .env("RUST_LOG", level)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the jejak binary runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let listening = lines.next().unwrap().unwrap();
        let address = listening
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {listening}"))
            .to_owned();
        let mut tokens = BTreeMap::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let [name, role, token] = fields[..]
                && token.starts_with("jejak_")
            {
                tokens.insert(role.to_owned(), (name.to_owned(), token.to_owned()));
            }
            if line.starts_with("dashboard:") {
                break;
            }
        }
        // Keep reading what it prints, so that it never writes into a closed pipe.
        std::thread::spawn(move || for _ in lines {});
        Served { child, address, tokens }
    }

    pub fn token(&self, role: &str) -> &str {
        &self.tokens[role].1
    }

    /// A plain HTTP/1.1 GET; returns the status line and the body.
    pub fn get(&self, path: &str, token: Option<&str>) -> (String, String) {
        let mut stream = TcpStream::connect(&self.address).expect("the server accepts connections");
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let host = &self.address;
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n")
            .unwrap();
        read_response(stream).unwrap()
    }

    /// A plain HTTP/1.1 POST of a JSON body; returns the status line and the body.
    pub fn post(&self, path: &str, token: &str, body: &serde_json::Value) -> (String, String) {
        post_to(&self.address, path, token, body).expect("the server answers")
    }

    /// SIGKILL, and wait for it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// An API answer as JSON.
    pub fn json(&self, path: &str, token: &str) -> serde_json::Value {
        let (status, body) = self.get(path, Some(token));
        assert!(status.contains("200"), "{path}: {status} {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// SIGTERM, and the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let terminated =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(terminated.success());
        self.child.wait().unwrap()
    }
}

/// A plain HTTP/1.1 POST of a JSON body to `address`; the status line and the body, or why
/// there was no answer (the server died, say).
pub fn post_to(
    address: &str,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> std::io::Result<(String, String)> {
    let mut stream = TcpStream::connect(address)?;
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    read_response(stream)
}

/// Signs in to the dashboard at `address` through its form with `token`: the whole answer and
/// the session cookie it sets (`jejak_session=…`), empty when it sets none.
pub fn sign_in(address: &str, token: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    let form = format!("token={token}");
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let cookie = answer
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .and_then(|value| value.split(';').next())
        .unwrap_or_default()
        .to_owned();
    (answer, cookie)
}

/// A dashboard page as the user of `token` sees it, signed in through the form.
pub fn dashboard_page(address: &str, token: &str, path: &str) -> String {
    let (_, cookie) = sign_in(address, token);
    assert!(!cookie.is_empty(), "a session cookie");
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    read_response(stream).unwrap().1
}

/// Reads a whole HTTP/1.1 response (the request said `Connection: close`): its status line and
/// its body, de-chunked.
pub fn read_response(mut stream: TcpStream) -> std::io::Result<(String, String)> {
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok((head.lines().next().unwrap_or_default().to_owned(), body))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn serve_demo_answers_with_working_tokens_and_stops_on_sigterm() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(TestDb::new(jejak::store::Backend::Sqlite)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let served = Served::start_logging(&db, &["--demo"], Some(&log));
    let roles = events::vocabulary::Role::ALL.len();
    assert_eq!(served.tokens.len(), roles, "a token per role: {:?}", served.tokens);

    let (status, body) = served.get("/healthz", None);
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    let (name, token) = &served.tokens["karutan"];
    let (status, body) = served.get("/api/me", Some(token));
    assert!(status.contains("200") && body.contains(name.as_str()), "{status} {body}");
    let (status, body) = served.get("/api/views/enrolment", Some(token));
    assert!(status.contains("200") && body.contains("RUTAN-SOE"), "{status}");
    let (status, _) = served.get("/api/views/enrolment", Some(served.token("analis")));
    assert!(status.contains("403"), "{status}");
    let (status, _) = served.get("/api/me", Some("jejak_bukan"));
    assert!(status.contains("401"), "{status}");
    // The dashboard's sign-in takes a token in a form body.
    let (answer, cookie) = sign_in(&served.address, token);
    assert!(answer.contains("jejak_session="), "{answer}");
    let cookie = cookie.strip_prefix("jejak_session=").unwrap().to_owned();
    let tokens: Vec<String> = served.tokens.values().map(|(_, token)| token.clone()).collect();
    let exit = served.stop();
    assert!(exit.success(), "a clean shutdown: {exit:?}");

    // At debug level the log tells what happened, and holds no token, session or key.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("/api/me"), "requests are logged: {logged}");
    for secret in tokens.iter().chain([&cookie]) {
        assert!(!logged.contains(secret.as_str()), "a token or session in the log");
    }
    let key = jejak::vault::DEMO_MASTER_KEY;
    assert!(!logged.contains(&hex::encode(key)), "the master key in the log");
    assert!(!logged.contains(std::str::from_utf8(&key).unwrap()), "the master key in the log");
}

/// A role that sees aggregates is offered published cuts only (a period of a calendar year or
/// quarter, a whole facility or skill), which the server then answers; a role that may see
/// names keeps its dates.
#[tokio::test]
async fn an_analysts_filters_offer_published_cuts_only() {
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let served = Served::demo(&db);
    let analyst = served.token("analis");
    let page = dashboard_page(&served.address, analyst, "/recidivism");
    assert!(page.contains("name=\"period\"") && page.contains("value=\"2025-Q2\""), "{page}");
    assert!(!page.contains("name=\"as_of\"") && !page.contains("name=\"from\""), "{page}");
    let quarter = dashboard_page(&served.address, analyst, "/recidivism?period=2025-Q2");
    assert!(quarter.contains("from=2025-04-01") && quarter.contains("to=2025-06-30"), "{quarter}");
    assert!(quarter.contains("value=\"2025-Q2\" selected"), "the cut stays chosen: {quarter}");
    let year = dashboard_page(&served.address, analyst, "/outcomes?period=2025");
    assert!(year.contains("from=2025-01-01") && year.contains("to=2025-12-31"), "{year}");
    let wrong = dashboard_page(&served.address, analyst, "/recidivism?period=2025-Q5");
    assert!(wrong.contains("give a year (2025) or a quarter (2025-Q2)"), "{wrong}");
    let auditor = dashboard_page(&served.address, served.token("auditor"), "/recidivism");
    assert!(auditor.contains("name=\"as_of\"") && !auditor.contains("name=\"period\""));
    let funnel = served.json("/api/views/funnel", analyst);
    outcomes_give_no_withheld_group_away(&served.json("/api/views/outcomes", analyst), &funnel);
    assert!(served.stop().success());
}

/// The analyst's attack on the published outcomes and funnel: per category, the skills'
/// starters, completers and competent add up to the funnel's started, completed and competent,
/// and so do the groups'. Each cell is in one such sum only, so a withheld count can be worked
/// out exactly when it is the only one withheld in its sum, the funnel's total counted; none is.
fn outcomes_give_no_withheld_group_away(body: &serde_json::Value, funnel: &serde_json::Value) {
    use serde_json::Value;
    let section = |report: &Value, name: &str| {
        let sections = report["sections"].as_array().unwrap();
        sections.iter().find(|s| s["name"] == name).unwrap().clone()
    };
    let (skills, groups) = (section(body, "skills"), section(body, "groups"));
    let cells = |section: &Value, category: &Value, figure: &str| -> Vec<Value> {
        let columns = section["columns"].as_array().unwrap();
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        let rows = section["rows"].as_array().unwrap().iter();
        let rows = rows.filter(|row| row[at("category")] == *category);
        rows.map(|row| row[at(figure)].clone()).collect()
    };
    let total = |category: &str, stage: &str| -> Value {
        let rows = section(funnel, &format!("funnel_{category}"))["rows"].clone();
        let row = rows.as_array().unwrap().iter().find(|row| row[0] == stage).unwrap().clone();
        row[1].clone()
    };
    let mut withheld_groups = 0;
    let group_rows = groups["rows"].as_array().unwrap();
    let categories: std::collections::BTreeSet<String> =
        group_rows.iter().map(|row| row[0].as_str().unwrap().to_owned()).collect();
    for category in categories {
        let stages =
            [("starters", "started"), ("completers", "completed"), ("competent", "competent")];
        for (figure, stage) in stages {
            let shown_total = total(&category, stage).is_number();
            let category = Value::from(category.as_str());
            let withheld = |cells: &[Value]| cells.iter().filter(|c| !c.is_number()).count();
            let (by_skill, by_group) =
                (cells(&skills, &category, figure), cells(&groups, &category, figure));
            withheld_groups += withheld(&by_group);
            let total_unknown = usize::from(!shown_total);
            for (side, cells) in [("skills", &by_skill), ("groups", &by_group)] {
                let unknowns = withheld(cells) + total_unknown;
                assert_ne!(
                    unknowns, 1,
                    "{category} {figure}: one withheld count in the {side}' sum: {cells:?}"
                );
            }
            let unknowns = withheld(&by_skill) + withheld(&by_group);
            assert_ne!(
                unknowns, 1,
                "{category} {figure}: skills and groups: {by_skill:?} {by_group:?}"
            );
        }
    }
    assert!(withheld_groups > 0, "the demo has small groups to protect: {groups}");
}
