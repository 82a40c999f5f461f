-- As-of answers narrowed to a scope (one facility, provider or skill; docs/history.md) fold
-- only that part of a read model, and keep snapshots of their own under the scope's text;
-- '' is the whole read model, which the snapshots taken so far are.
ALTER TABLE fold_snapshots ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE fold_snapshots ALTER COLUMN scope DROP DEFAULT;
ALTER TABLE fold_snapshots DROP CONSTRAINT fold_snapshots_pkey;
ALTER TABLE fold_snapshots ADD PRIMARY KEY (projection, version, config, scope, position);
