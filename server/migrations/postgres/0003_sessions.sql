-- Browser sessions made by logging in with the admin token (the cookie carries the id, never the token).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
