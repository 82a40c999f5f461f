-- As-of answers narrowed to a scope (one facility, provider or skill; docs/history.md) fold
-- only that part of a read model, and keep snapshots of their own under the scope's text;
-- '' is the whole read model, which the snapshots taken so far are.
ALTER TABLE fold_snapshots RENAME TO fold_snapshots_0006;

CREATE TABLE fold_snapshots (
    projection      TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    config          TEXT    NOT NULL,
    scope           TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    hash            TEXT    NOT NULL,
    max_occurred_at TEXT    NOT NULL,
    data            BLOB    NOT NULL,
    PRIMARY KEY (projection, version, config, scope, position)
);

INSERT INTO fold_snapshots
    (projection, version, config, scope, position, hash, max_occurred_at, data)
    SELECT projection, version, config, '', position, hash, max_occurred_at, data
    FROM fold_snapshots_0006;

DROP TABLE fold_snapshots_0006;
