-- WorkerPool fleet schema, version 1. Applied once, in one transaction, under the migration lock.

-- One row per device: what it last said about itself.
CREATE TABLE devices (
    device_id            text PRIMARY KEY,
    first_seen           timestamptz NOT NULL,
    last_seen            timestamptz NOT NULL,
    status               text,                 -- online | offline (retained status, last will)
    status_reason        text,
    status_at            timestamptz,
    version              text,
    boot_time            timestamptz,
    last_heartbeat_at    timestamptz,          -- fleet clock: when the latest heartbeat arrived
    heartbeat_time       timestamptz,          -- device clock: the heartbeat's own time
    health               text,
    health_reason        text,
    config_version       text,
    outbox_backlog       bigint,
    dropped_by_retention bigint,
    lost_unstored        bigint,
    temperature_c        double precision,
    thermal_level        integer,
    heartbeat            jsonb                 -- the whole latest heartbeat, cameras and workers included
);

-- One row per count record (device, camera, window), exactly once: keyed by the record's messageId.
-- Partitioned by month of window_start; partitions are made on demand (fleet_ensure_partition).
CREATE TABLE count_windows (
    window_start     timestamptz NOT NULL,
    message_id       uuid        NOT NULL,
    device_id        text        NOT NULL,
    camera_id        text        NOT NULL,
    seq              bigint      NOT NULL,
    window_end       timestamptz NOT NULL,
    frames_processed bigint      NOT NULL,
    frames_dropped   bigint      NOT NULL,
    frames_failed    bigint      NOT NULL,
    clock_synced     boolean     NOT NULL,
    partial          boolean     NOT NULL DEFAULT false,
    received_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (window_start, message_id)
) PARTITION BY RANGE (window_start);
CREATE INDEX count_windows_camera_seq ON count_windows (device_id, camera_id, seq);

-- Crossings per line and window: one row per (record, line).
CREATE TABLE line_counts (
    window_start timestamptz NOT NULL,
    message_id   uuid        NOT NULL,
    device_id    text        NOT NULL,
    camera_id    text        NOT NULL,
    line_id      text        NOT NULL,
    in_count     bigint      NOT NULL,
    out_count    bigint      NOT NULL,
    PRIMARY KEY (window_start, message_id, line_id)
) PARTITION BY RANGE (window_start);
CREATE INDEX line_counts_camera ON line_counts (device_id, camera_id, line_id, window_start);

-- Occupancy per zone and window: one row per (record, zone).
CREATE TABLE zone_stats (
    window_start timestamptz      NOT NULL,
    message_id   uuid             NOT NULL,
    device_id    text             NOT NULL,
    camera_id    text             NOT NULL,
    zone_id      text             NOT NULL,
    mean         double precision NOT NULL,
    min          integer          NOT NULL,
    max          integer          NOT NULL,
    PRIMARY KEY (window_start, message_id, zone_id)
) PARTITION BY RANGE (window_start);
CREATE INDEX zone_stats_camera ON zone_stats (device_id, camera_id, zone_id, window_start);

-- Every distinct answer a device gave on config/reported.
CREATE TABLE config_reports (
    device_id      text        NOT NULL,
    version        bigint      NOT NULL,
    status         text        NOT NULL,
    effective_hash text        NOT NULL,
    errors         jsonb       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, version, status, effective_hash)
);

-- The completeness ledger, per (device, camera): how many records arrived, the highest seq, and where the gaps
-- must be looked at again (dirty_from: the lowest seq stored since the last refresh).
CREATE TABLE camera_ledger (
    device_id    text   NOT NULL,
    camera_id    text   NOT NULL,
    records      bigint NOT NULL,
    max_seq      bigint NOT NULL,
    dirty_from   bigint,
    refreshed_at timestamptz,
    PRIMARY KEY (device_id, camera_id)
);

-- Every missing seq range, per (device, camera), as of the last refresh.
CREATE TABLE ledger_gaps (
    device_id   text        NOT NULL,
    camera_id   text        NOT NULL,
    from_seq    bigint      NOT NULL,
    to_seq      bigint      NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, camera_id, from_seq)
);

-- Ranges the device itself says are gone for good (dropped by retention, lost before storage): a gap inside one is
-- explained.
CREATE TABLE explained_losses (
    device_id   text        NOT NULL,
    camera_id   text        NOT NULL,
    from_seq    bigint      NOT NULL,
    to_seq      bigint      NOT NULL,
    reason      text        NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, camera_id, from_seq, to_seq)
);

-- Per ingest instance: records stored and duplicates dropped (redeliveries, resends).
CREATE TABLE ingest_counters (
    instance   text   PRIMARY KEY,
    records    bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0
);

-- Makes the month partition of each partitioned table for a window start, if missing. Serialized by an advisory
-- lock, so ingest instances racing to the first record of a month don't trip over each other.
CREATE FUNCTION fleet_ensure_partition(at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    suffix text := to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
    parent text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('workerpool-fleet-partitions'));
    FOREACH parent IN ARRAY ARRAY['count_windows', 'line_counts', 'zone_stats'] LOOP
        IF to_regclass(parent || '_' || suffix) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           parent || '_' || suffix, parent, month_start, month_start + interval '1 month');
        END IF;
    END LOOP;
END $$;
