//! Forgetting a person and the subject-access export, shared by the CLI and the API
//! (docs/vault.md).

use events::command::{Command, CommandEnvelope, ErasePersonalData};
use events::{Timestamp, ids, streams};
use projections::audit::{Entry, SubjectKind};
use projections::projection::Config;
use uuid::Uuid;

use crate::commands::{CommandFailure, CommandLoop, Issuer};
use crate::store::{Store, StoreFailure};
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
    #[error(
        "{0} is not known: neither the log nor the vault holds anything of it; nothing was written"
    )]
    Unknown(String),
    #[error(
        "{person_ref} was already forgotten at {erased_at} ({reason}), recorded at log position \
         {log_position}; nothing was changed"
    )]
    AlreadyForgotten { person_ref: String, erased_at: String, reason: String, log_position: i64 },
}

impl StoreFailure for ForgetError {
    fn store_error(&self) -> Option<&crate::store::StoreError> {
        match self {
            ForgetError::Vault(error) => error.store_error(),
            ForgetError::Command(error) => error.store_error(),
            ForgetError::Unknown(_) | ForgetError::AlreadyForgotten { .. } => None,
        }
    }
}

/// Destroys the person's key and record, then records `PersonalDataErased` in the log; returns
/// that event's position. The key goes first: if the log append fails, the data is already
/// gone and running `forget` again records it, with the reason first given. A person is
/// forgotten once: a second `forget` changes nothing and says when the first was. A reference
/// that neither the log nor the vault has ever held is refused, and nothing is written.
pub async fn forget(
    commands: &CommandLoop,
    vault: &Vault,
    person_ref: &str,
    reason: &str,
    issuer: &Issuer,
    accessor: &Accessor,
    now: Timestamp,
) -> Result<i64, ForgetError> {
    if !vault.holds(person_ref).await? {
        let (version, _) = commands.load_state(&streams::person(person_ref)).await?;
        if version == 0 {
            return Err(ForgetError::Unknown(person_ref.to_owned()));
        }
    }
    let reason = match vault.forget(person_ref, accessor, reason, now).await {
        Ok(()) => reason.trim().to_owned(),
        Err(VaultError::AlreadyErased { person_ref, erased_at, reason }) => {
            if let Some(log_position) = erasure_position(commands, &person_ref).await? {
                return Err(ForgetError::AlreadyForgotten {
                    person_ref,
                    erased_at,
                    reason,
                    log_position,
                });
            }
            // Erased in the vault, but the log append never happened: record it now.
            reason
        }
        Err(error) => return Err(error.into()),
    };
    let command_id = ids::derived_id(ERASURE_NAMESPACE, &format!("{person_ref}\u{1f}{reason}"));
    let envelope = CommandEnvelope {
        command_id,
        occurred_at: None,
        reason: Some(reason),
        document_ref: None,
        command: Command::ErasePersonalData(ErasePersonalData {
            person_ref: person_ref.to_owned(),
        }),
    };
    Ok(commands.execute(&envelope, issuer).await?.last_position)
}

/// Where the log recorded the person's erasure, if it did.
async fn erasure_position(
    commands: &CommandLoop,
    person_ref: &str,
) -> Result<Option<i64>, CommandFailure> {
    let events = commands.store().read_stream(&streams::person(person_ref), 1, 10_000).await?;
    let erased = events.into_iter().find(|event| event.event_type == "PersonalDataErased");
    Ok(erased.map(|event| event.position))
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
        match crate::audit::trail(store, SubjectKind::Person, person_ref, None, config, None).await
        {
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
