-- Lookups of read-model rows by the parent they hang off, for reports narrowed to a
-- facility, provider or skill (docs/reports.md).
-- Generated from the projections' table declarations (src/projector/schema.rs); do not edit by hand.
CREATE INDEX rm_programme_sessions_by_package_id ON rm_programme_sessions (generation, package_id);
CREATE INDEX rm_programme_participations_by_package_id ON rm_programme_participations (generation, package_id);
CREATE INDEX rm_programme_grants_by_package_id ON rm_programme_grants (generation, package_id);
