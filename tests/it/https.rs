//! HTTPS as a facility runs it (docs/operations.md): a certificate authority of its own made by
//! `tools/local-ca.sh`, `jejak serve --tls-cert --tls-key` with the certificate it signed, and a
//! client that trusts that authority alone, as a phone does once the authority is installed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestDb, repository_root};

/// Makes the facility's authority and the server's certificate for 127.0.0.1 in `dir`.
fn local_ca(dir: &Path) {
    let made = Command::new("bash")
        .arg(repository_root().join("tools/local-ca.sh"))
        .arg(dir)
        .args(["Rutan Contoh", "127.0.0.1", "localhost"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
}

/// A GET over TLS to `address`, trusting only the certificates in `ca`; the response's head.
async fn get_trusting(ca: &Path, address: &str, path: &str) -> std::io::Result<String> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = tokio_rustls::rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(address).await?;
    let ip = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(ip, tcp).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    // A server may close without TLS's close_notify; what was read before counts.
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.split("\r\n\r\n").next().unwrap_or_default().to_owned())
}

/// What a plain HTTP GET gets from `address`: the server may close the connection before the
/// request is even written, so a failed write or read is an empty answer.
fn plain_http(address: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn serve_answers_https_with_a_certificate_of_the_facilitys_own_authority() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(TestDb::new(jejak::store::Backend::Sqlite)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    local_ca(dir.path());
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let args = ["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()];
    let served = crate::serve::Served::start(&db, &args);

    let ca = dir.path().join("ca.crt");
    let status = runtime.block_on(get_trusting(&ca, &served.address, "/healthz")).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "over HTTPS: {status}");
    let head = runtime.block_on(get_trusting(&ca, &served.address, "/lang/en?next=/")).unwrap();
    let cookie = head.lines().find(|line| line.to_ascii_lowercase().starts_with("set-cookie"));
    assert!(
        cookie.is_some_and(|c| c.contains("; Secure")),
        "cookies over HTTPS are Secure: {head}"
    );
    // A phone without the authority installed does not trust the server.
    let stranger = tempfile::tempdir().unwrap();
    local_ca(stranger.path());
    let untrusted = runtime.block_on(get_trusting(
        &stranger.path().join("ca.crt"),
        &served.address,
        "/healthz",
    ));
    assert!(untrusted.is_err(), "another authority's phone refuses: {untrusted:?}");
    // Plain HTTP on the HTTPS port gets no page.
    let plain = plain_http(&served.address);
    assert!(!plain.starts_with("HTTP/1.1 200"), "plain HTTP is not served: {plain}");
    assert!(served.stop().success());
}

#[test]
fn serve_with_a_missing_key_stops_before_listening_and_names_the_file() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(TestDb::new(jejak::store::Backend::Sqlite)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    local_ca(dir.path());
    let cert = dir.path().join("server.crt");
    let missing = dir.path().join("tidak-ada.key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jejak"))
        .args(["serve", "--addr", "127.0.0.1:0", "--tls-cert", cert.to_str().unwrap()])
        .args(["--tls-key", missing.to_str().unwrap()])
        .env("JEJAK_DATABASE_URL", &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let printed: Vec<String> =
        BufReader::new(child.stdout.take().unwrap()).lines().map(Result::unwrap).collect();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!child.wait().unwrap().success());
    assert!(printed.iter().all(|line| !line.contains("listening")), "{printed:?}");
    assert!(stderr.contains("tidak-ada.key"), "names the file: {stderr}");
}
