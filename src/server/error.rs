//! API errors: every failure a client can meet, as a status and a JSON body
//! `{"error": {"code", "message"}}`. A client's mistake is never a 500; a 500 says only that
//! the server failed and names the request id to look for in its log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use events::rejection::Rejection;
use serde::Serialize;

use crate::commands::CommandFailure;
use crate::store::StoreError;

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
        ApiError::Unavailable("the database is busy; try again shortly".to_owned())
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
            CommandFailure::Contention(_) => {
                ApiError::Refused { status: StatusCode::SERVICE_UNAVAILABLE, code, message }
            }
            CommandFailure::Store(error) if error.is_busy() => ApiError::busy(&error),
            CommandFailure::Undecodable(_) | CommandFailure::Store(_) => {
                ApiError::internal(message, request_id)
            }
        }
    }

    pub fn store(error: StoreError, request_id: &str) -> ApiError {
        match error {
            error if error.is_busy() => ApiError::busy(&error),
            StoreError::OutOfRange { .. } => {
                ApiError::BadRequest { code: "out_of_range", message: error.to_string() }
            }
            error => ApiError::internal(error, request_id),
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
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
