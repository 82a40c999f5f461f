//! The evaluator's person-level extract (docs/vault.md) from the command line, on each
//! backend: only a user with the evaluator role takes it, with a purpose that the access log
//! records; each extract names people by pseudonyms of its own, so two extracts of the same
//! cohort share none; the data dictionary beside it describes every column.

use std::collections::BTreeSet;

use crate::support::{TestDb, backend_tests, jejak, stdout};

backend_tests!(two_extracts_share_no_pseudonym_and_only_an_evaluator_takes_one);

/// The CSV's header and rows.
fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("the extract");
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

async fn two_extracts_share_no_pseudonym_and_only_an_evaluator_takes_one(db: TestDb) {
    let demo = jejak(&db.url, &["demo", "--participants", "60"]);
    assert!(demo.status.success(), "{}", stdout(&demo));
    for (name, role) in [("eval.satu", "evaluator"), ("analis.satu", "analis")] {
        let added = jejak(&db.url, &["user", "add", name, "--role", role, "--org", "BAPPEDA-NTT"]);
        assert!(added.status.success(), "{}", stdout(&added));
    }
    let dir = tempfile::tempdir().unwrap();
    let purpose = "PKS-014/BAPPEDA/2026 evaluasi program";
    let take = |user: &str, file: &str| {
        let out = dir.path().join(file);
        let args = ["report", "recidivism", "--person-level", "--out"];
        let mut args: Vec<&str> = args.to_vec();
        let out_text = out.to_str().unwrap().to_owned();
        args.push(&out_text);
        args.extend(["--purpose", purpose, "--as", user]);
        (jejak(&db.url, &args), out)
    };

    let (refused, out) = take("analis.satu", "analis.csv");
    assert_eq!(refused.status.code(), Some(2), "{}", stdout(&refused));
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("Only the evaluator role") && error.contains("Hanya peran"), "{error}");
    assert!(!out.exists(), "nothing written for a refused extract");

    let (first, one) = take("eval.satu", "one.csv");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let (second, two) = take("eval.satu", "two.csv");
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let ((header, first_rows), (_, second_rows)) = (read_csv(&one), read_csv(&two));
    assert!(first_rows.len() > 20, "the demo releases people: {}", first_rows.len());
    assert_eq!(first_rows.len(), second_rows.len(), "the same cohort");
    let pseudonyms = |rows: &[Vec<String>]| -> BTreeSet<String> {
        rows.iter().map(|row| row[0].clone()).collect()
    };
    let (a, b) = (pseudonyms(&first_rows), pseudonyms(&second_rows));
    assert_eq!(a.len(), b.len(), "one pseudonym per person in each");
    assert!(a.is_disjoint(&b), "two extracts share a pseudonym");
    // No person ref of the log is in the extract.
    let refs = jejak(&db.url, &["log", "--format", "json"]);
    let log = stdout(&refs);
    assert!(a.iter().all(|p| p.len() == 32 && !log.contains(p.as_str())));
    // The data dictionary beside it names every column, in order.
    let (dictionary_header, dictionary) = read_csv(&one.with_extension("dictionary.csv"));
    assert_eq!(dictionary_header, ["column", "type", "meaning"]);
    let described: Vec<&String> = dictionary.iter().map(|row| &row[0]).collect();
    assert_eq!(described, header.iter().collect::<Vec<_>>());
    assert!(dictionary.iter().all(|row| !row[2].is_empty()));
    // Both extracts, and not the refused one, are in the access log with their purpose.
    let logged = db
        .count(&format!(
            "SELECT count(*) FROM vault_access WHERE action = 'recidivism_person_level_extract' \
             AND actor = 'eval.satu' AND role = 'evaluator' AND purpose LIKE '{purpose}%'"
        ))
        .await;
    assert_eq!(logged, 2);
    let all = db.count("SELECT count(*) FROM vault_access WHERE action LIKE 'recidivism%'").await;
    assert_eq!(all, 2);
}

/// The dashboard's recidivism page offers the evaluator, and no one else, a form that takes
/// the extract for a purpose (CSRF-protected like every form that writes) and downloads it.
#[tokio::test]
async fn the_recidivism_page_offers_the_extract_to_the_evaluator_alone() {
    use std::io::Write;
    let db = TestDb::new(jejak::store::Backend::Sqlite).await.unwrap();
    let served = crate::serve::Served::demo(&db);
    for role in ["analis", "auditor"] {
        let page = crate::serve::dashboard_page(&served.address, served.token(role), "/recidivism");
        assert!(page.contains("Kohort rilis"), "{role}: the page: {page}");
        assert!(!page.contains("/recidivism/extract\""), "{role} is offered the extract");
    }
    let evaluator = served.token("evaluator");
    let (_, cookie) = crate::serve::sign_in(&served.address, evaluator);
    let page = crate::serve::dashboard_page(&served.address, evaluator, "/recidivism");
    assert!(page.contains("action=\"/recidivism/extract\""), "{page}");
    let post = |cookie: &str, form: &str| {
        let mut stream = std::net::TcpStream::connect(&served.address).unwrap();
        write!(
            stream,
            "POST /recidivism/extract HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        )
        .unwrap();
        crate::serve::read_response(stream).unwrap()
    };
    // The session's CSRF token is on its page.
    let page = {
        let mut stream = std::net::TcpStream::connect(&served.address).unwrap();
        write!(
            stream,
            "GET /recidivism HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        crate::serve::read_response(stream).unwrap().1
    };
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let (status, _) = post(&cookie, "csrf=forged&purpose=PKS-014%20evaluasi%20program");
    assert!(status.contains("403"), "a forged form: {status}");
    let (status, body) = post(&cookie, &format!("csrf={csrf}&purpose=singkat"));
    assert!(status.contains("400") && body.contains("purpose"), "{status}: {body}");
    let (status, body) =
        post(&cookie, &format!("csrf={csrf}&purpose=PKS-014%20evaluasi%20program"));
    assert!(status.contains("200"), "{status}: {body}");
    assert!(body.starts_with("pseudonym,released_on,"), "{body}");
    let store = db.open().await;
    drop(store);
    let logged = db
        .count("SELECT count(*) FROM vault_access WHERE action = 'recidivism_person_level_extract'")
        .await;
    assert_eq!(logged, 1, "only the extract taken is in the access log");
    assert!(served.stop().success());
}
