//! `/openapi.json`: the API described from the handlers' own annotations, so it cannot drift
//! from the code (a test calls every documented endpoint and checks the answers against it).

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
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
        super::extracts::recidivism,
        super::extracts::dictionary,
        super::proofs::inclusion,
        super::proofs::consistency,
    ),
    modifiers(&BearerAuth, &Exact),
    tags(
        (name = "operations", description = "Health and metrics, public"),
        (name = "access", description = "Who is calling, and the state of the log"),
        (name = "commands", description = "Every action, decided by the rules"),
        (name = "views", description = "Reports, now or as of a past moment"),
        (name = "history", description = "Audit trails and the compliance review"),
        (name = "log", description = "The raw log, by position and live, and proofs from its Merkle tree"),
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

/// Makes the document say exactly what the server accepts and answers where the handlers'
/// annotations cannot: the names a path segment takes (views, commands, audit subjects, from
/// the same lists the server checks against), the command envelope, and the answers every
/// endpoint of a kind may give — 401 and 503 (the database busy or its connection lost) for
/// every authenticated one, 400 for every one with parameters, 400 and 413 for every body.
struct Exact;

impl Modify for Exact {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                name_path_values(operation);
                if let Some(body) = &mut operation.request_body {
                    command_envelope(body);
                }
                answers_of_its_kind(operation);
            }
        }
    }
}

/// The values of the path segments that name a view, a command or an audit subject.
fn name_path_values(operation: &mut Operation) {
    let views: Vec<&str> = projections::views::all().iter().map(|view| view.name).collect();
    let subjects = ["person", "participation", "package", "grant", "actor"];
    for parameter in operation.parameters.iter_mut().flatten() {
        let RefOr::T(parameter) = parameter else { continue };
        let values: &[&str] = match parameter.name.as_str() {
            "view" => &views,
            "command" => events::command::Command::NAMES,
            "subject" => &subjects,
            _ => continue,
        };
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .build();
        parameter.schema = Some(RefOr::T(Schema::Object(schema)));
    }
}

/// The command body: the envelope every command has (docs/commands.md), and its own fields.
fn command_envelope(body: &mut RefOr<RequestBody>) {
    let RefOr::T(body) = body else { return };
    let Some(RefOr::T(content)) = body.content.get_mut("application/json") else { return };
    let is_free_object = matches!(&content.schema, Some(RefOr::T(Schema::Object(object)))
        if object.properties.is_empty() && object.required.is_empty());
    if !is_free_object {
        return;
    }
    let text = |max: usize, description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(max))
            .description(Some(description))
            .build()
    };
    let envelope = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "command_id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .description(Some("The idempotency key: a retry with it writes nothing new")),
        )
        .required("command_id")
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The command; when given, the path's"))
                .enum_values(Some(events::command::Command::NAMES.iter().copied())),
        )
        .property(
            "occurred_at",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .description(Some(
                    "When it happened (RFC 3339); default: the command's date, or now",
                )),
        )
        .property(
            "reason",
            text(events::limits::REASON_BYTES_MAX, "Why; required by some commands"),
        )
        .property(
            "document_ref",
            text(events::limits::DOCUMENT_REF_BYTES_MAX, "The document behind the action"),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .description(Some("The envelope, and the command's own fields (docs/commands.md)"))
        .build();
    content.schema = Some(RefOr::T(Schema::Object(envelope)));
}

/// The answers every endpoint of its kind may give, where its annotation leaves them out.
fn answers_of_its_kind(operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|security| !security.is_empty());
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = operation.request_body.is_some();
    let answers = [
        (secured, "401", "No token, or one that is not (or no longer) valid"),
        (
            secured,
            "503",
            "The database is busy, its connection was lost, or the streams are too contended: \
             try again after `Retry-After` seconds",
        ),
        (has_parameters || has_body, "400", "A malformed parameter or body"),
        (has_body, "413", "A body over 256 KiB"),
    ];
    for (applies, status, description) in answers {
        if !applies || operation.responses.responses.contains_key(status) {
            continue;
        }
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
            )
            .build();
        operation.responses.responses.insert(status.to_owned(), RefOr::T(response));
    }
}

/// The OpenAPI document (public).
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
