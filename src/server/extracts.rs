//! The evaluator's person-level extract over HTTP (docs/api.md, docs/vault.md): the same
//! extract as `jejak report recidivism --person-level`, as CSV, for the evaluator role only,
//! with a purpose recorded in the access log; and its data dictionary.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::api::{Caller, ViewParams, query};
use super::error::{ApiError, ErrorBody};
use crate::extract::{ExtractError, take};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExtractQuery {
    /// Why the extract is taken, recorded in the access log: the agreement and the study
    /// (at least 10 characters).
    #[param(min_length = 10, max_length = 500)]
    pub purpose: String,
    pub facility: Option<String>,
    /// Recidivism data cut-off.
    pub cut_off: Option<NaiveDate>,
    /// Recidivism waiting period, months.
    #[param(minimum = 0, maximum = 60)]
    pub waiting_months: Option<u32>,
    /// Releases from this day.
    pub from: Option<NaiveDate>,
    /// Releases up to this day (included).
    pub to: Option<NaiveDate>,
}

/// The recidivism report's person-level extract (definition 2): one row per release of the
/// period, people named by a pseudonym made for this extract alone. The evaluator role only;
/// every extract is recorded in the access log with its purpose. Small-count rules do not
/// apply (docs/vault.md says why and what the evaluator signs).
#[utoipa::path(get, path = "/api/extracts/recidivism", tag = "views", security(("bearer" = [])),
    params(ExtractQuery),
    responses(
        (status = 200, description = "The extract; the data dictionary is at /api/extracts/recidivism/dictionary", body = String, content_type = "text/csv"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub async fn recidivism(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ExtractQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let wanted = ViewParams {
        facility: params.facility,
        cut_off: params.cut_off,
        waiting_months: params.waiting_months,
        from: params.from,
        to: params.to,
        ..ViewParams::default()
    };
    wanted.check()?;
    let options = projections::report::Options {
        facility: wanted.facility,
        cut_off: wanted.cut_off,
        waiting_months: wanted.waiting_months,
        from: wanted.from,
        to: wanted.to,
        ..projections::report::Options::default()
    };
    let inner = &state.inner;
    let who = caller.accessor();
    let now = inner.clock.now();
    let extract = take(&inner.store, &inner.projector, &options, &who, &params.purpose, now)
        .await
        .map_err(|error| match error {
            ExtractError::NotEvaluator(_) => ApiError::Forbidden(error.to_string()),
            ExtractError::NoPurpose => ApiError::bad_request("bad_query", error.to_string()),
            error => ApiError::failed(error, &caller.request_id),
        })?;
    let disposition = format!("attachment; filename=\"recidivism-extract-{}.csv\"", extract.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        extract.csv(),
    )
        .into_response())
}

/// The person-level extract's data dictionary: each column's name, type and meaning.
#[utoipa::path(get, path = "/api/extracts/recidivism/dictionary", tag = "views", security(("bearer" = [])),
    responses(
        (status = 200, description = "column, type, meaning", body = String, content_type = "text/csv"),
        (status = 401, body = ErrorBody),
    ))]
pub async fn dictionary(_caller: Caller) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], crate::extract::dictionary_csv())
        .into_response()
}
