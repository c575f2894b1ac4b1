using System.Text.Json.Serialization;
using Npgsql;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Report;

/// <summary>What <c>report</c> prints last: the fleet's completeness, per device and camera.</summary>
internal sealed record FleetReport(int Devices, int Online, long Records, long DuplicatesDropped, IReadOnlyList<CameraReport> Cameras)
{
    /// <summary>The latest rollouts (at most 20, newest first), each with where every device stands.</summary>
    public IReadOnlyList<RolloutReport> Rollouts { get; init; } = [];
}

/// <summary>One rollout: which release, whether it runs, halted or completed, and each device's state in its wave (0: the canary).</summary>
internal sealed record RolloutReport(string Id, string Version, string State, string? Reason, DateTime StartedAt, IReadOnlyList<RolloutDeviceReport> Devices);

/// <summary>Where one device stands in a rollout.</summary>
internal sealed record RolloutDeviceReport(string Device, int Wave, string State, string? Reason);

/// <summary>One camera's records: how many, the seq range, and every gap in it.</summary>
internal sealed record CameraReport(string Device, string Camera, long Records, long FirstSeq, long LastSeq, long ContiguousTo, IReadOnlyList<GapReport> Gaps);

/// <summary>Missing seqs <paramref name="From"/> to <paramref name="To"/>; explained when the device reported them lost for good.</summary>
internal sealed record GapReport(long From, long To, bool Explained);

/// <summary>Source-generated JSON for the fleet program's own output.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FleetReport))]
internal sealed partial class FleetJsonContext : JsonSerializerContext;

/// <summary>Reads the completeness report from the database, after bringing the ledger up to date.</summary>
internal static class FleetReportQuery
{
    private const string TotalsSql = """
        SELECT (SELECT count(*)::integer FROM devices),
               (SELECT count(*)::integer FROM devices WHERE status = 'online'),
               (SELECT count(*) FROM count_windows),
               (SELECT coalesce(sum(duplicates), 0)::bigint FROM ingest_counters)
        """;

    private const string CamerasSql = """
        SELECT l.device_id, l.camera_id, c.records, c.first_seq, l.max_seq,
               coalesce((SELECT min(g.from_seq) - 1 FROM ledger_gaps g WHERE g.device_id = l.device_id AND g.camera_id = l.camera_id), l.max_seq)
        FROM camera_ledger l
        JOIN LATERAL (SELECT count(*) AS records, min(seq) AS first_seq FROM count_windows w
                      WHERE w.device_id = l.device_id AND w.camera_id = l.camera_id) c ON true
        ORDER BY l.device_id, l.camera_id
        """;

    private const string GapsSql = """
        SELECT g.device_id, g.camera_id, g.from_seq, g.to_seq,
               fleet_gap_explained(g.device_id, g.camera_id, g.from_seq, g.to_seq)
        FROM ledger_gaps g ORDER BY g.device_id, g.camera_id, g.from_seq
        """;

    private const string RolloutsSql = """
        SELECT r.rollout_id, r.version, r.state, r.reason, r.started_at, d.device_id, d.wave, d.state, d.reason
        FROM (SELECT * FROM rollouts ORDER BY started_at DESC, rollout_id LIMIT 20) r
        JOIN rollout_devices d USING (rollout_id)
        ORDER BY r.started_at DESC, r.rollout_id, d.wave, d.device_id
        """;

    /// <summary>
    /// Reads the report. With <paramref name="audit"/>, every camera's gaps are first recomputed from seq 1 over the
    /// rows actually stored, which also finds rows removed behind the ingest's back; otherwise only what arrived since
    /// the last refresh is looked at.
    /// </summary>
    public static async Task<FleetReport> ReadAsync(FleetStore store, bool audit, CancellationToken token)
    {
        var ledger = new LedgerRefresher(store);
        if (audit) await ledger.MarkAllDirtyAsync(token).ConfigureAwait(false);
        await ledger.RefreshAllAsync(token).ConfigureAwait(false);
        await using var connection = await store.Db.OpenConnectionAsync(token).ConfigureAwait(false);
        // One snapshot for all three queries, so the totals, cameras and gaps agree.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token).ConfigureAwait(false);
        int devices, online; long records, duplicates;
        await using (var totals = new NpgsqlCommand(TotalsSql, connection, tx))
        await using (var row = await totals.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            await row.ReadAsync(token).ConfigureAwait(false);
            (devices, online, records, duplicates) = (row.GetInt32(0), row.GetInt32(1), row.GetInt64(2), row.GetInt64(3));
        }
        var gaps = new Dictionary<(string, string), List<GapReport>>();
        await using (var read = new NpgsqlCommand(GapsSql, connection, tx))
        await using (var row = await read.ExecuteReaderAsync(token).ConfigureAwait(false))
            while (await row.ReadAsync(token).ConfigureAwait(false))
            {
                var key = (row.GetString(0), row.GetString(1));
                if (!gaps.TryGetValue(key, out var list)) gaps[key] = list = [];
                list.Add(new GapReport(row.GetInt64(2), row.GetInt64(3), row.GetBoolean(4)));
            }
        var cameras = new List<CameraReport>();
        await using (var read = new NpgsqlCommand(CamerasSql, connection, tx))
        await using (var row = await read.ExecuteReaderAsync(token).ConfigureAwait(false))
            while (await row.ReadAsync(token).ConfigureAwait(false))
            {
                var key = (row.GetString(0), row.GetString(1));
                cameras.Add(new CameraReport(key.Item1, key.Item2, row.GetInt64(2), row.IsDBNull(3) ? 0 : row.GetInt64(3), row.GetInt64(4), row.GetInt64(5),
                    gaps.GetValueOrDefault(key) ?? []));
            }
        var rollouts = await ReadRolloutsAsync(connection, tx, token).ConfigureAwait(false);
        await tx.CommitAsync(token).ConfigureAwait(false);
        return new FleetReport(devices, online, records, duplicates, cameras) { Rollouts = rollouts };
    }

    /// <summary>The latest 20 rollouts, newest first, with every device's state: for <c>report</c> and the dashboard.</summary>
    public static async Task<IReadOnlyList<RolloutReport>> ReadRolloutsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken token)
    {
        var rollouts = new List<RolloutReport>();
        var devices = new List<RolloutDeviceReport>();
        await using var read = new NpgsqlCommand(RolloutsSql, connection, tx);
        await using var row = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await row.ReadAsync(token).ConfigureAwait(false))
        {
            if (rollouts.Count == 0 || rollouts[^1].Id != row.GetString(0))
            {
                devices = [];
                rollouts.Add(new RolloutReport(row.GetString(0), row.GetString(1), row.GetString(2), row.IsDBNull(3) ? null : row.GetString(3), row.GetDateTime(4), devices));
            }
            devices.Add(new RolloutDeviceReport(row.GetString(5), row.GetInt32(6), row.GetString(7), row.IsDBNull(8) ? null : row.GetString(8)));
        }
        return rollouts;
    }
}
