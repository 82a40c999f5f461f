-- The event log: one row per event, append-only. docs/event-table.md describes every column.
-- position is assigned by the store as head + 1 while it holds the row lock on log_head; it is
-- a plain bigint, never a sequence or identity, so a rolled-back append burns no number.
CREATE TABLE events (
    position        bigint      PRIMARY KEY CHECK (position >= 1),
    event_id        uuid        NOT NULL UNIQUE,
    command_id      uuid        NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version >= 1),
    category        text        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version >= 1),
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    actor           text        NOT NULL,
    role            text        NOT NULL,
    organisation    text        NOT NULL,
    facility        text,
    source          text        NOT NULL
        CHECK (source IN ('ui', 'cli', 'api', 'import', 'system', 'migration')),
    reason          text,
    document_ref    text,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    payload         text        NOT NULL,
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_by_category ON events (category, position);
CREATE INDEX events_by_recorded_at ON events (recorded_at);

-- The chain tip: one row, locked FOR UPDATE by every append. Appends are serialised on it, so
-- positions are assigned and become visible in the same order, without gaps.
CREATE TABLE log_head (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    position    bigint      NOT NULL,
    hash        text        NOT NULL,
    recorded_at timestamptz
);
INSERT INTO log_head (singleton, position, hash, recorded_at)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL);

CREATE TABLE commands (
    command_id      uuid        PRIMARY KEY,
    request_digest  text        NOT NULL,
    first_position  bigint      NOT NULL,
    last_position   bigint      NOT NULL,
    recorded_at     timestamptz NOT NULL,
    outcome         text        NOT NULL
);

CREATE FUNCTION jejak_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER commands_no_update BEFORE UPDATE OR DELETE ON commands
    FOR EACH ROW EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER commands_no_truncate BEFORE TRUNCATE ON commands
    FOR EACH STATEMENT EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER log_head_no_delete BEFORE DELETE ON log_head
    FOR EACH ROW EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER log_head_no_truncate BEFORE TRUNCATE ON log_head
    FOR EACH STATEMENT EXECUTE FUNCTION jejak_refuse_change();

-- Privileges: nobody but the owner may change or remove rows. The application role jejak_app
-- (create it and log in as it in production; see docs/operations.md) may only read and append.
REVOKE UPDATE, DELETE, TRUNCATE ON events, commands FROM PUBLIC;
DO $$
BEGIN
    CREATE ROLE jejak_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;
GRANT SELECT, INSERT ON events, commands TO jejak_app;
GRANT SELECT, UPDATE ON log_head TO jejak_app;
