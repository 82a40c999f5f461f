-- Time travel (docs/history.md). `late_events` lists every event recorded more than 23 hours
-- after it occurred, kept by a trigger whoever writes, so an as-of question finds late records
-- without scanning the log. `fold_snapshots` holds in-memory folds of a prefix of the log.
CREATE TABLE late_events (
    position    bigint      PRIMARY KEY,
    occurred_at timestamptz NOT NULL
);

INSERT INTO late_events (position, occurred_at)
    SELECT position, occurred_at FROM events
    WHERE recorded_at - occurred_at > interval '23 hours';

CREATE FUNCTION jejak_note_late_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO late_events (position, occurred_at) VALUES (NEW.position, NEW.occurred_at)
        ON CONFLICT (position) DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_late AFTER INSERT ON events FOR EACH ROW
    WHEN (NEW.recorded_at - NEW.occurred_at > interval '23 hours')
    EXECUTE FUNCTION jejak_note_late_event();

CREATE TABLE fold_snapshots (
    projection      text   NOT NULL,
    version         bigint NOT NULL,
    config          text   NOT NULL,
    position        bigint NOT NULL,
    hash            text   NOT NULL,
    max_occurred_at text   NOT NULL,
    data            bytea  NOT NULL,
    PRIMARY KEY (projection, version, config, position)
);

GRANT SELECT, INSERT ON late_events TO jejak_app;
GRANT SELECT, INSERT, DELETE ON fold_snapshots TO jejak_app;
