-- Late corrections of a participation's records, each waiting for a second person or decided
-- (`programme_corrections`), so that "Tugas saya" can show the corrections that wait for
-- someone other than their requester (docs/dashboard.md).
-- The programme read model (projection version 3) is built again from the log: its state and
-- snapshots are removed and its tables emptied; the projector rebuilds it at its next start
-- (`jejak rebuild` does it at once).
-- The tables follow the projections' declarations (src/projector/schema.rs); a test checks
-- that the migrated schema equals them.

CREATE TABLE rm_programme_corrections (
    generation bigint NOT NULL,
    request_id text NOT NULL,
    participation_id text NOT NULL,
    target_event_id text NOT NULL,
    target_event_type text NOT NULL,
    target text NOT NULL,
    requested_by text NOT NULL,
    requested_on date NOT NULL,
    reason text,
    status text NOT NULL,
    decided_by text,
    PRIMARY KEY (generation, request_id)
);
CREATE VIEW programme_corrections AS
    SELECT request_id, participation_id, target_event_id, target_event_type, target, requested_by, requested_on, reason, status, decided_by
    FROM rm_programme_corrections
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_corrections TO jejak_app;
GRANT SELECT ON programme_corrections TO jejak_app, jejak_reader;

CREATE INDEX rm_programme_corrections_by_participation_id ON rm_programme_corrections (generation, participation_id);

DELETE FROM rm_programme_packages;
DELETE FROM rm_programme_sessions;
DELETE FROM rm_programme_participations;
DELETE FROM rm_programme_registers;
DELETE FROM rm_programme_suspensions;
DELETE FROM rm_programme_certificates;
DELETE FROM rm_programme_grants;
DELETE FROM rm_programme_grant_visits;
DELETE FROM rm_programme_tasks;
DELETE FROM projection_state WHERE name = 'programme';
DELETE FROM fold_snapshots WHERE projection = 'programme';
