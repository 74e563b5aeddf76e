-- Where a run executes: the server that took it from the queue (its --server-name), the
-- scheduler's job id and last reported state (Slurm runs), and how many bytes of the run's
-- events.jsonl are stored (a Slurm run's events are read from the shared file).
ALTER TABLE runs ADD COLUMN owner TEXT;
ALTER TABLE runs ADD COLUMN job_id TEXT;
ALTER TABLE runs ADD COLUMN job_state TEXT;
ALTER TABLE runs ADD COLUMN events_offset INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_job ON runs(job_id);
