-- Dashboard sessions (docs/dashboard.md): a random id's SHA-256, never the id itself.
CREATE TABLE sessions (
    id_hash    text PRIMARY KEY,
    user_name  text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, DELETE ON sessions TO jejak_app;
