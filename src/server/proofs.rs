//! Proofs from the log's Merkle tree over HTTP (docs/merkle.md): inclusion proofs for the roles
//! that read the log's events, consistency proofs for any user, and the public, read-only
//! `/log/` endpoints (no token) that let an outside party follow the log's growth and check
//! consistency without seeing any event: the latest checkpoint and the tree's tiles in C2SP
//! tlog-tiles paths.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::access;
use super::api::{Caller, query};
use super::error::{ApiError, ErrorBody};
use crate::tree::{self, TreeError};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    /// The event's id.
    pub event: Uuid,
    /// The tree size to prove it in (default: the log's head).
    #[param(minimum = 1)]
    pub size: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The smaller tree size.
    pub from: u64,
    /// The larger tree size.
    pub to: u64,
}

/// An inclusion proof (docs/merkle.md); hashes in standard base64.
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionBody {
    pub event_id: Uuid,
    pub position: i64,
    pub leaf_index: u64,
    pub tree_size: u64,
    pub chain_hash: String,
    pub leaf_hash: String,
    pub root: String,
    pub proof: Vec<String>,
}

/// A consistency proof (docs/merkle.md); hashes in standard base64.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyBody {
    pub from: u64,
    pub to: u64,
    pub from_root: String,
    pub to_root: String,
    pub proof: Vec<String>,
}

fn tree_error(error: TreeError, request_id: &str) -> ApiError {
    match error {
        TreeError::NoSuchEvent(id) => ApiError::NotFound(format!("event {id}")),
        error @ (TreeError::BeyondHead { .. } | TreeError::SizesOutOfOrder { .. }) => {
            ApiError::bad_request("bad_query", error.to_string())
        }
        TreeError::Store(error) => ApiError::store(error, request_id),
        other => ApiError::failed(other, request_id),
    }
}

/// The proof that an event is in the log's tree.
#[utoipa::path(get, path = "/api/proofs/inclusion", tag = "log", security(("bearer" = [])), params(InclusionQuery),
    responses((status = 200, body = InclusionBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn inclusion(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<InclusionBody>, ApiError> {
    if !access::may_read_log(caller.user.role) {
        return Err(caller.forbidden("prove an event of the log"));
    }
    let params = query(params)?;
    let proof = tree::prove_inclusion(&state.inner.store, params.event, params.size)
        .await
        .map_err(|error| tree_error(error, &caller.request_id))?;
    Ok(Json(InclusionBody {
        event_id: proof.event_id,
        position: proof.position,
        leaf_index: proof.leaf_index,
        tree_size: proof.tree_size,
        chain_hash: tree::base64(&proof.chain_hash),
        leaf_hash: tree::base64(&proof.leaf_hash),
        root: tree::base64(&proof.root),
        proof: proof.proof.iter().map(tree::base64).collect(),
    }))
}

/// The proof that the log's tree of `from` events is a prefix of its tree of `to`.
#[utoipa::path(get, path = "/api/proofs/consistency", tag = "log", security(("bearer" = [])), params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn consistency(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyBody>, ApiError> {
    let params = query(params)?;
    consistency_body(&state, params, &caller.request_id).await.map(Json)
}

async fn consistency_body(
    state: &AppState,
    params: ConsistencyQuery,
    request_id: &str,
) -> Result<ConsistencyBody, ApiError> {
    let proof = tree::prove_consistency(&state.inner.store, params.from, params.to)
        .await
        .map_err(|error| tree_error(error, request_id))?;
    Ok(ConsistencyBody {
        from: proof.from,
        to: proof.to,
        from_root: tree::base64(&proof.from_root),
        to_root: tree::base64(&proof.to_root),
        proof: proof.proof.iter().map(tree::base64).collect(),
    })
}

/// The latest tree checkpoint the server signed, as its note.
fn latest_note(state: &AppState) -> Option<String> {
    let signed = crate::checkpoints::read_file(state.checkpoints_file()?).ok()?;
    signed.into_iter().rev().find_map(|(_, signed)| match signed {
        crate::checkpoints::Signed::Note(found) => Some(found.note),
        crate::checkpoints::Signed::Chain(_) => None,
    })
}

/// How far the public may follow the log: the size of the latest checkpoint, never the live
/// head (which would tell anyone, to the second, how much is being recorded).
fn published_size(state: &AppState) -> Option<u64> {
    let note = latest_note(state)?;
    let size = crate::checkpoints::Signed::Note(crate::checkpoints::NoteCheckpoint { note });
    u64::try_from(size.position()).ok()
}

fn unpublished() -> Response {
    let message = "not published: the public follows the log up to its latest signed checkpoint \
                   (GET /log/checkpoint)";
    (StatusCode::NOT_FOUND, message).into_response()
}

/// `GET /log/consistency?from=&to=`, public: the same as the API's, up to the latest signed
/// checkpoint.
pub async fn public_consistency(
    State(state): State<AppState>,
    params: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    if published_size(&state).is_none_or(|size| params.to > size) {
        return unpublished();
    }
    match consistency_body(&state, params, "public").await {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /log/checkpoint`, public: the latest tree checkpoint the server signed, as its signed
/// note (C2SP tlog-tiles serves it at `<prefix>/checkpoint`).
pub async fn checkpoint(State(state): State<AppState>) -> Response {
    match latest_note(&state) {
        Some(note) => {
            let headers = [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ];
            (headers, note).into_response()
        }
        None => {
            let message = "this server signs no checkpoints (jejak serve --checkpoint-key)";
            (StatusCode::NOT_FOUND, message).into_response()
        }
    }
}

/// `GET /log/keys`, public: the log's checkpoint key and its witnesses' keys, each as a
/// verifier key with its fingerprint, so that anyone holding a receipt can check it with keys
/// they did not get from the receipt.
pub async fn keys(State(state): State<AppState>) -> Response {
    let Some(log_key) = state.log_key() else {
        let message = "this server signs no checkpoints (jejak serve --checkpoint-key)";
        return (StatusCode::NOT_FOUND, message).into_response();
    };
    let origin = latest_note(&state)
        .and_then(|note| note.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let vkey = events::note::verifier_key(&origin, log_key).unwrap_or_default();
    let fingerprint = crate::receipts::fingerprint;
    let mut text = format!("log {vkey}\nfingerprint {}\n", fingerprint(log_key));
    for (name, key) in state.witness_keys() {
        let vkey = events::witness::verifier_key(&name, &key);
        text.push_str(&format!("witness {vkey}\nfingerprint {}\n", fingerprint(&key)));
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// A tile's coordinates from its C2SP path: `N` in groups of three digits, all but the last
/// prefixed `x`, and `.p/W` for a partial tile.
fn tile_path(path: &str) -> Option<(u64, Option<u64>)> {
    let (index, width) = match path.split_once(".p/") {
        Some((index, width)) => {
            let width: u64 = width.parse().ok().filter(|w| (1..tree::TILE_WIDTH).contains(w))?;
            (index, Some(width))
        }
        None => (path, None),
    };
    let segments: Vec<&str> = index.split('/').collect();
    let (last, groups) = segments.split_last()?;
    let mut number = String::new();
    for group in groups {
        number.push_str(group.strip_prefix('x').filter(|g| g.len() == 3)?);
    }
    if last.len() != 3 {
        return None;
    }
    number.push_str(last);
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((number.parse().ok()?, width))
}

/// `GET /log/tile/{level}/{N}[.p/{W}]`, public: the tile's hashes, `W × 32` bytes (256 for a
/// full tile), as far as the latest signed checkpoint. Level 0 is the leaf hashes, computed from
/// the events' chain hashes; higher levels are the stored tiles. A full tile never changes.
pub async fn tile(
    State(state): State<AppState>,
    Path((level, rest)): Path<(String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such tile").into_response();
    let (Ok(level), Some((index, width))) = (level.parse::<u8>(), tile_path(&rest)) else {
        return not_found();
    };
    let Some(published) = published_size(&state) else { return unpublished() };
    // The hashes of this level the published tree holds in all, and in this tile.
    let span = tree::TILE_WIDTH.checked_pow(u32::from(level)).unwrap_or(u64::MAX);
    let first = index.saturating_mul(tree::TILE_WIDTH);
    let held = (published / span).saturating_sub(first).min(tree::TILE_WIDTH);
    let wanted = width.unwrap_or(tree::TILE_WIDTH);
    if wanted > held {
        return not_found();
    }
    match tree::tile_hashes(&state.inner.store, level, index).await {
        Ok(Some(hashes)) if hashes.len() as u64 >= wanted => {
            let bytes: Vec<u8> = hashes[..wanted as usize].concat();
            let cache =
                if width.is_none() { "public, max-age=31536000, immutable" } else { "no-store" };
            let headers = [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, cache),
            ];
            (headers, bytes).into_response()
        }
        Ok(_) => not_found(),
        Err(error) => tree_error(error, "public").into_response(),
    }
}
