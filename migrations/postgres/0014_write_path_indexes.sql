-- Two secondary indexes of `events` leave the write path: every append paid for them in every
-- transaction, and no read needs them (docs/PERFORMANCE.md).
-- `events_by_recorded_at`: `recorded_at` never decreases along the log (the store keeps it so
-- and `jejak verify` calls a step back a break), so the position known at a moment is found by
-- a binary search over positions through the primary key.
-- `events_by_category`: a category's events are read page by page in position order, a walk of
-- the primary key; no part of jejak reads by category but the store's own API.
DROP INDEX IF EXISTS events_by_recorded_at;
DROP INDEX IF EXISTS events_by_category;
