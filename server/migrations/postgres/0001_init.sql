-- The SQLite store's 0001_init.sql in PostgreSQL's types (kept in step file by file).
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id),
    source_run BIGINT REFERENCES runs(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    request TEXT NOT NULL,
    message TEXT,
    result TEXT,
    epoch BIGINT NOT NULL DEFAULT 0,
    epochs BIGINT NOT NULL DEFAULT 0,
    best_metric DOUBLE PRECISION,
    created_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION
);
CREATE INDEX runs_status ON runs(status);

CREATE TABLE events (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE shares (
    token TEXT PRIMARY KEY,
    run_id BIGINT NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
    created_at DOUBLE PRECISION NOT NULL
);
