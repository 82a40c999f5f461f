-- Read models: one row of state per projection, then each projection's tables.
-- Generated from the projections' table declarations (src/projector/schema.rs); do not edit by hand.

CREATE TABLE projection_state (
    name text PRIMARY KEY,
    version bigint NOT NULL,
    config text NOT NULL,
    generation bigint NOT NULL,
    position bigint NOT NULL,
    hash text NOT NULL,
    building_generation bigint,
    building_version bigint,
    building_config text,
    building_position bigint,
    building_hash text
);

DO $$
BEGIN
    CREATE ROLE jejak_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;
GRANT SELECT, INSERT, UPDATE ON projection_state TO jejak_app;
GRANT SELECT ON projection_state TO jejak_reader;
GRANT SELECT ON _sqlx_migrations TO jejak_app;

-- Read model `programme`: storage tables with a generation, and views of the active one.

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
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW programme_packages AS
    SELECT package_id, title, provider, skill, venue_type, facility, location, start_date, end_date, planned_hours, quota_total, quota_inmates, attendance_threshold_percent, funding_source, grant_policy, status, places_taken, inmate_places_taken, waitlist_length
    FROM rm_programme_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_packages TO jejak_app;
GRANT SELECT ON programme_packages TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_sessions (
    generation bigint NOT NULL,
    session_id text NOT NULL,
    package_id text NOT NULL,
    date date NOT NULL,
    hours bigint NOT NULL,
    cancelled boolean NOT NULL,
    PRIMARY KEY (generation, session_id)
);
CREATE VIEW programme_sessions AS
    SELECT session_id, package_id, date, hours, cancelled
    FROM rm_programme_sessions
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_sessions TO jejak_app;
GRANT SELECT ON programme_sessions TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_participations (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    package_id text NOT NULL,
    person_ref text NOT NULL,
    category text NOT NULL,
    facility text,
    legal_status text,
    sex text,
    age_band text,
    offence_group text,
    sentence_band text,
    status text NOT NULL,
    status_since date NOT NULL,
    cycle bigint NOT NULL,
    nominated_on date NOT NULL,
    assessed_on date,
    eligible boolean,
    rule_set text,
    overridden boolean NOT NULL,
    decided_on date,
    rejection_reason text,
    accepted_on date,
    waitlisted_on date,
    waitlist_position bigint,
    withdrawn_on date,
    withdrawal_reason text,
    started_on date,
    suspended_since date,
    stopped_on date,
    end_reason text,
    end_category text,
    completed_on date,
    sessions_attended bigint,
    sessions_expected bigint,
    hours_attended bigint,
    competency_result text,
    competency_on date,
    latest_assessment text,
    graduated_on date,
    training_certificates bigint NOT NULL,
    bnsp_certificates bigint NOT NULL,
    certified_on date,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW programme_participations AS
    SELECT participation_id, package_id, person_ref, category, facility, legal_status, sex, age_band, offence_group, sentence_band, status, status_since, cycle, nominated_on, assessed_on, eligible, rule_set, overridden, decided_on, rejection_reason, accepted_on, waitlisted_on, waitlist_position, withdrawn_on, withdrawal_reason, started_on, suspended_since, stopped_on, end_reason, end_category, completed_on, sessions_attended, sessions_expected, hours_attended, competency_result, competency_on, latest_assessment, graduated_on, training_certificates, bnsp_certificates, certified_on
    FROM rm_programme_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_participations TO jejak_app;
GRANT SELECT ON programme_participations TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_marks (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    session_id text NOT NULL,
    code text NOT NULL,
    minutes_late bigint,
    PRIMARY KEY (generation, participation_id, session_id)
);
CREATE VIEW programme_marks AS
    SELECT participation_id, session_id, code, minutes_late
    FROM rm_programme_marks
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_marks TO jejak_app;
GRANT SELECT ON programme_marks TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_suspensions (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    suspended_on date NOT NULL,
    reason text NOT NULL,
    resumed_on date,
    PRIMARY KEY (generation, participation_id, suspended_on)
);
CREATE VIEW programme_suspensions AS
    SELECT participation_id, suspended_on, reason, resumed_on
    FROM rm_programme_suspensions
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_suspensions TO jejak_app;
GRANT SELECT ON programme_suspensions TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_certificates (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    issuer text NOT NULL,
    number text NOT NULL,
    certificate_type text NOT NULL,
    issued_on date NOT NULL,
    valid_until date,
    PRIMARY KEY (generation, participation_id, issuer, number)
);
CREATE VIEW programme_certificates AS
    SELECT participation_id, issuer, number, certificate_type, issued_on, valid_until
    FROM rm_programme_certificates
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_certificates TO jejak_app;
GRANT SELECT ON programme_certificates TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_grants (
    generation bigint NOT NULL,
    grant_id text NOT NULL,
    participation_id text NOT NULL,
    package_id text NOT NULL,
    person_ref text NOT NULL,
    status text NOT NULL,
    items text NOT NULL,
    capital_rupiah bigint NOT NULL,
    total_rupiah bigint NOT NULL,
    funding_source text NOT NULL,
    budget_line text NOT NULL,
    proposed_by text NOT NULL,
    proposed_on date NOT NULL,
    approved_by text,
    approved_on date,
    decision_ref text,
    deferred boolean NOT NULL,
    handed_over_by text,
    handed_over_on date,
    bast_number text,
    recipient text,
    place text,
    recovered_rupiah bigint NOT NULL,
    cycle bigint NOT NULL,
    PRIMARY KEY (generation, grant_id)
);
CREATE VIEW programme_grants AS
    SELECT grant_id, participation_id, package_id, person_ref, status, items, capital_rupiah, total_rupiah, funding_source, budget_line, proposed_by, proposed_on, approved_by, approved_on, decision_ref, deferred, handed_over_by, handed_over_on, bast_number, recipient, place, recovered_rupiah, cycle
    FROM rm_programme_grants
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_grants TO jejak_app;
GRANT SELECT ON programme_grants TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_grant_visits (
    generation bigint NOT NULL,
    grant_id text NOT NULL,
    visit_id text NOT NULL,
    visited_on date NOT NULL,
    business_status text NOT NULL,
    PRIMARY KEY (generation, grant_id, visit_id)
);
CREATE VIEW programme_grant_visits AS
    SELECT grant_id, visit_id, visited_on, business_status
    FROM rm_programme_grant_visits
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_grant_visits TO jejak_app;
GRANT SELECT ON programme_grant_visits TO jejak_app, jejak_reader;

CREATE TABLE rm_programme_tasks (
    generation bigint NOT NULL,
    task_id text NOT NULL,
    person_ref text NOT NULL,
    facility text NOT NULL,
    trigger text NOT NULL,
    raised_on date NOT NULL,
    affected_participations text NOT NULL,
    actions_taken text NOT NULL,
    acknowledged_by text,
    acknowledged_on date,
    PRIMARY KEY (generation, task_id)
);
CREATE VIEW programme_tasks AS
    SELECT task_id, person_ref, facility, trigger, raised_on, affected_participations, actions_taken, acknowledged_by, acknowledged_on
    FROM rm_programme_tasks
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_programme_tasks TO jejak_app;
GRANT SELECT ON programme_tasks TO jejak_app, jejak_reader;
-- Read model `people`: storage tables with a generation, and views of the active one.

CREATE TABLE rm_people_persons (
    generation bigint NOT NULL,
    person_ref text NOT NULL,
    facility text,
    in_custody boolean NOT NULL,
    legal_status text,
    sex text,
    age_band text,
    offence_group text,
    sentence_band text,
    episode_ref text,
    admitted_on date,
    episodes bigint NOT NULL,
    died_on date,
    merged_into text,
    PRIMARY KEY (generation, person_ref)
);
CREATE VIEW people_persons AS
    SELECT person_ref, facility, in_custody, legal_status, sex, age_band, offence_group, sentence_band, episode_ref, admitted_on, episodes, died_on, merged_into
    FROM rm_people_persons
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_persons TO jejak_app;
GRANT SELECT ON people_persons TO jejak_app, jejak_reader;

CREATE TABLE rm_people_releases (
    generation bigint NOT NULL,
    person_ref text NOT NULL,
    released_on date NOT NULL,
    release_type text NOT NULL,
    legal_status text NOT NULL,
    facility text NOT NULL,
    episode_admitted_on date,
    PRIMARY KEY (generation, person_ref, released_on)
);
CREATE VIEW people_releases AS
    SELECT person_ref, released_on, release_type, legal_status, facility, episode_admitted_on
    FROM rm_people_releases
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_releases TO jejak_app;
GRANT SELECT ON people_releases TO jejak_app, jejak_reader;

CREATE TABLE rm_people_cases (
    generation bigint NOT NULL,
    person_ref text NOT NULL,
    case_id text NOT NULL,
    offence_date date NOT NULL,
    arrest_date date,
    conviction_date date,
    readmission_date date,
    PRIMARY KEY (generation, person_ref, case_id)
);
CREATE VIEW people_cases AS
    SELECT person_ref, case_id, offence_date, arrest_date, conviction_date, readmission_date
    FROM rm_people_cases
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_cases TO jejak_app;
GRANT SELECT ON people_cases TO jejak_app, jejak_reader;

CREATE TABLE rm_people_revocations (
    generation bigint NOT NULL,
    person_ref text NOT NULL,
    revoked_on date NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (generation, person_ref, revoked_on)
);
CREATE VIEW people_revocations AS
    SELECT person_ref, revoked_on, reason
    FROM rm_people_revocations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_revocations TO jejak_app;
GRANT SELECT ON people_revocations TO jejak_app, jejak_reader;

CREATE TABLE rm_people_contacts (
    generation bigint NOT NULL,
    person_ref text NOT NULL,
    contact_id text NOT NULL,
    contacted_on date NOT NULL,
    employment_status text NOT NULL,
    uses_trained_skill boolean NOT NULL,
    uses_grant boolean,
    PRIMARY KEY (generation, person_ref, contact_id)
);
CREATE VIEW people_contacts AS
    SELECT person_ref, contact_id, contacted_on, employment_status, uses_trained_skill, uses_grant
    FROM rm_people_contacts
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_contacts TO jejak_app;
GRANT SELECT ON people_contacts TO jejak_app, jejak_reader;

CREATE TABLE rm_people_participations (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    person_ref text NOT NULL,
    package_id text NOT NULL,
    nominated_on date NOT NULL,
    waitlisted boolean NOT NULL,
    approved boolean NOT NULL,
    accepted boolean NOT NULL,
    started_on date,
    ended_on date,
    outcome text,
    grant_handed_over boolean NOT NULL,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW people_participations AS
    SELECT participation_id, person_ref, package_id, nominated_on, waitlisted, approved, accepted, started_on, ended_on, outcome, grant_handed_over
    FROM rm_people_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_participations TO jejak_app;
GRANT SELECT ON people_participations TO jejak_app, jejak_reader;

CREATE TABLE rm_people_grants (
    generation bigint NOT NULL,
    grant_id text NOT NULL,
    participation_id text NOT NULL,
    person_ref text NOT NULL,
    PRIMARY KEY (generation, grant_id)
);
CREATE VIEW people_grants AS
    SELECT grant_id, participation_id, person_ref
    FROM rm_people_grants
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_people_grants TO jejak_app;
GRANT SELECT ON people_grants TO jejak_app, jejak_reader;
-- Read model `monthly`: storage tables with a generation, and views of the active one.

CREATE TABLE rm_monthly_packages (
    generation bigint NOT NULL,
    package_id text NOT NULL,
    facility text NOT NULL,
    skill text NOT NULL,
    provider text NOT NULL,
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW monthly_packages AS
    SELECT package_id, facility, skill, provider
    FROM rm_monthly_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'monthly');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_monthly_packages TO jejak_app;
GRANT SELECT ON monthly_packages TO jejak_app, jejak_reader;

CREATE TABLE rm_monthly_participations (
    generation bigint NOT NULL,
    participation_id text NOT NULL,
    package_id text NOT NULL,
    facility text NOT NULL,
    inmate boolean NOT NULL,
    certificates bigint NOT NULL,
    certified_on date,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW monthly_participations AS
    SELECT participation_id, package_id, facility, inmate, certificates, certified_on
    FROM rm_monthly_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'monthly');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_monthly_participations TO jejak_app;
GRANT SELECT ON monthly_participations TO jejak_app, jejak_reader;

CREATE TABLE rm_monthly_counts (
    generation bigint NOT NULL,
    facility text NOT NULL,
    month text NOT NULL,
    skill text NOT NULL,
    provider text NOT NULL,
    packages_run bigint NOT NULL,
    inmates_trained bigint NOT NULL,
    inmates_completed bigint NOT NULL,
    inmates_certified bigint NOT NULL,
    public_trained bigint NOT NULL,
    PRIMARY KEY (generation, facility, month, skill, provider)
);
CREATE VIEW monthly_counts AS
    SELECT facility, month, skill, provider, packages_run, inmates_trained, inmates_completed, inmates_certified, public_trained
    FROM rm_monthly_counts
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'monthly');
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_monthly_counts TO jejak_app;
GRANT SELECT ON monthly_counts TO jejak_app, jejak_reader;
