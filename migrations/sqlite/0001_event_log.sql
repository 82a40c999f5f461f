-- The event log: one row per event, append-only. docs/event-table.md describes every column.
-- position is assigned by the store as head + 1 while it holds the write lock (BEGIN IMMEDIATE);
-- it is a plain INTEGER PRIMARY KEY, never AUTOINCREMENT, so no number is ever burned.
CREATE TABLE events (
    position        INTEGER PRIMARY KEY CHECK (position >= 1),
    event_id        TEXT    NOT NULL UNIQUE,
    command_id      TEXT    NOT NULL,
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version >= 1),
    category        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL CHECK (schema_version >= 1),
    occurred_at     TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    organisation    TEXT    NOT NULL,
    facility        TEXT,
    source          TEXT    NOT NULL
        CHECK (source IN ('ui', 'cli', 'api', 'import', 'system', 'migration')),
    reason          TEXT,
    document_ref    TEXT,
    correlation_id  TEXT    NOT NULL,
    causation_id    TEXT,
    payload         TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_by_category ON events (category, position);
CREATE INDEX events_by_recorded_at ON events (recorded_at);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: UPDATE on events is not allowed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: DELETE on events is not allowed');
END;

-- One row per command that wrote events: the idempotency record. A retry with the same id and
-- the same request digest is answered from here and writes nothing.
CREATE TABLE commands (
    command_id      TEXT    PRIMARY KEY,
    request_digest  TEXT    NOT NULL,
    first_position  INTEGER NOT NULL,
    last_position   INTEGER NOT NULL,
    recorded_at     TEXT    NOT NULL,
    outcome         TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER commands_no_update BEFORE UPDATE ON commands
BEGIN
    SELECT RAISE(ABORT, 'the command record is append-only: UPDATE on commands is not allowed');
END;

CREATE TRIGGER commands_no_delete BEFORE DELETE ON commands
BEGIN
    SELECT RAISE(ABORT, 'the command record is append-only: DELETE on commands is not allowed');
END;
