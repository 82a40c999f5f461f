//! Users of `jejak serve` and their bearer tokens (docs/api.md). A token is shown once, when it
//! is made; the database keeps only its SHA-256. Checking a token compares that digest with
//! every active user's in constant time.

use std::str::FromStr;

use events::Timestamp;
use events::vocabulary::Role;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{Backend, Store, StoreError, dialect, on_pool};

/// Every token starts with this, so a leaked one is easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "jejak_";

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("a user name is 1 to 64 letters, digits, `.`, `-` or `_`")]
    BadName,
    #[error("a user named {0} already exists")]
    Exists(String),
    #[error("no active user named {0}")]
    NoSuchUser(String),
    #[error("role {role} works within a facility: give --facility (or an --org that is one)")]
    FacilityRequired { role: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::store::StoreFailure for UserError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            UserError::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for UserError {
    fn from(error: sqlx::Error) -> UserError {
        UserError::Store(StoreError::from(error))
    }
}

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub name: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub organisation: String,
    /// The facility a facility role works in.
    pub facility: Option<String>,
}

/// Roles whose work is within one facility.
pub fn works_in_a_facility(role: Role) -> bool {
    matches!(role, Role::PetugasPembinaan | Role::Wali | Role::TppSekretaris | Role::Karutan)
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_name(name: &str) -> Result<(), UserError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok { Ok(()) } else { Err(UserError::BadName) }
}

/// Adds a user and returns their token, which is not stored and cannot be shown again.
pub async fn add(
    store: &Store,
    name: &str,
    role: Role,
    organisation: &str,
    facility: Option<&str>,
    now: Timestamp,
) -> Result<String, UserError> {
    check_name(name)?;
    let facility = match facility {
        Some(facility) => Some(facility.to_owned()),
        None if works_in_a_facility(role) => Some(organisation.to_owned()),
        None => None,
    };
    if works_in_a_facility(role) && facility.as_deref().is_none_or(str::is_empty) {
        return Err(UserError::FacilityRequired { role: role.as_str().to_owned() });
    }
    let secret: [u8; 32] = rand::random();
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let time = match store.backend() {
        Backend::Postgres => "$6::timestamptz",
        Backend::Sqlite => "$6",
    };
    let sql = dialect(
        store.backend(),
        &format!(
            "INSERT INTO users (name, role, organisation, facility, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, {time}) ON CONFLICT (name) DO NOTHING"
        ),
    );
    let inserted = on_pool!(store, |pool| {
        sqlx::query(&sql)
            .bind(name)
            .bind(role.as_str())
            .bind(organisation)
            .bind(&facility)
            .bind(token_digest(&token))
            .bind(now.to_string())
            .execute(pool)
            .await?
            .rows_affected()
    });
    if inserted == 0 {
        return Err(UserError::Exists(name.to_owned()));
    }
    Ok(token)
}

/// Revokes a user's token from now on.
pub async fn revoke(store: &Store, name: &str, now: Timestamp) -> Result<(), UserError> {
    let time = match store.backend() {
        Backend::Postgres => "$1::timestamptz",
        Backend::Sqlite => "$1",
    };
    let sql = dialect(
        store.backend(),
        &format!("UPDATE users SET revoked_at = {time} WHERE name = $2 AND revoked_at IS NULL"),
    );
    let changed = on_pool!(store, |pool| {
        sqlx::query(&sql).bind(now.to_string()).bind(name).execute(pool).await?.rows_affected()
    });
    if changed == 0 {
        return Err(UserError::NoSuchUser(name.to_owned()));
    }
    Ok(())
}

/// Every active user, by name.
pub async fn active(store: &Store) -> Result<Vec<(User, String)>, UserError> {
    let sql = "SELECT name, role, organisation, facility, token_hash FROM users \
               WHERE revoked_at IS NULL ORDER BY name";
    let rows: Vec<(String, String, String, Option<String>, String)> =
        on_pool!(store, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .filter_map(|(name, role, organisation, facility, digest)| {
            let role = Role::from_str(&role).ok()?;
            Some((User { name, role, organisation, facility }, digest))
        })
        .collect())
}

/// The active user whose token this is, comparing digests in constant time.
pub fn authenticate<'u>(users: &'u [(User, String)], token: &str) -> Option<&'u User> {
    let digest = token_digest(token);
    let mut found = None;
    for (user, stored) in users {
        if bool::from(stored.as_bytes().ct_eq(digest.as_bytes())) {
            found = Some(user);
        }
    }
    found
}

/// A new token for `name`, creating the user or replacing their token (and lifting a
/// revocation). For the demo, whose users are made again at every start.
pub async fn issue(
    store: &Store,
    name: &str,
    role: Role,
    organisation: &str,
    facility: Option<&str>,
    now: Timestamp,
) -> Result<String, UserError> {
    match add(store, name, role, organisation, facility, now).await {
        Err(UserError::Exists(_)) => {}
        other => return other,
    }
    let secret: [u8; 32] = rand::random();
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let sql = dialect(
        store.backend(),
        "UPDATE users SET token_hash = $1, role = $2, organisation = $3, facility = $4, \
         revoked_at = NULL WHERE name = $5",
    );
    let facility = facility
        .map(str::to_owned)
        .or_else(|| works_in_a_facility(role).then(|| organisation.to_owned()));
    on_pool!(store, |pool| {
        sqlx::query(&sql)
            .bind(token_digest(&token))
            .bind(role.as_str())
            .bind(organisation)
            .bind(&facility)
            .bind(name)
            .execute(pool)
            .await?;
    });
    Ok(token)
}

/// How long a dashboard session lasts.
pub const SESSION_HOURS: i64 = 12;

/// Starts a dashboard session for `user`; returns the session id for the cookie (only its
/// digest is stored).
pub async fn start_session(store: &Store, user: &str, now: Timestamp) -> Result<String, UserError> {
    let id = hex::encode(rand::random::<[u8; 32]>());
    let expires = now.checked_add_micros(SESSION_HOURS * 3_600_000_000).unwrap_or(now);
    let time = |n: u8| match store.backend() {
        Backend::Postgres => format!("${n}::timestamptz"),
        Backend::Sqlite => format!("${n}"),
    };
    let sql = dialect(
        store.backend(),
        &format!(
            "INSERT INTO sessions (id_hash, user_name, created_at, expires_at) VALUES ($1, $2, {}, {})",
            time(3),
            time(4)
        ),
    );
    on_pool!(store, |pool| {
        sqlx::query(&sql)
            .bind(token_digest(&id))
            .bind(user)
            .bind(now.to_string())
            .bind(expires.to_string())
            .execute(pool)
            .await?;
    });
    Ok(id)
}

/// The active user of an unexpired session.
pub async fn session_user(
    store: &Store,
    id: &str,
    now: Timestamp,
) -> Result<Option<User>, UserError> {
    let time = match store.backend() {
        Backend::Postgres => "$2::timestamptz",
        Backend::Sqlite => "$2",
    };
    let sql = dialect(
        store.backend(),
        &format!(
            "SELECT u.name, u.role, u.organisation, u.facility FROM sessions s \
             JOIN users u ON u.name = s.user_name \
             WHERE s.id_hash = $1 AND s.expires_at > {time} AND u.revoked_at IS NULL"
        ),
    );
    let row: Option<(String, String, String, Option<String>)> = on_pool!(store, |pool| {
        sqlx::query_as(&sql)
            .bind(token_digest(id))
            .bind(now.to_string())
            .fetch_optional(pool)
            .await?
    });
    Ok(row.and_then(|(name, role, organisation, facility)| {
        Some(User { name, role: Role::from_str(&role).ok()?, organisation, facility })
    }))
}

/// Ends a session (sign-out).
pub async fn end_session(store: &Store, id: &str) -> Result<(), UserError> {
    let sql = dialect(store.backend(), "DELETE FROM sessions WHERE id_hash = $1");
    on_pool!(store, |pool| {
        sqlx::query(&sql).bind(token_digest(id)).execute(pool).await?;
    });
    Ok(())
}
