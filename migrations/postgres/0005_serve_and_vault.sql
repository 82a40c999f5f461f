-- jejak serve and the personal-data vault (docs/api.md, docs/vault.md).

-- Users: a token's SHA-256, never the token itself.
CREATE TABLE users (
    name         text PRIMARY KEY,
    role         text NOT NULL,
    organisation text NOT NULL,
    facility     text,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

-- Personal data, apart from the log: each record encrypted with its person's own key, that
-- key encrypted under the master key (which is never stored here). Forgetting a person
-- destroys their key and record; the row stays to say when and why.
CREATE TABLE vault_people (
    person_ref    text PRIMARY KEY,
    wrapped_key   bytea,
    record        bytea,
    nik_index     text UNIQUE,
    updated_at    timestamptz NOT NULL,
    erased_at     timestamptz,
    erased_reason text
);

-- Every read or change of personal data: who, whose, when, why. Append-only.
CREATE TABLE vault_access (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    role         text NOT NULL,
    organisation text NOT NULL,
    person_ref   text NOT NULL,
    action       text NOT NULL,
    purpose      text NOT NULL,
    request_id   text
);
CREATE INDEX vault_access_by_person ON vault_access (person_ref, id);

CREATE TRIGGER vault_access_no_update BEFORE UPDATE OR DELETE ON vault_access
    FOR EACH ROW EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER vault_access_no_truncate BEFORE TRUNCATE ON vault_access
    FOR EACH STATEMENT EXECUTE FUNCTION jejak_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON vault_access FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON users TO jejak_app;
GRANT SELECT, INSERT, UPDATE ON vault_people TO jejak_app;
GRANT SELECT, INSERT ON vault_access TO jejak_app;
GRANT USAGE ON SEQUENCE vault_access_id_seq TO jejak_app;
