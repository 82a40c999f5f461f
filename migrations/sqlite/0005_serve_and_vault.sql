-- jejak serve and the personal-data vault (docs/api.md, docs/vault.md).

-- Users: a token's SHA-256, never the token itself.
CREATE TABLE users (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    facility     TEXT,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);

-- Personal data, apart from the log: each record encrypted with its person's own key, that
-- key encrypted under the master key (which is never stored here). Forgetting a person
-- destroys their key and record; the row stays to say when and why.
CREATE TABLE vault_people (
    person_ref    TEXT PRIMARY KEY,
    wrapped_key   BLOB,
    record        BLOB,
    nik_index     TEXT UNIQUE,
    updated_at    TEXT NOT NULL,
    erased_at     TEXT,
    erased_reason TEXT
);

-- Every read or change of personal data: who, whose, when, why. Append-only.
CREATE TABLE vault_access (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    person_ref   TEXT NOT NULL,
    action       TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    request_id   TEXT
);
CREATE INDEX vault_access_by_person ON vault_access (person_ref, id);

CREATE TRIGGER vault_access_no_update BEFORE UPDATE ON vault_access
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER vault_access_no_delete BEFORE DELETE ON vault_access
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: DELETE is not allowed');
END;
