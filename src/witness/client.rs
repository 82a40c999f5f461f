//! The log's side of witnessing (docs/witness.md): `jejak serve --witness URL=KEY` submits the
//! latest checkpoint of its checkpoints file to each witness with a consistency proof from the
//! size that witness last cosigned, checks the cosignature it gets back, and appends the
//! cosigned checkpoint to the file, where verifiers and evidence bundles find it. A witness
//! that is down delays nothing: submission runs beside the server, is retried every
//! `RETRY_EVERY`, and each witness's state is shown on `/api/status` and `/metrics`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use events::Timestamp;
use events::checkpoint::VerifyingKey;
use events::witness::{self, AddCheckpoint};
use serde::Serialize;

use crate::checkpoints::{NoteCheckpoint, Signed};
use crate::store::Store;

/// How often the latest checkpoint is offered to the witnesses that have not cosigned it.
pub const RETRY_EVERY: Duration = Duration::from_secs(10);
/// How long one request to a witness may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A witness of this log: where it listens, and its name and key.
#[derive(Debug, Clone)]
pub struct WitnessEndpoint {
    pub url: String,
    pub name: String,
    pub key: VerifyingKey,
}

impl WitnessEndpoint {
    /// Reads `URL=KEY`, the key a cosigner verifier key (`name+keyid+base64(0x04 ‖ key)`).
    pub fn parse(text: &str) -> Result<WitnessEndpoint, String> {
        let (url, key) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: give a witness as URL=KEY (its verifier key)"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("`{text}`: the URL starts with http:// or https://"));
        }
        let (name, key) =
            witness::parse_verifier_key(key).map_err(|error| format!("`{text}`: {error}"))?;
        Ok(WitnessEndpoint { url: url.trim_end_matches('/').to_owned(), name, key })
    }
}

/// What is known of one witness, as `/api/status` shows it.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct WitnessState {
    pub name: String,
    pub url: String,
    /// The largest checkpoint it has cosigned since the server started (or before, as the
    /// witness told it), if any.
    pub cosigned_size: Option<u64>,
    pub cosigned_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// Why the last attempt failed; absent once it succeeded.
    pub last_error: Option<String>,
    pub failures: u64,
}

/// The witnesses of a server and their states.
pub struct Witnesses {
    endpoints: Vec<WitnessEndpoint>,
    states: Mutex<Vec<WitnessState>>,
    client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("cannot reach the witness: {0}")]
    Unreachable(String),
    #[error("the witness refused the checkpoint ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("the witness has cosigned {0} events, more than this checkpoint holds")]
    Ahead(u64),
    #[error("the witness's answer is not a valid cosignature: {0}")]
    BadCosignature(String),
    #[error("the consistency proof cannot be made: {0}")]
    Proof(#[from] crate::tree::TreeError),
}

impl Witnesses {
    pub fn new(endpoints: Vec<WitnessEndpoint>) -> Result<Witnesses, reqwest::Error> {
        let states = endpoints
            .iter()
            .map(|e| WitnessState {
                name: e.name.clone(),
                url: e.url.clone(),
                ..Default::default()
            })
            .collect();
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        Ok(Witnesses { endpoints, states: Mutex::new(states), client })
    }

    /// Each witness's name and key.
    pub fn keys(&self) -> Vec<(String, VerifyingKey)> {
        self.endpoints.iter().map(|e| (e.name.clone(), e.key)).collect()
    }

    pub fn states(&self) -> Vec<WitnessState> {
        self.states.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Offers the latest checkpoint of `file` to every witness that has not cosigned it, and
    /// appends each cosigned copy to the file.
    pub async fn offer_latest(&self, store: &Store, file: &Path, now: Timestamp) {
        let Some((size, note)) = latest_note(file) else { return };
        for (index, endpoint) in self.endpoints.iter().enumerate() {
            let cosigned = self.states()[index].cosigned_size;
            if cosigned.is_some_and(|cosigned| cosigned >= size) {
                continue;
            }
            let outcome = self.submit(store, endpoint, &note, size, cosigned.unwrap_or(0)).await;
            let outcome = outcome.and_then(|cosigned| {
                crate::checkpoints::append_to_file(file, &NoteCheckpoint { note: cosigned })
                    .map_err(|error| {
                        SubmitError::Unreachable(format!("the checkpoints file: {error}"))
                    })
            });
            let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
            let state = &mut states[index];
            state.last_attempt_at = Some(now.to_string());
            match outcome {
                Ok(()) => {
                    tracing::info!(witness = %endpoint.name, size, "checkpoint cosigned");
                    state.cosigned_size = Some(size);
                    state.cosigned_at = Some(now.to_string());
                    state.last_error = None;
                }
                Err(error) => {
                    tracing::warn!(witness = %endpoint.name, %error, "checkpoint not cosigned; retrying");
                    state.failures += 1;
                    state.last_error = Some(error.to_string());
                }
            }
        }
    }

    /// Submits `note` (of `size` events) to `endpoint`, believing it last cosigned `old`; on
    /// 409 once more from the size it names. The note with the cosignature added.
    async fn submit(
        &self,
        store: &Store,
        endpoint: &WitnessEndpoint,
        note: &str,
        size: u64,
        old: u64,
    ) -> Result<String, SubmitError> {
        let mut old = old;
        for _ in 0..2 {
            let proof = if old == 0 || old >= size {
                Vec::new()
            } else {
                crate::tree::prove_consistency(store, old, size).await?.proof
            };
            let request = AddCheckpoint { old, proof, checkpoint: note.to_owned() };
            let response = self
                .client
                .post(format!("{}/add-checkpoint", endpoint.url))
                .body(request.encode())
                .send()
                .await
                .map_err(|error| SubmitError::Unreachable(error.to_string()))?;
            let status = response.status().as_u16();
            let body =
                response.text().await.map_err(|e| SubmitError::Unreachable(e.to_string()))?;
            match status {
                200 => return cosigned(note, &body, endpoint),
                409 => {
                    let latest: u64 = body
                        .trim()
                        .parse()
                        .map_err(|_| SubmitError::Refused { status, body: body.clone() })?;
                    if latest > size {
                        return Err(SubmitError::Ahead(latest));
                    }
                    old = latest;
                }
                _ => return Err(SubmitError::Refused { status, body: body.trim().to_owned() }),
            }
        }
        Err(SubmitError::Refused {
            status: 409,
            body: "the size the witness names moved twice".into(),
        })
    }
}

/// `note` with the witness's cosignature lines added, once its own is checked.
fn cosigned(note: &str, lines: &str, endpoint: &WitnessEndpoint) -> Result<String, SubmitError> {
    let together = format!("{note}{lines}");
    witness::cosignature_time(&together, &endpoint.name, &endpoint.key)
        .map_err(|error| SubmitError::BadCosignature(error.to_string()))?;
    Ok(together)
}

/// The largest tree checkpoint of the checkpoints file, with its size.
fn latest_note(file: &Path) -> Option<(u64, String)> {
    let checkpoints = crate::checkpoints::read_file(file).ok()?;
    checkpoints
        .into_iter()
        .filter_map(|(_, signed)| match signed {
            Signed::Note(found) => {
                Some((Signed::Note(found.clone()).position() as u64, found.note))
            }
            Signed::Chain(_) => None,
        })
        .max_by_key(|(size, _)| *size)
}

/// Offers the latest checkpoint to the witnesses every `RETRY_EVERY` until `stop` fires.
pub async fn keep_offering(
    store: Store,
    witnesses: std::sync::Arc<Witnesses>,
    file: PathBuf,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(RETRY_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        witnesses.offer_latest(&store, &file, clock.now()).await;
    }
}
