-- Runs repeated with several seeds form a group, named by its first run's id.
ALTER TABLE runs ADD COLUMN group_id INTEGER;
CREATE INDEX runs_group ON runs(group_id);
