-- WorkerPool fleet schema, version 3: the outbox backlog of the heartbeat before the latest, so a dashboard can tell a
-- backlog that grows (the device cannot publish) from one that drains.
ALTER TABLE devices ADD COLUMN outbox_backlog_prev bigint;
