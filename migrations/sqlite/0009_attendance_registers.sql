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
    generation INTEGER NOT NULL,
    package_id TEXT NOT NULL,
    title TEXT NOT NULL,
    provider TEXT NOT NULL,
    skill TEXT NOT NULL,
    venue_type TEXT NOT NULL,
    facility TEXT,
    location TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    planned_hours INTEGER NOT NULL,
    quota_total INTEGER NOT NULL,
    quota_inmates INTEGER,
    attendance_threshold_percent INTEGER NOT NULL,
    funding_source TEXT NOT NULL,
    grant_policy TEXT NOT NULL,
    status TEXT NOT NULL,
    places_taken INTEGER NOT NULL,
    inmate_places_taken INTEGER NOT NULL,
    waitlist_length INTEGER NOT NULL,
    sessions_scheduled INTEGER NOT NULL,
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW programme_packages AS
    SELECT package_id, title, provider, skill, venue_type, facility, location, start_date, end_date, planned_hours, quota_total, quota_inmates, attendance_threshold_percent, funding_source, grant_policy, status, places_taken, inmate_places_taken, waitlist_length, sessions_scheduled
    FROM rm_programme_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_sessions (
    generation INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    date TEXT NOT NULL,
    hours INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    PRIMARY KEY (generation, session_id)
);
CREATE VIEW programme_sessions AS
    SELECT session_id, package_id, number, date, hours, cancelled
    FROM rm_programme_sessions
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_registers (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    marks TEXT NOT NULL,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW programme_registers AS
    SELECT participation_id, marks
    FROM rm_programme_registers
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE INDEX rm_programme_sessions_by_package_id ON rm_programme_sessions (generation, package_id);

DELETE FROM rm_programme_participations;
DELETE FROM rm_programme_suspensions;
DELETE FROM rm_programme_certificates;
DELETE FROM rm_programme_grants;
DELETE FROM rm_programme_grant_visits;
DELETE FROM rm_programme_tasks;
DELETE FROM projection_state WHERE name = 'programme';
DELETE FROM fold_snapshots WHERE projection = 'programme';
