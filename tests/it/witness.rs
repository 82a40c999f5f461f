//! `jejak witness serve` (docs/witness.md), run as its own process as a partner would run it.
//!
//! The fork test: two copies of one log share their first events, then each is written on
//! differently and signed with the log's own key, so both chains and both signatures are
//! valid. The witness cosigns the copy it sees first and refuses the other — a checkpoint of
//! the same size with another root, and a larger one whose proof cannot reach back to what it
//! cosigned — also after a restart, and keeps the refused requests as evidence. Killed with
//! SIGKILL after recording a checkpoint and before answering, it comes back knowing it, so it
//! never cosigns two inconsistent checkpoints.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use events::ExpectedVersion;
use events::checkpoint::{SigningKey, VerifyingKey};
use events::witness::{self, AddCheckpoint};
use jejak::store::{Backend, Store};

use crate::serve::read_response;
use crate::support::{TestDb, append_seeded, clock_at, jejak, stdout};

const ORIGIN: &str = "jejak.rutan-contoh.example/log";

/// A witness process and the address it listens on.
struct Served {
    child: Child,
    address: String,
    /// The witness's verifier key, as it printed it.
    key: String,
    stderr: Option<BufReader<std::process::ChildStderr>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_witness(dir: &Path, log_public_key: &str, stall: bool) -> Served {
    serve_witness_on(dir, log_public_key, stall, "127.0.0.1:0")
}

fn serve_witness_on(dir: &Path, log_public_key: &str, stall: bool, listen: &str) -> Served {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jejak"));
    command
        .args(["witness", "serve", "--name", "saksi.disnaker-contoh.example"])
        .arg("--key")
        .arg(dir.join("witness.key"))
        .arg("--log")
        .arg(format!("{ORIGIN}={log_public_key}"))
        .arg("--db")
        .arg(dir.join("witness.db"))
        .args(["--listen", listen])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if stall {
        command.env("JEJAK_WITNESS_STALL_AFTER_RECORD", "1");
    }
    let mut child = command.spawn().expect("the jejak binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let key_line = lines.next().unwrap().unwrap();
    let key = key_line.strip_prefix("witness key: ").unwrap().to_owned();
    assert!(key.starts_with("saksi.disnaker-contoh.example+"), "{key_line}");
    let listening = lines.next().unwrap().unwrap();
    let address = listening.strip_prefix("witness listening on ").unwrap().to_owned();
    let stderr = Some(BufReader::new(child.stderr.take().unwrap()));
    Served { child, address, key, stderr }
}

/// POSTs an add-checkpoint request: the status code, the content type and the body.
fn add_checkpoint(address: &str, request: &AddCheckpoint) -> (u16, String, String) {
    let body = request.encode();
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /add-checkpoint HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// A request to move the witness from `old` to the checkpoint of `store`'s head.
async fn request(store: &Store, key: &SigningKey, old: u64) -> AddCheckpoint {
    let now = events::Timestamp::parse("2026-12-06T09:00:00Z").unwrap();
    let note = jejak::checkpoints::sign_head(store, key, now, ORIGIN).await.unwrap().note;
    let size = store.head().await.unwrap().position as u64;
    let proof = if old == 0 || old == size {
        Vec::new()
    } else {
        jejak::tree::prove_consistency(store, old, size).await.unwrap().proof
    };
    AddCheckpoint { old, proof, checkpoint: note }
}

/// Appends `count` events in a stream of their own, the same for any store given the seed.
async fn grow(store: &Store, seed: u128, count: i64) {
    let stream = format!("noted-{seed}");
    store.append(append_seeded(seed, &stream, ExpectedVersion::NO_STREAM, count)).await.unwrap();
}

/// Two stores that share their first 300 events and then go apart: `a` gains 40 of its own,
/// `b` 90 others. Both on one simulated clock, so the shared part is the same bytes.
async fn forked_logs() -> (TestDb, TestDb, Store, Store) {
    let a_db = TestDb::new(Backend::Sqlite).await.unwrap();
    let clock = clock_at("2026-12-01T08:00:00Z");
    let a = a_db.open_with(clock.clone()).await;
    for seed in 1..=6 {
        grow(&a, seed, 50).await;
    }
    a.close().await;
    let b_db = a_db.copy().await;
    let a = a_db.open_with(clock.clone()).await;
    let b = b_db.open_with(clock).await;
    grow(&a, 100, 40).await;
    grow(&b, 200, 90).await;
    (a_db, b_db, a, b)
}

/// The log's key and its public key, and the witness's key (written to `witness.key`) as its
/// public key.
fn keys(dir: &Path) -> (SigningKey, String, VerifyingKey) {
    let log_key = events::checkpoint::signing_key(&"11".repeat(32)).unwrap();
    let public = events::checkpoint::public_key_hex(&log_key);
    std::fs::write(dir.join("witness.key"), format!("{}\n", "22".repeat(32))).unwrap();
    let witness_key = events::checkpoint::signing_key(&"22".repeat(32)).unwrap();
    (log_key, public, witness_key.verifying_key())
}

/// The witness's cosignature on `request`'s checkpoint checks with its key, by our code and by
/// the `signed_note` crate with a cosignature/v1 verifier written here from the C2SP text.
fn assert_cosigned(
    request: &AddCheckpoint,
    answer: &(u16, String, String),
    witness: &VerifyingKey,
) {
    assert_eq!(answer.0, 200, "cosigned: {}", answer.2);
    let cosigned = format!("{}{}", request.checkpoint, answer.2);
    let time = witness::cosignature_time(&cosigned, "saksi.disnaker-contoh.example", witness);
    assert!(time.as_ref().is_ok_and(|t| *t > 1_700_000_000), "{time:?}");
    let note = signed_note::Note::from_bytes(cosigned.as_bytes()).expect("a signed note");
    let known = signed_note::VerifierList::new(vec![Box::new(CosignatureV1::new(witness))]);
    let (verified, unverified) = note.verify(&known).expect("the cosignature verifies");
    assert_eq!((verified.len(), unverified.len()), (1, 1), "the witness's, and the log's own");
}

/// A C2SP cosignature/v1 verifier (c2sp.org/tlog-cosignature) on the `signed_note` crate: key
/// ID `SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[..4]`; the signature is an 8-byte big-endian time
/// and an Ed25519 signature over `cosignature/v1\ntime T\n` and the note's text.
struct CosignatureV1 {
    id: u32,
    ed25519: signed_note::StandardVerifier,
}

impl CosignatureV1 {
    fn new(key: &VerifyingKey) -> CosignatureV1 {
        let name = "saksi.disnaker-contoh.example";
        let mut typed = vec![0x04];
        typed.extend_from_slice(key.as_bytes());
        let vkey = events::note::verifier_key(name, key).unwrap();
        let ed25519 = signed_note::StandardVerifier::new(&vkey).unwrap();
        CosignatureV1 { id: signed_note::key_id(name, &typed), ed25519 }
    }
}

impl signed_note::Verifier for CosignatureV1 {
    fn name(&self) -> &str {
        self.ed25519.name()
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((time, signature)) = sig.split_first_chunk::<8>() else { return false };
        let time = u64::from_be_bytes(*time);
        let mut message = format!("cosignature/v1\ntime {time}\n").into_bytes();
        message.extend_from_slice(msg);
        signature.len() == 64 && self.ed25519.verify(&message, signature)
    }
}

#[tokio::test]
async fn the_witness_cosigns_one_of_two_forks_and_refuses_the_other_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, public, witness_key) = keys(dir.path());
    let (a_db, b_db, a, b) = forked_logs().await;
    let served = serve_witness(dir.path(), &public, false);

    // The witness learns `a` at its head (340 events).
    let first = request(&a, &log_key, 0).await;
    let answer = add_checkpoint(&served.address, &first);
    assert_cosigned(&first, &answer, &witness_key);
    let first_cosigned = format!("{}{}", first.checkpoint, answer.2);
    // `b`, believing the witness new, is told the size it cosigned...
    let (status, content_type, body) =
        add_checkpoint(&served.address, &request(&b, &log_key, 0).await);
    assert_eq!((status, content_type.as_str(), body.as_str()), (409, "text/x.tlog.size", "340\n"));
    // ...and cannot prove its 390 events extend `a`'s 340.
    let fork = request(&b, &log_key, 340).await;
    let (status, _, body) = add_checkpoint(&served.address, &fork);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("disimpan sebagai bukti"), "the refusal says it is kept: {body}");

    drop(served);
    let served = serve_witness(dir.path(), &public, false);
    let (status, ..) = add_checkpoint(&served.address, &fork);
    assert_eq!(status, 422, "still refused after a restart");
    // `a` goes on: 40 more events, proven consistent with the 340 cosigned.
    grow(&a, 101, 40).await;
    let next = request(&a, &log_key, 340).await;
    let answer = add_checkpoint(&served.address, &next);
    assert_cosigned(&next, &answer, &witness_key);
    let next_cosigned = format!("{}{}", next.checkpoint, answer.2);
    // A checkpoint signed by another key is not the log's.
    let stranger = events::checkpoint::signing_key(&"33".repeat(32)).unwrap();
    let (status, ..) = add_checkpoint(&served.address, &request(&a, &stranger, 380).await);
    assert_eq!(status, 403);
    drop(served);

    let store = jejak::witness::WitnessStore::open(&dir.path().join("witness.db")).unwrap();
    assert_eq!(store.refused(ORIGIN).unwrap(), 2, "both refusals of the fork are kept");
    let witnessed = store.witnessed().unwrap();
    assert_eq!((witnessed[0].origin.as_str(), witnessed[0].size), (ORIGIN, 380));

    // An auditor verifies each copy with its own checkpoints and a quorum of one witness: the
    // rewritten copy's chain and its own signature are valid, yet no witness vouches for it.
    let witness_vkey = witness::verifier_key("saksi.disnaker-contoh.example", &witness_key);
    let cosigned_a = vec![first_cosigned, next_cosigned];
    let (a_file, b_file) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    write_checkpoints(&a_file, &cosigned_a);
    write_checkpoints(&b_file, std::slice::from_ref(&fork.checkpoint));
    std::fs::write(dir.path().join("log.pub"), format!("{public}\n")).unwrap();
    let verify = |db: &TestDb, file: &Path| {
        let (file, public) = (file.to_str().unwrap(), dir.path().join("log.pub"));
        let args = ["verify", "--checkpoints", file, "--public-key", public.to_str().unwrap()];
        jejak(&db.url, &[&args[..], &["--witness", &witness_vkey, "--quorum", "1"]].concat())
    };
    let a_verified = verify(&a_db, &a_file);
    assert!(a_verified.status.success(), "{}", stdout(&a_verified));
    assert!(stdout(&a_verified).contains("cosigned by 1 of the 1 witnesses required (saksi"));
    let b_verified = verify(&b_db, &b_file);
    assert_eq!(b_verified.status.code(), Some(1), "{}", stdout(&b_verified));
    let said = stdout(&b_verified);
    assert!(said.contains("all 1 checkpoints match the log"), "its own signature holds: {said}");
    assert!(said.contains("QUORUM NOT MET"), "{said}");
}

/// A checkpoints file of these notes, one line each, as `jejak serve` writes them.
fn write_checkpoints(path: &Path, notes: &[String]) {
    let lines: Vec<String> =
        notes.iter().map(|note| serde_json::json!({ "note": note }).to_string() + "\n").collect();
    std::fs::write(path, lines.concat()).unwrap();
}

#[tokio::test]
async fn a_witness_killed_between_recording_and_answering_never_cosigns_the_other_fork() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, public, witness_key) = keys(dir.path());
    let (_a_db, _b_db, a, b) = forked_logs().await;
    let mut served = serve_witness(dir.path(), &public, true);
    let first = request(&a, &log_key, 0).await;
    let address = served.address.clone();
    let waiting = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(&address).unwrap();
        let body = first.encode();
        write!(stream, "POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut response = String::new();
        let _ = std::io::Read::read_to_string(&mut stream, &mut response);
        response
    });
    // The witness says it recorded the checkpoint; it is killed before it answers.
    let mut line = String::new();
    served.stderr.as_mut().unwrap().read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("witness: recorded {ORIGIN} at 340"));
    served.child.kill().unwrap(); // SIGKILL
    served.child.wait().unwrap();
    assert!(!waiting.join().unwrap().contains("200"), "no cosignature left the witness");
    drop(served);

    let served = serve_witness(dir.path(), &public, false);
    // It remembers 340 of `a`: `b` cannot be cosigned from nothing, nor from 340.
    let (status, _, body) = add_checkpoint(&served.address, &request(&b, &log_key, 0).await);
    assert_eq!((status, body.as_str()), (409, "340\n"));
    let (status, ..) = add_checkpoint(&served.address, &request(&b, &log_key, 340).await);
    assert_eq!(status, 422);
    // The checkpoint it recorded can be asked for again, and is cosigned.
    let again = request(&a, &log_key, 340).await;
    assert_cosigned(&again, &add_checkpoint(&served.address, &again), &witness_key);
}

/// `jejak serve` signing into `file` and offering its checkpoints to the witness at
/// `witness`; its stderr, where it logs each witness's answer.
fn serve_log(
    db: &TestDb,
    dir: &Path,
    witness: &Served,
) -> (Child, String, BufReader<std::process::ChildStderr>) {
    let file = dir.join("checkpoints.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(["serve", "--addr", "127.0.0.1:0", "--checkpoint-origin", ORIGIN])
        .arg("--checkpoint-key")
        .arg(dir.join("log.key"))
        .arg("--checkpoint-out")
        .arg(&file)
        .arg("--witness")
        .arg(format!("http://{}={}", witness.address, witness.key))
        .env("JEJAK_DATABASE_URL", &db.url)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the jejak binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.next().unwrap().unwrap();
    let address = listening.split("://").nth(1).unwrap().split_whitespace().next().unwrap();
    let address = address.to_owned();
    std::thread::spawn(move || for _ in lines {});
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (child, address, stderr)
}

/// Reads the server's log until a line holds `words`.
fn until_logged(stderr: &mut BufReader<std::process::ChildStderr>, words: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server stopped before: {words}");
        if line.contains(words) {
            return line;
        }
    }
}

fn get(address: &str, path: &str, token: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    read_response(stream).unwrap().1
}

/// Signs the log's head into the checkpoints file, on demand, as `jejak checkpoint` does.
fn sign_now(db: &TestDb, dir: &Path) {
    let key = dir.join("log.key");
    let file = dir.join("checkpoints.jsonl");
    let args = [
        "checkpoint",
        "--origin",
        ORIGIN,
        "--key",
        key.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ];
    let output = jejak(&db.url, &args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test]
async fn serve_offers_each_checkpoint_to_its_witness_and_reports_what_it_cosigned() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, public, witness_key) = keys(dir.path());
    std::fs::write(dir.path().join("log.key"), format!("{}\n", "11".repeat(32))).unwrap();
    let _ = log_key;
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let store = db.open().await;
    for seed in 1..=6 {
        grow(&store, seed, 50).await;
    }
    let auditor =
        jejak(&db.url, &["user", "add", "audit.satu", "--role", "auditor", "--org", "INSPEKTORAT"]);
    let token = stdout(&auditor).trim().to_owned();
    sign_now(&db, dir.path());
    let witness = serve_witness(dir.path(), &public, false);
    let (mut server, address, mut log) = serve_log(&db, dir.path(), &witness);

    // The checkpoint of 300 is offered at once and cosigned.
    until_logged(&mut log, "checkpoint cosigned");
    let status: serde_json::Value =
        serde_json::from_str(&get(&address, "/api/status", &token)).unwrap();
    let seen = &status["witnesses"][0];
    assert_eq!(
        (seen["name"].as_str(), seen["cosigned_size"].as_u64()),
        (Some("saksi.disnaker-contoh.example"), Some(300))
    );
    assert!(seen["last_error"].is_null(), "{seen}");
    let metrics = get(&address, "/metrics", &token);
    assert!(
        metrics
            .contains("jejak_witness_cosigned_size{witness=\"saksi.disnaker-contoh.example\"} 300"),
        "{metrics}"
    );
    let file = std::fs::read_to_string(dir.path().join("checkpoints.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(file.lines().last().unwrap()).unwrap();
    let cosigned = last["note"].as_str().unwrap();
    assert!(
        witness::cosignature_time(cosigned, "saksi.disnaker-contoh.example", &witness_key).is_ok()
    );

    // The witness goes down: the log is written and signed on as before, the failure shown.
    let port = witness.address.clone();
    drop(witness);
    grow(&store, 7, 50).await;
    sign_now(&db, dir.path());
    until_logged(&mut log, "checkpoint not cosigned");
    let status: serde_json::Value =
        serde_json::from_str(&get(&address, "/api/status", &token)).unwrap();
    let seen = &status["witnesses"][0];
    assert_eq!(seen["cosigned_size"].as_u64(), Some(300));
    assert!(seen["failures"].as_u64().unwrap() >= 1 && seen["last_error"].is_string(), "{seen}");
    // It comes back on its address: the checkpoint of 350 is cosigned, proven from 300.
    let _witness = serve_witness_on(dir.path(), &public, false, &port);
    until_logged(&mut log, "checkpoint cosigned");
    let status: serde_json::Value =
        serde_json::from_str(&get(&address, "/api/status", &token)).unwrap();
    assert_eq!(status["witnesses"][0]["cosigned_size"].as_u64(), Some(350));
    assert!(status["witnesses"][0]["last_error"].is_null());
    // The auditor's compliance page shows it too.
    let page = crate::serve::dashboard_page(&address, &token, "/compliance");
    let table = page.split("data-section=\"witnesses\"").nth(1).expect("a witnesses table");
    assert!(table.contains("saksi.disnaker-contoh.example") && table.contains(">350<"), "{table}");
    assert!(table.contains("Mutakhir"), "up to date, in Bahasa Indonesia: {table}");
    let _ = server.kill();
    let _ = server.wait();
}
