-- WorkerPool fleet schema, version 4: one definition of an explained gap. A gap is explained when the union of the
-- ranges the device reported lost covers all of it. A device's merged range grows (1..3, later 1..5) and both rows
-- stay, so their lengths must not simply be added. Needs PostgreSQL 14 or later (multiranges).
CREATE FUNCTION fleet_gap_explained(device text, camera text, from_seq bigint, to_seq bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT range_agg(int8range(e.from_seq, e.to_seq + 1)) FROM explained_losses e
                     WHERE e.device_id = device AND e.camera_id = camera
                       AND e.from_seq <= fleet_gap_explained.to_seq AND e.to_seq >= fleet_gap_explained.from_seq)
                    @> int8range(from_seq, to_seq + 1), false)
$$;
