//! `/openapi.json`: the API described from the handlers' own annotations, so it cannot drift
//! from the code (a test calls every documented endpoint and checks the answers against it).

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jejak",
        description = "An event-sourced audit system for vocational training of inmates and the public. Every /api/ endpoint needs `Authorization: Bearer <token>` (`jejak user add`).",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        api::healthz,
        api::metrics,
        api::me,
        api::status,
        api::command,
        api::views,
        api::view,
        api::audit,
        api::compliance,
        api::events,
        api::live,
        api::personal_data,
        api::put_personal_data,
        api::person_lookup,
        api::forget,
        api::subject_access,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health and metrics, public"),
        (name = "access", description = "Who is calling, and the state of the log"),
        (name = "commands", description = "Every action, decided by the rules"),
        (name = "views", description = "Reports, now or as of a past moment"),
        (name = "history", description = "Audit trails and the compliance review"),
        (name = "log", description = "The raw log, by position and live"),
        (name = "personal data", description = "The vault: names and identifiers, apart from the log"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document (public).
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
