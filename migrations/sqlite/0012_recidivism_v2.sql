-- Recidivism definition 2 (docs/reports.md) reads more of each person's record: whether a
-- release came from an SDP extract (`from_sdp`, the identity-matching share), the day a
-- participation's training was completed (`completed_on`), and the date of the latest SDP
-- extract (`people_extracts`, the default data cut-off). The people read model (projection
-- version 2) is built again from the log: its changed tables are created anew, its other
-- tables emptied, its state and snapshots removed; the projector rebuilds it at its next start
-- (`jejak rebuild` does it at once).
-- The tables follow the projections' declarations (src/projector/schema.rs); a test checks
-- that the migrated schema equals them.

DROP VIEW people_releases;
DROP TABLE rm_people_releases;
DROP VIEW people_participations;
DROP TABLE rm_people_participations;

CREATE TABLE rm_people_releases (
    generation INTEGER NOT NULL,
    person_ref TEXT NOT NULL,
    released_on TEXT NOT NULL,
    release_type TEXT NOT NULL,
    legal_status TEXT NOT NULL,
    facility TEXT NOT NULL,
    episode_admitted_on TEXT,
    from_sdp INTEGER NOT NULL,
    PRIMARY KEY (generation, person_ref, released_on)
);
CREATE VIEW people_releases AS
    SELECT person_ref, released_on, release_type, legal_status, facility, episode_admitted_on, from_sdp
    FROM rm_people_releases
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_participations (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    package_id TEXT NOT NULL,
    nominated_on TEXT NOT NULL,
    waitlisted INTEGER NOT NULL,
    approved INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    started_on TEXT,
    ended_on TEXT,
    outcome TEXT,
    grant_handed_over INTEGER NOT NULL,
    completed_on TEXT,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW people_participations AS
    SELECT participation_id, person_ref, package_id, nominated_on, waitlisted, approved, accepted, started_on, ended_on, outcome, grant_handed_over, completed_on
    FROM rm_people_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_extracts (
    generation INTEGER NOT NULL,
    source TEXT NOT NULL,
    extract_on TEXT NOT NULL,
    PRIMARY KEY (generation, source)
);
CREATE VIEW people_extracts AS
    SELECT source, extract_on
    FROM rm_people_extracts
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

DELETE FROM rm_people_persons;
DELETE FROM rm_people_cases;
DELETE FROM rm_people_revocations;
DELETE FROM rm_people_contacts;
DELETE FROM rm_people_grants;
DELETE FROM projection_state WHERE name = 'people';
DELETE FROM fold_snapshots WHERE projection = 'people';
