//! `/receipt/{event}`: the printable receipt of a grant handover or a certificate (docs/witness.md,
//! "Receipts"), A4 and phone, in the reader's language; `?format=json` downloads the same
//! receipt for `tools/verify_receipt.py`.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, t};
use super::{Web, page};
use crate::receipts::{Receipt, fingerprint};
use crate::server::AppState;
use crate::server::access::Scope;
use crate::server::error::ApiError;

#[derive(Debug, Default, Deserialize)]
pub struct ReceiptQuery {
    pub format: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    web: Web,
    Path(event): Path<String>,
    Query(query): Query<ReceiptQuery>,
) -> Response {
    let lang = web.lang;
    let Ok(event_id) = event.parse::<uuid::Uuid>() else {
        return web.error_page(ApiError::NotFound(t(lang, "receipt.no_event").to_owned()));
    };
    let (Some(file), Some(log_key)) = (state.checkpoints_file(), state.log_key()) else {
        return web.error_page(ApiError::Unavailable(t(lang, "receipt.no_checkpoints").to_owned()));
    };
    let signed = match crate::checkpoints::read_file(file) {
        Ok(signed) => signed,
        Err(error) => {
            tracing::error!(%error, "the checkpoints file cannot be read for a receipt");
            return web
                .error_page(ApiError::Unavailable(t(lang, "receipt.no_checkpoints").to_owned()));
        }
    };
    let witnesses = state.witness_keys();
    let store = &state.inner.store;
    let receipt = match crate::receipts::make(store, event_id, &signed, log_key, &witnesses).await {
        Ok(receipt) => receipt,
        Err(crate::receipts::ReceiptError::NoSuchEvent(_)) => {
            return web.error_page(ApiError::NotFound(t(lang, "receipt.no_event").to_owned()));
        }
        Err(crate::receipts::ReceiptError::NotReceiptable(_)) => {
            return web
                .error_page(ApiError::NotFound(t(lang, "receipt.not_receiptable").to_owned()));
        }
        Err(error) => return web.error_page(ApiError::failed(error, &web.request_id)),
    };
    if !may_see(&web, &receipt) {
        return web.error_page(ApiError::Forbidden(t(lang, "ui.forbidden").to_owned()));
    }
    if query.format.as_deref() == Some("json") {
        let name = format!("attachment; filename=\"tanda-terima-{event_id}.json\"");
        let body = serde_json::to_string_pretty(&receipt).expect("a receipt serialises") + "\n";
        let headers = [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ];
        return (headers, body).into_response();
    }
    page(&web, "receipt", t(lang, "receipt.title"), body(lang, &receipt, log_key, &witnesses))
}

/// Who may open a receipt: the roles that read the log; facility staff for events of their
/// facility; the training office's staff for events their organisation recorded.
fn may_see(web: &Web, receipt: &Receipt) -> bool {
    match Scope::of(&web.user) {
        Scope::All => true,
        Scope::Facility(facility) => receipt.event.facility.as_deref() == Some(facility.as_str()),
        Scope::Provider(organisation) => receipt.event.organisation == organisation,
        Scope::Aggregates => false,
    }
}

fn body(
    lang: Lang,
    receipt: &Receipt,
    log_key: &events::checkpoint::VerifyingKey,
    witnesses: &[(String, events::checkpoint::VerifyingKey)],
) -> Markup {
    let event = &receipt.event;
    let kind =
        if event.event_type == "GrantHandedOver" { "receipt.grant" } else { "receipt.certificate" };
    let payload: Vec<(String, String)> = serde_json::from_str::<serde_json::Value>(&event.payload)
        .ok()
        .and_then(|value| value.as_object().cloned())
        .map(|object| {
            object
                .into_iter()
                .map(|(k, v)| (k, v.to_string().trim_matches('"').to_owned()))
                .collect()
        })
        .unwrap_or_default();
    html! {
        style { (PRINT_CSS) }
        section.receipt #receipt {
            p.lead { (t(lang, kind)) " · " (t(lang, "receipt.lead")) }
            @if let Some(pending) = &receipt.pending {
                p.msg.warn #pending { (t(lang, "receipt.pending")) " " (pending) }
            }
            h2 { (t(lang, "receipt.event")) }
            dl {
                dt { (t(lang, "receipt.position")) } dd { (event.position) }
                dt { (t(lang, "receipt.occurred")) } dd { (event.occurred_at) }
                dt { (t(lang, "receipt.recorded")) } dd { (event.recorded_at) }
                dt { (t(lang, "ui.who")) } dd { (event.actor) " (" (event.organisation) ")" }
                @for (key, value) in &payload { dt { (key) } dd { (value) } }
                dt { (t(lang, "ui.hash")) } dd.hash { (event.hash) }
            }
            @if let (Some(size), Some(checkpoint)) = (receipt.tree_size, &receipt.checkpoint) {
                h2 { (t(lang, "receipt.proof")) }
                p { (t(lang, "receipt.proof_lead")) " " (size) "." }
                ol.hash { @for hash in &receipt.proof { li { (hash) } } }
                h2 { (t(lang, "receipt.checkpoint")) }
                pre.hash { (checkpoint) }
                p { (t(lang, "receipt.cosigned_by")) " " (receipt.cosigned_by.join(", ")) }
            }
            h2 { (t(lang, "receipt.keys")) }
            dl {
                dt { (t(lang, "receipt.log_key")) } dd.hash { (receipt.log_key) br; (t(lang, "receipt.fingerprint")) " " (fingerprint(log_key)) }
                @for (name, key) in witnesses {
                    dt { (t(lang, "ui.witness")) " " (name) } dd.hash { (events::witness::verifier_key(name, key)) br; (t(lang, "receipt.fingerprint")) " " (fingerprint(key)) }
                }
            }
            p.meta { (t(lang, "receipt.verify")) }
            p.noprint { a href={ "/receipt/" (event.event_id) "?format=json" } download { (t(lang, "receipt.download")) } }
        }
    }
}

/// A4 and phone: the receipt alone on paper, hashes wrapped on narrow screens.
const PRINT_CSS: &str = "#receipt .hash{overflow-wrap:anywhere;font-family:monospace;font-size:.85em}\
    #receipt dl{display:grid;grid-template-columns:minmax(8em,max-content) 1fr;gap:.2em 1em}\
    @media (max-width:40em){#receipt dl{grid-template-columns:1fr}}\
    @media print{@page{size:A4;margin:15mm}header,nav,footer,.noprint{display:none!important}\
    #receipt{font-size:10pt}}";
