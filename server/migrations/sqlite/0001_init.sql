-- Datasets stored by the engine's import (files under datasets/<id>/), registered here.
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at REAL NOT NULL
);

-- Runs of every kind (search, train, baseline) share one table and one runner.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id),
    source_run INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    request TEXT NOT NULL,
    message TEXT,
    result TEXT,
    epoch INTEGER NOT NULL DEFAULT 0,
    epochs INTEGER NOT NULL DEFAULT 0,
    best_metric REAL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX runs_status ON runs(status);

-- Every event of a run with its sequence number, as streamed.
CREATE TABLE events (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Read-only share links: one live token per run.
CREATE TABLE shares (
    token TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
    created_at REAL NOT NULL
);
