//! The personal-data vault (docs/vault.md): names, NIK, birth dates, addresses and any health or
//! offence detail, kept apart from the log.
//!
//! - Each person's record is encrypted (XChaCha20-Poly1305) with that person's own random key;
//!   the key is stored encrypted under the master key, which is read from a file or the
//!   environment and never written anywhere by jejak.
//! - A keyed blind index (HMAC-SHA256 under a key derived from the master key) finds a person by
//!   NIK without storing the NIK.
//! - Every read, write, lookup, erasure and subject-access export is recorded in `vault_access`
//!   (who, whose, when, why), an append-only table of its own.
//! - Forgetting a person destroys their key and record, records `PersonalDataErased` in the log,
//!   and cleans leftover copies (SQLite `secure_delete` and a WAL checkpoint; `VACUUM` on
//!   PostgreSQL).

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use chrono::NaiveDate;
use events::Timestamp;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::store::{Backend, Store, StoreError, dialect, on_pool};

/// The environment variable holding the master key, as 64 hex digits.
pub const MASTER_KEY_VARIABLE: &str = "JEJAK_MASTER_KEY";

/// The master key of the demo dataset. Published, so never use it for real people.
pub const DEMO_MASTER_KEY: [u8; 32] = *b"jejak-demo-master-key-fictional!";

const NONCE_BYTES: usize = 24;
/// Tries of the WAL checkpoint after an erasure, 100 ms apart, before it is left to SQLite.
const CHECKPOINT_TRIES: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "no master key: set {MASTER_KEY_VARIABLE} or pass --master-key-file (create one with `jejak keygen-person`; keep it outside the database)"
    )]
    NoMasterKey,
    #[error("the master key must be 64 hex digits (32 bytes)")]
    BadMasterKey,
    #[error("cannot read the master key file {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("`{0}` is not a person ref (p followed by 32 hex digits)")]
    BadPersonRef(String),
    #[error("the personal data of {0} was erased; it cannot be written again")]
    Erased(String),
    #[error("a purpose is required to read personal data (who needs it, and why)")]
    PurposeRequired,
    #[error(
        "a reason is required to forget a person: the legal basis (UU 27/2022) and the request"
    )]
    ReasonRequired,
    #[error("{person_ref} was already forgotten at {erased_at} ({reason}); nothing was changed")]
    AlreadyErased { person_ref: String, erased_at: String, reason: String },
    #[error("{field}: {detail}")]
    InvalidRecord { field: &'static str, detail: String },
    #[error("another person already has that NIK")]
    NikTaken,
    #[error("the record of {0} cannot be decrypted with this master key")]
    WrongKey(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::store::StoreFailure for VaultError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            VaultError::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for VaultError {
    fn from(error: sqlx::Error) -> VaultError {
        VaultError::Store(StoreError::from(error))
    }
}

/// The master key. It prints as `MasterKey(…)`, never its bytes.
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(bytes)
    }

    pub fn from_hex(text: &str) -> Result<MasterKey, VaultError> {
        let bytes = hex::decode(text.trim()).map_err(|_| VaultError::BadMasterKey)?;
        Ok(MasterKey(bytes.try_into().map_err(|_| VaultError::BadMasterKey)?))
    }

    /// The key in `file`, or else in the environment.
    pub fn load(file: Option<&Path>) -> Result<MasterKey, VaultError> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| {
                VaultError::Unreadable { path: path.display().to_string(), source }
            })?,
            None => std::env::var(MASTER_KEY_VARIABLE).map_err(|_| VaultError::NoMasterKey)?,
        };
        MasterKey::from_hex(&text)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Key::from(self.0))
    }

    /// The key of the NIK blind index, derived so that the index reveals nothing of the
    /// master key.
    fn index_key(&self) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"jejak-nik-index-v1");
        mac.finalize().into_bytes().into()
    }
}

/// What the vault holds about a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonalRecord {
    /// 1 to 200 characters, not blank.
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    /// The national identity number: 16 digits.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{16}$")]
    pub nik: Option<String>,
    /// From 1900-01-01 to today.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// At most 4000 bytes.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub address: Option<String>,
    /// At most 4000 bytes.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub health_notes: Option<String>,
    /// At most 4000 bytes.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub offence_notes: Option<String>,
}

/// The earliest birth date a record may give.
pub const BIRTH_DATE_MIN: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");

impl PersonalRecord {
    /// Refuses a record a person could not have: a blank or overlong name, a NIK that is not
    /// 16 digits, a birth date before 1900 or after `today`, overlong notes.
    fn check(&self, today: NaiveDate) -> Result<(), VaultError> {
        if let Some(born) = self.birth_date
            && !(BIRTH_DATE_MIN..=today).contains(&born)
        {
            let detail = format!("a birth date from {BIRTH_DATE_MIN} to today ({today})");
            return Err(VaultError::InvalidRecord { field: "birth_date", detail });
        }
        let name = self.full_name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            let detail = "a name of 1 to 200 characters".to_owned();
            return Err(VaultError::InvalidRecord { field: "full_name", detail });
        }
        if let Some(nik) = &self.nik
            && (nik.len() != 16 || !nik.bytes().all(|b| b.is_ascii_digit()))
        {
            let detail = "a NIK is 16 digits".to_owned();
            return Err(VaultError::InvalidRecord { field: "nik", detail });
        }
        for (field, text) in [
            ("address", &self.address),
            ("health_notes", &self.health_notes),
            ("offence_notes", &self.offence_notes),
        ] {
            if text.as_ref().is_some_and(|text| text.len() > 4_000) {
                let detail = "at most 4000 bytes".to_owned();
                return Err(VaultError::InvalidRecord { field, detail });
            }
        }
        Ok(())
    }
}

/// A person's personal data as it reads back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PersonalData {
    Present { record: PersonalRecord },
    Erased { erased_at: String, reason: String },
    Absent,
}

/// Who is reading or writing, and the request they came in.
#[derive(Debug, Clone)]
pub struct Accessor {
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub request_id: Option<String>,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: String,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub person_ref: String,
    pub action: String,
    pub purpose: String,
    pub request_id: Option<String>,
}

/// The vault over a store's database.
#[derive(Clone)]
pub struct Vault {
    store: Store,
    master: std::sync::Arc<MasterKey>,
}

fn check_ref(person_ref: &str) -> Result<(), VaultError> {
    if events::person_ref::is_person_ref(person_ref) {
        Ok(())
    } else {
        Err(VaultError::BadPersonRef(person_ref.to_owned()))
    }
}

fn seal(cipher: &XChaCha20Poly1305, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce_bytes: [u8; NONCE_BYTES] = rand::random();
    let nonce = XNonce::from(nonce_bytes);
    let mut sealed = nonce_bytes.to_vec();
    let ciphertext = cipher
        .encrypt(&nonce, Payload { msg: plaintext, aad })
        .expect("encryption of a bounded message cannot fail");
    sealed.extend(ciphertext);
    sealed
}

fn open(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let nonce = XNonce::try_from(nonce).ok()?;
    cipher.decrypt(&nonce, Payload { msg: ciphertext, aad }).ok()
}

/// Records one line of the access log: `who` did `action` on `subject` (a person ref, or
/// what else was read, such as an extract) for `purpose`. Needs no master key: the log holds
/// no personal data.
pub async fn log_access(
    store: &Store,
    who: &Accessor,
    subject: &str,
    action: &str,
    purpose: &str,
    at: Timestamp,
) -> Result<(), VaultError> {
    let time = match store.backend() {
        Backend::Postgres => "$1::timestamptz",
        Backend::Sqlite => "$1",
    };
    let sql = dialect(
        store.backend(),
        &format!(
            "INSERT INTO vault_access (at, actor, role, organisation, person_ref, action, purpose, request_id) \
             VALUES ({time}, $2, $3, $4, $5, $6, $7, $8)"
        ),
    );
    on_pool!(store, |pool| {
        sqlx::query(&sql)
            .bind(at.to_string())
            .bind(&who.actor)
            .bind(&who.role)
            .bind(&who.organisation)
            .bind(subject)
            .bind(action)
            .bind(purpose)
            .bind(&who.request_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

impl Vault {
    /// A statement in this store's dialect.
    fn sql(&self, sql: &str) -> String {
        dialect(self.store.backend(), sql)
    }

    /// Parameter `n` as a timestamp: bound as canonical text, cast where the column is typed.
    fn time_param(&self, n: usize) -> String {
        match self.store.backend() {
            Backend::Postgres => format!("${n}::timestamptz"),
            Backend::Sqlite => format!("${n}"),
        }
    }

    /// A timestamp column read back as canonical text.
    fn time_text(&self, column: &str) -> String {
        match self.store.backend() {
            Backend::Postgres => {
                format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
            }
            Backend::Sqlite => column.to_owned(),
        }
    }

    pub fn new(store: Store, master: MasterKey) -> Vault {
        Vault { store, master: std::sync::Arc::new(master) }
    }

    /// The keyed blind index of a NIK.
    fn nik_index(&self, nik: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.master.index_key()).expect("any length");
        mac.update(nik.trim().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    async fn log(
        &self,
        who: &Accessor,
        person_ref: &str,
        action: &str,
        purpose: &str,
        at: Timestamp,
    ) -> Result<(), VaultError> {
        log_access(&self.store, who, person_ref, action, purpose, at).await
    }

    /// Stores (or replaces) a person's record, under their existing key or a new one.
    pub async fn put(
        &self,
        person_ref: &str,
        record: &PersonalRecord,
        who: &Accessor,
        purpose: &str,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        check_ref(person_ref)?;
        record.check(now.date())?;
        let purpose = required(purpose)?;
        let existing = self.row(person_ref).await?;
        if let Some(row) = &existing
            && row.erased_at.is_some()
        {
            return Err(VaultError::Erased(person_ref.to_owned()));
        }
        let master = self.master.cipher();
        let key_aad = format!("jejak-vault-key-v1:{person_ref}");
        let person_key: [u8; 32] = match existing.as_ref().and_then(|row| row.wrapped_key.clone()) {
            Some(wrapped) => open(&master, &wrapped, key_aad.as_bytes())
                .and_then(|key| key.try_into().ok())
                .ok_or_else(|| VaultError::WrongKey(person_ref.to_owned()))?,
            None => rand::random(),
        };
        let wrapped = seal(&master, &person_key, key_aad.as_bytes());
        let plaintext = serde_json::to_vec(record).expect("a record serialises");
        let record_aad = format!("jejak-vault-record-v1:{person_ref}");
        let sealed = seal(
            &XChaCha20Poly1305::new(&Key::from(person_key)),
            &plaintext,
            record_aad.as_bytes(),
        );
        let nik_index = record.nik.as_deref().map(|nik| self.nik_index(nik));
        if let Some(index) = &nik_index
            && let Some(owner) = self.find_index(index).await?
            && owner != person_ref
        {
            return Err(VaultError::NikTaken);
        }
        let sql = self.sql(&format!(
            "INSERT INTO vault_people (person_ref, wrapped_key, record, nik_index, updated_at) \
             VALUES ($1, $2, $3, $4, {}) ON CONFLICT (person_ref) DO UPDATE SET \
             wrapped_key = excluded.wrapped_key, record = excluded.record, \
             nik_index = excluded.nik_index, updated_at = excluded.updated_at \
             WHERE vault_people.erased_at IS NULL",
            self.time_param(5)
        ));
        let written = on_pool!(self.store, |pool| {
            sqlx::query(&sql)
                .bind(person_ref)
                .bind(&wrapped)
                .bind(&sealed)
                .bind(&nik_index)
                .bind(now.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        if written == 0 {
            // Erased by another process between the check above and this write.
            return Err(VaultError::Erased(person_ref.to_owned()));
        }
        self.log(who, person_ref, "write", purpose, now).await
    }

    /// A person's personal data, for `purpose`; the read is recorded.
    pub async fn get(
        &self,
        person_ref: &str,
        who: &Accessor,
        purpose: &str,
        now: Timestamp,
    ) -> Result<PersonalData, VaultError> {
        check_ref(person_ref)?;
        let purpose = required(purpose)?;
        let data = self.read(person_ref).await?;
        self.log(who, person_ref, "read", purpose, now).await?;
        Ok(data)
    }

    async fn read(&self, person_ref: &str) -> Result<PersonalData, VaultError> {
        let Some(row) = self.row(person_ref).await? else { return Ok(PersonalData::Absent) };
        if let Some(erased_at) = row.erased_at {
            return Ok(PersonalData::Erased {
                erased_at,
                reason: row.erased_reason.unwrap_or_default(),
            });
        }
        let (Some(wrapped), Some(sealed)) = (row.wrapped_key, row.record) else {
            return Ok(PersonalData::Absent);
        };
        let wrong = || VaultError::WrongKey(person_ref.to_owned());
        let key_aad = format!("jejak-vault-key-v1:{person_ref}");
        let person_key: [u8; 32] = open(&self.master.cipher(), &wrapped, key_aad.as_bytes())
            .and_then(|key| key.try_into().ok())
            .ok_or_else(wrong)?;
        let record_aad = format!("jejak-vault-record-v1:{person_ref}");
        let plaintext =
            open(&XChaCha20Poly1305::new(&Key::from(person_key)), &sealed, record_aad.as_bytes())
                .ok_or_else(wrong)?;
        let record = serde_json::from_slice(&plaintext).map_err(|_| wrong())?;
        Ok(PersonalData::Present { record })
    }

    /// The person with this NIK, if the vault knows one; the lookup is recorded.
    pub async fn find_by_nik(
        &self,
        nik: &str,
        who: &Accessor,
        purpose: &str,
        now: Timestamp,
    ) -> Result<Option<String>, VaultError> {
        let purpose = required(purpose)?;
        let found = self.find_index(&self.nik_index(nik)).await?;
        let logged_as = found.clone().unwrap_or_else(|| "(none)".to_owned());
        self.log(who, &logged_as, "lookup", purpose, now).await?;
        Ok(found)
    }

    async fn find_index(&self, index: &str) -> Result<Option<String>, VaultError> {
        let sql = self.sql("SELECT person_ref FROM vault_people WHERE nik_index = $1");
        let found: Option<String> = on_pool!(self.store, |pool| {
            sqlx::query_scalar(&sql).bind(index).fetch_optional(pool).await?
        });
        Ok(found)
    }

    /// Destroys a person's key and record and their NIK index, and cleans the leftovers the
    /// database may keep. The caller records `PersonalDataErased` in the log.
    pub async fn forget(
        &self,
        person_ref: &str,
        who: &Accessor,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        check_ref(person_ref)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VaultError::ReasonRequired);
        }
        // A person is forgotten once: a second erasure, for whatever reason, changes nothing.
        let sql = self.sql(&format!(
            "INSERT INTO vault_people (person_ref, wrapped_key, record, nik_index, updated_at, erased_at, erased_reason) \
             VALUES ($1, NULL, NULL, NULL, {0}, {0}, $3) ON CONFLICT (person_ref) DO UPDATE SET \
             wrapped_key = NULL, record = NULL, nik_index = NULL, updated_at = excluded.updated_at, \
             erased_at = excluded.erased_at, erased_reason = excluded.erased_reason \
             WHERE vault_people.erased_at IS NULL",
            self.time_param(2)
        ));
        let erased = on_pool!(self.store, |pool| {
            sqlx::query(&sql)
                .bind(person_ref)
                .bind(now.to_string())
                .bind(reason)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if erased == 0 {
            let row = self.row(person_ref).await?;
            let (erased_at, first_reason) =
                row.map(|row| (row.erased_at, row.erased_reason)).unwrap_or_default();
            return Err(VaultError::AlreadyErased {
                person_ref: person_ref.to_owned(),
                erased_at: erased_at.unwrap_or_default(),
                reason: first_reason.unwrap_or_default(),
            });
        }
        match self.store.pool() {
            crate::store::Pool::Sqlite(pool) => {
                // Freed pages are zeroed (secure_delete is on for every connection); the WAL is
                // folded into the database and truncated so no old page survives in it. A
                // reader in another process can hold the checkpoint back; SQLite then says so
                // in the result row (not as an error), so it is read and tried again.
                let mut tries = 0;
                loop {
                    let (busy, _, _): (i64, i64, i64) =
                        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await?;
                    if busy == 0 {
                        break;
                    }
                    tries += 1;
                    if tries == CHECKPOINT_TRIES {
                        tracing::warn!(
                            "the WAL could not be truncated after the erasure: a reader held it; \
                             old pages stay in the WAL until the next checkpoint"
                        );
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            crate::store::Pool::Postgres(pool) => {
                // Removes the dead row versions that held the key; needs the table's owner,
                // otherwise PostgreSQL skips it with a warning (docs/vault.md says who runs it).
                if let Err(error) = sqlx::query("VACUUM vault_people").execute(pool).await {
                    tracing::warn!(%error, "VACUUM vault_people did not run; run it as the owner");
                }
            }
        }
        self.log(who, person_ref, "forget", reason, now).await
    }

    /// Every access to a person's data, oldest first.
    pub async fn access_log(&self, person_ref: &str) -> Result<Vec<AccessEntry>, VaultError> {
        let sql = self.sql(&format!(
            "SELECT {}, actor, role, organisation, person_ref, action, purpose, request_id \
             FROM vault_access WHERE person_ref = $1 ORDER BY id",
            self.time_text("at")
        ));
        type Line = (String, String, String, String, String, String, String, Option<String>);
        let rows: Vec<Line> = on_pool!(self.store, |pool| {
            sqlx::query_as(&sql).bind(person_ref).fetch_all(pool).await?
        });
        let entries = rows
            .into_iter()
            .map(|(at, actor, role, organisation, person_ref, action, purpose, request_id)| {
                AccessEntry {
                    at,
                    actor,
                    role,
                    organisation,
                    person_ref,
                    action,
                    purpose,
                    request_id,
                }
            })
            .collect();
        Ok(entries)
    }

    /// Everything held about a person, for a subject-access request; recorded as `sar`.
    pub async fn subject_access(
        &self,
        person_ref: &str,
        who: &Accessor,
        purpose: &str,
        now: Timestamp,
    ) -> Result<(PersonalData, Vec<AccessEntry>), VaultError> {
        check_ref(person_ref)?;
        let purpose = required(purpose)?;
        let data = self.read(person_ref).await?;
        self.log(who, person_ref, "sar", purpose, now).await?;
        Ok((data, self.access_log(person_ref).await?))
    }

    /// Checks that this master key opens the records the vault holds (up to 100 of them):
    /// before a copy is made that only this key will read. Answers how many it opened.
    pub async fn check_key(&self) -> Result<usize, VaultError> {
        let sql = "SELECT person_ref FROM vault_people WHERE record IS NOT NULL \
                   ORDER BY person_ref LIMIT 100";
        let held: Vec<String> =
            on_pool!(self.store, |pool| sqlx::query_scalar(sql).fetch_all(pool).await?);
        for person_ref in &held {
            self.read(person_ref).await?;
        }
        Ok(held.len())
    }

    /// Whether the vault has ever held anything of `person_ref` (a record or an erasure).
    pub async fn holds(&self, person_ref: &str) -> Result<bool, VaultError> {
        check_ref(person_ref)?;
        Ok(self.row(person_ref).await?.is_some())
    }

    async fn row(&self, person_ref: &str) -> Result<Option<VaultRow>, VaultError> {
        let sql = self.sql(&format!(
            "SELECT wrapped_key, record, {}, erased_reason FROM vault_people WHERE person_ref = $1",
            self.time_text("erased_at")
        ));
        type Columns = (Option<Vec<u8>>, Option<Vec<u8>>, Option<String>, Option<String>);
        let row: Option<Columns> = on_pool!(self.store, |pool| {
            sqlx::query_as(&sql).bind(person_ref).fetch_optional(pool).await?
        });
        let row = row.map(|(wrapped_key, record, erased_at, erased_reason)| VaultRow {
            wrapped_key,
            record,
            erased_at,
            erased_reason,
        });
        Ok(row)
    }
}

struct VaultRow {
    wrapped_key: Option<Vec<u8>>,
    record: Option<Vec<u8>>,
    erased_at: Option<String>,
    erased_reason: Option<String>,
}

fn required(text: &str) -> Result<&str, VaultError> {
    let text = text.trim();
    if text.is_empty() { Err(VaultError::PurposeRequired) } else { Ok(text) }
}
