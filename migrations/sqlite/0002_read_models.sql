-- Read models: one row of state per projection, then each projection's tables.
-- Generated from the projections' table declarations (src/projector/schema.rs); do not edit by hand.

CREATE TABLE projection_state (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    config TEXT NOT NULL,
    generation INTEGER NOT NULL,
    position INTEGER NOT NULL,
    hash TEXT NOT NULL,
    building_generation INTEGER,
    building_version INTEGER,
    building_config TEXT,
    building_position INTEGER,
    building_hash TEXT
);

-- Read model `programme`: storage tables with a generation, and views of the active one.

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
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW programme_packages AS
    SELECT package_id, title, provider, skill, venue_type, facility, location, start_date, end_date, planned_hours, quota_total, quota_inmates, attendance_threshold_percent, funding_source, grant_policy, status, places_taken, inmate_places_taken, waitlist_length
    FROM rm_programme_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_sessions (
    generation INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    date TEXT NOT NULL,
    hours INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    PRIMARY KEY (generation, session_id)
);
CREATE VIEW programme_sessions AS
    SELECT session_id, package_id, date, hours, cancelled
    FROM rm_programme_sessions
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_participations (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    category TEXT NOT NULL,
    facility TEXT,
    legal_status TEXT,
    sex TEXT,
    age_band TEXT,
    offence_group TEXT,
    sentence_band TEXT,
    status TEXT NOT NULL,
    status_since TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    nominated_on TEXT NOT NULL,
    assessed_on TEXT,
    eligible INTEGER,
    rule_set TEXT,
    overridden INTEGER NOT NULL,
    decided_on TEXT,
    rejection_reason TEXT,
    accepted_on TEXT,
    waitlisted_on TEXT,
    waitlist_position INTEGER,
    withdrawn_on TEXT,
    withdrawal_reason TEXT,
    started_on TEXT,
    suspended_since TEXT,
    stopped_on TEXT,
    end_reason TEXT,
    end_category TEXT,
    completed_on TEXT,
    sessions_attended INTEGER,
    sessions_expected INTEGER,
    hours_attended INTEGER,
    competency_result TEXT,
    competency_on TEXT,
    latest_assessment TEXT,
    graduated_on TEXT,
    training_certificates INTEGER NOT NULL,
    bnsp_certificates INTEGER NOT NULL,
    certified_on TEXT,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW programme_participations AS
    SELECT participation_id, package_id, person_ref, category, facility, legal_status, sex, age_band, offence_group, sentence_band, status, status_since, cycle, nominated_on, assessed_on, eligible, rule_set, overridden, decided_on, rejection_reason, accepted_on, waitlisted_on, waitlist_position, withdrawn_on, withdrawal_reason, started_on, suspended_since, stopped_on, end_reason, end_category, completed_on, sessions_attended, sessions_expected, hours_attended, competency_result, competency_on, latest_assessment, graduated_on, training_certificates, bnsp_certificates, certified_on
    FROM rm_programme_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_marks (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    code TEXT NOT NULL,
    minutes_late INTEGER,
    PRIMARY KEY (generation, participation_id, session_id)
);
CREATE VIEW programme_marks AS
    SELECT participation_id, session_id, code, minutes_late
    FROM rm_programme_marks
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_suspensions (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    suspended_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    resumed_on TEXT,
    PRIMARY KEY (generation, participation_id, suspended_on)
);
CREATE VIEW programme_suspensions AS
    SELECT participation_id, suspended_on, reason, resumed_on
    FROM rm_programme_suspensions
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_certificates (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    number TEXT NOT NULL,
    certificate_type TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    valid_until TEXT,
    PRIMARY KEY (generation, participation_id, issuer, number)
);
CREATE VIEW programme_certificates AS
    SELECT participation_id, issuer, number, certificate_type, issued_on, valid_until
    FROM rm_programme_certificates
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_grants (
    generation INTEGER NOT NULL,
    grant_id TEXT NOT NULL,
    participation_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    items TEXT NOT NULL,
    capital_rupiah INTEGER NOT NULL,
    total_rupiah INTEGER NOT NULL,
    funding_source TEXT NOT NULL,
    budget_line TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_on TEXT NOT NULL,
    approved_by TEXT,
    approved_on TEXT,
    decision_ref TEXT,
    deferred INTEGER NOT NULL,
    handed_over_by TEXT,
    handed_over_on TEXT,
    bast_number TEXT,
    recipient TEXT,
    place TEXT,
    recovered_rupiah INTEGER NOT NULL,
    cycle INTEGER NOT NULL,
    PRIMARY KEY (generation, grant_id)
);
CREATE VIEW programme_grants AS
    SELECT grant_id, participation_id, package_id, person_ref, status, items, capital_rupiah, total_rupiah, funding_source, budget_line, proposed_by, proposed_on, approved_by, approved_on, decision_ref, deferred, handed_over_by, handed_over_on, bast_number, recipient, place, recovered_rupiah, cycle
    FROM rm_programme_grants
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_grant_visits (
    generation INTEGER NOT NULL,
    grant_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    visited_on TEXT NOT NULL,
    business_status TEXT NOT NULL,
    PRIMARY KEY (generation, grant_id, visit_id)
);
CREATE VIEW programme_grant_visits AS
    SELECT grant_id, visit_id, visited_on, business_status
    FROM rm_programme_grant_visits
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');

CREATE TABLE rm_programme_tasks (
    generation INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    facility TEXT NOT NULL,
    trigger TEXT NOT NULL,
    raised_on TEXT NOT NULL,
    affected_participations TEXT NOT NULL,
    actions_taken TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_on TEXT,
    PRIMARY KEY (generation, task_id)
);
CREATE VIEW programme_tasks AS
    SELECT task_id, person_ref, facility, trigger, raised_on, affected_participations, actions_taken, acknowledged_by, acknowledged_on
    FROM rm_programme_tasks
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'programme');
-- Read model `people`: storage tables with a generation, and views of the active one.

CREATE TABLE rm_people_persons (
    generation INTEGER NOT NULL,
    person_ref TEXT NOT NULL,
    facility TEXT,
    in_custody INTEGER NOT NULL,
    legal_status TEXT,
    sex TEXT,
    age_band TEXT,
    offence_group TEXT,
    sentence_band TEXT,
    episode_ref TEXT,
    admitted_on TEXT,
    episodes INTEGER NOT NULL,
    died_on TEXT,
    merged_into TEXT,
    PRIMARY KEY (generation, person_ref)
);
CREATE VIEW people_persons AS
    SELECT person_ref, facility, in_custody, legal_status, sex, age_band, offence_group, sentence_band, episode_ref, admitted_on, episodes, died_on, merged_into
    FROM rm_people_persons
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_releases (
    generation INTEGER NOT NULL,
    person_ref TEXT NOT NULL,
    released_on TEXT NOT NULL,
    release_type TEXT NOT NULL,
    legal_status TEXT NOT NULL,
    facility TEXT NOT NULL,
    episode_admitted_on TEXT,
    PRIMARY KEY (generation, person_ref, released_on)
);
CREATE VIEW people_releases AS
    SELECT person_ref, released_on, release_type, legal_status, facility, episode_admitted_on
    FROM rm_people_releases
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_cases (
    generation INTEGER NOT NULL,
    person_ref TEXT NOT NULL,
    case_id TEXT NOT NULL,
    offence_date TEXT NOT NULL,
    arrest_date TEXT,
    conviction_date TEXT,
    readmission_date TEXT,
    PRIMARY KEY (generation, person_ref, case_id)
);
CREATE VIEW people_cases AS
    SELECT person_ref, case_id, offence_date, arrest_date, conviction_date, readmission_date
    FROM rm_people_cases
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_revocations (
    generation INTEGER NOT NULL,
    person_ref TEXT NOT NULL,
    revoked_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (generation, person_ref, revoked_on)
);
CREATE VIEW people_revocations AS
    SELECT person_ref, revoked_on, reason
    FROM rm_people_revocations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_contacts (
    generation INTEGER NOT NULL,
    person_ref TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    contacted_on TEXT NOT NULL,
    employment_status TEXT NOT NULL,
    uses_trained_skill INTEGER NOT NULL,
    uses_grant INTEGER,
    PRIMARY KEY (generation, person_ref, contact_id)
);
CREATE VIEW people_contacts AS
    SELECT person_ref, contact_id, contacted_on, employment_status, uses_trained_skill, uses_grant
    FROM rm_people_contacts
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
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW people_participations AS
    SELECT participation_id, person_ref, package_id, nominated_on, waitlisted, approved, accepted, started_on, ended_on, outcome, grant_handed_over
    FROM rm_people_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');

CREATE TABLE rm_people_grants (
    generation INTEGER NOT NULL,
    grant_id TEXT NOT NULL,
    participation_id TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    PRIMARY KEY (generation, grant_id)
);
CREATE VIEW people_grants AS
    SELECT grant_id, participation_id, person_ref
    FROM rm_people_grants
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'people');
-- Read model `monthly`: storage tables with a generation, and views of the active one.

CREATE TABLE rm_monthly_packages (
    generation INTEGER NOT NULL,
    package_id TEXT NOT NULL,
    facility TEXT NOT NULL,
    skill TEXT NOT NULL,
    provider TEXT NOT NULL,
    PRIMARY KEY (generation, package_id)
);
CREATE VIEW monthly_packages AS
    SELECT package_id, facility, skill, provider
    FROM rm_monthly_packages
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'monthly');

CREATE TABLE rm_monthly_participations (
    generation INTEGER NOT NULL,
    participation_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    facility TEXT NOT NULL,
    inmate INTEGER NOT NULL,
    certificates INTEGER NOT NULL,
    certified_on TEXT,
    PRIMARY KEY (generation, participation_id)
);
CREATE VIEW monthly_participations AS
    SELECT participation_id, package_id, facility, inmate, certificates, certified_on
    FROM rm_monthly_participations
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'monthly');

CREATE TABLE rm_monthly_counts (
    generation INTEGER NOT NULL,
    facility TEXT NOT NULL,
    month TEXT NOT NULL,
    skill TEXT NOT NULL,
    provider TEXT NOT NULL,
    packages_run INTEGER NOT NULL,
    inmates_trained INTEGER NOT NULL,
    inmates_completed INTEGER NOT NULL,
    inmates_certified INTEGER NOT NULL,
    public_trained INTEGER NOT NULL,
    PRIMARY KEY (generation, facility, month, skill, provider)
);
CREATE VIEW monthly_counts AS
    SELECT facility, month, skill, provider, packages_run, inmates_trained, inmates_completed, inmates_certified, public_trained
    FROM rm_monthly_counts
    WHERE generation = (SELECT generation FROM projection_state WHERE name = 'monthly');
