//! The register where there is no signal (docs/dashboard.md, "The offline register"): the one
//! place the dashboard uses script. `offline.js` keeps the registers "Tugas saya" lists on the
//! device, takes registers with no connection into a queue on the device with the command ids
//! their pages were drawn with, and sends the queue, under the user who took it, once the
//! server answers; `sw.js`, the service worker, opens kept pages when the network does not.
//! Both are written for this page, fetch nothing from elsewhere, and are served from here.
//! Every other page works without them.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use events::vocabulary::Role;
use maud::{Markup, html};
use serde_json::json;

use super::i18n::{Lang, t};
use super::{PageError, Web, catalogue};
use crate::server::AppState;

/// The page's script: the queue, the kept registers, sending.
pub const SCRIPT: &str = include_str!("offline.js");
/// The service worker: kept pages when the network fails.
pub const WORKER: &str = include_str!("sw.js");

/// How many days a register kept on a device for offline use stays there, at most: the week
/// "Tugas saya" looks ahead. It is removed sooner once sent, once it no longer waits in
/// "Tugas saya", and when its user signs out.
pub const KEEP_DAYS: u32 = 7;

/// The words the script shows, by the key it asks for.
const WORDS: [&str; 20] = [
    "heading",
    "ready",
    "waiting",
    "sending",
    "written",
    "already",
    "refused",
    "kept",
    "prefilled",
    "sign_in",
    "other_user",
    "drop_line",
    "seen",
    "unsent",
    "send_now",
    "keep",
    "delete",
    "cancel",
    "no_connection",
    "kept_for",
];

/// Whether pages load the offline script for this role: those that take registers.
pub fn uses(role: Role) -> bool {
    catalogue::may_use(role, "record_attendance")
}

/// Where the script shows the queue, with its words in the page's language.
pub fn panel(lang: Lang) -> Markup {
    let words: serde_json::Map<String, serde_json::Value> = WORDS
        .iter()
        .map(|key| ((*key).to_owned(), json!(t(lang, &format!("offline.{key}")))))
        .collect();
    let words = serde_json::Value::Object(words).to_string();
    html! {
        section #offline hidden aria-live="polite" data-words=(words) data-keep-days=(KEEP_DAYS) {
            h2 { (t(lang, "offline.heading")) }
            p #offline-state {}
            ul #offline-queue {}
        }
    }
}

fn javascript(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // The device checks for a new version on every visit online.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub async fn script() -> Response {
    javascript(SCRIPT)
}

pub async fn worker() -> Response {
    javascript(WORKER)
}

/// Who is signed in, and the token their posts must carry: what the script sends a queue
/// under. 401 when nobody is (the queue waits for a sign-in).
pub async fn who(State(_): State<AppState>, web: Result<Web, PageError>) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    match web {
        Ok(web) => {
            (no_store, axum::Json(json!({"user": web.user.name, "csrf": web.csrf}))).into_response()
        }
        Err(PageError::SignIn) => {
            (StatusCode::UNAUTHORIZED, no_store, axum::Json(json!({"outcome": "sign_in"})))
                .into_response()
        }
        Err(PageError::Page(page)) => page,
    }
}
