using Npgsql;
using NpgsqlTypes;

namespace WorkerPool.Fleet.Storage;

/// <summary>One ask to a device: send camera's records <paramref name="FromSeq"/> to <paramref name="ToSeq"/> again.</summary>
internal sealed record ResendRequest(string Device, string Camera, long FromSeq, long ToSeq);

/// <summary>
/// Picks the unexplained gaps that are due for a resend request and notes the requests, in one transaction under an
/// advisory lock, so that however many ingest instances run, each gap is asked for at most once per interval.
/// </summary>
internal sealed class ResendRequests(FleetStore store, string instance)
{
    /// <summary>Most records one request asks for (the device caps a resend at as many); a longer gap is asked for in parts.</summary>
    public const int MaxRecordsPerRequest = 500;

    /// <summary>Most requests one device gets per round: within its command budget (10 at once, then 1 a second).</summary>
    public const int MaxPerDevice = 5;

    private const string TakeSql = """
        WITH candidates AS (
            SELECT g.device_id, g.camera_id, g.from_seq, least(g.to_seq, g.from_seq + $3 - 1) AS to_seq, g.detected_at,
                   row_number() OVER (PARTITION BY g.device_id ORDER BY g.detected_at, g.camera_id, g.from_seq) AS nth
            FROM ledger_gaps g
            WHERE g.detected_at < now() - $1
              AND NOT fleet_gap_explained(g.device_id, g.camera_id, g.from_seq, g.to_seq)
              AND NOT EXISTS (SELECT 1 FROM resend_requests r
                              WHERE r.device_id = g.device_id AND r.camera_id = g.camera_id AND r.requested_at > now() - $2
                                AND r.from_seq <= least(g.to_seq, g.from_seq + $3 - 1) AND r.to_seq >= g.from_seq)
        ), due AS (
            SELECT device_id, camera_id, from_seq, to_seq FROM candidates WHERE nth <= $6 ORDER BY detected_at LIMIT $4
        )
        INSERT INTO resend_requests (device_id, camera_id, from_seq, to_seq, requested_by)
        SELECT device_id, camera_id, from_seq, to_seq, $5 FROM due
        RETURNING device_id, camera_id, from_seq, to_seq
        """;

    /// <summary>
    /// The gaps older than <paramref name="grace"/> (redeliveries out of order fill most gaps by then) not asked for
    /// within <paramref name="interval"/>, at most <paramref name="max"/> and <see cref="MaxPerDevice"/> per device (a
    /// device refuses commands over its budget); each is recorded as asked for now.
    /// </summary>
    public async Task<IReadOnlyList<ResendRequest>> TakeDueAsync(TimeSpan grace, TimeSpan interval, int max, CancellationToken token)
    {
        await using var connection = await store.Db.OpenConnectionAsync(token).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('workerpool-fleet-resend'))", connection, tx))
            await lockCommand.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        var taken = new List<ResendRequest>();
        await using (var take = new NpgsqlCommand(TakeSql, connection, tx))
        {
            take.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = grace, NpgsqlDbType = NpgsqlDbType.Interval });
            take.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = interval, NpgsqlDbType = NpgsqlDbType.Interval });
            take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MaxRecordsPerRequest });
            take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
            take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = instance });
            take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MaxPerDevice });
            await using var rows = await take.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await rows.ReadAsync(token).ConfigureAwait(false))
                taken.Add(new ResendRequest(rows.GetString(0), rows.GetString(1), rows.GetInt64(2), rows.GetInt64(3)));
        }
        await tx.CommitAsync(token).ConfigureAwait(false);
        return taken;
    }
}
