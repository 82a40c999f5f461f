-- The recidivism report breaks its comparisons down by skill (docs/reports.md), so the people
-- read model (projection version 3) keeps each package's trade (`people_packages`). It is
-- built again from the log: the new table is created, the others emptied, its state and
-- snapshots removed; the projector rebuilds it at its next start (`jejak rebuild` does it at
-- once). The tables follow the projections' declarations (src/projector/schema.rs); a test
-- checks that the migrated schema equals them.

CREATE TABLE rm_people_packages (
    generation bigint NOT NULL,
    package_id text NOT NULL,
    skill text NOT NULL,
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW people_packages AS
    SELECT package_id, skill
    FROM rm_people_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_packages TO jejak_app;
GRANT SELECT ON people_packages TO jejak_app, jejak_reader;

DELETE FROM rm_people_persons;
DELETE FROM rm_people_releases;
DELETE FROM rm_people_cases;
DELETE FROM rm_people_revocations;
DELETE FROM rm_people_contacts;
DELETE FROM rm_people_participations;
DELETE FROM rm_people_grants;
DELETE FROM rm_people_extracts;
DELETE FROM projection_state WHERE name = 'people';
DELETE FROM fold_snapshots WHERE projection = 'people';
