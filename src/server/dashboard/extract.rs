//! The evaluator's extract from the recidivism page: a form, shown to the evaluator role
//! only, that takes the person-level extract for a purpose (recorded in the access log) and
//! downloads it as CSV; its data dictionary beside it (docs/vault.md).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use events::vocabulary::Role;
use maud::{Markup, html};

use super::i18n::t;
use super::{Web, accessor, forms};
use crate::extract::{ExtractError, dictionary_csv, take};
use crate::server::AppState;
use crate::server::error::ApiError;

/// The form, for an evaluator; nothing for anyone else.
pub fn form(web: &Web) -> Markup {
    if web.user.role != Role::Evaluator {
        return html! {};
    }
    let lang = web.lang;
    html! {
        section.extract {
            h2 { (t(lang, "extract.title")) }
            p { (t(lang, "extract.intro")) }
            form method="post" action="/recidivism/extract" {
                input type="hidden" name="csrf" value=(web.csrf);
                label for="purpose" { (t(lang, "extract.purpose")) }
                input #purpose type="text" name="purpose" required minlength="10" maxlength="500";
                button type="submit" { (t(lang, "extract.take")) }
            }
            p { a href="/recidivism/extract/dictionary" download { (t(lang, "extract.dictionary")) } }
        }
    }
}

/// Takes the extract and answers it as a CSV download.
pub async fn take_extract(
    State(state): State<AppState>,
    web: Web,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let lang = web.lang;
    let Ok(Form(pairs)) = form else {
        return web.error_page(ApiError::bad_request("bad_form", t(lang, "ui.csrf")));
    };
    let typed = forms::values(pairs);
    if !web.csrf_ok(typed.get("csrf").map(String::as_str)) {
        return web.error_page(ApiError::Forbidden(t(lang, "ui.csrf").to_owned()));
    }
    let purpose = typed.get("purpose").map(String::as_str).unwrap_or_default();
    let inner = &state.inner;
    let options = projections::report::Options::default();
    let now = inner.clock.now();
    match take(&inner.store, &inner.projector, &options, &accessor(&web), purpose, now).await {
        Ok(extract) => {
            let name = format!("attachment; filename=\"recidivism-extract-{}.csv\"", extract.id);
            let headers = [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, name),
            ];
            (headers, extract.csv()).into_response()
        }
        Err(error @ ExtractError::NotEvaluator(_)) => {
            web.error_page(ApiError::Forbidden(error.to_string()))
        }
        Err(error @ ExtractError::NoPurpose) => {
            web.error_page(ApiError::bad_request("bad_form", error.to_string()))
        }
        Err(error) => web.error_page(ApiError::failed(error, &web.request_id)),
    }
}

/// The data dictionary as a CSV download.
pub async fn dictionary(_web: Web) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"recidivism-extract.dictionary.csv\""),
    ];
    (headers, dictionary_csv()).into_response()
}
