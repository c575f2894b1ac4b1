using Npgsql;

namespace WorkerPool.Fleet.Storage;

/// <summary>
/// Brings the completeness ledger's gaps up to date for every (device, camera) that stored records since the last
/// refresh. Per camera it recomputes only from the stored record just below the lowest new seq, so the steady state
/// (records arriving in order) looks at one or two rows. Cameras whose ledger row a writer holds are skipped and taken
/// next time; the writer marks them again, so nothing is missed.
/// </summary>
internal sealed class LedgerRefresher(FleetStore store)
{
    private const int CamerasPerRound = 500; // the LIMIT in TakeSql

    // Locks the dirty ledger rows; the statements after it (new snapshots) see every record their writers committed.
    private const string TakeSql = """
        CREATE TEMP TABLE IF NOT EXISTS ledger_work (device_id text, camera_id text, lo bigint) ON COMMIT DELETE ROWS;
        INSERT INTO ledger_work (device_id, camera_id, lo)
        SELECT l.device_id, l.camera_id,
               coalesce((SELECT max(c.seq) FROM count_windows c
                         WHERE c.device_id = l.device_id AND c.camera_id = l.camera_id AND c.seq < l.dirty_from), 0)
        FROM (SELECT device_id, camera_id, dirty_from FROM camera_ledger WHERE dirty_from IS NOT NULL
              ORDER BY device_id, camera_id LIMIT 500 FOR UPDATE SKIP LOCKED) l;
        """;

    private const string RecomputeSql = """
        DELETE FROM ledger_gaps g USING ledger_work w
        WHERE g.device_id = w.device_id AND g.camera_id = w.camera_id AND g.to_seq >= w.lo;
        INSERT INTO ledger_gaps (device_id, camera_id, from_seq, to_seq)
        SELECT device_id, camera_id, prev + 1, seq - 1 FROM (
            SELECT c.device_id, c.camera_id, c.seq,
                   lag(c.seq, 1, w.lo) OVER (PARTITION BY c.device_id, c.camera_id ORDER BY c.seq) AS prev
            FROM count_windows c JOIN ledger_work w ON c.device_id = w.device_id AND c.camera_id = w.camera_id AND c.seq >= w.lo
        ) s
        WHERE seq > prev + 1;
        UPDATE camera_ledger l SET dirty_from = NULL, refreshed_at = now()
        FROM ledger_work w WHERE l.device_id = w.device_id AND l.camera_id = w.camera_id;
        SELECT count(*)::integer FROM ledger_work;
        """;

    /// <summary>Refreshes up to <see cref="CamerasPerRound"/> cameras; returns how many.</summary>
    public async Task<int> RefreshOnceAsync(CancellationToken token)
    {
        await using var connection = await store.Db.OpenConnectionAsync(token).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        await using (var take = new NpgsqlCommand(TakeSql, connection, tx))
            await take.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        int cameras;
        await using (var recompute = new NpgsqlCommand(RecomputeSql, connection, tx))
            cameras = (int)(await recompute.ExecuteScalarAsync(token).ConfigureAwait(false))!;
        await tx.CommitAsync(token).ConfigureAwait(false);
        return cameras;
    }

    /// <summary>Marks every camera for a recompute from seq 1 (an audit: rows deleted behind the ingest's back show up as gaps).</summary>
    public async Task MarkAllDirtyAsync(CancellationToken token)
    {
        await using var command = store.Db.CreateCommand("UPDATE camera_ledger SET dirty_from = 1");
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    /// <summary>Refreshes until no camera is left to refresh (bounded: a busy ingest keeps marking cameras).</summary>
    public async Task RefreshAllAsync(CancellationToken token)
    {
        for (int round = 0; round < 1000; round++)
            if (await RefreshOnceAsync(token).ConfigureAwait(false) < CamerasPerRound) return;
    }
}
