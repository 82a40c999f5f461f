//! `jejak serve` as a process: `--demo` on an empty database answers `/healthz` once it says it
//! listens, prints a token per role that works, and SIGTERM shuts it down cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::support::TestDb;

/// A plain HTTP/1.1 GET; returns the status line and the body.
fn get(address: &str, path: &str, token: Option<&str>) -> (String, String) {
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}

#[test]
fn serve_demo_answers_with_working_tokens_and_stops_on_sigterm() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(TestDb::new(jejak::store::Backend::Sqlite)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("JEJAK_DATABASE_URL", &db.url)
        .env_remove("JEJAK_MASTER_KEY")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the jejak binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.next().unwrap().unwrap();
    let address = listening
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {listening}"))
        .to_owned();
    let mut tokens = std::collections::BTreeMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [name, role, token] = fields[..]
            && token.starts_with("jejak_")
        {
            tokens.insert(role.to_owned(), (name.to_owned(), token.to_owned()));
        }
        if line.contains("demo tokens") {
            break;
        }
    }
    assert_eq!(tokens.len(), 14, "a token per role: {tokens:?}");

    let (status, body) = get(&address, "/healthz", None);
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    let (name, token) = &tokens["karutan"];
    let (status, body) = get(&address, "/api/me", Some(token));
    assert!(status.contains("200") && body.contains(name.as_str()), "{status} {body}");
    let (status, body) = get(&address, "/api/views/enrolment", Some(token));
    assert!(status.contains("200") && body.contains("RUTAN-SOE"), "{status}");
    let (status, _) = get(&address, "/api/views/enrolment", Some(&tokens["analis"].1));
    assert!(status.contains("403"), "{status}");
    let (status, _) = get(&address, "/api/me", Some("jejak_bukan"));
    assert!(status.contains("401"), "{status}");

    let terminated =
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "a clean shutdown: {exit:?}");
}
