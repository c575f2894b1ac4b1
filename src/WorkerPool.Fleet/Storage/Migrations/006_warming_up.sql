-- The device marks the first window a camera counted after a start (tracks need a few frames): dashboards showing
-- occupancy "now" can pass over it. Older firmware leaves it out: false.
ALTER TABLE count_windows ADD COLUMN IF NOT EXISTS warming_up boolean NOT NULL DEFAULT false;
