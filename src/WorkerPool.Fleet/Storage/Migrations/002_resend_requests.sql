-- WorkerPool fleet schema, version 2: the ingest's requests to devices to send missing records again.
CREATE TABLE resend_requests (
    device_id    text        NOT NULL,
    camera_id    text        NOT NULL,
    from_seq     bigint      NOT NULL,
    to_seq       bigint      NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    requested_by text        NOT NULL
);
CREATE INDEX resend_requests_camera ON resend_requests (device_id, camera_id, requested_at);
