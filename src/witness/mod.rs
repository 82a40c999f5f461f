//! `jejak witness serve` (docs/witness.md): a witness of other parties' logs, speaking the C2SP
//! `tlog-witness` protocol. A log submits each new checkpoint to `POST /add-checkpoint` with a
//! consistency proof from the last size this witness cosigned for it; the witness checks the
//! log's signature and the proof (`events::witness::judge`), records the new checkpoint
//! before it answers (`store`), and answers with its C2SP cosignature. A checkpoint that does
//! not extend what it cosigned — a fork, a rollback — is refused, also after a restart, and
//! kept as evidence.

pub mod client;
pub mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use events::checkpoint::{SigningKey, VerifyingKey};
use events::witness::{self, AddCheckpoint, Refusal};

pub use store::{WitnessStore, WitnessStoreError};

/// The largest request a witness reads: a checkpoint with its signatures and 63 proof lines.
const REQUEST_BYTES_MAX: usize = 64 * 1024;

/// A log this witness witnesses: its origin, and the name and key of its signed notes.
#[derive(Debug, Clone)]
pub struct WitnessedLog {
    pub origin: String,
    pub key_name: String,
    pub key: VerifyingKey,
}

impl WitnessedLog {
    /// Reads `ORIGIN=KEY`, the key as a signed-note verifier key (`name+id+base64`) or as the
    /// 64 hex digits of a `jejak keygen` public key (its name then the origin).
    pub fn parse(text: &str) -> Result<WitnessedLog, String> {
        let (origin, key) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: give a log as ORIGIN=PUBLIC_KEY"))?;
        if origin.is_empty() {
            return Err(format!("`{text}`: the origin is empty"));
        }
        let (key_name, key) = if key.contains('+') {
            events::note::parse_verifier_key(key).map_err(|error| format!("`{text}`: {error}"))?
        } else {
            let key = events::checkpoint::verifying_key(key.trim())
                .map_err(|error| format!("`{text}`: {error}"))?;
            (origin.to_owned(), key)
        };
        Ok(WitnessedLog { origin: origin.to_owned(), key_name, key })
    }
}

/// What a witness runs with.
pub struct Witness {
    pub name: String,
    pub key: SigningKey,
    pub logs: BTreeMap<String, WitnessedLog>,
    pub store: WitnessStore,
    /// A fault for the crash test: after recording a cosigned checkpoint, say so on stderr
    /// and never answer (the test kills the process there). Off unless
    /// `JEJAK_WITNESS_STALL_AFTER_RECORD` is set.
    pub stall_after_record: bool,
}

impl Witness {
    /// The witness's verifier key, for the logs and verifiers that trust it.
    pub fn verifier_key(&self) -> String {
        witness::verifier_key(&self.name, &self.key.verifying_key())
    }
}

pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/", get(about))
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(axum::extract::DefaultBodyLimit::max(REQUEST_BYTES_MAX))
        .with_state(witness)
}

/// Serves the witness on `addr` until the process is stopped.
pub async fn serve(witness: Witness, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // Said once it listens; a closed stdout never stops the witness.
    let greeting = format!(
        "witness key: {}\nwitness listening on {}\n",
        witness.verifier_key(),
        listener.local_addr()?
    );
    let mut stdout = std::io::stdout();
    let _ = std::io::Write::write_all(&mut stdout, greeting.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout));
    axum::serve(listener, router(Arc::new(witness))).await?;
    Ok(())
}

/// `GET /`: who this witness is and what it has cosigned, for the administrators of the logs.
async fn about(State(witness): State<Arc<Witness>>) -> Response {
    let store = witness.store.clone();
    let witnessed = tokio::task::spawn_blocking(move || store.witnessed()).await;
    let Ok(Ok(witnessed)) = witnessed else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "the witness's database cannot be read\n");
    };
    let mut body = format!("jejak witness\nkey: {}\nlogs:\n", witness.verifier_key());
    for log in witness.logs.values() {
        let size = witnessed.iter().find(|w| w.origin == log.origin).map_or(0, |w| w.size);
        body.push_str(&format!("  {} cosigned up to {size}\n", log.origin));
    }
    text(StatusCode::OK, &body)
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.to_owned()).into_response()
}

/// `POST /add-checkpoint` (C2SP tlog-witness).
async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return refused(&Refusal::Malformed("the body is not UTF-8"));
    };
    let request = match AddCheckpoint::parse(&body).and_then(|r| Ok((r.body()?, r))) {
        Ok(parsed) => parsed,
        Err(refusal) => return refused(&refusal),
    };
    let (claimed, request) = request;
    let Some(log) = witness.logs.get(&claimed.origin).cloned() else {
        return refused(&Refusal::UnknownLog(claimed.origin));
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let store = witness.store.clone();
    let origin = log.origin.clone();
    let checkpoint = request.checkpoint.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        store.add(&origin, &body, now, |known| {
            witness::judge(&request, (&log.key_name, &log.key), known)
        })
    })
    .await;
    let body = match outcome {
        Ok(Ok(Ok(body))) => body,
        Ok(Ok(Err(refusal))) => return refused(&refusal),
        Ok(Err(error)) => {
            tracing::error!(%error, "the witness could not record a checkpoint");
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the witness's database failed: try again\n",
            );
        }
        Err(error) => {
            tracing::error!(%error, "the witness's database task failed");
            return text(StatusCode::SERVICE_UNAVAILABLE, "try again\n");
        }
    };
    if witness.stall_after_record {
        errln!("witness: recorded {} at {}", body.origin, body.size);
        std::future::pending::<()>().await;
    }
    let (text_part, _) = events::note::split(&checkpoint).expect("judged, so a note");
    let cosignature = witness::cosign(text_part, &witness.name, &witness.key, now);
    tracing::info!(origin = %body.origin, size = body.size, "cosigned");
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], cosignature)
        .into_response()
}

/// A refusal as the protocol answers it; the words in Bahasa Indonesia and English.
fn refused(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if let Refusal::Conflict { latest, .. } = refusal {
        return (
            status,
            [(header::CONTENT_TYPE, witness::CONTENT_TYPE_SIZE)],
            format!("{latest}\n"),
        )
            .into_response();
    }
    if refusal.is_evidence() {
        tracing::warn!(%refusal, "refused a checkpoint that does not extend the one cosigned");
    }
    let words = match refusal {
        Refusal::Malformed(_) => {
            "Permintaan tidak sesuai protokol tlog-witness; kirim `old N`, bukti, baris kosong, checkpoint."
        }
        Refusal::UnknownLog(_) => {
            "Saksi ini tidak menyaksikan log tersebut; minta administrator saksi menambahkannya."
        }
        Refusal::Unsigned(_) => "Checkpoint tidak ditandatangani kunci log yang dikenal saksi.",
        Refusal::OldLarger { .. } => "Ukuran lama lebih besar dari ukuran checkpoint.",
        Refusal::Conflict { .. } => {
            "Ukuran lama tidak sama dengan yang terakhir ditandatangani saksi."
        }
        Refusal::Inconsistent(_) => {
            "Checkpoint tidak melanjutkan yang sudah ditandatangani saksi (cabang atau mundur): ditolak dan disimpan sebagai bukti."
        }
    };
    text(status, &format!("{words}\n{refusal}\n"))
}
