-- Rollouts of signed releases (workerpool-fleet rollout): one row per rollout, one per device it selected, with
-- the wave the device is in (0: the canary) and where it stands, as its retained software topic last said.
CREATE TABLE rollouts (
    rollout_id     text PRIMARY KEY,
    version        text NOT NULL,
    rid            text NOT NULL,
    selector       text NOT NULL,
    canary_percent double precision NOT NULL,
    max_failures   integer NOT NULL,
    state          text NOT NULL,        -- running | halted | completed
    reason         text,
    started_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE rollout_devices (
    rollout_id  text NOT NULL REFERENCES rollouts ON DELETE CASCADE,
    device_id   text NOT NULL,
    wave        integer NOT NULL,
    state       text NOT NULL,           -- pending | sent | downloading | installed | healthy | rolled-back | refused | failed | timed-out
    reason      text,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
