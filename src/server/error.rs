//! API errors: every failure a client can meet, as a status and a JSON body
//! `{"error": {"code", "message"}}`. A client's mistake is never a 500; a 500 says only that
//! the server failed and names the request id to look for in its log.

use axum::Json;
use axum::extract::Request;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use events::rejection::Rejection;
use serde::Serialize;

use crate::commands::CommandFailure;
use crate::store::{StoreError, StoreFailure};

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code: the rule for a refusal, the kind of mistake otherwise.
    pub code: String,
    pub message: String,
}

/// Why a request was not served.
#[derive(Debug)]
pub enum ApiError {
    /// No token, a malformed one, or one that is not (or no longer) valid.
    Unauthorized,
    /// The caller's role or facility may not do this.
    Forbidden(String),
    NotFound(String),
    /// Malformed input: bad JSON, unknown fields, a bad parameter.
    BadRequest {
        code: &'static str,
        message: String,
    },
    TooLarge,
    /// The rules refused the command: 409 for a conflict with the state, 422 for input the
    /// rules cannot accept.
    Refused {
        status: StatusCode,
        code: String,
        message: String,
    },
    /// The server lacks something it needs for this (the vault's master key).
    Unavailable(String),
    /// For a moment the server cannot serve this (the database busy past its wait, too much
    /// contention): 503 with `Retry-After`.
    TryAgain {
        code: &'static str,
        message: String,
    },
    /// The connection to the database was lost under this request: 503 with `Retry-After`,
    /// and the router runs the request again on a fresh connection first ([`retry_lost`]).
    ConnectionLost,
    /// The database was busy for a moment that running again cures (another process reset the
    /// WAL under a read): the router runs the request again first, as for a lost connection.
    Momentary,
    /// The server failed; the request id leads to the log.
    Internal {
        request_id: String,
    },
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, message: message.into() }
    }

    /// The database stayed busy past its wait: 503, and the caller may try again.
    pub fn busy(error: &StoreError) -> ApiError {
        tracing::warn!(%error, "the database was busy");
        let message = "the database is busy; try again shortly".to_owned();
        ApiError::TryAgain { code: "busy", message }
    }

    /// A failure of the server, unless it came from a passing condition of the database (busy,
    /// a lost connection), which the caller may retry.
    pub fn failed<E: std::fmt::Display + StoreFailure>(error: E, request_id: &str) -> ApiError {
        match error.store_error() {
            Some(store) if store.is_connection_lost() => {
                tracing::warn!(error = %store, request_id, "the database connection was lost");
                ApiError::ConnectionLost
            }
            Some(store) if store.is_momentary() => {
                tracing::info!(error = %store, request_id, "the database was busy for a moment");
                ApiError::Momentary
            }
            Some(store) if store.is_busy() => ApiError::busy(store),
            _ => ApiError::internal(error, request_id),
        }
    }

    pub fn internal(error: impl std::fmt::Display, request_id: &str) -> ApiError {
        tracing::error!(%error, request_id, "request failed");
        ApiError::Internal { request_id: request_id.to_owned() }
    }

    /// A refused or failed command, by what went wrong.
    pub fn from_command(failure: CommandFailure, request_id: &str) -> ApiError {
        let code = failure.code().to_owned();
        let message = failure.to_string();
        match failure {
            CommandFailure::Invalid(_) | CommandFailure::InvalidInput(_) => {
                ApiError::BadRequest { code: "invalid_command", message }
            }
            CommandFailure::Refused(rejection) => {
                let status = match rejection {
                    Rejection::NotPermitted { .. } | Rejection::WrongOrganisation { .. } => {
                        return ApiError::Forbidden(message);
                    }
                    Rejection::NotFound { .. } => StatusCode::NOT_FOUND,
                    Rejection::InvalidField { .. }
                    | Rejection::Required { .. }
                    | Rejection::DateOutOfRange { .. }
                    | Rejection::NegativeRupiah { .. }
                    | Rejection::RupiahOverflow { .. }
                    | Rejection::SystemOnlyReason { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::CONFLICT,
                };
                ApiError::Refused { status, code, message }
            }
            CommandFailure::CommandReused(_) => {
                ApiError::Refused { status: StatusCode::CONFLICT, code, message }
            }
            CommandFailure::Contention(_) => ApiError::TryAgain { code: "contention", message },
            CommandFailure::Store(error) => ApiError::store(error, request_id),
            CommandFailure::Undecodable(_) => ApiError::internal(message, request_id),
        }
    }

    pub fn store(error: StoreError, request_id: &str) -> ApiError {
        match error {
            StoreError::OutOfRange { .. } => {
                ApiError::BadRequest { code: "out_of_range", message: error.to_string() }
            }
            error => ApiError::failed(error, request_id),
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// The message this error answers with.
    pub fn message(&self) -> String {
        self.parts().2
    }

    fn parts(&self) -> (StatusCode, &str, String) {
        match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required: `Authorization: Bearer jejak_…`".to_owned(),
            ),
            ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, "forbidden", message.clone()),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message.clone()),
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, code, message.clone())
            }
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is larger than this endpoint accepts".to_owned(),
            ),
            ApiError::Refused { status, code, message } => (*status, code, message.clone()),
            ApiError::Unavailable(message) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", message.clone())
            }
            ApiError::TryAgain { code, message } => {
                (StatusCode::SERVICE_UNAVAILABLE, code, message.clone())
            }
            ApiError::ConnectionLost => (
                StatusCode::SERVICE_UNAVAILABLE,
                "connection_lost",
                "the connection to the database was lost; try again shortly".to_owned(),
            ),
            ApiError::Momentary => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the database is busy; try again shortly".to_owned(),
            ),
            ApiError::Internal { request_id } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the server failed; the log has the details under request {request_id}"),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message } };
        let mut response = (status, Json(body)).into_response();
        self.mark(&mut response);
        response
    }
}

impl ApiError {
    /// Adds what the error's answer carries beside its body: how to authenticate after a 401,
    /// when to try again after a 503, and the mark of a lost connection for [`retry_lost`].
    pub fn mark(&self, response: &mut Response) {
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized => {
                headers.insert("www-authenticate", HeaderValue::from_static("Bearer"));
            }
            ApiError::TryAgain { .. } | ApiError::ConnectionLost | ApiError::Momentary => {
                headers.insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        if matches!(self, ApiError::ConnectionLost | ApiError::Momentary) {
            response.extensions_mut().insert(LostConnection);
        }
    }
}

/// How long a client should wait before it tries a 503 again.
pub const RETRY_AFTER_SECONDS: &str = "1";
/// How many times a request that met a lost connection is run again on a fresh one.
pub const LOST_CONNECTION_RETRIES: usize = 3;

/// The mark on a response whose request met a lost database connection, or a momentary
/// busy condition: either is cured by running the request again.
#[derive(Debug, Clone, Copy)]
pub struct LostConnection;

/// Runs a request again, up to [`LOST_CONNECTION_RETRIES`] times, when it met a lost database
/// connection (a restart, a failover, a session ended by an administrator: the pool drops a
/// broken connection when it is handed back, so the next run gets a fresh one) or a momentary
/// busy condition (another process reset the SQLite WAL under a read). Safe because
/// every request is: reads are, commands are idempotent by their id, and the vault's writes
/// are upserts. A body larger than the API takes is not held for a retry.
pub async fn retry_lost(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, super::BODY_BYTES_MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                return ApiError::TooLarge.into_response();
            }
            let message = format!("the request body could not be read: {error}");
            return ApiError::bad_request("bad_body", message).into_response();
        }
    };
    let mut tries = 0;
    loop {
        let request = Request::from_parts(parts.clone(), axum::body::Body::from(bytes.clone()));
        let response = next.clone().run(request).await;
        if response.extensions().get::<LostConnection>().is_none()
            || tries == LOST_CONNECTION_RETRIES
        {
            return response;
        }
        tries += 1;
        tracing::info!(tries, "the request met a lost database connection; running it again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that gave up for contention, the database busy and a lost connection are all
    /// "try again": 503 with `Retry-After`, never a 500.
    #[test]
    fn passing_conditions_are_a_503_with_retry_after() {
        let lost = StoreError::from(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()));
        assert!(lost.is_connection_lost());
        for error in [
            ApiError::from_command(CommandFailure::Contention(40), "r1"),
            ApiError::from_command(CommandFailure::Store(lost.clone()), "r2"),
            ApiError::store(lost, "r3"),
        ] {
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[RETRY_AFTER], RETRY_AFTER_SECONDS);
        }
    }

    /// A read that met SQLite's WAL reset by another process (BUSY_SNAPSHOT, PROTOCOL) is
    /// marked to run again, as a lost connection is; a lock held past the busy timeout is not.
    #[test]
    fn a_momentary_busy_condition_is_run_again_and_a_long_one_is_not() {
        let sqlite = |code: i32| {
            let failure = rusqlite::ffi::Error::new(code);
            StoreError::from(rusqlite::Error::SqliteFailure(failure, None))
        };
        for code in [517, 15, 261] {
            let response = ApiError::failed(sqlite(code), "r").into_response();
            assert!(response.extensions().get::<LostConnection>().is_some(), "{code}");
        }
        let response = ApiError::failed(sqlite(5), "r").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.extensions().get::<LostConnection>().is_none());
    }
}
