//! The log's Merkle tree in the store (docs/merkle.md), on each backend: an inclusion proof for
//! every event of a small log verifies and fails for a changed event, a wrong index and a wrong
//! size; consistency proofs between every pair of a set of sizes around the tiles' edges
//! verify; the stored tree equals the tree rebuilt from the events; a stored hash edited by
//! hand fails `verify`, and an edit without disabling the guard is refused. Interoperability:
//! roots and proofs agree with an implementation that is not ours (`tlog_tiles`, a port of Go's
//! `sumdb/tlog`).

use events::ExpectedVersion;
use events::merkle::{self, Hash, MemoryTree};
use jejak::store::{Backend, Store};
use jejak::tree;

use crate::support::{TestDb, append_seeded, backend_tests};

backend_tests!(
    a_checkpoint_is_a_c2sp_note_that_other_implementations_verify,
    the_api_proves_to_the_roles_that_read_the_log_and_the_tree_is_public,
    every_event_has_an_inclusion_proof_that_verifies_and_a_wrong_one_fails,
    consistency_proofs_between_sizes_around_the_tiles_edges_verify,
    the_stored_tree_equals_the_tree_rebuilt_from_the_events,
    a_stored_tree_hash_edited_by_hand_fails_verify,
);

/// A log of `events` events in streams of 50, and its chain hashes in position order.
async fn log(store: &Store, events: i64) -> Vec<Hash> {
    let mut written = 0;
    let mut stream = 0;
    while written < events {
        let count = (events - written).min(50);
        let id = format!("noted-{stream}");
        store
            .append(append_seeded(stream as u128 + 1, &id, ExpectedVersion::NO_STREAM, count))
            .await
            .unwrap();
        written += count;
        stream += 1;
    }
    let chain = tree::chain_hashes(store, 1, events).await.unwrap();
    assert_eq!(chain.len() as i64, events);
    chain
}

async fn every_event_has_an_inclusion_proof_that_verifies_and_a_wrong_one_fails(db: TestDb) {
    let store = db.open().await;
    let chain = log(&store, 530).await;
    let memory = MemoryTree::of_chain(&chain);
    for size in [530, 512, 257] {
        let root = tree::root(&store, size).await.unwrap();
        assert_eq!(root, merkle::root(&memory, size).unwrap(), "root of {size}");
        let events = store.read_all(1, size as usize).await.unwrap();
        for event in &events {
            let proof = tree::prove_inclusion(&store, event.event_id, Some(size)).await.unwrap();
            let leaf = merkle::leaf_hash(&chain[event.position as usize - 1]);
            let (index, path) = (proof.leaf_index, &proof.proof);
            assert_eq!((proof.root, proof.leaf_hash), (root, leaf));
            assert_eq!(merkle::verify_inclusion(&leaf, index, size, path, &root), Ok(()));
            let changed = merkle::leaf_hash(&chain[(event.position as usize) % 530]);
            assert!(merkle::verify_inclusion(&changed, index, size, path, &root).is_err());
            let wrong = (index + 1) % size;
            assert!(merkle::verify_inclusion(&leaf, wrong, size, path, &root).is_err());
            let smaller = merkle::root(&memory, size - 1).unwrap();
            assert!(merkle::verify_inclusion(&leaf, index, size - 1, path, &smaller).is_err());
        }
    }
    let last = store.read_all(530, 1).await.unwrap()[0].event_id;
    assert!(matches!(
        tree::prove_inclusion(&store, last, Some(529)).await,
        Err(tree::TreeError::BeyondHead { .. })
    ));
    assert!(matches!(
        tree::prove_inclusion(&store, last, Some(531)).await,
        Err(tree::TreeError::BeyondHead { .. })
    ));
}

async fn consistency_proofs_between_sizes_around_the_tiles_edges_verify(db: TestDb) {
    let store = db.open().await;
    let chain = log(&store, 530).await;
    let memory = MemoryTree::of_chain(&chain);
    let sizes = [0, 1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300, 511, 512, 513, 529, 530];
    for (i, &to) in sizes.iter().enumerate() {
        for &from in &sizes[..=i] {
            let proof = tree::prove_consistency(&store, from, to).await.unwrap();
            assert_eq!(proof.from_root, merkle::root(&memory, from).unwrap());
            assert_eq!(proof.to_root, merkle::root(&memory, to).unwrap());
            let checked = merkle::verify_consistency(
                from,
                to,
                &proof.from_root,
                &proof.to_root,
                &proof.proof,
            );
            assert_eq!(checked, Ok(()), "{from} → {to}");
            if from > 0 && from < to {
                let other = merkle::root(&memory, from - 1).unwrap();
                let forged =
                    merkle::verify_consistency(from, to, &other, &proof.to_root, &proof.proof);
                assert!(forged.is_err(), "{from} → {to} with another root");
            }
        }
    }
    assert!(matches!(
        tree::prove_consistency(&store, 9, 3).await,
        Err(tree::TreeError::SizesOutOfOrder { .. })
    ));
}

async fn the_stored_tree_equals_the_tree_rebuilt_from_the_events(db: TestDb) {
    let store = db.open().await;
    let chain = log(&store, 70_000).await;
    // Three extenders at once (the follower, a proof, a public tile), across the first full
    // level-1 tile: each waits its turn and none builds on what another has since written.
    let (a, b, c) = tokio::join!(tree::extend(&store), tree::extend(&store), tree::extend(&store));
    for covered in [a, b, c] {
        assert_eq!(covered.unwrap(), 69_888, "every complete 256-event chunk");
    }
    let memory = MemoryTree::of_chain(&chain);
    for size in [70_000, 65_536, 65_537, 256, 1] {
        assert_eq!(tree::root(&store, size).await.unwrap(), merkle::root(&memory, size).unwrap());
    }
    // Level 2 holds the root of the first full level-1 tile: the first 65,536 events.
    let count = db.count("SELECT count(*) FROM tree_tiles WHERE level = 2").await;
    assert_eq!(count, 1);
    let report = jejak::verify::verify_log(&store, |_| {}).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.tree.first_mismatch);
    assert_eq!(report.tree.stored_events, 69_888);
}

async fn a_stored_tree_hash_edited_by_hand_fails_verify(db: TestDb) {
    let store = db.open().await;
    log(&store, 600).await;
    tree::extend(&store).await.unwrap();
    let edit = "UPDATE tree_tiles SET hashes = zeroblob(64) WHERE level = 1";
    let edit = match db.backend {
        Backend::Sqlite => edit.to_owned(),
        Backend::Postgres => edit.replace("zeroblob(64)", "decode(repeat('00', 64), 'hex')"),
    };
    assert!(db.execute(&[&edit]).await.is_err(), "the guard refuses an edit");
    let unguarded: &[&str] = match db.backend {
        Backend::Sqlite => &["DROP TRIGGER tree_tiles_only_grow"],
        Backend::Postgres => &["ALTER TABLE tree_tiles DISABLE TRIGGER ALL"],
    };
    db.execute(unguarded).await.unwrap();
    db.execute(&[&edit]).await.unwrap();
    let report = jejak::verify::verify_log(&store, |_| {}).await.unwrap();
    let found = report.tree.first_mismatch.expect("the edited hash is found");
    assert_eq!((found.level, found.index), (1, 0));
    assert!(report.first_break.is_none(), "the chain itself is intact");
    let verified = crate::support::jejak(&db.url, &["verify"]);
    assert!(!verified.status.success());
    assert!(crate::support::stdout(&verified).contains("Merkle tree BROKEN"));
}

/// `tlog_tiles`' hash storage, in memory: every hash its layout stores, by index.
struct Theirs(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Theirs {
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::tlog::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

#[test]
fn roots_and_proofs_agree_with_an_implementation_that_is_not_ours() {
    let chain: Vec<Hash> = (0u64..300).map(|i| merkle::leaf_hash(&[i as u8; 32])).collect();
    let ours = MemoryTree::of_chain(&chain);
    let mut theirs = Theirs(Vec::new());
    for (n, hash) in chain.iter().enumerate() {
        let stored = tlog_tiles::stored_hashes(n as u64, hash, &theirs).unwrap();
        theirs.0.extend(stored);
    }
    let wrap = |hash: Hash| tlog_tiles::Hash(hash);
    for size in [1u64, 2, 5, 64, 255, 256, 257, 300] {
        let root = merkle::root(&ours, size).unwrap();
        assert_eq!(tlog_tiles::tree_hash(size, &theirs).unwrap(), wrap(root), "root of {size}");
        for index in [0, size / 2, size - 1] {
            let proof = merkle::inclusion_proof(&ours, index, size).unwrap();
            let leaf = merkle::leaf_hash(&chain[index as usize]);
            let proof: Vec<_> = proof.into_iter().map(wrap).collect();
            tlog_tiles::check_record(&proof, size, wrap(root), index, wrap(leaf)).unwrap();
            let their_proof = tlog_tiles::prove_record(size, index, &theirs).unwrap();
            assert_eq!(their_proof, proof, "inclusion of {index} in {size}");
        }
        for from in [1u64, size / 3, size - 1].into_iter().filter(|from| *from >= 1) {
            let proof = merkle::consistency_proof(&ours, from, size).unwrap();
            let from_root = merkle::root(&ours, from).unwrap();
            let proof: Vec<_> = proof.into_iter().map(wrap).collect();
            tlog_tiles::check_tree(&proof, size, wrap(root), from, wrap(from_root)).unwrap();
            let their_proof = tlog_tiles::prove_tree(size, from, &theirs).unwrap();
            assert_eq!(their_proof, proof, "consistency {from} → {size}");
        }
    }
}

async fn a_checkpoint_is_a_c2sp_note_that_other_implementations_verify(db: TestDb) {
    let store = db.open().await;
    let chain = log(&store, 300).await;
    let key = events::checkpoint::signing_key(&"07".repeat(32)).unwrap();
    let now = events::Timestamp::parse("2026-12-06T01:00:00Z").unwrap();
    let origin = "jejak.rutan-contoh.example/log";
    let signed = jejak::checkpoints::sign_head(&store, &key, now, origin).await.unwrap();
    let vkey = jejak::checkpoints::verifier_key(origin, &key).unwrap();

    let note = signed_note::Note::from_bytes(signed.note.as_bytes()).expect("a signed note");
    let verifier = signed_note::StandardVerifier::new(&vkey).expect("a verifier key");
    let known = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    let (verified, _) = note.verify(&known).expect("signed by the log's key");
    assert_eq!(verified.len(), 1);
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(note.text()).expect("a checkpoint");
    assert_eq!((checkpoint.origin(), checkpoint.size()), (origin, 300));
    let root = merkle::root(&MemoryTree::of_chain(&chain), 300).unwrap();
    assert_eq!(checkpoint.hash().0, root);

    let mut altered = signed.note.clone().into_bytes();
    let at = signed.note.find("\n300\n").unwrap() + 3;
    altered[at] = b'1';
    let altered = signed_note::Note::from_bytes(&altered).unwrap();
    assert!(altered.verify(&known).is_err(), "an altered checkpoint is refused");
}

async fn the_api_proves_to_the_roles_that_read_the_log_and_the_tree_is_public(db: TestDb) {
    use axum::http::{Method, StatusCode};
    use events::vocabulary::Role;
    let world = crate::api::world(&db).await;
    let head = world.store.head().await.unwrap().position as u64;
    let chain = tree::chain_hashes(&world.store, 1, head as i64).await.unwrap();
    let memory = MemoryTree::of_chain(&chain);
    let event = world.store.read_all(3, 1).await.unwrap()[0].event_id;
    let uri = format!("/api/proofs/inclusion?event={event}");
    let auditor = Some(world.tokens[&Role::Auditor].as_str());
    let (status, body) = crate::api::call(&world.router, Method::GET, &uri, auditor, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hash = |value: &serde_json::Value| -> Hash {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(value.as_str().unwrap());
        bytes.unwrap().try_into().unwrap()
    };
    let proof: Vec<Hash> = body["proof"].as_array().unwrap().iter().map(hash).collect();
    let root = merkle::root(&memory, head).unwrap();
    let leaf = merkle::leaf_hash(&chain[2]);
    assert_eq!(merkle::verify_inclusion(&leaf, 2, head, &proof, &root), Ok(()));
    let petugas = Some(world.tokens[&Role::PetugasPembinaan].as_str());
    let (status, _) = crate::api::call(&world.router, Method::GET, &uri, petugas, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the roles that read the log's events");
    let missing = format!("/api/proofs/inclusion?event={}", uuid::Uuid::nil());
    let (status, _) = crate::api::call(&world.router, Method::GET, &missing, auditor, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Consistency for any user.
    let uri = format!("/api/proofs/consistency?from=2&to={head}");
    let (status, body) = crate::api::call(&world.router, Method::GET, &uri, petugas, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let proof: Vec<Hash> = body["proof"].as_array().unwrap().iter().map(hash).collect();
    let small = merkle::root(&memory, 2).unwrap();
    assert_eq!(merkle::verify_consistency(2, head, &small, &root, &proof), Ok(()));
    let backwards = format!("/api/proofs/consistency?from={head}&to=2");
    let (status, _) = crate::api::call(&world.router, Method::GET, &backwards, petugas, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A server that signs no checkpoint publishes nothing of its tree.
    let public = format!("/log/consistency?from=2&to={head}");
    for absent in [public.as_str(), "/log/tile/0/000.p/1", "/log/checkpoint"] {
        let (status, _, _) = crate::outside::page(&world.router, "", absent).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{absent}");
    }
}

#[test]
fn serve_publishes_its_latest_checkpoint_for_anyone_to_follow() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(TestDb::new(Backend::Sqlite)).unwrap();
    runtime.block_on(async {
        let store = db.open().await;
        log(&store, 40).await;
        store.close().await;
    });
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("log.key");
    let out = dir.path().join("checkpoints.jsonl");
    let (key, out) = (key.to_str().unwrap(), out.to_str().unwrap());
    assert!(crate::support::jejak(&db.url, &["keygen", "--out", key]).status.success());
    let origin = "jejak.contoh.example/log";
    let signed = crate::support::jejak(
        &db.url,
        &["checkpoint", "--key", key, "--out", out, "--origin", origin],
    );
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let printed = crate::support::stdout(&signed);
    let vkey = printed.lines().find_map(|l| l.strip_prefix("verifier key: ")).unwrap().to_owned();

    let served = crate::serve::Served::start(
        &db,
        &["--checkpoint-key", key, "--checkpoint-out", out, "--checkpoint-origin", origin],
    );
    let (status, note) = served.get("/log/checkpoint", None);
    assert!(status.contains("200"), "{status} {note}");
    let note = signed_note::Note::from_bytes(note.as_bytes()).expect("a signed note");
    let verifier = signed_note::StandardVerifier::new(&vkey).unwrap();
    note.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)])).expect("authentic");
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    assert_eq!((checkpoint.origin(), checkpoint.size()), (origin, 40));

    // The tree as far as the checkpoint, for anyone: the leaf hashes, nothing of the events.
    let tile = get_bytes(&served.address, "/log/tile/0/000.p/40");
    let leaves = runtime.block_on(async {
        let store = db.open().await;
        let chain = tree::chain_hashes(&store, 1, 40).await.unwrap();
        store.close().await;
        chain.iter().flat_map(merkle::leaf_hash).collect::<Vec<u8>>()
    });
    assert_eq!(tile, leaves, "40 leaf hashes");
    let (status, body) = served.get("/log/consistency?from=2&to=40", None);
    assert!(status.contains("200"), "{status} {body}");
    // Not beyond it, though the log may be longer: the live head is nobody's business.
    for beyond in ["/log/tile/0/000.p/41", "/log/consistency?from=2&to=41", "/log/tile/0/000"] {
        let (status, _) = served.get(beyond, None);
        assert!(status.contains("404"), "{beyond}: {status}");
    }
    assert!(served.stop().success());
}

/// A GET's body as bytes (a tile is not text); panics unless the answer is 200.
fn get_bytes(address: &str, path: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&answer[..split]);
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
    answer[split + 4..].to_vec()
}
