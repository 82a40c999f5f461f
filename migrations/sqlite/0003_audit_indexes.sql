-- Audit trails: every event of one actor, and every reversal, without scanning the log.
CREATE INDEX events_by_actor ON events (actor, position);
CREATE INDEX events_reversals ON events (position) WHERE event_type = 'EventReversed';
