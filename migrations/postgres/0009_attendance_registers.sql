-- Attendance kept as a paper register is: a row per participation with a letter per session
-- (`programme_registers`), where `programme_marks` held a row per mark, as many rows as the
-- log has attendance events. Sessions are numbered in the order their package scheduled them
-- (the register's columns), and packages count the sessions scheduled.
-- The programme read model (projection version 2) is built again from the log: its changed
-- tables are created anew, its other tables emptied, its state and snapshots removed; the
-- projector rebuilds it at its next start (`jejak rebuild` does it at once).
-- The tables follow the projections' declarations (src/projector/schema.rs); a test checks
-- that the migrated schema equals them.

DROP VIEW programme_marks;
DROP TABLE rm_programme_marks;
DROP VIEW programme_sessions;
DROP TABLE rm_programme_sessions;
DROP VIEW programme_packages;
DROP TABLE rm_programme_packages;

CREATE TABLE rm_programme_packages (
    generation bigint NOT NULL,
    package_id text NOT NULL,
    title text NOT NULL,
    provider text NOT NULL,
    skill text NOT NULL,
    venue_type text NOT NULL,
    facility text,
    location text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    planned_hours bigint NOT NULL,
    quota_total bigint NOT NULL,
    quota_inmates bigint,
    attendance_threshold_percent bigint NOT NULL,
    funding_source text NOT NULL,
    grant_policy text NOT NULL,
    status text NOT NULL,
    places_taken bigint NOT NULL,
    inmate_places_taken bigint NOT NULL,
    waitlist_length bigint NOT NULL,
    sessions_scheduled bigint NOT NULL,
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW programme_packages AS
    SELECT package_id, title, provider, skill, venue_type, facility, location, start_date, end_date, planned_hours, quota_total, quota_inmates, attendance_threshold_percent, funding_source, grant_policy, status, places_taken, inmate_places_taken, waitlist_length, sessions_scheduled
    FROM rm_programme_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_packages TO jejak_app;
GRANT SELECT ON programme_packages TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_sessions (
    generation bigint NOT NULL,
    session_id text NOT NULL,
    package_id text NOT NULL,
    number bigint NOT NULL,
    date date NOT NULL,
    hours bigint NOT NULL,
    cancelled boolean NOT NULL,
    PRIMARY KEY (generation, session_id)
);
CREATE VIEW programme_sessions AS
    SELECT session_id, package_id, number, date, hours, cancelled
    FROM rm_programme_sessions
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_sessions TO jejak_app;
GRANT SELECT ON programme_sessions TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_registers (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    marks text NOT NULL,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW programme_registers AS
    SELECT participation_id, marks
    FROM rm_programme_registers
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_registers TO jejak_app;
GRANT SELECT ON programme_registers TO jejak_app, jejak_reader;

CREATE INDEX rm_programme_sessions_by_package_id ON rm_programme_sessions (generation, package_id);

DELETE FROM rm_programme_participations;
DELETE FROM rm_programme_suspensions;
DELETE FROM rm_programme_certificates;
DELETE FROM rm_programme_grants;
DELETE FROM rm_programme_grant_visits;
DELETE FROM rm_programme_tasks;
DELETE FROM projection_state WHERE name = 'programme';
DELETE FROM fold_snapshots WHERE projection = 'programme';
