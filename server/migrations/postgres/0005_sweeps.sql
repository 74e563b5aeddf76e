-- The SQLite store's 0005_sweeps.sql in PostgreSQL's types.
CREATE TABLE sweeps (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    request TEXT NOT NULL,
    cancelled BIGINT NOT NULL DEFAULT 0,
    created_at DOUBLE PRECISION NOT NULL
);
ALTER TABLE runs ADD COLUMN sweep_id BIGINT REFERENCES sweeps(id);
ALTER TABLE runs ADD COLUMN sweep_point BIGINT;
CREATE INDEX runs_sweep ON runs(sweep_id);

CREATE TABLE sweep_shares (
    token TEXT PRIMARY KEY,
    sweep_id BIGINT NOT NULL UNIQUE REFERENCES sweeps(id) ON DELETE CASCADE,
    created_at DOUBLE PRECISION NOT NULL
);
