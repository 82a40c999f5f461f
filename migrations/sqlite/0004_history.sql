-- Time travel (docs/history.md). `late_events` lists every event recorded more than 23 hours
-- after it occurred, kept by a trigger whoever writes, so an as-of question finds late records
-- without scanning the log. `fold_snapshots` holds in-memory folds of a prefix of the log.
CREATE TABLE late_events (
    position    INTEGER PRIMARY KEY,
    occurred_at TEXT    NOT NULL
);

INSERT INTO late_events (position, occurred_at)
    SELECT position, occurred_at FROM events
    WHERE julianday(recorded_at) - julianday(occurred_at) > 23.0 / 24.0;

CREATE TRIGGER events_late AFTER INSERT ON events
    WHEN julianday(NEW.recorded_at) - julianday(NEW.occurred_at) > 23.0 / 24.0
BEGIN
    INSERT INTO late_events (position, occurred_at) VALUES (NEW.position, NEW.occurred_at)
        ON CONFLICT (position) DO NOTHING;
END;

CREATE TABLE fold_snapshots (
    projection      TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    config          TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    hash            TEXT    NOT NULL,
    max_occurred_at TEXT    NOT NULL,
    data            BLOB    NOT NULL,
    PRIMARY KEY (projection, version, config, position)
);
