-- Sweeps: a group of runs over up to three config keys times seeds. `request` is the sweep as
-- asked (the run request it varies, its axes, seeds and mode); each member run records its
-- sweep and the index of its point.
CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    request TEXT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id);
ALTER TABLE runs ADD COLUMN sweep_point INTEGER;
CREATE INDEX runs_sweep ON runs(sweep_id);

-- Read-only share links of sweeps: one live token per sweep.
CREATE TABLE sweep_shares (
    token TEXT PRIMARY KEY,
    sweep_id INTEGER NOT NULL UNIQUE REFERENCES sweeps(id) ON DELETE CASCADE,
    created_at REAL NOT NULL
);
