-- WorkerPool fleet schema, version 5: count_windows.partial, true for a window the device closed at start from its
-- last checkpoint after a crash or power cut (the count record's "partial"). Such a window sums with the window's
-- other records like any split window; the column lets a report tell how much of a day came from checkpoints.
ALTER TABLE count_windows ADD COLUMN partial boolean NOT NULL DEFAULT false;
