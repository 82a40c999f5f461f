-- A fold snapshot is stored as parts of about a megabyte of rows each (`part`, from 0), so that
-- neither taking nor reading one holds it whole: on a national log a snapshot is tens of
-- megabytes compressed, and a database driver holds a row whole (PostgreSQL's read buffer grew
-- to 64 MB for one). Each part is an LZ4 block of the postcard encoding of a run of rows; the
-- position, hash and latest `occurred_at` are repeated in every part. Snapshots are a cache:
-- those taken before are dropped here and taken again.
DROP TABLE fold_snapshots;

CREATE TABLE fold_snapshots (
    projection      TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    config          TEXT    NOT NULL,
    scope           TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    part            INTEGER NOT NULL,
    hash            TEXT    NOT NULL,
    max_occurred_at TEXT    NOT NULL,
    data            BLOB    NOT NULL,
    PRIMARY KEY (projection, version, config, scope, position, part)
);
