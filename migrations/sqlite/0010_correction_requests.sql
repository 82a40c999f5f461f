-- Late corrections of a participation's records, each waiting for a second person or decided
-- (`programme_corrections`), so that "Tugas saya" can show the corrections that wait for
-- someone other than their requester (docs/dashboard.md).
-- The programme read model (projection version 3) is built again from the log: its state and
-- snapshots are removed and its tables emptied; the projector rebuilds it at its next start
-- (`jejak rebuild` does it at once).
-- The tables follow the projections' declarations (src/projector/schema.rs); a test checks
-- that the migrated schema equals them.

CREATE TABLE rm_programme_corrections (
    generation INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    participation_id TEXT NOT NULL,
    target_event_id TEXT NOT NULL,
    target_event_type TEXT NOT NULL,
    target TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    reason TEXT,
    status TEXT NOT NULL,
    decided_by TEXT,
    PRIMARY KEY (generation, request_id)
);
CREATE VIEW programme_corrections AS
    SELECT request_id, participation_id, target_event_id, target_event_type, target, requested_by, requested_on, reason, status, decided_by
    FROM rm_programme_corrections
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

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
