//! Forgetting a person and the subject-access export, shared by the CLI and the API
//! (docs/vault.md).

use events::command::{Command, CommandEnvelope, ErasePersonalData};
use events::rejection::Rejection;
use events::{Timestamp, ids, streams};
use projections::audit::{Entry, SubjectKind};
use projections::projection::Config;
use uuid::Uuid;

use crate::commands::{CommandFailure, CommandLoop, Issuer};
use crate::store::Store;
use crate::vault::{AccessEntry, Accessor, PersonalData, Vault, VaultError};

/// The namespace of erasure command ids: the same person and legal basis give the same id, so
/// a retried `forget` writes nothing twice.
const ERASURE_NAMESPACE: Uuid = Uuid::from_u128(0x6a65_6a61_6b2d_6572_6173_7572_6500_0000);

#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Command(#[from] CommandFailure),
}

/// Destroys the person's key and record, then records `PersonalDataErased` in the log; returns
/// that event's position. The key goes first: if the log append fails, the data is already
/// gone and running `forget` again records it.
pub async fn forget(
    commands: &CommandLoop,
    vault: &Vault,
    person_ref: &str,
    reason: &str,
    issuer: &Issuer,
    accessor: &Accessor,
    now: Timestamp,
) -> Result<i64, ForgetError> {
    vault.forget(person_ref, accessor, reason, now).await?;
    let command_id = ids::derived_id(ERASURE_NAMESPACE, &format!("{person_ref}\u{1f}{reason}"));
    let envelope = CommandEnvelope {
        command_id,
        occurred_at: None,
        reason: Some(reason.to_owned()),
        document_ref: None,
        command: Command::ErasePersonalData(ErasePersonalData {
            person_ref: person_ref.to_owned(),
        }),
    };
    match commands.execute(&envelope, issuer).await {
        Ok(executed) => Ok(executed.last_position),
        Err(CommandFailure::Refused(Rejection::AlreadyExists { .. })) => {
            // Erased before, perhaps for another stated basis: the first record stands.
            let stream =
                commands.store().read_stream(&streams::person(person_ref), 1, 10_000).await;
            let position = stream
                .map_err(CommandFailure::from)?
                .into_iter()
                .find(|event| event.event_type == "PersonalDataErased")
                .map_or(0, |event| event.position);
            Ok(position)
        }
        Err(failure) => Err(failure.into()),
    }
}

/// Everything held about a person.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectAccess {
    pub person_ref: String,
    pub personal_data: PersonalData,
    /// Every event about them: their custody facts, participations and grants.
    pub events: Vec<Entry>,
    /// Every access to their personal data, this export included.
    pub access_log: Vec<AccessEntry>,
}

/// The subject-access export of a person; recorded in the access log as `sar`.
pub async fn subject_access(
    store: &Store,
    vault: &Vault,
    person_ref: &str,
    accessor: &Accessor,
    purpose: &str,
    now: Timestamp,
    config: &Config,
) -> Result<SubjectAccess, ForgetError> {
    let (personal_data, access_log) =
        vault.subject_access(person_ref, accessor, purpose, now).await?;
    let events =
        match crate::audit::trail(store, SubjectKind::Person, person_ref, None, config).await {
            Ok(trail) => trail.entries,
            Err(crate::audit::AuditError::NotFound { .. }) => Vec::new(),
            Err(crate::audit::AuditError::Store(error)) => {
                return Err(CommandFailure::from(error).into());
            }
            Err(error @ crate::audit::AuditError::BadId { .. }) => {
                return Err(VaultError::BadPersonRef(error.to_string()).into());
            }
        };
    Ok(SubjectAccess { person_ref: person_ref.to_owned(), personal_data, events, access_log })
}
